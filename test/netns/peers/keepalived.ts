// keepalived 2.2.7 (Debian) as one router of a peer test or bench: VRRP subsystem only, in
// the foreground, with its own pid files under the temp dir so that several run at once.
// The parent forks a VRRP child that sends the adverts; --dont-respawn keeps a killed child
// dead (otherwise the parent restarts it and a crash test measures a restart instead).
import type { ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Topology } from '../../helpers/netns.js';
import {
  addressPresent,
  collectOutput,
  exited,
  familyOf,
  ifaceOf,
  pidAlive,
  type Router,
  type RouterSpec,
  readPidFile,
  signalPid,
  waitExit,
  waitFor,
} from './router.js';

export function keepalivedConf(spec: RouterSpec, routerId: string): string {
  // keepalived takes advert_int in seconds, fractions allowed for v3 (RFC 5798 centiseconds).
  const advertInt = spec.version === 2 ? String(spec.advertMs / 1000) : (spec.advertMs / 1000).toFixed(2);
  return `global_defs {
  router_id ${routerId}
  enable_script_security
}
${spec.trackFile ? `track_file drain {\n  file ${spec.trackFile}\n}\n` : ''}vrrp_instance VI_1 {
  state BACKUP
  interface ${ifaceOf(spec)}
  virtual_router_id ${spec.vrid}
  version ${familyOf(spec) === 6 ? 3 : spec.version}
  priority ${spec.priority}
  advert_int ${advertInt}
  virtual_ipaddress {
    ${spec.vip}/${spec.prefixLen}
  }
${(spec.keepalivedExtra ?? []).map((l) => `  ${l}\n`).join('')}${spec.trackFile ? '  track_file {\n    drain\n  }\n' : ''}}
`;
}

export interface KeepalivedRouter extends Router {
  /** The parent process (the one systemd signals), or 0 when not running. */
  mainPid(): number;
}

export function createKeepalived(
  topo: Topology,
  host: string,
  dir: string,
  spec: RouterSpec,
): KeepalivedRouter {
  const conf = join(dir, `keepalived-${host}.conf`);
  const pidFile = join(dir, `keepalived-${host}.pid`);
  const vrrpPidFile = join(dir, `keepalived-${host}.vrrp.pid`);
  writeFileSync(conf, keepalivedConf(spec, host));
  let parent: ChildProcess | null = null;
  let vrrpChild: number | null = null;
  let output: () => string = () => '';
  const past: string[] = [];

  const router: KeepalivedRouter = {
    kind: 'keepalived',
    mainPid: () => parent?.pid ?? 0,
    host,
    spec,
    get running() {
      return parent !== null && !exited(parent) && vrrpChild !== null && pidAlive(vrrpChild);
    },
    async start() {
      if (parent && !exited(parent)) throw new Error(`keepalived on ${host} already running`);
      if (parent) past.push(output());
      rmSync(pidFile, { force: true });
      rmSync(vrrpPidFile, { force: true });
      parent = topo.spawn(host, [
        'keepalived',
        '--vrrp',
        '--dont-fork',
        '--log-console',
        '--log-detail',
        '--dont-respawn',
        '-f',
        conf,
        '-p',
        pidFile,
        '-r',
        vrrpPidFile,
      ]);
      output = collectOutput(parent);
      const p = parent;
      await waitFor(
        () => exited(p) || output().includes('Entering BACKUP STATE'),
        15_000,
        () => `keepalived on ${host} to start:\n${output()}`,
      );
      if (exited(p)) throw new Error(`keepalived on ${host} exited at start:\n${output()}`);
      vrrpChild = readPidFile(vrrpPidFile);
      if (vrrpChild === null) throw new Error(`keepalived on ${host}: no VRRP child pid in ${vrrpPidFile}`);
    },
    async stop(signal) {
      const p = parent;
      if (!p || exited(p)) return;
      if (signal === 'SIGKILL') {
        // The crash: the VRRP child dies without a word. The parent then exits by itself.
        if (vrrpChild !== null) signalPid(vrrpChild, 'SIGKILL');
        await waitExit(p, 5000).catch(() => topo.kill(p, 2000));
      } else {
        signalPid(p.pid ?? 0, 'SIGTERM');
        await waitExit(p, 10_000);
      }
      if (vrrpChild !== null)
        await waitFor(
          () => !pidAlive(vrrpChild as number),
          5000,
          () => 'VRRP child exit',
        );
    },
    advertPid() {
      if (vrrpChild === null) throw new Error(`keepalived on ${host} not started`);
      return vrrpChild;
    },
    holdsVip: () => addressPresent(topo, host, ifaceOf(spec), spec.vip),
    logs: () => [...past, output()].join('\n--- restart ---\n'),
    async cleanup() {
      if (parent && !exited(parent)) await topo.kill(parent, 3000);
      // A VRRP child left behind by a parent that died first (started by us, so ours to stop).
      if (vrrpChild !== null && pidAlive(vrrpChild)) signalPid(vrrpChild, 'SIGKILL');
    },
  };
  return router;
}
