// `vrrpd lab` with real IPVS: when the host kernel has none, the lab's health scene runs
// inside the user-mode-linux guest (test/vm/guest.ts), where the directors program a
// direct-routing service and the client's requests through the VIP must follow the
// checks: both real servers, then r1 only while r2 is down, then both again.
// On a host with IPVS, lab.test.ts already runs this path directly.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODULES, hostHasIpvs, ipvsMissing, runJob } from '../vm/guest.js';

const skip = hostHasIpvs() ? 'host has IPVS: covered by lab.test.ts' : ipvsMissing();

describe.skipIf(skip !== null)('vrrpd lab with IPVS (in the guest kernel)', () => {
  // a loaded host slows the guest a lot: vrrpd alone has taken a minute to start there
  it('traffic through the VIP follows the health checks', { timeout: 540_000 }, async () => {
    const run = await runJob('node dist/src/cli/main.js lab --steps health', {
      where: 'guest',
      // ip_vs_mh: the lab's announced service (scene 6's) is in the config of every scene
      modules: [...DEFAULT_MODULES, 'ip_vs_mh', 'bridge'],
      memMb: 1024,
      timeoutS: 480,
    });
    const out = run.stdout;
    console.log(`lab in the guest: rc ${run.rc}, ${run.durationMs.toFixed(0)} ms\n${out}`);
    expect(run.rc, `${run.stderr}\n${run.console.slice(-2000)}`).toBe(0);
    expect(out).toMatch(/IPVS is available/);
    // the three phases (before, while r2 is down, after): the lab asks again when a check
    // moved while the client asked (a starved guest), so each phase's last answer counts
    const phases = out.split(/Stopping the HTTP server on r2|Starting the HTTP server on r2 again/);
    expect(phases).toHaveLength(3);
    const answers = phases.map((p) => {
      const all = [...p.matchAll(/answered by: (.*)/g)].map((m) => (m[1] ?? '').split(', '));
      return all[all.length - 1] ?? [];
    });
    const [before, during, after] = answers as [string[], string[], string[]];
    expect(new Set(before)).toEqual(new Set(['r1', 'r2']));
    expect(
      during.every((a) => a === 'r1'),
      `while r2 is down: ${during.join(', ')}`,
    ).toBe(true);
    expect(after).toContain('r2');
  });
});
