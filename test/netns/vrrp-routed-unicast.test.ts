// Routed unicast: r1 (198.51.100.1) and r2 (203.0.113.1) in different subnets, their
// adverts forwarded by a router namespace rt, so they arrive with TTL 254, not 255.
// (a) RFC default: every advert with TTL < 255 is dropped: both master, ttl drops counted;
// (b) per-peer min_ttl/max_ttl, and unicast_ttl 10 on r1 (arrives as 9): one master;
// (c) unicast_src not yet on the interface: IP_FREEBIND lets r1 start; once the address
//     is added the pair settles; (d) unicast_fault_no_peer without peers: FAULT;
// (e) IPv6 unicast between global addresses (sockets bound to unicast_src).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { createLab, instance, type Lab, sleep, type Vrrpd } from './lib/vrrpd.js';

const why = missing({ root: true, commands: ['ip'] });
const R1 = '198.51.100.1';
const R2 = '203.0.113.1';

describe.skipIf(why)('routed unicast across a router namespace', () => {
  let lab: Lab;
  const running: Vrrpd[] = [];

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2', 'rt']);
    // one segment, two subnets, rt forwarding between them (no redirects: the path stays routed)
    lab.topo.sysctl('rt', {
      'net.ipv4.ip_forward': 1,
      'net.ipv4.conf.all.send_redirects': 0,
      'net.ipv4.conf.eth0.send_redirects': 0,
      'net.ipv4.conf.all.rp_filter': 0,
      'net.ipv4.conf.eth0.rp_filter': 0,
    });
    await lab.sh('rt', 'ip addr add 198.51.100.254/24 dev eth0 && ip addr add 203.0.113.254/24 dev eth0');
    for (const h of ['r1', 'r2'])
      lab.topo.sysctl(h, {
        'net.ipv4.conf.all.accept_redirects': 0,
        'net.ipv4.conf.eth0.accept_redirects': 0,
      });
    await lab.sh('r1', `ip addr add ${R1}/24 dev eth0 && ip route add 203.0.113.0/24 via 198.51.100.254`);
    await lab.sh('r2', `ip addr add ${R2}/24 dev eth0 && ip route add 198.51.100.0/24 via 203.0.113.254`);
    const ping = await lab.topo.exec('r1', ['ping', '-c1', '-W2', '-I', R1, R2], { allowFail: true });
    expect(ping.stdout).toMatch(/ttl=63/); // one router on the path
  });
  afterAll(async () => {
    await lab?.cleanup();
  });
  afterEach(async () => {
    for (const d of running.splice(0)) if (!d.exitInfo) await lab.topo.kill(d.child, 3000);
  });

  const inst = (priority: number, src: string, peer: unknown, extra: Record<string, unknown> = {}) => ({
    vrrp_instances: [
      instance({
        priority,
        unicast_src: src,
        unicast_peers: [peer],
        virtual_ips: ['192.0.2.50/32'],
        ...extra,
      }),
    ],
  });

  it('(a) RFC default (TTL must be 255): the routed adverts are dropped, both master', async () => {
    const r1 = await lab.start('r1', inst(150, R1, R2));
    const r2 = await lab.start('r2', inst(100, R2, R1));
    running.push(r1, r2);
    await r1.waitState('VI', 'master', 5000);
    await r2.waitState('VI', 'master', 5000);
    await sleep(300);
    const [a, b] = await Promise.all([r1.instance(), r2.instance()]);
    expect(a.counters.drops.ttl).toBeGreaterThan(0);
    expect(b.counters.drops.ttl).toBeGreaterThan(0);
  });

  it('(b) min_ttl/max_ttl per peer, unicast_ttl 10 on r1: one master, no TTL drops', async () => {
    const r1 = await lab.start(
      'r1',
      inst(150, R1, { address: R2, min_ttl: 254, max_ttl: 254 }, { unicast_ttl: 10 }),
    );
    const r2 = await lab.start('r2', inst(100, R2, { address: R1, min_ttl: 9, max_ttl: 9 }));
    running.push(r1, r2);
    await r1.waitState('VI', 'master', 5000);
    await r2.waitBackupOf('VI', R1, 5000);
    const before = await Promise.all([r1.instance(), r2.instance()]);
    await sleep(600);
    const after = await Promise.all([r1.instance(), r2.instance()]);
    for (const [i, a] of after.entries()) {
      expect(a.counters.drops.ttl ?? 0).toBe(before[i]!.counters.drops.ttl ?? 0);
      expect(a.counters.transitions).toBe(before[i]!.counters.transitions);
    }
    expect(after[1]!.counters.advertsReceived).toBeGreaterThan(before[1]!.counters.advertsReceived);
    expect(after[0]!.counters.advertsReceived).toBe(before[0]!.counters.advertsReceived); // r2 is silent
  });

  it('(c) unicast_src not on the interface yet: r1 starts (IP_FREEBIND), and settles once it is added', async () => {
    const late = '198.51.100.7';
    const r1 = await lab.start('r1', inst(150, late, { address: R2, min_ttl: 254, max_ttl: 254 }));
    const r2 = await lab.start('r2', inst(100, R2, { address: late, min_ttl: 254, max_ttl: 254 }));
    running.push(r1, r2);
    // nobody hears r1 (its adverts cannot leave from an absent address): both master
    await r2.waitState('VI', 'master', 5000);
    await lab.sh('r1', `ip addr add ${late}/24 dev eth0`);
    try {
      await r2.waitState('VI', 'backup', 5000);
      await r1.waitState('VI', 'master', 3000);
    } finally {
      await lab.sh('r1', `ip addr del ${late}/24 dev eth0`);
    }
  });

  it('(e) IPv6 unicast on one link, sockets bound to unicast_src: one master', async () => {
    const [a6, b6] = [lab.topo.host('r1').ipv6, lab.topo.host('r2').ipv6];
    const cfg6 = (priority: number, src: string, peer: string) => ({
      vrrp_instances: [
        instance({ priority, unicast_src: src, unicast_peers: [peer], virtual_ips: ['2001:db8::50/64'] }),
      ],
    });
    const r1 = await lab.start('r1', cfg6(150, a6, b6));
    const r2 = await lab.start('r2', cfg6(100, b6, a6));
    running.push(r1, r2);
    await r1.waitState('VI', 'master', 5000);
    await r2.waitBackupOf('VI', a6, 5000);
  });

  it('(d) unicast_fault_no_peer with no peers: FAULT instead of multicast', async () => {
    const r1 = await lab.start('r1', {
      vrrp_instances: [
        instance({
          priority: 150,
          unicast_src: R1,
          unicast_fault_no_peer: true,
          virtual_ips: ['192.0.2.50/32'],
        }),
      ],
    });
    running.push(r1);
    const s = await r1.waitState('VI', 'fault', 5000);
    expect(s.lastTransitionReason).toContain('unicast without peers');
  });
});
