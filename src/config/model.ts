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
  /** record of the IPVS services vrrpd owns (src/lvs/ownership.ts), absolute */
  readonly stateFile: string;
  readonly logLevel: LogLevel;
  readonly notifyTimeoutMs: number;
  readonly scriptTimeoutMs: number;
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
}

export interface VirtualIp {
  readonly address: string;
  readonly prefixLength: number;
  readonly family: IpFamily;
  /** absent: the instance interface */
  readonly dev?: string;
  readonly label?: string;
  /** false for VIPs of the other family than the instance (keepalived virtual_ipaddress_excluded) */
  readonly inAdverts: boolean;
}

export interface TrackInterface {
  readonly interface: string;
  /** 0: down → FAULT; else added to the priority while down */
  readonly weight: number;
}

export interface TrackScript {
  readonly name: string;
  /** overrides the script's own weight for this instance */
  readonly weight?: number;
}

export interface Garp {
  readonly repeat: number;
  readonly intervalMs: number;
  /** second batch after becoming master; 0 = none */
  readonly delayMs: number;
  /** periodic refresh while master; 0 = off */
  readonly refreshMs: number;
  readonly refreshRepeat: number;
}

export interface Notify {
  readonly master?: Argv;
  readonly backup?: Argv;
  readonly fault?: Argv;
  readonly stop?: Argv;
  /** every transition, with TYPE NAME STATE PRIORITY appended (keepalived `notify`) */
  readonly any?: Argv;
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
  readonly garp: Garp;
  readonly notify: Notify;
  /** RFC 5798 §5.2.8; false only for peers that leave the IPv4 pseudo-header out */
  readonly v3ChecksumIpv4PseudoHeader: boolean;
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
  | 'mh';
export type TunType = 'ipip' | 'gue' | 'gre';

export interface Tunnel {
  readonly type: TunType;
  /** GUE only */
  readonly port?: number;
}

export interface CheckTiming {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly rise: number;
  readonly fall: number;
  /** extra attempts, retryDelayMs apart, before a probe counts as failed */
  readonly retry: number;
  readonly retryDelayMs: number;
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
  /** absent: always up */
  readonly check?: Check;
}

export interface SorryServer {
  readonly address: string;
  readonly port: number;
  readonly forwarding: Forwarding;
  readonly inhibit: boolean;
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
  readonly sorryServer?: SorryServer;
  /** true: real servers start failed until their first successful check */
  readonly alpha: boolean;
  readonly realServers: readonly RealServer[];
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
}

/** Object.freeze, all the way down. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
