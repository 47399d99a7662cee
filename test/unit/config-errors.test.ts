// Every kind of configuration error, with its exact FILE:LINE:COL (1-based).
import { describe, expect, it } from 'vitest';
import { formatConfigError, parseConfigText } from '../../src/config/index.js';

/** the formatted errors of a text that must fail */
function errors(text: string): string[] {
  const r = parseConfigText(text, 'f.yaml', { hostname: 'testhost' });
  if (r.ok) throw new Error('expected errors, the configuration was accepted');
  return r.errors.map(formatConfigError);
}

function codes(text: string): string[] {
  const r = parseConfigText(text, 'f.yaml', { hostname: 'testhost' });
  return r.ok ? [] : r.errors.map((e) => e.code);
}

const lines = (...l: string[]): string => `${l.join('\n')}\n`;

// a valid instance; callers append keys at 4 spaces (line 6 onwards)
const inst = (...extra: string[]): string =>
  lines(
    'vrrp_instances:',
    '  - name: VI_1',
    '    interface: eth0',
    '    vrid: 51',
    '    virtual_ips: [192.0.2.50/24]',
    ...extra,
  );

describe('YAML level', () => {
  it('a syntax error names its position', () => {
    const e = errors(lines('global:', '  router_id: [a, b', 'vrrp_instances: []'));
    expect(e[0]).toMatch(/^f\.yaml:\d+:\d+: YAML syntax error: /);
    expect(codes(lines('a: [1, 2'))).toEqual(['CONFIG_YAML_SYNTAX']);
  });

  it('a duplicate key is pointed at', () => {
    expect(errors(lines('global:', '  log_level: info', '  log_level: debug'))).toEqual([
      'f.yaml:3:3: duplicate key in a mapping',
    ]);
  });

  it('plain text, a list or a number at the top level is refused clearly', () => {
    expect(errors('just some words\n')[0]).toMatch(
      /^f\.yaml:1:1: the top level must be a YAML mapping .* a string$/,
    );
    expect(errors('- a\n- b\n')[0]).toMatch(/but it is a list$/);
    expect(errors('42\n')[0]).toMatch(/but it is a number$/);
  });

  it('an empty file is refused', () => {
    expect(errors('')).toEqual(['f.yaml:1:1: the configuration is empty']);
    expect(errors('# only a comment\n')).toEqual(['f.yaml:1:1: the configuration is empty']);
  });

  it('binary data is not parsed as YAML', () => {
    const e = errors(`global:\n  x: \u0000\u0001\u0002ELF`);
    expect(e).toEqual([
      'f.yaml:2:6: this is not a text file (binary data found); a configuration is YAML text',
    ]);
  });
});

describe('schema errors', () => {
  it('unknown key points at the key with a suggestion', () => {
    expect(errors(inst('    prority: 100'))).toEqual([
      "f.yaml:6:5: unknown key 'prority' in vrrp_instances[0]; did you mean 'priority'?",
    ]);
    expect(errors(lines('globl:', '  log_level: info'))).toEqual([
      "f.yaml:1:1: unknown key 'globl' at the top level; did you mean 'global'?".replace(
        ' at the top level',
        ' in the top level',
      ),
    ]);
  });

  it('keepalived spellings get our name suggested', () => {
    expect(errors(inst('    virtual_router_id: 5'))[0]).toContain("did you mean 'vrid'?");
    expect(errors(inst('    advert_int: 1'))[0]).toContain("did you mean 'advert_interval'?");
  });

  it('no suggestion when nothing is close', () => {
    expect(errors(inst('    zzzzzzzz: 1'))).toEqual([
      "f.yaml:6:5: unknown key 'zzzzzzzz' in vrrp_instances[0]",
    ]);
  });

  it('unknown keys deep inside are found too', () => {
    const e = errors(
      lines(
        'virtual_servers:',
        '  - address: 192.0.2.50',
        '    port: 80',
        '    real_servers:',
        '      - address: 198.51.100.2',
        '        port: 80',
        '        check: {type: http, pahth: /x}',
      ),
    );
    expect(e).toEqual([
      "f.yaml:7:29: unknown key 'pahth' in virtual_servers[0].real_servers[0].check; did you mean 'path'?",
    ]);
  });

  it('wrong type points at the value', () => {
    expect(errors(inst('    priority: high'))).toEqual([
      "f.yaml:6:15: vrrp_instances[0].priority must be a whole number, not the string 'high'",
    ]);
    expect(errors(inst('    preempt: yes'))).toEqual([
      "f.yaml:6:14: vrrp_instances[0].preempt must be true or false, not the string 'yes'",
    ]);
    expect(errors(lines('global:'))).toEqual(['f.yaml:1:1: global must be a mapping, not empty']);
  });

  it('missing required key points at the mapping', () => {
    expect(
      errors(
        lines('vrrp_instances:', '  - name: VI_1', '    interface: eth0', '    virtual_ips: [192.0.2.1]'),
      ),
    ).toEqual(["f.yaml:2:5: vrrp_instances[0] needs 'vrid'"]);
  });

  it('vrid and priority ranges', () => {
    expect(errors(inst('    priority: 0'))).toEqual([
      'f.yaml:6:15: vrrp_instances[0].priority must be between 1 and 255, not 0',
    ]);
    const e = errors(
      lines(
        'vrrp_instances:',
        '  - name: VI_1',
        '    interface: eth0',
        '    vrid: 256',
        '    virtual_ips: [192.0.2.50/24]',
      ),
    );
    expect(e).toEqual(['f.yaml:4:11: vrrp_instances[0].vrid must be between 1 and 255, not 256']);
  });

  it('bad enum value with a suggestion', () => {
    const e = errors(
      lines('virtual_servers:', '  - address: 192.0.2.50', '    port: 80', '    scheduler: wrrr'),
    );
    expect(e).toEqual([
      "f.yaml:4:16: virtual_servers[0].scheduler must be one of 'rr', 'wrr', 'lc', 'wlc', 'sh', 'dh', 'lblc', 'lblcr', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos', not 'wrrr'; did you mean 'wrr'?",
    ]);
  });

  it('a bad duration', () => {
    expect(errors(inst('    advert_interval: 1 sec'))).toEqual([
      "f.yaml:6:22: vrrp_instances[0].advert_interval: '1 sec' is not a duration (write e.g. 10ms, 1s, 1.5s, 2m, or a number of seconds)",
    ]);
    expect(codes(inst('    preempt_delay: -1'))).toEqual(['CONFIG_OUT_OF_RANGE']);
  });

  it('an HTTP check path that is not a printable-ASCII path', () => {
    const vs = (path: string) =>
      lines(
        'virtual_servers:',
        '  - address: 192.0.2.50',
        '    port: 80',
        '    real_servers:',
        `      - {address: 198.51.100.2, port: 80, check: {type: http, path: ${path}}}`,
      );
    expect(errors(vs('"/a b"'))).toEqual([
      "f.yaml:5:69: virtual_servers[0].real_servers[0].check.path: '/a b' is not an HTTP path (it starts with /; spaces and non-ASCII characters must be percent-encoded)",
    ]);
    expect(codes(vs('healthz'))).toEqual(['CONFIG_BAD_VALUE']);
    expect(codes(vs('/caf\u00e9'))).toEqual(['CONFIG_BAD_VALUE']);
    expect(parseConfigText(vs('/healthz?full=1%20x'), 'f.yaml', { hostname: 'testhost' }).ok).toBe(true);
  });

  it('an empty argv list', () => {
    expect(errors(lines('vrrp_scripts:', '  chk:', '    command: []'))).toEqual([
      'f.yaml:3:14: vrrp_scripts.chk.command needs at least 1 item(s)',
    ]);
  });

  it('a bad script name points at the key', () => {
    expect(errors(lines('vrrp_scripts:', '  bad name:', '    command: [x]'))[0]).toMatch(
      /^f\.yaml:2:3: 'bad name' is not a valid name/,
    );
  });

  it('auth_pass longer than 8 characters', () => {
    expect(errors(inst('    version: 2', "    auth_pass: '123456789'"))).toEqual([
      'f.yaml:7:16: vrrp_instances[0].auth_pass is longer than 8 characters',
    ]);
  });

  it('reports every error, sorted by position', () => {
    const e = errors(inst('    priority: 300', '    prempt: true', '    accept: 1'));
    expect(e.map((x) => x.split(': ')[0])).toEqual(['f.yaml:6:15', 'f.yaml:7:5', 'f.yaml:8:13']);
  });

  it('errors inside aliases still get a position', () => {
    const e = errors(lines('vrrp_scripts:', '  a: &s {command: [x], wieght: 1}', '  b: *s'));
    expect(e[0]).toMatch(/^f\.yaml:2:\d+: unknown key 'wieght'/);
  });
});

describe('semantic errors', () => {
  it('duplicate instance names', () => {
    const text = lines(
      'vrrp_instances:',
      '  - {name: VI_1, interface: eth0, vrid: 1, virtual_ips: [192.0.2.1]}',
      '  - {name: VI_1, interface: eth0, vrid: 2, virtual_ips: [192.0.2.2]}',
    );
    expect(errors(text)).toEqual(["f.yaml:3:12: instance name 'VI_1' is already used by vrrp_instances[0]"]);
  });

  it('duplicate VRID on one interface and family; other family or interface is fine', () => {
    const text = lines(
      'vrrp_instances:',
      '  - {name: A, interface: eth0, vrid: 7, virtual_ips: [192.0.2.1]}',
      '  - {name: B, interface: eth0, vrid: 7, virtual_ips: [2001:db8::1/64]}',
      '  - {name: C, interface: eth1, vrid: 7, virtual_ips: [192.0.2.3]}',
      '  - {name: D, interface: eth0, vrid: 7, virtual_ips: [192.0.2.4]}',
    );
    expect(errors(text)).toEqual([
      "f.yaml:5:38: vrid 7 is already used on eth0 for IPv4 by instance 'A' (vrrp_instances[0])",
    ]);
  });

  it('advert_interval out of range for the version', () => {
    expect(errors(inst('    version: 2', '    advert_interval: 1500ms'))).toEqual([
      'f.yaml:7:22: vrrp_instances[0].advert_interval 1500ms is out of range: VRRPv2 takes whole seconds from 1s to 255s',
    ]);
    expect(errors(inst('    version: 2', '    advert_interval: 256'))[0]).toContain(
      'VRRPv2 takes whole seconds',
    );
    expect(errors(inst('    advert_interval: 15ms'))).toEqual([
      'f.yaml:6:22: vrrp_instances[0].advert_interval 15ms is out of range: VRRPv3 takes 10ms to 40.95s in steps of 10ms',
    ]);
    expect(codes(inst('    advert_interval: 41s'))).toEqual(['CONFIG_ADVERT_INTERVAL']);
    expect(codes(inst('    advert_interval: 0'))).toEqual(['CONFIG_ADVERT_INTERVAL']);
  });

  it('VRRPv2 with an IPv6 first VIP', () => {
    const text = lines(
      'vrrp_instances:',
      '  - name: VI_1',
      '    interface: eth0',
      '    vrid: 51',
      '    version: 2',
      '    virtual_ips:',
      '      - 2001:db8::1/64',
    );
    expect(errors(text)).toEqual([
      'f.yaml:7:9: VRRPv2 carries IPv4 only (RFC 3768): the first VIP sets the instance family and must be IPv4; use version: 3 for IPv6',
    ]);
  });

  it('bad VIPs', () => {
    const text = lines(
      'vrrp_instances:',
      '  - name: VI_1',
      '    interface: eth0',
      '    vrid: 51',
      '    virtual_ips:',
      '      - 192.0.2.1/24',
      '      - 192.0.2.300/24',
      '      - 192.0.2.1/32',
      '      - 192.0.2.2/24 dve eth1',
      '      - 192.0.2.3/33',
    );
    expect(errors(text)).toEqual([
      "f.yaml:7:9: vrrp_instances[0].virtual_ips[1]: '192.0.2.300/24' is not an IP address with an optional /prefix",
      'f.yaml:8:9: VIP 192.0.2.1 is already listed at virtual_ips[0]',
      "f.yaml:9:9: vrrp_instances[0].virtual_ips[3]: unexpected 'dve eth1'; write 'ADDRESS/PREFIX [dev IFNAME] [label LABEL] [brd ADDR] [scope SCOPE] [no_track]'",
      "f.yaml:10:9: vrrp_instances[0].virtual_ips[4]: '192.0.2.3/33' is not an IP address with an optional /prefix",
    ]);
  });

  it('unknown track script, with a suggestion', () => {
    const text = lines(
      'vrrp_scripts:',
      '  chk_haproxy: {command: [pgrep, haproxy]}',
      ...inst('    track_scripts: [chk_haproxi, {name: nope}]').trimEnd().split('\n'),
    );
    expect(errors(text)).toEqual([
      "f.yaml:8:21: unknown vrrp_script 'chk_haproxi'; did you mean 'chk_haproxy'?",
      "f.yaml:8:41: unknown vrrp_script 'nope'",
    ]);
    expect(errors(inst('    track_scripts: [x]'))).toEqual([
      "f.yaml:6:21: unknown vrrp_script 'x' (vrrp_scripts is empty)",
    ]);
  });

  it('sync groups: unknown instance, an instance in two groups', () => {
    const text = lines(
      ...inst().trimEnd().split('\n'),
      'vrrp_sync_groups:',
      '  - name: G1',
      '    instances: [VI_1, VI_2]',
      '  - name: G2',
      '    instances: [VI_1]',
    );
    expect(errors(text)).toEqual([
      "f.yaml:8:23: unknown instance 'VI_2'; did you mean 'VI_1'?",
      "f.yaml:10:17: instance 'VI_1' is already in sync group 'G1'; an instance belongs to at most one group",
    ]);
  });

  it('unicast source and peers must match the instance family', () => {
    expect(
      errors(inst('    unicast_src: 2001:db8::1', '    unicast_peers: [192.0.2.2, 2001:db8::2, nope]')),
    ).toEqual([
      'f.yaml:6:18: unicast_src 2001:db8::1 is IPv6 but the instance is IPv4 (family of its first VIP)',
      'f.yaml:7:32: unicast peer 2001:db8::2 is IPv6 but the instance is IPv4 (family of its first VIP)',
      "f.yaml:7:45: vrrp_instances[0].unicast_peers[2]: 'nope' is not an IP address",
    ]);
    expect(errors(inst('    unicast_src: 192.0.2.1'))).toEqual([
      'f.yaml:6:5: unicast_src has no effect without unicast_peers',
    ]);
  });

  it('auth_pass only with VRRPv2', () => {
    expect(errors(inst('    auth_pass: secret'))).toEqual([
      'f.yaml:6:5: auth_pass is VRRPv2 only: RFC 5798 removed authentication from VRRPv3',
    ]);
  });

  it('lvs_sync_daemon names an existing instance', () => {
    expect(errors(inst().concat('lvs_sync_daemon: {interface: eth0, instance: VI_2}\n'))).toEqual([
      "f.yaml:6:46: unknown instance 'VI_2'; did you mean 'VI_1'?",
    ]);
  });

  const vs = (...rest: string[]): string =>
    lines('virtual_servers:', '  - address: 192.0.2.50', '    port: 80', '    real_servers:', ...rest);

  it('real server without a port on an address:port service', () => {
    expect(errors(vs('      - address: 198.51.100.2'))).toEqual([
      "f.yaml:5:9: virtual_servers[0].real_servers[0] needs 'port' (only fwmark virtual servers take real servers without one)",
    ]);
  });

  it('duplicate virtual servers and real servers', () => {
    const text = lines(
      'virtual_servers:',
      '  - {address: 192.0.2.50, port: 80, real_servers: [{address: 198.51.100.2, port: 80}, {address: 198.51.100.2, port: 80}]}',
      '  - {address: 192.0.2.50, port: 80, protocol: udp}',
      '  - {address: 192.0.2.50, port: 80}',
    );
    expect(errors(text)).toEqual([
      'f.yaml:2:97: real server 198.51.100.2:80 is already listed',
      'f.yaml:4:15: virtual server tcp:192.0.2.50:80 is already defined at virtual_servers[0]',
    ]);
  });

  it('address and fwmark are exclusive, one is needed', () => {
    expect(errors(lines('virtual_servers:', '  - {scheduler: rr}'))).toEqual([
      'f.yaml:2:5: virtual_servers[0] needs either address (with port) or fwmark, and has neither',
    ]);
    expect(errors(lines('virtual_servers:', '  - {address: 192.0.2.1, port: 1, fwmark: 3}'))).toEqual([
      'f.yaml:2:35: virtual_servers[0] needs either address (with port) or fwmark, not both',
    ]);
  });

  it('check keys that do not belong to the check type', () => {
    const e = errors(
      vs(
        '      - address: 198.51.100.2',
        '        port: 80',
        '        check: {type: tcp, path: /x, tls_verify: true}',
      ),
    );
    expect(e).toEqual([
      "f.yaml:7:28: 'path' does not apply to a tcp check (only http/https)",
      "f.yaml:7:38: 'tls_verify' does not apply to a tcp check (only https)",
    ]);
    expect(
      errors(vs('      - address: 198.51.100.2', '        port: 80', '        check: {type: script}')),
    ).toEqual([
      "f.yaml:7:16: virtual_servers[0].real_servers[0].check: a script check needs 'command' (an argv list)",
    ]);
    expect(
      errors(
        vs('      - address: 198.51.100.2', '        port: 80', '        check: {type: script, command: []}'),
      )[0],
    ).toContain('needs at least 1 item');
  });

  it('fwmark real server without a port needs a check port', () => {
    const text = lines(
      'virtual_servers:',
      '  - fwmark: 1',
      '    real_servers:',
      '      - {address: 192.0.2.9, check: {type: tcp}}',
    );
    expect(errors(text)).toEqual([
      "f.yaml:4:37: virtual_servers[0].real_servers[0].check: a tcp check needs 'port' (the real server has none)",
    ]);
  });

  it('real server of the other family needs tun forwarding', () => {
    expect(errors(vs('      - {address: 2001:db8::2, port: 80}'))).toEqual([
      'f.yaml:5:19: real server 2001:db8::2 is IPv6 but the virtual server is IPv4; only tun forwarding can mix families',
    ]);
    const ok = parseConfigText(vs('      - {address: 2001:db8::2, port: 80, forwarding: tun}'), 'f.yaml');
    expect(ok.ok).toBe(true);
  });

  it('persistence_netmask must be a valid mask or prefix', () => {
    const bad = lines(
      'virtual_servers:',
      '  - {address: 192.0.2.1, port: 1, persistence_netmask: 255.0.255.0}',
    );
    expect(errors(bad)).toEqual([
      "f.yaml:2:56: virtual_servers[0].persistence_netmask must be a contiguous IPv4 netmask (255.255.255.0) or a prefix length 1-32, not '255.0.255.0'",
    ]);
    expect(
      codes(
        lines('virtual_servers:', '  - {address: 2001:db8::1, port: 1, persistence_netmask: 255.255.0.0}'),
      ),
    ).toEqual(['CONFIG_BAD_VALUE']);
  });

  it('scheduler flags need their scheduler; ops needs UDP', () => {
    const text = lines(
      'virtual_servers:',
      '  - {address: 192.0.2.1, port: 1, scheduler: rr, sh_port: true, ops: true}',
    );
    expect(errors(text)).toEqual([
      'f.yaml:2:50: sh_port needs scheduler: sh (it is rr)',
      'f.yaml:2:65: ops (one-packet scheduling) is for UDP services',
    ]);
  });

  it('persistence and IPVS timeouts take whole seconds', () => {
    expect(codes(lines('lvs_timeouts: {tcp: 1500ms}'))).toEqual(['CONFIG_BAD_DURATION']);
    expect(errors(lines('lvs_timeouts: {tcp: 1500ms}'))[0]).toMatch(
      /^f\.yaml:1:21: lvs_timeouts.tcp must be whole seconds/,
    );
  });

  it('metrics_listen must be ADDRESS:PORT', () => {
    expect(errors(lines('global: {metrics_listen: "localhost:9650"}'))[0]).toMatch(
      /^f\.yaml:1:26: global.metrics_listen must be/,
    );
  });

  it('snmp.agentx_socket: a unix path or tcp:HOST:PORT, as snmpd takes it (AgentX has no UDP)', () => {
    expect(errors(lines('global: {snmp: {agentx_socket: "udp:127.0.0.1:705"}}'))[0]).toMatch(
      /^f\.yaml:1:32: global.snmp.agentx_socket must be a unix socket path .* not 'udp:127.0.0.1:705'/,
    );
    expect(errors(lines('global: {snmp: {agentx_socket: "tcp:localhost:99999"}}'))).toHaveLength(1);
    expect(errors(lines('global: {snmp: {agentx_socket: "relative/path"}}'))).toHaveLength(1);
    expect(errors(lines('global: {snmp: {agentx_sock: /x}}'))[0]).toMatch(/agentx_sock.*agentx_socket/);
    const snmpOf = (text: string) => {
      const r = parseConfigText(text, 'f.yaml', { hostname: 'h' });
      return r.ok ? r.config.global.snmp : r.errors;
    };
    expect(snmpOf(lines('global: {snmp: {}}'))).toEqual({
      agentx: { kind: 'unix', path: '/var/agentx/master' },
      traps: true,
    });
    expect(snmpOf(lines('global: {snmp: {agentx_socket: "tcp:[::1]:705", traps: false}}'))).toEqual({
      agentx: { kind: 'tcp', host: '::1', port: 705 },
      traps: false,
    });
    expect(snmpOf(lines('global: {snmp: {agentx_socket: "unix:/run/agentx/master"}}'))).toMatchObject({
      agentx: { kind: 'unix', path: '/run/agentx/master' },
    });
    expect(snmpOf(lines('global: {}'))).toBeUndefined();
  });

  it('schema errors in one part do not hide semantic errors elsewhere, nor invent new ones', () => {
    const text = lines(
      'vrrp_instances:',
      '  - {name: A, interface: eth0, vrid: 1, priority: high, virtual_ips: [192.0.2.1]}',
      '  - {name: B, interface: eth0, vrid: 2, virtual_ips: [192.0.2.2], track_scripts: [nope]}',
      'vrrp_sync_groups:',
      '  - {name: G, instances: [A, B]}',
    );
    expect(errors(text)).toEqual([
      "f.yaml:2:51: vrrp_instances[0].priority must be a whole number, not the string 'high'",
      "f.yaml:3:83: unknown vrrp_script 'nope' (vrrp_scripts is empty)",
    ]);
  });
});
