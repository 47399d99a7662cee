// A Log (src/log.ts) that records every line, for tests that assert what was logged.
import type { Log, LogFields } from '../../src/log.js';

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
  const log: Log = {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: () => log,
  };
  return log;
}
