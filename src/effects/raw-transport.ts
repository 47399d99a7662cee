// AdvertTransport over a raw IP protocol 112 socket (the addon in native/).
// Per RFC 3768 §5.2.3/§7.1 and RFC 5798 §5.1.1.3/§5.1.2.3 adverts go out with TTL/hop limit 255
// and receivers must check it: so we send with 255 (multicast, and unicast unless unicast_ttl
// says otherwise for routed peers) and report the received value untouched. Multicast loop is off (we never hear ourselves), DSCP is CS6 (0xc0,
// network control, as keepalived does). For IPv6 the source is the interface's link-local
// address (RFC 5798 §5.1.2.1), chosen per datagram with IPV6_PKTINFO.
// Validation and counting of what arrives is the engine's job, IP header included.
import { networkInterfaces } from 'node:os';
import {
  BATCH_HAS_DST,
  BATCH_HAS_SRC,
  BATCH_META_INTS,
  type NativeError,
  openRawIpSocket,
  type RawIpBatch,
  type RawIpPacket,
} from '../native/index.js';
import type { AdvertTransport, Family, ReceivedPacket } from './types.js';

export const VRRP_PROTOCOL = 112;
export const VRRP_GROUP_V4 = '224.0.0.18';
export const VRRP_GROUP_V6 = 'ff02::12';
const TOS_CS6 = 0xc0;

export interface RawTransportOptions {
  family: Family;
  ifname: string;
  /** default source for sends (IPv4 unicast mode; IPv6 defaults to the link-local address) */
  unicastSrc?: string;
  /** unicast mode: the group is not joined */
  unicastPeers?: string[];
  /** default 224.0.0.18 / ff02::12 */
  multicastGroup?: string;
  /** unicast: TTL/hop limit of the adverts (keepalived unicast_ttl); default 255 */
  unicastTtl?: number;
}

/** The first IPv6 link-local address of ifname, from getifaddrs (this thread's netns). */
export function linkLocalOf(ifname: string): string | undefined {
  return networkInterfaces()[ifname]?.find((a) => a.family === 'IPv6' && /^fe80:/i.test(a.address))?.address;
}

/**
 * IPv4 raw sockets read the whole packet, header included (the engine parses it); IPv6 raw
 * sockets read the payload, with source, destination and hop limit from ancillary data.
 */
function toReceived(family: Family, pkt: RawIpPacket): ReceivedPacket | undefined {
  if (family === 4) return { family, ifindex: pkt.ifindex, ip: pkt.data };
  // the addon reads them as bytes from the socket address and IPV6_PKTINFO: no text on this path
  const { srcBytes: src, dstBytes: dst } = pkt;
  if (src?.length !== 16 || dst?.length !== 16) return undefined;
  return { family, ifindex: pkt.ifindex, payload: pkt.data, src, dst, ttl: pkt.ttl };
}

/**
 * Datagram i of a batch as toReceived makes it, its bytes copied out (the engine may keep
 * parts of a packet, e.g. the master's address, and the batch's buffers are reused).
 */
function fromBatch(family: Family, b: RawIpBatch, i: number): ReceivedPacket | undefined {
  const m = i * BATCH_META_INTS;
  const { meta } = b;
  const off = meta[m]!;
  const data = Buffer.allocUnsafe(meta[m + 1]!);
  b.data.copy(data, 0, off, off + data.length);
  if (family === 4) return { family, ifindex: meta[m + 2]!, ip: data };
  if ((meta[m + 4]! & (BATCH_HAS_SRC | BATCH_HAS_DST)) !== (BATCH_HAS_SRC | BATCH_HAS_DST)) return undefined;
  const at = m * 4;
  const src = Buffer.allocUnsafe(16);
  const dst = Buffer.allocUnsafe(16);
  src.set(b.metaBytes.subarray(at + 32, at + 48));
  dst.set(b.metaBytes.subarray(at + 48, at + 64));
  return { family, ifindex: meta[m + 2]!, payload: data, src, dst, ttl: meta[m + 3]! };
}

export function createRawTransport(opts: RawTransportOptions): AdvertTransport {
  const { family, ifname } = opts;
  const sock = openRawIpSocket({ family, protocol: VRRP_PROTOCOL, ifname });
  const group = opts.multicastGroup ?? (family === 4 ? VRRP_GROUP_V4 : VRRP_GROUP_V6);
  const joined = (opts.unicastPeers?.length ?? 0) === 0;
  try {
    sock.setMulticastLoop(false);
    sock.setTtl(joined ? 255 : (opts.unicastTtl ?? 255));
    sock.setTos(TOS_CS6);
    if (joined) sock.joinGroup(group);
    // unicast: bound to unicast_src with IP_FREEBIND (as keepalived does), so an instance
    // starts even while that address is not (yet) on the interface
    else if (opts.unicastSrc) sock.bindFree(opts.unicastSrc);
  } catch (err) {
    sock.close();
    throw err;
  }
  let errorCb: ((err: Error) => void) | undefined;
  let closed = false;
  let batched = false;
  let linkLocal: string | undefined;

  const sourceFor = (src: string | undefined, refresh: boolean): string | undefined => {
    if (src) return src;
    if (opts.unicastSrc) return opts.unicastSrc;
    if (family === 6) {
      if (refresh || linkLocal === undefined) linkLocal = linkLocalOf(ifname);
      return linkLocal;
    }
    return undefined; // IPv4: the kernel picks the interface's primary address
  };

  return {
    family,
    ifname,
    send(payload, dst, src) {
      if (closed) return Promise.reject(closedError());
      try {
        try {
          sock.sendTo(payload, dst, { src: sourceFor(src, false) });
        } catch (err) {
          // A cached link-local may have gone (interface re-created): look it up once more.
          const code = (err as NativeError).code;
          if (family !== 6 || src || (code !== 'EADDRNOTAVAIL' && code !== 'EINVAL')) throw err;
          sock.sendTo(payload, dst, { src: sourceFor(undefined, true) });
        }
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    },
    onPacket(cb) {
      // one call per batch of datagrams where the addon can (recvmmsg), else one per datagram
      batched = sock.onBatch((b) => {
        for (let i = 0; i < b.count; i++) {
          const rx = fromBatch(family, b, i);
          if (rx) cb(rx);
        }
      });
      if (batched) return;
      sock.onPacket((pkt) => {
        const rx = toReceived(family, pkt);
        if (rx) cb(rx);
      });
    },
    onError(cb) {
      errorCb = cb;
      sock.onError((err) => errorCb?.(err));
    },
    // early drops apply to batched reading only (the addon judges each batch)
    setRxFilter(table) {
      if (closed || !batched) return false;
      return sock.setRxFilter(table);
    },
    takeRxDrops() {
      return sock.takeRxDrops();
    },
    close() {
      if (closed) return;
      closed = true;
      sock.close(); // closing the socket also leaves the group
    },
  };
}

function closedError(): NativeError {
  const e = new Error('VRRP transport is closed') as NativeError;
  e.code = 'TRANSPORT_CLOSED';
  return e;
}
