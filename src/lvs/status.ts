// The LVS half of the status snapshot (src/control/snapshot.ts shapes), built from the
// config, the last pass's decisions, the table as the kernel has it after that pass, and
// the check manager's snapshot. Pure.
import type { CheckSnapshot } from '../check/manager.js';
import type { Config } from '../config/model.js';
import type { CheckResult, RealServerStatus, VirtualServerStatus } from '../control/snapshot.js';
import { checkId } from './check-specs.js';
import { type DesiredState, destOf, serviceOf, sorryDestOf, statusKey } from './desired.js';
import { destKey, type IpvsTable, serviceKey } from './model.js';

export interface StatusInputs {
  config: Config;
  /** last pass's decisions; null before the first */
  desired: DesiredState | null;
  /** the kernel table after the last pass (empty without IPVS) */
  kernel: IpvsTable;
  checks: ReadonlyMap<string, CheckSnapshot>;
  /** wall-clock ISO time of each check's last result, by check id */
  lastResultAt: ReadonlyMap<string, string>;
  /** wall-clock ISO time of each check's last health change, by check id */
  healthSince: ReadonlyMap<string, string>;
  /** ISO time the controller started (healthSince of servers that never changed) */
  startedAt: string;
  /** VirtualServer.key of those whose checks ha_suspend suspends now */
  suspended?: ReadonlySet<string>;
}

function lastCheckOf(s: CheckSnapshot | undefined, at: string | undefined): CheckResult | null {
  const r = s?.lastResult;
  if (!r) return null;
  return { ok: r.ok, reason: r.ok ? 'ok' : r.reason, latencyMs: r.latencyMs, at: at ?? '' };
}

export function virtualServerStatuses(inp: StatusInputs): VirtualServerStatus[] {
  return inp.config.virtualServers.map((vs) => {
    const sk = serviceKey(serviceOf(vs));
    const entry = inp.kernel.get(sk);
    const outcome = inp.desired?.virtualServers.get(vs.key);
    const sorry = vs.sorryServer;
    const sorryInKernel = sorry ? entry?.dests.get(destKey(sorryDestOf(sorry, 1))) : undefined;
    const realServers: RealServerStatus[] = vs.realServers.map((rs) => {
      const id = checkId(vs, rs);
      const snap = rs.check ? inp.checks.get(id) : undefined;
      const inKernel = entry?.dests.get(destKey(destOf(rs)));
      return {
        address: rs.address,
        port: rs.port,
        weight: rs.weight,
        ipvsWeight: inKernel ? inKernel.weight : null,
        forwarding: rs.forwarding,
        health: rs.check ? (snap?.state ?? 'unknown') : 'up',
        healthSince: inp.healthSince.get(id) ?? inp.startedAt,
        inIpvs: inKernel !== undefined,
        checkType: rs.check?.type ?? null,
        lastCheck: lastCheckOf(snap, inp.lastResultAt.get(id)),
        checksOk: snap ? snap.checks - snap.failures : 0,
        checksFailed: snap?.failures ?? 0,
        ...(snap?.notRun ? { checksNotRun: snap.notRun } : {}),
      };
    });
    return {
      key: statusKey(vs),
      address: vs.fwmark !== undefined ? null : (vs.address ?? null),
      port: vs.fwmark !== undefined ? null : (vs.port ?? 0),
      fwmark: vs.fwmark ?? null,
      protocol: vs.protocol,
      family: vs.family,
      scheduler: vs.scheduler,
      forwarding: vs.forwarding,
      persistenceTimeoutS: vs.persistenceTimeoutS,
      quorum: vs.quorum,
      quorumUp: outcome?.quorumUp ?? true,
      sorryServer: sorry ? { address: sorry.address, port: sorry.port } : null,
      sorryActive: (outcome?.sorryActive ?? false) && (sorryInKernel?.weight ?? 0) > 0,
      inIpvs: entry !== undefined,
      ...(inp.suspended?.has(vs.key) ? { checksSuspended: true } : {}),
      realServers,
    };
  });
}
