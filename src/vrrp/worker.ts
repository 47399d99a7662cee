// Entry point of the VRRP engine's worker_thread (ARCHITECTURE rule 7): its own event
// loop and heap, so checks, reloads and the control plane never delay an advert.
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { createAddressManager } from '../effects/address-manager.js';
import { createFrameSender } from '../effects/frame-sender.js';
import { createLinkWatcher } from '../effects/link-watcher.js';
import { createRawTransport } from '../effects/raw-transport.js';
import { createVmac, deleteLink, setParentArpSysctls } from '../effects/vmac.js';
import { createVmacReceiver } from '../effects/vmac-receiver.js';
import { Engine } from './engine.js';
import type { FromWorker, ToWorker, WorkerData } from './worker-protocol.js';

if (!parentPort) throw new Error('vrrp/worker.ts must run in a worker_thread');
const port = parentPort;
const data = workerData as WorkerData;
const post = (m: FromWorker) => port.postMessage(m);

async function main(): Promise<void> {
  const engine = new Engine(data.config, {
    clock: {
      now: () => performance.now(),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
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
    openVmacReceiver: (ifname, family, onPacket, onError) => createVmacReceiver(ifname, family, onPacket, onError),
    log: (level, obj, msg) => post({ type: 'log', level, obj, msg }),
    onStateChange: (ev) => post({ type: 'state-change', ...ev }),
  });

  // The heartbeat comes from this loop itself: if the engine's loop stalls, the main
  // thread stops forwarding WATCHDOG=1 and systemd restarts us.
  const hb = setInterval(() => post({ type: 'heartbeat', at: performance.now() }), data.heartbeatMs);

  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'snapshot':
        void engine.snapshot().then((snapshot) => post({ type: 'snapshot', id: m.id, snapshot }));
        break;
      case 'script-result':
        engine.setScriptResult(m.name, m.ok);
        break;
      case 'reload':
        engine.reload(m.config).then(
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
      case 'shutdown':
        clearInterval(hb);
        engine.stop().finally(() => {
          post({ type: 'stopped' });
          port.close();
        });
        break;
    }
  });

  await engine.start();
  post({ type: 'ready' });
}

main().catch((err: unknown) => {
  const e = err as { message?: string; code?: string };
  post({ type: 'fatal', message: e.message ?? String(err), ...(e.code ? { code: e.code } : {}) });
});
