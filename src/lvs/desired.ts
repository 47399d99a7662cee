// What the IPVS table should hold right now: the config's virtual servers, filtered by
// real-server health, with quorum and the sorry server applied. PURE (ARCHITECTURE rule
// 5): no clocks, no sockets. The controller feeds it health and the last kernel dump and
// hands the result to reconcile().
//
// Rules (decided here, once; CONFIG.md vocabulary):
// - A real server without a check counts as up (keepalived).
// - up: present with its configured weight.
// - down: removed; with inhibit_on_failure kept with weight 0 (no new connections, the
//   established ones drain).
// - unknown (no check result yet): a real server the kernel already has keeps its place
//   exactly as the kernel has it (a daemon restart disturbs nothing); one the kernel lacks
//   is not added until it passes, except with inhibit_on_failure, where it is added with
//   weight 0 (in the table, serving nothing, which is what inhibit means for a server not
//   known to be good).
// - alpha: the checks start 'down' (alpha: true, keepalived's "start failed") or 'unknown'
//   (alpha: false, the default). So alpha: true takes even a kernel-present real server out
//   at the first pass until it has passed `rise` checks; alpha: false is the rule above,
//   and the FIRST passing check brings it in (keepalived's alpha: false starts real servers
//   up without checking; we wait for one result instead).
// - Quorum (keepalived): the sum of the weights of the healthy real servers (up, plus
//   unknown ones the kernel has, counted at their kernel weight) against `quorum`, with
//   `hysteresis`: an up quorum is lost when the sum falls below quorum - hysteresis (or to
//   0); a lost one comes back when the sum reaches quorum + hysteresis. While some servers
//   are still unknown, losing is judged optimistically (unknown ones count at their
//   configured weight) so that a fresh start does not declare a loss before the first
//   results. The first evaluation has no hysteresis: up when the sum reaches quorum.
// - Sorry server (keepalived): put in (weight 1) when the quorum is lost, and then the
//   remaining real servers get no new connections, so that clients get one consistent
//   answer. Unlike keepalived, which deletes them, healthy ones stay at weight 0: a
//   deleted destination's established connections are silently dropped by the kernel
//   (net.ipv4.vs.expire_nodest_conn=0, the default; seen in the test guest), weight 0
//   lets them finish. Failed ones are removed as usual. Without a sorry server a lost quorum only
//   runs quorum_down: the remaining healthy servers keep serving (taking them out would
//   serve nobody). When the quorum is back the sorry server is removed (kept at weight 0
//   with its `inhibit`).
import type { RealServer, SorryServer, VirtualServer } from '../config/model.js';
import { ipFamily } from '../net/addr.js';
import {
  destKey,
  type IpvsDest,
  type IpvsService,
  type IpvsTable,
  normalizeDest,
  normalizeService,
  serviceKey,
} from './model.js';
import { realServerKey } from './reconcile.js';

export type RealServerHealth = 'up' | 'down' | 'unknown';
/** Health of a real server by VirtualServer.key and RealServer.key. */
export type HealthOf = (vsKey: string, rsKey: string) => RealServerHealth;

export interface QuorumSettings {
  quorum: number;
  hysteresis: number;
}

export interface VirtualServerOutcome {
  /** VirtualServer.key */
  key: string;
  /** the IPVS service key (model.ts serviceKey) */
  serviceKey: string;
  quorumUp: boolean;
  /** sum of the weights counted healthy (up + unknown-in-kernel) */
  healthyWeight: number;
  /** healthyWeight plus unknown real servers the kernel lacks, at their configured weight */
  possibleWeight: number;
  /** the sorry server is in the table with weight > 0 */
  sorryActive: boolean;
  /** per RealServer.key: what the pass decided */
  realServers: Map<string, { health: RealServerHealth; inTable: boolean; pending: boolean }>;
}

export interface DesiredState {
  table: IpvsTable;
  /** reconcile()'s `pending`: `${serviceKey}/${destKey}` of unknown real servers the kernel has */
  pending: Set<string>;
  /** by VirtualServer.key, in config order */
  virtualServers: Map<string, VirtualServerOutcome>;
}

/** The status/log key of a virtual server: 'tcp/192.0.2.50:80', 'fwmark/10', 'fwmark/10/6'. */
export function statusKey(vs: Pick<VirtualServer, 'key' | 'fwmark' | 'family'>): string {
  if (vs.fwmark !== undefined) return vs.family === 6 ? `fwmark/${vs.fwmark}/6` : `fwmark/${vs.fwmark}`;
  const i = vs.key.indexOf(':');
  return `${vs.key.slice(0, i)}/${vs.key.slice(i + 1)}`;
}

/** The IPVS service a virtual server declares. */
export function serviceOf(vs: VirtualServer): IpvsService {
  const s: IpvsService = {
    family: vs.family,
    protocol: vs.fwmark !== undefined ? null : vs.protocol,
    scheduler: vs.scheduler,
    flags: {
      persistent: vs.persistenceTimeoutS > 0,
      onePacket: vs.flags.ops,
      // IP_VS_SVC_F_SCHED1/2 mean sh-fallback/sh-port for sh and mh-fallback/mh-port for mh
      shFallback: vs.flags.shFallback || vs.flags.mhFallback,
      shPort: vs.flags.shPort || vs.flags.mhPort,
      sched3: false,
    },
    timeoutS: vs.persistenceTimeoutS,
    netmask: vs.persistencePrefixLength,
  };
  if (vs.fwmark !== undefined) s.fwmark = vs.fwmark;
  else {
    s.address = vs.address ?? '';
    s.port = vs.port ?? 0;
  }
  return normalizeService(s);
}

/** The IPVS destination a real server declares, at `weight`. */
export function destOf(rs: RealServer, weight = rs.weight): IpvsDest {
  const d: IpvsDest = {
    family: rs.family,
    address: rs.address,
    port: rs.port,
    forwarding: rs.forwarding,
    weight,
    upperThreshold: rs.upperThreshold,
    lowerThreshold: rs.lowerThreshold,
  };
  if (rs.forwarding === 'tun' && rs.tunnel) {
    d.tunType = rs.tunnel.type;
    if (rs.tunnel.port !== undefined) d.tunPort = rs.tunnel.port;
    // IP_VS_TUNNEL_ENCAP_FLAG_CSUM 1, _REMCSUM 2
    if (rs.tunnel.checksum !== undefined) d.tunFlags = rs.tunnel.checksum === 'csum' ? 1 : 2;
  }
  return normalizeDest(d);
}

/** keepalived gives the sorry server weight 1. */
export const SORRY_WEIGHT = 1;

export function sorryDestOf(s: SorryServer, weight: number): IpvsDest {
  return normalizeDest({
    family: ipFamily(s.address) ?? 4,
    address: s.address,
    port: s.port,
    forwarding: s.forwarding,
    weight,
    upperThreshold: 0,
    lowerThreshold: 0,
  });
}

/**
 * One quorum decision. `healthy`: weights counted up now; `possible`: that plus unknown
 * servers at their configured weight. `previous` undefined = first evaluation.
 */
export function nextQuorumUp(
  q: QuorumSettings,
  previous: boolean | undefined,
  healthy: number,
  possible: number,
): boolean {
  if (previous === undefined) return possible > 0 && possible >= q.quorum;
  if (previous) return !(possible === 0 || possible < q.quorum - q.hysteresis);
  return healthy > 0 && healthy >= q.quorum + q.hysteresis;
}

/**
 * The desired table. `current` is the last kernel dump (empty when unknown or no IPVS),
 * `previousQuorum` the quorum state per VirtualServer.key from the last pass.
 */
export function desiredTable(
  virtualServers: readonly VirtualServer[],
  health: HealthOf,
  current: IpvsTable = new Map(),
  previousQuorum: ReadonlyMap<string, boolean> = new Map(),
): DesiredState {
  const table: IpvsTable = new Map();
  const pending = new Set<string>();
  const outcomes = new Map<string, VirtualServerOutcome>();

  for (const vs of virtualServers) {
    const service = serviceOf(vs);
    const sk = serviceKey(service);
    const have = current.get(sk)?.dests;
    const dests = new Map<string, IpvsDest>();
    const rsOut: VirtualServerOutcome['realServers'] = new Map();
    let healthy = 0;
    let possible = 0;

    // First the health-only view, then quorum decides whether the sorry server replaces it.
    type Plan = { rs: RealServer; dk: string; health: RealServerHealth; dest?: IpvsDest; pending: boolean };
    const plans: Plan[] = [];
    for (const rs of vs.realServers) {
      const h: RealServerHealth = rs.check === undefined ? 'up' : health(vs.key, rs.key);
      const dk = destKey(destOf(rs));
      const inKernel = have?.get(dk);
      const plan: Plan = { rs, dk, health: h, pending: false };
      if (h === 'up') {
        plan.dest = destOf(rs);
        healthy += rs.weight;
        possible += rs.weight;
      } else if (h === 'down') {
        if (rs.inhibitOnFailure) plan.dest = destOf(rs, 0);
      } else if (inKernel) {
        // unknown, present: keep it exactly as the kernel has it (reconcile skips pending)
        plan.dest = { ...inKernel };
        plan.pending = true;
        healthy += inKernel.weight;
        possible += inKernel.weight;
      } else {
        possible += rs.weight;
        if (rs.inhibitOnFailure) plan.dest = destOf(rs, 0);
      }
      plans.push(plan);
    }

    const quorumUp = nextQuorumUp(vs, previousQuorum.get(vs.key), healthy, possible);
    const sorry = vs.sorryServer;
    const sorryActive = !quorumUp && sorry !== undefined;

    for (const p of plans) {
      let dest = p.dest;
      let isPending = p.pending;
      if (sorryActive) {
        // the sorry server takes every new connection; live servers keep their
        // established ones at weight 0 (see the header), failed ones stay out
        dest = dest ? { ...dest, weight: 0 } : undefined;
        isPending = false;
      }
      if (dest) dests.set(p.dk, dest);
      if (isPending) pending.add(realServerKey(sk, p.dk));
      rsOut.set(p.rs.key, { health: p.health, inTable: dest !== undefined, pending: isPending });
    }

    if (sorry) {
      const weight = sorryActive ? SORRY_WEIGHT : sorry.inhibit ? 0 : undefined;
      if (weight !== undefined) {
        const d = sorryDestOf(sorry, weight);
        const dk = destKey(d);
        // a real server with the same address:port wins while the quorum is up
        if (sorryActive || !dests.has(dk)) {
          dests.set(dk, d);
          pending.delete(realServerKey(sk, dk));
        }
      }
    }

    table.set(sk, { service, dests });
    outcomes.set(vs.key, {
      key: vs.key,
      serviceKey: sk,
      quorumUp,
      healthyWeight: healthy,
      possibleWeight: possible,
      sorryActive,
      realServers: rsOut,
    });
  }
  return { table, pending, virtualServers: outcomes };
}
