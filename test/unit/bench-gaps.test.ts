// bench/lib/gaps.ts: the pure parts of bench/advert-gaps (config text, gap statistics,
// /proc parsing).
import { describe, expect, it } from 'vitest';
import {
  checkCount,
  cpuTicks,
  directorYaml,
  gapStats,
  percentile,
  realAddresses,
  schedOf,
} from '../../bench/lib/gaps.js';
import { parseConfigText } from '../../src/config/index.js';

describe('bench/lib/gaps', () => {
  it('nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('gap statistics from advert times: a late advert and the early one after it', () => {
    const times = [0, 50, 100, 170, 200, 250];
    const s = gapStats(times, 50);
    expect(s.adverts).toBe(6);
    expect(s.p50).toBe(50);
    expect(s.max).toBe(70);
    expect(s.over).toBe(1); // only 70 > 55; the 30 ms gap is early, not late
  });

  it('reads CPU ticks and scheduling from a stat line whose comm holds spaces and parentheses', () => {
    // fields 3.. after "(comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt
    // cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime vsize
    // rss rsslim ... (41 = policy, 40 = rt_priority)
    const fields = Array.from({ length: 50 }, () => '0');
    fields[0] = 'S';
    fields[11] = '123'; // utime (field 14)
    fields[12] = '45'; // stime (field 15)
    fields[16] = '-20'; // nice (field 19)
    fields[37] = '10'; // rt_priority (field 40)
    fields[38] = '2'; // policy (field 41): SCHED_RR
    const line = `4242 (we (ird) name) ${fields.join(' ')}`;
    expect(cpuTicks(line)).toBe(168);
    expect(schedOf(line)).toBe('RR 10');
    fields[38] = '0';
    expect(schedOf(`1 (node) ${fields.join(' ')}`)).toBe('nice -20');
  });

  it('real-server addresses stay inside the documentation ranges', () => {
    const a = realAddresses(100);
    expect(new Set(a).size).toBe(100);
    expect(a[0]).toBe('198.51.100.1');
    expect(a[49]).toBe('198.51.100.50');
    expect(a[50]).toBe('203.0.113.1');
    expect(a[99]).toBe('203.0.113.50');
    expect(() => realAddresses(0)).toThrow();
  });

  it('the director config is valid vrrpd YAML with one check per (address, port)', () => {
    for (const kind of ['tcp', 'http'] as const) {
      const text = directorYaml({
        routerId: 'd',
        controlSocket: '/tmp/x.sock',
        iface: 'eth0',
        vrid: 51,
        advertMs: 50,
        vip: '192.0.2.50',
        checks: {
          kind,
          ports: [20000, 20001, 20002],
          addresses: realAddresses(4),
          intervalMs: 1000,
          timeoutMs: 1000,
        },
      });
      const r = parseConfigText(text, 'director.yaml');
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      expect(r.config.virtualServers).toHaveLength(3);
      const rs = r.config.virtualServers.flatMap((vs) => vs.realServers);
      expect(rs).toHaveLength(12);
      expect(rs.every((x) => x.check?.type === kind)).toBe(true);
    }
    const idle = parseConfigText(
      directorYaml({
        routerId: 'd',
        controlSocket: '/tmp/x.sock',
        iface: 'eth0',
        vrid: 51,
        advertMs: 50,
        vip: '192.0.2.50',
        checks: null,
      }),
      'idle.yaml',
    );
    expect(idle.ok).toBe(true);
  });

  it('sums check counters over every real server of a status document', () => {
    const status = {
      virtualServers: [
        {
          realServers: [
            { checksOk: 3, checksFailed: 1 },
            { checksOk: 2, checksFailed: 0 },
          ],
        },
        { realServers: [] },
      ],
    };
    expect(checkCount(status)).toEqual({ ok: 5, failed: 1, notRun: 0 });
    expect(checkCount({})).toEqual({ ok: 0, failed: 0, notRun: 0 });
  });
});
