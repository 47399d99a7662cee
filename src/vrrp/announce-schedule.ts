// When a master announces its VIPs (gratuitous ARP / unsolicited NA, RFC 5798 §6.4.2):
// batches of `repeat` announcements `intervalMs` apart (the one at the transition and
// keepalived's garp_master_delay second batch), plus an optional periodic refresh
// (garp_master_refresh). Pure: times are given, nothing is sent here.
// Also keepalived's garp_lower_prio_repeat/_delay (a batch when a master hears a lower
// advert, and another one the delay later) and garp_extra_if (one announcement per other
// interface of the VIPs every interval while master, the first garp_master_delay + interval
// after becoming master).

interface Batch {
  at: number;
  left: number;
  intervalMs: number;
}

export class AnnounceSchedule {
  private batches: Batch[] = [];
  private refreshAt: number | null = null;
  /** announcements per refresh (keepalived garp_master_refresh_repeat), `refreshIntervalMs` apart */
  private refreshRepeat = 1;
  private refreshIntervalMs = 0;
  /** garp_extra_if: the next announcement on the other interfaces (null: none) */
  private extraIfAt: number | null = null;
  private extraIfIntervalMs = 0;

  /** A batch of `repeat` announcements, the first at `at`. */
  addBatch(at: number, repeat: number, intervalMs: number): void {
    if (repeat > 0) this.batches.push({ at, left: repeat, intervalMs });
  }

  /** The next periodic refresh (null: none): `repeat` announcements, `intervalMs` apart. */
  setRefreshAt(at: number | null, repeat = 1, intervalMs = 0): void {
    this.refreshAt = at;
    this.refreshRepeat = repeat;
    this.refreshIntervalMs = intervalMs;
  }

  /** Forgets everything (no longer master). */
  clear(): void {
    this.batches = [];
    this.refreshAt = null;
    this.extraIfAt = null;
  }

  /**
   * keepalived's answer to a lower-priority advert heard as master: `repeat` announcements
   * now and, when delayMs > 0, `repeat` more delayMs later (nothing at all when repeat is 0).
   */
  addLowerPrio(now: number, repeat: number, delayMs: number, intervalMs: number): void {
    if (repeat <= 0) return;
    this.addBatch(now, repeat, intervalMs);
    if (delayMs > 0) this.addBatch(now + delayMs, repeat, intervalMs);
  }

  /** garp_extra_if: the first announcement on the other interfaces at `at`, then every intervalMs (null: off). */
  setExtraIfAt(at: number | null, intervalMs = 0): void {
    this.extraIfAt = intervalMs > 0 ? at : null;
    this.extraIfIntervalMs = intervalMs;
  }

  /** Whether the other interfaces' announcement is due at `now`; re-arms it an interval from now. */
  takeExtraIfDue(now: number): boolean {
    if (this.extraIfAt === null || this.extraIfAt > now) return false;
    this.extraIfAt = now + this.extraIfIntervalMs;
    return true;
  }

  /**
   * How many announcements are due at `now`; advances the schedule past them (a due
   * refresh is re-armed `refreshMs` from now: the instance's current setting).
   */
  takeDue(now: number, refreshMs: number): number {
    let n = 0;
    if (this.refreshAt !== null && this.refreshAt <= now) {
      // a refresh is a batch of its own: the first now, the others refreshIntervalMs apart
      this.addBatch(now, this.refreshRepeat, this.refreshIntervalMs);
      this.refreshAt = now + refreshMs;
    }
    for (const b of this.batches) {
      while (b.left > 0 && b.at <= now) {
        n++;
        b.left--;
        b.at += b.intervalMs;
      }
    }
    this.batches = this.batches.filter((b) => b.left > 0);
    return n;
  }

  /** The earliest time something is due, or null. */
  nextAt(): number | null {
    let d: number | null = this.refreshAt;
    if (this.extraIfAt !== null) d = d === null ? this.extraIfAt : Math.min(d, this.extraIfAt);
    for (const b of this.batches) d = d === null ? b.at : Math.min(d, b.at);
    return d;
  }
}
