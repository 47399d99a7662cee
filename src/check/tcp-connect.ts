// A connect-only TCP attempt on a bare libuv TCP handle (Node's tcp_wrap binding).
//
// Why: a plain TCP check needs no stream — connect, then reset. net.Socket builds a full
// Duplex (readable and writable state, nextTick events, async hooks) per attempt, which
// cost ~40 % of the CPU of a check at 10,000 checks/s (bench/checks.ts). The binding is
// Node-internal, so it is feature-detected once and every caller falls back to net.Socket
// when it is missing or has a different shape (tcp.ts).

import { getSystemErrorName } from 'node:util';

interface TcpHandle {
  connect(req: ConnectReq, address: string, port: number): number;
  connect6(req: ConnectReq, address: string, port: number): number;
  bind(address: string, port: number): number;
  bind6(address: string, port: number, flags: number): number;
  reset(cb: () => void): number;
  close(cb?: () => void): void;
}
interface ConnectReq {
  oncomplete: (status: number) => void;
}
interface TcpWrapBinding {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => ConnectReq;
  constants: { SOCKET: number };
}

function load(): TcpWrapBinding | null {
  try {
    const b = (process as unknown as { binding(name: string): unknown }).binding(
      'tcp_wrap',
    ) as TcpWrapBinding;
    if (typeof b?.TCP !== 'function' || typeof b.TCPConnectWrap !== 'function') return null;
    if (typeof b.constants?.SOCKET !== 'number') return null;
    const proto = b.TCP.prototype as Partial<TcpHandle>;
    for (const m of ['connect', 'connect6', 'bind', 'bind6', 'reset', 'close'] as const) {
      if (typeof proto[m] !== 'function') return null;
    }
    return b;
  } catch {
    return null;
  }
}

let binding: TcpWrapBinding | null | undefined;

/** True when the fast path can be used in this Node version. */
export function fastConnectAvailable(): boolean {
  if (binding === undefined) binding = load();
  return binding !== null;
}

/** uv error number → "ECONNREFUSED" (falls back to the number). */
function errName(status: number): string {
  try {
    return getSystemErrorName(status);
  } catch {
    return `error ${status}`;
  }
}

export interface ConnectAttempt {
  /** Stops the attempt (closing the handle cancels a pending connect); the callback is not called. */
  cancel(): void;
}

/**
 * Connects to an IP literal; calls done(null) when the handshake completed (the connection
 * is then reset at once) or done(reason) with a net-style reason ("connect ECONNREFUSED 127.0.0.1:9").
 * Requires fastConnectAvailable().
 */
export function connectOnce(
  host: string,
  family: 4 | 6,
  port: number,
  bindAddress: string | undefined,
  done: (failure: string | null) => void,
): ConnectAttempt {
  const b = binding!;
  const handle = new b.TCP(b.constants.SOCKET);
  let finished = false;
  const end = () => {
    finished = true;
  };
  const where = family === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  const failNow = (syscall: string, err: number, target: string) => {
    end();
    handle.close();
    // Report asynchronously, as a socket would.
    queueMicrotask(() => done(`${syscall} ${errName(err)} ${target}`));
  };
  if (bindAddress) {
    const err = family === 6 ? handle.bind6(bindAddress, 0, 0) : handle.bind(bindAddress, 0);
    if (err) {
      failNow('bind', err, bindAddress);
      return { cancel: end };
    }
  }
  const req = new b.TCPConnectWrap();
  req.oncomplete = (status: number) => {
    if (finished) return;
    end();
    if (status === 0) {
      // RST rather than FIN: no TIME_WAIT left on the director (see TcpProbeOptions.close).
      if (handle.reset(noop) !== 0) handle.close();
      done(null);
    } else {
      handle.close();
      done(`connect ${errName(status)} ${where}`);
    }
  };
  const err = family === 6 ? handle.connect6(req, host, port) : handle.connect(req, host, port);
  if (err) failNow('connect', err, where);
  return {
    cancel() {
      if (finished) return;
      end();
      handle.close();
    },
  };
}

function noop(): void {}
