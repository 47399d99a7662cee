// The CI slice of bench/fuzz-cli.ts: mutated files (byte flips, bad UTF-8, truncation, token
// swaps, duplicated and deleted lines, deep nesting, huge numbers, include loops, $NAME
// parameters, ~SEQ, ...) through the functions `vrrpd check-config` and `vrrpd
// import-keepalived` call, in-process; a few of them through the real CLI to show the
// answers are the same. The bugs that fuzzing found are kept below, each with its fix.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliCorpus, compareWithCli, fuzzCli } from '../../bench/lib/fuzz-cli.js';
import { runImportKeepalived } from '../../src/cli/import-keepalived.js';
import { importKeepalivedConf } from '../../src/config/keepalived-import.js';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/src/cli/main.js');
const work = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'vrrpd-fuzz-cli-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('mutated files through the commands, in-process', () => {
  for (const [kind, n, seed] of [
    ['check-config', 1000, 1611],
    ['import-keepalived', 1000, 1612],
  ] as const) {
    it(`${n} files through ${kind}: success, FILE:LINE:COL errors or one clean line; the CLI agrees`, async () => {
      const dir = join(work, kind);
      mkdirSync(dir);
      const r = await fuzzCli(kind, cliCorpus(ROOT, kind), { n, seed, work: dir, keepEvery: 250 });
      expect(r.failures).toEqual([]);
      expect(r.cases).toBe(n);
      // both sides of the rule were reached
      const ok = Object.entries(r.outcomes).filter(([k]) => /:ok/.test(k));
      expect(ok.length).toBeGreaterThan(0);
      // the in-process answers are the CLI's, byte for byte (4 files spawned)
      expect(existsSync(CLI), `${CLI} missing: run 'npm run build'`).toBe(true);
      const c = await compareWithCli(CLI, kind, r.kept);
      expect(c.compared).toBe(4);
      expect(c.differ).toEqual([]);
    }, 120_000);
  }
});

describe('fuzzing finds in the commands, kept', () => {
  it('import-keepalived on a file that is not UTF-8: the one line it promises, not the decoder message', async () => {
    const f = join(work, 'latin1.conf');
    writeFileSync(f, Buffer.from([0x21, 0x20, 0xe9, 0x0a]));
    let out = '';
    let err = '';
    const code = await runImportKeepalived(f, {
      out: (t) => {
        out += t;
      },
      err: (t) => {
        err += t;
      },
    });
    expect({ code, out, err }).toEqual({
      code: 1,
      out: '',
      err: `${f}: cannot read the file: not UTF-8 text\n`,
    });
  });

  it('an include glob that matches its own file: each file read once per chain, bounded, the loop named', () => {
    const dir = join(work, 'loop');
    mkdirSync(dir);
    writeFileSync(join(dir, 'main.conf'), 'include *.conf\nvrrp_instance A {\n}\n');
    writeFileSync(join(dir, 'a.conf'), 'include b.conf\ninclude *.conf\n');
    writeFileSync(join(dir, 'b.conf'), 'include a.conf\ninclude main.conf\n');
    const t0 = performance.now();
    const r = importKeepalivedConf('include *.conf\nvrrp_instance A {\n}\n', {
      file: join(dir, 'main.conf'),
    });
    expect(performance.now() - t0).toBeLessThan(5000); // was 3^20 reads: never finished
    expect(r.warnings.some((w) => /an include loop/.test(w))).toBe(true);
    for (const w of r.warnings) expect(w).not.toContain('\n');
  });

  it('a file including itself: read once, with a warning', () => {
    const dir = join(work, 'self');
    mkdirSync(dir);
    const text = 'include self.conf\n$X=1\n';
    writeFileSync(join(dir, 'self.conf'), text);
    const r = importKeepalivedConf(text, { file: join(dir, 'self.conf') });
    expect(r.warnings.filter((w) => /an include loop/.test(w))).toHaveLength(1);
  });

  it('~SEQ repeating a statement 20,000 times: one warning, its reason said once with the count, not quadratic', () => {
    const t0 = performance.now();
    const r = importKeepalivedConf('~SEQ(i,1,20000) x\n', { file: 'k.conf' });
    // was quadratic (4,000 took 7 s, 100,000,000 never ended): the warning grew per repetition
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/\(20000 times\)$/);
    expect(r.warnings[0]!.length).toBeLessThan(1000);
  }, 30_000);

  it('blocks nested 20,000 deep: imported with a warning, not a stack overflow (exit 2)', () => {
    const text = `vrrp_instance A {\n${'x {\n'.repeat(20_000)}${'}\n'.repeat(20_001)}vrrp_instance B {\n}\n`;
    const r = importKeepalivedConf(text, { file: 'k.conf' });
    expect(r.warnings.some((w) => /nested more than 32 deep: left out/.test(w))).toBe(true);
    expect(r.yaml).toMatch(/name: B/); // what follows the deep block is read
  });

  it('the same reason about one line, repeated, is said once with its count', () => {
    const r = importKeepalivedConf('~SEQ(i,1,3) bogus_keyword $i\n', { file: 'k.conf' });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^k\.conf:1: not carried over: 'bogus_keyword/);
  });
});
