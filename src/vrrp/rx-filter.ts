// The receive path's verdict on one packet (judgeReceived: IP header, demultiplexing by
// VRID, codec, receive rules; the engine's onPacket and the tests use this one function),
// and the table that lets the addon drop early what these rules would drop anyway
// (rxFilterTable, read by native/src/advert_filter.cc).
//
// Early drops (issue #16, floods): under a flood of junk, each datagram that reaches JS
// costs the VRRP thread far more than the kernel's copy; the addon applies the first rules
// below (IP header, own packet, TTL, codec, VRID, and for a known VRID its version,
// interval and v2 authentication) in C++, counts a drop by reason and VRID, and hands only
// the rest to JS, which judges them fully, as before. The counts fold into the same
// counters JS keeps (the engine's foldRxDrops), so each packet is counted once, under the
// reason JS would give it. test/unit/native-rx-filter.test.ts holds the two to the same
// verdicts.
//
// Table layout: 256 entries of RX_ENTRY_BYTES, entry v for VRID v:
//   [0]      flags: 1 configured, 2 per-peer TTL windows (the TTL rule and all after it are
//            JS's), 4 v3 over IPv4 checksummed without the pseudo-header, 8 an auth_hmac
//            trailer may follow, 16 a v2 password (bytes 24..31), 32 only the codec and VRID
//            rules are native
//   [1]      the version the instance runs (2 or 3)
//   [2..3]   its advert interval in centiseconds (big-endian)
//   [4]      its primary address's length (4, 16; 0: none), the bytes at [8..23]
//   [24..31] the v2 password as on the wire
import type { VrrpInstance } from '../config/model.js';
import type { ReceivedPacket } from '../effects/types.js';
import { type IpPacket, parseIpPacket } from '../net/ip-header.js';
import { type AcceptResult, acceptAdvert, type PacketMeta, type ReceiveRules } from './accept.js';
import { decodeAdvert, VRRP_PROTOCOL } from './codec.js';
import type { DropReason } from './drop-reason.js';

export const RX_ENTRY_BYTES = 32;
export const RX_TABLE_BYTES = 256 * RX_ENTRY_BYTES;

const CONFIGURED = 1;
const TTL_WINDOWS = 2;
const NO_PSEUDO = 4;
const AUTH_TRAILER = 8;
const AUTH_DATA = 16;
const CODEC_ONLY = 32;

/** What the receive path reads of an instance. */
export interface RxTarget {
  readonly cfg: Pick<VrrpInstance, 'v3ChecksumIpv4PseudoHeader' | 'authHmac' | 'advertRateLimit'>;
  readonly rules: ReceiveRules;
  wouldChangeState(priority: number, src: Uint8Array, now: number): boolean;
}

export type RxJudgement<T extends RxTarget> =
  /** not VRRP (another protocol), or a packet the transport could not describe: not counted */
  | { kind: 'ignore' }
  /** counted on target when there is one, else on the interface */
  | { kind: 'drop'; reason: DropReason; target: T | undefined }
  | { kind: 'accept'; verdict: Extract<AcceptResult, { ok: true }>; target: T | undefined };

/**
 * The whole receive verdict on one packet heard on a socket whose instances by VRID are
 * byVrid. Pure but for the rules' own state (auth_hmac replay marks, the rate limit).
 */
export function judgeReceived<T extends RxTarget>(
  byVrid: ReadonlyMap<number, T>,
  pkt: ReceivedPacket,
  nowMs: number,
  /** the wall clock, read only for an instance with auth_hmac */
  wall: () => number,
): RxJudgement<T> {
  const parsed =
    'ip' in pkt ? parseIpPacket(pkt.ip, pkt.family) : { ok: true as const, value: ancillaryPacket(pkt) };
  if (!parsed.ok) return { kind: 'drop', reason: parsed.reason, target: undefined };
  const ip = parsed.value;
  if (ip.protocol !== VRRP_PROTOCOL) return { kind: 'ignore' }; // not VRRP: nothing to count
  // Demultiplexing only: which instance (if any) has this VRID here. Every rule on
  // the advert, a missing VRID included, is acceptAdvert's (accept.ts).
  const target = byVrid.get(ip.payload.length >= 2 ? ip.payload[1]! : -1);
  const decoded = decodeAdvert(ip.payload, {
    family: ip.family,
    srcAddress: ip.src,
    dstAddress: ip.dst,
    v3Ipv4PseudoHeader: target?.cfg.v3ChecksumIpv4PseudoHeader ?? true,
    // a trailer is read for an instance with auth_hmac (without: too long, as keepalived
    // says), and for an unknown VRID, so that a signed advert of another VRID counts as 'vrid'
    authTrailer: target ? target.cfg.authHmac !== undefined : true,
  });
  // one object shape per advert (no spread): the wall clock is read for auth_hmac only
  const meta: PacketMeta = { src: ip.src, ttl: ip.ttl, nowMs };
  if (target?.cfg.authHmac !== undefined) meta.wallMs = wall();
  if (target?.cfg.advertRateLimit)
    meta.changesState = (priority: number) => target.wouldChangeState(priority, ip.src, nowMs);
  const verdict = acceptAdvert(target?.rules, decoded, meta);
  if (!verdict.ok) return { kind: 'drop', reason: verdict.reason, target };
  return { kind: 'accept', verdict, target };
}

function ancillaryPacket(pkt: Extract<ReceivedPacket, { payload: Buffer }>): IpPacket {
  return {
    family: pkt.family,
    src: pkt.src,
    dst: pkt.dst,
    ttl: pkt.ttl,
    protocol: VRRP_PROTOCOL,
    payload: pkt.payload,
  };
}

/** The addon's early drop table for the instances on one socket (layout above). */
export function rxFilterTable(byVrid: ReadonlyMap<number, RxTarget>): Uint8Array {
  const table = new Uint8Array(RX_TABLE_BYTES);
  for (const [vrid, t] of byVrid) {
    if (!Number.isInteger(vrid) || vrid < 0 || vrid > 255) continue;
    const e = table.subarray(vrid * RX_ENTRY_BYTES, (vrid + 1) * RX_ENTRY_BYTES);
    const r = t.rules;
    let flags = CONFIGURED;
    if ((r.ttlWindows?.length ?? 0) > 0) flags |= TTL_WINDOWS;
    if (t.cfg.v3ChecksumIpv4PseudoHeader === false) flags |= NO_PSEUDO;
    if (t.cfg.authHmac !== undefined) flags |= AUTH_TRAILER;
    if (r.authData) {
      if (r.authData.length !== 8) flags |= CODEC_ONLY;
      else {
        flags |= AUTH_DATA;
        e.set(r.authData, 24);
      }
    }
    if ((r.version !== 2 && r.version !== 3) || !(r.advertIntervalCs >= 0 && r.advertIntervalCs <= 0xffff))
      flags |= CODEC_ONLY;
    e[0] = flags;
    e[1] = r.version;
    e[2] = (r.advertIntervalCs >> 8) & 0xff;
    e[3] = r.advertIntervalCs & 0xff;
    const p = r.primaryAddress;
    if (p.length === 4 || p.length === 16) {
      e[4] = p.length;
      e.set(p, 8);
    }
  }
  return table;
}
