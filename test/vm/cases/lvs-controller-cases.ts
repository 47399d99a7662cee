// Runs INSIDE the real-IPVS environment (guest or a fresh host netns), started by
// test/vm/lvs-controller.test.ts through runNodeJob. This process is the director: it
// runs LvsController with real HTTP checks against real servers in namespaces, while a
// client namespace sends requests through the VIP. Writes $VM_SHARE/results.json
// ({phase: {problems, info}}); the assertions happen on the host.
//
//   client ns (192.0.2.2) ── d0 192.0.2.1 + VIP 192.0.2.10 ── director (this process)
//   real1 ns 198.51.100.2/28   ── d1 198.51.100.1/28
//   real2 ns 198.51.100.18/28  ── d2 198.51.100.17/28
//   sorry ns 198.51.100.34/28  ── d3 198.51.100.33/28
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfigText } from '../../../src/config/index.js';
import { createIpvsClient } from '../../../src/effects/ipvs-client.js';
import { fileOwnershipStore } from '../../../src/effects/ownership-file.js';
import { createScriptRunner } from '../../../src/effects/script-runner.js';
import { createLogger } from '../../../src/log.js';
import { LvsController } from '../../../src/lvs/controller.js';

type Phase = { problems: string[]; info: Record<string, unknown> };
const results: Record<string, Phase> = {};
const share = process.env.VM_SHARE ?? '/tmp';
const p = `lc${process.pid % 100000}`; // per-run prefix (names ≤ 15 chars)
const VIP = '192.0.2.10';
const REAL1 = '198.51.100.2';
const REAL2 = '198.51.100.18';
const SORRY = '198.51.100.34';
// interval 1 s, fall 2, rise 2, timeout 1 s (the brief's numbers)
const INTERVAL_MS = 1000;
const FALL = 2;
const RISE = 2;
const TIMEOUT_MS = 1000;
// UML is slow and CI has 2 shared cores: margins are generous, figures are recorded
const MARGIN_MS = 4000;

const sh = (cmd: string) =>
  execFileSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const X = (ns: string, cmd: string) => `ip netns exec ${p}${ns} ${cmd}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// An HTTP server (for checks and the client) that also echoes lines on a connection that
// does not start with "GET " (the long-lived connection across the controller restart).
const SERVER = `const net=require('net');const name=process.argv[1];
net.createServer(s=>{let buf='',mode=null;s.setEncoding('utf8');s.on('error',()=>{});
s.on('data',d=>{buf+=d;if(mode===null){if(buf.length<4)return;mode=buf.startsWith('GET ')?'http':'echo';}
if(mode==='http'){if(buf.includes('\\r\\n\\r\\n')){const b=name+'\\n';mode='done';
s.end('HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: '+b.length+'\\r\\nConnection: close\\r\\n\\r\\n'+b);}}
else if(mode==='echo'){let i;while((i=buf.indexOf('\\n'))>=0){const l=buf.slice(0,i);buf=buf.slice(i+1);s.write(name+':'+l+'\\n');}}});})
.listen(80,'0.0.0.0',()=>console.log('listening'));`;

// Sequential GETs through the VIP, one JSON line per request (start/end ms, ok, body/err).
const LOAD = `const http=require('http');let stop=false;process.on('SIGTERM',()=>{stop=true;});
const one=()=>new Promise(r=>{const s=Date.now();const done=(o)=>{console.log(JSON.stringify({s,e:Date.now(),...o}));r();};
const q=http.get({host:'${VIP}',port:80,path:'/',agent:false,timeout:2000},res=>{let b='';res.setEncoding('utf8');
res.on('data',d=>b+=d);res.on('end',()=>done({ok:res.statusCode===200,body:b.trim()}));res.on('error',e=>done({ok:false,err:e.message}));});
q.on('timeout',()=>q.destroy(new Error('timeout')));q.on('error',e=>done({ok:false,err:e.message}));});
(async()=>{while(!stop){await one();await new Promise(r=>setTimeout(r,20));}process.exit(0);})();`;

// One long-lived TCP connection through the VIP: stdin lines go out, replies come back.
const PERSISTENT = `const s=require('net').connect(80,'${VIP}');s.setEncoding('utf8');
s.on('connect',()=>console.log('connected'));s.on('data',d=>process.stdout.write(d));
s.on('error',e=>console.log('error '+e.message));s.on('close',()=>console.log('closed'));
process.stdin.setEncoding('utf8');process.stdin.on('data',d=>s.write(d));`;

const children = new Set<ChildProcessWithoutNullStreams>();

function spawnIn(ns: string, code: string, arg = ''): ChildProcessWithoutNullStreams {
  // `ip netns exec` execs node: the PID is node's
  const c = spawn('ip', ['netns', 'exec', `${p}${ns}`, 'node', '-e', code, ...(arg ? [arg] : [])], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(c);
  c.on('exit', () => children.delete(c));
  c.stdout.setEncoding('utf8');
  return c;
}

/** Resolves with the first stdout text matching `re` (accumulated), or rejects after ms. */
function waitOutput(c: ChildProcessWithoutNullStreams, re: RegExp, ms: number, from = 0): Promise<string> {
  return new Promise((ok, fail) => {
    let acc = '';
    const onData = (d: string) => {
      acc += d;
      const m = acc.slice(from).match(re);
      if (m) {
        cleanup();
        ok(m[0]);
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      fail(new Error(`no ${re} within ${ms} ms (got ${JSON.stringify(acc.slice(-200))})`));
    }, ms);
    const cleanup = () => {
      clearTimeout(timer);
      c.stdout.off('data', onData);
    };
    c.stdout.on('data', onData);
  });
}

async function startServer(ns: string, name: string): Promise<ChildProcessWithoutNullStreams> {
  const c = spawnIn(ns, SERVER, name);
  await waitOutput(c, /listening/, 20_000);
  return c;
}

function kill(c: ChildProcessWithoutNullStreams | undefined): void {
  if (c?.pid === undefined || c.exitCode !== null) return;
  try {
    process.kill(c.pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** Real servers of the VIP service in `ipvsadm -Ln`: 'address:port weight'. */
function ipvsDests(): string[] {
  const out = sh(`ipvsadm -Ln -t ${VIP}:80 2>/dev/null || true`);
  const dests: string[] = [];
  for (const line of out.split('\n')) {
    const m = line.match(/->\s+(\d+\.\d+\.\d+\.\d+:\d+)\s+\w+\s+(\d+)/);
    if (m) dests.push(`${m[1]} ${m[2]}`);
  }
  return dests.sort();
}
const has = (addr: string) => ipvsDests().some((d) => d.startsWith(`${addr}:80 `) && !d.endsWith(' 0'));

/** Polls every 50 ms until cond() holds; returns the ms it took, or throws after limitMs. */
async function until(what: string, cond: () => boolean, limitMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (cond()) return Date.now() - t0;
    if (Date.now() - t0 > limitMs)
      throw new Error(`${what}: not within ${limitMs} ms (ipvsadm: ${ipvsDests().join(', ')})`);
    await sleep(50);
  }
}

function setupTopology(): void {
  const cmds = [
    ...['c', 'r1', 'r2', 's'].map((n) => `ip netns add ${p}${n}`),
    `ip link add ${p}d0 type veth peer name ${p}c0 && ip link set ${p}c0 netns ${p}c`,
    `ip link add ${p}d1 type veth peer name ${p}e1 && ip link set ${p}e1 netns ${p}r1`,
    `ip link add ${p}d2 type veth peer name ${p}e2 && ip link set ${p}e2 netns ${p}r2`,
    `ip link add ${p}d3 type veth peer name ${p}e3 && ip link set ${p}e3 netns ${p}s`,
    `ip addr add 192.0.2.1/24 dev ${p}d0 && ip addr add ${VIP}/32 dev ${p}d0`,
    `ip addr add 198.51.100.1/28 dev ${p}d1 && ip addr add 198.51.100.17/28 dev ${p}d2`,
    `ip addr add 198.51.100.33/28 dev ${p}d3`,
    ...[0, 1, 2, 3].map((i) => `ip link set ${p}d${i} up`),
    X('c', `ip addr add 192.0.2.2/24 dev ${p}c0`),
    X('r1', `ip addr add ${REAL1}/28 dev ${p}e1`),
    X('r2', `ip addr add ${REAL2}/28 dev ${p}e2`),
    X('s', `ip addr add ${SORRY}/28 dev ${p}e3`),
    X('c', `ip link set ${p}c0 up`),
    X('r1', `ip link set ${p}e1 up`),
    X('r2', `ip link set ${p}e2 up`),
    X('s', `ip link set ${p}e3 up`),
    ...['c', 'r1', 'r2', 's'].map((n) => X(n, 'ip link set lo up')),
    X('c', 'ip route add default via 192.0.2.1'),
    X('r1', 'ip route add default via 198.51.100.1'),
    X('r2', 'ip route add default via 198.51.100.17'),
    X('s', 'ip route add default via 198.51.100.33'),
    'sysctl -qw net.ipv4.ip_forward=1',
  ];
  sh(cmds.join(' && '));
}

function teardown(): void {
  for (const c of [...children]) kill(c);
  sh(
    `${['c', 'r1', 'r2', 's'].map((n) => `ip netns del ${p}${n}`).join('; ')}; ${[0, 1, 2, 3].map((i) => `ip link del ${p}d${i}`).join('; ')}; true`,
  );
}

const CONFIG = `
global: {router_id: director, state_file: ${join(share, 'ipvs-owned.json')}}
vrrp_instances:
  - {name: VI_1, interface: ${p}d0, vrid: 51, priority: 100, virtual_ips: [${VIP}/32]}
lvs_sync_daemon: {interface: ${p}d0, instance: VI_1, sync_id: 51}
lvs_timeouts: {tcp: 901, tcp_fin: 121, udp: 301}
virtual_servers:
  - address: ${VIP}
    port: 80
    protocol: tcp
    scheduler: rr
    forwarding: nat
    sorry_server: {address: ${SORRY}, port: 80}
    check_defaults: {interval: ${INTERVAL_MS / 1000}s, timeout: ${TIMEOUT_MS / 1000}s, rise: ${RISE}, fall: ${FALL}, retry: 0}
    real_servers:
      - {address: ${REAL1}, port: 80, check: {type: http, path: /}}
      - {address: ${REAL2}, port: 80, check: {type: http, path: /}}
`;

function controller(logName: string): LvsController {
  const parsed = parseConfigText(CONFIG, 'vm.yaml');
  if (!parsed.ok) throw new Error(`config: ${JSON.stringify(parsed.errors)}`);
  const log = createLogger({
    level: 'debug',
    destination: pino.destination({ dest: join(share, logName), sync: true }),
  });
  return new LvsController(parsed.config, log, {
    ipvs: createIpvsClient,
    runner: createScriptRunner(),
    ownership: fileOwnershipStore,
  });
}

async function phase(name: string, fn: (r: Phase) => Promise<void>): Promise<void> {
  const r: Phase = { problems: [], info: {} };
  results[name] = r;
  const t0 = Date.now();
  try {
    await fn(r);
  } finally {
    r.info.ms = Date.now() - t0;
    console.log(
      `${r.problems.length ? 'FAIL' : 'ok  '} ${name} ${r.info.ms} ms ${r.problems.slice(0, 3).join(' | ')}`,
    );
  }
}

interface Req {
  s: number;
  e: number;
  ok: boolean;
  body?: string;
  err?: string;
}

async function main(): Promise<void> {
  setupTopology();
  const servers: Record<string, ChildProcessWithoutNullStreams | undefined> = {};
  servers.real1 = await startServer('r1', 'real1');
  servers.real2 = await startServer('r2', 'real2');
  servers.sorry = await startServer('s', 'sorry');
  let a: LvsController | undefined = controller('controller-a.log');
  let load: ChildProcessWithoutNullStreams | undefined;
  let loadOut = '';
  try {
    await phase('start', async (r) => {
      const t0 = Date.now();
      await a!.start();
      r.info.firstPassMs = Date.now() - t0;
      r.info.bothPresentMs =
        (await until('both real servers in IPVS', () => has(REAL1) && has(REAL2), 15_000)) +
        (r.info.firstPassMs as number);
      r.info.ipvsadm = ipvsDests();
      const timeouts = sh('ipvsadm -L --timeout');
      r.info.timeouts = timeouts.trim();
      if (!timeouts.includes('901 121 301')) r.problems.push(`lvs_timeouts not applied: ${timeouts.trim()}`);
      const daemon = sh('ipvsadm -L --daemon').trim();
      r.info.daemonAtStart = daemon;
      if (!/backup sync daemon/i.test(daemon) || /master sync daemon/i.test(daemon))
        r.problems.push(`sync daemon at start should be BACKUP only: ${daemon}`);
      a!.instanceStateChanged('VI_1', 'master');
      await until(
        'sync daemon master',
        () => /master sync daemon/i.test(sh('ipvsadm -L --daemon')),
        5000,
      ).catch((e: Error) => r.problems.push(e.message));
      const daemon2 = sh('ipvsadm -L --daemon').trim();
      r.info.daemonAsMaster = daemon2;
      if (/backup sync daemon/i.test(daemon2))
        r.problems.push(`BACKUP sync daemon still running as master: ${daemon2}`);
    });

    load = spawnIn('c', LOAD);
    load.stdout.on('data', (d: string) => {
      loadOut += d;
    });
    await sleep(1500);

    let removedAt = 0;
    await phase('failover', async (r) => {
      const killedAt = Date.now();
      kill(servers.real1);
      r.info.removalMs = await until(
        `${REAL1} removed`,
        () => !has(REAL1),
        FALL * INTERVAL_MS + TIMEOUT_MS + MARGIN_MS,
      );
      removedAt = Date.now();
      r.info.removalBoundMs = FALL * INTERVAL_MS + TIMEOUT_MS + MARGIN_MS;
      r.info.killedToRemovedMs = removedAt - killedAt;
      if (!has(REAL2)) r.problems.push(`${REAL2} left IPVS too`);
      await sleep(3000); // load runs against real2 only
      servers.real1 = await startServer('r1', 'real1');
      r.info.restoreMs = await until(
        `${REAL1} back`,
        () => has(REAL1),
        RISE * INTERVAL_MS + TIMEOUT_MS + MARGIN_MS,
      );
      r.info.restoreBoundMs = RISE * INTERVAL_MS + TIMEOUT_MS + MARGIN_MS;
      await sleep(1500);
      const reqs = loadOut
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Req);
      const after = reqs.filter((q) => q.s > removedAt);
      const failedAfter = after.filter((q) => !q.ok);
      r.info.requests = reqs.length;
      r.info.requestsAfterRemoval = after.length;
      r.info.failedBeforeRemoval = reqs.filter((q) => q.s <= removedAt && !q.ok).length;
      r.info.failedAfterRemoval = failedAfter.length;
      r.info.answersAfterRemoval = [...new Set(after.map((q) => q.body ?? q.err))];
      if (after.length < 20) r.problems.push(`only ${after.length} requests after the removal`);
      if (failedAfter.length > 0)
        r.problems.push(
          `${failedAfter.length} requests failed after the removal: ${JSON.stringify(failedAfter.slice(0, 3))}`,
        );
      if (!after.some((q) => q.body === 'real1'))
        r.problems.push('real1 never answered again after its restart');
    });
    kill(load);

    await phase('sorry', async (r) => {
      kill(servers.real1);
      kill(servers.real2);
      r.info.sorryInMs = await until(
        'sorry server in, reals out',
        () => has(SORRY) && !has(REAL1) && !has(REAL2),
        FALL * INTERVAL_MS + TIMEOUT_MS + MARGIN_MS,
      );
      r.info.ipvsadm = ipvsDests();
      const body = sh(
        X(
          'c',
          `node -e "require('http').get({host:'${VIP}',port:80,agent:false},s=>{let b='';s.on('data',d=>b+=d);s.on('end',()=>console.log(b.trim()))})"`,
        ),
      ).trim();
      r.info.answer = body;
      if (body !== 'sorry') r.problems.push(`client got ${JSON.stringify(body)} instead of the sorry server`);
      // ipvsadm may show the change a moment before the pass that made it has returned
      await until(
        'snapshot shows the sorry server active',
        () => a!.snapshot().virtualServers[0]?.sorryActive === true,
        5000,
      ).catch((e: Error) => r.problems.push(e.message));
      const snap = a!.snapshot().virtualServers[0];
      if (!snap?.sorryActive || snap.quorumUp)
        r.problems.push(`snapshot: sorryActive ${snap?.sorryActive}, quorumUp ${snap?.quorumUp}`);
      servers.real1 = await startServer('r1', 'real1');
      servers.real2 = await startServer('r2', 'real2');
      r.info.sorryOutMs = await until(
        'reals back, sorry out',
        () => has(REAL1) && has(REAL2) && !has(SORRY),
        RISE * INTERVAL_MS + TIMEOUT_MS + MARGIN_MS + 3000,
      );
    });

    await phase('restart', async (r) => {
      const conn = spawnIn('c', PERSISTENT);
      await waitOutput(conn, /connected/, 10_000);
      conn.stdin.write('one\n');
      const first = await waitOutput(conn, /(real1|real2):one/, 5000);
      r.info.firstReply = first;
      const before = sh('ipvsadm -Sn');
      a!.stop();
      a = undefined;
      const stopped = sh('ipvsadm -Sn');
      await sleep(3000); // no controller: nothing may change
      const between = sh('ipvsadm -Sn');
      const b = controller('controller-b.log');
      try {
        await b.start();
        const afterStart = sh('ipvsadm -Sn');
        const snap = b.snapshot();
        r.info.secondFirstPassOps = snap.ipvs?.lastReconcileOps;
        if (snap.ipvs?.lastReconcileOps !== 0)
          r.problems.push(`new controller's first pass applied ${snap.ipvs?.lastReconcileOps} ops`);
        await sleep(RISE * INTERVAL_MS + 2000); // checks pass; still nothing to change
        const settled = sh('ipvsadm -Sn');
        for (const [what, t] of [
          ['after stop', stopped],
          ['while stopped', between],
          ['after the new start', afterStart],
          ['after the new checks', settled],
        ] as const) {
          if (t !== before) r.problems.push(`ipvsadm -Sn changed ${what}:\n${before}\n---\n${t}`);
        }
        r.info.table = before.trim().split('\n');
        conn.stdin.write('two\n');
        const second = await waitOutput(conn, /(real1|real2):two/, 5000).catch((e: Error) => {
          r.problems.push(`the long-lived connection broke: ${e.message}`);
          return '';
        });
        r.info.secondReply = second;
        if (second && second.split(':')[0] !== first.split(':')[0])
          r.problems.push(`connection moved from ${first} to ${second}`);
        const daemon = sh('ipvsadm -L --daemon').trim();
        r.info.daemonAfterRestart = daemon;
      } finally {
        b.stop();
        kill(conn);
      }
    });
  } finally {
    a?.stop();
    kill(load);
    teardown();
  }
}

try {
  await main();
} catch (e) {
  results.main = { problems: [`threw: ${(e as Error).stack ?? e}`], info: {} };
  console.log(`FAIL main ${(e as Error).message}`);
} finally {
  writeFileSync(join(share, 'results.json'), JSON.stringify(results, null, 1));
}
// timers of stopped controllers are gone; pino's sync destinations need no flush
process.exit(0);
