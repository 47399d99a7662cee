// Applying reconciler ops: a pure model of what the kernel does with each op (for
// property tests and for keeping a cached table in step), and the small loop that
// dumps, diffs and applies through whatever client implements `IpvsTableClient`.
import { cloneTable, destKey, type IpvsTable, serviceKey } from './model.js';
import { type IpvsOp, type ReconcileOptions, reconcile } from './reconcile.js';

/** An op the kernel would refuse, with the errno it would return. */
export class IpvsModelError extends Error {
  constructor(
    readonly code: 'EEXIST' | 'ESRCH' | 'ENOENT',
    readonly failedOp: IpvsOp,
    message: string,
  ) {
    super(message);
    this.name = 'IpvsModelError';
  }
}

/**
 * Returns the table the kernel would hold after `ops`, refusing what the kernel refuses
 * (same errnos as ip_vs_ctl.c: NEW on an existing entry EEXIST, a service op on a
 * missing service ESRCH, SET/DEL of a missing destination ENOENT). Pure; `table` is
 * not modified.
 */
export function applyOps(table: IpvsTable, ops: readonly IpvsOp[]): IpvsTable {
  const t = cloneTable(table);
  for (const op of ops) {
    const sk = serviceKey(op.service);
    const entry = t.get(sk);
    switch (op.op) {
      case 'add-service':
        if (entry) throw new IpvsModelError('EEXIST', op, `service ${sk} exists`);
        t.set(sk, { service: { ...op.service, flags: { ...op.service.flags } }, dests: new Map() });
        break;
      case 'edit-service':
        if (!entry) throw new IpvsModelError('ESRCH', op, `no service ${sk}`);
        entry.service = { ...op.service, flags: { ...op.service.flags } };
        break;
      case 'delete-service':
        if (!entry) throw new IpvsModelError('ESRCH', op, `no service ${sk}`);
        t.delete(sk);
        break;
      default: {
        if (!entry) throw new IpvsModelError('ESRCH', op, `no service ${sk}`);
        const dk = destKey(op.dest);
        const has = entry.dests.has(dk);
        if (op.op === 'add-dest') {
          if (has) throw new IpvsModelError('EEXIST', op, `real server ${dk} exists in ${sk}`);
          entry.dests.set(dk, { ...op.dest });
        } else if (op.op === 'edit-dest') {
          if (!has) throw new IpvsModelError('ENOENT', op, `no real server ${dk} in ${sk}`);
          entry.dests.set(dk, { ...op.dest });
        } else {
          if (!has) throw new IpvsModelError('ENOENT', op, `no real server ${dk} in ${sk}`);
          entry.dests.delete(dk);
        }
      }
    }
  }
  return t;
}

/**
 * The same as applyOps, in place and without throwing: the ops the kernel accepted are
 * brought into `table` (a kept copy of the kernel's). False when an op did not fit the
 * table (it was not what the kernel holds; the op is skipped).
 */
export function applyOpsInPlace(table: IpvsTable, ops: readonly IpvsOp[]): boolean {
  let fits = true;
  for (const op of ops) {
    const sk = serviceKey(op.service);
    const entry = table.get(sk);
    if (op.op === 'add-service') {
      if (entry) fits = false;
      else table.set(sk, { service: { ...op.service, flags: { ...op.service.flags } }, dests: new Map() });
      continue;
    }
    if (!entry) {
      fits = false;
      continue;
    }
    if (op.op === 'edit-service') {
      entry.service = { ...op.service, flags: { ...op.service.flags } };
      continue;
    }
    if (op.op === 'delete-service') {
      table.delete(sk);
      continue;
    }
    const dk = destKey(op.dest);
    const has = entry.dests.has(dk);
    if (op.op === 'add-dest' ? has : !has) fits = false;
    if (op.op === 'delete-dest') {
      entry.dests.delete(dk);
      entry.destCounters?.delete(dk);
    } else entry.dests.set(dk, { ...op.dest });
  }
  return fits;
}

export interface OpFailure {
  op: IpvsOp;
  error: Error;
}

/** What the sync loop needs from an IPVS client (src/effects/ipvs-client.ts implements it). */
export interface IpvsTableClient {
  dump(): Promise<IpvsTable>;
  applyAll(ops: readonly IpvsOp[]): Promise<{ failures: OpFailure[] }>;
}

export interface SyncResult {
  ops: IpvsOp[];
  failures: OpFailure[];
}

/** One reconcile pass: dump the kernel, diff, apply. Never flushes. */
export async function syncIpvs(
  client: IpvsTableClient,
  desired: IpvsTable,
  opts: ReconcileOptions = {},
): Promise<SyncResult> {
  const current = await client.dump();
  const ops = reconcile(desired, current, opts);
  if (ops.length === 0) return { ops, failures: [] };
  const { failures } = await client.applyAll(ops);
  return { ops, failures };
}
