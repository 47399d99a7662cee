// The keywords keepalived 2.2.7 knows, by the block they belong to, written from
// keepalived.conf(5) of 2.2.7 (plus the older synonyms it still accepts: lb_algo, lb_kind,
// nb_get_retry, vrrp_track_file), checked against keepalived 2.2.7's own parser (`keepalived -t`
// reports no 'Unknown keyword' for any of them in its block, except vrrp_ipsets on a build
// without ipset support). The importer uses it to tell a keepalived keyword vrrpd
// has no equivalent for from a word keepalived does not know either; the keyword test
// (test/unit/config-keepalived-keywords.test.ts) imports every one of them and requires
// each to be either carried over or flagged.

const COMMON_CHECKER = [
  'connect_ip',
  'connect_port',
  'bindto',
  'bind_if',
  'bind_port',
  'fwmark',
  'alpha',
  'connect_timeout',
  'retry',
  'delay_before_retry',
  'warmup',
  'delay_loop',
  'log_all_failures',
];
const HTTP_CHECKER = [
  ...COMMON_CHECKER,
  'nb_get_retry',
  'http_protocol',
  'fast_recovery',
  'url',
  'virtualhost',
];

export const KEEPALIVED_KEYWORDS: Record<string, string[]> = {
  'the top level': [
    'include',
    'includer',
    'includem',
    'includew',
    'includeb',
    'includea',
    'net_namespace',
    'net_namespace_ipvs',
    'namespace_with_ipsets',
    'instance',
    'use_pid_dir',
    'linkbeat_use_polling',
    'child_wait_time',
    'global_defs',
    'linkbeat_interfaces',
    'interface_up_down_delays',
    'track_group',
    'static_ipaddress',
    'static_routes',
    'static_rules',
    'track_file',
    'vrrp_track_file',
    'vrrp_track_process',
    'bfd_instance',
    'vrrp_script',
    'vrrp_sync_group',
    'garp_group',
    'vrrp_instance',
    'virtual_server_group',
    'virtual_server',
    'SSL',
  ],
  global_defs: `tmp_config_directory config_save_dir process_names process_name vrrp_process_name
    checker_process_name bfd_process_name startup_script startup_script_timeout shutdown_script
    shutdown_script_timeout notification_email notification_email_from smtp_server smtp_helo_name
    smtp_connect_timeout smtp_alert smtp_alert_vrrp smtp_alert_checker checker_log_all_failures
    no_email_faults router_id vrrp_mcast_group4 vrrp_mcast_group6 default_interface lvs_sync_daemon
    lvs_timeouts lvs_flush lvs_flush_on_stop vrrp_garp_master_delay vrrp_garp_master_repeat
    vrrp_garp_lower_prio_delay vrrp_down_timer_adverts vrrp_garp_lower_prio_repeat
    vrrp_garp_master_refresh vrrp_garp_master_refresh_repeat vrrp_garp_interval vrrp_gna_interval
    vrrp_min_garp vrrp_garp_extra_if vrrp_lower_prio_no_advert vrrp_higher_prio_send_advert
    vrrp_version nftables nftables_priority nftables_counters nftables_ifindex nftables_ipvs
    nftables_ipvs_priority nftables_ipvs_start_fwmark vrrp_iptables vrrp_ipsets disable_local_igmp
    vrrp_check_unicast_src vrrp_skip_check_adv_addr vrrp_strict vrrp_notify_priority_changes
    max_auto_priority min_auto_priority_delay vrrp_priority checker_priority bfd_priority
    vrrp_no_swap checker_no_swap bfd_no_swap vrrp_cpu_affinity checker_cpu_affinity
    bfd_cpu_affinity vrrp_rt_priority checker_rt_priority bfd_rt_priority vrrp_rlimit_rttime
    checker_rlimit_rttime bfd_rlimit_rttime snmp_socket enable_snmp_vrrp enable_snmp_checker
    enable_snmp_rfc enable_snmp_rfcv2 enable_snmp_rfcv3 enable_traps enable_dbus dbus_service_name
    script_user enable_script_security notify_fifo notify_fifo_script vrrp_notify_fifo
    vrrp_notify_fifo_script lvs_notify_fifo lvs_notify_fifo_script fifo_write_vrrp_states_on_reload
    vrrp_netlink_cmd_rcv_bufs vrrp_netlink_cmd_rcv_bufs_force vrrp_netlink_monitor_rcv_bufs
    vrrp_netlink_monitor_rcv_bufs_force lvs_netlink_cmd_rcv_bufs lvs_netlink_cmd_rcv_bufs_force
    lvs_netlink_monitor_rcv_bufs lvs_netlink_monitor_rcv_bufs_force process_monitor_rcv_bufs
    process_monitor_rcv_bufs_force rs_init_notifies no_checker_emails vrrp_rx_bufs_policy
    vrrp_rx_bufs_multiplier vrrp_startup_delay log_unknown_vrids vmac_prefix vmac_addr_prefix
    umask random_seed reload_check_config reload_time_file reload_repeat reload_file
    include_check data_use_instance dynamic_interfaces`
    .split(/\s+/)
    .filter(Boolean),
  vrrp_script: ['script', 'interval', 'timeout', 'weight', 'rise', 'fall', 'user', 'init_fail'],
  vrrp_sync_group: [
    'group',
    'track_interface',
    'track_script',
    'track_file',
    'track_process',
    'track_bfd',
    'notify_master',
    'notify_backup',
    'notify_fault',
    'notify_stop',
    'notify',
    'notify_priority_changes',
    'smtp_alert',
    'global_tracking',
    'sync_group_tracking_weight',
  ],
  vrrp_instance: `state interface use_vmac vmac_xmit_base use_vmac_addr use_ipvlan vrf
    dont_track_primary track_interface track_script track_file track_process track_bfd
    mcast_src_ip unicast_src_ip mcast_dst_ip version unicast_ttl unicast_peer
    check_unicast_src unicast_fault_no_peer old_unicast_checksum track_src_ip garp_master_delay
    garp_master_repeat garp_lower_prio_delay garp_lower_prio_repeat garp_master_refresh
    garp_master_refresh_repeat garp_extra_if lower_prio_no_advert higher_prio_send_advert
    down_timer_adverts virtual_router_id priority advert_int authentication virtual_ipaddress
    virtual_ipaddress_excluded promote_secondaries virtual_routes virtual_rules accept no_accept
    nopreempt preempt preempt_delay skip_check_adv_addr strict_mode debug notify_master
    notify_backup notify_fault notify_stop notify notify_master_rx_lower_pri
    notify_priority_changes smtp_alert kernel_rx_buf_size linkbeat_use_polling native_ipv6
`
    .split(/\s+/)
    .filter(Boolean),
  authentication: ['auth_type', 'auth_pass'],
  // keepalived 2.4.2+ (draft-cassen-vrrp-auth-hmac), inside vrrp_instance
  auth_hmac: ['key', 'active_key', 'anti_replay', 'time_window', 'mode'],
  virtual_server: `lvs_sched lb_algo flag-1 flag-2 flag-3 sh-port sh-fallback mh-port mh-fallback ops
    lvs_method lb_kind persistence_engine persistence_timeout persistence_granularity protocol
    ha_suspend smtp_alert virtualhost snmp_name alpha omega quorum hysteresis quorum_up
    quorum_down ip_family sorry_server sorry_server_inhibit sorry_server_lvs_method
    connect_timeout retry delay_before_retry warmup delay_loop inhibit_on_failure real_server`
    .split(/\s+/)
    .filter(Boolean),
  real_server: `weight lvs_method notify_up notify_down uthreshold lthreshold smtp_alert virtualhost
    snmp_name alpha connect_timeout retry delay_before_retry warmup delay_loop inhibit_on_failure
    HTTP_GET SSL_GET TCP_CHECK SMTP_CHECK DNS_CHECK MISC_CHECK BFD_CHECK UDP_CHECK PING_CHECK
    FILE_CHECK`
    .split(/\s+/)
    .filter(Boolean),
  HTTP_GET: HTTP_CHECKER,
  SSL_GET: [...HTTP_CHECKER, 'enable_sni'],
  TCP_CHECK: COMMON_CHECKER,
  MISC_CHECK: [
    'misc_path',
    'misc_timeout',
    'misc_dynamic',
    'user',
    'alpha',
    'retry',
    'delay_before_retry',
    'warmup',
    'delay_loop',
    'log_all_failures',
  ],
  // its other lines are addresses and ranges with a port, not keywords
  virtual_server_group: ['fwmark'],
  url: [
    'path',
    'digest',
    'status_code',
    'virtualhost',
    'regex',
    'regex_no_match',
    'regex_options',
    'regex_stack',
    'regex_min_offset',
    'regex_max_offset',
  ],
  SMTP_CHECK: [...COMMON_CHECKER, 'helo_name'],
  DNS_CHECK: [...COMMON_CHECKER, 'type', 'name'],
  UDP_CHECK: [...COMMON_CHECKER, 'payload', 'require_reply', 'min_reply_length', 'max_reply_length'],
  PING_CHECK: COMMON_CHECKER,
  FILE_CHECK: ['track_file', 'dynamic', 'weight'],
  track_file: ['file', 'weight', 'init_file'],
  vrrp_track_process: [
    'process',
    'param_match',
    'weight',
    'quorum',
    'quorum_max',
    'delay',
    'terminate_delay',
    'fork_delay',
    'full_command',
  ],
};
