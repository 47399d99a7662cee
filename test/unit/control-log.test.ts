// Logging conventions (src/log.ts): JSON lines with fixed base fields, event helpers,
// log_level honoured, and worker → main-thread forwarding through a structured clone.
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import {
  createLogger,
  type Log,
  type LogLevel,
  logHealthChange,
  logStateChange,
  logThrough,
} from '../../src/log.js';
import type { FromWorker } from '../../src/vrrp/worker-protocol.js';
import { logConfigError } from '../helpers/log.js';

function capture(level: LogLevel = 'info') {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level,
    routerId: 'lb1',
    destination: { write: (s: string) => void lines.push(JSON.parse(s)) },
  });
  return { log, lines };
}

describe('createLogger', () => {
  it('writes one JSON object per line with name, routerId, a level word and an ISO time', () => {
    const { log, lines } = capture();
    log.info({ a: 1 }, 'hello');
    expect(lines).toHaveLength(1);
    const l = lines[0]!;
    expect(l).toMatchObject({
      name: 'vrrpd',
      routerId: 'lb1',
      pid: process.pid,
      level: 'info',
      a: 1,
      msg: 'hello',
    });
    expect(typeof l.time).toBe('string');
    expect(Number.isNaN(Date.parse(l.time as string))).toBe(false);
  });

  it('honours log_level', () => {
    const { log, lines } = capture('warn');
    log.info({}, 'dropped');
    log.debug({}, 'dropped');
    log.warn({}, 'kept');
    expect(lines.map((l) => l.msg)).toEqual(['kept']);
  });

  it('writes the operator events with fixed field names', () => {
    const { log, lines } = capture();
    const asLog: Log = log; // pino's logger satisfies the daemon's Log interface
    logStateChange(asLog, { instance: 'VI_1', from: 'backup', to: 'master', reason: 'master-down-timer' });
    logHealthChange(asLog, {
      virtualServer: 'tcp/192.0.2.50:80',
      realServer: '198.51.100.3:80',
      from: 'up',
      to: 'down',
      reason: 'connection refused',
    });
    logConfigError(asLog, {
      file: '/etc/vrrpd/vrrpd.yaml',
      line: 3,
      col: 5,
      message: 'unknown key "priorty"',
    });
    expect(lines[0]).toMatchObject({
      level: 'info',
      event: 'state-change',
      instance: 'VI_1',
      from: 'backup',
      to: 'master',
      reason: 'master-down-timer',
      msg: 'VI_1: backup -> master (master-down-timer)',
    });
    expect(lines[1]).toMatchObject({
      level: 'warn',
      event: 'health-change',
      virtualServer: 'tcp/192.0.2.50:80',
      realServer: '198.51.100.3:80',
      from: 'up',
      to: 'down',
    });
    expect(lines[2]).toMatchObject({
      level: 'error',
      event: 'config-error',
      file: '/etc/vrrpd/vrrpd.yaml',
      line: 3,
      col: 5,
      msg: '/etc/vrrpd/vrrpd.yaml:3:5: unknown key "priorty"',
    });
  });
});

describe('worker forwarding', () => {
  it("carries the VRRP worker's records across a MessagePort into the main logger (logThrough)", async () => {
    const { log, lines } = capture('debug');
    const { port1, port2 } = new MessageChannel();
    type Msg = Extract<FromWorker, { type: 'log' }>;
    const done = new Promise<void>((resolve) => {
      port2.on('message', (m: Msg) => {
        log[m.level](m.obj, m.msg); // as daemon/engine-worker.ts does
        if (lines.length === 2) resolve();
      });
    });
    // as src/vrrp/worker.ts builds the engine's logger
    const wlog = logThrough((level, obj, msg) =>
      port1.postMessage({ type: 'log', level, obj, msg } satisfies Msg),
    );
    logStateChange(wlog.child({ thread: 'vrrp' }), {
      instance: 'VI_2',
      from: 'init',
      to: 'backup',
      reason: 'startup',
    });
    wlog.error({ instance: 'VI_2', err: 'ENETDOWN' }, 'sending advert failed');
    await done;
    port1.close();
    port2.close();
    expect(lines[0]).toMatchObject({
      event: 'state-change',
      instance: 'VI_2',
      thread: 'vrrp',
      level: 'info',
      name: 'vrrpd',
    });
    expect(lines[1]).toMatchObject({ level: 'error', msg: 'sending advert failed', err: 'ENETDOWN' });
  });
});
