// One VRRP router of a test or bench topology, whatever implements it: our vrrpd, the
// Debian keepalived 2.2.7 or FRR 8.4's vrrpd. Each kind has its own module that writes its
// configuration into a per-run temp directory and starts it by hand inside the host's
// namespace (never as a system service); this file holds what they share.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { Topology } from '../../helpers/netns.js';

export type RouterKind = 'vrrpd' | 'keepalived' | 'frr';

/** What every implementation is configured with (one virtual router, one VIP). */
export interface RouterSpec {
  vrid: number;
  version: 2 | 3;
  /** 1-254 (255 = address owner) */
  priority: number;
  /** v2: whole seconds; v3: multiples of 10 ms */
  advertMs: number;
  /** address without prefix; its family is the instance's family */
  vip: string;
  prefixLen: number;
  /** default 'eth0' */
  iface?: string;
  /** keepalived only: more lines for its vrrp_instance block (keepalived.conf syntax) */
  keepalivedExtra?: string[];
  /** vrrpd only: more keys for its instance (YAML lines, `key: value`) */
  vrrpdExtra?: string[];
  /** a tracked file (keepalived vrrp_track_file, vrrpd track_files) of weight 1 for the instance */
  trackFile?: string;
}

export interface Router {
  readonly kind: RouterKind;
  readonly host: string;
  readonly spec: RouterSpec;
  /** Starts the router and resolves once it is running (it may still be in its first state). */
  start(): Promise<void>;
  /**
   * Stops the router. SIGTERM: the graceful path (priority-0 advert, RFC 5798 §6.4.3);
   * SIGKILL: a crash of the process that sends the adverts. Resolves when it has exited.
   */
  stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** PID of the process that sends the adverts (the one a crash test kills). */
  advertPid(): number;
  /** Whether this router currently answers for the VIP (address present / macvlan not protodown). */
  holdsVip(): Promise<boolean>;
  readonly running: boolean;
  /** Everything the router printed, for failure messages. */
  logs(): string;
  /** Stops whatever is still running and removes what start() created outside the temp dir. */
  cleanup(): Promise<void>;
}

export const ifaceOf = (spec: RouterSpec): string => spec.iface ?? 'eth0';
export const familyOf = (spec: RouterSpec): 4 | 6 => (spec.vip.includes(':') ? 6 : 4);

/** Whether `ip addr show dev IFACE` in the host's namespace lists the address. */
export async function addressPresent(
  topo: Topology,
  host: string,
  dev: string,
  addr: string,
): Promise<boolean> {
  const r = await topo.exec(host, ['ip', '-o', 'addr', 'show', 'dev', dev], { allowFail: true });
  return r.stdout.split('\n').some((l) => l.includes(` ${addr}/`));
}

/** Polls until cond() is true; throws with what() in the message after timeoutMs. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: () => string,
  stepMs = 20,
): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Collects a child's stdout+stderr (bounded) for failure messages. */
export function collectOutput(child: ChildProcess, maxChars = 200_000): () => string {
  let out = '';
  const add = (d: Buffer) => {
    out += d.toString();
    if (out.length > maxChars) out = out.slice(-maxChars);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => out;
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves when the child has exited (at once if it already has). */
export function waitExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`pid ${child.pid} did not exit within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/**
 * Whether a PID is alive, for processes we started but that are not our direct child.
 * A zombie counts as gone (an orphan may wait a while for a reaper in a container).
 */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ...": the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function readPidFile(path: string): number | null {
  if (!existsSync(path)) return null;
  const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
  return Number.isFinite(n) && n > 0 ? n : null;
}

export function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
