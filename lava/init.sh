#!/bin/sh
# PID 1 of the LAVA guest: an initramfs of Debian packages with the
# kselftest tarball unpacked in /opt/kselftest (lava_rootfs and
# lava_ramdisk in lava/lava.sh). Runs the collection the way a lab does,
# prints its TAP, then one LAVA result line per test and one measurement
# per bench record between the markers the job's monitor watches
# (lava/qemu-x86_64.yaml), and powers off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
# The mounts every guest of the suite makes (scripts/guest-mounts.sh).
. /etc/iommufd-replace/guest-mounts.sh
exec </dev/console >/dev/console 2>&1

cd /opt/kselftest || exit 1
echo "iommufd-replace: kselftest begins"
# Through a pipe: the runner reopens /dev/stdout for each line it adds.
./run_kselftest.sh -c iommufd-replace 2>&1 | tee "$TMPDIR"/kselftest.tap
iommufd-replace/replace_bench --preset quick -o "$TMPDIR"/bench.json >"$TMPDIR"/bench.txt 2>&1
echo "replace_bench: exit $?, $(tail -n 1 "$TMPDIR"/bench.txt)"

echo "iommufd-replace: LAVA results begin"
. /etc/iommufd-replace/lava-results.sh
lava_results "$TMPDIR"/kselftest.tap "$TMPDIR"/bench.json iommufd-replace/metrics.py
echo "iommufd-replace: LAVA results end"
sync
echo o >/proc/sysrq-trigger
sleep 10
