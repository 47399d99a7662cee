// keepalived.conf → vrrpd YAML. Carries over what has a vrrpd equivalent and leaves a
// comment (with the keepalived.conf line) for everything else, so nothing is dropped silently.
import { Document, isMap, isSeq, type Node } from 'yaml';
import { parseCidr } from '../net/addr.js';
import { parseAgentxSocket } from './build-vrrp.js';
import { formatDurationMs } from './duration.js';
import { type KaStatement, parseKeepalivedConf, splitCommand } from './keepalived-conf.js';

type Obj = Record<string, unknown>;

/** one converted unit (an instance, a virtual server...) and the notes that go above it */
interface Unit {
  value: Obj;
  notes: string[];
}

const sec = (w: string | undefined): string | undefined => {
  const n = Number(w);
  return w === undefined || !Number.isFinite(n) || n < 0 ? undefined : formatDurationMs(Math.round(n * 1000));
};
const int = (w: string | undefined): number | undefined => {
  const n = Number(w);
  return w === undefined || !Number.isInteger(n) ? undefined : n;
};
const skipped = (s: KaStatement, why = 'no vrrpd equivalent'): string =>
  `keepalived.conf:${s.line}: '${s.words.join(' ')}${s.block ? ' {...}' : ''}' not carried over (${why})`;

/** script strings: argv when plain, `sh -c` when they use shell syntax */
function command(cmd: string, notes: string[], line: number): string[] {
  if (/[|&;<>$`()*?]/.test(cmd)) {
    notes.push(`keepalived.conf:${line}: '${cmd}' uses shell syntax: wrapped in /bin/sh -c`);
    return ['/bin/sh', '-c', cmd];
  }
  return splitCommand(cmd);
}

interface GlobalState {
  global: Obj;
  notes: string[];
  vrrpVersion: 2 | 3;
  garp: Obj;
  lvsSyncDaemon?: Obj;
  lvsTimeouts?: Obj;
  snmp: { on: boolean; socket?: KaStatement; traps: boolean };
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
    if (sock) g.notes.push(skipped(sock, 'SNMP is off without enable_snmp_rfcv3'));
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

function convertGlobal(block: KaStatement[], g: GlobalState): void {
  for (const s of block) {
    const [k, a, ...rest] = s.words;
    switch (k) {
      case 'router_id':
        g.global.router_id = a;
        break;
      case 'script_user':
        g.global.script_user = a;
        break;
      case 'enable_snmp_rfcv3':
        g.snmp.on = true;
        break;
      case 'enable_snmp_rfc':
        g.snmp.on = true;
        g.notes.push(
          `keepalived.conf:${s.line}: 'enable_snmp_rfc' carried over as global.snmp for its VRRPv3-MIB (RFC 6527) part; the RFC 2787 VRRP-MIB part is not served`,
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
      case 'vrrp_garp_interval':
        g.garp.interval = sec(a);
        break;
      case 'lvs_sync_daemon': {
        // lvs_sync_daemon IFNAME VRRP_INSTANCE [id SYNC_ID] ...
        const d: Obj = { interface: a, instance: rest[0] };
        const id = rest.indexOf('id');
        if (id >= 0) d.sync_id = int(rest[id + 1]);
        g.lvsSyncDaemon = d;
        break;
      }
      case 'lvs_timeouts': {
        const t: Obj = {};
        const all = [a, ...rest];
        for (let i = 0; i + 1 < all.length; i += 2) {
          const key = { tcp: 'tcp', tcpfin: 'tcp_fin', udp: 'udp' }[all[i] as 'tcp'];
          if (key) t[key] = sec(all[i + 1]);
        }
        g.lvsTimeouts = t;
        break;
      }
      default:
        g.notes.push(skipped(s));
    }
  }
}

function convertScript(s: KaStatement): Unit {
  const v: Obj = {};
  const notes: string[] = [];
  for (const st of s.block ?? []) {
    const [k, a] = st.words;
    if (k === 'script' && a !== undefined) v.command = command(st.words.slice(1).join(' '), notes, st.line);
    else if (k === 'interval') v.interval = sec(a);
    else if (k === 'timeout') v.timeout = sec(a);
    else if (k === 'weight' || k === 'rise' || k === 'fall') v[k] = int(a);
    else if (k === 'user') v.user = a;
    else notes.push(skipped(st));
  }
  return { value: v, notes };
}

function vipEntries(block: KaStatement[], notes: string[]): string[] {
  const out: string[] = [];
  for (const st of block) {
    const [addr, ...opts] = st.words;
    if (!addr || !parseCidr(addr)) {
      notes.push(skipped(st, 'not an address'));
      continue;
    }
    let text = addr;
    for (let i = 0; i < opts.length; i += 2) {
      if (opts[i] === 'dev' || opts[i] === 'label') text += ` ${opts[i]} ${opts[i + 1]}`;
      else
        notes.push(
          `keepalived.conf:${st.line}: VIP option '${opts[i]} ${opts[i + 1] ?? ''}' not carried over`,
        );
    }
    out.push(text);
  }
  return out;
}

function convertInstance(s: KaStatement, g: GlobalState): Unit {
  const notes: string[] = [];
  const v: Obj = { name: s.words[1] };
  const vips: string[] = [];
  const notify: Obj = {};
  const garp: Obj = { ...g.garp };
  let version: number | undefined;
  for (const st of s.block ?? []) {
    const [k, a] = st.words;
    const rest = st.words.slice(1).join(' ');
    switch (k) {
      case 'state':
        notes.push(
          `keepalived.conf:${st.line}: 'state ${a}' dropped: vrrpd starts as backup, priority decides`,
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
        break;
      case 'nopreempt':
        v.preempt = false;
        break;
      case 'preempt_delay':
        v.preempt_delay = sec(a);
        break;
      case 'accept':
        v.accept = true;
        break;
      case 'no_accept':
        v.accept = false;
        break;
      case 'use_vmac':
        v.use_vmac = true;
        if (a !== undefined)
          notes.push(`keepalived.conf:${st.line}: vmac name '${a}' dropped (vrrpd names it)`);
        break;
      case 'authentication':
        for (const x of st.block ?? []) {
          if (x.words[0] === 'auth_pass' && x.words[1] !== undefined) {
            v.auth_pass = x.words[1].slice(0, 8); // keepalived uses the first 8 characters too
            if (x.words[1].length > 8) {
              notes.push(
                `keepalived.conf:${x.line}: auth_pass cut to its first 8 characters, as keepalived sends it`,
              );
            }
          } else if (!(x.words[0] === 'auth_type' && x.words[1] === 'PASS'))
            notes.push(skipped(x, 'only PASS is supported'));
        }
        break;
      case 'unicast_src_ip':
        v.unicast_src = a;
        break;
      case 'unicast_peer':
        v.unicast_peers = (st.block ?? []).map((x) => x.words[0]);
        break;
      case 'virtual_ipaddress':
      case 'virtual_ipaddress_excluded':
        vips.push(...vipEntries(st.block ?? [], notes));
        break;
      case 'track_interface':
        v.track_interfaces = (st.block ?? []).map((x) =>
          x.words[1] === 'weight' ? { interface: x.words[0], weight: int(x.words[2]) } : x.words[0],
        );
        break;
      case 'track_script':
        v.track_scripts = (st.block ?? []).map((x) =>
          x.words[1] === 'weight' ? { name: x.words[0], weight: int(x.words[2]) } : x.words[0],
        );
        break;
      case 'notify_master':
      case 'notify_backup':
      case 'notify_fault':
      case 'notify_stop':
        notify[k.slice(7)] = command(rest, notes, st.line);
        break;
      case 'notify':
        notify.any = command(rest, notes, st.line);
        break;
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
      case 'garp_interval':
        garp.interval = sec(a);
        break;
      default:
        notes.push(skipped(st));
    }
  }
  // keepalived: version from the instance, else global vrrp_version (default 2); IPv6 forces 3
  const firstV6 = vips[0] !== undefined && parseCidr(vips[0].split(' ')[0]!)?.family === 6;
  const { name, interface: ifname, vrid, ...rest } = v;
  const out: Obj = {
    name,
    interface: ifname,
    vrid,
    version: firstV6 ? 3 : (version ?? g.vrrpVersion),
    ...rest,
  };
  out.virtual_ips = vips;
  if (Object.keys(garp).length) out.garp = garp;
  if (Object.keys(notify).length) out.notify = notify;
  return { value: out, notes };
}

function convertSyncGroup(s: KaStatement): Unit {
  const notes: string[] = [];
  const v: Obj = { name: s.words[1] };
  const notify: Obj = {};
  for (const st of s.block ?? []) {
    const k = st.words[0];
    if (k === 'group') v.instances = (st.block ?? []).flatMap((x) => x.words);
    else if (k === 'notify_master' || k === 'notify_backup' || k === 'notify_fault' || k === 'notify_stop') {
      notify[k.slice(7)] = command(st.words.slice(1).join(' '), notes, st.line);
    } else if (k === 'notify') notify.any = command(st.words.slice(1).join(' '), notes, st.line);
    else notes.push(skipped(st));
  }
  if (Object.keys(notify).length) v.notify = notify;
  return { value: v, notes };
}

const CHECKS: Record<string, string> = {
  HTTP_GET: 'http',
  SSL_GET: 'https',
  TCP_CHECK: 'tcp',
  MISC_CHECK: 'script',
};

function convertCheck(st: KaStatement, notes: string[]): Obj | undefined {
  const type = CHECKS[st.words[0]!];
  if (!type) {
    notes.push(skipped(st, 'check type not supported'));
    return undefined;
  }
  const c: Obj = { type };
  let urls = 0;
  for (const x of st.block ?? []) {
    const [k, a] = x.words;
    if (k === 'connect_port') c.port = int(a);
    else if (k === 'connect_timeout') c.timeout = sec(a);
    else if (k === 'bindto') c.bind_address = a;
    else if (k === 'retry' || k === 'nb_get_retry') c.retry = int(a);
    else if (k === 'delay_before_retry') c.retry_delay = sec(a);
    else if (k === 'delay_loop') c.interval = sec(a);
    else if (k === 'virtualhost') c.host = a;
    else if (k === 'misc_path') c.command = command(x.words.slice(1).join(' '), notes, x.line);
    else if (k === 'misc_timeout') c.timeout = sec(a);
    else if (k === 'url' && urls++ === 0) {
      for (const u of x.block ?? []) {
        const [uk, ua] = u.words;
        if (uk === 'path') c.path = ua;
        else if (uk === 'status_code') c.status = [...((c.status as number[]) ?? []), int(ua)];
        else if (uk === 'digest') c.digest = ua;
        else notes.push(skipped(u));
      }
    } else if (k === 'url') notes.push(skipped(x, 'vrrpd checks one url per real server'));
    else notes.push(skipped(x));
  }
  return c;
}

function convertVirtualServer(s: KaStatement): Unit {
  const notes: string[] = [];
  const [, a, b] = s.words;
  const v: Obj = a === 'fwmark' ? { fwmark: int(b) } : { address: a, port: int(b) };
  const defaults: Obj = {};
  const reals: Obj[] = [];
  for (const st of s.block ?? []) {
    const [k, x, y] = st.words;
    switch (k) {
      case 'delay_loop':
        defaults.interval = sec(x);
        break;
      case 'lb_algo':
      case 'lvs_sched':
        v.scheduler = x;
        break;
      case 'lb_kind':
      case 'lvs_method':
        v.forwarding = x?.toLowerCase();
        break;
      case 'protocol':
        v.protocol = x?.toLowerCase();
        break;
      case 'persistence_timeout':
        v.persistence_timeout = sec(x);
        break;
      case 'persistence_granularity':
        v.persistence_netmask = /^\d+$/.test(x ?? '') ? int(x) : x;
        break;
      case 'ip_family':
        v.family = x;
        break;
      case 'sorry_server':
        v.sorry_server = { address: x, port: int(y) };
        break;
      case 'sorry_server_inhibit':
        if (v.sorry_server) (v.sorry_server as Obj).inhibit = true;
        break;
      case 'quorum':
      case 'hysteresis':
        v[k] = int(x);
        break;
      case 'quorum_up':
      case 'quorum_down':
        v[k] = command(st.words.slice(1).join(' '), notes, st.line);
        break;
      case 'alpha':
      case 'ops':
        v[k] = true;
        break;
      case 'sh-port':
      case 'sh-fallback':
      case 'mh-port':
      case 'mh-fallback':
        v[k.replace('-', '_')] = true;
        break;
      case 'virtualhost':
        v.virtualhost = x;
        break;
      case 'real_server':
        reals.push(convertRealServer(st, notes));
        break;
      default:
        notes.push(skipped(st));
    }
  }
  if (Object.keys(defaults).length) v.check_defaults = defaults;
  v.real_servers = reals;
  return { value: v, notes };
}

function convertRealServer(s: KaStatement, notes: string[]): Obj {
  const [, a, b] = s.words;
  const r: Obj = { address: a };
  if (b !== undefined) r.port = int(b);
  for (const st of s.block ?? []) {
    const [k, x] = st.words;
    if (k === 'weight') r.weight = int(x);
    else if (k === 'inhibit_on_failure') r.inhibit_on_failure = true;
    else if (k === 'uthreshold') r.upper_threshold = int(x);
    else if (k === 'lthreshold') r.lower_threshold = int(x);
    else if (k === 'notify_up' || k === 'notify_down')
      r[k] = command(st.words.slice(1).join(' '), notes, st.line);
    else if (k === 'lvs_method' || k === 'lb_kind') r.forwarding = x?.toLowerCase();
    else if (k !== undefined && CHECKS[k] && r.check === undefined) {
      const c = convertCheck(st, notes);
      if (c) r.check = c;
    } else
      notes.push(
        skipped(st, k !== undefined && CHECKS[k] ? 'vrrpd runs one check per real server' : undefined),
      );
  }
  return r;
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

/** keepalived.conf text → vrrpd YAML text (validate it with check-config before use). */
export function importKeepalived(text: string, sourceName = 'keepalived.conf'): string {
  const g: GlobalState = {
    global: {},
    notes: [],
    vrrpVersion: 2,
    garp: {},
    snmp: { on: false, traps: false },
  };
  const scripts: [string, Unit][] = [];
  const instances: Unit[] = [];
  const groups: Unit[] = [];
  const servers: Unit[] = [];
  const top = parseKeepalivedConf(text);
  // global_defs first: vrrp_version and garp defaults apply to every instance
  for (const s of top) if (s.words[0] === 'global_defs') convertGlobal(s.block ?? [], g);
  convertSnmp(g);
  for (const s of top) {
    const k = s.words[0];
    if (k === 'global_defs') continue;
    if (k === 'vrrp_script' && s.words[1]) scripts.push([s.words[1], convertScript(s)]);
    else if (k === 'vrrp_instance') instances.push(convertInstance(s, g));
    else if (k === 'vrrp_sync_group') groups.push(convertSyncGroup(s));
    else if (k === 'virtual_server' && s.words[1] !== 'group') servers.push(convertVirtualServer(s));
    else g.notes.push(skipped(s, k === 'include' ? 'merge the included file by hand' : undefined));
  }
  const out: Obj = {};
  if (Object.keys(g.global).length) out.global = g.global;
  if (scripts.length) out.vrrp_scripts = Object.fromEntries(scripts.map(([n, u]) => [n, u.value]));
  if (instances.length) out.vrrp_instances = instances.map((u) => u.value);
  if (groups.length) out.vrrp_sync_groups = groups.map((u) => u.value);
  if (g.lvsSyncDaemon) out.lvs_sync_daemon = g.lvsSyncDaemon;
  if (g.lvsTimeouts) out.lvs_timeouts = g.lvsTimeouts;
  if (servers.length) out.virtual_servers = servers.map((u) => u.value);

  const doc = new Document(clean(out));
  const note = (path: (string | number)[], notes: string[]): void => {
    if (notes.length === 0) return;
    const node = doc.getIn(path, true) as Node | undefined;
    if (node) node.commentBefore = notes.map((n) => ` ${n.replace(/\n/g, ' ')}`).join('\n');
  };
  for (const [i, u] of instances.entries()) note(['vrrp_instances', i], u.notes);
  for (const [i, u] of groups.entries()) note(['vrrp_sync_groups', i], u.notes);
  for (const [i, u] of servers.entries()) note(['virtual_servers', i], u.notes);
  for (const [n, u] of scripts) note(['vrrp_scripts', n], u.notes);
  const header = [
    ` vrrpd configuration imported from ${sourceName}`,
    ' check it with: vrrpd check-config FILE',
    ...g.notes.map((n) => ` ${n}`),
  ];
  doc.commentBefore = header.join('\n');
  // flow style for short lists reads like the hand-written examples
  const flowLists = (n: unknown): void => {
    if (isSeq(n) && n.items.every((x) => !isMap(x) && !isSeq(x))) n.flow = true;
    if (isMap(n) || isSeq(n))
      for (const it of n.items) flowLists(isMap(n) ? (it as { value: unknown }).value : it);
  };
  flowLists(doc.contents);
  return doc.toString({ lineWidth: 0 });
}
