// Runs the instances' notify hooks (master/backup/fault/stop) on state changes.
// Hooks of one instance run in order, one at a time, each killed at its timeout; a
// failing or hung hook is logged and never delays VRRP (it runs in the main thread,
// the engine is in its worker).
import type { Logger } from 'pino';
import type { Config } from './config/model.js';
import { createScriptRunner } from './effects/script-runner.js';
import type { ScriptRunner } from './effects/types.js';

type Hook = 'master' | 'backup' | 'fault' | 'stop';

export class NotifyRunner {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly runner: ScriptRunner;

  constructor(
    private config: Config,
    private readonly log: Logger,
    runner?: ScriptRunner,
  ) {
    this.runner = runner ?? createScriptRunner();
  }

  setConfig(config: Config): void {
    this.config = config;
  }

  stateChanged(instance: string, state: string): void {
    if (state !== 'master' && state !== 'backup' && state !== 'fault' && state !== 'stop') return;
    const inst = this.config.vrrpInstances.find((i) => i.name === instance);
    if (!inst) return;
    const hooks: [string, readonly string[]][] = [];
    const own = inst.notify[state as Hook];
    if (own && own.length > 0) hooks.push([state, own]);
    // keepalived's `notify`: every transition, with TYPE NAME STATE PRIORITY appended
    const any = inst.notify.any;
    if (any && any.length > 0) {
      hooks.push(['any', [...any, 'INSTANCE', instance, state.toUpperCase(), String(inst.priority)]]);
    }
    for (const [hook, argv] of hooks) {
      const prev = this.queues.get(instance) ?? Promise.resolve();
      this.queues.set(
        instance,
        prev.then(() => this.runHook(instance, hook, state, argv)),
      );
    }
  }

  private async runHook(
    instance: string,
    hook: string,
    state: string,
    argv: readonly string[],
  ): Promise<void> {
    const user = this.config.global.scriptUser;
    const res = await this.runner.run(argv, {
      timeoutMs: this.config.global.notifyTimeoutMs,
      ...(user ? { user } : {}),
      env: { VRRPD_INSTANCE: instance, VRRPD_STATE: state },
    });
    const fields = {
      event: 'notify',
      instance,
      hook,
      argv,
      code: res.code,
      signal: res.signal,
      timedOut: res.timedOut,
      output: res.output,
    };
    if (res.code === 0) this.log.info(fields, `notify ${hook} for ${instance} done`);
    else this.log.warn(fields, `notify ${hook} for ${instance} failed`);
  }

  /** Waits (bounded) for queued hooks, used at shutdown so 'stop' hooks run. */
  async drain(timeoutMs: number): Promise<void> {
    await Promise.race([
      Promise.allSettled([...this.queues.values()]),
      new Promise((r) => setTimeout(r, timeoutMs)),
    ]);
  }
}
