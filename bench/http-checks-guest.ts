// CPU per HTTP check, keepalived 2.2.7's HTTP_GET beside vrrpd at the same rate in the same
// run (issue 17 item 5). keepalived's checker will not start without IPVS, which only the
// user-mode-linux guest has here (test/vm/guest.ts; one CPU), so both daemons run there, one
// at a time, alternating, against the same nginx: the rate is what that one CPU can carry for
// the checker and nginx together. vrrpd's own 10,000/s beside a VRRP pair: bench/http-checks.ts.
// Runs test/vm/cases/http-checks-cases.ts (one boot; or a fresh netns where the host kernel
// has IPVS); the checks are the requests nginx served in each window.
//
//   npm run build && node dist/bench/http-checks-guest.js [--rate 200] [--rounds 3]
//        [--seconds 10] [--warmup 4] [--addresses 20]
import { parseArgs } from 'node:util';
import type { Trial } from '../test/vm/cases/http-checks-cases.js';
import { DEFAULT_MODULES, runNodeJob } from '../test/vm/guest.js';
import { usPerCheck } from './lib/http-checks.js';
import { loadAverage, median } from './lib/proc.js';

export interface GuestRow {
  daemon: Trial['daemon'];
  checksPerSec: number;
  cpuPct: number;
  otherPct: number;
  usPerCheck: number;
  otherUsPerCheck: number;
  nginxUsPerRequest: number;
  trials: number;
}

export function guestRows(trials: Trial[]): GuestRow[] {
  return (['keepalived', 'vrrpd'] as const).map((daemon) => {
    const ts = trials.filter((t) => t.daemon === daemon);
    const m = (g: (t: Trial) => number) => median(ts.map(g));
    return {
      daemon,
      checksPerSec: m((t) => t.requests / (t.wallMs / 1000)),
      cpuPct: m((t) => (t.cpuNs / 1e6 / t.wallMs) * 100),
      otherPct: m((t) => (t.otherNs / 1e6 / t.wallMs) * 100),
      usPerCheck: m((t) => usPerCheck(t.cpuNs, t.requests)),
      otherUsPerCheck: m((t) => usPerCheck(t.otherNs, t.requests)),
      nginxUsPerRequest: m((t) => usPerCheck(t.nginxNs, t.requests)),
      trials: ts.length,
    };
  });
}

const f = (x: number, dp = 1) => (Number.isFinite(x) ? x.toFixed(dp) : '–');

export function guestTable(rows: GuestRow[]): string {
  const ka = rows.find((r) => r.daemon === 'keepalived');
  const lines = [
    '| daemon | checks/s | CPU % (checker / whole vrrpd) | µs per check | vrrpd / keepalived | CPU % (keepalived parent / vrrpd main thread) | µs per check (same) | nginx µs per request | trials |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.daemon} | ${f(r.checksPerSec, 0)} | ${f(r.cpuPct)} | ${f(r.usPerCheck)} | ${ka ? f(r.usPerCheck / ka.usPerCheck, 2) : '–'} | ${f(r.otherPct)} | ${f(r.otherUsPerCheck)} | ${f(r.nginxUsPerRequest)} | ${r.trials} |`,
    );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '200' },
      rounds: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '4' },
      addresses: { type: 'string', default: '20' },
    },
  });
  const args = [values.rate, values.rounds, values.seconds, values.warmup, values.addresses] as string[];
  const rounds = Number(values.rounds);
  const budget = rounds * 2 * (Number(values.seconds) + Number(values.warmup) + 35) + 90;
  const hostLoad = loadAverage();
  const job = await runNodeJob('test/vm/cases/http-checks-cases.ts', args, {
    timeoutS: budget,
    modules: DEFAULT_MODULES,
    memMb: 1024,
  });
  const res = JSON.parse(job.files['results.json'] ?? '{}') as {
    trials?: Trial[];
    problems?: string[];
    realServers?: number;
  };
  if (!res.trials?.length || (res.problems ?? []).length) {
    console.error(
      `the guest run failed: ${JSON.stringify(res.problems)}\n${job.stderr.slice(-3000)}\n${job.console.slice(-2000)}`,
    );
    process.exit(2);
  }
  console.log(
    `HTTP_GET /healthz at ${values.rate}/s (${res.realServers} real servers, delay_loop 1 s) in the ${job.where}, keepalived 2.2.7 and vrrpd alternating, ${rounds} rounds of ${values.seconds} s, medians; host load average before: ${hostLoad}; in the guest: ${res.trials.map((t) => t.loadavg).join(' / ')}\n`,
  );
  console.log(guestTable(guestRows(res.trials)));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(2);
});
