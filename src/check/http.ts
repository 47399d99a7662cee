// HTTP/HTTPS GET probe (keepalived HTTP_GET / SSL_GET): a fresh connection per attempt
// (agent: false, Connection: close) so each probe tests the real server, not a pooled socket.

import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
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

export function httpProbe(opts: HttpProbeOptions): Probe {
  const mod = opts.tls ? https : http;
  const scheme = opts.tls ? 'https' : 'http';
  const url = `${scheme}://${hostForHeader(opts.host, opts.port, opts.tls)}${opts.path}`;
  const servername = opts.sni ?? opts.hostHeader ?? (isIP(opts.host) ? undefined : opts.host);
  const hostHeader = opts.hostHeader ?? opts.sni ?? hostForHeader(opts.host, opts.port, opts.tls);
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const needBody = opts.expectBody !== undefined || opts.digest !== undefined;
  const expectBody = opts.expectBody !== undefined ? Buffer.from(opts.expectBody) : undefined;
  const wantDigest = opts.digest?.hex.toLowerCase();
  const okStatus = (code: number) =>
    opts.status && opts.status.length > 0 ? opts.status.includes(code) : code >= 200 && code < 300;

  const reqOpts: https.RequestOptions = {
    host: opts.host,
    port: opts.port,
    path: opts.path,
    method: 'GET',
    // A fresh agent per request: no pooled socket, no TLS session resumption (a resumed
    // session skips certificate verification). A shared agent measured no cheaper.
    agent: false,
    headers: { Host: hostHeader, 'User-Agent': 'vrrpd-check', Connection: 'close', Accept: '*/*' },
  };
  if (opts.bindAddress) reqOpts.localAddress = opts.bindAddress;
  if (opts.tls) {
    reqOpts.rejectUnauthorized = opts.tlsVerify ?? true;
    if (servername) reqOpts.servername = servername;
    if (opts.ca) reqOpts.ca = opts.ca;
  }

  return settlesOnAbort(
    (signal) =>
      new Promise<ProbeResult>((resolve) => {
        const start = performance.now();
        let done = false;
        let timer: NodeJS.Timeout | undefined;
        let req: http.ClientRequest | undefined;

        const finish = (result: ProbeResult) => {
          if (done) return;
          done = true;
          if (timer) clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          req?.destroy();
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
        signal.addEventListener('abort', onAbort, { once: true });

        // One timer at a time: the connect limit first, then what is left of the total.
        const total = opts.timeoutMs;
        const connectMs =
          opts.connectTimeoutMs !== undefined && (total === undefined || opts.connectTimeoutMs < total)
            ? opts.connectTimeoutMs
            : undefined;
        if (connectMs !== undefined) arm(connectMs, 'connect');
        else arm(total, 'request');

        try {
          req = mod.request(reqOpts);
        } catch (err) {
          return fail(`GET ${url}: ${describeError(err)}`);
        }
        req.once('error', (err) => fail(`GET ${url}: ${describeTlsOrSocketError(err)}`));
        if (connectMs !== undefined) {
          req.once('socket', (sock) => {
            sock.once(opts.tls ? 'secureConnect' : 'connect', () => {
              if (!done)
                arm(
                  total === undefined ? undefined : Math.max(1, total - (performance.now() - start)),
                  'request',
                );
            });
          });
        }
        req.once('response', (res) => {
          const code = res.statusCode ?? 0;
          if (!okStatus(code)) {
            res.resume();
            return fail(`GET ${url}: status ${code}${res.statusMessage ? ` ${res.statusMessage}` : ''}`);
          }
          if (!needBody) {
            // Drain so the server sees a clean close, then report.
            res.resume();
            res.once('end', () => finish({ ok: true, latencyMs: since(start) }));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          let truncated = false;
          const hash = opts.digest ? createHash(opts.digest.algo) : undefined;
          res.on('data', (chunk: Buffer) => {
            if (truncated) return;
            if (size + chunk.length > maxBody) {
              chunk = chunk.subarray(0, maxBody - size);
              truncated = true;
            }
            size += chunk.length;
            hash?.update(chunk);
            if (expectBody) chunks.push(chunk);
            if (truncated) checkBody();
          });
          res.once('end', () => checkBody());
          res.once('error', (err) => fail(`GET ${url}: ${describeError(err)}`));

          function checkBody() {
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
          }
        });
        req.end();
      }),
  );
}

/** Certificate errors carry a code such as DEPTH_ZERO_SELF_SIGNED_CERT; show it for operators. */
function describeTlsOrSocketError(err: unknown): string {
  const msg = describeError(err);
  return /certificate|self.signed|altnames|CERT/i.test(msg) ? `TLS verification failed: ${msg}` : msg;
}
