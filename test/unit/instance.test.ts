// InstanceRuntime (src/vrrp/instance.ts) on its own, with recording fakes: receive policy,
// advert encoding, VIPs, GARP/NA batches, VIP restore, reconfigure VIP diff, send errors.

import { describe, expect, it } from 'vitest';
import type { VrrpInstance } from '../../src/config/index.js';
import { logThrough } from '../../src/log.js';
import { formatIp, ipBytes } from '../../src/net/addr.js';
import { acceptAdvert } from '../../src/vrrp/accept.js';
import { decodeAdvert, type EncodableAdvert } from '../../src/vrrp/codec.js';
import { InstanceRuntime } from '../../src/vrrp/instance.js';
import { masterDownIntervalMs } from '../../src/vrrp/timers.js';
import { withByteAddresses, withTextAddresses } from '../helpers/adverts.js';
import {
  FakeAddresses,
  FakeClock,
  FakeFrames,
  FakeTransport,
  flush,
  instanceYaml,
  loadConfig,
  yaml,
} from './engine-fakes.js';

function instanceCfg(o: Parameters<typeof instanceYaml>[0]): VrrpInstance {
  return loadConfig(yaml('vrrp_instances:', ...instanceYaml(o))).vrrpInstances[0]!;
}

const MAC = Buffer.from([2, 0, 0, 0, 0, 1]);

function rig(cfg: VrrpInstance, primary = '192.0.2.1', opts: { mac?: Buffer | null } = {}) {
  const clock = new FakeClock();
  const transport = new FakeTransport('A', cfg.family, 'eth0', clock, null);
  const addresses = new FakeAddresses(clock, () => 2);
  const frames = new FakeFrames(clock);
  const logs: { level: string; msg: string }[] = [];
  const states: string[] = [];
  const rt: InstanceRuntime = new InstanceRuntime(
    cfg,
    primary,
    {
      transport,
      addresses,
      frames,
      vipInterface: 'eth0',
      announceMac: () => (opts.mac === undefined ? MAC : opts.mac),
      log: logThrough((level, _obj, msg) => logs.push({ level, msg: msg ?? '' })),
      onStateChange: (ev) => states.push(ev.to),
      now: () => clock.now(),
      wake: () => arm(),
    },
    0,
  );
  // the engine's job in miniature: one timer at the instance's next deadline
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
  // the engine's receive path in miniature: the receive filter, then count or step
  const receive = (advert: EncodableAdvert, src = '192.0.2.9') => {
    const verdict = acceptAdvert(
      rt.rules,
      { ok: true, value: withByteAddresses(advert) },
      { src: ipBytes(src), ttl: 255 },
    );
    if (verdict.ok) rt.receive(verdict, clock.now());
    else rt.drop(verdict.reason);
    arm();
  };
  return { clock, transport, addresses, frames, logs, states, rt, arm, receive };
}

const adv3 = (o: Partial<EncodableAdvert> = {}): EncodableAdvert =>
  ({
    version: 3,
    type: 1,
    vrid: 51,
    priority: 200,
    maxAdvertIntervalCs: 100,
    addresses: ['192.0.2.50'],
    ...o,
  }) as EncodableAdvert;

describe('receive policy (RFC 5798 §7.1, RFC 3768 §7.1)', () => {
  it('an advert of the other version is dropped as "version"', () => {
    const { rt, receive } = rig(instanceCfg({ priority: 100 }));
    receive({
      version: 2,
      type: 1,
      vrid: 51,
      priority: 200,
      advertIntervalSec: 1,
      authType: 0,
      authData: Buffer.alloc(8),
      addresses: ['192.0.2.50'],
    });
    expect(rt.counters.drops).toEqual({ version: 1 });
    expect(rt.counters.advertsReceived).toBe(0);
  });

  it('unicast: an advert from an address that is not a configured peer is dropped as "unknown-peer"', () => {
    const { rt, receive } = rig(
      instanceCfg({ priority: 100, extra: ['unicast_src: 192.0.2.1', 'unicast_peers: [192.0.2.2]'] }),
    );
    receive(adv3(), '192.0.2.3');
    expect(rt.counters.drops).toEqual({ 'unknown-peer': 1 });
    receive(adv3(), '192.0.2.2');
    expect(rt.counters.advertsReceived).toBe(1);
    expect(rt.snapshot().masterAddress).toBe('192.0.2.2');
  });

  it('v2: the password must match byte for byte (8 bytes, zero padded; RFC 3768 §5.3.10)', () => {
    const { rt, receive } = rig(instanceCfg({ priority: 100, version: 2, extra: ['auth_pass: pw'] }));
    const auth = (s: string) => {
      const b = Buffer.alloc(8);
      b.write(s);
      return b;
    };
    const v2 = (authData: Buffer, advertIntervalSec = 1): EncodableAdvert => ({
      version: 2,
      type: 1,
      vrid: 51,
      priority: 200,
      advertIntervalSec,
      authType: 1,
      authData,
      addresses: ['192.0.2.50'],
    });
    receive(v2(auth('pw2')));
    receive(v2(Buffer.from('pw\0\0\0\0\0x')));
    receive(v2(auth('pw'), 3));
    expect(rt.counters.drops).toEqual({ 'auth-failure': 2, 'advert-interval': 1 });
    receive(v2(auth('pw')));
    expect(rt.counters.advertsReceived).toBe(1);
  });

  it('a priority-0 advert is counted and makes the backup take over after Skew_Time (RFC 5798 §6.4.2)', async () => {
    const { rt, receive, clock, states } = rig(instanceCfg({ priority: 100 }));
    await clock.advance(1_000);
    receive(adv3());
    receive(adv3({ priority: 0 }));
    expect(rt.counters.priorityZeroReceived).toBe(1);
    await clock.advance(1_000);
    expect(states).toEqual(['backup', 'master']);
    expect(rt.snapshot().sinceMs).toBe(1_000 + 609.375);
  });
});

describe('sending adverts (RFC 5798 §5.1, §5.2)', () => {
  it('v3 IPv4: to 224.0.0.18 from the primary address, priority, interval in cs, VIPs of its family only', async () => {
    const cfg = instanceCfg({ priority: 150, interval: '250ms', vips: ['192.0.2.50/24', '2001:db8::50/64'] });
    const { clock, transport } = rig(cfg);
    await clock.advance(5_000);
    const s = transport.sent[0]!;
    expect(s.dst).toBe('224.0.0.18');
    expect(s.src).toBe('192.0.2.1');
    const d = decodeAdvert(s.payload, { family: 4, srcAddress: s.src!, dstAddress: s.dst });
    if (!d.ok) throw new Error(d.reason);
    expect(withTextAddresses(d.value)).toMatchObject({
      version: 3,
      vrid: 51,
      priority: 150,
      maxAdvertIntervalCs: 25,
      addresses: ['192.0.2.50'],
    });
  });

  it('v3 IPv6: to ff02::12 from the link-local address (RFC 5798 §5.1.2)', async () => {
    const cfg = instanceCfg({ priority: 150, vips: ['2001:db8::50/64'] });
    const { clock, transport, frames } = rig(cfg, 'fe80::1');
    await clock.advance(5_000);
    const s = transport.sent[0]!;
    expect(s.dst).toBe('ff02::12');
    expect(s.src).toBe('fe80::1');
    const d = decodeAdvert(s.payload, { family: 6, srcAddress: s.src!, dstAddress: s.dst });
    expect(d.ok && d.value.addresses.map(formatIp)).toEqual(['2001:db8::50']);
    // IPv6 VIPs are announced with unsolicited NAs (RFC 5798 §8.2.2 / RFC 4861 §7.2.6)
    expect(frames.nas()).toHaveLength(5);
    expect(frames.arps()).toHaveLength(0);
  });

  it('v2 carries the password and whole seconds (RFC 3768 §5.3)', async () => {
    const cfg = instanceCfg({ priority: 150, version: 2, interval: '2s', extra: ['auth_pass: s3cret'] });
    const { clock, transport } = rig(cfg);
    await clock.advance(10_000);
    const d = transport.decodedSent()[0]!;
    expect(d).toMatchObject({ version: 2, advertIntervalSec: 2, authType: 1 });
    expect(d.version === 2 && d.authData.toString('utf8').replace(/\0+$/, '')).toBe('s3cret');
  });

  it('unicast: one copy to each peer', async () => {
    const cfg = instanceCfg({
      priority: 150,
      extra: ['unicast_src: 192.0.2.1', 'unicast_peers: [192.0.2.2, 192.0.2.3]'],
    });
    const { clock, transport } = rig(cfg);
    await clock.advance(masterDownIntervalMs(3, 150, 100));
    expect(transport.sent.map((s) => s.dst)).toEqual(['192.0.2.2', '192.0.2.3']);
  });

  it('a failing send is counted and logged, not thrown', async () => {
    const { clock, transport, rt, logs } = rig(instanceCfg({ priority: 150 }));
    transport.close();
    await clock.advance(5_000);
    expect(rt.counters.sendErrors).toBeGreaterThan(0);
    expect(logs.some((l) => l.msg === 'sending advert failed')).toBe(true);
  });
});

describe('VIPs and announcements', () => {
  it('master adds VIPs (on their own dev when given), leaving master removes them', async () => {
    const cfg = instanceCfg({ priority: 150, vips: ['192.0.2.50/24', '192.0.2.51/32 dev eth1'] });
    const { clock, addresses, rt, receive } = rig(cfg);
    await clock.advance(5_000);
    expect(addresses.ops.map((o) => `${o.op} ${o.ifname} ${o.address}/${o.prefixLength}`)).toEqual([
      'add eth0 192.0.2.50/24',
      'add eth1 192.0.2.51/32',
    ]);
    receive(adv3({ priority: 254 }));
    await flush();
    expect(rt.state).toBe('backup');
    expect(addresses.ops.slice(2).map((o) => `${o.op} ${o.ifname} ${o.address}`)).toEqual([
      'remove eth0 192.0.2.50',
      'remove eth1 192.0.2.51',
    ]);
  });

  it('an IPv4 instance with an excluded IPv6 VIP announces both: GARP and NA', async () => {
    const cfg = instanceCfg({
      priority: 150,
      vips: ['192.0.2.50/24', '2001:db8::50/64'],
      extra: ['garp: {repeat: 2, delay: 0s}'],
    });
    const { clock, frames, rt } = rig(cfg);
    await clock.advance(5_000);
    expect(frames.arps()).toHaveLength(2);
    expect(frames.nas()).toHaveLength(2);
    expect(rt.counters.garpSent).toBe(2);
    expect(rt.counters.naSent).toBe(2);
  });

  it('no MAC known yet: no frames (and no crash)', async () => {
    const { clock, frames, rt } = rig(instanceCfg({ priority: 150 }), '192.0.2.1', { mac: null });
    await clock.advance(10_000);
    expect(rt.state).toBe('master');
    expect(frames.sent).toHaveLength(0);
  });

  it('the pending second batch is dropped when master is lost before it is due', async () => {
    const { clock, frames, receive, rt } = rig(instanceCfg({ priority: 150 }));
    await clock.advance(masterDownIntervalMs(3, 150, 100));
    expect(frames.arps()).toHaveLength(5);
    // a higher-priority master keeps advertising past the time the second batch was due
    for (let i = 0; i < 8; i++) {
      receive(adv3({ priority: 254 }));
      await clock.advance(1_000);
    }
    expect(rt.state).toBe('backup');
    expect(frames.arps()).toHaveLength(5);
  });

  it('VIP removed behind our back while master: restored and announced once', async () => {
    const { clock, frames, addresses, rt, logs } = rig(
      instanceCfg({ priority: 150, extra: ['garp: {delay: 0s}'] }),
    );
    await clock.advance(5_000);
    const opsBefore = addresses.ops.length;
    const framesBefore = frames.sent.length;
    addresses.removeBehindBack('eth0', '192.0.2.50');
    rt.addressRemoved('192.0.2.50');
    await clock.advance(0);
    expect(addresses.ops.slice(opsBefore).map((o) => `${o.op} ${o.address}`)).toEqual(['add 192.0.2.50']);
    expect(addresses.has('eth0', '192.0.2.50')).toBe(true);
    expect(frames.sent.length - framesBefore).toBe(1);
    expect(rt.counters.vipsRestored).toBe(1);
    expect(logs.some((l) => l.level === 'warn' && /behind our back/.test(l.msg))).toBe(true);
    // not ours, or not master: nothing
    rt.addressRemoved('192.0.2.99');
    expect(rt.counters.vipsRestored).toBe(1);
  });

  it('a backup does not restore a VIP it does not hold', () => {
    const { addresses, rt } = rig(instanceCfg({ priority: 100 }));
    rt.addressRemoved('192.0.2.50');
    expect(addresses.ops).toHaveLength(0);
    expect(rt.counters.vipsRestored).toBe(0);
  });

  it('reconfigure while master: VIP diff (remove gone, add new, announce), prefix change is a replace', async () => {
    const { clock, addresses, frames, rt } = rig(
      instanceCfg({ priority: 150, vips: ['192.0.2.50/24', '192.0.2.51/24'], extra: ['garp: {delay: 0s}'] }),
    );
    await clock.advance(5_000);
    const ops = addresses.ops.length;
    const fr = frames.arps().length;
    rt.reconfigure(
      instanceCfg({
        priority: 150,
        vips: ['192.0.2.50/24', '192.0.2.51/32', '192.0.2.52/24'],
        extra: ['garp: {delay: 0s}'],
      }),
      clock.now(),
    );
    await clock.advance(0);
    expect(addresses.ops.slice(ops).map((o) => `${o.op} ${o.address}/${o.prefixLength}`)).toEqual([
      'remove 192.0.2.51/24',
      'add 192.0.2.51/32',
      'add 192.0.2.52/24',
    ]);
    // one batch of 5 for every VIP of the new list
    expect(frames.arps().length - fr).toBe(15);
  });

  it('reconfigure while backup touches no address', async () => {
    const { clock, addresses, rt } = rig(instanceCfg({ priority: 100 }));
    await clock.advance(1_000);
    rt.reconfigure(instanceCfg({ priority: 100, vips: ['192.0.2.77/24'] }), clock.now());
    await flush();
    expect(addresses.ops).toHaveLength(0);
  });

  it('a failing frame send is counted as a send error', async () => {
    const cfg = instanceCfg({ priority: 150, extra: ['garp: {repeat: 1, delay: 0s}'] });
    const { clock, frames, rt } = rig(cfg);
    frames.send = async () => {
      throw new Error('ENETDOWN');
    };
    await clock.advance(5_000);
    expect(rt.counters.sendErrors).toBe(1);
    expect(rt.counters.garpSent).toBe(0);
  });
});
