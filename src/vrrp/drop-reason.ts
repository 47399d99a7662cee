// The one vocabulary of reasons a received VRRP packet is discarded (ARCHITECTURE rules 9
// and 11). The strings are a contract: they are the keys of the status document's drop
// counters (`counters.drops`, `globalDrops`) and the `reason` label of vrrpd_drops_total /
// vrrpd_unmatched_drops_total, and operators alert on them. Add reasons; never rename one.
// Names follow the RFC 6527 (VRRPv3 MIB) statistics and the RFC 2787 (VRRPv2 MIB)
// authentication counters.
//
// Each list names the one place that decides it, so that a reason that is declared is
// also produced (test/unit/drop-reasons.test.ts checks both directions). The IP header's
// reasons are decided by src/net/ip-header.ts (IP_HEADER_DROP_REASONS).
import { IP_HEADER_DROP_REASONS, type IpHeaderDropReason } from '../net/ip-header.js';

/** Decided by the codec (src/vrrp/codec.ts): the bytes are not a VRRP message it can read. */
export const CODEC_DROP_REASONS = [
  'length', // vrrpv3StatisticsPacketLengthErrors: shorter than the header, or than header + addresses
  'version', // vrrpv3StatisticsVersionErrors: version field neither 2 nor 3
  'type', // vrrpv3StatisticsRcvdInvalidTypePackets: type field not 1 (advertisement)
  'family', // VRRPv2 over IPv6, or packet addresses not of the socket's family
  'checksum', // vrrpv3StatisticsChecksumErrors: bad VRRP checksum (RFC 5798 §7.1)
] as const;

/** Decided by the receive filter (src/vrrp/accept.ts), against the instance's configuration. */
export const ACCEPT_DROP_REASONS = [
  'own-packet', // our own advert heard back (unicast to ourselves, a loop); not an error
  'ttl', // vrrpv3StatisticsIpTtlErrors: TTL / hop limit not 255 (RFC 5798 §7.1)
  'vrid', // vrrpv3StatisticsVrIdErrors: no instance with this VRID on the interface
  'version', // vrrpv3StatisticsVersionErrors: not the version the instance runs
  'advert-interval', // vrrpv3StatisticsAdvIntervalErrors: interval 0, or a v2 interval not ours
  'auth-type-invalid', // vrrpStatsInvalidAuthType: v2 auth type other than 0 or 1
  'auth-type-mismatch', // vrrpStatsAuthTypeMismatch: v2 auth type differs from ours
  'auth-failure', // vrrpStatsAuthFailures: v2 password differs from ours
  'unknown-peer', // unicast: the source is not one of the instance's unicast_peers; or not in allowed_peers
  'auth-hmac-missing', // auth_hmac enforce: the advert has no trailer
  'auth-hmac-malformed', // auth_hmac: trailer of an unknown type, or reserved bits set
  'auth-hmac-unknown-key', // auth_hmac: the trailer's key id is not one of ours
  'auth-hmac-invalid', // auth_hmac: the HMAC does not verify (wrong key, forged or altered advert)
  'auth-hmac-stale', // auth_hmac anti_replay time: the stamp is outside time_window of our clock
  'auth-hmac-replay', // auth_hmac: the sequence does not grow (a replayed advert)
  'rate-limited', // advert_rate_limit: too many state-changing adverts from this source
] as const;

export type CodecDropReason = (typeof CODEC_DROP_REASONS)[number];
export type AcceptDropReason = (typeof ACCEPT_DROP_REASONS)[number];
export type { IpHeaderDropReason };
export type DropReason = IpHeaderDropReason | CodecDropReason | AcceptDropReason;

/** Every reason, each once, in a stable order (for documentation, label sets and tests). */
export const DROP_REASONS: readonly DropReason[] = [
  ...new Set<DropReason>([...IP_HEADER_DROP_REASONS, ...CODEC_DROP_REASONS, ...ACCEPT_DROP_REASONS]),
];

/** Counters by reason; an absent key is 0. */
export type DropCounts = Partial<Record<DropReason, number>>;
