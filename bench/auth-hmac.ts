// The CPU cost of auth_hmac, vrrpd beside keepalived 2.4.3 in the same run: a master and a
// backup of the same daemon on one bridge, VRRPv3 at a short advert interval, without and
// with auth_hmac (the same key); the CPU time of the master's sending process and of the
// backup's receiving process over a window (utime + stime from /proc, all threads). The
// difference per advert is what signing (master) and verifying (backup) cost. Then, to find
// causes, vrrpd's own in-process cost per advert (encode, sign, verify).
//
//   npm run build && node dist/bench/auth-hmac.js [--seconds 10] [--advert 10] [--rounds 3] [--daemons vrrpd,keepalived]
//
// Root only; keepalived 2.4.3 at /opt/keepalived-2.4/sbin/keepalived (KA24=PATH), built
// by the shared peers/build-keepalived-2.4.sh. Namespaces (prefix vt<pid>...) are removed
// at the end, also on failure.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTopology, type Topology } from '../src/lab/netns.js';
import { addressPresent, exited, readPidFile, waitFor } from '../test/netns/peers/router.js';
import { vrrpdMain } from '../test/netns/peers/vrrpd.js';
import { BENCH_VIP, inProcessCost, keepalivedConf, vrrpdYaml } from './lib/auth.js';
import { cpuTicks } from './lib/gaps.js';

type Daemon = 'vrrpd' | 'keepalived';
const KA24 = process.env.KA24 ?? '/opt/keepalived-2.4/sbin/keepalived';
const TICK_MS = 10; // USER_HZ 100
const WARMUP_MS = 5000; // after the backup started: start-up work and GARPs are over

interface Started {
  child: ChildProcess;
  /** the process whose CPU is counted (keepalived: its VRRP child) */
  pid: number;
}

async function start(
  topo: Topology,
  dir: string,
  d: Daemon,
  host: string,
  priority: number,
  advertMs: number,
  auth: boolean,
): Promise<Started> {
  if (d === 'vrrpd') {
    const file = join(dir, `${host}.yaml`);
    writeFileSync(file, vrrpdYaml({ priority, advertMs, auth, socket: join(dir, `${host}.sock`) }));
    const child = topo.spawn(host, [process.execPath, vrrpdMain(), 'run', '-c', file]);
    await waitFor(
      () => existsSync(join(dir, `${host}.sock`)) || exited(child),
      20_000,
      () => `vrrpd on ${host}`,
    );
    if (exited(child)) throw new Error(`vrrpd on ${host} exited`);
    return { child, pid: child.pid ?? 0 };
  }
  const conf = join(dir, `${host}.conf`);
  const vpid = join(dir, `${host}.vrrp.pid`);
  writeFileSync(conf, keepalivedConf({ priority, advertMs, auth }));
  const child = topo.spawn(host, [
    KA24,
    '--vrrp',
    '--dont-fork',
    '--log-console',
    '--no-syslog',
    '--dont-respawn',
    '-f',
    conf,
    '-p',
    join(dir, `${host}.pid`),
    '-r',
    vpid,
    '-c',
    join(dir, `${host}.chk.pid`),
  ]);
  await waitFor(
    () => readPidFile(vpid) !== null || exited(child),
    15_000,
    () => `keepalived on ${host}`,
  );
  if (exited(child)) throw new Error(`keepalived on ${host} exited`);
  return { child, pid: readPidFile(vpid)! };
}

const ticks = (pid: number) => cpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));

async function measure(topo: Topology, d: Daemon, advertMs: number, seconds: number, auth: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-bench-auth-'));
  const started: Started[] = [];
  try {
    const a = await start(topo, dir, d, 'a', 150, advertMs, auth);
    started.push(a);
    await waitFor(
      () => addressPresent(topo, 'a', 'eth0', BENCH_VIP),
      15_000,
      () => `${d} a master`,
    );
    const b = await start(topo, dir, d, 'b', 100, advertMs, auth);
    started.push(b);
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    if (await addressPresent(topo, 'b', 'eth0', BENCH_VIP))
      throw new Error(`${d} b holds the VIP: not a backup`);
    const t0 = [ticks(a.pid), ticks(b.pid)];
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const t1 = [ticks(a.pid), ticks(b.pid)];
    if (await addressPresent(topo, 'b', 'eth0', BENCH_VIP))
      throw new Error(`${d} b took the VIP during the window`);
    const pct = (i: number) => ((t1[i]! - t0[i]!) * TICK_MS * 100) / (seconds * 1000);
    return { master: pct(0), backup: pct(1) };
  } finally {
    for (const s of started.reverse()) await topo.kill(s.child, 3000);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      advert: { type: 'string' },
      daemons: { type: 'string' },
      rounds: { type: 'string' },
    },
  });
  const seconds = Number(values.seconds ?? 10);
  const rounds = Number(values.rounds ?? 3);
  const advertMs = Number(values.advert ?? 10);
  const daemons = (values.daemons ?? 'vrrpd,keepalived').split(',') as Daemon[];
  if (daemons.includes('keepalived') && !existsSync(KA24)) throw new Error(`no keepalived 2.4.3 at ${KA24}`);
  const adverts = (seconds * 1000) / advertMs;
  const topo = await createTopology({ hosts: ['a', 'b'] });
  const rows: {
    d: Daemon;
    plain: { master: number; backup: number };
    auth: { master: number; backup: number };
  }[] = [];
  try {
    // rounds alternate daemons and modes, so that a busy moment of the machine hits all
    const runs = new Map<string, { master: number; backup: number }[]>();
    for (let i = 0; i < rounds; i++)
      for (const d of daemons)
        for (const auth of [false, true]) {
          const key = `${d}/${auth}`;
          runs.set(key, [...(runs.get(key) ?? []), await measure(topo, d, advertMs, seconds, auth)]);
        }
    const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const of = (key: string) => {
      const xs = runs.get(key)!;
      return { master: med(xs.map((x) => x.master)), backup: med(xs.map((x) => x.backup)) };
    };
    for (const d of daemons) rows.push({ d, plain: of(`${d}/false`), auth: of(`${d}/true`) });
  } finally {
    await topo.cleanup();
  }
  const f = (n: number) => n.toFixed(2);
  const us = (pctDiff: number) => ((pctDiff / 100) * seconds * 1e6) / adverts;
  console.log(
    `\nCPU, % of one core, median of ${rounds} rounds; VRRPv3 every ${advertMs} ms, ${seconds} s window (${adverts} adverts), USER_HZ ticks`,
  );
  console.log(
    '| daemon | master, no auth | master, auth_hmac | backup, no auth | backup, auth_hmac | sign µs/advert | verify µs/advert |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows)
    console.log(
      `| ${r.d} | ${f(r.plain.master)} | ${f(r.auth.master)} | ${f(r.plain.backup)} | ${f(r.auth.backup)} | ${f(us(r.auth.master - r.plain.master))} | ${f(us(r.auth.backup - r.plain.backup))} |`,
    );
  const v = rows.find((r) => r.d === 'vrrpd');
  const k = rows.find((r) => r.d === 'keepalived');
  if (v && k)
    console.log(
      `\nratio vrrpd / keepalived, auth_hmac: master ${f(v.auth.master / k.auth.master)}, backup ${f(v.auth.backup / k.auth.backup)}`,
    );
  const c = inProcessCost(20_000);
  console.log('\nvrrpd in-process, µs per advert (20,000 runs; causes, not the headline)');
  console.log('| encode | encode + sign | decode + verify |');
  console.log('|---|---|---|');
  console.log(`| ${f(c.encodeUs)} | ${f(c.signUs)} | ${f(c.verifyUs)} |`);
  return c.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
