// import-keepalived carries keepalived's virtual_routes / virtual_rules over with their
// meaning (the model vrrpd builds from the output is the one keepalived would install),
// and names every option it does not set: the option alone when the route stays the same
// route, the whole line when it would not.
import { describe, expect, it } from 'vitest';
import { type Config, formatConfigError, parseConfigText } from '../../src/config/index.js';
import { importKeepalivedConf } from '../../src/config/keepalived-import.js';

function imp(text: string): { yaml: string; warnings: string[]; config: Config } {
  const r = importKeepalivedConf(text);
  const c = parseConfigText(r.yaml, 'imported.yaml', { hostname: 'h' });
  if (!c.ok) throw new Error(`${r.yaml}\n${c.errors.map(formatConfigError).join('\n')}`);
  return { ...r, config: c.config };
}

const vi = (body: string, name = 'VI_1', vrid = 51): string => `vrrp_instance ${name} {
  interface eth0
  virtual_router_id ${vrid}
  priority 100
  virtual_ipaddress {
    192.0.2.10/24
  }
${body}
}
`;

describe('import-keepalived: virtual_routes', () => {
  it('carries over src, to, via|gw, dev|oif, table, metric, scope, types, no_track', () => {
    const r = imp(
      vi(`  virtual_routes {
    src 192.0.2.10 to 198.51.100.0/24 via 192.0.2.254 dev eth0
    198.51.101.0/24 gw 192.0.2.254 oif eth0 table 100 metric 5 scope link
    198.51.102.0/24 dev eth0 no_track protocol bird
    blackhole 203.0.113.0/24
    unreachable 203.0.113.128/25 table 7
    inet6 prohibit default
    0.0.0.0/0 via 192.0.2.1 table 100 onlink prepend
  }`),
    );
    const routes = r.config.vrrpInstances[0]!.virtualRoutes.map((x) => x.text);
    expect(routes).toEqual([
      '198.51.100.0/24 via 192.0.2.254 dev eth0 src 192.0.2.10',
      '198.51.101.0/24 via 192.0.2.254 dev eth0 table 100 metric 5 scope link',
      '198.51.102.0/24 dev eth0 proto 12',
      'blackhole 203.0.113.0/24',
      'unreachable 203.0.113.128/25 table 7',
      '-6 prohibit default',
      'default via 192.0.2.1 table 100 onlink',
    ]);
    const rs = r.config.vrrpInstances[0]!.virtualRoutes;
    expect(rs.map((x) => x.noTrack)).toEqual([false, false, true, false, false, false, false]);
    // keepalived's defaults, which are vrrpd's: main table, protocol keepalived, scope global
    expect(rs[0]).toMatchObject({ table: 254, protocol: 18, scope: 'global' });
    expect(r.warnings).toEqual([]);
  });

  it('names what it does not set: a tuning option alone, a multipath or special route whole', () => {
    const r = imp(
      vi(`  virtual_routes {
    198.51.100.0/24 via 192.0.2.254 mtu lock 1400 advmss 1300
    198.51.101.0/24 via 192.0.2.254 or 192.0.2.253
    198.51.102.0/24 nexthop via 192.0.2.1 weight 1 nexthop via 192.0.2.2 weight 2
    local 198.51.103.0/24 dev eth0
    198.51.104.0/24 via 192.0.2.254 append
    198.51.105.0/24 via 192.0.2.254 protocol bird
  }`),
    );
    expect(r.config.vrrpInstances[0]!.virtualRoutes.map((x) => x.text)).toEqual([
      '198.51.100.0/24 via 192.0.2.254',
      '198.51.104.0/24 via 192.0.2.254',
      '198.51.105.0/24 via 192.0.2.254',
    ]);
    const w = r.warnings.join('\n');
    // two options of one line: one warning
    expect(w).toContain("keepalived.conf:9: not carried over: 'mtu lock 1400' of the route");
    expect(w).toMatch(/:9: .*; 'advmss 1300' of the route/);
    expect(w).toMatch(/:10: .*multipath/);
    expect(w).toMatch(/:11: .*multipath routes \(nexthop\)/);
    expect(w).toMatch(/:12: .*no local routes/);
    expect(w).toMatch(/:13: .*'append' of the route because vrrpd prepends/);
    // a tracked route's protocol is keepalived's whatever is given: a note, not a warning
    expect(r.yaml).toMatch(/# note \(line 14\): keepalived marks a tracked route/);
    expect(r.warnings).toHaveLength(5);
  });
});

describe('import-keepalived: virtual_rules', () => {
  it('carries over from, to, iif|dev, oif, fwmark/mask, tos, not, table|lookup, goto, actions, preference', () => {
    const r = imp(
      vi(`  virtual_rules {
    from 192.0.2.0/24 table 100 preference 100
    to 198.51.100.0/24 iif eth0 oif eth1 lookup 100 priority 101 no_track
    not from 192.0.2.10 fwmark 0x10/0xff tos 0x08 prohibit order 102
    from 2001:db8::/64 goto 300 preference 200
    inet6 nop priority 201
    from all table main suppress_prefixlength 0 priority 103
  }`),
    );
    const rules = r.config.vrrpInstances[0]!.virtualRules;
    expect(rules.map((x) => x.text)).toEqual([
      'priority 100 from 192.0.2.0/24 lookup 100',
      'priority 101 from all to 198.51.100.0/24 iif eth0 oif eth1 lookup 100',
      'priority 102 not from 192.0.2.10/32 tos 0x8 fwmark 0x10/0xff prohibit',
      '-6 priority 200 from 2001:db8::/64 goto 300',
      '-6 priority 201 from all nop',
      'priority 103 from all lookup 254 suppress_prefixlength 0',
    ]);
    expect(rules[1]!.noTrack).toBe(true);
    expect(r.warnings).toEqual([]);
  });

  it("writes out keepalived's preference for rules without one: 16384 down, per family, across instances", () => {
    const r = imp(
      vi(
        `  virtual_rules {
    from 192.0.2.0/24 table 100
    from 2001:db8::/64 table 100
  }`,
      ) +
        vi(
          `  virtual_rules {
    from 192.0.2.128/25 table 100
  }`,
          'VI_2',
          52,
        ),
    );
    expect(r.config.vrrpInstances[0]!.virtualRules.map((x) => [x.family, x.priority])).toEqual([
      [4, 16384],
      [6, 16384],
    ]);
    expect(r.config.vrrpInstances[1]!.virtualRules[0]!.priority).toBe(16383);
    expect(r.yaml).toContain('priority 16384 written out');
  });

  it('leaves out a rule with a selector vrrpd does not set (it would match more), and names it', () => {
    const r = imp(
      vi(`  virtual_rules {
    from 192.0.2.0/24 ipproto tcp dport 80 table 100 priority 5
    from 192.0.2.0/24 uidrange 1000-2000 table 100 priority 6
    from 192.0.2.0/24 realms 3 table 100 priority 7
  }`),
    );
    expect(r.config.vrrpInstances[0]!.virtualRules.map((x) => x.priority)).toEqual([7]);
    expect(r.warnings).toEqual([
      expect.stringMatching(/keepalived.conf:9: not carried over: .*ipproto/),
      expect.stringMatching(/keepalived.conf:10: not carried over: .*uidrange/),
      expect.stringMatching(/keepalived.conf:11: not carried over: 'realms 3' of the rule/),
    ]);
  });
});
