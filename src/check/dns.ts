// DNS probe (keepalived DNS_CHECK): one query over UDP, recursion desired. Up when a reply
// with the query's id, the QR bit set and RCODE 0 (NOERROR) arrives within the connect
// timeout; replies with another id or without QR are ignored, as keepalived ignores them.

import { randomInt } from 'node:crypto';
import { type Probe, settlesOnAbort } from './probe.js';
import { udpExchange, udpWhere } from './udp.js';

/** The query types keepalived's DNS_CHECK knows, with their numbers (RFC 1035, RFC 3596). */
export const DNS_TYPES = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28 } as const;
export type DnsType = keyof typeof DNS_TYPES;

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

export interface DnsProbeOptions {
  host: string;
  port: number;
  bindAddress?: string;
  connectTimeoutMs: number;
  /** default SOA */
  queryType?: DnsType;
  /** default '' (the root) */
  name?: string;
}

/** A query message: header (id, RD), one question of class IN. */
export function encodeDnsQuery(id: number, name: string, type: DnsType): Buffer {
  const labels = name.split('.').filter((l) => l !== '');
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4); // QDCOUNT
  parts.push(header);
  for (const l of labels) {
    const b = Buffer.from(l, 'latin1');
    if (b.length > 63) throw new Error(`DNS label '${l}' is longer than 63 bytes`);
    parts.push(Buffer.from([b.length]), b);
  }
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(DNS_TYPES[type], 1);
  tail.writeUInt16BE(1, 3); // IN
  parts.push(tail);
  return Buffer.concat(parts);
}

/** 'ignore' for a datagram that is not the reply; else null (passes) or the reason it fails. */
export function judgeDnsReply(msg: Buffer, id: number): 'ignore' | string | null {
  if (msg.length < 12 || msg.readUInt16BE(0) !== id) return 'ignore';
  const flags = msg.readUInt16BE(2);
  if ((flags & 0x8000) === 0) return 'ignore';
  const rcode = flags & 0xf;
  if (rcode !== 0) return `rcode ${rcode} (${RCODES[rcode] ?? 'other'})`;
  return null;
}

export function dnsProbe(opts: DnsProbeOptions): Probe {
  const where = udpWhere(opts.host, opts.port);
  const type = opts.queryType ?? 'SOA';
  const name = opts.name ?? '';
  const what = `${type} ${name === '' ? '.' : name}`;
  encodeDnsQuery(0, name, type); // a bad name fails here, at set-up, not at every run

  return settlesOnAbort((signal) => {
    const id = randomInt(0, 0x10000);
    return udpExchange({
      signal,
      host: opts.host,
      port: opts.port,
      ...(opts.bindAddress !== undefined ? { bindAddress: opts.bindAddress } : {}),
      payload: encodeDnsQuery(id, name, type),
      waitMs: opts.connectTimeoutMs,
      judge: (msg, latencyMs) => {
        const v = judgeDnsReply(msg, id);
        if (v === 'ignore') return 'ignore';
        return v === null
          ? { ok: true, latencyMs, detail: `${what}: NOERROR` }
          : { ok: false, reason: `${where} answered ${what} with ${v}`, latencyMs };
      },
      silence: (latencyMs) => ({
        ok: false,
        reason: `no answer to ${what} from ${where} within ${opts.connectTimeoutMs} ms`,
        latencyMs,
      }),
    });
  });
}
