// A virtual_server_group beside keepalived: N VIPs (one range) served by 4 real servers
// with a TCP_CHECK each, run by keepalived (Debian 2.2.7, --check) and by vrrpd (on
// `vrrpd import-keepalived` of the same file), one after the other in the same kernel.
// Measured: the time from the daemon's start until the IPVS table holds every service with
// every real server, and how often each real server is probed (once per delay_loop
// whatever N is, when a real server is checked once for all the services it is in).
// Where the host kernel has no IPVS the run happens in a user-mode-linux guest.
//
//   npm run build && node dist/bench/group-table.js [--vips 16,64,250] [--runs 3] [--json FILE]
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO, runJob } from '../test/vm/guest.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? dflt) : dflt;
};
const VIPS = opt('vips', '16,64,250').split(',').map(Number);
const RUNS = Number(opt('runs', '3'));
const JSON_OUT = opt('json', '');
const REALS = ['198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5'];
/** how long the probes are counted once the table is full */
const COUNT_MS = 5000;
const MAIN_JS = join(REPO, 'dist/src/cli/main.js');

const sh = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** The bench's keepalived.conf: one group of `vips` addresses in 203.0.113.0/24, port 80. */
export function groupConf(vips: number): string {
  if (vips < 2 || vips > 254) throw new Error('--vips: 2..254 (one range in 203.0.113.0/24)');
  const reals = REALS.map(
    (a) =>
      `    real_server ${a} 80 {\n        TCP_CHECK {\n            connect_timeout 2\n            retry 0\n        }\n    }\n`,
  ).join('');
  return [
    'virtual_server_group BENCH {',
    `    203.0.113.1-${vips} 80`,
    '}',
    'virtual_server group BENCH {',
    '    delay_loop 1',
    '    lb_algo rr',
    '    lb_kind DR',
    '    protocol TCP',
    `${reals}}`,
    '',
  ].join('\n');
}

// counts accepted connections by local address; prints them on a line on stdin
const SERVER = `
const counts = {};
require('node:net').createServer((c) => { counts[c.localAddress] = (counts[c.localAddress] || 0) + 1; c.on('error', () => {}).end(); })
  .listen(80, '0.0.0.0', () => console.log('ready'));
process.stdin.on('data', () => { console.log('COUNTS ' + JSON.stringify(counts)); for (const k in counts) delete counts[k]; });
`;

interface Sample {
  daemon: 'keepalived' | 'vrrpd';
  vips: number;
  /** start → the daemon says it runs (keepalived: 'Startup complete'; vrrpd: 'vrrpd running') */
  upMs: number;
  fullMs: number;
  /** probes per real server per second while counting */
  probesPerRsPerS: number;
}

async function inside(): Promise<void> {
  const ns = `gb${process.pid % 100000}`;
  const dir = mkdtempSync(join(tmpdir(), `${ns}-`));
  const children: ChildProcess[] = [];
  const samples: Sample[] = [];
  try {
    sh(['ip', 'netns', 'add', ns]);
    sh(['ip', 'link', 'add', `${ns}a`, 'type', 'veth', 'peer', 'name', `${ns}b`]);
    sh(['ip', 'link', 'set', `${ns}b`, 'netns', ns]);
    sh(['ip', 'addr', 'add', '198.51.100.1/24', 'dev', `${ns}a`]);
    sh(['ip', 'link', 'set', `${ns}a`, 'up']);
    for (const a of REALS) sh(['ip', '-n', ns, 'addr', 'add', `${a}/24`, 'dev', `${ns}b`]);
    sh(['ip', '-n', ns, 'link', 'set', `${ns}b`, 'up']);
    const srv = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER], { stdio: 'pipe' });
    children.push(srv);
    let out = '';
    srv.stdout.on('data', (d: Buffer) => (out += d.toString()));
    while (!out.includes('ready')) await sleep(20);
    const counts = async (): Promise<Record<string, number>> => {
      out = '';
      srv.stdin.write('\n');
      while (!out.includes('\n', out.indexOf('COUNTS '))) await sleep(10);
      return JSON.parse(out.slice(out.indexOf('COUNTS ') + 7).split('\n')[0]!);
    };

    for (const vips of VIPS) {
      const conf = join(dir, `group-${vips}.conf`);
      writeFileSync(conf, groupConf(vips));
      const yaml = join(dir, `group-${vips}.yaml`);
      const imported = sh([process.execPath, MAIN_JS, 'import-keepalived', conf]);
      writeFileSync(
        yaml,
        `global: {control_socket: ${join(dir, 'vrrpd.sock')}, state_file: ${join(dir, 'owned.json')}}\n${imported}`,
      );
      const lines = vips + vips * REALS.length;
      for (let run = 0; run < RUNS; run++) {
        for (const daemon of ['keepalived', 'vrrpd'] as const) {
          sh(['ipvsadm', '-C']);
          const argv =
            daemon === 'keepalived'
              ? [
                  'keepalived',
                  '-n',
                  '-l',
                  '-D',
                  '--check',
                  '-f',
                  conf,
                  '-p',
                  join(dir, 'k.pid'),
                  '-c',
                  join(dir, 'kc.pid'),
                ]
              : [process.execPath, MAIN_JS, 'run', '-c', yaml];
          const t0 = performance.now();
          const p = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
          children.push(p);
          let upMs = Number.NaN;
          let log = '';
          const onData = (d: Buffer) => {
            log += d.toString();
            if (Number.isNaN(upMs) && /Startup complete|vrrpd running/.test(log))
              upMs = performance.now() - t0;
          };
          p.stdout?.on('data', onData);
          p.stderr?.on('data', onData);
          let fullMs = Number.NaN;
          while (performance.now() - t0 < 60_000) {
            if (sh(['ipvsadm-save', '-n']).split('\n').filter(Boolean).length >= lines) {
              fullMs = performance.now() - t0;
              break;
            }
            await sleep(25);
          }
          await counts();
          await sleep(COUNT_MS);
          const c = await counts();
          const perRs = REALS.map((a) => c[a] ?? 0);
          samples.push({
            daemon,
            vips,
            upMs,
            fullMs,
            probesPerRsPerS: perRs.reduce((s, x) => s + x, 0) / REALS.length / (COUNT_MS / 1000),
          });
          await stop(p);
        }
      }
    }
  } finally {
    for (const c of children) await stop(c);
    try {
      sh(['ipvsadm', '-C']);
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      execFileSync('ip', ['link', 'del', `${ns}a`], { stdio: 'ignore' });
    } catch {
      // gone with the namespace
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const kernel = sh(['uname', '-r']).trim();
  console.log(
    `virtual_server_group bench: N VIPs x ${REALS.length} real servers (TCP_CHECK, delay_loop 1 s), kernel ${kernel}, ${RUNS} runs, median`,
  );
  console.log(
    '| VIPs | IPVS lines | keepalived: start → running / full table ms | vrrpd: start → running / full table ms | vrrpd / keepalived (full table) | probes per real server per s (keepalived / vrrpd) |',
  );
  console.log('|---:|---:|---:|---:|---:|---|');
  for (const vips of VIPS) {
    const of = (d: Sample['daemon']) => samples.filter((s) => s.vips === vips && s.daemon === d);
    const k = median(of('keepalived').map((s) => s.fullMs));
    const v = median(of('vrrpd').map((s) => s.fullMs));
    const ku = median(of('keepalived').map((s) => s.upMs));
    const vu = median(of('vrrpd').map((s) => s.upMs));
    const pk = median(of('keepalived').map((s) => s.probesPerRsPerS));
    const pv = median(of('vrrpd').map((s) => s.probesPerRsPerS));
    console.log(
      `| ${vips} | ${vips * (1 + REALS.length)} | ${ku.toFixed(0)} / ${k.toFixed(0)} | ${vu.toFixed(0)} / ${v.toFixed(0)} | ${(v / k).toFixed(2)} | ${pk.toFixed(2)} / ${pv.toFixed(2)} |`,
    );
  }
  console.log(`SAMPLES ${JSON.stringify(samples)}`);
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function outside(): Promise<void> {
  const self = relative(REPO, fileURLToPath(import.meta.url));
  const r = await runJob(`exec node ${self} --inside ${args.join(' ')}`, {
    timeoutS: 900,
    modules: ['ip_vs', 'ip_vs_rr', 'nf_conntrack', 'veth'],
    memMb: 1024,
  });
  process.stdout.write(r.stdout.replace(/^SAMPLES .*\n/m, ''));
  process.stderr.write(r.stderr);
  const m = /^SAMPLES (.*)$/m.exec(r.stdout);
  if (JSON_OUT && m) writeFileSync(JSON_OUT, m[1]!);
  console.log(`(ran on the ${r.where}; whole run ${(r.durationMs / 1000).toFixed(1)} s including boot)`);
  process.exitCode = r.rc;
}

if (args.includes('--inside')) await inside();
else if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) await outside();
