// The LVS side's hook scripts (a real server's notify_up/notify_down, a virtual server's
// quorum_up/quorum_down): run in the background as global.script_user with the notify
// timeout; a failure is logged, never waited for and never thrown.
import type { GlobalConfig } from '../config/model.js';
import type { ScriptRunner } from '../effects/types.js';
import type { Log } from '../log.js';

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class HookScripts {
  constructor(
    private readonly runner: ScriptRunner,
    private readonly log: Log,
  ) {}

  /** Starts argv; `what` names the hook in the log ("notify_up of 198.51.100.2:80"). */
  run(g: GlobalConfig, argv: readonly string[], what: string): void {
    void this.runToEnd(g, argv, what);
  }

  /** As run(), settling when the script has ended (or was killed at the notify timeout). */
  runToEnd(g: GlobalConfig, argv: readonly string[], what: string): Promise<void> {
    const opts: Parameters<ScriptRunner['run']>[1] = { timeoutMs: g.notifyTimeoutMs };
    if (g.scriptUser !== undefined) opts.user = g.scriptUser;
    if (g.scriptGroup !== undefined) opts.group = g.scriptGroup;
    return this.runner.run(argv, opts).then(
      (r) => {
        if (r.code === 0 && !r.timedOut && !r.errorCode) return;
        const why =
          r.errorCode ??
          (r.timedOut ? `timed out after ${g.notifyTimeoutMs} ms` : `exit ${r.code ?? r.signal}`);
        this.log.warn(
          { event: 'script-failed', script: argv[0], what, output: r.output.slice(0, 512) },
          `${what} (${argv[0]}) failed: ${why}`,
        );
      },
      (e: unknown) =>
        this.log.warn({ event: 'script-failed', script: argv[0], what }, `${what} failed: ${errText(e)}`),
    );
  }
}
