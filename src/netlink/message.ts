// Netlink message framing (linux/netlink.h): the 16-byte nlmsghdr, alignment,
// splitting a datagram into messages, and the NLMSG_ERROR payload.
// Pure: no sockets. Header fields are in host byte order (netlink(7)).
import { endianness } from 'node:os';

// nlmsg_flags (linux/netlink.h)
export const NLM_F_REQUEST = 1;
export const NLM_F_MULTI = 2;
export const NLM_F_ACK = 4;
export const NLM_F_ECHO = 8;
export const NLM_F_DUMP_INTR = 0x10;
// modifiers to GET requests
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_ATOMIC = 0x400;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
// modifiers to NEW requests
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;
// flags on NLMSG_ERROR acks
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;

// control message types (linux/netlink.h)
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;
/** types below this are reserved for control messages */
export const NLMSG_MIN_TYPE = 0x10;

// protocols (linux/netlink.h)
export const NETLINK_ROUTE = 0;
export const NETLINK_GENERIC = 16;

// extended ack attributes carried after an NLMSG_ERROR (enum nlmsgerr_attrs)
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;

export const NLMSG_HDRLEN = 16;
export const NLMSG_ALIGNTO = 4;

export const LITTLE_ENDIAN = endianness() === 'LE';

export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  payload: Buffer;
}

export function align4(n: number): number {
  // arithmetic, not a bit mask: a 32-bit length from the wire (up to 2^32 - 1) must not
  // wrap to a negative offset (a fuzzed NLMSG_ERROR did, test/unit/fuzz-slices.test.ts)
  const m = n + NLMSG_ALIGNTO - 1;
  return m - (m % NLMSG_ALIGNTO);
}

// Host-order integer helpers shared by the attribute and struct codecs.
export function readU16(b: Buffer, off: number): number {
  return LITTLE_ENDIAN ? b.readUInt16LE(off) : b.readUInt16BE(off);
}
export function readU32(b: Buffer, off: number): number {
  return LITTLE_ENDIAN ? b.readUInt32LE(off) : b.readUInt32BE(off);
}
export function readS32(b: Buffer, off: number): number {
  return LITTLE_ENDIAN ? b.readInt32LE(off) : b.readInt32BE(off);
}
export function readU64(b: Buffer, off: number): bigint {
  return LITTLE_ENDIAN ? b.readBigUInt64LE(off) : b.readBigUInt64BE(off);
}
export function writeU16(b: Buffer, v: number, off: number): void {
  if (LITTLE_ENDIAN) b.writeUInt16LE(v, off);
  else b.writeUInt16BE(v, off);
}
export function writeU32(b: Buffer, v: number, off: number): void {
  if (LITTLE_ENDIAN) b.writeUInt32LE(v >>> 0, off);
  else b.writeUInt32BE(v >>> 0, off);
}
export function writeS32(b: Buffer, v: number, off: number): void {
  if (LITTLE_ENDIAN) b.writeInt32LE(v, off);
  else b.writeInt32BE(v, off);
}
export function writeU64(b: Buffer, v: bigint, off: number): void {
  if (LITTLE_ENDIAN) b.writeBigUInt64LE(v, off);
  else b.writeBigUInt64BE(v, off);
}

/** nlmsghdr + payload, padded to 4 bytes. nlmsg_len counts the unpadded payload. */
export function encodeMessage(m: NlMessage): Buffer {
  const len = NLMSG_HDRLEN + m.payload.length;
  const out = Buffer.alloc(align4(len));
  writeU32(out, len, 0);
  writeU16(out, m.type, 4);
  writeU16(out, m.flags, 6);
  writeU32(out, m.seq, 8);
  writeU32(out, m.pid, 12);
  m.payload.copy(out, NLMSG_HDRLEN);
  return out;
}

/**
 * Splits one received datagram into messages. Never throws: a malformed datagram
 * (short header, nlmsg_len past the end or below the header size) gives {error}.
 * Payloads are views into the datagram, not copies.
 */
export function decodeMessages(datagram: Buffer): NlMessage[] | { error: string } {
  const out: NlMessage[] = [];
  let off = 0;
  while (off < datagram.length) {
    const left = datagram.length - off;
    if (left < NLMSG_HDRLEN) {
      return { error: `netlink datagram has ${left} trailing bytes, less than a 16-byte header` };
    }
    const len = readU32(datagram, off);
    if (len < NLMSG_HDRLEN || len > left) {
      return { error: `netlink message at offset ${off} claims length ${len} but ${left} bytes remain` };
    }
    out.push({
      type: readU16(datagram, off + 4),
      flags: readU16(datagram, off + 6),
      seq: readU32(datagram, off + 8),
      pid: readU32(datagram, off + 12),
      payload: datagram.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

export interface NlError {
  /** 0 for an ack, otherwise a positive errno */
  errno: number;
  /** the header of the request this answers, when present */
  request?: { type: number; flags: number; seq: number; pid: number };
  /** NLMSGERR_ATTR_MSG extended-ack text, when the kernel sent one */
  message?: string;
}

/**
 * Decodes the payload of an NLMSG_ERROR message: `int error` (negative errno, 0 = ack)
 * followed by the original request's header (netlink(7), struct nlmsgerr), then
 * extended-ack TLVs when the message has NLM_F_ACK_TLVS.
 */
export function decodeError(m: NlMessage): NlError | { error: string } {
  const p = m.payload;
  if (p.length < 4) return { error: `NLMSG_ERROR payload of ${p.length} bytes is too short` };
  const res: NlError = { errno: 0 - readS32(p, 0) || 0 };
  if (p.length >= 4 + NLMSG_HDRLEN) {
    res.request = {
      type: readU16(p, 8),
      flags: readU16(p, 10),
      seq: readU32(p, 12),
      pid: readU32(p, 16),
    };
  }
  if (m.flags & NLM_F_ACK_TLVS && p.length >= 4 + NLMSG_HDRLEN) {
    // without NLM_F_CAPPED the whole original request follows; skip it
    const origLen = readU32(p, 4);
    const tlvStart = m.flags & NLM_F_CAPPED ? 4 + NLMSG_HDRLEN : 4 + align4(origLen);
    let off = tlvStart;
    while (off + 4 <= p.length) {
      const alen = readU16(p, off);
      const atype = readU16(p, off + 2) & 0x3fff;
      if (alen < 4 || off + alen > p.length) break;
      if (atype === NLMSGERR_ATTR_MSG) {
        const s = p.subarray(off + 4, off + alen);
        const nul = s.indexOf(0);
        res.message = (nul >= 0 ? s.subarray(0, nul) : s).toString('utf8');
      }
      off += align4(alen);
    }
  }
  return res;
}
