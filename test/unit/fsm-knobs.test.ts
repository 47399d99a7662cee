// keepalived's VRRP protocol knobs in the pure state machine, driven by a fake clock:
// higher_prio_send_advert, lower_prio_no_advert, down_timer_adverts (keepalived 2.4.3
// vrrp.c vrrp_state_master_rx and VRRP_MS_DOWN_TIMER), and the announce schedule of
// garp_lower_prio_repeat / garp_lower_prio_delay and garp_extra_if.
import { describe, expect, it } from 'vitest';
import { AnnounceSchedule } from '../../src/vrrp/announce-schedule.js';
import { initialState, VrrpFsmError } from '../../src/vrrp/fsm.js';
import { masterDownIntervalMs, skewTimeMs } from '../../src/vrrp/timers.js';
import { advert, cfg, HIGHER_ADDR, LOWER_ADDR, Sim, types } from './fsm-helpers.js';

const T0 = 1000;

/** A router that became master at its Master_Down_Timer, and the time it did. */
function master(over: Parameters<typeof cfg>[0] = {}): Sim {
  const r = new Sim(cfg(over), T0).started();
  r.advance(10_000);
  expect(r.s.state).toBe('master');
  return r;
}

describe('down_timer_adverts', () => {
  it('Master_Down_Interval is N advert intervals plus Skew_Time (v3 and v2)', () => {
    expect(masterDownIntervalMs(3, 100, 100, 1)).toBe(1000 + skewTimeMs(3, 100, 100));
    expect(masterDownIntervalMs(3, 100, 100, 10)).toBe(10_000 + skewTimeMs(3, 100, 100));
    expect(masterDownIntervalMs(2, 100, 100, 5)).toBe(5000 + 609.375);
    // default: the RFCs' 3
    expect(masterDownIntervalMs(3, 100, 100)).toBe(masterDownIntervalMs(3, 100, 100, 3));
  });

  it('a backup started with down_timer_adverts 6 takes over after 6 intervals + skew, not 3', () => {
    const r = new Sim(cfg({ downTimerAdverts: 6 }), T0).started();
    const due = T0 + 6000 + skewTimeMs(3, 100, 100);
    expect(r.s.masterDownAt).toBe(due);
    r.runUntil(T0 + 3700); // an RFC backup would have taken over at 3609 ms
    expect(r.s.state).toBe('backup');
    r.runUntil(due);
    expect(r.s.state).toBe('master');
    expect(r.s.lastReason).toBe('master-down-timer');
  });

  it('every advert heard restarts the timer with N × the learned interval (v3), and 1 works', () => {
    const r = new Sim(cfg({ downTimerAdverts: 1 }), T0).started();
    r.advance(500);
    r.send(advert(200, HIGHER_ADDR, 50)); // the master advertises every 500 ms
    expect(r.s.masterDownAt).toBe(r.now + 500 + skewTimeMs(3, 100, 50));
    // a master that steps down arms the same timer
    const m = master({ downTimerAdverts: 4 });
    m.send(advert(200, HIGHER_ADDR, 100));
    expect(m.s.state).toBe('backup');
    expect(m.s.masterDownAt).toBe(m.now + 4000 + skewTimeMs(3, 100, 100));
  });

  it('a sync-group hold re-arms with N intervals too', () => {
    const r = new Sim(cfg({ downTimerAdverts: 2 }), T0).started();
    r.now = r.s.masterDownAt ?? 0;
    r.send({ type: 'hold-master' });
    expect(r.s.masterDownAt).toBe(r.now + 2000 + skewTimeMs(3, 100, 100));
  });

  it('outside 1..100 is refused with a stable code', () => {
    for (const n of [0, 101, 2.5]) {
      expect(() => initialState(cfg({ downTimerAdverts: n }), T0)).toThrow(VrrpFsmError);
      try {
        initialState(cfg({ downTimerAdverts: n }), T0);
      } catch (e) {
        expect((e as VrrpFsmError).code).toBe('VRRP_BAD_DOWN_TIMER_ADVERTS');
      }
    }
  });
});

describe('higher_prio_send_advert', () => {
  it('off (default): a master hearing a higher advert steps down without sending', () => {
    const r = master();
    expect(types(r.send(advert(200, HIGHER_ADDR)))).toEqual([
      'master->backup:higher-priority-advert',
      'remove-vips',
    ]);
  });

  it('on: one advert with our own priority first, then backup (no priority 0)', () => {
    const r = master({ higherPrioSendAdvert: true });
    expect(types(r.send(advert(200, HIGHER_ADDR)))).toEqual([
      'send-advert(100)',
      'master->backup:higher-priority-advert',
      'remove-vips',
    ]);
    expect(r.s.state).toBe('backup');
    expect(r.s.advertAt).toBeNull();
  });

  it('on: also for an equal priority from a higher address (the tie lost), not for a lower one', () => {
    const r = master({ higherPrioSendAdvert: true });
    expect(types(r.send(advert(100, HIGHER_ADDR)))[0]).toBe('send-advert(100)');
    expect(r.s.state).toBe('backup');
    const l = master({ higherPrioSendAdvert: true });
    expect(types(l.send(advert(100, LOWER_ADDR)))).toEqual(['send-advert(100)', 'announce-lower-prio']);
    expect(l.s.state).toBe('master');
  });
});

describe('lower_prio_no_advert', () => {
  it('off (default, RFC 9568 and keepalived): advert at once, Adver_Timer restarted, VIPs re-announced', () => {
    const r = master();
    r.advance(300);
    expect(types(r.send(advert(50, HIGHER_ADDR)))).toEqual(['send-advert(100)', 'announce-lower-prio']);
    expect(r.s.advertAt).toBe(r.now + 1000);
  });

  it('on: no advert, the Adver_Timer runs on, the VIPs are still re-announced', () => {
    const r = master({ lowerPrioNoAdvert: true });
    const due = r.s.advertAt;
    r.advance(300);
    expect(types(r.send(advert(50, HIGHER_ADDR)))).toEqual(['announce-lower-prio']);
    expect(r.s.advertAt).toBe(due);
    expect(r.s.state).toBe('master');
    // the next advert goes at its usual time
    expect(types(r.runUntil(due ?? 0))).toEqual(['send-advert(100)']);
  });

  it('on: a priority-0 advert is still answered, but the Adver_Timer is left alone (keepalived)', () => {
    const r = master({ lowerPrioNoAdvert: true });
    const due = r.s.advertAt;
    r.advance(200);
    expect(types(r.send(advert(0, HIGHER_ADDR)))).toEqual(['send-advert(100)']);
    expect(r.s.advertAt).toBe(due);
  });
});

describe('announce schedule: garp_lower_prio_repeat / garp_lower_prio_delay', () => {
  it('repeat now, and repeat again after the delay, spaced by the garp interval', () => {
    const s = new AnnounceSchedule();
    s.addLowerPrio(1000, 3, 5000, 100);
    expect(s.takeDue(1000, 0)).toBe(1);
    expect(s.takeDue(1200, 0)).toBe(2);
    expect(s.nextAt()).toBe(6000);
    expect(s.takeDue(6000, 0)).toBe(1);
    expect(s.takeDue(6200, 0)).toBe(2);
    expect(s.nextAt()).toBeNull();
  });

  it('no delay: one batch; repeat 0: nothing, not even after the delay (keepalived)', () => {
    const s = new AnnounceSchedule();
    s.addLowerPrio(0, 2, 0, 0);
    expect(s.takeDue(0, 0)).toBe(2);
    expect(s.nextAt()).toBeNull();
    s.addLowerPrio(0, 0, 5000, 0);
    expect(s.nextAt()).toBeNull();
  });
});

describe('announce schedule: garp_extra_if', () => {
  it('due at its first time, then every interval from when it went; cleared when no longer master', () => {
    const s = new AnnounceSchedule();
    s.setExtraIfAt(5000 + 60_000, 60_000); // garp delay 5 s + interval 60 s
    expect(s.nextAt()).toBe(65_000);
    expect(s.takeExtraIfDue(64_999)).toBe(false);
    expect(s.takeExtraIfDue(65_010)).toBe(true);
    expect(s.nextAt()).toBe(125_010);
    // a late wake-up sends once, not once per missed interval
    expect(s.takeExtraIfDue(400_000)).toBe(true);
    expect(s.takeExtraIfDue(400_000)).toBe(false);
    s.clear();
    expect(s.nextAt()).toBeNull();
    expect(s.takeExtraIfDue(10_000_000)).toBe(false);
  });

  it('interval 0 or null: off', () => {
    const s = new AnnounceSchedule();
    s.setExtraIfAt(1000, 0);
    expect(s.nextAt()).toBeNull();
    s.setExtraIfAt(null, 1000);
    expect(s.takeExtraIfDue(5000)).toBe(false);
  });
});
