// FRR 8.4 routers for the announce tests: zebra + bgpd (+ bfdd) started by hand inside a
// host namespace, every path (config, pid files, vty sockets, zserv socket) under the
// test's temp dir with a per-run pathspace (-N), so several run side by side and nothing
// meets a system FRR. FRR runs as user frr: its directory is owned by frr.
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Topology } from '../../helpers/netns.js';

const execFileP = promisify(execFile);
export const FRR_DIR = '/usr/lib/frr';

function frrIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('frr:'));
  const parts = line?.split(':');
  if (!parts || parts.length < 4) throw new Error("user 'frr' not found (is the frr package installed?)");
  return { uid: Number(parts[2]), gid: Number(parts[3]) };
}

export interface FrrRouter {
  readonly host: string;
  readonly dir: string;
  /** vtysh -c CMD against this router; JSON commands parsed by the caller */
  vtysh(cmd: string): Promise<string>;
  /** the next hops of prefix in the RIB (selected route), [] when absent */
  nexthops(prefix: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startFrr(
  topo: Topology,
  host: string,
  baseDir: string,
  conf: { zebra: string; bgpd: string; bfdd?: string },
): Promise<FrrRouter> {
  const dir = join(baseDir, `frr-${host}`);
  const { uid, gid } = frrIds();
  mkdirSync(dir, { recursive: true });
  chmodSync(baseDir, 0o755);
  chownSync(dir, uid, gid);
  const pathspace = `${topo.prefix}${host}`;
  const children: ChildProcess[] = [];
  const out = new Map<string, string>();
  const start = async (name: 'zebra' | 'bgpd' | 'bfdd', text: string): Promise<void> => {
    const file = join(dir, `${name}.conf`);
    writeFileSync(file, text);
    const child = topo.spawn(host, [
      join(FRR_DIR, name),
      '-u',
      'frr',
      '-g',
      'frr',
      '-N',
      pathspace,
      '-f',
      file,
      '-i',
      join(dir, `${name}.pid`),
      '-z',
      join(dir, 'zserv.api'),
      '--vty_socket',
      dir,
      '-P',
      '0',
      '--log',
      'stdout',
    ]);
    out.set(name, '');
    child.stdout?.on('data', (d: Buffer) => out.set(name, (out.get(name) ?? '') + d.toString()));
    child.stderr?.on('data', (d: Buffer) => out.set(name, (out.get(name) ?? '') + d.toString()));
    children.push(child);
    const vty = join(dir, `${name}.vty`);
    const end = Date.now() + 20_000;
    while (!existsSync(vty)) {
      if (child.exitCode !== null) throw new Error(`${name} on ${host} exited: ${out.get(name)}`);
      if (Date.now() > end) throw new Error(`${name} on ${host} did not start: ${out.get(name)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await start('zebra', conf.zebra);
  if (conf.bfdd !== undefined) await start('bfdd', conf.bfdd);
  await start('bgpd', conf.bgpd);

  const vtysh = async (cmd: string): Promise<string> =>
    (await execFileP('vtysh', ['--vty_socket', dir, '-c', cmd], { timeout: 10_000 })).stdout;
  return {
    host,
    dir,
    vtysh,
    async nexthops(prefix) {
      const j = JSON.parse(await vtysh(`show ip route ${prefix} json`)) as Record<
        string,
        { selected?: boolean; nexthops?: { ip?: string; active?: boolean }[] }[]
      >;
      const routes = j[prefix] ?? [];
      const sel = routes.find((r) => r.selected);
      return (sel?.nexthops ?? [])
        .filter((n) => n.active && n.ip)
        .map((n) => n.ip!)
        .sort();
    },
    async stop() {
      for (const c of children.reverse()) await topo.kill(c, 2000);
    },
  };
}
