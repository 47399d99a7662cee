// The receive filter's trust rows (src/vrrp/accept.ts), one table each: the per-peer TTL
// window of routed unicast, allowed_peers, auth_hmac in its three modes, and the per-source
// rate limit of state-changing adverts.
import { describe, expect, it } from 'vitest';
import { ipBytes } from '../../src/net/addr.js';
import {
  type AcceptResult,
  acceptAdvert,
  type PacketMeta,
  type ReceiveRules,
} from '../../src/vrrp/accept.js';
import {
  clockSeq,
  type HmacMode,
  hmacSettingsOf,
  ReplayMarks,
  signAdvert,
} from '../../src/vrrp/auth-hmac.js';
import { decodeAdvert, encodeAdvert } from '../../src/vrrp/codec.js';
import type { DropReason } from '../../src/vrrp/drop-reason.js';
import { v3 } from '../helpers/adverts.js';

const ME = '192.0.2.2';
const PEER = '192.0.2.9';
const ROUTED = '198.51.100.9';
const KEY_HEX = '42'.repeat(32);
const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);

function rules(over: Partial<ReceiveRules> = {}): ReceiveRules {
  return {
    version: 3,
    vrid: 51,
    advertIntervalCs: 100,
    authData: null,
    primaryAddress: ipBytes(ME),
    advertAddresses: [ipBytes('192.0.2.50')],
    unicastPeers: [],
    ...over,
  };
}
const meta = (o: Partial<PacketMeta> & { from?: string } = {}): PacketMeta => ({
  src: ipBytes(o.from ?? PEER),
  ttl: o.ttl ?? 255,
  wallMs: o.wallMs ?? NOW,
  nowMs: o.nowMs ?? 0,
  ...(o.changesState ? { changesState: o.changesState } : {}),
});
type Outcome = 'accept' | DropReason;
const outcome = (r: AcceptResult): Outcome => (r.ok ? 'accept' : r.reason);

/** The advert from `from` as it arrives: plain, or signed with key id/key/time. */
function packet(o: { from?: string; signed?: { keyId?: number; keyHex?: string; wallMs?: number } } = {}) {
  const from = o.from ?? PEER;
  let bytes = encodeAdvert(v3({ priority: 200 }), { family: 4, srcAddress: from, dstAddress: '224.0.0.18' });
  if (o.signed) {
    bytes = signAdvert(bytes, {
      family: 4,
      version: 3,
      vrid: 51,
      src: ipBytes(from),
      dst: ipBytes('224.0.0.18'),
      keyId: o.signed.keyId ?? 1,
      key: Buffer.from(o.signed.keyHex ?? KEY_HEX, 'hex'),
      seq: clockSeq(o.signed.wallMs ?? NOW),
    });
  }
  return (authTrailer: boolean) =>
    decodeAdvert(bytes, { family: 4, srcAddress: from, dstAddress: '224.0.0.18', authTrailer });
}

const hmacRules = (mode: HmacMode, marks = new ReplayMarks()): ReceiveRules =>
  rules({
    hmac: {
      settings: hmacSettingsOf({
        keys: [{ id: 1, hex: KEY_HEX }],
        activeKey: 1,
        mode,
        antiReplayTime: true,
        timeWindowSec: 5,
      }),
      marks,
      family: 4,
    },
  });

describe('per-peer TTL window (routed unicast: keepalived min_ttl/max_ttl)', () => {
  const r = rules({
    unicastPeers: [ipBytes(ROUTED), ipBytes(PEER)],
    ttlWindows: [{ address: ipBytes(ROUTED), minTtl: 250, maxTtl: 254 }],
  });
  const rows: [string, string, number, Outcome][] = [
    ['a routed peer inside its window', ROUTED, 252, 'accept'],
    ['a routed peer at its window edges', ROUTED, 250, 'accept'],
    ['a routed peer below its window', ROUTED, 249, 'ttl'],
    ['a routed peer above its window (255 is not in [250, 254])', ROUTED, 255, 'ttl'],
    ['a peer without a window: TTL 255 still required', PEER, 254, 'ttl'],
    ['a peer without a window at 255', PEER, 255, 'accept'],
  ];
  for (const [name, from, ttl, want] of rows) {
    it(`${name} → ${want}`, () => {
      expect(outcome(acceptAdvert(r, packet({ from })(false), meta({ from, ttl })))).toBe(want);
    });
  }
});

describe('allowed_peers (multicast mode too)', () => {
  const r = rules({ allowedPeers: [ipBytes(PEER)] });
  it('a listed source → accept', () => {
    expect(outcome(acceptAdvert(r, packet()(false), meta()))).toBe('accept');
  });
  it('any other source → unknown-peer', () => {
    const from = '192.0.2.66';
    expect(outcome(acceptAdvert(r, packet({ from })(false), meta({ from })))).toBe('unknown-peer');
  });
  it('no list → any source', () => {
    const from = '192.0.2.66';
    expect(outcome(acceptAdvert(rules(), packet({ from })(false), meta({ from })))).toBe('accept');
  });
});

describe('auth_hmac: the modes', () => {
  const rows: [HmacMode, string, ReturnType<typeof packet>, Outcome][] = [
    ['enforce', 'signed with our key', packet({ signed: {} }), 'accept'],
    ['enforce', 'unsigned', packet(), 'auth-hmac-missing'],
    [
      'enforce',
      'signed with another key',
      packet({ signed: { keyHex: '24'.repeat(32) } }),
      'auth-hmac-invalid',
    ],
    ['enforce', 'an unknown key id', packet({ signed: { keyId: 9 } }), 'auth-hmac-unknown-key'],
    ['enforce', 'stamped an hour ago', packet({ signed: { wallMs: NOW - 3_600_000 } }), 'auth-hmac-stale'],
    ['permissive', 'unsigned', packet(), 'accept'],
    [
      'permissive',
      'signed with another key',
      packet({ signed: { keyHex: '24'.repeat(32) } }),
      'auth-hmac-invalid',
    ],
    ['receive-only', 'unsigned', packet(), 'accept'],
    ['receive-only', 'signed with our key', packet({ signed: {} }), 'accept'],
    [
      'receive-only',
      'stamped an hour ahead',
      packet({ signed: { wallMs: NOW + 3_600_000 } }),
      'auth-hmac-stale',
    ],
  ];
  for (const [mode, name, pkt, want] of rows) {
    it(`${mode}: ${name} → ${want}`, () => {
      expect(outcome(acceptAdvert(hmacRules(mode), pkt(true), meta()))).toBe(want);
    });
  }

  it('the same signed advert twice: the second is a replay', () => {
    const r = hmacRules('enforce');
    const pkt = packet({ signed: {} });
    expect(outcome(acceptAdvert(r, pkt(true), meta()))).toBe('accept');
    expect(outcome(acceptAdvert(r, pkt(true), meta()))).toBe('auth-hmac-replay');
  });

  it('an instance without auth_hmac finds no trailer: the signed advert is too long', () => {
    expect(outcome(acceptAdvert(rules(), packet({ signed: {} })(false), meta()))).toBe('length');
  });
});

describe('advert_rate_limit: state-changing adverts per source', () => {
  it('max 2 per 10 s: the third within the window is dropped, others pass, the window slides', () => {
    const r = rules({ rateLimit: { max: 2, perMs: 10_000, recent: new Map() } });
    const changes = () => true;
    const at = (nowMs: number, from = PEER) =>
      outcome(acceptAdvert(r, packet({ from })(false), meta({ from, nowMs, changesState: changes })));
    expect(at(0)).toBe('accept');
    expect(at(1000)).toBe('accept');
    expect(at(2000)).toBe('rate-limited');
    expect(at(2000, '192.0.2.10')).toBe('accept'); // per source
    expect(at(10_500)).toBe('accept'); // the first has left the window
  });

  it('adverts that change nothing are never limited', () => {
    const r = rules({ rateLimit: { max: 1, perMs: 10_000, recent: new Map() } });
    for (let i = 0; i < 5; i++)
      expect(outcome(acceptAdvert(r, packet()(false), meta({ nowMs: i, changesState: () => false })))).toBe(
        'accept',
      );
  });
});
