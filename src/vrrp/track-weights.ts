// What a tracked file's number or a tracked process's quorum does to an instance, as
// keepalived computes it (vrrp_track_file / vrrp_track_process). Pure.

export interface TrackEffect {
  /** the instance is in FAULT because of this tracker */
  fault: boolean;
  /** added to the instance's priority (0 while faulted) */
  weight: number;
}

/** keepalived bounds a file's contribution to -254..253; -254 means FAULT. */
export const FILE_FAULT = -254;
const FILE_MAX = 253;

/**
 * A tracked file holding `value`: weight 0 faults on a non-zero number (reverse: on
 * zero); otherwise value × weight (× -1 with reverse), bounded to -254..253, where -254
 * (`echo -254 > FILE` with weight 1) is FAULT.
 */
export function fileEffect(value: number, weight: number, reverse: boolean): TrackEffect {
  if (weight === 0) return { fault: (value !== 0) !== reverse, weight: 0 };
  const w = Math.max(FILE_FAULT, Math.min(FILE_MAX, value * weight * (reverse ? -1 : 1)));
  if (w === FILE_FAULT) return { fault: true, weight: 0 };
  return { fault: false, weight: w };
}

/**
 * A tracked process with or without its quorum: weight 0 faults without it (reverse:
 * with it); a positive weight applies with the quorum, a negative one without, times -1
 * with reverse (the same rule as vrrp_scripts).
 */
export function processEffect(haveQuorum: boolean, weight: number, reverse: boolean): TrackEffect {
  if (weight === 0) return { fault: haveQuorum === reverse, weight: 0 };
  const m = reverse ? -1 : 1;
  if (weight > 0 && haveQuorum) return { fault: false, weight: weight * m };
  if (weight < 0 && !haveQuorum) return { fault: false, weight: weight * m };
  return { fault: false, weight: 0 };
}
