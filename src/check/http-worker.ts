// Entry point of an HTTP check thread (http-pool.ts): runs the HTTP/HTTPS GET probes
// (http.ts) the main thread sends it and posts their results back, in batches: the
// requests of one turn of the main thread arrive as one message, and the results
// finished within RESULT_BATCH_MS leave as one message.
import { parentPort } from 'node:worker_threads';
import { type HttpProbeOptions, httpProbe, httpProbeUrl } from './http.js';
import { crossThreadNow, type PoolRequest, type PoolResult, queuedTooLong } from './http-pool.js';
import { describeError, type Probe, type ProbeResult } from './probe.js';

if (!parentPort) throw new Error('check/http-worker.ts must run in a worker_thread');
const port = parentPort;

const probes = new Map<number, { probe: Probe; url: string; queueLimitMs: number }>();
const running = new Map<number, AbortController>();
let outbox: PoolResult[] = [];
let flushing = false;
/**
 * Results wait this long to share a message. Why: each message costs a structured clone here
 * and a wake-up of the main thread; flushed every loop turn, postMessage alone was ~11 % of a
 * check thread's busy time at a few thousand checks/s (a CPU profile of bench/checks.ts). A
 * check's interval is seconds: 5 ms more before its result is counted changes nothing.
 */
const RESULT_BATCH_MS = 5;

function report(id: number, r: ProbeResult): void {
  running.delete(id);
  outbox.push(r.ok ? [id, 1, r.latencyMs] : [id, r.notRun ? 2 : 0, r.latencyMs, r.reason]);
  if (flushing) return;
  flushing = true;
  setTimeout(() => {
    flushing = false;
    const batch = outbox;
    outbox = [];
    port.postMessage({ results: batch });
  }, RESULT_BATCH_MS);
}

port.on('message', (m: PoolRequest) => {
  for (const [idx, opts, queueLimitMs] of m.defs ?? []) {
    const o = opts as HttpProbeOptions;
    // a Buffer crosses threads as a Uint8Array
    if (o.ca && !(typeof o.ca === 'string') && !Buffer.isBuffer(o.ca)) o.ca = Buffer.from(o.ca);
    probes.set(idx, { probe: httpProbe(o), url: httpProbeUrl(o), queueLimitMs });
  }
  for (const idx of m.undefs ?? []) probes.delete(idx);
  for (const [id, reason] of m.aborts ?? []) running.get(id)?.abort(new Error(reason));
  const now = crossThreadNow();
  for (const [id, idx, sentAt] of m.runs ?? []) {
    const def = probes.get(idx);
    if (!def) {
      report(id, { ok: false, reason: 'HTTP check not defined in its thread', latencyMs: 0 });
      continue;
    }
    // Waited longer than its limit (the thread was busy): not started, and not the server's
    // failure. The attempt's own timeout starts below, with the attempt.
    const waited = Math.max(0, now - sentAt);
    if (waited > def.queueLimitMs) {
      report(id, {
        ok: false,
        reason: queuedTooLong(def.url, waited, def.queueLimitMs),
        latencyMs: waited,
        notRun: true,
      });
      continue;
    }
    const probe = def.probe;
    const ac = new AbortController();
    running.set(id, ac);
    const start = performance.now();
    probe(ac.signal).then(
      (r) => report(id, r),
      (err: unknown) =>
        report(id, { ok: false, reason: describeError(err), latencyMs: performance.now() - start }),
    );
  }
});
