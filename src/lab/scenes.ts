// The scenes of `vrrpd lab`, each a short story told with measurements: election,
// failover after a crash (SIGKILL), preemption when the better director returns,
// graceful handover (SIGTERM: priority 0, RFC 5798 §6.4.3 / §6.4.2 Skew_Time), and
// real-server health checks (with traffic through the VIP when the kernel has IPVS).
import { renderStatus } from '../control/render.js';
import type { Snapshot } from '../control/snapshot.js';
import { answered } from './client.js';
import {
  LAB_ANNOUNCE_TABLE,
  LAB_ANNOUNCED_VIP,
  LAB_HTTP_PORT,
  LAB_INSTANCE,
  LAB_VIP4,
  LAB_VIP6,
} from './config.js';
import { seconds } from './narrator.js';
import { type DirectorName, LabError, type LabWorld, type RealServerName, waitUntil } from './world.js';

export const SCENES = ['election', 'failover', 'preempt', 'handover', 'health', 'announce'] as const;
export type Scene = (typeof SCENES)[number];

const other = (d: DirectorName): DirectorName => (d === 'd1' ? 'd2' : 'd1');

function table(s: Snapshot): string {
  return renderStatus(s, { color: false, now: new Date() });
}

/** "d1 is master, d2 is not answering": what the directors say now, for a timeout's message. */
async function directorStates(w: LabWorld): Promise<string> {
  const say = async (d: DirectorName) =>
    `${d} is ${w.isRunning(d) ? ((await w.stateOf(d)) ?? 'not answering') : 'stopped'}`;
  return `${await say('d1')}, ${await say('d2')}`;
}

/** "r1 up, r2 down" as the director's status has them, for a timeout's message. */
async function realServerStates(w: LabWorld, d: DirectorName): Promise<string> {
  const one = async (rs: RealServerName) => {
    const r = await realServerStatus(w, d, rs);
    return r ? `${rs} ${r.health}${r.inIpvs ? ', in IPVS' : ''}` : `${rs} missing from ${d}'s status`;
  };
  return `${await one('r1')}; ${await one('r2')} (on ${d})`;
}

async function masterOf(w: LabWorld): Promise<DirectorName | null> {
  for (const d of ['d1', 'd2'] as const) if ((await w.stateOf(d)) === 'master') return d;
  return null;
}

/** ms from `fromWallMs` to when `name` entered master, from its own status ('since'). */
async function becameMasterAfter(
  w: LabWorld,
  name: DirectorName,
  fromWallMs: number,
): Promise<number | null> {
  const inst = (await w.status(name))?.instances.find((i) => i.name === LAB_INSTANCE);
  if (inst?.state !== 'master') return null;
  return Date.parse(inst.since) - fromWallMs;
}

/**
 * After an event at wall time t0 (performance time p0), measures when `to` is master, holds the
 * VIP, and when the client's ARP (and NDP) entry for the VIP points at its MAC.
 */
async function measureMove(w: LabWorld, to: DirectorName, t0Wall: number, p0: number): Promise<void> {
  const mac = w.directors[to].mac;
  const seen: { vip?: number; arp?: number; nd?: number } = {};
  await waitUntil(
    `${to} taking the VIP over`,
    async () => {
      const now = () => performance.now() - p0;
      const [vip, arp, nd] = await Promise.all([
        seen.vip === undefined ? w.hasAddress(to, LAB_VIP4) : true,
        seen.arp === undefined ? w.neighMac('c', LAB_VIP4) : mac,
        seen.nd === undefined ? w.neighMac('c', LAB_VIP6) : mac,
      ]);
      if (vip && seen.vip === undefined) seen.vip = now();
      if (arp === mac && seen.arp === undefined) seen.arp = now();
      if (nd === mac && seen.nd === undefined) seen.nd = now();
      return seen.vip !== undefined && seen.arp !== undefined && seen.nd !== undefined;
    },
    10_000,
    10,
    async () => {
      const at = (ms: number | undefined) => (ms === undefined ? 'no' : `yes, after ${seconds(ms)}`);
      const entry = async (addr: string, ms: number | undefined) =>
        ms === undefined ? `still ${whose(w, await w.neighMac('c', addr))}` : `moved after ${seconds(ms)}`;
      return [
        `${to} is ${(await w.stateOf(to)) ?? 'not answering'}`,
        `${LAB_VIP4} on ${to}'s eth0: ${at(seen.vip)}`,
        `client's ARP entry for ${LAB_VIP4}: ${await entry(LAB_VIP4, seen.arp)}`,
        `client's neighbour entry for ${LAB_VIP6}: ${await entry(LAB_VIP6, seen.nd)}`,
      ].join('; ');
    },
  );
  const became = await becameMasterAfter(w, to, t0Wall);
  const n = w.n;
  if (became !== null) n.say(`  ${to} became MASTER ${seconds(became)} after that (its status: 'since')`);
  n.say(`  ${LAB_VIP4} was on ${to}'s eth0 after ${seconds(seen.vip!)} (seen by polling \`ip addr\`)`);
  n.say(
    `  the client's ARP entry for ${LAB_VIP4} moved to ${to} (${mac}) after ${seconds(seen.arp!)}: gratuitous ARP`,
  );
  n.say(`  the client's neighbour entry for ${LAB_VIP6} moved after ${seconds(seen.nd!)}: unsolicited NA`);
}

/** "d1's MAC aa:..." / "aa:... (no director's)" / "none (unresolved)" */
function whose(w: LabWorld, mac: string | null): string {
  if (mac === null) return 'none (unresolved)';
  const d = (['d1', 'd2'] as const).find((x) => w.directors[x].mac === mac);
  return d ? `${d}'s MAC ${mac}` : `${mac} (no director's)`;
}

/**
 * The client sends to both VIPs (TCP connects to a port nobody listens on: the holder answers
 * with a reset), so its kernel resolves them by ARP and neighbour discovery; the later scenes
 * watch those entries move. Throws, saying what the client saw, when it cannot get there.
 */
async function clientLearnsVips(w: LabWorld, m: DirectorName): Promise<void> {
  const mac = w.directors[m].mac;
  const results = await w.clientConnect([
    { address: LAB_VIP4, port: 9 },
    { address: LAB_VIP6, port: 9 },
  ]);
  const failed: string[] = [];
  for (const r of results) {
    const entry = await w.neighMac('c', r.address);
    if (entry !== mac)
      failed.push(
        `${r.address}: connect ${answered(r) ? 'answered' : 'failed'} (${r.result}), neighbour entry ${whose(w, entry)}`,
      );
  }
  if (failed.length > 0)
    throw new LabError(
      'LAB_UNREACHABLE',
      `the client cannot reach the VIPs on ${m} (${mac}), so no scene could watch its ARP/ND entries move: ${failed.join('; ')}`,
    );
}

async function election(w: LabWorld): Promise<void> {
  const n = w.n;
  n.say(
    'Scene 1 — election. Starting vrrpd on d1 (priority 150) and d2 (priority 100): VRRPv3, adverts every 100 ms.',
  );
  const p0 = performance.now();
  await Promise.all([w.startDirector('d1'), w.startDirector('d2')]);
  // The election is over when the higher priority (d1, preempting) is master and d2 backup.
  // When d2's daemon came up first it may be master for a moment (its Master_Down_Interval
  // ran out before d1's adverts began); d1 then preempts (RFC 5798 §6.4.2). Say so if seen.
  let d2First = false;
  const took = await waitUntil(
    'the election (d1 master, d2 backup)',
    async () => {
      const [s1, s2] = [await w.stateOf('d1'), await w.stateOf('d2')];
      if (s2 === 'master' && s1 !== 'master') d2First = true;
      return s1 === 'master' && s2 === 'backup';
    },
    10_000,
    20,
    () => directorStates(w),
  );
  const m = (await masterOf(w))!;
  if (d2First) n.say('d2 was MASTER for a moment (its daemon came up first); d1 preempted it.');
  n.say(
    `${m} is MASTER and ${other(m)} is ${(await w.stateOf(other(m)))?.toUpperCase()}, ${seconds(took)} after the daemons answered (${seconds(performance.now() - p0)} since start).`,
  );
  // the client learns the VIP's MAC, so the next scenes can watch the entry move
  await clientLearnsVips(w, m);
  n.say(
    `The client reaches ${LAB_VIP4} and ${LAB_VIP6} at ${(await w.neighMac('c', LAB_VIP4)) ?? '?'} (${m}'s MAC is ${w.directors[m].mac}).`,
  );
  n.say(`\`vrrpd status\` on ${m}:`);
  const s = await w.status(m);
  if (s) n.block(table(s));
}

async function failover(w: LabWorld): Promise<void> {
  const n = w.n;
  const m = await masterOf(w);
  if (!m) throw new LabError('LAB_NO_MASTER', 'no master before the failover scene');
  n.say(`Scene 2 — failover. Killing vrrpd on ${m} with SIGKILL: no goodbye advert, as in a crash.`);
  const t0 = Date.now();
  const p0 = performance.now();
  const exited = w.signalDirector(m, 'SIGKILL');
  await measureMove(w, other(m), t0, p0);
  await exited;
  n.say(
    '  (expected: Master_Down_Interval = 3 × 100 ms + Skew_Time(100) = 360.9 ms after the last advert heard, so 261-361 ms after the kill; RFC 5798 §6.1)',
  );
  n.say(
    `  ${m} still has the VIPs on its eth0 (only the daemon died); the next vrrpd there removes them at start.`,
  );
}

async function preempt(w: LabWorld): Promise<void> {
  const n = w.n;
  const stopped = (['d1', 'd2'] as const).find((d) => !w.isRunning(d));
  if (stopped !== 'd1') {
    n.say('Scene 3 — preemption: skipped (d1 is still running; it needs the failover scene first).');
    return;
  }
  n.say(
    'Scene 3 — preemption. Restarting vrrpd on d1: it starts as BACKUP, hears d2 at priority 100 < 150 and takes over.',
  );
  const t0 = Date.now();
  const p0 = performance.now();
  await w.startDirector('d1');
  n.say(`  vrrpd on d1 answers on its control socket after ${seconds(performance.now() - p0)}.`);
  await measureMove(w, 'd1', t0, p0);
  await waitUntil(
    'd2 going back to backup',
    async () => (await w.stateOf('d2')) === 'backup',
    5_000,
    10,
    () => directorStates(w),
  );
  n.say(
    `  d2 is BACKUP again (reason: ${(await w.status('d2'))?.instances[0]?.lastTransitionReason ?? '?'}).`,
  );
}

async function handover(w: LabWorld): Promise<void> {
  const n = w.n;
  const m = await masterOf(w);
  if (!m || !w.isRunning(other(m))) {
    n.say('Scene 4 — graceful handover: skipped (needs a master and a running backup).');
    return;
  }
  n.say(
    `Scene 4 — graceful handover. Stopping vrrpd on ${m} with SIGTERM: it sends a priority-0 advert and removes its VIPs.`,
  );
  const t0 = Date.now();
  const p0 = performance.now();
  const exited = w.signalDirector(m, 'SIGTERM');
  await measureMove(w, other(m), t0, p0);
  await exited;
  n.say('  (expected: Skew_Time(100) = 60.9 ms after the priority-0 advert, RFC 5798 §6.4.2)');
  n.say(`Restarting vrrpd on ${m}.`);
  const p1 = performance.now();
  await w.startDirector(m);
  // steady state again: the higher priority (d1, preempt on) master, the other backup
  await waitUntil(
    'd1 master and d2 backup again',
    async () => (await w.stateOf('d1')) === 'master' && (await w.stateOf('d2')) === 'backup',
    10_000,
    20,
    () => directorStates(w),
  );
  n.say(`  d1 is MASTER and d2 BACKUP again, ${seconds(performance.now() - p1)} after the restart.`);
}

async function realServerStatus(w: LabWorld, d: DirectorName, rs: RealServerName) {
  const s = await w.status(d);
  const addr = w.host(rs).ipv4;
  for (const vs of s?.virtualServers ?? []) for (const r of vs.realServers) if (r.address === addr) return r;
  return null;
}

async function realServerHealth(w: LabWorld, d: DirectorName, rs: RealServerName): Promise<string> {
  return (await realServerStatus(w, d, rs))?.health ?? 'missing';
}

/** With IPVS: waits until the kernel table has (or no longer has) the real server. */
async function untilInIpvs(w: LabWorld, d: DirectorName, rs: RealServerName, want: boolean): Promise<void> {
  const ms = await waitUntil(
    `${rs} ${want ? 'added to' : 'removed from'} IPVS`,
    async () => (await realServerStatus(w, d, rs))?.inIpvs === want,
    10_000,
    20,
    () => realServerStates(w, d),
  );
  w.n.say(`  ${rs} is ${want ? 'in' : 'out of'} ${d}'s IPVS table (${seconds(ms)} later).`);
}

/** The client's view of the service: four GETs through the VIP, each a new connection. */
/**
 * The client's requests through the VIP while the director should hold exactly `want` (the
 * real servers that are up). On a starved machine a check can time out right when the client
 * asks (the lab's checks are tight: 250 ms), so the director briefly drops a real server and a
 * request finds no answer or misses one. Then the lab says which check moved and asks again
 * once the director holds `want` again, at most three times; a wrong answer with no check
 * moving is shown as it is.
 */
async function clientRequests(w: LabWorld, d: DirectorName, want: readonly RealServerName[]): Promise<void> {
  const all = ['r1', 'r2'] as const;
  const snapshot = async () =>
    Promise.all(all.map(async (rs) => ({ rs, s: await realServerStatus(w, d, rs) })));
  for (let attempt = 1; ; attempt++) {
    const before = await snapshot();
    const answers = await w.clientHttpGets(`http://${LAB_VIP4}:${LAB_HTTP_PORT}/`, 4);
    w.n.say(`  client → http://${LAB_VIP4}/ answered by: ${answers.join(', ')}`);
    const fine =
      answers.every((a) => (want as readonly string[]).includes(a)) &&
      (want.length < 2 || want.every((rs) => answers.includes(rs)));
    if (fine || attempt >= 3) return;
    const after = await snapshot();
    const moved = after.filter(
      ({ rs, s }) =>
        s?.healthSince !== before.find((b) => b.rs === rs)?.s?.healthSince ||
        (s?.health === 'up') !== want.includes(rs),
    );
    if (moved.length === 0) return;
    const what = moved
      .map(
        ({ rs, s }) => `${rs} is ${s?.health ?? 'missing'}${s?.lastCheck ? ` (${s.lastCheck.reason})` : ''}`,
      )
      .join(', ');
    w.n.say(
      `  (a check moved while the client asked: ${what}; a slow machine. Asking again once it settles.)`,
    );
    for (const rs of all) {
      const up = want.includes(rs);
      await waitUntil(
        `${rs} ${up ? 'up' : 'down'} again`,
        async () => (await realServerHealth(w, d, rs)) === (up ? 'up' : 'down'),
        10_000,
        20,
        () => realServerStates(w, d),
      );
      await untilInIpvs(w, d, rs, up);
    }
  }
}

async function health(w: LabWorld): Promise<void> {
  const n = w.n;
  const m = (await masterOf(w)) ?? (['d1', 'd2'] as const).find((d) => w.isRunning(d));
  if (!m) throw new LabError('LAB_NO_DIRECTOR', 'no director is running for the health scene');
  n.say(`Scene 5 — health checks. Both directors check r1 and r2 with HTTP GET /healthz every 300 ms.`);
  const first = await w.status(m);
  const ipvs = first?.ipvs?.available === true;
  if (ipvs) {
    n.say(`IPVS is available: ${LAB_VIP4}:80 is a direct-routing service with r1 and r2 behind it.`);
  } else {
    const err = first?.ipvs?.lastError;
    n.say(
      `${err ? `IPVS is not available (${err})` : 'This kernel has no IPVS'}: the directors check the real servers but forward no traffic; showing the checks only.`,
    );
  }
  await waitUntil(
    'both real servers up',
    async () => {
      const h = await Promise.all([realServerHealth(w, m, 'r1'), realServerHealth(w, m, 'r2')]);
      return h.every((x) => x === 'up');
    },
    10_000,
    50,
    () => realServerStates(w, m),
  );
  n.say(`r1 and r2 are up on ${m} (the master).`);
  if (ipvs) for (const rs of ['r1', 'r2'] as const) await untilInIpvs(w, m, rs, true);
  if (ipvs) await clientRequests(w, m, ['r1', 'r2']);
  n.say('Stopping the HTTP server on r2.');
  await w.stopHttp('r2');
  const down = await waitUntil(
    'r2 marked down',
    async () => (await realServerHealth(w, m, 'r2')) === 'down',
    10_000,
    20,
    () => realServerStates(w, m),
  );
  n.say(`  ${m} marked r2 DOWN after ${seconds(down)}.`);
  if (ipvs) await untilInIpvs(w, m, 'r2', false);
  const s = await w.status(m);
  if (s) n.block(table(s));
  if (ipvs) await clientRequests(w, m, ['r1']);
  n.say('Starting the HTTP server on r2 again.');
  await w.startHttp('r2');
  const up = await waitUntil(
    'r2 marked up',
    async () => (await realServerHealth(w, m, 'r2')) === 'up',
    10_000,
    20,
    () => realServerStates(w, m),
  );
  n.say(`  ${m} marked r2 UP after ${seconds(up)}.`);
  if (ipvs) await untilInIpvs(w, m, 'r2', true);
  if (ipvs) await clientRequests(w, m, ['r1', 'r2']);
}

/**
 * Active-active: both directors announce 203.0.113.10 while a real server is up, as a host
 * route in table 100 that FRR would import and announce over BGP (README "Beyond a pair").
 * The lab runs no router: it shows the table, which is all vrrpd does.
 */
async function announce(w: LabWorld): Promise<void> {
  const n = w.n;
  const T = LAB_ANNOUNCE_TABLE;
  const running = (['d1', 'd2'] as const).filter((d) => w.isRunning(d));
  if (running.length === 0)
    throw new LabError('LAB_NO_DIRECTOR', 'no director is running for the announce scene');
  n.say(
    `Scene 6 — announced VIPs (active-active over BGP). ${running.join(' and ')} announce ${LAB_ANNOUNCED_VIP} while r1 or r2 is up: each keeps a host route in routing table ${T}, which FRR would import (ip import-table ${T}) and announce to the routers.`,
  );
  const has = async (d: DirectorName) => (await w.routesInTable(d, T)).includes(LAB_ANNOUNCED_VIP);
  const routes = async () =>
    (
      await Promise.all(
        running.map(async (d) => `${d}: ${(await w.routesInTable(d, T)).join(' ') || 'none'}`),
      )
    ).join(', ');
  const all = async (want: boolean) => (await Promise.all(running.map(has))).every((x) => x === want);
  const up = await waitUntil('the VIP announced', () => all(true), 10_000, 20, routes);
  n.say(
    `  announced by ${running.join(' and ')} (${seconds(up)}): ip route show table ${T} → ${LAB_ANNOUNCED_VIP} dev lo proto 99`,
  );
  n.say(
    'Stopping the HTTP servers on r1 and r2: no real server is left, so no director should attract the traffic.',
  );
  await Promise.all([w.stopHttp('r1'), w.stopHttp('r2')]);
  const gone = await waitUntil('the VIP withdrawn', () => all(false), 10_000, 20, routes);
  n.say(`  withdrawn on ${running.join(' and ')} after ${seconds(gone)}.`);
  await Promise.all([w.startHttp('r1'), w.startHttp('r2')]);
  const back = await waitUntil('the VIP announced again', () => all(true), 10_000, 20, routes);
  n.say(`  r1 and r2 are back: announced again after ${seconds(back)}.`);
  const d = running[running.length - 1]!;
  n.say(
    `Killing vrrpd on ${d} with SIGKILL: the kernel keeps routes, so vrrpd's guardian removes them when vrrpd is gone.`,
  );
  const killed = w.signalDirector(d, 'SIGKILL');
  await killed;
  const away = await waitUntil(`${d}'s route gone`, async () => !(await has(d)), 5_000, 10, routes);
  n.say(`  ${d}'s route was gone ${seconds(away)} after vrrpd died; FRR would withdraw it from the routers.`);
  await w.startDirector(d);
}

export const sceneRunners: Record<Scene, (w: LabWorld) => Promise<void>> = {
  election,
  failover,
  preempt,
  handover,
  health,
  announce,
};
