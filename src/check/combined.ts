// Several checks, one health: a real server with several checks (keepalived: several
// checkers in one real_server) is up while every one of its checks is up. Each check keeps
// its own probe, schedule and hysteresis in the check manager; this wrapper folds the
// parts of a group into one health and reports changes of that, under the group's id.
//
// A spec's `group` names its group (absent: its own id). The combined state:
//   any part down → down;  every part up → up;  otherwise unknown.
// A group of one part whose id is the group's is passed through unchanged (the common case
// costs nothing and looks exactly as before).

import type { HealthStateName } from './hysteresis.js';
import type {
  CheckManager,
  CheckManagerOptions,
  CheckSnapshot,
  CheckSpec,
  ProbeSpec,
  SetResult,
} from './manager.js';
import type { ProbeResult } from './probe.js';

/** A CheckSpec that may be one of several checks of one target. */
export type GroupedCheckSpec = CheckSpec & {
  /** the id the combined health is reported under; absent: the spec's own id */
  group?: string;
};

export interface GroupedCheckManager extends Omit<CheckManager, 'set'> {
  set(checks: readonly GroupedCheckSpec[]): SetResult;
}

export interface GroupedCheckManagerOptions extends CheckManagerOptions {
  /** every result with the kind of the check that produced it (instead of onResult) */
  onTypedResult?(targetId: string, type: ProbeSpec['type'], result: ProbeResult): void;
}

export function combineStates(states: readonly HealthStateName[]): HealthStateName {
  if (states.some((s) => s === 'down')) return 'down';
  if (states.length > 0 && states.every((s) => s === 'up')) return 'up';
  return 'unknown';
}

/** Wraps a check manager factory so that grouped specs report one health per group. */
export function withCombinedHealth(
  make: (opts: CheckManagerOptions) => CheckManager,
): (opts: GroupedCheckManagerOptions) => GroupedCheckManager {
  return (opts) => {
    /** part id → group id */
    const groupOf = new Map<string, string>();
    /** group id → part ids, in spec order */
    const parts = new Map<string, string[]>();
    /** group id → the combined state last reported (multi-part groups only) */
    const reported = new Map<string, HealthStateName>();
    /** part id → its probe's kind */
    const typeOf = new Map<string, ProbeSpec['type']>();

    const passThrough = (g: string): boolean => {
      const ps = parts.get(g);
      return ps !== undefined && ps.length === 1 && ps[0] === g;
    };

    const { onTypedResult, ...rest } = opts;
    const inner = make({
      ...rest,
      onChange(id, t, result) {
        const g = groupOf.get(id) ?? id;
        if (passThrough(g) || !parts.has(g)) {
          opts.onChange(g, t, result);
          return;
        }
        const now = combined(g);
        const before = reported.get(g) ?? 'unknown';
        if (now === before) return;
        reported.set(g, now);
        opts.onChange(g, { from: before, to: now, reason: `${t.reason} (${id})` }, result);
      },
      ...(onTypedResult
        ? {
            onResult(id: string, r: ProbeResult) {
              onTypedResult(groupOf.get(id) ?? id, typeOf.get(id) ?? 'tcp', r);
            },
          }
        : opts.onResult
          ? {
              onResult(id: string, r: ProbeResult) {
                opts.onResult!(groupOf.get(id) ?? id, r);
              },
            }
          : {}),
    });

    function combined(g: string): HealthStateName {
      const states = (parts.get(g) ?? []).map((p) => inner.get(p)?.state ?? 'unknown');
      return combineStates(states);
    }

    function snapOf(g: string): CheckSnapshot | undefined {
      const ps = parts.get(g);
      if (!ps) return undefined;
      if (passThrough(g)) return inner.get(g);
      const snaps = ps.map((p) => inner.get(p)).filter((s): s is CheckSnapshot => s !== undefined);
      if (snaps.length === 0) return undefined;
      const state = combineStates(snaps.map((s) => s.state));
      // the last result shown: a failing part's if any, else the most recent
      const byTime = [...snaps].sort((a, b) => (b.lastCheckAt ?? -1) - (a.lastCheckAt ?? -1));
      const shown = byTime.find((s) => s.lastResult && !s.lastResult.ok) ?? byTime[0]!;
      const out: CheckSnapshot = {
        id: g,
        type: snaps[0]!.type,
        state,
        consecutiveOk: Math.min(...snaps.map((s) => s.consecutiveOk)),
        consecutiveFail: Math.max(...snaps.map((s) => s.consecutiveFail)),
        checks: snaps.reduce((n, s) => n + s.checks, 0),
        failures: snaps.reduce((n, s) => n + s.failures, 0),
        transitions: snaps.reduce((n, s) => n + s.transitions, 0),
      };
      const notRun = snaps.reduce((n, s) => n + (s.notRun ?? 0), 0);
      if (notRun) out.notRun = notRun;
      if (snaps.every((s) => s.suspended)) out.suspended = true;
      if (shown.lastResult) out.lastResult = shown.lastResult;
      if (shown.lastLatencyMs !== undefined) out.lastLatencyMs = shown.lastLatencyMs;
      if (byTime[0]!.lastCheckAt !== undefined) out.lastCheckAt = byTime[0]!.lastCheckAt;
      const changes = snaps.map((s) => s.lastChangeAt).filter((x): x is number => x !== undefined);
      if (changes.length) out.lastChangeAt = Math.max(...changes);
      return out;
    }

    return {
      set(checks) {
        groupOf.clear();
        parts.clear();
        typeOf.clear();
        const specs: CheckSpec[] = [];
        for (const c of checks) {
          const { group, ...spec } = c;
          const g = group ?? c.id;
          groupOf.set(c.id, g);
          typeOf.set(c.id, c.probe.type);
          const list = parts.get(g);
          if (list) list.push(c.id);
          else parts.set(g, [c.id]);
          specs.push(spec);
        }
        const res = inner.set(specs);
        // a reload may add or drop parts: the state reported next starts from what is now
        for (const g of [...reported.keys()]) if (!parts.has(g) || passThrough(g)) reported.delete(g);
        for (const g of parts.keys()) if (!passThrough(g)) reported.set(g, combined(g));
        return res;
      },
      snapshot() {
        return [...parts.keys()].map(snapOf).filter((s): s is CheckSnapshot => s !== undefined);
      },
      get: snapOf,
      stop() {
        inner.stop();
      },
    };
  };
}
