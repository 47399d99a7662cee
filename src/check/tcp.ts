// TCP connect probe: up when the three-way handshake completes, and optionally when
// `expect` arrives after `send` (keepalived TCP_CHECK, plus a simple banner/echo check).

import net from 'node:net';
import { describeError, type Probe, type ProbeResult, settlesOnAbort, since } from './probe.js';
import { connectOnce, fastConnectAvailable } from './tcp-connect.js';

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
   * 'auto' (default): a plain connect check to an IP literal uses a bare TCP handle
   * (tcp-connect.ts) when this Node has it; 'socket' always uses net.Socket.
   */
  engine?: 'auto' | 'socket';
}

const MAX_EXPECT_BYTES = 64 * 1024;

export function tcpProbe(opts: TcpProbeOptions): Probe {
  const send = typeof opts.send === 'string' ? Buffer.from(opts.send) : opts.send;
  const expect = typeof opts.expect === 'string' ? Buffer.from(opts.expect) : opts.expect;
  const where = opts.host.includes(':') ? `[${opts.host}]:${opts.port}` : `${opts.host}:${opts.port}`;
  const connectOpts: net.TcpNetConnectOpts = { host: opts.host, port: opts.port };
  const graceful = opts.close === 'graceful';
  if (opts.bindAddress) connectOpts.localAddress = opts.bindAddress;
  const family = net.isIP(opts.host);
  if (!send && !expect && !graceful && opts.engine !== 'socket' && family !== 0 && fastConnectAvailable()) {
    return handleProbe(opts, family as 4 | 6, where);
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

/** The same probe on a bare handle: connect, reset, report (no stream, no nextTick events). */
function handleProbe(opts: TcpProbeOptions, family: 4 | 6, where: string): Probe {
  const { host, port, bindAddress, connectTimeoutMs } = opts;
  return settlesOnAbort(
    (signal) =>
      new Promise<ProbeResult>((resolve) => {
        const start = performance.now();
        let timer: NodeJS.Timeout | undefined;
        let settled = false;
        const finish = (failure: string | null) => {
          if (settled) return;
          settled = true;
          if (timer) clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          const latencyMs = since(start);
          resolve(failure === null ? { ok: true, latencyMs } : { ok: false, reason: failure, latencyMs });
        };
        const giveUp = (reason: string) => {
          attempt.cancel();
          finish(reason);
        };
        const onAbort = () => giveUp(`${describeError(signal.reason)} (${where})`);
        const attempt = connectOnce(host, family, port, bindAddress, finish);
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort);
        if (connectTimeoutMs !== undefined) {
          timer = setTimeout(
            () => giveUp(`connect to ${where} timed out after ${connectTimeoutMs} ms`),
            connectTimeoutMs,
          );
        }
      }),
  );
}
