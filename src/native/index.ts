// Typed wrapper over vrrpd's Node-API addon (native/). Works on the main thread and inside
// worker_threads (each env has its own loop and its own sockets; teardown closes them).
//
// Exports:
//   openNetlinkSocket(protocol, {groups?, rcvbufBytes?, extAck?, strictCheck?}): NetlinkSocket
//   unixDgramSend(path, data): void                 ('@name' = abstract namespace; sd_notify)
//   openRawIpSocket({family, protocol, ifname}): RawIpSocket   (IP protocol 112 for VRRP)
//   openPacketSocket(ifname, {protocol?}): PacketSocket        (AF_PACKET SOCK_RAW frames)
//   ifNameToIndex(name), ifIndexToName(index), interfaceMac(name): string "aa:bb:..."
//   writeInNetns(nsPath, [[file, text]])   (files such as /proc/sys/net/... of another netns)
//   (TCP health-check connects use addon().TcpProber directly: src/effects/tcp-connect.ts)
//   addon(), c(name), types NativeError / RawDatagram / SockAddr (from ./binding.js)
// Every error is a NativeError: `code` ('ENODEV', 'EPERM', 'EAGAIN'...), `errno`, `syscall`.
// Sends are synchronous on non-blocking sockets: a full buffer throws code 'EAGAIN'.
import { constants as osConstants } from 'node:os';
import { addon, c, type NativeError, type NativeSocket, type RawDatagram } from './binding.js';

export {
  addon,
  c,
  type NativeError,
  type NativeTcpProber,
  type RawDatagram,
  type SendOptions,
  type SockAddr,
} from './binding.js';

type ErrorCb = (err: NativeError) => void;

/** Reports an error to the registered handler, or as a process warning when there is none. */
function report(handler: ErrorCb | undefined, err: NativeError): void {
  if (handler) handler(err);
  else process.emitWarning(err);
}

// ---------------------------------------------------------------- netlink

export interface NetlinkSocket {
  /** the port id the kernel assigned (nl_pid), for matching replies */
  readonly pid: number;
  /** Sends one datagram (one or more netlink messages) to the kernel (nl_pid 0). */
  send(buf: Buffer): void;
  /** Starts reading; cb gets each datagram from the kernel (may hold several messages). */
  onMessage(cb: (datagram: Buffer) => void): void;
  /** Socket errors, e.g. ENOBUFS when the kernel dropped multicast events (resync needed). */
  onError(cb: (err: NativeError) => void): void;
  addMembership(group: number): void;
  dropMembership(group: number): void;
  /** false: an idle reader does not keep the event loop alive */
  setRef(ref: boolean): void;
  close(): void;
}

export interface NetlinkOptions {
  /** multicast groups to join (numbers, e.g. RTNLGRP_LINK = 1) */
  groups?: number[];
  /** SO_RCVBUFFORCE (falls back to SO_RCVBUF), useful for event sockets */
  rcvbufBytes?: number;
  /** NETLINK_EXT_ACK: error messages carry the kernel's text (default true) */
  extAck?: boolean;
  /** NETLINK_GET_STRICT_CHK: kernel filters dumps by the request header (default false) */
  strictCheck?: boolean;
  /** create the socket in this network namespace (e.g. /proc/1/ns/net) instead of the thread's */
  netnsPath?: string;
}

// Largest datagram accepted from netlink. The kernel sizes dump skbs to the reader's buffer
// (capped near 32 KiB) but single messages may be bigger; MSG_TRUNC reports any overflow.
const NETLINK_RECV_BYTES = 256 * 1024;

export function openNetlinkSocket(protocol: number, opts: NetlinkOptions = {}): NetlinkSocket {
  const a = addon();
  const s =
    opts.netnsPath === undefined
      ? new a.Socket(c('AF_NETLINK'), c('SOCK_RAW'), protocol)
      : new a.Socket(c('AF_NETLINK'), c('SOCK_RAW'), protocol, opts.netnsPath);
  try {
    if (opts.rcvbufBytes !== undefined) {
      try {
        s.setIntOption(c('SOL_SOCKET'), c('SO_RCVBUFFORCE'), opts.rcvbufBytes, 'SO_RCVBUFFORCE');
      } catch {
        s.setIntOption(c('SOL_SOCKET'), c('SO_RCVBUF'), opts.rcvbufBytes, 'SO_RCVBUF');
      }
    }
    if (opts.extAck !== false) s.setIntOption(c('SOL_NETLINK'), c('NETLINK_EXT_ACK'), 1, 'NETLINK_EXT_ACK');
    if (opts.strictCheck)
      s.setIntOption(c('SOL_NETLINK'), c('NETLINK_GET_STRICT_CHK'), 1, 'NETLINK_GET_STRICT_CHK');
    s.bind({ nlPid: 0 });
    for (const g of opts.groups ?? [])
      s.setIntOption(c('SOL_NETLINK'), c('NETLINK_ADD_MEMBERSHIP'), g, 'NETLINK_ADD_MEMBERSHIP');
  } catch (err) {
    s.close();
    throw err;
  }
  const pid = s.getsockname().nlPid ?? 0;
  let errorCb: ErrorCb | undefined;
  return {
    pid,
    send(buf) {
      s.sendTo(buf, { nlPid: 0 });
    },
    onMessage(cb) {
      s.startReading((err, msg) => {
        if (err) return report(errorCb, err);
        // Only the kernel (nl_pid 0) may talk to us; another process could forge replies.
        if (msg && (msg.from.nlPid ?? 0) === 0) cb(msg.data);
      }, NETLINK_RECV_BYTES);
    },
    onError(cb) {
      errorCb = cb;
    },
    addMembership(group) {
      s.setIntOption(c('SOL_NETLINK'), c('NETLINK_ADD_MEMBERSHIP'), group, 'NETLINK_ADD_MEMBERSHIP');
    },
    dropMembership(group) {
      s.setIntOption(c('SOL_NETLINK'), c('NETLINK_DROP_MEMBERSHIP'), group, 'NETLINK_DROP_MEMBERSHIP');
    },
    setRef(ref) {
      s.setRef(ref);
    },
    close() {
      s.close();
    },
  };
}

// ---------------------------------------------------------------- unix datagram

/** Sends one datagram to a unix socket path; '@name' is the Linux abstract namespace. */
export function unixDgramSend(path: string, data: Buffer): void {
  addon().unixDgramSend(path, data);
}

// ---------------------------------------------------------------- interfaces

/**
 * Writes each [file, text] from inside the network namespace at nsPath (/run/netns/NAME):
 * /proc/sys/net/... then means that namespace's settings. The calling thread enters it and
 * comes back before this returns; nothing else in the process moves.
 */
export function writeInNetns(nsPath: string, files: [string, string][]): void {
  const write = addon().writeInNetns;
  if (typeof write !== 'function')
    throw new Error("the native addon is older than this code (no writeInNetns): run 'npm run build:native'");
  write(nsPath, files);
}

export function ifNameToIndex(name: string): number {
  return addon().ifNameToIndex(name);
}

export function ifIndexToName(index: number): string {
  return addon().ifIndexToName(index);
}

/** The interface's hardware address as "aa:bb:cc:dd:ee:ff". */
export function interfaceMac(name: string): string {
  return [...addon().interfaceMac(name)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

// ---------------------------------------------------------------- raw IP

/** A received raw IP datagram. IPv4 data starts with the IP header; IPv6 data is the payload. */
export interface RawIpPacket {
  data: Buffer;
  src: string;
  dst: string;
  /** IPv6: source and destination as 16 bytes each (IPv4 has them in the header in `data`) */
  srcBytes?: Buffer;
  dstBytes?: Buffer;
  ifindex: number;
  /** TTL / hop limit as received */
  ttl: number;
}

/**
 * The datagrams of one read (recvmmsg), valid only during the callback that gets it: the
 * next batch overwrites both buffers. Datagram i (0 <= i < count) is
 * data[offset(i), offset(i) + length(i)); see the accessors below.
 */
export interface RawIpBatch {
  readonly count: number;
  /** the whole receive area (datagrams at their slots) */
  readonly data: Buffer;
  /** BATCH_META_INTS per datagram: offset, length, ifindex, ttl, flags, 3 × 0, src (16 bytes), dst (16 bytes) */
  readonly meta: Int32Array;
  /** meta's bytes, for the addresses */
  readonly metaBytes: Uint8Array;
}

/** Int32 slots per datagram in RawIpBatch.meta (native/src/socket_io.cc kBatchMetaInts). */
export const BATCH_META_INTS = 16;
/** RawIpBatch flags: the destination (IP_PKTINFO / IPV6_PKTINFO) is known; the source is. */
export const BATCH_HAS_DST = 1;
export const BATCH_HAS_SRC = 2;
/** Datagrams per batch, and the largest one accepted (as startReading's default). */
const BATCH_SLOTS = 32;
const BATCH_SLOT_BYTES = 65536;

/** Early drops counted by the addon: the reason (drop-reason.ts), the VRID read (-1: none), how many. */
export interface RxDrop {
  reason: string;
  vrid: number;
  count: number;
}

/** native/src/advert_filter.h kRxColumns: column 0 no VRID read, else VRID + 1 */
const RX_COLUMNS = 257;

export interface RawIpSocket {
  readonly family: 4 | 6;
  readonly ifname: string;
  readonly ifindex: number;
  /** Sends payload (no IP header) to dst; src/ttl/ifindex apply to this datagram only. */
  sendTo(payload: Buffer, dst: string, opts?: { src?: string; ttl?: number }): void;
  joinGroup(group: string): void;
  leaveGroup(group: string): void;
  /** TTL / hop limit for multicast and unicast sends */
  setTtl(ttl: number): void;
  setMulticastLoop(on: boolean): void;
  /** IP_TOS / IPV6_TCLASS byte (e.g. 0xc0 = CS6) */
  setTos(tos: number): void;
  /**
   * Binds to a local address with IP_FREEBIND / IPV6_FREEBIND, so that it works before
   * the address is on the interface; then only packets to it are received.
   */
  bindFree(address: string): void;
  onPacket(cb: (pkt: RawIpPacket) => void): void;
  /**
   * Reads in batches (one call per recvmmsg, no object per datagram); false, and nothing
   * started, when the addon predates batched reading (then use onPacket).
   */
  onBatch(cb: (batch: RawIpBatch) => void): boolean;
  onError(cb: (err: NativeError) => void): void;
  /**
   * Early drops while reading in batches (native/src/advert_filter.h): table as
   * src/vrrp/rx-filter.ts builds it, null turns them off. False: the addon has none.
   */
  setRxFilter(table: Uint8Array | null): boolean;
  /** The early drops since the last call, by reason and column (0: no VRID, else VRID + 1). */
  takeRxDrops(): RxDrop[];
  setRef(ref: boolean): void;
  close(): void;
  /** the underlying socket, for options not wrapped here */
  readonly socket: NativeSocket;
}

/**
 * Receive buffer of a VRRP socket: the kernel's default (~208 KiB, some 270 small
 * datagrams) overflows when the VRRP thread is kept off the CPU for a few tens of ms
 * under a flood of junk (test/netns/vrrp-flood.test.ts); 1 MiB rides that out, and is
 * still a short queue for the genuine adverts behind the junk. SO_RCVBUFFORCE as root,
 * else SO_RCVBUF (capped by net.core.rmem_max); neither failing is fatal.
 */
const RAW_RCVBUF_BYTES = 1024 * 1024;
function setRawReceiveBuffer(s: NativeSocket): void {
  for (const opt of ['SO_RCVBUFFORCE', 'SO_RCVBUF']) {
    try {
      s.setIntOption(c('SOL_SOCKET'), c(opt), RAW_RCVBUF_BYTES, opt);
      return;
    } catch {
      // not permitted: the next option, or the default
    }
  }
}

export function openRawIpSocket(opts: { family: 4 | 6; protocol: number; ifname: string }): RawIpSocket {
  const a = addon();
  const v6 = opts.family === 6;
  const ifindex = a.ifNameToIndex(opts.ifname);
  const s = new a.Socket(c(v6 ? 'AF_INET6' : 'AF_INET'), c('SOCK_RAW'), opts.protocol);
  const IP = c('IPPROTO_IP');
  const IP6 = c('IPPROTO_IPV6');
  try {
    s.setStringOption(c('SOL_SOCKET'), c('SO_BINDTODEVICE'), opts.ifname, 'SO_BINDTODEVICE');
    s.setMulticastIf(ifindex);
    if (v6) {
      s.setIntOption(IP6, c('IPV6_RECVPKTINFO'), 1, 'IPV6_RECVPKTINFO');
      s.setIntOption(IP6, c('IPV6_RECVHOPLIMIT'), 1, 'IPV6_RECVHOPLIMIT');
      // Deliver only groups joined on this socket, not every group any socket joined.
      s.setIntOption(IP6, c('IPV6_MULTICAST_ALL'), 0, 'IPV6_MULTICAST_ALL');
    } else {
      s.setIntOption(IP, c('IP_PKTINFO'), 1, 'IP_PKTINFO');
      s.setIntOption(IP, c('IP_RECVTTL'), 1, 'IP_RECVTTL');
      s.setIntOption(IP, c('IP_MULTICAST_ALL'), 0, 'IP_MULTICAST_ALL');
    }
  } catch (err) {
    s.close();
    throw err;
  }
  setRawReceiveBuffer(s);
  let errorCb: ErrorCb | undefined;
  let rxCounts: Float64Array | undefined;
  return {
    family: opts.family,
    ifname: opts.ifname,
    ifindex,
    socket: s,
    sendTo(payload, dst, o = {}) {
      s.sendTo(payload, { address: dst, scopeId: v6 ? ifindex : 0 }, { ...o, ifindex });
    },
    joinGroup(group) {
      s.joinGroup(group, ifindex);
    },
    leaveGroup(group) {
      s.leaveGroup(group, ifindex);
    },
    setTtl(ttl) {
      if (v6) {
        s.setIntOption(IP6, c('IPV6_MULTICAST_HOPS'), ttl, 'IPV6_MULTICAST_HOPS');
        s.setIntOption(IP6, c('IPV6_UNICAST_HOPS'), ttl, 'IPV6_UNICAST_HOPS');
      } else {
        s.setIntOption(IP, c('IP_MULTICAST_TTL'), ttl, 'IP_MULTICAST_TTL');
        s.setIntOption(IP, c('IP_TTL'), ttl, 'IP_TTL');
      }
    },
    setMulticastLoop(on) {
      if (v6) s.setIntOption(IP6, c('IPV6_MULTICAST_LOOP'), on ? 1 : 0, 'IPV6_MULTICAST_LOOP');
      else s.setIntOption(IP, c('IP_MULTICAST_LOOP'), on ? 1 : 0, 'IP_MULTICAST_LOOP');
    },
    setTos(tos) {
      if (v6) s.setIntOption(IP6, c('IPV6_TCLASS'), tos, 'IPV6_TCLASS');
      else s.setIntOption(IP, c('IP_TOS'), tos, 'IP_TOS');
    },
    bindFree(address) {
      if (v6) s.setIntOption(IP6, c('IPV6_FREEBIND'), 1, 'IPV6_FREEBIND');
      else s.setIntOption(IP, c('IP_FREEBIND'), 1, 'IP_FREEBIND');
      s.bind({ address, ...(v6 ? { scopeId: ifindex } : {}) });
    },
    onPacket(cb) {
      s.startReading((err, msg) => {
        if (err) return report(errorCb, err);
        if (!msg) return;
        cb({
          data: msg.data,
          src: msg.from.address ?? '',
          dst: msg.dst ?? '',
          ...(msg.fromBytes ? { srcBytes: msg.fromBytes } : {}),
          ...(msg.dstBytes ? { dstBytes: msg.dstBytes } : {}),
          ifindex: msg.ifindex ?? 0,
          ttl: msg.ttl ?? -1,
        });
      });
    },
    onBatch(cb) {
      if (typeof s.startReadingBatch !== 'function') return false;
      // the slots are never written to by JS: pages stay untouched (and unbacked) until a
      // datagram that long arrives
      const area = new ArrayBuffer(BATCH_SLOTS * BATCH_SLOT_BYTES);
      const meta = new Int32Array(BATCH_SLOTS * BATCH_META_INTS);
      const batch = {
        count: 0,
        data: Buffer.from(area),
        meta,
        metaBytes: new Uint8Array(meta.buffer),
      };
      s.startReadingBatch(
        (err, count) => {
          if (err) return report(errorCb, err);
          batch.count = count ?? 0;
          cb(batch);
        },
        area,
        meta,
        BATCH_SLOT_BYTES,
      );
      return true;
    },
    onError(cb) {
      errorCb = cb;
    },
    setRxFilter(table) {
      if (typeof s.setRxFilter !== 'function' || !a.rxReasons) return false;
      if (table === null) {
        s.setRxFilter(null);
        return true;
      }
      rxCounts ??= new Float64Array(a.rxReasons.length * RX_COLUMNS + 1);
      s.setRxFilter(table, rxCounts);
      return true;
    },
    takeRxDrops() {
      const counts = rxCounts;
      const names = a.rxReasons;
      const out: RxDrop[] = [];
      // the last slot is the total: nothing to walk most of the time
      if (!counts || !names || counts[counts.length - 1] === 0) return out;
      for (let i = 0; i < counts.length - 1; i++) {
        const n = counts[i]!;
        if (n === 0) continue;
        counts[i] = 0;
        out.push({ reason: names[Math.floor(i / RX_COLUMNS)]!, vrid: (i % RX_COLUMNS) - 1, count: n });
      }
      counts[counts.length - 1] = 0;
      return out;
    },
    setRef(ref) {
      s.setRef(ref);
    },
    close() {
      s.close();
    },
  };
}

// ---------------------------------------------------------------- AF_PACKET

export interface PacketSocket {
  readonly ifname: string;
  readonly ifindex: number;
  /** Sends a full Ethernet frame (dst MAC, src MAC, ethertype, payload) out of the interface. */
  send(frame: Buffer): void;
  /** Receives frames of the protocol given at open (needs {protocol}, e.g. ETH_P_ALL = 3). */
  onFrame(cb: (frame: Buffer, info: RawDatagram['from']) => void): void;
  onError(cb: (err: NativeError) => void): void;
  setRef(ref: boolean): void;
  close(): void;
}

/**
 * AF_PACKET SOCK_RAW socket bound to ifname. Without opts.protocol it receives nothing
 * (protocol 0), which is what a pure sender wants: no frames queue up unread.
 */
export function openPacketSocket(ifname: string, opts: { protocol?: number } = {}): PacketSocket {
  const a = addon();
  const ifindex = a.ifNameToIndex(ifname);
  // The socket's protocol is in network byte order (htons), as packet(7) requires.
  const proto = opts.protocol ?? 0;
  const s = new a.Socket(c('AF_PACKET'), c('SOCK_RAW'), ((proto & 0xff) << 8) | ((proto >> 8) & 0xff));
  try {
    s.bind({ ifindex, protocol: proto });
  } catch (err) {
    s.close();
    throw err;
  }
  let errorCb: ErrorCb | undefined;
  return {
    ifname,
    ifindex,
    send(frame) {
      s.sendTo(frame, { ifindex });
    },
    onFrame(cb) {
      s.startReading((err, msg) => {
        if (err) return report(errorCb, err);
        if (msg) cb(msg.data, msg.from);
      });
    },
    onError(cb) {
      errorCb = cb;
    },
    setRef(ref) {
      s.setRef(ref);
    },
    close() {
      s.close();
    },
  };
}

export type { NativeSocket };

/**
 * Calls fn on this thread's own loop when the process receives `signal` (in addition to,
 * not instead of, the main thread's process.on handlers): a worker thread hears SIGTERM
 * without waiting for the main thread. Null when the addon predates it. The watcher keeps
 * no loop alive; close() it once done (a worker's teardown closes it too).
 */
export function watchSignal(signal: NodeJS.Signals, fn: () => void): { close(): void } | null {
  const watch = addon().watchSignal;
  const signum = osConstants.signals[signal];
  if (!watch || signum === undefined) return null;
  let close: (() => void) | null = watch(signum, () => fn());
  return {
    close() {
      close?.();
      close = null;
    },
  };
}

/** What claimSignals() did: threads asked to block, threads now blocking, threads still not. */
export interface SignalClaim {
  asked: number;
  blocking: number;
  open: number;
  /** back as before for the process: blocked here, unblocked in the main thread */
  release(): void;
}

/**
 * Makes the kernel deliver these process-directed signals to the calling thread (the VRRP
 * worker): it unblocks them, every other thread of the process blocks them (threads the
 * main thread starts later inherit that). Handlers stay as they are: libuv's one handler,
 * now run on this thread, still wakes every loop watching the signal (the main thread's
 * process.on included). release(), or the end of the calling thread, undoes it for the
 * main thread. Null when the addon predates it.
 */
export function claimSignals(signals: readonly NodeJS.Signals[]): SignalClaim | null {
  const claim = addon().claimSignals;
  if (!claim) return null;
  const nums: number[] = [];
  for (const s of signals) {
    const n = osConstants.signals[s];
    if (n !== undefined) nums.push(n);
  }
  return claim(nums);
}
