// The daemon's control plane: the control socket (status, reload) and the Prometheus
// /metrics listener, opened at start, moved on reload by their slice of the reload's
// diff (the new one is opened first, so a failure keeps the old one and is reported),
// closed at shutdown.

import type { ControlSlice } from '../config/diff.js';
import type { GlobalConfig } from '../config/model.js';
import type { Metrics, MetricsServer } from '../control/metrics.js';
import { type ControlHandlers, type ControlServer, createControlServer } from '../control/server.js';
import type { Snapshot } from '../control/snapshot.js';
import type { Log } from '../log.js';

export interface ControlPlaneOptions {
  log: Log;
  /** the control socket's methods */
  handlers: ControlHandlers;
  /** a fresh status document (each /metrics scrape asks for one) */
  snapshot(): Promise<Snapshot>;
}

const listenText = (m: GlobalConfig['metricsListen']) => (m ? `${m.address}:${m.port}` : '');

export class ControlPlane {
  private control: ControlServer | null = null;
  private metricsServer: MetricsServer | null = null;
  private metricsRegistry: Metrics | null = null;

  constructor(private readonly opts: ControlPlaneOptions) {}

  /** Metrics, once /metrics has been opened (check results are observed from then on). */
  get metrics(): Metrics | null {
    return this.metricsRegistry;
  }

  async open(g: GlobalConfig): Promise<void> {
    this.control = await this.openControl(g);
    if (g.metricsListen) this.metricsServer = await this.openMetrics(g.metricsListen);
  }

  private openControl(g: GlobalConfig): Promise<ControlServer> {
    return createControlServer({
      path: g.controlSocket,
      ...(g.controlGroup ? { mode: 0o660 as const, group: g.controlGroup } : {}),
      handlers: this.opts.handlers,
      onError: (err, ctx) =>
        this.opts.log.warn(
          { event: 'control-error', method: ctx.method, err: err.message },
          'control request failed',
        ),
    });
  }

  private async openMetrics(at: NonNullable<GlobalConfig['metricsListen']>): Promise<MetricsServer> {
    // loaded when /metrics is configured: prom-client and what it pulls in (~50 modules of
    // @opentelemetry/api) stay out of a daemon without it (~1.2 MB resident)
    const { createMetrics, createMetricsServer } = await import('../control/metrics.js');
    // a fresh snapshot per scrape: a cached one would show a failover seconds late
    this.metricsRegistry ??= createMetrics({ snapshot: () => this.opts.snapshot() });
    const listen = at.address.includes(':') ? `[${at.address}]:${at.port}` : `${at.address}:${at.port}`;
    return createMetricsServer({ listen, registry: this.metricsRegistry.registry });
  }

  /** Reload: moves what its slice says changed; returns what it did, for the summary. */
  async apply(next: GlobalConfig, slice: ControlSlice): Promise<string[]> {
    const done: string[] = [];
    if (slice.socketChanged) done.push(await this.moveControl(next));
    if (slice.metricsChanged) done.push(await this.moveMetrics(next));
    return done;
  }

  private async moveControl(next: GlobalConfig): Promise<string> {
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
      return `control socket ${next.controlSocket} (${next.controlGroup ? `0660, group ${next.controlGroup}` : '0600'})`;
    } catch (err) {
      return this.failed('control_socket', `control socket not changed: ${(err as Error).message}`, err);
    }
  }

  private async moveMetrics(next: GlobalConfig): Promise<string> {
    const old = this.metricsServer;
    try {
      let done: string;
      if (next.metricsListen) {
        // the new listener first: a port in use must not leave /metrics off
        this.metricsServer = await this.openMetrics(next.metricsListen);
        done = `metrics on ${listenText(next.metricsListen)}`;
      } else {
        this.metricsServer = null;
        done = 'metrics off';
      }
      await old?.close().catch(() => {});
      return done;
    } catch (err) {
      return this.failed('metrics_listen', `metrics_listen not changed: ${(err as Error).message}`, err);
    }
  }

  private failed(setting: string, msg: string, err: unknown): string {
    this.opts.log.error({ event: 'reload-global-failed', setting, err: (err as Error).message }, msg);
    return msg;
  }

  async close(): Promise<void> {
    await this.control?.close().catch(() => {});
    await this.metricsServer?.close().catch(() => {});
  }
}
