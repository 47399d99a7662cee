// The allocation-free writer/decoder must speak exactly the schemas' wire format.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type IpvsDest, type IpvsService, normalizeDest, normalizeService } from '../../src/lvs/model.js';
import type { IpvsOp } from '../../src/lvs/reconcile.js';
import { decodeAttrs, encodeAttrs } from '../../src/netlink/attrs.js';
import { decodeGenl, encodeGenl } from '../../src/netlink/genl.js';
import { decodeDestAttrs, destAttrs, encodeOp, serviceAttrs } from '../../src/netlink/ipvs.js';
import { IPVS_CMD_ATTRS } from '../../src/netlink/ipvs-attrs.js';
import { decodeDestFast, NlWriter, writeOp } from '../../src/netlink/ipvs-fast.js';
import { decodeMessages, NLM_F_REQUEST } from '../../src/netlink/message.js';

const service: fc.Arbitrary<IpvsService> = fc
  .record({
    family: fc.constantFrom<4 | 6>(4, 6),
    protocol: fc.constantFrom<IpvsService['protocol']>('tcp', 'udp', 'sctp', null),
    port: fc.integer({ min: 0, max: 65535 }),
    fwmark: fc.integer({ min: 1, max: 0xffffffff }),
    scheduler: fc.constantFrom('rr', 'wlc', 'sh'),
    persistent: fc.boolean(),
    shPort: fc.boolean(),
    timeoutS: fc.nat(),
    prefix: fc.integer({ min: 1, max: 32 }),
    pe: fc.boolean(),
  })
  .map((r) =>
    normalizeService({
      family: r.family,
      protocol: r.protocol,
      ...(r.protocol === null
        ? { fwmark: r.fwmark }
        : { address: r.family === 4 ? '192.0.2.7' : '2001:db8::7', port: r.port }),
      scheduler: r.scheduler,
      flags: {
        persistent: r.persistent,
        onePacket: false,
        shFallback: false,
        shPort: r.shPort,
        sched3: false,
      },
      timeoutS: r.timeoutS,
      netmask: r.family === 4 ? r.prefix : r.prefix * 4,
      ...(r.pe ? { peName: 'sip' } : {}),
    }),
  );

const dest: fc.Arbitrary<IpvsDest> = fc
  .record({
    family: fc.constantFrom<4 | 6>(4, 6),
    port: fc.integer({ min: 0, max: 65535 }),
    forwarding: fc.constantFrom<IpvsDest['forwarding']>('nat', 'dr', 'tun', 'local'),
    weight: fc.integer({ min: 0, max: 100000 }),
    u: fc.nat(),
    l: fc.nat(),
    tunType: fc.constantFrom<'ipip' | 'gue' | 'gre'>('ipip', 'gue', 'gre'),
    tunPort: fc.integer({ min: 1, max: 65535 }),
    tunFlags: fc.integer({ min: 0, max: 3 }),
  })
  .map((r) =>
    normalizeDest({
      family: r.family,
      address: r.family === 4 ? '198.51.100.9' : '2001:db8:1::9',
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

const op: fc.Arbitrary<IpvsOp> = fc.oneof(
  service.map((s): IpvsOp => ({ op: 'add-service', service: s })),
  service.map((s): IpvsOp => ({ op: 'edit-service', service: s, was: s })),
  service.map((s): IpvsOp => ({ op: 'delete-service', service: s })),
  fc.tuple(service, dest).map(([s, d]): IpvsOp => ({ op: 'add-dest', service: s, dest: d })),
  fc.tuple(service, dest).map(([s, d]): IpvsOp => ({ op: 'edit-dest', service: s, dest: d, was: d })),
  fc.tuple(service, dest).map(([s, d]): IpvsOp => ({ op: 'delete-dest', service: s, dest: d })),
);

/** Attribute-level view, independent of attribute order. */
function attrsOf(payload: Buffer) {
  const g = decodeGenl(payload);
  if ('error' in g) throw new Error(g.error);
  const a = decodeAttrs(IPVS_CMD_ATTRS, g.attrs);
  return { cmd: g.cmd, version: g.version, a };
}

describe('ipvs-fast', () => {
  it('writeOp produces the same attributes as the schema encoder, several messages per datagram', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 8 }), (ops) => {
        const w = new NlWriter(64); // small: forces growth
        ops.forEach((o, i) => {
          writeOp(w, o, 0x1c, NLM_F_REQUEST, 100 + i);
        });
        const msgs = decodeMessages(Buffer.from(w.view()));
        if (!Array.isArray(msgs)) throw new Error(msgs.error);
        expect(msgs).toHaveLength(ops.length);
        msgs.forEach((m, i) => {
          expect(m.type).toBe(0x1c);
          expect(m.seq).toBe(100 + i);
          expect(attrsOf(m.payload)).toEqual(attrsOf(encodeOp(ops[i]!).payload));
        });
      }),
    );
  });

  it('decodeDestFast reads what the kernel dumps like the schema decoder does', () => {
    fc.assert(
      fc.property(dest, fc.nat(), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (d, conns, bytes) => {
        const nest = {
          ...destAttrs(d, true),
          IPVS_DEST_ATTR_ACTIVE_CONNS: conns,
          IPVS_DEST_ATTR_INACT_CONNS: 2,
          IPVS_DEST_ATTR_PERSIST_CONNS: 3,
          IPVS_DEST_ATTR_STATS: { IPVS_STATS_ATTR_CONNS: 5, IPVS_STATS_ATTR_INBYTES: 1n },
          IPVS_DEST_ATTR_STATS64: { IPVS_STATS_ATTR_CONNS: 6n, IPVS_STATS_ATTR_INBYTES: bytes },
        };
        const payload = encodeGenl(5, 1, encodeAttrs(IPVS_CMD_ATTRS, { IPVS_CMD_ATTR_DEST: nest }));
        const fast = decodeDestFast(payload, d.family);
        const slow = decodeDestAttrs(
          decodeAttrs(IPVS_CMD_ATTRS, payload.subarray(4)).IPVS_CMD_ATTR_DEST ?? {},
          d.family,
        );
        expect(fast).toEqual(slow);
        expect(fast?.dest).toEqual(d);
        expect(fast?.counters.stats?.inBytes).toBe(bytes);
        expect(fast?.counters.activeConns).toBe(conns);
      }),
    );
  });

  it('decodeDestFast refuses a message without a destination', () => {
    const payload = encodeGenl(
      5,
      1,
      encodeAttrs(IPVS_CMD_ATTRS, {
        IPVS_CMD_ATTR_SERVICE: serviceAttrs(
          normalizeService({
            family: 4,
            protocol: null,
            fwmark: 1,
            scheduler: 'rr',
            flags: { persistent: false, onePacket: false, shFallback: false, shPort: false, sched3: false },
            timeoutS: 0,
            netmask: 32,
          }),
          false,
        ),
      }),
    );
    expect(decodeDestFast(payload, 4)).toBeNull();
    expect(decodeDestFast(Buffer.alloc(2), 4)).toBeNull();
  });
});
