// A connect-only TCP attempt on a bare libuv TCP handle (Node's tcp_wrap binding).
//
// Why: a plain TCP check needs no stream — connect, then reset. net.Socket builds a full
// Duplex (readable and writable state, nextTick events, async hooks) per attempt, which
// cost ~40 % of the CPU of a check at 10,000 checks/s (bench/checks.ts). The binding is
// Node-internal, so it is feature-detected once and every caller falls back to net.Socket
// when it is missing or has a different shape (tcp.ts).
//
// Per attempt this allocates the two native wrappers, one ConnectAttempt and nothing else:
// no closures (the completion callback is shared and finds its attempt on the request),
// no close callbacks (reset()/close() without one never call back into JS), and the
// "host:port" text only when a failure needs it.

import { getSystemErrorName } from 'node:util';

interface TcpHandle {
  connect(req: ConnectReq, address: string, port: number): number;
  connect6(req: ConnectReq, address: string, port: number): number;
  bind(address: string, port: number): number;
  bind6(address: string, port: number, flags: number): number;
  reset(cb?: () => void): number;
  close(cb?: () => void): void;
}
interface ConnectReq {
  /** called by Node with `this` = the request: (status, handle, req, readable, writable) */
  oncomplete: (this: ConnectReq, status: number) => void;
  attempt: ConnectAttempt | null;
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
// Cached once: property loads on the binding object cost a lookup per attempt otherwise.
let TCP: TcpWrapBinding['TCP'] | undefined;
let ConnectWrap: TcpWrapBinding['TCPConnectWrap'] | undefined;
let SOCKET = 0;

/** True when the fast path can be used in this Node version. */
export function fastConnectAvailable(): boolean {
  if (binding === undefined) {
    binding = load();
    if (binding) {
      TCP = binding.TCP;
      ConnectWrap = binding.TCPConnectWrap;
      SOCKET = binding.constants.SOCKET;
    }
  }
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

/** Receives the outcome of an attempt: null when the handshake completed, else a reason. */
export interface ConnectSink {
  connectDone(failure: string | null): void;
}

/** One attempt in flight. */
export class ConnectAttempt {
  finished = false;
  constructor(
    readonly handle: TcpHandle,
    readonly host: string,
    readonly family: 4 | 6,
    readonly port: number,
    readonly sink: ConnectSink,
  ) {}

  /** Stops the attempt (closing the handle cancels a pending connect); the sink is not called. */
  cancel(): void {
    if (this.finished) return;
    this.finished = true;
    this.handle.close();
  }

  /** "[::1]:80" / "127.0.0.1:80", only built for a failure's reason */
  where(): string {
    return this.family === 6 ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }
}

// Shared by every request: Node calls it with `this` set to the request.
function afterConnect(this: ConnectReq, status: number): void {
  const a = this.attempt;
  this.attempt = null;
  if (!a || a.finished) return;
  a.finished = true;
  if (status === 0) {
    // RST rather than FIN: no TIME_WAIT left on the director (see TcpProbeOptions.close).
    if (a.handle.reset() !== 0) a.handle.close();
    a.sink.connectDone(null);
  } else {
    a.handle.close();
    a.sink.connectDone(`connect ${errName(status)} ${a.where()}`);
  }
}

function failLater(a: ConnectAttempt, syscall: string, err: number, target: string): void {
  a.finished = true;
  a.handle.close();
  // Report asynchronously, as a socket would.
  const reason = `${syscall} ${errName(err)} ${target}`;
  queueMicrotask(() => a.sink.connectDone(reason));
}

/**
 * Connects to an IP literal; calls sink.connectDone(null) when the handshake completed (the
 * connection is then reset at once) or connectDone(reason) with a net-style reason
 * ("connect ECONNREFUSED 127.0.0.1:9"), always asynchronously. Requires fastConnectAvailable().
 */
export function startConnect(
  host: string,
  family: 4 | 6,
  port: number,
  bindAddress: string | undefined,
  sink: ConnectSink,
): ConnectAttempt {
  const handle = new TCP!(SOCKET);
  const a = new ConnectAttempt(handle, host, family, port, sink);
  if (bindAddress) {
    const err = family === 6 ? handle.bind6(bindAddress, 0, 0) : handle.bind(bindAddress, 0);
    if (err) {
      failLater(a, 'bind', err, bindAddress);
      return a;
    }
  }
  const req = new ConnectWrap!();
  req.oncomplete = afterConnect;
  req.attempt = a;
  const err = family === 6 ? handle.connect6(req, host, port) : handle.connect(req, host, port);
  if (err) {
    req.attempt = null;
    failLater(a, 'connect', err, a.where());
  }
  return a;
}

/** startConnect with a plain callback (one small object more per attempt). */
export function connectOnce(
  host: string,
  family: 4 | 6,
  port: number,
  bindAddress: string | undefined,
  done: (failure: string | null) => void,
): ConnectAttempt {
  return startConnect(host, family, port, bindAddress, { connectDone: done });
}
