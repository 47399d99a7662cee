// A small slice of bench/ipvs-scale.ts, so that the bench does not rot: the whole vrrpd
// (the bundled bin) and keepalived, each in a fresh guest, 1,000 real servers (10 x 100,
// no checks, one VRRP instance), from empty, then reloads of one weight. The figures
// themselves belong to the bench; here the bounds are generous and the point is that
// everything arrives, and that a reload reaches the kernel through the kept table: one
// quick pass of one virtual server and one message, no dump.
import { describe, expect, it } from 'vitest';
import { scaleInGuest } from '../../bench/ipvs-scale.js';
import { hasCommand, inCI } from '../helpers/env.js';
import { ensureBuilt, ipvsMissing } from './guest.js';

let skip = ipvsMissing();
if (skip === null && !hasCommand('keepalived') && !hasCommand('/usr/sbin/keepalived')) {
  if (inCI) throw new Error('the IPVS scale test needs keepalived (apt-get install keepalived)');
  skip = 'needs keepalived';
}

describe.skipIf(skip !== null)('whole daemons at scale against real IPVS (bench slice)', () => {
  it('vrrpd: every real server arrives; a reload of one weight is one quick pass without a dump', async () => {
    ensureBuilt();
    const r = await scaleInGuest('vrrpd', 10, 100, 2, { logLevel: 'debug' });
    console.log(JSON.stringify({ ...r, log: undefined }));
    expect(r.firstMs).toBeLessThanOrEqual(r.allMs);
    expect(r.allMs).toBeLessThan(120_000);
    expect(r.reloadMs).toHaveLength(2);
    for (const ms of r.reloadMs) expect(ms).toBeLessThan(10_000);
    const passes = r.log
      .split('\n')
      .filter((l) => l.includes('"event":"ipvs-reconcile"'))
      .map((l) => JSON.parse(l) as { kind: string; ops: number; virtualServers?: number });
    // one full pass at start (10 services + 1,000 real servers), then one quick pass per reload
    expect(passes[0]).toMatchObject({ kind: 'full', ops: 1010 });
    const quick = passes.filter((p) => p.kind === 'quick' && p.ops > 0);
    expect(quick).toHaveLength(2);
    for (const p of quick) expect(p).toMatchObject({ ops: 1, virtualServers: 1 });
    expect(passes.filter((p) => p.kind === 'full')).toHaveLength(1);
    // the start-up marks (src/start-marks.ts): the table is in the kernel before the VRRP
    // worker starts, and each mark comes after the one before it
    const m = r.marks ?? {};
    const order = [
      'bundle-compiled',
      'config-loaded',
      'netlink-open',
      'ipvs-applied',
      'worker-ready',
      'ready',
    ];
    for (const k of order) expect(m[k], k).toBeGreaterThan(0);
    for (let i = 1; i < order.length; i++) expect(m[order[i]!]!).toBeGreaterThanOrEqual(m[order[i - 1]!]!);
  });

  it('keepalived beside it: the same table and the same reload', async () => {
    const r = await scaleInGuest('keepalived', 10, 100, 1);
    console.log(JSON.stringify({ ...r, log: undefined }));
    expect(r.firstMs).toBeLessThanOrEqual(r.allMs);
    expect(r.reloadMs).toHaveLength(1);
  });
});
