// PING_CHECK through the addon's raw ICMP/ICMPv6 sockets, between namespaces: replies from a
// live host (IPv4 and IPv6, also with a source address), an ICMP error (admin prohibited)
// that fails the check at once, and silence (echo dropped) that fails at the connect timeout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../src/check/probe.js';
import { missing } from '../helpers/env.js';
import { createTopology, type Topology } from '../helpers/netns.js';

const why = missing({ root: true, commands: ['ip', 'nft'] });
const TSX = 'node_modules/.bin/tsx';
const AGENT = 'test/netns/ping-probe.agent.ts';

describe.skipIf(why)('ping probe in namespaces', () => {
  let topo: Topology;

  beforeAll(async () => {
    topo = await createTopology({ hosts: ['chk', 'srv', 'rej'] });
    await topo.exec('rej', [
      'nft',
      'add table inet vrrpdping; add chain inet vrrpdping input { type filter hook input priority 0; }; ' +
        'add rule inet vrrpdping input icmp type echo-request reject with icmp type admin-prohibited; ' +
        'add rule inet vrrpdping input icmpv6 type echo-request drop',
    ]);
  }, 60_000);
  afterAll(async () => {
    await topo?.cleanup();
  });

  it('live host up (v4, v6, bound source); ICMP error down at once; silence down at the timeout', async () => {
    const srv = topo.host('srv');
    const rej = topo.host('rej');
    const chk = topo.host('chk');
    const t0 = Date.now();
    const r = await topo.exec(
      'chk',
      [
        TSX,
        AGENT,
        JSON.stringify([
          { host: srv.ipv4, connectTimeoutMs: 3000 },
          { host: srv.ipv6, connectTimeoutMs: 3000 },
          { host: srv.ipv4, connectTimeoutMs: 3000, bindAddress: chk.ipv4 },
          { host: rej.ipv4, connectTimeoutMs: 3000 },
          { host: rej.ipv6, connectTimeoutMs: 1500 },
        ]),
      ],
      { timeoutMs: 30_000 },
    );
    const wall = Date.now() - t0;
    const [v4, v6, bound, prohibited, silent] = JSON.parse(
      r.stdout.trim().split('\n').at(-1)!,
    ) as ProbeResult[];
    expect(v4, JSON.stringify(v4)).toMatchObject({ ok: true });
    expect(v6, JSON.stringify(v6)).toMatchObject({ ok: true });
    expect(bound, JSON.stringify(bound)).toMatchObject({ ok: true });
    expect(v4!.latencyMs).toBeLessThan(1000);
    expect(prohibited).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/administratively prohibited \(ICMP from 192\.0\.2\.\d+\)/),
    });
    expect(prohibited!.latencyMs).toBeLessThan(1000);
    expect(silent).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/no echo reply .* within 1500 ms/),
    });
    expect(silent!.latencyMs).toBeGreaterThanOrEqual(1400);
    expect(wall).toBeLessThan(25_000);
  }, 60_000);
});
