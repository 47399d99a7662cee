// A one-shot timer that fires at its deadline to a fraction of a millisecond. libuv's
// timers have whole-millisecond resolution and usually wake up to 1 ms late; VRRP's
// Master_Down_Interval and Skew_Time are sub-millisecond quantities (RFC 5798 §6.1), and
// a backup that acts late only lengthens the outage. So the timer sleeps until about
// 2 ms before the deadline, then yields to the event loop (setImmediate, so packets and
// messages are still handled) until the deadline has passed: at most ~2 ms of polling
// per deadline. The engine uses it only for takeover deadlines (a backup's Master_Down
// and preempt timers), which in steady state are re-armed long before they are due.

const EARLY_MS = 2;

export interface PreciseTimerHandle {
  cancelled: boolean;
  timeout: NodeJS.Timeout | null;
  immediate: NodeJS.Immediate | null;
}

export function setPreciseTimer(fn: () => void, delayMs: number, now: () => number): PreciseTimerHandle {
  const deadline = now() + delayMs;
  const h: PreciseTimerHandle = { cancelled: false, timeout: null, immediate: null };
  const poll = () => {
    h.immediate = null;
    if (h.cancelled) return;
    if (now() >= deadline) fn();
    else h.immediate = setImmediate(poll);
  };
  if (delayMs > EARLY_MS) {
    h.timeout = setTimeout(() => {
      h.timeout = null;
      poll();
    }, delayMs - EARLY_MS);
  } else {
    h.immediate = setImmediate(poll);
  }
  return h;
}

export function clearPreciseTimer(h: PreciseTimerHandle): void {
  h.cancelled = true;
  if (h.timeout) clearTimeout(h.timeout);
  if (h.immediate) clearImmediate(h.immediate);
  h.timeout = null;
  h.immediate = null;
}
