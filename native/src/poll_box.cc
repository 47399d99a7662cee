// See poll_box.h.
#include "poll_box.h"

namespace vrrpd {

PollBox* OpenPollBox(uv_loop_t* loop, int fd, void* owner, bool socket, int* err) {
  auto* box = new PollBox{};
  box->owner = owner;
  int rc = socket ? uv_poll_init_socket(loop, &box->handle, fd) : uv_poll_init(loop, &box->handle, fd);
  if (rc < 0) {
    delete box;
    *err = rc;
    return nullptr;
  }
  return box;
}

static void OnPollBoxClosed(uv_handle_t* handle) {
  auto* box = reinterpret_cast<PollBox*>(handle);
  if (box->removeOnClose != nullptr) napi_remove_async_cleanup_hook(box->removeOnClose);
  delete box;
}

void ClosePollBox(PollBox* box, napi_async_cleanup_hook_handle* teardown) {
  if (box == nullptr) return;
  uv_poll_stop(&box->handle);
  box->owner = nullptr;
  box->removeOnClose = *teardown;
  *teardown = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&box->handle), &OnPollBoxClosed);
}

void CallIntoJs(napi_env env, napi_async_context ctx, napi_value recv, napi_value fn, size_t argc,
                const napi_value* argv) {
  napi_value result;
  napi_status st = napi_make_callback(env, ctx, recv, fn, argc, argv, &result);
  bool pending = false;
  if (st == napi_pending_exception || (napi_is_exception_pending(env, &pending) == napi_ok && pending)) {
    napi_value ex;
    if (napi_get_and_clear_last_exception(env, &ex) == napi_ok) napi_fatal_exception(env, ex);
  }
}

}  // namespace vrrpd
