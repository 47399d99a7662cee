// Shared set-up of the peer test files: one topology (a = vrrpd, b = the peer, c = observer
// capturing with tcpdump), and a case runner that starts both routers, runs the failover
// scenario, then checks our adverts in the capture with tshark and vrrpd's drop counters.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopology, type Topology } from '../../helpers/netns.js';
import { type AdvertDecode, decodeAdverts, macOf, startCapture } from './capture.js';
import { createFrr } from './frr.js';
import { createKeepalived } from './keepalived.js';
import type { Router, RouterKind, RouterSpec } from './router.js';
import { failoverScenario, type ScenarioLog, type ScenarioOptions } from './scenario.js';
import { createVrrpd, type VrrpdStatus } from './vrrpd.js';

export interface PeerLab {
  topo: Topology;
  dir: string;
  cleanup(): Promise<void>;
}

export async function createPeerLab(): Promise<PeerLab> {
  // Short prefix: FRR's macvlan names and namespaces stay well under 15 characters.
  const topo = await createTopology({
    hosts: ['a', 'b', 'c'],
    prefix: `vp${process.pid}${Math.floor(Math.random() * 100)}-`,
  });
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-peer-'));
  // FRR drops to user frr and must reach its files below this directory.
  chmodSync(dir, 0o755);
  return {
    topo,
    dir,
    async cleanup() {
      await topo.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PeerCase {
  peer: Exclude<RouterKind, 'vrrpd'>;
  version: 2 | 3;
  family: 4 | 6;
  /** whether vrrpd has the higher priority */
  vrrpdMaster: boolean;
  advertMs: number;
  vrid?: number;
  scenario?: ScenarioOptions;
}

export interface PeerCaseResult {
  steps: ScenarioLog[];
  ours: AdvertDecode;
  status: VrrpdStatus;
}

const create = { keepalived: createKeepalived, frr: createFrr, vrrpd: createVrrpd } as const;

export async function runPeerCase(lab: PeerLab, c: PeerCase): Promise<PeerCaseResult> {
  const { topo } = lab;
  const vrid = c.vrid ?? 51;
  const base: Omit<RouterSpec, 'priority'> = {
    vrid,
    version: c.version,
    advertMs: c.advertMs,
    vip: c.family === 6 ? '2001:db8::50' : '192.0.2.50',
    prefixLen: c.family === 6 ? 64 : 24,
  };
  const caseDir = mkdtempSync(join(lab.dir, `${c.peer}-v${c.version}-ipv${c.family}-`));
  const ours = createVrrpd(topo, 'a', caseDir, { ...base, priority: c.vrrpdMaster ? 150 : 100 });
  const peer: Router = create[c.peer](topo, 'b', caseDir, { ...base, priority: c.vrrpdMaster ? 100 : 150 });
  const pcap = join(caseDir, 'observer.pcap');
  const cap = await startCapture(topo, 'c', pcap, 'ip proto 112 or ip6 proto 112');
  let lastStatus: VrrpdStatus | null = null;
  try {
    const [hi, lo] = c.vrrpdMaster ? [ours, peer] : [peer, ours];
    const steps = await failoverScenario(hi, lo, {
      ...c.scenario,
      onSteady: async () => {
        lastStatus = await ours.status();
      },
    });
    // vrrpd still runs when it was the backup; as the master it is stopped by the last fault.
    if (ours.running) lastStatus = await ours.status();
    await cap.stop();
    const decoded = await decodeAdverts(pcap, `eth.src == ${await macOf(topo, 'a')}`);
    return { steps, ours: decoded, status: lastStatus ?? { instances: [], globalDrops: {} } };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(
      `${msg}\n--- vrrpd log ---\n${tailLines(ours.logs())}\n--- ${peer.kind} log ---\n${tailLines(peer.logs())}`,
    );
  } finally {
    await cap.stop();
    await ours.cleanup();
    await peer.cleanup();
  }
}

function tailLines(s: string, n = 30): string {
  return s.split('\n').slice(-n).join('\n');
}

/** Drops that mean a peer's advert was refused (our own looped-back adverts are not errors). */
export function realDrops(status: VrrpdStatus): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (k: string, v: number) => {
    if (k !== 'own-packet' && v > 0) out[k] = (out[k] ?? 0) + v;
  };
  for (const [k, v] of Object.entries(status.globalDrops)) add(k, v);
  for (const i of status.instances) for (const [k, v] of Object.entries(i.counters.drops)) add(k, v);
  return out;
}
