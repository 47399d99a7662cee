// announce (BGP through FRR): the config keys and their defaults, the pure decisions of
// src/lvs/announce.ts, the Announcer's route changes against a recording sink, and the
// route messages of src/netlink/rtroute.ts.
import { describe, expect, it } from 'vitest';
import { type Config, parseConfigText } from '../../src/config/index.js';
import { guardianScript } from '../../src/effects/route-sink.js';
import type { RouteSink } from '../../src/effects/types.js';
import { announceDecisions } from '../../src/lvs/announce.js';
import { Announcer } from '../../src/lvs/announcer.js';
import { desiredTable, type RealServerHealth } from '../../src/lvs/desired.js';
import { hostRouteRequest, parseHostRoute, rtmsgFields } from '../../src/netlink/rtroute.js';
import { recordingLog } from '../helpers/log.js';

const lines = (...l: string[]): string => `${l.join('\n')}\n`;

function load(text: string): Config {
  const r = parseConfigText(text, 'f.yaml', { hostname: 'h' });
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
  return r.config;
}

function errors(text: string): string[] {
  const r = parseConfigText(text, 'f.yaml', { hostname: 'h' });
  return r.ok ? [] : r.errors.map((e) => `${e.line}:${e.col}: ${e.message}`);
}

const base = (vsExtra: string[] = [], global: string[] = ['global:', '  announce:', '    table: 100']) =>
  lines(
    ...global,
    'virtual_servers:',
    '  - address: 203.0.113.10',
    '    port: 80',
    ...vsExtra,
    '    real_servers:',
    '      - {address: 198.51.100.1, port: 80, weight: 2, check: {type: tcp}}',
    '      - {address: 198.51.100.2, port: 80, weight: 1, check: {type: tcp}}',
  );

describe('announce config', () => {
  it('defaults: mh with mh-port and mh-fallback, failed servers drain at weight 0, proto 99 via lo', () => {
    const c = load(base(['    announce: {}']));
    const vs = c.virtualServers[0]!;
    expect(vs.announce).toEqual({ address: '203.0.113.10', family: 4, when: 'quorum' });
    expect(vs.scheduler).toBe('mh');
    expect(vs.flags).toMatchObject({ mhPort: true, mhFallback: true });
    expect(vs.realServers.every((r) => r.inhibitOnFailure)).toBe(true);
    expect(c.global.announce).toEqual({ table: 100, protocol: 99, interface: 'lo', drainMs: 0 });
  });

  it('without announce nothing changes: wlc, no mh flags, no inhibit', () => {
    const c = load(base());
    const vs = c.virtualServers[0]!;
    expect(vs.announce).toBeUndefined();
    expect(vs.scheduler).toBe('wlc');
    expect(vs.flags).toMatchObject({ mhPort: false, mhFallback: false });
    expect(vs.realServers.some((r) => r.inhibitOnFailure)).toBe(false);
  });

  it('an explicit scheduler or flag wins over the announce defaults', () => {
    const c = load(base(['    scheduler: mh', '    mh_port: false', '    announce: {when: any-up}']));
    expect(c.virtualServers[0]!.flags).toMatchObject({ mhPort: false, mhFallback: true });
    const w = load(base(['    scheduler: wlc', '    announce: {}']));
    expect(w.virtualServers[0]!.scheduler).toBe('wlc');
    expect(w.virtualServers[0]!.flags.mhPort).toBe(false);
  });

  it('refuses announce without global.announce, the kernel tables, and a fwmark without an address', () => {
    expect(errors(base(['    announce: {}'], []))).toEqual([
      expect.stringMatching(/^4:5: announce needs global.announce.table/),
    ]);
    expect(errors(base(['    announce: {}'], ['global:', '  announce:', '    table: 255']))).toEqual([
      expect.stringMatching(/^3:12: table 255 is one of the kernel's own/),
    ]);
    const fw = lines(
      'global: {announce: {table: 100}}',
      'virtual_servers:',
      '  - fwmark: 7',
      '    announce: {}',
      '    real_servers: [{address: 198.51.100.1, port: 80}]',
    );
    expect(errors(fw)).toEqual([expect.stringMatching(/^4:5: a fwmark service announces announce.address/)]);
    expect(errors(base(['    announce: {address: "2001:db8::1"}']))).toEqual([
      expect.stringMatching(/is IPv6 but the virtual server is IPv4/),
    ]);
  });
});

function decide(c: Config, health: Record<string, RealServerHealth>) {
  const d = desiredTable(c.virtualServers, (_vs, rs) => health[rs] ?? 'unknown');
  return { d, decisions: announceDecisions(c.virtualServers, d) };
}

describe('announce decisions', () => {
  it('any-up: announced while one real server is up', () => {
    const c = load(base(['    announce: {when: any-up}']));
    expect(decide(c, {}).decisions[0]).toMatchObject({ announce: false });
    expect(decide(c, { '198.51.100.2:80': 'up', '198.51.100.1:80': 'down' }).decisions[0]).toMatchObject({
      address: '203.0.113.10',
      announce: true,
    });
    expect(decide(c, { '198.51.100.2:80': 'down', '198.51.100.1:80': 'down' }).decisions[0]).toMatchObject({
      announce: false,
      services: [{ healthy: false, reason: 'no real server up (0 without a result yet)' }],
    });
  });

  it('quorum: the quorum must hold, and on results, not on optimism', () => {
    const c = load(base(['    quorum: 2', '    announce: {}']));
    // weight 1 up, the weight-2 server unknown: the quorum is optimistic, the announcement waits
    const early = decide(c, { '198.51.100.2:80': 'up' }).decisions[0]!;
    expect(early.announce).toBe(false);
    expect(early.services[0]!.reason).toMatch(/waiting for check results/);
    expect(decide(c, { '198.51.100.1:80': 'up' }).decisions[0]!.announce).toBe(true);
    expect(decide(c, { '198.51.100.1:80': 'down', '198.51.100.2:80': 'up' }).decisions[0]).toMatchObject({
      announce: false,
      services: [{ reason: expect.stringMatching(/quorum lost/) }],
    });
  });

  it('an address shared by two announcing services needs both; a service without announce does not count', () => {
    const c = load(
      lines(
        'global: {announce: {table: 100}}',
        'virtual_servers:',
        '  - {address: 203.0.113.10, port: 80, announce: {when: any-up}, real_servers: [{address: 198.51.100.1, port: 80, check: {type: tcp}}]}',
        '  - {address: 203.0.113.10, port: 443, announce: {when: any-up}, real_servers: [{address: 198.51.100.1, port: 443, check: {type: tcp}}]}',
        '  - {address: 203.0.113.10, port: 22, real_servers: [{address: 198.51.100.1, port: 22, check: {type: tcp}}]}',
      ),
    );
    const one = decide(c, { '198.51.100.1:80': 'up', '198.51.100.1:443': 'down' }).decisions;
    expect(one).toHaveLength(1);
    expect(one[0]).toMatchObject({ announce: false });
    expect(one[0]!.services.map((s) => s.virtualServer)).toEqual([
      'tcp/203.0.113.10:80',
      'tcp/203.0.113.10:443',
    ]);
    expect(decide(c, { '198.51.100.1:80': 'up', '198.51.100.1:443': 'up' }).decisions[0]!.announce).toBe(
      true,
    );
  });
});

function recordingSink(calls: string[], failAdd = { n: 0 }): RouteSink {
  return {
    async add(a) {
      if (failAdd.n > 0) {
        failAdd.n--;
        throw new Error('EPERM');
      }
      calls.push(`add ${a}`);
    },
    async remove(a) {
      calls.push(`remove ${a}`);
    },
    async removeAll() {
      calls.push('removeAll');
    },
    close() {
      calls.push('close');
    },
  };
}

describe('Announcer', () => {
  it('clears stale routes first, adds and withdraws on change only, withdraws all at stop', async () => {
    const c = load(base(['    announce: {when: any-up}']));
    const calls: string[] = [];
    const lines: { msg: string }[] = [];
    const a = new Announcer(
      recordingLog(lines as never),
      () => recordingSink(calls),
      () => 0,
    );
    a.update(c, decide(c, { '198.51.100.1:80': 'up' }).d);
    a.update(c, decide(c, { '198.51.100.1:80': 'up', '198.51.100.2:80': 'up' }).d);
    await a.idle();
    expect(calls).toEqual(['removeAll', 'add 203.0.113.10']);
    expect(a.snapshot()).toMatchObject({
      table: 100,
      addresses: [
        { address: '203.0.113.10', announced: true, since: '1970-01-01T00:00:00.000Z', error: null },
      ],
    });
    a.update(c, decide(c, { '198.51.100.1:80': 'down', '198.51.100.2:80': 'down' }).d);
    await a.idle();
    expect(calls.slice(2)).toEqual(['remove 203.0.113.10']);
    expect(a.snapshot()!.withdrawals).toBe(1);
    a.update(c, decide(c, { '198.51.100.1:80': 'up' }).d);
    await a.idle();
    await a.withdrawAll();
    expect(calls.slice(3)).toEqual(['add 203.0.113.10', 'removeAll']);
    expect(a.snapshot()!.addresses[0]).toMatchObject({ announced: false, reason: 'vrrpd is stopping' });
    // after the stop nothing comes back
    a.update(c, decide(c, { '198.51.100.1:80': 'up' }).d);
    await a.idle();
    expect(calls.slice(5)).toEqual([]);
  });

  it('a failed add is retried at the next pass and shown meanwhile', async () => {
    const c = load(base(['    announce: {when: any-up}']));
    const calls: string[] = [];
    const fail = { n: 1 };
    const a = new Announcer(
      recordingLog([] as never),
      () => recordingSink(calls, fail),
      () => 0,
    );
    a.update(c, decide(c, { '198.51.100.1:80': 'up' }).d);
    await a.idle();
    expect(a.snapshot()!.addresses[0]).toMatchObject({
      announced: false,
      error: expect.stringMatching(/EPERM/),
    });
    a.update(c, decide(c, { '198.51.100.1:80': 'up' }).d);
    await a.idle();
    expect(calls).toEqual(['removeAll', 'add 203.0.113.10']);
    expect(a.snapshot()!.addresses[0]).toMatchObject({ announced: true, error: null });
  });

  it('a reload that changes the table moves the routes; one without announce withdraws them', async () => {
    const c1 = load(base(['    announce: {when: any-up}']));
    const c2 = load(base(['    announce: {when: any-up}'], ['global:', '  announce:', '    table: 200']));
    const c3 = load(base([], []));
    const sinks: string[][] = [];
    const a = new Announcer(recordingLog([] as never), () => {
      const calls: string[] = [];
      sinks.push(calls);
      return recordingSink(calls);
    });
    const up = { '198.51.100.1:80': 'up' } as const;
    a.update(c1, decide(c1, up).d);
    a.update(c2, decide(c2, up).d);
    await a.idle();
    expect(sinks).toEqual([
      ['removeAll', 'add 203.0.113.10', 'remove 203.0.113.10', 'removeAll', 'close'],
      ['removeAll', 'add 203.0.113.10'],
    ]);
    a.update(c3, decide(c3, up).d);
    await a.idle();
    expect(sinks[1]!.slice(2)).toEqual(['remove 203.0.113.10', 'removeAll', 'close']);
    expect(a.snapshot()).toBeNull();
  });
});

describe('route messages', () => {
  it('encodes a host route in a table with vrrpd protocol, and parses it back', () => {
    const p4 = hostRouteRequest('203.0.113.10', 100, 99, 1);
    expect(p4.subarray(0, 8)).toEqual(Buffer.from([2, 32, 0, 0, 100, 99, 253, 1]));
    expect(rtmsgFields(p4)).toEqual({ table: 100, flags: 0 });
    expect(parseHostRoute(p4)).toEqual({
      family: 4,
      address: '203.0.113.10',
      table: 100,
      protocol: 99,
      oif: 1,
    });
    const p6 = hostRouteRequest('2001:db8::10', 70000, 99, 1);
    expect(rtmsgFields(p6).table).toBe(252); // RT_TABLE_COMPAT: the id rides in RTA_TABLE
    expect(parseHostRoute(p6)).toEqual({
      family: 6,
      address: '2001:db8::10',
      table: 70000,
      protocol: 99,
      oif: 1,
    });
    expect(() => hostRouteRequest('203.0.113.10', 254, 99, 1)).toThrow(/reserved/);
    expect(() => hostRouteRequest('nope', 100, 99, 1)).toThrow(/not an IP/);
    expect(parseHostRoute(Buffer.alloc(4))).toBeNull();
  });

  it('the guardian flushes only vrrpd protocol in its table, after EOF, ignoring SIGTERM', () => {
    const s = guardianScript(100, 99);
    expect(s).toContain("trap '' TERM INT HUP");
    expect(s).toContain('ip -4 route flush table 100 proto 99');
    expect(s).toContain('ip -6 route flush table 100 proto 99');
    expect(s.indexOf('read')).toBeLessThan(s.indexOf('flush'));
  });
});
