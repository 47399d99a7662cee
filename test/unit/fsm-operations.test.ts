// Operator-facing behaviour on top of RFC 5798 §6: preempt_delay, tracking (effective
// priority), FAULT, sync-group forcing and reload. The exact rules are in src/vrrp/fsm.ts.
import { describe, expect, it } from 'vitest';
import { nextDeadline, reconfigure } from '../../src/vrrp/fsm.js';
import { masterDownIntervalMs } from '../../src/vrrp/timers.js';
import { advert, cfg, HIGHER_ADDR, LOWER_ADDR, Sim, types } from './fsm-helpers.js';

const T0 = 1000;

describe('preempt_delay (keepalived semantics on RFC 5798 §6.1 Preempt_Mode)', () => {
  it('§6.1 preempt delay: a lower-priority master is followed until preemptAt, then we take over', () => {
    const r = new Sim(cfg({ priority: 150, preemptDelayMs: 10_000 }), T0).started();
    r.advance(500);
    r.send(advert(100, LOWER_ADDR));
    const firstSeen = r.now;
    expect(r.s.preemptAt).toBe(firstSeen + 10_000);
    // The master keeps advertising every second: we accept those adverts meanwhile.
    for (let i = 0; i < 9; i++) {
      expect(r.advance(1000)).toEqual([]);
      r.send(advert(100, LOWER_ADDR));
      expect(r.s.state).toBe('backup');
      expect(r.s.preemptAt).toBe(firstSeen + 10_000); // not pushed back by later adverts
      expect(r.s.masterDownAt).toBeCloseTo(r.now + 3609.375 - (150 - 100) * (1000 / 256), 6);
    }
    const a = r.runUntil(firstSeen + 10_000);
    expect(types(a)).toEqual(['backup->master:preempt', 'send-advert(150)', 'add-vips', 'announce']);
    expect(r.s.since).toBe(firstSeen + 10_000);
  });

  it('§6.1 preempt delay: an advert arriving at/after preemptAt also takes over', () => {
    const r = new Sim(cfg({ priority: 150, preemptDelayMs: 2000 }), T0).started();
    r.send(advert(100, LOWER_ADDR));
    r.now += 2000;
    expect(types(r.send(advert(100, LOWER_ADDR)))[0]).toBe('backup->master:preempt');
  });

  it('§6.1 preempt delay is cancelled by a higher-priority master, a priority-0 advert or a priority drop', () => {
    const cases: [string, (r: Sim) => void][] = [
      ['higher advert', (r) => r.send(advert(200, HIGHER_ADDR))],
      ['priority 0', (r) => r.send(advert(0, LOWER_ADDR))],
      ['our priority drops below the master', (r) => r.send({ type: 'priority', effectivePriority: 90 })],
    ];
    for (const [name, act] of cases) {
      const r = new Sim(cfg({ priority: 150, preemptDelayMs: 5000 }), T0).started();
      r.send(advert(100, LOWER_ADDR));
      expect(r.s.preemptAt, name).not.toBeNull();
      act(r);
      expect(r.s.preemptAt, name).toBeNull();
    }
  });

  it('§6.1 preempt false ignores preempt delay', () => {
    const r = new Sim(cfg({ priority: 150, preempt: false, preemptDelayMs: 1000 }), T0).started();
    for (let i = 0; i < 10; i++) {
      r.advance(1000);
      r.send(advert(100, LOWER_ADDR));
    }
    expect(r.s.state).toBe('backup');
    expect(r.s.preemptAt).toBeNull();
  });

  it('§6.4.2 no preempt delay after startup: a higher-priority backup preempts after Master_Down_Interval', () => {
    const r = new Sim(cfg({ priority: 150 }), T0).started();
    r.send(advert(100, LOWER_ADDR));
    const a = r.advance(3609.375 - (50 * 1000) / 256);
    expect(types(a)[0]).toBe('backup->master:master-down-timer');
  });
});

describe('tracking: effective priority', () => {
  it('clamps to 1..254 and never reaches 0 (RFC 5798 §5.2.4: 0 means "leaving")', () => {
    const r = new Sim(cfg(), T0).started();
    r.send({ type: 'priority', effectivePriority: -50 });
    expect(r.s.effectivePriority).toBe(1);
    r.send({ type: 'priority', effectivePriority: 300 });
    expect(r.s.effectivePriority).toBe(254);
  });

  it('an owner (255) keeps 255 whatever the tracking weights', () => {
    const r = new Sim(cfg({ priority: 255 }), T0).started();
    expect(r.send({ type: 'priority', effectivePriority: 200 })).toEqual([]);
    expect(r.s.effectivePriority).toBe(255);
  });

  it('§6.4.3 a master whose priority drops does nothing at once; its next advert carries the new priority', () => {
    const r = new Sim(cfg({ priority: 200 }), T0).started();
    r.advance(4000);
    expect(r.send({ type: 'priority', effectivePriority: 1 })).toEqual([]);
    expect(r.s.state).toBe('master');
    expect(r.s.masterPriority).toBe(1);
    expect(types(r.advance(1000))).toEqual(['send-advert(1)']);
  });

  it('§6.4.2 a preempting backup takes over from a master that dropped below it', () => {
    // Backup 150 follows master 200; the master's tracking drops it to 100.
    const r = new Sim(cfg({ priority: 150 }), T0).started();
    r.send(advert(200, HIGHER_ADDR));
    r.advance(1000);
    r.send(advert(200, HIGHER_ADDR));
    const lastAccepted = r.now;
    for (let i = 0; i < 3; i++) {
      r.advance(1000);
      r.send(advert(100, HIGHER_ADDR)); // discarded
    }
    const a = r.runUntil(lastAccepted + masterDownIntervalMs(3, 150, 100));
    expect(types(a)[0]).toBe('backup->master:master-down-timer');
  });

  it('§6.4.2 a backup whose priority rises above the master takes over at the next missed accept', () => {
    const r = new Sim(cfg({ priority: 100 }), T0).started();
    r.send(advert(150, HIGHER_ADDR));
    r.send({ type: 'priority', effectivePriority: 160 });
    r.advance(1000);
    r.send(advert(150, HIGHER_ADDR)); // now lower than us: discarded
    r.advance(3000);
    expect(r.s.state).toBe('master');
  });

  it('§6.4.3 master with raised priority still yields to a higher advert and beats a lower one', () => {
    const r = new Sim(cfg({ priority: 100 }), T0).started();
    r.advance(4000);
    r.send({ type: 'priority', effectivePriority: 120 });
    expect(types(r.send(advert(110, HIGHER_ADDR)))).toEqual(['send-advert(120)', 'announce-lower-prio']);
    expect(types(r.send(advert(130, HIGHER_ADDR)))[0]).toBe('master->backup:higher-priority-advert');
  });
});

describe('FAULT (keepalived)', () => {
  it('master → fault: priority 0 advert, VIPs removed, no deadlines; adverts and timers ignored', () => {
    const r = new Sim(cfg({ priority: 255 }), T0).started();
    const a = r.send({ type: 'fault', reason: 'interface eth0 down' });
    expect(types(a)).toEqual(['master->fault:fault: interface eth0 down', 'send-advert(0)', 'remove-vips']);
    expect(nextDeadline(r.s)).toBeNull();
    expect(r.send(advert(0))).toEqual([]);
    expect(r.send({ type: 'timer' })).toEqual([]);
    expect(r.send({ type: 'startup' })).toEqual([]);
    expect(r.s.state).toBe('fault');
  });

  it('backup → fault sends nothing', () => {
    const r = new Sim(cfg(), T0).started();
    expect(types(r.send({ type: 'fault', reason: 'track_script chk_haproxy' }))).toEqual([
      'backup->fault:fault: track_script chk_haproxy',
    ]);
  });

  it('leaves fault only when the last reason clears: backup with Master_Down_Timer armed', () => {
    const r = new Sim(cfg(), T0).started();
    r.send({ type: 'fault', reason: 'a' });
    r.send({ type: 'fault', reason: 'b' });
    r.send({ type: 'fault', reason: 'a' }); // duplicate: no-op
    expect(r.s.faultReasons).toEqual(['a', 'b']);
    expect(r.send({ type: 'fault-clear', reason: 'a' })).toEqual([]);
    expect(r.send({ type: 'fault-clear', reason: 'nope' })).toEqual([]);
    expect(types(r.send({ type: 'fault-clear', reason: 'b' }))).toEqual(['fault->backup:fault-cleared']);
    expect(r.s.masterDownAt).toBeCloseTo(r.now + 3609.375, 9);
  });

  it('an owner leaving fault becomes master at once (§6.4.1 owner rule)', () => {
    const r = new Sim(cfg({ priority: 255 }), T0).started();
    r.send({ type: 'fault', reason: 'link' });
    expect(types(r.send({ type: 'fault-clear', reason: 'link' }))).toEqual([
      'fault->master:fault-cleared',
      'send-advert(255)',
      'add-vips',
      'announce',
    ]);
  });

  it('a fault reported before startup makes startup enter fault; shutdown keeps the reasons', () => {
    const r = new Sim(cfg(), T0);
    expect(r.send({ type: 'fault', reason: 'link' })).toEqual([]);
    expect(r.s.state).toBe('init');
    expect(types(r.send({ type: 'startup' }))).toEqual(['init->fault:fault: link']);
    expect(types(r.send({ type: 'shutdown' }))).toEqual(['fault->init:shutdown']);
    expect(r.s.faultReasons).toEqual(['link']);
    r.send({ type: 'fault-clear', reason: 'link' });
    expect(r.s.state).toBe('init');
    expect(types(r.send({ type: 'startup' }))).toEqual(['init->backup:startup']);
  });

  it('tracking changes during fault are kept for when it clears', () => {
    const r = new Sim(cfg(), T0).started();
    r.send({ type: 'fault', reason: 'x' });
    r.send({ type: 'priority', effectivePriority: 50 });
    r.send({ type: 'fault-clear', reason: 'x' });
    expect(r.s.effectivePriority).toBe(50);
    expect(r.s.masterDownAt).toBeCloseTo(r.now + masterDownIntervalMs(3, 50, 100), 9);
  });
});

describe('sync groups (force)', () => {
  it('force master from backup; force backup from master sends priority 0', () => {
    const r = new Sim(cfg(), T0).started();
    expect(types(r.send({ type: 'force', to: 'master' }))).toEqual([
      'backup->master:sync-group',
      'send-advert(100)',
      'add-vips',
      'announce',
    ]);
    expect(types(r.send({ type: 'force', to: 'master' }))).toEqual([]);
    expect(types(r.send({ type: 'force', to: 'backup' }))).toEqual([
      'master->backup:sync-group',
      'send-advert(0)',
      'remove-vips',
    ]);
    expect(r.s.masterDownAt).not.toBeNull();
  });

  it('force fault adds the sync-group reason; force backup clears it unless own faults remain', () => {
    const r = new Sim(cfg(), T0).started();
    r.send({ type: 'force', to: 'fault' });
    expect(r.s.faultReasons).toEqual(['sync-group']);
    r.send({ type: 'fault', reason: 'link' });
    expect(r.send({ type: 'force', to: 'backup' })).toEqual([]);
    expect(r.s.state).toBe('fault');
    expect(r.s.faultReasons).toEqual(['link']);
    r.send({ type: 'force', to: 'fault' });
    r.send({ type: 'fault-clear', reason: 'link' });
    expect(r.s.state).toBe('fault');
    expect(types(r.send({ type: 'force', to: 'master' }))[0]).toBe('fault->master:sync-group');
  });

  it('force is ignored in init (only the sync-group fault reason is tracked)', () => {
    const r = new Sim(cfg(), T0);
    expect(r.send({ type: 'force', to: 'master' })).toEqual([]);
    expect(r.send({ type: 'force', to: 'fault' })).toEqual([]);
    expect(r.s.state).toBe('init');
    expect(types(r.send({ type: 'startup' }))).toEqual(['init->fault:fault: sync-group']);
  });
});

describe('reconfigure (reload without flap)', () => {
  it('unchanged config keeps state and timers exactly', () => {
    const r = new Sim(cfg(), T0).started();
    r.send(advert(200));
    const res = reconfigure(r.s, cfg(), r.now + 10);
    expect(res.actions).toEqual([]);
    expect(res.state).toEqual(r.s);
  });

  it('priority change keeps the tracking offset and does not change state', () => {
    const r = new Sim(cfg({ priority: 100 }), T0).started();
    r.send({ type: 'priority', effectivePriority: 80 });
    const res = reconfigure(r.s, cfg({ priority: 150 }), r.now);
    expect(res.state.effectivePriority).toBe(130);
    expect(res.state.state).toBe('backup');
    expect(res.actions).toEqual([]);
  });

  it('a backup that becomes the owner (255) takes master at once', () => {
    const r = new Sim(cfg(), T0).started();
    const res = reconfigure(r.s, cfg({ priority: 255 }), r.now);
    expect(types(res.actions)).toEqual([
      'backup->master:reconfigure',
      'send-advert(255)',
      'add-vips',
      'announce',
    ]);
  });

  it('a master re-arms sooner when the interval shrinks, keeps its deadline when it grows', () => {
    const r = new Sim(cfg({ priority: 255 }), T0).started();
    const shorter = reconfigure(r.s, cfg({ priority: 255, advertIntervalCs: 10 }), T0 + 50).state;
    expect(shorter.advertAt).toBe(T0 + 150);
    const longer = reconfigure(r.s, cfg({ priority: 255, advertIntervalCs: 300 }), T0 + 50).state;
    expect(longer.advertAt).toBe(T0 + 1000);
  });

  it('turning preempt off cancels a pending preempt', () => {
    const r = new Sim(cfg({ priority: 150, preemptDelayMs: 5000 }), T0).started();
    r.send(advert(100, LOWER_ADDR));
    const res = reconfigure(r.s, cfg({ priority: 150, preemptDelayMs: 5000, preempt: false }), r.now);
    expect(res.state.preemptAt).toBeNull();
  });

  it('a changed vrid restarts the instance (master sends priority 0 first)', () => {
    const r = new Sim(cfg({ priority: 255 }), T0).started();
    const res = reconfigure(r.s, cfg({ priority: 255, vrid: 52 }), r.now);
    expect(types(res.actions)).toEqual([
      'master->init:reconfigure',
      'send-advert(0)',
      'remove-vips',
      'init->master:reconfigure',
      'send-advert(255)',
      'add-vips',
      'announce',
    ]);
    expect(res.state.cfg.vrid).toBe(52);
  });

  it('an instance not yet started stays in init on reload', () => {
    const r = new Sim(cfg(), T0);
    const res = reconfigure(r.s, cfg({ vrid: 9, priority: 120 }), T0);
    expect(res.actions).toEqual([]);
    expect(res.state.state).toBe('init');
    expect(res.state.effectivePriority).toBe(120);
  });

  it('rejects an invalid new config with a stable code', () => {
    const r = new Sim(cfg(), T0).started();
    expect(() => reconfigure(r.s, cfg({ priority: 0 }), T0)).toThrowError(/priority/);
  });
});
