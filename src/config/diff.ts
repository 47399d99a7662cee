// What a reload changes: instances by name, virtual servers by key. An instance that is
// "unchanged" keeps its state and timers across the reload (no flap).
import type { Config } from './model.js';

export interface SetDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
  readonly unchanged: readonly string[];
}

export interface ConfigDiff {
  readonly instances: SetDiff;
  readonly virtualServers: SetDiff;
  readonly vrrpScripts: SetDiff;
  readonly syncGroups: SetDiff;
  readonly globalChanged: boolean;
  readonly lvsSyncDaemonChanged: boolean;
  readonly lvsTimeoutsChanged: boolean;
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

export function diffConfig(oldCfg: Config, newCfg: Config): ConfigDiff {
  return {
    instances: diffBy(oldCfg.vrrpInstances, newCfg.vrrpInstances, (i) => i.name),
    virtualServers: diffBy(oldCfg.virtualServers, newCfg.virtualServers, (v) => v.key),
    vrrpScripts: diffBy(Object.values(oldCfg.vrrpScripts), Object.values(newCfg.vrrpScripts), (s) => s.name),
    syncGroups: diffBy(oldCfg.vrrpSyncGroups, newCfg.vrrpSyncGroups, (g) => g.name),
    globalChanged: !deepEqual(oldCfg.global, newCfg.global),
    lvsSyncDaemonChanged: !deepEqual(oldCfg.lvsSyncDaemon, newCfg.lvsSyncDaemon),
    lvsTimeoutsChanged: !deepEqual(oldCfg.lvsTimeouts, newCfg.lvsTimeouts),
  };
}
