// The one place that assembles vrrpd: it builds the OS-facing parts (the script runner,
// the IPVS client, the ownership record file) once and hands them to the engines — the
// VRRP engine worker (daemon/engine-worker.ts), vrrp_scripts and notify hooks, checks
// and the IPVS reconciler — and wires the control plane (daemon/control-plane.ts),
// sd_notify, the watchdog, reload (daemon/reload.ts) and shutdown.
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { monotonicClock } from './clock.js';
import { reloadConfigFile } from './config/incremental.js';
import { formatConfigError, type LoadResult } from './config/index.js';
import type { Config } from './config/model.js';
import type { ReloadCounts, ReloadOutcome, Snapshot } from './control/snapshot.js';
import { ControlPlane } from './daemon/control-plane.js';
import { EngineWorker, NO_ENGINE_SNAPSHOT, type StateChange } from './daemon/engine-worker.js';
import { reloadFile } from './daemon/reload.js';
import { runStartStopScript } from './daemon/start-stop-scripts.js';
import { buildSnapshot } from './daemon/status-snapshot.js';
import { openProcEvents } from './effects/proc-events.js';
import { createScriptRunner } from './effects/script-runner.js';
import type { ScriptRunner } from './effects/types.js';
import { VrrpdError } from './errors.js';
import { logStateChange } from './log.js';
import { SnmpSubagent } from './snmp/subagent.js';
import { startMark } from './start-marks.js';
import { VERSION } from './version.js';
import { NotifyRunner } from './vrrp/notify.js';
import { TrackFiles } from './vrrp/track-files.js';
import { TrackProcesses } from './vrrp/track-processes.js';
import { TrackScripts } from './vrrp/track-scripts.js';

export interface DaemonOptions {
  configFile: string;
  /** the file as the caller already read it (vrrpd run reads it once, for the log settings) */
  loaded?: LoadResult;
  /** the bytes `loaded` was built from: a reload then reads only the changed virtual servers */
  bytes?: Buffer | null;
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
type AlertsPart = import('./daemon/alerts.js').Alerts;

export class Daemon {
  private engine: EngineWorker | null = null;
  private config!: Config;
  private readonly log: Logger;
  private watchdogTimer: NodeJS.Timeout | null = null;
  readonly startedAt = new Date();
  configLoadedAt = new Date();
  private stopping = false;
  private lvs: LvsPart | null = null;
  private announcer: import('./lvs/announcer.js').Announcer | null = null;
  private scripts: TrackScripts | null = null;
  /** track_files and track_processes (keepalived vrrp_track_file / vrrp_track_process) */
  private trackFiles: TrackFiles | null = null;
  private trackProcesses: TrackProcesses | null = null;
  private notifyRunner: NotifyRunner | null = null;
  private alerts: AlertsPart | null = null;
  private readonly states = new Map<string, string>();
  private readonly controlPlane: ControlPlane;
  private lastReload: ReloadOutcome | null = null;
  /** the bytes the running config was built from (config/incremental.ts) */
  private readonly configBytes: { bytes: Buffer | null } = { bytes: null };
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
    let loaded = this.opts.loaded;
    if (loaded) this.configBytes.bytes = this.opts.bytes ?? null;
    else {
      const r = await reloadConfigFile(this.opts.configFile, null);
      loaded = r.loaded;
      this.configBytes.bytes = r.bytes;
    }
    if (!loaded.ok) {
      for (const e of loaded.errors) {
        this.log.error({ event: 'config-error', file: e.file, line: e.line, col: e.col }, e.message);
        process.stderr.write(`${formatConfigError(e)}\n`);
      }
      throw new VrrpdError('CONFIG_INVALID', `invalid configuration in ${this.opts.configFile}`, 1);
    }
    this.config = loaded.config;
    // keepalived startup_script: before anything else starts (its timeout bounds the wait)
    await runStartStopScript(
      'startup',
      this.config.global.startupScript,
      this.config.global,
      this.scriptRunner,
      this.log,
    );
    await this.ensureAlerts(this.config);
    this.notifyRunner = new NotifyRunner(this.config, this.log, this.scriptRunner, (e) =>
      this.alerts?.vrrp(e),
    );
    // The IPVS side first (its first pass puts the table in the kernel), then the VRRP
    // worker: the real servers are in place before any instance can take a VIP, and the
    // worker's own start (a thread, its bundle, its sockets: about a second in the IPVS
    // test guest, bench/ipvs-scale.ts) no longer delays the table. One after the other,
    // never both at once: a parallel start was tried and, in the IPVS test guest, one
    // start in about ten had the worker never report ready while the main thread
    // programmed 10,000 real servers.
    await this.startLvs(this.config);
    if (this.config.vrrpInstances.length > 0) await this.startEngine(this.config);
    startMark('engine-started');
    this.scripts = new TrackScripts(
      this.config,
      this.log,
      (name, ok) => this.engine?.scriptResult(name, ok),
      this.scriptRunner,
    );
    this.scripts.start();
    this.trackFiles = new TrackFiles(
      this.config,
      this.log,
      (name, value) => this.engine?.trackerValue('file', name, value),
      monotonicClock,
    );
    this.trackFiles.start();
    this.trackProcesses = new TrackProcesses(
      this.config,
      this.log,
      (name, ok) => this.engine?.trackerValue('process', name, ok),
      monotonicClock,
      openProcEvents,
    );
    await this.trackProcesses.start();
    await this.controlPlane.open(this.config.global);
    this.snmp.configure(this.config.global.snmp);
    this.startWatchdog();
    this.opts.notify?.ready(this.statusLine());
    startMark('ready');
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
   * The LVS side, when the configuration has virtual servers (or a sync daemon, or the
   * ownership record lists services to remove). States the engine reported before the
   * controller existed are handed to it.
   */
  private async startLvs(config: Config): Promise<void> {
    if (
      config.virtualServers.length === 0 &&
      !config.lvsSyncDaemon &&
      !(await this.recordListsServices(config))
    )
      return;
    const lvs = await this.createLvs(config);
    startMark('lvs-loaded');
    if (this.stopping) return;
    this.lvs = lvs;
    for (const [instance, state] of this.states) lvs.instanceStateChanged(instance, state);
    await lvs.start();
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
    if (this.signalsArmed) this.engine.armSignals();
  }

  private onStateChange(m: StateChange): void {
    // The engine may stop on SIGTERM before this thread's stop() runs (it hears the signal
    // itself): remember which instances its shutdown took out of a running state, for the
    // 'stop' hooks.
    if (m.to === 'init' && m.reason === 'shutdown' && m.from !== 'init') this.shutDownRunning.add(m.instance);
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
    const [
      { LvsController },
      { createIpvsClient },
      { fileOwnershipStore },
      { nativeTcpConnector },
      { Announcer },
      { createRouteSink },
      { nativeIcmpEcho },
    ] = await Promise.all([
      import('./lvs/controller.js'),
      import('./effects/ipvs-client.js'),
      import('./effects/ownership-file.js'),
      import('./effects/tcp-connect.js'),
      import('./lvs/announcer.js'),
      import('./effects/route-sink.js'),
      import('./effects/icmp-echo.js'),
    ]);
    this.announcer?.close();
    const announcer = new Announcer(this.log, (s) =>
      createRouteSink(s, {
        onGuardianError: (m) => this.log.warn({ event: 'announce-guardian' }, m),
      }),
    );
    this.announcer = announcer;
    return new LvsController(config, this.log, {
      onOutcome: (c, d) => announcer.update(c, d),
      ipvs: () =>
        createIpvsClient().then((c) => {
          startMark('netlink-open');
          return c;
        }),
      runner: this.scriptRunner,
      ownership: fileOwnershipStore,
      tcpConnector: nativeTcpConnector(),
      icmpEcho: nativeIcmpEcho(),
      // ha_suspend: the main thread's own rtnetlink address watch, opened when first needed
      localAddresses: async () => {
        const { createLocalAddresses } = await import('./effects/local-addresses.js');
        const a = createLocalAddresses();
        try {
          await a.ready;
        } catch (e) {
          a.close();
          throw e;
        }
        return a;
      },
      onCheckResult: (o) => this.controlPlane.metrics?.observeCheck(o),
      onEvent: (e) => this.alerts?.lvs(e),
    });
  }

  /**
   * Notify FIFOs and e-mail alerts (src/daemon/alerts.ts): loaded when the configuration
   * first has some; a reload opens and closes FIFOs and replaces the mailer as it changed.
   */
  private async ensureAlerts(config: Config): Promise<void> {
    if (this.alerts) return this.alerts.apply(config);
    if (!config.alerts) return;
    try {
      const [{ Alerts }, { openNotifyFifo }, { createMailSender }] = await Promise.all([
        import('./daemon/alerts.js'),
        import('./effects/notify-fifo.js'),
        import('./effects/smtp-mail.js'),
      ]);
      this.alerts ??= new Alerts(config, this.log, { openFifo: openNotifyFifo, mailer: createMailSender });
    } catch (err) {
      this.log.error(
        { event: 'alerts', err: String(err) },
        `notify FIFOs and e-mail alerts unavailable: ${String(err)}`,
      );
    }
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
      announce: this.announcer?.snapshot() ?? null,
      scripts: this.scripts?.snapshot() ?? [],
      trackFiles: this.trackFiles?.snapshot() ?? [],
      trackProcesses: this.trackProcesses?.snapshot() ?? [],
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
          // a removed (or replaced) instance's shutdown is no daemon stop
          for (const name of [...res.removed, ...res.added]) this.shutDownRunning.delete(name);
          return `instances: ${res.unchanged.length} unchanged, ${res.changed.length} changed, ${res.added.length} added, ${res.removed.length} removed`;
        },
        control: async (next, slice) => {
          const done = await this.controlPlane.apply(next, slice);
          const snmp = slice.snmpChanged ? this.snmp.configure(next.snmp) : null;
          return snmp ? [...done, snmp] : done;
        },
        notify: (next, slice) => this.notifyRunner?.setConfig(next, slice),
        trackScripts: (next, slice) => {
          this.scripts?.setConfig(next, slice);
          this.trackFiles?.setConfig(next);
          this.trackProcesses?.setConfig(next);
        },
        lvs: async (next, slice) => {
          if (this.lvs) await this.lvs.setConfig(next, slice);
          else if (next.virtualServers.length > 0) {
            this.lvs = await this.createLvs(next);
            await this.lvs.start();
          }
        },
        cache: this.configBytes,
        applied: (next) => {
          void this.ensureAlerts(next);
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
        (this.engine?.heartbeatAgeMs() ?? Number.POSITIVE_INFINITY) < ENGINE_STALE_MS;
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

  /**
   * The caller now stops the daemon on SIGTERM/SIGINT: the VRRP thread may then act on
   * them too, sending its priority-0 adverts without waiting for this thread.
   */
  signalsHandled(): void {
    this.signalsArmed = true;
    this.engine?.armSignals();
  }

  private signalsArmed = false;
  private readonly shutDownRunning = new Set<string>();

  /** SIGTERM: priority-0 adverts, VIPs removed, IPVS left as it is. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    // The engine goes first (its shutdown message is sent before anything else here, even
    // STOPPING=1 to systemd): its priority-0 adverts are what lets the backup take over
    // within Skew_Time, so nothing else may sit on that path.
    const engineStopped = this.engine?.stop(ENGINE_STOP_MS);
    // announced routes next: the routers move new flows to the other directors while this
    // one still serves what it has (the IPVS table stays as it is)
    const withdrawn = this.announcer?.withdrawAll();
    this.opts.notify?.stopping();
    // Taken before the engine's shutdown is reported back: its shutdown reports every
    // instance as 'init', which would otherwise leave no instance for the 'stop' hooks below.
    const running = [
      ...new Set([
        ...[...this.states].filter(([, state]) => state !== 'init').map(([name]) => name),
        ...this.shutDownRunning,
      ]),
    ];
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.scripts?.stop();
    this.trackFiles?.stop();
    this.trackProcesses?.stop();
    // omega's down hooks (notify_down, quorum_down) run meanwhile; waited for below
    const lvsStopped = this.lvs?.stop();
    await withdrawn;
    const drainMs = this.config.global.announce?.drainMs ?? 0;
    if (this.announcer && drainMs > 0) {
      this.log.info({ event: 'announce-drain', drainMs }, `draining for ${drainMs} ms before exiting`);
      await new Promise((r) => setTimeout(r, drainMs));
    }
    this.announcer?.close();
    await this.controlPlane.close();
    await this.snmp.stop();
    await lvsStopped;
    await engineStopped;
    for (const name of running) this.notifyRunner?.stateChanged(name, 'stop');
    // sync groups that had reached a state get theirs too (the engine's 'init' reports
    // above leave a group's last state as it was)
    this.notifyRunner?.groupsStopped();
    await this.notifyRunner?.drain(2000);
    await this.alerts?.close();
    // keepalived shutdown_script: last, once the VIPs are gone and the hooks have run
    await runStartStopScript(
      'shutdown',
      this.config.global.shutdownScript,
      this.config.global,
      this.scriptRunner,
      this.log,
    );
    this.log.info({ event: 'stopped' }, 'vrrpd stopped');
  }
}
