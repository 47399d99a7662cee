// The hot paths of IPVS over netlink, written without intermediate objects: encoding
// reconciler ops straight into one datagram buffer, and decoding dumped destinations.
// A table of 10,000 real servers makes 11,000 messages each way; in the guest kernel
// (and on busy directors) allocation and GC, not the kernel, dominated the schema-
// driven path. Same wire format as the schemas in ipvs-attrs.ts: the unit tests
// decode what this writes with those schemas, and vice versa.

import { formatIp, parseIp } from '../net/addr.js';
import { NLA_F_NESTED, NLA_TYPE_MASK } from './attrs.js';
import { GENL_HDRLEN } from './genl.js';
import { serviceFlagBits } from './ipvs.js';
import {
  AF_INET,
  AF_INET6,
  FWD,
  IP_VS_CONN_F_FWD_MASK,
  IPPROTO,
  IPVS_CMD,
  IPVS_CMD_ATTRS,
  IPVS_DEST,
  IPVS_GENL_VERSION,
  IPVS_SVC,
  TUN_TYPE,
} from './ipvs-attrs.js';
import type { IpvsDest, IpvsDestCounters, IpvsFamily, IpvsOp, IpvsService, IpvsStats } from './ipvs-types.js';
import { LITTLE_ENDIAN, NLMSG_HDRLEN } from './message.js';

/** Appends netlink messages to one growing buffer (host-order integers as the kernel wants). */
export class NlWriter {
  buf: Buffer;
  off = 0;
  constructor(size = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }
  private need(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + n));
    this.buf.copy(b, 0, 0, this.off);
    this.buf = b;
  }
  private u16at(v: number, at: number): void {
    if (LITTLE_ENDIAN) this.buf.writeUInt16LE(v, at);
    else this.buf.writeUInt16BE(v, at);
  }
  private u32at(v: number, at: number): void {
    if (LITTLE_ENDIAN) this.buf.writeUInt32LE(v >>> 0, at);
    else this.buf.writeUInt32BE(v >>> 0, at);
  }
  /** Starts a message; returns its offset for end(). */
  begin(type: number, flags: number, seq: number, cmd: number, version: number): number {
    this.need(NLMSG_HDRLEN + GENL_HDRLEN);
    const at = this.off;
    this.u32at(0, at);
    this.u16at(type, at + 4);
    this.u16at(flags, at + 6);
    this.u32at(seq, at + 8);
    this.u32at(0, at + 12);
    this.buf.writeUInt8(cmd, at + 16);
    this.buf.writeUInt8(version, at + 17);
    this.buf.writeUInt16LE(0, at + 18);
    this.off += NLMSG_HDRLEN + GENL_HDRLEN;
    return at;
  }
  end(at: number): void {
    this.u32at(this.off - at, at);
  }
  private attrHead(type: number, len: number): number {
    this.need(4 + len + 3);
    const at = this.off;
    this.u16at(4 + len, at);
    this.u16at(type, at + 2);
    this.off += 4;
    return at;
  }
  private pad(): void {
    while (this.off & 3) this.buf[this.off++] = 0;
  }
  u8(type: number, v: number): void {
    this.attrHead(type, 1);
    this.buf.writeUInt8(v, this.off);
    this.off += 1;
    this.pad();
  }
  u16(type: number, v: number): void {
    this.attrHead(type, 2);
    this.u16at(v, this.off);
    this.off += 2;
    this.pad();
  }
  be16(type: number, v: number): void {
    this.attrHead(type, 2);
    this.buf.writeUInt16BE(v, this.off);
    this.off += 2;
    this.pad();
  }
  u32(type: number, v: number): void {
    this.attrHead(type, 4);
    this.u32at(v, this.off);
    this.off += 4;
  }
  bytes(type: number, b: Uint8Array, len = b.length): void {
    this.attrHead(type, len);
    this.buf.fill(0, this.off, this.off + len);
    this.buf.set(b.subarray(0, Math.min(len, b.length)), this.off);
    this.off += len;
    this.pad();
  }
  string(type: number, s: string): void {
    const n = Buffer.byteLength(s);
    this.attrHead(type, n + 1);
    this.buf.write(s, this.off);
    this.buf[this.off + n] = 0;
    this.off += n + 1;
    this.pad();
  }
  nestStart(type: number): number {
    return this.attrHead(type | NLA_F_NESTED, 0);
  }
  nestEnd(at: number): void {
    this.u16at(this.off - at, at);
  }
  /** The messages written so far (a view; valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.off);
  }
  reset(): void {
    this.off = 0;
  }
}

const S = IPVS_SVC;
const D = IPVS_DEST;
const af = (f: IpvsFamily) => (f === 4 ? AF_INET : AF_INET6);

// Parsing addresses is the costliest part of an op; tables repeat them a lot.
const addrCache = new Map<string, Buffer>();
function addrBytes(text: string): Buffer {
  let b = addrCache.get(text);
  if (!b) {
    const p = parseIp(text);
    if (!p) throw new TypeError(`'${text}' is not an IP address`);
    b = p.bytes;
    if (addrCache.size > 100_000) addrCache.clear();
    addrCache.set(text, b);
  }
  return b;
}

function writeService(w: NlWriter, s: IpvsService, full: boolean): void {
  const at = w.nestStart(IPVS_CMD_ATTRS.IPVS_CMD_ATTR_SERVICE.type);
  w.u16(S.IPVS_SVC_ATTR_AF.type, af(s.family));
  if (s.protocol === null) w.u32(S.IPVS_SVC_ATTR_FWMARK.type, s.fwmark ?? 0);
  else {
    w.u16(S.IPVS_SVC_ATTR_PROTOCOL.type, IPPROTO[s.protocol]);
    w.bytes(S.IPVS_SVC_ATTR_ADDR.type, addrBytes(s.address ?? ''), 16);
    w.be16(S.IPVS_SVC_ATTR_PORT.type, s.port ?? 0);
  }
  if (full) {
    w.string(S.IPVS_SVC_ATTR_SCHED_NAME.type, s.scheduler);
    const flags = Buffer.alloc(8);
    flags.writeUInt32LE(0, 0);
    if (LITTLE_ENDIAN) {
      flags.writeUInt32LE(serviceFlagBits(s.flags), 0);
      flags.writeUInt32LE(0xffffffff, 4);
    } else {
      flags.writeUInt32BE(serviceFlagBits(s.flags), 0);
      flags.writeUInt32BE(0xffffffff, 4);
    }
    w.bytes(S.IPVS_SVC_ATTR_FLAGS.type, flags);
    w.u32(S.IPVS_SVC_ATTR_TIMEOUT.type, s.timeoutS);
    const nm = Buffer.alloc(4);
    if (s.family === 4) {
      const p = s.netmask;
      nm.writeUInt32BE(p <= 0 ? 0 : p >= 32 ? 0xffffffff : (0xffffffff << (32 - p)) >>> 0, 0);
    } else if (LITTLE_ENDIAN) nm.writeUInt32LE(s.netmask, 0);
    else nm.writeUInt32BE(s.netmask, 0);
    w.bytes(S.IPVS_SVC_ATTR_NETMASK.type, nm);
    if (s.peName) w.string(S.IPVS_SVC_ATTR_PE_NAME.type, s.peName);
  }
  w.nestEnd(at);
}

function writeDest(w: NlWriter, d: IpvsDest, full: boolean): void {
  const at = w.nestStart(IPVS_CMD_ATTRS.IPVS_CMD_ATTR_DEST.type);
  w.bytes(D.IPVS_DEST_ATTR_ADDR.type, addrBytes(d.address), 16);
  w.be16(D.IPVS_DEST_ATTR_PORT.type, d.port);
  if (full) {
    w.u32(D.IPVS_DEST_ATTR_FWD_METHOD.type, FWD[d.forwarding]);
    w.u32(D.IPVS_DEST_ATTR_WEIGHT.type, d.weight);
    w.u32(D.IPVS_DEST_ATTR_U_THRESH.type, d.upperThreshold);
    w.u32(D.IPVS_DEST_ATTR_L_THRESH.type, d.lowerThreshold);
  }
  w.u16(D.IPVS_DEST_ATTR_ADDR_FAMILY.type, af(d.family));
  if (full && d.forwarding === 'tun') {
    w.u8(D.IPVS_DEST_ATTR_TUN_TYPE.type, TUN_TYPE[d.tunType ?? 'ipip']);
    if (d.tunPort !== undefined) w.be16(D.IPVS_DEST_ATTR_TUN_PORT.type, d.tunPort);
    if (d.tunFlags !== undefined) w.u16(D.IPVS_DEST_ATTR_TUN_FLAGS.type, d.tunFlags);
  }
  w.nestEnd(at);
}

const OP_CMD: Record<IpvsOp['op'], number> = {
  'add-service': IPVS_CMD.NEW_SERVICE,
  'edit-service': IPVS_CMD.SET_SERVICE,
  'delete-service': IPVS_CMD.DEL_SERVICE,
  'add-dest': IPVS_CMD.NEW_DEST,
  'edit-dest': IPVS_CMD.SET_DEST,
  'delete-dest': IPVS_CMD.DEL_DEST,
};

/** Appends the netlink message that carries out `op` (IPVS family id `type`). */
export function writeOp(w: NlWriter, op: IpvsOp, type: number, flags: number, seq: number): void {
  const at = w.begin(type, flags, seq, OP_CMD[op.op], IPVS_GENL_VERSION);
  switch (op.op) {
    case 'add-service':
    case 'edit-service':
      writeService(w, op.service, true);
      break;
    case 'delete-service':
      writeService(w, op.service, false);
      break;
    default:
      writeService(w, op.service, false);
      writeDest(w, op.dest, op.op !== 'delete-dest');
  }
  w.end(at);
}

// ------------------------------------------------------------------ lean dest decode

function rdU16(b: Buffer, o: number): number {
  return LITTLE_ENDIAN ? b.readUInt16LE(o) : b.readUInt16BE(o);
}
function rdU32(b: Buffer, o: number): number {
  return LITTLE_ENDIAN ? b.readUInt32LE(o) : b.readUInt32BE(o);
}
function rdU64(b: Buffer, o: number): bigint {
  return LITTLE_ENDIAN ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o);
}

const STATS_FIELDS: (keyof IpvsStats)[] = [
  'conns',
  'inPkts',
  'outPkts',
  'inBytes',
  'outBytes',
  'cps',
  'inPps',
  'outPps',
  'inBps',
  'outBps',
];

/** IPVS_*_ATTR_STATS64 (every counter u64) or the older STATS (u32 except bytes): by length. */
function statsNest(b: Buffer, start: number, end: number): IpvsStats {
  const s: IpvsStats = {
    conns: 0n,
    inPkts: 0n,
    outPkts: 0n,
    inBytes: 0n,
    outBytes: 0n,
    cps: 0n,
    inPps: 0n,
    outPps: 0n,
    inBps: 0n,
    outBps: 0n,
  };
  for (let o = start; o + 4 <= end; ) {
    const len = rdU16(b, o);
    const t = rdU16(b, o + 2) & NLA_TYPE_MASK;
    if (len < 4 || o + len > end) break;
    const field = STATS_FIELDS[t - 1];
    if (field && len >= 12) s[field] = rdU64(b, o + 4);
    else if (field && len >= 8) s[field] = BigInt(rdU32(b, o + 4));
    o += (len + 3) & ~3;
  }
  return s;
}

const FWD_NAMES = ['nat', 'local', 'tun', 'dr'] as const;
const TUN_NAMES = ['ipip', 'gue', 'gre'] as const;

/**
 * Decodes one GET_DEST dump message (nlmsg payload) without intermediate objects.
 * Returns null for a message that is not a well-formed destination.
 */
export function decodeDestFast(
  payload: Buffer,
  serviceFamily: IpvsFamily,
): { dest: IpvsDest; counters: IpvsDestCounters } | null {
  // top level: find IPVS_CMD_ATTR_DEST
  let ds = -1;
  let de = -1;
  for (let o = GENL_HDRLEN; o + 4 <= payload.length; ) {
    const len = rdU16(payload, o);
    if (len < 4 || o + len > payload.length) break;
    if ((rdU16(payload, o + 2) & NLA_TYPE_MASK) === IPVS_CMD_ATTRS.IPVS_CMD_ATTR_DEST.type) {
      ds = o + 4;
      de = o + len;
      break;
    }
    o += (len + 3) & ~3;
  }
  if (ds < 0) return null;
  let addr: Buffer | null = null;
  let family: IpvsFamily = serviceFamily;
  let port = 0;
  let fwd = 0;
  let weight = 0;
  let u = 0;
  let l = 0;
  let active = 0;
  let inact = 0;
  let persist = 0;
  let tunType = 0;
  let tunPort = 0;
  let tunFlags = 0;
  let stats: IpvsStats | undefined;
  for (let o = ds; o + 4 <= de; ) {
    const len = rdU16(payload, o);
    if (len < 4 || o + len > de) break;
    const t = rdU16(payload, o + 2) & NLA_TYPE_MASK;
    const v = o + 4;
    const n = len - 4;
    switch (t) {
      case D.IPVS_DEST_ATTR_ADDR.type:
        addr = payload.subarray(v, v + n);
        break;
      case D.IPVS_DEST_ATTR_PORT.type:
        if (n >= 2) port = payload.readUInt16BE(v);
        break;
      case D.IPVS_DEST_ATTR_FWD_METHOD.type:
        if (n >= 4) fwd = rdU32(payload, v);
        break;
      case D.IPVS_DEST_ATTR_WEIGHT.type:
        if (n >= 4) weight = LITTLE_ENDIAN ? payload.readInt32LE(v) : payload.readInt32BE(v);
        break;
      case D.IPVS_DEST_ATTR_U_THRESH.type:
        if (n >= 4) u = rdU32(payload, v);
        break;
      case D.IPVS_DEST_ATTR_L_THRESH.type:
        if (n >= 4) l = rdU32(payload, v);
        break;
      case D.IPVS_DEST_ATTR_ACTIVE_CONNS.type:
        if (n >= 4) active = rdU32(payload, v);
        break;
      case D.IPVS_DEST_ATTR_INACT_CONNS.type:
        if (n >= 4) inact = rdU32(payload, v);
        break;
      case D.IPVS_DEST_ATTR_PERSIST_CONNS.type:
        if (n >= 4) persist = rdU32(payload, v);
        break;
      case D.IPVS_DEST_ATTR_ADDR_FAMILY.type:
        if (n >= 2) family = rdU16(payload, v) === AF_INET6 ? 6 : 4;
        break;
      case D.IPVS_DEST_ATTR_STATS64.type:
        stats = statsNest(payload, v, o + len);
        break;
      case D.IPVS_DEST_ATTR_STATS.type:
        stats ??= statsNest(payload, v, o + len);
        break;
      case D.IPVS_DEST_ATTR_TUN_TYPE.type:
        if (n >= 1) tunType = payload.readUInt8(v);
        break;
      case D.IPVS_DEST_ATTR_TUN_PORT.type:
        if (n >= 2) tunPort = payload.readUInt16BE(v);
        break;
      case D.IPVS_DEST_ATTR_TUN_FLAGS.type:
        if (n >= 2) tunFlags = rdU16(payload, v);
        break;
    }
    o += (len + 3) & ~3;
  }
  const need = family === 4 ? 4 : 16;
  if (!addr || addr.length < need) return null;
  const forwarding = FWD_NAMES[fwd & IP_VS_CONN_F_FWD_MASK];
  if (!forwarding) return null;
  const dest: IpvsDest = {
    family,
    address: formatIp(addr.subarray(0, need)),
    port,
    forwarding,
    weight,
    upperThreshold: u,
    lowerThreshold: l,
  };
  if (forwarding === 'tun') {
    dest.tunType = TUN_NAMES[tunType] ?? 'ipip';
    if (dest.tunType === 'gue') dest.tunPort = tunPort;
    dest.tunFlags = tunFlags;
  }
  const counters: IpvsDestCounters = { activeConns: active, inactiveConns: inact, persistentConns: persist };
  if (stats) counters.stats = stats;
  return { dest, counters };
}
