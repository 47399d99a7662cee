// vrrpd's Node-API addon: file descriptors and syscalls only (ARCHITECTURE rule 10).
// Exports: Socket (socket.h), TcpProber (tcp_prober.h), sockaddrBytes, constants,
// ifNameToIndex, ifIndexToName, interfaceMac, unixDgramSend, writeInNetns. All protocol logic lives in
// TypeScript (src/native/, src/effects/, src/check/tcp-connect.ts).
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "advert_filter.h"
#include "errors.h"
#include "sockaddr.h"
#include "socket.h"
#include "tcp_prober.h"

namespace vrrpd {
namespace {

Napi::Value IfNameToIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) return ThrowArg(env, "ifNameToIndex(name) needs a string");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  unsigned idx = if_nametoindex(name.c_str());
  if (idx == 0) {
    std::string label = "if_nametoindex(" + name + ")";
    return ThrowErrno(env, errno, label.c_str());
  }
  return Napi::Number::New(env, idx);
}

Napi::Value IfIndexToName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return ThrowArg(env, "ifIndexToName(index) needs a number");
  char buf[IF_NAMESIZE];
  if (if_indextoname(info[0].As<Napi::Number>().Uint32Value(), buf) == nullptr)
    return ThrowErrno(env, errno, "if_indextoname");
  return Napi::String::New(env, buf);
}

// interfaceMac(name) -> Buffer(6): the hardware address via SIOCGIFHWADDR.
Napi::Value InterfaceMac(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) return ThrowArg(env, "interfaceMac(name) needs a string");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (name.size() >= IFNAMSIZ) return ThrowErrno(env, ENODEV, "ioctl(SIOCGIFHWADDR)");
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ThrowErrno(env, errno, "socket");
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.c_str(), name.size());
  int rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
  int err = errno;
  close(fd);
  if (rc < 0) return ThrowErrno(env, err, "ioctl(SIOCGIFHWADDR)");
  return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<uint8_t*>(ifr.ifr_hwaddr.sa_data), 6);
}

// unixDgramSend(path, data): one datagram to a unix socket ('@name' = abstract), e.g. sd_notify.
Napi::Value UnixDgramSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsBuffer())
    return ThrowArg(env, "unixDgramSend(path, buffer) needs a string and a Buffer");
  Napi::Object addr = Napi::Object::New(env);
  addr.Set("path", info[0]);
  sockaddr_storage ss;
  socklen_t len = 0;
  if (!ParseSockaddr(env, addr, &ss, &len)) return env.Undefined();
  auto data = info[1].As<Napi::Buffer<uint8_t>>();
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return ThrowErrno(env, errno, "socket(AF_UNIX)");
  ssize_t n;
  do {
    n = sendto(fd, data.Data(), data.Length(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&ss), len);
  } while (n < 0 && errno == EINTR);
  int err = errno;
  close(fd);
  if (n < 0) return ThrowErrno(env, err, "sendto(AF_UNIX)");
  return env.Undefined();
}

// Writes all of text to fd; 0 or an errno value.
int WriteAll(int fd, const std::string& text) {
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    off += static_cast<size_t>(n);
  }
  return 0;
}

// writeInNetns(nsPath, [[file, text], ...]): this thread enters the network namespace
// nsPath names (e.g. /run/netns/NAME), writes each file (files under /proc/sys/net follow the
// writer's namespace), and returns to its own namespace before returning, also on error.
// Network namespaces are per thread, so nothing else in the process is affected.
Napi::Value WriteInNetns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsArray())
    return ThrowArg(env, "writeInNetns(nsPath, [[file, text], ...]) needs a string and an array");
  std::string nsPath = info[0].As<Napi::String>().Utf8Value();
  Napi::Array list = info[1].As<Napi::Array>();
  std::vector<std::pair<std::string, std::string>> files;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value v = list.Get(i);
    if (!v.IsArray()) return ThrowArg(env, "writeInNetns(): each entry is [file, text]");
    Napi::Array e = v.As<Napi::Array>();
    if (e.Length() != 2 || !e.Get(0u).IsString() || !e.Get(1u).IsString())
      return ThrowArg(env, "writeInNetns(): each entry is [file, text]");
    files.emplace_back(e.Get(0u).As<Napi::String>().Utf8Value(), e.Get(1u).As<Napi::String>().Utf8Value());
  }
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) return ThrowErrno(env, errno, "open(/proc/thread-self/ns/net)");
  int target = open(nsPath.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int err = errno;
    close(self);
    std::string label = "open(" + nsPath + ")";
    return ThrowErrno(env, err, label.c_str());
  }
  if (setns(target, CLONE_NEWNET) < 0) {
    int err = errno;
    close(self);
    close(target);
    std::string label = "setns(" + nsPath + ")";
    return ThrowErrno(env, err, label.c_str());
  }
  int err = 0;
  std::string failed;
  for (const auto& [file, text] : files) {
    int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC | O_TRUNC);
    if (fd < 0) {
      err = errno;
      failed = "open(" + file + ")";
      break;
    }
    err = WriteAll(fd, text);
    close(fd);
    if (err != 0) {
      failed = "write(" + file + ")";
      break;
    }
  }
  // Staying in the other namespace would silently move every later socket of this thread.
  if (setns(self, CLONE_NEWNET) < 0) {
    std::perror("vrrpd: writeInNetns: cannot return to the thread's own network namespace");
    std::abort();
  }
  close(self);
  close(target);
  if (err != 0) return ThrowErrno(env, err, failed.c_str());
  return env.Undefined();
}

// sockaddrBytes({address, port, scopeId?}) -> Buffer: the struct sockaddr_in/in6 bytes, made
// once per target so that TcpProber.start() parses nothing per attempt.
Napi::Value SockaddrBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sockaddr_storage ss;
  socklen_t len = 0;
  if (info.Length() < 1 || !ParseSockaddr(env, info[0], &ss, &len)) {
    if (!env.IsExceptionPending()) ThrowArg(env, "sockaddrBytes({address, port, scopeId?})");
    return env.Undefined();
  }
  if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
    return ThrowArg(env, "sockaddrBytes() takes an IPv4 or IPv6 address");
  return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<uint8_t*>(&ss), len);
}

// rxJudge(table, family, data, src?, dst?, ttl) -> [reason index or -1, column]: the early
// drop filter's verdict on one datagram (advert_filter.h), for tests beside the JS rules.
Napi::Value RxJudgeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto bytes = [](const Napi::Value& v) -> const uint8_t* {
    return v.IsTypedArray() ? static_cast<const uint8_t*>(v.As<Napi::Uint8Array>().Data()) : nullptr;
  };
  if (info.Length() < 6 || !info[0].IsTypedArray() || !info[1].IsNumber() || !info[2].IsTypedArray() ||
      !info[5].IsNumber() || info[0].As<Napi::Uint8Array>().ByteLength() != kRxTableBytes)
    return ThrowArg(env, "rxJudge(table, family, data, src|null, dst|null, ttl)");
  for (int k = 3; k <= 4; k++)
    if (info[k].IsTypedArray() && info[k].As<Napi::Uint8Array>().ByteLength() != 16)
      return ThrowArg(env, "rxJudge: src and dst are 16 bytes");
  auto data = info[2].As<Napi::Uint8Array>();
  int column = 0;
  int reason = RxJudge(bytes(info[0]), info[1].As<Napi::Number>().Int32Value(), data.Data(), data.ByteLength(),
                       bytes(info[3]), bytes(info[4]), info[5].As<Napi::Number>().Int32Value(), &column);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, reason));
  out.Set(1u, Napi::Number::New(env, column));
  return out;
}

Napi::Array RxReasons(Napi::Env env) {
  Napi::Array out = Napi::Array::New(env, kRxReasonCount);
  for (int i = 0; i < kRxReasonCount; i++) out.Set(static_cast<uint32_t>(i), kRxReasonNames[i]);
  return out;
}

#define C(name) constants.Set(#name, Napi::Number::New(env, name))

Napi::Object Constants(Napi::Env env) {
  Napi::Object constants = Napi::Object::New(env);
  C(AF_INET); C(AF_INET6); C(AF_NETLINK); C(AF_PACKET); C(AF_UNIX);
  C(SOCK_RAW); C(SOCK_DGRAM);
  C(SOL_SOCKET); C(SO_BINDTODEVICE); C(SO_RCVBUF); C(SO_RCVBUFFORCE); C(SO_SNDBUF); C(SO_REUSEADDR);
  C(SO_PASSCRED);
  C(IPPROTO_IP); C(IPPROTO_IPV6); C(IPPROTO_RAW); C(IPPROTO_ICMPV6);
  C(IP_PKTINFO); C(IP_RECVTTL); C(IP_TTL); C(IP_TOS); C(IP_MULTICAST_TTL); C(IP_MULTICAST_LOOP);
  C(IP_MULTICAST_ALL); C(IP_HDRINCL);
  C(IP_FREEBIND); C(IPV6_FREEBIND);
  C(IPV6_RECVPKTINFO); C(IPV6_RECVHOPLIMIT); C(IPV6_UNICAST_HOPS); C(IPV6_MULTICAST_HOPS);
  C(IPV6_MULTICAST_LOOP); C(IPV6_TCLASS); C(IPV6_CHECKSUM); C(IPV6_V6ONLY); C(IPV6_MULTICAST_ALL);
  C(SOL_NETLINK); C(NETLINK_ADD_MEMBERSHIP); C(NETLINK_DROP_MEMBERSHIP); C(NETLINK_EXT_ACK);
  C(NETLINK_GET_STRICT_CHK); C(NETLINK_CAP_ACK); C(NETLINK_NO_ENOBUFS);
  C(NETLINK_ROUTE); C(NETLINK_GENERIC);
  C(ETH_P_ALL); C(ETH_P_ARP); C(ETH_P_IP); C(ETH_P_IPV6);
  return constants;
}

#undef C

}  // namespace
}  // namespace vrrpd

// signal_watch.cc
namespace vrrpd {
Napi::Value WatchSignal(const Napi::CallbackInfo& info);
}
using vrrpd::WatchSignal;

// signal_claim.cc
namespace vrrpd {
Napi::Value ClaimSignals(const Napi::CallbackInfo& info);
}
using vrrpd::ClaimSignals;

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  using namespace vrrpd;
  exports.Set("abiVersion", Napi::Number::New(env, 3));
  exports.Set("Socket", Socket::Define(env));
  exports.Set("TcpProber", TcpProber::Define(env));
  exports.Set("sockaddrBytes", Napi::Function::New<SockaddrBytes>(env, "sockaddrBytes"));
  exports.Set("constants", Constants(env));
  exports.Set("ifNameToIndex", Napi::Function::New<IfNameToIndex>(env, "ifNameToIndex"));
  exports.Set("ifIndexToName", Napi::Function::New<IfIndexToName>(env, "ifIndexToName"));
  exports.Set("interfaceMac", Napi::Function::New<InterfaceMac>(env, "interfaceMac"));
  exports.Set("unixDgramSend", Napi::Function::New<UnixDgramSend>(env, "unixDgramSend"));
  exports.Set("writeInNetns", Napi::Function::New<WriteInNetns>(env, "writeInNetns"));
  exports.Set("rxJudge", Napi::Function::New<RxJudgeJs>(env, "rxJudge"));
  exports.Set("rxReasons", RxReasons(env));
  exports.Set("watchSignal", Napi::Function::New<WatchSignal>(env, "watchSignal"));
  exports.Set("claimSignals", Napi::Function::New<ClaimSignals>(env, "claimSignals"));
  return exports;
}

NODE_API_MODULE(vrrpd_native, Init)
