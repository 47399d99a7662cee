// Shared by the test suites (test/helpers/netns.ts re-exports it) and by `vrrpd lab`.
// Network-namespace test topologies: N hosts, each in its own namespace with one veth "eth0",
// all joined by a bridge that lives in its OWN namespace (the root namespace is never touched).
//
//   const topo = await createTopology({ hosts: ['a', 'b'] });
//   afterAll(() => topo.cleanup());
//   await topo.exec('a', ['ping', '-c1', topo.host('b').ipv4]);
//   const child = topo.spawn('b', [process.execPath, 'dist/src/cli/main.js', 'run', ...]);
//   await topo.linkDown('a');
//
// Names: namespaces are `<prefix><host>` and `<prefix>br`, prefix `vt<pid><2 random chars>-`
// unless given. Inside each host namespace the interface is `eth0`; bridge ports are `p<i>`.
// Addresses (unless addresses: false): host i (1-based) gets 192.0.2.(10+i)/24 and
// 2001:db8::(10+i)/64 (nodad). DAD is off in every namespace so link-locals are usable at once.
// cleanup() kills tracked children by PID, then deletes every namespace it created; it is
// idempotent, works after a partial failure, and also runs at process exit as a backstop.
// Only `ip` (iproute2) is run; sysctls are written from inside the namespace by the native
// addon (writeInNetns), since /proc/sys/net follows the writer's network namespace.
import { type ChildProcess, execFile, execFileSync, type SpawnOptions, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { writeInNetns } from '../native/index.js';

const execFileP = promisify(execFile);

export interface HostInfo {
  name: string;
  /** namespace name */
  ns: string;
  /** interface name inside the namespace */
  ifname: string;
  /** bridge-side port name (in the bridge namespace) */
  port: string;
  ipv4: string;
  ipv6: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface Topology {
  readonly prefix: string;
  /** the bridge's namespace ('' when bridge: false) */
  readonly bridgeNs: string;
  host(name: string): HostInfo;
  /** Runs argv inside the host's namespace; rejects on non-zero exit unless allowFail. */
  exec(host: string, argv: string[], opts?: { allowFail?: boolean; timeoutMs?: number }): Promise<ExecResult>;
  /** Sets network sysctls inside the host's namespace (see nsSysctl). */
  sysctl(host: string, settings: Record<string, string | number>): void;
  /** Runs argv in the bridge namespace. */
  execBridge(argv: string[]): Promise<ExecResult>;
  /** Starts a long-running process in the host's namespace; killed by PID in cleanup(). */
  spawn(host: string, argv: string[], opts?: SpawnOptions): ChildProcess;
  /** Stops a spawned child by PID (SIGTERM, then SIGKILL after graceMs); resolves on exit. */
  kill(child: ChildProcess, graceMs?: number): Promise<void>;
  /** The host's IPv6 link-local address on eth0 (fe80::...). */
  linkLocal(host: string): Promise<string>;
  /** Sets the host's eth0 administratively down/up (inside the host namespace). */
  linkDown(host: string): Promise<void>;
  linkUp(host: string): Promise<void>;
  /** Sets the host's bridge port down/up: eth0 stays up but loses carrier (a pulled cable). */
  portDown(host: string): Promise<void>;
  portUp(host: string): Promise<void>;
  cleanup(): Promise<void>;
}

export interface TopologyOptions {
  prefix?: string;
  hosts: string[];
  /** join hosts with a bridge (default true) */
  bridge?: boolean;
  /** assign the documentation addresses (default true) */
  addresses?: boolean;
}

async function ip(args: string[]): Promise<void> {
  await execFileP('ip', args, { timeout: 30_000 });
}

async function nsExec(ns: string, argv: string[], timeoutMs = 60_000): Promise<ExecResult> {
  try {
    const r = await execFileP('ip', ['netns', 'exec', ns, ...argv], {
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { stdout: r.stdout, stderr: r.stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number | string };
    return {
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? String(e),
      code: typeof err.code === 'number' ? err.code : 1,
    };
  }
}

/**
 * Sets network sysctls inside namespace ns, e.g. {'net.ipv4.conf.all.arp_ignore': 1}: writes
 * /proc/sys/<key with dots as slashes> from inside it (the addon's writeInNetns; no process,
 * no `sysctl` binary). Throws naming the namespace and the failed write.
 */
export function nsSysctl(ns: string, settings: Record<string, string | number>): void {
  const files = Object.entries(settings).map(([k, v]): [string, string] => [
    `/proc/sys/${k.replaceAll('.', '/')}`,
    String(v),
  ]);
  // where `ip netns add` binds it (iproute2's NETNS_RUN_DIR; /var/run is /run nearly everywhere)
  const path = [`/run/netns/${ns}`, `/var/run/netns/${ns}`].find((p) => existsSync(p)) ?? `/run/netns/${ns}`;
  try {
    writeInNetns(path, files);
  } catch (e) {
    throw new Error(
      `in netns ${ns}: setting ${Object.keys(settings).join(', ')} failed: ${(e as Error).message}`,
    );
  }
}

// Namespaces still alive at exit, across all topologies of this process (backstop only).
const liveNamespaces = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const ns of liveNamespaces) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  });
}

export async function createTopology(opts: TopologyOptions): Promise<Topology> {
  const prefix = opts.prefix ?? `vt${process.pid}${randomBytes(1).toString('hex')}-`;
  const useBridge = opts.bridge !== false;
  const hosts = new Map<string, HostInfo>();
  const created: string[] = [];
  const children = new Set<ChildProcess>();
  installExitHook();

  opts.hosts.forEach((name, i) => {
    if (!/^[a-z0-9]+$/i.test(name)) throw new Error(`host name '${name}' must be alphanumeric`);
    if (hosts.has(name)) throw new Error(`host name '${name}' given twice`);
    hosts.set(name, {
      name,
      ns: `${prefix}${name}`,
      ifname: 'eth0',
      port: `p${i + 1}`,
      ipv4: `192.0.2.${10 + i + 1}`,
      ipv6: `2001:db8::${10 + i + 1}`,
    });
  });
  const bridgeNs = useBridge ? `${prefix}br` : '';

  const get = (name: string): HostInfo => {
    const h = hosts.get(name);
    if (!h) throw new Error(`unknown host '${name}' (have: ${[...hosts.keys()].join(', ')})`);
    return h;
  };

  const kill = (child: ChildProcess, graceMs = 3000): Promise<void> =>
    new Promise<void>((resolve) => {
      children.delete(child);
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
      const pid = child.pid;
      const t = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }, graceMs);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        clearTimeout(t);
        resolve();
      }
    });

  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    await Promise.all([...children].map((ch) => kill(ch, 2000)));
    for (const ns of created.reverse()) {
      try {
        await ip(['netns', 'del', ns]);
      } catch {
        // already gone
      }
      liveNamespaces.delete(ns);
    }
  };

  const addNs = async (ns: string): Promise<void> => {
    await ip(['netns', 'add', ns]);
    created.push(ns);
    liveNamespaces.add(ns);
  };
  const prepareNs = async (ns: string): Promise<void> => {
    await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    // No DAD: addresses (including link-local) are usable immediately (RFC 4862 §5.4 skipped).
    const noDad: Record<string, number> = {};
    for (const k of ['all', 'default']) {
      noDad[`net.ipv6.conf.${k}.accept_dad`] = 0;
      noDad[`net.ipv6.conf.${k}.dad_transmits`] = 0;
    }
    nsSysctl(ns, noDad);
  };

  try {
    const all = [...(useBridge ? [bridgeNs] : []), ...[...hosts.values()].map((h) => h.ns)];
    for (const ns of all) await addNs(ns);
    // each namespace's own setup (lo up, no DAD) does not depend on the others: all at once
    const prepared = await Promise.allSettled(all.map(prepareNs));
    for (const r of prepared) if (r.status === 'rejected') throw r.reason;
    if (useBridge) {
      await ip([
        '-n',
        bridgeNs,
        'link',
        'add',
        'br0',
        'type',
        'bridge',
        'mcast_snooping',
        '0',
        'stp_state',
        '0',
      ]);
      await ip(['-n', bridgeNs, 'link', 'set', 'br0', 'up']);
    }
    for (const h of hosts.values()) {
      if (useBridge) {
        // Created inside the bridge namespace, peer moved straight into the host's namespace.
        await ip([
          '-n',
          bridgeNs,
          'link',
          'add',
          h.port,
          'type',
          'veth',
          'peer',
          'name',
          h.ifname,
          'netns',
          h.ns,
        ]);
        await ip(['-n', bridgeNs, 'link', 'set', h.port, 'master', 'br0', 'up']);
        await ip(['-n', h.ns, 'link', 'set', h.ifname, 'up']);
        if (opts.addresses !== false) {
          await ip(['-n', h.ns, 'addr', 'add', `${h.ipv4}/24`, 'dev', h.ifname]);
          await ip(['-n', h.ns, '-6', 'addr', 'add', `${h.ipv6}/64`, 'dev', h.ifname, 'nodad']);
        }
      }
    }
  } catch (e) {
    await cleanup();
    throw e;
  }

  const topo: Topology = {
    prefix,
    bridgeNs,
    host: get,
    async exec(host, argv, o = {}) {
      const r = await nsExec(get(host).ns, argv, o.timeoutMs);
      if (r.code !== 0 && !o.allowFail)
        throw new Error(`[${host}] ${argv.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
      return r;
    },
    sysctl: (host, settings) => nsSysctl(get(host).ns, settings),
    async execBridge(argv) {
      if (!useBridge) throw new Error('topology has no bridge');
      return nsExec(bridgeNs, argv);
    },
    spawn(host, argv, o = {}) {
      if (cleaned) throw new Error('topology already cleaned up');
      const child = spawn('ip', ['netns', 'exec', get(host).ns, ...argv], { stdio: 'pipe', ...o });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    kill,
    async linkLocal(host) {
      const h = get(host);
      const r = await nsExec(h.ns, ['ip', '-6', '-o', 'addr', 'show', 'dev', h.ifname, 'scope', 'link']);
      const m = /inet6 (fe80::[0-9a-f:]+)\//.exec(r.stdout);
      if (!m?.[1]) throw new Error(`[${host}] no IPv6 link-local address on ${h.ifname}: ${r.stdout}`);
      return m[1];
    },
    async linkDown(host) {
      const h = get(host);
      await ip(['-n', h.ns, 'link', 'set', h.ifname, 'down']);
    },
    async linkUp(host) {
      const h = get(host);
      await ip(['-n', h.ns, 'link', 'set', h.ifname, 'up']);
    },
    async portDown(host) {
      if (!useBridge) throw new Error('topology has no bridge');
      await ip(['-n', bridgeNs, 'link', 'set', get(host).port, 'down']);
    },
    async portUp(host) {
      if (!useBridge) throw new Error('topology has no bridge');
      await ip(['-n', bridgeNs, 'link', 'set', get(host).port, 'up']);
    },
    cleanup,
  };
  return topo;
}

/** Namespaces whose name starts with prefix (for leak checks in tests). */
export async function listNamespaces(prefix: string): Promise<string[]> {
  const r = await execFileP('ip', ['netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(prefix));
}
