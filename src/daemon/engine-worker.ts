// The main thread's side of the VRRP engine worker (ARCHITECTURE rule 7): starts the
// worker_thread, asks it for snapshots and reloads (request/answer by id, with a
// timeout), passes on its log lines and state changes, and reads its last heartbeat (shared
// memory) for the systemd watchdog.

import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { SetDiff } from '../config/diff.js';
import type { Config } from '../config/model.js';
import { VrrpdError } from '../errors.js';
import type { Log } from '../log.js';
import type { EngineSnapshot, ReloadResult } from '../vrrp/engine.js';
import type { FromWorker, ToWorker, WorkerData } from '../vrrp/worker-protocol.js';

export type StateChange = Extract<FromWorker, { type: 'state-change' }>;

export interface EngineWorkerOptions {
  /** the worker's entry module (src/vrrp/worker.ts, built) */
  url: URL;
  config: Config;
  heartbeatMs: number;
  testHooks?: boolean;
  log: Log;
  onStateChange(m: StateChange): void;
  /** the worker ended (crash or exit) while the daemon was not stopping it */
  onFailure(): void;
  /** how late the engine loop's heartbeat timer fired, in seconds (its adverts suffer the same) */
  onLateness?(seconds: number): void;
}

/** The status of an engine that is not running (no VRRP instance configured). */
export const NO_ENGINE_SNAPSHOT: EngineSnapshot = {
  instances: [],
  syncGroups: [],
  interfaceDrops: {},
  links: {},
  presentAddresses: [],
  now: 0,
};

/**
 * Snapshot requests to the VRRP thread are this far apart at least (status callers in
 * between share one answer): 50 a second at most, whatever the control socket's load.
 */
export const SNAPSHOT_MIN_GAP_MS = 20;

/** A difference this large between two readings of the wall clock's offset is a step of it. */
const WALL_STEP_MS = 1000;

export class EngineWorker {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, (m: FromWorker) => void>();
  private nextId = 1;
  private stopping = false;
  private stoppedResolve: (() => void) | null = null;
  /**
   * The worker loop's last heartbeat (WorkerData.beat): CLOCK_MONOTONIC, so a wall-clock
   * step (NTP, `date -s`) cannot make a live engine look stalled and withhold the watchdog
   */
  private beat: BigInt64Array | null = null;
  /**
   * Wall-clock ms minus the engine's clock ms (the worker's performance.now() has its own
   * origin). Fixed at the first snapshot of each worker: re-deriving it at every snapshot
   * made event times such as an instance's `since` jitter by the message round trip from
   * one status call to the next (and follow later wall-clock steps, though the event's
   * time did not change).
   */
  private engineToWall: number | null = null;

  constructor(private readonly opts: EngineWorkerOptions) {}

  /** ms since the engine loop's last heartbeat; Infinity before its first one. */
  heartbeatAgeMs(): number {
    const at = this.beat ? Atomics.load(this.beat, 0) : 0n;
    if (at === 0n) return Number.POSITIVE_INFINITY;
    return Number(process.hrtime.bigint() - at) / 1e6;
  }

  get running(): boolean {
    return this.worker !== null;
  }

  /** Starts the worker; resolves once its engine runs, rejects with exit code 2 when it cannot. */
  async start(): Promise<void> {
    this.engineToWall = null;
    const beat = new SharedArrayBuffer(8);
    this.beat = new BigInt64Array(beat);
    const data: WorkerData = {
      config: forWorker(this.opts.config),
      heartbeatMs: this.opts.heartbeatMs,
      beat,
      ...(this.opts.testHooks ? { testHooks: true } : {}),
    };
    // V8's memory reducer runs full collections whenever a heap looks idle, and the VRRP
    // thread always does: a few small allocations per advert, nothing else. With 200
    // instances those collections (and the pages they give back and fault in again) cost
    // about a third of the thread's CPU (bench/idle.ts). V8 reads the flag when it sets up
    // an isolate's heap (the worker's is set up on its own thread, after this call), so
    // the main thread's heap, set up long before, keeps its reducer.
    setFlagsFromString('--no-memory-reducer');
    // No parallel scavenge: on the VRRP thread (real-time) a young-generation collection
    // waited for V8's platform threads (normal priority) to finish the parts they took,
    // and on a busy machine those wait for a CPU: pauses of 9-26 ms on that thread, one a
    // 113 ms advert gap at 100 ms, against ≤ 2.5 ms (one of 7) without (bench/README.md,
    // "Status requests under 1,000 hammering clients"). The flag is process-wide and read
    // at each scavenge, so the main thread scavenges alone too (small, on two cores).
    // Only this one: flags that a collection in progress depends on (concurrent marking,
    // --single-threaded-gc) crash V8 when changed after start (tried: a fatal check in
    // cppgc's marker).
    setFlagsFromString('--no-parallel-scavenge');
    const worker = new Worker(this.opts.url, { workerData: data });
    this.worker = worker;
    const log = this.opts.log;
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'fatal') reject(new VrrpdError('ENGINE_FAILED', m.message, 2));
        else this.onMessage(m);
      });
      worker.on('error', (err) => {
        log.error({ event: 'engine-crashed', err: String(err) }, 'VRRP engine crashed');
        reject(new VrrpdError('ENGINE_FAILED', `VRRP engine failed: ${err.message}`, 2));
        if (!this.stopping) this.opts.onFailure();
      });
      worker.on('exit', (code) => {
        this.worker = null;
        this.stoppedResolve?.();
        if (!this.stopping) {
          log.error({ event: 'engine-exited', code }, 'VRRP engine exited unexpectedly');
          reject(new VrrpdError('ENGINE_FAILED', `VRRP engine exited with code ${code}`, 2));
        }
      });
    });
  }

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'log':
        this.opts.log[m.level](m.obj, m.msg);
        break;
      case 'lateness':
        // the heartbeat is an interval timer on the engine's own loop: how late it fired is
        // that loop's delay, which adverts suffer too
        for (const s of m.seconds) this.opts.onLateness?.(s);
        break;
      case 'state-change':
        this.opts.onStateChange(m);
        break;
      case 'snapshot':
      case 'reloaded':
        this.pending.get(m.id)?.(m);
        this.pending.delete(m.id);
        break;
      case 'stopped':
        this.stoppedResolve?.();
        break;
      default:
        break;
    }
  }

  private send(m: ToWorker): void {
    this.worker?.postMessage(m);
  }

  private ask<T extends FromWorker>(make: (id: number) => ToWorker, timeoutMs = 5000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new VrrpdError('ENGINE_TIMEOUT', 'the VRRP engine did not answer in time'));
      }, timeoutMs);
      this.pending.set(id, (m) => {
        clearTimeout(t);
        resolve(m as T);
      });
      this.send(make(id));
    });
  }

  /** A vrrp_script result, for the instances that track it. */
  scriptResult(name: string, ok: boolean): void {
    this.send({ type: 'script-result', name, ok });
  }

  /** A track_file's number or a track_process's quorum, for the instances that track it. */
  trackerValue(kind: 'file' | 'process', name: string, value: number | boolean): void {
    this.send({ type: 'tracker-value', kind, name, value });
  }

  /** The main thread now handles SIGTERM/SIGINT: the engine may hear them itself too. */
  armSignals(): void {
    this.send({ type: 'arm-signals' });
  }

  /** Test hook (WorkerData.testHooks): busy-waits the engine loop for ms. */
  stall(ms: number): void {
    this.send({ type: 'debug-stall', ms });
  }

  /**
   * The engine's status, asked of the VRRP thread at most once per SNAPSHOT_MIN_GAP_MS and
   * one request at a time: every caller waiting meanwhile shares the next answer, which the
   * thread builds after they asked (never an older one). A thousand clients asking for
   * status at once used to send a thousand requests through the thread that sends the
   * adverts, and its answers (each built and copied over) delayed them by 10–57 ms
   * (test/netns/control-abuse.test.ts; bench/README.md).
   */
  snapshot(): Promise<EngineSnapshot> {
    if (!this.worker) return Promise.resolve(NO_ENGINE_SNAPSHOT);
    this.snapshotWaiting ??= (async () => {
      await this.snapshotInFlight;
      const wait = this.snapshotAskedAt + SNAPSHOT_MIN_GAP_MS - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      // from here on a new caller asked after this request left: it waits for the next one
      this.snapshotWaiting = null;
      this.snapshotAskedAt = performance.now();
      const answer = this.askSnapshot();
      this.snapshotInFlight = answer.then(
        () => {},
        () => {},
      );
      return answer;
    })();
    return this.snapshotWaiting;
  }

  /** the next snapshot request, not yet sent (callers join it) */
  private snapshotWaiting: Promise<EngineSnapshot> | null = null;
  /** settles when the request last sent is answered (or timed out) */
  private snapshotInFlight: Promise<void> = Promise.resolve();
  private snapshotAskedAt = Number.NEGATIVE_INFINITY;

  private async askSnapshot(): Promise<EngineSnapshot> {
    if (!this.worker) return NO_ENGINE_SNAPSHOT;
    const asked = Date.now();
    const m = await this.ask<Extract<FromWorker, { type: 'snapshot' }>>((id) => ({ type: 'snapshot', id }));
    // the engine read its clock somewhere in the round trip: its middle is the best guess
    // kept while it holds (steady times in status), taken anew after a wall-clock step
    const estimate = (asked + Date.now()) / 2 - m.snapshot.now;
    if (this.engineToWall === null || Math.abs(estimate - this.engineToWall) > WALL_STEP_MS)
      this.engineToWall = estimate;
    return m.snapshot;
  }

  /** An engine clock reading as wall-clock time (valid after the first snapshot). */
  toWall(engineMs: number): Date {
    return new Date((this.engineToWall ?? 0) + engineMs);
  }

  /** The engine's slice of the reload's diff; resolves with what it did to the instances. */
  async reload(config: Config, instances: SetDiff): Promise<ReloadResult> {
    const r = await this.ask<Extract<FromWorker, { type: 'reloaded' }>>(
      (id) => ({ type: 'reload', config: forWorker(config), instances, id }),
      15000,
    );
    if (r.error || !r.result)
      throw new VrrpdError('ENGINE_RELOAD_FAILED', r.error ?? 'the VRRP engine sent no result');
    return r.result;
  }

  /** SIGTERM: the engine sends priority-0 adverts and removes its VIPs; bounded wait. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (!this.worker) return;
    const stopped = new Promise<void>((res) => {
      this.stoppedResolve = res;
    });
    this.send({ type: 'shutdown' });
    await Promise.race([stopped, new Promise((res) => setTimeout(res, timeoutMs))]);
    await this.worker?.terminate();
  }
}

/**
 * The engine's copy of the configuration, without the virtual servers (the LVS side's,
 * which the engine never reads): at 10,000 real servers they would be most of what is
 * copied to the thread at start and at each reload.
 */
function forWorker(config: Config): Config {
  return config.virtualServers.length === 0 ? config : { ...config, virtualServers: [] };
}
