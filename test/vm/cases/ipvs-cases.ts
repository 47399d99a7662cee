// Runs INSIDE the real-IPVS environment (guest or a fresh host netns), started by
// test/vm/ipvs.test.ts through runNodeJob. Performs every case against the real kernel
// and writes $VM_SHARE/results.json; the assertions happen on the host.
// Usage: node --import tsx test/vm/cases/ipvs-cases.ts [case ...]
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIpvsClient, type IpvsClient } from '../../../src/effects/ipvs-client.js';
import { applyOps } from '../../../src/lvs/apply.js';
import { buildTable, type IpvsDest, type IpvsTable } from '../../../src/lvs/model.js';
import { describeOp, reconcile } from '../../../src/lvs/reconcile.js';
import { expectedSaveLines, parseSaveLines, scaleTable, svc } from './tables.js';

type CaseResult = { ok: boolean; problems: string[]; info: Record<string, unknown> };
const results: Record<string, CaseResult> = {};

const sh = (cmd: string) =>
  execFileSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;

/** Differences between a dump and the desired table, restricted to desired's services. */
function differences(desired: IpvsTable, dump: IpvsTable): string[] {
  return reconcile(desired, dump).map(describeOp);
}

function compareWithIpvsadm(expected: IpvsTable, problems: string[]): void {
  const got = parseSaveLines(sh('ipvsadm -Sn'));
  const want = parseSaveLines(expectedSaveLines(expected).join('\n'));
  const gotSet = new Set(got);
  const wantSet = new Set(want);
  for (const l of want) if (!gotSet.has(l)) problems.push(`ipvsadm -Sn lacks: ${l}`);
  for (const l of got) if (!wantSet.has(l)) problems.push(`ipvsadm -Sn has extra: ${l}`);
}

const cases: Record<string, (c: IpvsClient, r: CaseResult) => Promise<void>> = {
  async roundtrip(c, r) {
    sh('ipvsadm -C');
    const desired = buildTable([
      {
        service: svc({
          protocol: 'tcp',
          address: '192.0.2.10',
          port: 80,
          scheduler: 'sh',
          persistent: true,
          timeoutS: 300,
          netmask: 24,
          shFallback: true,
          shPort: true,
        }),
        dests: [
          {
            family: 4,
            address: '198.51.100.2',
            port: 80,
            forwarding: 'nat',
            weight: 3,
            upperThreshold: 100,
            lowerThreshold: 10,
          },
          {
            family: 4,
            address: '198.51.100.3',
            port: 80,
            forwarding: 'tun',
            weight: 1,
            upperThreshold: 0,
            lowerThreshold: 0,
            tunType: 'gue',
            tunPort: 6080,
            tunFlags: 0,
          },
          {
            family: 4,
            address: '198.51.100.4',
            port: 80,
            forwarding: 'tun',
            weight: 2,
            upperThreshold: 0,
            lowerThreshold: 0,
            tunType: 'gre',
            tunFlags: 1,
          },
          {
            family: 4,
            address: '198.51.100.6',
            port: 80,
            forwarding: 'tun',
            weight: 2,
            upperThreshold: 0,
            lowerThreshold: 0,
            tunType: 'ipip',
          },
          {
            family: 4,
            address: '198.51.100.5',
            port: 80,
            forwarding: 'dr',
            weight: 0,
            upperThreshold: 0,
            lowerThreshold: 0,
          },
        ],
      },
      {
        service: svc({
          family: 6,
          protocol: 'udp',
          address: '2001:db8::1',
          port: 53,
          scheduler: 'mh',
          onePacket: true,
        }),
        dests: [
          {
            family: 6,
            address: '2001:db8:1::2',
            port: 53,
            forwarding: 'nat',
            weight: 1,
            upperThreshold: 5,
            lowerThreshold: 1,
          },
        ],
      },
      {
        service: svc({
          family: 6,
          protocol: null,
          fwmark: 7,
          scheduler: 'rr',
          persistent: true,
          timeoutS: 60,
          netmask: 64,
          peName: 'sip',
        }),
      },
      { service: svc({ protocol: 'sctp', address: '192.0.2.11', port: 3868, scheduler: 'wrr' }) },
      {
        service: svc({ protocol: null, fwmark: 9, scheduler: 'wlc' }),
        dests: [
          {
            family: 4,
            address: '203.0.113.7',
            port: 0,
            forwarding: 'dr',
            weight: 7,
            upperThreshold: 0,
            lowerThreshold: 0,
          },
        ],
      },
    ]);
    const t0 = performance.now();
    const { failures } = await c.applyAll(reconcile(desired, new Map()));
    r.info.applyMs = ms(t0);
    for (const f of failures) r.problems.push(`apply failed: ${f.error.message}`);
    const dump = await c.dump();
    r.problems.push(...differences(desired, dump).map((d) => `dump differs, would ${d}`));
    if (dump.size !== desired.size) r.problems.push(`dump has ${dump.size} services, want ${desired.size}`);
    compareWithIpvsadm(desired, r.problems);
    // thresholds are not in -Sn: cross-check with -Ln --thresholds
    const thr = sh('ipvsadm -Ln --thresholds');
    if (!/198\.51\.100\.2:80\s+100\s+10\b/.test(thr))
      r.problems.push(`thresholds not in ipvsadm -Ln: ${thr}`);
    // stats and counters come back in dumps
    const e = dump.get('tcp:192.0.2.10:80');
    if (!e?.stats || e.destCounters?.size !== 5) r.problems.push('dump lacks stats or destination counters');
    r.info.info = await c.getInfo();
  },

  async errors(c, r) {
    sh('ipvsadm -C');
    const s = svc({ protocol: 'tcp', address: '192.0.2.20', port: 80, scheduler: 'nosuch' });
    try {
      await c.apply({ op: 'add-service', service: s });
      r.problems.push('a missing scheduler was accepted');
    } catch (e) {
      r.info.missingScheduler = (e as Error).message;
      if ((e as { code?: string }).code !== 'ENOENT' || !/modprobe ip_vs_nosuch/.test((e as Error).message)) {
        r.problems.push(`unexpected error: ${(e as Error).message}`);
      }
    }
    const ok = svc({ protocol: 'tcp', address: '192.0.2.20', port: 80, scheduler: 'rr' });
    await c.apply({ op: 'add-service', service: ok });
    const again = await c.applyAll([{ op: 'add-service', service: ok }]);
    r.info.exists = again.failures.map((f) => f.error.message);
    if (
      again.failures.length !== 1 ||
      (again.failures[0]?.error as { code?: string } | undefined)?.code !== 'EEXIST'
    ) {
      r.problems.push(`EEXIST not reported: ${JSON.stringify(r.info.exists)}`);
    }
    const d: IpvsDest = {
      family: 4,
      address: '198.51.100.9',
      port: 80,
      forwarding: 'nat',
      weight: 1,
      upperThreshold: 1,
      lowerThreshold: 5,
    };
    const bad = await c.applyAll([
      { op: 'add-dest', service: ok, dest: d },
      {
        op: 'add-dest',
        service: svc({ protocol: 'tcp', address: '192.0.2.21', port: 80 }),
        dest: { ...d, lowerThreshold: 0 },
      },
      { op: 'delete-dest', service: ok, dest: { ...d, address: '198.51.100.10' } },
    ]);
    r.info.batchErrors = bad.failures.map(
      (f) => `${(f.error as { code?: string }).code}: ${f.error.message}`,
    );
    const codes = bad.failures.map((f) => (f.error as { code?: string }).code);
    if (JSON.stringify(codes) !== JSON.stringify(['ERANGE', 'ESRCH', 'ENOENT']))
      r.problems.push(`batch errors ${codes}`);
  },

  async timeoutsAndDaemon(c, r) {
    const before = await c.getTimeouts();
    await c.setTimeouts({ tcpS: 901, tcpFinS: 121, udpS: 301 });
    const after = await c.getTimeouts();
    r.info.timeouts = { before, after };
    if (after.tcpS !== 901 || after.tcpFinS !== 121 || after.udpS !== 301)
      r.problems.push('timeouts not set');
    if (!/901 121 301/.test(sh('ipvsadm -Ln --timeout'))) r.problems.push('ipvsadm disagrees on timeouts');
    sh('ip link add vsync0 type veth peer name vsync1 && ip link set vsync0 up && ip link set vsync1 up');
    try {
      await c.startDaemon({ state: 'master', ifname: 'vsync0', syncId: 9 });
      await c.startDaemon({ state: 'backup', ifname: 'vsync1', syncId: 9 });
      const list = await c.listDaemons();
      r.info.daemons = list;
      r.info.ipvsadmDaemons = sh('ipvsadm -L --daemon');
      if (
        list.length !== 2 ||
        !list.some((d) => d.state === 'master' && d.ifname === 'vsync0' && d.syncId === 9)
      ) {
        r.problems.push(`daemon list ${JSON.stringify(list)}`);
      }
      try {
        await c.startDaemon({ state: 'master', ifname: 'vsync0', syncId: 9 });
        r.problems.push('second master daemon accepted');
      } catch (e) {
        r.info.secondMaster = (e as Error).message;
      }
      await c.stopDaemon('master');
      await c.stopDaemon('backup');
      if ((await c.listDaemons()).length !== 0) r.problems.push('daemons still running after stop');
    } finally {
      sh('ip link del vsync0');
    }
  },

  async reconcileEmptyHandEditedSuperset(c, r) {
    sh('ipvsadm -C');
    const web = svc({ protocol: 'tcp', address: '192.0.2.30', port: 80, scheduler: 'wrr' });
    const dns = svc({ protocol: 'udp', address: '192.0.2.30', port: 53, scheduler: 'rr' });
    const real = (a: string, port: number, weight = 1): IpvsDest => ({
      family: 4,
      address: a,
      port,
      forwarding: 'nat',
      weight,
      upperThreshold: 0,
      lowerThreshold: 0,
    });
    const desired = buildTable([
      {
        service: web,
        dests: [real('198.51.100.2', 80), real('198.51.100.3', 80, 2), real('198.51.100.4', 80)],
      },
      { service: dns, dests: [real('198.51.100.2', 53), real('198.51.100.3', 53)] },
    ]);
    // from empty
    let ops = reconcile(desired, await c.dump());
    r.info.fromEmpty = ops.length;
    let res = await c.applyAll(ops);
    if (res.failures.length) r.problems.push(...res.failures.map((f) => f.error.message));
    if (differences(desired, await c.dump()).length) r.problems.push('from empty: not converged');
    // hand edits, as an operator would make them
    sh(
      [
        'ipvsadm -e -t 192.0.2.30:80 -r 198.51.100.3:80 -m -w 9',
        'ipvsadm -d -t 192.0.2.30:80 -r 198.51.100.4:80',
        'ipvsadm -E -t 192.0.2.30:80 -s lc',
        'ipvsadm -D -u 192.0.2.30:53',
      ].join(' && '),
    );
    ops = reconcile(desired, await c.dump());
    r.info.handEdited = ops.map(describeOp);
    const kinds = ops.map((o) => o.op).sort();
    const want = ['add-dest', 'add-dest', 'add-dest', 'add-service', 'edit-dest', 'edit-service'];
    if (JSON.stringify(kinds) !== JSON.stringify(want)) r.problems.push(`hand-edited ops ${kinds}`);
    res = await c.applyAll(ops);
    if (res.failures.length) r.problems.push(...res.failures.map((f) => f.error.message));
    if (differences(desired, await c.dump()).length) r.problems.push('hand-edited: not healed');
    // superset: an extra real server in an owned service, and a service we do not own
    sh(
      [
        'ipvsadm -a -t 192.0.2.30:80 -r 203.0.113.9:80 -m',
        'ipvsadm -A -t 192.0.2.99:443 -s rr',
        'ipvsadm -a -t 192.0.2.99:443 -r 203.0.113.10:443 -m',
      ].join(' && '),
    );
    const before = sh('ipvsadm -Sn');
    ops = reconcile(desired, await c.dump());
    r.info.superset = ops.map(describeOp);
    if (ops.length !== 1 || ops[0]?.op !== 'delete-dest') r.problems.push(`superset ops ${r.info.superset}`);
    res = await c.applyAll(ops);
    if (res.failures.length) r.problems.push(...res.failures.map((f) => f.error.message));
    const after = sh('ipvsadm -Sn');
    const unowned = (s: string) =>
      s
        .split('\n')
        .filter((l) => l.includes('192.0.2.99:443'))
        .join('\n');
    if (unowned(after) !== unowned(before) || !unowned(after)) r.problems.push('unowned service was touched');
    if (after.includes('203.0.113.9')) r.problems.push('extra real server in owned service kept');
    if (reconcile(desired, await c.dump()).length !== 0) r.problems.push('not idempotent');
  },

  async scale(c, r) {
    sh('ipvsadm -C');
    const desired = scaleTable(1000, 10);
    let t0 = performance.now();
    const ops = reconcile(desired, await c.dump());
    const { failures } = await c.applyAll(ops);
    r.info.applyFromEmptyMs = ms(t0);
    r.info.ops = ops.length;
    if (failures.length) r.problems.push(`${failures.length} failures, first: ${failures[0]?.error.message}`);
    t0 = performance.now();
    const dump = await c.dump();
    r.info.dumpMs = ms(t0);
    let dests = 0;
    for (const e of dump.values()) dests += e.dests.size;
    r.info.services = dump.size;
    r.info.dests = dests;
    if (dump.size !== 1000 || dests !== 10_000)
      r.problems.push(`dump has ${dump.size} services / ${dests} dests`);
    if (differences(desired, dump).length) r.problems.push('dump differs from desired');
    const lines = sh('ipvsadm -Sn').trim().split('\n').length;
    if (lines !== 11_000) r.problems.push(`ipvsadm -Sn has ${lines} lines, want 11000`);
    // 1 % change: 100 weights
    const changed = applyOps(desired, []);
    let n = 0;
    for (const e of changed.values()) {
      const d = [...e.dests.values()][0];
      if (d && n++ < 100) d.weight += 1;
    }
    t0 = performance.now();
    const ops2 = reconcile(changed, await c.dump());
    const f2 = await c.applyAll(ops2);
    r.info.onePercentMs = ms(t0);
    r.info.onePercentOps = ops2.length;
    if (ops2.length !== 100 || f2.failures.length)
      r.problems.push(`1% change: ${ops2.length} ops, ${f2.failures.length} failures`);
  },

  async bigServicesAndPartialDump(c, r) {
    sh('ipvsadm -C');
    // services bigger than one netlink page: dumps of them overlap (EBUSY is retried)
    const entries = [0, 1, 2, 3].map((i) => ({
      service: svc({ protocol: 'tcp', address: `192.0.2.${40 + i}`, port: 80, scheduler: 'wlc' }),
      dests: Array.from(
        { length: 1500 },
        (_, j): IpvsDest => ({
          family: 4,
          address: `198.51.100.${(j % 250) + 1}`,
          port: 10000 + Math.floor(j / 250),
          forwarding: 'dr',
          weight: j % 7,
          upperThreshold: 0,
          lowerThreshold: 0,
        }),
      ),
    }));
    const desired = buildTable(entries);
    const res = await c.applyAll(reconcile(desired, new Map()));
    if (res.failures.length)
      r.problems.push(`${res.failures.length} failures: ${res.failures[0]?.error.message}`);
    const dump = await c.dump();
    r.info.destsPerService = [...dump.values()].map((e) => e.dests.size);
    if (differences(desired, dump).length) r.problems.push('full dump differs');
    const one = entries[2]!.service;
    const part = await c.dumpOnly([one, svc({ protocol: 'udp', address: '192.0.2.99', port: 1 })]);
    r.info.partialKeys = [...part.keys()];
    if (part.size !== 1 || part.values().next().value?.dests.size !== 1500)
      r.problems.push('partial dump wrong');
    const sub = buildTable([entries[2]!]);
    if (reconcile(sub, part).length !== 0) r.problems.push('partial dump differs');
    sh('ipvsadm -C');
  },

  async natTraffic(c, r) {
    sh('ipvsadm -C');
    const p = `v${process.pid % 100000}`;
    const X = (ns: string, cmd: string) => `ip netns exec ${p}${ns} ${cmd}`;
    const servers: number[] = [];
    try {
      // client(192.0.2.2) -- director (this netns: 192.0.2.1, VIP 192.0.2.10) -- real1/real2
      sh(
        [
          `ip netns add ${p}c && ip netns add ${p}r1 && ip netns add ${p}r2`,
          `ip link add ${p}d0 type veth peer name ${p}c0 && ip link set ${p}c0 netns ${p}c`,
          `ip link add ${p}d1 type veth peer name ${p}e1 && ip link set ${p}e1 netns ${p}r1`,
          `ip link add ${p}d2 type veth peer name ${p}e2 && ip link set ${p}e2 netns ${p}r2`,
          `ip addr add 192.0.2.1/24 dev ${p}d0 && ip addr add 192.0.2.10/32 dev ${p}d0`,
          `ip addr add 198.51.100.1/28 dev ${p}d1 && ip addr add 198.51.100.17/28 dev ${p}d2`,
          `ip link set ${p}d0 up && ip link set ${p}d1 up && ip link set ${p}d2 up`,
          X('c', `ip addr add 192.0.2.2/24 dev ${p}c0`),
          X('r1', `ip addr add 198.51.100.2/28 dev ${p}e1`),
          X('r2', `ip addr add 198.51.100.18/28 dev ${p}e2`),
          X('c', `ip link set ${p}c0 up`),
          X('r1', `ip link set ${p}e1 up`),
          X('r2', `ip link set ${p}e2 up`),
          X('c', 'ip link set lo up'),
          X('r1', 'ip link set lo up'),
          X('r2', 'ip link set lo up'),
          X('c', 'ip route add default via 192.0.2.1'),
          X('r1', 'ip route add default via 198.51.100.1'),
          X('r2', 'ip route add default via 198.51.100.17'),
          'sysctl -qw net.ipv4.ip_forward=1',
        ].join(' && '),
      );
      const srv =
        'require("http").createServer((q,s)=>s.end(process.argv[1])).listen(80,"0.0.0.0",()=>console.log("up"))';
      for (const [ns, name] of [
        ['r1', 'real1'],
        ['r2', 'real2'],
      ] as const) {
        const child = spawn('ip', ['netns', 'exec', `${p}${ns}`, 'node', '-e', srv, name], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        await new Promise<void>((ok, fail) => {
          child.stdout.once('data', () => ok());
          child.once('exit', (code) => fail(new Error(`${name} exited ${code}`)));
        });
        if (child.pid) servers.push(child.pid);
      }
      const real = (a: string): IpvsDest => ({
        family: 4,
        address: a,
        port: 80,
        forwarding: 'nat',
        weight: 1,
        upperThreshold: 0,
        lowerThreshold: 0,
      });
      const desired = buildTable([
        {
          service: svc({ protocol: 'tcp', address: '192.0.2.10', port: 80, scheduler: 'rr' }),
          dests: [real('198.51.100.2'), real('198.51.100.18')],
        },
      ]);
      const res = await c.applyAll(reconcile(desired, await c.dump()));
      if (res.failures.length) r.problems.push(...res.failures.map((f) => f.error.message));
      const get = `const h=require("http");let n=0,out=[];(function go(){if(n++>=6)return console.log(JSON.stringify(out));h.get({host:"192.0.2.10",port:80,agent:false,timeout:3000},s=>{let b="";s.on("data",d=>b+=d);s.on("end",()=>{out.push(b);go()})}).on("error",e=>{out.push("error "+e.message);go()})})()`;
      const answers = JSON.parse(sh(X('c', `node -e '${get}'`))) as string[];
      r.info.answers = answers;
      if (
        answers.filter((a) => a === 'real1').length !== 3 ||
        answers.filter((a) => a === 'real2').length !== 3
      ) {
        r.problems.push(`round robin answers ${answers}`);
      }
      // the kernel folds per-CPU counters into the reported stats every 2 s (estimator)
      let e: ReturnType<IpvsTable['get']>;
      for (let i = 0; i < 20; i++) {
        e = (await c.dump()).get('tcp:192.0.2.10:80');
        if (e?.stats?.conns === 6n) break;
        await new Promise((ok) => setTimeout(ok, 500));
      }
      r.info.conns = e?.stats?.conns.toString();
      r.info.destConns = [...(e?.destCounters?.values() ?? [])].map((d) => d.stats?.conns.toString());
      if (e?.stats?.conns !== 6n) r.problems.push(`service stats conns ${e?.stats?.conns}`);
    } finally {
      for (const pid of servers) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      sh(
        `ip netns del ${p}c; ip netns del ${p}r1; ip netns del ${p}r2; ip link del ${p}d0; ip link del ${p}d1; ip link del ${p}d2; true`,
      );
    }
  },
  // Linux 6.2+ ip_vs_twos (keepalived lb_algo twos): programmed where the kernel has it;
  // a kernel without it (the 6.1 guest) refuses with the missing-scheduler message
  async twosScheduler(c, r) {
    sh('ipvsadm -C');
    const s = svc({ protocol: 'tcp', address: '192.0.2.25', port: 80, scheduler: 'twos' });
    try {
      await c.apply({ op: 'add-service', service: s });
      r.info.kernelHasTwos = true;
      const saved = sh('ipvsadm -Sn');
      if (!saved.includes('-A -t 192.0.2.25:80 -s twos'))
        r.problems.push(`twos service not in ipvsadm -Sn: ${saved}`);
    } catch (e) {
      r.info.kernelHasTwos = false;
      r.info.message = (e as Error).message;
      if ((e as { code?: string }).code !== 'ENOENT' || !/modprobe ip_vs_twos/.test((e as Error).message))
        r.problems.push(`unexpected error: ${(e as Error).message}`);
    }
    sh('ipvsadm -C');
  },
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const client = await createIpvsClient();
  try {
    for (const [name, fn] of Object.entries(cases)) {
      if (wanted.length && !wanted.includes(name)) continue;
      const r: CaseResult = { ok: false, problems: [], info: {} };
      const t0 = performance.now();
      try {
        await fn(client, r);
      } catch (e) {
        r.problems.push(`threw: ${(e as Error).stack ?? e}`);
      }
      r.info.ms = ms(t0);
      r.ok = r.problems.length === 0;
      results[name] = r;
      console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${name} ${r.info.ms} ms ${r.problems.slice(0, 5).join(' | ')}`);
    }
  } finally {
    client.close();
    const out = process.env.VM_SHARE;
    const json = JSON.stringify(results, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 1);
    if (out) writeFileSync(join(out, 'results.json'), json);
    else console.log(json);
  }
}

await main();
