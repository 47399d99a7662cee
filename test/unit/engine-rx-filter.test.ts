// The engine with the addon's early drops (src/vrrp/rx-filter.ts; FakeTransport applies the
// addon's real verdicts): the same junk gives the same counters by reason, on the same
// instance or interface, as without them, while most of it never reaches the engine; the
// table follows the instances through a reload (a removed VRID's adverts count as 'vrid'
// on the interface), and a good advert still reaches its instance.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeAdvert, simpleAuthData } from '../../src/vrrp/codec.js';
import { RX_ENTRY_BYTES } from '../../src/vrrp/rx-filter.js';
import { masterDownIntervalMs } from '../../src/vrrp/timers.js';
import { receivedPacket, V4, v2, v3 } from '../helpers/adverts.js';
import { FakeClock, instanceYaml, loadConfig, Node, yaml } from './engine-fakes.js';

const A_IP = '192.0.2.1';
const PEER = '192.0.2.9';
const GROUP = '224.0.0.18';

const nodes: Node[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.engine.stop().catch(() => {});
});

const config = (o: { without2?: boolean } = {}) =>
  loadConfig(
    yaml(
      'vrrp_instances:',
      ...instanceYaml({ name: 'VI_1', vrid: 51, priority: 150 }),
      ...(o.without2
        ? []
        : instanceYaml({
            name: 'VI_2',
            vrid: 52,
            version: 2,
            priority: 150,
            vips: ['192.0.2.60/24'],
            extra: ['auth_pass: secret'],
          })),
    ),
  );

/** Junk of every kind the addon drops, for both instances and for no instance. */
function junk(): ReturnType<typeof receivedPacket>[] {
  const ctx = { ...V4, srcAddress: PEER };
  const good3 = encodeAdvert(v3({ vrid: 51 }), ctx);
  const badSum = Buffer.from(good3);
  badSum[7]! ^= 0xff;
  const v2ok = encodeAdvert(
    v2({ vrid: 52, authType: 1, authData: simpleAuthData('secret'), addresses: ['192.0.2.60'] }),
    ctx,
  );
  const wrongPass = encodeAdvert(
    v2({ vrid: 52, authType: 1, authData: simpleAuthData('guess'), addresses: ['192.0.2.60'] }),
    ctx,
  );
  const p = (payload: Buffer, o: { ttl?: number; src?: string } = {}) =>
    receivedPacket({ payload, src: o.src ?? PEER, dst: GROUP, ...(o.ttl ? { ttl: o.ttl } : {}) });
  const whole = p(good3);
  const short = { ...whole, ip: ('ip' in whole ? whole.ip : Buffer.alloc(0)).subarray(0, 12) };
  return [
    p(badSum), // checksum on VI_1
    p(good3, { ttl: 64 }), // ttl on VI_1
    p(encodeAdvert(v3({ vrid: 51, maxAdvertIntervalCs: 0 }), ctx)), // advert-interval on VI_1
    p(encodeAdvert(v2({ vrid: 51 }), ctx)), // version on VI_1
    p(v2ok, { ttl: 1 }), // ttl on VI_2
    p(wrongPass), // auth-failure on VI_2
    p(encodeAdvert(v3({ vrid: 99 }), ctx)), // vrid on the interface
    p(good3.subarray(0, 5) as Buffer), // length on VI_1
    short, // ip-too-short on the interface
  ];
}

async function started(rxFilter: boolean) {
  const clock = new FakeClock();
  const a = new Node('A', clock, config(), { primary4: A_IP, rxFilter });
  nodes.push(a);
  await a.engine.start();
  await clock.advanceTo(masterDownIntervalMs(3, 150, 100) + 500);
  return { clock, a };
}

async function drops(a: Node) {
  const snap = await a.engine.snapshot();
  return {
    VI_1: snap.instances.find((i) => i.name === 'VI_1')?.counters.drops,
    VI_2: snap.instances.find((i) => i.name === 'VI_2')?.counters.drops,
    iface: Object.values(snap.interfaceDrops)[0],
  };
}

describe('engine with the addon early drops', () => {
  it('counts the same junk the same way, by reason and place, with most of it dropped below JS', async () => {
    const plain = await started(false);
    const early = await started(true);
    for (let round = 0; round < 3; round++) {
      for (const pkt of junk()) {
        plain.a.transport().inject(pkt);
        early.a.transport().inject(pkt);
      }
    }
    const t = early.a.transport();
    expect(t.nativeDropped).toBe(junk().length * 3);
    const want = await drops(plain.a);
    expect(want.VI_1).toEqual({ checksum: 3, ttl: 3, 'advert-interval': 3, version: 3, length: 3 });
    expect(want.VI_2).toEqual({ ttl: 3, 'auth-failure': 3 });
    expect(want.iface).toEqual({ vrid: 3, 'ip-too-short': 3 });
    expect(await drops(early.a)).toEqual(want);
    // folded once: a second snapshot adds nothing
    expect(await drops(early.a)).toEqual(want);
  });

  it('follows a reload; a good advert still reaches its instance', async () => {
    const { a } = await started(true);
    const t = a.transport();
    const table = t.rxTables.at(-1)!;
    expect(table[51 * RX_ENTRY_BYTES]! & 1).toBe(1);
    expect(table[52 * RX_ENTRY_BYTES]! & 1).toBe(1);
    const ctx = { ...V4, srcAddress: PEER };
    const v2ok = encodeAdvert(
      v2({ vrid: 52, authType: 1, authData: simpleAuthData('secret'), addresses: ['192.0.2.60'] }),
      ctx,
    );
    t.inject(receivedPacket({ payload: v2ok, src: PEER, dst: GROUP, ttl: 7 }));
    await a.reload(config({ without2: true }));
    const after = t.rxTables.at(-1)!;
    expect(after[51 * RX_ENTRY_BYTES]! & 1).toBe(1);
    expect(after[52 * RX_ENTRY_BYTES]).toBe(0);
    t.inject(receivedPacket({ payload: v2ok, src: PEER, dst: GROUP, ttl: 7 }));
    t.inject(receivedPacket({ payload: v2ok, src: PEER, dst: GROUP }));
    const d = await drops(a);
    expect(d.iface).toEqual({ ttl: 1, vrid: 1 });
    const before = (await a.instance('VI_1')).counters.advertsReceived;
    const dropped = t.nativeDropped;
    t.inject(
      receivedPacket({ payload: encodeAdvert(v3({ vrid: 51, priority: 200 }), ctx), src: PEER, dst: GROUP }),
    );
    expect(t.nativeDropped).toBe(dropped);
    expect((await a.instance('VI_1')).counters.advertsReceived).toBe(before + 1);
    expect(await a.state('VI_1')).toBe('backup');
  });
});
