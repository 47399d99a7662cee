// keepalived.conf → vrrpd YAML. There is no silent path: every statement the importer
// meets is either carried over with keepalived's meaning, or named in a
// `# not carried over (line N): ... because ...` comment above its unit and in one
// warning line (the CLI prints them on stderr; --strict makes any of them exit 1).
// Where keepalived's default differs from vrrpd's, keepalived's value is written out.
import { Document, isMap, isSeq, type Node } from 'yaml';
import { parseCidr } from '../net/addr.js';
import { parseAgentxSocket } from './build-vrrp.js';
import { formatDurationMs } from './duration.js';
import { type KaReadOptions, type KaStatement, readKeepalivedConf, splitCommand } from './keepalived-conf.js';
import {
  MORE_CHECK_TYPES,
  MORE_CHECKS,
  moreCheckerDefaults,
  moreDefaultText,
} from './keepalived-import-checks.js';
import {
  finishGlobalKnobs,
  finishInstanceKnobs,
  type GlobalKnobs,
  globalKnob,
  INSTANCE_KNOB_KEYWORDS,
  type InstanceKnobs,
} from './keepalived-import-knobs.js';
import {
  importRoute,
  importRule,
  type RouteNote,
  RULE_START_PRIORITY,
  type RulePriorityCounter,
} from './keepalived-import-routes.js';
import { convertTrackFile, convertTrackProcess, trackerRefs } from './keepalived-import-trackers.js';
import { KEEPALIVED_KEYWORDS } from './keepalived-keywords.js';
import { addressRange } from './vs-group.js';

type Obj = Record<string, unknown>;

/** something the reader must know: a statement not carried over, or how one was */
export interface ImportNote {
  line: number;
  /** an included file, when not the main one */
  file?: string;
  text: string;
  /** true: not carried over (or not with keepalived's meaning): a warning, and --strict fails */
  dropped: boolean;
}

/** one converted unit (an instance, a virtual server...) and the notes that go above it */
interface Unit {
  value: Obj;
  notes: ImportNote[];
  /** notes for the real servers, by index */
  realNotes?: ImportNote[][];
}

const at = (s: KaStatement): { line: number; file?: string } => ({
  line: s.line,
  ...(s.file ? { file: s.file } : {}),
});
const shown = (s: KaStatement): string => `'${s.words.join(' ')}${s.block ? ' {...}' : ''}'`;

/** a statement not carried over (or not with its meaning), and why */
const skipped = (s: KaStatement, why = 'vrrpd has no equivalent'): ImportNote => ({
  ...at(s),
  text: `${shown(s)} because ${why}`,
  dropped: true,
});
const CHECKED_SRC =
  'vrrpd always accepts unicast adverts only from its unicast peers, as keepalived does with check_unicast_src';
/** how a statement was carried over, when the reader should know */
const noted = (s: KaStatement, text: string): ImportNote => ({ ...at(s), text, dropped: false });

const NO_FIREWALL =
  "vrrpd's only firewall rules are its Accept_Mode drops (accept: false) in its own nftables table inet vrrpd: no iptables, ipsets or nftables settings";
const PROCESS = "vrrpd is one process: its VRRP thread asks for SCHED_RR itself (README 'Timing')";
/** why vrrpd has no equivalent, for the keywords met most */
const WHY: Record<string, string> = {
  vrrp_iptables: NO_FIREWALL,
  vrrp_ipsets: NO_FIREWALL,
  nftables: NO_FIREWALL,
  nftables_priority: NO_FIREWALL,
  nftables_counters: NO_FIREWALL,
  nftables_ifindex: NO_FIREWALL,
  nftables_ipvs: NO_FIREWALL,
  vrrp_rt_priority: PROCESS,
  vrrp_priority: PROCESS,
  checker_rt_priority: PROCESS,
  checker_priority: PROCESS,
  vrrp_no_swap: PROCESS,
  checker_no_swap: PROCESS,
  vrrp_cpu_affinity: PROCESS,
  checker_cpu_affinity: PROCESS,
  max_auto_priority: PROCESS,
  vrrp_process_name: PROCESS,
  checker_process_name: PROCESS,
  lvs_flush: 'vrrpd never flushes IPVS: it reconciles the kernel table with the configuration',
  lvs_flush_on_stop: 'vrrpd leaves IPVS as it is on stop, so that connections survive a restart',
  vrrp_mcast_group4: 'vrrpd sends to the RFC 5798 group 224.0.0.18',
  vrrp_mcast_group6: 'vrrpd sends to the RFC 5798 group ff02::12',
  mcast_dst_ip: 'vrrpd sends to the RFC 5798 groups',
  vrrp_skip_check_adv_addr: 'vrrpd checks the addresses of every advert',
  skip_check_adv_addr: 'vrrpd checks the addresses of every advert',
  track_bfd: 'vrrpd has no BFD',
  vmac_xmit_base: 'vrrpd sends adverts from the macvlan itself',
  use_vmac_addr: 'vrrpd has no VMAC address on the base interface',
  use_ipvlan: 'vrrpd has no ipvlan interfaces: only use_vmac (macvlan)',
  promote_secondaries: 'vrrpd does not change interface sysctls: set promote_secondaries with sysctl',
  notify_master_rx_lower_pri: 'vrrpd has no notify for lower-priority adverts',
  notify_deleted: 'vrrpd has no notify for deleted instances',
  enable_dbus: 'vrrpd has no D-Bus interface: use the control socket (vrrpd status --json)',
  persistence_engine: 'vrrpd has no IPVS persistence engine (sip)',
  snmp_name: 'vrrpd has no per-server SNMP name',
};

/** the reason for a statement the importer does not handle in its block */
function unhandled(s: KaStatement, context: string): ImportNote {
  const k = s.words[0] ?? '';
  if (k === '') return skipped(s, 'a block without a keyword');
  const known = KEEPALIVED_KEYWORDS[context]?.includes(k);
  return skipped(
    s,
    known
      ? (WHY[k] ?? 'vrrpd has no equivalent')
      : `'${k}' is not a keepalived 2.2 keyword in ${context} (a typo? keepalived ignores it too)`,
  );
}

// A value that does not parse is written as it is, so that check-config reports it with its
// line (never dropped silently); only a missing value is left out.

const sec = (w: string | undefined): string | undefined => {
  const n = Number(w);
  return w === undefined || w === '' || !Number.isFinite(n) || n < 0
    ? w
    : formatDurationMs(Math.round(n * 1000));
};
const int = (w: string | undefined): number | string | undefined => {
  const n = Number(w);
  return w === undefined || w === '' || !Number.isInteger(n) ? w : n;
};
/** keepalived's <BOOL>: absent = true */
const bool = (w: string | undefined): boolean | undefined =>
  w === undefined
    ? true
    : ['on', 'true', 'yes'].includes(w.toLowerCase())
      ? true
      : ['off', 'false', 'no'].includes(w.toLowerCase())
        ? false
        : undefined;

/**
 * A keepalived script keyword: `KEY SCRIPT [USER [GROUP]]`. SCRIPT is one word (quoted when it
 * has arguments), split into argv as keepalived does. keepalived runs it without a shell.
 */
function script(
  st: KaStatement,
  notes: ImportNote[],
  userAllowed = true,
  /** where a notify hook's USER [GROUP] goes (vrrpd runs it as them) */
  ident?: Identities,
): string[] | undefined {
  const [, cmd, user, group, ...extra] = st.words;
  if (cmd === undefined || cmd === '') {
    notes.push(skipped(st, 'it names no script'));
    return undefined;
  }
  if (ident && userAllowed) {
    ident.push({ st, ...(user !== undefined ? { user } : {}), ...(group !== undefined ? { group } : {}) });
  } else if (user !== undefined) {
    notes.push(
      skipped(
        st,
        `the words after the script ('${[user, group, ...extra].join(' ')}') have no vrrpd equivalent`,
      ),
    );
  }
  if (extra.length && userAllowed)
    notes.push(skipped(st, `extra words '${extra.join(' ')}' are ignored by keepalived too`));
  if (/[|&;<>$`*?]/.test(cmd)) {
    notes.push(
      noted(
        st,
        `'${cmd}' has shell syntax, which keepalived passes to the program as plain arguments (it runs no shell); so does vrrpd. If a shell was meant, write [/bin/sh, -c, '...']`,
      ),
    );
  }
  return splitCommand(cmd);
}

/** the USER [GROUP] of each notify hook of one block, in order */
type Identities = { st: KaStatement; user?: string; group?: string }[];

/**
 * vrrpd runs the hooks of one notify block as one user and group (notify.user/group; a real
 * server's notify_user/notify_group, a virtual server's quorum_user/quorum_group): the
 * identity of the first hook is written out; a hook that asked for another is flagged.
 */
function notifyIdentity(
  ids: Identities,
  notify: Obj,
  notes: ImportNote[],
  keys: { user: string; group: string; owner: string } = {
    user: 'user',
    group: 'group',
    owner: 'the notify hooks of one instance or group',
  },
): void {
  const first = ids[0];
  if (!first) return;
  if (first.user !== undefined) notify[keys.user] = first.user;
  if (first.group !== undefined) notify[keys.group] = first.group;
  const who = (x: { user?: string; group?: string }) =>
    x.user === undefined ? 'global.script_user' : `'${x.user}${x.group ? `:${x.group}` : ''}'`;
  for (const x of ids.slice(1)) {
    if (x.user === first.user && x.group === first.group) continue;
    notes.push(
      skipped(x.st, `vrrpd runs ${keys.owner} as one user: this one runs as ${who(first)}, not as ${who(x)}`),
    );
  }
}

interface GlobalState {
  global: Obj;
  notes: ImportNote[];
  vrrpVersion: 2 | 3;
  garp: Obj;
  gnaInterval?: string;
  /** vrrp_check_unicast_src: keepalived then checks unicast adverts' sources as vrrpd always does */
  checkUnicastSrc?: boolean;
  lvsSyncDaemon?: Obj;
  lvsTimeouts?: Obj;
  snmp: { on: boolean; socket?: KaStatement; traps: boolean; trapsAt?: KaStatement };
  strict: boolean;
  /** notification_email, smtp_server... (convertMail) */
  mailSt?: KaStatement[];
  /** startup_script / shutdown_script and their *_timeout (convertStartStop) */
  startStop?: Partial<Record<'startup' | 'shutdown' | 'startup_timeout' | 'shutdown_timeout', KaStatement>>;
  /** vrrp_higher_prio_send_advert, ... (keepalived-import-knobs.ts) */
  knobs: GlobalKnobs;
  /** keepalived's numbering of virtual_rules without a preference (keepalived-import-routes.ts) */
  rulePriority?: RulePriorityCounter;
}

// keepalived's own MIBs: vrrpd serves the standard VRRPv3-MIB (RFC 6527) only
const OWN_MIB_REASON: Record<string, string> = {
  enable_snmp_vrrp:
    "keepalived's own KEEPALIVED-MIB is not served; `vrrpd status --json` and /metrics carry that state",
  enable_snmp_keepalived:
    "keepalived's own KEEPALIVED-MIB is not served; `vrrpd status --json` and /metrics carry that state",
  enable_snmp_checker:
    "keepalived's own KEEPALIVED-MIB checker tables are not served; `vrrpd status --json` and /metrics carry that state",
  enable_snmp_rfcv2:
    'the VRRP-MIB of RFC 2787 is not served; vrrpd serves the VRRPv3-MIB (RFC 6527, which obsoletes it): enable_snmp_rfcv3',
};

/** global.snmp from enable_snmp_rfcv3 / enable_snmp_rfc, snmp_socket and enable_traps. */
function convertSnmp(g: GlobalState): void {
  const sock = g.snmp.socket;
  if (!g.snmp.on) {
    for (const st of [sock, g.snmp.trapsAt])
      if (st) g.notes.push(skipped(st, 'SNMP is off without enable_snmp_rfcv3'));
    return;
  }
  const snmp: Obj = {};
  const target = sock?.words[1];
  if (sock && target !== undefined) {
    if (parseAgentxSocket(target)) snmp.agentx_socket = target;
    else
      g.notes.push(
        skipped(
          sock,
          'AgentX runs over a unix socket path or tcp:HOST:PORT; agentx_socket stays /var/agentx/master',
        ),
      );
  }
  snmp.traps = g.snmp.traps;
  g.global.snmp = snmp;
}

/** global.startup_script / shutdown_script from `*_script SCRIPT [USER [GROUP]]` and `*_script_timeout SECONDS`. */
function convertStartStop(g: GlobalState): void {
  const st = g.startStop;
  if (!st) return;
  for (const kind of ['startup', 'shutdown'] as const) {
    const s = st[kind];
    const t = st[`${kind}_timeout`];
    if (!s) {
      if (t) g.notes.push(skipped(t, `there is no ${kind}_script`));
      continue;
    }
    const ids: Identities = [];
    const command = script(s, g.notes, true, ids);
    if (!command) continue;
    const out: Obj = { command };
    const id = ids[0];
    if (id?.user !== undefined) out.user = id.user;
    if (id?.group !== undefined) out.group = id.group;
    // keepalived's default timeout is 10 s, as vrrpd's
    if (t) out.timeout = sec(t.words[1]);
    g.global[`${kind}_script`] = out;
  }
}

const TUN_TYPES = ['ipip', 'gue', 'gre'];

/** `NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]` → forwarding keys */
function lvsMethod(st: KaStatement, words: string[], notes: ImportNote[]): Obj | undefined {
  const [m, ...rest] = words;
  const method = m?.toLowerCase();
  if (method !== 'nat' && method !== 'dr' && method !== 'tun') {
    notes.push(skipped(st, `'${m ?? ''}' is not NAT, DR or TUN`));
    return undefined;
  }
  const out: Obj = { forwarding: method };
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (method === 'tun' && w === 'type' && TUN_TYPES.includes(rest[i + 1] ?? '')) {
      out.tun_type = rest[++i];
    } else if (method === 'tun' && w === 'port' && /^\d+$/.test(rest[i + 1] ?? '')) {
      out.tun_port = int(rest[++i]);
    } else if (method === 'tun' && (w === 'csum' || w === 'nocsum' || w === 'remcsum')) {
      // IPVS tun_flags; keepalived takes remcsum for gue only, csum for gue and gre
      out.tun_checksum = w === 'nocsum' ? 'none' : w;
    } else {
      notes.push(skipped(st, `'${w}' is not a forwarding option vrrpd knows`));
    }
  }
  return out;
}

function convertGlobal(block: KaStatement[], g: GlobalState): void {
  for (const s of block) {
    const [k, a, ...rest] = s.words;
    switch (k) {
      case 'router_id':
        g.global.router_id = a;
        break;
      case 'script_user':
        g.global.script_user = a;
        if (rest[0] !== undefined) g.global.script_group = rest[0];
        break;
      case 'enable_snmp_rfcv3':
        g.snmp.on = true;
        break;
      case 'enable_snmp_rfc':
        g.snmp.on = true;
        g.notes.push(
          noted(
            s,
            "'enable_snmp_rfc' carried over as global.snmp for its VRRPv3-MIB (RFC 6527) part; the RFC 2787 VRRP-MIB part is not served",
          ),
        );
        break;
      case 'enable_snmp_vrrp':
      case 'enable_snmp_keepalived':
      case 'enable_snmp_checker':
      case 'enable_snmp_rfcv2':
        g.notes.push(skipped(s, OWN_MIB_REASON[k]));
        break;
      case 'snmp_socket':
        g.snmp.socket = s;
        break;
      case 'enable_traps':
        g.snmp.traps = true;
        g.snmp.trapsAt = s;
        break;
      case 'vrrp_version':
        g.vrrpVersion = a === '3' ? 3 : 2;
        break;
      case 'vrrp_garp_master_repeat':
        g.garp.repeat = int(a);
        break;
      case 'vrrp_garp_master_delay':
        g.garp.delay = sec(a);
        break;
      case 'vrrp_garp_master_refresh':
        g.garp.refresh = sec(a);
        break;
      case 'vrrp_garp_master_refresh_repeat':
        g.garp.refresh_repeat = int(a);
        break;
      case 'vrrp_garp_interval':
        g.garp.interval = sec(a);
        break;
      case 'vrrp_check_unicast_src':
        g.checkUnicastSrc = true;
        g.notes.push(noted(s, CHECKED_SRC));
        break;
      case 'vrrp_gna_interval':
        // applies to the IPv6 instances (unsolicited neighbour adverts)
        g.gnaInterval = sec(a);
        g.notes.push(noted(s, 'vrrp_gna_interval: the garp interval of the IPv6 instances'));
        break;
      case 'vrrp_min_garp':
        if (bool(a)) {
          g.garp.repeat = 1;
          g.garp.delay = '0s';
        }
        break;
      case 'vrrp_higher_prio_send_advert':
      case 'vrrp_lower_prio_no_advert':
      case 'vrrp_down_timer_adverts':
      case 'vrrp_garp_lower_prio_repeat':
      case 'vrrp_garp_lower_prio_delay':
      case 'vrrp_garp_extra_if':
      case 'vrrp_vmac_garp_intvl':
        globalKnob(s, g.knobs, g.notes);
        break;
      case 'vrrp_strict':
        g.strict = true;
        g.notes.push(
          skipped(
            s,
            'vrrpd has no strict mode (no firewall rules, no refusal of unicast/auth/preempt_delay); accept is written out as keepalived strict mode sets it',
          ),
        );
        break;
      case 'lvs_sync_daemon': {
        // lvs_sync_daemon IFNAME [[inst] VRRP_INSTANCE] [id SYNC_ID] [maxlen N] [port N] [ttl N] [group ADDR]
        const opts = ['id', 'maxlen', 'port', 'ttl', 'group'];
        const d: Obj = { interface: a };
        let i = 0;
        if (rest[0] === 'inst') i = 1;
        if (rest[i] !== undefined && !opts.includes(rest[i]!)) d.instance = rest[i++];
        for (; i < rest.length; i++) {
          const o = rest[i]!;
          if (o === 'id') d.sync_id = int(rest[++i]);
          else if (opts.includes(o)) {
            g.notes.push(
              skipped(
                s,
                `vrrpd's sync daemon has no '${o} ${rest[i + 1] ?? ''}': the kernel default applies`,
              ),
            );
            i++;
          } else g.notes.push(skipped(s, `'${o}' is not an lvs_sync_daemon option`));
        }
        if (d.instance === undefined) {
          g.notes.push(
            skipped(
              s,
              'without a VRRP instance keepalived runs both the master and the backup sync daemon all the time; vrrpd needs an instance to follow',
            ),
          );
        } else g.lvsSyncDaemon = d;
        break;
      }
      case 'lvs_timeouts': {
        const t: Obj = {};
        const all = [a, ...rest];
        for (let i = 0; i + 1 < all.length; i += 2) {
          const key = { tcp: 'tcp', tcpfin: 'tcp_fin', udp: 'udp' }[all[i] as 'tcp'];
          if (key) t[key] = sec(all[i + 1]);
          else g.notes.push(skipped(s, `'${all[i]}' is not tcp, tcpfin or udp`));
        }
        g.lvsTimeouts = t;
        break;
      }
      case 'notification_email':
      case 'notification_email_from':
      case 'smtp_server':
      case 'smtp_helo_name':
      case 'smtp_connect_timeout':
      case 'smtp_alert':
      case 'smtp_alert_vrrp':
      case 'smtp_alert_checker':
        g.mailSt ??= [];
        g.mailSt.push(s);
        break;
      case 'no_email_faults':
        g.notes.push(
          bool(a) === false
            ? noted(s, "'no_email_faults off': FAULT transitions are e-mailed, as vrrpd does")
            : skipped(s, 'vrrpd e-mails FAULT transitions too (it has no no_email_faults)'),
        );
        break;
      case 'notify_fifo':
      case 'vrrp_notify_fifo':
      case 'lvs_notify_fifo':
        convertFifo(s, g);
        break;
      case 'notify_fifo_script':
      case 'vrrp_notify_fifo_script':
      case 'lvs_notify_fifo_script':
        g.notes.push(
          skipped(
            s,
            'vrrpd starts no FIFO reader: run the reader as a service of its own on the FIFO path (vrrpd creates the FIFO and holds it open, so no line is lost before the reader opens it)',
          ),
        );
        break;
      case 'fifo_write_vrrp_states_on_reload':
        g.notes.push(
          skipped(
            s,
            'vrrpd writes FIFO lines for state changes only: a reload that changes no state writes none',
          ),
        );
        break;
      case 'startup_script':
      case 'shutdown_script':
      case 'startup_script_timeout':
      case 'shutdown_script_timeout': {
        g.startStop ??= {};
        const key = k.replace('_script', '') as
          | 'startup'
          | 'shutdown'
          | 'startup_timeout'
          | 'shutdown_timeout';
        const earlier = g.startStop[key];
        // keepalived takes one startup and one shutdown script (a second is a config error)
        if (earlier && !key.endsWith('_timeout'))
          g.notes.push(skipped(s, `only one ${k} is taken (keepalived reports a second one as an error)`));
        else g.startStop[key] = s;
        break;
      }
      case 'vrrp_startup_delay':
        g.global.vrrp_startup_delay = sec(a);
        break;
      case 'dynamic_interfaces':
        g.global.dynamic_interfaces = true;
        if (a === undefined)
          g.notes.push(
            noted(
              s,
              "'dynamic_interfaces': vrrpd takes a re-created interface up again by name whatever its type or parent (keepalived's allow_if_changes); without that option, keepalived leaves a macvlan re-created as another type or on another parent unused",
            ),
          );
        else if (a !== 'allow_if_changes')
          g.notes.push(skipped(s, `'${a}' is not a dynamic_interfaces option (allow_if_changes)`));
        break;
      case 'enable_script_security':
        g.notes.push(
          noted(
            s,
            "'enable_script_security': vrrpd always refuses scripts that a user other than root can change",
          ),
        );
        break;
      default:
        g.notes.push(unhandled(s, 'global_defs'));
    }
  }
}

/** a vrrp_script; undefined (with a note) when it cannot be carried over */
function convertScript(s: KaStatement): { unit: Unit; unusable?: string } {
  const v: Obj = {};
  const notes: ImportNote[] = [];
  let unusable: string | undefined;
  for (const st of s.block ?? []) {
    const [k, a, b] = st.words;
    if (k === 'script') {
      const argv = script(st, notes, false);
      if (argv) v.command = argv;
    } else if (k === 'interval') v.interval = sec(a);
    else if (k === 'timeout') v.timeout = sec(a);
    else if (k === 'weight') {
      v.weight = int(a);
      if (b === 'reverse') v.reverse = true;
      else if (b !== undefined && b !== 'noreverse') notes.push(skipped(st, `'${b}' is not reverse`));
    } else if (k === 'rise' || k === 'fall') v[k] = int(a);
    else if (k === 'user') {
      v.user = a;
      if (b !== undefined) v.group = b;
    } else if (k === 'init_fail')
      notes.push(skipped(st, 'vrrpd starts a script as OK until its first result'));
    else notes.push(unhandled(st, 'vrrp_script'));
  }
  // keepalived: a script without timeout is killed after its interval (default 1 s)
  if (v.timeout === undefined && v.command !== undefined) {
    v.timeout = v.interval ?? '1s';
    notes.push(noted(s, `timeout ${String(v.timeout)} written out: keepalived's default is the interval`));
  }
  if (v.command === undefined) unusable ??= 'it has no script';
  return { unit: { value: v, notes }, ...(unusable ? { unusable } : {}) };
}

/** VIP options: those with a value, and single words */
const VIP_VALUE_OPTS = ['brd', 'dev', 'scope', 'label', 'peer', 'preferred_lft', 'track_group', 'metric'];
const VIP_FLAGS = [
  'home',
  '-nodad',
  'nodad',
  'mngtmpaddr',
  'noprefixroute',
  'autojoin',
  'no_track',
  'use_vmac',
];

function vipEntry(st: KaStatement, notes: ImportNote[]): { text: string; family: 4 | 6 } | undefined {
  const [addr, ...opts] = st.words;
  const cidr = addr ? parseCidr(addr) : undefined;
  if (!cidr) {
    notes.push(skipped(st, 'it is not an address'));
    return undefined;
  }
  let text = addr!;
  for (let i = 0; i < opts.length; i++) {
    const o = opts[i] === 'broadcast' ? 'brd' : opts[i]!;
    if (VIP_VALUE_OPTS.includes(o)) {
      const val = opts[++i];
      if (o === 'dev' || o === 'label') text += ` ${o} ${val}`;
      else if (o === 'scope' && val === 'global') {
        // the default scope: same as vrrpd's
      } else if (o === 'scope' && cidr.family === 6)
        notes.push(skipped(st, `keepalived ignores a scope on IPv6 addresses, and so does the import`));
      else if (o === 'scope' && ['site', 'link', 'host', 'nowhere'].includes(val ?? ''))
        text += ` scope ${val}`;
      else if (o === 'brd' && (val === '+' || val === '-') && cidr.family === 4 && cidr.prefixLength > 30)
        notes.push(
          skipped(
            st,
            `keepalived sets no broadcast '${val}' on a /${cidr.prefixLength}, and neither does the import`,
          ),
        );
      else if (
        o === 'brd' &&
        cidr.family === 4 &&
        (val === '+' || val === '-' || parseCidr(val ?? '')?.family === 4)
      )
        text += ` brd ${val}`;
      else
        notes.push(
          skipped(st, `vrrpd has no VIP option '${o} ${val ?? ''}': the address is added without it`),
        );
    } else if (o === 'no_track') text += ' no_track';
    else if (VIP_FLAGS.includes(o))
      notes.push(skipped(st, `vrrpd has no VIP option '${o}': the address is added without it`));
    else notes.push(skipped(st, `'${o}' is not a VIP option`));
  }
  return { text, family: cidr.family as 4 | 6 };
}

const SYNC_SCRIPT =
  'keepalived ignores a weighted track_script of a sync group member (a config error, unless sync_group_tracking_weight): left out';

/** `NAME [weight N [reverse|noreverse]]` in a track_* block */
function tracked(
  x: KaStatement,
  key: 'name' | 'interface',
  notes: ImportNote[],
  syncMember: boolean,
): string | Obj | undefined {
  const [n, w, val, dir] = x.words;
  if (w !== undefined && w !== 'weight') {
    notes.push(skipped(x, `'${w}' is not weight`));
    return n;
  }
  // keepalived: `weight N reverse` (and, for scripts, `noreverse` against the script's own)
  let reverse: boolean | undefined;
  if (dir === 'reverse') reverse = true;
  else if (dir === 'noreverse' && key === 'name') reverse = false;
  else if (dir !== undefined)
    notes.push(skipped(x, `'${dir}' is not a weight option keepalived takes here: it ignores it too`));
  if (syncMember && w !== undefined && int(val) !== 0) {
    // keepalived reports a config error and ignores the weight (interface) or the track (script)
    if (key === 'name') {
      notes.push(skipped(x, SYNC_SCRIPT));
      return undefined;
    }
    notes.push(
      skipped(
        x,
        'keepalived ignores tracking weights of sync group members (a config error, unless sync_group_tracking_weight): weight 0, the interface going down puts the instance in FAULT',
      ),
    );
    return { [key]: n, weight: 0, ...(reverse !== undefined ? { reverse } : {}) };
  }
  if (w === undefined) return n;
  return { [key]: n, weight: int(val), ...(reverse !== undefined ? { reverse } : {}) };
}

/** one entry of a track_script block */
function scriptTrack(
  x: KaStatement,
  notes: ImportNote[],
  syncMember: boolean,
  scripts: ScriptInfo,
): string | Obj | undefined {
  const name = x.words[0] ?? '';
  if (!scripts.weights.has(name)) {
    notes.push(skipped(x, `there is no vrrp_script ${name}: keepalived ignores this track too`));
    return undefined;
  }
  const why = scripts.unusable.get(name);
  if (why) {
    notes.push(skipped(x, `vrrp_script ${name} is not carried over (${why})`));
    return undefined;
  }
  if (syncMember && !x.words.includes('weight') && (scripts.weights.get(name) ?? 0) !== 0) {
    notes.push(skipped(x, SYNC_SCRIPT));
    return undefined;
  }
  return tracked(x, 'name', notes, syncMember);
}

interface ScriptInfo {
  unusable: Map<string, string>;
  weights: Map<string, number>;
  /** track_files and vrrp_track_processes carried over, with their own weights */
  trackFiles?: Map<string, number>;
  trackProcesses?: Map<string, number>;
  /** where each top-level statement is, and where each tracker is defined (keepalived's order) */
  topIndex?: Map<KaStatement, number>;
  trackerAt?: Map<string, number>;
}

/** whether tracker `name` (kind `file` / `process`) is defined before top-level statement `s` */
function definedBefore(
  info: ScriptInfo,
  s: KaStatement,
  kind: 'file' | 'process',
): (name: string) => boolean {
  return (name) => {
    const at = info.trackerAt?.get(`${kind} ${name}`);
    const here = info.topIndex?.get(s);
    return at === undefined || here === undefined || at < here;
  };
}

const TRACKER_NOTES = { skipped, noted, unhandled };

function convertInstance(
  s: KaStatement,
  g: GlobalState,
  syncMember: boolean,
  scripts: ScriptInfo,
  groupTracks?: GroupTracks,
): Unit {
  const notes: ImportNote[] = [];
  const v: Obj = { name: s.words[1] };
  const vips: { text: string; family: 4 | 6; st: KaStatement }[] = [];
  const excluded: { text: string; family: 4 | 6; st: KaStatement }[] = [];
  const notify: Obj = {};
  const idents: Identities = [];
  const garp: Obj = { ...g.garp };
  let version: number | string | undefined;
  let accept: boolean | undefined;
  let strict = g.strict;
  let auth: { pass?: string; ah?: KaStatement; st: KaStatement } | undefined;
  let unicastSrc: KaStatement | undefined;
  let mcastSrc: KaStatement | undefined;
  let unicastTtl: KaStatement | undefined;
  let checkUnicastSrc = g.checkUnicastSrc === true;
  let peersSt: KaStatement | undefined;
  let hmac: { st: KaStatement; value: Obj; active?: number; keys: number[] } | undefined;
  let nativeV6: KaStatement | undefined;
  let stateMaster = false;
  let advertSt: KaStatement | undefined;
  let nopreemptSt: KaStatement | undefined;
  let preemptDelaySt: KaStatement | undefined;
  const knobs: InstanceKnobs = new Map();
  for (const st of s.block ?? []) {
    const [k, a] = st.words;
    if (k !== undefined && INSTANCE_KNOB_KEYWORDS.includes(k)) {
      // the last one wins, as in keepalived (garp_extra_if and its old name are one)
      knobs.set(k === 'vmac_garp_intvl' ? 'garp_extra_if' : k, st);
      continue;
    }
    switch (k) {
      case 'state':
        // keepalived: MASTER only speeds up an address owner (priority 255), which vrrpd does too
        if (a === 'MASTER') stateMaster = true;
        notes.push(
          noted(
            st,
            `'state ${a}' not needed: vrrpd starts as backup and the priority decides, as keepalived does`,
          ),
        );
        break;
      case 'interface':
        v.interface = a;
        break;
      case 'virtual_router_id':
        v.vrid = int(a);
        break;
      case 'priority':
        v.priority = int(a);
        break;
      case 'version':
        version = int(a);
        break;
      case 'advert_int':
        v.advert_interval = sec(a);
        advertSt = st;
        break;
      case 'nopreempt':
        v.preempt = false;
        nopreemptSt = st;
        break;
      case 'preempt':
        v.preempt = true;
        break;
      case 'preempt_delay':
        v.preempt_delay = sec(a);
        preemptDelaySt = st;
        break;
      case 'accept':
        accept = true;
        break;
      case 'no_accept':
        accept = false;
        break;
      case 'strict_mode': {
        const on = bool(a);
        if (on === undefined) notes.push(skipped(st, `'${a}' is not a keepalived <BOOL>`));
        else strict = on;
        if (on) notes.push(skipped(st, 'vrrpd has no strict mode'));
        else if (on === false) notes.push(noted(st, 'strict mode off, as vrrpd always is'));
        break;
      }
      case 'native_ipv6':
        nativeV6 = st;
        break;
      case 'use_vmac':
        v.use_vmac = true;
        if (a !== undefined)
          notes.push(skipped(st, `vrrpd names the macvlan itself: the name '${a}' is not carried over`));
        if (st.words[2] !== undefined)
          notes.push(skipped(st, `vrrpd uses the RFC virtual MAC: '${st.words[2]}' is not carried over`));
        break;
      case 'authentication':
        auth = { st };
        for (const x of st.block ?? []) {
          if (x.words[0] === 'auth_pass' && x.words[1] !== undefined) {
            auth.pass = x.words[1];
            if (x.words[1].length > 8)
              notes.push(noted(x, 'auth_pass cut to its first 8 characters, as keepalived sends it'));
          } else if (x.words[0] === 'auth_type' && x.words[1] === 'AH') auth.ah = x;
          else if (!(x.words[0] === 'auth_type' && x.words[1] === 'PASS'))
            notes.push(unhandled(x, 'authentication'));
        }
        break;
      case 'unicast_src_ip':
        v.unicast_src = a;
        unicastSrc = st;
        break;
      case 'mcast_src_ip':
        // keepalived: the source address of the adverts, multicast or (with peers) unicast
        mcastSrc = st;
        break;
      case 'dont_track_primary':
        v.dont_track_primary = true;
        break;
      case 'check_unicast_src':
        checkUnicastSrc = true;
        notes.push(noted(st, CHECKED_SRC));
        break;
      case 'unicast_peer': {
        peersSt = st;
        // keepalived checks no TTL on unicast adverts unless a peer has min_ttl/max_ttl;
        // vrrpd's default is the RFC's 255, so each peer gets keepalived's window written out
        const peers: Obj[] = [];
        for (const x of st.block ?? []) {
          const [addr, ...opts] = x.words;
          if (!addr) continue;
          const peer: Obj = { address: addr, min_ttl: 0, max_ttl: 255 };
          let given = false;
          for (let i = 0; i < opts.length; i += 2) {
            const [o, val] = [opts[i], opts[i + 1]];
            if ((o === 'min_ttl' || o === 'max_ttl') && val !== undefined) {
              peer[o] = int(val);
              given = true;
            } else notes.push(skipped(x, `'${opts.slice(i).join(' ')}' is not a unicast_peer option`));
          }
          if (!given)
            notes.push(
              noted(
                x,
                'min_ttl: 0, max_ttl: 255 written out: keepalived checks no TTL on unicast adverts (remove them for the RFC rule, TTL 255 only)',
              ),
            );
          peers.push(peer);
        }
        v.unicast_peers = peers;
        break;
      }
      case 'unicast_ttl':
        v.unicast_ttl = int(a);
        unicastTtl = st;
        break;
      case 'unicast_fault_no_peer':
        v.unicast_fault_no_peer = true;
        break;
      case 'auth_hmac': {
        const value: Obj = {};
        const keys: Obj[] = [];
        const ids: number[] = [];
        let active: number | undefined;
        for (const x of st.block ?? []) {
          const [k2, a2, b2] = x.words;
          if (k2 === 'key' && a2 !== undefined && b2 !== undefined) {
            const id = int(a2);
            if (typeof id === 'number') ids.push(id);
            keys.push(b2.startsWith('file:') ? { id, file: b2.slice(5) } : { id, key: b2 });
            if (b2.startsWith('file:'))
              notes.push(
                noted(
                  x,
                  'key file carried over: vrrpd refuses it unless only its owner can read it (chmod 600)',
                ),
              );
          } else if (k2 === 'active_key' && a2 !== undefined) {
            const n = int(a2);
            active = typeof n === 'number' ? n : undefined;
            value.active_key = n;
          } else if ((k2 === 'mode' || k2 === 'anti_replay') && a2 !== undefined) value[k2] = a2;
          else if (k2 === 'time_window' && a2 !== undefined) value.time_window = sec(a2);
          else notes.push(unhandled(x, 'auth_hmac'));
        }
        value.keys = keys;
        hmac = { st, value, keys: ids, ...(active !== undefined ? { active } : {}) };
        break;
      }
      case 'virtual_ipaddress':
        for (const x of st.block ?? []) {
          const e = vipEntry(x, notes);
          if (e) vips.push({ ...e, st: x });
        }
        break;
      case 'virtual_ipaddress_excluded':
        for (const x of st.block ?? []) {
          const e = vipEntry(x, notes);
          if (e) excluded.push({ ...e, st: x });
        }
        break;
      case 'track_interface':
        v.track_interfaces = (st.block ?? [])
          .map((x) => tracked(x, 'interface', notes, syncMember))
          .filter((x) => x !== undefined);
        break;
      case 'track_script':
        v.track_scripts = (st.block ?? [])
          .map((x) => scriptTrack(x, notes, syncMember, scripts))
          .filter((x) => x !== undefined);
        break;
      case 'track_file':
      case 'track_process': {
        const kind = k === 'track_file' ? 'file' : 'process';
        const known = (kind === 'file' ? scripts.trackFiles : scripts.trackProcesses) ?? new Map();
        const owner = (s.block ?? []).some((x) => x.words[0] === 'priority' && x.words[1] === '255');
        const list = trackerRefs(
          st,
          kind,
          known,
          syncMember ? 'a sync group member' : owner ? 'the address owner' : false,
          TRACKER_NOTES,
          notes,
          definedBefore(scripts, s, kind),
        );
        if (list.length) v[kind === 'file' ? 'track_files' : 'track_processes'] = list;
        break;
      }
      case 'notify_master':
      case 'notify_backup':
      case 'notify_fault':
      case 'notify_stop': {
        const argv = script(st, notes, true, idents);
        if (argv) notify[k.slice(7)] = argv;
        break;
      }
      case 'notify': {
        const argv = script(st, notes, true, idents);
        if (argv) notify.any = argv;
        break;
      }
      case 'garp_master_repeat':
        garp.repeat = int(a);
        break;
      case 'garp_master_delay':
        garp.delay = sec(a);
        break;
      case 'garp_master_refresh':
        garp.refresh = sec(a);
        break;
      case 'garp_master_refresh_repeat':
        garp.refresh_repeat = int(a);
        break;
      case 'smtp_alert':
        mailFlag(st, v, notes);
        break;
      case 'debug':
        notes.push(noted(st, "'debug' does nothing in keepalived either"));
        break;
      case 'virtual_routes':
      case 'virtual_rules': {
        const rn: RouteNote[] = [];
        g.rulePriority ??= { 4: RULE_START_PRIORITY, 6: RULE_START_PRIORITY };
        const counter = g.rulePriority;
        const list = (st.block ?? [])
          .map((x) => (k === 'virtual_routes' ? importRoute(x, rn) : importRule(x, rn, counter)))
          .filter((x) => x !== null);
        for (const n of rn) notes.push({ ...at(n.st), text: n.text, dropped: n.dropped });
        if (list.some((x) => x.no_track !== true))
          notes.push(
            noted(
              st,
              `one of these deleted by hand while MASTER: keepalived leaves MASTER and takes it again; vrrpd puts it back and stays MASTER (no_track: neither)`,
            ),
          );
        if (list.length) v[k] = [...((v[k] as Obj[] | undefined) ?? []), ...list];
        break;
      }
      default:
        notes.push(unhandled(st, 'vrrp_instance'));
    }
  }
  // keepalived clears nopreempt and preempt_delay with state MASTER (and reports it)
  if (stateMaster && nopreemptSt && v.preempt === false) {
    delete v.preempt;
    notes.push(skipped(nopreemptSt, 'keepalived clears nopreempt with state MASTER: the instance preempts'));
  }
  if (stateMaster && preemptDelaySt) {
    delete v.preempt_delay;
    notes.push(skipped(preemptDelaySt, 'keepalived clears preempt_delay with state MASTER: no delay'));
  }
  // the family is that of the first VIP; keepalived ignores VIPs of the other family
  const family = vips[0]?.family ?? (nativeV6 ? 6 : undefined);
  if (nativeV6 && family === 6) notes.push(noted(nativeV6, 'native_ipv6: an IPv6 VRRPv3 instance'));
  else if (nativeV6)
    notes.push(noted(nativeV6, 'native_ipv6 with IPv4 addresses is ignored, as keepalived ignores it'));
  const advertised: string[] = [];
  const seen = new Set<string>();
  const dup = (x: { text: string; st: KaStatement }): boolean => {
    const a = parseCidr(x.text.split(' ')[0]!)!.address;
    if (!seen.has(a)) {
      seen.add(a);
      return false;
    }
    notes.push(skipped(x.st, `${a} is already a VIP of this instance: the first entry is kept`));
    return true;
  };
  for (const x of vips) {
    if (dup(x)) continue;
    if (family !== undefined && x.family !== family) {
      notes.push(
        skipped(
          x.st,
          `it is IPv${x.family} in an IPv${family} instance: keepalived ignores it (use virtual_ipaddress_excluded)`,
        ),
      );
    } else advertised.push(x.text);
  }
  const out: string[] = [...advertised];
  const outExcluded: string[] = [];
  for (const x of excluded) {
    if (dup(x)) continue;
    if (family !== undefined) outExcluded.push(x.text);
    else
      notes.push(
        skipped(
          x.st,
          'the instance has no virtual_ipaddress: in vrrpd the first VIP is advertised and sets the family',
        ),
      );
  }
  // keepalived: version from the instance, else global vrrp_version (default 2); IPv6 forces 3
  const ver = family === 6 ? 3 : (version ?? g.vrrpVersion);
  const advert = Number(advertSt?.words[1]);
  if (ver === 2 && advertSt && Number.isFinite(advert) && !Number.isInteger(advert)) {
    // keepalived rounds a VRRPv2 advert_int to whole seconds (and reports it)
    const rounded = Math.max(1, Math.round(advert));
    v.advert_interval = `${rounded}s`;
    notes.push(
      skipped(
        advertSt,
        `VRRPv2 adverts are whole seconds: keepalived rounds it to ${rounded}s, and so does the import`,
      ),
    );
  }
  if (family === 6 && version === 2) notes.push(noted(s, 'version 3: keepalived uses VRRPv3 for IPv6'));
  if (hmac) {
    if (hmac.active === undefined || !hmac.keys.includes(hmac.active)) {
      notes.push(
        skipped(
          hmac.st,
          hmac.active === undefined
            ? 'it has no active_key: keepalived disables auth_hmac then, and runs unauthenticated'
            : `active_key ${hmac.active} is not one of its keys: keepalived disables auth_hmac then, and runs unauthenticated`,
        ),
      );
    } else {
      if (strict && hmac.value.mode !== undefined && hmac.value.mode !== 'enforce') {
        notes.push(noted(hmac.st, 'mode enforce: keepalived forces it in strict mode'));
        hmac.value.mode = 'enforce';
      }
      v.auth_hmac = hmac.value;
      if (auth) {
        notes.push(
          skipped(auth.st, 'keepalived drops the legacy authentication block when auth_hmac is configured'),
        );
        auth = undefined;
      }
    }
  }
  if (auth) {
    if (auth.ah)
      notes.push(
        skipped(
          auth.st,
          'vrrpd has no IPsec AH authentication: the instance is imported without authentication, and will not talk to an AH peer',
        ),
      );
    else if (ver === 3)
      notes.push(noted(auth.st, 'authentication dropped: keepalived ignores it for VRRPv3 too'));
    else if (auth.pass !== undefined) v.auth_pass = auth.pass.slice(0, 8);
  }
  if (mcastSrc && mcastSrc.words[1] !== undefined) {
    if (!(v.unicast_peers as string[] | undefined)?.length) v.mcast_src = mcastSrc.words[1];
    else if (unicastSrc)
      notes.push(skipped(mcastSrc, 'unicast_src_ip sets the same source address: its value is kept'));
    else {
      v.unicast_src = mcastSrc.words[1];
      notes.push(noted(mcastSrc, 'mcast_src_ip with unicast peers: the source of the unicast adverts'));
    }
  }
  if (!checkUnicastSrc && peersSt && (v.unicast_peers as unknown[] | undefined)?.length)
    notes.push({
      ...at(peersSt),
      text: "keepalived's acceptance of unicast adverts from any source address (it has no check_unicast_src here): vrrpd accepts them only from its unicast_peers, as with check_unicast_src; list every address a peer sends from",
      dropped: true,
    });
  if (unicastTtl && !(v.unicast_peers as Obj[] | undefined)?.length) {
    delete v.unicast_ttl;
    notes.push(skipped(unicastTtl, 'keepalived ignores unicast_ttl without unicast peers'));
  }
  if (unicastSrc && !(v.unicast_peers as unknown[] | undefined)?.length) {
    // keepalived 2.2: a unicast keyword without peers falls back to multicast (deprecated),
    // the address still being the adverts' source
    delete v.unicast_src;
    v.mcast_src ??= unicastSrc.words[1];
    notes.push(
      noted(
        unicastSrc,
        'unicast_src_ip without unicast_peer: keepalived sends multicast from it (deprecated), so it is mcast_src',
      ),
    );
  }
  if (accept === undefined) {
    // keepalived: accept mode is on unless strict mode is
    accept = !strict;
    if (accept) notes.push(noted(s, "accept: true written out: keepalived's default outside strict mode"));
  }
  if (family === 6 && g.gnaInterval !== undefined && garp.interval === undefined)
    garp.interval = g.gnaInterval;
  // the tracks of its sync group, after its own (one track per name)
  for (const key of ['track_interfaces', 'track_scripts', 'track_files', 'track_processes'] as const) {
    const extra = groupTracks?.[key] ?? [];
    if (extra.length === 0) continue;
    const own = (v[key] as (string | Obj)[] | undefined) ?? [];
    const nameOf = (t: string | Obj): string => (typeof t === 'string' ? t : String(t.interface ?? t.name));
    const seen = new Set(own.map(nameOf));
    v[key] = [...own, ...extra.filter((t) => !seen.has(nameOf(t)))];
  }
  const { name, interface: ifname, vrid, ...rest } = v;
  const value: Obj = { name, interface: ifname, vrid, version: ver, ...rest, accept };
  value.virtual_ips = out;
  if (outExcluded.length) value.virtual_ips_excluded = outExcluded;
  finishInstanceKnobs(
    knobs,
    value,
    garp,
    {
      strict,
      globalDefaults: g.global.vrrp_defaults as Obj | undefined,
      vipTexts: [...out, ...outExcluded],
      vipStatements: [...vips, ...excluded].map((x) => x.st),
    },
    notes,
  );
  if (Object.keys(garp).length) value.garp = garp;
  notifyIdentity(idents, notify, notes);
  if (Object.keys(notify).length) value.notify = notify;
  return { value, notes };
}

function convertSyncGroup(
  s: KaStatement,
  instanceNames: Set<string>,
  scripts: ScriptInfo,
): { unit: Unit; members: string[]; trackingWeight: boolean; tracks: GroupTracks } {
  const notes: ImportNote[] = [];
  const v: Obj = { name: s.words[1] };
  const notify: Obj = {};
  const idents: Identities = [];
  const members: string[] = [];
  let trackingWeight = false;
  const tracks: GroupTracks = {
    track_interfaces: [],
    track_scripts: [],
    track_files: [],
    track_processes: [],
  };
  for (const st of s.block ?? []) {
    const k = st.words[0];
    if (k === 'group' && members.length)
      notes.push(skipped(st, 'keepalived uses the first group list of a sync group and ignores the others'));
    else if (k === 'group') {
      for (const x of st.block ?? []) {
        for (const m of x.words) {
          if (instanceNames.has(m)) members.push(m);
          else
            notes.push(
              skipped(x, `there is no vrrp_instance ${m}: keepalived leaves it out of the group too`),
            );
        }
      }
    } else if (
      k === 'notify_master' ||
      k === 'notify_backup' ||
      k === 'notify_fault' ||
      k === 'notify_stop'
    ) {
      const argv = script(st, notes, true, idents);
      if (argv) notify[k.slice(7)] = argv;
    } else if (k === 'notify') {
      const argv = script(st, notes, true, idents);
      if (argv) notify.any = argv;
    } else if (k === 'sync_group_tracking_weight' || k === 'global_tracking') {
      trackingWeight = true;
      notes.push(noted(st, `'${k}': the members keep their tracking weights`));
    } else if (k === 'smtp_alert') mailFlag(st, v, notes);
    else if (k === 'track_interface' || k === 'track_script') {
      // keepalived: a sync group's tracks act on every member, weights included
      const list =
        k === 'track_interface'
          ? (st.block ?? []).map((x) => tracked(x, 'interface', notes, false))
          : (st.block ?? []).map((x) => scriptTrack(x, notes, false, scripts));
      tracks[`${k}s` as keyof GroupTracks].push(...list.filter((x) => x !== undefined));
      notes.push(noted(st, `'${k}' of the sync group: written into each member instance`));
    } else if (k === 'track_file' || k === 'track_process') {
      // keepalived: the group's tracks act on every member, with the group's weights
      const kind = k === 'track_file' ? 'file' : 'process';
      const known = (kind === 'file' ? scripts.trackFiles : scripts.trackProcesses) ?? new Map();
      tracks[`${k === 'track_file' ? 'track_files' : 'track_processes'}`].push(
        ...trackerRefs(st, kind, known, false, TRACKER_NOTES, notes, definedBefore(scripts, s, kind)),
      );
      notes.push(noted(st, `'${k}' of the sync group: written into each member instance`));
    } else if (k === 'track_bfd') notes.push(skipped(st, WHY[k]!));
    else notes.push(unhandled(st, 'vrrp_sync_group'));
  }
  v.instances = members;
  notifyIdentity(idents, notify, notes);
  if (Object.keys(notify).length) v.notify = notify;
  return { unit: { value: v, notes }, members, trackingWeight, tracks };
}

interface GroupTracks {
  track_interfaces: (string | Obj)[];
  track_scripts: (string | Obj)[];
  track_files: (string | Obj)[];
  track_processes: (string | Obj)[];
}

const CHECKS: Record<string, string> = {
  HTTP_GET: 'http',
  SSL_GET: 'https',
  TCP_CHECK: 'tcp',
  MISC_CHECK: 'script',
  ...MORE_CHECKS,
};
const UNSUPPORTED_CHECKS = ['BFD_CHECK'];

/** "200-299 404" → ['200-299', 404] (vrrpd's status takes ranges as keepalived writes them) */
function statusCodes(st: KaStatement, words: string[], notes: ImportNote[]): (number | string)[] {
  const out: (number | string)[] = [];
  for (const w of words) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(w);
    if (!m || Number(m[1]) < 100 || Number(m[2] ?? m[1]) > 599) {
      notes.push(skipped(st, `'${w}' is not a status code or range`));
      continue;
    }
    out.push(m[2] === undefined ? Number(m[1]) : w);
  }
  return out;
}

const urlWithPath = (x: KaStatement): boolean =>
  x.words[0] === 'url' && (x.block ?? []).some((u) => u.words[0] === 'path');

/** keepalived checker defaults that differ from vrrpd's check_defaults */
function checkerDefaults(type: string): Obj {
  // connect_timeout 5 s (vrrpd 1 s); delay_before_retry 3 s for HTTP_GET/SSL_GET (vrrpd 1 s);
  // MISC_CHECK: retry 0 (vrrpd 1)
  if (type === 'http' || type === 'https') return { timeout: '5s', retry_delay: '3s' };
  if (type === 'tcp') return { timeout: '5s' };
  if (type !== 'script') return moreCheckerDefaults(type);
  return { retry: 0 };
}

interface Inherited {
  /** check timing from the virtual server or real server (keepalived: VS → RS → checker) */
  timing: Obj;
  host?: string;
  delayLoop: string;
  /** keepalived defaults written out for this virtual server, for its comment */
  written: Set<string>;
}

const DEFAULT_TEXT: Record<string, string> = {
  timeout: 'connect_timeout 5s',
  retry_delay: 'delay_before_retry 3s (HTTP_GET/SSL_GET)',
  retry: 'retry 0 (MISC_CHECK)',
};

function convertCheck(st: KaStatement, notes: ImportNote[], inh: Inherited): Obj | undefined {
  const type = CHECKS[st.words[0]!]!;
  const c: Obj = { type, ...checkerDefaults(type), ...inh.timing };
  /** keepalived checks every url with a path; vrrpd: one url in the check, several in urls */
  const urls: Obj[] = [];
  const explicit = new Set<string>(Object.keys(inh.timing));
  for (const x of st.block ?? []) {
    const key = {
      connect_timeout: 'timeout',
      misc_timeout: 'timeout',
      retry: 'retry',
      nb_get_retry: 'retry',
      delay_before_retry: 'retry_delay',
    }[x.words[0] as 'retry'];
    if (key) explicit.add(key);
    const [k, a, b] = x.words;
    if (moreCheckKey(x, type, c, notes)) continue;
    if (k === 'connect_port' && type !== 'script') c.port = int(a);
    else if (k === 'connect_timeout' && type !== 'script') c.timeout = sec(a);
    else if (k === 'bindto' && type !== 'script') c.bind_address = a;
    else if (k === 'retry' || k === 'nb_get_retry') c.retry = int(a);
    else if (k === 'delay_before_retry') c.retry_delay = sec(a);
    else if (k === 'delay_loop') c.interval = sec(a);
    else if (k === 'virtualhost' && type !== 'script') c.host = a;
    else if (k === 'misc_path' && type === 'script') {
      const argv = script(x, notes, false);
      if (argv) c.command = argv;
    } else if (k === 'misc_timeout' && type === 'script') c.timeout = sec(a);
    else if (k === 'user' && type === 'script' && a !== undefined) {
      c.user = a;
      if (b !== undefined) c.group = b;
    } else if (k === 'http_protocol' && type !== 'script' && type !== 'tcp' && a === '1.1')
      notes.push(noted(x, "'http_protocol 1.1': vrrpd sends HTTP/1.1 with Connection: close"));
    else if (k === 'http_protocol' && type !== 'script' && type !== 'tcp')
      notes.push(skipped(x, `vrrpd sends HTTP/1.1 with Connection: close, not HTTP/${a ?? ''}`));
    else if (k === 'enable_sni' && type === 'https')
      notes.push(noted(x, "'enable_sni': vrrpd sends the host as SNI"));
    else if (k === 'url' && !urlWithPath(x))
      notes.push(skipped(x, 'keepalived ignores a url without path, and so does the import'));
    else if (k === 'url') {
      const url: Obj = {};
      urls.push(url);
      for (const u of x.block ?? []) {
        const [uk, ua] = u.words;
        if (uk === 'path') url.path = ua;
        else if (uk === 'status_code') url.status = statusCodes(u, u.words.slice(1), notes);
        else if (uk === 'digest') url.digest = ua;
        else if (uk === 'virtualhost') url.host = ua;
        else if (uk === 'regex' && ua !== undefined && !/[\\^$.|?*+()[\]{}]/.test(ua)) {
          // a regex without metacharacters is a substring: vrrpd's expect_body
          url.expect_body = ua;
        } else if (uk === 'regex')
          notes.push(
            skipped(
              u,
              'vrrpd matches a plain substring (expect_body), not a regular expression: the body is not checked',
            ),
          );
        else if (uk === 'regex_no_match')
          notes.push(skipped(u, 'vrrpd has no negated body match: the body is not checked'));
        else notes.push(unhandled(u, 'url'));
      }
    } else if (k === 'alpha') c.alpha = bool(a) ?? true;
    else if (
      k === 'warmup' ||
      k === 'log_all_failures' ||
      k === 'connect_ip' ||
      k === 'bind_port' ||
      k === 'bind_if' ||
      k === 'fwmark' ||
      k === 'fast_recovery' ||
      k === 'misc_dynamic'
    )
      notes.push(skipped(x, `vrrpd checks have no '${k}'`));
    else notes.push(unhandled(x, st.words[0]!));
  }
  for (const k of Object.keys(checkerDefaults(type))) {
    if (!explicit.has(k)) inh.written.add(moreDefaultText(type, k) ?? DEFAULT_TEXT[k]!);
  }
  if (type in MORE_CHECK_TYPES) return finishMoreCheck(st, c, notes, inh.delayLoop, explicit);
  if (type === 'script') {
    // keepalived: a MISC_CHECK without misc_timeout may run for delay_loop
    if (c.timeout === undefined) {
      c.timeout = c.interval ?? inh.delayLoop;
      inh.written.add('misc_timeout = delay_loop (MISC_CHECK)');
    }
  }
  if (type === 'http' || type === 'https') {
    for (const u of urls) {
      // keepalived's default accepts any 2xx (digest or not); vrrpd's default is [200]
      if (u.status === undefined) {
        u.status = ['200-299'];
        inh.written.add('status_code 200-299');
      }
    }
    // one url: its keys in the check, as written by hand; several: urls (all must pass)
    if (urls.length === 1) Object.assign(c, urls[0]);
    else if (urls.length > 1) c.urls = urls;
  }
  if (c.host === undefined && inh.host !== undefined && (type === 'http' || type === 'https'))
    c.host = inh.host;
  return c;
}

function convertVirtualServer(s: KaStatement): Unit {
  const notes: ImportNote[] = [];
  const [, a, b] = s.words;
  const v: Obj =
    a === 'fwmark'
      ? { fwmark: int(b) }
      : a === 'group'
        ? { group: b }
        : { address: a, ...(b !== undefined ? { port: int(b) } : {}) };
  const defaults: Obj = {};
  const vsTiming: Obj = {};
  /** statements that only matter to checks */
  const forChecks: KaStatement[] = [];
  const reals: KaStatement[] = [];
  let sorryInhibit: KaStatement | undefined;
  let sorryMethod: Obj | undefined;
  let sorryMethodSt: KaStatement | undefined;
  let host: string | undefined;
  let flag1: KaStatement | undefined;
  let flag2: KaStatement | undefined;
  const quorumIds: Identities = [];
  for (const st of s.block ?? []) {
    const [k, x, y] = st.words;
    switch (k) {
      case 'delay_loop':
        defaults.interval = sec(x);
        break;
      case 'connect_timeout':
        vsTiming.timeout = sec(x);
        forChecks.push(st);
        break;
      case 'retry':
        vsTiming.retry = int(x);
        forChecks.push(st);
        break;
      case 'delay_before_retry':
        vsTiming.retry_delay = sec(x);
        forChecks.push(st);
        break;
      case 'lb_algo':
      case 'lvs_sched':
        v.scheduler = x;
        break;
      case 'lb_kind':
      case 'lvs_method': {
        const m = lvsMethod(st, st.words.slice(1), notes);
        if (m) Object.assign(v, m);
        break;
      }
      case 'protocol':
        v.protocol = x?.toLowerCase();
        break;
      case 'persistence_timeout':
        // keepalived: persistence_timeout without a value is 6 minutes
        v.persistence_timeout = x === undefined ? '6m' : sec(x);
        break;
      case 'persistence_granularity':
        v.persistence_netmask = /^\d+$/.test(x ?? '') ? int(x) : x;
        break;
      case 'ip_family':
        v.family = x;
        break;
      case 'sorry_server':
        v.sorry_server = { address: x, ...(y !== undefined ? { port: int(y) } : {}) };
        break;
      case 'sorry_server_inhibit':
        // keepalived 2.2 ignores it before (or without) sorry_server, with a config error
        if (v.sorry_server) sorryInhibit = st;
        else
          notes.push(skipped(st, 'keepalived ignores sorry_server_inhibit before or without sorry_server'));
        break;
      case 'sorry_server_lvs_method': {
        const m = lvsMethod(st, st.words.slice(1), notes);
        if (m?.tun_type !== undefined && m.tun_type !== 'ipip')
          notes.push(
            skipped(
              st,
              `vrrpd's sorry server has no tunnel type: '${String(m.tun_type)}' is not carried over`,
            ),
          );
        if (m) sorryMethod = { forwarding: m.forwarding };
        sorryMethodSt = st;
        break;
      }
      case 'quorum':
      case 'hysteresis':
        v[k] = int(x);
        break;
      case 'quorum_up':
      case 'quorum_down': {
        const argv = script(st, notes, true, quorumIds);
        if (argv) v[k] = argv;
        break;
      }
      case 'alpha':
        v.alpha = bool(x) ?? true;
        break;
      case 'ops':
        v.ops = true;
        break;
      case 'sh-port':
      case 'sh-fallback':
      case 'mh-port':
      case 'mh-fallback':
        v[k.replace('-', '_')] = true;
        break;
      case 'flag-1':
        flag1 = st;
        break;
      case 'flag-2':
        flag2 = st;
        break;
      case 'virtualhost':
        v.virtualhost = x;
        host = x;
        break;
      case 'inhibit_on_failure':
        // keepalived: the default of its real servers, on whatever argument (it reads none)
        v.inhibit_on_failure = true;
        if (x !== undefined && bool(x) !== true)
          notes.push(
            noted(st, `keepalived ignores '${x}' here: inhibit_on_failure on a virtual server is always on`),
          );
        break;
      case 'real_server':
        reals.push(st);
        break;
      case 'smtp_alert':
        mailFlag(st, v, notes);
        break;
      case 'omega':
        v.omega = true;
        break;
      case 'ha_suspend':
        if (v.address !== undefined) v.ha_suspend = true;
        else
          notes.push(
            skipped(
              st,
              v.fwmark !== undefined
                ? 'keepalived clears ha_suspend on a fwmark service (it has no address), and so does the import'
                : 'keepalived 2.2/2.4 never finds the address of a virtual_server group, so its checks would stay suspended; vrrpd takes ha_suspend only on a service with an address',
            ),
          );
        break;
      default:
        notes.push(unhandled(st, 'virtual_server'));
    }
  }
  // flag-1/flag-2 are sh-fallback/sh-port for sh, mh-fallback/mh-port for mh (ipvsadm -b)
  for (const [st, what] of [
    [flag1, 'fallback'],
    [flag2, 'port'],
  ] as const) {
    if (!st) continue;
    if (v.scheduler === 'sh' || v.scheduler === 'mh') v[`${v.scheduler}_${what}`] = true;
    else
      notes.push(
        skipped(st, `scheduler flags mean something only for sh and mh, not ${String(v.scheduler ?? 'wlc')}`),
      );
  }
  if (v.protocol === undefined && v.fwmark === undefined) {
    // keepalived 2.2 defaults to UDP here (and reports it); vrrpd's default is tcp
    v.protocol = 'udp';
    notes.push(
      noted(s, "protocol: udp written out: keepalived's default when protocol is absent (vrrpd: tcp)"),
    );
  }
  notifyIdentity(quorumIds, v, notes, {
    user: 'quorum_user',
    group: 'quorum_group',
    owner: 'quorum_up and quorum_down of one virtual server',
  });
  if (sorryInhibit) (v.sorry_server as Obj).inhibit = true;
  if (sorryMethod && v.sorry_server) Object.assign(v.sorry_server as Obj, sorryMethod);
  else if (sorryMethod && sorryMethodSt) notes.push(skipped(sorryMethodSt, 'there is no sorry_server'));
  // keepalived's delay_loop default is 60 s (vrrpd: 2 s)
  const written = new Set<string>();
  if (defaults.interval === undefined) {
    defaults.interval = '60s';
    written.add('delay_loop 60s');
  }
  v.check_defaults = defaults;
  const realNotes: ImportNote[][] = [];
  v.real_servers = reals.map((st) => {
    const rn: ImportNote[] = [];
    realNotes.push(rn);
    return convertRealServer(st, rn, {
      timing: vsTiming,
      ...(host !== undefined ? { host } : {}),
      delayLoop: String(defaults.interval),
      written,
    });
  });
  const checked = (r: Obj): boolean => r.check !== undefined || r.checks !== undefined;
  if (written.size && (v.real_servers as Obj[]).some(checked))
    notes.push(noted(s, `keepalived defaults written out where vrrpd's differ: ${[...written].join(', ')}`));
  if (!(v.real_servers as Obj[]).some(checked)) {
    for (const st of forChecks)
      notes.push(noted(st, `'${st.words[0]}' has no effect: no real server has a check`));
  }
  // keepalived: a real server's own lvs_method replaces the whole virtual server setting; in
  // vrrpd tun_port is inherited alone, so move the virtual server's tunnel to its real servers
  const rs = v.real_servers as Obj[];
  if (v.tun_port !== undefined && rs.some((r) => r.forwarding !== undefined && r.tun_type !== 'gue')) {
    for (const r of rs) {
      if (r.forwarding === undefined)
        Object.assign(r, {
          tun_type: v.tun_type,
          tun_port: v.tun_port,
          ...(v.tun_checksum !== undefined ? { tun_checksum: v.tun_checksum } : {}),
        });
    }
    delete v.tun_type;
    delete v.tun_port;
    delete v.tun_checksum;
  }
  portsAsKeepalived(v, reals, realNotes);
  return { value: v, notes, realNotes };
}

/** check types that probe a port (the others run a script, read a file or ping) */
const PORT_CHECKS = new Set(['tcp', 'http', 'https', 'smtp', 'dns', 'udp']);

/**
 * keepalived, for a service with an address and a port: a real server written without a port
 * takes the service's, and a DR or TUN real server's port is reset to the service's (IPVS does
 * not change the port for them; keepalived warns "ports don't match - resetting"). For a fwmark
 * service, a DR or TUN real server's port is cleared ("has port specified - clearing"). Either
 * way its checks keep probing the port written: they took their destination before the reset.
 */
function portsAsKeepalived(v: Obj, reals: KaStatement[], realNotes: ImportNote[][]): void {
  const fwmark = v.fwmark !== undefined;
  if (!fwmark && typeof v.port !== 'number') return;
  const rs = v.real_servers as Obj[];
  rs.forEach((r, j) => {
    const { address, port: written, ...rest } = r;
    if (written === undefined) {
      if (!fwmark) rs[j] = { address, port: v.port, ...rest };
      return;
    }
    const method = String(r.forwarding ?? v.forwarding ?? 'nat');
    if (method === 'nat' || written === (fwmark ? 0 : v.port)) return;
    rs[j] = fwmark ? { address, ...rest } : { address, port: v.port, ...rest };
    const checks = [...(r.check ? [r.check as Obj] : []), ...((r.checks as Obj[] | undefined) ?? [])];
    const kept = checks.filter((c) => c.port === undefined && PORT_CHECKS.has(String(c.type)));
    for (const c of kept) c.port = written;
    const what = fwmark
      ? `keepalived clears a ${method} real server's port under a fwmark service (IPVS does not change the port for ${method})`
      : `keepalived resets a ${method} real server's port to the virtual server's (IPVS does not change the port for ${method}): port ${String(v.port)}`;
    realNotes[j]?.push(
      noted(
        reals[j]!,
        `${what}${kept.length ? `; its checks keep probing port ${String(written)}, as keepalived's do` : ''}`,
      ),
    );
  });
}

function convertRealServer(s: KaStatement, notes: ImportNote[], vs: Inherited): Obj {
  const [, a, b] = s.words;
  const r: Obj = { address: a };
  if (b !== undefined) r.port = int(b);
  const timing: Obj = { ...vs.timing };
  let host = vs.host;
  const checks: KaStatement[] = [];
  const forChecks: KaStatement[] = [];
  const notifyIds: Identities = [];
  for (const st of s.block ?? []) {
    const [k, x] = st.words;
    if (k === 'weight') r.weight = int(x);
    else if (k === 'inhibit_on_failure') r.inhibit_on_failure = bool(x) ?? true;
    else if (k === 'uthreshold') r.upper_threshold = int(x);
    else if (k === 'lthreshold') r.lower_threshold = int(x);
    else if (k === 'notify_up' || k === 'notify_down') {
      const argv = script(st, notes, true, notifyIds);
      if (argv) r[k] = argv;
    } else if (k === 'lvs_method' || k === 'lb_kind') {
      const m = lvsMethod(st, st.words.slice(1), notes);
      if (m) Object.assign(r, m);
    } else if (k === 'connect_timeout') {
      timing.timeout = sec(x);
      forChecks.push(st);
    } else if (k === 'retry') {
      timing.retry = int(x);
      forChecks.push(st);
    } else if (k === 'delay_before_retry') {
      timing.retry_delay = sec(x);
      forChecks.push(st);
    } else if (k === 'delay_loop') {
      timing.interval = sec(x);
      forChecks.push(st);
    } else if (k === 'virtualhost') {
      host = x;
      forChecks.push(st);
    } else if (k !== undefined && (CHECKS[k] || UNSUPPORTED_CHECKS.includes(k))) checks.push(st);
    else if (k === 'smtp_alert') mailFlag(st, r, notes);
    else if (k === 'alpha') r.alpha = bool(x) ?? true;
    else if (k === 'warmup') notes.push(skipped(st, `vrrpd has no per-real-server '${k}'`));
    else notes.push(unhandled(st, 'real_server'));
  }
  notifyIdentity(notifyIds, r, notes, {
    user: 'notify_user',
    group: 'notify_group',
    owner: 'notify_up and notify_down of one real server',
  });
  // keepalived ignores an HTTP_GET/SSL_GET without url and a MISC_CHECK without misc_path
  const ignored = (c: KaStatement): string | undefined => {
    const k = c.words[0]!;
    const has = (w: string): boolean => (c.block ?? []).some((x) => x.words[0] === w);
    if ((k === 'HTTP_GET' || k === 'SSL_GET') && !(c.block ?? []).some(urlWithPath))
      return 'it has no url with a path';
    if (k === 'MISC_CHECK' && !has('misc_path')) return 'it has no misc_path';
    return undefined;
  };
  for (const c of checks.filter((c) => ignored(c))) {
    notes.push(skipped(c, `keepalived ignores this checker (${ignored(c)}), and so does the import`));
  }
  const usable = checks.filter((c) => !ignored(c));
  // keepalived needs every checker up, and so does vrrpd: one check, or all of them in checks
  const supported = usable.filter((c) => CHECKS[c.words[0]!]);
  for (const c of usable) {
    const k = c.words[0]!;
    if (CHECKS[k]) continue;
    notes.push(
      skipped(
        c,
        supported.length
          ? `vrrpd has no ${k}: only the other checks of this real server (${supported.map((x) => x.words[0]).join(', ')}) are checked`
          : `vrrpd has no ${k}: THIS REAL SERVER IS UNCHECKED and counts as always up in vrrpd`,
      ),
    );
  }
  const inh: Inherited = {
    timing,
    delayLoop: vs.delayLoop,
    written: vs.written,
    ...(host !== undefined ? { host } : {}),
  };
  const converted = supported
    .map((c) => convertCheck(c, notes, inh))
    .filter((c): c is Obj => c !== undefined);
  if (converted.length === 1) r.check = converted[0];
  else if (converted.length > 1) r.checks = converted;
  // keepalived e-mails real-server changes by default unless smtp_alert_checker/smtp_alert say otherwise
  if (mail.on && r.smtp_alert === undefined && mail.rsDefault !== mail.checker) r.smtp_alert = mail.rsDefault;
  const anyHttp = converted.some((c) => ['http', 'https'].includes(String(c.type)));
  if (converted.length === 0 || (host !== undefined && !anyHttp)) {
    for (const st of forChecks) {
      if (converted.length === 0 || st.words[0] === 'virtualhost')
        notes.push(noted(st, `'${st.words[0]}' has no effect: no check of this real server uses it`));
    }
  }
  return r;
}

/**
 * virtual_server_group NAME { ADDRESS|RANGE [PORT] ... fwmark N [inet|inet6] ... } →
 * virtual_server_groups[] (vrrpd reads the same address and range forms). keepalived skips
 * a bad entry with a config error, and so does the import.
 */
function convertVsGroup(s: KaStatement): Unit {
  const notes: ImportNote[] = [];
  const entries: Obj[] = [];
  for (const e of s.block ?? []) {
    const [a, b, c] = e.words;
    if (a === 'fwmark') {
      if (!/^\d+$/.test(b ?? '') || int(b) === 0) {
        notes.push(skipped(e, `'${b ?? ''}' is not a firewall mark 1-4294967295: keepalived skips it too`));
        continue;
      }
      if (c !== undefined && c !== 'inet' && c !== 'inet6') {
        notes.push(skipped(e, `'${c}' is not inet or inet6: keepalived skips this entry too`));
        continue;
      }
      entries.push({ fwmark: int(b), ...(c !== undefined ? { family: c } : {}) });
      continue;
    }
    const r = addressRange(a ?? '');
    if ('error' in r && !/^[0-9a-fA-F:.]/.test(a ?? '')) {
      notes.push(unhandled(e, 'virtual_server_group'));
      continue;
    }
    if ('error' in r) {
      notes.push(skipped(e, `${r.error}: keepalived skips this entry too`));
      continue;
    }
    if (b !== undefined && !/^\d+$/.test(b)) {
      notes.push(skipped(e, `'${b}' is not a port: keepalived skips this entry too`));
      continue;
    }
    // keepalived: port 0 or none is no port
    entries.push({ address: a, ...(b !== undefined && int(b) !== 0 ? { port: int(b) } : {}) });
  }
  return { value: { name: s.words[1] ?? '', entries }, notes };
}

/** in file order: the main file first, then the included ones */
/**
 * In file order (the main file first, then the included ones), and one note per statement:
 * several reasons about one line become one note (one comment, one warning line).
 */
function byLine(notes: ImportNote[]): ImportNote[] {
  const sorted = [...notes].sort(
    (x, y) =>
      (x.file ?? '').localeCompare(y.file ?? '') || x.line - y.line || Number(y.dropped) - Number(x.dropped),
  );
  // each group: its first note, then its reasons in order, a reason repeated counted once
  // (a ~SEQ line repeats its statement: one reason, not one per repetition)
  const groups: { first: ImportNote; head: string | undefined; reasons: Map<string, number> }[] = [];
  for (const n of sorted) {
    const g = groups.at(-1);
    const prev = g?.first;
    if (
      g &&
      prev &&
      n.line !== 0 &&
      prev.line === n.line &&
      prev.file === n.file &&
      prev.dropped === n.dropped
    ) {
      const head = /^'.*?' because /.exec(n.text)?.[0];
      const rest = head && head === g.head ? n.text.slice(head.length) : n.text;
      g.reasons.set(rest, (g.reasons.get(rest) ?? 0) + 1);
    } else {
      const head = /^'.*?' because /.exec(n.text)?.[0];
      groups.push({ first: n, head, reasons: new Map([[head ? n.text.slice(head.length) : n.text, 1]]) });
    }
  }
  return groups.map(({ first, head, reasons }) => {
    if (reasons.size === 1 && [...reasons.values()][0] === 1) return first;
    const all = [...reasons].map(([r, k]) => (k > 1 ? `${r} (${k} times)` : r));
    return { ...first, text: (head ?? '') + all.join('; ') };
  });
}

/** Drops undefined values (a keepalived value that did not parse) so the YAML stays clean. */
function clean(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== undefined).map(clean);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => [k, clean(x)]),
    );
  }
  return v;
}

export interface ImportOptions extends KaReadOptions {
  /** the name in the header comment and warnings (default: the file, else keepalived.conf) */
  sourceName?: string;
}

export interface ImportResult {
  yaml: string;
  /** one line per statement not carried over: `SOURCE:LINE: not carried over: ... because ...` */
  warnings: string[];
}

const TOP_SKIP: Record<string, string> = {
  include: 'merge the included file by hand',
  bfd_instance: 'vrrpd has no BFD',
  static_ipaddress: 'vrrpd manages no static addresses: configure them with the system network configuration',
  static_routes: 'vrrpd manages no static routes: configure them with the system network configuration',
  static_rules: 'vrrpd manages no static rules: configure them with the system network configuration',
  garp_group: 'vrrpd has no per-interface GARP groups: use each instance garp settings',
  linkbeat_interfaces: 'vrrpd watches links with netlink only',
  track_group: 'vrrpd manages no static addresses to track',
  interface_up_down_delays: 'vrrpd has no interface debouncing delays',
  SSL: 'vrrpd https checks use no client certificate and do not verify the server (as keepalived without ca)',
  net_namespace: 'run vrrpd in the namespace instead (ip netns exec)',
  net_namespace_ipvs: 'vrrpd configures IPVS in its own namespace',
  namespace_with_ipsets: 'vrrpd uses no ipsets',
  instance: 'vrrpd names its files by its configuration (global.state_file, global.control_socket)',
  use_pid_dir: 'vrrpd writes no pid file (systemd tracks it)',
  linkbeat_use_polling: 'vrrpd watches links with netlink only',
  child_wait_time: 'vrrpd is one process',
};

/** keepalived.conf text → vrrpd YAML and the warnings (validate it with check-config before use). */
export function importKeepalivedConf(text: string, opts: ImportOptions = {}): ImportResult {
  const sourceName = opts.sourceName ?? opts.file ?? 'keepalived.conf';
  const g: GlobalState = {
    global: {},
    notes: [],
    vrrpVersion: 2,
    garp: {},
    strict: false,
    snmp: { on: false, traps: false },
    knobs: { defaults: {} },
  };
  const scripts: [string, Unit][] = [];
  const info: ScriptInfo = {
    unusable: new Map(),
    weights: new Map(),
    trackFiles: new Map(),
    trackProcesses: new Map(),
    topIndex: new Map(),
    trackerAt: new Map(),
  };
  const trackFilesOut: [string, Unit][] = [];
  const trackProcessesOut: [string, Unit][] = [];
  const instances: Unit[] = [];
  const groups: Unit[] = [];
  const servers: Unit[] = [];
  const read = readKeepalivedConf(text, opts);
  for (const n of read.notes) g.notes.push({ ...n });
  const top = read.statements;
  setTrackFiles(top);
  for (const [i, s] of top.entries()) info.topIndex!.set(s, i);
  // global_defs first: vrrp_version and garp defaults apply to every instance
  for (const s of top) if (s.words[0] === 'global_defs') convertGlobal(s.block ?? [], g);
  convertStartStop(g);
  const knobDefaults = finishGlobalKnobs(g.knobs, g.garp);
  if (knobDefaults) g.global.vrrp_defaults = knobDefaults;
  convertSnmp(g);
  convertMail(g);
  // sync groups and scripts before instances: both change how the instances' tracks carry over
  const members = new Set<string>();
  const vsGroups = new Map<string, Unit>();
  const instanceNames = new Set(
    top.filter((s) => s.words[0] === 'vrrp_instance' && s.words[1]).map((s) => s.words[1]!),
  );
  for (const s of top) {
    const k = s.words[0];
    const name = s.words[1];
    if ((k === 'track_file' || k === 'vrrp_track_file') && name && carryTrackFile(top, s)) {
      const u = convertTrackFile(s, TRACKER_NOTES);
      if (trackFileUsed(s))
        u.notes.unshift(
          noted(s, `track_file ${name} is carried over into the file checks that use it too (FILE_CHECK)`),
        );
      if (u.value.file === undefined)
        g.notes.push(skipped(s, 'it has no file: keepalived ignores it too'), ...u.notes);
      else {
        info.trackFiles!.set(name, typeof u.value.weight === 'number' ? u.value.weight : 1);
        info.trackerAt!.set(`file ${name}`, info.topIndex!.get(s)!);
        trackFilesOut.push([name, u]);
      }
    } else if (k === 'vrrp_track_process' && name) {
      const u = convertTrackProcess(s, TRACKER_NOTES);
      if (u.value.process === undefined)
        g.notes.push(skipped(s, 'it names no process: keepalived ignores it too'), ...u.notes);
      else {
        info.trackProcesses!.set(name, typeof u.value.weight === 'number' ? u.value.weight : 0);
        info.trackerAt!.set(`process ${name}`, info.topIndex!.get(s)!);
        trackProcessesOut.push([name, u]);
      }
    }
    if (k === 'vrrp_script' && s.words[1]) {
      const r = convertScript(s);
      info.weights.set(s.words[1], (r.unit.value.weight as number | undefined) ?? 0);
      if (r.unusable) {
        info.unusable.set(s.words[1], r.unusable);
        g.notes.push(...r.unit.notes);
        if (r.unit.notes.every((n) => !n.dropped))
          g.notes.push(skipped(s, `vrrp_script ${s.words[1]} is not carried over: ${r.unusable}`));
      } else scripts.push([s.words[1], r.unit]);
    } else if (k === 'virtual_server_group' && s.words[1]) {
      const u = convertVsGroup(s);
      if ((u.value.entries as Obj[]).length > 0) vsGroups.set(s.words[1], u);
      else {
        g.notes.push(...u.notes);
        g.notes.push(skipped(s, 'it has no usable entries: keepalived removes it too'));
      }
    }
  }
  const groupTracks = new Map<string, GroupTracks>();
  for (const s of top) {
    if (s.words[0] !== 'vrrp_sync_group') continue;
    const sg = convertSyncGroup(s, instanceNames, info);
    if (sg.members.length) groups.push(sg.unit);
    else {
      g.notes.push(...sg.unit.notes);
      g.notes.push(skipped(s, 'it has no group { ... } of instances: keepalived ignores it too'));
    }
    if (!sg.trackingWeight) for (const m of sg.members) members.add(m);
    for (const m of sg.members) groupTracks.set(m, sg.tracks);
  }
  for (const s of top) {
    const k = s.words[0];
    if (k === 'global_defs' || k === 'vrrp_sync_group' || (k === 'vrrp_script' && s.words[1])) continue;
    if (k === 'vrrp_instance') {
      const name = s.words[1] ?? '';
      instances.push(convertInstance(s, g, members.has(name), info, groupTracks.get(name)));
    } else if (k === 'virtual_server' && s.words[1] === 'group' && !vsGroups.has(s.words[2] ?? ''))
      g.notes.push(
        skipped(
          s,
          `there is no usable virtual_server_group '${s.words[2] ?? ''}': keepalived ignores it too`,
        ),
      );
    else if (k === 'virtual_server') servers.push(convertVirtualServer(s));
    else if (k === 'virtual_server_group' && s.words[1]) continue;
    else if (
      (k === 'track_file' || k === 'vrrp_track_file') &&
      s.words[1] &&
      info.trackFiles?.has(s.words[1])
    )
      continue;
    else if (k === 'vrrp_track_process' && s.words[1] && info.trackProcesses?.has(s.words[1])) continue;
    else if ((k === 'track_file' || k === 'vrrp_track_file') && trackFileUsed(s))
      g.notes.push(...trackFileNotes(s));
    else if (k === 'vrrp_track_process' || k === 'track_file' || k === 'vrrp_track_file') continue;
    else if (k !== undefined && TOP_SKIP[k]) g.notes.push(skipped(s, TOP_SKIP[k]));
    else g.notes.push(unhandled(s, 'the top level'));
  }
  // defaults around scripts that differ and cannot be written as keepalived's value
  const yamlSoFar = JSON.stringify([instances, groups, servers].map((us) => us.map((u) => u.value)));
  if (
    /"(notify|master|backup|fault|stop|any|quorum_up|quorum_down|notify_up|notify_down)":\[/.test(yamlSoFar)
  ) {
    g.notes.push({
      line: 0,
      text: 'keepalived never kills a notify script; vrrpd kills one after global.notify_timeout (default 10s): raise it if a script runs longer',
      dropped: false,
    });
  }
  if (/"type":"https?"/.test(yamlSoFar)) {
    g.notes.push({
      line: 0,
      text: "keepalived's HTTP_GET/SSL_GET send HTTP/1.0 unless http_protocol says otherwise; vrrpd sends HTTP/1.1 with Host and Connection: close",
      dropped: false,
    });
  }
  if (
    (scripts.length || /"command":\[/.test(yamlSoFar) || /"notify/.test(yamlSoFar)) &&
    g.global.script_user === undefined
  ) {
    g.notes.push({
      line: 0,
      text: 'keepalived runs scripts as keepalived_script when that user exists, else as root; vrrpd runs them as global.script_user, default the user vrrpd runs as',
      dropped: false,
    });
  }
  const out: Obj = {};
  if (Object.keys(g.global).length) out.global = g.global;
  if (scripts.length) out.vrrp_scripts = Object.fromEntries(scripts.map(([n, u]) => [n, u.value]));
  if (trackFilesOut.length) out.track_files = Object.fromEntries(trackFilesOut.map(([n, u]) => [n, u.value]));
  if (trackProcessesOut.length)
    out.track_processes = Object.fromEntries(trackProcessesOut.map(([n, u]) => [n, u.value]));
  if (instances.length) out.vrrp_instances = instances.map((u) => u.value);
  if (groups.length) out.vrrp_sync_groups = groups.map((u) => u.value);
  if (g.lvsSyncDaemon) out.lvs_sync_daemon = g.lvsSyncDaemon;
  if (g.lvsTimeouts) out.lvs_timeouts = g.lvsTimeouts;
  if (vsGroups.size) out.virtual_server_groups = [...vsGroups.values()].map((u) => u.value);
  if (servers.length) out.virtual_servers = servers.map((u) => u.value);

  const where = (n: ImportNote): string =>
    n.line === 0 ? '' : n.file ? ` (${n.file} line ${n.line})` : ` (line ${n.line})`;
  const comment = (n: ImportNote): string =>
    ` ${n.dropped ? 'not carried over' : 'note'}${where(n)}: ${n.text.replace(/\n/g, ' ')}`;
  const warnings: string[] = [];
  const warn = (n: ImportNote): void => {
    if (n.dropped)
      warnings.push(
        `${n.file ?? sourceName}${n.line ? `:${n.line}` : ''}: not carried over: ${n.text.replace(/\n/g, ' ')}`,
      );
  };
  const doc = new Document(clean(out));
  const note = (path: (string | number)[], notes: ImportNote[]): void => {
    if (notes.length === 0) return;
    const node = doc.getIn(path, true) as Node | undefined;
    if (node) node.commentBefore = byLine(notes).map(comment).join('\n');
  };
  // warnings in file order
  const all: ImportNote[] = [...g.notes];
  for (const [i, u] of instances.entries()) {
    note(['vrrp_instances', i], u.notes);
    all.push(...u.notes);
  }
  for (const [i, u] of groups.entries()) {
    note(['vrrp_sync_groups', i], u.notes);
    all.push(...u.notes);
  }
  for (const [i, u] of [...vsGroups.values()].entries()) {
    note(['virtual_server_groups', i], u.notes);
    all.push(...u.notes);
  }
  for (const [i, u] of servers.entries()) {
    note(['virtual_servers', i], u.notes);
    all.push(...u.notes);
    for (const [j, rn] of (u.realNotes ?? []).entries()) {
      note(['virtual_servers', i, 'real_servers', j], rn);
      all.push(...rn);
    }
  }
  for (const [n, u] of scripts) {
    note(['vrrp_scripts', n], u.notes);
    all.push(...u.notes);
  }
  for (const [n, u] of trackFilesOut) {
    note(['track_files', n], u.notes);
    all.push(...u.notes);
  }
  for (const [n, u] of trackProcessesOut) {
    note(['track_processes', n], u.notes);
    all.push(...u.notes);
  }
  for (const n of byLine(all)) warn(n);
  const header = [
    ` vrrpd configuration imported from ${sourceName}`,
    ' check it with: vrrpd check-config FILE',
    ...(warnings.length
      ? [` ${warnings.length} statement(s) not carried over: see the 'not carried over' comments`]
      : []),
    ...byLine(g.notes).map(comment),
  ];
  doc.commentBefore = header.join('\n');
  // flow style for short lists reads like the hand-written examples
  const flowLists = (n: unknown): void => {
    if (isSeq(n) && n.items.every((x) => !isMap(x) && !isSeq(x))) n.flow = true;
    if (isMap(n) || isSeq(n))
      for (const it of n.items) flowLists(isMap(n) ? (it as { value: unknown }).value : it);
  };
  flowLists(doc.contents);
  return { yaml: doc.toString({ lineWidth: 0 }), warnings };
}

/** keepalived.conf text → vrrpd YAML text (validate it with check-config before use). */
export function importKeepalived(text: string, sourceName = 'keepalived.conf'): string {
  return importKeepalivedConf(text, { sourceName }).yaml;
}

// ---------------------------------------------------------------- UDP/DNS/SMTP/PING/FILE_CHECK

/** top-level track_file blocks by name, for FILE_CHECK (set at the start of each import) */
let trackFiles = new Map<string, KaStatement>();
/** names of the track_files some FILE_CHECK uses */
let trackFilesUsed = new Set<string>();
/** UDP_CHECK length statements, for the note when require_reply is missing */
const lengthStatements = new WeakMap<Obj, KaStatement[]>();
/** FILE_CHECK weight statements */
const weightStatements = new WeakMap<Obj, KaStatement>();

function setTrackFiles(top: KaStatement[]): void {
  trackFiles = new Map();
  trackFilesUsed = new Set();
  for (const s of top) {
    if ((s.words[0] === 'track_file' || s.words[0] === 'vrrp_track_file') && s.words[1])
      trackFiles.set(s.words[1], s);
  }
  const visit = (ss: KaStatement[]): void => {
    for (const s of ss) {
      if (s.words[0] === 'FILE_CHECK') {
        for (const x of s.block ?? [])
          if (x.words[0] === 'track_file' && x.words[1]) trackFilesUsed.add(x.words[1]);
      } else if (s.block) visit(s.block);
    }
  };
  visit(top.filter((s) => s.words[0] === 'virtual_server'));
}

/**
 * A track_file goes to track_files when a vrrp_instance or sync group tracks it, or when
 * no FILE_CHECK uses it either (keepalived still runs its init_file then).
 */
function carryTrackFile(top: KaStatement[], s: KaStatement): boolean {
  const name = s.words[1] ?? '';
  const tracked = top.some(
    (t) =>
      (t.words[0] === 'vrrp_instance' || t.words[0] === 'vrrp_sync_group') &&
      (t.block ?? []).some(
        (x) => x.words[0] === 'track_file' && (x.block ?? []).some((e) => e.words[0] === name),
      ),
  );
  return tracked || !trackFileUsed(s);
}

function trackFileUsed(s: KaStatement): boolean {
  return trackFilesUsed.has(s.words[1] ?? '');
}

/** a track_file that FILE_CHECKs use: its file and weight go into those checks */
function trackFileNotes(s: KaStatement): ImportNote[] {
  const notes: ImportNote[] = [
    noted(s, `track_file ${s.words[1]} is carried over into the file checks that use it (FILE_CHECK)`),
  ];
  for (const x of s.block ?? []) {
    const k = x.words[0];
    if (k === 'init_file' && Number(x.words[1] ?? '0') === 0 && x.words[2] !== 'overwrite')
      notes.push(noted(x, "'init_file 0': vrrpd creates no file, and a missing file reads as 0, the same"));
    else if (k === 'init_file')
      notes.push(
        skipped(
          x,
          'vrrpd creates no track file: a missing file reads as 0 (up), as keepalived reads it; create it at boot if another value is wanted',
        ),
      );
    else if (k !== 'file' && k !== 'weight') notes.push(unhandled(x, 'track_file'));
  }
  return notes;
}

/** keywords of the UDP/DNS/SMTP/PING/FILE checkers; true when handled (carried over or flagged) */
function moreCheckKey(x: KaStatement, type: string, c: Obj, notes: ImportNote[]): boolean {
  const [k, a] = x.words;
  const rest = x.words.slice(1).join(' ');
  switch (type) {
    case 'smtp':
      if (k === 'helo_name') c.helo_name = a;
      else return false;
      return true;
    case 'dns':
      if (k === 'type') c.query_type = a?.toUpperCase();
      else if (k === 'name') c.query_name = a;
      else return false;
      return true;
    case 'udp':
      if (k === 'payload') c.payload = rest;
      else if (k === 'require_reply') {
        c.require_reply = true;
        if (rest !== '') c.reply = rest;
      } else if (k === 'min_reply_length' || k === 'max_reply_length') {
        c[k] = int(a);
        lengthStatements.set(c, [...(lengthStatements.get(c) ?? []), x]);
      } else return false;
      return true;
    case 'ping':
      if (k === 'connect_port') notes.push(skipped(x, 'an ICMP echo has no port'));
      else return false;
      return true;
    case 'file':
      if (k === 'track_file') c.track_file = a;
      else if (k === 'weight') weightStatements.set(c, x);
      else if (k === 'dynamic')
        notes.push(
          skipped(x, 'vrrpd has no dynamic weights: the file value does not change the IPVS weight'),
        );
      // keepalived's FILE_CHECK has none of the other checkers' options
      else notes.push(unhandled(x, 'FILE_CHECK'));
      return true;
  }
  return false;
}

/** what convertCheck builds for these checkers, finished: keepalived's defaults, the track file */
function finishMoreCheck(
  st: KaStatement,
  c: Obj,
  notes: ImportNote[],
  delayLoop: string,
  explicit: Set<string>,
): Obj | undefined {
  if (c.type === 'dns' && !explicit.has('retry_delay')) c.retry_delay = c.interval ?? delayLoop;
  if (c.type === 'udp' && c.require_reply !== true) {
    for (const x of lengthStatements.get(c) ?? [])
      notes.push(noted(x, `'${x.words[0]}' has no effect without require_reply, in keepalived as in vrrpd`));
    delete c.min_reply_length;
    delete c.max_reply_length;
  }
  if (c.type !== 'file') return c;
  const name = c.track_file as string | undefined;
  const weightSt = weightStatements.get(c);
  const weightWords = weightSt?.words.slice(1);
  delete c.track_file;
  const unchecked = 'THIS REAL SERVER IS UNCHECKED and counts as always up in vrrpd';
  const dynamic = (w: string[]): string =>
    `with weight ${w.join(' ')} keepalived adds the file's value times the weight to the IPVS weight; vrrpd has no dynamic weights, only weight 0 (0 = up, else down) carries over: ${unchecked}`;
  if (weightSt && Number(weightWords![0]) !== 0) {
    notes.push(skipped(weightSt, dynamic(weightWords!)));
    return undefined;
  }
  const tf = name === undefined ? undefined : trackFiles.get(name);
  if (!tf) {
    notes.push(
      skipped(
        st,
        `${name === undefined ? 'it names no track_file' : `there is no track_file ${name} (keepalived refuses it too)`}: ${unchecked}`,
      ),
    );
    return undefined;
  }
  const file = tf.block?.find((x) => x.words[0] === 'file')?.words[1];
  if (file === undefined) {
    notes.push(skipped(st, `track_file ${name} has no file: ${unchecked}`));
    return undefined;
  }
  const tfWeight = tf.block?.find((x) => x.words[0] === 'weight')?.words.slice(1);
  // the checker's weight, else the track_file's, else 1 (keepalived's default)
  const w = weightWords ?? tfWeight ?? ['1'];
  if (Number(w[0]) !== 0) {
    notes.push(skipped(st, dynamic(w)));
    return undefined;
  }
  notes.push(
    noted(
      st,
      'keepalived reads a track file when it changes (inotify); vrrpd reads it every interval: interval 1s written',
    ),
  );
  return {
    type: 'file',
    file,
    ...(w[1] === 'reverse' ? { reverse: true } : {}),
    interval: '1s',
    retry: 0,
  };
}

// ---------------------------------------------------------------- notify FIFOs and e-mail

/** the e-mail settings of global_defs, for the smtp_alert of each level (set by convertMail) */
let mail = { on: false, checker: false, rsDefault: true };

function convertFifo(s: KaStatement, g: GlobalState): void {
  const [k, path, ...owner] = s.words;
  if (path === undefined) {
    g.notes.push(skipped(s, 'it names no FIFO'));
    return;
  }
  g.global[k!] = path;
  if (owner.length && owner[0] === 'root' && (owner[1] ?? 'root') === 'root')
    g.notes.push(noted(s, "the FIFO is root's, as vrrpd makes it (mode 0600)"));
  else if (owner.length)
    g.notes.push(
      skipped(
        s,
        `vrrpd makes the FIFO root's with mode 0600, not ${owner.join(':')}'s: change its owner after vrrpd starts if that user reads it`,
      ),
    );
}

/** notification_email, smtp_server... → global.smtp_alerts, with keepalived's smtp_alert defaults */
function convertMail(g: GlobalState): void {
  const sts = g.mailSt ?? [];
  const get = (k: string): KaStatement | undefined => sts.filter((x) => x.words[0] === k).at(-1);
  const flag = (k: string): boolean | undefined => {
    const st = get(k);
    return st ? bool(st.words[1]) : undefined;
  };
  const server = get('smtp_server');
  const to = (get('notification_email')?.block ?? []).map((x) => x.words.join(' ')).filter(Boolean);
  const all = flag('smtp_alert');
  const vrrp = flag('smtp_alert_vrrp') ?? all ?? false;
  const checker = flag('smtp_alert_checker') ?? all ?? false;
  mail = { on: false, checker, rsDefault: flag('smtp_alert_checker') ?? all ?? true };
  if (sts.length === 0) return;
  if (!server || to.length === 0) {
    for (const st of sts)
      g.notes.push(
        noted(
          st,
          'keepalived sends no e-mail without both smtp_server and notification_email, and neither does vrrpd',
        ),
      );
    return;
  }
  mail.on = true;
  const [, host, port] = server.words;
  const out: Obj = {
    server: port === undefined ? host : host?.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
    to,
  };
  const from = get('notification_email_from');
  if (from) out.from = from.words.slice(1).join(' ');
  else
    g.notes.push(
      noted(
        server,
        'keepalived sends from keepalived@HOSTNAME, vrrpd from vrrpd@HOSTNAME (set smtp_alerts.from)',
      ),
    );
  const helo = get('smtp_helo_name');
  if (helo) out.helo_name = helo.words[1];
  const timeout = get('smtp_connect_timeout');
  if (timeout) out.connect_timeout = sec(timeout.words[1]);
  out.vrrp = vrrp;
  out.checker = checker;
  g.global.smtp_alerts = out;
  if (mail.rsDefault !== checker)
    g.notes.push(
      noted(
        server,
        `keepalived's default smtp_alert is ${mail.rsDefault ? 'on' : 'off'} for real servers and ${checker ? 'on' : 'off'} for virtual servers: smtp_alert: ${mail.rsDefault} written on each real server without one`,
      ),
    );
  g.notes.push(
    noted(
      server,
      'vrrpd sends alerts with nodemailer in plain SMTP (EHLO, then HELO), one at a time and in order, as keepalived',
    ),
  );
}

/** smtp_alert of an instance, sync group, virtual or real server */
function mailFlag(st: KaStatement, target: Obj, notes: ImportNote[]): void {
  const b = bool(st.words[1]);
  if (b === undefined) {
    notes.push(skipped(st, `'${st.words[1]}' is not a keepalived boolean`));
    return;
  }
  if (!mail.on) {
    notes.push(
      noted(
        st,
        `'smtp_alert' has no effect without smtp_server and notification_email (in keepalived either)`,
      ),
    );
    return;
  }
  target.smtp_alert = b;
}
