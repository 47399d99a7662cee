// vrrpd as an AgentX subagent of net-snmp's snmpd (global.snmp): connects to snmpd's
// agentXSocket, registers the VRRPv3-MIB subtree, answers snmpd's requests from a view
// rebuilt from the status snapshot every REFRESH_MS, and sends vrrpv3NewMaster /
// vrrpv3ProtoError notifications that snmpd forwards to its trap sinks. snmpd missing or
// restarting is a warning and a retry, never fatal; nothing here runs in the VRRP worker.
import { createConnection, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { deepEqual } from '../config/diff.js';
import type { Config, SnmpConfig } from '../config/model.js';
import type { Snapshot } from '../control/snapshot.js';
import {
  CloseReason,
  decodePdu,
  encodeClose,
  encodeNotify,
  encodeOpen,
  encodePing,
  encodeRegister,
  encodeResponse,
  frameLength,
  type Pdu,
  ResponseError,
  type VarBind,
} from './agentx.js';
import { getBulk, getExact, getNext } from './lookup.js';
import { type StateChange, Vrrpv3Rows } from './rows.js';
import {
  buildView,
  newMasterNotification,
  protoErrorNotification,
  SERVED_OBJECTS,
  vrrpv3MIB,
} from './vrrpv3-mib.js';

/** How often the view is rebuilt (vrrpv3StatisticsRefreshRate) and counters compared. */
export const REFRESH_MS = 1000;
/** An AgentX request of ours unanswered this long means the session is dead. */
const REQUEST_TIMEOUT_MS = 5000;
/** Keep-alive: a master that stopped answering is noticed even without traffic. */
const PING_MS = 15_000;
/** Reconnect delays after a failure: 1 s, doubling up to 10 s. */
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 10_000;
/** Seconds snmpd may wait for our answers (RFC 2741 §6.2.1 o.timeout). */
const SESSION_TIMEOUT_S = 5;
/** RFC 2741 §6.2.3 r.priority: the default; a lower number would win over another subagent. */
const REGISTER_PRIORITY = 127;
const DESCRIPTION = 'vrrpd: VRRPv3-MIB (RFC 6527)';

export interface SnmpSubagentDeps {
  log: Logger;
  /** the control plane's status document, built fresh */
  snapshot(): Promise<Snapshot>;
  /** the running configuration (preempt/accept modes, sync groups) */
  config(): Config;
  refreshMs?: number;
}

type Response = Extract<Pdu, { kind: 'response' }>;
/** resolved with null when the session ends first */
type Pending = { resolve(pdu: Response | null): void; timer: NodeJS.Timeout };

export class SnmpSubagent {
  private cfg: SnmpConfig | undefined;
  private socket: Socket | null = null;
  private inbox: Buffer = Buffer.alloc(0);
  private sessionId = 0;
  private registered = false;
  private nextPacketId = 1;
  private readonly pending = new Map<number, Pending>();
  private view: VarBind[] = [];
  private readonly rows = new Vrrpv3Rows();
  private refreshTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = RETRY_MIN_MS;
  /** the last reason warned about: a retry failing the same way logs at debug */
  private lastWhy: string | null = null;
  private refreshing: Promise<Snapshot | null> | null = null;
  /** a failed refresh is logged once until one succeeds again */
  private refreshFailing = false;
  /** snmpd's sysUpTime as of its last response, for TimeStamp columns */
  private masterUptime: { ticks: number; atMs: number } | null = null;
  private readonly refreshMs: number;

  constructor(private readonly deps: SnmpSubagentDeps) {
    this.refreshMs = deps.refreshMs ?? REFRESH_MS;
  }

  /**
   * Applies global.snmp (at start and on every reload): connects, moves to another socket
   * or disconnects. Returns what changed for the reload's summary, null when nothing did.
   */
  configure(cfg: SnmpConfig | undefined): string | null {
    if (deepEqual(cfg, this.cfg)) return null;
    const moved = !deepEqual(cfg?.agentx, this.cfg?.agentx);
    this.cfg = cfg;
    if (!cfg) {
      this.disconnect(true);
      this.deps.log.info({ event: 'snmp-off' }, 'SNMP subagent off');
      return 'snmp off';
    }
    if (moved) {
      this.disconnect(true);
      this.lastWhy = null;
      this.retryMs = RETRY_MIN_MS;
      this.connect();
    }
    return `snmp agentx ${agentxText(cfg)}, traps ${cfg.traps ? 'on' : 'off'}`;
  }

  /** Every state change of every instance (tracked also while SNMP is off). */
  stateChanged(ev: StateChange): void {
    const group = this.deps.config().vrrpSyncGroups.find((g) => g.instances.includes(ev.instance));
    const reason = this.rows.stateChanged(ev, performance.now(), group?.name ?? null);
    if (reason === null || !this.registered || !this.cfg?.traps) return;
    const find = (snap: Snapshot | null) => snap?.instances.find((i) => i.name === ev.instance);
    void (async () => {
      // a refresh already under way may predate an instance that a reload just added
      const inst = find(await this.refresh()) ?? find(await this.refresh());
      const vbs = inst ? newMasterNotification(inst, reason) : null;
      if (vbs) this.notify('vrrpv3NewMaster', ev.instance, vbs);
    })();
  }

  async stop(): Promise<void> {
    this.cfg = undefined;
    this.disconnect(true);
  }

  // --- session ---

  private connect(): void {
    const cfg = this.cfg;
    if (!cfg || this.socket) return;
    const a = cfg.agentx;
    const sock =
      a.kind === 'unix' ? createConnection(a.path) : createConnection({ host: a.host, port: a.port });
    this.socket = sock;
    this.inbox = Buffer.alloc(0);
    sock.on('connect', () => void this.open(sock));
    sock.on('data', (d: Buffer) => this.onData(sock, d));
    sock.on('error', (err) => this.lost(sock, err.message));
    sock.on('close', () => this.lost(sock, 'connection closed'));
  }

  private async open(sock: Socket): Promise<void> {
    const opened = await this.request(sock, (packetId) =>
      encodeOpen({ packetId, timeoutS: SESSION_TIMEOUT_S, id: [], descr: DESCRIPTION }),
    );
    if (!opened) return;
    if (opened.error !== ResponseError.noError)
      return this.lost(sock, `snmpd refused the AgentX session (error ${opened.error})`);
    this.sessionId = opened.header.sessionId;
    // the view first: snmpd forwards requests as soon as the registration stands
    this.rows.connected();
    await this.refresh();
    const reg = await this.request(sock, (packetId) =>
      encodeRegister({
        sessionId: this.sessionId,
        packetId,
        timeoutS: 0,
        priority: REGISTER_PRIORITY,
        subtree: vrrpv3MIB,
      }),
    );
    if (!reg) return;
    if (reg.error !== ResponseError.noError) {
      const why =
        reg.error === ResponseError.duplicateRegistration
          ? `another subagent already serves ${vrrpv3MIB.join('.')} (keepalived with enable_snmp_rfcv3?)`
          : `snmpd refused the registration of ${vrrpv3MIB.join('.')} (error ${reg.error})`;
      return this.lost(sock, why);
    }
    this.registered = true;
    this.retryMs = RETRY_MIN_MS;
    this.lastWhy = null;
    this.deps.log.info(
      { event: 'snmp-connected', agentx: agentxText(this.cfg!), subtree: vrrpv3MIB.join('.') },
      `SNMP: serving the VRRPv3-MIB through snmpd at ${agentxText(this.cfg!)}`,
    );
    this.refreshTimer = setInterval(() => void this.refresh(), this.refreshMs);
    this.pingTimer = setInterval(
      () => void this.request(sock, (packetId) => encodePing({ sessionId: this.sessionId, packetId })),
      PING_MS,
    );
  }

  /** Sends a request and resolves with its response; null when the session died meanwhile. */
  private request(sock: Socket, make: (packetId: number) => Buffer): Promise<Response | null> {
    if (sock !== this.socket || sock.destroyed) return Promise.resolve(null);
    const packetId = this.nextPacketId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(packetId);
        this.lost(sock, 'snmpd did not answer within 5 s');
        resolve(null);
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(packetId, {
        timer,
        resolve: (pdu) => {
          clearTimeout(timer);
          resolve(pdu);
        },
      });
      sock.write(make(packetId));
    });
  }

  private onData(sock: Socket, data: Buffer): void {
    if (sock !== this.socket) return;
    // AgentX runs over a stream: PDUs arrive split and joined in any way
    this.inbox = this.inbox.length ? Buffer.concat([this.inbox, data]) : data;
    for (;;) {
      const n = frameLength(this.inbox);
      if (n === null || this.inbox.length < n) return;
      const frame = this.inbox.subarray(0, n);
      this.inbox = this.inbox.subarray(n);
      const d = decodePdu(frame);
      if (!d.ok) {
        this.lost(sock, `unreadable AgentX PDU from snmpd: ${d.reason}`);
        return;
      }
      this.onPdu(sock, d.value);
    }
  }

  private onPdu(sock: Socket, pdu: Pdu): void {
    const reply = (o: Omit<Parameters<typeof encodeResponse>[0], 'header'>) =>
      sock.write(encodeResponse({ header: pdu.header, sysUpTime: this.sysUpTimeTicks() ?? 0, ...o }));
    switch (pdu.kind) {
      case 'response': {
        this.masterUptime = { ticks: pdu.sysUpTime, atMs: performance.now() };
        const p = this.pending.get(pdu.header.packetId);
        this.pending.delete(pdu.header.packetId);
        p?.resolve(pdu);
        return;
      }
      case 'get':
        return void reply({ varbinds: pdu.ranges.map((r) => getExact(this.view, SERVED_OBJECTS, r.start)) });
      case 'getNext':
        return void reply({ varbinds: pdu.ranges.map((r) => getNext(this.view, r)) });
      case 'getBulk':
        return void reply({ varbinds: getBulk(this.view, pdu.ranges, pdu.nonRepeaters, pdu.maxRepetitions) });
      case 'testSet':
        // the configuration is the YAML file: nothing here is writable
        return void reply({ error: ResponseError.notWritable, index: 1 });
      case 'commitSet':
        return void reply({ error: ResponseError.commitFailed, index: 0 });
      case 'undoSet':
        return void reply({ error: ResponseError.undoFailed, index: 0 });
      case 'cleanupSet':
        return;
      case 'close':
        // snmpd is shutting down (RFC 2741 §7.1.8): no answer, reconnect later
        this.lost(sock, 'snmpd closed the session');
        return;
      default:
        reply({ error: ResponseError.processingError });
    }
  }

  private sysUpTimeTicks(): number | null {
    const m = this.masterUptime;
    return m ? (m.ticks + Math.floor((performance.now() - m.atMs) / 10)) >>> 0 : null;
  }

  /** Rebuilds the view from a fresh snapshot; sends a vrrpv3ProtoError per new protocol error. */
  private refresh(): Promise<Snapshot | null> {
    this.refreshing ??= this.deps
      .snapshot()
      .then((snap) => {
        this.refreshFailing = false;
        const now = performance.now();
        const errors = this.rows.observe(snap, now, this.sysUpTimeTicks());
        const config = new Map(this.deps.config().vrrpInstances.map((i) => [i.name, i] as const));
        this.view = buildView({
          snapshot: snap,
          config,
          rows: this.rows.memory,
          nowMs: now,
          globalDiscontinuityTicks: this.rows.globalDiscontinuityTicks,
          refreshRateMs: this.refreshMs,
        });
        if (this.cfg?.traps)
          for (const e of errors) {
            const vbs = protoErrorNotification(e.instance, e.reason);
            if (vbs) this.notify('vrrpv3ProtoError', e.instance.name, vbs);
          }
        return snap;
      })
      .catch((err: Error) => {
        if (!this.refreshFailing)
          this.deps.log.warn(
            { event: 'snmp-refresh-failed', err: err.message },
            'SNMP: status not refreshed; snmpd is served the last view',
          );
        this.refreshFailing = true;
        return null;
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  private notify(what: string, instance: string, varbinds: VarBind[]): void {
    const sock = this.socket;
    if (!sock || !this.registered) return;
    void this.request(sock, (packetId) =>
      encodeNotify({ sessionId: this.sessionId, packetId, varbinds }),
    ).then((res) => {
      if (res && res.error !== ResponseError.noError)
        this.deps.log.warn(
          { event: 'snmp-notify-failed', notification: what, instance, error: res.error },
          `SNMP: snmpd refused the ${what} notification`,
        );
      else if (res)
        this.deps.log.debug({ event: 'snmp-notify', notification: what, instance }, `SNMP: ${what}`);
    });
  }

  /** The session ended (or never began): tidy up and, while configured, retry later. */
  private lost(sock: Socket, why: string): void {
    if (sock !== this.socket) return;
    const wasRegistered = this.registered;
    this.disconnect(false);
    if (!this.cfg) return;
    const fields = {
      event: 'snmp-disconnected',
      agentx: agentxText(this.cfg),
      reason: why,
      retryMs: this.retryMs,
    };
    if (wasRegistered || why !== this.lastWhy)
      this.deps.log.warn(
        fields,
        `SNMP: no AgentX session with snmpd (${why}); retrying in ${this.retryMs} ms`,
      );
    else this.deps.log.debug(fields, 'SNMP: still no AgentX session with snmpd');
    this.lastWhy = why;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private disconnect(polite: boolean): void {
    const sock = this.socket;
    this.socket = null;
    for (const t of [this.refreshTimer, this.pingTimer, this.retryTimer]) if (t) clearInterval(t);
    this.refreshTimer = this.pingTimer = this.retryTimer = null;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.resolve(null);
    }
    if (sock && polite && this.registered && !sock.destroyed) {
      // snmpd answers a Close and hangs up; ours is a half-close after it is written
      sock.end(
        encodeClose({
          sessionId: this.sessionId,
          packetId: this.nextPacketId++,
          reason: CloseReason.shutdown,
        }),
      );
    } else sock?.destroy();
    this.registered = false;
    this.sessionId = 0;
    this.view = [];
  }
}

function agentxText(cfg: SnmpConfig): string {
  const a = cfg.agentx;
  return a.kind === 'unix'
    ? `unix:${a.path}`
    : `tcp:${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}
