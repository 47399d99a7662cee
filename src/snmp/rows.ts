// What the VRRPv3-MIB needs beyond one status snapshot, remembered by the subagent between
// snapshots: why each instance last became master (from the daemon's state-change events),
// when it left Initialize, the last protocol error (from counters that moved between two
// snapshots) and when its counters were last reset (a discontinuity). Pure: time is passed in.
import type { InstanceStatus, Snapshot } from '../control/snapshot.js';
import {
  NewMasterReason,
  type NewMasterReasonValue,
  PROTO_ERROR_OF_DROP,
  ProtoErrReason,
  type ProtoErrReasonValue,
  type RowMemory,
} from './vrrpv3-mib.js';

export interface StateChange {
  instance: string;
  from: string;
  to: string;
  reason: string;
}

/**
 * The engine's reason for entering master (src/vrrp/fsm.ts) in RFC 6527 terms. The timer
 * and preemption map directly; the remaining ways in ('owner-startup', 'fault-cleared' and
 * 'reconfigure' of an address owner) are an owner taking over by its priority of 255.
 */
export function newMasterReasonOf(reason: string): NewMasterReasonValue {
  if (reason === 'master-down-timer') return NewMasterReason.masterNoResponse;
  if (reason === 'preempt') return NewMasterReason.preempted;
  return NewMasterReason.priority;
}

const SYNC_GROUP_REASON = 'sync-group';
const running = (state: string) => state === 'backup' || state === 'master';

/** A protocol error seen in the counters: one per kind and instance per observation. */
export interface ProtoErrorSeen {
  instance: InstanceStatus;
  reason: ProtoErrReasonValue;
}

function counterTotal(i: InstanceStatus): number {
  const c = i.counters;
  let n = c.advertsSent + c.advertsReceived + c.transitions + c.priorityZeroSent + c.addressListMismatch;
  for (const v of Object.values(c.drops)) n += v;
  return n;
}

export class Vrrpv3Rows {
  private readonly rows = new Map<string, RowMemory>();
  /** counters of the previous observation: protocol-error drops and a total that only grows */
  private readonly previous = new Map<string, { total: number; errors: Record<string, number> }>();
  /** the reason the last member of a sync group became master on its own */
  private readonly groupReason = new Map<string, NewMasterReasonValue>();
  private routerTotals: Record<string, number> | null = null;
  /** the next observation is the first since snmpd took us in: rows it finds are not new */
  private baseline = true;
  globalDiscontinuityTicks = 0;

  get memory(): ReadonlyMap<string, RowMemory> {
    return this.rows;
  }

  private row(name: string): RowMemory {
    let r = this.rows.get(name);
    if (!r) {
      r = {
        newMasterReason: NewMasterReason.notMaster,
        protoErrReason: ProtoErrReason.noError,
        upSinceMs: null,
        discontinuityTicks: 0,
      };
      this.rows.set(name, r);
    }
    return r;
  }

  /**
   * An instance changed state (the daemon's state-change event). Returns the
   * vrrpv3StatisticsNewMasterReason when it became master, null otherwise. A member forced
   * to master by its sync group takes the reason of the member that led the group there
   * (its event comes first).
   */
  stateChanged(ev: StateChange, nowMs: number, group: string | null): NewMasterReasonValue | null {
    const r = this.row(ev.instance);
    if (!running(ev.to)) r.upSinceMs = null;
    else if (!running(ev.from) || r.upSinceMs === null) r.upSinceMs = nowMs;
    if (ev.to !== 'master') return null;
    let reason: NewMasterReasonValue;
    if (ev.reason === SYNC_GROUP_REASON && group !== null)
      reason = this.groupReason.get(group) ?? NewMasterReason.priority;
    else {
      reason = newMasterReasonOf(ev.reason);
      if (group !== null) this.groupReason.set(group, reason);
    }
    r.newMasterReason = reason;
    return reason;
  }

  /** snmpd (re)started its management view of us: no discontinuity since then yet. */
  connected(): void {
    this.globalDiscontinuityTicks = 0;
    for (const r of this.rows.values()) r.discontinuityTicks = 0;
    this.baseline = true;
  }

  /**
   * Takes a new snapshot: notes counter resets (as discontinuities at sysUpTimeTicks, when
   * snmpd's sysUpTime is known) and returns the protocol errors counted since the last one.
   */
  observe(s: Snapshot, nowMs: number, sysUpTimeTicks: number | null): ProtoErrorSeen[] {
    const seen: ProtoErrorSeen[] = [];
    const names = new Set<string>();
    for (const i of s.instances) {
      names.add(i.name);
      const known = this.rows.has(i.name);
      const r = this.row(i.name);
      if (!known) {
        // first sight without events (not expected: the daemon reports every transition)
        if (running(i.state))
          r.upSinceMs = nowMs - Math.max(0, Date.parse(s.generatedAt) - Date.parse(i.since));
        if (i.state === 'master') r.newMasterReason = newMasterReasonOf(i.lastTransitionReason);
      }
      const total = counterTotal(i);
      const prev = this.previous.get(i.name);
      const errors: Record<string, number> = {};
      for (const [drop, reason] of Object.entries(PROTO_ERROR_OF_DROP)) {
        const n = i.counters.drops[drop] ?? 0;
        errors[drop] = n;
        if (prev && total >= prev.total && n > (prev.errors[drop] ?? 0)) {
          r.protoErrReason = reason;
          seen.push({ instance: i, reason });
        }
      }
      // a row created since snmpd took us in, or counters that went back (the instance
      // was re-created by a reload)
      const reset = prev ? total < prev.total : !this.baseline;
      if (reset && sysUpTimeTicks !== null) r.discontinuityTicks = sysUpTimeTicks;
      this.previous.set(i.name, { total, errors });
    }
    for (const name of [...this.rows.keys()]) {
      if (names.has(name)) continue;
      this.rows.delete(name);
      this.previous.delete(name);
    }
    const totals: Record<string, number> = {};
    for (const drop of ['checksum', 'version', 'vrid']) {
      totals[drop] =
        (s.globalDrops[drop] ?? 0) + s.instances.reduce((n, i) => n + (i.counters.drops[drop] ?? 0), 0);
      const before = this.routerTotals?.[drop];
      if (before !== undefined && totals[drop]! < before && sysUpTimeTicks !== null)
        this.globalDiscontinuityTicks = sysUpTimeTicks;
    }
    this.routerTotals = totals;
    if (sysUpTimeTicks !== null) this.baseline = false;
    return seen;
  }
}
