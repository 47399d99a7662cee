// One socket file descriptor plus a libuv poll handle on the calling env's own loop
// (napi_get_uv_event_loop), so it works inside worker_threads. No process-global state:
// every resource belongs to one Socket, and an async env cleanup hook closes it on env teardown.
#pragma once
#include <napi.h>
#include <sys/socket.h>
#include <uv.h>

#include <vector>

#include "poll_box.h"

namespace vrrpd {

class Socket : public Napi::ObjectWrap<Socket> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Socket(const Napi::CallbackInfo& info);
  ~Socket() override;

 private:
  // JS methods (documented in src/native/index.ts).
  Napi::Value Fd(const Napi::CallbackInfo& info);
  Napi::Value SetIntOption(const Napi::CallbackInfo& info);
  Napi::Value GetIntOption(const Napi::CallbackInfo& info);
  Napi::Value SetStringOption(const Napi::CallbackInfo& info);
  Napi::Value JoinGroup(const Napi::CallbackInfo& info);
  Napi::Value LeaveGroup(const Napi::CallbackInfo& info);
  Napi::Value SetMulticastIf(const Napi::CallbackInfo& info);
  Napi::Value Bind(const Napi::CallbackInfo& info);
  Napi::Value GetSockName(const Napi::CallbackInfo& info);
  Napi::Value SendTo(const Napi::CallbackInfo& info);
  Napi::Value StartReading(const Napi::CallbackInfo& info);
  Napi::Value StopReading(const Napi::CallbackInfo& info);
  Napi::Value StartReadingBatch(const Napi::CallbackInfo& info);
  Napi::Value SetRxFilter(const Napi::CallbackInfo& info);
  Napi::Value SetRef(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  Napi::Value Membership(const Napi::CallbackInfo& info, bool join);
  bool CheckOpen(Napi::Env env);
  void DoClose(napi_async_cleanup_hook_handle teardown, bool finalizing);
  void DrainReadable();
  void DrainBatch();
  void ReleaseBatch();
  bool ArmPoll(Napi::Env env);
  void Deliver(Napi::Env env, napi_value err, napi_value msg);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnEnvTeardown(napi_async_cleanup_hook_handle handle, void* arg);

  int fd_ = -1;
  int domain_ = 0;
  napi_env env_ = nullptr;
  PollBox* poll_ = nullptr;
  bool reading_ = false;
  bool handleRef_ = true;
  napi_async_cleanup_hook_handle cleanup_ = nullptr;
  Napi::FunctionReference onRead_;
  napi_async_context asyncCtx_ = nullptr;
  std::vector<unsigned char> rbuf_;
  // startReadingBatch: datagrams go by recvmmsg straight into slots of a JS ArrayBuffer,
  // their facts into a JS Int32Array (both held here while reading), one JS call per batch
  bool batch_ = false;
  Napi::Reference<Napi::ArrayBuffer> batchData_;
  Napi::Reference<Napi::Int32Array> batchMeta_;
  unsigned char* bdata_ = nullptr;
  int32_t* bmeta_ = nullptr;
  size_t bslot_ = 0;
  unsigned bcount_ = 0;
  std::vector<mmsghdr> bmsgs_;
  std::vector<iovec> biov_;
  std::vector<sockaddr_storage> bfrom_;
  std::vector<unsigned char> bctl_;
  // setRxFilter: the per-VRID table (a copy) and the JS Float64Array the early drops are
  // counted in (advert_filter.h); batched reading only
  std::vector<uint8_t> rxTable_;
  Napi::Reference<Napi::Float64Array> rxCountsRef_;
  double* rxCounts_ = nullptr;
};

}  // namespace vrrpd
