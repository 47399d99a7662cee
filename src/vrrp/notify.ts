// Runs the notify hooks (master/backup/fault/stop and the catch-all `any`) of VRRP
// instances and of sync groups on state changes. Hooks of one instance or one group run in
// order, one at a time, each killed at its timeout; a failing or hung hook is logged and
// never delays VRRP (it runs in the main thread, the engine is in its worker).

import { type SetDiff, setChanged } from '../config/diff.js';
import { type Config, type Notify, scriptIdentityOf } from '../config/model.js';
import type { ScriptRunner } from '../effects/types.js';
import type { Log } from '../log.js';
import { SyncGroupStates } from './sync-group-state.js';

type Hook = 'master' | 'backup' | 'fault' | 'stop';

/** Whose hook runs: log fields, env and the queue key follow from it. */
interface Subject {
  readonly kind: 'instance' | 'group';
  readonly name: string;
}

/** A state change as keepalived's notify FIFO and e-mail alerts report it. */
export interface VrrpNotifyEvent {
  readonly kind: 'instance' | 'group';
  readonly name: string;
  readonly state: Hook;
  /** the instance's priority; 0 for a group (as keepalived writes it) */
  readonly priority: number;
}

const isHook = (s: string): s is Hook => s === 'master' || s === 'backup' || s === 'fault' || s === 'stop';

export class NotifyRunner {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly groups: SyncGroupStates;

  constructor(
    private config: Config,
    private readonly log: Log,
    private readonly runner: ScriptRunner,
    /** every instance and group state change, in order (notify FIFOs, e-mail alerts) */
    private readonly onEvent?: (e: VrrpNotifyEvent) => void,
  ) {
    this.groups = new SyncGroupStates(config.vrrpSyncGroups);
  }

  /** Reload, with the sync groups' slice of the reload's diff. */
  setConfig(config: Config, syncGroups: SetDiff): void {
    this.config = config;
    if (setChanged(syncGroups)) this.groups.setGroups(config.vrrpSyncGroups);
  }

  /** An instance changed state: its own hooks, then those of its sync group if the group moved. */
  stateChanged(instance: string, state: string): void {
    // 'stop' is the daemon shutting down, not a state the member is in
    const moves = state !== 'stop' ? this.groups.memberChanged(instance, state) : [];
    if (this.onEvent) {
      // keepalived reports a group's first state before its member's, every later one after it
      for (const t of moves) if (t.from === null) this.groupEvent(t.group, t.to);
      const i = isHook(state) ? this.config.vrrpInstances.find((x) => x.name === instance) : undefined;
      if (i && isHook(state)) this.onEvent({ kind: 'instance', name: instance, state, priority: i.priority });
      for (const t of moves) if (t.from !== null) this.groupEvent(t.group, t.to);
    }
    for (const t of moves) this.groupStateChanged(t.group, t.to);
    if (!isHook(state)) return;
    const inst = this.config.vrrpInstances.find((i) => i.name === instance);
    if (!inst) return;
    // keepalived's `notify`: every transition, with INSTANCE NAME STATE PRIORITY appended
    this.enqueue({ kind: 'instance', name: instance }, state, inst.notify, [
      'INSTANCE',
      instance,
      state.toUpperCase(),
      String(inst.priority),
    ]);
  }

  /** Shutdown: the 'stop' hooks of every group that had reached a state. */
  groupsStopped(): void {
    for (const [group] of this.groups.known()) {
      this.groupEvent(group, 'stop');
      this.groupStateChanged(group, 'stop');
    }
  }

  private groupEvent(group: string, state: Hook): void {
    if (this.onEvent && this.config.vrrpSyncGroups.some((x) => x.name === group))
      this.onEvent({ kind: 'group', name: group, state, priority: 0 });
  }

  private groupStateChanged(group: string, state: Hook): void {
    const g = this.config.vrrpSyncGroups.find((x) => x.name === group);
    if (!g) return;
    // keepalived gives a group's `notify` GROUP NAME STATE: a group has no priority
    this.enqueue({ kind: 'group', name: group }, state, g.notify, ['GROUP', group, state.toUpperCase()]);
  }

  private enqueue(who: Subject, state: Hook, notify: Notify, anyArgs: readonly string[]): void {
    const hooks: [string, readonly string[]][] = [];
    const own = notify[state];
    if (own && own.length > 0) hooks.push([state, own]);
    const any = notify.any;
    if (any && any.length > 0) hooks.push(['any', [...any, ...anyArgs]]);
    // instance and group names may coincide: the queue key keeps the kind
    const key = `${who.kind}:${who.name}`;
    for (const [hook, argv] of hooks) {
      const prev = this.queues.get(key) ?? Promise.resolve();
      // the runner never throws, but a rejection here would be unhandled and end the daemon
      const next = prev
        .then(() => this.runHook(who, hook, state, argv, notify))
        .catch((err: unknown) =>
          this.log.warn({ event: 'notify', [who.kind]: who.name, hook, err: String(err) }, 'notify failed'),
        );
      this.queues.set(key, next);
    }
  }

  private async runHook(
    who: Subject,
    hook: string,
    state: string,
    argv: readonly string[],
    notify: Notify,
  ): Promise<void> {
    const res = await this.runner.run(argv, {
      timeoutMs: this.config.global.notifyTimeoutMs,
      ...scriptIdentityOf(notify, this.config.global),
      env:
        who.kind === 'instance'
          ? { VRRPD_INSTANCE: who.name, VRRPD_STATE: state }
          : { VRRPD_GROUP: who.name, VRRPD_STATE: state },
    });
    const fields = {
      event: 'notify',
      [who.kind]: who.name,
      hook,
      argv,
      code: res.code,
      signal: res.signal,
      timedOut: res.timedOut,
      output: res.output,
    };
    const what = who.kind === 'group' ? `group ${who.name}` : who.name;
    if (res.code === 0) this.log.info(fields, `notify ${hook} for ${what} done`);
    else this.log.warn(fields, `notify ${hook} for ${what} failed`);
  }

  /** Waits (bounded) for queued hooks, used at shutdown so 'stop' hooks run. */
  async drain(timeoutMs: number): Promise<void> {
    await Promise.race([
      Promise.allSettled([...this.queues.values()]),
      new Promise((r) => setTimeout(r, timeoutMs)),
    ]);
  }
}
