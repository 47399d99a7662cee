// UDP probe (keepalived UDP_CHECK): one datagram to the target on a connected socket.
// Without `requireReply` the target is up when no ICMP error (port/host/net unreachable,
// which the kernel reports on a connected socket as ECONNREFUSED, EHOSTUNREACH...) comes
// back within the connect timeout; with it, a reply must arrive, its length within
// [minReplyLength, maxReplyLength], and, given a pattern, its bytes must match the pattern
// over the shorter of the two (an 'x' nibble in the pattern matches anything).

import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { describeError, type Probe, type ProbeResult, settlesOnAbort, since } from './probe.js';

export interface UdpProbeOptions {
  host: string;
  port: number;
  bindAddress?: string;
  /** the wait for an ICMP error, or for the reply */
  connectTimeoutMs: number;
  /** hex digits, two per byte; absent: 16 random bytes each run (as keepalived sends random data) */
  payloadHex?: string;
  requireReply?: boolean;
  /** hex digits with 'x' for a nibble that may be anything; needs requireReply */
  replyHex?: string;
  /** default 0 */
  minReplyLength?: number;
  /** default 255 (keepalived's) */
  maxReplyLength?: number;
}

/** 'ab0x' → bytes and a mask of the bits that must match. */
export function patternOf(hex: string): { data: Buffer; mask: Buffer } {
  const h = hex.toLowerCase();
  const n = h.length >> 1;
  const data = Buffer.alloc(n);
  const mask = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    let d = 0;
    let m = 0;
    for (const k of [0, 1]) {
      const c = h[2 * i + k]!;
      d <<= 4;
      m <<= 4;
      if (c !== 'x') {
        d |= Number.parseInt(c, 16);
        m |= 0xf;
      }
    }
    data[i] = d;
    mask[i] = m;
  }
  return { data, mask };
}

/** Why a reply fails the check, or null when it passes. */
export function judgeReply(
  reply: Buffer,
  min: number,
  max: number,
  pattern: { data: Buffer; mask: Buffer } | undefined,
): string | null {
  if (reply.length < min || reply.length > max) {
    return `reply of ${reply.length} bytes, outside ${min}-${max}`;
  }
  if (!pattern) return null;
  const n = Math.min(reply.length, pattern.data.length);
  for (let i = 0; i < n; i++) {
    if (((reply[i]! ^ pattern.data[i]!) & pattern.mask[i]!) !== 0) {
      return `reply differs from the expected bytes at offset ${i} (got ${reply.subarray(0, n).toString('hex')})`;
    }
  }
  return null;
}

/** host:port, [v6]:port: where a UDP target is, in messages. */
export function udpWhere(host: string, port: number): string {
  return net.isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * One datagram to host:port from a connected socket (so that an ICMP error comes back as
 * the socket's error), then the first reply `judge` does not ignore, or `silence` after
 * waitMs; the abort signal, send and socket errors fail it. The udp and dns checks.
 */
export function udpExchange(o: {
  signal: AbortSignal;
  host: string;
  port: number;
  bindAddress?: string;
  payload: Buffer;
  waitMs: number;
  judge: (msg: Buffer, latencyMs: number) => ProbeResult | 'ignore';
  silence: (latencyMs: number) => ProbeResult;
}): Promise<ProbeResult> {
  const { signal } = o;
  const family = net.isIP(o.host) === 6 ? 'udp6' : 'udp4';
  const where = udpWhere(o.host, o.port);
  return new Promise<ProbeResult>((resolve) => {
    const start = performance.now();
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const socket = dgram.createSocket({ type: family });
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      try {
        socket.close();
      } catch {
        // already closed
      }
      resolve(r);
    };
    const fail = (reason: string) => finish({ ok: false, reason, latencyMs: since(start) });
    const onAbort = () => fail(`${describeError(signal.reason)} (${where})`);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });

    socket.on('error', (err) => fail(`${where}: ${describeError(err)}`));
    socket.on('message', (msg) => {
      const r = o.judge(msg, since(start));
      if (r !== 'ignore') finish(r);
    });
    const go = () =>
      socket.connect(o.port, o.host, () => {
        socket.send(o.payload, (err) => {
          if (err) return fail(`send to ${where}: ${describeError(err)}`);
          timer = setTimeout(() => finish(o.silence(since(start))), o.waitMs);
        });
      });
    if (o.bindAddress !== undefined) socket.bind({ address: o.bindAddress, port: 0 }, go);
    else go();
  });
}

export function udpProbe(opts: UdpProbeOptions): Probe {
  const where = udpWhere(opts.host, opts.port);
  const payload = opts.payloadHex !== undefined ? Buffer.from(opts.payloadHex, 'hex') : undefined;
  const min = opts.minReplyLength ?? 0;
  const max = opts.maxReplyLength ?? 255;
  const pattern = opts.replyHex !== undefined ? patternOf(opts.replyHex) : undefined;
  const requireReply = opts.requireReply === true;

  return settlesOnAbort((signal) =>
    udpExchange({
      signal,
      host: opts.host,
      port: opts.port,
      ...(opts.bindAddress !== undefined ? { bindAddress: opts.bindAddress } : {}),
      payload: payload ?? randomBytes(16),
      waitMs: opts.connectTimeoutMs,
      judge: (msg, latencyMs) => {
        if (!requireReply) return { ok: true, latencyMs, detail: 'replied' };
        const why = judgeReply(msg, min, max, pattern);
        return why === null ? { ok: true, latencyMs } : { ok: false, reason: `${where}: ${why}`, latencyMs };
      },
      silence: (latencyMs) =>
        requireReply
          ? { ok: false, reason: `no reply from ${where} within ${opts.connectTimeoutMs} ms`, latencyMs }
          : { ok: true, latencyMs, detail: 'no ICMP error' },
    }),
  );
}
