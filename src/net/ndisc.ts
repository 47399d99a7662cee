// Unsolicited neighbour advertisement frames (RFC 4861 §4.4, §7.2.6): a new master tells
// the link that the IPv6 VIP now answers from its MAC. Pure: bytes only.
import { formatIp, formatMac, isLinkLocalV6, parseIp } from './addr.js';
import { FrameBuildError, macBytes } from './arp.js';
import { checksumValid, internetChecksum, ipv6PseudoHeader } from './checksum.js';

export const ETHERTYPE_IPV6 = 0x86dd;
export const IPPROTO_ICMPV6 = 58;
export const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
export const ND_OPT_TARGET_LINKADDR = 2;
export const ALL_NODES = 'ff02::1';
/** RFC 4861 §4.4 flag bits in the first byte after the checksum. */
export const NA_FLAG_ROUTER = 0x80;
export const NA_FLAG_SOLICITED = 0x40;
export const NA_FLAG_OVERRIDE = 0x20;

const ETH_LEN = 14;
const IP6_LEN = 40;
const NA_LEN = 24; // type, code, checksum, flags+reserved, target
const OPT_LEN = 8; // target link-layer address option for Ethernet: 1 unit of 8 bytes
/** Ethernet + IPv6 + NA + one option. */
export const NA_FRAME_LENGTH = ETH_LEN + IP6_LEN + NA_LEN + OPT_LEN;

export interface UnsolicitedNaOptions {
  /** The VIP being announced: the NA's target address. */
  target: string;
  /** The MAC the VIP answers from: Ethernet source and target link-layer address option. */
  mac: string | Uint8Array;
  /** IPv6 source: an address of the sending interface, link-local or the VIP itself (RFC 4861 §4.4). Default: target. */
  srcAddress?: string;
  /** Router flag (RFC 4861 §4.4 "R"): set when the sender is a router for this VIP. Default false. */
  router?: boolean;
}

/** IPv6 multicast MAC for a group address (RFC 2464 §7): 33:33 + last 4 bytes. */
export function ipv6MulticastMac(group: Uint8Array): Buffer {
  return Buffer.from([0x33, 0x33, group[12]!, group[13]!, group[14]!, group[15]!]);
}

/**
 * An unsolicited NA as a full Ethernet frame to ff02::1 (33:33:00:00:00:01), hop limit
 * 255 (receivers drop any other, RFC 4861 §7.1.2), Override set and Solicited clear
 * (§7.2.6), with the target link-layer address option.
 */
export function buildUnsolicitedNa(opts: UnsolicitedNaOptions): Buffer {
  const target = parseIp(opts.target);
  if (target?.family !== 6) {
    throw new FrameBuildError(`neighbour advertisement needs an IPv6 target, not '${opts.target}'`);
  }
  const srcText = opts.srcAddress ?? opts.target;
  const src = parseIp(srcText);
  if (src?.family !== 6) throw new FrameBuildError(`'${srcText}' is not an IPv6 source address`);
  const dst = parseIp(ALL_NODES)!.bytes;
  const hw = macBytes(opts.mac);

  const f = Buffer.alloc(NA_FRAME_LENGTH);
  ipv6MulticastMac(dst).copy(f, 0);
  hw.copy(f, 6);
  f.writeUInt16BE(ETHERTYPE_IPV6, 12);

  const ip = f.subarray(ETH_LEN, ETH_LEN + IP6_LEN);
  ip.writeUInt32BE(0x60000000, 0); // version 6, traffic class 0, flow label 0
  ip.writeUInt16BE(NA_LEN + OPT_LEN, 4); // payload length
  ip[6] = IPPROTO_ICMPV6;
  ip[7] = 255; // hop limit
  src.bytes.copy(ip, 8);
  dst.copy(ip, 24);

  const icmp = f.subarray(ETH_LEN + IP6_LEN);
  icmp[0] = ICMPV6_NEIGHBOR_ADVERTISEMENT;
  icmp[1] = 0;
  icmp[4] = NA_FLAG_OVERRIDE | (opts.router ? NA_FLAG_ROUTER : 0);
  target.bytes.copy(icmp, 8);
  icmp[24] = ND_OPT_TARGET_LINKADDR;
  icmp[25] = 1; // length in units of 8 bytes
  hw.copy(icmp, 26);
  // ICMPv6 checksum covers the IPv6 pseudo-header (RFC 4443 §2.3, RFC 8200 §8.1)
  const pseudo = ipv6PseudoHeader(src.bytes, dst, IPPROTO_ICMPV6, icmp.length);
  icmp.writeUInt16BE(internetChecksum(pseudo, icmp), 2);
  return f;
}

export interface NdOption {
  type: number;
  /** Option bytes after type and length. */
  data: Buffer;
}

export interface NaFrame {
  ethDst: string;
  ethSrc: string;
  src: string;
  dst: string;
  hopLimit: number;
  type: number;
  code: number;
  checksum: number;
  checksumOk: boolean;
  router: boolean;
  solicited: boolean;
  override: boolean;
  /** The 29 reserved bits after the flags, as received. */
  reserved: number;
  target: string;
  options: NdOption[];
  /** From option 2, when present. */
  targetLinkLayerAddress?: string;
  srcIsLinkLocal: boolean;
}

export type NaDecodeReason =
  | 'too-short'
  | 'ethertype'
  | 'ip-version'
  | 'next-header'
  | 'icmp-type'
  | 'option';

/** Decodes an Ethernet/IPv6/ICMPv6 NA frame (for tests and captures). Never throws. */
export function decodeNaFrame(
  buf: Uint8Array,
): { ok: true; value: NaFrame } | { ok: false; reason: NaDecodeReason; detail?: string } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  if (b.length < ETH_LEN + IP6_LEN) return { ok: false, reason: 'too-short', detail: `${b.length} bytes` };
  const etherType = b.readUInt16BE(12);
  if (etherType !== ETHERTYPE_IPV6) {
    return { ok: false, reason: 'ethertype', detail: `ethertype 0x${etherType.toString(16)}` };
  }
  const ip = b.subarray(ETH_LEN);
  if (ip[0]! >> 4 !== 6) return { ok: false, reason: 'ip-version', detail: `IP version ${ip[0]! >> 4}` };
  const payloadLength = ip.readUInt16BE(4);
  if (ip[6] !== IPPROTO_ICMPV6) return { ok: false, reason: 'next-header', detail: `next header ${ip[6]}` };
  if (payloadLength < NA_LEN || IP6_LEN + payloadLength > ip.length) {
    return { ok: false, reason: 'too-short', detail: `payload length ${payloadLength}` };
  }
  const icmp = ip.subarray(IP6_LEN, IP6_LEN + payloadLength);
  if (icmp[0] !== ICMPV6_NEIGHBOR_ADVERTISEMENT) {
    return { ok: false, reason: 'icmp-type', detail: `ICMPv6 type ${icmp[0]}` };
  }
  const options: NdOption[] = [];
  let targetLinkLayerAddress: string | undefined;
  for (let at = NA_LEN; at < icmp.length; ) {
    const len = (icmp[at + 1] ?? 0) * 8;
    // RFC 4861 §4.6: a zero-length option is invalid and the packet is dropped
    if (len === 0 || at + len > icmp.length)
      return { ok: false, reason: 'option', detail: `bad option at ${at}` };
    const data = Buffer.from(icmp.subarray(at + 2, at + len));
    options.push({ type: icmp[at]!, data });
    if (icmp[at] === ND_OPT_TARGET_LINKADDR && data.length >= 6)
      targetLinkLayerAddress = formatMac(data.subarray(0, 6));
    at += len;
  }
  const src = ip.subarray(8, 24);
  const dst = ip.subarray(24, 40);
  const flags = icmp.readUInt32BE(4);
  const value: NaFrame = {
    ethDst: formatMac(b.subarray(0, 6)),
    ethSrc: formatMac(b.subarray(6, 12)),
    src: formatIp(src),
    dst: formatIp(dst),
    hopLimit: ip[7]!,
    type: icmp[0]!,
    code: icmp[1]!,
    checksum: icmp.readUInt16BE(2),
    checksumOk: checksumValid(ipv6PseudoHeader(src, dst, IPPROTO_ICMPV6, icmp.length), icmp),
    router: (flags & 0x80000000) !== 0,
    solicited: (flags & 0x40000000) !== 0,
    override: (flags & 0x20000000) !== 0,
    reserved: flags & 0x1fffffff,
    target: formatIp(icmp.subarray(8, 24)),
    options,
    srcIsLinkLocal: isLinkLocalV6(formatIp(src)),
  };
  if (targetLinkLayerAddress !== undefined) value.targetLinkLayerAddress = targetLinkLayerAddress;
  return { ok: true, value };
}
