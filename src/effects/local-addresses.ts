// The host's local addresses on the main thread (the VRRP worker watches its own): the LVS
// controller's ha_suspend asks whether a virtual address is here. Built on the link
// watcher's rtnetlink subscription (RTNLGRP_IPV4_IFADDR/IPV6_IFADDR, re-dumped after an
// overrun). An address on several interfaces is here until its last copy goes.
import { canonicalIp } from '../net/addr.js';
import { createLinkWatcher, type LinkWatcherOptions } from './link-watcher.js';
import type { LocalAddresses } from './types.js';

export interface RealLocalAddresses extends LocalAddresses {
  /** resolves once the addresses present at the start are known */
  readonly ready: Promise<void>;
}

export function createLocalAddresses(opts: LinkWatcherOptions = {}): RealLocalAddresses {
  const watcher = createLinkWatcher({ rcvbufBytes: 1024 * 1024, ...opts });
  const cbs: (() => void)[] = [];
  let present = new Set<string>();
  let started = false;
  const read = (): Set<string> =>
    new Set(watcher.addresses().map((a) => canonicalIp(a.address) ?? a.address));
  let due = false;
  const recount = () => {
    due = false;
    const now = read();
    const changed = now.size !== present.size || [...now].some((a) => !present.has(a));
    present = now;
    if (changed) for (const cb of cbs) cb();
  };
  watcher.onEvent((ev) => {
    if (!started || ev.type === 'link' || due) return;
    // after the watcher has recorded the change (a re-dump emits before it records), and
    // once for a burst of events
    due = true;
    queueMicrotask(recount);
  });
  const ready = watcher.ready.then(() => {
    present = read();
    started = true;
  });
  ready.catch(() => {});
  return {
    ready,
    has: (address) => present.has(canonicalIp(address) ?? address),
    onChange(cb) {
      cbs.push(cb);
    },
    close() {
      watcher.close();
    },
  };
}
