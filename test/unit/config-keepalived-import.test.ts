// keepalived.conf → vrrpd YAML: realistic samples convert to files check-config accepts,
// with the meaning kept and a comment for each thing not carried over.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runImportKeepalived } from '../../src/cli/import-keepalived.js';
import { type Config, formatConfigError, parseConfigText } from '../../src/config/index.js';
import { parseKeepalivedConf, splitCommand } from '../../src/config/keepalived-conf.js';
import { importKeepalived } from '../../src/config/keepalived-import.js';
import type { HttpCheck } from '../../src/config/model.js';

const fixtures = join(import.meta.dirname, '../fixtures/config');
const sample = (f: string): string => readFileSync(join(fixtures, f), 'utf8');

function imported(f: string): { yaml: string; config: Config } {
  const yaml = importKeepalived(sample(f), f);
  const r = parseConfigText(yaml, 'imported.yaml', { hostname: 'h' });
  if (!r.ok) throw new Error(`${yaml}\n${r.errors.map(formatConfigError).join('\n')}`);
  return { yaml, config: r.config };
}

describe('keepalived.conf syntax', () => {
  it('blocks, comments, quotes, braces on one line', () => {
    const t = parseKeepalivedConf('a 1 # c\nb "x y" {\n  c { d }\n}\n! e\nf {g}\n');
    expect(t).toEqual([
      { words: ['a', '1'], line: 1 },
      {
        words: ['b', 'x y'],
        line: 2,
        block: [{ words: ['c'], line: 3, block: [{ words: ['d'], line: 3 }] }],
      },
      { words: ['f'], line: 6, block: [{ words: ['g'], line: 6 }] },
    ]);
  });

  it('script strings split like keepalived does', () => {
    expect(splitCommand(`/bin/check -a 'two words' "x y"`)).toEqual(['/bin/check', '-a', 'two words', 'x y']);
  });
});

describe('import-keepalived', () => {
  it('an LVS-NAT director pair', () => {
    const { yaml, config: c } = imported('ka-director.conf');
    expect(c.global.routerId).toBe('LVS_DEVEL');
    expect(c.vrrpScripts.chk_haproxy).toMatchObject({
      command: ['/usr/bin/pgrep', '-x', 'haproxy'],
      intervalMs: 2000,
      weight: -20,
      rise: 2,
    });
    expect(c.vrrpScripts.chk_pipe!.command.slice(0, 3)).toEqual([
      '/usr/bin/curl',
      '-sf',
      'http://127.0.0.1/',
    ]);
    const vi1 = c.vrrpInstances[0]!;
    expect(vi1).toMatchObject({
      name: 'VI_1',
      version: 2,
      vrid: 51,
      priority: 150,
      preempt: true, // keepalived clears nopreempt with state MASTER
      authPass: 's3cretpa',
    });
    expect(vi1.virtualIps.map((v) => [v.address, v.dev, v.label, v.inAdverts])).toEqual([
      ['192.0.2.50', 'eth0', 'eth0:1', true],
      ['192.0.2.51', undefined, undefined, true],
      ['2001:db8::50', undefined, undefined, false],
    ]);
    expect(vi1.trackInterfaces).toEqual([
      { interface: 'eth1', weight: 0, reverse: false },
      { interface: 'eth2', weight: 0, reverse: false },
    ]);
    // VI_1 is in sync group VG_1: keepalived ignores its weighted script tracks and the
    // interface weights (config errors)
    expect(vi1.trackScripts).toEqual([]);
    expect(vi1.garp.refreshMs).toBe(60_000);
    expect(vi1.notify.master).toEqual(['/etc/keepalived/notify.sh', 'master']);
    expect(c.vrrpInstances[2]).toMatchObject({ name: 'VI_6', version: 3, family: 6, advertIntervalMs: 100 });
    expect(c.vrrpSyncGroups).toEqual([
      {
        name: 'VG_1',
        instances: ['VI_1', 'VI_GW'],
        notify: { master: ['/etc/keepalived/notify.sh', 'master'] },
      },
    ]);
    expect(c.lvsSyncDaemon).toEqual({ interface: 'eth1', instance: 'VI_1', syncId: 51 });
    expect(c.lvsTimeouts).toEqual({ tcpS: 900, tcpFinS: 120, udpS: 300 });
    const [vs, fw] = c.virtualServers;
    expect(vs).toMatchObject({
      key: 'tcp:192.0.2.50:80',
      scheduler: 'wrr',
      forwarding: 'nat',
      persistenceTimeoutS: 50,
    });
    expect(vs!.sorryServer).toMatchObject({ address: '198.51.100.99', port: 80 });
    expect(vs!.realServers[0]).toMatchObject({
      weight: 2,
      inhibitOnFailure: true,
      check: {
        type: 'http',
        path: '/healthz',
        status: [200],
        intervalMs: 6000,
        timeoutMs: 3000,
        retry: 3,
        retryDelayMs: 3000,
      },
    });
    // both urls are checked (keepalived needs both to pass); the second with keepalived's 2xx
    expect(vs!.realServers[0]!.checks?.[1]).toMatchObject({ type: 'http', path: '/other' });
    expect((vs!.realServers[0]!.checks![1] as HttpCheck).status).toHaveLength(100);
    expect(vs!.realServers[1]!.check).toMatchObject({ type: 'tcp', port: 80 });
    expect(vs!.realServers[2]!.check).toMatchObject({
      type: 'script',
      command: ['/usr/local/bin/check_web', '198.51.100.4'],
    });
    // SMTP_CHECK, with keepalived's HELO name (vrrpd's default too)
    expect(vs!.realServers[3]!.check).toMatchObject({
      type: 'smtp',
      timeoutMs: 3000,
      heloName: 'smtpchecker.keepalived.org',
    });
    expect(fw).toMatchObject({
      key: 'fwmark:10:4',
      scheduler: 'sh',
      forwarding: 'dr',
      flags: { shFallback: true },
    });
    // what was not carried over is said, with its line
    for (const line of [
      'note (line 4): keepalived sends no e-mail without both smtp_server and notification_email, and neither does vrrpd',
      "note (line 37): 'state MASTER' not needed",
      "not carried over (line 42): 'nopreempt' because keepalived clears nopreempt with state MASTER",
      "note (line 64): 'smtp_alert' has no effect without smtp_server and notification_email",
      "not carried over (line 151): 'virtual_server group WEB {...}' because there is no usable virtual_server_group 'WEB'",
      'not carried over (line 155): include /etc/keepalived/conf.d/*.conf: no file matched',
      'auth_pass cut to its first 8 characters',
    ]) {
      expect(yaml).toContain(line);
    }
  });

  it('a VRRPv3 pair: global version and garp defaults apply to every instance', () => {
    const { yaml, config: c } = imported('ka-vrrp-v3.conf');
    const [v4, v6] = c.vrrpInstances;
    expect(v4).toMatchObject({
      version: 3,
      advertIntervalMs: 500,
      preemptDelayMs: 30_000,
      accept: true,
      useVmac: true,
      garp: { repeat: 3, delayMs: 2000 },
      notify: { any: ['/usr/local/bin/ka-notify'] },
    });
    expect(v6).toMatchObject({ version: 3, family: 6, vrid: 10, garp: { repeat: 3, delayMs: 2000 } });
    expect(v6!.virtualIps[0]).toMatchObject({ address: '2001:db8:10::10', prefixLength: 64 });
    expect(yaml).not.toContain('not carried over');
  });

  it('SNMP: enable_snmp_rfcv3, snmp_socket and enable_traps become global.snmp; own MIBs are flagged', () => {
    const conf = (...lines: string[]) =>
      `global_defs {\n${lines.map((l) => `  ${l}\n`).join('')}}\nvrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n`;
    const parse = (yaml: string) => {
      const r = parseConfigText(yaml, 'imported.yaml', { hostname: 'h' });
      if (!r.ok) throw new Error(`${yaml}\n${r.errors.map(formatConfigError).join('\n')}`);
      return r.config.global.snmp;
    };
    // keepalived's defaults: its master's socket, no traps
    expect(parse(importKeepalived(conf('enable_snmp_rfcv3')))).toEqual({
      agentx: { kind: 'unix', path: '/var/agentx/master' },
      traps: false,
    });
    const both = importKeepalived(
      conf(
        'enable_snmp_rfc',
        'snmp_socket tcp:127.0.0.1:705',
        'enable_traps',
        'enable_snmp_vrrp',
        'enable_snmp_checker',
      ),
    );
    expect(parse(both)).toEqual({ agentx: { kind: 'tcp', host: '127.0.0.1', port: 705 }, traps: true });
    expect(both).toContain(
      "# note (line 2): 'enable_snmp_rfc' carried over as global.snmp for its VRRPv3-MIB",
    );
    expect(both).toContain(
      "# not carried over (line 5): 'enable_snmp_vrrp' because keepalived's own KEEPALIVED-MIB",
    );
    expect(both).toContain("# not carried over (line 6): 'enable_snmp_checker' because");
    const v2only = importKeepalived(
      conf('enable_snmp_rfcv2', 'enable_snmp_keepalived', 'snmp_socket unix:/run/agentx'),
    );
    expect(parse(v2only)).toBeUndefined();
    expect(v2only).toContain("'enable_snmp_rfcv2' because the VRRP-MIB of RFC 2787 is not served");
    expect(v2only).toContain("not carried over (line 3): 'enable_snmp_keepalived' because");
    expect(v2only).toContain("'snmp_socket unix:/run/agentx' because SNMP is off without enable_snmp_rfcv3");
    const udp = importKeepalived(conf('enable_snmp_rfcv3', 'snmp_socket udp:127.0.0.1:705'));
    expect(parse(udp)?.agentx).toEqual({ kind: 'unix', path: '/var/agentx/master' });
    expect(udp).toContain("'snmp_socket udp:127.0.0.1:705' because AgentX runs over");
  });

  it('invalid values come through for check-config to report', () => {
    const yaml = importKeepalived(sample('ka-broken.conf'));
    const r = parseConfigText(yaml, 'imported.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.message)).toEqual([
      'vrrp_instances[0].vrid must be between 1 and 255, not 300',
    ]);
  });

  it('the command prints YAML; an unreadable file is exit 1', async () => {
    let out = '';
    let err = '';
    const io = { out: (t: string) => (out += t), err: (t: string) => (err += t) };
    expect(await runImportKeepalived(join(fixtures, 'ka-vrrp-v3.conf'), io)).toBe(0);
    expect(out).toMatch(/^# vrrpd configuration imported from .*ka-vrrp-v3\.conf\n/);
    expect(parseConfigText(out, 'x.yaml').ok).toBe(true);
    expect(await runImportKeepalived(join(fixtures, 'does-not-exist.conf'), io)).toBe(1);
    expect(err).toMatch(/does-not-exist\.conf: cannot read the file: no such file\n$/);
  });
});
