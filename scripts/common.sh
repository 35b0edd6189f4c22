# shellcheck shell=bash
# Messages and package installs shared by run.sh and the check script.

IR_PROG=${IR_PROG:-run.sh}
# Kernel sources and builds, kept between runs.
IR_CACHE_DEFAULT=${XDG_CACHE_HOME:-${HOME:-/var/tmp}/.cache}/iommufd-replace

die() {
	printf '%s: error: %s\n' "$IR_PROG" "$*" >&2
	exit 1
}

info() {
	[ -n "${IR_QUIET:-}" ] || printf '%s: %s\n' "$IR_PROG" "$*" >&2
}

# Installs the Debian packages named, those not yet installed: as root with
# apt-get, otherwise it prints the exact command and fails.
ensure_packages() {
	local p missing=()

	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		die "missing packages; run: sudo apt-get install --no-install-recommends ${missing[*]}"
	fi
	info "installing ${missing[*]}"
	local log=${TMPDIR:-/tmp}/iommufd-replace-apt.log
	IR_STAGE="installing packages"
	{
		ir_spawn apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive ir_spawn apt-get install -y -qq \
				--no-install-recommends "${missing[@]}"
	} >"$log" 2>&1 ||
		die "apt-get install ${missing[*]} failed; see $log"
}

# The Debian mirror this host's apt fetches from (empty if it names none).
debian_mirror() {
	apt-get indextargets --format '$(REPO_URI)' 'Identifier: Packages' 2>/dev/null |
		grep -v -- '-security' | head -n 1
}

# debian_bootstrap DIR LOG ARCH VARIANT PACKAGES: Debian bookworm for ARCH
# (Debian's name: amd64, arm64) into DIR with mmdebstrap, from the mirror
# this host's apt uses, without documentation, manual pages or
# translations; its output into LOG. VARIANT minbase installs; extract
# only unpacks PACKAGES and what they depend on (no maintainer script
# runs, so it works for any architecture without an emulator).
debian_bootstrap() {
	local dir=$1 log=$2 arch=$3 variant=$4 pkgs=$5 mirror
	mirror=$(debian_mirror)
	ir_spawn mmdebstrap --mode=root --variant="$variant" --architectures="$arch" \
		--include="$pkgs" \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		bookworm "$dir" "deb ${mirror:-http://deb.debian.org/debian/} bookworm main" \
		>"$log" 2>&1
}

# apt_download DIR LOG PKG [APT-GET OPTIONS...]: PKG's .deb into DIR, its
# output into LOG. apt-get download writes to the current directory. Not
# in a subshell: the trap that stops ir_spawn's groups does not run in one.
apt_download() {
	local dir=$1 log=$2 pkg=$3 here=$PWD rc=0
	shift 3
	cd "$dir" || die "cannot enter $dir"
	ir_spawn apt-get "$@" download "$pkg" >"$log" 2>&1 || rc=$?
	cd "$here" || die "cannot return to $here"
	return "$rc"
}

# What building the suite needs, and what building a kernel needs on top
# (the emulator and cross compiler of each architecture: kernel_arch).
IR_SUITE_PACKAGES=(gcc make libc6-dev perl python3 liburing-dev libnuma-dev)
IR_KERNEL_PACKAGES=(flex bison bc libelf-dev libssl-dev rsync xz-utils cpio)
# The host's reading of bench results: statistics, plots, schema
# validation, from Debian's maintained libraries, run by Debian's python
# (a python of one's own on PATH does not see them).
IR_ANALYSIS_PACKAGES=(python3-scipy python3-matplotlib python3-jsonschema)
IR_PYTHON=/usr/bin/python3
