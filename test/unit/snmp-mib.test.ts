// The VRRPv3-MIB view (RFC 6527) built from the example status document: OIDs in order
// and unique, each column's value from the snapshot, and the row memory (new-master
// reason, protocol errors from counters that moved, uptime, discontinuities).
import { describe, expect, it } from 'vitest';
import { exampleSnapshot } from '../../src/control/example.js';
import type { Snapshot } from '../../src/control/snapshot.js';
import { compareOid, type Oid, type VarBind } from '../../src/snmp/agentx.js';
import { newMasterReasonOf, Vrrpv3Rows } from '../../src/snmp/rows.js';
import {
  buildView,
  NewMasterReason,
  newMasterNotification,
  ProtoErrReason,
  protoErrorNotification,
  type ViewInput,
} from '../../src/snmp/vrrpv3-mib.js';

const MIB = [1, 3, 6, 1, 2, 1, 207];
const ops = (col: number, ...idx: number[]): Oid => [...MIB, 1, 1, 1, 1, col, ...idx];
const stats = (col: number, ...idx: number[]): Oid => [...MIB, 1, 2, 5, 1, col, ...idx];
const VI1 = [2, 51, 1]; // ifIndex 2, VRID 51, ipv4(1)
const VI2 = [3, 52, 1];

function view(o: Partial<ViewInput> = {}): VarBind[] {
  return buildView({
    snapshot: exampleSnapshot(),
    config: new Map([
      ['VI_1', { preempt: true, accept: false }],
      ['VI_2', { preempt: false, accept: true }],
    ]),
    rows: new Map(),
    nowMs: 0,
    globalDiscontinuityTicks: 0,
    refreshRateMs: 1000,
    ...o,
  });
}
const valueAt = (v: VarBind[], oid: Oid) => v.find((x) => compareOid(x.oid, oid) === 0)?.value;

describe('VRRPv3-MIB view from a snapshot', () => {
  it('is sorted with unique OIDs, all under 1.3.6.1.2.1.207', () => {
    const v = view();
    for (let i = 1; i < v.length; i++) expect(compareOid(v[i - 1]!.oid, v[i]!.oid)).toBeLessThan(0);
    expect(v.every((x) => x.oid.slice(0, 7).join('.') === MIB.join('.'))).toBe(true);
    // 11 operations columns + 13 statistics columns per row, one associated address each, 4 scalars
    expect(v).toHaveLength(2 * (11 + 13 + 1) + 4);
  });

  it('vrrpv3OperationsTable: addresses, virtual MAC, status, priority, counts, interval, modes', () => {
    const v = view();
    expect(valueAt(v, ops(3, ...VI1))).toEqual({ type: 'octets', value: Buffer.from([192, 0, 2, 1]) });
    expect(valueAt(v, ops(3, ...VI2))).toEqual({ type: 'octets', value: Buffer.from([198, 51, 100, 1]) });
    expect(valueAt(v, ops(4, ...VI2))).toEqual({ type: 'octets', value: Buffer.from([198, 51, 100, 2]) });
    expect(valueAt(v, ops(5, ...VI1))).toEqual({ type: 'octets', value: Buffer.from('00005e000133', 'hex') });
    expect(valueAt(v, ops(6, ...VI1))).toEqual({ type: 'integer', value: 3 }); // master
    expect(valueAt(v, ops(6, ...VI2))).toEqual({ type: 'integer', value: 2 }); // backup
    expect(valueAt(v, ops(7, ...VI2))).toEqual({ type: 'gauge32', value: 80 }); // effective priority
    // VI_1 has an IPv4 and an IPv6 VIP: only its own family is carried in adverts
    expect(valueAt(v, ops(8, ...VI1))).toEqual({ type: 'integer', value: 1 });
    expect(valueAt(v, ops(9, ...VI1))).toEqual({ type: 'integer', value: 100 });
    expect(valueAt(v, ops(10, ...VI1))).toEqual({ type: 'integer', value: 1 }); // preempt true(1)
    expect(valueAt(v, ops(11, ...VI1))).toEqual({ type: 'integer', value: 2 }); // accept false(2)
    expect(valueAt(v, ops(10, ...VI2))).toEqual({ type: 'integer', value: 2 });
    expect(valueAt(v, ops(13, ...VI1))).toEqual({ type: 'integer', value: 1 }); // active
  });

  it('vrrpv3AssociatedIpAddrTable: indexed by the length-prefixed address', () => {
    const v = view();
    expect(valueAt(v, [...MIB, 1, 1, 2, 1, 2, ...VI1, 4, 192, 0, 2, 50])).toEqual({
      type: 'integer',
      value: 1,
    });
    expect(v.filter((x) => x.oid.slice(0, 11).join('.') === [...MIB, 1, 1, 2, 1].join('.'))).toHaveLength(2);
  });

  it('router-wide errors add the drops matched to no instance and those of every instance', () => {
    const s = exampleSnapshot();
    s.instances[0]!.counters.drops.checksum = 2;
    const v = view({ snapshot: s });
    expect(valueAt(v, [...MIB, 1, 2, 1, 0])).toEqual({ type: 'counter64', value: 2n });
    expect(valueAt(v, [...MIB, 1, 2, 3, 0])).toEqual({ type: 'counter64', value: 5n });
  });

  it('vrrpv3StatisticsTable: received = accepted + discarded for the router, errors by reason', () => {
    const s = exampleSnapshot();
    s.instances[1]!.counters.addressListMismatch = 4;
    s.instances[1]!.counters.drops['own-packet'] = 50;
    const v = view({ snapshot: s });
    expect(valueAt(v, stats(1, ...VI1))).toEqual({ type: 'counter32', value: 1 });
    expect(valueAt(v, stats(3, ...VI2))).toEqual({ type: 'counter64', value: 7196n + 3n + 1n });
    expect(valueAt(v, stats(5, ...VI2))).toEqual({ type: 'counter64', value: 3n });
    expect(valueAt(v, stats(10, ...VI2))).toEqual({ type: 'counter64', value: 4n });
    expect(valueAt(v, stats(13, ...VI2))).toEqual({ type: 'gauge32', value: 1000 });
  });

  it('an IPv6 instance: index type ipv6(2), 16-byte addresses, the 00-00-5E-00-02 virtual MAC', () => {
    const s = exampleSnapshot();
    Object.assign(s.instances[1]!, {
      family: 6,
      masterAddress: 'fe80::1',
      primaryAddress: 'fe80::2',
      vips: [
        { address: '2001:db8::50', prefixLength: 64, device: 'eth1', present: true },
        { address: '198.51.100.50', prefixLength: 32, device: 'eth1', present: true },
      ],
    });
    const v = view({ snapshot: s });
    const idx = [3, 52, 2];
    expect(valueAt(v, ops(3, ...idx))).toEqual({
      type: 'octets',
      value: Buffer.from('fe800000000000000000000000000001', 'hex'),
    });
    expect(valueAt(v, ops(5, ...idx))).toEqual({ type: 'octets', value: Buffer.from('00005e000234', 'hex') });
    expect(valueAt(v, ops(8, ...idx))).toEqual({ type: 'integer', value: 1 });
    const addr = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x50];
    expect(valueAt(v, [...MIB, 1, 1, 2, 1, 2, ...idx, 16, ...addr])).toEqual({ type: 'integer', value: 1 });
  });

  it('an instance without an ifindex (interface gone) has no row', () => {
    const s = exampleSnapshot();
    s.instances[1]!.ifIndex = null;
    expect(view({ snapshot: s }).some((x) => x.oid.includes(52))).toBe(false);
  });
});

describe('row memory', () => {
  const snap = (): Snapshot => exampleSnapshot();

  it('maps the engine reasons for becoming master', () => {
    expect(newMasterReasonOf('master-down-timer')).toBe(NewMasterReason.masterNoResponse);
    expect(newMasterReasonOf('preempt')).toBe(NewMasterReason.preempted);
    expect(newMasterReasonOf('owner-startup')).toBe(NewMasterReason.priority);
  });

  it('a sync group member forced to master takes the reason of the member that led', () => {
    const r = new Vrrpv3Rows();
    expect(r.stateChanged({ instance: 'A', from: 'backup', to: 'master', reason: 'preempt' }, 0, 'G')).toBe(
      2,
    );
    expect(
      r.stateChanged({ instance: 'B', from: 'backup', to: 'master', reason: 'sync-group' }, 0, 'G'),
    ).toBe(2);
    expect(
      r.stateChanged({ instance: 'B', from: 'master', to: 'backup', reason: 'sync-group' }, 0, 'G'),
    ).toBeNull();
  });

  it('uptime counts from leaving initialize/fault, across backup → master', () => {
    const r = new Vrrpv3Rows();
    r.stateChanged({ instance: 'VI_1', from: 'init', to: 'backup', reason: 'startup' }, 1000, null);
    r.stateChanged(
      { instance: 'VI_1', from: 'backup', to: 'master', reason: 'master-down-timer' },
      4000,
      null,
    );
    const v = view({ rows: r.memory, nowMs: 11_000 });
    expect(valueAt(v, ops(12, ...VI1))).toEqual({ type: 'timeticks', value: 1000 });
    expect(valueAt(v, stats(2, ...VI1))).toEqual({
      type: 'integer',
      value: NewMasterReason.masterNoResponse,
    });
    r.stateChanged({ instance: 'VI_1', from: 'master', to: 'fault', reason: 'fault: x' }, 12_000, null);
    expect(valueAt(view({ rows: r.memory, nowMs: 13_000 }), ops(12, ...VI1))).toEqual({
      type: 'timeticks',
      value: 0,
    });
  });

  it('protocol errors: counters that moved since the last snapshot, none on the first', () => {
    const r = new Vrrpv3Rows();
    r.connected();
    expect(r.observe(snap(), 0, 100)).toEqual([]);
    const s = snap();
    s.instances[1]!.counters.drops.ttl = 5;
    s.instances[0]!.counters.drops.checksum = 1;
    s.instances[0]!.counters.drops.length = 9; // not a protocol error in RFC 6527's sense
    const seen = r.observe(s, 1000, 200);
    expect(seen.map((e) => [e.instance.name, e.reason])).toEqual([
      ['VI_1', ProtoErrReason.checksumError],
      ['VI_2', ProtoErrReason.ipTtlError],
    ]);
    expect(r.memory.get('VI_2')!.protoErrReason).toBe(ProtoErrReason.ipTtlError);
    expect(r.observe(s, 2000, 300)).toEqual([]);
  });

  it('discontinuities: a row created later, or counters that went back; reset on (re)connect', () => {
    const r = new Vrrpv3Rows();
    r.connected();
    const one = snap();
    one.instances.pop();
    r.observe(one, 0, 100);
    expect(r.memory.get('VI_1')!.discontinuityTicks).toBe(0);
    r.observe(snap(), 1000, 200); // VI_2 appears (added by a reload)
    expect(r.memory.get('VI_2')!.discontinuityTicks).toBe(200);
    const reset = snap();
    reset.instances[0]!.counters.advertsSent = 0; // re-created instance
    reset.globalDrops.vrid = 0;
    r.observe(reset, 2000, 300);
    expect(r.memory.get('VI_1')!.discontinuityTicks).toBe(300);
    expect(r.globalDiscontinuityTicks).toBe(300);
    r.connected();
    expect(r.memory.get('VI_1')!.discontinuityTicks).toBe(0);
    expect(r.globalDiscontinuityTicks).toBe(0);
  });

  it('forgets instances that left the configuration', () => {
    const r = new Vrrpv3Rows();
    r.observe(snap(), 0, null);
    const one = snap();
    one.instances.pop();
    r.observe(one, 0, null);
    expect([...r.memory.keys()]).toEqual(['VI_1']);
  });
});

describe('notifications', () => {
  it('vrrpv3NewMaster: snmpTrapOID.0, then the master address and the reason', () => {
    const i = exampleSnapshot().instances[0]!;
    expect(newMasterNotification(i, NewMasterReason.preempted)).toEqual([
      { oid: [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0], value: { type: 'oid', value: [...MIB, 0, 1] } },
      { oid: ops(3, ...VI1), value: { type: 'octets', value: Buffer.from([192, 0, 2, 1]) } },
      { oid: stats(2, ...VI1), value: { type: 'integer', value: 2 } },
    ]);
  });

  it('vrrpv3ProtoError: snmpTrapOID.0, then the reason', () => {
    const i = exampleSnapshot().instances[1]!;
    expect(protoErrorNotification(i, ProtoErrReason.ipTtlError)).toEqual([
      { oid: [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0], value: { type: 'oid', value: [...MIB, 0, 2] } },
      { oid: stats(6, ...VI2), value: { type: 'integer', value: 1 } },
    ]);
  });
});
