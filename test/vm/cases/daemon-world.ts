// The world of test/vm/cases/daemon-cases.ts, run INSIDE the real-IPVS environment:
// two LVS-NAT directors running the real `vrrpd run` binary, three real servers (two
// plus a sorry server) and a client, all on one bridge (src/lab/netns.ts), in two
// subnets so that the real servers' replies go back through the director:
//
//   c   192.0.2.100/24                           (client: VIP on-link, no other route)
//   d1  192.0.2.11/24 198.51.100.11/24  VI_1 192.0.2.50 + VI_GW 198.51.100.1 (prio 150)
//   d2  192.0.2.12/24 198.51.100.12/24  same instances, prio 100
//   r1  198.51.100.2/24, r2 198.51.100.3/24, s 198.51.100.4/24 (sorry): default via 198.51.100.1
//
// Each director has its own IPVS table (IPVS is per network namespace); only the VRRP
// master holds the VIP, so the client's traffic goes through the master's table.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { request } from '../../../src/control/client.js';
import { isSnapshot, type Snapshot } from '../../../src/control/snapshot.js';
import { createTopology, type Topology } from '../../../src/lab/netns.js';
import { REPO } from '../guest.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const VIP = '192.0.2.50';
export const GW = '198.51.100.1';
export const REAL1 = '198.51.100.2';
export const REAL2 = '198.51.100.3';
export const SORRY = '198.51.100.4';
export const CLIENT = '192.0.2.100';
export const MAIN_JS = join(REPO, 'dist', 'src', 'cli', 'main.js');
export const METRICS = '127.0.0.1:9650';
// interval 1 s, timeout 1 s, fall 2, rise 2 (the lvs-controller vm test's numbers)
export const CHECK = { intervalS: 1, timeoutS: 1, fall: 2, rise: 2 };

export type DirectorName = 'd1' | 'd2';

/** What a reload may vary: all of it unrelated to VI_1 and to the port-80 service. */
export interface Knobs {
  comment: number;
  scriptIntervalS: number;
  viXPriority: number;
  weight8080: number;
}
export const KNOBS0: Knobs = { comment: 0, scriptIntervalS: 1, viXPriority: 150, weight8080: 1 };

export function directorYaml(name: DirectorName, socket: string, k: Knobs = KNOBS0): string {
  const prio = name === 'd1' ? 150 : 100;
  const inst = (n: string, vrid: number, p: number, vip: string, extra: string[] = []) => [
    `  - name: ${n}`,
    '    interface: eth0',
    `    vrid: ${vrid}`,
    '    version: 3',
    `    priority: ${p}`,
    '    advert_interval: 100ms',
    '    preempt: true',
    `    virtual_ips: [${vip}]`,
    '    garp: {repeat: 2, interval: 0s, delay: 0s, refresh: 0s}',
    ...extra,
  ];
  return [
    `# ${name}: written by test/vm/cases/daemon-cases.ts (edit ${k.comment})`,
    'global:',
    `  router_id: ${name}`,
    `  control_socket: ${socket}`,
    // beside the socket: never the host's /var/lib/vrrpd (a host-netns run shares its files)
    `  state_file: ${join(dirname(socket), `${name}-ipvs-owned.json`)}`,
    ...(name === 'd1' ? [`  metrics_listen: ${METRICS}`] : []),
    '  log_level: info',
    'vrrp_scripts:',
    '  chk_true:',
    '    command: [/bin/true]',
    `    interval: ${k.scriptIntervalS}s`,
    '    timeout: 1s',
    // failing would put VI_1 (150 - 60) below the backup (100): a reset that fails it shows
    '    weight: -60',
    '    rise: 1',
    '    fall: 1',
    'vrrp_instances:',
    ...inst('VI_1', 51, prio, `${VIP}/24`, ['    track_scripts: [chk_true]']),
    // the real servers' default gateway: NAT replies must pass the director holding the VIP
    ...inst('VI_GW', 52, prio, `${GW}/24`),
    ...inst('VI_X', 60, name === 'd1' ? k.viXPriority : 100, '203.0.113.50/24'),
    'vrrp_sync_groups:',
    '  - {name: LB, instances: [VI_1, VI_GW]}',
    'virtual_servers:',
    `  - address: ${VIP}`,
    '    port: 80',
    '    protocol: tcp',
    '    scheduler: rr',
    '    forwarding: nat',
    `    sorry_server: {address: ${SORRY}, port: 80}`,
    `    check_defaults: {interval: ${CHECK.intervalS}s, timeout: ${CHECK.timeoutS}s, rise: ${CHECK.rise}, fall: ${CHECK.fall}, retry: 0}`,
    '    real_servers:',
    `      - {address: ${REAL1}, port: 80, check: {type: http, path: /}}`,
    `      - {address: ${REAL2}, port: 80, check: {type: http, path: /}}`,
    `  - address: ${VIP}`,
    '    port: 8080',
    '    protocol: tcp',
    '    scheduler: wrr',
    '    forwarding: nat',
    '    real_servers:',
    `      - {address: ${REAL1}, port: 8080, weight: ${k.weight8080}}`,
    `      - {address: ${REAL2}, port: 8080, weight: 1}`,
    '',
  ].join('\n');
}

// HTTP for checks and requests; a connection not starting with "GET " echoes lines as
// "<name>:<line>" (the long-lived connections).
export const SERVER = `const net=require('net');const name=process.argv[1];
net.createServer(s=>{let buf='',mode=null;s.setEncoding('utf8');s.setNoDelay(true);s.on('error',()=>{});
s.on('data',d=>{buf+=d;if(mode===null){if(buf.length<4)return;mode=buf.startsWith('GET ')?'http':'echo';}
if(mode==='http'){if(buf.includes('\\r\\n\\r\\n')){const b=name+'\\n';mode='done';
s.end('HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: '+b.length+'\\r\\nConnection: close\\r\\n\\r\\n'+b);}}
else if(mode==='echo'){let i;while((i=buf.indexOf('\\n'))>=0){const l=buf.slice(0,i);buf=buf.slice(i+1);s.write(name+':'+l+'\\n');}}});})
.listen(80,'0.0.0.0',()=>console.log('listening'));`;

// Sequential GETs through the VIP, one JSON line per request (start/end ms, ok, body/err).
export const LOAD = `const http=require('http');let stop=false;process.on('SIGTERM',()=>{stop=true;});
const one=()=>new Promise(r=>{const s=Date.now();const done=(o)=>{console.log(JSON.stringify({s,e:Date.now(),...o}));r();};
const q=http.get({host:'${VIP}',port:80,path:'/',agent:false,timeout:2000},res=>{let b='';res.setEncoding('utf8');
res.on('data',d=>b+=d);res.on('end',()=>done({ok:res.statusCode===200,body:b.trim()}));res.on('error',e=>done({ok:false,err:e.message}));});
q.on('timeout',()=>q.destroy(new Error('timeout')));q.on('error',e=>done({ok:false,err:e.message}));});
(async()=>{while(!stop){await one();await new Promise(r=>setTimeout(r,50));}process.exit(0);})();`;

// One TCP connection through the VIP sending a numbered line every 100 ms and checking
// each echo. stdin "report" prints the counters; "reset" restarts the RTT maximum.
export const CONN = `const s=require('net').connect(80,'${VIP}');s.setEncoding('utf8');s.setNoDelay(true);
let seq=0,recv=0,backend=null,maxRtt=0,err=null,closed=false,bad=0,buf='';const sentAt=new Map();
s.on('connect',()=>{console.log('connected');setInterval(()=>{if(closed)return;seq++;sentAt.set(seq,Date.now());s.write(seq+'\\n');},100);});
s.on('data',d=>{buf+=d;let i;while((i=buf.indexOf('\\n'))>=0){const l=buf.slice(0,i);buf=buf.slice(i+1);
const m=l.match(/^(\\w+):(\\d+)$/);if(!m){bad++;continue;}if(backend===null)backend=m[1];else if(backend!==m[1])bad++;
const t=sentAt.get(+m[2]);if(t===undefined){bad++;continue;}maxRtt=Math.max(maxRtt,Date.now()-t);sentAt.delete(+m[2]);recv++;}});
s.on('error',e=>{err=e.message;console.log('error '+e.message);});s.on('close',()=>{closed=true;console.log('closed');});
process.stdin.setEncoding('utf8');process.stdin.on('data',d=>{if(d.includes('reset'))maxRtt=0;
if(d.includes('report')){let oldest=0;for(const t of sentAt.values())oldest=Math.max(oldest,Date.now()-t);
console.log('REPORT '+JSON.stringify({sent:seq,recv,outstanding:sentAt.size,oldestOutstandingMs:oldest,maxRttMs:maxRtt,backend,err,closed,bad}));}});`;

export interface ConnReport {
  sent: number;
  recv: number;
  outstanding: number;
  oldestOutstandingMs: number;
  maxRttMs: number;
  backend: string | null;
  err: string | null;
  closed: boolean;
  bad: number;
}

/** Resolves with the first stdout text matching re (from now on), or rejects after ms. */
export function waitOutput(c: ChildProcess, re: RegExp, ms: number): Promise<string> {
  return new Promise((ok, fail) => {
    let acc = '';
    const onData = (d: Buffer | string) => {
      acc += d.toString();
      const m = acc.match(re);
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
      c.stdout?.off('data', onData);
    };
    c.stdout?.on('data', onData);
  });
}

export async function connReport(c: ChildProcess): Promise<ConnReport> {
  const p = waitOutput(c, /REPORT \{[^\n]*\}/, 5000);
  c.stdin?.write('report\n');
  return JSON.parse((await p).slice('REPORT '.length)) as ConnReport;
}

/**
 * One long-lived `sh` that runs the job's commands. Why not execFile: in the
 * user-mode-linux guest a fork of this node process (hundreds of MB mapped) is slow,
 * kernel-side work that held up every other process, the daemons' real-time VRRP
 * threads included: polling ipvsadm every 50 ms that way delayed adverts by 100-350 ms.
 * A fork of a small shell is cheap.
 */
export class Shell {
  private readonly proc = spawn('sh', [], { stdio: ['pipe', 'pipe', 'inherit'] });
  private chain: Promise<unknown> = Promise.resolve();
  private buf = '';
  private seq = 0;
  private waiter: (() => void) | null = null;

  constructor() {
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (d: string) => {
      this.buf += d;
      this.waiter?.();
    });
  }

  /** Runs cmd (stderr kept apart unless cmd redirects it); resolves with exit code and stdout. */
  run(cmd: string): Promise<{ code: number; out: string }> {
    const next = this.chain.then(() => this.one(cmd));
    this.chain = next.catch(() => {});
    return next;
  }

  private one(cmd: string): Promise<{ code: number; out: string }> {
    const id = ++this.seq;
    const marker = new RegExp(`\\n__done_${id}__ (\\d+)\\n`);
    return new Promise((ok) => {
      const check = () => {
        const m = marker.exec(this.buf);
        if (!m) return;
        const out = this.buf.slice(0, m.index);
        this.buf = this.buf.slice(m.index + m[0].length);
        this.waiter = null;
        ok({ code: Number(m[1]), out });
      };
      this.waiter = check;
      this.proc.stdin.write(`{ ${cmd}\n} </dev/null 2>/dev/null; printf '\\n__done_${id}__ %d\\n' $?\n`);
      check();
    });
  }

  close(): void {
    this.proc.stdin.end();
  }
}

export class World {
  readonly shell = new Shell();
  readonly logs: Record<string, string> = {};
  readonly children: Partial<Record<DirectorName, ChildProcess>> = {};
  private readonly servers: Record<string, ChildProcess | undefined> = {};

  private constructor(
    readonly topo: Topology,
    readonly dir: string,
    readonly share: string,
  ) {}

  static async create(prefix: string, dir: string, share: string): Promise<World> {
    const topo = await createTopology({
      prefix,
      hosts: ['d1', 'd2', 'r1', 'r2', 's', 'c'],
      addresses: false,
    });
    const w = new World(topo, dir, share);
    try {
      await w.address();
    } catch (e) {
      await topo.cleanup();
      throw e;
    }
    return w;
  }

  private async address(): Promise<void> {
    const ip = (h: string, args: string) => this.topo.exec(h, ['sh', '-c', args]);
    const noRedirects =
      'sysctl -qw net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0 net.ipv4.conf.all.accept_redirects=0';
    for (const [d, n] of [
      ['d1', 11],
      ['d2', 12],
    ] as const) {
      await ip(
        d,
        `ip addr add 192.0.2.${n}/24 dev eth0 && ip addr add 198.51.100.${n}/24 dev eth0 && sysctl -qw net.ipv4.ip_forward=1 && ${noRedirects}`,
      );
    }
    for (const [h, a] of [
      ['r1', REAL1],
      ['r2', REAL2],
      ['s', SORRY],
    ] as const) {
      await ip(h, `ip addr add ${a}/24 dev eth0 && ip route add default via ${GW} && ${noRedirects}`);
    }
    await ip('c', `ip addr add ${CLIENT}/24 dev eth0 && ${noRedirects}`);
  }

  ns(host: string): string {
    return this.topo.host(host).ns;
  }

  /** Runs a command inside the host's namespace; throws on a non-zero exit. */
  async sh(host: string, cmd: string): Promise<string> {
    const r = await this.shell.run(`ip netns exec ${this.ns(host)} ${cmd}`);
    if (r.code !== 0) throw new Error(`[${host}] ${cmd}: exit ${r.code}`);
    return r.out;
  }

  ipvsSave(d: DirectorName = 'd1'): Promise<string> {
    return this.sh(d, 'ipvsadm -Sn');
  }

  /** Real servers of VIP:80 in `ipvsadm -Ln` of the director: 'address:port weight'. */
  async dests(d: DirectorName = 'd1'): Promise<string[]> {
    const out = (await this.shell.run(`ip netns exec ${this.ns(d)} ipvsadm -Ln -t ${VIP}:80`)).out;
    const found: string[] = [];
    for (const line of out.split('\n')) {
      const m = line.match(/->\s+(\d+\.\d+\.\d+\.\d+:\d+)\s+\w+\s+(\d+)/);
      if (m) found.push(`${m[1]} ${m[2]}`);
    }
    return found.sort();
  }

  /** In the table with a non-zero weight. */
  async serving(addr: string, d: DirectorName = 'd1'): Promise<boolean> {
    return (await this.dests(d)).some((x) => x.startsWith(`${addr}:80 `) && !x.endsWith(' 0'));
  }

  spawnNode(host: string, code: string, arg?: string): ChildProcess {
    const c = this.topo.spawn(host, [process.execPath, '-e', code, ...(arg ? [arg] : [])]);
    c.stdout?.setEncoding('utf8');
    return c;
  }

  async startServer(host: 'r1' | 'r2' | 's'): Promise<void> {
    const name = { r1: 'real1', r2: 'real2', s: 'sorry' }[host];
    const c = this.spawnNode(host, SERVER, name);
    this.servers[host] = c;
    await waitOutput(c, /listening/, 20_000);
  }

  async stopServer(host: 'r1' | 'r2' | 's'): Promise<void> {
    const c = this.servers[host];
    this.servers[host] = undefined;
    if (c) await this.topo.kill(c, 0); // SIGTERM, SIGKILL at once: the server just vanishes
  }

  configFile(d: DirectorName): string {
    return join(this.dir, `${d}.yaml`);
  }

  socket(d: DirectorName): string {
    return join(this.dir, `${d}.sock`);
  }

  /** Starts `vrrpd run` in the director's namespace; resolves when its socket answers. */
  async startDaemon(d: DirectorName, logName: string): Promise<void> {
    const logFile = join(this.share, logName);
    this.logs[d] = logFile;
    const fd = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      child = this.topo.spawn(d, [process.execPath, MAIN_JS, 'run', '-c', this.configFile(d)], {
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    this.children[d] = child;
    let exited: string | null = null;
    child.once('exit', (code, sig) => {
      exited = String(code ?? sig);
    });
    const t0 = Date.now();
    while (Date.now() - t0 < 30_000) {
      if (exited !== null) throw new Error(`${d}: vrrpd exited (${exited}) at startup:\n${this.logTail(d)}`);
      if (await this.status(d)) return;
      await sleep(50);
    }
    throw new Error(`${d}: vrrpd did not answer within 30 s:\n${this.logTail(d)}`);
  }

  /** Signals the daemon we started (by PID) and waits for its exit. */
  async signalDaemon(d: DirectorName, sig: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const c = this.children[d];
    this.children[d] = undefined;
    if (!c?.pid || c.exitCode !== null || c.signalCode !== null) return;
    const done = new Promise<void>((r) => c.once('exit', () => r()));
    process.kill(c.pid, sig);
    await Promise.race([done, sleep(10_000)]);
  }

  hup(d: DirectorName): void {
    const pid = this.children[d]?.pid;
    if (pid) process.kill(pid, 'SIGHUP');
  }

  async status(d: DirectorName): Promise<Snapshot | null> {
    try {
      const s = await request(this.socket(d), 'status', {}, 3000);
      return isSnapshot(s) ? s : null;
    } catch {
      return null;
    }
  }

  async mustStatus(d: DirectorName): Promise<Snapshot> {
    const s = await this.status(d);
    if (!s) throw new Error(`${d}: no status on ${this.socket(d)}`);
    return s;
  }

  /** `vrrpd <args>` (the CLI, as an operator runs it) from the guest's root namespace. */
  async cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
    const t0 = performance.now();
    const err = join(this.dir, 'cli.err');
    const argv = [process.execPath, MAIN_JS, ...args].map((a) => `'${a}'`).join(' ');
    const r = await this.shell.run(`${argv} 2>${err}`);
    return { code: r.code, stdout: r.out, stderr: readFileSync(err, 'utf8'), ms: performance.now() - t0 };
  }

  /** The director's metrics page, fetched inside its namespace (127.0.0.1 is per namespace). */
  async metrics(): Promise<string> {
    return (
      await this.shell.run(`ip netns exec ${this.ns('d1')} curl -sf --max-time 5 http://${METRICS}/metrics`)
    ).out;
  }

  /** The log's JSON lines (pino). */
  logLines(d: DirectorName): Record<string, unknown>[] {
    const f = this.logs[d];
    if (!f) return [];
    const out: Record<string, unknown>[] = [];
    for (const l of readFileSync(f, 'utf8').split('\n')) {
      if (!l.startsWith('{')) continue;
      try {
        out.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        // a torn last line
      }
    }
    return out;
  }

  logTail(d: DirectorName, n = 20): string {
    const f = this.logs[d];
    try {
      return f ? readFileSync(f, 'utf8').trimEnd().split('\n').slice(-n).join('\n') : '(no log)';
    } catch {
      return '(no log)';
    }
  }

  /** Every process by PID (daemons first, with SIGTERM), then every namespace. */
  async close(): Promise<void> {
    for (const d of ['d1', 'd2'] as const) await this.signalDaemon(d, 'SIGTERM').catch(() => {});
    await this.topo.cleanup();
    this.shell.close();
  }
}

/** Polls cond every 100 ms; returns the ms it took, or throws after limitMs. */
export async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  limitMs: number,
): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - t0;
    if (Date.now() - t0 > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await sleep(100);
  }
}
