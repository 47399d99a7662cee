// The addon's early drops (native/src/advert_filter.cc) beside the receive path JS keeps
// (src/vrrp/rx-filter.ts judgeReceived): over many mutated adverts, IPv4 packets and IPv6
// messages (bench/lib/fuzz.ts's corpus and mutator), against instances of every kind the
// table describes, a packet the addon drops is one JS drops for the same reason, counted
// in the same place (the instance with the VRID read, else the interface); what it does
// not drop, JS judges. And the addon catches nearly all of what JS drops on its rules.
import { describe, expect, it } from 'vitest';
import { advertCorpus, mutateBytes, rng } from '../../bench/lib/fuzz.js';
import type { ReceivedPacket } from '../../src/effects/types.js';
import { addon } from '../../src/native/index.js';
import { ipBytes } from '../../src/net/addr.js';
import { internetChecksum, pseudoHeader } from '../../src/net/checksum.js';
import { buildIpFrame } from '../../src/net/ipframe.js';
import type { ReceiveRules } from '../../src/vrrp/accept.js';
import { encodeAdvert, simpleAuthData } from '../../src/vrrp/codec.js';
import { DROP_REASONS } from '../../src/vrrp/drop-reason.js';
import { judgeReceived, type RxTarget, rxFilterTable } from '../../src/vrrp/rx-filter.js';
import { buildPool } from '../netns/lib/flood.js';

const ME = { 4: '192.0.2.10', 6: 'fe80::10' } as const;
const PEER = { 4: '192.0.2.20', 6: 'fe80::20' } as const;
const GROUP = { 4: '224.0.0.18', 6: 'ff02::12' } as const;

interface Spec {
  vrid: number;
  version: 2 | 3;
  intervalCs: number;
  pass?: string;
  noPseudo?: boolean;
  hmac?: boolean;
  ttlWindow?: boolean;
  unicastPeer?: boolean;
}

function targets(family: 4 | 6, specs: Spec[]): Map<number, RxTarget> {
  const out = new Map<number, RxTarget>();
  for (const s of specs) {
    const rules: ReceiveRules = {
      version: s.version,
      vrid: s.vrid,
      advertIntervalCs: s.intervalCs,
      authData: s.pass ? simpleAuthData(s.pass) : null,
      primaryAddress: ipBytes(ME[family]),
      advertAddresses: [ipBytes(family === 4 ? '192.0.2.50' : '2001:db8::50')],
      unicastPeers: s.unicastPeer ? [ipBytes(PEER[family])] : [],
      ...(s.ttlWindow ? { ttlWindows: [{ address: ipBytes(PEER[family]), minTtl: 250, maxTtl: 255 }] } : {}),
    };
    // auth_hmac: only whether a trailer is read matters before the rules the addon applies
    const cfg: RxTarget['cfg'] = {
      v3ChecksumIpv4PseudoHeader: !s.noPseudo,
      ...(s.hmac ? { authHmac: {} as never } : {}),
    };
    out.set(s.vrid, { cfg, rules, wouldChangeState: () => false });
  }
  return out;
}

const SPECS: Record<4 | 6, Spec[]> = {
  4: [
    { vrid: 51, version: 3, intervalCs: 100 },
    { vrid: 52, version: 2, intervalCs: 100, pass: 'secret' },
    { vrid: 53, version: 3, intervalCs: 10, noPseudo: true, hmac: true },
    { vrid: 54, version: 3, intervalCs: 100, ttlWindow: true },
    { vrid: 55, version: 2, intervalCs: 200, unicastPeer: true },
  ],
  6: [
    { vrid: 51, version: 3, intervalCs: 100 },
    { vrid: 53, version: 3, intervalCs: 100, hmac: true },
    { vrid: 54, version: 3, intervalCs: 100, ttlWindow: true },
  ],
};

/** More bases than the fuzz corpus: other VRIDs, our own source, auth_hmac trailers. */
function bases(family: 4 | 6): Buffer[] {
  const out = advertCorpus(family);
  for (const src of [PEER[family], ME[family]]) {
    const ctx = { family, srcAddress: src, dstAddress: GROUP[family] } as const;
    for (const vrid of [51, 53, 54, 55, 200]) {
      const v3 = encodeAdvert(
        {
          version: 3,
          type: 1,
          vrid,
          priority: 100,
          maxAdvertIntervalCs: 100,
          addresses: [family === 4 ? '192.0.2.50' : '2001:db8::50'],
        },
        vrid === 53 && family === 4 ? { ...ctx, v3Ipv4PseudoHeader: false } : ctx,
      );
      const payloads = [v3, Buffer.concat([v3, Buffer.alloc(28, 7)])];
      if (family === 4) {
        payloads.push(
          encodeAdvert(
            {
              version: 2,
              type: 1,
              vrid,
              priority: 100,
              advertIntervalSec: vrid === 55 ? 2 : 1,
              authType: 0,
              authData: Buffer.alloc(8),
              addresses: ['192.0.2.50'],
            },
            ctx,
          ),
        );
      }
      for (const payload of payloads) {
        out.push(
          family === 4
            ? buildIpFrame({
                srcMac: '02:00:00:00:00:20',
                src,
                dst: GROUP[4],
                protocol: 112,
                ttl: 255,
                payload,
              }).subarray(14)
            : payload,
        );
      }
    }
  }
  return out;
}

/** A VRRP message with one of its fields (or auth data) changed, its checksum made good. */
function resummed(payload: Buffer, family: 4 | 6, src: string, rand: () => number): Buffer {
  const out = Buffer.from(payload);
  if (out.length < 8) return out;
  const int = (n: number) => Math.floor(rand() * n);
  const at = [0, 1, 2, 4, 5, 4, 5, out.length - 1][int(8)]!;
  out[at] = [0, 1, 2, 3, 0x21, 0x31, 0xff, int(256)][int(8)]!;
  out.writeUInt16BE(0, 6);
  const version = out[0]! >> 4;
  const pseudo =
    version === 3 && !(family === 4 && out[1] === 53)
      ? pseudoHeader(ipBytes(src), ipBytes(GROUP[family]), 112, out.length)
      : null;
  out.writeUInt16BE(pseudo ? internetChecksum(pseudo, out) : internetChecksum(out), 6);
  return out;
}

describe('native early drops beside the JS receive rules', () => {
  for (const family of [4, 6] as const) {
    it(`IPv${family}: a native drop is a JS drop with the same reason, counted in the same place`, () => {
      const a = addon();
      expect(a.rxJudge, 'the addon has rxJudge (npm run build:native)').toBeTypeOf('function');
      expect(a.rxReasons!.every((r) => (DROP_REASONS as readonly string[]).includes(r))).toBe(true);
      const byVrid = targets(family, SPECS[family]);
      const table = rxFilterTable(byVrid);
      const corpus = bases(family);
      const rand = rng(family === 4 ? 16_4 : 16_6);
      const int = (n: number) => Math.floor(rand() * n);
      const N = 20_000;
      let jsDrops = 0;
      let nativeDrops = 0;
      const byReason: Record<string, number> = {};
      for (let i = 0; i < N; i++) {
        const base = corpus[int(corpus.length)]!;
        const srcText = int(8) === 0 ? ME[family] : PEER[family];
        const kind = i % 4; // 0 as is or mutated whole, 1 payload mutated, 2 mutated, 3 re-summed
        let data: Buffer;
        if (kind === 3)
          // fields changed and the checksum made good again: the rules after the codec's
          data = resummed(family === 4 ? base.subarray(20) : base, family, srcText, rand);
        else if (kind === 1 && family === 4)
          // the payload mutated inside a good IP header
          data = mutateBytes(base.subarray(20), rand, corpus);
        else data = i % 10 === 0 ? Buffer.from(base) : mutateBytes(base, rand, corpus);
        const ttl = int(4) === 0 && kind !== 3 ? int(256) : 255;
        if (family === 4 && (kind === 1 || kind === 3)) {
          data = buildIpFrame({
            srcMac: '02:00:00:00:00:20',
            src: srcText,
            dst: GROUP[4],
            protocol: 112,
            ttl,
            payload: data,
          }).subarray(14);
        }
        let pkt: ReceivedPacket;
        let src: Uint8Array | null = null;
        let dst: Uint8Array | null = null;
        if (family === 4) pkt = { family, ifindex: 1, ip: data };
        else {
          src = ipBytes(srcText);
          dst = ipBytes(GROUP[6]);
          pkt = { family, ifindex: 1, payload: data, src, dst, ttl };
        }
        const [reason, column] = a.rxJudge!(table, family, data, src, dst, family === 4 ? -1 : ttl);
        const js = judgeReceived(byVrid, pkt, 1_000_000, () => 1_700_000_000_000);
        if (js.kind === 'drop') jsDrops++;
        if (reason < 0) continue;
        nativeDrops++;
        const name = a.rxReasons![reason]!;
        byReason[name] = (byReason[name] ?? 0) + 1;
        const where = column === 0 ? undefined : byVrid.get(column - 1);
        const ctx = `case ${i}: ${data.toString('hex')}`;
        expect(js.kind, ctx).toBe('drop');
        if (js.kind !== 'drop') continue;
        expect(js.reason, ctx).toBe(name);
        expect(js.target === where, `${ctx}: counted on the same instance`).toBe(true);
      }
      // the filter is worth having: most of what JS drops never reaches it
      expect(nativeDrops).toBeGreaterThan(jsDrops * 0.9);
      // and it names many reasons, not one
      expect(Object.keys(byReason).length).toBeGreaterThanOrEqual(family === 4 ? 14 : 8);
    });
  }

  it("every frame of the flood bench's pool is dropped below JS, under the reason the pool names", () => {
    const a = addon();
    const pool = buildPool({
      srcMac: '02:00:00:00:00:33',
      src: '192.0.2.3',
      vrid: 51,
      vip: '192.0.2.50',
      advertIntervalCs: 10,
      receiver: '192.0.2.1',
      size: 4096,
      seed: 16,
    });
    const byVrid = targets(4, [{ vrid: 51, version: 3, intervalCs: 10 }]);
    const table = rxFilterTable(byVrid);
    pool.frames.forEach((frame, i) => {
      const [reason] = a.rxJudge!(table, 4, frame.subarray(14), null, null, -1);
      expect(a.rxReasons![reason], pool.kinds[i]).toBe(pool.reasons[i]);
    });
  });

  it('an empty table drops every advert with a good checksum as vrid, keeps nothing back', () => {
    const a = addon();
    const table = rxFilterTable(new Map());
    for (const pkt of advertCorpus(4)) {
      const [reason] = a.rxJudge!(table, 4, pkt, null, null, -1);
      expect(a.rxReasons![reason]).toBe('vrid');
    }
  });
});
