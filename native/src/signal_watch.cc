// watchSignal(signum, fn): a libuv signal handle on the calling thread's own loop (the VRRP
// worker's). libuv's one process-wide handler writes to the loop of every handle watching
// that signal, so this thread wakes for SIGTERM itself, in parallel with the main thread's
// process.on('SIGTERM'), instead of waiting for the main thread to wake and pass a message
// on. The handle is unref'd (it keeps no loop alive) and closed by close() or when the
// env (the worker) is torn down.
#include <napi.h>
#include <uv.h>

#include "errors.h"
#include "poll_box.h"

namespace vrrpd {

namespace {

struct SignalBox {
  uv_signal_t handle;  // first: the handle's address is the box's
  napi_env env;
  napi_ref fn;
  napi_async_context ctx;
  napi_async_cleanup_hook_handle hook;
  bool closing;
};

void OnClosed(uv_handle_t* h) {
  auto* box = reinterpret_cast<SignalBox*>(h);
  if (box->hook != nullptr) napi_remove_async_cleanup_hook(box->hook);
  delete box;
}

// JS side (close()): drop the references, then close the handle.
void CloseFromJs(SignalBox* box) {
  if (box->closing) return;
  box->closing = true;
  uv_signal_stop(&box->handle);
  if (box->fn != nullptr) napi_delete_reference(box->env, box->fn);
  if (box->ctx != nullptr) napi_async_destroy(box->env, box->ctx);
  box->fn = nullptr;
  box->ctx = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&box->handle), &OnClosed);
}

// Env teardown: the env frees its references itself; close the handle and report done.
void Teardown(napi_async_cleanup_hook_handle, void* arg) {
  auto* box = static_cast<SignalBox*>(arg);
  if (box->closing) return;  // already closing: OnClosed removes the hook
  box->closing = true;
  box->fn = nullptr;
  box->ctx = nullptr;
  uv_signal_stop(&box->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(&box->handle), &OnClosed);
}

void OnSignal(uv_signal_t* h, int signum) {
  auto* box = reinterpret_cast<SignalBox*>(h);
  if (box->closing || box->fn == nullptr) return;
  napi_env env = box->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, arg;
  if (napi_get_reference_value(env, box->fn, &fn) == napi_ok && fn != nullptr) {
    napi_get_global(env, &recv);  // MakeCallback wants an object as receiver
    napi_create_int32(env, signum, &arg);
    CallIntoJs(env, box->ctx, recv, fn, 1, &arg);
  }
  napi_close_handle_scope(env, scope);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  CloseFromJs(static_cast<SignalBox*>(info.Data()));
  return info.Env().Undefined();
}

}  // namespace

// watchSignal(signum, fn) → close(); close() must be called at most once (the JS wrapper
// guards it).
Napi::Value WatchSignal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction())
    return ThrowArg(env, "watchSignal(signum, fn)");
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr)
    return ThrowArg(env, "watchSignal: no event loop");
  auto* box = new SignalBox{};
  box->env = env;
  int rc = uv_signal_init(loop, &box->handle);
  if (rc < 0) {
    delete box;
    return ThrowErrno(env, -rc, "uv_signal_init");
  }
  rc = uv_signal_start(&box->handle, &OnSignal, info[0].As<Napi::Number>().Int32Value());
  if (rc < 0) {
    box->closing = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&box->handle), &OnClosed);
    return ThrowErrno(env, -rc, "uv_signal_start");
  }
  uv_unref(reinterpret_cast<uv_handle_t*>(&box->handle));
  napi_create_reference(env, info[1], 1, &box->fn);
  napi_value name;
  napi_create_string_utf8(env, "vrrpd:signal", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, nullptr, name, &box->ctx);
  napi_add_async_cleanup_hook(env, &Teardown, box, &box->hook);
  return Napi::Function::New(env, &Close, "close", box);
}

}  // namespace vrrpd
