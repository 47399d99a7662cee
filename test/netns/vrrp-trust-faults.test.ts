// Faults a pair must come through without a VIP on two nodes (issue #16, part 3), with
// real daemons in namespaces and the VIP's whereabouts read from `ip monitor` events:
// - a partition of the pair (nftables drops protocol 112 on r1, both ways) makes both
//   master; the heal leaves exactly one master, the VIP on one node only, within
//   Master_Down_Interval + 1 s;
// - the master restarted under traffic (ping from a client at the VIP), by SIGTERM and by
//   SIGKILL: never two masters on the wire, the VIP never on two nodes for longer than an
//   advert interval while a daemon runs on both;
// - the master's link flapped 100 times at random intervals (admin down and carrier loss,
//   alternately): the VIP never on two nodes for longer than an advert interval, and the
//   pair settles (r1 master, r2 backup, VIP on r1 only) once the flapping stops.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { watchVip } from './lib/vip-watch.js';
import { createLab, instance, type Lab, sleep, until, type Vrrpd } from './lib/vrrpd.js';
import { adverts, type WireAdvert } from './lib/wire.js';

const why = missing({ root: true, commands: ['ip', 'nft', 'tcpdump', 'ping'] });
const VIP = '192.0.2.50';
const ADVERT_MS = 100;
/** RFC 5798 §6.1 for priority 100 at 100 ms: 3 × 100 + (256 − 100) × 100 / 256 */
const MASTER_DOWN_MS = 3 * ADVERT_MS + ((256 - 100) * ADVERT_MS) / 256;

/** A deterministic generator, so a failing flap sequence can be replayed from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Two masters on the wire. At a hand-over (an advert from a new source), the old source
 * may have one advert already on its way: its adverts within one advert interval of the
 * hand-over are strays, counted; any later one would start a new run of the old source.
 * Returns the sources' runs in order (strays left out) and the latest stray's delay.
 */
function masterRuns(list: WireAdvert[], intervalMs: number): { runs: string[]; strayMs: number } {
  const runs: string[] = [];
  let handoverAt = Number.NEGATIVE_INFINITY;
  let previous = '';
  let strayMs = 0;
  for (const a of list) {
    if (a.advert.priority === 0) continue; // a resigning master's last word
    const cur = runs[runs.length - 1];
    if (cur === a.src) continue;
    if (a.src === previous && (a.t - handoverAt) * 1000 <= intervalMs) {
      strayMs = Math.max(strayMs, (a.t - handoverAt) * 1000);
      continue;
    }
    previous = cur ?? '';
    handoverAt = a.t;
    runs.push(a.src);
  }
  return { runs, strayMs };
}

describe.skipIf(why)('faults: partition, restart under traffic, link flapping', () => {
  let lab: Lab;
  let r1: Vrrpd;
  let r2: Vrrpd;
  const cfg = (priority: number) => ({
    vrrp_instances: [instance({ priority, advert_interval: `${ADVERT_MS}ms` })],
  });
  const hasVip = async (host: string) => (await lab.addresses(host)).includes(VIP);
  const figures: string[] = [];

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2', 'c']);
    [r1, r2] = await Promise.all([lab.start('r1', cfg(150)), lab.start('r2', cfg(100))]);
    await r1.waitState('VI', 'master', 5000);
    await r2.waitState('VI', 'backup', 3000);
  });
  afterAll(async () => {
    if (figures.length) console.log(`fault figures:\n${figures.join('\n')}`);
    await lab?.cleanup();
  });

  it('partition (nft drops protocol 112 on r1): both master; heal: one master within Master_Down_Interval + 1 s', async () => {
    const w = await watchVip(lab, ['r1', 'r2'], VIP);
    try {
      await lab.sh(
        'r1',
        `nft 'add table inet vtpart; add chain inet vtpart in { type filter hook input priority 0; }; ` +
          `add chain inet vtpart out { type filter hook output priority 0; }; ` +
          `add rule inet vtpart in ip protocol vrrp drop; add rule inet vtpart out ip protocol vrrp drop'`,
      );
      await r2.waitState('VI', 'master', 3000);
      expect((await r1.instance()).state).toBe('master');
      await until(async () => (await hasVip('r1')) && (await hasVip('r2')), 3000, 'VIP on both sides');
      await sleep(500);
      const healAt = Date.now();
      await lab.sh('r1', 'nft delete table inet vtpart');
      // one master: r1 (higher priority); r2 hears it and steps down
      await r2.waitState('VI', 'backup', MASTER_DOWN_MS + 1000);
      const settled = Date.now() - healAt;
      expect((await r1.instance()).state).toBe('master');
      await until(async () => w.holders().join() === 'r1', 1000, 'VIP on r1 only (monitor)');
      const vipSingleAfter = w.lastEventAt() - healAt;
      expect(vipSingleAfter).toBeLessThan(MASTER_DOWN_MS + 1000);
      expect(await hasVip('r2')).toBe(false);
      expect(await hasVip('r1')).toBe(true);
      figures.push(
        `partition heal: one master after ${settled} ms, VIP on one node after ${vipSingleAfter.toFixed(0)} ms (bound ${(MASTER_DOWN_MS + 1000).toFixed(0)} ms)`,
      );
    } finally {
      await lab.sh('r1', 'nft delete table inet vtpart 2>/dev/null || true');
      await w.stop();
    }
  });

  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    it(`master restarted under traffic (${sig}): never two masters`, async () => {
      await r1.waitState('VI', 'master', 5000);
      await r2.waitState('VI', 'backup', 3000);
      const cap = await lab.capture('c', 'ip proto 112');
      const w = await watchVip(lab, ['r1', 'r2'], VIP);
      // 500 echo requests a second at the VIP for the whole restart
      const ping = lab.topo.spawn('c', ['ping', '-n', '-q', '-i', '0.002', '-W', '1', VIP]);
      let pingOut = '';
      ping.stdout?.on('data', (d: Buffer) => {
        pingOut += d.toString();
      });
      try {
        await sleep(500);
        const old = r1;
        const stoppedAt = Date.now();
        await old.stop(sig);
        await r2.waitState('VI', 'master', 3000);
        const restartAt = Date.now();
        r1 = await lab.start('r1', cfg(150));
        await r1.waitState('VI', 'master', 5000);
        await r2.waitState('VI', 'backup', 3000);
        await sleep(500);
        const pingDone = new Promise((r) => ping.once('exit', r));
        ping.kill('SIGINT'); // ping prints its summary on SIGINT
        await pingDone;
        const file = await cap.stop();
        const list = adverts(file).filter((a) => a.advert.vrid === 51);
        const { runs, strayMs: worstMs } = masterRuns(list, ADVERT_MS);
        const src = (h: string) => lab.topo.host(h).ipv4;
        // r1, then r2 while r1 is away, then r1 again: no interleaving
        expect(runs).toEqual([src('r1'), src('r2'), src('r1')]);
        const overlaps = w.overlaps();
        const loss = /(\d+(?:\.\d+)?)% packet loss/.exec(pingOut)?.[1] ?? '?';
        if (sig === 'SIGTERM') {
          // the priority-0 advert and the VIP's removal come before the exit
          expect(overlaps.filter((o) => o.ms > ADVERT_MS)).toEqual([]);
        } else {
          // a SIGKILLed daemon cannot remove its VIP: the kernel keeps it until the new
          // daemon removes it at start, before it says anything on the wire
          const left = w.events.find((e) => e.host === 'r1' && !e.present && e.t >= restartAt);
          expect(left, 'the leftover VIP removed by the restarted daemon').toBeTruthy();
          const firstNew = list.find((a) => a.src === src('r1') && a.t * 1000 >= restartAt);
          expect(firstNew).toBeTruthy();
          expect(left!.t).toBeLessThanOrEqual(firstNew!.t * 1000);
          expect(r1.logged((l) => l.event === 'vip-leftover-removed').length).toBe(1);
        }
        const worstOverlap = Math.max(0, ...overlaps.map((o) => o.ms));
        figures.push(
          `restart (${sig}) under 500 pps ping: ${runs.length} master runs on the wire, latest stray advert of the old master ${worstMs.toFixed(1)} ms after the hand-over, ` +
            `longest VIP on two nodes ${worstOverlap.toFixed(1)} ms, ping loss ${loss}%, down ${restartAt - stoppedAt} ms before the restart`,
        );
      } finally {
        await lab.topo.kill(ping, 1000);
        await w.stop();
      }
    });
  }

  it('master link flapped 100 times at random intervals: VIP never on two nodes > one advert interval, nothing stuck', async () => {
    const seed = Number(process.env.FLAP_SEED ?? Date.now() % 100000);
    const rand = rng(seed);
    // log-uniform 10 ms .. 1 s: many flaps shorter than Master_Down_Interval (r1 back
    // before anyone noticed), about a quarter longer (r2 takes over, r1 preempts back)
    const randomMs = () => 10 * 100 ** rand();
    await r1.waitState('VI', 'master', 5000);
    await r2.waitState('VI', 'backup', 3000);
    const w = await watchVip(lab, ['r1', 'r2'], VIP);
    const started = Date.now();
    try {
      for (let i = 0; i < 100; i++) {
        const carrier = i % 2 === 1; // odd flaps: the bridge port (carrier loss), even: admin down
        if (carrier) await lab.topo.portDown('r1');
        else await lab.topo.linkDown('r1');
        await sleep(randomMs());
        if (carrier) await lab.topo.portUp('r1');
        else await lab.topo.linkUp('r1');
        await sleep(randomMs());
      }
      const flapMs = Date.now() - started;
      // settles: r1 master again (preempts), r2 backup, VIP on r1 only
      await r1.waitState('VI', 'master', MASTER_DOWN_MS + 3000);
      await r2.waitState('VI', 'backup', 3000);
      await until(async () => w.holders().join() === 'r1', 2000, 'VIP on r1 only');
      await sleep(300);
      const overlaps = w.overlaps();
      const worst = Math.max(0, ...overlaps.map((o) => o.ms));
      const long = overlaps.filter((o) => o.ms > ADVERT_MS);
      expect(long, `seed ${seed}: VIP on two nodes longer than ${ADVERT_MS} ms`).toEqual([]);
      expect(await hasVip('r2')).toBe(false);
      // and r1 still advertises: a capture of one second sees its adverts
      const cap = await lab.capture('c', 'ip proto 112');
      await sleep(1000);
      const seen = adverts(await cap.stop()).filter((a) => a.src === lab.topo.host('r1').ipv4);
      expect(seen.length).toBeGreaterThanOrEqual(5);
      const s1 = await r1.instance();
      const changes = r1.logged((l) => l.event === 'state-change' && Date.parse(String(l.time)) >= started);
      figures.push(
        `link flap x100 (seed ${seed}, ${flapMs} ms): r1 ${changes.length} state changes, ${w.events.length} VIP events, ${overlaps.length} overlaps, longest ${worst.toFixed(1)} ms (bound ${ADVERT_MS} ms), r1 ${s1.state}`,
      );
    } finally {
      await lab.topo.linkUp('r1').catch(() => {});
      await lab.topo.portUp('r1').catch(() => {});
      await w.stop();
    }
  }, 150_000);
});
