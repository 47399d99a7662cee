// The addon's claimSignals (native/src/signal_claim.cc): a worker thread claims a
// process-directed signal, so every other thread of the process (main, V8's and libuv's
// helpers) blocks it and the kernel can only hand it to that worker; the main thread's
// process.on handler still runs (libuv's handler wakes every loop); children start with an
// empty mask; once the worker is gone the main thread takes the signal again. Runs in a
// child process so the signals never reach the test runner.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inCI } from '../helpers/env.js';

const addonPath = join(import.meta.dirname, '../../native/build/Release/vrrpd_native.node');
const built = existsSync(addonPath);
if (!built && inCI) throw new Error('native/build/Release/vrrpd_native.node missing: build the addon first');

const script = `
const { Worker } = require('node:worker_threads');
const { readdirSync, readFileSync, readlinkSync } = require('node:fs');
const { execFileSync } = require('node:child_process');
const SIG = require('node:os').constants.signals.SIGUSR2;
const bit = 1n << BigInt(SIG - 1);
const masks = () => {
  const out = {};
  for (const t of readdirSync('/proc/self/task')) {
    const m = /^SigBlk:\\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/task/' + t + '/status', 'utf8'));
    if (m) out[t] = (BigInt('0x' + m[1]) & bit) !== 0n;
  }
  return out;
};
// some threadpool threads first, as in the daemon (fs work before the worker starts)
require('node:fs').readFile(__filename, () => {});
const addon = ${JSON.stringify(addonPath)};
const w = new Worker(\`
  const { parentPort } = require('node:worker_threads');
  const a = require(\${JSON.stringify(addon)});
  const SIG = require('node:os').constants.signals.SIGUSR2;
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  a.watchSignal(SIG, () => parentPort.postMessage({ heard: true }));
  const c = a.claimSignals([SIG]);
  setInterval(() => {}, 1000);
  parentPort.postMessage({ tid, asked: c.asked, blocking: c.blocking, open: c.open });
\`, { eval: true });
const out = { heardMain: 0, heardWorker: 0 };
process.on('SIGUSR2', () => {
  out.heardMain++;
  if (out.heardMain === 2) {
    console.log(JSON.stringify(out));
    process.exit(0);
  }
});
w.on('message', (m) => {
  if (m.heard) {
    out.heardWorker++;
    return;
  }
  Object.assign(out, m);
  const mk = masks();
  out.unblockedThreads = Object.keys(mk).filter((t) => !mk[t]).map(Number);
  out.threads = Object.keys(mk).length;
  out.child = execFileSync('sh', ['-c', 'grep SigBlk /proc/self/status'], { encoding: 'utf8' }).trim();
  process.kill(process.pid, 'SIGUSR2');
  setTimeout(() => {
    w.terminate().then(() => {
      setTimeout(() => {
        const after = masks();
        out.mainBlockedAfter = after[String(process.pid)];
        process.kill(process.pid, 'SIGUSR2');
      }, 50);
    });
  }, 200);
});
setTimeout(() => { console.log(JSON.stringify(out)); process.exit(1); }, 10000);
`;

describe.skipIf(!built)('claimSignals', () => {
  it('only the claiming worker takes the signal; the main thread still hears it, and takes it back once the worker is gone', () => {
    const out = JSON.parse(
      execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 }).trim(),
    ) as Record<string, unknown>;
    expect(out.open).toBe(0);
    expect(out.blocking).toBeGreaterThanOrEqual(5); // main, V8's workers, libuv's threadpool
    expect(out.unblockedThreads).toEqual([out.tid]);
    expect(out.threads).toBeGreaterThan(out.blocking as number);
    expect(out.child).toBe('SigBlk:\t0000000000000000');
    expect(out.heardWorker).toBe(1);
    expect(out.heardMain).toBe(2);
    expect(out.mainBlockedAfter).toBe(false);
  });
});
