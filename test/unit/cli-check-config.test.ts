// `vrrpd check-config` and `vrrpd --help`: through the command function (output
// captured) and through the real entry point in a child process (exit codes, no stack traces).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCheckConfig } from '../../src/cli/check-config.js';

const root = join(import.meta.dirname, '../..');
const fixtures = join(root, 'test/fixtures/config');
const tmp = mkdtempSync(join(tmpdir(), `vrrpd-cli-${process.pid}-`));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function check(file: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCheckConfig(file, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

/** runs src/cli/main.ts as `vrrpd` would run, with tsx compiling on the fly */
function vrrpd(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args],
      { cwd: root, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, out: stdout, err: stderr });
      },
    );
  });
}

describe('runCheckConfig', () => {
  it('a valid file: summary on stdout, exit 0', async () => {
    const r = await check(join(root, 'conf/vrrpd.yaml'));
    expect(r).toEqual({
      code: 0,
      out: `${join(root, 'conf/vrrpd.yaml')}: OK (3 instances, 1 virtual server)\n`,
      err: '',
    });
  });

  it('all errors of a file, one per line, sorted, then a count', async () => {
    const f = join(fixtures, 'many-errors.yaml');
    const r = await check(f);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.split('\n')).toEqual([
      `${f}:2:14: global.log_level must be one of 'trace', 'debug', 'info', 'warn', 'error', 'fatal', not 'verbose'`,
      `${f}:8:22: vrrp_instances[0].advert_interval 100ms is out of range: VRRPv2 takes whole seconds from 1s to 255s`,
      `${f}:9:19: VRRPv2 carries IPv4 only (RFC 3768): the first VIP sets the instance family and must be IPv4; use version: 3 for IPv6`,
      `${f}:10:21: unknown vrrp_script 'chk_nothing' (vrrp_scripts is empty)`,
      `${f}: 4 errors`,
      '',
    ]);
  });

  it('a missing file: one line, exit 1', async () => {
    const r = await check(join(tmp, 'nope.yaml'));
    expect(r).toEqual({
      code: 1,
      out: '',
      err: `${join(tmp, 'nope.yaml')}:1:1: cannot read the file: no such file\n`,
    });
  });

  it('a directory: one line, exit 1', async () => {
    const r = await check(tmp);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`${tmp}:1:1: cannot read the file: is a directory, not a file\n`);
  });

  it('a keepalived.conf is refused with a clear message', async () => {
    const f = join(fixtures, 'keepalived-style.conf');
    const r = await check(f);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toBe(
      `${f}:2:1: this looks like a keepalived.conf, not vrrpd YAML; convert it with 'vrrpd import-keepalived FILE'\n`,
    );
  });

  it('broken indentation is a YAML syntax error with a position', async () => {
    const r = await check(join(fixtures, 'broken-indent.yaml'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/broken-indent\.yaml:4:\d+: YAML syntax error: /);
  });

  it('binary garbage and invalid UTF-8 are refused, not parsed', async () => {
    const bin = join(tmp, 'garbage.bin');
    writeFileSync(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0xff, 0xfe, 0x80]));
    expect(await check(bin)).toEqual({
      code: 1,
      out: '',
      err: `${bin}:1:1: this is not a UTF-8 text file; a configuration is YAML text\n`,
    });
    const ctl = join(tmp, 'control.txt');
    writeFileSync(ctl, 'global:\n  a\u0000b\n');
    expect((await check(ctl)).err).toBe(
      `${ctl}:2:4: this is not a text file (binary data found); a configuration is YAML text\n`,
    );
  });
});

describe('the vrrpd entry point', () => {
  it('check-config of the example exits 0', async () => {
    const r = await vrrpd('check-config', 'conf/vrrpd.yaml');
    expect(r).toMatchObject({ code: 0, out: 'conf/vrrpd.yaml: OK (3 instances, 1 virtual server)\n' });
  });

  it('a copy with a misspelled key: FILE:LINE:COL of that key, exit 1', async () => {
    const copy = join(tmp, 'typo.yaml');
    writeFileSync(
      copy,
      readFileSync(join(root, 'conf/vrrpd.yaml'), 'utf8').replace('    vrid: 52', '    vird: 52'),
    );
    const lines = readFileSync(copy, 'utf8').split('\n');
    const n = lines.findIndex((l) => l.includes('vird: 52'));
    const r = await vrrpd('check-config', copy);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `${copy}:${n + 1}:5: unknown key 'vird' in vrrp_instances[2]; did you mean 'vrid'?`,
    );
  });

  it('garbage: a clear error, exit 1, no stack trace', async () => {
    const bin = join(tmp, 'random.bin');
    writeFileSync(bin, Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 151 + 7) % 256)));
    const r = await vrrpd('check-config', bin);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^.*random\.bin:1:1: this is not a/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('--help describes check-config; a missing argument is exit 1', async () => {
    const help = await vrrpd('--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/check-config <file>\s+validate a configuration file/);
    expect(help.out).toMatch(
      /import-keepalived \[options\] <file>\s+convert a keepalived\.conf to vrrpd YAML/,
    );
    const h2 = await vrrpd('check-config', '--help');
    expect(h2.out).toContain('the YAML configuration file');
    const bad = await vrrpd('check-config');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("missing required argument 'file'");
  });
});
