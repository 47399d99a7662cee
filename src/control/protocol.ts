// Wire format of the control socket, shared by server and client.
// One JSON object per line (newline-delimited JSON, UTF-8), in both directions:
//   request:  {"id": 1, "method": "status", "params": {}}
//   response: {"id": 1, "ok": true, "result": {...}}
//          or {"id": 1, "ok": false, "error": {"code": "CONTROL_UNKNOWN_METHOD", "message": "..."}}
// A connection may carry any number of requests; responses come back in order.

import type { ErrorCode } from '../errors.js';

/** Default control socket path (CONFIG.md global.control_socket). */
export const DEFAULT_CONTROL_SOCKET = '/run/vrrpd/vrrpd.sock';

/** Longest request line the server reads; longer ones get an error and the connection closes. */
export const MAX_REQUEST_BYTES = 64 * 1024;

/** Longest response line the client accepts (a snapshot of 10k real servers is a few MB). */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export type RequestId = string | number | null;

export interface ControlRequest {
  id: RequestId;
  method: string;
  params?: unknown;
}

export interface ControlErrorBody {
  /** Stable, machine-readable: src/errors.ts, docs/errors.md. */
  code: string;
  message: string;
}

export type ControlResponse =
  | { id: RequestId; ok: true; result: unknown }
  | { id: RequestId; ok: false; error: ControlErrorBody };

/** Error codes the server itself produces (handlers may add their own); src/errors.ts has them all. */
export const SERVER_ERROR_CODES = {
  badJson: 'CONTROL_BAD_JSON',
  badRequest: 'CONTROL_BAD_REQUEST',
  tooLong: 'CONTROL_REQUEST_TOO_LONG',
  unknownMethod: 'CONTROL_UNKNOWN_METHOD',
  internal: 'CONTROL_INTERNAL',
} as const satisfies Record<string, ErrorCode>;

/** Result of the `reload` method (the transport-level `ok` is true either way). */
export type ReloadResult =
  | { ok: true; summary: string }
  | {
      ok: false;
      /** `FILE:LINE:COL: message` lines, as `vrrpd check-config` prints them. */
      errors: string[];
    };

export function isReloadResult(v: unknown): v is ReloadResult {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  if (o.ok === true) return typeof o.summary === 'string';
  return o.ok === false && Array.isArray(o.errors) && o.errors.every((e) => typeof e === 'string');
}

/** Splits a byte stream into lines, refusing lines longer than maxBytes. */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxBytes: number) {}

  /** Returns the complete lines in chunk, or 'too-long' once a line exceeds maxBytes. */
  push(chunk: Buffer): string[] | 'too-long' {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      if (this.size + piece.length > this.maxBytes) return 'too-long';
      this.parts.push(piece);
      lines.push(Buffer.concat(this.parts).toString('utf8'));
      this.parts = [];
      this.size = 0;
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (this.size + rest.length > this.maxBytes) return 'too-long';
    if (rest.length > 0) {
      // copy: the caller's chunk buffer may be reused
      this.parts.push(Buffer.from(rest));
      this.size += rest.length;
    }
    return lines;
  }
}
