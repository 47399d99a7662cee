// The LVS controller keeps the table it last read and wrote: a reload or a health change
// is diffed against that table and sends only its messages, without reading the kernel;
// the periodic heal reads HEAL_SLICE services per step and lets a health change through
// between two steps; a failed op makes the next pass read everything again.
import { describe, expect, it } from 'vitest';
import type { CheckManager, CheckManagerOptions, CheckSnapshot, CheckSpec } from '../../src/check/manager.js';
import { type Config, diffConfig, parseConfigText } from '../../src/config/index.js';
import type { ScriptRunner } from '../../src/effects/types.js';
import { applyOps, applyOpsInPlace, type OpFailure } from '../../src/lvs/apply.js';
import {
  HEAL_REAL_SERVERS,
  HEAL_SLICE,
  LvsController,
  type LvsIpvsClient,
  PERIOD_MS,
} from '../../src/lvs/controller.js';
import { cloneTable, type IpvsService, type IpvsTable, serviceKey } from '../../src/lvs/model.js';
import type { IpvsOp } from '../../src/lvs/reconcile.js';
import { recordingLog } from '../helpers/log.js';
import { FakeClock } from './check-fakes.js';

class Kernel implements LvsIpvsClient {
  table: IpvsTable = new Map();
  calls: string[] = [];
  ops: IpvsOp[] = [];
  failNext: IpvsOp['op'] | null = null;
  /** while set, dumpOnly() waits for it */
  gate?: Promise<void>;
  async dump(): Promise<IpvsTable> {
    this.calls.push('dump');
    return cloneTable(this.table);
  }
  async dumpOnly(services: Iterable<IpvsService>): Promise<IpvsTable> {
    if (this.gate) await this.gate;
    const out: IpvsTable = new Map();
    let n = 0;
    for (const s of services) {
      n++;
      const e = this.table.get(serviceKey(s));
      if (e) out.set(serviceKey(s), cloneTable(new Map([['k', e]])).get('k')!);
    }
    this.calls.push(`dumpOnly ${n}`);
    return out;
  }
  async applyAll(ops: readonly IpvsOp[]): Promise<{ failures: OpFailure[] }> {
    this.calls.push(`apply ${ops.length}`);
    const failures: OpFailure[] = [];
    for (const op of ops) {
      if (this.failNext === op.op) {
        this.failNext = null;
        failures.push({ op, error: new Error('refused') });
        continue;
      }
      this.ops.push(op);
      this.table = applyOps(this.table, [op]);
    }
    return { failures };
  }
  async setTimeouts(): Promise<void> {}
  async startDaemon(): Promise<void> {}
  async stopDaemon(): Promise<void> {}
  async listDaemons() {
    return [];
  }
}

class Checks implements CheckManager {
  states = new Map<string, CheckSnapshot['state']>();
  constructor(readonly opts: CheckManagerOptions) {}
  set(checks: readonly CheckSpec[]) {
    for (const c of checks) if (!this.states.has(c.id)) this.states.set(c.id, 'up');
    return { added: [], removed: [], replaced: [], updated: [], unchanged: [] };
  }
  snapshot(): CheckSnapshot[] {
    return [...this.states.keys()].map((id) => this.get(id)!);
  }
  get(id: string): CheckSnapshot | undefined {
    const state = this.states.get(id);
    if (!state) return undefined;
    return {
      id,
      type: 'tcp',
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
    this.opts.onChange(id, { from, to, reason: 'test' }, { ok: to === 'up', latencyMs: 1 } as never);
  }
}

const runner: ScriptRunner = {
  run: async () => ({ code: 0, signal: null, timedOut: false, output: '', durationMs: 1 }),
};

/** `services` virtual servers of 3 real servers; the first real server of service 0 has a TCP check. */
function config(services: number, weightOfLast = 1, per = 3): Config {
  const out = ['global: {router_id: t}', 'virtual_servers:'];
  for (let v = 0; v < services; v++) {
    out.push(
      `  - {address: 203.0.113.${(v % 250) + 1}, port: ${1000 + v}, protocol: tcp, scheduler: wrr, real_servers: [`,
    );
    for (let r = 0; r < per; r++) {
      const last = v === services - 1 && r === per - 1;
      const check = v === 0 && r === 0 ? ', check: {type: tcp}' : '';
      out.push(
        `      {address: 10.${r >> 8}.${v % 250}.${r & 255}, port: 80, weight: ${last ? weightOfLast : 1}${check}},`,
      );
    }
    out.push('    ]}');
  }
  const r = parseConfigText(`${out.join('\n')}\n`, 'test.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors, null, 1));
  return r.config;
}

function setup(cfg: Config) {
  const clock = new FakeClock();
  const kernel = new Kernel();
  let checks!: Checks;
  const c = new LvsController(cfg, recordingLog([]), {
    ipvs: kernel,
    clock,
    runner,
    checks: (o) => {
      checks = new Checks(o);
      return checks;
    },
  });
  let current = cfg;
  const reload = (next: Config) => {
    const slice = diffConfig(current, next).lvs;
    current = next;
    return c.setConfig(next, slice);
  };
  return { c, clock, kernel, reload, checks: () => checks };
}

const count = (t: IpvsTable) => [...t.values()].reduce((n, e) => n + e.dests.size, 0);

describe('LvsController: incremental passes', () => {
  it('start reads the table once; a reload of one weight sends one edit and reads nothing', async () => {
    const t = setup(config(20));
    await t.c.start();
    expect(t.kernel.calls).toEqual(['dump', 'apply 80']);
    expect(count(t.kernel.table)).toBe(60);
    t.kernel.calls = [];
    t.kernel.ops = [];
    await t.reload(config(20, 7));
    expect(t.kernel.calls).toEqual(['apply 1']);
    expect(
      t.kernel.ops.map((o) => `${o.op} ${'dest' in o ? `${o.dest.address} w${o.dest.weight}` : ''}`),
    ).toEqual(['edit-dest 10.0.19.2 w7']);
  });

  it('a health change sends only its own message; a removed service is deleted from the kept table', async () => {
    const t = setup(config(5));
    await t.c.start();
    t.kernel.calls = [];
    t.checks().fire('tcp/203.0.113.1:1000 10.0.0.0:80', 'down');
    await t.clock.advance(25);
    expect(t.kernel.calls).toEqual(['apply 1']);
    expect(t.kernel.ops.at(-1)?.op).toBe('delete-dest');
    t.kernel.calls = [];
    await t.reload(config(4));
    expect(t.kernel.calls).toEqual(['apply 1']);
    expect(t.kernel.ops.at(-1)?.op).toBe('delete-service');
    expect(t.kernel.table.size).toBe(4);
  });

  it(`the heal reads ${HEAL_SLICE} services per step, repairs a hand-made change, lets a health change through between steps`, async () => {
    const n = HEAL_SLICE * 2 + 10;
    const t = setup(config(n));
    await t.c.start();
    // by hand: a real server of the last service removed
    const last = [...t.kernel.table.values()].at(-1)!;
    const gone = [...last.dests.values()][0]!;
    t.kernel.table = applyOps(t.kernel.table, [{ op: 'delete-dest', service: last.service, dest: gone }]);
    t.kernel.calls = [];
    let open!: () => void;
    t.kernel.gate = new Promise((r) => {
      open = r;
    });
    await t.clock.advance(PERIOD_MS); // the first step starts and waits in its read
    t.checks().fire('tcp/203.0.113.1:1000 10.0.0.0:80', 'down');
    await t.clock.advance(25); // the health pass is queued behind that step
    t.kernel.gate = undefined;
    open();
    // the other two steps follow, spread over the period (not back to back)
    await t.clock.advance(100);
    expect(t.kernel.calls).toEqual([`dumpOnly ${HEAL_SLICE}`, 'apply 1']);
    await t.clock.advance(PERIOD_MS * 0.6);
    expect(t.kernel.calls).toEqual([
      `dumpOnly ${HEAL_SLICE}`,
      'apply 1',
      `dumpOnly ${HEAL_SLICE}`,
      'dumpOnly 10',
      'apply 1',
    ]);
    expect(count(t.kernel.table)).toBe(3 * n - 1);
    expect(t.kernel.calls.includes('dump')).toBe(false);
  });

  it(`a heal step reads about ${HEAL_REAL_SERVERS} real servers at most (fewer services when they are big)`, async () => {
    const t = setup(config(6, 1, 400));
    await t.c.start();
    t.kernel.calls = [];
    await t.clock.advance(PERIOD_MS * 1.9);
    expect(t.kernel.calls).toEqual(['dumpOnly 3', 'dumpOnly 3']);
  });

  it('a refused op makes the next pass read the whole table again', async () => {
    const t = setup(config(3));
    await t.c.start();
    t.kernel.calls = [];
    t.kernel.failNext = 'edit-dest';
    await t.reload(config(3, 5));
    expect(t.kernel.calls[0]).toBe('apply 1');
    await t.clock.advance(25);
    expect(t.kernel.calls.slice(1)).toEqual(['dump', 'apply 1']);
    expect([...t.kernel.table.values()].at(-1)?.dests.get('10.0.2.2:80')?.weight).toBe(5);
  });
});

describe('applyOpsInPlace', () => {
  it('follows applyOps and says when an op did not fit', () => {
    const t: IpvsTable = new Map();
    const s: IpvsService = {
      family: 4,
      protocol: 'tcp',
      address: '192.0.2.1',
      port: 80,
      scheduler: 'rr',
      flags: { persistent: false, onePacket: false, shFallback: false, shPort: false, sched3: false },
      timeoutS: 0,
      netmask: 32,
    };
    const d = {
      family: 4 as const,
      address: '10.0.0.1',
      port: 80,
      forwarding: 'nat' as const,
      weight: 1,
      upperThreshold: 0,
      lowerThreshold: 0,
    };
    const ops: IpvsOp[] = [
      { op: 'add-service', service: s },
      { op: 'add-dest', service: s, dest: d },
      { op: 'edit-dest', service: s, dest: { ...d, weight: 3 }, was: d },
    ];
    expect(applyOpsInPlace(t, ops)).toBe(true);
    expect(t).toEqual(applyOps(new Map(), ops));
    expect(applyOpsInPlace(t, [{ op: 'add-dest', service: s, dest: d }])).toBe(false);
    expect(applyOpsInPlace(t, [{ op: 'delete-service', service: s }])).toBe(true);
    expect(applyOpsInPlace(t, [{ op: 'delete-dest', service: s, dest: d }])).toBe(false);
  });
});
