// The IPVS client's batching, error collection and dumps, against the in-memory kernel.
import { describe, expect, it } from 'vitest';
import { createIpvsClient } from '../../src/effects/ipvs-client.js';
import { syncIpvs } from '../../src/lvs/apply.js';
import { buildTable, type IpvsDest, type IpvsService, normalizeService } from '../../src/lvs/model.js';
import { reconcile } from '../../src/lvs/reconcile.js';
import { NLM_F_ACK } from '../../src/netlink/message.js';
import { FAKE_IPVS_FAMILY, FakeIpvsKernel } from './ipvs-fake-kernel.js';

const svc = (i: number): IpvsService =>
  normalizeService({
    family: 4,
    protocol: 'tcp',
    address: `192.0.2.${(i % 250) + 1}`,
    port: 80 + Math.floor(i / 250),
    scheduler: 'wrr',
    flags: { persistent: false, onePacket: false, shFallback: false, shPort: false, sched3: false },
    timeoutS: 0,
    netmask: 32,
  });
const real = (j: number, weight = 1): IpvsDest => ({
  family: 4,
  address: `198.51.100.${(j % 250) + 1}`,
  port: 8000 + Math.floor(j / 250),
  forwarding: 'nat',
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
});

function bigTable(services: number, dests: number) {
  return buildTable(
    Array.from({ length: services }, (_, i) => ({
      service: svc(i),
      dests: Array.from({ length: dests }, (_, j) => real(j)),
    })),
  );
}

describe('IPVS client (fake kernel)', () => {
  it('applies thousands of ops in few datagrams, acking only the last message of each', async () => {
    const k = new FakeIpvsKernel();
    const c = await createIpvsClient({ socketFactory: k.factory, batchBytes: 16 * 1024, window: 2 });
    expect(c.familyId).toBe(FAKE_IPVS_FAMILY);
    const desired = bigTable(100, 20);
    const ops = reconcile(desired, new Map());
    k.datagrams = [];
    const { failures } = await c.applyAll(ops);
    expect(failures).toEqual([]);
    const sent = k.datagrams.flat().length;
    expect(sent).toBe(ops.length);
    expect(k.datagrams.length).toBeGreaterThan(5);
    expect(k.datagrams.length).toBeLessThan(ops.length / 50);
    for (const d of k.datagrams) {
      expect(d.slice(0, -1).every((m) => (m.flags & NLM_F_ACK) === 0)).toBe(true);
      expect(d.at(-1)!.flags & NLM_F_ACK).toBe(NLM_F_ACK);
    }
    expect(reconcile(desired, k.table)).toEqual([]);
    expect(reconcile(desired, await c.dump())).toEqual([]);
    c.close();
  });

  it('collects each refused op with its errno and words, and runs the others', async () => {
    const k = new FakeIpvsKernel();
    const c = await createIpvsClient({ socketFactory: k.factory });
    const s = svc(0);
    const { failures } = await c.applyAll([
      { op: 'add-service', service: s },
      { op: 'add-service', service: s },
      { op: 'add-dest', service: s, dest: real(1) },
      { op: 'delete-dest', service: s, dest: real(2) },
      { op: 'add-dest', service: svc(1), dest: real(1) },
      { op: 'add-dest', service: s, dest: real(3) },
    ]);
    expect(failures.map((f) => [f.op.op, (f.error as { code?: string }).code])).toEqual([
      ['add-service', 'EEXIST'],
      ['delete-dest', 'ENOENT'],
      ['add-dest', 'ESRCH'],
    ]);
    expect(failures[1]?.error.message).toBe(
      'delete real server 198.51.100.3:8000 from tcp:192.0.2.1:80: the real server is not in this service (removed by hand?) (ENOENT)',
    );
    expect(k.table.get('tcp:192.0.2.1:80')?.dests.size).toBe(2);
    await expect(c.apply({ op: 'add-service', service: s })).rejects.toMatchObject({
      code: 'EEXIST',
      errno: 17,
    });
    c.close();
  });

  it('a reconcile loop converges and then does nothing; dumpOnly reads one service', async () => {
    const k = new FakeIpvsKernel();
    const c = await createIpvsClient({ socketFactory: k.factory });
    const desired = bigTable(10, 5);
    expect((await syncIpvs(c, desired)).ops).toHaveLength(60);
    expect((await syncIpvs(c, desired)).ops).toHaveLength(0);
    const one = await c.dumpOnly([svc(3), svc(77)]);
    expect([...one.keys()]).toEqual(['tcp:192.0.2.4:80']);
    expect(one.get('tcp:192.0.2.4:80')?.dests.size).toBe(5);
    c.close();
  });

  it('says what to load when the kernel has no IPVS', async () => {
    const k = new FakeIpvsKernel();
    k.hasIpvs = false;
    await expect(createIpvsClient({ socketFactory: k.factory })).rejects.toMatchObject({
      code: 'IPVS_MISSING',
      message: expect.stringContaining('modprobe ip_vs'),
    });
  });
});
