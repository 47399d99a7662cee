// Script probe (keepalived MISC_CHECK / vrrp_script): exit status 0 = up, anything else,
// a signal or the timeout = down. The runner owns processes; this only interprets results.

import type { ScriptResult, ScriptRunner } from '../effects/types.js';
import type { Probe, ProbeResult } from './probe.js';

export interface ScriptProbeOptions {
  runner: ScriptRunner;
  command: readonly string[];
  /** kill the script's process group after this long */
  timeoutMs: number;
  /** run as this user (CONFIG.md global.script_user) */
  user?: string;
  /** and with this group (global.script_group); absent: the user's primary group */
  group?: string;
  env?: Record<string, string>;
  /** characters of output carried into the failure reason (the rest is in `detail`) */
  reasonOutputChars?: number;
}

/** One line of output for a reason: whitespace collapsed, cut at `max` characters. */
export function outputSnippet(output: string, max: number): string {
  const flat = output.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

export function describeScriptResult(r: ScriptResult, timeoutMs: number): string {
  if (r.timedOut) return `killed after the ${timeoutMs} ms timeout`;
  if (r.errorCode) return r.output;
  if (r.signal) return `killed by ${r.signal}`;
  return `exit status ${r.code}`;
}

export function scriptProbe(opts: ScriptProbeOptions): Probe {
  const max = opts.reasonOutputChars ?? 200;
  const name = opts.command[0] ?? '(empty command)';
  return async (signal) => {
    const start = performance.now();
    let r: ScriptResult;
    try {
      // The signal lets stopping or removing the check kill the script group at once.
      r = await opts.runner.run(opts.command, {
        timeoutMs: opts.timeoutMs,
        ...(opts.user !== undefined ? { user: opts.user } : {}),
        ...(opts.group !== undefined ? { group: opts.group } : {}),
        ...(opts.env ? { env: opts.env } : {}),
        signal,
      });
    } catch (err) {
      const latencyMs = performance.now() - start;
      return { ok: false, reason: `${name}: ${(err as Error).message}`, latencyMs };
    }
    const latencyMs = r.durationMs;
    const detail = r.output;
    if (r.code === 0 && !r.timedOut) return { ok: true, latencyMs, detail } satisfies ProbeResult;
    const what = describeScriptResult(r, opts.timeoutMs);
    const out = r.errorCode ? '' : outputSnippet(r.output, max);
    return { ok: false, reason: `${name}: ${what}${out ? `: ${out}` : ''}`, latencyMs, detail };
  };
}
