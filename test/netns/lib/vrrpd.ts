// Shared helpers for the namespace tests of the daemon (test/netns/vrrp-*.test.ts):
// a "lab" = a createTopology() plus a per-run temp dir, real `vrrpd run` processes
// started in host namespaces from a generated YAML config, tcpdump captures, and one
// cleanup() that removes every process, namespace and file the lab made (call it from
// afterAll; it is idempotent and also safe after a partial failure).
//
//   const lab = await createLab(['r1', 'r2', 'c']);
//   afterAll(() => lab.cleanup());
//   const r1 = await lab.start('r1', { vrrp_instances: [instance({ priority: 150 })] });
//   await r1.waitState('VI', 'master', 5000);
//
// Status is read over the control socket with src/control/client.ts: a path-bound unix
// socket is reachable from every network namespace, and it is the very document
// `vrrpd status --json` prints (one test also checks the CLI itself).
import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { request } from '../../../src/control/client.js';
import type { InstanceStatus, Snapshot, VrrpStateName } from '../../../src/control/snapshot.js';
import { createTopology, type Topology } from '../../helpers/netns.js';
import { type PcapFile, readPcap } from '../../helpers/pcap.js';

const execFileP = promisify(execFile);

// the checkout: found by walking up to package.json, so this works from test/netns/lib/ (tsx)
// and from dist/test/netns/lib/ (compiled into a bench) alike
function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return `${dir}/`;
    if (dirname(dir) === dir) return fileURLToPath(new URL('../../../', import.meta.url));
  }
}
export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
export const CLI = join(ROOT, 'dist/src/cli/main.js');

/** Throws a clear message when the daemon has not been built (CI's `npm test` builds first). */
export function requireBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' before the netns VRRP tests`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Thrown inside an until() callback to stop polling at once (e.g. the process died). */
export class GiveUp extends Error {}

/** Polls fn until it returns a truthy value; rejects with `what` and the last value on timeout. */
export async function until<T>(
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  what: string,
  everyMs = 50,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      if (e instanceof GiveUp) throw e;
      last = e;
    }
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await sleep(everyMs);
  }
}

/** A VRRP instance in config-file form (snake_case); defaults: eth0, VRID 51, v3@100ms. */
export function instance(o: Record<string, unknown> & { name?: string }): Record<string, unknown> {
  return {
    name: 'VI',
    interface: 'eth0',
    vrid: 51,
    version: 3,
    advert_interval: '100ms',
    virtual_ips: ['192.0.2.50/24'],
    // one quick batch, no delayed second batch: keeps captures readable
    garp: { repeat: 2, interval: '0s', delay: '0s', refresh: '0s' },
    ...o,
  };
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Vrrpd {
  /** pino lines from stdout, parsed */
  readonly logs: Record<string, unknown>[] = [];
  stderr = '';
  readonly exited: Promise<ExitInfo>;
  exitInfo: ExitInfo | null = null;

  constructor(
    readonly lab: Lab,
    readonly host: string,
    readonly configPath: string,
    readonly socket: string,
    readonly child: ChildProcess,
  ) {
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.logs.push({ raw: line });
        }
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      }),
    );
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('vrrpd has no pid');
    return this.child.pid;
  }

  async status(timeoutMs = 3000): Promise<Snapshot> {
    return (await request(this.socket, 'status', {}, timeoutMs)) as Snapshot;
  }

  async instance(name = 'VI'): Promise<InstanceStatus> {
    const s = await this.status();
    const i = s.instances.find((x) => x.name === name);
    if (!i) throw new Error(`${this.host}: no instance ${name} in status`);
    return i;
  }

  /** Resolves with the instance once it is in `state`; the error names the last state seen. */
  async waitState(name: string, state: VrrpStateName, timeoutMs: number): Promise<InstanceStatus> {
    let last = '?';
    try {
      return await until(
        async () => {
          if (this.exitInfo) throw new GiveUp(`vrrpd exited ${JSON.stringify(this.exitInfo)}`);
          const i = await this.instance(name);
          last = `${i.state} (${i.lastTransitionReason}, prio ${i.effectivePriority})`;
          return i.state === state ? i : null;
        },
        timeoutMs,
        `${this.host}/${name} to be ${state}`,
        25,
      );
    } catch (e) {
      throw new Error(
        `${this.host}/${name} not ${state} within ${timeoutMs} ms (last: ${last}): ${this.tail()}`,
        {
          cause: e,
        },
      );
    }
  }

  /** Resolves once the instance is a backup that has heard `master`'s advert (a fresh backup knows no master yet). */
  async waitBackupOf(name: string, master: string, timeoutMs: number): Promise<InstanceStatus> {
    let last = '?';
    try {
      return await until(
        async () => {
          if (this.exitInfo) throw new GiveUp(`vrrpd exited ${JSON.stringify(this.exitInfo)}`);
          const i = await this.instance(name);
          last = `${i.state} (master ${i.masterAddress}, prio ${i.effectivePriority})`;
          return i.state === 'backup' && i.masterAddress === master ? i : null;
        },
        timeoutMs,
        `${this.host}/${name} to be a backup of ${master}`,
        25,
      );
    } catch (e) {
      throw new Error(
        `${this.host}/${name} not a backup of ${master} within ${timeoutMs} ms (last: ${last}): ${this.tail()}`,
        {
          cause: e,
        },
      );
    }
  }

  /** Last log lines and stderr, for error messages. */
  tail(n = 8): string {
    const lines = this.logs.slice(-n).map((l) => JSON.stringify(l));
    return `${lines.join('\n')}${this.stderr ? `\nstderr: ${this.stderr}` : ''}`;
  }

  /** Sends a signal by PID (the child of `ip netns exec` is the node process itself). */
  signal(sig: NodeJS.Signals): void {
    try {
      process.kill(this.pid, sig);
    } catch {
      // already gone
    }
  }

  /** Sends sig and waits for the exit (bounded); resolves with how it ended. */
  async stop(sig: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    this.signal(sig);
    const t = sleep(timeoutMs).then(() => null);
    const r = await Promise.race([this.exited, t]);
    if (!r) {
      this.signal('SIGKILL');
      throw new Error(`${this.host}: vrrpd did not exit within ${timeoutMs} ms of ${sig}`);
    }
    return r;
  }

  logged(pred: (l: Record<string, unknown>) => boolean): Record<string, unknown>[] {
    return this.logs.filter(pred);
  }
}

export class Capture {
  constructor(
    private readonly lab: Lab,
    readonly file: string,
    readonly child: ChildProcess,
  ) {}

  /** Stops tcpdump (SIGTERM flushes the file) and reads the pcap. */
  async stop(): Promise<PcapFile> {
    await this.lab.topo.kill(this.child, 3000);
    return readPcap(this.file);
  }
}

export interface Lab {
  readonly topo: Topology;
  readonly dir: string;
  /** Writes the config (control_socket filled in) and starts `vrrpd run`; waits for the socket. */
  start(
    host: string,
    config: Record<string, unknown>,
    opts?: { wait?: boolean; file?: string; env?: NodeJS.ProcessEnv },
  ): Promise<Vrrpd>;
  /**
   * Spawns `vrrpd run -c file` without waiting for anything (bad configs). `env` replaces
   * the daemon's environment (default: the test's own).
   */
  spawnRaw(host: string, file: string, env?: NodeJS.ProcessEnv): Vrrpd;
  /** tcpdump on the host's eth0 into a pcap; resolves once it is listening. */
  capture(host: string, filter: string, ifname?: string): Promise<Capture>;
  /** Runs argv in the host's namespace; rejects on failure. */
  sh(host: string, cmd: string): Promise<string>;
  /** The MAC of an interface in a host namespace. */
  mac(host: string, ifname?: string): Promise<string>;
  /** Addresses (without prefix) on an interface in a host namespace. */
  addresses(host: string, ifname?: string): Promise<string[]>;
  cleanup(): Promise<void>;
}

export async function createLab(hosts: string[]): Promise<Lab> {
  requireBuilt();
  const topo = await createTopology({ hosts });
  const dir = mkdtempSync(join(tmpdir(), `vrrpd-netns-${process.pid}-`));
  const daemons: Vrrpd[] = [];

  const spawnRaw = (host: string, file: string, env?: NodeJS.ProcessEnv): Vrrpd => {
    const socket = join(dir, `${host}.sock`);
    const child = topo.spawn(host, [process.execPath, CLI, 'run', '-c', file], env ? { env } : {});
    const d = new Vrrpd(lab, host, file, socket, child);
    daemons.push(d);
    return d;
  };

  const lab: Lab = {
    topo,
    dir,
    async start(host, config, opts = {}) {
      const socket = join(dir, `${host}.sock`);
      const global = {
        router_id: host,
        log_level: 'info',
        ...((config.global as object) ?? {}),
        control_socket: socket,
      };
      const file = join(dir, opts.file ?? `${host}.yaml`);
      writeFileSync(file, stringify({ ...config, global }));
      rmSync(socket, { force: true });
      const d = spawnRaw(host, file, opts.env);
      if (opts.wait === false) return d;
      await until(
        async () => {
          if (d.exitInfo)
            throw new Error(`vrrpd on ${host} exited ${JSON.stringify(d.exitInfo)}: ${d.tail()}`);
          return d.status(1000);
        },
        20_000,
        `vrrpd on ${host} to answer on its control socket`,
      ).catch((e: Error) => {
        throw new Error(`${e.message}\n${d.tail()}`);
      });
      return d;
    },
    spawnRaw,
    async capture(host, filter, ifname = 'eth0') {
      const file = join(dir, `${host}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}.pcap`);
      // -U: write each packet at once; -n: no DNS; --immediate-mode: no buffering delay
      const child = topo.spawn(host, [
        'tcpdump',
        '-i',
        ifname,
        '-U',
        '-n',
        '--immediate-mode',
        '-w',
        file,
        ...filter.split(' ').filter(Boolean),
      ]);
      let err = '';
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`tcpdump on ${host} did not start: ${err}`)), 15_000);
        child.stderr?.on('data', (d: Buffer) => {
          err += d.toString();
          if (err.includes('listening on')) {
            clearTimeout(t);
            resolve();
          }
        });
        child.once('exit', () => {
          clearTimeout(t);
          reject(new Error(`tcpdump on ${host} exited: ${err}`));
        });
      });
      return new Capture(lab, file, child);
    },
    async sh(host, cmd) {
      return (await topo.exec(host, ['sh', '-c', cmd])).stdout;
    },
    async mac(host, ifname = 'eth0') {
      const out = await lab.sh(host, `ip -j link show dev ${ifname}`);
      const j = JSON.parse(out) as { address: string }[];
      return j[0]?.address ?? '';
    },
    async addresses(host, ifname = 'eth0') {
      const out = await lab.sh(host, `ip -j addr show dev ${ifname}`);
      const j = JSON.parse(out) as { addr_info: { local: string }[] }[];
      return (j[0]?.addr_info ?? []).map((a) => a.local);
    },
    async cleanup() {
      // daemons first (SIGTERM lets them remove VIPs and macvlans), then the topology
      await Promise.all(
        daemons.map(async (d) => {
          if (d.exitInfo) return;
          await topo.kill(d.child, 3000);
        }),
      );
      await topo.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return lab;
}

/** Runs the CLI (check-config, status, ...) inside a host's namespace. */
export async function cli(
  lab: Lab,
  host: string,
  args: string[],
): Promise<{ stdout: string; stderr: string; code: number }> {
  return lab.topo.exec(host, [process.execPath, CLI, ...args], { allowFail: true, timeoutMs: 30_000 });
}

export { execFileP };
