// The IPVS reconciler (ARCHITECTURE rule 5): a pure diff of the desired table
// (config, already filtered by health) against a dump of the kernel's table, giving
// the smallest ordered list of operations that turns one into the other.
//
// Ownership (see OWNERSHIP.md): vrrpd owns exactly the services whose keys are in
// `desired` (plus `retire`, services it owned before a reload, or in its last run per the
// ownership record, and no longer wants).
// Every other kernel service is never looked at. Within an owned service vrrpd owns
// every destination: one the config does not list is removed.
import type { IpvsOp } from '../netlink/ipvs-types.js';
import { type IpvsTable, sameDestSettings, sameServiceSettings, serviceKey } from './model.js';

export type { IpvsOp } from '../netlink/ipvs-types.js';

export interface ReconcileOptions {
  /**
   * Keys of services vrrpd owned and must now remove (a reload dropped them from the
   * config, or the ownership record lists them from the last run). Deleted only if the
   * kernel still has them and `desired` does not.
   */
  retire?: Iterable<string>;
  /**
   * Real servers whose health is not known yet, as `${serviceKey}/${destKey}`. The
   * kernel keeps them exactly as they are if present, and they are not added if
   * absent (ARCHITECTURE rule 5: a restart must not disturb a live server, and a new
   * server waits for its first passing check).
   */
  pending?: ReadonlySet<string>;
}

/** Key of a real server across the whole table, as used by `pending`. */
export function realServerKey(svcKey: string, dKey: string): string {
  return `${svcKey}/${dKey}`;
}

/**
 * Ops come in four phases, each safe to pipeline on one netlink socket (the kernel
 * applies a socket's requests in order):
 *   1. add/edit services (a dest needs its service first)
 *   2. add/edit dests (new capacity before old capacity leaves)
 *   3. delete dests of services that stay
 *   4. delete services (the kernel drops their dests with them: no dest deletes needed)
 * Nothing is ever deleted and re-added: identity (the key) is all that cannot be
 * edited, and a different key is a different service or destination.
 */
export function reconcile(desired: IpvsTable, current: IpvsTable, opts: ReconcileOptions = {}): IpvsOp[] {
  const svcOps: IpvsOp[] = [];
  const destAddOps: IpvsOp[] = [];
  const destDelOps: IpvsOp[] = [];
  const svcDelOps: IpvsOp[] = [];
  const pending = opts.pending;

  for (const [sk, want] of desired) {
    const have = current.get(sk);
    const service = want.service;
    if (!have) {
      svcOps.push({ op: 'add-service', service });
      for (const [dk, dest] of want.dests) {
        if (pending?.has(realServerKey(sk, dk))) continue;
        destAddOps.push({ op: 'add-dest', service, dest });
      }
      continue;
    }
    if (!sameServiceSettings(want.service, have.service)) {
      svcOps.push({ op: 'edit-service', service, was: have.service });
    }
    for (const [dk, dest] of want.dests) {
      const cur = have.dests.get(dk);
      if (pending?.has(realServerKey(sk, dk))) continue;
      if (!cur) destAddOps.push({ op: 'add-dest', service, dest });
      else if (!sameDestSettings(dest, cur)) destAddOps.push({ op: 'edit-dest', service, dest, was: cur });
    }
    for (const [dk, cur] of have.dests) {
      if (want.dests.has(dk) || pending?.has(realServerKey(sk, dk))) continue;
      destDelOps.push({ op: 'delete-dest', service: have.service, dest: cur });
    }
  }

  for (const sk of new Set(opts.retire ?? [])) {
    const have = current.get(sk);
    if (have && !desired.has(sk)) svcDelOps.push({ op: 'delete-service', service: have.service });
  }

  return [...svcOps, ...destAddOps, ...destDelOps, ...svcDelOps];
}

/** One line per op, for logs and dry runs ("ipvsadm -Sn"-like words, not its syntax). */
export function describeOp(op: IpvsOp): string {
  const sk = serviceKey(op.service);
  switch (op.op) {
    case 'add-service':
      return `add service ${sk} scheduler ${op.service.scheduler}`;
    case 'edit-service':
      return `edit service ${sk}`;
    case 'delete-service':
      return `delete service ${sk}`;
    case 'add-dest':
      return `add real server ${op.dest.address}:${op.dest.port} to ${sk} (${op.dest.forwarding}, weight ${op.dest.weight})`;
    case 'edit-dest':
      return `edit real server ${op.dest.address}:${op.dest.port} in ${sk} (weight ${op.was.weight} -> ${op.dest.weight})`;
    case 'delete-dest':
      return `delete real server ${op.dest.address}:${op.dest.port} from ${sk}`;
  }
}
