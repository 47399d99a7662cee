// The LVS side's hook scripts (a real server's notify_up/notify_down, a virtual server's
// quorum_up/quorum_down): run in the background as their own user and group (notify_user,
// quorum_user), else global.script_user, with the notify timeout; a failure is logged,
// never waited for and never thrown.
import { type GlobalConfig, scriptIdentityOf } from '../config/model.js';
import type { ScriptRunner } from '../effects/types.js';
import type { Log } from '../log.js';

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export interface HookIdentity {
  readonly user?: string;
  readonly group?: string;
}

/** A real server's notify_up/notify_down identity. */
export function notifyIdentity(rs: { notifyUser?: string; notifyGroup?: string }): HookIdentity {
  return { user: rs.notifyUser, group: rs.notifyGroup };
}

/** A virtual server's quorum_up/quorum_down identity. */
export function quorumIdentity(vs: { quorumUser?: string; quorumGroup?: string }): HookIdentity {
  return { user: vs.quorumUser, group: vs.quorumGroup };
}

export class HookScripts {
  constructor(
    private readonly runner: ScriptRunner,
    private readonly log: Log,
  ) {}

  /**
   * Starts argv; `what` names the hook in the log ("notify_up of 198.51.100.2:80"); `own`:
   * the hook's user and group (resolved against global.script_user as scriptIdentityOf).
   */
  run(g: GlobalConfig, argv: readonly string[], what: string, own: HookIdentity = {}): void {
    void this.runToEnd(g, argv, what, own);
  }

  /** As run(), settling when the script has ended (or was killed at the notify timeout). */
  runToEnd(g: GlobalConfig, argv: readonly string[], what: string, own: HookIdentity = {}): Promise<void> {
    const opts: Parameters<ScriptRunner['run']>[1] = {
      timeoutMs: g.notifyTimeoutMs,
      ...scriptIdentityOf(own, g),
    };
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
