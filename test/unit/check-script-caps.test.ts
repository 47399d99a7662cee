// Scripts never inherit the daemon's ambient capabilities (systemd AmbientCapabilities=
// NET_ADMIN NET_RAW): the runner starts them through setpriv, which drops them.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';

const why = missing({ root: true, commands: ['setpriv'] });

describe.skipIf(why)('script runner and ambient capabilities', () => {
  it('a script run by a daemon holding ambient NET_RAW/NET_ADMIN holds none', () => {
    const job = `
      import { createScriptRunner } from './src/effects/script-runner.ts';
      const r = await createScriptRunner().run(['/bin/grep', '-E', '^Cap(Amb|Inh|Eff)', '/proc/self/status'], { timeoutMs: 5000 });
      const own = (await import('node:fs')).readFileSync('/proc/self/status', 'utf8').match(/^CapAmb:.*$/m)[0];
      console.log(JSON.stringify({ own, script: r.output, code: r.code }));`;
    const out = execFileSync(
      'setpriv',
      [
        '--inh-caps=+net_raw,+net_admin',
        '--ambient-caps=+net_raw,+net_admin',
        '--',
        process.execPath,
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        job,
      ],
      { encoding: 'utf8', cwd: process.cwd() },
    );
    const r = JSON.parse(out.trim().split('\n').pop()!) as { own: string; script: string; code: number };
    expect(r.own).not.toMatch(/CapAmb:\s+0+$/); // the "daemon" really has ambient capabilities
    expect(r.code).toBe(0);
    expect(r.script).toMatch(/CapAmb:\s+0+\n/);
    expect(r.script).toMatch(/CapInh:\s+0+\n/);
    // (CapEff stays full here only because the test runs as root; under the unit the
    // daemon is not root, and without ambient/inheritable sets the script gets nothing)
  });
});
