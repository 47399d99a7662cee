// The one IPv4 / IPv6 header parser of the receive path: a raw IPv4 socket hands over the
// whole packet (header included), and so does an AF_PACKET socket once the Ethernet
// header is off. Pure, never throws; every failure has a named reason so the engine can
// count it (ARCHITECTURE rule 9). Addresses stay bytes (views into the packet).
import type { IpFamily } from './addr.js';
import { rangeSum } from './checksum.js';

/** Why a packet's IP header was not usable (counted with the VRRP drop reasons). */
export const IP_HEADER_DROP_REASONS = [
  'ip-too-short', // fewer bytes than a header (20 IPv4 / 40 IPv6), or than the IHL says
  'ip-version', // version nibble not the socket's family
  'ip-header-length', // IPv4 IHL below 5 (20 bytes), RFC 791 §3.1
  'ip-total-length', // total / payload length longer than the bytes read, or shorter than the header
  'ip-checksum', // IPv4 header checksum wrong (RFC 791 §3.1)
  'ip-fragment', // a fragment: a VRRP advert is never fragmented
] as const;
export type IpHeaderDropReason = (typeof IP_HEADER_DROP_REASONS)[number];

export type ParseResult<T, R extends string> =
  | { ok: true; value: T }
  | { ok: false; reason: R; detail?: string };

/** What the receive path needs from an IP header. */
export interface IpPacket {
  family: IpFamily;
  /** 4 or 16 bytes, network order; views into the packet */
  src: Uint8Array;
  dst: Uint8Array;
  /** IPv4 TTL / IPv6 hop limit */
  ttl: number;
  /** IPv4 protocol / IPv6 next header (an extension header is reported as such) */
  protocol: number;
  /** the bytes after the header up to the header's length field (link padding removed); a view */
  payload: Buffer;
}

const IPV4_MIN_HEADER = 20;
const IPV6_HEADER = 40;

function drop(
  reason: IpHeaderDropReason,
  detail: string,
): { ok: false; reason: IpHeaderDropReason; detail: string } {
  return { ok: false, reason, detail };
}

/** Splits one IP packet of the given family (header included). */
export function parseIpPacket(buf: Uint8Array, family: IpFamily): ParseResult<IpPacket, IpHeaderDropReason> {
  // a Buffer is taken as is (the receive path's case): one view fewer per packet
  const bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  return family === 4 ? parseIpv4(bytes) : parseIpv6(bytes);
}

// RFC 791 §3.1
function parseIpv4(buf: Buffer): ParseResult<IpPacket, IpHeaderDropReason> {
  if (buf.length < IPV4_MIN_HEADER) return drop('ip-too-short', `${buf.length} bytes, an IPv4 header is 20`);
  const version = buf[0]! >> 4;
  if (version !== 4) return drop('ip-version', `IP version ${version} on an IPv4 socket`);
  const headerLength = (buf[0]! & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER) return drop('ip-header-length', `IHL ${headerLength / 4}`);
  if (buf.length < headerLength)
    return drop('ip-too-short', `${buf.length} bytes, header claims ${headerLength}`);
  const totalLength = buf.readUInt16BE(2);
  if (totalLength < headerLength || totalLength > buf.length) {
    return drop(
      'ip-total-length',
      `total length ${totalLength}, header ${headerLength}, ${buf.length} bytes read`,
    );
  }
  if (rangeSum(buf, 0, headerLength) !== 0xffff) {
    return drop('ip-checksum', 'IPv4 header checksum does not verify');
  }
  const flagsFrag = buf.readUInt16BE(6);
  // MF set or a non-zero offset (the kernel hands raw sockets reassembled packets)
  if ((flagsFrag & 0x2000) !== 0 || (flagsFrag & 0x1fff) !== 0) {
    return drop('ip-fragment', 'fragmented IPv4 packet');
  }
  return parsed(buf, 4, buf.subarray(headerLength, totalLength));
}

// RFC 8200 §3
function parseIpv6(buf: Buffer): ParseResult<IpPacket, IpHeaderDropReason> {
  if (buf.length < IPV6_HEADER) return drop('ip-too-short', `${buf.length} bytes, an IPv6 header is 40`);
  const version = buf[0]! >> 4;
  if (version !== 6) return drop('ip-version', `IP version ${version} on an IPv6 socket`);
  const payloadLength = buf.readUInt16BE(4);
  if (IPV6_HEADER + payloadLength > buf.length) {
    return drop('ip-total-length', `payload length ${payloadLength}, ${buf.length - IPV6_HEADER} bytes read`);
  }
  return parsed(buf, 6, buf.subarray(IPV6_HEADER, IPV6_HEADER + payloadLength));
}

/** Where the fixed header keeps its facts (RFC 791 §3.1, RFC 8200 §3). */
const LAYOUT = {
  4: { src: 12, dst: 16, length: 4, ttl: 8, protocol: 9 },
  6: { src: 8, dst: 24, length: 16, ttl: 7, protocol: 6 },
} as const;

function parsed(buf: Buffer, family: IpFamily, payload: Buffer): { ok: true; value: IpPacket } {
  const at = LAYOUT[family];
  return {
    ok: true,
    value: {
      family,
      src: buf.subarray(at.src, at.src + at.length),
      dst: buf.subarray(at.dst, at.dst + at.length),
      ttl: buf[at.ttl]!,
      protocol: buf[at.protocol]!,
      payload,
    },
  };
}
