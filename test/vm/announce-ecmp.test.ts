// Consistent hashing across active-active directors, in real IPVS: one guest boot runs
// test/vm/cases/announce-cases.ts (three directors running `vrrpd run` with an announced
// LVS-DR service behind an ECMP router, three real servers, a client) and the results are
// asserted here. A missing guest fails in CI (ipvsMissing throws there) and skips locally.
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODULES, ensureBuilt, ipvsMissing, type JobResult, runNodeJob } from './guest.js';

const skip = ipvsMissing();
type Phase = { problems: string[]; info: Record<string, unknown> };

describe.skipIf(skip !== null)('announce: consistent hashing across three directors (real IPVS)', () => {
  let run: JobResult;
  let results: Record<string, Phase> = {};

  beforeAll(async () => {
    ensureBuilt();
    run = await runNodeJob('test/vm/cases/announce-cases.ts', [], {
      timeoutS: 300,
      memMb: 1536,
      modules: [...DEFAULT_MODULES, 'bridge', 'ip_vs_mh'],
    });
    console.log(`announce cases ran on the ${run.where} in ${run.durationMs.toFixed(0)} ms\n${run.stdout}`);
    if (run.rc !== 0 || !run.files['results.json'])
      throw new Error(`case runner failed (rc ${run.rc}):\n${run.stderr}\n${run.console.slice(-3000)}`);
    results = JSON.parse(run.files['results.json']) as Record<string, Phase>;
    console.log(JSON.stringify(results, null, 1));
  }, 320_000);

  const check = (name: string): Phase => {
    expect(results.main?.problems ?? [], 'the case runner threw').toEqual([]);
    expect(results.cleanup?.problems ?? [], 'cleanup').toEqual([]);
    const r = results[name];
    if (!r || r.problems.length)
      for (const f of ['d1.log', 'd2.log', 'd3.log'])
        console.log(`--- ${f}\n${(run.files[f] ?? '').split('\n').slice(-30).join('\n')}`);
    expect(r, `phase ${name} did not run`).toBeDefined();
    expect(r?.problems).toEqual([]);
    return r as Phase;
  };

  it('the three directors program the same table: mh, real servers in config order', () => {
    check('tables');
  });
  it('flows from 60 client ports spread over every director and real server', () => {
    check('spread');
  });
  it('when a director leaves, every client port keeps its real server', () => {
    const r = check('leave');
    expect(r.info.samePort).toBe(60);
  });
  it('a failing real server drains at weight 0 in place on every director; new flows avoid it', () => {
    check('drain');
  });
});
