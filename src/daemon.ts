// The one place that assembles vrrpd: config, the VRRP engine worker, checks and the
// IPVS reconciler, the control socket, metrics, sd_notify, signals and shutdown.
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { type ConfigDiff, diffConfig, formatConfigError, loadConfigFile } from './config/index.js';
import type { Config, GlobalConfig } from './config/model.js';
import { createMetrics, createMetricsServer, type Metrics, type MetricsServer } from './control/metrics.js';
import { type ControlServer, createControlServer } from './control/server.js';
import type { ReloadOutcome, Snapshot } from './control/snapshot.js';
import { buildSnapshot } from './daemon/status-snapshot.js';
import { createScriptRunner } from './effects/script-runner.js';
import type { ScriptRunner } from './effects/types.js';
import { VERSION } from './version.js';
import type { EngineSnapshot } from './vrrp/engine.js';
import { NotifyRunner } from './vrrp/notify.js';
import { TrackScripts } from './vrrp/track-scripts.js';
import type { FromWorker, ToWorker, WorkerData } from './vrrp/worker-protocol.js';

export interface DaemonOptions {
  configFile: string;
  logger: Logger;
  /** called for sd_notify; absent when not under systemd */
  notify?: {
    ready(status?: string): void;
    status(text: string): void;
    reloading(): void;
    stopping(): void;
    watchdog(): void;
    watchdogIntervalMs: number | null;
  };
  /**
   * Test hooks (`vrrpd run` sets it only when VRRPD_TEST_HOOKS=1 is in its environment):
   * adds the control method `debug.stall-engine {ms}`, which blocks the VRRP engine's loop
   * so tests can watch the watchdog being withheld. Never on otherwise: no config key or
   * control request can turn it on.
   */
  testHooks?: boolean;
}

/** Heartbeat period of the engine worker's own loop. */
const HEARTBEAT_MS = 500;
/**
 * The engine counts as stalled after three missed heartbeats: jitter and GC pauses stay
 * well under that, and the stall must show well within a short WatchdogSec (1 s in tests).
 */
const ENGINE_STALE_MS = 3 * HEARTBEAT_MS;

type LvsPart = import('./lvs/controller.js').LvsController;

export class DaemonError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export class Daemon {
  private worker: Worker | null = null;
  private config!: Config;
  private readonly log: Logger;
  private lastHeartbeat = 0;
  private readonly pending = new Map<number, (m: FromWorker) => void>();
  private nextId = 1;
  private watchdogTimer: NodeJS.Timeout | null = null;
  readonly startedAt = new Date();
  configLoadedAt = new Date();
  private stopping = false;
  private lvs: LvsPart | null = null;
  private scripts: TrackScripts | null = null;
  private notifyRunner: NotifyRunner | null = null;
  private readonly states = new Map<string, string>();
  private stoppedResolve: (() => void) | null = null;
  private control: ControlServer | null = null;
  private metrics: Metrics | null = null;
  private metricsServer: MetricsServer | null = null;
  private lastReload: ReloadOutcome | null = null;
  private readonly startedMono = performance.now();
  /** one runner for every script: notify hooks, vrrp_scripts, checks and LVS hooks */
  private readonly scriptRunner: ScriptRunner = createScriptRunner();

  constructor(private readonly opts: DaemonOptions) {
    this.log = opts.logger;
  }

  async start(): Promise<void> {
    const loaded = await loadConfigFile(this.opts.configFile);
    if (!loaded.ok) {
      for (const e of loaded.errors) {
        this.log.error({ event: 'config-error', file: e.file, line: e.line, col: e.col }, e.message);
        process.stderr.write(`${formatConfigError(e)}\n`);
      }
      throw new DaemonError(`invalid configuration in ${this.opts.configFile}`, 1);
    }
    this.config = loaded.config;
    this.notifyRunner = new NotifyRunner(this.config, this.log, this.scriptRunner);
    if (this.config.vrrpInstances.length > 0) await this.startWorker();
    this.scripts = new TrackScripts(
      this.config,
      this.log,
      (name, ok) => this.send({ type: 'script-result', name, ok }),
      this.scriptRunner,
    );
    this.scripts.start();
    if (
      this.config.virtualServers.length > 0 ||
      this.config.lvsSyncDaemon ||
      (await this.recordListsServices(this.config))
    ) {
      this.lvs = await this.createLvs(this.config);
      await this.lvs.start();
    }
    await this.startControl();
    this.startWatchdog();
    this.opts.notify?.ready(this.statusLine());
    this.log.info(
      {
        event: 'started',
        instances: this.config.vrrpInstances.length,
        virtualServers: this.config.virtualServers.length,
      },
      'vrrpd running',
    );
  }

  /**
   * True when the ownership record of the last run lists virtual services (src/lvs/
   * OWNERSHIP.md rule 4): with none left in the config, the LVS side must still start to
   * delete them. Any problem with the file means no (the controller is not needed for it).
   */
  private async recordListsServices(config: Config): Promise<boolean> {
    const { readOwnershipRecord } = await import('./effects/ownership-file.js');
    const r = await readOwnershipRecord(config.global.stateFile).catch(() => null);
    return r?.ok === true && r.keys.size > 0;
  }

  /**
   * The LVS side is loaded only when the configuration has virtual servers (or the
   * ownership record lists services to remove).
   */
  private async createLvs(config: Config): Promise<LvsPart> {
    const [{ LvsController }, { createIpvsClient }, { fileOwnershipStore }] = await Promise.all([
      import('./lvs/controller.js'),
      import('./effects/ipvs-client.js'),
      import('./effects/ownership-file.js'),
    ]);
    return new LvsController(config, this.log, {
      ipvs: () => createIpvsClient(),
      runner: this.scriptRunner,
      ownership: fileOwnershipStore,
      onCheckResult: (o) => this.metrics?.observeCheck(o),
    });
  }

  private async startControl(): Promise<void> {
    const g = this.config.global;
    this.control = await this.openControl(g);
    if (g.metricsListen) this.metricsServer = await this.openMetrics(g.metricsListen);
  }

  private openControl(g: GlobalConfig): Promise<ControlServer> {
    return createControlServer({
      path: g.controlSocket,
      ...(g.controlGroup ? { mode: 0o660 as const, group: g.controlGroup } : {}),
      handlers: {
        status: () => this.snapshot(),
        reload: async () => {
          const r = await this.reload();
          return r.ok ? { ok: true, summary: r.summary } : { ok: false, errors: r.errors };
        },
        ...(this.opts.testHooks ? { 'debug.stall-engine': (p: unknown) => this.stallEngine(p) } : {}),
      },
      onError: (err, ctx) =>
        this.log.warn(
          { event: 'control-error', method: ctx.method, err: err.message },
          'control request failed',
        ),
    });
  }

  private openMetrics(at: NonNullable<GlobalConfig['metricsListen']>): Promise<MetricsServer> {
    // a fresh snapshot per scrape: a cached one would show a failover seconds late
    this.metrics ??= createMetrics({ snapshot: () => this.snapshot() });
    const listen = at.address.includes(':') ? `[${at.address}]:${at.port}` : `${at.address}:${at.port}`;
    return createMetricsServer({ listen, registry: this.metrics.registry });
  }

  /**
   * Applies changed global settings on reload, as an operator expects: the log level and
   * router id at once; the control socket and /metrics listener moved (the new one is
   * opened first, so a failure keeps the old one and is reported). Script user and
   * timeouts are read at each use and need nothing here. Returns what it did, for the
   * reload's summary.
   */
  private async applyGlobal(next: GlobalConfig, diff: ConfigDiff): Promise<string[]> {
    const done: string[] = [];
    if (diff.global.logLevelChanged) {
      this.log.level = next.logLevel;
      done.push(`log level ${next.logLevel}`);
    }
    if (diff.global.routerIdChanged) {
      this.log.setBindings({ routerId: next.routerId });
      done.push(`router id ${next.routerId}`);
    }
    if (diff.control.socketChanged) {
      const old = this.control;
      try {
        if (old && old.path === next.controlSocket) {
          old.setAccess(next.controlGroup);
        } else {
          this.control = await this.openControl(next);
          // The reload request itself may be on the old socket: stop accepting there and
          // remove its file, but let open connections finish.
          void old?.close({ keepConnections: true }).catch(() => {});
        }
        done.push(
          `control socket ${next.controlSocket} (${next.controlGroup ? `0660, group ${next.controlGroup}` : '0600'})`,
        );
      } catch (err) {
        const msg = `control socket not changed: ${(err as Error).message}`;
        this.log.error(
          { event: 'reload-global-failed', setting: 'control_socket', err: (err as Error).message },
          msg,
        );
        done.push(msg);
      }
    }
    const at = (m: GlobalConfig['metricsListen']) => (m ? `${m.address}:${m.port}` : '');
    if (diff.control.metricsChanged) {
      const old = this.metricsServer;
      try {
        if (next.metricsListen) {
          // the new listener first: a port in use must not leave /metrics off
          this.metricsServer = await this.openMetrics(next.metricsListen);
          done.push(`metrics on ${at(next.metricsListen)}`);
        } else {
          this.metricsServer = null;
          done.push('metrics off');
        }
        await old?.close().catch(() => {});
      } catch (err) {
        const msg = `metrics_listen not changed: ${(err as Error).message}`;
        this.log.error(
          { event: 'reload-global-failed', setting: 'metrics_listen', err: (err as Error).message },
          msg,
        );
        done.push(msg);
      }
    }
    if (done.length > 0)
      this.log.info({ event: 'reload-global', changes: done }, `global settings: ${done.join('; ')}`);
    return done;
  }

  /** The status document served on the control socket and used by metrics. */
  async snapshot(): Promise<Snapshot> {
    const engine = await this.engineSnapshot();
    const snap = buildSnapshot({
      config: this.config,
      engine,
      presentVips: new Set(engine.presentAddresses),
      links: new Map(Object.entries(engine.links)),
      lvs: this.lvs?.snapshot() ?? { virtualServers: [], ipvs: null },
      scripts: this.scripts?.snapshot() ?? [],
      daemon: {
        pid: process.pid,
        softwareVersion: VERSION,
        startedAt: this.startedAt,
        uptimeS: (performance.now() - this.startedMono) / 1000,
        configFile: resolve(this.opts.configFile),
        configLoadedAt: this.configLoadedAt,
        lastReload: this.lastReload,
      },
      monoToDate: (ms) => new Date((this.engineToWall ?? 0) + ms),
    });
    return snap;
  }

  /**
   * Wall-clock ms minus the engine's clock ms (the worker's performance.now() has its own
   * origin). Fixed at the first snapshot of each worker: re-deriving it at every snapshot
   * made event times such as an instance's `since` jitter by the message round trip from
   * one status call to the next (and follow later wall-clock steps, though the event's
   * time did not change).
   */
  private engineToWall: number | null = null;

  private async startWorker(): Promise<void> {
    this.engineToWall = null;
    const data: WorkerData = {
      config: this.config,
      heartbeatMs: HEARTBEAT_MS,
      ...(this.opts.testHooks ? { testHooks: true } : {}),
    };
    const worker = new Worker(new URL('./vrrp/worker.js', import.meta.url), { workerData: data });
    this.worker = worker;
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'fatal') reject(new DaemonError(m.message, 2));
        else this.onWorkerMessage(m);
      });
      worker.on('error', (err) => {
        this.log.error({ event: 'engine-crashed', err: String(err) }, 'VRRP engine crashed');
        reject(new DaemonError(`VRRP engine failed: ${err.message}`, 2));
        if (!this.stopping) process.exitCode = 2;
      });
      worker.on('exit', (code) => {
        this.worker = null;
        this.stoppedResolve?.();
        if (!this.stopping) {
          this.log.error({ event: 'engine-exited', code }, 'VRRP engine exited unexpectedly');
          reject(new DaemonError(`VRRP engine exited with code ${code}`, 2));
        }
      });
    });
  }

  private onWorkerMessage(m: FromWorker): void {
    switch (m.type) {
      case 'log':
        this.log[m.level](m.obj, m.msg);
        break;
      case 'heartbeat':
        this.lastHeartbeat = Date.now();
        break;
      case 'state-change':
        this.states.set(m.instance, m.to);
        this.log.info(
          { event: 'state-change', instance: m.instance, from: m.from, to: m.to, reason: m.reason },
          `${m.instance}: ${m.from} -> ${m.to} (${m.reason})`,
        );
        this.notifyRunner?.stateChanged(m.instance, m.to);
        this.lvs?.instanceStateChanged(m.instance, m.to);
        this.opts.notify?.status(this.statusLine());
        break;
      case 'snapshot':
      case 'reloaded':
        this.pending.get(m.id)?.(m);
        this.pending.delete(m.id);
        break;
      case 'stopped':
        this.stoppedResolve?.();
        break;
      default:
        break;
    }
  }

  private send(m: ToWorker): void {
    this.worker?.postMessage(m);
  }

  private ask<T extends FromWorker>(make: (id: number) => ToWorker, timeoutMs = 5000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('the VRRP engine did not answer in time'));
      }, timeoutMs);
      this.pending.set(id, (m) => {
        clearTimeout(t);
        resolve(m as T);
      });
      this.send(make(id));
    });
  }

  async engineSnapshot(): Promise<EngineSnapshot> {
    if (!this.worker)
      return { instances: [], syncGroups: [], interfaceDrops: {}, links: {}, presentAddresses: [], now: 0 };
    const asked = Date.now();
    const m = await this.ask<Extract<FromWorker, { type: 'snapshot' }>>((id) => ({ type: 'snapshot', id }));
    // the engine read its clock somewhere in the round trip: its middle is the best guess
    this.engineToWall ??= (asked + Date.now()) / 2 - m.snapshot.now;
    return m.snapshot;
  }

  get currentConfig(): Config {
    return this.config;
  }

  lvsSnapshot() {
    return this.lvs?.snapshot() ?? [];
  }

  scriptsSnapshot() {
    return this.scripts?.snapshot() ?? [];
  }

  /** Re-reads the config file; a bad file is refused and the running config stays. */
  async reload(): Promise<{ ok: true; summary: string } | { ok: false; errors: string[] }> {
    this.opts.notify?.reloading();
    try {
      const loaded = await loadConfigFile(this.opts.configFile);
      if (!loaded.ok) {
        for (const e of loaded.errors) {
          this.log.error({ event: 'config-error', file: e.file, line: e.line, col: e.col }, e.message);
        }
        this.log.warn(
          { event: 'reload-refused', errors: loaded.errors.length },
          'reload refused: the running configuration stays',
        );
        const errors = loaded.errors.map(formatConfigError);
        this.lastReload = { at: new Date().toISOString(), ok: false, errors };
        return { ok: false, errors };
      }
      const next = loaded.config;
      // what changed, computed once; each part below receives its slice
      const diff = diffConfig(this.config, next);
      let summary = '';
      if (next.vrrpInstances.length > 0 && !this.worker) {
        this.config = next;
        await this.startWorker();
        summary = `started VRRP engine with ${next.vrrpInstances.length} instance(s)`;
      } else if (this.worker) {
        const r = await this.ask<Extract<FromWorker, { type: 'reloaded' }>>(
          (id) => ({ type: 'reload', config: next, instances: diff.vrrp.instances, id }),
          15000,
        );
        if (r.error) return { ok: false, errors: [r.error] };
        const res = r.result!;
        summary = `instances: ${res.unchanged.length} unchanged, ${res.changed.length} changed, ${res.added.length} added, ${res.removed.length} removed`;
      }
      this.config = next;
      this.configLoadedAt = new Date();
      const globals = await this.applyGlobal(next.global, diff);
      if (globals.length > 0) summary += `; global: ${globals.join('; ')}`;
      this.notifyRunner?.setConfig(next, diff.vrrp.syncGroups);
      this.scripts?.setConfig(next, diff.trackScripts);
      if (this.lvs) await this.lvs.setConfig(next, diff.lvs);
      else if (next.virtualServers.length > 0) {
        this.lvs = await this.createLvs(next);
        await this.lvs.start();
      }
      summary += `; virtual servers: ${next.virtualServers.length}`;
      this.log.info({ event: 'reloaded', summary }, 'configuration reloaded');
      this.lastReload = { at: new Date().toISOString(), ok: true, errors: [] };
      return { ok: true, summary };
    } finally {
      this.opts.notify?.ready(this.statusLine());
    }
  }

  private statusLine(): string {
    const counts: Record<string, number> = {};
    for (const s of this.states.values()) counts[s] = (counts[s] ?? 0) + 1;
    const parts = Object.entries(counts).map(([s, n]) => `${n} ${s}`);
    return `${this.config?.vrrpInstances.length ?? 0} instance(s)${parts.length ? ` (${parts.join(', ')})` : ''}, ${this.config?.virtualServers.length ?? 0} virtual server(s)`;
  }

  /** WATCHDOG=1 only while the engine's own loop keeps reporting in. */
  private startWatchdog(): void {
    const n = this.opts.notify;
    if (!n?.watchdogIntervalMs) return;
    this.watchdogTimer = setInterval(() => {
      const engineAlive =
        !this.config.vrrpInstances.length || Date.now() - this.lastHeartbeat < ENGINE_STALE_MS;
      if (engineAlive) n.watchdog();
      else
        this.log.error(
          { event: 'engine-stalled' },
          'VRRP engine stopped reporting; withholding the watchdog',
        );
    }, n.watchdogIntervalMs);
  }

  /** Test hook `debug.stall-engine {ms}` (only with opts.testHooks): blocks the engine loop. */
  private stallEngine(params: unknown): { stalledMs: number } {
    const ms = (params as { ms?: unknown } | null)?.ms;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > 60_000)
      throw Object.assign(new Error('debug.stall-engine needs {ms: 0..60000}'), { code: 'EBADPARAMS' });
    this.send({ type: 'debug-stall', ms });
    return { stalledMs: ms };
  }

  /** SIGTERM: priority-0 adverts, VIPs removed, IPVS left as it is. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.opts.notify?.stopping();
    // Taken before the engine shuts down: its shutdown reports every instance as 'init',
    // which would otherwise leave no instance for the 'stop' hooks below.
    const running = [...this.states].filter(([, state]) => state !== 'init').map(([name]) => name);
    // The engine goes first: its priority-0 adverts are what lets the backup take over
    // within Skew_Time, so nothing else may sit on that path.
    const stopped = new Promise<void>((res) => {
      this.stoppedResolve = res;
    });
    if (this.worker) this.send({ type: 'shutdown' });
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.scripts?.stop();
    this.lvs?.stop();
    await this.control?.close().catch(() => {});
    await this.metricsServer?.close().catch(() => {});
    if (this.worker) {
      await Promise.race([stopped, new Promise((res) => setTimeout(res, 3000))]);
      await this.worker?.terminate();
    }
    for (const name of running) this.notifyRunner?.stateChanged(name, 'stop');
    // sync groups that had reached a state get theirs too (the engine's 'init' reports
    // above leave a group's last state as it was)
    this.notifyRunner?.groupsStopped();
    await this.notifyRunner?.drain(2000);
    this.log.info({ event: 'stopped' }, 'vrrpd stopped');
  }
}
