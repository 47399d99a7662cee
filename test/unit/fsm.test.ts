// RFC 5798 §6 (as updated by RFC 9568 §6) and RFC 3768 §6 state machine, driven by a fake clock.
import { describe, expect, it } from 'vitest';
import { initialState, nextDeadline, step, VrrpFsmError } from '../../src/vrrp/fsm.js';
import { masterDownIntervalMs, skewTimeMs } from '../../src/vrrp/timers.js';
import { advert, cfg, HIGHER_ADDR, ip, LOWER_ADDR, ME, Sim, types } from './fsm-helpers.js';

const T0 = 1000;

describe('§6.4.1 Initialize', () => {
  it('§6.4.1 initial state is init with no deadline', () => {
    const s = initialState(cfg(), T0);
    expect(s.state).toBe('init');
    expect(nextDeadline(s)).toBeNull();
    expect(s.effectivePriority).toBe(100);
    expect(s.masterAdverIntervalCs).toBe(100);
  });

  it('§6.4.1 owner (priority 255) startup: advert, VIPs, announce, Adver_Timer, → master', () => {
    const r = new Sim(cfg({ priority: 255 }), T0);
    const a = r.send({ type: 'startup' });
    expect(types(a)).toEqual(['init->master:owner-startup', 'send-advert(255)', 'add-vips', 'announce']);
    expect(r.s.state).toBe('master');
    expect(r.s.advertAt).toBe(T0 + 1000);
    expect(r.s.masterDownAt).toBeNull();
    expect(r.s.masterAddress).toBe(ME);
    expect(r.s.masterPriority).toBe(255);
  });

  it('§6.4.1 non-owner startup: Master_Adver_Interval = Advertisement_Interval, Master_Down_Timer armed, → backup', () => {
    const r = new Sim(cfg({ advertIntervalCs: 10 }), T0);
    const a = r.send({ type: 'startup' });
    expect(types(a)).toEqual(['init->backup:startup']);
    expect(r.s.masterAdverIntervalCs).toBe(10);
    expect(r.s.masterDownAt).toBeCloseTo(T0 + 360.9375, 9);
    expect(r.s.advertAt).toBeNull();
  });

  it('§6.4.1 v2 non-owner startup uses the whole-second v2 formula (RFC 3768 §6.4.1)', () => {
    const r = new Sim(cfg({ version: 2 }), T0).started();
    expect(r.s.masterDownAt).toBeCloseTo(T0 + 3609.375, 9);
  });

  it('§6.4.1 events other than startup are ignored in init', () => {
    const s = initialState(cfg(), T0);
    for (const ev of [advert(200), { type: 'timer' } as const, { type: 'shutdown' } as const]) {
      const r = step(s, ev, T0 + 5);
      expect(r.actions).toEqual([]);
      expect(r.state.state).toBe('init');
    }
  });

  it('§6.4.1 startup is ignored once started', () => {
    const r = new Sim(cfg(), T0).started();
    expect(r.send({ type: 'startup' })).toEqual([]);
    expect(r.s.state).toBe('backup');
  });
});

describe('§6.4.2 Backup', () => {
  it('§6.4.2 Master_Down_Timer fires: advert, VIPs, announce, Adver_Timer, → master', () => {
    const r = new Sim(cfg(), T0).started();
    expect(r.advance(3609)).toEqual([]);
    const a = r.advance(1);
    expect(types(a)).toEqual([
      'backup->master:master-down-timer',
      'send-advert(100)',
      'add-vips',
      'announce',
    ]);
    expect(r.s.since).toBeCloseTo(T0 + 3609.375, 9);
    expect(r.s.advertAt).toBeCloseTo(T0 + 3609.375 + 1000, 9);
    expect(r.s.masterDownAt).toBeNull();
  });

  it('§6.4.2 backup: priority 0 advert sets Master_Down_Timer to Skew_Time', () => {
    const r = new Sim(cfg(), T0).started();
    r.advance(500);
    expect(r.send(advert(0, HIGHER_ADDR))).toEqual([]);
    expect(r.s.masterDownAt).toBeCloseTo(r.now + 609.375, 9);
    expect(r.s.masterPriority).toBe(0);
    const a = r.advance(610);
    expect(types(a)[0]).toBe('backup->master:master-down-timer');
  });

  it('§6.4.2 backup: priority 0 Skew_Time uses the learned Master_Adver_Interval (v3)', () => {
    const r = new Sim(cfg(), T0).started();
    r.send(advert(200, HIGHER_ADDR, 10));
    r.send(advert(0, HIGHER_ADDR, 10));
    expect(r.s.masterDownAt).toBeCloseTo(r.now + skewTimeMs(3, 100, 10), 9);
  });

  it('§6.4.2 backup: higher-priority advert resets Master_Down_Timer to Master_Down_Interval', () => {
    const r = new Sim(cfg(), T0).started();
    for (let i = 0; i < 10; i++) {
      r.advance(1000);
      expect(r.send(advert(200))).toEqual([]);
      expect(r.s.masterDownAt).toBeCloseTo(r.now + 3609.375, 9);
    }
    expect(r.s.state).toBe('backup');
    expect(r.s.masterAddress).toBe(HIGHER_ADDR);
    expect(r.s.masterPriority).toBe(200);
  });

  it('§6.4.2 v3 backup learns Master_Adver_Interval from the advert and recomputes Master_Down_Interval', () => {
    const r = new Sim(cfg({ advertIntervalCs: 100 }), T0).started();
    r.send(advert(200, HIGHER_ADDR, 10));
    expect(r.s.masterAdverIntervalCs).toBe(10);
    expect(r.s.masterDownAt).toBeCloseTo(r.now + 360.9375, 9);
    r.send(advert(200, HIGHER_ADDR, 250));
    expect(r.s.masterAdverIntervalCs).toBe(250);
    expect(r.s.masterDownAt).toBeCloseTo(r.now + masterDownIntervalMs(3, 100, 250), 9);
  });

  it('RFC 3768 §6.4.2 v2 backup does not learn the interval (mismatches are discarded by the caller, §7.1)', () => {
    const r = new Sim(cfg({ version: 2, advertIntervalCs: 100 }), T0).started();
    r.send(advert(200, HIGHER_ADDR, 300));
    expect(r.s.masterAdverIntervalCs).toBe(100);
    expect(r.s.masterDownAt).toBeCloseTo(r.now + 3609.375, 9);
  });

  it('§6.4.2 backup: equal-priority advert is accepted (>= local priority), whatever the address', () => {
    for (const src of [LOWER_ADDR, HIGHER_ADDR]) {
      const r = new Sim(cfg(), T0).started();
      r.advance(3000);
      r.send(advert(100, src));
      expect(r.s.masterDownAt).toBeCloseTo(r.now + 3609.375, 9);
      r.advance(3000);
      expect(r.s.state).toBe('backup');
    }
  });

  it('§6.4.2 backup with Preempt_Mode true: lower-priority advert is discarded, Master_Down_Timer fires', () => {
    const r = new Sim(cfg(), T0).started();
    const armed = r.s.masterDownAt;
    r.advance(1000);
    expect(r.send(advert(50, LOWER_ADDR))).toEqual([]);
    expect(r.s.masterDownAt).toBe(armed); // not reset
    expect(r.s.masterPriority).toBe(50); // but remembered for status
    r.advance(1000);
    r.send(advert(50, LOWER_ADDR));
    const a = r.advance(2000);
    expect(types(a)[0]).toBe('backup->master:master-down-timer');
  });

  it('§6.4.2 backup with Preempt_Mode false: lower-priority advert resets Master_Down_Timer', () => {
    const r = new Sim(cfg({ preempt: false }), T0).started();
    for (let i = 0; i < 10; i++) {
      r.advance(1000);
      r.send(advert(50, LOWER_ADDR));
    }
    expect(r.s.state).toBe('backup');
    expect(r.s.masterDownAt).toBeCloseTo(r.now + 3609.375, 9);
  });

  it('§6.1 Preempt_Mode: the owner (255) preempts even with preempt false', () => {
    // Owner ends up backup only after losing a 255 tie (misconfiguration); it still preempts lower masters.
    const r = new Sim(cfg({ priority: 255, preempt: false }), T0).started();
    r.send(advert(255, HIGHER_ADDR));
    expect(r.s.state).toBe('backup');
    const armed = r.s.masterDownAt;
    r.advance(500);
    r.send(advert(100, LOWER_ADDR));
    expect(r.s.masterDownAt).toBe(armed);
  });

  it('§6.4.2 Shutdown in backup: cancel Master_Down_Timer, → init, no advert', () => {
    const r = new Sim(cfg(), T0).started();
    const a = r.send({ type: 'shutdown' });
    expect(types(a)).toEqual(['backup->init:shutdown']);
    expect(nextDeadline(r.s)).toBeNull();
  });

  it('§7.1 (erratum 8301) an advert with interval 0 or a priority out of range is ignored, not learned', () => {
    const r = new Sim(cfg(), T0).started();
    const before = r.s;
    expect(r.send(advert(200, HIGHER_ADDR, 0))).toEqual([]);
    expect(r.send(advert(256, HIGHER_ADDR))).toEqual([]);
    expect(r.send(advert(-1, HIGHER_ADDR))).toEqual([]);
    expect(r.s).toBe(before);
  });
});

describe('§6.4.3 Master', () => {
  function master(over = {}) {
    const r = new Sim(cfg({ priority: 255, ...over }), T0).started();
    return r;
  }

  it('§6.4.3 Adver_Timer fires: send ADVERTISEMENT and re-arm Advertisement_Interval', () => {
    const r = master();
    for (let i = 1; i <= 5; i++) {
      const a = r.advance(1000);
      expect(types(a)).toEqual(['send-advert(255)']);
      expect(r.s.advertAt).toBe(T0 + (i + 1) * 1000);
    }
  });

  it('§6.4.3 Adver_Timer keeps its cadence when the runtime fires late, and does not burst after a stall', () => {
    const r = master();
    r.now = T0 + 1003; // fired 3 ms late
    r.send({ type: 'timer' });
    expect(r.s.advertAt).toBe(T0 + 2000);
    r.now = T0 + 7500; // stalled for several intervals
    expect(types(r.send({ type: 'timer' }))).toEqual(['send-advert(255)']);
    expect(r.s.advertAt).toBe(T0 + 8500);
  });

  it('§6.4.3 a timer event before the deadline does nothing', () => {
    const r = master();
    r.now = T0 + 999;
    expect(r.send({ type: 'timer' })).toEqual([]);
  });

  it('§6.4.3 master: priority 0 advert → send ADVERTISEMENT at once and reset Adver_Timer', () => {
    const r = master();
    r.advance(400);
    expect(types(r.send(advert(0, HIGHER_ADDR)))).toEqual(['send-advert(255)']);
    expect(r.s.advertAt).toBe(r.now + 1000);
    expect(r.s.state).toBe('master');
  });

  it('§6.4.3 master: higher-priority advert → backup, VIPs removed, Master_Down_Timer from the advert interval', () => {
    const r = new Sim(cfg(), T0).started();
    r.advance(4000); // becomes master via Master_Down_Timer
    expect(r.s.state).toBe('master');
    const a = r.send(advert(200, LOWER_ADDR, 10));
    expect(types(a)).toEqual(['master->backup:higher-priority-advert', 'remove-vips']);
    expect(r.s.advertAt).toBeNull();
    expect(r.s.masterAdverIntervalCs).toBe(10);
    expect(r.s.masterDownAt).toBeCloseTo(r.now + 360.9375, 9);
    expect(r.s.masterAddress).toBe(LOWER_ADDR);
  });

  it('§6.4.3 (RFC 9568) master: equal priority and higher primary address → backup', () => {
    const r = new Sim(cfg(), T0).started();
    r.advance(4000);
    const a = r.send(advert(100, HIGHER_ADDR));
    expect(types(a)).toEqual(['master->backup:equal-priority-higher-address', 'remove-vips']);
  });

  it('§6.4.3 (RFC 9568) tie-break compares addresses as unsigned numbers, not strings', () => {
    const r = new Sim(cfg({ primaryAddress: ip('192.0.2.9') }), T0).started();
    r.advance(4000);
    // '192.0.2.10' < '192.0.2.9' as strings, but 10 > 9 as numbers: we must yield.
    expect(types(r.send(advert(100, ip('192.0.2.10'))))[0]).toBe(
      'master->backup:equal-priority-higher-address',
    );
    const r6 = new Sim(cfg({ primaryAddress: ip('fe80::9') }), T0).started();
    r6.advance(4000);
    expect(types(r6.send(advert(100, ip('fe80::a'))))[0]).toBe(
      'master->backup:equal-priority-higher-address',
    );
    // 0x80 > 0x7f as an unsigned byte: a signed compare would get this wrong
    const r8 = new Sim(cfg({ primaryAddress: ip('127.0.2.9') }), T0).started();
    r8.advance(4000);
    expect(types(r8.send(advert(100, ip('128.0.2.1'))))[0]).toBe(
      'master->backup:equal-priority-higher-address',
    );
  });

  it('§6.4.3 an advert from the other family never wins the tie-break', () => {
    const r = new Sim(cfg(), T0).started();
    r.advance(4000);
    expect(types(r.send(advert(100, ip('2001:db8::1'))))).toEqual([
      'send-advert(100)',
      'announce-lower-prio',
    ]);
  });

  it('§6.4.3 (RFC 9568) master: lower priority, or equal priority from a lower address → stay, advertise at once, announce', () => {
    for (const ev of [advert(50, HIGHER_ADDR), advert(100, LOWER_ADDR)]) {
      const r = new Sim(cfg(), T0).started();
      r.advance(4000);
      r.advance(300);
      const a = r.send(ev);
      expect(types(a)).toEqual(['send-advert(100)', 'announce-lower-prio']);
      expect(r.s.state).toBe('master');
      expect(r.s.advertAt).toBe(r.now + 1000);
    }
  });

  it('§6.4.3 Shutdown in master: cancel Adver_Timer, send priority 0, remove VIPs, → init', () => {
    const r = master();
    const a = r.send({ type: 'shutdown' });
    expect(types(a)).toEqual(['master->init:shutdown', 'send-advert(0)', 'remove-vips']);
    expect(nextDeadline(r.s)).toBeNull();
    expect(r.s.state).toBe('init');
  });

  it('§6.4.3 restart after shutdown goes through §6.4.1 again', () => {
    const r = master();
    r.send({ type: 'shutdown' });
    expect(types(r.send({ type: 'startup' }))[0]).toBe('init->master:owner-startup');
  });

  it('RFC 3768 §6.4.3 v2 master → backup keeps our own interval', () => {
    const r = new Sim(cfg({ version: 2 }), T0).started();
    r.advance(4000);
    r.send(advert(200, HIGHER_ADDR, 100));
    expect(r.s.masterAdverIntervalCs).toBe(100);
    expect(r.s.masterDownAt).toBeCloseTo(r.now + 3609.375, 9);
  });
});

describe('config validation (errors carry a stable code)', () => {
  const bad: [string, Partial<ReturnType<typeof cfg>>, string][] = [
    ['priority 0', { priority: 0 }, 'VRRP_BAD_PRIORITY'],
    ['priority 256', { priority: 256 }, 'VRRP_BAD_PRIORITY'],
    ['vrid 0', { vrid: 0 }, 'VRRP_BAD_VRID'],
    ['interval 0 (RFC 9568 erratum 8301)', { advertIntervalCs: 0 }, 'VRRP_BAD_INTERVAL'],
    ['interval 4096', { advertIntervalCs: 4096 }, 'VRRP_BAD_INTERVAL'],
    ['v2 sub-second interval (RFC 3768 §5.3.7)', { version: 2, advertIntervalCs: 50 }, 'VRRP_BAD_INTERVAL'],
    ['negative preempt delay', { preemptDelayMs: -1 }, 'VRRP_BAD_PREEMPT_DELAY'],
    ['bad primary address', { primaryAddress: new Uint8Array(5) }, 'VRRP_BAD_PRIMARY_ADDRESS'],
  ];
  for (const [name, over, code] of bad) {
    it(`rejects ${name}`, () => {
      expect(() => initialState(cfg(over), T0)).toThrowError(VrrpFsmError);
      try {
        initialState(cfg(over), T0);
      } catch (e) {
        expect((e as VrrpFsmError).code).toBe(code);
        expect((e as Error).message).toContain('vrid');
      }
    });
  }

  it('§6.1 Accept_Mode is carried for the runtime and changes no transition', () => {
    const run = (acceptMode: boolean) => {
      const r = new Sim(cfg({ acceptMode }), T0).started();
      r.advance(4000);
      r.send(advert(200));
      r.send(advert(0));
      r.advance(1000);
      return { log: r.log, s: { ...r.s, cfg: undefined } };
    };
    expect(run(true)).toEqual(run(false));
    expect(new Sim(cfg({ acceptMode: true })).s.cfg.acceptMode).toBe(true);
  });
});

describe('step() is pure', () => {
  it('never mutates its input state', () => {
    const r = new Sim(cfg(), T0).started();
    const frozen = structuredClone(r.s);
    step(r.s, advert(200), T0 + 10);
    step(r.s, { type: 'timer' }, T0 + 99999);
    step(r.s, { type: 'fault', reason: 'link down' }, T0 + 10);
    expect(r.s).toEqual(frozen);
  });
});
