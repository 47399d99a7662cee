// Failover bench: time from a fault on the master to the first gratuitous ARP from the
// backup, for vrrpd and for keepalived (Debian 2.2.7) measured in the same run on the same
// namespaces, printed as a markdown table (min / median / max over the trials).
//
//   npm run build && node dist/bench/failover.js [--trials 5] [--daemons vrrpd,keepalived]
//        [--cases v2,v3] [--faults sigkill,sigterm,linkdown] [--phase aligned|random] [--json FILE]
//
// Root only. Topology: a = master (priority 150), b = backup (priority 100), c = observer,
// joined by a bridge in its own namespace; VRID 51, VIP 192.0.2.50/24. Faults on a:
//   sigkill  — SIGKILL of the process sending the adverts (keepalived: its VRRP child);
//   sigterm  — SIGTERM, the graceful stop (priority-0 advert, RFC 5798 §6.4.3);
//   linkdown — a's bridge port down (a's eth0 loses carrier: a pulled cable).
// Timing: the observer puts a UDP marker on the wire right before each fault; the marker and
// the GARP are timestamped by the same tcpdump (ns), so no clock pairing is involved. With
// --phase aligned (default) the fault follows one of the master's adverts (seen by the
// observer) by ~1 ms, so every trial is the worst phase of the advert timer: a silent master
// is then detected after the full Master_Down_Interval (RFC 5798 §6.1), and the medians of
// both daemons compare like with like. --phase random injects at a random moment instead.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTopology, type Topology } from '../src/lab/netns.js';
import { readPcap } from '../test/helpers/pcap.js';
import { macOf, startCapture } from '../test/netns/peers/capture.js';
import { createKeepalived } from '../test/netns/peers/keepalived.js';
import type { Router, RouterSpec } from '../test/netns/peers/router.js';
import {
  expectSoleMaster,
  expectTakeover,
  masterDownIntervalMs,
  skewTimeMs,
} from '../test/netns/peers/scenario.js';
import { createVrrpd } from '../test/netns/peers/vrrpd.js';
import { captureEvents, type Summary, summarize, trialTimes } from './lib/events.js';
import {
  type AdvertWatcher,
  type BridgeBatch,
  type MarkerSender,
  startAdvertWatcher,
  startBridgeBatch,
  startMarker,
} from './lib/observer.js';

type Daemon = 'vrrpd' | 'keepalived';
type Fault = 'sigkill' | 'sigterm' | 'linkdown';
type CaseName = 'v2' | 'v3';

interface Observers {
  marker: MarkerSender;
  watcher: AdvertWatcher;
  bridge: BridgeBatch;
  lastMarkId: number;
}

const CASES: Record<CaseName, { label: string; version: 2 | 3; advertMs: number }> = {
  v2: { label: 'v2, advert 1 s', version: 2, advertMs: 1000 },
  v3: { label: 'v3, advert 100 ms', version: 3, advertMs: 100 },
};
const VIP = '192.0.2.50';

interface Row {
  daemon: Daemon;
  caze: CaseName;
  fault: Fault;
  /** fault (marker) → first GARP from the backup, ms */
  failover: number[];
  /** last advert of the old master → first GARP, ms (detection + reaction) */
  sinceAdvert: number[];
  markerRttMs: number[];
  missing: number;
}

function list<T extends string>(v: string | undefined, all: readonly T[], what: string): T[] {
  if (!v) return [...all];
  const xs = v.split(',').map((s) => s.trim()) as T[];
  for (const x of xs)
    if (!all.includes(x)) throw new Error(`unknown ${what} '${x}' (have: ${all.join(', ')})`);
  return xs;
}

async function runDaemonCase(
  topo: Topology,
  dir: string,
  daemon: Daemon,
  caze: CaseName,
  faults: Fault[],
  trials: number,
  phase: 'aligned' | 'random',
  obs: Observers,
): Promise<Row[]> {
  const c = CASES[caze];
  const base: Omit<RouterSpec, 'priority'> = {
    vrid: 51,
    version: c.version,
    advertMs: c.advertMs,
    vip: VIP,
    prefixLen: 24,
  };
  const caseDir = mkdtempSync(join(dir, `${daemon}-${caze}-`));
  const make = daemon === 'vrrpd' ? createVrrpd : createKeepalived;
  const master: Router = make(topo, 'a', caseDir, { ...base, priority: 150 });
  const backup: Router = make(topo, 'b', caseDir, { ...base, priority: 100 });
  const pcap = join(caseDir, 'observer.pcap');
  const cap = await startCapture(topo, 'c', pcap, 'arp or ip proto 112 or udp port 9');
  const { marker, watcher, bridge } = obs;
  const mdiBackup = masterDownIntervalMs(backup.spec);
  const mdiMaster = masterDownIntervalMs(master.spec);
  const rows: Row[] = [];
  const ids = new Map<number, Row>();
  let lastBackupTakeover = 0;
  try {
    await backup.start();
    await master.start();
    await expectSoleMaster(master, backup, mdiMaster + mdiBackup + 5000, `${daemon} ${caze} start`);
    for (const fault of faults) {
      const row: Row = { daemon, caze, fault, failover: [], sinceAdvert: [], markerRttMs: [], missing: 0 };
      rows.push(row);
      for (let t = 0; t < trials; t++) {
        // The backup's delayed second GARP batch (garp delay 5 s after it became master)
        // must not land in the next trial's window.
        const settle = lastBackupTakeover + 5500 - Date.now();
        if (settle > 0) await sleep(settle);
        if (phase === 'aligned') await watcher.next(5 * c.advertMs + 2000);
        else await sleep(Math.random() * c.advertMs);
        const id = ++obs.lastMarkId;
        ids.set(id, row);
        row.markerRttMs.push(await marker.send(id));
        // The fault itself: the first thing each call does is the syscall / pipe write.
        if (fault === 'linkdown') bridge.run(`link set ${topo.host('a').port} down`);
        else await master.stop(fault === 'sigkill' ? 'SIGKILL' : 'SIGTERM');
        const bound = (fault === 'sigterm' ? skewTimeMs(backup.spec) : mdiBackup) + 3000;
        await expectTakeover(backup, bound, `${daemon} ${caze} ${fault} trial ${t + 1}`);
        lastBackupTakeover = Date.now();
        // Back to the starting point: the master returns and preempts.
        if (fault === 'linkdown') await topo.portUp('a');
        else await master.start();
        await expectSoleMaster(
          master,
          backup,
          mdiMaster + 5000,
          `${daemon} ${caze} ${fault} trial ${t + 1} recovery`,
        );
      }
    }
  } finally {
    await cap.stop();
    await master.cleanup();
    await backup.cleanup();
  }
  const file = readPcap(pcap);
  const evs = captureEvents(file, {
    vip: VIP,
    backupMac: await macOf(topo, 'b'),
    masterMac: await macOf(topo, 'a'),
  });
  for (const tt of trialTimes(evs)) {
    const row = ids.get(tt.id);
    if (!row) continue;
    if (tt.garpMs === null) {
      row.missing++;
      continue;
    }
    row.failover.push(tt.garpMs - tt.markMs);
    if (tt.lastAdvertMs !== null) row.sinceAdvert.push(tt.garpMs - tt.lastAdvertMs);
  }
  rmSync(caseDir, { recursive: true, force: true });
  return rows;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const fmt = (s: Summary | null): string =>
  s ? `${s.min.toFixed(1)} / ${s.median.toFixed(1)} / ${s.max.toFixed(1)}` : 'n/a';

const FAULT_LABEL: Record<Fault, string> = {
  sigkill: 'SIGKILL of master',
  sigterm: 'SIGTERM (prio 0)',
  linkdown: 'link down',
};

function report(rows: Row[], trials: number, phase: string): { text: string; ok: boolean } {
  const out: string[] = [];
  const find = (d: Daemon, c: CaseName, f: Fault) =>
    rows.find((r) => r.daemon === d && r.caze === c && r.fault === f);
  const cases = [...new Set(rows.map((r) => r.caze))];
  const faults = [...new Set(rows.map((r) => r.fault))];
  out.push(
    `Failover, ms from the fault to the first GARP from the backup (min / median / max, n=${trials}, phase ${phase}).`,
    'Backup priority 100: Master_Down_Interval v2@1s = 3609 ms, v3@100ms = 360.9 ms; Skew_Time 609 / 60.9 ms.',
    '',
    '| case | fault | vrrpd | keepalived | vrrpd − keepalived (median) | expected |',
    '|---|---|---|---|---|---|',
  );
  let ok = true;
  const verdicts: string[] = [];
  for (const c of cases) {
    const spec: RouterSpec = {
      vrid: 51,
      version: CASES[c].version,
      advertMs: CASES[c].advertMs,
      priority: 100,
      vip: VIP,
      prefixLen: 24,
    };
    for (const f of faults) {
      const v = find('vrrpd', c, f);
      const k = find('keepalived', c, f);
      const sv = v ? summarize(v.failover) : null;
      const sk = k ? summarize(k.failover) : null;
      const diff = sv && sk ? (sv.median - sk.median).toFixed(1) : 'n/a';
      const expected =
        f === 'sigterm'
          ? `Skew ${skewTimeMs(spec).toFixed(1)}`
          : `≤ MDI ${masterDownIntervalMs(spec).toFixed(1)}`;
      const miss = (r?: Row) => (r && r.missing > 0 ? ` (${r.missing} without GARP)` : '');
      out.push(
        `| ${CASES[c].label} | ${FAULT_LABEL[f]} | ${fmt(sv)}${miss(v)} | ${fmt(sk)}${miss(k)} | ${diff} | ${expected} |`,
      );
      if (sv && sk && sv.median > sk.median) {
        ok = false;
        verdicts.push(
          `vrrpd slower than keepalived: ${c} ${f} (median ${sv.median.toFixed(1)} vs ${sk.median.toFixed(1)})`,
        );
      }
      if (c === 'v3' && f === 'sigkill' && sv) {
        const limit = masterDownIntervalMs(spec) + 2;
        if (sv.median > limit) {
          ok = false;
          verdicts.push(`v3 SIGKILL median ${sv.median.toFixed(1)} ms > MDI + 2 ms = ${limit.toFixed(1)} ms`);
        }
      }
    }
  }
  out.push('', 'Last advert of the old master → first GARP (detection + reaction), median ms:', '');
  out.push('| case | fault | vrrpd | keepalived |', '|---|---|---|---|');
  for (const c of cases)
    for (const f of faults) {
      const m = (d: Daemon) => summarize(find(d, c, f)?.sinceAdvert ?? [])?.median.toFixed(1) ?? 'n/a';
      out.push(`| ${CASES[c].label} | ${FAULT_LABEL[f]} | ${m('vrrpd')} | ${m('keepalived')} |`);
    }
  const rtt = summarize(rows.flatMap((r) => r.markerRttMs));
  out.push(
    '',
    `Marker → fault lag (marker send round trip, an upper bound): median ${rtt?.median.toFixed(2) ?? 'n/a'} ms, max ${rtt?.max.toFixed(2) ?? 'n/a'} ms.`,
    '',
    ok
      ? 'Done-when: met (vrrpd median ≤ keepalived in every case; v3 SIGKILL median ≤ MDI + 2 ms).'
      : `Done-when: NOT met:\n- ${verdicts.join('\n- ')}`,
  );
  return { text: out.join('\n'), ok };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      trials: { type: 'string', default: '5' },
      daemons: { type: 'string' },
      cases: { type: 'string' },
      faults: { type: 'string' },
      phase: { type: 'string', default: 'aligned' },
      json: { type: 'string' },
    },
  });
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench/failover needs root (network namespaces)\n');
    return 2;
  }
  const trials = Number(values.trials);
  const daemons = list<Daemon>(values.daemons, ['vrrpd', 'keepalived'], 'daemon');
  const cases = list<CaseName>(values.cases, ['v2', 'v3'], 'case');
  const faults = list<Fault>(values.faults, ['sigkill', 'sigterm', 'linkdown'], 'fault');
  const phase = values.phase === 'random' ? 'random' : 'aligned';
  const topo = await createTopology({ hosts: ['a', 'b', 'c'], prefix: `vb${process.pid % 100000}-` });
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-bench-failover-'));
  const onSignal = () => {
    void topo.cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const rows: Row[] = [];
  let bridge: BridgeBatch | null = null;
  try {
    bridge = startBridgeBatch(topo);
    const obs: Observers = {
      marker: await startMarker(topo, 'c', '192.0.2.255'),
      watcher: await startAdvertWatcher(topo, 'c', topo.host('a').ipv4),
      bridge,
      lastMarkId: 0,
    };
    for (const c of cases)
      for (const d of daemons) {
        const t0 = Date.now();
        process.stderr.write(`${d} ${c}: ${faults.join(', ')} × ${trials} ...`);
        rows.push(...(await runDaemonCase(topo, dir, d, c, faults, trials, phase, obs)));
        process.stderr.write(` ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
      }
  } finally {
    await bridge?.close();
    await topo.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  const r = report(rows, trials, phase);
  process.stdout.write(`${r.text}\n`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ trials, phase, rows }, null, 2)}\n`);
  return r.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `bench/failover: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(2);
  },
);
