// track_processes (keepalived vrrp_track_process): the matching processes are counted
// from an initial /proc scan, then kept up to date from the kernel's process events
// (fork: a child of a counted process counts for the same trackers, as keepalived does;
// exec and comm: the process is looked at again; exit: it no longer counts). Without the
// connector, /proc is read again every FALLBACK_SCAN_MS, and the log says so. Each
// tracker's quorum (count within quorum..quorum_max) goes to the VRRP engine, after
// fork_delay when gained and terminate_delay when lost.
import { readdirSync, readFileSync } from 'node:fs';
import type { Clock } from '../clock.js';
import type { Config, TrackProcess } from '../config/model.js';
import type { TrackProcessStatus } from '../control/snapshot.js';
import type { OpenProcEvents, ProcEvent, ProcEventSource } from '../effects/types.js';
import type { Log } from '../log.js';
import { type ProcessInfo, parseStat, processMatches, splitCmdline } from './process-match.js';

/** How often /proc is read when the process connector is not available. */
export const FALLBACK_SCAN_MS = 500;

interface Tracker {
  spec: TrackProcess;
  reported: boolean | null;
  timer: unknown;
  /** the state the running timer leads to */
  timerTo: boolean | null;
}

export class TrackProcesses {
  private trackers = new Map<string, Tracker>();
  /** pid → names of the trackers it counts for */
  private pids = new Map<number, Set<string>>();
  private counts = new Map<string, number>();
  private source: ProcEventSource | null = null;
  private fallbackTimer: unknown = null;
  private stopped = false;
  private mode: 'events' | 'scan' | 'off' = 'off';

  constructor(
    private config: Config,
    private readonly log: Log,
    private readonly onQuorum: (name: string, ok: boolean) => void,
    private readonly clock: Clock,
    private readonly openEvents: OpenProcEvents | null,
    private readonly procRoot = '/proc',
  ) {}

  private specs(): TrackProcess[] {
    return Object.values(this.config.trackProcesses ?? {});
  }

  async start(): Promise<void> {
    this.syncTrackers();
    if (this.trackers.size === 0) return;
    await this.listen();
  }

  private async listen(): Promise<void> {
    if (this.mode !== 'off') return;
    this.mode = 'scan';
    if (this.openEvents) {
      try {
        const source = await this.openEvents((e) => this.onEvent(e), {
          initialNetns: this.config.processEventsNetns ?? '/proc/1/ns/net',
        });
        if (this.stopped) {
          source.close();
          return;
        }
        this.source = source;
        this.mode = 'events';
        this.log.info(
          { event: 'track-process-events', where: source.where },
          `track_process: following the kernel's process events (${source.where})`,
        );
      } catch (err) {
        this.log.warn(
          {
            event: 'track-process-fallback',
            err: String((err as Error)?.message ?? err),
            everyMs: FALLBACK_SCAN_MS,
          },
          `track_process: the kernel's process connector is not available (${String((err as Error)?.message ?? err)}): reading /proc every ${FALLBACK_SCAN_MS} ms instead`,
        );
      }
    }
    if (this.stopped) return;
    this.scan();
    if (this.mode === 'scan') this.armFallback();
  }

  private armFallback(): void {
    this.fallbackTimer = this.clock.setTimer(() => {
      this.fallbackTimer = null;
      if (this.stopped) return;
      this.scan();
      this.armFallback();
    }, FALLBACK_SCAN_MS);
  }

  /** Reload: trackers added, changed or removed; the processes are counted again when any changed. */
  setConfig(config: Config): void {
    const before = JSON.stringify(this.config.trackProcesses ?? {});
    this.config = config;
    if (JSON.stringify(config.trackProcesses ?? {}) === before) return;
    this.syncTrackers();
    if (this.trackers.size === 0) return;
    if (this.mode === 'off') void this.listen();
    else this.scan();
  }

  private syncTrackers(): void {
    const next = new Map<string, Tracker>();
    for (const spec of this.specs()) {
      const old = this.trackers.get(spec.name);
      if (old) {
        old.spec = spec;
        next.set(spec.name, old);
      } else next.set(spec.name, { spec, reported: null, timer: null, timerTo: null });
    }
    for (const [name, t] of this.trackers) if (!next.has(name)) this.cancel(t);
    this.trackers = next;
  }

  stop(): void {
    this.stopped = true;
    this.source?.close();
    this.source = null;
    if (this.fallbackTimer !== null) this.clock.clearTimer(this.fallbackTimer);
    this.fallbackTimer = null;
    for (const t of this.trackers.values()) this.cancel(t);
  }

  /** How it follows processes now: the connector, the /proc fallback, or not at all. */
  get following(): 'events' | 'scan' | 'off' {
    return this.mode;
  }

  private readInfo(pid: number): ProcessInfo | null {
    let stat: { comm: string; state: string } | null;
    try {
      stat = parseStat(readFileSync(`${this.procRoot}/${pid}/stat`, 'utf8'));
    } catch {
      return null; // gone already
    }
    if (!stat) return null;
    let argv: string[] = [];
    if ([...this.trackers.values()].some((t) => t.spec.fullCommand)) {
      try {
        argv = splitCmdline(readFileSync(`${this.procRoot}/${pid}/cmdline`));
      } catch {
        return null;
      }
    }
    return { comm: stat.comm, argv, zombie: stat.state === 'Z' };
  }

  private classify(pid: number): Set<string> {
    const names = new Set<string>();
    const info = this.readInfo(pid);
    if (!info) return names;
    for (const t of this.trackers.values()) if (processMatches(t.spec, info)) names.add(t.spec.name);
    return names;
  }

  /** Counts every process again (start, reload, lost events, the fallback's interval). */
  scan(): void {
    const pids = new Map<number, Set<string>>();
    let list: string[] = [];
    try {
      list = readdirSync(this.procRoot);
    } catch (err) {
      this.log.error(
        { event: 'track-process-scan', err: String(err) },
        `track_process: cannot read ${this.procRoot}`,
      );
    }
    for (const d of list) {
      if (!/^[0-9]+$/.test(d)) continue;
      const names = this.classify(Number(d));
      if (names.size) pids.set(Number(d), names);
    }
    this.pids = pids;
    this.recount();
  }

  private onEvent(e: ProcEvent): void {
    if (this.stopped) return;
    if (e.type === 'lost') {
      this.log.warn(
        { event: 'track-process-lost' },
        'track_process: process events were lost: reading /proc again',
      );
      this.scan();
      return;
    }
    let changed = false;
    if (e.type === 'fork') {
      const parent = this.pids.get(e.parentPid);
      if (parent?.size) {
        this.pids.set(e.childPid, new Set(parent));
        changed = true;
      }
    } else if (e.type === 'exit') {
      changed = this.pids.delete(e.pid);
    } else {
      const names = this.classify(e.pid);
      const old = this.pids.get(e.pid);
      if (names.size) this.pids.set(e.pid, names);
      else this.pids.delete(e.pid);
      changed = (old?.size ?? 0) !== 0 || names.size !== 0;
    }
    if (changed) this.recount();
  }

  private recount(): void {
    const counts = new Map<string, number>();
    for (const names of this.pids.values()) for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
    this.counts = counts;
    for (const t of this.trackers.values()) this.evaluate(t);
  }

  private inQuorum(t: Tracker): boolean {
    const n = this.counts.get(t.spec.name) ?? 0;
    return n >= t.spec.quorum && n <= t.spec.quorumMax;
  }

  private cancel(t: Tracker): void {
    if (t.timer !== null) this.clock.clearTimer(t.timer);
    t.timer = null;
    t.timerTo = null;
  }

  private evaluate(t: Tracker): void {
    const want = this.inQuorum(t);
    if (t.reported === null) {
      this.report(t, want); // the first count: no delay
      return;
    }
    if (want === t.reported) {
      this.cancel(t);
      return;
    }
    if (t.timerTo === want) return;
    this.cancel(t);
    const delay = want ? t.spec.forkDelayMs : t.spec.terminateDelayMs;
    if (delay <= 0) {
      this.report(t, want);
      return;
    }
    t.timerTo = want;
    t.timer = this.clock.setTimer(() => {
      t.timer = null;
      t.timerTo = null;
      if (!this.stopped && this.trackers.get(t.spec.name) === t && this.inQuorum(t) !== t.reported)
        this.report(t, this.inQuorum(t));
    }, delay);
  }

  private report(t: Tracker, ok: boolean): void {
    const first = t.reported === null;
    t.reported = ok;
    const processes = this.counts.get(t.spec.name) ?? 0;
    this.log.info(
      { event: 'track-process', tracker: t.spec.name, processes, quorum: ok },
      `track_process ${t.spec.name}: ${processes} process${processes === 1 ? '' : 'es'}, quorum ${ok ? (first ? 'present' : 'gained') : first ? 'absent' : 'lost'}`,
    );
    this.onQuorum(t.spec.name, ok);
  }

  /** For `vrrpd status`. */
  snapshot(): TrackProcessStatus[] {
    return [...this.trackers.values()].map((t) => ({
      name: t.spec.name,
      processes: this.counts.get(t.spec.name) ?? 0,
      quorum: t.reported,
      pending: t.timer !== null,
      weight: t.spec.weight,
    }));
  }
}
