// Logging helpers for tests: a Log (src/log.ts) that records every line, and an event
// helper for config errors.
import { type Log, type LogFields, logThrough } from '../../src/log.js';

export interface LogLine {
  level: string;
  fields: LogFields;
  msg?: string;
}

/** A logger appending each call to `lines`; child() returns the same logger. */
export function recordingLog(lines: LogLine[]): Log {
  const log: Log = {
    ...logThrough((level, fields, msg) => lines.push({ level, fields, msg })),
    child: () => log,
  };
  return log;
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
