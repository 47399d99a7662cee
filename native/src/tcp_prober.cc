// TcpProber: see tcp_prober.h.
#include "tcp_prober.h"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "errors.h"
#include "sockaddr.h"

namespace vrrpd {
namespace {

constexpr int kEventsPerWait = 256;
// Idle sockets kept per family: more than one scheduler tick starts at 10,000 checks/s
// (~100 per 10 ms), few enough to be no burden on the descriptor limit.
constexpr size_t kMaxPooled = 256;
// start()'s failure codes: -(errno | flag), the flag naming the call that failed.
constexpr int kFailedSocket = 0x20000;
constexpr int kFailedBind = 0x10000;

// A sockaddr passed from JS as the bytes sockaddrBytes() made.
bool AsSockaddr(const Napi::Value& v, const sockaddr** sa, socklen_t* len) {
  if (!v.IsBuffer()) return false;
  auto b = v.As<Napi::Buffer<uint8_t>>();
  if (b.Length() == sizeof(sockaddr_in) && reinterpret_cast<const sockaddr*>(b.Data())->sa_family == AF_INET) {
    *sa = reinterpret_cast<const sockaddr*>(b.Data());
    *len = sizeof(sockaddr_in);
    return true;
  }
  if (b.Length() == sizeof(sockaddr_in6) && reinterpret_cast<const sockaddr*>(b.Data())->sa_family == AF_INET6) {
    *sa = reinterpret_cast<const sockaddr*>(b.Data());
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

}  // namespace

Napi::Function TcpProber::Define(Napi::Env env) {
  return DefineClass(env, "TcpProber",
                     {
                         InstanceMethod<&TcpProber::Start>("start"),
                         InstanceMethod<&TcpProber::Cancel>("cancel"),
                         InstanceMethod<&TcpProber::InFlight>("inFlight"),
                         InstanceMethod<&TcpProber::Idle>("idle"),
                         InstanceMethod<&TcpProber::Close>("close"),
                     });
}

// new TcpProber(out: Int32Array, onBatch: (pairs: number) => void)
TcpProber::TcpProber(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TcpProber>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsFunction() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      info[0].As<Napi::TypedArray>().ElementLength() < 2) {
    ThrowArg(env, "new TcpProber(out: Int32Array (>= 2 elements), onBatch: function)");
    return;
  }
  auto out = info[0].As<Napi::Int32Array>();
  out_ = Napi::Persistent(out);
  outData_ = out.Data();
  outPairs_ = out.ElementLength() / 2;
  onBatch_ = Napi::Persistent(info[1].As<Napi::Function>());
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) {
    ThrowErrno(env, errno, "epoll_create1");
    return;
  }
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    ThrowErrno(env, EINVAL, "napi_get_uv_event_loop");
    return;
  }
  int rc = 0;
  poll_ = OpenPollBox(loop, epfd_, this, false, &rc);
  if (poll_ == nullptr) {
    ThrowErrno(env, -rc, "uv_poll_init");
    return;
  }
  rc = uv_poll_start(&poll_->handle, UV_READABLE, &TcpProber::OnPoll);
  if (rc < 0) {
    ThrowErrno(env, -rc, "uv_poll_start");
    return;
  }
  // Keeps the loop alive only while attempts are in flight (UpdateRef).
  uv_unref(reinterpret_cast<uv_handle_t*>(&poll_->handle));
  napi_value resource = Napi::Object::New(env);
  napi_value name = Napi::String::New(env, "vrrpd.TcpProber");
  if (napi_async_init(env, resource, name, &asyncCtx_) != napi_ok) asyncCtx_ = nullptr;
  if (napi_add_async_cleanup_hook(env, &TcpProber::OnEnvTeardown, this, &cleanup_) != napi_ok) cleanup_ = nullptr;
}

TcpProber::~TcpProber() { DoClose(nullptr, true); }

void TcpProber::OnEnvTeardown(napi_async_cleanup_hook_handle handle, void* arg) {
  auto* self = static_cast<TcpProber*>(arg);
  self->cleanup_ = nullptr;
  self->DoClose(handle, false);
}

// Idempotent: closes every attempt's socket, the epoll set and the poll handle.
void TcpProber::DoClose(napi_async_cleanup_hook_handle teardown, bool finalizing) {
  for (Slot& s : slots_) {
    if (s.fd >= 0) close(s.fd);
    s.fd = -1;
    s.state = SlotState::Free;
  }
  slots_.clear();
  free_.clear();
  for (auto& pool : pool_) {
    for (int fd : pool) close(fd);
    pool.clear();
  }
  reported_.clear();
  inFlight_ = 0;
  ClosePollBox(poll_, &teardown);
  poll_ = nullptr;
  if (epfd_ >= 0) {
    close(epfd_);
    epfd_ = -1;
  }
  if (asyncCtx_ != nullptr && !finalizing) {
    napi_async_destroy(env_, asyncCtx_);
  }
  asyncCtx_ = nullptr;
  if (!finalizing) {
    onBatch_.Reset();
    out_.Reset();
  }
  outData_ = nullptr;
  if (cleanup_ != nullptr) {
    napi_remove_async_cleanup_hook(cleanup_);
    cleanup_ = nullptr;
  }
  if (teardown != nullptr) napi_remove_async_cleanup_hook(teardown);
}

int TcpProber::AllocSlot() {
  if (!free_.empty()) {
    int slot = free_.back();
    free_.pop_back();
    return slot;
  }
  slots_.emplace_back();
  return static_cast<int>(slots_.size()) - 1;
}

void TcpProber::FreeSlot(int slot) {
  Slot& s = slots_[slot];
  s.fd = -1;
  s.state = SlotState::Free;
  free_.push_back(slot);
}

void TcpProber::UpdateRef() {
  if (poll_ == nullptr) return;
  bool want = inFlight_ > 0;
  if (want == refed_) return;
  refed_ = want;
  auto* h = reinterpret_cast<uv_handle_t*>(&poll_->handle);
  if (want) {
    uv_ref(h);
    Ref();  // attempts in flight keep the JS object (and its callback) alive
  } else {
    uv_unref(h);
    Unref();
  }
}

// start(addr: Buffer, bind?: Buffer | null) -> slot (>= 0), or -(errno | flag) when the attempt
// failed at once: flag 0x20000 = socket(), 0x10000 = bind(), none = connect() (e.g. ENETUNREACH).
// A started attempt is reported in a batch, never synchronously.
Napi::Value TcpProber::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (epfd_ < 0) return ThrowErrno(env, EBADF, "TcpProber closed");
  const sockaddr* dst = nullptr;
  socklen_t dstLen = 0;
  if (info.Length() < 1 || !AsSockaddr(info[0], &dst, &dstLen))
    return ThrowArg(env, "start(addr, bind?) needs an address from sockaddrBytes()");
  const sockaddr* src = nullptr;
  socklen_t srcLen = 0;
  if (info.Length() > 1 && !info[1].IsUndefined() && !info[1].IsNull()) {
    if (!AsSockaddr(info[1], &src, &srcLen) || src->sa_family != dst->sa_family)
      return ThrowArg(env, "start(addr, bind?): bind must be an address of the same family");
  }
  const uint8_t pool = dst->sa_family == AF_INET6 ? 1 : 0;
  int fd = -1;
  bool reused = false;
  if (src == nullptr && !pool_[pool].empty()) {
    fd = pool_[pool].back();
    pool_[pool].pop_back();
    reused = true;
  } else {
    fd = socket(dst->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) return Napi::Number::New(env, -(errno | kFailedSocket));
  }
  if (src != nullptr) {
    int one = 1;
    // Only the address is fixed here; the port is chosen at connect() together with the
    // destination, so many checks from one source address do not exhaust bind()'s ports.
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    if (bind(fd, src, srcLen) < 0) {
      int err = errno;
      close(fd);
      return Napi::Number::New(env, -(err | kFailedBind));
    }
  }
  if (connect(fd, dst, dstLen) < 0 && errno != EINPROGRESS) {
    int err = errno;
    close(fd);
    return Napi::Number::New(env, -err);
  }
  int slot = AllocSlot();
  epoll_event ev{};
  // Writable = handshake done; EPOLLERR/EPOLLHUP are always reported. One-shot: an idle
  // pooled socket (closed state, always "hung up") stays registered but silent until re-armed.
  ev.events = EPOLLOUT | EPOLLONESHOT;
  ev.data.u32 = static_cast<uint32_t>(slot);
  if (epoll_ctl(epfd_, reused ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0) {
    int err = errno;
    close(fd);
    free_.push_back(slot);
    return Napi::Number::New(env, -(err | kFailedSocket));
  }
  slots_[slot].poolable = src == nullptr;
  slots_[slot].pool = pool;
  slots_[slot].fd = fd;
  slots_[slot].state = SlotState::Connecting;
  inFlight_++;
  UpdateRef();
  return Napi::Number::New(env, slot);
}

// cancel(slot): closes an attempt still connecting; its outcome is never reported. A slot
// that is not connecting (already reported, or free) is left alone.
Napi::Value TcpProber::Cancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return ThrowArg(env, "cancel(slot) needs a number");
  int slot = info[0].As<Napi::Number>().Int32Value();
  if (slot < 0 || static_cast<size_t>(slot) >= slots_.size()) return Napi::Boolean::New(env, false);
  Slot& s = slots_[slot];
  if (s.state != SlotState::Connecting) return Napi::Boolean::New(env, false);
  close(s.fd);  // also leaves the epoll set: the fd was never duplicated
  if (draining_) {
    // Called from a batch callback: an event for this slot's old socket may still wait in
    // Drain's event array, so the slot must not be reused before Drain has finished.
    s.fd = -1;
    s.state = SlotState::Reported;
    cancelledInDrain_.push_back(slot);
  } else {
    FreeSlot(slot);
  }
  inFlight_--;
  UpdateRef();
  return Napi::Boolean::New(env, true);
}

Napi::Value TcpProber::InFlight(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), inFlight_); }

// idle() -> sockets kept open for reuse (both families)
Napi::Value TcpProber::Idle(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(pool_[0].size() + pool_[1].size()));
}

Napi::Value TcpProber::Close(const Napi::CallbackInfo& info) {
  if (refed_) {
    refed_ = false;
    Unref();
  }
  DoClose(nullptr, false);
  return info.Env().Undefined();
}

void TcpProber::OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  auto* box = reinterpret_cast<PollBox*>(handle);
  auto* self = static_cast<TcpProber*>(box->owner);
  if (self == nullptr) return;
  (void)status;  // an error on the epoll fd itself would show as a failing epoll_wait below
  Napi::Env env(self->env_);
  Napi::HandleScope scope(env);
  self->Drain();
}

// Collects every finished attempt, ends its connection (RST when it was established), and
// reports [slot, errno] pairs; a full output array is flushed to JS and refilled.
void TcpProber::Drain() {
  epoll_event evs[kEventsPerWait];
  Napi::Env env(env_);
  draining_ = true;
  for (;;) {
    if (epfd_ < 0) break;
    int n = epoll_wait(epfd_, evs, kEventsPerWait, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (int i = 0; i < n; i++) {
      int slot = static_cast<int>(evs[i].data.u32);
      if (static_cast<size_t>(slot) >= slots_.size()) continue;
      Slot& s = slots_[slot];
      if (s.state != SlotState::Connecting) continue;
      // A connect that succeeded reports EPOLLOUT alone; a failed one adds EPOLLERR (and
      // EPOLLHUP), and only then is SO_ERROR worth a system call.
      int err = 0;
      if ((evs[i].events & (EPOLLERR | EPOLLHUP)) != 0) {
        socklen_t len = sizeof(err);
        if (getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        if (err == 0) err = (evs[i].events & EPOLLOUT) != 0 ? ECONNRESET : ECONNABORTED;
      }
      // RST instead of FIN: the checker closes first, so a FIN would leave TIME_WAIT here.
      // connect(AF_UNSPEC) resets an established connection and leaves the socket closed and
      // reusable; a failed attempt's socket is not reused.
      bool pooled = false;
      if (err == 0 && s.poolable && pool_[s.pool].size() < kMaxPooled) {
        sockaddr unspec{};
        unspec.sa_family = AF_UNSPEC;
        if (connect(s.fd, &unspec, sizeof(unspec)) == 0) {
          pool_[s.pool].push_back(s.fd);
          pooled = true;
        }
      }
      if (!pooled) {
        if (err == 0) {
          linger lg{1, 0};
          setsockopt(s.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        }
        close(s.fd);
      }
      s.fd = -1;
      s.state = SlotState::Reported;
      reported_.push_back(slot);
      inFlight_--;
      outData_[outCount_ * 2] = slot;
      outData_[outCount_ * 2 + 1] = err;
      if (++outCount_ == outPairs_) Flush(env);
      if (outData_ == nullptr) {  // closed from the callback
        draining_ = false;
        cancelledInDrain_.clear();
        return;
      }
    }
    if (n < kEventsPerWait) break;
  }
  draining_ = false;
  if (outCount_ > 0) Flush(env);
  for (int slot : cancelledInDrain_) {
    if (static_cast<size_t>(slot) < slots_.size() && slots_[slot].state == SlotState::Reported) FreeSlot(slot);
  }
  cancelledInDrain_.clear();
  UpdateRef();
}

// One JS call for the pairs collected so far; their slots are reusable once it returns.
void TcpProber::Flush(Napi::Env env) {
  size_t count = outCount_;
  outCount_ = 0;
  if (!onBatch_.IsEmpty() && count > 0) {
    napi_value arg = Napi::Number::New(env, static_cast<double>(count));
    CallIntoJs(env, asyncCtx_, Value(), onBatch_.Value(), 1, &arg);
  }
  // The slots of this call's pairs are reusable now (the callback has read them).
  for (int slot : reported_) {
    if (static_cast<size_t>(slot) < slots_.size() && slots_[slot].state == SlotState::Reported) FreeSlot(slot);
  }
  reported_.clear();
}

}  // namespace vrrpd
