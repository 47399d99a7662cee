// Rise/fall hysteresis with retries, written once for every checker (ARCHITECTURE rule 6).
// Pure: no clocks, no timers. The caller feeds probe outcomes in order and gets back the
// new state, at most one transition, and whether to re-probe after retry_delay.
//
// Semantics (keepalived's vocabulary, CONFIG.md check_defaults):
// - rise: consecutive successes that bring a down target up.
// - fall: consecutive counted failures that bring an up target down.
// - retry: immediate re-probes (after retry_delay) of a failure before it counts as one
//   failure. Not spent on a target that is already down: a further failure changes nothing.
// - alpha: true → start down, the target must pass `rise` probes first;
//   false → start unknown, and the first counted result decides (ok → up, failure → down),
//   so a real server already in the kernel keeps its place until its first check result
//   (ARCHITECTURE rule 5).

export type HealthStateName = 'up' | 'down' | 'unknown';

export interface HysteresisConfig {
  rise: number;
  fall: number;
  retry: number;
  alpha: boolean;
}

export interface HealthState {
  readonly state: HealthStateName;
  readonly consecutiveOk: number;
  readonly consecutiveFail: number;
  /** retries already spent on the current failure streak */
  readonly retriesUsed: number;
}

export interface Transition {
  from: HealthStateName;
  to: HealthStateName;
  reason: string;
}

export interface StepOutcome {
  health: HealthState;
  /** present exactly when `state` changed */
  transition?: Transition;
  /** true: the failure was not counted; probe again after retry_delay */
  retry: boolean;
}

export type Observation = { ok: true } | { ok: false; reason: string };

export function initialHealth(cfg: HysteresisConfig): HealthState {
  return { state: cfg.alpha ? 'down' : 'unknown', consecutiveOk: 0, consecutiveFail: 0, retriesUsed: 0 };
}

/** Clamps operator numbers into the ranges the logic assumes (rise/fall ≥ 1, retry ≥ 0). */
export function normaliseHysteresis(cfg: HysteresisConfig): HysteresisConfig {
  const int = (n: number, min: number) => (Number.isFinite(n) ? Math.max(min, Math.floor(n)) : min);
  return { rise: int(cfg.rise, 1), fall: int(cfg.fall, 1), retry: int(cfg.retry, 0), alpha: cfg.alpha };
}

function isNormal(c: HysteresisConfig): boolean {
  return (
    Number.isInteger(c.rise) &&
    c.rise >= 1 &&
    Number.isInteger(c.fall) &&
    c.fall >= 1 &&
    Number.isInteger(c.retry) &&
    c.retry >= 0
  );
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function stepHealth(cfgIn: HysteresisConfig, s: HealthState, obs: Observation): StepOutcome {
  // Normalise only when needed: this runs once per check result, thousands of times a second.
  const cfg = isNormal(cfgIn) ? cfgIn : normaliseHysteresis(cfgIn);
  if (obs.ok) {
    const consecutiveOk = s.consecutiveOk + 1;
    const next = { state: s.state, consecutiveOk, consecutiveFail: 0, retriesUsed: 0 };
    const goesUp = s.state === 'unknown' || (s.state === 'down' && consecutiveOk >= cfg.rise);
    if (!goesUp) return { health: next, retry: false };
    const reason =
      s.state === 'unknown'
        ? 'first check passed'
        : plural(consecutiveOk, 'success', 'consecutive successes');
    return {
      health: { ...next, state: 'up' },
      transition: { from: s.state, to: 'up', reason },
      retry: false,
    };
  }

  // A failure: re-probe first if retries are left and the outcome could still matter.
  if (s.state !== 'down' && s.retriesUsed < cfg.retry) {
    return { health: { ...s, retriesUsed: s.retriesUsed + 1 }, retry: true };
  }
  const consecutiveFail = s.consecutiveFail + 1;
  const next = { state: s.state, consecutiveOk: 0, consecutiveFail, retriesUsed: 0 };
  const goesDown = s.state === 'unknown' || (s.state === 'up' && consecutiveFail >= cfg.fall);
  if (!goesDown) return { health: next, retry: false };
  const tries = s.retriesUsed > 0 ? ` (after ${plural(s.retriesUsed, 'retry', 'retries')})` : '';
  const reason =
    s.state === 'unknown'
      ? `first check failed${tries}: ${obs.reason}`
      : `${plural(consecutiveFail, 'failure', 'consecutive failures')}${tries}: ${obs.reason}`;
  return {
    health: { ...next, state: 'down' },
    transition: { from: s.state, to: 'down', reason },
    retry: false,
  };
}
