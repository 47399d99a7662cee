// keepalived's virtual_routes / virtual_rules (vrrp_instance) → vrrpd's keys. Every option is
// either carried over with keepalived's meaning or named in a note: an option that only
// tunes a route (mtu, realms...) is left out of it with a note; one without which the
// route or rule would be another one (nexthop groups, a selector vrrpd cannot express, a
// type it does not add) leaves the whole line out with a note.
import { parseCidr } from '../net/addr.js';
import type { KaStatement } from './keepalived-conf.js';

type Obj = Record<string, unknown>;

export interface RouteNote {
  st: KaStatement;
  text: string;
  /** true: not carried over (or not with its meaning) */
  dropped: boolean;
}

/** keepalived's numbering of rules without a preference: from 16384 down, per family, in parse order */
export interface RulePriorityCounter {
  4: number;
  6: number;
}
export const RULE_START_PRIORITY = 16384;

// keepalived route options vrrpd does not set, with how many words follow them
// ('lock' before the value is taken as one more word)
const ROUTE_TUNING: Record<string, number> = {
  tos: 1,
  dsfield: 1,
  expires: 1,
  mtu: 1,
  hoplimit: 1,
  advmss: 1,
  rtt: 1,
  rttvar: 1,
  reordering: 1,
  window: 1,
  cwnd: 1,
  ssthresh: 1,
  realms: 1,
  rto_min: 1,
  initcwnd: 1,
  initrwnd: 1,
  features: 1,
  quickack: 1,
  congctl: 1,
  pref: 1,
  'ttl-propagate': 1,
  fastopen_no_cookie: 1,
};
const LOCKABLE = new Set([
  'mtu',
  'advmss',
  'rtt',
  'rttvar',
  'reordering',
  'cwnd',
  'ssthresh',
  'rto_min',
  'congctl',
]);
/** without these the route is another route: the line is left out */
const ROUTE_OTHER: Record<string, string> = {
  nexthop: 'vrrpd adds no multipath routes (nexthop)',
  or: "vrrpd adds no multipath routes ('or' is keepalived's old nexthop form)",
  encap: 'vrrpd adds no encapsulating routes (encap)',
  from: 'vrrpd adds no source-specific routes (from)',
  vrf: "vrrpd does not look up a VRF's table: give its table number",
  as: 'vrrpd adds no MPLS routes (as to)',
  local: 'vrrpd adds no local routes',
  broadcast: 'vrrpd adds no broadcast routes',
  anycast: 'vrrpd adds no anycast routes',
  multicast: 'vrrpd adds no multicast routes',
  nat: 'vrrpd adds no nat routes',
};
const ROUTE_TYPES = new Set(['unicast', 'blackhole', 'unreachable', 'prohibit', 'throw']);

// keepalived rule selectors and settings vrrpd does not set: a selector left out would make
// the rule match more packets, so the line is left out
const RULE_OTHER: Record<string, string> = {
  ipproto: 'vrrpd sets no ipproto selector on rules',
  sport: 'vrrpd sets no sport selector on rules',
  dport: 'vrrpd sets no dport selector on rules',
  uidrange: 'vrrpd sets no uidrange selector on rules',
  'tunnel-id': 'vrrpd sets no tunnel-id selector on rules',
  l3mdev: 'vrrpd adds no l3mdev rules',
  suppress_ifgroup: 'vrrpd sets no suppress_ifgroup on rules',
  sup_group: 'vrrpd sets no suppress_ifgroup on rules',
};

const PROTOCOL_NOTE =
  'keepalived marks a tracked route or rule with protocol keepalived (18) whatever is given, and so does vrrpd: the protocol is not written';

/** One virtual_routes line → the keys of a vrrpd route, or null when it is left out. */
export function importRoute(st: KaStatement, notes: RouteNote[]): Obj | null {
  const w = st.words;
  const r: Obj = {};
  let family: 4 | 6 | undefined;
  let protocol: string | undefined;
  let noTrack = false;
  const famOf = (a: string | undefined) => (a === undefined ? undefined : parseCidr(a)?.family);
  for (let i = 0; i < w.length; i++) {
    const k = w[i]!;
    const arg = w[i + 1];
    if (k in ROUTE_OTHER) {
      notes.push({ st, text: `'${st.words.join(' ')}' because ${ROUTE_OTHER[k]}`, dropped: true });
      return null;
    }
    if (k in ROUTE_TUNING) {
      const n = ROUTE_TUNING[k]! + (LOCKABLE.has(k) && arg === 'lock' ? 1 : 0);
      notes.push({
        st,
        text: `'${w.slice(i, i + 1 + n).join(' ')}' of the route because vrrpd does not set it (the route is added without it)`,
        dropped: true,
      });
      i += n;
      continue;
    }
    switch (k) {
      case 'inet':
      case 'inet6':
        family = k === 'inet' ? 4 : 6;
        break;
      case 'src':
        r.src = arg;
        i++;
        break;
      case 'via':
      case 'gw': {
        let a = arg;
        if (a === 'inet' || a === 'inet6') {
          i++;
          a = w[i + 1];
        }
        r.via = a;
        i++;
        break;
      }
      case 'table':
        r.table = /^\d+$/.test(arg ?? '') ? Number(arg) : arg;
        i++;
        break;
      case 'protocol':
        protocol = arg;
        i++;
        break;
      case 'scope':
        r.scope = arg;
        i++;
        break;
      case 'metric':
      case 'priority':
      case 'preference':
        r.metric = /^\d+$/.test(arg ?? '') ? Number(arg) : arg;
        i++;
        break;
      case 'dev':
      case 'oif':
        r.dev = arg;
        i++;
        break;
      case 'onlink':
        r.onlink = true;
        break;
      case 'no_track':
        noTrack = true;
        break;
      case 'prepend':
        break; // keepalived's default, and vrrpd's
      case 'add':
      case 'append':
        notes.push({
          st,
          text: `'${k}' of the route because vrrpd prepends routes, as keepalived does by default`,
          dropped: true,
        });
        break;
      default: {
        let t = k;
        if (t === 'to') {
          i++;
          t = w[i] ?? '';
        }
        if (ROUTE_TYPES.has(t)) {
          if (t !== 'unicast') r.type = t;
          i++;
          t = w[i] ?? '';
        } else if (t in ROUTE_OTHER) {
          notes.push({ st, text: `'${st.words.join(' ')}' because ${ROUTE_OTHER[t]}`, dropped: true });
          return null;
        }
        // a bad destination is written as it is: check-config reports it with its line
        r.to = t;
      }
    }
  }
  if (r.to === 'default' || r.to === 'all' || r.to === 'any') {
    const f = family ?? famOf(r.via as string | undefined) ?? famOf(r.src as string | undefined) ?? 4;
    r.to = f === 4 ? '0.0.0.0/0' : '::/0';
  }
  if (protocol !== undefined) {
    if (noTrack) r.protocol = /^\d+$/.test(protocol) ? Number(protocol) : protocol;
    else notes.push({ st, text: PROTOCOL_NOTE, dropped: false });
  }
  if (noTrack) r.no_track = true;
  return r;
}

/** One virtual_rules line → the keys of a vrrpd rule, or null when it is left out. */
export function importRule(st: KaStatement, notes: RouteNote[], counter: RulePriorityCounter): Obj | null {
  const w = st.words;
  const r: Obj = {};
  let family: 4 | 6 | undefined;
  let protocol: string | undefined;
  let noTrack = false;
  const famOf = (a: unknown) => (typeof a === 'string' ? parseCidr(a)?.family : undefined);
  const n = (a: string | undefined) => (a !== undefined && /^\d+$/.test(a) ? Number(a) : a);
  for (let i = 0; i < w.length; i++) {
    const k = w[i]!;
    const arg = w[i + 1];
    if (k in RULE_OTHER) {
      notes.push({ st, text: `'${st.words.join(' ')}' because ${RULE_OTHER[k]}`, dropped: true });
      return null;
    }
    switch (k) {
      case 'inet':
      case 'inet6':
        family = k === 'inet' ? 4 : 6;
        break;
      case 'from':
      case 'to':
        r[k] = arg;
        i++;
        break;
      case 'table':
      case 'lookup':
        r.table = n(arg);
        i++;
        break;
      case 'not':
        r.not = true;
        break;
      case 'preference':
      case 'order':
      case 'priority':
        r.priority = n(arg);
        i++;
        break;
      case 'tos':
      case 'dsfield':
        r.tos = arg !== undefined && /^0x[0-9a-f]+$/i.test(arg) ? Number(arg) : n(arg);
        i++;
        break;
      case 'fwmark':
        r.fwmark = arg !== undefined && /^\d+$/.test(arg) ? Number(arg) : arg;
        i++;
        break;
      case 'realms':
        notes.push({
          st,
          text: `'realms ${arg}' of the rule because vrrpd does not set realms (the rule is added without)`,
          dropped: true,
        });
        i++;
        break;
      case 'suppress_prefixlength':
      case 'sup_pl':
        r.suppress_prefixlength = n(arg);
        i++;
        break;
      case 'dev':
      case 'iif':
        r.iif = arg;
        i++;
        break;
      case 'oif':
        r.oif = arg;
        i++;
        break;
      case 'protocol':
        protocol = arg;
        i++;
        break;
      case 'no_track':
        noTrack = true;
        break;
      case 'type':
        break; // 'type goto N' is 'goto N'
      case 'goto':
        r.action = 'goto';
        r.goto = n(arg);
        i++;
        break;
      case 'nop':
      case 'blackhole':
      case 'unreachable':
      case 'prohibit':
        r.action = k;
        break;
      default:
        notes.push({
          st,
          text: `'${st.words.join(' ')}' because '${k}' is not a rule option vrrpd knows`,
          dropped: true,
        });
        return null;
    }
  }
  if (r.from === 'default' || r.from === 'any') r.from = 'all';
  if (r.to === 'default' || r.to === 'any') r.to = 'all';
  const fam = family ?? famOf(r.from) ?? famOf(r.to) ?? 4;
  if (family === 6 && famOf(r.from) === undefined && famOf(r.to) === undefined) r.family = 6;
  if (r.priority === undefined) {
    r.priority = counter[fam]--;
    notes.push({
      st,
      text: `priority ${r.priority as number} written out: keepalived numbers rules without a preference from ${RULE_START_PRIORITY} down, per family, in the order it reads them`,
      dropped: false,
    });
  }
  if (protocol !== undefined) {
    if (noTrack) r.protocol = n(protocol);
    else notes.push({ st, text: PROTOCOL_NOTE, dropped: false });
  }
  if (noTrack) r.no_track = true;
  // keys in a readable order: selectors, action, priority
  const order = [
    'from',
    'to',
    'iif',
    'oif',
    'fwmark',
    'tos',
    'not',
    'family',
    'table',
    'action',
    'goto',
    'suppress_prefixlength',
    'priority',
    'protocol',
    'no_track',
  ];
  const out: Obj = {};
  for (const k of order) if (r[k] !== undefined) out[k] = r[k];
  return out;
}
