// RFC 5798 §6.4.3 Accept_Mode with a real daemon, nftables and a client: a master that
// is not the address owner answers ping and TCP on its VIP with accept on, and drops both
// with accept off (through its own table `inet vrrpd`, shown in `vrrpd status`); the
// table goes when the daemon stops, and a run killed with SIGKILL leaves no stale rule
// after the next start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { cli, createLab, instance, type Lab, until } from './lib/vrrpd.js';

const why = missing({ root: true, commands: ['ip', 'nft', 'ping', 'python3'] });
const VIP = '192.0.2.50';
const PORT = 8081;

describe.skipIf(why)('Accept_Mode: nftables drops for a non-owner master with accept off', () => {
  let lab: Lab;

  const table = async () =>
    (await lab.topo.exec('r1', ['nft', 'list', 'table', 'inet', 'vrrpd'], { allowFail: true })).code === 0;
  const ping = async () =>
    (await lab.topo.exec('c', ['ping', '-c', '1', '-W', '1', VIP], { allowFail: true })).code === 0;
  const tcp = async () =>
    (
      await lab.topo.exec(
        'c',
        [
          'python3',
          '-c',
          `import socket; socket.create_connection(('${VIP}', ${PORT}), timeout=1.5).close()`,
        ],
        { allowFail: true },
      )
    ).code === 0;

  beforeAll(async () => {
    lab = await createLab(['r1', 'c']);
    // a TCP service on r1, bound to every address (the VIP once it is there)
    lab.topo.spawn('r1', ['python3', '-m', 'http.server', String(PORT), '--bind', '0.0.0.0']);
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('accept on: ping and TCP to the VIP answer, no table', async () => {
    const r1 = await lab.start('r1', { vrrp_instances: [instance({ priority: 100, accept: true })] });
    await r1.waitState('VI', 'master', 5000);
    await until(() => ping(), 5000, 'ping to the VIP');
    await until(() => tcp(), 5000, 'TCP to the VIP');
    expect(await table()).toBe(false);
    expect((await r1.status()).acceptFilter?.drops).toEqual([]);
    await r1.stop();
  });

  it('accept off: ping and TCP dropped, the table lists the VIP, status shows it; gone on stop', async () => {
    const r1 = await lab.start('r1', { vrrp_instances: [instance({ priority: 100, accept: false })] });
    await r1.waitState('VI', 'master', 5000);
    await until(async () => (await lab.addresses('r1')).includes(VIP), 3000, 'VIP on r1');
    await until(() => table(), 5000, 'table inet vrrpd');
    const listed = (await lab.topo.exec('r1', ['nft', 'list', 'table', 'inet', 'vrrpd'])).stdout;
    expect(listed).toContain(`ip daddr ${VIP}`);
    expect(listed).toContain('drop');
    expect(await ping()).toBe(false);
    expect(await tcp()).toBe(false);
    // the drops were counted by the rule
    const counted = (await lab.topo.exec('r1', ['nft', 'list', 'table', 'inet', 'vrrpd'])).stdout;
    expect(counted).not.toMatch(/counter packets 0 /);
    const s = await r1.status();
    expect(s.acceptFilter).toEqual({
      table: 'inet vrrpd',
      drops: [{ instance: 'VI', address: VIP }],
      error: null,
    });
    const text = await cli(lab, 'r1', ['status', '--socket', r1.socket]);
    expect(text.stdout).toContain(`accept off: nft table inet vrrpd drops packets to ${VIP} (VI)`);
    await r1.stop();
    expect(await table()).toBe(false);
  });

  it('IPv6, accept off: echo to the VIP dropped, neighbour discovery for it still answered', async () => {
    const VIP6 = '2001:db8::50';
    const r1 = await lab.start('r1', {
      vrrp_instances: [instance({ vrid: 52, priority: 100, accept: false, virtual_ips: [`${VIP6}/64`] })],
    });
    await r1.waitState('VI', 'master', 5000);
    await until(async () => (await lab.addresses('r1')).includes(VIP6), 3000, 'VIP6 on r1');
    await until(() => table(), 5000, 'table inet vrrpd');
    const ping6 = await lab.topo.exec('c', ['ping', '-6', '-c', '2', '-W', '1', VIP6], { allowFail: true });
    expect(ping6.code).not.toBe(0);
    // dropped by our rule (its counter moved), not lost elsewhere
    const listed = (await lab.topo.exec('r1', ['nft', 'list', 'table', 'inet', 'vrrpd'])).stdout;
    expect(listed).toMatch(new RegExp(`ip6 daddr ${VIP6} counter packets [1-9]`));
    const neigh = await lab.sh('c', `ip -6 -j neigh show ${VIP6} dev eth0`);
    const entry = (JSON.parse(neigh) as { lladdr?: string; state?: string[] }[])[0];
    expect(entry?.lladdr).toBe(await lab.mac('r1'));
    await r1.stop();
    expect(await table()).toBe(false);
  });

  it('killed with SIGKILL: the table stays; the next start removes it (accept on)', async () => {
    const r1 = await lab.start('r1', { vrrp_instances: [instance({ priority: 100, accept: false })] });
    await r1.waitState('VI', 'master', 5000);
    await until(() => table(), 5000, 'table inet vrrpd');
    await r1.stop('SIGKILL');
    expect(await table()).toBe(true);
    const again = await lab.start('r1', { vrrp_instances: [instance({ priority: 100, accept: true })] });
    await until(async () => !(await table()), 5000, 'the stale table to be gone');
    await again.waitState('VI', 'master', 5000);
    await until(() => ping(), 5000, 'ping to the VIP');
    expect(await table()).toBe(false);
    await again.stop();
  });
});
