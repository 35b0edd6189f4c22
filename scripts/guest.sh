# shellcheck shell=bash
# Boots the kernel under QEMU with the host's root over read-only virtio-9p
# and a writable 9p share for results: the guest runs the very binaries
# built on the host. Sourced by run.sh.

# choose_accel: the accelerator (IR_ACCEL) and bench mode (IR_BENCH_MODE)
# of a guest, one rule for every action: --kvm or --tcg as given (--kvm
# where KVM cannot boot a guest here is an error, never a silent TCG);
# otherwise TCG under icount, and by the wall clock KVM where a guest
# boots with it, TCG where not.
choose_accel() {
	if [ "$IR_ACCEL" = kvm ]; then
		# A dry run boots nothing: it shows the --kvm command unprobed.
		[ -n "${IR_DRY_RUN:-}" ] || guest_kvm_usable ||
			die "--kvm: KVM cannot boot a guest on this host (/dev/kvm missing, not ours, or a probe boot failed); drop --kvm for TCG"
	elif [ -z "$IR_ACCEL" ]; then
		IR_ACCEL=tcg
		[ -z "$IR_ICOUNT" ] && guest_kvm_usable && IR_ACCEL=kvm
	fi
	IR_BENCH_MODE=$IR_ACCEL-wallclock
	[ -z "$IR_ICOUNT" ] || IR_BENCH_MODE=icount
}

# KVM counts as usable only when a guest really boots with it: /dev/kvm
# can exist on a host that cannot run one (nested virtualisation that
# rejects MSRs, or hangs). The answer is cached per host boot.
guest_kvm_usable() {
	local boot cache
	[ "$IR_ARCH" = "$IR_HOST_ARCH" ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null) || boot=unknown
	cache=$IR_CACHE/kvm-usable-$boot
	# A dry run boots no probe: without an answer already, TCG.
	[ -f "$cache" ] || [ -z "${IR_DRY_RUN:-}" ] || return 1
	if [ ! -f "$cache" ]; then
		info "probing whether KVM can boot a guest here (once per host boot)"
		IR_STAGE="probing KVM"
		ir_spawn timeout -k 2 20 "$IR_QEMU" "${IR_MACHINE[@]}" -nodefaults -no-reboot \
			-display none -accel kvm -cpu host -m 256 -serial stdio \
			-kernel "$KBUILD/$IR_KIMAGE" \
			-append "console=$IR_CONSOLE panic=-1 root=/dev/nonexistent" \
			>"$cache.log" 2>&1
		if grep -q 'Kernel panic' "$cache.log"; then
			echo yes >"$cache"
		else
			echo no >"$cache"
		fi
		rm -f "$cache.log"
	fi
	[ "$(cat "$cache")" = yes ]
}

# Fills QEMU_CMD (an array) for results directory $1 and console mode $2
# ("file" or "stdio"). An x86_64 guest's root is the host's, work tree
# included; an arm64 guest's is the Debian tree of scripts/target-root.sh,
# and the work tree is a share of its own, mounted at the same path; a
# sealed guest's (IR_SEALED) is an initramfs of the job (scripts/sealed.sh).
guest_qemu_cmd() {
	local out=$1 console=$2 accel cpu half i root=/ init boot
	local append="console=$IR_CONSOLE root=/dev/root rootfstype=9p"
	local initramfs=$IR_TOP/build/sealed/initramfs.cpio

	if [ "$IR_ARCH" = x86_64 ]; then
		init=$IR_TOP/scripts/guest-init.sh
	else
		root=$IR_SYSROOT init="/sbin/ir-init irtop=$IR_TOP"
	fi
	if [ -n "$IR_SEALED" ]; then
		sealed_initramfs "$initramfs" "$out"
		append="console=$IR_CONSOLE panic=-1 quiet $IR_SEALED_ARGS"
		boot=(-initrd "$initramfs" -rtc "base=$IR_SEALED_RTC,clock=vm")
	else
		append+=" rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose ro"
		append+=" init=$init panic=-1 quiet"
		boot=(-fsdev "local,id=rootfs,path=$root,security_model=none,readonly=on,multidevs=remap"
			-device virtio-9p-pci,fsdev=rootfs,mount_tag=/dev/root)
	fi
	if [ "$IR_ACCEL" = kvm ]; then
		accel=(-accel kvm) cpu=host
	else
		accel=(-accel "tcg,thread=$IR_TCG_THREAD") cpu=$IR_TCG_CPU
		[ -z "$IR_SEALED" ] || cpu+=,-rdrand,-rdseed
		if [ -n "${IR_ICOUNT:-}" ]; then
			accel=(-accel tcg -icount "$IR_ICOUNT_OPTS")
			# Under icount the TSC follows the one virtual clock, so it
			# is synchronous: reading it costs 63 instruction-ns in the
			# vDSO at 1 ns resolution, against 376 ns at 10 ns for HPET.
			# (arm64's generic timer follows it without being asked.)
			[ "$IR_ARCH" != x86_64 ] || append+=" clocksource=tsc tsc=reliable"
		fi
	fi
	append+="${IR_IOMMU_ARGS:+ $IR_IOMMU_ARGS}"
	# The user's arguments come last, so they can override ours.
	append+=" ${IR_KERNEL_ARGS:-}"
	QEMU_CMD=("$IR_QEMU" -nodefaults -no-reboot -display none "${IR_MACHINE[@]}"
		"${accel[@]}" -cpu "$cpu" -m "${IR_MEM}M"
		-kernel "$KBUILD/$IR_KIMAGE" -append "$append"
		"${IR_IOMMU_DEVICES[@]}" "${boot[@]}"
		-fsdev "local,id=results,path=$out,security_model=none"
		-device virtio-9p-pci,fsdev=results,mount_tag=results)
	if [ "$IR_ARCH" != x86_64 ]; then
		QEMU_CMD+=(-fsdev "local,id=worktree,path=$IR_TOP,security_model=none,readonly=on,multidevs=remap"
			-device virtio-9p-pci,fsdev=worktree,mount_tag=worktree)
	fi
	# Two NUMA nodes, so NUMA placement is testable: a socket of vCPUs
	# each, or with a sealed guest's one vCPU, the second node memory only.
	if [ "$IR_CPUS" -ge 2 ] || [ -n "$IR_SEALED" ]; then
		half=$((IR_MEM / 2))
		for i in 0 1; do
			QEMU_CMD+=(-object "memory-backend-ram,id=mem$i,size=${half}M"
				-numa "node,nodeid=$i,memdev=mem$i")
		done
		if [ "$IR_CPUS" -ge 2 ]; then
			QEMU_CMD+=(-numa "cpu,node-id=0,socket-id=0"
				-numa "cpu,node-id=1,socket-id=1"
				-smp "$IR_CPUS,sockets=2")
		else
			QEMU_CMD+=(-numa "cpu,node-id=0,socket-id=0" -smp 1)
		fi
	else
		QEMU_CMD+=(-smp "$IR_CPUS")
	fi
	if [ "$console" = stdio ]; then
		QEMU_CMD+=(-serial mon:stdio)
	else
		QEMU_CMD+=(-serial "file:$out/console.log")
	fi
}

# Shows, while the guest runs, a line per test program, every failed
# test, and the hot path's bench rows as the guest writes them to the
# share (on a terminal only): the full TAP and table stay in the results.
# A process group of its own, like every child (signals.sh): out of reach
# of the terminal's Ctrl-C, stopped by the trap or the reaper.
guest_progress_start() {
	local out=$1
	# Line-buffered all the way: mawk would wait for a block of input.
	ir_spawn_bg bash -c 'tail -n +1 -q -F "$1/selftests.tap" "$1/kselftest.tap" "$1/bench.txt" 2>/dev/null |
		grep --line-buffered -E "^(not )?ok [0-9]+ |^# not ok [0-9]+ |^scenario |^hwpt_hwpt +replace " |
		sed -u -e "s/^# /  /" -e "s/^\([a-z]\)/  \1/"' progress "$out"
	IR_PROGRESS_PID=$IR_SPAWNED
}

# Stops the live progress pipeline.
ir_stop_progress() {
	kill -- "-$IR_PROGRESS_PID" 2>/dev/null
	wait "$IR_PROGRESS_PID" 2>/dev/null
	ir_forget_group "$IR_PROGRESS_PID"
	IR_PROGRESS_PID=
}

# Runs job script $2 in a guest whose results land in $1. Returns 0 when
# the job finished (its own status is in $1/job.rc), 124 on timeout, 125
# when the guest died first.
guest_run() {
	local out=$1 job=$2 console=${3:-file} rc=0

	ir_write "$out/job.sh" <"$job"
	guest_qemu_cmd "$out" "$console"
	ir_write "$out/qemu.cmd" < <(printf '%q ' "${QEMU_CMD[@]}" && echo)
	if [ -n "${IR_DRY_RUN:-}" ]; then
		cat "$out/qemu.cmd"
		return 0
	fi
	IR_STAGE="running the guest"
	if [ "$console" = stdio ]; then
		# The console is the terminal: Ctrl-C belongs to the guest.
		# In the foreground, not a group of run.sh's: the kernel stops
		# it should run.sh die, and it holds no descriptor of run.sh's.
		setpriv --pdeathsig TERM -- "${QEMU_CMD[@]}" {IR_REAPER}>&- {IR_LOCK}>&- || rc=$?
	else
		[ -z "${IR_PROGRESS:-}" ] || guest_progress_start "$out"
		[ -z "${IR_PROGRESS:-}" ] || [ -z "$IR_SEALED" ] ||
			info "the guest is sealed: its results arrive when the bench is done"
		ir_spawn timeout -k 5 "$IR_TIMEOUT" "${QEMU_CMD[@]}" \
			>"$out/qemu.log" 2>&1 || rc=$?
		if [ -n "${IR_PROGRESS_PID:-}" ]; then
			sleep 0.5
			ir_stop_progress
		fi
	fi
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		return 124
	fi
	results_arrived "$out"
	[ -f "$out/job.rc" ] || return 125
	return 0
}

# results_arrived DIR: every file the job's manifest lists (scripts/
# ledger.sh) arrived in DIR with all the bytes the guest wrote for it;
# else the run ends with one line. No manifest and no job.rc is a job
# that never finished (the caller tells a hang or a panic), unless the
# results' file system is full.
results_arrived() {
	local out=$1 bytes name have free
	free=$(df -P -k "$out" 2>/dev/null | awk 'NR == 2 { print $4 }')
	if [ ! -f "$out/manifest" ] || [ "$(tail -n 1 "$out/manifest")" != end ]; then
		[ -f "$out/job.rc" ] || [ "${free:-0}" -lt 1024 ] || return 0
		die "results incomplete: the job's manifest did not arrive in $out ($free KiB free on its file system)"
	fi
	while read -r bytes name; do
		[ "$bytes" != end ] || break
		have=$(stat -c %s "$out/$name" 2>/dev/null) || have=0
		[ "$have" = "$bytes" ] ||
			die "results incomplete: $out/$name has $have of the $bytes bytes the job wrote ($free KiB free on its file system)"
	done <"$out/manifest"
}

# Why a guest never reached its job, in a few words from its console.
guest_no_job_reason() {
	grep -m1 -E 'Kernel panic|BUG:|Oops|not syncing' "$IR_OUT/console.log" 2>/dev/null ||
		echo "no panic in the console log"
}
