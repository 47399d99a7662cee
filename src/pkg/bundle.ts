// Bundles the daemon with esbuild for the Debian package: the CLI (src/cli/main.ts) and
// the VRRP engine's worker (src/vrrp/worker.ts) become self-contained files
//
//   <outDir>/main.js          the bin: a loader that compiles daemon.cjs with its V8 code
//                             cache (src/cli/bundle-main.ts, src/effects/code-cache.ts)
//   <outDir>/daemon.cjs       the CLI and daemon (the daemon starts ./vrrp/worker.js), a
//                             CommonJS script, whose import.meta.url is main.js's URL
//   <outDir>/daemon.cjs.cache its V8 code cache, made here (src/pkg/code-cache-build.ts)
//   <outDir>/vrrp/worker.js   the worker_thread entry, found through import.meta.url
//   <outDir>/http-worker.js   the HTTP check threads' entry (src/check/http-worker.ts)
//   <outDir>/package.json     {"type":"module"}: node reads the .js files as ES modules
//
// The layout mirrors dist/src/, so `new URL('./vrrp/worker.js', import.meta.url)` in
// src/daemon.ts needs no change; the native addon is copied next to main.js by the caller
// (src/native/binding.ts looks for vrrpd_native.node in the directories above itself).
//   <outDir>/schema-validator.generated.cjs   the configuration validator as generated
//                             code (src/config/schema-validator.ts loads it beside itself,
//                             i.e. beside main.js; without it the daemon would need ajv's
//                             compiler, which is not in the bundle), with ajv's runtime helpers
//
// The version is baked in from package.json; pino is used without transports, so its
// worker files are never needed.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { SCHEMA_VALIDATOR_FILE } from '../config/schema-validator.js';
import { validatorSource } from '../config/validator-source.js';
import { BUNDLE_FILE, CACHE_FILE } from '../effects/code-cache.js';

export interface BundledPackage {
  name: string;
  version: string;
  license: string;
  /** the package's directory, for its LICENSE file */
  dir: string;
}

export interface BundleResult {
  /** the npm packages that ended up in the bundle */
  packages: BundledPackage[];
}

// CommonJS dependencies (commander, pino, ajv, ...) call require() for node built-ins;
// an ES module has no require, so each output file gets one made for it.
const BANNER =
  "import { createRequire as vrrpdCreateRequire } from 'node:module';\n" +
  'const require = vrrpdCreateRequire(import.meta.url);\n' +
  // when the file was compiled and its first line ran (the start-up marks, log.ts startMark)
  'globalThis.vrrpdBundleAt ??= performance.now();';

// daemon.cjs gets require from its loader; the start-up mark as in BANNER
const CJS_BANNER = 'globalThis.vrrpdBundleAt ??= performance.now();';

/** Replaces src/version.ts with the package.json version, so the bundle cannot disagree with it. */
function versionPlugin(version: string): esbuild.Plugin {
  return {
    name: 'vrrpd-version',
    setup(build) {
      build.onLoad({ filter: /[\\/]src[\\/]version\.ts$/ }, () => ({
        contents: `export const VERSION = ${JSON.stringify(version)};\n`,
        loader: 'ts',
      }));
    },
  };
}

/** npm packages whose files are inputs of the bundle, from esbuild's metafile. */
function bundledPackages(root: string, meta: esbuild.Metafile): BundledPackage[] {
  const dirs = new Set<string>();
  for (const input of Object.keys(meta.inputs)) {
    const m = /^(.*?node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(m[1]!);
  }
  return [...dirs].map((rel) => npmPackage(join(root, rel))).sort((a, b) => a.name.localeCompare(b.name));
}

/** Name, version and licence of the npm package in dir. */
export function npmPackage(dir: string): BundledPackage {
  const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    license?: string;
  };
  return { name: p.name, version: p.version, license: p.license ?? 'UNKNOWN', dir };
}

export async function bundleDaemon(opts: {
  root: string;
  outDir: string;
  version: string;
  /** interpreter line of main.js */
  shebang: string;
}): Promise<BundleResult> {
  mkdirSync(opts.outDir, { recursive: true });
  // a cache of an earlier build would be ignored (its key), but not left lying about
  rmSync(join(opts.outDir, CACHE_FILE), { force: true });
  const result = await esbuild.build({
    absWorkingDir: opts.root,
    entryPoints: {
      // the bin: a small loader that compiles daemon.cjs (below) with its code cache
      main: 'src/cli/bundle-main.ts',
      'vrrp/worker': 'src/vrrp/worker.ts',
      // the HTTP check threads' entry: check/http-pool.ts (bundled into main.js) looks for
      // ./http-worker.js beside itself
      'http-worker': 'src/check/http-worker.ts',
    },
    outdir: opts.outDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: BANNER },
    plugins: [versionPlugin(opts.version)],
    // Licence comments of the bundled packages stay, at the end of each file.
    legalComments: 'eof',
    metafile: true,
    logLevel: 'silent',
    write: true,
  });
  for (const w of result.warnings) process.stderr.write(`esbuild: ${w.text}\n`);
  writeFileSync(join(opts.outDir, 'package.json'), '{ "type": "module" }\n');

  // The CLI and daemon as a CommonJS script (vm.Script takes a code cache; an ES module
  // cannot in node 20), run by main.js inside a function that hands it require and, for
  // import.meta.url, main.js's own URL: paths relative to it stay as they were.
  const daemon = await esbuild.build({
    absWorkingDir: opts.root,
    entryPoints: ['src/cli/main.ts'],
    outfile: join(opts.outDir, BUNDLE_FILE),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    define: { 'import.meta.url': 'vrrpdImportMetaUrl' },
    banner: { js: CJS_BANNER },
    plugins: [versionPlugin(opts.version)],
    legalComments: 'eof',
    metafile: true,
    logLevel: 'silent',
    write: true,
  });
  for (const w of daemon.warnings) process.stderr.write(`esbuild: ${w.text}\n`);

  // The generated validator, made now from the schema, with the ajv helpers it requires.
  const validator = await esbuild.build({
    absWorkingDir: opts.root,
    stdin: {
      contents: validatorSource(),
      resolveDir: opts.root,
      sourcefile: SCHEMA_VALIDATOR_FILE,
      loader: 'js',
    },
    outfile: join(opts.outDir, SCHEMA_VALIDATOR_FILE),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    legalComments: 'eof',
    metafile: true,
    logLevel: 'silent',
  });
  for (const w of validator.warnings) process.stderr.write(`esbuild: ${w.text}\n`);

  // src/cli/main.ts starts with `#!/usr/bin/env node`; the package runs Debian's node.
  const mainPath = join(opts.outDir, 'main.js');
  const main = asciiComments(readFileSync(mainPath, 'utf8').replace(/^#!.*\n/, ''), mainPath);
  writeFileSync(mainPath, `${opts.shebang}\n${main}`);
  for (const f of ['vrrp/worker.js', 'http-worker.js', BUNDLE_FILE]) {
    const path = join(opts.outDir, f);
    // daemon.cjs runs inside the loader's function: no interpreter line
    writeFileSync(path, asciiComments(readFileSync(path, 'utf8').replace(/^#!.*\n/, ''), path));
  }
  // esbuild marks daemon.cjs executable for the entry's #! line; it is the loader's to run
  chmodSync(join(opts.outDir, BUNDLE_FILE), 0o644);

  // The code cache, made by compiling daemon.cjs and running a check-config of the
  // example (src/pkg/code-cache-build.ts); without it the loader compiles from source.
  const made = spawnSync(
    process.execPath,
    [
      join(opts.root, 'dist', 'src', 'pkg', 'code-cache-build.js'),
      opts.outDir,
      'check-config',
      join(opts.root, 'conf', 'vrrpd.yaml'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
  );
  if (made.status === null || !existsSync(join(opts.outDir, CACHE_FILE)))
    throw new Error(`the code cache was not made: ${made.stderr ?? made.error}`);

  const inputs = { ...result.metafile.inputs, ...validator.metafile.inputs, ...daemon.metafile.inputs };
  return { packages: bundledPackages(opts.root, { inputs, outputs: {} }) };
}

const ASCII_FOR: Record<string, string> = {
  '→': '->',
  '←': '<-',
  '…': '...',
  '≥': '>=',
  '≤': '<=',
  '≠': '!=',
  '×': 'x',
  '—': '--',
  '–': '-',
  '§': 'S',
  '·': '.',
  µ: 'u',
  '±': '+-',
};

/**
 * esbuild writes strings, regular expressions and names as ASCII (its default charset), but
 * keeps comments as they are. One non-ASCII character anywhere makes V8 hold the whole source
 * as a two-byte string: for main.js that is 4 MB of the daemon's heap instead of 2 MB. So the
 * few non-ASCII characters in comments are spelled in ASCII; one outside a comment line fails
 * the build rather than change code.
 */
export function asciiComments(source: string, file: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range itself
  if (!/[^\u0000-\u007f]/.test(source)) return source;
  const lines = source.split('\n');
  for (const [i, line] of lines.entries()) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range itself
    if (!/[^\u0000-\u007f]/.test(line)) continue;
    const t = line.trimStart();
    if (!(t.startsWith('//') || t.startsWith('*') || t.startsWith('/*')))
      throw new Error(`${file}:${i + 1}: a non-ASCII character outside a comment line: ${t.slice(0, 120)}`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range itself
    lines[i] = line.replace(/[^\u0000-\u007f]/gu, (c) => ASCII_FOR[c] ?? '?');
  }
  return lines.join('\n');
}
