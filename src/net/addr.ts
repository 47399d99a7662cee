// IP and MAC address helpers shared by codecs, netlink and config.
// Pure: text <-> bytes, comparisons, prefixes. IPv6 text output is RFC 5952 form.
import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 4 | 6;

export interface ParsedIp {
  family: IpFamily;
  bytes: Buffer; // 4 or 16 bytes, network order
}

export function ipFamily(text: string): IpFamily | null {
  if (isIPv4(text)) return 4;
  if (isIPv6(text)) return 6;
  return null;
}

/** Parses an IPv4 or IPv6 address (no prefix). Returns null when it is not an address. */
export function parseIp(text: string): ParsedIp | null {
  if (isIPv4(text)) {
    return { family: 4, bytes: Buffer.from(text.split('.').map((o) => Number(o))) };
  }
  if (isIPv6(text)) return { family: 6, bytes: parseIpv6(text) };
  return null;
}

function parseIpv6(text: string): Buffer {
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  // an embedded IPv4 tail (::ffff:192.0.2.1) becomes two hextets
  const v4 = s.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4?.[1]) {
    const o = v4[1].split('.').map(Number) as [number, number, number, number];
    s = `${s.slice(0, -v4[1].length)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const words = [...h, ...Array<string>(fill).fill('0'), ...t];
  const out = Buffer.alloc(16);
  words.forEach((w, i) => {
    out.writeUInt16BE(Number.parseInt(w, 16), i * 2);
  });
  return out;
}

/** Formats 4 or 16 address bytes as text (RFC 5952 canonical form for IPv6). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) throw new RangeError(`an IP address has 4 or 16 bytes, not ${bytes.length}`);
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  // longest run of two or more zero words is compressed to "::" (RFC 5952 §4.2)
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

/** Canonical text of an address (IPv6 compressed, lower case); null when not an address. */
export function canonicalIp(text: string): string | null {
  const p = parseIp(text);
  return p ? formatIp(p.bytes) : null;
}

/** Compares two addresses of the same family as unsigned big-endian numbers (RFC 5798 §6.4.3 tie-break). */
export function compareIp(a: string, b: string): number {
  const pa = parseIp(a);
  const pb = parseIp(b);
  if (!pa || !pb || pa.family !== pb.family) throw new TypeError(`cannot compare '${a}' with '${b}'`);
  return Buffer.compare(pa.bytes, pb.bytes);
}

/**
 * The same order on address bytes (4 or 16, network order), as the receive path keeps
 * them: < 0, 0 or > 0; NaN for addresses of different families, which have no order.
 */
export function compareIpBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Number.NaN;
  return Buffer.compare(a, b);
}

/** True when both lists hold the same addresses as bytes, in any order (a multiset compare). */
export function sameIpSet(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  // the common case, checked per advert heard: the same addresses in the same order
  let i = 0;
  while (i < a.length && sameIpBytes(a[i]!, b[i]!)) i++;
  if (i === a.length) return true;
  const order = (x: Uint8Array, y: Uint8Array) => x.length - y.length || Buffer.compare(x, y);
  const sa = [...a].sort(order);
  const sb = [...b].sort(order);
  return sa.every((x, i) => sameIpBytes(x, sb[i]!));
}

/** Address bytes of a text address; throws on text that is not one (config was validated). */
export function ipBytes(text: string): Buffer {
  const p = parseIp(text);
  if (!p) throw new TypeError(`'${text}' is not an IP address`);
  return p.bytes;
}

/** True when both hold the same address bytes. */
export function sameIpBytes(a: Uint8Array, b: Uint8Array): boolean {
  // a loop, not Buffer.compare: 4 or 16 bytes, compared per advert heard, cost less than
  // the call into C++
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface Cidr {
  family: IpFamily;
  address: string; // canonical
  prefixLength: number;
}

/** Parses "addr" or "addr/len"; a missing prefix means a host route (/32 or /128). */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const p = parseIp(addrText);
  if (!p) return null;
  const max = p.family === 4 ? 32 : 128;
  let prefixLength = max;
  if (slash >= 0) {
    const lenText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText)) return null;
    prefixLength = Number(lenText);
    if (prefixLength > max) return null;
  }
  return { family: p.family, address: formatIp(p.bytes), prefixLength };
}

/** True for fe80::/10. */
export function isLinkLocalV6(text: string): boolean {
  const p = parseIp(text);
  return !!p && p.family === 6 && p.bytes[0] === 0xfe && (p.bytes[1]! & 0xc0) === 0x80;
}

export function parseMac(text: string): Buffer | null {
  const m = text.match(
    /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i,
  );
  if (!m) return null;
  return Buffer.from(m.slice(1, 7).map((h) => Number.parseInt(h, 16)));
}

export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** VRRP virtual MAC: 00-00-5E-00-01-{VRID} for IPv4, 00-00-5E-00-02-{VRID} for IPv6 (RFC 5798 §7.3). */
export function virtualMac(family: IpFamily, vrid: number): Buffer {
  return Buffer.from([0x00, 0x00, 0x5e, 0x00, family === 4 ? 0x01 : 0x02, vrid & 0xff]);
}
