// The kernel's process events connector (NETLINK_CONNECTOR, CN_IDX_PROC): the subscribe
// message and the events (linux/connector.h, linux/cn_proc.h). Pure.

export const NETLINK_CONNECTOR = 11;
export const CN_IDX_PROC = 1;
export const CN_VAL_PROC = 1;
const PROC_CN_MCAST_LISTEN = 1;
const PROC_CN_MCAST_IGNORE = 2;
const NLMSG_DONE = 3;
const NLMSG_HDRLEN = 16;
/** struct cn_msg without its data */
const CN_MSG_LEN = 20;
/** what, cpu, timestamp_ns */
const EVENT_HEAD = 16;

export const PROC_EVENT = {
  NONE: 0x0,
  FORK: 0x1,
  EXEC: 0x2,
  COMM: 0x200,
  EXIT: 0x80000000,
} as const;

/** One process event, threads left out (only thread-group leaders: processes). */
export type CnProcEvent =
  | { type: 'ack'; err: number }
  | { type: 'fork'; parentPid: number; childPid: number }
  | { type: 'exec'; pid: number }
  | { type: 'comm'; pid: number; comm: string }
  | { type: 'exit'; pid: number };

/** The nlmsghdr + cn_msg + op that subscribes to (or, `listen` false, leaves) the events. */
export function subscribeMessage(listen: boolean, seq = 0): Buffer {
  const b = Buffer.alloc(NLMSG_HDRLEN + CN_MSG_LEN + 4);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(NLMSG_DONE, 4);
  b.writeUInt32LE(seq, 8);
  let o = NLMSG_HDRLEN;
  b.writeUInt32LE(CN_IDX_PROC, o);
  b.writeUInt32LE(CN_VAL_PROC, o + 4);
  b.writeUInt32LE(seq, o + 8);
  b.writeUInt16LE(4, o + 16);
  o += CN_MSG_LEN;
  b.writeUInt32LE(listen ? PROC_CN_MCAST_LISTEN : PROC_CN_MCAST_IGNORE, o);
  return b;
}

/** The events in one datagram; messages that are not process events are skipped. */
export function parseCnProc(buf: Buffer): CnProcEvent[] {
  const out: CnProcEvent[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || off + len > buf.length) break;
    const cn = off + NLMSG_HDRLEN;
    const ev = cn + CN_MSG_LEN;
    if (
      len >= NLMSG_HDRLEN + CN_MSG_LEN + EVENT_HEAD &&
      buf.readUInt32LE(cn) === CN_IDX_PROC &&
      buf.readUInt32LE(cn + 4) === CN_VAL_PROC
    ) {
      const dataLen = buf.readUInt16LE(cn + 16);
      const end = Math.min(off + len, ev + dataLen);
      const what = buf.readUInt32LE(ev);
      const d = ev + EVENT_HEAD;
      const has = (n: number) => d + n <= end;
      if (what === PROC_EVENT.NONE && has(4)) out.push({ type: 'ack', err: buf.readUInt32LE(d) });
      else if (what === PROC_EVENT.FORK && has(16)) {
        const childPid = buf.readInt32LE(d + 8);
        const childTgid = buf.readInt32LE(d + 12);
        if (childPid === childTgid) out.push({ type: 'fork', parentPid: buf.readInt32LE(d + 4), childPid });
      } else if (what === PROC_EVENT.EXEC && has(8)) {
        out.push({ type: 'exec', pid: buf.readInt32LE(d + 4) });
      } else if (what === PROC_EVENT.COMM && has(24)) {
        const pid = buf.readInt32LE(d);
        if (pid === buf.readInt32LE(d + 4)) {
          const raw = buf.subarray(d + 8, d + 24);
          const nul = raw.indexOf(0);
          out.push({ type: 'comm', pid, comm: raw.subarray(0, nul < 0 ? 16 : nul).toString('latin1') });
        }
      } else if (what === PROC_EVENT.EXIT && has(8)) {
        const pid = buf.readInt32LE(d);
        if (pid === buf.readInt32LE(d + 4)) out.push({ type: 'exit', pid });
      }
    }
    off += (len + 3) & ~3;
  }
  return out;
}
