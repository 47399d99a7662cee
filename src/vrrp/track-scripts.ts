// vrrp_scripts: tracked scripts run on the shared check machinery (one scheduler, one
// hysteresis) in the main thread; each result change is sent to the VRRP engine, which
// turns it into a priority change or FAULT for the instances that track the script.

import { type CheckManager, type CheckSpec, createCheckManager } from '../check/manager.js';
import { setChanged, type TrackScriptsSlice } from '../config/diff.js';
import { type Config, scriptIdentityOf } from '../config/model.js';
import type { CheckResult, VrrpScriptStatus } from '../control/snapshot.js';
import type { ScriptRunner } from '../effects/types.js';
import type { Log } from '../log.js';

export class TrackScripts {
  private manager: CheckManager | null = null;
  private readonly startedAtWall = Date.now();
  private readonly startedAtMono = performance.now();

  constructor(
    private config: Config,
    private readonly log: Log,
    private readonly onResult: (name: string, ok: boolean) => void,
    private readonly runner: ScriptRunner,
  ) {}

  private specs(): CheckSpec[] {
    return Object.values(this.config.vrrpScripts).map((s) => ({
      id: s.name,
      probe: { type: 'script', command: s.command, ...scriptIdentityOf(s, this.config.global) },
      intervalMs: s.intervalMs,
      timeoutMs: s.timeoutMs,
      rise: s.rise,
      fall: s.fall,
      retry: 0,
      retryDelayMs: 0,
      alpha: false,
    }));
  }

  start(): void {
    const specs = this.specs();
    if (specs.length === 0) return;
    this.manager = createCheckManager({
      runner: this.runner,
      logger: this.log,
      onChange: (id, t, last) => {
        if (t.to === 'unknown') return;
        this.log.info(
          {
            event: 'script-change',
            script: id,
            from: t.from,
            to: t.to,
            reason: t.reason,
            latencyMs: last.latencyMs,
          },
          `vrrp_script ${id}: ${t.from} -> ${t.to}`,
        );
        this.onResult(id, t.to === 'up');
      },
    });
    this.manager.set(specs);
  }

  /**
   * Reload, with the vrrp_scripts' slice of the reload's diff: the checks are touched only
   * when a script or the default script user changed (the manager keeps the state of
   * every check whose spec stayed the same).
   */
  setConfig(config: Config, slice: TrackScriptsSlice): void {
    this.config = config;
    if (!this.manager) this.start();
    else if (setChanged(slice.vrrpScripts) || slice.scriptUserChanged) this.manager.set(this.specs());
  }

  stop(): void {
    this.manager?.stop();
    this.manager = null;
  }

  /** For `vrrpd status`. */
  snapshot(): VrrpScriptStatus[] {
    const byId = new Map((this.manager?.snapshot() ?? []).map((c) => [c.id, c]));
    return Object.values(this.config.vrrpScripts).map((s) => {
      const c = byId.get(s.name);
      let lastCheck: CheckResult | null = null;
      if (c?.lastResult && c.lastCheckAt !== undefined) {
        lastCheck = {
          ok: c.lastResult.ok,
          reason: c.lastResult.ok ? 'ok' : c.lastResult.reason,
          latencyMs: c.lastResult.latencyMs,
          at: new Date(this.startedAtWall + (c.lastCheckAt - this.startedAtMono)).toISOString(),
        };
      }
      const state = c?.state === 'up' ? 'ok' : c?.state === 'down' ? 'failing' : 'unknown';
      return { name: s.name, state, weight: s.weight, lastCheck };
    });
  }
}
