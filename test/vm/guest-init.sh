#!/bin/sh
# First process of the user-mode-linux guest started by test/vm/guest.ts.
# The guest's / is the host's / through hostfs, read-only. The kernel command line
# names one host directory (vmshare=...) that is mounted read-write at the same path;
# guest.ts put two files there: setup.env (modules, extra mounts) and job.sh (the work).
# The job's output and exit status go back through the same directory.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
HOME=/root
export PATH HOME

mount -t proc none /proc
mount -t sysfs none /sys
grep -q ' /dev ' /proc/mounts || mount -t devtmpfs none /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts none /dev/pts
mount -t tmpfs none /dev/shm
# writable scratch space where programs expect it; the host's files there are hidden
for d in /tmp /run /var/tmp /var/log /root; do mount -t tmpfs none "$d"; done
mkdir -p /run/netns /run/lock

share=
for word in $(cat /proc/cmdline); do
  case "$word" in vmshare=*) share=${word#vmshare=} ;; esac
done
mkdir -p "$share"
mount -t hostfs -o "$share" none "$share" || { echo "guest: cannot mount $share" >&2; echo o >/proc/sysrq-trigger; }
. "$share/setup.env"

# VM_RW / VM_RO: host directories the job needs that the tmpfs mounts above hide
for d in $VM_RW; do mkdir -p "$d" && mount -t hostfs -o "$d" none "$d"; done
for d in $VM_RO; do mkdir -p "$d" && mount -r -t hostfs -o "$d" none "$d"; done

# The UML kernel's modules live in the host's /usr/lib/uml/modules; modprobe -d wants
# <dir>/lib/modules/<release>, so give it a private tree on tmpfs.
mkdir -p /tmp/.vm-kmod/lib/modules
mount -r -t hostfs -o /usr/lib/uml/modules none /tmp/.vm-kmod/lib/modules
ip link set lo up
for m in $VM_MODULES; do
  modprobe -d /tmp/.vm-kmod "$m" 2>>"$share/init.err" || echo "guest: modprobe $m failed" >>"$share/init.err"
done

cd "$share"
/bin/sh "$share/job.sh" >"$share/job.out" 2>"$share/job.err" </dev/null
echo $? >"$share/job.rc"
cd /
sync
umount "$share" 2>/dev/null
# power off at once: the UML process on the host then exits
echo o >/proc/sysrq-trigger
sleep 30
