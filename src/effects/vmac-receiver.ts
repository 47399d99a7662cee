// Hears VRRP adverts that arrive on a use_vmac macvlan. A multicast frame whose Ethernet
// source is the MAC of a local macvlan in private mode (a peer's advert from the same
// virtual MAC) is handed by the kernel to that macvlan alone, never to the parent, so
// the parent's raw socket would not see the current master. An AF_PACKET socket on the
// macvlan hears it without the macvlan joining any group (no IGMP/MLD report from the
// virtual MAC). Frames of other sources still arrive on the parent as usual.
import { openPacketSocket } from '../native/index.js';
import { formatIp } from '../net/addr.js';
import { decodeIpv4Packet, VRRP_PROTOCOL } from '../vrrp/codec.js';
import type { Family, ReceivedPacket } from './types.js';

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const PACKET_OUTGOING = 4;

/** Splits an Ethernet frame carrying a VRRP packet; null for anything else. Pure. */
export function vrrpFromFrame(frame: Buffer, family: Family, ifindex: number): ReceivedPacket | null {
  if (frame.length < 14) return null;
  const ethertype = frame.readUInt16BE(12);
  const ip = frame.subarray(14);
  if (family === 4) {
    if (ethertype !== ETH_P_IP) return null;
    const r = decodeIpv4Packet(ip);
    if (!r.ok || r.value.protocol !== VRRP_PROTOCOL) return null;
    return {
      family,
      payload: r.value.payload,
      srcAddress: r.value.src,
      dstAddress: r.value.dst,
      ttl: r.value.ttl,
      ifindex,
    };
  }
  if (ethertype !== ETH_P_IPV6 || ip.length < 40 || ip[0]! >> 4 !== 6 || ip[6] !== VRRP_PROTOCOL) return null;
  const len = ip.readUInt16BE(4);
  if (ip.length < 40 + len) return null;
  return {
    family,
    payload: Buffer.from(ip.subarray(40, 40 + len)),
    srcAddress: formatIp(ip.subarray(8, 24)),
    dstAddress: formatIp(ip.subarray(24, 40)),
    ttl: ip[7]!,
    ifindex,
  };
}

export interface VmacReceiver {
  close(): void;
}

export function createVmacReceiver(
  ifname: string,
  family: Family,
  onPacket: (pkt: ReceivedPacket) => void,
  onError: (err: Error) => void,
): VmacReceiver {
  const sock = openPacketSocket(ifname, { protocol: family === 4 ? ETH_P_IP : ETH_P_IPV6 });
  sock.onError(onError);
  sock.onFrame((frame, info) => {
    if (info && 'pkttype' in info && info.pkttype === PACKET_OUTGOING) return; // our own
    const pkt = vrrpFromFrame(frame, family, sock.ifindex);
    if (pkt) onPacket(pkt);
  });
  return { close: () => sock.close() };
}
