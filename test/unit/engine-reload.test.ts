// Engine.reload (ARCHITECTURE rule 8): an unchanged instance keeps its state and timers,
// a changed one is edited in place, a removed one shuts down with priority 0.

import { afterEach, describe, expect, it } from 'vitest';
import { formatIp } from '../../src/net/addr.js';
import { masterDownIntervalMs } from '../../src/vrrp/timers.js';
import { FakeClock, instanceYaml, loadConfig, Node, yaml } from './engine-fakes.js';

const A_IP = '192.0.2.1';

const nodes: Node[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.engine.stop().catch(() => {});
});

const two = (o: { prio1?: number; vips1?: string[]; without2?: boolean; vrid2?: number } = {}) =>
  yaml(
    'vrrp_instances:',
    ...instanceYaml({ name: 'VI_1', vrid: 51, priority: o.prio1 ?? 150, vips: o.vips1 }),
    ...(o.without2
      ? []
      : instanceYaml({ name: 'VI_2', vrid: o.vrid2 ?? 52, priority: 150, vips: ['192.0.2.60/24'] })),
  );

/** A node that has been master of both instances for a while, mid-way between adverts. */
async function masterNode() {
  const clock = new FakeClock();
  const a = new Node('A', clock, loadConfig(two()), { primary4: A_IP });
  nodes.push(a);
  await a.engine.start();
  await clock.advanceTo(masterDownIntervalMs(3, 150, 100) + 20_500);
  expect(await a.state('VI_1')).toBe('master');
  expect(await a.state('VI_2')).toBe('master');
  const mark = {
    sent: a.transport().sent.length,
    ops: a.addresses.ops.length,
    frames: a.frames.sent.length,
    transitions: a.transitions.length,
    setCalls: clock.setCalls,
    clearCalls: clock.clearCalls,
    pending: clock.pending(),
  };
  return { clock, a, mark };
}

describe('reload', () => {
  it('the same config: every instance unchanged, no action, timers untouched (no flap)', async () => {
    const { clock, a, mark } = await masterNode();
    const before = await a.engine.snapshot();
    const r = await a.reload(loadConfig(two()));
    expect(r).toEqual({ added: [], removed: [], changed: [], unchanged: ['VI_1', 'VI_2'] });
    expect(a.transport().sent).toHaveLength(mark.sent);
    expect(a.addresses.ops).toHaveLength(mark.ops);
    expect(a.frames.sent).toHaveLength(mark.frames);
    expect(a.transitions).toHaveLength(mark.transitions);
    expect(clock.setCalls).toBe(mark.setCalls);
    expect(clock.clearCalls).toBe(mark.clearCalls);
    expect(clock.pending()).toEqual(mark.pending);
    const after = await a.engine.snapshot();
    expect(after.instances).toEqual(before.instances);
  });

  it('priority change is applied in place: no transition, the next advert carries it', async () => {
    const { clock, a, mark } = await masterNode();
    const r = await a.reload(loadConfig(two({ prio1: 120 })));
    expect(r.changed).toEqual(['VI_1']);
    expect(r.unchanged).toEqual(['VI_2']);
    expect(a.transitions).toHaveLength(mark.transitions);
    const i = await a.instance('VI_1');
    expect(i.state).toBe('master');
    expect(i.priority).toBe(120);
    expect(i.effectivePriority).toBe(120);
    // the advert timer was not restarted: the next advert comes at the old schedule
    const nextAdvert = mark.pending[0]!.at;
    await clock.advanceTo(nextAdvert);
    const fresh = a.transport().decodedSent().slice(mark.sent);
    expect(fresh.find((x) => x.vrid === 51)?.priority).toBe(120);
    expect(
      a
        .transport()
        .sent.slice(mark.sent)
        .every((s) => s.at === nextAdvert),
    ).toBe(true);
    expect(a.addresses.ops).toHaveLength(mark.ops);
  });

  it('VIP added while master: only the new VIP is added, then announced', async () => {
    const { clock, a, mark } = await masterNode();
    const r = await a.reload(loadConfig(two({ vips1: ['192.0.2.50/24', '192.0.2.51/24'] })));
    expect(r.changed).toEqual(['VI_1']);
    await clock.advance(0);
    expect(a.addresses.ops.slice(mark.ops).map((o) => `${o.op} ${o.address}`)).toEqual(['add 192.0.2.51']);
    expect(a.addresses.has('eth0', '192.0.2.51')).toBe(true);
    const arps = a.frames.arps().slice(mark.frames);
    expect(arps.filter((f) => f.address === '192.0.2.51')).toHaveLength(5);
    expect(arps.every((f) => f.at === clock.now())).toBe(true);
    // the adverts now list both VIPs
    await clock.advance(1_000);
    const last = a
      .transport()
      .decodedSent()
      .filter((x) => x.vrid === 51)
      .at(-1)!;
    expect(last.addresses.map(formatIp)).toEqual(['192.0.2.50', '192.0.2.51']);
    expect(a.transitions).toHaveLength(mark.transitions);
  });

  it('VIP removed while master: only that VIP is removed', async () => {
    const { clock, a, mark } = await masterNode();
    await a.reload(loadConfig(two({ vips1: ['192.0.2.52/24'] })));
    await clock.advance(0);
    expect(a.addresses.ops.slice(mark.ops).map((o) => `${o.op} ${o.address}`)).toEqual([
      'remove 192.0.2.50',
      'add 192.0.2.52',
    ]);
    expect(a.addresses.has('eth0', '192.0.2.60')).toBe(true);
  });

  it('removed instance shuts down with priority 0 and releases its VIPs; the other is untouched', async () => {
    const { a, mark } = await masterNode();
    const r = await a.reload(loadConfig(two({ without2: true })));
    expect(r).toEqual({ added: [], removed: ['VI_2'], changed: [], unchanged: ['VI_1'] });
    const fresh = a.transport().decodedSent().slice(mark.sent);
    expect(fresh.map((x) => `${x.vrid}:${x.priority}`)).toEqual(['52:0']);
    expect(a.addresses.ops.slice(mark.ops).map((o) => `${o.op} ${o.address}`)).toContain('remove 192.0.2.60');
    expect(a.addresses.has('eth0', '192.0.2.60')).toBe(false);
    expect(a.addresses.has('eth0', '192.0.2.50')).toBe(true);
    expect(a.transitions.slice(mark.transitions).map((t) => `${t.instance} ${t.from}→${t.to}`)).toEqual([
      'VI_2 master→init',
    ]);
    const snap = await a.engine.snapshot();
    expect(snap.instances.map((i) => i.name)).toEqual(['VI_1']);
    // the shared transport still serves VI_1
    expect(a.transport().closed).toBe(false);
  });

  it('the last instance on a transport removed: its socket is closed', async () => {
    const clock = new FakeClock();
    const cfg = (name: string) =>
      loadConfig(yaml('vrrp_instances:', ...instanceYaml({ name, priority: 150 })));
    const a = new Node('A', clock, cfg('VI_1'), { primary4: A_IP });
    nodes.push(a);
    await a.engine.start();
    const first = a.transports[0]!;
    const r = await a.reload(cfg('VI_9'));
    expect(r).toEqual({ added: ['VI_9'], removed: ['VI_1'], changed: [], unchanged: [] });
    expect(first.closed).toBe(true);
    expect(a.transports.filter((t) => !t.closed)).toHaveLength(1);
  });

  it('a VRID change is a new instance: the old one leaves (priority 0), the new one starts in backup', async () => {
    const { a, mark } = await masterNode();
    const r = await a.reload(loadConfig(two({ vrid2: 53 })));
    expect(r).toEqual({ added: ['VI_2'], removed: ['VI_2'], changed: [], unchanged: ['VI_1'] });
    const fresh = a.transport().decodedSent().slice(mark.sent);
    expect(fresh.map((x) => `${x.vrid}:${x.priority}`)).toEqual(['52:0']);
    const i = await a.instance('VI_2');
    expect(i.vrid).toBe(53);
    expect(i.state).toBe('backup');
  });
});
