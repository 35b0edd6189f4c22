#!/bin/sh
# PID 1 of a guest whose root is a Debian tree of its own architecture
# (scripts/target-root.sh), copied into that tree as /sbin/ir-init. It
# gives busybox's tools their names, mounts the work tree at the path it
# has on the host (irtop= on the kernel command line), and hands over to
# the init every guest runs. POSIX sh (dash).
/bin/busybox mount -t tmpfs tmpfs /opt/busybox &&
	/bin/busybox --install -s /opt/busybox
# coreutils first: the kselftest runner needs GNU timeout's --foreground.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:/opt/busybox
# The root is read-only; a work tree under /tmp gets its mount point here
# (others have theirs in the tree already: target_root).
mount -t tmpfs tmpfs /tmp
mkdir -p "${irtop:-/nonexistent}" 2>/dev/null
if [ -z "${irtop:-}" ] ||
	! mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro worktree "$irtop"; then
	echo "ir-init: cannot mount the work tree at '${irtop:-}' (irtop=)" >/dev/console
	exec poweroff -f
fi
exec "$irtop/scripts/guest-init.sh"
