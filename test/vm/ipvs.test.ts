// The IPVS netlink client and the reconciler against a real kernel: one guest boot
// (or one fresh host netns when the host has IPVS) runs test/vm/cases/ipvs-cases.ts,
// which writes results.json; each case is asserted here.
import { beforeAll, describe, expect, it } from 'vitest';
import { ipvsMissing, type JobResult, runNodeJob } from './guest.js';

const skip = ipvsMissing();

type CaseResult = { ok: boolean; problems: string[]; info: Record<string, unknown> };

const MODULES = [
  'ip_vs',
  'ip_vs_rr',
  'ip_vs_wrr',
  'ip_vs_wlc',
  'ip_vs_lc',
  'ip_vs_sh',
  'ip_vs_mh',
  'ip_vs_pe_sip',
  'nf_conntrack',
  'veth',
];

describe.skipIf(skip !== null)('IPVS against a real kernel', () => {
  let run: JobResult;
  let results: Record<string, CaseResult> = {};

  beforeAll(async () => {
    run = await runNodeJob('test/vm/cases/ipvs-cases.ts', [], { timeoutS: 400, modules: MODULES });
    console.log(`cases ran on the ${run.where} in ${run.durationMs.toFixed(0)} ms\n${run.stdout}`);
    if (run.rc !== 0 || !run.files['results.json']) {
      throw new Error(`case runner failed (rc ${run.rc}):\n${run.stderr}\n${run.console.slice(-3000)}`);
    }
    results = JSON.parse(run.files['results.json']) as Record<string, CaseResult>;
  });

  const check = (name: string) => {
    const r = results[name];
    expect(r, `case ${name} did not run`).toBeDefined();
    expect(r?.problems).toEqual([]);
    return r as CaseResult;
  };

  it('every service and destination attribute round-trips (netlink dump and ipvsadm -Sn agree)', () => {
    check('roundtrip');
  });

  it('kernel refusals come back with errno and operator words, per op in a batch', () => {
    const r = check('errors');
    expect(String(r.info.missingScheduler)).toContain('modprobe ip_vs_nosuch');
  });

  it('the twos scheduler: programmed where the kernel has ip_vs_twos, else the missing-scheduler message', () => {
    const r = check('twosScheduler');
    if (r.info.kernelHasTwos === false) expect(String(r.info.message)).toContain('modprobe ip_vs_twos');
  });

  it('timeouts get/set and the connection-sync daemon start/list/stop', () => {
    check('timeoutsAndDaemon');
  });

  it('reconciles from empty, heals hand edits, trims a superset and leaves unowned services alone', () => {
    check('reconcileEmptyHandEditedSuperset');
  });

  it('1,000 services x 10 real servers: apply, dump, 1 % change', () => {
    const r = check('scale');
    console.log(`scale: ${JSON.stringify(r.info)}`);
    // generous: the figures belong to bench/ipvs-reconcile.ts
    expect(Number(r.info.applyFromEmptyMs)).toBeLessThan(20_000);
  });

  it('services larger than a netlink page dump whole; one service can be read alone', () => {
    check('bigServicesAndPartialDump');
  });

  it('LVS-NAT HTTP traffic from a client through the director to two real servers', () => {
    const r = check('natTraffic');
    expect(r.info.answers).toHaveLength(6);
  });
});
