// Probes inside network namespaces: a real HTTP server in one namespace, the checker in
// another, and a target behind an nft drop rule that must fail within the connect timeout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../src/check/probe.js';
import { missing } from '../helpers/env.js';
import { createTopology, type Topology } from '../helpers/netns.js';

const why = missing({ root: true, commands: ['ip', 'nft'] });
const TSX = 'node_modules/.bin/tsx';
const AGENT = 'test/netns/check-probe.agent.ts';

// A tiny server: HTTP on 8080 (/healthz ok, else 503), plain TCP on 8081 (dropped by nft)
// and 8082 (refused by nft with a TCP reset).
const SERVER = `
const http = require('node:http');
const net = require('node:net');
http.createServer((q, s) => { if (q.url === '/healthz') s.end('ok ' + q.headers.host); else { s.statusCode = 503; s.end('no'); } })
  .listen(8080, '0.0.0.0', () => console.log('ready'));
net.createServer((c) => c.on('error', () => {}).end()).listen(8081, '0.0.0.0');
net.createServer((c) => c.on('error', () => {}).end()).listen(8082, '0.0.0.0');
`;

describe.skipIf(why)('check probes in namespaces', () => {
  let topo: Topology;
  let srv = '';

  async function probe(kind: 'tcp' | 'http', opts: Record<string, unknown>, abortMs?: number) {
    const t0 = Date.now();
    const r = await topo.exec('chk', [TSX, AGENT, JSON.stringify({ kind, opts, abortMs })], {
      timeoutMs: 30_000,
    });
    const { leftover, ...result } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ProbeResult & {
      leftover: string[];
    };
    // No probe may leave a socket behind once it has reported, whatever the outcome.
    expect(leftover, `open handles after ${kind} ${JSON.stringify(opts)}`).toEqual([]);
    return { result: result as ProbeResult, wallMs: Date.now() - t0 };
  }

  beforeAll(async () => {
    topo = await createTopology({ hosts: ['chk', 'srv'] });
    srv = topo.host('srv').ipv4;
    const child = topo.spawn('srv', ['node', '-e', SERVER]);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('server in namespace did not start')), 20_000);
      child.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    // One nft invocation inside the server's namespace: 8081 silently dropped, 8082 reset.
    await topo.exec('srv', [
      'sh',
      '-c',
      `nft 'add table inet vrrpdchk; add chain inet vrrpdchk input { type filter hook input priority 0; }; ` +
        `add rule inet vrrpdchk input tcp dport 8081 drop; ` +
        `add rule inet vrrpdchk input tcp dport 8082 reject with tcp reset'`,
    ]);
  });
  afterAll(async () => {
    await topo?.cleanup();
  });

  it('HTTP check against a server in another namespace: status, body, Host header', async () => {
    const { result } = await probe('http', {
      host: srv,
      port: 8080,
      path: '/healthz',
      tls: false,
      status: [200],
      expectBody: `ok ${srv}:8080`,
      bindAddress: topo.host('chk').ipv4,
      connectTimeoutMs: 2000,
      timeoutMs: 5000,
    });
    expect(result.ok, JSON.stringify(result)).toBe(true);
    const bad = await probe('http', { host: srv, port: 8080, path: '/other', tls: false, timeoutMs: 5000 });
    expect(bad.result).toMatchObject({ ok: false, reason: expect.stringMatching(/status 503/) });
  });

  for (const engine of ['auto', 'socket'] as const) {
    it(`a target behind an nft drop rule fails within the connect timeout (engine ${engine})`, async () => {
      const { result } = await probe('tcp', { host: srv, port: 8081, connectTimeoutMs: 500, engine });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toBe(`connect to ${srv}:8081 timed out after 500 ms`);
      expect(result.latencyMs).toBeGreaterThanOrEqual(450);
      expect(result.latencyMs).toBeLessThan(2500);
    });
  }

  it('…and within the check timeout when only the scheduler aborts', async () => {
    const { result } = await probe('tcp', { host: srv, port: 8081 }, 700);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toBe(`timed out after 700 ms (${srv}:8081)`);
    expect(result.latencyMs).toBeLessThan(2700);
    const h = await probe('http', {
      host: srv,
      port: 8081,
      path: '/',
      tls: false,
      connectTimeoutMs: 400,
      timeoutMs: 3000,
    });
    expect(h.result).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/connect timed out after 400 ms/),
    });
  });

  it('a rejected port fails fast and the plain TCP port behind no rule passes', async () => {
    const refused = await probe('tcp', { host: srv, port: 8082, connectTimeoutMs: 3000 });
    expect(refused.result).toMatchObject({ ok: false, reason: expect.stringMatching(/ECONNREFUSED/) });
    expect(refused.result.latencyMs).toBeLessThan(1000);
    const ok = await probe('tcp', { host: srv, port: 8080, connectTimeoutMs: 3000 });
    expect(ok.result.ok).toBe(true);
  });
});
