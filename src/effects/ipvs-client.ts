// The IPVS client: the only code that talks to the kernel's IPVS (generic netlink
// family "IPVS"). Dumps the table with stats, applies reconciler ops, reads and sets
// connection timeouts, starts and stops the connection-sync daemon.
//
// applyAll pipelines ops in large datagrams without per-message acks: netlink carries
// any number of messages in one datagram, the kernel runs them in order and answers
// only failures, so only the last message of each batch asks for an ack. 10,000 real
// servers then cost a few dozen system calls instead of 20,000 (ipvsadm -R's way).
import type { IpvsTableClient, OpFailure } from '../lvs/apply.js';
import { describeIpvsFailure, IpvsError } from '../lvs/errors.js';
import {
  destKey,
  type IpvsService,
  type IpvsServiceEntry,
  type IpvsTable,
  serviceKey,
} from '../lvs/model.js';
import { describeOp, type IpvsOp } from '../lvs/reconcile.js';
import { openNetlinkSocket } from '../native/index.js';
import { GenlFamilyMissingError, resolveFamily } from '../netlink/genl.js';
import {
  decodeDaemonMessage,
  decodeInfoMessage,
  decodeServiceMessage,
  decodeTimeoutsMessage,
  encodeDaemon,
  encodeOp,
  encodeSetTimeouts,
  type IpvsInfo,
  type IpvsSyncDaemon,
  type IpvsTimeouts,
  ipvsPayload,
  serviceAttrs,
} from '../netlink/ipvs.js';
import { IPVS_CMD, IPVS_GENL_NAME } from '../netlink/ipvs-attrs.js';
import { decodeDestFast, NlWriter, writeOp } from '../netlink/ipvs-fast.js';
import {
  decodeError,
  decodeMessages,
  NETLINK_GENERIC,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  NLMSG_ERROR,
  type NlMessage,
  writeU16,
} from '../netlink/message.js';
import {
  NetlinkClient,
  NetlinkError,
  type NetlinkSocket,
  type NetlinkSocketFactory,
} from './netlink-client.js';

export { IpvsError } from '../lvs/errors.js';

export interface IpvsClient extends IpvsTableClient {
  /** the generic netlink id the kernel gave the IPVS family */
  readonly familyId: number;
  getInfo(): Promise<IpvsInfo>;
  /** Services, then each service's destinations, with stats and connection counts. */
  dump(): Promise<IpvsTable>;
  /**
   * The same for the given services only (those the kernel has): after a health change
   * in one service, reconcile that service without reading the whole table.
   */
  dumpOnly(services: Iterable<IpvsService>): Promise<IpvsTable>;
  /** Applies one op; throws IpvsError. */
  apply(op: IpvsOp): Promise<void>;
  /** Applies ops in order, pipelined; failures are collected with the op that failed. */
  applyAll(ops: readonly IpvsOp[]): Promise<{ failures: OpFailure[] }>;
  getTimeouts(): Promise<IpvsTimeouts>;
  /** 0 (or absent) leaves a timeout unchanged. */
  setTimeouts(t: Partial<IpvsTimeouts>): Promise<void>;
  startDaemon(d: IpvsSyncDaemon): Promise<void>;
  stopDaemon(state: IpvsSyncDaemon['state']): Promise<void>;
  listDaemons(): Promise<IpvsSyncDaemon[]>;
  close(): void;
}

export interface IpvsClientOptions {
  socketFactory?: NetlinkSocketFactory;
  timeoutMs?: number;
  /** bytes of ops per datagram in applyAll (default 64 KiB) */
  batchBytes?: number;
  /** datagrams in flight in applyAll (default 4) */
  window?: number;
  /** destination dumps in flight during dump() (default 32) */
  dumpConcurrency?: number;
}

const nativeFactory: NetlinkSocketFactory = (protocol, o) =>
  openNetlinkSocket(protocol, { groups: o.groups, ...(o.rcvbufBytes ? { rcvbufBytes: o.rcvbufBytes } : {}) });

// Error replies quote the whole failed request; a large buffer keeps a batch of
// failures from overflowing it (ENOBUFS) before we read them.
const RCVBUF_BYTES = 8 * 1024 * 1024;

export async function createIpvsClient(opts: IpvsClientOptions = {}): Promise<IpvsClient> {
  const factory = opts.socketFactory ?? nativeFactory;
  const nl = NetlinkClient.open(NETLINK_GENERIC, {
    socketFactory: factory,
    rcvbufBytes: RCVBUF_BYTES,
    timeoutMs: opts.timeoutMs ?? 10_000,
  });
  let family: number;
  try {
    family = (
      await resolveFamily(
        (t, f, p, d) => nl.request(t, f, p, d),
        IPVS_GENL_NAME,
        'load the IPVS kernel module: modprobe ip_vs',
      )
    ).id;
  } catch (e) {
    nl.close();
    if (e instanceof GenlFamilyMissingError) {
      throw Object.assign(
        new Error('the kernel has no IPVS: modprobe ip_vs (and the scheduler modules you use)'),
        {
          code: 'IPVS_MISSING',
        },
      );
    }
    throw e;
  }
  return new Client(nl, family, factory, opts);
}

class Client implements IpvsClient {
  private batchSock: NetlinkSocket | null = null;
  private batchSeq = 1;
  private readonly batchWaiters = new Map<number, (errno: number, msg?: string) => void>();

  constructor(
    private readonly nl: NetlinkClient,
    readonly familyId: number,
    private readonly factory: NetlinkSocketFactory,
    private readonly opts: IpvsClientOptions,
  ) {}

  private async ask(payload: Buffer, what: string, dump = false) {
    return this.nl.request(this.familyId, dump ? NLM_F_DUMP : 0, payload, what);
  }

  async getInfo(): Promise<IpvsInfo> {
    const [m] = await this.ask(ipvsPayload(IPVS_CMD.GET_INFO), 'read IPVS info');
    const info = m ? decodeInfoMessage(m) : { error: 'no reply' };
    if ('error' in info) throw new IpvsError('EPROTO', 71, 'read IPVS info', info.error);
    return info;
  }

  async dump(): Promise<IpvsTable> {
    const msgs = await this.ask(ipvsPayload(IPVS_CMD.GET_SERVICE), 'list IPVS services', true);
    const table: IpvsTable = new Map();
    for (const m of msgs) {
      const s = decodeServiceMessage(m);
      if ('error' in s) continue; // a service this version cannot describe: not ours to touch
      const entry: IpvsServiceEntry = { service: s.service, dests: new Map(), destCounters: new Map() };
      if (s.stats) entry.stats = s.stats;
      table.set(serviceKey(s.service), entry);
    }
    await this.fillDests(table);
    return table;
  }

  async dumpOnly(services: Iterable<IpvsService>): Promise<IpvsTable> {
    const table: IpvsTable = new Map();
    for (const want of services) {
      const payload = ipvsPayload(IPVS_CMD.GET_SERVICE, { IPVS_CMD_ATTR_SERVICE: serviceAttrs(want, false) });
      const key = serviceKey(want);
      let msgs: NlMessage[];
      try {
        msgs = await this.ask(payload, `read IPVS service ${key}`);
      } catch (e) {
        if ((e as { code?: string }).code === 'ESRCH') continue; // not in the kernel
        throw e;
      }
      const s = msgs[0] ? decodeServiceMessage(msgs[0]) : { error: 'no reply' };
      if ('error' in s) continue;
      const entry: IpvsServiceEntry = { service: s.service, dests: new Map(), destCounters: new Map() };
      if (s.stats) entry.stats = s.stats;
      table.set(serviceKey(s.service), entry);
    }
    await this.fillDests(table);
    return table;
  }

  /** Destination dumps for every service of `table`, several in flight. */
  private async fillDests(table: IpvsTable): Promise<void> {
    const entries = [...table.values()];
    let next = 0;
    const worker = async () => {
      while (next < entries.length) {
        const e = entries[next++]!;
        for (let attempt = 0; ; attempt++) {
          try {
            await this.dumpDests(e);
            break;
          } catch (err) {
            const code = (err as { code?: string }).code;
            // the service went away between the two dumps: it is simply gone
            if (code === 'ESRCH') {
              table.delete(serviceKey(e.service));
              break;
            }
            // one dump at a time per socket: a big one still being paged makes the
            // kernel refuse the next with EBUSY; retry once it has been read
            if (code !== 'EBUSY' || attempt > 1000) throw err;
            e.dests.clear();
            e.destCounters?.clear();
            await new Promise((ok) => setTimeout(ok, attempt < 10 ? 0 : 2));
          }
        }
      }
    };
    const n = Math.min(this.opts.dumpConcurrency ?? 32, entries.length);
    await Promise.all(Array.from({ length: n }, worker));
  }

  private async dumpDests(e: IpvsServiceEntry): Promise<void> {
    const payload = ipvsPayload(IPVS_CMD.GET_DEST, { IPVS_CMD_ATTR_SERVICE: serviceAttrs(e.service, false) });
    const msgs = await this.ask(payload, `list real servers of ${serviceKey(e.service)}`, true);
    for (const m of msgs) {
      const d = decodeDestFast(m.payload, e.service.family);
      if (!d) continue;
      const k = destKey(d.dest);
      e.dests.set(k, d.dest);
      e.destCounters?.set(k, d.counters);
    }
  }

  async apply(op: IpvsOp): Promise<void> {
    const { payload } = encodeOp(op);
    try {
      await this.ask(payload, describeOp(op));
    } catch (e) {
      throw toIpvsError(e, op);
    }
  }

  async applyAll(ops: readonly IpvsOp[]): Promise<{ failures: OpFailure[] }> {
    if (ops.length === 0) return { failures: [] };
    const sock = this.openBatchSocket();
    const failures: OpFailure[] = [];
    const batchBytes = this.opts.batchBytes ?? 64 * 1024;
    const window = this.opts.window ?? 4;
    const inFlight = new Set<Promise<void>>();
    let i = 0;
    while (i < ops.length) {
      // one datagram: ops until batchBytes; only its last message asks for an ack
      const w = new NlWriter(batchBytes + 4096);
      const bySeq = new Map<number, IpvsOp>();
      while (i < ops.length) {
        const op = ops[i++]!;
        const seq = this.nextSeq();
        const start = w.off;
        writeOp(w, op, this.familyId, NLM_F_REQUEST, seq);
        bySeq.set(seq, op);
        if (i === ops.length || w.off >= batchBytes) {
          // flags live at offset 6 of the last message's header
          writeU16(w.buf, NLM_F_REQUEST | NLM_F_ACK, start + 6);
          break;
        }
      }
      const lastSeq = this.batchSeq;
      const done = this.sendBatch(sock, w.view(), bySeq, lastSeq, failures);
      inFlight.add(done);
      void done.finally(() => inFlight.delete(done));
      if (inFlight.size >= window) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    return { failures };
  }

  private nextSeq(): number {
    this.batchSeq = this.batchSeq >= 0xffffffff ? 1 : this.batchSeq + 1;
    return this.batchSeq;
  }

  private sendBatch(
    sock: NetlinkSocket,
    datagram: Buffer,
    bySeq: Map<number, IpvsOp>,
    lastSeq: number,
    failures: OpFailure[],
  ): Promise<void> {
    return new Promise((resolve) => {
      const timeoutMs = this.opts.timeoutMs ?? 10_000;
      const finish = () => {
        clearTimeout(timer);
        for (const s of bySeq.keys()) this.batchWaiters.delete(s);
        resolve();
      };
      const timer = setTimeout(() => {
        // nothing came back: we cannot know which ops the kernel ran; say so for each
        for (const op of bySeq.values()) {
          failures.push({
            op,
            error: new IpvsError('ETIMEDOUT', 110, describeOp(op), `no answer in ${timeoutMs} ms`),
          });
        }
        finish();
      }, timeoutMs);
      for (const [seq, op] of bySeq) {
        this.batchWaiters.set(seq, (errno, msg) => {
          if (errno !== 0)
            failures.push({ op, error: toIpvsError(NetlinkError.fromErrno(errno, describeOp(op), msg), op) });
          if (seq === lastSeq) finish();
        });
      }
      try {
        sock.send(datagram);
      } catch (e) {
        for (const op of bySeq.values()) failures.push({ op, error: toIpvsError(e, op) });
        finish();
      }
    });
  }

  private openBatchSocket(): NetlinkSocket {
    if (this.batchSock) return this.batchSock;
    const sock = this.factory(NETLINK_GENERIC, { groups: [], rcvbufBytes: RCVBUF_BYTES });
    sock.onMessage((d) => {
      const msgs = decodeMessages(d);
      if (!Array.isArray(msgs)) return;
      for (const m of msgs) {
        if (m.type !== NLMSG_ERROR) continue;
        const w = this.batchWaiters.get(m.seq);
        const e = decodeError(m);
        if (w && !('error' in e)) w(e.errno, e.message);
      }
    });
    sock.onError((err) => {
      // ENOBUFS: answers were lost; fail what is outstanding so the caller re-dumps
      for (const w of [...this.batchWaiters.values()]) w(err.code === 'ENOBUFS' ? 105 : 5, err.message);
    });
    this.batchSock = sock;
    return sock;
  }

  async getTimeouts(): Promise<IpvsTimeouts> {
    const [m] = await this.ask(ipvsPayload(IPVS_CMD.GET_CONFIG), 'read IPVS timeouts');
    const t = m ? decodeTimeoutsMessage(m) : { error: 'no reply' };
    if ('error' in t) throw new IpvsError('EPROTO', 71, 'read IPVS timeouts', t.error);
    return t;
  }

  async setTimeouts(t: Partial<IpvsTimeouts>): Promise<void> {
    const what = `set IPVS timeouts tcp ${t.tcpS ?? '-'} tcpfin ${t.tcpFinS ?? '-'} udp ${t.udpS ?? '-'}`;
    await this.ask(encodeSetTimeouts(t), what).catch((e: unknown) => {
      throw toIpvsError(e);
    });
  }

  async startDaemon(d: IpvsSyncDaemon): Promise<void> {
    const what = `start the IPVS sync daemon as ${d.state} on ${d.ifname} (sync id ${d.syncId})`;
    await this.ask(encodeDaemon(IPVS_CMD.NEW_DAEMON, d), what).catch((e: unknown) => {
      throw toIpvsError(e, undefined, d);
    });
  }

  async stopDaemon(state: IpvsSyncDaemon['state']): Promise<void> {
    const what = `stop the IPVS sync daemon (${state})`;
    await this.ask(encodeDaemon(IPVS_CMD.DEL_DAEMON, { state }), what).catch((e: unknown) => {
      throw toIpvsError(e);
    });
  }

  async listDaemons(): Promise<IpvsSyncDaemon[]> {
    const msgs = await this.ask(ipvsPayload(IPVS_CMD.GET_DAEMON), 'list IPVS sync daemons', true);
    const out: IpvsSyncDaemon[] = [];
    for (const m of msgs) {
      const d = decodeDaemonMessage(m);
      if (!('error' in d)) out.push(d);
    }
    return out;
  }

  close(): void {
    this.nl.close();
    this.batchSock?.close();
    this.batchSock = null;
  }
}

function toIpvsError(e: unknown, op?: IpvsOp, daemon?: IpvsSyncDaemon): Error {
  if (!(e instanceof NetlinkError)) return e as Error;
  const request = op ? describeOp(op) : e.request;
  return new IpvsError(e.code, e.errno, request, describeIpvsFailure(e.code, op, daemon), e.kernelMessage);
}
