// claimSignals(signums): make the kernel deliver these process-directed signals (SIGTERM,
// SIGINT) to the calling thread, the VRRP worker, rather than to the main thread.
//
// The kernel hands a process-directed signal to the main thread when it does not block
// it, else to another thread that does not. The signal's handler (libuv's one, process
// wide) must run before any loop hears of it; run on the main thread (ordinary priority,
// maybe busy or not yet scheduled) it delayed the real-time VRRP thread's priority-0
// adverts by up to several ms. So the calling thread unblocks the signals, and every other
// thread of the process blocks them: a thread can change only its own mask, so each is
// sent a real-time signal (tgkill) whose handler adds them to the mask its return
// restores (ucontext's uc_sigmask, which rt_sigreturn puts back). Threads started later
// by the main thread inherit its blocked mask. libuv's handler, wherever it runs, still
// wakes every loop that watches the signal: the main thread's process.on('SIGTERM') runs
// as before. Children are unaffected (libuv empties the mask before exec).
//
// release() (or the worker's teardown) blocks the signals here and unblocks them in the
// main thread again, so that they still reach the process once this thread is gone.
#include <dirent.h>
#include <dlfcn.h>
#include <napi.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "errors.h"

namespace vrrpd {

namespace {

// The two real-time signals used to ask a thread to block / unblock g_set. Nothing else
// in node or this addon uses them; claim refuses if another handler holds them.
int BlockSignal() { return SIGRTMAX - 6; }
int UnblockSignal() { return SIGRTMAX - 7; }

sigset_t g_set;  // written before any tgkill; read only by the handlers
std::atomic<int> g_acks{0};
bool g_installed = false;

struct Claim {
  napi_env env;
  bool released;
  sigset_t set;
};

void OnBlock(int, siginfo_t*, void* ctx) {
  auto* uc = static_cast<ucontext_t*>(ctx);
  for (int s = 1; s < NSIG; s++)
    if (sigismember(&g_set, s) == 1) sigaddset(&uc->uc_sigmask, s);
  g_acks.fetch_add(1, std::memory_order_release);
}

void OnUnblock(int, siginfo_t*, void* ctx) {
  auto* uc = static_cast<ucontext_t*>(ctx);
  for (int s = 1; s < NSIG; s++)
    if (sigismember(&g_set, s) == 1) sigdelset(&uc->uc_sigmask, s);
  g_acks.fetch_add(1, std::memory_order_release);
}

// errno value, 0 when both handlers are (now) ours
int InstallHandlers() {
  if (g_installed) return 0;
  const int sigs[2] = {BlockSignal(), UnblockSignal()};
  void (*fns[2])(int, siginfo_t*, void*) = {&OnBlock, &OnUnblock};
  for (int i = 0; i < 2; i++) {
    struct sigaction old {};
    if (sigaction(sigs[i], nullptr, &old) != 0) return errno;
    if ((old.sa_flags & SA_SIGINFO) != 0 ? old.sa_sigaction != fns[i] : old.sa_handler != SIG_DFL)
      return EBUSY;
  }
  for (int i = 0; i < 2; i++) {
    struct sigaction sa {};
    sa.sa_sigaction = fns[i];
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sigs[i], &sa, nullptr) != 0) return errno;
  }
  g_installed = true;
  // The handlers live in this module: keep it mapped for good, even if the thread that
  // loaded it (a worker) ends and node unloads it, since a thread may still run them.
  Dl_info self{};
  if (dladdr(reinterpret_cast<void*>(&OnBlock), &self) != 0 && self.dli_fname != nullptr)
    dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  return 0;
}

// SigBlk of /proc/self/task/<tid>/status as a bit mask (bit n-1 = signal n); false if gone
bool BlockedMask(long tid, unsigned long long* mask) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%ld/status", tid);
  FILE* f = std::fopen(path, "re");
  if (f == nullptr) return false;
  char line[256];
  bool found = false;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "SigBlk:", 7) == 0) {
      *mask = std::strtoull(line + 7, nullptr, 16);
      found = true;
      break;
    }
  }
  std::fclose(f);
  return found;
}

unsigned long long SetBits(const sigset_t& set) {
  unsigned long long bits = 0;
  for (int s = 1; s <= 64 && s < NSIG; s++)
    if (sigismember(&set, s) == 1) bits |= 1ULL << (s - 1);
  return bits;
}

struct Sweep {
  int asked = 0;     // threads sent the block signal
  int blocking = 0;  // other threads now blocking the set
  int open = 0;      // other threads still not blocking it (after the wait)
};

// Asks every other thread to block g_set and waits (up to ~250 ms) until they have.
Sweep BlockElsewhere(long self) {
  Sweep r;
  const unsigned long long want = SetBits(g_set);
  const unsigned long long via = 1ULL << (BlockSignal() - 1);
  const pid_t pid = getpid();
  g_acks.store(0, std::memory_order_relaxed);
  DIR* d = opendir("/proc/self/task");
  if (d == nullptr) return r;
  while (dirent* e = readdir(d)) {
    long tid = std::strtol(e->d_name, nullptr, 10);
    if (tid <= 0 || tid == self) continue;
    unsigned long long blk = 0;
    if (!BlockedMask(tid, &blk) || (blk & want) == want) continue;
    if ((blk & via) != 0) continue;  // cannot be asked; counted as open below
    if (syscall(SYS_tgkill, pid, tid, BlockSignal()) == 0) r.asked++;
  }
  closedir(d);
  for (int i = 0; i < 250 && g_acks.load(std::memory_order_acquire) < r.asked; i++) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, nullptr);
  }
  d = opendir("/proc/self/task");
  if (d == nullptr) return r;
  while (dirent* e = readdir(d)) {
    long tid = std::strtol(e->d_name, nullptr, 10);
    if (tid <= 0 || tid == self) continue;
    unsigned long long blk = 0;
    if (!BlockedMask(tid, &blk)) continue;
    if ((blk & want) == want)
      r.blocking++;
    else
      r.open++;
  }
  closedir(d);
  return r;
}

void Release(Claim* c) {
  if (c->released) return;
  c->released = true;
  pthread_sigmask(SIG_BLOCK, &c->set, nullptr);
  // the main thread's id is the process id
  syscall(SYS_tgkill, getpid(), getpid(), UnblockSignal());
}

void OnEnvTeardown(void* arg) {
  auto* c = static_cast<Claim*>(arg);
  Release(c);
  delete c;
}

Napi::Value ReleaseFromJs(const Napi::CallbackInfo& info) {
  Release(static_cast<Claim*>(info.Data()));
  return info.Env().Undefined();
}

}  // namespace

// claimSignals(signums) → {release(), asked, blocking, open}. At most one claim per
// process at a time (the JS wrapper keeps it so); release() may be called more than once.
Napi::Value ClaimSignals(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) return ThrowArg(env, "claimSignals(signums)");
  auto arr = info[0].As<Napi::Array>();
  sigset_t set;
  sigemptyset(&set);
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsNumber()) return ThrowArg(env, "claimSignals: signal numbers expected");
    int s = v.As<Napi::Number>().Int32Value();
    if (s <= 0 || s >= SIGRTMIN || s == SIGKILL || s == SIGSTOP)
      return ThrowArg(env, "claimSignals: not a claimable signal");
    sigaddset(&set, s);
  }
  int err = InstallHandlers();
  if (err != 0) return ThrowErrno(env, err, "sigaction");
  g_set = set;
  err = pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  if (err != 0) return ThrowErrno(env, err, "pthread_sigmask");
  Sweep sweep = BlockElsewhere(syscall(SYS_gettid));

  auto* c = new Claim{env, false, set};
  napi_add_env_cleanup_hook(env, &OnEnvTeardown, c);
  Napi::Object out = Napi::Object::New(env);
  out.Set("release", Napi::Function::New(env, &ReleaseFromJs, "release", c));
  out.Set("asked", Napi::Number::New(env, sweep.asked));
  out.Set("blocking", Napi::Number::New(env, sweep.blocking));
  out.Set("open", Napi::Number::New(env, sweep.open));
  return out;
}

}  // namespace vrrpd
