// The LVS features a keepalived.conf migration needs, in the config and the model: several
// checks per real server, several urls per http check, status ranges, virtual server
// groups (ranges, fwmarks, one check per real server), tunnel checksums, alpha and
// inhibit_on_failure at every level, omega. Bad input is refused with file:line:col.
import { describe, expect, it } from 'vitest';
import { type Config, parseConfigText } from '../../src/config/index.js';
import type { HttpCheck } from '../../src/config/model.js';
import { addressRange } from '../../src/config/vs-group.js';
import { checkSpecsOf, healthLookup } from '../../src/lvs/check-specs.js';
import { desiredTable, destOf } from '../../src/lvs/desired.js';

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

const vs = (...rs: string[]): string =>
  lines(
    'virtual_servers:',
    '  - address: 192.0.2.10',
    '    port: 80',
    '    real_servers:',
    '      - address: 198.51.100.1',
    '        port: 80',
    ...rs.map((l) => `        ${l}`),
  );

describe('several checks per real server', () => {
  it('checks: every one is in the model; check is the first', () => {
    const c = load(vs('checks:', '  - {type: tcp, port: 22}', '  - {type: http, path: /live}'));
    const rs = c.virtualServers[0]!.realServers[0]!;
    expect(rs.checks?.map((x) => x.type)).toEqual(['tcp', 'http']);
    expect(rs.check).toBe(rs.checks![0]);
    expect(errors(vs('check: {type: tcp}', 'checks: [{type: tcp, port: 22}]'))).toEqual([
      '8:9: give either check or checks, not both',
    ]);
  });

  it('one spec per check, grouped under the real server id (one check keeps its old id)', () => {
    const c = load(vs('checks:', '  - {type: tcp, port: 22}', '  - {type: http, path: /live}'));
    const { specs, targets } = checkSpecsOf(c);
    expect(specs.map((s) => [s.id, s.group])).toEqual([
      ['tcp/192.0.2.10:80 198.51.100.1:80', 'tcp/192.0.2.10:80 198.51.100.1:80'],
      ['tcp/192.0.2.10:80 198.51.100.1:80 #2', 'tcp/192.0.2.10:80 198.51.100.1:80'],
    ]);
    expect([...targets.keys()]).toEqual(['tcp/192.0.2.10:80 198.51.100.1:80']);
    const one = checkSpecsOf(load(vs('check: {type: tcp}')));
    expect(one.specs.map((s) => [s.id, s.group])).toEqual([['tcp/192.0.2.10:80 198.51.100.1:80', undefined]]);
  });

  it('urls: one check per url, all must pass; url keys override the check', () => {
    const c = load(
      vs(
        'check:',
        '  type: http',
        "  status: ['200-204']",
        '  urls:',
        '    - {path: /live}',
        '    - {path: /ready, status: [200, 301], host: www.example.test}',
      ),
    );
    const checks = c.virtualServers[0]!.realServers[0]!.checks as HttpCheck[];
    expect(checks.map((x) => [x.path, x.status, x.host])).toEqual([
      ['/live', [200, 201, 202, 203, 204], undefined],
      ['/ready', [200, 301], 'www.example.test'],
    ]);
  });

  it('status ranges: keepalived 200-299 and lists; a backwards range and path with urls are errors', () => {
    const c = load(vs("check: {type: http, status: ['200-299', 404]}"));
    const st = (c.virtualServers[0]!.realServers[0]!.check as HttpCheck).status;
    expect(st.length).toBe(101);
    expect(st.at(-1)).toBe(404);
    expect(errors(vs("check: {type: http, status: ['299-200']}"))).toEqual([
      "7:38: status range '299-200' ends before it starts",
    ]);
    expect(errors(vs("check: {type: http, status: ['2xx']}"))[0]).toMatch(/^7:/);
    expect(errors(vs('check: {type: http, path: /a, urls: [{path: /b}]}'))).toEqual([
      '7:29: give either path or urls, not both',
    ]);
    expect(errors(vs('check: {type: tcp, urls: [{path: /b}]}'))[0]).toMatch(
      /'urls' does not apply to a tcp check/,
    );
  });

  it('alpha: check, then real server, then virtual server', () => {
    const c = load(
      vs('alpha: true', 'checks:', '  - {type: tcp}', '  - {type: tcp, port: 22, alpha: false}'),
    );
    const { specs } = checkSpecsOf(c);
    expect(specs.map((s) => s.alpha)).toEqual([true, false]);
    const d = load(vs('check: {type: tcp}').replace('    port: 80\n', '    port: 80\n    alpha: true\n'));
    expect(checkSpecsOf(d).specs[0]!.alpha).toBe(true);
  });

  it('inhibit_on_failure on the virtual server is its real servers default', () => {
    const text = vs('check: {type: tcp}').replace(
      '    port: 80\n',
      '    port: 80\n    inhibit_on_failure: true\n',
    );
    expect(load(text).virtualServers[0]!.realServers[0]!.inhibitOnFailure).toBe(true);
    const off = text.replace('check: {type: tcp}', 'check: {type: tcp}\n        inhibit_on_failure: false');
    expect(load(off).virtualServers[0]!.realServers[0]!.inhibitOnFailure).toBe(false);
  });

  it('omega is in the model', () => {
    const c = load(vs().replace('    port: 80\n', '    port: 80\n    omega: true\n'));
    expect(c.virtualServers[0]!.omega).toBe(true);
  });
});

describe('tunnels', () => {
  const tun = (...extra: string[]) =>
    lines(
      'virtual_servers:',
      '  - address: 192.0.2.10',
      '    port: 80',
      '    forwarding: tun',
      '    tun_type: gue',
      '    tun_port: 6080',
      ...extra,
      '    real_servers:',
      '      - {address: 198.51.100.1, port: 80}',
      '      - {address: 198.51.100.2, port: 80, tun_type: gre, tun_checksum: csum}',
      '      - {address: 198.51.100.3, port: 80, tun_type: ipip}',
    );
  it('gue port and checksum reach the IPVS dest (tun_flags csum 1, remcsum 2)', () => {
    const c = load(tun('    tun_checksum: remcsum'));
    const [a, b, d] = c.virtualServers[0]!.realServers;
    expect(a!.tunnel).toEqual({ type: 'gue', port: 6080, checksum: 'remcsum' });
    expect(destOf(a!)).toMatchObject({ tunType: 'gue', tunPort: 6080, tunFlags: 2 });
    // a real server's own tun_type: its own tunnel (no gue port, no inherited checksum)
    expect(b!.tunnel).toEqual({ type: 'gre', checksum: 'csum' });
    expect(destOf(b!)).toMatchObject({ tunType: 'gre', tunFlags: 1 });
    expect(d!.tunnel).toEqual({ type: 'ipip' });
  });
  it('a checksum the tunnel type does not take is an error', () => {
    const bad = tun().replace('tun_type: gre, tun_checksum: csum', 'tun_type: gre, tun_checksum: remcsum');
    expect(errors(bad)).toEqual([
      '9:58: tun_checksum remcsum does not apply to tun_type gre (gue: csum or remcsum; gre: csum)',
    ]);
  });
});

describe('virtual server groups', () => {
  const group = (entries: string[], ...extra: string[]) =>
    lines(
      'virtual_server_groups:',
      '  - name: web',
      '    entries:',
      ...entries.map((e) => `      - ${e}`),
      'virtual_servers:',
      '  - group: web',
      '    persistence_timeout: 60s',
      '    quorum_down: [/bin/true]',
      ...extra,
      '    real_servers:',
      '      - address: 198.51.100.1',
      '        port: 80',
      '        checks: [{type: tcp}, {type: http}]',
      '      - {address: 198.51.100.2, port: 80, check: {type: tcp}}',
    );

  it('address ranges as keepalived reads them', () => {
    const r = (t: string) => {
      const x = addressRange(t);
      return 'error' in x ? x.error : [x.first.toString(16), x.last.toString(16)];
    };
    expect(r('192.0.2.1-3')).toEqual(['c0000201', 'c0000203']);
    expect(r('192.0.2.250-192.0.3.1')).toEqual(['c00002fa', 'c0000301']);
    expect(r('192.0.2.8/30')).toEqual(['c0000208', 'c000020b']);
    expect(r('2001:db8::a-f')).toEqual([
      '20010db800000000000000000000000a',
      '20010db800000000000000000000000f',
    ]);
    expect(r('192.0.2.5-5')).toMatch(/greater than the start/);
    expect(r('192.0.2.9/29')).toMatch(/bits set past the prefix/);
    expect(r('192.0.2.9-192.0.2.1')).toMatch(/ends before it starts/);
  });

  it('one virtual server per entry, one check per real server for all of them, one quorum script', () => {
    const c = load(
      group(['{address: 192.0.2.10-12, port: 80}', '{fwmark: 7}', '{address: 192.0.2.20, port: 8080}']),
    );
    expect(c.virtualServers.map((v) => v.key)).toEqual([
      'tcp:192.0.2.10:80',
      'tcp:192.0.2.11:80',
      'tcp:192.0.2.12:80',
      'fwmark:7:4',
      'tcp:192.0.2.20:8080',
    ]);
    expect(c.virtualServers.every((v) => v.group === 'web/tcp')).toBe(true);
    expect(c.virtualServers.map((v) => v.quorumDown !== undefined)).toEqual([
      true,
      false,
      false,
      false,
      false,
    ]);
    const { specs, targets } = checkSpecsOf(c);
    // 198.51.100.1 has two checks, 198.51.100.2 one: three probes for five services
    expect(specs.map((s) => s.id)).toEqual([
      'group/web/tcp 198.51.100.1:80',
      'group/web/tcp 198.51.100.1:80 #2',
      'group/web/tcp 198.51.100.2:80',
    ]);
    expect(targets.size).toBe(2);
    // the one health reaches every service of the group
    const health = healthLookup(c, (id) => (id === 'group/web/tcp 198.51.100.2:80' ? 'down' : 'up'));
    const d = desiredTable(c.virtualServers, health);
    for (const [, svc] of d.table)
      expect([...svc.dests.values()].map((x) => x.address)).toEqual(['198.51.100.1']);
  });

  it('bad entries and references are refused with their position', () => {
    expect(errors(group(['{address: 192.0.2.10-300, port: 80}']))).toEqual([
      "4:19: '192.0.2.10-300': the range end must be 0-255",
    ]);
    expect(errors(group(['{address: 192.0.2.10, port: 80}', '{address: 192.0.2.9-10, port: 80}']))).toEqual([
      "5:19: 192.0.2.10 port 80 is already in group 'web'",
    ]);
    expect(errors(group(['{fwmark: 7, port: 80}']))).toEqual(['4:21: a fwmark entry has no port']);
    expect(errors(group(['{address: 192.0.0.0/8, port: 80}']))).toEqual([
      "4:19: group 'web' would hold more than 4096 services",
    ]);
    const unknown = group(['{fwmark: 7}']).replace('  - group: web', '  - group: nope');
    expect(errors(unknown)).toEqual(["6:12: there is no virtual_server_groups entry named 'nope'"]);
    const both = group(['{fwmark: 7}']).replace('  - group: web', '  - group: web\n    address: 192.0.2.1');
    expect(errors(both)).toEqual([
      "7:5: virtual_servers[0] has a group: the group's entries give the address",
    ]);
  });

  it('an entry error the expanded services share is reported once', () => {
    const text = group(['{address: 192.0.2.10-12}']).replace('    persistence_timeout: 60s\n', '');
    expect(errors(text)).toEqual(['6:5: port 0 (all ports) needs persistence_timeout > 0, as in IPVS']);
  });
});

describe('ha_suspend', () => {
  it('on an address service reaches the model; fwmark and group services refuse it', () => {
    const c = load(lines('virtual_servers:', '  - {address: 192.0.2.10, port: 80, ha_suspend: true}'));
    expect(c.virtualServers[0]!.haSuspend).toBe(true);
    expect(load(vs()).virtualServers[0]!.haSuspend).toBeUndefined();
    expect(errors(lines('virtual_servers:', '  - {fwmark: 7, ha_suspend: true}')).join('\n')).toMatch(
      /ha_suspend needs the virtual server's address: it does not apply to a fwmark service/,
    );
    expect(
      errors(
        lines(
          'virtual_server_groups:',
          '  - {name: web, entries: [{address: 192.0.2.10, port: 80}]}',
          'virtual_servers:',
          '  - {group: web, ha_suspend: true}',
        ),
      ).join('\n'),
    ).toMatch(/does not apply to a group service/);
  });
});
