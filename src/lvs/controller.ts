// The LVS controller: config + health → desired IPVS table → the kernel, reconciled
// (ARCHITECTURE rule 5). It owns the real-server checks, the quorum scripts, the notify
// scripts, lvs_timeouts and the connection-sync daemon, and never flushes anything.
//
// Passes run one at a time. The controller keeps the table it last read and wrote
// (`kernel`): a health change or a reload recomputes only the virtual servers it touched,
// diffs them against that table and sends only the messages needed, with no dump (a
// quick pass). The whole table is read at start (a full pass: dump, diff, apply), again
// after anything failed (the kept table may be wrong then), and by the heal: every
// PERIOD_MS it walks the owned services HEAL_SLICE at a time, its steps spread over the
// period, each reading and repairing only its slice, so that a hand-made change heals and
// a health change waits at most one step, even at 100,000 real servers. Requests are debounced (DEBOUNCE_MS: a
// burst of health changes makes one pass) and a request while a pass runs schedules
// exactly one more. start() and setConfig() run a pass and resolve when it is done.
//
// Failures never throw out of here: a refused op, a missing scheduler module, no IPVS
// in the kernel are logged in the IPVS client's operator words and shown in
// snapshot().ipvs.lastError; checks keep running so the status stays useful.

import {
  type GroupedCheckManager,
  type GroupedCheckManagerOptions,
  withCombinedHealth,
} from '../check/combined.js';
import {
  type CheckManager,
  type CheckManagerOptions,
  type CheckSnapshot,
  createCheckManager,
} from '../check/manager.js';
import type { ProbeResult } from '../check/probe.js';
import { type Clock, monotonicClock } from '../clock.js';
import { type LvsSlice, setChanged } from '../config/diff.js';
import type { Config, RealServer, VirtualServer } from '../config/model.js';
import type { IpvsStatus, VirtualServerStatus } from '../control/snapshot.js';
import type { IcmpEcho, LocalAddresses, ScriptRunner, TcpConnector } from '../effects/types.js';
import { infoAsDebug, type Log, logHealthChange } from '../log.js';
import { startMark } from '../start-marks.js';
import { applyOpsInPlace, type OpFailure } from './apply.js';
import { type CheckTarget, checkId, checkSpecsOf, checksOf } from './check-specs.js';
import { type DesiredState, desiredTable, type RealServerHealth, serviceOf, statusKey } from './desired.js';
import { HookScripts, notifyIdentity, quorumIdentity } from './hook-scripts.js';
import { applyTimeouts, hasTimeouts, type LvsIpvsClient, reconcileSyncDaemon } from './kernel-settings.js';
import { type IpvsService, type IpvsTable, serviceKey } from './model.js';
import type { OwnershipStore } from './ownership.js';
import { configuredServiceKeys, OwnershipTracker } from './ownership-tracker.js';
import { quorumTransitions } from './quorum.js';
import { describeOp, type IpvsOp, reconcile } from './reconcile.js';
import { virtualServerStatuses } from './status.js';

export type { LvsIpvsClient } from './kernel-settings.js';

export interface LvsControllerDeps {
  /**
   * A client (the caller owns it) or a factory (the controller closes what it made; it
   * calls it again at the next pass when IPVS was not available). The daemon hands in
   * the netlink client's factory.
   */
  ipvs: LvsIpvsClient | (() => Promise<LvsIpvsClient>);
  /** runs notify_up/notify_down and the quorum scripts, and script checks */
  runner: ScriptRunner;
  checks?: (opts: CheckManagerOptions) => CheckManager;
  /** connect-only attempts for plain TCP checks (the addon's prober); absent: net.Socket */
  tcpConnector?: TcpConnector | null;
  /** ICMP/ICMPv6 echo for ping checks (the addon's raw sockets); absent: ping checks fail */
  icmpEcho?: IcmpEcho | null;
  /**
   * The host's addresses, for ha_suspend: opened when a virtual server first has ha_suspend
   * (resolving once the present ones are known). Absent: checks are never suspended.
   */
  localAddresses?: () => Promise<LocalAddresses>;
  /**
   * Where the record of owned services lives (OWNERSHIP.md rule 4); null or absent: none.
   * The daemon hands in the file store (global.state_file) with the real IPVS client: a
   * record describes the kernel's table, not a fake one.
   */
  ownership?: OwnershipStore | null;
  /** monotonic clock and timers (tests: a fake one) */
  clock?: Clock;
  /** wall-clock ms for ISO times in the status; default Date.now */
  wallClock?: () => number;
  debounceMs?: number;
  periodMs?: number;
  /** after each pass, with its decisions (the announcer follows them) */
  onOutcome?: (config: Config, desired: DesiredState) => void;
  /** real-server health and quorum changes, in order (notify FIFOs, e-mail alerts) */
  onEvent?: (e: LvsEvent) => void;
  /** every probe result, for the check latency histogram */
  onCheckResult?: (o: {
    virtualServer: string;
    realServer: string;
    type: string;
    durationS: number;
    ok: boolean;
  }) => void;
}

/** A change as keepalived's notify FIFO and e-mail alerts report it. */
export type LvsEvent =
  | { kind: 'rs'; vs: VirtualServer; rs: RealServer; up: boolean; reason: string }
  | { kind: 'vs'; vs: VirtualServer; up: boolean; detail: string };

export const DEBOUNCE_MS = 20;
export const PERIOD_MS = 10_000;
/** Services read and repaired per step of the periodic heal (see the header)... */
export const HEAL_SLICE = 50;
/** ...or fewer, so that a step reads about this many real servers at most. */
export const HEAL_REAL_SERVERS = 1000;
/** More ops than this in one pass are logged as a count, not one line each. */
const OPS_LOGGED_ONE_BY_ONE = 50;

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class LvsController {
  private config: Config;
  private readonly log: Log;
  private readonly deps: LvsControllerDeps;
  private readonly clock: Clock;
  private readonly wall: () => number;
  private readonly hooks: HookScripts;
  private readonly checks: GroupedCheckManager;
  private targets = new Map<string, CheckTarget>();

  private client: LvsIpvsClient | null = null;
  private ownsClient = false;
  private available: boolean | null = null;
  /** the kernel's table as last read, plus every op applied since */
  private kernel: IpvsTable = new Map();
  /** false: `kernel` may be wrong (never read, or an op failed); the next pass reads it all */
  private kernelKnown = false;
  private desired: DesiredState | null = null;
  /** VirtualServer.key of those a quick pass must recompute (health change, reload) */
  private readonly dirty = new Set<string>();
  /** service keys the running heal cycle has still to read, or null between cycles */
  private healQueue: string[] | null = null;
  private healTimer: unknown = null;
  /** time between two heal steps: the cycle spread over the period */
  private healGapMs = 0;
  /** errors of the running heal cycle, reported when it ends */
  private healErrors: string[] = [];
  /** the next pass reads the whole table */
  private fullDue = true;
  /** check id by `${vs.key} ${rs.key}` */
  private checkIds = new Map<string, string>();
  /** check id → the virtual servers whose health it decides (several for a group) */
  private servicesOf = new Map<string, string[]>();
  private readonly quorum = new Map<string, boolean>();
  /** services a reload dropped: deleted at the next pass (OWNERSHIP.md rule 4) */
  private readonly retire = new Set<string>();
  /** the record of owned services across restarts (OWNERSHIP.md rule 4) */
  private readonly owned: OwnershipTracker;
  private timeoutsDue = false;
  private readonly instanceStates = new Map<string, string>();
  /** a sync daemon was configured at some point: vrrpd may stop what runs */
  private syncOwned = false;
  /** the host's addresses (ha_suspend), once a virtual server asked for them */
  private addrs: LocalAddresses | null = null;
  private addrsTried = false;
  /** VirtualServer.key of those whose checks ha_suspend suspends now */
  private suspended = new Set<string>();

  private lastReconcileAt: string | null = null;
  private lastReconcileOps = 0;
  private lastError: string | null = null;
  private lastLoggedError: string | null = null;
  private readonly healthSince = new Map<string, string>();
  private readonly lastResultAt = new Map<string, string>();
  private readonly startedAt: string;

  private started = false;
  private stopped = false;
  private chain: Promise<void> = Promise.resolve();
  private scheduled = false;
  private debounceTimer: unknown = null;
  private periodTimer: unknown = null;

  constructor(config: Config, log: Log, deps: LvsControllerDeps) {
    this.config = config;
    this.log = log;
    this.deps = deps;
    this.clock = deps.clock ?? monotonicClock;
    this.wall = deps.wallClock ?? Date.now;
    this.hooks = new HookScripts(deps.runner, log);
    this.startedAt = this.iso();
    this.owned = new OwnershipTracker(deps.ownership ?? null, log);
    const opts: GroupedCheckManagerOptions = {
      runner: deps.runner,
      tcpConnector: deps.tcpConnector ?? null,
      icmpEcho: deps.icmpEcho ?? null,
      onChange: (id, t) => this.onHealthChange(id, t.from, t.to, t.reason),
      onResult: (id, r) => this.onResult(id, r),
      // the kind of the check that produced the result (a real server may have several)
      onTypedResult: (id, type, r) => this.onResult(id, r, type),
      // the manager's own transition line would repeat our health-change line
      logger: infoAsDebug(log),
    };
    if (deps.clock) opts.clock = deps.clock;
    // several checks of one real server report one health (src/check/combined.ts)
    this.checks = withCombinedHealth(deps.checks ?? createCheckManager)(opts);
  }

  /** Starts checks and runs the first pass (kernel-present servers keep their place). */
  async start(): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    await this.ensureAddresses(this.config);
    if (this.stopped) return;
    this.setChecks(this.config);
    this.timeoutsDue = hasTimeouts(this.config);
    await this.exclusive(() => this.pass());
    this.armPeriodic();
  }

  /**
   * Reload, with the LVS slice of the reload's diff: the checks are set again only when a
   * virtual server or the script user changed (the manager keeps the state of every check
   * whose spec stayed the same); a removed virtual service is deleted at the next pass;
   * then one pass (which also heals hand-made changes and re-applies lvs_timeouts).
   */
  async setConfig(config: Config, slice: LvsSlice): Promise<void> {
    if (this.stopped) return;
    await this.ensureAddresses(config);
    if (this.stopped) return;
    const vs = slice.virtualServers;
    // a service gone from the config: its up real servers' notify_down and its quorum_down
    // run, as keepalived does (a group's real servers only when the whole group is gone);
    // judged on the health before its checks go
    const stillGrouped = new Set(config.virtualServers.map((v) => v.group).filter((x) => x !== undefined));
    const gone = this.config.virtualServers.filter(
      (v) => vs.removed.includes(v.key) && (v.group === undefined || !stillGrouped.has(v.group)),
    );
    if (this.started && gone.length > 0) void this.downHooks(gone, false);
    if (this.started && (setChanged(vs) || slice.scriptUserChanged)) this.setChecks(config);
    const removed = new Set(vs.removed);
    for (const v of this.config.virtualServers)
      if (removed.has(v.key)) this.retire.add(serviceKey(serviceOf(v)));
    for (const v of config.virtualServers) this.retire.delete(serviceKey(serviceOf(v)));
    for (const k of vs.removed) this.quorum.delete(k);
    for (const k of [...vs.added, ...vs.changed, ...vs.removed]) this.dirty.add(k);
    this.config = config;
    this.timeoutsDue = hasTimeouts(config);
    this.owned.markWriteDue();
    if (this.started) await this.exclusive(() => this.pass());
  }

  /**
   * VRRP state of an instance. The sync daemon follows lvs_sync_daemon.instance as
   * keepalived does: master → MASTER (BACKUP stopped), anything else → BACKUP.
   */
  instanceStateChanged(instance: string, state: string): void {
    const before = this.syncRole();
    this.instanceStates.set(instance, state);
    if (this.config.lvsSyncDaemon?.instance === instance && this.syncRole() !== before) this.request();
  }

  snapshot(): { virtualServers: VirtualServerStatus[]; ipvs: IpvsStatus | null } {
    const checks = new Map<string, CheckSnapshot>(this.checks.snapshot().map((s) => [s.id, s]));
    const virtualServers = virtualServerStatuses({
      config: this.config,
      desired: this.desired,
      kernel: this.kernel,
      checks,
      lastResultAt: this.lastResultAt,
      healthSince: this.healthSince,
      startedAt: this.startedAt,
      suspended: this.suspended,
    });
    const ipvs: IpvsStatus | null = this.needsIpvs()
      ? {
          available: this.available === true,
          lastReconcileAt: this.lastReconcileAt,
          lastReconcileOps: this.lastReconcileOps,
          lastError: this.lastError,
        }
      : null;
    return { virtualServers, ipvs };
  }

  /**
   * Stops checks and timers. The IPVS table stays as it is: a restart loses no connection.
   * Virtual servers with omega get their down hooks first (keepalived omega: notify_down
   * of each up real server, then quorum_down); the promise settles when those have ended.
   */
  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const omega = this.started ? this.config.virtualServers.filter((v) => v.omega) : [];
    const hooks = omega.length > 0 ? this.downHooks(omega, true) : Promise.resolve();
    this.stopped = true;
    if (this.debounceTimer !== null) this.clock.clearTimer(this.debounceTimer);
    if (this.periodTimer !== null) this.clock.clearTimer(this.periodTimer);
    if (this.healTimer !== null) this.clock.clearTimer(this.healTimer);
    this.debounceTimer = this.periodTimer = this.healTimer = null;
    this.healQueue = null;
    this.checks.stop();
    this.addrs?.close();
    this.addrs = null;
    const client = this.client;
    if (client && this.ownsClient) void this.chain.finally(() => client.close?.());
    this.client = null;
    return hooks;
  }

  /**
   * keepalived's hooks for services going away: notify_down of every real server that is
   * up (once per real server of a group), then quorum_down: at shutdown (omega) always,
   * when a reload removes the service only if its quorum was up.
   */
  private downHooks(vss: readonly VirtualServer[], shutdown: boolean): Promise<void> {
    const health = this.healthOf();
    const runs: Promise<void>[] = [];
    const notified = new Set<string>();
    const g = this.config.global;
    for (const vs of vss) {
      for (const rs of vs.realServers) {
        const id = checkId(vs, rs);
        if (notified.has(id)) continue;
        notified.add(id);
        const up = rs.check === undefined || health(vs.key, rs.key) === 'up';
        if (up && rs.notifyDown)
          runs.push(this.hooks.runToEnd(g, rs.notifyDown, `notify_down of ${rs.key}`, notifyIdentity(rs)));
      }
      const quorumWasUp = this.quorum.get(vs.key) === true;
      if (vs.quorumDown && (shutdown || quorumWasUp))
        runs.push(
          this.hooks.runToEnd(g, vs.quorumDown, `quorum_down of ${statusKey(vs)}`, quorumIdentity(vs)),
        );
    }
    return Promise.all(runs).then(() => undefined);
  }

  // ---------------------------------------------------------------- scheduling

  private exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.chain.then(fn).catch((e: unknown) => {
      this.log.error({ event: 'ipvs-error', err: errText(e) }, `LVS reconcile failed: ${errText(e)}`);
    });
    this.chain = run;
    return run;
  }

  private request(): void {
    if (!this.started || this.stopped || this.scheduled) return;
    this.scheduled = true;
    this.debounceTimer = this.clock.setTimer(() => {
      this.debounceTimer = null;
      void this.exclusive(async () => {
        // cleared when the pass starts: a request during the pass schedules one more
        this.scheduled = false;
        await this.pass();
      });
    }, this.deps.debounceMs ?? DEBOUNCE_MS);
  }

  private armPeriodic(): void {
    if (this.stopped) return;
    this.periodTimer = this.clock.setTimer(() => {
      this.periodTimer = null;
      this.startHeal();
      this.armPeriodic();
    }, this.deps.periodMs ?? PERIOD_MS);
  }

  /**
   * One heal cycle: the owned services, HEAL_SLICE per step, each step its own turn on
   * the chain (a pass requested meanwhile runs between two steps). Without a kept table,
   * or with a client that cannot read single services, one full pass instead.
   */
  private startHeal(): void {
    if (this.stopped || this.healQueue !== null) return;
    if (!this.kernelKnown || !this.client?.dumpOnly || !this.desired) {
      this.fullDue = true;
      this.request();
      return;
    }
    this.healQueue = [...new Set([...this.desired.table.keys(), ...this.retire])];
    // the steps are spread over the period: the heal's work never comes in one lump
    let reals = 0;
    for (const e of this.desired.table.values()) reals += e.dests.size;
    const steps = Math.max(
      Math.ceil(this.healQueue.length / HEAL_SLICE),
      Math.ceil(reals / HEAL_REAL_SERVERS),
    );
    this.healGapMs = Math.floor((this.deps.periodMs ?? PERIOD_MS) / (steps + 1));
    this.healStep();
  }

  /** The next step's services off the queue: HEAL_SLICE, or fewer holding HEAL_REAL_SERVERS. */
  private healSliceOf(queue: string[]): string[] {
    let n = 0;
    let reals = 0;
    while (n < queue.length && n < HEAL_SLICE) {
      reals += this.desired?.table.get(queue[n]!)?.dests.size ?? 0;
      n++;
      if (reals >= HEAL_REAL_SERVERS) break;
    }
    return queue.splice(0, Math.max(n, 1));
  }

  private healStep(): void {
    this.healTimer = null;
    void this.exclusive(async () => {
      const queue = this.healQueue;
      if (!queue || this.stopped) return;
      const slice = this.healSliceOf(queue);
      if (this.kernelKnown) await this.healSlice(slice);
      if (queue.length === 0 || !this.kernelKnown) {
        this.healQueue = null;
        if (!this.kernelKnown) this.request();
        else if (this.client) await this.finishPass(this.client, this.healErrors);
        this.healErrors = [];
        return;
      }
      // a timer, not a loop: passes queued meanwhile take their turn first
      this.healTimer = this.clock.setTimer(() => this.healStep(), this.healGapMs);
    });
  }

  // ---------------------------------------------------------------- health

  // ---------------------------------------------------------------- ha_suspend

  /** Opens the address watch when a virtual server first has ha_suspend. */
  private async ensureAddresses(config: Config): Promise<void> {
    const open = this.deps.localAddresses;
    if (this.addrs || this.addrsTried || !open || !config.virtualServers.some((v) => v.haSuspend)) return;
    this.addrsTried = true;
    try {
      const a = await open();
      if (this.stopped) {
        a.close();
        return;
      }
      this.addrs = a;
      a.onChange(() => this.addressesChanged());
    } catch (e) {
      this.log.error(
        { event: 'ha-suspend-unavailable', err: errText(e) },
        `ha_suspend: the host's addresses cannot be watched (${errText(e)}); checks run as if every virtual address were local`,
      );
    }
  }

  /** The virtual servers whose checks are suspended: ha_suspend and the address not here. */
  private suspendedOf(config: Config): Set<string> {
    const out = new Set<string>();
    const addrs = this.addrs;
    if (!addrs) return out;
    for (const v of config.virtualServers)
      if (v.haSuspend && v.address !== undefined && !addrs.has(v.address)) out.add(v.key);
    return out;
  }

  private addressesChanged(): void {
    if (!this.started || this.stopped) return;
    const next = this.suspendedOf(this.config);
    if (next.size === this.suspended.size && [...next].every((k) => this.suspended.has(k))) return;
    // the manager keeps each check's state: only the suspended flag of its spec changes
    this.setChecks(this.config);
  }

  private logSuspension(before: ReadonlySet<string>, after: ReadonlySet<string>, config: Config): void {
    for (const v of config.virtualServers) {
      const was = before.has(v.key);
      const is = after.has(v.key);
      if (was === is) continue;
      const f = { virtualServer: statusKey(v), address: v.address };
      if (is)
        this.log.info(
          { event: 'checks-suspended', ...f },
          `${statusKey(v)}: checks suspended: ${v.address} is not a local address (ha_suspend); the real servers keep their last health`,
        );
      else
        this.log.info(
          { event: 'checks-resumed', ...f },
          `${statusKey(v)}: checks resumed: ${v.haSuspend ? `${v.address} is a local address again` : 'ha_suspend is off'}`,
        );
    }
  }

  private setChecks(config: Config): void {
    const suspended = this.suspendedOf(config);
    this.logSuspension(this.suspended, suspended, config);
    this.suspended = suspended;
    const { specs, targets } = checkSpecsOf(config, suspended);
    this.checks.set(specs);
    this.targets = targets;
    // (virtual server, real server) → its check's id; a group's services share one check
    this.checkIds = new Map();
    this.servicesOf = new Map();
    for (const vs of config.virtualServers)
      for (const rs of vs.realServers) {
        if (checksOf(rs).length === 0) continue;
        const id = checkId(vs, rs);
        this.checkIds.set(`${vs.key} ${rs.key}`, id);
        const list = this.servicesOf.get(id);
        if (list) list.push(vs.key);
        else this.servicesOf.set(id, [vs.key]);
      }
    for (const id of [...this.healthSince.keys()]) if (!targets.has(id)) this.healthSince.delete(id);
    for (const id of [...this.lastResultAt.keys()]) if (!targets.has(id)) this.lastResultAt.delete(id);
  }

  private onResult(id: string, r: ProbeResult, checkType?: string): void {
    this.lastResultAt.set(id, this.iso());
    const t = this.targets.get(id);
    if (t && this.deps.onCheckResult) {
      this.deps.onCheckResult({
        virtualServer: statusKey(t.vs),
        realServer: t.rs.key,
        type: checkType ?? t.rs.check?.type ?? 'none',
        durationS: r.latencyMs / 1000,
        ok: r.ok,
      });
    }
  }

  private onHealthChange(id: string, from: string, to: string, reason: string): void {
    const t = this.targets.get(id);
    if (!t || this.stopped) return;
    this.healthSince.set(id, this.iso());
    logHealthChange(this.log, { virtualServer: statusKey(t.vs), realServer: t.rs.key, from, to, reason });
    // notify_up when a known-down server comes back; an unknown one was presumed in
    // service (keepalived starts real servers up), so its first pass is no news.
    if (to === 'up' && from === 'down' && t.rs.notifyUp)
      this.hooks.run(this.config.global, t.rs.notifyUp, `notify_up of ${t.rs.key}`, notifyIdentity(t.rs));
    if (to === 'down' && t.rs.notifyDown)
      this.hooks.run(this.config.global, t.rs.notifyDown, `notify_down of ${t.rs.key}`, notifyIdentity(t.rs));
    if ((to === 'up' && from === 'down') || to === 'down')
      this.deps.onEvent?.({ kind: 'rs', vs: t.vs, rs: t.rs, up: to === 'up', reason });
    // a group's services share the check: each of them is recomputed
    for (const k of this.servicesOf.get(id) ?? [t.vs.key]) this.dirty.add(k);
    this.request();
  }

  /** Health by pair, read from the check manager one real server at a time. */
  private healthOf(): (vsKey: string, rsKey: string) => RealServerHealth {
    return (vsKey, rsKey) => {
      const id = this.checkIds.get(`${vsKey} ${rsKey}`);
      return ((id !== undefined ? this.checks.get(id)?.state : undefined) ?? 'unknown') as RealServerHealth;
    };
  }

  // ---------------------------------------------------------------- the pass

  private needsIpvs(): boolean {
    return (
      this.config.virtualServers.length > 0 ||
      this.config.lvsSyncDaemon !== undefined ||
      this.retire.size > 0 ||
      this.syncOwned ||
      // the record of the last run may list services to delete (the daemon starts this
      // controller for that alone when no virtual server is left in the config)
      this.owned.recordPending
    );
  }

  private async ensureClient(): Promise<LvsIpvsClient | null> {
    if (this.client) return this.client;
    if (!this.needsIpvs()) return null;
    const dep = this.deps.ipvs;
    try {
      if (typeof dep === 'object') {
        this.client = dep;
      } else {
        this.client = await dep();
        this.ownsClient = true;
      }
      if (this.available === false) this.log.info({ event: 'ipvs-available' }, 'IPVS is available now');
      this.available = true;
      return this.client;
    } catch (e) {
      const msg = errText(e);
      if (this.available !== false) {
        this.log.error(
          { event: 'ipvs-unavailable', err: msg, code: (e as { code?: string }).code },
          `IPVS is not available (${msg}); real servers are still checked but the IPVS table is not managed`,
        );
      }
      this.available = false;
      this.lastError = msg;
      this.lastLoggedError = msg;
      return null;
    }
  }

  private async pass(): Promise<void> {
    if (this.stopped) return;
    const client = await this.ensureClient();
    if (client && this.kernelKnown && !this.fullDue && this.desired) await this.quickPass(client);
    else await this.fullPass(client);
  }

  /** Dump, diff, apply: at start, and whenever the kept table may be wrong. */
  private async fullPass(client: LvsIpvsClient | null): Promise<void> {
    const t0 = this.clock.now();
    const errors: string[] = [];
    this.fullDue = false;
    this.dirty.clear();
    let current: IpvsTable | null = null;
    let tDump = t0;
    if (client) {
      await this.timeouts(client, errors);
      try {
        current = await client.dump();
        startMark('ipvs-dumped');
      } catch (e) {
        errors.push(`reading the IPVS table failed: ${errText(e)}`);
      }
      tDump = this.clock.now();
    }
    if (this.stopped) return;

    const desired = desiredTable(
      this.config.virtualServers,
      this.healthOf(),
      current ?? this.kernel,
      this.quorum,
    );
    this.desired = desired;
    quorumTransitions(this.config, desired, this.quorum, this.log, this.hooks, (vs, up, detail) =>
      this.deps.onEvent?.({ kind: 'vs', vs, up, detail }),
    );
    this.deps.onOutcome?.(this.config, desired);

    if (client && current) {
      const path = this.config.global.stateFile;
      const configured = configuredServiceKeys(this.config);
      for (const k of await this.owned.staleAtStart(path, configured, current)) this.retire.add(k);
      const ops = reconcile(desired.table, current, { pending: desired.pending, retire: this.retire });
      this.kernel = current;
      this.kernelKnown = true;
      startMark('ipvs-ops-ready');
      await this.send(client, ops, errors);
      startMark('ipvs-applied');
      this.log.debug(
        {
          event: 'ipvs-reconcile',
          kind: 'full',
          ops: ops.length,
          dumpMs: Math.round(tDump - t0),
          applyMs: Math.round(this.clock.now() - tDump),
        },
        `IPVS pass: ${ops.length} ops`,
      );
    } else {
      this.kernelKnown = false;
      if (!client) this.kernel = new Map();
    }
    if (client) await this.finishPass(client, errors);
  }

  /**
   * A health change or a reload: only the virtual servers it touched are recomputed and
   * diffed against the kept table, and only their messages are sent; nothing is read.
   */
  private async quickPass(client: LvsIpvsClient): Promise<void> {
    const t0 = this.clock.now();
    const errors: string[] = [];
    await this.timeouts(client, errors);
    const keys = new Set(this.dirty);
    this.dirty.clear();
    const vss = keys.size > 0 ? this.config.virtualServers.filter((v) => keys.has(v.key)) : [];
    const part = desiredTable(vss, this.healthOf(), this.kernel, this.quorum);
    this.mergeDesired(part, keys);
    quorumTransitions(this.config, part, this.quorum, this.log, this.hooks, (vs, up, detail) =>
      this.deps.onEvent?.({ kind: 'vs', vs, up, detail }),
    );
    // the announcer judges every announced address: it gets the whole merged state
    if (this.desired) this.deps.onOutcome?.(this.config, this.desired);
    const ops = reconcile(part.table, this.kernel, { pending: part.pending, retire: this.retire });
    await this.send(client, ops, errors);
    this.log.debug(
      {
        event: 'ipvs-reconcile',
        kind: 'quick',
        virtualServers: vss.length,
        ops: ops.length,
        ms: Math.round(this.clock.now() - t0),
      },
      `IPVS pass: ${ops.length} ops`,
    );
    await this.finishPass(client, errors);
    // an op failed: the kept table may be wrong; read it all next time
    if (!this.kernelKnown) this.request();
  }

  /** One heal step: read the slice's services, repair them, keep what was read. */
  private async healSlice(keys: readonly string[]): Promise<void> {
    const client = this.client;
    const desired = this.desired;
    if (!client?.dumpOnly || !desired || this.stopped) return;
    const t0 = this.clock.now();
    const services: IpvsService[] = [];
    for (const k of keys) {
      const s = desired.table.get(k)?.service ?? this.kernel.get(k)?.service;
      if (s) services.push(s);
    }
    let current: IpvsTable;
    try {
      current = await client.dumpOnly(services);
    } catch (e) {
      this.healErrors.push(`reading the IPVS table failed: ${errText(e)}`);
      this.kernelKnown = false;
      return;
    }
    if (this.stopped) return;
    const inSlice = new Set(keys);
    const vss = this.config.virtualServers.filter((v) => {
      const sk = desired.virtualServers.get(v.key)?.serviceKey;
      return sk !== undefined && inSlice.has(sk);
    });
    const part = desiredTable(vss, this.healthOf(), current, this.quorum);
    this.mergeDesired(part, new Set(vss.map((v) => v.key)));
    quorumTransitions(this.config, part, this.quorum, this.log, this.hooks, (vs, up, detail) =>
      this.deps.onEvent?.({ kind: 'vs', vs, up, detail }),
    );
    // the announcer judges every announced address: it gets the whole merged state
    if (this.desired) this.deps.onOutcome?.(this.config, this.desired);
    const retire = keys.filter((k) => this.retire.has(k));
    const ops = reconcile(part.table, current, { pending: part.pending, retire });
    for (const k of keys) {
      const e = current.get(k);
      if (e) this.kernel.set(k, e);
      else this.kernel.delete(k);
    }
    await this.send(client, ops, this.healErrors);
    this.log.debug(
      {
        event: 'ipvs-reconcile',
        kind: 'heal',
        services: services.length,
        ops: ops.length,
        ms: Math.round(this.clock.now() - t0),
      },
      `IPVS heal step: ${ops.length} ops`,
    );
  }

  /** Puts a partial desired state (the virtual servers `keys`) into the whole one. */
  private mergeDesired(part: DesiredState, keys: ReadonlySet<string>): void {
    const d = this.desired;
    if (!d) return;
    const gone = new Set<string>();
    for (const k of keys) {
      const old = d.virtualServers.get(k);
      if (!old) continue;
      d.table.delete(old.serviceKey);
      d.virtualServers.delete(k);
      gone.add(old.serviceKey);
    }
    if (gone.size > 0)
      for (const p of d.pending) if (gone.has(p.slice(0, p.indexOf('/')))) d.pending.delete(p);
    for (const [k, o] of part.virtualServers) d.virtualServers.set(k, o);
    for (const [sk, e] of part.table) d.table.set(sk, e);
    for (const p of part.pending) d.pending.add(p);
  }

  private async timeouts(client: LvsIpvsClient, errors: string[]): Promise<void> {
    if (!this.timeoutsDue) return;
    this.timeoutsDue = false;
    await applyTimeouts(client, this.config.lvsTimeouts, this.log).catch((e: unknown) =>
      errors.push(errText(e)),
    );
  }

  /**
   * Sends `ops` and brings the kept table (`this.kernel`) along with what succeeded; a
   * failure (or a table that disagrees with the ops) marks it unknown.
   */
  private async send(client: LvsIpvsClient, ops: readonly IpvsOp[], errors: string[]): Promise<void> {
    let failures: OpFailure[] = [];
    if (ops.length > 0) {
      try {
        failures = (await client.applyAll(ops)).failures;
      } catch (e) {
        failures = ops.map((op) => ({ op, error: e as Error }));
      }
    }
    const failed = new Set(failures.map((f) => f.op));
    const done = failed.size > 0 ? ops.filter((op) => !failed.has(op)) : ops;
    this.logOps(done);
    this.owned.noteDone(done, this.config.global.stateFile);
    for (const f of failures.slice(0, 20)) errors.push(f.error.message);
    if (failures.length > 20) errors.push(`and ${failures.length - 20} more failed operations`);
    if (!applyOpsInPlace(this.kernel, done) || failures.length > 0) this.kernelKnown = false;
    for (const k of [...this.retire]) if (!this.kernel.has(k)) this.retire.delete(k);
    this.lastReconcileAt = this.iso();
    this.lastReconcileOps = done.length;
  }

  /** After the table: the ownership record, the sync daemon, the error state. */
  private async finishPass(client: LvsIpvsClient, errors: string[]): Promise<void> {
    const path = this.config.global.stateFile;
    await this.owned.save(path, configuredServiceKeys(this.config), this.retire);
    await this.syncDaemon(client).catch((e: unknown) => errors.push(errText(e)));
    this.setError(errors, true);
  }

  private setError(errors: string[], haveClient: boolean): void {
    if (!haveClient) return; // ensureClient reported it
    const text = errors.length > 0 ? errors.join('; ') : null;
    this.lastError = text;
    if (text !== null && text !== this.lastLoggedError) {
      this.log.error({ event: 'ipvs-error', errors }, `IPVS: ${text}`);
    } else if (text === null && this.lastLoggedError !== null) {
      this.log.info({ event: 'ipvs-ok' }, 'IPVS table reconciled without errors again');
    }
    this.lastLoggedError = text;
  }

  private logOps(ops: readonly IpvsOp[]): void {
    if (ops.length > OPS_LOGGED_ONE_BY_ONE) {
      this.log.info({ event: 'ipvs-change', ops: ops.length }, `IPVS: applied ${ops.length} changes`);
      return;
    }
    for (const op of ops) this.log.info({ event: 'ipvs-change', op: op.op }, `IPVS: ${describeOp(op)}`);
  }

  private syncRole(): 'master' | 'backup' {
    const sd = this.config.lvsSyncDaemon;
    return sd && this.instanceStates.get(sd.instance) === 'master' ? 'master' : 'backup';
  }

  private async syncDaemon(client: LvsIpvsClient): Promise<void> {
    const want = this.config.lvsSyncDaemon;
    if (!want && !this.syncOwned) return;
    this.syncOwned = await reconcileSyncDaemon(client, want, this.syncRole(), this.log);
  }

  private iso(): string {
    return new Date(this.wall()).toISOString();
  }
}
