// Runs INSIDE the real-IPVS environment (guest, or a fresh host netns), started by
// bench/http-checks-guest.ts: keepalived 2.2.7's checker and vrrpd doing the same HTTP_GET
// checks at the same rate against the same nginx, one daemon at a time, alternating, round
// after round. One keepalived.conf (delay_loop, HTTP_GET /healthz on ports × addresses real
// servers); vrrpd reads it through `vrrpd import-keepalived` (virtual address changed).
// Per trial: requests nginx served in the window (only one daemon runs, so these are its
// checks; the window opens once a second's requests reach 90 % of the rate) and the CPU run time (schedstat, ns) of keepalived's checker process, of its parent,
// of the whole vrrpd and of vrrpd's main thread. Written to $VM_SHARE/results.json.
//
//   args: RATE ROUNDS SECONDS WARMUP_S [ADDRESSES]
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { keepalivedChecksConf, nginxConf, stubRequests } from '../../../bench/lib/http-checks.js';
import { REPO } from '../guest.js';

const share = process.env.VM_SHARE ?? '.';
const dir = mkdtempSync(join(tmpdir(), 'vrrpd-http-'));
const MAIN_JS = join(REPO, 'dist', 'src', 'cli', 'main.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const problems: string[] = [];
const children: ChildProcess[] = [];
const STATUS_PORT = 19999;
const BASE_PORT = 20000;

const [rateArg = '200', roundsArg = '3', secondsArg = '10', warmupArg = '4', addrArg = '20'] =
  process.argv.slice(2);
const RATE = Number(rateArg);
const ROUNDS = Number(roundsArg);
const SECONDS = Number(secondsArg);
const WARMUP_S = Number(warmupArg);
const N_ADDR = Number(addrArg);

export interface Trial {
  daemon: 'keepalived' | 'vrrpd';
  round: number;
  wallMs: number;
  requests: number;
  /** keepalived: its checker process; vrrpd: the whole process */
  cpuNs: number;
  /** keepalived: the parent process; vrrpd: the main thread */
  otherNs: number;
  nginxNs: number;
  loadavg: string;
}

function start(cmd: string, args: string[]): { child: ChildProcess; out: () => string } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  const add = (d: Buffer) => {
    out += d.toString();
    if (out.length > 40_000) out = out.slice(-20_000);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return { child, out: () => out };
}

function runNs(pid: number, threads = true): number {
  if (!threads) return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]);
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // ended meanwhile
    }
  }
  return ns;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

async function requests(): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${STATUS_PORT}/nginx_status`);
  return stubRequests(await r.text());
}

async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise<void>((r) => c.once('exit', () => r()));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(t);
}

async function main(): Promise<void> {
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  const addresses = Array.from({ length: N_ADDR }, (_, i) => `198.51.100.${i + 1}`);
  for (const a of addresses) execFileSync('ip', ['addr', 'add', `${a}/32`, 'dev', 'lo']);
  const nPorts = Math.max(1, Math.round(RATE / N_ADDR));
  const ports = Array.from({ length: nPorts }, (_, i) => BASE_PORT + i);
  const ndir = join(dir, 'nginx');
  mkdirSync(ndir);
  writeFileSync(
    join(ndir, 'nginx.conf'),
    nginxConf({ dir: ndir, ports: [STATUS_PORT, ...ports], workers: 1 }),
  );
  const nginx = start('nginx', [
    '-c',
    join(ndir, 'nginx.conf'),
    '-p',
    ndir,
    '-e',
    join(ndir, 'nginx-error.log'),
  ]);
  for (let i = 0; i < 100; i++) {
    if (
      await requests().then(
        () => true,
        () => false,
      )
    )
      break;
    await sleep(100);
  }
  const nginxPids = [nginx.child.pid as number, ...childrenOf(nginx.child.pid as number)];

  const kaConf = join(dir, 'keepalived.conf');
  writeFileSync(
    kaConf,
    keepalivedChecksConf({
      routerId: 'ka',
      vip: '192.0.2.60',
      ports,
      addresses,
      delayLoopS: 1,
      connectTimeoutS: 1,
    }),
  );
  const imported = execFileSync(process.execPath, [MAIN_JS, 'import-keepalived', kaConf], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const doc = parse(imported.replaceAll('192.0.2.60', '192.0.2.61')) as Record<
    string,
    Record<string, unknown>
  >;
  doc.global = {
    ...doc.global,
    control_socket: join(dir, 'vrrpd.sock'),
    state_file: join(dir, 'owned.json'),
    log_level: 'warn',
  };
  const vdConf = join(dir, 'vrrpd.yaml');
  writeFileSync(vdConf, stringify(doc));

  const trials: Trial[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const order: Trial['daemon'][] = round % 2 ? ['keepalived', 'vrrpd'] : ['vrrpd', 'keepalived'];
    for (const daemon of order) {
      const d =
        daemon === 'keepalived'
          ? start('keepalived', [
              '--check',
              '--dont-fork',
              '--log-console',
              '--dont-respawn',
              '-f',
              kaConf,
              '-p',
              join(dir, 'ka.pid'),
              '-c',
              join(dir, 'ka-check.pid'),
            ])
          : start(process.execPath, [MAIN_JS, 'run', '-c', vdConf]);
      // warm-up: at least WARMUP_S, and until a second's requests reach 90 % of the rate
      // (Node's start-up takes seconds in the guest; the window is the steady state only)
      await sleep(WARMUP_S * 1000);
      for (let i = 0; i < 30 && d.child.exitCode === null; i++) {
        const a = await requests();
        await sleep(1000);
        if ((await requests()) - a - 1 >= 0.9 * RATE) break;
      }
      const pid = d.child.pid as number;
      if (d.child.exitCode !== null) {
        problems.push(`${daemon} exited: ${d.out().slice(-2000)}`);
        continue;
      }
      const checker = daemon === 'keepalived' ? childrenOf(pid)[0] : pid;
      if (checker === undefined) {
        problems.push(`keepalived has no checker child: ${d.out().slice(-2000)}`);
        await stop(d.child);
        continue;
      }
      const r0 = await requests();
      const c0 = runNs(checker);
      const o0 = runNs(pid, daemon === 'keepalived');
      const n0 = nginxPids.reduce((s, p) => s + runNs(p), 0);
      const t0 = performance.now();
      await sleep(SECONDS * 1000);
      const c1 = runNs(checker);
      const o1 = runNs(pid, daemon === 'keepalived');
      const n1 = nginxPids.reduce((s, p) => s + runNs(p), 0);
      const t1 = performance.now();
      const r1 = await requests();
      trials.push({
        daemon,
        round,
        wallMs: t1 - t0,
        requests: r1 - r0 - 1,
        cpuNs: c1 - c0,
        otherNs: o1 - o0,
        nginxNs: n1 - n0,
        loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ')[0] ?? '',
      });
      await stop(d.child);
      await sleep(1000);
    }
  }
  writeFileSync(
    join(share, 'results.json'),
    JSON.stringify({ rate: RATE, realServers: nPorts * N_ADDR, trials, problems }),
  );
}

try {
  await main();
} catch (e) {
  problems.push(String((e as Error).stack ?? e));
  writeFileSync(join(share, 'results.json'), JSON.stringify({ problems }));
} finally {
  for (const c of children.reverse()) await stop(c).catch(() => {});
  try {
    execFileSync('ipvsadm', ['-C']);
  } catch {
    // nothing to clear
  }
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
