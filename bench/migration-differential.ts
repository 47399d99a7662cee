// The VRRP differential scenario (test/netns/lib/differential.ts) timed: one keepalived.conf
// pair (sync group, tracked link, weighted vrrp_scripts, unicast peers) run by keepalived
// 2.2.7 and, on an identical fresh topology, by vrrpd on `vrrpd import-keepalived --strict`
// of the same files, alternating, N trials each. Per step: where the VIPs ended (must be
// the same for both daemons in every trial) and the time from the step's action to the
// first sight of that final placement (the VIP placement is polled every 100 ms, so the
// figures carry about ±0.15 s; the failover bench has the precise takeover times).
//
//   npm run build && sudo node dist/bench/migration-differential.js [--trials 3]
//
// Root only; namespaces carry the per-run prefix of src/lab/netns.ts and are removed.
// Exit 0 when every placement agreed, 1 when one did not, 2 on an error.
import {
  runScenario,
  STEPS,
  type StepResult,
  startKeepalivedPair,
  startVrrpdPair,
} from '../test/netns/lib/differential.js';
import { requireBuilt } from '../test/netns/lib/vrrpd.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? String(args[i + 1]) : dflt;
};
const TRIALS = Number(opt('trials', '3'));

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)] ?? Number.NaN;
const span = (xs: number[]) => `${median(xs)} (${sorted(xs)[0]}–${sorted(xs).at(-1)})`;

async function main(): Promise<number> {
  requireBuilt();
  const ka: StepResult[][] = [];
  const vd: StepResult[][] = [];
  for (let t = 0; t < TRIALS; t++) {
    ka.push(await runScenario(startKeepalivedPair, `keepalived #${t + 1}`));
    vd.push(await runScenario(startVrrpdPair, `vrrpd #${t + 1}`));
    process.stderr.write(`trial ${t + 1}/${TRIALS} done\n`);
  }
  let disagreements = 0;
  console.log(`VRRP differential scenario, ${TRIALS} trial(s) each, ms from the step to the final placement`);
  console.log('(median (min–max); start: from launching both nodes)');
  console.log('');
  console.log('| step | VIPs at the end | same placement | keepalived ms | vrrpd ms | vrrpd / keepalived |');
  console.log('|---|---|---:|---:|---:|---:|');
  STEPS.forEach((s, i) => {
    const k = ka.map((r) => r[i]!);
    const v = vd.map((r) => r[i]!);
    const same = k.filter((x, j) => x.placement === v[j]!.placement).length;
    disagreements += TRIALS - same;
    const placements = [...new Set([...k, ...v].map((x) => x.placement))].join(' / ');
    const km = k.map((x) => x.settleMs);
    const vm = v.map((x) => x.settleMs);
    const ratio = median(km) > 0 ? (median(vm) / median(km)).toFixed(2) : 'n/a';
    console.log(`| ${s.name} | ${placements} | ${same}/${TRIALS} | ${span(km)} | ${span(vm)} | ${ratio} |`);
  });
  return disagreements === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href)
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.stack : String(e));
      process.exit(2);
    },
  );
