// keepalived's sync-group rule for a takeover: a member whose Master_Down_Timer fires goes to
// master only when every member of its group wants master ("prefer backup to avoid
// thrashing"); otherwise it stays backup and its timer starts again. Found by the
// differential test against keepalived (test/netns/differential-keepalived.test.ts): without
// the rule, a member that lost priority took its group over while the other member still
// heard the better master, and the group flapped between the routers.
import { afterEach, describe, expect, it } from 'vitest';
import { masterDownIntervalMs } from '../../src/vrrp/timers.js';
import { FakeClock, FakeSegment, instanceYaml, loadConfig, Node, yaml } from './engine-fakes.js';

const nodes: Node[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.engine.stop().catch(() => {});
});

function groupYaml(prio: number): string {
  return yaml(
    'vrrp_scripts:',
    '  chk: {command: [/bin/true], interval: 1s, weight: -60}',
    '  chk_all: {command: [/bin/true], interval: 1s, weight: -60}',
    'vrrp_instances:',
    ...instanceYaml({ name: 'VI_1', vrid: 51, priority: prio, extra: ['track_scripts: [chk, chk_all]'] }),
    ...instanceYaml({
      name: 'VI_2',
      vrid: 52,
      priority: prio,
      vips: ['192.0.2.60/24'],
      extra: ['track_scripts: [chk_all]'],
    }),
    'vrrp_sync_groups:',
    '  - name: G1',
    '    instances: [VI_1, VI_2]',
  );
}

async function pair() {
  const clock = new FakeClock();
  const seg = new FakeSegment(clock);
  const a = new Node('A', clock, loadConfig(groupYaml(150)), { segments: { 4: seg }, primary4: '192.0.2.1' });
  const b = new Node('B', clock, loadConfig(groupYaml(100)), { segments: { 4: seg }, primary4: '192.0.2.2' });
  nodes.push(a, b);
  await a.engine.start();
  await b.engine.start();
  await clock.advance(10_000);
  return { clock, a, b };
}

const states = async (n: Node) => [await n.state('VI_1'), await n.state('VI_2')];

describe('a sync-group member takes over only when every member wants master', () => {
  it('start: the group converges on the higher priority router', async () => {
    const { a, b } = await pair();
    expect(await states(a)).toEqual(['master', 'master']);
    expect(await states(b)).toEqual(['backup', 'backup']);
  });

  it('one member loses priority while the other still hears the master: the group stays, no flap', async () => {
    const { clock, a, b } = await pair();
    a.engine.setScriptResult('chk', false);
    expect((await a.instance('VI_1')).effectivePriority).toBe(90);
    const before = b.transitions.length;
    await clock.advance(30_000);
    expect(await states(a)).toEqual(['master', 'master']);
    expect(await states(b)).toEqual(['backup', 'backup']);
    expect(b.transitions.length).toBe(before);
    expect(a.transitions.filter((t) => t.to !== 'master' && t.at > 10_000)).toEqual([]);
    expect(b.logs.filter((l) => l.obj.event === 'sync-group-hold').map((l) => l.obj.instance)).toContain(
      'VI_1',
    );
    // the better master's adverts reach VI_1 again: it no longer wants master
    a.engine.setScriptResult('chk', true);
    await clock.advance(10_000);
    expect(await states(b)).toEqual(['backup', 'backup']);
  });

  it('every member loses priority: the other router takes the whole group within a Master_Down_Interval or two', async () => {
    const { clock, a, b } = await pair();
    const t0 = clock.now();
    a.engine.setScriptResult('chk_all', false);
    await clock.advance(2 * masterDownIntervalMs(3, 100, 100) + 100);
    expect(await states(b)).toEqual(['master', 'master']);
    expect(await states(a)).toEqual(['backup', 'backup']);
    const taken = b.lastEntered('VI_1', 'master')! - t0;
    expect(taken).toBeLessThanOrEqual(2 * masterDownIntervalMs(3, 100, 100));
    const before = b.transitions.length;
    await clock.advance(30_000);
    expect(b.transitions.length).toBe(before);
    // recovery: the higher priority preempts the whole group back
    a.engine.setScriptResult('chk_all', true);
    await clock.advance(10_000);
    expect(await states(a)).toEqual(['master', 'master']);
    expect(await states(b)).toEqual(['backup', 'backup']);
  });
});
