// The advert flood (issue #16, part 4), shared by test/netns/vrrp-flood.test.ts (a short
// slice) and bench/advert-flood.ts (30 s): a pool of mutated VRRP frames, each with the
// drop reason the daemon must count it under (decided by the daemon's own codec and
// receive rules, src/vrrp/codec.ts and accept.ts, so a frame they would accept never
// enters the pool), sent round and round at a set rate by a small C sender
// (flood-sender.c, AF_PACKET + sendmmsg, compiled with gcc at run time).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseIp } from '../../../src/net/addr.js';
import { buildIpFrame } from '../../../src/net/ipframe.js';
import { acceptAdvert, type ReceiveRules } from '../../../src/vrrp/accept.js';
import { decodeAdvert, type EncodableAdvert, encodeAdvert } from '../../../src/vrrp/codec.js';
import type { Topology } from '../../helpers/netns.js';
import { repoRoot } from '../peers/vrrpd.js';

const execFileP = promisify(execFile);
const GROUP = '224.0.0.18';

/** A deterministic generator (mulberry32), so a pool can be rebuilt from its seed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PoolOptions {
  srcMac: string;
  /** the flooder's own address (source of every frame) */
  src: string;
  /** the instance under attack: VRID, VIP, advert interval (cs), a receiver's address */
  vrid: number;
  vip: string;
  advertIntervalCs: number;
  receiver: string;
  size: number;
  seed: number;
}

export interface Pool {
  frames: Buffer[];
  /** the reason each frame must be counted under */
  reasons: string[];
  /** how each was made */
  kinds: string[];
}

const KINDS = ['vrid', 'ttl', 'v2', 'interval-0', 'flip', 'truncate', 'garbage', 'count'] as const;

export function buildPool(o: PoolOptions): Pool {
  const rand = rng(o.seed);
  const int = (n: number) => Math.floor(rand() * n);
  const srcBytes = parseIp(o.src)!.bytes;
  const rules: ReceiveRules = {
    version: 3,
    vrid: o.vrid,
    advertIntervalCs: o.advertIntervalCs,
    authData: null,
    primaryAddress: parseIp(o.receiver)!.bytes,
    advertAddresses: [parseIp(o.vip)!.bytes],
    unicastPeers: [],
  };
  const ctx = { family: 4 as const, srcAddress: o.src, dstAddress: GROUP };
  const v3 = (x: Partial<EncodableAdvert> = {}) =>
    encodeAdvert(
      {
        version: 3,
        type: 1,
        vrid: o.vrid,
        priority: 254, // would take the master role if it were ever accepted
        maxAdvertIntervalCs: o.advertIntervalCs,
        addresses: [o.vip],
        ...x,
      } as EncodableAdvert,
      ctx,
    );
  const pool: Pool = { frames: [], reasons: [], kinds: [] };
  while (pool.frames.length < o.size) {
    const kind = KINDS[int(KINDS.length)]!;
    let ttl = 255;
    let payload: Buffer;
    switch (kind) {
      case 'vrid': {
        let vrid = 1 + int(255);
        if (vrid === o.vrid) vrid = (vrid % 255) + 1;
        payload = v3({ vrid, priority: 1 + int(254) });
        break;
      }
      case 'ttl':
        ttl = int(255);
        payload = v3({ priority: 1 + int(254) });
        break;
      case 'v2':
        payload = encodeAdvert(
          {
            version: 2,
            type: 1,
            vrid: o.vrid,
            priority: 1 + int(254),
            advertIntervalSec: 1,
            authType: 0,
            authData: Buffer.alloc(8),
            addresses: [o.vip],
          },
          ctx,
        );
        break;
      case 'interval-0':
        payload = v3({ maxAdvertIntervalCs: 0 });
        break;
      case 'flip': {
        payload = Buffer.from(v3());
        for (let k = 1 + int(4); k > 0; k--) payload[int(payload.length)]! ^= 1 + int(255);
        break;
      }
      case 'truncate': {
        const full = v3();
        payload = Buffer.from(full.subarray(0, int(full.length)));
        break;
      }
      case 'count': {
        // the address count disagrees with the length
        payload = Buffer.from(v3());
        payload[3] = 2 + int(254);
        break;
      }
      default: {
        payload = Buffer.alloc(int(81));
        for (let i = 0; i < payload.length; i++) payload[i] = int(256);
      }
    }
    const verdict = acceptAdvert(rules, decodeAdvert(payload, ctx), { src: srcBytes, ttl });
    if (verdict.ok) continue; // never flood with something the daemon would act on
    pool.frames.push(
      buildIpFrame({ srcMac: o.srcMac, src: o.src, dst: GROUP, protocol: 112, ttl, payload, id: int(65536) }),
    );
    pool.reasons.push(verdict.reason);
    pool.kinds.push(kind);
  }
  return pool;
}

export function writePool(file: string, frames: readonly Buffer[]): void {
  const parts: Buffer[] = [];
  for (const f of frames) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(f.length);
    parts.push(len, f);
  }
  writeFileSync(file, Buffer.concat(parts));
}

/** The reasons of the first `sent` frames of the pool sent round and round. */
export function expectedCounts(reasons: readonly string[], sent: number): Record<string, number> {
  const out: Record<string, number> = {};
  const rounds = Math.floor(sent / reasons.length);
  const rest = sent % reasons.length;
  reasons.forEach((r, i) => {
    out[r] = (out[r] ?? 0) + rounds + (i < rest ? 1 : 0);
  });
  return out;
}

/** Compiles the sender into dir; returns the binary's path. */
export async function compileSender(dir: string): Promise<string> {
  const bin = join(dir, 'flood-sender');
  await execFileP('gcc', ['-O2', '-Wall', '-o', bin, join(repoRoot(), 'test/netns/lib/flood-sender.c')]);
  return bin;
}

export interface FloodResult {
  sent: number;
  seconds: number;
  errors: number;
  /** SCHED_FIFO priority the sender ran at (0: none) */
  rtPriority: number;
}

/**
 * The sender's SCHED_FIFO priority (flood-sender.c): the lowest real-time one, so that the
 * flood reaches its rate on a machine busy with other work, below vrrpd's VRRP thread
 * (SCHED_RR 10). FLOOD_RT_PRIORITY overrides it (0: an ordinary process; below 0: an
 * ordinary process at that nice value).
 */
export const FLOOD_RT_PRIORITY = Number(process.env.FLOOD_RT_PRIORITY ?? 1);

export async function runFlood(
  topo: Topology,
  host: string,
  bin: string,
  poolFile: string,
  rate: number,
  seconds: number,
  rtPriority = FLOOD_RT_PRIORITY,
): Promise<FloodResult> {
  const argv = [bin, 'eth0', poolFile, String(rate), String(seconds), String(rtPriority)];
  const r = await topo.exec(host, argv, {
    timeoutMs: (seconds + 30) * 1000,
  });
  return JSON.parse(r.stdout.trim()) as FloodResult;
}

/** Packets the kernel dropped at the host's raw sockets of protocol 112 (/proc/net/raw). */
export async function rawSocketDrops(topo: Topology, host: string): Promise<number> {
  const text = (await topo.exec(host, ['cat', '/proc/net/raw'])).stdout;
  let drops = 0;
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13) continue;
    // local_address is ADDR:PORT, the port of a raw socket being its protocol
    if (f[1]?.split(':')[1] === '0070') drops += Number(f[f.length - 1]);
  }
  return drops;
}

/** The host's eth0 receive counters. */
export async function rxPackets(topo: Topology, host: string): Promise<{ packets: number; dropped: number }> {
  const out = (await topo.exec(host, ['ip', '-s', '-j', 'link', 'show', 'dev', 'eth0'])).stdout;
  const j = JSON.parse(out) as {
    stats64: { rx: { packets: number; dropped: number } };
  }[];
  return { packets: j[0]!.stats64.rx.packets, dropped: j[0]!.stats64.rx.dropped };
}

/** Every drop the daemon counted, by reason: its instances' and its interfaces'. */
export function countedDrops(s: {
  instances: { counters: { drops: Record<string, number> } }[];
  globalDrops: Record<string, number>;
}): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (d: Record<string, number>) => {
    for (const [k, n] of Object.entries(d)) out[k] = (out[k] ?? 0) + n;
  };
  for (const i of s.instances) add(i.counters.drops);
  add(s.globalDrops);
  return out;
}

export function diffCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = (b[k] ?? 0) - (a[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

export const sum = (c: Record<string, number>) => Object.values(c).reduce((x, y) => x + y, 0);
