// The script runner and script probe with real processes (root only for the run-as-user case).
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptProbe } from '../../src/check/script.js';
import { checkScriptSecurity, createScriptRunner, lookupUser } from '../../src/effects/script-runner.js';
import { missing } from '../helpers/env.js';

/** True while a process exists and is not a zombie (a zombie is dead, merely unreaped). */
function alive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}
function exists(pid: number): boolean {
  try {
    readFileSync(`/proc/${pid}/stat`);
    return true;
  } catch {
    return false;
  }
}
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

let dir = '';
function script(name: string, body: string, mode = 0o755): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, mode);
  return p;
}
const started: number[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), `vrrpd-check-script-${process.pid}-`));
});
afterAll(() => {
  // Belt and braces: nothing a test started may outlive it.
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true });
});

const runner = createScriptRunner({ killGraceMs: 300 });

describe('script runner', () => {
  it('exit 0 and exit 1, stdout and stderr captured', async () => {
    const okScript = script('ok.sh', 'echo hello; echo oops >&2; exit 0');
    const r0 = await runner.run([okScript], { timeoutMs: 5000 });
    expect(r0).toMatchObject({ code: 0, signal: null, timedOut: false });
    expect(r0.output).toContain('hello');
    expect(r0.output).toContain('oops');
    const r1 = await runner.run([script('bad.sh', 'echo failing; exit 3')], { timeoutMs: 5000 });
    expect(r1).toMatchObject({ code: 3, timedOut: false });
  });

  it('passes argv verbatim without a shell and a small environment', async () => {
    const r = await runner.run(['/bin/echo', '$HOME;', '`id`', 'a b'], { timeoutMs: 5000, env: { X: '1' } });
    expect(r.output.trim()).toBe('$HOME; `id` a b');
    const e = await runner.run(['/usr/bin/env'], { timeoutMs: 5000, env: { CHECK_X: 'yes' } });
    expect(e.output).toContain('CHECK_X=yes');
    expect(e.output).toContain('PATH=');
    expect(e.output).not.toContain('VITEST');
  });

  it('a hanging script is killed at its timeout and reaped (no zombie)', async () => {
    const t0 = Date.now();
    const r = await runner.run(['/bin/sleep', '100'], { timeoutMs: 300 });
    const took = Date.now() - t0;
    expect(r).toMatchObject({ timedOut: true, code: null, signal: 'SIGTERM' });
    expect(took).toBeGreaterThanOrEqual(280);
    expect(took).toBeLessThan(5000);
    expect(r.pid).toBeGreaterThan(0);
    started.push(r.pid!);
    expect(exists(r.pid!)).toBe(false); // not even a zombie: the runner reaped it
  });

  it('a script that forks children: the whole process group dies at the timeout', async () => {
    const s = script('forks.sh', `sleep 100 & echo $! > ${dir}/c1\nsleep 100 & echo $! > ${dir}/c2\nwait`);
    const r = await runner.run([s], { timeoutMs: 400 });
    expect(r.timedOut).toBe(true);
    const kids = ['c1', 'c2'].map((f) => Number(readFileSync(join(dir, f), 'utf8')));
    started.push(r.pid!, ...kids);
    expect(exists(r.pid!)).toBe(false);
    // Orphaned children are reaped by init; here only "not running" is ours to assert.
    expect(await until(() => kids.every((k) => !alive(k)), 2000)).toBe(true);
  });

  it('children that ignore SIGTERM get SIGKILL after the grace period', async () => {
    const s = script('stubborn.sh', `trap '' TERM\nsleep 100 & echo $! > ${dir}/c3\nwait\nsleep 100`);
    const t0 = Date.now();
    const r = await runner.run([s], { timeoutMs: 300 });
    const kid = Number(readFileSync(join(dir, 'c3'), 'utf8'));
    started.push(r.pid!, kid);
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
    expect(exists(r.pid!)).toBe(false);
    expect(await until(() => !alive(kid), 2000)).toBe(true);
  });

  it('aborting the signal kills the group like the timeout', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const r = await runner.run(['/bin/sleep', '100'], { timeoutMs: 60_000, signal: ac.signal });
    started.push(r.pid!);
    expect(r.timedOut).toBe(true);
    expect(r.durationMs).toBeLessThan(5000);
  });

  it('a missing command is a clean failure, not an exception', async () => {
    const r = await runner.run([join(dir, 'nope.sh')], { timeoutMs: 1000 });
    expect(r).toMatchObject({ code: 127, errorCode: 'SCRIPT_NOT_FOUND', timedOut: false });
    expect(r.output).toContain('nope.sh');
    const lax = createScriptRunner({ enforceSecurity: false });
    const r2 = await lax.run([join(dir, 'nope.sh')], { timeoutMs: 1000 });
    expect(r2).toMatchObject({ code: 127, errorCode: 'SCRIPT_NOT_FOUND' });
    expect(r2.output).toMatch(/ENOENT/);
    const r3 = await runner.run([], { timeoutMs: 1000 });
    expect(r3.code).toBe(127);
  });

  it('output is truncated to the limit', async () => {
    const small = createScriptRunner({ maxOutputBytes: 100 });
    const r = await small.run(['/bin/sh', '-c', 'head -c 100000 /dev/zero | tr "\\0" x'], {
      timeoutMs: 5000,
    });
    expect(r.code).toBe(0);
    expect(r.truncated).toBe(true);
    expect(r.output.startsWith('x'.repeat(100))).toBe(true);
    expect(r.output.length).toBeLessThan(130);
  });

  it('refuses a world-writable script, naming file, owner and mode', async () => {
    const s = script('loose.sh', 'exit 0', 0o757);
    chmodSync(s, 0o666 | 0o111);
    const r = await runner.run([s], { timeoutMs: 1000 });
    expect(r.errorCode).toBe('SCRIPT_INSECURE');
    expect(r.code).toBeNull();
    expect(r.output).toContain(s);
    expect(r.output).toMatch(/owner uid \d+/);
    expect(r.output).toContain('mode 0777');
  });

  it('refuses a script in a directory anyone can write (no sticky bit)', () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const p = join(open, 'x.sh');
    writeFileSync(p, '#!/bin/sh\nexit 0\n');
    chmodSync(p, 0o755);
    const v = checkScriptSecurity(p);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.message).toMatch(new RegExp(`directory ${open} is writable by everyone .*mode 0777`));
    chmodSync(open, 0o1777); // sticky like /tmp: others cannot replace our file
    expect(checkScriptSecurity(p).ok).toBe(true);
  });

  it.skipIf(missing({ root: true }))(
    'a file owned by another user is refused unless it is the script user',
    () => {
      const p = script('nobodys.sh', 'exit 0');
      const nobody = lookupUser('nobody')!;
      chownSync(p, nobody.uid, nobody.gid);
      const v = checkScriptSecurity(p);
      expect(v.ok).toBe(false);
      if (!v.ok) expect(v.message).toContain(`owner uid ${nobody.uid}`);
      expect(checkScriptSecurity(p, { scriptUid: nobody.uid }).ok).toBe(true);
    },
  );

  it.skipIf(missing({ root: true }))('runs as the script user (nobody) without root groups', async () => {
    const r = await runner.run(['/usr/bin/id'], { timeoutMs: 5000, user: 'nobody' });
    expect(r.code).toBe(0);
    const nobody = lookupUser('nobody')!;
    expect(r.output).toContain(`uid=${nobody.uid}(nobody)`);
    expect(r.output).toContain(`gid=${nobody.gid}`);
    expect(r.output).not.toMatch(/groups=.*\b0\(root\)/);
  });

  it('an unknown user is a clean failure', async () => {
    const r = await runner.run(['/bin/true'], { timeoutMs: 1000, user: `no-such-user-${process.pid}` });
    expect(r).toMatchObject({ errorCode: 'SCRIPT_USER_UNKNOWN', code: null });
    expect(r.output).toContain('not found');
  });
});

describe('script probe', () => {
  it('exit 0 = up; exit non-zero = down with the output in the reason', async () => {
    const never = new AbortController().signal;
    expect((await scriptProbe({ runner, command: ['/bin/true'], timeoutMs: 2000 })(never)).ok).toBe(true);
    const s = script('sick.sh', 'echo "backend\n  unhealthy"; exit 2');
    const r = await scriptProbe({ runner, command: [s], timeoutMs: 2000 })(never);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe(`${s}: exit status 2: backend unhealthy`);
  });

  it('timeout and refusal read clearly', async () => {
    const never = new AbortController().signal;
    const r = await scriptProbe({ runner, command: ['/bin/sleep', '50'], timeoutMs: 200 })(never);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe('/bin/sleep: killed after the 200 ms timeout');
    const n = await scriptProbe({ runner, command: ['/nonexistent/x'], timeoutMs: 200 })(never);
    if (!n.ok) expect(n.reason).toBe('/nonexistent/x: script not found: /nonexistent/x');
  });
});
