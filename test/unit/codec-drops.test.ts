// Every named drop reason from crafted buffers; encode refusals; the pure policy helpers.
import { describe, expect, it } from 'vitest';
import { internetChecksum } from '../../src/net/checksum.js';
import {
  ADVERT_DROP_REASONS,
  type AdvertContext,
  type AdvertDropReason,
  decodeAdvert,
  type EncodableAdvert,
  encodeAdvert,
  encodeAdvertInto,
  simpleAuthData,
  VrrpEncodeError,
} from '../../src/vrrp/codec.js';
import { V4, V6, v2, v3 } from '../helpers/adverts.js';

describe('named drop reasons', () => {
  const produced = new Set<AdvertDropReason>();
  const base = encodeAdvert(v2(), V4);
  const base3 = encodeAdvert(v3(), V4);
  /** A copy of `buf` changed by `edit`, with the checksum then made right again. */
  const craft = (buf: Buffer, edit: (b: Buffer) => void, ctx: AdvertContext = V4, fixSum = true) => {
    const b = Buffer.from(buf);
    edit(b);
    if (fixSum) {
      b.writeUInt16BE(0, 6);
      const pseudo =
        b[0]! >> 4 === 3 ? Buffer.from([192, 0, 2, 1, 224, 0, 0, 18, 0, 112, 0, b.length]) : Buffer.alloc(0);
      b.writeUInt16BE(internetChecksum(ctx.family === 4 ? pseudo : Buffer.alloc(0), b), 6);
    }
    return b;
  };
  const expectReason = (buf: Uint8Array, ctx: AdvertContext, reason: AdvertDropReason, detail?: RegExp) => {
    const r = decodeAdvert(buf, ctx);
    expect(r.ok ? 'decoded' : r.reason).toBe(reason);
    if (!r.ok) {
      produced.add(r.reason);
      if (detail) expect(r.detail).toMatch(detail);
    }
  };

  it('length: shorter than the fixed header', () => {
    expectReason(Buffer.alloc(0), V4, 'length', /header alone/);
    expectReason(base.subarray(0, 7), V4, 'length');
  });
  it("version: neither 2 nor 3 (the configured version is the receive filter's)", () => {
    expectReason(
      craft(base, (b) => (b[0] = 0x11)),
      V4,
      'version',
      /version 1/,
    );
    expectReason(
      craft(base, (b) => (b[0] = 0x41)),
      V4,
      'version',
    );
    // a well-formed advert of either version decodes: whether it is ours is not the codec's call
    expect(decodeAdvert(base, V4).ok && decodeAdvert(base3, V4).ok).toBe(true);
  });
  it('type: only 1 (advertisement)', () => {
    expectReason(
      craft(base, (b) => (b[0] = 0x22)),
      V4,
      'type',
      /type 2/,
    );
    expectReason(
      craft(base3, (b) => (b[0] = 0x30)),
      V4,
      'type',
    );
  });
  it('family: v2 over IPv6, or context addresses of the wrong family', () => {
    expectReason(base, V6, 'family', /RFC 3768/);
    const v6 = encodeAdvert(v3({ addresses: ['fe80::50'] }), V6);
    expectReason(v6, { ...V6, srcAddress: '192.0.2.1' }, 'family');
    expectReason(v6, { ...V6, dstAddress: 'not an address' }, 'family');
  });
  it('length: address count does not match the length', () => {
    expectReason(
      craft(base, (b) => (b[3] = 2)),
      V4,
      'length',
      /expected 24/,
    );
    expectReason(Buffer.concat([base, Buffer.alloc(1)]), V4, 'length');
    expectReason(base.subarray(0, base.length - 1), V4, 'length');
    expectReason(base3, V6, 'length'); // a 4-byte address read as IPv6
  });
  it('checksum: any flipped bit', () => {
    expectReason(
      craft(base, (b) => (b[8]! ^= 1), V4, false),
      V4,
      'checksum',
      /computed/,
    );
    expectReason(
      craft(base3, (b) => (b[2]! ^= 0x80), V4, false),
      V4,
      'checksum',
    );
    // v3 checksum covers the IP addresses: another source fails it
    expectReason(base3, { ...V4, srcAddress: '192.0.2.2' }, 'checksum');
  });
  it('parses what the receive rules judge: any auth type, an interval of 0, any TTL', () => {
    const ah = decodeAdvert(
      craft(base, (b) => (b[4] = 2)),
      V4,
    );
    expect(ah.ok && ah.value.version === 2 && ah.value.authType).toBe(2);
    const zero = decodeAdvert(
      craft(base3, (b) => b.writeUInt16BE(0xf000, 4)),
      V4,
    );
    expect(zero.ok && zero.value.version === 3 && zero.value.maxAdvertIntervalCs).toBe(0);
  });
  it('every reason in ADVERT_DROP_REASONS is produced by some crafted buffer', () => {
    expect([...produced].sort()).toEqual([...ADVERT_DROP_REASONS].sort());
  });
});

describe('encode refuses what the wire cannot carry', () => {
  const cases: [string, EncodableAdvert, AdvertContext][] = [
    ['v2 over IPv6', v2(), V6],
    ['vrid 256', v2({ vrid: 256 }), V4],
    ['priority -1', v3({ priority: -1 }), V4],
    ['fractional interval', v2({ advertIntervalSec: 1.5 }), V4],
    ['v3 interval 4096 cs', v3({ maxAdvertIntervalCs: 4096 }), V4],
    ['auth data of 7 bytes', v2({ authData: Buffer.alloc(7) }), V4],
    ['IPv6 address in an IPv4 advert', v3({ addresses: ['2001:db8::1'] }), V4],
    ['not an address', v3({ addresses: ['vip'] }), V4],
    ['256 addresses', v3({ addresses: Array(256).fill('192.0.2.1') }), V4],
    ['v3 with a bad context address', v3(), { ...V4, srcAddress: 'x' }],
  ];
  for (const [name, advert, ctx] of cases) {
    it(name, () => {
      let err: unknown;
      try {
        encodeAdvert(advert, ctx);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VrrpEncodeError);
      expect((err as VrrpEncodeError).code).toBe('VRRP_ENCODE');
    });
  }
  it('a too-small external buffer', () => {
    expect(() => encodeAdvertInto(v2(), V4, Buffer.alloc(29), 10)).toThrow(VrrpEncodeError);
  });
});

describe('policy helpers (pure)', () => {
  it('simpleAuthData pads with zeros and truncates to 8 bytes (RFC 3768 §5.3.10)', () => {
    expect(simpleAuthData('abc').toString('hex')).toBe('6162630000000000');
    expect(simpleAuthData('123456789')).toEqual(Buffer.from('12345678'));
  });
});
