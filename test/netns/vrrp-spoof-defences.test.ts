// Spoofing defences an operator switches on, against an injector c on the segment:
// (a) allowed_peers in multicast mode: a valid priority-254 advert from c changes nothing
// and is counted as unknown-peer, while r1 and r2 still hear each other; (b)
// advert_rate_limit: r1 alone steps down for c's priority-254 adverts only `max` times
// within `per`; the next one is dropped as rate-limited and r1 stays master.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EncodableAdvert, encodeAdvert } from '../../src/vrrp/codec.js';
import { missing } from '../helpers/env.js';
import { createLab, instance, type Lab, ROOT, sleep, type Vrrpd } from './lib/vrrpd.js';

const why = missing({ root: true, commands: ['ip'] });
const GROUP = '224.0.0.18';
const INJECT = join(ROOT, 'test/netns/lib/inject.mjs');
const VIP = '192.0.2.50';

describe.skipIf(why)('spoofing defences: allowed_peers and advert_rate_limit', () => {
  let lab: Lab;
  const running: Vrrpd[] = [];

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2', 'c']);
  });
  afterAll(async () => {
    await lab?.cleanup();
  });
  afterEach(async () => {
    for (const d of running.splice(0)) if (!d.exitInfo) await lab.topo.kill(d.child, 3000);
  });

  const advert254 = (): string =>
    encodeAdvert(
      {
        version: 3,
        type: 1,
        vrid: 51,
        priority: 254,
        maxAdvertIntervalCs: 10,
        addresses: [VIP],
      } as EncodableAdvert,
      { family: 4, srcAddress: lab.topo.host('c').ipv4, dstAddress: GROUP },
    ).toString('hex');

  async function inject(hex: string[]): Promise<void> {
    const spec = { family: 4, ifname: 'eth0', packets: hex.map((h) => ({ hex: h, dst: GROUP, ttl: 255 })) };
    const r = await lab.topo.exec('c', [process.execPath, INJECT, JSON.stringify(spec)]);
    expect(JSON.parse(r.stdout)).toEqual({ sent: hex.length });
  }

  it('(a) allowed_peers, multicast: the injector is not heard, the peers are', async () => {
    const peers = [lab.topo.host('r1').ipv4, lab.topo.host('r2').ipv4];
    const cfg = (priority: number) => ({ vrrp_instances: [instance({ priority, allowed_peers: peers })] });
    const r1 = await lab.start('r1', cfg(150));
    const r2 = await lab.start('r2', cfg(100));
    running.push(r1, r2);
    await r1.waitState('VI', 'master', 5000);
    await r2.waitState('VI', 'backup', 3000);
    const before = await Promise.all([r1.instance(), r2.instance()]);
    await inject([advert254(), advert254(), advert254()]);
    await sleep(500);
    const after = await Promise.all([r1.instance(), r2.instance()]);
    for (const [i, a] of after.entries()) {
      const b = before[i]!;
      expect(a.state).toBe(b.state);
      expect(a.counters.transitions).toBe(b.counters.transitions);
      expect((a.counters.drops['unknown-peer'] ?? 0) - (b.counters.drops['unknown-peer'] ?? 0)).toBe(3);
    }
    expect(after[1]!.masterAddress).toBe(peers[0]);
    expect(after[1]!.counters.advertsReceived).toBeGreaterThan(before[1]!.counters.advertsReceived);
  });

  it('(b) advert_rate_limit: two step-downs in 30 s, the third state-changing advert is dropped', async () => {
    const r1 = await lab.start('r1', {
      vrrp_instances: [instance({ priority: 150, advert_rate_limit: { max: 2, per: '30s' } })],
    });
    running.push(r1);
    await r1.waitState('VI', 'master', 5000);
    for (let i = 0; i < 2; i++) {
      await inject([advert254()]);
      await r1.waitState('VI', 'backup', 2000);
      // c falls silent: Master_Down_Interval later r1 is master again
      await r1.waitState('VI', 'master', 3000);
    }
    const before = await r1.instance();
    await inject([advert254(), advert254()]);
    await sleep(300);
    const after = await r1.instance();
    expect(after.state).toBe('master');
    expect(after.counters.transitions).toBe(before.counters.transitions);
    expect((after.counters.drops['rate-limited'] ?? 0) - (before.counters.drops['rate-limited'] ?? 0)).toBe(
      2,
    );
    console.log(`(b) r1 drops after the limit: ${JSON.stringify(after.counters.drops)}`);
  });
});
