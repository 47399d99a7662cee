// What src/pkg/ generates for the Debian package, checked without building one (no root):
// the man pages render without groff warnings and name every command, option and schema
// key; the bash completion completes; the control file keeps Debian's line limits.
// test/pkg/deb.test.ts checks the same files inside the installed package.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { configSchema } from '../../src/config/schema.js';
import { npmPackage } from '../../src/pkg/bundle.js';
import { bashCompletion } from '../../src/pkg/completion.js';
import { changelog, controlFile, copyrightFile } from '../../src/pkg/debian.js';
import { commandManPage, configManPage, schemaKeys } from '../../src/pkg/man.js';
import { missing } from '../helpers/env.js';

const dir = mkdtempSync(join(tmpdir(), `vrrpd-pkggen-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const meta = { version: '1.2.3', date: '2026-01-02' };
type SchemaArg = Parameters<typeof configManPage>[0];

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ code: number; out: string; err: string }>((resolve) =>
    execFile(cmd, args, { env, timeout: 30_000 }, (err, out, errOut) =>
      resolve({ code: err ? 1 : 0, out, err: errOut }),
    ),
  );
}

/** Renders a man page to text; groff's warnings (man --warnings) must be none. */
async function render(name: string, roff: string): Promise<string> {
  const file = join(dir, name);
  writeFileSync(file, roff);
  const env = { ...process.env, MANWIDTH: '200', LC_ALL: 'C.UTF-8' };
  const r = await run('man', ['--warnings', '-l', file], env);
  expect(r.err, name).toBe('');
  expect(r.code).toBe(0);
  // hyphenation breaks joined, justification spaces collapsed
  return r.out.replace(/‐\n\s*/g, '').replace(/[ \t]+/g, ' ');
}

describe('generated man pages', () => {
  it('vrrpd(8): every command and option, with defaults', async (ctx) => {
    const why = missing({ commands: ['man'] });
    if (why) return ctx.skip(why);
    const program = buildProgram();
    const text = await render(
      'vrrpd.8',
      commandManPage(program, meta, {
        configFile: '/etc/vrrpd/vrrpd.yaml',
        controlSocket: '/run/vrrpd/vrrpd.sock',
        stateFile: '/var/lib/vrrpd/ipvs-owned.json',
      }),
    );
    expect(text).toMatch(/^VRRPD\(8\)/);
    expect(text).toContain('vrrpd 1.2.3');
    for (const cmd of program.commands) {
      expect(text).toContain(`vrrpd ${cmd.name()}`);
      for (const o of cmd.options) expect(text, `${cmd.name()} ${o.flags}`).toContain(o.long!);
    }
    expect(text).toContain('-s, --socket path');
    expect(text).toContain('Default: /run/vrrpd/vrrpd.sock.');
    expect(text).toContain('-V, --version');
  });

  it('vrrpd.yaml(5): every schema key with its type and default', async (ctx) => {
    const why = missing({ commands: ['man'] });
    if (why) return ctx.skip(why);
    const schema = configSchema as SchemaArg;
    const keys = schemaKeys(schema);
    expect(keys.length).toBeGreaterThan(100);
    const text = await render('vrrpd.yaml.5', configManPage(schema, meta, 'vrrp_instances: []\n'));
    for (const k of keys) expect(text).toContain(k.path);
    expect(text).toContain('vrrp_instances[].advert_interval (number or string; default: 1s)');
    expect(text).toContain('vrrp_instances[].vrid (integer; 1 to 255; required)');
    expect(text).toContain('vrrp_scripts.NAME.command (list of strings; at least 1 item; required)');
  });

  it('escapes what roff would read as requests or escapes', async (ctx) => {
    const why = missing({ commands: ['man'] });
    if (why) return ctx.skip(why);
    const schema: SchemaArg = {
      description: '.starts with a dot',
      properties: { weird: { type: 'string', default: '\\d+', description: "'quoted \\fB not bold" } },
    };
    const text = await render('weird.5', configManPage(schema, meta, '.x: 1\n'));
    expect(text).toContain('.starts with a dot');
    expect(text).toContain('default: \\d+');
    expect(text).toContain("'quoted \\fB not bold");
  });
});

describe('generated bash completion', () => {
  const script = join(dir, 'vrrpd.bash');
  writeFileSync(script, bashCompletion(buildProgram()));
  const complete = async (...words: string[]) => {
    const src = `source ${script}; cd ${dir}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_vrrpd; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = await run('bash', ['-c', src]);
    expect(r.err).toBe('');
    return r.out.split('\n').filter(Boolean).sort();
  };

  it('completes commands, options, and files where a file is wanted', async () => {
    expect(await complete('vrrpd', '')).toEqual(
      expect.arrayContaining([
        'check-config',
        'import-keepalived',
        'lab',
        'reload',
        'run',
        'status',
        '--version',
      ]),
    );
    expect(await complete('vrrpd', 'im')).toEqual(['import-ipvsadm', 'import-keepalived']);
    expect(await complete('vrrpd', 'lab', '--')).toEqual(['--help', '--keep', '--steps']);
    expect(await complete('vrrpd', 'lab', '--steps', '')).toEqual([]);
    expect(await complete('vrrpd', 'run', '--config', 'vrrpd.b')).toEqual(['vrrpd.bash']);
    expect(await complete('vrrpd', 'import-keepalived', 'vrrpd.b')).toEqual(['vrrpd.bash']);
    expect(await complete('vrrpd', 'help', 'rel')).toEqual(['reload']);
  });
});

describe('Debian control data', () => {
  it('control: fields in order, description lines under 80 columns', () => {
    const c = controlFile({
      version: '1.2.3-1',
      arch: 'amd64',
      maintainer: 'A <a@example.org>',
      installedSizeKiB: 10,
      shlibDepends: 'libc6 (>= 2.14)',
    });
    expect(c).toMatch(/^Package: vrrpd\nVersion: 1\.2\.3-1\nArchitecture: amd64\n/);
    expect(c).toContain('Depends: nodejs (>= 20), ');
    expect(c).toContain('libc6 (>= 2.14)');
    const description = c.slice(c.indexOf('\nDescription: ') + 1).split('\n');
    for (const l of description) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(c.endsWith('\n')).toBe(true);
  });

  it('changelog: deb-changelog(5) trailer with an RFC 2822 date', () => {
    const t = changelog({
      version: '1.2.3-1',
      maintainer: 'A <a@example.org>',
      date: new Date(Date.UTC(2026, 11, 3, 8, 5, 9)),
      commit: 'abc1234',
    });
    expect(t).toMatch(/^vrrpd \(1\.2\.3-1\) unstable; urgency=medium\n\n {2}\* /);
    expect(t).toContain('\n -- A <a@example.org>  Thu, 03 Dec 2026 08:05:09 +0000\n');
  });

  it('copyright: machine-readable, every bundled package named with its licence and holders', () => {
    const pkgs = ['commander', 'yaml', 'prom-client'].map((n) => npmPackage(join('node_modules', n)));
    const t = copyrightFile({
      projectLicense: 'MIT',
      holder: 'the vrrpd authors',
      year: 2026,
      bundles: [{ files: ['usr/lib/vrrpd/main.js'], packages: pkgs, how: 'bundled with' }],
    });
    const paragraphs = t.trim().split('\n\n');
    expect(paragraphs[0]).toMatch(
      /^Format: https:\/\/www\.debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\//,
    );
    expect(paragraphs[1]).toBe('Files: *\nCopyright: 2026 the vrrpd authors\nLicense: MIT');
    expect(paragraphs[2]).toContain('License: MIT and ISC and Apache-2.0');
    expect(paragraphs[2]).toMatch(/^ \(c\) 2011 TJ Holowaychuk .*\(commander\)$/m);
    expect(paragraphs[2]).toMatch(/^ commander \d+\.\d+\.\d+ \(MIT\)$/m);
    // stand-alone licence paragraphs: texts for MIT and ISC, a pointer for Apache-2.0
    const standalone = paragraphs.slice(3).map((p) => p.split('\n')[0]);
    expect(standalone).toEqual(['License: MIT', 'License: ISC', 'License: Apache-2.0']);
    expect(t).toContain(' Permission is hereby granted, free of charge');
    expect(t).toContain(' /usr/share/common-licenses/Apache-2.0.');
    // deb822: every continuation line is indented, no blank line inside a paragraph
    for (const p of paragraphs)
      for (const l of p.split('\n')) expect(l).toMatch(/^([A-Z][\w-]*:( |$)| \S| \.$)/);
  });
});
