// A V8 code cache for the bundled daemon (src/pkg/bundle.ts). The package's bin
// (dist/bundle/main.js, /usr/lib/vrrpd/main.js) is a small loader that compiles the daemon
// (daemon.cjs beside it) with the cache made at build time (daemon.cjs.cache), so that a
// start skips most of the parsing and compiling of 2 MB of JavaScript. This matters most
// where every page fault is expensive (the IPVS test guest, bench/ipvs-scale.ts).
//
// The cache is only ever read at run time, never written: the systemd unit gives the
// daemon no writable place for it (ProtectSystem=strict), and none is needed. A cache that
// is missing, unreadable, made for another daemon.cjs, another node or another V8 (its
// header's key), or refused by V8 itself is ignored and the daemon is compiled from its
// source, as it would be without a cache.
//
// The file: one header line, `vrrpd-code-cache 1 <key> <sum>\n`, then V8's data. The key
// is the SHA-256 of the compiled source with node's version, V8's version and the
// architecture (V8 checks its data against the source's length only); the sum is the
// SHA-256 of the data (a release build of V8 does not verify its own checksum).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

const MAGIC = 'vrrpd-code-cache 1';

/** The parameters the bundle's code sees (esbuild's CommonJS output, import.meta.url defined as the last). */
const HEAD = '(function (exports, require, module, __filename, __dirname, vrrpdImportMetaUrl) {';
const TAIL = '\n})';

export type CacheUse = 'used' | 'none' | 'stale' | 'corrupt' | 'rejected';

export interface CompiledBundle {
  script: Script;
  /** whether the cache was used, absent, made for something else, damaged, or refused by V8 */
  cache: CacheUse;
  key: string;
  /** runs the bundle's code (the CLI reads process.argv); returns its module.exports */
  run(): unknown;
}

export function cacheKey(wrapped: string): string {
  const h = createHash('sha256').update(wrapped).digest('hex');
  return `${h}-${process.version}-${process.versions.v8}-${process.arch}`;
}

/** The cache's V8 data when its header names this key, else undefined (missing, stale or corrupt). */
export function readCodeCache(cacheFile: string, key: string): { data?: Buffer; use: CacheUse } {
  let buf: Buffer;
  try {
    buf = readFileSync(cacheFile);
  } catch {
    return { use: 'none' };
  }
  const nl = buf.indexOf(10);
  if (nl < 0 || nl > 512) return { use: 'stale' };
  const [magic, version, k, sum] = buf.subarray(0, nl).toString('latin1').split(' ');
  if (`${magic} ${version}` !== MAGIC || k !== key) return { use: 'stale' };
  const data = buf.subarray(nl + 1);
  // V8 does not check its data's checksum in a release build: a damaged file is caught here
  if (data.length === 0 || createHash('sha256').update(data).digest('hex') !== sum) return { use: 'corrupt' };
  return { data, use: 'used' };
}

/**
 * Compiles the bundle at `file` (CommonJS, as esbuild writes it), with the cache at
 * `cacheFile` when it fits. `mainFile` is what the bundle's import.meta.url names: the
 * loader, whose directory holds the worker files and the addon the daemon looks for.
 */
export function compileBundle(file: string, cacheFile: string, mainFile: string): CompiledBundle {
  const wrapped = HEAD + readFileSync(file, 'utf8') + TAIL;
  const key = cacheKey(wrapped);
  const cached = readCodeCache(cacheFile, key);
  let script: Script;
  try {
    script = new Script(wrapped, { filename: file, ...(cached.data ? { cachedData: cached.data } : {}) });
  } catch (e) {
    // a syntax error is the bundle's own; anything the cache caused is retried without it
    if (!cached.data) throw e;
    script = new Script(wrapped, { filename: file });
    cached.use = 'rejected';
  }
  const use: CacheUse = cached.data && script.cachedDataRejected ? 'rejected' : cached.use;
  return {
    script,
    cache: use,
    key,
    run() {
      const fn = script.runInThisContext() as (...a: unknown[]) => void;
      const module: { exports: unknown } = { exports: {} };
      fn(module.exports, createRequire(file), module, file, dirname(file), pathToFileURL(mainFile).href);
      return module.exports;
    },
  };
}

/** Writes the cache for a compiled bundle (at build time, after a warm-up run). */
export function writeCodeCache(b: CompiledBundle, cacheFile: string): void {
  const data = b.script.createCachedData();
  const sum = createHash('sha256').update(data).digest('hex');
  writeFileSync(cacheFile, Buffer.concat([Buffer.from(`${MAGIC} ${b.key} ${sum}\n`, 'latin1'), data]));
}

/** The loader's whole work: daemon.cjs and daemon.cjs.cache beside `mainFile`. */
export function runBundled(mainFile: string): void {
  const dir = dirname(mainFile);
  compileBundle(join(dir, BUNDLE_FILE), join(dir, CACHE_FILE), mainFile).run();
}

export const BUNDLE_FILE = 'daemon.cjs';
export const CACHE_FILE = 'daemon.cjs.cache';
