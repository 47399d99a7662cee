// Client side of the control socket, used by `vrrpd status` and `vrrpd reload`.
// Connection failures become one line an operator can act on (CONFIG.md: exit 2).
import { statSync } from 'node:fs';
import { connect } from 'node:net';
import { groupName } from './groups.js';
import { type ControlResponse, LineSplitter, MAX_RESPONSE_BYTES } from './protocol.js';

/**
 * Why a request failed. `code`:
 * - CONTROL_NOT_RUNNING: no socket file, or nobody listening on it;
 * - CONTROL_ACCESS_DENIED: the socket (or its directory) does not let this user in;
 * - CONTROL_TIMEOUT: the daemon did not answer in time;
 * - CONTROL_PROTOCOL: the answer was not the protocol (a foreign socket, a truncated reply);
 * - any code the daemon returned in an error response (CONTROL_UNKNOWN_METHOD, ...): `remote` is true.
 */
export class ControlClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly remote = false,
  ) {
    super(message);
    this.name = 'ControlClientError';
  }
}

/** Group that may use the socket, for the permission message; null if not determinable. */
function socketGroup(path: string): string | null {
  try {
    const st = statSync(path);
    if ((st.mode & 0o060) !== 0o060) return null; // not group-accessible: root only
    return groupName(st.gid) ?? String(st.gid);
  } catch {
    return null;
  }
}

/** Maps a connect() error to the operator's one-line explanation. Exported for tests. */
export function describeConnectError(
  err: NodeJS.ErrnoException,
  path: string,
  group: string | null = socketGroup(path),
): ControlClientError {
  switch (err.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new ControlClientError(
        'CONTROL_NOT_RUNNING',
        `vrrpd is not running (no control socket at ${path})`,
      );
    case 'EACCES':
    case 'EPERM': {
      const who = group === null ? 'run as root' : `run as root or a member of group ${group}`;
      return new ControlClientError('CONTROL_ACCESS_DENIED', `permission denied on ${path}: ${who}`);
    }
    case 'ENOTSOCK':
      return new ControlClientError(
        'CONTROL_PROTOCOL',
        `${path} is not a socket: is global.control_socket right?`,
      );
    default:
      return new ControlClientError(err.code ?? 'EIO', `cannot connect to ${path}: ${err.message}`);
  }
}

/**
 * Sends one request and resolves with its result. Rejects with ControlClientError.
 * One connection per call: simple, and `--watch` at 1 Hz doesn't need more.
 */
export function request(
  path: string,
  method: string,
  params: unknown = {},
  timeoutMs = 5000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    const splitter = new LineSplitter(MAX_RESPONSE_BYTES);
    let connected = false;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      fn();
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new ControlClientError(
              'CONTROL_TIMEOUT',
              `vrrpd did not answer '${method}' on ${path} within ${timeoutMs} ms`,
            ),
          ),
        ),
      timeoutMs,
    );
    sock.once('connect', () => {
      connected = true;
      sock.write(`${JSON.stringify({ id: 1, method, params })}\n`);
    });
    sock.on('error', (err: NodeJS.ErrnoException) =>
      finish(() =>
        reject(
          connected
            ? new ControlClientError(
                'CONTROL_PROTOCOL',
                `connection to vrrpd on ${path} failed: ${err.message}`,
              )
            : describeConnectError(err, path),
        ),
      ),
    );
    sock.on('close', () =>
      finish(() =>
        reject(
          new ControlClientError(
            'CONTROL_PROTOCOL',
            `vrrpd closed the connection on ${path} without answering`,
          ),
        ),
      ),
    );
    sock.on('data', (chunk: Buffer) => {
      const lines = splitter.push(chunk);
      if (lines === 'too-long') {
        finish(() =>
          reject(new ControlClientError('CONTROL_PROTOCOL', `answer from ${path} is larger than expected`)),
        );
        return;
      }
      const line = lines[0];
      if (line === undefined) return;
      let resp: ControlResponse;
      try {
        resp = JSON.parse(line) as ControlResponse;
      } catch {
        finish(() =>
          reject(new ControlClientError('CONTROL_PROTOCOL', `answer from ${path} is not JSON: is it vrrpd?`)),
        );
        return;
      }
      if (resp.ok === true) {
        finish(() => resolve(resp.result));
      } else if (resp.ok === false && typeof resp.error?.code === 'string') {
        const { code, message } = resp.error;
        finish(() => reject(new ControlClientError(code, `vrrpd: ${message}`, true)));
      } else {
        finish(() =>
          reject(new ControlClientError('CONTROL_PROTOCOL', `answer from ${path} is not a vrrpd response`)),
        );
      }
    });
  });
}
