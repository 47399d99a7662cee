// A fake monotonic clock for the check scheduler: timers fire only when a test advances time.
import type { Clock } from '../../src/clock.js';

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  t = 0;
  private seq = 0;
  private timers = new Map<number, FakeTimer>();
  /** most timers ever pending at once */
  maxPending = 0;
  armed = 0;

  now(): number {
    return this.t;
  }
  setTimer(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { id, at: this.t + Math.max(0, ms), fn });
    this.armed++;
    this.maxPending = Math.max(this.maxPending, this.timers.size);
    return id;
  }
  clearTimer(h: unknown): void {
    this.timers.delete(h as number);
  }
  pending(): number {
    return this.timers.size;
  }
  /** Advances time to `t + ms`, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      let next: FakeTimer | undefined;
      for (const tm of this.timers.values()) if (tm.at <= end && (!next || tm.at < next.at)) next = tm;
      if (!next) break;
      this.timers.delete(next.id);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
    await flush();
  }
}

/** Lets queued promise callbacks run (several rounds for chained awaits). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

/** A deterministic uniform [0,1) generator (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
