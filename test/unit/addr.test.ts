import { describe, expect, it } from 'vitest';
import {
  canonicalIp,
  compareIp,
  compareIpBytes,
  formatIp,
  formatMac,
  ipBytes,
  isLinkLocalV6,
  parseCidr,
  parseIp,
  parseMac,
  sameIpBytes,
  sameIpSet,
  virtualMac,
} from '../../src/net/addr.js';

describe('addr', () => {
  it('parses and formats IPv4', () => {
    expect(parseIp('192.0.2.50')).toEqual({ family: 4, bytes: Buffer.from([192, 0, 2, 50]) });
    expect(formatIp(Buffer.from([198, 51, 100, 7]))).toBe('198.51.100.7');
  });
  it('parses and formats IPv6 in RFC 5952 form', () => {
    const cases: [string, string][] = [
      ['2001:db8::50', '2001:db8::50'],
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['::', '::'],
      ['::1', '::1'],
      ['fe80::1:0:0:1', 'fe80::1:0:0:1'],
      ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
      ['2001:db8:1:1:1:1:1:1', '2001:db8:1:1:1:1:1:1'],
      ['::ffff:192.0.2.1', '::ffff:c000:201'],
      ['ff02::12', 'ff02::12'],
    ];
    for (const [input, out] of cases) expect(canonicalIp(input)).toBe(out);
  });
  it('rejects garbage', () => {
    expect(parseIp('300.1.1.1')).toBeNull();
    expect(parseIp('abc')).toBeNull();
    expect(parseCidr('192.0.2.1/33')).toBeNull();
    expect(parseCidr('192.0.2.1/x')).toBeNull();
  });
  it('parses CIDRs with host default', () => {
    expect(parseCidr('192.0.2.50/24')).toEqual({ family: 4, address: '192.0.2.50', prefixLength: 24 });
    expect(parseCidr('2001:db8::50')).toEqual({ family: 6, address: '2001:db8::50', prefixLength: 128 });
  });
  it('compares address bytes as unsigned numbers; families have no order (RFC 5798 §6.4.3)', () => {
    const b = (t: string) => ipBytes(t);
    expect(compareIpBytes(b('192.0.2.10'), b('192.0.2.9'))).toBeGreaterThan(0);
    expect(compareIpBytes(b('192.0.2.9'), b('192.0.2.10'))).toBeLessThan(0);
    expect(compareIpBytes(b('fe80::ff'), b('fe80::1:0'))).toBeLessThan(0);
    expect(compareIpBytes(b('192.0.2.1'), b('192.0.2.1'))).toBe(0);
    expect(compareIpBytes(b('192.0.2.1'), b('2001:db8::1'))).toBeNaN();
    expect(sameIpBytes(b('2001:db8::1'), b('2001:DB8:0::1'))).toBe(true);
    expect(sameIpBytes(b('192.0.2.1'), b('::ffff:192.0.2.1'))).toBe(false);
    expect(() => ipBytes('eth0')).toThrow(TypeError);
  });

  it('sameIpSet: the same addresses in any order, duplicates counted', () => {
    const l = (...t: string[]) => t.map(ipBytes);
    expect(sameIpSet(l('192.0.2.50', '2001:db8::1'), l('2001:DB8:0::1', '192.0.2.50'))).toBe(true);
    expect(sameIpSet(l('192.0.2.50'), l('192.0.2.51'))).toBe(false);
    expect(sameIpSet(l('192.0.2.50'), l('192.0.2.50', '192.0.2.50'))).toBe(false);
    expect(sameIpSet(l('192.0.2.50', '192.0.2.50'), l('192.0.2.50', '192.0.2.51'))).toBe(false);
    expect(sameIpSet([], [])).toBe(true);
    expect(sameIpSet(l('::ffff:192.0.2.1'), l('192.0.2.1'))).toBe(false);
  });

  it('compares addresses numerically', () => {
    expect(compareIp('192.0.2.10', '192.0.2.9')).toBeGreaterThan(0);
    expect(compareIp('2001:db8::1', '2001:db8::1')).toBe(0);
    expect(() => compareIp('192.0.2.1', '2001:db8::1')).toThrow();
  });
  it('handles MACs and virtual MACs', () => {
    expect(formatMac(parseMac('DE:C6:79:A8:2B:73')!)).toBe('de:c6:79:a8:2b:73');
    expect(formatMac(virtualMac(4, 51))).toBe('00:00:5e:00:01:33');
    expect(formatMac(virtualMac(6, 1))).toBe('00:00:5e:00:02:01');
    expect(isLinkLocalV6('fe80::1')).toBe(true);
    expect(isLinkLocalV6('2001:db8::1')).toBe(false);
  });
});
