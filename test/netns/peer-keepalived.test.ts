// Layer 3 (TESTING.md): the real keepalived 2.2.7 as the other router of the same VRID.
// Both directions (vrrpd master / keepalived backup and the reverse), crash (SIGKILL) and
// graceful stop (SIGTERM → priority-0 advert, RFC 5798 §6.4.3), the master's return with
// preemption (§6.4.2), v3 at 100 ms over IPv4 and IPv6 and v2 at 1 s over IPv4. Our adverts,
// captured in a third namespace, must decode in tshark with no expert info and a correct
// checksum, and vrrpd must not have dropped any of keepalived's adverts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { createPeerLab, type PeerCase, type PeerLab, realDrops, runPeerCase } from './peers/harness.js';

const skip = missing({ root: true, commands: ['ip', 'keepalived', 'tcpdump', 'tshark'] });

describe.skipIf(skip !== null)('keepalived 2.2.7 as the peer router', () => {
  let lab: PeerLab;
  beforeAll(async () => {
    lab = await createPeerLab();
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  const cases: Array<[string, PeerCase]> = [
    [
      'v3 IPv4 100ms, vrrpd master',
      { peer: 'keepalived', version: 3, family: 4, vrrpdMaster: true, advertMs: 100 },
    ],
    [
      'v3 IPv4 100ms, keepalived master',
      { peer: 'keepalived', version: 3, family: 4, vrrpdMaster: false, advertMs: 100 },
    ],
    [
      'v3 IPv6 100ms, vrrpd master',
      { peer: 'keepalived', version: 3, family: 6, vrrpdMaster: true, advertMs: 100 },
    ],
    [
      'v3 IPv6 100ms, keepalived master (SIGTERM first)',
      {
        peer: 'keepalived',
        version: 3,
        family: 6,
        vrrpdMaster: false,
        advertMs: 100,
        scenario: { faults: ['SIGTERM', 'SIGKILL'] },
      },
    ],
    // v2 is slow (1 s adverts, 3.6 s Master_Down_Interval): one fault each way.
    [
      'v2 IPv4 1s, vrrpd master (SIGKILL)',
      {
        peer: 'keepalived',
        version: 2,
        family: 4,
        vrrpdMaster: true,
        advertMs: 1000,
        scenario: { faults: ['SIGKILL'] },
      },
    ],
    [
      'v2 IPv4 1s, keepalived master (SIGTERM)',
      {
        peer: 'keepalived',
        version: 2,
        family: 4,
        vrrpdMaster: false,
        advertMs: 1000,
        scenario: { faults: ['SIGTERM'] },
      },
    ],
  ];

  it.each(cases)('%s: failover both ways, preemption, adverts decode cleanly', async (_name, c) => {
    const r = await runPeerCase(lab, c);
    console.info(`${_name}: ${r.steps.map((s) => `${s.step} ${s.ms} ms`).join('; ')}`);
    // Adverts we sent while master (at least the start-up preemption period).
    expect(r.ours.frames, r.ours.text.slice(0, 4000)).toBeGreaterThan(0);
    expect(r.ours.expertInfo).toEqual([]);
    expect(r.ours.badChecksums, r.ours.text.slice(0, 4000)).toBe(0);
    expect(new Set(r.ours.versions)).toEqual(new Set([c.version]));
    if (c.vrrpdMaster && (c.scenario?.faults ?? ['SIGKILL', 'SIGTERM']).includes('SIGTERM')) {
      // RFC 5798 §6.4.3: leaving the master state sends a priority-0 advert.
      expect(r.ours.priorities).toContain(0);
    }
    expect(realDrops(r.status)).toEqual({});
    const inst = r.status.instances[0];
    expect(inst?.counters.advertsReceived ?? 0).toBeGreaterThan(0);
  });
});
