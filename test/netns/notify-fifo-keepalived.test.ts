// vrrpd's notify FIFO lines next to keepalived 2.2.7's own, for the same life of one instance
// in a sync group (start, MASTER, SIGTERM): keepalived in one namespace, vrrpd in another,
// each alone on its VRID, a `cat` reading each FIFO. Tooling written for keepalived's FIFO
// reads vrrpd's unchanged.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { createLab, instance, type Lab, until } from './lib/vrrpd.js';

const why = missing({ root: true, commands: ['ip', 'keepalived', 'cat'] });

describe.skipIf(why)('notify FIFO lines: vrrpd and keepalived', () => {
  let lab: Lab;
  let ka: ChildProcess;
  const readers: { child: ChildProcess; text: string }[] = [];
  const read = (path: string) => {
    const child = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'ignore'] });
    const r = { child, text: '' };
    child.stdout?.on('data', (d: Buffer) => {
      r.text += d.toString();
    });
    readers.push(r);
    return r;
  };
  const lines = (r: { text: string }) => r.text.split('\n').filter(Boolean);

  beforeAll(async () => {
    lab = await createLab(['ka', 'vd']);
  }, 60_000);
  afterAll(async () => {
    for (const r of readers)
      if (r.child.pid !== undefined && r.child.exitCode === null) process.kill(r.child.pid, 'SIGTERM');
    if (ka && ka.exitCode === null) await lab?.topo.kill(ka, 5000);
    await lab?.cleanup();
  });

  it('the same lines for start, MASTER and stop', async () => {
    const kaFifo = join(lab.dir, 'ka.fifo');
    const vdFifo = join(lab.dir, 'vd.fifo');
    const conf = join(lab.dir, 'keepalived.conf');
    writeFileSync(
      conf,
      `global_defs {
  router_id ka
  notify_fifo ${kaFifo}
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 61
  version 3
  priority 150
  advert_int 0.1
  virtual_ipaddress {
    192.0.2.61/24
  }
}
vrrp_sync_group G1 {
  group {
    VI_1
  }
}
`,
    );
    ka = lab.topo.spawn('ka', [
      'keepalived',
      '--vrrp',
      '--dont-fork',
      '--log-console',
      '--dont-respawn',
      '-f',
      conf,
      '-p',
      join(lab.dir, 'ka.pid'),
      '-r',
      join(lab.dir, 'ka-vrrp.pid'),
    ]);
    const vd = await lab.start('vd', {
      global: { notify_fifo: vdFifo },
      vrrp_instances: [instance({ name: 'VI_1', vrid: 62, priority: 150, virtual_ips: ['192.0.2.62/24'] })],
      vrrp_sync_groups: [{ name: 'G1', instances: ['VI_1'] }],
    });
    // keepalived makes its FIFO when it starts: wait for it, then read both
    await until(
      async () => (await lab.sh('ka', `test -p ${kaFifo} && echo y`)).trim() === 'y',
      10_000,
      'keepalived FIFO',
    );
    const kaR = read(kaFifo);
    const vdR = read(vdFifo);
    await until(async () => lines(kaR).includes('GROUP "G1" MASTER 0'), 10_000, 'keepalived MASTER lines');
    await until(async () => lines(vdR).includes('GROUP "G1" MASTER 0'), 10_000, 'vrrpd MASTER lines');
    ka.kill('SIGTERM');
    vd.child.kill('SIGTERM');
    await until(async () => lines(vdR).includes('GROUP "G1" STOP 0'), 10_000, 'vrrpd stop lines');
    await until(async () => ka.exitCode !== null || ka.signalCode !== null, 10_000, 'keepalived exit');
    await until(async () => kaR.child.exitCode !== null, 5000, 'keepalived FIFO closed').catch(() => {});
    console.log(`keepalived: ${JSON.stringify(lines(kaR))}\nvrrpd:      ${JSON.stringify(lines(vdR))}`);
    expect(lines(vdR)).toEqual(lines(kaR));
  }, 60_000);
});
