// Differential: one keepalived.conf with virtual_routes / virtual_rules, run by Debian's
// keepalived 2.2.7 in one namespace and by vrrpd (on `vrrpd import-keepalived --strict` of
// the same file) in another, each alone so that it becomes MASTER. The kernel's routes and
// rules must be the same in both (as `ip -j route` / `ip -j rule` show them), and both
// must be gone after SIGTERM.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { missing } from '../helpers/env.js';
import { createTopology, type Topology } from '../helpers/netns.js';
import { CLI, createLab, execFileP, type Lab, until, type Vrrpd } from './lib/vrrpd.js';
import { collectOutput, exited, pidAlive, readPidFile, signalPid, waitExit } from './peers/router.js';

const why = missing({ root: true, commands: ['ip', 'keepalived'] });

const CONF = `global_defs {
  router_id r1
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.50/24
  }
  virtual_routes {
    src 192.0.2.50 to 198.51.100.0/24 via 192.0.2.254 dev eth0
    198.51.101.0/24 via 192.0.2.254 table 100 metric 5
    198.51.102.0/24 dev eth0 scope link table 100
    blackhole 203.0.113.0/24 table 100
    unreachable 203.0.113.128/25
    0.0.0.0/0 via 192.0.2.1 table 101
    2001:db8:100::/48 via 2001:db8::fe dev eth0 table 100
  }
  virtual_rules {
    from 192.0.2.50 table 100 preference 100
    to 198.51.100.0/24 iif eth0 table 101 priority 101
    fwmark 0x10/0xff lookup 100 priority 102
    from 2001:db8::/64 table 100 priority 103
    not from 192.0.2.0/24 prohibit priority 104
    from 192.0.2.60 table 100
  }
}
`;

type Row = Record<string, unknown>;
/** The routes of protocol keepalived and the rules of neither the kernel's priorities, as text rows. */
async function kernelState(sh: (cmd: string) => Promise<string>): Promise<string[]> {
  const rows: string[] = [];
  for (const fam of ['-4', '-6']) {
    const routes = JSON.parse(
      (await sh(`ip -j ${fam} route show table all proto keepalived`)) || '[]',
    ) as Row[];
    for (const r of routes) {
      const { dst, table, gateway, dev, prefsrc, metric, type, scope, protocol } = r;
      rows.push(
        `route ${JSON.stringify({ dst, table, gateway, dev, prefsrc, metric, type, scope, protocol })}`,
      );
    }
    const rules = JSON.parse((await sh(`ip -j ${fam} rule show`)) || '[]') as Row[];
    for (const r of rules) {
      if ([0, 32766, 32767].includes(r.priority as number)) continue;
      rows.push(`rule ${fam} ${JSON.stringify(r)}`);
    }
  }
  return rows.sort();
}

describe.skipIf(why)('virtual_routes / virtual_rules: vrrpd installs what keepalived 2.2.7 installs', () => {
  let topo: Topology;
  let dir: string;
  let ka: ChildProcess | null = null;
  let kaOut: () => string = () => '';
  let lab: Lab;
  let vd: Vrrpd;
  const kaSh = async (cmd: string) => (await topo.exec('r1', ['sh', '-c', cmd])).stdout;
  const vdSh = (cmd: string) => lab.sh('r1', cmd);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `vrrpd-routes-ka-${process.pid}-`));
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, CONF);
    const imported = await execFileP(process.execPath, [CLI, 'import-keepalived', '--strict', conf]);
    topo = await createTopology({ hosts: ['r1'] });
    lab = await createLab(['r1']);
    ka = topo.spawn('r1', [
      'keepalived',
      '--vrrp',
      '-n',
      '-l',
      '-D',
      '-f',
      conf,
      '-p',
      join(dir, 'ka.pid'),
      '-r',
      join(dir, 'ka.vrrp.pid'),
      '-c',
      join(dir, 'ka.checkers.pid'),
    ]);
    kaOut = collectOutput(ka);
    const cfg = parse(imported.stdout) as Record<string, unknown>;
    vd = await lab.start('r1', cfg);
  });
  afterAll(async () => {
    if (ka && !exited(ka)) {
      signalPid(ka.pid ?? 0, 'SIGTERM');
      await waitExit(ka, 10_000).catch(() => topo.kill(ka!, 1000));
    }
    const v = readPidFile(join(dir, 'ka.vrrp.pid'));
    if (v !== null && pidAlive(v)) signalPid(v, 'SIGKILL');
    await topo?.cleanup();
    await lab?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the same routes and rules while MASTER', async () => {
    await vd.waitState('VI_1', 'master', 10_000);
    await until(
      async () => kaOut().includes('Entering MASTER STATE'),
      10_000,
      `keepalived MASTER:\n${kaOut()}`,
    );
    // both settle: the same number of rows, then compare
    const kaRows = await until(
      async () => {
        const r = await kernelState(kaSh);
        return r.length === 13 ? r : null;
      },
      5000,
      'keepalived to add 7 routes and 6 rules',
    ).catch(async (e) => {
      throw new Error(`${String(e)}\n${(await kernelState(kaSh)).join('\n')}\n${kaOut()}`);
    });
    const vdRows = await until(
      async () => {
        const r = await kernelState(vdSh);
        return r.length === 13 ? r : null;
      },
      5000,
      'vrrpd to add 7 routes and 6 rules',
    ).catch(async (e) => {
      throw new Error(`${String(e)}\n${(await kernelState(vdSh)).join('\n')}\n${vd.tail(20)}`);
    });
    expect(vdRows).toEqual(kaRows);
  });

  it('none left after SIGTERM', async () => {
    signalPid(ka!.pid ?? 0, 'SIGTERM');
    await waitExit(ka!, 10_000);
    expect(await vd.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(await kernelState(kaSh)).toEqual([]);
    expect(await kernelState(vdSh)).toEqual([]);
  });
});
