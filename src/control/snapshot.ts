// The status snapshot: the one JSON document the daemon serves over the control socket
// (`status` method) and `vrrpd status --json` prints verbatim. It is a contract for
// scripts (CONFIG.md "What the daemon keeps stable"): fields are only ever added within
// a version; renaming or removing one, or changing its meaning, bumps SNAPSHOT_VERSION.
//
// Conventions:
// - times are ISO 8601 UTC strings (`new Date().toISOString()`); durations carry their
//   unit in the name (`uptimeS`, `latencyMs`);
// - addresses are printed as in RFC 5952 (IPv6) / dotted quad (IPv4), without prefix;
// - `null` means "not known / not applicable", never "zero";
// - names are those of the configuration file (instance, sync group, script names).

/** Bumped whenever an existing field is renamed, removed or changes meaning. */
export const SNAPSHOT_VERSION = 1 as const;

/**
 * VRRP state of an instance (RFC 5798 §6.4 Initialize/Backup/Master, plus keepalived's
 * FAULT: a tracked interface or script put the instance out of service).
 */
export type VrrpStateName = 'init' | 'backup' | 'master' | 'fault';

/**
 * Names of the drop reasons: one vocabulary shared with the codec, the engine and the
 * metrics (src/vrrp/drop-reason.ts, after the RFC 6527 / RFC 2787 statistics). Each
 * received advert that is discarded increments exactly one. The daemon may add reasons;
 * consumers must accept unknown keys.
 */
export { DROP_REASONS, type DropReason as KnownDropReason } from '../vrrp/drop-reason.js';

export interface Snapshot {
  /** SNAPSHOT_VERSION the document follows. Check it before reading anything else. */
  version: typeof SNAPSHOT_VERSION;
  /** When the daemon built this document. */
  generatedAt: string;
  daemon: DaemonInfo;
  instances: InstanceStatus[];
  syncGroups: SyncGroupStatus[];
  /**
   * Drops that belong to no instance (RFC 6527 keeps checksum, version and VRID errors
   * router-wide: before a packet is decoded it cannot be matched to an instance).
   * Keys as in DROP_REASONS.
   */
  globalDrops: Record<string, number>;
  vrrpScripts: VrrpScriptStatus[];
  /** track_files (absent in documents of versions without them). */
  trackFiles?: TrackFileStatus[];
  /** track_processes (absent in documents of versions without them). */
  trackProcesses?: TrackProcessStatus[];
  virtualServers: VirtualServerStatus[];
  /** State of the IPVS side, null when the configuration has no virtual servers. */
  ipvs: IpvsStatus | null;
  /** Announced addresses (BGP through FRR); absent or null when nothing is announced. */
  announce?: AnnounceStatus | null;
  /**
   * RFC 5798 Accept_Mode: the nftables table (`inet vrrpd`) that drops packets addressed
   * to the VIPs of masters that are not the address owner and have accept off.
   */
  acceptFilter?: AcceptFilterStatus;
}

export interface AcceptFilterStatus {
  /** 'inet vrrpd'; absent from the ruleset while `drops` is empty */
  table: string;
  /** VIPs whose packets are dropped, with the instance that asked */
  drops: { instance: string; address: string }[];
  /** why the last update of the table failed, null when it went through */
  error: string | null;
}

export interface DaemonInfo {
  pid: number;
  /** vrrpd software version (package.json). */
  softwareVersion: string;
  /** Daemon start time. */
  startedAt: string;
  /** Whole seconds since startedAt (monotonic clock, so clock steps don't skew it). */
  uptimeS: number;
  /** Absolute path of the configuration file the daemon runs from. */
  configFile: string;
  /** When the running configuration was loaded (start or last successful reload). */
  configLoadedAt: string;
  /** global.router_id. */
  routerId: string;
  /** The last reload attempt, null if there has been none since start. */
  lastReload: ReloadOutcome | null;
  /**
   * Reload attempts since start, by outcome: `ok` applied; `refused` the new file was
   * rejected and the running config stays (lastReload says why); `error` applying it
   * failed part-way (the log says why).
   */
  reloads: ReloadCounts;
}

export interface ReloadCounts {
  ok: number;
  refused: number;
  error: number;
}

export interface ReloadOutcome {
  at: string;
  ok: boolean;
  /** Refused reloads: the errors as `FILE:LINE:COL: message`; empty when ok. */
  errors: string[];
}

export interface VipStatus {
  address: string;
  prefixLength: number;
  /** Device the VIP lives on (the instance's interface unless configured `dev`). */
  device: string;
  /** Whether the address is on the device right now (rtnetlink view). */
  present: boolean;
}

export interface InstanceCounters {
  /** Adverts this instance sent (including priority-0 adverts). */
  advertsSent: number;
  /** Adverts received and accepted for this instance (after every check passed). */
  advertsReceived: number;
  /** Every state change, whatever the states (vrrpv3StatisticsMasterTransitions counts only to master). */
  transitions: number;
  /** Transitions to master (vrrpv3StatisticsMasterTransitions). */
  becameMaster: number;
  /** vrrpv3StatisticsRcvdPriZeroPackets. */
  priorityZeroReceived: number;
  /** vrrpv3StatisticsSentPriZeroPackets. */
  priorityZeroSent: number;
  /**
   * Accepted adverts whose address list differs from ours (RFC 5798 §7.1: logged and
   * counted, not dropped, so not among `drops`; vrrpv3StatisticsAddressListErrors).
   */
  addressListMismatch: number;
  /** Discarded adverts by reason (keys as in DROP_REASONS; absent key = 0). */
  drops: Record<string, number>;
}

export interface InstanceStatus {
  name: string;
  /** Interface the instance advertises on (the macvlan's parent when useVmac). */
  interface: string;
  vrid: number;
  /** VRRP protocol version, 2 (RFC 3768) or 3 (RFC 5798). */
  version: 2 | 3;
  /** Address family of the adverts (that of the first VIP). */
  family: 4 | 6;
  state: VrrpStateName;
  /** Configured priority, 1-255. */
  priority: number;
  /** Priority after tracking weights (what the adverts carry), 0-255. */
  effectivePriority: number;
  /** Advert interval this instance sends with, in centiseconds (RFC 5798 units). */
  advertIntervalCs: number;
  /** Primary address of the current master: ours when master, null when unknown. */
  masterAddress: string | null;
  /** Our own address adverts are sent from (RFC 6527 vrrpv3OperationsPrimaryIpAddr). */
  primaryAddress: string;
  /** Kernel ifindex of `interface`, null while the interface does not exist. */
  ifIndex: number | null;
  /** Priority the current master advertises, null when unknown. */
  masterPriority: number | null;
  /** When the instance entered its current state. */
  since: string;
  /**
   * Why it entered that state, a short kebab-case word: 'startup', 'master-down-timer',
   * 'higher-priority-advert', 'priority-zero-advert', 'preempt', 'interface-down',
   * 'script-failed', 'sync-group', 'shutdown', 'reload', ... (vrrpv3StatisticsNewMasterReason
   * generalised to every transition).
   */
  lastTransitionReason: string;
  /** Name of the sync group the instance belongs to, null if none. */
  syncGroup: string | null;
  vips: VipStatus[];
  /** Tracked interfaces and their effect on the instance. */
  trackedInterfaces: TrackedInterfaceStatus[];
  /** Names of tracked vrrp_scripts (their state is in Snapshot.vrrpScripts). */
  trackedScripts: string[];
  counters: InstanceCounters;
  /**
   * keepalived virtual_routes / virtual_rules: each as `ip route` / `ip rule` would show
   * it and whether the kernel has it now; absent when the instance has none.
   */
  routing?: InstanceRoutingStatus;
}

export interface InstanceRoutingStatus {
  routes: { route: string; table: number; noTrack: boolean; installed: boolean }[];
  rules: { rule: string; noTrack: boolean; installed: boolean }[];
  /** routes and rules put back after someone else deleted them */
  restored: number;
  /** adds and removals the kernel refused (the log says why) */
  errors: number;
}

export interface TrackedInterfaceStatus {
  interface: string;
  up: boolean;
  /** Priority change while down; 0 = down puts the instance in FAULT. */
  weight: number;
  /** keepalived `weight N reverse`: the weight acts the other way (absent: false). */
  reverse?: boolean;
}

export interface SyncGroupStatus {
  name: string;
  instances: string[];
  /** State the group drives its members to. */
  state: VrrpStateName;
}

export interface VrrpScriptStatus {
  name: string;
  /** 'ok' after `rise` successes, 'failing' after `fall` failures, 'unknown' before either. */
  state: 'ok' | 'failing' | 'unknown';
  /** Priority change while failing; 0 = failing puts tracking instances in FAULT. */
  weight: number;
  lastCheck: CheckResult | null;
}

/** One probe's outcome. */
export interface CheckResult {
  ok: boolean;
  /** 'ok' or why it failed, short and human: 'connection refused', 'HTTP 503', 'timeout after 1s'. */
  reason: string;
  /** How long the probe took (until the failure for failed ones). */
  latencyMs: number;
  /** When the probe finished. */
  at: string;
}

export type RealServerHealth = 'up' | 'down' | 'unknown';

export interface RealServerStatus {
  address: string;
  port: number;
  /** Weight the configuration asks for. */
  weight: number;
  /** Weight in the kernel table right now (0 when inhibited), null when not in IPVS. */
  ipvsWeight: number | null;
  forwarding: 'nat' | 'dr' | 'tun';
  /** After rise/fall hysteresis; 'unknown' until the first result (see ARCHITECTURE rule 5). */
  health: RealServerHealth;
  /** When `health` last changed (or startup). */
  healthSince: string;
  /** Whether this destination is in the kernel's IPVS table. */
  inIpvs: boolean;
  /** Check type, null for a real server without a check (counts as up). */
  checkType: 'tcp' | 'http' | 'https' | 'script' | 'udp' | 'dns' | 'smtp' | 'ping' | 'file' | null;
  lastCheck: CheckResult | null;
  /** Results since startup or the last reload that changed this real server. */
  checksOk: number;
  checksFailed: number;
  /**
   * Attempts that never reached the server because the checker was saturated (an HTTP
   * check that waited longer than its timeout for a check thread); absent when none.
   */
  checksNotRun?: number;
}

export interface VirtualServerStatus {
  /**
   * Stable identity used in logs and metrics: `tcp/192.0.2.50:80`,
   * `udp/[2001:db8::50]:53`, `fwmark/10` (with `/6` appended for an IPv6 fwmark service).
   */
  key: string;
  /** null for fwmark services. */
  address: string | null;
  /** null for fwmark services. */
  port: number | null;
  /** null for address/port services. */
  fwmark: number | null;
  protocol: 'tcp' | 'udp' | 'sctp';
  family: 4 | 6;
  scheduler: string;
  forwarding: 'nat' | 'dr' | 'tun';
  persistenceTimeoutS: number;
  /** Minimum number of healthy real servers (configured `quorum`). */
  quorum: number;
  /** Whether the healthy count is at or above quorum (with hysteresis applied). */
  quorumUp: boolean;
  sorryServer: { address: string; port: number } | null;
  /** Whether the sorry server is what IPVS serves right now. */
  sorryActive: boolean;
  /** Whether the service exists in the kernel's IPVS table. */
  inIpvs: boolean;
  /**
   * Present (true) while ha_suspend suspends its checks: the virtual address is not local;
   * the real servers keep the health they last had.
   */
  checksSuspended?: true;
  realServers: RealServerStatus[];
}

export interface IpvsStatus {
  /** Whether the kernel offers IPVS (generic netlink family "IPVS" resolved). */
  available: boolean;
  /** Last completed reconciliation against a kernel dump, null before the first. */
  lastReconcileAt: string | null;
  /** Operations the last reconciliation applied (0 = kernel already matched). */
  lastReconcileOps: number;
  /** Last reconciliation error message, null when the last one succeeded. */
  lastError: string | null;
}

/** Runtime shape check used by the CLI before rendering (a newer daemon, a foreign socket). */
export function isSnapshot(v: unknown): v is Snapshot {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    o.version === SNAPSHOT_VERSION &&
    typeof o.daemon === 'object' &&
    o.daemon !== null &&
    Array.isArray(o.instances) &&
    Array.isArray(o.virtualServers)
  );
}

/** `address:port`, with IPv6 in brackets (RFC 5952 §6): real server names in logs and metrics. */
export function endpointKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** VirtualServerStatus.key: `tcp/192.0.2.50:80`, `udp/[2001:db8::50]:53`, `fwmark/10`, `fwmark/10/6`. */
export function virtualServerKey(vs: {
  protocol: string;
  address?: string | null;
  port?: number | null;
  fwmark?: number | null;
  family?: 4 | 6;
}): string {
  if (vs.fwmark !== undefined && vs.fwmark !== null)
    return `fwmark/${vs.fwmark}${vs.family === 6 ? '/6' : ''}`;
  return `${vs.protocol}/${endpointKey(vs.address ?? '', vs.port ?? 0)}`;
}

/** One announced (or withheld) address of `announce` (BGP through FRR). */
export interface AnnouncedAddressStatus {
  address: string;
  /** the host route is in vrrpd's table now (FRR announces it) */
  announced: boolean;
  /** when it last changed between announced and withdrawn; null: never announced */
  since: string | null;
  /** why, in words */
  reason: string;
  /** the virtual servers that announce it and what each says */
  services: { virtualServer: string; healthy: boolean; reason: string }[];
  /** the last route change that failed, or null */
  error: string | null;
}

export interface AnnounceStatus {
  table: number;
  protocol: number;
  interface: string;
  addresses: AnnouncedAddressStatus[];
  /** routes withdrawn since start */
  withdrawals: number;
}

/** A track_file (keepalived vrrp_track_file) and the number it holds. */
export interface TrackFileStatus {
  name: string;
  file: string;
  /** The number last read (a missing file reads 0); null before the first read. */
  value: number | null;
  /** The priority moves by value × weight; 0: a non-zero value puts tracking instances in FAULT. */
  weight: number;
}

/** A track_process (keepalived vrrp_track_process) and its quorum. */
export interface TrackProcessStatus {
  name: string;
  /** Matching processes now. */
  processes: number;
  /** The quorum as the instances see it; null before the first count. */
  quorum: boolean | null;
  /** A fork_delay or terminate_delay is running towards the other state. */
  pending: boolean;
  weight: number;
}
