// A reload (ARCHITECTURE rules 8 and 12): the new file is parsed and checked first (a bad
// one is refused and the running config stays); then what changed is computed once
// (config/diff.ts) and each part receives its slice, in an order that keeps VRRP first.
import type { Logger } from 'pino';
import type {
  ConfigDiff,
  ControlSlice,
  GlobalSlice,
  LvsSlice,
  SetDiff,
  TrackScriptsSlice,
} from '../config/diff.js';
import { diffConfig } from '../config/diff.js';
import { reloadConfigFile } from '../config/incremental.js';
import { type Config, formatConfigError, type GlobalConfig } from '../config/index.js';

/** The parts a reload reaches, each taking its slice. */
export interface ReloadParts {
  log: Logger;
  /** The VRRP engine (started when the new config brings its first instances); returns its summary. */
  vrrp(next: Config, instances: SetDiff): Promise<string>;
  /** notify hooks follow the sync groups */
  notify(next: Config, syncGroups: SetDiff): void;
  trackScripts(next: Config, slice: TrackScriptsSlice): void;
  lvs(next: Config, slice: LvsSlice): Promise<void>;
  control(next: GlobalConfig, slice: ControlSlice): Promise<string[]>;
  /** the new config is the running one from here on (the VRRP engine has it) */
  applied(next: Config): void;
  /**
   * The bytes the running config was built from: with them only the changed virtual
   * servers are read again (config/incremental.ts); updated when the file is applied.
   */
  cache?: { bytes: Buffer | null };
}

/** `refused`: the file has errors (nothing was touched); else a part failed while applying it. */
export type ReloadFileResult =
  | { ok: true; summary: string; config: Config }
  | { ok: false; refused: boolean; errors: string[] };

/** Reads the file again and applies it; never throws for a bad file (it is refused). */
export async function reloadFile(
  file: string,
  running: Config,
  parts: ReloadParts,
): Promise<ReloadFileResult> {
  const cache = parts.cache;
  const prev = cache?.bytes ? { bytes: cache.bytes, config: running } : null;
  const t0 = performance.now();
  const { loaded, bytes } = await reloadConfigFile(file, prev);
  const tRead = performance.now();
  if (!loaded.ok) {
    for (const e of loaded.errors) {
      parts.log.error({ event: 'config-error', file: e.file, line: e.line, col: e.col }, e.message);
    }
    parts.log.warn(
      { event: 'reload-refused', errors: loaded.errors.length },
      'reload refused: the running configuration stays',
    );
    return { ok: false, refused: true, errors: loaded.errors.map(formatConfigError) };
  }
  const next = loaded.config;
  // what changed, computed once; each part below receives its slice
  const diff = diffConfig(running, next);
  let tVrrp = performance.now();
  let vrrp: string;
  try {
    vrrp = await parts.vrrp(next, diff.vrrp.instances);
    tVrrp = performance.now();
  } catch (e) {
    // the engine stopped part-way through applying it: not a refusal
    return { ok: false, refused: false, errors: [(e as Error).message] };
  }
  parts.applied(next);
  if (cache) cache.bytes = bytes;
  const summary = await applySlices(next, diff, parts, vrrp);
  // where the time went: reading and checking the file, the VRRP engine, the other parts
  const ms = {
    read: Math.round(tRead - t0),
    vrrp: Math.round(tVrrp - tRead),
    parts: Math.round(performance.now() - tVrrp),
  };
  parts.log.info({ event: 'reloaded', summary, ms }, 'configuration reloaded');
  return { ok: true, summary, config: next };
}

async function applySlices(
  next: Config,
  diff: ConfigDiff,
  parts: ReloadParts,
  vrrp: string,
): Promise<string> {
  let summary = vrrp;
  const globals = [
    ...applyGlobal(parts.log, next.global, diff.global),
    ...(await parts.control(next.global, diff.control)),
  ];
  if (globals.length > 0) {
    parts.log.info({ event: 'reload-global', changes: globals }, `global settings: ${globals.join('; ')}`);
    summary += `; global: ${globals.join('; ')}`;
  }
  parts.notify(next, diff.vrrp.syncGroups);
  parts.trackScripts(next, diff.trackScripts);
  await parts.lvs(next, diff.lvs);
  return `${summary}; virtual servers: ${next.virtualServers.length}`;
}

/**
 * The global settings applied in place, as an operator expects: the log level and router
 * id at once. Script user and timeouts are read at each use and need nothing here.
 */
export function applyGlobal(log: Logger, next: GlobalConfig, slice: GlobalSlice): string[] {
  const done: string[] = [];
  if (slice.logLevelChanged) {
    log.level = next.logLevel;
    done.push(`log level ${next.logLevel}`);
  }
  if (slice.routerIdChanged) {
    log.setBindings({ routerId: next.routerId });
    done.push(`router id ${next.routerId}`);
  }
  return done;
}
