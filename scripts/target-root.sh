# shellcheck shell=bash
# The userland of a guest whose architecture is not the host's (--arch
# arm64): the host's root cannot serve it over 9p as it serves an x86_64
# guest. A tree of Debian bookworm packages for the target, extracted
# (no maintainer script runs, so no emulator is needed), kept in the
# cache; it is both the guest's root over 9p and the sysroot the suite
# is cross-linked against. Sourced by run.sh.

# What the guest runs: dash as /bin/sh (busybox's sh runs its own applets
# before any program on PATH), busybox for the tools no package here has,
# coreutils for the kselftest runner's `timeout --foreground`, GNU tar,
# gzip and xz for a kselftest tarball (busybox's tar here cannot
# decompress one); and what the suite links statically: liburing-dev and
# libnuma-dev, with libc6-dev.
IR_TARGET_ROOT_PACKAGES=dash,busybox-static,coreutils,tar,gzip,xz-utils,liburing-dev,libnuma-dev

# target_root: IR_SYSROOT becomes the tree for $IR_ARCH, made once per
# package list and init script (mmdebstrap --variant=extract, ~10 s).
target_root() {
	local key
	key=$({ echo "$IR_ARCH $IR_TARGET_ROOT_PACKAGES"; cat "$IR_TOP/scripts/guest-root-init.sh"; } |
		sha256sum | cut -c1-12)
	IR_SYSROOT=$IR_CACHE/target-root/$IR_ARCH-$key
	[ -z "${IR_DRY_RUN:-}" ] || return 0
	if [ ! -f "$IR_SYSROOT/.complete" ]; then
		# The cache is shared by every work tree: one maker at a time.
		mkdir -p "${IR_SYSROOT%/*}" || die "cannot create ${IR_SYSROOT%/*}"
		exec {IR_ROOT_LOCK}>"$IR_SYSROOT.lock"
		ir_spawn flock "$IR_ROOT_LOCK" || die "cannot lock $IR_SYSROOT.lock"
		[ -f "$IR_SYSROOT/.complete" ] || target_root_make
		exec {IR_ROOT_LOCK}>&-
	fi
	# The work tree is mounted at its own path in the guest: its mount
	# point (a tree under /tmp gets one from ir-init, on a tmpfs).
	mkdir -p "$IR_SYSROOT$IR_TOP" || die "cannot create $IR_SYSROOT$IR_TOP"
}

target_root_make() {
	local dir
	info "extracting Debian bookworm's $IR_ARCH packages for the guest's root (once, ~10 s)"
	IR_STAGE="extracting the $IR_ARCH guest root"
	dir=$IR_SYSROOT.part
	rm -rf "$dir" "$IR_SYSROOT" || die "cannot clear $dir"
	debian_bootstrap "$dir" "$dir.log" "$IR_ARCH" extract "$IR_TARGET_ROOT_PACKAGES" ||
		die "mmdebstrap of $IR_ARCH packages failed; see $dir.log"
	# What no maintainer script made: the shell, the mount points, and
	# the init that mounts the work tree (scripts/guest-root-init.sh).
	ln -sf dash "$dir/bin/sh" &&
		mkdir -p "$dir/proc" "$dir/sys" "$dir/run" "$dir/dev" "$dir/opt/busybox" &&
		install -D -m 755 "$IR_TOP/scripts/guest-root-init.sh" "$dir/sbin/ir-init" &&
		touch "$dir/.complete" && mv "$dir" "$IR_SYSROOT" ||
		die "cannot finish the $IR_ARCH guest root in $dir"
	rm -f "$dir.log"
}

