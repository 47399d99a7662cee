// Early drops of received VRRP packets, before they reach JS (Socket::SetRxFilter): the
// first rules of the TypeScript receive path (src/net/ip-header.ts, src/vrrp/codec.ts and
// src/vrrp/accept.ts, in their order), for one socket, from a per-VRID table that JS
// builds (src/vrrp/rx-filter.ts documents its layout). A packet is judged here only as far
// as these rules go: one that passes them is judged again, fully, by JS. A drop names the
// same reason JS would, so the counts fold into the same counters.
#pragma once
#include <cstddef>
#include <cstdint>

namespace vrrpd {

// The reasons in the order of the counts (names as in src/vrrp/drop-reason.ts).
constexpr int kRxReasonCount = 18;
extern const char* const kRxReasonNames[kRxReasonCount];
// counts[reason * kRxColumns + column]: column 0 the interface (no VRID read), else VRID + 1;
// one more double at the end holds the total (whether anything is waiting to be folded).
constexpr size_t kRxColumns = 257;
constexpr size_t kRxCountSlots = kRxReasonCount * kRxColumns + 1;
constexpr size_t kRxEntryBytes = 32;
constexpr size_t kRxTableBytes = 256 * kRxEntryBytes;

// The verdict on one datagram as read from the socket: for family 4 the whole IP packet,
// for family 6 the payload with src/dst (16 bytes each, null when the socket did not say)
// and ttl from ancillary data. Returns the reason's index, or -1: let JS judge it.
int RxJudge(const uint8_t* table, int family, const uint8_t* data, size_t len, const uint8_t* src6,
            const uint8_t* dst6, int ttl, int* column);

}  // namespace vrrpd
