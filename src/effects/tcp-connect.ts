// A connect-only TCP attempt on vrrpd's native prober (native/src/tcp_prober.h).
//
// Why: a plain TCP check needs no stream: connect, then reset. net.Socket builds a full
// Duplex (readable and writable state, nextTick events, async hooks) per attempt, and even a
// bare libuv handle costs two native wrappers and a JS callback per attempt. The prober does
// socket/connect/epoll/RST in C++ and reports finished attempts in batches through one
// shared Int32Array, so a check costs a few syscalls and one small JS object. The socket of
// an attempt that succeeded is reset with connect(AF_UNSPEC) and reused by a later attempt
// (up to 256 idle per family), which saves socket(), close() and the epoll registration. Callers fall
// back to net.Socket when the addon is not loadable (tcp.ts).
//
// One prober per thread, made on first use. It keeps the event loop alive only while
// attempts are in flight.

import { getSystemErrorName } from 'node:util';
import { addon, type NativeTcpProber } from '../native/index.js';
import type { ConnectHandle, ConnectSink, ConnectTarget, TcpConnector } from './types.js';

export type { ConnectSink, ConnectTarget } from './types.js';

const FAILED_SOCKET = 0x20000;
const FAILED_BIND = 0x10000;
/** [slot, errno] pairs per batch call; a larger batch arrives in several calls */
const BATCH_PAIRS = 1024;

let prober: NativeTcpProber | null | undefined;
let sockaddrBytes: ((a: { address: string; port: number }) => Buffer) | undefined;
const out = new Int32Array(BATCH_PAIRS * 2);
/** the attempt per prober slot */
const bySlot: Array<ConnectAttempt | undefined> = [];

function onBatch(pairs: number): void {
  for (let i = 0; i < pairs; i++) {
    const slot = out[2 * i]!;
    const err = out[2 * i + 1]!;
    const a = bySlot[slot];
    if (a === undefined) continue;
    bySlot[slot] = undefined;
    if (a.finished) continue;
    a.finished = true;
    a.sink.connectDone(err === 0 ? null : `connect ${errName(err)} ${a.target.where}`);
  }
}

/** True when the native prober can be used (the addon is built and loadable here). */
export function fastConnectAvailable(): boolean {
  if (prober === undefined) {
    try {
      const native = addon();
      prober = new native.TcpProber(out, onBatch);
      sockaddrBytes = native.sockaddrBytes;
    } catch {
      prober = null;
    }
  }
  return prober !== null;
}

/** errno → "ECONNREFUSED" (falls back to the number). */
function errName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `error ${errno}`;
  }
}

/**
 * Encodes an IP literal target (no "%zone": callers use net.Socket for those). Throws when
 * the addon is unavailable (check fastConnectAvailable() first) or an address is malformed.
 */
export function connectTarget(
  host: string,
  family: 4 | 6,
  port: number,
  bindAddress?: string | undefined,
): ConnectTarget {
  if (!fastConnectAvailable()) throw new Error('native TCP prober not available');
  return {
    addr: sockaddrBytes!({ address: host, port }),
    bind: bindAddress ? sockaddrBytes!({ address: bindAddress, port: 0 }) : undefined,
    bindAddress,
    where: family === 6 ? `[${host}]:${port}` : `${host}:${port}`,
  };
}

/** One attempt in flight. */
export class ConnectAttempt implements ConnectHandle {
  finished = false;
  slot = -1;
  constructor(
    readonly target: ConnectTarget,
    readonly sink: ConnectSink,
  ) {}

  /** Stops the attempt (its socket is closed); the sink is not called. */
  cancel(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.slot >= 0) {
      prober!.cancel(this.slot);
      if (bySlot[this.slot] === this) bySlot[this.slot] = undefined;
    }
  }
}

/**
 * Connects to the target; calls sink.connectDone(null) when the handshake completed (the
 * connection is then reset at once) or connectDone(reason) with a net-style reason
 * ("connect ECONNREFUSED 127.0.0.1:9"), always asynchronously.
 */
export function startConnect(target: ConnectTarget, sink: ConnectSink): ConnectAttempt {
  const a = new ConnectAttempt(target, sink);
  const rc = prober!.start(target.addr, target.bind);
  if (rc >= 0) {
    a.slot = rc;
    bySlot[rc] = a;
    return a;
  }
  const code = -rc;
  const errno = code & 0xffff;
  const reason =
    code & FAILED_BIND
      ? `bind ${errName(errno)} ${target.bindAddress}`
      : code & FAILED_SOCKET
        ? `socket ${errName(errno)} (for ${target.where})`
        : `connect ${errName(errno)} ${target.where}`;
  // Reported asynchronously, as a socket would; a cancel() before then wins.
  queueMicrotask(() => {
    if (a.finished) return;
    a.finished = true;
    sink.connectDone(reason);
  });
  return a;
}

/** startConnect with a plain callback (one small object more per attempt). */
export function connectOnce(target: ConnectTarget, done: (failure: string | null) => void): ConnectAttempt {
  return startConnect(target, { connectDone: done });
}

/** Attempts in flight in this thread (for tests: 0 once every attempt has ended). */
export function connectsInFlight(): number {
  return prober ? prober.inFlight() : 0;
}

/** Sockets kept open for reuse by later attempts (for tests and fd accounting). */
export function connectSocketsIdle(): number {
  return prober ? prober.idle() : 0;
}

/** The prober as the checks take it (check/tcp.ts); null when the addon is not loadable here. */
export function nativeTcpConnector(): TcpConnector | null {
  return fastConnectAvailable() ? { target: connectTarget, start: startConnect } : null;
}
