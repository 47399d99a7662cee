// auth_hmac through the engine with fake effects: a master signs every advert (priority 0
// on shutdown too) with its active key, each sequence above the last; receive-only signs
// nothing; a signed advert of a VRID not configured here counts as 'vrid'.
import { afterEach, describe, expect, it } from 'vitest';
import { ipBytes } from '../../src/net/addr.js';
import {
  clockSeq,
  hmacSettingsOf,
  ReplayMarks,
  signAdvert,
  verifyTrailer,
} from '../../src/vrrp/auth-hmac.js';
import { decodeAdvert, encodeAdvert } from '../../src/vrrp/codec.js';
import { receivedPacket, v3 } from '../helpers/adverts.js';
import { FakeClock, instanceYaml, loadConfig, Node, yaml } from './engine-fakes.js';

const ME = '192.0.2.2';
const KEY_HEX = '5c'.repeat(32);
const nodes: Node[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.engine.stop().catch(() => {});
});

async function node(extra: string[], priority = 255) {
  const clock = new FakeClock();
  const n = new Node('A', clock, loadConfig(yaml('vrrp_instances:', ...instanceYaml({ priority, extra }))), {
    primary4: ME,
  });
  nodes.push(n);
  await n.engine.start();
  return { n, clock };
}

describe('auth_hmac in the engine', () => {
  it('a master signs each advert once with the active key; sequences grow; priority 0 is signed too', async () => {
    const { n, clock } = await node([
      `auth_hmac: {keys: [{id: 1, key: 'hex:${'11'.repeat(32)}'}, {id: 4, key: 'hex:${KEY_HEX}'}], active_key: 4}`,
    ]);
    await clock.advance(3500);
    const t = n.transport(4);
    await n.engine.stop();
    expect(t.sent.length).toBeGreaterThan(3);
    const settings = hmacSettingsOf({
      keys: [{ id: 4, hex: KEY_HEX }],
      activeKey: 4,
      mode: 'enforce',
      antiReplayTime: false,
      timeWindowSec: 5,
    });
    const marks = new ReplayMarks();
    const priorities: number[] = [];
    for (const s of t.sent) {
      const d = decodeAdvert(s.payload, { family: 4, srcAddress: ME, dstAddress: s.dst, authTrailer: true });
      if (!d.ok || !d.value.auth) throw new Error('unsigned or undecodable advert');
      priorities.push(d.value.priority);
      const v = verifyTrailer(
        settings,
        { family: 4, version: 3, vrid: 51, src: ipBytes(ME), ...d.value.auth },
        Date.now(),
        marks,
      );
      expect(v).toMatchObject({ verdict: 'ok', keyId: 4 });
    }
    expect(priorities.at(-1)).toBe(0);
  });

  it('receive-only sends no trailer', async () => {
    const { n, clock } = await node([
      `auth_hmac: {keys: [{id: 1, key: 'hex:${KEY_HEX}'}], mode: receive-only}`,
    ]);
    await clock.advance(1500);
    expect(n.transport(4).sent.every((s) => s.payload.length === 12)).toBe(true);
  });

  it('a signed advert of a VRID not configured here counts as vrid, not length', async () => {
    const { n } = await node([], 100);
    const peer = '192.0.2.9';
    const payload = signAdvert(
      encodeAdvert(v3({ vrid: 77 }), { family: 4, srcAddress: peer, dstAddress: '224.0.0.18' }),
      {
        family: 4,
        version: 3,
        vrid: 77,
        src: ipBytes(peer),
        dst: ipBytes('224.0.0.18'),
        keyId: 1,
        key: Buffer.from(KEY_HEX, 'hex'),
        seq: clockSeq(Date.now()),
      },
    );
    n.transport(4).inject(receivedPacket({ payload, src: peer, dst: '224.0.0.18' }));
    const snap = await n.engine.snapshot();
    expect(Object.values(snap.interfaceDrops)[0]).toEqual({ vrid: 1 });
  });
});
