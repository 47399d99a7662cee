// Property tests (fast-check) for the pure FSM: random event sequences never reach an
// invalid state, and two simulated routers exchanging adverts always end with one master.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareIpBytes, ipBytes } from '../../src/net/addr.js';
import {
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmState,
  initialState,
  nextDeadline,
  reconfigure,
  step,
} from '../../src/vrrp/fsm.js';
import { masterDownIntervalMs } from '../../src/vrrp/timers.js';

const ADDRS = ['192.0.2.1', '192.0.2.2', '192.0.2.9', '192.0.2.10', '192.0.2.200'].map(ipBytes);

function configArb(): fc.Arbitrary<FsmConfig> {
  return fc
    .record({
      version: fc.constantFrom<2 | 3>(2, 3),
      vrid: fc.integer({ min: 1, max: 255 }),
      priority: fc.oneof(fc.integer({ min: 1, max: 254 }), fc.constant(255)),
      intervalUnits: fc.integer({ min: 1, max: 40 }),
      preempt: fc.boolean(),
      preemptDelayMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 20_000 })),
      acceptMode: fc.boolean(),
      primaryAddress: fc.constantFrom(...ADDRS),
    })
    .map(({ intervalUnits, ...c }) => ({
      ...c,
      // v2 carries whole seconds (RFC 3768); v3 any 1..4095 cs.
      advertIntervalCs: c.version === 2 ? intervalUnits * 100 : intervalUnits * 10,
    }));
}

const eventArb: fc.Arbitrary<FsmEvent> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<FsmEvent>({ type: 'startup' }) },
  { weight: 1, arbitrary: fc.constant<FsmEvent>({ type: 'shutdown' }) },
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant('advert' as const),
      priority: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 255 })),
      maxAdvertIntervalCs: fc.integer({ min: 1, max: 4095 }),
      srcAddress: fc.constantFrom(...ADDRS),
    }),
  },
  { weight: 4, arbitrary: fc.constant<FsmEvent>({ type: 'timer' }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('priority' as const),
      effectivePriority: fc.integer({ min: -300, max: 300 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ type: fc.constant('fault' as const), reason: fc.constantFrom('link', 'script') }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('fault-clear' as const),
      reason: fc.constantFrom('link', 'script'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('force' as const),
      to: fc.constantFrom('master' as const, 'backup' as const, 'fault' as const),
    }),
  },
);

/** The invariants every reachable state satisfies. Returns a description of the first violation. */
function violation(s: FsmState, now: number): string | null {
  const owner = s.cfg.priority === 255;
  if (owner ? s.effectivePriority !== 255 : s.effectivePriority < 1 || s.effectivePriority > 254) {
    return `effective priority ${s.effectivePriority} (configured ${s.cfg.priority})`;
  }
  switch (s.state) {
    case 'init':
      if (nextDeadline(s) !== null) return 'init with a deadline armed';
      break;
    case 'master':
      if (s.advertAt === null) return 'master without Adver_Timer';
      if (s.masterDownAt !== null || s.preemptAt !== null) return 'master with backup timers';
      if (s.faultReasons.length > 0) return 'master with fault reasons';
      break;
    case 'backup':
      if (s.masterDownAt === null) return 'backup without Master_Down_Timer';
      if (s.advertAt !== null) return 'backup with Adver_Timer';
      if (s.faultReasons.length > 0) return 'backup with fault reasons';
      break;
    case 'fault':
      if (nextDeadline(s) !== null) return 'fault with a deadline armed';
      if (s.faultReasons.length === 0) return 'fault without a reason';
      break;
  }
  const d = nextDeadline(s);
  if (d !== null && !(d > now)) return `deadline ${d} not after now ${now}`;
  return null;
}

/** Tracks VIP ownership from the actions; they must match the state. */
class VipLedger {
  held = false;
  apply(from: FsmState, to: FsmState, actions: FsmAction[]): string | null {
    const changes = actions.filter((a) => a.type === 'state-change');
    if (from.state === to.state ? changes.length !== 0 : changes.length !== 1) {
      return `state ${from.state}→${to.state} with ${changes.length} state-change actions`;
    }
    const c = changes[0];
    if (c && c.type === 'state-change' && (c.from !== from.state || c.to !== to.state))
      return 'state-change mismatch';
    for (const a of actions) {
      if (a.type === 'add-vips') {
        if (this.held) return 'add-vips while holding VIPs';
        this.held = true;
      } else if (a.type === 'remove-vips') {
        if (!this.held) return 'remove-vips without VIPs';
        this.held = false;
      } else if (a.type === 'send-advert') {
        // Only a master advertises; priority 0 only on the way out of master.
        if (a.priority === 0 ? from.state !== 'master' : to.state !== 'master')
          return `stray send-advert(${a.priority})`;
      }
    }
    if (this.held !== (to.state === 'master')) return `VIPs held=${this.held} in state ${to.state}`;
    return null;
  }
}

describe('FSM properties', () => {
  it('random event sequences never produce an invalid state (RFC 5798 §6.4 invariants)', () => {
    fc.assert(
      fc.property(
        configArb(),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), eventArb), { maxLength: 120 }),
        (c, evs) => {
          let now = 0;
          let s = initialState(c, now);
          const vips = new VipLedger();
          const apply = (ev: FsmEvent) => {
            const r = step(s, ev, now);
            const bad = vips.apply(s, r.state, r.actions) ?? violation(r.state, now);
            if (bad) throw new Error(`${bad} after ${JSON.stringify(ev)} at ${now}`);
            s = r.state;
          };
          for (const [dt, ev] of evs) {
            // The runtime delivers due timers before anything that happens later.
            const target = now + dt;
            for (let d = nextDeadline(s); d !== null && d <= target; d = nextDeadline(s)) {
              now = Math.max(now, d);
              apply({ type: 'timer' });
            }
            now = target;
            apply(ev);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reconfigure keeps the invariants', () => {
    fc.assert(
      fc.property(configArb(), configArb(), fc.array(eventArb, { maxLength: 30 }), (c1, c2, evs) => {
        let s = initialState(c1, 0);
        let now = 0;
        for (const ev of evs) {
          now += 100;
          for (let d = nextDeadline(s); d !== null && d <= now; d = nextDeadline(s))
            s = step(s, { type: 'timer' }, d).state;
          s = step(s, ev, now).state;
        }
        const r = reconfigure(s, c2, now);
        expect(violation(r.state, now)).toBeNull();
        expect(r.state.cfg).toBe(c2);
      }),
      { numRuns: 300 },
    );
  });
});

// ---- two routers on one link ----

interface Router {
  s: FsmState;
  vips: VipLedger;
}

interface Scenario {
  a: FsmConfig;
  b: FsmConfig;
  startA: number;
  startB: number;
  latencyMs: number;
  partition: [number, number] | null;
  faultB: [number, number] | null;
}

/** Runs both routers on a shared fake clock; adverts cross the link after latencyMs unless partitioned. */
function simulate(sc: Scenario, endAt: number): Router[] {
  const routers: Router[] = [
    { s: initialState(sc.a, 0), vips: new VipLedger() },
    { s: initialState(sc.b, 0), vips: new VipLedger() },
  ];
  type Pending = { at: number; to: number; ev: FsmEvent; seq: number };
  const queue: Pending[] = [];
  let seq = 0;
  const schedule = (at: number, to: number, ev: FsmEvent) => queue.push({ at, to, ev, seq: seq++ });
  schedule(sc.startA, 0, { type: 'startup' });
  schedule(sc.startB, 1, { type: 'startup' });
  if (sc.faultB) {
    schedule(sc.faultB[0], 1, { type: 'fault', reason: 'link' });
    schedule(sc.faultB[1], 1, { type: 'fault-clear', reason: 'link' });
  }
  const cut = (t: number) => sc.partition !== null && t >= sc.partition[0] && t < sc.partition[1];

  const deliver = (i: number, ev: FsmEvent, now: number) => {
    const r = routers[i]!;
    const res = step(r.s, ev, now);
    const bad = r.vips.apply(r.s, res.state, res.actions) ?? violation(res.state, now);
    if (bad) throw new Error(`router ${i}: ${bad}`);
    r.s = res.state;
    for (const a of res.actions) {
      if (a.type !== 'send-advert' || cut(now)) continue;
      schedule(now + sc.latencyMs, 1 - i, {
        type: 'advert',
        priority: a.priority,
        maxAdvertIntervalCs: r.s.cfg.advertIntervalCs,
        srcAddress: r.s.cfg.primaryAddress,
      });
    }
  };

  for (let guard = 0; guard < 200_000; guard++) {
    const deadlines = routers.map((r) => nextDeadline(r.s));
    queue.sort((x, y) => x.at - y.at || x.seq - y.seq);
    const nextQueued = queue[0]?.at ?? Number.POSITIVE_INFINITY;
    const nextTimer = Math.min(...deadlines.map((d) => d ?? Number.POSITIVE_INFINITY));
    const t = Math.min(nextQueued, nextTimer);
    if (t > endAt) return routers;
    if (nextQueued <= nextTimer) {
      const p = queue.shift()!;
      deliver(p.to, p.ev, p.at);
    } else {
      const i = deadlines.indexOf(nextTimer);
      deliver(i, { type: 'timer' }, nextTimer);
    }
  }
  throw new Error('simulation did not settle (advert storm?)');
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    version: fc.constantFrom<2 | 3>(2, 3),
    prioA: fc.oneof(fc.integer({ min: 1, max: 254 }), fc.constant(255)),
    prioB: fc.integer({ min: 1, max: 254 }),
    equalPrio: fc.boolean(),
    preemptA: fc.boolean(),
    preemptB: fc.boolean(),
    delayA: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5000 })),
    delayB: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5000 })),
    addrs: fc.uniqueArray(fc.constantFrom(...ADDRS), { minLength: 2, maxLength: 2 }),
    simultaneous: fc.boolean(),
    startA: fc.integer({ min: 0, max: 8000 }),
    startB: fc.integer({ min: 0, max: 8000 }),
    latencyMs: fc.integer({ min: 1, max: 50 }),
    partition: fc.option(fc.tuple(fc.integer({ min: 0, max: 15_000 }), fc.integer({ min: 1, max: 15_000 }))),
    faultB: fc.option(fc.tuple(fc.integer({ min: 0, max: 15_000 }), fc.integer({ min: 1, max: 15_000 }))),
  })
  .map((r) => {
    const advertIntervalCs = 100;
    const base = { version: r.version, vrid: 7, advertIntervalCs, acceptMode: false };
    const prioB = r.equalPrio && r.prioA !== 255 ? r.prioA : r.prioB;
    return {
      a: {
        ...base,
        priority: r.prioA,
        preempt: r.preemptA,
        preemptDelayMs: r.delayA,
        primaryAddress: r.addrs[0]!,
      },
      b: {
        ...base,
        priority: prioB,
        preempt: r.preemptB,
        preemptDelayMs: r.delayB,
        primaryAddress: r.addrs[1]!,
      },
      startA: r.startA,
      startB: r.simultaneous ? r.startA : r.startB,
      latencyMs: r.latencyMs,
      partition: r.partition ? [r.partition[0], r.partition[0] + r.partition[1]] : null,
      faultB: r.faultB ? [r.faultB[0], r.faultB[0] + r.faultB[1]] : null,
    };
  });

describe('two routers on one link', () => {
  it('always converge on exactly one master, the higher priority when it preempts (RFC 5798 §6.4)', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        // Settle time after the last disturbance: longest Master_Down_Interval plus preempt delay.
        const lastDisturbance = Math.max(sc.startA, sc.startB, sc.partition?.[1] ?? 0, sc.faultB?.[1] ?? 0);
        const settle =
          Math.max(masterDownIntervalMs(sc.a.version, 1, 100), 4000) +
          Math.max(sc.a.preemptDelayMs, sc.b.preemptDelayMs) +
          3000;
        const [ra, rb] = simulate(sc, lastDisturbance + settle);
        const masters = [ra!, rb!].filter((r) => r.s.state === 'master');
        expect(masters.length).toBe(1);
        const winner = masters[0]!.s.cfg;
        const [hi, lo] = sc.a.priority >= sc.b.priority ? [sc.a, sc.b] : [sc.b, sc.a];
        if (hi.priority !== lo.priority && (hi.preempt || hi.priority === 255)) {
          // §6.4.2: a preempting higher-priority backup always takes over.
          expect(winner).toBe(hi);
        }
        if (hi.priority === lo.priority && sc.startA === sc.startB && !sc.partition && !sc.faultB) {
          // Both time out together and meet as masters: §6.4.3 tie-break, higher address wins.
          expect(winner).toBe(compareIpBytes(sc.a.primaryAddress, sc.b.primaryAddress) > 0 ? sc.a : sc.b);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('split brain heals: after a partition the lower-priority master yields and the winner re-announces', () => {
    const base = {
      version: 3 as const,
      vrid: 7,
      advertIntervalCs: 100,
      acceptMode: false,
      preemptDelayMs: 0,
    };
    const sc: Scenario = {
      a: { ...base, priority: 200, preempt: true, primaryAddress: ipBytes('192.0.2.1') },
      b: { ...base, priority: 100, preempt: true, primaryAddress: ipBytes('192.0.2.2') },
      startA: 0,
      startB: 0,
      latencyMs: 1,
      partition: [10_000, 20_000],
      faultB: null,
    };
    const during = simulate(sc, 19_000);
    expect(during.map((r) => r.s.state)).toEqual(['master', 'master']);
    const after = simulate(sc, 25_000);
    expect(after.map((r) => r.s.state)).toEqual(['master', 'backup']);
  });
});
