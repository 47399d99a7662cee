// Failover between two real vrrpd processes on a bridge, seen from a client namespace:
// initial election, SIGKILL of the master (backup takes over within Master_Down_Interval,
// GARP moves the client's ARP entry), preemption when the old master returns, and a
// VRRPv2@1s pair where SIGTERM sends priority 0 and the backup takes over in Skew_Time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { cli, createLab, instance, type Lab, sleep, until, type Vrrpd } from './lib/vrrpd.js';
import { adverts, announcements, describeAdverts } from './lib/wire.js';

const why = missing({ root: true, commands: ['ip', 'tcpdump'] });
const VIP = '192.0.2.50';

/** RFC 5798 §6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256. */
const skewMs = (priority: number, advertMs: number) => ((256 - priority) * advertMs) / 256;
/** RFC 5798 §6.1: Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time. */
const masterDownMs = (priority: number, advertMs: number) => 3 * advertMs + skewMs(priority, advertMs);

async function neighMac(lab: Lab, host: string, ip: string): Promise<string | null> {
  const out = await lab.sh(host, `ip -j neigh show ${ip} dev eth0`);
  const j = JSON.parse(out || '[]') as { lladdr?: string }[];
  return j[0]?.lladdr ?? null;
}

describe.skipIf(why)('VRRPv3 IPv4 failover, two routers and a client', () => {
  let lab: Lab;
  let r1: Vrrpd;
  let r2: Vrrpd;
  let mac1 = '';
  let mac2 = '';
  const cfg = (priority: number) => ({ vrrp_instances: [instance({ priority })] });

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2', 'c']);
    mac1 = await lab.mac('r1');
    mac2 = await lab.mac('r2');
    [r1, r2] = await Promise.all([lab.start('r1', cfg(150)), lab.start('r2', cfg(100))]);
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('elects the higher priority; the VIP is on the master only; status --json shows it', async () => {
    const m = await r1.waitState('VI', 'master', 5000);
    const b = await r2.waitBackupOf('VI', lab.topo.host('r1').ipv4, 5000);
    expect(m.effectivePriority).toBe(150);
    expect(b.masterPriority).toBe(150);
    await until(async () => (await lab.addresses('r1')).includes(VIP), 3000, 'VIP on r1');
    expect(await lab.addresses('r2')).not.toContain(VIP);
    // the client reaches the VIP through r1's MAC
    await lab.sh('c', `ping -c1 -W2 ${VIP}`);
    expect(await neighMac(lab, 'c', VIP)).toBe(mac1);
    // the CLI prints the same document
    const st = await cli(lab, 'r2', ['status', '--json', '-s', r2.socket]);
    expect(st.code, st.stderr).toBe(0);
    const doc = JSON.parse(st.stdout) as { version: number; instances: { name: string; state: string }[] };
    expect(doc.version).toBe(1);
    expect(doc.instances).toMatchObject([{ name: 'VI', state: 'backup' }]);
  });

  it('SIGKILL of the master: the backup holds the VIP within Master_Down_Interval + 1 s, GARP moves the client', async () => {
    const cap = await lab.capture('c', 'vrrp or arp');
    await sleep(300); // some adverts from r1 before the kill
    const t0 = Date.now();
    r1.signal('SIGKILL');
    await r2.waitState('VI', 'master', 5000);
    const statusMs = Date.now() - t0;
    await until(async () => (await lab.addresses('r2')).includes(VIP), 3000, 'VIP on r2');
    await until(
      async () => (await neighMac(lab, 'c', VIP)) === mac2,
      3000,
      "client's ARP entry to move to r2",
    );
    await sleep(300);
    const pcap = await cap.stop();
    const ads = adverts(pcap);
    const lastR1 = ads.filter((a) => a.src === lab.topo.host('r1').ipv4).at(-1);
    const firstR2 = ads.find((a) => a.src === lab.topo.host('r2').ipv4);
    expect(lastR1, describeAdverts(ads)).toBeDefined();
    expect(firstR2, describeAdverts(ads)).toBeDefined();
    const gapMs = (firstR2!.t - lastR1!.t) * 1000;
    const mdi = masterDownMs(100, 100);
    // RFC 5798 §6.4.2: the backup waits Master_Down_Interval of silence, not much less
    expect(gapMs).toBeGreaterThan(mdi - 100 - 30);
    expect(gapMs).toBeLessThan(mdi + 1000);
    expect(statusMs).toBeLessThan(mdi + 3000);
    const garps = announcements(pcap).filter((g) => g.kind === 'garp' && g.address === VIP);
    expect(garps.length).toBeGreaterThan(0);
    expect(garps.every((g) => g.mac === mac2 && g.srcMac === mac2)).toBe(true);
    expect(garps[0]!.t).toBeGreaterThanOrEqual(firstR2!.t - 0.05);
    console.log(
      `SIGKILL takeover: wire gap ${gapMs.toFixed(0)} ms (MDI ${mdi.toFixed(0)} ms), status ${statusMs} ms`,
    );
    await lab.sh('c', `ping -c1 -W2 ${VIP}`);
  });

  it('the old master returns and preempts (preempt: true): VIP back on r1 only', async () => {
    // r1 was SIGKILLed: its VIP is still configured; the new process must cope with it
    const t0 = Date.now();
    r1 = await lab.start('r1', cfg(150));
    await r1.waitState('VI', 'master', 5000);
    await r2.waitState('VI', 'backup', 3000);
    console.log(`preemption after restart: ${Date.now() - t0} ms`);
    const b = await r2.instance();
    expect(b.lastTransitionReason).toMatch(/higher-priority|advert/);
    await until(async () => !(await lab.addresses('r2')).includes(VIP), 3000, 'VIP gone from r2');
    expect(await lab.addresses('r1')).toContain(VIP);
    await until(async () => (await neighMac(lab, 'c', VIP)) === mac1, 3000, "client's ARP entry back on r1");
  });
});

describe.skipIf(why)('VRRPv2@1s: SIGTERM sends priority 0, backup takes over in about Skew_Time', () => {
  let lab: Lab;
  let r1: Vrrpd;
  let r2: Vrrpd;
  const cfg = (priority: number) => ({
    vrrp_instances: [instance({ priority, version: 2, advert_interval: '1s', auth_pass: 'pw51' })],
  });

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2', 'c']);
    [r1, r2] = await Promise.all([lab.start('r1', cfg(150)), lab.start('r2', cfg(100))]);
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('SIGTERM: priority-0 advert on the wire, VIP removed, exit 0, r2 master within Skew_Time + 1 s', async () => {
    await r1.waitState('VI', 'master', 8000);
    await r2.waitState('VI', 'backup', 3000);
    const cap = await lab.capture('c', 'vrrp');
    await sleep(1200); // at least one regular advert from r1
    const exit = await r1.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await lab.addresses('r1')).not.toContain(VIP);
    await r2.waitState('VI', 'master', 5000);
    await sleep(200);
    const ads = adverts(await cap.stop());
    const r1ip = lab.topo.host('r1').ipv4;
    const regular = ads.find((a) => a.src === r1ip && a.advert.priority === 150);
    const zero = ads.find((a) => a.src === r1ip && a.advert.priority === 0);
    const firstR2 = ads.find((a) => a.src === lab.topo.host('r2').ipv4);
    expect(regular, describeAdverts(ads)).toMatchObject({ ttl: 255, advert: { version: 2, authType: 1 } });
    expect(zero, describeAdverts(ads)).toBeDefined();
    expect(firstR2, describeAdverts(ads)).toBeDefined();
    const gapMs = (firstR2!.t - zero!.t) * 1000;
    // RFC 3768 §6.4.2: priority 0 → Master_Down_Timer = Skew_Time (0.61 s for priority 100),
    // far below Master_Down_Interval (3.61 s)
    expect(gapMs).toBeLessThan(skewMs(100, 1000) + 1000);
    expect(gapMs).toBeLessThan(masterDownMs(100, 1000) - 1000);
    const b = await r2.instance();
    expect(b.counters.priorityZeroReceived).toBeGreaterThanOrEqual(1);
    expect(b.lastTransitionReason).toMatch(/priority-zero|master-down/);
    console.log(
      `SIGTERM takeover (v2@1s): prio-0 → r2 advert ${gapMs.toFixed(0)} ms (skew ${skewMs(100, 1000)} ms)`,
    );
    await until(async () => (await lab.addresses('r2')).includes(VIP), 3000, 'VIP on r2');
  });
});
