// The IPVS table as data: virtual services, their destinations (real servers) and
// the keys that identify them. Shared by the reconciler (pure) and the IPVS client; the
// kernel objects themselves are declared with the netlink codec (netlink/ipvs-types.ts).
import { canonicalIp } from '../net/addr.js';
import type {
  IpvsDest,
  IpvsDestCounters,
  IpvsService,
  IpvsServiceFlags,
  IpvsStats,
} from '../netlink/ipvs-types.js';

export type {
  IpvsDest,
  IpvsDestCounters,
  IpvsFamily,
  IpvsForwarding,
  IpvsProtocol,
  IpvsService,
  IpvsServiceFlags,
  IpvsStats,
  IpvsTunnelType,
} from '../netlink/ipvs-types.js';

export interface IpvsServiceEntry {
  service: IpvsService;
  dests: Map<string, IpvsDest>;
  /** present in dumps only */
  stats?: IpvsStats;
  /** present in dumps only, by dest key */
  destCounters?: Map<string, IpvsDestCounters>;
}

/** By serviceKey(); within a service, dests by destKey(). */
export type IpvsTable = Map<string, IpvsServiceEntry>;

export const DEFAULT_FLAGS: Readonly<IpvsServiceFlags> = Object.freeze({
  persistent: false,
  onePacket: false,
  shFallback: false,
  shPort: false,
  sched3: false,
});

// Dotted quads without leading zeros are already canonical; keys are made for every
// entry of 10k-server tables, so skip the parse for them.
const CANONICAL_V4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function addrText(a: string | undefined): string {
  if (a === undefined) return '?';
  if (CANONICAL_V4.test(a)) return a;
  return canonicalIp(a) ?? a;
}

/**
 * Identity of a virtual service, as the kernel sees it: family + protocol + address +
 * port, or family + fwmark. Everything else about a service is editable in place.
 * Forms: "tcp:192.0.2.10:80", "udp:[2001:db8::1]:53", "fwmark:4:7".
 */
export function serviceKey(
  s: Pick<IpvsService, 'family' | 'protocol' | 'address' | 'port' | 'fwmark'>,
): string {
  if (s.protocol === null) return `fwmark:${s.family}:${s.fwmark ?? 0}`;
  const a = addrText(s.address);
  return s.family === 6 ? `${s.protocol}:[${a}]:${s.port ?? 0}` : `${s.protocol}:${a}:${s.port ?? 0}`;
}

/** Identity of a destination within its service: address + port (family follows the address). */
export function destKey(d: Pick<IpvsDest, 'family' | 'address' | 'port'>): string {
  const a = addrText(d.address);
  return d.family === 6 ? `[${a}]:${d.port}` : `${a}:${d.port}`;
}

/** Fills defaults and canonicalises addresses so that equal services compare equal. */
export function normalizeService(s: IpvsService): IpvsService {
  const out: IpvsService = {
    family: s.family,
    protocol: s.protocol,
    scheduler: s.scheduler,
    flags: { ...DEFAULT_FLAGS, ...s.flags },
    timeoutS: s.timeoutS,
    netmask: s.netmask,
  };
  if (s.protocol === null) out.fwmark = s.fwmark ?? 0;
  else {
    out.address = addrText(s.address);
    out.port = s.port ?? 0;
  }
  if (s.peName) out.peName = s.peName;
  return out;
}

export function normalizeDest(d: IpvsDest): IpvsDest {
  const out: IpvsDest = {
    family: d.family,
    address: addrText(d.address),
    port: d.port,
    forwarding: d.forwarding,
    weight: d.weight,
    upperThreshold: d.upperThreshold,
    lowerThreshold: d.lowerThreshold,
  };
  if (d.forwarding === 'tun') {
    out.tunType = d.tunType ?? 'ipip';
    if (out.tunType === 'gue') out.tunPort = d.tunPort ?? 0;
    out.tunFlags = d.tunFlags ?? 0;
  }
  return out;
}

/** Editable service attributes equal? (identity is compared through the key) */
export function sameServiceSettings(a: IpvsService, b: IpvsService): boolean {
  return (
    a.scheduler === b.scheduler &&
    a.timeoutS === b.timeoutS &&
    a.netmask === b.netmask &&
    (a.peName ?? '') === (b.peName ?? '') &&
    a.flags.persistent === b.flags.persistent &&
    a.flags.onePacket === b.flags.onePacket &&
    a.flags.shFallback === b.flags.shFallback &&
    a.flags.shPort === b.flags.shPort &&
    a.flags.sched3 === b.flags.sched3
  );
}

/** Editable destination attributes equal? */
export function sameDestSettings(a: IpvsDest, b: IpvsDest): boolean {
  if (
    a.forwarding !== b.forwarding ||
    a.weight !== b.weight ||
    a.upperThreshold !== b.upperThreshold ||
    a.lowerThreshold !== b.lowerThreshold
  ) {
    return false;
  }
  // tunnel attributes only matter (and only come back from the kernel) for tun
  if (a.forwarding !== 'tun') return true;
  return (
    (a.tunType ?? 'ipip') === (b.tunType ?? 'ipip') &&
    (a.tunPort ?? 0) === (b.tunPort ?? 0) &&
    (a.tunFlags ?? 0) === (b.tunFlags ?? 0)
  );
}

/** Builds a table from lists (tests, config adapters). Later duplicates win. */
export function buildTable(
  entries: Iterable<{ service: IpvsService; dests?: Iterable<IpvsDest> }>,
): IpvsTable {
  const t: IpvsTable = new Map();
  for (const e of entries) {
    const service = normalizeService(e.service);
    const dests = new Map<string, IpvsDest>();
    for (const d of e.dests ?? []) {
      const nd = normalizeDest(d);
      dests.set(destKey(nd), nd);
    }
    t.set(serviceKey(service), { service, dests });
  }
  return t;
}

/** Deep copy without stats/counters (the configuration part only). */
export function cloneTable(t: IpvsTable): IpvsTable {
  const out: IpvsTable = new Map();
  for (const [k, e] of t) {
    out.set(k, {
      service: { ...e.service, flags: { ...e.service.flags } },
      dests: new Map([...e.dests].map(([dk, d]) => [dk, { ...d }])),
    });
  }
  return out;
}
