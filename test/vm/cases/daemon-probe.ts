// Probes and checks of test/vm/cases/daemon-cases.ts: status/log/metrics readers, the
// advert-gap reader of the client's capture, and the guest-freeze detector that tells a
// takeover caused by the host (the guest is one host process) from one caused by vrrpd.
import { readFileSync } from 'node:fs';
import type { Snapshot } from '../../../src/control/snapshot.js';
import { type ConnReport, VIP, type World } from './daemon-world.js';

export type Phase = { problems: string[]; info: Record<string, unknown> };

export const inst = (s: Snapshot, name: string) => s.instances.find((i) => i.name === name);
export const vs80 = (s: Snapshot) => s.virtualServers.find((v) => v.key === `tcp/${VIP}:80`);
export const rs = (s: Snapshot, addr: string) => vs80(s)?.realServers.find((x) => x.address === addr);
export const stateChanges = (w: World, d: 'd1' | 'd2', instance: string) =>
  w.logLines(d).filter((l) => l.event === 'state-change' && l.instance === instance);
export const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0) : 0;
};
/** The :80 service's lines of `ipvsadm -Sn` (the :8080 one changes on purpose). */
export const service80 = async (w: World) =>
  (await w.ipvsSave())
    .split('\n')
    .filter((l) => l.includes(`${VIP}:80 `))
    .join('\n');
/**
 * Longest pause (ms) between d1's VI_1 adverts within [from, to] (epoch ms), from the
 * client's `tcpdump -l -n -tt vrrp` text in file.
 */
export function advertGap(
  file: string,
  from: number,
  to: number,
): { maxGapMs: number; at: string | null; adverts: number } {
  let last: number | null = null;
  let max = 0;
  let at: string | null = null;
  let n = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(\d+\.\d+) IP 192\.0\.2\.11 > [\d.]+: VRRPv3, Advertisement, vrid 51,/.exec(line);
    if (!m) continue;
    const t = Number(m[1]) * 1000;
    if (t < from || t > to) continue;
    n++;
    if (last !== null && t - last > max) {
      max = t - last;
      at = new Date(last).toISOString();
    }
    last = t;
  }
  return { maxGapMs: Math.round(max), at, adverts: n };
}
// Lateness of this process's own 20 ms timer: a guest-wide freeze (the guest is one host
// process; on a busy 2-core host it is descheduled now and then) shows here as well.
export const freezes: { at: number; ms: number }[] = [];
let tick = Date.now();
setInterval(() => {
  const now = Date.now();
  if (now - tick > 220) freezes.push({ at: tick, ms: now - tick });
  tick = now;
}, 20).unref();

/**
 * Why a failed round is the environment's fault, or null: the master's adverts paused on
 * the wire for longer than the backup's Master_Down_Interval (3 x 100 ms + skew, RFC 5798
 * §6.1) while this process was frozen for most of that pause too.
 */
export function frozenGuest(file: string, from: number, to: number): string | null {
  const g = advertGap(file, from - 2000, to + 2000);
  if (g.maxGapMs <= 300 || g.at === null) return null;
  const gapStart = Date.parse(g.at);
  const gapEnd = gapStart + g.maxGapMs;
  const f = freezes.find((x) => x.at < gapEnd && x.at + x.ms > gapStart && x.ms >= g.maxGapMs - 150);
  if (f) return `adverts paused ${g.maxGapMs} ms at ${g.at}; this process froze ${f.ms} ms`;
  // A starved guest also freezes in fragments: only stalls over 220 ms are recorded, so
  // when the recorded ones cover half the pause or more, the guest was starved through it.
  const frozen = freezes.reduce(
    (sum, x) => sum + Math.max(0, Math.min(gapEnd, x.at + x.ms) - Math.max(gapStart, x.at)),
    0,
  );
  return frozen >= g.maxGapMs / 2
    ? `adverts paused ${g.maxGapMs} ms at ${g.at}; this process was frozen ${frozen} ms of it in stalls over 220 ms`
    : null;
}
export const round = (x: number) => Math.round(x * 10) / 10;

/** Checks a connection report: open, every echo back (bar the one in flight), one backend. */
export function connOk(r: Phase, what: string, rep: ConnReport, minSent: number): void {
  if (rep.err || rep.closed) r.problems.push(`${what}: connection broke (${rep.err ?? 'closed'})`);
  if (rep.bad > 0) r.problems.push(`${what}: ${rep.bad} wrong or foreign echoes`);
  if (rep.sent < minSent) r.problems.push(`${what}: only ${rep.sent} lines sent`);
  if (rep.outstanding > 3 || rep.oldestOutstandingMs > 2000)
    r.problems.push(`${what}: ${rep.outstanding} echoes missing (oldest ${rep.oldestOutstandingMs} ms)`);
}

/** A metric sample's value, or null: `name{labels…} value`, labels matched as substrings. */
export function metric(text: string, name: string, ...labels: string[]): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labels.every((l) => line.includes(l))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return null;
}
