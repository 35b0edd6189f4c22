# shellcheck shell=bash
# Kernel source, config and build for run.sh: sourced, not executed.
# Everything lands in $IR_CACHE so the user's tree is never written to.

DEBIAN_KSRC_TARBALL=${DEBIAN_KSRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}

# Sets KSRC to a usable tree: the one the user named, or Debian's 6.12
# source extracted once into the cache.
kernel_resolve_src() {
	if [ -n "${KSRC:-}" ]; then
		[ -d "$KSRC" ] || die "kernel tree '$KSRC' does not exist (--ksrc/KSRC)"
		[ -f "$KSRC/Makefile" ] && [ -d "$KSRC/drivers/iommu" ] ||
			die "'$KSRC' is not a Linux kernel source tree (no Makefile or drivers/iommu)"
		KSRC=$(cd "$KSRC" && pwd -P)
		return
	fi
	[ -f "$DEBIAN_KSRC_TARBALL" ] || die "no kernel tree: pass --ksrc DIR, or install linux-source-6.12 ($DEBIAN_KSRC_TARBALL missing)"
	local id dir=$IR_CACHE/src
	id=$(stat -c '%s-%Y' "$DEBIAN_KSRC_TARBALL")
	KSRC=$dir/linux-source-6.12
	if [ "$(cat "$dir/.extracted" 2>/dev/null)" != "$id" ]; then
		info "extracting $DEBIAN_KSRC_TARBALL into $dir (once, ~10 s)"
		IR_STAGE="extracting the kernel source"
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp" &&
			ir_spawn tar -C "$dir.tmp" -xf "$DEBIAN_KSRC_TARBALL" ||
			die "cannot extract $DEBIAN_KSRC_TARBALL"
		rm -rf "$dir" && mv "$dir.tmp" "$dir" && echo "$id" >"$dir/.extracted"
	fi
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

# The config fragments, in merge order on top of tinyconfig.
kernel_fragments() {
	echo "$IR_TOP/scripts/vm.config"
	echo "$IR_TOP/selftests/config"
	[ -n "${IR_DEBUG:-}" ] && echo "$IR_TOP/scripts/debug.config"
	[ -n "${IR_EXTRA_CONFIG:-}" ] && echo "$IR_EXTRA_CONFIG"
	return 0
}

# Sets KVER, KBUILD (the O= directory) and KHDR (installed uapi headers).
kernel_build() {
	local ident key frags log nproc stamp want
	frags=$(kernel_fragments)
	ident=$(kernel_src_identity)
	# shellcheck disable=SC2086
	key=$({ echo "$ident"; cat $frags; } | sha256sum | cut -c1-12)
	KVER=$(sed -n 's/^version //p' <<<"$ident")
	KBUILD=$IR_CACHE/build/$KVER-$key
	KHDR=$KBUILD/usr/include
	log=$KBUILD/build.log
	stamp=$KBUILD/.iommufd-replace-built
	mkdir -p "$KBUILD" || die "cannot create $KBUILD"

	if [ -f "$stamp" ] && [ -f "$KBUILD/arch/x86/boot/bzImage" ] &&
		! grep -qx untracked <<<"$ident"; then
		info "kernel $KVER: cached in $KBUILD"
		return
	fi
	if [ -f "$KBUILD/arch/x86/boot/bzImage" ]; then
		info "kernel $KVER: incremental build in $KBUILD (log: $log)"
	else
		info "building kernel $KVER — first run, ~4-8 min on $(nproc) cores (log: $log)"
	fi
	nproc=$(nproc)
	# Only a build that ran to its end may be taken for a finished one.
	rm -f "$stamp"
	IR_STAGE="building kernel $KVER"
	: >"$log"
	# shellcheck disable=SC2086
	{
		ir_spawn make -C "$KSRC" O="$KBUILD" ARCH=x86_64 tinyconfig &&
			ir_spawn "$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KBUILD" \
				"$KBUILD/.config" $frags &&
			ir_spawn make -C "$KSRC" O="$KBUILD" ARCH=x86_64 olddefconfig
	} >>"$log" 2>&1 || die "kernel config failed; see $log"

	# A fragment line that olddefconfig dropped is a tree that cannot run
	# the suite (too old, or a dependency missing): say which one.
	# shellcheck disable=SC2086
	while IFS= read -r want; do
		grep -qx -- "$want" "$KBUILD/.config" ||
			die "kernel $KVER cannot enable ${want%%=*} (requested by the config fragments; see $KBUILD/.config)"
	done < <(grep -hE '^CONFIG_[A-Z0-9_]+=' $frags)

	ir_spawn make -C "$KSRC" O="$KBUILD" ARCH=x86_64 -j"$nproc" bzImage >>"$log" 2>&1 ||
		die "kernel build failed; last lines of $log: $(tail -n 3 "$log" | tr '\n' ' ')"
	ir_spawn make -C "$KSRC" O="$KBUILD" ARCH=x86_64 headers_install >>"$log" 2>&1 ||
		die "make headers_install failed (is rsync installed?); see $log"
	date -u +%FT%TZ >"$stamp"
	info "kernel $KVER built: $KBUILD/arch/x86/boot/bzImage"
}
