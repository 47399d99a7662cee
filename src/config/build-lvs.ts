// Semantic checks and model building for the IPVS half: virtual_servers (with their
// real servers, sorry server and checks) and lvs_timeouts. Input already passed the schema.
import { type IpFamily, parseCidr, parseIp } from '../net/addr.js';
import { buildDatagramOrSmtpCheck, buildHostlessCheck } from './build-checks-more.js';
import { argvOf, type BuildContext, familyName, hostPort } from './build-context.js';
import type { ConfigPath } from './errors.js';
import { pathText } from './errors.js';
import type {
  Announcement,
  AnnounceSettings,
  Check,
  Forwarding,
  LvsTimeouts,
  RealServer,
  Scheduler,
  SorryServer,
  Tunnel,
  VirtualServer,
} from './model.js';
import type {
  RawCheck,
  RawConfig,
  RawRealServer,
  RawStatus,
  RawVirtualServer,
  RawVirtualServerGroup,
  TunChecksum,
  TunType,
} from './raw.js';
import { buildVirtualServerGroups, type GroupEntry } from './vs-group.js';

// which check keys make sense for which check type; the rest are errors, not silently ignored
const CHECK_KEY_TYPES: Record<string, readonly RawCheck['type'][]> = {
  port: ['tcp', 'http', 'https', 'udp', 'dns', 'smtp'],
  connect_timeout: ['tcp', 'http', 'https', 'udp', 'dns', 'smtp', 'ping'],
  bind_address: ['tcp', 'http', 'https', 'udp', 'dns', 'smtp', 'ping'],
  send: ['tcp'],
  expect: ['tcp'],
  path: ['http', 'https'],
  status: ['http', 'https'],
  expect_body: ['http', 'https'],
  digest: ['http', 'https'],
  host: ['http', 'https'],
  tls_verify: ['https'],
  command: ['script'],
  user: ['script'],
  group: ['script'],
  urls: ['http', 'https'],
  payload: ['udp'],
  require_reply: ['udp'],
  reply: ['udp'],
  min_reply_length: ['udp'],
  max_reply_length: ['udp'],
  query_type: ['dns'],
  query_name: ['dns'],
  helo_name: ['smtp'],
  file: ['file'],
  reverse: ['file'],
};

/** [200, '200-299'] → the codes, in order, once each; errors for a range that runs backwards */
function statusCodes(ctx: BuildContext, p: ConfigPath, raw: readonly RawStatus[]): number[] {
  const out = new Set<number>();
  raw.forEach((x, i) => {
    if (typeof x === 'number') {
      out.add(x);
      return;
    }
    const [lo, hi] = x.split('-').map(Number) as [number, number];
    if (hi < lo) ctx.error([...p, i], 'CONFIG_BAD_VALUE', `status range '${x}' ends before it starts`);
    for (let c = lo; c <= hi; c++) out.add(c);
  });
  return [...out];
}

interface CheckScope {
  vs: RawVirtualServer;
  rsPort: number;
  rsFamily: IpFamily;
  /** the real server's alpha; absent: the virtual server's (applied by the check's user) */
  alpha: boolean | undefined;
}

/** One check of the config; an http/https check with `urls` is one model check per url. */
function buildChecks(ctx: BuildContext, c: RawCheck, p: ConfigPath, scope: CheckScope): Check[] {
  if (c.urls === undefined || (c.type !== 'http' && c.type !== 'https')) {
    const one = buildCheck(ctx, c, p, scope);
    return one ? [one] : [];
  }
  if (c.path !== undefined)
    ctx.error([...p, 'path'], 'CONFIG_NOT_APPLICABLE', 'give either path or urls, not both', true);
  const out: Check[] = [];
  c.urls.forEach((u, i) => {
    const { urls: _u, ...rest } = c;
    const one = buildCheck(
      ctx,
      {
        ...rest,
        path: u.path,
        ...(u.status !== undefined ? { status: u.status } : {}),
        ...(u.expect_body !== undefined ? { expect_body: u.expect_body } : {}),
        ...(u.digest !== undefined ? { digest: u.digest } : {}),
        ...(u.host !== undefined ? { host: u.host } : {}),
      },
      p,
      scope,
      [...p, 'urls', i],
    );
    if (one) out.push(one);
  });
  return out;
}

function buildCheck(
  ctx: BuildContext,
  c: RawCheck,
  p: ConfigPath,
  scope: CheckScope,
  urlPath: ConfigPath = p,
): Check | undefined {
  let ok = true;
  for (const [key, types] of Object.entries(CHECK_KEY_TYPES)) {
    if ((c as unknown as Record<string, unknown>)[key] !== undefined && !types.includes(c.type)) {
      ctx.error(
        [...p, key],
        'CONFIG_NOT_APPLICABLE',
        `'${key}' does not apply to a ${c.type} check (only ${types.join('/')})`,
        true,
      );
      ok = false;
    }
  }
  const d = scope.vs.check_defaults;
  const timing = {
    intervalMs: ctx.positiveMs([...p, 'interval'], c.interval ?? d.interval),
    timeoutMs: ctx.positiveMs([...p, 'timeout'], c.timeout ?? d.timeout),
    rise: c.rise ?? d.rise,
    fall: c.fall ?? d.fall,
    retry: c.retry ?? d.retry,
    retryDelayMs: ctx.ms([...p, 'retry_delay'], c.retry_delay ?? d.retry_delay),
  };
  const alpha = c.alpha ?? scope.alpha;
  if (alpha !== undefined) Object.assign(timing, { alpha });
  if (c.type === 'script') {
    if (!c.command) {
      ctx.error(p, 'CONFIG_MISSING_KEY', `${pathText(p)}: a script check needs 'command' (an argv list)`);
      return undefined;
    }
    return ok
      ? {
          type: 'script',
          ...timing,
          command: [...c.command],
          ...(c.user !== undefined ? { user: c.user } : {}),
          ...(c.group !== undefined ? { group: c.group } : {}),
        }
      : undefined;
  }
  if (c.type === 'ping' || c.type === 'file') {
    return ok ? buildHostlessCheck(ctx, c, p, timing, scope.rsFamily) : undefined;
  }
  const port = c.port ?? scope.rsPort;
  if (port === 0) {
    ctx.error(
      p,
      'CONFIG_MISSING_KEY',
      `${pathText(p)}: a ${c.type} check needs 'port' (the real server has none)`,
    );
    ok = false;
  }
  let bindAddress: string | undefined;
  if (c.bind_address !== undefined) {
    const ip = parseIp(c.bind_address);
    if (!ip) {
      ctx.error([...p, 'bind_address'], 'CONFIG_BAD_ADDRESS', `'${c.bind_address}' is not an IP address`);
    } else if (ip.family !== scope.rsFamily) {
      ctx.error(
        [...p, 'bind_address'],
        'CONFIG_FAMILY_MISMATCH',
        `bind_address ${c.bind_address} is ${familyName(ip.family)} but the real server is ${familyName(scope.rsFamily)}`,
      );
    } else bindAddress = parseCidr(c.bind_address)!.address;
  }
  const net = {
    ...timing,
    port,
    connectTimeoutMs:
      c.connect_timeout === undefined
        ? timing.timeoutMs
        : ctx.positiveMs([...p, 'connect_timeout'], c.connect_timeout),
    ...(bindAddress !== undefined ? { bindAddress } : {}),
  };
  if (!ok) return undefined;
  if (c.type === 'tcp') {
    return {
      type: 'tcp',
      ...net,
      ...(c.send !== undefined ? { send: c.send } : {}),
      ...(c.expect !== undefined ? { expect: c.expect } : {}),
    };
  }
  if (c.type === 'udp' || c.type === 'dns' || c.type === 'smtp')
    return buildDatagramOrSmtpCheck(ctx, c, p, net);
  const path = c.path ?? '/';
  if (!path.startsWith('/')) {
    ctx.error(
      [...urlPath, 'path'],
      'CONFIG_BAD_VALUE',
      `${pathText([...urlPath, 'path'])} must start with '/', not '${path}'`,
    );
  }
  const host = c.host ?? scope.vs.virtualhost;
  return {
    type: c.type,
    ...net,
    path,
    status: statusCodes(ctx, [...urlPath, 'status'], c.status ?? [200]),
    ...(c.expect_body !== undefined ? { expectBody: c.expect_body } : {}),
    ...(c.digest !== undefined
      ? {
          digest: {
            algorithm: c.digest.length === 32 ? ('md5' as const) : ('sha256' as const),
            hex: c.digest.toLowerCase(),
          },
        }
      : {}),
    ...(host !== undefined ? { host } : {}),
    tlsVerify: c.type === 'https' && c.tls_verify === true,
  };
}

function buildTunnel(
  ctx: BuildContext,
  p: ConfigPath,
  forwarding: Forwarding,
  type: TunType | undefined,
  port: number | undefined,
  checksum: TunChecksum | undefined,
): Tunnel | undefined {
  if (forwarding !== 'tun') {
    if (type !== undefined)
      ctx.error([...p, 'tun_type'], 'CONFIG_NOT_APPLICABLE', 'tun_type needs forwarding: tun', true);
    return undefined;
  }
  const t = type ?? 'ipip';
  if (t === 'gue' && port === undefined) {
    ctx.error(p, 'CONFIG_MISSING_KEY', `${pathText(p)}: tun_type gue needs tun_port`);
  }
  if (t !== 'gue' && port !== undefined) {
    ctx.error([...p, 'tun_port'], 'CONFIG_NOT_APPLICABLE', 'tun_port is only for tun_type gue', true);
  }
  // IPVS: gue takes csum or remcsum, gre csum, ipip neither
  const sum = checksum === 'none' ? undefined : checksum;
  if (sum !== undefined && (t === 'ipip' || (t === 'gre' && sum === 'remcsum'))) {
    ctx.error(
      [...p, 'tun_checksum'],
      'CONFIG_NOT_APPLICABLE',
      `tun_checksum ${sum} does not apply to tun_type ${t} (gue: csum or remcsum; gre: csum)`,
      true,
    );
  }
  const base = t === 'gue' && port !== undefined ? { type: t, port } : { type: t };
  return sum !== undefined && t !== 'ipip' ? { ...base, checksum: sum } : base;
}

/** virtual servers expanded from a group's entries */
const FROM_GROUP = new WeakSet<RawVirtualServer>();

function buildRealServer(
  ctx: BuildContext,
  r: RawRealServer,
  p: ConfigPath,
  vs: RawVirtualServer,
  family: IpFamily,
): RealServer | undefined {
  const ip = parseIp(r.address);
  if (!ip) {
    ctx.error([...p, 'address'], 'CONFIG_BAD_ADDRESS', `'${r.address}' is not an IP address`);
    return undefined;
  }
  const address = parseCidr(r.address)!.address;
  const forwarding = r.forwarding ?? vs.forwarding;
  // IPVS forwards to a real server of the other family only through a tunnel
  if (ip.family !== family && forwarding !== 'tun') {
    ctx.error(
      [...p, 'address'],
      'CONFIG_FAMILY_MISMATCH',
      `real server ${r.address} is ${familyName(ip.family)} but the virtual server is ${familyName(family)}; only tun forwarding can mix families`,
    );
  }
  if (r.port === undefined && vs.fwmark === undefined) {
    ctx.error(
      p,
      'CONFIG_MISSING_KEY',
      `${pathText(p)} needs 'port' (only fwmark virtual servers take real servers without one)`,
    );
  }
  const port = r.port ?? 0;
  // IPVS forwards dr and tun packets unchanged: a different port here would only move the checks
  // (a group's entries are exempt: there one real server serves entries on several ports, and
  // traffic reaches it on each entry's own port, as with keepalived)
  if (
    forwarding !== 'nat' &&
    !FROM_GROUP.has(vs) &&
    vs.port !== undefined &&
    r.port !== undefined &&
    r.port !== vs.port
  ) {
    ctx.error(
      [...p, 'port'],
      'CONFIG_NOT_APPLICABLE',
      `IPVS does not change the port for ${forwarding} forwarding: traffic reaches ${r.address} on port ${vs.port}, not ${r.port}; write port: ${vs.port} (with check port: ${r.port} to check another port) or use forwarding: nat`,
    );
  }
  if (r.upper_threshold > 0 && r.lower_threshold > r.upper_threshold) {
    ctx.error(
      [...p, 'lower_threshold'],
      'CONFIG_OUT_OF_RANGE',
      'lower_threshold must not be above upper_threshold',
    );
  }
  // a real server's own tun_type makes its own tunnel: the virtual server's GUE port only
  // goes to GUE tunnels, its checksum only to real servers that take its tunnel type
  const tunType = r.tun_type ?? vs.tun_type;
  const tunnel = buildTunnel(
    ctx,
    p,
    forwarding,
    tunType,
    r.tun_port ?? (tunType === 'gue' ? vs.tun_port : undefined),
    r.tun_checksum ?? (r.tun_type === undefined ? vs.tun_checksum : undefined),
  );
  const scope: CheckScope = { vs, rsPort: port, rsFamily: ip.family, alpha: r.alpha };
  const checks: Check[] = [];
  if (r.check && r.checks)
    ctx.error([...p, 'checks'], 'CONFIG_NOT_APPLICABLE', 'give either check or checks, not both', true);
  if (r.check) checks.push(...buildChecks(ctx, r.check, [...p, 'check'], scope));
  r.checks?.forEach((c, i) => {
    checks.push(...buildChecks(ctx, c, [...p, 'checks', i], scope));
  });
  const check = checks[0];
  const notifyUp = argvOf(r.notify_up);
  const notifyDown = argvOf(r.notify_down);
  return {
    key: hostPort(address, port),
    address,
    family: ip.family,
    port,
    weight: r.weight,
    forwarding,
    ...(tunnel ? { tunnel } : {}),
    // announced services drain failed servers at weight 0: removing one would change the
    // order of the mh table's destinations on this director alone
    inhibitOnFailure: (r.inhibit_on_failure ?? vs.inhibit_on_failure) || vs.announce !== undefined,
    upperThreshold: r.upper_threshold,
    lowerThreshold: r.lower_threshold,
    ...(notifyUp ? { notifyUp } : {}),
    ...(notifyDown ? { notifyDown } : {}),
    ...(r.notify_user !== undefined ? { notifyUser: r.notify_user } : {}),
    ...(r.notify_group !== undefined ? { notifyGroup: r.notify_group } : {}),
    ...(check ? { check } : {}),
    ...(checks.length > 1 ? { checks } : {}),
  };
}

function persistencePrefix(
  ctx: BuildContext,
  p: ConfigPath,
  v: string | number | undefined,
  family: IpFamily,
): number {
  const max = family === 4 ? 32 : 128;
  if (v === undefined) return max;
  const path = [...p, 'persistence_netmask'];
  let len: number | null = null;
  if (typeof v === 'number' || /^\/?\d{1,3}$/.test(v)) {
    len = Number(String(v).replace('/', ''));
  } else if (family === 4) {
    const ip = parseIp(v);
    if (ip?.family === 4) {
      // contiguous: the host part (inverted mask) is 2^k - 1
      const host = ~ip.bytes.readUInt32BE(0) >>> 0;
      if ((host & (host + 1)) === 0) len = 32 - Math.log2(host + 1);
    }
  }
  if (len === null || len < 1 || len > max) {
    ctx.error(
      path,
      'CONFIG_BAD_VALUE',
      `${pathText(path)} must be ${family === 4 ? 'a contiguous IPv4 netmask (255.255.255.0) or ' : ''}a prefix length 1-${max}, not '${v}'`,
    );
    return max;
  }
  return len;
}

function buildVirtualServer(
  ctx: BuildContext,
  v: RawVirtualServer,
  p: ConfigPath,
  settings: AnnounceSettings | null,
): VirtualServer | undefined {
  if ((v.address === undefined) === (v.fwmark === undefined)) {
    ctx.error(
      v.fwmark === undefined ? p : [...p, 'fwmark'],
      'CONFIG_BAD_VALUE',
      `${pathText(p)} needs either address (with port) or fwmark, ${v.fwmark === undefined ? 'and has neither' : 'not both'}`,
      v.fwmark !== undefined,
    );
    return undefined;
  }
  let family: IpFamily;
  let address: string | undefined;
  if (v.address !== undefined) {
    const ip = parseIp(v.address);
    if (!ip) {
      ctx.error([...p, 'address'], 'CONFIG_BAD_ADDRESS', `'${v.address}' is not an IP address`);
      return undefined;
    }
    family = ip.family;
    address = parseCidr(v.address)!.address;
    if (v.port === undefined)
      ctx.error(p, 'CONFIG_MISSING_KEY', `${pathText(p)} needs 'port' (0 = all ports, with persistence)`);
    if (v.family !== undefined) {
      ctx.error(
        [...p, 'family'],
        'CONFIG_NOT_APPLICABLE',
        'family is for fwmark services; the address sets it here',
        true,
      );
    }
  } else {
    const firstRs = v.real_servers.map((r) => parseIp(r.address)).find((x) => x !== null);
    family = v.family === 'inet6' ? 6 : v.family === 'inet' ? 4 : (firstRs?.family ?? 4);
    if (v.port !== undefined)
      ctx.error([...p, 'port'], 'CONFIG_NOT_APPLICABLE', 'a fwmark service has no port', true);
  }
  const persistenceTimeoutS = ctx.wholeSeconds([...p, 'persistence_timeout'], v.persistence_timeout);
  if (v.port === 0 && persistenceTimeoutS === 0) {
    ctx.error(
      [...p, 'port'],
      'CONFIG_BAD_VALUE',
      'port 0 (all ports) needs persistence_timeout > 0, as in IPVS',
    );
  }
  const announced = v.announce !== undefined;
  const scheduler = v.scheduler ?? (announced ? 'mh' : 'wlc');
  // announce mode's defaults: mh hashing the port too, skipping drained servers
  const mhDefault = announced && scheduler === 'mh';
  const flagRule = (key: 'sh_fallback' | 'sh_port' | 'mh_fallback' | 'mh_port', sched: string): void => {
    if (v[key] && scheduler !== sched) {
      ctx.error(
        [...p, key],
        'CONFIG_NOT_APPLICABLE',
        `${key} needs scheduler: ${sched} (it is ${scheduler})`,
        true,
      );
    }
  };
  flagRule('sh_fallback', 'sh');
  flagRule('sh_port', 'sh');
  flagRule('mh_fallback', 'mh');
  flagRule('mh_port', 'mh');
  if (v.ops && v.protocol !== 'udp' && v.fwmark === undefined) {
    ctx.error(
      [...p, 'ops'],
      'CONFIG_NOT_APPLICABLE',
      'ops (one-packet scheduling) is for UDP services',
      true,
    );
  }
  let sorryServer: SorryServer | undefined;
  if (v.sorry_server) {
    const s = v.sorry_server;
    const ip = parseIp(s.address);
    const fwd = s.forwarding ?? v.forwarding;
    if (!ip)
      ctx.error(
        [...p, 'sorry_server', 'address'],
        'CONFIG_BAD_ADDRESS',
        `'${s.address}' is not an IP address`,
      );
    else if (ip.family !== family && fwd !== 'tun') {
      ctx.error(
        [...p, 'sorry_server', 'address'],
        'CONFIG_FAMILY_MISMATCH',
        `sorry server ${s.address} is ${familyName(ip.family)} but the virtual server is ${familyName(family)}`,
      );
    } else
      sorryServer = {
        address: parseCidr(s.address)!.address,
        port: s.port ?? v.port ?? 0,
        forwarding: fwd,
        inhibit: s.inhibit,
      };
  }
  const realServers: RealServer[] = [];
  v.real_servers.forEach((r, j) => {
    const rp = [...p, 'real_servers', j];
    const rs = buildRealServer(ctx, r, rp, v, family);
    if (!rs) return;
    const prev = realServers.findIndex((x) => x.key === rs.key);
    if (prev >= 0)
      ctx.error([...rp, 'address'], 'CONFIG_DUPLICATE', `real server ${rs.key} is already listed`);
    else realServers.push(rs);
  });
  const key =
    v.fwmark !== undefined
      ? `fwmark:${v.fwmark}:${family}`
      : `${v.protocol}:${hostPort(address!, v.port ?? 0)}`;
  const quorumUp = argvOf(v.quorum_up);
  const quorumDown = argvOf(v.quorum_down);
  const announcement = buildAnnouncement(ctx, v, p, address, family, settings);
  return {
    key,
    ...(address !== undefined ? { address, port: v.port ?? 0 } : { fwmark: v.fwmark! }),
    protocol: v.protocol,
    family,
    scheduler: scheduler as Scheduler,
    forwarding: v.forwarding,
    persistenceTimeoutS,
    persistencePrefixLength: persistencePrefix(ctx, p, v.persistence_netmask, family),
    flags: {
      ops: v.ops,
      shFallback: v.sh_fallback,
      shPort: v.sh_port,
      mhFallback: v.mh_fallback ?? mhDefault,
      mhPort: v.mh_port ?? mhDefault,
    },
    quorum: v.quorum,
    hysteresis: v.hysteresis,
    ...(quorumUp ? { quorumUp } : {}),
    ...(quorumDown ? { quorumDown } : {}),
    ...(v.quorum_user !== undefined ? { quorumUser: v.quorum_user } : {}),
    ...(v.quorum_group !== undefined ? { quorumGroup: v.quorum_group } : {}),
    ...(sorryServer ? { sorryServer } : {}),
    alpha: v.alpha,
    ...(v.omega ? { omega: true } : {}),
    ...(v.ha_suspend && address !== undefined ? { haSuspend: true } : {}),
    realServers,
    ...(announcement ? { announce: announcement } : {}),
  };
}

function buildAnnouncement(
  ctx: BuildContext,
  v: RawVirtualServer,
  p: ConfigPath,
  address: string | undefined,
  family: IpFamily,
  settings: AnnounceSettings | null,
): Announcement | undefined {
  const a = v.announce;
  if (!a) return undefined;
  const ap = [...p, 'announce'];
  if (!settings)
    ctx.error(
      ap,
      'CONFIG_MISSING_KEY',
      'announce needs global.announce.table: the kernel routing table vrrpd owns and FRR imports',
      true,
    );
  const text = a.address ?? address;
  if (text === undefined) {
    ctx.error(ap, 'CONFIG_MISSING_KEY', 'a fwmark service announces announce.address: give the VIP', true);
    return undefined;
  }
  const ip = parseIp(text);
  if (!ip) {
    ctx.error([...ap, 'address'], 'CONFIG_BAD_ADDRESS', `'${text}' is not an IP address`);
    return undefined;
  }
  if (ip.family !== family) {
    ctx.error(
      [...ap, 'address'],
      'CONFIG_FAMILY_MISMATCH',
      `announce.address ${text} is ${familyName(ip.family)} but the virtual server is ${familyName(family)}`,
    );
    return undefined;
  }
  return { address: parseCidr(text)!.address, family: ip.family, when: a.when };
}

/**
 * A virtual server with `group`: one virtual server per entry of the group, all with the
 * same real servers and checks (shared by their `group` identity, so each real server is
 * checked once); only the first carries the quorum scripts. Errors the entries share are
 * reported once.
 */
function buildGroupServers(
  ctx: BuildContext,
  v: RawVirtualServer,
  p: ConfigPath,
  entries: readonly GroupEntry[],
  announce: AnnounceSettings | null,
): VirtualServer[] {
  const out: VirtualServer[] = [];
  const before = ctx.errors.length;
  const { group: _g, ...base } = v;
  for (const e of entries) {
    const raw: RawVirtualServer =
      'address' in e
        ? { ...base, address: e.address, port: e.port }
        : {
            ...base,
            fwmark: e.fwmark,
            ...(e.family !== undefined ? { family: e.family === 6 ? 'inet6' : 'inet' } : {}),
          };
    // an explicit family of an address entry is the entry's business
    if ('address' in e) delete raw.family;
    FROM_GROUP.add(raw);
    const vs = buildVirtualServer(ctx, raw, p, announce);
    if (!vs) continue;
    const first = out.length === 0;
    const { quorumUp, quorumDown, quorumUser, quorumGroup, ...rest } = vs;
    out.push({
      ...rest,
      ...(first && quorumUp ? { quorumUp } : {}),
      ...(first && quorumDown ? { quorumDown } : {}),
      ...(first && quorumUser !== undefined ? { quorumUser } : {}),
      ...(first && quorumGroup !== undefined ? { quorumGroup } : {}),
      group: `${v.group}/${v.protocol}`,
    });
  }
  // the real servers' errors are the same for every entry: once is enough
  const seen = new Set<string>();
  const mine = ctx.errors.splice(before).filter((e) => {
    const k = `${JSON.stringify(e.path)} ${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  ctx.errors.push(...mine);
  return out;
}

export function buildVirtualServers(
  ctx: BuildContext,
  raw: (RawVirtualServer | null)[],
  rawGroups: readonly (RawVirtualServerGroup | null)[] = [],
  announce: AnnounceSettings | null = null,
): VirtualServer[] {
  const out: VirtualServer[] = [];
  const byKey = new Map<string, number>();
  const groups = buildVirtualServerGroups(ctx, rawGroups);
  raw.forEach((v, i) => {
    if (!v) return;
    const p = ['virtual_servers', i];
    if (v.ha_suspend && v.address === undefined)
      ctx.error(
        [...p, 'ha_suspend'],
        'CONFIG_NOT_APPLICABLE',
        `ha_suspend needs the virtual server's address: it does not apply to a ${v.group !== undefined ? 'group' : 'fwmark'} service (keepalived clears it for fwmarks)`,
        true,
      );
    let built: VirtualServer[];
    if (v.group !== undefined) {
      if (v.address !== undefined || v.fwmark !== undefined || v.port !== undefined) {
        const k = v.address !== undefined ? 'address' : v.fwmark !== undefined ? 'fwmark' : 'port';
        ctx.error(
          [...p, k],
          'CONFIG_BAD_VALUE',
          `${pathText(p)} has a group: the group's entries give the ${k}`,
          true,
        );
        return;
      }
      const entries = groups.get(v.group);
      if (!entries) {
        ctx.error(
          [...p, 'group'],
          'CONFIG_UNKNOWN_REFERENCE',
          `there is no virtual_server_groups entry named '${v.group}'`,
        );
        return;
      }
      built = buildGroupServers(ctx, v, p, entries, announce);
    } else {
      const vs = buildVirtualServer(ctx, v, p, announce);
      built = vs ? [vs] : [];
    }
    for (const vs of built) {
      const prev = byKey.get(vs.key);
      if (prev !== undefined) {
        ctx.error(
          [...p, v.group !== undefined ? 'group' : v.fwmark !== undefined ? 'fwmark' : 'address'],
          'CONFIG_DUPLICATE',
          `virtual server ${vs.key} is already defined at virtual_servers[${prev}]`,
        );
        continue;
      }
      byKey.set(vs.key, i);
      out.push(vs);
    }
  });
  return out;
}

export function buildLvsTimeouts(ctx: BuildContext, raw: RawConfig['lvs_timeouts']): LvsTimeouts {
  const out: { -readonly [K in keyof LvsTimeouts]: LvsTimeouts[K] } = {};
  if (!raw) return out;
  const one = (k: 'tcp' | 'tcp_fin' | 'udp'): number | undefined => {
    const v = raw[k];
    if (v === undefined) return undefined;
    const s = ctx.wholeSeconds(['lvs_timeouts', k], v);
    if (s === 0)
      ctx.error(
        ['lvs_timeouts', k],
        'CONFIG_OUT_OF_RANGE',
        `lvs_timeouts.${k} must be at least 1s (leave it out to keep the kernel's value)`,
      );
    return s;
  };
  const tcp = one('tcp');
  const tcpFin = one('tcp_fin');
  const udp = one('udp');
  if (tcp !== undefined) out.tcpS = tcp;
  if (tcpFin !== undefined) out.tcpFinS = tcpFin;
  if (udp !== undefined) out.udpS = udp;
  return out;
}
