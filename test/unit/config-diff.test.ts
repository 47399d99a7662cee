// The reload's one diff (ARCHITECTURE rule 12): computed once, one slice per part of the
// daemon. Each case changes one thing and checks that only its part's slice moves.
import { describe, expect, it } from 'vitest';
import { setChanged } from '../../src/config/diff.js';
import { type Config, diffConfig, parseConfigText } from '../../src/config/index.js';

function load(text: string): Config {
  const r = parseConfigText(text, 'f.yaml', { hostname: 'testhost' });
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
  return r.config;
}

/** A config with one of everything a slice looks at; `o` replaces single settings. */
function cfg(o: Record<string, string> = {}): Config {
  const v = (k: string, d: string) => o[k] ?? d;
  return load(
    [
      'global:',
      `  router_id: ${v('router_id', 'lb1')}`,
      `  log_level: ${v('log_level', 'info')}`,
      `  control_socket: ${v('control_socket', '/run/vrrpd/vrrpd.sock')}`,
      ...(o.metrics_listen ? [`  metrics_listen: ${o.metrics_listen}`] : []),
      ...(o.script_user ? [`  script_user: ${o.script_user}`] : []),
      'vrrp_scripts:',
      `  chk: {command: [/bin/true], interval: ${v('chk_interval', '2s')}}`,
      'vrrp_instances:',
      `  - {name: VI_1, interface: eth0, vrid: 51, priority: ${v('priority', '150')}, virtual_ips: [192.0.2.50/24], track_scripts: [chk]}`,
      '  - {name: VI_2, interface: eth0, vrid: 52, virtual_ips: [192.0.2.60/24]}',
      'vrrp_sync_groups:',
      `  - {name: G, instances: [${v('group', 'VI_1, VI_2')}]}`,
      ...(o.timeouts ? [`lvs_timeouts: {tcp: ${o.timeouts}}`] : []),
      'virtual_servers:',
      `  - {address: 192.0.2.50, port: 80, scheduler: ${v('scheduler', 'rr')}, real_servers: [{address: 198.51.100.2, port: 80}]}`,
      '',
    ].join('\n'),
  );
}

/** Every slice of the diff that changed, by part. */
function moved(a: Config, b: Config): string[] {
  const d = diffConfig(a, b);
  const out: string[] = [];
  if (setChanged(d.vrrp.instances)) out.push('vrrp.instances');
  if (setChanged(d.vrrp.syncGroups)) out.push('vrrp.syncGroups');
  if (setChanged(d.trackScripts.vrrpScripts) || d.trackScripts.scriptUserChanged) out.push('trackScripts');
  if (
    setChanged(d.lvs.virtualServers) ||
    d.lvs.scriptUserChanged ||
    d.lvs.timeoutsChanged ||
    d.lvs.syncDaemonChanged
  )
    out.push('lvs');
  if (d.global.logLevelChanged || d.global.routerIdChanged) out.push('global');
  if (d.control.socketChanged || d.control.metricsChanged || d.control.snmpChanged) out.push('control');
  return out;
}

describe('diffConfig: one diff, one slice per part', () => {
  it('the same file: no slice moves, every instance and virtual server is unchanged', () => {
    const d = diffConfig(cfg(), cfg());
    expect(moved(cfg(), cfg())).toEqual([]);
    expect(d.vrrp.instances.unchanged).toEqual(['VI_1', 'VI_2']);
    expect(d.lvs.virtualServers.unchanged).toEqual(['tcp:192.0.2.50:80']);
  });

  it('key order in the file does not make a change (the old JSON.stringify comparison did)', () => {
    const a = load(
      'vrrp_instances:\n  - {name: A, interface: eth0, vrid: 1, priority: 120, virtual_ips: [192.0.2.1]}\n',
    );
    const b = load(
      'vrrp_instances:\n  - {virtual_ips: [192.0.2.1], priority: 120, vrid: 1, interface: eth0, name: A}\n',
    );
    expect(diffConfig(a, b).vrrp.instances).toEqual({
      added: [],
      removed: [],
      changed: [],
      unchanged: ['A'],
    });
  });

  it.each([
    ['an instance priority', { priority: '120' }, ['vrrp.instances']],
    ['sync group members', { group: 'VI_1' }, ['vrrp.syncGroups']],
    ['a vrrp_script', { chk_interval: '3s' }, ['trackScripts']],
    ['a virtual server', { scheduler: 'wrr' }, ['lvs']],
    ['lvs_timeouts', { timeouts: '900s' }, ['lvs']],
    ['the log level', { log_level: 'debug' }, ['global']],
    ['the router id', { router_id: 'lb2' }, ['global']],
    ['the control socket', { control_socket: '/run/vrrpd/other.sock' }, ['control']],
    ['metrics_listen', { metrics_listen: '127.0.0.1:9650' }, ['control']],
    ['script_user: every script-running part', { script_user: 'nobody' }, ['trackScripts', 'lvs']],
  ])('%s: only its slice moves', (_what, change, parts) => {
    expect(moved(cfg(), cfg(change))).toEqual(parts);
  });

  it('a changed instance is changed in the VRRP slice, the others unchanged', () => {
    expect(diffConfig(cfg(), cfg({ priority: '120' })).vrrp.instances).toEqual({
      added: [],
      removed: [],
      changed: ['VI_1'],
      unchanged: ['VI_2'],
    });
  });
});
