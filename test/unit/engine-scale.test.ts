// What keeps many instances cheap (bench/idle.ts): deadlines in a heap, adverts of several
// masters sent in one wake-up, the timer not re-armed per advert heard; and the stop path
// that puts every master's priority-0 advert on the wire before any teardown.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { DeadlineHeap } from '../../src/vrrp/deadline-heap.js';
import { earlyAdvertMs } from '../../src/vrrp/engine.js';
import { initialState, step } from '../../src/vrrp/fsm.js';
import { decodeSent, FakeClock, FakeSegment, instanceYaml, loadConfig, Node, yaml } from './engine-fakes.js';

const A_IP = '192.0.2.1';
const B_IP = '192.0.2.2';
const started: Node[] = [];
afterEach(async () => {
  for (const n of started.splice(0)) await n.engine.stop().catch(() => {});
});

function instances(n: number, priority: number, interval = '1s'): string {
  const lines = ['vrrp_instances:'];
  for (let v = 1; v <= n; v++)
    lines.push(
      ...instanceYaml({ name: `VI_${v}`, vrid: v, priority, interval, vips: [`198.51.100.${v}/32`] }),
    );
  return yaml(...lines);
}

describe('DeadlineHeap', () => {
  it('pops in deadline order whatever the sets, moves and deletes (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 30 }),
            fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null }),
          ),
          { maxLength: 200 },
        ),
        fc.integer({ min: 0, max: 1000 }),
        (ops, now) => {
          const heap = new DeadlineHeap<number>();
          const model = new Map<number, number>();
          for (const [item, key] of ops) {
            heap.set(item, key);
            if (key === null) model.delete(item);
            else model.set(item, key);
          }
          expect(heap.size).toBe(model.size);
          const min = Math.min(...model.values());
          expect(heap.peekKey()).toBe(model.size ? min : null);
          const due = heap.popDue(now);
          const want = [...model].filter(([, k]) => k <= now).map(([, k]) => k);
          expect(due.map((i) => model.get(i))).toEqual(want.sort((a, b) => a - b));
          expect(heap.size).toBe(model.size - want.length);
        },
      ),
    );
  });
});

describe('adverts of many masters in one wake-up', () => {
  it('the FSM sends an early advert only on request, and only as master', () => {
    const cfg = {
      version: 3 as const,
      vrid: 1,
      priority: 150,
      advertIntervalCs: 100,
      preempt: true,
      preemptDelayMs: 0,
      acceptMode: false,
      primaryAddress: new Uint8Array([192, 0, 2, 1]),
    };
    let s = step(initialState(cfg, 0), { type: 'startup' }, 0).state;
    // a backup's Master_Down deadline is never taken early
    const early = step(s, { type: 'timer', early: true }, 10);
    expect(early.state.state).toBe('backup');
    expect(early.actions).toEqual([]);
    s = step(s, { type: 'timer' }, s.masterDownAt ?? 0).state;
    expect(s.state).toBe('master');
    const due = s.advertAt ?? 0;
    // an ordinary timer before the deadline does nothing; an early one sends and re-phases
    expect(step(s, { type: 'timer' }, due - 5).actions).toEqual([]);
    const r = step(s, { type: 'timer', early: true }, due - 5);
    expect(r.actions).toEqual([{ type: 'send-advert', priority: 150 }]);
    expect(r.state.advertAt).toBe(due - 5 + 1000);
  });

  it('an instance started 7 ms after another joins its cadence after one interval', async () => {
    const clock = new FakeClock();
    const seg = new FakeSegment(clock);
    const a = new Node('A', clock, loadConfig(instances(1, 150)), { segments: { 4: seg }, primary4: A_IP });
    started.push(a);
    await a.engine.start();
    await clock.advance(7);
    await a.reload(loadConfig(instances(2, 150)));
    await clock.advance(10_000);
    const times = (vrid: number) =>
      seg.log
        .filter((s) => {
          const d = decodeSent(s, 4);
          return d.ok && d.value.vrid === vrid;
        })
        .map((s) => s.at);
    const one = times(1);
    const two = times(2);
    expect(two.length).toBeGreaterThan(4);
    // the first advert at the transition, the next one 7 ms early, then together
    expect(two[1]! - two[0]!).toBeCloseTo(1000 - 7, 6);
    for (const t of two.slice(1)) expect(one).toContain(t);
    // never more than the early margin ahead of the interval, never late
    for (let i = 1; i < two.length; i++) {
      expect(two[i]! - two[i - 1]!).toBeGreaterThanOrEqual(1000 - earlyAdvertMs(1000));
      expect(two[i]! - two[i - 1]!).toBeLessThanOrEqual(1000);
    }
  });

  it('a backup of 50 instances does not re-arm its timer for every advert it hears', async () => {
    const clock = new FakeClock();
    const seg = new FakeSegment(clock);
    const a = new Node('A', clock, loadConfig(instances(50, 150)), { segments: { 4: seg }, primary4: A_IP });
    const b = new Node('B', clock, loadConfig(instances(50, 100)), { segments: { 4: seg }, primary4: B_IP });
    started.push(a, b);
    await a.engine.start();
    await b.engine.start();
    await clock.advance(10_000);
    expect(await b.state('VI_50')).toBe('backup');
    const sets = clock.setCalls;
    const heard = seg.log.length;
    await clock.advance(20_000);
    const adverts = seg.log.length - heard;
    expect(adverts).toBeGreaterThanOrEqual(50 * 19);
    // both engines together: the master's one wake-up per second (plus the segment's
    // deliveries, one fake timer per packet), the backup's few re-arms
    expect(clock.setCalls - sets - adverts).toBeLessThan(3 * 20);
  });
});

describe('stop', () => {
  it('every master sends its priority-0 advert before any VIP is removed', async () => {
    const clock = new FakeClock();
    const seg = new FakeSegment(clock);
    const a = new Node('A', clock, loadConfig(instances(5, 150)), { segments: { 4: seg }, primary4: A_IP });
    await a.engine.start();
    await clock.advance(5000);
    const events: string[] = [];
    const tx = a.transport();
    const send = tx.send.bind(tx);
    tx.send = (payload, dst, src) => {
      events.push(payload[2] === 0 ? 'prio0' : 'advert');
      return send(payload, dst, src);
    };
    const remove = a.addresses.remove.bind(a.addresses);
    a.addresses.remove = (ifname, address, len) => {
      events.push('remove');
      return remove(ifname, address, len);
    };
    await a.engine.stop();
    expect(events.slice(0, 5)).toEqual(['prio0', 'prio0', 'prio0', 'prio0', 'prio0']);
    expect(events.filter((e) => e === 'remove').length).toBeGreaterThanOrEqual(5);
  });
});
