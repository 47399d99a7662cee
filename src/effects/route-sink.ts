// The host routes of announced addresses, in the one routing table vrrpd owns
// (global.announce.table), through rtnetlink; FRR imports that table and redistributes it
// into BGP, so a route here is an announcement and its removal a withdrawal.
//
// Dying without a word: the kernel keeps a route after the process that added it is gone,
// so a vrrpd killed with SIGKILL would leave FRR announcing a director that no longer
// checks its real servers. (A route through a tun device that dies with the process is not
// enough: the kernel drops such routes without a netlink notification, and FRR 8.4's
// import-table keeps them.) So each table gets a guardian: a small shell, started here, whose
// standard input is a pipe from vrrpd. When vrrpd ends in any way the pipe closes, and the
// guardian removes every route of vrrpd's protocol in the table with `ip route flush`, which
// FRR sees as deletions; it ignores SIGTERM/SIGINT/SIGHUP so that systemd stopping the
// unit's processes does not stop it before it has done so.
import { type ChildProcess, spawn } from 'node:child_process';
import type { AnnounceSettings } from '../config/model.js';
import { NETLINK_ROUTE, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL } from '../netlink/message.js';
import {
  hostRouteRequest,
  parseHostRoute,
  RTM_DELROUTE,
  RTM_GETROUTE,
  RTM_NEWROUTE,
  routeDumpRequest,
} from '../netlink/rtroute.js';
import { ifindexByName } from './address-manager.js';
import { NetlinkClient, NetlinkError } from './netlink-client.js';
import type { RouteSink } from './types.js';

export interface RouteSinkOptions {
  /** start the guardian (default true; unit tests of the netlink part turn it off) */
  guardian?: boolean;
  /** `ip` to run in the guardian (default: `ip` on PATH) */
  ipCommand?: string;
  /** told once when the guardian cannot run (no shell or no `ip`) */
  onGuardianError?: (message: string) => void;
}

/** The guardian's script: wait for EOF on stdin, then flush vrrpd's routes of the table. */
export function guardianScript(table: number, protocol: number, ip = 'ip'): string {
  const t = String(Math.trunc(table));
  const p = String(Math.trunc(protocol));
  return [
    "trap '' TERM INT HUP",
    'while read -r _; do :; done',
    `${ip} -4 route flush table ${t} proto ${p} 2>/dev/null`,
    `${ip} -6 route flush table ${t} proto ${p} 2>/dev/null`,
    'exit 0',
  ].join('\n');
}

export function createRouteSink(
  settings: AnnounceSettings,
  opts: RouteSinkOptions = {},
): RouteSink & {
  readonly guardianPid: number | null;
} {
  const nl = NetlinkClient.open(NETLINK_ROUTE);
  const { table, protocol } = settings;
  let ifindex: number | null = null;
  const oif = async (fresh = false): Promise<number> => {
    if (ifindex === null || fresh) ifindex = await ifindexByName(nl, settings.interface);
    return ifindex;
  };

  let guardian: ChildProcess | null = null;
  if (opts.guardian !== false) {
    guardian = spawn('/bin/sh', ['-c', guardianScript(table, protocol, opts.ipCommand ?? 'ip')], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    guardian.on('error', (e) => opts.onGuardianError?.(`the route guardian could not start: ${e.message}`));
    guardian.stdin?.on('error', () => {});
    guardian.unref();
  }

  const request = async (type: number, flags: number, address: string, what: string) => {
    try {
      await nl.request(type, flags, hostRouteRequest(address, table, protocol, await oif()), what);
    } catch (e) {
      if (e instanceof NetlinkError && e.code === 'ENODEV') {
        await nl.request(type, flags, hostRouteRequest(address, table, protocol, await oif(true)), what);
        return;
      }
      throw e;
    }
  };

  return {
    get guardianPid() {
      return guardian?.pid ?? null;
    },
    async add(address) {
      try {
        await request(
          RTM_NEWROUTE,
          NLM_F_CREATE | NLM_F_EXCL,
          address,
          `add route ${address} to table ${table}`,
        );
      } catch (e) {
        if (e instanceof NetlinkError && e.code === 'EEXIST') return;
        throw e;
      }
    },
    async remove(address) {
      try {
        await request(RTM_DELROUTE, 0, address, `remove route ${address} from table ${table}`);
      } catch (e) {
        if (e instanceof NetlinkError && (e.code === 'ESRCH' || e.code === 'ENOENT')) return;
        throw e;
      }
    },
    async removeAll() {
      for (const family of [4, 6] as const) {
        const replies = await nl.request(
          RTM_GETROUTE,
          NLM_F_DUMP,
          routeDumpRequest(family),
          `list IPv${family} routes`,
        );
        for (const m of replies) {
          if (m.type !== RTM_NEWROUTE) continue;
          const r = parseHostRoute(m.payload);
          if (!r || r.table !== table || r.protocol !== protocol) continue;
          try {
            await nl.request(
              RTM_DELROUTE,
              0,
              hostRouteRequest(r.address, table, protocol, r.oif ?? (await oif())),
              `remove route ${r.address} from table ${table}`,
            );
          } catch (e) {
            if (!(e instanceof NetlinkError && (e.code === 'ESRCH' || e.code === 'ENOENT'))) throw e;
          }
        }
      }
    },
    close() {
      nl.close();
      // EOF on the guardian's stdin: it flushes (nothing left after a clean withdrawal) and exits
      guardian?.stdin?.end();
      guardian = null;
    },
  };
}
