import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyOps, IpvsModelError, syncIpvs } from '../../src/lvs/apply.js';
import {
  buildTable,
  destKey,
  type IpvsDest,
  type IpvsService,
  type IpvsTable,
  normalizeDest,
  normalizeService,
  serviceKey,
} from '../../src/lvs/model.js';
import { describeOp, type IpvsOp, realServerKey, reconcile } from '../../src/lvs/reconcile.js';

// --- arbitraries: small pools so that desired and current overlap a lot ---------------
const v4 = ['192.0.2.10', '192.0.2.11', '198.51.100.1'];
const v6 = ['2001:db8::10', '2001:db8::11'];
const realV4 = ['198.51.100.2', '198.51.100.3', '198.51.100.18', '203.0.113.5'];
const realV6 = ['2001:db8:1::2', '2001:db8:1::3'];

const serviceArb: fc.Arbitrary<IpvsService> = fc
  .record({
    family: fc.constantFrom<4 | 6>(4, 6),
    protocol: fc.constantFrom<IpvsService['protocol']>('tcp', 'udp', 'sctp', null),
    a: fc.nat(9),
    port: fc.constantFrom(80, 443, 53),
    fwmark: fc.integer({ min: 1, max: 3 }),
    scheduler: fc.constantFrom('rr', 'wrr', 'sh', 'wlc'),
    persistent: fc.boolean(),
    onePacket: fc.boolean(),
    shFallback: fc.boolean(),
    shPort: fc.boolean(),
    timeoutS: fc.constantFrom(0, 300, 600),
    pe: fc.constantFrom(undefined, 'sip'),
  })
  .map((r) => {
    const addrs = r.family === 4 ? v4 : v6;
    const s: IpvsService = {
      family: r.family,
      protocol: r.protocol,
      scheduler: r.scheduler,
      flags: {
        persistent: r.persistent,
        onePacket: r.onePacket,
        shFallback: r.shFallback,
        shPort: r.shPort,
        sched3: false,
      },
      timeoutS: r.timeoutS,
      netmask: r.family === 4 ? 32 : 128,
    };
    if (r.protocol === null) s.fwmark = r.fwmark;
    else {
      s.address = addrs[r.a % addrs.length]!;
      s.port = r.port;
    }
    if (r.pe) s.peName = r.pe;
    return normalizeService(s);
  });

const destArb = (family: 4 | 6): fc.Arbitrary<IpvsDest> =>
  fc
    .record({
      a: fc.nat(9),
      port: fc.constantFrom(80, 8080),
      forwarding: fc.constantFrom<IpvsDest['forwarding']>('nat', 'dr', 'tun', 'local'),
      weight: fc.integer({ min: 0, max: 3 }),
      u: fc.constantFrom(0, 100),
      l: fc.constantFrom(0, 10),
      tunType: fc.constantFrom<'ipip' | 'gue' | 'gre'>('ipip', 'gue', 'gre'),
    })
    .map((r) => {
      const pool = family === 4 ? realV4 : realV6;
      return normalizeDest({
        family,
        address: pool[r.a % pool.length]!,
        port: r.port,
        forwarding: r.forwarding,
        weight: r.weight,
        upperThreshold: r.u,
        lowerThreshold: r.l,
        tunType: r.tunType,
        tunPort: r.tunType === 'gue' ? 6080 : 0,
      });
    });

const tableArb: fc.Arbitrary<IpvsTable> = fc
  .array(
    serviceArb.chain((service) =>
      fc.array(destArb(service.family), { maxLength: 5 }).map((dests) => ({ service, dests })),
    ),
    { maxLength: 6 },
  )
  .map((entries) => buildTable(entries));

/** Plain, order-independent form for equality checks. */
function plain(t: IpvsTable, only?: (k: string) => boolean): unknown {
  return [...t]
    .filter(([k]) => !only || only(k))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, e]) => ({
      k,
      service: e.service,
      dests: [...e.dests].sort(([a], [b]) => a.localeCompare(b)),
    }));
}

function opTarget(op: IpvsOp): string {
  const sk = serviceKey(op.service);
  return 'dest' in op ? `${sk}/${destKey(op.dest)}` : sk;
}

describe('reconcile (properties)', () => {
  it('applying the ops to the current table yields the desired table; others untouched', () => {
    fc.assert(
      fc.property(tableArb, tableArb, fc.array(fc.nat(20)), (desired, current, retirePick) => {
        const curKeys = [...current.keys()];
        const retire = retirePick
          .map((i) => curKeys[i % Math.max(1, curKeys.length)])
          .filter(Boolean) as string[];
        const ops = reconcile(desired, current, { retire });
        const after = applyOps(current, ops); // throws on any op the kernel would refuse
        const retired = new Set(retire.filter((k) => !desired.has(k)));
        // owned services are exactly as desired
        expect(plain(after, (k) => desired.has(k))).toEqual(plain(desired));
        // retired services are gone, all others untouched
        for (const k of retired) expect(after.has(k)).toBe(false);
        const other = (k: string) => !desired.has(k) && !retired.has(k);
        expect(plain(after, other)).toEqual(plain(current, other));
      }),
      { numRuns: 500 },
    );
  });

  it('is idempotent: a second pass finds nothing to do', () => {
    fc.assert(
      fc.property(tableArb, tableArb, (desired, current) => {
        const after = applyOps(current, reconcile(desired, current));
        expect(reconcile(desired, after)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('is minimal: one op per differing entry, never delete+add of the same key', () => {
    fc.assert(
      fc.property(tableArb, tableArb, (desired, current) => {
        const ops = reconcile(desired, current);
        const targets = ops.map(opTarget);
        expect(new Set(targets).size).toBe(targets.length);
        for (const op of ops) {
          if (op.op === 'add-service') expect(current.has(serviceKey(op.service))).toBe(false);
          if (op.op === 'add-dest') {
            expect(current.get(serviceKey(op.service))?.dests.has(destKey(op.dest)) ?? false).toBe(false);
          }
          // a delete never hits something desired (that would be delete+add)
          if (op.op === 'delete-dest') {
            expect(desired.get(serviceKey(op.service))?.dests.has(destKey(op.dest))).toBe(false);
          }
          expect(op.op).not.toBe('delete-service'); // nothing retired here
        }
      }),
      { numRuns: 300 },
    );
  });

  it('orders service adds/edits, dest adds/edits, dest deletes, service deletes', () => {
    const rank: Record<IpvsOp['op'], number> = {
      'add-service': 0,
      'edit-service': 0,
      'add-dest': 1,
      'edit-dest': 1,
      'delete-dest': 2,
      'delete-service': 3,
    };
    fc.assert(
      fc.property(tableArb, tableArb, (desired, current) => {
        const ops = reconcile(desired, current, { retire: current.keys() });
        const ranks = ops.map((o) => rank[o.op]);
        expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });

  it('leaves pending real servers exactly as the kernel has them', () => {
    fc.assert(
      fc.property(tableArb, tableArb, fc.array(fc.nat(50), { maxLength: 6 }), (desired, current, picks) => {
        const all: string[] = [];
        for (const t of [desired, current]) {
          for (const [sk, e] of t) for (const dk of e.dests.keys()) all.push(realServerKey(sk, dk));
        }
        const pending = new Set(
          picks.map((i) => all[i % Math.max(1, all.length)]).filter(Boolean) as string[],
        );
        const ops = reconcile(desired, current, { pending });
        for (const op of ops) if ('dest' in op) expect(pending.has(opTarget(op))).toBe(false);
        const after = applyOps(current, ops);
        for (const rk of pending) {
          const [sk, dk] = [rk.slice(0, rk.indexOf('/')), rk.slice(rk.indexOf('/') + 1)];
          if (!desired.has(sk)) continue;
          expect(after.get(sk)?.dests.get(dk)).toEqual(current.get(sk)?.dests.get(dk));
        }
      }),
      { numRuns: 300 },
    );
  });
});

// --- examples an operator would recognise ---------------------------------------------
const web: IpvsService = normalizeService({
  family: 4,
  protocol: 'tcp',
  address: '192.0.2.10',
  port: 80,
  scheduler: 'wrr',
  flags: { persistent: false, onePacket: false, shFallback: false, shPort: false, sched3: false },
  timeoutS: 0,
  netmask: 32,
});
const real = (address: string, weight = 1): IpvsDest =>
  normalizeDest({
    family: 4,
    address,
    port: 80,
    forwarding: 'nat',
    weight,
    upperThreshold: 0,
    lowerThreshold: 0,
  });

describe('reconcile (examples)', () => {
  it('from empty: one service add, then its real servers', () => {
    const desired = buildTable([{ service: web, dests: [real('198.51.100.2'), real('198.51.100.18')] }]);
    expect(reconcile(desired, new Map()).map((o) => o.op)).toEqual(['add-service', 'add-dest', 'add-dest']);
  });

  it('a weight change is one edit-dest, a scheduler change one edit-service', () => {
    const current = buildTable([{ service: web, dests: [real('198.51.100.2'), real('198.51.100.18')] }]);
    const desired = buildTable([
      { service: { ...web, scheduler: 'wlc' }, dests: [real('198.51.100.2', 5), real('198.51.100.18')] },
    ]);
    const ops = reconcile(desired, current);
    expect(ops.map(describeOp)).toEqual([
      'edit service tcp:192.0.2.10:80',
      'edit real server 198.51.100.2:80 in tcp:192.0.2.10:80 (weight 1 -> 5)',
    ]);
  });

  it('forwarding method and thresholds are edited in place too', () => {
    const current = buildTable([{ service: web, dests: [real('198.51.100.2')] }]);
    const d = { ...real('198.51.100.2'), forwarding: 'dr' as const, upperThreshold: 50 };
    const ops = reconcile(buildTable([{ service: web, dests: [d] }]), current);
    expect(ops.map((o) => o.op)).toEqual(['edit-dest']);
  });

  it('an unowned service is never touched; a hand-added real server in an owned one is removed', () => {
    const other = { ...web, port: 8080 };
    const current = buildTable([
      { service: web, dests: [real('198.51.100.2'), real('203.0.113.9')] },
      { service: other, dests: [real('198.51.100.3')] },
    ]);
    const desired = buildTable([{ service: web, dests: [real('198.51.100.2')] }]);
    const ops = reconcile(desired, current);
    expect(ops.map(describeOp)).toEqual(['delete real server 203.0.113.9:80 from tcp:192.0.2.10:80']);
  });

  it('a retired service is deleted without deleting its real servers one by one', () => {
    const current = buildTable([{ service: web, dests: [real('198.51.100.2'), real('198.51.100.3')] }]);
    const ops = reconcile(new Map(), current, { retire: [serviceKey(web)] });
    expect(ops.map((o) => o.op)).toEqual(['delete-service']);
  });

  it('IPv6 and fwmark keys are canonical', () => {
    expect(serviceKey({ family: 6, protocol: 'udp', address: '2001:DB8:0::1', port: 53 })).toBe(
      'udp:[2001:db8::1]:53',
    );
    expect(serviceKey({ family: 4, protocol: null, fwmark: 7 })).toBe('fwmark:4:7');
    expect(destKey({ family: 6, address: '2001:db8:0:0::2', port: 80 })).toBe('[2001:db8::2]:80');
  });

  it('the kernel model refuses what the kernel refuses', () => {
    const t = buildTable([{ service: web, dests: [real('198.51.100.2')] }]);
    expect(() => applyOps(t, [{ op: 'add-service', service: web }])).toThrow(IpvsModelError);
    expect(() => applyOps(new Map(), [{ op: 'add-dest', service: web, dest: real('198.51.100.2') }])).toThrow(
      /no service/,
    );
  });

  it('syncIpvs dumps, diffs and applies through the client', async () => {
    let table: IpvsTable = new Map();
    const client = {
      dump: async () => table,
      applyAll: async (ops: readonly IpvsOp[]) => {
        table = applyOps(table, ops);
        return { failures: [] };
      },
    };
    const desired = buildTable([{ service: web, dests: [real('198.51.100.2')] }]);
    expect((await syncIpvs(client, desired)).ops).toHaveLength(2);
    expect((await syncIpvs(client, desired)).ops).toHaveLength(0);
  });
});
