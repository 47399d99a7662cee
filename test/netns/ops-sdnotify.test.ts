// sd_notify(3) from the real daemon, as systemd (Type=notify, WatchdogSec=1s) would see it:
// a python3 child binds the AF_UNIX datagram socket named by NOTIFY_SOCKET and prints each
// datagram with its arrival time (the native addon only sends on unix datagram sockets).
// READY=1 once the instances run, STATUS= naming the states, WATCHDOG=1 every
// WATCHDOG_USEC/2, RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on SIGTERM; and the
// watchdog withheld while the VRRP engine's loop is blocked (test hook
// `debug.stall-engine`, enabled only by VRRPD_TEST_HOOKS=1 in the daemon's environment).
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../../src/control/client.js';
import { missing } from '../helpers/env.js';
import { createLab, instance, type Lab, sleep, until, type Vrrpd } from './lib/vrrpd.js';

const why = missing({ root: true, commands: ['ip', 'python3'] });

// Binds the socket, says so, then prints one JSON line per datagram (wall time in ms).
const RECEIVER = `
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"bound": True}), flush=True)
while True:
    d = s.recv(65536)
    print(json.dumps({"t": time.time() * 1000, "data": d.decode()}), flush=True)
`;

interface Datagram {
  /** arrival, wall-clock ms */
  t: number;
  fields: Record<string, string>;
}

const parseFields = (data: string): Record<string, string> =>
  Object.fromEntries(
    data
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe.skipIf(why)('sd_notify and the watchdog on the real daemon', () => {
  let lab: Lab;
  let r1: Vrrpd;
  let receiver: ChildProcess;
  const got: Datagram[] = [];
  const since = (t: number, key: string) => got.filter((d) => d.t >= t && key in d.fields);

  beforeAll(async () => {
    lab = await createLab(['r1']);
    const path = join(lab.dir, 'notify.sock');
    receiver = lab.topo.spawn('r1', ['python3', '-c', RECEIVER, path]);
    let buf = '';
    let bound = false;
    receiver.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = JSON.parse(buf.slice(0, i)) as { bound?: boolean; t: number; data: string };
        buf = buf.slice(i + 1);
        if (line.bound) bound = true;
        else got.push({ t: line.t, fields: parseFields(line.data) });
      }
    });
    await until(async () => bound, 10_000, 'the notify socket receiver to bind');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NOTIFY_SOCKET: path,
      WATCHDOG_USEC: '1000000',
      VRRPD_TEST_HOOKS: '1',
    };
    delete env.WATCHDOG_PID;
    r1 = await lab.start('r1', { vrrp_instances: [instance({ priority: 150 })] }, { env });
    await r1.waitState('VI', 'master', 5000);
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('READY=1 comes after the instances run; STATUS= names their states', async () => {
    const ready = await until(async () => since(0, 'READY')[0], 5000, 'READY=1');
    expect(ready.fields.READY).toBe('1');
    const first = r1.logged((l) => l.event === 'state-change')[0];
    expect(first, r1.tail()).toMatchObject({ instance: 'VI', from: 'init', to: 'backup' });
    // pino's ISO time is truncated to the ms: <= holds when the line came first
    expect(Date.parse(String(first?.time))).toBeLessThanOrEqual(ready.t);
    expect(ready.fields.STATUS).toMatch(/1 instance\(s\) \(1 backup\)/);
    // the backup -> master change sends its own STATUS=
    await until(
      async () => since(0, 'STATUS').find((d) => /1 master/.test(d.fields.STATUS ?? '')),
      3000,
      'STATUS= with 1 master',
    );
  });

  it('WATCHDOG=1 about every 500 ms (WATCHDOG_USEC=1000000)', async () => {
    const t0 = Date.now();
    await sleep(2600);
    const ts = since(t0, 'WATCHDOG').map((d) => d.t);
    expect(ts.length).toBeGreaterThanOrEqual(4);
    const gaps = ts.slice(1).map((t, i) => t - (ts[i] ?? t));
    console.log(`WATCHDOG=1 gaps (ms): ${gaps.map((g) => g.toFixed(0)).join(' ')}`);
    for (const g of gaps) {
      expect(g).toBeGreaterThan(300);
      expect(g).toBeLessThan(1000);
    }
  });

  it('a stalled engine loop: WATCHDOG=1 withheld, engine-stalled logged, then resumed', async () => {
    const t0 = Date.now();
    await expect(request(r1.socket, 'debug.stall-engine', { ms: 3000 }, 3000)).resolves.toEqual({
      stalledMs: 3000,
    });
    await sleep(4500);
    const ts = since(t0, 'WATCHDOG').map((d) => d.t);
    const gaps = ts.slice(1).map((t, i) => t - (ts[i] ?? t));
    const longest = Math.max(0, ...gaps);
    console.log(`longest WATCHDOG=1 gap during a 3 s engine stall: ${longest.toFixed(0)} ms`);
    // stale after 1.5 s without a heartbeat, so about 1.5 s of the 3 s stall goes unpinged
    expect(longest).toBeGreaterThan(1000);
    expect(longest).toBeLessThan(3500);
    const stalled = r1.logged((l) => l.event === 'engine-stalled' && Date.parse(String(l.time)) >= t0);
    expect(stalled.length, r1.tail()).toBeGreaterThanOrEqual(1);
    expect(stalled[0]).toMatchObject({ level: 'error' });
    // pings are back once the loop runs again
    expect(ts.at(-1) ?? 0).toBeGreaterThan(t0 + 3000);
    expect((await r1.instance()).state).toBe('master');
  });

  it('SIGHUP: RELOADING=1 (with MONOTONIC_USEC), then READY=1', async () => {
    const t0 = Date.now();
    r1.signal('SIGHUP');
    const done = await until(
      async () => {
        const seq = got.filter((d) => d.t >= t0 && ('RELOADING' in d.fields || 'READY' in d.fields));
        const i = seq.findIndex((d) => 'RELOADING' in d.fields);
        return i >= 0 && seq.slice(i + 1).find((d) => 'READY' in d.fields) ? seq : null;
      },
      5000,
      'RELOADING=1 then READY=1',
    );
    expect(done[0]?.fields).toMatchObject({ RELOADING: '1', MONOTONIC_USEC: expect.stringMatching(/^\d+$/) });
    const ready = done.find((d) => 'READY' in d.fields);
    console.log(
      `SIGHUP reload: RELOADING=1 -> READY=1 in ${((ready?.t ?? 0) - (done[0]?.t ?? 0)).toFixed(0)} ms`,
    );
    expect(r1.logged((l) => l.event === 'reloaded').length).toBe(1);
  });

  it('SIGTERM: STOPPING=1, exit 0, no WATCHDOG=1 after it', async () => {
    const t0 = Date.now();
    const exit = await r1.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    await sleep(200);
    const stopping = since(t0, 'STOPPING');
    expect(stopping.length).toBe(1);
    const afterStop = since(stopping[0]?.t ?? 0, 'WATCHDOG').filter((d) => d.t > (stopping[0]?.t ?? 0));
    expect(afterStop).toEqual([]);
  });
});
