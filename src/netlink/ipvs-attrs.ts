// IPVS generic netlink family (linux/ip_vs.h, family "IPVS" version 1): commands and
// attribute schemas with the kernel's names. Pure declarations; ipvs.ts encodes and
// decodes with them.

export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

/** IPVS_CMD_* */
export const IPVS_CMD = {
  NEW_SERVICE: 1,
  SET_SERVICE: 2,
  DEL_SERVICE: 3,
  GET_SERVICE: 4,
  NEW_DEST: 5,
  SET_DEST: 6,
  DEL_DEST: 7,
  GET_DEST: 8,
  NEW_DAEMON: 9,
  DEL_DAEMON: 10,
  GET_DAEMON: 11,
  SET_CONFIG: 12,
  GET_CONFIG: 13,
  SET_INFO: 14,
  GET_INFO: 15,
  ZERO: 16,
  FLUSH: 17,
} as const;

/** IPVS_STATS_ATTR_* inside IPVS_SVC_ATTR_STATS / IPVS_DEST_ATTR_STATS (32-bit counters, bytes 64-bit) */
export const IPVS_STATS = {
  IPVS_STATS_ATTR_CONNS: { type: 1, kind: 'u32' },
  IPVS_STATS_ATTR_INPKTS: { type: 2, kind: 'u32' },
  IPVS_STATS_ATTR_OUTPKTS: { type: 3, kind: 'u32' },
  IPVS_STATS_ATTR_INBYTES: { type: 4, kind: 'u64' },
  IPVS_STATS_ATTR_OUTBYTES: { type: 5, kind: 'u64' },
  IPVS_STATS_ATTR_CPS: { type: 6, kind: 'u32' },
  IPVS_STATS_ATTR_INPPS: { type: 7, kind: 'u32' },
  IPVS_STATS_ATTR_OUTPPS: { type: 8, kind: 'u32' },
  IPVS_STATS_ATTR_INBPS: { type: 9, kind: 'u32' },
  IPVS_STATS_ATTR_OUTBPS: { type: 10, kind: 'u32' },
} as const;

/** The same attribute numbers inside *_ATTR_STATS64: every counter 64-bit. */
export const IPVS_STATS64 = {
  IPVS_STATS_ATTR_CONNS: { type: 1, kind: 'u64' },
  IPVS_STATS_ATTR_INPKTS: { type: 2, kind: 'u64' },
  IPVS_STATS_ATTR_OUTPKTS: { type: 3, kind: 'u64' },
  IPVS_STATS_ATTR_INBYTES: { type: 4, kind: 'u64' },
  IPVS_STATS_ATTR_OUTBYTES: { type: 5, kind: 'u64' },
  IPVS_STATS_ATTR_CPS: { type: 6, kind: 'u64' },
  IPVS_STATS_ATTR_INPPS: { type: 7, kind: 'u64' },
  IPVS_STATS_ATTR_OUTPPS: { type: 8, kind: 'u64' },
  IPVS_STATS_ATTR_INBPS: { type: 9, kind: 'u64' },
  IPVS_STATS_ATTR_OUTBPS: { type: 10, kind: 'u64' },
} as const;

/**
 * IPVS_SVC_ATTR_*. ADDR is a 16-byte union nf_inet_addr (IPv4 in the first 4 bytes), so
 * it is binary here and placed by family. FLAGS is struct ip_vs_flags {flags, mask}
 * (host order). NETMASK is a be32 mask for IPv4 but a host-order prefix length for IPv6.
 */
export const IPVS_SVC = {
  IPVS_SVC_ATTR_AF: { type: 1, kind: 'u16' },
  IPVS_SVC_ATTR_PROTOCOL: { type: 2, kind: 'u16' },
  IPVS_SVC_ATTR_ADDR: { type: 3, kind: 'binary' },
  IPVS_SVC_ATTR_PORT: { type: 4, kind: 'be16' },
  IPVS_SVC_ATTR_FWMARK: { type: 5, kind: 'u32' },
  IPVS_SVC_ATTR_SCHED_NAME: { type: 6, kind: 'string' },
  IPVS_SVC_ATTR_FLAGS: { type: 7, kind: 'binary' },
  IPVS_SVC_ATTR_TIMEOUT: { type: 8, kind: 'u32' },
  IPVS_SVC_ATTR_NETMASK: { type: 9, kind: 'binary' },
  IPVS_SVC_ATTR_STATS: { type: 10, kind: 'nested', schema: IPVS_STATS },
  IPVS_SVC_ATTR_PE_NAME: { type: 11, kind: 'string' },
  IPVS_SVC_ATTR_STATS64: { type: 12, kind: 'nested', schema: IPVS_STATS64 },
} as const;

/** IPVS_DEST_ATTR_*. WEIGHT is an int on the kernel side; TUN_PORT is network order. */
export const IPVS_DEST = {
  IPVS_DEST_ATTR_ADDR: { type: 1, kind: 'binary' },
  IPVS_DEST_ATTR_PORT: { type: 2, kind: 'be16' },
  IPVS_DEST_ATTR_FWD_METHOD: { type: 3, kind: 'u32' },
  IPVS_DEST_ATTR_WEIGHT: { type: 4, kind: 's32' },
  IPVS_DEST_ATTR_U_THRESH: { type: 5, kind: 'u32' },
  IPVS_DEST_ATTR_L_THRESH: { type: 6, kind: 'u32' },
  IPVS_DEST_ATTR_ACTIVE_CONNS: { type: 7, kind: 'u32' },
  IPVS_DEST_ATTR_INACT_CONNS: { type: 8, kind: 'u32' },
  IPVS_DEST_ATTR_PERSIST_CONNS: { type: 9, kind: 'u32' },
  IPVS_DEST_ATTR_STATS: { type: 10, kind: 'nested', schema: IPVS_STATS },
  IPVS_DEST_ATTR_ADDR_FAMILY: { type: 11, kind: 'u16' },
  IPVS_DEST_ATTR_STATS64: { type: 12, kind: 'nested', schema: IPVS_STATS64 },
  IPVS_DEST_ATTR_TUN_TYPE: { type: 13, kind: 'u8' },
  IPVS_DEST_ATTR_TUN_PORT: { type: 14, kind: 'be16' },
  IPVS_DEST_ATTR_TUN_FLAGS: { type: 15, kind: 'u16' },
} as const;

/** IPVS_DAEMON_ATTR_*. MCAST_PORT is host order (the kernel converts when it opens the socket). */
export const IPVS_DAEMON = {
  IPVS_DAEMON_ATTR_STATE: { type: 1, kind: 'u32' },
  IPVS_DAEMON_ATTR_MCAST_IFN: { type: 2, kind: 'string' },
  IPVS_DAEMON_ATTR_SYNC_ID: { type: 3, kind: 'u32' },
  IPVS_DAEMON_ATTR_SYNC_MAXLEN: { type: 4, kind: 'u16' },
  IPVS_DAEMON_ATTR_MCAST_GROUP: { type: 5, kind: 'ip' },
  IPVS_DAEMON_ATTR_MCAST_GROUP6: { type: 6, kind: 'ip' },
  IPVS_DAEMON_ATTR_MCAST_PORT: { type: 7, kind: 'u16' },
  IPVS_DAEMON_ATTR_MCAST_TTL: { type: 8, kind: 'u8' },
} as const;

/** IPVS_CMD_ATTR_*: the top level of every IPVS message. Timeouts are seconds. */
export const IPVS_CMD_ATTRS = {
  IPVS_CMD_ATTR_SERVICE: { type: 1, kind: 'nested', schema: IPVS_SVC },
  IPVS_CMD_ATTR_DEST: { type: 2, kind: 'nested', schema: IPVS_DEST },
  IPVS_CMD_ATTR_DAEMON: { type: 3, kind: 'nested', schema: IPVS_DAEMON },
  IPVS_CMD_ATTR_TIMEOUT_TCP: { type: 4, kind: 'u32' },
  IPVS_CMD_ATTR_TIMEOUT_TCP_FIN: { type: 5, kind: 'u32' },
  IPVS_CMD_ATTR_TIMEOUT_UDP: { type: 6, kind: 'u32' },
} as const;

/** IPVS_INFO_ATTR_* in the GET_INFO reply */
export const IPVS_INFO = {
  IPVS_INFO_ATTR_VERSION: { type: 1, kind: 'u32' },
  IPVS_INFO_ATTR_CONN_TAB_SIZE: { type: 2, kind: 'u32' },
} as const;

/** IP_VS_SVC_F_* */
export const IP_VS_SVC_F = {
  PERSISTENT: 0x1,
  HASHED: 0x2,
  ONEPACKET: 0x4,
  SCHED1: 0x8,
  SCHED2: 0x10,
  SCHED3: 0x20,
} as const;

export const AF_INET = 2;
export const AF_INET6 = 10;
export const IPPROTO = { tcp: 6, udp: 17, sctp: 132 } as const;
/** IP_VS_CONN_F_* forwarding methods (IP_VS_CONN_F_FWD_MASK 0x7) */
export const FWD = { nat: 0, local: 1, tun: 2, dr: 3 } as const;
export const IP_VS_CONN_F_FWD_MASK = 0x7;
export const TUN_TYPE = { ipip: 0, gue: 1, gre: 2 } as const;
/** IP_VS_STATE_* for the sync daemon */
export const IP_VS_STATE = { master: 1, backup: 2 } as const;
