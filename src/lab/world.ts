// The `vrrpd lab` world: a namespace topology (src/lab/netns.ts) with two directors
// running real `vrrpd run` processes, two real servers with tiny HTTP servers and a
// client, plus the probes the scenes use (status over the control socket, `ip neigh`,
// `ip addr`). Everything it creates is removed by close(), also after a failure.

import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { request } from '../control/client.js';
import { isSnapshot, type Snapshot } from '../control/snapshot.js';
import type { ErrorCode } from '../errors.js';
import {
  CONNECT_SCRIPT,
  type ConnectResult,
  type ConnectTarget,
  HTTP_GET_SCRIPT,
  parseConnectResults,
  parseHttpAnswers,
} from './client.js';
import { directorYaml, httpServerScript, LAB_INSTANCE, LAB_VIP4 } from './config.js';
import type { Narrator } from './narrator.js';
import { createTopology, type HostInfo, type Topology } from './netns.js';

const execFileP = promisify(execFile);

export class LabError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LabError';
  }
}

export type DirectorName = 'd1' | 'd2';
export type RealServerName = 'r1' | 'r2';

export interface Director {
  name: DirectorName;
  priority: number;
  configFile: string;
  socket: string;
  logFile: string;
  mac: string;
  child: ChildProcess | null;
}

export interface RealServer {
  name: RealServerName;
  host: HostInfo;
  child: ChildProcess | null;
}

/** dist/src/cli/main.js, found from this module (dist/src/lab/world.js or src/lab/world.ts). */
export function findMainJs(): string {
  // Bundled (the Debian package, src/pkg/bundle.ts) this module is part of main.js itself.
  const bundled = fileURLToPath(new URL('./main.js', import.meta.url));
  if (existsSync(bundled)) return bundled;
  const candidates = [
    fileURLToPath(new URL('../cli/main.js', import.meta.url)),
    fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url)),
  ];
  const found = candidates.find((p) => p.includes(`${join('dist', 'src', 'cli')}`) && existsSync(p));
  if (!found) throw new LabError('LAB_NOT_BUILT', `vrrpd is not built (no ${candidates.join(' or ')})`);
  return found;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// How long a Node process the lab starts (vrrpd, an HTTP server, a client script) may take to
// get going: a second on a normal machine, a minute on a busy one in a slow VM guest. A vrrpd
// that is slower than SLOW_START_MS is mentioned, so the wait is not a silent one.
const START_MS = 90_000;
const SLOW_START_MS = 10_000;

export class LabWorld {
  readonly directors: Record<DirectorName, Director>;
  readonly realServers: Record<RealServerName, RealServer>;
  private closed = false;

  private constructor(
    readonly topo: Topology,
    readonly dir: string,
    readonly n: Narrator,
    private readonly mainJs: string,
  ) {
    const rsList = (['r1', 'r2'] as const).map((name) => ({ name, address: topo.host(name).ipv4 }));
    const mk = (name: DirectorName, priority: number): Director => {
      const socket = join(dir, `${name}.sock`);
      const configFile = join(dir, `${name}.yaml`);
      writeFileSync(
        configFile,
        directorYaml({ routerId: name, priority, controlSocket: socket, realServers: rsList }),
      );
      return { name, priority, configFile, socket, logFile: join(dir, `${name}.log`), mac: '', child: null };
    };
    this.directors = { d1: mk('d1', 150), d2: mk('d2', 100) };
    this.realServers = {
      r1: { name: 'r1', host: topo.host('r1'), child: null },
      r2: { name: 'r2', host: topo.host('r2'), child: null },
    };
  }

  /** Builds the topology (namespaces `<prefix>d1` … `<prefix>c`); cleans up itself if that fails. */
  static async create(n: Narrator, prefix: string): Promise<LabWorld> {
    const mainJs = findMainJs();
    const dir = mkdtempSync(join(tmpdir(), prefix));
    let topo: Topology;
    try {
      topo = await createTopology({ prefix, hosts: ['d1', 'd2', 'r1', 'r2', 'c'] });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw new LabError('LAB_TOPOLOGY', `building the lab's namespaces failed: ${topologyHint(e)}`);
    }
    const w = new LabWorld(topo, dir, n, mainJs);
    try {
      for (const d of Object.values(w.directors)) d.mac = await w.macOf(d.name);
      for (const r of Object.values(w.realServers)) await w.prepareRealServer(r);
    } catch (e) {
      await w.close();
      throw e;
    }
    return w;
  }

  host(name: string): HostInfo {
    return this.topo.host(name);
  }

  private async ip(host: string, args: string[]): Promise<string> {
    const r = await execFileP('ip', ['-n', this.topo.host(host).ns, ...args], { timeout: 10_000 });
    return r.stdout;
  }

  /** Destinations of the routes in a routing table of the host ([] when none). */
  async routesInTable(host: string, table: number): Promise<string[]> {
    const out = await this.ip(host, ['-j', 'route', 'show', 'table', String(table)]).catch(() => '[]');
    return (JSON.parse(out || '[]') as { dst: string }[]).map((r) => r.dst);
  }

  async macOf(host: string): Promise<string> {
    const links = JSON.parse(await this.ip(host, ['-j', 'link', 'show', 'dev', 'eth0'])) as {
      address: string;
    }[];
    return links[0]?.address ?? '';
  }

  /** The MAC the host's neighbour table has for addr, or null (no entry, or FAILED/INCOMPLETE). */
  async neighMac(host: string, addr: string): Promise<string | null> {
    const out = await this.ip(host, ['-j', 'neigh', 'show', 'to', addr, 'dev', 'eth0']);
    const entries = JSON.parse(out || '[]') as { dst: string; lladdr?: string }[];
    return entries.find((e) => e.dst === addr)?.lladdr ?? null;
  }

  async hasAddress(host: string, addr: string): Promise<boolean> {
    const out = await this.ip(host, ['-j', 'addr', 'show', 'dev', 'eth0']);
    const links = JSON.parse(out || '[]') as { addr_info?: { local: string }[] }[];
    return links.some((l) => (l.addr_info ?? []).some((a) => a.local === addr));
  }

  /** Direct routing: the real server accepts packets for the VIP but never answers ARP for it. */
  private async prepareRealServer(r: RealServer): Promise<void> {
    this.topo.sysctl(r.name, {
      'net.ipv4.conf.all.arp_ignore': 1,
      'net.ipv4.conf.all.arp_announce': 2,
    });
    await this.ip(r.name, ['addr', 'add', `${LAB_VIP4}/32`, 'dev', 'lo']);
    await this.startHttp(r.name);
  }

  /** Runs a script with this Node inside the host's namespace; its stdout, or LabError. */
  async runNode(host: string, what: string, script: string, args: string[], timeoutMs: number) {
    const r = await this.topo.exec(host, [process.execPath, '-e', script, ...args], {
      allowFail: true,
      timeoutMs,
    });
    if (r.code !== 0)
      throw new LabError('LAB_CLIENT', `${host}: ${what} failed (exit ${r.code}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** TCP connects from the client to each target at once (see CONNECT_SCRIPT). */
  async clientConnect(targets: ConnectTarget[], timeoutMs = 3000): Promise<ConnectResult[]> {
    const args = [JSON.stringify(targets), String(timeoutMs)];
    const out = await this.runNode('c', 'connecting', CONNECT_SCRIPT, args, timeoutMs + START_MS);
    return parseConnectResults(out);
  }

  /**
   * `times` HTTP GETs from the client, each on a new connection; the bodies or 'no answer'.
   * A healthy path answers in milliseconds and a dead one is refused at once: the timeout only
   * has to outlast a slow first request (lazy loading, ARP, a SYN retransmitted after 1 s).
   */
  async clientHttpGets(url: string, times: number, timeoutMs = 5000): Promise<string[]> {
    const args = [url, String(times), String(timeoutMs)];
    const out = await this.runNode('c', 'HTTP GET', HTTP_GET_SCRIPT, args, times * timeoutMs + START_MS);
    return parseHttpAnswers(out);
  }

  async startHttp(name: RealServerName): Promise<void> {
    const r = this.realServers[name];
    const child = this.topo.spawn(name, [process.execPath, '-e', httpServerScript(name)]);
    r.child = child;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(new LabError('LAB_HTTP', `${name}: HTTP server did not start within ${START_MS / 1000} s`)),
        START_MS,
      );
      child.stdout?.once('data', () => {
        clearTimeout(t);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(t);
        reject(new LabError('LAB_HTTP', `${name}: HTTP server exited (${code})`));
      });
    });
  }

  async stopHttp(name: RealServerName): Promise<void> {
    const r = this.realServers[name];
    if (r.child) await this.topo.kill(r.child, 2000);
    r.child = null;
  }

  /** Starts `vrrpd run` in the director's namespace and waits until its control socket answers. */
  async startDirector(name: DirectorName): Promise<void> {
    const d = this.directors[name];
    const fd = openSync(d.logFile, 'a');
    let child: ChildProcess;
    try {
      child = this.topo.spawn(name, [process.execPath, this.mainJs, 'run', '-c', d.configFile], {
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    d.child = child;
    let exited: number | string | null = null;
    child.once('exit', (code, signal) => {
      exited = code ?? signal;
    });
    const t0 = performance.now();
    let told = false;
    while (performance.now() - t0 < START_MS) {
      if (!told && performance.now() - t0 > SLOW_START_MS) {
        told = true;
        this.n.say(
          `  (vrrpd on ${name} has not answered for ${SLOW_START_MS / 1000} s: a slow or busy machine? Waiting up to ${START_MS / 1000} s.)`,
        );
      }
      if (exited !== null) {
        throw new LabError(
          'LAB_DAEMON',
          `${name}: vrrpd exited (${exited}) at startup; its log:\n${this.logTail(name)}`,
        );
      }
      if (await this.status(name)) return;
      await sleep(50);
    }
    throw new LabError(
      'LAB_DAEMON',
      `${name}: vrrpd did not answer on ${d.socket} within ${START_MS / 1000} s:\n${this.logTail(name)}`,
    );
  }

  /**
   * Sends a signal to the director's vrrpd (by the PID we started); returns at once with a
   * promise of its exit, so the scene can measure while the daemon is still shutting down.
   */
  signalDirector(name: DirectorName, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const d = this.directors[name];
    const child = d.child;
    d.child = null;
    if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null)
      return Promise.resolve();
    const done = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(child.pid, signal);
    return done;
  }

  isRunning(name: DirectorName): boolean {
    return this.directors[name].child !== null;
  }

  logTail(name: DirectorName, lines = 15): string {
    try {
      return readFileSync(this.directors[name].logFile, 'utf8')
        .trimEnd()
        .split('\n')
        .slice(-lines)
        .join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** The director's status document, or null when it does not answer. */
  async status(name: DirectorName): Promise<Snapshot | null> {
    try {
      const s = await request(this.directors[name].socket, 'status', {}, 2000);
      return isSnapshot(s) ? s : null;
    } catch {
      return null;
    }
  }

  async stateOf(name: DirectorName): Promise<string | null> {
    const s = await this.status(name);
    return s?.instances.find((i) => i.name === LAB_INSTANCE)?.state ?? null;
  }

  /** Stops every process by PID and deletes every namespace and file of the lab. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.topo.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What ip said when building the topology failed, with what it usually means. */
function topologyHint(e: unknown): string {
  const lines = (e instanceof Error ? e.message : String(e)).split('\n').filter((l) => l.trim());
  // execFile's "Command failed: ip ..." line, then what ip said on stderr
  const cmd = lines[0]?.startsWith('Command failed: ') ? lines.shift()?.slice(16) : undefined;
  const why = `${lines.join('; ')}${cmd ? ` (${cmd})` : ''}`;
  if (/Unknown device type/i.test(why))
    return `${why} (the kernel has no veth or bridge driver, or cannot load it: modprobe veth bridge)`;
  if (/Operation not permitted|Permission denied/i.test(why))
    return `${why} (needs root with CAP_SYS_ADMIN and CAP_NET_ADMIN)`;
  return why;
}

/** Polls cond every pollMs until it is true; returns the elapsed ms, throws LabError at timeoutMs. */
export async function waitUntil(
  what: string,
  cond: () => Promise<boolean>,
  timeoutMs: number,
  pollMs = 10,
  /** what was seen instead, for the timeout's message */
  seen?: () => Promise<string>,
): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (await cond()) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) {
      const instead = seen ? `: ${await seen().catch((e: unknown) => String(e))}` : '';
      throw new LabError('LAB_TIMEOUT', `${what} did not happen within ${timeoutMs / 1000} s${instead}`);
    }
    await sleep(pollMs);
  }
}
