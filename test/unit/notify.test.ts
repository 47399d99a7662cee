// Notify hooks: per-state argv, and keepalived's catch-all `notify` with TYPE NAME STATE PRIORITY.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import type { ScriptRunner } from '../../src/effects/types.js';
import { NotifyRunner } from '../../src/vrrp/notify.js';

const yaml = `
global: {control_socket: /tmp/x.sock}
vrrp_instances:
  - name: VI_1
    interface: eth0
    vrid: 51
    priority: 150
    virtual_ips: [192.0.2.50/24]
    notify:
      master: [/bin/true, master]
      any: [/bin/true, any]
`;

describe('NotifyRunner', () => {
  it('runs the state hook, then the catch-all hook with INSTANCE NAME STATE PRIORITY, in order', async () => {
    const loaded = parseConfigText(yaml, 'test.yaml');
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const calls: { argv: readonly string[]; env?: Record<string, string> }[] = [];
    const runner: ScriptRunner = {
      run: async (argv, o) => {
        calls.push({ argv, ...(o.env ? { env: o.env } : {}) });
        return { code: 0, signal: null, timedOut: false, output: '', durationMs: 1 };
      },
    };
    const logs: string[] = [];
    const log = {
      info: (_o: object, m: string) => logs.push(m),
      warn: (_o: object, m: string) => logs.push(m),
    };
    const n = new NotifyRunner(loaded.config, log as never, runner);
    n.stateChanged('VI_1', 'master');
    n.stateChanged('VI_1', 'backup'); // no backup hook: only the catch-all
    n.stateChanged('VI_2', 'master'); // unknown instance: nothing
    await n.drain(1000);
    expect(calls.map((c) => c.argv)).toEqual([
      ['/bin/true', 'master'],
      ['/bin/true', 'any', 'INSTANCE', 'VI_1', 'MASTER', '150'],
      ['/bin/true', 'any', 'INSTANCE', 'VI_1', 'BACKUP', '150'],
    ]);
    expect(calls[0]?.env).toMatchObject({ VRRPD_INSTANCE: 'VI_1', VRRPD_STATE: 'master' });
    expect(calls[2]?.env).toMatchObject({ VRRPD_INSTANCE: 'VI_1', VRRPD_STATE: 'backup' });
  });
});
