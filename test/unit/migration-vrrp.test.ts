// keepalived VRRP features vrrpd carries natively (issue #18), with the fake clock and the
// engine's recording fakes: `weight N reverse` on tracked interfaces and scripts (with
// keepalived's multiplier semantics), virtual_ips_excluded (added, never advertised, no say
// in the family), VIP label/brd/scope handed to the address manager, no_track and
// dont_track_primary, mcast_src as the advert source, garp.refresh_repeat.
import { describe, expect, it } from 'vitest';
import { broadcastOf } from '../../src/netlink/rtnetlink.js';
import { AnnounceSchedule } from '../../src/vrrp/announce-schedule.js';
import { FakeClock, type FakeSegment, instanceYaml, loadConfig, Node, yaml } from './engine-fakes.js';

const A_IP = '192.0.2.1';

async function node(text: string, o: { seg?: FakeSegment; links?: string[] } = {}) {
  const clock = new FakeClock();
  const n = new Node('A', clock, loadConfig(text), {
    primary4: A_IP,
    primary6: 'fe80::1',
    ...(o.seg ? { segments: { 4: o.seg } } : {}),
    ...(o.links ? { links: o.links } : {}),
  });
  await n.engine.start();
  return n;
}

describe('weight N reverse (keepalived weight multiplier -1)', () => {
  const scriptCfg = (script: string, track: string) =>
    yaml(
      'vrrp_scripts:',
      `  chk: {command: [/bin/true], ${script}}`,
      'vrrp_instances:',
      ...instanceYaml({ priority: 150, extra: [`track_scripts: [${track}]`] }),
    );

  it('script weight 20 reverse: lowers the priority by 20 while OK, nothing while failing', async () => {
    const n = await node(scriptCfg('weight: 20, reverse: true', 'chk'));
    n.engine.setScriptResult('chk', true);
    expect((await n.instance('VI_1')).effectivePriority).toBe(130);
    n.engine.setScriptResult('chk', false);
    expect((await n.instance('VI_1')).effectivePriority).toBe(150);
    await n.engine.stop();
  });

  it('script weight -20 reverse: raises the priority by 20 while failing', async () => {
    const n = await node(scriptCfg('weight: -20, reverse: true', 'chk'));
    n.engine.setScriptResult('chk', false);
    expect((await n.instance('VI_1')).effectivePriority).toBe(170);
    n.engine.setScriptResult('chk', true);
    expect((await n.instance('VI_1')).effectivePriority).toBe(150);
    await n.engine.stop();
  });

  it('script weight 0 reverse: succeeding is FAULT, failing clears it', async () => {
    const n = await node(scriptCfg('reverse: true', 'chk'));
    await n.clock.advance(10_000);
    n.engine.setScriptResult('chk', true);
    let i = await n.instance('VI_1');
    expect(i.state).toBe('fault');
    expect(i.faultReasons).toEqual(['tracked script chk succeeded (reverse)']);
    n.engine.setScriptResult('chk', false);
    i = await n.instance('VI_1');
    expect(i.state).not.toBe('fault');
    await n.engine.stop();
  });

  it("the instance's track overrides the script's weight and reverse (reverse / noreverse)", async () => {
    const a = await node(scriptCfg('weight: 20, reverse: true', '{name: chk, weight: 30, reverse: false}'));
    a.engine.setScriptResult('chk', true);
    expect((await a.instance('VI_1')).effectivePriority).toBe(180);
    await a.engine.stop();
    const b = await node(scriptCfg('weight: 20', '{name: chk, weight: 10, reverse: true}'));
    b.engine.setScriptResult('chk', true);
    expect((await b.instance('VI_1')).effectivePriority).toBe(140);
    await b.engine.stop();
  });

  it('interface weight 30 reverse: -30 while up; weight -30 reverse: +30 while down; weight 0 reverse: up = FAULT', async () => {
    const n = await node(
      yaml(
        'vrrp_instances:',
        ...instanceYaml({
          priority: 100,
          extra: [
            'track_interfaces: [{interface: eth1, weight: 30, reverse: true}, {interface: eth2, weight: -30, reverse: true}]',
          ],
        }),
        ...instanceYaml({
          name: 'VI_2',
          vrid: 52,
          priority: 100,
          vips: ['192.0.2.60/24'],
          extra: ['track_interfaces: [{interface: eth3, reverse: true}]'],
        }),
      ),
      { links: ['eth0', 'eth1', 'eth2', 'eth3'] },
    );
    await n.clock.advance(10_000);
    expect((await n.instance('VI_1')).effectivePriority).toBe(70); // eth1 up: -30; eth2 up: 0
    n.links.setCarrier('eth2', false);
    expect((await n.instance('VI_1')).effectivePriority).toBe(100); // + 30 while eth2 is down
    n.links.setCarrier('eth1', false);
    expect((await n.instance('VI_1')).effectivePriority).toBe(130);
    expect((await n.instance('VI_2')).state).toBe('fault'); // eth3 up
    n.links.setCarrier('eth3', false);
    await n.clock.advance(10);
    expect((await n.instance('VI_2')).state).not.toBe('fault');
    await n.engine.stop();
  });
});

describe('virtual_ips_excluded', () => {
  it('added and removed with the VIPs, never in the adverts, no say in the family', async () => {
    const n = await node(
      yaml(
        'vrrp_instances:',
        ...instanceYaml({
          priority: 150,
          extra: ['virtual_ips_excluded: [192.0.2.77/24, 2001:db8::77/64]'],
        }),
      ),
    );
    const cfg = loadConfig(
      yaml(
        'vrrp_instances:',
        ...instanceYaml({ priority: 150, extra: ['virtual_ips_excluded: [2001:db8::77/64]'] }),
      ),
    ).vrrpInstances[0]!;
    expect(cfg.family).toBe(4);
    expect(cfg.version).toBe(3);
    await n.clock.advance(10_000);
    expect(await n.state('VI_1')).toBe('master');
    expect(n.addresses.has('eth0', '192.0.2.50')).toBe(true);
    expect(n.addresses.has('eth0', '192.0.2.77')).toBe(true);
    expect(n.addresses.has('eth0', '2001:db8::77')).toBe(true);
    const sent = n.transport(4).decodedSent();
    expect(sent.length).toBeGreaterThan(0);
    for (const a of sent) expect(a.addresses.map((b) => [...b].join('.'))).toEqual(['192.0.2.50']);
    await n.engine.stop();
    expect(n.addresses.has('eth0', '192.0.2.77')).toBe(false);
    expect(n.addresses.has('eth0', '2001:db8::77')).toBe(false);
  });

  it('an address listed in both lists is refused', () => {
    expect(() =>
      loadConfig(
        yaml(
          'vrrp_instances:',
          ...instanceYaml({ priority: 150, extra: ['virtual_ips_excluded: [192.0.2.50/24]'] }),
        ),
      ),
    ).toThrow(/already an address of this instance/);
  });
});

describe('VIP label, brd, scope, no_track; dont_track_primary; mcast_src', () => {
  it('label, brd and scope reach the address manager (string and object forms)', async () => {
    const n = await node(
      yaml(
        'vrrp_instances:',
        ...instanceYaml({
          priority: 150,
          vips: [
            "'192.0.2.50/24 label eth0:1 brd + scope link'",
            '{address: 192.0.2.51/24, brd: 192.0.2.255, scope: host}',
          ],
        }),
      ),
    );
    await n.clock.advance(10_000);
    const calls = n.addresses.ops
      .filter((o) => o.op === 'add')
      .map((o) => ({ address: o.address, opts: o.opts }));
    expect(calls).toEqual([
      { address: '192.0.2.50', opts: { label: 'eth0:1', brd: '+', scope: 'link' } },
      { address: '192.0.2.51', opts: { brd: '192.0.2.255', scope: 'host' } },
    ]);
    await n.engine.stop();
  });

  it('brd + / - are the host bits set / clear', () => {
    expect(broadcastOf('192.0.2.50', 24, '+')).toBe('192.0.2.255');
    expect(broadcastOf('192.0.2.50', 24, '-')).toBe('192.0.2.0');
    expect(broadcastOf('198.51.100.7', 30, '+')).toBe('198.51.100.7');
    expect(broadcastOf('192.0.2.50', 24, '192.0.2.127')).toBe('192.0.2.127');
  });

  it('a VIP on another device faults the instance when that device goes down, unless no_track', async () => {
    const n = await node(
      yaml(
        'vrrp_instances:',
        ...instanceYaml({ priority: 150, vips: ['192.0.2.50/24', "'192.0.2.51/24 dev eth1'"] }),
        ...instanceYaml({
          name: 'VI_2',
          vrid: 52,
          priority: 150,
          vips: ['192.0.2.60/24', "'192.0.2.61/24 dev eth1 no_track'"],
        }),
      ),
    );
    await n.clock.advance(10_000);
    n.links.setCarrier('eth1', false);
    await n.clock.advance(10);
    const i = await n.instance('VI_1');
    expect(i.state).toBe('fault');
    expect(i.faultReasons).toEqual(['VIP device eth1 down']);
    expect(await n.state('VI_2')).toBe('master');
    await n.engine.stop();
  });

  it('dont_track_primary: the instance interface going down is no FAULT', async () => {
    const n = await node(
      yaml('vrrp_instances:', ...instanceYaml({ priority: 150, extra: ['dont_track_primary: true'] })),
    );
    await n.clock.advance(10_000);
    n.links.setCarrier('eth0', false);
    await n.clock.advance(10);
    expect(await n.state('VI_1')).toBe('master');
    await n.engine.stop();
  });

  it('mcast_src is the source of the multicast adverts; refused with unicast_peers', async () => {
    const n = await node(
      yaml('vrrp_instances:', ...instanceYaml({ priority: 150, extra: ['mcast_src: 192.0.2.7'] })),
    );
    await n.clock.advance(5_000);
    const sent = n.transport(4).sent;
    expect(sent.length).toBeGreaterThan(0);
    expect(new Set(sent.map((s) => `${s.src}>${s.dst}`))).toEqual(new Set(['192.0.2.7>224.0.0.18']));
    await n.engine.stop();
    expect(() =>
      loadConfig(
        yaml(
          'vrrp_instances:',
          ...instanceYaml({ priority: 150, extra: ['mcast_src: 192.0.2.7', 'unicast_peers: [192.0.2.2]'] }),
        ),
      ),
    ).toThrow(/with unicast_peers, write unicast_src/);
  });
});

describe('garp.refresh_repeat', () => {
  it('the schedule sends refresh_repeat announcements per refresh, interval apart', () => {
    const s = new AnnounceSchedule();
    s.setRefreshAt(1000, 3, 100);
    expect(s.takeDue(999, 1000)).toBe(0);
    expect(s.takeDue(1000, 1000)).toBe(1);
    expect(s.takeDue(1100, 1000)).toBe(1);
    expect(s.takeDue(1200, 1000)).toBe(1);
    expect(s.takeDue(1300, 1000)).toBe(0);
    expect(s.nextAt()).toBe(2000);
    expect(s.takeDue(2000, 1000)).toBe(1);
  });

  it('a master sends refresh_repeat gratuitous ARPs per VIP at each refresh', async () => {
    const n = await node(
      yaml(
        'vrrp_instances:',
        ...instanceYaml({
          priority: 150,
          extra: ['garp: {repeat: 1, delay: 0s, refresh: 10s, refresh_repeat: 4, interval: 50ms}'],
        }),
      ),
    );
    await n.clock.advance(5_000);
    expect(await n.state('VI_1')).toBe('master');
    const before = n.frames.arps().length;
    const became = n.lastEntered('VI_1', 'master')!;
    await n.clock.advanceTo(became + 10_000 + 1_000);
    const refresh = n.frames.arps().slice(before);
    expect(refresh.map((a) => a.at - became)).toEqual([10_000, 10_050, 10_100, 10_150]);
    await n.engine.stop();
  });
});
