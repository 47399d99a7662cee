// The shape of the YAML data after the JSON Schema accepted it and filled in its
// defaults (snake_case, durations still as written). Only build-*.ts read these.

export type RawDuration = number | string;
export type RawArgv = string[];

export interface RawNotify {
  master?: RawArgv;
  backup?: RawArgv;
  fault?: RawArgv;
  stop?: RawArgv;
  any?: RawArgv;
  user?: string;
  group?: string;
}

export interface RawGlobal {
  router_id?: string;
  control_socket: string;
  control_group?: string;
  metrics_listen?: string;
  snmp?: { agentx_socket: string; traps: boolean };
  script_user?: string;
  script_group?: string;
  state_file: string;
  log_level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  notify_timeout: RawDuration;
  script_timeout: RawDuration;
  announce?: { table: number; protocol: number; interface: string; drain: RawDuration };
  notify_fifo?: string;
  vrrp_notify_fifo?: string;
  lvs_notify_fifo?: string;
  smtp_alerts?: {
    server: string;
    to: string[];
    from?: string;
    helo_name?: string;
    connect_timeout: RawDuration;
    vrrp: boolean;
    checker: boolean;
  };
  vrrp_startup_delay: RawDuration;
  startup_script?: RawStartStopScript;
  shutdown_script?: RawStartStopScript;
  dynamic_interfaces: boolean;
  vrrp_defaults?: RawVrrpDefaults;
}

export interface RawStartStopScript {
  command: RawArgv;
  user?: string;
  group?: string;
  timeout: RawDuration;
}

/** keepalived garp_extra_if [all] SECONDS */
export interface RawExtraIf {
  interval: RawDuration;
  all: boolean;
}

/** global.vrrp_defaults (keepalived vrrp_* protocol knobs in global_defs) */
export interface RawVrrpDefaults {
  higher_prio_send_advert: boolean;
  lower_prio_no_advert: boolean;
  down_timer_adverts: number;
  garp_lower_prio_repeat: number;
  garp_lower_prio_delay: RawDuration;
  garp_extra_if?: RawExtraIf;
}

export interface RawVrrpScript {
  command: RawArgv;
  interval: RawDuration;
  timeout?: RawDuration;
  weight: number;
  rise: number;
  fall: number;
  user?: string;
  group?: string;
  reverse: boolean;
}

export type RawVip =
  | string
  | { address: string; dev?: string; label?: string; brd?: string; scope?: string; no_track?: boolean };

export interface RawInstance {
  name: string;
  interface: string;
  vrid: number;
  version: 2 | 3;
  priority: number;
  advert_interval: RawDuration;
  preempt: boolean;
  preempt_delay: RawDuration;
  accept: boolean;
  use_vmac: boolean;
  auth_pass?: string;
  unicast_src?: string;
  unicast_peers: (string | { address: string; min_ttl?: number; max_ttl?: number })[];
  virtual_ips: RawVip[];
  track_interfaces: (string | { interface: string; weight: number; reverse: boolean })[];
  track_scripts: (string | { name: string; weight?: number; reverse?: boolean })[];
  garp: {
    repeat: number;
    interval: RawDuration;
    delay: RawDuration;
    refresh: RawDuration;
    refresh_repeat: number;
    lower_prio_repeat?: number;
    lower_prio_delay?: RawDuration;
    extra_if?: RawExtraIf;
  };
  notify: RawNotify;
  virtual_ips_excluded: RawVip[];
  mcast_src?: string;
  dont_track_primary: boolean;
  v3_checksum_ipv4_pseudo_header: boolean;
  unicast_ttl: number;
  unicast_fault_no_peer: boolean;
  auth_hmac?: RawAuthHmac;
  allowed_peers?: string[];
  advert_rate_limit?: { max: number; per: RawDuration };
  smtp_alert?: boolean;
  higher_prio_send_advert?: boolean;
  lower_prio_no_advert?: boolean;
  down_timer_adverts?: number;
  virtual_routes: RawVirtualRoute[];
  virtual_rules: RawVirtualRule[];
}

/** keepalived virtual_routes item: the `ip route` words or the keys */
export type RawVirtualRoute =
  | string
  | {
      to: string;
      type?: 'unicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw';
      via?: string;
      dev?: string;
      src?: string;
      table?: number | string;
      metric?: number;
      scope?: 'global' | 'site' | 'link' | 'host' | 'nowhere';
      protocol?: number | string;
      onlink?: boolean;
      no_track?: boolean;
    };

/** keepalived virtual_rules item: the `ip rule` words or the keys */
export type RawVirtualRule =
  | string
  | {
      from?: string;
      to?: string;
      iif?: string;
      oif?: string;
      fwmark?: number | string;
      tos?: number;
      table?: number | string;
      action?: 'table' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';
      goto?: number;
      priority: number;
      family?: 4 | 6;
      not?: boolean;
      suppress_prefixlength?: number;
      protocol?: number | string;
      no_track?: boolean;
    };

export interface RawAuthHmac {
  keys: { id: number; key?: string; file?: string; credential?: string }[];
  active_key?: number;
  mode: 'enforce' | 'permissive' | 'receive-only';
  anti_replay: 'time' | 'monotonic';
  time_window?: RawDuration;
}

export interface RawSyncGroup {
  name: string;
  instances: string[];
  notify: RawNotify;
  smtp_alert?: boolean;
}

export interface RawCheckTiming {
  interval?: RawDuration;
  timeout?: RawDuration;
  rise?: number;
  fall?: number;
  retry?: number;
  retry_delay?: RawDuration;
}

export interface RawCheck extends RawCheckTiming {
  type: 'tcp' | 'http' | 'https' | 'script' | 'udp' | 'dns' | 'smtp' | 'ping' | 'file';
  port?: number;
  connect_timeout?: RawDuration;
  bind_address?: string;
  send?: string;
  expect?: string;
  path?: string;
  status?: RawStatus[];
  expect_body?: string;
  digest?: string;
  host?: string;
  tls_verify?: boolean;
  command?: RawArgv;
  user?: string;
  group?: string;
  urls?: RawUrl[];
  alpha?: boolean;
  payload?: string;
  require_reply?: boolean;
  reply?: string;
  min_reply_length?: number;
  max_reply_length?: number;
  query_type?: 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA';
  query_name?: string;
  helo_name?: string;
  file?: string;
  reverse?: boolean;
}
/** 200, or '200-299' */
export type RawStatus = number | string;
export interface RawUrl {
  path: string;
  status?: RawStatus[];
  expect_body?: string;
  digest?: string;
  host?: string;
}
export type TunChecksum = 'none' | 'csum' | 'remcsum';

export type Forwarding = 'nat' | 'dr' | 'tun';
export type TunType = 'ipip' | 'gue' | 'gre';

export interface RawRealServer {
  address: string;
  port?: number;
  weight: number;
  forwarding?: Forwarding;
  tun_type?: TunType;
  tun_port?: number;
  tun_checksum?: TunChecksum;
  inhibit_on_failure?: boolean;
  alpha?: boolean;
  upper_threshold: number;
  lower_threshold: number;
  notify_up?: RawArgv;
  notify_down?: RawArgv;
  notify_user?: string;
  notify_group?: string;
  check?: RawCheck;
  checks?: RawCheck[];
  smtp_alert?: boolean;
}

export interface RawVirtualServer {
  address?: string;
  port?: number;
  fwmark?: number;
  family?: 'inet' | 'inet6';
  protocol: 'tcp' | 'udp' | 'sctp';
  scheduler?: string;
  forwarding: Forwarding;
  tun_type?: TunType;
  tun_port?: number;
  tun_checksum?: TunChecksum;
  group?: string;
  persistence_timeout: RawDuration;
  persistence_netmask?: string | number;
  ops: boolean;
  sh_fallback: boolean;
  sh_port: boolean;
  mh_fallback?: boolean;
  mh_port?: boolean;
  quorum: number;
  hysteresis: number;
  quorum_up?: RawArgv;
  quorum_down?: RawArgv;
  quorum_user?: string;
  quorum_group?: string;
  sorry_server?: { address: string; port?: number; forwarding?: Forwarding; inhibit: boolean };
  alpha: boolean;
  virtualhost?: string;
  inhibit_on_failure: boolean;
  omega: boolean;
  ha_suspend: boolean;
  check_defaults: Required<RawCheckTiming>;
  real_servers: RawRealServer[];
  announce?: { when: 'quorum' | 'any-up'; address?: string };
  smtp_alert?: boolean;
}

export interface RawConfig {
  global: RawGlobal;
  vrrp_scripts: Record<string, RawVrrpScript>;
  vrrp_instances: RawInstance[];
  vrrp_sync_groups: RawSyncGroup[];
  lvs_sync_daemon?: { interface: string; instance: string; sync_id?: number };
  lvs_timeouts?: { tcp?: RawDuration; tcp_fin?: RawDuration; udp?: RawDuration };
  virtual_server_groups: RawVirtualServerGroup[];
  virtual_servers: RawVirtualServer[];
}
export interface RawVirtualServerGroupEntry {
  address?: string;
  port?: number;
  fwmark?: number;
  family?: 'inet' | 'inet6';
}
export interface RawVirtualServerGroup {
  name: string;
  entries: RawVirtualServerGroupEntry[];
}
