// IPv6 and several virtual routers on one interface: a VRRPv3 IPv6 instance (adverts from
// the link-local address to ff02::12, hop limit 255), two IPv4 VRIDs on the same eth0 with
// opposite masters, and an instance carrying both an IPv4 and an IPv6 VIP. SIGKILL of r1
// moves everything to r2, and the client's IPv6 neighbour entry follows the unsolicited NA.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { createLab, instance, type Lab, sleep, until, type Vrrpd } from './lib/vrrpd.js';
import { adverts, announcements, describeAdverts } from './lib/wire.js';

const why = missing({ root: true, commands: ['ip', 'tcpdump'] });
const VIP6 = '2001:db8::50';
const VIP_A = '192.0.2.50';
const VIP_B = '192.0.2.52';
const VIP_MIX4 = '192.0.2.53';
const VIP_MIX6 = '2001:db8::53';

async function neighMac(lab: Lab, host: string, ip: string): Promise<string | null> {
  const out = await lab.sh(host, `ip -j neigh show ${ip} dev eth0`);
  const j = JSON.parse(out || '[]') as { lladdr?: string }[];
  return j[0]?.lladdr ?? null;
}

describe.skipIf(why)('IPv6 VIPs and two VRIDs on one interface', () => {
  let lab: Lab;
  let r1: Vrrpd;
  let r2: Vrrpd;
  let mac1 = '';
  let mac2 = '';
  // r1 leads VI6, VI_A and VI_MIX; r2 leads VI_B (same interface, same transport, other VRID)
  const cfg = (high: boolean) => ({
    vrrp_instances: [
      instance({ name: 'VI6', vrid: 61, priority: high ? 150 : 100, virtual_ips: [`${VIP6}/64`] }),
      instance({ name: 'VI_A', vrid: 51, priority: high ? 150 : 100, virtual_ips: [`${VIP_A}/24`] }),
      instance({ name: 'VI_B', vrid: 52, priority: high ? 100 : 150, virtual_ips: [`${VIP_B}/24`] }),
      instance({
        name: 'VI_MIX',
        vrid: 53,
        priority: high ? 150 : 100,
        virtual_ips: [`${VIP_MIX4}/24`, `${VIP_MIX6}/64`],
      }),
    ],
  });

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2', 'c']);
    mac1 = await lab.mac('r1');
    mac2 = await lab.mac('r2');
    [r1, r2] = await Promise.all([lab.start('r1', cfg(true)), lab.start('r2', cfg(false))]);
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('each VRID elects its own master; IPv6 adverts come from the link-local address, hop limit 255', async () => {
    for (const n of ['VI6', 'VI_A', 'VI_MIX']) {
      await r1.waitState(n, 'master', 5000);
      await r2.waitState(n, 'backup', 3000);
    }
    await r2.waitState('VI_B', 'master', 5000);
    await r1.waitState('VI_B', 'backup', 3000);
    const s = await r1.status();
    expect(s.instances.find((i) => i.name === 'VI6')?.family).toBe(6);
    expect(s.instances.find((i) => i.name === 'VI_MIX')?.family).toBe(4);
    await until(async () => (await lab.addresses('r1')).includes(VIP6), 3000, 'IPv6 VIP on r1');
    const a1 = await lab.addresses('r1');
    expect(a1).toEqual(expect.arrayContaining([VIP_A, VIP_MIX4, VIP_MIX6]));
    expect(a1).not.toContain(VIP_B);
    await until(async () => (await lab.addresses('r2')).includes(VIP_B), 3000, 'VIP_B on r2');
    expect(await lab.addresses('r2')).not.toContain(VIP6);

    const cap = await lab.capture('c', 'vrrp or ip6 proto 112');
    await sleep(400);
    const ads = adverts(await cap.stop());
    const ll1 = await lab.topo.linkLocal('r1');
    const v6 = ads.filter((a) => a.family === 6);
    expect(v6.length, describeAdverts(ads)).toBeGreaterThanOrEqual(2);
    for (const a of v6) {
      expect(a).toMatchObject({
        src: ll1,
        dst: 'ff02::12',
        ttl: 255,
        srcMac: mac1,
        dstMac: '33:33:00:00:00:12',
      });
      expect(a.advert).toMatchObject({ version: 3, vrid: 61, priority: 150, addresses: [VIP6] });
    }
    // the mixed instance advertises over IPv4 and carries only its IPv4 VIP (RFC 5798 §5.2.9)
    const mix = ads.find((a) => a.advert.vrid === 53);
    expect(mix?.advert.addresses).toEqual([VIP_MIX4]);
    // both IPv4 VRIDs are on the wire, each from its own master
    expect(ads.find((a) => a.advert.vrid === 51)?.src).toBe(lab.topo.host('r1').ipv4);
    expect(ads.find((a) => a.advert.vrid === 52)?.src).toBe(lab.topo.host('r2').ipv4);
    // the client reaches the IPv6 VIP through r1
    await lab.sh('c', `ping -6 -c1 -W2 ${VIP6}`);
    expect(await neighMac(lab, 'c', VIP6)).toBe(mac1);
  });

  it('SIGKILL of r1: r2 masters every VRID; unsolicited NA moves the IPv6 neighbour entry', async () => {
    const cap = await lab.capture('c', 'icmp6 or arp');
    r1.signal('SIGKILL');
    for (const n of ['VI6', 'VI_A', 'VI_B', 'VI_MIX']) await r2.waitState(n, 'master', 3000);
    await until(
      async () => {
        const a = await lab.addresses('r2');
        return [VIP6, VIP_A, VIP_B, VIP_MIX4, VIP_MIX6].every((v) => a.includes(v));
      },
      3000,
      'every VIP on r2',
    );
    await until(
      async () => (await neighMac(lab, 'c', VIP6)) === mac2,
      3000,
      'IPv6 neighbour entry to move to r2',
    );
    await sleep(200);
    const ann = announcements(await cap.stop());
    const na = ann.filter((x) => x.kind === 'na' && x.address === VIP6);
    expect(na.length, JSON.stringify(ann)).toBeGreaterThan(0);
    expect(na.every((x) => x.mac === mac2)).toBe(true);
    expect(ann.some((x) => x.kind === 'na' && x.address === VIP_MIX6 && x.mac === mac2)).toBe(true);
    expect(ann.some((x) => x.kind === 'garp' && x.address === VIP_MIX4 && x.mac === mac2)).toBe(true);
    await lab.sh('c', `ping -6 -c1 -W2 ${VIP6}`);
  });
});
