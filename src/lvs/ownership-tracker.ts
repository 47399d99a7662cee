// The LVS controller's use of the ownership record (ownership.ts, OWNERSHIP.md rule 4):
// read it once, with the first kernel dump; turn it into services to delete; write it
// back after passes. Every problem with the file is logged and then ignored: without
// a record vrrpd behaves as it did before records existed (deletes nothing at start).
import type { Config } from '../config/model.js';
import type { Log } from '../log.js';
import { serviceOf } from './desired.js';
import { serviceKey } from './model.js';
import { type OwnershipStore, OwnershipWriteError, recordAfterPass, staleServices } from './ownership.js';
import type { IpvsOp } from './reconcile.js';

export function configuredServiceKeys(c: Config): Set<string> {
  return new Set(c.virtualServers.map((v) => serviceKey(serviceOf(v))));
}

export class OwnershipTracker {
  /** false until the first pass with a kernel dump has consumed the record */
  private consumed = false;
  /** stale services from the record not deleted yet: their deletion gets its own log line */
  private readonly stale = new Set<string>();
  private lastWritten: string | null = null;
  private writeDue = true;
  private writeWarned = false;

  /** `store` null: no record at all (tests with a fake kernel) */
  constructor(
    private readonly store: OwnershipStore | null,
    private readonly log: Log,
  ) {}

  /** True until the first pass with a kernel dump has read the record (when there is a store). */
  get recordPending(): boolean {
    return this.store !== null && !this.consumed;
  }

  /** The next save writes even an unchanged record (start, reload). */
  markWriteDue(): void {
    this.writeDue = true;
  }

  /**
   * Called with each successful kernel dump; only the first reads the record and
   * returns the services to delete (recorded, in the kernel, not configured).
   */
  async staleAtStart(path: string, configured: ReadonlySet<string>, kernel: ReadonlyMap<string, unknown>) {
    if (this.consumed || !this.store) return [];
    this.consumed = true;
    const r = await this.store
      .read(path)
      .catch(
        (e: unknown) =>
          ({ ok: false, code: 'OWNERSHIP_RECORD_UNREADABLE', reason: `${path}: ${String(e)}` }) as const,
      );
    if (!r.ok) {
      const first = r.code === 'OWNERSHIP_RECORD_MISSING' ? ' (normal on the first start)' : '';
      this.log.warn(
        { event: 'ipvs-ownership-record', code: r.code, path, reason: r.reason },
        `no usable record of the IPVS services vrrpd owned in its last run: ${r.reason}${first}. ` +
          'Services dropped from the config while vrrpd was stopped are left in the kernel; delete them by hand if needed',
      );
      return [];
    }
    const out = staleServices(r.keys, configured, kernel);
    for (const k of out) this.stale.add(k);
    return out;
  }

  /** Logs the stale services the pass deleted (`done`: the ops that succeeded). */
  noteDone(done: readonly IpvsOp[], path: string): void {
    if (this.stale.size === 0) return;
    for (const op of done) {
      if (op.op !== 'delete-service') continue;
      const k = serviceKey(op.service);
      if (!this.stale.delete(k)) continue;
      this.log.warn(
        { event: 'ipvs-stale-service-removed', service: k, stateFile: path },
        `IPVS: deleted virtual service ${k}: it is not in the config, and vrrpd's record from its last run (${path}) says vrrpd owned it`,
      );
    }
  }

  /**
   * Writes the record after a pass with a kernel dump: the configured services plus
   * `stillToDelete` (services vrrpd owned whose deletion has not succeeded yet).
   */
  async save(path: string, configured: Iterable<string>, stillToDelete: Iterable<string>): Promise<void> {
    // never before the old record was read: writing first would forget what it listed
    if (!this.store || !this.consumed) return;
    const keys = recordAfterPass(configured, stillToDelete);
    const id = `${path}\n${keys.join('\n')}`;
    if (!this.writeDue && id === this.lastWritten) return;
    try {
      await this.store.write(path, keys);
      this.lastWritten = id;
      this.writeDue = false;
      if (this.writeWarned)
        this.log.info(
          { event: 'ipvs-ownership-record', path },
          `IPVS ownership record ${path} written again`,
        );
      this.writeWarned = false;
    } catch (e) {
      if (this.writeWarned) return; // once until it works again; the next pass retries
      this.writeWarned = true;
      const msg = e instanceof Error ? e.message : String(e);
      this.log.warn(
        {
          event: 'ipvs-ownership-record',
          code: e instanceof OwnershipWriteError ? e.code : 'OWNERSHIP_RECORD_UNWRITABLE',
          path,
          err: msg,
        },
        `${msg}; vrrpd runs on, but after a restart it cannot remove services dropped from the config meanwhile`,
      );
    }
  }
}
