// Shared helpers of the semantic checks: an error sink keyed by document path, and
// conversions whose failure is an error at that path.
import { parseDurationMs } from './duration.js';
import type { ConfigErrorCode, ConfigPath, PathError } from './errors.js';
import { pathText } from './errors.js';
import type { Argv, Notify } from './model.js';
import type { RawDuration, RawNotify } from './raw.js';

export class BuildContext {
  readonly errors: PathError[] = [];

  error(path: ConfigPath, code: ConfigErrorCode, message: string, atKey = false): void {
    this.errors.push({ path, code, message, ...(atKey ? { atKey } : {}) });
  }

  /** The schema already checked the syntax, so this only fails on absurd numbers. */
  ms(path: ConfigPath, value: RawDuration): number {
    const ms = parseDurationMs(value);
    if (ms === null || !Number.isSafeInteger(ms)) {
      this.error(path, 'CONFIG_BAD_DURATION', `${pathText(path)}: ${String(value)} is not a usable duration`);
      return 0;
    }
    return ms;
  }

  /** A duration the kernel keeps in whole seconds (IPVS timeouts, persistence). */
  wholeSeconds(path: ConfigPath, value: RawDuration): number {
    const ms = this.ms(path, value);
    if (ms % 1000 !== 0) {
      this.error(
        path,
        'CONFIG_BAD_DURATION',
        `${pathText(path)} must be whole seconds (IPVS counts seconds), not ${String(value)}`,
      );
    }
    return Math.floor(ms / 1000);
  }

  /** A positive duration: 0 would mean busy-looping. */
  positiveMs(path: ConfigPath, value: RawDuration): number {
    const ms = this.ms(path, value);
    if (ms === 0) this.error(path, 'CONFIG_OUT_OF_RANGE', `${pathText(path)} must be longer than 0`);
    return ms;
  }
}

export function argvOf(a: readonly string[] | undefined): Argv | undefined {
  return a === undefined ? undefined : [...a];
}

export function notifyOf(n: RawNotify): Notify {
  const out: { -readonly [K in keyof Notify]: Notify[K] } = {};
  for (const k of ['master', 'backup', 'fault', 'stop', 'any'] as const) {
    const v = n[k];
    if (v !== undefined) out[k] = [...v];
  }
  if (n.user !== undefined) out.user = n.user;
  if (n.group !== undefined) out.group = n.group;
  return out;
}

export const familyName = (f: 4 | 6): string => (f === 4 ? 'IPv4' : 'IPv6');

/** 'a:80' or '[2001:db8::1]:80' */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
