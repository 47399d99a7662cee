// Early drops of received VRRP packets (advert_filter.h). Every rule here has its twin in
// TypeScript, named beside it; test/unit/native-rx-filter.test.ts holds the two to the
// same verdicts on many mutated packets.
#include "advert_filter.h"

#include <cstring>

namespace vrrpd {

const char* const kRxReasonNames[kRxReasonCount] = {
    "ip-too-short", "ip-version", "ip-header-length", "ip-total-length", "ip-checksum", "ip-fragment",
    "length",       "version",    "type",             "family",          "checksum",    "own-packet",
    "ttl",          "vrid",       "advert-interval",  "auth-type-invalid", "auth-type-mismatch",
    "auth-failure",
};

namespace {

enum Reason {
  kIpTooShort, kIpVersion, kIpHeaderLength, kIpTotalLength, kIpChecksum, kIpFragment,
  kLength, kVersion, kType, kFamily, kChecksum, kOwnPacket,
  kTtl, kVrid, kAdvertInterval, kAuthTypeInvalid, kAuthTypeMismatch, kAuthFailure,
};

// table entry flags (src/vrrp/rx-filter.ts)
constexpr uint8_t kConfigured = 1;
constexpr uint8_t kTtlWindows = 2;     // per-peer TTL windows: TTL and what follows are JS's
constexpr uint8_t kNoPseudo = 4;       // v3 over IPv4 checksummed without the pseudo-header
constexpr uint8_t kAuthTrailer = 8;    // an auth_hmac trailer may follow the advert
constexpr uint8_t kAuthData = 16;      // v2 simple password: the 8 bytes at entry[24..32)
constexpr uint8_t kCodecOnly = 32;     // after the codec and VRID rules, JS decides

constexpr int kProtocolVrrp = 112;
constexpr int kTtlVrrp = 255;
constexpr size_t kAuthTrailerBytes = 28;

uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

// src/net/checksum.ts rangeSum: the one's complement sum of [start, end), folded to 16 bits
uint32_t RangeSum(const uint8_t* b, size_t n, uint64_t initial) {
  uint64_t sum = initial;
  size_t i = 0;
  for (; i + 1 < n; i += 2) sum += static_cast<uint64_t>((b[i] << 8) | b[i + 1]);
  if (i < n) sum += static_cast<uint64_t>(b[i]) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint32_t>(sum);
}

// checksum.ts pseudoHeaderSum
uint32_t PseudoSum(const uint8_t* src, const uint8_t* dst, size_t alen, size_t length) {
  uint64_t sum = RangeSum(src, alen, RangeSum(dst, alen, 0)) + kProtocolVrrp;
  if (alen == 4)
    sum += length & 0xffff;
  else
    sum += ((length >> 16) & 0xffff) + (length & 0xffff);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint32_t>(sum);
}

}  // namespace

int RxJudge(const uint8_t* table, int family, const uint8_t* data, size_t len, const uint8_t* src6,
            const uint8_t* dst6, int ttl, int* column) {
  *column = 0;
  const uint8_t* payload = data;
  size_t plen = len;
  const uint8_t* src = src6;
  const uint8_t* dst = dst6;
  const size_t alen = family == 4 ? 4 : 16;
  if (family == 4) {
    // ip-header.ts parseIpv4
    if (len < 20) return kIpTooShort;
    if ((data[0] >> 4) != 4) return kIpVersion;
    size_t hl = static_cast<size_t>(data[0] & 0x0f) * 4;
    if (hl < 20) return kIpHeaderLength;
    if (len < hl) return kIpTooShort;
    size_t total = Be16(data + 2);
    if (total < hl || total > len) return kIpTotalLength;
    if (RangeSum(data, hl, 0) != 0xffff) return kIpChecksum;
    uint16_t frag = Be16(data + 6);
    if ((frag & 0x2000) != 0 || (frag & 0x1fff) != 0) return kIpFragment;
    if (data[9] != kProtocolVrrp) return -1;  // engine.ts: not VRRP, not counted
    src = data + 12;
    dst = data + 16;
    ttl = data[8];
    payload = data + hl;
    plen = total - hl;
  } else if (src == nullptr || dst == nullptr) {
    return -1;  // raw-transport.ts leaves these out uncounted
  }
  // engine.ts onPacket: the instance by the VRID byte
  const uint8_t* e = nullptr;
  if (plen >= 2) {
    *column = payload[1] + 1;
    e = table + payload[1] * kRxEntryBytes;
    if ((e[0] & kConfigured) == 0) e = nullptr;
  }
  // accept.ts PACKET_RULES: own packet, then TTL
  if (e != nullptr && e[4] == alen && std::memcmp(src, e + 8, alen) == 0) return kOwnPacket;
  if (e != nullptr && (e[0] & kTtlWindows) != 0) return -1;
  if (ttl != kTtlVrrp) return kTtl;
  // codec.ts decodeAdvert
  if (plen < 8) return kLength;
  int version = payload[0] >> 4;
  if (version != 2 && version != 3) return kVersion;
  if ((payload[0] & 0x0f) != 1) return kType;
  if (version == 2 && family != 4) return kFamily;
  size_t expected = 8 + payload[3] * alen + (version == 2 ? 8 : 0);
  bool trailerOk = e == nullptr || (e[0] & kAuthTrailer) != 0;
  bool trailed = trailerOk && plen == expected + kAuthTrailerBytes;
  if (plen != expected && !trailed) return kLength;
  size_t blen = trailed && family == 4 ? expected : plen;
  if (version == 3) {
    bool pseudo = family == 6 || e == nullptr || (e[0] & kNoPseudo) == 0;
    uint32_t init = pseudo ? PseudoSum(src, dst, alen, blen) : 0;
    if (RangeSum(payload, blen, init) != 0xffff) return kChecksum;
  } else if (RangeSum(payload, blen, 0) != 0xffff) {
    return kChecksum;
  }
  // accept.ts: the VRID must be configured here
  if (e == nullptr) return kVrid;
  if ((e[0] & kCodecOnly) != 0) return -1;
  // accept.ts ADVERT_RULES, as far as they need nothing but the table
  if (version != e[1]) return kVersion;
  int interval = version == 2 ? payload[5] : (Be16(payload + 4) & 0x0fff);
  if (interval == 0) return kAdvertInterval;
  if (version == 2) {
    int authType = payload[4];
    if (authType != 0 && authType != 1) return kAuthTypeInvalid;
    int want = (e[0] & kAuthData) != 0 ? 1 : 0;
    if (authType != want) return kAuthTypeMismatch;
    if (want == 1 && std::memcmp(payload + expected - 8, e + 24, 8) != 0) return kAuthFailure;
    if (payload[5] * 100 != Be16(e + 2)) return kAdvertInterval;
  }
  return -1;
}

}  // namespace vrrpd
