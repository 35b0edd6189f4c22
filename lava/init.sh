#!/bin/sh
# PID 1 of the LAVA guest: an initramfs of Debian packages with the
# kselftest tarball unpacked in /opt/kselftest (lava/rootfs.sh). Runs the
# collection the way a lab does, prints its TAP, then one LAVA result line
# per test and one measurement per bench record between the markers the
# job's monitor watches (lava/qemu-x86_64.yaml), and powers off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
exec </dev/console >/dev/console 2>&1

cd /opt/kselftest || exit 1
echo "iommufd-replace: kselftest begins"
# Through a pipe: the runner reopens /dev/stdout for each line it adds.
./run_kselftest.sh -c iommufd-replace 2>&1 | tee /tmp/kselftest.tap
iommufd-replace/replace_bench --preset quick -o /tmp/bench.json >/tmp/bench.txt 2>&1
echo "replace_bench: exit $?, $(tail -n 1 /tmp/bench.txt)"

echo "iommufd-replace: LAVA results begin"
# One line per test of each program: pass, fail or skip.
awk '/^# (not )?ok [0-9]+ / {
	if ($2 == "not") print "lava-test-case " $5 " --result fail"
	else if (/# SKIP/) print "lava-test-case " $4 " --result skip"
	else print "lava-test-case " $4 " --result pass"
}' /tmp/kselftest.tap
python3 iommufd-replace/metrics.py --lava /tmp/lava.txt /tmp/bench.json && cat /tmp/lava.txt
echo "iommufd-replace: LAVA results end"
sync
echo o >/proc/sysrq-trigger
sleep 10
