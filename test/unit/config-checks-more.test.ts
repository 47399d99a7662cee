// The udp, dns, smtp, ping and file check keys: the model they build, the probe specs the
// controller hands the manager, and the errors for keys that do not fit.
import { describe, expect, it } from 'vitest';
import { normalizeHex } from '../../src/config/build-checks-more.js';
import { formatConfigError, parseConfigText } from '../../src/config/index.js';
import { checkSpecsOf } from '../../src/lvs/check-specs.js';

function conf(check: string, rs = '198.51.100.2', port = 53): string {
  return `virtual_servers:
  - address: ${rs.includes(':') ? '2001:db8::10' : '192.0.2.10'}
    port: ${port}
    protocol: udp
    real_servers:
      - address: ${rs}
        port: ${port}
        check: ${check}
`;
}

function load(check: string, rs?: string) {
  const r = parseConfigText(conf(check, rs), 't.yaml');
  if (!r.ok) throw new Error(r.errors.map(formatConfigError).join('\n'));
  return r.config;
}

function errors(check: string, rs?: string): string[] {
  const r = parseConfigText(conf(check, rs), 't.yaml');
  return r.ok ? [] : r.errors.map(formatConfigError);
}

describe('keepalived HEX_STR', () => {
  it('reads groups, odd digits and wildcards as keepalived does', () => {
    expect(normalizeHex('Ab12f 3 456 546443123', false)).toBe('ab120f03450654644312' + '03');
    expect(normalizeHex('cafe xX', true)).toBe('cafexx');
    expect(normalizeHex('cafe x', false)).toBeNull();
    expect(normalizeHex('zz', true)).toBeNull();
  });
});

describe('check types udp, dns, smtp, ping, file', () => {
  it('udp: payload, reply pattern and length bounds reach the probe', () => {
    const c = load(
      '{type: udp, payload: "01 02f", require_reply: true, reply: "0x", min_reply_length: 2, max_reply_length: 100, connect_timeout: 2s}',
    );
    expect(c.virtualServers[0]!.realServers[0]!.check).toMatchObject({
      type: 'udp',
      port: 53,
      payloadHex: '01020f',
      requireReply: true,
      replyHex: '0x',
      minReplyLength: 2,
      maxReplyLength: 100,
      connectTimeoutMs: 2000,
    });
    expect(checkSpecsOf(c).specs[0]!.probe).toEqual({
      type: 'udp',
      host: '198.51.100.2',
      port: 53,
      connectTimeoutMs: 2000,
      payloadHex: '01020f',
      requireReply: true,
      replyHex: '0x',
      minReplyLength: 2,
      maxReplyLength: 100,
    });
  });

  it("udp defaults: no reply needed, lengths 0-255 (keepalived's)", () => {
    expect(load('{type: udp}').virtualServers[0]!.realServers[0]!.check).toMatchObject({
      requireReply: false,
      minReplyLength: 0,
      maxReplyLength: 255,
    });
  });

  it('dns, smtp, ping, file: defaults and probe specs', () => {
    const dns = checkSpecsOf(load('{type: dns}')).specs[0]!.probe;
    expect(dns).toMatchObject({ type: 'dns', queryType: 'SOA', name: '' });
    const dns2 = checkSpecsOf(load('{type: dns, query_type: AAAA, query_name: www.example.test.}')).specs[0]!;
    expect(dns2.probe).toMatchObject({ queryType: 'AAAA', name: 'www.example.test' });
    expect(checkSpecsOf(load('{type: smtp, port: 25}')).specs[0]!.probe).toMatchObject({
      type: 'smtp',
      port: 25,
      heloName: 'smtpchecker.keepalived.org',
    });
    expect(checkSpecsOf(load('{type: ping, timeout: 3s}', '2001:db8::2')).specs[0]!.probe).toEqual({
      type: 'ping',
      host: '2001:db8::2',
      connectTimeoutMs: 3000,
    });
    expect(checkSpecsOf(load('{type: file, file: /run/x, reverse: true}')).specs[0]!.probe).toEqual({
      type: 'file',
      path: '/run/x',
      reverse: true,
    });
  });

  it('refuses keys that do not fit, with file:line:col', () => {
    expect(errors('{type: udp, reply: "01"}')).toEqual([
      expect.stringMatching(/^t\.yaml:8:\d+: .*'reply' needs require_reply: true/),
    ]);
    expect(errors('{type: udp, payload: "0g"}')).toEqual([
      expect.stringMatching(/^t\.yaml:8:\d+: .*not hex digits/),
    ]);
    expect(errors('{type: udp, require_reply: true, min_reply_length: 9, max_reply_length: 3}')).toEqual([
      expect.stringMatching(/always fail/),
    ]);
    expect(errors('{type: ping, port: 80}')).toEqual([
      expect.stringMatching(/'port' does not apply to a ping check/),
    ]);
    expect(errors('{type: file}')).toEqual([expect.stringMatching(/a file check needs 'file'/)]);
    expect(errors('{type: file, file: relative}')).toHaveLength(1);
    expect(errors('{type: dns, query_type: SRV}')).toHaveLength(1);
    expect(errors('{type: smtp, helo_name: x, query_name: y}')).toEqual([
      expect.stringMatching(/'query_name' does not apply to a smtp check/),
    ]);
  });
});
