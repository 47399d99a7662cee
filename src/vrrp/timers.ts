// VRRP timer arithmetic in the RFC's names, with units in every name.
//
// v3 (RFC 5798 §6.1, RFC 9568 §6.1) works in centiseconds:
//   Skew_Time            = ((256 - Priority) * Master_Adver_Interval) / 256
//   Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time
// v2 (RFC 3768 §6.1) works in seconds and its skew does not depend on the interval:
//   Skew_Time            = (256 - Priority) / 256
//   Master_Down_Interval = 3 * Advertisement_Interval + Skew_Time
//
// We keep the exact fractions (no rounding to whole centiseconds as FRR does):
// deadlines are fractional monotonic milliseconds, and the runtime rounds only
// when it arms a real timer. Worked examples (FACTS.md): prio 100 → v2@1 s skew
// 609.375 ms, MDI 3609.375 ms; v3@100 ms skew 60.9375 ms, MDI 360.9375 ms.

import { VrrpFsmError } from './fsm-types.js';

/** Centiseconds → milliseconds. */
export function csToMs(cs: number): number {
  return cs * 10;
}

function checkArgs(version: 2 | 3, priority: number, masterAdverIntervalCs: number): void {
  if (version !== 2 && version !== 3) {
    throw new VrrpFsmError('VRRP_BAD_VERSION', `VRRP version must be 2 or 3, got ${String(version)}`);
  }
  // Skew_Time is computed from the *local* priority, which is 1..255 (0 is only
  // ever sent, never held: RFC 5798 §5.2.4).
  if (!Number.isInteger(priority) || priority < 1 || priority > 255) {
    throw new VrrpFsmError(
      'VRRP_BAD_PRIORITY',
      `local VRRP priority must be an integer 1..255, got ${priority}`,
    );
  }
  // RFC 9568 erratum 8301: the interval is 1..4095 cs; 0 would make every timer expire at once.
  if (!Number.isFinite(masterAdverIntervalCs) || masterAdverIntervalCs <= 0 || masterAdverIntervalCs > 4095) {
    throw new VrrpFsmError(
      'VRRP_BAD_INTERVAL',
      `advertisement interval must be 1..4095 centiseconds, got ${masterAdverIntervalCs}`,
    );
  }
}

/**
 * Skew_Time in milliseconds for the local priority.
 * v3: ((256 - prio) * MAI_cs / 256) cs (RFC 5798 §6.1). v2: (256 - prio) / 256 s (RFC 3768 §6.1);
 * for v2 the interval argument is only validated, it does not enter the formula.
 */
export function skewTimeMs(version: 2 | 3, priority: number, masterAdverIntervalCs: number): number {
  checkArgs(version, priority, masterAdverIntervalCs);
  if (version === 2) return ((256 - priority) * 1000) / 256;
  return csToMs(((256 - priority) * masterAdverIntervalCs) / 256);
}

/**
 * Master_Down_Interval in milliseconds: 3 * Master_Adver_Interval + Skew_Time (RFC 5798 §6.1,
 * RFC 3768 §6.1). `adverts` replaces the 3 (keepalived down_timer_adverts, 1..100).
 */
export function masterDownIntervalMs(
  version: 2 | 3,
  priority: number,
  masterAdverIntervalCs: number,
  adverts = 3,
): number {
  return adverts * csToMs(masterAdverIntervalCs) + skewTimeMs(version, priority, masterAdverIntervalCs);
}
