// TCP and HTTP(S) probes against real servers on 127.0.0.1 (no root needed).
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpProbe } from '../../src/check/http.js';
import { CheckAbort, type ProbeResult } from '../../src/check/probe.js';
import { tcpProbe } from '../../src/check/tcp.js';
import { fastConnectAvailable, nativeTcpConnector } from '../../src/effects/tcp-connect.js';
import { missing } from '../helpers/env.js';

/** the addon's prober, as the daemon hands it to the checks */
const connector = nativeTcpConnector();

const never = new AbortController().signal;
const LO = '127.0.0.1';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, LO, () => resolve((server.address() as net.AddressInfo).port)),
  );
}
function close(server: net.Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}
/** A port that was just free: listen, note it, close. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  const p = await listen(s);
  await close(s);
  return p;
}
async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}
function expectFail(r: ProbeResult, re: RegExp): void {
  expect(r.ok, JSON.stringify(r)).toBe(false);
  if (!r.ok) expect(r.reason).toMatch(re);
}

it('the native TCP prober is available', () => {
  // Without the addon, plain checks silently use net.Socket; this says so loudly.
  expect(fastConnectAvailable()).toBe(true);
});

describe('tcp probe', () => {
  let echo: net.Server;
  let banner: net.Server;
  let silent: net.Server;
  let echoPort = 0;
  let bannerPort = 0;
  let silentPort = 0;
  const silentSockets: net.Socket[] = [];
  beforeAll(async () => {
    // The probe ends connections with a reset by default: servers must expect ECONNRESET.
    echo = net.createServer((s) => s.on('error', () => {}).pipe(s));
    banner = net.createServer((s) => s.on('error', () => {}).end('220 ready\r\n'));
    silent = net.createServer((s) => {
      silentSockets.push(s);
      s.on('error', () => {});
    });
    [echoPort, bannerPort, silentPort] = await Promise.all([listen(echo), listen(banner), listen(silent)]);
  });
  afterAll(async () => {
    for (const s of silentSockets) s.destroy();
    await Promise.all([close(echo), close(banner), close(silent)]);
  });

  for (const engine of ['auto', 'socket'] as const) {
    describe(`plain connect (engine ${engine})`, () => {
      it('connects to a listening port', async () => {
        const r = await tcpProbe({ host: LO, port: echoPort, engine }, connector)(never);
        expect(r.ok).toBe(true);
        expect(r.latencyMs).toBeGreaterThanOrEqual(0);
        expect(r.latencyMs).toBeLessThan(5000);
      });

      it('fails on a closed port with the errno in the reason', async () => {
        const port = await closedPort();
        expectFail(
          await tcpProbe({ host: LO, port, engine }, connector)(never),
          new RegExp(`^connect ECONNREFUSED ${LO}:${port}$`),
        );
      });

      it('an abort ends the attempt with the abort reason', async () => {
        const ac = new AbortController();
        const p = tcpProbe({ host: LO, port: echoPort, engine }, connector)(ac.signal);
        ac.abort(new CheckAbort('CHECK_STOPPED', 'checks stopped'));
        expectFail(await p, new RegExp(`checks stopped \\(${LO}:${echoPort}\\)`));
        const pre = await tcpProbe({ host: LO, port: echoPort, engine }, connector)(ac.signal);
        expectFail(pre, /checks stopped/);
      });

      it('IPv6 loopback', async () => {
        const s = net.createServer((c) => c.on('error', () => {}).end());
        const port = await new Promise<number>((resolve) =>
          s.listen(0, '::1', () => resolve((s.address() as net.AddressInfo).port)),
        );
        try {
          expect((await tcpProbe({ host: '::1', port, engine }, connector)(never)).ok).toBe(true);
          await close(s);
          expectFail(
            await tcpProbe({ host: '::1', port, engine }, connector)(never),
            new RegExp(`ECONNREFUSED \\[?::1\\]?:${port}`),
          );
        } finally {
          s.close();
        }
      });
    });
  }

  it('send/expect: echo matches, wrong expectation fails when the peer closes', async () => {
    expect(
      (await tcpProbe({ host: LO, port: echoPort, send: 'PING\n', expect: 'PING' }, connector)(never)).ok,
    ).toBe(true);
    expect((await tcpProbe({ host: LO, port: bannerPort, expect: '220 ' }, connector)(never)).ok).toBe(true);
    expectFail(
      await tcpProbe({ host: LO, port: bannerPort, expect: '+OK' }, connector)(never),
      /closed the connection.*220 ready/,
    );
  });

  it('expect on a silent peer ends when the signal aborts', async () => {
    const ac = new AbortController();
    const p = tcpProbe({ host: LO, port: silentPort, expect: 'hello' }, connector)(ac.signal);
    setTimeout(() => ac.abort(new CheckAbort('CHECK_TIMEOUT', 'timed out after 200 ms')), 200);
    const r = await p;
    expectFail(r, /timed out after 200 ms/);
    expect(r.latencyMs).toBeGreaterThanOrEqual(150);
    expect(r.latencyMs).toBeLessThan(5000);
  });

  it('closes with a reset by default (no TIME_WAIT on the director), or gracefully on request', async () => {
    const seen: string[] = [];
    const s = net.createServer((c) => {
      c.on('error', (e: NodeJS.ErrnoException) => seen.push(e.code ?? 'error'));
      c.on('end', () => seen.push('end'));
      c.resume();
    });
    const port = await listen(s);
    try {
      expect((await tcpProbe({ host: LO, port }, connector)(never)).ok).toBe(true);
      await until(() => seen.length === 1);
      expect((await tcpProbe({ host: LO, port, engine: 'socket' }, connector)(never)).ok).toBe(true);
      await until(() => seen.length === 2);
      expect(seen).toEqual(['ECONNRESET', 'ECONNRESET']);
      expect((await tcpProbe({ host: LO, port, close: 'graceful' }, connector)(never)).ok).toBe(true);
      await until(() => seen.length === 3);
      expect(seen).toEqual(['ECONNRESET', 'ECONNRESET', 'end']);
    } finally {
      await close(s);
    }
  });

  it('binds to the requested source address', async () => {
    // The probe resets the connection as soon as it is up, often before the server accepts
    // it; getpeername() then fails on the server's side (Node's remoteAddress is undefined),
    // but accept(2) still reports the peer. Python's accept() passes that address on.
    const server = spawn(
      'python3',
      [
        '-c',
        [
          'import socket, sys',
          's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)',
          'print(s.getsockname()[1], flush=True)',
          'while True:',
          '    c, a = s.accept(); print(a[0], flush=True); c.close()',
        ].join('\n'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines: string[] = [];
    let buf = '';
    server.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
      }
    });
    try {
      await until(() => lines.length > 0, 10_000);
      const port = Number(lines.shift());
      expect(port).toBeGreaterThan(0);
      for (const engine of ['auto', 'socket'] as const) {
        lines.length = 0;
        expect(
          (await tcpProbe({ host: LO, port, bindAddress: '127.0.0.7', engine }, connector)(never)).ok,
        ).toBe(true);
        await until(() => lines.length > 0);
        expect(lines).toEqual(['127.0.0.7']);
        expectFail(
          await tcpProbe({ host: LO, port, bindAddress: '192.0.2.1', engine }, connector)(never),
          /EADDRNOTAVAIL/,
        );
      }
    } finally {
      server.kill('SIGKILL');
    }
  });
});

describe('http probe', () => {
  let server: http.Server;
  let port = 0;
  const seen: { host?: string; path?: string; connection?: string }[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ host: req.headers.host, path: req.url, connection: req.headers.connection });
      if (req.url === '/ok') return res.end('all good here');
      if (req.url === '/teapot') {
        res.statusCode = 418;
        return res.end('short and stout');
      }
      if (req.url === '/big') {
        res.write(Buffer.alloc(300_000, 'a'));
        return res.end('NEEDLE');
      }
      if (req.url === '/slow') return setTimeout(() => res.end('late'), 3000).unref();
      res.statusCode = 404;
      res.end('nope');
    });
    port = await listen(server);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await close(server);
  });
  const base = { host: LO, path: '/ok', tls: false } as const;

  it('accepts 2xx by default and sends Connection: close with the Host header', async () => {
    expect((await httpProbe({ ...base, port })(never)).ok).toBe(true);
    expect(seen.at(-1)).toEqual({ host: `${LO}:${port}`, path: '/ok', connection: 'close' });
  });

  it('status list', async () => {
    expectFail(await httpProbe({ ...base, port, path: '/missing' })(never), /status 404/);
    expect((await httpProbe({ ...base, port, path: '/teapot', status: [200, 418] })(never)).ok).toBe(true);
    expectFail(await httpProbe({ ...base, port, status: [204] })(never), /status 200/);
  });

  it('body substring', async () => {
    expect((await httpProbe({ ...base, port, expectBody: 'good' })(never)).ok).toBe(true);
    expectFail(await httpProbe({ ...base, port, expectBody: 'bad' })(never), /does not contain "bad"/);
    expectFail(
      await httpProbe({ ...base, port, path: '/big', expectBody: 'NEEDLE', maxBodyBytes: 1000 })(never),
      /within the first 1000 bytes/,
    );
    expect((await httpProbe({ ...base, port, path: '/big', expectBody: 'NEEDLE' })(never)).ok).toBe(true);
  });

  it('digest md5 and sha256', async () => {
    const md5 = createHash('md5').update('all good here').digest('hex');
    const sha = createHash('sha256').update('all good here').digest('hex');
    expect((await httpProbe({ ...base, port, digest: { algo: 'md5', hex: md5 } })(never)).ok).toBe(true);
    expect(
      (await httpProbe({ ...base, port, digest: { algo: 'sha256', hex: sha.toUpperCase() } })(never)).ok,
    ).toBe(true);
    expectFail(
      await httpProbe({ ...base, port, digest: { algo: 'md5', hex: '0'.repeat(32) } })(never),
      /md5 .* expected 0{32}/,
    );
  });

  it('Host header override', async () => {
    expect((await httpProbe({ ...base, port, hostHeader: 'www.example.com' })(never)).ok).toBe(true);
    expect(seen.at(-1)?.host).toBe('www.example.com');
  });

  it('total timeout and connection refused', async () => {
    const r = await httpProbe({ ...base, port, path: '/slow', timeoutMs: 300 })(never);
    expectFail(r, /request timed out after 300 ms/);
    expect(r.latencyMs).toBeLessThan(5000);
    expectFail(await httpProbe({ ...base, port: await closedPort() })(never), /ECONNREFUSED/);
  });
});

describe('https probe with a certificate made by the test', () => {
  const why = missing({ commands: ['openssl'] });
  let dir = '';
  let server: https.Server;
  let port = 0;
  let cert: Buffer;
  const sni: (string | undefined)[] = [];
  const peers: (string | undefined)[] = [];
  beforeAll(async () => {
    if (why) return;
    dir = mkdtempSync(join(tmpdir(), `vrrpd-check-tls-${process.pid}-`));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=check.example',
        '-addext',
        'subjectAltName=DNS:check.example',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'cert.pem'));
    const key = readFileSync(join(dir, 'key.pem'));
    server = https.createServer({ cert, key }, (req, res) => res.end(`hello ${req.headers.host}`));
    server.on('secureConnection', (s) => {
      sni.push((s as unknown as { servername?: string | false }).servername || undefined);
      peers.push(s.remoteAddress);
    });
    port = await listen(server);
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await close(server);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const base = { host: LO, path: '/', tls: true } as const;

  it.skipIf(why)('verification on: a self-signed certificate fails with a clear reason', async () => {
    expectFail(
      await httpProbe({ ...base, port, sni: 'check.example' })(never),
      /TLS verification failed: .*self.signed/i,
    );
  });

  it.skipIf(why)('verification off: ok, and no SNI for an IP literal', async () => {
    expect((await httpProbe({ ...base, port, tlsVerify: false })(never)).ok).toBe(true);
    expect(sni.at(-1)).toBeUndefined();
  });

  it.skipIf(why)('SNI and Host are sent; with the CA trusted, verification passes', async () => {
    const r = await httpProbe({
      ...base,
      port,
      sni: 'check.example',
      ca: cert,
      expectBody: 'hello check.example',
    })(never);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(sni.at(-1)).toBe('check.example');
  });

  it.skipIf(why)('binds HTTPS checks to the requested source address', async () => {
    const r = await httpProbe({ ...base, port, tlsVerify: false, bindAddress: '127.0.0.7' })(never);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(peers.at(-1)).toBe('127.0.0.7');
  });

  it.skipIf(why)('with the CA trusted, a wrong name still fails verification', async () => {
    expectFail(
      await httpProbe({ ...base, port, sni: 'other.example', ca: cert })(never),
      /TLS verification failed/,
    );
  });
});
