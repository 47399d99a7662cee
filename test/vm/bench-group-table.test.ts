// A small slice of bench/group-table.ts (the whole bench is a bench, not a test): 4 VIPs in
// a virtual_server_group, one run of keepalived and of vrrpd in the real-IPVS environment.
// Both fill the table, and both probe each real server about once per delay_loop (it is in
// 4 services, but checked once). Needs `npm run build` (dist/), as npm test does first.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { ipvsMissing, REPO } from './guest.js';

const skip = ipvsMissing() ?? missing({ commands: ['keepalived', 'ipvsadm-save'] });

describe.skipIf(skip !== null)('bench/group-table (slice)', () => {
  it('keepalived and vrrpd fill a group table and probe each real server once per delay_loop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vrrpd-bench-group-'));
    try {
      const json = join(dir, 'samples.json');
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [join(REPO, 'dist/bench/group-table.js'), '--vips', '4', '--runs', '1', '--json', json],
        { cwd: REPO, timeout: 280_000 },
      );
      console.log(stdout);
      expect(stdout).toMatch(/^\| 4 \| 20 \| /m);
      const samples = JSON.parse(readFileSync(json, 'utf8')) as {
        daemon: string;
        fullMs: number;
        probesPerRsPerS: number;
      }[];
      expect(samples.map((s) => s.daemon).sort()).toEqual(['keepalived', 'vrrpd']);
      for (const s of samples) {
        expect(Number.isFinite(s.fullMs), JSON.stringify(s)).toBe(true);
        // delay_loop 1 s: about 1 probe per second, not 4 (one per service)
        expect(s.probesPerRsPerS, JSON.stringify(s)).toBeGreaterThan(0.3);
        expect(s.probesPerRsPerS, JSON.stringify(s)).toBeLessThan(2);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
