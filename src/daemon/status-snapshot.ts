// Builds the control socket's status document (src/control/snapshot.ts) from the
// engine's, the checkers' and the LVS controller's own views. Pure.
import type { Config } from '../config/model.js';
import {
  type AnnounceStatus,
  type InstanceStatus,
  type IpvsStatus,
  type ReloadCounts,
  type ReloadOutcome,
  SNAPSHOT_VERSION,
  type Snapshot,
  type TrackFileStatus,
  type TrackProcessStatus,
  type VirtualServerStatus,
  type VrrpScriptStatus,
} from '../control/snapshot.js';
import type { EngineSnapshot } from '../vrrp/engine.js';
import { deriveGroupState } from '../vrrp/sync-group-state.js';

export interface SnapshotInputs {
  config: Config;
  engine: EngineSnapshot;
  /** present VIPs as "dev/address" */
  presentVips: Set<string>;
  links: Map<string, boolean>;
  lvs: { virtualServers: VirtualServerStatus[]; ipvs: IpvsStatus | null };
  /** announced addresses; null or absent: none */
  announce?: AnnounceStatus | null;
  scripts: VrrpScriptStatus[];
  trackFiles?: TrackFileStatus[];
  trackProcesses?: TrackProcessStatus[];
  daemon: {
    pid: number;
    softwareVersion: string;
    startedAt: Date;
    uptimeS: number;
    configFile: string;
    configLoadedAt: Date;
    lastReload: ReloadOutcome | null;
    reloads: ReloadCounts;
  };
  /** converts an engine monotonic ms to wall time */
  monoToDate: (ms: number) => Date;
}

export function buildSnapshot(i: SnapshotInputs): Snapshot {
  const groupOf = new Map<string, string>();
  for (const g of i.config.vrrpSyncGroups) for (const n of g.instances) groupOf.set(n, g.name);
  const byName = new Map(i.config.vrrpInstances.map((c) => [c.name, c]));
  const instances: InstanceStatus[] = i.engine.instances.map((e) => {
    const cfg = byName.get(e.name);
    return {
      name: e.name,
      interface: e.interface,
      vrid: e.vrid,
      version: e.version,
      family: e.family,
      state: e.state,
      priority: e.priority,
      effectivePriority: e.effectivePriority,
      advertIntervalCs: Math.round((cfg?.advertIntervalMs ?? 1000) / 10),
      masterAddress: e.state === 'master' ? e.primaryAddress : e.masterAddress,
      masterPriority: e.state === 'master' ? e.effectivePriority : e.masterPriority,
      primaryAddress: e.primaryAddress,
      ifIndex: i.engine.ifIndexes?.[e.interface] ?? null,
      since: i.monoToDate(e.sinceMs).toISOString(),
      lastTransitionReason: e.lastTransitionReason,
      syncGroup: groupOf.get(e.name) ?? null,
      vips: e.vips.map((v) => ({
        address: v.address,
        prefixLength: v.prefixLength,
        device: v.dev,
        present: i.presentVips.has(`${v.dev}/${v.address}`),
      })),
      trackedInterfaces: (cfg?.trackInterfaces ?? []).map((t) => ({
        interface: t.interface,
        up: i.links.get(t.interface) ?? false,
        weight: t.weight,
        ...(t.reverse ? { reverse: true } : {}),
      })),
      trackedScripts: (cfg?.trackScripts ?? []).map((t) => t.name),
      counters: {
        advertsSent: e.counters.advertsSent,
        advertsReceived: e.counters.advertsReceived,
        transitions: e.counters.transitions,
        becameMaster: e.counters.becameMaster,
        priorityZeroReceived: e.counters.priorityZeroReceived,
        priorityZeroSent: e.counters.priorityZeroSent,
        addressListMismatch: e.counters.addressListMismatch,
        drops: { ...e.counters.drops },
      },
      ...(e.routing ? { routing: e.routing } : {}),
    };
  });
  const globalDrops: Record<string, number> = {};
  for (const drops of Object.values(i.engine.interfaceDrops)) {
    for (const [k, n] of Object.entries(drops)) globalDrops[k] = (globalDrops[k] ?? 0) + n;
  }
  const stateOf = new Map(instances.map((x) => [x.name, x.state]));
  return {
    version: SNAPSHOT_VERSION,
    generatedAt: new Date().toISOString(),
    daemon: {
      pid: i.daemon.pid,
      softwareVersion: i.daemon.softwareVersion,
      startedAt: i.daemon.startedAt.toISOString(),
      uptimeS: Math.floor(i.daemon.uptimeS),
      configFile: i.daemon.configFile,
      configLoadedAt: i.daemon.configLoadedAt.toISOString(),
      routerId: i.config.global.routerId,
      lastReload: i.daemon.lastReload,
      reloads: { ...i.daemon.reloads },
    },
    instances,
    syncGroups: i.config.vrrpSyncGroups.map((g) => ({
      name: g.name,
      instances: [...g.instances],
      // The notify hooks' rule (sync-group-state.ts); while members are still moving, the
      // first member's state.
      state:
        deriveGroupState(g.instances.map((n) => stateOf.get(n))) ??
        stateOf.get(g.instances[0] ?? '') ??
        'init',
    })),
    globalDrops,
    vrrpScripts: i.scripts,
    ...(i.trackFiles?.length ? { trackFiles: i.trackFiles } : {}),
    ...(i.trackProcesses?.length ? { trackProcesses: i.trackProcesses } : {}),
    virtualServers: i.lvs.virtualServers,
    ipvs: i.lvs.ipvs,
    ...(i.announce ? { announce: i.announce } : {}),
    ...(i.engine.acceptFilter
      ? {
          acceptFilter: {
            table: i.engine.acceptFilter.table,
            drops: i.engine.acceptFilter.drops.map((d) => ({ instance: d.instance, address: d.address })),
            error: i.engine.acceptFilter.error,
          },
        }
      : {}),
  };
}
