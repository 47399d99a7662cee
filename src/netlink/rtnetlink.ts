// rtnetlink (NETLINK_ROUTE) for addresses and links: constants and attribute schemas
// with the kernel's names (linux/rtnetlink.h, if_addr.h, if_link.h, if.h), the fixed
// headers (struct ifaddrmsg, struct ifinfomsg) and pure builders/parsers.
// No sockets here: src/effects/ sends what these build.
import { type IpFamily as Family, parseIp } from '../net/addr.js';
import { type AttrSchema, type AttrValues, decodeAttrs, encodeAttrs } from './attrs.js';
import { readU16, readU32, writeU16, writeU32 } from './message.js';

/** One address on an interface, as rtnetlink knows it. */
export interface InterfaceAddress {
  ifindex: number;
  family: Family;
  address: string;
  prefixLength: number;
  label?: string;
}

export interface LinkInfo {
  ifindex: number;
  name: string;
  up: boolean; // IFF_UP
  running: boolean; // IFF_RUNNING (carrier)
  mac: string; // "aa:bb:cc:dd:ee:ff"
  mtu: number;
}

// message types (linux/rtnetlink.h)
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;

// multicast groups (enum rtnetlink_groups); joined by number, not by the legacy bitmask
export const RTNLGRP_LINK = 1;
export const RTNLGRP_IPV4_IFADDR = 5;
export const RTNLGRP_IPV6_IFADDR = 9;

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_BRIDGE = 7;
export const AF_INET6 = 10;

// ifa_flags / IFA_FLAGS (linux/if_addr.h)
export const IFA_F_SECONDARY = 0x01;
export const IFA_F_NODAD = 0x02;
export const IFA_F_OPTIMISTIC = 0x04;
export const IFA_F_DADFAILED = 0x08;
export const IFA_F_DEPRECATED = 0x20;
export const IFA_F_TENTATIVE = 0x40;
export const IFA_F_PERMANENT = 0x80;
export const IFA_F_NOPREFIXROUTE = 0x200;

// net_device_flags (linux/if.h)
export const IFF_UP = 1 << 0;
export const IFF_BROADCAST = 1 << 1;
export const IFF_LOOPBACK = 1 << 3;
export const IFF_RUNNING = 1 << 6;
export const IFF_NOARP = 1 << 7;
export const IFF_MULTICAST = 1 << 12;
export const IFF_LOWER_UP = 1 << 16;

// IFLA_OPERSTATE values, RFC 2863 ifOperStatus (linux/if_link.h)
export const IF_OPER = [
  'unknown',
  'notpresent',
  'down',
  'lowerlayerdown',
  'testing',
  'dormant',
  'up',
] as const;
export type OperState = (typeof IF_OPER)[number];

// enum macvlan_mode (linux/if_link.h)
export const MACVLAN_MODE_PRIVATE = 1;
export const MACVLAN_MODE_VEPA = 2;
export const MACVLAN_MODE_BRIDGE = 4;
export const MACVLAN_MODE_PASSTHRU = 8;

export const IFA = {
  IFA_ADDRESS: { type: 1, kind: 'ip' },
  IFA_LOCAL: { type: 2, kind: 'ip' },
  IFA_LABEL: { type: 3, kind: 'string' },
  IFA_BROADCAST: { type: 4, kind: 'ip' },
  IFA_ANYCAST: { type: 5, kind: 'ip' },
  IFA_CACHEINFO: { type: 6, kind: 'binary' },
  IFA_MULTICAST: { type: 7, kind: 'ip' },
  IFA_FLAGS: { type: 8, kind: 'u32' },
  IFA_RT_PRIORITY: { type: 9, kind: 'u32' },
  IFA_TARGET_NETNSID: { type: 10, kind: 's32' },
  IFA_PROTO: { type: 11, kind: 'u8' },
} as const satisfies AttrSchema;

export const IFLA_MACVLAN = {
  IFLA_MACVLAN_MODE: { type: 1, kind: 'u32' },
  IFLA_MACVLAN_FLAGS: { type: 2, kind: 'u16' },
} as const satisfies AttrSchema;

/** IFLA_INFO_DATA is kind-specific; decoded raw, encoded with the kind's schema by the caller. */
export const IFLA_INFO = {
  IFLA_INFO_KIND: { type: 1, kind: 'string' },
  IFLA_INFO_DATA: { type: 2, kind: 'binary' },
  IFLA_INFO_SLAVE_KIND: { type: 4, kind: 'string' },
} as const satisfies AttrSchema;

export const IFLA = {
  IFLA_ADDRESS: { type: 1, kind: 'mac' },
  IFLA_BROADCAST: { type: 2, kind: 'mac' },
  IFLA_IFNAME: { type: 3, kind: 'string' },
  IFLA_MTU: { type: 4, kind: 'u32' },
  IFLA_LINK: { type: 5, kind: 'u32' },
  IFLA_MASTER: { type: 10, kind: 'u32' },
  IFLA_TXQLEN: { type: 13, kind: 'u32' },
  IFLA_OPERSTATE: { type: 16, kind: 'u8' },
  IFLA_LINKMODE: { type: 17, kind: 'u8' },
  IFLA_LINKINFO: { type: 18, kind: 'nested', schema: IFLA_INFO },
  IFLA_IFALIAS: { type: 20, kind: 'string' },
  IFLA_GROUP: { type: 27, kind: 'u32' },
  IFLA_EXT_MASK: { type: 29, kind: 'u32' },
  IFLA_CARRIER: { type: 33, kind: 'u8' },
} as const satisfies AttrSchema;

export const IFADDRMSG_LEN = 8;
export const IFINFOMSG_LEN = 16;

/** struct ifaddrmsg */
export interface IfAddrMsg {
  ifa_family: number;
  ifa_prefixlen: number;
  ifa_flags: number;
  ifa_scope: number;
  ifa_index: number;
}

/** struct ifinfomsg */
export interface IfInfoMsg {
  ifi_family: number;
  ifi_type: number;
  ifi_index: number;
  ifi_flags: number;
  ifi_change: number;
}

export function encodeIfAddrMsg(h: IfAddrMsg): Buffer {
  const b = Buffer.alloc(IFADDRMSG_LEN);
  b.writeUInt8(h.ifa_family, 0);
  b.writeUInt8(h.ifa_prefixlen, 1);
  b.writeUInt8(h.ifa_flags & 0xff, 2);
  b.writeUInt8(h.ifa_scope, 3);
  writeU32(b, h.ifa_index, 4);
  return b;
}

export function decodeIfAddrMsg(p: Buffer): IfAddrMsg | null {
  if (p.length < IFADDRMSG_LEN) return null;
  return {
    ifa_family: p.readUInt8(0),
    ifa_prefixlen: p.readUInt8(1),
    ifa_flags: p.readUInt8(2),
    ifa_scope: p.readUInt8(3),
    ifa_index: readU32(p, 4),
  };
}

export function encodeIfInfoMsg(h: IfInfoMsg): Buffer {
  const b = Buffer.alloc(IFINFOMSG_LEN);
  b.writeUInt8(h.ifi_family, 0);
  writeU16(b, h.ifi_type, 2);
  writeU32(b, h.ifi_index, 4);
  writeU32(b, h.ifi_flags, 8);
  writeU32(b, h.ifi_change, 12);
  return b;
}

export function decodeIfInfoMsg(p: Buffer): IfInfoMsg | null {
  if (p.length < IFINFOMSG_LEN) return null;
  return {
    ifi_family: p.readUInt8(0),
    ifi_type: readU16(p, 2),
    ifi_index: readU32(p, 4),
    ifi_flags: readU32(p, 8),
    ifi_change: readU32(p, 12),
  };
}

export function familyToAf(f: Family): number {
  return f === 4 ? AF_INET : AF_INET6;
}

// ---- addresses ----

/** Payload of RTM_NEWADDR/RTM_DELADDR for one address. Throws on text that is not an IP. */
export function addressRequest(
  ifindex: number,
  address: string,
  prefixLength: number,
  opts: { nodad?: boolean; label?: string; broadcast?: string; scope?: number } = {},
): Buffer {
  const ip = parseIp(address);
  if (!ip) throw new TypeError(`'${address}' is not an IP address`);
  const max = ip.family === 4 ? 32 : 128;
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > max) {
    throw new RangeError(`prefix length ${prefixLength} is out of range 0-${max} for ${address}`);
  }
  // IPv6 VIPs skip duplicate address detection: otherwise they stay tentative (unusable) ~1 s
  const flags = ip.family === 6 && opts.nodad ? IFA_F_NODAD : 0;
  const attrs: AttrValues<typeof IFA> = { IFA_LOCAL: address, IFA_ADDRESS: address };
  if (flags) attrs.IFA_FLAGS = flags;
  if (ip.family === 4 && opts.label) attrs.IFA_LABEL = opts.label;
  if (ip.family === 4 && opts.broadcast) attrs.IFA_BROADCAST = opts.broadcast;
  return Buffer.concat([
    encodeIfAddrMsg({
      ifa_family: familyToAf(ip.family),
      ifa_prefixlen: prefixLength,
      ifa_flags: flags,
      ifa_scope: opts.scope ?? 0,
      ifa_index: ifindex,
    }),
    encodeAttrs(IFA, attrs),
  ]);
}

/** RTM_GETADDR dump request for one family or all (AF_UNSPEC). */
export function addressDumpRequest(family?: Family): Buffer {
  return encodeIfAddrMsg({
    ifa_family: family ? familyToAf(family) : AF_UNSPEC,
    ifa_prefixlen: 0,
    ifa_flags: 0,
    ifa_scope: 0,
    ifa_index: 0,
  });
}

/** Parses an RTM_NEWADDR/RTM_DELADDR payload; null for families other than IPv4/IPv6 or malformed ones. */
export function parseAddress(payload: Buffer): (InterfaceAddress & { flags: number; scope: number }) | null {
  const h = decodeIfAddrMsg(payload);
  if (!h) return null;
  const family: Family | null = h.ifa_family === AF_INET ? 4 : h.ifa_family === AF_INET6 ? 6 : null;
  if (!family) return null;
  const a = decodeAttrs(IFA, payload.subarray(IFADDRMSG_LEN));
  // IFA_LOCAL is our address; IFA_ADDRESS is the peer on point-to-point links (if_addr.h)
  const address = a.IFA_LOCAL ?? a.IFA_ADDRESS;
  if (!address) return null;
  const out: InterfaceAddress & { flags: number; scope: number } = {
    ifindex: h.ifa_index,
    family,
    address,
    prefixLength: h.ifa_prefixlen,
    flags: a.IFA_FLAGS ?? h.ifa_flags,
    scope: h.ifa_scope,
  };
  if (a.IFA_LABEL !== undefined) out.label = a.IFA_LABEL;
  return out;
}

// ---- links ----

export interface ParsedLink extends LinkInfo {
  flags: number;
  operstate: OperState;
  /** IFLA_LINKINFO/IFLA_INFO_KIND: 'veth', 'macvlan', 'bridge'... */
  kind?: string;
  /** IFLA_LINK: the parent of a macvlan/vlan */
  parentIfindex?: number;
}

/**
 * Parses an RTM_NEWLINK/RTM_DELLINK payload. Returns null for AF_BRIDGE messages (the
 * kernel sends those when a port joins or leaves a bridge; the link itself is unchanged)
 * and for malformed payloads.
 */
export function parseLink(payload: Buffer): ParsedLink | null {
  const h = decodeIfInfoMsg(payload);
  if (!h || h.ifi_family !== AF_UNSPEC) return null;
  const a = decodeAttrs(IFLA, payload.subarray(IFINFOMSG_LEN));
  const out: ParsedLink = {
    ifindex: h.ifi_index,
    name: a.IFLA_IFNAME ?? '',
    up: (h.ifi_flags & IFF_UP) !== 0,
    running: (h.ifi_flags & IFF_RUNNING) !== 0,
    mac: a.IFLA_ADDRESS ?? '',
    mtu: a.IFLA_MTU ?? 0,
    flags: h.ifi_flags,
    operstate: IF_OPER[a.IFLA_OPERSTATE ?? 0] ?? 'unknown',
  };
  if (a.IFLA_LINKINFO?.IFLA_INFO_KIND) out.kind = a.IFLA_LINKINFO.IFLA_INFO_KIND;
  if (a.IFLA_LINK !== undefined && a.IFLA_LINK !== h.ifi_index) out.parentIfindex = a.IFLA_LINK;
  return out;
}

/** RTM_GETLINK dump request (all links). */
export function linkDumpRequest(): Buffer {
  return encodeIfInfoMsg({ ifi_family: AF_UNSPEC, ifi_type: 0, ifi_index: 0, ifi_flags: 0, ifi_change: 0 });
}

/** RTM_GETLINK / RTM_DELLINK for one link by name (the kernel looks IFLA_IFNAME up). */
export function linkByNameRequest(name: string): Buffer {
  return Buffer.concat([linkDumpRequest(), encodeAttrs(IFLA, { IFLA_IFNAME: name })]);
}

/** RTM_NEWLINK changing only IFF_UP on an existing link. */
export function linkSetUpRequest(ifindex: number, up: boolean): Buffer {
  return encodeIfInfoMsg({
    ifi_family: AF_UNSPEC,
    ifi_type: 0,
    ifi_index: ifindex,
    ifi_flags: up ? IFF_UP : 0,
    ifi_change: IFF_UP,
  });
}

/**
 * RTM_NEWLINK (with NLM_F_CREATE|NLM_F_EXCL) creating a macvlan on parentIfindex with a
 * fixed MAC, brought up at creation. Mode private keeps macvlans on the same parent from
 * talking to each other; bridge lets them.
 */
export function macvlanCreateRequest(
  parentIfindex: number,
  name: string,
  mac: string,
  mode: 'private' | 'bridge' = 'private',
  up = true,
): Buffer {
  if (name.length === 0 || name.length > 15) {
    throw new RangeError(`interface name '${name}' must be 1-15 characters (IFNAMSIZ)`);
  }
  const data = encodeAttrs(IFLA_MACVLAN, {
    IFLA_MACVLAN_MODE: mode === 'bridge' ? MACVLAN_MODE_BRIDGE : MACVLAN_MODE_PRIVATE,
  });
  return Buffer.concat([
    encodeIfInfoMsg({
      ifi_family: AF_UNSPEC,
      ifi_type: 0,
      ifi_index: 0,
      ifi_flags: up ? IFF_UP : 0,
      ifi_change: up ? IFF_UP : 0,
    }),
    encodeAttrs(IFLA, {
      IFLA_ADDRESS: mac,
      IFLA_IFNAME: name,
      IFLA_LINK: parentIfindex,
      IFLA_LINKINFO: { IFLA_INFO_KIND: 'macvlan', IFLA_INFO_DATA: data },
    }),
  ]);
}

/** RT_SCOPE_* (linux/rtnetlink.h) by the names `ip addr ... scope` takes. */
export const RT_SCOPES = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 } as const;

/**
 * The IPv4 broadcast address `ip addr ... brd` means: an address as it is, '+' for all
 * host bits set, '-' for all host bits clear.
 */
export function broadcastOf(address: string, prefixLength: number, brd: string): string {
  if (brd !== '+' && brd !== '-') return brd;
  const ip = parseIp(address);
  if (ip?.family !== 4) throw new TypeError(`'${address}' is not an IPv4 address`);
  const n = ((ip.bytes[0]! << 24) | (ip.bytes[1]! << 16) | (ip.bytes[2]! << 8) | ip.bytes[3]!) >>> 0;
  const host = prefixLength >= 32 ? 0 : 0xffffffff >>> prefixLength;
  const b = brd === '+' ? (n | host) >>> 0 : (n & ~host) >>> 0;
  return [b >>> 24, (b >>> 16) & 255, (b >>> 8) & 255, b & 255].join('.');
}
