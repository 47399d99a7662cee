// HTTP checks at 10,000/s beside a VRRP pair (issue 17 item 5): the real daemon checks N real
// servers with GET /healthz (N × 1000 / interval checks per second) against nginx, while it
// is the master of a VRRPv3 pair with 100 ms adverts; the backup (another vrrpd) captures the
// adverts. Each rate is one scenario, rate 0 = checks off; the scenarios alternate, round
// after round, and the table shows each rate's median over the rounds:
// checks/s as vrrpd counted them and as nginx served them, CPU of the whole daemon, of its
// main thread and of its VRRP thread (% of one core, from schedstat), µs of CPU per check
// (daemon, main thread), nginx's CPU, the gaps between adverts as the backup saw them, and
// as the director's own tap saw them leave (sender: the VRRP thread's timing alone).
//
//   npm run build && node dist/bench/http-checks.js [--rates 0,2000,5000,10000] [--rounds 3]
//        [--seconds 10] [--warmup 4] [--advert 100] [--interval 1000] [--addresses 100]
//        [--nginx-workers 2] [--json FILE]
//
// keepalived's HTTP_GET beside vrrpd at the same load: bench/http-checks-guest.ts (its
// checker needs IPVS, which this host's kernel lacks).
//
// Root only. Namespaces on one bridge (src/lab/netns.ts): d = director (vrrpd, master,
// 192.0.2.11), b = backup (vrrpd, tcpdump), r = real servers: `addresses` addresses from
// 198.51.100.0/24 and 203.0.113.0/24 on r's loopback, routed from d via r's eth0, and one
// nginx listening on as many ports as the rate needs (N = ports × addresses).
// Done when (issue 17): 10,000 checks/s with the advert gap p99 <= advert + 5 ms. Exit code 0
// when met, 1 when not (the table says the highest rate that met it), 2 on error.
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { createTopology, type Topology } from '../src/lab/netns.js';
import { readPcap } from '../test/helpers/pcap.js';
import { startCapture } from '../test/netns/peers/capture.js';
import { exited, waitFor } from '../test/netns/peers/router.js';
import { vrrpdMain } from '../test/netns/peers/vrrpd.js';
import { advertTimesMs, checkCount, type GapStats, gapStats, percentile, realAddresses } from './lib/gaps.js';
import { nginxConf, pairYaml, stubRequests, usPerCheck } from './lib/http-checks.js';
import { cleanUpOnSignals } from './lib/main.js';
import { loadAverage, median } from './lib/proc.js';

const execFileP = promisify(execFile);
const VIP = '192.0.2.50';
const LVS_VIP = '192.0.2.60';
const VRID = 52;
const BASE_PORT = 20000;
const STATUS_PORT = 19999;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Opts {
  seconds: number;
  warmupS: number;
  advertMs: number;
  intervalMs: number;
  addresses: string[];
  nginxWorkers: number;
}

export interface Row {
  rate: number;
  realServers: number;
  checksPerSec: number;
  nginxPerSec: number;
  failedPct: number;
  /** attempts not run per second (they waited longer than their timeout for a check thread) */
  notRunPerSec: number;
  daemonCpuPct: number;
  mainCpuPct: number;
  vrrpCpuPct: number;
  otherCpuPct: number;
  daemonUsPerCheck: number;
  mainUsPerCheck: number;
  nginxCpuPct: number;
  /** each real server's last check, connect to response, as its thread timed it: p50 / p99 ms */
  latencyP50: number;
  latencyP99: number;
  gaps: GapStats;
  /** on the director's eth0 as sent (before softirq and the bridge) */
  senderGaps: GapStats;
  loadavg: string;
}

function outputTail(child: ChildProcess, max = 20_000): () => string {
  let out = '';
  const add = (d: Buffer) => {
    out += d.toString();
    if (out.length > 2 * max) out = out.slice(-max);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => out.slice(-max);
}

/** The first match of re in the child's stdout (its group 1), scanning across chunks. */
function watchFor(child: ChildProcess, re: RegExp): () => string | undefined {
  let carry = '';
  let found: string | undefined;
  child.stdout?.on('data', (d: Buffer) => {
    if (found !== undefined) return;
    const text = carry + d.toString();
    const m = re.exec(text);
    if (m) found = m[1] ?? m[0];
    carry = text.slice(-4096);
  });
  return () => found;
}

async function status(sock: string): Promise<unknown> {
  const r = await execFileP(process.execPath, [vrrpdMain(), 'status', '--json', '-s', sock], {
    timeout: 30_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return JSON.parse(r.stdout) as unknown;
}

/** Run time (ns, schedstat) of each thread of a process, by thread id. */
function threadRunNs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(tid, Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** The reasons of the real servers whose last check failed, with how many share each. */
function failureReasons(status: unknown): Map<string, number> {
  const out = new Map<string, number>();
  const vss = (
    status as {
      virtualServers?: Array<{
        realServers?: Array<{ lastCheck?: { ok?: boolean; reason?: string } | null }>;
      }>;
    }
  ).virtualServers;
  for (const vs of vss ?? [])
    for (const rs of vs.realServers ?? [])
      if (rs.lastCheck && rs.lastCheck.ok === false) {
        // the address and port make each reason unique: keep what follows them
        const why = (rs.lastCheck.reason ?? '').replace(/^GET \S+: /, '');
        out.set(why, (out.get(why) ?? 0) + 1);
      }
  return out;
}

/** The latency of every real server's last check in a status document. */
function lastLatencies(status: unknown): number[] {
  const out: number[] = [];
  const vss = (
    status as {
      virtualServers?: Array<{ realServers?: Array<{ lastCheck?: { latencyMs?: number } | null }> }>;
    }
  ).virtualServers;
  for (const vs of vss ?? [])
    for (const rs of vs.realServers ?? [])
      if (rs.lastCheck?.latencyMs !== undefined) out.push(rs.lastCheck.latencyMs);
  return out;
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

/** nginx's master and its workers (children of the master). */
function nginxPids(master: number): number[] {
  const out = [master];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === master) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

function nginxRunNs(pids: number[]): number {
  let ns = 0;
  for (const p of pids) {
    try {
      ns += sum(threadRunNs(p));
    } catch {
      // gone
    }
  }
  return ns;
}

async function nginxRequests(topo: Topology): Promise<number> {
  const r = await topo.exec('r', [
    'curl',
    '-s',
    '--max-time',
    '10',
    `http://127.0.0.1:${STATUS_PORT}/nginx_status`,
  ]);
  return stubRequests(r.stdout);
}

async function startNginx(
  topo: Topology,
  dir: string,
  ports: number[],
  workers: number,
): Promise<ChildProcess> {
  const ndir = join(dir, 'nginx');
  mkdirSync(ndir, { recursive: true });
  const conf = join(ndir, 'nginx.conf');
  writeFileSync(conf, nginxConf({ dir: ndir, ports: [STATUS_PORT, ...ports], workers }));
  const child = topo.spawn('r', ['nginx', '-c', conf, '-p', ndir, '-e', join(ndir, 'nginx-error.log')]);
  const out = outputTail(child);
  await waitFor(
    async () =>
      exited(child) ||
      (await nginxRequests(topo).then(
        () => true,
        () => false,
      )),
    15_000,
    () => `nginx to answer: ${out()}`,
    100,
  );
  if (exited(child)) throw new Error(`nginx exited: ${out()}`);
  return child;
}

async function setupReals(topo: Topology, addresses: string[]): Promise<void> {
  const r = topo.host('r');
  const d = topo.host('d');
  const batch = addresses.map((a) => `addr add ${a}/32 dev lo`).join('\n');
  await topo.exec('r', ['sh', '-c', `printf '%s\\n' "$1" | ip -batch -`, 'sh', batch]);
  for (const net of ['198.51.100.0/24', '203.0.113.0/24'])
    await topo.exec('d', ['ip', 'route', 'add', net, 'via', r.ipv4, 'dev', d.ifname]);
  // 10,000 connections a second: the whole ephemeral range, and TIME_WAIT sockets reused
  topo.sysctl('d', { 'net.ipv4.ip_local_port_range': '1024 65000', 'net.ipv4.tcp_tw_reuse': 1 });
  topo.sysctl('r', { 'net.core.somaxconn': 4096, 'net.ipv4.tcp_max_syn_backlog': 4096 });
}

async function startVrrpd(
  topo: Topology,
  host: string,
  conf: string,
): Promise<{ child: ChildProcess; out: () => string; tid: () => string | undefined }> {
  const child = topo.spawn(host, [process.execPath, vrrpdMain(), 'run', '-c', conf]);
  const out = outputTail(child);
  const tid = watchFor(child, /"event":"vrrp-thread-priority"[^\n]*?"tid":(\d+)/);
  const started = watchFor(child, /"event":"started"/);
  await waitFor(
    () => exited(child) || started() !== undefined,
    30_000,
    () => `vrrpd on ${host}:\n${out()}`,
  );
  if (exited(child)) throw new Error(`vrrpd on ${host} exited at start:\n${out()}`);
  return { child, out, tid };
}

async function runRate(
  topo: Topology,
  dir: string,
  rate: number,
  o: Opts,
  nginxMaster: number,
): Promise<Row> {
  const nServers = Math.round((rate * o.intervalMs) / 1000);
  const nPorts = Math.ceil(nServers / o.addresses.length);
  const ports = Array.from({ length: nPorts }, (_, i) => BASE_PORT + i);
  const sock = join(dir, `d-${rate}.sock`);
  const conf = join(dir, `d-${rate}.yaml`);
  writeFileSync(
    conf,
    pairYaml({
      routerId: 'd',
      controlSocket: sock,
      iface: 'eth0',
      vrid: VRID,
      priority: 200,
      advertMs: o.advertMs,
      vip: VIP,
      checks:
        rate === 0
          ? null
          : {
              vip: LVS_VIP,
              ports,
              addresses: o.addresses,
              intervalMs: o.intervalMs,
              timeoutMs: Math.min(o.intervalMs, 3000),
            },
    }),
  );
  const d = await startVrrpd(topo, 'd', conf);
  const pcap = join(dir, `adverts-${rate}.pcap`);
  const pcapD = join(dir, `adverts-${rate}-sender.pcap`);
  try {
    const pid = d.child.pid as number;
    await waitFor(
      async () => {
        const s = (await status(sock).catch(() => ({}))) as { instances?: Array<{ state?: string }> };
        return s.instances?.[0]?.state === 'master';
      },
      30_000,
      () => `vrrpd (rate ${rate}) to become master:\n${d.out()}`,
      100,
    );
    await waitFor(
      () => d.tid() !== undefined,
      10_000,
      () => `vrrpd to log its VRRP thread:\n${d.out()}`,
    );
    const tid = d.tid() as string;
    await sleep(o.warmupS * 1000);
    const filter = `ip proto 112 and src ${topo.host('d').ipv4}`;
    const cap = await startCapture(topo, 'b', pcap, filter);
    // the director's own tap sees each advert as the VRRP thread hands it to the device
    const capD = await startCapture(topo, 'd', pcapD, filter);
    const c0 = checkCount(await status(sock));
    const tc0 = performance.now();
    const q0 = await nginxRequests(topo);
    const nPids = nginxPids(nginxMaster);
    const n0 = nginxRunNs(nPids);
    const k0 = threadRunNs(pid);
    const t0 = performance.now();
    await sleep(o.seconds * 1000);
    const k1 = threadRunNs(pid);
    const n1 = nginxRunNs(nPids);
    const t1 = performance.now();
    const q1 = await nginxRequests(topo);
    const s1 = await status(sock);
    const c1 = checkCount(s1);
    const tc1 = performance.now();
    await cap.stop();
    await capD.stop();
    if (exited(d.child)) throw new Error(`vrrpd (rate ${rate}) exited during the window:\n${d.out()}`);
    const wallMs = t1 - t0;
    const delta = (id: string) => (k1.get(id) ?? 0) - (k0.get(id) ?? 0);
    const total = sum(k1) - sum(k0);
    const main = delta(String(pid));
    const vrrp = delta(tid);
    // counted from status answers taken just outside the window, divided by the window
    const checks = c1.ok + c1.failed - (c0.ok + c0.failed);
    const pct = (ns: number) => (ns / 1e6 / wallMs) * 100;
    const lat = lastLatencies(s1);
    const reasons = failureReasons(s1);
    if (reasons.size)
      process.stderr.write(
        `(last checks failed: ${[...reasons].map(([why, n]) => `${n} × ${why}`).join('; ')}) `,
      );
    return {
      rate,
      realServers: rate === 0 ? 0 : nPorts * o.addresses.length,
      // the counters come from the status answers, so their own interval divides them
      checksPerSec: checks / ((tc1 - tc0) / 1000),
      nginxPerSec: Math.max(0, q1 - q0 - 1) / (wallMs / 1000),
      failedPct: checks ? (100 * (c1.failed - c0.failed)) / checks : 0,
      notRunPerSec: (c1.notRun - c0.notRun) / ((tc1 - tc0) / 1000),
      daemonCpuPct: pct(total),
      mainCpuPct: pct(main),
      vrrpCpuPct: pct(vrrp),
      otherCpuPct: pct(total - main - vrrp),
      daemonUsPerCheck: usPerCheck(total, checks),
      mainUsPerCheck: usPerCheck(main, checks),
      nginxCpuPct: pct(n1 - n0),
      latencyP50: percentile(lat, 50),
      latencyP99: percentile(lat, 99),
      gaps: gapStats(advertTimesMs(readPcap(pcap), topo.host('d').ipv4), o.advertMs),
      senderGaps: gapStats(advertTimesMs(readPcap(pcapD), topo.host('d').ipv4), o.advertMs),
      loadavg: loadAverage(),
    };
  } finally {
    await topo.kill(d.child, 5000);
  }
}

const f = (x: number, dp = 1) => (Number.isFinite(x) ? x.toFixed(dp) : '–');

function medianRow(rows: Row[]): Row {
  const m = (g: (r: Row) => number) => median(rows.map(g));
  const r0 = rows[0] as Row;
  return {
    rate: r0.rate,
    realServers: r0.realServers,
    checksPerSec: m((r) => r.checksPerSec),
    nginxPerSec: m((r) => r.nginxPerSec),
    failedPct: m((r) => r.failedPct),
    notRunPerSec: m((r) => r.notRunPerSec),
    daemonCpuPct: m((r) => r.daemonCpuPct),
    mainCpuPct: m((r) => r.mainCpuPct),
    vrrpCpuPct: m((r) => r.vrrpCpuPct),
    otherCpuPct: m((r) => r.otherCpuPct),
    daemonUsPerCheck: m((r) => r.daemonUsPerCheck),
    mainUsPerCheck: m((r) => r.mainUsPerCheck),
    nginxCpuPct: m((r) => r.nginxCpuPct),
    latencyP50: m((r) => r.latencyP50),
    latencyP99: m((r) => r.latencyP99),
    gaps: {
      adverts: m((r) => r.gaps.adverts),
      p50: m((r) => r.gaps.p50),
      p99: m((r) => r.gaps.p99),
      max: m((r) => r.gaps.max),
      over: m((r) => r.gaps.over),
    },
    senderGaps: {
      adverts: m((r) => r.senderGaps.adverts),
      p50: m((r) => r.senderGaps.p50),
      p99: m((r) => r.senderGaps.p99),
      max: m((r) => r.senderGaps.max),
      over: m((r) => r.senderGaps.over),
    },
    loadavg: rows.map((r) => r.loadavg.split(' ')[0]).join(' / '),
  };
}

export function table(rows: Row[], advertMs: number): string {
  const lines = [
    `| checks | real servers | vrrpd checks/s | nginx requests/s | failed % | not run /s | daemon CPU % | main thread % | VRRP thread % | other threads % | daemon µs/check | main µs/check | nginx CPU % | check ms p50 / p99 | gap p50 ms | gap p99 ms | gap max ms | gaps > ${advertMs + 5} ms | sender p99 / max ms | load avg (1 min) |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.rate === 0 ? 'off' : `${r.rate}/s`} | ${r.realServers} | ${f(r.checksPerSec, 0)} | ${f(r.nginxPerSec, 0)} | ${f(r.failedPct, 2)} | ${f(r.notRunPerSec, 0)} | ${f(r.daemonCpuPct)} | ${f(r.mainCpuPct)} | ${f(r.vrrpCpuPct)} | ${f(r.otherCpuPct)} | ${f(r.daemonUsPerCheck)} | ${f(r.mainUsPerCheck)} | ${f(r.nginxCpuPct)} | ${f(r.latencyP50)} / ${f(r.latencyP99)} | ${f(r.gaps.p50, 2)} | ${f(r.gaps.p99, 2)} | ${f(r.gaps.max, 2)} | ${f(r.gaps.over, 0)} | ${f(r.senderGaps.p99, 2)} / ${f(r.senderGaps.max, 2)} | ${r.loadavg} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rates: { type: 'string', default: '0,2000,5000,10000' },
      rounds: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '4' },
      advert: { type: 'string', default: '100' },
      interval: { type: 'string', default: '1000' },
      addresses: { type: 'string', default: '100' },
      'nginx-workers': { type: 'string', default: '2' },
      json: { type: 'string' },
    },
  });
  if (process.getuid?.() !== 0) throw new Error('bench/http-checks needs root (network namespaces)');
  const rates = (values.rates ?? '').split(',').map((s) => Number(s.trim()));
  if (rates.some((r) => !Number.isFinite(r) || r < 0)) throw new Error(`bad --rates ${values.rates}`);
  const o: Opts = {
    seconds: Number(values.seconds),
    warmupS: Number(values.warmup),
    advertMs: Number(values.advert),
    intervalMs: Number(values.interval),
    addresses: realAddresses(Number(values.addresses)),
    nginxWorkers: Number(values['nginx-workers']),
  };
  const rounds = Number(values.rounds);
  const maxPorts = Math.ceil((Math.max(...rates) * o.intervalMs) / 1000 / o.addresses.length);
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-http-checks-'));
  const topo = await createTopology({ hosts: ['d', 'b', 'r'], prefix: `hc${process.pid}-` });
  cleanUpOnSignals(async () => {
    await topo.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const byRate = new Map<number, Row[]>();
  try {
    await setupReals(topo, o.addresses);
    const nginx = await startNginx(
      topo,
      dir,
      Array.from({ length: maxPorts }, (_, i) => BASE_PORT + i),
      o.nginxWorkers,
    );
    const bConf = join(dir, 'b.yaml');
    writeFileSync(
      bConf,
      pairYaml({
        routerId: 'b',
        controlSocket: join(dir, 'b.sock'),
        iface: 'eth0',
        vrid: VRID,
        priority: 100,
        advertMs: o.advertMs,
        vip: VIP,
        checks: null,
      }),
    );
    const backup = await startVrrpd(topo, 'b', bConf);
    try {
      for (let round = 1; round <= rounds; round++)
        for (const rate of rates) {
          process.stderr.write(
            `round ${round}/${rounds}, ${rate === 0 ? 'checks off' : `${rate} checks/s`}: `,
          );
          const row = await runRate(topo, dir, rate, o, nginx.pid as number);
          process.stderr.write(
            `${f(row.checksPerSec, 0)} checks/s, main ${f(row.mainUsPerCheck)} µs/check, gap p99 ${f(row.gaps.p99, 2)} ms, load ${row.loadavg}\n`,
          );
          byRate.set(rate, [...(byRate.get(rate) ?? []), row]);
        }
    } finally {
      await topo.kill(backup.child, 5000);
      await topo.kill(nginx, 5000);
    }
  } finally {
    await topo.cleanup().catch((e: unknown) => console.error(`cleanup: ${String(e)}`));
    rmSync(dir, { recursive: true, force: true });
  }
  const rows = rates.map((r) => medianRow(byRate.get(r) ?? []));
  console.log(
    `HTTP checks (GET /healthz, nginx ${o.nginxWorkers} workers) by vrrpd, master of a VRRPv3 pair with ${o.advertMs} ms adverts (gaps seen at the backup); interval ${o.intervalMs} ms; median of ${rounds} rounds of ${o.seconds} s; node ${process.version}; HTTP check threads: ${process.env.VRRPD_HTTP_CHECK_THREADS ?? 'default'}\n`,
  );
  console.log(table(rows, o.advertMs));
  if (values.json) writeFileSync(values.json, `${JSON.stringify([...byRate.values()], null, 2)}\n`);
  const bound = o.advertMs + 5;
  const met = rows.filter((r) => r.rate > 0 && r.gaps.p99 <= bound && r.checksPerSec >= 0.95 * r.rate);
  const best = Math.max(0, ...met.map((r) => r.rate));
  console.log(
    `\nhighest rate with ≥ 95 % of its checks done and the advert gap p99 ≤ ${bound} ms: ${best ? `${best}/s` : 'none'}`,
  );
  const top = rows.find((r) => r.rate === 10_000);
  if (top)
    console.log(
      `done-when (10,000 HTTP checks/s, gap p99 ≤ ${bound} ms): ${best >= 10_000 ? 'MET' : 'NOT MET'}`,
    );
  process.exitCode = top && best < 10_000 ? 1 : 0;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(2);
});
