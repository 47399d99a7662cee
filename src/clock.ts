// The one clock every runtime loop reads and arms its timers on (ARCHITECTURE rule 3):
// monotonic milliseconds, never wall-clock time. Tests hand in a fake one that moves only
// when the test advances it.

export interface Clock {
  /** monotonic milliseconds (performance.now() in production) */
  now(): number;
  /**
   * Calls fn once after delayMs. `precise`: the deadline is a takeover (VRRP Master_Down,
   * preempt), worth sub-millisecond accuracy; a clock without a precise timer ignores it.
   */
  setTimer(fn: () => void, delayMs: number, precise?: boolean): unknown;
  clearTimer(handle: unknown): void;
}

/** performance.now() and Node's timers. */
export const monotonicClock: Clock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};
