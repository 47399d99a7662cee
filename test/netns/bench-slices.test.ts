// A small slice of every bench that sets vrrpd beside keepalived (`npm run bench -- --size
// quick`): each runs end to end and prints its table, so none of them rots between full
// runs. The figures of a slice mean nothing (a window of seconds, one trial); the tables'
// shape and the daemons' presence in them are what is checked.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';

const root = join(import.meta.dirname, '../..');
const skip = missing({ root: true, commands: ['keepalived', 'tcpdump', 'ip'] });

function quick(tables: string): string {
  try {
    return execFileSync(
      process.execPath,
      [join(root, 'dist/bench/run.js'), '--size', 'quick', '--tables', tables],
      {
        encoding: 'utf8',
        timeout: 240_000,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  } catch (e) {
    // exit code 1: a done-when verdict not met, which one trial may well show; the tables are there
    const err = e as { status?: number; stdout?: string; stderr?: string };
    if (err.status === 1 && err.stdout) return err.stdout;
    throw new Error(`bench/run ${tables} failed (${err.status}):\n${err.stdout}\n${err.stderr}`);
  }
}

describe.skipIf(skip !== null)('bench slices', () => {
  it('idle: CPU of 200 instances as master and backup, and RSS of one, beside keepalived', {
    timeout: 300_000,
  }, () => {
    const out = quick('idle');
    expect(out).toMatch(
      /^\| master \| [\d.]+ \| [\d.]+ \([\d.]+\) \| [\d.]+ \| [\d.]+ \([\d.]+\) \| [\d.]+ \|/m,
    );
    expect(out).toMatch(/^\| backup \| /m);
    expect(out).toMatch(/^\| RSS MiB \| [\d.]+ \| [\d.]+ \|/m);
  });

  it('handover and failover: SIGTERM to priority 0 to GARP, beside keepalived', { timeout: 300_000 }, () => {
    const out = quick('handover,failover');
    expect(out).toMatch(/^\| vrrpd \| [\d.]+ \/ [\d.]+ \/ [\d.]+ \| [\d.]+ \/ /m);
    expect(out).toMatch(/^\| keepalived \| [\d.]+ \/ [\d.]+ \/ [\d.]+ \| /m);
    expect(out).toMatch(/^\| v3, advert 100 ms \| SIGTERM \(prio 0\) \| [\d.]+ \//m);
  });

  it('checks and advert gaps: HTTP checks in the main thread and in the check threads', {
    timeout: 300_000,
  }, () => {
    const out = quick('checks,gaps');
    expect(out).toContain('### HTTP checks in the main thread');
    expect(out).toContain('### HTTP checks in the check threads (default)');
    expect(out.match(/│ 'http' +│ 200 +│/g)).toHaveLength(2);
    expect(out).toMatch(/^\| HTTP checks \| RR 10 \| \d+ \|/m);
  });

  it('startup delay: start → first advert with vrrp_startup_delay, beside keepalived', {
    timeout: 120_000,
  }, () => {
    const out = quick('startup-delay');
    expect(out).toMatch(/^\| vrrpd \| [\d.]+ \/ [\d.]+ \/ [\d.]+ \| -?[\d.]+ \/ .* \| 0 \|$/m);
    expect(out).toMatch(/^\| keepalived \| [\d.]+ \/ [\d.]+ \/ [\d.]+ \| -?[\d.]+ \/ .* \| 0 \|$/m);
  });

  it('down-timer: a hung master and down_timer_adverts, beside keepalived', { timeout: 300_000 }, () => {
    const out = quick('down-timer');
    expect(out).toMatch(/^\| 3 \| 360\.9 \| [\d.]+ \/ [\d.]+ \/ [\d.]+ \| [\d.]+ \/ [\d.]+ \/ [\d.]+ \| /m);
  });
});
