// Errno-rich JS errors: every failure names the syscall and carries the errno code,
// so an operator reads "setsockopt(IP_ADD_MEMBERSHIP) failed: No such device (ENODEV)".
#pragma once
#include <napi.h>

namespace vrrpd {

// Builds Error{code, errno, syscall, message} for a positive errno value.
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall);

// Throws ErrnoError(...) as a pending JS exception and returns undefined.
Napi::Value ThrowErrno(Napi::Env env, int err, const char* syscall);

// Throws a TypeError with a stable code (ERR_INVALID_ARG) and returns undefined.
Napi::Value ThrowArg(Napi::Env env, const char* message);

}  // namespace vrrpd
