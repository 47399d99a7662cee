// auth_hmac between real daemons (keepalived 2.4 compatible signed adverts), on one
// segment r1, r2 and an injector c: (a) the same key: one master; (b) a wrong key on r2:
// both master, each counting the other's adverts as auth-hmac-invalid; (c) key rotation
// with two key ids, active key moved one router after the other: no flap; (d) a rolling
// migration from unsigned peers (receive-only, permissive, enforce) without a flap;
// (e) priority-254 adverts from c — unsigned, forged, unknown key id, stale — and a
// captured advert of r1 replayed: nothing changes, each counted under its reason.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { request } from '../../src/control/client.js';
import type { InstanceStatus } from '../../src/control/snapshot.js';
import { ipBytes } from '../../src/net/addr.js';
import { clockSeq, signAdvert } from '../../src/vrrp/auth-hmac.js';
import { type EncodableAdvert, encodeAdvert } from '../../src/vrrp/codec.js';
import { missing } from '../helpers/env.js';
import { ipPackets } from '../helpers/pcap.js';
import { createLab, instance, type Lab, ROOT, sleep, type Vrrpd } from './lib/vrrpd.js';

const why = missing({ root: true, commands: ['ip', 'tcpdump'] });
const GROUP = '224.0.0.18';
const INJECT = join(ROOT, 'test/netns/lib/inject.mjs');
const VIP = '192.0.2.50';
const K1 = 'hex:' + '11'.repeat(32);
const K2 = 'hex:' + '22'.repeat(32);
const WRONG = 'hex:' + '33'.repeat(32);

type Hmac = Record<string, unknown> | undefined;
const cfg = (priority: number, auth_hmac: Hmac) => ({
  vrrp_instances: [instance({ priority, ...(auth_hmac ? { auth_hmac } : {}) })],
});
const keyed = (keys: [number, string][], active: number, mode = 'enforce') => ({
  keys: keys.map(([id, key]) => ({ id, key })),
  active_key: active,
  mode,
});

describe.skipIf(why)('auth_hmac between vrrpd daemons', () => {
  let lab: Lab;
  let r1: Vrrpd | undefined;
  let r2: Vrrpd | undefined;

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2', 'c']);
  });
  afterAll(async () => {
    await lab?.cleanup();
  });
  afterEach(async () => {
    for (const d of [r1, r2]) if (d && !d.exitInfo) await lab.topo.kill(d.child, 3000);
    r1 = r2 = undefined;
  });

  async function pair(a: Hmac, b: Hmac): Promise<[Vrrpd, Vrrpd]> {
    r1 = await lab.start('r1', cfg(150, a));
    r2 = await lab.start('r2', cfg(100, b));
    return [r1, r2];
  }

  function rewrite(d: Vrrpd, config: Record<string, unknown>): void {
    writeFileSync(
      d.configPath,
      stringify({ ...config, global: { router_id: d.host, log_level: 'info', control_socket: d.socket } }),
    );
  }

  async function reload(d: Vrrpd, config: Record<string, unknown>): Promise<void> {
    rewrite(d, config);
    await request(d.socket, 'reload', {}, 30_000);
  }

  /** Samples both states every 50 ms for `ms`: how often were both master? */
  async function dualMaster(ms: number): Promise<number> {
    let both = 0;
    for (const end = Date.now() + ms; Date.now() < end; ) {
      const [a, b] = await Promise.all([r1!.instance(), r2!.instance()]);
      if (a.state === 'master' && b.state === 'master') both++;
      await sleep(50);
    }
    return both;
  }

  it('(a) the same key: r1 master, r2 backup, no auth drops', async () => {
    await pair(keyed([[1, K1]], 1), keyed([[1, K1]], 1));
    await r1!.waitState('VI', 'master', 5000);
    await r2!.waitBackupOf('VI', lab.topo.host('r1').ipv4, 3000);
    expect(await dualMaster(1000)).toBe(0);
    const drops = (await r2!.instance()).counters.drops;
    expect(Object.keys(drops).filter((k) => k.startsWith('auth'))).toEqual([]);
  });

  it('(b) a wrong key on r2: both master, each counts auth-hmac-invalid', async () => {
    await pair(keyed([[1, K1]], 1), keyed([[1, WRONG]], 1));
    await r1!.waitState('VI', 'master', 5000);
    await r2!.waitState('VI', 'master', 5000);
    await sleep(500);
    const [a, b] = await Promise.all([r1!.instance(), r2!.instance()]);
    expect(a.state).toBe('master');
    expect(b.state).toBe('master');
    expect(a.counters.drops['auth-hmac-invalid']).toBeGreaterThan(0);
    expect(b.counters.drops['auth-hmac-invalid']).toBeGreaterThan(0);
    console.log(
      `(b) wrong key: r1 drops ${JSON.stringify(a.counters.drops)}, r2 drops ${JSON.stringify(b.counters.drops)}`,
    );
  });

  it('(c) key rotation: keys 1 and 2 on both, active 1 → 2 one router after the other, no flap', async () => {
    const both = (active: number) =>
      keyed(
        [
          [1, K1],
          [2, K2],
        ],
        active,
      );
    await pair(both(1), both(1));
    await r1!.waitState('VI', 'master', 5000);
    await r2!.waitState('VI', 'backup', 3000);
    const t0 = [(await r1!.instance()).counters.transitions, (await r2!.instance()).counters.transitions];
    await reload(r2!, cfg(100, both(2)));
    expect(await dualMaster(600)).toBe(0);
    await reload(r1!, cfg(150, both(2)));
    expect(await dualMaster(600)).toBe(0);
    // the old key retired on both
    await reload(r2!, cfg(100, keyed([[2, K2]], 2)));
    await reload(r1!, cfg(150, keyed([[2, K2]], 2)));
    expect(await dualMaster(600)).toBe(0);
    const [a, b] = await Promise.all([r1!.instance(), r2!.instance()]);
    expect([a.counters.transitions, b.counters.transitions]).toEqual(t0);
    expect([a.state, b.state]).toEqual(['master', 'backup']);
    const authDrops = (s: InstanceStatus) =>
      Object.keys(s.counters.drops).filter((k) => k.startsWith('auth'));
    expect(authDrops(b)).toEqual([]);
  });

  it('(d) rolling migration from unsigned peers: receive-only, permissive, enforce, no flap', async () => {
    await pair(undefined, undefined);
    await r1!.waitState('VI', 'master', 5000);
    await r2!.waitState('VI', 'backup', 3000);
    const t0 = [(await r1!.instance()).counters.transitions, (await r2!.instance()).counters.transitions];
    const steps: [Vrrpd, number, Hmac][] = [
      [r2!, 100, keyed([[1, K1]], 1, 'receive-only')], // checks trailers, sends none: r1 still hears it
      [r1!, 150, keyed([[1, K1]], 1, 'receive-only')],
      [r2!, 100, keyed([[1, K1]], 1, 'permissive')], // signs; r1 (receive-only) verifies
      [r1!, 150, keyed([[1, K1]], 1, 'permissive')],
      [r2!, 100, keyed([[1, K1]], 1, 'enforce')],
      [r1!, 150, keyed([[1, K1]], 1, 'enforce')],
    ];
    for (const [d, prio, h] of steps) {
      await reload(d, cfg(prio, h));
      expect(await dualMaster(500), `after ${d.host} → ${String(h?.mode)}`).toBe(0);
    }
    const [a, b] = await Promise.all([r1!.instance(), r2!.instance()]);
    expect([a.counters.transitions, b.counters.transitions]).toEqual(t0);
    expect(b.masterAddress).toBe(lab.topo.host('r1').ipv4);
  });

  it('(e) injected priority-254 adverts (unsigned, forged, unknown key, stale) and a replay change nothing', async () => {
    await pair(keyed([[1, K1]], 1), keyed([[1, K1]], 1));
    await r1!.waitState('VI', 'master', 5000);
    await r2!.waitState('VI', 'backup', 3000);
    // one real advert of r1, captured on the wire by c
    const cap = await lab.capture('c', 'ip proto 112');
    await sleep(400);
    const pcap = await cap.stop();
    const r1ip = lab.topo.host('r1').ipv4;
    const theirs = ipPackets(pcap, 112).find((p) => p.src === r1ip);
    expect(theirs, 'a captured advert of r1').toBeDefined();
    const captured = theirs!.payload;
    expect(captured.length).toBe(12 + 28);

    const src = lab.topo.host('c').ipv4;
    const adv = (o: Partial<EncodableAdvert> = {}): Buffer =>
      encodeAdvert(
        {
          version: 3,
          type: 1,
          vrid: 51,
          priority: 254,
          maxAdvertIntervalCs: 10,
          addresses: [VIP],
          ...o,
        } as EncodableAdvert,
        { family: 4, srcAddress: src, dstAddress: GROUP },
      );
    const sign = (key: string, keyId = 1, wallMs = Date.now()) =>
      signAdvert(adv(), {
        family: 4,
        version: 3,
        vrid: 51,
        src: ipBytes(src),
        dst: ipBytes(GROUP),
        keyId,
        key: Buffer.from(key.slice(4), 'hex'),
        seq: clockSeq(wallMs),
      });
    const before = await Promise.all([r1!.instance(), r2!.instance()]);
    const n = 3;
    const forged: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      forged.push(adv(), sign(WRONG), sign(K1, 7), sign(K1, 1, Date.now() - 3_600_000));
    }
    await inject(forged.map((b) => b.toString('hex')));
    // the replay: r1's own bytes, sent again from r1's address (added on c for the purpose)
    await lab.sh('c', `ip addr add ${r1ip}/32 dev eth0`);
    try {
      await inject([captured.toString('hex')], r1ip);
    } finally {
      await lab.sh('c', `ip addr del ${r1ip}/32 dev eth0`);
    }
    await sleep(500);
    const after = await Promise.all([r1!.instance(), r2!.instance()]);
    for (const [i, a] of after.entries()) {
      const b = before[i]!;
      const delta = (k: string) => (a.counters.drops[k] ?? 0) - (b.counters.drops[k] ?? 0);
      const where = `${i ? 'r2' : 'r1'}: ${JSON.stringify(a.counters.drops)}`;
      expect(a.state, where).toBe(b.state);
      expect(a.counters.transitions, where).toBe(b.counters.transitions);
      expect(delta('auth-hmac-missing'), where).toBe(n);
      expect(delta('auth-hmac-invalid'), where).toBe(n);
      expect(delta('auth-hmac-unknown-key'), where).toBe(n);
      expect(delta('auth-hmac-stale'), where).toBe(n);
      if (i === 1) expect(delta('auth-hmac-replay'), where).toBe(1);
      if (i === 1) console.log(`(e) drops on ${where}`);
    }
  });

  async function inject(hex: string[], from?: string): Promise<void> {
    const spec = {
      family: 4,
      ifname: 'eth0',
      packets: hex.map((h) => ({ hex: h, dst: GROUP, ttl: 255, ...(from ? { src: from } : {}) })),
    };
    const r = await lab.topo.exec('c', [process.execPath, INJECT, JSON.stringify(spec)]);
    expect(JSON.parse(r.stdout)).toEqual({ sent: hex.length });
  }
});
