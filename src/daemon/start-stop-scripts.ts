// global.startup_script and global.shutdown_script (keepalived startup_script and
// shutdown_script): run once, through the one script runner (own process group, script
// user and group, the whole group killed at the timeout). Never throws: a script that
// fails, hangs or cannot run is logged and the daemon's start or stop goes on.
import { type GlobalConfig, type StartStopScript, scriptIdentityOf } from '../config/model.js';
import type { ScriptRunner } from '../effects/types.js';
import type { Log } from '../log.js';

export async function runStartStopScript(
  kind: 'startup' | 'shutdown',
  script: StartStopScript | undefined,
  global: GlobalConfig,
  runner: ScriptRunner,
  log: Log,
): Promise<void> {
  if (!script) return;
  log.info({ event: `${kind}-script`, argv: script.command }, `running the ${kind} script`);
  try {
    const res = await runner.run(script.command, {
      timeoutMs: script.timeoutMs,
      ...scriptIdentityOf(script, global),
      env: { VRRPD_EVENT: kind },
    });
    const fields = {
      event: `${kind}-script`,
      argv: script.command,
      code: res.code,
      signal: res.signal,
      timedOut: res.timedOut,
      durationMs: Math.round(res.durationMs),
      output: res.output,
      ...(res.errorCode ? { errorCode: res.errorCode } : {}),
    };
    if (res.code === 0) log.info(fields, `${kind} script done`);
    else if (res.timedOut)
      log.warn(fields, `${kind} script killed after its timeout of ${script.timeoutMs / 1000} s`);
    else
      log.warn(
        fields,
        `${kind} script failed (${res.errorCode ?? (res.code !== null ? `exit ${res.code}` : `signal ${res.signal}`)})`,
      );
  } catch (err) {
    // the runner never throws; this keeps a start or stop going should it ever do
    log.error({ event: `${kind}-script`, err: String(err) }, `${kind} script failed: ${String(err)}`);
  }
}
