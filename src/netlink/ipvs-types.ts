// The IPVS kernel objects as data (linux/ip_vs.h): virtual services, their destinations
// (real servers), their counters, and the commands that change them. The netlink codec
// encodes and decodes them; src/lvs/ models the desired and the dumped table with them.
// Field meanings follow linux/ip_vs.h; units are in the names.

export type IpvsFamily = 4 | 6;
export type IpvsProtocol = 'tcp' | 'udp' | 'sctp';
/** IP_VS_CONN_F_MASQ (nat) 0, LOCALNODE (local) 1, TUNNEL (tun) 2, DROUTE (dr) 3 */
export type IpvsForwarding = 'nat' | 'local' | 'tun' | 'dr';
/** IP_VS_CONN_F_TUNNEL_TYPE_*: IPIP 0, GUE 1, GRE 2 */
export type IpvsTunnelType = 'ipip' | 'gue' | 'gre';

/** Virtual service flags (IP_VS_SVC_F_*); HASHED is kernel-internal and never modelled. */
export interface IpvsServiceFlags {
  /** IP_VS_SVC_F_PERSISTENT: clients stick to one real server for timeoutS */
  persistent: boolean;
  /** IP_VS_SVC_F_ONEPACKET: schedule each UDP datagram on its own (ops) */
  onePacket: boolean;
  /** IP_VS_SVC_F_SCHED1 = sh-fallback: the sh scheduler skips unavailable servers */
  shFallback: boolean;
  /** IP_VS_SVC_F_SCHED2 = sh-port: the sh scheduler hashes the source port too */
  shPort: boolean;
  /** IP_VS_SVC_F_SCHED3: scheduler-specific, unused by the stock schedulers */
  sched3: boolean;
}

export interface IpvsService {
  family: IpvsFamily;
  /** null for a firewall-mark service */
  protocol: IpvsProtocol | null;
  /** virtual address (canonical text); absent for fwmark services */
  address?: string;
  port?: number;
  fwmark?: number;
  /** scheduler module name without the ip_vs_ prefix: rr, wrr, wlc, sh, mh, ... */
  scheduler: string;
  flags: IpvsServiceFlags;
  /** persistence timeout, seconds */
  timeoutS: number;
  /** persistence granularity as a prefix length (IPv4 0..32, IPv6 1..128) */
  netmask: number;
  /** persistence engine, e.g. "sip" */
  peName?: string;
}

export interface IpvsDest {
  /** address family of the real server (may differ from the service's with tun) */
  family: IpvsFamily;
  address: string;
  port: number;
  forwarding: IpvsForwarding;
  weight: number;
  /** 0 = no limit */
  upperThreshold: number;
  lowerThreshold: number;
  /** only meaningful with forwarding 'tun' */
  tunType?: IpvsTunnelType;
  /** GUE destination port */
  tunPort?: number;
  /** IP_VS_TUNNEL_ENCAP_FLAG_*: csum 1, remcsum 2 */
  tunFlags?: number;
}

export interface IpvsStats {
  conns: bigint;
  inPkts: bigint;
  outPkts: bigint;
  inBytes: bigint;
  outBytes: bigint;
  cps: bigint;
  inPps: bigint;
  outPps: bigint;
  inBps: bigint;
  outBps: bigint;
}

/** What a dump adds to a destination beyond its configuration. */
export interface IpvsDestCounters {
  activeConns: number;
  inactiveConns: number;
  persistentConns: number;
  stats?: IpvsStats;
}

/** One change to the kernel's table: what the reconciler emits and the client sends. */
export type IpvsOp =
  | { op: 'add-service'; service: IpvsService }
  | { op: 'edit-service'; service: IpvsService; was: IpvsService }
  | { op: 'delete-service'; service: IpvsService }
  | { op: 'add-dest'; service: IpvsService; dest: IpvsDest }
  | { op: 'edit-dest'; service: IpvsService; dest: IpvsDest; was: IpvsDest }
  | { op: 'delete-dest'; service: IpvsService; dest: IpvsDest };
