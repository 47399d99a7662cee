// Conversion between JS address objects and struct sockaddr_*.
// JS shapes (one per family, chosen by which keys are present):
//   { address: '192.0.2.1' | '2001:db8::1', port?: number, scopeId?: number }  AF_INET / AF_INET6
//   { nlPid: number, nlGroups?: number }                                      AF_NETLINK
//   { path: string }        ('@name' = Linux abstract namespace)              AF_UNIX
//   { ifindex: number, protocol?: number, mac?: Buffer }                      AF_PACKET
#pragma once
#include <napi.h>
#include <sys/socket.h>

namespace vrrpd {

// Fills ss/len from a JS object; on a bad argument throws a TypeError and returns false.
bool ParseSockaddr(Napi::Env env, Napi::Value v, sockaddr_storage* ss, socklen_t* len);

// Parses an IPv4/IPv6 literal into 4 or 16 bytes; returns the family (AF_INET/AF_INET6) or 0.
int ParseIp(const std::string& text, unsigned char out[16]);

// The JS view of a received/bound address (see shapes above; packet adds pkttype).
Napi::Object SockaddrToJs(Napi::Env env, const sockaddr_storage* ss, socklen_t len);

// Formats 4 or 16 address bytes as text (RFC 5952 form from inet_ntop).
Napi::String IpToJs(Napi::Env env, int family, const void* addr);

}  // namespace vrrpd
