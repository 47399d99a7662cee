// The daemon's control socket (ARCHITECTURE rule 9): a unix stream socket speaking
// newline-delimited JSON (see protocol.ts). Access control is the file mode: 0600 (root
// only) or 0660 with a control group. The server must survive any client: bad JSON gets
// an error response, an over-long line or a flood closes that connection, nothing throws.
import { chmodSync, chownSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { ErrorCode } from '../errors.js';
import { resolveGroup } from './groups.js';
import {
  type ControlRequest,
  type ControlResponse,
  LineSplitter,
  MAX_REQUEST_BYTES,
  type ReloadResult,
  type RequestId,
  SERVER_ERROR_CODES,
} from './protocol.js';
import type { Snapshot } from './snapshot.js';

export type ControlHandler = (params: unknown) => unknown;

export interface ControlHandlers {
  /** Builds the current snapshot. */
  status: (params: unknown) => Snapshot | Promise<Snapshot>;
  /** Re-reads the configuration file; a refused file leaves the running config untouched. */
  reload: (params: unknown) => Promise<ReloadResult>;
  /** Further methods; `ping` is built in (answers {pid}) unless given here. */
  [method: string]: ControlHandler;
}

export interface ControlServerOptions {
  path: string;
  /** 0o600 (default) or 0o660; 0o660 needs `group`. */
  mode?: 0o600 | 0o660;
  /** Group name or gid that may use the socket (mode 0o660). */
  group?: string | number;
  handlers: ControlHandlers;
  /** Simultaneous connections (default 32); further ones are closed at once. */
  maxConnections?: number;
  /** A connection idle this long is closed (default 60 s). */
  idleTimeoutMs?: number;
  /** Called for handler failures and refused clients, so the daemon can log them. */
  onError?: (err: Error, context: { method?: string }) => void;
}

export interface ControlServer {
  readonly path: string;
  /**
   * Stops listening, drops clients and removes the socket file (if still ours).
   * keepConnections: connections already open (e.g. the one a reload that moved the socket
   * came on) are left to finish.
   */
  close(opts?: { keepConnections?: boolean }): Promise<void>;
  /** Changes the socket file's access in place: 0660 + group, or 0600 without one. */
  setAccess(group: string | undefined): void;
}

/** Unanswered requests one connection may queue before it is considered a flood. */
const MAX_PENDING_PER_CONNECTION = 16;
/** Unread response bytes after which a client that does not read is dropped. */
const MAX_UNREAD_RESPONSE_BYTES = 256 * 1024 * 1024;
/**
 * Unread response bytes after which the server stops reading that client's requests
 * until it reads (one answer may exceed it: a status of 10,000 real servers is MBs).
 */
const PAUSE_READING_BYTES = 1024 * 1024;

function controlError(code: ErrorCode, message: string): Error & { code: ErrorCode } {
  return Object.assign(new Error(message), { code });
}

/** Connects to path to tell a live daemon from a stale socket file. */
function probeSocket(path: string, timeoutMs: number): Promise<'live' | 'stale'> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    const timer = setTimeout(() => {
      sock.destroy();
      // something accepts connections but does not answer: treat as live, don't steal it
      resolve('live');
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve('live');
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ECONNREFUSED') resolve('stale');
      else reject(err);
    });
  });
}

async function prepareSocketPath(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
      return;
    }
    throw err;
  }
  if (!isSocket) {
    throw controlError(
      'CONTROL_SOCKET_PATH',
      `control socket path ${path} exists and is not a socket; remove it or set another global.control_socket`,
    );
  }
  if ((await probeSocket(path, 1000)) === 'live') {
    throw controlError(
      'CONTROL_SOCKET_IN_USE',
      `another process (a running vrrpd?) is answering on ${path}; stop it or set another global.control_socket`,
    );
  }
  // a socket file nobody listens on: left by a daemon that died without cleaning up
  unlinkSync(path);
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    // The socket file is created by bind() inside listen() with mode 0777 & ~umask.
    // Narrow the umask around the call so the file never exists with a wider mode,
    // not even between bind() and the chmod below. listen() on a path binds synchronously.
    const old = process.umask(0o177);
    try {
      server.listen(path, () => {
        server.off('error', onError);
        resolve();
      });
    } finally {
      process.umask(old);
    }
  });
}

/**
 * Gives the socket file its group, then its mode (so it is never open to a wrong group),
 * and returns its inode. The socket already has the daemon's group; chown only for another
 * one (that needs membership or CAP_CHOWN, and the systemd unit's syscall filter forbids
 * chown).
 */
function applyAccess(path: string, mode: number, gid: number | undefined): number {
  const st = lstatSync(path);
  if (gid !== undefined && st.gid !== gid) chownSync(path, -1, gid);
  chmodSync(path, mode);
  return st.ino;
}

export async function createControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  const mode = opts.mode ?? 0o600;
  if (mode === 0o660 && opts.group === undefined) {
    throw controlError('CONTROL_BAD_GROUP', 'control socket mode 0660 needs a control group');
  }
  const gid = opts.group === undefined ? undefined : resolveGroup(opts.group);
  const handlers = opts.handlers;
  const idleTimeoutMs = opts.idleTimeoutMs ?? 60_000;
  const report = (err: Error, method?: string) => {
    try {
      opts.onError?.(err, method === undefined ? {} : { method });
    } catch {
      // a failing logger must not take the control plane down
    }
  };

  await prepareSocketPath(opts.path);

  const sockets = new Set<Socket>();
  const server = createServer((sock) => serveConnection(sock));
  server.maxConnections = opts.maxConnections ?? 32;
  server.on('error', (err) => report(err));

  function serveConnection(sock: Socket): void {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy()); // EPIPE, ECONNRESET: the client went away
    sock.setTimeout(idleTimeoutMs, () => sock.destroy());
    const splitter = new LineSplitter(MAX_REQUEST_BYTES);
    let pending = 0;
    let readingPaused = false;
    let chain: Promise<void> = Promise.resolve();

    const send = (resp: ControlResponse) => {
      if (sock.destroyed) return;
      let line: string;
      try {
        line = JSON.stringify(resp);
      } catch (err) {
        report(err as Error);
        line = JSON.stringify({
          id: resp.id,
          ok: false,
          error: { code: SERVER_ERROR_CODES.internal, message: 'response could not be serialised' },
        });
      }
      sock.write(`${line}\n`);
      if (sock.writableLength > MAX_UNREAD_RESPONSE_BYTES) sock.destroy();
      else if (sock.writableLength > PAUSE_READING_BYTES && !readingPaused) {
        // a client that asks and does not read: stop reading its requests until it has
        // taken its answers, so they wait in its socket, not in the daemon's memory
        readingPaused = true;
        sock.pause();
        sock.once('drain', () => {
          readingPaused = false;
          if (!sock.destroyed) sock.resume();
        });
      }
    };

    sock.on('data', (chunk: Buffer) => {
      const lines = splitter.push(chunk);
      if (lines === 'too-long') {
        send({
          id: null,
          ok: false,
          error: {
            code: SERVER_ERROR_CODES.tooLong,
            message: `request longer than ${MAX_REQUEST_BYTES} bytes`,
          },
        });
        sock.end();
        sock.pause();
        return;
      }
      for (const line of lines) {
        if (line.trim() === '') continue;
        if (++pending > MAX_PENDING_PER_CONNECTION) {
          report(
            controlError('CONTROL_FLOOD', 'control client sent too many requests without reading; dropped'),
          );
          sock.destroy();
          return;
        }
        chain = chain.then(async () => {
          send(await answer(line));
          pending--;
        });
      }
    });
  }

  async function answer(line: string): Promise<ControlResponse> {
    let req: unknown;
    try {
      req = JSON.parse(line);
    } catch {
      return {
        id: null,
        ok: false,
        error: { code: SERVER_ERROR_CODES.badJson, message: 'request is not valid JSON' },
      };
    }
    if (typeof req !== 'object' || req === null || typeof (req as ControlRequest).method !== 'string') {
      return {
        id: null,
        ok: false,
        error: {
          code: SERVER_ERROR_CODES.badRequest,
          message: 'request must be an object with a string "method"',
        },
      };
    }
    const { method, params } = req as ControlRequest;
    const rawId = (req as ControlRequest).id;
    const id: RequestId = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : null;
    const handler = Object.hasOwn(handlers, method)
      ? handlers[method]
      : method === 'ping'
        ? () => ({ pid: process.pid })
        : undefined;
    if (handler === undefined) {
      return {
        id,
        ok: false,
        error: { code: SERVER_ERROR_CODES.unknownMethod, message: `unknown method '${method}'` },
      };
    }
    try {
      return { id, ok: true, result: (await handler(params)) ?? null };
    } catch (err) {
      const e = err as Error & { code?: unknown };
      report(e, method);
      const code = typeof e.code === 'string' ? e.code : SERVER_ERROR_CODES.internal;
      return { id, ok: false, error: { code, message: e.message || String(err) } };
    }
  }

  await listen(server, opts.path);
  const ino = applyAccess(opts.path, mode, gid);

  let closed: Promise<void> | undefined;
  return {
    path: opts.path,
    close(closeOpts) {
      closed ??= new Promise<void>((resolve) => {
        if (closeOpts?.keepConnections) {
          // server.close() calls back only when the last connection is gone
          server.close();
          resolve();
        } else {
          server.close(() => resolve());
          for (const s of sockets) s.destroy();
        }
        try {
          // only our own socket: a successor daemon may already have replaced the file
          if (lstatSync(opts.path).ino === ino) unlinkSync(opts.path);
        } catch {
          // already gone
        }
      });
      return closed;
    },
    setAccess(group) {
      if (group === undefined) applyAccess(opts.path, 0o600, undefined);
      else applyAccess(opts.path, 0o660, resolveGroup(group));
    },
  };
}
