// ha_suspend on a running daemon: the virtual address is added to and removed from the
// director's interface by hand (`ip addr`), and the virtual server's checks pause while it
// is absent (no new results, health kept, `checksSuspended` in the status, a
// checks-suspended log line) and resume when it is back. The main thread's rtnetlink
// address watch sees the changes. No IPVS is needed: checks run without it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot, VirtualServerStatus } from '../../src/control/snapshot.js';
import { missing } from '../helpers/env.js';
import { createLab, type Lab, sleep, until, type Vrrpd } from './lib/vrrpd.js';

const why = missing({ root: true, commands: ['ip'] });
const VIP = '203.0.113.50';

describe.skipIf(why)('ha_suspend: checks pause while the virtual address is absent', () => {
  let lab: Lab;
  let r1: Vrrpd;

  const vsOf = (s: Snapshot): VirtualServerStatus => s.virtualServers.find((v) => v.address === VIP)!;
  const okCount = async (): Promise<number> => vsOf(await r1.status()).realServers[0]!.checksOk;

  beforeAll(async () => {
    lab = await createLab(['r1']);
    r1 = await lab.start('r1', {
      virtual_servers: [
        {
          address: VIP,
          port: 80,
          ha_suspend: true,
          real_servers: [
            {
              address: '198.51.100.2',
              port: 80,
              check: { type: 'script', command: ['/bin/true'], interval: '100ms', timeout: '1s' },
            },
          ],
        },
        // the same without ha_suspend keeps checking throughout
        {
          address: VIP,
          port: 81,
          real_servers: [
            {
              address: '198.51.100.2',
              port: 81,
              check: { type: 'script', command: ['/bin/true'], interval: '100ms', timeout: '1s' },
            },
          ],
        },
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('starts suspended, resumes when the address is added, pauses again when it is removed', async () => {
    let s = await r1.status();
    expect(vsOf(s).checksSuspended).toBe(true);
    await sleep(600);
    expect(await okCount()).toBe(0);
    const other = (x: Snapshot) => x.virtualServers.find((v) => v.port === 81)!;
    expect(other(await r1.status()).checksSuspended).toBeUndefined();
    await until(async () => other(await r1.status()).realServers[0]!.checksOk > 0, 5_000, 'port 81 checked');
    expect(r1.logged((l) => l.event === 'checks-suspended')).toHaveLength(1);

    await lab.sh('r1', `ip addr add ${VIP}/32 dev eth0`);
    await until(async () => (await okCount()) >= 2, 5_000, 'checks resumed after the address appeared');
    s = await r1.status();
    expect(vsOf(s).checksSuspended).toBeUndefined();
    expect(vsOf(s).realServers[0]!.health).toBe('up');
    expect(r1.logged((l) => l.event === 'checks-resumed')).toHaveLength(1);

    await lab.sh('r1', `ip addr del ${VIP}/32 dev eth0`);
    await until(
      async () => vsOf(await r1.status()).checksSuspended === true,
      5_000,
      'checks suspended again',
    );
    const n = await okCount();
    await sleep(800);
    s = await r1.status();
    expect(vsOf(s).realServers[0]!.checksOk).toBe(n);
    expect(vsOf(s).realServers[0]!.health).toBe('up'); // its last health is kept
    expect(r1.logged((l) => l.event === 'checks-suspended')).toHaveLength(2);

    await lab.sh('r1', `ip addr add ${VIP}/32 dev eth0`);
    await until(async () => (await okCount()) > n, 5_000, 'checks resumed again');
  }, 60_000);
});

describe.skipIf(why)('ha_suspend: IPv6', () => {
  it('an IPv6 virtual address (written uncanonically) resumes its checks when added', async () => {
    const lab = await createLab(['r6']);
    try {
      const r6 = await lab.start('r6', {
        virtual_servers: [
          {
            address: '2001:db8:0:0::50',
            port: 80,
            ha_suspend: true,
            real_servers: [
              {
                address: '2001:db8::2',
                port: 80,
                check: { type: 'script', command: ['/bin/true'], interval: '100ms', timeout: '1s' },
              },
            ],
          },
        ],
      });
      const vs = async () => (await r6.status()).virtualServers[0]!;
      expect((await vs()).checksSuspended).toBe(true);
      await lab.sh('r6', 'ip -6 addr add 2001:db8::50/128 dev eth0 nodad');
      await until(async () => (await vs()).realServers[0]!.checksOk > 0, 5_000, 'IPv6 checks resumed');
      expect((await vs()).checksSuspended).toBeUndefined();
    } finally {
      await lab.cleanup();
    }
  }, 60_000);
});
