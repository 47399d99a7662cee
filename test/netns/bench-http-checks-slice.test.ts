// The slice of bench/http-checks.ts (`npm run bench -- --tables http-checks --size quick`):
// vrrpd checking 500 real servers a second for 2 s with GET /healthz against nginx while it is the
// master of a VRRP pair, and the same pair with checks off, one short round each, so the
// bench does not rot. The figures of a slice mean nothing; the rows' shape and that the
// checks ran and passed are what is checked. Needs `npm run build` (dist/).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';

const root = join(import.meta.dirname, '../..');
const skip = missing({ root: true, commands: ['nginx', 'tcpdump', 'curl', 'ip'] });

function quick(): string {
  try {
    return execFileSync(
      process.execPath,
      [join(root, 'dist/bench/run.js'), '--size', 'quick', '--tables', 'http-checks'],
      { encoding: 'utf8', timeout: 100_000, stdio: ['ignore', 'pipe', 'pipe'] },
    );
  } catch (e) {
    // exit code 1: the 10,000/s verdict, not asked of a slice; the table is there
    const err = e as { status?: number; stdout?: string; stderr?: string };
    if (err.status === 1 && err.stdout) return err.stdout;
    throw new Error(`bench/run http-checks failed (${err.status}):\n${err.stdout}\n${err.stderr}`);
  }
}

describe.skipIf(skip !== null)('bench slice: http-checks', () => {
  it('HTTP checks against nginx beside a VRRP pair: checks off and 500/s, CPU per check, advert gaps', {
    timeout: 120_000,
  }, () => {
    const out = quick();
    expect(out).toMatch(/^\| off \| 0 \| 0 \| 0 \| 0\.00 \| 0 \| [\d.]+ \| /m);
    const on =
      /^\| 500\/s \| 500 \| (\d+) \| (\d+) \| ([\d.]+) \| \d+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| ([\d.]+) \| ([\d.]+) \| [\d.]+ \| [\d.]+ \/ [\d.]+ \| ([\d.]+) \| ([\d.]+) \|/m.exec(
        out,
      );
    expect(on, out).not.toBeNull();
    const [, vrrpd, nginx, failed, daemonUs, mainUs, p50] = (on ?? []).map(Number);
    // the checks ran and reached nginx (a slice of 2 s: loose bounds), and passed
    expect(vrrpd).toBeGreaterThan(250);
    expect(nginx).toBeGreaterThan(250);
    expect(failed).toBe(0);
    expect(daemonUs).toBeGreaterThan(0);
    expect(mainUs).toBeGreaterThan(0);
    // the pair's adverts were captured at the backup: ~100 ms apart
    expect(p50).toBeGreaterThan(80);
    expect(p50).toBeLessThan(150);
  });
});
