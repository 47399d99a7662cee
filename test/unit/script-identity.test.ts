// Per-script user and group (keepalived `SCRIPT USER [GROUP]`, vrrp_script `user U [G]`,
// global `script_user U [G]`): how they resolve, and scripts really running as
// nobody/nogroup through the runner (root needed to switch).
import { describe, expect, it } from 'vitest';
import { type GlobalConfig, scriptIdentityOf } from '../../src/config/model.js';
import { createScriptRunner, lookupGroup } from '../../src/effects/script-runner.js';
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
