# shellcheck shell=bash
# The LAVA job of lava/qemu-x86_64.yaml, made runnable on this machine:
# its ramdisk built from Debian packages, a device dictionary rendered
# from lava-server's own qemu.jinja2, the job validated by LAVA's schema
# and `lava-run --validate`, and run by LAVA's dispatcher. Sourced by
# run.sh (./run.sh lava).

IR_LAVA_PACKAGES=(lava-dispatcher lava-common mmdebstrap cpio python3-jinja2)
# What the guest's userland needs: the runner (bash, perl-base, coreutils
# are in minbase), the suite's libraries, and python for metrics.py.
IR_LAVA_ROOTFS_PACKAGES=liburing2,libnuma1,python3,python3-jsonschema

# lava_rootfs: LAVA_ROOTFS becomes an initramfs of Debian's bookworm
# (minbase and the packages above), cached by what goes in: the suite's
# files go in an archive of their own (lava_ramdisk), so that a rebuilt
# suite does not bootstrap it again. Not compressed: the guest, under TCG
# with instruction counting, took 34 s to inflate the 64 MB of its gzip
# before init ran; its 171 MB copy in guest memory takes a second.
lava_rootfs() {
	local key dir
	key=$(echo "$IR_LAVA_ROOTFS_PACKAGES" | sha256sum | cut -c1-12)
	LAVA_ROOTFS=$IR_CACHE/lava/debian-$key.cpio
	[ -f "$LAVA_ROOTFS" ] && return
	dir=$IR_CACHE/lava/debian-$key.d
	info "building the LAVA guest's initramfs from Debian bookworm (once, ~1 min)"
	IR_STAGE="building the LAVA initramfs"
	rm -rf "$dir" && mkdir -p "$dir/root" || die "cannot create $dir"
	debian_bootstrap "$dir/root" "$dir.log" amd64 minbase "$IR_LAVA_ROOTFS_PACKAGES" ||
		die "mmdebstrap failed; see $dir.log"
	(cd "$dir/root" && find . | cpio -o -H newc --quiet) >"$LAVA_ROOTFS.part" &&
		mv "$LAVA_ROOTFS.part" "$LAVA_ROOTFS" || die "cannot write $LAVA_ROOTFS"
	rm -rf "$dir"
}

# lava_ramdisk TARBALL: LAVA_RAMDISK becomes build/lava/ramdisk.cpio of
# this work tree, the Debian initramfs with a second archive after it (the
# kernel unpacks each in turn): TARBALL unpacked in /opt/kselftest,
# lava/init.sh as /init.
lava_ramdisk() {
	local tarball=$1 dir=$IR_TOP/build/lava root=$IR_TOP/build/lava/root
	LAVA_RAMDISK=$dir/ramdisk.cpio
	rm -rf "$root" && mkdir -p "$root/opt/kselftest" "$root/etc/iommufd-replace" &&
		tar -C "$root/opt/kselftest" -xf "$tarball" &&
		install -m 755 "$IR_TOP/lava/init.sh" "$root/init" &&
		install -m 644 "$IR_TOP/scripts/guest-mounts.sh" "$IR_TOP/lava/lava-results.sh" \
			"$root/etc/iommufd-replace/" ||
		die "cannot fill $root"
	{ cat "$LAVA_ROOTFS" && (cd "$root" && find . | cpio -o -H newc --quiet); } \
		>"$LAVA_RAMDISK" || die "cannot write $LAVA_RAMDISK"
	rm -rf "$root"
}

# lava_device JOB OUT: the device dictionary of a QEMU device on this
# machine, rendered as lava-server renders it for JOB (with the job's
# context), from the device-type templates of Debian's lava-server (the
# package is fetched, not installed: it would bring a database server).
lava_device() {
	local job=$1 out=$2 dir=$IR_CACHE/lava/lava-server deb
	if [ ! -f "$dir/usr/share/lava-server/device-types/qemu.jinja2" ]; then
		mkdir -p "$dir" || die "cannot create $dir"
		IR_STAGE="fetching lava-server's device-type templates"
		apt_download "$dir" "$dir.log" lava-server ||
			die "apt-get download lava-server failed; see $dir.log"
		deb=$(ls "$dir"/lava-server_*.deb | head -n 1)
		dpkg-deb -x "$deb" "$dir" && rm -f "$deb" || die "cannot unpack $deb"
	fi
	"$IR_PYTHON" - "$dir/usr/share/lava-server/device-types" "$job" >"$out" <<'PY' ||
import sys
import jinja2
import yaml
env = jinja2.Environment(loader=jinja2.FileSystemLoader(sys.argv[1]), autoescape=False)
context = yaml.safe_load(open(sys.argv[2])).get("context", {})
print(env.from_string("{% extends 'qemu.jinja2' %}").render(**context))
PY
		die "cannot render the QEMU device dictionary"
}

# lava_job OUT: lava/qemu-x86_64.yaml with the artifacts' file:// URLs.
lava_job() {
	sed -e "s#@KERNEL_URL@#file://$KBUILD/$IR_KIMAGE#" \
		-e "s#@RAMDISK_URL@#file://$LAVA_RAMDISK#" \
		"$IR_TOP/lava/qemu-x86_64.yaml" >"$1"
}

# lava_validate JOB DEVICE DIR: LAVA's job schema in strict mode, then
# the dispatcher's own validation of every action against the device.
lava_validate() {
	local job=$1 device=$2 dir=$3
	"$IR_PYTHON" -c '
import sys, yaml
from lava_common.schemas import validate
validate(yaml.safe_load(open(sys.argv[1])), strict=True)' "$job" >"$dir/schema.log" 2>&1 ||
		die "$(basename "$job") fails LAVA's job schema: $(tail -n 1 "$dir/schema.log")"
	ir_spawn lava-run --validate --job-id 1 --output-dir "$dir/validate" \
		--device "$device" "$job" >"$dir/validate.log" 2>&1 ||
		die "lava-run --validate refused $(basename "$job"): $(grep -m1 -iE 'error|invalid' "$dir/validate.log" || tail -n 1 "$dir/validate.log")"
}

# lava_results LOG: what LAVA recorded in lava-run's log (a YAML flow
# mapping a line), one line each:
# "CASE RESULT [MEASUREMENT UNITS]" for the monitor's results, then
# "job: lava complete" (or incomplete); fails if none is ours.
lava_results() {
	"$IR_PYTHON" - "$1" <<'PY'
import sys
import yaml
ours, job = 0, "incomplete"
for line in open(sys.argv[1], errors="replace"):
    if '"lvl": "results"' not in line:
        continue
    try:
        entry = yaml.safe_load(line)
    except yaml.YAMLError:
        continue
    if not isinstance(entry, dict) or entry.get("lvl") != "results":
        continue
    msg = entry["msg"]
    if msg.get("definition") == "lava":
        if msg.get("case") == "job":
            job = "complete" if msg.get("result") == "pass" else "incomplete"
        continue
    ours += 1
    extra = f' {msg["measurement"]} {msg["units"]}' if msg.get("units") not in (None, "null") else ""
    print(f'{msg["case"]} {msg["result"]}{extra}')
print(f"job: lava {job}")
sys.exit(0 if ours else 1)
PY
}

# The LAVA job, made runnable here, validated by LAVA, and (lava) run by
# LAVA's dispatcher; what LAVA recorded is its verdict.
run_lava() {
	local dir pass fail skip
	[ -z "$IR_NATIVE" ] || usage_error "$IR_ACTION boots its own kernel; drop --native"
	[ "$IR_ARCH" = x86_64 ] ||
		usage_error "$IR_ACTION runs lava/qemu-x86_64.yaml, an x86_64 job; drop --arch $IR_ARCH"
	ensure_packages "${IR_LAVA_PACKAGES[@]}"
	# The main job's kernel: scripts/vm.config.x86_64 has what a ramdisk needs.
	prepare_suite
	[ -z "${IR_DRY_RUN:-}" ] || return 0
	kselftest_tarball
	lava_rootfs
	lava_ramdisk "$IR_TARBALL"
	new_results_dir
	dir=$IR_OUT
	lava_job "$dir/job.yaml"
	lava_device "$dir/job.yaml" "$dir/device.yaml"
	lava_validate "$dir/job.yaml" "$dir/device.yaml" "$dir"
	echo "lava: $dir/job.yaml passes LAVA's schema (strict) and lava-run --validate"
	[ "$IR_ACTION" = lava ] || return 0
	info "running the job with LAVA's dispatcher (lava-run; QEMU under TCG, several minutes)"
	IR_STAGE="running the LAVA job"
	IR_START=$(date +%s)
	ir_spawn lava-run --job-id 1 --output-dir "$dir/lava-run" --device "$dir/device.yaml" \
		"$dir/job.yaml" >"$dir/lava-run.log" 2>&1
	IR_ELAPSED=$(($(date +%s) - IR_START))
	lava_results "$dir/lava-run.log" >"$dir/lava-results.txt" ||
		die "lava-run recorded no result of ours (${IR_ELAPSED}s); see $dir/lava-run.log"
	read -r pass fail skip <<<"$(awk '{ n[$2]++ } END { print n["pass"]+0, n["fail"]+0, n["skip"]+0 }' "$dir/lava-results.txt")"
	echo "lava: LAVA recorded $pass passed, $fail failed, $skip skipped, $(grep -c ' ns$' "$dir/lava-results.txt") measurements (${IR_ELAPSED}s, $dir/lava-results.txt)"
	grep -qx 'job: lava complete' "$dir/lava-results.txt" ||
		die "LAVA reports the job incomplete; see $dir/lava-run.log"
	[ "$fail" -eq 0 ] ||
		die "LAVA recorded failures: $(awk '$2 == "fail" { print $1 }' "$dir/lava-results.txt" | paste -sd, -)"
}
