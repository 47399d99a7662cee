// Three routers on one bridge and a client: election among three, the next-highest takes
// over when the master dies, preempt: false keeps a returning higher-priority router
// backup, and preempt_delay holds a preempting backup for the configured time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { createLab, instance, type Lab, sleep, until, type Vrrpd } from './lib/vrrpd.js';
import { adverts, describeAdverts } from './lib/wire.js';

const why = missing({ root: true, commands: ['ip', 'tcpdump'] });
const VIP = '192.0.2.50';

describe.skipIf(why)(
  'three routers: election, takeover by the next priority, preempt off, preempt_delay',
  () => {
    let lab: Lab;
    let r1: Vrrpd;
    let r2: Vrrpd;
    let r3: Vrrpd;
    const cfg = (priority: number, extra: Record<string, unknown> = {}) => ({
      vrrp_instances: [instance({ priority, ...extra })],
    });

    /** Only `src` advertises on the wire during a short capture (exactly one master). */
    async function soleAdvertiser(src: string): Promise<void> {
      const cap = await lab.capture('c', 'vrrp');
      await sleep(500);
      const ads = adverts(await cap.stop());
      expect(ads.length, 'adverts in 500 ms').toBeGreaterThanOrEqual(3);
      expect(new Set(ads.map((a) => a.src)), describeAdverts(ads)).toEqual(new Set([src]));
    }

    beforeAll(async () => {
      lab = await createLab(['r1', 'r2', 'r3', 'c']);
      [r1, r2, r3] = await Promise.all([
        lab.start('r1', cfg(150)),
        lab.start('r2', cfg(100)),
        lab.start('r3', cfg(50)),
      ]);
    });
    afterAll(async () => {
      await lab?.cleanup();
    });

    it('elects the highest of three; the other two are backups of it', async () => {
      await r1.waitState('VI', 'master', 5000);
      for (const r of [r2, r3]) {
        await r.waitState('VI', 'backup', 3000);
        // on a loaded machine r1 may start last and preempt a brief master: wait for its adverts
        const b = await until(
          async () => {
            const i = await r.instance('VI');
            return i.state === 'backup' && i.masterAddress === lab.topo.host('r1').ipv4 ? i : null;
          },
          3000,
          `${r.host} to be a backup of r1`,
        );
        expect(b.masterAddress).toBe(lab.topo.host('r1').ipv4);
      }
      await soleAdvertiser(lab.topo.host('r1').ipv4);
    });

    it('master killed: the next priority (r2) becomes master, r3 stays backup', async () => {
      r1.signal('SIGKILL');
      await r2.waitState('VI', 'master', 3000);
      // r3's master-down timer runs only ~20 ms behind r2's; it may flap once, then must settle
      const b = await r3.waitState('VI', 'backup', 3000);
      await until(
        async () => (await r3.instance()).masterAddress === lab.topo.host('r2').ipv4,
        3000,
        'r3 to follow r2',
      );
      expect(b.state).toBe('backup');
      await soleAdvertiser(lab.topo.host('r2').ipv4);
      await until(async () => (await lab.addresses('r2')).includes(VIP), 3000, 'VIP on r2');
    });

    it('preempt: false — the returning higher priority stays backup; takes over only when r2 leaves', async () => {
      r1 = await lab.start('r1', cfg(150, { preempt: false }));
      await r1.waitState('VI', 'backup', 3000);
      // several Master_Down_Intervals (~0.35 s) pass: still backup, r2 still master
      await sleep(1500);
      expect((await r1.instance()).state).toBe('backup');
      expect((await r1.instance()).counters.becameMaster).toBe(0);
      expect((await r2.instance()).state).toBe('master');
      await soleAdvertiser(lab.topo.host('r2').ipv4);
      // r2 leaves (priority 0): r1 outranks r3 and takes over
      expect(await r2.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      await r1.waitState('VI', 'master', 3000);
      await r3.waitState('VI', 'backup', 3000);
      await until(async () => (await lab.addresses('r1')).includes(VIP), 3000, 'VIP on r1');
      expect(await lab.addresses('r2')).not.toContain(VIP);
    });

    it('preempt_delay: 2s — a higher priority backup preempts no earlier than 2 s after seeing the master', async () => {
      r2 = await lab.start('r2', cfg(200, { preempt_delay: '2s' }));
      await r2.waitState('VI', 'backup', 3000);
      await sleep(1000);
      expect((await r2.instance()).state, 'preempted before preempt_delay').toBe('backup');
      const m = await r2.waitState('VI', 'master', 5000);
      expect(m.lastTransitionReason).toBe('preempt');
      await r1.waitState('VI', 'backup', 3000);
      // delay measured between r2's own transitions (pino `time`, ISO ms): entering backup at
      // start, then master; the first advert from r1 arrives within one interval of start
      const changes = r2.logged((l) => l.event === 'state-change' && l.instance === 'VI');
      const toBackup = changes.find((l) => l.to === 'backup');
      const toMaster = changes.find((l) => l.to === 'master');
      const delayMs = Date.parse(String(toMaster?.time)) - Date.parse(String(toBackup?.time));
      console.log(`preempt_delay 2s: backup → master after ${delayMs} ms`);
      expect(delayMs).toBeGreaterThanOrEqual(2000 - 20);
      expect(delayMs).toBeLessThan(2000 + 1500);
      await soleAdvertiser(lab.topo.host('r2').ipv4);
    });
  },
);
