// Fuzzing the receive path: random and mutated buffers must never throw, always give a
// named reason or a value that re-encodes to the same bytes, and stay fast; the receive
// filter after the codec gives an event or a declared drop reason.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipBytes, parseIp } from '../../src/net/addr.js';
import { internetChecksum, pseudoHeader } from '../../src/net/checksum.js';
import { IP_HEADER_DROP_REASONS, parseIpPacket } from '../../src/net/ip-header.js';
import { acceptAdvert, type ReceiveRules } from '../../src/vrrp/accept.js';
import { ADVERT_DROP_REASONS, type AdvertContext, decodeAdvert, encodeAdvert } from '../../src/vrrp/codec.js';
import { DROP_REASONS } from '../../src/vrrp/drop-reason.js';
import { ipPackets, readPcap, splitEthernet } from '../helpers/pcap.js';

const FIXTURES = join(import.meta.dirname, '../fixtures');
/** The receive filter's view of an instance with the fixtures' VRID (no auth, 1 s). */
const RULES: ReceiveRules = {
  version: 3,
  vrid: 51,
  advertIntervalCs: 100,
  authData: null,
  primaryAddress: ipBytes('192.0.2.254'),
  advertAddresses: [],
  unicastPeers: [],
};
const ITERATIONS = 120_000;

/** xorshift32: deterministic, so a failure names a seed that reproduces it. */
function prng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return {
    next,
    int: (n: number) => next() % n,
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, next)),
  };
}

interface Seed {
  ip: Buffer; // IPv4 packet, header included (what a raw socket returns)
  vrrp: Buffer;
  ctx: AdvertContext;
}

function seeds(): Seed[] {
  const out: Seed[] = [];
  for (const f of readdirSync(FIXTURES).filter((n) => n.endsWith('.pcap'))) {
    for (const p of ipPackets(readPcap(join(FIXTURES, f)), 112)) {
      out.push({
        ip: p.family === 4 ? Buffer.from(splitEthernet(p.frame.data)!.payload) : Buffer.alloc(0),
        vrrp: Buffer.from(p.payload),
        ctx: { family: p.family, srcAddress: p.src, dstAddress: p.dst },
      });
    }
  }
  // more IPv6 seeds with several addresses: our own encoding (checked against tshark elsewhere)
  const ctx6: AdvertContext = { family: 6, srcAddress: 'fe80::1', dstAddress: 'ff02::12' };
  for (const n of [1, 2, 5]) {
    const addresses = ['fe80::50', ...Array.from({ length: n - 1 }, (_, i) => `2001:db8::${i + 1}`)];
    const vrrp = encodeAdvert(
      { version: 3, type: 1, vrid: 51, priority: 100, maxAdvertIntervalCs: 100, addresses },
      ctx6,
    );
    out.push({ ip: Buffer.alloc(0), vrrp, ctx: ctx6 });
  }
  return out;
}

function mutate(r: ReturnType<typeof prng>, src: Buffer): Buffer {
  let b = Buffer.from(src);
  const ops = 1 + r.int(4);
  for (let k = 0; k < ops; k++) {
    switch (r.int(6)) {
      case 0: // bit flip
        if (b.length) b[r.int(b.length)]! ^= 1 << r.int(8);
        break;
      case 1: // byte set to an edge value
        if (b.length) b[r.int(b.length)] = [0, 1, 2, 3, 0x7f, 0x80, 0xff][r.int(7)]!;
        break;
      case 2: // truncate
        b = b.subarray(0, r.int(b.length + 1));
        break;
      case 3: // extend
        b = Buffer.concat([b, r.bytes(1 + r.int(40))]);
        break;
      case 4: // random bytes over a stretch
        if (b.length) {
          const at = r.int(b.length);
          r.bytes(Math.min(b.length - at, 1 + r.int(8))).copy(b, at);
        }
        break;
      default: // address count changed
        if (b.length > 3) b[3] = r.int(256);
    }
  }
  return b;
}

function fixChecksum(b: Buffer, ctx: AdvertContext): void {
  if (b.length < 8) return;
  b.writeUInt16BE(0, 6);
  const src = parseIp(String(ctx.srcAddress))!.bytes;
  const dst = parseIp(String(ctx.dstAddress))!.bytes;
  const pseudo = b[0]! >> 4 === 3 ? pseudoHeader(src, dst, 112, b.length) : Buffer.alloc(0);
  b.writeUInt16BE(internetChecksum(pseudo, b), 6);
}

describe('codec fuzz', () => {
  it(`${ITERATIONS} random and mutated buffers: no throw, a named reason or a faithful value, fast`, () => {
    const r = prng(0x5eed1234);
    const pool = seeds();
    const reasons = new Set<string>(ADVERT_DROP_REASONS);
    const ipReasons = new Set<string>(IP_HEADER_DROP_REASONS);
    const tally = new Map<string, number>();
    const filtered = new Set<string>();
    const t0 = performance.now();
    for (let i = 0; i < ITERATIONS; i++) {
      const seed = pool[r.int(pool.length)]!;
      const mode = r.int(10);
      let buf: Buffer;
      if (mode < 2) buf = r.bytes(r.int(120));
      else buf = mutate(r, seed.vrrp);
      // a third of the mutants get a correct checksum, so the checks after it are reached too
      if (mode >= 7) fixChecksum(buf, seed.ctx);
      // vary the context too: wrong family, TTL, compat switch, the instance's version
      const ctx: AdvertContext = { ...seed.ctx };
      const meta = { src: parseIp(String(ctx.srcAddress))!.bytes, ttl: 255 };
      const rules = { ...RULES, version: (buf.length && buf[0]! >> 4 === 2 ? 2 : 3) as 2 | 3 };
      const c = r.int(16);
      if (c === 0) ctx.family = ctx.family === 4 ? 6 : 4;
      if (c === 1) meta.ttl = r.int(256);
      if (c === 2) ctx.v3Ipv4PseudoHeader = false;
      if (c === 3) rules.version = r.int(2) ? 2 : 3;
      let res: ReturnType<typeof decodeAdvert>;
      try {
        res = decodeAdvert(buf, ctx);
      } catch (e) {
        throw new Error(`iteration ${i} threw on ${buf.toString('hex')}: ${e}`);
      }
      if (res.ok) {
        tally.set('ok', (tally.get('ok') ?? 0) + 1);
        const again = encodeAdvert(res.value, ctx);
        if (!again.equals(buf)) {
          // the one legitimate difference: one's complement has two zeros; a received
          // 0xffff verifies exactly like the 0x0000 we compute (RFC 1071 §1)
          const diff = [...again.keys()].filter((k) => again[k] !== buf[k]);
          expect(diff.every((k) => k === 6 || k === 7)).toBe(true);
          expect(buf.readUInt16BE(6) + again.readUInt16BE(6)).toBe(0xffff);
        }
      } else {
        if (!reasons.has(res.reason)) throw new Error(`unnamed reason ${res.reason}`);
        tally.set(res.reason, (tally.get(res.reason) ?? 0) + 1);
      }
      // and the receive filter after it: an event, or a declared reason
      const verdict = acceptAdvert(rules, res, meta);
      if (!verdict.ok && !DROP_REASONS.includes(verdict.reason))
        throw new Error(`undeclared ${verdict.reason}`);
      if (!verdict.ok) filtered.add(verdict.reason);
      // the IPv4 split on mutated raw-socket reads
      if (seed.ip.length && r.int(4) === 0) {
        const ip = parseIpPacket(mutate(r, seed.ip), 4);
        if (!ip.ok && !ipReasons.has(ip.reason)) throw new Error(`unnamed IPv4 reason ${ip.reason}`);
      }
    }
    const ms = performance.now() - t0;
    console.log(`codec fuzz: ${ITERATIONS} buffers in ${ms.toFixed(0)} ms;`, Object.fromEntries(tally));
    expect(ms).toBeLessThan(10_000);
    // the mutations reach deep: valid packets and every drop reason
    expect(tally.get('ok') ?? 0).toBeGreaterThan(1000);
    for (const reason of ADVERT_DROP_REASONS) expect(tally.get(reason) ?? 0, reason).toBeGreaterThan(0);
    for (const reason of [
      'ttl',
      'vrid',
      'version',
      'advert-interval',
      'auth-type-invalid',
      'auth-type-mismatch',
    ]) {
      expect(filtered, reason).toContain(reason);
    }
  });

  it('decodes views into a larger buffer (byteOffset != 0) the same as copies', () => {
    const r = prng(99);
    const pool = seeds();
    for (let i = 0; i < 2000; i++) {
      const seed = pool[r.int(pool.length)]!;
      const buf = mutate(r, seed.vrrp);
      const big = Buffer.concat([r.bytes(13), buf, r.bytes(5)]);
      const view = big.subarray(13, 13 + buf.length);
      expect(decodeAdvert(view, seed.ctx)).toEqual(decodeAdvert(Buffer.from(buf), seed.ctx));
    }
  });
});
