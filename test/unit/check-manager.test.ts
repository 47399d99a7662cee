import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Transition } from '../../src/check/hysteresis.js';
import { type CheckSpec, createCheckManager } from '../../src/check/manager.js';
import type { Probe, ProbeResult } from '../../src/check/probe.js';
import type { ScriptRunner } from '../../src/effects/types.js';
import { type LogLine, recordingLog } from '../helpers/log.js';
import { FakeClock } from './check-fakes.js';

const noRunner: ScriptRunner = {
  run: async () => ({ code: 0, signal: null, timedOut: false, output: '', durationMs: 0 }),
};

function spec(id: string, over: Partial<CheckSpec> = {}): CheckSpec {
  return {
    id,
    probe: { type: 'tcp', host: '192.0.2.1', port: 80 },
    intervalMs: 1000,
    timeoutMs: 500,
    rise: 1,
    fall: 1,
    retry: 0,
    retryDelayMs: 100,
    alpha: false,
    ...over,
  };
}

/** Fake probes whose outcome per id is set by the test; records when each probe ran. */
function harness() {
  const clock = new FakeClock();
  const outcome = new Map<string, boolean | 'hang'>();
  const runs: Array<[string, number]> = [];
  const changes: Array<[string, Transition, ProbeResult]> = [];
  const probeFactory = (s: CheckSpec): Probe => {
    return (signal) => {
      runs.push([s.id, clock.now()]);
      const o = outcome.get(s.id) ?? true;
      if (o === 'hang') return new Promise(() => {}); // ignores the signal on purpose
      void signal;
      return Promise.resolve(o ? { ok: true, latencyMs: 1 } : { ok: false, reason: 'refused', latencyMs: 1 });
    };
  };
  const mgr = createCheckManager({
    runner: noRunner,
    clock,
    random: () => 0,
    jitter: 0,
    probeFactory,
    onChange: (id, t, r) => changes.push([id, t, r]),
  });
  return { clock, outcome, runs, changes, mgr };
}

describe('check manager', () => {
  it('a suspended check (ha_suspend) does not probe and keeps its state; unsuspended it runs again', async () => {
    const h = harness();
    h.mgr.set([spec('a')]);
    await h.clock.advance(10);
    expect(h.mgr.get('a')?.state).toBe('up');
    const before = h.runs.length;
    const r = h.mgr.set([spec('a', { suspended: true })]);
    expect(r.updated).toEqual(['a']);
    h.outcome.set('a', false);
    await h.clock.advance(5000);
    expect(h.runs.length).toBe(before);
    expect(h.mgr.get('a')).toMatchObject({ state: 'up', suspended: true });
    h.mgr.set([spec('a')]);
    await h.clock.advance(1100);
    expect(h.runs.length).toBeGreaterThan(before);
    expect(h.mgr.get('a')?.state).toBe('down');
    expect(h.mgr.get('a')?.suspended).toBeUndefined();
    expect(h.changes.map(([id, t]) => `${id}:${t.from}>${t.to}`)).toEqual(['a:unknown>up', 'a:up>down']);
  });

  it('reports transitions once, with the result that caused them', async () => {
    const h = harness();
    h.mgr.set([spec('a', { fall: 2 })]);
    await h.clock.advance(10);
    expect(h.changes.map(([id, t]) => `${id}:${t.from}>${t.to}`)).toEqual(['a:unknown>up']);
    h.outcome.set('a', false);
    await h.clock.advance(3000);
    expect(h.changes.map(([, t]) => `${t.from}>${t.to}`)).toEqual(['unknown>up', 'up>down']);
    const [, t, r] = h.changes[1]!;
    expect(t.reason).toBe('2 consecutive failures: refused');
    expect(r).toEqual({ ok: false, reason: 'refused', latencyMs: 1 });
    h.mgr.stop();
  });

  it('retries after retry_delay before counting a failure', async () => {
    const h = harness();
    h.mgr.set([spec('a', { retry: 2, retryDelayMs: 100 })]);
    await h.clock.advance(10);
    h.outcome.set('a', false);
    h.runs.length = 0;
    await h.clock.advance(1300);
    expect(h.runs.map(([, t]) => t)).toEqual([1000, 1100, 1200]);
    expect(h.changes.at(-1)?.[1].reason).toContain('after 2 retries');
    h.mgr.stop();
  });

  it('a probe that ignores its signal is still cut off at the timeout', async () => {
    const h = harness();
    h.outcome.set('a', 'hang');
    h.mgr.set([spec('a', { timeoutMs: 300 })]);
    await h.clock.advance(400);
    expect(h.changes).toHaveLength(1);
    expect(h.changes[0]![1]).toMatchObject({
      to: 'down',
      reason: 'first check failed: timed out after 300 ms',
    });
    expect(h.mgr.get('a')).toMatchObject({ state: 'down', checks: 1, failures: 1, lastLatencyMs: 300 });
    h.mgr.stop();
  });

  it('alpha starts down and needs rise successes', async () => {
    const h = harness();
    h.mgr.set([spec('a', { alpha: true, rise: 3 })]);
    expect(h.mgr.get('a')?.state).toBe('down');
    await h.clock.advance(1100);
    expect(h.changes).toHaveLength(0);
    await h.clock.advance(1000);
    expect(h.changes.map(([, t]) => `${t.from}>${t.to}:${t.reason}`)).toEqual([
      'down>up:3 consecutive successes',
    ]);
    h.mgr.stop();
  });

  it('reload: unchanged and timing-only changes keep state; a new probe resets; removed stop', async () => {
    const h = harness();
    h.mgr.set([spec('keep'), spec('timing'), spec('target'), spec('gone')]);
    await h.clock.advance(10);
    expect(h.mgr.snapshot().every((s) => s.state === 'up')).toBe(true);
    const before = h.mgr.get('keep')!;

    // same content, different key order: unchanged
    const reordered = Object.fromEntries(Object.entries(spec('keep')).reverse()) as unknown as CheckSpec;
    reordered.probe = { port: 80, host: '192.0.2.1', type: 'tcp' };
    const res = h.mgr.set([
      reordered,
      spec('timing', { intervalMs: 2000, fall: 3 }),
      spec('target', { probe: { type: 'tcp', host: '192.0.2.2', port: 80 } }),
      spec('new'),
    ]);
    expect(res).toEqual({
      added: ['new'],
      removed: ['gone'],
      replaced: ['target'],
      updated: ['timing'],
      unchanged: ['keep'],
    });
    expect(h.mgr.get('keep')).toEqual(before);
    expect(h.mgr.get('timing')).toMatchObject({ state: 'up', checks: 1 });
    expect(h.mgr.get('target')).toMatchObject({ state: 'unknown', checks: 0 });
    expect(h.mgr.get('gone')).toBeUndefined();

    h.changes.length = 0;
    h.runs.length = 0;
    await h.clock.advance(5000);
    expect(h.runs.some(([id]) => id === 'gone')).toBe(false);
    const timingRuns = h.runs.filter(([id]) => id === 'timing').map(([, t]) => t);
    for (let i = 1; i < timingRuns.length; i++)
      expect(timingRuns[i]! - timingRuns[i - 1]!).toBeGreaterThan(1800);
    expect(h.changes.map(([id, t]) => `${id}:${t.to}`).sort()).toEqual(['new:up', 'target:up']);
    h.mgr.stop();
  });

  it('rejects invalid specs with CHECK_INVALID and applies nothing', () => {
    const h = harness();
    h.mgr.set([spec('a')]);
    expect(() => h.mgr.set([spec('b', { intervalMs: 0 })])).toThrow(
      expect.objectContaining({ code: 'CHECK_INVALID' }),
    );
    expect(() => h.mgr.set([spec('b', { rise: 0 })])).toThrow(/rise must be an integer ≥ 1/);
    expect(() => h.mgr.set([spec('b'), spec('b')])).toThrow(/declared twice/);
    expect(() => h.mgr.set([spec('b', { probe: { type: 'tcp', host: 'x', port: 0 } })])).toThrow(
      /port 1-65535/,
    );
    expect(() => h.mgr.set([spec('b', { probe: { type: 'script', command: [] } })])).toThrow(
      /command is empty/,
    );
    expect(h.mgr.snapshot().map((s) => s.id)).toEqual(['a']);
    h.mgr.stop();
  });

  it('a throwing onChange handler does not stop checking', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const lines: LogLine[] = [];
    let ok = true;
    const mgr = createCheckManager({
      runner: noRunner,
      clock,
      random: () => 0,
      probeFactory: () => async () =>
        ok ? { ok: true, latencyMs: 0 } : { ok: false, reason: 'x', latencyMs: 0 },
      onChange: () => {
        calls++;
        throw new Error('handler bug');
      },
      logger: recordingLog(lines),
    });
    mgr.set([spec('a')]);
    await clock.advance(10);
    ok = false;
    await clock.advance(1000);
    expect(calls).toBe(2);
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      'health change handler failed',
      'health change handler failed',
    ]);
    mgr.stop();
  });
});

describe('check manager with real TCP probes (loopback, real clock)', () => {
  it('goes up against a listener and down when it closes', async () => {
    const server = net.createServer((s) => s.on('error', () => {}).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const changes: string[] = [];
    const mgr = createCheckManager({ runner: noRunner, onChange: (id, t) => changes.push(`${id}:${t.to}`) });
    try {
      mgr.set([
        spec('rs1', { probe: { type: 'tcp', host: '127.0.0.1', port }, intervalMs: 100, timeoutMs: 1000 }),
      ]);
      await until(() => changes.length === 1, 3000);
      expect(changes).toEqual(['rs1:up']);
      await new Promise<void>((r) => server.close(() => r()));
      await until(() => changes.length === 2, 3000);
      expect(changes).toEqual(['rs1:up', 'rs1:down']);
      const s = mgr.get('rs1')!;
      expect(s.lastResult?.ok).toBe(false);
      if (s.lastResult && !s.lastResult.ok) expect(s.lastResult.reason).toMatch(/ECONNREFUSED/);
    } finally {
      mgr.stop();
      server.close();
    }
  });
});

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

describe('check manager: attempts not run (saturated checker)', () => {
  it('a not-run result steps neither rise nor fall; the deadline is the timeout plus the probe slack', async () => {
    const clock = new FakeClock();
    let mode: 'ok' | 'notRun' | 'hang' = 'ok';
    const aborts: number[] = [];
    const probe: Probe = Object.assign(
      (signal: AbortSignal) =>
        new Promise<ProbeResult>((resolve) => {
          if (mode === 'ok') return resolve({ ok: true, latencyMs: 1 });
          if (mode === 'notRun')
            return resolve({ ok: false, reason: 'not run: waited', latencyMs: 1, notRun: true });
          signal.addEventListener('abort', () => {
            aborts.push(clock.now());
            resolve({ ok: false, reason: 'aborted', latencyMs: 1 });
          });
        }),
      { settlesOnAbort: true, deadlineSlackMs: 700 },
    );
    const changes: string[] = [];
    const mgr = createCheckManager({
      runner: noRunner,
      clock,
      random: () => 0,
      jitter: 0,
      probeFactory: () => probe,
      onChange: (id, t) => changes.push(`${id}:${t.from}>${t.to}`),
    });
    mgr.set([spec('a', { fall: 1, timeoutMs: 500 })]);
    await clock.advance(10);
    expect(mgr.get('a')?.state).toBe('up');
    mode = 'notRun';
    await clock.advance(5000);
    expect(mgr.get('a')).toMatchObject({ state: 'up', checks: 1, failures: 0, notRun: 5 });
    expect(changes).toEqual(['a:unknown>up']);
    // a hung attempt is aborted at timeout + slack from its start, not at the timeout
    mode = 'hang';
    const t0 = clock.now();
    await clock.advance(1000 + 1300);
    expect(aborts).toHaveLength(1);
    expect(aborts[0]! - t0).toBeGreaterThanOrEqual(1000 + 500 + 700 - 20);
    mgr.stop();
  });
});
