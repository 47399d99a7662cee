// Runs the JSON Schema (ajv, with defaults filled in) and turns ajv's errors into
// messages an operator understands, each anchored to a document path.
import type { ErrorObject } from 'ajv';
import { DURATION_PATTERN } from './duration.js';
import type { ConfigPath, PathError } from './errors.js';
import { pathText } from './errors.js';
import { HTTP_PATH_PATTERN, IFNAME_PATTERN, NAME_PATTERN } from './schema.js';
import { schemaValidator } from './schema-validator.js';
import { didYouMean, suggestionSuffix } from './suggest.js';

const PATTERN_MESSAGES: Record<string, string> = {
  [DURATION_PATTERN]: 'is not a duration (write e.g. 10ms, 1s, 1.5s, 2m, or a number of seconds)',
  [NAME_PATTERN]: 'is not a valid name (letters, digits, _ . : @ -; no spaces)',
  [IFNAME_PATTERN]: 'is not a valid interface name (1-15 characters, no spaces, / or :)',
  [HTTP_PATH_PATTERN]:
    'is not an HTTP path (it starts with /; spaces and non-ASCII characters must be percent-encoded)',
};

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string '${value}'`;
  if (typeof value === 'number')
    return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
  return `${typeof value} ${String(value)}`;
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
};

function typeList(types: string | string[]): string {
  const list = (Array.isArray(types) ? types : String(types).split(',')).map((t) => TYPE_NAMES[t] ?? t);
  return list.length === 1 ? list[0]! : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
}

function quote(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : String(v);
}

function convert(e: ErrorObject): PathError | null {
  const path: ConfigPath = pointerToPath(e.instancePath);
  const where = pathText(path);
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  const p = e.params as Record<string, unknown>;
  if (e.propertyName !== undefined) {
    // a bad key of a mapping with free-form keys (vrrp_scripts)
    return {
      path: [...path, e.propertyName],
      atKey: true,
      code: 'CONFIG_BAD_VALUE',
      message: `'${keyText(e.propertyName)}' ${PATTERN_MESSAGES[String(p.pattern)] ?? 'is not a valid name'}`,
    };
  }
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const known = Object.keys((parent.properties as object | undefined) ?? {});
      return {
        path: [...path, key],
        atKey: true,
        code: 'CONFIG_UNKNOWN_KEY',
        message: `unknown key '${keyText(key)}' in ${where}${suggestionSuffix(key, known)}`,
      };
    }
    case 'required':
      return {
        path,
        code: 'CONFIG_MISSING_KEY',
        message: `${where} needs '${String(p.missingProperty)}'`,
      };
    case 'type':
      return {
        path,
        code: 'CONFIG_WRONG_TYPE',
        message: `${where} must be ${typeList(p.type as string | string[])}, not ${describe(e.data)}`,
      };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(quote);
      const hint =
        typeof e.data === 'string'
          ? didYouMean(
              e.data,
              allowed.map((a) => a.replace(/'/g, '')),
            )
          : undefined;
      return {
        path,
        code: 'CONFIG_BAD_VALUE',
        message: `${where} must be one of ${allowed.join(', ')}, not ${quote(e.data)}${hint ? `; did you mean '${hint}'?` : ''}`,
      };
    }
    case 'minimum':
    case 'maximum': {
      const range =
        parent.minimum !== undefined && parent.maximum !== undefined
          ? `between ${parent.minimum} and ${parent.maximum}`
          : e.keyword === 'minimum'
            ? `at least ${parent.minimum}`
            : `at most ${parent.maximum}`;
      return {
        path,
        code: 'CONFIG_OUT_OF_RANGE',
        message: `${where} must be ${range}, not ${String(e.data)}`,
      };
    }
    case 'pattern':
      return {
        path,
        code: p.pattern === DURATION_PATTERN ? 'CONFIG_BAD_DURATION' : 'CONFIG_BAD_VALUE',
        message: `${where}: ${quote(e.data)} ${PATTERN_MESSAGES[String(p.pattern)] ?? `does not match ${String(p.pattern)}`}`,
      };
    case 'minLength':
      return { path, code: 'CONFIG_BAD_VALUE', message: `${where} must not be empty` };
    case 'maxLength':
      return {
        path,
        code: 'CONFIG_OUT_OF_RANGE',
        message: `${where} is longer than ${String(p.limit)} characters`,
      };
    case 'minItems':
      return {
        path,
        code: 'CONFIG_BAD_VALUE',
        message: `${where} needs at least ${String(p.limit)} item(s)`,
      };
    case 'propertyNames':
      return null; // the inner error carries the key (handled above)
    default:
      return { path, code: 'CONFIG_BAD_VALUE', message: `${where} ${e.message ?? 'is invalid'}` };
  }
}

/** Validates in place: fills in every schema default. Returns the errors (empty when valid). */
export function validateAgainstSchema(data: unknown): PathError[] {
  const validate = schemaValidator();
  if (validate(data)) return [];
  const out: PathError[] = [];
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
    const pe = convert(e);
    if (!pe) continue;
    const id = `${pe.path.join('\u0000')}|${pe.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(pe);
  }
  return out;
}

/**
 * A key as an error message shows it: one line, bounded (a key may hold newlines or be
 * long; check-config prints each error on one FILE:LINE:COL line).
 */
function keyText(key: string): string {
  const short = key.length > 80 ? `${key.slice(0, 80)}…` : key;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
  return /[\u0000-\u001f\u007f\u2028\u2029]/.test(short) ? JSON.stringify(short).slice(1, -1) : short;
}
