// When a master announces its VIPs (gratuitous ARP / unsolicited NA, RFC 5798 §6.4.2):
// batches of `repeat` announcements `intervalMs` apart (the one at the transition and
// keepalived's garp_master_delay second batch), plus an optional periodic refresh
// (garp_master_refresh). Pure: times are given, nothing is sent here.

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
    for (const b of this.batches) d = d === null ? b.at : Math.min(d, b.at);
    return d;
  }
}
