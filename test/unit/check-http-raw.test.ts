// The HTTP probe against hand-written responses from a raw TCP server on 127.0.0.1: the
// framings real servers use (chunked, close-delimited HTTP/1.0, interim 100), broken
// servers (not HTTP, closing early), the exact request bytes, and no TIME_WAIT left behind.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpProbe } from '../../src/check/http.js';
import type { ProbeResult } from '../../src/check/probe.js';

const never = new AbortController().signal;
const LO = '127.0.0.1';

/** What the raw server answers per request path (the whole response, written at once or in parts). */
const answers: Record<string, { parts: string[]; end?: boolean; gapMs?: number }> = {
  '/chunked': {
    parts: [
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
      '6\r\nall go\r\n',
      '7;ext=1\r\nod here\r\n0\r\n\r\n',
    ],
    gapMs: 5,
  },
  '/http10': { parts: ['HTTP/1.0 200 OK\r\nServer: old\r\n\r\nall good', ' here'], end: true, gapMs: 5 },
  '/continue': {
    parts: ['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nall good here'],
    gapMs: 5,
  },
  '/ssh': { parts: ['SSH-2.0-OpenSSH_9.2\r\n\r\n'] },
  '/short': { parts: ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this'], end: true },
  '/nothing': { parts: [], end: true },
  '/503': { parts: ['HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy'] },
};

describe('http probe against raw responses', () => {
  let server: net.Server;
  let port = 0;
  const requests: string[] = [];
  beforeAll(async () => {
    server = net.createServer((c) => {
      c.on('error', () => {});
      let got = '';
      c.on('data', async (d: Buffer) => {
        got += d.toString('latin1');
        if (!got.includes('\r\n\r\n')) return;
        requests.push(got);
        const path = got.split(' ')[1] ?? '';
        const a = answers[path] ?? { parts: ['HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'] };
        for (const p of a.parts) {
          if (c.destroyed) return;
          c.write(p);
          if (a.gapMs) await new Promise((r) => setTimeout(r, a.gapMs));
        }
        // Connection: close was asked for: the server closes after the response.
        c.end();
      });
    });
    port = await new Promise<number>((resolve) =>
      server.listen(0, LO, () => resolve((server.address() as net.AddressInfo).port)),
    );
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const base = { host: LO, tls: false } as const;
  const md5 = createHash('md5').update('all good here').digest('hex');
  const fails = (r: ProbeResult, re: RegExp) => {
    expect(r.ok, JSON.stringify(r)).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(re);
  };

  it('writes one exact HTTP/1.1 request with Host, Connection: close and nothing else', async () => {
    expect((await httpProbe({ ...base, port, path: '/chunked' })(never)).ok).toBe(true);
    expect(requests.at(-1)).toBe(
      `GET /chunked HTTP/1.1\r\nHost: ${LO}:${port}\r\nUser-Agent: vrrpd-check\r\nAccept: */*\r\nConnection: close\r\n\r\n`,
    );
  });

  it('digest and substring over a chunked body arriving in parts', async () => {
    const r = await httpProbe({ ...base, port, path: '/chunked', digest: { algo: 'md5', hex: md5 } })(never);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect((await httpProbe({ ...base, port, path: '/chunked', expectBody: 'good here' })(never)).ok).toBe(
      true,
    );
  });

  it('an HTTP/1.0 body delimited by the connection close', async () => {
    const r = await httpProbe({ ...base, port, path: '/http10', digest: { algo: 'md5', hex: md5 } })(never);
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });

  it('an interim 100 Continue before the final response', async () => {
    expect((await httpProbe({ ...base, port, path: '/continue', expectBody: 'all good' })(never)).ok).toBe(
      true,
    );
  });

  it('broken servers: not HTTP, closed before the response, body cut short; status with reason', async () => {
    fails(await httpProbe({ ...base, port, path: '/ssh' })(never), /not an HTTP\/1.x response: "SSH-2.0/);
    fails(await httpProbe({ ...base, port, path: '/nothing' })(never), /connection closed before a response/);
    fails(
      await httpProbe({ ...base, port, path: '/short', expectBody: 'this' })(never),
      /connection closed before the end of the body/,
    );
    fails(await httpProbe({ ...base, port, path: '/503' })(never), /status 503 Service Unavailable/);
  });

  it('a path with a space or non-ASCII, or a Host with a newline, is refused before connecting', async () => {
    const before = requests.length;
    fails(
      await httpProbe({ ...base, port, path: '/a b' })(never),
      /path contains spaces, control or non-ASCII/,
    );
    fails(await httpProbe({ ...base, port, path: '/café' })(never), /percent-encode them/);
    fails(
      await httpProbe({ ...base, port, path: '/', hostHeader: 'x\r\nEvil: 1' })(never),
      /Host header contains control or non-ASCII characters/,
    );
    expect(requests.length).toBe(before);
  });

  it('leaves no TIME_WAIT socket on the checker side', async () => {
    for (let i = 0; i < 10; i++) {
      expect((await httpProbe({ ...base, port, path: '/chunked' })(never)).ok).toBe(true);
      expect((await httpProbe({ ...base, port, path: '/503' })(never)).ok).toBe(false);
    }
    // The checker's sockets have local addresses on other ports and the server's port as the
    // destination; TIME_WAIT on the server's side (it closed first) is the server's own.
    const tw = execFileSync('ss', ['-Htan', 'state', 'time-wait', `( dport = :${port} )`])
      .toString()
      .trim();
    expect(tw).toBe('');
  });
});
