// Entry point of the VRRP engine's worker_thread (ARCHITECTURE rule 7): its own event
// loop and heap, so checks, reloads and the control plane never delay an advert.
import { execFile } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { createAcceptFilter } from '../effects/accept-filter.js';
import { createAddressManager } from '../effects/address-manager.js';
import { createFrameSender } from '../effects/frame-sender.js';
import { createLinkWatcher } from '../effects/link-watcher.js';
import { createRawTransport } from '../effects/raw-transport.js';
import { createRoutingManager } from '../effects/routing-manager.js';
import { createVmac, deleteLink, setParentArpSysctls } from '../effects/vmac.js';
import { createVmacReceiver } from '../effects/vmac-receiver.js';
import type { Log, LogFields, LogLevel } from '../log.js';
import { claimSignals, watchSignal } from '../native/index.js';
import { startMark } from '../start-marks.js';
import { Engine } from './engine.js';
import { clearPreciseTimer, type PreciseTimerHandle, setPreciseTimer } from './precise-timer.js';
import type { FromWorker, ToWorker, WorkerData } from './worker-protocol.js';

if (!parentPort) throw new Error('vrrp/worker.ts must run in a worker_thread');
const port = parentPort;
const data = workerData as WorkerData;
const post = (m: FromWorker) => port.postMessage(m);
// start-up marks (VRRPD_START_MARKS=1): this thread's bundle compiled, its modules evaluated
const workerBundleAt = (globalThis as { vrrpdBundleAt?: number }).vrrpdBundleAt;
if (workerBundleAt !== undefined) startMark('worker-compiled', workerBundleAt);
startMark('worker-evaluated');

/**
 * The engine's Log: every line crosses to the main thread's logger as a message. Written
 * here rather than taken from log.ts (its logThrough does the same) so that this thread
 * never loads pino, which only the main thread writes with: ~6 MB less resident memory.
 */
function forwardLog(bindings?: LogFields): Log {
  const at = (level: LogLevel) => (obj: LogFields, msg?: string) =>
    post({ type: 'log', level, obj: bindings ? { ...bindings, ...obj } : obj, msg });
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: (more) => forwardLog({ ...bindings, ...more }),
  };
}

// This thread needs ~1 % of a core, but when it wakes for an advert it must get a CPU at
// once: on a busy director (10,000 checks/s in the main thread, their softirqs, other
// services) a runnable-but-waiting thread sent 50 ms adverts up to 50-90 ms late
// (bench/advert-gaps.ts). So this thread alone asks for a real-time policy (SCHED_RR, as
// keepalived's vrrp_rt_priority does for its VRRP process); where that is refused (no
// CAP_SYS_NICE, no chrt) it falls back to the highest nice value. Linux applies both per
// thread, and /proc/thread-self names this thread's id. VRRPD_VRRP_THREAD_SCHED=nice|none
// opts out (benchmarks compare with it; a host that forbids real-time threads).
/** heartbeat lateness goes to the main thread this often (the metric), or ... */
const LATENESS_REPORT_MS = 5000;
/** ... at once after a beat this late (s): a stall shows in the metric without delay */
const LATE_NOW_S = 0.05;
const RT_PRIORITY = 10;
const NICE_FALLBACK = -20;
function raiseSchedulingPriority(): void {
  let tid: number;
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return;
  } catch {
    return; // not Linux
  }
  const mode = process.env.VRRPD_VRRP_THREAD_SCHED ?? 'rr';
  const nice = (why: string) => {
    try {
      setPriority(tid, NICE_FALLBACK);
      post({
        type: 'log',
        level: 'info',
        obj: { event: 'vrrp-thread-priority', tid, nice: NICE_FALLBACK, why },
        msg: `VRRP thread ${tid}: nice ${NICE_FALLBACK} (${why})`,
      });
    } catch (e) {
      post({
        type: 'log',
        level: 'warn',
        obj: { event: 'vrrp-thread-priority', tid, err: String(e) },
        msg: `VRRP thread ${tid}: could not raise its priority (${why}; nice: ${String(e)}); adverts may be late when the CPU is busy`,
      });
    }
  };
  if (mode === 'none') {
    post({
      type: 'log',
      level: 'info',
      obj: { event: 'vrrp-thread-priority', tid, policy: 'default' },
      msg: `VRRP thread ${tid}: default scheduling (VRRPD_VRRP_THREAD_SCHED=none)`,
    });
    return;
  }
  if (mode === 'nice') {
    nice('asked for');
    return;
  }
  // --reset-on-fork: anything this thread spawns later starts with the normal policy.
  const argv = ['--rr', '--reset-on-fork', '-p', String(RT_PRIORITY), String(tid)];
  execFile('chrt', argv, { timeout: 5000 }, (err) => {
    if (err) {
      nice(`SCHED_RR refused: ${err.message.split('\n')[0]}`);
      return;
    }
    post({
      type: 'log',
      level: 'info',
      obj: { event: 'vrrp-thread-priority', tid, policy: 'SCHED_RR', rtPriority: RT_PRIORITY },
      msg: `VRRP thread ${tid}: SCHED_RR priority ${RT_PRIORITY}`,
    });
  });
}

async function main(): Promise<void> {
  raiseSchedulingPriority();
  const engine = new Engine(data.config, {
    clock: {
      now: () => performance.now(),
      // takeover deadlines to a fraction of a millisecond; the rest (adverts) as libuv gives
      setTimer: (fn, ms, precise) =>
        precise ? setPreciseTimer(fn, ms, () => performance.now()) : setTimeout(fn, ms),
      clearTimer: (h) => {
        if (h && typeof h === 'object' && 'cancelled' in h) clearPreciseTimer(h as PreciseTimerHandle);
        else clearTimeout(h as NodeJS.Timeout);
      },
    },
    openTransport: (opts) => createRawTransport(opts),
    addresses: createAddressManager(),
    frames: createFrameSender(),
    links: createLinkWatcher(),
    // arp_ignore=1 on the macvlan too: otherwise every vmac of the parent (another VRID's,
    // an IPv6 instance's) answers ARP for the VIP with its own MAC (Linux weak host model).
    ensureVmac: async (parent, name, mac) => {
      const ifindex = await createVmac(parent, name, mac);
      await setParentArpSysctls(name);
      return ifindex;
    },
    removeVmac: (name) => deleteLink(name),
    acceptFilter: createAcceptFilter(),
    routing: createRoutingManager(),
    openVmacReceiver: (ifname, family, onPacket, onError) =>
      createVmacReceiver(ifname, family, onPacket, onError),
    log: forwardLog(),
    onStateChange: (ev) => post({ type: 'state-change', ...ev }),
    // the instances' start after vrrp_startup_delay failed: this thread ends as a failed
    // start would have ended it (the daemon logs it and exits non-zero)
    onFatal: (err) =>
      setImmediate(() => {
        throw err instanceof Error ? err : new Error(String(err));
      }),
  });

  // The heartbeat comes from this loop itself: if the engine's loop stalls, the main
  // thread stops forwarding WATCHDOG=1 and systemd restarts us. It is a timestamp in
  // shared memory, read by the main thread when its watchdog timer runs; how late each
  // beat was (the loop's delay, which adverts suffer too) goes over in a batch every
  // LATENESS_REPORT_MS, or at once when a beat was LATE_NOW_S late, so that neither
  // thread wakes the other twice a second for nothing.
  const signals: { close(): void }[] = [];
  const beat = data.beat ? new BigInt64Array(data.beat) : null;
  const stamp = () => {
    if (beat) Atomics.store(beat, 0, process.hrtime.bigint());
  };
  let lastBeatAt = performance.now();
  let lastReportAt = lastBeatAt;
  let lateness: number[] = [];
  stamp();
  const hb = setInterval(() => {
    stamp();
    const at = performance.now();
    const late = (at - lastBeatAt - data.heartbeatMs) / 1000;
    lastBeatAt = at;
    lateness.push(late);
    if (late >= LATE_NOW_S || at - lastReportAt >= LATENESS_REPORT_MS) {
      post({ type: 'lateness', seconds: lateness });
      lateness = [];
      lastReportAt = at;
    }
  }, data.heartbeatMs);

  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'snapshot':
        void engine.snapshot().then((snapshot) => post({ type: 'snapshot', id: m.id, snapshot }));
        break;
      case 'script-result':
        engine.setScriptResult(m.name, m.ok);
        break;
      case 'tracker-value':
        engine.setTrackerValue(m.kind, m.name, m.value);
        break;
      case 'reload':
        engine.reload(m.config, m.instances).then(
          (result) => post({ type: 'reloaded', id: m.id, result }),
          (err: unknown) =>
            post({ type: 'reloaded', id: m.id, error: String(err instanceof Error ? err.message : err) }),
        );
        break;
      case 'debug-stall': {
        // Test hook: block this loop (no adverts, no heartbeat) as a runaway engine
        // would, so tests can watch the daemon withhold WATCHDOG=1.
        if (!data.testHooks) break;
        const until = performance.now() + Math.min(Math.max(0, m.ms), 60_000);
        while (performance.now() < until) {
          // busy-wait on purpose
        }
        break;
      }
      case 'arm-signals':
        // SIGTERM/SIGINT wake this thread itself (the addon's signal handle on this loop):
        // the priority-0 adverts leave without waiting for the main thread, which may be
        // busy with checks or not scheduled yet, to wake and send 'shutdown'. The main
        // thread's stop follows as usual; engine.stop() is idempotent.
        if (signals.length === 0) {
          for (const sig of ['SIGTERM', 'SIGINT'] as const) {
            const w = watchSignal(sig, () => {
              void engine.stop();
            });
            if (w) signals.push(w);
          }
          // ... and the kernel hands SIGTERM/SIGINT to this thread: every other thread
          // blocks them. Their handler (libuv's) then runs here at once, rather than first
          // on the main thread, which had to be scheduled before this loop heard of it
          // (0.3-4 ms more before the priority-0 adverts). The main thread still hears
          // them through its loop; SIGHUP (reload, the main thread's) is left as it is.
          if (signals.length > 0) {
            try {
              const claim = claimSignals(['SIGTERM', 'SIGINT']);
              if (claim) {
                signals.push({ close: () => claim.release() });
                if (claim.open > 0)
                  post({
                    type: 'log',
                    level: 'warn',
                    obj: { event: 'signal-claim', open: claim.open, blocking: claim.blocking },
                    msg: `SIGTERM may still reach ${claim.open} other thread(s) first; priority-0 adverts may leave later`,
                  });
              }
            } catch (e) {
              post({
                type: 'log',
                level: 'warn',
                obj: { event: 'signal-claim', err: String(e) },
                msg: `could not route SIGTERM to the VRRP thread (${String(e)}); priority-0 adverts may leave later`,
              });
            }
          }
          port.once('close', () => {
            for (const s of signals) s.close();
          });
        }
        break;
      case 'shutdown':
        // engine.stop() sends the priority-0 adverts before it returns: nothing goes first
        // (when the signal reached this thread first, they are already on the wire)
        engine.stop().finally(() => {
          post({ type: 'stopped' });
          port.close();
        });
        clearInterval(hb);
        break;
    }
  });

  await engine.start();
  startMark('worker-ready');
  post({ type: 'ready' });
}

main().catch((err: unknown) => {
  const e = err as { message?: string; code?: string };
  post({ type: 'fatal', message: e.message ?? String(err), ...(e.code ? { code: e.code } : {}) });
});
