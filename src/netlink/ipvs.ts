// IPVS over generic netlink: pure encoders for every request vrrpd sends and decoders
// for the kernel's replies (services, destinations, stats, timeouts, sync daemons).
// The kernel side is net/netfilter/ipvs/ip_vs_ctl.c; numbers in ipvs-attrs.ts.

import { formatIp, parseIp } from '../net/addr.js';
import { type AttrValues, decodeAttrs, encodeAttrs } from './attrs.js';
import { decodeGenl, encodeGenl } from './genl.js';
import {
  AF_INET,
  AF_INET6,
  FWD,
  IP_VS_CONN_F_FWD_MASK,
  IP_VS_STATE,
  IP_VS_SVC_F,
  IPPROTO,
  IPVS_CMD,
  IPVS_CMD_ATTRS,
  type IPVS_DEST,
  IPVS_GENL_VERSION,
  IPVS_INFO,
  type IPVS_STATS,
  type IPVS_STATS64,
  type IPVS_SVC,
  TUN_TYPE,
} from './ipvs-attrs.js';
import type {
  IpvsDest,
  IpvsDestCounters,
  IpvsFamily,
  IpvsForwarding,
  IpvsOp,
  IpvsProtocol,
  IpvsService,
  IpvsStats,
  IpvsTunnelType,
} from './ipvs-types.js';
import { LITTLE_ENDIAN, type NlMessage } from './message.js';

type SvcValues = AttrValues<typeof IPVS_SVC>;
type DestValues = AttrValues<typeof IPVS_DEST>;
type CmdValues = AttrValues<typeof IPVS_CMD_ATTRS>;

const afOf = (f: IpvsFamily) => (f === 4 ? AF_INET : AF_INET6);

/** union nf_inet_addr: 16 bytes, IPv4 in the first four. */
function inetAddr(text: string, what: string): Buffer {
  const p = parseIp(text);
  if (!p) throw new TypeError(`${what}: '${text}' is not an IP address`);
  const b = Buffer.alloc(16);
  p.bytes.copy(b);
  return b;
}

function u32Pair(a: number, b: number): Buffer {
  const out = Buffer.alloc(8);
  if (LITTLE_ENDIAN) {
    out.writeUInt32LE(a >>> 0, 0);
    out.writeUInt32LE(b >>> 0, 4);
  } else {
    out.writeUInt32BE(a >>> 0, 0);
    out.writeUInt32BE(b >>> 0, 4);
  }
  return out;
}

export function serviceFlagBits(f: IpvsService['flags']): number {
  return (
    (f.persistent ? IP_VS_SVC_F.PERSISTENT : 0) |
    (f.onePacket ? IP_VS_SVC_F.ONEPACKET : 0) |
    (f.shFallback ? IP_VS_SVC_F.SCHED1 : 0) |
    (f.shPort ? IP_VS_SVC_F.SCHED2 : 0) |
    (f.sched3 ? IP_VS_SVC_F.SCHED3 : 0)
  );
}

/** IPv4: the mask as 4 network-order bytes; IPv6: the prefix length as a host-order u32. */
function netmaskBytes(family: IpvsFamily, prefix: number): Buffer {
  const b = Buffer.alloc(4);
  if (family === 4) {
    const mask = prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffff : (0xffffffff << (32 - prefix)) >>> 0;
    b.writeUInt32BE(mask, 0);
  } else if (LITTLE_ENDIAN) b.writeUInt32LE(prefix, 0);
  else b.writeUInt32BE(prefix, 0);
  return b;
}

function netmaskPrefix(family: IpvsFamily, b: Buffer | undefined): number {
  if (!b || b.length < 4) return family === 4 ? 32 : 128;
  if (family === 6) return LITTLE_ENDIAN ? b.readUInt32LE(0) : b.readUInt32BE(0);
  let m = b.readUInt32BE(0);
  let n = 0;
  while (m & 0x80000000) {
    n++;
    m = (m << 1) >>> 0;
  }
  return n;
}

/**
 * The service attribute nest. `full` adds the settings NEW/SET_SERVICE require
 * (scheduler, flags with an all-ones mask so the kernel takes ours, timeout, netmask).
 */
export function serviceAttrs(s: IpvsService, full: boolean): SvcValues {
  const v: SvcValues = { IPVS_SVC_ATTR_AF: afOf(s.family) };
  if (s.protocol === null) v.IPVS_SVC_ATTR_FWMARK = s.fwmark ?? 0;
  else {
    v.IPVS_SVC_ATTR_PROTOCOL = IPPROTO[s.protocol];
    v.IPVS_SVC_ATTR_ADDR = inetAddr(s.address ?? '', 'virtual service address');
    v.IPVS_SVC_ATTR_PORT = s.port ?? 0;
  }
  if (full) {
    v.IPVS_SVC_ATTR_SCHED_NAME = s.scheduler;
    v.IPVS_SVC_ATTR_FLAGS = u32Pair(serviceFlagBits(s.flags), 0xffffffff);
    v.IPVS_SVC_ATTR_TIMEOUT = s.timeoutS;
    v.IPVS_SVC_ATTR_NETMASK = netmaskBytes(s.family, s.netmask);
    if (s.peName) v.IPVS_SVC_ATTR_PE_NAME = s.peName;
  }
  return v;
}

/** The destination attribute nest; `full` adds what NEW/SET_DEST require. */
export function destAttrs(d: IpvsDest, full: boolean): DestValues {
  const v: DestValues = {
    IPVS_DEST_ATTR_ADDR: inetAddr(d.address, 'real server address'),
    IPVS_DEST_ATTR_PORT: d.port,
    IPVS_DEST_ATTR_ADDR_FAMILY: afOf(d.family),
  };
  if (full) {
    v.IPVS_DEST_ATTR_FWD_METHOD = FWD[d.forwarding];
    v.IPVS_DEST_ATTR_WEIGHT = d.weight;
    v.IPVS_DEST_ATTR_U_THRESH = d.upperThreshold;
    v.IPVS_DEST_ATTR_L_THRESH = d.lowerThreshold;
    if (d.forwarding === 'tun') {
      v.IPVS_DEST_ATTR_TUN_TYPE = TUN_TYPE[d.tunType ?? 'ipip'];
      if (d.tunPort !== undefined) v.IPVS_DEST_ATTR_TUN_PORT = d.tunPort;
      if (d.tunFlags !== undefined) v.IPVS_DEST_ATTR_TUN_FLAGS = d.tunFlags;
    }
  }
  return v;
}

/** genl payload of one IPVS command. */
export function ipvsPayload(cmd: number, attrs: CmdValues = {}): Buffer {
  return encodeGenl(cmd, IPVS_GENL_VERSION, encodeAttrs(IPVS_CMD_ATTRS, attrs));
}

/** The command and payload that carry out one reconciler op. */
export function encodeOp(op: IpvsOp): { cmd: number; payload: Buffer } {
  switch (op.op) {
    case 'add-service':
    case 'edit-service': {
      const cmd = op.op === 'add-service' ? IPVS_CMD.NEW_SERVICE : IPVS_CMD.SET_SERVICE;
      return { cmd, payload: ipvsPayload(cmd, { IPVS_CMD_ATTR_SERVICE: serviceAttrs(op.service, true) }) };
    }
    case 'delete-service':
      return {
        cmd: IPVS_CMD.DEL_SERVICE,
        payload: ipvsPayload(IPVS_CMD.DEL_SERVICE, {
          IPVS_CMD_ATTR_SERVICE: serviceAttrs(op.service, false),
        }),
      };
    default: {
      const cmd =
        op.op === 'add-dest'
          ? IPVS_CMD.NEW_DEST
          : op.op === 'edit-dest'
            ? IPVS_CMD.SET_DEST
            : IPVS_CMD.DEL_DEST;
      return {
        cmd,
        payload: ipvsPayload(cmd, {
          IPVS_CMD_ATTR_SERVICE: serviceAttrs(op.service, false),
          IPVS_CMD_ATTR_DEST: destAttrs(op.dest, op.op !== 'delete-dest'),
        }),
      };
    }
  }
}

// ------------------------------------------------------------------ decoding

type StatsValues = AttrValues<typeof IPVS_STATS> | AttrValues<typeof IPVS_STATS64>;

export function decodeStats(s: StatsValues | undefined): IpvsStats | undefined {
  if (!s) return undefined;
  const n = (x: number | bigint | undefined) => BigInt(x ?? 0);
  return {
    conns: n(s.IPVS_STATS_ATTR_CONNS),
    inPkts: n(s.IPVS_STATS_ATTR_INPKTS),
    outPkts: n(s.IPVS_STATS_ATTR_OUTPKTS),
    inBytes: n(s.IPVS_STATS_ATTR_INBYTES),
    outBytes: n(s.IPVS_STATS_ATTR_OUTBYTES),
    cps: n(s.IPVS_STATS_ATTR_CPS),
    inPps: n(s.IPVS_STATS_ATTR_INPPS),
    outPps: n(s.IPVS_STATS_ATTR_OUTPPS),
    inBps: n(s.IPVS_STATS_ATTR_INBPS),
    outBps: n(s.IPVS_STATS_ATTR_OUTBPS),
  };
}

const PROTO_NAME: Record<number, IpvsProtocol> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };
const FWD_NAME: Record<number, IpvsForwarding> = { 0: 'nat', 1: 'local', 2: 'tun', 3: 'dr' };
const TUN_NAME: Record<number, IpvsTunnelType> = { 0: 'ipip', 1: 'gue', 2: 'gre' };

function familyOf(af: number | undefined): IpvsFamily | null {
  return af === AF_INET ? 4 : af === AF_INET6 ? 6 : null;
}

function addrText(family: IpvsFamily, b: Buffer | undefined): string | null {
  if (!b || b.length < (family === 4 ? 4 : 16)) return null;
  return formatIp(b.subarray(0, family === 4 ? 4 : 16));
}

export function decodeServiceAttrs(
  v: SvcValues,
): { service: IpvsService; stats?: IpvsStats } | { error: string } {
  const family = familyOf(v.IPVS_SVC_ATTR_AF);
  if (!family) return { error: `service with unknown address family ${v.IPVS_SVC_ATTR_AF}` };
  const flagsBuf = v.IPVS_SVC_ATTR_FLAGS;
  const bits =
    flagsBuf && flagsBuf.length >= 4
      ? LITTLE_ENDIAN
        ? flagsBuf.readUInt32LE(0)
        : flagsBuf.readUInt32BE(0)
      : 0;
  const service: IpvsService = {
    family,
    protocol: null,
    scheduler: v.IPVS_SVC_ATTR_SCHED_NAME ?? '',
    flags: {
      persistent: (bits & IP_VS_SVC_F.PERSISTENT) !== 0,
      onePacket: (bits & IP_VS_SVC_F.ONEPACKET) !== 0,
      shFallback: (bits & IP_VS_SVC_F.SCHED1) !== 0,
      shPort: (bits & IP_VS_SVC_F.SCHED2) !== 0,
      sched3: (bits & IP_VS_SVC_F.SCHED3) !== 0,
    },
    timeoutS: v.IPVS_SVC_ATTR_TIMEOUT ?? 0,
    netmask: netmaskPrefix(family, v.IPVS_SVC_ATTR_NETMASK),
  };
  if (v.IPVS_SVC_ATTR_FWMARK) service.fwmark = v.IPVS_SVC_ATTR_FWMARK;
  else {
    const proto = PROTO_NAME[v.IPVS_SVC_ATTR_PROTOCOL ?? -1];
    if (!proto) return { error: `service with unknown protocol ${v.IPVS_SVC_ATTR_PROTOCOL}` };
    const address = addrText(family, v.IPVS_SVC_ATTR_ADDR);
    if (address === null) return { error: 'service without an address' };
    service.protocol = proto;
    service.address = address;
    service.port = v.IPVS_SVC_ATTR_PORT ?? 0;
  }
  if (v.IPVS_SVC_ATTR_PE_NAME) service.peName = v.IPVS_SVC_ATTR_PE_NAME;
  const stats = decodeStats(v.IPVS_SVC_ATTR_STATS64 ?? v.IPVS_SVC_ATTR_STATS);
  return stats ? { service, stats } : { service };
}

export function decodeDestAttrs(
  v: DestValues,
  serviceFamily: IpvsFamily,
): { dest: IpvsDest; counters: IpvsDestCounters } | { error: string } {
  const family = familyOf(v.IPVS_DEST_ATTR_ADDR_FAMILY) ?? serviceFamily;
  const address = addrText(family, v.IPVS_DEST_ATTR_ADDR);
  if (address === null) return { error: 'real server without an address' };
  const fwd = FWD_NAME[(v.IPVS_DEST_ATTR_FWD_METHOD ?? 0) & IP_VS_CONN_F_FWD_MASK];
  if (!fwd) return { error: `real server ${address} with unknown forwarding ${v.IPVS_DEST_ATTR_FWD_METHOD}` };
  const dest: IpvsDest = {
    family,
    address,
    port: v.IPVS_DEST_ATTR_PORT ?? 0,
    forwarding: fwd,
    weight: v.IPVS_DEST_ATTR_WEIGHT ?? 0,
    upperThreshold: v.IPVS_DEST_ATTR_U_THRESH ?? 0,
    lowerThreshold: v.IPVS_DEST_ATTR_L_THRESH ?? 0,
  };
  if (fwd === 'tun') {
    dest.tunType = TUN_NAME[v.IPVS_DEST_ATTR_TUN_TYPE ?? 0] ?? 'ipip';
    if (dest.tunType === 'gue') dest.tunPort = v.IPVS_DEST_ATTR_TUN_PORT ?? 0;
    dest.tunFlags = v.IPVS_DEST_ATTR_TUN_FLAGS ?? 0;
  }
  const counters: IpvsDestCounters = {
    activeConns: v.IPVS_DEST_ATTR_ACTIVE_CONNS ?? 0,
    inactiveConns: v.IPVS_DEST_ATTR_INACT_CONNS ?? 0,
    persistentConns: v.IPVS_DEST_ATTR_PERSIST_CONNS ?? 0,
  };
  const stats = decodeStats(v.IPVS_DEST_ATTR_STATS64 ?? v.IPVS_DEST_ATTR_STATS);
  if (stats) counters.stats = stats;
  return { dest, counters };
}

function topAttrs(m: NlMessage): CmdValues | { error: string } {
  const g = decodeGenl(m.payload);
  if ('error' in g) return g;
  return decodeAttrs(IPVS_CMD_ATTRS, g.attrs);
}

/** One message of a GET_SERVICE dump. */
export function decodeServiceMessage(
  m: NlMessage,
): { service: IpvsService; stats?: IpvsStats } | { error: string } {
  const a = topAttrs(m);
  if ('error' in a) return a;
  if (!a.IPVS_CMD_ATTR_SERVICE) return { error: 'service message without IPVS_CMD_ATTR_SERVICE' };
  return decodeServiceAttrs(a.IPVS_CMD_ATTR_SERVICE);
}

/** One message of a GET_DEST dump. */
export function decodeDestMessage(
  m: NlMessage,
  serviceFamily: IpvsFamily,
): { dest: IpvsDest; counters: IpvsDestCounters } | { error: string } {
  const a = topAttrs(m);
  if ('error' in a) return a;
  if (!a.IPVS_CMD_ATTR_DEST) return { error: 'destination message without IPVS_CMD_ATTR_DEST' };
  return decodeDestAttrs(a.IPVS_CMD_ATTR_DEST, serviceFamily);
}

export interface IpvsInfo {
  /** e.g. "1.2.1" */
  version: string;
  connTableSize: number;
}

export function decodeInfoMessage(m: NlMessage): IpvsInfo | { error: string } {
  const g = decodeGenl(m.payload);
  if ('error' in g) return g;
  const a = decodeAttrs(IPVS_INFO, g.attrs);
  const v = a.IPVS_INFO_ATTR_VERSION ?? 0;
  return {
    version: `${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff}`,
    connTableSize: a.IPVS_INFO_ATTR_CONN_TAB_SIZE ?? 0,
  };
}

/** Connection timeouts, seconds (0 in a set request = leave unchanged). */
export interface IpvsTimeouts {
  tcpS: number;
  tcpFinS: number;
  udpS: number;
}

export function encodeSetTimeouts(t: Partial<IpvsTimeouts>): Buffer {
  return ipvsPayload(IPVS_CMD.SET_CONFIG, {
    IPVS_CMD_ATTR_TIMEOUT_TCP: t.tcpS ?? 0,
    IPVS_CMD_ATTR_TIMEOUT_TCP_FIN: t.tcpFinS ?? 0,
    IPVS_CMD_ATTR_TIMEOUT_UDP: t.udpS ?? 0,
  });
}

export function decodeTimeoutsMessage(m: NlMessage): IpvsTimeouts | { error: string } {
  const a = topAttrs(m);
  if ('error' in a) return a;
  return {
    tcpS: a.IPVS_CMD_ATTR_TIMEOUT_TCP ?? 0,
    tcpFinS: a.IPVS_CMD_ATTR_TIMEOUT_TCP_FIN ?? 0,
    udpS: a.IPVS_CMD_ATTR_TIMEOUT_UDP ?? 0,
  };
}

/** A connection-synchronisation daemon (IPVS_CMD_NEW_DAEMON). */
export interface IpvsSyncDaemon {
  state: 'master' | 'backup';
  /** interface the sync multicast goes out of / comes in on */
  ifname: string;
  syncId: number;
  /** UDP payload size limit */
  maxLen?: number;
  mcastGroup?: string;
  mcastPort?: number;
  mcastTtl?: number;
}

export function encodeDaemon(cmd: number, d: IpvsSyncDaemon | Pick<IpvsSyncDaemon, 'state'>): Buffer {
  const full = 'ifname' in d;
  const group = full ? d.mcastGroup : undefined;
  const groupFamily = group ? parseIp(group)?.family : undefined;
  return ipvsPayload(cmd, {
    IPVS_CMD_ATTR_DAEMON: {
      IPVS_DAEMON_ATTR_STATE: IP_VS_STATE[d.state],
      ...(full
        ? {
            IPVS_DAEMON_ATTR_MCAST_IFN: d.ifname,
            IPVS_DAEMON_ATTR_SYNC_ID: d.syncId,
            IPVS_DAEMON_ATTR_SYNC_MAXLEN: d.maxLen,
            IPVS_DAEMON_ATTR_MCAST_GROUP: groupFamily === 4 ? group : undefined,
            IPVS_DAEMON_ATTR_MCAST_GROUP6: groupFamily === 6 ? group : undefined,
            IPVS_DAEMON_ATTR_MCAST_PORT: d.mcastPort,
            IPVS_DAEMON_ATTR_MCAST_TTL: d.mcastTtl,
          }
        : {}),
    },
  });
}

export function decodeDaemonMessage(m: NlMessage): IpvsSyncDaemon | { error: string } {
  const a = topAttrs(m);
  if ('error' in a) return a;
  const d = a.IPVS_CMD_ATTR_DAEMON;
  if (!d) return { error: 'daemon message without IPVS_CMD_ATTR_DAEMON' };
  const state = d.IPVS_DAEMON_ATTR_STATE === 1 ? 'master' : d.IPVS_DAEMON_ATTR_STATE === 2 ? 'backup' : null;
  if (!state) return { error: `sync daemon in unknown state ${d.IPVS_DAEMON_ATTR_STATE}` };
  const out: IpvsSyncDaemon = {
    state,
    ifname: d.IPVS_DAEMON_ATTR_MCAST_IFN ?? '',
    syncId: d.IPVS_DAEMON_ATTR_SYNC_ID ?? 0,
  };
  if (d.IPVS_DAEMON_ATTR_SYNC_MAXLEN !== undefined) out.maxLen = d.IPVS_DAEMON_ATTR_SYNC_MAXLEN;
  const group = d.IPVS_DAEMON_ATTR_MCAST_GROUP6 ?? d.IPVS_DAEMON_ATTR_MCAST_GROUP;
  if (group !== undefined) out.mcastGroup = group;
  if (d.IPVS_DAEMON_ATTR_MCAST_PORT !== undefined) out.mcastPort = d.IPVS_DAEMON_ATTR_MCAST_PORT;
  if (d.IPVS_DAEMON_ATTR_MCAST_TTL !== undefined) out.mcastTtl = d.IPVS_DAEMON_ATTR_MCAST_TTL;
  return out;
}
