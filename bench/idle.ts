// Idle cost of many VRRP instances, vrrpd beside keepalived (Debian 2.2.7) in the same run:
// CPU of the master and of the backup while nothing happens but adverts at 1 s, and the
// resident memory of one daemon with one instance.
//
//   npm run build && node dist/bench/idle.js [--cases v2x200,v3x255x2,rss] [--seconds 60]
//        [--warmup 8] [--rounds 2] [--json FILE] [--before DIR]
//
// --before DIR: a third daemon in the same window, the vrrpd built in the work tree DIR
// (e.g. the previous commit's), for before/after figures measured together.
//
// Root only. Each daemon gets its own pair of namespaces (m = master, priority 150; b =
// backup, priority 100) on its own bridge, and all four daemons run at the same time, so
// whatever else loads the machine loads both alike. CPU is utime+stime of every process of
// the daemon (keepalived: its parent and its VRRP child) from /proc/PID/stat over the same
// window, cross-checked with the threads' run times (schedstat, ns). Cases:
//   v2x200    200 VRRPv2 IPv4 instances (VRIDs 1-200), one VIP each, advert 1 s;
//   v3x255x2  255 VRIDs × 2 families: VRRPv3 IPv4 and IPv6 instances, advert 1 s;
//   rss       one v2 instance, master alone: VmRSS after the warm-up.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTopology, type Topology } from '../src/lab/netns.js';
import { collectOutput, exited, readPidFile, waitFor } from '../test/netns/peers/router.js';
import { vrrpdMain } from '../test/netns/peers/vrrpd.js';
import { runMain } from './lib/main.js';
import { type CpuReading, cpuOf, cpuPercent, loadAverage, median, rssMiB } from './lib/proc.js';

export type IdleCase = 'v2x200' | 'v3x255x2' | 'rss';
type DaemonKind = 'vrrpd' | 'keepalived' | 'before';
type Role = 'master' | 'backup';

export interface IdleInstance {
  vrid: number;
  version: 2 | 3;
  family: 4 | 6;
}

export function instancesOf(caze: IdleCase): IdleInstance[] {
  const out: IdleInstance[] = [];
  if (caze === 'rss') out.push({ vrid: 1, version: 2, family: 4 });
  if (caze === 'v2x200') for (let v = 1; v <= 200; v++) out.push({ vrid: v, version: 2, family: 4 });
  if (caze === 'v3x255x2')
    for (const family of [4, 6] as const)
      for (let v = 1; v <= 255; v++) out.push({ vrid: v, version: 3, family });
  return out;
}

const vipOf = (i: IdleInstance): string =>
  i.family === 4 ? `198.51.100.${i.vrid}/32` : `2001:db8:1::${i.vrid.toString(16)}/128`;
const nameOf = (i: IdleInstance): string => `VI_${i.family}_${i.vrid}`;

export function vrrpdIdleYaml(
  insts: readonly IdleInstance[],
  priority: number,
  controlSocket: string,
): string {
  const out = ['global:', `  control_socket: ${controlSocket}`, '  log_level: info', 'vrrp_instances:'];
  for (const i of insts)
    out.push(
      `  - name: ${nameOf(i)}`,
      '    interface: eth0',
      `    vrid: ${i.vrid}`,
      `    version: ${i.version}`,
      `    priority: ${priority}`,
      '    advert_interval: 1s',
      `    virtual_ips: [${vipOf(i)}]`,
    );
  return `${out.join('\n')}\n`;
}

export function keepalivedIdleConf(
  insts: readonly IdleInstance[],
  priority: number,
  routerId: string,
): string {
  const out = ['global_defs {', `  router_id ${routerId}`, '}'];
  for (const i of insts)
    out.push(
      `vrrp_instance ${nameOf(i)} {`,
      '  state BACKUP',
      '  interface eth0',
      `  virtual_router_id ${i.vrid}`,
      `  version ${i.version}`,
      `  priority ${priority}`,
      '  advert_int 1',
      '  virtual_ipaddress {',
      `    ${vipOf(i)}`,
      '  }',
      '}',
    );
  return `${out.join('\n')}\n`;
}

/** One running daemon of the bench: its processes, and how to stop it. */
interface Running {
  kind: DaemonKind;
  role: Role;
  host: string;
  topo: Topology;
  /** every process of the daemon (keepalived: parent and VRRP child) */
  pids(): number[];
  child: ChildProcess;
  output(): string;
}

async function startDaemon(
  kind: DaemonKind,
  topo: Topology,
  host: string,
  role: Role,
  dir: string,
  insts: readonly IdleInstance[],
  beforeDir?: string,
): Promise<Running> {
  const priority = role === 'master' ? 150 : 100;
  const base = join(dir, `${kind}-${host}`);
  if (kind === 'vrrpd' || kind === 'before') {
    const conf = `${base}.yaml`;
    writeFileSync(conf, vrrpdIdleYaml(insts, priority, `${base}.sock`));
    const main = kind === 'before' ? join(beforeDir ?? '.', 'dist', 'src', 'cli', 'main.js') : vrrpdMain();
    const child = topo.spawn(host, [process.execPath, main, 'run', '-c', conf]);
    const output = collectOutput(child);
    await waitFor(
      () => exited(child) || output().includes('"event":"started"'),
      60_000,
      () => `vrrpd on ${host} to start:\n${output().slice(-2000)}`,
    );
    if (exited(child)) throw new Error(`vrrpd on ${host} exited:\n${output().slice(-2000)}`);
    return { kind, role, host, topo, child, output, pids: () => [child.pid as number] };
  }
  const conf = `${base}.conf`;
  writeFileSync(conf, keepalivedIdleConf(insts, priority, host));
  const vrrpPid = `${base}.vrrp.pid`;
  const child = topo.spawn(host, [
    'keepalived',
    '--vrrp',
    '--dont-fork',
    '--log-console',
    '--dont-respawn',
    '-f',
    conf,
    '-p',
    `${base}.pid`,
    '-r',
    vrrpPid,
  ]);
  const output = collectOutput(child);
  await waitFor(
    () => exited(child) || readPidFile(vrrpPid) !== null,
    60_000,
    () => `keepalived on ${host} to start:\n${output().slice(-2000)}`,
  );
  if (exited(child)) throw new Error(`keepalived on ${host} exited:\n${output().slice(-2000)}`);
  const vrrpChild = readPidFile(vrrpPid) as number;
  return { kind, role, host, topo, child, output, pids: () => [child.pid as number, vrrpChild] };
}

async function vipCount(topo: Topology, host: string): Promise<number> {
  const r = await topo.exec(host, ['ip', '-o', 'addr', 'show', 'dev', 'eth0'], { allowFail: true });
  return r.stdout.split('\n').filter((l) => / (198\.51\.100\.|2001:db8:1::)/.test(l)).length;
}

export interface IdleRow {
  caze: IdleCase;
  round: number;
  kind: DaemonKind;
  role: Role;
  instances: number;
  /** % of one core from utime+stime */
  cpuTicks: number;
  /** % of one core from the threads' run time */
  cpuRun: number;
  rssMiB: number;
  seconds: number;
  load: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One round of one case: all daemons at once, one common window. */
export async function runIdleCase(
  caze: IdleCase,
  round: number,
  o: { seconds: number; warmupS: number; daemons: DaemonKind[]; beforeDir?: string },
): Promise<IdleRow[]> {
  const insts = instancesOf(caze);
  const roles: Role[] = caze === 'rss' ? ['master'] : ['master', 'backup'];
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-bench-idle-'));
  const topos: Topology[] = [];
  const running: Running[] = [];
  try {
    for (const kind of o.daemons) {
      const topo = await createTopology({
        hosts: roles.map((r) => r[0] as string),
        prefix: `vi${process.pid % 100000}${kind[0]}-`,
      });
      topos.push(topo);
      running.push(await startDaemon(kind, topo, 'm', 'master', dir, insts, o.beforeDir));
    }
    // The masters first, each holding all its VIPs, then the backups: started together, a
    // backup whose instances come up sooner would be master for a moment (both daemons do
    // that), and the start-up churn is not what this bench measures.
    for (const r of running)
      await waitFor(
        async () => (await vipCount(r.topo, r.host)) === insts.length,
        60_000,
        () => `${r.kind} master to hold ${insts.length} VIPs`,
        250,
      );
    if (roles.includes('backup'))
      for (const [i, kind] of o.daemons.entries())
        running.push(await startDaemon(kind, topos[i] as Topology, 'b', 'backup', dir, insts, o.beforeDir));
    // past the masters' second GARP batch (5 s after the takeover) and start-up garbage
    await sleep(o.warmupS * 1000);
    const t0 = performance.now();
    const before: CpuReading[] = running.map((r) => cpuOf(r.pids()));
    await sleep(o.seconds * 1000);
    const after: CpuReading[] = running.map((r) => cpuOf(r.pids()));
    const wall = performance.now() - t0;
    const load = loadAverage();
    const rows: IdleRow[] = [];
    for (const [k, r] of running.entries()) {
      const p = cpuPercent(before[k] as CpuReading, after[k] as CpuReading, wall);
      rows.push({
        caze,
        round,
        kind: r.kind,
        role: r.role,
        instances: insts.length,
        cpuTicks: p.ticks,
        cpuRun: p.run,
        rssMiB: r.pids().reduce((s, pid) => s + rssMiB(pid), 0),
        seconds: wall / 1000,
        load,
      });
    }
    // still converged at the end: a flap in the window would make the figures meaningless
    for (const r of running) {
      const n = await vipCount(r.topo, r.host);
      const want = r.role === 'master' ? insts.length : 0;
      if (n !== want)
        throw new Error(`${r.kind} ${r.role} holds ${n} VIPs at the end of the window, not ${want}`);
    }
    return rows;
  } finally {
    for (const r of running) await r.topo.kill(r.child, 5000);
    for (const t of topos) await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

const CASE_LABEL: Record<IdleCase, string> = {
  v2x200: '200 × VRRPv2 IPv4, advert 1 s',
  v3x255x2: '255 VRIDs × 2 families (VRRPv3), advert 1 s',
  rss: 'one instance (v2 IPv4), master alone',
};

export function idleTables(rows: readonly IdleRow[]): string {
  const out: string[] = [];
  const cases = [...new Set(rows.map((r) => r.caze))];
  const hasBefore = rows.some((r) => r.kind === 'before');
  const fmt = (xs: number[]) => (xs.length ? xs.map((x) => x.toFixed(2)).join(' / ') : 'n/a');
  for (const caze of cases.filter((c) => c !== 'rss')) {
    const rs = rows.filter((r) => r.caze === caze);
    out.push(
      `Idle CPU, ${CASE_LABEL[caze]}: % of one core over ${rs[0]?.seconds.toFixed(0)} s per round (utime+stime; each round / median; run-time cross-check median), every daemon in the same window; load average ${[...new Set(rs.map((r) => r.load.split(' ')[0]))].join(', ')}.`,
      '',
      `| role | vrrpd (rounds) | vrrpd median | keepalived (rounds) | keepalived median | vrrpd / keepalived | RSS MiB vrrpd / keepalived |${hasBefore ? ' vrrpd before (median) |' : ''}`,
      `|---|---|---:|---|---:|---:|---|${hasBefore ? '---:|' : ''}`,
    );
    for (const role of ['master', 'backup'] as Role[]) {
      const b = rs.filter((r) => r.kind === 'before' && r.role === role);
      const v = rs.filter((r) => r.kind === 'vrrpd' && r.role === role);
      const k = rs.filter((r) => r.kind === 'keepalived' && r.role === role);
      const mv = median(v.map((r) => r.cpuTicks));
      const mk = median(k.map((r) => r.cpuTicks));
      const rv = median(v.map((r) => r.cpuRun));
      const rk = median(k.map((r) => r.cpuRun));
      out.push(
        `| ${role} | ${fmt(v.map((r) => r.cpuTicks))} | ${mv.toFixed(2)} (${rv.toFixed(2)}) | ${fmt(k.map((r) => r.cpuTicks))} | ${mk.toFixed(2)} (${rk.toFixed(2)}) | ${(mv / mk).toFixed(2)} | ${median(v.map((r) => r.rssMiB)).toFixed(1)} / ${median(k.map((r) => r.rssMiB)).toFixed(1)} |${hasBefore ? ` ${fmt(b.map((r) => r.cpuTicks))} (${median(b.map((r) => r.cpuTicks)).toFixed(2)}) |` : ''}`,
      );
    }
    out.push('');
  }
  const rss = rows.filter((r) => r.caze === 'rss');
  if (rss.length) {
    const of = (kind: DaemonKind) => median(rss.filter((r) => r.kind === kind).map((r) => r.rssMiB));
    out.push(
      `Resident memory, ${CASE_LABEL.rss} (VmRSS, all processes of the daemon, median of rounds):`,
      '',
      `| | vrrpd | keepalived (parent + VRRP child) |${hasBefore ? ' vrrpd before |' : ''} target |`,
      `|---|---:|---:|${hasBefore ? '---:|' : ''}---|`,
      `| RSS MiB | ${of('vrrpd').toFixed(1)} | ${of('keepalived').toFixed(1)} |${hasBefore ? ` ${of('before').toFixed(1)} |` : ''} vrrpd ≤ 60 MB |`,
      '',
    );
  }
  return out.join('\n');
}

export interface IdleOptions {
  cases: IdleCase[];
  seconds: number;
  warmupS: number;
  rounds: number;
  daemons?: DaemonKind[];
  /** a work tree whose build runs as a third daemon ('before') */
  beforeDir?: string;
}

export async function runIdle(o: IdleOptions, log: (s: string) => void = () => {}): Promise<IdleRow[]> {
  const rows: IdleRow[] = [];
  for (let round = 1; round <= o.rounds; round++)
    for (const caze of o.cases) {
      log(`idle ${caze} round ${round}/${o.rounds} ...\n`);
      rows.push(
        ...(await runIdleCase(caze, round, {
          seconds: caze === 'rss' ? 0.1 : o.seconds,
          warmupS: o.warmupS,
          daemons: o.daemons ?? ['vrrpd', 'keepalived', ...(o.beforeDir ? (['before'] as const) : [])],
          ...(o.beforeDir ? { beforeDir: o.beforeDir } : {}),
        })),
      );
    }
  return rows;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', default: 'v2x200,v3x255x2,rss' },
      seconds: { type: 'string', default: '60' },
      warmup: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '2' },
      json: { type: 'string' },
      before: { type: 'string' },
    },
  });
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench/idle needs root (network namespaces)\n');
    return 2;
  }
  const cases = String(values.cases).split(',') as IdleCase[];
  for (const c of cases) if (!(c in CASE_LABEL)) throw new Error(`unknown case '${c}'`);
  const rows = await runIdle(
    {
      cases,
      seconds: Number(values.seconds),
      warmupS: Number(values.warmup),
      rounds: Number(values.rounds),
      ...(values.before ? { beforeDir: values.before } : {}),
    },
    (s) => process.stderr.write(s),
  );
  process.stdout.write(`${idleTables(rows)}\n`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify(rows, null, 2)}\n`);
  return 0;
}

runMain(import.meta.url, 'idle', main);
