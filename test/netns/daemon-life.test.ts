// Daemon life with real daemons in namespaces: global.startup_script runs before the first
// advert (its output and exit logged) and shutdown_script at SIGTERM after the VIPs are
// gone; a hung shutdown script is killed at its timeout and vrrpd still exits cleanly;
// vrrp_startup_delay holds the adverts for the delay (measured from a capture); with
// dynamic_interfaces an instance on an absent interface waits in FAULT, starts (and
// becomes master) when the interface is created, faults when it is deleted, and comes back
// when it is re-created.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { request } from '../../src/control/client.js';
import { missing } from '../helpers/env.js';
import { ipPackets } from '../helpers/pcap.js';
import { createLab, instance, type Lab, until } from './lib/vrrpd.js';

const why = missing({ root: true, commands: ['ip', 'tcpdump'] });

describe.skipIf(why)('daemon life: start/stop scripts, startup delay, dynamic interfaces', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2']);
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  const script = (name: string, body: string): string => {
    const p = join(lab.dir, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`);
    chmodSync(p, 0o755);
    return p;
  };
  const epochOf = (l: Record<string, unknown>): number => Date.parse(String(l.time)) / 1000;

  it('startup_script before the first advert, vrrp_startup_delay holds the adverts, shutdown_script after the VIPs are gone', async () => {
    const startedFile = join(lab.dir, 'startup-done');
    const stopFile = join(lab.dir, 'shutdown-addrs');
    const up = script('up.sh', `sleep 0.3\necho "fw up $VRRPD_EVENT"\ndate +%s.%N > '${startedFile}'`);
    const down = script('down.sh', `ip -o addr show dev eth0 > '${stopFile}'\necho fw down`);
    // the capture runs on the peer: r1's adverts as the segment carries them
    const cap = await lab.capture('r2', 'ip proto 112');
    const r1 = await lab.start('r1', {
      global: {
        vrrp_startup_delay: '1.5s',
        startup_script: { command: [up], timeout: '5s' },
        shutdown_script: { command: [down], timeout: '5s' },
      },
      vrrp_instances: [instance({ priority: 150 })],
    });
    await r1.waitState('VI', 'master', 8000);
    await until(async () => (await lab.addresses('r1')).includes('192.0.2.50'), 3000, 'VIP on r1');
    const file = await cap.stop();
    const adverts = ipPackets(file, 112).filter((p) => p.src === '192.0.2.11');
    expect(adverts.length).toBeGreaterThan(0);
    const firstAdvert = adverts[0]!.frame.timeSec;

    // the startup script: done (output and exit logged) before anything was sent
    const scriptDone = Number(readFileSync(startedFile, 'utf8'));
    expect(firstAdvert).toBeGreaterThan(scriptDone);
    const logged = r1.logged((l) => l.event === 'startup-script' && l.code === 0);
    expect(logged.length).toBe(1);
    expect(String(logged[0]!.output)).toContain('fw up startup');

    // vrrp_startup_delay: no advert before the delay (1.5 s) and the Master_Down_Interval
    // after it (3 × 100 ms + skew ≈ 0.34 s); generous upper bound for a loaded machine
    const delayLog = r1.logged((l) => l.event === 'startup-delay')[0];
    expect(delayLog).toBeDefined();
    const afterDelay = firstAdvert - epochOf(delayLog!);
    expect(afterDelay).toBeGreaterThanOrEqual(1.5 + 0.3 - 0.01);
    expect(afterDelay).toBeLessThan(1.5 + 0.34 + 1.5);
    // ... and the startup script ran before the delay started (it runs before the VRRP thread)
    expect(epochOf(delayLog!)).toBeGreaterThanOrEqual(scriptDone - 0.01);

    const exit = await r1.stop('SIGTERM');
    expect(exit.code).toBe(0);
    // the shutdown script ran once the VIP had been removed
    const addrs = readFileSync(stopFile, 'utf8');
    expect(addrs).toContain('192.0.2.11');
    expect(addrs).not.toContain('192.0.2.50');
    const stopped = r1.logged((l) => l.event === 'shutdown-script' && l.code === 0);
    expect(String(stopped[0]?.output)).toContain('fw down');
    const order = r1.logs.map((l) => l.event);
    expect(order.lastIndexOf('shutdown-script')).toBeLessThan(order.lastIndexOf('stopped'));
  });

  it('a hung shutdown script is killed at its timeout and vrrpd still stops cleanly', async () => {
    const pidFile = join(lab.dir, 'hung.pid');
    const hung = script('hung.sh', `echo $$ > '${pidFile}'\nexec sleep 60`);
    const r1 = await lab.start('r1', {
      global: { shutdown_script: { command: [hung], timeout: '1s' } },
      vrrp_instances: [instance({ priority: 150 })],
    });
    await r1.waitState('VI', 'master', 5000);
    const t0 = Date.now();
    const exit = await r1.stop('SIGTERM', 10_000);
    const took = Date.now() - t0;
    expect(exit.code).toBe(0);
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(6000);
    const killed = r1.logged((l) => l.event === 'shutdown-script')[1];
    expect(killed).toMatchObject({ timedOut: true });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    // reaped with its process group: no such process any more (signal 0 only probes)
    await until(
      async () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      3000,
      'the hung script to be gone',
    );
  });

  it('dynamic_interfaces: absent → FAULT; created → master; deleted → FAULT; re-created → master', async () => {
    const create = () =>
      lab.sh(
        'r1',
        'ip link add eth5 type veth peer name eth5p && ip addr add 198.51.100.1/24 dev eth5 && ip link set eth5p up && ip link set eth5 up',
      );
    const vip = '198.51.100.50';
    const r1 = await lab.start('r1', {
      global: { dynamic_interfaces: true },
      vrrp_instances: [instance({ interface: 'eth5', priority: 150, virtual_ips: [`${vip}/24`] })],
    });
    try {
      const waiting = await r1.waitState('VI', 'fault', 3000);
      expect(waiting.lastTransitionReason).toMatch(/eth5 absent/);
      await create();
      await r1.waitState('VI', 'master', 5000);
      await until(async () => (await lab.addresses('r1', 'eth5')).includes(vip), 3000, 'VIP on eth5');
      await lab.sh('r1', 'ip link del eth5');
      const f = await r1.waitState('VI', 'fault', 3000);
      expect(f.lastTransitionReason).toMatch(/eth5/);
      await create();
      await r1.waitState('VI', 'master', 5000);
      await until(async () => (await lab.addresses('r1', 'eth5')).includes(vip), 3000, 'VIP on the new eth5');
      expect(r1.logged((l) => l.event === 'interface-recreated').length).toBe(1);
      expect((await r1.stop('SIGTERM')).code).toBe(0);
    } finally {
      await r1.stop('SIGKILL').catch(() => {});
      await lab.sh('r1', 'ip link del eth5 2>/dev/null || true');
    }
  });

  it('dynamic_interfaces across reload: an instance added on an absent interface waits, then starts', async () => {
    const r1 = await lab.start('r1', {
      global: { dynamic_interfaces: true },
      vrrp_instances: [instance({ priority: 150 })],
    });
    try {
      await r1.waitState('VI', 'master', 5000);
      const cfg = parse(readFileSync(r1.configPath, 'utf8')) as { vrrp_instances: unknown[] };
      cfg.vrrp_instances.push(
        instance({
          name: 'VI7',
          interface: 'eth7',
          vrid: 57,
          priority: 150,
          virtual_ips: ['203.0.113.50/24'],
        }),
      );
      writeFileSync(r1.configPath, stringify(cfg));
      const res = (await request(r1.socket, 'reload', {}, 10_000)) as { ok: boolean };
      expect(res.ok).toBe(true);
      const waiting = await r1.waitState('VI7', 'fault', 3000);
      expect(waiting.lastTransitionReason).toMatch(/eth7 absent/);
      // the running instance is untouched
      expect((await r1.instance('VI')).state).toBe('master');
      await lab.sh(
        'r1',
        'ip link add eth7 type veth peer name eth7p && ip addr add 203.0.113.1/24 dev eth7 && ip link set eth7p up && ip link set eth7 up',
      );
      await r1.waitState('VI7', 'master', 5000);
      expect((await r1.stop('SIGTERM')).code).toBe(0);
    } finally {
      await r1.stop('SIGKILL').catch(() => {});
      await lab.sh('r1', 'ip link del eth7 2>/dev/null || true');
    }
  });

  it('without dynamic_interfaces an absent interface still fails the start', async () => {
    const r1 = await lab.start(
      'r1',
      { vrrp_instances: [instance({ interface: 'eth6', priority: 150 })] },
      { wait: false },
    );
    const exit = await Promise.race([r1.exited, new Promise((r) => setTimeout(() => r(null), 15_000))]);
    expect(exit).not.toBeNull();
    expect((exit as { code: number }).code).not.toBe(0);
    expect(existsSync(join(lab.dir, 'r1.sock'))).toBe(false);
  });
});
