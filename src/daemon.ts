// The one place that assembles vrrpd: it builds the OS-facing parts (the script runner,
// the IPVS client, the ownership record file) once and hands them to the engines — the
// VRRP engine worker (daemon/engine-worker.ts), vrrp_scripts and notify hooks, checks
// and the IPVS reconciler — and wires the control plane (daemon/control-plane.ts),
// sd_notify, the watchdog, reload (daemon/reload.ts) and shutdown.
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { formatConfigError, type LoadResult, loadConfigFile } from './config/index.js';
import type { Config } from './config/model.js';
import type { ReloadCounts, ReloadOutcome, Snapshot } from './control/snapshot.js';
import { ControlPlane } from './daemon/control-plane.js';
import { EngineWorker, NO_ENGINE_SNAPSHOT, type StateChange } from './daemon/engine-worker.js';
import { reloadFile } from './daemon/reload.js';
import { buildSnapshot } from './daemon/status-snapshot.js';
import { createScriptRunner } from './effects/script-runner.js';
import type { ScriptRunner } from './effects/types.js';
import { VrrpdError } from './errors.js';
import { logStateChange } from './log.js';
import { SnmpSubagent } from './snmp/subagent.js';
import { VERSION } from './version.js';
import { NotifyRunner } from './vrrp/notify.js';
import { TrackScripts } from './vrrp/track-scripts.js';

export interface DaemonOptions {
  configFile: string;
  /** the file as the caller already read it (vrrpd run reads it once, for the log settings) */
  loaded?: LoadResult;
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
/** How long shutdown waits for the engine's priority-0 adverts before ending the worker. */
const ENGINE_STOP_MS = 3000;

type LvsPart = import('./lvs/controller.js').LvsController;

export class Daemon {
  private engine: EngineWorker | null = null;
  private config!: Config;
  private readonly log: Logger;
  private watchdogTimer: NodeJS.Timeout | null = null;
  readonly startedAt = new Date();
  configLoadedAt = new Date();
  private stopping = false;
  private lvs: LvsPart | null = null;
  private scripts: TrackScripts | null = null;
  private notifyRunner: NotifyRunner | null = null;
  private readonly states = new Map<string, string>();
  private readonly controlPlane: ControlPlane;
  private lastReload: ReloadOutcome | null = null;
  private readonly reloads: ReloadCounts = { ok: 0, refused: 0, error: 0 };
  /** AgentX subagent of snmpd (global.snmp); follows state changes even while off */
  private readonly snmp: SnmpSubagent;
  private readonly startedMono = performance.now();
  /** one runner for every script: notify hooks, vrrp_scripts, checks and LVS hooks */
  private readonly scriptRunner: ScriptRunner = createScriptRunner();

  constructor(private readonly opts: DaemonOptions) {
    this.log = opts.logger;
    this.snmp = new SnmpSubagent({
      log: this.log,
      snapshot: () => this.snapshot(),
      config: () => this.config,
    });
    this.controlPlane = new ControlPlane({
      log: this.log,
      snapshot: () => this.snapshot(),
      handlers: {
        status: () => this.snapshot(),
        reload: async () => {
          const r = await this.reload();
          return r.ok ? { ok: true, summary: r.summary } : { ok: false, errors: r.errors };
        },
        ...(opts.testHooks ? { 'debug.stall-engine': (p: unknown) => this.stallEngine(p) } : {}),
      },
    });
  }

  async start(): Promise<void> {
    const loaded = this.opts.loaded ?? (await loadConfigFile(this.opts.configFile));
    if (!loaded.ok) {
      for (const e of loaded.errors) {
        this.log.error({ event: 'config-error', file: e.file, line: e.line, col: e.col }, e.message);
        process.stderr.write(`${formatConfigError(e)}\n`);
      }
      throw new VrrpdError('CONFIG_INVALID', `invalid configuration in ${this.opts.configFile}`, 1);
    }
    this.config = loaded.config;
    this.notifyRunner = new NotifyRunner(this.config, this.log, this.scriptRunner);
    if (this.config.vrrpInstances.length > 0) await this.startEngine(this.config);
    this.scripts = new TrackScripts(
      this.config,
      this.log,
      (name, ok) => this.engine?.scriptResult(name, ok),
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
    await this.controlPlane.open(this.config.global);
    this.snmp.configure(this.config.global.snmp);
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

  private async startEngine(config: Config): Promise<void> {
    this.engine = new EngineWorker({
      url: new URL('./vrrp/worker.js', import.meta.url),
      config,
      heartbeatMs: HEARTBEAT_MS,
      ...(this.opts.testHooks ? { testHooks: true } : {}),
      log: this.log,
      onStateChange: (m) => this.onStateChange(m),
      onFailure: () => {
        if (!this.stopping) process.exitCode = 2;
      },
      onLateness: (s) => this.controlPlane.metrics?.observeEngineLateness(s),
    });
    await this.engine.start();
  }

  private onStateChange(m: StateChange): void {
    this.states.set(m.instance, m.to);
    logStateChange(this.log, { instance: m.instance, from: m.from, to: m.to, reason: m.reason });
    this.notifyRunner?.stateChanged(m.instance, m.to);
    this.lvs?.instanceStateChanged(m.instance, m.to);
    this.snmp.stateChanged(m);
    this.opts.notify?.status(this.statusLine());
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
    const [{ LvsController }, { createIpvsClient }, { fileOwnershipStore }, { nativeTcpConnector }] =
      await Promise.all([
        import('./lvs/controller.js'),
        import('./effects/ipvs-client.js'),
        import('./effects/ownership-file.js'),
        import('./effects/tcp-connect.js'),
      ]);
    return new LvsController(config, this.log, {
      ipvs: () => createIpvsClient(),
      runner: this.scriptRunner,
      ownership: fileOwnershipStore,
      tcpConnector: nativeTcpConnector(),
      onCheckResult: (o) => this.controlPlane.metrics?.observeCheck(o),
    });
  }

  /** The status document served on the control socket and used by metrics. */
  async snapshot(): Promise<Snapshot> {
    const engine = this.engine;
    const engineSnap = engine ? await engine.snapshot() : NO_ENGINE_SNAPSHOT;
    return buildSnapshot({
      config: this.config,
      engine: engineSnap,
      presentVips: new Set(engineSnap.presentAddresses),
      links: new Map(Object.entries(engineSnap.links)),
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
        reloads: this.reloads,
      },
      monoToDate: (ms) => engine?.toWall(ms) ?? new Date(ms),
    });
  }

  get currentConfig(): Config {
    return this.config;
  }

  /** Re-reads the config file; a bad file is refused and the running config stays. */
  async reload(): Promise<{ ok: true; summary: string } | { ok: false; errors: string[] }> {
    this.opts.notify?.reloading();
    try {
      const r = await reloadFile(this.opts.configFile, this.config, {
        log: this.log,
        vrrp: async (next, instances) => {
          if (next.vrrpInstances.length > 0 && !this.engine?.running) {
            await this.startEngine(next);
            return `started VRRP engine with ${next.vrrpInstances.length} instance(s)`;
          }
          if (!this.engine?.running) return '';
          const res = await this.engine.reload(next, instances);
          return `instances: ${res.unchanged.length} unchanged, ${res.changed.length} changed, ${res.added.length} added, ${res.removed.length} removed`;
        },
        control: async (next, slice) => {
          const done = await this.controlPlane.apply(next, slice);
          const snmp = slice.snmpChanged ? this.snmp.configure(next.snmp) : null;
          return snmp ? [...done, snmp] : done;
        },
        notify: (next, slice) => this.notifyRunner?.setConfig(next, slice),
        trackScripts: (next, slice) => this.scripts?.setConfig(next, slice),
        lvs: async (next, slice) => {
          if (this.lvs) await this.lvs.setConfig(next, slice);
          else if (next.virtualServers.length > 0) {
            this.lvs = await this.createLvs(next);
            await this.lvs.start();
          }
        },
        applied: (next) => {
          this.config = next;
          this.configLoadedAt = new Date();
        },
      });
      if (r.ok) {
        this.reloads.ok++;
        this.lastReload = { at: new Date().toISOString(), ok: true, errors: [] };
        return { ok: true, summary: r.summary };
      }
      if (r.refused) {
        this.reloads.refused++;
        this.lastReload = { at: new Date().toISOString(), ok: false, errors: r.errors };
      } else this.reloads.error++;
      return { ok: false, errors: r.errors };
    } catch (err) {
      this.reloads.error++;
      throw err;
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
        !this.config.vrrpInstances.length ||
        performance.now() - (this.engine?.lastHeartbeat ?? Number.NEGATIVE_INFINITY) < ENGINE_STALE_MS;
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
      throw new VrrpdError('CONTROL_BAD_PARAMS', 'debug.stall-engine needs {ms: 0..60000}');
    this.engine?.stall(ms);
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
    // The engine goes first (its shutdown message is sent before anything else here): its
    // priority-0 adverts are what lets the backup take over within Skew_Time, so nothing
    // else may sit on that path.
    const engineStopped = this.engine?.stop(ENGINE_STOP_MS);
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.scripts?.stop();
    this.lvs?.stop();
    await this.controlPlane.close();
    await this.snmp.stop();
    await engineStopped;
    for (const name of running) this.notifyRunner?.stateChanged(name, 'stop');
    // sync groups that had reached a state get theirs too (the engine's 'init' reports
    // above leave a group's last state as it was)
    this.notifyRunner?.groupsStopped();
    await this.notifyRunner?.drain(2000);
    this.log.info({ event: 'stopped' }, 'vrrpd stopped');
  }
}
