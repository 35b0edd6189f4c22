# shellcheck shell=bash
# Kernel source, config and build for run.sh: sourced, not executed.
# Everything lands in $IR_CACHE so the user's tree is never written to.

DEBIAN_KSRC_TARBALL=${DEBIAN_KSRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}

# Sets KSRC to a usable tree: the one the user named (--ksrc), Debian
# unstable's newest source (--kernel sid), or Debian stable's 6.12 source;
# a Debian tarball is extracted once into the cache.
kernel_resolve_src() {
	if [ -n "${KSRC:-}" ]; then
		[ -d "$KSRC" ] || die "kernel tree '$KSRC' does not exist (--ksrc/KSRC)"
		[ -f "$KSRC/Makefile" ] && [ -d "$KSRC/drivers/iommu" ] ||
			die "'$KSRC' is not a Linux kernel source tree (no Makefile or drivers/iommu)"
		KSRC=$(cd "$KSRC" && pwd -P)
		kernel_suite_needs
		return
	fi
	case ${IR_KERNEL:-stable} in
	stable)
		[ -f "$DEBIAN_KSRC_TARBALL" ] || die "no kernel tree: pass --ksrc DIR, or install linux-source-6.12 ($DEBIAN_KSRC_TARBALL missing)"
		kernel_extract "$DEBIAN_KSRC_TARBALL" "$IR_CACHE/src" ;;
	sid)
		kernel_fetch_sid
		kernel_extract "$IR_SID_TARBALL" "$IR_CACHE/src-sid" ;;
	esac
}

# What the suite needs of a tree before anything is built, said in its
# own terms: iommufd and its mock driver (Linux 6.2 and later), and the
# replace operation it tests (iommufd_device_replace, 6.6 and later).
kernel_suite_needs() {
	local v d=$KSRC/drivers/iommu/iommufd missing=()
	v=$(make -s -C "$KSRC" kernelversion 2>/dev/null) || v=unknown
	[ -f "$d/iommufd_test.h" ] && [ -f "$d/selftest.c" ] ||
		missing+=("iommufd and its mock driver (drivers/iommu/iommufd/selftest.c, CONFIG_IOMMUFD_TEST; Linux 6.2 and later)")
	grep -qs 'iommufd_device_replace' "$d/device.c" ||
		missing+=("device replace (iommufd_device_replace; Linux 6.6 and later)")
	[ ${#missing[@]} -eq 0 ] ||
		die_untestable "kernel $v in $KSRC cannot run this suite: it has no $(printf '%s, no ' "${missing[@]}" | sed 's/, no $//')"
}

# kernel_extract TARBALL DIR: KSRC becomes DIR/<the tree in TARBALL>,
# extracted once (again when the tarball changes).
kernel_extract() {
	local tarball=$1 dir=$2 id name
	id=$(stat -c '%s-%Y' "$tarball")
	name=$(basename "$tarball" .tar.xz)
	KSRC=$dir/$name
	if [ "$(cat "$dir/.extracted" 2>/dev/null)" != "$id" ]; then
		info "extracting $tarball into $dir (once, ~10 s)"
		IR_STAGE="extracting the kernel source"
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp" &&
			ir_spawn tar -C "$dir.tmp" -xf "$tarball" ||
			die "cannot extract $tarball"
		[ -d "$dir.tmp/$name" ] || die "$tarball has no $name/ tree"
		rm -rf "$dir" && mv "$dir.tmp" "$dir" && echo "$id" >"$dir/.extracted"
	fi
}

# The newest linux-source-X.Y of Debian unstable, as a tarball in the
# cache: apt with a private source list and state under the cache, from
# the mirror this host's apt already uses; the system's apt sources are
# not touched. The package lists are refreshed once a day; a version
# fetched once is reused, also offline.
kernel_fetch_sid() {
	local dir=$IR_CACHE/debian-sid mirror pkg deb apt_opts
	apt_opts=(-o "Dir::Etc::SourceList=$dir/sources.list"
		-o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
		-o "Dir::State::Status=$dir/status" -o Debug::NoLocking=1
		-o APT::Sandbox::User=root)
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" || die "cannot create $dir"
	: >>"$dir/status"
	if [ -z "$(find "$dir/lists" -name '*_sid_*Packages*' -mmin -1440 2>/dev/null)" ]; then
		mirror=$(debian_mirror)
		[ -n "$mirror" ] || die "--kernel sid: this host's apt names no Debian mirror to fetch unstable from"
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main" \
			>"$dir/sources.list"
		info "reading Debian unstable's package list (once a day)"
		IR_STAGE="reading Debian unstable's package list"
		ir_spawn apt-get "${apt_opts[@]}" update >"$dir/update.log" 2>&1 ||
			[ -n "$(ls "$dir"/linux-source-*.tar.xz 2>/dev/null)" ] ||
			die "--kernel sid: apt-get update of Debian unstable failed; see $dir/update.log"
	fi
	pkg=$(apt-cache "${apt_opts[@]}" search --names-only '^linux-source-[0-9.]+$' 2>/dev/null |
		cut -d' ' -f1 | sort -V | tail -n 1)
	if [ -z "$pkg" ]; then
		# Offline with a tree fetched before: take the newest of those.
		IR_SID_TARBALL=$(ls "$dir"/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
		[ -n "$IR_SID_TARBALL" ] || die "--kernel sid: Debian unstable lists no linux-source-X.Y package"
		return
	fi
	IR_SID_TARBALL=$dir/$pkg.tar.xz
	[ -f "$IR_SID_TARBALL" ] && return
	info "fetching $pkg from Debian unstable (once, ~160 MB)"
	IR_STAGE="fetching $pkg"
	rm -f "$dir"/*.deb
	apt_download "$dir" "$dir/download.log" "$pkg" "${apt_opts[@]}" ||
		die "--kernel sid: apt-get download $pkg failed; see $dir/download.log"
	deb=$(ls "$dir"/"$pkg"_*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || die "--kernel sid: apt-get download left no $pkg .deb in $dir"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" >"$IR_SID_TARBALL.tmp" &&
		mv "$IR_SID_TARBALL.tmp" "$IR_SID_TARBALL" ||
		die "--kernel sid: $deb has no usr/src/$pkg.tar.xz"
	rm -f "$deb"
}

# Lets another build of the same directory go on (a dry run took no lock).
kernel_build_unlock() {
	[ -z "${IR_BUILD_LOCK:-}" ] || exec {IR_BUILD_LOCK}>&-
	IR_BUILD_LOCK=
}

# kernel_tree_copy DEST FILE...: $KSRC copied to DEST (a new directory),
# with hard links where the file system allows, and each FILE (relative,
# skipped where the tree has none) a copy of its own, so that writing it
# leaves $KSRC as it was.
kernel_tree_copy() {
	local dest=$1 f
	shift
	rm -rf "${dest%/*}" && mkdir -p "${dest%/*}" &&
		{ ir_spawn cp -al "$KSRC" "$dest" 2>/dev/null ||
			ir_spawn cp -a "$KSRC" "$dest"; } ||
		die "cannot copy $KSRC into ${dest%/*}"
	for f in "$@"; do
		[ -f "$dest/$f" ] || continue
		cp --remove-destination "$KSRC/$f" "$dest/$f" || die "cannot copy $f"
	done
}

# kernel_patch PATCH: KSRC becomes a copy of KSRC with PATCH applied, kept
# in the cache under a name from both identities, made once. The copy
# shares every file the patch leaves alone with the tree (hard links), and
# the files it changes are copied first, so the tree is never written to.
kernel_patch() {
	local patch=$1 key dir name f
	[ -f "$patch" ] || die "patch '$patch' does not exist (--patch)"
	key=$({ kernel_src_identity; sha256sum <"$patch"; } | sha256sum | cut -c1-12)
	name=$(basename "$KSRC")
	dir=$IR_CACHE/src-patched/$key
	# The files it changes: copied before patching, and (kernel_seed)
	# made newer than every object of the tree it patches.
	mapfile -t IR_SEED_FILES < <(sed -n 's#^+++ [^/]*/\([^\t]*\).*#\1#p' "$patch")
	if [ ! -f "$dir/.extracted" ]; then
		info "applying $(basename "$patch") to a copy of $KSRC in $dir"
		IR_STAGE="copying $KSRC to patch it"
		kernel_tree_copy "$dir/$name" "${IR_SEED_FILES[@]}"
		patch -d "$dir/$name" -p1 -s --no-backup-if-mismatch <"$patch" \
			>"$dir/patch.log" 2>&1 || {
			f=$(head -n 1 "$dir/patch.log")
			rm -rf "$dir"
			die_untestable "$(basename "$patch") does not apply to $KSRC: $f"
		}
		echo "$key $(basename "$patch")" >"$dir/.extracted"
	fi
	# The tree it patches: its build can seed this one's (kernel_seed).
	IR_SEED_KSRC=$KSRC
	KSRC=$dir/$name
}

# kernel_seed: for a patched copy whose original tree has a finished build
# (IR_SEED_KSRC, IR_SEED_KBUILD), KX becomes the prefix that runs a build
# step in a mount namespace of its own where the copy and its build
# directory stand at the original's paths, and BSRC, BDIR the paths the
# step names; a first build starts from a copy of the original's objects.
# Kbuild records every command with the paths it used, so at the same
# paths it rebuilds only what the patch changed (its files are newer);
# the original is never written (the bind mounts exist only there).
# Without a seed (or without root, which mount needs), KX is empty.
# --patch FILE of an action that boots one kernel: the tree under test is
# $KSRC with FILE applied to a copy, and the unpatched tree's kernel
# (built first, or found in the cache) seeds its build, so that only what
# FILE touches compiles.
kernel_patched() {
	kernel_build
	kernel_build_unlock
	IR_SEED_KBUILD=$KBUILD
	kernel_patch "$IR_PATCH"
}

kernel_seed() {
	KX=() BSRC=$KSRC BDIR=$KBUILD
	[ -n "${IR_SEED_KSRC:-}" ] && [ -f "${IR_SEED_KBUILD:-}/.iommufd-replace-built" ] &&
		[ "$(id -u)" -eq 0 ] || return 0
	if [ ! -f "$KBUILD/$IR_KIMAGE" ]; then
		info "kernel $KVER: starting from the objects of $IR_SEED_KBUILD (the tree the patch is applied to)"
		IR_STAGE="copying the objects of $IR_SEED_KBUILD"
		ir_spawn cp -a "$IR_SEED_KBUILD/." "$KBUILD/" || die "cannot copy $IR_SEED_KBUILD into $KBUILD"
	fi
	# The patch may be older than the original's objects (a tree patched
	# before the original was built): make must see what it changed.
	(cd "$KSRC" && touch -c -- "${IR_SEED_FILES[@]}") || die "cannot touch the patched files in $KSRC"
	# shellcheck disable=SC2016
	KX=(unshare -m sh -c 'mount --bind "$1" "$3" && mount --bind "$2" "$4" && shift 4 && exec "$@"'
		ir-seed "$KSRC" "$KBUILD" "$IR_SEED_KSRC" "$IR_SEED_KBUILD")
	BSRC=$IR_SEED_KSRC BDIR=$IR_SEED_KBUILD
}

# Prints what identifies the source: a tarball's version is fixed, a git
# tree adds HEAD and a hash of its uncommitted diff.
kernel_src_identity() {
	local v
	v=$(make -s -C "$KSRC" kernelversion 2>/dev/null) || v=unknown
	printf 'version %s\npath %s\n' "$v" "$KSRC"
	if git -C "$KSRC" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$KSRC" rev-parse HEAD
		git -C "$KSRC" diff HEAD 2>/dev/null | sha256sum
	elif [ -f "$KSRC/../.extracted" ]; then
		cat "$KSRC/../.extracted"
	else
		# A plain tree: no cheap identity, so make decides what to rebuild.
		echo "untracked"
	fi
}

# The target architecture (--arch) and page size (--page-size), and what
# follows from them: the kernel's ARCH and image, the cross compiler, the
# emulator with its machine and TCG CPU, its console, and the packages
# that bring them; IR_HOST_ARCH is this host's, in the same names.
kernel_arch() {
	IR_HOST_ARCH=$(uname -m)
	[ "$IR_HOST_ARCH" != aarch64 ] || IR_HOST_ARCH=arm64
	case $IR_ARCH in
	x86_64)
		[ "$IR_PAGE_SIZE" = 4k ] ||
			usage_error "--page-size $IR_PAGE_SIZE: x86_64 has 4k pages only (arm64 has 4k, 16k and 64k)"
		IR_CROSS= IR_KIMAGE=arch/x86/boot/bzImage IR_KTARGET=bzImage
		IR_QEMU=qemu-system-x86_64 IR_MACHINE=() IR_TCG_CPU=max IR_CONSOLE=ttyS0
		IR_ARCH_PACKAGES=(qemu-system-x86) ;;
	arm64)
		IR_CROSS=aarch64-linux-gnu- IR_KIMAGE=arch/arm64/boot/Image IR_KTARGET=Image
		# virt with GICv3 (more than 8 vCPUs); pauth-impdef: QEMU's own
		# pointer-authentication hash, far cheaper to emulate than QARMA.
		IR_QEMU=qemu-system-aarch64 IR_MACHINE=(-M virt,gic-version=3)
		IR_TCG_CPU=max,pauth-impdef=on IR_CONSOLE=ttyAMA0
		IR_ARCH_PACKAGES=(qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross mmdebstrap) ;;
	*) usage_error "--arch takes x86_64 or arm64, not '$IR_ARCH'" ;;
	esac
	case $IR_PAGE_SIZE in
	4k | 16k | 64k) ;;
	*) usage_error "--page-size takes 4k, 16k or 64k, not '$IR_PAGE_SIZE'" ;;
	esac
	kernel_iommu
}

# --iommu NAME: an emulated IOMMU, created before the guest's other
# devices, with edu devices behind it (replace_dma). QEMU's VT-d and
# AMD-Vi sit on q35 only. iommufd binds a device only where its MSIs are
# isolated: VT-d and AMD-Vi remap interrupts (intremap=on, which under
# KVM needs the split irqchip; TCG ignores it), virtio-iommu cannot, and
# there the guest allows unsafe interrupts as a VMM on such a platform
# must.
kernel_iommu() {
	IR_IOMMU_DEVICES=() IR_IOMMU_ARGS=
	case $IR_ARCH:$IR_IOMMU in
	*:none) return 0 ;;
	x86_64:intel) IR_MACHINE=(-M q35,kernel-irqchip=split) IR_IOMMU_DEVICES=(-device intel-iommu,intremap=on) ;;
	x86_64:amd) IR_MACHINE=(-M q35,kernel-irqchip=split) IR_IOMMU_DEVICES=(-device amd-iommu,intremap=on) ;;
	x86_64:virtio | arm64:virtio)
		IR_IOMMU_DEVICES=(-device virtio-iommu-pci)
		IR_IOMMU_ARGS=iommufd.allow_unsafe_interrupts=1 ;;
	arm64:smmuv3) IR_MACHINE[-1]+=,iommu=smmuv3 ;;
	x86_64:*) usage_error "--iommu takes none, intel, amd or virtio on x86_64, not '$IR_IOMMU'" ;;
	*) usage_error "--iommu takes none, smmuv3 or virtio on arm64, not '$IR_IOMMU'" ;;
	esac
	# One edu alone in its group, two behind a conventional PCI bridge:
	# their requests carry the bridge's id, so they share one group. Not
	# under virtio-iommu: the bridged ones got no group there (QEMU 7.2,
	# -M pc), and with the bridge present 7.2's vfio-pci failed to probe
	# the root bus's edu too (EINVAL); a second one there instead.
	IR_IOMMU_DEVICES+=(-device edu)
	if [ "$IR_IOMMU" = virtio ]; then
		IR_IOMMU_DEVICES+=(-device edu)
	else
		IR_IOMMU_DEVICES+=(-device pci-bridge,id=irbridge,chassis_nr=1
			-device edu,bus=irbridge,addr=1 -device edu,bus=irbridge,addr=2)
	fi
}

# The page-size fragment of an arm64 kernel (its CONFIG_ARM64_*_PAGES
# choice), written into the cache; x86_64 has one page size and none.
kernel_page_fragment() {
	local f=$IR_CACHE/fragments/arm64-$IR_PAGE_SIZE.config
	[ "$IR_ARCH" = arm64 ] || return 0
	if [ ! -f "$f" ]; then
		mkdir -p "${f%/*}" &&
			printf '# arm64 with %s pages (--page-size)\nCONFIG_ARM64_%s_PAGES=y\n' \
				"$IR_PAGE_SIZE" "${IR_PAGE_SIZE^^}" >"$f" || die "cannot write $f"
	fi
	echo "$f"
}

# The config fragments, in merge order on top of tinyconfig.
kernel_fragments() {
	echo "$IR_TOP/scripts/vm.config"
	echo "$IR_TOP/scripts/vm.config.$IR_ARCH"
	kernel_page_fragment
	echo "$IR_TOP/selftests/config"
	echo "$IR_TOP/selftests/config.$IR_ARCH"
	# A tree whose mock driver sits on generic page tables, on an
	# architecture whose fragment has no IOMMU driver that brings them.
	[ "$IR_ARCH" = x86_64 ] ||
		! grep -qs IOMMU_PT_AMDV1 "$KSRC/drivers/iommu/iommufd/Kconfig" ||
		echo "$IR_TOP/scripts/generic-pt.config"
	[ -n "${IR_DEBUG:-}" ] && echo "$IR_TOP/scripts/debug.config"
	[ "${IR_ACTION:-}" = coverage ] && echo "$IR_TOP/scripts/coverage.config"
	[ -n "${IR_EXTRA_CONFIG:-}" ] && echo "$IR_EXTRA_CONFIG"
	return 0
}

# Sets KHDR to the uapi headers of $KSRC installed into the cache, without
# building that kernel (--native, compile); installed again when the tree's
# Makefile is newer than them.
kernel_headers() {
	local dir
	dir=$IR_CACHE/headers/$(printf '%s' "$KSRC" | sha256sum | cut -c1-12)
	[ "$IR_ARCH" = x86_64 ] || dir+=-$IR_ARCH
	KHDR=$dir/usr/include
	[ -f "$KHDR/linux/iommufd.h" ] && ! [ "$KSRC/Makefile" -nt "$KHDR/linux/iommufd.h" ] &&
		return
	info "installing the uapi headers of $KSRC into $dir"
	IR_STAGE="installing the uapi headers of $KSRC"
	mkdir -p "$dir" || die "cannot create $dir"
	ir_spawn make -s -C "$KSRC" O="$dir" ARCH="$IR_ARCH" headers_install >"$dir.log" 2>&1 ||
		die_untestable "make headers_install in $KSRC failed; see $dir.log"
}

# Sets KVER, KBUILD (the O= directory) and KHDR (installed uapi headers).
# The line of a failed build's log that says why: the compiler's first
# error, else the log's last lines.
kernel_build_error() {
	grep -m1 -E ': (fatal )?error: ' "$1" || tail -n 3 "$1" | tr '\n' ' '
}

kernel_build() {
	local ident key frags log nproc stamp missing kmake
	frags=$(kernel_fragments)
	ident=$(kernel_src_identity)
	# The options, not the fragments' text: moving an option from one
	# fragment to another, or rewording a comment, rebuilds nothing.
	# shellcheck disable=SC2086
	key=$({ echo "$ident"; grep -hE '^(CONFIG_|# CONFIG_)' $frags | sort; } |
		sha256sum | cut -c1-12)
	KVER=$(sed -n 's/^version //p' <<<"$ident")
	# x86_64 builds keep the names they had before arm64 came; a bisect's
	# steps build in one directory (scripts/bisect.sh), stamped with the
	# key of the commit built there last.
	if [ -n "${IR_BISECT_KBUILD:-}" ]; then
		KBUILD=$IR_BISECT_KBUILD
	elif [ "$IR_ARCH" = x86_64 ]; then
		KBUILD=$IR_CACHE/build/$KVER-$key
	else
		KBUILD=$IR_CACHE/build/$KVER-$IR_ARCH-$IR_PAGE_SIZE-$key
	fi
	KHDR=$KBUILD/usr/include
	log=$KBUILD/build.log
	stamp=$KBUILD/.iommufd-replace-built
	if [ -n "${IR_DRY_RUN:-}" ]; then
		# --dry-run builds nothing: it names the kernel it would boot.
		[ -f "$stamp" ] || info "kernel $KVER: not built yet; a run would build it into $KBUILD"
		return
	fi
	mkdir -p "$KBUILD" || die "cannot create $KBUILD"
	# The cache is shared by every work tree: one build per directory at
	# a time (two makes in one O= corrupt it); a second run waits for it.
	exec {IR_BUILD_LOCK}>"$KBUILD/.lock"
	if ! flock -n "$IR_BUILD_LOCK"; then
		info "kernel $KVER: waiting for another run.sh building it in $KBUILD"
		IR_STAGE="waiting for another build of kernel $KVER"
		ir_spawn flock "$IR_BUILD_LOCK" || die "cannot lock $KBUILD"
	fi

	if [ -f "$stamp" ] && [ -f "$KBUILD/$IR_KIMAGE" ] &&
		! grep -qx untracked <<<"$ident" &&
		{ [ -z "${IR_BISECT_KBUILD:-}" ] || [ "$(sed -n 2p "$stamp")" = "$key" ]; }; then
		info "kernel $KVER: cached in $KBUILD"
		kernel_build_done "$ident"
		return
	fi
	if [ -f "$KBUILD/$IR_KIMAGE" ]; then
		info "kernel $KVER: incremental build in $KBUILD (log: $log)"
	else
		info "building kernel $KVER ($IR_ARCH, $IR_PAGE_SIZE pages) — first run, ~4-8 min on $(nproc) cores (log: $log)"
	fi
	nproc=$(nproc)
	kernel_seed
	# Only a build that ran to its end may be taken for a finished one.
	rm -f "$stamp"
	IR_STAGE="building kernel $KVER"
	kmake=("${KX[@]}" make -C "$BSRC" O="$BDIR" ARCH="$IR_ARCH" CROSS_COMPILE="$IR_CROSS")
	: >"$log"
	# shellcheck disable=SC2086
	{
		ir_spawn "${kmake[@]}" tinyconfig &&
			ir_spawn "${KX[@]}" "$BSRC/scripts/kconfig/merge_config.sh" -m -O "$BDIR" \
				"$BDIR/.config" $frags &&
			ir_spawn "${kmake[@]}" olddefconfig
	} >>"$log" 2>&1 || die_untestable "kernel config failed; see $log"

	# A fragment line that olddefconfig dropped is a tree that cannot run
	# the suite (too old, or a dependency missing): say every one.
	# shellcheck disable=SC2086
	missing=$(grep -hE '^CONFIG_[A-Z0-9_]+=' $frags | while IFS= read -r want; do
		grep -qx -- "$want" "$KBUILD/.config" || echo "${want%%=*}"
	done | sort -u | paste -sd' ' -)
	[ -z "$missing" ] ||
		die_untestable "kernel $KVER cannot enable $missing (requested by the config fragments; see $KBUILD/.config)"

	ir_spawn "${kmake[@]}" -j"$nproc" "$IR_KTARGET" >>"$log" 2>&1 ||
		die_untestable "kernel build failed: $(kernel_build_error "$log") (log: $log)"
	ir_spawn "${kmake[@]}" headers_install >>"$log" 2>&1 ||
		die_untestable "make headers_install failed (is rsync installed?); see $log"
	printf '%s\n%s\n' "$(date -u +%FT%TZ)" "$key" >"$stamp"
	info "kernel $KVER built: $KBUILD/$IR_KIMAGE"
	kernel_build_done "$ident"
}

# kernel_build_done IDENT: a finished build of a tree known by what it
# holds (IDENT) is never written again: other runs of it, in other work
# trees (make check's lanes), boot it at the same time. Holding the lock
# up to the end of the run made them wait for each other's guests. The
# build of a plain tree (untracked) stays locked to the end: the next run
# rebuilds it in place, which would change the headers this one builds
# the suite against.
kernel_build_done() {
	grep -qx untracked <<<"$1" || kernel_build_unlock
}
