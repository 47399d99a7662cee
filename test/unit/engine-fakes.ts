// Fakes for the VRRP runtime tests (engine*.test.ts, instance*.test.ts): a fake monotonic
// clock that fires timers in deadline order, a fake link segment that carries adverts
// between engines (through the same clock, so "the network" has a timeline), and
// recording fakes of the effect interfaces in src/effects/types.ts.

import type { Clock } from '../../src/clock.js';
import { type Config, diffConfig, parseConfigText } from '../../src/config/index.js';
import type {
  AcceptFilter,
  AddressManager,
  AddressOptions,
  AdvertTransport,
  Family,
  FrameSender,
  InterfaceAddress,
  LinkEvent,
  LinkInfo,
  LinkWatcher,
  ReceivedPacket,
} from '../../src/effects/types.js';
import { logThrough } from '../../src/log.js';
import { addon } from '../../src/native/index.js';
import { type DecodeResult, decodeAdvert, type VrrpAdvert } from '../../src/vrrp/codec.js';
import { Engine, type EngineEffects } from '../../src/vrrp/engine.js';
import type { VrrpState } from '../../src/vrrp/fsm.js';
import { receivedPacket } from '../helpers/adverts.js';

export function loadConfig(text: string): Config {
  const r = parseConfigText(text, 'test.yaml', { hostname: 'testhost' });
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
  return r.config;
}

export const yaml = (...l: string[]): string => `${l.join('\n')}\n`;

interface PendingTimer {
  id: number;
  at: number;
  fn: () => void;
}

/** A monotonic clock under the test's control. Timers fire in (deadline, creation) order. */
export class FakeClock implements Clock {
  nowMs = 0;
  private nextId = 1;
  private timers: PendingTimer[] = [];
  setCalls = 0;
  clearCalls = 0;

  now(): number {
    return this.nowMs;
  }

  setTimer(fn: () => void, delayMs: number): unknown {
    this.setCalls++;
    const t = { id: this.nextId++, at: this.nowMs + Math.max(0, delayMs), fn };
    this.timers.push(t);
    return t.id;
  }

  clearTimer(handle: unknown): void {
    this.clearCalls++;
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  pending(): { id: number; at: number }[] {
    return this.timers.map((t) => ({ id: t.id, at: t.at })).sort((a, b) => a.at - b.at || a.id - b.id);
  }

  /** Runs every timer due up to now + ms (including ones armed on the way), then sets now. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.nowMs + ms);
  }

  async advanceTo(target: number): Promise<void> {
    for (;;) {
      await flush();
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.nowMs = Math.max(this.nowMs, due.at);
      due.fn();
    }
    this.nowMs = Math.max(this.nowMs, target);
    await flush();
  }
}

/** Lets promise callbacks (fake sends, address ops) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

export interface SentAdvert {
  at: number;
  from: string;
  dst: string;
  src: string | undefined;
  payload: Buffer;
}

/** One Ethernet segment per family: what one transport sends, the others receive. */
export class FakeSegment {
  readonly transports: FakeTransport[] = [];
  /** every advert put on the wire, in order */
  readonly log: SentAdvert[] = [];
  constructor(
    readonly clock: FakeClock,
    readonly latencyMs = 0,
  ) {}

  deliver(from: FakeTransport, payload: Buffer, dst: string, src: string | undefined): void {
    this.log.push({ at: this.clock.now(), from: from.owner, dst, src, payload: Buffer.from(payload) });
    if (from.cutOff) return;
    for (const t of this.transports) {
      if (t === from || t.family !== from.family) continue;
      this.clock.setTimer(() => {
        if (t.cutOff || t.closed) return;
        t.inject(receivedPacket({ payload, src: src ?? (from.family === 4 ? '0.0.0.0' : '::'), dst }));
      }, this.latencyMs);
    }
  }
}

export class FakeTransport implements AdvertTransport {
  readonly sent: { payload: Buffer; dst: string; src: string | undefined; at: number }[] = [];
  private packetCb: ((pkt: ReceivedPacket) => void) | null = null;
  closed = false;
  /** a cut-off transport neither sends onto nor receives from the segment (a dead node) */
  cutOff = false;
  /** rxFilter: the addon's early drops (its real verdicts), as a batched raw socket has them */
  setRxFilter?: (table: Uint8Array | null) => boolean;
  takeRxDrops?: () => { reason: string; vrid: number; count: number }[];
  /** rxFilter: the tables pushed, and how many packets never reached the engine */
  readonly rxTables: (Uint8Array | null)[] = [];
  nativeDropped = 0;
  private rxDrops = new Map<string, { reason: string; vrid: number; count: number }>();
  constructor(
    readonly owner: string,
    readonly family: Family,
    readonly ifname: string,
    private readonly clock: FakeClock,
    private readonly segment: FakeSegment | null,
    rxFilter = false,
  ) {
    segment?.transports.push(this);
    if (rxFilter) {
      this.setRxFilter = (table) => {
        this.rxTables.push(table && Uint8Array.from(table));
        return true;
      };
      this.takeRxDrops = () => {
        const out = [...this.rxDrops.values()];
        this.rxDrops.clear();
        return out;
      };
    }
  }

  /** The addon's verdict on pkt under the last table pushed: true when dropped (and counted). */
  private nativeDrop(pkt: ReceivedPacket): boolean {
    const table = this.rxTables.at(-1);
    if (!table) return false;
    const a = addon();
    const [reason, column] =
      'ip' in pkt
        ? a.rxJudge!(table, pkt.family, pkt.ip, null, null, -1)
        : a.rxJudge!(table, pkt.family, pkt.payload, pkt.src, pkt.dst, pkt.ttl);
    if (reason < 0) return false;
    const key = `${reason}/${column}`;
    const d = this.rxDrops.get(key) ?? { reason: a.rxReasons![reason]!, vrid: column - 1, count: 0 };
    d.count++;
    this.rxDrops.set(key, d);
    this.nativeDropped++;
    return true;
  }

  async send(payload: Buffer, dst: string, src?: string): Promise<void> {
    if (this.closed) throw Object.assign(new Error('socket closed'), { code: 'EBADF' });
    this.sent.push({ payload: Buffer.from(payload), dst, src, at: this.clock.now() });
    this.segment?.deliver(this, payload, dst, src);
  }

  onPacket(cb: (pkt: ReceivedPacket) => void): void {
    this.packetCb = cb;
  }

  onError(): void {}

  close(): void {
    this.closed = true;
  }

  /** Hands a packet to the engine as if the socket had received it. */
  inject(pkt: ReceivedPacket): void {
    if (this.nativeDrop(pkt)) return;
    this.packetCb?.(pkt);
  }

  /** Decodes what was sent (v3 IPv4 with the pseudo-header). */
  decodedSent(): VrrpAdvert[] {
    return this.sent.map((s) => {
      const r = decodeAdvert(s.payload, {
        family: this.family,
        srcAddress: s.src ?? '',
        dstAddress: s.dst,
      });
      if (!r.ok) throw new Error(`sent advert does not decode: ${r.reason} ${r.detail ?? ''}`);
      return r.value;
    });
  }
}

export function decodeSent(
  s: { payload: Buffer; dst: string; src: string | undefined },
  family: Family,
): DecodeResult<VrrpAdvert> {
  return decodeAdvert(s.payload, { family, srcAddress: s.src ?? '', dstAddress: s.dst });
}

export class FakeAddresses implements AddressManager {
  readonly ops: {
    op: 'add' | 'remove';
    ifname: string;
    address: string;
    prefixLength: number;
    at: number;
    /** label/brd/scope, when the VIP has any */
    opts?: AddressOptions;
  }[] = [];
  private readonly present = new Map<string, InterfaceAddress>();
  constructor(
    private readonly clock: FakeClock,
    private readonly ifindexOf: (ifname: string) => number,
    initial: { ifname: string; address: string; prefixLength: number }[] = [],
  ) {
    for (const a of initial) this.put(a.ifname, a.address, a.prefixLength);
  }

  private put(ifname: string, address: string, prefixLength: number): void {
    this.present.set(`${ifname}/${address}`, {
      ifindex: this.ifindexOf(ifname),
      family: address.includes(':') ? 6 : 4,
      address,
      prefixLength,
      label: ifname,
    });
  }

  async add(ifname: string, address: string, prefixLength: number, opts?: AddressOptions): Promise<void> {
    this.ops.push({
      op: 'add',
      ifname,
      address,
      prefixLength,
      at: this.clock.now(),
      ...(opts && Object.keys(opts).length > 0 ? { opts } : {}),
    });
    this.put(ifname, address, prefixLength);
  }

  async remove(ifname: string, address: string, prefixLength: number): Promise<void> {
    this.ops.push({ op: 'remove', ifname, address, prefixLength, at: this.clock.now() });
    this.present.delete(`${ifname}/${address}`);
  }

  /** Removes an address without the daemon's knowledge (`ip addr del` by an operator). */
  removeBehindBack(ifname: string, address: string): InterfaceAddress | undefined {
    const a = this.present.get(`${ifname}/${address}`);
    this.present.delete(`${ifname}/${address}`);
    return a;
  }

  has(ifname: string, address: string): boolean {
    return this.present.has(`${ifname}/${address}`);
  }

  async list(ifname?: string): Promise<InterfaceAddress[]> {
    return [...this.present.entries()]
      .filter(([k]) => ifname === undefined || k.startsWith(`${ifname}/`))
      .map(([, v]) => v);
  }
}

export class FakeFrames implements FrameSender {
  readonly sent: { ifname: string; frame: Buffer; at: number }[] = [];
  constructor(private readonly clock: FakeClock) {}
  async send(ifname: string, frame: Buffer): Promise<void> {
    this.sent.push({ ifname, frame: Buffer.from(frame), at: this.clock.now() });
  }
  close(): void {}

  /** Gratuitous ARPs (ethertype 0x0806), with the announced IPv4 address (sender protocol address). */
  arps(): { at: number; address: string }[] {
    return this.sent
      .filter((s) => s.frame.readUInt16BE(12) === 0x0806)
      .map((s) => ({ at: s.at, address: [...s.frame.subarray(28, 32)].join('.') }));
  }

  /** Unsolicited NAs (ethertype 0x86dd). */
  nas(): { at: number }[] {
    return this.sent.filter((s) => s.frame.readUInt16BE(12) === 0x86dd).map((s) => ({ at: s.at }));
  }
}

export class FakeLinks implements LinkWatcher {
  private cb: ((ev: LinkEvent) => void) | null = null;
  readonly byName = new Map<string, LinkInfo>();
  closed = false;
  constructor(names: string[]) {
    names.forEach((name, i) => {
      this.byName.set(name, {
        ifindex: i + 2,
        name,
        up: true,
        running: true,
        mac: `02:00:00:00:00:0${i + 1}`,
        mtu: 1500,
      });
    });
  }
  ifindexOf = (name: string): number => this.byName.get(name)?.ifindex ?? 99;
  async links(): Promise<LinkInfo[]> {
    return [...this.byName.values()];
  }
  onEvent(cb: (ev: LinkEvent) => void): void {
    this.cb = cb;
  }
  close(): void {
    this.closed = true;
  }
  emit(ev: LinkEvent): void {
    this.cb?.(ev);
  }
  /** Sets carrier (IFF_RUNNING) and reports it as rtnetlink would. */
  setCarrier(name: string, running: boolean): void {
    const l = this.byName.get(name);
    if (!l) throw new Error(`no link ${name}`);
    const next = { ...l, running };
    this.byName.set(name, next);
    this.emit({ type: 'link', link: next });
  }
}

export interface Transition {
  at: number;
  instance: string;
  from: VrrpState;
  to: VrrpState;
  reason: string;
}

/** One node: an Engine with recording fakes. */
export class Node {
  readonly transports: FakeTransport[] = [];
  readonly addresses: FakeAddresses;
  readonly frames: FakeFrames;
  readonly links: FakeLinks;
  readonly transitions: Transition[] = [];
  readonly logs: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  readonly engine: Engine;

  constructor(
    readonly name: string,
    readonly clock: FakeClock,
    cfg: Config,
    opts: {
      segments?: Partial<Record<Family, FakeSegment>>;
      links?: string[];
      primary4?: string;
      primary6?: string;
      acceptFilter?: AcceptFilter;
      /** transports with the addon's early drops (FakeTransport rxFilter) */
      rxFilter?: boolean;
    } = {},
  ) {
    this.links = new FakeLinks(opts.links ?? ['eth0', 'eth1']);
    const initial = [];
    if (opts.primary4) initial.push({ ifname: 'eth0', address: opts.primary4, prefixLength: 24 });
    if (opts.primary6) initial.push({ ifname: 'eth0', address: opts.primary6, prefixLength: 64 });
    this.addresses = new FakeAddresses(clock, this.links.ifindexOf, initial);
    this.frames = new FakeFrames(clock);
    const fx: EngineEffects = {
      clock,
      openTransport: (o) => {
        const t = new FakeTransport(
          name,
          o.family,
          o.ifname,
          clock,
          opts.segments?.[o.family] ?? null,
          opts.rxFilter ?? false,
        );
        this.transports.push(t);
        return t;
      },
      addresses: this.addresses,
      frames: this.frames,
      links: this.links,
      log: logThrough((level, obj, msg) => this.logs.push({ level, obj, msg: msg ?? '' })),
      onStateChange: (ev) => this.transitions.push({ at: clock.now(), ...ev }),
      ...(opts.acceptFilter ? { acceptFilter: opts.acceptFilter } : {}),
    };
    this.engine = new Engine(cfg, fx);
    this.cfg = cfg;
  }

  private cfg: Config;

  /** A reload: the engine gets its slice of the diff, as from the daemon. */
  reload(next: Config) {
    const slice = diffConfig(this.cfg, next).vrrp.instances;
    this.cfg = next;
    return this.engine.reload(next, slice);
  }

  transport(family: Family = 4): FakeTransport {
    const t = this.transports.find((x) => x.family === family && !x.closed);
    if (!t) throw new Error(`${this.name}: no open IPv${family} transport`);
    return t;
  }

  async state(instance: string): Promise<VrrpState | undefined> {
    return (await this.engine.snapshot()).instances.find((i) => i.name === instance)?.state;
  }

  async instance(name: string) {
    const i = (await this.engine.snapshot()).instances.find((x) => x.name === name);
    if (!i) throw new Error(`${this.name}: no instance ${name}`);
    return i;
  }

  /** The time this node's instance last entered `to`. */
  lastEntered(instance: string, to: VrrpState): number | undefined {
    return this.transitions.filter((t) => t.instance === instance && t.to === to).at(-1)?.at;
  }
}

/** An instance YAML block (v3, IPv4 VIP by default). */
export function instanceYaml(o: {
  name?: string;
  vrid?: number;
  priority: number;
  version?: 2 | 3;
  interval?: string;
  vips?: string[];
  extra?: string[];
}): string[] {
  return [
    `  - name: ${o.name ?? 'VI_1'}`,
    '    interface: eth0',
    `    vrid: ${o.vrid ?? 51}`,
    `    version: ${o.version ?? 3}`,
    `    priority: ${o.priority}`,
    `    advert_interval: ${o.interval ?? '1s'}`,
    `    virtual_ips: [${(o.vips ?? ['192.0.2.50/24']).join(', ')}]`,
    ...(o.extra ?? []).map((l) => `    ${l}`),
  ];
}
