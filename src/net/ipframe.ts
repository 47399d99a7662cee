// Whole Ethernet frames carrying one IP packet, for sending through AF_PACKET where an
// IP socket cannot do the job: VRRP adverts of a use_vmac master must carry the virtual
// MAC as their Ethernet source (RFC 5798 §7.3), and sending them from a socket on the
// macvlan would make the macvlan itself join groups (IGMP/MLD reports from the virtual
// MAC, on backups too) and need an IPv6 link-local address of its own. Pure.
import { parseIp } from './addr.js';
import { FrameBuildError, macBytes } from './arp.js';
import { internetChecksum } from './checksum.js';
import { ipv6MulticastMac } from './ndisc.js';

const ETH_LEN = 14;
const IPV4_LEN = 20;
const IPV6_LEN = 40;

export interface IpFrameOptions {
  srcMac: string | Uint8Array;
  /** destination MAC; absent: derived from a multicast destination address */
  dstMac?: string | Uint8Array;
  src: string;
  dst: string;
  protocol: number;
  /** IPv4 TTL / IPv6 hop limit */
  ttl: number;
  /** IPv4 TOS / IPv6 traffic class */
  tos?: number;
  /** IPv4 identification */
  id?: number;
  payload: Uint8Array;
}

function multicastMac(dst: Uint8Array): Buffer {
  if (dst.length === 4) {
    if ((dst[0]! & 0xf0) !== 0xe0) throw new FrameBuildError('a unicast IPv4 destination needs a dstMac');
    // RFC 1112 §6.4: 01:00:5e + the low 23 bits of the group
    return Buffer.from([0x01, 0x00, 0x5e, dst[1]! & 0x7f, dst[2]!, dst[3]!]);
  }
  if (dst[0] !== 0xff) throw new FrameBuildError('a unicast IPv6 destination needs a dstMac');
  return ipv6MulticastMac(dst);
}

export function buildIpFrame(o: IpFrameOptions): Buffer {
  const src = parseIp(o.src);
  const dst = parseIp(o.dst);
  if (!src || !dst || src.family !== dst.family) {
    throw new FrameBuildError(`source '${o.src}' and destination '${o.dst}' must be addresses of one family`);
  }
  const dstMac = o.dstMac !== undefined ? macBytes(o.dstMac) : multicastMac(dst.bytes);
  const ipLen = src.family === 4 ? IPV4_LEN : IPV6_LEN;
  const f = Buffer.alloc(ETH_LEN + ipLen + o.payload.length);
  dstMac.copy(f, 0);
  macBytes(o.srcMac).copy(f, 6);
  f.writeUInt16BE(src.family === 4 ? 0x0800 : 0x86dd, 12);
  const ip = f.subarray(ETH_LEN, ETH_LEN + ipLen);
  if (src.family === 4) {
    ip[0] = 0x45; // version 4, 5 words of header
    ip[1] = o.tos ?? 0;
    ip.writeUInt16BE(ipLen + o.payload.length, 2);
    ip.writeUInt16BE((o.id ?? 0) & 0xffff, 4);
    ip[8] = o.ttl;
    ip[9] = o.protocol;
    src.bytes.copy(ip, 12);
    dst.bytes.copy(ip, 16);
    ip.writeUInt16BE(internetChecksum(ip), 10);
  } else {
    ip.writeUInt32BE((6 << 28) | ((o.tos ?? 0) << 20), 0);
    ip.writeUInt16BE(o.payload.length, 4);
    ip[6] = o.protocol;
    ip[7] = o.ttl;
    src.bytes.copy(ip, 8);
    dst.bytes.copy(ip, 24);
  }
  Buffer.from(o.payload.buffer, o.payload.byteOffset, o.payload.length).copy(f, ETH_LEN + ipLen);
  return f;
}
