// Semantic checks and model building for the VRRP half: global, vrrp_scripts,
// vrrp_instances, vrrp_sync_groups, lvs_sync_daemon. Input already passed the schema.
import { type IpFamily, parseCidr, parseIp } from '../net/addr.js';
import { buildAuthHmac } from './auth-hmac-config.js';
import { type BuildContext, familyName, notifyOf } from './build-context.js';
import { buildVirtualRoutesAndRules } from './build-virtual-routes.js';
import { instanceKnobs, KEEPALIVED_KNOB_DEFAULTS, type VrrpKnobDefaults } from './build-vrrp-knobs.js';
import type { ConfigPath } from './errors.js';
import { pathText } from './errors.js';
import type {
  AgentxAddress,
  AnnounceSettings,
  GlobalConfig,
  LvsSyncDaemon,
  StartStopScript,
  TrackInterface,
  TrackScript,
  UnicastTtlWindow,
  VirtualIp,
  VrrpInstance,
  VrrpScript,
  VrrpSyncGroup,
} from './model.js';
import type { RawConfig, RawGlobal, RawInstance, RawSyncGroup, RawVip, RawVrrpScript } from './raw.js';
import { suggestionSuffix } from './suggest.js';

export function buildGlobal(ctx: BuildContext, g: RawGlobal, hostname: string): GlobalConfig {
  const p = ['global'];
  let metricsListen: GlobalConfig['metricsListen'];
  if (g.metrics_listen !== undefined) {
    const m =
      /^\[([^\]]+)\]:(\d{1,5})$/.exec(g.metrics_listen) ?? /^([^:]+):(\d{1,5})$/.exec(g.metrics_listen);
    const ip = m ? parseIp(m[1]!) : null;
    const port = m ? Number(m[2]) : 0;
    if (!m || !ip || port < 1 || port > 65535) {
      ctx.error(
        [...p, 'metrics_listen'],
        'CONFIG_BAD_ADDRESS',
        `global.metrics_listen must be ADDRESS:PORT (e.g. 127.0.0.1:9650 or [::1]:9650), not '${g.metrics_listen}'`,
      );
    } else {
      metricsListen = { address: parseCidr(m[1]!)!.address, port };
    }
  }
  let snmp: GlobalConfig['snmp'];
  if (g.snmp !== undefined) {
    const agentx = parseAgentxSocket(g.snmp.agentx_socket);
    if (!agentx) {
      ctx.error(
        [...p, 'snmp', 'agentx_socket'],
        'CONFIG_BAD_VALUE',
        `global.snmp.agentx_socket must be a unix socket path (/var/agentx/master or unix:/path) or tcp:HOST:PORT, as snmpd's agentXSocket, not '${g.snmp.agentx_socket}'`,
      );
    } else {
      snmp = { agentx, traps: g.snmp.traps };
    }
  }
  // a relative path would follow the daemon's working directory, which systemd sets to /
  if (!g.state_file.startsWith('/') || g.state_file.endsWith('/')) {
    ctx.error(
      [...p, 'state_file'],
      'CONFIG_BAD_VALUE',
      `global.state_file must be an absolute file path (e.g. /var/lib/vrrpd/ipvs-owned.json), not '${g.state_file}'`,
    );
  }
  return {
    routerId: g.router_id ?? hostname,
    controlSocket: g.control_socket,
    ...(g.control_group !== undefined ? { controlGroup: g.control_group } : {}),
    ...(metricsListen ? { metricsListen } : {}),
    ...(snmp ? { snmp } : {}),
    ...(g.script_user !== undefined ? { scriptUser: g.script_user } : {}),
    ...(g.script_group !== undefined ? { scriptGroup: g.script_group } : {}),
    stateFile: g.state_file,
    logLevel: g.log_level,
    notifyTimeoutMs: ctx.positiveMs([...p, 'notify_timeout'], g.notify_timeout),
    scriptTimeoutMs: ctx.positiveMs([...p, 'script_timeout'], g.script_timeout),
    announce: buildAnnounceSettings(ctx, g, p),
    vrrpStartupDelayMs: ctx.ms([...p, 'vrrp_startup_delay'], g.vrrp_startup_delay),
    ...startStop(ctx, g, p, 'startup_script', 'startupScript'),
    ...startStop(ctx, g, p, 'shutdown_script', 'shutdownScript'),
    dynamicInterfaces: g.dynamic_interfaces,
  };
}

function startStop<K extends 'startupScript' | 'shutdownScript'>(
  ctx: BuildContext,
  g: RawGlobal,
  p: ConfigPath,
  key: 'startup_script' | 'shutdown_script',
  field: K,
): Partial<Record<K, StartStopScript>> {
  const s = g[key];
  if (!s) return {};
  const script: StartStopScript = {
    command: [...s.command],
    ...(s.user !== undefined ? { user: s.user } : {}),
    ...(s.group !== undefined ? { group: s.group } : {}),
    timeoutMs: ctx.positiveMs([...p, key, 'timeout'], s.timeout),
  };
  return { [field]: script } as Partial<Record<K, StartStopScript>>;
}

function buildAnnounceSettings(ctx: BuildContext, g: RawGlobal, p: ConfigPath): AnnounceSettings | null {
  const a = g.announce;
  if (!a) return null;
  // 0 unspec, 253 default, 254 main, 255 local
  if ([0, 253, 254, 255].includes(a.table))
    ctx.error(
      [...p, 'announce', 'table'],
      'CONFIG_BAD_VALUE',
      `table ${a.table} is one of the kernel's own (253 default, 254 main, 255 local): pick a table for vrrpd alone`,
    );
  return {
    table: a.table,
    protocol: a.protocol,
    interface: a.interface,
    drainMs: ctx.ms([...p, 'announce', 'drain'], a.drain),
  };
}

/**
 * snmpd's agentXSocket forms that carry AgentX (RFC 2741 §8: TCP, or a local stream
 * socket): `/path`, `unix:/path`, `tcp:HOST:PORT`, `tcp:[IPv6]:PORT`. UDP is not one.
 */
export function parseAgentxSocket(text: string): AgentxAddress | null {
  const path = text.startsWith('unix:') ? text.slice(5) : text;
  if (path.startsWith('/')) return path.endsWith('/') ? null : { kind: 'unix', path };
  const m = /^tcp:(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) return null;
  if (m[1] !== undefined && parseIp(m[1])?.family !== 6) return null;
  return { kind: 'tcp', host: m[1] ?? m[2]!, port };
}

export function buildScripts(
  ctx: BuildContext,
  raw: Record<string, RawVrrpScript>,
  defaultTimeoutMs: number,
): Record<string, VrrpScript> {
  const out: Record<string, VrrpScript> = {};
  for (const [name, s] of Object.entries(raw)) {
    const p = ['vrrp_scripts', name];
    out[name] = {
      name,
      command: [...s.command],
      intervalMs: ctx.positiveMs([...p, 'interval'], s.interval),
      timeoutMs: s.timeout === undefined ? defaultTimeoutMs : ctx.positiveMs([...p, 'timeout'], s.timeout),
      weight: s.weight,
      rise: s.rise,
      fall: s.fall,
      ...(s.user !== undefined ? { user: s.user } : {}),
      ...(s.group !== undefined ? { group: s.group } : {}),
      reverse: s.reverse,
    };
  }
  return out;
}

const SCOPES = ['global', 'site', 'link', 'host', 'nowhere'] as const;

function parseVip(ctx: BuildContext, path: ConfigPath, v: RawVip): Omit<VirtualIp, 'inAdverts'> | null {
  let text: string;
  let dev: string | undefined;
  let label: string | undefined;
  let brd: string | undefined;
  let scope: string | undefined;
  let noTrack = false;
  if (typeof v === 'string') {
    // 'ADDRESS[/PREFIX] [dev IFNAME] [label LABEL] [brd ADDR] [scope SCOPE] [no_track]', as `ip addr` takes it
    const words = v.trim().split(/\s+/);
    text = words[0] ?? '';
    for (let i = 1; i < words.length; i += 2) {
      const word = words[i]!;
      const arg = words[i + 1];
      if (word === 'no_track') {
        noTrack = true;
        i--;
      } else if (['dev', 'label', 'brd', 'scope'].includes(word) && arg !== undefined) {
        if (word === 'dev') dev = arg;
        else if (word === 'label') label = arg;
        else if (word === 'brd') brd = arg;
        else scope = arg;
      } else {
        ctx.error(
          path,
          'CONFIG_BAD_VALUE',
          `${pathText(path)}: unexpected '${words.slice(i).join(' ')}'; write 'ADDRESS/PREFIX [dev IFNAME] [label LABEL] [brd ADDR] [scope SCOPE] [no_track]'`,
        );
        return null;
      }
    }
  } else {
    text = v.address;
    dev = v.dev;
    label = v.label;
    brd = v.brd;
    scope = v.scope;
    noTrack = v.no_track ?? false;
  }
  const cidr = parseCidr(text);
  if (!cidr) {
    ctx.error(
      path,
      'CONFIG_BAD_ADDRESS',
      `${pathText(path)}: '${text}' is not an IP address with an optional /prefix`,
    );
    return null;
  }
  if (dev !== undefined && !/^[^\s/:]{1,15}$/.test(dev)) {
    ctx.error(path, 'CONFIG_BAD_VALUE', `${pathText(path)}: '${dev}' is not a valid interface name`);
  }
  if (label !== undefined && (cidr.family !== 4 || label.length > 15)) {
    ctx.error(
      path,
      'CONFIG_BAD_VALUE',
      `${pathText(path)}: a label is for IPv4 addresses, at most 15 characters`,
    );
  }
  if (
    brd !== undefined &&
    (cidr.family !== 4 || (brd !== '+' && brd !== '-' && parseIp(brd)?.family !== 4))
  ) {
    ctx.error(
      path,
      'CONFIG_BAD_VALUE',
      `${pathText(path)}: brd is for IPv4 addresses: an IPv4 address, '+' or '-', not '${brd}'`,
    );
  }
  if (scope !== undefined && !(SCOPES as readonly string[]).includes(scope)) {
    ctx.error(
      path,
      'CONFIG_BAD_VALUE',
      `${pathText(path)}: scope must be one of ${SCOPES.join(', ')}, not '${scope}'`,
    );
  }
  return {
    address: cidr.address,
    prefixLength: cidr.prefixLength,
    family: cidr.family,
    ...(dev !== undefined ? { dev } : {}),
    ...(label !== undefined ? { label } : {}),
    ...(brd !== undefined ? { brd: brd === '+' || brd === '-' ? brd : parseCidr(brd)!.address } : {}),
    ...(scope !== undefined && (SCOPES as readonly string[]).includes(scope)
      ? { scope: scope as (typeof SCOPES)[number] }
      : {}),
    noTrack,
  };
}

/** RFC 3768 §5.3.7: v2 counts whole seconds (1 byte); RFC 5798 §5.2.7: v3 counts centiseconds (12 bits). */
function checkAdvertInterval(
  ctx: BuildContext,
  path: ConfigPath,
  version: 2 | 3,
  ms: number,
  raw: unknown,
): void {
  const ok =
    version === 2
      ? ms % 1000 === 0 && ms >= 1000 && ms <= 255_000
      : ms % 10 === 0 && ms >= 10 && ms <= 40_950;
  if (!ok) {
    const rule =
      version === 2
        ? 'VRRPv2 takes whole seconds from 1s to 255s'
        : 'VRRPv3 takes 10ms to 40.95s in steps of 10ms';
    ctx.error(path, 'CONFIG_ADVERT_INTERVAL', `${pathText(path)} ${String(raw)} is out of range: ${rule}`);
  }
}

function buildInstance(
  ctx: BuildContext,
  r: RawInstance,
  p: ConfigPath,
  scriptNames: string[] | null,
  knobDefaults: VrrpKnobDefaults,
): VrrpInstance {
  const vips: Omit<VirtualIp, 'inAdverts'>[] = [];
  const seenVip = new Map<string, number>();
  r.virtual_ips.forEach((v, j) => {
    const vip = parseVip(ctx, [...p, 'virtual_ips', j], v);
    if (!vip) return;
    const prev = seenVip.get(vip.address);
    if (prev !== undefined) {
      ctx.error(
        [...p, 'virtual_ips', j],
        'CONFIG_DUPLICATE',
        `VIP ${vip.address} is already listed at virtual_ips[${prev}]`,
      );
      return;
    }
    seenVip.set(vip.address, j);
    vips.push(vip);
  });
  const family: IpFamily = vips[0]?.family ?? 4;
  // keepalived virtual_ipaddress_excluded: added with the VIPs, never advertised, no say in the family
  const excluded: Omit<VirtualIp, 'inAdverts'>[] = [];
  r.virtual_ips_excluded.forEach((v, j) => {
    const path = [...p, 'virtual_ips_excluded', j];
    const vip = parseVip(ctx, path, v);
    if (!vip) return;
    if (seenVip.has(vip.address) || excluded.some((x) => x.address === vip.address)) {
      ctx.error(path, 'CONFIG_DUPLICATE', `${vip.address} is already an address of this instance`);
      return;
    }
    excluded.push(vip);
  });
  if (r.version === 2 && family === 6) {
    ctx.error(
      [...p, 'virtual_ips', 0],
      'CONFIG_FAMILY_MISMATCH',
      'VRRPv2 carries IPv4 only (RFC 3768): the first VIP sets the instance family and must be IPv4; use version: 3 for IPv6',
    );
  }
  const advertIntervalMs = ctx.ms([...p, 'advert_interval'], r.advert_interval);
  checkAdvertInterval(ctx, [...p, 'advert_interval'], r.version, advertIntervalMs, r.advert_interval);
  const preemptDelayMs = ctx.ms([...p, 'preempt_delay'], r.preempt_delay);
  if (preemptDelayMs > 1_000_000) {
    ctx.error(
      [...p, 'preempt_delay'],
      'CONFIG_OUT_OF_RANGE',
      `${pathText([...p, 'preempt_delay'])} must be at most 1000s`,
    );
  }
  if (r.auth_pass !== undefined && r.version !== 2) {
    ctx.error(
      [...p, 'auth_pass'],
      'CONFIG_NOT_APPLICABLE',
      'auth_pass is VRRPv2 only: RFC 5798 removed authentication from VRRPv3',
      true,
    );
  }

  const addrOfFamily = (path: ConfigPath, text: string, what: string): string | undefined => {
    const ip = parseIp(text);
    if (!ip) {
      ctx.error(path, 'CONFIG_BAD_ADDRESS', `${pathText(path)}: '${text}' is not an IP address`);
      return undefined;
    }
    if (ip.family !== family) {
      ctx.error(
        path,
        'CONFIG_FAMILY_MISMATCH',
        `${what} ${text} is ${familyName(ip.family)} but the instance is ${familyName(family)} (family of its first VIP)`,
      );
    }
    return parseCidr(text)!.address;
  };
  const unicastSrc =
    r.unicast_src === undefined
      ? undefined
      : addrOfFamily([...p, 'unicast_src'], r.unicast_src, 'unicast_src');
  const unicastPeers: string[] = [];
  const unicastTtlWindows: UnicastTtlWindow[] = [];
  r.unicast_peers.forEach((entry, j) => {
    const peer = typeof entry === 'string' ? { address: entry } : entry;
    const at = typeof entry === 'string' ? [...p, 'unicast_peers', j] : [...p, 'unicast_peers', j, 'address'];
    const a = addrOfFamily(at, peer.address, 'unicast peer');
    if (a === undefined) return;
    if (unicastPeers.includes(a)) {
      ctx.error(at, 'CONFIG_DUPLICATE', `unicast peer ${a} is listed twice`);
      return;
    }
    unicastPeers.push(a);
    if (peer.min_ttl === undefined && peer.max_ttl === undefined) return;
    const minTtl = peer.min_ttl ?? 0;
    const maxTtl = peer.max_ttl ?? 255;
    if (minTtl > maxTtl) {
      ctx.error(
        [...p, 'unicast_peers', j],
        'CONFIG_OUT_OF_RANGE',
        `unicast peer ${a}: min_ttl ${minTtl} > max_ttl ${maxTtl} would drop every advert`,
      );
      return;
    }
    unicastTtlWindows.push({ address: a, minTtl, maxTtl });
  });
  const mcastSrc =
    r.mcast_src === undefined ? undefined : addrOfFamily([...p, 'mcast_src'], r.mcast_src, 'mcast_src');
  if (r.mcast_src !== undefined && r.unicast_peers.length > 0) {
    ctx.error(
      [...p, 'mcast_src'],
      'CONFIG_NOT_APPLICABLE',
      'mcast_src is the source of multicast adverts: with unicast_peers, write unicast_src',
      true,
    );
  }
  const ttlDefault = r.unicast_ttl === 255;
  if (!ttlDefault && r.unicast_peers.length === 0) {
    ctx.error(
      [...p, 'unicast_ttl'],
      'CONFIG_NOT_APPLICABLE',
      'unicast_ttl has no effect without unicast_peers',
      true,
    );
  }
  const allowedPeers: string[] = [];
  (r.allowed_peers ?? []).forEach((peer, j) => {
    const a = addrOfFamily([...p, 'allowed_peers', j], peer, 'allowed peer');
    if (a === undefined) return;
    if (allowedPeers.includes(a))
      ctx.error([...p, 'allowed_peers', j], 'CONFIG_DUPLICATE', `allowed peer ${a} is listed twice`);
    else allowedPeers.push(a);
  });
  let advertRateLimit: VrrpInstance['advertRateLimit'];
  if (r.advert_rate_limit !== undefined) {
    const perMs = ctx.positiveMs([...p, 'advert_rate_limit', 'per'], r.advert_rate_limit.per);
    advertRateLimit = { max: r.advert_rate_limit.max, perMs };
  }
  const authHmac =
    r.auth_hmac === undefined
      ? undefined
      : buildAuthHmac(ctx, r.auth_hmac, [...p, 'auth_hmac'], advertIntervalMs);
  if (r.auth_hmac !== undefined && r.auth_pass !== undefined) {
    ctx.error(
      [...p, 'auth_pass'],
      'CONFIG_NOT_APPLICABLE',
      'auth_pass and auth_hmac exclude each other (keepalived drops the legacy block): keep auth_hmac',
      true,
    );
  }
  if (r.unicast_src !== undefined && r.unicast_peers.length === 0 && !r.unicast_fault_no_peer) {
    ctx.error(
      [...p, 'unicast_src'],
      'CONFIG_NOT_APPLICABLE',
      'unicast_src has no effect without unicast_peers',
      true,
    );
  }

  const trackInterfaces: TrackInterface[] = [];
  r.track_interfaces.forEach((t, j) => {
    const ti = typeof t === 'string' ? { interface: t, weight: 0, reverse: false } : t;
    if (trackInterfaces.some((x) => x.interface === ti.interface)) {
      ctx.error(
        [...p, 'track_interfaces', j],
        'CONFIG_DUPLICATE',
        `interface ${ti.interface} is tracked twice`,
      );
    } else trackInterfaces.push({ interface: ti.interface, weight: ti.weight, reverse: ti.reverse });
  });
  const trackScripts: TrackScript[] = [];
  r.track_scripts.forEach((t, j) => {
    const ts = typeof t === 'string' ? { name: t } : t;
    const path = [...p, 'track_scripts', j, ...(typeof t === 'string' ? [] : ['name'])];
    if (scriptNames && !scriptNames.includes(ts.name)) {
      ctx.error(
        path,
        'CONFIG_UNKNOWN_REFERENCE',
        `unknown vrrp_script '${ts.name}'${scriptNames.length ? suggestionSuffix(ts.name, scriptNames) : ' (vrrp_scripts is empty)'}`,
      );
    } else if (trackScripts.some((x) => x.name === ts.name)) {
      ctx.error(path, 'CONFIG_DUPLICATE', `script ${ts.name} is tracked twice`);
    } else
      trackScripts.push({
        name: ts.name,
        ...('weight' in ts && ts.weight !== undefined ? { weight: ts.weight } : {}),
        ...('reverse' in ts && ts.reverse !== undefined ? { reverse: ts.reverse } : {}),
      });
  });

  const g = r.garp;
  const knobs = instanceKnobs(ctx, r, p, knobDefaults, [...vips, ...excluded]);
  return {
    name: r.name,
    interface: r.interface,
    vrid: r.vrid,
    version: r.version,
    family,
    priority: r.priority,
    advertIntervalMs,
    preempt: r.preempt,
    preemptDelayMs,
    accept: r.accept,
    useVmac: r.use_vmac,
    ...(r.auth_pass !== undefined ? { authPass: r.auth_pass } : {}),
    ...(unicastSrc !== undefined ? { unicastSrc } : {}),
    unicastPeers,
    virtualIps: [
      ...vips.map((v) => ({ ...v, inAdverts: v.family === family })),
      ...excluded.map((v) => ({ ...v, inAdverts: false })),
    ],
    trackInterfaces,
    trackScripts,
    garp: {
      repeat: g.repeat,
      intervalMs: ctx.ms([...p, 'garp', 'interval'], g.interval),
      delayMs: ctx.ms([...p, 'garp', 'delay'], g.delay),
      refreshMs: ctx.ms([...p, 'garp', 'refresh'], g.refresh),
      refreshRepeat: g.refresh_repeat,
      ...knobs.garp,
    },
    notify: notifyOf(r.notify),
    ...(mcastSrc !== undefined ? { mcastSrc } : {}),
    dontTrackPrimary: r.dont_track_primary,
    v3ChecksumIpv4PseudoHeader: r.v3_checksum_ipv4_pseudo_header,
    unicastTtl: r.unicast_ttl,
    unicastTtlWindows,
    unicastFaultNoPeer: r.unicast_fault_no_peer,
    ...(authHmac ? { authHmac } : {}),
    ...(r.allowed_peers !== undefined ? { allowedPeers } : {}),
    ...(advertRateLimit ? { advertRateLimit } : {}),
    higherPrioSendAdvert: knobs.higherPrioSendAdvert,
    lowerPrioNoAdvert: knobs.lowerPrioNoAdvert,
    downTimerAdverts: knobs.downTimerAdverts,
    ...buildVirtualRoutesAndRules(ctx, p, r.virtual_routes, r.virtual_rules),
  };
}

export function buildInstances(
  ctx: BuildContext,
  raw: (RawInstance | null)[],
  /** null: unknown (vrrp_scripts is malformed), references are not checked */
  scriptNames: string[] | null,
  /** global.vrrp_defaults resolved (buildVrrpDefaults); absent: keepalived's defaults */
  knobDefaults: VrrpKnobDefaults = KEEPALIVED_KNOB_DEFAULTS,
): VrrpInstance[] {
  const byName = new Map<string, number>();
  // RFC 5798 §7.3: a VRID names one virtual router per interface and family (the MAC is 00-00-5E-00-0{1,2}-VRID)
  const byVrid = new Map<string, number>();
  const out: VrrpInstance[] = [];
  raw.forEach((r, i) => {
    if (!r) return;
    const p = ['vrrp_instances', i];
    const prevName = byName.get(r.name);
    if (prevName !== undefined) {
      ctx.error(
        [...p, 'name'],
        'CONFIG_DUPLICATE',
        `instance name '${r.name}' is already used by vrrp_instances[${prevName}]`,
      );
    } else byName.set(r.name, i);
    const inst = buildInstance(ctx, r, p, scriptNames, knobDefaults);
    const vkey = `${inst.interface}|${inst.vrid}|${inst.family}`;
    const prevVrid = byVrid.get(vkey);
    if (prevVrid !== undefined) {
      ctx.error(
        [...p, 'vrid'],
        'CONFIG_DUPLICATE_VRID',
        `vrid ${inst.vrid} is already used on ${inst.interface} for ${familyName(inst.family)} by instance '${raw[prevVrid]?.name}' (vrrp_instances[${prevVrid}])`,
      );
    } else byVrid.set(vkey, i);
    out.push(inst);
  });
  return out;
}

export function buildSyncGroups(
  ctx: BuildContext,
  raw: (RawSyncGroup | null)[],
  /** null: unknown (vrrp_instances is malformed), references are not checked */
  instanceNames: string[] | null,
): VrrpSyncGroup[] {
  const groupOf = new Map<string, string>();
  const names = new Set<string>();
  const out: VrrpSyncGroup[] = [];
  raw.forEach((g, i) => {
    if (!g) return;
    const p = ['vrrp_sync_groups', i];
    if (names.has(g.name))
      ctx.error([...p, 'name'], 'CONFIG_DUPLICATE', `sync group name '${g.name}' is used twice`);
    names.add(g.name);
    const members: string[] = [];
    g.instances.forEach((n, j) => {
      const path = [...p, 'instances', j];
      if (instanceNames && !instanceNames.includes(n)) {
        ctx.error(
          path,
          'CONFIG_UNKNOWN_REFERENCE',
          `unknown instance '${n}'${suggestionSuffix(n, instanceNames)}`,
        );
        return;
      }
      const other = groupOf.get(n);
      if (other !== undefined) {
        ctx.error(
          path,
          'CONFIG_DUPLICATE',
          other === g.name
            ? `instance '${n}' is listed twice in sync group '${g.name}'`
            : `instance '${n}' is already in sync group '${other}'; an instance belongs to at most one group`,
        );
        return;
      }
      groupOf.set(n, g.name);
      members.push(n);
    });
    out.push({ name: g.name, instances: members, notify: notifyOf(g.notify) });
  });
  return out;
}

export function buildLvsSyncDaemon(
  ctx: BuildContext,
  raw: RawConfig['lvs_sync_daemon'],
  instances: VrrpInstance[],
  instanceNames: string[] | null,
): LvsSyncDaemon | undefined {
  if (!raw) return undefined;
  const inst = instances.find((x) => x.name === raw.instance);
  if (instanceNames && !instanceNames.includes(raw.instance)) {
    ctx.error(
      ['lvs_sync_daemon', 'instance'],
      'CONFIG_UNKNOWN_REFERENCE',
      `unknown instance '${raw.instance}'${suggestionSuffix(raw.instance, instanceNames)}`,
    );
  }
  // keepalived's default sync id is the VRID of the instance it follows
  return { interface: raw.interface, instance: raw.instance, syncId: raw.sync_id ?? inst?.vrid ?? 0 };
}
