// Runs work against a real IPVS kernel: directly in a fresh network namespace when the
// host kernel has IPVS, otherwise inside a user-mode-linux guest (Debian's linux.uml,
// kernel 6.1 with IPVS as modules) that boots in ~2 s as an ordinary process.
//
// The guest sees the host's / read-only (hostfs), so it runs the host's node, this
// repository and its node_modules as they are. One exchange directory per run is
// mounted read-write at the same path inside; the job writes its results there.
// Reuse: `runNodeJob('test/vm/cases/foo.ts', args)` runs one TypeScript file (via tsx)
// with the repo as cwd, in the guest or on the host, and returns its output and the
// exchange directory's files.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasCommand, inCI } from '../helpers/env.js';

// Found by walking up to package.json, so this works from test/vm/ (tsx) and from
// dist/test/vm/ (compiled into a bench) alike; the shell and C helpers stay in test/vm/.
function findRepo(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return resolve(from, '../..');
    dir = up;
  }
  return dir;
}
export const REPO = findRepo(dirname(fileURLToPath(import.meta.url)));
const HERE = join(REPO, 'test', 'vm');

/** Modules most IPVS jobs need; schedulers beyond these are loaded on demand by name. */
export const DEFAULT_MODULES = ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack', 'veth'];

export interface JobOptions {
  /** kernel modules to load first (guest: modprobe -d from /usr/lib/uml/modules) */
  modules?: string[];
  /** extra environment for the job */
  env?: Record<string, string>;
  /** whole-run limit, seconds (guest boot included) */
  timeoutS?: number;
  /** guest memory, MiB */
  memMb?: number;
  /** host directories the job writes to (mounted read-write in the guest) */
  rw?: string[];
  /** force where the job runs; default: host when it has IPVS, else guest */
  where?: 'host' | 'guest';
  /** keep the exchange directory for a post-mortem */
  keep?: boolean;
}

export interface JobResult {
  where: 'host' | 'guest';
  rc: number;
  stdout: string;
  stderr: string;
  /** guest kernel console and init errors (empty on the host) */
  console: string;
  durationMs: number;
  /** the exchange directory (removed after return unless keep) */
  share: string;
  /** files the job wrote into the exchange directory, read before removal */
  files: Record<string, string>;
}

// Paths the guest covers with tmpfs: a host directory below one of them is invisible
// inside unless mounted explicitly.
const GUEST_TMPFS = ['/tmp', '/run', '/var/tmp', '/var/log', '/root'];
const under = (p: string, dir: string) => p === dir || p.startsWith(`${dir}/`);

let hostIpvsCache: boolean | undefined;
/** True when the host kernel has IPVS (after trying to load it). */
export function hostHasIpvs(): boolean {
  if (hostIpvsCache !== undefined) return hostIpvsCache;
  if (process.env.VRRPD_VM === 'guest') {
    hostIpvsCache = false;
    return false;
  }
  try {
    execFileSync('modprobe', ['-q', 'ip_vs'], { stdio: 'ignore' });
  } catch {
    // no module: the check below decides
  }
  hostIpvsCache = existsSync('/proc/net/ip_vs');
  return hostIpvsCache;
}

/**
 * Why real-IPVS tests cannot run here, or null. Locally the caller skips; in CI this
 * throws (the suite must fail, not skip, when the guest is missing).
 */
export function ipvsMissing(): string | null {
  const reasons: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) reasons.push('needs root');
  if (!hostHasIpvs()) {
    for (const c of ['linux.uml', 'gcc'])
      if (!hasCommand(c)) reasons.push(`needs '${c}' (host kernel has no IPVS)`);
    if (!existsSync('/usr/lib/uml/modules'))
      reasons.push('needs /usr/lib/uml/modules (package user-mode-linux)');
  }
  for (const c of ['ipvsadm', 'ip']) if (!hasCommand(c)) reasons.push(`needs '${c}'`);
  if (reasons.length === 0) return null;
  const why = reasons.join(', ');
  if (inCI) throw new Error(`real-IPVS test prerequisite missing in CI: ${why}`);
  console.warn(`skipping real-IPVS tests: ${why}`);
  return why;
}

/** Builds the LD_PRELOAD helper once per machine (see xsave-pad.c for why). */
function xsavePad(): string | null {
  if (process.arch !== 'x64') return null;
  const src = join(HERE, 'xsave-pad.c');
  const out = join(tmpdir(), `vrrpd-xsave-pad.${process.getuid?.() ?? 0}.so`);
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
    execFileSync('gcc', ['-O2', '-shared', '-fPIC', '-o', out, src, '-ldl'], { stdio: 'pipe' });
  }
  return out;
}

function readIf(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

function collectFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of execFileSync('ls', ['-A', dir], { encoding: 'utf8' }).split('\n')) {
    if (name && !name.startsWith('.') && statSync(join(dir, name)).isFile())
      files[name] = readIf(join(dir, name));
  }
  return files;
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs a shell script (text) against real IPVS: host netns or guest. */
export async function runJob(script: string, opts: JobOptions = {}): Promise<JobResult> {
  const where = opts.where ?? (hostHasIpvs() ? 'host' : 'guest');
  const share = mkdtempSync(join(tmpdir(), 'vrrpd-vm-'));
  const env = { VM_SHARE: share, ...opts.env };
  const exports = Object.entries(env)
    .map(([k, v]) => `export ${k}=${shq(v)}`)
    .join('\n');
  writeFileSync(join(share, 'job.sh'), `${exports}\ncd ${shq(REPO)}\n${script}\n`);
  const started = performance.now();
  const timeoutMs = (opts.timeoutS ?? 300) * 1000;
  try {
    if (where === 'host') return await runOnHost(share, opts, timeoutMs, started);
    return await runInGuest(share, opts, timeoutMs, started);
  } finally {
    if (!opts.keep) rmSync(share, { recursive: true, force: true });
  }
}

/** Newest modification time of the .ts files below `dir`. */
function newestTs(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestTs(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Builds dist/ when it is missing or older than any file of src/: jobs that run the built
 * daemon (`node dist/src/cli/main.js run`) must not run a stale one (`npm test` builds anyway).
 */
export function ensureBuilt(): void {
  const main = join(REPO, 'dist', 'src', 'cli', 'main.js');
  const daemon = join(REPO, 'dist', 'src', 'daemon.js');
  // the bundle (the package's bin, dist/bundle/main.js) is written by the same build
  const bundle = join(REPO, 'dist', 'bundle', 'main.js');
  const newest = newestTs(join(REPO, 'src'));
  if (
    existsSync(main) &&
    existsSync(daemon) &&
    statSync(daemon).mtimeMs >= newest &&
    existsSync(bundle) &&
    statSync(bundle).mtimeMs >= newest
  )
    return;
  execFileSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'pipe', timeout: 300_000 });
}

/** Runs `node --import tsx <file> ...args` with the repo as cwd; see runJob. */
export function runNodeJob(file: string, args: string[] = [], opts: JobOptions = {}): Promise<JobResult> {
  const argv = ['node', '--import', 'tsx', file, ...args].map(shq).join(' ');
  return runJob(`exec ${argv}`, opts);
}

function spawnCollect(
  cmd: string,
  args: string[],
  timeoutMs: number,
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((done, fail) => {
    // own process group, so that a timeout stops everything this run started
    const child = spawn(cmd, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...extraEnv },
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, timedOut });
    });
  });
}

async function runOnHost(
  share: string,
  opts: JobOptions,
  timeoutMs: number,
  started: number,
): Promise<JobResult> {
  // A fresh network namespace: the host's own IPVS table and links stay untouched.
  const mods = opts.modules ?? DEFAULT_MODULES;
  for (const m of mods) {
    try {
      execFileSync('modprobe', ['-q', m], { stdio: 'ignore' });
    } catch {
      // reported by the job when it needs the module
    }
  }
  const r = await spawnCollect(
    'unshare',
    ['--net', '--', 'sh', '-c', `ip link set lo up && exec sh ${shq(join(share, 'job.sh'))}`],
    timeoutMs,
  );
  return {
    where: 'host',
    rc: r.timedOut ? 124 : (r.code ?? 125),
    stdout: r.stdout,
    stderr: r.timedOut ? `${r.stderr}\njob timed out after ${timeoutMs} ms` : r.stderr,
    console: '',
    durationMs: performance.now() - started,
    share,
    files: collectFiles(share),
  };
}

async function runInGuest(
  share: string,
  opts: JobOptions,
  timeoutMs: number,
  started: number,
): Promise<JobResult> {
  const rw = [...(opts.rw ?? [])];
  const ro: string[] = [];
  if (GUEST_TMPFS.some((d) => under(REPO, d))) ro.push(REPO);
  const mods = opts.modules ?? DEFAULT_MODULES;
  writeFileSync(
    join(share, 'setup.env'),
    `VM_MODULES=${shq(mods.join(' '))}\nVM_RW=${shq(rw.join(' '))}\nVM_RO=${shq(ro.join(' '))}\n`,
  );
  const pad = xsavePad();
  const umid = `vrrpd${process.pid}${Math.floor(Math.random() * 1e6)}`;
  const r = await spawnCollect(
    'linux.uml',
    [
      `mem=${opts.memMb ?? 768}M`,
      `umid=${umid}`,
      `uml_dir=${join(share, '.uml')}`,
      'rootfstype=hostfs',
      'rootflags=/',
      'ro',
      `init=${join(HERE, 'guest-init.sh')}`,
      `vmshare=${share}`,
      'con=null',
      'con0=null,fd:2',
      'quiet',
    ],
    timeoutMs,
    pad ? { LD_PRELOAD: pad, TMPDIR: '/dev/shm' } : { TMPDIR: '/dev/shm' },
  );
  const rcText = readIf(join(share, 'job.rc')).trim();
  const console = `${readIf(join(share, 'init.err'))}${r.stdout}${r.stderr}`;
  let rc = rcText === '' ? 125 : Number(rcText);
  let stderr = readIf(join(share, 'job.err'));
  if (r.timedOut) {
    rc = 124;
    stderr += `\nguest timed out after ${timeoutMs} ms`;
  } else if (rcText === '') {
    stderr += `\nguest produced no exit status (linux.uml exit ${r.code}); console:\n${console.slice(-4000)}`;
  }
  return {
    where: 'guest',
    rc,
    stdout: readIf(join(share, 'job.out')),
    stderr,
    console,
    durationMs: performance.now() - started,
    share,
    files: collectFiles(share),
  };
}
