// A small in-memory IPVS "kernel" behind a fake netlink socket, for unit tests of the
// IPVS client and of code above it (no root, no guest). It understands the generic
// netlink controller lookup and the IPVS service/destination commands, applies them
// with the same refusals as ip_vs_ctl.c (via applyOps) and answers like netlink:
// errors always, acks on NLM_F_ACK, dumps as NLM_F_MULTI pages ending in NLMSG_DONE.

import type { NetlinkSocket, NetlinkSocketFactory } from '../../src/effects/netlink-client.js';
import { applyOps, IpvsModelError } from '../../src/lvs/apply.js';
import { type IpvsTable, serviceKey } from '../../src/lvs/model.js';
import type { IpvsOp } from '../../src/lvs/reconcile.js';
import { decodeAttrs, encodeAttrs } from '../../src/netlink/attrs.js';
import { CTRL_ATTR, decodeGenl, encodeGenl, GENL_ID_CTRL } from '../../src/netlink/genl.js';
import { decodeDestAttrs, decodeServiceAttrs, destAttrs, serviceAttrs } from '../../src/netlink/ipvs.js';
import { IPVS_CMD, IPVS_CMD_ATTRS } from '../../src/netlink/ipvs-attrs.js';
import {
  decodeMessages,
  encodeMessage,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_MULTI,
  NLMSG_DONE,
  NLMSG_ERROR,
  type NlMessage,
  writeS32,
} from '../../src/netlink/message.js';

export const FAKE_IPVS_FAMILY = 0x1c;
const ERRNO = { EEXIST: 17, ESRCH: 3, ENOENT: 2, EINVAL: 22 } as const;

export class FakeIpvsKernel {
  table: IpvsTable = new Map();
  /** every datagram received, for batching assertions */
  datagrams: NlMessage[][] = [];
  hasIpvs = true;

  factory: NetlinkSocketFactory = () => this.socket();

  private socket(): NetlinkSocket {
    let cb: ((d: Buffer) => void) | null = null;
    const reply = (msgs: Buffer[]) => {
      // the kernel queues replies; the reader sees them later, one datagram each
      for (const m of msgs) setImmediate(() => cb?.(m));
    };
    return {
      pid: 4242,
      send: (datagram: Buffer) => {
        const msgs = decodeMessages(Buffer.from(datagram));
        if (!Array.isArray(msgs)) throw new Error(msgs.error);
        this.datagrams.push(msgs);
        for (const m of msgs) reply(this.handle(m));
      },
      onMessage: (f) => {
        cb = f;
      },
      onError: () => {},
      addMembership: () => {},
      close: () => {
        cb = null;
      },
    };
  }

  private ack(req: NlMessage, errno: number): Buffer {
    const p = Buffer.alloc(20);
    writeS32(p, -errno, 0);
    encodeMessage({ ...req, payload: Buffer.alloc(0) }).copy(p, 4, 0, 16);
    return encodeMessage({ type: NLMSG_ERROR, flags: 0, seq: req.seq, pid: 4242, payload: p });
  }

  private handle(m: NlMessage): Buffer[] {
    const g = decodeGenl(m.payload);
    if ('error' in g) return [this.ack(m, ERRNO.EINVAL)];
    if (m.type === GENL_ID_CTRL) {
      const name = decodeAttrs(CTRL_ATTR, g.attrs).CTRL_ATTR_FAMILY_NAME;
      if (name !== 'IPVS' || !this.hasIpvs) return [this.ack(m, ERRNO.ENOENT)];
      const attrs = encodeAttrs(CTRL_ATTR, {
        CTRL_ATTR_FAMILY_ID: FAKE_IPVS_FAMILY,
        CTRL_ATTR_FAMILY_NAME: 'IPVS',
      });
      const out = [
        encodeMessage({
          type: GENL_ID_CTRL,
          flags: 0,
          seq: m.seq,
          pid: 4242,
          payload: encodeGenl(1, 2, attrs),
        }),
      ];
      if (m.flags & NLM_F_ACK) out.push(this.ack(m, 0));
      return out;
    }
    const a = decodeAttrs(IPVS_CMD_ATTRS, g.attrs);
    const svc = a.IPVS_CMD_ATTR_SERVICE ? decodeServiceAttrs(a.IPVS_CMD_ATTR_SERVICE) : null;
    if ((m.flags & NLM_F_DUMP) === NLM_F_DUMP)
      return this.dump(m, g.cmd, svc && !('error' in svc) ? svc : null);
    if (!svc || 'error' in svc) return [this.ack(m, ERRNO.EINVAL)];
    let op: IpvsOp;
    const service = svc.service;
    if (g.cmd === IPVS_CMD.GET_SERVICE) {
      const e = this.table.get(serviceKey(service));
      if (!e) return [this.ack(m, ERRNO.ESRCH)];
      const attrs = encodeAttrs(IPVS_CMD_ATTRS, { IPVS_CMD_ATTR_SERVICE: serviceAttrs(e.service, true) });
      const out = [
        encodeMessage({
          type: FAKE_IPVS_FAMILY,
          flags: 0,
          seq: m.seq,
          pid: 4242,
          payload: encodeGenl(IPVS_CMD.NEW_SERVICE, 1, attrs),
        }),
      ];
      if (m.flags & NLM_F_ACK) out.push(this.ack(m, 0));
      return out;
    }
    if (g.cmd === IPVS_CMD.NEW_SERVICE) op = { op: 'add-service', service };
    else if (g.cmd === IPVS_CMD.SET_SERVICE) op = { op: 'edit-service', service, was: service };
    else if (g.cmd === IPVS_CMD.DEL_SERVICE) op = { op: 'delete-service', service };
    else {
      const d = a.IPVS_CMD_ATTR_DEST ? decodeDestAttrs(a.IPVS_CMD_ATTR_DEST, service.family) : null;
      if (!d || 'error' in d) return [this.ack(m, ERRNO.EINVAL)];
      const dest = d.dest;
      if (g.cmd === IPVS_CMD.NEW_DEST) op = { op: 'add-dest', service, dest };
      else if (g.cmd === IPVS_CMD.SET_DEST) op = { op: 'edit-dest', service, dest, was: dest };
      else if (g.cmd === IPVS_CMD.DEL_DEST) op = { op: 'delete-dest', service, dest };
      else return [this.ack(m, ERRNO.EINVAL)];
    }
    try {
      this.table = applyOps(this.table, [op]);
    } catch (e) {
      if (e instanceof IpvsModelError) return [this.ack(m, ERRNO[e.code])];
      throw e;
    }
    return m.flags & NLM_F_ACK ? [this.ack(m, 0)] : [];
  }

  private dump(m: NlMessage, cmd: number, svc: ReturnType<typeof decodeServiceAttrs> | null): Buffer[] {
    const page = (cmdOut: number, attrs: Buffer) =>
      encodeMessage({
        type: FAKE_IPVS_FAMILY,
        flags: NLM_F_MULTI,
        seq: m.seq,
        pid: 4242,
        payload: encodeGenl(cmdOut, 1, attrs),
      });
    const out: Buffer[] = [];
    if (cmd === IPVS_CMD.GET_SERVICE) {
      for (const e of this.table.values()) {
        out.push(
          page(
            IPVS_CMD.NEW_SERVICE,
            encodeAttrs(IPVS_CMD_ATTRS, { IPVS_CMD_ATTR_SERVICE: serviceAttrs(e.service, true) }),
          ),
        );
      }
    } else if (cmd === IPVS_CMD.GET_DEST && svc && !('error' in svc)) {
      const e = this.table.get(serviceKey(svc.service));
      if (!e) return [this.ack(m, ERRNO.ESRCH)];
      for (const d of e.dests.values()) {
        out.push(
          page(IPVS_CMD.NEW_DEST, encodeAttrs(IPVS_CMD_ATTRS, { IPVS_CMD_ATTR_DEST: destAttrs(d, true) })),
        );
      }
    }
    const done = Buffer.alloc(4);
    out.push(encodeMessage({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq: m.seq, pid: 4242, payload: done }));
    return out;
  }
}
