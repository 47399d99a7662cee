// Mutated files through the real commands (issue #16, part 5): 100,000 YAML configs through
// `vrrpd check-config FILE` and 100,000 keepalived.conf through `vrrpd import-keepalived FILE`,
// each command called in-process (bench/lib/fuzz-cli.ts: the functions the CLI's actions
// call, stdout/stderr/exit code captured) in one worker thread per kind, then the real CLI
// spawned on a sample (--spot, half per kind) to show the in-process answers are the CLI's,
// byte for byte. A case that has not finished after --stall seconds is reported as a hang
// (its files are kept) and its worker stopped. test/unit/fuzz-cli.test.ts runs a slice.
//
//   npm run build && node dist/bench/fuzz-cli.js [--yaml 100000] [--keepalived 100000]
//        [--seed 16] [--spot 200] [--stall 30] [--work DIR] [--json FILE]
//
// Failing cases are kept under --work (default: a new directory in /dev/shm or /tmp, removed when every
// case passed). Exit code 0 when every case kept the rule, 1 on a failure, 2 on an error.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { repoRoot } from '../test/netns/peers/vrrpd.js';
import { type CliFuzzResult, type CliKind, cliCorpus, compareWithCli, fuzzCli } from './lib/fuzz-cli.js';

interface Job {
  kind: CliKind;
  n: number;
  seed: number;
  work: string;
  keepEvery: number;
  root: string;
  progress: SharedArrayBuffer;
}

async function workerMain(job: Job): Promise<void> {
  const progress = new Int32Array(job.progress);
  const r = await fuzzCli(job.kind, cliCorpus(job.root, job.kind), {
    n: job.n,
    seed: job.seed,
    work: job.work,
    keepEvery: job.keepEvery,
    onCase: (i) => Atomics.store(progress, 0, i),
  });
  parentPort!.postMessage(r);
}

function runKind(job: Omit<Job, 'progress'>, stallS: number): Promise<CliFuzzResult | { hang: number }> {
  const progress = new SharedArrayBuffer(4);
  const view = new Int32Array(progress);
  const w = new Worker(fileURLToPath(import.meta.url), { workerData: { ...job, progress } });
  return new Promise((resolve, reject) => {
    let last = -1;
    let since = Date.now();
    const timer = setInterval(() => {
      const i = Atomics.load(view, 0);
      if (i !== last) {
        last = i;
        since = Date.now();
      } else if (Date.now() - since > stallS * 1000) {
        clearInterval(timer);
        void w.terminate();
        resolve({ hang: i });
      }
    }, 1000);
    w.once('message', (m: CliFuzzResult) => {
      clearInterval(timer);
      resolve(m);
    });
    w.once('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      yaml: { type: 'string', default: '100000' },
      keepalived: { type: 'string', default: '100000' },
      seed: { type: 'string', default: '16' },
      spot: { type: 'string', default: '200' },
      stall: { type: 'string', default: '30' },
      work: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const root = repoRoot();
  const cli = join(root, 'dist/src/cli/main.js');
  // tmpfs when there is one: a case is a few files written and read
  const work =
    values.work ?? mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'vrrpd-fuzz-cli-'));
  const seed = Number(values.seed);
  const kinds: [CliKind, number][] = [
    ['check-config', Number(values.yaml)],
    ['import-keepalived', Number(values.keepalived)],
  ];
  const perKindSpot = Math.ceil(Number(values.spot) / 2);
  console.log(`fuzz of the commands, in-process, seed ${seed}, one worker thread per kind\n`);
  const t0 = performance.now();
  const results = await Promise.all(
    kinds.map(([kind, n]) => {
      const dir = join(work, kind);
      mkdirSync(dir, { recursive: true });
      const keepEvery = perKindSpot > 0 ? Math.max(1, Math.floor(n / perKindSpot)) : n + 1;
      return runKind({ kind, n, seed, work: dir, keepEvery, root }, Number(values.stall));
    }),
  );
  const wallS = (performance.now() - t0) / 1000;
  let failed = 0;
  console.log('| command | files | time (s) | files/s | failures | outcomes (most frequent first) |');
  console.log('|---|---:|---:|---:|---:|---|');
  const spots: { kind: CliKind; r: CliFuzzResult }[] = [];
  for (const [k, [kind]] of kinds.entries()) {
    const r = results[k]!;
    if ('hang' in r) {
      failed++;
      console.log(`| ${kind} | | | | hang at case ${r.hang} | |`);
      continue;
    }
    spots.push({ kind, r });
    failed += r.failures.length;
    const top = Object.entries(r.outcomes)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([o, c]) => `${o} ${c}`)
      .join(', ');
    console.log(
      `| ${kind} | ${r.cases} | ${(r.ms / 1000).toFixed(1)} | ${((r.cases / r.ms) * 1000).toFixed(0)} | ${r.failures.length} | ${top} |`,
    );
  }
  console.log(`\nwall time, both kinds at once: ${wallS.toFixed(1)} s`);
  for (const { kind, r } of spots)
    for (const f of r.failures) console.log(`\nFAILURE ${kind} case ${f.index} (kept in ${f.dir}): ${f.why}`);

  const t1 = performance.now();
  let compared = 0;
  const differ: { dir: string; why: string }[] = [];
  for (const { kind, r } of spots) {
    const c = await compareWithCli(cli, kind, r.kept);
    compared += c.compared;
    differ.push(...c.differ);
  }
  console.log(
    `\nthe real CLI spawned on ${compared} of those files: ${compared - differ.length} answers identical (exit code, stdout, stderr), ${differ.length} differ (${((performance.now() - t1) / 1000).toFixed(1)} s)`,
  );
  for (const d of differ) console.log(`DIFFERS ${d.dir}: ${d.why}`);
  if (values.json)
    writeFileSync(
      values.json,
      JSON.stringify(
        {
          seed,
          wallS,
          results: spots.map((s) => ({ kind: s.kind, ...s.r, kept: s.r.kept.length })),
          compared,
          differ,
        },
        null,
        2,
      ),
    );
  if (failed === 0 && differ.length === 0 && !values.work) rmSync(work, { recursive: true, force: true });
  else console.log(`\ncases kept in ${work}`);
  return failed || differ.length ? 1 : 0;
}

if (isMainThread) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e instanceof Error ? e.stack : e);
      process.exitCode = 2;
    },
  );
} else {
  void workerMain(workerData as Job);
}
