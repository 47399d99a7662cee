// The trust settings of an instance in the configuration: auth_hmac (keys inline, from a
// file, from a systemd credential; active key; window), routed unicast (per-peer
// min_ttl/max_ttl, unicast_ttl, unicast_fault_no_peer), allowed_peers and
// advert_rate_limit. Bad values are refused at FILE:LINE:COL.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatConfigError, parseConfigText } from '../../src/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'vrrpd-trust-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KEY = `hex:${'ab'.repeat(32)}`;

const lines = (...l: string[]): string => `${l.join('\n')}\n`;
const inst = (...extra: string[]): string =>
  lines(
    'vrrp_instances:',
    '  - name: VI_1',
    '    interface: eth0',
    '    vrid: 51',
    '    virtual_ips: [192.0.2.50/24]',
    ...extra,
  );
function ok(text: string) {
  const r = parseConfigText(text, 'f.yaml', { hostname: 'h' });
  if (!r.ok) throw new Error(r.errors.map(formatConfigError).join('\n'));
  return r.config.vrrpInstances[0]!;
}
function errors(text: string): string[] {
  const r = parseConfigText(text, 'f.yaml', { hostname: 'h' });
  if (r.ok) throw new Error('expected errors, the configuration was accepted');
  return r.errors.map(formatConfigError);
}

describe('auth_hmac', () => {
  it('one inline key: it is the active key; the window is 5 s at 1 s adverts', () => {
    const i = ok(inst('    auth_hmac:', '      keys:', `        - {id: 3, key: '${KEY}'}`));
    expect(i.authHmac).toEqual({
      keys: [{ id: 3, hex: 'ab'.repeat(32), source: 'inline' }],
      activeKey: 3,
      mode: 'enforce',
      antiReplayTime: true,
      timeWindowSec: 5,
    });
  });

  it('keys from a file (mode 0600, trailing newline dropped) and from a systemd credential', () => {
    const file = join(dir, 'k1');
    writeFileSync(file, `${KEY}\n`);
    chmodSync(file, 0o600);
    const creds = mkdtempSync(join(dir, 'creds-'));
    writeFileSync(join(creds, 'vrrp-key'), 'an-ascii-key-of-thirty-two-bytes');
    chmodSync(join(creds, 'vrrp-key'), 0o600);
    const env = process.env.CREDENTIALS_DIRECTORY;
    process.env.CREDENTIALS_DIRECTORY = creds;
    try {
      const i = ok(
        inst(
          '    advert_interval: 3s',
          '    auth_hmac:',
          '      keys:',
          `        - {id: 1, file: ${file}}`,
          '        - {id: 2, credential: vrrp-key}',
          '      active_key: 2',
        ),
      );
      expect(i.authHmac?.keys).toEqual([
        { id: 1, hex: 'ab'.repeat(32), source: `file ${file}` },
        {
          id: 2,
          hex: Buffer.from('an-ascii-key-of-thirty-two-bytes').toString('hex'),
          source: 'credential vrrp-key',
        },
      ]);
      expect(i.authHmac?.timeWindowSec).toBe(9); // keepalived: 3 × 3 s
    } finally {
      if (env === undefined) delete process.env.CREDENTIALS_DIRECTORY;
      else process.env.CREDENTIALS_DIRECTORY = env;
    }
  });

  it('bad keys are refused at their line', () => {
    const loose = join(dir, 'loose');
    writeFileSync(loose, KEY);
    chmodSync(loose, 0o644);
    const e = errors(
      inst(
        '    auth_hmac:',
        '      keys:',
        "        - {id: 1, key: 'too-short'}",
        `        - {id: 2, file: ${loose}}`,
        `        - {id: 3, file: ${join(dir, 'absent')}}`,
        `        - {id: 4, key: '${KEY}', file: ${loose}}`,
        "        - {id: 5, key: 'hex:abc'}",
        `        - {id: 5, key: '${KEY}'}`,
        '      active_key: 9',
      ),
    );
    expect(e).toEqual([
      expect.stringMatching(/^f\.yaml:8:24: auth_hmac key 1 is 9 bytes; HMAC-SHA256 keys are 32-64 bytes$/),
      expect.stringMatching(/^f\.yaml:9:25: .*readable by group or others \(mode 644\): chmod 600 it$/),
      expect.stringMatching(/^f\.yaml:10:25: .*cannot be read \(ENOENT\)$/),
      expect.stringMatching(/^f\.yaml:11:11: auth_hmac key 4 takes exactly one of key, file, credential/),
      expect.stringMatching(/^f\.yaml:12:24: .*hex: takes an even number of hex digits$/),
      expect.stringMatching(/^f\.yaml:13:16: auth_hmac key id 5 is listed twice$/),
      expect.stringMatching(/^f\.yaml:14:19: auth_hmac active_key 9 is not one of the key ids/),
    ]);
  });

  it('several keys need active_key; a credential needs $CREDENTIALS_DIRECTORY; time_window in 1-300 s', () => {
    const env = process.env.CREDENTIALS_DIRECTORY;
    delete process.env.CREDENTIALS_DIRECTORY;
    try {
      expect(
        errors(
          inst(
            '    auth_hmac:',
            '      keys:',
            `        - {id: 1, key: '${KEY}'}`,
            '        - {id: 2, credential: k}',
          ),
        ).join('\n'),
      ).toMatch(
        /f\.yaml:6:5: auth_hmac with several keys needs active_key[\s\S]*f\.yaml:9:31: .*needs \$CREDENTIALS_DIRECTORY/,
      );
    } finally {
      if (env !== undefined) process.env.CREDENTIALS_DIRECTORY = env;
    }
    expect(
      errors(inst('    auth_hmac:', `      keys: [{id: 1, key: '${KEY}'}]`, '      time_window: 500ms')),
    ).toEqual([expect.stringMatching(/^f\.yaml:8:20: .*must be whole seconds from 1s to 300s/)]);
  });

  it('auth_pass beside auth_hmac is refused (keepalived drops the legacy block)', () => {
    expect(
      errors(
        inst(
          '    version: 2',
          '    auth_pass: secret',
          '    auth_hmac:',
          `      keys: [{id: 1, key: '${KEY}'}]`,
        ),
      ),
    ).toEqual([expect.stringMatching(/^f\.yaml:7:5: auth_pass and auth_hmac exclude each other/)]);
  });
});

describe('routed unicast, allowed_peers, advert_rate_limit', () => {
  it('peers as text or with a TTL window; unicast_ttl; unicast_fault_no_peer', () => {
    const i = ok(
      inst(
        '    unicast_src: 192.0.2.1',
        '    unicast_ttl: 64',
        '    unicast_fault_no_peer: true',
        '    unicast_peers:',
        '      - 192.0.2.2',
        '      - {address: 198.51.100.2, min_ttl: 250}',
      ),
    );
    expect(i.unicastPeers).toEqual(['192.0.2.2', '198.51.100.2']);
    expect(i.unicastTtlWindows).toEqual([{ address: '198.51.100.2', minTtl: 250, maxTtl: 255 }]);
    expect(i.unicastTtl).toBe(64);
    expect(i.unicastFaultNoPeer).toBe(true);
  });

  it('min_ttl above max_ttl, a duplicate peer, unicast_ttl without peers are refused', () => {
    expect(
      errors(
        inst(
          '    unicast_ttl: 64',
          '    allowed_peers: [192.0.2.2, 192.0.2.2]',
          '    unicast_peers:',
          '      - {address: 198.51.100.2, min_ttl: 254, max_ttl: 250}',
          '      - {address: 198.51.100.2}',
        ),
      ),
    ).toEqual([
      'f.yaml:7:32: allowed peer 192.0.2.2 is listed twice',
      'f.yaml:9:9: unicast peer 198.51.100.2: min_ttl 254 > max_ttl 250 would drop every advert',
      'f.yaml:10:19: unicast peer 198.51.100.2 is listed twice',
    ]);
    expect(errors(inst('    unicast_ttl: 64'))).toEqual([
      'f.yaml:6:5: unicast_ttl has no effect without unicast_peers',
    ]);
  });

  it('allowed_peers and advert_rate_limit in the model', () => {
    const i = ok(inst('    allowed_peers: [192.0.2.2]', '    advert_rate_limit: {max: 3, per: 10s}'));
    expect(i.allowedPeers).toEqual(['192.0.2.2']);
    expect(i.advertRateLimit).toEqual({ max: 3, perMs: 10_000 });
  });
});
