// Our daemon as one router of a peer test: `node dist/src/cli/main.js run -c FILE` in the
// host's namespace (run `npm run build` first), with its own control socket in the temp dir.
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Topology } from '../../helpers/netns.js';
import {
  addressPresent,
  collectOutput,
  exited,
  ifaceOf,
  type Router,
  type RouterSpec,
  signalPid,
  waitExit,
  waitFor,
} from './router.js';

const execFileP = promisify(execFile);

/** The repository root: the first directory above this file holding package.json (src or dist). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = resolve(dir, '..');
  }
  throw new Error('repository root (package.json) not found above test/netns/peers');
}

export function vrrpdMain(): string {
  const main = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} missing: run 'npm run build' first`);
  return main;
}

export function vrrpdYaml(spec: RouterSpec, routerId: string, controlSocket: string): string {
  const interval = spec.version === 2 ? `${spec.advertMs / 1000}s` : `${spec.advertMs}ms`;
  return [
    'global:',
    `  router_id: ${routerId}`,
    `  control_socket: ${controlSocket}`,
    '  log_level: info',
    'vrrp_instances:',
    '  - name: VI_1',
    `    interface: ${ifaceOf(spec)}`,
    `    vrid: ${spec.vrid}`,
    `    version: ${spec.version}`,
    `    priority: ${spec.priority}`,
    `    advert_interval: ${interval}`,
    `    virtual_ips: [${spec.vip}/${spec.prefixLen}]`,
    ...(spec.vrrpdExtra ?? []).map((l) => `    ${l}`),
    ...(spec.trackFile
      ? ['    track_files: [drain]', 'track_files:', `  drain: {file: ${spec.trackFile}}`]
      : []),
    '',
  ].join('\n');
}

export interface VrrpdRouter extends Router {
  /** `vrrpd status --json` of the running daemon. */
  status(): Promise<VrrpdStatus>;
}

/** The part of the snapshot (src/control/snapshot.ts) the peer tests read. */
export interface VrrpdStatus {
  instances: Array<{
    name: string;
    state: string;
    masterAddress: string | null;
    counters: { advertsSent: number; advertsReceived: number; drops: Record<string, number> };
  }>;
  globalDrops: Record<string, number>;
}

/** opts.main: another build's dist/src/cli/main.js (a bench beside an older vrrpd) */
export function createVrrpd(
  topo: Topology,
  host: string,
  dir: string,
  spec: RouterSpec,
  opts: { main?: string } = {},
): VrrpdRouter {
  const mainJs = () => opts.main ?? vrrpdMain();
  const conf = join(dir, `vrrpd-${host}.yaml`);
  const sock = join(dir, `vrrpd-${host}.sock`);
  writeFileSync(conf, vrrpdYaml(spec, host, sock));
  let child: ChildProcess | null = null;
  let output: () => string = () => '';
  const past: string[] = [];

  const router: VrrpdRouter = {
    kind: 'vrrpd',
    host,
    spec,
    get running() {
      return child !== null && !exited(child);
    },
    async start() {
      if (router.running) throw new Error(`vrrpd on ${host} already running`);
      if (child) past.push(output());
      child = topo.spawn(host, [process.execPath, mainJs(), 'run', '-c', conf]);
      output = collectOutput(child);
      const c = child;
      // "vrrpd running" is logged once the instances are set up and the socket listens.
      await waitFor(
        () => exited(c) || output().includes('"event":"started"'),
        15_000,
        () => `vrrpd on ${host} to start:\n${output()}`,
      );
      if (exited(c)) throw new Error(`vrrpd on ${host} exited at start:\n${output()}`);
    },
    async stop(signal) {
      const c = child;
      if (!c || exited(c)) return;
      signalPid(c.pid ?? 0, signal);
      await waitExit(c, 10_000);
    },
    advertPid() {
      if (!child?.pid) throw new Error(`vrrpd on ${host} not started`);
      return child.pid;
    },
    holdsVip: () => addressPresent(topo, host, ifaceOf(spec), spec.vip),
    logs: () => [...past, output()].join('\n--- restart ---\n'),
    async status() {
      const r = await execFileP(process.execPath, [mainJs(), 'status', '--json', '-s', sock], {
        timeout: 10_000,
      });
      return JSON.parse(r.stdout) as VrrpdStatus;
    },
    async cleanup() {
      if (child && !exited(child)) await topo.kill(child, 3000);
    },
  };
  return router;
}
