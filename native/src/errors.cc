#include "errors.h"

#include <uv.h>

#include <string>

namespace vrrpd {

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall) {
  // libuv's tables give the symbolic name ("ENODEV") and text for -errno.
  const char* code = uv_err_name(-err);
  std::string msg = std::string(syscall) + " failed: " + uv_strerror(-err) + " (" + code + ")";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

Napi::Value ThrowErrno(Napi::Env env, int err, const char* syscall) {
  ErrnoError(env, err, syscall).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value ThrowArg(Napi::Env env, const char* message) {
  Napi::TypeError e = Napi::TypeError::New(env, message);
  e.Set("code", Napi::String::New(env, "ERR_INVALID_ARG"));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace vrrpd
