// The ownership record across a restart against real IPVS (OWNERSHIP.md rule 4): one
// guest boot (or a fresh host netns) runs test/vm/cases/ownership-cases.ts with the
// built daemon; the results are asserted here. A missing guest fails in CI
// (ipvsMissing throws there) and skips locally.
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODULES, ensureBuilt, ipvsMissing, type JobResult, runNodeJob } from './guest.js';

const skip = ipvsMissing();

type Phase = { problems: string[]; info: Record<string, unknown> };

describe.skipIf(skip !== null)('vrrpd restart after a config edit: the ownership record (real IPVS)', () => {
  let run: JobResult;
  let results: Record<string, Phase> = {};

  beforeAll(async () => {
    ensureBuilt();
    run = await runNodeJob('test/vm/cases/ownership-cases.ts', [], {
      timeoutS: 240,
      modules: DEFAULT_MODULES,
    });
    console.log(`ownership cases ran on the ${run.where} in ${run.durationMs.toFixed(0)} ms\n${run.stdout}`);
    if (run.rc !== 0 || !run.files['results.json'])
      throw new Error(`case runner failed (rc ${run.rc}):\n${run.stderr}\n${run.console.slice(-3000)}`);
    results = JSON.parse(run.files['results.json']) as Record<string, Phase>;
    console.log(JSON.stringify(results, null, 1));
  }, 300_000);

  const check = (name: string): Phase => {
    expect(results.main?.problems ?? [], 'the case runner threw').toEqual([]);
    expect(results.cleanup?.problems ?? [], 'cleanup').toEqual([]);
    const r = results[name];
    if (!r || r.problems.length) {
      for (const f of ['first.log', 'restart.log', 'corrupt.log', 'empty.log'])
        console.log(`--- ${f}\n${(run.files[f] ?? '').split('\n').slice(-30).join('\n')}`);
    }
    expect(r, `phase ${name} did not run`).toBeDefined();
    expect(r?.problems).toEqual([]);
    return r as Phase;
  };

  it('first run: A and B in the kernel, the record lists both', () => {
    const r = check('first');
    expect(r.info.record).toEqual({ version: 1, services: ['tcp:192.0.2.50:80', 'tcp:192.0.2.50:8080'] });
  });

  it('restart without B: B deleted with a warning, A and the hand-made C untouched, record [A]', () => {
    const r = check('restart');
    expect(r.info.bGone).toBe(true);
    expect(r.info.aSame).toBe(true);
    expect(r.info.cSame).toBe(true);
    // the only change of the first pass is B's deletion: A was not deleted and re-added
    expect(r.info.firstPassOps).toBe(1);
    expect(r.info.changes).toEqual(['IPVS: delete service tcp:192.0.2.50:8080']);
    expect(r.info.staleRemoved).toMatchObject([{ level: 'warn', service: 'tcp:192.0.2.50:8080' }]);
    expect(r.info.record).toEqual({ version: 1, services: ['tcp:192.0.2.50:80'] });
    expect(r.info.running).toBe(true);
  });

  it('a corrupt record: nothing deleted, one warning, the daemon runs and writes a fresh record', () => {
    const r = check('corrupt');
    expect(r.info.unchanged).toBe(true);
    expect(r.info.warnings).toEqual([{ level: 'warn', code: 'OWNERSHIP_RECORD_CORRUPT' }]);
    expect(r.info.running).toBe(true);
    expect(r.info.record).toEqual({ version: 1, services: ['tcp:192.0.2.50:80'] });
  });

  it('a restart with no virtual server left: the LVS side starts for the record, A deleted, C untouched', () => {
    const r = check('empty');
    expect(r.info.aGone).toBe(true);
    expect(r.info.cSame).toBe(true);
    expect(r.info.staleRemoved).toEqual(['tcp:192.0.2.50:80']);
    expect(r.info.record).toEqual({ version: 1, services: [] });
  });
});
