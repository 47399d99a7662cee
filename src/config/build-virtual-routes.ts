// Semantic checks and model building for the routes and policy-routing rules of a VRRP
// instance (keepalived virtual_routes / virtual_rules). An item is either the words of
// `ip route` / `ip rule` (keepalived's syntax) or the same as keys; both end as one raw
// object checked here. Table names are read from iproute2's rt_tables files.
import { readdirSync, readFileSync } from 'node:fs';
import { type IpFamily, parseCidr, parseIp } from '../net/addr.js';
import type { BuildContext } from './build-context.js';
import type { ConfigPath } from './errors.js';
import { pathText } from './errors.js';
import type { RouteScope, VirtualRoute, VirtualRule } from './model.js';
import type { RawVirtualRoute, RawVirtualRule } from './raw.js';

type RouteObject = Exclude<RawVirtualRoute, string>;
type RuleObject = Exclude<RawVirtualRule, string>;

/** keepalived's protocol for the routes and rules it tracks (RTPROT_KEEPALIVED) */
export const RTPROT_KEEPALIVED = 18;

const BUILTIN_TABLES: Record<string, number> = { default: 253, main: 254, local: 255 };

/** iproute2's rt_protos names (numbers from linux/rtnetlink.h and iproute2's rt_protos) */
export const ROUTE_PROTOCOLS: Record<string, number> = {
  redirect: 1,
  kernel: 2,
  boot: 3,
  static: 4,
  gated: 8,
  ra: 9,
  mrt: 10,
  zebra: 11,
  bird: 12,
  dnrouted: 13,
  xorp: 14,
  ntk: 15,
  dhcp: 16,
  keepalived: 18,
  babel: 42,
  bgp: 186,
  isis: 187,
  ospf: 188,
  rip: 189,
  eigrp: 192,
};

const SCOPES: readonly RouteScope[] = ['global', 'site', 'link', 'host', 'nowhere'];
const ROUTE_TYPES = ['unicast', 'blackhole', 'unreachable', 'prohibit', 'throw'] as const;
const RULE_ACTIONS = ['blackhole', 'unreachable', 'prohibit', 'nop'] as const;
const IFNAME = /^[^\s/:]{1,15}$/;

/** Where iproute2 keeps table names (Debian 12: /etc, newer: /usr/share as the fallback). */
export const RT_TABLES_FILES = ['/etc/iproute2/rt_tables', '/usr/share/iproute2/rt_tables'];
export const RT_TABLES_DIRS = ['/etc/iproute2/rt_tables.d', '/usr/share/iproute2/rt_tables.d'];

let tableNames: Map<string, number> | null = null;

/** name → id from rt_tables and rt_tables.d/*.conf; read once per process. */
export function rtTableNames(): Map<string, number> {
  if (tableNames) return tableNames;
  const out = new Map<string, number>();
  const files = [...RT_TABLES_FILES];
  for (const d of RT_TABLES_DIRS) {
    try {
      for (const f of readdirSync(d).sort()) if (f.endsWith('.conf')) files.push(`${d}/${f}`);
    } catch {
      // no such directory
    }
  }
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const m = /^\s*(0x[0-9a-fA-F]+|\d+)\s+(\S+)/.exec(line);
      if (m && !out.has(m[2]!)) out.set(m[2]!, Number(m[1]));
    }
  }
  tableNames = out;
  return out;
}

function tableId(ctx: BuildContext, path: ConfigPath, t: number | string): number | null {
  if (typeof t === 'number' || /^(0x[0-9a-fA-F]+|\d+)$/.test(t)) {
    const n = Number(t);
    if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) {
      ctx.error(path, 'CONFIG_OUT_OF_RANGE', `${pathText(path)}: table ${t} is out of range 1-4294967295`);
      return null;
    }
    return n;
  }
  const id = BUILTIN_TABLES[t] ?? rtTableNames().get(t);
  if (id === undefined) {
    ctx.error(
      path,
      'CONFIG_UNKNOWN_REFERENCE',
      `${pathText(path)}: unknown routing table '${t}' (not main, local, default, nor in ${RT_TABLES_FILES[0]}); use its number`,
    );
    return null;
  }
  return id;
}

function protocolId(ctx: BuildContext, path: ConfigPath, p: number | string | undefined): number {
  if (p === undefined) return RTPROT_KEEPALIVED;
  const n = typeof p === 'number' || /^\d+$/.test(p) ? Number(p) : ROUTE_PROTOCOLS[p];
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > 255) {
    ctx.error(
      path,
      'CONFIG_BAD_VALUE',
      `${pathText(path)}: protocol must be 0-255 or one of ${Object.keys(ROUTE_PROTOCOLS).join(', ')}, not '${p}'`,
    );
    return RTPROT_KEEPALIVED;
  }
  return n;
}

function num(text: string | undefined): number | undefined {
  if (text === undefined || !/^(0x[0-9a-fA-F]+|\d+)$/.test(text)) return undefined;
  return Number(text);
}

/**
 * The words of one keepalived / `ip route` line as the keys of a route, or the words that
 * could not be read. keepalived's 'gw' is 'via', 'oif' is 'dev', 'priority' and
 * 'preference' are 'metric'; 'inet'/'inet6' only say the family.
 */
export function routeWords(words: readonly string[]): {
  route: Partial<RouteObject> & { family?: IpFamily };
  bad?: string;
} {
  const r: Partial<RouteObject> & { family?: IpFamily } = {};
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const arg = words[i + 1];
    const take = (k: keyof RouteObject, v: string | number | undefined) => {
      if (v === undefined) return false;
      (r as Record<string, unknown>)[k] = v;
      i++;
      return true;
    };
    let ok = true;
    if (w === 'inet' || w === 'inet6') r.family = w === 'inet' ? 4 : 6;
    else if (w === 'via' || w === 'gw') ok = take('via', arg);
    else if (w === 'dev' || w === 'oif') ok = take('dev', arg);
    else if (w === 'src') ok = take('src', arg);
    else if (w === 'table') ok = take('table', num(arg) ?? arg);
    else if (w === 'metric' || w === 'priority' || w === 'preference') ok = take('metric', num(arg));
    else if (w === 'scope') ok = take('scope', arg);
    else if (w === 'protocol' || w === 'proto') ok = take('protocol', num(arg) ?? arg);
    else if (w === 'onlink') r.onlink = true;
    else if (w === 'no_track') r.no_track = true;
    else if ((ROUTE_TYPES as readonly string[]).includes(w) && r.to === undefined && r.type === undefined)
      r.type = w as RouteObject['type'];
    else if (w === 'to' && r.to === undefined) ok = take('to', arg);
    else if (r.to === undefined) r.to = w;
    else ok = false;
    if (!ok) return { route: r, bad: words.slice(i).join(' ') };
  }
  return { route: r };
}

/** The words of one keepalived / `ip rule` line as the keys of a rule, or the words that could not be read. */
export function ruleWords(words: readonly string[]): { rule: Partial<RuleObject>; bad?: string } {
  const r: Partial<RuleObject> = {};
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const arg = words[i + 1];
    const take = (k: keyof RuleObject, v: string | number | undefined) => {
      if (v === undefined) return false;
      (r as Record<string, unknown>)[k] = v;
      i++;
      return true;
    };
    let ok = true;
    if (w === 'inet' || w === 'inet6') r.family = w === 'inet' ? 4 : 6;
    else if (w === 'from') ok = take('from', arg);
    else if (w === 'to') ok = take('to', arg);
    else if (w === 'iif' || w === 'dev') ok = take('iif', arg);
    else if (w === 'oif') ok = take('oif', arg);
    else if (w === 'fwmark') ok = take('fwmark', num(arg) ?? arg);
    else if (w === 'tos' || w === 'dsfield') ok = take('tos', num(arg));
    else if (w === 'table' || w === 'lookup') ok = take('table', num(arg) ?? arg);
    else if (w === 'goto') {
      r.action = 'goto';
      ok = take('goto', num(arg));
    } else if (w === 'priority' || w === 'preference' || w === 'pref' || w === 'order')
      ok = take('priority', num(arg));
    else if (w === 'suppress_prefixlength' || w === 'sup_pl') ok = take('suppress_prefixlength', num(arg));
    else if (w === 'protocol' || w === 'proto') ok = take('protocol', num(arg) ?? arg);
    else if (w === 'not') r.not = true;
    else if (w === 'no_track') r.no_track = true;
    else if (w === 'type' && arg !== undefined && (RULE_ACTIONS as readonly string[]).includes(arg)) {
      r.action = arg as RuleObject['action'];
      i++;
    } else if ((RULE_ACTIONS as readonly string[]).includes(w)) r.action = w as RuleObject['action'];
    else ok = false;
    if (!ok) return { rule: r, bad: words.slice(i).join(' ') };
  }
  return { rule: r };
}

/** 'default' / 'all' / 'any' or a prefix whose host bits are clear. */
function prefixOf(
  ctx: BuildContext,
  path: ConfigPath,
  what: string,
  text: string,
  allowAny: boolean,
): { family: IpFamily | null; address: string; prefixLength: number } | null {
  if (allowAny && (text === 'default' || text === 'all' || text === 'any'))
    return { family: null, address: '', prefixLength: 0 };
  const c = parseCidr(text);
  if (!c) {
    ctx.error(
      path,
      'CONFIG_BAD_ADDRESS',
      `${pathText(path)}: ${what} '${text}' is not an IP prefix (ADDRESS/LEN)`,
    );
    return null;
  }
  const bytes = parseIp(c.address)!.bytes;
  for (let bit = c.prefixLength; bit < bytes.length * 8; bit++) {
    if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) {
      ctx.error(
        path,
        'CONFIG_BAD_ADDRESS',
        `${pathText(path)}: ${what} '${text}' has host bits set beyond /${c.prefixLength}`,
      );
      return null;
    }
  }
  return { family: c.family, address: c.address, prefixLength: c.prefixLength };
}

function addressOf(ctx: BuildContext, path: ConfigPath, what: string, text: string | undefined) {
  if (text === undefined) return undefined;
  const ip = parseIp(text);
  if (!ip) {
    ctx.error(path, 'CONFIG_BAD_ADDRESS', `${pathText(path)}: ${what} '${text}' is not an IP address`);
    return null;
  }
  return parseCidr(text)!;
}

function sameFamily(
  ctx: BuildContext,
  path: ConfigPath,
  family: IpFamily | null,
  f: IpFamily,
  what: string,
): IpFamily {
  if (family !== null && family !== f)
    ctx.error(
      path,
      'CONFIG_FAMILY_MISMATCH',
      `${pathText(path)}: ${what} is IPv${f} but the ${family === 4 ? 'route/rule is IPv4' : 'route/rule is IPv6'}`,
    );
  return family ?? f;
}

function zero(family: IpFamily): string {
  return family === 4 ? '0.0.0.0' : '::';
}

export function buildVirtualRoute(
  ctx: BuildContext,
  path: ConfigPath,
  raw: RawVirtualRoute,
): VirtualRoute | null {
  let r: Partial<RouteObject> & { family?: IpFamily };
  if (typeof raw === 'string') {
    const parsed = routeWords(raw.trim().split(/\s+/));
    if (parsed.bad !== undefined) {
      ctx.error(
        path,
        'CONFIG_BAD_VALUE',
        `${pathText(path)}: unexpected '${parsed.bad}'; write '[TYPE] PREFIX [via ADDR] [dev IFNAME] [src ADDR] [table T] [metric N] [scope S] [protocol P] [onlink] [no_track]'`,
      );
      return null;
    }
    r = parsed.route;
  } else r = raw;
  if (r.to === undefined) {
    ctx.error(path, 'CONFIG_MISSING_KEY', `${pathText(path)}: a route needs a destination prefix`);
    return null;
  }
  const dst = prefixOf(ctx, path, 'destination', r.to, true);
  if (!dst) return null;
  let family: IpFamily | null = r.family ?? null;
  if (dst.family) family = sameFamily(ctx, path, family, dst.family, `destination ${r.to}`);
  const via = addressOf(ctx, path, 'via', r.via);
  const src = addressOf(ctx, path, 'src', r.src);
  if (via === null || src === null) return null;
  if (via) family = sameFamily(ctx, path, family, via.family, `via ${r.via}`);
  if (src) family = sameFamily(ctx, path, family, src.family, `src ${r.src}`);
  const fam: IpFamily = family ?? 4;
  const type = r.type ?? 'unicast';
  if (r.dev !== undefined && !IFNAME.test(r.dev)) {
    ctx.error(path, 'CONFIG_BAD_VALUE', `${pathText(path)}: '${r.dev}' is not a valid interface name`);
  }
  if (r.scope !== undefined && !SCOPES.includes(r.scope)) {
    ctx.error(
      path,
      'CONFIG_BAD_VALUE',
      `${pathText(path)}: scope must be one of ${SCOPES.join(', ')}, not '${r.scope}'`,
    );
  }
  if (type !== 'unicast' && (via || r.dev !== undefined)) {
    ctx.error(path, 'CONFIG_NOT_APPLICABLE', `${pathText(path)}: a ${type} route takes no via or dev`);
  }
  if (type === 'unicast' && !via && r.dev === undefined) {
    ctx.error(path, 'CONFIG_MISSING_KEY', `${pathText(path)}: a unicast route needs via or dev`);
  }
  if (r.onlink && !via) ctx.error(path, 'CONFIG_NOT_APPLICABLE', `${pathText(path)}: onlink needs via`);
  const table = r.table === undefined ? 254 : tableId(ctx, path, r.table);
  if (table === null) return null;
  if (r.metric !== undefined && (!Number.isInteger(r.metric) || r.metric < 0 || r.metric > 0xffffffff)) {
    ctx.error(path, 'CONFIG_OUT_OF_RANGE', `${pathText(path)}: metric must be 0-4294967295`);
  }
  const protocol = protocolId(ctx, path, r.protocol);
  const to = dst.family ? dst.address : zero(fam);
  const scope: RouteScope = r.scope && SCOPES.includes(r.scope) ? r.scope : 'global';
  const words = [
    ...(type !== 'unicast' ? [type] : []),
    dst.prefixLength === 0 ? 'default' : `${to}/${dst.prefixLength}`,
    ...(via ? ['via', via.address] : []),
    ...(r.dev !== undefined ? ['dev', r.dev] : []),
    ...(src ? ['src', src.address] : []),
    ...(table !== 254 ? ['table', String(table)] : []),
    ...(r.metric !== undefined ? ['metric', String(r.metric)] : []),
    ...(scope !== 'global' ? ['scope', scope] : []),
    ...(protocol !== RTPROT_KEEPALIVED ? ['proto', String(protocol)] : []),
    ...(r.onlink ? ['onlink'] : []),
  ];
  return {
    family: fam,
    to,
    prefixLength: dst.prefixLength,
    type,
    table,
    protocol,
    scope,
    ...(r.metric !== undefined ? { metric: r.metric } : {}),
    ...(via ? { via: via.address } : {}),
    ...(r.dev !== undefined ? { dev: r.dev } : {}),
    ...(src ? { src: src.address } : {}),
    onlink: r.onlink ?? false,
    noTrack: r.no_track ?? false,
    text: `${fam === 6 ? '-6 ' : ''}${words.join(' ')}`,
  };
}

function fwmarkOf(
  ctx: BuildContext,
  path: ConfigPath,
  v: number | string,
): { mark: number; mask?: number } | null {
  const parts = typeof v === 'number' ? [String(v)] : v.split('/');
  const mark = num(parts[0]);
  const mask = parts.length > 1 ? num(parts[1]) : undefined;
  if (
    parts.length > 2 ||
    mark === undefined ||
    mark > 0xffffffff ||
    (parts.length === 2 && (mask === undefined || mask > 0xffffffff))
  ) {
    ctx.error(
      path,
      'CONFIG_BAD_VALUE',
      `${pathText(path)}: fwmark must be N or N/MASK (0-4294967295, decimal or 0x hex), not '${v}'`,
    );
    return null;
  }
  return mask === undefined ? { mark } : { mark, mask };
}

export function buildVirtualRule(
  ctx: BuildContext,
  path: ConfigPath,
  raw: RawVirtualRule,
): VirtualRule | null {
  let r: Partial<RuleObject>;
  if (typeof raw === 'string') {
    const parsed = ruleWords(raw.trim().split(/\s+/));
    if (parsed.bad !== undefined) {
      ctx.error(
        path,
        'CONFIG_BAD_VALUE',
        `${pathText(path)}: unexpected '${parsed.bad}'; write '[not] [from P] [to P] [iif IF] [oif IF] [fwmark N[/M]] [tos N] table T|goto N|nop|blackhole|unreachable|prohibit priority N [suppress_prefixlength N] [no_track]'`,
      );
      return null;
    }
    r = parsed.rule;
  } else r = raw;
  if (r.priority === undefined) {
    ctx.error(
      path,
      'CONFIG_MISSING_KEY',
      `${pathText(path)}: a rule needs a priority (rules come and go with the instance; the order must not)`,
    );
    return null;
  }
  let family: IpFamily | null = r.family ?? null;
  const from = r.from === undefined ? undefined : prefixOf(ctx, path, 'from', r.from, true);
  const to = r.to === undefined ? undefined : prefixOf(ctx, path, 'to', r.to, true);
  if (from === null || to === null) return null;
  if (from?.family) family = sameFamily(ctx, path, family, from.family, `from ${r.from}`);
  if (to?.family) family = sameFamily(ctx, path, family, to.family, `to ${r.to}`);
  const fam: IpFamily = family ?? 4;
  for (const [k, v] of [
    ['iif', r.iif],
    ['oif', r.oif],
  ] as const) {
    if (v !== undefined && !IFNAME.test(v))
      ctx.error(path, 'CONFIG_BAD_VALUE', `${pathText(path)}: ${k} '${v}' is not a valid interface name`);
  }
  const gotoTarget = r.goto;
  const action =
    r.action ?? (gotoTarget !== undefined ? 'goto' : r.table !== undefined ? 'table' : undefined);
  if (action === undefined) {
    ctx.error(
      path,
      'CONFIG_MISSING_KEY',
      `${pathText(path)}: a rule needs an action: table, goto, nop, blackhole, unreachable or prohibit`,
    );
    return null;
  }
  if (r.table !== undefined && action !== 'table') {
    ctx.error(
      path,
      'CONFIG_NOT_APPLICABLE',
      `${pathText(path)}: table is for the table action, not ${action}`,
    );
  }
  if (action === 'table' && r.table === undefined) {
    ctx.error(path, 'CONFIG_MISSING_KEY', `${pathText(path)}: the table action needs a table`);
    return null;
  }
  const table = action === 'table' ? tableId(ctx, path, r.table!) : undefined;
  if (table === null) return null;
  if (action === 'goto' && (gotoTarget === undefined || gotoTarget <= r.priority)) {
    ctx.error(
      path,
      'CONFIG_BAD_VALUE',
      `${pathText(path)}: goto needs a target greater than the rule's priority ${r.priority}`,
    );
  }
  if (r.suppress_prefixlength !== undefined && action !== 'table') {
    ctx.error(
      path,
      'CONFIG_NOT_APPLICABLE',
      `${pathText(path)}: suppress_prefixlength is for the table action`,
    );
  }
  if (r.tos !== undefined && (r.tos < 0 || r.tos > 255))
    ctx.error(path, 'CONFIG_OUT_OF_RANGE', `${pathText(path)}: tos must be 0-255`);
  if (r.priority < 0 || r.priority > 0xffffffff)
    ctx.error(path, 'CONFIG_OUT_OF_RANGE', `${pathText(path)}: priority must be 0-4294967295`);
  const fw = r.fwmark === undefined ? undefined : fwmarkOf(ctx, path, r.fwmark);
  if (fw === null) return null;
  const protocol = protocolId(ctx, path, r.protocol);
  const pfx = (p: { address: string; prefixLength: number } | undefined) =>
    p && p.prefixLength > 0 ? { address: p.address, prefixLength: p.prefixLength } : undefined;
  const fromP = pfx(from);
  const toP = pfx(to);
  const hex = (n: number) => `0x${n.toString(16)}`;
  const words = [
    `priority ${r.priority}`,
    ...(r.not ? ['not'] : []),
    `from ${fromP ? `${fromP.address}/${fromP.prefixLength}` : 'all'}`,
    ...(toP ? [`to ${toP.address}/${toP.prefixLength}`] : []),
    ...(r.tos !== undefined ? [`tos ${hex(r.tos)}`] : []),
    ...(fw ? [`fwmark ${hex(fw.mark)}${fw.mask !== undefined ? `/${hex(fw.mask)}` : ''}`] : []),
    ...(r.iif !== undefined ? [`iif ${r.iif}`] : []),
    ...(r.oif !== undefined ? [`oif ${r.oif}`] : []),
    action === 'table' ? `lookup ${table}` : action === 'goto' ? `goto ${gotoTarget}` : action,
    ...(r.suppress_prefixlength !== undefined ? [`suppress_prefixlength ${r.suppress_prefixlength}`] : []),
    ...(protocol !== RTPROT_KEEPALIVED ? [`proto ${protocol}`] : []),
  ];
  return {
    family: fam,
    priority: r.priority,
    action,
    ...(table !== undefined ? { table } : {}),
    ...(action === 'goto' && gotoTarget !== undefined ? { goto: gotoTarget } : {}),
    ...(fromP ? { from: fromP } : {}),
    ...(toP ? { to: toP } : {}),
    ...(r.iif !== undefined ? { iif: r.iif } : {}),
    ...(r.oif !== undefined ? { oif: r.oif } : {}),
    ...(fw ? { fwmark: fw.mark } : {}),
    ...(fw?.mask !== undefined ? { fwmask: fw.mask } : {}),
    ...(r.tos !== undefined ? { tos: r.tos } : {}),
    invert: r.not ?? false,
    ...(r.suppress_prefixlength !== undefined ? { suppressPrefixLength: r.suppress_prefixlength } : {}),
    protocol,
    noTrack: r.no_track ?? false,
    text: `${fam === 6 ? '-6 ' : ''}${words.join(' ')}`,
  };
}

/** Both lists of one instance; duplicates (same route key / same rule) are errors. */
export function buildVirtualRoutesAndRules(
  ctx: BuildContext,
  p: ConfigPath,
  routes: readonly RawVirtualRoute[],
  rules: readonly RawVirtualRule[],
): { virtualRoutes: VirtualRoute[]; virtualRules: VirtualRule[] } {
  const virtualRoutes: VirtualRoute[] = [];
  const seen = new Map<string, number>();
  routes.forEach((raw, j) => {
    const path = [...p, 'virtual_routes', j];
    const r = buildVirtualRoute(ctx, path, raw);
    if (!r) return;
    // the kernel's identity of a route: family, prefix, table, metric (tos is always 0 here)
    const key = `${r.family}|${r.to}/${r.prefixLength}|${r.table}|${r.metric ?? ''}`;
    const prev = seen.get(key);
    if (prev !== undefined) {
      ctx.error(
        path,
        'CONFIG_DUPLICATE',
        `${pathText(path)}: the same route as virtual_routes[${prev}] (prefix, table and metric)`,
      );
      return;
    }
    seen.set(key, j);
    virtualRoutes.push(r);
  });
  const virtualRules: VirtualRule[] = [];
  const seenRule = new Map<string, number>();
  rules.forEach((raw, j) => {
    const path = [...p, 'virtual_rules', j];
    const r = buildVirtualRule(ctx, path, raw);
    if (!r) return;
    const key = `${r.family}|${r.text}`;
    const prev = seenRule.get(key);
    if (prev !== undefined) {
      ctx.error(path, 'CONFIG_DUPLICATE', `${pathText(path)}: the same rule as virtual_rules[${prev}]`);
      return;
    }
    seenRule.set(key, j);
    virtualRules.push(r);
  });
  return { virtualRoutes, virtualRules };
}
