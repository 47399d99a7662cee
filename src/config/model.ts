// The frozen, typed configuration model the daemon, the VRRP engine and the IPVS
// reconciler consume. Built by build-*.ts from validated YAML: camelCase fields,
// durations in milliseconds (IPVS values the kernel keeps in seconds end in `S`),
// addresses in canonical text (RFC 5952 for IPv6). Everything is deep-frozen.
import type { IpFamily } from '../net/addr.js';

export type { IpFamily };
export type Argv = readonly string[];
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface GlobalConfig {
  readonly routerId: string;
  readonly controlSocket: string;
  readonly controlGroup?: string;
  readonly metricsListen?: { readonly address: string; readonly port: number };
  /** AgentX subagent of snmpd serving the VRRPv3-MIB (src/snmp/); absent = off */
  readonly snmp?: SnmpConfig;
  readonly scriptUser?: string;
  /** the scripts' group (keepalived script_user USER GROUP); absent: script_user's primary group */
  readonly scriptGroup?: string;
  /** record of the IPVS services vrrpd owns (src/lvs/ownership.ts), absolute */
  readonly stateFile: string;
  readonly logLevel: LogLevel;
  readonly notifyTimeoutMs: number;
  readonly scriptTimeoutMs: number;
  /** routes of announced virtual servers (BGP through FRR); null: none announce */
  readonly announce: AnnounceSettings | null;
  /** keepalived vrrp_startup_delay: instances stay in INIT this long after start; 0 = none */
  readonly vrrpStartupDelayMs: number;
  /** keepalived startup_script: run before the instances and the IPVS side start */
  readonly startupScript?: StartStopScript;
  /** keepalived shutdown_script: run last at a graceful stop */
  readonly shutdownScript?: StartStopScript;
  /** keepalived dynamic_interfaces: instances wait for (and re-attach to) their interface by name */
  readonly dynamicInterfaces: boolean;
}

export interface StartStopScript {
  readonly command: Argv;
  readonly user?: string;
  readonly group?: string;
  readonly timeoutMs: number;
}

/** Where snmpd's AgentX master listens (its agentXSocket), parsed. */
export type AgentxAddress =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

export interface SnmpConfig {
  readonly agentx: AgentxAddress;
  /** vrrpv3NewMaster / vrrpv3ProtoError notifications, which snmpd sends to its trap sinks */
  readonly traps: boolean;
}

export interface VrrpScript {
  readonly name: string;
  readonly command: Argv;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** 0: failing puts tracking instances in FAULT; else added to priority while failing (<0) / OK (>0) */
  readonly weight: number;
  readonly rise: number;
  readonly fall: number;
  readonly user?: string;
  /** absent: the primary group of the user */
  readonly group?: string;
  /** keepalived `weight N reverse`: the weight acts the other way (see TrackInterface) */
  readonly reverse: boolean;
}

export interface VirtualIp {
  readonly address: string;
  readonly prefixLength: number;
  readonly family: IpFamily;
  /** absent: the instance interface */
  readonly dev?: string;
  readonly label?: string;
  /** IPv4 broadcast address (IFA_BROADCAST), or '+' / '-': all host bits set / cleared */
  readonly brd?: string;
  /** RT_SCOPE_* by name; absent: global */
  readonly scope?: 'global' | 'site' | 'link' | 'host' | 'nowhere';
  /** true: its device going down does not fault the instance (keepalived no_track) */
  readonly noTrack: boolean;
  /**
   * false for VIPs of the other family than the instance and for virtual_ips_excluded
   * (keepalived virtual_ipaddress_excluded): added and removed, never advertised
   */
  readonly inAdverts: boolean;
}

export interface TrackInterface {
  readonly interface: string;
  /** 0: down → FAULT; else added to the priority while down */
  readonly weight: number;
  /**
   * keepalived `weight N reverse`: a positive weight is subtracted while up, a negative
   * one subtracted (so added) while down; weight 0: up → FAULT
   */
  readonly reverse: boolean;
}

export interface TrackScript {
  readonly name: string;
  /** overrides the script's own weight for this instance */
  readonly weight?: number;
  /** overrides the script's own reverse for this instance */
  readonly reverse?: boolean;
}

/** A file holding a number (keepalived vrrp_track_file), read when it changes. */
export interface TrackFile {
  readonly name: string;
  readonly path: string;
  /** the priority moves by number × weight; 0: a non-zero number → FAULT */
  readonly weight: number;
  readonly reverse: boolean;
  /** create the file at start (never on reload) when missing, or always with overwrite */
  readonly init?: { readonly value: number; readonly overwrite: boolean };
}

/** Processes counted against a quorum (keepalived vrrp_track_process). */
export interface TrackProcess {
  readonly name: string;
  /** comm name, or argv[0] when fullCommand */
  readonly process: string;
  /** none: argv[0] (or comm) only */
  readonly paramMatch: 'none' | 'exact' | 'initial' | 'partial';
  readonly args: readonly string[];
  readonly fullCommand: boolean;
  readonly quorum: number;
  /** Infinity: no limit */
  readonly quorumMax: number;
  /** 0: without quorum → FAULT; else added while with (>0) / without (<0) quorum */
  readonly weight: number;
  readonly reverse: boolean;
  readonly forkDelayMs: number;
  readonly terminateDelayMs: number;
}

/** An instance's reference to a tracked file or process, with its own weight. */
export interface TrackerRef {
  readonly name: string;
  readonly weight?: number;
  readonly reverse?: boolean;
}

export interface Garp {
  readonly repeat: number;
  readonly intervalMs: number;
  /** second batch after becoming master; 0 = none */
  readonly delayMs: number;
  /** periodic refresh while master; 0 = off */
  readonly refreshMs: number;
  readonly refreshRepeat: number;
  /** while master, per VIP on hearing a lower-priority advert (keepalived garp_lower_prio_repeat); 0 = none */
  readonly lowerPrioRepeat: number;
  /** a second lower-priority batch this long after; 0 = none (keepalived garp_lower_prio_delay) */
  readonly lowerPrioDelayMs: number;
  /**
   * keepalived garp_extra_if all: while master, one announcement every this long on each
   * other interface the VIPs are on (the first garp delay + this after becoming master); 0 = off
   */
  readonly extraIfMs: number;
}

export interface Notify {
  readonly master?: Argv;
  readonly backup?: Argv;
  readonly fault?: Argv;
  readonly stop?: Argv;
  /** every transition, with TYPE NAME STATE PRIORITY appended (keepalived `notify`) */
  readonly any?: Argv;
  /** the hooks' user and group (keepalived notify_* SCRIPT USER [GROUP]); absent: global.script_user */
  readonly user?: string;
  readonly group?: string;
}

export interface VrrpInstance {
  readonly name: string;
  readonly interface: string;
  readonly vrid: number;
  readonly version: 2 | 3;
  /** family of the first VIP; adverts carry only VIPs of this family */
  readonly family: IpFamily;
  readonly priority: number;
  readonly advertIntervalMs: number;
  readonly preempt: boolean;
  readonly preemptDelayMs: number;
  readonly accept: boolean;
  readonly useVmac: boolean;
  readonly authPass?: string;
  readonly unicastSrc?: string;
  /** empty: multicast */
  readonly unicastPeers: readonly string[];
  readonly virtualIps: readonly VirtualIp[];
  readonly trackInterfaces: readonly TrackInterface[];
  readonly trackScripts: readonly TrackScript[];
  /** track_files (absent: none) */
  readonly trackFiles?: readonly TrackerRef[];
  /** track_processes (absent: none) */
  readonly trackProcesses?: readonly TrackerRef[];
  readonly garp: Garp;
  readonly notify: Notify;
  /** source of the multicast adverts (keepalived mcast_src_ip); absent: the interface's */
  readonly mcastSrc?: string;
  /** the instance interface going down does not fault it (keepalived dont_track_primary) */
  readonly dontTrackPrimary: boolean;
  /** RFC 5798 §5.2.8; false only for peers that leave the IPv4 pseudo-header out */
  readonly v3ChecksumIpv4PseudoHeader: boolean;
  /** TTL/hop limit of unicast adverts (255 unless routed) */
  readonly unicastTtl: number;
  /** routed unicast peers: the TTL window accepted from each (others must send 255) */
  readonly unicastTtlWindows: readonly UnicastTtlWindow[];
  /** unicast_src without peers: FAULT instead of multicast */
  readonly unicastFaultNoPeer: boolean;
  /** HMAC-authenticated adverts (keepalived 2.4 auth_hmac); absent = off */
  readonly authHmac?: AuthHmac;
  /** multicast or unicast: only these sources are heard; absent = any (unicast: the peers) */
  readonly allowedPeers?: readonly string[];
  /** per source, at most `max` state-changing adverts within `perMs` */
  readonly advertRateLimit?: { readonly max: number; readonly perMs: number };
  /** keepalived higher_prio_send_advert: an advert of ours before a master steps down */
  readonly higherPrioSendAdvert: boolean;
  /** keepalived lower_prio_no_advert: a master does not answer a lower advert at once */
  readonly lowerPrioNoAdvert: boolean;
  /** keepalived down_timer_adverts: advert intervals in Master_Down_Interval (3 = the RFCs) */
  readonly downTimerAdverts: number;
  /** routes added while MASTER (keepalived virtual_routes) */
  readonly virtualRoutes: readonly VirtualRoute[];
  /** policy-routing rules added while MASTER (keepalived virtual_rules) */
  readonly virtualRules: readonly VirtualRule[];
}

export type RouteScope = 'global' | 'site' | 'link' | 'host' | 'nowhere';

/** A route of an instance (src/vrrp/virtual-routes.ts installs it through rtnetlink). */
export interface VirtualRoute {
  readonly family: IpFamily;
  /** network address of the destination prefix, canonical */
  readonly to: string;
  readonly prefixLength: number;
  readonly type: 'unicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw';
  readonly table: number;
  readonly protocol: number;
  readonly scope: RouteScope;
  readonly metric?: number;
  readonly via?: string;
  readonly dev?: string;
  readonly src?: string;
  readonly onlink: boolean;
  /** not put back when deleted by someone else while MASTER */
  readonly noTrack: boolean;
  /** as `ip route` would show it, for status and logs */
  readonly text: string;
}

/** A policy-routing rule of an instance. */
export interface VirtualRule {
  readonly family: IpFamily;
  readonly priority: number;
  readonly action: 'table' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';
  readonly table?: number;
  readonly goto?: number;
  readonly from?: { readonly address: string; readonly prefixLength: number };
  readonly to?: { readonly address: string; readonly prefixLength: number };
  readonly iif?: string;
  readonly oif?: string;
  readonly fwmark?: number;
  readonly fwmask?: number;
  readonly tos?: number;
  readonly invert: boolean;
  readonly suppressPrefixLength?: number;
  readonly protocol: number;
  readonly noTrack: boolean;
  /** as `ip rule` would show it, for status and logs */
  readonly text: string;
}

export interface UnicastTtlWindow {
  readonly address: string;
  readonly minTtl: number;
  readonly maxTtl: number;
}

export type AuthHmacMode = 'enforce' | 'permissive' | 'receive-only';

export interface AuthHmacKey {
  readonly id: number;
  /** the key bytes as hex (read from the file or credential at load time) */
  readonly hex: string;
  /** where it came from, for messages: 'inline', 'file PATH', 'credential NAME' */
  readonly source: string;
}

export interface AuthHmac {
  readonly keys: readonly AuthHmacKey[];
  readonly activeKey: number;
  readonly mode: AuthHmacMode;
  /** true: time-based sequence checked against timeWindowSec; false: monotonic */
  readonly antiReplayTime: boolean;
  readonly timeWindowSec: number;
}

export interface VrrpSyncGroup {
  readonly name: string;
  readonly instances: readonly string[];
  readonly notify: Notify;
}

export interface LvsSyncDaemon {
  readonly interface: string;
  readonly instance: string;
  readonly syncId: number;
}

/** IPVS connection timeouts; absent ones are left alone */
export interface LvsTimeouts {
  readonly tcpS?: number;
  readonly tcpFinS?: number;
  readonly udpS?: number;
}

export type Protocol = 'tcp' | 'udp' | 'sctp';
export type Forwarding = 'nat' | 'dr' | 'tun';
export type Scheduler =
  | 'rr'
  | 'wrr'
  | 'lc'
  | 'wlc'
  | 'sh'
  | 'dh'
  | 'lblc'
  | 'lblcr'
  | 'sed'
  | 'nq'
  | 'fo'
  | 'ovf'
  | 'mh'
  | 'twos';
export type TunType = 'ipip' | 'gue' | 'gre';

export interface Tunnel {
  readonly type: TunType;
  /** GUE only */
  readonly port?: number;
  /** IPVS tun_flags: csum (gue, gre) or remcsum (gue); absent: none */
  readonly checksum?: 'csum' | 'remcsum';
}

export interface CheckTiming {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly rise: number;
  readonly fall: number;
  /** extra attempts, retryDelayMs apart, before a probe counts as failed */
  readonly retry: number;
  readonly retryDelayMs: number;
  /** starts failed until its first success (resolved: check, real server, virtual server); absent: the virtual server's alpha */
  readonly alpha?: boolean;
}

interface NetCheckBase extends CheckTiming {
  /** resolved: the check's port, else the real server's */
  readonly port: number;
  readonly connectTimeoutMs: number;
  readonly bindAddress?: string;
}

export interface TcpCheck extends NetCheckBase {
  readonly type: 'tcp';
  readonly send?: string;
  readonly expect?: string;
}

export interface HttpCheck extends NetCheckBase {
  readonly type: 'http' | 'https';
  readonly path: string;
  readonly status: readonly number[];
  readonly expectBody?: string;
  readonly digest?: { readonly algorithm: 'md5' | 'sha256'; readonly hex: string };
  /** Host header and SNI; absent: the address */
  readonly host?: string;
  /** https only; false for http */
  readonly tlsVerify: boolean;
}

export interface ScriptCheck extends CheckTiming {
  readonly type: 'script';
  readonly command: Argv;
  /** keepalived MISC_CHECK user USER [GROUP]; absent: global.script_user */
  readonly user?: string;
  /** absent: the primary group of user */
  readonly group?: string;
}

export interface UdpCheck extends NetCheckBase {
  readonly type: 'udp';
  /** lowercase hex, two digits a byte; absent: random bytes each run */
  readonly payloadHex?: string;
  readonly requireReply: boolean;
  /** lowercase hex with 'x' for a nibble that may be anything */
  readonly replyHex?: string;
  readonly minReplyLength: number;
  readonly maxReplyLength: number;
}

export interface DnsCheck extends NetCheckBase {
  readonly type: 'dns';
  readonly queryType: 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA';
  /** '' for the root */
  readonly queryName: string;
}

export interface SmtpCheck extends NetCheckBase {
  readonly type: 'smtp';
  readonly heloName: string;
}

export interface PingCheck extends CheckTiming {
  readonly type: 'ping';
  readonly connectTimeoutMs: number;
  readonly bindAddress?: string;
}

export interface FileCheck extends CheckTiming {
  readonly type: 'file';
  readonly file: string;
  readonly reverse: boolean;
}

export type Check =
  | TcpCheck
  | HttpCheck
  | ScriptCheck
  | UdpCheck
  | DnsCheck
  | SmtpCheck
  | PingCheck
  | FileCheck;

export interface RealServer {
  /** '198.51.100.2:80', '[2001:db8::2]:80'; unique within its virtual server */
  readonly key: string;
  readonly address: string;
  readonly family: IpFamily;
  /** 0 for fwmark services without a port */
  readonly port: number;
  readonly weight: number;
  readonly forwarding: Forwarding;
  readonly tunnel?: Tunnel;
  readonly inhibitOnFailure: boolean;
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
  readonly notifyUp?: Argv;
  readonly notifyDown?: Argv;
  /** notifyUp/notifyDown's user and group (keepalived notify_up SCRIPT USER [GROUP]); absent: global.script_user */
  readonly notifyUser?: string;
  readonly notifyGroup?: string;
  /** absent: always up; with several checks, the first of `checks` */
  readonly check?: Check;
  /** every check (all must pass; each http url is a check of its own); absent: [check] or none */
  readonly checks?: readonly Check[];
}

export interface SorryServer {
  readonly address: string;
  readonly port: number;
  readonly forwarding: Forwarding;
  readonly inhibit: boolean;
}

export interface AnnounceSettings {
  /** the kernel routing table vrrpd owns */
  readonly table: number;
  /** rtm_protocol of vrrpd's routes there */
  readonly protocol: number;
  /** the interface the host routes point at */
  readonly interface: string;
  /** graceful stop: wait after withdrawing */
  readonly drainMs: number;
}

/** A virtual server's announcement: its address is routed while `when` holds. */
export interface Announcement {
  readonly address: string;
  readonly family: IpFamily;
  readonly when: 'quorum' | 'any-up';
}

export interface VirtualServerFlags {
  readonly ops: boolean;
  readonly shFallback: boolean;
  readonly shPort: boolean;
  readonly mhFallback: boolean;
  readonly mhPort: boolean;
}

export interface VirtualServer {
  /** stable identity: 'tcp:192.0.2.50:80', 'udp:[2001:db8::50]:53', 'fwmark:10:4' (mark:family) */
  readonly key: string;
  readonly address?: string;
  readonly port?: number;
  readonly fwmark?: number;
  readonly protocol: Protocol;
  readonly family: IpFamily;
  readonly scheduler: Scheduler;
  readonly forwarding: Forwarding;
  /** 0 = not persistent */
  readonly persistenceTimeoutS: number;
  /** persistence granularity as a prefix length (IPVS takes a netmask for IPv4, a length for IPv6) */
  readonly persistencePrefixLength: number;
  readonly flags: VirtualServerFlags;
  readonly quorum: number;
  readonly hysteresis: number;
  readonly quorumUp?: Argv;
  readonly quorumDown?: Argv;
  /** quorumUp/quorumDown's user and group (keepalived quorum_up SCRIPT USER [GROUP]); absent: global.script_user */
  readonly quorumUser?: string;
  readonly quorumGroup?: string;
  readonly sorryServer?: SorryServer;
  /** true: real servers start failed until their first successful check */
  readonly alpha: boolean;
  /**
   * keepalived ha_suspend: the checks are suspended while `address` is not a local address
   * (the real servers keep their last health); only services with an address
   */
  readonly haSuspend?: boolean;
  /** at shutdown run notify_down of up real servers and quorum_down (keepalived omega) */
  readonly omega?: boolean;
  /**
   * Set on the services a virtual_server_groups entry expands to: 'NAME/PROTOCOL', shared by
   * every service of that group, so each real server is checked once for all of them. Only
   * the first service of a group carries quorumUp/quorumDown (one pool, one quorum).
   */
  readonly group?: string;
  readonly realServers: readonly RealServer[];
  /** announced over BGP (through FRR) while healthy; absent: not announced */
  readonly announce?: Announcement;
}

/** keepalived's notify FIFOs: each gets its lines in event order, keepalived's format */
export interface NotifyFifos {
  /** VRRP and LVS lines (keepalived notify_fifo) */
  readonly all?: string;
  /** INSTANCE/GROUP lines (keepalived vrrp_notify_fifo) */
  readonly vrrp?: string;
  /** RS/VS lines (keepalived lvs_notify_fifo) */
  readonly lvs?: string;
}

export interface SmtpAlerts {
  readonly host: string;
  readonly port: number;
  readonly from: string;
  readonly to: readonly string[];
  readonly heloName: string;
  readonly connectTimeoutMs: number;
  /** names of the instances with smtp_alert on */
  readonly instances: readonly string[];
  /** names of the sync groups with smtp_alert on */
  readonly groups: readonly string[];
  /** keys of the virtual servers with smtp_alert on (quorum changes) */
  readonly virtualServers: readonly string[];
  /** "VSKEY RSKEY" of the real servers with smtp_alert on */
  readonly realServers: readonly string[];
}

/** Where events go besides logs and notify scripts (build-alerts.ts). */
export interface AlertsConfig {
  readonly fifos: NotifyFifos;
  readonly smtp?: SmtpAlerts;
}

export interface Config {
  /** the file it was read from (for reload and messages) */
  readonly file: string;
  readonly global: GlobalConfig;
  readonly vrrpScripts: Readonly<Record<string, VrrpScript>>;
  readonly vrrpInstances: readonly VrrpInstance[];
  readonly vrrpSyncGroups: readonly VrrpSyncGroup[];
  readonly lvsSyncDaemon?: LvsSyncDaemon;
  readonly lvsTimeouts: LvsTimeouts;
  readonly virtualServers: readonly VirtualServer[];
  /** notify FIFOs and e-mail alerts; absent: none of either */
  readonly alerts?: AlertsConfig;
  /** track_files by name (absent: none) */
  readonly trackFiles?: Readonly<Record<string, TrackFile>>;
  /** track_processes by name (absent: none) */
  readonly trackProcesses?: Readonly<Record<string, TrackProcess>>;
  /** global.process_events_netns: where the process connector answers (absent: /proc/1/ns/net) */
  readonly processEventsNetns?: string;
}

/** Object.freeze, all the way down. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Who a script runs as: its own user (and group, else that user's primary group), else
 * global.script_user and global.script_group, as keepalived resolves `SCRIPT USER [GROUP]`
 * against `script_user USER [GROUP]`.
 */
export function scriptIdentityOf(
  own: { readonly user?: string; readonly group?: string },
  g: GlobalConfig,
): { user?: string; group?: string } {
  const user = own.user ?? g.scriptUser;
  const group = own.user !== undefined ? own.group : (own.group ?? g.scriptGroup);
  return { ...(user !== undefined ? { user } : {}), ...(group !== undefined ? { group } : {}) };
}
