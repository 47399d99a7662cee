// The receive path's checksum forms (rangeSum, pseudoHeaderSum) against the general ones
// they stand in for: the same sums, bytes for bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { onesComplementSum, pseudoHeader, pseudoHeaderSum, rangeSum } from '../../src/net/checksum.js';

describe('rangeSum and pseudoHeaderSum', () => {
  it('rangeSum(buf, start, end, initial) is onesComplementSum of the view', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(),
        fc.nat(),
        fc.nat({ max: 0x3ffff }),
        (bytes, a, b, initial) => {
          const start = (a % (bytes.length + 1)) & ~1;
          const end = start + (b % (bytes.length - start + 1));
          expect(rangeSum(bytes, start, end, initial)).toBe(
            onesComplementSum([bytes.subarray(start, end)], initial),
          );
        },
      ),
    );
  });

  it('a sum over a pseudo-header then the payload equals the sum over both', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.nat({ max: 255 }),
        fc.uint8Array({ maxLength: 200 }),
        (v6, addrs, protocol, payload) => {
          const n = v6 ? 16 : 4;
          const [src, dst] = [addrs.subarray(0, n), addrs.subarray(16, 16 + n)];
          const ph = pseudoHeader(src, dst, protocol, payload.length);
          expect(pseudoHeaderSum(src, dst, protocol, payload.length)).toBe(onesComplementSum([ph]));
          expect(
            rangeSum(payload, 0, payload.length, pseudoHeaderSum(src, dst, protocol, payload.length)),
          ).toBe(onesComplementSum([ph, payload]));
        },
      ),
    );
    expect(() => pseudoHeaderSum(new Uint8Array(4), new Uint8Array(16), 112, 8)).toThrow(RangeError);
  });
});
