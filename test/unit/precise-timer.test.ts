import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { clearPreciseTimer, setPreciseTimer } from '../../src/vrrp/precise-timer.js';

const now = () => performance.now();

describe('precise timer (engine deadlines, RFC 5798 §6.1 sub-millisecond intervals)', () => {
  it('never fires before its deadline, and fires (generous bound: < 50 ms late)', async () => {
    for (const delay of [0, 0.5, 3.3, 20.7]) {
      const start = now();
      const at = await new Promise<number>((res) => setPreciseTimer(() => res(now()), delay, now));
      expect(at - start).toBeGreaterThanOrEqual(delay);
      expect(at - start - delay).toBeLessThan(50);
    }
  });

  it('a cleared timer never fires, in either phase', async () => {
    let fired = 0;
    const a = setPreciseTimer(() => fired++, 10, now);
    const b = setPreciseTimer(() => fired++, 0.2, now);
    clearPreciseTimer(a);
    clearPreciseTimer(b);
    let firedC = 0;
    const cDue = now() + 5;
    const c = setPreciseTimer(() => firedC++, 5, now);
    await new Promise((r) => setTimeout(r, 4.5));
    // possibly already polling; on a loaded machine the 4.5 ms sleep can outlast c's deadline,
    // and then c may have fired before it was cleared: only a clear before the deadline counts
    const clearedInTime = now() < cDue && firedC === 0;
    clearPreciseTimer(c);
    await new Promise((r) => setTimeout(r, 30));
    expect(fired).toBe(0);
    if (clearedInTime) expect(firedC).toBe(0);
    else expect(firedC).toBeLessThanOrEqual(1);
  });
});
