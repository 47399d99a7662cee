// A slice of bench/http-checks-guest.ts (`npm run bench -- --tables http-checks-guest --size
// quick`): keepalived 2.2.7's HTTP_GET and vrrpd's HTTP checks at 100/s against nginx in the
// real-IPVS environment, one short trial each, so the bench does not rot. The figures of one
// trial mean nothing; both daemons' rows, their checks reaching nginx and a ratio are checked.
// Needs `npm run build` (dist/).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { ipvsMissing, REPO } from './guest.js';

const skip = ipvsMissing() ?? missing({ commands: ['keepalived', 'nginx'] });

describe.skipIf(skip !== null)('bench slice: http-checks-guest', () => {
  it("CPU per HTTP check: keepalived's HTTP_GET beside vrrpd at the same rate", { timeout: 200_000 }, () => {
    const out = execFileSync(
      process.execPath,
      [join(REPO, 'dist/bench/run.js'), '--size', 'quick', '--tables', 'http-checks-guest'],
      { encoding: 'utf8', timeout: 190_000, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    for (const daemon of ['keepalived', 'vrrpd']) {
      const m = new RegExp(`^\\| ${daemon} \\| (\\d+) \\| [\\d.]+ \\| ([\\d.]+) \\| ([\\d.]+) \\|`, 'm').exec(
        out,
      );
      expect(m, out).not.toBeNull();
      // 100 checks/s asked; a slice of 3 s in a slow guest: loose bounds
      expect(Number(m?.[1]), out).toBeGreaterThan(40);
      expect(Number(m?.[2]), out).toBeGreaterThan(0);
      expect(Number(m?.[3]), out).toBeGreaterThan(0);
    }
  });
});
