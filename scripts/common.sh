# shellcheck shell=bash
# Messages and package installs shared by run.sh and the check script.

IR_PROG=${IR_PROG:-run.sh}
# Kernel sources and builds, kept between runs.
IR_CACHE_DEFAULT=${XDG_CACHE_HOME:-${HOME:-/var/tmp}/.cache}/iommufd-replace

# ir_fail STATUS MSG...: one line on stderr, exit STATUS.
ir_fail() {
	local status=$1
	shift
	printf '%s: error: %s\n' "$IR_PROG" "$*" >&2
	exit "$status"
}

die() {
	ir_fail 1 "$@"
}

# A tree this run cannot test (it does not configure, build or boot to
# the job, or lacks what the suite needs): one line, exit 125, which
# git bisect run takes for "skip this commit", never for "bad".
IR_UNTESTABLE=125
die_untestable() {
	ir_fail "$IR_UNTESTABLE" "$@"
}

# Bad input on the command line: one line, exit 2.
usage_error() {
	printf '%s: error: %s (see ./run.sh --help)\n' "$IR_PROG" "$*" >&2
	exit 2
}

need_arg() {
	[ $# -ge 2 ] && [ -n "$2" ] || usage_error "$1 needs a value"
}

info() {
	[ -n "${IR_QUIET:-}" ] || printf '%s: %s\n' "$IR_PROG" "$*" >&2
}

# ir_write FILE: standard input into FILE, whole (a temporary name, then
# rename); ir_append FILE LINE...: the lines onto FILE. A write that fails
# (a full disk) ends the run with one line naming the file and the error,
# never a verdict on what it lacks.
ir_write() {
	local f=$1 err
	err=$({ cat >"$f.tmp" && mv -f "$f.tmp" "$f"; } 2>&1) || {
		rm -f "$f.tmp"
		die "cannot write $f: ${err##*: }"
	}
}

ir_append() {
	local f=$1 err
	shift
	err=$({ printf '%s\n' "$@" >>"$f"; } 2>&1) || die "cannot write $f: ${err##*: }"
}

# How long a package step waits for another package manager (a second
# work tree's install, unattended-upgrades on a fresh machine) to let go
# of dpkg's lock: the longest install here, the LAVA packages on a cold
# machine, took about 3 minutes.
IR_APT_LOCK_TIMEOUT=${IR_APT_LOCK_TIMEOUT:-900}

# The packages of those named that dpkg does not call installed (one
# that another install is unpacking right now is not).
packages_missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || echo "$p"
	done
}

# The pid holding a package manager's lock (apt's frontend lock, dpkg's
# own, apt's package lists' or its archives'), read from /proc/locks so
# that looking never takes it; nothing when all are free.
dpkg_lock_holder() {
	local f ino
	for f in /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock \
		/var/cache/apt/archives/lock; do
		ino=$(stat -c '%i' "$f" 2>/dev/null) || continue
		# "1: POSIX ADVISORY WRITE PID MAJ:MIN:INODE ...": the holder;
		# a waiter's line has "->" second.
		awk -v ino="$ino" '$2 != "->" && split($6, id, ":") == 3 && id[3] == ino {
			print $5; exit
		}' /proc/locks
	done | head -n 1
}

# Waits while another package manager holds its lock, and says so.
dpkg_lock_wait() {
	local holder waited=0
	holder=$(dpkg_lock_holder)
	[ -n "$holder" ] || return 0
	info "waiting for another package manager to finish (pid $holder, $(ps -o comm= -p "$holder" 2>/dev/null || echo gone), holds its lock; up to ${IR_APT_LOCK_TIMEOUT}s)"
	IR_STAGE="waiting for the package manager's lock"
	while [ -n "$(dpkg_lock_holder)" ]; do
		[ $waited -lt "$IR_APT_LOCK_TIMEOUT" ] ||
			die "the package manager's lock is still held after ${IR_APT_LOCK_TIMEOUT}s (pid $(dpkg_lock_holder)); try again when it is done"
		sleep 1
		waited=$((waited + 1))
	done
	info "the package manager's lock is free after ${waited}s"
}

# apt_step LOG ARGS...: apt-get ARGS, its output onto LOG. dpkg's lock it
# waits for itself (DPkg::Lock::Timeout); one that apt does not wait for
# (the package lists' lock of an apt-get update) is waited for here, and
# the step tried again.
apt_step() {
	local log=$1 start t0=$SECONDS
	shift
	while :; do
		start=$(wc -l <"$log")
		ir_spawn apt-get -o "DPkg::Lock::Timeout=$IR_APT_LOCK_TIMEOUT" "$@" >>"$log" 2>&1 && return 0
		tail -n +"$((start + 1))" "$log" | grep -q 'Could not get lock' || return 1
		[ $((SECONDS - t0)) -lt "$IR_APT_LOCK_TIMEOUT" ] || return 1
		[ -n "$(dpkg_lock_holder)" ] || sleep 1
		dpkg_lock_wait
	done
}

# Installs the Debian packages named, those not yet installed: as root with
# apt-get, otherwise it prints the exact command and fails. A package is
# judged installed by dpkg, once no other package manager is at work.
ensure_packages() {
	local missing log

	mapfile -t missing < <(packages_missing "$@")
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		die "missing packages; run: sudo apt-get install --no-install-recommends ${missing[*]}"
	fi
	# What another install was unpacking may be there once it is done.
	dpkg_lock_wait
	mapfile -t missing < <(packages_missing "${missing[@]}")
	[ ${#missing[@]} -eq 0 ] && return 0
	info "installing ${missing[*]}"
	# Each run's own log: two work trees installing at once keep theirs.
	log=$(mktemp "${TMPDIR:-/tmp}/iommufd-replace-apt.XXXXXX.log") ||
		die "cannot create a log for apt-get in ${TMPDIR:-/tmp}"
	IR_STAGE="installing packages"
	# A dpkg run killed half-way (ours or another's) is finished first:
	# apt-get refuses to install on top of it.
	if [ -n "$(dpkg --audit 2>/dev/null)" ]; then
		info "finishing an interrupted dpkg run first (dpkg --configure -a)"
		ir_spawn dpkg --configure -a >"$log" 2>&1
	fi
	apt_step "$log" update -qq &&
		DEBIAN_FRONTEND=noninteractive apt_step "$log" install -y -qq \
			--no-install-recommends "${missing[@]}"
	mapfile -t missing < <(packages_missing "${missing[@]}")
	[ ${#missing[@]} -eq 0 ] || die "apt-get install ${missing[*]} failed; see $log"
	rm -f "$log"
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
IR_SUITE_PACKAGES=(gcc make libc6-dev perl python3 liburing-dev libnuma-dev ccache)
IR_KERNEL_PACKAGES=(flex bison bc libelf-dev libssl-dev rsync xz-utils cpio lz4)
# The host's reading of bench results: statistics, plots, schema
# validation, from Debian's maintained libraries, run by Debian's python
# (a python of one's own on PATH does not see them).
IR_ANALYSIS_PACKAGES=(python3-scipy python3-matplotlib python3-jsonschema)
IR_PYTHON=/usr/bin/python3

# ir_ccache: the suite's compiles go through ccache (one of
# IR_SUITE_PACKAGES; lib/objects.mk reads IR_CCACHE), cached beside the
# kernels: make check builds the suite again in each of its work trees for
# each kernel it boots, and a fresh clone builds all of it once more.
# Paths under the work tree hash as relative ones and the directory of a
# compile not at all, so that two work trees share what they built.
ir_ccache() {
	command -v ccache >/dev/null || return 0
	export IR_CCACHE=ccache CCACHE_DIR=$IR_CACHE/ccache CCACHE_BASEDIR=$IR_TOP CCACHE_NOHASHDIR=1
}
