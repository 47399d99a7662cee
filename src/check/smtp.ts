// SMTP probe (keepalived SMTP_CHECK): connect, the greeting must be 220, `HELO name` must be
// answered 250, then QUIT and close. Hand-written on net.Socket: the whole dialogue is two
// replies, and a mail library's verify() does more (EHLO, STARTTLS, AUTH) than the check
// keepalived makes. Multi-line replies ("250-...", then "250 ...") are read to their last line.

import net from 'node:net';
import { describeError, type Probe, type ProbeResult, settlesOnAbort, since } from './probe.js';

export interface SmtpProbeOptions {
  host: string;
  port: number;
  bindAddress?: string;
  connectTimeoutMs: number;
  /** default keepalived's, smtpchecker.keepalived.org */
  heloName?: string;
}

export const SMTP_DEFAULT_HELO = 'smtpchecker.keepalived.org';
/** A reply longer than this is not an SMTP reply. */
const MAX_REPLY_BYTES = 4096;

/** The status of a complete reply in `buf` (last line "NNN " or "NNN"), or undefined. */
export function completeReply(buf: string): { code: number; text: string } | undefined {
  const lines = buf.split('\r\n');
  if (lines.length < 2) return undefined; // no CRLF yet
  for (const line of lines.slice(0, -1)) {
    const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
    if (!m) return { code: 0, text: line };
    if (m[2] !== '-') return { code: Number(m[1]), text: line };
  }
  return undefined;
}

export function smtpProbe(opts: SmtpProbeOptions): Probe {
  const where = opts.host.includes(':') ? `[${opts.host}]:${opts.port}` : `${opts.host}:${opts.port}`;
  const helo = opts.heloName ?? SMTP_DEFAULT_HELO;
  const connectOpts: net.TcpNetConnectOpts = { host: opts.host, port: opts.port };
  if (opts.bindAddress) connectOpts.localAddress = opts.bindAddress;

  return settlesOnAbort(
    (signal) =>
      new Promise<ProbeResult>((resolve) => {
        const start = performance.now();
        let done = false;
        let step: 'banner' | 'helo' = 'banner';
        let buf = '';
        let timer: NodeJS.Timeout | undefined;
        const socket = net.connect(connectOpts);
        const finish = (r: ProbeResult) => {
          if (done) return;
          done = true;
          if (timer) clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          if (r.ok) socket.end('QUIT\r\n');
          else socket.destroy();
          // a server that never closes after QUIT does not hold the socket open
          if (r.ok) setTimeout(() => socket.destroy(), 1000).unref();
          resolve(r);
        };
        const fail = (reason: string) => finish({ ok: false, reason, latencyMs: since(start) });
        const onAbort = () => fail(`${describeError(signal.reason)} (${where})`);
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        timer = setTimeout(
          () => fail(`connect to ${where} timed out after ${opts.connectTimeoutMs} ms`),
          opts.connectTimeoutMs,
        );
        socket.on('error', (err) => fail(describeError(err)));
        socket.once('connect', () => {
          clearTimeout(timer);
          timer = undefined;
        });
        socket.setEncoding('latin1');
        socket.on('data', (chunk: string) => {
          buf += chunk;
          if (buf.length > MAX_REPLY_BYTES)
            return fail(`${where}: reply longer than ${MAX_REPLY_BYTES} bytes`);
          const r = completeReply(buf);
          if (!r) return;
          buf = '';
          if (step === 'banner') {
            if (r.code !== 220) return fail(`${where}: greeting is not 220: ${JSON.stringify(r.text)}`);
            step = 'helo';
            socket.write(`HELO ${helo}\r\n`);
            return;
          }
          if (r.code !== 250) return fail(`${where}: HELO answered ${JSON.stringify(r.text)}, not 250`);
          finish({ ok: true, latencyMs: since(start) });
        });
        socket.once('end', () =>
          fail(`${where} closed the connection ${step === 'banner' ? 'before its greeting' : 'after HELO'}`),
        );
      }),
  );
}
