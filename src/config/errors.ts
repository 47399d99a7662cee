// Configuration errors: every one names a file position, so an operator can jump to it
// the way they would with a compiler error. Codes are stable; messages may improve.

import type { ErrorCode } from '../errors.js';

/** The codes of positional configuration errors (src/errors.ts has them all). */
export type ConfigErrorCode = Exclude<Extract<ErrorCode, `CONFIG_${string}`>, 'CONFIG_INVALID'>;

export interface ConfigError {
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  col: number;
  message: string;
  code: ConfigErrorCode;
}

/**
 * `FILE:LINE:COL: message`, the form compilers and editors understand: always one line,
 * so a value quoted in the message (a folded scalar, a key with a newline) has its control
 * characters escaped (`\n`), as fuzzing showed it could break the line.
 */
export function formatConfigError(e: ConfigError): string {
  return `${e.file}:${e.line}:${e.col}: ${oneLine(e.message)}`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/g;
function oneLine(s: string): string {
  const short: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return s.replace(CONTROL, (c) => short[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function compareErrors(a: ConfigError, b: ConfigError): number {
  return a.line - b.line || a.col - b.col || a.message.localeCompare(b.message);
}

/** A path into the configuration document: mapping keys and sequence indexes. */
export type ConfigPath = readonly (string | number)[];

/** An error found while validating, before it is given a file position. */
export interface PathError {
  path: ConfigPath;
  /** true: point at the key of the last path element, not at its value */
  atKey?: boolean;
  code: ConfigErrorCode;
  message: string;
}

/** `vrrp_instances[0].virtual_ips[1]` — how messages name a place in the document. */
export function pathText(path: ConfigPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? 'the top level' : out;
}
