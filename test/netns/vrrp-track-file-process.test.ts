// track_files and track_processes with real daemons: writing -254 into a tracked file
// (the operators' drain switch) puts the master in FAULT and hands mastership to the peer
// well within a second; a number renamed over the file moves the priority by number ×
// weight; a tracked process's quorum, counted from the kernel's process events, moves the
// priority as processes (`sleep`s with a distinctive argv, started and killed by PID by
// this test) come and go.
import { type ChildProcess, spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { createLab, instance, type Lab, until, type Vrrpd } from './lib/vrrpd.js';

const why = missing({ root: true, commands: ['ip'] });

describe.skipIf(why)('track_file and track_process with a real pair', () => {
  let lab: Lab;
  let r1: Vrrpd | undefined;
  let r2: Vrrpd | undefined;
  const sleeps: ChildProcess[] = [];

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2']);
  });
  afterAll(async () => {
    for (const c of sleeps)
      if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
    await Promise.all([r1?.stop('SIGTERM'), r2?.stop('SIGTERM')]);
    await lab?.cleanup();
  });

  async function pair(c1: Record<string, unknown>, c2: Record<string, unknown>) {
    await Promise.all([r1?.stop('SIGTERM'), r2?.stop('SIGTERM')]);
    [r1, r2] = await Promise.all([lab.start('r1', c1), lab.start('r2', c2)]);
    return [r1, r2] as const;
  }

  it('drain file: -254 → FAULT and the peer is master well within a second; a renamed-over -60 lowers the priority by 60', async () => {
    const drain = join(lab.dir, 'drain');
    const [a, b] = await pair(
      {
        track_files: { drain: { file: drain, init_file: { value: 0, overwrite: true } } },
        vrrp_instances: [instance({ priority: 150, track_files: ['drain'] })],
      },
      { vrrp_instances: [instance({ priority: 100 })] },
    );
    await a.waitState('VI', 'master', 5000);
    await b.waitState('VI', 'backup', 3000);
    expect((await a.status()).trackFiles).toEqual([{ name: 'drain', file: drain, value: 0, weight: 1 }]);

    const t0 = performance.now();
    writeFileSync(drain, '-254\n');
    await b.waitState('VI', 'master', 3000);
    const handover = performance.now() - t0;
    const f = await a.waitState('VI', 'fault', 1000);
    expect(f.lastTransitionReason).toMatch(/tracked file drain/);
    expect(handover).toBeLessThan(800);

    // an atomic write: a new file renamed over the tracked one
    writeFileSync(`${drain}.tmp`, '-60\n');
    renameSync(`${drain}.tmp`, drain);
    const lowered = await until(
      async () => {
        const i = await a.instance();
        return i.state === 'backup' && i.effectivePriority === 90 ? i : null;
      },
      3000,
      'r1 backup at priority 90',
    );
    expect(lowered.priority).toBe(150);
    expect((await a.status()).trackFiles?.[0]?.value).toBe(-60);
    expect((await b.instance()).state).toBe('master');

    writeFileSync(drain, '0\n');
    const back = await a.waitState('VI', 'master', 3000);
    expect(back.effectivePriority).toBe(150);
    await b.waitState('VI', 'backup', 3000);
  });

  it('process quorum 2 with weight -60: one sleep → 90 (peer master), two → 150 (preempts back), one killed → 90', async () => {
    const marker = `4242.${process.pid}`;
    const start = () => {
      const c = spawn('/bin/sleep', [marker], { stdio: 'ignore' });
      sleeps.push(c);
      return c;
    };
    const kill = async (c: ChildProcess) => {
      const exited = new Promise((r) => c.once('exit', r));
      process.kill(c.pid!, 'SIGKILL');
      await exited;
    };
    const first = start();
    const [a, b] = await pair(
      {
        // the daemon runs in a namespace of its own: the connector answers in the test's
        // (where /proc/1/ns/net may not be open to us)
        global: { process_events_netns: `/proc/${process.pid}/ns/net` },
        track_processes: {
          svc: { process: '/bin/sleep', args: [marker], quorum: 2, weight: -60 },
        },
        vrrp_instances: [instance({ priority: 150, track_processes: ['svc'] })],
      },
      { vrrp_instances: [instance({ priority: 100 })] },
    );
    await b.waitState('VI', 'master', 5000);
    const low = await until(
      async () => {
        const i = await a.instance();
        return i.state === 'backup' && i.effectivePriority === 90 ? i : null;
      },
      5000,
      'r1 backup at 90',
    );
    expect(low.priority).toBe(150);
    // the kernel's process events, not the /proc fallback (the daemon runs in a namespace)
    expect(a.logged((l) => l.event === 'track-process-events')).toHaveLength(1);
    expect(a.logged((l) => l.event === 'track-process-fallback')).toHaveLength(0);
    expect((await a.status()).trackProcesses).toEqual([
      { name: 'svc', processes: 1, quorum: false, pending: false, weight: -60 },
    ]);

    const second = start();
    const up = await a.waitState('VI', 'master', 3000);
    expect(up.effectivePriority).toBe(150);
    await b.waitState('VI', 'backup', 3000);
    expect((await a.status()).trackProcesses?.[0]).toMatchObject({ processes: 2, quorum: true });

    await kill(second);
    await b.waitState('VI', 'master', 3000);
    const again = await a.waitState('VI', 'backup', 3000);
    expect(again.effectivePriority).toBe(90);
    await kill(first);
    await until(
      async () => ((await a.status()).trackProcesses?.[0]?.processes === 0 ? true : null),
      3000,
      'no sleep counted',
    );
  });
});
