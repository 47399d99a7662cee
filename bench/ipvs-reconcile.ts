// Time to reconcile 10,000 real servers (1,000 services x 10) into a real IPVS table,
// from empty and after a 1 % change, beside `ipvsadm -R` of the same table, all in one
// run of the same kernel. Where the host kernel has no IPVS the measurement runs in a
// user-mode-linux guest (test/vm/guest.ts), booted once.
//
//   npm run build && node dist/bench/ipvs-reconcile.js [--runs 5] [--services 1000] [--dests 10]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createIpvsClient, type IpvsClient } from '../src/effects/ipvs-client.js';
import { cloneTable, type IpvsTable } from '../src/lvs/model.js';
import { reconcile } from '../src/lvs/reconcile.js';
import { expectedSaveLines, scaleTable } from '../test/vm/cases/tables.js';
import { REPO, runJob } from '../test/vm/guest.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const RUNS = opt('runs', 5);
const SERVICES = opt('services', 1000);
const DESTS = opt('dests', 10);

const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

interface Row {
  what: string;
  ms: number[];
  ops?: number;
}

async function timeReconcile(
  c: IpvsClient,
  desired: IpvsTable,
): Promise<{ ms: number; ops: number; dumpMs: number }> {
  const t0 = performance.now();
  const current = await c.dump();
  const t1 = performance.now();
  const ops = reconcile(desired, current);
  const { failures } = await c.applyAll(ops);
  const ms = performance.now() - t0;
  if (failures.length) throw new Error(`${failures.length} ops failed, first: ${failures[0]?.error.message}`);
  return { ms, ops: ops.length, dumpMs: t1 - t0 };
}

function timeIpvsadmRestore(rules: string): number {
  const file = join(tmpdir(), `ipvs-bench-${process.pid}.rules`);
  writeFileSync(file, rules);
  const t0 = performance.now();
  sh(`ipvsadm -R < ${file}`);
  return performance.now() - t0;
}

async function inside(): Promise<void> {
  const desired = scaleTable(SERVICES, DESTS);
  const changed = cloneTable(desired);
  // 1 %: one real server in each of the first 100 services gets weight + 1
  const editLines: string[] = [];
  const wanted = Math.round((SERVICES * DESTS) / 100);
  let n = 0;
  for (const e of changed.values()) {
    if (n >= wanted) break;
    const d = [...e.dests.values()][n % DESTS];
    if (!d) continue;
    d.weight += 1;
    n++;
  }
  const before = new Set(expectedSaveLines(desired));
  for (const line of expectedSaveLines(changed)) {
    // the -e (edit) lines ipvsadm -R needs for the same change
    if (line.startsWith('-a ') && !before.has(line)) editLines.push(line.replace(/^-a /, '-e '));
  }
  const rules = `${expectedSaveLines(desired).join('\n')}\n`;
  const c = await createIpvsClient();
  const rows: Row[] = [
    { what: 'vrrpd reconcile from empty (dump + diff + apply)', ms: [] },
    { what: 'ipvsadm -R from empty', ms: [] },
    { what: 'vrrpd reconcile after 1 % change (dump + diff + apply)', ms: [] },
    { what: 'ipvsadm -R of the 1 % change (-e lines, no read)', ms: [] },
    { what: 'ipvsadm -Sn (read the full table)', ms: [] },
    { what: 'vrrpd dump of the full table', ms: [] },
    { what: 'vrrpd reconcile, no change (dump + diff)', ms: [] },
  ];
  const [fromEmpty, restore, change, restoreChange, saveRow, dumpRow, noChange] = rows as [
    Row,
    Row,
    Row,
    Row,
    Row,
    Row,
    Row,
  ];
  const diffOnly: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      sh('ipvsadm -C');
      const a = await timeReconcile(c, desired);
      fromEmpty.ms.push(a.ms);
      fromEmpty.ops = a.ops;
      const b = await timeReconcile(c, changed);
      change.ms.push(b.ms);
      change.ops = b.ops;
      const z = await timeReconcile(c, changed);
      noChange.ms.push(z.ms);
      dumpRow.ms.push(z.dumpMs);
      const current = await c.dump();
      const t = performance.now();
      reconcile(changed, current);
      diffOnly.push(performance.now() - t);
      sh('ipvsadm -C');
      restore.ms.push(timeIpvsadmRestore(rules));
      restore.ops = rules.split('\n').length - 1;
      restoreChange.ms.push(timeIpvsadmRestore(`${editLines.join('\n')}\n`));
      restoreChange.ops = editLines.length;
      const t1 = performance.now();
      sh('ipvsadm -Sn > /dev/null');
      saveRow.ms.push(performance.now() - t1);
      const check = reconcile(changed, await c.dump());
      if (check.length !== 0) throw new Error(`ipvsadm -R left ${check.length} differences`);
    }
  } finally {
    sh('ipvsadm -C');
    c.close();
  }
  rows.push({ what: 'pure diff of 10k real servers (reconcile() only)', ms: diffOnly });
  const kernel = sh('uname -r').trim();
  console.log(
    `IPVS reconcile bench: ${SERVICES} services x ${DESTS} real servers, kernel ${kernel}, ${RUNS} runs`,
  );
  console.log('| what | ops | median ms | min ms | max ms |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) {
    const f = (x: number) => x.toFixed(1);
    console.log(
      `| ${r.what} | ${r.ops ?? ''} | ${f(median(r.ms))} | ${f(Math.min(...r.ms))} | ${f(Math.max(...r.ms))} |`,
    );
  }
}

async function outside(): Promise<void> {
  const self = relative(REPO, fileURLToPath(import.meta.url));
  const r = await runJob(`exec node ${self} --inside ${args.join(' ')}`, {
    timeoutS: 900,
    modules: ['ip_vs', 'ip_vs_wrr', 'nf_conntrack'],
    memMb: 1024,
  });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  console.log(`(ran on the ${r.where}; whole run ${(r.durationMs / 1000).toFixed(1)} s including boot)`);
  process.exitCode = r.rc;
}

if (args.includes('--inside')) await inside();
else await outside();
