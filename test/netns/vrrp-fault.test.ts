// Fault handling with real daemons: the master's link going down (admin down, and carrier
// loss on the bridge port) → FAULT, VIPs removed, the backup takes over; a tracked
// interface with a weight lowers the priority so the peer preempts; a vrrp_script with
// weight 0 that fails puts the instance in FAULT; a sync group moves all its members
// when one of them faults.
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { createLab, instance, type Lab, until, type Vrrpd } from './lib/vrrpd.js';

const why = missing({ root: true, commands: ['ip'] });
const VIP = '192.0.2.50';
const VIP_B = '192.0.2.52';

describe.skipIf(why)('fault: link down, tracked interface weight, tracked script, sync group', () => {
  let lab: Lab;
  let r1: Vrrpd | undefined;
  let r2: Vrrpd | undefined;

  /** (Re)starts both routers with the given configs and waits for r1 master, r2 backup. */
  async function pair(c1: Record<string, unknown>, c2: Record<string, unknown>, names = ['VI']) {
    await Promise.all([r1?.stop('SIGTERM'), r2?.stop('SIGTERM')]);
    [r1, r2] = await Promise.all([lab.start('r1', c1), lab.start('r2', c2)]);
    for (const n of names) {
      await r1.waitState(n, 'master', 5000);
      await r2.waitState(n, 'backup', 3000);
    }
    return [r1, r2] as const;
  }

  const hasVip = async (host: string, vip = VIP) => (await lab.addresses(host)).includes(vip);

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2']);
    // a second, tracked interface on r1: a veth pair inside r1's namespace (this kernel
    // has no dummy driver), up and running until eth1 is set down
    await lab.sh(
      'r1',
      'ip link add eth1 type veth peer name eth1p && ip link set eth1p up && ip link set eth1 up',
    );
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('master eth0 admin down → FAULT, VIP removed, backup takes over; link up → preempts back', async () => {
    const [a, b] = await pair(
      { vrrp_instances: [instance({ priority: 150 })] },
      { vrrp_instances: [instance({ priority: 100 })] },
    );
    await until(() => hasVip('r1'), 3000, 'VIP on r1');
    await lab.topo.linkDown('r1');
    const f = await a.waitState('VI', 'fault', 3000);
    expect(f.lastTransitionReason).toMatch(/interface/);
    await b.waitState('VI', 'master', 3000);
    // IPv4 addresses survive admin down: vrrpd must have removed the VIP itself
    await until(async () => !(await hasVip('r1')), 3000, 'VIP removed from r1');
    await until(() => hasVip('r2'), 3000, 'VIP on r2');
    await lab.topo.linkUp('r1');
    await a.waitState('VI', 'master', 5000);
    await b.waitState('VI', 'backup', 3000);
    await until(async () => !(await hasVip('r2')), 3000, 'VIP removed from r2');
  });

  it('carrier loss on the master (bridge port down) → FAULT and takeover', async () => {
    const a = r1!;
    const b = r2!;
    await lab.topo.portDown('r1');
    try {
      await a.waitState('VI', 'fault', 3000);
      await b.waitState('VI', 'master', 3000);
      await until(async () => !(await hasVip('r1')), 3000, 'VIP removed from r1');
    } finally {
      await lab.topo.portUp('r1');
    }
    await a.waitState('VI', 'master', 5000);
    await b.waitState('VI', 'backup', 3000);
  });

  it('tracked interface with weight -60 down: priority 150 → 90 < 100, the peer preempts; up → back', async () => {
    const [a, b] = await pair(
      {
        vrrp_instances: [instance({ priority: 150, track_interfaces: [{ interface: 'eth1', weight: -60 }] })],
      },
      { vrrp_instances: [instance({ priority: 100 })] },
    );
    expect((await a.instance()).trackedInterfaces).toEqual([{ interface: 'eth1', up: true, weight: -60 }]);
    await lab.sh('r1', 'ip link set eth1 down');
    try {
      const m = await b.waitState('VI', 'master', 3000);
      // RFC 5798 §6.4.2: the preempting backup discards the weaker adverts and its
      // Master_Down_Timer fires (no preempt_delay configured)
      expect(m.lastTransitionReason).toMatch(/preempt|master-down-timer/);
      const lowered = await a.waitState('VI', 'backup', 3000);
      expect(lowered.effectivePriority).toBe(90);
      expect(lowered.priority).toBe(150);
      expect(lowered.masterPriority).toBe(100);
      expect(lowered.trackedInterfaces).toEqual([{ interface: 'eth1', up: false, weight: -60 }]);
    } finally {
      await lab.sh('r1', 'ip link set eth1 up');
    }
    const back = await a.waitState('VI', 'master', 3000);
    expect(back.effectivePriority).toBe(150);
    await b.waitState('VI', 'backup', 3000);
  });

  it('vrrp_script with weight 0 failing → FAULT (VIP removed, peer master); passing again → master', async () => {
    const flag = join(lab.dir, 'chk-fail');
    const script = join(lab.dir, 'chk.sh');
    // fails while the flag file exists
    writeFileSync(script, `#!/bin/sh\nif [ -e '${flag}' ]; then exec /bin/false; fi\nexec /bin/true\n`);
    chmodSync(script, 0o755);
    const [a, b] = await pair(
      {
        vrrp_scripts: {
          chk: { command: [script], interval: '200ms', timeout: '1s', weight: 0, rise: 1, fall: 1 },
        },
        vrrp_instances: [instance({ priority: 150, track_scripts: ['chk'] })],
      },
      { vrrp_instances: [instance({ priority: 100 })] },
    );
    await until(
      async () => (await a.status()).vrrpScripts.find((s) => s.name === 'chk')?.state === 'ok',
      3000,
      'chk to be ok',
    );
    writeFileSync(flag, '');
    try {
      const f = await a.waitState('VI', 'fault', 3000);
      expect(f.lastTransitionReason).toMatch(/script/);
      await b.waitState('VI', 'master', 3000);
      await until(async () => !(await hasVip('r1')), 3000, 'VIP removed from r1');
      expect((await a.status()).vrrpScripts.find((s) => s.name === 'chk')).toMatchObject({
        state: 'failing',
        weight: 0,
      });
    } finally {
      rmSync(flag, { force: true });
    }
    await a.waitState('VI', 'master', 5000);
    await b.waitState('VI', 'backup', 3000);
  });

  it('sync group: one member faults (tracked eth1 down) → both move, the peer masters both', async () => {
    const both = (priority: number, trackA: boolean) => ({
      vrrp_instances: [
        instance({ name: 'VI_A', priority, ...(trackA ? { track_interfaces: ['eth1'] } : {}) }),
        instance({ name: 'VI_B', vrid: 52, priority, virtual_ips: [`${VIP_B}/24`] }),
      ],
      vrrp_sync_groups: [{ name: 'G', instances: ['VI_A', 'VI_B'] }],
    });
    const [a, b] = await pair(both(150, true), both(100, false), ['VI_A', 'VI_B']);
    expect((await a.status()).syncGroups).toEqual([
      { name: 'G', instances: ['VI_A', 'VI_B'], state: 'master' },
    ]);
    await lab.sh('r1', 'ip link set eth1 down');
    try {
      await a.waitState('VI_A', 'fault', 3000);
      const fb = await a.waitState('VI_B', 'fault', 3000);
      expect(fb.lastTransitionReason).toMatch(/sync-group/);
      await b.waitState('VI_A', 'master', 3000);
      await b.waitState('VI_B', 'master', 3000);
      await until(async () => !(await hasVip('r1', VIP_B)), 3000, 'VIP_B removed from r1');
      await until(() => hasVip('r2', VIP_B), 3000, 'VIP_B on r2');
    } finally {
      await lab.sh('r1', 'ip link set eth1 up');
    }
    await a.waitState('VI_A', 'master', 5000);
    await a.waitState('VI_B', 'master', 5000);
    await b.waitState('VI_B', 'backup', 3000);
  });
});
