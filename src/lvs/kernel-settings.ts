// The controller's kernel settings besides the table: IPVS connection timeouts
// (lvs_timeouts) and the connection-sync daemon that follows a VRRP instance.
import type { Config, LvsSyncDaemon, LvsTimeouts } from '../config/model.js';
import type { Log } from '../log.js';
import type { IpvsSyncDaemon, IpvsTimeouts } from '../netlink/ipvs.js';
import type { OpFailure } from './apply.js';
import type { IpvsService, IpvsTable } from './model.js';
import type { IpvsOp } from './reconcile.js';

/** What the controller needs of the IPVS client (src/effects/ipvs-client.ts has it all). */
export interface LvsIpvsClient {
  dump(): Promise<IpvsTable>;
  /**
   * The given services only (those the kernel has); absent: the periodic heal reads the
   * whole table in one step.
   */
  dumpOnly?(services: Iterable<IpvsService>): Promise<IpvsTable>;
  applyAll(ops: readonly IpvsOp[]): Promise<{ failures: OpFailure[] }>;
  setTimeouts(t: Partial<IpvsTimeouts>): Promise<void>;
  startDaemon(d: IpvsSyncDaemon): Promise<void>;
  stopDaemon(state: IpvsSyncDaemon['state']): Promise<void>;
  listDaemons(): Promise<IpvsSyncDaemon[]>;
  close?(): void;
}

export function hasTimeouts(c: Config): boolean {
  const t = c.lvsTimeouts;
  return t.tcpS !== undefined || t.tcpFinS !== undefined || t.udpS !== undefined;
}

/** Sets the configured timeouts; absent ones are left as the kernel has them. */
export async function applyTimeouts(client: LvsIpvsClient, t: LvsTimeouts, log: Log): Promise<void> {
  const set: Partial<IpvsTimeouts> = {};
  if (t.tcpS !== undefined) set.tcpS = t.tcpS;
  if (t.tcpFinS !== undefined) set.tcpFinS = t.tcpFinS;
  if (t.udpS !== undefined) set.udpS = t.udpS;
  await client.setTimeouts(set);
  log.info({ event: 'ipvs-timeouts', ...set }, 'IPVS connection timeouts set');
}

/**
 * Makes the kernel's sync daemons match: `role` running with the configured interface
 * and sync id, anything else stopped (keepalived: MASTER stops BACKUP and the other way
 * round). `want` undefined: the config dropped the daemon, so stop what runs. Returns
 * whether vrrpd still owns a sync daemon.
 */
export async function reconcileSyncDaemon(
  client: LvsIpvsClient,
  want: LvsSyncDaemon | undefined,
  role: 'master' | 'backup',
  log: Log,
): Promise<boolean> {
  const running = await client.listDaemons();
  if (!want) {
    for (const d of running) await client.stopDaemon(d.state);
    if (running.length > 0)
      log.info(
        { event: 'sync-daemon', state: 'stopped' },
        'IPVS sync daemon stopped (removed from the config)',
      );
    return false;
  }
  let ours = false;
  for (const d of running) {
    if (d.state === role && d.ifname === want.interface && d.syncId === want.syncId) ours = true;
    else await client.stopDaemon(d.state);
  }
  if (ours) return true;
  await client.startDaemon({ state: role, ifname: want.interface, syncId: want.syncId });
  log.info(
    {
      event: 'sync-daemon',
      state: role,
      interface: want.interface,
      syncId: want.syncId,
      instance: want.instance,
    },
    `IPVS sync daemon running as ${role.toUpperCase()} on ${want.interface} (sync id ${want.syncId}), following ${want.instance}`,
  );
  return true;
}
