// LvsController against a fake IPVS kernel, a fake check manager and a fake clock:
// scheduling (debounce, serialization, periodic heal), no flush at start/stop/reload,
// scripts, timeouts, sync daemon, errors and the status snapshot.
import { describe, expect, it } from 'vitest';
import type { CheckManager, CheckManagerOptions, CheckSnapshot, CheckSpec } from '../../src/check/manager.js';
import { type Config, diffConfig, parseConfigText } from '../../src/config/index.js';
import type { ScriptRunner } from '../../src/effects/types.js';
import { applyOps, type OpFailure } from '../../src/lvs/apply.js';
import { LvsController, type LvsIpvsClient } from '../../src/lvs/controller.js';
import { buildTable, cloneTable, type IpvsTable } from '../../src/lvs/model.js';
import type { IpvsOp } from '../../src/lvs/reconcile.js';
import type { IpvsSyncDaemon, IpvsTimeouts } from '../../src/netlink/ipvs.js';
import { type LogLine, recordingLog } from '../helpers/log.js';
import { FakeClock, flush } from './check-fakes.js';

// ---------------------------------------------------------------- fakes

class FakeIpvs implements LvsIpvsClient {
  table: IpvsTable = new Map();
  daemons: IpvsSyncDaemon[] = [];
  timeouts: Partial<IpvsTimeouts>[] = [];
  dumps = 0;
  applied: IpvsOp[][] = [];
  daemonCalls: string[] = [];
  /** ops of these kinds fail with this error */
  failOp?: { op: IpvsOp['op']; message: string };
  /** while set, dump() waits for it */
  gate?: Promise<void>;
  /** while set, applyAll() waits for it (after recording its ops) */
  applyGate?: Promise<void>;
  async dump(): Promise<IpvsTable> {
    this.dumps++;
    if (this.gate) await this.gate;
    return cloneTable(this.table);
  }
  async applyAll(ops: readonly IpvsOp[]): Promise<{ failures: OpFailure[] }> {
    this.applied.push([...ops]);
    if (this.applyGate) await this.applyGate;
    const failures: OpFailure[] = [];
    for (const op of ops) {
      if (this.failOp?.op === op.op) failures.push({ op, error: new Error(this.failOp.message) });
      else this.table = applyOps(this.table, [op]);
    }
    return { failures };
  }
  async setTimeouts(t: Partial<IpvsTimeouts>): Promise<void> {
    this.timeouts.push(t);
  }
  async startDaemon(d: IpvsSyncDaemon): Promise<void> {
    this.daemonCalls.push(`start ${d.state} ${d.ifname} ${d.syncId}`);
    this.daemons.push(d);
  }
  async stopDaemon(state: IpvsSyncDaemon['state']): Promise<void> {
    this.daemonCalls.push(`stop ${state}`);
    this.daemons = this.daemons.filter((d) => d.state !== state);
  }
  async listDaemons(): Promise<IpvsSyncDaemon[]> {
    return this.daemons.map((d) => ({ ...d }));
  }
  /** 'address:port weight' of one service, sorted */
  dests(sk = 'tcp:192.0.2.50:80'): string[] {
    return [...(this.table.get(sk)?.dests.values() ?? [])]
      .map((d) => `${d.address}:${d.port} w${d.weight}`)
      .sort();
  }
  allOps(): string[] {
    return this.applied.flat().map((o) => `${o.op}${'dest' in o ? ` ${o.dest.address}` : ''}`);
  }
}

class FakeChecks implements CheckManager {
  specs: CheckSpec[] = [];
  states = new Map<string, CheckSnapshot['state']>();
  results = new Map<string, NonNullable<CheckSnapshot['lastResult']>>();
  setCalls = 0;
  stopped = false;
  constructor(readonly opts: CheckManagerOptions) {}
  set(checks: readonly CheckSpec[]) {
    this.setCalls++;
    this.specs = [...checks];
    for (const c of checks) if (!this.states.has(c.id)) this.states.set(c.id, c.alpha ? 'down' : 'unknown');
    return { added: [], removed: [], replaced: [], updated: [], unchanged: [] };
  }
  snapshot(): CheckSnapshot[] {
    return this.specs.map((s) => this.get(s.id)!);
  }
  get(id: string): CheckSnapshot | undefined {
    const state = this.states.get(id);
    if (!state) return undefined;
    const spec = this.specs.find((s) => s.id === id)!;
    const lastResult = this.results.get(id);
    return {
      ...(lastResult ? { lastResult } : {}),
      id,
      type: spec.probe.type,
      state,
      consecutiveOk: 0,
      consecutiveFail: 0,
      checks: 3,
      failures: 1,
      transitions: 0,
    };
  }
  stop() {
    this.stopped = true;
  }
  /** a health transition as the real manager reports it */
  fire(
    id: string,
    to: 'up' | 'down',
    reason = to === 'up' ? '2 consecutive successes' : 'connection refused',
  ) {
    const from = this.states.get(id) ?? 'unknown';
    this.states.set(id, to);
    const result =
      to === 'up' ? { ok: true as const, latencyMs: 1 } : { ok: false as const, reason, latencyMs: 1 };
    this.results.set(id, result);
    this.opts.onResult?.(id, result);
    this.opts.onChange(id, { from, to, reason }, { ok: to === 'up', latencyMs: 1, reason } as never);
  }
}

class FakeRunner implements ScriptRunner {
  runs: { argv: readonly string[]; user?: string; group?: string; timeoutMs: number }[] = [];
  async run(argv: readonly string[], o: { timeoutMs: number; user?: string; group?: string }) {
    this.runs.push({
      argv,
      timeoutMs: o.timeoutMs,
      ...(o.user ? { user: o.user } : {}),
      ...(o.group ? { group: o.group } : {}),
    });
    return { code: 0, signal: null, timedOut: false, output: '', durationMs: 1 };
  }
}

const BASE = `
global: {router_id: t, script_user: nobody, notify_timeout: 3s}
vrrp_instances:
  - {name: VI_1, interface: eth0, vrid: 51, priority: 100, virtual_ips: [192.0.2.50/24]}
  - {name: VI_2, interface: eth0, vrid: 52, priority: 100, virtual_ips: [192.0.2.60/24]}
`;

function config(extra: string): Config {
  const r = parseConfigText(`${BASE}${extra}`, 'test.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors, null, 1));
  return r.config;
}

const TWO = `
virtual_servers:
  - address: 192.0.2.50
    port: 80
    scheduler: rr
    quorum_up: [/bin/q, up]
    quorum_down: [/bin/q, down]
    sorry_server: {address: 198.51.100.99, port: 80}
    check_defaults: {interval: 1s, timeout: 1s, rise: 2, fall: 2}
    real_servers:
      - {address: 198.51.100.2, port: 80, check: {type: http, path: /}, notify_up: [/bin/n, up, a], notify_down: [/bin/n, down, a]}
      - {address: 198.51.100.3, port: 80, check: {type: tcp}}
`;
const ID2 = 'tcp/192.0.2.50:80 198.51.100.2:80';
const ID3 = 'tcp/192.0.2.50:80 198.51.100.3:80';

class FakeAddresses {
  present = new Set<string>();
  private cbs: (() => void)[] = [];
  opened = 0;
  closed = false;
  has(a: string) {
    return this.present.has(a);
  }
  onChange(cb: () => void) {
    this.cbs.push(cb);
  }
  close() {
    this.closed = true;
  }
  set(a: string, on: boolean) {
    if (on) this.present.add(a);
    else this.present.delete(a);
    for (const cb of this.cbs) cb();
  }
}

function setup(cfg: Config, opts: { kernel?: IpvsTable; addresses?: FakeAddresses } = {}) {
  const clock = new FakeClock();
  const ipvs = new FakeIpvs();
  if (opts.kernel) ipvs.table = opts.kernel;
  const lines: LogLine[] = [];
  const runner = new FakeRunner();
  let checks!: FakeChecks;
  const c = new LvsController(cfg, recordingLog(lines), {
    ipvs,
    clock,
    runner,
    wallClock: () => Date.UTC(2026, 0, 1) + clock.now(),
    checks: (o) => {
      checks = new FakeChecks(o);
      return checks;
    },
    ...(opts.addresses
      ? {
          localAddresses: async () => {
            opts.addresses!.opened++;
            return opts.addresses!;
          },
        }
      : {}),
  });
  let current = cfg;
  /** a reload: the controller gets its slice of the diff, as from the daemon */
  const reload = (next: Config) => {
    const slice = diffConfig(current, next).lvs;
    current = next;
    return c.setConfig(next, slice);
  };
  return { c, clock, ipvs, lines, runner, reload, checks: () => checks };
}

const svc = {
  family: 4 as const,
  protocol: 'tcp' as const,
  address: '192.0.2.50',
  port: 80,
  scheduler: 'rr',
  flags: { persistent: false, onePacket: false, shFallback: false, shPort: false, sched3: false },
  timeoutS: 0,
  netmask: 32,
};
const dest = (address: string, weight = 1) => ({
  family: 4 as const,
  address,
  port: 80,
  forwarding: 'nat' as const,
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
});

// ---------------------------------------------------------------- tests

describe('LvsController: start and restart never flush', () => {
  it('fresh kernel: the service is added, unknown real servers wait for their first pass', async () => {
    const t = setup(config(TWO));
    await t.c.start();
    expect(t.ipvs.allOps()).toEqual(['add-service']);
    expect(t.ipvs.dests()).toEqual([]);
    t.checks().fire(ID2, 'up', 'first check passed');
    await t.clock.advance(25);
    expect(t.ipvs.dests()).toEqual(['198.51.100.2:80 w1']);
  });

  it('restart: kernel-present servers keep their place until their first result (no ops at all)', async () => {
    const kernel = buildTable([{ service: svc, dests: [dest('198.51.100.2'), dest('198.51.100.3', 5)] }]);
    const t = setup(config(TWO), { kernel });
    await t.c.start();
    expect(t.ipvs.applied).toEqual([]);
    expect(t.ipvs.dests()).toEqual(['198.51.100.2:80 w1', '198.51.100.3:80 w5']);
    t.checks().fire(ID3, 'up', 'first check passed');
    await t.clock.advance(25);
    expect(t.ipvs.dests()).toEqual(['198.51.100.2:80 w1', '198.51.100.3:80 w1']); // config weight now
    t.checks().fire(ID2, 'down');
    await t.clock.advance(25);
    expect(t.ipvs.dests()).toEqual(['198.51.100.3:80 w1']);
  });

  it('a service vrrpd does not own is never touched; hand-added dest in an owned one is removed', async () => {
    const other = { ...svc, port: 8080 };
    const kernel = buildTable([
      { service: other, dests: [dest('203.0.113.9')] },
      { service: svc, dests: [dest('203.0.113.7')] },
    ]);
    const t = setup(config(TWO), { kernel });
    await t.c.start();
    expect(t.ipvs.dests('tcp:192.0.2.50:8080')).toEqual(['203.0.113.9:80 w1']);
    expect(t.ipvs.dests()).toEqual([]);
  });

  it('stop() leaves the table and timers alone: nothing happens afterwards', async () => {
    const t = setup(config(TWO));
    await t.c.start();
    t.checks().fire(ID2, 'up');
    t.checks().fire(ID3, 'up');
    await t.clock.advance(25);
    const before = t.ipvs.dests();
    const calls = t.ipvs.dumps;
    t.c.stop();
    expect(t.checks().stopped).toBe(true);
    t.checks().fire(ID2, 'down');
    await t.clock.advance(60_000);
    expect(t.ipvs.dumps).toBe(calls);
    expect(t.ipvs.dests()).toEqual(before);
    expect(t.clock.pending()).toBe(0);
  });
});

describe('LvsController: scheduling', () => {
  it('a burst of health changes makes one debounced pass', async () => {
    const t = setup(config(TWO));
    await t.c.start();
    const dumps = t.ipvs.dumps;
    t.checks().fire(ID2, 'up');
    await t.clock.advance(5);
    t.checks().fire(ID3, 'up');
    t.checks().fire(ID2, 'down');
    t.checks().fire(ID2, 'up');
    expect(t.ipvs.applied.length).toBe(1); // not yet: debounced
    await t.clock.advance(25);
    expect(t.ipvs.applied.length).toBe(2); // start + this one
    expect(t.ipvs.dumps).toBe(dumps); // a health change reads nothing: the kept table is diffed
    expect(t.ipvs.dests()).toEqual(['198.51.100.2:80 w1', '198.51.100.3:80 w1']);
  });

  it('requests while a pass runs schedule exactly one more', async () => {
    const t = setup(config(TWO));
    await t.c.start();
    let open!: () => void;
    t.ipvs.applyGate = new Promise((r) => {
      open = r;
    });
    t.checks().fire(ID2, 'up');
    await t.clock.advance(25); // pass 1 starts and blocks in applyAll
    expect(t.ipvs.applied.length).toBe(2);
    for (let i = 0; i < 5; i++) t.checks().fire(ID3, i % 2 ? 'down' : 'up');
    await t.clock.advance(100);
    expect(t.ipvs.applied.length).toBe(2); // still one: serialized
    t.ipvs.applyGate = undefined;
    open();
    await t.clock.advance(100);
    expect(t.ipvs.applied.length).toBe(3);
    await t.clock.advance(1000);
    expect(t.ipvs.applied.length).toBe(3);
    expect(t.ipvs.dests()).toEqual(['198.51.100.2:80 w1', '198.51.100.3:80 w1']);
  });

  it('periodic pass heals a hand-made change', async () => {
    const t = setup(config(TWO));
    await t.c.start();
    t.checks().fire(ID2, 'up');
    t.checks().fire(ID3, 'up');
    await t.clock.advance(25);
    t.ipvs.table = applyOps(t.ipvs.table, [{ op: 'delete-dest', service: svc, dest: dest('198.51.100.3') }]);
    t.ipvs.table = applyOps(t.ipvs.table, [
      { op: 'edit-dest', service: svc, dest: dest('198.51.100.2', 9), was: dest('198.51.100.2') },
    ]);
    await t.clock.advance(9_000);
    expect(t.ipvs.dests()).toEqual(['198.51.100.2:80 w9']);
    await t.clock.advance(1_100);
    expect(t.ipvs.dests()).toEqual(['198.51.100.2:80 w1', '198.51.100.3:80 w1']);
  });
});

describe('LvsController: health, quorum and scripts', () => {
  it('logs one health-change line per transition, runs notify and quorum scripts, sorry server in and out', async () => {
    const t = setup(config(TWO));
    await t.c.start();
    t.checks().fire(ID2, 'up', 'first check passed');
    t.checks().fire(ID3, 'up', 'first check passed');
    await t.clock.advance(25);
    t.checks().fire(ID2, 'down', 'HTTP 503');
    await t.clock.advance(25);
    t.checks().fire(ID3, 'down');
    await t.clock.advance(25);
    expect(t.ipvs.dests()).toEqual(['198.51.100.99:80 w1']);
    let s = t.c.snapshot().virtualServers[0]!;
    expect(s).toMatchObject({ quorumUp: false, sorryActive: true });
    t.checks().fire(ID2, 'up');
    await t.clock.advance(25);
    expect(t.ipvs.dests()).toEqual(['198.51.100.2:80 w1']);
    s = t.c.snapshot().virtualServers[0]!;
    expect(s).toMatchObject({ quorumUp: true, sorryActive: false });

    const health = t.lines.filter((l) => l.fields.event === 'health-change');
    expect(health.map((l) => [l.level, l.fields.realServer, l.fields.from, l.fields.to])).toEqual([
      ['info', '198.51.100.2:80', 'unknown', 'up'],
      ['info', '198.51.100.3:80', 'unknown', 'up'],
      ['warn', '198.51.100.2:80', 'up', 'down'],
      ['warn', '198.51.100.3:80', 'up', 'down'],
      ['info', '198.51.100.2:80', 'down', 'up'],
    ]);
    expect(health[2]?.fields).toMatchObject({ virtualServer: 'tcp/192.0.2.50:80', reason: 'HTTP 503' });
    await flush();
    expect(t.runner.runs.map((r) => r.argv.join(' '))).toEqual([
      '/bin/n down a',
      '/bin/q down',
      '/bin/n up a',
      '/bin/q up',
    ]);
    expect(t.runner.runs[0]).toMatchObject({ user: 'nobody', timeoutMs: 3000 });
    const q = t.lines.filter((l) => l.fields.event === 'quorum-change');
    expect(q.map((l) => [l.fields.from, l.fields.to])).toEqual([
      ['up', 'down'],
      ['down', 'up'],
    ]);
  });

  it('notify_user/notify_group and quorum_user/quorum_group: the hooks run as them', async () => {
    const cfg = config(
      TWO.replace(
        'scheduler: rr',
        'scheduler: rr\n    quorum_user: daemon\n    quorum_group: nogroup',
      ).replace(
        'notify_down: [/bin/n, down, a]}',
        'notify_down: [/bin/n, down, a], notify_user: nobody, notify_group: daemon}',
      ),
    );
    const t = setup(cfg);
    await t.c.start();
    t.checks().fire(ID2, 'up');
    t.checks().fire(ID3, 'up');
    await t.clock.advance(25);
    t.checks().fire(ID2, 'down');
    t.checks().fire(ID3, 'down');
    await t.clock.advance(25);
    await flush();
    const who = t.runner.runs.map((r) => `${r.argv.join(' ')} as ${r.user ?? '-'}:${r.group ?? '-'}`);
    expect(who).toEqual(['/bin/n down a as nobody:daemon', '/bin/q down as daemon:nogroup']);
  });

  it('alpha: true starts servers down: a kernel-present one is taken out until it rises', async () => {
    const cfg = config(TWO.replace('scheduler: rr', 'scheduler: rr\n    alpha: true'));
    const kernel = buildTable([{ service: svc, dests: [dest('198.51.100.2')] }]);
    const t = setup(cfg, { kernel });
    await t.c.start();
    expect(t.ipvs.dests()).toEqual(['198.51.100.99:80 w1']);
    expect(t.lines.some((l) => l.fields.event === 'quorum-change' && l.fields.to === 'down')).toBe(true);
    t.checks().fire(ID2, 'up');
    await t.clock.advance(25);
    expect(t.ipvs.dests()).toEqual(['198.51.100.2:80 w1']);
    await flush();
    expect(t.runner.runs.map((r) => r.argv.join(' '))).toEqual(['/bin/q down', '/bin/n up a', '/bin/q up']);
  });

  it('inhibit_on_failure: a failed server stays at weight 0', async () => {
    const t = setup(
      config(TWO.replace('check: {type: tcp}}', 'inhibit_on_failure: true, check: {type: tcp}}')),
    );
    await t.c.start();
    expect(t.ipvs.dests()).toEqual(['198.51.100.3:80 w0']);
    t.checks().fire(ID3, 'up');
    await t.clock.advance(25);
    t.checks().fire(ID3, 'down');
    await t.clock.advance(25);
    expect(t.ipvs.dests()).toEqual(['198.51.100.3:80 w0']);
    const rs = t.c.snapshot().virtualServers[0]!.realServers[1]!;
    expect(rs).toMatchObject({ health: 'down', ipvsWeight: 0, inIpvs: true, weight: 1 });
  });
});

describe('LvsController: reload', () => {
  it('keeps check ids, retires a dropped service, adds a new one, leaves foreign ones', async () => {
    const two = config(
      `${TWO}  - {address: 192.0.2.51, port: 443, scheduler: rr, real_servers: [{address: 198.51.100.7, port: 443}]}\n`,
    );
    const foreign = buildTable([{ service: { ...svc, port: 8080 }, dests: [] }]);
    const t = setup(two, { kernel: foreign });
    await t.c.start();
    expect(t.ipvs.dests('tcp:192.0.2.51:443')).toEqual(['198.51.100.7:443 w1']);
    const ids = t.checks().specs.map((s) => s.id);
    await t.reload(config(TWO.replace('scheduler: rr', 'scheduler: wrr')));
    expect(t.checks().specs.map((s) => s.id)).toEqual(ids);
    expect(t.ipvs.table.has('tcp:192.0.2.51:443')).toBe(false);
    expect(t.ipvs.table.has('tcp:192.0.2.50:8080')).toBe(true);
    expect(t.ipvs.table.get('tcp:192.0.2.50:80')?.service.scheduler).toBe('wrr');
    expect(t.ipvs.allOps()).not.toContain('delete-service 192.0.2.50');
  });

  it('its slice says what changed: the same config leaves the checks alone, a changed virtual server sets them again', async () => {
    const t = setup(config(TWO));
    await t.c.start();
    expect(t.checks().setCalls).toBe(1);
    await t.reload(config(TWO));
    expect(t.checks().setCalls).toBe(1);
    await t.reload(config(TWO.replace('scheduler: rr', 'scheduler: wrr')));
    expect(t.checks().setCalls).toBe(2);
  });

  it('lvs_timeouts are applied at start and on reload, only when set', async () => {
    const t = setup(config(`${TWO}lvs_timeouts: {tcp: 900, udp: 30}\n`));
    await t.c.start();
    expect(t.ipvs.timeouts).toEqual([{ tcpS: 900, udpS: 30 }]);
    await t.clock.advance(30_000);
    expect(t.ipvs.timeouts.length).toBe(1);
    await t.reload(config(`${TWO}lvs_timeouts: {tcp_fin: 60}\n`));
    expect(t.ipvs.timeouts).toEqual([{ tcpS: 900, udpS: 30 }, { tcpFinS: 60 }]);
    await t.reload(config(TWO));
    expect(t.ipvs.timeouts.length).toBe(2);
  });
});

describe('LvsController: sync daemon follows the VRRP instance', () => {
  it('backup at start; master → MASTER (BACKUP stopped); fault → BACKUP; other instances ignored', async () => {
    const t = setup(config(`${TWO}lvs_sync_daemon: {interface: eth0, instance: VI_1, sync_id: 51}\n`));
    await t.c.start();
    expect(t.ipvs.daemonCalls).toEqual(['start backup eth0 51']);
    t.c.instanceStateChanged('VI_2', 'master');
    await t.clock.advance(25);
    expect(t.ipvs.daemonCalls.length).toBe(1);
    t.c.instanceStateChanged('VI_1', 'master');
    await t.clock.advance(25);
    expect(t.ipvs.daemonCalls.slice(1)).toEqual(['stop backup', 'start master eth0 51']);
    t.c.instanceStateChanged('VI_1', 'fault');
    await t.clock.advance(25);
    expect(t.ipvs.daemonCalls.slice(3)).toEqual(['stop master', 'start backup eth0 51']);
    // healed when stopped by hand
    t.ipvs.daemons = [];
    await t.clock.advance(10_100);
    expect(t.ipvs.daemonCalls.slice(5)).toEqual(['start backup eth0 51']);
    // removed from the config: stopped
    await t.reload(config(TWO));
    expect(t.ipvs.daemonCalls.slice(6)).toEqual(['stop backup']);
  });
});

describe('LvsController: errors and no IPVS', () => {
  it('a refused op is logged and shown in ipvs.lastError, and cleared when a pass succeeds', async () => {
    const t = setup(config(TWO));
    t.ipvs.failOp = {
      op: 'add-service',
      message:
        "add service tcp:192.0.2.50:80 scheduler rr: scheduler 'rr' not available: load kernel module ip_vs_rr (modprobe ip_vs_rr) (ENOENT)",
    };
    await t.c.start();
    let ipvs = t.c.snapshot().ipvs!;
    expect(ipvs.available).toBe(true);
    expect(ipvs.lastError).toContain('modprobe ip_vs_rr');
    expect(ipvs.lastReconcileOps).toBe(0);
    expect(t.lines.filter((l) => l.fields.event === 'ipvs-error').length).toBe(1);
    await t.clock.advance(10_100); // same error again: not logged twice
    expect(t.lines.filter((l) => l.fields.event === 'ipvs-error').length).toBe(1);
    t.ipvs.failOp = undefined;
    await t.clock.advance(10_100);
    ipvs = t.c.snapshot().ipvs!;
    expect(ipvs.lastError).toBeNull();
    expect(ipvs.lastReconcileOps).toBe(1);
    expect(ipvs.lastReconcileAt).toMatch(/^2026-01-01T00:00:/);
  });

  it('no IPVS in the kernel: logged once, available=false, checks and status keep working', async () => {
    const clock = new FakeClock();
    const lines: LogLine[] = [];
    let checks!: FakeChecks;
    let attempts = 0;
    const c = new LvsController(config(TWO), recordingLog(lines), {
      clock,
      runner: new FakeRunner(),
      ipvs: async () => {
        attempts++;
        throw Object.assign(new Error('the kernel has no IPVS: modprobe ip_vs'), { code: 'IPVS_MISSING' });
      },
      checks: (o) => {
        checks = new FakeChecks(o);
        return checks;
      },
    });
    await c.start();
    checks.fire(ID2, 'up');
    await clock.advance(25_000);
    const s = c.snapshot();
    expect(s.ipvs).toMatchObject({
      available: false,
      lastReconcileAt: null,
      lastError: 'the kernel has no IPVS: modprobe ip_vs',
    });
    expect(s.virtualServers[0]?.realServers[0]).toMatchObject({
      health: 'up',
      inIpvs: false,
      ipvsWeight: null,
    });
    expect(attempts).toBeGreaterThan(1); // retried: the module may be loaded later
    expect(lines.filter((l) => l.fields.event === 'ipvs-unavailable').length).toBe(1);
    c.stop();
  });

  it('no virtual servers and no sync daemon: IPVS is not even opened; ipvs status is null', async () => {
    let opened = false;
    const c = new LvsController(config(''), recordingLog([]), {
      clock: new FakeClock(),
      runner: new FakeRunner(),
      ipvs: async () => {
        opened = true;
        return new FakeIpvs();
      },
    });
    await c.start();
    expect(opened).toBe(false);
    expect(c.snapshot()).toEqual({ virtualServers: [], ipvs: null });
    c.stop();
  });
});

describe('LvsController: snapshot', () => {
  it('has the control/snapshot.ts shapes', async () => {
    const t = setup(config(TWO));
    await t.c.start();
    t.checks().fire(ID2, 'up', 'first check passed');
    await t.clock.advance(25);
    const s = t.c.snapshot();
    expect(s.ipvs).toEqual({
      available: true,
      lastReconcileAt: '2026-01-01T00:00:00.020Z',
      lastReconcileOps: 1,
      lastError: null,
    });
    expect(s.virtualServers).toEqual([
      {
        key: 'tcp/192.0.2.50:80',
        address: '192.0.2.50',
        port: 80,
        fwmark: null,
        protocol: 'tcp',
        family: 4,
        scheduler: 'rr',
        forwarding: 'nat',
        persistenceTimeoutS: 0,
        quorum: 1,
        quorumUp: true,
        sorryServer: { address: '198.51.100.99', port: 80 },
        sorryActive: false,
        inIpvs: true,
        realServers: [
          {
            address: '198.51.100.2',
            port: 80,
            weight: 1,
            ipvsWeight: 1,
            forwarding: 'nat',
            health: 'up',
            healthSince: '2026-01-01T00:00:00.000Z',
            inIpvs: true,
            checkType: 'http',
            lastCheck: { ok: true, reason: 'ok', latencyMs: 1, at: '2026-01-01T00:00:00.000Z' },
            checksOk: 2,
            checksFailed: 1,
          },
          {
            address: '198.51.100.3',
            port: 80,
            weight: 1,
            ipvsWeight: null,
            forwarding: 'nat',
            health: 'unknown',
            healthSince: '2026-01-01T00:00:00.000Z',
            inIpvs: false,
            checkType: 'tcp',
            lastCheck: null,
            checksOk: 2,
            checksFailed: 1,
          },
        ],
      },
    ]);
  });
});

describe('LvsController: ha_suspend', () => {
  const HA = TWO.replace('scheduler: rr', 'scheduler: rr\n    ha_suspend: true');

  it('checks are suspended while the virtual address is not local and resume when it appears; health and table stay', async () => {
    const addrs = new FakeAddresses();
    addrs.present.add('192.0.2.50');
    const t = setup(config(HA), { addresses: addrs });
    await t.c.start();
    expect(addrs.opened).toBe(1);
    const suspendedOf = () => t.checks().specs.map((s) => s.suspended === true);
    expect(suspendedOf()).toEqual([false, false]);
    t.checks().fire(ID2, 'up');
    t.checks().fire(ID3, 'down');
    await t.clock.advance(25);
    expect(t.ipvs.dests()).toEqual(['198.51.100.2:80 w1']);
    const setsBefore = t.checks().setCalls;

    addrs.set('192.0.2.50', false);
    expect(suspendedOf()).toEqual([true, true]);
    expect(t.checks().setCalls).toBe(setsBefore + 1);
    await t.clock.advance(25);
    // keepalived leaves the table alone: the real servers keep their last health
    expect(t.ipvs.dests()).toEqual(['198.51.100.2:80 w1']);
    const s = t.c.snapshot().virtualServers[0]!;
    expect(s.checksSuspended).toBe(true);
    expect(s.realServers.map((r) => r.health)).toEqual(['up', 'down']);
    const l = t.lines.find((x) => x.fields.event === 'checks-suspended');
    expect(l?.fields).toMatchObject({ virtualServer: 'tcp/192.0.2.50:80', address: '192.0.2.50' });

    addrs.set('198.51.100.200', true); // another address: nothing changes
    expect(t.checks().setCalls).toBe(setsBefore + 1);
    addrs.set('192.0.2.50', true);
    expect(suspendedOf()).toEqual([false, false]);
    expect(t.c.snapshot().virtualServers[0]!.checksSuspended).toBeUndefined();
    expect(t.lines.some((x) => x.fields.event === 'checks-resumed')).toBe(true);
    t.c.stop();
    expect(addrs.closed).toBe(true);
  });

  it('starts suspended when the address is absent; without ha_suspend the watch is never opened', async () => {
    const addrs = new FakeAddresses();
    const t = setup(config(HA), { addresses: addrs });
    await t.c.start();
    expect(t.checks().specs.every((s) => s.suspended === true)).toBe(true);
    expect(t.c.snapshot().virtualServers[0]!.checksSuspended).toBe(true);
    // a reload turning ha_suspend off resumes them
    await t.reload(config(TWO));
    expect(t.checks().specs.some((s) => s.suspended)).toBe(false);
    expect(t.lines.find((x) => x.fields.event === 'checks-resumed')?.msg).toMatch(/ha_suspend is off/);

    const other = new FakeAddresses();
    const u = setup(config(TWO), { addresses: other });
    await u.c.start();
    expect(other.opened).toBe(0);
    expect(u.checks().specs.some((s) => s.suspended)).toBe(false);
  });
});
