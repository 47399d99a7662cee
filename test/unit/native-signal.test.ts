// The addon's watchSignal (native/src/signal_watch.cc): a worker thread hears a signal on
// its own loop, beside the main thread's process.on handler; close() and a worker torn
// down with the handle still open end cleanly. Runs in a child process so the signals
// never reach the test runner.
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
const addon = ${JSON.stringify(addonPath)};
const w = new Worker(\`
  const { parentPort } = require('node:worker_threads');
  const a = require(\${JSON.stringify(addon)});
  const SIGUSR2 = require('node:os').constants.signals.SIGUSR2;
  const closeA = a.watchSignal(SIGUSR2, (n) => { parentPort.postMessage('heard ' + n); closeA(); });
  // a second handle left open: the worker's teardown must close it
  a.watchSignal(SIGUSR2, () => parentPort.postMessage('second'));
  setInterval(() => {}, 1000); // the signal handles keep no loop alive
  parentPort.postMessage('ready');
\`, { eval: true });
const got = [];
process.on('SIGUSR2', () => got.push('main'));
w.on('message', (m) => {
  if (m === 'ready') process.kill(process.pid, 'SIGUSR2');
  else got.push(m);
  if (got.length === 3) w.terminate().then(() => { console.log(JSON.stringify(got.sort())); });
});
`;

describe.skipIf(!built)('watchSignal', () => {
  it('a worker hears the signal on its own loop, beside the main thread', () => {
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    const signum = 12; // SIGUSR2 on Linux
    expect(JSON.parse(out.trim())).toEqual([`heard ${signum}`, 'main', 'second']);
  });
});
