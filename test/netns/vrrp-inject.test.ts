// Injected bad adverts (RFC 5798 §7.1 receive checks) change nothing and are counted:
// a client namespace sends, with a raw socket, packets that would make the master step
// down if accepted (priority 254): wrong VRID, TTL 254, bad checksum, wrong version,
// wrong type, truncated. Then a valid priority-254 advert proves the injection path works.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceStatus } from '../../src/control/snapshot.js';
import { type EncodableAdvert, encodeAdvert } from '../../src/vrrp/codec.js';
import { missing } from '../helpers/env.js';
import { CLI, createLab, instance, type Lab, ROOT, sleep, type Vrrpd } from './lib/vrrpd.js';

const why = missing({ root: true, commands: ['ip'] });
const GROUP = '224.0.0.18';
const INJECT = join(ROOT, 'test/netns/lib/inject.mjs');
const VIP = '192.0.2.50';

interface Packet {
  hex: string;
  dst: string;
  ttl: number;
}

describe.skipIf(why)('injected bad packets are dropped and counted', () => {
  let lab: Lab;
  let r1: Vrrpd;
  let r2: Vrrpd;
  let src = '';

  const v3 = (o: Partial<EncodableAdvert> = {}): EncodableAdvert =>
    ({
      version: 3,
      type: 1,
      vrid: 51,
      priority: 254,
      maxAdvertIntervalCs: 10,
      addresses: [VIP],
      ...o,
    }) as EncodableAdvert;
  const enc = (a: EncodableAdvert) => encodeAdvert(a, { family: 4, srcAddress: src, dstAddress: GROUP });
  const pkt = (b: Buffer, ttl = 255): Packet => ({ hex: b.toString('hex'), dst: GROUP, ttl });

  async function inject(packets: Packet[]): Promise<void> {
    const r = await lab.topo.exec('c', [
      process.execPath,
      INJECT,
      JSON.stringify({ family: 4, ifname: 'eth0', packets }),
    ]);
    expect(JSON.parse(r.stdout)).toEqual({ sent: packets.length });
  }

  async function counters(d: Vrrpd): Promise<{ inst: InstanceStatus; global: Record<string, number> }> {
    const s = await d.status();
    return { inst: s.instances.find((i) => i.name === 'VI')!, global: s.globalDrops };
  }

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2', 'c']);
    src = lab.topo.host('c').ipv4;
    const cfg = (priority: number) => ({ vrrp_instances: [instance({ priority })] });
    [r1, r2] = await Promise.all([lab.start('r1', cfg(150)), lab.start('r2', cfg(100))]);
    await r1.waitState('VI', 'master', 5000);
    await r2.waitState('VI', 'backup', 3000);
    expect(CLI).toContain('dist');
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('wrong VRID, TTL 254, bad checksum, wrong version/type, truncated: no state change, each counted', async () => {
    const before = await Promise.all([counters(r1), counters(r2)]);
    const good = enc(v3());
    const badSum = Buffer.from(good);
    badSum.writeUInt16BE(badSum.readUInt16BE(6) ^ 0x5a5a, 6);
    const v5 = Buffer.from(good);
    v5[0] = 0x51; // version 5, type 1
    const type2 = Buffer.from(good);
    type2[0] = 0x32; // version 3, type 2 (undefined)
    const v2 = encodeAdvert(
      {
        version: 2,
        type: 1,
        vrid: 51,
        priority: 254,
        advertIntervalSec: 1,
        authType: 0,
        authData: Buffer.alloc(8),
        addresses: [VIP],
      },
      { family: 4, srcAddress: src, dstAddress: GROUP },
    );
    const n = 3;
    const packets: Packet[] = [];
    for (let i = 0; i < n; i++) {
      packets.push(
        pkt(enc(v3({ vrid: 99 }))), // no such VRID here
        pkt(good, 254), // RFC 5798 §7.1: TTL must be 255
        pkt(badSum),
        pkt(v5),
        pkt(v2), // a VRRPv2 advert for a v3 instance
        pkt(type2),
        pkt(good.subarray(0, 6)), // shorter than the 8-byte header
        pkt(good.subarray(0, 10)), // header says one address, 2 of its 4 bytes are missing
      );
    }
    await inject(packets);
    await sleep(500); // several Master_Down_Intervals: a wrongly accepted advert would show
    const after = await Promise.all([counters(r1), counters(r2)]);
    for (const [i, d] of [r1, r2].entries()) {
      const b = before[i]!;
      const a = after[i]!;
      const delta = (k: string) => (a.inst.counters.drops[k] ?? 0) - (b.inst.counters.drops[k] ?? 0);
      const gdelta = (k: string) => (a.global[k] ?? 0) - (b.global[k] ?? 0);
      const where = `${d.host}: ${JSON.stringify({ drops: a.inst.counters.drops, global: a.global })}`;
      expect(a.inst.state, where).toBe(b.inst.state);
      expect(a.inst.counters.transitions, where).toBe(b.inst.counters.transitions);
      expect(gdelta('vrid'), where).toBe(n);
      expect(delta('ttl'), where).toBe(n);
      expect(delta('checksum'), where).toBe(n);
      expect(delta('version'), where).toBe(2 * n);
      expect(delta('type'), where).toBe(n);
      // both truncations are packet length errors (RFC 6527 vrrpv3StatisticsPacketLengthErrors)
      expect(delta('length'), where).toBe(2 * n);
      if (i === 0) console.log(`drops after injection (${d.host}): ${where}`);
    }
    // the backup still follows r1 and accepted nothing from the injector
    expect(after[1]!.inst.masterAddress).toBe(lab.topo.host('r1').ipv4);
    expect(after[1]!.inst.counters.priorityZeroReceived).toBe(before[1]!.inst.counters.priorityZeroReceived);
    expect(after[0]!.inst.counters.advertsReceived).toBe(before[0]!.inst.counters.advertsReceived);
  });

  it('control: one valid priority-254 advert from the same injector does move the master', async () => {
    const before = await counters(r1);
    await inject([pkt(enc(v3()))]);
    const s = await r1.waitState('VI', 'backup', 2000);
    expect(s.lastTransitionReason).toBe('higher-priority-advert');
    expect(s.counters.advertsReceived).toBeGreaterThan(before.inst.counters.advertsReceived);
    // the injector falls silent: r1 takes the master role back after Master_Down_Interval
    await r1.waitState('VI', 'master', 3000);
    await r2.waitState('VI', 'backup', 3000);
  });
});
