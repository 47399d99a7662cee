// Notify FIFOs and e-mail alerts on a real daemon: one router (a VRRP instance in a sync
// group, a virtual server whose real server has a file check), aiosmtpd in the router's
// namespace as the SMTP server, `cat` reading the three FIFOs. The lines come in keepalived's
// format and in event order; each FIFO gets its own kind; the mails carry keepalived's subjects.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inCI, missing } from '../helpers/env.js';
import { AIOSMTPD_PYTHON, serversMissing } from '../helpers/servers.js';
import { createLab, instance, type Lab, until, type Vrrpd } from './lib/vrrpd.js';

const why = missing({ root: true, commands: ['ip', 'mkfifo', 'cat'] });
const noServers = serversMissing();
if (noServers.length && inCI) throw new Error(`test prerequisite missing in CI: ${noServers.join(', ')}`);

describe.skipIf(why || noServers.length > 0)('notify FIFOs and e-mail alerts', () => {
  let lab: Lab;
  let r1: Vrrpd;
  let smtp: ChildProcess;
  let smtpOut = '';
  const readers: { child: ChildProcess; text: string }[] = [];
  const fifo = (k: string) => join(lab.dir, `${k}.fifo`);
  const lines = (i: number) => readers[i]!.text.split('\n').filter(Boolean);

  beforeAll(async () => {
    lab = await createLab(['r1', 'srv']);
    smtp = lab.topo.spawn('r1', [AIOSMTPD_PYTHON, '-u', '-m', 'aiosmtpd', '-n', '-l', '127.0.0.1:2525']);
    smtp.stdout?.on('data', (d: Buffer) => {
      smtpOut += d.toString();
    });
    await until(
      async () => {
        await lab.sh('r1', "bash -c 'exec 3<>/dev/tcp/127.0.0.1/2525'");
        return true;
      },
      15_000,
      'aiosmtpd listening in r1',
    );
    const drain = join(lab.dir, 'drain');
    writeFileSync(drain, '0\n');
    r1 = await lab.start('r1', {
      global: {
        notify_fifo: fifo('all'),
        vrrp_notify_fifo: fifo('vrrp'),
        lvs_notify_fifo: fifo('lvs'),
        smtp_alerts: {
          server: '127.0.0.1:2525',
          to: ['ops@example.test'],
          from: 'vrrpd@r1.example.test',
          vrrp: true,
          checker: true,
        },
      },
      vrrp_instances: [instance({ name: 'VI_1', priority: 150 })],
      vrrp_sync_groups: [{ name: 'G1', instances: ['VI_1'] }],
      virtual_servers: [
        {
          address: '192.0.2.100',
          port: 80,
          protocol: 'tcp',
          quorum: 1,
          real_servers: [
            {
              address: lab.topo.host('srv').ipv4,
              port: 80,
              check: { type: 'file', file: drain, interval: '100ms' },
            },
          ],
        },
      ],
    });
    // the daemon made the FIFOs and holds them open: a reader started now misses nothing
    for (const k of ['all', 'vrrp', 'lvs']) {
      const child = spawn('cat', [fifo(k)], { stdio: ['ignore', 'pipe', 'ignore'] });
      const r = { child, text: '' };
      child.stdout?.on('data', (d: Buffer) => {
        r.text += d.toString();
      });
      readers.push(r);
    }
  }, 60_000);
  afterAll(async () => {
    for (const r of readers)
      if (r.child.pid !== undefined && r.child.exitCode === null) process.kill(r.child.pid, 'SIGTERM');
    if (smtp) await lab?.topo.kill(smtp, 3000);
    await lab?.cleanup();
  });

  it('VRRP, real-server and quorum events: FIFO lines in order, and mails', async () => {
    await r1.waitState('VI_1', 'master', 10_000);
    await until(async () => lines(0).includes('GROUP "G1" MASTER 0'), 5000, 'the group line');
    const rs = `[${lab.topo.host('srv').ipv4}]:tcp:80`;
    writeFileSync(join(lab.dir, 'drain'), '1\n');
    await until(async () => lines(0).includes('VS [192.0.2.100]:tcp:80 DOWN'), 5000, 'RS and VS down');
    writeFileSync(join(lab.dir, 'drain'), '0\n');
    await until(
      async () => lines(0).filter((l) => l === 'VS [192.0.2.100]:tcp:80 UP').length === 2,
      5000,
      'RS and VS up',
    );
    r1.child.kill('SIGTERM');
    await r1.exited;
    await until(async () => lines(0).includes('GROUP "G1" STOP 0'), 5000, 'stop lines');
    // keepalived's order: a group's first state before its member's (notify-fifo-keepalived.test.ts)
    const vrrp = [
      'GROUP "G1" BACKUP 0',
      'INSTANCE "VI_1" BACKUP 150',
      'INSTANCE "VI_1" MASTER 150',
      'GROUP "G1" MASTER 0',
      'INSTANCE "VI_1" STOP 150',
      'GROUP "G1" STOP 0',
    ];
    // a service starting with its quorum is reported, as keepalived does (test/vm/notify-fifo-lvs.test.ts)
    const lvs = [
      'VS [192.0.2.100]:tcp:80 UP',
      `RS ${rs} [192.0.2.100]:tcp:80 DOWN`,
      'VS [192.0.2.100]:tcp:80 DOWN',
      `RS ${rs} [192.0.2.100]:tcp:80 UP`,
      'VS [192.0.2.100]:tcp:80 UP',
    ];
    expect(lines(1)).toEqual(vrrp);
    expect(lines(2)).toEqual(lvs);
    // the shared FIFO has both, each kind in its order
    expect(lines(0).filter((l) => /^(INSTANCE|GROUP) /.test(l))).toEqual(vrrp);
    expect(lines(0).filter((l) => /^(RS|VS) /.test(l))).toEqual(lvs);
    // every mail reached aiosmtpd before the daemon exited (it waits for mails in flight);
    // long subjects are folded (RFC 5322 2.2.3): unfold before matching
    const mails = smtpOut.replace(/\r?\n[ \t]+/g, ' ');
    for (const subject of [
      '[r1] VRRP Instance VI_1 - Entering MASTER state',
      '[r1] VRRP Group G1 - Entering MASTER state',
      `[r1] Realserver ${rs} of virtual server [192.0.2.100]:tcp:80 - DOWN`,
      '[r1] Virtualserver [192.0.2.100]:tcp:80 - DOWN',
      `[r1] Realserver ${rs} of virtual server [192.0.2.100]:tcp:80 - UP`,
      '[r1] VRRP Instance VI_1 - Stopping',
    ]) {
      expect(mails).toContain(`Subject: ${subject}`);
    }
    expect(smtpOut).toContain('From: vrrpd@r1.example.test');
    expect(smtpOut).toContain('To: ops@example.test');
    expect(r1.logged((l) => l.event === 'smtp-alert' && typeof l.err === 'string')).toEqual([]);
  }, 60_000);
});
