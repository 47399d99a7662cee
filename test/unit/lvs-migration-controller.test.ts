// The LVS controller with the migration features, against a fake IPVS kernel, fake checks
// and a fake clock: several checks of one real server make one health (all must pass), a
// virtual server group's services share one check per real server and one quorum, omega
// runs the down hooks at shutdown, a removed service runs them always; and the combining
// wrapper over the real check manager.
import { describe, expect, it } from 'vitest';
import { combineStates, withCombinedHealth } from '../../src/check/combined.js';
import {
  type CheckManager,
  type CheckManagerOptions,
  type CheckSnapshot,
  type CheckSpec,
  createCheckManager,
} from '../../src/check/manager.js';
import type { Probe, ProbeResult } from '../../src/check/probe.js';
import { type Config, diffConfig, parseConfigText } from '../../src/config/index.js';
import type { ScriptRunner } from '../../src/effects/types.js';
import { applyOps, type OpFailure } from '../../src/lvs/apply.js';
import { LvsController, type LvsIpvsClient } from '../../src/lvs/controller.js';
import { cloneTable, type IpvsTable } from '../../src/lvs/model.js';
import type { IpvsOp } from '../../src/lvs/reconcile.js';
import { recordingLog } from '../helpers/log.js';
import { FakeClock, flush } from './check-fakes.js';

class FakeIpvs implements LvsIpvsClient {
  table: IpvsTable = new Map();
  async dump(): Promise<IpvsTable> {
    return cloneTable(this.table);
  }
  async applyAll(ops: readonly IpvsOp[]): Promise<{ failures: OpFailure[] }> {
    this.table = applyOps(this.table, ops);
    return { failures: [] };
  }
  async setTimeouts(): Promise<void> {}
  async startDaemon(): Promise<void> {}
  async stopDaemon(): Promise<void> {}
  async listDaemons() {
    return [];
  }
  /** service key → 'address weight', sorted */
  view(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [k, s] of this.table)
      out[k] = [...s.dests.values()].map((d) => `${d.address} w${d.weight}`).sort();
    return out;
  }
}

class FakeChecks implements CheckManager {
  specs: CheckSpec[] = [];
  states = new Map<string, CheckSnapshot['state']>();
  constructor(readonly opts: CheckManagerOptions) {}
  set(checks: readonly CheckSpec[]) {
    this.specs = [...checks];
    for (const c of checks) if (!this.states.has(c.id)) this.states.set(c.id, c.alpha ? 'down' : 'unknown');
    return { added: [], removed: [], replaced: [], updated: [], unchanged: [] };
  }
  snapshot(): CheckSnapshot[] {
    return this.specs.map((s) => this.get(s.id)!);
  }
  get(id: string): CheckSnapshot | undefined {
    const state = this.states.get(id);
    const spec = this.specs.find((s) => s.id === id);
    if (!state || !spec) return undefined;
    return {
      id,
      type: spec.probe.type,
      state,
      consecutiveOk: 0,
      consecutiveFail: 0,
      checks: 1,
      failures: 0,
      transitions: 0,
    };
  }
  stop() {}
  fire(id: string, to: 'up' | 'down') {
    const from = this.states.get(id) ?? 'unknown';
    this.states.set(id, to);
    const r = { ok: to === 'up', latencyMs: 1, reason: to } as ProbeResult;
    this.opts.onResult?.(id, r);
    this.opts.onChange(id, { from, to, reason: to }, r);
  }
}

class FakeRunner implements ScriptRunner {
  runs: string[] = [];
  async run(argv: readonly string[]) {
    this.runs.push(argv.join(' '));
    return { code: 0, signal: null, timedOut: false, output: '', durationMs: 1 };
  }
}

function config(text: string): Config {
  const r = parseConfigText(text, 'test.yaml', { hostname: 'h' });
  if (!r.ok) throw new Error(JSON.stringify(r.errors, null, 1));
  return r.config;
}

function setup(cfg: Config) {
  const clock = new FakeClock();
  const ipvs = new FakeIpvs();
  const runner = new FakeRunner();
  const results: string[] = [];
  let checks!: FakeChecks;
  const c = new LvsController(cfg, recordingLog([]), {
    ipvs,
    clock,
    runner,
    onCheckResult: (o) => results.push(`${o.realServer} ${o.type} ${o.ok}`),
    checks: (o) => {
      checks = new FakeChecks(o);
      return checks;
    },
  });
  let current = cfg;
  const reload = (next: Config) => {
    const slice = diffConfig(current, next).lvs;
    current = next;
    return c.setConfig(next, slice);
  };
  return { c, clock, ipvs, runner, reload, results, checks: () => checks };
}

const MULTI = `
virtual_servers:
  - address: 192.0.2.50
    port: 80
    quorum_down: [/bin/q, down]
    real_servers:
      - address: 198.51.100.2
        port: 80
        notify_up: [/bin/n, up]
        notify_down: [/bin/n, down]
        checks: [{type: tcp}, {type: http, urls: [{path: /a}, {path: /b}]}]
`;
const RS = 'tcp/192.0.2.50:80 198.51.100.2:80';

describe('several checks of one real server: one health, all must pass', () => {
  it('in only when every check is up; out when one fails; hooks once per change', async () => {
    const t = setup(config(MULTI));
    await t.c.start();
    expect(t.checks().specs.map((s) => s.id)).toEqual([RS, `${RS} #2`, `${RS} #3`]);
    t.checks().fire(RS, 'up');
    t.checks().fire(`${RS} #2`, 'up');
    await t.clock.advance(25);
    expect(t.ipvs.view()['tcp:192.0.2.50:80']).toEqual([]);
    t.checks().fire(`${RS} #3`, 'up');
    await t.clock.advance(25);
    expect(t.ipvs.view()['tcp:192.0.2.50:80']).toEqual(['198.51.100.2 w1']);
    t.checks().fire(`${RS} #2`, 'down');
    await t.clock.advance(25);
    expect(t.ipvs.view()['tcp:192.0.2.50:80']).toEqual([]);
    t.checks().fire(RS, 'down'); // already down: no second notify_down
    await t.clock.advance(25);
    expect(t.runner.runs.filter((r) => r.startsWith('/bin/n'))).toEqual(['/bin/n down']);
    const snap = t.c.snapshot().virtualServers[0]!.realServers[0]!;
    expect(snap.health).toBe('down');
    // each result is counted under the kind of check that produced it
    expect(t.results.slice(0, 3)).toEqual([
      '198.51.100.2:80 tcp true',
      '198.51.100.2:80 http true',
      '198.51.100.2:80 http true',
    ]);
    t.c.stop();
  });
});

const GROUP = `
virtual_server_groups:
  - name: web
    entries: [{address: 192.0.2.10-12, port: 80}, {fwmark: 7}]
virtual_servers:
  - group: web
    quorum: 2
    quorum_down: [/bin/q, down]
    real_servers:
      - {address: 198.51.100.2, port: 80, check: {type: tcp}}
      - {address: 198.51.100.3, port: 80, check: {type: tcp}}
`;

describe('a virtual server group: one check per real server, one quorum for the pool', () => {
  it('a result reaches every service; quorum_down runs once', async () => {
    const t = setup(config(GROUP));
    await t.c.start();
    const a = 'group/web/tcp 198.51.100.2:80';
    const b = 'group/web/tcp 198.51.100.3:80';
    expect(t.checks().specs.map((s) => s.id)).toEqual([a, b]);
    t.checks().fire(a, 'up');
    t.checks().fire(b, 'up');
    await t.clock.advance(25);
    const v = t.ipvs.view();
    expect(Object.keys(v).sort()).toEqual([
      'fwmark:4:7',
      'tcp:192.0.2.10:80',
      'tcp:192.0.2.11:80',
      'tcp:192.0.2.12:80',
    ]);
    for (const k of Object.keys(v)) expect(v[k]).toEqual(['198.51.100.2 w1', '198.51.100.3 w1']);
    t.checks().fire(b, 'down');
    await t.clock.advance(25);
    for (const d of Object.values(t.ipvs.view())) expect(d).toEqual(['198.51.100.2 w1']);
    expect(t.runner.runs).toEqual(['/bin/q down']);
    t.c.stop();
  });

  it('a reload that adds an entry: the new service gets the up real servers at once (the checks keep their state)', async () => {
    const t = setup(config(GROUP));
    await t.c.start();
    t.checks().fire('group/web/tcp 198.51.100.2:80', 'up');
    t.checks().fire('group/web/tcp 198.51.100.3:80', 'up');
    await t.clock.advance(25);
    await t.reload(config(GROUP.replace('192.0.2.10-12', '192.0.2.10-13')));
    expect(t.ipvs.view()['tcp:192.0.2.13:80']).toEqual(['198.51.100.2 w1', '198.51.100.3 w1']);
    // removing an entry runs no down hook: the pool is still there
    t.runner.runs = [];
    await t.reload(config(GROUP.replace('192.0.2.10-12', '192.0.2.10-11')));
    await flush();
    expect(t.ipvs.view()['tcp:192.0.2.12:80']).toBeUndefined();
    expect(t.runner.runs).toEqual([]);
    t.c.stop();
  });
});

const OMEGA = (omega: boolean) => `
virtual_servers:
  - address: 192.0.2.50
    port: 80
    omega: ${omega}
    quorum_down: [/bin/q, down]
    real_servers:
      - {address: 198.51.100.2, port: 80, check: {type: tcp}, notify_down: [/bin/n, down, '2']}
      - {address: 198.51.100.3, port: 80, check: {type: tcp}, notify_down: [/bin/n, down, '3']}
      - {address: 198.51.100.4, port: 80, notify_down: [/bin/n, down, '4']}
`;

describe('omega and removal: the down hooks of a service that goes away', () => {
  it('omega: at shutdown notify_down of the up real servers, then quorum_down', async () => {
    const t = setup(config(OMEGA(true)));
    await t.c.start();
    t.checks().fire('tcp/192.0.2.50:80 198.51.100.2:80', 'up');
    t.checks().fire('tcp/192.0.2.50:80 198.51.100.3:80', 'down');
    await t.clock.advance(25);
    t.runner.runs = [];
    await t.c.stop();
    // .3 is down already; .4 has no check and counts as up (keepalived: alive)
    expect(t.runner.runs).toEqual(['/bin/n down 2', '/bin/n down 4', '/bin/q down']);
  });

  it('without omega: nothing at shutdown', async () => {
    const t = setup(config(OMEGA(false)));
    await t.c.start();
    t.checks().fire('tcp/192.0.2.50:80 198.51.100.2:80', 'up');
    await t.clock.advance(25);
    t.runner.runs = [];
    await t.c.stop();
    expect(t.runner.runs).toEqual([]);
  });

  it('a reload that removes the service runs them (omega or not), quorum_down only if the quorum was up', async () => {
    const t = setup(config(OMEGA(false)));
    await t.c.start();
    t.checks().fire('tcp/192.0.2.50:80 198.51.100.2:80', 'up');
    await t.clock.advance(25);
    t.runner.runs = [];
    await t.reload(config('virtual_servers: []\n'));
    await flush();
    expect(t.runner.runs).toEqual(['/bin/n down 2', '/bin/n down 4', '/bin/q down']);
    expect(t.ipvs.view()).toEqual({});
    t.c.stop();
  });
});

describe('withCombinedHealth over the real check manager', () => {
  it('combineStates: any down → down, all up → up, else unknown', () => {
    expect(combineStates(['up', 'up'])).toBe('up');
    expect(combineStates(['up', 'unknown'])).toBe('unknown');
    expect(combineStates(['unknown', 'down'])).toBe('down');
    expect(combineStates([])).toBe('unknown');
  });

  it('parts keep their own schedule and hysteresis; the group reports one transition', async () => {
    const clock = new FakeClock();
    const ok = new Map<string, boolean>([
      ['a', true],
      ['a #2', true],
    ]);
    const changes: string[] = [];
    const probeFactory = (spec: CheckSpec): Probe => {
      const p = (async () => ({ ok: ok.get(spec.id)!, latencyMs: 1, reason: 'no' }) as ProbeResult) as Probe;
      return p;
    };
    const m = withCombinedHealth(createCheckManager)({
      runner: new FakeRunner(),
      clock,
      jitter: 0,
      probeFactory,
      onChange: (id, t) => changes.push(`${id} ${t.from}→${t.to}`),
    });
    const spec = (id: string, intervalMs: number): CheckSpec & { group: string } => ({
      id,
      group: 'a',
      probe: { type: 'tcp', host: '198.51.100.2', port: 80 },
      intervalMs,
      timeoutMs: 100,
      rise: 1,
      fall: 1,
      retry: 0,
      retryDelayMs: 0,
      alpha: false,
    });
    m.set([spec('a', 1000), spec('a #2', 3000)]);
    await clock.advance(3500);
    expect(changes).toEqual(['a unknown→up']);
    expect(m.snapshot().map((s) => [s.id, s.state])).toEqual([['a', 'up']]);
    ok.set('a #2', false);
    await clock.advance(3000);
    expect(changes).toEqual(['a unknown→up', 'a up→down']);
    expect(m.get('a')?.lastResult).toMatchObject({ ok: false });
    ok.set('a #2', true);
    await clock.advance(3000);
    expect(changes.at(-1)).toBe('a down→up');
    m.stop();
  });
});
