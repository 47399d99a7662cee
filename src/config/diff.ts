// What a reload changes: instances by name, virtual servers by key, and so on, split into
// one slice per part of the daemon. An "unchanged" instance keeps its state and timers
// across the reload (no flap).
import type { Config } from './model.js';

export interface SetDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
  readonly unchanged: readonly string[];
}

/** Structural equality of plain data (the model has no cycles, dates or maps). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) =>
      Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

function diffBy<T>(oldItems: readonly T[], newItems: readonly T[], id: (t: T) => string): SetDiff {
  const before = new Map(oldItems.map((t) => [id(t), t]));
  const after = new Map(newItems.map((t) => [id(t), t]));
  const added: string[] = [];
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const [k, t] of after) {
    const o = before.get(k);
    if (o === undefined) added.push(k);
    else if (deepEqual(o, t)) unchanged.push(k);
    else changed.push(k);
  }
  const removed = [...before.keys()].filter((k) => !after.has(k));
  return { added, removed, changed, unchanged };
}

/** The VRRP engine's slice: instances by name (unchanged ones keep state and timers). */
export interface VrrpSlice {
  readonly instances: SetDiff;
  /** the notify hooks follow sync groups (vrrp/notify.ts) */
  readonly syncGroups: SetDiff;
}

/** The vrrp_scripts' slice (run on the check machinery, vrrp/track-scripts.ts). */
export interface TrackScriptsSlice {
  readonly vrrpScripts: SetDiff;
  /** global.script_user: the user of every script without its own */
  readonly scriptUserChanged: boolean;
}

/** The LVS controller's slice: virtual servers by key, and what their checks depend on. */
export interface LvsSlice {
  readonly virtualServers: SetDiff;
  /** global.script_user: the user of script checks */
  readonly scriptUserChanged: boolean;
  readonly syncDaemonChanged: boolean;
  readonly timeoutsChanged: boolean;
}

/** Global settings applied in place: the logger's level and its router id binding. */
export interface GlobalSlice {
  readonly logLevelChanged: boolean;
  readonly routerIdChanged: boolean;
}

/** The control plane's slice: where the control socket and /metrics listen. */
export interface ControlSlice {
  /** control_socket or control_group */
  readonly socketChanged: boolean;
  readonly metricsChanged: boolean;
  /** global.snmp: the AgentX subagent's socket or traps */
  readonly snmpChanged: boolean;
}

/**
 * What a reload changes, computed once (ARCHITECTURE rule 12); each part of the daemon
 * receives its slice and applies only that.
 */
export interface ConfigDiff {
  readonly vrrp: VrrpSlice;
  readonly trackScripts: TrackScriptsSlice;
  readonly lvs: LvsSlice;
  readonly global: GlobalSlice;
  readonly control: ControlSlice;
}

/** True when the set has an added, removed or changed member. */
export function setChanged(d: SetDiff): boolean {
  return d.added.length > 0 || d.removed.length > 0 || d.changed.length > 0;
}

export function diffConfig(oldCfg: Config, newCfg: Config): ConfigDiff {
  const g0 = oldCfg.global;
  const g1 = newCfg.global;
  const scriptUserChanged = g0.scriptUser !== g1.scriptUser || g0.scriptGroup !== g1.scriptGroup;
  return {
    vrrp: {
      instances: diffBy(oldCfg.vrrpInstances, newCfg.vrrpInstances, (i) => i.name),
      syncGroups: diffBy(oldCfg.vrrpSyncGroups, newCfg.vrrpSyncGroups, (g) => g.name),
    },
    trackScripts: {
      vrrpScripts: diffBy(
        Object.values(oldCfg.vrrpScripts),
        Object.values(newCfg.vrrpScripts),
        (s) => s.name,
      ),
      scriptUserChanged,
    },
    lvs: {
      virtualServers: diffBy(oldCfg.virtualServers, newCfg.virtualServers, (v) => v.key),
      scriptUserChanged,
      syncDaemonChanged: !deepEqual(oldCfg.lvsSyncDaemon, newCfg.lvsSyncDaemon),
      timeoutsChanged: !deepEqual(oldCfg.lvsTimeouts, newCfg.lvsTimeouts),
    },
    global: {
      logLevelChanged: g0.logLevel !== g1.logLevel,
      routerIdChanged: g0.routerId !== g1.routerId,
    },
    control: {
      socketChanged: g0.controlSocket !== g1.controlSocket || g0.controlGroup !== g1.controlGroup,
      metricsChanged: !deepEqual(g0.metricsListen, g1.metricsListen),
      snmpChanged: !deepEqual(g0.snmp, g1.snmp),
    },
  };
}
