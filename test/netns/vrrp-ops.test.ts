// Operational behaviour of real daemons: unicast peers instead of multicast, notify hooks
// (scripts writing a marker file), a VIP deleted by hand on the master comes back,
// SIGTERM removes the VIPs and exits 0 (the peer takes over, notify 'stop' runs), and a
// bad configuration exits 1 with FILE:LINE:COL on stderr.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { createLab, instance, type Lab, sleep, until, type Vrrpd } from './lib/vrrpd.js';
import { adverts, describeAdverts } from './lib/wire.js';

const why = missing({ root: true, commands: ['ip', 'tcpdump'] });
const VIP = '192.0.2.50';

describe.skipIf(why)('unicast peers, notify hooks, VIP restore, SIGTERM, bad config', () => {
  let lab: Lab;
  let r1: Vrrpd;
  let r2: Vrrpd;
  let ip1 = '';
  let ip2 = '';
  const marker = (host: string) => join(lab.dir, `notify-${host}.log`);
  const markers = (host: string) => {
    try {
      return readFileSync(marker(host), 'utf8').trim().split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2', 'c']);
    ip1 = lab.topo.host('r1').ipv4;
    ip2 = lab.topo.host('r2').ipv4;
    const hook = join(lab.dir, 'notify.sh');
    // argv: MARKER HOOK; the daemon also sets VRRPD_INSTANCE and VRRPD_STATE
    writeFileSync(hook, '#!/bin/sh\necho "$2 $VRRPD_INSTANCE $VRRPD_STATE" >> "$1"\n');
    chmodSync(hook, 0o755);
    const cfg = (host: string, priority: number, self: string, peer: string) => ({
      vrrp_instances: [
        instance({
          priority,
          unicast_src: self,
          unicast_peers: [peer],
          notify: {
            master: [hook, marker(host), 'master'],
            backup: [hook, marker(host), 'backup'],
            fault: [hook, marker(host), 'fault'],
            stop: [hook, marker(host), 'stop'],
          },
        }),
      ],
    });
    [r1, r2] = await Promise.all([
      lab.start('r1', cfg('r1', 150, ip1, ip2)),
      lab.start('r2', cfg('r2', 100, ip2, ip1)),
    ]);
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('unicast: adverts go to the peer address (TTL 255), none to the multicast group', async () => {
    await r1.waitState('VI', 'master', 5000);
    await r2.waitState('VI', 'backup', 3000);
    const cap = await lab.capture('r2', 'vrrp');
    await sleep(500);
    const ads = adverts(await cap.stop());
    expect(ads.length, describeAdverts(ads)).toBeGreaterThanOrEqual(3);
    for (const a of ads) expect(a).toMatchObject({ src: ip1, dst: ip2, ttl: 255, advert: { priority: 150 } });
    expect((await r2.instance()).counters.advertsReceived).toBeGreaterThan(0);
  });

  it('notify hooks ran: master on r1, backup on r2 (marker files, env set)', async () => {
    await until(async () => markers('r1').includes('master VI master'), 3000, 'r1 master marker');
    await until(async () => markers('r2').includes('backup VI backup'), 3000, 'r2 backup marker');
    expect(markers('r1')).not.toContain('master VI backup');
    const done = r1.logged((l) => l.event === 'notify' && l.hook === 'master');
    expect(done[0]).toMatchObject({ instance: 'VI', code: 0 });
  });

  it('a VIP deleted by hand on the master is put back', async () => {
    await until(async () => (await lab.addresses('r1')).includes(VIP), 3000, 'VIP on r1');
    await lab.sh('r1', `ip addr del ${VIP}/24 dev eth0`);
    const t0 = Date.now();
    await until(async () => (await lab.addresses('r1')).includes(VIP), 3000, 'VIP restored on r1');
    console.log(`VIP restored after ${Date.now() - t0} ms`);
    expect(r1.logged((l) => l.event === 'vip-restored').length).toBeGreaterThanOrEqual(1);
    expect((await r1.instance()).state).toBe('master');
  });

  it('SIGTERM: exit 0, VIP removed, notify stop; the peer takes over and runs its master hook', async () => {
    const exit = await r1.stop('SIGTERM');
    expect(exit, r1.tail()).toEqual({ code: 0, signal: null });
    expect(await lab.addresses('r1')).not.toContain(VIP);
    expect(markers('r1').at(-1)).toBe('stop VI stop');
    await r2.waitState('VI', 'master', 3000);
    expect((await r2.instance()).counters.priorityZeroReceived).toBeGreaterThanOrEqual(1);
    await until(async () => (await lab.addresses('r2')).includes(VIP), 3000, 'VIP on r2');
    await until(async () => markers('r2').includes('master VI master'), 3000, 'r2 master marker');
  });

  it('a bad configuration: exit 1 and FILE:LINE:COL on stderr, nothing started', async () => {
    const file = join(lab.dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'global:',
        `  control_socket: ${join(lab.dir, 'bad.sock')}`,
        'vrrp_instances:',
        '  - name: VI',
        '    interface: eth0',
        '    vrid: 300',
        '    priority: 100',
        '    virtual_ips: [192.0.2.60/24]',
        '',
      ].join('\n'),
    );
    const d = lab.spawnRaw('c', file);
    const exit = await Promise.race([d.exited, sleep(15_000).then(() => null)]);
    expect(exit, d.tail()).toEqual({ code: 1, signal: null });
    expect(d.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6:\\d+: .*vrid`));
    expect(await lab.addresses('c')).not.toContain('192.0.2.60');
  });
});
