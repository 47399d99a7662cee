// The address manager and link watcher against a fake kernel (no sockets).
import { describe, expect, it } from 'vitest';
import { createAddressManager } from '../../src/effects/address-manager.js';
import { createLinkWatcher } from '../../src/effects/link-watcher.js';
import { createLocalAddresses } from '../../src/effects/local-addresses.js';
import {
  NetlinkClient,
  type NetlinkSocket,
  type NetlinkSocketFactory,
} from '../../src/effects/netlink-client.js';
import type { LinkEvent } from '../../src/effects/types.js';
import { encodeAttrs } from '../../src/netlink/attrs.js';
import {
  decodeMessages,
  encodeMessage,
  NLM_F_DUMP,
  NLM_F_MULTI,
  NLMSG_DONE,
  NLMSG_ERROR,
  type NlMessage,
} from '../../src/netlink/message.js';
import {
  addressRequest,
  decodeIfAddrMsg,
  encodeIfInfoMsg,
  IFF_RUNNING,
  IFF_UP,
  IFLA,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
} from '../../src/netlink/rtnetlink.js';

interface FakeLink {
  ifindex: number;
  name: string;
  flags: number;
  family?: number;
}
const linkPayload = (l: FakeLink) =>
  Buffer.concat([
    encodeIfInfoMsg({
      ifi_family: l.family ?? 0,
      ifi_type: 1,
      ifi_index: l.ifindex,
      ifi_flags: l.flags,
      ifi_change: 0,
    }),
    encodeAttrs(IFLA, { IFLA_IFNAME: l.name, IFLA_ADDRESS: '02:00:00:00:00:01', IFLA_MTU: 1500 }),
  ]);

function ack(req: NlMessage, errno: number): Buffer {
  const p = Buffer.alloc(20);
  p.writeInt32LE(-errno, 0);
  return encodeMessage({ type: NLMSG_ERROR, flags: 0, seq: req.seq, pid: 1, payload: p });
}

/** A tiny kernel: links and addresses in memory; answers GETLINK/GETADDR/NEWADDR/DELADDR. */
function fakeKernel() {
  const links: FakeLink[] = [{ ifindex: 2, name: 'eth0', flags: IFF_UP | IFF_RUNNING }];
  const addrs = new Map<string, Buffer>();
  const eventSockets: ((d: Buffer) => void)[] = [];
  const errorCbs: ((e: Error & { code?: string }) => void)[] = [];
  const requests: NlMessage[] = [];
  const answer = (req: NlMessage): Buffer[] => {
    requests.push(req);
    const dump = (req.flags & NLM_F_DUMP) === NLM_F_DUMP;
    const multi = (type: number, p: Buffer) =>
      encodeMessage({ type, flags: NLM_F_MULTI, seq: req.seq, pid: 1, payload: p });
    const done = encodeMessage({
      type: NLMSG_DONE,
      flags: NLM_F_MULTI,
      seq: req.seq,
      pid: 1,
      payload: Buffer.alloc(4),
    });
    if (req.type === RTM_GETLINK && dump)
      return [Buffer.concat([...links.map((l) => multi(RTM_NEWLINK, linkPayload(l))), done])];
    if (req.type === RTM_GETLINK) {
      const name = req.payload.subarray(20).toString().replace(/\0.*$/s, '');
      const l = links.find((x) => x.name === name);
      return l
        ? [
            encodeMessage({ type: RTM_NEWLINK, flags: 0, seq: req.seq, pid: 1, payload: linkPayload(l) }),
            ack(req, 0),
          ]
        : [ack(req, 19)];
    }
    if (req.type === RTM_GETADDR)
      return [Buffer.concat([...[...addrs.values()].map((p) => multi(RTM_NEWADDR, p)), done])];
    if (req.type !== RTM_NEWADDR && req.type !== RTM_DELADDR) return [ack(req, 95)];
    const h = decodeIfAddrMsg(req.payload)!;
    const key = `${h.ifa_index} ${req.payload.subarray(12, 16).toString('hex')}`;
    if (req.type === RTM_NEWADDR) {
      if (addrs.has(key)) return [ack(req, 17)];
      addrs.set(key, Buffer.from(req.payload));
      return [ack(req, 0)];
    }
    if (req.type === RTM_DELADDR) return addrs.delete(key) ? [ack(req, 0)] : [ack(req, 99)];
    return [ack(req, 95)];
  };
  const factory: NetlinkSocketFactory = (_protocol, opts) => {
    let onMsg: (d: Buffer) => void = () => {};
    const sock: NetlinkSocket = {
      pid: 1,
      send(d) {
        for (const m of decodeMessages(d) as NlMessage[]) {
          const out = answer(m);
          queueMicrotask(() => {
            for (const o of out) onMsg(o);
          });
        }
      },
      onMessage(cb) {
        onMsg = cb;
        if (opts.groups.length > 0) eventSockets.push((d) => onMsg(d));
      },
      onError(cb) {
        if (opts.groups.length > 0) errorCbs.push(cb);
      },
      addMembership() {},
      close() {},
    };
    return sock;
  };
  const notify = (type: number, payload: Buffer) => {
    for (const s of eventSockets) s(encodeMessage({ type, flags: 0, seq: 0, pid: 0, payload }));
  };
  return {
    links,
    addrs,
    factory,
    notify,
    requests,
    overrun: () => {
      for (const cb of errorCbs) cb(Object.assign(new Error('x'), { code: 'ENOBUFS' }));
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('address manager (fake kernel)', () => {
  it('adds idempotently (EEXIST is success) and removes idempotently (EADDRNOTAVAIL is success)', async () => {
    const k = fakeKernel();
    const am = createAddressManager(NetlinkClient.open(0, { socketFactory: k.factory }));
    await am.add('eth0', '192.0.2.1', 24);
    await am.add('eth0', '192.0.2.1', 24);
    expect(k.addrs.size).toBe(1);
    expect(await am.list('eth0')).toEqual([
      expect.objectContaining({ ifindex: 2, address: '192.0.2.1', prefixLength: 24 }),
    ]);
    await am.remove('eth0', '192.0.2.1', 24);
    await am.remove('eth0', '192.0.2.1', 24);
    expect(k.addrs.size).toBe(0);
    await expect(am.add('eth9', '192.0.2.1', 24)).rejects.toMatchObject({ code: 'ENODEV' });
  });

  it('passes other errors through with the request described', async () => {
    const k = fakeKernel();
    const am = createAddressManager(NetlinkClient.open(0, { socketFactory: k.factory }));
    const c = NetlinkClient.open(0, { socketFactory: k.factory });
    await expect(c.request(99, 0, Buffer.alloc(0), 'odd request')).rejects.toMatchObject({
      code: 'EOPNOTSUPP',
      request: 'odd request',
    });
    // EADDRNOTAVAIL is errno 99 in the fake: removal of an absent address resolves
    await expect(am.remove('eth0', '2001:db8::1', 64)).resolves.toBeUndefined();
  });
});

describe('link watcher (fake kernel)', () => {
  it('reports only real link changes, ignores AF_BRIDGE, and reports removals', async () => {
    const k = fakeKernel();
    const w = createLinkWatcher({ socketFactory: k.factory });
    const evs: LinkEvent[] = [];
    w.onEvent((e) => evs.push(e));
    await w.ready;
    k.notify(RTM_NEWLINK, linkPayload({ ifindex: 2, name: 'eth0', flags: IFF_UP | IFF_RUNNING })); // no change
    k.notify(RTM_NEWLINK, linkPayload({ ifindex: 2, name: 'eth0', flags: IFF_UP })); // carrier lost
    k.notify(RTM_DELLINK, linkPayload({ ifindex: 2, name: 'eth0', flags: IFF_UP, family: 7 })); // bridge port
    k.notify(RTM_DELLINK, linkPayload({ ifindex: 2, name: 'eth0', flags: 0 }));
    expect(evs).toEqual([
      { type: 'link', link: expect.objectContaining({ name: 'eth0', up: true, running: false }) },
      { type: 'link-removed', ifindex: 2, name: 'eth0' },
    ]);
    expect(await w.links()).toHaveLength(1);
    w.close();
  });

  it('reports address add/remove, and after an overrun emits the difference from a re-dump', async () => {
    const k = fakeKernel();
    const a1 = addressRequest(2, '192.0.2.1', 24);
    const a2 = addressRequest(2, '192.0.2.2', 24);
    k.addrs.set('a1', a1);
    const w = createLinkWatcher({ socketFactory: k.factory });
    const evs: LinkEvent[] = [];
    w.onEvent((e) => evs.push(e));
    await w.ready;
    k.notify(RTM_NEWADDR, a2);
    k.notify(RTM_NEWADDR, a2); // flag change only: not a second add
    expect(evs.map((e) => e.type)).toEqual(['address-added']);
    evs.length = 0;
    // lost notifications: a1 went away, a link went down, a third address appeared
    k.addrs.delete('a1');
    k.addrs.set('a2', a2);
    k.addrs.set('a3', addressRequest(2, '2001:db8::3', 64, { nodad: true }));
    k.links[0]!.flags = 0;
    k.overrun();
    for (let i = 0; i < 50 && w.stats().resyncs === 0; i++) await tick();
    expect(w.stats()).toEqual({ overruns: 1, resyncs: 1 });
    expect(evs).toEqual(
      expect.arrayContaining([
        { type: 'link', link: expect.objectContaining({ up: false }) },
        { type: 'address-removed', address: expect.objectContaining({ address: '192.0.2.1' }) },
        { type: 'address-added', address: expect.objectContaining({ address: '2001:db8::3', family: 6 }) },
      ]),
    );
    expect(evs).toHaveLength(3);
    w.close();
  });
});

describe('local addresses for ha_suspend (fake kernel)', () => {
  it('knows the addresses present at the start, follows adds and removes, and re-dumps after an overrun', async () => {
    const k = fakeKernel();
    k.addrs.set('a1', addressRequest(2, '192.0.2.1', 24));
    const la = createLocalAddresses({ socketFactory: k.factory });
    let changes = 0;
    la.onChange(() => changes++);
    await la.ready;
    expect(la.has('192.0.2.1')).toBe(true);
    expect(la.has('192.0.2.50')).toBe(false);
    const vip = addressRequest(2, '192.0.2.50', 32);
    k.notify(RTM_NEWADDR, vip);
    await tick();
    expect(la.has('192.0.2.50')).toBe(true);
    expect(changes).toBe(1);
    k.notify(RTM_NEWADDR, vip); // a flag change: no news
    await tick();
    expect(changes).toBe(1);
    k.notify(RTM_DELADDR, vip);
    await tick();
    expect(la.has('192.0.2.50')).toBe(false);
    expect(changes).toBe(2);
    // a lost notification: the re-dump brings an IPv6 address, asked for in another spelling
    k.addrs.set('a6', addressRequest(2, '2001:db8::50', 128, { nodad: true }));
    k.overrun();
    for (let i = 0; i < 50 && !la.has('2001:db8::50'); i++) await tick();
    expect(la.has('2001:db8:0:0:0:0:0:50')).toBe(true);
    expect(changes).toBe(3);
    la.close();
  });
});
