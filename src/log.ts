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
// `Log` is the one logger shape every part takes; the assembly (src/daemon.ts) holds the
// pino logger itself (it changes the level and router id on reload). The VRRP engine runs
// in a worker_thread and must not own a second stdout writer: its lines cross to the main
// thread as messages (vrrp/worker-protocol.ts) and are written there.
import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

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

/**
 * A Log whose every level calls `write(level, fields, msg)`, with child() adding bindings:
 * the VRRP worker's logger (its lines cross to the main thread as messages) and the tests'.
 */
export function logThrough(
  write: (level: LogLevel, fields: LogFields, msg?: string) => void,
  bindings?: LogFields,
): Log {
  const at = (level: LogLevel) => (fields: LogFields, msg?: string) =>
    write(level, bindings ? { ...bindings, ...fields } : fields, msg);
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: (more) => logThrough(write, { ...bindings, ...more }),
  };
}

export interface LoggerOptions {
  /** global.log_level; default 'info'. */
  level?: LogLevel;
  /** global.router_id, on every line. */
  routerId?: string;
  /** Where the lines go; default stdout (fd 1), written synchronously so a crash loses nothing. */
  destination?: DestinationStream;
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

/** The same logger with its info lines written at debug: for a part whose news another part already logs. */
export function infoAsDebug(log: Log): Log {
  return {
    trace: (f, m) => log.trace(f, m),
    debug: (f, m) => log.debug(f, m),
    info: (f, m) => log.debug(f, m),
    warn: (f, m) => log.warn(f, m),
    error: (f, m) => log.error(f, m),
    fatal: (f, m) => log.fatal(f, m),
    child: (b) => infoAsDebug(log.child(b)),
  };
}
