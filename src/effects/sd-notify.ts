// sd_notify(3) without libsystemd: newline-separated KEY=VALUE datagrams to the
// AF_UNIX SOCK_DGRAM socket named by $NOTIFY_SOCKET ('/path' or '@abstract').
// Outside systemd (no NOTIFY_SOCKET) every call is a no-op, so the daemon calls it freely.
//
// Usable from a worker_thread too (the native addon runs per thread): the VRRP engine's
// own loop sends WATCHDOG=1, so an engine that stalls stops the pings and systemd
// restarts the service (WatchdogSec= in systemd/vrrpd.service).
//
// Sending never throws: a lost notification must not take the daemon down; failures go
// to onError (the daemon logs them).
import { unixDgramSend } from '../native/index.js';

export interface SdNotify {
  /** Whether $NOTIFY_SOCKET names a socket (we run under systemd Type=notify). */
  readonly enabled: boolean;
  /**
   * How often to send WATCHDOG=1: half of $WATCHDOG_USEC, as sd_watchdog_enabled(3)
   * advises; null when the watchdog is off or meant for another process ($WATCHDOG_PID).
   */
  readonly watchdogIntervalMs: number | null;
  /** READY=1: startup finished (instances running), or a reload finished. */
  ready(status?: string): void;
  /** STATUS=: one line shown by `systemctl status`. */
  status(text: string): void;
  /**
   * RELOADING=1 with MONOTONIC_USEC (systemd >= 253 wants it for Type=notify-reload;
   * older ones ignore it). Follow with ready() when the reload is done.
   */
  reloading(status?: string): void;
  /** STOPPING=1: shutdown began (priority-0 adverts, VIP removal). */
  stopping(status?: string): void;
  /** WATCHDOG=1: the loop that calls it is alive. */
  watchdog(): void;
  /** MAINPID=: tell systemd which pid is the service's main process. */
  mainPid(pid: number): void;
  /** Raw send of fields (no-op when disabled). */
  notify(fields: Record<string, string | number>): void;
}

export interface SdNotifyOptions {
  /** Datagram sender; default the native addon's unixDgramSend. */
  send?: (path: string, data: Buffer) => void;
  /** CLOCK_MONOTONIC in microseconds; default process.hrtime (libuv reads CLOCK_MONOTONIC). */
  monotonicUsec?: () => bigint;
  onError?: (err: Error) => void;
}

/** Half of WATCHDOG_USEC in ms, or null (pure; exported for tests). */
export function watchdogInterval(env: NodeJS.ProcessEnv, pid: number): number | null {
  const usecText = env.WATCHDOG_USEC;
  if (usecText === undefined || !/^\d+$/.test(usecText)) return null;
  const pidText = env.WATCHDOG_PID;
  if (pidText !== undefined && pidText !== '' && Number(pidText) !== pid) return null;
  const usec = Number(usecText);
  if (usec <= 0) return null;
  return Math.max(1, Math.floor(usec / 2000));
}

/** One field line: values are single-line (a newline would start a new, forged field). */
function encode(fields: Record<string, string | number>): Buffer {
  const lines = Object.entries(fields).map(([k, v]) => `${k}=${String(v).replace(/[\r\n]+/g, ' ')}`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

export function createSdNotify(env: NodeJS.ProcessEnv = process.env, opts: SdNotifyOptions = {}): SdNotify {
  const socketPath = env.NOTIFY_SOCKET;
  const enabled =
    socketPath !== undefined &&
    socketPath.length > 1 &&
    (socketPath.startsWith('/') || socketPath.startsWith('@'));
  const send = opts.send ?? unixDgramSend;
  const monotonicUsec = opts.monotonicUsec ?? (() => process.hrtime.bigint() / 1000n);

  const notify = (fields: Record<string, string | number>): void => {
    if (!enabled) return;
    try {
      send(socketPath, encode(fields));
    } catch (err) {
      try {
        opts.onError?.(err as Error);
      } catch {
        // a failing logger must not take the caller down either
      }
    }
  };
  const withStatus = (fields: Record<string, string | number>, status?: string) =>
    status === undefined ? fields : { ...fields, STATUS: status };

  return {
    enabled,
    watchdogIntervalMs: enabled ? watchdogInterval(env, process.pid) : null,
    ready: (status) => notify(withStatus({ READY: 1 }, status)),
    status: (text) => notify({ STATUS: text }),
    reloading: (status) =>
      notify(withStatus({ RELOADING: 1, MONOTONIC_USEC: monotonicUsec().toString() }, status)),
    stopping: (status) => notify(withStatus({ STOPPING: 1 }, status)),
    watchdog: () => notify({ WATCHDOG: 1 }),
    mainPid: (pid) => notify({ MAINPID: pid }),
    notify,
  };
}
