// Runtime of one VRRP instance: feeds validated adverts, timer ticks and tracking
// changes into the pure FSM (fsm.ts) and carries out its actions through the effects
// given to it. It owns no timer: the engine asks it for its next deadline and calls
// tick() when that time has come (ARCHITECTURE rule 3).
import type { VirtualIp, VrrpInstance } from '../config/model.js';
import type {
  AddressManager,
  AddressOptions,
  AdvertTransport,
  FrameSender,
  RoutingManager,
} from '../effects/types.js';
import type { Log } from '../log.js';
import { formatIp, parseIp } from '../net/addr.js';
import { buildGratuitousArp } from '../net/arp.js';
import { buildUnsolicitedNa } from '../net/ndisc.js';
import { type AcceptResult, type ReceiveRules, receiveRulesOf } from './accept.js';
import { AnnounceSchedule } from './announce-schedule.js';
import { HmacSequence, signAdvert } from './auth-hmac.js';
import { encodeAdvert, simpleAuthData, type VrrpAdvert } from './codec.js';
import type { DropCounts, DropReason } from './drop-reason.js';
import {
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmState,
  initialState,
  nextDeadline,
  reconfigure,
  step,
  type VrrpState,
} from './fsm.js';
import { InstanceRouting, type RoutingSnapshot } from './virtual-routes.js';

export const VRRP_MCAST_V4 = '224.0.0.18';
export const VRRP_MCAST_V6 = 'ff02::12';

/** What the instance needs from the world, injected so tests can fake it. */
export interface InstanceEffects {
  transport: AdvertTransport;
  addresses: AddressManager;
  frames: FrameSender;
  /** MAC used as the source of gratuitous ARP / NA (the interface's, or the virtual MAC) */
  announceMac: () => Buffer | null;
  /** the interface VIPs live on (the macvlan with use_vmac) */
  vipInterface: string;
  log: Log;
  onStateChange: (ev: { instance: string; from: VrrpState; to: VrrpState; reason: string }) => void;
  /** monotonic now, for work that completes asynchronously */
  now: () => number;
  /** asks the engine to re-arm its timer after asynchronous work added deadlines */
  wake: () => void;
  /**
   * Awaited before a new master adds its VIPs when it must not accept packets to them
   * (accept off, not the owner): the Accept_Mode drops go in first, so there is no window.
   */
  beforeVipsAdded?: () => Promise<void>;
  /** the wall clock in ms since the epoch (auth_hmac stamps); default Date.now */
  wallNow?: () => number;
  /** the MAC of another interface (garp_extra_if announces from it); absent: announceMac */
  macOf?: (ifname: string) => Buffer | null;
  /** this master heard a lower-priority advert (the engine tells the sync group) */
  onLowerPrioAdvert?: (instance: string) => void;
  /** virtual_routes / virtual_rules (absent: the instance has none to install) */
  routing?: RoutingManager;
}

export interface InstanceCounters {
  advertsSent: number;
  advertsReceived: number;
  priorityZeroSent: number;
  priorityZeroReceived: number;
  transitions: number;
  becameMaster: number;
  releasedMaster: number;
  garpSent: number;
  naSent: number;
  vipsRestored: number;
  sendErrors: number;
  addressListMismatch: number;
  drops: DropCounts;
}

export interface InstanceSnapshot {
  name: string;
  interface: string;
  vrid: number;
  version: 2 | 3;
  family: 4 | 6;
  state: VrrpState;
  priority: number;
  effectivePriority: number;
  masterAddress: string | null;
  masterPriority: number | null;
  sinceMs: number;
  lastTransitionReason: string;
  faultReasons: string[];
  primaryAddress: string;
  vips: { address: string; prefixLength: number; dev: string }[];
  counters: InstanceCounters;
  /** virtual_routes / virtual_rules and whether the kernel has them (filled in by the engine) */
  routing?: RoutingSnapshot & { restored: number; errors: number };
}

export function fsmConfigOf(cfg: VrrpInstance, primaryAddress: string): FsmConfig {
  return {
    version: cfg.version,
    vrid: cfg.vrid,
    priority: cfg.priority,
    advertIntervalCs: Math.round(cfg.advertIntervalMs / 10),
    preempt: cfg.preempt,
    preemptDelayMs: cfg.preemptDelayMs,
    acceptMode: cfg.accept,
    // not an address: no bytes, so validateFsmConfig reports VRRP_BAD_PRIMARY_ADDRESS
    primaryAddress: parseIp(primaryAddress)?.bytes ?? new Uint8Array(0),
    higherPrioSendAdvert: cfg.higherPrioSendAdvert,
    lowerPrioNoAdvert: cfg.lowerPrioNoAdvert,
    downTimerAdverts: cfg.downTimerAdverts,
  };
}

export class InstanceRuntime {
  cfg: VrrpInstance;
  private fsm: FsmState;
  private readonly fx: InstanceEffects;
  /** our primary address as text: the source of our adverts, status */
  readonly primaryAddress: string;
  /** the receive filter's view of our config (accept.ts), rebuilt on reconfigure */
  rules: ReceiveRules;
  private readonly announcements = new AnnounceSchedule();
  private lastReason = 'startup';
  /** the VIP additions of the latest add-vips action, until its announcement is started */
  private vipsAdding: Promise<void> | null = null;
  private trackPenalty = 0;
  /** auth_hmac: the sequence our signed adverts carry */
  private hmacSeq: HmacSequence | null = null;
  /** virtual_routes / virtual_rules */
  private readonly routing: InstanceRouting;
  readonly counters: InstanceCounters = zeroCounters();

  constructor(cfg: VrrpInstance, primaryAddress: string, fx: InstanceEffects, now: number) {
    this.cfg = cfg;
    this.primaryAddress = primaryAddress;
    this.fx = fx;
    this.fsm = initialState(fsmConfigOf(cfg, primaryAddress), now);
    this.rules = receiveRulesOf(cfg, this.fsm.cfg.primaryAddress);
    this.routing = new InstanceRouting(fx.routing, fx.log, () => this.cfg.name);
    // as keepalived does when an instance starts: routes and rules a run killed without a
    // word left behind go (a new master adds them again, after this)
    if (InstanceRouting.has(cfg)) void this.routing.remove(cfg);
    this.hmacSeq = hmacSequenceOf(cfg, null);
  }

  /**
   * advert_rate_limit: would an advert with this priority from `src` change our state
   * (a master stepping down, a backup told to take over)? Asked of the pure FSM without
   * keeping its result.
   */
  wouldChangeState(priority: number, src: Uint8Array, now: number): boolean {
    const r = step(
      this.fsm,
      { type: 'advert', priority, maxAdvertIntervalCs: this.rules.advertIntervalCs, srcAddress: src },
      now,
    );
    // a backup hearing priority 0 takes over after Skew_Time: that is a change too
    return r.state.state !== this.fsm.state || (this.fsm.state === 'backup' && priority === 0);
  }

  get state(): VrrpState {
    return this.fsm.state;
  }

  get name(): string {
    return this.cfg.name;
  }

  drop(reason: DropReason, count = 1): void {
    this.counters.drops[reason] = (this.counters.drops[reason] ?? 0) + count;
  }

  start(now: number): void {
    this.apply({ type: 'startup' }, now);
  }

  shutdown(now: number): void {
    this.announcements.clear();
    this.apply({ type: 'shutdown' }, now);
  }

  /**
   * The shutdown in two halves: the priority-0 advert (a master's) is sent now, and the
   * returned function carries out the rest (VIP removal, the state change report), so that
   * the engine puts every instance's advert on the wire before any teardown.
   */
  shutdownAdvertFirst(now: number): () => void {
    this.announcements.clear();
    const r = step(this.fsm, { type: 'shutdown' }, now);
    this.fsm = r.state;
    this.run(
      r.actions.filter((a) => a.type === 'send-advert'),
      now,
    );
    const rest = r.actions.filter((a) => a.type !== 'send-advert');
    return () => this.run(rest, now);
  }

  /** An advert the receive filter (accept.ts) let through: count it and step the FSM. */
  receive(accepted: Extract<AcceptResult, { ok: true }>, now: number): void {
    const { event } = accepted;
    this.counters.advertsReceived++;
    if (event.priority === 0) this.counters.priorityZeroReceived++;
    // RFC 5798 §7.1: a differing address list is logged (rate-limited) and counted.
    if (accepted.addressListMismatch) {
      this.counters.addressListMismatch++;
      if (this.counters.addressListMismatch === 1 || this.counters.addressListMismatch % 100 === 0) {
        this.fx.log.warn(
          { event: 'address-list-mismatch', instance: this.name, from: formatIp(event.srcAddress) },
          'advert address list differs from ours',
        );
      }
    }
    this.apply(event, now);
  }

  /** Tracking: `penalty` is the sum of the weights of failed tracked objects (negative lowers). */
  setTrackWeight(total: number, now: number): void {
    this.trackPenalty = total;
    if (this.cfg.priority === 255) return; // the address owner keeps 255 (RFC 5798 §6.1)
    const eff = Math.max(1, Math.min(254, this.cfg.priority + total));
    if (eff !== this.fsm.effectivePriority) this.apply({ type: 'priority', effectivePriority: eff }, now);
  }

  fault(reason: string, now: number): void {
    if (!this.fsm.faultReasons.includes(reason)) this.apply({ type: 'fault', reason }, now);
  }

  clearFault(reason: string, now: number): void {
    if (this.fsm.faultReasons.includes(reason)) this.apply({ type: 'fault-clear', reason }, now);
  }

  force(to: 'master' | 'backup' | 'fault', now: number): void {
    this.apply({ type: 'force', to }, now);
  }

  /** Sync groups: a due takeover waits for the other members (see the engine). */
  holdMaster(now: number): void {
    this.apply({ type: 'hold-master' }, now);
  }

  reconfigure(cfg: VrrpInstance, now: number): void {
    const old = this.cfg;
    this.cfg = cfg;
    this.rules = receiveRulesOf(cfg, this.fsm.cfg.primaryAddress, this.rules);
    this.hmacSeq = hmacSequenceOf(cfg, this.hmacSeq);
    if (this.fsm.state === 'master') {
      this.updateVips(old, cfg);
      void this.routing.update(old, cfg);
    }
    const r = reconfigure(this.fsm, fsmConfigOf(cfg, this.primaryAddress), now);
    this.fsm = r.state;
    this.run(r.actions, now);
    const extraMs = cfg.garp.extraIfMs;
    if (this.fsm.state === 'master' && old.garp.extraIfMs !== extraMs)
      this.announcements.setExtraIfAt(extraMs > 0 ? now + extraMs : null, extraMs);
    this.setTrackWeight(this.trackPenalty, now);
  }

  /** The deadline at which this backup would take over (Master_Down_Timer or preempt), or null. */
  takeoverDeadline(): number | null {
    if (this.fsm.state !== 'backup') return null;
    const { masterDownAt: m, preemptAt: p } = this.fsm;
    return m === null ? p : p === null ? m : Math.min(m, p);
  }

  nextDeadline(): number | null {
    const d = nextDeadline(this.fsm);
    const a = this.announcements.nextAt();
    return d === null ? a : a === null ? d : Math.min(d, a);
  }

  tick(now: number): void {
    const d = nextDeadline(this.fsm);
    if (d !== null && d <= now) this.apply({ type: 'timer' }, now);
    this.runAnnouncements(now);
  }

  /** A master's next advert deadline (null in any other state). */
  advertDeadline(): number | null {
    return this.fsm.state === 'master' ? this.fsm.advertAt : null;
  }

  /** Sends the advert due within a few ms now, joining the cadence of this wake-up. */
  tickEarly(now: number): void {
    this.apply({ type: 'timer', early: true }, now);
  }

  /** An address of ours vanished from the interface (someone ran `ip addr del`). */
  addressRemoved(address: string): void {
    if (this.fsm.state !== 'master') return;
    const vip = this.cfg.virtualIps.find((v) => v.address === address);
    if (!vip) return;
    this.counters.vipsRestored++;
    this.fx.log.warn(
      { event: 'vip-restored', instance: this.name, vip: address },
      'VIP removed behind our back; restoring',
    );
    void this.fx.addresses
      .add(vip.dev ?? this.fx.vipInterface, vip.address, vip.prefixLength, addressOptions(vip))
      .then(() => {
        this.startAnnounce(this.fx.now(), 1, 0);
        this.fx.wake();
        // Linux drops the IPv4 routes through a removed source address without a word
        this.routesDeleted();
      })
      .catch((err) =>
        this.fx.log.error({ instance: this.name, vip: address, err: String(err) }, 'restoring VIP failed'),
      );
  }

  /** Someone deleted a route or rule (or notifications were lost): a master puts its own back. */
  routesDeleted(): void {
    if (this.fsm.state !== 'master') return;
    this.routing.reconcile(
      () => this.cfg,
      () => this.fsm.state === 'master',
    );
  }

  /** virtual_routes / virtual_rules for status (asks the kernel which are there), or null: none. */
  async routingSnapshot(): Promise<InstanceSnapshot['routing'] | null> {
    if (!InstanceRouting.has(this.cfg)) return null;
    const s = await this.routing.snapshot(this.cfg);
    const c = this.routing.counters;
    return { ...s, restored: c.routesRestored + c.rulesRestored, errors: c.routeErrors };
  }

  snapshot(): InstanceSnapshot {
    return {
      name: this.name,
      interface: this.cfg.interface,
      vrid: this.cfg.vrid,
      version: this.cfg.version,
      family: this.cfg.family,
      state: this.fsm.state,
      priority: this.cfg.priority,
      effectivePriority: this.fsm.effectivePriority,
      masterAddress: this.fsm.masterAddress && formatIp(this.fsm.masterAddress),
      masterPriority: this.fsm.masterPriority,
      sinceMs: this.fsm.since,
      lastTransitionReason: this.lastReason,
      faultReasons: [...this.fsm.faultReasons],
      primaryAddress: this.primaryAddress,
      vips: this.cfg.virtualIps.map((v) => ({
        address: v.address,
        prefixLength: v.prefixLength,
        dev: v.dev ?? this.fx.vipInterface,
      })),
      counters: { ...this.counters, drops: { ...this.counters.drops } },
    };
  }

  private apply(ev: FsmEvent, now: number): void {
    const r = step(this.fsm, ev, now);
    this.fsm = r.state;
    this.run(r.actions, now);
  }

  private run(actions: FsmAction[], now: number): void {
    for (const a of actions) {
      switch (a.type) {
        case 'send-advert':
          this.sendAdvert(a.priority);
          break;
        case 'add-vips': {
          const adding = this.setVips(true);
          this.vipsAdding = adding;
          // routes after the VIPs: a route may take a VIP as its source
          if (InstanceRouting.has(this.cfg))
            void adding.then(() => this.routing.install(this.cfg, () => this.fsm.state === 'master'));
          break;
        }
        case 'remove-vips':
          this.announcements.clear();
          void this.routing.remove(this.cfg);
          this.setVips(false);
          break;
        case 'announce':
          if (this.vipsAdding) {
            // announce only once the kernel has the VIPs: a GARP for an address we
            // do not answer for yet would send the first packets into the void
            const adding = this.vipsAdding;
            this.vipsAdding = null;
            void adding.then(() => {
              if (this.fsm.state !== 'master') return;
              this.startAnnounce(this.fx.now(), this.cfg.garp.repeat, this.cfg.garp.intervalMs);
              this.fx.wake();
            });
          } else {
            this.startAnnounce(now, this.cfg.garp.repeat, this.cfg.garp.intervalMs);
          }
          // keepalived's garp_master_delay: a second batch a while later catches
          // switches that were slow to learn the first one.
          if (this.cfg.garp.delayMs > 0) {
            this.announcements.addBatch(
              now + this.cfg.garp.delayMs,
              this.cfg.garp.repeat,
              this.cfg.garp.intervalMs,
            );
          }
          if (this.cfg.garp.refreshMs > 0)
            this.announcements.setRefreshAt(
              now + this.cfg.garp.refreshMs,
              this.cfg.garp.refreshRepeat,
              this.cfg.garp.intervalMs,
            );
          // keepalived garp_extra_if: first after the second batch's delay plus one interval
          this.armExtraIf(now);
          break;
        case 'announce-lower-prio':
          // keepalived garp_lower_prio_repeat / garp_lower_prio_delay (not the refresh)
          this.announcements.addLowerPrio(
            now,
            this.cfg.garp.lowerPrioRepeat,
            this.cfg.garp.lowerPrioDelayMs,
            this.cfg.garp.intervalMs,
          );
          this.runAnnouncements(now);
          this.fx.onLowerPrioAdvert?.(this.name);
          break;
        case 'state-change':
          this.lastReason = a.reason;
          this.counters.transitions++;
          if (a.to === 'master') this.counters.becameMaster++;
          if (a.from === 'master') this.counters.releasedMaster++;
          this.fx.onStateChange({ instance: this.name, from: a.from, to: a.to, reason: a.reason });
          break;
      }
    }
  }

  private startAnnounce(now: number, repeat: number, intervalMs: number): void {
    if (repeat <= 0) return;
    this.announcements.addBatch(now, repeat, intervalMs);
    this.runAnnouncements(now);
  }

  private runAnnouncements(now: number): void {
    if (this.fsm.state !== 'master') {
      this.announcements.clear();
      return;
    }
    for (let n = this.announcements.takeDue(now, this.cfg.garp.refreshMs); n > 0; n--) this.announceOnce();
    if (this.announcements.takeExtraIfDue(now)) this.announceExtraIf();
  }

  /** garp_extra_if while master: from now, the garp delay plus one interval, then every interval. */
  private armExtraIf(now: number): void {
    const ms = this.cfg.garp.extraIfMs;
    this.announcements.setExtraIfAt(ms > 0 ? now + this.cfg.garp.delayMs + ms : null, ms);
  }

  /**
   * A sync-group member of ours heard a lower-priority advert: announce our VIPs with our
   * garp_lower_prio_repeat too (keepalived does it for every member with a repeat set).
   */
  lowerPrioAdvertInGroup(now: number): void {
    if (this.fsm.state !== 'master' || this.cfg.garp.lowerPrioRepeat <= 0) return;
    this.announcements.addLowerPrio(
      now,
      this.cfg.garp.lowerPrioRepeat,
      this.cfg.garp.lowerPrioDelayMs,
      this.cfg.garp.intervalMs,
    );
    this.runAnnouncements(now);
  }

  /**
   * keepalived garp_extra_if: one gratuitous ARP / unsolicited NA on each interface other
   * than the instance's that a VIP is on, for the first VIP there, from that interface's MAC.
   */
  private announceExtraIf(): void {
    const done = new Set<string>([this.fx.vipInterface]);
    for (const vip of this.cfg.virtualIps) {
      const dev = vip.dev ?? this.fx.vipInterface;
      if (done.has(dev)) continue;
      done.add(dev);
      const mac = this.fx.macOf?.(dev) ?? this.fx.announceMac();
      if (!mac) continue;
      this.sendAnnouncement(vip, dev, mac);
    }
  }

  private announceOnce(): void {
    const mac = this.fx.announceMac();
    if (!mac) return;
    for (const vip of this.cfg.virtualIps) {
      // a VIP on another interface is announced from that interface's MAC (as keepalived does)
      const dev = vip.dev ?? this.fx.vipInterface;
      const own = dev === this.fx.vipInterface ? mac : (this.fx.macOf?.(dev) ?? mac);
      this.sendAnnouncement(vip, dev, own);
    }
  }

  private sendAnnouncement(vip: VirtualIp, dev: string, mac: Buffer): void {
    const frame =
      vip.family === 4
        ? buildGratuitousArp(vip.address, mac)
        : buildUnsolicitedNa({ target: vip.address, mac, router: true });
    this.fx.frames.send(dev, frame).then(
      () => {
        if (vip.family === 4) this.counters.garpSent++;
        else this.counters.naSent++;
      },
      (err) => {
        this.counters.sendErrors++;
        this.fx.log.warn(
          { instance: this.name, vip: vip.address, err: String(err) },
          'announcing VIP failed',
        );
      },
    );
  }

  private sendAdvert(priority: number): void {
    const advert = this.buildAdvert(priority);
    const peers =
      this.cfg.unicastPeers.length > 0
        ? this.cfg.unicastPeers
        : [this.cfg.family === 4 ? VRRP_MCAST_V4 : VRRP_MCAST_V6];
    // auth_hmac: one sequence per logical advert, the same in every peer's copy
    const hmac = this.cfg.authHmac;
    const signing = hmac && hmac.mode !== 'receive-only' && this.hmacSeq ? hmac : null;
    const seq = signing ? this.hmacSeq!.next((this.fx.wallNow ?? Date.now)()) : 0n;
    for (const dst of peers) {
      let payload: Buffer;
      try {
        payload = encodeAdvert(advert, {
          family: this.cfg.family,
          srcAddress: this.primaryAddress,
          dstAddress: dst,
          v3Ipv4PseudoHeader: this.cfg.v3ChecksumIpv4PseudoHeader,
        });
        if (signing) {
          const key = signing.keys.find((k) => k.id === signing.activeKey)!;
          payload = signAdvert(payload, {
            family: this.cfg.family,
            version: this.cfg.version,
            vrid: this.cfg.vrid,
            src: this.fsm.cfg.primaryAddress,
            dst: parseIp(dst)!.bytes,
            keyId: key.id,
            key: Buffer.from(key.hex, 'hex'),
            seq,
          });
        }
      } catch (err) {
        this.counters.sendErrors++;
        this.fx.log.error({ instance: this.name, err: String(err) }, 'encoding advert failed');
        return;
      }
      this.counters.advertsSent++;
      if (priority === 0) this.counters.priorityZeroSent++;
      this.fx.transport.send(payload, dst, this.primaryAddress).catch((err) => {
        this.counters.sendErrors++;
        this.fx.log.warn({ instance: this.name, dst, err: String(err) }, 'sending advert failed');
      });
    }
  }

  buildAdvert(priority: number): VrrpAdvert {
    const addresses = this.rules.advertAddresses;
    if (this.cfg.version === 2) {
      const authData = this.cfg.authPass ? simpleAuthData(this.cfg.authPass) : Buffer.alloc(8);
      return {
        version: 2,
        type: 1,
        vrid: this.cfg.vrid,
        priority,
        advertIntervalSec: Math.round(this.cfg.advertIntervalMs / 1000),
        authType: this.cfg.authPass ? 1 : 0,
        authData,
        addresses,
      };
    }
    return {
      version: 3,
      type: 1,
      vrid: this.cfg.vrid,
      priority,
      maxAdvertIntervalCs: Math.round(this.cfg.advertIntervalMs / 10),
      addresses,
    };
  }

  private setVips(present: boolean): Promise<void> {
    const first =
      present && !this.cfg.accept && this.cfg.priority !== 255 && this.fx.beforeVipsAdded
        ? this.fx.beforeVipsAdded()
        : null;
    if (first) return first.then(() => (this.fsm.state === 'master' ? this.setVipsNow(true) : undefined));
    return this.setVipsNow(present);
  }

  private setVipsNow(present: boolean): Promise<void> {
    const ops: Promise<unknown>[] = [];
    for (const vip of this.cfg.virtualIps) {
      const dev = vip.dev ?? this.fx.vipInterface;
      const op = present
        ? this.fx.addresses.add(dev, vip.address, vip.prefixLength, addressOptions(vip))
        : this.fx.addresses.remove(dev, vip.address, vip.prefixLength);
      const logged = op.catch((err) =>
        this.fx.log.error(
          {
            event: present ? 'vip-add-failed' : 'vip-remove-failed',
            instance: this.name,
            vip: vip.address,
            dev,
            err: String(err),
          },
          present ? 'adding VIP failed' : 'removing VIP failed',
        ),
      );
      ops.push(logged);
    }
    return Promise.all(ops).then(() => undefined);
  }

  /** While master, a reload that changes the VIP list adds and removes only the difference. */
  private updateVips(old: VrrpInstance, cfg: VrrpInstance): void {
    const key = (v: VirtualIp) =>
      `${v.address}/${v.prefixLength}@${v.dev ?? this.fx.vipInterface} ${JSON.stringify(addressOptions(v))}`;
    const oldKeys = new Set(old.virtualIps.map(key));
    const newKeys = new Set(cfg.virtualIps.map(key));
    for (const v of old.virtualIps) {
      if (!newKeys.has(key(v)))
        void this.fx.addresses
          .remove(v.dev ?? this.fx.vipInterface, v.address, v.prefixLength)
          .catch(() => {});
    }
    const added = cfg.virtualIps.filter((v) => !oldKeys.has(key(v)));
    if (added.length === 0) return;
    void Promise.allSettled(
      added.map((v) =>
        this.fx.addresses.add(v.dev ?? this.fx.vipInterface, v.address, v.prefixLength, addressOptions(v)),
      ),
    ).then(() => {
      this.startAnnounce(this.fx.now(), this.cfg.garp.repeat, this.cfg.garp.intervalMs);
      this.fx.wake();
    });
  }

  /** Waits until VIP removal has gone through (used at shutdown). */
  async removeVipsNow(): Promise<void> {
    await this.routing.remove(this.cfg);
    await Promise.allSettled(
      this.cfg.virtualIps.map((v) =>
        this.fx.addresses.remove(v.dev ?? this.fx.vipInterface, v.address, v.prefixLength),
      ),
    );
  }
}

/** label, brd and scope of a VIP, as the address manager takes them */
function addressOptions(v: VirtualIp): AddressOptions {
  return {
    ...(v.label !== undefined ? { label: v.label } : {}),
    ...(v.brd !== undefined ? { brd: v.brd } : {}),
    ...(v.scope !== undefined ? { scope: v.scope } : {}),
  };
}

/** auth_hmac's send sequence, carried over a reload (a new one would restart at the clock). */
function hmacSequenceOf(cfg: VrrpInstance, prev: HmacSequence | null): HmacSequence | null {
  const a = cfg.authHmac;
  if (!a) return null;
  const seq = new HmacSequence(a.antiReplayTime, a.timeWindowSec);
  if (prev) seq.value = prev.value;
  return seq;
}

/** An instance's counters before anything happened (also shown for one waiting for its interface). */
export function zeroCounters(): InstanceCounters {
  return {
    advertsSent: 0,
    advertsReceived: 0,
    priorityZeroSent: 0,
    priorityZeroReceived: 0,
    transitions: 0,
    becameMaster: 0,
    releasedMaster: 0,
    garpSent: 0,
    naSent: 0,
    vipsRestored: 0,
    sendErrors: 0,
    addressListMismatch: 0,
    drops: {},
  };
}
