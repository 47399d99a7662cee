// The VRRP protocol knobs through the config and one InstanceRuntime with recording fakes:
// global.vrrp_defaults and per-instance values (keepalived vrrp_* in global_defs and the
// instance keywords), garp_lower_prio_repeat/_delay and garp_extra_if frames on the fakes.
import { describe, expect, it } from 'vitest';
import type { VrrpInstance } from '../../src/config/index.js';
import { parseConfigText } from '../../src/config/index.js';
import { logThrough } from '../../src/log.js';
import { ipBytes } from '../../src/net/addr.js';
import { acceptAdvert } from '../../src/vrrp/accept.js';
import type { EncodableAdvert } from '../../src/vrrp/codec.js';
import { InstanceRuntime } from '../../src/vrrp/instance.js';
import { withByteAddresses } from '../helpers/adverts.js';
import {
  FakeAddresses,
  FakeClock,
  FakeFrames,
  FakeTransport,
  instanceYaml,
  loadConfig,
  yaml,
} from './engine-fakes.js';

const MAC0 = Buffer.from([2, 0, 0, 0, 0, 1]);
const MAC1 = Buffer.from([2, 0, 0, 0, 0, 2]);

function instanceCfg(o: Parameters<typeof instanceYaml>[0], global: string[] = []): VrrpInstance {
  return loadConfig(yaml(...global, 'vrrp_instances:', ...instanceYaml(o))).vrrpInstances[0]!;
}

function rig(cfg: VrrpInstance) {
  const clock = new FakeClock();
  const transport = new FakeTransport('A', cfg.family, 'eth0', clock, null);
  const frames = new FakeFrames(clock);
  const rt: InstanceRuntime = new InstanceRuntime(
    cfg,
    '192.0.2.1',
    {
      transport,
      addresses: new FakeAddresses(clock, () => 2),
      frames,
      vipInterface: 'eth0',
      announceMac: () => MAC0,
      macOf: (ifname) => (ifname === 'eth1' ? MAC1 : null),
      log: logThrough(() => {}),
      onStateChange: () => {},
      now: () => clock.now(),
      wake: () => arm(),
    },
    0,
  );
  let handle: unknown = null;
  function arm(): void {
    if (handle !== null) clock.clearTimer(handle);
    handle = null;
    const d = rt.nextDeadline();
    if (d === null) return;
    handle = clock.setTimer(() => {
      handle = null;
      rt.tick(clock.now());
      arm();
    }, d - clock.now());
  }
  rt.start(0);
  arm();
  const receive = (priority: number, src = '192.0.2.9') => {
    const advert = {
      version: 3,
      type: 1,
      vrid: 51,
      priority,
      maxAdvertIntervalCs: 100,
      addresses: ['192.0.2.50'],
    } as EncodableAdvert;
    const verdict = acceptAdvert(
      rt.rules,
      { ok: true, value: withByteAddresses(advert) },
      { src: ipBytes(src), ttl: 255 },
    );
    if (!verdict.ok) throw new Error(verdict.reason);
    rt.receive(verdict, clock.now());
    arm();
  };
  return { clock, transport, frames, rt, receive };
}

describe('config: global.vrrp_defaults and per-instance knobs', () => {
  it("nothing set: keepalived's defaults", () => {
    const i = instanceCfg({ priority: 100 });
    expect(i).toMatchObject({ higherPrioSendAdvert: false, lowerPrioNoAdvert: false, downTimerAdverts: 3 });
    expect(i.garp).toMatchObject({ lowerPrioRepeat: 5, lowerPrioDelayMs: 5000, extraIfMs: 0 });
  });

  it('the global defaults apply to every instance; an instance value wins', () => {
    const global = [
      'global:',
      '  vrrp_defaults:',
      '    higher_prio_send_advert: true',
      '    lower_prio_no_advert: true',
      '    down_timer_adverts: 5',
      '    garp_lower_prio_repeat: 2',
      '    garp_lower_prio_delay: 10s',
      '    garp_extra_if: { interval: 60s, all: true }',
    ];
    const vips = ['192.0.2.50/24', '{ address: 198.51.100.50/24, dev: eth1 }'];
    const a = instanceCfg({ priority: 100, vips }, global);
    expect(a).toMatchObject({ higherPrioSendAdvert: true, lowerPrioNoAdvert: true, downTimerAdverts: 5 });
    expect(a.garp).toMatchObject({ lowerPrioRepeat: 2, lowerPrioDelayMs: 10_000, extraIfMs: 60_000 });
    const b = instanceCfg(
      {
        priority: 100,
        vips,
        extra: [
          'higher_prio_send_advert: false',
          'lower_prio_no_advert: false',
          'down_timer_adverts: 1',
          'garp: { lower_prio_repeat: 0, lower_prio_delay: 0s, extra_if: { interval: 0s } }',
        ],
      },
      global,
    );
    expect(b).toMatchObject({ higherPrioSendAdvert: false, lowerPrioNoAdvert: false, downTimerAdverts: 1 });
    expect(b.garp).toMatchObject({ lowerPrioRepeat: 0, lowerPrioDelayMs: 0, extraIfMs: 0 });
    // the global garp_extra_if does nothing for an instance whose VIPs are all on its interface
    expect(instanceCfg({ priority: 100 }, global).garp.extraIfMs).toBe(0);
  });

  it('refused with file:line:col: down_timer_adverts out of range, an extra_if with no effect, a global interval of 0', () => {
    const bad = (text: string) => {
      const r = parseConfigText(text, 'k.yaml', { hostname: 'h' });
      if (r.ok) throw new Error('accepted');
      return r.errors.map((e) => `${e.line}:${e.col} ${e.message}`);
    };
    const inst = (...extra: string[]) => yaml('vrrp_instances:', ...instanceYaml({ priority: 100, extra }));
    expect(bad(inst('down_timer_adverts: 101'))[0]).toMatch(/^9:\d+ .*100/);
    expect(bad(inst('garp: { extra_if: { interval: 60s } }'))[0]).toMatch(/^9:\d+ .*without all/);
    expect(bad(inst('garp: { extra_if: { interval: 60s, all: true } }'))[0]).toMatch(
      /^9:\d+ .*no VIP of this instance is on another interface/,
    );
    expect(
      bad(yaml('global:', '  vrrp_defaults:', '    garp_extra_if: { interval: 0 }', 'vrrp_instances: []'))[0],
    ).toMatch(/^3:\d+ .*1s to 86400s/);
  });
});

describe('runtime: garp_lower_prio_repeat / garp_lower_prio_delay', () => {
  it('a master hearing a lower advert sends the repeat now and again after the delay, no refresh', async () => {
    const cfg = instanceCfg({
      priority: 200,
      extra: ['garp: { repeat: 1, delay: 0s, lower_prio_repeat: 2, lower_prio_delay: 3s }'],
    });
    const { clock, frames, rt, receive, transport } = rig(cfg);
    await clock.advance(4000);
    expect(rt.snapshot().state).toBe('master');
    expect(frames.arps()).toHaveLength(1); // garp.repeat on becoming master
    const sentBefore = transport.sent.length;
    const t = clock.now();
    receive(100);
    expect(transport.sent.length).toBe(sentBefore + 1); // the immediate advert
    await clock.advance(10);
    expect(frames.arps().filter((a) => a.at === t)).toHaveLength(2);
    await clock.advance(5000);
    expect(frames.arps().filter((a) => a.at === t + 3000)).toHaveLength(2);
    expect(frames.arps()).toHaveLength(5);
  });

  it('lower_prio_repeat 0 and lower_prio_no_advert: nothing at all is sent in answer', async () => {
    const cfg = instanceCfg({
      priority: 200,
      extra: ['lower_prio_no_advert: true', 'garp: { repeat: 1, delay: 0s, lower_prio_repeat: 0 }'],
    });
    const { clock, frames, rt, receive, transport } = rig(cfg);
    await clock.advance(4000);
    expect(rt.snapshot().state).toBe('master');
    const arps = frames.arps().length;
    const sent = transport.sent.length;
    receive(100);
    expect(transport.sent.length).toBe(sent);
    await clock.advance(6000);
    expect(frames.arps()).toHaveLength(arps);
  });
});

describe('runtime: garp_extra_if all', () => {
  it('one announcement per other interface (its first VIP, its MAC), garp delay + interval after master, then every interval', async () => {
    const cfg = instanceCfg({
      priority: 200,
      vips: [
        '192.0.2.50/24',
        '{ address: 198.51.100.50/24, dev: eth1 }',
        '{ address: 198.51.100.51/24, dev: eth1 }',
      ],
      extra: ['garp: { repeat: 1, delay: 2s, extra_if: { interval: 10s, all: true } }'],
    });
    const { clock, frames, rt } = rig(cfg);
    await clock.advance(4000);
    expect(rt.snapshot().state).toBe('master');
    const became = rt.snapshot().sinceMs;
    const onEth1 = () => frames.sent.filter((s) => s.ifname === 'eth1');
    // the batches at the transition and after garp delay: every VIP, two on eth1 each time
    await clock.advance(2100);
    expect(onEth1()).toHaveLength(4);
    await clock.advance(became + 12_000 - clock.now() - 1);
    expect(onEth1()).toHaveLength(4);
    await clock.advance(2);
    const extra = onEth1().slice(4);
    expect(extra).toHaveLength(1);
    expect([...extra[0]!.frame.subarray(28, 32)].join('.')).toBe('198.51.100.50');
    expect(extra[0]!.frame.subarray(6, 12)).toEqual(MAC1);
    await clock.advance(20_000);
    expect(
      onEth1()
        .slice(4)
        .map((s) => s.at - became),
    ).toEqual([12_000, 22_000, 32_000]);
    // nothing extra on the instance's own interface
    expect(frames.sent.filter((s) => s.ifname === 'eth0')).toHaveLength(2);
  });
});
