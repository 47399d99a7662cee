// The long fuzzing runs of issue #16, part 5 (test/unit/fuzz-slices.test.ts runs slices of
// each in CI): 1,000,000 mutated adverts through the receive path and the state machine,
// 100,000 mutated YAML configs through the loader check-config uses, 100,000 mutated
// keepalived.conf through the importer (and its output through the loader), 1,000,000
// truncated and inconsistent netlink replies through the parsers. Prints one row per
// target: cases, rate, outcomes; the first broken invariant stops the run with the seed,
// the case number and the input (bench/lib/fuzz.ts).
//
//   npm run build && node dist/bench/fuzz.js [--adverts 1000000] [--netlink 1000000]
//        [--yaml 100000] [--keepalived 100000] [--seed 16] [--json FILE]
//
// Exit code 0 when every invariant held, 1 on a failure, 2 on an error.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../test/netns/peers/vrrpd.js';
import { FuzzFailure, type FuzzStats, fuzzAdverts, fuzzConfigs, fuzzNetlink } from './lib/fuzz.js';

function main(): number {
  const { values } = parseArgs({
    options: {
      adverts: { type: 'string', default: '1000000' },
      netlink: { type: 'string', default: '1000000' },
      yaml: { type: 'string', default: '100000' },
      keepalived: { type: 'string', default: '100000' },
      seed: { type: 'string', default: '16' },
      json: { type: 'string' },
    },
  });
  const root = repoRoot();
  const seed = Number(values.seed);
  const yaml = ['conf/vrrpd.yaml', 'conf/minimal.yaml', 'conf/lvs-only.yaml'].map((f) =>
    readFileSync(join(root, f), 'utf8'),
  );
  const kaDir = join(root, 'test/fixtures/keepalived');
  const ka = readdirSync(kaDir)
    .filter((f) => f.endsWith('.conf'))
    .map((f) => readFileSync(join(kaDir, f), 'utf8'));
  const runs: [string, () => FuzzStats][] = [
    ['adverts (receive path + state machine)', () => fuzzAdverts(Number(values.adverts), seed)],
    ['netlink replies (all parsers)', () => fuzzNetlink(Number(values.netlink), seed)],
    ['YAML configs (check-config loader)', () => fuzzConfigs('yaml', yaml, Number(values.yaml), seed)],
    [
      'keepalived.conf (importer, then loader)',
      () => fuzzConfigs('keepalived', ka, Number(values.keepalived), seed),
    ],
  ];
  const rows: { target: string; stats: FuzzStats }[] = [];
  console.log(`fuzz, seed ${seed}\n`);
  console.log('| target | cases | cases/s | failures | outcomes (most frequent first) |');
  console.log('|---|---:|---:|---:|---|');
  for (const [target, run] of runs) {
    let stats: FuzzStats;
    try {
      stats = run();
    } catch (e) {
      if (e instanceof FuzzFailure) {
        console.log(`| ${target} | | | 1 | |`);
        console.error(`\n${e.message}`);
        return 1;
      }
      throw e;
    }
    rows.push({ target, stats });
    const top = Object.entries(stats.outcomes)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    console.log(
      `| ${target} | ${stats.cases} | ${((stats.cases / stats.ms) * 1000).toFixed(0)} | 0 | ${top} |`,
    );
  }
  if (values.json) writeFileSync(values.json, JSON.stringify({ seed, rows }, null, 2));
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  console.error(e instanceof Error ? e.stack : e);
  process.exitCode = 2;
}
