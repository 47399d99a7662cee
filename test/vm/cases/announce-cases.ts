// Runs INSIDE the real-IPVS environment (guest, or a fresh host netns when the host has
// IPVS), started by test/vm/announce-ecmp.test.ts: three active-active directors, each
// running `vrrpd run` with an announced LVS-DR service (mh by default in announce mode),
// behind a router that spreads flows over them with ECMP (layer-4 hash), three real
// servers and a client, all on one bridge:
//
//   c      198.51.100.100/24, default via 198.51.100.1
//   r      198.51.100.1/24 + 192.0.2.1/24, forwarding, 203.0.113.10/32 ECMP via d1 d2 d3
//   d1-3   192.0.2.11-13/24, VIP 203.0.113.10/32 on lo, vrrpd (IPVS DR, mh)
//   s1-3   192.0.2.21-23/24, VIP on lo (arp_ignore/arp_announce), default via 192.0.2.1
//
// (The router's ECMP route is static here: the BGP side runs with real FRR in
// test/netns/announce-bgp.test.ts. What this shows is IPVS's part.) Phases:
//   tables   the three directors' IPVS tables are the same, real servers in config order
//   spread   connections from 60 client ports spread over the directors (IPVS counters)
//   leave    d2 leaves the ECMP route: every client port reconnects to the same real server
//   drain    a real server failing its check drains at weight 0 on every director, in place
// Writes $VM_SHARE/results.json ({phase: {problems, info}}); the host asserts.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopology, type Topology } from '../../../src/lab/netns.js';
import { REPO } from '../guest.js';

interface Phase {
  problems: string[];
  info: Record<string, unknown>;
}
const results: Record<string, Phase> = {};
const share = process.env.VM_SHARE ?? tmpdir();
const MAIN_JS = join(REPO, 'dist', 'src', 'cli', 'main.js');
const VIP = '203.0.113.10';
const DIRECTORS = ['d1', 'd2', 'd3'] as const;
const SERVERS = ['s1', 's2', 's3'] as const;
const dAddr = (d: string) => `192.0.2.${10 + Number(d.slice(1))}`;
const sAddr = (s: string) => `192.0.2.${20 + Number(s.slice(1))}`;
const PORTS = Array.from({ length: 60 }, (_, i) => 41000 + i);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const SERVER = `const name=process.argv[1];require('net').createServer(s=>{s.on('error',()=>{});s.end(name+'\\n');}).listen(80,'0.0.0.0');`;
// connects from each local port in argv[1] (comma list) to VIP:80, prints port=name lines
const CLIENT = `const net=require('net');const ports=process.argv[1].split(',').map(Number);
const one=(p)=>new Promise(r=>{const s=net.connect({host:'${VIP}',port:80,localPort:p,localAddress:'198.51.100.100'});let b='';
const t=setTimeout(()=>{s.destroy();r(p+'=timeout');},3000);s.setEncoding('utf8');s.on('data',d=>b+=d);
s.on('error',e=>{clearTimeout(t);r(p+'=error:'+e.code);});s.on('close',()=>{clearTimeout(t);r(p+'='+(b.trim()||'empty'));});});
(async()=>{for(const p of ports){console.log(await one(p));await new Promise(r=>setTimeout(r,20));}})();`;

async function phase(name: string, fn: (r: Phase) => Promise<void>): Promise<void> {
  const r: Phase = { problems: [], info: {} };
  results[name] = r;
  try {
    await fn(r);
  } catch (e) {
    r.problems.push(`threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}

function directorYaml(d: string, dir: string, downServer?: string): string {
  return [
    'global:',
    `  router_id: ${d}`,
    `  control_socket: ${join(dir, `${d}.sock`)}`,
    `  state_file: ${join(dir, `${d}-owned.json`)}`,
    '  announce: {table: 100}',
    'virtual_servers:',
    `  - address: ${VIP}`,
    '    port: 80',
    '    forwarding: dr',
    '    announce: {when: any-up}',
    '    check_defaults: {interval: 500ms, timeout: 400ms, rise: 1, fall: 1, retry: 0}',
    '    real_servers:',
    ...SERVERS.map(
      (s) =>
        `      - {address: ${sAddr(s)}, port: 80, check: {type: tcp, port: ${s === downServer ? 81 : 80}}}`,
    ),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-announce-'));
  const topo: Topology = await createTopology({
    hosts: ['r', 'c', ...DIRECTORS, ...SERVERS],
    addresses: false,
  });
  const children: ChildProcess[] = [];
  const sh = async (h: string, cmd: string) => (await topo.exec(h, ['sh', '-c', cmd])).stdout;
  try {
    await sh('r', 'ip addr add 198.51.100.1/24 dev eth0 && ip addr add 192.0.2.1/24 dev eth0');
    topo.sysctl('r', {
      'net.ipv4.ip_forward': 1,
      'net.ipv4.fib_multipath_hash_policy': 1,
      'net.ipv4.conf.all.send_redirects': 0,
      'net.ipv4.conf.eth0.send_redirects': 0,
    });
    const ecmp = (ds: readonly string[]) =>
      `ip route replace ${VIP}/32 ${ds.map((d) => `nexthop via ${dAddr(d)}`).join(' ')}`;
    await sh('r', ecmp(DIRECTORS));
    await sh('c', 'ip addr add 198.51.100.100/24 dev eth0 && ip route add default via 198.51.100.1');
    for (const d of DIRECTORS) {
      await sh(d, `ip addr add ${dAddr(d)}/24 dev eth0 && ip addr add ${VIP}/32 dev lo`);
      writeFileSync(join(dir, `${d}.yaml`), directorYaml(d, dir));
    }
    for (const s of SERVERS) {
      await sh(
        s,
        `ip addr add ${sAddr(s)}/24 dev eth0 && ip addr add ${VIP}/32 dev lo && ip route add default via 192.0.2.1`,
      );
      topo.sysctl(s, {
        'net.ipv4.conf.all.arp_ignore': 1,
        'net.ipv4.conf.all.arp_announce': 2,
        'net.ipv4.conf.eth0.arp_ignore': 1,
        'net.ipv4.conf.eth0.arp_announce': 2,
      });
      const srv = topo.spawn(s, [process.execPath, '-e', SERVER, s]);
      children.push(srv);
    }
    for (const d of DIRECTORS) {
      const child = topo.spawn(d, [process.execPath, MAIN_JS, 'run', '-c', join(dir, `${d}.yaml`)]);
      let log = '';
      child.stdout?.on('data', (b: Buffer) => {
        log += b.toString();
      });
      child.on('exit', () => writeFileSync(join(share, `${d}.log`), log));
      children.push(child);
    }
    const saveOf = async (d: string) =>
      (await sh(d, 'ipvsadm -Sn'))
        .split('\n')
        .filter((l) => l.trim() !== '')
        .join('\n');
    const waitAllUp = async () => {
      const end = Date.now() + 60_000;
      for (;;) {
        const saves = await Promise.all(DIRECTORS.map(saveOf));
        if (saves.every((s) => SERVERS.every((x) => new RegExp(`-r ${sAddr(x)}:80 -g -w 1`).test(s))))
          return saves;
        if (Date.now() > end) throw new Error(`real servers not all up:\n${saves.join('\n---\n')}`);
        await sleep(200);
      }
    };

    await phase('tables', async (r) => {
      const saves = await waitAllUp();
      r.info.saves = saves;
      if (new Set(saves).size !== 1) r.problems.push('the three directors have different IPVS tables');
      const order = [...saves[0]!.matchAll(/-r (\S+):80/g)].map((m) => m[1]);
      r.info.order = order;
      if (JSON.stringify(order) !== JSON.stringify(SERVERS.map(sAddr)))
        r.problems.push(`real servers not in config order: ${order.join(' ')}`);
      if (!/-s mh -b flag-1,flag-2/.test(saves[0]!) && !/-s mh -b mh-fallback,mh-port/.test(saves[0]!))
        r.problems.push(`not mh with fallback and port hashing: ${saves[0]}`);
    });

    const connectAll = async (ports = PORTS): Promise<Map<number, string>> => {
      const out = await sh('c', `${process.execPath} -e "${CLIENT.replace(/"/g, '\\"')}" ${ports.join(',')}`);
      const m = new Map<number, string>();
      for (const line of out.split('\n')) {
        const [p, v] = line.split('=');
        if (p && v) m.set(Number(p), v);
      }
      return m;
    };
    const connsPerDirector = async () => {
      const out: Record<string, number> = {};
      for (const d of DIRECTORS) {
        const stats = await sh(d, `ipvsadm -Ln --stats -t ${VIP}:80`);
        const line = stats.split('\n').find((l) => l.includes(`${VIP}:80`)) ?? '';
        out[d] = Number(line.trim().split(/\s+/)[2] ?? 0);
      }
      return out;
    };

    // IPVS folds its per-CPU counters into the totals that `--stats` prints only on the estimator's
    // 2 s tick, so a count read right after connections lags: read until two ticks agree.
    const settledConns = async () => {
      let prev = await connsPerDirector();
      for (let i = 0; i < 6; i++) {
        await sleep(2200);
        const cur = await connsPerDirector();
        if (JSON.stringify(cur) === JSON.stringify(prev)) return cur;
        prev = cur;
      }
      return prev;
    };

    let first = new Map<number, string>();
    await phase('spread', async (r) => {
      first = await connectAll();
      const byServer: Record<string, number> = {};
      for (const v of first.values()) byServer[v] = (byServer[v] ?? 0) + 1;
      const per = await settledConns();
      r.info.byServer = byServer;
      r.info.connsPerDirector = per;
      const bad = [...first.values()].filter((v) => !SERVERS.includes(v as never));
      if (bad.length) r.problems.push(`failed connections: ${bad.slice(0, 5).join(' ')} (${bad.length})`);
      if (Object.values(per).filter((n) => n > 0).length < 3)
        r.problems.push(`flows did not reach every director: ${JSON.stringify(per)}`);
      if (Object.keys(byServer).length < 3)
        r.problems.push(`flows did not reach every real server: ${JSON.stringify(byServer)}`);
    });

    await phase('leave', async (r) => {
      await sh('r', ecmp(['d1', 'd3']));
      await sleep(300);
      const before = await settledConns();
      const second = await connectAll();
      const after = await settledConns();
      let moved = 0;
      const changed: string[] = [];
      for (const [p, v] of first) {
        const w = second.get(p);
        if (w !== v) changed.push(`${p}: ${v} -> ${w}`);
        else moved++;
      }
      r.info.samePort = moved;
      r.info.changed = changed;
      r.info.d2New = (after.d2 ?? 0) - (before.d2 ?? 0);
      if (changed.length)
        r.problems.push(`flows changed real server when d2 left: ${changed.slice(0, 10).join(', ')}`);
      if ((after.d2 ?? 0) !== (before.d2 ?? 0)) r.problems.push('d2 still received flows after leaving');
    });

    await phase('drain', async (r) => {
      // s2's check now probes a closed port on every director: it drains at weight 0, in place
      for (const d of DIRECTORS) {
        writeFileSync(join(dir, `${d}.yaml`), directorYaml(d, dir, 's2'));
        await sh(d, `${process.execPath} ${MAIN_JS} reload --socket ${join(dir, `${d}.sock`)}`);
      }
      const end = Date.now() + 20_000;
      let saves: string[] = [];
      for (;;) {
        saves = await Promise.all(DIRECTORS.map(saveOf));
        if (saves.every((s) => new RegExp(`-r ${sAddr('s2')}:80 -g -w 0`).test(s))) break;
        if (Date.now() > end) {
          r.problems.push(`s2 not drained at weight 0 everywhere:\n${saves.join('\n---\n')}`);
          return;
        }
        await sleep(200);
      }
      const order = [...saves[0]!.matchAll(/-r (\S+):80/g)].map((m) => m[1]);
      r.info.order = order;
      if (JSON.stringify(order) !== JSON.stringify(SERVERS.map(sAddr)))
        r.problems.push(`draining moved the real servers' order: ${order.join(' ')}`);
      // fresh client ports: a port used before still has IPVS connection entries (TIME_WAIT),
      // which IPVS reuses for the same client port whatever the weight
      const fresh = PORTS.map((p) => p + 1000);
      const third = await connectAll(fresh);
      const counts: Record<string, number> = {};
      for (const v of third.values()) counts[v] = (counts[v] ?? 0) + 1;
      r.info.freshFlows = counts;
      if ((counts.s2 ?? 0) > 0) r.problems.push(`${counts.s2} new flows went to the drained s2`);
      const ok = (counts.s1 ?? 0) + (counts.s3 ?? 0);
      if (ok !== fresh.length) r.problems.push(`only ${ok} of ${fresh.length} new flows were served`);
    });
  } finally {
    const c: Phase = { problems: [], info: {} };
    results.cleanup = c;
    for (const ch of children) {
      try {
        await topo.kill(ch, 3000);
      } catch (e) {
        c.problems.push(String(e));
      }
    }
    await topo.cleanup();
    rmSync(dir, { recursive: true, force: true });
    writeFileSync(join(share, 'results.json'), JSON.stringify(results, null, 1));
  }
}

main().catch((e: unknown) => {
  results.main = { problems: [String(e instanceof Error ? e.stack : e)], info: {} };
  writeFileSync(join(share, 'results.json'), JSON.stringify(results, null, 1));
  process.exitCode = 1;
});
