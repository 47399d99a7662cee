import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeIpvsFailure, IpvsError } from '../../src/lvs/errors.js';
import { type IpvsDest, type IpvsService, normalizeDest, normalizeService } from '../../src/lvs/model.js';
import { decodeAttrs, encodeAttrs } from '../../src/netlink/attrs.js';
import {
  CTRL_ATTR,
  decodeFamily,
  decodeGenl,
  encodeGenl,
  encodeGetFamily,
  GENL_ID_CTRL,
  resolveFamily,
} from '../../src/netlink/genl.js';
import {
  decodeDaemonMessage,
  decodeDestAttrs,
  decodeServiceAttrs,
  decodeTimeoutsMessage,
  destAttrs,
  encodeDaemon,
  encodeOp,
  encodeSetTimeouts,
  serviceAttrs,
} from '../../src/netlink/ipvs.js';
import { IPVS_CMD, IPVS_DEST, IPVS_SVC } from '../../src/netlink/ipvs-attrs.js';
import type { NlMessage } from '../../src/netlink/message.js';

const msg = (payload: Buffer): NlMessage => ({ type: 30, flags: 0, seq: 1, pid: 0, payload });

const serviceArb: fc.Arbitrary<IpvsService> = fc
  .record({
    family: fc.constantFrom<4 | 6>(4, 6),
    protocol: fc.constantFrom<IpvsService['protocol']>('tcp', 'udp', 'sctp', null),
    port: fc.integer({ min: 0, max: 65535 }),
    fwmark: fc.integer({ min: 1, max: 0xffffffff }),
    scheduler: fc.constantFrom('rr', 'wrr', 'sh', 'mh', 'lblcr'),
    flags: fc.record({
      persistent: fc.boolean(),
      onePacket: fc.boolean(),
      shFallback: fc.boolean(),
      shPort: fc.boolean(),
      sched3: fc.boolean(),
    }),
    timeoutS: fc.integer({ min: 0, max: 0x7fffffff }),
    prefix4: fc.integer({ min: 0, max: 32 }),
    prefix6: fc.integer({ min: 1, max: 128 }),
    pe: fc.option(fc.constant('sip'), { nil: undefined }),
    a: fc.integer({ min: 1, max: 254 }),
  })
  .map((r) =>
    normalizeService({
      family: r.family,
      protocol: r.protocol,
      ...(r.protocol === null
        ? { fwmark: r.fwmark }
        : { address: r.family === 4 ? `192.0.2.${r.a}` : `2001:db8::${r.a.toString(16)}`, port: r.port }),
      scheduler: r.scheduler,
      flags: r.flags,
      timeoutS: r.timeoutS,
      netmask: r.family === 4 ? r.prefix4 : r.prefix6,
      ...(r.pe ? { peName: r.pe } : {}),
    }),
  );

const destArb: fc.Arbitrary<IpvsDest> = fc
  .record({
    family: fc.constantFrom<4 | 6>(4, 6),
    a: fc.integer({ min: 1, max: 254 }),
    port: fc.integer({ min: 0, max: 65535 }),
    forwarding: fc.constantFrom<IpvsDest['forwarding']>('nat', 'dr', 'tun', 'local'),
    weight: fc.integer({ min: 0, max: 65535 }),
    u: fc.integer({ min: 0, max: 0x7fffffff }),
    l: fc.integer({ min: 0, max: 0x7fffffff }),
    tunType: fc.constantFrom<'ipip' | 'gue' | 'gre'>('ipip', 'gue', 'gre'),
    tunPort: fc.integer({ min: 1, max: 65535 }),
    tunFlags: fc.integer({ min: 0, max: 3 }),
  })
  .map((r) =>
    normalizeDest({
      family: r.family,
      address: r.family === 4 ? `198.51.100.${r.a}` : `2001:db8:1::${r.a.toString(16)}`,
      port: r.port,
      forwarding: r.forwarding,
      weight: r.weight,
      upperThreshold: r.u,
      lowerThreshold: r.l,
      tunType: r.tunType,
      tunPort: r.tunPort,
      tunFlags: r.tunFlags,
    }),
  );

describe('IPVS attribute codec', () => {
  it('every service attribute round-trips through the netlink nest', () => {
    fc.assert(
      fc.property(serviceArb, (s) => {
        const wire = encodeAttrs(IPVS_SVC, serviceAttrs(s, true));
        const back = decodeServiceAttrs(decodeAttrs(IPVS_SVC, wire));
        expect(back).toEqual({ service: s });
      }),
    );
  });

  it('every destination attribute round-trips through the netlink nest', () => {
    fc.assert(
      fc.property(destArb, (d) => {
        const wire = encodeAttrs(IPVS_DEST, destAttrs(d, true));
        const back = decodeDestAttrs(decodeAttrs(IPVS_DEST, wire), d.family);
        if ('error' in back) throw new Error(back.error);
        expect(back.dest).toEqual(d);
      }),
    );
  });

  it('lays out addresses, ports, flags and netmasks as ip_vs.h says', () => {
    const s = normalizeService({
      family: 4,
      protocol: 'tcp',
      address: '192.0.2.10',
      port: 80,
      scheduler: 'sh',
      flags: { persistent: true, onePacket: false, shFallback: true, shPort: true, sched3: false },
      timeoutS: 300,
      netmask: 24,
    });
    const v = serviceAttrs(s, true);
    expect(v.IPVS_SVC_ATTR_AF).toBe(2);
    expect(v.IPVS_SVC_ATTR_PROTOCOL).toBe(6);
    expect(v.IPVS_SVC_ATTR_ADDR).toEqual(Buffer.from([192, 0, 2, 10, ...Array(12).fill(0)]));
    expect(v.IPVS_SVC_ATTR_NETMASK).toEqual(Buffer.from([255, 255, 255, 0]));
    // PERSISTENT 0x1 | SCHED1 0x8 | SCHED2 0x10, mask all ones (host order)
    expect(v.IPVS_SVC_ATTR_FLAGS?.readUInt32LE(0)).toBe(0x19);
    expect(v.IPVS_SVC_ATTR_FLAGS?.readUInt32LE(4)).toBe(0xffffffff);
    const wire = encodeAttrs(IPVS_SVC, v);
    // IPVS_SVC_ATTR_PORT (type 4) carries 80 in network order
    const at = wire.indexOf(Buffer.from([6, 0, 4, 0]));
    expect(wire.readUInt16BE(at + 4)).toBe(80);
    // the kernel reports the HASHED flag (0x2): it is not part of the model
    const dumped = decodeAttrs(IPVS_SVC, wire);
    dumped.IPVS_SVC_ATTR_FLAGS = Buffer.from([0x1b, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    expect(decodeServiceAttrs(dumped)).toEqual({ service: s });
  });

  it('a delete carries only the identity; adds and edits carry the settings', () => {
    const s = normalizeService({
      family: 6,
      protocol: null,
      fwmark: 7,
      scheduler: 'rr',
      flags: { persistent: false, onePacket: false, shFallback: false, shPort: false, sched3: false },
      timeoutS: 0,
      netmask: 128,
    });
    expect(Object.keys(serviceAttrs(s, false)).sort()).toEqual(['IPVS_SVC_ATTR_AF', 'IPVS_SVC_ATTR_FWMARK']);
    const cmds = (['add-service', 'edit-service', 'delete-service'] as const).map(
      (op) => encodeOp({ op, service: s, was: s } as never).cmd,
    );
    expect(cmds).toEqual([IPVS_CMD.NEW_SERVICE, IPVS_CMD.SET_SERVICE, IPVS_CMD.DEL_SERVICE]);
    const g = decodeGenl(encodeOp({ op: 'delete-service', service: s }).payload);
    expect('error' in g ? -1 : g.cmd).toBe(IPVS_CMD.DEL_SERVICE);
  });

  it('timeouts and sync daemons encode and decode', () => {
    const t = decodeTimeoutsMessage(msg(encodeSetTimeouts({ tcpS: 900, tcpFinS: 120, udpS: 300 })));
    expect(t).toEqual({ tcpS: 900, tcpFinS: 120, udpS: 300 });
    const d = {
      state: 'master' as const,
      ifname: 'eth0',
      syncId: 9,
      maxLen: 1472,
      mcastGroup: '224.0.0.81',
      mcastPort: 8848,
      mcastTtl: 1,
    };
    expect(decodeDaemonMessage(msg(encodeDaemon(IPVS_CMD.NEW_DAEMON, d)))).toEqual(d);
    expect(decodeDaemonMessage(msg(encodeDaemon(IPVS_CMD.DEL_DAEMON, { state: 'backup' })))).toEqual({
      state: 'backup',
      ifname: '',
      syncId: 0,
    });
  });
});

describe('generic netlink controller', () => {
  it('encodes GETFAMILY and decodes the reply', () => {
    const req = decodeGenl(encodeGetFamily('IPVS'));
    if ('error' in req) throw new Error(req.error);
    expect(req.cmd).toBe(3);
    expect(decodeAttrs(CTRL_ATTR, req.attrs).CTRL_ATTR_FAMILY_NAME).toBe('IPVS');
    const reply = encodeGenl(
      1,
      2,
      encodeAttrs(CTRL_ATTR, {
        CTRL_ATTR_FAMILY_ID: 0x1c,
        CTRL_ATTR_FAMILY_NAME: 'IPVS',
        CTRL_ATTR_VERSION: 1,
      }),
    );
    expect(decodeFamily(msg(reply))).toEqual({ id: 0x1c, name: 'IPVS', version: 1, maxAttr: 0 });
  });

  it('a missing family says what to load', async () => {
    const enoent = async () => {
      throw Object.assign(new Error('no such object'), { code: 'ENOENT' });
    };
    await expect(resolveFamily(enoent, 'IPVS', 'modprobe ip_vs')).rejects.toThrow(
      "the kernel has no generic netlink family 'IPVS': modprobe ip_vs",
    );
    const seen: number[] = [];
    const ok = async (type: number) => {
      seen.push(type);
      return [
        msg(
          encodeGenl(
            1,
            2,
            encodeAttrs(CTRL_ATTR, { CTRL_ATTR_FAMILY_ID: 40, CTRL_ATTR_FAMILY_NAME: 'IPVS' }),
          ),
        ),
      ];
    };
    expect((await resolveFamily(ok, 'IPVS')).id).toBe(40);
    expect(seen).toEqual([GENL_ID_CTRL]);
  });
});

describe('IPVS errors in operator words', () => {
  const svc = normalizeService({
    family: 4,
    protocol: 'tcp',
    address: '192.0.2.10',
    port: 80,
    scheduler: 'mh',
    flags: { persistent: false, onePacket: false, shFallback: false, shPort: false, sched3: false },
    timeoutS: 0,
    netmask: 32,
  });
  it('a missing scheduler names the module to load', () => {
    expect(describeIpvsFailure('ENOENT', { op: 'add-service', service: svc })).toBe(
      "scheduler 'mh' not available: load kernel module ip_vs_mh (modprobe ip_vs_mh)",
    );
  });
  it('threshold and missing-service errors say what is wrong', () => {
    const dest = normalizeDest({
      family: 4,
      address: '198.51.100.2',
      port: 80,
      forwarding: 'nat',
      weight: 1,
      upperThreshold: 1,
      lowerThreshold: 5,
    });
    expect(describeIpvsFailure('ERANGE', { op: 'add-dest', service: svc, dest })).toMatch(
      /lower connection threshold/,
    );
    expect(describeIpvsFailure('ESRCH', { op: 'add-dest', service: svc, dest })).toMatch(/does not exist/);
    const e = new IpvsError('ENOENT', 2, 'add service tcp:192.0.2.10:80', 'x');
    expect(e.message).toBe('add service tcp:192.0.2.10:80: x (ENOENT)');
  });
});
