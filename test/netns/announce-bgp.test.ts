// Active-active directors announcing a VIP over BGP through real FRR 8.4 (bgpd, bfdd):
// one upstream router (ECMP, maximum-paths 8) and three directors, each running vrrpd
// (announce into table 100) and FRR (zebra `ip import-table 100`, bgpd `redistribute
// table 100`), two real servers with TCP listeners. What the router's RIB shows:
//   - all three directors as next hops of the VIP while their pools are healthy;
//   - a graceful stop withdraws first (while vrrpd still drains);
//   - a pool failing on one director withdraws only that director's route;
//   - kill -9 of one director's vrrpd withdraws its route (the route guardian);
//   - a director that goes silent (all its traffic dropped) leaves within the BFD bound
//     with BFD, and only at the BGP hold time without.
// Two of the directors also run a VRRP instance in the same config (both modes side by side).
// Times are printed (the closing note's table); the bounds asserted are generous.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { type FrrRouter, startFrr } from './lib/frr-bgp.js';
import { createLab, instance, type Lab, sleep, until, type Vrrpd } from './lib/vrrpd.js';

const why = missing({
  root: true,
  commands: ['ip', 'nft', 'vtysh', '/usr/lib/frr/bgpd', '/usr/lib/frr/bfdd'],
});
const VIP = '203.0.113.10';
const PREFIX = `${VIP}/32`;
const HOSTS = ['r', 'd1', 'd2', 'd3', 's1', 's2'];
const addr = (h: string) => `192.0.2.${11 + HOSTS.indexOf(h)}`;
const DIRECTORS = ['d1', 'd2', 'd3'];
const BFD_PROFILE = `bfd
 profile fast
  receive-interval 100
  transmit-interval 100
  detect-multiplier 3
 exit
exit
`;

function routerBgp(): string {
  const n = DIRECTORS.map(
    (d) =>
      ` neighbor ${addr(d)} remote-as 65001\n neighbor ${addr(d)} timers connect 1\n${d === 'd3' ? ` neighbor ${addr(d)} bfd profile fast\n` : ''}`,
  ).join('');
  return `hostname r
router bgp 65000
 bgp router-id ${addr('r')}
 no bgp ebgp-requires-policy
 timers bgp 1 3
${n} address-family ipv4 unicast
  maximum-paths 8
 exit-address-family
exit
`;
}

function directorBgp(d: string): string {
  return `hostname ${d}
router bgp 65001
 bgp router-id ${addr(d)}
 no bgp ebgp-requires-policy
 timers bgp 1 3
 neighbor ${addr('r')} remote-as 65000
 neighbor ${addr('r')} timers connect 1
${d === 'd3' ? ` neighbor ${addr('r')} bfd profile fast\n` : ''} address-family ipv4 unicast
  redistribute table 100 route-map VIPS
 exit-address-family
exit
ip prefix-list VIPS seq 5 permit 203.0.113.0/24 le 32
route-map VIPS permit 10
 match ip address prefix-list VIPS
exit
`;
}

function vrrpdConfig(d: string): Record<string, unknown> {
  return {
    global: { announce: { table: 100, drain: '1s' } },
    ...(d !== 'd3'
      ? { vrrp_instances: [instance({ priority: d === 'd1' ? 150 : 100, virtual_ips: ['192.0.2.100/24'] })] }
      : {}),
    virtual_servers: [
      {
        address: VIP,
        port: 80,
        announce: { when: 'any-up' },
        check_defaults: { interval: '300ms', timeout: '250ms', retry: 0, rise: 1, fall: 1 },
        real_servers: ['s1', 's2'].map((s) => ({ address: addr(s), port: 80, check: { type: 'tcp' } })),
      },
    ],
  };
}

describe.skipIf(why)('announce: active-active directors over BGP through FRR', () => {
  let lab: Lab;
  let router: FrrRouter;
  const frr = new Map<string, FrrRouter>();
  const vrrpd = new Map<string, Vrrpd>();
  const times: [string, number][] = [];

  const hops = () => router.nexthops(PREFIX);
  const waitHops = async (want: string[], timeoutMs: number, what: string): Promise<number> => {
    const t0 = performance.now();
    const sorted = want.map(addr).sort();
    let seen: string[] = [];
    await until(
      async () => {
        seen = await hops();
        return JSON.stringify(seen) === JSON.stringify(sorted) ? seen : null;
      },
      timeoutMs,
      `${what}: next hops ${sorted.join(',')}`,
      20,
    ).catch(async (e: Error) => {
      const st = await Promise.all(
        [...vrrpd].map(
          async ([d, v]) =>
            `${d}: ${JSON.stringify((await v.status().catch(() => null))?.announce)} ${JSON.stringify((await v.status().catch(() => null))?.virtualServers?.[0]?.realServers)}`,
        ),
      );
      throw new Error(
        `${e.message}; router has [${seen.join(',')}]\n${await router.vtysh('show ip route')}\n${await router.vtysh('show bgp summary')}\n${st.join('\n')}`,
      );
    });
    return performance.now() - t0;
  };
  const startVrrpd = async (d: string) => {
    vrrpd.set(d, await lab.start(d, vrrpdConfig(d)));
  };
  const nft = (d: string, script: string) => lab.sh(d, `nft -f - <<'EOF'\n${script}\nEOF`);

  beforeAll(async () => {
    lab = await createLab(HOSTS);
    for (const s of ['s1', 's2'])
      lab.topo.spawn(s, [
        process.execPath,
        '-e',
        "require('net').createServer((c)=>{c.on('error',()=>{});c.end()}).listen(80)",
      ]);
    router = await startFrr(lab.topo, 'r', lab.dir, {
      zebra: 'hostname r\n',
      bgpd: routerBgp(),
      bfdd: BFD_PROFILE,
    });
    for (const d of DIRECTORS) {
      frr.set(
        d,
        await startFrr(lab.topo, d, lab.dir, {
          zebra: `hostname ${d}\nip import-table 100\n`,
          bgpd: directorBgp(d),
          ...(d === 'd3' ? { bfdd: BFD_PROFILE } : {}),
        }),
      );
    }
    await Promise.all(DIRECTORS.map(startVrrpd));
  }, 90_000);

  afterAll(async () => {
    console.log(
      `announce timings (ms):\n${times.map(([k, v]) => `  ${k.padEnd(58)} ${v.toFixed(0)}`).join('\n')}`,
    );
    await lab?.cleanup();
    for (const f of [router, ...frr.values()]) await f?.stop().catch(() => {});
  });

  it('all three directors are next hops of the VIP, and status/metrics say announced', async () => {
    times.push(['start → 3 next hops on the router', await waitHops(DIRECTORS, 60_000, 'initial')]);
    const st = await vrrpd.get('d1')!.status();
    expect(st.announce?.table).toBe(100);
    expect(st.announce?.addresses).toEqual([
      expect.objectContaining({ address: VIP, announced: true, error: null }),
    ]);
    // the route is in vrrpd's table with its protocol, through lo
    const r = JSON.parse(await lab.sh('d2', 'ip -j route show table 100')) as {
      dst: string;
      protocol: string;
    }[];
    expect(r.map((x) => x.dst)).toEqual([VIP]);
    // both modes side by side: the VRRP pair elected one master
    const states = await Promise.all(
      ['d1', 'd2'].map(async (d) => (await vrrpd.get(d)!.instance('VI')).state),
    );
    expect(states.sort()).toEqual(['backup', 'master']);
  });

  it('a graceful stop withdraws first, while vrrpd still drains', async () => {
    const d3 = vrrpd.get('d3')!;
    d3.signal('SIGTERM');
    const ms = await waitHops(['d1', 'd2'], 10_000, 'SIGTERM of d3');
    times.push(['SIGTERM of d3 → its route gone from the router', ms]);
    expect(d3.exitInfo).toBeNull(); // still draining (drain: 1s)
    await d3.exited;
    await startVrrpd('d3');
    await waitHops(DIRECTORS, 30_000, 'd3 back');
  });

  it('a pool failing on one director withdraws only that director', async () => {
    const t0 = performance.now();
    await nft(
      'd2',
      'table inet vtpool {\n chain out {\n  type filter hook output priority 0;\n  tcp dport 80 drop\n }\n}',
    );
    await waitHops(['d1', 'd3'], 15_000, 'pool failure on d2');
    times.push(['pool unreachable from d2 → its route gone (checks 300 ms)', performance.now() - t0]);
    const st = await vrrpd.get('d2')!.status();
    expect(st.announce?.addresses[0]).toMatchObject({ announced: false });
    expect(st.announce?.addresses[0]?.reason).toMatch(/no real server up/);
    await lab.sh('d2', 'nft delete table inet vtpool');
    const back = await waitHops(DIRECTORS, 15_000, 'pool back on d2');
    times.push(['pool reachable again → d2 back', back]);
  });

  it('kill -9 of a director vrrpd withdraws its route (the guardian)', async () => {
    const d1 = vrrpd.get('d1')!;
    d1.signal('SIGKILL');
    await d1.exited;
    const ms = await waitHops(['d2', 'd3'], 10_000, 'kill -9 of d1');
    times.push(['kill -9 of d1 vrrpd → its route gone', ms]);
    expect(ms).toBeLessThan(5000);
    const left = JSON.parse(await lab.sh('d1', 'ip -j route show table 100')) as unknown[];
    expect(left).toEqual([]);
    await startVrrpd('d1');
    await waitHops(DIRECTORS, 30_000, 'd1 back');
  });

  it('a silent director: with BFD gone within a second, without BFD at the hold time', async () => {
    const cut =
      'table inet vtcut {\n chain i {\n  type filter hook input priority 0; policy drop;\n }\n chain o {\n  type filter hook output priority 0; policy drop;\n }\n}';
    const t0 = performance.now();
    await Promise.all([nft('d2', cut), nft('d3', cut)]);
    let d3Gone = 0;
    let d2Gone = 0;
    await until(
      async () => {
        const h = await hops();
        const t = performance.now() - t0;
        if (!d3Gone && !h.includes(addr('d3'))) d3Gone = t;
        if (!d2Gone && !h.includes(addr('d2'))) d2Gone = t;
        return d2Gone && d3Gone;
      },
      15_000,
      'd2 and d3 to leave the router',
      20,
    );
    times.push(['d3 silent, BFD 100 ms x 3 → route gone', d3Gone]);
    times.push(['d2 silent, no BFD (hold time 3 s) → route gone', d2Gone]);
    expect(d3Gone).toBeLessThan(2000);
    expect(d2Gone).toBeGreaterThan(d3Gone);
    expect(d2Gone).toBeLessThan(6000);
    expect(await hops()).toEqual([addr('d1')]);
    await Promise.all(['d2', 'd3'].map((d) => lab.sh(d, 'nft delete table inet vtcut')));
    await waitHops(DIRECTORS, 30_000, 'd2 and d3 back');
    await sleep(0);
  });
});
