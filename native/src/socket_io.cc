// Socket send and receive: sendmsg with optional pktinfo/TTL ancillary data, and a
// uv_poll-driven recvmsg loop that parses TTL/hop limit, ifindex and destination address.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>

#include "advert_filter.h"
#include "errors.h"
#include "sockaddr.h"
#include "socket.h"

namespace vrrpd {

namespace {
// Datagrams handled per readable event before yielding to the loop (uv_poll is level-triggered,
// so the rest are read on the next iteration); keeps one busy socket from starving timers.
constexpr int kMaxPerWakeup = 64;
constexpr size_t kDefaultRecvBytes = 65536;
constexpr size_t kCmsgBytes = 256;
// Int32 slots per datagram in startReadingBatch's meta array.
constexpr size_t kBatchMetaInts = 16;
}  // namespace

// sendTo(buf, addr, opts?) -> bytes sent. opts: { src?: string, ifindex?: number, ttl?: number }
// src/ifindex go out as IP_PKTINFO / IPV6_PKTINFO (source address and outgoing interface for
// this datagram only), ttl as IP_TTL / IPV6_HOPLIMIT. Non-blocking: EAGAIN throws with that code.
Napi::Value Socket::SendTo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() < 2 || !info[0].IsBuffer()) return ThrowArg(env, "sendTo(buffer, address, opts?)");
  auto data = info[0].As<Napi::Buffer<uint8_t>>();
  sockaddr_storage ss;
  socklen_t sslen = 0;
  if (!ParseSockaddr(env, info[1], &ss, &sslen)) return env.Undefined();

  iovec iov{data.Data(), data.Length()};
  msghdr msg{};
  msg.msg_name = &ss;
  msg.msg_namelen = sslen;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) unsigned char control[kCmsgBytes];
  std::memset(control, 0, sizeof(control));
  size_t used = 0;

  if (info.Length() > 2 && info[2].IsObject()) {
    Napi::Object o = info[2].As<Napi::Object>();
    Napi::Value src = o.Get("src");
    Napi::Value ifx = o.Get("ifindex");
    Napi::Value ttl = o.Get("ttl");
    int ifindex = ifx.IsNumber() ? ifx.As<Napi::Number>().Int32Value() : 0;
    unsigned char raw[16] = {0};
    int srcFam = 0;
    if (src.IsString()) {
      srcFam = ParseIp(src.As<Napi::String>().Utf8Value(), raw);
      if (srcFam != domain_) return ThrowArg(env, "opts.src is not an address of the socket's family");
    }
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (srcFam != 0 || ifindex != 0) {
      if (domain_ == AF_INET6) {
        in6_pktinfo pi{};
        std::memcpy(&pi.ipi6_addr, raw, 16);
        pi.ipi6_ifindex = static_cast<unsigned>(ifindex);
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(pi));
        std::memcpy(CMSG_DATA(c), &pi, sizeof(pi));
        used += CMSG_SPACE(sizeof(pi));
      } else {
        in_pktinfo pi{};
        std::memcpy(&pi.ipi_spec_dst, raw, 4);
        pi.ipi_ifindex = ifindex;
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(pi));
        std::memcpy(CMSG_DATA(c), &pi, sizeof(pi));
        used += CMSG_SPACE(sizeof(pi));
      }
      c = CMSG_NXTHDR(&msg, c);
    }
    if (ttl.IsNumber()) {
      int t = ttl.As<Napi::Number>().Int32Value();
      c->cmsg_level = domain_ == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
      c->cmsg_type = domain_ == AF_INET6 ? IPV6_HOPLIMIT : IP_TTL;
      c->cmsg_len = CMSG_LEN(sizeof(t));
      std::memcpy(CMSG_DATA(c), &t, sizeof(t));
      used += CMSG_SPACE(sizeof(t));
    }
    msg.msg_controllen = used;
    if (used == 0) msg.msg_control = nullptr;
  }

  ssize_t n;
  do {
    n = sendmsg(fd_, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ThrowErrno(env, errno, "sendmsg");
  return Napi::Number::New(env, static_cast<double>(n));
}

// startReading(cb, maxBytes?): cb(err, msg) per datagram, msg = { data, from, dst?, ifindex?, ttl? }.
// maxBytes is the largest datagram accepted (default 64 KiB); a longer one is reported as an
// EMSGSIZE error instead of being delivered cut short.
Napi::Value Socket::StartReading(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() < 1 || !info[0].IsFunction()) return ThrowArg(env, "startReading(callback, maxBytes?)");
  size_t size = kDefaultRecvBytes;
  if (info.Length() > 1 && info[1].IsNumber()) size = info[1].As<Napi::Number>().Uint32Value();
  if (size < 1024) size = 1024;
  rbuf_.resize(size);
  ReleaseBatch();
  onRead_ = Napi::Persistent(info[0].As<Napi::Function>());
  ArmPoll(env);
  return env.Undefined();
}

// Starts (or restarts) the poll handle for reading; false with a JS exception pending.
bool Socket::ArmPoll(Napi::Env env) {
  if (poll_ == nullptr) {
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      ThrowErrno(env, EINVAL, "napi_get_uv_event_loop");
      return false;
    }
    int err = 0;
    PollBox* box = OpenPollBox(loop, fd_, this, true, &err);
    if (box == nullptr) {
      ThrowErrno(env, -err, "uv_poll_init");
      return false;
    }
    poll_ = box;
    if (!handleRef_) uv_unref(reinterpret_cast<uv_handle_t*>(&box->handle));
  }
  int rc = uv_poll_start(&poll_->handle, UV_READABLE, &Socket::OnPoll);
  if (rc < 0) {
    ThrowErrno(env, -rc, "uv_poll_start");
    return false;
  }
  if (!reading_) {
    reading_ = true;
    Ref();  // an active reader must not be garbage-collected
  }
  return true;
}

// startReadingBatch(cb, data, meta, slotBytes): reads datagrams with recvmmsg, datagram i
// of a batch into data[i*slotBytes ...], and calls cb(null, count) once per batch (at most
// 64 datagrams per readable event in all, as startReading). meta (Int32Array) gets
// kBatchMetaInts per datagram: [slot offset, length, ifindex (0: none), ttl/hop limit
// (-1: none), flags (1: dst known, 2: src known), 0, 0, 0, src (16 bytes), dst (16 bytes)]
// with IPv4 addresses in the first 4 bytes. A datagram longer than slotBytes is reported
// as cb(EMSGSIZE error) and left out, as startReading reports one longer than maxBytes.
// The batch size is what both buffers hold (at most 64). data and meta are read in the
// callback only: the next batch overwrites them.
Napi::Value Socket::StartReadingBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() < 4 || !info[0].IsFunction() || !info[1].IsArrayBuffer() || !info[2].IsTypedArray() ||
      info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array || !info[3].IsNumber())
    return ThrowArg(env, "startReadingBatch(callback, ArrayBuffer, Int32Array, slotBytes)");
  auto data = info[1].As<Napi::ArrayBuffer>();
  auto meta = info[2].As<Napi::Int32Array>();
  size_t slot = info[3].As<Napi::Number>().Uint32Value();
  if (slot < 1024) return ThrowArg(env, "startReadingBatch: slotBytes below 1024");
  size_t count = data.ByteLength() / slot;
  if (meta.ElementLength() / kBatchMetaInts < count) count = meta.ElementLength() / kBatchMetaInts;
  if (count > static_cast<size_t>(kMaxPerWakeup)) count = kMaxPerWakeup;
  if (count == 0) return ThrowArg(env, "startReadingBatch: buffers too small for one datagram");
  ReleaseBatch();
  batchData_ = Napi::Persistent(data);
  batchMeta_ = Napi::Persistent(meta);
  bdata_ = static_cast<unsigned char*>(data.Data());
  bmeta_ = meta.Data();
  bslot_ = slot;
  bcount_ = static_cast<unsigned>(count);
  bmsgs_.assign(count, mmsghdr{});
  biov_.assign(count, iovec{});
  bfrom_.assign(count, sockaddr_storage{});
  bctl_.assign(count * kCmsgBytes, 0);
  batch_ = true;
  onRead_ = Napi::Persistent(info[0].As<Napi::Function>());
  ArmPoll(env);
  return env.Undefined();
}

// setRxFilter(table, counts) / setRxFilter(null): early drops for batched reading
// (advert_filter.h). table: kRxTableBytes (a Uint8Array, copied); counts: a Float64Array of
// kRxCountSlots the drops are added to (JS folds and zeroes them). null turns it off.
Napi::Value Socket::SetRxFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() >= 1 && info[0].IsNull()) {
    rxCounts_ = nullptr;
    rxCountsRef_.Reset();
    rxTable_.clear();
    return env.Undefined();
  }
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    return ThrowArg(env, "setRxFilter(Uint8Array table, Float64Array counts) or setRxFilter(null)");
  if (domain_ != AF_INET && domain_ != AF_INET6) return ThrowArg(env, "setRxFilter: not an IP socket");
  auto table = info[0].As<Napi::Uint8Array>();
  auto counts = info[1].As<Napi::Float64Array>();
  if (table.ByteLength() != kRxTableBytes) return ThrowArg(env, "setRxFilter: the table is 8192 bytes");
  if (counts.ElementLength() < kRxCountSlots) return ThrowArg(env, "setRxFilter: counts too short");
  rxTable_.assign(table.Data(), table.Data() + kRxTableBytes);
  rxCountsRef_ = Napi::Persistent(counts);
  rxCounts_ = counts.Data();
  return env.Undefined();
}

void Socket::ReleaseBatch() {
  batch_ = false;
  batchData_.Reset();
  batchMeta_.Reset();
  bdata_ = nullptr;
  bmeta_ = nullptr;
  bcount_ = 0;
}

void Socket::DrainBatch() {
  Napi::Env env(env_);
  PollBox* box = poll_;
  int done = 0;
  while (done < kMaxPerWakeup) {
    // The callback may have stopped or closed this socket, or switched it to startReading.
    if (box->owner != this || !reading_ || fd_ < 0 || !batch_) return;
    unsigned want = bcount_;
    if (want > static_cast<unsigned>(kMaxPerWakeup - done)) want = static_cast<unsigned>(kMaxPerWakeup - done);
    for (unsigned i = 0; i < want; i++) {
      biov_[i].iov_base = bdata_ + i * bslot_;
      biov_[i].iov_len = bslot_;
      msghdr& m = bmsgs_[i].msg_hdr;
      m.msg_name = &bfrom_[i];
      m.msg_namelen = sizeof(sockaddr_storage);
      m.msg_iov = &biov_[i];
      m.msg_iovlen = 1;
      m.msg_control = bctl_.data() + i * kCmsgBytes;
      m.msg_controllen = kCmsgBytes;
      m.msg_flags = 0;
      bmsgs_[i].msg_len = 0;
    }
    // MSG_TRUNC: each msg_len is the datagram's real length, so truncation is detectable.
    int n = recvmmsg(fd_, bmsgs_.data(), want, MSG_DONTWAIT | MSG_TRUNC, nullptr);
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      Napi::HandleScope scope(env);
      Deliver(env, ErrnoError(env, err, "recvmmsg").Value(), env.Undefined());
      done++;
      if (err == ENOBUFS || err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH) continue;
      return;
    }
    done += n;
    int kept = 0;
    for (int i = 0; i < n; i++) {
      const msghdr& m = bmsgs_[i].msg_hdr;
      size_t len = bmsgs_[i].msg_len;
      if (len > bslot_ || (m.msg_flags & MSG_TRUNC) != 0) {
        Napi::HandleScope scope(env);
        Deliver(env, ErrnoError(env, EMSGSIZE, "recvmmsg (datagram larger than the receive buffer)").Value(),
                env.Undefined());
        if (box->owner != this || !reading_ || fd_ < 0 || !batch_) return;
        continue;
      }
      int32_t* r = bmeta_ + kept * kBatchMetaInts;
      std::memset(r, 0, kBatchMetaInts * sizeof(int32_t));
      r[0] = static_cast<int32_t>(i * bslot_);
      r[1] = static_cast<int32_t>(len);
      r[3] = -1;
      auto* src = reinterpret_cast<unsigned char*>(r + 8);
      auto* dst = reinterpret_cast<unsigned char*>(r + 12);
      const sockaddr_storage& from = bfrom_[i];
      if (from.ss_family == AF_INET6 && m.msg_namelen >= sizeof(sockaddr_in6)) {
        std::memcpy(src, reinterpret_cast<const sockaddr_in6*>(&from)->sin6_addr.s6_addr, 16);
        r[4] |= 2;
      } else if (from.ss_family == AF_INET && m.msg_namelen >= sizeof(sockaddr_in)) {
        std::memcpy(src, &reinterpret_cast<const sockaddr_in*>(&from)->sin_addr, 4);
        r[4] |= 2;
      }
      for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(&m), c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
          in_pktinfo pi;
          std::memcpy(&pi, CMSG_DATA(c), sizeof(pi));
          r[2] = pi.ipi_ifindex;
          std::memcpy(dst, &pi.ipi_addr, 4);
          r[4] |= 1;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
          in6_pktinfo pi;
          std::memcpy(&pi, CMSG_DATA(c), sizeof(pi));
          r[2] = static_cast<int32_t>(pi.ipi6_ifindex);
          std::memcpy(dst, pi.ipi6_addr.s6_addr, 16);
          r[4] |= 1;
        } else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
                   (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
          int ttl;
          std::memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
          r[3] = ttl;
        }
      }
      if (rxCounts_ != nullptr) {
        // early drop (setRxFilter): counted here by reason, never handed to JS
        int column = 0;
        int reason = RxJudge(rxTable_.data(), domain_ == AF_INET6 ? 6 : 4, bdata_ + i * bslot_, len,
                             (r[4] & 2) != 0 ? src : nullptr, (r[4] & 1) != 0 ? dst : nullptr, r[3], &column);
        if (reason >= 0) {
          rxCounts_[static_cast<size_t>(reason) * kRxColumns + static_cast<size_t>(column)] += 1;
          rxCounts_[kRxCountSlots - 1] += 1;
          continue;
        }
      }
      kept++;
    }
    if (kept > 0) {
      Napi::HandleScope scope(env);
      Deliver(env, env.Null(), Napi::Number::New(env, kept));
    }
    if (static_cast<unsigned>(n) < want) return;  // the queue is empty
  }
}

Napi::Value Socket::StopReading(const Napi::CallbackInfo& info) {
  if (poll_ != nullptr) uv_poll_stop(&poll_->handle);
  if (reading_) {
    reading_ = false;
    onRead_.Reset();
    ReleaseBatch();
    Unref();
  }
  return info.Env().Undefined();
}

void Socket::OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  auto* box = reinterpret_cast<PollBox*>(handle);
  auto* self = static_cast<Socket*>(box->owner);
  if (self == nullptr || !self->reading_) return;
  Napi::Env env(self->env_);
  Napi::HandleScope scope(env);
  if (status < 0) {
    // A poll error would fire again on every loop turn: report it once and stop reading.
    if (self->poll_ != nullptr) uv_poll_stop(&self->poll_->handle);
    self->Deliver(env, ErrnoError(env, -status, "uv_poll").Value(), env.Undefined());
    return;
  }
  if (self->batch_)
    self->DrainBatch();
  else
    self->DrainReadable();
}

void Socket::DrainReadable() {
  Napi::Env env(env_);
  PollBox* box = poll_;
  for (int i = 0; i < kMaxPerWakeup; i++) {
    // The callback may have stopped or closed this socket.
    if (box->owner != this || !reading_ || fd_ < 0) return;
    Napi::HandleScope scope(env);
    sockaddr_storage from{};
    iovec iov{rbuf_.data(), rbuf_.size()};
    alignas(cmsghdr) unsigned char control[kCmsgBytes];
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    // MSG_TRUNC: the return value is the datagram's real length, so truncation is detectable.
    ssize_t n = recvmsg(fd_, &msg, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      // ENOBUFS (netlink overrun) and ICMP-reported errors are worth reporting, then keep going.
      Deliver(env, ErrnoError(env, err, "recvmsg").Value(), env.Undefined());
      if (err == ENOBUFS || err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH) continue;
      return;
    }
    if (static_cast<size_t>(n) > rbuf_.size()) {
      Deliver(env, ErrnoError(env, EMSGSIZE, "recvmsg (datagram larger than the receive buffer)").Value(),
              env.Undefined());
      continue;
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("data", Napi::Buffer<uint8_t>::Copy(env, rbuf_.data(), static_cast<size_t>(n)));
    out.Set("from", SockaddrToJs(env, &from, msg.msg_namelen));
    // IPv6 raw sockets read no header: the source address also as its 16 bytes, which is
    // the form the VRRP engine compares (text is for logs and status only)
    if (from.ss_family == AF_INET6 && msg.msg_namelen >= sizeof(sockaddr_in6)) {
      auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&from);
      out.Set("fromBytes", Napi::Buffer<uint8_t>::Copy(env, sin6->sin6_addr.s6_addr, 16));
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo pi;
        std::memcpy(&pi, CMSG_DATA(c), sizeof(pi));
        out.Set("ifindex", Napi::Number::New(env, pi.ipi_ifindex));
        out.Set("dst", IpToJs(env, AF_INET, &pi.ipi_addr));  // header destination
      } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
        int ttl;
        std::memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
        out.Set("ttl", Napi::Number::New(env, ttl));
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo pi;
        std::memcpy(&pi, CMSG_DATA(c), sizeof(pi));
        out.Set("ifindex", Napi::Number::New(env, pi.ipi6_ifindex));
        out.Set("dst", IpToJs(env, AF_INET6, &pi.ipi6_addr));
        out.Set("dstBytes", Napi::Buffer<uint8_t>::Copy(env, pi.ipi6_addr.s6_addr, 16));
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
        int hops;
        std::memcpy(&hops, CMSG_DATA(c), sizeof(hops));
        out.Set("ttl", Napi::Number::New(env, hops));
      }
    }
    Deliver(env, env.Null(), out);
  }
}

// Calls the JS callback as a top-level macrotask (napi_make_callback runs microtasks after).
// A throw in the callback becomes an uncaught exception of this env (process or worker).
void Socket::Deliver(Napi::Env env, napi_value err, napi_value msg) {
  if (onRead_.IsEmpty()) return;
  Napi::Function cb = onRead_.Value();
  napi_value args[2] = {err, msg};
  CallIntoJs(env, nullptr, Value(), cb, 2, args);
}

}  // namespace vrrpd
