// use_vmac: a macvlan carrying the VRRP virtual MAC (00:00:5e:00:01:{VRID}, RFC 5798 §7.3)
// on top of the real interface, so the VIP answers from the virtual MAC and a failover
// needs no ARP cache refresh beyond the gratuitous ARP.
import { readFile, writeFile } from 'node:fs/promises';
import { NETLINK_ROUTE, NLM_F_CREATE, NLM_F_EXCL } from '../netlink/message.js';
import {
  linkByNameRequest,
  linkSetUpRequest,
  macvlanCreateRequest,
  RTM_DELLINK,
  RTM_NEWLINK,
} from '../netlink/rtnetlink.js';
import { ifindexByName } from './address-manager.js';
import { NetlinkClient, NetlinkError } from './netlink-client.js';

export interface VmacOptions {
  /** macvlan mode: private (default) keeps sibling macvlans apart; bridge lets them talk */
  mode?: 'private' | 'bridge';
  /** use this client instead of opening a socket per call */
  client?: NetlinkClient;
  /** sysctl root, for tests; default /proc/sys */
  procSys?: string;
}

async function withClient<T>(opts: VmacOptions, f: (c: NetlinkClient) => Promise<T>): Promise<T> {
  const c = opts.client ?? NetlinkClient.open(NETLINK_ROUTE);
  try {
    return await f(c);
  } finally {
    if (!opts.client) c.close();
  }
}

/**
 * On the parent, arp_ignore=1 (answer only for addresses on the receiving interface) and
 * arp_announce=2 (best local source) stop it from answering ARP for the VIP with its own
 * MAC. /proc/sys/net is per network namespace: this writes the caller's namespace.
 */
export async function setParentArpSysctls(parent: string, procSys = '/proc/sys'): Promise<void> {
  if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(parent) || parent === '.' || parent === '..') {
    throw Object.assign(new Error(`'${parent}' is not a valid interface name`), { code: 'EINVAL' });
  }
  const dir = `${procSys}/net/ipv4/conf/${parent}`;
  for (const [k, v] of [
    ['arp_ignore', '1'],
    ['arp_announce', '2'],
  ] as const) {
    try {
      if ((await readFile(`${dir}/${k}`, 'utf8')).trim() !== v) await writeFile(`${dir}/${k}`, v);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw Object.assign(new Error(`cannot set ${k}=${v} on ${parent} (${dir}/${k}): ${err.message}`), {
        code: err.code ?? 'EIO',
      });
    }
  }
}

/**
 * Creates macvlan `name` with `mac` on `parentIfname`, up, and sets the parent's ARP
 * sysctls. If a link of that name already exists it is left as is and brought up (a restart
 * of the daemon finds its own vmac). Resolves with the new link's ifindex.
 */
export async function createVmac(
  parentIfname: string,
  name: string,
  mac: string,
  opts: VmacOptions = {},
): Promise<number> {
  return withClient(opts, async (c) => {
    const parent = await ifindexByName(c, parentIfname);
    try {
      await c.request(
        RTM_NEWLINK,
        NLM_F_CREATE | NLM_F_EXCL,
        macvlanCreateRequest(parent, name, mac, opts.mode ?? 'private'),
        `create macvlan ${name} (${mac}) on ${parentIfname}`,
      );
    } catch (e) {
      if (!(e instanceof NetlinkError && e.code === 'EEXIST')) throw e;
    }
    const ifindex = await ifindexByName(c, name);
    await disableIpv6AddrGen(name, opts.procSys);
    await c.request(RTM_NEWLINK, 0, linkSetUpRequest(ifindex, true), `set ${name} up`);
    await setParentArpSysctls(parentIfname, opts.procSys);
    return ifindex;
  });
}

/**
 * RFC 5798 §7.4: the virtual MAC must not be used to form an IPv6 interface identifier.
 * Every router's macvlan has the same MAC, so an automatic link-local would be the same
 * on all of them; addr_gen_mode=1 (none) before the link goes up keeps it off (adverts
 * carry the parent's link-local, sent as frames: src/net/ipframe.ts). No IPv6: nothing to do.
 */
async function disableIpv6AddrGen(name: string, procSys = '/proc/sys'): Promise<void> {
  try {
    await writeFile(`${procSys}/net/ipv6/conf/${name}/addr_gen_mode`, '1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** Deletes a link by name; already gone is not an error. */
export async function deleteLink(name: string, opts: VmacOptions = {}): Promise<void> {
  await withClient(opts, async (c) => {
    try {
      await c.request(RTM_DELLINK, 0, linkByNameRequest(name), `delete link ${name}`);
    } catch (e) {
      if (!(e instanceof NetlinkError && e.code === 'ENODEV')) throw e;
    }
  });
}

/** Sets a link administratively up or down (IFF_UP). */
export async function setLinkUp(name: string, up: boolean, opts: VmacOptions = {}): Promise<void> {
  await withClient(opts, async (c) => {
    const ifindex = await ifindexByName(c, name);
    await c.request(RTM_NEWLINK, 0, linkSetUpRequest(ifindex, up), `set ${name} ${up ? 'up' : 'down'}`);
  });
}
