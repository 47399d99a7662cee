// sd_notify against a NOTIFY_SOCKET the test itself listens on (no systemd here): a
// unix datagram socket bound with the native addon, path and abstract names, and
// WATCHDOG=1 sent from a worker_thread (where the VRRP engine's loop runs).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSdNotify, watchdogInterval } from '../../src/effects/sd-notify.js';
import { addon, c, type NativeSocket } from '../../src/native/index.js';
import { inCI } from '../helpers/env.js';

const haveAddon = existsSync(join(process.cwd(), 'native/build/Release/vrrpd_native.node'));
if (!haveAddon && inCI) throw new Error('test prerequisite missing in CI: native addon not built');

/** A listening NOTIFY_SOCKET: collects each datagram's text. */
function listen(path: string) {
  const sock: NativeSocket = new (addon().Socket)(c('AF_UNIX'), c('SOCK_DGRAM'), 0);
  sock.bind({ path });
  const got: string[] = [];
  const waiters: (() => void)[] = [];
  sock.startReading((err, msg) => {
    if (err || !msg) return;
    got.push(msg.data.toString());
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = async (n: number, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (got.length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} datagrams, got ${JSON.stringify(got)}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return got;
  };
  return { got, waitFor, close: () => sock.close() };
}

describe('watchdogInterval', () => {
  it('is half of WATCHDOG_USEC, for our pid only', () => {
    expect(watchdogInterval({ WATCHDOG_USEC: '10000000' }, 7)).toBe(5000);
    expect(watchdogInterval({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: '7' }, 7)).toBe(5000);
    expect(watchdogInterval({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: '8' }, 7)).toBeNull();
    expect(watchdogInterval({}, 7)).toBeNull();
    expect(watchdogInterval({ WATCHDOG_USEC: 'soon' }, 7)).toBeNull();
    expect(watchdogInterval({ WATCHDOG_USEC: '0' }, 7)).toBeNull();
  });
});

describe('createSdNotify without systemd', () => {
  it('is disabled and silent', () => {
    const sent: string[] = [];
    const n = createSdNotify({}, { send: (_p, d) => sent.push(d.toString()) });
    expect(n.enabled).toBe(false);
    expect(n.watchdogIntervalMs).toBeNull();
    n.ready('x');
    n.watchdog();
    expect(sent).toEqual([]);
    expect(createSdNotify({ NOTIFY_SOCKET: 'relative/path' }).enabled).toBe(false);
  });

  it('never throws when sending fails, and reports it', () => {
    const errors: string[] = [];
    const n = createSdNotify(
      { NOTIFY_SOCKET: '/nonexistent/notify' },
      {
        send: () => {
          throw new Error('ECONNREFUSED');
        },
        onError: (e) => errors.push(e.message),
      },
    );
    expect(() => n.ready()).not.toThrow();
    expect(errors).toEqual(['ECONNREFUSED']);
  });

  it('keeps STATUS on one line and carries MONOTONIC_USEC on RELOADING=1', () => {
    const sent: string[] = [];
    const n = createSdNotify(
      { NOTIFY_SOCKET: '/run/x' },
      { send: (_p, d) => sent.push(d.toString()), monotonicUsec: () => 123456789n },
    );
    n.status('line one\nREADY=1');
    n.reloading('reloading /etc/vrrpd/vrrpd.yaml');
    expect(sent).toEqual([
      'STATUS=line one READY=1\n',
      'RELOADING=1\nMONOTONIC_USEC=123456789\nSTATUS=reloading /etc/vrrpd/vrrpd.yaml\n',
    ]);
  });
});

describe.skipIf(!haveAddon)('sd_notify over a real NOTIFY_SOCKET', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `vsd${process.pid}-`));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sends READY=1, STATUS=, WATCHDOG=1, RELOADING=1, STOPPING=1 and MAINPID= to a path socket', async () => {
    const path = join(dir, 'notify');
    const l = listen(path);
    try {
      const n = createSdNotify({
        NOTIFY_SOCKET: path,
        WATCHDOG_USEC: '2000000',
        WATCHDOG_PID: String(process.pid),
      });
      expect(n.enabled).toBe(true);
      expect(n.watchdogIntervalMs).toBe(1000);
      n.ready('2 instances running: VI_1 master, VI_2 backup');
      n.status('VI_1 backup -> master');
      n.watchdog();
      n.reloading();
      n.ready();
      n.stopping('stopping: sending priority 0');
      n.mainPid(process.pid);
      const got = await l.waitFor(7);
      const before = process.hrtime.bigint() / 1000n;
      expect(got[0]).toBe('READY=1\nSTATUS=2 instances running: VI_1 master, VI_2 backup\n');
      expect(got[1]).toBe('STATUS=VI_1 backup -> master\n');
      expect(got[2]).toBe('WATCHDOG=1\n');
      const m = /^RELOADING=1\nMONOTONIC_USEC=(\d+)\n$/.exec(got[3]!);
      expect(m).not.toBeNull();
      const usec = BigInt(m![1]!);
      // CLOCK_MONOTONIC, taken moments ago
      expect(usec <= before && before - usec < 5_000_000n).toBe(true);
      expect(got.slice(4)).toEqual([
        'READY=1\n',
        'STOPPING=1\nSTATUS=stopping: sending priority 0\n',
        `MAINPID=${process.pid}\n`,
      ]);
    } finally {
      l.close();
    }
  });

  it('works with an abstract socket name', async () => {
    const name = `@vrrpd-test-${process.pid}-notify`;
    const l = listen(name);
    try {
      createSdNotify({ NOTIFY_SOCKET: name }).ready();
      expect(await l.waitFor(1)).toEqual(['READY=1\n']);
    } finally {
      l.close();
    }
  });

  it('pings the watchdog from a worker_thread loop', async () => {
    const path = join(dir, 'notify-worker');
    const l = listen(path);
    const moduleUrl = new URL('../../src/effects/sd-notify.ts', import.meta.url).href;
    // the worker loads TypeScript through tsx's API (vitest's transform does not reach workers)
    const tsxApi = pathToFileURL(join(process.cwd(), 'node_modules/tsx/dist/esm/api/index.mjs')).href;
    // the worker stands in for the VRRP engine: its own loop, its own addon instance
    const code = `
      const { tsImport } = await import(${JSON.stringify(tsxApi)});
      const { createSdNotify } = await tsImport(${JSON.stringify(moduleUrl)}, ${JSON.stringify(moduleUrl)});
      const { workerData, parentPort } = await import('node:worker_threads');
      const n = createSdNotify(workerData.env);
      let count = 0;
      const t = setInterval(() => {
        n.watchdog();
        if (++count === 3) { clearInterval(t); parentPort.postMessage(n.watchdogIntervalMs); }
      }, n.watchdogIntervalMs);
    `;
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), {
      workerData: {
        env: { NOTIFY_SOCKET: path, WATCHDOG_USEC: '100000', WATCHDOG_PID: String(process.pid) },
      },
    });
    try {
      const interval = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(interval).toBe(50);
      expect(await l.waitFor(3)).toEqual(['WATCHDOG=1\n', 'WATCHDOG=1\n', 'WATCHDOG=1\n']);
    } finally {
      await worker.terminate();
      l.close();
    }
  });
});
