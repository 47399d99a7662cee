// keepalived 2.2.7's DNS_CHECK, SMTP_CHECK, UDP_CHECK, PING_CHECK and FILE_CHECK beside the
// same file imported into vrrpd, against the same real servers on real IPVS (guest, or a
// fresh host netns when the host kernel has IPVS): the same real servers go down and come
// up in both, as their lvs_notify_fifo lines show (test/vm/cases/checkers-beside-keepalived-cases.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODULES, ensureBuilt, ipvsMissing, type JobResult, runNodeJob } from './guest.js';

const skip = ipvsMissing();

interface Side {
  keepalived: string[];
  vrrpd: string[];
}

describe.skipIf(skip !== null)('the new checkers beside keepalived (real IPVS)', () => {
  let run: JobResult;
  let r: { start: Side; faults: Side; problems: string[]; imported: string; logs: Record<string, string> };

  beforeAll(async () => {
    ensureBuilt();
    run = await runNodeJob('test/vm/cases/checkers-beside-keepalived-cases.ts', [], {
      timeoutS: 200,
      modules: DEFAULT_MODULES,
    });
    if (!run.files['results.json'])
      throw new Error(`case runner failed (rc ${run.rc}):\n${run.stderr}\n${run.console.slice(-3000)}`);
    r = JSON.parse(run.files['results.json']);
    console.log(`ran on the ${run.where} in ${run.durationMs.toFixed(0)} ms\n${JSON.stringify(r, null, 1)}`);
  }, 220_000);

  it('both report the same real servers down and up', () => {
    expect(r.problems).toEqual([]);
    const rs = (port: number, state: string) =>
      `RS [198.51.100.2]:${port === 25 || port === 80 || port === 8080 ? 'tcp' : 'udp'}:${port} [VIP]:${port === 25 || port === 80 || port === 8080 ? 'tcp' : 'udp'}:${port} ${state}`;
    // start: every service with its quorum; the closed UDP port goes down (ICMP port unreachable)
    expect([...r.start.keepalived].sort()).toEqual([...r.start.vrrpd].sort());
    expect(r.start.keepalived).toContain(rs(7002, 'DOWN'));
    // faults: DNS server stopped, track file 1, UDP echo closed
    expect([...r.faults.keepalived].sort()).toEqual([...r.faults.vrrpd].sort());
    for (const port of [53, 7001, 8080]) expect(r.faults.keepalived).toContain(rs(port, 'DOWN'));
  });
});
