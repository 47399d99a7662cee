// Logging helpers for tests: a Log (src/log.ts) that records every line, an event helper
// for config errors, and a Log that forwards its records over a MessagePort (the tests
// check that records survive a structured clone).
import type { Log, LogFields, LogLevel } from '../../src/log.js';

export interface LogLine {
  level: string;
  fields: LogFields;
  msg?: string;
}

/** A logger appending each call to `lines`; child() returns the same logger. */
export function recordingLog(lines: LogLine[]): Log {
  const at = (level: string) => (fields: LogFields, msg?: string) => {
    lines.push({ level, fields, msg });
  };
  const log: Log = logOf(at, () => log);
  return log;
}

/** A Log whose every level writes through `at(level)`. */
function logOf(at: (level: LogLevel) => (fields: LogFields, msg?: string) => void, child: Log['child']): Log {
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child,
  };
}

export interface ConfigErrorEntry {
  file: string;
  /** 1-based, as `vrrpd check-config` prints it. */
  line: number;
  col: number;
  message: string;
}

export function logConfigError(log: Log, e: ConfigErrorEntry): void {
  log.error({ event: 'config-error', ...e }, `${e.file}:${e.line}:${e.col}: ${e.message}`);
}

// ---- worker_thread forwarding ----

/** A log record crossing from a worker to the main thread (structured-clone safe). */
export interface LogRecordMessage {
  type: 'vrrpd-log';
  level: LogLevel;
  fields: LogFields;
  msg?: string;
}

export function isLogRecordMessage(v: unknown): v is LogRecordMessage {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    m.type === 'vrrpd-log' &&
    typeof m.level === 'string' &&
    m.level in LEVEL_RANK &&
    typeof m.fields === 'object' &&
    m.fields !== null
  );
}

const LEVEL_RANK: Record<LogLevel, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

/** Errors don't survive structured cloning with their fields; flatten them. */
function cloneable(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    out[k] =
      v instanceof Error
        ? { type: v.name, message: v.message, stack: v.stack, code: (v as { code?: unknown }).code }
        : v;
  }
  return out;
}

/**
 * A Log for a worker thread: records at or above `level` are posted (e.g. with
 * `parentPort.postMessage`) instead of written, so only the main thread touches stdout.
 */
export function createForwardingLogger(
  post: (m: LogRecordMessage) => void,
  level: LogLevel = 'info',
  bindings: LogFields = {},
): Log {
  const at =
    (l: LogLevel) =>
    (fields: LogFields, msg?: string): void => {
      if (LEVEL_RANK[l] < LEVEL_RANK[level]) return;
      const m: LogRecordMessage = {
        type: 'vrrpd-log',
        level: l,
        fields: cloneable({ ...bindings, ...fields }),
      };
      if (msg !== undefined) m.msg = msg;
      post(m);
    };
  return logOf(at, (more) => createForwardingLogger(post, level, { ...bindings, ...more }));
}

/** Main thread: writes a record a worker forwarded. */
export function forwardLogRecord(log: Log, m: LogRecordMessage): void {
  log[m.level](m.fields, m.msg);
}
