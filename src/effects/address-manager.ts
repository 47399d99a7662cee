// Adds and removes VIPs with rtnetlink (RTM_NEWADDR/RTM_DELADDR) and lists addresses
// with an RTM_GETADDR dump. Idempotent: the engine may re-apply its desired state at
// any time, so "already there" on add and "already gone" on remove are success.

import { NETLINK_ROUTE, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL } from '../netlink/message.js';
import {
  addressDumpRequest,
  addressRequest,
  broadcastOf,
  linkByNameRequest,
  parseAddress,
  parseLink,
  RT_SCOPES,
  RTM_DELADDR,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
} from '../netlink/rtnetlink.js';
import { NetlinkClient, NetlinkError } from './netlink-client.js';
import type { AddressManager, AddressOptions, InterfaceAddress } from './types.js';

/** Resolves an interface name to its index in the current network namespace (RTM_GETLINK). */
export async function ifindexByName(client: NetlinkClient, ifname: string): Promise<number> {
  const replies = await client.request(
    RTM_GETLINK,
    0,
    linkByNameRequest(ifname),
    `look up interface ${ifname}`,
  );
  for (const m of replies) {
    if (m.type !== RTM_NEWLINK) continue;
    const l = parseLink(m.payload);
    if (l) return l.ifindex;
  }
  throw new NetlinkError(19, 'ENODEV', `look up interface ${ifname}`);
}

export interface RealAddressManager extends AddressManager {
  close(): void;
}

/** Uses `client` when given (the caller keeps ownership), else opens its own NETLINK_ROUTE socket. */
export function createAddressManager(client?: NetlinkClient): RealAddressManager {
  const nl = client ?? NetlinkClient.open(NETLINK_ROUTE);
  const own = !client;
  // Name → index, so that adding a VIP at a takeover is one round trip, not two. A link
  // that was re-created has a new index: the kernel answers ENODEV for the old one and
  // the add is retried once with a fresh lookup.
  // Lookups already on their way are shared: a takeover of many VIPs asks once, not per VIP.
  const indexes = new Map<string, number>();
  const looking = new Map<string, Promise<number>>();
  const lookup = (ifname: string, fresh: boolean): Promise<number> => {
    const known = indexes.get(ifname);
    if (known !== undefined && !fresh) return Promise.resolve(known);
    const on = looking.get(ifname);
    if (on) return on;
    const p = ifindexByName(nl, ifname).then(
      (ifindex) => {
        looking.delete(ifname);
        indexes.set(ifname, ifindex);
        return ifindex;
      },
      (e: unknown) => {
        looking.delete(ifname);
        if (e instanceof NetlinkError && e.code === 'ENODEV') indexes.delete(ifname);
        throw e;
      },
    );
    looking.set(ifname, p);
    return p;
  };

  const addOnce = async (
    ifname: string,
    address: string,
    prefixLength: number,
    fresh: boolean,
    o: AddressOptions,
  ) => {
    const ifindex = await lookup(ifname, fresh);
    const payload = addressRequest(ifindex, address, prefixLength, {
      nodad: true,
      ...(o.label !== undefined ? { label: o.label } : {}),
      ...(o.brd !== undefined ? { broadcast: broadcastOf(address, prefixLength, o.brd) } : {}),
      ...(o.scope !== undefined ? { scope: RT_SCOPES[o.scope] } : {}),
    });
    try {
      // NLM_F_EXCL so that EEXIST tells us it was there; either way the address is present
      await nl.request(
        RTM_NEWADDR,
        NLM_F_CREATE | NLM_F_EXCL,
        payload,
        `add ${address}/${prefixLength} to ${ifname}`,
      );
    } catch (e) {
      if (e instanceof NetlinkError && e.code === 'EEXIST') return;
      throw e;
    }
  };

  return {
    async add(ifname, address, prefixLength, opts = {}) {
      try {
        await addOnce(ifname, address, prefixLength, false, opts);
      } catch (e) {
        if (!(e instanceof NetlinkError && e.code === 'ENODEV') || !indexes.has(ifname)) throw e;
        indexes.delete(ifname);
        await addOnce(ifname, address, prefixLength, true, opts);
      }
    },

    async remove(ifname, address, prefixLength) {
      // a cached index may be a re-created link's old one: ENODEV then means look again
      for (const fresh of [false, true]) {
        let ifindex: number;
        try {
          ifindex = await lookup(ifname, fresh);
        } catch (e) {
          // the interface is gone, and its addresses with it
          if (e instanceof NetlinkError && e.code === 'ENODEV') return;
          throw e;
        }
        const payload = addressRequest(ifindex, address, prefixLength);
        try {
          await nl.request(RTM_DELADDR, 0, payload, `remove ${address}/${prefixLength} from ${ifname}`);
          return;
        } catch (e) {
          // EADDRNOTAVAIL: not configured (IPv4 and IPv6 both report this)
          if (e instanceof NetlinkError && e.code === 'EADDRNOTAVAIL') return;
          if (!(e instanceof NetlinkError && e.code === 'ENODEV')) throw e;
        }
      }
    },

    async list(ifname) {
      const ifindex = ifname === undefined ? undefined : await ifindexByName(nl, ifname);
      const replies = await nl.request(
        RTM_GETADDR,
        NLM_F_DUMP,
        addressDumpRequest(),
        ifname ? `list addresses on ${ifname}` : 'list addresses',
      );
      const out: InterfaceAddress[] = [];
      for (const m of replies) {
        if (m.type !== RTM_NEWADDR) continue;
        const a = parseAddress(m.payload);
        if (a && (ifindex === undefined || a.ifindex === ifindex)) out.push(a);
      }
      return out;
    },

    close() {
      if (own) nl.close();
    },
  };
}
