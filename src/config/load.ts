// The public entry points: YAML text or a file → a frozen Config, or every error
// found, each as FILE:LINE:COL, sorted by position.
import { readFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { BuildContext } from './build-context.js';
import { buildLvsTimeouts, buildVirtualServers } from './build-lvs.js';
import {
  buildGlobal,
  buildInstances,
  buildLvsSyncDaemon,
  buildScripts,
  buildSyncGroups,
} from './build-vrrp.js';
import { type ConfigError, compareErrors, type PathError } from './errors.js';
import { type Config, deepFreeze } from './model.js';
import type { RawConfig } from './raw.js';
import { validateAgainstSchema } from './validate-schema.js';
import { parseYaml, type YamlSource } from './yaml-source.js';

export type LoadResult = { ok: true; config: Config } | { ok: false; errors: ConfigError[] };

export interface ParseOptions {
  /** default for global.router_id; os.hostname() when absent */
  hostname?: string;
}

function located(file: string, source: YamlSource, errors: PathError[]): ConfigError[] {
  return errors
    .map((e) => ({ file, ...source.positionOf(e.path, e.atKey), message: e.message, code: e.code }))
    .sort(compareErrors);
}

export function parseConfigText(text: string, fileName: string, opts: ParseOptions = {}): LoadResult {
  const parsed = parseYaml(text);
  if (!parsed.ok)
    return { ok: false, errors: parsed.errors.map((e) => ({ file: fileName, ...e })).sort(compareErrors) };
  const { source } = parsed;
  const data = source.data;
  const schemaErrors = validateAgainstSchema(data);
  // semantic checks assume well-typed data: they run once the structure is right
  if (schemaErrors.length > 0) return { ok: false, errors: located(fileName, source, schemaErrors) };
  const raw = data as RawConfig;
  const ctx = new BuildContext();
  const global = buildGlobal(ctx, raw.global, opts.hostname ?? osHostname());
  const vrrpScripts = buildScripts(ctx, raw.vrrp_scripts, global.scriptTimeoutMs);
  const vrrpInstances = buildInstances(ctx, raw.vrrp_instances, vrrpScripts);
  const names = raw.vrrp_instances.map((i) => i.name);
  const vrrpSyncGroups = buildSyncGroups(ctx, raw.vrrp_sync_groups, names);
  const lvsSyncDaemon = buildLvsSyncDaemon(ctx, raw.lvs_sync_daemon, vrrpInstances);
  const lvsTimeouts = buildLvsTimeouts(ctx, raw.lvs_timeouts);
  const virtualServers = buildVirtualServers(ctx, raw.virtual_servers);
  if (ctx.errors.length > 0) return { ok: false, errors: located(fileName, source, ctx.errors) };
  const config: Config = {
    file: fileName,
    global,
    vrrpScripts,
    vrrpInstances,
    vrrpSyncGroups,
    ...(lvsSyncDaemon ? { lvsSyncDaemon } : {}),
    lvsTimeouts,
    virtualServers,
  };
  return { ok: true, config: deepFreeze(config) };
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
