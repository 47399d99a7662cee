// Small classic-pcap reader for tests (the format tcpdump -w and tshark -F pcap write),
// plus the Ethernet / IPv4 / IPv6 split that gets a test from a frame to the VRRP payload.
// Not pcapng: capture with `tcpdump -w` or `tshark -F pcap`.
import { readFileSync } from 'node:fs';
import { formatIp, formatMac } from '../../src/net/addr.js';

export const LINKTYPE_ETHERNET = 1;

export interface PcapFrame {
  /** Capture time in seconds since the epoch, with sub-second precision as stored. */
  timeSec: number;
  /** Whole seconds and the fraction in nanoseconds, exactly as stored (µs files scaled). */
  tsSec: number;
  tsNsec: number;
  /** Length on the wire; data may be shorter when the snap length cut it. */
  origLen: number;
  data: Buffer;
}

export interface PcapFile {
  linkType: number;
  snapLen: number;
  nanosecond: boolean;
  frames: PcapFrame[];
}

/** Reads a classic pcap from a path or bytes; either byte order, µs or ns timestamps. */
export function readPcap(input: string | Buffer): PcapFile {
  const buf = typeof input === 'string' ? readFileSync(input) : input;
  if (buf.length < 24) throw new Error('pcap: file shorter than its 24-byte global header');
  const magicLE = buf.readUInt32LE(0);
  let le: boolean;
  let nanosecond: boolean;
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) {
    le = true;
    nanosecond = magicLE === 0xa1b23c4d;
  } else {
    const magicBE = buf.readUInt32BE(0);
    if (magicBE !== 0xa1b2c3d4 && magicBE !== 0xa1b23c4d) {
      throw new Error(`pcap: bad magic 0x${magicLE.toString(16)} (pcapng? capture with -F pcap)`);
    }
    le = false;
    nanosecond = magicBE === 0xa1b23c4d;
  }
  const u32 = (at: number) => (le ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const snapLen = u32(16);
  const linkType = u32(20) & 0xffff;
  const frames: PcapFrame[] = [];
  let at = 24;
  while (at + 16 <= buf.length) {
    const tsSec = u32(at);
    const frac = u32(at + 4);
    const inclLen = u32(at + 8);
    const origLen = u32(at + 12);
    at += 16;
    if (at + inclLen > buf.length) throw new Error(`pcap: frame ${frames.length + 1} is truncated`);
    const tsNsec = nanosecond ? frac : frac * 1000;
    frames.push({
      timeSec: tsSec + tsNsec / 1e9,
      tsSec,
      tsNsec,
      origLen,
      data: Buffer.from(buf.subarray(at, at + inclLen)),
    });
    at += inclLen;
  }
  return { linkType, snapLen, nanosecond, frames };
}

export interface EthernetFrame {
  dst: string;
  src: string;
  etherType: number;
  /** 802.1Q VLAN id when the frame was tagged. */
  vlan?: number;
  payload: Buffer;
}

export function splitEthernet(frame: Buffer): EthernetFrame | null {
  if (frame.length < 14) return null;
  let etherType = frame.readUInt16BE(12);
  let at = 14;
  let vlan: number | undefined;
  if (etherType === 0x8100 && frame.length >= 18) {
    vlan = frame.readUInt16BE(14) & 0x0fff;
    etherType = frame.readUInt16BE(16);
    at = 18;
  }
  const out: EthernetFrame = {
    dst: formatMac(frame.subarray(0, 6)),
    src: formatMac(frame.subarray(6, 12)),
    etherType,
    payload: frame.subarray(at),
  };
  if (vlan !== undefined) out.vlan = vlan;
  return out;
}

export interface IpLayer {
  family: 4 | 6;
  src: string;
  dst: string;
  /** TTL (IPv4) or hop limit (IPv6). */
  ttl: number;
  /** IPv4 protocol or IPv6 next header (no extension headers are walked). */
  protocol: number;
  /** The IP header bytes as captured (IPv4 20+ bytes, IPv6 40). */
  header: Buffer;
  /** Upper-layer bytes, trimmed to the IP length (Ethernet padding removed). */
  payload: Buffer;
}

/** Splits the IP layer of an Ethernet frame; null when it is not IPv4/IPv6 or is malformed. */
export function splitIp(frame: Buffer): IpLayer | null {
  const eth = splitEthernet(frame);
  if (!eth) return null;
  const p = eth.payload;
  if (eth.etherType === 0x0800) {
    if (p.length < 20 || p[0]! >> 4 !== 4) return null;
    const ihl = (p[0]! & 0x0f) * 4;
    const total = p.readUInt16BE(2);
    if (ihl < 20 || total < ihl || total > p.length) return null;
    return {
      family: 4,
      src: formatIp(p.subarray(12, 16)),
      dst: formatIp(p.subarray(16, 20)),
      ttl: p[8]!,
      protocol: p[9]!,
      header: p.subarray(0, ihl),
      payload: p.subarray(ihl, total),
    };
  }
  if (eth.etherType === 0x86dd) {
    if (p.length < 40 || p[0]! >> 4 !== 6) return null;
    const plen = p.readUInt16BE(4);
    if (40 + plen > p.length) return null;
    return {
      family: 6,
      src: formatIp(p.subarray(8, 24)),
      dst: formatIp(p.subarray(24, 40)),
      ttl: p[7]!,
      protocol: p[6]!,
      header: p.subarray(0, 40),
      payload: p.subarray(40, 40 + plen),
    };
  }
  return null;
}

/** Frames of a capture that carry the given IP protocol (112 = VRRP), already split. */
export function ipPackets(file: PcapFile, protocol: number): (IpLayer & { frame: PcapFrame })[] {
  const out: (IpLayer & { frame: PcapFrame })[] = [];
  for (const frame of file.frames) {
    const ip = splitIp(frame.data);
    if (ip && ip.protocol === protocol) out.push({ ...ip, frame });
  }
  return out;
}

/** Writes frames as a classic pcap (µs, little-endian, Ethernet), e.g. for tshark to judge. */
export function writePcap(frames: readonly Buffer[], startSec = 1_795_000_000): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  const parts: Buffer[] = [head];
  frames.forEach((f, i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(startSec + i, 0);
    rec.writeUInt32LE(f.length, 8);
    rec.writeUInt32LE(f.length, 12);
    parts.push(rec, f);
  });
  return Buffer.concat(parts);
}

function ethHeader(dstMac: Buffer, srcMac: Buffer, etherType: number): Buffer {
  const h = Buffer.alloc(14);
  dstMac.copy(h, 0);
  srcMac.copy(h, 6);
  h.writeUInt16BE(etherType, 12);
  return h;
}

/** An Ethernet + IPv4 frame around `payload` (test use: feeding our encodings to tshark). */
export function buildIpv4Frame(o: {
  src: Buffer;
  dst: Buffer;
  protocol: number;
  payload: Buffer;
  ttl?: number;
  srcMac?: Buffer;
}): Buffer {
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip[1] = 0xc0;
  ip.writeUInt16BE(20 + o.payload.length, 2);
  ip[8] = o.ttl ?? 255;
  ip[9] = o.protocol;
  o.src.copy(ip, 12);
  o.dst.copy(ip, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  ip.writeUInt16BE(~sum & 0xffff, 10);
  const dstMac = Buffer.from([0x01, 0x00, 0x5e, o.dst[1]! & 0x7f, o.dst[2]!, o.dst[3]!]);
  const srcMac = o.srcMac ?? Buffer.from([0x02, 0, 0, 0, 0, 1]);
  return Buffer.concat([ethHeader(dstMac, srcMac, 0x0800), ip, o.payload]);
}

/** An Ethernet + IPv6 frame around `payload`, to a multicast destination. */
export function buildIpv6Frame(o: {
  src: Buffer;
  dst: Buffer;
  nextHeader: number;
  payload: Buffer;
  hopLimit?: number;
  srcMac?: Buffer;
}): Buffer {
  const ip = Buffer.alloc(40);
  ip.writeUInt32BE(0x60000000, 0);
  ip.writeUInt16BE(o.payload.length, 4);
  ip[6] = o.nextHeader;
  ip[7] = o.hopLimit ?? 255;
  o.src.copy(ip, 8);
  o.dst.copy(ip, 24);
  const dstMac = Buffer.from([0x33, 0x33, o.dst[12]!, o.dst[13]!, o.dst[14]!, o.dst[15]!]);
  const srcMac = o.srcMac ?? Buffer.from([0x02, 0, 0, 0, 0, 1]);
  return Buffer.concat([ethHeader(dstMac, srcMac, 0x86dd), ip, o.payload]);
}
