// Runs INSIDE the real-IPVS environment (guest, or a fresh host netns), started by
// test/vm/ownership.test.ts: the built `vrrpd run` against the kernel's IPVS table and
// the ownership record in global.state_file (OWNERSHIP.md rule 4). No VRRP instance:
// only virtual servers, in the job's own network namespace. Phases:
//   first     vrrpd with A (tcp 192.0.2.50:80) and B (tcp 192.0.2.50:8080), C made by
//             hand with ipvsadm: A and B in the kernel, the record lists A and B
//   restart   SIGTERM, the config rewritten without B, vrrpd started again: B deleted
//             (one warn line), A untouched (no op at all on it), C untouched, record [A]
//   corrupt   SIGTERM, B made again by hand, the record damaged, vrrpd started: nothing
//             deleted, one warning, the daemon runs and writes a fresh record
//   empty     SIGTERM, the config rewritten with no virtual server at all, vrrpd started:
//             A (in the record) deleted, C untouched, the record empty
// Writes $VM_SHARE/results.json ({phase: {problems, info}}); the host asserts.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from '../../../src/control/client.js';
import { isSnapshot, type Snapshot } from '../../../src/control/snapshot.js';
import { REPO } from '../guest.js';

type Phase = { problems: string[]; info: Record<string, unknown> };
const results: Record<string, Phase> = {};
const share = process.env.VM_SHARE ?? '.';
const dir = mkdtempSync(join(tmpdir(), 'vrrpd-own-'));
const MAIN_JS = join(REPO, 'dist', 'src', 'cli', 'main.js');
const SOCKET = join(dir, 'vrrpd.sock');
const CONFIG = join(dir, 'vrrpd.yaml');
const STATE = join(dir, 'ipvs-owned.json');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ipvsadm(...args: string[]): string {
  return execFileSync('ipvsadm', args, { encoding: 'utf8' });
}
/** `ipvsadm -Sn` lines of one service (its -A line and its -a lines), in order. */
function lines(save: string, svc: string): string[] {
  return save.split('\n').filter((l) => l.includes(` ${svc} `) || l.endsWith(` ${svc}`));
}

function writeConfig(withB: boolean, withA = true): void {
  const vs = (port: number, reals: string[]) =>
    `  - {address: 192.0.2.50, port: ${port}, protocol: tcp, scheduler: rr, forwarding: nat, real_servers: [${reals
      .map((a) => `{address: ${a}, port: ${port}}`)
      .join(', ')}]}`;
  writeFileSync(
    CONFIG,
    [
      'global:',
      `  control_socket: ${SOCKET}`,
      `  state_file: ${STATE}`,
      '  log_level: info',
      ...(withA || withB ? ['virtual_servers:'] : []),
      ...(withA ? [vs(80, ['198.51.100.2', '198.51.100.3'])] : []),
      ...(withB ? [vs(8080, ['198.51.100.2'])] : []),
      '',
    ].join('\n'),
  );
}

let daemon: ChildProcess | null = null;
let logFile = '';

async function status(): Promise<Snapshot | null> {
  try {
    const s = await request(SOCKET, 'status', {}, 3000);
    return isSnapshot(s) ? s : null;
  } catch {
    return null;
  }
}

/** Starts vrrpd and waits for its first IPVS pass (status.ipvs.lastReconcileAt). */
async function start(logName: string, waitForPass = true): Promise<Snapshot> {
  logFile = join(share, logName);
  const fd = openSync(logFile, 'a');
  try {
    daemon = spawn(process.execPath, [MAIN_JS, 'run', '-c', CONFIG], { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  let exited: string | null = null;
  daemon.once('exit', (code, sig) => {
    exited = String(code ?? sig);
  });
  const t0 = Date.now();
  while (Date.now() - t0 < 30_000) {
    if (exited !== null)
      throw new Error(`vrrpd exited (${exited}) at startup: ${readFileSync(logFile, 'utf8')}`);
    const s = await status();
    // (with no virtual server configured, status has no IPVS section to wait for)
    if (s && (!waitForPass || s.ipvs?.lastReconcileAt)) return s;
    await sleep(50);
  }
  throw new Error(`vrrpd made no IPVS pass within 30 s: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
}

/** SIGTERM to the daemon we started (by PID); waits for its exit. */
async function stop(): Promise<void> {
  const c = daemon;
  daemon = null;
  if (!c?.pid || c.exitCode !== null || c.signalCode !== null) return;
  const done = new Promise<void>((r) => c.once('exit', () => r()));
  process.kill(c.pid, 'SIGTERM');
  await Promise.race([done, sleep(15_000)]);
  if (c.exitCode === null && c.signalCode === null) {
    process.kill(c.pid, 'SIGKILL');
    await done;
  }
}

function logLines(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const l of readFileSync(logFile, 'utf8').split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      out.push(JSON.parse(l) as Record<string, unknown>);
    } catch {}
  }
  return out;
}

function record(): unknown {
  return JSON.parse(readFileSync(STATE, 'utf8'));
}

async function phase(name: string, fn: (r: Phase) => Promise<void>): Promise<void> {
  const r: Phase = { problems: [], info: {} };
  results[name] = r;
  try {
    await fn(r);
  } catch (e) {
    r.problems.push(`threw: ${(e as Error).stack ?? e}`);
  }
  console.log(`${r.problems.length ? 'FAIL' : 'ok'} ${name}`);
}

async function main(): Promise<void> {
  // C: made by hand, never in any config or record
  ipvsadm('-A', '-t', '203.0.113.9:80', '-s', 'rr');
  ipvsadm('-a', '-t', '203.0.113.9:80', '-r', '198.51.100.9:80', '-m', '-w', '3');

  await phase('first', async (r) => {
    writeConfig(true);
    await start('first.log');
    const save = ipvsadm('-Sn');
    r.info.save = save.trim().split('\n');
    if (lines(save, '192.0.2.50:80').length !== 3) r.problems.push(`A not as configured:\n${save}`);
    if (lines(save, '192.0.2.50:8080').length !== 2) r.problems.push(`B not as configured:\n${save}`);
    r.info.record = record();
  });

  await phase('restart', async (r) => {
    await stop();
    const before = ipvsadm('-Sn');
    if (lines(before, '192.0.2.50:8080').length !== 2)
      r.problems.push(`B gone at SIGTERM (vrrpd must not flush):\n${before}`);
    writeConfig(false);
    const s = await start('restart.log');
    await sleep(500);
    const after = ipvsadm('-Sn');
    r.info.after = after.trim().split('\n');
    r.info.firstPassOps = s.ipvs?.lastReconcileOps;
    r.info.bGone = lines(after, '192.0.2.50:8080').length === 0;
    r.info.aSame =
      JSON.stringify(lines(after, '192.0.2.50:80')) === JSON.stringify(lines(before, '192.0.2.50:80'));
    r.info.cSame =
      JSON.stringify(lines(after, '203.0.113.9:80')) === JSON.stringify(lines(before, '203.0.113.9:80'));
    r.info.changes = logLines()
      .filter((l) => l.event === 'ipvs-change')
      .map((l) => l.msg);
    r.info.staleRemoved = logLines()
      .filter((l) => l.event === 'ipvs-stale-service-removed')
      .map((l) => ({ level: l.level, service: l.service, msg: l.msg }));
    r.info.record = record();
    r.info.running = (await status()) !== null;
  });

  await phase('corrupt', async (r) => {
    await stop();
    ipvsadm('-A', '-t', '192.0.2.50:8080', '-s', 'rr'); // B again, as if left over
    writeFileSync(STATE, '{"version": 1, "services": ["tcp:192.0.2.50:8080", ');
    const before = ipvsadm('-Sn');
    await start('corrupt.log');
    await sleep(500);
    const after = ipvsadm('-Sn');
    r.info.unchanged = after === before;
    if (after !== before) r.problems.push(`the table changed:\n${before}---\n${after}`);
    r.info.warnings = logLines()
      .filter((l) => l.event === 'ipvs-ownership-record')
      .map((l) => ({ level: l.level, code: l.code }));
    r.info.running = (await status()) !== null;
    r.info.record = record(); // rewritten from the config: the next start is clean again
  });

  await phase('empty', async (r) => {
    await stop();
    ipvsadm('-D', '-t', '192.0.2.50:8080'); // B of the corrupt phase: never in a record
    const before = ipvsadm('-Sn');
    writeConfig(false, false);
    // No virtual server left: the LVS side starts only because the record lists A.
    await start('empty.log', false);
    const end = Date.now() + 10_000;
    while (lines(ipvsadm('-Sn'), '192.0.2.50:80').length > 0 && Date.now() < end) await sleep(100);
    const after = ipvsadm('-Sn');
    r.info.aGone = lines(after, '192.0.2.50:80').length === 0;
    r.info.cSame =
      JSON.stringify(lines(after, '203.0.113.9:80')) === JSON.stringify(lines(before, '203.0.113.9:80'));
    r.info.staleRemoved = logLines()
      .filter((l) => l.event === 'ipvs-stale-service-removed')
      .map((l) => l.service);
    await sleep(300);
    r.info.record = record();
  });
}

try {
  await main();
} catch (e) {
  results.main = { problems: [`threw: ${(e as Error).stack ?? e}`], info: {} };
} finally {
  const cleanup: Phase = { problems: [], info: {} };
  try {
    await stop();
  } catch (e) {
    cleanup.problems.push(`stopping vrrpd: ${(e as Error).message}`);
  }
  for (const svc of ['192.0.2.50:80', '192.0.2.50:8080', '203.0.113.9:80']) {
    try {
      ipvsadm('-D', '-t', svc);
    } catch {
      // not there (already deleted by the case)
    }
  }
  rmSync(dir, { recursive: true, force: true });
  results.cleanup = cleanup;
  writeFileSync(join(share, 'results.json'), JSON.stringify(results, null, 1));
}
process.exit(0);
