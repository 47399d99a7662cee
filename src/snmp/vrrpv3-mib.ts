// The VRRPv3-MIB (RFC 6527) objects vrrpd serves, built from the control plane's status
// document: a pure function from a snapshot (plus what the subagent remembers between
// snapshots, src/snmp/rows.ts) to the sorted list of instances snmpd walks.
//
// Every row is read-only here: vrrpd's configuration is its YAML file, so the read-create
// columns answer as read-only and a Set is refused (notWritable).
import type { InstanceStatus, Snapshot } from '../control/snapshot.js';
import { parseIp } from '../net/addr.js';
import { compareOid, type Oid, type VarBind } from './agentx.js';

/** vrrpv3MIB ::= { mib-2 207 } */
export const vrrpv3MIB: Oid = [1, 3, 6, 1, 2, 1, 207];
const under = (parent: Oid, ...sub: number[]): Oid => [...parent, ...sub];

export const vrrpv3Notifications = under(vrrpv3MIB, 0);
export const vrrpv3Objects = under(vrrpv3MIB, 1);
export const vrrpv3Operations = under(vrrpv3Objects, 1);
export const vrrpv3Statistics = under(vrrpv3Objects, 2);

/** vrrpv3OperationsEntry ::= { vrrpv3OperationsTable 1 }, vrrpv3OperationsTable ::= { vrrpv3Operations 1 } */
export const vrrpv3OperationsEntry = under(vrrpv3Operations, 1, 1);
/** Columns of vrrpv3OperationsEntry (1 VrId and 2 InetAddrType are index-only). */
export const Operations = {
  vrrpv3OperationsMasterIpAddr: 3,
  vrrpv3OperationsPrimaryIpAddr: 4,
  vrrpv3OperationsVirtualMacAddr: 5,
  vrrpv3OperationsStatus: 6,
  vrrpv3OperationsPriority: 7,
  vrrpv3OperationsAddrCount: 8,
  vrrpv3OperationsAdvInterval: 9,
  vrrpv3OperationsPreemptMode: 10,
  vrrpv3OperationsAcceptMode: 11,
  vrrpv3OperationsUpTime: 12,
  vrrpv3OperationsRowStatus: 13,
} as const;

/** vrrpv3AssociatedIpAddrEntry ::= { vrrpv3AssociatedIpAddrTable 1 }, table ::= { vrrpv3Operations 2 } */
export const vrrpv3AssociatedIpAddrEntry = under(vrrpv3Operations, 2, 1);
/** 1 vrrpv3AssociatedIpAddrAddress is index-only */
export const vrrpv3AssociatedIpAddrRowStatus = 2;

/** Router-wide scalars under vrrpv3Statistics (each with the .0 instance suffix). */
export const RouterStatistics = {
  vrrpv3RouterChecksumErrors: 1,
  vrrpv3RouterVersionErrors: 2,
  vrrpv3RouterVrIdErrors: 3,
  vrrpv3GlobalStatisticsDiscontinuityTime: 4,
} as const;

/** vrrpv3StatisticsEntry ::= { vrrpv3StatisticsTable 1 }, table ::= { vrrpv3Statistics 5 }; AUGMENTS the operations entry */
export const vrrpv3StatisticsEntry = under(vrrpv3Statistics, 5, 1);
export const Statistics = {
  vrrpv3StatisticsMasterTransitions: 1,
  vrrpv3StatisticsNewMasterReason: 2,
  vrrpv3StatisticsRcvdAdvertisements: 3,
  vrrpv3StatisticsAdvIntervalErrors: 4,
  vrrpv3StatisticsIpTtlErrors: 5,
  vrrpv3StatisticsProtoErrReason: 6,
  vrrpv3StatisticsRcvdPriZeroPackets: 7,
  vrrpv3StatisticsSentPriZeroPackets: 8,
  vrrpv3StatisticsRcvdInvalidTypePackets: 9,
  vrrpv3StatisticsAddressListErrors: 10,
  vrrpv3StatisticsPacketLengthErrors: 11,
  vrrpv3StatisticsRowDiscontinuityTime: 12,
  vrrpv3StatisticsRefreshRate: 13,
} as const;

/** NOTIFICATION-TYPEs: vrrpv3NewMaster ::= { vrrpv3Notifications 1 }, vrrpv3ProtoError ::= { … 2 } */
export const vrrpv3NewMaster = under(vrrpv3Notifications, 1);
export const vrrpv3ProtoError = under(vrrpv3Notifications, 2);
/** snmpTrapOID.0 (SNMPv2-MIB), the first varbind of every notification */
export const snmpTrapOID0: Oid = [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];

/** vrrpv3OperationsStatus */
export const OperStatus = { initialize: 1, backup: 2, master: 3 } as const;
/** vrrpv3StatisticsNewMasterReason */
export const NewMasterReason = { notMaster: 0, priority: 1, preempted: 2, masterNoResponse: 3 } as const;
export type NewMasterReasonValue = (typeof NewMasterReason)[keyof typeof NewMasterReason];
/** vrrpv3StatisticsProtoErrReason */
export const ProtoErrReason = {
  noError: 0,
  ipTtlError: 1,
  versionError: 2,
  checksumError: 3,
  vrIdError: 4,
} as const;
export type ProtoErrReasonValue = (typeof ProtoErrReason)[keyof typeof ProtoErrReason];
/** The status document's drop reasons (src/control/snapshot.ts DROP_REASONS) that are protocol errors. */
export const PROTO_ERROR_OF_DROP: Readonly<Record<string, ProtoErrReasonValue>> = {
  ttl: ProtoErrReason.ipTtlError,
  version: ProtoErrReason.versionError,
  checksum: ProtoErrReason.checksumError,
  vrid: ProtoErrReason.vrIdError,
};
/** InetAddressType (RFC 4001) */
const InetAddressType = { ipv4: 1, ipv6: 2 } as const;
const TruthValue = { true: 1, false: 2 } as const;
const RowStatusActive = 1;

/** What the subagent remembers about a row between snapshots (src/snmp/rows.ts). */
export interface RowMemory {
  newMasterReason: NewMasterReasonValue;
  protoErrReason: ProtoErrReasonValue;
  /** monotonic ms when the instance last left initialize (init/fault), null while in it */
  upSinceMs: number | null;
  /** sysUpTime (centiseconds) of the last discontinuity of this row's counters; 0 = none */
  discontinuityTicks: number;
}

export interface ViewInput {
  snapshot: Snapshot;
  /** configuration the status document does not carry, by instance name */
  config: ReadonlyMap<string, { preempt: boolean; accept: boolean }>;
  rows: ReadonlyMap<string, RowMemory>;
  nowMs: number;
  globalDiscontinuityTicks: number;
  /** how often the subagent rebuilds this view (vrrpv3StatisticsRefreshRate) */
  refreshRateMs: number;
}

/** INDEX { ifIndex, vrrpv3OperationsVrId, vrrpv3OperationsInetAddrType }; null without an ifindex. */
export function rowIndex(i: Pick<InstanceStatus, 'ifIndex' | 'vrid' | 'family'>): Oid | null {
  if (i.ifIndex === null) return null;
  return [i.ifIndex, i.vrid, i.family === 6 ? InetAddressType.ipv6 : InetAddressType.ipv4];
}

/** InetAddress: the address's 4 or 16 bytes; unknown (null) is the zero-length string. */
export function inetAddress(text: string | null): Buffer {
  return text === null ? Buffer.alloc(0) : (parseIp(text)?.bytes ?? Buffer.alloc(0));
}

/** RFC 5798 §7.3: 00-00-5E-00-01-{VRID} for IPv4, 00-00-5E-00-02-{VRID} for IPv6. */
function virtualMac(vrid: number, family: 4 | 6): Buffer {
  return Buffer.from([0x00, 0x00, 0x5e, 0x00, family === 6 ? 0x02 : 0x01, vrid]);
}

/** Addresses carried in the instance's adverts: its VIPs of its own family. */
export function associatedAddresses(i: Pick<InstanceStatus, 'vips' | 'family'>): string[] {
  return i.vips.map((v) => v.address).filter((a) => parseIp(a)?.family === i.family);
}

const drop = (i: InstanceStatus, reason: string): number => i.counters.drops[reason] ?? 0;

/**
 * vrrpv3StatisticsRcvdAdvertisements counts every advert received for the virtual router:
 * the accepted ones and those discarded after being matched to it (vrrpd skips its own
 * looped-back adverts before counting anything; 'own-packet' is not a reception).
 */
export function receivedAdverts(i: InstanceStatus): bigint {
  let n = i.counters.advertsReceived;
  for (const [reason, count] of Object.entries(i.counters.drops)) if (reason !== 'own-packet') n += count;
  return BigInt(n);
}

/** Sum of a drop reason over the router: per-instance drops plus those matched to no instance. */
function routerDrops(s: Snapshot, reason: string): bigint {
  let n = s.globalDrops[reason] ?? 0;
  for (const i of s.instances) n += drop(i, reason);
  return BigInt(n);
}

const operStatus = (state: InstanceStatus['state']): number =>
  // keepalived's FAULT is not in RFC 5798: the instance is out of the protocol, waiting as
  // in Initialize
  state === 'master' ? OperStatus.master : state === 'backup' ? OperStatus.backup : OperStatus.initialize;

/** The full, sorted list of object instances for the snapshot. */
export function buildView(v: ViewInput): VarBind[] {
  const out: VarBind[] = [];
  const add = (oid: Oid, value: VarBind['value']) => out.push({ oid, value });
  const seen = new Set<string>();
  for (const i of v.snapshot.instances) {
    const idx = rowIndex(i);
    // an instance whose interface is gone has no ifIndex; two rows may not share an index
    if (!idx || seen.has(idx.join('.'))) continue;
    seen.add(idx.join('.'));
    const mem = v.rows.get(i.name);
    const cfg = v.config.get(i.name);
    const op = (col: number, value: VarBind['value']) => add([...vrrpv3OperationsEntry, col, ...idx], value);
    const st = (col: number, value: VarBind['value']) => add([...vrrpv3StatisticsEntry, col, ...idx], value);
    const assoc = associatedAddresses(i);
    op(Operations.vrrpv3OperationsMasterIpAddr, { type: 'octets', value: inetAddress(i.masterAddress) });
    op(Operations.vrrpv3OperationsPrimaryIpAddr, { type: 'octets', value: inetAddress(i.primaryAddress) });
    op(Operations.vrrpv3OperationsVirtualMacAddr, { type: 'octets', value: virtualMac(i.vrid, i.family) });
    op(Operations.vrrpv3OperationsStatus, { type: 'integer', value: operStatus(i.state) });
    // the priority the instance advertises (tracking applied): the one the election uses
    op(Operations.vrrpv3OperationsPriority, { type: 'gauge32', value: i.effectivePriority });
    op(Operations.vrrpv3OperationsAddrCount, { type: 'integer', value: assoc.length });
    op(Operations.vrrpv3OperationsAdvInterval, { type: 'integer', value: i.advertIntervalCs });
    if (cfg) {
      op(Operations.vrrpv3OperationsPreemptMode, {
        type: 'integer',
        value: cfg.preempt ? TruthValue.true : TruthValue.false,
      });
      op(Operations.vrrpv3OperationsAcceptMode, {
        type: 'integer',
        value: cfg.accept ? TruthValue.true : TruthValue.false,
      });
    }
    const up = mem?.upSinceMs ?? null;
    op(Operations.vrrpv3OperationsUpTime, {
      type: 'timeticks',
      value: up === null ? 0 : Math.max(0, Math.floor((v.nowMs - up) / 10)),
    });
    op(Operations.vrrpv3OperationsRowStatus, { type: 'integer', value: RowStatusActive });
    for (const a of assoc) {
      const bytes = inetAddress(a);
      // InetAddress index: length, then the octets (not IMPLIED)
      add([...vrrpv3AssociatedIpAddrEntry, vrrpv3AssociatedIpAddrRowStatus, ...idx, bytes.length, ...bytes], {
        type: 'integer',
        value: RowStatusActive,
      });
    }
    const c = i.counters;
    const c64 = (n: number) => ({ type: 'counter64' as const, value: BigInt(n) });
    st(Statistics.vrrpv3StatisticsMasterTransitions, { type: 'counter32', value: c.becameMaster >>> 0 });
    st(Statistics.vrrpv3StatisticsNewMasterReason, {
      type: 'integer',
      value: mem?.newMasterReason ?? NewMasterReason.notMaster,
    });
    st(Statistics.vrrpv3StatisticsRcvdAdvertisements, { type: 'counter64', value: receivedAdverts(i) });
    st(Statistics.vrrpv3StatisticsAdvIntervalErrors, c64(drop(i, 'advert-interval')));
    st(Statistics.vrrpv3StatisticsIpTtlErrors, c64(drop(i, 'ttl')));
    st(Statistics.vrrpv3StatisticsProtoErrReason, {
      type: 'integer',
      value: mem?.protoErrReason ?? ProtoErrReason.noError,
    });
    st(Statistics.vrrpv3StatisticsRcvdPriZeroPackets, c64(c.priorityZeroReceived));
    st(Statistics.vrrpv3StatisticsSentPriZeroPackets, c64(c.priorityZeroSent));
    st(Statistics.vrrpv3StatisticsRcvdInvalidTypePackets, c64(drop(i, 'type')));
    st(Statistics.vrrpv3StatisticsAddressListErrors, c64(drop(i, 'address-list') + c.addressListMismatch));
    st(Statistics.vrrpv3StatisticsPacketLengthErrors, c64(drop(i, 'length')));
    st(Statistics.vrrpv3StatisticsRowDiscontinuityTime, {
      type: 'timeticks',
      value: mem?.discontinuityTicks ?? 0,
    });
    st(Statistics.vrrpv3StatisticsRefreshRate, { type: 'gauge32', value: v.refreshRateMs });
  }
  const scalar = (n: number, value: VarBind['value']) => add([...vrrpv3Statistics, n, 0], value);
  const s = v.snapshot;
  scalar(RouterStatistics.vrrpv3RouterChecksumErrors, {
    type: 'counter64',
    value: routerDrops(s, 'checksum'),
  });
  scalar(RouterStatistics.vrrpv3RouterVersionErrors, { type: 'counter64', value: routerDrops(s, 'version') });
  scalar(RouterStatistics.vrrpv3RouterVrIdErrors, { type: 'counter64', value: routerDrops(s, 'vrid') });
  scalar(RouterStatistics.vrrpv3GlobalStatisticsDiscontinuityTime, {
    type: 'timeticks',
    value: v.globalDiscontinuityTicks,
  });
  return out.sort((a, b) => compareOid(a.oid, b.oid));
}

/** RFC 6527 vrrpv3NewMaster: the master address and why it became master. */
export function newMasterNotification(i: InstanceStatus, reason: NewMasterReasonValue): VarBind[] | null {
  const idx = rowIndex(i);
  if (!idx) return null;
  return [
    { oid: snmpTrapOID0, value: { type: 'oid', value: vrrpv3NewMaster } },
    {
      oid: [...vrrpv3OperationsEntry, Operations.vrrpv3OperationsMasterIpAddr, ...idx],
      // "would set this address to vrrpv3OperationsPrimaryIpAddr while transitioning to master"
      value: { type: 'octets', value: inetAddress(i.primaryAddress) },
    },
    {
      oid: [...vrrpv3StatisticsEntry, Statistics.vrrpv3StatisticsNewMasterReason, ...idx],
      value: { type: 'integer', value: reason },
    },
  ];
}

/** RFC 6527 vrrpv3ProtoError: the reason of the protocol error. */
export function protoErrorNotification(i: InstanceStatus, reason: ProtoErrReasonValue): VarBind[] | null {
  const idx = rowIndex(i);
  if (!idx) return null;
  return [
    { oid: snmpTrapOID0, value: { type: 'oid', value: vrrpv3ProtoError } },
    {
      oid: [...vrrpv3StatisticsEntry, Statistics.vrrpv3StatisticsProtoErrReason, ...idx],
      value: { type: 'integer', value: reason },
    },
  ];
}

/** Every column and scalar served, for telling noSuchInstance from noSuchObject. */
export const SERVED_OBJECTS: readonly Oid[] = [
  ...Object.values(Operations).map((c) => under(vrrpv3OperationsEntry, c)),
  under(vrrpv3AssociatedIpAddrEntry, vrrpv3AssociatedIpAddrRowStatus),
  ...Object.values(RouterStatistics).map((n) => under(vrrpv3Statistics, n)),
  ...Object.values(Statistics).map((c) => under(vrrpv3StatisticsEntry, c)),
];
