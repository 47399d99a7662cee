// A netlink request/response client over one socket from the native addon.
// Matches replies to requests by sequence number (many requests may be in flight),
// pages dumps until NLMSG_DONE, turns negative NLMSG_ERROR into NetlinkError, and
// hands everything else (multicast notifications) to onNotification listeners.
//
// Use one client for requests and another, subscribed to groups, for notifications:
// the kernel stamps a notification caused by our own request with our seq and port id,
// so on a shared socket it could be taken for a reply.
import { getSystemErrorName } from 'node:util';
import { openNetlinkSocket } from '../native/index.js';
import {
  decodeError,
  decodeMessages,
  encodeMessage,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  type NlMessage,
  readS32,
} from '../netlink/message.js';

/** What the client needs from a netlink socket (the native addon provides it). */
export interface NetlinkSocket {
  /** the port id the kernel bound (nl_pid) */
  readonly pid: number;
  send(datagram: Buffer): void | Promise<void>;
  onMessage(cb: (datagram: Buffer) => void): void;
  onError(cb: (err: Error & { code?: string }) => void): void;
  addMembership(group: number): void;
  close(): void;
}

export type NetlinkSocketFactory = (
  protocol: number,
  opts: { groups: number[]; rcvbufBytes?: number | undefined },
) => NetlinkSocket;

const nativeFactory: NetlinkSocketFactory = (protocol, opts) => {
  const o: { groups: number[]; rcvbufBytes?: number } = { groups: opts.groups };
  if (opts.rcvbufBytes !== undefined) o.rcvbufBytes = opts.rcvbufBytes;
  return openNetlinkSocket(protocol, o);
};

let socketFactory: NetlinkSocketFactory = nativeFactory;

/** Replaces the socket factory NetlinkClient.open uses when none is passed (null: the addon's). */
export function setDefaultSocketFactory(f: NetlinkSocketFactory | null): void {
  socketFactory = f ?? nativeFactory;
}

function defaultSocketFactory(): NetlinkSocketFactory {
  return socketFactory;
}

const ERRNO_TEXT: Record<string, string> = {
  EEXIST: 'already exists',
  ENOENT: 'no such object',
  ENODEV: 'no such device',
  EADDRNOTAVAIL: 'address not available (not configured on that interface)',
  EPERM: 'operation not permitted (needs CAP_NET_ADMIN)',
  EACCES: 'permission denied',
  EINVAL: 'invalid argument',
  EBUSY: 'device or resource busy',
  EOPNOTSUPP: 'operation not supported by this kernel',
  ENOBUFS: 'netlink receive buffer overrun; replies or events were lost',
  ETIMEDOUT: 'no reply from the kernel in time',
  ECANCELED: 'netlink socket closed before the reply arrived',
  EPROTO: 'malformed reply from the kernel',
};

/** A failed netlink request. `code` is the errno name ('EEXIST'); `request` says what was asked. */
export class NetlinkError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly request: string;
  /** the kernel's extended-ack text, when it sent one */
  readonly kernelMessage: string | undefined;

  constructor(errno: number, code: string, request: string, kernelMessage?: string, detail?: string) {
    const text = ERRNO_TEXT[code] ?? `errno ${errno}`;
    const extra = [kernelMessage, detail].filter(Boolean).join('; ');
    super(`${request}: ${text} (${code})${extra ? `: ${extra}` : ''}`);
    this.name = 'NetlinkError';
    this.errno = errno;
    this.code = code;
    this.request = request;
    this.kernelMessage = kernelMessage;
  }

  static fromErrno(errno: number, request: string, kernelMessage?: string): NetlinkError {
    let code: string;
    try {
      code = getSystemErrorName(-errno);
      // same number on Linux; the kernel's name is the one operators find in its sources and docs
      if (code === 'ENOTSUP') code = 'EOPNOTSUPP';
    } catch {
      code = `E${errno}`;
    }
    return new NetlinkError(errno, code, request, kernelMessage);
  }
}

// errno numbers for the client's own errors (Linux values)
const ETIMEDOUT = 110;
const ECANCELED = 125;
const ENOBUFS = 105;
const EPROTO = 71;

export interface NetlinkClientOptions {
  /** multicast groups to join (numbers as in the kernel's enum, e.g. RTNLGRP_LINK = 1) */
  groups?: number[];
  /** SO_RCVBUF(FORCE) size; notification sockets want it large (netlink(7): ENOBUFS) */
  rcvbufBytes?: number;
  /** per-request timeout, counted from the send; default 5000 ms */
  timeoutMs?: number;
  /**
   * Requests on the wire at once (default 64); more wait their turn. Each reply the kernel
   * queues takes about 1 KB of the receive buffer, so a burst of 2,000 VIP changes sent at
   * once overran it and lost replies (the requests timed out).
   */
  maxInFlight?: number;
  /** socket factory, for tests; defaults to the native addon */
  socketFactory?: NetlinkSocketFactory;
}

interface Pending {
  dump: boolean;
  describe: string;
  replies: NlMessage[];
  interrupted: boolean;
  resolve: (m: NlMessage[]) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const DUMP_RETRIES = 3;

export class NetlinkClient {
  private seq: number;
  private readonly pending = new Map<number, Pending>();
  private readonly notifyCbs: ((m: NlMessage) => void)[] = [];
  private readonly errorCbs: ((e: NetlinkError | Error) => void)[] = [];
  private readonly overrunCbs: (() => void)[] = [];
  private closed = false;
  private readonly timeoutMs: number;
  private dumping = false;
  private readonly dumpQueue: (() => void)[] = [];
  private readonly maxInFlight: number;
  private inFlight = 0;
  private readonly slotQueue: (() => void)[] = [];

  private constructor(
    private readonly sock: NetlinkSocket,
    opts: NetlinkClientOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 64);
    // start away from 0: the kernel's own notifications carry seq 0
    this.seq = 1 + Math.floor(Math.random() * 0x7fff0000);
    sock.onMessage((d) => this.onDatagram(d));
    sock.onError((e) => this.onSocketError(e));
  }

  static open(protocol: number, opts: NetlinkClientOptions = {}): NetlinkClient {
    const factory = opts.socketFactory ?? defaultSocketFactory();
    const sock = factory(protocol, { groups: opts.groups ?? [], rcvbufBytes: opts.rcvbufBytes });
    return new NetlinkClient(sock, opts);
  }

  /** Our netlink port id (nl_pid). */
  get pid(): number {
    return this.sock.pid;
  }

  /**
   * Sends one request and resolves with its replies: a dump (NLM_F_DUMP in flags) pages until
   * NLMSG_DONE; anything else gets NLM_F_ACK and resolves on the ack with the data messages
   * received before it (often []). Dumps on one client run one after another; other requests
   * go out at once. A dump the kernel marks NLM_F_DUMP_INTR (changed while
   * dumping) is repeated up to 3 times.
   */
  async request(type: number, flags: number, payload: Buffer, describe?: string): Promise<NlMessage[]> {
    const what = describe ?? `netlink request type ${type}`;
    const run = async () => {
      for (let attempt = 0; ; attempt++) {
        const r = await this.requestOnce(type, flags, payload, what);
        if (!r.interrupted || attempt >= DUMP_RETRIES) return r.replies;
      }
    };
    if ((flags & NLM_F_DUMP) !== NLM_F_DUMP) return run();
    // the kernel runs one dump per socket at a time (a second one fails with EBUSY): queue them
    if (this.dumping) await new Promise<void>((r) => this.dumpQueue.push(r));
    this.dumping = true;
    try {
      return await run();
    } finally {
      const next = this.dumpQueue.shift();
      if (next) next();
      else this.dumping = false;
    }
  }

  private async requestOnce(
    type: number,
    flags: number,
    payload: Buffer,
    describe: string,
  ): Promise<{ replies: NlMessage[]; interrupted: boolean }> {
    if (this.inFlight >= this.maxInFlight) await new Promise<void>((r) => this.slotQueue.push(r));
    else this.inFlight++;
    try {
      return await this.sendAndWait(type, flags, payload, describe);
    } finally {
      // the slot goes straight to the next waiter, if any
      const next = this.slotQueue.shift();
      if (next) next();
      else this.inFlight--;
    }
  }

  private sendAndWait(
    type: number,
    flags: number,
    payload: Buffer,
    describe: string,
  ): Promise<{ replies: NlMessage[]; interrupted: boolean }> {
    if (this.closed) {
      return Promise.reject(new NetlinkError(ECANCELED, 'ECANCELED', describe));
    }
    const dump = (flags & NLM_F_DUMP) === NLM_F_DUMP;
    const f = flags | NLM_F_REQUEST | (dump ? 0 : NLM_F_ACK);
    const seq = this.nextSeq();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new NetlinkError(ETIMEDOUT, 'ETIMEDOUT', describe, undefined, `after ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const p: Pending = {
        dump,
        describe,
        replies: [],
        interrupted: false,
        resolve: (replies) => resolve({ replies, interrupted: p.interrupted }),
        reject,
        timer,
      };
      this.pending.set(seq, p);
      try {
        const sent = this.sock.send(encodeMessage({ type, flags: f, seq, pid: 0, payload }));
        if (sent && typeof (sent as Promise<void>).then === 'function') {
          (sent as Promise<void>).catch((e: unknown) => this.failSend(seq, e));
        }
      } catch (e) {
        this.failSend(seq, e);
      }
    });
  }

  private failSend(seq: number, e: unknown): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.finish(seq);
    const err = e as { code?: string; errno?: number; message?: string };
    p.reject(
      new NetlinkError(Math.abs(err.errno ?? 0), err.code ?? 'ESEND', p.describe, undefined, err.message),
    );
  }

  private nextSeq(): number {
    do {
      this.seq = this.seq >= 0xffffffff ? 1 : this.seq + 1;
    } while (this.pending.has(this.seq));
    return this.seq;
  }

  /** Multicast messages and anything not answering one of our requests. */
  onNotification(cb: (m: NlMessage) => void): void {
    this.notifyCbs.push(cb);
  }

  /** Socket errors other than ENOBUFS (which goes to onOverrun) and undecodable datagrams. */
  onError(cb: (e: NetlinkError | Error) => void): void {
    this.errorCbs.push(cb);
  }

  /**
   * The receive buffer overflowed (ENOBUFS): notifications were lost, so listeners
   * must re-read the state with a dump (netlink(7)).
   */
  onOverrun(cb: () => void): void {
    this.overrunCbs.push(cb);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [seq, p] of [...this.pending]) {
      this.finish(seq);
      p.reject(new NetlinkError(ECANCELED, 'ECANCELED', p.describe));
    }
    this.sock.close();
  }

  private finish(seq: number): void {
    const p = this.pending.get(seq);
    if (p) clearTimeout(p.timer);
    this.pending.delete(seq);
  }

  private onSocketError(e: Error & { code?: string }): void {
    if (e.code === 'ENOBUFS') {
      // replies to in-flight requests may be among what was lost: fail them so callers retry
      for (const [seq, p] of [...this.pending]) {
        this.finish(seq);
        p.reject(new NetlinkError(ENOBUFS, 'ENOBUFS', p.describe));
      }
      for (const cb of this.overrunCbs) cb();
      return;
    }
    for (const cb of this.errorCbs) cb(e);
  }

  private onDatagram(d: Buffer): void {
    const msgs = decodeMessages(d);
    if (!Array.isArray(msgs)) {
      const err = new NetlinkError(EPROTO, 'EPROTO', 'netlink receive', undefined, msgs.error);
      for (const cb of this.errorCbs) cb(err);
      return;
    }
    for (const m of msgs) this.onMessage(m);
  }

  private onMessage(m: NlMessage): void {
    if (m.type === NLMSG_NOOP) return;
    if (m.type === NLMSG_OVERRUN) {
      for (const cb of this.overrunCbs) cb();
      return;
    }
    const p = m.seq !== 0 ? this.pending.get(m.seq) : undefined;
    if (!p) {
      for (const cb of this.notifyCbs) cb(m);
      return;
    }
    if (m.flags & NLM_F_DUMP_INTR) p.interrupted = true;
    if (m.type === NLMSG_ERROR) {
      this.finish(m.seq);
      const e = decodeError(m);
      if ('error' in e) p.reject(new NetlinkError(EPROTO, 'EPROTO', p.describe, undefined, e.error));
      else if (e.errno !== 0) p.reject(NetlinkError.fromErrno(e.errno, p.describe, e.message));
      else p.resolve(p.replies);
      return;
    }
    if (m.type === NLMSG_DONE) {
      // a dump's DONE carries an int: 0, or a negative errno when the dump failed part-way
      this.finish(m.seq);
      const errno = m.payload.length >= 4 ? -readS32(m.payload, 0) : 0;
      if (errno > 0) p.reject(NetlinkError.fromErrno(errno, p.describe));
      else p.resolve(p.replies);
      return;
    }
    p.replies.push(m);
  }
}
