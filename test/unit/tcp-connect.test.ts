// The native TCP prober (native/src/tcp_prober.cc via src/effects/tcp-connect.ts) against real
// listeners on loopback: outcomes, reasons, cancel, batches larger than the shared output
// array, no leaked descriptors, and a loop that is kept alive only while attempts run.
import { execFile, execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConnectTarget,
  connectOnce,
  connectSocketsIdle,
  connectsInFlight,
  connectTarget,
  fastConnectAvailable,
} from '../../src/effects/tcp-connect.js';
import { addon } from '../../src/native/index.js';

const LO = '127.0.0.1';

/** Listens with a deep accept queue: the bursts below would overflow Node's default 511 and
 * wait for SYN retransmits (1 s, 3 s, ...), which only makes the tests slow. */
function listen(server: net.Server, host = LO): Promise<number> {
  return new Promise((resolve) =>
    server.listen({ port: 0, host, backlog: 4096 }, () =>
      resolve((server.address() as net.AddressInfo).port),
    ),
  );
}
function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
function attempt(target: ConnectTarget): Promise<string | null> {
  return new Promise((resolve) => connectOnce(target, resolve));
}
async function freePort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s);
  await closeServer(s);
  return port;
}
/** Open descriptors, not counting the prober's idle sockets kept for reuse. */
const openFds = () => readdirSync('/proc/self/fd').length - connectSocketsIdle();
const tick = () => new Promise((r) => setTimeout(r, 20));
/** The server's side of the connections closes asynchronously: wait for the count to settle. */
async function fdsBackTo(limit: number): Promise<number> {
  const end = Date.now() + 5000;
  let n = openFds();
  while (n > limit && Date.now() < end) {
    await tick();
    n = openFds();
  }
  return n;
}

describe('native TCP prober', () => {
  let server: net.Server;
  let port = 0;
  beforeAll(async () => {
    expect(fastConnectAvailable()).toBe(true);
    // The prober resets each connection at once: the server sees ECONNRESET or nothing.
    server = net.createServer((c) => c.on('error', () => {}).end());
    port = await listen(server);
  });
  afterAll(() => closeServer(server));

  it('reports a completed handshake as null and leaves nothing in flight', async () => {
    expect(await attempt(connectTarget(LO, 4, port))).toBeNull();
    expect(connectsInFlight()).toBe(0);
  });

  it('names the errno and the target of a refused connect', async () => {
    const closed = await freePort();
    expect(await attempt(connectTarget(LO, 4, closed))).toBe(`connect ECONNREFUSED 127.0.0.1:${closed}`);
  });

  it('IPv6: succeeds on ::1 and brackets the address in reasons', async () => {
    const s6 = net.createServer((c) => c.on('error', () => {}).end());
    const p6 = await listen(s6, '::1');
    try {
      expect(await attempt(connectTarget('::1', 6, p6))).toBeNull();
      const closed = await freePort();
      expect(await attempt(connectTarget('::1', 6, closed))).toBe(`connect ECONNREFUSED [::1]:${closed}`);
    } finally {
      await closeServer(s6);
    }
  });

  it('reports a failed bind with the bind address, asynchronously', async () => {
    let sync = true;
    const p = new Promise<string | null>((resolve) =>
      connectOnce(connectTarget(LO, 4, port, '192.0.2.1'), (r) => {
        expect(sync).toBe(false);
        resolve(r);
      }),
    );
    sync = false;
    expect(await p).toBe('bind EADDRNOTAVAIL 192.0.2.1');
  });

  it('a cancelled attempt is never reported and its socket is closed', async () => {
    const before = openFds();
    // 192.0.2.0/24 is not routed from this host's loopback test set-up: either the connect
    // fails at once (ENETUNREACH, reported on a microtask that cancel() beats) or it hangs
    // until cancelled. Either way the callback must not run.
    let called = 0;
    const attempts = Array.from({ length: 20 }, () =>
      connectOnce(connectTarget('192.0.2.1', 4, 9), () => {
        called++;
      }),
    );
    for (const a of attempts) a.cancel();
    await tick();
    expect(called).toBe(0);
    expect(connectsInFlight()).toBe(0);
    expect(openFds()).toBeLessThanOrEqual(before);
  });

  it('a cancel after completion is harmless; a cancel during a batch does not touch reused slots', async () => {
    const targets = Array.from({ length: 50 }, () => connectTarget(LO, 4, port));
    const results: Array<string | null> = [];
    const attempts: ReturnType<typeof connectOnce>[] = [];
    await new Promise<void>((resolve) => {
      for (const t of targets) {
        attempts.push(
          connectOnce(t, (r) => {
            results.push(r);
            // Cancel every attempt (finished or not) and start a fresh one from inside the batch.
            for (const a of attempts) a.cancel();
            if (results.length === 1) {
              connectOnce(targets[0]!, (r2) => {
                results.push(r2);
                resolve();
              });
            }
          }),
        );
      }
    });
    await tick();
    // The first completion cancelled the rest; the fresh attempt started inside the batch completed.
    expect(results).toEqual([null, null]);
    expect(connectsInFlight()).toBe(0);
  });

  it('3,000 attempts at once (several batches of 1,024): each reported exactly once, no fd leaked', async () => {
    const before = openFds();
    const target = connectTarget(LO, 4, port);
    const seen = new Uint8Array(3000);
    const failures: string[] = [];
    await new Promise<void>((resolve) => {
      let left = seen.length;
      for (let i = 0; i < seen.length; i++) {
        connectOnce(target, (r) => {
          seen[i]!++;
          if (r) failures.push(r);
          if (--left === 0) resolve();
        });
      }
    });
    await tick();
    expect(Math.max(...seen)).toBe(1);
    expect(Math.min(...seen)).toBe(1);
    // The listen backlog may overflow under this burst; only ECONNREFUSED-free outcomes count.
    expect(failures.filter((f) => !/ETIMEDOUT|ECONNRESET|ECONNREFUSED/.test(f))).toEqual([]);
    expect(connectsInFlight()).toBe(0);
    expect(await fdsBackTo(before)).toBeLessThanOrEqual(before);
  });

  it("stress: callbacks that cancel and start attempts mid-batch never get another attempt's outcome", async () => {
    const closed = await freePort();
    const good = connectTarget(LO, 4, port);
    const bad = connectTarget(LO, 4, closed);
    type A = { handle: ReturnType<typeof connectOnce>; good: boolean; calls: number; cancelled: boolean };
    const all: A[] = [];
    const wrong: string[] = [];
    let started = 0;
    let settled = 0;
    await new Promise<void>((resolve) => {
      const launch = () => {
        const isGood = started % 2 === 0;
        started++;
        const a: A = { handle: undefined as never, good: isGood, calls: 0, cancelled: false };
        a.handle = connectOnce(isGood ? good : bad, (r) => {
          a.calls++;
          settled++;
          if (a.cancelled) wrong.push('callback after cancel');
          if ((r === null) !== a.good) wrong.push(`${a.good ? 'good' : 'refused'} target reported ${r}`);
          // Cancel some attempt still in flight and start two more, from inside the batch.
          const victim = all[(settled * 7919) % all.length]!;
          if (victim.calls === 0 && !victim.cancelled) {
            victim.cancelled = true;
            victim.handle.cancel();
            settled++;
          }
          if (started < 6000) {
            launch();
            launch();
          }
          if (settled >= started) resolve();
        });
        all.push(a);
      };
      for (let i = 0; i < 2500; i++) launch();
    });
    await tick();
    expect(wrong).toEqual([]);
    expect(all.every((a) => a.calls === (a.cancelled ? 0 : 1))).toBe(true);
    expect(connectsInFlight()).toBe(0);
  });

  it('native, small batches: a slot cancelled mid-drain is not reused before the drain ends', async () => {
    // A 7-pair output array flushes in the middle of an epoll result, so a callback can cancel
    // an attempt whose event is still waiting in that result and start a new one.
    const native = addon();
    const closed = await freePort();
    const good = native.sockaddrBytes({ address: LO, port });
    const bad = native.sockaddrBytes({ address: LO, port: closed });
    const out = new Int32Array(14);
    type A = { good: boolean; calls: number; cancelled: boolean };
    const bySlot = new Map<number, A>();
    const wrong: string[] = [];
    let started = 0;
    let pending = 0;
    let resolveAll = () => {};
    const allDone = new Promise<void>((r) => {
      resolveAll = r;
    });
    const prober = new native.TcpProber(out, (pairs) => {
      for (let i = 0; i < pairs; i++) {
        const slot = out[2 * i]!;
        const err = out[2 * i + 1]!;
        const a = bySlot.get(slot);
        if (!a) {
          wrong.push(`outcome for unknown slot ${slot}`);
          continue;
        }
        bySlot.delete(slot);
        a.calls++;
        pending--;
        if (a.cancelled) wrong.push('outcome after cancel');
        if ((err === 0) !== a.good) wrong.push(`${a.good ? 'good' : 'refused'} target got errno ${err}`);
        // Cancel every other attempt still connecting, then start new ones (which take the
        // freed slots first if they were freed too early).
        for (const [vslot, v] of bySlot) {
          if (v.calls === 0 && !v.cancelled && (vslot + i) % 2 === 0) {
            if (prober.cancel(vslot)) {
              v.cancelled = true;
              bySlot.delete(vslot);
              pending--;
            }
            break;
          }
        }
        if (started < 4000) {
          launch();
          launch();
        }
      }
      if (pending === 0) resolveAll();
    });
    const launch = () => {
      const isGood = started++ % 3 !== 0;
      const slot = prober.start(isGood ? good : bad);
      expect(slot).toBeGreaterThanOrEqual(0);
      bySlot.set(slot, { good: isGood, calls: 0, cancelled: false });
      pending++;
    };
    try {
      for (let i = 0; i < 1500; i++) launch();
      await allDone;
      expect(wrong.slice(0, 5)).toEqual([]);
      expect(prober.inFlight()).toBe(0);
    } finally {
      prober.close();
    }
  });

  it('reuses the socket of a succeeded attempt for a real new handshake, with an RST and no TIME_WAIT', async () => {
    let connections = 0;
    const counting = net.createServer((c) => {
      connections++;
      c.on('error', () => {});
    });
    const cport = await listen(counting);
    const closed = await freePort();
    try {
      const ok = connectTarget(LO, 4, cport);
      const refused = connectTarget(LO, 4, closed);
      expect(await attempt(ok)).toBeNull();
      const idle = connectSocketsIdle();
      expect(idle).toBeGreaterThanOrEqual(1);
      // Sequential attempts take the idle socket every time: success, refusal, success...
      for (let i = 0; i < 20; i++) {
        expect(await attempt(ok)).toBeNull();
        expect(await attempt(refused)).toBe(`connect ECONNREFUSED 127.0.0.1:${closed}`);
      }
      // A refused socket is not kept, a succeeded one is: the idle count did not grow.
      expect(connectSocketsIdle()).toBeLessThanOrEqual(idle);
      const end = Date.now() + 5000;
      while (connections < 21 && Date.now() < end) await tick();
      expect(connections).toBe(21);
      // No TIME_WAIT on the checker's side: every connection ended with an RST.
      const tw = execFileSync('ss', ['-Htan', 'state', 'time-wait', `( dport = :${cport} )`])
        .toString()
        .trim();
      expect(tw).toBe('');
    } finally {
      await closeServer(counting);
    }
  });

  it('keeps the process alive while an attempt is in flight and lets it exit when idle', async () => {
    const mod = fileURLToPath(new URL('../../src/effects/tcp-connect.ts', import.meta.url));
    // A child that starts one attempt and does nothing else: it must print the outcome (the
    // loop stayed alive for it) and then exit by itself (the idle prober holds no reference).
    const script = `
      import { connectOnce, connectTarget } from ${JSON.stringify(mod)};
      connectOnce(connectTarget('127.0.0.1', 4, ${port}), (r) => console.log('outcome', r));
    `;
    const out = await new Promise<string>((resolve, reject) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { timeout: 20_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
      child.stdin?.end();
    });
    expect(out.trim()).toBe('outcome null');
  });
});
