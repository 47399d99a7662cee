// Connect-only TCP attempts for health checks: non-blocking connect(), completion through
// one private epoll set that is itself watched by a single libuv poll handle, then an RST
// (so no TIME_WAIT is left on the director). A socket whose attempt succeeded is reset with
// connect(AF_UNSPEC) and kept for the next attempt, saving socket(), close() and the epoll
// registration per check. Completions are written into
// a JS-owned Int32Array and reported with one JS call per batch, so a check costs a few
// syscalls and no JS allocation. All state belongs to one TcpProber on the calling env's
// loop; an async env cleanup hook closes everything on env teardown.
#pragma once
#include <napi.h>
#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <vector>

#include "poll_box.h"

namespace vrrpd {

class TcpProber : public Napi::ObjectWrap<TcpProber> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit TcpProber(const Napi::CallbackInfo& info);
  ~TcpProber() override;

 private:
  // JS methods (documented in src/native/tcp-prober.ts).
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value InFlight(const Napi::CallbackInfo& info);
  Napi::Value Idle(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  // A slot is free, connecting (fd >= 0), or reported (completed in the batch being
  // delivered: freed only after the JS callback returns, so the callback cannot reuse a
  // slot whose completion it has not read yet, and cancel() of it is a no-op).
  enum class SlotState : uint8_t { Free, Connecting, Reported };
  struct Slot {
    int fd = -1;
    SlotState state = SlotState::Free;
    // the socket may be reused (not bound to a source address); its family's pool index
    bool poolable = false;
    uint8_t pool = 0;
  };

  int AllocSlot();
  void FreeSlot(int slot);
  void Drain();
  void Flush(Napi::Env env);
  void UpdateRef();
  void DoClose(napi_async_cleanup_hook_handle teardown, bool finalizing);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnEnvTeardown(napi_async_cleanup_hook_handle handle, void* arg);

  int epfd_ = -1;
  napi_env env_ = nullptr;
  PollBox* poll_ = nullptr;
  bool refed_ = false;
  bool draining_ = false;
  int inFlight_ = 0;
  std::vector<Slot> slots_;
  std::vector<int> free_;
  std::vector<int> reported_;
  // slots cancelled from a batch callback: freed when Drain ends (their old socket's event
  // may still be in Drain's event array)
  std::vector<int> cancelledInDrain_;
  // Idle sockets of finished attempts, disconnected and reusable (0: IPv4, 1: IPv6).
  std::vector<int> pool_[2];
  napi_async_cleanup_hook_handle cleanup_ = nullptr;
  Napi::FunctionReference onBatch_;
  Napi::Reference<Napi::Int32Array> out_;
  int32_t* outData_ = nullptr;
  size_t outPairs_ = 0;
  size_t outCount_ = 0;
  napi_async_context asyncCtx_ = nullptr;
};

}  // namespace vrrpd
