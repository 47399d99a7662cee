// The UDP, DNS, SMTP and file probes against real things on loopback: a UDP echo server,
// dnsmasq, aiosmtpd, files; and a file check through the manager's scheduler and hysteresis.
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dnsProbe, encodeDnsQuery } from '../../src/check/dns.js';
import { fileProbe, strtol0 } from '../../src/check/file.js';
import { createCheckManager } from '../../src/check/manager.js';
import type { Probe } from '../../src/check/probe.js';
import { completeReply, smtpProbe } from '../../src/check/smtp.js';
import { judgeReply, patternOf, udpProbe } from '../../src/check/udp.js';
import { inCI } from '../helpers/env.js';
import {
  type DnsServer,
  type SmtpServer,
  serversMissing,
  startDnsServer,
  startSmtpServer,
} from '../helpers/servers.js';

const run = (p: Probe) => p(new AbortController().signal);

describe('file probe', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-filechk-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the number as C strtol(…, 0) does', () => {
    expect(strtol0('0\n')).toBe(0);
    expect(strtol0('  -12abc')).toBe(-12);
    expect(strtol0('0x1f')).toBe(31);
    expect(strtol0('010')).toBe(8);
    expect(strtol0('junk')).toBe(0);
    expect(strtol0('')).toBe(0);
  });

  it('0 is up, anything else down; reverse turns it round; a missing file reads 0', async () => {
    const f = join(dir, 'state');
    writeFileSync(f, '0\n');
    expect((await run(fileProbe({ path: f }))).ok).toBe(true);
    writeFileSync(f, '1\n');
    const down = await run(fileProbe({ path: f }));
    expect(down).toMatchObject({ ok: false, reason: expect.stringMatching(/holds 1: non-zero/) });
    expect((await run(fileProbe({ path: f, reverse: true }))).ok).toBe(true);
    const missing = await run(fileProbe({ path: join(dir, 'none') }));
    expect(missing).toMatchObject({ ok: true, detail: expect.stringMatching(/ENOENT, read as 0/) });
  });

  it('runs on the scheduler with rise/fall like any check', async () => {
    const f = join(dir, 'drain');
    writeFileSync(f, '0');
    const changes: string[] = [];
    const m = createCheckManager({
      runner: { run: () => Promise.reject(new Error('no scripts here')) },
      onChange: (_id, t) => changes.push(`${t.from}->${t.to}`),
      jitter: 0,
    });
    try {
      m.set([
        {
          id: 'f',
          probe: { type: 'file', path: f },
          intervalMs: 20,
          timeoutMs: 1000,
          rise: 1,
          fall: 2,
          retry: 0,
          retryDelayMs: 0,
          alpha: false,
        },
      ]);
      await expect.poll(() => m.get('f')?.state, { timeout: 5000 }).toBe('up');
      writeFileSync(f, '1');
      await expect.poll(() => m.get('f')?.state, { timeout: 5000 }).toBe('down');
      expect(m.get('f')!.consecutiveFail).toBeGreaterThanOrEqual(2);
      writeFileSync(f, '0');
      await expect.poll(() => m.get('f')?.state, { timeout: 5000 }).toBe('up');
      expect(changes).toEqual(['unknown->up', 'up->down', 'down->up']);
    } finally {
      m.stop();
    }
  });
});

describe('UDP probe', () => {
  let echo: dgram.Socket;
  let port = 0;
  let closedPort = 0;
  beforeAll(async () => {
    echo = dgram.createSocket('udp4');
    // echoes the datagram back, prefixed with 0xca 0xfe and a counter byte
    let n = 0;
    echo.on('message', (m, r) =>
      echo.send(Buffer.concat([Buffer.from([0xca, 0xfe, n++ & 0xff]), m]), r.port, r.address),
    );
    await new Promise<void>((r) => echo.bind(0, '127.0.0.1', r));
    port = echo.address().port;
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    closedPort = s.address().port;
    await new Promise<void>((r) => s.close(r));
  });
  afterAll(() => echo.close());

  it('decodes patterns with x nibbles and judges replies', () => {
    const p = patternOf('cafexx');
    expect(p.data.toString('hex')).toBe('cafe00');
    expect(p.mask.toString('hex')).toBe('ffff00');
    expect(judgeReply(Buffer.from('cafe07', 'hex'), 0, 255, p)).toBeNull();
    expect(judgeReply(Buffer.from('cafd07', 'hex'), 0, 255, p)).toMatch(/offset 1/);
    expect(judgeReply(Buffer.from('ca', 'hex'), 0, 255, p)).toBeNull(); // shorter of the two
    expect(judgeReply(Buffer.alloc(3), 4, 255, undefined)).toMatch(/3 bytes, outside 4-255/);
  });

  it('up without reply when no ICMP error comes; down on port unreachable', async () => {
    const up = await run(udpProbe({ host: '127.0.0.1', port, connectTimeoutMs: 200, payloadHex: '01' }));
    expect(up.ok).toBe(true);
    const down = await run(udpProbe({ host: '127.0.0.1', port: closedPort, connectTimeoutMs: 2000 }));
    expect(down).toMatchObject({ ok: false, reason: expect.stringMatching(/ECONNREFUSED/) });
    expect(down.latencyMs).toBeLessThan(1500);
  });

  it('require_reply: pattern and length bounds', async () => {
    const base = { host: '127.0.0.1', port, connectTimeoutMs: 2000, payloadHex: '0102', requireReply: true };
    expect((await run(udpProbe({ ...base, replyHex: 'cafex' }))).ok).toBe(true);
    expect((await run(udpProbe({ ...base, replyHex: 'cafexx0102' }))).ok).toBe(true);
    const bad = await run(udpProbe({ ...base, replyHex: 'beef' }));
    expect(bad).toMatchObject({ ok: false, reason: expect.stringMatching(/differs.*offset 0/) });
    const long = await run(udpProbe({ ...base, maxReplyLength: 4 }));
    expect(long).toMatchObject({ ok: false, reason: expect.stringMatching(/5 bytes, outside 0-4/) });
    const silent = await run(
      udpProbe({ host: '127.0.0.1', port: closedPort, connectTimeoutMs: 300, requireReply: true }),
    );
    expect(silent.ok).toBe(false);
  });
});

const missingServers = serversMissing();
if (missingServers.length && inCI)
  throw new Error(`test prerequisite missing in CI: ${missingServers.join(', ')}`);

describe.skipIf(missingServers.length > 0)('DNS probe against dnsmasq', () => {
  let dns: DnsServer;
  beforeAll(async () => {
    dns = await startDnsServer();
  }, 20_000);
  afterAll(() => dns?.stop());

  it('encodes the question', () => {
    const q = encodeDnsQuery(0x1234, 'name.test', 'A');
    expect(q.toString('hex')).toBe('123401000001000000000000046e616d65047465737400' + '00010001');
    expect(encodeDnsQuery(1, '', 'SOA').subarray(12).toString('hex')).toBe('0000060001');
  });

  it('A and AAAA of a name it serves: up; a name it refuses: down with the rcode', async () => {
    const base = { host: '127.0.0.1', port: dns.port, connectTimeoutMs: 3000 };
    const a = await run(dnsProbe({ ...base, queryType: 'A', name: 'name.test' }));
    expect(a, JSON.stringify(a)).toMatchObject({ ok: true });
    expect((await run(dnsProbe({ ...base, queryType: 'AAAA', name: 'name.test' }))).ok).toBe(true);
    const other = await run(dnsProbe({ ...base, queryType: 'A', name: 'other.invalid' }));
    expect(other).toMatchObject({ ok: false, reason: expect.stringMatching(/rcode 5 \(REFUSED\)/) });
  });

  it('no server: down, fast, on port unreachable', async () => {
    const r = await run(dnsProbe({ host: '127.0.0.1', port: 9, connectTimeoutMs: 3000 }));
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/ECONNREFUSED/) });
  });
});

describe.skipIf(missingServers.length > 0)('SMTP probe against aiosmtpd', () => {
  let smtp: SmtpServer;
  let rude: net.Server;
  let rudePort = 0;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    rude = net.createServer((c) => c.end('554-busy\r\n554 go away\r\n'));
    await new Promise<void>((r) => rude.listen(0, '127.0.0.1', r));
    rudePort = (rude.address() as net.AddressInfo).port;
  }, 20_000);
  afterAll(async () => {
    rude?.close();
    await smtp?.stop();
  });

  it('reads multi-line replies to their last line', () => {
    expect(completeReply('250-a\r\n250-b\r\n')).toBeUndefined();
    expect(completeReply('250-a\r\n250 b\r\n')).toEqual({ code: 250, text: '250 b' });
    expect(completeReply('220 hi')).toBeUndefined();
  });

  it('greeting 220 and HELO 250: up; a 554 greeting or nobody listening: down', async () => {
    const ok = await run(
      smtpProbe({ host: '127.0.0.1', port: smtp.port, connectTimeoutMs: 3000, heloName: 'director.test' }),
    );
    expect(ok, JSON.stringify(ok)).toMatchObject({ ok: true });
    const busy = await run(smtpProbe({ host: '127.0.0.1', port: rudePort, connectTimeoutMs: 3000 }));
    expect(busy).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/greeting is not 220: "554 go away"/),
    });
    const none = await run(smtpProbe({ host: '127.0.0.1', port: 9, connectTimeoutMs: 3000 }));
    expect(none).toMatchObject({ ok: false, reason: expect.stringMatching(/ECONNREFUSED/) });
  });
});
