// rtnetlink policy-routing rules (RTM_NEWRULE / RTM_DELRULE / RTM_GETRULE): struct
// fib_rule_hdr (linux/fib_rules.h) and the FRA_* attributes vrrpd uses, with the kernel's
// names. Pure builders and parsers for the rules of VRRP instances (virtual_rules);
// src/effects/ sends them.
import { type IpFamily as Family, parseIp } from '../net/addr.js';
import { type AttrSchema, decodeAttrs, encodeAttrs } from './attrs.js';
import { readU32 } from './message.js';
import { AF_INET, AF_INET6 } from './rtnetlink.js';

export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;
export const RTM_GETRULE = 34;

/** rtnetlink multicast groups of rule changes (enum rtnetlink_groups) */
export const RTNLGRP_IPV4_RULE = 8;
export const RTNLGRP_IPV6_RULE = 19;

/** fib_rule_hdr.action (enum FR_ACT_*) */
export const FR_ACT = { table: 1, goto: 2, nop: 3, blackhole: 6, unreachable: 7, prohibit: 8 } as const;
export type RuleActionName = keyof typeof FR_ACT;

/** fib_rule_hdr.flags: the selector is inverted (`ip rule add not ...`) */
export const FIB_RULE_INVERT = 0x2;

export const FRA = {
  FRA_DST: { type: 1, kind: 'ip' },
  FRA_SRC: { type: 2, kind: 'ip' },
  FRA_IIFNAME: { type: 3, kind: 'string' },
  FRA_GOTO: { type: 4, kind: 'u32' },
  FRA_PRIORITY: { type: 6, kind: 'u32' },
  FRA_FWMARK: { type: 10, kind: 'u32' },
  FRA_SUPPRESS_PREFIXLEN: { type: 14, kind: 'u32' },
  FRA_TABLE: { type: 15, kind: 'u32' },
  FRA_FWMASK: { type: 16, kind: 'u32' },
  FRA_OIFNAME: { type: 17, kind: 'string' },
  FRA_PROTOCOL: { type: 21, kind: 'u8' },
} as const satisfies AttrSchema;

const HDR_LEN = 12;

/** A rule as vrrpd asks the kernel for it. */
export interface RuleSpec {
  family: Family;
  priority: number;
  action: RuleActionName;
  /** the table of a `table` action */
  table?: number;
  /** the priority a `goto` action jumps to */
  goto?: number;
  from?: { address: string; prefixLength: number };
  to?: { address: string; prefixLength: number };
  iif?: string;
  oif?: string;
  fwmark?: number;
  fwmask?: number;
  tos?: number;
  invert?: boolean;
  suppressPrefixLength?: number;
  protocol: number;
}

/** Payload of RTM_NEWRULE / RTM_DELRULE for one rule. */
export function ruleRequest(r: RuleSpec): Buffer {
  for (const [what, p] of [
    ['from', r.from],
    ['to', r.to],
  ] as const) {
    if (!p) continue;
    const ip = parseIp(p.address);
    if (!ip || ip.family !== r.family)
      throw new TypeError(`${what} '${p.address}' is not an IPv${r.family} address`);
  }
  if (r.action === 'table' && (r.table === undefined || r.table < 1))
    throw new RangeError('a table action needs a table');
  if (r.action === 'goto' && r.goto === undefined) throw new RangeError('a goto action needs its target');
  const h = Buffer.alloc(HDR_LEN);
  h.writeUInt8(r.family === 4 ? AF_INET : AF_INET6, 0);
  h.writeUInt8(r.to && r.to.prefixLength > 0 ? r.to.prefixLength : 0, 1);
  h.writeUInt8(r.from && r.from.prefixLength > 0 ? r.from.prefixLength : 0, 2);
  h.writeUInt8(r.tos ?? 0, 3);
  const table = r.action === 'table' ? r.table! : 0;
  h.writeUInt8(table < 256 ? table : 252, 4);
  h.writeUInt8(FR_ACT[r.action], 7);
  h.writeUInt32LE(r.invert ? FIB_RULE_INVERT : 0, 8);
  return Buffer.concat([
    h,
    encodeAttrs(FRA, {
      ...(r.to && r.to.prefixLength > 0 ? { FRA_DST: r.to.address } : {}),
      ...(r.from && r.from.prefixLength > 0 ? { FRA_SRC: r.from.address } : {}),
      ...(r.iif !== undefined ? { FRA_IIFNAME: r.iif } : {}),
      ...(r.action === 'goto' ? { FRA_GOTO: r.goto } : {}),
      FRA_PRIORITY: r.priority,
      ...(r.fwmark !== undefined ? { FRA_FWMARK: r.fwmark } : {}),
      ...(r.fwmask !== undefined ? { FRA_FWMASK: r.fwmask } : {}),
      ...(r.suppressPrefixLength !== undefined ? { FRA_SUPPRESS_PREFIXLEN: r.suppressPrefixLength } : {}),
      ...(r.action === 'table' ? { FRA_TABLE: table } : {}),
      ...(r.oif !== undefined ? { FRA_OIFNAME: r.oif } : {}),
      FRA_PROTOCOL: r.protocol,
    }),
  ]);
}

/** RTM_GETRULE dump of one family. */
export function ruleDumpRequest(family: Family): Buffer {
  const h = Buffer.alloc(HDR_LEN);
  h.writeUInt8(family === 4 ? AF_INET : AF_INET6, 0);
  return h;
}

/** Parses an RTM_NEWRULE payload; null when malformed or of an action vrrpd does not use. */
export function parseRule(payload: Buffer): RuleSpec | null {
  if (payload.length < HDR_LEN) return null;
  const af = payload.readUInt8(0);
  const family: Family | null = af === AF_INET ? 4 : af === AF_INET6 ? 6 : null;
  if (!family) return null;
  const actNo = payload.readUInt8(7);
  const action = (Object.keys(FR_ACT) as RuleActionName[]).find((k) => FR_ACT[k] === actNo);
  if (!action) return null;
  const a = decodeAttrs(FRA, payload.subarray(HDR_LEN));
  const out: RuleSpec = {
    family,
    priority: a.FRA_PRIORITY ?? 0,
    action,
    protocol: a.FRA_PROTOCOL ?? 0,
  };
  if (action === 'table') out.table = a.FRA_TABLE ?? payload.readUInt8(4);
  if (action === 'goto' && a.FRA_GOTO !== undefined) out.goto = a.FRA_GOTO;
  if (a.FRA_SRC !== undefined) out.from = { address: a.FRA_SRC, prefixLength: payload.readUInt8(2) };
  if (a.FRA_DST !== undefined) out.to = { address: a.FRA_DST, prefixLength: payload.readUInt8(1) };
  if (a.FRA_IIFNAME !== undefined) out.iif = a.FRA_IIFNAME;
  if (a.FRA_OIFNAME !== undefined) out.oif = a.FRA_OIFNAME;
  if (a.FRA_FWMARK !== undefined) out.fwmark = a.FRA_FWMARK;
  if (a.FRA_FWMASK !== undefined) out.fwmask = a.FRA_FWMASK;
  if (a.FRA_SUPPRESS_PREFIXLEN !== undefined) out.suppressPrefixLength = a.FRA_SUPPRESS_PREFIXLEN;
  const tos = payload.readUInt8(3);
  if (tos) out.tos = tos;
  if ((readU32(payload, 8) & FIB_RULE_INVERT) !== 0) out.invert = true;
  return out;
}
