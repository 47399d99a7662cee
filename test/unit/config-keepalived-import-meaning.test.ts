// biome-ignore-all lint/suspicious/noTemplateCurlyInString: keepalived.conf text uses ${NAME}
// import-keepalived keeps keepalived's meaning or says it did not: each case is a keepalived.conf
// statement that used to change meaning silently, and what the import does with it now.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runImportKeepalived } from '../../src/cli/import-keepalived.js';
import { type Config, formatConfigError, parseConfigText } from '../../src/config/index.js';
import { importKeepalivedConf } from '../../src/config/keepalived-import.js';

interface Imported {
  yaml: string;
  warnings: string[];
  config: Config;
}

function imp(text: string, opts: { file?: string } = {}): Imported {
  const r = importKeepalivedConf(text, opts);
  const c = parseConfigText(r.yaml, 'imported.yaml', { hostname: 'h' });
  if (!c.ok) throw new Error(`${r.yaml}\n${c.errors.map(formatConfigError).join('\n')}`);
  return { ...r, config: c.config };
}

const vi = (body: string, name = 'VI_1'): string => `vrrp_instance ${name} {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.10/24
  }
${body}
}
`;
const vs = (body: string, rs = ''): string => `virtual_server 192.0.2.10 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
${body}
  real_server 198.51.100.1 80 {
${rs}
  }
}
`;
/** the warning for keepalived.conf line N */
const warnedAt = (r: { warnings: string[] }, line: number, text: string): void => {
  const w = r.warnings.filter((x) => x.startsWith(`keepalived.conf:${line}: not carried over: `));
  expect(w.join('\n'), r.warnings.join('\n')).toContain(text);
};

describe('import-keepalived: checks', () => {
  it('status_code takes lists and ranges; absent it is keepalived 200-299', () => {
    const r = imp(vs('', 'HTTP_GET {\n url {\n path /\n status_code 200-202 404\n }\n }'));
    expect(r.config.virtualServers[0]!.realServers[0]!.check).toMatchObject({ status: [200, 201, 202, 404] });
    const d = imp(vs('', 'HTTP_GET {\n url {\n path /\n }\n }'));
    const status = (d.config.virtualServers[0]!.realServers[0]!.check as unknown as { status: number[] })
      .status;
    expect(status).toHaveLength(100);
    expect([status[0], status[99]]).toEqual([200, 299]);
  });

  it("keepalived's checker defaults are written out where vrrpd's differ", () => {
    const r = imp(
      vs('', 'HTTP_GET {\n url {\n path /\n status_code 200\n }\n }').replace(
        'real_server 198.51.100.1 80 {',
        'real_server 198.51.100.1 80 {\n weight 1',
      ),
    );
    const c = r.config.virtualServers[0]!;
    // delay_loop 60 s, connect_timeout 5 s, delay_before_retry 3 s for HTTP_GET, retry 1
    expect(c.realServers[0]!.check).toMatchObject({
      intervalMs: 60_000,
      timeoutMs: 5000,
      retryDelayMs: 3000,
      retry: 1,
    });
    // and the virtual server says so
    expect(r.yaml).toContain(
      "keepalived defaults written out where vrrpd's differ: delay_loop 60s, connect_timeout 5s, delay_before_retry 3s (HTTP_GET/SSL_GET)",
    );
    const t = imp(vs('delay_loop 3', 'TCP_CHECK {\n }'));
    expect(t.config.virtualServers[0]!.realServers[0]!.check).toMatchObject({
      type: 'tcp',
      intervalMs: 3000,
      timeoutMs: 5000,
      retryDelayMs: 1000,
    });
    // MISC_CHECK: retry 0, and without misc_timeout it may run for delay_loop
    const m = imp(vs('delay_loop 7', 'MISC_CHECK {\n misc_path "/bin/true x"\n }'));
    expect(m.config.virtualServers[0]!.realServers[0]!.check).toMatchObject({
      type: 'script',
      command: ['/bin/true', 'x'],
      retry: 0,
      timeoutMs: 7000,
    });
  });

  it('timing set on the virtual or real server reaches the check (keepalived: VS → RS → checker)', () => {
    const r = imp(
      vs('connect_timeout 2\n retry 4', 'delay_before_retry 9\n TCP_CHECK {\n connect_timeout 3\n }'),
    );
    expect(r.config.virtualServers[0]!.realServers[0]!.check).toMatchObject({
      timeoutMs: 3000,
      retry: 4,
      retryDelayMs: 9000,
    });
  });

  it('an unsupported checker leaves its real server visibly unchecked, and is a warning', () => {
    const r = imp(vs('', 'BFD_CHECK {\n name b\n }'));
    expect(r.config.virtualServers[0]!.realServers[0]!.check).toBeUndefined();
    warnedAt(r, 7, 'vrrpd has no BFD_CHECK: THIS REAL SERVER IS UNCHECKED');
    // the comment sits on the real server itself
    expect(r.yaml).toMatch(
      /# not carried over \(line 7\): 'BFD_CHECK \{\.\.\.\}'.*UNCHECKED.*\n\s+- address: 198\.51\.100\.1/,
    );
    // a FILE_CHECK without a track_file leaves it unchecked too
    expect(imp(vs('', 'FILE_CHECK {\n }')).warnings.join()).toContain('THIS REAL SERVER IS UNCHECKED');
  });

  it('an HTTP_GET without url or a MISC_CHECK without misc_path is ignored, as keepalived ignores it', () => {
    const r = imp(vs('', 'HTTP_GET {\n connect_timeout 2\n }\n TCP_CHECK {\n }'));
    expect(r.config.virtualServers[0]!.realServers[0]!.check).toMatchObject({ type: 'tcp' });
    warnedAt(r, 7, 'keepalived ignores this checker (it has no url with a path)');
    const u = imp(vs('', 'HTTP_GET {\n url {\n status_code 200\n }\n url {\n path /b\n }\n }'));
    expect(u.config.virtualServers[0]!.realServers[0]!.check).toMatchObject({ type: 'http', path: '/b' });
    warnedAt(u, 8, 'keepalived ignores a url without path');
    const m = imp(vs('', 'MISC_CHECK {\n }'));
    expect(m.config.virtualServers[0]!.realServers[0]!.check).toBeUndefined();
    warnedAt(m, 7, 'keepalived ignores this checker (it has no misc_path)');
  });

  it('every supported checker and every url is carried over (all must pass); an unsupported one is flagged', () => {
    const r = imp(
      vs(
        '',
        ['BFD_CHECK {', '}', 'TCP_CHECK {', '}', 'HTTP_GET {', ' url {', '  path /a', ' }', '}'].join('\n'),
      ),
    );
    const rs = r.config.virtualServers[0]!.realServers[0]!;
    expect(rs.checks?.map((c) => c.type)).toEqual(['tcp', 'http']);
    expect(rs.check).toMatchObject({ type: 'tcp' });
    warnedAt(r, 7, 'vrrpd has no BFD_CHECK: only the other checks of this real server (TCP_CHECK, HTTP_GET)');
    expect(r.warnings).toHaveLength(1);
    const u = imp(
      vs('', 'HTTP_GET {\n url {\n path /a\n }\n url {\n path /b\n status_code 200 300-302\n }\n }'),
    );
    const checks = u.config.virtualServers[0]!.realServers[0]!.checks!;
    expect(checks.map((c) => (c.type === 'http' ? [c.path, c.status.length] : []))).toEqual([
      ['/a', 100], // keepalived's default: 200-299
      ['/b', 4],
    ]);
    expect(u.yaml).toContain('status: [ 200-299 ]');
    expect(u.warnings).toEqual([]);
  });

  it("status_code: keepalived's 200-299 also when the url has a digest", () => {
    const d = imp(vs('', 'HTTP_GET {\n url {\n path /\n digest 0123456789abcdef0123456789abcdef\n }\n }'));
    const c = d.config.virtualServers[0]!.realServers[0]!.check!;
    expect(c.type === 'http' && c.status).toHaveLength(100);
  });

  it('alpha on a real server and on a checker is carried over', () => {
    const r = imp(vs('', 'alpha\n TCP_CHECK {\n }\n MISC_CHECK {\n misc_path /bin/true\n alpha false\n }'));
    const rs = r.config.virtualServers[0]!.realServers[0]!;
    expect(rs.checks?.map((c) => c.alpha)).toEqual([true, false]);
    expect(r.warnings).toEqual([]);
  });

  it('omega is carried over', () => {
    expect(imp(vs('omega', '')).config.virtualServers[0]!.omega).toBe(true);
  });

  it('a literal regex is expect_body; a real regular expression is flagged', () => {
    const r = imp(vs('', 'HTTP_GET {\n url {\n path /\n regex "status: ok"\n }\n }'));
    expect(r.config.virtualServers[0]!.realServers[0]!.check).toMatchObject({ expectBody: 'status: ok' });
    const x = imp(vs('', 'HTTP_GET {\n url {\n path /\n regex "^ok$"\n }\n }'));
    warnedAt(x, 10, 'not a regular expression');
  });
});

describe('import-keepalived: virtual and real servers', () => {
  it('inhibit_on_failure takes a bool; on the virtual server it is the real servers default', () => {
    const r = imp(vs('', 'inhibit_on_failure false'));
    expect(r.config.virtualServers[0]!.realServers[0]!.inhibitOnFailure).toBe(false);
    const v = imp(vs('inhibit_on_failure', ''));
    expect(v.config.virtualServers[0]!.realServers[0]!.inhibitOnFailure).toBe(true);
    // carried at its level: the virtual server's key, which its real servers inherit
    expect(v.yaml).toMatch(/^ {4}inhibit_on_failure: true$/m);
    // keepalived reads no argument there: on, whatever follows
    const f = imp(vs('inhibit_on_failure false', 'inhibit_on_failure true'));
    expect(f.config.virtualServers[0]!.realServers[0]!.inhibitOnFailure).toBe(true);
    expect(f.yaml).toContain("keepalived ignores 'false' here");
  });

  it('a bare persistence_timeout is 6 minutes', () => {
    expect(imp(vs('persistence_timeout', '')).config.virtualServers[0]!.persistenceTimeoutS).toBe(360);
  });

  it('sorry_server_inhibit counts after sorry_server only, as in keepalived 2.2', () => {
    const r = imp(vs('sorry_server 198.51.100.9 8080\n sorry_server_inhibit', ''));
    expect(r.config.virtualServers[0]!.sorryServer).toMatchObject({ port: 8080, inhibit: true });
    expect(r.warnings).toEqual([]);
    const b = imp(vs('sorry_server_inhibit\n sorry_server 198.51.100.9 8080', ''));
    expect(b.config.virtualServers[0]!.sorryServer).toMatchObject({ port: 8080, inhibit: false });
    warnedAt(b, 5, 'keepalived ignores sorry_server_inhibit before or without sorry_server');
  });

  it('lvs_method TUN with its tunnel type and checksum option', () => {
    const r = imp(vs('lvs_method TUN type gue port 6080 remcsum', 'lvs_method TUN type gre csum'));
    const v = r.config.virtualServers[0]!;
    expect(v.forwarding).toBe('tun');
    expect(v.realServers[0]!.tunnel).toEqual({ type: 'gre', checksum: 'csum' });
    // the real server's own lvs_method replaces the virtual server's tunnel entirely
    expect(r.yaml).not.toContain('tun_port');
    const g = imp(vs('lvs_method TUN type gue port 6080', ''));
    expect(g.config.virtualServers[0]!.realServers[0]!.tunnel).toMatchObject({ type: 'gue', port: 6080 });
    expect(r.warnings).toEqual([]);
    const s = imp(vs('lvs_method TUN type gue port 6080 remcsum', ''));
    expect(s.config.virtualServers[0]!.realServers[0]!.tunnel).toEqual({
      type: 'gue',
      port: 6080,
      checksum: 'remcsum',
    });
  });

  it('flag-1/flag-2 are the sh or mh scheduler flags', () => {
    const r = imp(vs('flag-1\n flag-2', '').replace('lb_algo rr', 'lb_algo sh'));
    expect(r.config.virtualServers[0]!.flags).toMatchObject({ shFallback: true, shPort: true });
  });

  it('virtual_server_group: one service per entry, one check per real server', () => {
    const text = [
      'virtual_server_group WEB {',
      '  192.0.2.10 80',
      '  192.0.2.20-22 80',
      '  fwmark 7',
      '  192.0.2.30 0',
      '  bogus 80',
      '}',
      'virtual_server group WEB {',
      '  lb_algo rr',
      '  protocol TCP',
      '  persistence_timeout 60',
      '  quorum_down /bin/true',
      '  real_server 198.51.100.1 80 {',
      '    TCP_CHECK {',
      '    }',
      '  }',
      '}',
      'virtual_server group NONE {',
      '  real_server 198.51.100.1 80 {',
      '  }',
      '}',
    ].join('\n');
    const r = imp(text);
    expect(r.config.virtualServers.map((v) => v.key)).toEqual([
      'tcp:192.0.2.10:80',
      'tcp:192.0.2.20:80',
      'tcp:192.0.2.21:80',
      'tcp:192.0.2.22:80',
      'fwmark:7:4',
      'tcp:192.0.2.30:0',
    ]);
    expect(new Set(r.config.virtualServers.map((v) => v.group))).toEqual(new Set(['WEB/tcp']));
    // one pool, one quorum: only the first service carries quorum_down
    expect(r.config.virtualServers.filter((v) => v.quorumDown).length).toBe(1);
    warnedAt(r, 6, "'bogus' is not an IP address: keepalived skips this entry too");
    warnedAt(r, 18, "there is no usable virtual_server_group 'NONE'");
  });

  it('USER [GROUP] after quorum_up/quorum_down and notify_up/notify_down: carried over, one per virtual and real server', () => {
    const r = imp(
      vs(
        'quorum_up "/q.sh up" nobody nogroup\nquorum_down /q.sh nobody nogroup',
        'notify_up /up.sh daemon\nnotify_down /down.sh nobody\nTCP_CHECK {\n}',
      ),
    );
    const v = r.config.virtualServers[0]!;
    expect(v).toMatchObject({
      quorumUp: ['/q.sh', 'up'],
      quorumDown: ['/q.sh'],
      quorumUser: 'nobody',
      quorumGroup: 'nogroup',
    });
    const rs = v.realServers[0]!;
    expect(rs).toMatchObject({ notifyUp: ['/up.sh'], notifyDown: ['/down.sh'], notifyUser: 'daemon' });
    expect(rs.notifyGroup).toBeUndefined();
    // notify_down asked for another user than notify_up: flagged, as for VRRP notify blocks
    warnedAt(r, 9, "this one runs as 'daemon', not as 'nobody'");
    expect(r.warnings.filter((w) => w.includes('not carried over'))).toHaveLength(1);
    expect(r.yaml).toMatch(/quorum_user: nobody/);
    expect(r.yaml).toMatch(/notify_user: daemon/);
  });

  it('ha_suspend is carried over; on a fwmark or group service it is flagged, as keepalived clears or never honours it', () => {
    const r = imp(vs('ha_suspend', 'TCP_CHECK {\n}'));
    expect(r.config.virtualServers[0]!.haSuspend).toBe(true);
    expect(r.warnings.filter((w) => w.includes('not carried over'))).toEqual([]);
    const f = imp(
      'virtual_server fwmark 7 {\n lb_algo rr\n lb_kind DR\n ha_suspend\n real_server 198.51.100.1 80 {\n }\n}\n',
    );
    expect(f.config.virtualServers[0]!.haSuspend).toBeUndefined();
    warnedAt(f, 4, 'keepalived clears ha_suspend on a fwmark service');
  });

  it('MISC_CHECK user USER [GROUP] is carried over to the script check', () => {
    const r = imp(vs('', 'MISC_CHECK {\n misc_path "/bin/check.sh 1"\n user nobody nogroup\n }'));
    expect(r.config.virtualServers[0]!.realServers[0]!.check).toMatchObject({
      type: 'script',
      command: ['/bin/check.sh', '1'],
      user: 'nobody',
      group: 'nogroup',
    });
    expect(r.warnings.filter((w) => w.includes('not carried over'))).toEqual([]);
    const u = imp(vs('', 'MISC_CHECK {\n misc_path /bin/check.sh\n user daemon\n }'));
    const c = u.config.virtualServers[0]!.realServers[0]!.check as { user?: string; group?: string };
    expect(c.user).toBe('daemon');
    expect(c.group).toBeUndefined();
  });
});

describe('import-keepalived: global_defs', () => {
  it('lvs_sync_daemon IF [inst] VI [id N] ...: options vrrpd lacks are flagged', () => {
    const r = imp(`global_defs {\n lvs_sync_daemon eth1 inst VI_1 id 5 maxlen 1400 port 8849\n}\n${vi('')}`);
    expect(r.config.lvsSyncDaemon).toEqual({ interface: 'eth1', instance: 'VI_1', syncId: 5 });
    warnedAt(r, 2, "no 'maxlen 1400'");
    warnedAt(r, 2, "no 'port 8849'");
    const n = imp(`global_defs {\n lvs_sync_daemon eth1\n}\n${vi('')}`);
    expect(n.config.lvsSyncDaemon).toBeUndefined();
    warnedAt(n, 2, 'vrrpd needs an instance to follow');
  });

  it('an unknown keyword is flagged, never dropped silently', () => {
    const r = imp(`global_defs {\n router_idd lb1\n}\n`);
    warnedAt(r, 2, "'router_idd' is not a keepalived 2.2 keyword in global_defs");
    expect(r.yaml).toContain("# not carried over (line 2): 'router_idd lb1' because");
  });
});

describe('import-keepalived: VRRP instances', () => {
  it('one-word VIP options do not swallow the next word', () => {
    const r = imp(
      vi('').replace('192.0.2.10/24', '192.0.2.10/24 home dev eth0 noprefixroute label eth0:5 scope link'),
    );
    expect(r.config.vrrpInstances[0]!.virtualIps[0]).toMatchObject({
      dev: 'eth0',
      label: 'eth0:5',
      scope: 'link',
    });
    warnedAt(r, 6, "no VIP option 'home'");
    warnedAt(r, 6, "no VIP option 'noprefixroute'");
  });

  it('state MASTER clears nopreempt and preempt_delay, as keepalived does', () => {
    const r = imp(vi('state MASTER\nnopreempt\npreempt_delay 30'));
    expect(r.config.vrrpInstances[0]).toMatchObject({ preempt: true, preemptDelayMs: 0 });
    warnedAt(r, 9, 'keepalived clears nopreempt with state MASTER');
    warnedAt(r, 10, 'keepalived clears preempt_delay with state MASTER');
    const b = imp(vi('state BACKUP\nnopreempt\npreempt_delay 30'));
    expect(b.config.vrrpInstances[0]).toMatchObject({ preempt: false, preemptDelayMs: 30_000 });
  });

  it('tracks of undefined scripts and sync group members that are no instance are left out, as keepalived does', () => {
    const r = imp(
      `vrrp_sync_group G {\n group {\n VI_1\n NOPE\n }\n}\n${vi('track_script {\nmissing_one\n}')}`,
    );
    expect(r.config.vrrpSyncGroups[0]!.instances).toEqual(['VI_1']);
    expect(r.config.vrrpInstances[0]!.trackScripts).toEqual([]);
    warnedAt(r, 4, 'there is no vrrp_instance NOPE');
    warnedAt(r, 15, 'there is no vrrp_script missing_one');
  });

  it('a fractional VRRPv2 advert_int is rounded as keepalived rounds it', () => {
    const r = imp(vi('advert_int 2.6'));
    expect(r.config.vrrpInstances[0]!.advertIntervalMs).toBe(3000);
    warnedAt(r, 8, 'keepalived rounds it to 3s');
    expect(imp(vi('advert_int 0.5\nversion 3')).config.vrrpInstances[0]!.advertIntervalMs).toBe(500);
  });

  it('unicast_src_ip without unicast_peer: multicast from that address, as keepalived falls back', () => {
    const r = imp(vi('unicast_src_ip 192.0.2.1'));
    expect(r.config.vrrpInstances[0]!.unicastSrc).toBeUndefined();
    expect(r.config.vrrpInstances[0]!.mcastSrc).toBe('192.0.2.1');
    expect(r.warnings).toEqual([]);
    expect(r.yaml).toContain('unicast_src_ip without unicast_peer: keepalived sends multicast from it');
  });

  it('unicast_peer min_ttl/max_ttl are carried over with the peer', () => {
    const r = imp(vi('unicast_src_ip 192.0.2.1\nunicast_peer {\n192.0.2.2 min_ttl 250 max_ttl 255\n}'));
    expect(r.config.vrrpInstances[0]!.unicastPeers).toEqual(['192.0.2.2']);
    expect(r.config.vrrpInstances[0]!.unicastTtlWindows).toEqual([
      { address: '192.0.2.2', minTtl: 250, maxTtl: 255 },
    ]);
  });

  it("unicast adverts from any source (keepalived's default) is flagged; check_unicast_src is vrrpd's rule", () => {
    const any = imp(vi('unicast_src_ip 192.0.2.1\nunicast_peer {\n192.0.2.2\n}'));
    warnedAt(any, 9, 'vrrpd accepts them only from its unicast_peers');
    for (const body of [
      vi('unicast_src_ip 192.0.2.1\ncheck_unicast_src\nunicast_peer {\n192.0.2.2\n}'),
      `global_defs {\n  vrrp_check_unicast_src\n}\n${vi('unicast_src_ip 192.0.2.1\nunicast_peer {\n192.0.2.2\n}')}`,
    ]) {
      const r = imp(body);
      expect(r.warnings).toEqual([]);
      expect(r.yaml).toContain('as keepalived does with check_unicast_src');
    }
  });

  it('auth_type AH: no authentication at all, flagged', () => {
    const r = imp(vi('authentication {\nauth_type AH\nauth_pass secret\n}'));
    expect(r.config.vrrpInstances[0]!.authPass).toBeUndefined();
    warnedAt(r, 8, 'no IPsec AH authentication');
  });

  it('USER [GROUP] after a notify script: the hooks run as them; a hook of the block asking otherwise is flagged', () => {
    const r = imp(vi('notify_master /etc/keepalived/master.sh nobody nogroup\nnotify "/x.sh a b"'));
    expect(r.config.vrrpInstances[0]!.notify).toEqual({
      master: ['/etc/keepalived/master.sh'],
      any: ['/x.sh', 'a', 'b'],
      user: 'nobody',
      group: 'nogroup',
    });
    warnedAt(r, 9, "this one runs as 'nobody:nogroup', not as global.script_user");
    const same = imp(vi('notify_master /m.sh nobody\nnotify_backup /b.sh nobody'));
    expect(same.config.vrrpInstances[0]!.notify).toMatchObject({ user: 'nobody' });
    expect(same.config.vrrpInstances[0]!.notify.group).toBeUndefined();
    expect(same.warnings).toEqual([]);
  });

  it('script_user USER GROUP and vrrp_script user USER GROUP are carried over', () => {
    const r = imp(
      `global_defs {\n script_user nobody nogroup\n}\nvrrp_script s {\n script /bin/true\n user daemon daemon\n}\n${vi('track_script {\ns\n}')}`,
    );
    expect(r.config.global).toMatchObject({ scriptUser: 'nobody', scriptGroup: 'nogroup' });
    expect(r.config.vrrpScripts.s).toMatchObject({ user: 'daemon', group: 'daemon' });
    expect(r.warnings).toEqual([]);
  });

  it('${_PWD} in a script path is the directory of the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ka-pwd-'));
    const r = imp(vi('notify_master "${_PWD}/master.sh up"'), { file: join(dir, 'keepalived.conf') });
    expect(r.config.vrrpInstances[0]!.notify.master).toEqual([join(dir, 'master.sh'), 'up']);
  });

  it('weighted trackers of sync group members are ignored as keepalived ignores them', () => {
    const text = [
      'vrrp_script chk {',
      '  script /bin/true',
      '  weight -20',
      '}',
      'vrrp_sync_group G {',
      '  group {',
      '    VI_1',
      '  }',
      '}',
      vi('track_script {\nchk\n}\ntrack_interface {\neth1 weight -10\n}'),
    ].join('\n');
    // keepalived 2.2.7 reports both as config errors: it drops the weighted script track and
    // ignores the interface weight
    const r = imp(text);
    expect(r.config.vrrpInstances[0]!.trackScripts).toEqual([]);
    expect(r.config.vrrpInstances[0]!.trackInterfaces).toEqual([
      { interface: 'eth1', weight: 0, reverse: false },
    ]);
    warnedAt(r, 18, 'keepalived ignores a weighted track_script of a sync group member');
    warnedAt(r, 21, 'keepalived ignores tracking weights of sync group members');
    const kept = imp(text.replace('  group {', '  sync_group_tracking_weight\n  group {'));
    expect(kept.config.vrrpInstances[0]!.trackScripts).toEqual([{ name: 'chk' }]);
    expect(kept.config.vrrpInstances[0]!.trackInterfaces).toEqual([
      { interface: 'eth1', weight: -10, reverse: false },
    ]);
  });

  it("a sync group's tracks are written into each member, weights kept", () => {
    const text = [
      'vrrp_script chk {',
      '  script /bin/true',
      '  weight -20',
      '}',
      'vrrp_sync_group G {',
      '  group {',
      '    VI_1',
      '    VI_2',
      '  }',
      '  track_script {',
      '    chk',
      '  }',
      '  track_interface {',
      '    eth1 weight -10',
      '  }',
      '}',
      vi(''),
      vi('', 'VI_2').replace('virtual_router_id 51', 'virtual_router_id 52'),
    ].join('\n');
    const r = imp(text);
    for (const i of r.config.vrrpInstances) {
      expect(i.trackScripts).toEqual([{ name: 'chk' }]);
      expect(i.trackInterfaces).toEqual([{ interface: 'eth1', weight: -10, reverse: false }]);
    }
    expect(r.warnings).toEqual([]);
    expect(r.yaml).toContain(
      "note (line 10): 'track_script' of the sync group: written into each member instance",
    );
  });

  it('weight N reverse is carried over on scripts, script tracks (reverse/noreverse) and interfaces', () => {
    const text = [
      'vrrp_script chk {',
      '  script /bin/true',
      '  weight 10 reverse',
      '}',
      'vrrp_script chk2 {',
      '  script /bin/true',
      '  weight 5 reverse',
      '}',
      vi(
        'track_script {\nchk\nchk2 weight 7 noreverse\n}\ntrack_interface {\neth1 weight -10 reverse\neth2\neth3 weight 5 sideways\n}',
      ),
    ].join('\n');
    const r = imp(text);
    expect(r.config.vrrpScripts.chk).toMatchObject({ weight: 10, reverse: true });
    expect(r.config.vrrpInstances[0]!.trackScripts).toEqual([
      { name: 'chk' },
      { name: 'chk2', weight: 7, reverse: false },
    ]);
    expect(r.config.vrrpInstances[0]!.trackInterfaces).toEqual([
      { interface: 'eth1', weight: -10, reverse: true },
      { interface: 'eth2', weight: 0, reverse: false },
      { interface: 'eth3', weight: 5, reverse: false },
    ]);
    expect(r.warnings).toHaveLength(1);
    warnedAt(r, 23, "'sideways' is not a weight option keepalived takes here");
  });

  it('virtual_ipaddress_excluded: both families carried into virtual_ips_excluded, family and version kept', () => {
    const r = imp(vi('virtual_ipaddress_excluded {\n2001:db8::10/64\n192.0.2.99/32 dev eth1 no_track\n}'));
    const i = r.config.vrrpInstances[0]!;
    expect(i).toMatchObject({ version: 2, family: 4 });
    expect(i.virtualIps.map((v) => [v.address, v.inAdverts, v.noTrack])).toEqual([
      ['192.0.2.10', true, false],
      ['2001:db8::10', false, false],
      ['192.0.2.99', false, true],
    ]);
    expect(r.warnings).toEqual([]);
    // a VIP of the other family in virtual_ipaddress: keepalived ignores it
    const m = imp(vi('').replace('192.0.2.10/24', '192.0.2.10/24\n2001:db8::1/64'));
    expect(m.config.vrrpInstances[0]!.virtualIps).toHaveLength(1);
    warnedAt(m, 7, 'keepalived ignores it');
  });

  it('accept: keepalived default (on unless strict) written out; vrrp_script timeout = interval', () => {
    const r = imp(`vrrp_script s {\n script /bin/true\n interval 3\n}\n${vi('track_script {\ns\n}')}`);
    expect(r.config.vrrpInstances[0]!.accept).toBe(true);
    expect(r.config.vrrpScripts.s).toMatchObject({ intervalMs: 3000, timeoutMs: 3000 });
    const s = imp(`global_defs {\n vrrp_strict\n}\n${vi('')}`);
    expect(s.config.vrrpInstances[0]!.accept).toBe(false);
    warnedAt(s, 2, 'vrrpd has no strict mode');
  });
});

describe('import-keepalived: values', () => {
  it('a value that does not parse reaches check-config with its line, never dropped', () => {
    const r = importKeepalivedConf(vi('advert_int fast\npreempt_delay -3'));
    const c = parseConfigText(r.yaml, 'imported.yaml');
    expect(c.ok).toBe(false);
    if (c.ok) return;
    const lines = r.yaml.split('\n');
    expect(c.errors.map((e) => lines[e.line - 1]!.trim())).toEqual([
      'advert_interval: fast',
      'preempt_delay: "-3"',
    ]);
  });
});

describe('import-keepalived command', () => {
  it('warnings go to stderr one a line; --strict exits 1 when anything was not carried over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ka-cli-'));
    const file = join(dir, 'keepalived.conf');
    writeFileSync(file, vi('notify_master_rx_lower_pri /bin/true'));
    let out = '';
    let err = '';
    const io = { out: (t: string) => (out += t), err: (t: string) => (err += t) };
    expect(await runImportKeepalived(file, io)).toBe(0);
    expect(err).toBe(
      `warning: ${file}:8: not carried over: 'notify_master_rx_lower_pri /bin/true' because vrrpd has no notify for lower-priority adverts\n`,
    );
    expect(out).toContain(
      "# not carried over (line 8): 'notify_master_rx_lower_pri /bin/true' because vrrpd has no notify for lower-priority adverts",
    );
    err = '';
    expect(await runImportKeepalived(file, io, { strict: true })).toBe(1);
    expect(err).toContain('1 statement(s) not carried over (--strict)');
    writeFileSync(file, vi(''));
    err = '';
    expect(await runImportKeepalived(file, io, { strict: true })).toBe(0);
    expect(err).toBe('');
  });

  it('--config-id selects the @ID lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ka-cli-'));
    const file = join(dir, 'keepalived.conf');
    writeFileSync(file, vi('').replace('priority 100', '@lb1 priority 200\n@^lb1 priority 100'));
    let out = '';
    const io = { out: (t: string) => (out += t), err: () => {} };
    expect(await runImportKeepalived(file, io, { configId: 'lb1', strict: true })).toBe(0);
    expect(out).toContain('priority: 200');
    out = '';
    expect(await runImportKeepalived(file, io, { strict: true })).toBe(1);
    expect(out).toContain('no --config-id');
  });
});

describe('import-keepalived: VRRP keywords vrrpd carries natively (issue #18)', () => {
  it('mcast_src_ip: the multicast source, or the unicast source with peers', () => {
    const m = imp(vi('mcast_src_ip 192.0.2.1'));
    expect(m.config.vrrpInstances[0]).toMatchObject({ mcastSrc: '192.0.2.1' });
    expect(m.warnings).toEqual([]);
    const u = imp(vi('mcast_src_ip 192.0.2.1\nunicast_peer {\n192.0.2.2\n}'));
    expect(u.config.vrrpInstances[0]).toMatchObject({ unicastSrc: '192.0.2.1', unicastPeers: ['192.0.2.2'] });
    expect(u.config.vrrpInstances[0]!.mcastSrc).toBeUndefined();
  });

  it('dont_track_primary, VIP brd/scope/no_track/broadcast, garp refresh repeat, no_accept', () => {
    const r = imp(
      vi('dont_track_primary\nno_accept\ngarp_master_refresh 10\ngarp_master_refresh_repeat 4').replace(
        '192.0.2.10/24',
        '192.0.2.10/24 broadcast 192.0.2.255 scope host\n192.0.2.11/24 dev eth1 no_track brd -',
      ),
    );
    const i = r.config.vrrpInstances[0]!;
    expect(i).toMatchObject({
      dontTrackPrimary: true,
      accept: false,
      garp: { refreshMs: 10_000, refreshRepeat: 4 },
    });
    expect(i.virtualIps).toEqual([
      {
        address: '192.0.2.10',
        prefixLength: 24,
        family: 4,
        brd: '192.0.2.255',
        scope: 'host',
        noTrack: false,
        inAdverts: true,
      },
      {
        address: '192.0.2.11',
        prefixLength: 24,
        family: 4,
        dev: 'eth1',
        brd: '-',
        noTrack: true,
        inAdverts: true,
      },
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('brd +/- on a /31 or /32 and a scope on IPv6: keepalived ignores them, and says so; so does the import', () => {
    const r = imp(vi('').replace('192.0.2.10/24', '192.0.2.10/32 brd +'));
    expect(r.config.vrrpInstances[0]!.virtualIps[0]!.brd).toBeUndefined();
    warnedAt(r, 6, "keepalived sets no broadcast '+' on a /32");
  });
});

describe('import-keepalived: real server ports as keepalived sets them', () => {
  const conf = (kind: string, rs: string, check = 'TCP_CHECK {\n connect_timeout 2\n }'): string =>
    `virtual_server 192.0.2.10 80 {\n lb_kind ${kind}\n protocol TCP\n real_server ${rs} {\n ${check}\n }\n}\n`;

  it('a real server without a port takes the service port', () => {
    const rs = imp(conf('DR', '198.51.100.5')).config.virtualServers[0]!.realServers[0]!;
    expect(rs.port).toBe(80);
    expect(rs.check).toMatchObject({ port: 80 });
  });

  it('a DR or TUN real server port is reset to the service port; its checks keep the port written', () => {
    for (const kind of ['DR', 'TUN']) {
      const r = imp(conf(kind, '198.51.100.5 8080'));
      const rs = r.config.virtualServers[0]!.realServers[0]!;
      expect(rs.port).toBe(80);
      expect(rs.check).toMatchObject({ port: 8080 });
      expect(r.yaml).toMatch(/keepalived resets a (dr|tun) real server's port to the virtual server's/);
    }
    // a connect_port written stays the check's port
    const c = imp(conf('DR', '198.51.100.5 8080', 'TCP_CHECK {\n connect_port 9000\n }'));
    expect(c.config.virtualServers[0]!.realServers[0]!.check).toMatchObject({ port: 9000 });
  });

  it('under a fwmark service a DR real server port is cleared; its check keeps it', () => {
    const text =
      'virtual_server fwmark 5 {\n lb_kind DR\n real_server 198.51.100.5 8080 {\n TCP_CHECK {\n connect_timeout 2\n }\n }\n}\n';
    const r = imp(text);
    const rs = r.config.virtualServers[0]!.realServers[0]!;
    expect(rs.port).toBe(0);
    expect(rs.check).toMatchObject({ port: 8080 });
    expect(r.yaml).toMatch(/keepalived clears a dr real server's port under a fwmark service/);
  });

  it('a NAT real server keeps its own port', () => {
    const rs = imp(conf('NAT', '198.51.100.5 8080')).config.virtualServers[0]!.realServers[0]!;
    expect(rs.port).toBe(8080);
  });
});

describe('check-config: a dr or tun real server on another port than the service', () => {
  const yaml = (fwd: string) =>
    `virtual_servers:\n  - address: 192.0.2.10\n    port: 80\n    forwarding: ${fwd}\n    real_servers:\n      - address: 198.51.100.5\n        port: 8080\n`;
  it('is refused at the port (IPVS does not change it), and accepted for nat', () => {
    for (const fwd of ['dr', 'tun']) {
      const c = parseConfigText(yaml(fwd), 'v.yaml', { hostname: 'h' });
      expect(c.ok).toBe(false);
      if (c.ok) continue;
      expect(c.errors.map(formatConfigError).join('\n')).toMatch(
        /^v\.yaml:7:15: IPVS does not change the port for (dr|tun) forwarding/,
      );
    }
    expect(parseConfigText(yaml('nat'), 'v.yaml', { hostname: 'h' }).ok).toBe(true);
  });
});
