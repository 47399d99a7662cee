// FRR 8.4's vrrpd as one router of a peer test: zebra + vrrpd started by hand in the host's
// namespace, every path (config, pid files, vty sockets, zserv socket) under the temp dir and
// a per-run pathspace (-N), so nothing meets a system FRR.
//
// What FRR 8.4 needs (worked out here, matching its documentation): FRR does not create the
// virtual-MAC interface nor add the VIP. The operator makes a macvlan on the VRRP interface
// with the virtual MAC (00:00:5e:00:01:VRID for IPv4, 00:00:5e:00:02:VRID for IPv6,
// RFC 5798 §7.3), mode bridge, with the VIP on it; vrrpd finds it by that MAC and, through
// zebra, keeps it in protodown while Backup and lifts protodown as Master. IPv6 also needs
// a link-local address on the macvlan (addrgenmode random). FRR runs as user frr, so the
// temp dir must be readable and its own subdir writable by frr.
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Topology } from '../../helpers/netns.js';
import {
  collectOutput,
  exited,
  familyOf,
  ifaceOf,
  type Router,
  type RouterSpec,
  signalPid,
  waitExit,
  waitFor,
} from './router.js';

export const FRR_DIR = '/usr/lib/frr';

export function frrVrrpdConf(spec: RouterSpec, hostname: string): string {
  const v = spec.vrid;
  return `hostname ${hostname}
!
interface ${ifaceOf(spec)}
 vrrp ${v} version ${spec.version}
 vrrp ${v} priority ${spec.priority}
 vrrp ${v} advertisement-interval ${spec.advertMs}
 vrrp ${v} ${familyOf(spec) === 6 ? 'ipv6' : 'ip'} ${spec.vip}
!
`;
}

/** The virtual MAC of RFC 5798 §7.3 for the spec's family. */
export function virtualMac(spec: RouterSpec): string {
  const fam = familyOf(spec) === 6 ? '02' : '01';
  return `00:00:5e:00:${fam}:${spec.vrid.toString(16).padStart(2, '0')}`;
}

function lookupIds(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  const parts = line?.split(':');
  if (!parts || parts.length < 4) throw new Error(`user '${name}' not found (is the frr package installed?)`);
  return { uid: Number(parts[2]), gid: Number(parts[3]) };
}

export function createFrr(topo: Topology, host: string, dir: string, spec: RouterSpec): Router {
  const fdir = join(dir, `frr-${host}`);
  const pathspace = `${topo.prefix}${host}`;
  const iface = ifaceOf(spec);
  let mvlName = '';
  let zebra: ChildProcess | null = null;
  let vrrpd: ChildProcess | null = null;
  let zOut: () => string = () => '';
  let vOut: () => string = () => '';
  const past: string[] = [];

  const daemonArgs = (name: 'zebra' | 'vrrpd', conf: string): string[] => [
    join(FRR_DIR, name),
    '-u',
    'frr',
    '-g',
    'frr',
    '-N',
    pathspace,
    '-f',
    conf,
    '-i',
    join(fdir, `${name}.pid`),
    '-z',
    join(fdir, 'zserv.api'),
    '--vty_socket',
    fdir,
    '-P',
    '0',
    '--log',
    'stdout',
    '--log-level',
    'debug',
  ];

  const setup = async (): Promise<void> => {
    if (zebra && !exited(zebra)) return;
    const { uid, gid } = lookupIds('frr');
    mkdirSync(fdir, { recursive: true });
    chmodSync(dir, 0o755);
    chownSync(fdir, uid, gid);
    if (userInfo().uid !== 0) throw new Error('FRR peers need root');
    writeFileSync(join(fdir, 'zebra.conf'), `hostname ${host}\n!\n`);
    writeFileSync(join(fdir, 'vrrpd.conf'), frrVrrpdConf(spec, host));
    // The macvlan FRR expects (see the comment at the top).
    const idx = (await topo.exec(host, ['cat', `/sys/class/net/${iface}/ifindex`])).stdout.trim();
    mvlName = `vrrp${familyOf(spec)}-${idx}-${spec.vrid}`;
    const ipn = async (args: string[]) => topo.exec(host, ['ip', ...args]);
    await ipn(['link', 'add', mvlName, 'link', iface, 'type', 'macvlan', 'mode', 'bridge']);
    await ipn(['link', 'set', mvlName, 'address', virtualMac(spec), 'addrgenmode', 'random']);
    await ipn([
      'addr',
      'add',
      `${spec.vip}/${spec.prefixLen}`,
      'dev',
      mvlName,
      ...(familyOf(spec) === 6 ? ['nodad'] : []),
    ]);
    await ipn(['link', 'set', mvlName, 'up']);
    zebra = topo.spawn(host, daemonArgs('zebra', join(fdir, 'zebra.conf')));
    zOut = collectOutput(zebra);
    const z = zebra;
    await waitFor(
      () => exited(z) || (existsSync(join(fdir, 'zserv.api')) && existsSync(join(fdir, 'zebra.vty'))),
      15_000,
      () => `zebra on ${host} to start:\n${zOut()}`,
    );
    if (exited(z)) throw new Error(`zebra on ${host} exited at start:\n${zOut()}`);
  };

  const router: Router = {
    kind: 'frr',
    host,
    spec,
    get running() {
      return vrrpd !== null && !exited(vrrpd);
    },
    async start() {
      if (router.running) throw new Error(`FRR vrrpd on ${host} already running`);
      await setup();
      if (vrrpd) past.push(vOut());
      rmSync(join(fdir, 'vrrpd.vty'), { force: true });
      vrrpd = topo.spawn(host, daemonArgs('vrrpd', join(fdir, 'vrrpd.conf')));
      vOut = collectOutput(vrrpd);
      const v = vrrpd;
      await waitFor(
        () => exited(v) || /Initialize -> Backup|-> Backup|-> Master/.test(vOut()),
        15_000,
        () => `FRR vrrpd on ${host} to start:\n${vOut()}\nzebra:\n${zOut()}`,
      );
      if (exited(v)) throw new Error(`FRR vrrpd on ${host} exited at start:\n${vOut()}`);
    },
    async stop(signal) {
      const v = vrrpd;
      if (!v || exited(v)) return;
      signalPid(v.pid ?? 0, signal);
      await waitExit(v, 10_000);
    },
    advertPid() {
      if (!vrrpd?.pid) throw new Error(`FRR vrrpd on ${host} not started`);
      return vrrpd.pid;
    },
    async holdsVip() {
      // Master = the macvlan is out of protodown (zebra sets it for vrrpd) and up.
      if (!mvlName) return false;
      const r = await topo.exec(host, ['ip', '-d', 'link', 'show', 'dev', mvlName], { allowFail: true });
      return r.code === 0 && !/protodown on/.test(r.stdout) && /[<,]UP[,>]/.test(r.stdout);
    },
    logs: () => `${[...past, vOut()].join('\n--- restart ---\n')}\n--- zebra ---\n${zOut()}`,
    async cleanup() {
      if (vrrpd && !exited(vrrpd)) await topo.kill(vrrpd, 3000);
      if (zebra && !exited(zebra)) await topo.kill(zebra, 3000);
      // -N made /var/run/frr/<pathspace>; remove it (it is ours: the name carries the run prefix).
      rmSync(join('/var/run/frr', pathspace), { recursive: true, force: true });
      // The macvlan lives in the host's namespace, which outlives this router.
      if (mvlName) await topo.exec(host, ['ip', 'link', 'del', mvlName], { allowFail: true });
      mvlName = '';
    },
  };
  return router;
}
