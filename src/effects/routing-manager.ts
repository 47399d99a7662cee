// The routes and policy-routing rules of VRRP instances (keepalived virtual_routes /
// virtual_rules) through rtnetlink: RTM_NEWROUTE / RTM_DELROUTE and RTM_NEWRULE /
// RTM_DELRULE, idempotent like the address manager. A second socket, opened with the first
// route or rule added, listens to the route and rule groups so that the engine hears of a
// deletion by someone else (or of lost notifications) and can put its own back.
import type { VirtualRoute, VirtualRule } from '../config/model.js';
import { parseIp } from '../net/addr.js';
import {
  parseRule,
  RTM_DELRULE,
  RTM_GETRULE,
  RTM_NEWRULE,
  RTNLGRP_IPV4_RULE,
  RTNLGRP_IPV6_RULE,
  type RuleSpec,
  ruleDumpRequest,
  ruleRequest,
} from '../netlink/fibrule.js';
import { NETLINK_ROUTE, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL } from '../netlink/message.js';
import { RT_SCOPES } from '../netlink/rtnetlink.js';
import {
  parseRoute,
  type RouteSpec,
  RTM_DELROUTE,
  RTM_GETROUTE,
  RTM_NEWROUTE,
  RTNLGRP_IPV4_ROUTE,
  RTNLGRP_IPV6_ROUTE,
  routeDumpRequest,
  routeRequest,
} from '../netlink/rtroute.js';
import { ifindexByName } from './address-manager.js';
import { NetlinkClient, NetlinkError } from './netlink-client.js';
import type { RoutingManager } from './types.js';

export interface RealRoutingManager extends RoutingManager {
  /** deletions heard (for tests) */
  readonly deletionsHeard: number;
}

function ruleSpecOf(r: VirtualRule): RuleSpec {
  return {
    family: r.family,
    priority: r.priority,
    action: r.action,
    protocol: r.protocol,
    ...(r.table !== undefined ? { table: r.table } : {}),
    ...(r.goto !== undefined ? { goto: r.goto } : {}),
    ...(r.from ? { from: { ...r.from } } : {}),
    ...(r.to ? { to: { ...r.to } } : {}),
    ...(r.iif !== undefined ? { iif: r.iif } : {}),
    ...(r.oif !== undefined ? { oif: r.oif } : {}),
    ...(r.fwmark !== undefined ? { fwmark: r.fwmark } : {}),
    ...(r.fwmask !== undefined ? { fwmask: r.fwmask } : {}),
    ...(r.tos !== undefined ? { tos: r.tos } : {}),
    ...(r.invert ? { invert: true } : {}),
    ...(r.suppressPrefixLength !== undefined ? { suppressPrefixLength: r.suppressPrefixLength } : {}),
  };
}

const sameIp = (a: string | undefined, b: string | undefined) =>
  a === b ||
  (a !== undefined &&
    b !== undefined &&
    parseIp(a)?.bytes.equals(parseIp(b)?.bytes ?? Buffer.alloc(0)) === true);

/** Does the kernel's route k stand for the configured route r (dev resolved to oif)? */
function routeMatches(r: VirtualRoute, oif: number | undefined, k: RouteSpec): boolean {
  if (k.family !== r.family || k.dstLen !== r.prefixLength || k.table !== r.table || k.type !== r.type)
    return false;
  if (!sameIp(k.dst, r.to) || k.protocol !== r.protocol) return false;
  // IPv6 gives a route without a metric 1024
  const metric = r.metric ?? (r.family === 6 ? 1024 : undefined);
  if (metric !== undefined && (k.metric ?? 0) !== metric) return false;
  if (r.via !== undefined && !sameIp(k.via, r.via)) return false;
  if (r.src !== undefined && !sameIp(k.src, r.src)) return false;
  if (oif !== undefined && k.oif !== oif) return false;
  return true;
}

function ruleMatches(r: VirtualRule, k: RuleSpec): boolean {
  const want = ruleSpecOf(r);
  const pfx = (p: RuleSpec['from']) =>
    p && p.prefixLength > 0 ? `${parseIp(p.address)?.bytes.toString('hex')}/${p.prefixLength}` : '';
  return (
    k.family === want.family &&
    k.priority === want.priority &&
    k.action === want.action &&
    k.protocol === want.protocol &&
    (k.table ?? 0) === (want.table ?? 0) &&
    (k.goto ?? 0) === (want.goto ?? 0) &&
    pfx(k.from) === pfx(want.from) &&
    pfx(k.to) === pfx(want.to) &&
    k.iif === want.iif &&
    k.oif === want.oif &&
    k.fwmark === want.fwmark &&
    // the kernel reports mask 0xffffffff for a mark given without one
    (k.fwmask ?? 0xffffffff) === (want.fwmask ?? 0xffffffff) &&
    (k.tos ?? 0) === (want.tos ?? 0) &&
    !!k.invert === !!want.invert
  );
}

export function createRoutingManager(client?: NetlinkClient): RealRoutingManager {
  const nl = client ?? NetlinkClient.open(NETLINK_ROUTE);
  const own = !client;
  let events: NetlinkClient | null = null;
  let closed = false;
  let heard = 0;
  const cbs: (() => void)[] = [];
  const tell = () => {
    heard++;
    for (const cb of cbs) cb();
  };

  const listen = () => {
    if (events || closed) return;
    const c = NetlinkClient.open(NETLINK_ROUTE, {
      groups: [RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE],
      rcvbufBytes: 1024 * 1024,
    });
    c.onNotification((m) => {
      if (m.type === RTM_DELROUTE || m.type === RTM_DELRULE) tell();
    });
    // lost notifications: a deletion may have been among them
    c.onOverrun(tell);
    c.onError(() => {
      if (closed) return;
      c.close();
      events = null;
      listen();
      tell();
    });
    events = c;
  };

  const indexes = new Map<string, number>();
  const oifOf = async (dev: string | undefined, fresh = false): Promise<number | undefined> => {
    if (dev === undefined) return undefined;
    const known = indexes.get(dev);
    if (known !== undefined && !fresh) return known;
    const i = await ifindexByName(nl, dev);
    indexes.set(dev, i);
    return i;
  };
  const specOf = async (r: VirtualRoute, fresh = false): Promise<RouteSpec> => {
    const oif = await oifOf(r.dev, fresh);
    return {
      family: r.family,
      dst: r.to,
      dstLen: r.prefixLength,
      type: r.type,
      table: r.table,
      protocol: r.protocol,
      scope: RT_SCOPES[r.scope],
      ...(r.metric !== undefined ? { metric: r.metric } : {}),
      ...(r.via !== undefined ? { via: r.via } : {}),
      ...(oif !== undefined ? { oif } : {}),
      ...(r.src !== undefined ? { src: r.src } : {}),
      ...(r.onlink ? { onlink: true } : {}),
    };
  };

  const isCode = (e: unknown, ...codes: string[]) => e instanceof NetlinkError && codes.includes(e.code);

  return {
    get deletionsHeard() {
      return heard;
    },

    async addRoute(r) {
      listen();
      const send = async (fresh: boolean) =>
        // NLM_F_CREATE alone: keepalived's default (prepend); an identical route is EEXIST
        nl.request(RTM_NEWROUTE, NLM_F_CREATE, routeRequest(await specOf(r, fresh)), `add route ${r.text}`);
      try {
        try {
          await send(false);
        } catch (e) {
          if (!isCode(e, 'ENODEV') || r.dev === undefined || !indexes.has(r.dev)) throw e;
          indexes.delete(r.dev);
          await send(true);
        }
        return true;
      } catch (e) {
        if (isCode(e, 'EEXIST')) return false;
        throw e;
      }
    },

    async removeRoute(r) {
      let spec: RouteSpec;
      try {
        spec = await specOf(r, true);
      } catch (e) {
        if (isCode(e, 'ENODEV')) return; // the device is gone, and its routes with it
        throw e;
      }
      try {
        await nl.request(RTM_DELROUTE, 0, routeRequest(spec, true), `remove route ${r.text}`);
      } catch (e) {
        if (isCode(e, 'ESRCH', 'ENOENT', 'ENODEV')) return;
        throw e;
      }
    },

    async addRule(r) {
      listen();
      try {
        // NLM_F_EXCL: without it the kernel adds a second copy of an identical rule
        await nl.request(
          RTM_NEWRULE,
          NLM_F_CREATE | NLM_F_EXCL,
          ruleRequest(ruleSpecOf(r)),
          `add rule ${r.text}`,
        );
        return true;
      } catch (e) {
        if (isCode(e, 'EEXIST')) return false;
        throw e;
      }
    },

    async removeRule(r) {
      try {
        await nl.request(RTM_DELRULE, 0, ruleRequest(ruleSpecOf(r)), `remove rule ${r.text}`);
      } catch (e) {
        if (isCode(e, 'ENOENT', 'ESRCH')) return;
        throw e;
      }
    },

    async present(routes, rules) {
      const out = { routes: routes.map(() => false), rules: rules.map(() => false) };
      for (const family of [4, 6] as const) {
        if (routes.some((r) => r.family === family)) {
          const kernel: RouteSpec[] = [];
          for (const m of await nl.request(
            RTM_GETROUTE,
            NLM_F_DUMP,
            routeDumpRequest(family),
            `list IPv${family} routes`,
          )) {
            const k = m.type === RTM_NEWROUTE ? parseRoute(m.payload) : null;
            if (k) kernel.push(k);
          }
          for (const [i, r] of routes.entries()) {
            if (r.family !== family) continue;
            let oif: number | undefined;
            try {
              oif = await oifOf(r.dev, true);
            } catch {
              continue; // no such device: not installed
            }
            out.routes[i] = kernel.some((k) => routeMatches(r, oif, k));
          }
        }
        if (rules.some((r) => r.family === family)) {
          const kernel: RuleSpec[] = [];
          for (const m of await nl.request(
            RTM_GETRULE,
            NLM_F_DUMP,
            ruleDumpRequest(family),
            `list IPv${family} rules`,
          )) {
            const k = m.type === RTM_NEWRULE ? parseRule(m.payload) : null;
            if (k) kernel.push(k);
          }
          for (const [i, r] of rules.entries())
            if (r.family === family) out.rules[i] = kernel.some((k) => ruleMatches(r, k));
        }
      }
      return out;
    },

    onDeleted(cb) {
      cbs.push(cb);
    },

    close() {
      closed = true;
      events?.close();
      events = null;
      if (own) nl.close();
    },
  };
}
