// import-keepalived on the checkers (UDP/DNS/SMTP/PING/FILE_CHECK) and on notify FIFOs and
// e-mail alerts: what each becomes, the keepalived defaults written out, what is flagged.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatConfigError, parseConfigText } from '../../src/config/index.js';
import { importKeepalivedConf } from '../../src/config/keepalived-import.js';

const dir = join(import.meta.dirname, '../fixtures/keepalived');

function imp(name: string) {
  const r = importKeepalivedConf(readFileSync(join(dir, name), 'utf8'), { sourceName: name });
  const c = parseConfigText(r.yaml, 'imported.yaml', { hostname: 'h' });
  if (!c.ok) throw new Error(`${r.yaml}\n${c.errors.map(formatConfigError).join('\n')}`);
  return { ...r, config: c.config };
}

describe('checkers', () => {
  const r = imp('38-lvs-udp-dns-file-checks.conf');
  const rs = r.config.virtualServers[0]!.realServers;

  it("DNS_CHECK: type and name, with keepalived's retry 3 and delay_before_retry = delay_loop", () => {
    expect(rs[0]!.check).toMatchObject({
      type: 'dns',
      queryType: 'A',
      queryName: 'www.example.test',
      timeoutMs: 5000,
      retry: 3,
      retryDelayMs: 10_000,
      intervalMs: 10_000,
    });
  });

  it('UDP_CHECK: payload, require_reply pattern and length bounds', () => {
    expect(rs[1]!.check).toMatchObject({
      type: 'udp',
      payloadHex: '000101000001',
      requireReply: true,
      replyHex: '00018x',
      minReplyLength: 12,
      maxReplyLength: 512,
      connectTimeoutMs: 2000,
    });
  });

  it('PING_CHECK (its connect_port flagged), SMTP_CHECK with helo_name and connect_port', () => {
    expect(rs[2]!.check).toMatchObject({ type: 'ping', connectTimeoutMs: 5000 });
    expect(r.warnings.join('\n')).toMatch(/'connect_port 7' because an ICMP echo has no port/);
    expect(rs[5]!.check).toMatchObject({ type: 'smtp', heloName: 'lb.example.test', port: 25 });
  });

  it('FILE_CHECK: weight 0 carries over (read every 1s); the default weight 1 is flagged, the server unchecked', () => {
    expect(rs[3]!.check).toMatchObject({
      type: 'file',
      file: '/run/drain1',
      reverse: false,
      intervalMs: 1000,
      retry: 0,
    });
    expect(rs[4]!.check).toBeUndefined();
    expect(r.warnings.join('\n')).toMatch(/with weight 1 keepalived adds the file's value.*UNCHECKED/);
    expect(r.yaml).toContain("note (line 5): 'init_file 0': vrrpd creates no file");
  });
});

describe('notify FIFOs and e-mail alerts', () => {
  const r = imp('39-notify-fifo-smtp-alerts.conf');
  const c = r.config;

  it('FIFOs carried over; a FIFO script and no_email_faults flagged', () => {
    expect(c.alerts?.fifos).toEqual({ all: '/run/keepalived.fifo', vrrp: '/run/vrrp.fifo' });
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /:14: not carried over: 'lvs_notify_fifo_script .*' because vrrpd starts no FIFO reader/,
      ),
      expect.stringMatching(
        /:15: not carried over: 'no_email_faults' because vrrpd e-mails FAULT transitions too/,
      ),
    ]);
  });

  it("smtp_alerts from global_defs; smtp_alert at each level with keepalived's defaults", () => {
    expect(c.alerts?.smtp).toMatchObject({
      host: '192.0.2.25',
      port: 2525,
      from: 'lb@example.test',
      to: ['ops@example.test', 'Ops Two <ops2@example.test>'],
      connectTimeoutMs: 10_000,
      // smtp_alert_vrrp on; VI_1 says off, VI_2 and the group inherit on
      instances: ['VI_2'],
      groups: ['G1'],
      // virtual servers: off by default, this one says on
      virtualServers: ['tcp:192.0.2.10:80'],
      // real servers: keepalived's default is on; the second says no
      realServers: ['tcp:192.0.2.10:80 198.51.100.1:80'],
    });
  });
});
