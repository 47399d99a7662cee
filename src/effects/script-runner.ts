// Runs check and notify scripts: argv without a shell, in their own process group, as the
// script user, killed with the whole group at the timeout, always reaped. Never throws and
// never takes the daemon down: every failure becomes a ScriptResult an operator can read.

import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import type { ScriptResult, ScriptRunner } from './types.js';

export interface ScriptRunnerOptions {
  /** stdout+stderr bytes kept per run (the rest is read and dropped); default 4 KiB */
  maxOutputBytes?: number;
  /** SIGTERM to SIGKILL delay at the timeout; default 500 ms */
  killGraceMs?: number;
  /** PATH for bare command names and the script's environment */
  path?: string;
  /** refuse scripts an unprivileged user could modify (checkScriptSecurity); default true */
  enforceSecurity?: boolean;
  /** /etc/passwd location (tests) */
  passwdFile?: string;
  /** /etc/group location (tests) */
  groupFile?: string;
}

/** Optional fields the runner adds to ScriptResult. */
export interface ScriptResultDetail extends ScriptResult {
  /** pid of the process group leader, when one was started */
  pid?: number;
  /** output was longer than the limit */
  truncated?: boolean;
}

export type RunOptions = Parameters<ScriptRunner['run']>[1];

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** Looks a user up in /etc/passwd (no NSS: the daemon's script user is a local system user). */
export function lookupUser(name: string, passwdFile = '/etc/passwd'): PasswdEntry | undefined {
  let text: string;
  try {
    text = readFileSync(passwdFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] !== name || f.length < 7) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) return undefined;
    return { name, uid, gid, home: f[5] ?? '/' };
  }
  return undefined;
}

/** A group's gid from /etc/group (a name, or a number as keepalived also takes). */
export function lookupGroup(name: string, groupFile = '/etc/group'): number | undefined {
  let text: string;
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] !== name || f.length < 3) continue;
    const gid = Number(f[2]);
    return Number.isInteger(gid) ? gid : undefined;
  }
  return /^\d+$/.test(name) ? Number(name) : undefined;
}

export type SecurityVerdict =
  | { ok: true; path: string }
  | { ok: false; code: 'SCRIPT_INSECURE' | 'SCRIPT_NOT_FOUND'; message: string };

function modeText(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

/**
 * Refuses a script that someone other than root or the script user could change: the file
 * must be owned by one of them and not group/other-writable (group-writable is allowed for
 * group root), and so must every directory on the way to it, except sticky directories
 * such as /tmp where others cannot replace entries they do not own. Checked for the path
 * as given and for its resolved target (a symlink in a safe place may point anywhere).
 * Why: a check script runs as root by default; a writable one is a root shell for whoever
 * can write it (the keepalived "script_security" lesson).
 */
export function checkScriptSecurity(
  command: string,
  opts: { scriptUid?: number; path?: string } = {},
): SecurityVerdict {
  const found = resolveCommand(command, opts.path ?? DEFAULT_PATH);
  if (!found) return { ok: false, code: 'SCRIPT_NOT_FOUND', message: `script not found: ${command}` };
  const trusted = (uid: number) => uid === 0 || uid === opts.scriptUid;
  let real: string;
  try {
    real = realpathSync(found);
  } catch {
    return { ok: false, code: 'SCRIPT_NOT_FOUND', message: `script not found: ${found}` };
  }
  const problems: string[] = [];
  const inspect = (p: string, isDir: boolean) => {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      problems.push(`${p} cannot be inspected`);
      return;
    }
    const mode = st.mode;
    const sticky = isDir && (mode & 0o1000) !== 0;
    const what = isDir ? 'directory' : 'file';
    const who = `owner uid ${st.uid}, group gid ${st.gid}, mode ${modeText(mode)}`;
    if (!trusted(st.uid))
      problems.push(`${what} ${p} is owned by a user other than root or the script user (${who})`);
    else if (mode & 0o002 && !sticky) problems.push(`${what} ${p} is writable by everyone (${who})`);
    else if (mode & 0o020 && st.gid !== 0 && !sticky)
      problems.push(`${what} ${p} is writable by group ${st.gid} (${who})`);
  };
  const chain = (p: string) => {
    inspect(p, false);
    for (let d = dirname(p); ; d = dirname(d)) {
      inspect(d, true);
      if (d === dirname(d)) break;
    }
  };
  chain(real);
  if (real !== found) chain(found);
  if (problems.length > 0) {
    return {
      ok: false,
      code: 'SCRIPT_INSECURE',
      message: `refusing to run ${found}: ${[...new Set(problems)].join('; ')}`,
    };
  }
  return { ok: true, path: found };
}

function resolveCommand(command: string, searchPath: string): string | undefined {
  if (command.includes('/')) {
    const p = resolve(command);
    try {
      return statSync(p).isFile() ? p : undefined;
    } catch {
      return undefined;
    }
  }
  for (const dir of searchPath.split(delimiter)) {
    if (!isAbsolute(dir)) continue;
    const p = join(dir, command);
    try {
      if (statSync(p).isFile()) {
        accessSync(p, constants.X_OK);
        return p;
      }
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p)) ?? null;
let ambientCache: boolean | null = null;

/** True when this process has ambient capabilities (as under systemd's AmbientCapabilities=). */
export function ambientCapsPresent(): boolean {
  if (ambientCache !== null) return ambientCache;
  try {
    const m = /^CapAmb:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    ambientCache = !!m?.[1] && BigInt(`0x${m[1]}`) !== 0n;
  } catch {
    ambientCache = false;
  }
  return ambientCache;
}

/** The real runner; its results carry the optional pid/truncated details. */
export interface ProcessScriptRunner extends ScriptRunner {
  run(argv: readonly string[], o: RunOptions): Promise<ScriptResultDetail>;
}

export function createScriptRunner(opts: ScriptRunnerOptions = {}): ProcessScriptRunner {
  const maxOutput = opts.maxOutputBytes ?? 4096;
  const grace = opts.killGraceMs ?? 500;
  const searchPath = opts.path ?? DEFAULT_PATH;
  const enforce = opts.enforceSecurity ?? true;

  function refused(errorCode: string, output: string, code: number | null = null): ScriptResultDetail {
    return { code, signal: null, timedOut: false, output, durationMs: 0, errorCode };
  }

  return {
    async run(argv, o) {
      const cmd = argv[0];
      if (!cmd) return refused('SCRIPT_NOT_FOUND', 'empty command', 127);
      let uid: number | undefined;
      let gid: number | undefined;
      let home = '/';
      if (o.user !== undefined) {
        const u = lookupUser(o.user, opts.passwdFile);
        if (!u) return refused('SCRIPT_USER_UNKNOWN', `script user '${o.user}' not found in /etc/passwd`);
        ({ uid, gid, home } = u);
      }
      if (o.group !== undefined) {
        const g = lookupGroup(o.group, opts.groupFile);
        if (g === undefined)
          return refused('SCRIPT_GROUP_UNKNOWN', `script group '${o.group}' not found in /etc/group`);
        gid = g;
        uid ??= process.getuid?.();
      }
      let file = cmd;
      if (enforce) {
        const v = checkScriptSecurity(cmd, { scriptUid: uid, path: searchPath });
        if (!v.ok) return refused(v.code, v.message, v.code === 'SCRIPT_NOT_FOUND' ? 127 : null);
        file = v.path;
      }
      // Switching to our own uid is no switch, and under the shipped systemd unit the
      // setuid() call itself is denied (EPERM): leave it out.
      if (uid === process.getuid?.() && gid === process.getgid?.()) {
        uid = undefined;
        gid = undefined;
      }
      return spawnAndWait(file, argv, o, { uid, gid, home });
    },
  };

  function spawnAndWait(
    file: string,
    argv: readonly string[],
    o: RunOptions,
    who: { uid?: number; gid?: number; home: string },
  ): Promise<ScriptResultDetail> {
    return new Promise((resolveRun) => {
      const start = performance.now();
      const chunks: Buffer[] = [];
      let kept = 0;
      let truncated = false;
      let timedOut = false;
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      let spawnError: NodeJS.ErrnoException | undefined;
      let openStreams = 2;
      let settled = false;
      const timers: NodeJS.Timeout[] = [];

      let child: ReturnType<typeof spawn>;
      // Ambient capabilities survive execve(): under the systemd unit every script would
      // hold NET_ADMIN/NET_RAW. setpriv drops them (no privilege needed to drop).
      const dropCaps = ambientCapsPresent() && SETPRIV !== null;
      const execFile = dropCaps ? SETPRIV! : file;
      const execArgs = dropCaps
        ? ['--ambient-caps=-all', '--inh-caps=-all', '--', file, ...argv.slice(1)]
        : argv.slice(1);
      try {
        child = spawn(execFile, execArgs, {
          ...(dropCaps ? {} : { argv0: argv[0] }),
          shell: false,
          detached: true, // own process group: the timeout kills the script and everything it forked
          stdio: ['ignore', 'pipe', 'pipe'],
          cwd: '/',
          env: { PATH: searchPath, HOME: who.home, ...o.env },
          ...(who.uid !== undefined ? { uid: who.uid, gid: who.gid } : {}),
        });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return resolveRun({
          code: null,
          signal: null,
          timedOut: false,
          output: `cannot start ${file}: ${e.message}`,
          durationMs: 0,
          errorCode: 'SCRIPT_SPAWN_FAILED',
        });
      }

      const killGroup = (sig: NodeJS.Signals) => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, sig);
        } catch {
          // ESRCH: the group is already gone
        }
      };
      const onTimeout = () => {
        if (exit) return;
        timedOut = true;
        killGroup('SIGTERM');
        // SIGKILL the group even if the leader died of SIGTERM: a child may ignore it.
        timers.push(setTimeout(() => killGroup('SIGKILL'), grace));
      };
      const onAbort = () => onTimeout();

      const collect = (chunk: Buffer) => {
        if (kept >= maxOutput) {
          truncated = true;
          return;
        }
        const part = chunk.length + kept > maxOutput ? chunk.subarray(0, maxOutput - kept) : chunk;
        if (part.length < chunk.length) truncated = true;
        chunks.push(part);
        kept += part.length;
      };
      const streamDone = () => {
        openStreams--;
        maybeSettle();
      };
      for (const s of [child.stdout, child.stderr]) {
        if (!s) {
          openStreams--;
          continue;
        }
        s.on('data', collect);
        s.on('error', () => {});
        s.once('close', streamDone);
      }

      child.once('error', (err: NodeJS.ErrnoException) => {
        spawnError = err;
        // No process was created (ENOENT, EACCES): nothing to wait for.
        if (child.pid === undefined) {
          openStreams = 0;
          exit = { code: null, signal: null };
          maybeSettle();
        }
      });
      child.once('exit', (code, signal) => {
        exit = { code, signal };
        // A background grandchild may hold the pipes open; do not wait for it forever.
        timers.push(
          setTimeout(() => {
            child.stdout?.destroy();
            child.stderr?.destroy();
            openStreams = 0;
            maybeSettle();
          }, 200),
        );
        maybeSettle();
      });

      timers.push(setTimeout(onTimeout, o.timeoutMs));
      if (o.signal) {
        if (o.signal.aborted) onAbort();
        else o.signal.addEventListener('abort', onAbort, { once: true });
      }

      function maybeSettle() {
        if (settled || !exit || openStreams > 0) return;
        settled = true;
        for (const t of timers) clearTimeout(t);
        // The SIGKILL follow-up must still reach group members that outlive the leader.
        if (timedOut) setTimeout(() => killGroup('SIGKILL'), grace).unref();
        o.signal?.removeEventListener('abort', onAbort);
        let output = Buffer.concat(chunks).toString('utf8');
        if (truncated) output += ' …[truncated]';
        const result: ScriptResultDetail = {
          code: exit.code,
          signal: exit.signal,
          timedOut,
          output,
          durationMs: Math.round(performance.now() - start),
          truncated,
        };
        if (child.pid !== undefined) result.pid = child.pid;
        if (spawnError) {
          const notFound = spawnError.code === 'ENOENT';
          result.code = notFound ? 127 : 126;
          result.errorCode = notFound ? 'SCRIPT_NOT_FOUND' : 'SCRIPT_SPAWN_FAILED';
          result.output = `cannot run ${file}: ${spawnError.message}`;
        }
        resolveRun(result);
      }
    });
  }
}
