// Control socket: server/client round trips on a temp socket, file mode, stale socket
// replacement, abusive clients, and the client's operator-facing error messages.
import { execFile } from 'node:child_process';
import { chmodSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClientError, describeConnectError, request } from '../../src/control/client.js';
import { parseGroupFile, resolveGroup } from '../../src/control/groups.js';
import { LineSplitter, MAX_REQUEST_BYTES, type ReloadResult } from '../../src/control/protocol.js';
import { type ControlHandlers, createControlServer } from '../../src/control/server.js';
import type { Snapshot } from '../../src/control/snapshot.js';
import { missing } from '../helpers/env.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), `vctl${process.pid}-`));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const fakeSnapshot = { version: 1, instances: [], virtualServers: [] } as unknown as Snapshot;

function handlers(over: Partial<ControlHandlers> = {}): ControlHandlers {
  return {
    status: () => fakeSnapshot,
    reload: async (): Promise<ReloadResult> => ({ ok: true, summary: 'no changes' }),
    ...over,
  };
}

/** Sends raw bytes and collects whatever comes back until the server closes or timeoutMs. */
function raw(
  path: string,
  data: string | Buffer,
  timeoutMs = 2000,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = connect(path);
    let text = '';
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ text, closed: false });
    }, timeoutMs);
    sock.on('data', (d) => {
      text += d.toString();
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    sock.write(data);
  });
}

describe('LineSplitter', () => {
  it('joins chunks into lines and refuses over-long ones', () => {
    const s = new LineSplitter(10);
    expect(s.push(Buffer.from('ab'))).toEqual([]);
    expect(s.push(Buffer.from('c\nde\nf'))).toEqual(['abc', 'de']);
    expect(s.push(Buffer.from('g\n'))).toEqual(['fg']);
    expect(s.push(Buffer.from('0123456789x'))).toBe('too-long');
  });
});

describe('groups', () => {
  it('parses /etc/group and resolves names and numbers', () => {
    const text = '# comment\nroot:x:0:\nvrrpd:x:998:alice,bob\nbroken\n';
    expect(parseGroupFile(text)).toEqual([
      { name: 'root', gid: 0 },
      { name: 'vrrpd', gid: 998 },
    ]);
    const f = join(dir, 'group');
    writeFileSync(f, text);
    expect(resolveGroup('vrrpd', f)).toBe(998);
    expect(resolveGroup(42, f)).toBe(42);
    expect(() => resolveGroup('nope', f)).toThrow(/control group 'nope' does not exist/);
  });
});

describe('control server and client', () => {
  it('round-trips status, reload, ping and custom methods; socket is 0600', async () => {
    const path = join(dir, 'a.sock');
    const srv = await createControlServer({
      path,
      handlers: handlers({ echo: (p) => ({ got: p }) }),
    });
    try {
      expect(lstatSync(path).mode & 0o777).toBe(0o600);
      expect(await request(path, 'status')).toEqual(fakeSnapshot);
      expect(await request(path, 'reload')).toEqual({ ok: true, summary: 'no changes' });
      expect(await request(path, 'ping')).toEqual({ pid: process.pid });
      expect(await request(path, 'echo', { a: 1 })).toEqual({ got: { a: 1 } });
    } finally {
      await srv.close();
    }
    expect(() => lstatSync(path)).toThrow(/ENOENT/);
  });

  it('returns handler errors with their code, and unknown methods as CONTROL_UNKNOWN_METHOD', async () => {
    const path = join(dir, 'b.sock');
    const srv = await createControlServer({
      path,
      handlers: handlers({
        status: () => {
          throw Object.assign(new Error('engine not started'), { code: 'ENOTREADY' });
        },
      }),
    });
    try {
      await expect(request(path, 'status')).rejects.toMatchObject({ code: 'ENOTREADY', remote: true });
      await expect(request(path, 'frobnicate')).rejects.toMatchObject({ code: 'CONTROL_UNKNOWN_METHOD' });
      // __proto__ and friends are not methods
      await expect(request(path, 'toString')).rejects.toMatchObject({ code: 'CONTROL_UNKNOWN_METHOD' });
    } finally {
      await srv.close();
    }
  });

  it('reports a refused reload as a result, not a transport error', async () => {
    const path = join(dir, 'c.sock');
    const errors = ['/etc/vrrpd/vrrpd.yaml:3:5: unknown key "priorty" (did you mean "priority"?)'];
    const srv = await createControlServer({
      path,
      handlers: handlers({ reload: async () => ({ ok: false, errors }) }),
    });
    try {
      expect(await request(path, 'reload')).toEqual({ ok: false, errors });
    } finally {
      await srv.close();
    }
  });

  it('uses mode 0660 and the group when asked', async () => {
    const path = join(dir, 'g.sock');
    const srv = await createControlServer({ path, mode: 0o660, group: 'nogroup', handlers: handlers() });
    try {
      const st = lstatSync(path);
      expect(st.mode & 0o777).toBe(0o660);
      expect(st.gid).toBe(resolveGroup('nogroup'));
    } finally {
      await srv.close();
    }
    await expect(createControlServer({ path, mode: 0o660, handlers: handlers() })).rejects.toMatchObject({
      code: 'CONTROL_BAD_GROUP',
    });
  });

  it('setAccess changes mode and group in place; close(keepConnections) lets an open request finish', async () => {
    const path = join(dir, 'move.sock');
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const srv = await createControlServer({
      path,
      handlers: handlers({
        reload: async (): Promise<ReloadResult> => {
          await gate;
          return { ok: true, summary: 'moved' };
        },
      }),
    });
    try {
      expect(lstatSync(path).mode & 0o777).toBe(0o600);
      srv.setAccess('nogroup');
      expect(lstatSync(path).mode & 0o777).toBe(0o660);
      expect(lstatSync(path).gid).toBe(resolveGroup('nogroup'));
      srv.setAccess(undefined);
      expect(lstatSync(path).mode & 0o777).toBe(0o600);
      // A reload in flight on this socket when the daemon moves it: the file goes at once,
      // the answer still arrives on the open connection.
      const answer = request(path, 'reload');
      await new Promise((r) => setTimeout(r, 50));
      await srv.close({ keepConnections: true });
      expect(() => lstatSync(path)).toThrow();
      release();
      expect(await answer).toEqual({ ok: true, summary: 'moved' });
    } finally {
      release();
      await srv.close();
    }
  });

  it('replaces a stale socket file but refuses a live one and a non-socket', async () => {
    const path = join(dir, 'stale.sock');
    // a stale socket file: bound, then the process exits without unlinking (as after SIGKILL)
    await new Promise<void>((resolve, reject) =>
      execFile(
        'python3',
        ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])', path],
        (err) => (err ? reject(err) : resolve()),
      ),
    );
    expect(lstatSync(path).isSocket()).toBe(true);
    const srv = await createControlServer({ path, handlers: handlers() });
    try {
      expect(await request(path, 'ping')).toEqual({ pid: process.pid });
      await expect(createControlServer({ path, handlers: handlers() })).rejects.toMatchObject({
        code: 'CONTROL_SOCKET_IN_USE',
      });
      // the refused second server must not have removed the live one's socket
      expect(await request(path, 'ping')).toEqual({ pid: process.pid });
    } finally {
      await srv.close();
    }
    const file = join(dir, 'not-a-socket');
    writeFileSync(file, 'x');
    await expect(createControlServer({ path: file, handlers: handlers() })).rejects.toMatchObject({
      code: 'CONTROL_SOCKET_PATH',
    });
  });

  it('survives garbage, over-long lines, floods and clients that vanish', async () => {
    const path = join(dir, 'abuse.sock');
    const errors: string[] = [];
    const srv = await createControlServer({
      path,
      handlers: handlers(),
      onError: (e) => errors.push(e.message),
    });
    try {
      const bad = await raw(path, 'this is not json\n{"id":7}\n[1,2]\n', 500);
      const lines = bad.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => l.error.code)).toEqual([
        'CONTROL_BAD_JSON',
        'CONTROL_BAD_REQUEST',
        'CONTROL_BAD_REQUEST',
      ]);
      expect(bad.closed).toBe(false); // bad JSON alone keeps the connection

      const long = await raw(path, Buffer.alloc(MAX_REQUEST_BYTES + 10, 0x61));
      expect(long.closed).toBe(true);
      expect(JSON.parse(long.text.trim()).error.code).toBe('CONTROL_REQUEST_TOO_LONG');

      // many requests in one write, never read: the server drops the connection
      const flood = await raw(path, '{"id":1,"method":"ping"}\n'.repeat(100));
      expect(flood.closed).toBe(true);

      // invalid UTF-8 and NUL bytes
      const bin = await raw(path, Buffer.from([0xff, 0xfe, 0x00, 0x0a]), 500);
      expect(JSON.parse(bin.text.trim()).error.code).toBe('CONTROL_BAD_JSON');

      // a client that connects, writes half a request and dies
      const s = connect(path);
      await new Promise((r) => s.once('connect', r));
      s.write('{"id":1,"meth');
      s.destroy();

      expect(await request(path, 'ping')).toEqual({ pid: process.pid });
    } finally {
      await srv.close();
    }
  });

  it('answers pipelined requests in order on one connection', async () => {
    const path = join(dir, 'order.sock');
    let n = 0;
    const srv = await createControlServer({
      path,
      handlers: handlers({
        slow: async () => {
          await new Promise((r) => setTimeout(r, 50));
          return ++n;
        },
        fast: () => ++n,
      }),
    });
    try {
      const res = await raw(
        path,
        '{"id":"a","method":"slow"}\n{"id":"b","method":"fast"}\n{"id":"c","method":"slow"}\n',
        600,
      );
      const got = res.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(got).toEqual([
        { id: 'a', ok: true, result: 1 },
        { id: 'b', ok: true, result: 2 },
        { id: 'c', ok: true, result: 3 },
      ]);
    } finally {
      await srv.close();
    }
  });
});

describe('client errors', () => {
  it('says the daemon is not running when there is no socket', async () => {
    const path = join(dir, 'absent.sock');
    const err = await request(path, 'status').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlClientError);
    expect((err as ControlClientError).code).toBe('CONTROL_NOT_RUNNING');
    expect((err as Error).message).toBe(`vrrpd is not running (no control socket at ${path})`);
  });

  it('maps connect errors to one line each', () => {
    const e = (code: string) => Object.assign(new Error(code), { code }) as NodeJS.ErrnoException;
    expect(describeConnectError(e('ECONNREFUSED'), '/run/x.sock', null).message).toBe(
      'vrrpd is not running (no control socket at /run/x.sock)',
    );
    expect(describeConnectError(e('EACCES'), '/run/x.sock', 'vrrpd').message).toBe(
      'permission denied on /run/x.sock: run as root or a member of group vrrpd',
    );
    expect(describeConnectError(e('EACCES'), '/run/x.sock', null).message).toBe(
      'permission denied on /run/x.sock: run as root',
    );
  });

  it('times out against a socket that never answers', async () => {
    const path = join(dir, 'mute.sock');
    const mute = createServer((s) => s.resume()); // reads, never answers
    await new Promise<void>((r) => mute.listen(path, r));
    try {
      await expect(request(path, 'status', {}, 300)).rejects.toMatchObject({ code: 'CONTROL_TIMEOUT' });
    } finally {
      await new Promise<void>((r) => mute.close(() => r()));
    }
  });

  it('gives the permission message to a user outside the control group', async (ctx) => {
    const why = missing({ root: true, commands: ['setpriv'] });
    if (why) return ctx.skip(why);
    // the socket's directory must be searchable by nobody, the socket itself not writable
    const open = mkdtempSync(join(tmpdir(), `vctl${process.pid}-open-`));
    chmodSync(open, 0o755);
    const path = join(open, 'root.sock');
    const srv = await createControlServer({ path, mode: 0o660, group: 'root', handlers: handlers() });
    try {
      const script = `import('${join(process.cwd(), 'src/control/client.ts')}').then((m) => m.request(${JSON.stringify(path)}, 'status')).then(() => console.log('connected'), (e) => console.log(e.code + ' ' + e.message))`;
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          'setpriv',
          [
            '--reuid=nobody',
            '--regid=nogroup',
            '--clear-groups',
            process.execPath,
            '--import',
            'tsx',
            '-e',
            script,
          ],
          { cwd: process.cwd(), timeout: 15_000 },
          (err, stdout, stderr) =>
            err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim()),
        ),
      );
      expect(out).toBe(
        `CONTROL_ACCESS_DENIED permission denied on ${path}: run as root or a member of group root`,
      );
    } finally {
      await srv.close();
      rmSync(open, { recursive: true, force: true });
    }
  });
});
