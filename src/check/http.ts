// HTTP/HTTPS GET probe (keepalived HTTP_GET / SSL_GET): a fresh connection per attempt
// (Connection: close) so each probe tests the real server, not a pooled socket. The request
// is written on a plain net/tls socket and the response read by http-response.ts: no
// ClientRequest, IncomingMessage or Agent per check.

import { createHash } from 'node:crypto';
import net, { isIP } from 'node:net';
import tls from 'node:tls';
import { HttpResponseParser, type ParseStatus } from './http-response.js';
import { describeError, type Probe, type ProbeResult, settlesOnAbort, since } from './probe.js';

export interface HttpProbeOptions {
  host: string;
  port: number;
  /** request path with query, e.g. "/healthz" */
  path: string;
  tls: boolean;
  /** verify the certificate chain and name (HTTPS only); default true */
  tlsVerify?: boolean;
  /** extra trusted CA certificates (PEM) when verifying */
  ca?: string | Buffer;
  /** TLS server name (SNI); default: hostHeader or host when it is a name */
  sni?: string;
  /** Host header; default: sni, else host[:port] */
  hostHeader?: string;
  /** accepted status codes; empty or absent → any 2xx */
  status?: readonly number[];
  /** substring the body must contain */
  expectBody?: string;
  /** the body's digest must equal this (keepalived's digest is MD5) */
  digest?: { algo: 'md5' | 'sha256'; hex: string };
  /** limit for the TCP (and TLS) handshake */
  connectTimeoutMs?: number;
  /** limit for the whole request, headers and body */
  timeoutMs?: number;
  bindAddress?: string;
  /** body bytes read at most (digest and substring checks); default 1 MiB */
  maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY = 1024 * 1024;

function hostForHeader(host: string, port: number, tls: boolean): string {
  const h = isIP(host) === 6 ? `[${host}]` : host;
  return port === (tls ? 443 : 80) ? h : `${h}:${port}`;
}

/** The URL a probe's failure reasons name ("GET http://192.0.2.1:8080/healthz: ..."). */
export function httpProbeUrl(opts: Pick<HttpProbeOptions, 'host' | 'port' | 'path' | 'tls'>): string {
  return `${opts.tls ? 'https' : 'http'}://${hostForHeader(opts.host, opts.port, opts.tls)}${opts.path}`;
}

export function httpProbe(opts: HttpProbeOptions): Probe {
  const url = httpProbeUrl(opts);
  const servername = opts.sni ?? opts.hostHeader ?? (isIP(opts.host) ? undefined : opts.host);
  const hostHeader = opts.hostHeader ?? opts.sni ?? hostForHeader(opts.host, opts.port, opts.tls);
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const needBody = opts.expectBody !== undefined || opts.digest !== undefined;
  const expectBody = opts.expectBody !== undefined ? Buffer.from(opts.expectBody) : undefined;
  const wantDigest = opts.digest?.hex.toLowerCase();
  const okStatus = (code: number) =>
    opts.status && opts.status.length > 0 ? opts.status.includes(code) : code >= 200 && code < 300;
  // Spaces or control characters in the request line or Host would make another request;
  // other bytes must be percent-encoded (path) or punycode (host): HTTP/1.1 is ASCII here.
  const unsafe = !printableAscii(opts.path, 0x21)
    ? 'the path contains spaces, control or non-ASCII characters (percent-encode them)'
    : !printableAscii(hostHeader, 0x20)
      ? 'the Host header contains control or non-ASCII characters'
      : undefined;
  // Built once: every attempt writes the same bytes. HTTP/1.1 with Connection: close, so the
  // server ends the connection after one response.
  const request = Buffer.from(
    `GET ${opts.path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: vrrpd-check\r\nAccept: */*\r\nConnection: close\r\n\r\n`,
    'latin1',
  );
  // A fresh connection per attempt, and no TLS session resumption (a resumed session skips
  // certificate verification).
  // (tls.connect passes socket options such as localAddress on to net.Socket#connect)
  const tlsOpts: tls.ConnectionOptions & { localAddress?: string } = {
    host: opts.host,
    port: opts.port,
    rejectUnauthorized: opts.tlsVerify ?? true,
  };
  if (servername) tlsOpts.servername = servername;
  if (opts.ca) tlsOpts.ca = opts.ca;
  if (opts.bindAddress) tlsOpts.localAddress = opts.bindAddress;
  const netOpts: net.TcpNetConnectOpts = { host: opts.host, port: opts.port };
  if (opts.bindAddress) netOpts.localAddress = opts.bindAddress;

  return settlesOnAbort(
    (signal) =>
      new Promise<ProbeResult>((resolve) => {
        const start = performance.now();
        let done = false;
        let timer: NodeJS.Timeout | undefined;
        let sock: net.Socket | undefined;
        let peerEnded = false;

        const finish = (result: ProbeResult) => {
          if (done) return;
          done = true;
          if (timer) clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          if (sock) {
            // The checker must not close first with a FIN: that leaves a TIME_WAIT socket on
            // the director per check. After the server's FIN a plain close is fine; before
            // it, reset (TLS sockets have no reset: they close). A socket still connecting is
            // just closed: resetAndDestroy() would keep it until the connect ends, for
            // minutes when the target drops SYNs.
            if (!peerEnded && !opts.tls && !sock.destroyed && !sock.connecting) sock.resetAndDestroy();
            else sock.destroy();
          }
          resolve(result);
        };
        const fail = (reason: string) => finish({ ok: false, reason, latencyMs: since(start) });
        const onAbort = () => fail(`GET ${url}: ${describeError(signal.reason)}`);
        const arm = (ms: number | undefined, what: string) => {
          if (timer) clearTimeout(timer);
          timer = undefined;
          if (ms !== undefined)
            timer = setTimeout(() => fail(`GET ${url}: ${what} timed out after ${ms} ms`), ms);
        };

        if (signal.aborted) return onAbort();
        if (unsafe) return fail(`GET ${url}: ${unsafe}`);
        signal.addEventListener('abort', onAbort, { once: true });

        // One timer at a time: the connect limit first, then what is left of the total.
        const total = opts.timeoutMs;
        const connectMs =
          opts.connectTimeoutMs !== undefined && (total === undefined || opts.connectTimeoutMs < total)
            ? opts.connectTimeoutMs
            : undefined;
        if (connectMs !== undefined) arm(connectMs, 'connect');
        else arm(total, 'request');

        let size = 0;
        let truncated = false;
        const chunks: Buffer[] = [];
        const hash = opts.digest ? createHash(opts.digest.algo) : undefined;
        const checkBody = () => {
          if (done) return;
          if (hash) {
            if (truncated)
              return fail(`GET ${url}: body larger than ${maxBody} bytes; cannot check its digest`);
            const got = hash.digest('hex');
            if (got !== wantDigest)
              return fail(`GET ${url}: body ${opts.digest!.algo} ${got}, expected ${wantDigest}`);
          }
          if (expectBody && !Buffer.concat(chunks).includes(expectBody)) {
            const within = truncated ? ` within the first ${maxBody} bytes` : '';
            return fail(`GET ${url}: body does not contain ${JSON.stringify(opts.expectBody)}${within}`);
          }
          finish({ ok: true, latencyMs: since(start) });
        };
        const parser = new HttpResponseParser({
          head: ({ status, reason }) => {
            if (!okStatus(status)) fail(`GET ${url}: status ${status}${reason ? ` ${reason}` : ''}`);
          },
          body: (chunk) => {
            if (done || !needBody || truncated) return;
            if (size + chunk.length > maxBody) {
              chunk = chunk.subarray(0, maxBody - size);
              truncated = true;
            }
            size += chunk.length;
            hash?.update(chunk);
            if (expectBody) chunks.push(chunk);
            if (truncated) checkBody();
          },
        });
        const settle = (st: ParseStatus) => {
          if (done || st === 'more') return;
          if (st === 'done') return needBody ? checkBody() : finish({ ok: true, latencyMs: since(start) });
          fail(`GET ${url}: ${st.error}`);
        };

        try {
          sock = opts.tls ? tls.connect(tlsOpts) : net.connect(netOpts);
        } catch (err) {
          return fail(`GET ${url}: ${describeError(err)}`);
        }
        sock.once('error', (err) => fail(`GET ${url}: ${describeTlsOrSocketError(err)}`));
        sock.once(opts.tls ? 'secureConnect' : 'connect', () => {
          if (done) return;
          if (connectMs !== undefined)
            arm(
              total === undefined ? undefined : Math.max(1, total - (performance.now() - start)),
              'request',
            );
        });
        sock.on('data', (chunk: Buffer) => settle(parser.push(chunk)));
        sock.once('end', () => {
          peerEnded = true;
          settle(parser.end());
        });
        sock.once('close', () => {
          if (!done) fail(`GET ${url}: connection closed before a complete response`);
        });
        sock.write(request);
      }),
  );
}

/** True when every character of `text` is in [lowest, 0x7e]. */
function printableAscii(text: string, lowest: number): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < lowest || c > 0x7e) return false;
  }
  return true;
}

/** Certificate errors carry a code such as DEPTH_ZERO_SELF_SIGNED_CERT; show it for operators. */
function describeTlsOrSocketError(err: unknown): string {
  const msg = describeError(err);
  return /certificate|self.signed|altnames|CERT/i.test(msg) ? `TLS verification failed: ${msg}` : msg;
}
