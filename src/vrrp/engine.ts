// The VRRP engine: owns time for every instance (one timer, armed for the earliest
// deadline, ARCHITECTURE rule 3), demultiplexes received adverts to instances by
// interface/family/VRID, applies tracking and sync groups. It runs inside its own
// worker_thread in the daemon (rule 7); everything OS-facing is injected.
import type { Clock } from '../clock.js';
import { deepEqual, type SetDiff } from '../config/diff.js';
import type { Config, VrrpInstance } from '../config/model.js';
import type {
  AcceptDrop,
  AcceptFilter,
  AddressManager,
  AdvertTransport,
  Family,
  FrameSender,
  LinkEvent,
  LinkInfo,
  LinkWatcher,
  ReceivedPacket,
  RoutingManager,
} from '../effects/types.js';
import type { Log } from '../log.js';
import { formatMac, parseMac, virtualMac } from '../net/addr.js';
import { DeadlineHeap } from './deadline-heap.js';
import type { DropCounts, DropReason } from './drop-reason.js';
import type { VrrpState } from './fsm.js';
import { InstanceRuntime, type InstanceSnapshot, zeroCounters } from './instance.js';
import { judgeReceived, rxFilterTable } from './rx-filter.js';
import { fileEffect, processEffect } from './track-weights.js';
import { vmacAdvertSender, vmacName } from './vmac-sender.js';

/** What a reload did to the instances, by name (the reload's summary). */
export interface ReloadResult {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
}

export interface EngineEffects {
  clock: Clock;
  openTransport(opts: {
    family: Family;
    ifname: string;
    unicastSrc?: string;
    unicastPeers?: string[];
    /** unicast: TTL/hop limit of the adverts sent (keepalived unicast_ttl); default 255 */
    unicastTtl?: number;
  }): AdvertTransport;
  addresses: AddressManager;
  frames: FrameSender;
  links: LinkWatcher;
  /** Creates (or finds) the macvlan carrying the virtual MAC; returns its name. */
  ensureVmac?(parent: string, name: string, mac: string): Promise<unknown>;
  /** Hears adverts handed to a macvlan alone (src/effects/vmac-receiver.ts). */
  openVmacReceiver?(
    ifname: string,
    family: Family,
    onPacket: (pkt: ReceivedPacket) => void,
    onError: (err: Error) => void,
  ): { close(): void };
  removeVmac?(name: string): Promise<void>;
  /** Accept_Mode drops for non-owner masters with accept off (src/effects/accept-filter.ts) */
  acceptFilter?: AcceptFilter;
  /** where the engine's log lines go (the worker forwards them to the main thread's logger) */
  log: Log;
  /** the wall clock in ms since the epoch (auth_hmac stamps and windows); default Date.now */
  wallNow?: () => number;
  /** virtual_routes / virtual_rules through rtnetlink (src/effects/routing-manager.ts) */
  routing?: RoutingManager;
  onStateChange(ev: { instance: string; from: VrrpState; to: VrrpState; reason: string }): void;
  /** the instances failed to start after global.vrrp_startup_delay (as a failed start would) */
  onFatal?(err: unknown): void;
}

interface TransportEntry {
  key: string;
  transport: AdvertTransport;
  family: Family;
  ifname: string;
  byVrid: Map<number, InstanceRuntime>;
  drops: DropCounts;
}

export interface EngineSnapshot {
  instances: InstanceSnapshot[];
  syncGroups: { name: string; instances: string[] }[];
  interfaceDrops: Record<string, DropCounts>;
  /** interface name → up and running */
  links: Record<string, boolean>;
  /** interface name → kernel ifindex (the SNMP tables are indexed by it) */
  ifIndexes?: Record<string, number>;
  /** "dev/address" of every address present on the instances' VIP devices */
  presentAddresses: string[];
  /** the engine clock's now, to place sinceMs on the wall clock */
  now: number;
  /** RFC 5798 Accept_Mode: what the nftables table drops (absent: no filter effect) */
  acceptFilter?: { table: string; drops: AcceptDrop[]; error: string | null };
}

/** How far ahead of its deadline an advert may join another instance's wake-up: 2 % of its interval, at most 20 ms. */
const EARLY_ADVERT_MAX_MS = 20;
export function earlyAdvertMs(advertIntervalMs: number): number {
  return Math.min(EARLY_ADVERT_MAX_MS, advertIntervalMs * 0.02);
}

/** How long before a takeover deadline the precise timer starts polling (precise-timer.ts). */
const PRECISE_LEAD_MS = 3;

export class Engine {
  private readonly fx: EngineEffects;
  private cfg: Config;
  private readonly instances = new Map<string, InstanceRuntime>();
  private readonly transports = new Map<string, TransportEntry>();
  private links = new Map<string, LinkInfo>();
  private timer: unknown = null;
  /** when the armed timer fires (clock ms), at the latest */
  private timerAt: number | null = null;
  /** every instance's next deadline; an event re-reads only the instances it touched */
  private readonly deadlines = new DeadlineHeap<InstanceRuntime>();
  private scriptOk = new Map<string, boolean>();
  /** track_files: the number each file holds (absent: not read yet) */
  private fileValue = new Map<string, number>();
  /** track_processes: whether each has its quorum (absent: not counted yet) */
  private processQuorum = new Map<string, boolean>();
  private stopped = false;
  private readonly vmacReceivers = new Map<string, { close(): void }>();
  /** guards against sync-group forcing recursing through its own transitions */
  private syncing = false;
  /** Accept_Mode: the drops last asked of the filter (as JSON), the ones in place, the chain */
  private acceptWanted = 'unknown';
  private acceptInPlace: AcceptDrop[] = [];
  private acceptError: string | null = null;
  private acceptChain: Promise<void> = Promise.resolve();
  /**
   * Sync-group members whose takeover came due but was held because another member did
   * not want master yet (keepalived's wantstate MASTER); cleared by an advert that re-arms
   * their Master_Down_Timer and by any state change.
   */
  private readonly wantMaster = new Set<string>();
  /** global.vrrp_startup_delay: when the engine started, and the timer that ends the delay */
  private startedAt = 0;
  private delayTimer: unknown = null;
  /** true until the startup delay is over (the instances are not started yet) */
  private delayed = false;
  /**
   * global.dynamic_interfaces: instances waiting for their interface (absent, or present
   * without a usable address yet), and the ifindex each running instance was started on.
   */
  private readonly waiting = new Map<string, { inst: VrrpInstance; reason: string; since: number }>();
  private readonly startedOn = new Map<string, number>();
  /** instances being started again on a re-created interface: their 'init' is not reported */
  private readonly reattaching = new Set<string>();
  private attachChain: Promise<void> = Promise.resolve();

  constructor(cfg: Config, fx: EngineEffects) {
    this.cfg = cfg;
    this.fx = fx;
  }

  async start(): Promise<void> {
    for (const l of await this.fx.links.links()) this.links.set(l.name, l);
    this.fx.links.onEvent((ev) => this.onLinkEvent(ev));
    // a route or rule deleted by someone: every master puts its own back
    this.fx.routing?.onDeleted(() => {
      for (const r of this.instances.values()) r.routesDeleted();
    });
    // a table left by a run killed with SIGKILL goes before any instance starts
    await this.syncAcceptFilter();
    this.startedAt = this.fx.clock.now();
    const delayMs = this.cfg.global.vrrpStartupDelayMs;
    if (delayMs > 0) {
      // keepalived vrrp_startup_delay: no adverts sent, none heard, until the delay is over
      this.delayed = true;
      this.fx.log.info(
        { event: 'startup-delay', delayMs },
        `delaying the start of the VRRP instances for ${delayMs / 1000} s`,
      );
      this.armStartupDelay();
      return;
    }
    await this.startInstances();
  }

  private async startInstances(): Promise<void> {
    for (const inst of this.cfg.vrrpInstances) await this.addOrWait(inst);
    this.touchAll();
  }

  /** (Re-)arms the end of the startup delay for startedAt + the configured delay. */
  private armStartupDelay(): void {
    if (this.delayTimer !== null) this.fx.clock.clearTimer(this.delayTimer);
    this.delayTimer = null;
    const left = this.startedAt + this.cfg.global.vrrpStartupDelayMs - this.fx.clock.now();
    const end = () => {
      this.delayTimer = null;
      if (!this.delayed || this.stopped) return;
      this.delayed = false;
      this.fx.log.info({ event: 'startup-delay-over' }, 'startup delay over: starting the VRRP instances');
      this.attachChain = this.attachChain
        .then(() => this.startInstances())
        .catch((err: unknown) => {
          this.fx.log.error(
            { event: 'engine-start-failed', err: String(err) },
            `starting the VRRP instances failed: ${String(err)}`,
          );
          this.fx.onFatal?.(err);
        });
    };
    if (left <= 0) end();
    else this.delayTimer = this.fx.clock.setTimer(end, Math.ceil(left));
  }

  /**
   * Starts an instance; with global.dynamic_interfaces, one whose interface is absent (or
   * cannot be used yet) waits in FAULT for it instead of failing the start or the reload.
   */
  private async addOrWait(inst: VrrpInstance): Promise<void> {
    if (!this.cfg.global.dynamicInterfaces) return this.addInstance(inst);
    const link = this.links.get(inst.interface);
    let reason = `interface ${inst.interface} absent`;
    if (link) {
      try {
        await this.addInstance(inst);
        this.waiting.delete(inst.name);
        return;
      } catch (err) {
        reason = `interface ${inst.interface} not usable: ${String(err instanceof Error ? err.message : err)}`;
      }
    }
    const already = this.waiting.get(inst.name);
    this.waiting.set(inst.name, { inst, reason, since: already?.since ?? this.fx.clock.now() });
    if (already) return;
    this.fx.log.warn(
      { event: 'interface-wait', instance: inst.name, interface: inst.interface },
      `${inst.name}: ${reason}; waiting for it (dynamic_interfaces)`,
    );
    this.fx.onStateChange({ instance: inst.name, from: 'init', to: 'fault', reason });
  }

  /**
   * dynamic_interfaces: a link (or an address) appeared. Waiting instances on it start; instances
   * running on an interface of that name that was deleted and re-created (a new ifindex,
   * their sockets bound to the old one) are started again on the new one.
   */
  private linkAppeared(name: string): void {
    const waiting = [...this.waiting.values()].map((w) => w.inst).filter((i) => i.interface === name);
    const link = this.links.get(name);
    const stale = link
      ? [...this.instances.values()].filter(
          (r) => r.cfg.interface === name && this.startedOn.get(r.name) !== link.ifindex,
        )
      : [];
    if (waiting.length === 0 && stale.length === 0) return;
    this.attachChain = this.attachChain
      .then(async () => {
        if (this.stopped || this.delayed) return;
        const now = this.fx.clock.now();
        const again: VrrpInstance[] = [];
        for (const r of stale) {
          if (this.instances.get(r.name) !== r) continue;
          this.fx.log.info(
            { event: 'interface-recreated', instance: r.name, interface: name },
            `${r.name}: interface ${name} re-created; starting the instance on it again`,
          );
          this.reattaching.add(r.name);
          try {
            await this.removeInstance(r.name, now);
          } finally {
            this.reattaching.delete(r.name);
          }
          again.push(r.cfg);
        }
        for (const inst of [...waiting, ...again]) {
          const current = this.cfg.vrrpInstances.find((i) => i.name === inst.name);
          if (!current || this.instances.has(inst.name)) continue;
          await this.addOrWait(current);
        }
        this.touchAll();
      })
      .catch((err: unknown) =>
        this.fx.log.error(
          { event: 'interface-attach-failed', interface: name, err: String(err) },
          `starting instances on ${name} failed: ${String(err)}`,
        ),
      );
  }

  /**
   * RFC 5798 §6.4.3: a master that is not the address owner (priority 255) and has
   * accept off must not accept packets addressed to its VIPs. The filter is told the
   * whole list at each change, in order; the last list asked for is the one that stays.
   */
  private syncAcceptFilter(): Promise<void> {
    const filter = this.fx.acceptFilter;
    if (!filter) return Promise.resolve();
    const drops: AcceptDrop[] = [];
    if (!this.stopped) {
      for (const r of this.instances.values()) {
        if (r.state !== 'master' || r.cfg.accept || r.cfg.priority === 255) continue;
        for (const v of r.cfg.virtualIps)
          drops.push({ instance: r.name, family: v.family, address: v.address });
      }
    }
    const key = JSON.stringify(drops);
    if (key === this.acceptWanted) return this.acceptChain;
    this.acceptWanted = key;
    this.acceptChain = this.acceptChain
      .then(() => filter.apply(drops))
      .then(
        () => {
          this.acceptInPlace = drops;
          this.acceptError = null;
        },
        (err: unknown) => {
          this.acceptError = String(err instanceof Error ? err.message : err);
          this.fx.log.error(
            { event: 'accept-filter-failed', code: 'VRRP_ACCEPT_FILTER_FAILED', err: this.acceptError },
            `updating the nftables table ${filter.table} failed`,
          );
        },
      );
    return this.acceptChain;
  }

  private async primaryAddressOf(inst: VrrpInstance): Promise<string> {
    if (inst.unicastSrc) return inst.unicastSrc;
    // keepalived mcast_src_ip: the source of the multicast adverts, as configured
    if (inst.mcastSrc) return inst.mcastSrc;
    const vipSet = new Set(inst.virtualIps.map((v) => v.address));
    const addrs = (await this.fx.addresses.list(inst.interface)).filter(
      (a) => a.family === inst.family && !vipSet.has(a.address),
    );
    // RFC 5798 §5.1.2.1: IPv6 adverts come from the interface's link-local address.
    const pick = inst.family === 6 ? addrs.find((a) => a.address.startsWith('fe80:')) : addrs[0];
    if (!pick) {
      throw Object.assign(
        new Error(
          `instance ${inst.name}: interface ${inst.interface} has no ${inst.family === 6 ? 'IPv6 link-local' : 'IPv4'} address to send adverts from`,
        ),
        { code: 'VRRP_NO_PRIMARY_ADDRESS' },
      );
    }
    return pick.address;
  }

  private async addInstance(inst: VrrpInstance): Promise<void> {
    const now = this.fx.clock.now();
    let vipInterface = inst.interface;
    if (inst.useVmac && this.fx.ensureVmac) {
      vipInterface = vmacName(inst.family, inst.vrid);
      await this.fx.ensureVmac(inst.interface, vipInterface, formatMac(virtualMac(inst.family, inst.vrid)));
    }
    await this.removeLeftoverVips(inst, vipInterface);
    const primary = await this.primaryAddressOf(inst);
    const entry = this.transportFor(inst, inst.interface);
    // RFC 5798 §7.3: a use_vmac master's adverts carry the virtual MAC as Ethernet source,
    // so they are sent as whole frames on the macvlan; they are still heard on the parent.
    const viaVmac = inst.useVmac && vipInterface !== inst.interface && inst.unicastPeers.length === 0;
    const sender = viaVmac
      ? vmacAdvertSender(entry.transport, this.fx.frames, vipInterface, virtualMac(inst.family, inst.vrid))
      : entry.transport;
    if (viaVmac && this.fx.openVmacReceiver) {
      const receiver = this.fx.openVmacReceiver(
        vipInterface,
        inst.family,
        (pkt) => this.onPacket(entry, pkt),
        (err) =>
          this.fx.log.error({ instance: inst.name, err: String(err) }, 'VRRP socket error on the macvlan'),
      );
      this.vmacReceivers.set(inst.name, receiver);
    }
    const runtime = new InstanceRuntime(
      inst,
      primary,
      {
        transport: sender,
        addresses: this.fx.addresses,
        frames: this.fx.frames,
        vipInterface,
        announceMac: () =>
          inst.useVmac
            ? virtualMac(inst.family, inst.vrid)
            : parseMac(this.links.get(inst.interface)?.mac ?? ''),
        log: this.fx.log,
        onStateChange: (ev) => this.onStateChange(ev),
        now: () => this.fx.clock.now(),
        wake: () => this.touch(runtime),
        beforeVipsAdded: () => this.syncAcceptFilter(),
        ...(this.fx.wallNow ? { wallNow: this.fx.wallNow } : {}),
        macOf: (ifname) => {
          const mac = this.links.get(ifname)?.mac;
          return mac ? parseMac(mac) : null;
        },
        onLowerPrioAdvert: (name) => this.lowerPrioAdvertInGroup(name),
        ...(this.fx.routing ? { routing: this.fx.routing } : {}),
      },
      now,
    );
    if (entry.byVrid.has(inst.vrid)) throw new Error(`VRID ${inst.vrid} used twice on ${entry.key}`);
    this.foldRxDrops(entry);
    entry.byVrid.set(inst.vrid, runtime);
    this.pushRxFilter(entry);
    this.instances.set(inst.name, runtime);
    const link = this.links.get(inst.interface);
    if (link) this.startedOn.set(inst.name, link.ifindex);
    runtime.start(now);
    this.applyTracking(runtime, now);
    this.touch(runtime);
  }

  /**
   * keepalived: a master that hears a lower-priority advert re-announces the VIPs of every
   * other member of its sync group that has garp_lower_prio_repeat (the lower side's group
   * members step down together, so their adverts will not be heard).
   */
  private lowerPrioAdvertInGroup(name: string): void {
    const group = this.cfg.vrrpSyncGroups.find((g) => g.instances.includes(name));
    if (!group) return;
    const now = this.fx.clock.now();
    for (const other of group.instances) {
      if (other === name) continue;
      const r = this.instances.get(other);
      if (!r) continue;
      r.lowerPrioAdvertInGroup(now);
      this.touch(r);
    }
  }

  /**
   * A VIP still on the interface from a run that died without cleaning up (SIGKILL, crash)
   * would make this node answer ARP/ND for it while another router is master. It goes
   * before the instance starts; entering master adds it back.
   */
  private async removeLeftoverVips(inst: VrrpInstance, vipInterface: string): Promise<void> {
    const byDev = new Map<string, VrrpInstance['virtualIps'][number][]>();
    for (const v of inst.virtualIps) {
      const dev = v.dev ?? vipInterface;
      byDev.set(dev, [...(byDev.get(dev) ?? []), v]);
    }
    for (const [dev, vips] of byDev) {
      const present = await this.fx.addresses.list(dev).catch(() => []);
      for (const v of vips) {
        if (!present.some((a) => a.address === v.address)) continue;
        this.fx.log.info(
          { event: 'vip-leftover-removed', instance: inst.name, vip: v.address, dev },
          'removing a VIP left on the interface by an earlier run',
        );
        await this.fx.addresses
          .remove(dev, v.address, v.prefixLength)
          .catch((err) =>
            this.fx.log.warn(
              { instance: inst.name, vip: v.address, err: String(err) },
              'removing a leftover VIP failed',
            ),
          );
      }
    }
  }

  private transportFor(inst: VrrpInstance, ifname: string): TransportEntry {
    const unicast = inst.unicastPeers.length > 0;
    const key = `${ifname}/${inst.family}${unicast ? `/unicast:${inst.name}` : ''}`;
    let entry = this.transports.get(key);
    if (entry) return entry;
    const transport = this.fx.openTransport({
      family: inst.family,
      ifname,
      ...(unicast ? { unicastPeers: [...inst.unicastPeers] } : {}),
      ...(inst.unicastSrc ? { unicastSrc: inst.unicastSrc } : {}),
      ...(unicast && inst.unicastTtl !== undefined && inst.unicastTtl !== 255
        ? { unicastTtl: inst.unicastTtl }
        : {}),
    });
    entry = { key, transport, family: inst.family, ifname, byVrid: new Map(), drops: {} };
    const e = entry;
    transport.onPacket((pkt) => this.onPacket(e, pkt));
    transport.onError((err) => this.fx.log.error({ transport: key, err: String(err) }, 'VRRP socket error'));
    this.transports.set(key, entry);
    return entry;
  }

  private onPacket(entry: TransportEntry, pkt: ReceivedPacket): void {
    if (this.stopped || this.delayed) return;
    const now = this.fx.clock.now();
    const judged = judgeReceived(entry.byVrid, pkt, now, this.fx.wallNow ?? Date.now);
    if (judged.kind === 'ignore') return;
    if (judged.kind === 'drop') {
      // counted on the instance when there is one, else on the interface (RFC 6527 keeps
      // VRID, version and checksum errors router-wide)
      if (judged.target) judged.target.drop(judged.reason);
      else entry.drops[judged.reason] = (entry.drops[judged.reason] ?? 0) + 1;
      return;
    }
    const target = judged.target;
    if (!target) return;
    const before = target.takeoverDeadline();
    target.receive(judged.verdict, now); // accepted only for a known instance
    // a master heard again: this member no longer wants to take over
    if (this.wantMaster.size > 0 && target.takeoverDeadline() !== before) this.wantMaster.delete(target.name);
    this.touch(target);
  }

  /**
   * The addon's early drops (rx-filter.ts) into the counters JS keeps, where onPacket
   * would have counted them: on the instance with the VRID read, else on the interface.
   * Called before the instances on the socket change, and before counters are read.
   */
  private foldRxDrops(entry: TransportEntry): void {
    const drops = entry.transport.takeRxDrops?.();
    if (!drops) return;
    for (const d of drops) {
      const reason = d.reason as DropReason;
      const target = d.vrid >= 0 ? entry.byVrid.get(d.vrid) : undefined;
      if (target) target.drop(reason, d.count);
      else entry.drops[reason] = (entry.drops[reason] ?? 0) + d.count;
    }
  }

  /** Tells the addon which instances the socket now has (after foldRxDrops and the change). */
  private pushRxFilter(entry: TransportEntry): void {
    if (!entry.transport.setRxFilter || this.stopped || this.delayed) return;
    entry.transport.setRxFilter(rxFilterTable(entry.byVrid));
  }

  /** The transport entries instance r receives on. */
  private entriesOf(r: InstanceRuntime): TransportEntry[] {
    return [...this.transports.values()].filter((e) => e.byVrid.get(r.cfg.vrid) === r);
  }

  private onStateChange(ev: { instance: string; from: VrrpState; to: VrrpState; reason: string }): void {
    // an instance taken down to start again on its re-created interface: it stays FAULT
    // for the daemon until the new one reports its state
    if (this.reattaching.has(ev.instance) && ev.to === 'init') return;
    this.fx.onStateChange(ev);
    if (ev.from === 'master' || ev.to === 'master') void this.syncAcceptFilter();
    this.wantMaster.delete(ev.instance);
    // keepalived sync-group semantics: one member changes, the others follow.
    if (this.syncing || ev.to === 'init') return;
    const group = this.cfg.vrrpSyncGroups.find((g) => g.instances.includes(ev.instance));
    if (!group) return;
    this.syncing = true;
    try {
      const now = this.fx.clock.now();
      for (const name of group.instances) {
        const other = this.instances.get(name);
        if (!other || name === ev.instance || other.state === ev.to) continue;
        other.force(ev.to as 'master' | 'backup' | 'fault', now);
        this.touch(other);
      }
    } finally {
      this.syncing = false;
    }
  }

  private onLinkEvent(ev: LinkEvent): void {
    const now = this.fx.clock.now();
    if (ev.type === 'link') {
      this.links.set(ev.link.name, ev.link);
      // an instance on a re-created interface stays FAULT until it is started again on it
      for (const r of this.instances.values()) if (!this.onStaleLink(r)) this.applyTracking(r, now);
    } else if (ev.type === 'link-removed') {
      this.links.delete(ev.name);
      for (const r of this.instances.values()) this.applyTracking(r, now);
    } else if (ev.type === 'address-removed') {
      for (const r of this.instances.values()) r.addressRemoved(ev.address.address);
    }
    this.touchAll();
    if (!this.cfg.global.dynamicInterfaces) return;
    if (ev.type === 'link') this.linkAppeared(ev.link.name);
    else if (ev.type === 'address-added') {
      const l = [...this.links.values()].find((x) => x.ifindex === ev.address.ifindex);
      if (l) this.linkAppeared(l.name);
    }
  }

  /** dynamic_interfaces: the instance's interface exists, but is not the one it started on. */
  private onStaleLink(r: InstanceRuntime): boolean {
    if (!this.cfg.global.dynamicInterfaces) return false;
    const l = this.links.get(r.cfg.interface);
    return l !== undefined && this.startedOn.get(r.name) !== l.ifindex;
  }

  /** A tracked vrrp_script changed result (reported by the main thread's checker). */
  setScriptResult(name: string, ok: boolean): void {
    this.scriptOk.set(name, ok);
    const now = this.fx.clock.now();
    for (const r of this.instances.values()) this.applyTracking(r, now);
    this.touchAll();
  }

  /** A tracked file's number or a tracked process's quorum (from the main thread's trackers). */
  setTrackerValue(kind: 'file' | 'process', name: string, value: number | boolean): void {
    if (kind === 'file') this.fileValue.set(name, Number(value));
    else this.processQuorum.set(name, value === true);
    const now = this.fx.clock.now();
    for (const r of this.instances.values()) this.applyTracking(r, now);
    this.touchAll();
  }

  private linkUp(name: string): boolean {
    const l = this.links.get(name);
    return !!l && l.up && l.running;
  }

  /** Recomputes an instance's fault reasons and tracking weight from links and scripts. */
  private applyTracking(r: InstanceRuntime, now: number): void {
    const cfg = r.cfg;
    const faults = new Map<string, boolean>();
    // keepalived dont_track_primary: the instance interface going down is no fault
    if (!cfg.dontTrackPrimary) faults.set(`interface ${cfg.interface} down`, !this.linkUp(cfg.interface));
    // keepalived: the device of every VIP is tracked too (weight 0) unless no_track
    for (const v of cfg.virtualIps) {
      if (v.noTrack || v.dev === undefined || v.dev === cfg.interface) continue;
      faults.set(`VIP device ${v.dev} down`, !this.linkUp(v.dev));
    }
    // keepalived unicast_fault_no_peer: unicast without a peer is a fault, not multicast
    if (cfg.unicastFaultNoPeer) faults.set('unicast without peers', cfg.unicastPeers.length === 0);
    let weight = 0;
    // keepalived's weight multiplier: `weight N reverse` makes it -1. A positive weight
    // applies while up/OK, a negative one while down/failing, times the multiplier;
    // weight 0 faults while down/failing, or (reverse) while up/OK.
    for (const t of cfg.trackInterfaces) {
      const up = this.linkUp(t.interface);
      const m = t.reverse ? -1 : 1;
      if (!t.weight)
        faults.set(
          `tracked interface ${t.interface} ${t.reverse ? 'up (reverse)' : 'down'}`,
          up === t.reverse,
        );
      else if (t.weight < 0 && !up) weight += t.weight * m;
      else if (t.weight > 0 && up) weight += t.weight * m;
    }
    for (const t of cfg.trackScripts) {
      const script = this.cfg.vrrpScripts[t.name];
      const w = t.weight ?? script?.weight ?? 0;
      const reverse = t.reverse ?? script?.reverse ?? false;
      const m = reverse ? -1 : 1;
      // a script counts only once it has a result
      const result = this.scriptOk.get(t.name);
      if (!w)
        faults.set(
          `tracked script ${t.name} ${reverse ? 'succeeded (reverse)' : 'failed'}`,
          result === reverse,
        );
      else if (w < 0 && result === false) weight += w * m;
      else if (w > 0 && result === true) weight += w * m;
    }
    for (const t of cfg.trackFiles ?? []) {
      const file = this.cfg.trackFiles?.[t.name];
      const value = this.fileValue.get(t.name);
      if (!file || value === undefined) continue;
      const w = t.weight ?? file.weight;
      const reverse = t.reverse ?? file.reverse;
      const e = fileEffect(value, w, reverse);
      faults.set(
        `tracked file ${t.name} ${w === 0 ? (reverse ? 'holds zero (reverse)' : 'holds non-zero') : 'at -254'}`,
        e.fault,
      );
      weight += e.weight;
    }
    for (const t of cfg.trackProcesses ?? []) {
      const proc = this.cfg.trackProcesses?.[t.name];
      const quorum = this.processQuorum.get(t.name);
      if (!proc || quorum === undefined) continue;
      const reverse = t.reverse ?? proc.reverse;
      const e = processEffect(quorum, t.weight ?? proc.weight, reverse);
      faults.set(
        `tracked process ${t.name} ${reverse ? 'has its quorum (reverse)' : 'without quorum'}`,
        e.fault,
      );
      weight += e.weight;
    }
    r.setTrackWeight(weight, now);
    for (const [reason, on] of faults) {
      if (on) r.fault(reason, now);
      else r.clearFault(reason, now);
    }
  }

  /** An instance's deadline may have moved: re-read it and re-arm the timer if needed. */
  private touch(r: InstanceRuntime): void {
    if (this.stopped) return;
    this.deadlines.set(r, this.instances.get(r.name) === r ? r.nextDeadline() : null);
    this.reschedule();
  }

  /** After an event that may move every instance's deadline (links, scripts, reload). */
  private touchAll(): void {
    if (this.stopped) return;
    for (const r of this.instances.values()) this.deadlines.set(r, r.nextDeadline());
    this.reschedule();
  }

  /**
   * Arms the one timer for the earliest deadline. A timer already armed to fire at or
   * before it is kept: when it fires it finds nothing due and re-arms, which on a backup
   * (whose earliest Master_Down deadline moves at every advert heard) is one wake-up per
   * Master_Down_Interval instead of a timer re-armed per advert. A takeover deadline is
   * first slept to PRECISE_LEAD_MS before it on a plain timer, then polled for with the
   * precise one (precise-timer.ts), so a deadline that keeps moving never polls.
   */
  private reschedule(): void {
    if (this.stopped) return;
    const next = this.deadlines.peekKey();
    const top = this.deadlines.peek();
    if (next === null || top === undefined) {
      this.disarm();
      return;
    }
    const precise = top.takeoverDeadline() === next;
    const fireAt = precise ? next - PRECISE_LEAD_MS : next;
    if (this.timer !== null && this.timerAt !== null && this.timerAt <= fireAt) return;
    this.disarm();
    const now = this.fx.clock.now();
    if (precise && fireAt <= now) {
      this.timerAt = next;
      this.timer = this.fx.clock.setTimer(() => this.onTimer(), Math.max(0, next - now), true);
    } else {
      this.timerAt = fireAt;
      // libuv counts whole milliseconds: rounding up keeps a timer from waking before its
      // deadline only to find nothing due (an advert is then < 1 ms later, never earlier)
      this.timer = this.fx.clock.setTimer(() => this.onTimer(), Math.max(0, Math.ceil(fireAt - now)));
    }
  }

  private disarm(): void {
    if (this.timer !== null) this.fx.clock.clearTimer(this.timer);
    this.timer = null;
    this.timerAt = null;
  }

  private onTimer(): void {
    this.timer = null;
    this.timerAt = null;
    if (this.stopped) return;
    const now = this.fx.clock.now();
    const due = this.deadlines.popDue(now);
    // Masters whose advert falls due within the next few ms send it in this wake-up too
    // and keep this cadence from now on: instances started apart soon advertise together,
    // one wake-up (and one burst for the backups' sockets to read) per interval instead of
    // one per instance. Only adverts: a takeover deadline is never taken early.
    const early: InstanceRuntime[] = [];
    const later: InstanceRuntime[] = [];
    for (const r of this.deadlines.popDue(now + EARLY_ADVERT_MAX_MS)) {
      const at = r.advertDeadline();
      if (at !== null && at === r.nextDeadline() && at - now <= earlyAdvertMs(r.cfg.advertIntervalMs))
        early.push(r);
      else later.push(r);
    }
    for (const r of due) {
      if (this.instances.get(r.name) !== r) continue;
      if (this.holdForSyncGroup(r, now)) r.holdMaster(now);
      r.tick(now);
    }
    for (const r of early)
      if (this.instances.get(r.name) === r && r.advertDeadline() !== null) r.tickEarly(now);
    for (const list of [due, early, later])
      for (const r of list) if (this.instances.get(r.name) === r) this.deadlines.set(r, r.nextDeadline());
    this.reschedule();
  }

  /**
   * keepalived's sync-group rule for a member whose takeover (Master_Down_Timer or preempt)
   * is due: it goes to master only when every other member of its group wants master too
   * (is master, or has its own takeover due or held), "prefer backup to avoid thrashing";
   * otherwise it stays backup and its timer starts again. Without this, a member that
   * lost priority would take its group over while another member still hears a better
   * master, and the group would flap between the routers.
   */
  private holdForSyncGroup(r: InstanceRuntime, now: number): boolean {
    const due = r.takeoverDeadline();
    if (due === null || due > now) return false;
    const group = this.cfg.vrrpSyncGroups.find((g) => g.instances.includes(r.name));
    if (!group) return false;
    const ready = group.instances.every((name) => {
      if (name === r.name) return true;
      const o = this.instances.get(name);
      if (!o) return true;
      if (o.state === 'master' || this.wantMaster.has(name)) return true;
      const od = o.takeoverDeadline();
      return od !== null && od <= now;
    });
    if (ready) return false;
    if (!this.wantMaster.has(r.name))
      this.fx.log.info(
        { event: 'sync-group-hold', instance: r.name, group: group.name },
        `${r.name}: takeover held: not every member of sync group ${group.name} wants master`,
      );
    this.wantMaster.add(r.name);
    return true;
  }

  /**
   * Applies a new config from its slice of the reload's diff (config/diff.ts, computed
   * once by the daemon): unchanged instances are left alone (no flap), changed ones are
   * edited in place, or replaced when their identity (socket, VRID) changed.
   */
  async reload(cfg: Config, slice: SetDiff): Promise<ReloadResult> {
    const now = this.fx.clock.now();
    const result: ReloadResult = { added: [], removed: [], changed: [], unchanged: [] };
    const newByName = new Map(cfg.vrrpInstances.map((i) => [i.name, i]));
    const changed = new Set(slice.changed);
    const unchanged = new Set(slice.unchanged);
    if (this.delayed) {
      // nothing started yet: the instances start from this config when the delay ends,
      // which moves by the change of vrrp_startup_delay (as keepalived's reload does)
      this.cfg = cfg;
      this.armStartupDelay();
      return {
        added: [...slice.added],
        removed: [...slice.removed],
        changed: [...slice.changed],
        unchanged: [...slice.unchanged],
      };
    }
    await this.attachChain;
    for (const [name, { inst }] of this.waiting) {
      const next = newByName.get(name);
      if (next && unchanged.has(name)) continue;
      this.waiting.delete(name);
      if (!next) result.removed.push(name);
      else if (inst.interface !== next.interface) {
        // no longer waiting for the old interface: it leaves FAULT for its new start
        this.fx.onStateChange({ instance: name, from: 'fault', to: 'init', reason: 'reload' });
      }
    }
    for (const [name, r] of this.instances) {
      const next = newByName.get(name);
      if (!next || (changed.has(name) && identityChanged(r.cfg, next))) {
        await this.removeInstance(name, now);
        result.removed.push(name);
      }
    }
    this.cfg = cfg;
    for (const inst of cfg.vrrpInstances) {
      const r = this.instances.get(inst.name);
      if (!r && this.waiting.has(inst.name)) {
        result.unchanged.push(inst.name);
      } else if (!r) {
        await this.addOrWait(inst);
        result.added.push(inst.name);
      } else if (unchanged.has(inst.name)) {
        result.unchanged.push(inst.name);
      } else {
        const entries = this.entriesOf(r);
        for (const e of entries) this.foldRxDrops(e);
        r.reconfigure(inst, now);
        for (const e of entries) this.pushRxFilter(e);
        this.applyTracking(r, now);
        result.changed.push(inst.name);
      }
    }
    await this.syncAcceptFilter();
    this.touchAll();
    return result;
  }

  private async removeInstance(name: string, now: number): Promise<void> {
    const r = this.instances.get(name);
    if (!r) return;
    r.shutdown(now);
    this.deadlines.delete(r);
    await r.removeVipsNow();
    this.instances.delete(name);
    this.startedOn.delete(name);
    this.deadlines.delete(r);
    this.vmacReceivers.get(name)?.close();
    this.vmacReceivers.delete(name);
    for (const [key, e] of this.transports) {
      if (e.byVrid.get(r.cfg.vrid) === r) {
        this.foldRxDrops(e);
        e.byVrid.delete(r.cfg.vrid);
        this.pushRxFilter(e);
      }
      if (e.byVrid.size === 0) {
        e.transport.close();
        this.transports.delete(key);
      }
    }
    if (r.cfg.useVmac && this.fx.removeVmac)
      await this.fx.removeVmac(vmacName(r.cfg.family, r.cfg.vrid)).catch(() => {});
  }

  private stopping: Promise<void> | null = null;

  /**
   * SIGTERM: priority-0 adverts from every master, VIPs removed, sockets closed. The adverts
   * leave before this returns; a second call returns the first one's promise.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    const now = this.fx.clock.now();
    // every master's priority-0 advert first (RFC 5798 §6.4.3), then any teardown
    const rest = [...this.instances.values()].map((r) => r.shutdownAdvertFirst(now));
    for (const finish of rest) finish();
    // nothing is heard from here on (onPacket): no early drops either
    for (const e of this.transports.values()) {
      this.foldRxDrops(e);
      e.transport.setRxFilter?.(null);
    }
    this.stopped = true;
    if (this.delayTimer !== null) this.fx.clock.clearTimer(this.delayTimer);
    this.delayTimer = null;
    this.disarm();
    this.deadlines.clear();
    await Promise.allSettled([...this.instances.values()].map((r) => r.removeVipsNow()));
    await this.syncAcceptFilter();
    // give the priority-0 sends a moment to leave the socket before closing it
    await new Promise((res) => setTimeout(res, 20));
    for (const e of this.transports.values()) e.transport.close();
    this.transports.clear();
    for (const v of this.vmacReceivers.values()) v.close();
    this.vmacReceivers.clear();
    for (const r of this.instances.values()) {
      if (r.cfg.useVmac && this.fx.removeVmac)
        await this.fx.removeVmac(vmacName(r.cfg.family, r.cfg.vrid)).catch(() => {});
    }
    this.fx.links.close();
    this.fx.routing?.close();
  }

  async snapshot(): Promise<EngineSnapshot> {
    const interfaceDrops: Record<string, DropCounts> = {};
    for (const e of this.transports.values()) this.foldRxDrops(e);
    for (const e of this.transports.values()) interfaceDrops[e.key] = { ...e.drops };
    const links: Record<string, boolean> = {};
    const ifIndexes: Record<string, number> = {};
    for (const [name, l] of this.links) {
      links[name] = l.up && l.running;
      ifIndexes[name] = l.ifindex;
    }
    const instances = [...this.instances.values()].map((r) => r.snapshot());
    await Promise.all(
      [...this.instances.values()].map(async (r, i) => {
        const routing = await r.routingSnapshot().catch(() => null);
        if (routing) instances[i]!.routing = routing;
      }),
    );
    // dynamic_interfaces: the instances waiting for their interface, in FAULT
    for (const [name, w] of this.waiting) instances.push(waitingSnapshot(name, w.inst, w.reason, w.since));
    const byIndex = new Map([...this.links.values()].map((l) => [l.ifindex, l.name]));
    let presentAddresses: string[] = [];
    try {
      presentAddresses = (await this.fx.addresses.list()).map(
        (a) => `${byIndex.get(a.ifindex) ?? a.ifindex}/${a.address}`,
      );
    } catch {
      // status must not fail because one dump did
    }
    return {
      instances,
      syncGroups: this.cfg.vrrpSyncGroups.map((g) => ({ name: g.name, instances: [...g.instances] })),
      interfaceDrops,
      links,
      ifIndexes,
      presentAddresses,
      now: this.fx.clock.now(),
      ...(this.fx.acceptFilter
        ? {
            acceptFilter: {
              table: this.fx.acceptFilter.table,
              drops: [...this.acceptInPlace],
              error: this.acceptError,
            },
          }
        : {}),
    };
  }
}

/** An instance waiting for its interface (dynamic_interfaces): FAULT, nothing sent or heard yet. */
function waitingSnapshot(name: string, inst: VrrpInstance, reason: string, since: number): InstanceSnapshot {
  return {
    name,
    interface: inst.interface,
    vrid: inst.vrid,
    version: inst.version,
    family: inst.family,
    state: 'fault',
    priority: inst.priority,
    effectivePriority: inst.priority,
    masterAddress: null,
    masterPriority: null,
    sinceMs: since,
    lastTransitionReason: reason,
    faultReasons: [reason],
    primaryAddress: '',
    vips: inst.virtualIps.map((v) => ({
      address: v.address,
      prefixLength: v.prefixLength,
      dev: v.dev ?? inst.interface,
    })),
    counters: zeroCounters(),
  };
}

/** The header facts of a raw IPv6 socket's read, in the parser's shape. */
/** Changes that need a fresh instance (new socket or identity); others are edited in place. */
function identityChanged(a: VrrpInstance, b: VrrpInstance): boolean {
  return (
    a.interface !== b.interface ||
    a.vrid !== b.vrid ||
    a.version !== b.version ||
    a.family !== b.family ||
    a.useVmac !== b.useVmac ||
    a.unicastSrc !== b.unicastSrc ||
    a.mcastSrc !== b.mcastSrc ||
    a.unicastTtl !== b.unicastTtl ||
    !deepEqual(a.unicastPeers, b.unicastPeers)
  );
}
