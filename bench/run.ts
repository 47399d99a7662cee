// `npm run bench`: every bench's tables from one command, one bench after the other (each
// measures vrrpd and keepalived side by side within its own run).
//
//   npm run bench                                 # every table, full size (~25 min, root)
//   npm run bench -- --tables idle,handover       # some of them
//   npm run bench -- --size quick                 # a small slice of each (~3 min; CI runs it)
//   npm run bench -- --list
//
// Each bench is its own program (bench/<name>.ts, options in its header and in
// bench/README.md); this runner starts it with the arguments of the chosen size and
// prints what it prints. Exit code: the worst of the benches' (2 when one could not run).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

type Size = 'quick' | 'full';

interface Table {
  name: string;
  file: string;
  what: string;
  root: boolean;
  /** one run per entry: arguments and extra environment */
  runs: Record<Size, { args: string[]; env?: Record<string, string>; label?: string }[]>;
}

export const TABLES: Table[] = [
  {
    name: 'idle',
    file: 'idle.js',
    what: 'idle CPU of 200 and 255×2 instances (master, backup) and RSS of one instance, beside keepalived',
    root: true,
    runs: {
      full: [{ args: [] }],
      quick: [{ args: ['--cases', 'v2x200,rss', '--seconds', '4', '--warmup', '2', '--rounds', '1'] }],
    },
  },
  {
    name: 'handover',
    file: 'handover.js',
    what: 'SIGTERM → priority-0 advert → backup GARP, beside keepalived',
    root: true,
    runs: { full: [{ args: ['--trials', '10'] }], quick: [{ args: ['--trials', '1'] }] },
  },
  {
    name: 'checks',
    file: 'checks.js',
    what: 'HTTP checks per second and CPU per check: in the main thread, then in the HTTP check threads',
    root: false,
    runs: {
      full: [
        {
          args: ['--kind', 'http'],
          env: { VRRPD_HTTP_CHECK_THREADS: '0' },
          label: 'HTTP checks in the main thread',
        },
        { args: ['--kind', 'http'], label: 'HTTP checks in the check threads (default)' },
        { args: ['--kind', 'tcp'], label: 'TCP checks (native prober)' },
      ],
      quick: [
        {
          args: ['--kind', 'http', '--targets', '200', '--seconds', '2', '--warmup', '1'],
          env: { VRRPD_HTTP_CHECK_THREADS: '0' },
          label: 'HTTP checks in the main thread',
        },
        {
          args: ['--kind', 'http', '--targets', '200', '--seconds', '2', '--warmup', '1'],
          label: 'HTTP checks in the check threads (default)',
        },
      ],
    },
  },
  {
    name: 'failover',
    file: 'failover.js',
    what: 'fault → backup GARP for SIGKILL, SIGTERM and link down, beside keepalived',
    root: true,
    runs: {
      full: [{ args: [] }],
      quick: [{ args: ['--cases', 'v3', '--faults', 'sigterm', '--trials', '1'] }],
    },
  },
  {
    name: 'gaps',
    file: 'advert-gaps.js',
    what: 'advert gaps while checking real servers',
    root: true,
    runs: {
      full: [{ args: [] }],
      quick: [
        {
          args: [
            '--scenarios',
            'http',
            '--seconds',
            '3',
            '--warmup',
            '2',
            '--ports',
            '10',
            '--addresses',
            '10',
          ],
        },
      ],
    },
  },
  {
    name: 'config-load',
    file: 'config-load.js',
    what: 'loading a large configuration, beside keepalived -t',
    root: false,
    runs: { full: [{ args: [] }], quick: [{ args: ['--sizes', '300', '--runs', '1'] }] },
  },
  {
    name: 'startup-delay',
    file: 'startup-delay.js',
    what: 'vrrp_startup_delay: start → first advert of a lone router, beside keepalived',
    root: true,
    runs: { full: [{ args: ['--trials', '5'] }], quick: [{ args: ['--trials', '1', '--delay', '1'] }] },
  },
  {
    name: 'down-timer',
    file: 'down-timer.js',
    what: "hung master → backup's first advert with down_timer_adverts N, beside keepalived",
    root: true,
    runs: {
      full: [{ args: ['--adverts', '1,3,10', '--trials', '5'] }],
      quick: [{ args: ['--adverts', '3', '--trials', '1'] }],
    },
  },
  {
    name: 'drain',
    file: 'drain.js',
    what: "-254 written into the master's tracked file → priority-0 advert → backup GARP, beside keepalived",
    root: true,
    runs: { full: [{ args: ['--trials', '10'] }], quick: [{ args: ['--trials', '1'] }] },
  },
  {
    name: 'flood',
    file: 'advert-flood.js',
    what: 'adverts under a flood of mutated adverts (100,000/s and 50,000/s, 30 s), beside keepalived',
    root: true,
    runs: {
      full: [
        {
          args: ['--seconds', '30', '--rate', '100000', '--runs', '3'],
          // above the VRRP threads (SCHED_RR 10), as a NIC flood arrives in softirq: below them
          // the sender gets only a share of the 2 cores the daemons' early drops also use
          env: { FLOOD_RT_PRIORITY: '11' },
          label: '100,000/s, sender SCHED_FIFO 11',
        },
        {
          args: ['--seconds', '30', '--rate', '50000', '--runs', '3'],
          label: '50,000/s, sender SCHED_FIFO 1',
        },
      ],
      quick: [{ args: ['--seconds', '3', '--quiet', '2', '--rate', '20000'] }],
    },
  },
  {
    name: 'fuzz-cli',
    file: 'fuzz-cli.js',
    what: 'mutated YAML configs and keepalived.conf files through check-config and import-keepalived',
    root: false,
    runs: {
      full: [{ args: [] }],
      quick: [{ args: ['--yaml', '300', '--keepalived', '300', '--spot', '4'] }],
    },
  },
  {
    name: 'http-checks',
    file: 'http-checks.js',
    what: 'HTTP checks up to 10,000/s against nginx beside a VRRP pair with 100 ms adverts: CPU per check, advert gaps off vs on',
    root: true,
    runs: {
      full: [{ args: ['--rounds', '3'] }],
      quick: [
        {
          args: ['--rates', '0,500', '--rounds', '1', '--seconds', '2', '--warmup', '1', '--addresses', '20'],
        },
      ],
    },
  },
  {
    name: 'http-checks-guest',
    file: 'http-checks-guest.js',
    what: "CPU per HTTP check, keepalived's HTTP_GET beside vrrpd at the same rate (IPVS guest)",
    root: true,
    runs: {
      full: [{ args: ['--rounds', '3'] }],
      quick: [
        { args: ['--rate', '100', '--rounds', '1', '--seconds', '3', '--warmup', '3', '--addresses', '10'] },
      ],
    },
  },
];

function main(): number {
  const { values } = parseArgs({
    options: {
      tables: { type: 'string' },
      size: { type: 'string', default: 'full' },
      list: { type: 'boolean', default: false },
    },
  });
  if (values.list) {
    for (const t of TABLES)
      process.stdout.write(`${t.name.padEnd(12)} ${t.what}${t.root ? ' (root)' : ''}\n`);
    return 0;
  }
  const size = values.size as Size;
  if (size !== 'quick' && size !== 'full') throw new Error(`--size is quick or full, not '${size}'`);
  const names = values.tables ? values.tables.split(',').map((s) => s.trim()) : TABLES.map((t) => t.name);
  for (const n of names)
    if (!TABLES.some((t) => t.name === n))
      throw new Error(`unknown table '${n}' (have: ${TABLES.map((t) => t.name).join(', ')})`);
  const root = process.getuid?.() === 0;
  let worst = 0;
  for (const t of TABLES.filter((x) => names.includes(x.name))) {
    process.stdout.write(`\n## ${t.name}: ${t.what}\n\n`);
    if (t.root && !root) {
      process.stdout.write('(needs root: not run)\n');
      worst = Math.max(worst, 2);
      continue;
    }
    for (const r of t.runs[size]) {
      if (r.label) process.stdout.write(`### ${r.label}\n\n`);
      const file = fileURLToPath(new URL(`./${t.file}`, import.meta.url));
      const res = spawnSync(process.execPath, [file, ...r.args], {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, ...r.env },
      });
      const code = res.status ?? 2;
      if (code !== 0) process.stdout.write(`\n(${t.file} exited with ${code})\n`);
      worst = Math.max(worst, code);
      process.stdout.write('\n');
    }
  }
  return worst;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  try {
    process.exitCode = main();
  } catch (err) {
    process.stderr.write(`bench/run: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  }
}
