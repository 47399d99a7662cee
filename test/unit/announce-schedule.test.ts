// The master's GARP/NA schedule (src/vrrp/announce-schedule.ts): batches at their spacing,
// a delayed second batch, the periodic refresh, and clearing when mastership ends.
import { describe, expect, it } from 'vitest';
import { AnnounceSchedule } from '../../src/vrrp/announce-schedule.js';

describe('announce schedule', () => {
  it('a batch of 5 at 1 s spacing: one due at once, then one per second', () => {
    const s = new AnnounceSchedule();
    s.addBatch(1000, 5, 1000);
    expect(s.nextAt()).toBe(1000);
    expect(s.takeDue(1000, 0)).toBe(1);
    expect(s.nextAt()).toBe(2000);
    expect(s.takeDue(1999, 0)).toBe(0);
    // a late tick catches up with every announcement it missed
    expect(s.takeDue(4500, 0)).toBe(3);
    expect(s.takeDue(5000, 0)).toBe(1);
    expect(s.nextAt()).toBeNull();
    expect(s.takeDue(99_000, 0)).toBe(0);
  });

  it('a delayed second batch and a refresh run side by side; the refresh re-arms from now', () => {
    const s = new AnnounceSchedule();
    s.addBatch(0, 2, 100);
    s.addBatch(5000, 2, 100); // garp_master_delay 5 s
    s.setRefreshAt(3000); // garp_master_refresh 3 s
    expect(s.takeDue(0, 3000)).toBe(1);
    expect(s.takeDue(100, 3000)).toBe(1);
    expect(s.nextAt()).toBe(3000);
    expect(s.takeDue(3010, 3000)).toBe(1);
    expect(s.nextAt()).toBe(5000);
    expect(s.takeDue(5000, 3000)).toBe(1);
    expect(s.takeDue(6010, 3000)).toBe(2); // the batch's last and the refresh due at 6010
    expect(s.nextAt()).toBe(9010);
  });

  it('repeat 0 adds nothing; clear() forgets batches and refresh', () => {
    const s = new AnnounceSchedule();
    s.addBatch(0, 0, 100);
    expect(s.nextAt()).toBeNull();
    s.addBatch(0, 3, 100);
    s.setRefreshAt(1000);
    s.clear();
    expect(s.nextAt()).toBeNull();
    expect(s.takeDue(10_000, 1000)).toBe(0);
  });
});
