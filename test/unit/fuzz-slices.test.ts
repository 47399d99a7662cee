// The CI slices of bench/fuzz.ts (issue #16, part 5): mutated adverts through the receive
// path and the state machine, mutated YAML through the loader, mutated keepalived.conf
// through the importer (and its output through the loader), truncated and inconsistent
// netlink replies through the parsers; then a few mutated files through the real
// `check-config` and `import-keepalived` commands. The cases fuzzing found are kept
// below, each with the fix it led to.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzAdverts, fuzzConfigs, fuzzNetlink, mutateText, rng } from '../../bench/lib/fuzz.js';
import { formatConfigError, parseConfigText } from '../../src/config/index.js';
import { importKeepalivedConf } from '../../src/config/keepalived-import.js';
import { decodeError } from '../../src/netlink/message.js';

const execFileP = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/src/cli/main.js');
const yamlCorpus = (): string[] =>
  ['conf/vrrpd.yaml', 'conf/minimal.yaml', 'conf/lvs-only.yaml'].map((f) =>
    readFileSync(join(ROOT, f), 'utf8'),
  );
const keepalivedCorpus = (): string[] => {
  const dir = join(ROOT, 'test/fixtures/keepalived');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.conf'))
    .map((f) => readFileSync(join(dir, f), 'utf8'));
};

describe('fuzz slices', () => {
  it('20,000 mutated adverts: receive path and state machine hold', () => {
    const s = fuzzAdverts(20_000, 1601);
    expect(s.outcomes.accepted).toBeGreaterThan(100); // the state machine was reached
  });

  it('20,000 mutated netlink replies: every parser answers or says why not', () => {
    const s = fuzzNetlink(20_000, 1602);
    expect(s.outcomes['datagram-refused']).toBeGreaterThan(0);
  });

  it('300 mutated YAML configs: a config or FILE:LINE:COL errors, one line each', () => {
    const s = fuzzConfigs('yaml', yamlCorpus(), 300, 1603);
    expect(s.outcomes.refused).toBeGreaterThan(0);
  }, 60_000);

  it('1,000 mutated keepalived.conf: imported, warnings one line each, the YAML loads or is refused cleanly', () => {
    fuzzConfigs('keepalived', keepalivedCorpus(), 1000, 1604);
  }, 60_000);

  describe('the real commands on mutated files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vrrpd-fuzz-cli-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const run = async (args: string[]) => {
      try {
        const r = await execFileP(process.execPath, [CLI, ...args], { timeout: 30_000 });
        return { code: 0, stdout: r.stdout, stderr: r.stderr };
      } catch (e) {
        const x = e as { code?: number; stdout?: string; stderr?: string };
        return { code: x.code ?? -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
      }
    };
    const noStack = (text: string) => {
      expect(text).not.toMatch(/^\s+at .+[:(]\d+:\d+\)?$/m);
      expect(text).not.toMatch(/\(node:\d+\)|Warning:|TypeError|RangeError/);
    };

    it('check-config: exit 0 with one OK line, or exit 1 with FILE:LINE:COL lines', async () => {
      expect(existsSync(CLI), `${CLI} missing: run 'npm run build'`).toBe(true);
      const rand = rng(1605);
      const corpus = yamlCorpus();
      for (let i = 0; i < 6; i++) {
        const file = join(dir, `c${i}.yaml`);
        writeFileSync(file, mutateText(corpus[i % corpus.length]!, rand));
        const r = await run(['check-config', file]);
        noStack(r.stderr);
        if (r.code === 0) expect(r.stdout).toMatch(/: OK \(/);
        else {
          expect(r.code).toBe(1);
          for (const l of r.stderr.trimEnd().split('\n'))
            expect(l).toMatch(new RegExp(`^${file.replaceAll('.', '\\.')}(:\\d+:\\d+)?: \\S`));
        }
      }
    }, 60_000);

    it('import-keepalived: YAML on stdout, one warning per line, never a stack trace', async () => {
      const rand = rng(1606);
      const corpus = keepalivedCorpus();
      for (let i = 0; i < 6; i++) {
        const file = join(dir, `k${i}.conf`);
        writeFileSync(file, mutateText(corpus[(i * 5) % corpus.length]!, rand));
        const r = await run(['import-keepalived', file]);
        noStack(r.stderr);
        expect(r.code).toBe(0);
        for (const l of r.stderr.split('\n').filter(Boolean)) expect(l).toMatch(/^warning: \S/);
        expect(parseConfigText(r.stdout, 'out.yaml', { hostname: 'h' })).toBeDefined();
      }
    }, 60_000);
  });
});

// The cases fuzzing found, each kept with its fix.
describe('fuzzing finds, kept', () => {
  it('an NLMSG_ERROR whose original length is near 2^31 is read, not a RangeError (align4 wrapped)', () => {
    const p = Buffer.alloc(4 + 16 + 8);
    p.writeInt32LE(-17, 0);
    p.writeUInt32LE(0x7ffffffe, 4); // the echoed request's nlmsg_len: align4 of it wrapped negative
    p.writeUInt16LE(8, 20); // an extended-ack TLV after it
    const r = decodeError({ type: 2, flags: 0x200, seq: 1, pid: 0, payload: p });
    expect(r).toMatchObject({ errno: 17 });
  });

  it('a keepalived multi-line parameter that names itself: imported with a warning, bounded', () => {
    const text = '$LOOP= \\\nvrrp_instance A { \\\n$LOOP\n}\n$LOOP\n';
    const t0 = performance.now();
    const r = importKeepalivedConf(text, { file: 'k.conf' });
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(r.warnings.some((w) => /refers to itself/.test(w))).toBe(true);
  });

  it('a YAML mapping key that is a list: one positioned error, no process warning', () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const r = parseConfigText('global:\n  router_id: x\n? [a, b]\n: 1\n', 'f.yaml', { hostname: 'h' });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors[0]).toMatchObject({ line: 3, code: 'CONFIG_YAML_SYNTAX' });
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('an unknown key holding a newline is shown on one line', () => {
    const r = parseConfigText('global:\n  router_id: x\n"bad\\nkey": 1\n', 'f.yaml', { hostname: 'h' });
    expect(r.ok).toBe(false);
    if (!r.ok) for (const e of r.errors) expect(e.message).not.toContain('\n');
  });

  it('a value folded over two lines, quoted in an error: still one FILE:LINE:COL line', () => {
    const r = parseConfigText('global:\n  router_id: x\n  log_level: info\n    - a\n', 'f.yaml', {
      hostname: 'h',
    });
    expect(r.ok).toBe(false);
    if (!r.ok) for (const e of r.errors) expect(formatConfigError(e)).toMatch(/^f\.yaml:\d+:\d+: [^\n]+$/);
  });
});
