// The receive filter (src/vrrp/accept.ts), table by table: one table per receive rule of
// RFC 5798 §7.1 (as updated by RFC 9568) and RFC 3768 §7.1, each row naming what it checks.
// test/CONFORMANCE.md §7 points here.
import { describe, expect, it } from 'vitest';
import { ipBytes } from '../../src/net/addr.js';
import {
  type AcceptResult,
  acceptAdvert,
  type PacketMeta,
  type ReceiveRules,
  RULE_SECTIONS,
  receiveRulesOf,
} from '../../src/vrrp/accept.js';
import {
  type DecodeResult,
  type EncodableAdvert,
  simpleAuthData,
  type VrrpAdvert,
} from '../../src/vrrp/codec.js';
import type { DropReason } from '../../src/vrrp/drop-reason.js';
import { v2, v3, withByteAddresses } from '../helpers/adverts.js';
import { instanceYaml, loadConfig, yaml } from './engine-fakes.js';

const ME = '192.0.2.2';
const PEER = '192.0.2.9';

/** Rules of a v3 instance, VRID 51, 1 s, VIP 192.0.2.50, no auth, multicast. */
function rules(over: Partial<ReceiveRules> = {}): ReceiveRules {
  return {
    version: 3,
    vrid: 51,
    advertIntervalCs: 100,
    authData: null,
    primaryAddress: ipBytes(ME),
    advertAddresses: [ipBytes('192.0.2.50')],
    unicastPeers: [],
    ...over,
  };
}

const v2Rules = (over: Partial<ReceiveRules> = {}) => rules({ version: 2, ...over });
const meta = (over: Partial<{ src: string; ttl: number }> = {}): PacketMeta => ({
  src: ipBytes(over.src ?? PEER),
  ttl: over.ttl ?? 255,
});
const decoded = (a: EncodableAdvert): DecodeResult<VrrpAdvert> => ({ ok: true, value: withByteAddresses(a) });
const pw = (s: string) => simpleAuthData(s);

/** 'accept' or the drop reason: what a table row expects. */
type Outcome = 'accept' | DropReason;
const outcome = (r: AcceptResult): Outcome => (r.ok ? 'accept' : r.reason);

interface Row {
  name: string;
  rules?: ReceiveRules | undefined;
  advert?: DecodeResult<VrrpAdvert>;
  meta?: PacketMeta;
  want: Outcome;
}

function table(section: string, rows: Row[]): void {
  describe(section, () => {
    for (const row of rows) {
      it(`${row.name} → ${row.want}`, () => {
        const r = acceptAdvert(
          'rules' in row ? row.rules : rules(),
          row.advert ?? decoded(v3()),
          row.meta ?? meta(),
        );
        expect(outcome(r)).toBe(row.want);
      });
    }
  });
}

table('own packet (one test, here only): our own advert heard back is skipped, not an error', [
  { name: 'source = our primary address', meta: meta({ src: ME }), want: 'own-packet' },
  {
    name: 'it wins over a bad TTL (never counted as an error)',
    meta: meta({ src: ME, ttl: 1 }),
    want: 'own-packet',
  },
  {
    name: 'and over a bad checksum',
    meta: meta({ src: ME }),
    advert: { ok: false, reason: 'checksum' },
    want: 'own-packet',
  },
  {
    name: 'IPv6 link-local of ours',
    rules: rules({ primaryAddress: ipBytes('fe80::2') }),
    meta: meta({ src: 'fe80::2' }),
    want: 'own-packet',
  },
  { name: 'another source', want: 'accept' },
]);

table('RFC 5798 §7.1 / RFC 3768 §7.1: the TTL / hop limit MUST be 255', [
  { name: 'TTL 255', meta: meta({ ttl: 255 }), want: 'accept' },
  { name: 'TTL 254 (one router hop)', meta: meta({ ttl: 254 }), want: 'ttl' },
  { name: 'TTL 64', meta: meta({ ttl: 64 }), want: 'ttl' },
  { name: 'TTL 0', meta: meta({ ttl: 0 }), want: 'ttl' },
  { name: 'IPv6 hop limit 1', meta: { src: ipBytes('fe80::9'), ttl: 1 }, want: 'ttl' },
  {
    name: 'even for an unknown VRID (counted on the interface)',
    rules: undefined,
    meta: meta({ ttl: 1 }),
    want: 'ttl',
  },
]);

table('RFC 5798 §7.1: version, type, length and checksum as the codec found them', [
  { name: 'bad checksum', advert: { ok: false, reason: 'checksum' }, want: 'checksum' },
  { name: 'version neither 2 nor 3', advert: { ok: false, reason: 'version' }, want: 'version' },
  { name: 'type not 1', advert: { ok: false, reason: 'type' }, want: 'type' },
  { name: 'length does not match the count', advert: { ok: false, reason: 'length' }, want: 'length' },
  { name: 'v2 over IPv6', advert: { ok: false, reason: 'family' }, want: 'family' },
  {
    name: 'codec errors come before the VRID lookup',
    rules: undefined,
    advert: { ok: false, reason: 'checksum' },
    want: 'checksum',
  },
]);

table('RFC 5798 §7.1: the VRID MUST be configured on the receiving interface', [
  { name: 'no instance with this VRID here', rules: undefined, want: 'vrid' },
  { name: 'an advert for another VRID', advert: decoded(v3({ vrid: 52 })), want: 'vrid' },
  { name: 'our VRID', advert: decoded(v3({ vrid: 51 })), want: 'accept' },
]);

table('RFC 5798 §7.1: the version MUST be the configured one (3, or 2 for RFC 3768)', [
  { name: 'v2 advert, v3 instance', advert: decoded(v2()), want: 'version' },
  { name: 'v3 advert, v2 instance', rules: v2Rules(), advert: decoded(v3()), want: 'version' },
  { name: 'v2 advert, v2 instance', rules: v2Rules(), advert: decoded(v2()), want: 'accept' },
  {
    name: 'before the auth check',
    rules: v2Rules({ authData: pw('x') }),
    advert: decoded(v3()),
    want: 'version',
  },
]);

table('RFC 5798 §7.1 (RFC 9568 erratum 8301): an advertisement interval of 0 MUST be dropped', [
  {
    name: 'v3 Max Advertise Interval 0 cs',
    advert: decoded(v3({ maxAdvertIntervalCs: 0 })),
    want: 'advert-interval',
  },
  {
    name: 'v2 interval 0 s',
    rules: v2Rules(),
    advert: decoded(v2({ advertIntervalSec: 0 })),
    want: 'advert-interval',
  },
  { name: 'v3 1 cs', advert: decoded(v3({ maxAdvertIntervalCs: 1 })), want: 'accept' },
]);

table('RFC 3768 §7.1, §5.3.6, §5.3.10: v2 authentication', [
  { name: 'none configured, none sent', rules: v2Rules(), advert: decoded(v2()), want: 'accept' },
  {
    name: 'type 2 (IP AH, obsolete): invalid',
    rules: v2Rules(),
    advert: decoded(v2({ authType: 2 })),
    want: 'auth-type-invalid',
  },
  {
    name: 'type 7: invalid',
    rules: v2Rules(),
    advert: decoded(v2({ authType: 7 })),
    want: 'auth-type-invalid',
  },
  {
    name: 'password sent, none configured',
    rules: v2Rules(),
    advert: decoded(v2({ authType: 1, authData: pw('s3cret') })),
    want: 'auth-type-mismatch',
  },
  {
    name: 'password configured, none sent (even with the right bytes)',
    rules: v2Rules({ authData: pw('s3cret') }),
    advert: decoded(v2({ authType: 0, authData: pw('s3cret') })),
    want: 'auth-type-mismatch',
  },
  {
    name: 'wrong password',
    rules: v2Rules({ authData: pw('s3cret') }),
    advert: decoded(v2({ authType: 1, authData: pw('s3cre') })),
    want: 'auth-failure',
  },
  {
    name: 'right password, garbage after the zero padding',
    rules: v2Rules({ authData: pw('pw') }),
    advert: decoded(v2({ authType: 1, authData: Buffer.from('pw\0\0\0\0\0x') })),
    want: 'auth-failure',
  },
  {
    name: 'right password',
    rules: v2Rules({ authData: pw('s3cret') }),
    advert: decoded(v2({ authType: 1, authData: pw('s3cret') })),
    want: 'accept',
  },
  {
    name: 'a long password compares by its first 8 bytes, as it is sent',
    rules: v2Rules({ authData: pw('123456789') }),
    advert: decoded(v2({ authType: 1, authData: pw('12345678') })),
    want: 'accept',
  },
  {
    name: 'v3 has no authentication field',
    rules: rules({ authData: pw('x') }),
    advert: decoded(v3()),
    want: 'accept',
  },
]);

table('RFC 3768 §7.1: a v2 advert whose interval differs from ours MUST be discarded', [
  { name: 'v2, 1 s = ours', rules: v2Rules(), advert: decoded(v2({ advertIntervalSec: 1 })), want: 'accept' },
  {
    name: 'v2, 2 s ≠ ours',
    rules: v2Rules(),
    advert: decoded(v2({ advertIntervalSec: 2 })),
    want: 'advert-interval',
  },
  {
    name: 'v3, another interval: accepted, the backup learns it (RFC 5798 §6.4.2)',
    advert: decoded(v3({ maxAdvertIntervalCs: 250 })),
    want: 'accept',
  },
]);

table('unicast peers (keepalived unicast_peer): only the configured peers are heard', [
  { name: 'from a configured peer', rules: rules({ unicastPeers: [ipBytes(PEER)] }), want: 'accept' },
  {
    name: 'from anyone else',
    rules: rules({ unicastPeers: [ipBytes('192.0.2.3')] }),
    want: 'unknown-peer',
  },
  { name: 'multicast instance: any source', rules: rules({ unicastPeers: [] }), want: 'accept' },
  {
    name: 'after the auth check',
    rules: v2Rules({ authData: pw('x'), unicastPeers: [ipBytes('192.0.2.3')] }),
    advert: decoded(v2()),
    want: 'auth-type-mismatch',
  },
]);

describe('RFC 5798 §7.1: the address list MAY be compared; a mismatch is logged, not dropped', () => {
  const cases: [string, string[], boolean][] = [
    ['the same list', ['192.0.2.50', '192.0.2.51'], false],
    ['the same addresses in another order', ['192.0.2.51', '192.0.2.50'], false],
    ['another address', ['192.0.2.99'], true],
    ['one address too many', ['192.0.2.50', '192.0.2.51', '192.0.2.52'], true],
    ['no address at all (count 0)', [], true],
  ];
  const ours = rules({ advertAddresses: [ipBytes('192.0.2.50'), ipBytes('192.0.2.51')] });
  for (const [name, theirs, mismatch] of cases) {
    it(`${name} → accepted, mismatch ${mismatch}`, () => {
      const r = acceptAdvert(ours, decoded(v3({ addresses: theirs })), meta());
      expect(r.ok && r.addressListMismatch).toBe(mismatch);
    });
  }
});

describe('the event an accepted advert makes (RFC 5798 §6.4)', () => {
  it('v3: priority, Max Advertise Interval in cs, the IP source as bytes', () => {
    const m = meta();
    const r = acceptAdvert(rules(), decoded(v3({ priority: 0, maxAdvertIntervalCs: 250 })), m);
    expect(r).toEqual({
      ok: true,
      event: { type: 'advert', priority: 0, maxAdvertIntervalCs: 250, srcAddress: m.src },
      addressListMismatch: false,
    });
  });
  it('v2: the interval in seconds becomes centiseconds', () => {
    const r = acceptAdvert(v2Rules({ advertIntervalCs: 300 }), decoded(v2({ advertIntervalSec: 3 })), meta());
    expect(r.ok && r.event.maxAdvertIntervalCs).toBe(300);
  });
});

describe('the rules and their order', () => {
  it('run in one order: own packet, then RFC order', () => {
    expect(RULE_SECTIONS).toEqual([
      'own packet',
      'RFC 5798 §7.1 TTL',
      'RFC 5798 §7.1 codec verdict',
      'RFC 5798 §7.1 VRID',
      'RFC 5798 §7.1 version',
      'RFC 9568 §7.1 interval 0',
      'RFC 3768 §7.1 authentication',
      'RFC 3768 §7.1 interval',
      'unicast peers',
      'allowed peers',
      'auth_hmac',
      'advert rate limit',
    ]);
  });

  it('receiveRulesOf reads an instance of the configuration once', () => {
    const cfg = loadConfig(
      yaml(
        'vrrp_instances:',
        ...instanceYaml({
          priority: 100,
          version: 2,
          interval: '2s',
          vips: ['192.0.2.50/24', '192.0.2.51/24'],
          extra: ['auth_pass: s3cret', `unicast_src: ${ME}`, 'unicast_peers: [192.0.2.3]'],
        }),
      ),
    ).vrrpInstances[0]!;
    expect(receiveRulesOf(cfg, ipBytes(ME))).toEqual({
      version: 2,
      vrid: 51,
      advertIntervalCs: 200,
      authData: pw('s3cret'),
      primaryAddress: ipBytes(ME),
      advertAddresses: [ipBytes('192.0.2.50'), ipBytes('192.0.2.51')],
      unicastPeers: [ipBytes('192.0.2.3')],
    });
  });
});
