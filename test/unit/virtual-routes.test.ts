// keepalived virtual_routes / virtual_rules: the rtnetlink route and FIB rule codecs, the
// config keys (both forms, defaults, file:line:col errors) and the instance's part
// (install after the VIPs, remove, put back what was deleted, no_track) with a fake manager.
import { describe, expect, it } from 'vitest';
import { type Config, parseConfigText, type VirtualRoute, type VirtualRule } from '../../src/config/index.js';
import type { RoutingManager } from '../../src/effects/types.js';
import { FIB_RULE_INVERT, parseRule, ruleRequest } from '../../src/netlink/fibrule.js';
import { parseRoute, RT_SCOPE_NOWHERE, routeRequest } from '../../src/netlink/rtroute.js';
import { InstanceRouting } from '../../src/vrrp/virtual-routes.js';

const lines = (...l: string[]): string => `${l.join('\n')}\n`;
const instance = (...extra: string[]) =>
  lines(
    'vrrp_instances:',
    '  - name: VI_1',
    '    interface: eth0',
    '    vrid: 51',
    '    virtual_ips: [192.0.2.50/24]',
    ...extra.map((l) => `    ${l}`),
  );

function load(text: string): Config {
  const r = parseConfigText(text, 'f.yaml', { hostname: 'testhost' });
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
  return r.config;
}
function errors(text: string): string[] {
  const r = parseConfigText(text, 'f.yaml', { hostname: 'testhost' });
  if (r.ok) return [];
  return r.errors.map((e) => `${e.line}:${e.col} ${e.code} ${e.message}`);
}

describe('route codec', () => {
  it('encodes every field and parses it back', () => {
    const spec = {
      family: 4 as const,
      dst: '198.51.100.0',
      dstLen: 24,
      type: 'unicast' as const,
      table: 1000,
      protocol: 18,
      scope: 0,
      metric: 7,
      via: '192.0.2.254',
      oif: 3,
      src: '192.0.2.50',
      onlink: true,
    };
    const b = routeRequest(spec);
    expect(b.readUInt8(4)).toBe(252); // RT_TABLE_COMPAT: the id is in RTA_TABLE
    expect(parseRoute(b)).toEqual(spec);
    const d = routeRequest(spec, true);
    expect(d.readUInt8(6)).toBe(RT_SCOPE_NOWHERE);
  });

  it('a default route has no RTA_DST; an IPv6 blackhole; wrong families are refused', () => {
    const b = routeRequest({
      family: 6,
      dst: '::',
      dstLen: 0,
      type: 'blackhole',
      table: 100,
      protocol: 18,
      scope: 0,
    });
    expect(b.readUInt8(7)).toBe(6);
    expect(parseRoute(b)).toMatchObject({ family: 6, dst: '::', dstLen: 0, type: 'blackhole', table: 100 });
    expect(() =>
      routeRequest({
        family: 4,
        dst: '198.51.100.0',
        dstLen: 24,
        type: 'unicast',
        table: 254,
        protocol: 18,
        scope: 0,
        via: '2001:db8::1',
      }),
    ).toThrow(/gateway/);
    expect(() =>
      routeRequest({
        family: 4,
        dst: '198.51.100.0',
        dstLen: 33,
        type: 'unicast',
        table: 254,
        protocol: 18,
        scope: 0,
      }),
    ).toThrow(RangeError);
    expect(parseRoute(Buffer.alloc(5))).toBeNull();
  });
});

describe('FIB rule codec', () => {
  it('encodes selectors and the table action, and parses them back', () => {
    const spec = {
      family: 4 as const,
      priority: 100,
      action: 'table' as const,
      table: 300,
      from: { address: '192.0.2.0', prefixLength: 24 },
      to: { address: '198.51.100.0', prefixLength: 24 },
      iif: 'eth0',
      oif: 'eth1',
      fwmark: 0x10,
      fwmask: 0xff,
      tos: 8,
      invert: true,
      suppressPrefixLength: 0,
      protocol: 18,
    };
    const b = ruleRequest(spec);
    expect(b.readUInt8(1)).toBe(24); // dst_len
    expect(b.readUInt8(2)).toBe(24); // src_len
    expect(b.readUInt8(4)).toBe(252); // table > 255: in FRA_TABLE
    expect(b.readUInt32LE(8) & FIB_RULE_INVERT).toBe(FIB_RULE_INVERT);
    expect(parseRule(b)).toEqual(spec);
  });

  it('goto, prohibit and IPv6; a table action without a table is refused', () => {
    const g = parseRule(ruleRequest({ family: 6, priority: 10, action: 'goto', goto: 20, protocol: 18 }));
    expect(g).toEqual({ family: 6, priority: 10, action: 'goto', goto: 20, protocol: 18 });
    expect(parseRule(ruleRequest({ family: 4, priority: 5, action: 'prohibit', protocol: 18 }))?.action).toBe(
      'prohibit',
    );
    expect(() => ruleRequest({ family: 4, priority: 5, action: 'table', protocol: 18 })).toThrow(/table/);
    expect(() =>
      ruleRequest({
        family: 4,
        priority: 5,
        action: 'nop',
        protocol: 18,
        from: { address: '2001:db8::', prefixLength: 32 },
      }),
    ).toThrow(/IPv4/);
  });
});

describe('config: virtual_routes and virtual_rules', () => {
  it('both forms give the same model; keepalived defaults (main table, protocol keepalived, scope global)', () => {
    const c = load(
      instance(
        'virtual_routes:',
        "  - '198.51.100.0/24 via 192.0.2.254 dev eth0 src 192.0.2.50 table 100 metric 5'",
        "  - 'blackhole 203.0.113.0/24'",
        "  - 'unreachable default inet6 table main'",
        '  - { to: 2001:db8:1::/48, via: 2001:db8::1, no_track: true, protocol: bird, scope: link }',
        'virtual_rules:',
        "  - 'from 192.0.2.0/24 lookup 100 priority 100'",
        '  - { from: 192.0.2.0/24, table: 100, priority: 101 }',
        "  - 'not to 198.51.100.0/24 fwmark 0x10/0xff iif eth0 prohibit pref 102'",
        '  - { family: 6, action: goto, goto: 200, priority: 103, no_track: true }',
      ),
    );
    const [a, bh, un, v6] = c.vrrpInstances[0]!.virtualRoutes;
    const b = load(
      instance(
        'virtual_routes:',
        '  - { to: 198.51.100.0/24, via: 192.0.2.254, dev: eth0, src: 192.0.2.50, table: 100, metric: 5 }',
      ),
    ).vrrpInstances[0]!.virtualRoutes[0];
    expect(a).toEqual(b);
    expect(a).toMatchObject({
      family: 4,
      to: '198.51.100.0',
      prefixLength: 24,
      type: 'unicast',
      table: 100,
      protocol: 18,
      scope: 'global',
      metric: 5,
      noTrack: false,
      text: '198.51.100.0/24 via 192.0.2.254 dev eth0 src 192.0.2.50 table 100 metric 5',
    });
    expect(bh).toMatchObject({ type: 'blackhole', table: 254, text: 'blackhole 203.0.113.0/24' });
    expect(un).toMatchObject({ family: 6, to: '::', prefixLength: 0, type: 'unreachable', table: 254 });
    expect(v6).toMatchObject({ family: 6, protocol: 12, scope: 'link', noTrack: true });
    const [r1, r2, r3, r4] = c.vrrpInstances[0]!.virtualRules;
    expect({ ...r1, priority: 0, text: '' }).toEqual({ ...r2, priority: 0, text: '' });
    expect(r1).toMatchObject({
      family: 4,
      action: 'table',
      table: 100,
      from: { address: '192.0.2.0', prefixLength: 24 },
    });
    expect(r3).toMatchObject({
      action: 'prohibit',
      invert: true,
      fwmark: 16,
      fwmask: 255,
      iif: 'eth0',
      priority: 102,
    });
    expect(r3!.text).toBe('priority 102 not from all to 198.51.100.0/24 fwmark 0x10/0xff iif eth0 prohibit');
    expect(r4).toMatchObject({ family: 6, action: 'goto', goto: 200, noTrack: true });
    // absent: empty lists
    expect(load(instance()).vrrpInstances[0]!.virtualRoutes).toEqual([]);
  });

  it.each([
    ["  - '198.51.100.1/24 via 192.0.2.254'", 'CONFIG_BAD_ADDRESS', /host bits/],
    ["  - '198.51.100.0/33 dev eth0'", 'CONFIG_BAD_ADDRESS', /not an IP prefix/],
    ["  - '198.51.100.0/24 via 2001:db8::1'", 'CONFIG_FAMILY_MISMATCH', /via 2001:db8::1 is IPv6/],
    [
      "  - '198.51.100.0/24 dev eth0 table nosuchtable'",
      'CONFIG_UNKNOWN_REFERENCE',
      /unknown routing table 'nosuchtable'/,
    ],
    ["  - 'blackhole 198.51.100.0/24 via 192.0.2.1'", 'CONFIG_NOT_APPLICABLE', /takes no via or dev/],
    ["  - '198.51.100.0/24'", 'CONFIG_MISSING_KEY', /needs via or dev/],
    ["  - '198.51.100.0/24 dev eth0 mtu 1400'", 'CONFIG_BAD_VALUE', /unexpected 'mtu 1400'/],
    ["  - '198.51.100.0/24 dev eth0 protocol nosuch'", 'CONFIG_BAD_VALUE', /protocol must be/],
  ])('virtual_routes %s → %s at line:col', (item, code, msg) => {
    const e = errors(instance('virtual_routes:', item));
    expect(e).toHaveLength(1);
    expect(e[0]).toMatch(new RegExp(`^7:\\d+ ${code} `));
    expect(e[0]).toMatch(msg);
  });

  it.each([
    ["  - 'from 192.0.2.0/24 table 100'", 'CONFIG_MISSING_KEY', /needs a priority/],
    ["  - 'from 192.0.2.0/24 priority 5'", 'CONFIG_MISSING_KEY', /needs an action/],
    ["  - 'from 192.0.2.0/24 to 2001:db8::/32 table 1 priority 5'", 'CONFIG_FAMILY_MISMATCH', /IPv6/],
    ["  - 'goto 5 priority 10'", 'CONFIG_BAD_VALUE', /greater than the rule's priority/],
    ["  - 'fwmark 0x1/0x2/0x3 table 1 priority 5'", 'CONFIG_BAD_VALUE', /fwmark must be/],
    [
      '  - { from: 192.0.2.0/24, table: 1, action: nop, priority: 5 }',
      'CONFIG_NOT_APPLICABLE',
      /table is for the table action/,
    ],
    [
      "  - 'from 192.0.2.0/24 table main priority 5 ipproto tcp'",
      'CONFIG_BAD_VALUE',
      /unexpected 'ipproto tcp'/,
    ],
  ])('virtual_rules %s → %s at line:col', (item, code, msg) => {
    const e = errors(instance('virtual_rules:', item));
    expect(e).toHaveLength(1);
    expect(e[0]).toMatch(new RegExp(`^7:\\d+ ${code} `));
    expect(e[0]).toMatch(msg);
  });

  it('the same route (prefix, table, metric) or rule twice is refused', () => {
    const e = errors(
      instance(
        'virtual_routes:',
        "  - '198.51.100.0/24 dev eth0'",
        "  - '198.51.100.0/24 via 192.0.2.1'",
        'virtual_rules:',
        "  - 'from all table 1 priority 5'",
        "  - 'table 1 priority 5'",
      ),
    );
    expect(e).toEqual([
      expect.stringMatching(/^8:\d+ CONFIG_DUPLICATE .*virtual_routes\[0\]/),
      expect.stringMatching(/^11:\d+ CONFIG_DUPLICATE .*virtual_rules\[0\]/),
    ]);
  });
});

/** A kernel in a Map: what is installed, by text; `del` simulates someone deleting one. */
function fakeManager() {
  const routes = new Map<string, VirtualRoute>();
  const rules = new Map<string, VirtualRule>();
  const ops: string[] = [];
  let deleted: () => void = () => {};
  const m: RoutingManager = {
    async addRoute(r) {
      ops.push(`+route ${r.text}`);
      const fresh = !routes.has(r.text);
      routes.set(r.text, r);
      return fresh;
    },
    async removeRoute(r) {
      ops.push(`-route ${r.text}`);
      routes.delete(r.text);
    },
    async addRule(r) {
      ops.push(`+rule ${r.text}`);
      const fresh = !rules.has(r.text);
      rules.set(r.text, r);
      return fresh;
    },
    async removeRule(r) {
      ops.push(`-rule ${r.text}`);
      rules.delete(r.text);
    },
    async present(rs, ls) {
      return { routes: rs.map((r) => routes.has(r.text)), rules: ls.map((r) => rules.has(r.text)) };
    },
    onDeleted(cb) {
      deleted = cb;
    },
    close() {},
  };
  return { m, routes, rules, ops, fire: () => deleted() };
}

const quietLog = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {} } as never;
const settle = () => new Promise((r) => setTimeout(r, 10));

describe('InstanceRouting', () => {
  const cfg = load(
    instance(
      'virtual_routes:',
      "  - '198.51.100.0/24 via 192.0.2.254'",
      "  - '203.0.113.0/24 via 192.0.2.254 no_track'",
      'virtual_rules:',
      "  - 'from 192.0.2.50 table 100 priority 100'",
    ),
  ).vrrpInstances[0]!;

  it('install adds all; remove removes all; nothing while not master', async () => {
    const k = fakeManager();
    const r = new InstanceRouting(k.m, quietLog, () => 'VI_1');
    await r.install(cfg, () => false);
    expect(k.ops).toEqual([]);
    await r.install(cfg, () => true);
    expect([...k.routes.keys()]).toHaveLength(2);
    expect([...k.rules.keys()]).toHaveLength(1);
    const s = await r.snapshot(cfg);
    expect(s.routes.every((x) => x.installed)).toBe(true);
    await r.remove(cfg);
    expect(k.routes.size + k.rules.size).toBe(0);
  });

  it('reconcile puts back the tracked ones only and counts them', async () => {
    const k = fakeManager();
    const r = new InstanceRouting(k.m, quietLog, () => 'VI_1');
    await r.install(cfg, () => true);
    k.routes.clear();
    k.rules.clear();
    r.reconcile(
      () => cfg,
      () => true,
    );
    await settle();
    expect([...k.routes.keys()]).toEqual(['198.51.100.0/24 via 192.0.2.254']);
    expect(k.rules.size).toBe(1);
    expect(r.counters).toMatchObject({ routesRestored: 1, rulesRestored: 1 });
    // not master: nothing
    k.routes.clear();
    r.reconcile(
      () => cfg,
      () => false,
    );
    await settle();
    expect(k.routes.size).toBe(0);
  });

  it('update while master: only the difference', async () => {
    const k = fakeManager();
    const r = new InstanceRouting(k.m, quietLog, () => 'VI_1');
    await r.install(cfg, () => true);
    const next = load(
      instance(
        'virtual_routes:',
        "  - '198.51.100.0/24 via 192.0.2.254'",
        "  - '198.51.101.0/24 via 192.0.2.254'",
      ),
    ).vrrpInstances[0]!;
    k.ops.length = 0;
    await r.update(cfg, next);
    expect(k.ops.sort()).toEqual(
      [
        '-route 203.0.113.0/24 via 192.0.2.254',
        '-rule priority 100 from 192.0.2.50/32 lookup 100',
        '+route 198.51.101.0/24 via 192.0.2.254',
      ].sort(),
    );
  });
});

describe('vrrpd status', () => {
  it('prints each route and rule of an instance and whether the kernel has it', async () => {
    const { exampleSnapshot } = await import('../../src/control/example.js');
    const { renderStatus } = await import('../../src/control/render.js');
    const s = exampleSnapshot();
    const i = s.instances[0]!;
    i.state = 'master';
    i.routing = {
      routes: [
        { route: '198.51.100.0/24 via 192.0.2.254 table 100', table: 100, noTrack: false, installed: true },
        { route: 'blackhole 203.0.113.0/24', table: 254, noTrack: true, installed: false },
      ],
      rules: [{ rule: 'priority 100 from 192.0.2.50/32 lookup 100', noTrack: false, installed: true }],
      restored: 2,
      errors: 0,
    };
    const text = renderStatus(s, { color: false, now: new Date('2026-01-01T00:00:00Z') });
    expect(text).toContain(`${i.name} route: 198.51.100.0/24 via 192.0.2.254 table 100  installed\n`);
    expect(text).toContain(`${i.name} route: blackhole 203.0.113.0/24  NOT INSTALLED (no_track)\n`);
    expect(text).toContain(`${i.name} rule: priority 100 from 192.0.2.50/32 lookup 100  installed\n`);
    expect(text).toContain(`${i.name} routing: 2 restored, 0 errors\n`);
  });
});
