// File probe (keepalived FILE_CHECK on a track_file with weight 0): the file holds a number;
// 0 is up and anything else is down (`reverse`: the other way round). As keepalived reads it:
// C strtol with base 0 (leading blanks, a sign, 0x hex, 0 octal), text after the number
// ignored, no number at all or a missing/unreadable file read as 0. Read on every run of
// the scheduler, so it has the same interval, rise/fall and retries as any other check.

import { readFile } from 'node:fs/promises';
import { type Probe, type ProbeResult, since } from './probe.js';

export interface FileProbeOptions {
  path: string;
  /** up when the value is non-zero instead */
  reverse?: boolean;
}

/** The first 4 KiB are read: a track file holds one number. */
const MAX_BYTES = 4096;

/** C strtol(s, NULL, 0) for the range a JS number holds exactly; no number → 0. */
export function strtol0(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(text);
  if (!m) return 0;
  const sign = m[1] === '-' ? -1 : 1;
  const digits = m[2]!;
  let v: number;
  if (/^0[xX]/.test(digits)) v = Number.parseInt(digits.slice(2), 16);
  else if (digits.startsWith('0')) v = digits.length > 1 ? Number.parseInt(digits.slice(1), 8) : 0;
  else v = Number.parseInt(digits, 10);
  return sign * v;
}

export async function readTrackFile(path: string): Promise<{ value: number; note?: string }> {
  let text: string;
  try {
    const buf = await readFile(path);
    text = buf.subarray(0, MAX_BYTES).toString('latin1');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { value: 0, note: `${code}, read as 0` };
  }
  return { value: strtol0(text) };
}

export function fileProbe(opts: FileProbeOptions): Probe {
  const reverse = opts.reverse === true;
  return async (signal) => {
    const start = performance.now();
    const { value, note } = await readTrackFile(opts.path);
    const latencyMs = since(start);
    if (signal.aborted) return { ok: false, reason: `${opts.path}: stopped`, latencyMs };
    const ok = reverse ? value !== 0 : value === 0;
    const detail = `${opts.path} holds ${value}${note ? ` (${note})` : ''}`;
    if (ok) return { ok: true, latencyMs, detail } satisfies ProbeResult;
    return {
      ok: false,
      reason: `${detail}: ${reverse ? 'zero, and reverse wants non-zero' : 'non-zero'}`,
      latencyMs,
    };
  };
}
