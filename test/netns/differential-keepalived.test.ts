// Differential test (issue 18, "Migration without surprises"): one keepalived.conf per node
// of a pair (two instances in a sync group with sync_group_tracking_weight, a tracked
// interface, a vrrp_script with a weight, unicast peers), run once by Debian's keepalived
// 2.2.7 and once, on an identical fresh topology, by vrrpd on `vrrpd import-keepalived
// --strict` of the same files. The same scenario drives both pairs: start, the tracked
// script fails on the master, it recovers, the tracked link goes down on the master, it
// comes back. After each step, once the VIPs have stayed where they are for STABLE_MS, the
// test records which node holds which VIP; both pairs must give the same record per step.
// The scenario lives in test/netns/lib/differential.ts (bench/migration-differential.ts
// times it).
//
//   a  192.0.2.11/24  priority 150      b  192.0.2.12/24  priority 100
//   VI_1 vrid 51 VIP 192.0.2.200 (tracks trk0, one end of a veth pair, and the scripts chk and
//        chk_all, weight -60 each)
//   VI_2 vrid 52 VIP 192.0.2.201 (tracks chk_all)     sync group G1 { VI_1 VI_2 }
// This test found that vrrpd let one member that lost priority take its group over while the
// other member still heard a better master (the group then flapped between the routers);
// keepalived holds such a takeover until every member wants master (src/vrrp/engine.ts
// holdForSyncGroup).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { runScenario, STEPS, startKeepalivedPair, startVrrpdPair } from './lib/differential.js';
import { requireBuilt } from './lib/vrrpd.js';

const skip = missing({ root: true, commands: ['ip', 'keepalived'] });

describe.skipIf(skip !== null)('keepalived and vrrpd on the import of the same keepalived.conf', () => {
  let keepalived: string[] = [];
  let vrrpd: string[] = [];
  beforeAll(async () => {
    requireBuilt();
    keepalived = (await runScenario(startKeepalivedPair, 'keepalived', console.info)).map((r) => r.placement);
    vrrpd = (await runScenario(startVrrpdPair, 'vrrpd', console.info)).map((r) => r.placement);
  }, 240_000);
  afterAll(() => {
    console.info(
      STEPS.map((s, i) => `${s.name.padEnd(34)} keepalived: ${keepalived[i]}   vrrpd: ${vrrpd[i]}`).join(
        '\n',
      ),
    );
  });

  it('the scenario moves the VIPs (it tests something)', () => {
    expect(keepalived).toHaveLength(STEPS.length);
    const a = '192.0.2.200@a 192.0.2.201@a';
    const b = '192.0.2.200@b 192.0.2.201@b';
    expect(keepalived).toEqual([a, a, a, b, a, b, a]);
  });

  STEPS.forEach((step, i) => {
    it(`step ${i} (${step.name}): the same master and the same VIPs on the same nodes`, () => {
      expect(vrrpd[i]).toBe(keepalived[i]);
    });
  });
});
