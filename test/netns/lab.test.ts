// `vrrpd lab` end to end: the built CLI runs the whole demo as a child process; it must exit
// 0 within 60 s, say who was elected and how long the failover took, and leave no
// `vlab<pid>-` namespace behind (also when interrupted with Ctrl-C under --keep). It needs
// nothing but `ip` and node: run once more with PATH holding only those two. Without `ip`
// it refuses at once, naming it, before creating anything.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { directorYaml } from '../../src/lab/config.js';
import { findOnPath } from '../../src/lab/prereq.js';
import { parseSteps } from '../../src/lab/run.js';
import { missing } from '../helpers/env.js';
import { createTopology, listNamespaces } from '../helpers/netns.js';

const skip = missing({ root: true, commands: ['ip'] });
const mainJs = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

interface Run {
  child: ChildProcess;
  out: () => string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

const children = new Set<ChildProcess>();

function runLab(args: string[], env: NodeJS.ProcessEnv = process.env): Run {
  const t0 = performance.now();
  const child = spawn(process.execPath, [mainJs, 'lab', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(child);
  let text = '';
  child.stdout?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, ms: performance.now() - t0 });
    }),
  );
  return { child, out: () => text, done };
}

async function waitForText(run: Run, re: RegExp, timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  while (!re.test(run.out())) {
    if (performance.now() - t0 > timeoutMs || run.child.exitCode !== null)
      throw new Error(`no ${re} in the lab's output:\n${run.out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Checks the output of a run of every scene: each scene happened, with its measurements. */
function expectEveryScene(out: string): void {
  expect(out).toMatch(/d1 is MASTER and d2 is BACKUP/);
  expect(out).toMatch(/The client reaches 192\.0\.2\.50 and 2001:db8::50 at /);
  expect(out).toMatch(/INSTANCE\s+IFACE\s+VRID/); // the status table of the master
  // failover after SIGKILL: d2 takes over within Master_Down_Interval (+ generous slack)
  const failover = /Scene 2[^\n]*\n(?:[^\n]*\n)*?[^\n]*d2 became MASTER (\d+\.\d+) s after that/.exec(out);
  expect(failover, out).not.toBeNull();
  const s = Number(failover![1]);
  expect(s).toBeGreaterThan(0.2);
  expect(s).toBeLessThan(2);
  expect(out).toMatch(/client's ARP entry for 192\.0\.2\.50 moved to d2 .* after \d+\.\d+ s/);
  expect(out).toMatch(/neighbour entry for 2001:db8::50 moved after \d+\.\d+ s/);
  expect(out).toMatch(/d1 became MASTER/); // preemption
  // graceful handover: the backup takes over after the priority-0 advert
  expect(out).toMatch(/Scene 4[^\n]*priority-0 advert[^\n]*\n[^\n]*d2 became MASTER \d+\.\d+ s after that/);
  expect(out).toMatch(/d1 is MASTER and d2 BACKUP again/);
  expect(out).toMatch(/marked r2 DOWN after/);
  expect(out).toMatch(/marked r2 UP after/);
  // active-active: the announced VIP's route follows the pool, and a kill -9 takes it away
  expect(out).toMatch(/Scene 6[^\n]*announced VIPs/);
  expect(out).toMatch(/announced by d1 and d2 \(\d+\.\d+ s\)/);
  expect(out).toMatch(/withdrawn on d1 and d2 after \d+\.\d+ s/);
  expect(out).toMatch(/d2's route was gone \d+\.\d+ s after vrrpd died/);
  expect(out).toMatch(/Done\. Removing the lab\./);
}

describe.skipIf(skip)('vrrpd lab', () => {
  const binDir = mkdtempSync(join(tmpdir(), `vrrpd-lab-bin-${process.pid}-`));
  afterAll(async () => {
    rmSync(binDir, { recursive: true, force: true });
    // a failed test must not leave a lab running: stop it by the PID we started
    if (children.size === 0) return;
    for (const c of children) if (c.pid !== undefined) process.kill(c.pid, 'SIGINT');
    await new Promise((r) => setTimeout(r, 3000));
  });

  it('is built', () => {
    expect(existsSync(mainJs), `${mainJs} missing: run 'npm run build'`).toBe(true);
  });

  /** A directory for PATH holding only symlinks to the given programs. */
  function pathWith(name: string, programs: Record<string, string>): string {
    const dir = join(binDir, name);
    mkdirSync(dir);
    for (const [prog, target] of Object.entries(programs)) symlinkSync(target, join(dir, prog));
    return dir;
  }

  const ip = findOnPath('ip', process.env.PATH) ?? 'ip';
  it.each([
    ['the usual PATH', undefined],
    ['PATH holding only ip and node', () => pathWith('ip-and-node', { ip, node: process.execPath })],
  ])('runs every scene in under 60 s with %s, and removes its namespaces', async (label, path) => {
    const env = path ? { ...process.env, PATH: path() } : process.env;
    const run = runLab([], env);
    const { code, ms } = await run.done;
    const out = run.out();
    console.log(`${label} (${env.PATH}):\n${out}`);
    expect(code, out).toBe(0);
    expect(ms).toBeLessThan(60_000);
    expectEveryScene(out);
    expect(await listNamespaces(`vlab${run.child.pid}-`)).toEqual([]);
  });

  it('without ip on PATH: refuses at once naming ip (exit 2), creates nothing', async () => {
    const dir = pathWith('node-only', { node: process.execPath });
    const run = runLab([], { ...process.env, PATH: dir });
    const { code, ms } = await run.done;
    const out = run.out();
    expect(code, out).toBe(2);
    expect(out).toMatch(
      /^vrrpd lab: cannot run the lab: a prerequisite is missing \(nothing was created\)$/m,
    );
    expect(out).toMatch(/ip \(iproute2\) not found on PATH \([^)]*node-only\): install iproute2/);
    expect(out).not.toMatch(/Building the lab/);
    expect(ms).toBeLessThan(15_000);
    expect(await listNamespaces(`vlab${run.child.pid}-`)).toEqual([]);
  });

  it("topology sysctls are written inside the namespace only (the addon's writeInNetns)", async () => {
    const topo = await createTopology({ hosts: ['a'] });
    try {
      const key = 'net/ipv4/conf/all/arp_ignore';
      const outside = readFileSync(`/proc/sys/${key}`, 'utf8');
      const ownNs = readlinkSync('/proc/thread-self/ns/net');
      const inside = async () =>
        (
          await topo.exec('a', [
            process.execPath,
            '-e',
            `process.stdout.write(require('fs').readFileSync('/proc/sys/${key}', 'utf8'))`,
          ])
        ).stdout.trim();
      const dad = await topo.exec('a', [
        process.execPath,
        '-e',
        "process.stdout.write(require('fs').readFileSync('/proc/sys/net/ipv6/conf/eth0/accept_dad', 'utf8'))",
      ]);
      expect(dad.stdout.trim()).toBe('0'); // set by createTopology before eth0 came
      const want = outside.trim() === '1' ? 2 : 1;
      topo.sysctl('a', { 'net.ipv4.conf.all.arp_ignore': want });
      expect(await inside()).toBe(String(want));
      expect(readFileSync(`/proc/sys/${key}`, 'utf8')).toBe(outside);
      expect(readlinkSync('/proc/thread-self/ns/net')).toBe(ownNs);
      expect(() => topo.sysctl('a', { 'net.ipv4.conf.nosuchdev.arp_ignore': 1 })).toThrow(
        /in netns vt\S+a: setting net\.ipv4\.conf\.nosuchdev\.arp_ignore failed: .*ENOENT/,
      );
      expect(readlinkSync('/proc/thread-self/ns/net')).toBe(ownNs);
    } finally {
      await topo.cleanup();
    }
  });

  it('--keep runs until Ctrl-C, then removes everything', async () => {
    const run = runLab(['--keep', '--steps', 'election']);
    await waitForText(run, /Press Ctrl-C/, 40_000);
    expect((await listNamespaces(`vlab${run.child.pid}-`)).length).toBe(6);
    process.kill(run.child.pid!, 'SIGINT');
    const { code } = await run.done;
    expect(code).toBe(130);
    expect(await listNamespaces(`vlab${run.child.pid}-`)).toEqual([]);
  });

  it('an unknown scene is a usage error (exit 1) and creates nothing', async () => {
    const run = runLab(['--steps', 'election,nope']);
    const { code } = await run.done;
    expect(code).toBe(1);
    expect(run.out()).toMatch(/unknown scene 'nope'/);
    expect(await listNamespaces(`vlab${run.child.pid}-`)).toEqual([]);
  });
});

describe('vrrpd lab pieces (no root needed)', () => {
  it("the directors' config is valid and says what the demo claims", () => {
    const text = directorYaml({
      routerId: 'd1',
      priority: 150,
      controlSocket: '/tmp/x/d1.sock',
      realServers: [
        { name: 'r1', address: '192.0.2.13' },
        { name: 'r2', address: '192.0.2.14' },
      ],
    });
    const r = parseConfigText(text, 'd1.yaml');
    if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
    const inst = r.config.vrrpInstances[0]!;
    expect(inst).toMatchObject({ version: 3, advertIntervalMs: 100, priority: 150, preempt: true });
    expect(inst.virtualIps.map((v) => `${v.address}/${v.prefixLength}`)).toEqual([
      '192.0.2.50/24',
      '2001:db8::50/64',
    ]);
    const vs = r.config.virtualServers[0]!;
    expect(vs.realServers.map((rs) => rs.check?.type)).toEqual(['http', 'http']);
  });

  it('--steps: election always runs, order is fixed, unknown names are refused', () => {
    expect(parseSteps(undefined)).toEqual([
      'election',
      'failover',
      'preempt',
      'handover',
      'health',
      'announce',
    ]);
    expect(parseSteps('health,failover')).toEqual(['election', 'failover', 'health']);
    expect(() => parseSteps('failover,nope')).toThrow(/unknown scene 'nope'/);
  });
});
