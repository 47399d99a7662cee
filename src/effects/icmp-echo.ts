// ICMP (IPv4) and ICMPv6 echo on raw sockets of the addon, for PING_CHECK. One socket per
// family, opened on first use; requests carry this process's identifier and a sequence
// number, and replies are matched on (source, identifier, sequence). An ICMP error quoting
// one of our requests (destination unreachable, time exceeded) ends that request at once.
// The kernel fills the ICMPv6 checksum; the ICMPv4 one is computed here.

import { randomInt } from 'node:crypto';
import net from 'node:net';
import { addon, c, type NativeSocket, type RawDatagram } from '../native/index.js';
import { internetChecksum } from '../net/checksum.js';
import type { EchoHandle, EchoOutcome, IcmpEcho } from './types.js';

const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;
const ECHO_REQUEST = { 4: 8, 6: 128 } as const;
const ECHO_REPLY = { 4: 0, 6: 129 } as const;
const UNREACH_TEXT_V4: Record<number, string> = {
  0: 'network unreachable',
  1: 'host unreachable',
  2: 'protocol unreachable',
  3: 'port unreachable',
  9: 'network administratively prohibited',
  10: 'host administratively prohibited',
  13: 'communication administratively prohibited',
};
const UNREACH_TEXT_V6: Record<number, string> = {
  0: 'no route to destination',
  1: 'communication administratively prohibited',
  3: 'address unreachable',
  4: 'port unreachable',
};

interface Pending {
  target: string;
  sentAt: number;
  timer: NodeJS.Timeout;
  done: (o: EchoOutcome) => void;
}

class EchoSocket {
  private readonly sock: NativeSocket;
  private readonly id = randomInt(0, 0x10000);
  private seq = randomInt(0, 0x10000);
  private readonly pending = new Map<number, Pending>();
  private reading = false;

  constructor(private readonly family: 4 | 6) {
    this.sock = new (addon().Socket)(
      c(family === 6 ? 'AF_INET6' : 'AF_INET'),
      c('SOCK_RAW'),
      family === 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP,
    );
  }

  echo(
    target: string,
    opts: { bindAddress?: string; timeoutMs: number },
    done: (o: EchoOutcome) => void,
  ): EchoHandle {
    let seq = this.seq;
    for (let i = 0; this.pending.has(seq) && i < 0x10000; i++) seq = (seq + 1) & 0xffff;
    this.seq = (seq + 1) & 0xffff;
    const pkt = Buffer.alloc(8 + 16);
    pkt[0] = ECHO_REQUEST[this.family];
    pkt.writeUInt16BE(this.id, 4);
    pkt.writeUInt16BE(seq, 6);
    pkt.write('vrrpd PING_CHECK', 8, 'latin1');
    if (this.family === 4) pkt.writeUInt16BE(internetChecksum(pkt), 2);
    const p: Pending = {
      target,
      sentAt: performance.now(),
      done,
      timer: setTimeout(
        () =>
          this.settle(seq, { ok: false, reason: `no echo reply from ${target} within ${opts.timeoutMs} ms` }),
        opts.timeoutMs,
      ),
    };
    this.pending.set(seq, p);
    this.startReading();
    try {
      this.sock.sendTo(pkt, { address: target }, opts.bindAddress ? { src: opts.bindAddress } : {});
    } catch (err) {
      const e = err as { code?: string; message?: string };
      queueMicrotask(() =>
        this.settle(seq, { ok: false, reason: `echo to ${target}: ${e.code ?? e.message}` }),
      );
    }
    return { cancel: () => this.drop(seq) };
  }

  private drop(seq: number): Pending | undefined {
    const p = this.pending.get(seq);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.pending.delete(seq);
    if (this.pending.size === 0) this.sock.setRef(false);
    return p;
  }

  private settle(seq: number, o: EchoOutcome): void {
    this.drop(seq)?.done(o);
  }

  private startReading(): void {
    this.sock.setRef(true);
    if (this.reading) return;
    this.reading = true;
    this.sock.startReading((err, msg) => {
      if (err || !msg) return;
      this.onDatagram(msg);
    }, 2048);
  }

  private onDatagram(msg: RawDatagram): void {
    let icmp = msg.data;
    if (this.family === 4) {
      if (icmp.length < 20) return;
      icmp = icmp.subarray((icmp[0]! & 0xf) * 4);
    }
    if (icmp.length < 8) return;
    const type = icmp[0]!;
    const code = icmp[1]!;
    if (type === ECHO_REPLY[this.family]) {
      if (icmp.readUInt16BE(4) !== this.id) return;
      const seq = icmp.readUInt16BE(6);
      const p = this.pending.get(seq);
      if (!p || !sameAddress(msg.from.address, p.target)) return;
      this.settle(seq, { ok: true, rttMs: Math.round((performance.now() - p.sentAt) * 100) / 100 });
      return;
    }
    // errors quote the request: the IP header, then our ICMP header
    const isError = this.family === 4 ? type === 3 || type === 11 : type === 1 || type === 3;
    if (!isError) return;
    let inner = icmp.subarray(8);
    if (this.family === 4) {
      if (inner.length < 20) return;
      inner = inner.subarray((inner[0]! & 0xf) * 4);
    } else {
      if (inner.length < 40 || inner[6] !== IPPROTO_ICMPV6) return;
      inner = inner.subarray(40);
    }
    if (inner.length < 8 || inner[0] !== ECHO_REQUEST[this.family] || inner.readUInt16BE(4) !== this.id)
      return;
    const seq = inner.readUInt16BE(6);
    const p = this.pending.get(seq);
    if (!p) return;
    const what =
      this.family === 4
        ? type === 11
          ? 'time exceeded'
          : (UNREACH_TEXT_V4[code] ?? `destination unreachable (code ${code})`)
        : type === 3
          ? 'time exceeded'
          : (UNREACH_TEXT_V6[code] ?? `destination unreachable (code ${code})`);
    this.settle(seq, { ok: false, reason: `${p.target}: ${what} (ICMP from ${msg.from.address ?? '?'})` });
  }
}

function sameAddress(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  if (a === b) return true;
  return (
    net.isIPv6(a) &&
    net.isIPv6(b) &&
    new net.SocketAddress({ address: a, family: 'ipv6' }).address ===
      new net.SocketAddress({ address: b, family: 'ipv6' }).address
  );
}

let sockets: { 4?: EchoSocket; 6?: EchoSocket } = {};

/** The process's echo sender (one raw socket per family, opened on first use; needs CAP_NET_RAW). */
export function nativeIcmpEcho(): IcmpEcho {
  return {
    echo(target, opts, done) {
      const family = net.isIP(target);
      if (family === 0) {
        queueMicrotask(() => done({ ok: false, reason: `'${target}' is not an IP address` }));
        return { cancel() {} };
      }
      const f = family as 4 | 6;
      let s = sockets[f];
      if (!s) {
        try {
          s = new EchoSocket(f);
        } catch (err) {
          const e = err as { code?: string; message?: string };
          queueMicrotask(() => done({ ok: false, reason: `raw ICMP socket: ${e.code ?? e.message}` }));
          return { cancel() {} };
        }
        sockets = { ...sockets, [f]: s };
      }
      return s.echo(target, opts, done);
    },
  };
}
