// Runs INSIDE the real-IPVS environment (guest or a fresh host netns), started by
// test/vm/migration-diff.test.ts: keepalived (Debian's /usr/sbin/keepalived, LVS only) on
// test/fixtures/keepalived/38-lvs-migration-diff.conf, then vrrpd on `vrrpd import-keepalived`
// of the same file, one after the other on the same topology (real servers in a namespace
// behind a veth). Each runs until its table is steady; the tables (ipvsadm-save -n, sorted)
// and vrrpd's `ipvsadm -Ln --tun-info` go to $VM_SHARE/results.json; the host asserts.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../guest.js';

const share = process.env.VM_SHARE ?? tmpdir();
const FIXTURE = join(REPO, 'test/fixtures/keepalived/38-lvs-migration-diff.conf');
const MAIN_JS = join(REPO, 'dist/src/cli/main.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sh = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });

// 198.51.100.2 healthy; .3 answers 503 on /ready; .4 has nothing on 8443 (TCP_CHECK fails)
const SERVER = `
const http = require('node:http');
for (const [a, ready] of [['198.51.100.2', true], ['198.51.100.3', false], ['198.51.100.4', true]])
  http.createServer((q, s) => { s.statusCode = q.url === '/ready' && !ready ? 503 : 200; s.end('ok'); })
    .listen(80, a);
console.log('ready');
`;

interface Result {
  problems: string[];
  keepalived?: string[];
  vrrpd?: string[];
  vrrpdTunInfo?: string;
  keepalivedMs?: number;
  vrrpdMs?: number;
  /** the hook files each left behind at its shutdown (omega) */
  keepalivedHooks?: string[];
  vrrpdHooks?: string[];
}

const save = (): string[] =>
  sh(['ipvsadm-save', '-n'])
    .split('\n')
    .filter((l) => l.trim() !== '')
    .sort();

/** Waits until the table holds `minLines` lines and stays the same for `steadyMs`. */
async function steady(
  minLines: number,
  steadyMs: number,
  limitMs: number,
): Promise<{ t: string[]; ms: number }> {
  const t0 = Date.now();
  let last = save();
  let since = Date.now();
  while (Date.now() - t0 < limitMs) {
    await sleep(250);
    const now = save();
    if (now.join('\n') !== last.join('\n')) {
      last = now;
      since = Date.now();
    } else if (now.length >= minLines && Date.now() - since >= steadyMs) {
      return { t: now, ms: Date.now() - t0 };
    }
  }
  throw new Error(`the table did not settle in ${limitMs} ms:\n${last.join('\n')}`);
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function main(): Promise<void> {
  const r: Result = { problems: [] };
  const ns = `mig${process.pid % 100000}`;
  const dir = mkdtempSync(join(tmpdir(), `${ns}-`));
  const children: ChildProcess[] = [];
  const hooks = join(dir, 'hooks');
  mkdirSync(hooks);
  const CONF = join(dir, 'keepalived.conf');
  writeFileSync(CONF, readFileSync(FIXTURE, 'utf8').replaceAll('/tmp/vrrpd-migration-hooks', hooks));
  const hookFiles = (): string[] => {
    const f = readdirSync(hooks).sort();
    for (const x of f) rmSync(join(hooks, x));
    return f;
  };
  try {
    sh(['ip', 'netns', 'add', ns]);
    sh(['ip', 'link', 'add', `${ns}a`, 'type', 'veth', 'peer', 'name', `${ns}b`]);
    sh(['ip', 'link', 'set', `${ns}b`, 'netns', ns]);
    sh(['ip', 'addr', 'add', '198.51.100.1/24', 'dev', `${ns}a`]);
    sh(['ip', 'link', 'set', `${ns}a`, 'up']);
    for (const a of ['198.51.100.2', '198.51.100.3', '198.51.100.4'])
      sh(['ip', '-n', ns, 'addr', 'add', `${a}/24`, 'dev', `${ns}b`]);
    sh(['ip', '-n', ns, 'link', 'set', `${ns}b`, 'up']);
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    const srv = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER], { stdio: 'pipe' });
    children.push(srv);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the real servers did not start')), 20_000);
      srv.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    sh(['ipvsadm', '-C']);

    // 6 services; 2 + 2 + 2 + 2 (group: one healthy real server each) + 2 + 2 dests
    const LINES = 6 + 4 + 2 + 2;
    const ka = spawn(
      'keepalived',
      ['-n', '-l', '-D', '--check', '-f', CONF, '-p', join(dir, 'ka.pid'), '-c', join(dir, 'ka-check.pid')],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(ka);
    let kaLog = '';
    ka.stdout.on('data', (d: Buffer) => (kaLog += d.toString()));
    ka.stderr.on('data', (d: Buffer) => (kaLog += d.toString()));
    try {
      const k = await steady(LINES, 4000, 60_000);
      r.keepalived = k.t;
      r.keepalivedMs = k.ms;
    } catch (e) {
      r.problems.push(`keepalived: ${(e as Error).message}`);
    }
    // keepalived's omega hooks at shutdown: done before it exits
    hookFiles();
    await stop(ka);
    r.keepalivedHooks = hookFiles();
    writeFileSync(join(share, 'keepalived.log'), kaLog);
    sh(['ipvsadm', '-C']);

    const yaml = sh([process.execPath, MAIN_JS, 'import-keepalived', CONF]);
    const file = join(dir, 'vrrpd.yaml');
    // the socket and the record of owned services go to this run's directory
    const own = `  control_socket: ${join(dir, 'vrrpd.sock')}\n  state_file: ${join(dir, 'owned.json')}\n`;
    writeFileSync(
      file,
      /^global:\n/m.test(yaml) ? yaml.replace(/^global:\n/m, `global:\n${own}`) : `global:\n${own}${yaml}`,
    );
    writeFileSync(join(share, 'vrrpd.yaml'), yaml);
    const vd = spawn(process.execPath, [MAIN_JS, 'run', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(vd);
    let vdLog = '';
    vd.stdout.on('data', (d: Buffer) => (vdLog += d.toString()));
    vd.stderr.on('data', (d: Buffer) => (vdLog += d.toString()));
    try {
      const v = await steady(LINES, 4000, 60_000);
      r.vrrpd = v.t;
      r.vrrpdMs = v.ms;
      r.vrrpdTunInfo = sh(['ipvsadm', '-Ln', '--tun-info']);
    } catch (e) {
      r.problems.push(`vrrpd: ${(e as Error).message}`);
    }
    hookFiles();
    await stop(vd);
    r.vrrpdHooks = hookFiles();
    writeFileSync(join(share, 'vrrpd.log'), vdLog);
  } catch (e) {
    r.problems.push(`threw: ${(e as Error).stack ?? e}`);
  } finally {
    for (const c of children) await stop(c);
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      execFileSync('ip', ['link', 'del', `${ns}a`], { stdio: 'ignore' });
    } catch {
      // gone with the namespace
    }
    rmSync(dir, { recursive: true, force: true });
  }
  writeFileSync(join(share, 'results.json'), JSON.stringify(r, null, 1));
  console.log(JSON.stringify(r, null, 1));
}

await main();
process.exit(0);
