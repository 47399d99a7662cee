// The auth_hmac block of an instance: keys (inline, from a file, or from a systemd
// credential), the active key, mode and anti-replay window, checked and resolved to key
// bytes at load time, so that a missing or unreadable key is a config error at its line
// (and a key file changed on disk is a change the reload sees). Facts from keepalived
// 2.4.3 (the contract of draft-cassen-vrrp-auth-hmac): key ids 1-255, keys 32-64 bytes,
// 'hex:' prefix = raw bytes else ASCII, a trailing newline in a file is not part of the
// key, time_window 1-300 s with default max(3 × whole seconds of the advert interval, 5 s).
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { BuildContext } from './build-context.js';
import type { ConfigPath } from './errors.js';
import { pathText } from './errors.js';
import type { AuthHmac, AuthHmacKey } from './model.js';
import type { RawAuthHmac } from './raw.js';

export const HMAC_KEY_MIN_BYTES = 32;
export const HMAC_KEY_MAX_BYTES = 64;
export const HMAC_WINDOW_MIN_SEC = 1;
export const HMAC_WINDOW_MAX_SEC = 300;

/** Key text as keepalived reads it: 'hex:…' gives raw bytes, anything else its ASCII bytes. */
export function decodeKeyText(text: string): Buffer | string {
  if (!text.startsWith('hex:')) return Buffer.from(text, 'utf8');
  const hex = text.slice(4);
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return 'hex: takes an even number of hex digits';
  return Buffer.from(hex, 'hex');
}

/** The default anti-replay window, as keepalived: 3 × the advert interval's whole seconds, at least 5 s. */
export function defaultTimeWindowSec(advertIntervalMs: number): number {
  return Math.min(HMAC_WINDOW_MAX_SEC, Math.max(5, 3 * Math.floor(advertIntervalMs / 1000)));
}

function readKeyFile(ctx: BuildContext, path: ConfigPath, file: string, what: string): string | null {
  let st: ReturnType<typeof statSync>;
  let text: string;
  try {
    st = statSync(file);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    ctx.error(path, 'CONFIG_KEY_UNREADABLE', `${pathText(path)}: ${what} ${file} cannot be read (${code})`);
    return null;
  }
  if ((st.mode & 0o077) !== 0) {
    ctx.error(
      path,
      'CONFIG_KEY_INSECURE',
      `${pathText(path)}: ${what} ${file} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it`,
    );
    return null;
  }
  return text.replace(/[\r\n]+$/, '');
}

export function buildAuthHmac(
  ctx: BuildContext,
  r: RawAuthHmac,
  p: ConfigPath,
  advertIntervalMs: number,
  env: NodeJS.ProcessEnv = process.env,
): AuthHmac | undefined {
  const keys: AuthHmacKey[] = [];
  const ids = new Set<number>();
  r.keys.forEach((k, j) => {
    const kp = [...p, 'keys', j];
    if (ids.has(k.id)) {
      ctx.error([...kp, 'id'], 'CONFIG_DUPLICATE', `auth_hmac key id ${k.id} is listed twice`);
      return;
    }
    ids.add(k.id);
    const given = (['key', 'file', 'credential'] as const).filter((x) => k[x] !== undefined);
    if (given.length !== 1) {
      ctx.error(
        kp,
        'CONFIG_BAD_VALUE',
        `auth_hmac key ${k.id} takes exactly one of key, file, credential${given.length ? ` (not ${given.join(' and ')})` : ''}`,
      );
      return;
    }
    let text: string | null = null;
    let source = 'inline';
    if (k.key !== undefined) text = k.key;
    else if (k.file !== undefined) {
      source = `file ${k.file}`;
      if (!isAbsolute(k.file)) {
        ctx.error(
          [...kp, 'file'],
          'CONFIG_BAD_VALUE',
          `${pathText([...kp, 'file'])} must be an absolute path`,
        );
        return;
      }
      text = readKeyFile(ctx, [...kp, 'file'], k.file, 'key file');
    } else if (k.credential !== undefined) {
      source = `credential ${k.credential}`;
      const dir = env.CREDENTIALS_DIRECTORY;
      if (!dir) {
        ctx.error(
          [...kp, 'credential'],
          'CONFIG_KEY_UNREADABLE',
          `${pathText([...kp, 'credential'])}: systemd credential ${k.credential} needs $CREDENTIALS_DIRECTORY (LoadCredential= or LoadCredentialEncrypted= in the unit)`,
        );
        return;
      }
      if (k.credential.includes('/')) {
        ctx.error([...kp, 'credential'], 'CONFIG_BAD_VALUE', 'a credential name has no /');
        return;
      }
      text = readKeyFile(ctx, [...kp, 'credential'], join(dir, k.credential), 'credential');
    }
    if (text === null) return;
    const at = k.key !== undefined ? 'key' : k.file !== undefined ? 'file' : 'credential';
    const bytes = decodeKeyText(text);
    if (typeof bytes === 'string') {
      ctx.error([...kp, at], 'CONFIG_BAD_VALUE', `${pathText([...kp, at])}: ${bytes}`);
      return;
    }
    if (bytes.length < HMAC_KEY_MIN_BYTES || bytes.length > HMAC_KEY_MAX_BYTES) {
      ctx.error(
        [...kp, at],
        'CONFIG_OUT_OF_RANGE',
        `auth_hmac key ${k.id} is ${bytes.length} bytes; HMAC-SHA256 keys are ${HMAC_KEY_MIN_BYTES}-${HMAC_KEY_MAX_BYTES} bytes`,
      );
      return;
    }
    keys.push({ id: k.id, hex: bytes.toString('hex'), source });
  });
  let activeKey = r.active_key;
  if (activeKey === undefined) {
    if (r.keys.length === 1) activeKey = r.keys[0]!.id;
    else {
      ctx.error(
        p,
        'CONFIG_MISSING_KEY',
        'auth_hmac with several keys needs active_key (the id that signs)',
        true,
      );
      return undefined;
    }
  } else if (!r.keys.some((k) => k.id === activeKey)) {
    ctx.error(
      [...p, 'active_key'],
      'CONFIG_UNKNOWN_REFERENCE',
      `auth_hmac active_key ${activeKey} is not one of the key ids (${r.keys.map((k) => k.id).join(', ')})`,
    );
    return undefined;
  }
  let timeWindowSec = defaultTimeWindowSec(advertIntervalMs);
  if (r.time_window !== undefined) {
    const ms = ctx.ms([...p, 'time_window'], r.time_window);
    if (ms % 1000 !== 0 || ms < HMAC_WINDOW_MIN_SEC * 1000 || ms > HMAC_WINDOW_MAX_SEC * 1000) {
      ctx.error(
        [...p, 'time_window'],
        'CONFIG_OUT_OF_RANGE',
        `${pathText([...p, 'time_window'])} must be whole seconds from 1s to 300s (the trailer carries seconds)`,
      );
    } else timeWindowSec = ms / 1000;
    if (r.anti_replay === 'monotonic') {
      ctx.error(
        [...p, 'time_window'],
        'CONFIG_NOT_APPLICABLE',
        'time_window applies to anti_replay time only',
        true,
      );
    }
  }
  return {
    keys,
    activeKey,
    mode: r.mode,
    antiReplayTime: r.anti_replay === 'time',
    timeWindowSec,
  };
}
