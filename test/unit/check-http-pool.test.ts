// HTTP checks in worker threads (src/check/http-pool.ts): the built thread entry
// (dist/, `npm run build`) against real servers on 127.0.0.1; results, reasons and aborts
// as the in-thread probe gives them.
import { existsSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpCheckPool, httpCheckThreads } from '../../src/check/http-pool.js';
import type { ProbeResult } from '../../src/check/probe.js';
import { inCI } from '../helpers/env.js';

const entry = new URL('../../dist/src/check/http-worker.js', import.meta.url);
const built = existsSync(fileURLToPath(entry));
if (!built && inCI) throw new Error('dist/src/check/http-worker.js missing: run npm run build first');
const LO = '127.0.0.1';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, LO, () => resolve((server.address() as net.AddressInfo).port)),
  );
}

describe.skipIf(!built)('HTTP check threads', () => {
  let pool: HttpCheckPool;
  let server: http.Server;
  let port: number;
  const hung: http.ServerResponse[] = [];
  beforeAll(async () => {
    pool = new HttpCheckPool(entry, 2);
    server = http.createServer((req, res) => {
      if (req.url === '/hang') hung.push(res);
      else if (req.url === '/missing') res.writeHead(404).end('no');
      else res.end('ok body');
    });
    port = await listen(server);
  });
  afterAll(async () => {
    pool.close();
    for (const r of hung) r.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const run = (path: string, extra: Record<string, unknown> = {}) =>
    new Promise<ProbeResult>((resolve) => {
      const p = pool.probe({ host: LO, port, path, tls: false, timeoutMs: 5000, ...extra });
      p.start?.(resolve);
    });

  it('a 200 is ok; a 404 fails naming the URL and status', async () => {
    expect(await run('/')).toMatchObject({ ok: true });
    const bad = await run('/missing');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.reason).toBe(`GET http://${LO}:${port}/missing: status 404 Not Found`);
    const body = await run('/', { expectBody: 'nope' });
    expect(!body.ok && body.reason).toMatch(/body does not contain "nope"/);
  });

  it('300 checks at once over two threads all succeed', async () => {
    const rs = await Promise.all(Array.from({ length: 300 }, () => run('/')));
    expect(rs.filter((r) => r.ok)).toHaveLength(300);
  });

  it('abort reports a failure naming the reason, once, without waiting for the thread', async () => {
    const p = pool.probe({ host: LO, port, path: '/hang', tls: false, timeoutMs: 60_000 });
    const results: ProbeResult[] = [];
    const t0 = performance.now();
    const run1 = p.start?.((r) => results.push(r));
    await new Promise((r) => setTimeout(r, 100));
    run1?.abort(new Error('check timed out after 100 ms'));
    expect(results).toHaveLength(0); // never synchronously
    await new Promise((r) => setTimeout(r, 50));
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      ok: false,
      reason: `GET http://${LO}:${port}/hang: check timed out after 100 ms`,
    });
    expect(performance.now() - t0).toBeLessThan(5000);
    // the promise form (AbortSignal) too
    const ac = new AbortController();
    const pr = p(ac.signal);
    ac.abort(new Error('stopped'));
    expect(await pr).toMatchObject({ ok: false, reason: expect.stringMatching(/stopped$/) });
  });

  it('VRRPD_HTTP_CHECK_THREADS chooses the size; 0 keeps checks in the main thread', () => {
    expect(httpCheckThreads({ VRRPD_HTTP_CHECK_THREADS: '0' })).toBe(0);
    expect(httpCheckThreads({ VRRPD_HTTP_CHECK_THREADS: '3' })).toBe(3);
    expect(httpCheckThreads({})).toBeGreaterThanOrEqual(1);
    expect(httpCheckThreads({})).toBeLessThanOrEqual(4);
  });
});
