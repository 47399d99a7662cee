// The timeout of an HTTP check in its thread (src/check/http-pool.ts) counts from when the
// thread starts the attempt, not from when the main thread handed it over; waiting for the
// thread is bounded apart, and an attempt that waited too long comes back as not run
// (ProbeResult.notRun), never as the server's failure. The main thread is kept busy on
// purpose (a synchronous spin) right after handing attempts over, as a saturated process
// would be: their message to the thread leaves only when the spin ends.
import { existsSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEADLINE_MARGIN_MS, HttpCheckPool } from '../../src/check/http-pool.js';
import { CheckAbort, type ProbeResult } from '../../src/check/probe.js';
import { inCI } from '../helpers/env.js';

const entry = new URL('../../dist/src/check/http-worker.js', import.meta.url);
const built = existsSync(fileURLToPath(entry));
if (!built && inCI) throw new Error('dist/src/check/http-worker.js missing: run npm run build first');
const LO = '127.0.0.1';

const spin = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // the main thread is busy
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!built)('HTTP check threads: timeout and queueing', () => {
  let pool: HttpCheckPool;
  let server: http.Server;
  let port: number;
  const hung: http.ServerResponse[] = [];
  beforeAll(async () => {
    pool = new HttpCheckPool(entry, 1);
    server = http.createServer((req, res) => {
      if (req.url === '/hang') hung.push(res);
      else if (req.url === '/slow') setTimeout(() => res.end('ok'), 150);
      else res.end('ok');
    });
    port = await new Promise<number>((resolve) =>
      server.listen(0, LO, () => resolve((server.address() as net.AddressInfo).port)),
    );
    // until its thread is online an attempt runs in this thread: wait for it
    const threads = (pool as unknown as { threads: Array<{ online: boolean } | null> }).threads;
    const warm = pool.probe({ host: LO, port, path: '/', tls: false, timeoutMs: 5000 });
    for (let i = 0; i < 100 && !threads[0]?.online; i++) {
      await new Promise<ProbeResult>((r) => warm.start?.(r));
      await sleep(50);
    }
    expect(threads[0]?.online).toBe(true);
  });
  afterAll(async () => {
    pool.close();
    for (const r of hung) r.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  /** Starts one attempt, keeps the main thread busy for `busyMs`, returns the result and its time. */
  const attempt = async (path: string, timeoutMs: number, busyMs: number) => {
    const p = pool.probe({ host: LO, port, path, tls: false, timeoutMs });
    const t0 = performance.now();
    const res = new Promise<ProbeResult>((resolve) => p.start?.(resolve));
    spin(busyMs);
    const r = await res;
    return { r, ms: performance.now() - t0, probe: p };
  };

  it('the scheduler backstop is the timeout plus the queue limit plus a margin', () => {
    const p = pool.probe({ host: LO, port, path: '/', tls: false, timeoutMs: 700 });
    expect(p.deadlineSlackMs).toBe(700 + DEADLINE_MARGIN_MS);
  });

  it('a healthy but slow server passes although the attempt waited before it started', async () => {
    // handed over, then 250 ms before the thread sees it; the server answers 150 ms later:
    // ~400 ms after the hand-over, more than the 300 ms timeout, well within it from the start
    const { r, ms } = await attempt('/slow', 300, 250);
    expect(r).toMatchObject({ ok: true });
    expect(ms).toBeGreaterThan(300);
  });

  it('the timeout counts from the start in the thread: a hung server fails after it, naming it', async () => {
    const { r, ms } = await attempt('/hang', 300, 200);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.notRun).toBeUndefined();
    expect(!r.ok && r.reason).toBe(`GET http://${LO}:${port}/hang: request timed out after 300 ms`);
    // 200 ms waiting + 300 ms timeout (generous upper bound for a loaded machine)
    expect(ms).toBeGreaterThanOrEqual(480);
    expect(ms).toBeLessThan(5000);
  });

  it('an attempt that waited longer than its limit is not run, and says so', async () => {
    const { r, ms } = await attempt('/', 200, 350);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.notRun).toBe(true);
    expect(!r.ok && r.reason).toMatch(
      new RegExp(
        `^GET http://${LO}:${port}/: not run: waited \\d+ ms for an HTTP check thread \\(limit 200 ms; the threads are saturated\\)$`,
      ),
    );
    expect(ms).toBeLessThan(5000);
  });

  it("the scheduler's backstop (CHECK_TIMEOUT) reports not run; other aborts stay failures", async () => {
    const p = pool.probe({ host: LO, port, path: '/hang', tls: false, timeoutMs: 60_000 });
    const got: ProbeResult[] = [];
    const run = p.start?.((r) => got.push(r));
    await sleep(100);
    run?.abort(new CheckAbort('CHECK_TIMEOUT', 'timed out after 61000 ms'));
    await sleep(20);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      ok: false,
      notRun: true,
      reason: expect.stringMatching(/: not run: no result from its HTTP check thread after \d+ ms/),
    });
    const got2: ProbeResult[] = [];
    const run2 = p.start?.((r) => got2.push(r));
    await sleep(50);
    run2?.abort(new CheckAbort('CHECK_STOPPED', 'check removed'));
    await sleep(20);
    expect(got2[0]).toMatchObject({ ok: false, reason: `GET http://${LO}:${port}/hang: check removed` });
    expect(got2[0] && !got2[0].ok && got2[0].notRun).toBeUndefined();
  });
});
