// VRRP advertisement codec: VRRPv2 (RFC 3768 §5) and VRRPv3 (RFC 5798 §5, RFC 9568).
// Pure and policy-free: it parses and builds. Whether the VRID, password, interval or
// address list match the local configuration is for the caller to decide.
// Decoded addresses are bytes (views into the packet): text is for logs, status and config.
// Decoding never throws; every drop has a named reason so the daemon can count it
// (RFC 6527 style: one counter per reason).
import { type IpFamily, parseIp } from '../net/addr.js';
import {
  internetChecksum,
  ipv4PseudoHeader,
  ipv6PseudoHeader,
  pseudoHeaderSum,
  rangeSum,
} from '../net/checksum.js';
import type { ParseResult } from '../net/ip-header.js';
import { CODEC_DROP_REASONS, type CodecDropReason } from './drop-reason.js';

export const VRRP_PROTOCOL = 112; // IANA protocol number, RFC 5798 §5.1.1.3
export const VRRP_TTL = 255; // RFC 5798 §5.1.1.3 / §5.1.2.3, RFC 3768 §5.2.3
export const VRRP_IPV4_GROUP = '224.0.0.18';
export const VRRP_IPV6_GROUP = 'ff02::12';
export const VRRP_TYPE_ADVERTISEMENT = 1;

/** v2 authentication types (RFC 3768 §5.3.6; type 2, IP AH, is obsolete and unsupported). */
export const AUTH_NONE = 0;
export const AUTH_SIMPLE = 1;
export const AUTH_AH = 2;

const HEADER_LENGTH = 8;
const V2_AUTH_LENGTH = 8;
const V3_MAX_INTERVAL_CS = 0x0fff; // 12 bits
/** keepalived 2.4 auth_hmac trailer (auth-hmac.ts HMAC_TRAILER_LENGTH) */
const AUTH_TRAILER_LENGTH = 28;

export interface VrrpAdvertV2 {
  version: 2;
  type: 1;
  vrid: number;
  priority: number;
  advertIntervalSec: number;
  authType: number;
  /** Always 8 bytes on the wire (RFC 3768 §5.3.10); zeros when authType is 0. */
  authData: Buffer;
  /** 4-byte IPv4 addresses, network order */
  addresses: Uint8Array[];
  /** Checksum as received; ignored by encode, which always recomputes it. */
  checksum?: number;
  /** decode: the auth_hmac trailer, when ctx.authTrailer and one is there */
  auth?: AdvertTrailer;
}

export interface VrrpAdvertV3 {
  version: 3;
  type: 1;
  vrid: number;
  priority: number;
  maxAdvertIntervalCs: number;
  /** 4- or 16-byte addresses (the packet's family), network order */
  addresses: Uint8Array[];
  /** The 4 reserved bits as received (RFC 5798 §5.2.6: sent as zero, ignored on receive). */
  reserved?: number;
  checksum?: number;
  /** decode: the auth_hmac trailer, when ctx.authTrailer and one is there */
  auth?: AdvertTrailer;
}

export type VrrpAdvert = VrrpAdvertV2 | VrrpAdvertV3;

/** An address to encode: bytes (as the runtime keeps them), or text (tests, tools). */
export type AddressInput = string | Uint8Array;
type WithAddressInput<T> = Omit<T, 'addresses'> & { addresses: readonly AddressInput[] };
/** What encode takes: an advert whose addresses may also be given as text. */
export type EncodableAdvert = WithAddressInput<VrrpAdvertV2> | WithAddressInput<VrrpAdvertV3>;

export interface AdvertContext {
  /** IP family of the packet carrying the advert. */
  family: IpFamily;
  /** IP source and destination, as text or bytes: the v3 checksum covers them. */
  srcAddress: string | Uint8Array;
  dstAddress: string | Uint8Array;
  /**
   * v3 over IPv4: include the IPv4 pseudo-header in the checksum (RFC 5798 §5.2.8; FRR's
   * default, keepalived 2.2.7 too). `false` checksums the VRRP message only, for old peers.
   */
  v3Ipv4PseudoHeader?: boolean;
  /**
   * decode: recognise a 28-byte auth_hmac trailer after the advert (keepalived 2.4.2+,
   * auth-hmac.ts). Without it such a packet is too long, as for keepalived without auth_hmac.
   */
  authTrailer?: boolean;
}

/** An auth_hmac trailer found by decode: views into the packet. */
export interface AdvertTrailer {
  /** the VRRP message without the trailer (what the HMAC covers) */
  pdu: Uint8Array;
  /** the 28 trailer bytes */
  trailer: Uint8Array;
}

/** Every reason the codec drops a received advert, in the shared vocabulary (drop-reason.ts). */
export const ADVERT_DROP_REASONS = CODEC_DROP_REASONS;
export type AdvertDropReason = CodecDropReason;

/** The one result shape of the receive path's parsers (net/ip-header.ts has the same). */
export type DecodeResult<T, R extends string = AdvertDropReason> = ParseResult<T, R>;

/** Thrown by encode when an advert cannot be represented on the wire (a caller bug). */
export class VrrpEncodeError extends Error {
  readonly code = 'VRRP_ENCODE';
  constructor(message: string) {
    super(message);
    this.name = 'VrrpEncodeError';
  }
}

function addressLength(family: IpFamily): number {
  return family === 4 ? 4 : 16;
}

/** Bytes the advert takes on the wire for the given IP family (the VRRP message only). */
export function encodingLength(advert: EncodableAdvert, family: IpFamily): number {
  const body = HEADER_LENGTH + advert.addresses.length * addressLength(family);
  return advert.version === 2 ? body + V2_AUTH_LENGTH : body;
}

function addressBytes(a: AddressInput, family: IpFamily): Uint8Array | null {
  if (typeof a !== 'string') return a.length === addressLength(family) ? a : null;
  const p = parseIp(a);
  return p && p.family === family ? p.bytes : null;
}

function checkField(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new VrrpEncodeError(`VRRP advert field ${name}=${value} does not fit on the wire (0..${max})`);
  }
}

/**
 * Writes the advert into `buf` at `offset` and returns the number of bytes written.
 * The checksum is always recomputed (a `checksum` field in the value is ignored).
 */
export function encodeAdvertInto(
  advert: EncodableAdvert,
  ctx: AdvertContext,
  buf: Buffer,
  offset = 0,
): number {
  const family = ctx.family;
  if (advert.version === 2 && family !== 4) {
    throw new VrrpEncodeError('VRRPv2 is defined for IPv4 only (RFC 3768); use version 3 for IPv6');
  }
  checkField('vrid', advert.vrid, 255);
  checkField('priority', advert.priority, 255);
  if (advert.addresses.length > 255) {
    throw new VrrpEncodeError(`a VRRP advert carries at most 255 addresses, not ${advert.addresses.length}`);
  }
  const len = encodingLength(advert, family);
  if (offset < 0 || offset + len > buf.length) {
    throw new VrrpEncodeError(`buffer too small: need ${len} bytes at offset ${offset}, have ${buf.length}`);
  }
  const out = buf.subarray(offset, offset + len);
  out[0] = (advert.version << 4) | VRRP_TYPE_ADVERTISEMENT;
  out[1] = advert.vrid;
  out[2] = advert.priority;
  out[3] = advert.addresses.length;
  if (advert.version === 2) {
    checkField('authType', advert.authType, 255);
    checkField('advertIntervalSec', advert.advertIntervalSec, 255);
    if (advert.authData.length !== V2_AUTH_LENGTH) {
      throw new VrrpEncodeError(`VRRPv2 authentication data is 8 bytes, not ${advert.authData.length}`);
    }
    out[4] = advert.authType;
    out[5] = advert.advertIntervalSec;
  } else {
    checkField('maxAdvertIntervalCs', advert.maxAdvertIntervalCs, V3_MAX_INTERVAL_CS);
    const reserved = advert.reserved ?? 0;
    checkField('reserved', reserved, 15);
    out.writeUInt16BE((reserved << 12) | advert.maxAdvertIntervalCs, 4);
  }
  out.writeUInt16BE(0, 6);
  const alen = addressLength(family);
  advert.addresses.forEach((a, i) => {
    const bytes = addressBytes(a, family);
    if (!bytes) {
      const shown = typeof a === 'string' ? a : `${a.length} bytes`;
      throw new VrrpEncodeError(`'${shown}' is not an IPv${family} address`);
    }
    out.set(bytes, HEADER_LENGTH + i * alen);
  });
  if (advert.version === 2) out.set(advert.authData, len - V2_AUTH_LENGTH);
  const pseudo = advert.version === 3 ? pseudoHeaderFor(ctx, len) : null;
  if (pseudo === undefined) {
    throw new VrrpEncodeError(`source/destination in the context are not IPv${family} addresses`);
  }
  const sum = pseudo ? internetChecksum(pseudo, out) : internetChecksum(out);
  out.writeUInt16BE(sum, 6);
  return len;
}

/**
 * Encodes an advert. Without `buf` a fresh buffer of exactly the advert's length is
 * returned; with `buf` the advert is written at `offset` and `buf` itself is returned.
 */
export function encodeAdvert(advert: EncodableAdvert, ctx: AdvertContext, buf?: Buffer, offset = 0): Buffer {
  if (buf) {
    encodeAdvertInto(advert, ctx, buf, offset);
    return buf;
  }
  const out = Buffer.alloc(encodingLength(advert, ctx.family));
  encodeAdvertInto(advert, ctx, out, 0);
  return out;
}

/**
 * The pseudo-header the v3 checksum covers, null when none applies (v3 over IPv4 with
 * the compatibility switch off), undefined when the context's addresses are unusable.
 */
function pseudoHeaderFor(ctx: AdvertContext, length: number): Buffer | null | undefined {
  if (ctx.family === 4 && ctx.v3Ipv4PseudoHeader === false) return null;
  const src = addressBytes(ctx.srcAddress, ctx.family);
  const dst = addressBytes(ctx.dstAddress, ctx.family);
  if (!src || !dst) return undefined;
  return ctx.family === 4
    ? ipv4PseudoHeader(src, dst, VRRP_PROTOCOL, length)
    : ipv6PseudoHeader(src, dst, VRRP_PROTOCOL, length);
}

/** pseudoHeaderFor's sum (checksum.ts pseudoHeaderSum), without building the header. */
function pseudoSumFor(ctx: AdvertContext, length: number): number | null | undefined {
  if (ctx.family === 4 && ctx.v3Ipv4PseudoHeader === false) return null;
  const src = addressBytes(ctx.srcAddress, ctx.family);
  const dst = addressBytes(ctx.dstAddress, ctx.family);
  if (!src || !dst) return undefined;
  return pseudoHeaderSum(src, dst, VRRP_PROTOCOL, length);
}

function fail(
  reason: AdvertDropReason,
  detail?: string,
): { ok: false; reason: AdvertDropReason; detail?: string } {
  return detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
}

/**
 * Decodes the VRRP message (the IP payload, not the IP header). Never throws. It drops
 * only what it cannot read as an advertisement (length, version, type, family, checksum);
 * the receive rules on what it reads (TTL, VRID, auth, interval...) are acceptAdvert's.
 */
export function decodeAdvert(buf: Uint8Array, ctx: AdvertContext): DecodeResult<VrrpAdvert> {
  if (buf.length < HEADER_LENGTH) return fail('length', `${buf.length} bytes, the header alone is 8`);
  const version = buf[0]! >> 4;
  const type = buf[0]! & 0x0f;
  if (version !== 2 && version !== 3) return fail('version', `version ${version} is neither 2 nor 3`);
  if (type !== VRRP_TYPE_ADVERTISEMENT)
    return fail('type', `packet type ${type}, only 1 (advertisement) exists`);
  const family = ctx.family;
  if (version === 2 && family !== 4) return fail('family', 'VRRPv2 over IPv6 does not exist (RFC 3768)');
  const count = buf[3]!;
  const alen = addressLength(family);
  const expected = HEADER_LENGTH + count * alen + (version === 2 ? V2_AUTH_LENGTH : 0);
  const trailed = ctx.authTrailer === true && buf.length === expected + AUTH_TRAILER_LENGTH;
  if (buf.length !== expected && !trailed) {
    return fail('length', `${buf.length} bytes for ${count} IPv${family} address(es), expected ${expected}`);
  }
  const received = (buf[6]! << 8) | buf[7]!;
  const whole = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  // auth_hmac: the IPv4 checksum covers the advert only, the IPv6 one the whole payload
  const bytes = trailed && family === 4 ? whole.subarray(0, expected) : whole;
  if (version === 3) {
    // the pseudo-header's sum, not the header itself (built only for a failure's detail)
    const pseudo = pseudoSumFor(ctx, bytes.length);
    if (pseudo === undefined) {
      return fail('family', `the packet's source/destination are not IPv${family} addresses`);
    }
    if (rangeSum(bytes, 0, bytes.length, pseudo ?? 0) !== 0xffff)
      return fail(
        'checksum',
        checksumDetail(bytes, pseudo === null ? null : pseudoHeaderFor(ctx, bytes.length)!, received),
      );
  } else if (rangeSum(bytes, 0, bytes.length) !== 0xffff) {
    return fail('checksum', checksumDetail(bytes, null, received));
  }
  const auth = trailed
    ? { auth: { pdu: whole.subarray(0, expected), trailer: whole.subarray(expected) } }
    : {};
  const addresses: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const at = HEADER_LENGTH + i * alen;
    addresses.push(bytes.subarray(at, at + alen));
  }
  const vrid = buf[1]!;
  const priority = buf[2]!;
  if (version === 2) {
    const authType = buf[4]!;
    const advertIntervalSec = buf[5]!;
    const authData = Buffer.from(bytes.subarray(expected - V2_AUTH_LENGTH, expected));
    return {
      ok: true,
      value: {
        version: 2,
        type: 1,
        vrid,
        priority,
        advertIntervalSec,
        authType,
        authData,
        addresses,
        checksum: received,
        ...auth,
      },
    };
  }
  const word = (buf[4]! << 8) | buf[5]!;
  const maxAdvertIntervalCs = word & V3_MAX_INTERVAL_CS;
  return {
    ok: true,
    value: {
      version: 3,
      type: 1,
      vrid,
      priority,
      maxAdvertIntervalCs,
      addresses,
      reserved: word >> 12,
      checksum: received,
      ...auth,
    },
  };
}

function checksumDetail(bytes: Buffer, pseudo: Buffer | null, received: number): string {
  const copy = Buffer.from(bytes);
  copy.writeUInt16BE(0, 6);
  const want = pseudo ? internetChecksum(pseudo, copy) : internetChecksum(copy);
  const hex = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
  return `checksum ${hex(received)}, computed ${hex(want)}${pseudo ? ' (with pseudo-header)' : ' (VRRP message only)'}`;
}

/** The dns-packet style trio. */
export const advertCodec = { encode: encodeAdvert, decode: decodeAdvert, encodingLength } as const;

/** The 8 auth-data bytes for a simple-text password: truncated to 8 bytes, zero padded (RFC 3768 §5.3.10). */
export function simpleAuthData(password: string): Buffer {
  const out = Buffer.alloc(V2_AUTH_LENGTH);
  Buffer.from(password, 'utf8').copy(out, 0, 0, V2_AUTH_LENGTH);
  return out;
}
