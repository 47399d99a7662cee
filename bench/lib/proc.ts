// CPU and memory of running processes from /proc, for the benches that set a daemon beside
// keepalived: utime+stime of every thread of a process (the `/proc/PID/stat` fields 14 and
// 15, in clock ticks) and, with nanosecond resolution, the run time of each of its threads
// (`/proc/PID/task/TID/schedstat`, first field). A process that has exited reads as absent.
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: the unit of /proc/PID/stat's times on every Linux architecture vrrpd runs on. */
export const CLOCK_TICKS_PER_S = 100;

export interface CpuReading {
  /** utime + stime, clock ticks */
  ticks: number;
  /** sum of the threads' run times, ns (threads that exited before the reading are lost) */
  runNs: number;
}

function statTicks(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // "pid (comm) state ppid ..." — comm may hold spaces: count fields after the last ')'
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // fields 14 and 15 of the whole line are indexes 11 and 12 after "pid (comm)"
  return Number(f[11]) + Number(f[12]);
}

function runNs(pid: number): number {
  let sum = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      sum += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return sum;
}

/** The CPU used so far by the given processes together. */
export function cpuOf(pids: readonly number[]): CpuReading {
  let ticks = 0;
  let ns = 0;
  for (const pid of pids) {
    ticks += statTicks(pid);
    ns += runNs(pid);
  }
  return { ticks, runNs: ns };
}

/** Percent of one core between two readings taken wallMs apart: [from ticks, from run time]. */
export function cpuPercent(a: CpuReading, b: CpuReading, wallMs: number): { ticks: number; run: number } {
  return {
    ticks: (((b.ticks - a.ticks) / CLOCK_TICKS_PER_S) * 1000 * 100) / wallMs,
    run: ((b.runNs - a.runNs) / 1e6 / wallMs) * 100,
  };
}

/** VmRSS of a process in MiB (the kernel reports kB). */
export function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** The 1-minute load average, for the tables' captions. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
