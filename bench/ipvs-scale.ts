// Whole daemons at scale against real IPVS, keepalived beside vrrpd in the same run:
// start → first real server in the kernel, start → all of them, and one weight changed by
// a reload (file edited, SIGHUP to either daemon) → the new weight in the kernel. No
// checks (every real server counts as up in both), one VRRP instance on a veth in each
// config, as on a director. Each daemon runs in a guest of its own, booted fresh (or a
// fresh network namespace where the host kernel has IPVS), so neither inherits the
// other's page cache or table.
//
//   npm run build && node dist/bench/ipvs-scale.js [--sizes 10000,100000] [--runs 1] [--reloads 3]
//     [--before /other/checkout/dist/src/cli/main.js]   (another vrrpd build as a third column)
//
// Inside, a small driver (this file with --inside) spawns the daemon, then polls the
// kernel over generic netlink: the first service's and the last service's real servers
// until one appears (first), then the last service until it is complete and the whole
// table until it holds every real server (all). Both daemons add services in config
// order. The driver loads the project's netlink client before it starts the daemon,
// which warms a few of vrrpd's files in the guest's page cache (a small bias in vrrpd's
// favour on the first-server time; the daemon's other modules, node_modules and the
// native addon's users are not touched).
//
// runScale() is exported for test/vm/ipvs-scale.test.ts, which runs a small slice.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIpvsClient, type IpvsClient } from '../src/effects/ipvs-client.js';
import type { IpvsService } from '../src/lvs/model.js';
import { svc } from '../test/vm/cases/tables.js';
import { REPO, runJob } from '../test/vm/guest.js';

export type Kind = 'vrrpd' | 'keepalived';

export interface ScaleResult {
  kind: Kind;
  services: number;
  perService: number;
  /** spawn → first real server seen in the kernel */
  firstMs: number;
  /** spawn → every real server in the kernel */
  allMs: number;
  /** SIGHUP → the changed weight in the kernel, one per reload */
  reloadMs: number[];
  where?: 'host' | 'guest';
  /** vrrpd's start-up marks (VRRPD_START_MARKS=1, log.ts startMark): spawn → each mark, ms */
  marks?: Record<string, number>;
  /** `node -e 0` spawn → exit in the same guest, after the daemon stopped, ms (3 runs) */
  nodeFloorMs?: number[];
}

const DIR = '/run/vrrpd-scale';
const IFACE = 'vsb0';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Documentation ranges are too small for 100,000 real servers: 10.0.0.0/8, never contacted. */
const realAddr = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
const vsAddr = (v: number) => `203.0.113.${(v % 250) + 1}`;
const vsPort = (v: number) => 1000 + v;
const weightOf = (r: number) => 1 + (r % 5);

/** The last real server's weight is `lastWeight` (the reload changes it). */
export function vrrpdYaml(services: number, per: number, lastWeight: number): string {
  const out = [
    'global:',
    '  router_id: scale',
    `  control_socket: ${DIR}/vrrpd.sock`,
    `  state_file: ${DIR}/ipvs-owned.json`,
    `  log_level: ${process.env.SCALE_LOG_LEVEL ?? 'info'}`,
    'vrrp_instances:',
    '  - name: VI_1',
    `    interface: ${IFACE}`,
    '    vrid: 51',
    '    priority: 100',
    '    virtual_ips: [192.0.2.100/24]',
    'virtual_servers:',
  ];
  for (let v = 0; v < services; v++) {
    out.push(`  - address: ${vsAddr(v)}`, `    port: ${vsPort(v)}`, '    protocol: tcp');
    out.push('    scheduler: wrr', '    forwarding: nat', '    real_servers:');
    for (let r = 0; r < per; r++) {
      const last = v === services - 1 && r === per - 1;
      out.push(
        `      - address: ${realAddr(v * per + r)}`,
        '        port: 80',
        `        weight: ${last ? lastWeight : weightOf(r)}`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

export function keepalivedConf(services: number, per: number, lastWeight: number): string {
  const out = [
    'global_defs {',
    '  router_id scale',
    '}',
    'vrrp_instance VI_1 {',
    '  state BACKUP',
    `  interface ${IFACE}`,
    '  virtual_router_id 51',
    '  priority 100',
    '  advert_int 1',
    '  virtual_ipaddress {',
    '    192.0.2.100/24',
    '  }',
    '}',
  ];
  for (let v = 0; v < services; v++) {
    out.push(
      `virtual_server ${vsAddr(v)} ${vsPort(v)} {`,
      '  lb_algo wrr',
      '  lb_kind NAT',
      '  protocol TCP',
    );
    for (let r = 0; r < per; r++) {
      const last = v === services - 1 && r === per - 1;
      out.push(
        `  real_server ${realAddr(v * per + r)} 80 {`,
        `    weight ${last ? lastWeight : weightOf(r)}`,
        '  }',
      );
    }
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}

const service = (v: number): IpvsService =>
  svc({ protocol: 'tcp', address: vsAddr(v), port: vsPort(v), scheduler: 'wrr' });

async function destsOf(c: IpvsClient, s: IpvsService): Promise<Map<string, { weight: number }>> {
  const t = await c.dumpOnly([s]);
  return [...t.values()][0]?.dests ?? new Map();
}

async function totalDests(c: IpvsClient): Promise<number> {
  let n = 0;
  for (const e of (await c.dump()).values()) n += e.dests.size;
  return n;
}

/** The vrrpd to run: VRRPD_BIN (another build, e.g. an older checkout's), else the package's bin. */
function bin(): string {
  if (process.env.VRRPD_BIN) return process.env.VRRPD_BIN;
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: { vrrpd: string } };
  return join(REPO, pkg.bin.vrrpd);
}

function startDaemon(kind: Kind, conf: string, logFile: string): { child: ChildProcess; log: () => string } {
  const args =
    kind === 'vrrpd'
      ? [bin(), 'run', '-c', conf]
      : [
          '-n',
          '-l',
          '-D',
          '-f',
          conf,
          '-p',
          `${DIR}/ka.pid`,
          '-c',
          `${DIR}/ka-c.pid`,
          '-r',
          `${DIR}/ka-r.pid`,
        ];
  const cmd = kind === 'vrrpd' ? process.execPath : '/usr/sbin/keepalived';
  const env = kind === 'vrrpd' ? { ...process.env, VRRPD_START_MARKS: '1' } : process.env;
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let log = '';
  const keep = (d: Buffer) => {
    if (log.length < 200_000) log += d.toString();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('close', () => writeFileSync(logFile, log));
  return { child, log: () => log };
}

/** The start-up marks in a vrrpd log, as ms after `spawnAt` (epoch ms); the first of each name. */
export function marksOf(log: string, spawnAt: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of log.split('\n')) {
    if (!line.startsWith('{"startMark"')) continue;
    const m = JSON.parse(line) as { startMark: string; at: number };
    if (!(m.startMark in out)) out[m.startMark] = m.at - spawnAt;
  }
  return out;
}

/** `node -e 0`, spawn → exit, ms: the runtime's own start, the floor of any node daemon's. */
async function nodeFloor(): Promise<number> {
  const t = performance.now();
  await new Promise<void>((res, rej) => {
    const c = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    c.on('error', rej);
    c.on('close', () => res());
  });
  return performance.now() - t;
}

async function stopDaemon(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('close', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await gone;
  clearTimeout(t);
}

/** One daemon, inside the IPVS environment. */
export async function runScale(
  kind: Kind,
  services: number,
  per: number,
  reloads: number,
  logDir: string,
): Promise<ScaleResult> {
  mkdirSync(DIR, { recursive: true });
  const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { stdio: 'pipe' });
  sh(
    `ip link add ${IFACE} type veth peer name ${IFACE}p && ip addr add 192.0.2.1/24 dev ${IFACE} && ip link set ${IFACE} up && ip link set ${IFACE}p up`,
  );
  const conf = join(DIR, kind === 'vrrpd' ? 'vrrpd.yaml' : 'keepalived.conf');
  const write = (w: number) =>
    writeFileSync(conf, kind === 'vrrpd' ? vrrpdYaml(services, per, w) : keepalivedConf(services, per, w));
  write(weightOf(per - 1));
  const c = await createIpvsClient();
  const first = service(0);
  const last = service(services - 1);
  let child: ChildProcess | null = null;
  let daemonLog = () => '';
  let spawnAt = 0;
  let result: ScaleResult;
  try {
    const t0 = performance.now();
    spawnAt = performance.timeOrigin + t0;
    ({ child, log: daemonLog } = startDaemon(kind, conf, join(logDir, `${kind}.log`)));
    const died = () => child !== null && (child.exitCode !== null || child.signalCode !== null);
    const deadline = t0 + 600_000;
    let firstMs = Number.NaN;
    while (Number.isNaN(firstMs)) {
      if (died() || performance.now() > deadline)
        throw new Error(`${kind} exited or timed out before the first real server`);
      const now = performance.now();
      if ((await destsOf(c, first)).size > 0 || (await destsOf(c, last)).size > 0) firstMs = now - t0;
      else await sleep(5);
    }
    let allMs = Number.NaN;
    while (Number.isNaN(allMs)) {
      if (died() || performance.now() > deadline)
        throw new Error(`${kind} exited or timed out before all real servers`);
      const now = performance.now();
      if ((await destsOf(c, last)).size === per && (await totalDests(c)) === services * per) allMs = now - t0;
      else await sleep(20);
    }
    // let both settle (VRRP start, first periodic work) before reloading; vrrpd starts its
    // VRRP worker after the first IPVS pass, so it is waited for (its 'ready' mark) first
    // (a build without start-up marks, such as an older --before, is not waited for)
    const marking = daemonLog().includes('{"startMark"');
    while (marking && !daemonLog().includes('"startMark":"ready"')) {
      if (died() || performance.now() > deadline) throw new Error(`${kind} exited or timed out before ready`);
      await sleep(20);
    }
    await sleep(1500);
    const reloadMs: number[] = [];
    const key = `${realAddr(services * per - 1)}:80`;
    for (let i = 0; i < reloads; i++) {
      const w = 10 + (i % 2);
      write(w);
      const t = performance.now();
      child.kill('SIGHUP');
      for (;;) {
        if (died() || performance.now() - t > 120_000)
          throw new Error(`${kind}: reload ${i} never reached the kernel`);
        const now = performance.now();
        if ((await destsOf(c, last)).get(key)?.weight === w) {
          reloadMs.push(now - t);
          break;
        }
        await sleep(1);
      }
      await sleep(1000);
    }
    result = { kind, services, perService: per, firstMs, allMs, reloadMs };
  } finally {
    if (child) await stopDaemon(child);
    c.close();
    sh(`ip link del ${IFACE} 2>/dev/null || true`);
  }
  if (kind === 'vrrpd') result.marks = marksOf(daemonLog(), spawnAt);
  result.nodeFloorMs = [await nodeFloor(), await nodeFloor(), await nodeFloor()];
  return result;
}

// ---------------------------------------------------------------- host side

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? String(args[i + 1]) : dflt;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const fmt = (ms: number) => (Number.isNaN(ms) ? '-' : Math.round(ms).toLocaleString('en-US'));

/**
 * Boots a fresh guest (or netns) for one daemon and returns what it measured, with the
 * daemon's log. `logLevel` sets vrrpd's log_level (default info). Runs the compiled
 * driver (dist/bench/ipvs-scale.js) whether called from there or from a test.
 */
export async function scaleInGuest(
  kind: Kind,
  services: number,
  per: number,
  reloads: number,
  opts: { logLevel?: string; bin?: string } = {},
): Promise<ScaleResult & { log: string }> {
  const level = opts.logLevel ?? process.env.SCALE_LOG_LEVEL;
  const env = `${level ? `SCALE_LOG_LEVEL=${level} ` : ''}${opts.bin ? `VRRPD_BIN=${opts.bin} ` : ''}`;
  const r = await runJob(
    `${env}exec node dist/bench/ipvs-scale.js --inside ${kind} ${services} ${per} ${reloads}`,
    {
      timeoutS: 1200,
      modules: ['ip_vs', 'ip_vs_wrr', 'nf_conntrack', 'veth'],
      memMb: services * per > 20_000 ? 2048 : 1024,
    },
  );
  const text = r.files['result.json'];
  const log = r.files[`${kind}.log`] ?? '';
  if (r.rc !== 0 || !text) {
    throw new Error(
      `${kind} run failed (rc ${r.rc}):\n${r.stderr.slice(-3000)}\n${log.slice(-3000)}\n${r.console.slice(-2000)}`,
    );
  }
  return { ...(JSON.parse(text) as ScaleResult), where: r.where, log };
}

/** A column of the table: keepalived, vrrpd, or another vrrpd build (--before FILE). */
type Column = 'keepalived' | 'vrrpd' | 'before';

async function outside(): Promise<void> {
  const sizes = opt('sizes', '10000').split(',').map(Number);
  const runs = Number(opt('runs', '1'));
  const reloads = Number(opt('reloads', '3'));
  const before = opt('before', '');
  const per = 100;
  const rows: string[] = [];
  const breakdowns: string[] = [];
  const columns: Column[] = before ? ['keepalived', 'before', 'vrrpd'] : ['keepalived', 'vrrpd'];
  for (const n of sizes) {
    const services = Math.ceil(n / per);
    const got: Record<Column, ScaleResult[]> = { vrrpd: [], keepalived: [], before: [] };
    for (let i = 0; i < runs; i++) {
      // rotate which goes first
      const order = columns.map((_, k) => columns[(k + i) % columns.length]!);
      for (const col of order) {
        const kind: Kind = col === 'keepalived' ? 'keepalived' : 'vrrpd';
        const { log, ...r } = await scaleInGuest(
          kind,
          services,
          per,
          reloads,
          col === 'before' ? { bin: before } : {},
        );
        console.error(`${col} ${n}: ${JSON.stringify(r)}`);
        if (process.env.SCALE_LOG_LEVEL) process.stderr.write(log);
        got[col].push(r);
      }
    }
    const m = (k: Column, f: (r: ScaleResult) => number[]) => median(got[k].flatMap(f));
    const line = (what: string, f: (r: ScaleResult) => number[]) => {
      const ka = m('keepalived', f);
      const vr = m('vrrpd', f);
      const b = before ? ` ${fmt(m('before', f))} |` : '';
      rows.push(`| ${fmt(n)} | ${what} | ${fmt(ka)} |${b} ${fmt(vr)} | ${(vr / ka).toFixed(2)} |`);
    };
    line('start → first real server', (r) => [r.firstMs]);
    line('start → all real servers', (r) => [r.allMs]);
    line('first → last real server', (r) => [r.allMs - r.firstMs]);
    line('reload of one weight → kernel', (r) => r.reloadMs);
    breakdowns.push(breakdown(n, got, columns));
  }
  console.log(
    `Whole daemons against real IPVS (${per} real servers per virtual service, no checks, one VRRP instance), median of ${runs} run(s) x ${reloads} reload(s), each daemon in a fresh guest`,
  );
  console.log('');
  if (before) {
    console.log(
      `| real servers | what | keepalived ms | vrrpd before ms (${before}) | vrrpd ms | vrrpd / keepalived |`,
    );
    console.log('|---:|---|---:|---:|---:|---:|');
  } else {
    console.log('| real servers | what | keepalived ms | vrrpd ms | vrrpd / keepalived |');
    console.log('|---:|---|---:|---:|---:|');
  }
  for (const r of rows) console.log(r);
  for (const b of breakdowns) console.log(b);
}

/**
 * Where vrrpd's start goes: each start-up mark (src/start-marks.ts) as a median time after
 * spawn, beside `node -e 0` in the same guests (the runtime's own start) and keepalived.
 */
function breakdown(n: number, got: Record<Column, ScaleResult[]>, columns: Column[]): string {
  const vr = columns.filter((c) => c !== 'keepalived');
  const names = new Set<string>();
  for (const c of vr) for (const r of got[c]) for (const k of Object.keys(r.marks ?? {})) names.add(k);
  const med = (c: Column, k: string) => median(got[c].map((r) => r.marks?.[k] ?? Number.NaN));
  const order = [...names].sort((a, b) => (med('vrrpd', a) || 0) - (med('vrrpd', b) || 0));
  const floor = median(columns.flatMap((c) => got[c].flatMap((r) => r.nodeFloorMs ?? [])));
  const out = [
    '',
    `Start-up of vrrpd at ${fmt(n)} real servers, ms after spawn (medians; marks from VRRPD_START_MARKS=1)`,
    '',
    `| mark |${vr.map((c) => ` ${c} |`).join('')}`,
    `|---|${vr.map(() => '---:|').join('')}`,
    `| \`node -e 0\` spawn → exit, same guests (floor) |${vr.map(() => ` ${fmt(floor)} |`).join('')}`,
  ];
  for (const k of order) out.push(`| ${k} |${vr.map((c) => ` ${fmt(med(c, k))} |`).join('')}`);
  for (const [what, f] of [
    ['start → first real server', (r: ScaleResult) => r.firstMs],
    ['start → all real servers', (r: ScaleResult) => r.allMs],
  ] as const) {
    out.push(`| ${what} |${vr.map((c) => ` ${fmt(median(got[c].map(f)))} |`).join('')}`);
    out.push(`| keepalived: ${what} |${vr.map(() => ` ${fmt(median(got.keepalived.map(f)))} |`).join('')}`);
  }
  return out.join('\n');
}

if (args[0] === '--inside') {
  const [kind, services, per, reloads] = [args[1] as Kind, Number(args[2]), Number(args[3]), Number(args[4])];
  const share = process.env.VM_SHARE ?? '/tmp';
  const r = await runScale(kind, services, per, reloads, share);
  writeFileSync(join(share, 'result.json'), JSON.stringify(r));
  console.log(JSON.stringify(r));
} else if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  await outside();
}
