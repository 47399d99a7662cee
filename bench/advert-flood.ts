// Adverts under a flood of mutated adverts (issue #16, part 4), vrrpd beside keepalived
// in the same run: a pair (a: priority 150, master; b: 100, backup) on one bridge, a third
// namespace c sends mutated VRRP frames at the pair's group address at --rate per second
// for --seconds (test/netns/lib/flood.ts builds the pool with the daemon's own receive
// rules, so no frame is one a daemon should act on; a C sender puts them on the wire).
// c also captures a's adverts; the bench prints, per daemon, the gaps between a's
// adverts in a quiet stretch and during the flood (p50/p99/max, count over advert + 5 ms),
// the frames that reached the wire, whether b ever advertised (a second master), and for
// vrrpd the frames it counted by reason. The p99 ratio vrrpd/keepalived closes the table.
//
//   npm run build && node dist/bench/advert-flood.js [--seconds 30] [--quiet 10]
//        [--rate 100000] [--advert 100] [--daemons vrrpd,keepalived] [--json FILE]
//        [--runs N] [--base DIR]
//   --runs N: N rounds, the daemons alternating within each; a table of medians follows
//   --base DIR: one more daemon, vrrpd-base, run from DIR's build (DIR/dist/src/cli/main.js),
//        e.g. a worktree of main, to measure a change beside the code before it
//   FLOOD_RT_PRIORITY=N: the sender's SCHED_FIFO priority (default 1; 0 none, < 0 a nice value)
//
// Root only; its namespaces (prefix vf<pid>-) are removed at the end. Done when (issue
// #16): with the flood, no state change and vrrpd's gap p99 <= advert + 5 ms. Exit code 0
// when that holds, 1 when it does not, 2 on an error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTopology, type Topology } from '../src/lab/netns.js';
import { readPcap } from '../test/helpers/pcap.js';
import {
  buildPool,
  compileSender,
  countedDrops,
  diffCounts,
  rawSocketDrops,
  runFlood,
  sum,
  writePool,
} from '../test/netns/lib/flood.js';
import { macOf, startCapture } from '../test/netns/peers/capture.js';
import { createKeepalived } from '../test/netns/peers/keepalived.js';
import type { Router, RouterSpec } from '../test/netns/peers/router.js';
import { createVrrpd, type VrrpdRouter } from '../test/netns/peers/vrrpd.js';
import { advertTimesMs, type GapStats, gapStats } from './lib/gaps.js';

type Daemon = 'vrrpd' | 'vrrpd-base' | 'keepalived';

interface Row {
  daemon: Daemon;
  run: number;
  /** frames the sender put on the wire */
  sent: number;
  sentPerSec: number;
  /** the sender's SCHED_FIFO priority (test/netns/lib/flood.ts FLOOD_RT_PRIORITY) */
  senderRtPriority: number;
  quiet: GapStats;
  flood: GapStats;
  /** adverts the backup sent during the run: a second master */
  backupAdverts: number;
  /** a still holds the VIP and b does not, at the end */
  roles: boolean;
  /** vrrpd: frames counted by reason on a; socket drops (kernel) on a */
  counted?: Record<string, number>;
  socketDrops: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function runOne(
  daemon: Daemon,
  o: { seconds: number; quiet: number; rate: number; advert: number; base?: string },
  run: number,
): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), `vrrpd-flood-${daemon}-`));
  const topo: Topology = await createTopology({ prefix: `vf${process.pid}-`, hosts: ['a', 'b', 'c'] });
  const spec = (priority: number): RouterSpec => ({
    vrid: 51,
    version: 3,
    priority,
    advertMs: o.advert,
    vip: '192.0.2.50',
    prefixLen: 24,
  });
  const baseMain = o.base ? join(o.base, 'dist', 'src', 'cli', 'main.js') : undefined;
  const make = (host: string, s: RouterSpec): Router =>
    daemon === 'keepalived'
      ? createKeepalived(topo, host, dir, s)
      : createVrrpd(topo, host, dir, s, daemon === 'vrrpd-base' && baseMain ? { main: baseMain } : {});
  const a = make('a', spec(150));
  const b = make('b', spec(100));
  const isVrrpd = daemon !== 'keepalived';
  const routers: Router[] = [a, b];
  try {
    await Promise.all(routers.map((r) => r.start()));
    const t = Date.now();
    while (!(await a.holdsVip()) || (await b.holdsVip())) {
      if (Date.now() - t > 15_000) throw new Error(`${daemon}: a did not become the sole master`);
      await sleep(100);
    }
    const bin = await compileSender(dir);
    const pool = buildPool({
      srcMac: await macOf(topo, 'c'),
      src: topo.host('c').ipv4,
      vrid: 51,
      vip: '192.0.2.50',
      advertIntervalCs: o.advert / 10,
      receiver: topo.host('a').ipv4,
      size: 4096,
      seed: 16,
    });
    const poolFile = join(dir, 'pool.bin');
    writePool(poolFile, pool.frames);
    const [macA, macB] = [await macOf(topo, 'a'), await macOf(topo, 'b')];
    const pcap = join(dir, 'adverts.pcap');
    const cap = await startCapture(
      topo,
      'c',
      pcap,
      `ip proto 112 and (ether src ${macA} or ether src ${macB})`,
    );
    const before = isVrrpd ? countedDrops(await (a as VrrpdRouter).status()) : {};
    const raw0 = await rawSocketDrops(topo, 'a');
    const q0 = Date.now();
    await sleep(o.quiet * 1000);
    const f0 = Date.now();
    const flood = await runFlood(topo, 'c', bin, poolFile, o.rate, o.seconds);
    const f1 = Date.now();
    await sleep(1000);
    await cap.stop();
    const file = readPcap(pcap);
    const times = advertTimesMs(file, topo.host('a').ipv4);
    const roles = (await a.holdsVip()) && !(await b.holdsVip());
    const row: Row = {
      daemon,
      run,
      sent: flood.sent,
      sentPerSec: flood.sent / flood.seconds,
      senderRtPriority: flood.rtPriority,
      quiet: gapStats(
        times.filter((x) => x >= q0 && x < f0),
        o.advert,
      ),
      flood: gapStats(
        times.filter((x) => x >= f0 && x <= f1),
        o.advert,
      ),
      backupAdverts: advertTimesMs(file, topo.host('b').ipv4).length,
      roles,
      socketDrops: (await rawSocketDrops(topo, 'a')) - raw0,
    };
    if (isVrrpd) row.counted = diffCounts(before, countedDrops(await (a as VrrpdRouter).status()));
    return row;
  } finally {
    for (const r of routers) await r.cleanup().catch(() => {});
    await topo.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

function table(rows: Row[], advert: number): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  const out = [
    `| daemon | run | phase | frames/s on the wire | adverts | gap p50 ms | gap p99 ms | gap max ms | gaps > ${advert + 5} ms | backup adverts | roles kept | socket drops | counted by vrrpd |`,
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|',
  ];
  for (const r of rows) {
    for (const [phase, g] of [
      ['quiet', r.quiet],
      ['flood', r.flood],
    ] as const) {
      const flood = phase === 'flood';
      out.push(
        `| ${r.daemon} | ${r.run} | ${phase} | ${flood ? r.sentPerSec.toFixed(0) : 0} | ${g.adverts} | ${f(g.p50)} | ${f(g.p99)} | ${f(g.max)} | ${g.over} | ${flood ? r.backupAdverts : ''} | ${flood ? (r.roles ? 'yes' : 'NO') : ''} | ${flood ? r.socketDrops : ''} | ${flood && r.counted ? sum(r.counted) : ''} |`,
      );
    }
  }
  const v = rows.find((r) => r.daemon === 'vrrpd');
  const k = rows.find((r) => r.daemon === 'keepalived');
  if (v && k && rows.length <= 3)
    out.push('', `flood gap p99, vrrpd / keepalived: ${(v.flood.p99 / k.flood.p99).toFixed(3)}`);
  for (const r of rows)
    if (r.counted) out.push('', `${r.daemon} run ${r.run} counted by reason: ${JSON.stringify(r.counted)}`);
  return out.join('\n');
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Per daemon, the medians over the runs (and the roles kept in how many), with p99 ratios. */
function medians(rows: Row[], advert: number): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  const daemons = [...new Set(rows.map((r) => r.daemon))];
  const out = [
    `| daemon | runs | frames/s | gap p50 ms | gap p99 ms | gap max ms | gaps > ${advert + 5} ms | backup adverts | roles kept | counted / sent |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---:|',
  ];
  const p99 = new Map<Daemon, number>();
  for (const d of daemons) {
    const rs = rows.filter((r) => r.daemon === d);
    const m = (g: (r: Row) => number) => median(rs.map(g));
    p99.set(
      d,
      m((r) => r.flood.p99),
    );
    const counted = rs.every((r) => r.counted)
      ? f(m((r) => (100 * sum(r.counted ?? {})) / Math.max(1, r.sent))) + ' %'
      : '-';
    out.push(
      `| ${d} | ${rs.length} | ${m((r) => r.sentPerSec).toFixed(0)} | ${f(m((r) => r.flood.p50))} | ${f(m((r) => r.flood.p99))} | ${f(m((r) => r.flood.max))} | ${m((r) => r.flood.over)} | ${m((r) => r.backupAdverts)} | ${rs.filter((r) => r.roles).length}/${rs.length} | ${counted} |`,
    );
  }
  const v = p99.get('vrrpd');
  for (const other of ['keepalived', 'vrrpd-base'] as const) {
    const x = p99.get(other);
    if (v !== undefined && x !== undefined)
      out.push('', `median flood gap p99, vrrpd / ${other}: ${(v / x).toFixed(3)}`);
  }
  return out.join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '30' },
      quiet: { type: 'string', default: '10' },
      rate: { type: 'string', default: '100000' },
      advert: { type: 'string', default: '100' },
      daemons: { type: 'string', default: 'vrrpd,keepalived' },
      json: { type: 'string' },
      runs: { type: 'string', default: '1' },
      base: { type: 'string' },
    },
  });
  if (process.getuid?.() !== 0) throw new Error('bench/advert-flood needs root (network namespaces)');
  const o = {
    seconds: Number(values.seconds),
    quiet: Number(values.quiet),
    rate: Number(values.rate),
    advert: Number(values.advert),
    ...(values.base ? { base: values.base } : {}),
  };
  const daemons = values.daemons.split(',') as Daemon[];
  if (values.base && !daemons.includes('vrrpd-base')) daemons.unshift('vrrpd-base');
  for (const d of daemons) {
    if (d !== 'vrrpd' && d !== 'keepalived' && d !== 'vrrpd-base') throw new Error(`unknown daemon ${d}`);
    if (d === 'vrrpd-base' && !values.base) throw new Error('vrrpd-base needs --base DIR');
  }
  const load0 = loadavg();
  const rows: Row[] = [];
  for (let run = 1; run <= Number(values.runs); run++)
    for (const d of daemons) rows.push(await runOne(d, o, run));
  const load1 = loadavg();
  console.log(
    `advert flood: ${o.rate} mutated adverts/s asked for ${o.seconds} s, advert interval ${o.advert} ms, ` +
      `sender SCHED_FIFO ${rows.map((r) => r.senderRtPriority).join('/')} (FLOOD_RT_PRIORITY)\n`,
  );
  console.log(table(rows, o.advert));
  if (Number(values.runs) > 1)
    console.log(`\nmedians over ${values.runs} runs:\n\n${medians(rows, o.advert)}`);
  const la = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  console.log(`\nload average: ${la(load0)} at the start, ${la(load1)} at the end`);
  if (values.json) writeFileSync(values.json, JSON.stringify({ options: o, rows }, null, 2));
  const v = rows.filter((r) => r.daemon === 'vrrpd').at(-1);
  return v && (!v.roles || v.backupAdverts > 0 || v.flood.p99 > o.advert + 5) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(2);
  },
);
