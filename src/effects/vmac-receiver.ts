// Hears VRRP adverts that arrive on a use_vmac macvlan. A multicast frame whose Ethernet
// source is the MAC of a local macvlan in private mode (a peer's advert from the same
// virtual MAC) is handed by the kernel to that macvlan alone, never to the parent, so
// the parent's raw socket would not see the current master. An AF_PACKET socket on the
// macvlan hears it without the macvlan joining any group (no IGMP/MLD report from the
// virtual MAC). Frames of other sources still arrive on the parent as usual.
import { openPacketSocket } from '../native/index.js';
import { VRRP_PROTOCOL } from './raw-transport.js';
import type { Family, ReceivedPacket } from './types.js';

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const PACKET_OUTGOING = 4;

/**
 * The IP packet of an Ethernet frame that may carry VRRP; null for other ethertypes and
 * protocols. Pure. Only the protocol byte is looked at (fixed offsets, RFC 791 §3.1 /
 * RFC 8200 §3), so that other traffic to the virtual MAC never reaches the engine; the
 * engine parses the header and counts a bad one.
 */
export function vrrpFromFrame(frame: Buffer, family: Family, ifindex: number): ReceivedPacket | null {
  if (frame.length < 14) return null;
  if (frame.readUInt16BE(12) !== (family === 4 ? ETH_P_IP : ETH_P_IPV6)) return null;
  const ip = frame.subarray(14);
  const protocolAt = family === 4 ? 9 : 6;
  if (ip.length > protocolAt && ip[protocolAt] !== VRRP_PROTOCOL) return null;
  return { family, ifindex, ip };
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
