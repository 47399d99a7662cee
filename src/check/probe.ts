// A checker is just a probe (ARCHITECTURE rule 6): it does one attempt against one
// target and reports ok or a reason. Rise/fall, retries, scheduling and the overall
// timeout live elsewhere (hysteresis.ts, scheduler.ts, manager.ts), written once.

export type ProbeResult =
  | { ok: true; latencyMs: number; detail?: string }
  | {
      ok: false;
      reason: string;
      latencyMs: number;
      detail?: string;
      /**
       * The attempt never reached the target: it waited too long for a check thread
       * (http-pool.ts). It says nothing about the server, so it counts toward neither
       * rise nor fall; the check runs again at its next turn.
       */
      notRun?: true;
    };

/**
 * One attempt. Must settle soon after `signal` aborts and should never reject
 * (a rejection is reported as a failure with the error's message). A probe must remove
 * its abort listener when it settles: the scheduler reuses a signal that did not abort.
 */
export interface Probe {
  (signal: AbortSignal): Promise<ProbeResult>;
  /** true for probes known to settle promptly on abort; the manager then skips its own race */
  settlesOnAbort?: boolean;
  /**
   * Optional callback form of the same attempt, used by the manager when present: no
   * promise, no AbortSignal, no listener per run (at 10,000 checks/s each of those is a
   * measurable share of a core). Calls `done` exactly once and never synchronously from
   * start() or abort(); after abort(reason) it reports a failure naming that reason.
   */
  start?(done: (result: ProbeResult) => void): ProbeRun;
  /**
   * Set by probes that hold an attempt to the check's timeout themselves, counted from when
   * the attempt really starts rather than from when it was handed over (HTTP checks in
   * their threads, http-pool.ts): the scheduler's own deadline is then the timeout plus
   * this much, a backstop for an attempt whose result never comes back.
   */
  deadlineSlackMs?: number;
}

/** A callback-form attempt in flight. */
export interface ProbeRun {
  /** Ends the attempt early; `done` still follows once, asynchronously, as a failure. */
  abort(reason: unknown): void;
}

/** Marks a built-in probe as settling on abort (saves a listener and a promise per run). */
export function settlesOnAbort(fn: (signal: AbortSignal) => Promise<ProbeResult>): Probe {
  return Object.assign(fn, { settlesOnAbort: true });
}

/** Abort reasons the scheduler and manager use; probes may show them in a reason. */
export class CheckAbort extends Error {
  constructor(
    readonly code: 'CHECK_TIMEOUT' | 'CHECK_STOPPED',
    message: string,
  ) {
    super(message);
    this.name = 'CheckAbort';
  }
}

/** Short, operator-readable text for a socket/TLS error ("connect ECONNREFUSED 127.0.0.1:9"). */
export function describeError(err: unknown): string {
  if (err instanceof CheckAbort) return err.message;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code && !err.message.includes(code)) return `${err.message} (${code})`;
    return err.message;
  }
  return String(err);
}

/** Milliseconds since `start` (a performance.now() value), rounded to 0.01 ms. */
export function since(start: number): number {
  return Math.round((performance.now() - start) * 100) / 100;
}
