// Watches links and addresses through rtnetlink multicast (RTNLGRP_LINK,
// RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR): link up/down drives VRRP FAULT, and an
// address removed by someone else must be put back by the engine.
//
// Notifications can be lost when the socket's receive buffer overflows (ENOBUFS,
// netlink(7)). The watcher then re-dumps links and addresses and emits the difference
// against what it last knew, so listeners converge instead of silently going stale.

import { NETLINK_ROUTE, NLM_F_DUMP, type NlMessage } from '../netlink/message.js';
import {
  addressDumpRequest,
  linkDumpRequest,
  type ParsedLink,
  parseAddress,
  parseLink,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTNLGRP_IPV4_IFADDR,
  RTNLGRP_IPV6_IFADDR,
  RTNLGRP_LINK,
} from '../netlink/rtnetlink.js';
import { NetlinkClient, type NetlinkClientOptions } from './netlink-client.js';
import type { InterfaceAddress, LinkEvent, LinkInfo, LinkWatcher } from './types.js';

export interface LinkWatcherOptions {
  /** receive buffer for notifications; default 4 MiB (a burst of changes must not overflow it) */
  rcvbufBytes?: number;
  socketFactory?: NetlinkClientOptions['socketFactory'];
}

export interface RealLinkWatcher extends LinkWatcher {
  /** resolves once the initial link and address state is known */
  readonly ready: Promise<void>;
  /** receive-buffer overruns seen, and resyncs (re-dumps) completed after them */
  stats(): { overruns: number; resyncs: number };
  /** the addresses as last known (complete once ready has resolved) */
  addresses(): InterfaceAddress[];
}

const addrKey = (a: InterfaceAddress) => `${a.ifindex}|${a.address}|${a.prefixLength}`;

function sameLink(a: LinkInfo, b: LinkInfo): boolean {
  return a.name === b.name && a.up === b.up && a.running === b.running && a.mac === b.mac && a.mtu === b.mtu;
}

function toLinkInfo(l: ParsedLink): LinkInfo {
  return { ifindex: l.ifindex, name: l.name, up: l.up, running: l.running, mac: l.mac, mtu: l.mtu };
}

function toAddress(a: InterfaceAddress): InterfaceAddress {
  const out: InterfaceAddress = {
    ifindex: a.ifindex,
    family: a.family,
    address: a.address,
    prefixLength: a.prefixLength,
  };
  if (a.label !== undefined) out.label = a.label;
  return out;
}

export function createLinkWatcher(opts: LinkWatcherOptions = {}): RealLinkWatcher {
  const factory = opts.socketFactory ? { socketFactory: opts.socketFactory } : {};
  const openEvents = () =>
    NetlinkClient.open(NETLINK_ROUTE, {
      ...factory,
      groups: [RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR],
      rcvbufBytes: opts.rcvbufBytes ?? 4 * 1024 * 1024,
    });
  let events = openEvents();
  // dumps go over their own socket so their replies never mix with notifications
  const requests = NetlinkClient.open(NETLINK_ROUTE, factory);

  const cbs: ((ev: LinkEvent) => void)[] = [];
  const links = new Map<number, LinkInfo>();
  const addrs = new Map<string, InterfaceAddress>();
  let overruns = 0;
  let resyncs = 0;
  let closed = false;
  let resyncing: Promise<void> | null = null;
  let resyncAgain = false;

  const emit = (ev: LinkEvent) => {
    if (closed) return;
    for (const cb of cbs) cb(ev);
  };

  function onLink(l: LinkInfo): void {
    const old = links.get(l.ifindex);
    links.set(l.ifindex, l);
    // the kernel sends RTM_NEWLINK for many changes (stats, promiscuity...): report only ours
    if (!old || !sameLink(old, l)) emit({ type: 'link', link: l });
  }

  function onMessage(m: NlMessage): void {
    if (m.type === RTM_NEWLINK || m.type === RTM_DELLINK) {
      const l = parseLink(m.payload);
      if (!l) return;
      if (m.type === RTM_NEWLINK) onLink(toLinkInfo(l));
      else {
        const name = links.get(l.ifindex)?.name ?? l.name;
        links.delete(l.ifindex);
        for (const [k, a] of addrs) if (a.ifindex === l.ifindex) addrs.delete(k);
        emit({ type: 'link-removed', ifindex: l.ifindex, name });
      }
    } else if (m.type === RTM_NEWADDR || m.type === RTM_DELADDR) {
      const p = parseAddress(m.payload);
      if (!p) return;
      const a = toAddress(p);
      if (m.type === RTM_NEWADDR) {
        const fresh = !addrs.has(addrKey(a));
        addrs.set(addrKey(a), a);
        // RTM_NEWADDR also reports flag changes (e.g. IPv6 DAD finishing): added once
        if (fresh) emit({ type: 'address-added', address: a });
      } else {
        addrs.delete(addrKey(a));
        emit({ type: 'address-removed', address: a });
      }
    }
  }

  async function dumpLinks(): Promise<LinkInfo[]> {
    const replies = await requests.request(RTM_GETLINK, NLM_F_DUMP, linkDumpRequest(), 'list links');
    const out: LinkInfo[] = [];
    for (const m of replies) {
      const l = m.type === RTM_NEWLINK ? parseLink(m.payload) : null;
      if (l) out.push(toLinkInfo(l));
    }
    return out;
  }

  async function dumpAddresses(): Promise<InterfaceAddress[]> {
    const replies = await requests.request(RTM_GETADDR, NLM_F_DUMP, addressDumpRequest(), 'list addresses');
    const out: InterfaceAddress[] = [];
    for (const m of replies) {
      const a = m.type === RTM_NEWADDR ? parseAddress(m.payload) : null;
      if (a) out.push(toAddress(a));
    }
    return out;
  }

  /** Re-reads the kernel's state and emits what changed since we last knew. */
  async function sync(initial: boolean): Promise<void> {
    const [ls, as] = await Promise.all([dumpLinks(), dumpAddresses()]);
    if (closed) return;
    const seenLinks = new Set(ls.map((l) => l.ifindex));
    for (const [ifindex, old] of links) {
      if (!seenLinks.has(ifindex)) {
        links.delete(ifindex);
        emit({ type: 'link-removed', ifindex, name: old.name });
      }
    }
    for (const l of ls) {
      if (initial) links.set(l.ifindex, l);
      else onLink(l);
    }
    const seenAddrs = new Set(as.map(addrKey));
    for (const [k, a] of addrs) {
      if (!seenAddrs.has(k)) {
        addrs.delete(k);
        emit({ type: 'address-removed', address: a });
      }
    }
    for (const a of as) {
      const k = addrKey(a);
      if (!addrs.has(k) && !initial) emit({ type: 'address-added', address: a });
      addrs.set(k, a);
    }
  }

  function resync(): void {
    if (closed) return;
    if (resyncing) {
      resyncAgain = true; // overflowed again while dumping: one more pass after this one
      return;
    }
    resyncing = (async () => {
      do {
        resyncAgain = false;
        try {
          await sync(false);
          resyncs++;
        } catch {
          // the dump itself can hit ENOBUFS/timeouts under load: try again shortly
          if (!closed) {
            await new Promise((r) => setTimeout(r, 100));
            resyncAgain = true;
          }
        }
      } while (resyncAgain && !closed);
      resyncing = null;
    })();
  }

  function wire(c: NetlinkClient): void {
    c.onNotification(onMessage);
    c.onOverrun(() => {
      overruns++;
      resync();
    });
    // Any other error on the event socket may have stopped it (libuv reports POLLERR, which
    // an overrun raises, as EBADF and stops polling): replace the socket, then resync.
    c.onError(() => {
      if (closed) return;
      overruns++;
      c.close();
      try {
        events = openEvents();
        wire(events);
      } catch {
        // no socket now; the next resync attempt retries through the dump path
      }
      resync();
    });
  }
  wire(events);
  requests.onOverrun(() => {});

  const ready = sync(true).catch((e: unknown) => {
    if (!closed) throw e;
  });
  // the caller may never await ready; keep a failed initial dump from being an unhandled rejection
  ready.catch(() => {});

  return {
    ready,
    async links() {
      return dumpLinks();
    },
    onEvent(cb) {
      cbs.push(cb);
    },
    stats() {
      return { overruns, resyncs };
    },
    addresses() {
      return [...addrs.values()];
    },
    close() {
      if (closed) return;
      closed = true;
      events.close();
      requests.close();
    },
  };
}
