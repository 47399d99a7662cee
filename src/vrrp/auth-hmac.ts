// HMAC-authenticated VRRP adverts, compatible with keepalived 2.4.2 and later (auth_hmac,
// draft-cassen-vrrp-auth-hmac). Pure: the wall clock comes in as a number, state (the
// sender's sequence, the receiver's replay marks) lives in small objects the instance owns.
//
// The trailer is 28 bytes after the advert (after the VIPs; after the v2 auth data):
//   ext_type (1 = HMAC-SHA256/128) | key_id | reserved16 = 0 | sec32 (UTC) |
//   subsec16 (1/65536 s) | ctr16 | hmac[16]
// The HMAC is HMAC-SHA256(key, pseudo ‖ PDU with its checksum read as 0 ‖ trailer bytes
// 0-11 ‖ 16 zero bytes) cut to 16 bytes; pseudo (20 bytes) = 4|6, version, VRID, 0, the
// source address, zero padded. The IP header is not covered.
// The sequence sec|subsec|ctr (64 bits) grows strictly per sender (RFC 1982 order); a
// sender uses max(clock, last + 1). In time mode a receiver also refuses a stamp more than
// time_window seconds from its own clock.
// The VRRP checksum: IPv4 covers the advert only (not the trailer); IPv6 covers the whole
// payload, trailer included (what the kernel computes for keepalived's IPV6_CHECKSUM socket).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IpFamily } from '../net/addr.js';
import { internetChecksum, ipv6PseudoHeader } from '../net/checksum.js';

export const HMAC_TRAILER_LENGTH = 28;
export const HMAC_EXT_SHA256 = 1;
const HMAC_LENGTH = 16;
const PSEUDO_LENGTH = 20;
const CHECKSUM_OFFSET = 6;
const VRRP_PROTOCOL = 112;

export type HmacMode = 'enforce' | 'permissive' | 'receive-only';

/** What the receive side needs of the auth_hmac configuration. */
export interface HmacSettings {
  mode: HmacMode;
  /** key id → key bytes */
  keys: ReadonlyMap<number, Uint8Array>;
  activeKey: number;
  antiReplayTime: boolean;
  timeWindowSec: number;
}

export type HmacVerdict = 'ok' | 'malformed' | 'unknown-key' | 'bad-hmac' | 'stale' | 'replay';

/** The decoded trailer (views into the packet). */
export interface HmacTrailer {
  extType: number;
  keyId: number;
  reserved: number;
  seq: bigint;
  sec: number;
  hmac: Uint8Array;
  /** the 28 bytes as received */
  bytes: Uint8Array;
}

export function parseTrailer(t: Uint8Array): HmacTrailer {
  const v = Buffer.from(t.buffer, t.byteOffset, t.length);
  const sec = v.readUInt32BE(4);
  const seq = (BigInt(sec) << 32n) | (BigInt(v.readUInt16BE(8)) << 16n) | BigInt(v.readUInt16BE(10));
  return {
    extType: v[0]!,
    keyId: v[1]!,
    reserved: v.readUInt16BE(2),
    seq,
    sec,
    hmac: v.subarray(12, 28),
    bytes: t,
  };
}

function pseudoHeader(family: IpFamily, version: number, vrid: number, src: Uint8Array): Buffer {
  const out = Buffer.alloc(PSEUDO_LENGTH);
  out[0] = family;
  out[1] = version;
  out[2] = vrid;
  out.set(src, 4);
  return out;
}

/**
 * The 16-byte HMAC of an advert: `pdu` is the VRRP message without the trailer, `head`
 * the first 12 trailer bytes.
 */
export function computeHmac(
  key: Uint8Array,
  ctx: { family: IpFamily; version: number; vrid: number; src: Uint8Array },
  pdu: Uint8Array,
  head: Uint8Array,
): Buffer {
  const h = createHmac('sha256', key);
  h.update(pseudoHeader(ctx.family, ctx.version, ctx.vrid, ctx.src));
  h.update(pdu.subarray(0, CHECKSUM_OFFSET));
  h.update(Buffer.alloc(2));
  h.update(pdu.subarray(CHECKSUM_OFFSET + 2));
  h.update(head.subarray(0, 12));
  h.update(Buffer.alloc(HMAC_LENGTH));
  return h.digest().subarray(0, HMAC_LENGTH);
}

const U64 = (1n << 64n) - 1n;
/** RFC 1982 order on the 64-bit sequence: a comes after b. */
export function seqAfter(a: bigint, b: bigint): boolean {
  return BigInt.asIntN(64, (a - b) & U64) > 0n;
}
const int32 = (n: number): number => n | 0;

/** The clock as a sequence: seconds in the high 32 bits, 1/65536 s in the next 16, counter 0. */
export function clockSeq(wallMs: number): bigint {
  const sec = Math.floor(wallMs / 1000);
  const subsec = Math.floor(((wallMs - sec * 1000) * 65536) / 1000) & 0xffff;
  return (BigInt(sec >>> 0) << 32n) | (BigInt(subsec) << 16n);
}

/** The sender's sequence: the larger of the clock and the last value + 1. */
export class HmacSequence {
  private last = 0n;
  constructor(
    private readonly antiReplayTime: boolean,
    private readonly timeWindowSec: number,
  ) {}
  next(wallMs: number): bigint {
    const clk = clockSeq(wallMs);
    if (seqAfter(clk, this.last)) this.last = clk;
    else {
      // a clock stepped back would strand the stamp beyond what receivers accept: time
      // mode restarts from the clock once past the window; monotonic mode only grows
      const ahead = int32(Number(this.last >> 32n) - Number(clk >> 32n));
      this.last = this.antiReplayTime && ahead > this.timeWindowSec ? clk : (this.last + 1n) & U64;
    }
    return this.last;
  }
  /** for tests and carrying the sequence over a reload */
  get value(): bigint {
    return this.last;
  }
  set value(v: bigint) {
    this.last = v;
  }
}

/**
 * Appends a signed trailer to an encoded advert (`pdu`, checksum already in place as the
 * codec wrote it) and returns the packet to send. IPv6: the checksum is recomputed over
 * the whole payload, trailer included.
 */
export function signAdvert(
  pdu: Buffer,
  s: {
    family: IpFamily;
    version: number;
    vrid: number;
    src: Uint8Array;
    dst: Uint8Array;
    keyId: number;
    key: Uint8Array;
    seq: bigint;
  },
): Buffer {
  const out = Buffer.alloc(pdu.length + HMAC_TRAILER_LENGTH);
  pdu.copy(out);
  const t = out.subarray(pdu.length);
  t[0] = HMAC_EXT_SHA256;
  t[1] = s.keyId;
  t.writeUInt16BE(0, 2);
  t.writeUInt32BE(Number((s.seq >> 32n) & 0xffffffffn), 4);
  t.writeUInt16BE(Number((s.seq >> 16n) & 0xffffn), 8);
  t.writeUInt16BE(Number(s.seq & 0xffffn), 10);
  computeHmac(s.key, s, pdu, t).copy(t, 12);
  if (s.family === 6) {
    out.writeUInt16BE(0, CHECKSUM_OFFSET);
    out.writeUInt16BE(
      internetChecksum(ipv6PseudoHeader(s.src, s.dst, VRRP_PROTOCOL, out.length), out),
      CHECKSUM_OFFSET,
    );
  }
  return out;
}

/** Replay marks per source: the highest authenticated sequence seen (LRU-bounded). */
export class ReplayMarks {
  private readonly marks = new Map<string, bigint>();
  constructor(private readonly maxSources = 16) {}
  get(src: Uint8Array): bigint | undefined {
    return this.marks.get(Buffer.from(src).toString('hex'));
  }
  set(src: Uint8Array, seq: bigint): void {
    const k = Buffer.from(src).toString('hex');
    this.marks.delete(k);
    this.marks.set(k, seq);
    if (this.marks.size > this.maxSources) this.marks.delete(this.marks.keys().next().value!);
  }
  delete(src: Uint8Array): void {
    this.marks.delete(Buffer.from(src).toString('hex'));
  }
  get size(): number {
    return this.marks.size;
  }
}

/**
 * Verifies a received trailer, in keepalived's order: type/reserved, freshness (time
 * mode, before the costly HMAC), key id, HMAC, replay. The replay mark moves only for
 * an advert whose HMAC verified.
 */
export function verifyTrailer(
  cfg: HmacSettings,
  pkt: {
    family: IpFamily;
    version: number;
    vrid: number;
    src: Uint8Array;
    pdu: Uint8Array;
    trailer: Uint8Array;
  },
  wallMs: number,
  marks: ReplayMarks,
): { verdict: HmacVerdict; skewSec?: number; keyId: number } {
  const t = parseTrailer(pkt.trailer);
  if (t.extType !== HMAC_EXT_SHA256 || t.reserved !== 0) return { verdict: 'malformed', keyId: t.keyId };
  const nowSec = Math.floor(wallMs / 1000) >>> 0;
  let skewSec: number | undefined;
  if (cfg.antiReplayTime) {
    skewSec = int32(nowSec - t.sec);
    if (Math.abs(skewSec) > cfg.timeWindowSec) return { verdict: 'stale', skewSec, keyId: t.keyId };
  }
  const key = cfg.keys.get(t.keyId);
  if (!key) return { verdict: 'unknown-key', keyId: t.keyId };
  const want = computeHmac(key, pkt, pkt.pdu, t.bytes);
  if (!timingSafeEqual(want, t.hmac)) return { verdict: 'bad-hmac', keyId: t.keyId };
  let mark = marks.get(pkt.src);
  if (mark !== undefined && cfg.antiReplayTime) {
    // a mark outside the window only orders what the window already refuses: expiring
    // it lets a sender whose clock was stepped back in again
    const age = int32(nowSec - Number(mark >> 32n));
    if (Math.abs(age) > cfg.timeWindowSec) mark = undefined;
  }
  if (mark !== undefined && !seqAfter(t.seq, mark)) return { verdict: 'replay', keyId: t.keyId };
  marks.set(pkt.src, t.seq);
  return skewSec === undefined
    ? { verdict: 'ok', keyId: t.keyId }
    : { verdict: 'ok', skewSec, keyId: t.keyId };
}

/** The receive-side settings of an instance's auth_hmac model (keys as bytes). */
export function hmacSettingsOf(a: {
  keys: readonly { id: number; hex: string }[];
  activeKey: number;
  mode: HmacMode;
  antiReplayTime: boolean;
  timeWindowSec: number;
}): HmacSettings {
  return {
    mode: a.mode,
    keys: new Map(a.keys.map((k) => [k.id, Buffer.from(k.hex, 'hex')])),
    activeKey: a.activeKey,
    antiReplayTime: a.antiReplayTime,
    timeWindowSec: a.timeWindowSec,
  };
}
