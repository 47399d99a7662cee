import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checksumValid,
  internetChecksum,
  ipv4PseudoHeader,
  ipv6PseudoHeader,
  onesComplementSum,
  pseudoHeader,
} from '../../src/net/checksum.js';

// Reference: textbook RFC 1071 over one concatenated buffer, no cleverness.
function naiveChecksum(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) sum += (data[i]! << 8) + (i + 1 < data.length ? data[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

describe('RFC 1071 internet checksum', () => {
  it('reproduces the RFC 1071 §3 numerical example', () => {
    // bytes 00 01 f2 03 f4 f5 f6 f7: one's complement sum ddf2, checksum 220d
    const data = Buffer.from('0001f203f4f5f6f7', 'hex');
    expect(onesComplementSum([data])).toBe(0xddf2);
    expect(internetChecksum(data)).toBe(0x220d);
  });

  it('treats an odd-length tail as padded with a zero byte', () => {
    expect(internetChecksum(Buffer.from([0x12]))).toBe(~0x1200 & 0xffff);
    expect(internetChecksum(Buffer.alloc(0))).toBe(0xffff);
  });

  it('verifies the IPv4 header checksum of a real keepalived advert', () => {
    // IP header of test/fixtures/keepalived-vrrp-v3-advert.txt, checksum 0x188e
    const hdr = Buffer.from('45c00020000c0000ff70188ec0000201e0000012', 'hex');
    expect(checksumValid(hdr)).toBe(true);
    const zeroed = Buffer.from(hdr);
    zeroed.writeUInt16BE(0, 10);
    expect(internetChecksum(zeroed)).toBe(0x188e);
  });

  it('gives the same result for any split of the input into parts (odd boundaries included)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat(300), { maxLength: 6 }),
        (data, cuts) => {
          const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
          const parts: Uint8Array[] = [];
          let prev = 0;
          for (const p of points) {
            parts.push(data.subarray(prev, p));
            prev = p;
          }
          parts.push(data.subarray(prev));
          expect(internetChecksum(...parts)).toBe(naiveChecksum(data));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a buffer with its checksum inserted verifies', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 200 }), (data) => {
        const b = Buffer.from(data);
        b.writeUInt16BE(0, 0);
        b.writeUInt16BE(internetChecksum(b), 0);
        expect(checksumValid(b)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('does not lose carries on long input', () => {
    const big = Buffer.alloc(1 << 20, 0xff);
    expect(internetChecksum(big)).toBe(naiveChecksum(big));
    expect(onesComplementSum([big])).toBe(0xffff);
  });
});

describe('pseudo-headers', () => {
  it('IPv4: src, dst, zero, protocol, 16-bit length', () => {
    const h = ipv4PseudoHeader(Buffer.from([192, 0, 2, 1]), Buffer.from([224, 0, 0, 18]), 112, 12);
    expect(h.toString('hex')).toBe('c0000201' + 'e0000012' + '00' + '70' + '000c');
  });

  it('IPv6: RFC 8200 §8.1 src, dst, 32-bit length, 3 zero bytes, next header', () => {
    const src = Buffer.from('fe800000000000000000000000000001', 'hex');
    const dst = Buffer.from('ff020000000000000000000000000012', 'hex');
    const h = ipv6PseudoHeader(src, dst, 112, 24);
    expect(h.toString('hex')).toBe(src.toString('hex') + dst.toString('hex') + '00000018' + '000000' + '70');
    expect(pseudoHeader(src, dst, 112, 24)).toEqual(h);
  });

  it('rejects addresses of the wrong size', () => {
    expect(() => ipv4PseudoHeader(Buffer.alloc(16), Buffer.alloc(4), 112, 8)).toThrow(RangeError);
    expect(() => ipv6PseudoHeader(Buffer.alloc(4), Buffer.alloc(16), 112, 8)).toThrow(RangeError);
  });
});
