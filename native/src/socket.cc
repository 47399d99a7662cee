// Socket lifecycle and options. Reading/sending lives in socket_io.cc.
#include "socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "errors.h"
#include "sockaddr.h"

namespace vrrpd {

Napi::Function Socket::Define(Napi::Env env) {
  return DefineClass(env, "Socket",
                     {
                         InstanceMethod<&Socket::Fd>("fd"),
                         InstanceMethod<&Socket::SetIntOption>("setIntOption"),
                         InstanceMethod<&Socket::GetIntOption>("getIntOption"),
                         InstanceMethod<&Socket::SetStringOption>("setStringOption"),
                         InstanceMethod<&Socket::JoinGroup>("joinGroup"),
                         InstanceMethod<&Socket::LeaveGroup>("leaveGroup"),
                         InstanceMethod<&Socket::SetMulticastIf>("setMulticastIf"),
                         InstanceMethod<&Socket::Bind>("bind"),
                         InstanceMethod<&Socket::GetSockName>("getsockname"),
                         InstanceMethod<&Socket::SendTo>("sendTo"),
                         InstanceMethod<&Socket::StartReading>("startReading"),
                         InstanceMethod<&Socket::StopReading>("stopReading"),
                         InstanceMethod<&Socket::StartReadingBatch>("startReadingBatch"),
                         InstanceMethod<&Socket::SetRxFilter>("setRxFilter"),
                         InstanceMethod<&Socket::SetRef>("setRef"),
                         InstanceMethod<&Socket::Close>("close"),
                     });
}

// socket() inside the network namespace nsPath names (this thread only, then back); -1 and
// errno set on failure, `failed` naming the call.
static int SocketInNetns(const std::string& nsPath, int domain, int type, int protocol, std::string& failed) {
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) {
    failed = "open(/proc/thread-self/ns/net)";
    return -1;
  }
  int target = open(nsPath.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0 || setns(target, CLONE_NEWNET) < 0) {
    int err = errno;
    failed = (target < 0 ? "open(" : "setns(") + nsPath + ")";
    if (target >= 0) close(target);
    close(self);
    errno = err;
    return -1;
  }
  int fd = socket(domain, type, protocol);
  int err = errno;
  // Staying in the other namespace would silently move every later socket of this thread.
  if (setns(self, CLONE_NEWNET) < 0) {
    std::perror("vrrpd: Socket: cannot return to the thread's own network namespace");
    std::abort();
  }
  close(self);
  close(target);
  if (fd < 0) failed = "socket";
  errno = err;
  return fd;
}

// new Socket(domain, type, protocol[, netnsPath]): always non-blocking and close-on-exec;
// with netnsPath, the socket belongs to that network namespace (the proc connector
// answers only in the initial one).
Socket::Socket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Socket>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber()) {
    ThrowArg(env, "new Socket(domain, type, protocol) needs three numbers");
    return;
  }
  domain_ = info[0].As<Napi::Number>().Int32Value();
  int type = info[1].As<Napi::Number>().Int32Value();
  int protocol = info[2].As<Napi::Number>().Int32Value();
  if (info.Length() >= 4 && info[3].IsString()) {
    std::string failed;
    fd_ = SocketInNetns(info[3].As<Napi::String>().Utf8Value(), domain_, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        protocol, failed);
    if (fd_ < 0) {
      ThrowErrno(env, errno, failed.c_str());
      return;
    }
  } else {
    fd_ = socket(domain_, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd_ < 0) {
      ThrowErrno(env, errno, "socket");
      return;
    }
  }
  // Closes the fd and poll handle when this env (main thread or worker) goes away.
  if (napi_add_async_cleanup_hook(env, &Socket::OnEnvTeardown, this, &cleanup_) != napi_ok) cleanup_ = nullptr;
}

Socket::~Socket() { DoClose(nullptr, true); }

void Socket::OnEnvTeardown(napi_async_cleanup_hook_handle handle, void* arg) {
  auto* self = static_cast<Socket*>(arg);
  self->cleanup_ = nullptr;  // this hook is now running: it is removed once the handle is closed
  self->DoClose(handle, false);
}

// Idempotent. `teardown` is set when called from the env cleanup hook, which must be
// released only after libuv has finished closing the poll handle.
void Socket::DoClose(napi_async_cleanup_hook_handle teardown, bool finalizing) {
  if (reading_) {
    reading_ = false;
    onRead_.Reset();
    ReleaseBatch();
    // While reading we held a strong reference; at teardown or in our own finalizer
    // the env is already releasing it.
    if (teardown == nullptr && !finalizing) Unref();
  }
  ClosePollBox(poll_, &teardown);
  poll_ = nullptr;
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  if (cleanup_ != nullptr) {
    napi_remove_async_cleanup_hook(cleanup_);
    cleanup_ = nullptr;
  }
  if (teardown != nullptr) napi_remove_async_cleanup_hook(teardown);
}

bool Socket::CheckOpen(Napi::Env env) {
  if (fd_ >= 0) return true;
  ThrowErrno(env, EBADF, "socket closed");
  return false;
}

Napi::Value Socket::Fd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

// setIntOption(level, name, value, label?) — label names the option in errors.
Napi::Value Socket::SetIntOption(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber())
    return ThrowArg(env, "setIntOption(level, name, value) needs three numbers");
  int level = info[0].As<Napi::Number>().Int32Value();
  int name = info[1].As<Napi::Number>().Int32Value();
  int value = info[2].As<Napi::Number>().Int32Value();
  if (setsockopt(fd_, level, name, &value, sizeof(value)) < 0) {
    std::string label = info.Length() > 3 && info[3].IsString()
                            ? "setsockopt(" + info[3].As<Napi::String>().Utf8Value() + ")"
                            : "setsockopt(" + std::to_string(level) + "," + std::to_string(name) + ")";
    return ThrowErrno(env, errno, label.c_str());
  }
  return env.Undefined();
}

Napi::Value Socket::GetIntOption(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber())
    return ThrowArg(env, "getIntOption(level, name) needs two numbers");
  int value = 0;
  socklen_t len = sizeof(value);
  if (getsockopt(fd_, info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value(), &value,
                 &len) < 0)
    return ThrowErrno(env, errno, "getsockopt");
  return Napi::Number::New(env, value);
}

// setStringOption(level, name, text, label?): e.g. SO_BINDTODEVICE with an interface name.
Napi::Value Socket::SetStringOption(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsString())
    return ThrowArg(env, "setStringOption(level, name, text) needs two numbers and a string");
  std::string text = info[2].As<Napi::String>().Utf8Value();
  if (setsockopt(fd_, info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value(),
                 text.c_str(), static_cast<socklen_t>(text.size() + 1)) < 0) {
    std::string label = "setsockopt(" +
                        (info.Length() > 3 && info[3].IsString() ? info[3].As<Napi::String>().Utf8Value()
                                                                 : std::string("string option")) +
                        ")";
    return ThrowErrno(env, errno, label.c_str());
  }
  return env.Undefined();
}

Napi::Value Socket::JoinGroup(const Napi::CallbackInfo& info) { return Membership(info, true); }
Napi::Value Socket::LeaveGroup(const Napi::CallbackInfo& info) { return Membership(info, false); }

// joinGroup(group, ifindex) / leaveGroup(group, ifindex): IPv4 uses ip_mreqn (by ifindex,
// not by address, so an interface without an IPv4 address can still join), IPv6 ipv6_mreq.
Napi::Value Socket::Membership(const Napi::CallbackInfo& info, bool join) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber())
    return ThrowArg(env, "joinGroup/leaveGroup(group, ifindex) needs a string and a number");
  unsigned char raw[16];
  int fam = ParseIp(info[0].As<Napi::String>().Utf8Value(), raw);
  int ifindex = info[1].As<Napi::Number>().Int32Value();
  if (fam == AF_INET) {
    ip_mreqn mr{};
    std::memcpy(&mr.imr_multiaddr, raw, 4);
    mr.imr_ifindex = ifindex;
    int opt = join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP;
    if (setsockopt(fd_, IPPROTO_IP, opt, &mr, sizeof(mr)) < 0)
      return ThrowErrno(env, errno, join ? "setsockopt(IP_ADD_MEMBERSHIP)" : "setsockopt(IP_DROP_MEMBERSHIP)");
  } else if (fam == AF_INET6) {
    ipv6_mreq mr{};
    std::memcpy(&mr.ipv6mr_multiaddr, raw, 16);
    mr.ipv6mr_interface = static_cast<unsigned>(ifindex);
    int opt = join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP;
    if (setsockopt(fd_, IPPROTO_IPV6, opt, &mr, sizeof(mr)) < 0)
      return ThrowErrno(env, errno, join ? "setsockopt(IPV6_JOIN_GROUP)" : "setsockopt(IPV6_LEAVE_GROUP)");
  } else {
    return ThrowArg(env, "group is not an IPv4/IPv6 address");
  }
  return env.Undefined();
}

// setMulticastIf(ifindex): outgoing interface for multicast, by index for both families.
Napi::Value Socket::SetMulticastIf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() < 1 || !info[0].IsNumber()) return ThrowArg(env, "setMulticastIf(ifindex) needs a number");
  int ifindex = info[0].As<Napi::Number>().Int32Value();
  if (domain_ == AF_INET6) {
    if (setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0)
      return ThrowErrno(env, errno, "setsockopt(IPV6_MULTICAST_IF)");
  } else {
    ip_mreqn mr{};
    mr.imr_ifindex = ifindex;
    if (setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) < 0)
      return ThrowErrno(env, errno, "setsockopt(IP_MULTICAST_IF)");
  }
  return env.Undefined();
}

Napi::Value Socket::Bind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  sockaddr_storage ss;
  socklen_t len = 0;
  if (!ParseSockaddr(env, info[0], &ss, &len)) return env.Undefined();
  if (bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) < 0) return ThrowErrno(env, errno, "bind");
  return env.Undefined();
}

Napi::Value Socket::GetSockName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return ThrowErrno(env, errno, "getsockname");
  return SockaddrToJs(env, &ss, len);
}

// setRef(bool): whether an active reader keeps the event loop alive (like net.Socket#unref).
Napi::Value Socket::SetRef(const Napi::CallbackInfo& info) {
  handleRef_ = info.Length() < 1 || info[0].ToBoolean().Value();
  if (poll_ != nullptr) {
    if (handleRef_)
      uv_ref(reinterpret_cast<uv_handle_t*>(&poll_->handle));
    else
      uv_unref(reinterpret_cast<uv_handle_t*>(&poll_->handle));
  }
  return info.Env().Undefined();
}

Napi::Value Socket::Close(const Napi::CallbackInfo& info) {
  DoClose(nullptr, false);
  return info.Env().Undefined();
}

}  // namespace vrrpd
