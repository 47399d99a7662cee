// Notify FIFO lines and alert mails in keepalived's formats; the global.smtp_alerts and FIFO
// keys and the smtp_alert flags at each level; a FIFO nobody reads drops lines (never blocks);
// an unreachable SMTP server is logged, counted, and stops nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSmtpServer } from '../../src/config/build-alerts.js';
import { formatConfigError, parseConfigText } from '../../src/config/index.js';
import type { Config } from '../../src/config/model.js';
import { Alerts, fifoLine, mailOf } from '../../src/daemon/alerts.js';
import { openNotifyFifo } from '../../src/effects/notify-fifo.js';
import { createMailSender } from '../../src/effects/smtp-mail.js';
import { freePort } from '../helpers/servers.js';

const YAML = `global:
  router_id: lb1
  notify_fifo: /run/x.fifo
  smtp_alerts:
    server: '[2001:db8::25]:2525'
    to: [ops@example.test]
    vrrp: true
vrrp_instances:
  - {name: VI_1, interface: eth0, vrid: 1, virtual_ips: [192.0.2.1/24]}
  - {name: VI_2, interface: eth0, vrid: 2, virtual_ips: [192.0.2.2/24], smtp_alert: false}
vrrp_sync_groups:
  - {name: G1, instances: [VI_1]}
virtual_servers:
  - address: 192.0.2.10
    port: 80
    smtp_alert: true
    real_servers:
      - {address: 198.51.100.2, port: 8080}
      - {address: 198.51.100.3, port: 8080, smtp_alert: true}
  - fwmark: 7
    family: inet6
    protocol: udp
    real_servers:
      - {address: '2001:db8::3', port: 53}
`;

function load(text: string): Config {
  const r = parseConfigText(text, 'a.yaml', { hostname: 'h1' });
  if (!r.ok) throw new Error(r.errors.map(formatConfigError).join('\n'));
  return r.config;
}

describe('alerts configuration', () => {
  it('resolves the smtp_alert flags from the level defaults', () => {
    const c = load(YAML);
    expect(c.alerts).toEqual({
      fifos: { all: '/run/x.fifo' },
      smtp: {
        host: '2001:db8::25',
        port: 2525,
        from: 'vrrpd@h1',
        to: ['ops@example.test'],
        heloName: 'h1',
        connectTimeoutMs: 30_000,
        instances: ['VI_1'],
        groups: ['G1'],
        virtualServers: ['tcp:192.0.2.10:80'],
        realServers: ['tcp:192.0.2.10:80 198.51.100.3:8080'],
      },
    });
  });

  it('parses SMTP server forms', () => {
    expect(parseSmtpServer('mail.example.test')).toEqual({ host: 'mail.example.test', port: 25 });
    expect(parseSmtpServer('192.0.2.25:587')).toEqual({ host: '192.0.2.25', port: 587 });
    expect(parseSmtpServer('2001:db8::25')).toEqual({ host: '2001:db8::25', port: 25 });
    expect(parseSmtpServer('[2001:db8::25]:26')).toEqual({ host: '2001:db8::25', port: 26 });
    expect(parseSmtpServer('a b')).toBeNull();
    expect(parseSmtpServer('x:0')).toBeNull();
  });

  it('refuses smtp_alert without smtp_alerts, a bad server and one FIFO twice, at file:line:col', () => {
    const r = parseConfigText(
      `global:\n  notify_fifo: /run/a\n  lvs_notify_fifo: /run/a\nvrrp_instances:\n  - {name: VI_1, interface: eth0, vrid: 1, virtual_ips: [192.0.2.1/24], smtp_alert: true}\n`,
      'b.yaml',
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map(formatConfigError)).toEqual([
      expect.stringMatching(
        /^b\.yaml:3:\d+: global\.lvs_notify_fifo is the same FIFO as global\.notify_fifo/,
      ),
      expect.stringMatching(/^b\.yaml:5:\d+: smtp_alert needs global\.smtp_alerts/),
    ]);
    const bad = parseConfigText('global:\n  smtp_alerts: {server: "a b", to: [x@y]}\n', 'c.yaml');
    expect(bad.ok ? [] : bad.errors.map(formatConfigError)).toEqual([
      expect.stringMatching(/^c\.yaml:2:\d+: global\.smtp_alerts\.server must be/),
    ]);
  });
});

describe("keepalived's formats", () => {
  const c = load(YAML);
  const vs = c.virtualServers[0]!;
  const fw = c.virtualServers[1]!;
  it('FIFO lines', () => {
    expect(fifoLine({ kind: 'instance', name: 'VI_1', state: 'master', priority: 100 })).toBe(
      'INSTANCE "VI_1" MASTER 100\n',
    );
    expect(fifoLine({ kind: 'group', name: 'G1', state: 'fault', priority: 0 })).toBe('GROUP "G1" FAULT 0\n');
    expect(fifoLine({ kind: 'rs', vs, rs: vs.realServers[1]!, up: false, reason: 'x' })).toBe(
      'RS [198.51.100.3]:tcp:8080 [192.0.2.10]:tcp:80 DOWN\n',
    );
    expect(fifoLine({ kind: 'vs', vs, up: true, detail: '' })).toBe('VS [192.0.2.10]:tcp:80 UP\n');
    expect(fifoLine({ kind: 'rs', vs: fw, rs: fw.realServers[0]!, up: true, reason: '' })).toBe(
      'RS [2001:db8::3]:udp:53 FWM 7 UP\n',
    );
  });
  it('mail subjects', () => {
    expect(mailOf({ kind: 'instance', name: 'VI_1', state: 'backup', priority: 100 }, 'lb1').subject).toBe(
      '[lb1] VRRP Instance VI_1 - Entering BACKUP state',
    );
    const m = mailOf(
      { kind: 'rs', vs, rs: vs.realServers[0]!, up: false, reason: 'connect ECONNREFUSED' },
      'lb1',
    );
    expect(m).toEqual({
      subject: '[lb1] Realserver [198.51.100.2]:tcp:8080 of virtual server [192.0.2.10]:tcp:80 - DOWN',
      text: '=> check failed: connect ECONNREFUSED <=\n',
    });
  });
});

describe('delivery', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-alerts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const logs: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const log = Object.fromEntries(
    ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((level) => [
      level,
      (obj: Record<string, unknown>, msg: string) => logs.push({ level, obj, msg }),
    ]),
  ) as never;

  it('a FIFO nobody reads fills up and drops lines without blocking; the FIFO it made goes at close', async () => {
    const path = join(dir, 'n.fifo');
    const f = openNotifyFifo(path);
    let written = 0;
    const t0 = performance.now();
    while (f.write(`${'x'.repeat(99)}\n`) && written < 10_000) written++;
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(written).toBeGreaterThan(100); // the pipe buffer (64 KiB by default)
    expect(written).toBeLessThan(10_000);
    f.close();
    const { existsSync } = await import('node:fs');
    expect(existsSync(path)).toBe(false);
  });

  it('an SMTP server that is not there: the mail fails, is logged and counted', async () => {
    const port = await freePort();
    const cfg = load(
      YAML.replace("'[2001:db8::25]:2525'", `'127.0.0.1:${port}'`).replace(
        '/run/x.fifo',
        join(dir, 'y.fifo'),
      ),
    );
    const a = new Alerts(cfg, log, {
      openFifo: openNotifyFifo,
      mailer: (s) => createMailSender({ ...s, connectTimeoutMs: 2000 }),
    });
    a.vrrp({ kind: 'instance', name: 'VI_1', state: 'master', priority: 100 });
    a.vrrp({ kind: 'instance', name: 'VI_2', state: 'master', priority: 100 }); // smtp_alert: false
    await a.close(10_000);
    expect(a.stats).toMatchObject({ fifoLines: 2, mailsSent: 0, mailsFailed: 1 });
    expect(logs.filter((l) => l.obj.event === 'smtp-alert').map((l) => l.msg)).toEqual([
      expect.stringMatching(
        /^e-mail alert not sent: \[lb1\] VRRP Instance VI_1 - Entering MASTER state: .*ECONNREFUSED/,
      ),
    ]);
  });
});

describe('reload', () => {
  it('opens a FIFO whose path is new, closes a dropped one, keeps one that stayed; replaces a changed mailer', async () => {
    const opened: string[] = [];
    const closed: string[] = [];
    const mailers: string[] = [];
    const deps = {
      openFifo: (path: string) => {
        opened.push(path);
        return { path, write: () => true, close: () => closed.push(path) };
      },
      mailer: (s: { host: string }) => {
        mailers.push(s.host);
        return { send: () => Promise.resolve(), close: () => mailers.push(`closed ${s.host}`) };
      },
    };
    const quiet = Object.fromEntries(
      ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((l) => [l, () => {}]),
    ) as never;
    const a = new Alerts(load(YAML), quiet, deps);
    expect(opened).toEqual(['/run/x.fifo']);
    expect(mailers).toEqual(['2001:db8::25']);
    a.apply(
      load(
        YAML.replace(
          '  notify_fifo: /run/x.fifo\n',
          '  notify_fifo: /run/x.fifo\n  lvs_notify_fifo: /run/l.fifo\n',
        ),
      ),
    );
    expect(opened).toEqual(['/run/x.fifo', '/run/l.fifo']);
    expect(mailers).toEqual(['2001:db8::25']); // unchanged settings: the same mailer
    a.apply(
      load(
        YAML.replace('  notify_fifo: /run/x.fifo\n', '').replace('[2001:db8::25]:2525', 'mail.example.test'),
      ),
    );
    expect(closed).toEqual(['/run/x.fifo', '/run/l.fifo']); // both gone from the new file
    expect(mailers).toEqual(['2001:db8::25', 'closed 2001:db8::25', 'mail.example.test']);
    await a.close();
  });
});
