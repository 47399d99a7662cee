// rtnetlink routes (RTM_NEWROUTE / RTM_DELROUTE / RTM_GETROUTE) for the host routes of
// announced addresses: struct rtmsg (linux/rtnetlink.h) and the few attributes vrrpd
// uses, with the kernel's names. Pure builders and parsers; src/effects/ sends them.
import { type IpFamily as Family, parseIp } from '../net/addr.js';
import { type AttrSchema, decodeAttrs, encodeAttrs } from './attrs.js';
import { readU32 } from './message.js';
import { AF_INET, AF_INET6 } from './rtnetlink.js';

export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;

/** rtm_type: a normal route */
export const RTN_UNICAST = 1;
/** rtm_scope */
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
/** Tables the kernel reserves (local 255, main 254, default 253) and 0 (unspec). */
export const RESERVED_TABLES: readonly number[] = [0, 253, 254, 255];

export const RTA = {
  RTA_DST: { type: 1, kind: 'ip' },
  RTA_OIF: { type: 4, kind: 'u32' },
  RTA_PRIORITY: { type: 6, kind: 'u32' },
  RTA_TABLE: { type: 15, kind: 'u32' },
} as const satisfies AttrSchema;

const RTMSG_LEN = 12;

export interface RouteMsg {
  family: number;
  dstLen: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
}

function encodeRtMsg(m: RouteMsg): Buffer {
  const b = Buffer.alloc(RTMSG_LEN);
  b.writeUInt8(m.family, 0);
  b.writeUInt8(m.dstLen, 1);
  b.writeUInt8(0, 2); // rtm_src_len
  b.writeUInt8(0, 3); // rtm_tos
  b.writeUInt8(m.table < 256 ? m.table : 252, 4); // RT_TABLE_COMPAT when the id needs RTA_TABLE
  b.writeUInt8(m.protocol, 5);
  b.writeUInt8(m.scope, 6);
  b.writeUInt8(m.type, 7);
  // rtm_flags (bytes 8-11) stay 0
  return b;
}

/** One host route of an announced address, as the kernel reports it. */
export interface HostRoute {
  family: Family;
  address: string;
  table: number;
  protocol: number;
  oif: number | null;
}

/**
 * Payload of RTM_NEWROUTE / RTM_DELROUTE for a host route (/32 or /128) to `address`
 * through interface `oif` in `table`, marked with `protocol` (rtm_protocol) so that
 * vrrpd's routes are told apart from anyone else's in the same table.
 */
export function hostRouteRequest(address: string, table: number, protocol: number, oif: number): Buffer {
  const ip = parseIp(address);
  if (!ip) throw new TypeError(`'${address}' is not an IP address`);
  if (!Number.isInteger(table) || table < 1 || table > 0xffffffff || RESERVED_TABLES.includes(table))
    throw new RangeError(`routing table ${table} is reserved or out of range`);
  if (!Number.isInteger(protocol) || protocol < 5 || protocol > 255)
    throw new RangeError(`route protocol ${protocol} is out of range 5-255`);
  return Buffer.concat([
    encodeRtMsg({
      family: ip.family === 4 ? AF_INET : AF_INET6,
      dstLen: ip.family === 4 ? 32 : 128,
      table,
      protocol,
      // what `ip route add ADDR dev IF` uses: link scope for IPv4, universe for IPv6
      scope: ip.family === 4 ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE,
      type: RTN_UNICAST,
    }),
    encodeAttrs(RTA, { RTA_DST: address, RTA_OIF: oif, RTA_TABLE: table }),
  ]);
}

/** RTM_GETROUTE dump of one family (every table; the caller filters). */
export function routeDumpRequest(family: Family): Buffer {
  return encodeRtMsg({
    family: family === 4 ? AF_INET : AF_INET6,
    dstLen: 0,
    table: 0,
    protocol: 0,
    scope: 0,
    type: 0,
  });
}

/** Parses an RTM_NEWROUTE payload that is a host route; null for anything else or malformed. */
export function parseHostRoute(payload: Buffer): HostRoute | null {
  if (payload.length < RTMSG_LEN) return null;
  const af = payload.readUInt8(0);
  const family: Family | null = af === AF_INET ? 4 : af === AF_INET6 ? 6 : null;
  if (!family) return null;
  const dstLen = payload.readUInt8(1);
  if (dstLen !== (family === 4 ? 32 : 128)) return null;
  const attrs = decodeAttrs(RTA, payload.subarray(RTMSG_LEN));
  const address = attrs.RTA_DST;
  if (typeof address !== 'string') return null;
  const table = typeof attrs.RTA_TABLE === 'number' ? attrs.RTA_TABLE : payload.readUInt8(4);
  return {
    family,
    address,
    table,
    protocol: payload.readUInt8(5),
    oif: typeof attrs.RTA_OIF === 'number' ? attrs.RTA_OIF : null,
  };
}

/** For tests: the rtm_table byte and flags word of a payload. */
export function rtmsgFields(payload: Buffer): { table: number; flags: number } {
  return { table: payload.readUInt8(4), flags: readU32(payload, 8) };
}

// ---- Routes of VRRP instances (virtual_routes): any prefix, type, gateway, source, metric ----

/** rtm_type values a virtual route may have (linux/rtnetlink.h) */
export const RTN_TYPES = { unicast: 1, blackhole: 6, unreachable: 7, prohibit: 8, throw: 9 } as const;
export type RouteTypeName = keyof typeof RTN_TYPES;
/** rtm_flags: the gateway is on the link even if no prefix says so */
export const RTNH_F_ONLINK = 4;
/** rtm_scope of a delete: matches a route of any scope */
export const RT_SCOPE_NOWHERE = 255;

export const RTA_FULL = {
  RTA_DST: { type: 1, kind: 'ip' },
  RTA_OIF: { type: 4, kind: 'u32' },
  RTA_GATEWAY: { type: 5, kind: 'ip' },
  RTA_PRIORITY: { type: 6, kind: 'u32' },
  RTA_PREFSRC: { type: 7, kind: 'ip' },
  RTA_TABLE: { type: 15, kind: 'u32' },
} as const satisfies AttrSchema;

/** A route as vrrpd asks the kernel for it: addresses in text, the device already an index. */
export interface RouteSpec {
  family: Family;
  /** network address of the destination prefix */
  dst: string;
  dstLen: number;
  type: RouteTypeName;
  table: number;
  protocol: number;
  /** rtm_scope (RT_SCOPES) */
  scope: number;
  metric?: number;
  via?: string;
  oif?: number;
  src?: string;
  onlink?: boolean;
}

/**
 * Payload of RTM_NEWROUTE (or, with `forDelete`, RTM_DELROUTE: scope nowhere, so that
 * the kernel matches the route whatever scope it was given) for a route of any type.
 */
export function routeRequest(r: RouteSpec, forDelete = false): Buffer {
  const max = r.family === 4 ? 32 : 128;
  if (!Number.isInteger(r.dstLen) || r.dstLen < 0 || r.dstLen > max)
    throw new RangeError(`prefix length ${r.dstLen} is out of range 0-${max}`);
  if (!Number.isInteger(r.table) || r.table < 1 || r.table > 0xffffffff)
    throw new RangeError(`routing table ${r.table} is out of range`);
  for (const [what, a] of [
    ['destination', r.dst],
    ['gateway', r.via],
    ['source', r.src],
  ] as const) {
    if (a === undefined) continue;
    const ip = parseIp(a);
    if (!ip || ip.family !== r.family) throw new TypeError(`${what} '${a}' is not an IPv${r.family} address`);
  }
  const head = encodeRtMsg({
    family: r.family === 4 ? AF_INET : AF_INET6,
    dstLen: r.dstLen,
    table: r.table,
    protocol: r.protocol,
    scope: forDelete ? RT_SCOPE_NOWHERE : r.scope,
    type: RTN_TYPES[r.type],
  });
  if (r.onlink) head.writeUInt32LE(RTNH_F_ONLINK, 8);
  return Buffer.concat([
    head,
    encodeAttrs(RTA_FULL, {
      ...(r.dstLen > 0 ? { RTA_DST: r.dst } : {}),
      ...(r.oif !== undefined ? { RTA_OIF: r.oif } : {}),
      ...(r.via !== undefined ? { RTA_GATEWAY: r.via } : {}),
      ...(r.metric !== undefined ? { RTA_PRIORITY: r.metric } : {}),
      ...(r.src !== undefined ? { RTA_PREFSRC: r.src } : {}),
      RTA_TABLE: r.table,
    }),
  ]);
}

/** Parses any RTM_NEWROUTE payload of IPv4/IPv6 into a RouteSpec; null when malformed. */
export function parseRoute(payload: Buffer): RouteSpec | null {
  if (payload.length < RTMSG_LEN) return null;
  const af = payload.readUInt8(0);
  const family: Family | null = af === AF_INET ? 4 : af === AF_INET6 ? 6 : null;
  if (!family) return null;
  const typeNo = payload.readUInt8(7);
  const type = (Object.keys(RTN_TYPES) as RouteTypeName[]).find((k) => RTN_TYPES[k] === typeNo);
  if (!type) return null;
  const a = decodeAttrs(RTA_FULL, payload.subarray(RTMSG_LEN));
  const dstLen = payload.readUInt8(1);
  const out: RouteSpec = {
    family,
    dst: typeof a.RTA_DST === 'string' ? a.RTA_DST : family === 4 ? '0.0.0.0' : '::',
    dstLen,
    type,
    table: typeof a.RTA_TABLE === 'number' ? a.RTA_TABLE : payload.readUInt8(4),
    protocol: payload.readUInt8(5),
    scope: payload.readUInt8(6),
  };
  if (typeof a.RTA_PRIORITY === 'number') out.metric = a.RTA_PRIORITY;
  if (typeof a.RTA_GATEWAY === 'string') out.via = a.RTA_GATEWAY;
  if (typeof a.RTA_OIF === 'number') out.oif = a.RTA_OIF;
  if (typeof a.RTA_PREFSRC === 'string') out.src = a.RTA_PREFSRC;
  if ((readU32(payload, 8) & RTNH_F_ONLINK) !== 0) out.onlink = true;
  return out;
}

/** rtnetlink multicast groups of route changes (enum rtnetlink_groups) */
export const RTNLGRP_IPV4_ROUTE = 7;
export const RTNLGRP_IPV6_ROUTE = 11;
