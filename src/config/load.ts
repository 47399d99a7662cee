// The public entry points: YAML text or a file → a frozen Config, or every error
// found, each as FILE:LINE:COL, sorted by position.
import { readFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { startMark } from '../start-marks.js';
import { buildAlerts } from './build-alerts.js';
import { BuildContext } from './build-context.js';
import { buildLvsTimeouts, buildVirtualServers } from './build-lvs.js';
import { buildTrackers } from './build-trackers.js';
import {
  buildGlobal,
  buildInstances,
  buildLvsSyncDaemon,
  buildScripts,
  buildSyncGroups,
} from './build-vrrp.js';
import { buildVrrpDefaults } from './build-vrrp-knobs.js';
import { type ConfigError, compareErrors, type PathError } from './errors.js';
import { type Config, deepFreeze } from './model.js';
import type { RawConfig, RawInstance, RawSyncGroup, RawVirtualServer, RawVirtualServerGroup } from './raw.js';
import { validateAgainstSchema } from './validate-schema.js';
import { fastYamlData } from './yaml-fast.js';
import { parseYaml, type YamlSource } from './yaml-source.js';

export type LoadResult = { ok: true; config: Config } | { ok: false; errors: ConfigError[] };

export interface ParseOptions {
  /** default for global.router_id; os.hostname() when absent */
  hostname?: string;
}

interface PrunedConfig {
  global: RawConfig['global'];
  vrrp_scripts: RawConfig['vrrp_scripts'];
  badScriptNames: string[];
  /** false when vrrp_scripts itself is malformed: references to scripts cannot be checked */
  scriptsKnown: boolean;
  vrrp_instances: (RawInstance | null)[];
  /** null when vrrp_instances itself is malformed: references to instances cannot be checked */
  instanceNames: string[] | null;
  vrrp_sync_groups: (RawSyncGroup | null)[];
  lvs_sync_daemon: RawConfig['lvs_sync_daemon'];
  lvs_timeouts: RawConfig['lvs_timeouts'];
  virtual_servers: (RawVirtualServer | null)[];
  virtual_server_groups: (RawVirtualServerGroup | null)[];
}

const LISTS = ['vrrp_instances', 'vrrp_sync_groups', 'virtual_servers', 'virtual_server_groups'];

/** The schema-valid parts of the data: bad list items become null (indexes stay), bad sections defaults. */
function withoutBadParts(data: Record<string, unknown>, errors: PathError[]): PrunedConfig {
  const bad = new Set<string>();
  for (const e of errors) {
    const [top, second] = e.path;
    if (top === undefined) continue;
    bad.add(String(top));
    if (second !== undefined && (LISTS.includes(String(top)) || top === 'vrrp_scripts'))
      bad.add(`${top}/${second}`);
  }
  const sectionOk = (k: string): boolean => !bad.has(k) || LISTS.includes(k) || k === 'vrrp_scripts';
  const list = <T>(k: string): (T | null)[] => {
    const v = data[k];
    if (!Array.isArray(v)) return [];
    return v.map((item, i) => (bad.has(`${k}/${i}`) ? null : (item as T)));
  };
  const scriptsIn = data.vrrp_scripts;
  const scripts: RawConfig['vrrp_scripts'] = {};
  const badScriptNames: string[] = [];
  if (scriptsIn && typeof scriptsIn === 'object' && !Array.isArray(scriptsIn)) {
    for (const [name, s] of Object.entries(scriptsIn)) {
      if (bad.has(`vrrp_scripts/${name}`)) badScriptNames.push(name);
      else scripts[name] = s as RawConfig['vrrp_scripts'][string];
    }
  }
  const instancesIn = Array.isArray(data.vrrp_instances) ? (data.vrrp_instances as unknown[]) : [];
  const defaults = { global: {} } as Record<string, unknown>;
  validateAgainstSchema(defaults); // a valid, default-filled global section
  return {
    global: (sectionOk('global') ? data.global : defaults.global) as RawConfig['global'],
    vrrp_scripts: scripts,
    badScriptNames,
    scriptsKnown: !!scriptsIn && typeof scriptsIn === 'object' && !Array.isArray(scriptsIn),
    vrrp_instances: list<RawInstance>('vrrp_instances'),
    instanceNames: !Array.isArray(data.vrrp_instances)
      ? null
      : instancesIn
          .map((i) => (i && typeof i === 'object' ? (i as { name?: unknown }).name : undefined))
          .filter((n): n is string => typeof n === 'string'),
    vrrp_sync_groups: list<RawSyncGroup>('vrrp_sync_groups'),
    lvs_sync_daemon: sectionOk('lvs_sync_daemon')
      ? (data.lvs_sync_daemon as RawConfig['lvs_sync_daemon'])
      : undefined,
    lvs_timeouts: sectionOk('lvs_timeouts') ? (data.lvs_timeouts as RawConfig['lvs_timeouts']) : undefined,
    virtual_servers: list<RawVirtualServer>('virtual_servers'),
    virtual_server_groups: list<RawVirtualServerGroup>('virtual_server_groups'),
  };
}

function located(file: string, source: YamlSource, errors: PathError[]): ConfigError[] {
  return errors
    .map((e) => ({ file, ...source.positionOf(e.path, e.atKey), message: e.message, code: e.code }))
    .sort(compareErrors);
}

/** Builds the model from parsed data: the errors (schema and semantic) or the frozen model. */
function buildConfig(
  data: Record<string, unknown>,
  fileName: string,
  opts: ParseOptions,
): { errors: PathError[] } | { errors: null; config: Config } {
  const schemaErrors = validateAgainstSchema(data);
  startMark('config-validated');
  // Semantic checks assume well-typed data: parts with schema errors are left out of
  // them (their names still count as known), so one run reports as much as it can.
  const raw = withoutBadParts(data, schemaErrors);
  const ctx = new BuildContext();
  const global = buildGlobal(ctx, raw.global, opts.hostname ?? osHostname());
  const vrrpScripts = buildScripts(ctx, raw.vrrp_scripts, global.scriptTimeoutMs);
  const scriptNames = raw.scriptsKnown ? Object.keys(raw.vrrp_scripts).concat(raw.badScriptNames) : null;
  const vrrpInstances = buildInstances(
    ctx,
    raw.vrrp_instances,
    scriptNames,
    buildVrrpDefaults(ctx, raw.global.vrrp_defaults),
  );
  const vrrpSyncGroups = buildSyncGroups(ctx, raw.vrrp_sync_groups, raw.instanceNames);
  const lvsSyncDaemon = buildLvsSyncDaemon(ctx, raw.lvs_sync_daemon, vrrpInstances, raw.instanceNames);
  const lvsTimeouts = buildLvsTimeouts(ctx, raw.lvs_timeouts);
  const virtualServers = buildVirtualServers(
    ctx,
    raw.virtual_servers,
    raw.virtual_server_groups,
    global.announce,
  );
  const alerts = buildAlerts(
    ctx,
    raw,
    { vrrpInstances, vrrpSyncGroups, virtualServers },
    opts.hostname ?? osHostname(),
  );
  const trackers = buildTrackers(ctx, data, schemaErrors, vrrpInstances);
  if (schemaErrors.length > 0 || ctx.errors.length > 0) return { errors: [...schemaErrors, ...ctx.errors] };
  const config: Config = {
    file: fileName,
    global,
    vrrpScripts,
    vrrpInstances: trackers.instances,
    vrrpSyncGroups,
    ...(lvsSyncDaemon ? { lvsSyncDaemon } : {}),
    lvsTimeouts,
    virtualServers,
    ...(alerts ? { alerts } : {}),
    ...(Object.keys(trackers.trackFiles).length ? { trackFiles: trackers.trackFiles } : {}),
    ...(Object.keys(trackers.trackProcesses).length ? { trackProcesses: trackers.trackProcesses } : {}),
    ...(trackers.processEventsNetns !== undefined ? { processEventsNetns: trackers.processEventsNetns } : {}),
  };
  return { errors: null, config: deepFreeze(config) };
}

export function parseConfigText(text: string, fileName: string, opts: ParseOptions = {}): LoadResult {
  // A valid file is read once, the fast way; only a file with something wrong is read
  // again with positions (yaml-fast.ts says why).
  const fast = fastYamlData(text);
  startMark('config-yaml-read');
  if (fast) {
    const built = buildConfig(fast, fileName, opts);
    if (built.errors === null) return { ok: true, config: built.config };
  }
  const parsed = parseYaml(text);
  if (!parsed.ok)
    return { ok: false, errors: parsed.errors.map((e) => ({ file: fileName, ...e })).sort(compareErrors) };
  const { source } = parsed;
  const built = buildConfig(source.data as Record<string, unknown>, fileName, opts);
  if (built.errors === null) return { ok: true, config: built.config };
  return { ok: false, errors: located(fileName, source, built.errors) };
}

/** Reads and parses a file; an unreadable file or non-UTF-8 data is an error, not an exception. */
export async function loadConfigFile(path: string, opts: ParseOptions = {}): Promise<LoadResult> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'ENOENT'
        ? 'no such file'
        : e.code === 'EACCES'
          ? 'permission denied'
          : e.code === 'EISDIR'
            ? 'is a directory, not a file'
            : e.message;
    return {
      ok: false,
      errors: [
        {
          file: path,
          line: 1,
          col: 1,
          code: 'CONFIG_FILE_UNREADABLE',
          message: `cannot read the file: ${why}`,
        },
      ],
    };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return {
      ok: false,
      errors: [
        {
          file: path,
          line: 1,
          col: 1,
          code: 'CONFIG_NOT_TEXT',
          message: 'this is not a UTF-8 text file; a configuration is YAML text',
        },
      ],
    };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a BOM is harmless
  return parseConfigText(text, path, opts);
}
