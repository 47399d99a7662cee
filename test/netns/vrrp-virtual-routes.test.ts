// keepalived virtual_routes / virtual_rules with two real vrrpd processes: the master has
// the routes (IPv4 and IPv6, unicast with via / dev / src, blackhole) and the rules, the
// backup has none; a route or rule deleted by hand comes back (one with no_track does not);
// a graceful stop removes them and the new master adds them; a preempting master takes
// them back. Checked with `ip -j route` / `ip -j rule` in each namespace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { createLab, instance, type Lab, until, type Vrrpd } from './lib/vrrpd.js';

const why = missing({ root: true, commands: ['ip'] });

interface IpRoute {
  dst: string;
  gateway?: string;
  type?: string;
  metric?: number;
  prefsrc?: string;
  protocol?: string;
}
interface IpRule {
  priority: number;
  src?: string;
  srclen?: number;
  dst?: string;
  table?: string;
  action?: string;
  fwmark?: string;
  fwmask?: string;
  protocol?: string;
}

describe.skipIf(why)('virtual_routes and virtual_rules follow MASTER', () => {
  let lab: Lab;
  let r1: Vrrpd;
  let r2: Vrrpd;
  const cfg = (priority: number) => ({
    vrrp_instances: [
      instance({
        priority,
        virtual_routes: [
          '198.51.100.0/24 via 192.0.2.13 table 100',
          { to: '203.0.113.0/25', type: 'blackhole', table: 100 },
          { to: '198.51.100.128/25', dev: 'eth0', src: '192.0.2.50', table: 100, metric: 7 },
          { to: '2001:db8:100::/48', via: '2001:db8::13', dev: 'eth0', table: 100, metric: 50 },
          '203.0.113.128/25 via 192.0.2.13 table 101 no_track',
        ],
        virtual_rules: [
          'from 192.0.2.50 table 100 priority 1000',
          { from: '2001:db8::/64', fwmark: '0x10/0xff', table: 100, priority: 1001 },
          { to: '203.0.113.0/24', action: 'prohibit', priority: 1002 },
        ],
      }),
    ],
  });

  // a table that never had a route does not exist for IPv4: `ip route show` fails, and it is empty
  const routes = async (host: string, fam: '-4' | '-6', table: number): Promise<IpRoute[]> =>
    JSON.parse(
      (await lab.sh(
        host,
        `o=$(ip -j ${fam} route show table ${table} 2>/dev/null) && echo "$o" || echo []`,
      )) || '[]',
    ) as IpRoute[];
  const rules = async (host: string, fam: '-4' | '-6'): Promise<IpRule[]> =>
    (JSON.parse((await lab.sh(host, `ip -j ${fam} rule show`)) || '[]') as IpRule[]).filter(
      (r) => r.priority >= 1000 && r.priority <= 1002,
    );
  const dsts = async (host: string) => [
    ...(await routes(host, '-4', 100)).map((r) => r.dst),
    ...(await routes(host, '-6', 100)).map((r) => r.dst),
    ...(await routes(host, '-4', 101)).map((r) => r.dst),
  ];
  const all = [
    '198.51.100.0/24',
    '203.0.113.0/25',
    '198.51.100.128/25',
    '2001:db8:100::/48',
    '203.0.113.128/25',
  ];
  /** the host has every route and rule of the instance */
  const hasAll = async (host: string) =>
    (await dsts(host)).length === 5 &&
    (await rules(host, '-4')).length === 2 &&
    (await rules(host, '-6')).length === 1;
  /** the host has none of them */
  const hasNone = async (host: string) =>
    (await dsts(host)).length === 0 &&
    (await rules(host, '-4')).length === 0 &&
    (await rules(host, '-6')).length === 0;

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2', 'c']);
    [r1, r2] = await Promise.all([lab.start('r1', cfg(150)), lab.start('r2', cfg(100))]);
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('the master has the routes and rules, as configured; the backup has none; status says so', async () => {
    await r1.waitState('VI', 'master', 5000);
    await r2.waitBackupOf('VI', lab.topo.host('r1').ipv4, 5000);
    await until(() => hasAll('r1'), 3000, 'routes and rules on r1');
    expect(await hasNone('r2')).toBe(true);

    const v4 = await routes('r1', '-4', 100);
    expect(v4.find((r) => r.dst === '198.51.100.0/24')).toMatchObject({
      gateway: '192.0.2.13',
      protocol: 'keepalived',
    });
    expect(v4.find((r) => r.dst === '203.0.113.0/25')).toMatchObject({ type: 'blackhole' });
    expect(v4.find((r) => r.dst === '198.51.100.128/25')).toMatchObject({ prefsrc: '192.0.2.50', metric: 7 });
    const v6 = await routes('r1', '-6', 100);
    expect(v6.find((r) => r.dst === '2001:db8:100::/48')).toMatchObject({
      gateway: '2001:db8::13',
      metric: 50,
    });
    expect((await routes('r1', '-4', 101)).map((r) => r.dst)).toEqual(['203.0.113.128/25']);

    const r4 = await rules('r1', '-4');
    expect(r4.find((r) => r.priority === 1000)).toMatchObject({ src: '192.0.2.50', table: '100' });
    expect(r4.find((r) => r.priority === 1002)).toMatchObject({ dst: '203.0.113.0', action: 'prohibit' });
    expect((await rules('r1', '-6'))[0]).toMatchObject({
      src: '2001:db8::',
      srclen: 64,
      fwmark: '0x10',
      fwmask: '0xff',
      table: '100',
    });

    const st1 = (await r1.instance()).routing!;
    expect(st1.routes.map((r) => r.installed)).toEqual([true, true, true, true, true]);
    expect(st1.rules.map((r) => r.installed)).toEqual([true, true, true]);
    expect(st1.routes[0]!.route).toBe('198.51.100.0/24 via 192.0.2.13 table 100');
    const st2 = (await r2.instance()).routing!;
    expect([...st2.routes, ...st2.rules].some((r) => r.installed)).toBe(false);
  });

  it('a route or rule deleted by hand comes back; one with no_track does not', async () => {
    // one alone first, timed: from the deletion to the route being back
    const t0 = Date.now();
    await lab.sh('r1', 'ip route del 198.51.100.0/24 table 100');
    await until(async () => (await dsts('r1')).includes('198.51.100.0/24'), 3000, 'the route back on r1', 5);
    console.log(`a route deleted by hand was back after ${Date.now() - t0} ms (ip route del included)`);
    await lab.sh('r1', 'ip route del 198.51.100.0/24 table 100');
    await lab.sh('r1', 'ip -6 route del 2001:db8:100::/48 table 100');
    await lab.sh('r1', 'ip rule del priority 1000');
    await lab.sh('r1', 'ip route del 203.0.113.128/25 table 101');
    await until(
      async () => {
        const d = await dsts('r1');
        return (
          d.includes('198.51.100.0/24') &&
          d.includes('2001:db8:100::/48') &&
          (await rules('r1', '-4')).length === 2
        );
      },
      3000,
      'the deleted route and rule back on r1',
    );
    // give a wrong re-add of the no_track route time to happen
    await new Promise((r) => setTimeout(r, 300));
    expect(await routes('r1', '-4', 101)).toEqual([]);
    const st = (await r1.instance()).routing!;
    expect(st.restored).toBeGreaterThanOrEqual(3);
    expect(st.routes.find((r) => r.route.includes('203.0.113.128/25'))).toMatchObject({
      installed: false,
      noTrack: true,
    });
    expect(r1.logged((l) => l.event === 'route-restored').length).toBeGreaterThanOrEqual(2);
  });

  it('graceful stop of the master removes them; the new master adds them; a preempting master takes them back', async () => {
    expect(await r1.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(await hasNone('r1')).toBe(true);
    await r2.waitState('VI', 'master', 5000);
    await until(() => hasAll('r2'), 3000, 'routes and rules on r2');
    expect((await dsts('r2')).sort()).toEqual([...all].sort());

    r1 = await lab.start('r1', cfg(150));
    await r1.waitState('VI', 'master', 5000);
    await r2.waitState('VI', 'backup', 3000);
    await until(() => hasAll('r1'), 3000, 'routes and rules back on r1');
    await until(() => hasNone('r2'), 3000, 'routes and rules gone from r2');
  });

  it('a run killed with SIGKILL leaves them; the next start removes them, as keepalived does', async () => {
    r1.signal('SIGKILL');
    await r1.exited;
    await r2.waitState('VI', 'master', 5000);
    await until(() => hasAll('r2'), 3000, 'routes and rules on r2');
    expect(await hasAll('r1')).toBe(true);
    // back with a lower priority: it stays backup, and its leftovers go at start
    r1 = await lab.start('r1', cfg(50));
    await r1.waitBackupOf('VI', lab.topo.host('r2').ipv4, 5000);
    await until(() => hasNone('r1'), 3000, 'the leftovers gone from r1');
    expect(await hasAll('r2')).toBe(true);
  });
});
