#include "sockaddr.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>
#include <string>

#include "errors.h"

namespace vrrpd {

int ParseIp(const std::string& text, unsigned char out[16]) {
  if (inet_pton(AF_INET, text.c_str(), out) == 1) return AF_INET;
  if (inet_pton(AF_INET6, text.c_str(), out) == 1) return AF_INET6;
  return 0;
}

static uint32_t OptU32(Napi::Object o, const char* key, uint32_t dflt) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : dflt;
}

bool ParseSockaddr(Napi::Env env, Napi::Value v, sockaddr_storage* ss, socklen_t* len) {
  std::memset(ss, 0, sizeof(*ss));
  if (!v.IsObject()) {
    ThrowArg(env, "address must be an object");
    return false;
  }
  Napi::Object o = v.As<Napi::Object>();
  if (o.Has("address")) {
    Napi::Value a = o.Get("address");
    if (!a.IsString()) {
      ThrowArg(env, "address.address must be a string");
      return false;
    }
    unsigned char raw[16];
    std::string text = a.As<Napi::String>().Utf8Value();
    int fam = ParseIp(text, raw);
    uint16_t port = htons(static_cast<uint16_t>(OptU32(o, "port", 0)));
    if (fam == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(ss);
      sin->sin_family = AF_INET;
      sin->sin_port = port;
      std::memcpy(&sin->sin_addr, raw, 4);
      *len = sizeof(*sin);
      return true;
    }
    if (fam == AF_INET6) {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(ss);
      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = port;
      sin6->sin6_scope_id = OptU32(o, "scopeId", 0);
      std::memcpy(&sin6->sin6_addr, raw, 16);
      *len = sizeof(*sin6);
      return true;
    }
    std::string msg = "not an IPv4/IPv6 address: '" + text + "'";
    ThrowArg(env, msg.c_str());
    return false;
  }
  if (o.Has("nlPid")) {
    auto* nl = reinterpret_cast<sockaddr_nl*>(ss);
    nl->nl_family = AF_NETLINK;
    nl->nl_pid = OptU32(o, "nlPid", 0);
    nl->nl_groups = OptU32(o, "nlGroups", 0);
    *len = sizeof(*nl);
    return true;
  }
  if (o.Has("path")) {
    auto* sun = reinterpret_cast<sockaddr_un*>(ss);
    std::string path = o.Get("path").ToString().Utf8Value();
    if (path.empty() || path.size() >= sizeof(sun->sun_path)) {
      ThrowArg(env, "unix socket path is empty or longer than 107 bytes");
      return false;
    }
    sun->sun_family = AF_UNIX;
    std::memcpy(sun->sun_path, path.data(), path.size());
    // Abstract namespace: a leading NUL, and the length counts exactly the name bytes.
    if (path[0] == '@') sun->sun_path[0] = '\0';
    *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (path[0] == '@' ? 0 : 1));
    return true;
  }
  if (o.Has("ifindex")) {
    auto* ll = reinterpret_cast<sockaddr_ll*>(ss);
    ll->sll_family = AF_PACKET;
    ll->sll_ifindex = static_cast<int>(OptU32(o, "ifindex", 0));
    ll->sll_protocol = htons(static_cast<uint16_t>(OptU32(o, "protocol", 0)));
    Napi::Value mac = o.Get("mac");
    if (mac.IsBuffer()) {
      auto b = mac.As<Napi::Buffer<uint8_t>>();
      size_t n = b.Length() > 8 ? 8 : b.Length();
      std::memcpy(ll->sll_addr, b.Data(), n);
      ll->sll_halen = static_cast<unsigned char>(n);
    }
    *len = sizeof(*ll);
    return true;
  }
  ThrowArg(env, "address object needs one of: address, nlPid, path, ifindex");
  return false;
}

Napi::String IpToJs(Napi::Env env, int family, const void* addr) {
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(family, addr, buf, sizeof(buf)) == nullptr) buf[0] = '\0';
  return Napi::String::New(env, buf);
}

Napi::Object SockaddrToJs(Napi::Env env, const sockaddr_storage* ss, socklen_t len) {
  Napi::Object o = Napi::Object::New(env);
  if (len < sizeof(sa_family_t)) return o;
  switch (ss->ss_family) {
    case AF_INET: {
      auto* sin = reinterpret_cast<const sockaddr_in*>(ss);
      o.Set("address", IpToJs(env, AF_INET, &sin->sin_addr));
      o.Set("port", Napi::Number::New(env, ntohs(sin->sin_port)));
      break;
    }
    case AF_INET6: {
      auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ss);
      o.Set("address", IpToJs(env, AF_INET6, &sin6->sin6_addr));
      o.Set("port", Napi::Number::New(env, ntohs(sin6->sin6_port)));
      o.Set("scopeId", Napi::Number::New(env, sin6->sin6_scope_id));
      break;
    }
    case AF_NETLINK: {
      auto* nl = reinterpret_cast<const sockaddr_nl*>(ss);
      o.Set("nlPid", Napi::Number::New(env, nl->nl_pid));
      o.Set("nlGroups", Napi::Number::New(env, nl->nl_groups));
      break;
    }
    case AF_UNIX: {
      auto* sun = reinterpret_cast<const sockaddr_un*>(ss);
      size_t n = len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
      std::string path(sun->sun_path, n);
      if (!path.empty() && path[0] == '\0') path[0] = '@';
      else path = path.c_str();  // drop the trailing NUL of a filesystem path
      o.Set("path", Napi::String::New(env, path));
      break;
    }
    case AF_PACKET: {
      auto* ll = reinterpret_cast<const sockaddr_ll*>(ss);
      o.Set("ifindex", Napi::Number::New(env, ll->sll_ifindex));
      o.Set("protocol", Napi::Number::New(env, ntohs(ll->sll_protocol)));
      o.Set("pkttype", Napi::Number::New(env, ll->sll_pkttype));
      size_t n = ll->sll_halen > 8 ? 8 : ll->sll_halen;
      o.Set("mac", Napi::Buffer<uint8_t>::Copy(env, ll->sll_addr, n));
      break;
    }
    default:
      break;
  }
  return o;
}

}  // namespace vrrpd
