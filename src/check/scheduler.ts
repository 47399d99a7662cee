// One scheduler for every check: a min-heap of deadlines driven by ONE timer.
//
// Each job sits in the heap exactly once: while idle its key is the next due time,
// while running its key is its timeout deadline (reaching it aborts the run's signal).
// Why: 10,000 checks must not cost 10,000 timers, and the first runs are spread
// uniformly over the interval so that 1,000 checks do not fire in one tick.
// Decisions read only the injected clock, so tests drive it with a fake one.

import type { Clock } from '../clock.js';
import { monotonicClock } from '../clock.js';
import { CheckAbort } from './probe.js';

export interface SchedulerJob {
  intervalMs: number;
  /** the run's signal aborts (reason: CheckAbort CHECK_TIMEOUT) this long after it started */
  timeoutMs: number;
  /**
   * One run. Resolves with an explicit delay in ms counted from its completion (a retry),
   * or undefined for the regular interval counted from its start (with jitter).
   */
  run(signal: AbortSignal): Promise<number | undefined>;
  /**
   * Optional callback form of run, preferred when present: starts one run and calls `done`
   * exactly once, never synchronously, with the same meaning as run's result. The returned
   * handle's abort() replaces the signal (same reasons); `done` still follows. Why: no
   * AbortController, signal listener or promise per run on the 10,000 checks/s path.
   */
  start?(done: (delay: number | undefined) => void): RunHandle;
}

/** A callback-form run in flight. */
export interface RunHandle {
  abort(reason: CheckAbort): void;
}

export interface SchedulerOptions {
  clock?: Clock;
  /** uniform [0, 1); injectable for tests */
  random?: () => number;
  /** runs allowed at once; further due jobs wait in FIFO order */
  maxConcurrent?: number;
  /** per-run jitter as a fraction of the interval (0.05 → ±5 %) */
  jitter?: number;
  /**
   * jobs due within this many ms of a tick run in that tick; default 10. Why: each wake-up
   * costs a context switch; at 10,000 checks/s, 2 ms cost ~2 µs more CPU per check than
   * 10 ms, and starting a check up to 10 ms early is harmless next to second-long intervals.
   */
  coalesceMs?: number;
}

export interface SchedulerStats {
  jobs: number;
  running: number;
  queued: number;
  timerArmed: boolean;
  /** timer callbacks so far */
  ticks: number;
  /** most runs started by one tick */
  maxStartsPerTick: number;
}

export interface Scheduler {
  /** Adds a job; its first run falls uniformly within one interval. Throws on a duplicate id. */
  add(id: string, job: SchedulerJob): void;
  /** Replaces a job's parameters without losing its place (a shorter interval may move it earlier). */
  update(id: string, job: SchedulerJob): void;
  /** Removes a job; a run in flight is aborted (CHECK_STOPPED) and its outcome ignored. */
  remove(id: string): void;
  has(id: string): boolean;
  stats(): SchedulerStats;
  /** Removes every job, aborts runs in flight, clears the timer. */
  stop(): void;
  /**
   * Runs a job now rather than at its due time (a file check's file changed); a job
   * running now runs again as soon as it settles. Its interval counts from that run.
   */
  runSoon(id: string): void;
}

interface Entry {
  id: string;
  job: SchedulerJob;
  /** due time (idle) or deadline (running) */
  key: number;
  heapIndex: number;
  /** insertion order: equal keys run first-in first-out */
  seq: number;
  phase: 'idle' | 'queued' | 'running' | 'removed';
  /** reused across runs until it is aborted (saves an allocation per run) */
  controller: AbortController | null;
  /** the callback-form run in flight, if the job has that form */
  handle: RunHandle | null;
  /** a run was started and has not settled yet (ignores a second settle of one run) */
  inFlight: boolean;
  /** runSoon() while running: run again as soon as this run settles */
  soon?: boolean;
  startedAt: number;
  onSettled: (delay: number | undefined) => void;
  onFailed: () => void;
}

export function createScheduler(opts: SchedulerOptions = {}): Scheduler {
  const clock = opts.clock ?? monotonicClock;
  const random = opts.random ?? Math.random;
  const maxConcurrent = Math.max(1, opts.maxConcurrent ?? 1000);
  const jitter = Math.min(0.5, Math.max(0, opts.jitter ?? 0.05));
  const coalesceMs = Math.max(0, opts.coalesceMs ?? 10);

  const entries = new Map<string, Entry>();
  const heap: Entry[] = [];
  let ready: Entry[] = [];
  let readyHead = 0;
  let running = 0;
  let timer: unknown = null;
  let timerAt = Number.POSITIVE_INFINITY;
  let ticks = 0;
  let maxStartsPerTick = 0;
  let stopped = false;

  let pushSeq = 0;

  // --- binary min-heap on (key, seq) with back-pointers for O(log n) removal ---
  function less(a: Entry, b: Entry): boolean {
    return a.key < b.key || (a.key === b.key && a.seq < b.seq);
  }
  function swap(i: number, j: number): void {
    const a = heap[i]!;
    const b = heap[j]!;
    heap[i] = b;
    heap[j] = a;
    b.heapIndex = i;
    a.heapIndex = j;
  }
  function siftUp(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i]!, heap[p]!)) return;
      swap(i, p);
      i = p;
    }
  }
  function siftDown(i: number): void {
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && less(heap[l]!, heap[m]!)) m = l;
      if (r < n && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  }
  function heapPush(e: Entry): void {
    e.heapIndex = heap.length;
    e.seq = pushSeq++;
    heap.push(e);
    siftUp(e.heapIndex);
  }
  function heapRemove(e: Entry): void {
    const i = e.heapIndex;
    if (i < 0) return;
    const last = heap.pop()!;
    e.heapIndex = -1;
    if (last === e) return;
    heap[i] = last;
    last.heapIndex = i;
    siftDown(i);
    siftUp(last.heapIndex);
  }
  function heapFix(e: Entry): void {
    if (e.heapIndex < 0) return;
    siftUp(e.heapIndex);
    siftDown(e.heapIndex);
  }

  // --- the one timer ---
  function rearm(): void {
    if (stopped) return;
    const top = heap[0];
    const want = top ? top.key : Number.POSITIVE_INFINITY;
    // An earlier armed timer is kept: it fires, finds little or nothing, and rearms.
    if (timer !== null && timerAt <= want) return;
    if (timer !== null) clock.clearTimer(timer);
    timer = null;
    timerAt = Number.POSITIVE_INFINITY;
    if (!top) return;
    const delay = Math.max(0, Math.ceil(want - clock.now()));
    timerAt = want;
    timer = clock.setTimer(onTimer, delay);
  }

  function onTimer(): void {
    timer = null;
    timerAt = Number.POSITIVE_INFINITY;
    if (stopped) return;
    ticks++;
    const limit = clock.now() + coalesceMs;
    while (heap.length > 0 && heap[0]!.key <= limit) {
      const e = heap[0]!;
      heapRemove(e);
      if (e.phase === 'running') {
        // Deadline reached: abort; the run settles soon and reschedules itself.
        abortRun(e, new CheckAbort('CHECK_TIMEOUT', `timed out after ${e.job.timeoutMs} ms`));
      } else if (e.phase === 'idle') {
        e.phase = 'queued';
        ready.push(e);
      }
    }
    const started = drain();
    if (started > maxStartsPerTick) maxStartsPerTick = started;
    rearm();
  }

  function drain(): number {
    let started = 0;
    while (running < maxConcurrent && readyHead < ready.length) {
      const e = ready[readyHead++]!;
      if (e.phase !== 'queued') continue;
      start(e);
      started++;
    }
    if (readyHead === ready.length) {
      ready = [];
      readyHead = 0;
    } else if (readyHead > 1024 && readyHead * 2 > ready.length) {
      ready = ready.slice(readyHead);
      readyHead = 0;
    }
    return started;
  }

  function abortRun(e: Entry, reason: CheckAbort): void {
    if (e.handle) e.handle.abort(reason);
    else e.controller?.abort(reason);
  }

  function start(e: Entry): void {
    const now = clock.now();
    e.phase = 'running';
    e.startedAt = now;
    e.key = now + e.job.timeoutMs;
    heapPush(e);
    running++;
    e.inFlight = true;
    if (e.job.start) {
      try {
        e.handle = e.job.start(e.onSettled);
      } catch {
        e.handle = null;
        queueMicrotask(e.onFailed);
      }
      return;
    }
    if (!e.controller || e.controller.signal.aborted) e.controller = new AbortController();
    let p: Promise<number | undefined>;
    try {
      p = e.job.run(e.controller.signal);
    } catch {
      p = Promise.resolve(undefined);
    }
    p.then(e.onSettled, e.onFailed);
  }

  function jittered(intervalMs: number): number {
    return intervalMs * (1 + jitter * (2 * random() - 1));
  }

  function settle(e: Entry, delay: number | undefined): void {
    if (!e.inFlight) return;
    e.inFlight = false;
    e.handle = null;
    running--;
    if (e.phase === 'removed' || stopped) {
      heapRemove(e);
      drain();
      rearm();
      return;
    }
    const now = clock.now();
    if (e.soon) {
      e.soon = false;
      e.key = now;
    } else if (typeof delay === 'number' && Number.isFinite(delay)) {
      e.key = now + Math.max(0, delay);
    } else {
      // Keep the period from the start; a run that overran waits a full interval after it
      // ended, so a slow target is not hammered back to back.
      const period = jittered(e.job.intervalMs);
      e.key = e.startedAt + period >= now ? e.startedAt + period : now + period;
    }
    e.phase = 'idle';
    // Still in the heap under its deadline: re-key in place (one sift instead of a removal
    // and a push), with a fresh seq exactly as a push would give it.
    if (e.heapIndex >= 0) {
      e.seq = pushSeq++;
      heapFix(e);
    } else {
      heapPush(e);
    }
    drain();
    rearm();
  }

  return {
    add(id, job) {
      if (stopped)
        throw Object.assign(new Error('scheduler is stopped'), { code: 'CHECK_SCHEDULER_STOPPED' });
      if (entries.has(id)) {
        throw Object.assign(new Error(`check '${id}' is already scheduled`), { code: 'CHECK_DUPLICATE' });
      }
      const e: Entry = {
        id,
        job,
        key: clock.now() + random() * job.intervalMs,
        heapIndex: -1,
        seq: 0,
        phase: 'idle',
        controller: null,
        handle: null,
        inFlight: false,
        startedAt: 0,
        onSettled: (delay) => settle(e, delay),
        onFailed: () => settle(e, undefined),
      };
      entries.set(id, e);
      heapPush(e);
      rearm();
    },
    update(id, job) {
      const e = entries.get(id);
      if (!e) throw Object.assign(new Error(`check '${id}' is not scheduled`), { code: 'CHECK_UNKNOWN' });
      const old = e.job;
      e.job = job;
      if (e.phase === 'idle' && job.intervalMs < old.intervalMs) {
        e.key = Math.min(e.key, clock.now() + random() * job.intervalMs);
        heapFix(e);
      } else if (e.phase === 'running' && job.timeoutMs !== old.timeoutMs) {
        e.key = e.startedAt + job.timeoutMs;
        heapFix(e);
      }
      rearm();
    },
    remove(id) {
      const e = entries.get(id);
      if (!e) return;
      entries.delete(id);
      heapRemove(e);
      const wasRunning = e.phase === 'running';
      e.phase = 'removed';
      if (wasRunning) abortRun(e, new CheckAbort('CHECK_STOPPED', 'check removed'));
      rearm();
    },
    has(id) {
      return entries.has(id);
    },
    runSoon(id) {
      const e = entries.get(id);
      if (!e || stopped) return;
      if (e.phase === 'running') e.soon = true;
      else if (e.phase === 'idle') {
        e.key = clock.now();
        heapFix(e);
        rearm();
      }
    },
    stats() {
      return {
        jobs: entries.size,
        running,
        queued: ready.length - readyHead,
        timerArmed: timer !== null,
        ticks,
        maxStartsPerTick,
      };
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (timer !== null) clock.clearTimer(timer);
      timer = null;
      for (const e of entries.values()) {
        const wasRunning = e.phase === 'running';
        e.phase = 'removed';
        e.heapIndex = -1;
        if (wasRunning) abortRun(e, new CheckAbort('CHECK_STOPPED', 'checks stopped'));
      }
      entries.clear();
      heap.length = 0;
      ready = [];
      readyHead = 0;
    },
  };
}
