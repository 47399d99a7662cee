// Where the kernel delivers vrrpd's signals, on a real daemon in a namespace: SIGTERM and
// SIGINT go to the VRRP thread alone (every other thread of the process blocks them, so
// the priority-0 adverts do not wait for the main thread to be scheduled), while the main
// thread still hears them (the graceful stop as before) and SIGHUP (reload) is left to the
// main thread. Scripts vrrpd starts get an empty signal mask. A SIGTERM during a startup
// script stops the daemon gracefully once started instead of killing it the default way.
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { missing } from '../helpers/env.js';
import { createLab, instance, type Lab, until } from './lib/vrrpd.js';

const why = missing({ root: true, commands: ['ip'] });

const SIGINT_BIT = 1n << 1n;
const SIGHUP_BIT = 1n << 0n;
const SIGTERM_BIT = 1n << 14n;

/** SigBlk of every thread of pid, by thread id. */
function threadMasks(pid: number): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8');
      const m = /^SigBlk:\s*([0-9a-f]+)$/m.exec(s);
      if (m) out.set(Number(t), BigInt(`0x${m[1]}`));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

describe.skipIf(why)('signal routing: SIGTERM/SIGINT to the VRRP thread, SIGHUP to the main thread', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await createLab(['r1']);
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  const script = (name: string, body: string): string => {
    const p = join(lab.dir, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`);
    chmodSync(p, 0o755);
    return p;
  };

  it('only the VRRP thread takes SIGTERM/SIGINT; SIGHUP reloads; scripts run with an empty mask; SIGTERM stops gracefully', async () => {
    const maskFile = join(lab.dir, 'notify-mask');
    const hook = script('mask.sh', `grep SigBlk /proc/self/status > '${maskFile}'`);
    const cfg = (priority: number) => ({
      vrrp_instances: [instance({ priority, notify: { master: [hook] } })],
    });
    const r1 = await lab.start('r1', cfg(150));
    await r1.waitState('VI', 'master', 8000);
    const tidLog = r1.logged((l) => l.event === 'vrrp-thread-priority')[0];
    expect(tidLog).toBeDefined();
    const vrrpTid = Number(tidLog!.tid);

    // the claim is made when the worker is armed, right after the engine started
    let masks = new Map<number, bigint>();
    await until(
      async () => {
        masks = threadMasks(r1.pid);
        return [...masks].filter(([, m]) => (m & SIGTERM_BIT) === 0n).length === 1 || null;
      },
      3000,
      'SIGTERM to be blocked in every thread but one',
    );
    const takeTerm = [...masks].filter(([, m]) => (m & SIGTERM_BIT) === 0n).map(([t]) => t);
    const takeInt = [...masks].filter(([, m]) => (m & SIGINT_BIT) === 0n).map(([t]) => t);
    expect(takeTerm).toEqual([vrrpTid]);
    expect(takeInt).toEqual([vrrpTid]);
    // SIGHUP: the main thread (its id is the pid) still takes it
    expect((masks.get(r1.pid)! & SIGHUP_BIT) === 0n).toBe(true);
    expect(masks.size).toBeGreaterThan(2);

    // the notify script vrrpd started: nothing blocked
    await until(async () => existsSync(maskFile) || null, 5000, 'the notify script to run');
    await until(async () => readFileSync(maskFile, 'utf8').includes('SigBlk') || null, 2000, 'its output');
    expect(readFileSync(maskFile, 'utf8').trim()).toBe('SigBlk:\t0000000000000000');

    // SIGHUP still reloads (the main thread hears it)
    writeFileSync(
      r1.configPath,
      stringify({ ...cfg(160), global: { router_id: 'r1', log_level: 'info', control_socket: r1.socket } }),
    );
    r1.signal('SIGHUP');
    await until(async () => r1.logged((l) => l.event === 'reloaded').length > 0 || null, 8000, 'the reload');
    expect((await r1.instance('VI')).effectivePriority).toBe(160);

    // SIGTERM: the graceful stop, as before (the main thread hears it too)
    const exit = await r1.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(r1.logged((l) => l.event === 'signal' && l.signal === 'SIGTERM').length).toBe(1);
    expect(
      r1.logged((l) => l.event === 'state-change' && l.to === 'init' && l.reason === 'shutdown').length,
    ).toBe(1);
    expect(r1.logged((l) => l.event === 'stopped').length).toBe(1);
  });

  it('SIGTERM during the startup script: vrrpd stops gracefully once started, not killed', async () => {
    const running = join(lab.dir, 'startup-running');
    const up = script('slow-up.sh', `touch '${running}'\nsleep 1`);
    const r1 = await lab.start(
      'r1',
      {
        global: { startup_script: { command: [up], timeout: '5s' } },
        vrrp_instances: [instance({ priority: 150 })],
      },
      { wait: false, file: 'r1-startup.yaml' },
    );
    await until(async () => existsSync(running) || null, 10_000, 'the startup script to run');
    const exit = await r1.stop('SIGTERM', 15_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(r1.logged((l) => l.event === 'signal' && l.signal === 'SIGTERM').length).toBeGreaterThanOrEqual(1);
    expect(r1.logged((l) => l.event === 'startup-script' && l.code === 0).length).toBe(1);
    expect(r1.logged((l) => l.event === 'stopped').length).toBe(1);
  });
});
