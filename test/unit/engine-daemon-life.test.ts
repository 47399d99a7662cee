// Engine: global.vrrp_startup_delay (keepalived: no adverts sent or heard until the delay is
// over, the instances then start) and global.dynamic_interfaces (an instance waits in FAULT
// for an absent interface, and starts again on one deleted and re-created).
import { afterEach, describe, expect, it } from 'vitest';
import type { LinkInfo } from '../../src/effects/types.js';
import { type EncodableAdvert, encodeAdvert } from '../../src/vrrp/codec.js';
import { masterDownIntervalMs } from '../../src/vrrp/timers.js';
import { receivedPacket } from '../helpers/adverts.js';
import { FakeClock, instanceYaml, loadConfig, Node, yaml } from './engine-fakes.js';

const A_IP = '192.0.2.1';
const PEER = '192.0.2.9';
const MCAST = '224.0.0.18';

const nodes: Node[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.engine.stop().catch(() => {});
});

function config(global: string[], priority = 100) {
  const g = global.length ? ['global:', ...global.map((l) => `  ${l}`)] : [];
  return loadConfig(yaml(...g, 'vrrp_instances:', ...instanceYaml({ priority })));
}

function makeNode(text: ReturnType<typeof config>, clock: FakeClock, links = ['eth0', 'eth1']) {
  // the primary address only where eth0 exists from the start
  const n = new Node('a', clock, text, { ...(links.includes('eth0') ? { primary4: A_IP } : {}), links });
  nodes.push(n);
  return n;
}

function advert(priority: number) {
  const a = {
    version: 3,
    type: 1,
    vrid: 51,
    priority,
    maxAdvertIntervalCs: 100,
    addresses: ['192.0.2.50'],
  } as EncodableAdvert;
  const payload = encodeAdvert(a, { family: 4, srcAddress: PEER, dstAddress: MCAST });
  return receivedPacket({ payload, src: PEER, dst: MCAST, ttl: 255 });
}

const downMs = masterDownIntervalMs(3, 100, 100);

/** Lets the engine's chained (re-)attach work finish at the present time. */
async function settle(clock: FakeClock): Promise<void> {
  for (let i = 0; i < 20; i++) await clock.advance(0);
}

describe('vrrp_startup_delay', () => {
  it('sends nothing and hears nothing until the delay is over, then starts', async () => {
    const clock = new FakeClock();
    const n = makeNode(config(['vrrp_startup_delay: 3s']), clock);
    await n.engine.start();
    expect(n.transitions).toEqual([]);
    await clock.advance(2900);
    expect(n.transports.flatMap((t) => t.sent)).toEqual([]);
    expect(n.transitions).toEqual([]);
    expect(n.logs.some((l) => l.obj.event === 'startup-delay')).toBe(true);
    await clock.advance(100);
    expect(n.transitions.map((t) => [t.at, t.to])).toEqual([[3000, 'backup']]);
    // a better master heard after the delay holds it backup, as without a delay
    n.transport().inject(advert(200));
    await clock.advance(downMs - 100);
    expect(await n.state('VI_1')).toBe('backup');
    // silence: Master_Down_Interval after the last advert, it takes over
    await clock.advance(downMs + 100);
    expect(await n.state('VI_1')).toBe('master');
    const first = n.transport().sent[0];
    expect(first?.at).toBeGreaterThanOrEqual(3000 + downMs);
  });

  it('the master-down timer of a backup starts at the end of the delay', async () => {
    const clock = new FakeClock();
    const n = makeNode(config(['vrrp_startup_delay: 2s']), clock);
    await n.engine.start();
    await clock.advance(2000 + downMs - 10);
    expect(n.transports.flatMap((t) => t.sent)).toEqual([]);
    await clock.advance(20);
    expect(await n.state('VI_1')).toBe('master');
    expect(n.lastEntered('VI_1', 'master')).toBeCloseTo(2000 + downMs, 0);
  });

  it('a reload during the delay moves its end by the change', async () => {
    const clock = new FakeClock();
    const n = makeNode(config(['vrrp_startup_delay: 10s']), clock);
    await n.engine.start();
    await clock.advance(1000);
    const r = await n.reload(config(['vrrp_startup_delay: 2s']));
    expect(r.unchanged).toEqual(['VI_1']);
    await clock.advance(900);
    expect(n.transitions).toEqual([]);
    await clock.advance(200);
    expect(n.transitions.map((t) => [t.at, t.to])).toEqual([[2000, 'backup']]);
  });

  it('stop during the delay: nothing was started, nothing is sent', async () => {
    const clock = new FakeClock();
    const n = makeNode(config(['vrrp_startup_delay: 5s']), clock);
    await n.engine.start();
    await n.engine.stop();
    await clock.advance(6000);
    expect(n.transitions).toEqual([]);
    expect(n.transports).toEqual([]);
  });
});

describe('dynamic_interfaces', () => {
  const eth0 = (ifindex: number): LinkInfo => ({
    ifindex,
    name: 'eth0',
    up: true,
    running: true,
    mac: '02:00:00:00:00:01',
    mtu: 1500,
  });

  it('without it, an absent interface fails the start', async () => {
    const clock = new FakeClock();
    const n = makeNode(config([]), clock, ['eth1']);
    await expect(n.engine.start()).rejects.toThrow(/eth0/);
  });

  it('an instance waits in FAULT for its interface, starts when it appears, faults when it goes and comes back on the re-created one', async () => {
    const clock = new FakeClock();
    const n = makeNode(config(['dynamic_interfaces: true'], 200), clock, ['eth1']);
    await n.engine.start();
    expect(n.transitions.map((t) => [t.to, t.reason])).toEqual([['fault', 'interface eth0 absent']]);
    expect(n.transports).toEqual([]);
    expect((await n.instance('VI_1')).faultReasons).toEqual(['interface eth0 absent']);
    expect(await n.state('VI_1')).toBe('fault');

    // the interface appears, without an address yet: still waiting
    n.links.byName.set('eth0', eth0(10));
    n.links.emit({ type: 'link', link: eth0(10) });
    await clock.advance(0);
    expect(n.transports).toEqual([]);
    // its address arrives: the instance starts
    await n.addresses.add('eth0', A_IP, 24);
    n.links.emit({
      type: 'address-added',
      address: { ifindex: 10, family: 4, address: A_IP, prefixLength: 24 },
    });
    await settle(clock);
    await clock.advance(downMs + 50);
    expect(await n.state('VI_1')).toBe('master');
    const first = n.transport();
    expect(first.sent.length).toBeGreaterThan(0);

    // deleted: FAULT
    n.links.byName.delete('eth0');
    n.links.emit({ type: 'link-removed', ifindex: 10, name: 'eth0' });
    await clock.advance(0);
    expect(await n.state('VI_1')).toBe('fault');

    // re-created (a new ifindex): a new socket on it, and master again
    n.links.byName.set('eth0', eth0(11));
    n.links.emit({ type: 'link', link: eth0(11) });
    await settle(clock);
    await clock.advance(downMs + 50);
    expect(first.closed).toBe(true);
    expect(await n.state('VI_1')).toBe('master');
    expect(n.transport()).not.toBe(first);
    const states = n.transitions.map((t) => t.to);
    expect(states).toEqual(['fault', 'backup', 'master', 'fault', 'backup', 'master']);
  });

  it('a reload adds an instance on an absent interface without failing, and drops a waiting one', async () => {
    const clock = new FakeClock();
    const n = makeNode(config(['dynamic_interfaces: true']), clock, ['eth1']);
    await n.engine.start();
    const same = await n.reload(config(['dynamic_interfaces: true']));
    expect(same.unchanged).toEqual(['VI_1']);
    const none = await n.reload(loadConfig(yaml('global:', '  dynamic_interfaces: true')));
    expect(none.removed).toEqual(['VI_1']);
    n.links.byName.set('eth0', eth0(12));
    n.links.emit({ type: 'link', link: eth0(12) });
    await clock.advance(5000);
    expect(n.transports).toEqual([]);
  });
});
