// Status requests and the VRRP thread (issue #16, part 4): however many control clients ask
// for status at once, the main thread asks the VRRP thread for one snapshot at a time, at
// most once per SNAPSHOT_MIN_GAP_MS, and every caller gets a snapshot taken after it asked.
// The thread here is a stand-in worker that answers snapshot requests and counts them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/model.js';
import { EngineWorker, SNAPSHOT_MIN_GAP_MS } from '../../src/daemon/engine-worker.js';
import type { Log } from '../../src/log.js';

const dir = mkdtempSync(join(tmpdir(), 'vrrpd-engine-snap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const WORKER = join(dir, 'worker.mjs');
writeFileSync(
  WORKER,
  `import { parentPort } from 'node:worker_threads';
let asked = 0;
parentPort.on('message', (m) => {
  if (m.type !== 'snapshot') return;
  asked++;
  // answered a little later, as a busy engine would
  setTimeout(() => parentPort.postMessage({ type: 'snapshot', id: m.id, snapshot: {
    instances: [], syncGroups: [], interfaceDrops: {}, links: {}, presentAddresses: [],
    now: performance.timeOrigin + performance.now(), asked } }), 5);
});
parentPort.postMessage({ type: 'ready' });
`,
);

const noop = () => {};
const log = { info: noop, warn: noop, error: noop, debug: noop } as unknown as Log;

describe('engine snapshots under many status requests', () => {
  it('1,000 callers at once: the thread is asked twice at most; each answer taken after its caller asked', async () => {
    const w = new EngineWorker({
      url: pathToFileURL(WORKER),
      config: { virtualServers: [] } as unknown as Config,
      heartbeatMs: 1000,
      log,
      onStateChange: noop,
      onFailure: noop,
    });
    await w.start();
    try {
      const first = await w.snapshot(); // one before: the next ones wait out the gap
      const t = performance.timeOrigin + performance.now();
      const all = await Promise.all(Array.from({ length: 1000 }, () => w.snapshot()));
      const asked = (s: unknown) => (s as { asked: number }).asked;
      expect(asked(first)).toBe(1);
      // all 1,000 shared one request, sent after they asked
      expect(new Set(all.map(asked))).toEqual(new Set([2]));
      for (const s of all) expect(s.now).toBeGreaterThanOrEqual(t);
      // a caller arriving while a request is out waits for the next one (never an older answer)
      const a = w.snapshot();
      await new Promise((r) => setTimeout(r, 1)); // a's request is waiting out the gap or out
      const b = w.snapshot();
      const [sa, sb] = await Promise.all([a, b]);
      expect(asked(sb)).toBeGreaterThanOrEqual(asked(sa));
      expect(asked(sb)).toBeLessThanOrEqual(4);
      // requests are SNAPSHOT_MIN_GAP_MS apart at least: 10 rounds take 9 gaps
      const t0 = performance.now();
      for (let i = 0; i < 10; i++) await Promise.all([w.snapshot(), w.snapshot()]);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(9 * SNAPSHOT_MIN_GAP_MS);
    } finally {
      await w.stop(100);
    }
  });
});
