// Gratuitous ARP frames (RFC 826 packet, RFC 5227 §3 / RFC 5944 §4.6 "gratuitous" use):
// a new master announces that the VIP now answers from its MAC. Pure: bytes only;
// sending is effects/ business (AF_PACKET).
import { formatIp, formatMac, parseIp, parseMac } from './addr.js';

export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV4 = 0x0800;
export const ARP_HTYPE_ETHERNET = 1;
export const ARP_OP_REQUEST = 1;
export const ARP_OP_REPLY = 2;
/** Ethernet header (14) + ARP for Ethernet/IPv4 (28). The NIC pads to the 60-byte minimum. */
export const GARP_FRAME_LENGTH = 42;

export class FrameBuildError extends Error {
  readonly code = 'NET_FRAME_BUILD';
  constructor(message: string) {
    super(message);
    this.name = 'FrameBuildError';
  }
}

export function macBytes(mac: string | Uint8Array): Buffer {
  if (typeof mac !== 'string') {
    if (mac.length !== 6) throw new FrameBuildError(`a MAC address has 6 bytes, not ${mac.length}`);
    return Buffer.from(mac);
  }
  const b = parseMac(mac);
  if (!b) throw new FrameBuildError(`'${mac}' is not a MAC address (expected aa:bb:cc:dd:ee:ff)`);
  return b;
}

/**
 * A gratuitous ARP as a full Ethernet frame: broadcast destination, ARP request
 * (op 1) with sender IP = target IP = VIP, sender MAC = `mac`, target MAC zero.
 * The request form is the one every stack accepts to update its cache (RFC 5227 §3).
 */
export function buildGratuitousArp(vip: string, mac: string | Uint8Array): Buffer {
  const ip = parseIp(vip);
  if (ip?.family !== 4) throw new FrameBuildError(`gratuitous ARP needs an IPv4 address, not '${vip}'`);
  const hw = macBytes(mac);
  const f = Buffer.alloc(GARP_FRAME_LENGTH);
  f.fill(0xff, 0, 6); // Ethernet destination: broadcast
  hw.copy(f, 6); // Ethernet source
  f.writeUInt16BE(ETHERTYPE_ARP, 12);
  // RFC 826 packet: ar$hrd, ar$pro, ar$hln, ar$pln, ar$op, sha, spa, tha, tpa
  f.writeUInt16BE(ARP_HTYPE_ETHERNET, 14);
  f.writeUInt16BE(ETHERTYPE_IPV4, 16);
  f[18] = 6;
  f[19] = 4;
  f.writeUInt16BE(ARP_OP_REQUEST, 20);
  hw.copy(f, 22); // sender hardware address
  ip.bytes.copy(f, 28); // sender protocol address
  // target hardware address stays zero (bytes 32..37)
  ip.bytes.copy(f, 38); // target protocol address
  return f;
}

export interface ArpFrame {
  ethDst: string;
  ethSrc: string;
  htype: number;
  ptype: number;
  hlen: number;
  plen: number;
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export type ArpDecodeReason = 'too-short' | 'ethertype' | 'not-ethernet-ipv4';

/** Decodes an Ethernet/IPv4 ARP frame (for tests and captures). Never throws. */
export function decodeArpFrame(
  buf: Uint8Array,
): { ok: true; value: ArpFrame } | { ok: false; reason: ArpDecodeReason; detail?: string } {
  if (buf.length < GARP_FRAME_LENGTH)
    return { ok: false, reason: 'too-short', detail: `${buf.length} bytes` };
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const etherType = b.readUInt16BE(12);
  if (etherType !== ETHERTYPE_ARP) {
    return { ok: false, reason: 'ethertype', detail: `ethertype 0x${etherType.toString(16)}` };
  }
  const htype = b.readUInt16BE(14);
  const ptype = b.readUInt16BE(16);
  const hlen = b[18]!;
  const plen = b[19]!;
  if (htype !== ARP_HTYPE_ETHERNET || ptype !== ETHERTYPE_IPV4 || hlen !== 6 || plen !== 4) {
    return { ok: false, reason: 'not-ethernet-ipv4', detail: `hrd ${htype} pro 0x${ptype.toString(16)}` };
  }
  return {
    ok: true,
    value: {
      ethDst: formatMac(b.subarray(0, 6)),
      ethSrc: formatMac(b.subarray(6, 12)),
      htype,
      ptype,
      hlen,
      plen,
      op: b.readUInt16BE(20),
      senderMac: formatMac(b.subarray(22, 28)),
      senderIp: formatIp(b.subarray(28, 32)),
      targetMac: formatMac(b.subarray(32, 38)),
      targetIp: formatIp(b.subarray(38, 42)),
    },
  };
}
