// `npm run deb`: builds build/deb/vrrpd_<version>-1_<arch>.deb from this checkout with
// dpkg-deb (no debhelper, no root needed: --root-owner-group). What goes where:
//
//   /usr/lib/vrrpd/main.js, vrrp/worker.js   the daemon bundled by esbuild (bundle.ts),
//   /usr/lib/vrrpd/schema-validator.generated.cjs   with its generated config validator
//   /usr/lib/vrrpd/daemon.cjs, daemon.cjs.cache   the CLI and daemon main.js loads, with
//                                            its V8 code cache (src/effects/code-cache.ts)
//   /usr/lib/vrrpd/vrrpd_native.node         the Node-API addon, stripped
//   /usr/bin/vrrpd -> ../lib/vrrpd/main.js   run by /usr/bin/node (its #! line)
//   /lib/systemd/system/vrrpd.service        (Debian 12 keeps units under /lib)
//   /usr/lib/sysusers.d/vrrpd.conf, /usr/lib/tmpfiles.d/vrrpd.conf
//   /etc/vrrpd/vrrpd.yaml                    conffile, from conf/minimal.yaml
//   /usr/share/man/man8/vrrpd.8.gz, man5/vrrpd.yaml.5.gz   generated (man.ts)
//   /usr/share/bash-completion/completions/vrrpd           generated (completion.ts)
//   /usr/share/vrrpd/vrrpd.schema.json       for editors (the examples point at it)
//   /usr/share/vrrpd/prometheus/, grafana/   alert rules (+ their promtool tests), dashboard
//   /usr/share/doc/vrrpd/                    copyright, changelog.Debian.gz, README,
//                                            systemd.md (the unit's Documentation=), examples
//
// Before packing, the bundle is run from a copy outside the checkout (--version and
// check-config of the conffile), so a module left out of the bundle fails the build.
//
// Environment: SOURCE_DATE_EPOCH (default: the last commit's time) fixes dates and file
// times; DEBFULLNAME/DEBEMAIL set the Maintainer field.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { lutimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildProgram } from '../cli/program.js';
import { configSchema } from '../config/schema.js';
import { DEFAULT_CONTROL_SOCKET } from '../control/protocol.js';
import { bundleDaemon, npmPackage } from './bundle.js';
import { bashCompletion } from './completion.js';
import { changelog, controlFile, copyrightFile } from './debian.js';
import { commandManPage, configManPage } from './man.js';

const DEFAULT_MAINTAINER = 'vrrpd maintainers <maintainers@vrrpd.example.org>';
const DEB_REVISION = '1';
const CONF_FILE = '/etc/vrrpd/vrrpd.yaml';
const SCHEMA_PATH = '/usr/share/vrrpd/vrrpd.schema.json';
const SCHEMA_LINE = /^# yaml-language-server: \$schema=.*$/m;

export interface DebBuild {
  deb: string;
  version: string;
  bytes: number;
  ms: number;
}

/** The checkout's root: the nearest directory above this file with vrrpd's package.json. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p) && (JSON.parse(readFileSync(p, 'utf8')) as { name?: string }).name === 'vrrpd')
      return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the vrrpd checkout (package.json) above this file');
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
  }
}

function tryRun(cmd: string, args: string[], cwd: string): string | null {
  try {
    return run(cmd, args, { cwd }).trim();
  } catch {
    return null;
  }
}

/** Dependencies of the native addon on shared libraries, as dpkg-shlibdeps computes them. */
function shlibDepends(addonPath: string): string {
  // dpkg-shlibdeps wants to run in a source tree: give it a minimal one.
  const tree = mkdtempSync(join(tmpdir(), 'vrrpd-shlibs-'));
  try {
    mkdirSync(join(tree, 'debian'));
    writeFileSync(join(tree, 'debian', 'control'), 'Source: vrrpd\n\nPackage: vrrpd\nArchitecture: any\n');
    // --warnings=0: the addon's napi_* symbols come from node itself, not from a library.
    const out = run('dpkg-shlibdeps', ['-O', '--warnings=0', addonPath], { cwd: tree });
    const m = /^shlibs:Depends=(.*)$/m.exec(out);
    return m ? m[1]!.trim() : '';
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

/**
 * Runs the bundle from a copy outside the checkout: a module it requires at run time
 * instead of bundling would otherwise be found in the checkout's node_modules here and be
 * missing only once installed.
 */
function smokeTest(libDir: string, conf: string, version: string): void {
  const away = mkdtempSync(join(tmpdir(), 'vrrpd-bundle-'));
  try {
    cpSync(libDir, away, { recursive: true });
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    const main = join(away, 'main.js');
    const v = run(process.execPath, [main, '--version'], { cwd: away, env }).trim();
    if (v !== version) throw new Error(`the bundle says it is version ${v}, not ${version}`);
    run(process.execPath, [main, 'check-config', conf], { cwd: away, env });
  } finally {
    rmSync(away, { recursive: true, force: true });
  }
}

class Stage {
  constructor(readonly root: string) {}
  path(p: string): string {
    return join(this.root, p.replace(/^\//, ''));
  }
  write(p: string, data: string | Buffer, mode = 0o644): void {
    const full = this.path(p);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, data);
    chmodSync(full, mode);
  }
  copy(from: string, to: string, mode = 0o644): void {
    this.write(to, readFileSync(from), mode);
  }
  /** Compressed as Debian wants man pages and changelogs: gzip -9n (no name, no time). */
  writeGz(p: string, text: string): void {
    this.write(p, gzipSync(Buffer.from(text), { level: 9 }));
  }
}

/** Every path below dir (files, links, directories), depth first. */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...walk(p));
  }
  return out;
}

function withSchemaLine(yaml: string): string {
  return yaml.replace(SCHEMA_LINE, `# yaml-language-server: $schema=${SCHEMA_PATH}`);
}

export async function buildDeb(opts: { outDir?: string } = {}): Promise<DebBuild> {
  const started = performance.now();
  const root = repoRoot();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    version: string;
    license: string;
  };
  const version = `${pkg.version}-${DEB_REVISION}`;
  const arch = run('dpkg', ['--print-architecture']).trim();
  const outDir = opts.outDir ?? join(root, 'build', 'deb');
  const stage = new Stage(join(outDir, 'root'));
  rmSync(stage.root, { recursive: true, force: true });
  mkdirSync(stage.root, { recursive: true });

  const epoch = Number(
    process.env.SOURCE_DATE_EPOCH ?? tryRun('git', ['log', '-1', '--format=%ct'], root) ?? '',
  );
  const when = Number.isFinite(epoch) && epoch > 0 ? new Date(epoch * 1000) : new Date();
  const commit = tryRun('git', ['rev-parse', '--short', 'HEAD'], root) ?? '';
  const maintainer =
    process.env.DEBFULLNAME && process.env.DEBEMAIL
      ? `${process.env.DEBFULLNAME} <${process.env.DEBEMAIL}>`
      : DEFAULT_MAINTAINER;

  // the daemon and its addon
  const lib = stage.path('/usr/lib/vrrpd');
  const { packages } = await bundleDaemon({
    root,
    outDir: lib,
    version: pkg.version,
    shebang: '#!/usr/bin/node',
  });
  chmodSync(join(lib, 'main.js'), 0o755);
  const addonSrc = join(root, 'native', 'build', 'Release', 'vrrpd_native.node');
  if (!existsSync(addonSrc)) throw new Error(`${addonSrc} is missing: build the addon first (npm ci)`);
  const addon = join(lib, 'vrrpd_native.node');
  copyFileSync(addonSrc, addon);
  chmodSync(addon, 0o644);
  run('strip', ['--strip-unneeded', '--remove-section=.comment', '--remove-section=.note', addon]);
  mkdirSync(stage.path('/usr/bin'), { recursive: true });
  symlinkSync('../lib/vrrpd/main.js', stage.path('/usr/bin/vrrpd'));

  // systemd
  stage.copy(join(root, 'systemd/vrrpd.service'), '/lib/systemd/system/vrrpd.service');
  stage.copy(join(root, 'systemd/vrrpd.sysusers'), '/usr/lib/sysusers.d/vrrpd.conf');
  stage.copy(join(root, 'systemd/vrrpd.tmpfiles'), '/usr/lib/tmpfiles.d/vrrpd.conf');

  // configuration: the minimal example, which an operator edits before enabling the service
  const minimal = readFileSync(join(root, 'conf/minimal.yaml'), 'utf8');
  stage.write(
    CONF_FILE,
    withSchemaLine(minimal).replace(
      /\n/,
      `\n# Installed by the vrrpd package: edit, check with "vrrpd check-config ${CONF_FILE}",\n` +
        '# then "systemctl enable --now vrrpd". Every key: man 5 vrrpd.yaml; more examples:\n' +
        '# /usr/share/doc/vrrpd/examples/.\n',
    ),
  );
  stage.write(SCHEMA_PATH, readFileSync(join(root, 'schema/vrrpd.schema.json')));
  for (const kit of ['prometheus', 'grafana'])
    for (const f of readdirSync(join(root, 'conf', kit)).sort())
      stage.copy(join(root, 'conf', kit, f), `/usr/share/vrrpd/${kit}/${f}`);
  smokeTest(lib, stage.path(CONF_FILE), pkg.version);

  // man pages and completion, from the code
  const program = buildProgram();
  const meta = { version: pkg.version, date: when.toISOString().slice(0, 10) };
  const schemaDefault = (key: string, fallback: string): string => {
    const g = (
      configSchema as { properties?: { global?: { properties?: Record<string, { default?: unknown }> } } }
    ).properties?.global?.properties?.[key]?.default;
    return typeof g === 'string' ? g : fallback;
  };
  stage.writeGz(
    '/usr/share/man/man8/vrrpd.8.gz',
    commandManPage(program, meta, {
      configFile: CONF_FILE,
      controlSocket: schemaDefault('control_socket', DEFAULT_CONTROL_SOCKET),
      stateFile: schemaDefault('state_file', '/var/lib/vrrpd/ipvs-owned.json'),
    }),
  );
  stage.writeGz(
    '/usr/share/man/man5/vrrpd.yaml.5.gz',
    configManPage(
      configSchema as Parameters<typeof configManPage>[0],
      meta,
      minimal.replace(SCHEMA_LINE, '').trimStart(),
    ),
  );
  stage.write('/usr/share/bash-completion/completions/vrrpd', bashCompletion(program));

  // documentation
  const doc = '/usr/share/doc/vrrpd';
  stage.write(
    `${doc}/copyright`,
    copyrightFile({
      projectLicense: pkg.license,
      holder: 'the vrrpd authors',
      year: when.getUTCFullYear(),
      bundles: [
        {
          files: [
            'usr/lib/vrrpd/main.js',
            'usr/lib/vrrpd/vrrp/worker.js',
            'usr/lib/vrrpd/http-worker.js',
            'usr/lib/vrrpd/*.cjs',
            'usr/lib/vrrpd/daemon.cjs.cache',
          ],
          packages,
          how: 'bundled with',
        },
        // the addon is compiled with node-addon-api's headers
        {
          files: ['usr/lib/vrrpd/vrrpd_native.node'],
          packages: [npmPackage(join(root, 'node_modules', 'node-addon-api'))],
          how: 'compiled with',
        },
      ],
    }),
  );
  stage.writeGz(`${doc}/changelog.Debian.gz`, changelog({ version, maintainer, date: when, commit }));
  stage.writeGz(`${doc}/README.md.gz`, readFileSync(join(root, 'README.md'), 'utf8'));
  stage.copy(join(root, 'systemd/README.md'), `${doc}/systemd.md`);
  for (const f of readdirSync(join(root, 'conf'))
    .filter((f) => f.endsWith('.yaml'))
    .sort())
    stage.write(`${doc}/examples/${f}`, withSchemaLine(readFileSync(join(root, 'conf', f), 'utf8')));

  const overrides = join(root, 'src/pkg/debian/lintian-overrides');
  if (existsSync(overrides)) stage.copy(overrides, '/usr/share/lintian/overrides/vrrpd');

  // control area
  const installedKiB = walk(stage.root)
    .map((p) => lstatSync(p))
    .reduce((sum, s) => sum + (s.isFile() ? Math.ceil(s.size / 1024) : 1), 0);
  const control = join(stage.root, 'DEBIAN');
  mkdirSync(control);
  const md5 = walk(stage.root)
    .filter((p) => lstatSync(p).isFile())
    .map((p) => `${createHash('md5').update(readFileSync(p)).digest('hex')}  ${relative(stage.root, p)}`)
    .sort((a, b) => a.slice(34).localeCompare(b.slice(34)));
  writeFileSync(join(control, 'md5sums'), `${md5.join('\n')}\n`);
  writeFileSync(join(control, 'conffiles'), `${CONF_FILE}\n`);
  writeFileSync(
    join(control, 'control'),
    controlFile({
      version,
      arch,
      maintainer,
      installedSizeKiB: installedKiB,
      shlibDepends: shlibDepends(addon),
    }),
  );
  for (const script of ['postinst', 'prerm', 'postrm']) {
    copyFileSync(join(root, 'src/pkg/debian', script), join(control, script));
    chmodSync(join(control, script), 0o755);
  }

  // directories 0755, times fixed, then the archive
  for (const p of [stage.root, ...walk(stage.root)]) {
    const s = lstatSync(p);
    if (s.isDirectory()) chmodSync(p, 0o755);
    if (s.isSymbolicLink()) await lutimes(p, when, when);
    else utimesSync(p, when, when);
  }
  const deb = join(outDir, `vrrpd_${version}_${arch}.deb`);
  rmSync(deb, { force: true });
  run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage.root, deb], {
    env: { ...process.env, SOURCE_DATE_EPOCH: String(Math.floor(when.getTime() / 1000)) },
  });
  return { deb, version, bytes: statSync(deb).size, ms: performance.now() - started };
}

// node dist/src/pkg/build-deb.js [--out DIR]   (default DIR: build/deb)
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  if ((outAt >= 0 && !args[outAt + 1]) || args.length !== (outAt >= 0 ? 2 : 0)) {
    process.stderr.write('usage: build-deb.js [--out DIR]\n');
    process.exit(1);
  }
  buildDeb(outAt >= 0 ? { outDir: resolve(args[outAt + 1]!) } : {}).then(
    (r) => {
      process.stdout.write(
        `${relative(process.cwd(), r.deb)}: ${(r.bytes / 1024).toFixed(0)} KiB, built in ${(r.ms / 1000).toFixed(1)} s\n`,
      );
    },
    (err: unknown) => {
      process.stderr.write(`npm run deb: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
