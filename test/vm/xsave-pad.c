/*
 * LD_PRELOAD helper for the user-mode-linux guest (test/vm/guest.ts).
 *
 * Why: UML 6.1 keeps each guest thread's FPU state in a fixed buffer sized for the
 * x87/SSE/AVX XSAVE layout. On a host with AVX-512 or AMX the kernel's
 * PTRACE_{GET,SET}REGSET(NT_X86_XSTATE) wants the host's whole XSAVE size; a SET with
 * a shorter buffer fails with EFAULT and UML panics ("ptrace set fp regs failed").
 *
 * How: every XSTATE regset call with a short buffer is redone with a full-size buffer.
 * GET keeps the full image in a side copy remembered by UML's buffer address and
 * returns the prefix UML asked for; SET starts from that side copy (so the parts UML
 * cannot see survive a context switch), lays UML's prefix over it and sets the full
 * image. Everything else goes to libc's ptrace unchanged.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define REGSET_XSTATE 0x202 /* NT_X86_XSTATE */
#define XSAVE_HDR_OFF 512   /* XSAVE header follows the 512-byte legacy area */
#define SLOTS 4096          /* side copies; UML has one buffer per guest thread */

static size_t host_len;

struct side {
  const void *owner;
  unsigned char *image;
};
static struct side sides[SLOTS];

static long sys_ptrace(long req, long pid, void *addr, void *data) {
  return syscall(SYS_ptrace, req, pid, addr, data);
}

/* The host size is what GETREGSET reports back in iov_len for a big enough buffer. */
static int host_size(long pid) {
  if (host_len) return 0;
  static unsigned char big[256 * 1024];
  struct iovec v = {big, sizeof big};
  if (sys_ptrace(PTRACE_GETREGSET, pid, (void *)REGSET_XSTATE, &v) < 0) return -1;
  host_len = v.iov_len;
  return 0;
}

/* Open addressing on the buffer address; NULL when full (we then work without a copy). */
static struct side *side_for(const void *owner, int make) {
  size_t i = ((uintptr_t)owner >> 6) % SLOTS;
  for (size_t n = 0; n < SLOTS; n++, i = (i + 1) % SLOTS) {
    if (sides[i].owner == owner) return &sides[i];
    if (!sides[i].owner) {
      if (!make) return NULL;
      sides[i].image = calloc(1, host_len);
      if (!sides[i].image) return NULL;
      sides[i].owner = owner;
      return &sides[i];
    }
  }
  return NULL;
}

static long padded(long req, long pid, struct iovec *uml) {
  size_t short_len = uml->iov_len;
  if (req == PTRACE_GETREGSET) {
    struct side *s = side_for(uml->iov_base, 1);
    unsigned char *img = s ? s->image : malloc(host_len);
    if (!img) { errno = ENOMEM; return -1; }
    struct iovec v = {img, host_len};
    long r = sys_ptrace(req, pid, (void *)REGSET_XSTATE, &v);
    if (r >= 0) memcpy(uml->iov_base, img, short_len);
    if (!s) free(img);
    return r;
  }
  struct side *s = side_for(uml->iov_base, 0);
  unsigned char *img = malloc(host_len);
  if (!img) { errno = ENOMEM; return -1; }
  if (s) memcpy(img, s->image, host_len);
  else memset(img, 0, host_len);
  memcpy(img, uml->iov_base, short_len);
  if (!s && host_len >= XSAVE_HDR_OFF + 16) {
    /* Without a side copy only x87, SSE and AVX (bits 0-2) have data; claim no more,
     * and keep the standard (non-compacted) format: XCOMP_BV = 0. */
    uint64_t bv;
    memcpy(&bv, img + XSAVE_HDR_OFF, sizeof bv);
    bv &= 7;
    memcpy(img + XSAVE_HDR_OFF, &bv, sizeof bv);
    memset(img + XSAVE_HDR_OFF + 8, 0, 8);
  }
  struct iovec v = {img, host_len};
  long r = sys_ptrace(req, pid, (void *)REGSET_XSTATE, &v);
  int saved = errno;
  if (r >= 0 && s) memcpy(s->image, img, host_len);
  free(img);
  errno = saved;
  return r;
}

long ptrace(enum __ptrace_request req, ...) {
  va_list ap;
  va_start(ap, req);
  pid_t pid = va_arg(ap, pid_t);
  void *addr = va_arg(ap, void *);
  void *data = va_arg(ap, void *);
  va_end(ap);
  if ((req == PTRACE_GETREGSET || req == PTRACE_SETREGSET) && (uintptr_t)addr == REGSET_XSTATE && data &&
      host_size(pid) == 0 && ((struct iovec *)data)->iov_len < host_len)
    return padded(req, pid, (struct iovec *)data);
  static long (*libc_ptrace)(enum __ptrace_request, ...);
  if (!libc_ptrace) libc_ptrace = (long (*)(enum __ptrace_request, ...))dlsym(RTLD_NEXT, "ptrace");
  return libc_ptrace(req, pid, addr, data);
}
