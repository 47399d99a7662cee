// FrameSender over AF_PACKET (gratuitous ARP, RFC 5227 §3 / RFC 5798 §6.4.2; unsolicited NA,
// RFC 4861 §7.2.6). One socket per interface, opened on first use and kept; if the interface
// disappears or is re-created (new ifindex) the send fails once with ENODEV/ENXIO, so we reopen
// by name and retry exactly once.
import { type NativeError, openPacketSocket, type PacketSocket } from '../native/index.js';
import type { FrameSender } from './types.js';

const STALE = new Set(['ENODEV', 'ENXIO', 'ENETDOWN']);

export function createFrameSender(): FrameSender {
  const sockets = new Map<string, PacketSocket>();
  const get = (ifname: string): PacketSocket => {
    let s = sockets.get(ifname);
    if (!s) {
      s = openPacketSocket(ifname);
      s.setRef(false);
      sockets.set(ifname, s);
    }
    return s;
  };
  const drop = (ifname: string): void => {
    sockets.get(ifname)?.close();
    sockets.delete(ifname);
  };
  return {
    send(ifname, frame) {
      try {
        try {
          get(ifname).send(frame);
        } catch (err) {
          if (!STALE.has((err as NativeError).code)) throw err;
          drop(ifname);
          get(ifname).send(frame);
        }
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    },
    close() {
      for (const name of [...sockets.keys()]) drop(name);
    },
  };
}
