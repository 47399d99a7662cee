// down_timer_adverts (keepalived 2.4's meaning): a hung master → the backup's first advert,
// vrrpd beside keepalived (Debian 2.2.7, which has the keyword too) in the same run.
//
//   npm run build && node dist/bench/down-timer.js [--adverts 3,10] [--trials 5]
//        [--advert 100] [--daemons vrrpd,keepalived]
//
// Root only. Each daemon has its own namespaces (a = master, priority 150; b = backup,
// priority 100 with down_timer_adverts N) on its own bridge; trials alternate between the
// daemons. VRRPv3, one instance. tcpdump in b's namespace timestamps (ns) the master's last
// advert before it hangs (SIGSTOP of the process that sends adverts; SIGCONT after the
// takeover, and it preempts back) and b's first one: the gap is N × the advert interval +
// Skew_Time plus what the daemon adds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTopology, type Topology } from '../src/lab/netns.js';
import { type PcapFile, readPcap, splitEthernet } from '../test/helpers/pcap.js';
import { type Capture, startCapture } from '../test/netns/peers/capture.js';
import { createKeepalived } from '../test/netns/peers/keepalived.js';
import type { Router, RouterSpec } from '../test/netns/peers/router.js';
import { expectSoleMaster, expectTakeover, skewTimeMs } from '../test/netns/peers/scenario.js';
import { createVrrpd } from '../test/netns/peers/vrrpd.js';
import { runMain } from './lib/main.js';
import { loadAverage, median } from './lib/proc.js';

type DaemonKind = 'vrrpd' | 'keepalived';
const VIP = '192.0.2.50';

export interface DownTimerTrial {
  daemon: DaemonKind;
  adverts: number;
  /** the master's last advert → the backup's first, ms (null: not in the capture) */
  gapMs: number | null;
}

/** From b's capture: per hang time, the last advert from `master` before it and b's first after it. */
export function gaps(
  file: PcapFile,
  crashes: readonly { atMs: number }[],
  ips: { master: string; backup: string },
): (number | null)[] {
  const from = (ip: string): number[] => {
    const out: number[] = [];
    for (const f of file.frames) {
      const eth = splitEthernet(f.data);
      const p = eth?.payload;
      if (!eth || !p || eth.etherType !== 0x0800 || p.length < 20 || p[9] !== 112) continue;
      if (p.subarray(12, 16).join('.') === ip) out.push(f.tsSec * 1000 + f.tsNsec / 1e6);
    }
    return out;
  };
  const m = from(ips.master);
  const b = from(ips.backup);
  return crashes.map((c) => {
    const last = m.filter((t) => t <= c.atMs).at(-1);
    const first = b.find((t) => t > c.atMs);
    return last === undefined || first === undefined ? null : first - last;
  });
}

interface Pair {
  daemon: DaemonKind;
  adverts: number;
  topo: Topology;
  master: Router;
  backup: Router;
  cap: Capture;
  pcap: string;
  crashes: { atMs: number }[];
}

const realtimeMs = (): number => performance.timeOrigin + performance.now();

export interface DownTimerOptions {
  adverts: number[];
  trials: number;
  advertMs: number;
  daemons: DaemonKind[];
}

export async function runDownTimer(
  o: DownTimerOptions,
  log: (s: string) => void = () => {},
): Promise<DownTimerTrial[]> {
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-bench-down-timer-'));
  const out: DownTimerTrial[] = [];
  let seq = 0;
  for (const n of o.adverts) {
    const pairs: Pair[] = [];
    const spec = (priority: number, backup: boolean): RouterSpec => ({
      vrid: 51,
      version: 3,
      advertMs: o.advertMs,
      priority,
      vip: VIP,
      prefixLen: 24,
      ...(backup
        ? { vrrpdExtra: [`down_timer_adverts: ${n}`], keepalivedExtra: [`down_timer_adverts ${n}`] }
        : {}),
    });
    try {
      for (const daemon of o.daemons) {
        const topo = await createTopology({
          hosts: ['a', 'b'],
          prefix: `vd${process.pid % 100000}${daemon[0]}${seq++}-`,
        });
        const make = daemon === 'vrrpd' ? createVrrpd : createKeepalived;
        const pcap = join(dir, `${daemon}-${n}.pcap`);
        const pair: Pair = {
          daemon,
          adverts: n,
          topo,
          master: make(topo, 'a', dir, spec(150, false)),
          backup: make(topo, 'b', dir, spec(100, true)),
          cap: await startCapture(topo, 'b', pcap, 'ip proto 112'),
          pcap,
          crashes: [],
        };
        pairs.push(pair);
        await pair.backup.start();
        await pair.master.start();
      }
      for (let t = 0; t < o.trials; t++) {
        const order = t % 2 === 0 ? pairs : [...pairs].reverse();
        for (const p of order) {
          log(`down_timer_adverts ${n}: ${p.daemon} trial ${t + 1}/${o.trials}\n`);
          await expectSoleMaster(p.master, p.backup, 15_000, `${p.daemon} trial ${t + 1}`);
          await new Promise((r) => setTimeout(r, 300 + Math.random() * o.advertMs));
          // the master hangs (SIGSTOP to the process that sends its adverts) and comes back
          // after the takeover, preempting again: no restart between trials
          const pid = p.master.advertPid();
          const atMs = realtimeMs();
          process.kill(pid, 'SIGSTOP');
          p.crashes.push({ atMs });
          try {
            await expectTakeover(p.backup, 5000 + n * o.advertMs, `${p.daemon} trial ${t + 1}`);
          } finally {
            process.kill(pid, 'SIGCONT');
          }
        }
      }
      for (const p of pairs) {
        await p.cap.stop();
        const g = gaps(readPcap(p.pcap), p.crashes, {
          master: p.topo.host('a').ipv4,
          backup: p.topo.host('b').ipv4,
        });
        for (const gapMs of g) out.push({ daemon: p.daemon, adverts: n, gapMs });
      }
    } finally {
      for (const p of pairs) {
        await p.cap.stop().catch(() => {});
        await p.master.cleanup();
        await p.backup.cleanup();
        await p.topo.cleanup();
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return out;
}

export function downTimerTable(trials: readonly DownTimerTrial[], advertMs: number, load: string): string {
  const skew = skewTimeMs({ vrid: 51, version: 3, advertMs, priority: 100, vip: VIP, prefixLen: 24 });
  const stats = (xs: (number | null)[]) => {
    const v = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
    return v.length ? { min: v[0] as number, med: median(v), max: v[v.length - 1] as number } : null;
  };
  const lines = [
    `Hung master → backup's first advert, VRRPv3 at ${advertMs} ms, backup priority 100 (Skew_Time ${skew.toFixed(2)} ms); min / median / max ms, alternating trials; load average ${load}.`,
    '',
    '| down_timer_adverts | expected (N × interval + skew) | vrrpd | keepalived | vrrpd − expected (median) | keepalived − expected (median) | vrrpd / keepalived (median) |',
    '|---:|---:|---|---|---:|---:|---:|',
  ];
  for (const n of [...new Set(trials.map((t) => t.adverts))]) {
    const expected = n * advertMs + skew;
    const v = stats(trials.filter((t) => t.daemon === 'vrrpd' && t.adverts === n).map((t) => t.gapMs));
    const k = stats(trials.filter((t) => t.daemon === 'keepalived' && t.adverts === n).map((t) => t.gapMs));
    const f = (s: typeof v) =>
      s ? `${s.min.toFixed(1)} / ${s.med.toFixed(1)} / ${s.max.toFixed(1)}` : 'n/a';
    const d = (s: typeof v) => (s ? (s.med - expected).toFixed(1) : 'n/a');
    lines.push(
      `| ${n} | ${expected.toFixed(1)} | ${f(v)} | ${f(k)} | ${d(v)} | ${d(k)} | ${v && k ? (v.med / k.med).toFixed(3) : 'n/a'} |`,
    );
  }
  const missing = trials.filter((t) => t.gapMs === null).length;
  if (missing) lines.push('', `${missing} trial(s) without both adverts in the capture.`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      adverts: { type: 'string', default: '3,10' },
      trials: { type: 'string', default: '5' },
      advert: { type: 'string', default: '100' },
      daemons: { type: 'string', default: 'vrrpd,keepalived' },
    },
  });
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench/down-timer needs root (network namespaces)\n');
    return 2;
  }
  const o: DownTimerOptions = {
    adverts: String(values.adverts).split(',').map(Number),
    trials: Number(values.trials),
    advertMs: Number(values.advert),
    daemons: String(values.daemons).split(',') as DaemonKind[],
  };
  const trials = await runDownTimer(o, (s) => process.stderr.write(s));
  process.stdout.write(`${downTimerTable(trials, o.advertMs, loadAverage())}\n`);
  return 0;
}

runMain(import.meta.url, 'down-timer', main);
