// The JSON Schema (draft-07) of the vrrpd YAML configuration: structure, types and every
// default. ajv evaluates it (with useDefaults) before the semantic checks in build-*.ts;
// schema/vrrpd.schema.json is this object written out for editors (see write-schema.ts).
// Rules that need more than one value (families, references, VRID clashes) live in TS.
import { DURATION_PATTERN } from './duration.js';

type Schema = Record<string, unknown>;

export const NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.:@-]*$';
export const IFNAME_PATTERN = '^[^\\s/:]{1,15}$';
/** An HTTP request target in origin form: "/", then printable ASCII without spaces. */
export const HTTP_PATH_PATTERN = '^/[!-~]*$';

export const SCHEDULERS = [
  'rr',
  'wrr',
  'lc',
  'wlc',
  'sh',
  'dh',
  'lblc',
  'lblcr',
  'sed',
  'nq',
  'fo',
  'ovf',
  'mh',
  // Linux 6.2+ ip_vs_twos (weighted random twos choice); keepalived 2.4 lb_algo twos
  'twos',
];
export const CHECK_TYPES = ['tcp', 'http', 'https', 'script', 'udp', 'dns', 'smtp', 'ping', 'file'];
/** DNS query types of dns checks (keepalived DNS_CHECK's list). */
export const DNS_QUERY_TYPES = ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'];
export const FORWARDING = ['nat', 'dr', 'tun'];

function duration(description: string, dflt?: string): Schema {
  return {
    type: ['number', 'string'],
    pattern: DURATION_PATTERN,
    minimum: 0,
    description: `${description} Duration: 10ms, 1s, 1.5s, 2m, or a number of seconds.`,
    ...(dflt === undefined ? {} : { default: dflt }),
  };
}

function argv(description: string): Schema {
  return {
    type: 'array',
    minItems: 1,
    items: { type: 'string', minLength: 1 },
    description: `${description} An argv list: the program, then its arguments; no shell.`,
  };
}

/** global.startup_script / shutdown_script (keepalived SCRIPT [USER [GROUP]], *_script_timeout). */
function startStopScript(description: string): Schema {
  return obj(
    {
      command: argv('The script.'),
      user: str('Run it as this user instead of global.script_user.'),
      group: str("Run it with this group instead of the user's primary group."),
      timeout: duration('Killed (its whole process group) after this long.', '10s'),
    },
    ['command'],
    description,
  );
}

function obj(properties: Record<string, Schema>, required: string[], description: string): Schema {
  return {
    type: 'object',
    description,
    additionalProperties: false,
    ...(required.length ? { required } : {}),
    properties,
  };
}

const int = (min: number, max: number, description: string, dflt?: number): Schema => ({
  type: 'integer',
  minimum: min,
  maximum: max,
  description,
  ...(dflt === undefined ? {} : { default: dflt }),
});
const bool = (description: string, dflt: boolean): Schema => ({
  type: 'boolean',
  description,
  default: dflt,
});
const str = (description: string): Schema => ({ type: 'string', minLength: 1, description });
const name = (description: string): Schema => ({ type: 'string', pattern: NAME_PATTERN, description });
const ifname = (description: string): Schema => ({ type: 'string', pattern: IFNAME_PATTERN, description });
const port = (description: string): Schema => int(0, 65535, description);

/** keepalived garp_extra_if [all] SECONDS: periodic announcements on the VIPs' other interfaces. */
const extraIf = (min: number, description: string): Schema =>
  obj(
    {
      interval: {
        ...duration(`Time between two rounds, ${min === 0 ? '0 (off)' : '1s'} to 86400s.`),
        maximum: 86400,
      },
      all: bool(
        "Every other interface the VIPs are on; false: only macvlans (keepalived: its VMACs), and vrrpd puts no VIP on a macvlan other than the instance's, so without all nothing is sent.",
        false,
      ),
    },
    ['interval'],
    description,
  );

const notify = (what: string, appended = 'TYPE NAME STATE PRIORITY', note = ''): Schema =>
  obj(
    {
      master: argv(`Run when ${what} becomes MASTER.`),
      backup: argv(`Run when ${what} becomes BACKUP.`),
      fault: argv(`Run when ${what} enters FAULT.`),
      stop: argv(`Run when ${what} stops (daemon shutdown).`),
      any: argv(
        `Run on every transition of ${what}, with keepalived's notify arguments appended: ${appended}.`,
      ),
      user: str(
        'Run these hooks as this user instead of global.script_user (keepalived notify_* SCRIPT USER [GROUP]).',
      ),
      group: str("Run these hooks with this group instead of the user's primary group."),
    },
    [],
    `Notify scripts, run as global.script_user and killed after global.notify_timeout.${note}`,
  );

const checkTimingProps = (withDefaults: boolean): Record<string, Schema> => {
  const d = <T>(v: T): T | undefined => (withDefaults ? v : undefined);
  return {
    interval: duration('Time between two checks (keepalived delay_loop).', d('2s')),
    timeout: duration('A probe that takes longer fails (keepalived connect_timeout for tcp).', d('1s')),
    rise: int(1, 1000, 'Consecutive successes before a failed server is up again.', d(1)),
    fall: int(1, 1000, 'Consecutive failures before an up server is marked down.', d(1)),
    retry: int(
      0,
      1000,
      'Extra attempts, retry_delay apart, before a probe counts as failed (keepalived retry).',
      d(1),
    ),
    retry_delay: duration('Pause before a retry (keepalived delay_before_retry).', d('1s')),
  };
};

/** HTTP status codes: numbers and 'LOW-HIGH' ranges (keepalived status_code 200-299). */
const statusSchema: Schema = {
  type: 'array',
  minItems: 1,
  items: {
    oneOf: [
      { type: 'integer', minimum: 100, maximum: 599 },
      { type: 'string', pattern: '^[1-5][0-9][0-9]-[1-5][0-9][0-9]$' },
    ],
  },
  description:
    "http/https only: accepted status codes, numbers or 'LOW-HIGH' ranges ('200-299'). Default: [200].",
};

const urlSchema: Schema = obj(
  {
    path: {
      type: 'string',
      pattern: HTTP_PATH_PATTERN,
      description: 'Path requested (printable ASCII, percent-encoded).',
    },
    status: statusSchema,
    expect_body: str('The body must contain this text.'),
    digest: {
      type: 'string',
      pattern: '^([0-9a-fA-F]{32}|[0-9a-fA-F]{64})$',
      description: 'MD5 (32 hex digits, as keepalived genhash) or SHA-256 (64) of the body.',
    },
    host: str('Host header and TLS SNI of this url. Default: that of the check.'),
  },
  ['path'],
  "One URL of an http/https check (keepalived url block); status, expect_body and digest default to the check's.",
);

const checkSchema: Schema = obj(
  {
    type: {
      type: 'string',
      enum: CHECK_TYPES,
      description:
        'tcp connect, HTTP or HTTPS GET, a script (exit 0 = up), a udp datagram, a dns query, an smtp greeting and HELO, an ICMP/ICMPv6 ping, or a file holding a number (0 = up).',
    },
    ...checkTimingProps(false),
    port: int(1, 65535, 'Port to probe (tcp/http/https). Default: the real server port.'),
    connect_timeout: duration('TCP connect timeout (tcp/http/https). Default: timeout.'),
    bind_address: str('Source address of the probe (tcp/http/https). Default: chosen by the kernel.'),
    send: str('tcp only: bytes sent after connecting (escapes \\r \\n \\t \\xHH).'),
    expect: str('tcp only: the reply must contain this text (needs send or a banner protocol).'),
    path: {
      type: 'string',
      pattern: HTTP_PATH_PATTERN,
      description: 'http/https only: path requested (printable ASCII, percent-encoded). Default: /.',
    },
    status: statusSchema,
    expect_body: str('http/https only: the body must contain this text.'),
    digest: {
      type: 'string',
      pattern: '^([0-9a-fA-F]{32}|[0-9a-fA-F]{64})$',
      description: 'http/https only: MD5 (32 hex digits, as keepalived genhash) or SHA-256 (64) of the body.',
    },
    host: str(
      'http/https only: Host header and TLS SNI. Default: the virtual server virtualhost, else the address.',
    ),
    tls_verify: {
      type: 'boolean',
      description: 'https only: verify the server certificate. Default: false (as keepalived).',
    },
    command: argv('script only: the check program; exit status 0 = up.'),
    user: str(
      'script only: run the check as this user instead of global.script_user (keepalived MISC_CHECK user).',
    ),
    group: str(
      "script only: run the check with this group instead of the user's primary group (keepalived user USER GROUP).",
    ),
    urls: {
      type: 'array',
      minItems: 1,
      items: urlSchema,
      description:
        'http/https only: several URLs, each checked on its own schedule; the check passes while every one does (keepalived: several url blocks). Instead of path.',
    },
    alpha: {
      type: 'boolean',
      description:
        'This check starts failed until its first success. Default: the real server alpha, else the virtual server alpha.',
    },
    payload: str(
      'udp only: the datagram, in hex digits (blanks allowed between groups; an odd digit at the end of a group is one byte). Default: 16 random bytes each time.',
    ),
    require_reply: {
      type: 'boolean',
      description:
        'udp only: a reply must come within connect_timeout. Default: false (up unless an ICMP error comes back).',
    },
    reply: str(
      'udp only, with require_reply: the reply must start with these bytes, in hex digits as payload, x for a nibble that may be anything (compared over the shorter of the two).',
    ),
    min_reply_length: int(0, 65535, 'udp only, with require_reply: shortest reply accepted. Default: 0.'),
    max_reply_length: int(
      0,
      65535,
      'udp only, with require_reply: longest reply accepted. Default: 255 (as keepalived).',
    ),
    query_type: {
      type: 'string',
      enum: DNS_QUERY_TYPES,
      description: 'dns only: query type. Default: SOA (as keepalived).',
    },
    query_name: {
      type: 'string',
      description: "dns only: name queried. Default: '.' (the root, as keepalived).",
    },
    helo_name: str('smtp only: the name sent in HELO. Default: smtpchecker.keepalived.org (as keepalived).'),
    file: {
      type: 'string',
      pattern: '^/',
      description:
        'file only: absolute path of a file holding a number (read as C strtol base 0; missing or no number = 0). 0 = up, else down.',
    },
    reverse: {
      type: 'boolean',
      description: 'file only: non-zero = up, 0 = down. Default: false.',
    },
  },
  ['type'],
  'Health check of this real server. Without one the server counts as up (as in keepalived).',
);

const vrrpScript: Schema = obj(
  {
    command: argv('The tracked program; exit status 0 = OK.'),
    interval: duration('Time between two runs.', '1s'),
    timeout: duration('A run that takes longer fails and is killed. Default: global.script_timeout.'),
    weight: int(
      -253,
      253,
      'Priority change while failing (negative) or while OK (positive); 0 = FAULT on failure.',
      0,
    ),
    rise: int(1, 1000, 'Consecutive OK runs before the script counts as OK.', 1),
    fall: int(1, 1000, 'Consecutive failed runs before the script counts as failed.', 1),
    user: str('Run as this user instead of global.script_user.'),
    group: str("Run with this group instead of the user's primary group (keepalived user USER GROUP)."),
    reverse: bool(
      'The weight acts the other way (keepalived weight N reverse): a positive weight lowers the priority while OK, a negative one raises it while failing; with weight 0, succeeding puts tracking instances in FAULT.',
      false,
    ),
  },
  ['command'],
  'A script tracked by instances (keepalived vrrp_script).',
);

const trackFile: Schema = obj(
  {
    file: {
      type: 'string',
      pattern: '^/.*[^/]$',
      description: 'Absolute path of the file; its directory is watched, so a file renamed over it is seen.',
    },
    weight: int(
      -254,
      254,
      "The priority moves by the file's number × weight (at most -254..253; -254 = FAULT); 0: a non-zero number puts tracking instances in FAULT.",
      1,
    ),
    reverse: bool(
      'The weight acts the other way (keepalived weight N reverse): number × -weight; with weight 0, a zero number = FAULT.',
      false,
    ),
    init_file: {
      type: 'object',
      additionalProperties: false,
      description:
        'Create the file at start when it does not exist (keepalived init_file VALUE [overwrite]); never on reload.',
      properties: {
        value: int(-2147483648, 2147483647, 'The number written.', 0),
        overwrite: bool('Write it even when the file exists.', false),
      },
    },
  },
  ['file'],
  'A file holding a number, tracked by instances (keepalived vrrp_track_file).',
);

const trackProcess: Schema = obj(
  {
    process: str(
      'The process name (its comm, at most 15 characters), or with full_command or args the program as argv[0] of /proc/PID/cmdline.',
    ),
    args: {
      type: 'array',
      items: { type: 'string' },
      description:
        'Arguments after argv[0] to match (keepalived process PATH ARGS...); implies full_command and param_match exact.',
    },
    param_match: {
      type: 'string',
      enum: ['exact', 'initial', 'partial'],
      description:
        'How args match the command line: exact (all of them, nothing more), partial (the args are the first ones, more may follow), initial (as partial, the last arg may be a prefix of the argument). Implies full_command.',
    },
    full_command: bool('Match argv[0] of the command line instead of the comm name.', false),
    quorum: int(1, 65535, 'At least this many matching processes for the tracker to be up.', 1),
    quorum_max: int(
      0,
      65535,
      'At most this many matching processes (keepalived quorum_max). Default: no limit. 0 (with quorum 1, the default) means up only while no matching process runs, as in keepalived.',
    ),
    weight: int(
      -254,
      254,
      'Priority change while without quorum (negative) or with it (positive); 0 = FAULT without quorum.',
      0,
    ),
    reverse: bool(
      'The weight acts the other way (keepalived weight N reverse); with weight 0, having the quorum = FAULT.',
      false,
    ),
    fork_delay: duration('Wait this long after the quorum is reached before acting on it.', '0s'),
    terminate_delay: duration('Wait this long after the quorum is lost before acting on it.', '0s'),
  },
  ['process'],
  'Processes tracked by instances (keepalived vrrp_track_process).',
);

const vip: Schema = {
  type: ['string', 'object'],
  minLength: 1,
  description:
    "A virtual IP: 'ADDRESS[/PREFIX] [dev IFNAME]' or {address, dev}. Without a prefix: /32 or /128. VIPs of the other family than the first are not advertised (keepalived virtual_ipaddress_excluded) but follow the state.",
  additionalProperties: false,
  required: ['address'],
  properties: {
    address: str('ADDRESS[/PREFIX]'),
    dev: ifname('Interface to add it on. Default: the instance interface.'),
    label: str('IPv4 address label (ip addr ... label), max 15 characters.'),
    brd: str("IPv4 broadcast address (ip addr ... brd), or '+' / '-' to set or clear the host bits."),
    scope: {
      type: 'string',
      enum: ['global', 'site', 'link', 'host', 'nowhere'],
      description:
        'Address scope (ip addr ... scope). Default: global. Linux refuses an IPv4 address whose scope differs from the primary address of its subnet on the device.',
    },
    no_track: bool(
      'Its device going down does not put the instance in FAULT (keepalived no_track). Without it, a VIP on another device than the instance interface makes that device tracked.',
      false,
    ),
  },
};

const routeTable: Schema = {
  type: ['integer', 'string'],
  minimum: 1,
  maximum: 4294967295,
  minLength: 1,
  description:
    'Routing table: a number (1-4294967295) or a name: main, local, default, or one of /etc/iproute2/rt_tables (and rt_tables.d/*.conf).',
};

const routeProtocol: Schema = {
  type: ['integer', 'string'],
  minimum: 0,
  maximum: 255,
  minLength: 1,
  description:
    'rtm_protocol: a number or an iproute2 name (kernel, boot, static, keepalived, bird, bgp, ...). Default: keepalived (18), as keepalived marks its routes.',
};

const virtualRoute: Schema = {
  type: ['string', 'object'],
  minLength: 1,
  description:
    "A route added while the instance is MASTER (keepalived virtual_routes): 'PREFIX [via ADDR] [dev IFNAME] [src ADDR] [table T] [metric N] [scope S] [protocol P] [onlink] [no_track]', with an optional type first (blackhole, unreachable, prohibit, throw), or {to, via, dev, ...}.",
  additionalProperties: false,
  required: ['to'],
  properties: {
    to: str(
      "Destination PREFIX (ADDRESS/LEN; without /LEN a host route), or 'default' (IPv4 unless via or src is IPv6).",
    ),
    type: {
      type: 'string',
      enum: ['unicast', 'blackhole', 'unreachable', 'prohibit', 'throw'],
      description: 'Route type (ip route add TYPE ...). Default: unicast. The others take no via or dev.',
    },
    via: str('Gateway address, of the family of the destination.'),
    dev: ifname('Output interface. A unicast route needs via or dev.'),
    src: str('Preferred source address (ip route ... src), e.g. a VIP of the instance.'),
    table: { ...routeTable, description: `${String(routeTable.description)} Default: main.` },
    metric: int(
      0,
      4294967295,
      'Route metric (ip route ... metric). Default: none (IPv6: the kernel uses 1024).',
    ),
    scope: {
      type: 'string',
      enum: ['global', 'site', 'link', 'host', 'nowhere'],
      description: 'Route scope. Default: global (keepalived sets universe whatever the route).',
    },
    protocol: routeProtocol,
    onlink: bool(
      'The gateway is on the link even if no prefix of the device covers it (ip route ... onlink).',
      false,
    ),
    no_track: bool(
      'Deleted by someone else while MASTER, it is not put back until the next time the instance becomes MASTER (keepalived no_track).',
      false,
    ),
  },
};

const virtualRule: Schema = {
  type: ['string', 'object'],
  minLength: 1,
  description:
    "A policy-routing rule added while the instance is MASTER (keepalived virtual_rules): 'from P to P iif IF oif IF fwmark N[/M] tos N table T|goto N|nop|blackhole|unreachable|prohibit priority N [not] [suppress_prefixlength N] [no_track]', or {from, to, table, priority, ...}. A rule needs a priority.",
  additionalProperties: false,
  required: ['priority'],
  properties: {
    from: str("Source PREFIX, or 'all'."),
    to: str("Destination PREFIX, or 'all'."),
    iif: ifname('Incoming interface (ip rule ... iif).'),
    oif: ifname('Outgoing interface (ip rule ... oif).'),
    fwmark: {
      type: ['integer', 'string'],
      minimum: 0,
      maximum: 4294967295,
      minLength: 1,
      description: "Firewall mark: N or 'N/MASK' (decimal or 0x hex).",
    },
    tos: int(0, 255, 'TOS / DSCP field to match (ip rule ... tos).'),
    table: { ...routeTable, description: `${String(routeTable.description)} The rule looks up this table.` },
    action: {
      type: 'string',
      enum: ['table', 'goto', 'nop', 'blackhole', 'unreachable', 'prohibit'],
      description: 'What a match does. Default: table when table is given; goto when goto is given.',
    },
    goto: int(1, 4294967295, 'goto action: the priority of the rule to jump to (greater than this one).'),
    priority: int(0, 4294967295, 'Rule priority (ip rule ... priority / preference / order). Required.'),
    family: {
      type: 'integer',
      enum: [4, 6],
      description: 'Address family, when neither from nor to says it. Default: 4 (keepalived too).',
    },
    not: bool('Invert the selector (ip rule add not ...).', false),
    suppress_prefixlength: int(
      0,
      128,
      'table action: reject routing decisions with this prefix length or shorter.',
    ),
    protocol: routeProtocol,
    no_track: bool(
      'Deleted by someone else while MASTER, it is not put back until the next time the instance becomes MASTER (keepalived no_track).',
      false,
    ),
  },
};

const authHmacKey: Schema = obj(
  {
    id: int(1, 255, 'Key id carried in the trailer.'),
    key: str("Inline key: 'hex:0011…' (raw bytes) or ASCII text; 32-64 bytes."),
    file: str('A file holding the key as the inline form would (hex:… or ASCII); mode 0600.'),
    credential: str(
      'A systemd credential name (LoadCredential=/LoadCredentialEncrypted=), read from $CREDENTIALS_DIRECTORY.',
    ),
  },
  ['id'],
  'One key: exactly one of key, file, credential.',
);

const authHmac: Schema = obj(
  {
    keys: { type: 'array', minItems: 1, items: authHmacKey, description: 'The keys, by id.' },
    active_key: int(1, 255, 'The id of the key that signs. Default: the only key when there is one.'),
    mode: {
      type: 'string',
      enum: ['enforce', 'permissive', 'receive-only'],
      default: 'enforce',
      description:
        'enforce: sign, drop unsigned adverts; permissive: sign, also accept unsigned; receive-only: do not sign, accept unsigned. A bad trailer is dropped in every mode.',
    },
    anti_replay: {
      type: 'string',
      enum: ['time', 'monotonic'],
      default: 'time',
      description:
        'time: the sequence is the wall clock and must lie within time_window; monotonic: it must only grow.',
    },
    time_window: duration(
      'anti_replay time: the largest clock difference accepted, 1s-300s. Default: 3 × the advert interval in whole seconds, at least 5s (as keepalived).',
    ),
  },
  ['keys'],
  'HMAC-SHA256 authenticated adverts, compatible with keepalived 2.4.2+ auth_hmac (draft-cassen-vrrp-auth-hmac).',
);

const vrrpInstance: Schema = obj(
  {
    name: name('Instance name, unique; used in logs, status and notify arguments.'),
    interface: ifname('Interface the adverts are sent and received on.'),
    vrid: int(1, 255, 'Virtual router id (RFC 5798 §5.2.3), unique per interface and family.'),
    version: {
      type: 'integer',
      enum: [2, 3],
      default: 3,
      description: 'VRRP version: 2 (RFC 3768) or 3 (RFC 5798).',
    },
    priority: int(1, 255, '1-254 backup priority; 255 = address owner (RFC 5798 §5.2.4).', 100),
    advert_interval: duration(
      'Advertisement interval. v2: whole seconds 1-255 s; v3: 10ms-40.95s in 10 ms steps.',
      '1s',
    ),
    preempt: bool(
      'A higher-priority backup takes over from a lower-priority master (RFC 5798 Preempt_Mode).',
      true,
    ),
    preempt_delay: duration(
      'Wait this long after start before preempting (keepalived preempt_delay), max 1000s.',
      '0s',
    ),
    accept: bool(
      "Accept packets addressed to the VIPs while master and not the owner (RFC 5798 Accept_Mode). false: the nftables table 'inet vrrpd' drops them (ND and ARP still answered; IPVS on the VIPs too is dropped). Default true, as keepalived outside strict mode (RFC 5798's default is false).",
      true,
    ),
    use_vmac: bool('Send from a macvlan with the virtual MAC 00:00:5e:00:01:VRID (02:VRID for IPv6).', false),
    auth_pass: {
      type: 'string',
      minLength: 1,
      maxLength: 8,
      description: 'VRRPv2 simple-text authentication (keepalived auth_type PASS), at most 8 characters.',
    },
    unicast_src: str('Source address for unicast adverts. Default: the primary address of the interface.'),
    unicast_peers: {
      type: 'array',
      items: {
        type: ['string', 'object'],
        minLength: 1,
        description:
          'ADDRESS, or {address, min_ttl, max_ttl}: a routed peer whose adverts arrive with a TTL/hop limit in [min_ttl, max_ttl] instead of 255.',
        additionalProperties: false,
        required: ['address'],
        properties: {
          address: str('Peer address.'),
          min_ttl: int(0, 255, 'Lowest TTL/hop limit accepted from this peer.'),
          max_ttl: int(0, 255, 'Highest TTL/hop limit accepted from this peer.'),
        },
      },
      default: [],
      description: 'Send adverts to these addresses by unicast instead of multicast.',
    },
    virtual_ips: {
      type: 'array',
      minItems: 1,
      items: vip,
      description: 'The virtual IPs; the first sets the family.',
    },
    track_interfaces: {
      type: 'array',
      default: [],
      description: 'Interfaces watched: down → FAULT (weight 0) or priority + weight.',
      items: {
        type: ['string', 'object'],
        pattern: IFNAME_PATTERN,
        description: 'IFNAME or {interface, weight}',
        additionalProperties: false,
        required: ['interface'],
        properties: {
          interface: ifname('Watched interface.'),
          weight: int(-253, 253, 'Priority change while down; 0 = FAULT.', 0),
          reverse: bool(
            'The weight acts the other way (keepalived weight N reverse): a positive weight lowers the priority while up, a negative one raises it while down; with weight 0, up = FAULT.',
            false,
          ),
        },
      },
    },
    track_scripts: {
      type: 'array',
      default: [],
      description: 'Names from vrrp_scripts tracked by this instance.',
      items: {
        type: ['string', 'object'],
        minLength: 1,
        description: 'NAME or {name, weight}',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: name('A key of vrrp_scripts.'),
          weight: int(-253, 253, "Overrides the script's weight for this instance."),
          reverse: {
            type: 'boolean',
            description:
              "Overrides the script's reverse for this instance (keepalived weight N reverse|noreverse).",
          },
        },
      },
    },
    track_files: {
      type: 'array',
      default: [],
      description: 'Names from track_files tracked by this instance (keepalived track_file).',
      items: {
        type: ['string', 'object'],
        pattern: NAME_PATTERN,
        description: 'NAME or {name, weight, reverse}',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: name('A key of the top-level track_files.'),
          weight: int(-254, 254, "Overrides the tracker's weight for this instance."),
          reverse: {
            type: 'boolean',
            description:
              "Overrides the tracker's reverse for this instance (keepalived weight N reverse|noreverse).",
          },
        },
      },
    },
    track_processes: {
      type: 'array',
      default: [],
      description: 'Names from track_processes tracked by this instance (keepalived track_process).',
      items: {
        type: ['string', 'object'],
        pattern: NAME_PATTERN,
        description: 'NAME or {name, weight, reverse}',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: name('A key of the top-level track_processes.'),
          weight: int(-254, 254, "Overrides the tracker's weight for this instance."),
          reverse: {
            type: 'boolean',
            description:
              "Overrides the tracker's reverse for this instance (keepalived weight N reverse|noreverse).",
          },
        },
      },
    },
    garp: {
      ...obj(
        {
          repeat: int(0, 1000, 'Gratuitous ARPs / unsolicited NAs per VIP on becoming master.', 5),
          interval: duration('Pause between them.', '0s'),
          delay: duration('A second batch this long after becoming master; 0 = none.', '5s'),
          refresh: duration('While master, repeat periodically; 0 = off.', '0s'),
          refresh_repeat: int(1, 1000, 'Packets per VIP per refresh.', 1),
          lower_prio_repeat: int(
            0,
            1000,
            'While master, packets per VIP when a lower-priority advert is heard (keepalived garp_lower_prio_repeat); 0 = none. Default: global.vrrp_defaults.garp_lower_prio_repeat.',
          ),
          lower_prio_delay: duration(
            'A second lower_prio_repeat batch this long after that advert (keepalived garp_lower_prio_delay); 0 = none. Default: global.vrrp_defaults.garp_lower_prio_delay.',
          ),
          extra_if: extraIf(
            0,
            'While master, one packet every interval on each other interface the VIPs are on (keepalived garp_extra_if); interval 0 = off. Default: global.vrrp_defaults.garp_extra_if.',
          ),
        },
        [],
        "Announcing the VIPs (keepalived's garp_master_* defaults).",
      ),
      default: {},
    },
    notify: { ...notify('the instance'), default: {} },
    virtual_ips_excluded: {
      type: 'array',
      items: vip,
      default: [],
      description:
        'Addresses added and removed with the VIPs but left out of the adverts (keepalived virtual_ipaddress_excluded), of either family; they never set the instance family or version.',
    },
    mcast_src: str(
      'Source address of the multicast adverts (keepalived mcast_src_ip). Default: the primary address of the interface (IPv6: its link-local address).',
    ),
    dont_track_primary: bool(
      'The instance interface going down does not put the instance in FAULT (keepalived dont_track_primary).',
      false,
    ),
    v3_checksum_ipv4_pseudo_header: bool(
      'v3 over IPv4: include the IPv4 pseudo-header in the checksum (RFC 5798 §5.2.8). false only for old peers.',
      true,
    ),
    unicast_ttl: int(
      1,
      255,
      'TTL/hop limit of unicast adverts (keepalived unicast_ttl). Lower it only for routed peers; they need min_ttl/max_ttl.',
      255,
    ),
    unicast_fault_no_peer: bool(
      'With unicast_src and no unicast_peers: stay in FAULT instead of falling back to multicast (keepalived unicast_fault_no_peer).',
      false,
    ),
    auth_hmac: authHmac,
    allowed_peers: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      minItems: 1,
      description:
        'Spoofing defence, multicast mode too: adverts from any other source are dropped (reason unknown-peer). Absent = any source (unicast: unicast_peers).',
    },
    advert_rate_limit: obj(
      {
        max: int(1, 1000, 'State-changing adverts accepted per source within `per`.'),
        per: duration('The window.'),
      },
      ['max', 'per'],
      "Spoofing defence: per source, at most `max` adverts that would change this instance's state within `per`; more are dropped (reason rate-limited). Absent = no limit.",
    ),
    smtp_alert: {
      type: 'boolean',
      description: 'E-mail its state changes (global.smtp_alerts). Default: global.smtp_alerts.vrrp.',
    },
    higher_prio_send_advert: {
      type: 'boolean',
      description:
        'While master, on hearing a higher-priority advert send one advert of ours before becoming backup, so that the other master re-announces its VIPs (keepalived higher_prio_send_advert). Default: global.vrrp_defaults.higher_prio_send_advert.',
    },
    lower_prio_no_advert: {
      type: 'boolean',
      description:
        'While master, do not answer a lower-priority advert with an advert at once (RFC 5798 before RFC 9568; keepalived lower_prio_no_advert). Default: global.vrrp_defaults.lower_prio_no_advert.',
    },
    down_timer_adverts: int(
      1,
      100,
      'The backup takes over after this many advert intervals (plus the skew time) without an advert, instead of 3 (keepalived down_timer_adverts; every router of the instance must use the same). Default: global.vrrp_defaults.down_timer_adverts.',
    ),
    virtual_routes: {
      type: 'array',
      items: virtualRoute,
      default: [],
      description:
        'Routes added when the instance becomes MASTER (after its VIPs) and removed when it leaves MASTER or vrrpd stops (keepalived virtual_routes). One deleted by hand comes back unless no_track.',
    },
    virtual_rules: {
      type: 'array',
      items: virtualRule,
      default: [],
      description:
        'Policy-routing rules added when the instance becomes MASTER and removed when it leaves MASTER or vrrpd stops (keepalived virtual_rules). One deleted by hand comes back unless no_track.',
    },
  },
  ['name', 'interface', 'vrid', 'virtual_ips'],
  'A VRRP instance (keepalived vrrp_instance).',
);

const syncGroup: Schema = obj(
  {
    name: name('Group name.'),
    instances: { type: 'array', minItems: 1, items: name('An instance name.'), description: 'Members.' },
    notify: {
      ...notify(
        'the group',
        'GROUP NAME STATE (no priority)',
        ' The group is FAULT when any member is, MASTER when all are MASTER, BACKUP when all are BACKUP;' +
          ' otherwise it keeps its last state. Each hook runs once per group transition, not per member.',
      ),
      default: {},
    },
    smtp_alert: {
      type: 'boolean',
      description:
        'E-mail state changes of the group (global.smtp_alerts). Default: global.smtp_alerts.vrrp.',
    },
  },
  ['name', 'instances'],
  'Instances that change state together (keepalived vrrp_sync_group).',
);

const realServer: Schema = obj(
  {
    address: str('Real server address.'),
    port: port('Real server port; required unless the virtual server is a fwmark.'),
    weight: int(0, 65535, 'Scheduling weight; 0 = no new connections.', 1),
    forwarding: { type: 'string', enum: FORWARDING, description: 'Overrides the virtual server forwarding.' },
    tun_type: {
      type: 'string',
      enum: ['ipip', 'gue', 'gre'],
      description: 'Tunnel encapsulation (forwarding tun).',
    },
    tun_port: int(1, 65535, 'GUE destination port (tun_type gue).'),
    tun_checksum: {
      type: 'string',
      enum: ['none', 'csum', 'remcsum'],
      description:
        'Tunnel checksum (tun_type gue: csum or remcsum; gre: csum). Default: the virtual server tun_checksum, else none.',
    },
    inhibit_on_failure: {
      type: 'boolean',
      description:
        'On failure set weight 0 instead of removing the server. Default: the virtual server inhibit_on_failure.',
    },
    alpha: {
      type: 'boolean',
      description: 'Its checks start failed until their first success. Default: the virtual server alpha.',
    },
    upper_threshold: int(0, 2147483647, 'Stop new connections above this many; 0 = no limit.', 0),
    lower_threshold: int(0, 2147483647, 'Resume below this many connections; 0 = no limit.', 0),
    notify_up: argv('Run when the server becomes up.'),
    notify_down: argv('Run when the server goes down.'),
    notify_user: str(
      'Run notify_up and notify_down as this user instead of global.script_user (keepalived notify_up SCRIPT USER [GROUP]).',
    ),
    notify_group: str("Run notify_up and notify_down with this group instead of the user's primary group."),
    check: checkSchema,
    checks: {
      type: 'array',
      minItems: 1,
      items: checkSchema,
      description:
        'Several health checks (keepalived: several checkers in one real_server); the server is up while every one passes. Instead of check.',
    },
    smtp_alert: {
      type: 'boolean',
      description:
        'E-mail when the server goes down or comes back up (global.smtp_alerts). Default: global.smtp_alerts.checker.',
    },
  },
  ['address'],
  'A real server (keepalived real_server).',
);

const virtualServer: Schema = obj(
  {
    address: str('Virtual address (with port); or use fwmark.'),
    port: port('Virtual port; 0 = all ports (needs persistence).'),
    fwmark: int(1, 4294967295, 'Firewall-mark service instead of address:port.'),
    family: {
      type: 'string',
      enum: ['inet', 'inet6'],
      description: 'fwmark services only: address family. Default: that of the first real server, else inet.',
    },
    protocol: {
      type: 'string',
      enum: ['tcp', 'udp', 'sctp'],
      default: 'tcp',
      description: 'Transport protocol.',
    },
    scheduler: {
      type: 'string',
      enum: SCHEDULERS,
      description:
        'IPVS scheduler (keepalived lb_algo). Default: wlc; mh for a virtual server with announce (the same flow lands on the same real server whichever director receives it).',
    },
    forwarding: {
      type: 'string',
      enum: FORWARDING,
      default: 'nat',
      description: 'Default forwarding of its real servers (keepalived lb_kind).',
    },
    tun_type: {
      type: 'string',
      enum: ['ipip', 'gue', 'gre'],
      description: 'Default tunnel type for tun real servers.',
    },
    tun_port: int(1, 65535, 'Default GUE port.'),
    tun_checksum: {
      type: 'string',
      enum: ['none', 'csum', 'remcsum'],
      description: 'Default tunnel checksum for tun real servers (gue: csum or remcsum; gre: csum).',
    },
    group: name(
      'Name of a virtual_server_groups entry: this virtual server is one IPVS service per address (or range) and fwmark of the group, with one set of real servers, each checked once (keepalived virtual_server group). Instead of address/fwmark.',
    ),
    persistence_timeout: duration('Client persistence, whole seconds; 0 = off.', '0s'),
    persistence_netmask: {
      type: ['string', 'integer'],
      minLength: 1,
      minimum: 0,
      maximum: 128,
      description:
        'Persistence granularity: an IPv4 netmask (255.255.255.0) or a prefix length. Default: a single host.',
    },
    ops: bool('One-packet scheduling, for UDP (ipvsadm --ops, IP_VS_SVC_F_ONEPACKET).', false),
    sh_fallback: bool('sh scheduler: skip unavailable servers (IP_VS_SVC_F_SCHED_SH_FALLBACK).', false),
    sh_port: bool('sh scheduler: hash the source port too (IP_VS_SVC_F_SCHED_SH_PORT).', false),
    mh_fallback: {
      type: 'boolean',
      description:
        'mh scheduler: skip unavailable servers (IP_VS_SVC_F_SCHED_MH_FALLBACK). Default: false; true with announce and the mh scheduler.',
    },
    mh_port: {
      type: 'boolean',
      description:
        'mh scheduler: hash the source port too (IP_VS_SVC_F_SCHED_MH_PORT). Default: false; true with announce and the mh scheduler.',
    },
    quorum: int(1, 65535, 'Minimum total weight of up servers; below it the sorry server serves.', 1),
    hysteresis: int(
      0,
      65535,
      'Quorum is regained at quorum + hysteresis and lost below quorum - hysteresis.',
      0,
    ),
    quorum_up: argv('Run when the quorum is reached.'),
    quorum_down: argv('Run when the quorum is lost.'),
    quorum_user: str(
      'Run quorum_up and quorum_down as this user instead of global.script_user (keepalived quorum_up SCRIPT USER [GROUP]).',
    ),
    quorum_group: str("Run quorum_up and quorum_down with this group instead of the user's primary group."),
    sorry_server: obj(
      {
        address: str('Sorry server address.'),
        port: port('Sorry server port. Default: the virtual port.'),
        forwarding: {
          type: 'string',
          enum: FORWARDING,
          description: 'Default: the virtual server forwarding.',
        },
        inhibit: bool(
          'Keep it in the table with weight 0 while the quorum holds (keepalived sorry_server_inhibit).',
          false,
        ),
      },
      ['address'],
      'Served while the quorum is lost.',
    ),
    alpha: bool('Real servers start failed until their first successful check.', false),
    virtualhost: str('Default Host header for http/https checks.'),
    inhibit_on_failure: bool(
      'Default of its real servers: on failure weight 0 instead of removal (keepalived virtual_server inhibit_on_failure).',
      false,
    ),
    ha_suspend: bool(
      "Suspend this virtual server's checks while its address is not a local address of this host (keepalived ha_suspend): the real servers keep their last health and the IPVS table stays as it is; the checks resume when the address appears (e.g. when a VRRP instance here becomes master). Needs address, not fwmark or group.",
      false,
    ),
    omega: bool(
      'At shutdown run notify_down of its up real servers and quorum_down (keepalived omega). Without it they run only when the service is removed from the config.',
      false,
    ),
    check_defaults: {
      ...obj(checkTimingProps(true), [], 'Defaults for every check of this virtual server.'),
      default: {},
    },
    real_servers: { type: 'array', items: realServer, default: [], description: 'The real servers.' },
    announce: obj(
      {
        when: {
          type: 'string',
          enum: ['quorum', 'any-up'],
          default: 'quorum',
          description:
            'quorum: announced while the healthy weight holds the quorum; any-up: while at least one real server is up.',
        },
        address: str(
          'Address to announce (a /32 or /128). Default: the virtual address; needed for fwmark services.',
        ),
      },
      [],
      'Announce the virtual address over BGP while this service is healthy: vrrpd keeps a host route to it in global.announce.table, which FRR imports and redistributes. Failed real servers then drain at weight 0 instead of being removed.',
    ),
    smtp_alert: {
      type: 'boolean',
      description:
        'E-mail when the quorum is lost or regained (global.smtp_alerts). Default: global.smtp_alerts.checker.',
    },
  },
  [],
  'An IPVS virtual service (keepalived virtual_server).',
);

export const configSchema: Schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://vrrpd.invalid/schema/vrrpd.schema.json',
  title: 'vrrpd configuration',
  description: 'VRRP instances and IPVS virtual servers. Unknown keys are errors.',
  type: 'object',
  additionalProperties: false,
  properties: {
    global: {
      ...obj(
        {
          router_id: str('Name of this router in logs and status. Default: the hostname.'),
          control_socket: {
            type: 'string',
            minLength: 1,
            default: '/run/vrrpd/vrrpd.sock',
            description: 'Unix socket of the control plane (mode 0600, 0660 with control_group).',
          },
          control_group: str('Group allowed to use the control socket.'),
          metrics_listen: str('ADDRESS:PORT for Prometheus /metrics ([::1]:9650 for IPv6). Absent: off.'),
          snmp: obj(
            {
              agentx_socket: {
                type: 'string',
                minLength: 1,
                default: '/var/agentx/master',
                description:
                  "snmpd's AgentX master socket, as its agentXSocket: a unix socket path (/var/agentx/master, unix:/path) or tcp:HOST:PORT.",
              },
              traps: bool(
                'Send vrrpv3NewMaster and vrrpv3ProtoError notifications through snmpd (to its trap sinks).',
                true,
              ),
            },
            [],
            'Serve the VRRPv3-MIB (RFC 6527) as an AgentX subagent of net-snmp snmpd. Absent: off.',
          ),
          script_user: str('User that notify and check scripts run as. Default: the user vrrpd runs as.'),
          script_group: str(
            'Group that notify and check scripts run with (keepalived script_user USER GROUP). Default: the primary group of script_user.',
          ),
          state_file: {
            type: 'string',
            minLength: 1,
            default: '/var/lib/vrrpd/ipvs-owned.json',
            description:
              'Absolute path of the record of IPVS virtual services vrrpd owns, kept so that a restart removes services dropped from the config while it was stopped. Two vrrpd processes on one host need different files.',
          },
          log_level: {
            type: 'string',
            enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'],
            default: 'info',
            description: 'Log level.',
          },
          notify_timeout: duration('Notify scripts running longer are killed.', '10s'),
          script_timeout: duration('Default timeout of vrrp_scripts without one.', '5s'),
          announce: obj(
            {
              table: int(
                1,
                4294967295,
                'Kernel routing table vrrpd owns for announced addresses (not 253-255); FRR takes it in with `ip import-table N`.',
              ),
              protocol: int(5, 255, 'rtm_protocol of vrrpd routes in that table (ip route ... proto N).', 99),
              interface: {
                type: 'string',
                pattern: IFNAME_PATTERN,
                default: 'lo',
                description: 'Interface the announced host routes point at (the VIPs are local there).',
              },
              drain: duration(
                'Graceful stop: after withdrawing every announced route, wait this long before exiting.',
                '0s',
              ),
            },
            ['table'],
            'Routes of virtual servers with announce (BGP through FRR). Required when one has announce.',
          ),
          notify_fifo: {
            type: 'string',
            pattern: '^/',
            description:
              'FIFO that gets a line per VRRP and real/virtual server event in keepalived\'s format (INSTANCE "VI_1" MASTER 100; RS [ip]:tcp:80 [vip]:tcp:80 UP). Created when absent; never blocks (a full FIFO drops lines, logged).',
          },
          vrrp_notify_fifo: {
            type: 'string',
            pattern: '^/',
            description: 'FIFO that gets the VRRP instance and group lines only.',
          },
          lvs_notify_fifo: {
            type: 'string',
            pattern: '^/',
            description: 'FIFO that gets the real and virtual server lines only.',
          },
          smtp_alerts: obj(
            {
              server: str(
                'SMTP server: HOST, HOST:PORT or [IPv6]:PORT (port default 25); plain SMTP, as keepalived.',
              ),
              to: {
                type: 'array',
                minItems: 1,
                items: { type: 'string', minLength: 3 },
                description: 'Recipients (keepalived notification_email); "Name <a@b>" allowed.',
              },
              from: str('Sender. Default: vrrpd@HOSTNAME.'),
              helo_name: str('Name sent in EHLO/HELO. Default: the host name.'),
              connect_timeout: duration('Give up on the SMTP server after this long.', '30s'),
              vrrp: bool(
                'Default smtp_alert of instances and sync groups (keepalived smtp_alert_vrrp).',
                false,
              ),
              checker: bool(
                'Default smtp_alert of virtual and real servers (keepalived smtp_alert_checker).',
                false,
              ),
            },
            ['server', 'to'],
            'E-mail alerts (keepalived notification_email, smtp_server, smtp_alert). Absent: none.',
          ),
          vrrp_startup_delay: duration(
            'VRRP instances stay in INIT this long after vrrpd starts, sending no adverts and ignoring those received, then start (keepalived vrrp_startup_delay): lets bonds and switches settle at boot. A reload during the delay moves its end by the change.',
            '0s',
          ),
          startup_script: startStopScript(
            'Run once when vrrpd starts, before the VRRP instances and the IPVS side start (keepalived startup_script): vrrpd waits for it, at most its timeout; a failure or timeout is logged and the start goes on.',
          ),
          shutdown_script: startStopScript(
            'Run once at a graceful stop (SIGTERM), after the instances sent their priority-0 adverts and removed their VIPs and the stop hooks ran (keepalived shutdown_script); vrrpd exits when it ends or is killed at its timeout.',
          ),
          dynamic_interfaces: bool(
            "An instance whose interface does not exist waits in FAULT for it instead of failing vrrpd's start or reload, and an interface deleted and re-created (a new ifindex, any type) is taken up again by name (keepalived dynamic_interfaces allow_if_changes).",
            false,
          ),
          vrrp_defaults: {
            ...obj(
              {
                higher_prio_send_advert: bool(
                  "Default of the instances' higher_prio_send_advert (keepalived vrrp_higher_prio_send_advert).",
                  false,
                ),
                lower_prio_no_advert: bool(
                  "Default of the instances' lower_prio_no_advert (keepalived vrrp_lower_prio_no_advert).",
                  false,
                ),
                down_timer_adverts: int(
                  1,
                  100,
                  "Default of the instances' down_timer_adverts (keepalived vrrp_down_timer_adverts).",
                  3,
                ),
                garp_lower_prio_repeat: int(
                  0,
                  1000,
                  "Default of the instances' garp.lower_prio_repeat (keepalived vrrp_garp_lower_prio_repeat; keepalived's default is its vrrp_garp_master_repeat, 5).",
                  5,
                ),
                garp_lower_prio_delay: duration(
                  "Default of the instances' garp.lower_prio_delay (keepalived vrrp_garp_lower_prio_delay; keepalived's default is its vrrp_garp_master_delay, 5s).",
                  '5s',
                ),
                garp_extra_if: extraIf(
                  1,
                  "Default of the instances' garp.extra_if (keepalived vrrp_garp_extra_if).",
                ),
              },
              [],
              'Defaults of the VRRP protocol knobs of every instance (keepalived vrrp_* in global_defs).',
            ),
            default: {},
          },
          process_events_netns: {
            type: 'string',
            pattern: '^/',
            default: '/proc/1/ns/net',
            description:
              "track_processes: the network namespace in which the kernel's process connector answers (the initial one), used when vrrpd runs in another one. Unreachable: /proc is read every 500 ms instead.",
          },
        },
        [],
        'Daemon-wide settings (keepalived global_defs).',
      ),
      default: {},
    },
    vrrp_scripts: {
      type: 'object',
      description: 'Tracked scripts by name.',
      default: {},
      propertyNames: { pattern: NAME_PATTERN },
      additionalProperties: vrrpScript,
    },
    track_files: {
      type: 'object',
      description:
        'Tracked files by name (keepalived vrrp_track_file): a file holding a number, read when it changes (inotify).',
      default: {},
      propertyNames: { pattern: NAME_PATTERN },
      additionalProperties: trackFile,
    },
    track_processes: {
      type: 'object',
      description:
        "Tracked processes by name (keepalived vrrp_track_process), followed through the kernel's process events.",
      default: {},
      propertyNames: { pattern: NAME_PATTERN },
      additionalProperties: trackProcess,
    },
    vrrp_instances: { type: 'array', items: vrrpInstance, default: [], description: 'VRRP instances.' },
    vrrp_sync_groups: { type: 'array', items: syncGroup, default: [], description: 'Sync groups.' },
    lvs_sync_daemon: obj(
      {
        interface: ifname('Interface for the sync multicast.'),
        instance: name('The VRRP instance whose state the daemon follows (MASTER → sync master).'),
        sync_id: int(0, 255, 'Sync id. Default: the vrid of the instance.'),
      },
      ['interface', 'instance'],
      'IPVS connection synchronisation following a VRRP instance.',
    ),
    lvs_timeouts: obj(
      {
        tcp: duration('IPVS TCP established timeout, whole seconds.'),
        tcp_fin: duration('IPVS TCP FIN_WAIT timeout, whole seconds.'),
        udp: duration('IPVS UDP timeout, whole seconds.'),
      },
      [],
      'IPVS connection timeouts (ipvsadm --set). Absent ones are left as they are.',
    ),
    virtual_server_groups: {
      type: 'array',
      items: obj(
        {
          name: name('Group name, referenced by virtual_servers[].group.'),
          entries: {
            type: 'array',
            minItems: 1,
            items: obj(
              {
                address: str(
                  'Virtual address or range: 192.0.2.1, 192.0.2.1-10 (last byte; for IPv6 the last 16-bit group, in hex), 192.0.2.250-192.0.3.10, 192.0.2.8/29.',
                ),
                port: port('Virtual port; absent or 0 = all ports (needs persistence).'),
                fwmark: int(1, 4294967295, 'Firewall-mark service instead of an address.'),
                family: {
                  type: 'string',
                  enum: ['inet', 'inet6'],
                  description: 'fwmark entries only. Default: the virtual server family.',
                },
              },
              [],
              'An address (or range) with a port, or a fwmark.',
            ),
            description: 'The IPVS services of the group.',
          },
        },
        ['name', 'entries'],
        'A set of virtual addresses and fwmarks served by one pool (keepalived virtual_server_group).',
      ),
      default: [],
      description: 'Virtual server groups.',
    },
    virtual_servers: {
      type: 'array',
      items: virtualServer,
      default: [],
      description: 'IPVS virtual servers.',
    },
  },
};
