// Detection time of the DNS, UDP and FILE checkers, keepalived 2.2.7 beside vrrpd, in the
// same run against the same real servers and the same faults: the time from the faults
// (DNS server stopped, UDP echo closed, track file set to 1) to each daemon's RS ... DOWN
// line on its lvs_notify_fifo. Both read the same keepalived.conf (vrrpd through
// import-keepalived): delay_loop 1 s, connect_timeout 1 s, retry 0. Runs the case file of
// test/vm/checkers-beside-keepalived.test.ts (which asserts the lines) in a user-mode-linux
// guest, or a fresh netns when the host kernel has IPVS; one guest boot per run.
//
//   npm run build && node dist/bench/checkers-beside-keepalived.js [--runs 3]
import { DEFAULT_MODULES, runNodeJob } from '../test/vm/guest.js';

const args = process.argv.slice(2);
const i = args.indexOf('--runs');
const RUNS = i >= 0 ? Number(args[i + 1]) : 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

type Detect = Record<'keepalived' | 'vrrpd', Record<string, number>>;

const runs: Detect[] = [];
for (let r = 0; r < RUNS; r++) {
  const job = await runNodeJob('test/vm/cases/checkers-beside-keepalived-cases.ts', [], {
    timeoutS: 200,
    modules: DEFAULT_MODULES,
  });
  const res = JSON.parse(job.files['results.json'] ?? '{}') as { detectMs?: Detect; problems?: string[] };
  if (!res.detectMs || (res.problems ?? []).length) {
    console.error(`run ${r + 1} failed: ${JSON.stringify(res.problems)}\n${job.stderr.slice(-2000)}`);
    process.exit(2);
  }
  runs.push(res.detectMs);
  console.error(`run ${r + 1}/${RUNS} on the ${job.where}: ${JSON.stringify(res.detectMs)}`);
}

const lines = [
  ...new Set(runs.flatMap((d) => [...Object.keys(d.keepalived), ...Object.keys(d.vrrpd)])),
].sort();
console.log(`\n${RUNS} runs; ms from the faults to the RS DOWN line (median, then each run)\n`);
console.log(
  '| real server (check) | keepalived ms | vrrpd ms | vrrpd / keepalived | keepalived runs | vrrpd runs |',
);
console.log('|---|---:|---:|---:|---|---|');
const kind: Record<string, string> = { ':53 ': 'DNS_CHECK', ':7001 ': 'UDP_CHECK', ':8080 ': 'FILE_CHECK' };
for (const l of lines) {
  const k = runs.map((d) => d.keepalived[l]).filter((x): x is number => x !== undefined);
  const v = runs.map((d) => d.vrrpd[l]).filter((x): x is number => x !== undefined);
  const name = `${l.split(' ')[1]} (${Object.entries(kind).find(([p]) => l.includes(p))?.[1] ?? '?'})`;
  const mk = median(k);
  const mv = median(v);
  console.log(
    `| ${name} | ${mk.toFixed(0)} | ${mv.toFixed(0)} | ${(mv / mk).toFixed(2)} | ${k.join(' / ')} | ${v.join(' / ')} |`,
  );
}
