// The whole daemon (`node dist/src/cli/main.js run`) against real IPVS: one guest boot
// (or a fresh host netns when the host kernel has IPVS) runs test/vm/cases/daemon-cases.ts
// with two LVS-NAT directors, real servers and a client; the results are asserted here.
//   - 100 unrelated reloads on the master under ping + a TCP connection: no flap (issue 7)
//   - a bad file on reload is refused with FILE:LINE:COL, the running config stays
//   - health end to end through the daemon: ipvsadm, status JSON, metrics (issue 6)
//   - kill -9 and a restart under an open TCP connection: table and connection intact (issue 5)
// The cases run the built daemon: dist/ is rebuilt first when older than src/ (`npm test`
// builds anyway). A missing guest fails in CI (ipvsMissing throws there) and skips locally.
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODULES, ensureBuilt, ipvsMissing, type JobResult, runNodeJob } from './guest.js';

const skip = ipvsMissing();

type Phase = { problems: string[]; info: Record<string, unknown> };

describe.skipIf(skip !== null)(
  'vrrpd daemon against real IPVS (reloads, bad config, health, restart)',
  () => {
    let run: JobResult;
    let results: Record<string, Phase> = {};

    beforeAll(async () => {
      ensureBuilt();
      run = await runNodeJob('test/vm/cases/daemon-cases.ts', [], {
        timeoutS: 400,
        memMb: 1536,
        modules: [...DEFAULT_MODULES, 'bridge'],
      });
      console.log(`daemon cases ran on the ${run.where} in ${run.durationMs.toFixed(0)} ms\n${run.stdout}`);
      if (run.rc !== 0 || !run.files['results.json']) {
        throw new Error(`case runner failed (rc ${run.rc}):\n${run.stderr}\n${run.console.slice(-3000)}`);
      }
      results = JSON.parse(run.files['results.json']) as Record<string, Phase>;
      console.log(JSON.stringify(results, null, 1));
    });

    const check = (name: string): Phase => {
      expect(results.main?.problems ?? [], 'the case runner threw').toEqual([]);
      expect(results.cleanup?.problems ?? [], 'cleanup').toEqual([]);
      const r = results[name];
      if (!r || r.problems.length) {
        for (const f of ['d1.log', 'd2.log', 'd1-restarted.log'])
          console.log(`--- ${f}\n${(run.files[f] ?? '').split('\n').slice(-40).join('\n')}`);
      }
      expect(r, `phase ${name} did not run`).toBeDefined();
      expect(r?.problems).toEqual([]);
      return r as Phase;
    };

    it('start: d1 master, d2 backup, both real servers in the master table', () => {
      const r = check('start');
      expect(r.info.ipvsadm).toEqual(['198.51.100.2:80 1', '198.51.100.3:80 1']);
    });

    it('100 unrelated reloads under ping and a TCP connection: no state change, no lost ping, connection intact', () => {
      const r = check('reloads');
      const pings = r.info.pings as { sent: number; lost: number };
      expect(pings.lost).toBe(0);
      expect(pings.sent).toBeGreaterThan(100);
      expect((r.info.reloads as { failed: number }).failed).toBe(0);
      const conn = r.info.conn as { err: string | null; closed: boolean };
      expect(conn.err).toBeNull();
      expect(conn.closed).toBe(false);
    });

    it('a bad file on reload is refused (exit 1, FILE:LINE:COL) and nothing changes', () => {
      const r = check('badcfg');
      expect((r.info.cli as { code: number }).code).toBe(1);
      expect(r.info.lastReloadMetric).toBe(0);
    });

    it('health through the daemon: removal/restore bounds, no failed request after removal, sorry server, status and metrics', () => {
      const r = check('health');
      expect(r.info.removalMs as number).toBeLessThanOrEqual(r.info.removalBoundMs as number);
      expect(r.info.restoreMs as number).toBeLessThanOrEqual(r.info.restoreBoundMs as number);
      expect((r.info.requests as { failedAfterRemoval: number }).failedAfterRemoval).toBe(0);
      expect(r.info.sorryAnswer).toBe('sorry');
    });

    it('kill -9 and a restart under an open TCP connection: table untouched, no op at restart, connection kept', () => {
      const r = check('restart');
      expect((r.info.firstPass as { lastReconcileOps: number }).lastReconcileOps).toBe(0);
      const conn = (r.info.conn as { end: { err: string | null; closed: boolean } }).end;
      expect(conn.err).toBeNull();
      expect(conn.closed).toBe(false);
    });
  },
);
