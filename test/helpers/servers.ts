// Real servers from Debian's packages for the check and alert tests, on loopback:
// aiosmtpd (python3-aiosmtpd) prints each message it accepts; dnsmasq (dnsmasq-base)
// answers for name.test and refuses the rest. Each start() returns a stop() that ends
// the process it started, by its PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';

export const AIOSMTPD_PYTHON = '/usr/bin/python3';
export const DNSMASQ = '/usr/sbin/dnsmasq';

/** Reasons the servers cannot run here, for missing()-style guards. */
export function serversMissing(): string[] {
  const out: string[] = [];
  if (!existsSync(DNSMASQ)) out.push('dnsmasq (dnsmasq-base)');
  if (!existsSync('/usr/lib/python3/dist-packages/aiosmtpd')) out.push('aiosmtpd (python3-aiosmtpd)');
  return out;
}

/** A TCP port free on 127.0.0.1 a moment ago. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      setTimeout(() => {
        if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      }, 3000).unref();
    });
}

async function waitTcp(port: number, host: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, host);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on ${host}:${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface SmtpServer {
  port: number;
  /** everything the server printed so far (the messages it accepted) */
  output(): string;
  stop(): Promise<void>;
}

export async function startSmtpServer(): Promise<SmtpServer> {
  const port = await freePort();
  const child = spawn(AIOSMTPD_PYTHON, ['-u', '-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const stop = stopper(child);
  try {
    await waitTcp(port, '127.0.0.1', 15_000);
  } catch (err) {
    await stop();
    throw new Error(`aiosmtpd did not start: ${(err as Error).message}\n${out}`);
  }
  return { port, output: () => out, stop };
}

export interface DnsServer {
  port: number;
  stop(): Promise<void>;
}

/** dnsmasq on 127.0.0.1:port: name.test → 192.0.2.9 (A) / 2001:db8::9 (AAAA); other names REFUSED. */
export async function startDnsServer(): Promise<DnsServer> {
  const port = await freePort();
  const child = spawn(
    DNSMASQ,
    [
      '-k',
      '-p',
      String(port),
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      '--no-resolv',
      '--no-hosts',
      '--conf-file=/dev/null',
      '--pid-file=',
      '--user=',
      '--address=/name.test/192.0.2.9',
      '--address=/name.test/2001:db8::9',
      '--log-facility=-',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const stop = stopper(child);
  try {
    await waitTcp(port, '127.0.0.1', 15_000); // dnsmasq also serves DNS over TCP
  } catch (err) {
    await stop();
    throw new Error(`dnsmasq did not start: ${(err as Error).message}\n${out}`);
  }
  return { port, stop };
}
