// Helpers that run in the failover bench's namespaces:
// - a marker sender in the observer namespace: a UDP broadcast put on the wire right before
//   each fault, so the fault moment and the backup's first GARP are both timestamped by the
//   same capture clock (tcpdump in the observer namespace);
// - an advert watcher (tcpdump -l) that lets the bench inject a fault right after one of
//   the master's adverts, so every trial starts from the same phase of the advert timer;
// - an `ip -batch -` running in the bridge namespace, so a port goes down with one pipe
//   write instead of a fresh `ip` process (a few ms of exec time).
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Topology } from '../../src/lab/netns.js';

export const MARKER_PORT = 9; // discard
export const MARKER_TEXT = 'vrrpd-bench-mark ';

// Runs with `node -e` inside the observer namespace; CommonJS because -e code is.
const markerScript = `
const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
s.bind(() => {
  s.setBroadcast(true);
  require('node:readline').createInterface({ input: process.stdin }).on('line', (id) => {
    s.send(Buffer.from(${JSON.stringify(MARKER_TEXT)} + id), ${MARKER_PORT}, process.argv[1], () => {
      process.stdout.write('sent ' + id + '\\n');
    });
  });
  process.stdout.write('ready\\n');
});
`;

function lines(child: ChildProcess, onLine: (l: string) => void): void {
  if (!child.stdout) throw new Error('child has no stdout');
  createInterface({ input: child.stdout }).on('line', onLine);
}

export interface MarkerSender {
  /** Sends marker `id` and resolves once it has left the socket (with the round trip in ms). */
  send(id: number): Promise<number>;
}

export async function startMarker(topo: Topology, host: string, broadcast: string): Promise<MarkerSender> {
  const child = topo.spawn(host, [process.execPath, '-e', markerScript, broadcast]);
  const waiting = new Map<string, () => void>();
  let ready: () => void = () => {};
  const isReady = new Promise<void>((r) => {
    ready = r;
  });
  lines(child, (l) => {
    if (l === 'ready') ready();
    const cb = waiting.get(l);
    if (cb) {
      waiting.delete(l);
      cb();
    }
  });
  await Promise.race([
    isReady,
    new Promise((_, rej) => setTimeout(() => rej(new Error('marker sender did not start')), 10_000)),
  ]);
  return {
    send(id) {
      const t0 = performance.now();
      return new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`marker ${id} not sent`)), 5000);
        waiting.set(`sent ${id}`, () => {
          clearTimeout(t);
          resolve(performance.now() - t0);
        });
        child.stdin?.write(`${id}\n`);
      });
    },
  };
}

export interface AdvertWatcher {
  /** Resolves at the next advert from the watched source seen on the observer's wire. */
  next(timeoutMs: number): Promise<void>;
}

export async function startAdvertWatcher(topo: Topology, host: string, src: string): Promise<AdvertWatcher> {
  const child = topo.spawn(host, [
    'tcpdump',
    '-l',
    '-n',
    '--immediate-mode',
    '-i',
    topo.host(host).ifname,
    '-Q',
    'in',
    `ip proto 112 and src ${src}`,
  ]);
  let waiter: (() => void) | null = null;
  lines(child, () => {
    const w = waiter;
    waiter = null;
    w?.();
  });
  let listening: () => void = () => {};
  const isListening = new Promise<void>((r) => {
    listening = r;
  });
  child.stderr?.on('data', (d: Buffer) => {
    if (d.toString().includes('listening on')) listening();
  });
  await isListening;
  return {
    next(timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => {
          waiter = null;
          reject(new Error(`no advert from ${src} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    },
  };
}

export interface BridgeBatch {
  /** Writes one `ip` command (without the leading `ip`) to the batch process. */
  run(cmd: string): void;
  close(): Promise<void>;
}

export function startBridgeBatch(topo: Topology): BridgeBatch {
  const child = spawn('ip', ['-n', topo.bridgeNs, '-force', '-batch', '-'], {
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  return {
    run(cmd) {
      child.stdin.write(`${cmd}\n`);
    },
    close() {
      return new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin.end();
        setTimeout(() => {
          if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
        }, 2000);
      });
    },
  };
}
