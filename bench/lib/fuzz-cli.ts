// Mutated files through the real commands, in-process (issue #16, part 5): the functions the
// CLI's `check-config` and `import-keepalived` actions call (runCheckConfig,
// runImportKeepalived), fed a file on disk and its companions (included files), with stdout,
// stderr, the exit code and any process warning captured. bench/fuzz-cli.ts runs 100,000 of
// each kind in worker threads and spawns the real CLI on a sample to show the in-process
// answer is byte for byte what `vrrpd` prints; test/unit/fuzz-cli.test.ts runs a slice.
//
// The rule for every answer:
// - check-config: exit 0 and one line `FILE: OK (...)` on stdout, nothing on stderr; or
//   exit 1, nothing on stdout, and stderr lines that are each `FILE:LINE:COL: message`
//   (LINE within the file) or the one summary line `FILE: N errors`;
// - import-keepalived: exit 0, YAML on stdout that check-config accepts or refuses as
//   above, stderr lines each `warning: FILE...: message`; or exit 1 and one line
//   `FILE: cannot read the file: ...` (not UTF-8);
// - never a stack trace, an internal error (a throw out of the command) or a process
//   warning.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCheckConfig } from '../../src/cli/check-config.js';
import { runImportKeepalived } from '../../src/cli/import-keepalived.js';
import { formatConfigError, parseConfigText } from '../../src/config/index.js';
import { mutateText, rng } from './fuzz.js';

export type CliKind = 'check-config' | 'import-keepalived';

export interface CliAnswer {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliCase {
  /** the main file (the command's argument) */
  main: Buffer;
  /** companions in the same directory: included files */
  extras: { name: string; content: Buffer }[];
  /** what was done to it (for the outcome table) */
  how: string;
}

const MAIN_NAME: Record<CliKind, string> = {
  'check-config': 'fuzz.yaml',
  'import-keepalived': 'fuzz.conf',
};

const BAD_UTF8 = [
  [0xff],
  [0xfe, 0xfe],
  [0xc3], // a lead byte alone
  [0xc0, 0xaf], // overlong '/'
  [0xed, 0xa0, 0x80], // a UTF-16 surrogate
  [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
  [0xe2, 0x82], // truncated 3-byte sequence
];

const HUGE = [
  '1e400',
  '-1e400',
  '99999999999999999999999999',
  '18446744073709551616',
  '4294967296',
  '2147483648',
  '-2147483649',
  '0x7fffffffffffffff',
  '0b1111',
  '0o777',
  '1_000',
  '.inf',
  '-.inf',
  '.nan',
  'NaN',
  '-0',
  '00000000000000000000000001',
  '1.7976931348623157e309',
];

function deepYaml(rand: () => number): string {
  const int = (n: number) => Math.floor(rand() * n);
  const depth = 20 + (rand() < 0.9 ? int(300) : int(5000));
  switch (int(4)) {
    case 0:
      return `${'['.repeat(depth)}${']'.repeat(rand() < 0.5 ? depth : int(depth))}`;
    case 1:
      return `${'{a: '.repeat(depth)}1${'}'.repeat(rand() < 0.5 ? depth : int(depth))}`;
    case 2:
      return Array.from({ length: Math.min(depth, 800) }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
    default: {
      // an alias bomb: each level doubles the one below
      const levels = 8 + int(20);
      const out = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
      for (let i = 1; i < levels; i++)
        out.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
      return out.join('\n');
    }
  }
}

function deepKeepalived(rand: () => number): string {
  const int = (n: number) => Math.floor(rand() * n);
  const depth = 20 + (rand() < 0.9 ? int(300) : int(12000));
  switch (int(3)) {
    case 0:
      return `${'{\n'.repeat(depth)}${'}\n'.repeat(rand() < 0.5 ? depth : int(depth))}`;
    case 1:
      return `${'vrrp_instance X {\n'.repeat(Math.min(depth, 2000))}state MASTER\n${'}\n'.repeat(int(depth))}`;
    default:
      return `virtual_server 192.0.2.1 80 {\n${'real_server 198.51.100.1 80 {\nTCP_CHECK {\n'.repeat(Math.min(depth, 1500))}`;
  }
}

/** keepalived parameters that name each other, multi-line ones, unresolved ones. */
function parameters(rand: () => number): string {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(a: readonly T[]) => a[int(a.length)]!;
  const defs = [
    '$A=$B',
    '$B=$A',
    '$A=%{A}x',
    '$NAME=VI_1',
    '$PRIO=150',
    '$PRIO=',
    '$ML= \\\nvrrp_instance $NAME { \\\n state MASTER \\\n}',
    '$ML=$ML$ML',
    '$X=%{Y}%{Y}%{Y}%{Y}',
    '$Y=%{X}',
    '$_PWD=/etc',
    '$EMPTY',
    '$ =',
    '$1=2',
  ];
  const uses = [
    '$NAME',
    '%{NAME}',
    '$ML',
    '$UNDEFINED',
    '%{UNCLOSED',
    'priority $PRIO',
    'virtual_router_id %{PRIO}',
    '%{_PWD}',
    '%{_INSTANCE}',
    '$X',
    '~SEQ(i,1,3) priority $i',
    '~SEQ(i,1,3000) x',
    '~SEQ(i,0,1,-1)',
    '@host priority 1',
    '@^host priority 2',
  ];
  const out: string[] = [];
  for (let k = 1 + int(5); k > 0; k--) out.push(rand() < 0.5 ? pick(defs) : pick(uses));
  // written %{NAME} above: keepalived's ${NAME}
  return out.join('\n').replaceAll('%{', `$${'{'}`);
}

/** One mutated case: the corpus text edited, then maybe one file-level mutation on top. */
export function mutateCase(kind: CliKind, corpus: readonly string[], rand: () => number): CliCase {
  const int = (n: number) => Math.floor(rand() * n);
  const base = corpus[int(corpus.length)]!;
  let text = rand() < 0.03 ? base : mutateText(base, rand);
  const insertAt = (s: string) => {
    const lines = text.split('\n');
    lines.splice(int(lines.length + 1), 0, s);
    text = lines.join('\n');
  };
  const extras: CliCase['extras'] = [];
  const me = MAIN_NAME[kind];
  let how = 'text';
  let bytes: Buffer | undefined;
  const r = rand();
  if (r < 0.1) {
    how = 'bad-utf8';
    const b = Buffer.from(text, 'utf8');
    const at = int(b.length + 1);
    bytes = Buffer.concat([b.subarray(0, at), Buffer.from(BAD_UTF8[int(BAD_UTF8.length)]!), b.subarray(at)]);
  } else if (r < 0.16) {
    how = 'cut-in-a-character';
    const b = Buffer.from(`${text}\nx: "ÿ€😀"`, 'utf8');
    bytes = b.subarray(0, b.length - 1 - int(3));
  } else if (r < 0.24) {
    how = 'deep-nesting';
    insertAt(kind === 'check-config' ? deepYaml(rand) : deepKeepalived(rand));
  } else if (r < 0.34) {
    how = 'huge-number';
    for (let k = 1 + int(3); k > 0; k--) {
      const nums = [...text.matchAll(/\b\d+\b/g)];
      const m = nums[int(nums.length)];
      if (!m || m.index === undefined) break;
      text = text.slice(0, m.index) + HUGE[int(HUGE.length)] + text.slice(m.index + m[0].length);
    }
  } else if (r < 0.38) {
    how = 'bom-crlf-nul';
    text =
      ['\uFEFF', ''][int(2)] + (rand() < 0.5 ? text.replaceAll('\n', '\r\n') : text.replaceAll('\n', '\r'));
    if (rand() < 0.5) insertAt('\u0000\u0000');
  } else if (kind === 'import-keepalived' && r < 0.5) {
    how = 'include';
    const forms = [
      `include ${me}`, // itself
      'include inc-a.conf', // a → b → a
      'include *.conf', // a glob matching itself
      'include ./*',
      'include ~/nonexistent/*.conf',
      'include ~',
      'include /dev/null',
      'include inc-missing.conf',
      'include inc-dir',
      'include [',
      'include {a,b}.conf',
      'includer inc-a.conf',
      'includem nothing*.conf',
      'include "inc-a.conf"',
      `include ${'x'.repeat(5000)}`,
    ];
    insertAt(forms[int(forms.length)]!);
    extras.push({
      name: 'inc-a.conf',
      content: Buffer.from(`include inc-b.conf\n${mutateText(base, rand)}`),
    });
    extras.push({
      name: 'inc-b.conf',
      content: Buffer.from(rand() < 0.5 ? 'include inc-a.conf\n' : `include ${me}\n$P=1\n`),
    });
  } else if (kind === 'import-keepalived' && r < 0.62) {
    how = 'parameters';
    insertAt(parameters(rand));
  } else if (kind === 'check-config' && r < 0.46) {
    how = 'yaml-oddities';
    const forms = [
      '%YAML 1.1\n---',
      '%TAG ! tag:x,2000:\n---',
      '---\n...\n---',
      '!!binary aGVsbG8=',
      'x: !!js/function "function(){}"',
      'x: !!python/object:os.system [ls]',
      '<<: [*nope]',
      'x: *undefined_alias',
      '? |\n  block key\n: v',
      `long: ${'x'.repeat(200_000)}`,
      `${'k'.repeat(2000)}: 1`,
      'x: "\\uD800"',
      'x: "\\x"',
      'global: ~',
      '~: ~',
      'vrrp_instances: ~',
      'vrrp_instances: [~]',
      'global: {router_id: ~}',
    ];
    insertAt(forms[int(forms.length)]!);
  } else if (r < 0.7) {
    how = 'lines';
    const lines = text.split('\n');
    const li = int(lines.length);
    const n = 1 + (rand() < 0.9 ? int(10) : int(200));
    lines.splice(li, 0, ...Array.from({ length: n }, () => lines[li] ?? ''));
    text = lines.join('\n');
  }
  return { main: bytes ?? Buffer.from(text, 'utf8'), extras, how };
}

/** The command's answer, in this process, exactly as the CLI's action would print it. */
export async function runInProcess(kind: CliKind, file: string): Promise<CliAnswer & { internal?: string }> {
  let stdout = '';
  let stderr = '';
  const io = {
    out: (t: string) => {
      stdout += t;
    },
    err: (t: string) => {
      stderr += t;
    },
  };
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  try {
    const code =
      kind === 'check-config' ? await runCheckConfig(file, io) : await runImportKeepalived(file, io);
    await new Promise<void>((r) => setImmediate(r)); // a warning is emitted on the next tick
    if (warnings.length) return { code, stdout, stderr, internal: `process warning ${warnings.join('; ')}` };
    return { code, stdout, stderr };
  } catch (e) {
    // main.ts would print `vrrpd: MESSAGE` and exit 2: an internal error
    return { code: 2, stdout, stderr, internal: `threw ${(e as Error).stack ?? String(e)}` };
  } finally {
    process.off('warning', onWarning);
  }
}

const STACK =
  /^\s+at .+[:(]\d+:\d+\)?$|\b(TypeError|RangeError|ReferenceError|SyntaxError|Error):|\(node:\d+\)/m;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function checkConfigLines(stderr: string, file: string, nLines: number): string | null {
  const lines = stderr.split('\n');
  if (lines.pop() !== '') return 'stderr does not end with a newline';
  if (!lines.length) return 'exit 1 without an error';
  const pos = new RegExp(`^${esc(file)}:(\\d+):(\\d+): \\S`);
  const summary = new RegExp(`^${esc(file)}: \\d+ errors$`);
  for (const [i, l] of lines.entries()) {
    if (summary.test(l) && i === lines.length - 1) continue;
    const m = pos.exec(l);
    if (!m) return `not FILE:LINE:COL: ${JSON.stringify(l.slice(0, 300))}`;
    const line = Number(m[1]);
    if (line < 1 || line > nLines + 1 || Number(m[2]) < 1)
      return `position outside the file: ${l.slice(0, 300)}`;
  }
  return null;
}

/** null when the answer keeps the rule (see the header), else what broke it. */
export function judge(
  kind: CliKind,
  file: string,
  c: CliCase,
  a: CliAnswer & { internal?: string },
): string | null {
  if (a.internal) return a.internal;
  if (STACK.test(a.stderr)) return `a stack trace or an error name on stderr: ${a.stderr.slice(0, 500)}`;
  if (kind === 'check-config') {
    if (a.code === 0) {
      if (a.stderr) return `exit 0 with stderr: ${a.stderr.slice(0, 300)}`;
      if (!new RegExp(`^${esc(file)}: OK \\(\\d+ instances?, \\d+ virtual servers?\\)\\n$`).test(a.stdout))
        return `exit 0 without the OK line: ${a.stdout.slice(0, 300)}`;
      return null;
    }
    if (a.code !== 1) return `exit ${a.code}`;
    if (a.stdout) return `exit 1 with stdout: ${a.stdout.slice(0, 300)}`;
    return checkConfigLines(a.stderr, file, c.main.toString('latin1').split(/\r\n|\r|\n/).length);
  }
  if (a.code === 1) {
    if (a.stdout) return `exit 1 with stdout: ${a.stdout.slice(0, 300)}`;
    if (a.stderr !== `${file}: cannot read the file: not UTF-8 text\n`)
      return `exit 1: ${a.stderr.slice(0, 300)}`;
    return null;
  }
  if (a.code !== 0) return `exit ${a.code}`;
  for (const l of a.stderr.split('\n').slice(0, -1)) {
    if (!l.startsWith('warning: ')) return `stderr line not a warning: ${JSON.stringify(l.slice(0, 300))}`;
    if (!/^warning: \S/.test(l)) return `empty warning: ${JSON.stringify(l)}`;
  }
  if (a.stderr && !a.stderr.endsWith('\n')) return 'stderr does not end with a newline';
  // the YAML it wrote: check-config accepts it or refuses it with positioned one-line errors
  const y = parseConfigText(a.stdout, 'imported.yaml', { hostname: 'fuzz' });
  if (!y.ok) {
    const lines = `${y.errors.map((e) => formatConfigError(e)).join('\n')}\n`;
    const bad = checkConfigLines(lines, 'imported.yaml', a.stdout.split('\n').length);
    if (bad) return `the imported YAML: ${bad}`;
  }
  return null;
}

/** The corpus a kind's mutations start from: conf/*.yaml, or the keepalived.conf fixtures. */
export function cliCorpus(root: string, kind: CliKind): string[] {
  if (kind === 'check-config') {
    const dir = join(root, 'conf');
    return readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => readFileSync(join(dir, f), 'utf8'));
  }
  const dir = join(root, 'test/fixtures/keepalived');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.conf'))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8'));
}

/** Writes a case into dir (emptied first); returns the main file's path. */
export function writeCase(kind: CliKind, dir: string, c: CliCase): string {
  mkdirSync(join(dir, 'inc-dir'), { recursive: true });
  // the previous case's companions go (a glob include must not find them)
  for (const f of readdirSync(dir))
    if (f !== 'inc-dir' && f !== MAIN_NAME[kind]) rmSync(join(dir, f), { force: true });
  const file = join(dir, MAIN_NAME[kind]);
  writeFileSync(file, c.main);
  for (const x of c.extras) writeFileSync(join(dir, x.name), x.content);
  return file;
}

export interface CliFuzzResult {
  cases: number;
  ms: number;
  outcomes: Record<string, number>;
  failures: { index: number; why: string; dir: string }[];
  /** kept cases (directory, in-process answer) for the comparison with the spawned CLI */
  kept: { dir: string; file: string; answer: CliAnswer }[];
}

/**
 * n mutated cases of one kind through the command in this process. Each case is written to
 * work/cur; a failing case and every keepEvery-th one are kept in their own directory.
 * onCase (optional) is told the index before each case (a watchdog's progress).
 */
export async function fuzzCli(
  kind: CliKind,
  corpus: readonly string[],
  opts: {
    n: number;
    seed: number;
    work: string;
    keepEvery?: number;
    maxFailures?: number;
    onCase?: (i: number) => void;
  },
): Promise<CliFuzzResult> {
  const rand = rng(opts.seed);
  const res: CliFuzzResult = { cases: 0, ms: 0, outcomes: {}, failures: [], kept: [] };
  const bump = (k: string) => {
    res.outcomes[k] = (res.outcomes[k] ?? 0) + 1;
  };
  const t0 = performance.now();
  for (let i = 0; i < opts.n; i++) {
    opts.onCase?.(i);
    const c = mutateCase(kind, corpus, rand);
    const keep = opts.keepEvery !== undefined && i % opts.keepEvery === 0;
    let dir = join(opts.work, keep ? `keep-${i}` : 'cur');
    let file = writeCase(kind, dir, c);
    const a = await runInProcess(kind, file);
    const why = judge(kind, file, c, a);
    res.cases++;
    if (why) {
      if (!keep) {
        dir = join(opts.work, `fail-${i}`);
        file = writeCase(kind, dir, c);
      }
      res.failures.push({ index: i, why, dir });
      bump('FAILURE');
      if (res.failures.length >= (opts.maxFailures ?? 20)) break;
      continue;
    }
    if (keep) res.kept.push({ dir, file, answer: a });
    bump(`${c.how}:${a.code === 0 ? (a.stderr ? 'ok+warnings' : 'ok') : 'refused'}`);
  }
  res.ms = performance.now() - t0;
  for (const d of readdirSync(opts.work))
    if (d === 'cur') rmSync(join(opts.work, d), { recursive: true, force: true });
  return res;
}

/** The real CLI on a file: `node dist/src/cli/main.js KIND FILE`. */
export function spawnCli(cli: string, kind: CliKind, file: string): Promise<CliAnswer> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, kind, file],
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024, cwd: '/' },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : -1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Spawns the CLI on each kept case (a few at a time); the cases whose answer differs. */
export async function compareWithCli(
  cli: string,
  kind: CliKind,
  kept: CliFuzzResult['kept'],
  parallel = 2,
): Promise<{ compared: number; differ: { dir: string; why: string }[] }> {
  const differ: { dir: string; why: string }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < kept.length) {
      const k = kept[next++]!;
      const s = await spawnCli(cli, kind, k.file);
      for (const f of ['code', 'stdout', 'stderr'] as const)
        if (s[f] !== k.answer[f]) {
          differ.push({
            dir: k.dir,
            why: `${f}: in-process ${JSON.stringify(String(k.answer[f]).slice(0, 200))}, CLI ${JSON.stringify(String(s[f]).slice(0, 200))}`,
          });
          break;
        }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return { compared: kept.length, differ };
}

export const mainName = (kind: CliKind): string => MAIN_NAME[kind];
