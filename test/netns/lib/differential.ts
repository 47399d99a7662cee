// The scenario of the VRRP differential test against keepalived
// (test/netns/differential-keepalived.test.ts) and its bench (bench/migration-differential.ts):
// one keepalived.conf per node of a pair, run by Debian's keepalived 2.2.7 or, on an
// identical fresh topology, by vrrpd on `vrrpd import-keepalived --strict` of the same files;
// the same steps drive both, and after each step the VIP placement is recorded once it has
// stayed put for STABLE_MS.
//
//   a  192.0.2.11/24  priority 150      b  192.0.2.12/24  priority 100
//   VI_1 vrid 51 VIP 192.0.2.200 (tracks trk0, one end of a veth pair, and the scripts chk and
//        chk_all, weight -60 each)
//   VI_2 vrid 52 VIP 192.0.2.201 (tracks chk_all)     sync group G1 { VI_1 VI_2 }
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { createTopology, type Topology } from '../../helpers/netns.js';
import { collectOutput, exited, pidAlive, readPidFile, signalPid, waitExit } from '../peers/router.js';
import { CLI, createLab } from './vrrpd.js';

const execFileP = promisify(execFile);
export const NODES = ['a', 'b'] as const;
type Node = (typeof NODES)[number];
const ADDR: Record<Node, string> = { a: '192.0.2.11', b: '192.0.2.12' };
const PRIORITY: Record<Node, number> = { a: 150, b: 100 };
export const VIPS = ['192.0.2.200', '192.0.2.201'];
/** the VIPs must stay put this long before a step's placement is recorded */
const STABLE_MS = 3000;
/** a step that has not settled by then fails */
const STEP_LIMIT_MS = 30_000;

export function keepalivedConf(node: Node, dir: string): string {
  const peer = node === 'a' ? 'b' : 'a';
  const instance = (name: string, vrid: number, vip: string, tracks: string) => `vrrp_instance ${name} {
  state BACKUP
  interface eth0
  virtual_router_id ${vrid}
  priority ${PRIORITY[node]}
  advert_int 0.5
  unicast_src_ip ${ADDR[node]}
  check_unicast_src
  unicast_peer {
    ${ADDR[peer]}
  }
${tracks}  virtual_ipaddress {
    ${vip}/24
  }
}
`;
  return `global_defs {
  router_id ${node}
  vrrp_version 3
  script_user root
  enable_script_security
}
${['chk', 'chk_all']
  .map(
    (name) => `vrrp_script ${name} {
  script "/usr/bin/test ! -e ${join(dir, `${name}-fails-on-${node}`)}"
  interval 1
  fall 1
  rise 1
  weight -60
}
`,
  )
  .join(
    '',
  )}${instance('VI_1', 51, VIPS[0]!, '  track_interface {\n    trk0\n  }\n  track_script {\n    chk\n    chk_all\n  }\n')}${instance('VI_2', 52, VIPS[1]!, '  track_script {\n    chk_all\n  }\n')}vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
  sync_group_tracking_weight
}
`;
}

export interface Pair {
  /** Date.now() right before the first daemon was started (the start step counts from it) */
  t0: number;
  topo: Topology;
  dir: string;
  logs(): string;
  stop(): Promise<void>;
}

async function addTrackedLinks(topo: Topology): Promise<void> {
  for (const n of NODES) {
    // a veth pair inside the node's namespace (this kernel may have no dummy links)
    await topo.exec(n, ['ip', 'link', 'add', 'trk0', 'type', 'veth', 'peer', 'name', 'trk0p']);
    await topo.exec(n, ['ip', 'link', 'set', 'trk0p', 'up']);
    await topo.exec(n, ['ip', 'link', 'set', 'trk0', 'up']);
  }
}

export async function startKeepalivedPair(): Promise<Pair> {
  const dir = mkdtempSync(join(tmpdir(), `vrrpd-diff-ka-${process.pid}-`));
  const topo = await createTopology({ hosts: [...NODES] });
  const procs: { node: Node; child: ChildProcess; out: () => string; vrrpPid: string }[] = [];
  const pair: Pair = {
    t0: 0,
    topo,
    dir,
    logs: () =>
      procs.map((p) => `--- keepalived ${p.node}\n${p.out().split('\n').slice(-40).join('\n')}`).join('\n'),
    async stop() {
      for (const p of procs) {
        if (!exited(p.child)) {
          signalPid(p.child.pid ?? 0, 'SIGTERM');
          await waitExit(p.child, 10_000).catch(() => topo.kill(p.child, 1000));
        }
        // the VRRP child, should the parent have died first (started by us, so ours to stop)
        const v = readPidFile(p.vrrpPid);
        if (v !== null && pidAlive(v)) signalPid(v, 'SIGKILL');
      }
      await topo.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await addTrackedLinks(topo);
    pair.t0 = Date.now();
    for (const n of NODES) {
      const conf = join(dir, `${n}.conf`);
      writeFileSync(conf, keepalivedConf(n, dir));
      const vrrpPid = join(dir, `${n}.vrrp.pid`);
      // -n -l -D: foreground, log to the console, detailed; per-run pid files
      const child = topo.spawn(n, [
        'keepalived',
        '--vrrp',
        '-n',
        '-l',
        '-D',
        '-f',
        conf,
        '-p',
        join(dir, `${n}.pid`),
        '-r',
        vrrpPid,
        '-c',
        join(dir, `${n}.checkers.pid`),
      ]);
      procs.push({ node: n, child, out: collectOutput(child), vrrpPid });
    }
  } catch (e) {
    await pair.stop();
    throw e;
  }
  return pair;
}

export async function startVrrpdPair(): Promise<Pair> {
  const dir = mkdtempSync(join(tmpdir(), `vrrpd-diff-vd-${process.pid}-`));
  const lab = await createLab([...NODES]);
  const daemons: Awaited<ReturnType<typeof lab.start>>[] = [];
  const pair: Pair = {
    t0: 0,
    topo: lab.topo,
    dir,
    logs: () => daemons.map((d) => `--- vrrpd ${d.host}\n${d.tail(40)}`).join('\n'),
    async stop() {
      await lab.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await addTrackedLinks(lab.topo);
    const configs: Record<string, unknown>[] = [];
    for (const n of NODES) {
      const conf = join(dir, `${n}.conf`);
      writeFileSync(conf, keepalivedConf(n, dir));
      const r = await execFileP(process.execPath, [CLI, 'import-keepalived', '--strict', conf]).catch(
        (e: { stdout?: string; stderr?: string }) => {
          throw new Error(`import-keepalived --strict ${n}.conf failed:\n${e.stderr}\n${e.stdout}`);
        },
      );
      configs.push(parse(r.stdout) as Record<string, unknown>);
    }
    // both imported first, then started back to back, as keepalived's pair
    pair.t0 = Date.now();
    const started = await Promise.allSettled(NODES.map((n, i) => lab.start(n, configs[i]!)));
    for (const r of started) if (r.status === 'fulfilled') daemons.push(r.value);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
  } catch (e) {
    await pair.stop();
    throw e;
  }
  return pair;
}

/** which node holds which VIP, e.g. '192.0.2.200@a 192.0.2.201@a' */
async function placement(topo: Topology): Promise<string> {
  const held: string[] = [];
  for (const n of NODES) {
    const r = await topo.exec(n, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'], { allowFail: true });
    for (const vip of VIPS) if (r.stdout.includes(` ${vip}/`)) held.push(`${vip}@${n}`);
  }
  return held.sort().join(' ') || 'none';
}

/** waits until the placement has not changed for STABLE_MS; returns it and what was seen */
async function settled(
  topo: Topology,
  t0 = Date.now(),
): Promise<{ placement: string; settleMs: number; seen: string[] }> {
  const seen: string[] = [];
  let last = '';
  let since = Date.now();
  for (;;) {
    const p = await placement(topo);
    if (p !== last) {
      seen.push(`${Date.now() - t0} ms: ${p}`);
      last = p;
      since = Date.now();
    } else if (Date.now() - since >= STABLE_MS) return { placement: p, settleMs: since - t0, seen };
    if (Date.now() - t0 > STEP_LIMIT_MS)
      throw new Error(`VIPs did not settle within ${STEP_LIMIT_MS} ms: ${seen.join('; ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const fail = (name: string) => async (p: Pair) => writeFileSync(join(p.dir, `${name}-fails-on-a`), '');
const recover = (name: string) => async (p: Pair) =>
  rmSync(join(p.dir, `${name}-fails-on-a`), { force: true });
export const STEPS: { name: string; act: (p: Pair) => Promise<void> }[] = [
  { name: 'start', act: async () => {} },
  // VI_1 falls to 90 < 100 but VI_2 still hears a's 150: keepalived keeps the group on a
  // (a member goes to master only when every member wants to)
  { name: 'chk (VI_1 only) fails on a', act: fail('chk') },
  { name: 'chk succeeds again', act: recover('chk') },
  { name: 'chk_all (both) fails on a', act: fail('chk_all') },
  { name: 'chk_all succeeds again', act: recover('chk_all') },
  {
    name: 'the tracked link goes down on a',
    act: async (p) => void (await p.topo.exec('a', ['ip', 'link', 'set', 'trk0', 'down'])),
  },
  {
    name: 'the tracked link is up again',
    act: async (p) => void (await p.topo.exec('a', ['ip', 'link', 'set', 'trk0', 'up'])),
  },
];

export interface StepResult {
  step: string;
  /** e.g. '192.0.2.200@a 192.0.2.201@a' */
  placement: string;
  /** from the step's action to the first sight of its final placement (polled every 100 ms) */
  settleMs: number;
}

/** Runs STEPS on a fresh pair; `log` gets one line per step. The pair is always removed. */
export async function runScenario(
  start: () => Promise<Pair>,
  label: string,
  log: (line: string) => void = () => {},
): Promise<StepResult[]> {
  const pair = await start();
  const out: StepResult[] = [];
  try {
    for (const step of STEPS) {
      await step.act(pair);
      const s = await settled(pair.topo, step === STEPS[0] ? pair.t0 : Date.now()).catch((e: Error) => {
        throw new Error(`${label}, step '${step.name}': ${e.message}\n${pair.logs()}`);
      });
      log(`${label}: ${step.name}: ${s.placement} (seen: ${s.seen.join('; ')})`);
      out.push({ step: step.name, placement: s.placement, settleMs: s.settleMs });
    }
  } finally {
    await pair.stop();
  }
  return out;
}
