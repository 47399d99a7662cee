// Logging: pino JSON lines on stdout (journald captures them), one writer per process.
// Nothing else in the daemon writes to stdout.
//
// Every line carries `name: "vrrpd"`, `pid`, `routerId`, `level` (as a word: "info",
// "warn", ...) and `time` (ISO 8601). Events an operator filters on have an `event`
// field and fixed field names (helpers below):
//   state change   {event:'state-change', instance, from, to, reason}            info
//   health change  {event:'health-change', virtualServer, realServer, from, to, reason}
//                                                                   warn when to 'down', else info
//   config error   {event:'config-error', file, line, col, message}             error
// e.g. `journalctl -u vrrpd -o cat | jq 'select(.event=="state-change")'`.
//
// The VRRP engine runs in a worker_thread: it must not own a second stdout writer. It
// logs through createForwardingLogger(), which posts LogRecordMessages to the main
// thread, where forwardLogRecord() hands them to the real logger.
import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, unknown>;

/** The part of a logger the daemon uses; both pino and the worker's forwarder fit it. */
export interface Log {
  trace(fields: LogFields, msg?: string): void;
  debug(fields: LogFields, msg?: string): void;
  info(fields: LogFields, msg?: string): void;
  warn(fields: LogFields, msg?: string): void;
  error(fields: LogFields, msg?: string): void;
  fatal(fields: LogFields, msg?: string): void;
  child(bindings: LogFields): Log;
}

export interface LoggerOptions {
  /** global.log_level; default 'info'. */
  level?: LogLevel;
  /** global.router_id, on every line. */
  routerId?: string;
  /** Where the lines go; default stdout (fd 1), written synchronously so a crash loses nothing. */
  destination?: DestinationStream;
}

export function isLogLevel(v: unknown): v is LogLevel {
  return typeof v === 'string' && (LOG_LEVELS as readonly string[]).includes(v);
}

export function createLogger(opts: LoggerOptions = {}): PinoLogger {
  const destination = opts.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(
    {
      level: opts.level ?? 'info',
      base: { name: 'vrrpd', pid: process.pid, routerId: opts.routerId ?? null },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

export interface StateChange {
  instance: string;
  from: string;
  to: string;
  reason: string;
  [extra: string]: unknown;
}

export function logStateChange(log: Log, e: StateChange): void {
  log.info({ event: 'state-change', ...e }, `${e.instance}: ${e.from} -> ${e.to} (${e.reason})`);
}

export interface HealthChange {
  /** VirtualServerStatus.key, e.g. 'tcp/192.0.2.50:80'. */
  virtualServer: string;
  /** 'address:port' ('[v6]:port'). */
  realServer: string;
  from: string;
  to: string;
  reason: string;
  [extra: string]: unknown;
}

export function logHealthChange(log: Log, e: HealthChange): void {
  const fields = { event: 'health-change', ...e };
  const msg = `${e.virtualServer} ${e.realServer}: ${e.from} -> ${e.to} (${e.reason})`;
  if (e.to === 'down') log.warn(fields, msg);
  else log.info(fields, msg);
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
  return m.type === 'vrrpd-log' && isLogLevel(m.level) && typeof m.fields === 'object' && m.fields !== null;
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
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: (more) => createForwardingLogger(post, level, { ...bindings, ...more }),
  };
}

/** Main thread: writes a record a worker forwarded. */
export function forwardLogRecord(log: Log, m: LogRecordMessage): void {
  log[m.level](m.fields, m.msg);
}
