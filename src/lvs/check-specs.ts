// Config real-server checks → CheckSpecs for the check manager (pure). The check id is
// stable across reloads ("tcp/192.0.2.50:80 198.51.100.2:80"), so an unchanged check keeps
// its state and an edited one is diffed by the manager (src/check/manager.ts set()).

import type { GroupedCheckSpec } from '../check/combined.js';
import type { HttpProbeOptions } from '../check/http.js';
import type { HealthStateName } from '../check/hysteresis.js';
import type { ProbeSpec } from '../check/manager.js';
import type { TcpProbeOptions } from '../check/tcp.js';
import {
  type Check,
  type Config,
  type RealServer,
  scriptIdentityOf,
  type VirtualServer,
} from '../config/model.js';
import { probeOfMore } from './check-specs-more.js';
import { statusKey } from './desired.js';

/** The id of a real server's (combined) health; the services of a group share it. */
export function checkId(vs: VirtualServer, rs: RealServer): string {
  return vs.group !== undefined ? `group/${vs.group} ${rs.key}` : `${statusKey(vs)} ${rs.key}`;
}

/** Every check of a real server: `checks`, else `check`. */
export function checksOf(rs: RealServer): readonly Check[] {
  return rs.checks ?? (rs.check ? [rs.check] : []);
}

/** The id of a real server's n-th check (0: the health id itself, so one check looks as before). */
export function partId(id: string, n: number): string {
  return n === 0 ? id : `${id} #${n + 1}`;
}

function probeOf(check: Check, rs: RealServer, who: { user?: string; group?: string }): ProbeSpec {
  switch (check.type) {
    case 'tcp': {
      const p: TcpProbeOptions = {
        host: rs.address,
        port: check.port,
        connectTimeoutMs: check.connectTimeoutMs,
      };
      if (check.bindAddress !== undefined) p.bindAddress = check.bindAddress;
      if (check.send !== undefined) p.send = check.send;
      if (check.expect !== undefined) p.expect = check.expect;
      return { type: 'tcp', ...p };
    }
    case 'http':
    case 'https': {
      const p: Omit<HttpProbeOptions, 'tls' | 'timeoutMs'> = {
        host: rs.address,
        port: check.port,
        path: check.path,
        status: check.status,
        connectTimeoutMs: check.connectTimeoutMs,
      };
      if (check.type === 'https') p.tlsVerify = check.tlsVerify;
      if (check.expectBody !== undefined) p.expectBody = check.expectBody;
      if (check.digest) p.digest = { algo: check.digest.algorithm, hex: check.digest.hex };
      if (check.host !== undefined) p.hostHeader = check.host;
      if (check.host !== undefined && check.type === 'https') p.sni = check.host;
      if (check.bindAddress !== undefined) p.bindAddress = check.bindAddress;
      return { type: check.type, ...p };
    }
    case 'script': {
      return { type: 'script', command: check.command, ...who };
    }
    case 'udp':
    case 'dns':
    case 'smtp':
    case 'ping':
    case 'file':
      return probeOfMore(check, rs);
  }
}

export interface CheckTarget {
  vs: VirtualServer;
  rs: RealServer;
}

/**
 * The check specs of every checked real server, and who each (combined) id belongs to. A
 * real server with several checks gets one spec per check, grouped under its id (all must
 * pass: src/check/combined.ts); the services of a virtual server group share their real
 * servers' checks, which run once.
 */
export function checkSpecsOf(
  config: Config,
  /** VirtualServer.key of those whose checks are suspended (ha_suspend, address absent) */
  suspended: ReadonlySet<string> = new Set(),
): {
  specs: GroupedCheckSpec[];
  targets: Map<string, CheckTarget>;
} {
  const specs: GroupedCheckSpec[] = [];
  const targets = new Map<string, CheckTarget>();
  for (const vs of config.virtualServers) {
    for (const rs of vs.realServers) {
      const checks = checksOf(rs);
      if (checks.length === 0) continue;
      const id = checkId(vs, rs);
      if (targets.has(id)) continue; // another service of the same group
      targets.set(id, { vs, rs });
      checks.forEach((c, n) => {
        specs.push({
          id: partId(id, n),
          ...(checks.length > 1 ? { group: id } : {}),
          probe: probeOf(c, rs, scriptIdentityOf(c.type === 'script' ? c : {}, config.global)),
          intervalMs: c.intervalMs,
          timeoutMs: c.timeoutMs,
          rise: c.rise,
          fall: c.fall,
          retry: c.retry,
          retryDelayMs: c.retryDelayMs,
          // alpha: true starts 'down' (must pass rise checks), false 'unknown' (desired.ts)
          alpha: c.alpha ?? vs.alpha,
          ...(suspended.has(vs.key) ? { suspended: true } : {}),
        });
      });
    }
  }
  return { specs, targets };
}

/** Health by (VirtualServer.key, RealServer.key) from the states by check id. */
export function healthLookup(
  config: Config,
  stateOf: (id: string) => HealthStateName | undefined,
): (vsKey: string, rsKey: string) => HealthStateName {
  const byPair = new Map<string, HealthStateName>();
  for (const vs of config.virtualServers)
    for (const rs of vs.realServers)
      if (checksOf(rs).length > 0) byPair.set(`${vs.key} ${rs.key}`, stateOf(checkId(vs, rs)) ?? 'unknown');
  return (vsKey, rsKey) => byPair.get(`${vsKey} ${rsKey}`) ?? 'unknown';
}
