import { describe, expect, it } from 'vitest';
import type { CheckAbort } from '../../src/check/probe.js';
import { createScheduler, type SchedulerJob } from '../../src/check/scheduler.js';
import { FakeClock, seededRandom } from './check-fakes.js';

function recorder(clock: FakeClock, opts: { intervalMs?: number; timeoutMs?: number } = {}) {
  const starts: number[] = [];
  const job: SchedulerJob = {
    intervalMs: opts.intervalMs ?? 1000,
    timeoutMs: opts.timeoutMs ?? 500,
    run: async () => {
      starts.push(clock.now());
      return undefined;
    },
  };
  return { starts, job };
}

describe('check scheduler (fake clock)', () => {
  it('spreads the first runs of 1,000 checks over the interval, with one timer', async () => {
    const clock = new FakeClock();
    const s = createScheduler({ clock, random: seededRandom(1), coalesceMs: 1 });
    const first = new Map<number, number>();
    for (let i = 0; i < 1000; i++) {
      const r = recorder(clock);
      r.job.run = async () => {
        if (!first.has(i)) first.set(i, clock.now());
        return undefined;
      };
      s.add(`c${i}`, r.job);
    }
    expect(clock.pending()).toBe(1);
    await clock.advance(1000);
    const all = [...first.values()];
    expect(all.length).toBe(1000);
    // ten 100 ms buckets, each near 100 (uniform): no bucket empty or doubled
    const buckets = new Array(10).fill(0);
    for (const t of all) buckets[Math.min(9, Math.floor(t / 100))]++;
    for (const b of buckets) {
      expect(b).toBeGreaterThan(60);
      expect(b).toBeLessThan(140);
    }
    // no tick starts more than a small batch (1 ms coalescing → ~1-2 per ms on average)
    expect(s.stats().maxStartsPerTick).toBeLessThan(15);
    expect(clock.maxPending).toBe(1);
    s.stop();
    expect(clock.pending()).toBe(0);
  });

  it('keeps each check near its interval (±5 % jitter), period counted from the start', async () => {
    const clock = new FakeClock();
    const s = createScheduler({ clock, random: seededRandom(2), jitter: 0.05 });
    const r = recorder(clock, { intervalMs: 1000 });
    s.add('a', r.job);
    await clock.advance(10_500);
    expect(r.starts.length).toBeGreaterThanOrEqual(10);
    for (let i = 1; i < r.starts.length; i++) {
      const gap = r.starts[i]! - r.starts[i - 1]!;
      expect(gap).toBeGreaterThanOrEqual(950 - 1);
      expect(gap).toBeLessThanOrEqual(1050 + 3);
    }
    s.stop();
  });

  it('aborts a run at its timeout with CHECK_TIMEOUT and schedules the next one', async () => {
    const clock = new FakeClock();
    const s = createScheduler({ clock, random: () => 0, jitter: 0 });
    const events: string[] = [];
    s.add('hang', {
      intervalMs: 1000,
      timeoutMs: 300,
      run: (signal) =>
        new Promise((resolve) => {
          events.push(`start@${clock.now()}`);
          signal.addEventListener('abort', () => {
            const r = signal.reason as CheckAbort;
            events.push(`abort@${clock.now()}:${r.code}`);
            resolve(undefined);
          });
        }),
    });
    await clock.advance(1350);
    expect(events).toEqual(['start@0', 'abort@300:CHECK_TIMEOUT', 'start@1000', 'abort@1300:CHECK_TIMEOUT']);
    s.stop();
  });

  it('callback-form jobs: timeout and remove abort through the run handle; done reschedules once', async () => {
    const clock = new FakeClock();
    const s = createScheduler({ clock, random: () => 0, jitter: 0 });
    const events: string[] = [];
    let hang = true;
    s.add('cb', {
      intervalMs: 1000,
      timeoutMs: 300,
      run: () => Promise.reject(new Error('the callback form must be preferred')),
      start(done) {
        events.push(`start@${clock.now()}`);
        if (!hang) {
          // done twice: the second call of one run must be ignored
          queueMicrotask(() => done(200));
          queueMicrotask(() => done(undefined));
        }
        return {
          abort(reason: CheckAbort) {
            events.push(`abort@${clock.now()}:${reason.code}`);
            queueMicrotask(() => done(undefined));
          },
        };
      },
    });
    await clock.advance(1350);
    expect(events).toEqual(['start@0', 'abort@300:CHECK_TIMEOUT', 'start@1000', 'abort@1300:CHECK_TIMEOUT']);
    hang = false;
    events.length = 0;
    await clock.advance(2000 - 1350 + 450);
    // 2000: settles with an explicit delay of 200 → 2200, then 2400 (the second done ignored)
    expect(events).toEqual(['start@2000', 'start@2200', 'start@2400']);
    expect(s.stats()).toMatchObject({ running: 0, jobs: 1 });
    hang = true;
    await clock.advance(200);
    // 2600: a run hangs until the remove at 2650
    expect(s.stats().running).toBe(1);
    s.remove('cb');
    await clock.advance(10);
    expect(events.at(-1)).toBe('abort@2650:CHECK_STOPPED');
    expect(s.stats()).toMatchObject({ running: 0, jobs: 0 });
    s.stop();
  });

  it('an overrun waits a full interval after it ended', async () => {
    const clock = new FakeClock();
    const s = createScheduler({ clock, random: () => 0, jitter: 0 });
    const starts: number[] = [];
    s.add('slow', {
      intervalMs: 100,
      timeoutMs: 250,
      run: (signal) =>
        new Promise((resolve) => {
          starts.push(clock.now());
          signal.addEventListener('abort', () => resolve(undefined));
        }),
    });
    // start 0, aborted at 250, next 100 ms after: 350, aborted at 600, next at 700
    await clock.advance(700);
    expect(starts).toEqual([0, 350, 700]);
    s.stop();
  });

  it('an explicit delay (retry_delay) counts from completion', async () => {
    const clock = new FakeClock();
    const s = createScheduler({ clock, random: () => 0, jitter: 0 });
    const starts: number[] = [];
    let n = 0;
    s.add('r', {
      intervalMs: 1000,
      timeoutMs: 500,
      run: async () => {
        starts.push(clock.now());
        return ++n <= 2 ? 200 : undefined;
      },
    });
    await clock.advance(1500);
    expect(starts).toEqual([0, 200, 400, 1400]);
    s.stop();
  });

  it('honours the concurrency limit and runs waiting checks in order', async () => {
    const clock = new FakeClock();
    const s = createScheduler({ clock, random: () => 0, jitter: 0, maxConcurrent: 2 });
    const pending: Array<() => void> = [];
    const order: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    for (let i = 0; i < 6; i++) {
      s.add(`j${i}`, {
        intervalMs: 10_000,
        timeoutMs: 5_000,
        run: () =>
          new Promise((resolve) => {
            order.push(`j${i}`);
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            pending.push(() => {
              inFlight--;
              resolve(undefined);
            });
          }),
      });
    }
    await clock.advance(0);
    expect(order).toEqual(['j0', 'j1']);
    expect(s.stats()).toMatchObject({ running: 2, queued: 4 });
    // finishing one run lets exactly one waiting check start, in order
    while (pending.length > 0) {
      pending.shift()!();
      await clock.advance(0);
    }
    expect(order).toEqual(['j0', 'j1', 'j2', 'j3', 'j4', 'j5']);
    expect(maxInFlight).toBe(2);
    expect(s.stats()).toMatchObject({ running: 0, queued: 0, jobs: 6 });
    s.stop();
  });

  it('remove aborts a run in flight and never reschedules it; others keep their times', async () => {
    const clock = new FakeClock();
    const s = createScheduler({ clock, random: () => 0.5, jitter: 0 });
    const keep = recorder(clock);
    s.add('keep', keep.job);
    let aborted = '';
    let runs = 0;
    s.add('gone', {
      intervalMs: 1000,
      timeoutMs: 900,
      run: (signal) =>
        new Promise((resolve) => {
          runs++;
          signal.addEventListener('abort', () => {
            aborted = (signal.reason as CheckAbort).code;
            resolve(undefined);
          });
        }),
    });
    await clock.advance(600);
    expect(runs).toBe(1);
    s.remove('gone');
    await clock.advance(3000);
    expect(aborted).toBe('CHECK_STOPPED');
    expect(runs).toBe(1);
    expect(s.has('gone')).toBe(false);
    expect(keep.starts).toEqual([500, 1500, 2500, 3500]);
    s.stop();
  });

  it('update: a shorter interval moves the next run earlier; a longer one keeps the due time', async () => {
    const clock = new FakeClock();
    const s = createScheduler({ clock, random: () => 0.5, jitter: 0 });
    const r = recorder(clock, { intervalMs: 60_000 });
    s.add('a', r.job);
    await clock.advance(100);
    expect(r.starts).toEqual([]);
    s.update('a', { ...r.job, intervalMs: 1000 });
    await clock.advance(2000);
    expect(r.starts).toEqual([600, 1600]);
    s.update('a', { ...r.job, intervalMs: 5000 });
    await clock.advance(5600);
    expect(r.starts).toEqual([600, 1600, 2600, 7600]);
    s.stop();
  });

  it('a throwing or rejecting run is survived and rescheduled', async () => {
    const clock = new FakeClock();
    const s = createScheduler({ clock, random: () => 0, jitter: 0 });
    let n = 0;
    s.add('x', {
      intervalMs: 100,
      timeoutMs: 50,
      run: () => {
        n++;
        if (n % 2) throw new Error('sync boom');
        return Promise.reject(new Error('async boom'));
      },
    });
    await clock.advance(450);
    expect(n).toBe(5);
    s.stop();
  });

  it('stop aborts runs in flight and leaves no timer', async () => {
    const clock = new FakeClock();
    const s = createScheduler({ clock, random: () => 0 });
    let reason = '';
    s.add('a', {
      intervalMs: 1000,
      timeoutMs: 500,
      run: (signal) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            reason = (signal.reason as CheckAbort).code;
            resolve(undefined);
          });
        }),
    });
    await clock.advance(10);
    s.stop();
    await clock.advance(10_000);
    expect(reason).toBe('CHECK_STOPPED');
    expect(clock.pending()).toBe(0);
    expect(() => s.add('b', recorder(clock).job)).toThrow(/stopped/);
  });

  it('rejects a duplicate id with a stable code', () => {
    const clock = new FakeClock();
    const s = createScheduler({ clock });
    s.add('a', recorder(clock).job);
    expect(() => s.add('a', recorder(clock).job)).toThrow(
      expect.objectContaining({ code: 'CHECK_DUPLICATE' }),
    );
    s.stop();
  });
});
