#!/bin/sh
# PID 1 of the QEMU guest, run from the host's root over read-only 9p.
# It prepares what the kernel does not give init, runs the job the host
# wrote into the results share, saves dmesg and powers off. It never
# exits: an init that exits panics the kernel.
# The kernel gives init no PATH; an init before this one may have (the
# busybox tools of a foreign-architecture root: scripts/guest-root-init.sh).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}
export HOME=/run LANG=C.UTF-8
# (Not dirname: each program started costs 50 ms under TCG.)
top=$(cd "${0%/*}/.." && pwd)

# shellcheck source=scripts/guest-mounts.sh
. "$top/scripts/guest-mounts.sh"

out=/run/ir-out
mkdir -p $out
# The lengths of what the job writes, off the share (scripts/ledger.sh).
export IR_LEDGER=/run/ir-ledger
mkdir -p $IR_LEDGER
# shellcheck source=scripts/ledger.sh
. "$top/scripts/ledger.sh"
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results $out; then
	cd /run || true
	kmemleak=/sys/kernel/debug/kmemleak
	# Only leaks made by the job count: what boot left is cleared.
	if [ -w $kmemleak ]; then
		echo scan >$kmemleak
		echo clear >$kmemleak
	fi
	echo "ir-guest: running job" >/dev/console
	sh $out/job.sh
	rc=$?
	if [ -w $kmemleak ]; then
		# kmemleak reports no object younger than 5 s; let them age.
		sleep 6
		echo scan >$kmemleak
		keep kmemleak.txt <$kmemleak
	fi
	dmesg | keep dmesg.txt
	# The manifest before job.rc: a job.rc the host sees comes after
	# everything the manifest lists.
	ledger_manifest
	echo $rc >$out/job.rc.tmp && mv $out/job.rc.tmp $out/job.rc
	sync
else
	echo "ir-guest: cannot mount the results share" >/dev/console
fi
exec "$top/build/ir-poweroff"
