// The state of a VRRP sync group, derived from its members' states, and the group
// transitions that the group's notify hooks follow. Pure: no clock, no I/O.
//
// The rule (what a keepalived operator sees from a vrrp_sync_group):
//   - FAULT  as soon as any member is in FAULT (the group cannot serve with one member down);
//   - MASTER once every member is MASTER;
//   - BACKUP once every member is BACKUP;
//   - otherwise (members still moving, e.g. one already MASTER and the other about to be
//     forced there by the engine, or a member in INIT after a reload restart) the group
//     keeps the state it had: no transition, so no hook.
// A group transition happens when the derived state differs from the last one, so the
// hooks run once per group transition, never once per member.

export type GroupState = 'master' | 'backup' | 'fault';

export interface SyncGroupDef {
  readonly name: string;
  readonly instances: readonly string[];
}

export interface GroupTransition {
  readonly group: string;
  /** null: the group had no state yet (daemon start, or a group new after a reload) */
  readonly from: GroupState | null;
  readonly to: GroupState;
}

/** The group's state from its members' states (undefined = no state known); null = undecided. */
export function deriveGroupState(members: readonly (string | undefined)[]): GroupState | null {
  if (members.length === 0) return null;
  if (members.includes('fault')) return 'fault';
  if (members.every((s) => s === 'master')) return 'master';
  if (members.every((s) => s === 'backup')) return 'backup';
  return null;
}

/** Keeps the members' last states and each group's last derived state. */
export class SyncGroupStates {
  private readonly memberStates = new Map<string, string>();
  private readonly groupStates = new Map<string, GroupState>();
  private groups: readonly SyncGroupDef[];

  constructor(groups: readonly SyncGroupDef[]) {
    this.groups = groups;
  }

  /** Records a member's new state; returns the transitions of the group it belongs to. */
  memberChanged(instance: string, state: string): GroupTransition[] {
    this.memberStates.set(instance, state);
    const out: GroupTransition[] = [];
    for (const g of this.groups) {
      if (!g.instances.includes(instance)) continue;
      const to = this.derive(g);
      const from = this.groupStates.get(g.name) ?? null;
      if (to === null || to === from) continue;
      this.groupStates.set(g.name, to);
      out.push({ group: g.name, from, to });
    }
    return out;
  }

  /**
   * New group definitions (reload). A group that is new or whose members changed takes the
   * state its members are in now, silently: members that did not move report nothing, and
   * an operator's hook must not run for a reload that changed no router's role.
   */
  setGroups(groups: readonly SyncGroupDef[]): void {
    const before = new Map(this.groups.map((g) => [g.name, g.instances.join('\0')]));
    this.groups = groups;
    const names = new Set(groups.map((g) => g.name));
    for (const name of [...this.groupStates.keys()]) if (!names.has(name)) this.groupStates.delete(name);
    for (const g of groups) {
      if (before.get(g.name) === g.instances.join('\0')) continue;
      const now = this.derive(g);
      if (now === null) this.groupStates.delete(g.name);
      else this.groupStates.set(g.name, now);
    }
  }

  /** Groups that have a state, for their 'stop' hooks at shutdown. */
  known(): [string, GroupState][] {
    return [...this.groupStates];
  }

  state(group: string): GroupState | null {
    return this.groupStates.get(group) ?? null;
  }

  private derive(g: SyncGroupDef): GroupState | null {
    return deriveGroupState(g.instances.map((n) => this.memberStates.get(n)));
  }
}
