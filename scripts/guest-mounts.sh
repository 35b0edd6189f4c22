# shellcheck shell=sh
# What the kernel does not give a guest's PID 1 and the suite needs:
# sourced by scripts/guest-init.sh (the 9p guest) and by the LAVA guest's
# /init (lava/init.sh, which finds it in its initramfs). POSIX sh.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
# Not mountpoint(1): the busybox of a foreign-architecture root lacks it.
grep -q '^[^ ]* /dev ' /proc/mounts || mount -t devtmpfs devtmpfs /dev
# devtmpfs has none of these, and the kselftest runner writes every
# result to /dev/stdout.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# Scratch space goes on /run, not /tmp: the 9p guest's work tree may live
# under the host's /tmp, and it must stay visible at the same path.
mount -t tmpfs tmpfs /run
mkdir -p /run/tmp
export TMPDIR=/run/tmp
# The device-side oracle and fault injection live here.
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
