// HTTP/HTTPS checks on every core: the probes run in a few worker threads
// (http-worker.ts), while scheduling, retries and hysteresis stay in the main thread
// (scheduler.ts, manager.ts, hysteresis.ts). A check's attempt is one entry in a batched
// message to the thread that owns its target, and its result one entry in a batched
// message back; behind the Probe interface (probe.ts) nothing else changes.
//
// A connection, a TLS handshake, writing the request and parsing the response cost the
// main thread ~140 µs per check, so ~7,000 HTTP checks/s filled it while the other core
// idled (bench/checks.ts --kind http). In the threads that work is spread over the cores;
// the main thread keeps ~10 µs per check.
//
// Timeouts: an attempt's timeout (the check's) counts from when its thread starts it, not
// from when the main thread hands it over, so a healthy server is not failed because the
// threads were busy. Waiting is bounded apart: an attempt that waited in the queue longer
// than its timeout is not started and comes back as not run (ProbeResult.notRun), which
// counts toward neither rise nor fall. The scheduler's deadline, timeout + queue limit +
// DEADLINE_MARGIN_MS, is a backstop for a result that never comes back (also not run).
//
// Threads: VRRPD_HTTP_CHECK_THREADS (default: the number of CPUs this process may use,
// at most 4); 0 runs HTTP checks in the main thread as before. The threads start with the
// first HTTP check and do not keep the process alive.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type HttpProbeOptions, httpProbe, httpProbeUrl } from './http.js';
import { CheckAbort, describeError, type Probe, type ProbeResult, type ProbeRun } from './probe.js';

/**
 * One turn's requests to a thread: new targets [target, options, queue limit ms], attempts
 * [id, target, sent at], aborts [id, reason]. "Sent at" is performance.timeOrigin + now(),
 * comparable across threads.
 */
export interface PoolRequest {
  defs?: [number, HttpProbeOptions, number][];
  undefs?: number[];
  runs?: [number, number, number][];
  aborts?: [number, string][];
}

/** [id, 1, latencyMs], [id, 0, latencyMs, reason], or [id, 2, waitedMs, reason]: not run */
export type PoolResult = [number, 1, number] | [number, 0 | 2, number, string];

const MAX_THREADS = 4;
/** queue limit of an attempt whose check has no timeout */
const DEFAULT_QUEUE_LIMIT_MS = 1000;
/** the scheduler's backstop, past timeout + queue limit: time for the result to come back */
export const DEADLINE_MARGIN_MS = 1000;

/** Epoch milliseconds with sub-ms precision, comparable between threads. */
export function crossThreadNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The reason of an attempt that waited too long for its thread. */
export function queuedTooLong(url: string, waitedMs: number, limitMs: number): string {
  return `GET ${url}: not run: waited ${Math.round(waitedMs)} ms for an HTTP check thread (limit ${limitMs} ms; the threads are saturated)`;
}

/** Appends to one list of a request, creating it on first use. */
function add<K extends keyof PoolRequest>(
  out: PoolRequest,
  key: K,
  item: NonNullable<PoolRequest[K]>[number],
): void {
  const list = (out[key] ?? []) as NonNullable<PoolRequest[K]>[number][];
  list.push(item);
  out[key] = list as PoolRequest[K];
}

interface Thread {
  worker: Worker;
  /** the thread has started (Worker 'online'); until then attempts run in this thread */
  online: boolean;
  pending: Map<number, (r: ProbeResult) => void>;
  defined: Set<number>;
  out: PoolRequest | null;
}

export class HttpCheckPool {
  private readonly threads: (Thread | null)[];
  private nextId = 1;
  private nextTarget = 1;
  /** a dropped probe (check removed or replaced) is forgotten in its thread too */
  private readonly dropped = new FinalizationRegistry<[number, number]>(([slot, target]) => {
    const t = this.threads[slot];
    if (t?.defined.delete(target)) add(this.outbox(t), 'undefs', target);
  });

  constructor(
    private readonly url: URL,
    size: number,
  ) {
    this.threads = Array.from({ length: size }, () => null);
  }

  get size(): number {
    return this.threads.length;
  }

  /** A Probe for one target whose attempts run in the pool. */
  probe(opts: HttpProbeOptions): Probe {
    const target = this.nextTarget++;
    const slot = target % this.threads.length;
    const url = httpProbeUrl(opts);
    const queueLimitMs = opts.timeoutMs ?? DEFAULT_QUEUE_LIMIT_MS;
    let local: Probe | null = null;
    const start = (done: (r: ProbeResult) => void): ProbeRun => {
      const t = this.thread(slot);
      // A thread takes a while to start (seconds in a slow guest): its first attempts would
      // count that against the check's timeout and fail a healthy server, so until it is
      // online they run here, as they did before the pool.
      if (!t.online) {
        local ??= httpProbe(opts);
        const ac = new AbortController();
        let over = false;
        const finish = (r: ProbeResult) => {
          if (over) return;
          over = true;
          done(r);
        };
        const t0 = performance.now();
        local(ac.signal).then(finish, (e: unknown) =>
          finish({ ok: false, reason: `GET ${url}: ${describeError(e)}`, latencyMs: performance.now() - t0 }),
        );
        return {
          abort: (reason: unknown) => {
            if (over) return;
            ac.abort(reason);
            queueMicrotask(() =>
              finish({
                ok: false,
                reason: `GET ${url}: ${describeError(reason)}`,
                latencyMs: performance.now() - t0,
              }),
            );
          },
        };
      }
      const id = this.nextId++;
      const began = performance.now();
      const sentAt = crossThreadNow();
      let settled = false;
      t.pending.set(id, (r) => {
        if (settled) return;
        settled = true;
        done(r);
      });
      const out = this.outbox(t);
      if (!t.defined.has(target)) {
        t.defined.add(target);
        add(out, 'defs', [target, opts, queueLimitMs]);
      }
      add(out, 'runs', [id, target, sentAt]);
      return {
        abort: (reason: unknown) => {
          if (settled || !t.pending.has(id)) return;
          t.pending.delete(id);
          settled = true;
          add(this.outbox(t), 'aborts', [id, describeError(reason)]);
          const waited = performance.now() - began;
          // The scheduler's backstop: the thread holds the attempt to its timeout itself,
          // so no result by now means the thread never got to it (or to its answer).
          const r: ProbeResult =
            reason instanceof CheckAbort && reason.code === 'CHECK_TIMEOUT'
              ? {
                  ok: false,
                  reason: `GET ${url}: not run: no result from its HTTP check thread after ${Math.round(waited)} ms (the threads are saturated)`,
                  latencyMs: waited,
                  notRun: true,
                }
              : { ok: false, reason: `GET ${url}: ${describeError(reason)}`, latencyMs: waited };
          queueMicrotask(() => done(r));
        },
      };
    };
    const promiseForm = (signal: AbortSignal) =>
      new Promise<ProbeResult>((resolve) => {
        const run = start((r) => {
          signal.removeEventListener('abort', onAbort);
          resolve(r);
        });
        const onAbort = () => run.abort(signal.reason);
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
    const probe: Probe = Object.assign(promiseForm, {
      settlesOnAbort: true,
      start,
      deadlineSlackMs: queueLimitMs + DEADLINE_MARGIN_MS,
    });
    this.dropped.register(probe, [slot, target]);
    return probe;
  }

  /** Ends the threads; attempts in flight fail. */
  close(): void {
    for (const [i, t] of this.threads.entries()) {
      if (!t) continue;
      this.threads[i] = null;
      this.failAll(t, 'HTTP check threads stopped');
      void t.worker.terminate();
    }
  }

  private outbox(t: Thread): PoolRequest {
    if (t.out) return t.out;
    const out: PoolRequest = {};
    t.out = out;
    // everything this turn of the main thread asks of the thread goes in one message
    queueMicrotask(() => {
      t.out = null;
      t.worker.postMessage(out);
    });
    return out;
  }

  private thread(slot: number): Thread {
    const have = this.threads[slot];
    if (have) return have;
    const worker = new Worker(this.url);
    worker.unref();
    const t: Thread = { worker, online: false, pending: new Map(), defined: new Set(), out: null };
    worker.once('online', () => {
      t.online = true;
    });
    worker.on('message', (m: { results: PoolResult[] }) => {
      for (const r of m.results) {
        const done = t.pending.get(r[0]);
        if (!done) continue; // aborted meanwhile
        t.pending.delete(r[0]);
        done(
          r[1] === 1
            ? { ok: true, latencyMs: r[2] }
            : r[1] === 2
              ? { ok: false, latencyMs: r[2], reason: r[3], notRun: true }
              : { ok: false, latencyMs: r[2], reason: r[3] },
        );
      }
    });
    const gone = (why: string) => {
      if (this.threads[slot] !== t) return;
      this.threads[slot] = null; // the next attempt starts a new thread
      this.failAll(t, why);
    };
    worker.on('error', (err) => gone(`HTTP check thread failed: ${err.message}`));
    worker.on('exit', (code) => gone(`HTTP check thread exited (${code})`));
    this.threads[slot] = t;
    return t;
  }

  private failAll(t: Thread, reason: string): void {
    const pending = [...t.pending.values()];
    t.pending.clear();
    queueMicrotask(() => {
      for (const done of pending) done({ ok: false, reason, latencyMs: 0 });
    });
  }
}

/** VRRPD_HTTP_CHECK_THREADS, else the CPUs this process may use (at most 4). */
export function httpCheckThreads(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.VRRPD_HTTP_CHECK_THREADS;
  if (v !== undefined && v !== '' && Number.isInteger(Number(v)) && Number(v) >= 0)
    return Math.min(Number(v), 16);
  return Math.min(MAX_THREADS, Math.max(1, availableParallelism()));
}

let shared: HttpCheckPool | null | undefined;

/**
 * The process's pool, started on first use; null when HTTP checks run in the main thread
 * (VRRPD_HTTP_CHECK_THREADS=0, or the code runs from its TypeScript sources, as in unit
 * tests, where there is no built thread entry).
 */
export function sharedHttpPool(): HttpCheckPool | null {
  if (shared !== undefined) return shared;
  const url = new URL('./http-worker.js', import.meta.url);
  const n = httpCheckThreads();
  shared = n > 0 && existsSync(fileURLToPath(url)) ? new HttpCheckPool(url, n) : null;
  return shared;
}

/**
 * An HTTP/HTTPS probe: in the shared pool when there is one, else in this thread. In the
 * pool the attempt holds itself to `timeoutMs` from when its thread starts it; in this
 * thread the scheduler's deadline does, as it does for the other checks.
 */
export function pooledHttpProbe(opts: HttpProbeOptions, timeoutMs?: number): Probe {
  const pool = sharedHttpPool();
  if (!pool) return httpProbe(opts);
  return pool.probe(timeoutMs === undefined ? opts : { ...opts, timeoutMs });
}
