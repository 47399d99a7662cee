// A wall-clock step of ±1 h seen by running daemons causes no failover (issue #16, part 3).
// Each daemon runs under libfaketime with its own FAKETIME_TIMESTAMP_FILE re-read on
// every call (FAKETIME_NO_CACHE=1) and the monotonic clock left alone
// (FAKETIME_DONT_FAKE_MONOTONIC=1): writing "+1h" into the file steps that daemon's
// Date.now() while it runs, as `date -s` would. The test first proves the step reached
// the daemon (its status document's generatedAt and its log lines' times moved by an
// hour), then checks: no state change on either side, adverts on the wire without a
// gap, and the systemd watchdog (WATCHDOG_USEC=1 s on the master) never withheld.
import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inCI, missing } from '../helpers/env.js';
import { createLab, instance, type Lab, sleep, until, type Vrrpd } from './lib/vrrpd.js';
import { adverts } from './lib/wire.js';

const FAKETIME_LIB = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
]
  .filter((p) => existsSync(p))
  .at(0);
function noFaketime(): string | null {
  if (FAKETIME_LIB) return null;
  const why = 'needs libfaketime (Debian package libfaketime)';
  if (inCI) throw new Error(`test prerequisite missing in CI: ${why}`);
  console.warn(`skipping: ${why}`);
  return why;
}
const why = missing({ root: true, commands: ['ip', 'python3', 'tcpdump'] }) ?? noFaketime();

const HOUR = 3_600_000;
const ADVERT_MS = 100;

// the notify socket's receiver (as in ops-sdnotify.test.ts): one JSON line per datagram
const RECEIVER = `
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"bound": True}), flush=True)
while True:
    d = s.recv(65536)
    print(json.dumps({"t": time.monotonic() * 1000, "data": d.decode()}), flush=True)
`;

describe.skipIf(why)('wall-clock steps of ±1 h under running daemons', () => {
  let lab: Lab;
  let r1: Vrrpd;
  let r2: Vrrpd;
  let receiver: ChildProcess;
  const watchdog: number[] = []; // arrival of WATCHDOG=1, monotonic ms of the receiver
  const rc = (host: string) => join(lab.dir, `${host}.faketime`);
  const step = (host: string, offset: string) => writeFileSync(rc(host), `${offset}\n`);

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2', 'c']);
    const sock = join(lab.dir, 'notify.sock');
    receiver = lab.topo.spawn('r1', ['python3', '-c', RECEIVER, sock]);
    let buf = '';
    let bound = false;
    receiver.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = JSON.parse(buf.slice(0, i)) as { bound?: boolean; t: number; data: string };
        buf = buf.slice(i + 1);
        if (line.bound) bound = true;
        else if (line.data.split('\n').includes('WATCHDOG=1')) watchdog.push(line.t);
      }
    });
    await until(async () => bound, 10_000, 'the notify socket receiver to bind');
    const env = (host: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
      step(host, '+0');
      const e: NodeJS.ProcessEnv = {
        ...process.env,
        LD_PRELOAD: FAKETIME_LIB,
        FAKETIME_TIMESTAMP_FILE: rc(host),
        FAKETIME_NO_CACHE: '1',
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
        FAKETIME_DONT_RESET: '1',
        ...extra,
      };
      delete e.NOTIFY_SOCKET;
      delete e.WATCHDOG_USEC;
      delete e.WATCHDOG_PID;
      return { ...e, ...extra };
    };
    const cfg = (priority: number) => ({
      vrrp_instances: [instance({ priority, advert_interval: `${ADVERT_MS}ms` })],
    });
    [r1, r2] = await Promise.all([
      lab.start('r1', cfg(150), { env: env('r1', { NOTIFY_SOCKET: sock, WATCHDOG_USEC: '1000000' }) }),
      lab.start('r2', cfg(100), { env: env('r2') }),
    ]);
    await r1.waitState('VI', 'master', 5000);
    await r2.waitState('VI', 'backup', 3000);
    await until(async () => watchdog.length >= 2, 3000, 'WATCHDOG=1 from r1');
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  /** The daemon's wall clock minus ours, from its status document (round trip allowed). */
  async function skewMs(d: Vrrpd): Promise<number> {
    const before = Date.now();
    const s = await d.status();
    const after = Date.now();
    const at = Date.parse(s.generatedAt);
    return at < before ? at - before : at > after ? at - after : 0;
  }

  for (const [a, b] of [
    ['+1h', '-1h'],
    ['-1h', '+1h'],
  ] as const) {
    it(`r1 (master) steps ${a}, r2 (backup) steps ${b}: no failover, adverts steady, watchdog kept`, async () => {
      const changes = (d: Vrrpd) => d.logged((l) => l.event === 'state-change').length;
      const before = [changes(r1), changes(r2)];
      const cap = await lab.capture('c', 'ip proto 112');
      await sleep(500);
      const logsBefore = [r1.logs.length, r2.logs.length];
      const wdFrom = watchdog.length;
      step('r1', a);
      step('r2', b);
      const sign = (o: string) => (o.startsWith('-') ? -1 : 1);
      // the step reached the daemons: their status times moved by about an hour...
      for (const [d, o] of [
        [r1, a],
        [r2, b],
      ] as const) {
        const skew = await until(
          async () => {
            const s = await skewMs(d);
            return Math.abs(s - sign(o) * HOUR) < 60_000 ? s : null;
          },
          5000,
          `${d.host}'s clock to move ${o}`,
        );
        expect(Math.abs(skew - sign(o) * HOUR)).toBeLessThan(60_000);
      }
      // ...and so did their log lines (a reload logs one)
      for (const [d, o] of [
        [r1, a],
        [r2, b],
      ] as const) {
        d.signal('SIGHUP');
        const line = await until(
          async () => d.logs.slice(logsBefore[d === r1 ? 0 : 1]).find((l) => typeof l.time === 'string'),
          5000,
          `a log line from ${d.host} after the step`,
        );
        const off = Date.parse(String(line.time)) - Date.now();
        expect(Math.abs(off - sign(o) * HOUR), JSON.stringify(line)).toBeLessThan(60_000);
      }
      // the status document's times agree with the stepped clock: time in state is still
      // counted from the transition (not an hour off, nor in the future)
      for (const d of [r1, r2]) {
        const st = await d.status();
        const inState = Date.parse(st.generatedAt) - Date.parse(st.instances[0]!.since);
        expect(
          inState,
          `${d.host}: ${st.generatedAt} vs since ${st.instances[0]!.since}`,
        ).toBeGreaterThanOrEqual(0);
        expect(inState).toBeLessThan(10 * 60_000);
      }
      await sleep(3000);
      const list = adverts(await cap.stop()).filter((x) => x.advert.vrid === 51);
      const srcs = new Set(list.map((x) => x.src));
      expect([...srcs]).toEqual([lab.topo.host('r1').ipv4]);
      let gap = 0;
      for (let i = 1; i < list.length; i++) gap = Math.max(gap, (list[i]!.t - list[i - 1]!.t) * 1000);
      expect(gap).toBeLessThan(3 * ADVERT_MS);
      expect([changes(r1), changes(r2)]).toEqual(before);
      expect((await r1.instance()).state).toBe('master');
      expect((await r2.instance()).state).toBe('backup');
      // the watchdog: never withheld (pings every 500 ms, none missing), never "stalled"
      const wd = watchdog.slice(wdFrom);
      let wdGap = 0;
      for (let i = 1; i < wd.length; i++) wdGap = Math.max(wdGap, wd[i]! - wd[i - 1]!);
      expect(wd.length).toBeGreaterThanOrEqual(6);
      expect(wdGap).toBeLessThan(900);
      expect(r1.logged((l) => l.event === 'engine-stalled')).toEqual([]);
      console.log(
        `clock step r1 ${a} / r2 ${b}: ${list.length} adverts, longest gap ${gap.toFixed(1)} ms, ` +
          `state changes 0, longest WATCHDOG=1 gap ${wdGap.toFixed(0)} ms`,
      );
    });
  }

  // One forward step withholds the watchdog only if the watchdog's tick falls between
  // the step and the engine's next heartbeat (a daemon that measured staleness on the
  // wall clock did so about a third of the time): ten steps at random moments.
  it('ten forward steps of 1 h at random moments: the watchdog is never withheld', async () => {
    const changes = r1.logged((l) => l.event === 'state-change').length;
    const wdFrom = watchdog.length;
    const base = Math.round((await skewMs(r1)) / HOUR);
    for (let h = 1; h <= 10; h++) {
      step('r1', `${base + h >= 0 ? '+' : ''}${base + h}h`);
      await sleep(170 + Math.random() * 300);
    }
    await sleep(1000);
    expect(Math.round((await skewMs(r1)) / HOUR)).toBe(base + 10);
    const wd = watchdog.slice(wdFrom);
    let wdGap = 0;
    for (let i = 1; i < wd.length; i++) wdGap = Math.max(wdGap, wd[i]! - wd[i - 1]!);
    expect(r1.logged((l) => l.event === 'engine-stalled')).toEqual([]);
    expect(wdGap).toBeLessThan(900);
    expect(r1.logged((l) => l.event === 'state-change').length).toBe(changes);
    expect((await r1.instance()).state).toBe('master');
    console.log(`ten +1 h steps on r1: longest WATCHDOG=1 gap ${wdGap.toFixed(0)} ms, no engine-stalled`);
  });
});
