import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VrrpFsmError } from '../../src/vrrp/fsm-types.js';
import { csToMs, masterDownIntervalMs, skewTimeMs } from '../../src/vrrp/timers.js';

describe('VRRP timers', () => {
  // Worked examples from FACTS.md, exact fractions (no rounding to centiseconds).
  const cases: { name: string; v: 2 | 3; prio: number; maiCs: number; skew: number; mdi: number }[] = [
    { name: 'RFC 3768 §6.1 v2 prio 100 @1 s', v: 2, prio: 100, maiCs: 100, skew: 609.375, mdi: 3609.375 },
    { name: 'RFC 5798 §6.1 v3 prio 100 @100 ms', v: 3, prio: 100, maiCs: 10, skew: 60.9375, mdi: 360.9375 },
    { name: 'RFC 5798 §6.1 v3 prio 100 @1 s', v: 3, prio: 100, maiCs: 100, skew: 609.375, mdi: 3609.375 },
    { name: 'RFC 5798 §6.1 v3 owner 255 @1 s', v: 3, prio: 255, maiCs: 100, skew: 3.90625, mdi: 3003.90625 },
    { name: 'RFC 5798 §6.1 v3 prio 1 @1 s', v: 3, prio: 1, maiCs: 100, skew: 996.09375, mdi: 3996.09375 },
    {
      name: 'RFC 3768 §6.1 v2 prio 200 @3 s (skew independent of interval)',
      v: 2,
      prio: 200,
      maiCs: 300,
      skew: 218.75,
      mdi: 9218.75,
    },
    {
      name: 'RFC 5798 §6.1 v3 max interval 4095 cs',
      v: 3,
      prio: 100,
      maiCs: 4095,
      skew: 24953.90625,
      mdi: 147803.90625,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: Skew_Time ${c.skew} ms, Master_Down_Interval ${c.mdi} ms`, () => {
      expect(skewTimeMs(c.v, c.prio, c.maiCs)).toBeCloseTo(c.skew, 9);
      expect(masterDownIntervalMs(c.v, c.prio, c.maiCs)).toBeCloseTo(c.mdi, 9);
    });
  }

  it('csToMs converts centiseconds', () => {
    expect(csToMs(100)).toBe(1000);
    expect(csToMs(1)).toBe(10);
  });

  it('RFC 5798 §6.1: higher priority ⇒ shorter Skew_Time and Master_Down_Interval (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<2 | 3>(2, 3),
        fc.integer({ min: 1, max: 254 }),
        fc.integer({ min: 1, max: 4095 }),
        (v, p, mai) => {
          expect(skewTimeMs(v, p + 1, mai)).toBeLessThan(skewTimeMs(v, p, mai));
          expect(masterDownIntervalMs(v, p + 1, mai)).toBeLessThan(masterDownIntervalMs(v, p, mai));
          const skew = skewTimeMs(v, p, mai);
          expect(skew).toBeGreaterThan(0);
          // v3 skew is below one interval; v2 skew is below one second.
          expect(skew).toBeLessThan(v === 3 ? csToMs(mai) : 1000);
          expect(masterDownIntervalMs(v, p, mai)).toBeCloseTo(3 * csToMs(mai) + skew, 9);
        },
      ),
    );
  });

  const bad: [string, () => number, string][] = [
    ['priority 0', () => skewTimeMs(3, 0, 100), 'VRRP_BAD_PRIORITY'],
    ['priority 256', () => skewTimeMs(3, 256, 100), 'VRRP_BAD_PRIORITY'],
    ['fractional priority', () => skewTimeMs(3, 100.5, 100), 'VRRP_BAD_PRIORITY'],
    ['interval 0 (RFC 9568 erratum 8301)', () => masterDownIntervalMs(3, 100, 0), 'VRRP_BAD_INTERVAL'],
    ['interval 4096', () => masterDownIntervalMs(3, 100, 4096), 'VRRP_BAD_INTERVAL'],
    ['version 4', () => skewTimeMs(4 as 3, 100, 100), 'VRRP_BAD_VERSION'],
  ];
  for (const [name, fn, code] of bad) {
    it(`rejects ${name} with code ${code}`, () => {
      try {
        fn();
        expect.unreachable('should have thrown');
      } catch (e) {
        expect(e).toBeInstanceOf(VrrpFsmError);
        expect((e as VrrpFsmError).code).toBe(code);
      }
    });
  }
});
