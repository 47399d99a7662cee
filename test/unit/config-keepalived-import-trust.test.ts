// import-keepalived for the trust keywords: auth_hmac (every key of it), unicast_ttl,
// per-peer min_ttl/max_ttl, unicast_fault_no_peer — carried over with keepalived's meaning,
// or flagged where keepalived itself would not apply them.
import { describe, expect, it } from 'vitest';
import { formatConfigError } from '../../src/config/errors.js';
import { importKeepalivedConf } from '../../src/config/keepalived-import.js';
import { parseConfigText } from '../../src/config/load.js';

const KEY = `hex:${'0f'.repeat(32)}`;
const KEY2 = `hex:${'f0'.repeat(32)}`;

const vi = (body: string, head = 'virtual_router_id 51'): string => `vrrp_instance VI_1 {
  interface eth0
  ${head}
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.10/24
  }
${body}
}
`;

function imp(text: string) {
  const r = importKeepalivedConf(text);
  const c = parseConfigText(r.yaml, 'imported.yaml', { hostname: 'h' });
  if (!c.ok) throw new Error(`${r.yaml}\n${c.errors.map(formatConfigError).join('\n')}`);
  return { ...r, inst: c.config.vrrpInstances[0]! };
}
const said = (r: { warnings: string[] }, line: number, text: string) =>
  expect(
    r.warnings.filter((w) => w.startsWith(`keepalived.conf:${line}:`)).join('\n'),
    r.warnings.join('\n'),
  ).toContain(text);

describe('import-keepalived: auth_hmac', () => {
  it('every key of the block is carried over', () => {
    const r = imp(
      vi(
        `auth_hmac {\n key 1 ${KEY}\n key 2 ${KEY2}\n active_key 2\n anti_replay time\n time_window 30\n mode permissive\n}`,
      ),
    );
    expect(r.inst.authHmac).toEqual({
      keys: [
        { id: 1, hex: '0f'.repeat(32), source: 'inline' },
        { id: 2, hex: 'f0'.repeat(32), source: 'inline' },
      ],
      activeKey: 2,
      mode: 'permissive',
      antiReplayTime: true,
      timeWindowSec: 30,
    });
  });

  it("an ASCII key, monotonic anti-replay, receive-only; keepalived's default window", () => {
    const ascii = 'a-32-character-ascii-key-0123456';
    const r = imp(
      vi(`auth_hmac {\n key 7 ${ascii}\n active_key 7\n anti_replay monotonic\n mode receive-only\n}`),
    );
    expect(r.inst.authHmac).toMatchObject({
      keys: [{ id: 7, hex: Buffer.from(ascii).toString('hex') }],
      mode: 'receive-only',
      antiReplayTime: false,
      timeWindowSec: 5,
    });
  });

  it('file: keys become file keys, with a note on their mode', () => {
    const r = importKeepalivedConf(vi('auth_hmac {\n key 1 file:/etc/keepalived/vrrp.key\n active_key 1\n}'));
    expect(r.yaml).toContain('file: /etc/keepalived/vrrp.key');
    expect(r.yaml).toMatch(/note \(line 10\).*chmod 600/);
  });

  it('no active_key (or one naming no key): keepalived disables auth_hmac, so does the import, flagged', () => {
    const r = imp(vi(`auth_hmac {\n key 1 ${KEY}\n}`));
    expect(r.inst.authHmac).toBeUndefined();
    said(r, 9, 'keepalived disables auth_hmac then');
    const r2 = imp(vi(`auth_hmac {\n key 1 ${KEY}\n active_key 3\n}`));
    expect(r2.inst.authHmac).toBeUndefined();
    said(r2, 9, 'active_key 3 is not one of its keys');
  });

  it('with the legacy authentication block: keepalived drops the legacy one, so does the import', () => {
    const r = imp(
      vi(
        `authentication {\n auth_type PASS\n auth_pass secret\n}\nauth_hmac {\n key 1 ${KEY}\n active_key 1\n}`,
        'virtual_router_id 51\n  version 2',
      ),
    );
    expect(r.inst.authPass).toBeUndefined();
    expect(r.inst.authHmac?.activeKey).toBe(1);
    said(r, 10, 'drops the legacy authentication block');
  });

  it('strict mode forces enforce, as keepalived does', () => {
    const r = imp(vi(`strict_mode on\nauth_hmac {\n key 1 ${KEY}\n active_key 1\n mode permissive\n}`));
    expect(r.inst.authHmac?.mode).toBe('enforce');
  });
});

describe('import-keepalived: routed unicast', () => {
  it("a peer without min_ttl/max_ttl gets keepalived's window (no TTL check) written out, with a note", () => {
    const r = imp(vi('unicast_src_ip 192.0.2.1\nunicast_peer {\n192.0.2.2\n}'));
    expect(r.inst.unicastTtlWindows).toEqual([{ address: '192.0.2.2', minTtl: 0, maxTtl: 255 }]);
    expect(r.yaml).toMatch(/note \(line 11\).*checks no TTL on unicast adverts/);
  });

  it('min_ttl alone keeps max_ttl 255; unicast_ttl and unicast_fault_no_peer are carried over', () => {
    const r = imp(
      vi(
        'unicast_src_ip 192.0.2.1\nunicast_ttl 64\nunicast_fault_no_peer\nunicast_peer {\n198.51.100.2 min_ttl 250\n}',
      ),
    );
    expect(r.inst.unicastTtlWindows).toEqual([{ address: '198.51.100.2', minTtl: 250, maxTtl: 255 }]);
    expect(r.inst.unicastTtl).toBe(64);
    expect(r.inst.unicastFaultNoPeer).toBe(true);
  });

  it('unicast_ttl without peers is flagged (keepalived resets it); unicast_fault_no_peer without peers is FAULT', () => {
    const r = imp(vi('unicast_ttl 64\nunicast_fault_no_peer'));
    expect(r.inst.unicastTtl).toBe(255);
    said(r, 9, 'keepalived ignores unicast_ttl without unicast peers');
    expect(r.inst.unicastFaultNoPeer).toBe(true);
    expect(r.inst.unicastPeers).toEqual([]);
  });
});
