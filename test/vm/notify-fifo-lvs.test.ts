// lvs_notify_fifo beside keepalived 2.2.7's checker against real IPVS (guest, or a fresh
// host netns when the host kernel has IPVS): the same RS and VS lines, in the same order,
// for a real server that goes down and comes back (test/vm/cases/notify-fifo-lvs-cases.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODULES, ensureBuilt, ipvsMissing, type JobResult, runNodeJob } from './guest.js';

const skip = ipvsMissing();

describe.skipIf(skip !== null)('lvs_notify_fifo lines beside keepalived (real IPVS)', () => {
  let run: JobResult;
  let r: { keepalived: string[]; vrrpd: string[]; problems: string[]; logs: Record<string, string> };

  beforeAll(async () => {
    ensureBuilt();
    run = await runNodeJob('test/vm/cases/notify-fifo-lvs-cases.ts', [], {
      timeoutS: 180,
      modules: DEFAULT_MODULES,
    });
    if (!run.files['results.json'])
      throw new Error(`case runner failed (rc ${run.rc}):\n${run.stderr}\n${run.console.slice(-3000)}`);
    r = JSON.parse(run.files['results.json']);
    console.log(`ran on the ${run.where} in ${run.durationMs.toFixed(0)} ms\n${JSON.stringify(r, null, 1)}`);
  }, 200_000);

  it('RS and VS lines as keepalived writes them', () => {
    expect(r.problems).toEqual([]);
    expect(r.keepalived).toEqual([
      'VS [VIP]:tcp:80 UP', // the service starts with its quorum
      'RS [198.51.100.2]:tcp:RSPORT [VIP]:tcp:80 DOWN',
      'VS [VIP]:tcp:80 DOWN',
      'RS [198.51.100.2]:tcp:RSPORT [VIP]:tcp:80 UP',
      'VS [VIP]:tcp:80 UP',
    ]);
    expect(r.vrrpd).toEqual(r.keepalived);
  });
});
