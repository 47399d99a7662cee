// The kernel's process events through the netlink process connector (needs root). The
// connector answers only in the initial network namespace: a daemon started inside
// another one (ip netns exec) opens its socket in global.process_events_netns
// (/proc/1/ns/net) instead; process events do not depend on the network namespace.
import { getSystemErrorName } from 'node:util';
import { openNetlinkSocket } from '../native/index.js';
import { CN_IDX_PROC, NETLINK_CONNECTOR, parseCnProc, subscribeMessage } from '../netlink/cn-proc.js';
import type { OpenProcEvents, ProcEvent, ProcEventSource } from './types.js';

/** The kernel acknowledges the subscription at once; this is a generous bound. */
const ACK_TIMEOUT_MS = 2000;
const RCVBUF_BYTES = 4 * 1024 * 1024;

function errCode(err: unknown): string {
  const e = err as { code?: string; errno?: number };
  if (typeof e?.code === 'string') return e.code;
  return typeof e?.errno === 'number' ? getSystemErrorName(-Math.abs(e.errno)) : String(err);
}

function openIn(netnsPath: string | undefined, onEvent: (e: ProcEvent) => void): Promise<ProcEventSource> {
  return new Promise((resolve, reject) => {
    let s: ReturnType<typeof openNetlinkSocket>;
    try {
      s = openNetlinkSocket(NETLINK_CONNECTOR, {
        groups: [CN_IDX_PROC],
        rcvbufBytes: RCVBUF_BYTES,
        extAck: false,
        ...(netnsPath !== undefined ? { netnsPath } : {}),
      });
    } catch (err) {
      reject(err);
      return;
    }
    let acked = false;
    const close = () => {
      try {
        s.send(subscribeMessage(false));
      } catch {
        // closing anyway
      }
      s.close();
    };
    const timer = setTimeout(() => {
      s.close();
      reject(Object.assign(new Error('the process connector did not acknowledge'), { code: 'ETIMEDOUT' }));
    }, ACK_TIMEOUT_MS);
    s.onError((err) => {
      if (errCode(err) === 'ENOBUFS') onEvent({ type: 'lost' });
    });
    s.onMessage((buf) => {
      for (const e of parseCnProc(buf)) {
        if (e.type === 'ack') {
          if (acked) continue;
          acked = true;
          clearTimeout(timer);
          resolve({ where: netnsPath ?? 'this network namespace', close });
        } else if (acked) onEvent(e.type === 'comm' ? { type: 'comm', pid: e.pid } : e);
      }
    });
    try {
      s.send(subscribeMessage(true));
    } catch (err) {
      clearTimeout(timer);
      s.close();
      reject(err);
    }
  });
}

/** In this network namespace, else (ECONNREFUSED: no connector here) in the initial one. */
export const openProcEvents: OpenProcEvents = async (onEvent, opts) => {
  try {
    return await openIn(undefined, onEvent);
  } catch (err) {
    if (errCode(err) !== 'ECONNREFUSED') throw err;
    return await openIn(opts.initialNetns, onEvent);
  }
};
