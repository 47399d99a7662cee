// use_vmac: the master's VIPs live on a macvlan carrying the virtual router MAC
// (RFC 5798 §7.3: 00:00:5e:00:01:VRID for IPv4, 00:00:5e:00:02:VRID for IPv6), its
// gratuitous ARP / NA come from that MAC, so after a failover the client's neighbour
// entry keeps the same MAC. SIGTERM removes the macvlans. Adverts come from the virtual MAC.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeArpFrame } from '../../src/net/arp.js';
import { missing } from '../helpers/env.js';
import { createLab, instance, type Lab, sleep, until, type Vrrpd } from './lib/vrrpd.js';
import { adverts, announcements, describeAdverts } from './lib/wire.js';

const why = missing({ root: true, commands: ['ip', 'tcpdump'] });
const VIP = '192.0.2.50';
const VIP6 = '2001:db8::50';
const VMAC4 = '00:00:5e:00:01:33'; // VRID 51
const VMAC6 = '00:00:5e:00:02:3d'; // VRID 61

async function links(lab: Lab, host: string): Promise<{ ifname: string; address: string; kind?: string }[]> {
  const out = await lab.sh(host, 'ip -d -j link show');
  return (JSON.parse(out) as { ifname: string; address: string; linkinfo?: { info_kind?: string } }[]).map(
    (l) => ({
      ifname: l.ifname,
      address: l.address,
      ...(l.linkinfo?.info_kind ? { kind: l.linkinfo.info_kind } : {}),
    }),
  );
}

describe.skipIf(why)('use_vmac: virtual MAC on a macvlan, IPv4 and IPv6', () => {
  let lab: Lab;
  let r1: Vrrpd;
  let r2: Vrrpd;
  // listening before the daemons start: the first master's GARP/NA burst comes at once
  let cap: Awaited<ReturnType<Lab['capture']>>;
  const cfg = (priority: number) => ({
    vrrp_instances: [
      instance({ name: 'VI4', vrid: 51, priority, use_vmac: true }),
      instance({ name: 'VI6', vrid: 61, priority, use_vmac: true, virtual_ips: [`${VIP6}/64`] }),
    ],
  });

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2', 'c']);
    cap = await lab.capture('c', 'arp or icmp6');
    [r1, r2] = await Promise.all([lab.start('r1', cfg(150)), lab.start('r2', cfg(100))]);
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('macvlans vrrp.51 / vrrp6.61 carry the virtual MACs and the VIPs; GARP/NA come from them', async () => {
    await r1.waitState('VI4', 'master', 5000);
    await r1.waitState('VI6', 'master', 5000);
    await r2.waitState('VI4', 'backup', 3000);
    await r2.waitState('VI6', 'backup', 3000);
    const l = await links(lab, 'r1');
    expect(l.find((x) => x.ifname === 'vrrp.51')).toMatchObject({ address: VMAC4, kind: 'macvlan' });
    expect(l.find((x) => x.ifname === 'vrrp6.61')).toMatchObject({ address: VMAC6, kind: 'macvlan' });
    await until(async () => (await lab.addresses('r1', 'vrrp.51')).includes(VIP), 3000, 'VIP on vrrp.51');
    await until(async () => (await lab.addresses('r1', 'vrrp6.61')).includes(VIP6), 3000, 'VIP6 on vrrp6.61');
    expect(await lab.addresses('r1')).not.toContain(VIP);
    await sleep(200);
    const ann = announcements(await cap.stop());
    const garp = ann.filter((a) => a.kind === 'garp' && a.address === VIP);
    const na = ann.filter((a) => a.kind === 'na' && a.address === VIP6);
    expect(garp.length, JSON.stringify(ann)).toBeGreaterThan(0);
    expect(garp.every((a) => a.mac === VMAC4 && a.srcMac === VMAC4)).toBe(true);
    expect(na.length, JSON.stringify(ann)).toBeGreaterThan(0);
    expect(na.every((a) => a.mac === VMAC6 && a.srcMac === VMAC6)).toBe(true);
    // the client resolves the VIP to the virtual MAC, and only to it: no other interface
    // of r1 (eth0, the IPv6 instance's macvlan) answers ARP for the VIP
    await lab.sh('c', 'ip neigh flush dev eth0');
    const arpCap = await lab.capture('c', 'arp');
    await lab.sh('c', `ping -c1 -W2 ${VIP}`);
    await sleep(200);
    const frames = (await arpCap.stop()).frames.map((f) => decodeArpFrame(f.data));
    const replies = frames.flatMap((f) =>
      f.ok && f.value.op === 2 && f.value.senderIp === VIP ? [f.value] : [],
    );
    expect(replies.length).toBeGreaterThan(0);
    expect(new Set(replies.map((r) => r.senderMac))).toEqual(new Set([VMAC4]));
    const n = JSON.parse(await lab.sh('c', `ip -j neigh show ${VIP} dev eth0`)) as { lladdr?: string }[];
    expect(n[0]?.lladdr).toBe(VMAC4);
  });

  // The adverts of a use_vmac master leave through the macvlan (RFC 5798 §5.1.1.1 / §5.1.2.1).
  it('adverts of a use_vmac master come from the virtual MAC (RFC 5798 §5.1.1.1)', async () => {
    const cap = await lab.capture('c', 'vrrp or ip6 proto 112');
    await sleep(500);
    const ads = adverts(await cap.stop());
    const v4 = ads.filter((a) => a.advert.vrid === 51);
    const v6 = ads.filter((a) => a.advert.vrid === 61);
    expect(v4.length, describeAdverts(ads)).toBeGreaterThan(2);
    expect(v6.length, describeAdverts(ads)).toBeGreaterThan(2);
    expect(new Set(v4.map((a) => a.srcMac)), describeAdverts(v4)).toEqual(new Set([VMAC4]));
    expect(new Set(v6.map((a) => a.srcMac)), describeAdverts(v6)).toEqual(new Set([VMAC6]));
  });

  it('SIGKILL of r1: r2 takes over with the same virtual MAC; SIGTERM of r2 removes its macvlans', async () => {
    r1.signal('SIGKILL');
    await r2.waitState('VI4', 'master', 3000);
    await until(async () => (await lab.addresses('r2', 'vrrp.51')).includes(VIP), 3000, 'VIP on r2 vrrp.51');
    expect((await links(lab, 'r2')).find((x) => x.ifname === 'vrrp.51')?.address).toBe(VMAC4);
    // r1's dead process left its macvlan up with the same MAC: take it away so the bridge
    // learns the virtual MAC on r2's port from r2's adverts
    await lab.sh('r1', 'ip link del vrrp.51; ip link del vrrp6.61; true');
    await lab.sh('c', `ping -c1 -W2 ${VIP}`);
    expect(await r2.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    const left = (await links(lab, 'r2')).map((x) => x.ifname);
    expect(left).not.toContain('vrrp.51');
    expect(left).not.toContain('vrrp6.61');
  });
});
