// The VRRP thread's heartbeat as the main thread reads it (src/daemon/engine-worker.ts): a
// CLOCK_MONOTONIC timestamp the thread stores in shared memory (WorkerData.beat), read when
// the watchdog asks, with no message per beat; the beats' lateness arrives in batches and
// each value reaches onLateness. The thread here is a stand-in that beats on command.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/model.js';
import { EngineWorker } from '../../src/daemon/engine-worker.js';
import type { Log } from '../../src/log.js';

const dir = mkdtempSync(join(tmpdir(), 'vrrpd-engine-beat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const WORKER = join(dir, 'worker.mjs');
writeFileSync(
  WORKER,
  `import { parentPort, workerData } from 'node:worker_threads';
const beat = new BigInt64Array(workerData.beat);
parentPort.on('message', (m) => {
  if (m.type !== 'snapshot') return;
  // 'snapshot' stands for "beat now and report two latenesses"
  Atomics.store(beat, 0, process.hrtime.bigint());
  parentPort.postMessage({ type: 'lateness', seconds: [0.001, 0.25] });
  parentPort.postMessage({ type: 'snapshot', id: m.id, snapshot: {
    instances: [], syncGroups: [], interfaceDrops: {}, links: {}, presentAddresses: [], now: 0 } });
});
parentPort.postMessage({ type: 'ready' });
`,
);

const noop = () => {};
const log = { info: noop, warn: noop, error: noop, debug: noop } as unknown as Log;

describe('the VRRP thread heartbeat', () => {
  it('is read from shared memory (no beat yet: infinitely old); lateness batches reach onLateness', async () => {
    const late: number[] = [];
    const w = new EngineWorker({
      url: pathToFileURL(WORKER),
      config: { virtualServers: [] } as unknown as Config,
      heartbeatMs: 500,
      log,
      onStateChange: noop,
      onFailure: noop,
      onLateness: (s) => late.push(s),
    });
    await w.start();
    try {
      expect(w.heartbeatAgeMs()).toBe(Number.POSITIVE_INFINITY);
      await w.snapshot();
      const age = w.heartbeatAgeMs();
      expect(age).toBeGreaterThanOrEqual(0);
      expect(age).toBeLessThan(1000);
      await new Promise((r) => setTimeout(r, 60));
      // the same beat, older now: the age is read at the call, not when a message came
      expect(w.heartbeatAgeMs()).toBeGreaterThan(age + 40);
      expect(late).toEqual([0.001, 0.25]);
    } finally {
      await w.stop(100);
    }
  });
});
