// vrrp_startup_delay, vrrpd beside keepalived (Debian 2.2.7) in the same run: from the
// process being started to its first advert on the wire, for a lone router (priority 150,
// VRRPv3 at 100 ms) configured with `vrrp_startup_delay D`. Both hold their instance for D
// and then wait one Master_Down_Interval (3 × 100 ms + Skew_Time) before the first advert,
// so "beyond" = first advert − start − D − Master_Down_Interval is each daemon's own start
// cost (process start, config read, sockets), which the delay does not hide.
//
//   npm run build && node dist/bench/startup-delay.js [--trials 5] [--delay 2]
//        [--daemons vrrpd,keepalived]
//
// Root only. Each daemon has its own namespace; trials alternate between the two daemons.
// Clock: tcpdump (ns, CLOCK_REALTIME) in the router's namespace timestamps the adverts; the
// start time is the bench's CLOCK_REALTIME read right before spawn(2).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTopology, type Topology } from '../src/lab/netns.js';
import { readPcap, splitEthernet } from '../test/helpers/pcap.js';
import { type Capture, startCapture } from '../test/netns/peers/capture.js';
import { addressPresent, exited, signalPid, waitExit, waitFor } from '../test/netns/peers/router.js';
import { runMain } from './lib/main.js';
import { loadAverage, median } from './lib/proc.js';

type DaemonKind = 'vrrpd' | 'keepalived';
const VIP = '192.0.2.50';
const ADVERT_MS = 100;
const PRIORITY = 150;
/** RFC 5798 §6.1: 3 × Master_Adver_Interval + Skew_Time ((256 − priority) × interval / 256) */
export const MASTER_DOWN_MS = 3 * ADVERT_MS + ((256 - PRIORITY) * ADVERT_MS) / 256;

export interface StartTrial {
  daemon: DaemonKind;
  /** start → first advert, ms (null: none captured) */
  toFirst: number | null;
}

const realtimeMs = (): number => performance.timeOrigin + performance.now();

function configFor(daemon: DaemonKind, dir: string, delayS: number): string[] {
  if (daemon === 'vrrpd') {
    const file = join(dir, 'vrrpd.yaml');
    writeFileSync(
      file,
      [
        'global:',
        `  control_socket: ${join(dir, 'vrrpd.sock')}`,
        `  vrrp_startup_delay: ${delayS}s`,
        'vrrp_instances:',
        '  - name: VI_1',
        '    interface: eth0',
        '    vrid: 51',
        '    version: 3',
        `    priority: ${PRIORITY}`,
        `    advert_interval: ${ADVERT_MS}ms`,
        `    virtual_ips: [${VIP}/24]`,
        '',
      ].join('\n'),
    );
    return [process.execPath, new URL('../src/cli/main.js', import.meta.url).pathname, 'run', '-c', file];
  }
  const file = join(dir, 'keepalived.conf');
  writeFileSync(
    file,
    `global_defs {\n  router_id a\n  vrrp_startup_delay ${delayS}\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n  version 3\n  priority ${PRIORITY}\n  advert_int ${(ADVERT_MS / 1000).toFixed(2)}\n  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`,
  );
  return [
    'keepalived',
    '--vrrp',
    '--dont-fork',
    '--log-console',
    '--dont-respawn',
    '-f',
    file,
    '-p',
    join(dir, 'keepalived.pid'),
    '-r',
    join(dir, 'keepalived.vrrp.pid'),
  ];
}

/** The first advert with a priority other than 0 at or after each start time. */
export function firstAdverts(pcapFile: string, starts: readonly number[]): (number | null)[] {
  const adverts: number[] = [];
  for (const f of readPcap(pcapFile).frames) {
    const eth = splitEthernet(f.data);
    if (eth?.etherType !== 0x0800) continue;
    const p = eth.payload;
    if (p.length < 24 || p[9] !== 112) continue;
    const ihl = ((p[0] ?? 0x45) & 0x0f) * 4;
    if (p[ihl + 2] === 0) continue;
    adverts.push(f.tsSec * 1000 + f.tsNsec / 1e6);
  }
  return starts.map((s) => {
    const a = adverts.find((t) => t >= s);
    return a === undefined ? null : a - s;
  });
}

interface Side {
  daemon: DaemonKind;
  topo: Topology;
  dir: string;
  cap: Capture;
  pcap: string;
  starts: number[];
}

export async function runStartupDelay(
  o: { trials: number; delayS: number; daemons: DaemonKind[] },
  log: (s: string) => void = () => {},
): Promise<StartTrial[]> {
  const base = mkdtempSync(join(tmpdir(), 'vrrpd-bench-startup-'));
  const sides: Side[] = [];
  const out: StartTrial[] = [];
  try {
    for (const daemon of o.daemons) {
      const topo = await createTopology({ hosts: ['a'], prefix: `vs${process.pid % 100000}${daemon[0]}-` });
      const d = mkdtempSync(join(base, `${daemon}-`));
      const pcap = join(d, 'adverts.pcap');
      const cap = await startCapture(topo, 'a', pcap, 'ip proto 112');
      sides.push({ daemon, topo, dir: d, cap, pcap, starts: [] });
    }
    for (let t = 0; t < o.trials; t++) {
      const order = t % 2 === 0 ? sides : [...sides].reverse();
      for (const s of order) {
        log(`startup-delay ${s.daemon} trial ${t + 1}/${o.trials}\n`);
        const argv = configFor(s.daemon, s.dir, o.delayS);
        const at = realtimeMs();
        const child: ChildProcess = s.topo.spawn('a', argv);
        s.starts.push(at);
        try {
          await waitFor(
            () => exited(child) || addressPresent(s.topo, 'a', 'eth0', VIP),
            o.delayS * 1000 + 15_000,
            () => `${s.daemon} to become master`,
            10,
          );
        } finally {
          signalPid(child.pid ?? 0, 'SIGTERM');
          await waitExit(child, 10_000).catch(() => s.topo.kill(child, 2000));
        }
        // its priority-0 advert is not a first advert; let the capture see it go by
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    for (const s of sides) {
      await s.cap.stop();
      for (const toFirst of firstAdverts(s.pcap, s.starts)) out.push({ daemon: s.daemon, toFirst });
    }
    return out;
  } finally {
    for (const s of sides) {
      await s.cap.stop().catch(() => {});
      await s.topo.cleanup();
    }
    rmSync(base, { recursive: true, force: true });
  }
}

export function startupDelayTable(trials: readonly StartTrial[], delayS: number, load: string): string {
  const floor = delayS * 1000 + MASTER_DOWN_MS;
  const q = (xs: number[]) =>
    xs.length ? `${xs[0]!.toFixed(1)} / ${median(xs).toFixed(1)} / ${xs[xs.length - 1]!.toFixed(1)}` : 'n/a';
  const lines = [
    `vrrp_startup_delay ${delayS} s, VRRPv3 at ${ADVERT_MS} ms, priority ${PRIORITY} alone (Master_Down_Interval ${MASTER_DOWN_MS.toFixed(1)} ms); min / median / max ms over ${trials.filter((t) => t.daemon === 'vrrpd').length} trials each, alternating; load average ${load}.`,
    '',
    '| daemon | start → first advert | beyond delay + Master_Down_Interval | adverts before delay + Master_Down |',
    '|---|---|---|---:|',
  ];
  const medians: Partial<Record<DaemonKind, number>> = {};
  for (const d of ['vrrpd', 'keepalived'] as DaemonKind[]) {
    const ts = trials.filter((t) => t.daemon === d);
    if (!ts.length) continue;
    const v = ts.map((t) => t.toFirst).filter((x): x is number => x !== null);
    v.sort((a, b) => a - b);
    const beyond = v.map((x) => x - floor);
    if (beyond.length) medians[d] = median(beyond);
    lines.push(`| ${d} | ${q(v)} | ${q(beyond)} | ${v.filter((x) => x < floor).length} |`);
  }
  if (medians.vrrpd !== undefined && medians.keepalived !== undefined && medians.keepalived > 0)
    lines.push(
      '',
      `Ratio vrrpd / keepalived of the median beyond the delay: ${(medians.vrrpd / medians.keepalived).toFixed(2)}.`,
    );
  const missing = trials.filter((t) => t.toFirst === null).length;
  if (missing) lines.push('', `${missing} trial(s) without an advert in the capture.`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      trials: { type: 'string', default: '5' },
      delay: { type: 'string', default: '2' },
      daemons: { type: 'string', default: 'vrrpd,keepalived' },
    },
  });
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench/startup-delay needs root (network namespaces)\n');
    return 2;
  }
  const o = {
    trials: Number(values.trials),
    delayS: Number(values.delay),
    daemons: String(values.daemons).split(',') as DaemonKind[],
  };
  const trials = await runStartupDelay(o, (s) => process.stderr.write(s));
  process.stdout.write(`${startupDelayTable(trials, o.delayS, loadAverage())}\n`);
  // done when: no daemon sent an advert before the delay and Master_Down_Interval were over
  const early = trials.some((t) => t.toFirst !== null && t.toFirst < o.delayS * 1000 + MASTER_DOWN_MS);
  return early ? 1 : 0;
}

runMain(import.meta.url, 'startup-delay', main);
