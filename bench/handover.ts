// Graceful handover, vrrpd beside keepalived (Debian 2.2.7) in the same run: SIGTERM to the
// master → its priority-0 advert on the wire (RFC 5798 §6.4.3) → the backup's first
// gratuitous ARP, Skew_Time later (§6.4.2).
//
//   npm run build && node dist/bench/handover.js [--trials 10] [--daemons vrrpd,keepalived]
//        [--advert 100] [--json FILE]
//
// Root only. Each daemon has its own namespaces (a = master, priority 150; b = backup,
// priority 100) on its own bridge; trials alternate between the two daemons so the
// machine's load hits both alike. VRRPv3, one instance, VIP 192.0.2.50/24.
// Clock: tcpdump in the master's namespace timestamps (ns, CLOCK_REALTIME) the priority-0
// advert leaving a's eth0 and the backup's GARP arriving there; the signal's time is the
// bench's CLOCK_REALTIME (performance.timeOrigin + performance.now(), µs) read right
// before kill(2). So "SIGTERM → priority 0" is the master's whole stop path up to the
// device, and "SIGTERM → GARP" is the takeover an operator sees.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTopology, type Topology } from '../src/lab/netns.js';
import { type PcapFile, readPcap, splitEthernet } from '../test/helpers/pcap.js';
import { type Capture, macOf, startCapture } from '../test/netns/peers/capture.js';
import { createKeepalived } from '../test/netns/peers/keepalived.js';
import type { Router, RouterSpec } from '../test/netns/peers/router.js';
import { expectSoleMaster, expectTakeover, skewTimeMs } from '../test/netns/peers/scenario.js';
import { createVrrpd } from '../test/netns/peers/vrrpd.js';
import { runMain } from './lib/main.js';
import { loadAverage, median } from './lib/proc.js';

type DaemonKind = 'vrrpd' | 'keepalived';
const VIP = '192.0.2.50';

export interface HandoverTrial {
  daemon: DaemonKind;
  /** SIGTERM → the master's priority-0 advert on its eth0, ms */
  toPrio0: number | null;
  /** priority-0 advert → the backup's first GARP, ms */
  prio0ToGarp: number | null;
  /** SIGTERM → the backup's first GARP, ms */
  toGarp: number | null;
}

/** From the master-side capture: per signal time, the priority-0 advert and the first GARP after it. */
export function handoverTimes(
  file: PcapFile,
  signals: readonly { daemon: DaemonKind; atMs: number }[],
  macs: { master: string; backup: string },
): HandoverTrial[] {
  const prio0: number[] = [];
  const garps: number[] = [];
  for (const f of file.frames) {
    const eth = splitEthernet(f.data);
    if (!eth) continue;
    const ms = f.tsSec * 1000 + f.tsNsec / 1e6;
    const p = eth.payload;
    if (eth.etherType === 0x0806 && p.length >= 28 && eth.src === macs.backup) {
      const spa = p.subarray(14, 18).join('.');
      if (p.readUInt16BE(6) === 1 && spa === VIP && p.subarray(24, 28).join('.') === VIP) garps.push(ms);
    } else if (eth.etherType === 0x0800 && p.length >= 24 && p[9] === 112 && eth.src === macs.master) {
      const ihl = ((p[0] ?? 0x45) & 0x0f) * 4;
      if (p[ihl + 2] === 0) prio0.push(ms);
    }
  }
  return signals.map((s) => {
    const z = prio0.find((t) => t >= s.atMs - 0.5) ?? null;
    const g = garps.find((t) => t >= (z ?? s.atMs)) ?? null;
    return {
      daemon: s.daemon,
      toPrio0: z === null ? null : z - s.atMs,
      prio0ToGarp: z === null || g === null ? null : g - z,
      toGarp: g === null ? null : g - s.atMs,
    };
  });
}

interface Pair {
  daemon: DaemonKind;
  topo: Topology;
  master: Router;
  backup: Router;
  cap: Capture;
  pcap: string;
  signals: { daemon: DaemonKind; atMs: number }[];
  lastTakeover: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** CLOCK_REALTIME in ms with µs resolution (the pcap's clock). */
const realtimeMs = (): number => performance.timeOrigin + performance.now();

export interface HandoverOptions {
  trials: number;
  advertMs: number;
  daemons: DaemonKind[];
}

export async function runHandover(
  o: HandoverOptions,
  log: (s: string) => void = () => {},
): Promise<HandoverTrial[]> {
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-bench-handover-'));
  const pairs: Pair[] = [];
  const spec = (priority: number): RouterSpec => ({
    vrid: 51,
    version: 3,
    advertMs: o.advertMs,
    priority,
    vip: VIP,
    prefixLen: 24,
  });
  const out: HandoverTrial[] = [];
  try {
    for (const daemon of o.daemons) {
      const topo = await createTopology({
        hosts: ['a', 'b'],
        prefix: `vh${process.pid % 100000}${daemon[0]}-`,
      });
      const make = daemon === 'vrrpd' ? createVrrpd : createKeepalived;
      const pcap = join(dir, `${daemon}.pcap`);
      const cap = await startCapture(topo, 'a', pcap, 'arp or ip proto 112');
      const pair: Pair = {
        daemon,
        topo,
        master: make(topo, 'a', dir, spec(150)),
        backup: make(topo, 'b', dir, spec(100)),
        cap,
        pcap,
        signals: [],
        lastTakeover: 0,
      };
      pairs.push(pair);
      await pair.backup.start();
      await pair.master.start();
    }
    for (let t = 0; t < o.trials; t++) {
      // alternate which daemon goes first in a trial
      const order = t % 2 === 0 ? pairs : [...pairs].reverse();
      for (const p of order) {
        log(`handover ${p.daemon} trial ${t + 1}/${o.trials}\n`);
        await expectSoleMaster(p.master, p.backup, 15_000, `${p.daemon} trial ${t + 1}`);
        // past the backup's and the master's delayed GARP batches (5 s) and a few adverts
        const settle = p.lastTakeover + 6000 - Date.now();
        if (settle > 0) await sleep(settle);
        await sleep(Math.random() * o.advertMs);
        const pid = p.daemon === 'vrrpd' ? p.master.advertPid() : masterMainPid(p.master);
        const atMs = realtimeMs();
        process.kill(pid, 'SIGTERM');
        p.signals.push({ daemon: p.daemon, atMs });
        await expectTakeover(p.backup, 5000, `${p.daemon} trial ${t + 1}`);
        p.lastTakeover = Date.now();
        await p.master.stop('SIGTERM'); // waits for the exit
        await p.master.start();
      }
    }
    for (const p of pairs) {
      await p.cap.stop();
      out.push(
        ...handoverTimes(readPcap(p.pcap), p.signals, {
          master: await macOf(p.topo, 'a'),
          backup: await macOf(p.topo, 'b'),
        }),
      );
    }
    return out;
  } finally {
    for (const p of pairs) {
      await p.cap.stop().catch(() => {});
      await p.master.cleanup();
      await p.backup.cleanup();
      await p.topo.cleanup();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** keepalived's parent process: the one systemd signals. */
function masterMainPid(r: Router): number {
  const pid = 'mainPid' in r && typeof r.mainPid === 'function' ? (r.mainPid as () => number)() : 0;
  if (!pid) throw new Error('keepalived is not running');
  return pid;
}

export function handoverTable(trials: readonly HandoverTrial[], advertMs: number, load: string): string {
  const skew = skewTimeMs({ vrid: 51, version: 3, advertMs, priority: 100, vip: VIP, prefixLen: 24 });
  const q = (xs: (number | null)[]) => {
    const v = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
    if (!v.length) return 'n/a';
    return `${(v[0] as number).toFixed(2)} / ${median(v).toFixed(2)} / ${(v[v.length - 1] as number).toFixed(2)}`;
  };
  const lines = [
    `Graceful handover, VRRPv3 at ${advertMs} ms, backup priority 100 (Skew_Time ${skew.toFixed(2)} ms); min / median / max ms over ${trials.filter((t) => t.daemon === 'vrrpd').length} trials each, alternating; load average ${load}.`,
    '',
    '| daemon | SIGTERM → priority-0 advert | priority 0 → first GARP | SIGTERM → first GARP (takeover) | takeover − Skew_Time (median) |',
    '|---|---|---|---|---:|',
  ];
  for (const d of ['vrrpd', 'keepalived'] as DaemonKind[]) {
    const ts = trials.filter((t) => t.daemon === d);
    if (!ts.length) continue;
    const med = median(ts.map((t) => t.toGarp).filter((x): x is number => x !== null));
    lines.push(
      `| ${d} | ${q(ts.map((t) => t.toPrio0))} | ${q(ts.map((t) => t.prio0ToGarp))} | ${q(ts.map((t) => t.toGarp))} | ${(med - skew).toFixed(2)} |`,
    );
  }
  const missing = trials.filter((t) => t.toPrio0 === null || t.toGarp === null).length;
  if (missing) lines.push('', `${missing} trial(s) without a priority-0 advert or GARP in the capture.`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      trials: { type: 'string', default: '10' },
      advert: { type: 'string', default: '100' },
      daemons: { type: 'string', default: 'vrrpd,keepalived' },
      json: { type: 'string' },
    },
  });
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench/handover needs root (network namespaces)\n');
    return 2;
  }
  const o: HandoverOptions = {
    trials: Number(values.trials),
    advertMs: Number(values.advert),
    daemons: String(values.daemons).split(',') as DaemonKind[],
  };
  const trials = await runHandover(o, (s) => process.stderr.write(s));
  process.stdout.write(`${handoverTable(trials, o.advertMs, loadAverage())}\n`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify(trials, null, 2)}\n`);
  return 0;
}

runMain(import.meta.url, 'handover', main);
