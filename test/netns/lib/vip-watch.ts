// Where a VIP is, over time, on several hosts at once: `ip -tshort monitor address`
// in each host's namespace reports every add and delete with the kernel event's time
// (one clock for all hosts: the namespaces share the machine's), so the time a VIP
// spent on two nodes is measured from events, not from polling.
//
//   const w = await watchVip(lab, ['r1', 'r2'], '192.0.2.50');
//   ... faults ...
//   const o = w.overlaps();   // [{from, to, ms}] while the VIP was on two or more hosts
//   await w.stop();
import type { ChildProcess } from 'node:child_process';
import type { Lab } from './vrrpd.js';
import { until } from './vrrpd.js';

export interface VipEvent {
  /** event time, ms (same origin on every host) */
  t: number;
  host: string;
  present: boolean;
}

export interface Overlap {
  from: number;
  to: number;
  ms: number;
}

/** "[2026-12-03T12:17:33.332204]" → ms since the epoch, read as UTC (only differences matter). */
function stampMs(s: string): number {
  const m = /^\[(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d+)\]/.exec(s);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, se, frac] = m;
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
  return base + Number(`0.${frac}`) * 1000;
}

export interface VipWatch {
  readonly events: VipEvent[];
  /** Intervals during which the VIP was on two or more hosts (an open one ends at `until`). */
  overlaps(untilMs?: number): Overlap[];
  /** Hosts holding the VIP after the last event. */
  holders(): string[];
  /** Time of the last event, or of the watch's start. */
  lastEventAt(): number;
  stop(): Promise<void>;
}

// a marker address on lo shows that a monitor is listening (and gives its clock a reading)
const MARKER = '203.0.113.254/32';

export async function watchVip(lab: Lab, hosts: string[], vip: string): Promise<VipWatch> {
  const events: VipEvent[] = [];
  const children: ChildProcess[] = [];
  const initial = new Map<string, boolean>();
  let startedAt = 0;
  for (const host of hosts) {
    // TZ=UTC: ip prints local time, read back as UTC below
    // stdbuf -oL: ip block-buffers its output into a pipe
    const child = lab.topo.spawn(host, ['stdbuf', '-oL', 'ip', '-tshort', 'monitor', 'address'], {
      env: { ...process.env, TZ: 'UTC' },
    });
    children.push(child);
    let buf = '';
    let marked = false;
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.startsWith('[')) continue;
        const t = stampMs(line);
        if (line.includes(`inet ${MARKER.split('/')[0]}/`)) {
          marked = true;
          startedAt = Math.max(startedAt, t);
          continue;
        }
        if (!line.includes(`inet ${vip}/`)) continue;
        events.push({ t, host, present: !line.includes('] Deleted ') });
      }
    });
    // (the monitor may start a moment after the spawn: mark until it reports)
    await until(
      async () => {
        await lab.sh(host, `ip addr replace ${MARKER} dev lo && ip addr del ${MARKER} dev lo`);
        await new Promise((r) => setTimeout(r, 50));
        return marked;
      },
      10_000,
      `ip monitor on ${host} to listen`,
      20,
    );
    initial.set(host, (await lab.addresses(host)).includes(vip));
  }

  const timeline = () => [...events].sort((a, b) => a.t - b.t);
  return {
    events,
    overlaps(untilMs) {
      const on = new Map(initial);
      const out: Overlap[] = [];
      let since: number | null = [...on.values()].filter(Boolean).length > 1 ? startedAt : null;
      for (const e of timeline()) {
        on.set(e.host, e.present);
        const n = [...on.values()].filter(Boolean).length;
        if (n > 1 && since === null) since = e.t;
        else if (n <= 1 && since !== null) {
          out.push({ from: since, to: e.t, ms: e.t - since });
          since = null;
        }
      }
      if (since !== null) {
        const end = untilMs ?? Date.now();
        out.push({ from: since, to: end, ms: end - since });
      }
      return out;
    },
    holders() {
      const on = new Map(initial);
      for (const e of timeline()) on.set(e.host, e.present);
      return [...on].filter(([, v]) => v).map(([h]) => h);
    },
    lastEventAt() {
      const tl = timeline();
      return tl.length ? tl[tl.length - 1]!.t : startedAt;
    },
    async stop() {
      await Promise.all(children.map((c) => lab.topo.kill(c, 1000)));
    },
  };
}
