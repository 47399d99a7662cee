// One drop vocabulary (ARCHITECTURE rule 9/11): every DropReason is produced by some
// received packet, counted by the engine, and shows up in the status document and in the
// metrics' reason labels; every reason the engine counts is a declared DropReason.
import { afterEach, describe, expect, it } from 'vitest';
import { exampleSnapshot } from '../../src/control/example.js';
import { createMetrics } from '../../src/control/metrics.js';
import { DROP_REASONS as SNAPSHOT_DROP_REASONS } from '../../src/control/snapshot.js';
import type { Family, ReceivedPacket } from '../../src/effects/types.js';
import { ipBytes } from '../../src/net/addr.js';
import { internetChecksum } from '../../src/net/checksum.js';
import { clockSeq, signAdvert } from '../../src/vrrp/auth-hmac.js';
import { type EncodableAdvert, encodeAdvert } from '../../src/vrrp/codec.js';
import { DROP_REASONS, type DropReason } from '../../src/vrrp/drop-reason.js';
import { receivedPacket, v2, v3 } from '../helpers/adverts.js';
import { FakeClock, instanceYaml, loadConfig, Node, yaml } from './engine-fakes.js';

const ME4 = '192.0.2.2';
const PEER4 = '192.0.2.9';
const ME6 = 'fe80::2';
const PEER6 = 'fe80::9';

const nodes: Node[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.engine.stop().catch(() => {});
});

interface Case {
  reason: DropReason;
  /** instance YAML lines (one instance, VRID 51) */
  instance: string[];
  family?: Family;
  packet: () => ReceivedPacket;
  /** packets injected first (accepted), to set up the one that is dropped */
  prelude?: () => ReceivedPacket[];
}

function received(
  payload: Buffer,
  o: { family?: Family; src?: string; dst?: string; ttl?: number } = {},
): ReceivedPacket {
  const family = o.family ?? 4;
  return receivedPacket({
    payload,
    src: o.src ?? (family === 4 ? PEER4 : PEER6),
    dst: o.dst ?? (family === 4 ? '224.0.0.18' : 'ff02::12'),
    ttl: o.ttl ?? 255,
  });
}

/** An advert encoded as `src` would send it to the group (valid checksum). */
function wire(a: EncodableAdvert, o: { family?: Family; src?: string; dst?: string } = {}): Buffer {
  const family = o.family ?? 4;
  return encodeAdvert(a, {
    family,
    srcAddress: o.src ?? (family === 4 ? PEER4 : PEER6),
    dstAddress: o.dst ?? (family === 4 ? '224.0.0.18' : 'ff02::12'),
  });
}

const V3_INSTANCE = instanceYaml({ priority: 100 });
const V2_AUTH_INSTANCE = instanceYaml({ priority: 100, version: 2, extra: ['auth_pass: s3cret'] });
const V2_INSTANCE = instanceYaml({ priority: 100, version: 2 });
const V6_INSTANCE = instanceYaml({ priority: 100, vips: ['fe80::50/64', '2001:db8::50/64'] });
const UNICAST_INSTANCE = instanceYaml({
  priority: 100,
  extra: [`unicast_src: ${ME4}`, 'unicast_peers: [192.0.2.3]'],
});

const HMAC_KEY_HEX = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const HMAC_INSTANCE = instanceYaml({
  priority: 100,
  extra: [`auth_hmac: {keys: [{id: 1, key: 'hex:${HMAC_KEY_HEX}'}]}`],
});
const RATE_INSTANCE = instanceYaml({ priority: 100, extra: ['advert_rate_limit: {max: 1, per: 10s}'] });

/** An advert from PEER4 signed as keepalived 2.4 signs it. */
function signed(
  o: { keyId?: number; key?: string; wallMs?: number; edit?: (b: Buffer) => void; priority?: number } = {},
): Buffer {
  const b = signAdvert(wire(v3({ priority: o.priority ?? 100 })), {
    family: 4,
    version: 3,
    vrid: 51,
    src: ipBytes(PEER4),
    dst: ipBytes('224.0.0.18'),
    keyId: o.keyId ?? 1,
    key: Buffer.from(o.key ?? HMAC_KEY_HEX, 'hex'),
    seq: clockSeq(o.wallMs ?? Date.now()),
  });
  o.edit?.(b);
  return b;
}
const replayed = signed();

const withByte = (b: Buffer, at: number, v: number): Buffer => {
  const c = Buffer.from(b);
  c[at] = v;
  return c;
};

/** The packet of a valid advert with its IPv4 header edited (checksum made right again unless told). */
function ipEdited(edit: (h: Buffer) => void, fixChecksum = true): ReceivedPacket {
  const p = received(wire(v3()));
  if (!('ip' in p)) throw new Error('expected a whole IP packet');
  const ip = Buffer.from(p.ip);
  edit(ip);
  if (fixChecksum) {
    const ihl = Math.max(20, (ip[0]! & 0x0f) * 4);
    ip.writeUInt16BE(0, 10);
    ip.writeUInt16BE(internetChecksum(ip.subarray(0, Math.min(ihl, ip.length))), 10);
  }
  return { ...p, ip };
}

const CASES: Case[] = [
  {
    reason: 'ip-too-short',
    instance: V3_INSTANCE,
    packet: () => ({ family: 4, ifindex: 2, ip: Buffer.alloc(10) }),
  },
  { reason: 'ip-version', instance: V3_INSTANCE, packet: () => ipEdited((h) => (h[0] = 0x65)) },
  { reason: 'ip-header-length', instance: V3_INSTANCE, packet: () => ipEdited((h) => (h[0] = 0x44)) },
  {
    reason: 'ip-total-length',
    instance: V3_INSTANCE,
    packet: () => ipEdited((h) => h.writeUInt16BE(500, 2)),
  },
  { reason: 'ip-checksum', instance: V3_INSTANCE, packet: () => ipEdited((h) => (h[8] = 254), false) },
  { reason: 'ip-fragment', instance: V3_INSTANCE, packet: () => ipEdited((h) => h.writeUInt16BE(0x2000, 6)) },
  { reason: 'length', instance: V3_INSTANCE, packet: () => received(wire(v3()).subarray(0, 7)) },
  { reason: 'version', instance: V3_INSTANCE, packet: () => received(withByte(wire(v3()), 0, 0x11)) },
  { reason: 'type', instance: V3_INSTANCE, packet: () => received(withByte(wire(v3()), 0, 0x32)) },
  {
    reason: 'family',
    instance: V6_INSTANCE,
    family: 6,
    // VRRPv2 does not exist over IPv6 (RFC 3768)
    packet: () => received(wire(v2()), { family: 6 }), // encoded for IPv4, heard on IPv6
  },
  { reason: 'checksum', instance: V3_INSTANCE, packet: () => received(withByte(wire(v3()), 6, 0)) },
  { reason: 'ttl', instance: V3_INSTANCE, packet: () => received(wire(v3()), { ttl: 254 }) },
  {
    reason: 'own-packet',
    instance: V3_INSTANCE,
    packet: () => received(wire(v3(), { src: ME4 }), { src: ME4 }),
  },
  { reason: 'vrid', instance: V3_INSTANCE, packet: () => received(wire(v3({ vrid: 77 }))) },
  {
    reason: 'advert-interval',
    instance: V3_INSTANCE,
    packet: () => received(wire(v3({ maxAdvertIntervalCs: 0 }))),
  },
  {
    reason: 'auth-type-invalid',
    instance: V2_INSTANCE,
    packet: () => received(wire(v2({ authType: 7 }))),
  },
  {
    reason: 'auth-type-mismatch',
    instance: V2_AUTH_INSTANCE,
    packet: () => received(wire(v2())),
  },
  {
    reason: 'auth-failure',
    instance: V2_AUTH_INSTANCE,
    packet: () => {
      const authData = Buffer.alloc(8);
      authData.write('wrong');
      return received(wire(v2({ authType: 1, authData })));
    },
  },
  {
    reason: 'unknown-peer',
    instance: UNICAST_INSTANCE,
    packet: () => received(wire(v3(), { dst: ME4 }), { dst: ME4 }),
  },
  { reason: 'auth-hmac-missing', instance: HMAC_INSTANCE, packet: () => received(wire(v3())) },
  {
    reason: 'auth-hmac-malformed',
    instance: HMAC_INSTANCE,
    packet: () => received(signed({ edit: (b) => (b[b.length - 28] = 2) })),
  },
  { reason: 'auth-hmac-unknown-key', instance: HMAC_INSTANCE, packet: () => received(signed({ keyId: 9 })) },
  {
    reason: 'auth-hmac-invalid',
    instance: HMAC_INSTANCE,
    packet: () => received(signed({ key: 'ff'.repeat(32) })),
  },
  {
    reason: 'auth-hmac-stale',
    instance: HMAC_INSTANCE,
    packet: () => received(signed({ wallMs: Date.now() - 3_600_000 })),
  },
  {
    reason: 'auth-hmac-replay',
    instance: HMAC_INSTANCE,
    prelude: () => [received(replayed)],
    packet: () => received(replayed),
  },
  {
    reason: 'rate-limited',
    instance: RATE_INSTANCE,
    prelude: () => [received(wire(v3({ priority: 0 })))],
    packet: () => received(wire(v3({ priority: 0 }))),
  },
];

async function countedDrops(c: Case): Promise<Record<string, number>> {
  const clock = new FakeClock();
  const n = new Node('B', clock, loadConfig(yaml('vrrp_instances:', ...c.instance)), {
    primary4: ME4,
    primary6: ME6,
  });
  nodes.push(n);
  await n.engine.start();
  for (const p of c.prelude?.() ?? []) n.transport(c.family ?? 4).inject(p);
  n.transport(c.family ?? 4).inject(c.packet());
  const snap = await n.engine.snapshot();
  const all: Record<string, number> = {};
  for (const drops of [
    ...snap.instances.map((i) => i.counters.drops),
    ...Object.values(snap.interfaceDrops),
  ]) {
    for (const [k, v] of Object.entries(drops)) all[k] = (all[k] ?? 0) + (v ?? 0);
  }
  return all;
}

describe('DropReason: one vocabulary for codec, engine, status and metrics', () => {
  it('the status document declares exactly the shared list', () => {
    expect([...SNAPSHOT_DROP_REASONS]).toEqual([...DROP_REASONS]);
    expect(new Set(DROP_REASONS).size).toBe(DROP_REASONS.length);
  });

  it('the cases below cover every reason', () => {
    expect(CASES.map((c) => c.reason).sort()).toEqual([...DROP_REASONS].sort());
  });

  for (const c of CASES) {
    it(`${c.reason}: a received packet is counted under exactly this reason`, async () => {
      expect(await countedDrops(c)).toEqual({ [c.reason]: 1 });
    });
  }

  it('every reason appears as a reason label of the drop metrics', async () => {
    const snap = exampleSnapshot();
    const all = Object.fromEntries(DROP_REASONS.map((r, i) => [r, i + 1]));
    snap.instances[0]!.counters.drops = all;
    snap.globalDrops = all;
    const text = await createMetrics({ snapshot: () => snap }).registry.metrics();
    for (const r of DROP_REASONS) {
      expect(text).toContain(`vrrpd_drops_total{instance="${snap.instances[0]!.name}",reason="${r}"}`);
      expect(text).toContain(`vrrpd_unmatched_drops_total{reason="${r}"}`);
    }
  });
});
