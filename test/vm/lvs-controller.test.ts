// LvsController against a real IPVS kernel with real HTTP checks and real traffic: one
// guest boot (or a fresh host netns when the host has IPVS) runs
// test/vm/cases/lvs-controller-cases.ts, which writes results.json; asserted here.
// A missing guest fails in CI (ipvsMissing throws there) and skips locally.
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODULES, ipvsMissing, type JobResult, runNodeJob } from './guest.js';

const skip = ipvsMissing();

type Phase = { problems: string[]; info: Record<string, unknown> };

describe.skipIf(skip !== null)('LvsController against a real kernel (checks, traffic, restart)', () => {
  let run: JobResult;
  let results: Record<string, Phase> = {};

  beforeAll(async () => {
    run = await runNodeJob('test/vm/cases/lvs-controller-cases.ts', [], {
      timeoutS: 400,
      modules: DEFAULT_MODULES,
    });
    console.log(
      `lvs-controller cases ran on the ${run.where} in ${run.durationMs.toFixed(0)} ms\n${run.stdout}`,
    );
    if (run.rc !== 0 || !run.files['results.json']) {
      throw new Error(`case runner failed (rc ${run.rc}):\n${run.stderr}\n${run.console.slice(-3000)}`);
    }
    results = JSON.parse(run.files['results.json']) as Record<string, Phase>;
    console.log(JSON.stringify(results, null, 1));
  });

  const check = (name: string): Phase => {
    expect(results.main?.problems ?? [], 'the case runner threw').toEqual([]);
    const r = results[name];
    if (r?.problems.length) {
      for (const f of ['controller-a.log', 'controller-b.log'])
        console.log(`--- ${f}\n${(run.files[f] ?? '').split('\n').slice(-60).join('\n')}`);
    }
    expect(r, `phase ${name} did not run`).toBeDefined();
    expect(r?.problems).toEqual([]);
    return r as Phase;
  };

  it('start: both real servers in ipvsadm -Ln after their first check; timeouts set; sync daemon follows the instance', () => {
    const r = check('start');
    expect(r.info.ipvsadm).toEqual(['198.51.100.18:80 1', '198.51.100.2:80 1']);
  });

  it('a stopped server leaves within fall×interval+timeout (+margin), comes back within rise×interval; no failed request after removal', () => {
    const r = check('failover');
    expect(r.info.failedAfterRemoval).toBe(0);
    expect(r.info.removalMs as number).toBeLessThanOrEqual(r.info.removalBoundMs as number);
    expect(r.info.restoreMs as number).toBeLessThanOrEqual(r.info.restoreBoundMs as number);
  });

  it('all real servers down: the sorry server answers; back up: sorry server out', () => {
    const r = check('sorry');
    expect(r.info.answer).toBe('sorry');
  });

  it('controller stopped and a new one started: the table is untouched and a live connection keeps working', () => {
    const r = check('restart');
    expect(r.info.secondFirstPassOps).toBe(0);
    expect(String(r.info.secondReply)).toMatch(/^(real1|real2):two$/);
  });
});
