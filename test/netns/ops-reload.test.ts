// Reload on real daemons in VRRP-only namespaces, and the logs they write meanwhile.
// r1 runs VI (VRID 51, shared with r2), VJ (52) and VK (53) alone; a client namespace c
// captures the wire. Reloads: (a) an unrelated change (VJ's priority, a comment) leaves
// VI alone: same `since`, no state-change line, no advert gap over 2x the interval;
// (b) a bad file is refused with FILE:LINE:COL, the running config stays, a config-error
// line is logged; (c) raising the backup's priority makes it preempt; (d) a VIP added
// while master is added and announced (GARP); (e) a removed instance leaves with a
// priority-0 advert and takes its VIP away. Logs: every stdout line is JSON, state-change
// lines carry instance/from/to/reason, and log_level warn leaves info lines out.
import { existsSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { request } from '../../src/control/client.js';
import { missing } from '../helpers/env.js';
import { cli, createLab, instance, type Lab, sleep, until, type Vrrpd } from './lib/vrrpd.js';
import { adverts, announcements, describeAdverts } from './lib/wire.js';

const why = missing({ root: true, commands: ['ip', 'tcpdump'] });
const INTERVAL_MS = 100;

const sinceDrift = (a: string | undefined, b: string | undefined) =>
  Math.abs(Date.parse(a ?? '') - Date.parse(b ?? ''));

type Config = { global?: Record<string, unknown>; vrrp_instances: Record<string, unknown>[] };

describe.skipIf(why)('reload on real daemons, and their logs', () => {
  let lab: Lab;
  let r1: Vrrpd;
  let r2: Vrrpd;
  let ip1 = '';
  let ip2 = '';
  const latencies: string[] = [];

  const r1Config = (o: { vjPriority?: number; vjVips?: string[]; withVk?: boolean } = {}): Config => ({
    vrrp_instances: [
      instance({ name: 'VI', vrid: 51, priority: 150 }),
      instance({
        name: 'VJ',
        vrid: 52,
        priority: o.vjPriority ?? 100,
        virtual_ips: o.vjVips ?? ['192.0.2.52/24'],
      }),
      ...(o.withVk === false
        ? []
        : [instance({ name: 'VK', vrid: 53, priority: 150, virtual_ips: ['192.0.2.53/24'] })]),
    ],
  });
  const r2Config = (priority: number): Config => ({ vrrp_instances: [instance({ name: 'VI', priority })] });

  /** Rewrites the daemon's file the way lab.start wrote it (control socket kept). */
  function write(d: Vrrpd, config: Config, prefix = ''): string {
    const global = {
      router_id: d.host,
      log_level: 'info',
      ...(config.global ?? {}),
      control_socket: d.socket,
    };
    const text = prefix + stringify({ ...config, global });
    writeFileSync(d.configPath, text);
    return text;
  }

  /** `reload` over the control socket; returns the result and its round trip. */
  async function reload(d: Vrrpd, what: string): Promise<{ result: unknown; ms: number }> {
    const t0 = performance.now();
    const result = await request(d.socket, 'reload', {}, 30_000);
    const ms = performance.now() - t0;
    latencies.push(`${what}: ${ms.toFixed(1)} ms`);
    return { result, ms };
  }

  const stateChangesSince = (d: Vrrpd, t0: number) =>
    d.logged((l) => l.event === 'state-change' && Date.parse(String(l.time)) >= t0);

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2', 'c', 'w']);
    ip1 = lab.topo.host('r1').ipv4;
    ip2 = lab.topo.host('r2').ipv4;
    // r1 first: started together, r2 may win the first election for a moment (a flap that
    // would blur the log counts below)
    r1 = await lab.start('r1', r1Config());
    await Promise.all([
      r1.waitState('VI', 'master', 5000),
      r1.waitState('VJ', 'master', 5000),
      r1.waitState('VK', 'master', 5000),
    ]);
    r2 = await lab.start('r2', r2Config(100));
    await r2.waitState('VI', 'backup', 3000);
  });
  afterAll(async () => {
    if (latencies.length) console.log(`reload latencies:\n  ${latencies.join('\n  ')}`);
    await lab?.cleanup();
  });

  it('(a) an unrelated change (VJ priority, a comment): VI keeps its since, no state change, no advert gap', async () => {
    const before = await r1.instance('VI');
    const cap = await lab.capture('c', 'vrrp');
    await sleep(500);
    const t0 = Date.now();
    write(r1, r1Config({ vjPriority: 120 }), '# reload test: a comment and VJ at 120\n');
    const tCli = performance.now();
    const r = await cli(lab, 'r1', ['reload', '-s', r1.socket]);
    latencies.push(
      `(a) vrrpd reload CLI, wall incl. node start: ${(performance.now() - tCli).toFixed(0)} ms`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/instances: 2 unchanged, 1 changed, 0 added, 0 removed/);
    await sleep(800);
    const ads = adverts(await cap.stop());
    const after = await r1.instance('VI');
    // `since` is the engine's monotonic time mapped to wall time per snapshot: allow the
    // mapping's jitter (a round trip), far below what a restarted instance would show
    expect(sinceDrift(after.since, before.since)).toBeLessThan(50);
    expect(after.state).toBe('master');
    expect(after.counters.transitions).toBe(before.counters.transitions);
    expect(stateChangesSince(r1, t0), r1.tail()).toEqual([]);
    expect(stateChangesSince(r2, t0), r2.tail()).toEqual([]);
    // VI's adverts from r1 ran on through the reload (RFC 5798 §6.4.3: one per interval)
    const vi = ads.filter((a) => a.src === ip1 && a.advert.vrid === 51);
    expect(vi.length, describeAdverts(ads)).toBeGreaterThanOrEqual(10);
    const gaps = vi.slice(1).map((a, i) => (a.t - (vi[i]?.t ?? a.t)) * 1000);
    const worst = Math.max(...gaps);
    console.log(`(a) VI adverts across the reload: ${vi.length}, longest gap ${worst.toFixed(1)} ms`);
    expect(worst, describeAdverts(vi)).toBeLessThanOrEqual(2 * INTERVAL_MS);
    // and the change itself took: VJ advertises 120 now
    expect((await r1.instance('VJ')).priority).toBe(120);
    const vj = ads.filter((a) => a.src === ip1 && a.advert.vrid === 52);
    expect(vj.at(-1)?.advert.priority).toBe(120);
  });

  it('(b) a bad file: reload exits 1 with FILE:LINE:COL, the running config stays, config-error logged', async () => {
    const before = await r1.status();
    const good = write(r1, r1Config({ vjPriority: 120 }));
    const bad = good.replace('vrid: 52', 'vrid: 300');
    const line = bad.split('\n').findIndex((l) => l.includes('vrid: 300')) + 1;
    expect(line).toBeGreaterThan(0);
    writeFileSync(r1.configPath, bad);
    const t0 = Date.now();
    const r = await cli(lab, 'r1', ['reload', '-s', r1.socket]);
    expect(r.code, r.stdout).toBe(1);
    const esc = r1.configPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(r.stderr).toMatch(new RegExp(`^${esc}:${line}:\\d+: .*vrid`, 'm'));
    console.log(`(b) refused reload says:\n${r.stderr.trim()}`);
    const after = await r1.status();
    for (const name of ['VI', 'VJ', 'VK']) {
      const b = before.instances.find((i) => i.name === name);
      const a = after.instances.find((i) => i.name === name);
      expect(a, name).toMatchObject({
        vrid: b?.vrid,
        priority: b?.priority,
        state: b?.state,
        advertIntervalCs: b?.advertIntervalCs,
      });
      expect(sinceDrift(a?.since, b?.since), name).toBeLessThan(50);
      expect(a?.counters.transitions, name).toBe(b?.counters.transitions);
    }
    expect(after.daemon.configLoadedAt).toBe(before.daemon.configLoadedAt);
    expect(after.daemon.lastReload).toMatchObject({ ok: false });
    const errs = r1.logged((l) => l.event === 'config-error' && Date.parse(String(l.time)) >= t0);
    expect(errs[0], r1.tail()).toMatchObject({ level: 'error', file: r1.configPath, line });
    expect(stateChangesSince(r1, t0)).toEqual([]);
    write(r1, r1Config({ vjPriority: 120 }));
  });

  it('(c) raising the backup above the master by reload: it preempts', async () => {
    const t0 = Date.now();
    write(r2, r2Config(200));
    const { result, ms } = await reload(r2, '(c) r2 priority 100 -> 200 (control request round trip)');
    expect(result).toMatchObject({ ok: true });
    const s = await r2.waitState('VI', 'master', 3000);
    const took = Date.now() - t0;
    latencies.push(`(c) reload request -> r2 master: ${took} ms (request ${ms.toFixed(1)} ms)`);
    expect(s.priority).toBe(200);
    await r1.waitState('VI', 'backup', 3000);
    expect((await r1.instance('VI')).lastTransitionReason).toBe('higher-priority-advert');
    await until(async () => (await lab.addresses('r2')).includes('192.0.2.50'), 3000, 'VIP on r2');
    await until(async () => !(await lab.addresses('r1')).includes('192.0.2.50'), 3000, 'VIP gone from r1');
    const sc = stateChangesSince(r2, t0);
    expect(sc.at(-1)).toMatchObject({ instance: 'VI', from: 'backup', to: 'master' });
  });

  it('(d) a VIP added to a master instance: on the device and announced with a GARP', async () => {
    const cap = await lab.capture('c', 'arp');
    const mac1 = await lab.mac('r1');
    write(r1, r1Config({ vjPriority: 120, vjVips: ['192.0.2.52/24', '192.0.2.54/24'] }));
    const t0 = Date.now();
    const { result } = await reload(r1, '(d) add a VIP to VJ (control request round trip)');
    expect(result).toMatchObject({ ok: true });
    await until(async () => (await lab.addresses('r1')).includes('192.0.2.54'), 3000, 'added VIP on r1');
    latencies.push(`(d) reload request -> VIP on the device: ${Date.now() - t0} ms`);
    await sleep(500);
    const garps = announcements(await cap.stop()).filter((a) => a.address === '192.0.2.54');
    expect(garps.length).toBeGreaterThanOrEqual(1);
    expect(garps[0]).toMatchObject({ kind: 'garp', mac: mac1, srcMac: mac1 });
    const vj = await r1.instance('VJ');
    expect(vj.state).toBe('master');
    expect(vj.vips.map((v) => `${v.address}:${v.present}`)).toEqual(['192.0.2.52:true', '192.0.2.54:true']);
  });

  it('(e) an instance removed by reload: priority-0 advert, its VIP gone, the others untouched', async () => {
    const cap = await lab.capture('c', 'vrrp');
    const vjBefore = await r1.instance('VJ');
    write(r1, r1Config({ vjPriority: 120, vjVips: ['192.0.2.52/24', '192.0.2.54/24'], withVk: false }));
    const t0 = Date.now();
    const { result } = await reload(r1, '(e) remove VK (control request round trip)');
    expect(result).toMatchObject({ ok: true, summary: expect.stringMatching(/1 removed/) });
    await until(async () => !(await lab.addresses('r1')).includes('192.0.2.53'), 3000, 'VK VIP removed');
    latencies.push(`(e) reload request -> VIP removed: ${Date.now() - t0} ms`);
    await sleep(400);
    const ads = adverts(await cap.stop());
    const vk = ads.filter((a) => a.src === ip1 && a.advert.vrid === 53);
    expect(vk.at(-1)?.advert.priority, describeAdverts(vk)).toBe(0);
    const s = await r1.status();
    expect(s.instances.map((i) => i.name).sort()).toEqual(['VI', 'VJ']);
    expect(sinceDrift(s.instances.find((i) => i.name === 'VJ')?.since, vjBefore.since)).toBeLessThan(50);
    expect(await lab.addresses('r1')).toEqual(expect.arrayContaining(['192.0.2.52', '192.0.2.54']));
    // r2 (still VI master) saw no VRID 53 traffic problem: its VI is untouched
    expect((await r2.instance('VI')).state).toBe('master');
    expect(ip2).not.toBe(ip1);
  });

  it('logs: every stdout line of both daemons is JSON; state changes carry instance/from/to/reason', () => {
    for (const d of [r1, r2]) {
      expect(d.logs.length).toBeGreaterThanOrEqual(4);
      const raw = d.logs.filter((l) => 'raw' in l);
      expect(raw, `${d.host}: non-JSON stdout lines`).toEqual([]);
      for (const l of d.logs) {
        expect(l).toMatchObject({
          name: 'vrrpd',
          level: expect.any(String),
          time: expect.any(String),
          pid: d.pid,
        });
        expect(Number.isNaN(Date.parse(String(l.time)))).toBe(false);
      }
      const sc = d.logged((l) => l.event === 'state-change');
      expect(sc.length).toBeGreaterThanOrEqual(2);
      for (const l of sc)
        expect(l).toMatchObject({
          level: 'info',
          instance: expect.any(String),
          from: expect.stringMatching(/^(init|backup|master|fault)$/),
          to: expect.stringMatching(/^(init|backup|master|fault)$/),
          reason: expect.any(String),
        });
    }
    // the failover (c) and the reloads are all there
    expect(r2.logged((l) => l.event === 'state-change' && l.to === 'master').length).toBe(1);
    expect(
      r1.logged((l) => l.event === 'state-change' && l.instance === 'VI' && l.to === 'backup').length,
    ).toBeGreaterThanOrEqual(2);
    expect(r1.logged((l) => l.event === 'reloaded').length).toBe(3);
    expect(r1.logged((l) => l.event === 'reload-refused').length).toBe(1);
  });

  it('log_level warn: no info lines (start, state changes, reload), warnings and errors still come', async () => {
    const w = await lab.start('w', {
      global: { log_level: 'warn' },
      vrrp_instances: [instance({ name: 'VW', vrid: 60, priority: 150, virtual_ips: ['192.0.2.60/24'] })],
    });
    await w.waitState('VW', 'master', 5000);
    const good = write(w, {
      global: { log_level: 'warn' },
      vrrp_instances: [instance({ name: 'VW', vrid: 60, priority: 150, virtual_ips: ['192.0.2.60/24'] })],
    });
    writeFileSync(w.configPath, good.replace('vrid: 60', 'vrid: 0'));
    expect((await cli(lab, 'w', ['reload', '-s', w.socket])).code).toBe(1);
    writeFileSync(w.configPath, good);
    expect((await cli(lab, 'w', ['reload', '-s', w.socket])).code).toBe(0);
    await w.stop('SIGTERM');
    expect(w.logs.filter((l) => 'raw' in l)).toEqual([]);
    const levels = new Set(w.logs.map((l) => l.level));
    expect([...levels].sort(), JSON.stringify(w.logs)).toEqual(['error', 'warn']);
    expect(
      w.logged((l) => l.event === 'state-change' || l.event === 'started' || l.event === 'reloaded'),
    ).toEqual([]);
    expect(w.logged((l) => l.event === 'reload-refused')).toHaveLength(1);
  });
  it('global settings follow a reload: log level, router id, /metrics listener and control socket move', async () => {
    const ipw = lab.topo.host('w').ipv4;
    const vw = instance({ name: 'VW', vrid: 61, priority: 150, virtual_ips: ['192.0.2.61/24'] });
    const w = await lab.start('w', {
      global: { log_level: 'warn', metrics_listen: `${ipw}:9650` },
      vrrp_instances: [vw],
    });
    const moved = w.socket.replace(/\.sock$/, '-moved.sock');
    const file = (g: Record<string, unknown>) =>
      writeFileSync(w.configPath, stringify({ global: { router_id: 'w', ...g }, vrrp_instances: [vw] }));
    const curl = (port: number) =>
      lab.topo.exec(
        'w',
        ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${ipw}:${port}/metrics`],
        {
          allowFail: true,
        },
      );
    try {
      await w.waitState('VW', 'master', 5000);
      expect((await curl(9650)).stdout).toBe('200');
      const t0 = Date.now();
      file({
        router_id: 'w-renamed',
        log_level: 'info',
        metrics_listen: `${ipw}:9651`,
        control_socket: moved,
      });
      const r = (await request(w.socket, 'reload', {}, 30_000)) as { ok: boolean; summary: string };
      expect(r.ok, JSON.stringify(r)).toBe(true);
      expect(r.summary).toMatch(
        /global: log level info; router id w-renamed; control socket .*-moved\.sock \(0600\); metrics on .*:9651/,
      );
      // info lines now come, with the new router id
      await until(
        async () => w.logged((l) => l.event === 'reloaded').length === 1,
        5000,
        'the reloaded line',
      );
      expect(w.logged((l) => l.event === 'reloaded')[0]).toMatchObject({
        level: 'info',
        routerId: 'w-renamed',
      });
      expect(w.logged((l) => l.level === 'info' && Date.parse(String(l.time)) < t0)).toEqual([]);
      // /metrics moved: the new port answers, the old one is closed
      expect((await curl(9651)).stdout).toBe('200');
      expect((await curl(9650)).stdout).toBe('000');
      // the control socket moved: the old file is gone, the new one answers
      expect(existsSync(w.socket)).toBe(false);
      expect(
        ((await request(moved, 'status', {}, 10_000)) as { instances: unknown[] }).instances,
      ).toHaveLength(1);
      // a listener that cannot be opened keeps the old one and says so
      file({
        router_id: 'w-renamed',
        log_level: 'info',
        metrics_listen: '192.0.2.250:9652',
        control_socket: moved,
      });
      const bad = (await request(moved, 'reload', {}, 30_000)) as { ok: boolean; summary: string };
      expect(bad.summary).toMatch(/metrics_listen not changed: .*EADDRNOTAVAIL/);
      expect((await curl(9651)).stdout).toBe('200');
    } finally {
      // back to the helper's socket so that stop() can reach the daemon
      file({ log_level: 'info', control_socket: w.socket });
      await request(moved, 'reload', {}, 30_000).catch(() => {});
      await w.stop('SIGTERM');
    }
  });
});
