// Pure parts of bench/advert-gaps.ts: the director's YAML (one VRRPv3 instance plus
// virtual servers whose real servers are checked), advert times → gap statistics, and
// /proc/<pid>/stat → CPU time. No I/O here.
import type { PcapFile } from '../../test/helpers/pcap.js';
import { splitIp } from '../../test/helpers/pcap.js';

export type CheckKind = 'tcp' | 'http';

export interface DirectorYaml {
  routerId: string;
  controlSocket: string;
  iface: string;
  vrid: number;
  advertMs: number;
  vip: string;
  /** null: no virtual servers (the idle scenario). */
  checks: null | {
    kind: CheckKind;
    /** one virtual server per port, every real server address on each */
    ports: readonly number[];
    addresses: readonly string[];
    intervalMs: number;
    timeoutMs: number;
  };
}

/** The director's config: flow-style real servers keep 10,000 of them to one line each. */
export function directorYaml(c: DirectorYaml): string {
  const out = [
    '# written by bench/advert-gaps',
    'global:',
    `  router_id: ${c.routerId}`,
    `  control_socket: ${c.controlSocket}`,
    '  log_level: info',
    'vrrp_instances:',
    '  - name: VI_1',
    `    interface: ${c.iface}`,
    `    vrid: ${c.vrid}`,
    '    version: 3',
    // alone on the segment: it becomes master after Master_Down_Interval (RFC 5798 §6.4.2)
    '    priority: 200',
    `    advert_interval: ${c.advertMs}ms`,
    `    virtual_ips: [${c.vip}/24]`,
  ];
  if (c.checks) {
    const k = c.checks;
    const check = k.kind === 'tcp' ? '{type: tcp}' : '{type: http, path: /, status: [200]}';
    out.push('virtual_servers:');
    for (const port of k.ports) {
      out.push(
        `  - address: ${c.vip}`,
        `    port: ${port}`,
        '    protocol: tcp',
        '    scheduler: rr',
        '    forwarding: nat',
        `    check_defaults: {interval: ${k.intervalMs}ms, timeout: ${k.timeoutMs}ms, rise: 1, fall: 1, retry: 0}`,
        '    real_servers:',
      );
      for (const a of k.addresses) out.push(`      - {address: ${a}, port: ${port}, check: ${check}}`);
    }
  }
  out.push('');
  return out.join('\n');
}

/** `count` host addresses: first from 198.51.100.0/24, the rest from 203.0.113.0/24 (.1 up). */
export function realAddresses(count: number): string[] {
  if (count < 1 || count > 2 * 254) throw new Error(`real address count ${count} out of 1..508`);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const half = Math.ceil(count / 2);
    out.push(i < half ? `198.51.100.${i + 1}` : `203.0.113.${i - half + 1}`);
  }
  return out;
}

/** Capture times (ms, capture clock) of VRRP packets (IP protocol 112) from srcIp. */
export function advertTimesMs(file: PcapFile, srcIp: string): number[] {
  const out: number[] = [];
  for (const f of file.frames) {
    const ip = splitIp(f.data);
    if (ip?.protocol !== 112 || ip.src !== srcIp) continue;
    out.push(f.tsSec * 1000 + f.tsNsec / 1e6);
  }
  return out.sort((a, b) => a - b);
}

export function gapsMs(times: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < times.length; i++) out.push((times[i] as number) - (times[i - 1] as number));
  return out;
}

/** Nearest-rank percentile (p in 0..100) of an unsorted list; NaN when empty. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[Math.min(rank, s.length) - 1] as number;
}

export interface GapStats {
  adverts: number;
  p50: number;
  p99: number;
  max: number;
  /** gaps longer than advert + 5 ms (the issue-6 bound) */
  over: number;
}

export function gapStats(times: readonly number[], advertMs: number): GapStats {
  const g = gapsMs(times);
  return {
    adverts: times.length,
    p50: percentile(g, 50),
    p99: percentile(g, 99),
    max: g.length ? Math.max(...g) : Number.NaN,
    over: g.filter((x) => x > advertMs + 5).length,
  };
}

/** utime + stime (clock ticks) from the text of /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat. */
export function cpuTicks(stat: string): number {
  // "pid (comm) S ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15 (proc(5)).
  return Number(rest[11]) + Number(rest[12]);
}

/** Scheduling of a thread from its stat line: 'RR 10', 'FIFO 5', or 'nice -20' / 'nice 0'. */
export function schedOf(stat: string): string {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields 19 (nice), 40 (rt_priority) and 41 (policy), counted from 1 as in proc(5)
  const nice = Number(rest[16]);
  const rtPrio = Number(rest[37]);
  const policy = Number(rest[38]);
  if (policy === 1) return `FIFO ${rtPrio}`;
  if (policy === 2) return `RR ${rtPrio}`;
  return `nice ${nice}`;
}

/** The thread's name (comm) from a stat line. */
export function commOf(stat: string): string {
  return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
}

/** Sum of checksOk + checksFailed over every real server of a `vrrpd status --json` document. */
export function checkCount(status: unknown): { ok: number; failed: number; notRun: number } {
  let ok = 0;
  let failed = 0;
  let notRun = 0;
  const vss = (status as { virtualServers?: unknown }).virtualServers;
  if (!Array.isArray(vss)) return { ok, failed, notRun };
  for (const vs of vss as Array<{
    realServers?: Array<{ checksOk?: number; checksFailed?: number; checksNotRun?: number }>;
  }>)
    for (const rs of vs.realServers ?? []) {
      ok += rs.checksOk ?? 0;
      failed += rs.checksFailed ?? 0;
      notRun += rs.checksNotRun ?? 0;
    }
  return { ok, failed, notRun };
}
