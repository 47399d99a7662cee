// keepalived VRRP features vrrpd carries natively (issue #18), with real daemons in
// namespaces: a reverse-weighted tracked interface moves mastership the right way;
// virtual_ips_excluded are on the master, absent from the adverts on the wire, and removed
// on backup; VIP label/brd/scope read back with `ip -j addr`; garp.refresh_repeat GARPs per
// refresh on the wire; mcast_src as the adverts' source; dont_track_primary keeps a master
// whose interface went down out of FAULT; notify hooks and vrrp_scripts as nobody/nogroup.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { createLab, instance, type Lab, sleep, until, type Vrrpd } from './lib/vrrpd.js';
import { adverts, announcements } from './lib/wire.js';

const why = missing({ root: true, commands: ['ip', 'tcpdump'] });
const VIP = '192.0.2.50';

describe.skipIf(why)('keepalived VRRP features carried natively', () => {
  let lab: Lab;
  const running: Vrrpd[] = [];
  const start = async (host: string, cfg: Record<string, unknown>) => {
    const d = await lab.start(host, cfg);
    running.push(d);
    return d;
  };
  const stopAll = async () => {
    await Promise.all(running.splice(0).map((d) => d.stop('SIGTERM')));
  };
  const addrs = async (host: string) =>
    JSON.parse(await lab.sh(host, 'ip -j addr show')) as {
      ifname: string;
      addr_info: { local: string; prefixlen: number; broadcast?: string; scope: string; label?: string }[];
    }[];
  const has = async (host: string, a: string) =>
    (await addrs(host)).some((l) => l.addr_info.some((x) => x.local === a));

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2']);
    // a tracked interface on r1: a veth pair inside its namespace
    await lab.sh(
      'r1',
      'ip link add eth1 type veth peer name eth1p && ip link set eth1p up && ip link set eth1 up',
    );
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('track_interfaces weight -60 reverse: the interface down raises r1 above r2, up gives mastership back', async () => {
    try {
      const r2 = await start('r2', { vrrp_instances: [instance({ priority: 150 })] });
      await r2.waitState('VI', 'master', 5000);
      const r1 = await start('r1', {
        vrrp_instances: [
          instance({ priority: 120, track_interfaces: [{ interface: 'eth1', weight: -60, reverse: true }] }),
        ],
      });
      // eth1 up: reverse with a negative weight does nothing while up → 120 < 150
      await r1.waitState('VI', 'backup', 5000);
      expect((await r1.instance()).effectivePriority).toBe(120);
      await lab.sh('r1', 'ip link set eth1 down');
      // down: -60 × -1 = +60 → 180 > 150: r1 preempts
      await r1.waitState('VI', 'master', 5000);
      expect((await r1.instance()).effectivePriority).toBe(180);
      await r2.waitState('VI', 'backup', 3000);
      await lab.sh('r1', 'ip link set eth1 up');
      await r2.waitState('VI', 'master', 5000);
      await r1.waitState('VI', 'backup', 3000);
    } finally {
      await stopAll();
    }
  });

  it('virtual_ips_excluded: on the master, not in the adverts, removed on backup', async () => {
    try {
      const excluded = ['192.0.2.77/24', '2001:db8::77/64'];
      const r1 = await start('r1', {
        vrrp_instances: [instance({ priority: 100, virtual_ips_excluded: excluded })],
      });
      await r1.waitState('VI', 'master', 5000);
      await until(
        async () => (await has('r1', '192.0.2.77')) && has('r1', '2001:db8::77'),
        3000,
        'excluded on r1',
      );
      expect(await has('r1', VIP)).toBe(true);
      const cap = await lab.capture('r2', 'ip proto 112');
      await sleep(600);
      const seen = adverts(await cap.stop()).filter((a) => a.src === lab.topo.host('r1').ipv4);
      expect(seen.length).toBeGreaterThan(2);
      for (const a of seen) expect(a.advert.addresses).toEqual([VIP]);
      expect(seen.every((a) => a.advert.version === 3 && a.family === 4)).toBe(true);
      // a higher-priority router takes over: r1 is backup and lets the excluded go
      const r2 = await start('r2', {
        vrrp_instances: [instance({ priority: 200, virtual_ips_excluded: excluded })],
      });
      await r2.waitState('VI', 'master', 5000);
      await r1.waitState('VI', 'backup', 3000);
      await until(
        async () => !(await has('r1', '192.0.2.77')) && !(await has('r1', '2001:db8::77')),
        3000,
        'excluded gone from r1',
      );
      expect(await has('r2', '192.0.2.77')).toBe(true);
    } finally {
      await stopAll();
    }
  });

  it('VIP label, brd and scope read back from the kernel', async () => {
    try {
      const r1 = await start('r1', {
        vrrp_instances: [
          instance({
            priority: 100,
            // a scope other than global in another subnet: Linux wants a secondary address
            // to have the scope of the primary of its subnet
            virtual_ips: [
              VIP,
              '198.51.100.50/24 label eth0:5 brd + scope link',
              { address: '192.0.2.51/24', brd: '-' },
            ],
          }),
        ],
      });
      await r1.waitState('VI', 'master', 5000);
      await until(
        async () => (await has('r1', '192.0.2.51')) && has('r1', '198.51.100.50'),
        3000,
        'VIPs on r1',
      );
      const eth0 = (await addrs('r1')).find((l) => l.ifname === 'eth0')!;
      const a = eth0.addr_info.find((x) => x.local === '198.51.100.50')!;
      expect(a).toMatchObject({ prefixlen: 24, broadcast: '198.51.100.255', scope: 'link', label: 'eth0:5' });
      const b = eth0.addr_info.find((x) => x.local === '192.0.2.51')!;
      expect(b).toMatchObject({ broadcast: '192.0.2.0', scope: 'global' });
    } finally {
      await stopAll();
    }
  });

  it('garp.refresh_repeat: 3 gratuitous ARPs at each refresh', async () => {
    try {
      const cap = await lab.capture('r2', 'arp');
      const r1 = await start('r1', {
        vrrp_instances: [
          instance({
            priority: 100,
            garp: { repeat: 1, interval: '50ms', delay: '0s', refresh: '1s', refresh_repeat: 3 },
          }),
        ],
      });
      await r1.waitState('VI', 'master', 5000);
      await sleep(2600);
      const garps = announcements(await cap.stop()).filter((g) => g.address === VIP);
      // bursts: the transition's single GARP, then 3 per refresh (50 ms apart), 1 s apart
      const bursts: number[][] = [];
      for (const g of garps) {
        const last = bursts.at(-1);
        if (last && g.t - last.at(-1)! < 0.5) last.push(g.t);
        else bursts.push([g.t]);
      }
      expect(bursts.length).toBeGreaterThanOrEqual(3);
      expect(bursts[0]).toHaveLength(1);
      for (const b of bursts.slice(1, -1)) expect(b).toHaveLength(3);
    } finally {
      await stopAll();
    }
  });

  it('mcast_src is the source of the adverts on the wire', async () => {
    try {
      await lab.sh('r1', 'ip addr add 192.0.2.99/24 dev eth0');
      const cap = await lab.capture('r2', 'ip proto 112');
      const r1 = await start('r1', {
        vrrp_instances: [instance({ priority: 100, mcast_src: '192.0.2.99' })],
      });
      await r1.waitState('VI', 'master', 5000);
      await sleep(500);
      const seen = adverts(await cap.stop());
      expect(seen.length).toBeGreaterThan(2);
      expect(new Set(seen.map((a) => `${a.src}>${a.dst}`))).toEqual(new Set(['192.0.2.99>224.0.0.18']));
      expect((await r1.instance()).primaryAddress).toBe('192.0.2.99');
    } finally {
      await stopAll();
      await lab.sh('r1', 'ip addr del 192.0.2.99/24 dev eth0');
    }
  });

  it('notify hooks and a vrrp_script run as nobody/nogroup', async () => {
    try {
      const r1 = await start('r1', {
        vrrp_scripts: {
          // weight 0: the instance is in FAULT unless the script runs as uid 65534, gid 65534
          as_nobody: {
            command: ['/bin/sh', '-c', 'test "$(id -u):$(id -g)" = 65534:65534'],
            interval: '200ms',
            user: 'nobody',
            group: 'nogroup',
          },
        },
        vrrp_instances: [
          instance({
            priority: 100,
            track_scripts: ['as_nobody'],
            notify: { master: ['/usr/bin/id'], user: 'nobody', group: 'nogroup' },
          }),
        ],
      });
      await r1.waitState('VI', 'master', 5000);
      const line = await until(
        async () => r1.logged((l) => l.event === 'notify' && l.hook === 'master')[0],
        5000,
        'the master notify hook',
      );
      expect(String(line.output)).toMatch(/^uid=65534\(nobody\) gid=65534\(nogroup\)/);
    } finally {
      await stopAll();
    }
  });

  it('dont_track_primary: the interface down leaves the master out of FAULT', async () => {
    try {
      const r1 = await start('r1', {
        vrrp_instances: [instance({ priority: 100, dont_track_primary: true })],
      });
      await r1.waitState('VI', 'master', 5000);
      await lab.topo.linkDown('r1');
      await sleep(800);
      const i = await r1.instance();
      expect(i.state).toBe('master');
    } finally {
      await lab.topo.linkUp('r1');
      await stopAll();
    }
  });
});
