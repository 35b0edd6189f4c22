# shellcheck shell=bash
# ./run.sh coverage on the host: the tree copied with GCOV on for
# drivers/iommu, the kernel's own iommufd selftests built from it, and the
# report (lcov, genhtml, scripts/coverage.py) from the counters the guest
# kept (scripts/gcov.sh). Sourced by run.sh.

IR_COVERAGE_PACKAGES=(lcov libcap-dev)

# The tree a coverage kernel is built from: a copy of $KSRC (hard links,
# in the cache; $KSRC is never written) whose drivers/iommu Makefiles turn
# GCOV on for iommufd and for the IOMMU core's attach and fault paths
# only. (GCOV_PROFILE_<name>.o on make's command line would match every
# object of that name, arch/x86/boot/main.o among them, which cannot
# link the profiler; GCOV_PROFILE_ALL would slow every part of the guest.)
coverage_tree() {
	local key dir name
	key=$(kernel_src_identity | sha256sum | cut -c1-12)
	name=$(basename "$KSRC")
	dir=$IR_CACHE/src-coverage/$key
	# .extracted: the copy's identity (kernel_src_identity), as a patched
	# tree's.
	if [ ! -f "$dir/.extracted" ]; then
		info "coverage: GCOV on drivers/iommu in a copy of $KSRC ($dir)"
		IR_STAGE="copying $KSRC for coverage"
		kernel_tree_copy "$dir/$name" drivers/iommu/iommufd/Makefile drivers/iommu/Makefile
		echo 'GCOV_PROFILE := y' >>"$dir/$name/drivers/iommu/iommufd/Makefile" &&
			printf 'GCOV_PROFILE_iommu.o := y\nGCOV_PROFILE_io-pgfault.o := y\n' \
				>>"$dir/$name/drivers/iommu/Makefile" &&
			echo "$key coverage" >"$dir/.extracted" || die "cannot write the Makefiles in $dir"
	fi
	KSRC=$dir/$name
}

# The kernel's tools/testing/selftests/iommu, built from the tree under
# test against its headers into build/kernel-iommu. A tree whose tests
# are newer than its uapi (Debian's 6.12 backports the tests' fixes, not
# the uapi they use) builds with the names they miss defined.
coverage_kernel_selftests() {
	local out=$IR_TOP/build/kernel-iommu inc="-isystem $KHDR"
	grep -qs in_data_type "$KHDR/linux/iommufd.h" ||
		inc+=" -Din_data_type=out_data_type -DIOMMU_HW_INFO_TYPE_DEFAULT=0 -DIOMMU_HW_INFO_FLAG_INPUT_TYPE=1"
	grep -qs MOCK_FLAGS_DEVICE_PASID "$KSRC/drivers/iommu/iommufd/iommufd_test.h" ||
		inc+=" -DMOCK_FLAGS_DEVICE_PASID=4 -DMOCK_PASID_WIDTH=20"
	IR_STAGE="building the kernel's iommufd selftests"
	rm -rf "$out" && mkdir -p "$out" || die "cannot create $out"
	ir_spawn make -C "$KSRC/tools/testing/selftests/iommu" OUTPUT="$out" \
		CROSS_COMPILE="$IR_CROSS" KHDR_INCLUDES="$inc" >"$out/build.log" 2>&1 ||
		die "the kernel's iommufd selftests do not build against $KVER: $(grep -m1 error "$out/build.log") (log: build/kernel-iommu/build.log)"
}

# coverage_capture SIDE: results/coverage/SIDE.info from gcov-SIDE.tar,
# each .gcda beside the .gcno of the build it came from.
coverage_capture() {
	local side=$1 dir=$IR_OUT/coverage/$1 f
	mkdir -p "$dir" && tar -C "$dir" -xf "$IR_OUT/gcov-$side.tar" ||
		die "the guest's coverage counters ($IR_OUT/gcov-$side.tar) cannot be read"
	while read -r f; do
		cp "/${f%.gcda}.gcno" "$dir/${f%.gcda}.gcno" ||
			die "no $f's .gcno in the build: was $KBUILD built for coverage?"
	done < <(cd "$dir" && find . -name '*.gcda' | sed 's|^\./||')
	ir_spawn lcov --quiet --capture --rc lcov_branch_coverage=1 \
		--gcov-tool "${IR_CROSS}gcov-12" --directory "$dir$KBUILD" \
		--base-directory "$KBUILD" --output-file "$dir.all.info" \
		>"$dir.lcov.log" 2>&1 &&
		ir_spawn lcov --quiet --rc lcov_branch_coverage=1 --extract "$dir.all.info" \
			'*/drivers/iommu/*' --output-file "$dir.info" >>"$dir.lcov.log" 2>&1 ||
		die "lcov could not read the $side counters (log: $dir.lcov.log)"
}

# After the guest: both sides captured, ours as HTML, the tables as text.
coverage_report() {
	local side
	for side in ours theirs; do
		coverage_capture "$side"
	done
	ir_spawn genhtml --quiet --branch-coverage --output-directory "$IR_OUT/coverage/html" \
		"$IR_OUT/coverage/ours.info" >"$IR_OUT/coverage/genhtml.log" 2>&1 ||
		die "genhtml failed (log: $IR_OUT/coverage/genhtml.log)"
	"$IR_PYTHON" "$IR_TOP/scripts/coverage.py" "$IR_OUT/coverage/ours.info" \
		"$IR_OUT/coverage/theirs.info" >"$IR_OUT/coverage.txt" ||
		die "the coverage tables failed"
	# Into the summary report.sh writes (ir_append: this file does not call back into it).
	ir_append "$IR_OUT/summary.md" "- coverage: coverage.txt (per file and per replace-path function, ours against the kernel's iommufd selftests), coverage/html/"
	# The replace path's table, up to the next heading.
	awk '/^## / { on = /^## The replace path/ } on' "$IR_OUT/coverage.txt"
	echo "coverage: $IR_OUT/coverage.txt, $IR_OUT/coverage/html/index.html"
}
