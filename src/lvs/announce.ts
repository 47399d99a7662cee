// Which addresses a director announces (BGP through FRR, by way of a kernel routing table
// FRR imports): decided from one pass's outcome. PURE: no clocks, no sockets.
//
// Rules (README "Beyond a pair"):
// - A virtual server with `announce` is healthy for it when:
//     any-up: at least one of its real servers is up;
//     quorum: its quorum holds (quorum.ts, with hysteresis) and, while some real servers
//             have no result yet, the weight of those known to be up reaches the quorum by
//             itself (a fresh start announces on results, never on optimism).
//   A real server without a check counts as up, as everywhere else.
// - An address is announced while every virtual server that announces it is healthy for
//   it: a director that cannot serve one of the address's announced services steps back
//   and the other directors take the flows. Services that should not hold the address
//   back leave `announce` out.
import type { VirtualServer } from '../config/model.js';
import type { IpFamily } from '../net/addr.js';
import { type DesiredState, statusKey } from './desired.js';

export interface ServiceVerdict {
  /** status key of the virtual server (tcp/192.0.2.10:80) */
  virtualServer: string;
  healthy: boolean;
  /** why, in words, for logs and status */
  reason: string;
}

export interface AddressDecision {
  address: string;
  family: IpFamily;
  announce: boolean;
  services: ServiceVerdict[];
}

function verdict(vs: VirtualServer, d: DesiredState): ServiceVerdict {
  const key = statusKey(vs);
  const o = d.virtualServers.get(vs.key);
  if (!o) return { virtualServer: key, healthy: false, reason: 'not evaluated yet' };
  let up = 0;
  let upWeight = 0;
  let unknown = 0;
  for (const rs of vs.realServers) {
    const h = o.realServers.get(rs.key)?.health;
    if (h === 'up') {
      up++;
      upWeight += rs.weight;
    } else if (h !== 'down') unknown++;
  }
  const total = vs.realServers.length;
  if (vs.announce?.when === 'any-up') {
    return up > 0
      ? { virtualServer: key, healthy: true, reason: `${up}/${total} real servers up` }
      : { virtualServer: key, healthy: false, reason: `no real server up (${unknown} without a result yet)` };
  }
  if (!o.quorumUp)
    return {
      virtualServer: key,
      healthy: false,
      reason: `quorum lost (healthy weight ${o.healthyWeight} < ${vs.quorum})`,
    };
  if (unknown > 0 && upWeight < vs.quorum)
    return {
      virtualServer: key,
      healthy: false,
      reason: `waiting for check results (${unknown} pending, weight up ${upWeight} < quorum ${vs.quorum})`,
    };
  return {
    virtualServer: key,
    healthy: true,
    reason: `quorum holds (weight up ${upWeight} >= ${vs.quorum})`,
  };
}

/** The addresses of announcing virtual servers, in config order, each with its verdict. */
export function announceDecisions(
  virtualServers: readonly VirtualServer[],
  d: DesiredState,
): AddressDecision[] {
  const byAddress = new Map<string, AddressDecision>();
  for (const vs of virtualServers) {
    if (!vs.announce) continue;
    const v = verdict(vs, d);
    let a = byAddress.get(vs.announce.address);
    if (!a) {
      a = { address: vs.announce.address, family: vs.announce.family, announce: true, services: [] };
      byAddress.set(vs.announce.address, a);
    }
    a.services.push(v);
    if (!v.healthy) a.announce = false;
  }
  return [...byAddress.values()];
}
