// vrrpd's own error codes, all in one place and one scheme: AREA_WHAT in capitals
// (CONFIG_, CHECK_, CONTROL_, METRICS_, VRRP_, ENGINE_, IPVS_, NETLINK_, NATIVE_, SCRIPT_,
// OWNERSHIP_, TRANSPORT_, NET_, LAB_). A code is stable: scripts, logs (`code` field) and the control socket's
// JSON carry it; the message beside it may improve. docs/errors.md is the table for
// operators (test/unit/errors.test.ts keeps it equal to this one).
//
// Codes that are not here are the operating system's errno names (EEXIST, ENODEV,
// EACCES, ...), passed on unchanged from a failed system call or a kernel answer.

/** Every vrrpd error code and what it means, in an operator's words. */
export const ERROR_CODES = {
  // configuration (vrrpd check-config, start, reload); every one has FILE:LINE:COL
  CONFIG_FILE_UNREADABLE: 'the configuration file cannot be read',
  CONFIG_NOT_TEXT: 'the configuration file is not UTF-8 text',
  CONFIG_YAML_SYNTAX: 'the file is not valid YAML',
  CONFIG_NOT_A_MAPPING: 'the top level of the file is not a mapping of keys',
  CONFIG_EMPTY: 'the file has no settings',
  CONFIG_UNKNOWN_KEY: 'a key the configuration does not have (a typo?)',
  CONFIG_MISSING_KEY: 'a required key is missing',
  CONFIG_WRONG_TYPE: 'a value of the wrong type (text for a number, ...)',
  CONFIG_BAD_VALUE: 'a value that is not allowed here',
  CONFIG_OUT_OF_RANGE: 'a number outside its range',
  CONFIG_BAD_DURATION: 'a duration vrrpd cannot read (use 1s, 500ms, 2m)',
  CONFIG_BAD_ADDRESS: 'not an IP address (or prefix) where one is needed',
  CONFIG_FAMILY_MISMATCH: 'IPv4 and IPv6 mixed where they cannot be',
  CONFIG_DUPLICATE: 'the same name or address twice',
  CONFIG_DUPLICATE_VRID: 'two instances with the same VRID on one interface and family',
  CONFIG_ADVERT_INTERVAL: 'an advert interval the VRRP version cannot carry',
  CONFIG_UNKNOWN_REFERENCE: 'a name that refers to nothing (an unknown vrrp_script, instance, ...)',
  CONFIG_NOT_APPLICABLE: 'a setting that has no effect with the others given',
  CONFIG_INVALID: 'vrrpd did not start: the configuration has errors (listed before it)',
  CONFIG_KEY_UNREADABLE: 'an auth_hmac key file or systemd credential cannot be read',
  CONFIG_KEY_INSECURE: 'an auth_hmac key file can be read by group or others',
  // health checks and vrrp_scripts
  CHECK_TIMEOUT: 'the check did not finish within its timeout',
  CHECK_STOPPED: 'the check was stopped (removed by a reload, or shutdown)',
  CHECK_INVALID: 'a check the checker cannot run (a bug: the configuration allowed it)',
  CHECK_DUPLICATE: 'a check scheduled twice (a bug)',
  CHECK_UNKNOWN: 'a check that is not scheduled (a bug)',
  CHECK_SCHEDULER_STOPPED: 'a check added after the checks were stopped (a bug)',
  // scripts (notify hooks, vrrp_scripts, script checks)
  SCRIPT_NOT_FOUND: 'the script does not exist or is not executable',
  SCRIPT_INSECURE: 'the script or its directory can be changed by another user than root or its owner',
  SCRIPT_SPAWN_FAILED: 'the script could not be started',
  // the control socket (`vrrpd status`, `vrrpd reload`) and its client
  CONTROL_BAD_JSON: 'a control request that is not JSON',
  CONTROL_BAD_REQUEST: 'a control request without a string "method"',
  CONTROL_REQUEST_TOO_LONG: 'a control request longer than 64 KiB',
  CONTROL_UNKNOWN_METHOD: 'a control method the daemon does not have',
  CONTROL_BAD_PARAMS: 'a control method was given parameters it cannot use',
  CONTROL_INTERNAL: 'the daemon failed to answer a control request (see its log)',
  CONTROL_BAD_GROUP: 'control_group names no group on this host',
  CONTROL_SOCKET_PATH: 'control_socket names a file that is not a socket',
  CONTROL_SOCKET_IN_USE: 'another live daemon answers on control_socket',
  CONTROL_FLOOD: 'a control client sent too many requests without reading the answers',
  CONTROL_NOT_RUNNING: 'vrrpd is not running (no control socket, or nobody listening)',
  CONTROL_ACCESS_DENIED: 'the control socket does not let this user in',
  CONTROL_TIMEOUT: 'the daemon did not answer in time',
  CONTROL_PROTOCOL: "the answer was not vrrpd's protocol (a foreign socket, a truncated reply)",
  // the VRRP engine and its worker thread
  VRRP_BAD_VERSION: 'a VRRP version other than 2 or 3 (a bug: the configuration allowed it)',
  VRRP_BAD_VRID: 'a VRID outside 1..255 (a bug: the configuration allowed it)',
  VRRP_BAD_PRIORITY: 'a priority outside 1..255 (a bug: the configuration allowed it)',
  VRRP_BAD_INTERVAL: 'an advert interval the version cannot carry (a bug: the configuration allowed it)',
  VRRP_BAD_PREEMPT_DELAY: 'a negative preempt delay (a bug: the configuration allowed it)',
  VRRP_BAD_PRIMARY_ADDRESS: 'a primary address that is not an IP address (a bug)',
  VRRP_ENCODE: 'an advert that cannot be encoded (a bug: the configuration allowed it)',
  NET_FRAME_BUILD: 'a gratuitous ARP or unsolicited NA frame that cannot be built (a bug)',
  VRRP_NO_PRIMARY_ADDRESS: 'the interface has no address of the family to send adverts from',
  ENGINE_FAILED: 'the VRRP engine thread crashed or could not start',
  ENGINE_TIMEOUT: 'the VRRP engine did not answer in time',
  ENGINE_RELOAD_FAILED: 'the VRRP engine refused the new configuration; the running one stays',
  // the Prometheus listener
  METRICS_BAD_LISTEN: 'metrics_listen is not HOST:PORT',
  // the `vrrpd lab` demo
  LAB_USAGE: 'an unknown lab scene was asked for',
  LAB_NOT_BUILT: 'vrrpd is not built (run npm run build)',
  LAB_TOPOLOGY: "building the lab's namespaces failed",
  LAB_CLIENT: "a command in the lab's client namespace failed",
  LAB_HTTP: "a lab real server's HTTP server did not start",
  LAB_DAEMON: 'a lab director did not start',
  LAB_TIMEOUT: 'what a scene waits for did not happen in time',
  LAB_UNREACHABLE: 'the lab client cannot reach the VIPs',
  LAB_NO_MASTER: 'no master before the failover scene',
  LAB_NO_DIRECTOR: 'no director is running for the health scene',
  // the OS side
  NATIVE_MISSING: 'the native addon is not built or not found (npm run build:native)',
  TRANSPORT_CLOSED: 'an advert was sent on a VRRP socket already closed',
  IPVS_MISSING: 'the kernel has no IPVS (load the ip_vs module)',
  NETLINK_FAMILY_MISSING: 'a generic netlink family the kernel does not have (a missing module)',
  OWNERSHIP_RECORD_MISSING: 'no record of owned IPVS services yet (first start)',
  OWNERSHIP_RECORD_UNREADABLE: 'the record of owned IPVS services cannot be read',
  OWNERSHIP_RECORD_CORRUPT: 'the record of owned IPVS services is damaged',
  OWNERSHIP_RECORD_VERSION: 'the record of owned IPVS services is from another vrrpd version',
  OWNERSHIP_RECORD_UNWRITABLE: 'the record of owned IPVS services cannot be written',
  SCRIPT_USER_UNKNOWN: 'the script user is not in /etc/passwd',
  SCRIPT_GROUP_UNKNOWN: 'the script group is not in /etc/group',
  VRRP_ACCEPT_FILTER_FAILED:
    "nft could not write vrrpd's Accept_Mode table (inet vrrpd); packets to the VIPs of non-owner masters with accept off are not dropped",
  VRRP_BAD_DOWN_TIMER_ADVERTS: 'down_timer_adverts outside 1..100 (a bug: the configuration allowed it)',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Codes that were named like errnos before this registry (control socket JSON and the
 * status/reload CLI). docs/errors.md lists them for scripts written against the old names.
 */
export const RENAMED_CODES: Readonly<Record<string, ErrorCode>> = {
  EBADJSON: 'CONTROL_BAD_JSON',
  EBADREQUEST: 'CONTROL_BAD_REQUEST',
  ETOOLONG: 'CONTROL_REQUEST_TOO_LONG',
  EUNKNOWNMETHOD: 'CONTROL_UNKNOWN_METHOD',
  EBADPARAMS: 'CONTROL_BAD_PARAMS',
  EINTERNAL: 'CONTROL_INTERNAL',
  EBADGROUP: 'CONTROL_BAD_GROUP',
  ENOTRUNNING: 'CONTROL_NOT_RUNNING',
  ENOPRIMARY: 'VRRP_NO_PRIMARY_ADDRESS',
  EIPVS_MISSING: 'IPVS_MISSING',
  EGENLFAMILY: 'NETLINK_FAMILY_MISSING',
  ERR_TRANSPORT_CLOSED: 'TRANSPORT_CLOSED',
  SCHEDULER_STOPPED: 'CHECK_SCHEDULER_STOPPED',
  ERR_VRRP_VERSION: 'VRRP_BAD_VERSION',
  ERR_VRRP_VRID: 'VRRP_BAD_VRID',
  ERR_VRRP_PRIORITY: 'VRRP_BAD_PRIORITY',
  ERR_VRRP_INTERVAL: 'VRRP_BAD_INTERVAL',
  ERR_VRRP_PREEMPT_DELAY: 'VRRP_BAD_PREEMPT_DELAY',
  ERR_VRRP_PRIMARY_ADDRESS: 'VRRP_BAD_PRIMARY_ADDRESS',
  ERR_VRRP_ENCODE: 'VRRP_ENCODE',
  ERR_FRAME_BUILD: 'NET_FRAME_BUILD',
  'EACCES (control client)': 'CONTROL_ACCESS_DENIED',
  'ETIMEDOUT (control client)': 'CONTROL_TIMEOUT',
  'EPROTO (control client)': 'CONTROL_PROTOCOL',
  EBADLISTEN: 'METRICS_BAD_LISTEN',
  ECONTROLPATH: 'CONTROL_SOCKET_PATH',
  ECONTROLINUSE: 'CONTROL_SOCKET_IN_USE',
  EFLOOD: 'CONTROL_FLOOD',
  ERR_NATIVE_MISSING: 'NATIVE_MISSING',
  EUSAGE: 'LAB_USAGE',
  ENOBUILD: 'LAB_NOT_BUILT',
  ETOPO: 'LAB_TOPOLOGY',
  ECLIENT: 'LAB_CLIENT',
  EHTTP: 'LAB_HTTP',
  EDAEMON: 'LAB_DAEMON',
  ETIMEOUT: 'LAB_TIMEOUT',
  EREACH: 'LAB_UNREACHABLE',
  ENOMASTER: 'LAB_NO_MASTER',
  ENODAEMON: 'LAB_NO_DIRECTOR',
};

/** An error with a registered code; exitCode is what `vrrpd run` exits with if it ends the start. */
export class VrrpdError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'VrrpdError';
  }
}

/** An Error carrying a registered code, for places that throw a plain Error with a code. */
export function codedError(code: ErrorCode, message: string): Error & { code: ErrorCode } {
  return Object.assign(new Error(message), { code });
}
