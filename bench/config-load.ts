// Loading a whole configuration of many real servers, as an operator sees it: the whole
// `vrrpd check-config FILE` process beside `keepalived -t -f FILE` on the same table (100
// real servers per virtual server, no checks), in the same run, alternating. Then, to find
// causes, the phases inside one warm process (never the headline).
//
//   npm run build && node dist/bench/config-load.js [--sizes 10000,100000] [--runs 5]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '../src/config/load.js';
import { validateAgainstSchema } from '../src/config/validate-schema.js';
import { fastYamlData } from '../src/config/yaml-fast.js';
import { parseYaml } from '../src/config/yaml-source.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? String(args[i + 1]) : dflt;
};
const SIZES = opt('sizes', '10000,100000').split(',').map(Number);
const RUNS = Number(opt('runs', '5'));
const PER_SERVICE = 100;
const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** the n-th real server's address: documentation ranges are too small, so 10.0.0.0/8 (never contacted) */
const realAddr = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
const vsAddr = (v: number) => `203.0.113.${(v % 250) + 1}`;

export function vrrpdYaml(reals: number): string {
  const out = ['global:', '  log_level: info', 'virtual_servers:'];
  for (let v = 0; v * PER_SERVICE < reals; v++) {
    out.push(`  - address: ${vsAddr(v)}`, `    port: ${1000 + v}`, '    protocol: tcp');
    out.push('    scheduler: wrr', '    forwarding: nat', '    real_servers:');
    for (let r = 0; r < PER_SERVICE && v * PER_SERVICE + r < reals; r++)
      out.push(
        `      - address: ${realAddr(v * PER_SERVICE + r)}`,
        '        port: 80',
        `        weight: ${1 + (r % 5)}`,
      );
  }
  return `${out.join('\n')}\n`;
}

export function keepalivedConf(reals: number): string {
  const out: string[] = [];
  for (let v = 0; v * PER_SERVICE < reals; v++) {
    out.push(`virtual_server ${vsAddr(v)} ${1000 + v} {`, '  lb_algo wrr', '  lb_kind NAT', '  protocol TCP');
    for (let r = 0; r < PER_SERVICE && v * PER_SERVICE + r < reals; r++)
      out.push(`  real_server ${realAddr(v * PER_SERVICE + r)} 80 {`, `    weight ${1 + (r % 5)}`, '  }');
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}

interface Sample {
  ms: number;
  rssMb: number;
  ok: boolean;
}

/** one whole process under /usr/bin/time: wall time and peak RSS */
function timeProcess(argv: string[]): Sample {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...argv], { encoding: 'utf8' });
  const ms = performance.now() - t0;
  const rssKb = Number(r.stderr.trim().split('\n').pop());
  return { ms, rssMb: rssKb / 1024, ok: r.status === 0 };
}

function hasKeepalived(): boolean {
  try {
    execFileSync('keepalived', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function phases(text: string): { fast: number; schema: number; whole: number; positioned: number } {
  const times = {
    fast: [] as number[],
    schema: [] as number[],
    whole: [] as number[],
    positioned: [] as number[],
  };
  for (let i = 0; i < Math.max(RUNS, 3); i++) {
    let t = performance.now();
    const data = fastYamlData(text);
    times.fast.push(performance.now() - t);
    t = performance.now();
    validateAgainstSchema(data);
    times.schema.push(performance.now() - t);
    t = performance.now();
    const r = parseConfigText(text, 'bench.yaml', { hostname: 'bench' });
    times.whole.push(performance.now() - t);
    if (!r.ok) throw new Error(`bench config refused: ${r.errors[0]?.message}`);
    t = performance.now();
    parseYaml(text);
    times.positioned.push(performance.now() - t);
  }
  return {
    fast: median(times.fast),
    schema: median(times.schema),
    whole: median(times.whole),
    positioned: median(times.positioned),
  };
}

function main(): number {
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-bench-config-'));
  const ka = hasKeepalived();
  let failed = false;
  try {
    console.log(
      `Whole process, median of ${RUNS} runs (alternating), ${PER_SERVICE} real servers per virtual server, no checks`,
    );
    console.log('');
    console.log(
      '| real servers | vrrpd check-config ms | keepalived -t ms | ratio | vrrpd RSS MB | keepalived RSS MB |',
    );
    console.log('|---:|---:|---:|---:|---:|---:|');
    const texts: [number, string][] = [];
    for (const n of SIZES) {
      const yamlFile = join(dir, `${n}.yaml`);
      const kaFile = join(dir, `${n}.conf`);
      writeFileSync(yamlFile, vrrpdYaml(n));
      writeFileSync(kaFile, keepalivedConf(n));
      texts.push([n, readFileSync(yamlFile, 'utf8')]);
      const v: Sample[] = [];
      const k: Sample[] = [];
      timeProcess([process.execPath, MAIN, 'check-config', yamlFile]); // warm-up
      for (let i = 0; i < RUNS; i++) {
        v.push(timeProcess([process.execPath, MAIN, 'check-config', yamlFile]));
        if (ka) k.push(timeProcess(['keepalived', '-t', '-f', kaFile]));
      }
      if (v.some((s) => !s.ok)) {
        console.error(`vrrpd check-config refused the ${n} file`);
        failed = true;
      }
      const vm = median(v.map((s) => s.ms));
      const km = ka ? median(k.map((s) => s.ms)) : Number.NaN;
      console.log(
        `| ${fmt(n)} | ${fmt(vm)} | ${ka ? fmt(km) : 'n/a'} | ${ka ? fmt(vm / km, 2) : 'n/a'} | ` +
          `${fmt(median(v.map((s) => s.rssMb)), 1)} | ${ka ? fmt(median(k.map((s) => s.rssMb)), 1) : 'n/a'} |`,
      );
    }
    console.log('');
    console.log('Inside one warm process (causes, not the headline), median ms:');
    console.log('');
    console.log(
      '| real servers | fast read (js-yaml) | schema | parse+validate+build | positioned read (yaml, errors only) |',
    );
    console.log('|---:|---:|---:|---:|---:|');
    for (const [n, text] of texts) {
      const p = phases(text);
      console.log(
        `| ${fmt(n)} | ${fmt(p.fast)} | ${fmt(p.schema)} | ${fmt(p.whole)} | ${fmt(p.positioned)} |`,
      );
    }
    if (!ka) console.log('\nkeepalived not installed: its column is n/a (apt-get install keepalived)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return failed ? 1 : 0;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) process.exit(main());
