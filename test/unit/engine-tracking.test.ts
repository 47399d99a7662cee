// Engine: drop counters per reason (RFC 6527 style), tracked interfaces and scripts,
// sync groups, and the snapshot, with fake effects and a fake clock.
import { afterEach, describe, expect, it } from 'vitest';
import { type EncodableAdvert, encodeAdvert } from '../../src/vrrp/codec.js';
import { masterDownIntervalMs } from '../../src/vrrp/timers.js';
import { receivedPacket } from '../helpers/adverts.js';
import { FakeClock, FakeSegment, instanceYaml, loadConfig, Node, yaml } from './engine-fakes.js';

const A_IP = '192.0.2.1';
const B_IP = '192.0.2.2';
const PEER = '192.0.2.9';
const MCAST = '224.0.0.18';

const nodes: Node[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.engine.stop().catch(() => {});
});

async function node(name: string, clock: FakeClock, text: string, primary4: string, seg?: FakeSegment) {
  const n = new Node(name, clock, loadConfig(text), { primary4, ...(seg ? { segments: { 4: seg } } : {}) });
  nodes.push(n);
  await n.engine.start();
  return n;
}

function v3(over: Partial<EncodableAdvert> = {}): EncodableAdvert {
  return {
    version: 3,
    type: 1,
    vrid: 51,
    priority: 200,
    maxAdvertIntervalCs: 100,
    addresses: ['192.0.2.50'],
    ...over,
  } as EncodableAdvert;
}

function v2(pass: string | null, intervalSec = 1, over: Partial<EncodableAdvert> = {}): EncodableAdvert {
  const authData = Buffer.alloc(8);
  if (pass) authData.write(pass);
  return {
    version: 2,
    type: 1,
    vrid: 51,
    priority: 200,
    advertIntervalSec: intervalSec,
    authType: pass ? 1 : 0,
    authData,
    addresses: ['192.0.2.50'],
    ...over,
  } as EncodableAdvert;
}

function packet(advert: EncodableAdvert, o: { ttl?: number; corrupt?: boolean; src?: string } = {}) {
  const src = o.src ?? PEER;
  const payload = encodeAdvert(advert, { family: 4, srcAddress: src, dstAddress: MCAST });
  if (o.corrupt) payload[6] = payload[6]! ^ 0xff;
  return receivedPacket({ payload, src, dst: MCAST, ttl: o.ttl ?? 255 });
}

describe('drop counters (RFC 5798 §7.1, RFC 3768 §7.1)', () => {
  it('bad checksum, TTL 254 and wrong version count on the instance; an unknown VRID on the interface', async () => {
    const clock = new FakeClock();
    const b = await node('B', clock, yaml('vrrp_instances:', ...instanceYaml({ priority: 100 })), B_IP);
    const t = b.transport();
    t.inject(packet(v3(), { corrupt: true }));
    t.inject(packet(v3(), { ttl: 254 }));
    t.inject(packet(v3(), { ttl: 254 }));
    t.inject(packet(v2(null)));
    t.inject(packet(v3({ vrid: 77 })));
    const snap = await b.engine.snapshot();
    const inst = snap.instances[0]!;
    expect(inst.counters.drops).toEqual({ checksum: 1, ttl: 2, version: 1 });
    expect(inst.counters.advertsReceived).toBe(0);
    expect(snap.interfaceDrops).toEqual({ 'eth0/4': { vrid: 1 } });
    // none of them counted as a master's advert: the Master_Down_Timer was never reset
    await clock.advance(10_000);
    expect(b.lastEntered('VI_1', 'master')).toBe(masterDownIntervalMs(3, 100, 100));
  });

  it('v2: wrong password, missing auth and a 2 s interval are dropped by policy', async () => {
    const clock = new FakeClock();
    const b = await node(
      'B',
      clock,
      yaml('vrrp_instances:', ...instanceYaml({ priority: 100, version: 2, extra: ['auth_pass: s3cret'] })),
      B_IP,
    );
    const t = b.transport();
    t.inject(packet(v2('wrong')));
    t.inject(packet(v2(null)));
    t.inject(packet(v2('s3cret', 2)));
    expect((await b.instance('VI_1')).counters.drops).toEqual({
      'auth-failure': 1,
      'auth-type-mismatch': 1,
      'advert-interval': 1,
    });
    t.inject(packet(v2('s3cret')));
    const i = await b.instance('VI_1');
    expect(i.counters.advertsReceived).toBe(1);
    expect(i.masterAddress).toBe(PEER);
  });

  it('a differing VIP list is counted but the advert is still accepted (RFC 5798 §7.1)', async () => {
    const clock = new FakeClock();
    const b = await node('B', clock, yaml('vrrp_instances:', ...instanceYaml({ priority: 100 })), B_IP);
    b.transport().inject(packet(v3({ addresses: ['192.0.2.99'] })));
    const i = await b.instance('VI_1');
    expect(i.counters.addressListMismatch).toBe(1);
    expect(i.counters.advertsReceived).toBe(1);
    expect(i.masterAddress).toBe(PEER);
  });

  it('our own looped-back advert is ignored, counted as own-packet', async () => {
    const clock = new FakeClock();
    const b = await node('B', clock, yaml('vrrp_instances:', ...instanceYaml({ priority: 100 })), B_IP);
    b.transport().inject(packet(v3(), { src: B_IP }));
    const i = await b.instance('VI_1');
    expect(i.counters.drops).toEqual({ 'own-packet': 1 });
    expect(i.counters.advertsReceived).toBe(0);
    expect(i.masterAddress).toBeNull();
  });
});

describe('tracking', () => {
  it('tracked interface down with weight 0 → fault; up again → backup, then master', async () => {
    const clock = new FakeClock();
    const a = await node(
      'A',
      clock,
      yaml('vrrp_instances:', ...instanceYaml({ priority: 150, extra: ['track_interfaces: [eth1]'] })),
      A_IP,
    );
    await clock.advance(10_000);
    expect(await a.state('VI_1')).toBe('master');
    a.links.setCarrier('eth1', false);
    await clock.advance(0);
    const i = await a.instance('VI_1');
    expect(i.state).toBe('fault');
    expect(i.faultReasons).toEqual(['tracked interface eth1 down']);
    expect(a.addresses.has('eth0', '192.0.2.50')).toBe(false);
    const last = a.transport().decodedSent().at(-1)!;
    expect(last.priority).toBe(0); // leaving master tells the backups at once
    const faultAt = clock.now();
    await clock.advance(10_000);
    expect(a.transport().sent.filter((s) => s.at > faultAt)).toHaveLength(0); // silent in fault
    a.links.setCarrier('eth1', true);
    await clock.advance(10_000);
    expect(a.transitions.map((t) => t.to)).toEqual(['backup', 'master', 'fault', 'backup', 'master']);
  });

  it('the instance interface itself down → fault', async () => {
    const clock = new FakeClock();
    const a = await node('A', clock, yaml('vrrp_instances:', ...instanceYaml({ priority: 150 })), A_IP);
    a.links.setCarrier('eth0', false);
    expect((await a.instance('VI_1')).faultReasons).toEqual(['interface eth0 down']);
  });

  it('tracked interface weight -60: priority 150 → 90 and the preempting peer (100) takes over (RFC 5798 §6.4.3)', async () => {
    const clock = new FakeClock();
    const seg = new FakeSegment(clock);
    const a = await node(
      'A',
      clock,
      yaml(
        'vrrp_instances:',
        ...instanceYaml({ priority: 150, extra: ['track_interfaces: [{interface: eth1, weight: -60}]'] }),
      ),
      A_IP,
      seg,
    );
    const b = await node('B', clock, yaml('vrrp_instances:', ...instanceYaml({ priority: 100 })), B_IP, seg);
    await clock.advance(10_000);
    expect(await a.state('VI_1')).toBe('master');
    a.links.setCarrier('eth1', false);
    const ai = await a.instance('VI_1');
    expect(ai.priority).toBe(150);
    expect(ai.effectivePriority).toBe(90);
    await clock.advance(10_000);
    expect(await b.state('VI_1')).toBe('master');
    expect(await a.state('VI_1')).toBe('backup');
    expect((await b.instance('VI_1')).masterAddress).toBe(B_IP);
    // A's adverts carried the lowered priority
    expect(
      a
        .transport()
        .decodedSent()
        .some((x) => x.priority === 90),
    ).toBe(true);
    // carrier back: 150 again, A preempts B
    a.links.setCarrier('eth1', true);
    await clock.advance(10_000);
    expect(await a.state('VI_1')).toBe('master');
    expect(await b.state('VI_1')).toBe('backup');
  });

  it('tracked script: false with weight 0 → fault; true → out of fault', async () => {
    const clock = new FakeClock();
    const a = await node(
      'A',
      clock,
      yaml(
        'vrrp_scripts:',
        '  chk: {command: [/bin/true], interval: 1s}',
        'vrrp_instances:',
        ...instanceYaml({ priority: 150, extra: ['track_scripts: [chk]'] }),
      ),
      A_IP,
    );
    await clock.advance(10_000);
    expect(await a.state('VI_1')).toBe('master');
    a.engine.setScriptResult('chk', false);
    let i = await a.instance('VI_1');
    expect(i.state).toBe('fault');
    expect(i.faultReasons).toEqual(['tracked script chk failed']);
    a.engine.setScriptResult('chk', true);
    i = await a.instance('VI_1');
    expect(i.state).toBe('backup');
  });

  it('tracked script with weight -20 lowers the priority only while failing', async () => {
    const clock = new FakeClock();
    const a = await node(
      'A',
      clock,
      yaml(
        'vrrp_scripts:',
        '  chk: {command: [/bin/true], interval: 1s, weight: -20}',
        'vrrp_instances:',
        ...instanceYaml({ priority: 150, extra: ['track_scripts: [chk]'] }),
      ),
      A_IP,
    );
    a.engine.setScriptResult('chk', false);
    expect((await a.instance('VI_1')).effectivePriority).toBe(130);
    a.engine.setScriptResult('chk', true);
    expect((await a.instance('VI_1')).effectivePriority).toBe(150);
  });
});

describe('sync groups', () => {
  const groupYaml = yaml(
    'vrrp_instances:',
    ...instanceYaml({ name: 'VI_1', vrid: 51, priority: 150, extra: ['track_interfaces: [eth1]'] }),
    ...instanceYaml({ name: 'VI_2', vrid: 52, priority: 150, vips: ['192.0.2.60/24'] }),
    'vrrp_sync_groups:',
    '  - name: G1',
    '    instances: [VI_1, VI_2]',
  );

  it('a member faults → the other follows into fault and releases its VIPs; recovery brings both back', async () => {
    const clock = new FakeClock();
    const a = await node('A', clock, groupYaml, A_IP);
    await clock.advance(10_000);
    expect(await a.state('VI_1')).toBe('master');
    expect(await a.state('VI_2')).toBe('master');
    a.links.setCarrier('eth1', false);
    expect(await a.state('VI_1')).toBe('fault');
    const v2i = await a.instance('VI_2');
    expect(v2i.state).toBe('fault');
    expect(v2i.faultReasons).toEqual(['sync-group']);
    expect(a.addresses.has('eth0', '192.0.2.60')).toBe(false);
    a.links.setCarrier('eth1', true);
    await clock.advance(10_000);
    expect(await a.state('VI_1')).toBe('master');
    expect(await a.state('VI_2')).toBe('master');
    const snap = await a.engine.snapshot();
    expect(snap.syncGroups).toEqual([{ name: 'G1', instances: ['VI_1', 'VI_2'] }]);
  });

  it('both instances share one transport per interface/family and demux by VRID', async () => {
    const clock = new FakeClock();
    const a = await node('A', clock, groupYaml, A_IP);
    expect(a.transports).toHaveLength(1);
    a.transport().inject(packet(v3({ vrid: 52, addresses: ['192.0.2.60'] })));
    expect((await a.instance('VI_2')).counters.advertsReceived).toBe(1);
    expect((await a.instance('VI_1')).counters.advertsReceived).toBe(0);
  });
});

describe('snapshot', () => {
  it('counters, links, present addresses and the clock', async () => {
    const clock = new FakeClock();
    const seg = new FakeSegment(clock);
    const a = await node('A', clock, yaml('vrrp_instances:', ...instanceYaml({ priority: 150 })), A_IP, seg);
    const b = await node('B', clock, yaml('vrrp_instances:', ...instanceYaml({ priority: 100 })), B_IP, seg);
    const masterAt = masterDownIntervalMs(3, 150, 100);
    await clock.advanceTo(masterAt + 4_500); // 5 adverts: at becoming master, then +1..+4 s
    const sa = await a.engine.snapshot();
    const ia = sa.instances[0]!;
    expect(ia).toMatchObject({
      name: 'VI_1',
      interface: 'eth0',
      vrid: 51,
      version: 3,
      family: 4,
      state: 'master',
      priority: 150,
      effectivePriority: 150,
      masterAddress: A_IP,
      sinceMs: masterAt,
      primaryAddress: A_IP,
      vips: [{ address: '192.0.2.50', prefixLength: 24, dev: 'eth0' }],
    });
    expect(ia.counters).toMatchObject({
      advertsSent: 5,
      becameMaster: 1,
      transitions: 2,
      garpSent: 5,
      naSent: 0,
      sendErrors: 0,
    });
    const ib = (await b.engine.snapshot()).instances[0]!;
    expect(ib.counters.advertsReceived).toBe(5);
    expect(ib.counters.advertsSent).toBe(0);
    expect(sa.links).toEqual({ eth0: true, eth1: true });
    expect(sa.presentAddresses.sort()).toEqual(['eth0/192.0.2.1', 'eth0/192.0.2.50']);
    expect(sa.now).toBe(clock.now());
  });
});
