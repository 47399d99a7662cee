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
//   FLOOD_RT_PRIORITY=N: the sender's SCHED_FIFO priority (default 1; 0 none, < 0 a nice value)
//
// Root only; its namespaces (prefix vf<pid>-) are removed at the end. Done when (issue
// #16): with the flood, no state change and vrrpd's gap p99 <= advert + 5 ms. Exit code 0
// when that holds, 1 when it does not, 2 on an error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

type Daemon = 'vrrpd' | 'keepalived';

interface Row {
  daemon: Daemon;
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
  o: { seconds: number; quiet: number; rate: number; advert: number },
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
  const make = daemon === 'vrrpd' ? createVrrpd : createKeepalived;
  const a = make(topo, 'a', dir, spec(150));
  const b = make(topo, 'b', dir, spec(100));
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
    const before = daemon === 'vrrpd' ? countedDrops(await (a as VrrpdRouter).status()) : {};
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
    if (daemon === 'vrrpd') row.counted = diffCounts(before, countedDrops(await (a as VrrpdRouter).status()));
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
    `| daemon | phase | frames/s on the wire | adverts | gap p50 ms | gap p99 ms | gap max ms | gaps > ${advert + 5} ms | backup adverts | roles kept | socket drops | counted by vrrpd |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|',
  ];
  for (const r of rows) {
    for (const [phase, g] of [
      ['quiet', r.quiet],
      ['flood', r.flood],
    ] as const) {
      const flood = phase === 'flood';
      out.push(
        `| ${r.daemon} | ${phase} | ${flood ? r.sentPerSec.toFixed(0) : 0} | ${g.adverts} | ${f(g.p50)} | ${f(g.p99)} | ${f(g.max)} | ${g.over} | ${flood ? r.backupAdverts : ''} | ${flood ? (r.roles ? 'yes' : 'NO') : ''} | ${flood ? r.socketDrops : ''} | ${flood && r.counted ? sum(r.counted) : ''} |`,
      );
    }
  }
  const v = rows.find((r) => r.daemon === 'vrrpd');
  const k = rows.find((r) => r.daemon === 'keepalived');
  if (v && k) out.push('', `flood gap p99, vrrpd / keepalived: ${(v.flood.p99 / k.flood.p99).toFixed(3)}`);
  if (v?.counted) out.push('', `vrrpd counted by reason: ${JSON.stringify(v.counted)}`);
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
    },
  });
  if (process.getuid?.() !== 0) throw new Error('bench/advert-flood needs root (network namespaces)');
  const o = {
    seconds: Number(values.seconds),
    quiet: Number(values.quiet),
    rate: Number(values.rate),
    advert: Number(values.advert),
  };
  const rows: Row[] = [];
  for (const d of values.daemons.split(',') as Daemon[]) {
    if (d !== 'vrrpd' && d !== 'keepalived') throw new Error(`unknown daemon ${d}`);
    rows.push(await runOne(d, o));
  }
  console.log(
    `advert flood: ${o.rate} mutated adverts/s asked for ${o.seconds} s, advert interval ${o.advert} ms, ` +
      `sender SCHED_FIFO ${rows.map((r) => r.senderRtPriority).join('/')} (FLOOD_RT_PRIORITY)\n`,
  );
  console.log(table(rows, o.advert));
  if (values.json) writeFileSync(values.json, JSON.stringify({ options: o, rows }, null, 2));
  const v = rows.find((r) => r.daemon === 'vrrpd');
  return v && (!v.roles || v.backupAdverts > 0 || v.flood.p99 > o.advert + 5) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(2);
  },
);
