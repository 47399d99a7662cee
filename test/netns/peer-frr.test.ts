// Layer 3 (TESTING.md): FRR 8.4's vrrpd (with zebra) as the other router of the same VRID.
// FRR needs its virtual-MAC macvlan made by hand (see test/netns/peers/frr.ts); it holds the
// VIP when zebra has lifted protodown on that macvlan. Both directions, crash (SIGKILL) and
// graceful stop (SIGTERM → priority-0 advert, RFC 5798 §6.4.3), the master's return with
// preemption (§6.4.2); v3 at 100 ms over IPv4 and IPv6, v2 at 1 s over IPv4. FRR checks the
// v3 IPv4 checksum with the pseudo-header (its default), so its acceptance of our adverts
// is itself a checksum test; tshark checks our adverts in the capture as well.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { FRR_DIR } from './peers/frr.js';
import { createPeerLab, type PeerCase, type PeerLab, realDrops, runPeerCase } from './peers/harness.js';

const skip = missing({
  root: true,
  commands: ['ip', 'tcpdump', 'tshark', `${FRR_DIR}/zebra`, `${FRR_DIR}/vrrpd`],
});

describe.skipIf(skip !== null)('FRR 8.4 vrrpd as the peer router', () => {
  let lab: PeerLab;
  beforeAll(async () => {
    lab = await createPeerLab();
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  const cases: Array<[string, PeerCase]> = [
    ['v3 IPv4 100ms, vrrpd master', { peer: 'frr', version: 3, family: 4, vrrpdMaster: true, advertMs: 100 }],
    [
      'v3 IPv4 100ms, FRR master (SIGTERM first)',
      {
        peer: 'frr',
        version: 3,
        family: 4,
        vrrpdMaster: false,
        advertMs: 100,
        scenario: { faults: ['SIGTERM', 'SIGKILL'] },
      },
    ],
    ['v3 IPv6 100ms, vrrpd master', { peer: 'frr', version: 3, family: 6, vrrpdMaster: true, advertMs: 100 }],
    ['v3 IPv6 100ms, FRR master', { peer: 'frr', version: 3, family: 6, vrrpdMaster: false, advertMs: 100 }],
    [
      'v2 IPv4 1s, vrrpd master (SIGTERM)',
      {
        peer: 'frr',
        version: 2,
        family: 4,
        vrrpdMaster: true,
        advertMs: 1000,
        scenario: { faults: ['SIGTERM'] },
      },
    ],
    [
      'v2 IPv4 1s, FRR master (SIGKILL)',
      {
        peer: 'frr',
        version: 2,
        family: 4,
        vrrpdMaster: false,
        advertMs: 1000,
        scenario: { faults: ['SIGKILL'] },
      },
    ],
  ];

  it.each(cases)('%s: failover both ways, preemption, adverts decode cleanly', async (_name, c) => {
    const r = await runPeerCase(lab, c);
    console.info(`${_name}: ${r.steps.map((s) => `${s.step} ${s.ms} ms`).join('; ')}`);
    expect(r.ours.frames, r.ours.text.slice(0, 4000)).toBeGreaterThan(0);
    expect(r.ours.expertInfo).toEqual([]);
    expect(r.ours.badChecksums, r.ours.text.slice(0, 4000)).toBe(0);
    expect(new Set(r.ours.versions)).toEqual(new Set([c.version]));
    if (c.vrrpdMaster && (c.scenario?.faults ?? ['SIGKILL', 'SIGTERM']).includes('SIGTERM')) {
      expect(r.ours.priorities).toContain(0);
    }
    expect(realDrops(r.status)).toEqual({});
    expect(r.status.instances[0]?.counters.advertsReceived ?? 0).toBeGreaterThan(0);
  });
});
