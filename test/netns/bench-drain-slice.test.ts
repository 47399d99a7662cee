// The drain bench's slice (`npm run bench -- --tables drain --size quick`): one trial of
// vrrpd and of keepalived end to end, so bench/drain.ts does not rot. The figures of one
// trial mean nothing; the table's shape and both daemons in it are what is checked.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';

const root = join(import.meta.dirname, '../..');
const skip = missing({ root: true, commands: ['keepalived', 'tcpdump', 'ip'] });

describe.skipIf(skip !== null)('bench slice: drain', () => {
  it('-254 into the tracked file → priority 0 → GARP, vrrpd beside keepalived', { timeout: 120_000 }, () => {
    const out = execFileSync(
      process.execPath,
      [join(root, 'dist/bench/run.js'), '--size', 'quick', '--tables', 'drain'],
      { encoding: 'utf8', timeout: 100_000, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect(out).toMatch(/^\| vrrpd \| [\d.]+ \/ [\d.]+ \/ [\d.]+ \| [\d.]+ \/ /m);
    expect(out).toMatch(/^\| keepalived \| [\d.]+ \/ [\d.]+ \/ [\d.]+ \| /m);
    expect(out).toMatch(/median vrrpd \/ keepalived: [\d.]+/);
  });
});
