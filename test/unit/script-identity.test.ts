// Per-script user and group (keepalived `SCRIPT USER [GROUP]`, vrrp_script `user U [G]`,
// global `script_user U [G]`): how they resolve, and scripts really running as
// nobody/nogroup through the runner (root needed to switch).
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProbe } from '../../src/check/manager.js';
import { parseConfigText } from '../../src/config/index.js';
import { type GlobalConfig, scriptIdentityOf } from '../../src/config/model.js';
import { createScriptRunner, lookupGroup } from '../../src/effects/script-runner.js';
import { checkSpecsOf } from '../../src/lvs/check-specs.js';
import { HookScripts, notifyIdentity, quorumIdentity } from '../../src/lvs/hook-scripts.js';
import { missing } from '../helpers/env.js';
import { loadConfig, yaml } from './engine-fakes.js';

const g = (o: Partial<GlobalConfig>): GlobalConfig => ({ ...loadConfig(yaml('{}')).global, ...o });

describe('which user and group a script runs as', () => {
  it('its own user (with its group, else that user’s primary group), else script_user/script_group', () => {
    const glob = g({ scriptUser: 'svc', scriptGroup: 'svcgrp' });
    expect(scriptIdentityOf({}, glob)).toEqual({ user: 'svc', group: 'svcgrp' });
    expect(scriptIdentityOf({ user: 'nobody' }, glob)).toEqual({ user: 'nobody' });
    expect(scriptIdentityOf({ user: 'nobody', group: 'nogroup' }, glob)).toEqual({
      user: 'nobody',
      group: 'nogroup',
    });
    expect(scriptIdentityOf({ group: 'adm' }, glob)).toEqual({ user: 'svc', group: 'adm' });
    expect(scriptIdentityOf({}, g({}))).toEqual({});
  });

  it('the config keys reach the model', () => {
    const c = loadConfig(
      yaml(
        'global: {script_user: nobody, script_group: nogroup}',
        'vrrp_scripts: {chk: {command: [/bin/true], user: daemon, group: daemon}}',
        'vrrp_instances:',
        '  - {name: VI_1, interface: eth0, vrid: 51, virtual_ips: [192.0.2.50/24], notify: {master: [/bin/true], user: nobody, group: nogroup}}',
      ),
    );
    expect(c.global).toMatchObject({ scriptUser: 'nobody', scriptGroup: 'nogroup' });
    expect(c.vrrpScripts.chk).toMatchObject({ user: 'daemon', group: 'daemon' });
    expect(c.vrrpInstances[0]!.notify).toMatchObject({ user: 'nobody', group: 'nogroup' });
  });

  it('the LVS keys reach the model: notify_user/group, quorum_user/group, a script check user/group', () => {
    const c = loadConfig(
      yaml(
        'virtual_servers:',
        '  - address: 192.0.2.50',
        '    port: 80',
        '    quorum_up: [/bin/true]',
        '    quorum_user: nobody',
        '    quorum_group: nogroup',
        '    real_servers:',
        '      - address: 198.51.100.2',
        '        port: 80',
        '        notify_up: [/bin/true]',
        '        notify_user: daemon',
        '        notify_group: daemon',
        '        check: {type: script, command: [/bin/true], user: nobody, group: nogroup}',
      ),
    );
    const vs = c.virtualServers[0]!;
    expect(vs).toMatchObject({ quorumUser: 'nobody', quorumGroup: 'nogroup' });
    expect(vs.realServers[0]).toMatchObject({ notifyUser: 'daemon', notifyGroup: 'daemon' });
    expect(vs.realServers[0]!.check).toMatchObject({ type: 'script', user: 'nobody', group: 'nogroup' });
    expect(checkSpecsOf(c).specs[0]!.probe).toEqual({
      type: 'script',
      command: ['/bin/true'],
      user: 'nobody',
      group: 'nogroup',
    });
  });

  it('a script check without its own user runs as script_user; user on another check type is refused', () => {
    const c = loadConfig(
      yaml(
        'global: {script_user: daemon}',
        'virtual_servers:',
        '  - {address: 192.0.2.50, port: 80, real_servers: [{address: 198.51.100.2, port: 80, check: {type: script, command: [/bin/true]}}]}',
      ),
    );
    expect(checkSpecsOf(c).specs[0]!.probe).toEqual({
      type: 'script',
      command: ['/bin/true'],
      user: 'daemon',
    });
    const bad = parseConfigText(
      'virtual_servers:\n  - {address: 192.0.2.50, port: 80, real_servers: [{address: 198.51.100.2, port: 80, check: {type: tcp, user: nobody}}]}\n',
      'x.yaml',
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.errors.map((e) => e.message).join('\n')).toMatch(/'user' does not apply to a tcp check/);
  });

  it('groups are looked up in /etc/group, by name or number', () => {
    expect(lookupGroup('nogroup')).toBe(65534);
    expect(lookupGroup('0')).toBe(0);
    expect(lookupGroup('no-such-group-here')).toBeUndefined();
  });
});

const why = missing({ root: true, commands: ['id'] });
describe.skipIf(why)('scripts run as nobody/nogroup', () => {
  const runner = createScriptRunner();
  const id = async (o: { user?: string; group?: string }) => {
    const r = await runner.run(['/usr/bin/id'], { timeoutMs: 5000, ...o });
    expect(r.errorCode).toBeUndefined();
    return r.output.trim();
  };

  it('user nobody and group nogroup; user nobody with another group; a group alone', async () => {
    expect(await id({ user: 'nobody', group: 'nogroup' })).toMatch(
      /^uid=65534\(nobody\) gid=65534\(nogroup\)/,
    );
    expect(await id({ user: 'nobody', group: 'daemon' })).toMatch(/^uid=65534\(nobody\) gid=1\(daemon\)/);
    expect(await id({ group: 'nogroup' })).toMatch(/^uid=0\(root\) gid=65534\(nogroup\)/);
  });

  it('an unknown group is refused with SCRIPT_GROUP_UNKNOWN, nothing runs', async () => {
    const r = await runner.run(['/usr/bin/id'], {
      timeoutMs: 5000,
      user: 'nobody',
      group: 'no-such-group-here',
    });
    expect(r.errorCode).toBe('SCRIPT_GROUP_UNKNOWN');
    expect(r.code).toBeNull();
  });
});

describe.skipIf(why)('LVS hooks and script checks run as nobody/nogroup', () => {
  const runner = createScriptRunner();
  const conf = (dir: string) =>
    loadConfig(
      yaml(
        'virtual_servers:',
        '  - address: 192.0.2.50',
        '    port: 80',
        `    quorum_up: [/bin/sh, -c, 'id > ${dir}/quorum']`,
        '    quorum_user: nobody',
        '    quorum_group: nogroup',
        '    real_servers:',
        '      - address: 198.51.100.2',
        '        port: 80',
        `        notify_up: [/bin/sh, -c, 'id > ${dir}/notify']`,
        '        notify_user: nobody',
        '        notify_group: nogroup',
        '        check: {type: script, command: [/usr/bin/id], user: nobody, group: nogroup}',
      ),
    );

  it('quorum_up and notify_up through the hook runner, the check through its probe', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vrrpd-ident-'));
    try {
      chmodSync(dir, 0o777); // nobody writes the hooks' output here
      const c = conf(dir);
      const vs = c.virtualServers[0]!;
      const rs = vs.realServers[0]!;
      const hooks = new HookScripts(runner, { warn() {} } as never);
      await hooks.runToEnd(c.global, vs.quorumUp!, 'quorum_up', quorumIdentity(vs));
      await hooks.runToEnd(c.global, rs.notifyUp!, 'notify_up', notifyIdentity(rs));
      const nobody = /^uid=65534\(nobody\) gid=65534\(nogroup\)/;
      expect(readFileSync(join(dir, 'quorum'), 'utf8')).toMatch(nobody);
      expect(readFileSync(join(dir, 'notify'), 'utf8')).toMatch(nobody);
      const spec = checkSpecsOf(c).specs[0]!;
      const r = await buildProbe(spec, runner)(new AbortController().signal);
      expect(r.ok).toBe(true);
      expect(r.detail).toMatch(nobody);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
