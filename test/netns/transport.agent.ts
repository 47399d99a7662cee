// Test agent for test/netns/transport.test.ts: runs inside a network namespace (spawned with
// `ip netns exec <ns> node --import tsx test/netns/transport.agent.ts`) and drives the real
// transports there. JSON lines: requests on stdin, replies/events on stdout.
// With `worker: true` an `open` runs the transport inside a worker_thread of this agent.
import { createInterface } from 'node:readline';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { createFrameSender } from '../../src/effects/frame-sender.js';
import { createRawTransport } from '../../src/effects/raw-transport.js';
import type { AdvertTransport, ReceivedPacket } from '../../src/effects/types.js';
import {
  ifNameToIndex,
  type NativeError,
  openPacketSocket,
  openRawIpSocket,
} from '../../src/native/index.js';
import { formatIp } from '../../src/net/addr.js';
import { parseIpPacket } from '../../src/net/ip-header.js';

type Req = { reqId: number; op: string; [k: string]: unknown };
type Emit = (o: object) => void;

function errJson(e: unknown): object {
  const err = e as NativeError;
  return { code: err.code, syscall: err.syscall, message: err.message };
}

/** What a transport handed over, taken apart as the engine does (src/net/ip-header.ts). */
function packetFacts(p: ReceivedPacket): object {
  const parsed = 'ip' in p ? parseIpPacket(p.ip, p.family) : { ok: true as const, value: p };
  if (!parsed.ok) return { family: p.family, ifindex: p.ifindex, ipDrop: parsed.reason };
  const ip = parsed.value;
  return {
    family: p.family,
    ifindex: p.ifindex,
    srcAddress: formatIp(ip.src),
    dstAddress: formatIp(ip.dst),
    ttl: ip.ttl,
    payload: ip.payload.toString('hex'),
  };
}

/** The operations both the main thread and a worker can run. */
function makeHandler(emit: Emit) {
  const transports = new Map<string, AdvertTransport>();
  const closers: Array<() => void> = [];
  const frames = createFrameSender();
  return async (r: Req): Promise<object> => {
    switch (r.op) {
      case 'ping':
        return { pong: true };
      case 'ifindex':
        return { ifindex: ifNameToIndex(String(r.ifname)) };
      case 'open': {
        const id = String(r.id);
        const t = createRawTransport({
          family: r.family as 4 | 6,
          ifname: String(r.ifname),
          unicastPeers: r.unicastPeers as string[] | undefined,
        });
        t.onPacket((p) => emit({ ev: 'packet', id, ...packetFacts(p) }));
        t.onError((e) => emit({ ev: 'error', id, error: errJson(e) }));
        transports.set(id, t);
        return {};
      }
      case 'send': {
        const t = transports.get(String(r.id));
        if (!t) throw new Error(`no transport ${r.id}`);
        await t.send(Buffer.from(String(r.payload), 'hex'), String(r.dst), r.src as string | undefined);
        return {};
      }
      case 'rawSend': {
        // A second socket that sends protocol 112 with a chosen TTL (what a router hop leaves).
        const s = openRawIpSocket({ family: r.family as 4 | 6, protocol: 112, ifname: String(r.ifname) });
        try {
          s.sendTo(Buffer.from(String(r.payload), 'hex'), String(r.dst), { ttl: Number(r.ttl) });
        } finally {
          s.close();
        }
        return {};
      }
      case 'frameSend':
        await frames.send(String(r.ifname), Buffer.from(String(r.frame), 'hex'));
        return {};
      case 'capture': {
        const p = openPacketSocket(String(r.ifname), { protocol: 0x0003 /* ETH_P_ALL */ });
        p.onFrame((frame, info) =>
          emit({ ev: 'frame', frame: frame.toString('hex'), pkttype: info.pkttype }),
        );
        closers.push(() => p.close());
        return {};
      }
      case 'close': {
        transports.get(String(r.id))?.close();
        transports.delete(String(r.id));
        return {};
      }
      case 'closeAll':
        for (const t of transports.values()) t.close();
        transports.clear();
        for (const c of closers.splice(0)) c();
        frames.close();
        return {};
      default:
        throw new Error(`unknown op ${r.op}`);
    }
  };
}

if (isMainThread) {
  const emit: Emit = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
  const handle = makeHandler(emit);
  let worker: Worker | undefined;
  const pending = new Map<number, (o: object) => void>();
  const rl = createInterface({ input: process.stdin });
  rl.on('line', async (line) => {
    const r = JSON.parse(line) as Req;
    try {
      if (r.op === 'startWorker') {
        // Node 20 does not apply `--import tsx` to workers: load this file through tsx's API.
        const api = import.meta.resolve('tsx/esm/api');
        const self = JSON.stringify(import.meta.url);
        worker = new Worker(`import(${JSON.stringify(api)}).then((m) => m.tsImport(${self}, ${self}))`, {
          eval: true,
        });
        worker.on('message', (m: { reqId?: number; ev?: string }) => {
          if (m.ev) emit({ ...m, fromWorker: true });
          else if (m.reqId !== undefined) pending.get(m.reqId)?.(m);
        });
        worker.on('error', (e) => emit({ ev: 'workerError', error: errJson(e) }));
        worker.on('exit', (code) => emit({ ev: 'workerExit', code }));
        emit({ reqId: r.reqId, ok: true });
      } else if (r.op === 'terminateWorker') {
        const code = await worker?.terminate();
        worker = undefined;
        emit({ reqId: r.reqId, ok: true, code });
      } else if (r.inWorker) {
        if (!worker) throw new Error('no worker');
        const reply = await new Promise<object>((resolve) => {
          pending.set(r.reqId, resolve);
          worker!.postMessage(r);
        });
        pending.delete(r.reqId);
        emit(reply);
      } else {
        emit({ reqId: r.reqId, ok: true, ...(await handle(r)) });
      }
    } catch (e) {
      emit({ reqId: r.reqId, ok: false, error: errJson(e) });
    }
  });
  rl.on('close', () => process.exit(0));
} else {
  const port = parentPort!;
  const handle = makeHandler((o) => port.postMessage(o));
  port.on('message', async (r: Req) => {
    try {
      port.postMessage({ reqId: r.reqId, ok: true, ...(await handle(r)) });
    } catch (e) {
      port.postMessage({ reqId: r.reqId, ok: false, error: errJson(e) });
    }
  });
}
