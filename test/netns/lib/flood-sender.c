/*
 * Sends a pool of whole Ethernet frames round and round on an interface at a set rate,
 * for the advert flood (test/netns/lib/flood.ts). AF_PACKET, sendmmsg in batches, the
 * qdisc bypassed; paced against CLOCK_MONOTONIC. Compiled by the test with gcc.
 *
 *   flood-sender IFNAME POOL_FILE RATE_PPS SECONDS [RT_PRIORITY]
 *
 * RT_PRIORITY (1..99, default 0 = none): run under SCHED_FIFO at that priority (a
 * negative value: an ordinary process at that nice value instead). The
 * sender's CPU also carries the kernel's work for each frame (the bridge and every
 * receiver's IP input run in its softirq), so on a machine busy with other work a
 * normal-priority sender gets a share of a core that is worth some 20,000 frames/s; at the
 * lowest real-time priority it gets the core it needs and still yields to real-time
 * daemons (vrrpd's VRRP thread is SCHED_RR 10), as a flood from another host would.
 *
 * POOL_FILE: frames, each as a 2-byte big-endian length and the frame's bytes.
 * Prints one JSON line: {"sent": N, "seconds": S, "errors": E, "rtPriority": P}
 * (P: the priority in force, 0 when none was asked for or SCHED_FIFO was refused).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_FRAMES 65536

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: %s IFNAME POOL_FILE RATE_PPS SECONDS [RT_PRIORITY]\n", argv[0]);
    return 2;
  }
  int rt = argc == 6 ? atoi(argv[5]) : 0;
  if (rt < 0) {
    if (setpriority(PRIO_PROCESS, 0, rt) != 0) perror("setpriority");
  } else if (rt > 0) {
    struct sched_param sp = {.sched_priority = rt};
    if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) {
      perror("sched_setscheduler (SCHED_FIFO)");
      rt = 0;
    }
  }
  const char *ifname = argv[1];
  double rate = atof(argv[3]);
  double seconds = atof(argv[4]);

  FILE *f = fopen(argv[2], "rb");
  if (!f) {
    perror("pool");
    return 2;
  }
  static unsigned char *frames[MAX_FRAMES];
  static size_t lens[MAX_FRAMES];
  size_t n = 0;
  unsigned char hdr[2];
  while (n < MAX_FRAMES && fread(hdr, 1, 2, f) == 2) {
    size_t len = ((size_t)hdr[0] << 8) | hdr[1];
    frames[n] = malloc(len ? len : 1);
    if (!frames[n] || fread(frames[n], 1, len, f) != len) {
      fprintf(stderr, "pool: truncated\n");
      return 2;
    }
    lens[n++] = len;
  }
  fclose(f);
  if (n == 0) {
    fprintf(stderr, "pool: empty\n");
    return 2;
  }

  int s = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: send only, receive nothing */
  if (s < 0) {
    perror("socket");
    return 2;
  }
  int one = 1;
  setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  int sndbuf = 4 << 20;
  setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = (int)if_nametoindex(ifname);
  sll.sll_halen = ETH_ALEN;
  if (sll.sll_ifindex == 0) {
    perror("if_nametoindex");
    return 2;
  }

  struct mmsghdr msgs[BATCH];
  struct iovec iovs[BATCH];
  unsigned long long sent = 0, errors = 0;
  size_t next = 0;
  double t0 = now_s(), t = t0;
  while ((t = now_s()) - t0 < seconds) {
    double due = (t - t0) * rate;
    if ((double)sent >= due) {
      struct timespec nap = {0, 100000}; /* 0.1 ms */
      nanosleep(&nap, NULL);
      continue;
    }
    int k = (int)((due - (double)sent) < BATCH ? (due - (double)sent) + 1 : BATCH);
    for (int i = 0; i < k; i++) {
      memcpy(sll.sll_addr, frames[next], ETH_ALEN);
      iovs[i].iov_base = frames[next];
      iovs[i].iov_len = lens[next];
      memset(&msgs[i], 0, sizeof msgs[i]);
      msgs[i].msg_hdr.msg_name = &sll;
      msgs[i].msg_hdr.msg_namelen = sizeof sll;
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      next = (next + 1) % n;
    }
    int r = sendmmsg(s, msgs, (unsigned)k, 0);
    if (r < 0) {
      errors++;
      if (errno != ENOBUFS && errno != EAGAIN) {
        perror("sendmmsg");
        return 1;
      }
      r = 0;
    }
    /* the frames not sent go first next time: the pool is sent strictly in order */
    next = (next + n - (size_t)(k - r) % n) % n;
    sent += (unsigned long long)r;
  }
  printf("{\"sent\": %llu, \"seconds\": %.3f, \"errors\": %llu, \"rtPriority\": %d}\n", sent, now_s() - t0,
         errors, rt);
  return 0;
}
