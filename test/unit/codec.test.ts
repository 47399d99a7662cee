import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalIp, formatIp } from '../../src/net/addr.js';
import { internetChecksum } from '../../src/net/checksum.js';
import { parseIpPacket } from '../../src/net/ip-header.js';
import {
  type AdvertContext,
  advertCodec,
  decodeAdvert,
  type EncodableAdvert,
  encodeAdvert,
  encodeAdvertInto,
  encodingLength,
  simpleAuthData,
} from '../../src/vrrp/codec.js';
import { V4, V6, v2, v3, withTextAddresses } from '../helpers/adverts.js';
import { ipPackets, readPcap, splitEthernet, splitIp } from '../helpers/pcap.js';

const FIXTURES = join(import.meta.dirname, '../fixtures');

describe('round trip, three ways (fresh buffer, re-encode of the decoded value, external buffer at an offset)', () => {
  const cases: [string, EncodableAdvert, AdvertContext][] = [
    ['v2 IPv4, no auth', v2(), V4],
    ['v2 IPv4, simple auth', v2({ authType: 1, authData: simpleAuthData('s3cret'), priority: 254 }), V4],
    [
      'v2 IPv4, 3 addresses, interval 255 s',
      v2({ addresses: ['192.0.2.50', '198.51.100.7', '203.0.113.1'], advertIntervalSec: 255 }),
      V4,
    ],
    ['v3 IPv4 (pseudo-header)', v3(), V4],
    [
      'v3 IPv4, no pseudo-header (compat)',
      v3({ maxAdvertIntervalCs: 4095 }),
      { ...V4, v3Ipv4PseudoHeader: false },
    ],
    ['v3 IPv4, no addresses', v3({ addresses: [] }), V4],
    ['v3 IPv6, one address', v3({ addresses: ['fe80::50'], vrid: 1, priority: 255 }), V6],
    ['v3 IPv6, three addresses', v3({ addresses: ['fe80::50', '2001:db8::50', '2001:db8:1::ffff'] }), V6],
    ['v3 IPv6, reserved bits kept', v3({ addresses: ['fe80::50'], reserved: 0xa }), V6],
  ];
  for (const [name, advert, ctx] of cases) {
    it(name, () => {
      const fresh = encodeAdvert(advert, ctx);
      expect(fresh.length).toBe(encodingLength(advert, ctx.family));
      expect(fresh.length).toBe(advertCodec.encodingLength(advert, ctx.family));

      const dec = decodeAdvert(fresh, ctx);
      if (!dec.ok) throw new Error(`decode failed: ${dec.reason} ${dec.detail}`);
      expect(withTextAddresses(dec.value)).toEqual({
        ...advert,
        reserved: advert.version === 3 ? (advert.reserved ?? 0) : undefined,
        checksum: fresh.readUInt16BE(6),
      });
      expect(encodeAdvert(dec.value, ctx)).toEqual(fresh);

      // a stale checksum in the value is ignored: encode always recomputes
      expect(encodeAdvert({ ...dec.value, checksum: 0x1234 }, ctx)).toEqual(fresh);

      const ext = Buffer.alloc(fresh.length + 20, 0xaa);
      const returned = encodeAdvert(advert, ctx, ext, 7);
      expect(returned).toBe(ext);
      expect(ext.subarray(7, 7 + fresh.length)).toEqual(fresh);
      expect(ext.subarray(0, 7).every((b) => b === 0xaa)).toBe(true);
      expect(ext.subarray(7 + fresh.length).every((b) => b === 0xaa)).toBe(true);
      expect(encodeAdvertInto(advert, ctx, ext, 3)).toBe(fresh.length);
      const again = advertCodec.decode(ext.subarray(3, 3 + fresh.length), ctx);
      expect(again.ok && again.value).toEqual(dec.value);
    });
  }

  it('encodes addresses given in any text form, or as bytes; decodes them as bytes', () => {
    const buf = encodeAdvert(v3({ addresses: ['FE80:0:0:0::50', '2001:DB8::0:1'] }), V6);
    const dec = decodeAdvert(buf, V6);
    expect(dec.ok && dec.value.addresses.map(formatIp)).toEqual(['fe80::50', '2001:db8::1']);
    const asBytes = v3({ addresses: [Buffer.from('fe800000000000000000000000000050', 'hex')] });
    expect(encodeAdvert(asBytes, V6)).toEqual(encodeAdvert(v3({ addresses: ['fe80::50'] }), V6));
  });

  it('accepts context addresses as bytes', () => {
    const ctx: AdvertContext = {
      family: 4,
      srcAddress: Buffer.from([192, 0, 2, 1]),
      dstAddress: Buffer.from([224, 0, 0, 18]),
    };
    expect(encodeAdvert(v3(), ctx)).toEqual(encodeAdvert(v3(), V4));
  });

  it('property: any representable advert round-trips', () => {
    const v4addr = fc.ipV4();
    const v6addr = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
      const w = Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16));
      return w.join(':');
    });
    const common = { vrid: fc.integer({ min: 0, max: 255 }), priority: fc.integer({ min: 0, max: 255 }) };
    const arb = fc.oneof(
      fc.record({
        family: fc.constant(4 as const),
        advert: fc.record({
          version: fc.constant(2 as const),
          type: fc.constant(1 as const),
          ...common,
          advertIntervalSec: fc.integer({ min: 1, max: 255 }),
          authType: fc.constantFrom(0, 1),
          authData: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((u) => Buffer.from(u)),
          addresses: fc.array(v4addr, { maxLength: 20 }),
        }),
      }),
      fc.record({
        family: fc.constant(4 as const),
        advert: fc.record({
          version: fc.constant(3 as const),
          type: fc.constant(1 as const),
          ...common,
          maxAdvertIntervalCs: fc.integer({ min: 1, max: 4095 }),
          addresses: fc.array(v4addr, { maxLength: 20 }),
        }),
      }),
      fc.record({
        family: fc.constant(6 as const),
        advert: fc.record({
          version: fc.constant(3 as const),
          type: fc.constant(1 as const),
          ...common,
          maxAdvertIntervalCs: fc.integer({ min: 1, max: 4095 }),
          addresses: fc.array(v6addr, { maxLength: 20 }),
        }),
      }),
    );
    fc.assert(
      fc.property(arb, fc.boolean(), ({ family, advert }, pseudo) => {
        const ctx = family === 4 ? { ...V4, v3Ipv4PseudoHeader: pseudo } : V6;
        const a = advert as EncodableAdvert;
        const buf = encodeAdvert(a, ctx);
        const dec = decodeAdvert(buf, ctx);
        if (!dec.ok) throw new Error(`${dec.reason}: ${dec.detail}`);
        expect(dec.value.addresses.map(formatIp)).toEqual(a.addresses.map((x) => canonicalIp(String(x))));
        expect(dec.value.vrid).toBe(a.vrid);
        expect(dec.value.priority).toBe(a.priority);
        expect(encodeAdvert(dec.value, ctx)).toEqual(buf);
      }),
      { numRuns: 3000 },
    );
  });
});

/** Fields tshark printed for one packet (`tshark -V -x`), and the frame bytes from the hex dump. */
function parseTsharkText(text: string) {
  const field = (re: RegExp) => {
    const m = text.match(re);
    if (!m?.[1]) throw new Error(`field ${re} not in tshark text`);
    return m[1];
  };
  const hex = [...text.matchAll(/^[0-9a-f]{4} {2}((?:[0-9a-f]{2} )+)/gm)]
    .map((m) => m[1]!.replace(/ /g, ''))
    .join('');
  const auth = text.match(/Auth Type: .*\((\d+)\)/);
  return {
    frame: Buffer.from(hex, 'hex'),
    version: Number(field(/VRRP protocol version: (\d+)/)),
    vrid: Number(field(/Virtual Rtr ID: (\d+)/)),
    priority: Number(field(/Priority: (\d+)/)),
    count: Number(field(/Addr Count: (\d+)/)),
    interval: Number(field(/Adver Int: (\d+)/)),
    checksum: Number.parseInt(field(/\n {4}Checksum: 0x([0-9a-f]{4}) \[correct\]/), 16),
    address: field(/IP(?:v6)? Address: (\S+)/),
    ttl: Number(field(/(?:Time to Live|Hop Limit): (\d+)/)),
    family: Number(field(/Internet Protocol Version ([46]), Src:/)) as 4 | 6,
    src: field(/Internet Protocol Version [46], Src: (\S+),/),
    dst: field(/Internet Protocol Version [46], Src: \S+, Dst: (\S+)/),
    authType: auth?.[1] === undefined ? undefined : Number(auth[1]),
  };
}

const ctxOf = (p: { family: 4 | 6; src: string; dst: string; ttl: number }): AdvertContext => ({
  family: p.family,
  srcAddress: p.src,
  dstAddress: p.dst,
});

describe('real keepalived 2.2.7 and FRR 8.4 captures (IPv4), keepalived 2.2.7 (IPv6)', () => {
  // signed adverts (auth_hmac trailer) have their own test: test/unit/auth-hmac.test.ts
  const unsigned = (f: string) => !f.startsWith('keepalived24-hmac');
  const texts = readdirSync(FIXTURES).filter((f) => f.endsWith('.txt') && unsigned(f));
  const pcaps = readdirSync(FIXTURES).filter((f) => f.endsWith('.pcap') && unsigned(f));

  it('has the fixtures', () => {
    expect(texts.length).toBe(10);
    expect(pcaps.length).toBe(5);
  });

  for (const name of texts) {
    it(`${name}: decodes field for field as tshark did, re-encodes byte-identical`, () => {
      const t = parseTsharkText(readFileSync(join(FIXTURES, name), 'utf8'));
      const ip = splitIp(t.frame)!;
      expect(ip).toMatchObject({ family: t.family, src: t.src, dst: t.dst, ttl: t.ttl, protocol: 112 });
      expect(t.dst).toBe(t.family === 4 ? '224.0.0.18' : 'ff02::12');
      const raw = parseIpPacket(splitEthernet(t.frame)!.payload, t.family);
      if (!raw.ok) throw new Error(raw.reason);
      expect([formatIp(raw.value.src), formatIp(raw.value.dst), raw.value.ttl]).toEqual([
        t.src,
        t.dst,
        t.ttl,
      ]);
      expect(raw.value.payload).toEqual(ip.payload);
      const ctx = ctxOf(ip);
      const dec = decodeAdvert(ip.payload, ctx);
      if (!dec.ok) throw new Error(`${dec.reason}: ${dec.detail}`);
      const a = dec.value;
      expect(a.version).toBe(t.version);
      expect(a.vrid).toBe(51);
      expect(a.vrid).toBe(t.vrid);
      expect(a.priority).toBe(t.priority);
      expect(a.priority).toBe(name.includes('prio0') ? 0 : 150);
      expect(a.addresses.map(formatIp)).toEqual([t.address]);
      expect(a.addresses.length).toBe(t.count);
      expect(a.checksum).toBe(t.checksum);
      if (a.version === 2) {
        expect(a.advertIntervalSec).toBe(t.interval);
        expect(a.authType).toBe(t.authType);
      } else {
        expect(a.maxAdvertIntervalCs).toBe(t.interval);
      }
      expect(encodeAdvert(a, ctx)).toEqual(ip.payload);
      // the same frame is in the matching capture
      const pcap = readPcap(join(FIXTURES, name.replace(/-(advert|prio0)\.txt$/, '.pcap')));
      expect(pcap.frames.some((f) => f.data.equals(t.frame))).toBe(true);
    });
  }

  const expectedInterval: Record<string, number> = {
    'keepalived-vrrp-v2.pcap': 1,
    'frr+keepalived-vrrp-v2.pcap': 1,
    'keepalived-vrrp-v3.pcap': 10,
    'frr+keepalived-vrrp-v3.pcap': 100,
    'keepalived-vrrp-v3-ipv6.pcap': 100,
  };
  // who sent what: master (150, then 0 on SIGTERM) and backup (100)
  const routers = (family: 4 | 6) =>
    family === 4
      ? { master: '192.0.2.1', backup: '192.0.2.2', vip: '192.0.2.50' }
      : { master: 'fe80::ff:fe00:1', backup: 'fe80::ff:fe00:2', vip: '2001:db8::50' };
  for (const name of pcaps) {
    it(`${name}: every VRRP packet decodes and re-encodes byte-identical`, () => {
      const file = readPcap(join(FIXTURES, name));
      expect(file.linkType).toBe(1);
      const packets = ipPackets(file, 112);
      expect(packets.length).toBeGreaterThanOrEqual(7);
      const seen = new Set<string>();
      const family = packets[0]!.family;
      const who = routers(family);
      for (const p of packets) {
        expect(p.family).toBe(family);
        // the engine's path: the IP packet (header included) -> parseIpPacket -> decodeAdvert
        const ip = parseIpPacket(splitEthernet(p.frame.data)!.payload, family);
        if (!ip.ok) throw new Error(ip.reason);
        expect(ip.value.payload).toEqual(p.payload);
        const ctx = { ...ctxOf(p), expectVersion: name.includes('v2') ? (2 as const) : (3 as const) };
        const dec = decodeAdvert(p.payload, ctx);
        if (!dec.ok) throw new Error(`${name} at ${p.frame.timeSec}: ${dec.reason} ${dec.detail}`);
        const a = dec.value;
        expect(a.vrid).toBe(51);
        expect(a.addresses.map(formatIp)).toEqual([who.vip]);
        expect(a.version === 2 ? a.advertIntervalSec : a.maxAdvertIntervalCs).toBe(expectedInterval[name]);
        expect(p.src === who.master ? [150, 0] : [100]).toContain(a.priority);
        if (a.version === 2) expect(a.authType).toBe(0);
        expect(encodeAdvert(a, ctx)).toEqual(p.payload);
        seen.add(
          `${p.src === who.master ? 'master' : p.src === who.backup ? 'backup' : p.src}/${a.priority}`,
        );
      }
      // both routers and the master's priority-0 goodbye are in every capture
      expect([...seen].sort()).toEqual(['backup/100', 'master/0', 'master/150']);
    });
  }

  it('FRR and keepalived v3 over IPv4 use the pseudo-header: the compat switch rejects them', () => {
    for (const name of ['keepalived-vrrp-v3.pcap', 'frr+keepalived-vrrp-v3.pcap']) {
      for (const p of ipPackets(readPcap(join(FIXTURES, name)), 112)) {
        const r = decodeAdvert(p.payload, { ...ctxOf(p), v3Ipv4PseudoHeader: false });
        expect(r.ok ? 'ok' : r.reason).toBe('checksum');
      }
    }
  });

  it('a v3 IPv4 advert checksummed without the pseudo-header fails by default and decodes with the compat switch', () => {
    const p = ipPackets(readPcap(join(FIXTURES, 'frr+keepalived-vrrp-v3.pcap')), 112)[0]!;
    const old = Buffer.from(p.payload);
    old.writeUInt16BE(0, 6);
    old.writeUInt16BE(internetChecksum(old), 6);
    const def = decodeAdvert(old, ctxOf(p));
    expect(def.ok ? 'ok' : def.reason).toBe('checksum');
    expect(def.ok ? '' : def.detail).toMatch(/computed 0x[0-9a-f]{4} \(with pseudo-header\)/);
    const compat: AdvertContext = { ...ctxOf(p), v3Ipv4PseudoHeader: false };
    const dec = decodeAdvert(old, compat);
    if (!dec.ok) throw new Error(dec.reason);
    expect(dec.value).toMatchObject({ version: 3, vrid: 51, priority: 150, maxAdvertIntervalCs: 100 });
    expect(encodeAdvert(dec.value, compat)).toEqual(old);
  });
});
