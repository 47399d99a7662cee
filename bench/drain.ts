// The drain switch, vrrpd beside keepalived (Debian 2.2.7) in the same run: `-254` written
// into the master's tracked file (vrrpd track_files, keepalived vrrp_track_file, weight 1)
// → the master's priority-0 advert on the wire as it leaves for FAULT → the backup's first
// gratuitous ARP, Skew_Time later.
//
//   npm run build && node dist/bench/drain.js [--trials 10] [--daemons vrrpd,keepalived]
//        [--advert 100] [--json FILE]
//
// Root only. As bench/handover.ts (whose capture reading it shares): each daemon has its
// own namespaces (a = master, priority 150, tracking the file; b = backup, priority 100),
// trials alternate between the daemons. The write's time is the bench's CLOCK_REALTIME
// read right before writeFileSync; the pcap's timestamps are the same clock. After each
// trial the file gets 0 again and a preempts back.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTopology, type Topology } from '../src/lab/netns.js';
import { readPcap } from '../test/helpers/pcap.js';
import { type Capture, macOf, startCapture } from '../test/netns/peers/capture.js';
import { createKeepalived } from '../test/netns/peers/keepalived.js';
import type { Router, RouterSpec } from '../test/netns/peers/router.js';
import { expectSoleMaster, expectTakeover, skewTimeMs } from '../test/netns/peers/scenario.js';
import { createVrrpd } from '../test/netns/peers/vrrpd.js';
import { type HandoverTrial, handoverTimes } from './handover.js';
import { runMain } from './lib/main.js';
import { loadAverage, median } from './lib/proc.js';

type DaemonKind = 'vrrpd' | 'keepalived';
const VIP = '192.0.2.50';

interface Pair {
  daemon: DaemonKind;
  topo: Topology;
  master: Router;
  backup: Router;
  file: string;
  cap: Capture;
  pcap: string;
  writes: { daemon: DaemonKind; atMs: number }[];
  lastTakeover: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const realtimeMs = (): number => performance.timeOrigin + performance.now();

export interface DrainOptions {
  trials: number;
  advertMs: number;
  daemons: DaemonKind[];
}

export async function runDrain(
  o: DrainOptions,
  log: (s: string) => void = () => {},
): Promise<HandoverTrial[]> {
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-bench-drain-'));
  const pairs: Pair[] = [];
  const spec = (priority: number, trackFile?: string): RouterSpec => ({
    vrid: 51,
    version: 3,
    advertMs: o.advertMs,
    priority,
    vip: VIP,
    prefixLen: 24,
    ...(trackFile ? { trackFile } : {}),
  });
  const out: HandoverTrial[] = [];
  try {
    for (const daemon of o.daemons) {
      const topo = await createTopology({
        hosts: ['a', 'b'],
        prefix: `vd${process.pid % 100000}${daemon[0]}-`,
      });
      const make = daemon === 'vrrpd' ? createVrrpd : createKeepalived;
      const file = join(dir, `${daemon}-drain`);
      writeFileSync(file, '0\n');
      const pcap = join(dir, `${daemon}.pcap`);
      const cap = await startCapture(topo, 'a', pcap, 'arp or ip proto 112');
      const pair: Pair = {
        daemon,
        topo,
        master: make(topo, 'a', dir, spec(150, file)),
        backup: make(topo, 'b', dir, spec(100)),
        file,
        cap,
        pcap,
        writes: [],
        lastTakeover: 0,
      };
      pairs.push(pair);
      await pair.backup.start();
      await pair.master.start();
    }
    for (let t = 0; t < o.trials; t++) {
      const order = t % 2 === 0 ? pairs : [...pairs].reverse();
      for (const p of order) {
        log(`drain ${p.daemon} trial ${t + 1}/${o.trials}\n`);
        await expectSoleMaster(p.master, p.backup, 15_000, `${p.daemon} trial ${t + 1}`);
        // past the delayed GARP batches (5 s) of the last takeover and a few adverts
        const settle = p.lastTakeover + 6000 - Date.now();
        if (settle > 0) await sleep(settle);
        await sleep(Math.random() * o.advertMs);
        const atMs = realtimeMs();
        writeFileSync(p.file, '-254\n');
        p.writes.push({ daemon: p.daemon, atMs });
        await expectTakeover(p.backup, 5000, `${p.daemon} trial ${t + 1}`);
        p.lastTakeover = Date.now();
        writeFileSync(p.file, '0\n');
      }
    }
    for (const p of pairs) {
      await expectSoleMaster(p.master, p.backup, 15_000, `${p.daemon} after the trials`);
      await p.cap.stop();
      out.push(
        ...handoverTimes(readPcap(p.pcap), p.writes, {
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

export function drainTable(trials: readonly HandoverTrial[], advertMs: number, load: string): string {
  const skew = skewTimeMs({ vrid: 51, version: 3, advertMs, priority: 100, vip: VIP, prefixLen: 24 });
  const q = (xs: (number | null)[]) => {
    const v = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
    if (!v.length) return 'n/a';
    return `${(v[0] as number).toFixed(2)} / ${median(v).toFixed(2)} / ${(v[v.length - 1] as number).toFixed(2)}`;
  };
  const lines = [
    `Drain switch (-254 written into the master's tracked file), VRRPv3 at ${advertMs} ms, backup priority 100 (Skew_Time ${skew.toFixed(2)} ms); min / median / max ms over ${trials.filter((t) => t.daemon === 'vrrpd').length} trials each, alternating; load average ${load}.`,
    '',
    '| daemon | write → priority-0 advert | priority 0 → first GARP | write → first GARP (takeover) |',
    '|---|---|---|---|',
  ];
  const med: Partial<Record<DaemonKind, number>> = {};
  for (const d of ['vrrpd', 'keepalived'] as DaemonKind[]) {
    const ts = trials.filter((t) => t.daemon === d);
    if (!ts.length) continue;
    med[d] = median(ts.map((t) => t.toPrio0).filter((x): x is number => x !== null));
    lines.push(
      `| ${d} | ${q(ts.map((t) => t.toPrio0))} | ${q(ts.map((t) => t.prio0ToGarp))} | ${q(ts.map((t) => t.toGarp))} |`,
    );
  }
  if (med.vrrpd !== undefined && med.keepalived !== undefined && med.keepalived > 0)
    lines.push(
      '',
      `write → priority 0, median vrrpd / keepalived: ${(med.vrrpd / med.keepalived).toFixed(2)}`,
    );
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
    process.stderr.write('bench/drain needs root (network namespaces)\n');
    return 2;
  }
  const o: DrainOptions = {
    trials: Number(values.trials),
    advertMs: Number(values.advert),
    daemons: String(values.daemons).split(',') as DaemonKind[],
  };
  const trials = await runDrain(o, (s) => process.stderr.write(s));
  process.stdout.write(`${drainTable(trials, o.advertMs, loadAverage())}\n`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify(trials, null, 2)}\n`);
  return 0;
}

runMain(import.meta.url, 'drain', main);
