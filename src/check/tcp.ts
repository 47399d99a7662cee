// TCP connect probe: up when the three-way handshake completes, and optionally when
// `expect` arrives after `send` (keepalived TCP_CHECK, plus a simple banner/echo check).

import net from 'node:net';
import type { ConnectHandle, ConnectSink, ConnectTarget, TcpConnector } from '../effects/types.js';
import {
  describeError,
  type Probe,
  type ProbeResult,
  type ProbeRun,
  settlesOnAbort,
  since,
} from './probe.js';

export interface TcpProbeOptions {
  host: string;
  port: number;
  /** source address for the connection (keepalived bindto) */
  bindAddress?: string;
  /** fail when the handshake has not completed within this time; else only the check timeout applies */
  connectTimeoutMs?: number;
  /** bytes written once connected */
  send?: string | Buffer;
  /** bytes that must appear in what the target sends back (first 64 KiB) */
  expect?: string | Buffer;
  /**
   * How to end a connection that reached the target: 'reset' (default) aborts it with an RST,
   * 'graceful' closes with FIN. Why reset: the checker closes first, so a FIN close leaves a
   * TIME_WAIT socket on the director for 60 s per check — 10,000 checks/s would need 600,000,
   * far past net.ipv4.tcp_max_tw_buckets — and costs more packets. The price: the target may
   * log a reset. HAProxy's health checks make the same choice.
   */
  close?: 'reset' | 'graceful';
  /**
   * 'auto' (default): a plain connect check to an IP literal (no %zone) uses the connector
   * the probe was given (the addon's prober, effects/tcp-connect.ts); 'socket' always uses
   * net.Socket.
   */
  engine?: 'auto' | 'socket';
}

const MAX_EXPECT_BYTES = 64 * 1024;

/** `connector`: connect-only attempts for plain checks; without one, net.Socket. */
export function tcpProbe(opts: TcpProbeOptions, connector: TcpConnector | null = null): Probe {
  const send = typeof opts.send === 'string' ? Buffer.from(opts.send) : opts.send;
  const expect = typeof opts.expect === 'string' ? Buffer.from(opts.expect) : opts.expect;
  const where = opts.host.includes(':') ? `[${opts.host}]:${opts.port}` : `${opts.host}:${opts.port}`;
  const connectOpts: net.TcpNetConnectOpts = { host: opts.host, port: opts.port };
  const graceful = opts.close === 'graceful';
  if (opts.bindAddress) connectOpts.localAddress = opts.bindAddress;
  const family = net.isIP(opts.host);
  if (
    !send &&
    !expect &&
    !graceful &&
    opts.engine !== 'socket' &&
    family !== 0 &&
    !opts.host.includes('%') &&
    connector !== null
  ) {
    return nativeProbe(opts, family as 4 | 6, connector);
  }

  return settlesOnAbort(
    (signal) =>
      new Promise<ProbeResult>((resolve) => {
        const start = performance.now();
        let done = false;
        let timer: NodeJS.Timeout | undefined;
        let received: Buffer | undefined;
        let connected = false;
        const socket = net.connect(connectOpts);

        const finish = (result: ProbeResult) => {
          if (done) return;
          done = true;
          if (timer) clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          if (connected && !graceful && !socket.destroyed) socket.resetAndDestroy();
          else socket.destroy();
          resolve(result);
        };
        const fail = (reason: string) => finish({ ok: false, reason, latencyMs: since(start) });
        const onAbort = () => fail(`${describeError(signal.reason)} (${where})`);

        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        if (opts.connectTimeoutMs !== undefined) {
          timer = setTimeout(
            () => fail(`connect to ${where} timed out after ${opts.connectTimeoutMs} ms`),
            opts.connectTimeoutMs,
          );
        }

        socket.once('error', (err) => fail(describeError(err)));
        socket.once('connect', () => {
          connected = true;
          if (timer) clearTimeout(timer);
          timer = undefined;
          if (!send && !expect) return finish({ ok: true, latencyMs: since(start) });
          if (send) {
            socket.write(send, (err) => {
              if (err) fail(`send to ${where}: ${describeError(err)}`);
              else if (!expect) finish({ ok: true, latencyMs: since(start) });
            });
          }
          if (!expect) return;
          socket.on('data', (chunk: Buffer) => {
            received = received ? Buffer.concat([received, chunk]) : chunk;
            if (received.includes(expect)) return finish({ ok: true, latencyMs: since(start) });
            if (received.length > MAX_EXPECT_BYTES) {
              fail(
                `expected ${JSON.stringify(expect.toString())} not within the first ${MAX_EXPECT_BYTES} bytes from ${where}`,
              );
            }
          });
          socket.once('end', () =>
            fail(
              `${where} closed the connection before sending ${JSON.stringify(expect.toString())}` +
                (received ? ` (got ${JSON.stringify(received.subarray(0, 64).toString())})` : ''),
            ),
          );
        });
      }),
  );
}

/** The same probe on the native prober: connect, reset, report (no stream, no nextTick events). */
function nativeProbe(opts: TcpProbeOptions, family: 4 | 6, connector: TcpConnector): Probe {
  const plain: PlainTcp = {
    connector,
    target: connector.target(opts.host, family, opts.port, opts.bindAddress),
    connectTimeoutMs: opts.connectTimeoutMs,
  };
  const probe = settlesOnAbort(
    (signal) =>
      new Promise<ProbeResult>((resolve) => {
        const run = new TcpRun(plain, resolve);
        if (signal.aborted) {
          run.abort(signal.reason);
          return;
        }
        const onAbort = () => run.abort(signal.reason);
        // The listener goes when the run settles: the scheduler reuses a signal that did not abort.
        run.onSettle = () => signal.removeEventListener('abort', onAbort);
        signal.addEventListener('abort', onAbort);
      }),
  );
  probe.start = (done) => new TcpRun(plain, done);
  return probe;
}

interface PlainTcp {
  connector: TcpConnector;
  target: ConnectTarget;
  connectTimeoutMs: number | undefined;
}

/**
 * One plain attempt: the connect sink, the abort handle and the result in one object, so a
 * run allocates it, the attempt and its result, and no closures.
 */
class TcpRun implements ConnectSink, ProbeRun {
  private readonly started = performance.now();
  private readonly attempt: ConnectHandle;
  private timer: NodeJS.Timeout | undefined;
  private settled = false;
  private cancelled = false;
  onSettle: (() => void) | undefined;

  constructor(
    readonly p: PlainTcp,
    private readonly done: (r: ProbeResult) => void,
  ) {
    this.attempt = p.connector.start(p.target, this);
    if (p.connectTimeoutMs !== undefined && !this.attempt.finished) {
      this.timer = setTimeout(connectTimedOut, p.connectTimeoutMs, this);
    }
  }

  connectDone(failure: string | null): void {
    if (!this.cancelled) this.finish(failure);
  }

  abort(reason: unknown): void {
    this.giveUp(`${describeError(reason)} (${this.p.target.where})`);
  }

  /**
   * Cancels the attempt now and reports `reason` on the next microtask (never synchronously).
   * The first give-up wins over any outcome not yet reported (e.g. a queued bind error).
   */
  giveUp(reason: string): void {
    if (this.settled || this.cancelled) return;
    this.cancelled = true;
    this.attempt.cancel();
    queueMicrotask(() => this.finish(reason));
  }

  private finish(failure: string | null): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.onSettle?.();
    const latencyMs = since(this.started);
    this.done(failure === null ? { ok: true, latencyMs } : { ok: false, reason: failure, latencyMs });
  }
}

function connectTimedOut(run: TcpRun): void {
  const p = run.p;
  run.giveUp(`connect to ${p.target.where} timed out after ${p.connectTimeoutMs} ms`);
}
