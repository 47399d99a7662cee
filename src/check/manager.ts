// Ties probes, the one scheduler and the one hysteresis together for a declarative set of
// checks. The lead maps the config model to CheckSpec; this module knows no config syntax.
// Reload: set() diffs by id, so an unchanged check keeps its state and its place in time.

import { type Clock, monotonicClock } from '../clock.js';
import type { IcmpEcho, ScriptRunner, TcpConnector } from '../effects/types.js';
import type { Log } from '../log.js';
import { type DnsProbeOptions, dnsProbe } from './dns.js';
import { type FileProbeOptions, fileProbe } from './file.js';
import { FileWatches } from './file-watch.js';
import type { HttpProbeOptions } from './http.js';
import { pooledHttpProbe } from './http-pool.js';
import {
  type HealthState,
  type HealthStateName,
  type HysteresisConfig,
  initialHealth,
  stepHealth,
  type Transition,
} from './hysteresis.js';
import { type PingProbeOptions, pingProbe } from './ping.js';
import { describeError, type Probe, type ProbeResult } from './probe.js';
import { createScheduler, type RunHandle, type Scheduler, type SchedulerJob } from './scheduler.js';
import { scriptProbe } from './script.js';
import { type SmtpProbeOptions, smtpProbe } from './smtp.js';
import { type TcpProbeOptions, tcpProbe } from './tcp.js';
import { type UdpProbeOptions, udpProbe } from './udp.js';

export type ProbeSpec =
  | ({ type: 'tcp' } & TcpProbeOptions)
  | ({ type: 'http' | 'https' } & Omit<HttpProbeOptions, 'tls' | 'timeoutMs'>)
  | {
      type: 'script';
      command: readonly string[];
      user?: string;
      group?: string;
      env?: Record<string, string>;
    }
  | ({ type: 'udp' } & UdpProbeOptions)
  | ({ type: 'dns' } & DnsProbeOptions)
  | ({ type: 'smtp' } & SmtpProbeOptions)
  | ({ type: 'ping' } & PingProbeOptions)
  | ({ type: 'file' } & FileProbeOptions);

export interface CheckSpec {
  /** stable identity across reloads, e.g. "vs 192.0.2.10:80 / rs 198.51.100.2:80" */
  id: string;
  probe: ProbeSpec;
  intervalMs: number;
  /** one attempt's limit; a script's process group is killed at it */
  timeoutMs: number;
  rise: number;
  fall: number;
  retry: number;
  retryDelayMs: number;
  alpha: boolean;
  /**
   * true: the check keeps its place in time and its state but does not probe (keepalived
   * ha_suspend: a disabled checker); a result in flight when it was suspended is dropped
   */
  suspended?: boolean;
}

export interface CheckSnapshot {
  id: string;
  type: ProbeSpec['type'];
  state: HealthStateName;
  consecutiveOk: number;
  consecutiveFail: number;
  lastResult?: ProbeResult;
  lastLatencyMs?: number;
  /** monotonic ms (the manager's clock) of the last result and the last state change */
  lastCheckAt?: number;
  lastChangeAt?: number;
  /** totals since the check was (re)created */
  checks: number;
  failures: number;
  transitions: number;
  /** attempts not run because the checker was saturated (not counted in checks); absent: 0 */
  notRun?: number;
  /** the check is suspended (CheckSpec.suspended): its state is the last one it had */
  suspended?: boolean;
}

/** pino-compatible subset */
export interface CheckManagerOptions {
  runner: ScriptRunner;
  onChange(targetId: string, transition: Transition, lastResult: ProbeResult): void;
  /** every result, for metrics */
  onResult?(targetId: string, result: ProbeResult): void;
  clock?: Clock;
  random?: () => number;
  /** per-run jitter as a fraction of the interval; default 0.05 */
  jitter?: number;
  /** probes in flight at most (file descriptors, forks); default 1000 */
  maxConcurrent?: number;
  logger?: Log;
  /** connect-only attempts for plain TCP checks (the addon's prober); absent: net.Socket */
  tcpConnector?: TcpConnector | null;
  /** ICMP/ICMPv6 echo for ping checks (the addon's raw sockets); absent: ping checks fail */
  icmpEcho?: IcmpEcho | null;
  /** builds a probe from its spec; tests inject fakes */
  probeFactory?: (spec: CheckSpec, runner: ScriptRunner) => Probe;
}

export interface SetResult {
  added: string[];
  removed: string[];
  /** probe changed: state reset */
  replaced: string[];
  /** timing or hysteresis changed: state kept */
  updated: string[];
  unchanged: string[];
}

export interface CheckManager {
  /** Declares the full set of checks; throws CHECK_INVALID (nothing applied) on a bad spec. */
  set(checks: readonly CheckSpec[]): SetResult;
  snapshot(): CheckSnapshot[];
  get(id: string): CheckSnapshot | undefined;
  stop(): void;
}

/** Extra time a script gets past its own timeout: the runner kills the group and reports first. */
const SCRIPT_DEADLINE_SLACK_MS = 2000;
/** "check not run" is logged at most this often (at 10,000 checks/s it could flood) */
const NOT_RUN_LOG_EVERY_MS = 10_000;

/** `connector`: for plain TCP checks (tcp.ts); null: net.Socket. */
export function buildProbe(
  spec: CheckSpec,
  runner: ScriptRunner,
  connector: TcpConnector | null = null,
  icmp: IcmpEcho | null = null,
): Probe {
  const p = spec.probe;
  switch (p.type) {
    case 'tcp': {
      const { type: _t, ...o } = p;
      return tcpProbe(o, connector);
    }
    case 'http':
    case 'https': {
      const { type, ...o } = p;
      // in the HTTP check threads (http-pool.ts) when the build has them
      return pooledHttpProbe({ ...o, tls: type === 'https' }, spec.timeoutMs);
    }
    case 'script': {
      const o: Parameters<typeof scriptProbe>[0] = { runner, command: p.command, timeoutMs: spec.timeoutMs };
      if (p.user !== undefined) o.user = p.user;
      if (p.group !== undefined) o.group = p.group;
      if (p.env) o.env = p.env;
      return scriptProbe(o);
    }
    case 'udp': {
      const { type: _t, ...o } = p;
      return udpProbe(o);
    }
    case 'dns': {
      const { type: _t, ...o } = p;
      return dnsProbe(o);
    }
    case 'smtp': {
      const { type: _t, ...o } = p;
      return smtpProbe(o);
    }
    case 'ping': {
      const { type: _t, ...o } = p;
      return pingProbe(o, icmp);
    }
    case 'file': {
      const { type: _t, ...o } = p;
      return fileProbe(o);
    }
  }
}

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'CHECK_INVALID' });
}

export function validateCheckSpec(c: CheckSpec): void {
  const where = `check '${c.id}'`;
  if (typeof c.id !== 'string' || c.id === '') throw invalid('a check needs a non-empty id');
  const positive = (n: number, name: string) => {
    if (!Number.isFinite(n) || n <= 0)
      throw invalid(`${where}: ${name} must be a positive number of ms, got ${n}`);
  };
  positive(c.intervalMs, 'interval');
  positive(c.timeoutMs, 'timeout');
  if (!Number.isFinite(c.retryDelayMs) || c.retryDelayMs < 0) {
    throw invalid(`${where}: retry_delay must be 0 or more ms, got ${c.retryDelayMs}`);
  }
  for (const [name, n, min] of [
    ['rise', c.rise, 1],
    ['fall', c.fall, 1],
    ['retry', c.retry, 0],
  ] as const) {
    if (!Number.isInteger(n) || n < min)
      throw invalid(`${where}: ${name} must be an integer ≥ ${min}, got ${n}`);
  }
  const p = c.probe;
  if (p.type === 'script') {
    if (!Array.isArray(p.command) || p.command.length === 0)
      throw invalid(`${where}: script command is empty`);
  } else if (p.type === 'file') {
    if (typeof p.path !== 'string' || p.path === '') throw invalid(`${where}: file check needs a path`);
  } else if (p.type === 'ping') {
    if (!p.host) throw invalid(`${where}: ping check needs a host`);
  } else if (!p.host || !Number.isInteger(p.port) || p.port < 1 || p.port > 65535) {
    throw invalid(`${where}: ${p.type} check needs a host and a port 1-65535`);
  }
}

/** JSON with sorted keys, so equal specs compare equal whatever their key order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => {
    if (val && typeof val === 'object' && !Array.isArray(val) && !Buffer.isBuffer(val)) {
      const o = val as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o)
          .sort()
          .map((k) => [k, o[k]]),
      );
    }
    return val;
  });
}

interface Entry {
  spec: CheckSpec;
  probeKey: string;
  probe: Probe;
  cfg: HysteresisConfig;
  health: HealthState;
  lastResult?: ProbeResult;
  lastCheckAt?: number;
  lastChangeAt?: number;
  checks: number;
  failures: number;
  transitions: number;
  /** attempts that never reached the target (ProbeResult.notRun) */
  notRun: number;
  removed: boolean;
  /** callback-form runs: the scheduler's done for the run in flight */
  schedDone: ((delay: number | undefined) => void) | undefined;
  /** callback-form runs: the probe's done, made once per entry rather than once per run */
  probeDone: (result: ProbeResult) => void;
}

export function createCheckManager(opts: CheckManagerOptions): CheckManager {
  const clock = opts.clock ?? monotonicClock;
  const connector = opts.tcpConnector ?? null;
  const icmp = opts.icmpEcho ?? null;
  const factory =
    opts.probeFactory ??
    ((spec: CheckSpec, runner: ScriptRunner) => buildProbe(spec, runner, connector, icmp));
  const schedOpts: Parameters<typeof createScheduler>[0] = { clock };
  if (opts.random) schedOpts.random = opts.random;
  if (opts.jitter !== undefined) schedOpts.jitter = opts.jitter;
  if (opts.maxConcurrent !== undefined) schedOpts.maxConcurrent = opts.maxConcurrent;
  const scheduler: Scheduler = createScheduler(schedOpts);
  const entries = new Map<string, Entry>();
  let lastNotRunLog = Number.NEGATIVE_INFINITY;
  // file checks run at once when inotify reports their file changed (file-watch.ts)
  const fileWatches = new FileWatches((id) => scheduler.runSoon(id), opts.logger);

  function hysteresisOf(s: CheckSpec): HysteresisConfig {
    return { rise: s.rise, fall: s.fall, retry: s.retry, alpha: s.alpha };
  }

  function newEntry(spec: CheckSpec, probeKey: string): Entry {
    const cfg = hysteresisOf(spec);
    const e: Entry = {
      spec,
      probeKey,
      probe: factory(spec, opts.runner),
      cfg,
      health: initialHealth(cfg),
      checks: 0,
      failures: 0,
      transitions: 0,
      notRun: 0,
      removed: false,
      schedDone: undefined,
      probeDone: (result) => {
        const done = e.schedDone;
        e.schedDone = undefined;
        let delay: number | undefined;
        try {
          delay = record(e, null, result);
        } catch {
          // as a rejected run: the regular interval (a logger that throws must not stop checks)
          delay = undefined;
        }
        done?.(delay);
      },
    };
    return e;
  }

  function jobFor(e: Entry): SchedulerJob {
    const s = e.spec;
    const job: SchedulerJob = {
      intervalMs: s.intervalMs,
      timeoutMs:
        s.probe.type === 'script'
          ? s.timeoutMs + SCRIPT_DEADLINE_SLACK_MS
          : s.timeoutMs + (e.probe.deadlineSlackMs ?? 0),
      // suspended: the turn comes and goes without a probe, as keepalived's disabled checker
      run: s.suspended ? () => Promise.resolve(undefined) : (signal) => runOnce(e, signal),
    };
    if (e.probe.start && !s.suspended) job.start = (done) => startOnce(e, done);
    return job;
  }

  /** The callback form of runOnce (probes with start()): no promise, no signal per run. */
  function startOnce(e: Entry, done: (delay: number | undefined) => void): RunHandle {
    e.schedDone = done;
    try {
      return e.probe.start!(e.probeDone);
    } catch (err) {
      const result: ProbeResult = { ok: false, reason: describeError(err), latencyMs: 0 };
      queueMicrotask(() => e.probeDone(result));
      return { abort() {} };
    }
  }

  function runOnce(e: Entry, signal: AbortSignal): Promise<number | undefined> {
    const started = clock.now();
    const elapsed = () => clock.now() - started;
    // One promise per run on the hot path (a plain check settles on abort by itself).
    if (e.probe.settlesOnAbort) {
      let p: Promise<ProbeResult>;
      try {
        p = e.probe(signal);
      } catch (err) {
        p = Promise.resolve({ ok: false, reason: describeError(err), latencyMs: elapsed() });
      }
      return p.then(
        (result) => record(e, signal, result),
        (err: unknown) => record(e, signal, { ok: false, reason: describeError(err), latencyMs: elapsed() }),
      );
    }
    return guarded(e.probe, signal, elapsed).then((result) => record(e, signal, result));
  }

  /** signal: null for callback-form runs, which the manager only stops after marking e.removed */
  function record(e: Entry, signal: AbortSignal | null, result: ProbeResult): number | undefined {
    if (e.removed || e.spec.suspended || (signal?.aborted && isStop(signal.reason))) return undefined;
    if (!result.ok && result.notRun) {
      // never reached the server (http-pool.ts): no step of rise or fall; the next turn
      e.notRun++;
      const now = clock.now();
      if (now - lastNotRunLog >= NOT_RUN_LOG_EVERY_MS) {
        lastNotRunLog = now;
        opts.logger?.warn(
          { check: e.spec.id, reason: result.reason },
          'check not run: its checker is saturated',
        );
      }
      return undefined;
    }
    e.lastResult = result;
    e.lastCheckAt = clock.now();
    e.checks++;
    if (!result.ok) e.failures++;
    const out = stepHealth(e.cfg, e.health, result.ok ? { ok: true } : { ok: false, reason: result.reason });
    e.health = out.health;
    const id = e.spec.id;
    if (out.transition) {
      e.transitions++;
      e.lastChangeAt = e.lastCheckAt;
      const t = out.transition;
      const log: Record<string, unknown> = { check: id, from: t.from, to: t.to, reason: t.reason };
      if (result.detail) log.output = result.detail.slice(0, 512);
      opts.logger?.info(log, `check ${id}: ${t.from} → ${t.to}`);
      try {
        opts.onChange(id, t, result);
      } catch (err) {
        opts.logger?.warn({ check: id, err: describeError(err) }, 'health change handler failed');
      }
    }
    if (opts.onResult) {
      try {
        opts.onResult(id, result);
      } catch {
        // metrics must never stop checking
      }
    }
    return out.retry ? e.spec.retryDelayMs : undefined;
  }

  return {
    set(checks) {
      const seen = new Set<string>();
      for (const c of checks) {
        validateCheckSpec(c);
        if (seen.has(c.id)) throw invalid(`check '${c.id}' is declared twice`);
        seen.add(c.id);
      }
      const res: SetResult = { added: [], removed: [], replaced: [], updated: [], unchanged: [] };
      for (const [id, e] of entries) {
        if (seen.has(id)) continue;
        e.removed = true;
        entries.delete(id);
        scheduler.remove(id);
        res.removed.push(id);
      }
      for (const spec of checks) {
        const probeKey = canonical(spec.probe);
        const old = entries.get(spec.id);
        if (!old) {
          const e = newEntry(spec, probeKey);
          entries.set(spec.id, e);
          scheduler.add(spec.id, jobFor(e));
          res.added.push(spec.id);
        } else if (old.probeKey !== probeKey) {
          // A different target or probe: its history says nothing about the new one.
          old.removed = true;
          scheduler.remove(spec.id);
          const e = newEntry(spec, probeKey);
          entries.set(spec.id, e);
          scheduler.add(spec.id, jobFor(e));
          res.replaced.push(spec.id);
        } else if (canonical(old.spec) !== canonical(spec)) {
          old.spec = spec;
          old.cfg = hysteresisOf(spec);
          // the timeout is inside scripts' probes and pooled HTTP probes
          if (spec.probe.type === 'script' || old.probe.deadlineSlackMs !== undefined)
            old.probe = factory(spec, opts.runner);
          scheduler.update(spec.id, jobFor(old));
          res.updated.push(spec.id);
        } else {
          res.unchanged.push(spec.id);
        }
      }
      const files = new Map<string, string>();
      for (const spec of checks) if (spec.probe.type === 'file') files.set(spec.id, spec.probe.path);
      fileWatches.set(files);
      return res;
    },
    snapshot() {
      return [...entries.values()].map(snap);
    },
    get(id) {
      const e = entries.get(id);
      return e ? snap(e) : undefined;
    },
    stop() {
      for (const e of entries.values()) e.removed = true;
      fileWatches.stop();
      scheduler.stop();
    },
  };
}

function snap(e: Entry): CheckSnapshot {
  const s: CheckSnapshot = {
    id: e.spec.id,
    type: e.spec.probe.type,
    state: e.health.state,
    consecutiveOk: e.health.consecutiveOk,
    consecutiveFail: e.health.consecutiveFail,
    checks: e.checks,
    failures: e.failures,
    transitions: e.transitions,
  };
  if (e.notRun) s.notRun = e.notRun;
  if (e.spec.suspended) s.suspended = true;
  if (e.lastResult) {
    s.lastResult = e.lastResult;
    s.lastLatencyMs = e.lastResult.latencyMs;
  }
  if (e.lastCheckAt !== undefined) s.lastCheckAt = e.lastCheckAt;
  if (e.lastChangeAt !== undefined) s.lastChangeAt = e.lastChangeAt;
  return s;
}

function isStop(reason: unknown): boolean {
  return (reason as { code?: string } | undefined)?.code === 'CHECK_STOPPED';
}

/** Runs a foreign probe so that it always settles: on abort at once; a rejection becomes a failure. */
function guarded(probe: Probe, signal: AbortSignal, elapsed: () => number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve(r);
    };
    // Give the probe's own abort handling (which names the target) a turn before the fallback.
    const onAbort = () =>
      setImmediate(() => settle({ ok: false, reason: describeError(signal.reason), latencyMs: elapsed() }));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    let p: Promise<ProbeResult>;
    try {
      p = probe(signal);
    } catch (err) {
      return settle({ ok: false, reason: describeError(err), latencyMs: elapsed() });
    }
    p.then(settle, (err: unknown) => settle({ ok: false, reason: describeError(err), latencyMs: elapsed() }));
  });
}
