#!/bin/sh
# PID 1 of the sealed guest (scripts/sealed.sh): runs the job from its
# initramfs with the results in its own memory, and only when the job is
# done mounts the results share and copies them there, manifest and
# job.rc last, as scripts/guest-init.sh leaves them. No host I/O while
# the job runs. It never exits: an init that exits panics the kernel.
export PATH=/bin HOME=/run LANG=C.UTF-8
# The work tree's path, where the initramfs holds the job's scripts.
read -r top </etc/ir-job/top
# shellcheck source=scripts/guest-mounts.sh
. "$top/scripts/guest-mounts.sh"

out=/run/ir-out
share=/run/ir-share
export IR_LEDGER=/run/ir-ledger
mkdir -p $out $share $IR_LEDGER
# shellcheck source=scripts/ledger.sh
. "$top/scripts/ledger.sh"
cp /etc/ir-job/job.env $out/ && cp /etc/ir-job/job.in $out/job.sh
echo "ir-guest: running job (sealed)" >/dev/console
sh $out/job.sh
rc=$?
dmesg | keep dmesg.txt
ledger_manifest
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results $share; then
	# Everything but what the host wrote itself, then the manifest, then
	# job.rc: a job.rc the host sees comes after all the manifest lists.
	for f in $out/*; do
		case ${f##*/} in
		job.sh | job.env | manifest) ;;
		*) cp -r "$f" $share/ || echo "ir-guest: cannot copy ${f##*/} to the results share" >/dev/console ;;
		esac
	done
	cp $out/manifest $share/manifest.tmp && mv $share/manifest.tmp $share/manifest
	echo $rc >$share/job.rc.tmp && mv $share/job.rc.tmp $share/job.rc
	sync
else
	echo "ir-guest: cannot mount the results share" >/dev/console
fi
exec "$top/build/ir-poweroff"
