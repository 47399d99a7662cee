// The dns, smtp, udp and ping checks on a running daemon, against real servers in another
// namespace: dnsmasq (DNS), aiosmtpd (SMTP), a closed UDP port (ICMP port unreachable) and
// ICMP echo. Every check reaches the expected health through the daemon's scheduler and
// hysteresis; stopping dnsmasq takes its real server down (fall 2).
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/control/snapshot.js';
import { inCI, missing } from '../helpers/env.js';
import { AIOSMTPD_PYTHON, DNSMASQ, serversMissing } from '../helpers/servers.js';
import { createLab, type Lab, until, type Vrrpd } from './lib/vrrpd.js';

const why = missing({ root: true, commands: ['ip'] });
const noServers = serversMissing();
if (noServers.length && inCI) throw new Error(`test prerequisite missing in CI: ${noServers.join(', ')}`);

describe.skipIf(why || noServers.length > 0)('udp, dns, smtp and ping checks on a daemon', () => {
  let lab: Lab;
  let r1: Vrrpd;
  let dns: ChildProcess;
  let smtp: ChildProcess;
  let srv = '';

  const health = (s: Snapshot, port: number) =>
    s.virtualServers.find((v) => v.port === port)?.realServers[0]?.health ?? 'missing';

  beforeAll(async () => {
    lab = await createLab(['r1', 'srv']);
    srv = lab.topo.host('srv').ipv4;
    dns = lab.topo.spawn('srv', [
      DNSMASQ,
      '-k',
      '-p',
      '53',
      `--listen-address=${srv}`,
      '--bind-interfaces',
      '--no-resolv',
      '--no-hosts',
      '--conf-file=/dev/null',
      '--pid-file=',
      '--user=',
      '--address=/name.test/192.0.2.9',
    ]);
    smtp = lab.topo.spawn('srv', [AIOSMTPD_PYTHON, '-u', '-m', 'aiosmtpd', '-n', '-l', `${srv}:25`]);
    for (const port of [53, 25]) {
      await until(
        async () => {
          await lab.sh('srv', `bash -c 'exec 3<>/dev/tcp/${srv}/${port}'`);
          return true;
        },
        15_000,
        `port ${port} listening in srv`,
      );
    }
    const timing = { interval: '200ms', timeout: '1s', rise: 1, fall: 2, retry: 0 };
    const vs = (port: number, protocol: string, check: Record<string, unknown>) => ({
      address: '192.0.2.100',
      port,
      protocol,
      real_servers: [{ address: srv, port, check: { ...check, ...timing } }],
    });
    r1 = await lab.start('r1', {
      virtual_servers: [
        vs(53, 'udp', { type: 'dns', query_type: 'A', query_name: 'name.test' }),
        vs(25, 'tcp', { type: 'smtp', helo_name: 'r1.example.test' }),
        vs(54, 'udp', { type: 'udp', connect_timeout: '500ms' }),
        vs(80, 'tcp', { type: 'ping', connect_timeout: '500ms' }),
      ],
    });
  }, 60_000);
  afterAll(async () => {
    for (const c of [dns, smtp]) if (c) await lab?.topo.kill(c, 3000);
    await lab?.cleanup();
  });

  it('each check reaches its health; a stopped DNS server goes down', async () => {
    let s: Snapshot | undefined;
    await until(
      async () => {
        s = await r1.status();
        return (
          health(s, 53) === 'up' &&
          health(s, 25) === 'up' &&
          health(s, 54) === 'down' &&
          health(s, 80) === 'up'
        );
      },
      10_000,
      'dns, smtp, ping up and udp to a closed port down',
    ).catch((e: Error) => {
      throw new Error(
        `${e.message}: ${JSON.stringify(s?.virtualServers.map((v) => [v.port, v.realServers[0]]))}`,
      );
    });
    const udp = s!.virtualServers.find((v) => v.port === 54)!.realServers[0]!;
    expect(udp.checkType).toBe('udp');
    expect(udp.lastCheck).toMatchObject({ ok: false });
    expect(JSON.stringify(udp.lastCheck)).toMatch(/ECONNREFUSED/);
    await lab.topo.kill(dns, 3000);
    await until(async () => health(await r1.status(), 53) === 'down', 10_000, 'the dns check down');
    expect(health(await r1.status(), 25)).toBe('up');
    expect(
      r1.logged(
        (l) => l.event === 'health-change' && String(l.realServer).endsWith(':53') && l.to === 'down',
      ),
    ).toHaveLength(1);
  }, 60_000);
});
