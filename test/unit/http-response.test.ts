// The health checks' HTTP/1.x response parser (src/check/http-response.ts): framing by
// Content-Length, chunked coding (RFC 9112 §7.1) and connection close, interim 1xx
// responses, malformed input named in the reason, and any split of the bytes giving the
// same result.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HttpResponseParser,
  MAX_HEAD_BYTES,
  type ParseStatus,
  type ResponseHead,
} from '../../src/check/http-response.js';

interface Outcome {
  heads: ResponseHead[];
  body: string;
  status: ParseStatus;
}

/** Feeds `text` in the given pieces (sizes), then, when `close` is set, ends the stream. */
function parse(text: string | Buffer, pieces: number[] = [], close = false): Outcome {
  const heads: ResponseHead[] = [];
  const parts: Buffer[] = [];
  const p = new HttpResponseParser({ head: (h) => heads.push(h), body: (c) => parts.push(Buffer.from(c)) });
  const all = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  let at = 0;
  let status: ParseStatus = 'more';
  for (const n of pieces) {
    if (at >= all.length) break;
    status = p.push(all.subarray(at, at + n));
    at += n;
  }
  if (at < all.length) status = p.push(all.subarray(at));
  if (close) status = p.end();
  return { heads, body: Buffer.concat(parts).toString('latin1'), status };
}

describe('HTTP response parser', () => {
  it('Content-Length frames the body; bytes after it are ignored', () => {
    const r = parse('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhelloEXTRA');
    expect(r).toEqual({ heads: [{ status: 200, reason: 'OK' }], body: 'hello', status: 'done' });
  });

  it('a status line without a reason phrase, and Content-Length 0', () => {
    expect(parse('HTTP/1.0 204\r\n\r\n')).toEqual({
      heads: [{ status: 204, reason: '' }],
      body: '',
      status: 'done',
    });
    expect(parse('HTTP/1.1 200 OK\r\ncontent-length:0\r\n\r\n').status).toBe('done');
  });

  it('204 and 304 have no body even with a Content-Length', () => {
    expect(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n').status).toBe('done');
  });

  it('chunked: extensions, trailers, and chunked overriding Content-Length (§6.3)', () => {
    const r = parse(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n' +
        '5;name=value\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: 1\r\n\r\n',
    );
    expect(r).toEqual({ heads: [{ status: 200, reason: 'OK' }], body: 'hello, world!!!', status: 'done' });
  });

  it('no length and not chunked: the body runs until the connection closes', () => {
    const open = parse('HTTP/1.0 200 OK\r\n\r\npart one, ');
    expect(open.status).toBe('more');
    const closed = parse('HTTP/1.0 200 OK\r\n\r\npart one, part two', [], true);
    expect(closed).toEqual({
      heads: [{ status: 200, reason: 'OK' }],
      body: 'part one, part two',
      status: 'done',
    });
  });

  it('skips interim 1xx responses and reports the final one', () => {
    const r = parse(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno',
    );
    expect(r).toEqual({ heads: [{ status: 404, reason: 'Not Found' }], body: 'no', status: 'done' });
  });

  it.each([
    ['SSH-2.0-OpenSSH_9.2\r\n\r\n', /not an HTTP\/1.x response: "SSH-2.0/],
    ['HTTP/2 200\r\n\r\n', /not an HTTP\/1.x response/],
    ['HTTP/1.1 099 Low\r\n\r\n', /not an HTTP\/1.x response/],
    ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', /malformed header line "no colon here"/],
    ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /bad Content-Length "-1"/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', /conflicting Content-Length/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /bad chunk size "zz"/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n', /chunk data not followed by CRLF/],
    ['HTTP/1.1 101 Switching Protocols\r\n\r\n', /unexpected 101/],
  ])('malformed: %j', (text, reason) => {
    const r = parse(text);
    expect(typeof r.status === 'object' && r.status.error).toMatch(reason);
  });

  it('a head larger than the limit fails without waiting for its end', () => {
    const r = parse(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES)}`);
    expect(r.status).toEqual({ error: `response head larger than ${MAX_HEAD_BYTES} bytes` });
  });

  it('a close before the response or the end of a framed body is named', () => {
    expect(parse('', [], true).status).toEqual({ error: 'connection closed before a response' });
    expect(parse('HTTP/1.1 200 OK\r\nConte', [], true).status).toEqual({
      error: 'connection closed in the middle of the response head',
    });
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort', [], true).status).toEqual({
      error: 'connection closed before the end of the body',
    });
    expect(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab', [], true).status).toEqual({
      error: 'connection closed before the end of the body',
    });
  });

  it('after done or an error, further input changes nothing', () => {
    const p = new HttpResponseParser({ head: () => {}, body: () => {} });
    expect(p.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'))).toBe('done');
    expect(p.push(Buffer.from('HTTP/1.1 500 x\r\n\r\n'))).toBe('done');
    expect(p.end()).toBe('done');
    const q = new HttpResponseParser({ head: () => {}, body: () => {} });
    expect(q.push(Buffer.from('nope\r\n\r\n'))).toHaveProperty('error');
    expect(q.end()).toHaveProperty('error');
  });

  it('property: any split of a valid response gives the same head, body and status', () => {
    const responses = [
      'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world',
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\n',
      'HTTP/1.0 503 Service Unavailable\r\nServer: t\r\n\r\nbusy, come back later',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...responses.keys()),
        fc.array(fc.integer({ min: 1, max: 7 }), { maxLength: 80 }),
        (i, pieces) => {
          const text = responses[i]!;
          expect(parse(text, pieces, true)).toEqual(parse(text, [], true));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('fuzz: random and mutated bytes never throw and always settle on end()', () => {
    const seed = Buffer.from(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n',
      'latin1',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc
            .array(fc.tuple(fc.nat({ max: seed.length - 1 }), fc.integer({ min: 0, max: 255 })), {
              maxLength: 6,
            })
            .map((edits) => {
              const b = Buffer.from(seed);
              for (const [at, v] of edits) b[at] = v;
              return new Uint8Array(b);
            }),
        ),
        fc.array(fc.integer({ min: 1, max: 16 }), { maxLength: 20 }),
        (bytes, pieces) => {
          const r = parse(Buffer.from(bytes), pieces, true);
          expect(r.status === 'done' || typeof r.status === 'object').toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
