// Incremental HTTP/1.x response parser for health checks: status line, headers, and the body
// framed by Content-Length, chunked transfer coding or the end of the connection
// (RFC 9112 §4, §6.3, §7.1). Pure: bytes in, callbacks out, never throws on any input.
//
// Why not node:http: a check needs the status and at most a digest or substring of the
// body, while ClientRequest/IncomingMessage/Agent cost most of an HTTP check's CPU
// (bench/advert-gaps.ts). Interim 1xx responses are skipped (§15.2); 204 and 304 have no body.

export interface ResponseHead {
  status: number;
  reason: string;
}

export interface ResponseSink {
  /** the final (non-1xx) response's status line */
  head(h: ResponseHead): void;
  /** decoded body bytes, in order (chunk framing removed) */
  body(chunk: Buffer): void;
}

/** 'more': feed more bytes; 'done': the response is complete; else the reason it is malformed. */
export type ParseStatus = 'more' | 'done' | { error: string };

export const MAX_HEAD_BYTES = 16 * 1024;
const MAX_CHUNK_LINE = 1024;

enum S {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
  Done,
  Failed,
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const STATUS_LINE = /^HTTP\/1\.[01] ([1-9]\d\d)(?: (.*))?$/;

export class HttpResponseParser {
  private state = S.Head;
  private pending: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private failure = '';

  constructor(private readonly sink: ResponseSink) {}

  /** Feeds the next bytes from the connection. */
  push(data: Buffer): ParseStatus {
    if (this.state === S.Done) return 'done';
    if (this.state === S.Failed) return { error: this.failure };
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, data]) : data;
    this.pending = Buffer.alloc(0);
    while (buf.length > 0 || (this.state as S) === S.Done) {
      switch (this.state as S) {
        case S.Head: {
          const end = buf.indexOf(CRLFCRLF);
          if (end < 0) {
            if (buf.length > MAX_HEAD_BYTES)
              return this.fail(`response head larger than ${MAX_HEAD_BYTES} bytes`);
            this.pending = buf;
            return 'more';
          }
          if (end > MAX_HEAD_BYTES) return this.fail(`response head larger than ${MAX_HEAD_BYTES} bytes`);
          const err = this.parseHead(buf.toString('latin1', 0, end));
          if (err) return this.fail(err);
          buf = buf.subarray(end + 4);
          break;
        }
        case S.Length:
        case S.ChunkData: {
          // `remaining` more body bytes: the rest of a Content-Length body, or of a chunk
          const n = Math.min(this.remaining, buf.length);
          this.sink.body(buf.subarray(0, n));
          this.remaining -= n;
          buf = buf.subarray(n);
          if (this.remaining === 0) this.state = this.state === S.Length ? S.Done : S.ChunkDataEnd;
          break;
        }
        case S.ChunkSize: {
          const nl = buf.indexOf('\r\n');
          if (nl < 0) {
            if (buf.length > MAX_CHUNK_LINE) return this.fail('chunk size line too long');
            this.pending = buf;
            return 'more';
          }
          const line = buf.toString('latin1', 0, nl);
          const hex = line.split(';', 1)[0]!.trim();
          if (!/^[0-9a-fA-F]{1,8}$/.test(hex))
            return this.fail(`bad chunk size ${JSON.stringify(line.slice(0, 20))}`);
          this.remaining = Number.parseInt(hex, 16);
          this.state = this.remaining === 0 ? S.Trailers : S.ChunkData;
          buf = buf.subarray(nl + 2);
          break;
        }
        case S.ChunkDataEnd: {
          if (buf.length < 2) {
            this.pending = buf;
            return 'more';
          }
          if (buf[0] !== 0x0d || buf[1] !== 0x0a) return this.fail('chunk data not followed by CRLF');
          buf = buf.subarray(2);
          this.state = S.ChunkSize;
          break;
        }
        case S.Trailers: {
          // Trailer fields end with an empty line; none are used.
          const nl = buf.indexOf('\r\n');
          if (nl < 0) {
            if (buf.length > MAX_HEAD_BYTES) return this.fail('trailer section too long');
            this.pending = buf;
            return 'more';
          }
          buf = buf.subarray(nl + 2);
          if (nl === 0) this.state = S.Done;
          break;
        }
        case S.UntilClose:
          this.sink.body(buf);
          buf = buf.subarray(buf.length);
          break;
        case S.Done:
          // Bytes after a complete response (the server should not send any) are ignored.
          return 'done';
        case S.Failed:
          return { error: this.failure };
      }
    }
    return (this.state as S) === S.Done ? 'done' : 'more';
  }

  /** The peer closed the connection (end of stream). */
  end(): ParseStatus {
    switch (this.state) {
      case S.Done:
        return 'done';
      case S.Failed:
        return { error: this.failure };
      case S.UntilClose:
        this.state = S.Done;
        return 'done';
      case S.Head:
        return this.fail(
          this.pending.length === 0
            ? 'connection closed before a response'
            : 'connection closed in the middle of the response head',
        );
      default:
        return this.fail('connection closed before the end of the body');
    }
  }

  /** Parses one head; returns an error text, or '' (with the body state set). */
  private parseHead(text: string): string {
    const lines = text.split('\r\n');
    const m = STATUS_LINE.exec(lines[0]!);
    if (!m) return `not an HTTP/1.x response: ${JSON.stringify(lines[0]!.slice(0, 40))}`;
    const status = Number(m[1]);
    let length: number | undefined;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) return `malformed header line ${JSON.stringify(line.slice(0, 40))}`;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value)) return `bad Content-Length ${JSON.stringify(value.slice(0, 20))}`;
        const n = Number(value);
        if (length !== undefined && length !== n) return 'conflicting Content-Length headers';
        length = n;
      } else if (name === 'transfer-encoding') {
        // §6.3: chunked as the final coding frames the body; it overrides Content-Length.
        const codings = value.toLowerCase().split(',');
        chunked = codings[codings.length - 1]!.trim() === 'chunked';
      }
    }
    if (status < 200) {
      // Interim response (100 Continue, 103 Early Hints): the final one follows. 101 would
      // switch protocols, which a GET without Upgrade never asks for.
      if (status === 101) return 'unexpected 101 Switching Protocols';
      this.state = S.Head;
      return '';
    }
    this.sink.head({ status, reason: m[2] ?? '' });
    if (status === 204 || status === 304) this.state = S.Done;
    else if (chunked) this.state = S.ChunkSize;
    else if (length !== undefined) {
      this.remaining = length;
      this.state = length === 0 ? S.Done : S.Length;
    } else this.state = S.UntilClose;
    return '';
  }

  private fail(reason: string): ParseStatus {
    this.state = S.Failed;
    this.failure = reason;
    return { error: reason };
  }
}
