// Config real-server checks → CheckSpecs for the check manager (pure). The check id is
// stable across reloads ("tcp/192.0.2.50:80 198.51.100.2:80"), so an unchanged check keeps
// its state and an edited one is diffed by the manager (src/check/manager.ts set()).
import type { HttpProbeOptions } from '../check/http.js';
import type { CheckSpec, ProbeSpec } from '../check/manager.js';
import type { TcpProbeOptions } from '../check/tcp.js';
import type { Check, Config, RealServer, VirtualServer } from '../config/model.js';
import { probeOfMore } from './check-specs-more.js';
import { statusKey } from './desired.js';

export function checkId(vs: VirtualServer, rs: RealServer): string {
  return `${statusKey(vs)} ${rs.key}`;
}

function probeOf(check: Check, rs: RealServer, scriptUser: string | undefined): ProbeSpec {
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
      return scriptUser !== undefined
        ? { type: 'script', command: check.command, user: scriptUser }
        : { type: 'script', command: check.command };
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

/** The check specs of every checked real server, and who each id belongs to. */
export function checkSpecsOf(config: Config): { specs: CheckSpec[]; targets: Map<string, CheckTarget> } {
  const specs: CheckSpec[] = [];
  const targets = new Map<string, CheckTarget>();
  for (const vs of config.virtualServers) {
    for (const rs of vs.realServers) {
      const c = rs.check;
      if (!c) continue;
      const id = checkId(vs, rs);
      targets.set(id, { vs, rs });
      specs.push({
        id,
        probe: probeOf(c, rs, config.global.scriptUser),
        intervalMs: c.intervalMs,
        timeoutMs: c.timeoutMs,
        rise: c.rise,
        fall: c.fall,
        retry: c.retry,
        retryDelayMs: c.retryDelayMs,
        // alpha: true starts 'down' (must pass rise checks), false 'unknown' (desired.ts)
        alpha: vs.alpha,
      });
    }
  }
  return { specs, targets };
}
