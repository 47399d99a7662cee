// Interop with keepalived 2.4.3's auth_hmac, both ways, in network namespaces. Not part
// of the default or CI run (its own vitest project, collected only with VRRPD_INTEROP=1):
// CI's machine cannot download keepalived 2.4's source. Run:
//   KA_MIRROR=/path/to/acassen-keepalived.git bash /work/shared/peers/build-keepalived-2.4.sh
//   VRRPD_INTEROP=1 npx vitest run --project interop
// A missing keepalived 2.4.3 fails the run (it never skips).
// Per family (VRRPv3 over IPv4 at 100 ms; VRRPv3 over IPv6; VRRPv2 over IPv4 at 1 s):
// (a) vrrpd master, keepalived backup, same key: one master, no auth drops either side;
// (b) keepalived master, vrrpd backup; (c) a wrong key on keepalived: both master, each
// side counting the other's adverts as an invalid HMAC.
import type { ChildProcess } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLab, instance, type Lab, sleep, type Vrrpd } from '../netns/lib/vrrpd.js';
import { addressPresent, collectOutput, readPidFile, signalPid, waitFor } from '../netns/peers/router.js';

const KA24 = process.env.KA24 ?? '/opt/keepalived-2.4/sbin/keepalived';
const KEY = `hex:${'5a'.repeat(32)}`;
const WRONG = `hex:${'a5'.repeat(32)}`;

interface Variant {
  name: string;
  version: 2 | 3;
  family: 4 | 6;
  vip: string;
  /** vrrpd advert_interval / keepalived advert_int */
  interval: string;
  kaInt: string;
  settleMs: number;
}
const VARIANTS: Variant[] = [
  {
    name: 'v3 IPv4',
    version: 3,
    family: 4,
    vip: '192.0.2.50/24',
    interval: '100ms',
    kaInt: '0.1',
    settleMs: 1500,
  },
  {
    name: 'v3 IPv6',
    version: 3,
    family: 6,
    vip: '2001:db8::50/64',
    interval: '100ms',
    kaInt: '0.1',
    settleMs: 1500,
  },
  {
    name: 'v2 IPv4',
    version: 2,
    family: 4,
    vip: '192.0.2.50/24',
    interval: '1s',
    kaInt: '1',
    settleMs: 5000,
  },
];

describe('keepalived 2.4.3 auth_hmac interop', () => {
  let lab: Lab;
  let ka: { child: ChildProcess; out: () => string; vrrpPid: number | null } | null = null;
  let d: Vrrpd | null = null;
  const results: string[] = [];

  beforeAll(async () => {
    if (!existsSync(KA24)) throw new Error(`keepalived 2.4.3 is not at ${KA24}: run build-keepalived-2.4.sh`);
    lab = await createLab(['vr', 'ka']);
  });
  afterEach(async () => {
    if (d && !d.exitInfo) await lab.topo.kill(d.child, 3000);
    d = null;
    if (ka) {
      await lab.topo.kill(ka.child, 3000);
      if (ka.vrrpPid) signalPid(ka.vrrpPid, 'SIGKILL');
      ka = null;
    }
  });
  afterAll(async () => {
    console.log(`keepalived 2.4.3 interop:\n  ${results.join('\n  ')}`);
    await lab?.cleanup();
  });

  async function startKa(v: Variant, priority: number, key: string): Promise<void> {
    const conf = join(lab.dir, 'ka.conf');
    const pid = join(lab.dir, 'ka.pid');
    const vpid = join(lab.dir, 'ka.vrrp.pid');
    rmSync(pid, { force: true });
    rmSync(vpid, { force: true });
    writeFileSync(
      conf,
      `global_defs {
  router_id ka
  enable_script_security
}
vrrp_instance VI {
  state BACKUP
  interface eth0
  virtual_router_id 51
  version ${v.version}
  priority ${priority}
  advert_int ${v.kaInt}
  auth_hmac {
    key 1 ${key}
    active_key 1
  }
  virtual_ipaddress {
    ${v.vip}
  }
}
`,
    );
    const child = lab.topo.spawn('ka', [
      KA24,
      '--vrrp',
      '--dont-fork',
      '--log-console',
      '--no-syslog',
      '--dont-respawn',
      '-f',
      conf,
      '-p',
      pid,
      '-r',
      vpid,
      '-c',
      join(lab.dir, 'ka.chk.pid'),
    ]);
    const out = collectOutput(child);
    ka = { child, out, vrrpPid: null };
    await waitFor(
      () => out().includes('Entering BACKUP STATE'),
      15_000,
      () => `keepalived 2.4.3 to start:\n${out()}`,
    );
    ka.vrrpPid = readPidFile(vpid);
  }

  const vipOf = (v: Variant) => v.vip.split('/')[0]!;
  const kaHoldsVip = (v: Variant) => addressPresent(lab.topo, 'ka', 'eth0', vipOf(v));

  async function startVrrpd(v: Variant, priority: number): Promise<Vrrpd> {
    d = await lab.start('vr', {
      vrrp_instances: [
        instance({
          priority,
          version: v.version,
          advert_interval: v.interval,
          virtual_ips: [v.vip],
          auth_hmac: { keys: [{ id: 1, key: KEY }] },
        }),
      ],
    });
    return d;
  }

  /** Samples for ms: times both held the role of master (vrrpd master and keepalived holding the VIP). */
  async function dual(v: Variant, ms: number): Promise<{ both: number; samples: number }> {
    let both = 0;
    let samples = 0;
    for (const end = Date.now() + ms; Date.now() < end; samples++) {
      const [s, k] = await Promise.all([d!.instance(), kaHoldsVip(v)]);
      if (s.state === 'master' && k) both++;
      await sleep(100);
    }
    return { both, samples };
  }

  for (const v of VARIANTS) {
    it(`${v.name} (a) vrrpd master (150), keepalived backup (100), same key`, async () => {
      await startKa(v, 100, KEY);
      const vr = await startVrrpd(v, 150);
      const t0 = Date.now();
      await vr.waitState('VI', 'master', 10_000);
      await sleep(v.settleMs);
      const { both, samples } = await dual(v, 2000);
      const s = await vr.instance();
      expect(both, ka!.out()).toBe(0);
      expect(await kaHoldsVip(v)).toBe(false);
      expect(Object.keys(s.counters.drops).filter((k) => k.startsWith('auth'))).toEqual([]);
      expect(ka!.out()).not.toMatch(/invalid authentication|missing authentication/);
      results.push(
        `${v.name} (a) vrrpd master / keepalived backup, same key: vrrpd master after ${Date.now() - t0} ms; dual master ${both}/${samples}; keepalived logs no auth error`,
      );
    });

    it(`${v.name} (b) keepalived master (150), vrrpd backup (100), same key`, async () => {
      await startKa(v, 150, KEY);
      await waitFor(
        () => kaHoldsVip(v),
        15_000,
        () => `keepalived master:\n${ka!.out()}`,
      );
      const vr = await startVrrpd(v, 100);
      const s0 = await vr.waitState('VI', 'backup', 10_000);
      await sleep(v.settleMs);
      const { both, samples } = await dual(v, 2000);
      const s = await vr.instance();
      expect(both).toBe(0);
      expect(s.state).toBe('backup');
      expect(s.counters.advertsReceived).toBeGreaterThan(s0.counters.advertsReceived);
      expect(Object.keys(s.counters.drops).filter((k) => k.startsWith('auth'))).toEqual([]);
      results.push(
        `${v.name} (b) keepalived master / vrrpd backup, same key: vrrpd backup following ${s.masterAddress}, ${s.counters.advertsReceived} signed adverts accepted; dual master ${both}/${samples}`,
      );
    });

    it(`${v.name} (c) a wrong key on keepalived: both master, both count the HMAC failure`, async () => {
      await startKa(v, 100, WRONG);
      const vr = await startVrrpd(v, 150);
      await vr.waitState('VI', 'master', 10_000);
      await waitFor(
        () => kaHoldsVip(v),
        15_000,
        () => `keepalived master too:\n${ka!.out()}`,
      );
      await sleep(v.settleMs);
      const s = await vr.instance();
      expect(s.state).toBe('master');
      expect(s.counters.drops['auth-hmac-invalid'] ?? 0).toBeGreaterThan(0);
      expect(ka!.out()).toMatch(/invalid authentication HMAC/);
      results.push(
        `${v.name} (c) wrong key on keepalived: both master; vrrpd auth-hmac-invalid=${s.counters.drops['auth-hmac-invalid']}; keepalived logs "invalid authentication HMAC"`,
      );
    });
  }
});
