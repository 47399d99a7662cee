// Keeps vrrpd's routing table in step with the announce decisions of each LVS pass
// (announce.ts): a host route per announced address, added when its services are healthy
// and removed when they are not, and all of them first at a graceful stop. Route changes
// run one at a time, in order; the status and the metrics read what the kernel was told.
import type { AnnounceSettings, Config } from '../config/model.js';
import type { AnnouncedAddressStatus, AnnounceStatus } from '../control/snapshot.js';
import type { RouteSink } from '../effects/types.js';
import type { Log } from '../log.js';
import { type AddressDecision, announceDecisions } from './announce.js';
import type { DesiredState } from './desired.js';

interface AddressState {
  /** what the last successful route change left in the kernel */
  announced: boolean;
  since: string | null;
  reason: string;
  services: AddressDecision['services'];
  error: string | null;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function reasonOf(d: AddressDecision): string {
  const bad = d.services.filter((s) => !s.healthy);
  if (bad.length === 0) return d.services.map((s) => `${s.virtualServer}: ${s.reason}`).join('; ');
  return bad.map((s) => `${s.virtualServer}: ${s.reason}`).join('; ');
}

export class Announcer {
  private settings: AnnounceSettings | null = null;
  private sink: RouteSink | null = null;
  private readonly state = new Map<string, AddressState>();
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private withdrawals = 0;

  constructor(
    private readonly log: Log,
    private readonly makeSink: (s: AnnounceSettings) => RouteSink,
    private readonly wall: () => number = Date.now,
  ) {}

  /** After each LVS pass: brings the routes in line with its outcome. */
  update(config: Config, d: DesiredState): void {
    if (this.stopped) return;
    const settings = config.global.announce;
    const decisions = settings ? announceDecisions(config.virtualServers, d) : [];
    this.enqueue(async () => {
      if (this.stopped) return;
      await this.useSettings(settings);
      const wanted = new Set(decisions.map((x) => x.address));
      for (const [address, st] of this.state) {
        if (wanted.has(address)) continue;
        if (st.announced) await this.change(address, false, 'no virtual server announces it any more');
        this.state.delete(address);
      }
      for (const dec of decisions) {
        const reason = reasonOf(dec);
        let st = this.state.get(dec.address);
        if (!st) {
          st = { announced: false, since: null, reason, services: dec.services, error: null };
          this.state.set(dec.address, st);
        }
        st.services = dec.services;
        if (st.announced !== dec.announce || st.error) await this.change(dec.address, dec.announce, reason);
        st.reason = reason;
      }
    });
  }

  /** Graceful stop: every route withdrawn, before anything else stops. */
  async withdrawAll(): Promise<void> {
    this.stopped = true;
    await this.chain;
    const sink = this.sink;
    if (!sink) return;
    const had = [...this.state].filter(([, st]) => st.announced).map(([a]) => a);
    try {
      await sink.removeAll();
      for (const a of had) {
        const st = this.state.get(a)!;
        st.announced = false;
        st.since = new Date(this.wall()).toISOString();
        st.reason = 'vrrpd is stopping';
        this.withdrawals++;
      }
      if (had.length > 0)
        this.log.info(
          { event: 'announce-withdrawn', addresses: had, reason: 'stopping' },
          `withdrew ${had.join(', ')} (stopping)`,
        );
    } catch (e) {
      this.log.error(
        { event: 'announce-error', error: errText(e) },
        `withdrawing at stop failed: ${errText(e)}`,
      );
    }
  }

  /** Settles the queue (tests). */
  idle(): Promise<void> {
    return this.chain;
  }

  close(): void {
    this.stopped = true;
    this.sink?.close();
    this.sink = null;
  }

  snapshot(): AnnounceStatus | null {
    const s = this.settings;
    if (!s) return null;
    const addresses: AnnouncedAddressStatus[] = [...this.state].map(([address, st]) => ({
      address,
      announced: st.announced,
      since: st.since,
      reason: st.reason,
      services: st.services.map((x) => ({ ...x })),
      error: st.error,
    }));
    return {
      table: s.table,
      protocol: s.protocol,
      interface: s.interface,
      addresses,
      withdrawals: this.withdrawals,
    };
  }

  private enqueue(fn: () => Promise<void>): void {
    this.chain = this.chain.then(fn).catch((e: unknown) => {
      this.log.error({ event: 'announce-error', error: errText(e) }, `announce: ${errText(e)}`);
    });
  }

  private async useSettings(next: AnnounceSettings | null): Promise<void> {
    const cur = this.settings;
    const same =
      cur !== null &&
      next !== null &&
      cur.table === next.table &&
      cur.protocol === next.protocol &&
      cur.interface === next.interface;
    if (same) {
      this.settings = next;
      return;
    }
    if (this.sink) {
      // a new table, protocol or interface (or none): nothing stays behind in the old one
      const why = next
        ? 'the announce table, protocol or interface changed'
        : 'announce is no longer configured';
      for (const [address, st] of this.state) if (st.announced) await this.change(address, false, why);
      await this.sink
        .removeAll()
        .catch((e: unknown) =>
          this.log.error(
            { event: 'announce-error', error: errText(e) },
            `clearing the old table failed: ${errText(e)}`,
          ),
        );
      this.sink.close();
      this.sink = null;
      for (const st of this.state.values()) st.announced = false;
    }
    this.settings = next;
    if (next) {
      this.sink = this.makeSink(next);
      // routes an earlier run left (it was killed before it could withdraw) go first
      await this.sink.removeAll();
      this.log.info(
        { event: 'announce-table', table: next.table, protocol: next.protocol, interface: next.interface },
        `announcing through routing table ${next.table} (proto ${next.protocol}, dev ${next.interface})`,
      );
    }
  }

  private async change(address: string, announce: boolean, reason: string): Promise<void> {
    const st = this.state.get(address);
    const sink = this.sink;
    if (!sink) return;
    try {
      if (announce) await sink.add(address);
      else await sink.remove(address);
    } catch (e) {
      if (st) st.error = `${announce ? 'adding' : 'removing'} the route failed: ${errText(e)}`;
      this.log.error(
        { event: 'announce-error', address, announce, error: errText(e) },
        `${announce ? 'announcing' : 'withdrawing'} ${address} failed: ${errText(e)}`,
      );
      return;
    }
    const was = st?.announced ?? false;
    if (st) {
      st.error = null;
      st.announced = announce;
      if (was !== announce) st.since = new Date(this.wall()).toISOString();
    }
    if (was === announce) return;
    if (announce) this.log.info({ event: 'announce', address, reason }, `announcing ${address} (${reason})`);
    else {
      this.withdrawals++;
      this.log.warn({ event: 'announce-withdrawn', address, reason }, `withdrew ${address} (${reason})`);
    }
  }
}
