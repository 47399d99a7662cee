// Runs INSIDE the real-IPVS environment (guest, or a fresh host netns), started by
// test/vm/notify-fifo-lvs.test.ts: keepalived 2.2.7's checker (--check) and vrrpd, each
// with one virtual server (quorum 1) of one real server with a TCP check, each writing an
// lvs_notify_fifo. The real servers' listeners close, then open again: each daemon writes
// its RS and VS lines. Writes $VM_SHARE/results.json: {keepalived: [...], vrrpd: [...],
// problems: [...]}, the lines with the addresses made generic so the two compare.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../guest.js';

const share = process.env.VM_SHARE ?? '.';
const dir = mkdtempSync(join(tmpdir(), 'vrrpd-fifo-'));
const MAIN_JS = join(REPO, 'dist', 'src', 'cli', 'main.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const problems: string[] = [];
const children: ChildProcess[] = [];

function reader(path: string): { text: string } {
  const r = { text: '' };
  const c = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(c);
  c.stdout?.on('data', (d: Buffer) => {
    r.text += d.toString();
  });
  return r;
}

async function until(what: string, fn: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) {
      problems.push(`timed out waiting for ${what}`);
      return;
    }
    await sleep(100);
  }
}

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer((c) => c.on('error', () => {}).end());
    s.once('error', reject);
    s.listen(port, '198.51.100.2', () => resolve(s));
  });
}

const lines = (r: { text: string }) => r.text.split('\n').filter(Boolean);
const generic = (l: string) => l.replace(/192\.0\.2\.6[01]/g, 'VIP').replace(/:808[12]\b/g, ':RSPORT');

async function main(): Promise<void> {
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  execFileSync('ip', ['addr', 'add', '198.51.100.2/32', 'dev', 'lo']);
  let ka1 = await listen(8081);
  let vd1 = await listen(8082);
  const kaFifo = join(dir, 'ka.fifo');
  const vdFifo = join(dir, 'vd.fifo');
  execFileSync('mkfifo', [kaFifo]);
  const kaConf = join(dir, 'keepalived.conf');
  writeFileSync(
    kaConf,
    `global_defs {
  router_id ka
  lvs_notify_fifo ${kaFifo}
}
virtual_server 192.0.2.60 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  quorum 1
  real_server 198.51.100.2 8081 {
    TCP_CHECK {
      connect_timeout 1
      retry 0
      delay_before_retry 1
    }
  }
}
`,
  );
  const vdConf = join(dir, 'vrrpd.yaml');
  writeFileSync(
    vdConf,
    `global:
  control_socket: ${join(dir, 'vrrpd.sock')}
  state_file: ${join(dir, 'owned.json')}
  lvs_notify_fifo: ${vdFifo}
virtual_servers:
  - address: 192.0.2.61
    port: 80
    protocol: tcp
    scheduler: rr
    forwarding: nat
    quorum: 1
    real_servers:
      - address: 198.51.100.2
        port: 8082
        check: {type: tcp, interval: 1s, timeout: 1s, retry: 0, rise: 1, fall: 1}
`,
  );
  const kaReader = reader(kaFifo);
  const ka = spawn(
    'keepalived',
    [
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
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(ka);
  let kaLog = '';
  ka.stdout?.on('data', (d: Buffer) => (kaLog += d.toString()));
  ka.stderr?.on('data', (d: Buffer) => (kaLog += d.toString()));
  const vd = spawn(process.execPath, [MAIN_JS, 'run', '-c', vdConf], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(vd);
  let vdLog = '';
  vd.stdout?.on('data', (d: Buffer) => (vdLog += d.toString()));
  vd.stderr?.on('data', (d: Buffer) => (vdLog += d.toString()));
  // vrrpd makes its FIFO: read it once it is there
  await until(
    'the vrrpd FIFO',
    () => {
      try {
        execFileSync('test', ['-p', vdFifo]);
        return true;
      } catch {
        return false;
      }
    },
    15_000,
  );
  const vdReader = reader(vdFifo);
  // both tables filled (the real servers are up from the start)
  await until(
    'both services in IPVS',
    () => {
      const t = execFileSync('ipvsadm', ['-Ln'], { encoding: 'utf8' });
      return t.includes('198.51.100.2:8081') && t.includes('198.51.100.2:8082');
    },
    15_000,
  );
  await sleep(2500);
  ka1.close();
  vd1.close();
  await until('DOWN lines', () => lines(kaReader).length >= 3 && lines(vdReader).length >= 3, 15_000);
  await sleep(2500);
  ka1 = await listen(8081);
  vd1 = await listen(8082);
  await until('UP lines', () => lines(kaReader).length >= 5 && lines(vdReader).length >= 5, 15_000);
  await sleep(2500);
  ka1.close();
  vd1.close();
  writeFileSync(
    join(share, 'results.json'),
    JSON.stringify({
      keepalived: lines(kaReader).map(generic),
      vrrpd: lines(vdReader).map(generic),
      problems,
      logs: problems.length ? { keepalived: kaLog.slice(-3000), vrrpd: vdLog.slice(-3000) } : {},
    }),
  );
}

try {
  await main();
} catch (e) {
  problems.push(String((e as Error).stack ?? e));
  writeFileSync(join(share, 'results.json'), JSON.stringify({ keepalived: [], vrrpd: [], problems }));
} finally {
  for (const c of children.reverse()) if (c.exitCode === null && c.pid !== undefined) c.kill('SIGTERM');
  await sleep(500);
  try {
    execFileSync('ipvsadm', ['-C']);
  } catch {
    // nothing to clear
  }
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
