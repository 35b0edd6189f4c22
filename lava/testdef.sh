#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The iommufd-replace collection in a LAVA test shell, keeping the bench's
# figures (lava/iommufd-replace.yaml, a test definition in the style of
# Linaro's test-definitions): runs the collection with the kernel's runner,
# then the quick bench, and records one LAVA result per test and one per
# bench record and statistic, with its measurement in ns. A definition
# that parses the runner's TAP alone (Linaro's kselftest one) keeps the
# verdicts and drops every number.
#
# usage: testdef.sh [-p KSELFTEST_PATH] [-u TESTPROG_URL] [-b PRESET|none]
#   -p  where the kselftest tarball is (or is unpacked to); default
#       /opt/kselftests/iommufd-replace. Used as it is when it holds
#       run_kselftest.sh, as on a rootfs made with the collection.
#   -u  the tarball's URL (make gen_tar), fetched when -p holds none
#   -b  the bench preset (quick), or none for the verdicts only
# Outside a test shell (no lava-test-case) it prints the lines instead.
# Exit status: 0 when every line was recorded, whatever the tests said;
# 2 on bad input or a tarball it cannot get.
set -u
here=$(cd "$(dirname "$0")" && pwd)
path=/opt/kselftests/iommufd-replace
url=
preset=quick
while getopts p:u:b: opt; do
	case $opt in
	p) path=$OPTARG ;;
	u) url=$OPTARG ;;
	b) preset=$OPTARG ;;
	*) echo "usage: testdef.sh [-p KSELFTEST_PATH] [-u TESTPROG_URL] [-b PRESET|none]" >&2; exit 2 ;;
	esac
done
out=${OUTPUT:-$(pwd)/output}
mkdir -p "$out" || exit 2
. "$here/lava-results.sh"

fetch_tarball() {
	[ -n "$url" ] || { echo "testdef.sh: $path has no run_kselftest.sh, and no -u TESTPROG_URL" >&2; exit 2; }
	mkdir -p "$path" &&
		{ wget -q -O "$out/kselftest.tar.gz" "$url" || curl -fsSL -o "$out/kselftest.tar.gz" "$url"; } &&
		tar -C "$path" -xf "$out/kselftest.tar.gz" ||
		{ echo "testdef.sh: cannot fetch and unpack $url into $path" >&2; exit 2; }
}

[ -x "$path/run_kselftest.sh" ] || fetch_tarball
cd "$path" || exit 2
# Through a pipe: the runner reopens /dev/stdout for each line it adds.
./run_kselftest.sh -c iommufd-replace 2>&1 | tee "$out/kselftest.tap"
rm -f "$out/bench.json"
if [ "$preset" != none ]; then
	iommufd-replace/replace_bench --preset "$preset" -o "$out/bench.json" >"$out/bench.txt" 2>&1
	echo "replace_bench: exit $?, $(tail -n 1 "$out/bench.txt")"
fi
lava_results "$out/kselftest.tap" "$out/bench.json" iommufd-replace/metrics.py >"$out/lava.txt" ||
	echo "lava-test-case iommufd-replace-bench --result fail" >>"$out/lava.txt"
# Each line is lava-test-case NAME ARGS..., the name [-_a-zA-Z0-9.]:
# run where the shell has it, printed where it has not.
command -v lava-test-case >/dev/null || { cat "$out/lava.txt"; exit 0; }
rc=0
while read -r _ name args; do
	# shellcheck disable=SC2086 # the arguments are words by design
	lava-test-case "$name" $args || rc=2
done <"$out/lava.txt"
exit $rc
