// The VRRP engine (src/vrrp/engine.ts) with fake effects and a fake clock: two engines
// wired back to back through a fake segment, failover timing to the fractional
// millisecond, priority 0 on stop, GARP batches, drop counters, snapshot counters.
import { afterEach, describe, expect, it } from 'vitest';
import { masterDownIntervalMs, skewTimeMs } from '../../src/vrrp/timers.js';
import { decodeSent, FakeClock, FakeSegment, instanceYaml, loadConfig, Node, yaml } from './engine-fakes.js';

const A_IP = '192.0.2.1';
const B_IP = '192.0.2.2';

function pairConfig(prio: number, extra: string[] = [], interval = '1s') {
  return loadConfig(yaml('vrrp_instances:', ...instanceYaml({ priority: prio, extra, interval })));
}

const started: Node[] = [];

async function pair(
  opts: { aExtra?: string[]; bExtra?: string[]; aPrio?: number; bPrio?: number; interval?: string } = {},
) {
  const clock = new FakeClock();
  const seg = new FakeSegment(clock);
  const a = new Node('A', clock, pairConfig(opts.aPrio ?? 150, opts.aExtra, opts.interval), {
    segments: { 4: seg },
    primary4: A_IP,
  });
  const b = new Node('B', clock, pairConfig(opts.bPrio ?? 100, opts.bExtra, opts.interval), {
    segments: { 4: seg },
    primary4: B_IP,
  });
  await a.engine.start();
  await b.engine.start();
  started.push(a, b);
  return { clock, seg, a, b };
}

afterEach(async () => {
  for (const n of started.splice(0)) await n.engine.stop().catch(() => {});
});

describe('two engines back to back', () => {
  it('converge on one master: the higher priority (RFC 5798 §6.4.1, §6.4.2)', async () => {
    const { clock, a, b } = await pair();
    expect(await a.state('VI_1')).toBe('backup');
    expect(await b.state('VI_1')).toBe('backup');
    await clock.advance(10_000);
    expect(await a.state('VI_1')).toBe('master');
    expect(await b.state('VI_1')).toBe('backup');
    // A became master when its own Master_Down_Timer (priority 150) expired, exactly.
    expect(a.lastEntered('VI_1', 'master')).toBe(masterDownIntervalMs(3, 150, 100));
    expect(b.transitions.map((t) => t.to)).toEqual(['backup']);
    const bi = await b.instance('VI_1');
    expect(bi.masterAddress).toBe(A_IP);
    expect(bi.masterPriority).toBe(150);
    // VIP on the master only
    expect(a.addresses.has('eth0', '192.0.2.50')).toBe(true);
    expect(b.addresses.has('eth0', '192.0.2.50')).toBe(false);
  });

  it('master stops delivering → backup takes over at Master_Down_Interval exactly (RFC 5798 §6.4.2)', async () => {
    const { clock, a, b } = await pair();
    await clock.advance(10_000);
    const aTx = a.transport();
    aTx.cutOff = true;
    // the last advert B heard was A's last one sent before the cut
    const lastHeard = aTx.sent.at(-1)!.at;
    await clock.advance(10_000);
    expect(await b.state('VI_1')).toBe('master');
    const took = b.lastEntered('VI_1', 'master')!;
    // 3 × 1 s + Skew_Time(100) = 3609.375 ms (FACTS.md worked example)
    expect(took - lastHeard).toBe(3609.375);
    expect(took - lastHeard).toBe(masterDownIntervalMs(3, 100, 100));
    expect(b.addresses.has('eth0', '192.0.2.50')).toBe(true);
    expect(b.frames.arps().filter((f) => f.at === took)).toHaveLength(5);
  });

  it('at 100 ms adverts the takeover is 3 × 100 ms + Skew_Time (RFC 5798 §6.1)', async () => {
    const { clock, a, b } = await pair({ interval: '100ms' });
    await clock.advance(5_000);
    a.transport().cutOff = true;
    const lastHeard = a.transport().sent.at(-1)!.at;
    await clock.advance(5_000);
    // 300 ms + 60.9375 ms (FACTS.md worked example)
    expect(b.lastEntered('VI_1', 'master')! - lastHeard).toBe(360.9375);
    expect(b.lastEntered('VI_1', 'master')! - lastHeard).toBe(masterDownIntervalMs(3, 100, 10));
  });

  it('the old master comes back and preempts the lower-priority master (RFC 5798 §6.4.3)', async () => {
    const { clock, a, b } = await pair();
    await clock.advance(10_000);
    a.transport().cutOff = true;
    await clock.advance(10_000);
    expect(await b.state('VI_1')).toBe('master');
    // A (still master in its own eyes) is heard again: B sees a higher priority and yields.
    a.transport().cutOff = false;
    await clock.advance(3_000);
    expect(await a.state('VI_1')).toBe('master');
    expect(await b.state('VI_1')).toBe('backup');
    expect(b.addresses.has('eth0', '192.0.2.50')).toBe(false);
  });

  it('stop: the master sends priority 0 and the backup takes over after Skew_Time (RFC 5798 §6.4.3, §6.4.2)', async () => {
    const { clock, a, b } = await pair();
    await clock.advance(10_000);
    const stoppedAt = clock.now();
    await a.engine.stop();
    const adv = decodeSent(a.transports[0]!.sent.at(-1)!, 4);
    expect(adv.ok && adv.value.priority).toBe(0);
    expect(a.addresses.has('eth0', '192.0.2.50')).toBe(false);
    expect(a.transports.every((t) => t.closed)).toBe(true);
    expect(a.links.closed).toBe(true);
    await clock.advance(5_000);
    expect(await b.state('VI_1')).toBe('master');
    expect(b.lastEntered('VI_1', 'master')! - stoppedAt).toBe(skewTimeMs(3, 100, 100));
    expect((await a.instance('VI_1')).counters.priorityZeroSent).toBe(1);
    expect((await b.instance('VI_1')).counters.priorityZeroReceived).toBe(1);
  });
});

describe('GARP batches (garp: repeat, interval, delay)', () => {
  it('defaults: 5 at once on becoming master, 5 more after delay 5 s (RFC 5798 §6.4.1)', async () => {
    const clock = new FakeClock();
    const a = new Node('A', clock, pairConfig(150), { primary4: A_IP });
    started.push(a);
    await a.engine.start();
    await clock.advance(20_000);
    const at = a.lastEntered('VI_1', 'master')!;
    const times = a.frames.arps().map((f) => f.at - at);
    expect(times).toEqual([0, 0, 0, 0, 0, 5000, 5000, 5000, 5000, 5000]);
    expect(a.frames.arps().every((f) => f.address === '192.0.2.50')).toBe(true);
    expect(a.frames.sent.every((f) => f.ifname === 'eth0')).toBe(true);
    expect((await a.instance('VI_1')).counters.garpSent).toBe(10);
  });

  it('interval spaces them, delay 0 means one batch, refresh repeats while master', async () => {
    const clock = new FakeClock();
    const cfg = loadConfig(
      yaml(
        'vrrp_instances:',
        ...instanceYaml({
          priority: 150,
          extra: ['garp: {repeat: 3, interval: 200ms, delay: 0s, refresh: 10s}'],
        }),
      ),
    );
    const a = new Node('A', clock, cfg, { primary4: A_IP });
    started.push(a);
    await a.engine.start();
    const at = masterDownIntervalMs(3, 150, 100);
    await clock.advanceTo(at + 25_000);
    const times = a.frames.arps().map((f) => f.at - at);
    expect(times).toEqual([0, 200, 400, 10_000, 20_000]);
  });

  it('repeat 0 sends none', async () => {
    const clock = new FakeClock();
    const cfg = loadConfig(
      yaml('vrrp_instances:', ...instanceYaml({ priority: 150, extra: ['garp: {repeat: 0}'] })),
    );
    const a = new Node('A', clock, cfg, { primary4: A_IP });
    started.push(a);
    await a.engine.start();
    await clock.advance(20_000);
    expect(await a.state('VI_1')).toBe('master');
    expect(a.frames.sent).toHaveLength(0);
  });
});

describe('start', () => {
  it('a VIP left on the interface by a crashed run is removed before the instance starts, re-added as master', async () => {
    const clock = new FakeClock();
    const a = new Node('A', clock, pairConfig(150), { primary4: A_IP });
    started.push(a);
    await a.addresses.add('eth0', '192.0.2.50', 24);
    a.addresses.ops.length = 0;
    await a.engine.start();
    expect(a.addresses.ops.map((o) => `${o.op} ${o.address}`)).toEqual(['remove 192.0.2.50']);
    expect(a.addresses.has('eth0', '192.0.2.50')).toBe(false);
    expect(a.logs.some((l) => l.obj.event === 'vip-leftover-removed')).toBe(true);
    await clock.advance(5_000);
    expect(a.addresses.has('eth0', '192.0.2.50')).toBe(true);
  });

  it('no leftover: no address operation at start', async () => {
    const clock = new FakeClock();
    const a = new Node('A', clock, pairConfig(150), { primary4: A_IP });
    started.push(a);
    await a.engine.start();
    expect(a.addresses.ops).toEqual([]);
  });
});
