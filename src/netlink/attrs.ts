// Netlink attributes (struct nlattr, linux/netlink.h) declared as schemas that keep
// the kernel's names, e.g.
//   const IFA = { IFA_LOCAL: { type: 2, kind: 'ip' }, IFA_FLAGS: { type: 8, kind: 'u32' } } as const;
//   encodeAttrs(IFA, { IFA_LOCAL: '192.0.2.1' }); decodeAttrs(IFA, buf).IFA_FLAGS
// Pure. Decoding never throws: attributes that do not fit their declared kind, or are not
// in the schema, are collected under UNKNOWN_ATTRS instead.
import { formatIp, parseIp } from '../net/addr.js';
import {
  align4,
  readS32,
  readU16,
  readU32,
  readU64,
  writeS32,
  writeU16,
  writeU32,
  writeU64,
} from './message.js';

export const NLA_HDRLEN = 4;
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/**
 * u8..u64, s32: host byte order (u64 as bigint). be16/be32: network byte order.
 * string: NUL-terminated. ip: 4 or 16 bytes as text. mac: 6 bytes "aa:bb:..".
 * binary: raw bytes. flag: no payload, present = true. nested: a sub-schema.
 */
export type AttrKind =
  | 'u8'
  | 'u16'
  | 'u32'
  | 'u64'
  | 's32'
  | 'be16'
  | 'be32'
  | 'string'
  | 'binary'
  | 'ip'
  | 'mac'
  | 'flag'
  | 'nested';

export interface AttrSpec {
  readonly type: number;
  readonly kind: AttrKind;
  readonly schema?: AttrSchema;
}

export type AttrSchema = { readonly [name: string]: AttrSpec };

type KindValue<S extends AttrSpec> = S['kind'] extends 'u8' | 'u16' | 'u32' | 's32' | 'be16' | 'be32'
  ? number
  : S['kind'] extends 'u64'
    ? bigint
    : S['kind'] extends 'string' | 'ip' | 'mac'
      ? string
      : S['kind'] extends 'binary'
        ? Buffer
        : S['kind'] extends 'flag'
          ? boolean
          : S['kind'] extends 'nested'
            ? S['schema'] extends AttrSchema
              ? AttrValues<S['schema']>
              : never
            : never;

/** Where decodeAttrs keeps attributes it could not place; encodeAttrs re-emits them. */
export const UNKNOWN_ATTRS = '_unknown';

export interface RawAttr {
  /** the type with NLA_F_* bits included, as received */
  type: number;
  data: Buffer;
}

/** Values for a schema: every attribute optional, keyed by its kernel name. */
export type AttrValues<S extends AttrSchema> = { -readonly [N in keyof S]?: KindValue<S[N]> } & {
  _unknown?: RawAttr[];
};

function nlaHeader(type: number, dataLen: number): Buffer {
  const h = Buffer.alloc(NLA_HDRLEN);
  writeU16(h, NLA_HDRLEN + dataLen, 0);
  writeU16(h, type, 2);
  return h;
}

/** One attribute: header + data + padding to 4 bytes. */
export function encodeAttr(type: number, data: Buffer): Buffer {
  const total = NLA_HDRLEN + data.length;
  if (total > 0xffff) throw new RangeError(`netlink attribute ${type} of ${data.length} bytes is too long`);
  const pad = align4(total) - total;
  return Buffer.concat([nlaHeader(type, data.length), data, Buffer.alloc(pad)]);
}

function intBuf(bytes: number, write: (b: Buffer) => void): Buffer {
  const b = Buffer.alloc(bytes);
  write(b);
  return b;
}

function encodeValue(name: string, spec: AttrSpec, v: unknown): Buffer {
  const bad = (want: string): never => {
    throw new TypeError(`netlink attribute ${name}: expected ${want}, got ${typeof v}`);
  };
  switch (spec.kind) {
    case 'u8':
      if (typeof v !== 'number') bad('a number');
      return intBuf(1, (b) => b.writeUInt8(v as number, 0));
    case 'u16':
      if (typeof v !== 'number') bad('a number');
      return intBuf(2, (b) => writeU16(b, v as number, 0));
    case 'u32':
      if (typeof v !== 'number') bad('a number');
      return intBuf(4, (b) => writeU32(b, v as number, 0));
    case 's32':
      if (typeof v !== 'number') bad('a number');
      return intBuf(4, (b) => writeS32(b, v as number, 0));
    case 'u64':
      if (typeof v !== 'bigint' && typeof v !== 'number') bad('a bigint');
      return intBuf(8, (b) => writeU64(b, BigInt(v as bigint), 0));
    case 'be16':
      if (typeof v !== 'number') bad('a number');
      return intBuf(2, (b) => b.writeUInt16BE(v as number, 0));
    case 'be32':
      if (typeof v !== 'number') bad('a number');
      return intBuf(4, (b) => b.writeUInt32BE((v as number) >>> 0, 0));
    case 'string':
      if (typeof v !== 'string') bad('a string');
      return Buffer.concat([Buffer.from(v as string, 'utf8'), Buffer.alloc(1)]);
    case 'binary':
      if (!Buffer.isBuffer(v) && !(v instanceof Uint8Array)) bad('a Buffer');
      return Buffer.from(v as Uint8Array);
    case 'ip': {
      const p = typeof v === 'string' ? parseIp(v) : null;
      if (!p) throw new TypeError(`netlink attribute ${name}: '${String(v)}' is not an IP address`);
      return p.bytes;
    }
    case 'mac': {
      const s = typeof v === 'string' ? v : '';
      if (!/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/.test(s)) {
        throw new TypeError(`netlink attribute ${name}: '${String(v)}' is not a MAC address`);
      }
      return Buffer.from(s.split(/[:-]/).map((h) => Number.parseInt(h, 16)));
    }
    case 'flag':
      return Buffer.alloc(0);
    case 'nested':
      if (typeof v !== 'object' || v === null) bad('an object');
      return encodeAttrs(spec.schema ?? {}, v as object);
  }
}

/**
 * Encodes the attributes present in values, in schema declaration order (then any
 * UNKNOWN_ATTRS entries). A flag is emitted only when true. Throws TypeError on a value
 * that does not fit its kind: that is a programming error, not input from the kernel.
 */
export function encodeAttrs<S extends AttrSchema>(schema: S, values: AttrValues<S> | object): Buffer {
  const vals = values as Record<string, unknown>;
  const parts: Buffer[] = [];
  for (const [name, spec] of Object.entries(schema)) {
    const v = vals[name];
    if (v === undefined || v === null) continue;
    if (spec.kind === 'flag' && v !== true) continue;
    const type = spec.kind === 'nested' ? spec.type | NLA_F_NESTED : spec.type;
    parts.push(encodeAttr(type, encodeValue(name, spec, v)));
  }
  const unknown = vals[UNKNOWN_ATTRS];
  if (Array.isArray(unknown)) for (const u of unknown as RawAttr[]) parts.push(encodeAttr(u.type, u.data));
  return Buffer.concat(parts);
}

const MAC_LEN = 6;

/** Returns undefined when the data does not fit the kind (the attribute then goes to UNKNOWN_ATTRS). */
function decodeValue(spec: AttrSpec, rawType: number, d: Buffer): unknown {
  const netOrder = (rawType & NLA_F_NET_BYTEORDER) !== 0;
  switch (spec.kind) {
    case 'u8':
      return d.length >= 1 ? d.readUInt8(0) : undefined;
    case 'u16':
      if (d.length < 2) return undefined;
      return netOrder ? d.readUInt16BE(0) : readU16(d, 0);
    case 'u32':
      if (d.length < 4) return undefined;
      return netOrder ? d.readUInt32BE(0) : readU32(d, 0);
    case 's32':
      if (d.length < 4) return undefined;
      return netOrder ? d.readInt32BE(0) : readS32(d, 0);
    case 'u64':
      if (d.length < 8) return undefined;
      return netOrder ? d.readBigUInt64BE(0) : readU64(d, 0);
    case 'be16':
      return d.length >= 2 ? d.readUInt16BE(0) : undefined;
    case 'be32':
      return d.length >= 4 ? d.readUInt32BE(0) : undefined;
    case 'string': {
      const nul = d.indexOf(0);
      return (nul >= 0 ? d.subarray(0, nul) : d).toString('utf8');
    }
    case 'binary':
      return Buffer.from(d);
    case 'ip':
      return d.length === 4 || d.length === 16 ? formatIp(d) : undefined;
    case 'mac':
      // links without a 6-byte hardware address (e.g. tunnels) fall back to hex of what is there
      if (d.length === 0) return undefined;
      return [...d.subarray(0, d.length === MAC_LEN ? MAC_LEN : d.length)]
        .map((x) => x.toString(16).padStart(2, '0'))
        .join(':');
    case 'flag':
      return true;
    case 'nested':
      return decodeAttrs(spec.schema ?? {}, d);
  }
}

/** Index of a schema by attribute type, cached per schema object. */
const byTypeCache = new WeakMap<AttrSchema, Map<number, [string, AttrSpec]>>();
function byType(schema: AttrSchema): Map<number, [string, AttrSpec]> {
  let m = byTypeCache.get(schema);
  if (!m) {
    m = new Map();
    for (const [name, spec] of Object.entries(schema)) m.set(spec.type, [name, spec]);
    byTypeCache.set(schema, m);
  }
  return m;
}

/** Walks a run of attributes; stops quietly at a truncated or malformed one. */
export function* iterateAttrs(buf: Buffer): Generator<RawAttr> {
  let off = 0;
  while (off + NLA_HDRLEN <= buf.length) {
    const len = readU16(buf, off);
    if (len < NLA_HDRLEN || off + len > buf.length) return;
    yield { type: readU16(buf, off + 2), data: buf.subarray(off + NLA_HDRLEN, off + len) };
    off += align4(len);
  }
}

/**
 * Decodes a run of attributes by schema. Never throws. A repeated attribute keeps the
 * last value. Attributes not in the schema, or whose size does not fit the declared kind,
 * are kept under UNKNOWN_ATTRS (raw) so nothing the kernel said is silently lost.
 */
export function decodeAttrs<S extends AttrSchema>(schema: S, buf: Buffer): AttrValues<S> {
  const out: Record<string, unknown> = {};
  const index = byType(schema);
  for (const a of iterateAttrs(buf)) {
    const hit = index.get(a.type & NLA_TYPE_MASK);
    const v = hit ? decodeValue(hit[1], a.type, a.data) : undefined;
    if (hit && v !== undefined) {
      out[hit[0]] = v;
    } else {
      const list = (out[UNKNOWN_ATTRS] as RawAttr[] | undefined) ?? [];
      list.push({ type: a.type, data: Buffer.from(a.data) });
      out[UNKNOWN_ATTRS] = list;
    }
  }
  return out as AttrValues<S>;
}
