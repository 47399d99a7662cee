// The receive filter (ARCHITECTURE rule 11): every rule RFC 5798 §7.1 (as updated by
// RFC 9568, and RFC 3768 §7.1 for VRRPv2) sets on a received advertisement, in one pure
// function. The codec only parses (its verdict, checksum included, comes in as is), the
// engine only finds the instance by interface/family/VRID, the state machine only steps:
// whether an advert reaches the state machine, or is dropped and under which counter,
// is decided here and nowhere else.
//
// The rules run in a fixed order; the first that fails names the drop. Adding a rule is
// one more row below (the per-peer TTL window for routed unicast, the allowed_peers list,
// keepalived 2.4's auth_hmac, the per-source rate limit are such rows).
import type { VrrpInstance } from '../config/model.js';
import { ipBytes, sameIpBytes, sameIpSet } from '../net/addr.js';
import { type HmacSettings, hmacSettingsOf, ReplayMarks, verifyTrailer } from './auth-hmac.js';
import {
  AUTH_NONE,
  AUTH_SIMPLE,
  type DecodeResult,
  simpleAuthData,
  VRRP_TTL,
  type VrrpAdvert,
} from './codec.js';
import type { AcceptDropReason, CodecDropReason } from './drop-reason.js';
import type { FsmEvent } from './fsm-types.js';

/** An instance's configuration as the receive filter reads it: built once per (re)config. */
export interface ReceiveRules {
  version: 2 | 3;
  vrid: number;
  /** our Advertisement_Interval in centiseconds (a v2 advert must carry the same) */
  advertIntervalCs: number;
  /** v2 simple-text password as the 8 bytes on the wire; null = no authentication */
  authData: Buffer | null;
  /** our primary address (a packet from it is our own) */
  primaryAddress: Uint8Array;
  /** the VIPs our adverts carry, compared with the sender's list */
  advertAddresses: Uint8Array[];
  /** unicast mode: the only sources we listen to; empty = multicast, any source */
  unicastPeers: Uint8Array[];
  /** routed unicast peers: the TTL/hop limit window accepted from each (others: 255) */
  ttlWindows?: { address: Uint8Array; minTtl: number; maxTtl: number }[];
  /** allowed_peers: the only sources heard, multicast too; absent = no such list */
  allowedPeers?: Uint8Array[];
  /** auth_hmac: the keys and mode, and the replay marks per source (kept over a reload) */
  hmac?: { settings: HmacSettings; marks: ReplayMarks; family: 4 | 6 };
  /** advert_rate_limit: per source, the times of the state-changing adverts accepted */
  rateLimit?: { max: number; perMs: number; recent: Map<string, number[]> };
}

/**
 * `prev`: the rules this instance had before a reload, whose receive state (replay
 * marks, rate-limit history) carries over, so that a reload does not reopen a replay.
 */
export function receiveRulesOf(
  cfg: VrrpInstance,
  primaryAddress: Uint8Array,
  prev?: ReceiveRules,
): ReceiveRules {
  const rules: ReceiveRules = {
    version: cfg.version,
    vrid: cfg.vrid,
    advertIntervalCs: Math.round(cfg.advertIntervalMs / 10),
    authData: cfg.authPass ? simpleAuthData(cfg.authPass) : null,
    primaryAddress,
    advertAddresses: cfg.virtualIps.filter((v) => v.inAdverts).map((v) => ipBytes(v.address)),
    unicastPeers: cfg.unicastPeers.map(ipBytes),
  };
  const windows = cfg.unicastTtlWindows ?? [];
  if (windows.length > 0) {
    rules.ttlWindows = windows.map((w) => ({
      address: ipBytes(w.address),
      minTtl: w.minTtl,
      maxTtl: w.maxTtl,
    }));
  }
  if (cfg.allowedPeers) rules.allowedPeers = cfg.allowedPeers.map(ipBytes);
  if (cfg.authHmac) {
    rules.hmac = {
      settings: hmacSettingsOf(cfg.authHmac),
      marks: prev?.hmac?.marks ?? new ReplayMarks(Math.max(16, cfg.unicastPeers.length)),
      family: cfg.family,
    };
  }
  if (cfg.advertRateLimit) {
    rules.rateLimit = {
      max: cfg.advertRateLimit.max,
      perMs: cfg.advertRateLimit.perMs,
      recent: prev?.rateLimit?.recent ?? new Map(),
    };
  }
  return rules;
}

/**
 * What the IP layer says about the packet that carried the advert. (The engine hands in
 * the whole parsed packet, net/ip-header.ts IpPacket: a rule that needs the destination
 * or the message bytes, HMAC authentication, can widen this.)
 */
export interface PacketMeta {
  /** IP source address bytes */
  src: Uint8Array;
  /** IPv4 TTL / IPv6 hop limit as received */
  ttl: number;
  /** the wall clock (ms since the epoch) at receipt: auth_hmac's time window; default Date.now() */
  wallMs?: number;
  /** the monotonic clock at receipt (advert_rate_limit) */
  nowMs?: number;
  /** advert_rate_limit: would this advert change the instance's state (the engine asks the FSM) */
  changesState?: (priority: number) => boolean;
}

export type AdvertEvent = Extract<FsmEvent, { type: 'advert' }>;

export type Drop = { ok: false; reason: AcceptDropReason | CodecDropReason; detail?: string };

export type AcceptResult =
  | {
      ok: true;
      event: AdvertEvent;
      /**
       * RFC 5798 §7.1: the address list differs from ours. Counted and logged, not dropped
       * (vrrpd accepts it whatever the sender's priority, as keepalived does).
       */
      addressListMismatch: boolean;
    }
  | Drop;

function drop(reason: AcceptDropReason, detail?: string): Drop {
  return detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
}

/** A rule on a decoded advert for a known instance: a drop, or null to go on. */
type AdvertRule = (rules: ReceiveRules, advert: VrrpAdvert, meta: PacketMeta) => Drop | null;

/**
 * The rules on a decoded advert, in order (RFC 5798 §7.1, RFC 3768 §7.1). Each entry
 * names the section it comes from; test/unit/accept-advert.test.ts has a table per row.
 */
const ADVERT_RULES: readonly { section: string; rule: AdvertRule }[] = [
  // RFC 5798 §7.1: the version must be the one configured (3; 2 for an RFC 3768 instance).
  {
    section: 'RFC 5798 §7.1 version',
    rule: (r, a) =>
      a.version === r.version
        ? null
        : drop('version', `version ${a.version} received, configured for version ${r.version}`),
  },
  // RFC 5798 §7.1 (RFC 9568 erratum 8301): a Max Advertise Interval of 0 MUST be dropped;
  // RFC 3768 §5.3.7: a v2 interval of 0 s is no interval either.
  {
    section: 'RFC 9568 §7.1 interval 0',
    rule: (_r, a) =>
      (a.version === 2 ? a.advertIntervalSec : a.maxAdvertIntervalCs) === 0
        ? drop('advert-interval', 'advertisement interval of 0')
        : null,
  },
  // RFC 3768 §7.1 / §5.3.6: the auth type must be known (0 none, 1 simple text; 2, IP
  // Authentication Header, is obsolete and unsupported) and match ours; then the 8 bytes.
  {
    section: 'RFC 3768 §7.1 authentication',
    rule: (r, a) => {
      if (a.version !== 2) return null;
      if (a.authType !== AUTH_NONE && a.authType !== AUTH_SIMPLE) {
        return drop(
          'auth-type-invalid',
          a.authType === 2
            ? 'auth type 2 (IP Authentication Header) is not supported'
            : `unknown auth type ${a.authType}`,
        );
      }
      const want = r.authData ? AUTH_SIMPLE : AUTH_NONE;
      if (a.authType !== want) return drop('auth-type-mismatch', `auth type ${a.authType}, ours is ${want}`);
      if (r.authData && !a.authData.equals(r.authData))
        return drop('auth-failure', 'password differs from ours');
      return null;
    },
  },
  // RFC 3768 §7.1: a v2 advert whose interval differs from ours MUST be discarded. (v3:
  // the backup learns the master's interval instead, RFC 5798 §6.4.2.)
  {
    section: 'RFC 3768 §7.1 interval',
    rule: (r, a) =>
      a.version === 2 && a.advertIntervalSec * 100 !== r.advertIntervalCs
        ? drop('advert-interval', `interval ${a.advertIntervalSec} s, ours is ${r.advertIntervalCs / 100} s`)
        : null,
  },
  // Unicast mode (keepalived's unicast_peer): only the configured peers are heard.
  {
    section: 'unicast peers',
    rule: (r, _a, m) =>
      r.unicastPeers.length > 0 && !r.unicastPeers.some((p) => sameIpBytes(p, m.src))
        ? drop('unknown-peer', 'source is not one of unicast_peers')
        : null,
  },
  // Spoofing defence (allowed_peers): only the listed sources are heard, multicast too.
  {
    section: 'allowed peers',
    rule: (r, _a, m) =>
      r.allowedPeers && !r.allowedPeers.some((p) => sameIpBytes(p, m.src))
        ? drop('unknown-peer', 'source is not one of allowed_peers')
        : null,
  },
  // keepalived 2.4 auth_hmac (draft-cassen-vrrp-auth-hmac): before any field reaches the
  // state machine. enforce needs a trailer; permissive and receive-only also take adverts
  // without one; a trailer that is there and bad is refused in every mode.
  {
    section: 'auth_hmac',
    rule: (r, a, m) => {
      if (!r.hmac) return null;
      if (!a.auth) {
        return r.hmac.settings.mode === 'enforce'
          ? drop('auth-hmac-missing', 'no authentication trailer (auth_hmac mode enforce)')
          : null;
      }
      const { verdict, keyId, skewSec } = verifyTrailer(
        r.hmac.settings,
        { family: r.hmac.family, version: r.version, vrid: r.vrid, src: m.src, ...a.auth },
        m.wallMs ?? Date.now(),
        r.hmac.marks,
      );
      switch (verdict) {
        case 'ok':
          return null;
        case 'malformed':
          return drop('auth-hmac-malformed', 'trailer of an unknown type or with reserved bits set');
        case 'unknown-key':
          return drop('auth-hmac-unknown-key', `key id ${keyId} is not configured`);
        case 'bad-hmac':
          return drop('auth-hmac-invalid', `HMAC with key id ${keyId} does not verify`);
        case 'stale':
          return drop(
            'auth-hmac-stale',
            `stamp ${skewSec} s from our clock, window ${r.hmac.settings.timeWindowSec} s`,
          );
        case 'replay':
          return drop('auth-hmac-replay', 'sequence not above the last one from this source');
      }
    },
  },
  // Spoofing defence (advert_rate_limit): per source, at most `max` adverts that would
  // change our state within `perMs`. Last, so that only adverts otherwise good count.
  {
    section: 'advert rate limit',
    rule: (r, a, m) => {
      const rl = r.rateLimit;
      if (!rl || !m.changesState?.(a.priority)) return null;
      const now = m.nowMs ?? Date.now();
      const key = Buffer.from(m.src).toString('hex');
      const recent = (rl.recent.get(key) ?? []).filter((t) => now - t < rl.perMs);
      if (recent.length >= rl.max) {
        rl.recent.set(key, recent);
        return drop('rate-limited', `more than ${rl.max} state-changing adverts within ${rl.perMs} ms`);
      }
      recent.push(now);
      rl.recent.set(key, recent);
      if (rl.recent.size > 64) rl.recent.delete(rl.recent.keys().next().value!);
      return null;
    },
  },
];

/** A rule on the packet, before its VRID is looked at: `rules` may be undefined. */
type PacketRule = (rules: ReceiveRules | undefined, meta: PacketMeta) => Drop | null;

const PACKET_RULES: readonly { section: string; rule: PacketRule }[] = [
  // Our own advert heard back (unicast to ourselves, a loop) is not news, and no error:
  // first, so that it is never counted as anything else. One test, here only.
  {
    section: 'own packet',
    rule: (r, m) => (r && sameIpBytes(m.src, r.primaryAddress) ? drop('own-packet') : null),
  },
  // RFC 5798 §7.1 / RFC 3768 §7.1: TTL / hop limit MUST be 255 (the sender is on this link).
  // Routed unicast (keepalived's per-peer min_ttl/max_ttl): a listed peer's window instead.
  {
    section: 'RFC 5798 §7.1 TTL',
    rule: (r, m) => {
      const w = r?.ttlWindows?.find((x) => sameIpBytes(x.address, m.src));
      if (w) {
        return m.ttl >= w.minTtl && m.ttl <= w.maxTtl
          ? null
          : drop('ttl', `TTL/hop limit ${m.ttl} outside [${w.minTtl}, ${w.maxTtl}] set for this peer`);
      }
      return m.ttl === VRRP_TTL
        ? null
        : drop('ttl', `TTL/hop limit ${m.ttl}, must be 255: the sender is not on this link`);
    },
  },
];

/** The sections of every rule, in the order they run (for documentation and tests). */
export const RULE_SECTIONS: readonly string[] = [
  ...PACKET_RULES.map((r) => r.section),
  'RFC 5798 §7.1 codec verdict',
  'RFC 5798 §7.1 VRID',
  ...ADVERT_RULES.map((r) => r.section),
];

/**
 * Decides what a received advert is: the FSM event it makes, or the drop and its reason.
 * `rules` is the instance with the advert's VRID on the receiving interface and family,
 * undefined when there is none; `advert` is the codec's verdict on the VRRP message.
 */
export function acceptAdvert(
  rules: ReceiveRules | undefined,
  advert: DecodeResult<VrrpAdvert>,
  meta: PacketMeta,
): AcceptResult {
  for (const { rule } of PACKET_RULES) {
    const dropped = rule(rules, meta);
    if (dropped) return dropped;
  }
  // RFC 5798 §7.1: version, type, length and checksum, as the codec found them.
  if (!advert.ok) return advert;
  // RFC 5798 §7.1: the VRID must be configured on the receiving interface.
  if (!rules || advert.value.vrid !== rules.vrid) {
    return drop('vrid', `VRID ${advert.value.vrid} is not configured on this interface`);
  }
  const a = advert.value;
  for (const { rule } of ADVERT_RULES) {
    const dropped = rule(rules, a, meta);
    if (dropped) return dropped;
  }
  return {
    ok: true,
    event: {
      type: 'advert',
      priority: a.priority,
      // v2 carries whole seconds; the FSM takes centiseconds (RFC 5798 §5.2.7)
      maxAdvertIntervalCs: a.version === 3 ? a.maxAdvertIntervalCs : a.advertIntervalSec * 100,
      srcAddress: meta.src,
    },
    // RFC 5798 §7.1: MAY compare the address list; on a mismatch SHOULD log.
    addressListMismatch: !sameIpSet(a.addresses, rules.advertAddresses),
  };
}
