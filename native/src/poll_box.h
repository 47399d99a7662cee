// What Socket and TcpProber share about living on a libuv loop: the heap box of their poll
// handle (it outlives its owner until libuv's close callback) and calling into JS from a
// loop callback.
#pragma once
#include <napi.h>
#include <uv.h>

namespace vrrpd {

struct PollBox {
  uv_poll_t handle;
  // the Socket or TcpProber it serves; null once the owner has closed it
  void* owner;
  napi_async_cleanup_hook_handle removeOnClose;
};

// A new box watching `fd` on `loop` for `owner`, or null with *err set to the libuv error.
// socket: uv_poll_init_socket (a socket fd) rather than uv_poll_init (any fd, e.g. epoll).
PollBox* OpenPollBox(uv_loop_t* loop, int fd, void* owner, bool socket, int* err);

// Stops and closes the box (null: nothing to do). `*teardown`, the env cleanup hook that
// is running (if any), is taken over and released only once libuv has finished closing
// the handle; *teardown is then null (without a box it is left for the caller).
void ClosePollBox(PollBox* box, napi_async_cleanup_hook_handle* teardown);

// Calls `fn` as a top-level macrotask (napi_make_callback runs microtasks after). A throw
// becomes an uncaught exception of this env (process or worker): a loop callback has no
// caller to throw to.
void CallIntoJs(napi_env env, napi_async_context ctx, napi_value recv, napi_value fn, size_t argc,
                const napi_value* argv);

}  // namespace vrrpd
