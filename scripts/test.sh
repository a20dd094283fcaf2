#!/usr/bin/env bash
# Steps run through step(), which shellcheck cannot follow:
# shellcheck disable=SC2317
# SPDX-License-Identifier: GPL-2.0
# The test run: set up the machine, test the workbench itself, make the tree
# (base + series), check every patch, build, boot the guests and run the
# KUnit suites and kselftest targets there, then give the verdict. Ends with
# the line 'N passed, N failed'.
#
# Guests (each with QEMU's edu device): intremap (VT-d interrupt remapping,
# IMS offered), none (no IOMMU), nosid (remapping without source-id
# checks: intremap=nosid) and caching (VT-d in caching mode, as a
# guest's vIOMMU); the last two are the negative runs.
#
# A fourth guest, like intremap, boots the debug kernel (KASAN, lockdep,
# kmemleak, debug objects): by default (IMS_DEBUG=quick) it runs the KUnit
# suites and the quick subset of the kselftests (run 'debug': the targets
# and settings that selftests/kselftest-targets marks "quick:");
# IMS_DEBUG=full runs all of them there (run 'debug-full'), IMS_DEBUG=0
# none. Both end with a kmemleak scan.
#
# Knobs: IMS_RUNS="intremap none caching" picks the guests of the vm kernel;
# IMS_DEBUG=quick|full|0; IMS_SKIP_CHECKS=1 skips the per-patch checks.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

TEST=$BUILD/test
RESULTS=$TEST/results
KSFT=$TEST/kselftest
S=$IMS_TOP/scripts
runs=${IMS_RUNS:-intremap none nosid caching}
debug=${IMS_DEBUG:-quick}

# step NAME COMMAND...: run one step, timed, its output in a log.
step()
{
	local name=$1 start rc=0
	shift
	start=$(date +%s)
	info "== $name"
	"$@" 2>&1 | tee "$LOGS/test-$name.log" || rc=${PIPESTATUS[0]}
	info "== $name: $([ "$rc" -eq 0 ] && echo ok || echo "FAILED ($rc)") in $(($(date +%s) - start)) s"
	return "$rc"
}

# tap_line DIR STEM STATUS NAME: add one result to DIR/STEM.tap.
tap_line()
{
	local dir=$1 stem=$2 ok=$3 name=$4 f n
	f=$dir/$stem.tap
	mkdir -p "$dir"
	n=$(grep -c '^\(not \)\?ok ' "$f" 2>/dev/null || true)
	[ "$ok" = ok ] && echo "ok $((n + 1)) $name" >>"$f" || echo "not ok $((n + 1)) $name" >>"$f"
}

install_kselftests()
{
	local targets
	targets=$(kselftest_targets | tr '\n' ' ')
	rm -rf "$KSFT"
	[ -n "$targets" ] || return 0
	make -C "$KTREE/tools/testing/selftests" -j"$JOBS" O="$TEST/kselftest-build" \
		KHDR_INCLUDES="-isystem $OUT/vm/usr/include" \
		TARGETS="$targets" INSTALL_PATH="$KSFT" install >"$LOGS/kselftest-build.log" 2>&1 ||
		die "building kselftests ($targets) failed: see $LOGS/kselftest-build.log"
}

# boot RUN IOMMU [VARIANT]: one guest; results land in $RESULTS/RUN.
boot()
{
	local run=$1 iommu=$2 variant=${3:-vm} dir=$RESULTS/$1 append="" targets
	mkdir -p "$dir"
	touch "$dir/booted"
	# The KUnit suites are built in and run at every boot; count them once.
	[ "$run" = intremap ] || [ "$variant" = debug ] || append="kunit.enable=0"
	mapfile -t targets < <(kselftest_targets)
	# The guest does not inherit the environment: hand the tests' knobs over
	local knobs=(env)
	# Each test is told what the guest is: one that should offer IMS and
	# does not (remapping lost, say) fails instead of passing the tests of
	# a platform without IMS.
	case $iommu in
	intremap) knobs+=(PCI_IMS_EXPECT=1) ;;
	*) knobs+=(PCI_IMS_EXPECT=0) ;;
	esac
	# QEMU's VT-d model validates the source id of a remappable interrupt
	# only when the write carries a requester id, and edu's DMA writes
	# carry none: a forged message of another function is delivered.
	# pci_ims_forge_test.sh then reports that as the platform's expected
	# failure and fails if the write is blocked (a model that checks).
	knobs+=(PCI_IMS_SID_CHECK=0)
	[ -z "${PCI_IMS_CONCURRENCY_SECONDS:-}" ] ||
		knobs+=("PCI_IMS_CONCURRENCY_SECONDS=$PCI_IMS_CONCURRENCY_SECONDS")
	if [ "$run" = debug ]; then
		mapfile -t targets < <(quick_targets)
		mapfile -t -O "${#knobs[@]}" knobs < <(quick_settings)
	fi
	# The debug kernel runs the same tests several times slower under TCG:
	# longer kselftest and guest timeouts for it.
	local vm_timeout=${IMS_VM_TIMEOUT:-1500}
	if [ "$variant" = debug ] && [ "$run" = debug ]; then
		# The quick run takes 5 to 23 minutes on the 2-CPU machines seen
		# so far; these bounds keep a hung guest within CI's 90 minutes.
		knobs+=("KSFT_TIMEOUT=${IMS_DEBUG_KSFT_TIMEOUT:-1500}")
		vm_timeout=${IMS_VM_TIMEOUT:-2400}
	elif [ "$variant" = debug ]; then
		knobs+=("KSFT_TIMEOUT=${IMS_DEBUG_KSFT_TIMEOUT:-2400}")
		vm_timeout=${IMS_VM_TIMEOUT:-4800}
	fi
	local rc=0
	IMS_VM_TIMEOUT=$vm_timeout "$S/vm.sh" --variant "$variant" --iommu "$iommu" --rwdir "$dir" \
		${append:+--append " $append"} --log "$dir/console.log" -- \
		"${knobs[@]}" "$S/guest/run-tests.sh" "$dir" "$([ -d "$KSFT" ] && echo "$KSFT" || echo -)" "${targets[@]}" ||
		rc=$?
	# The verdict reads it: a guest that timed out or crashed fails its run.
	echo "$rc" >"$dir/exit"
	[ "$rc" -eq 0 ] || info "guest $run exited with $rc"
	[ -f "$dir/finished" ] || tail -n 30 "$dir/console.log" >&2
}

# Jobs running in the background: name -> process (group) id.
declare -A bg_pids=()

# in_background NAME NICENESS COMMAND...: run a command while the next steps
# run, in a process group of its own (so that an early end can stop it) and
# at a lower priority; its output goes to $LOGS/test-NAME.log.
#
# A new session is a new scheduler autogroup, which gets an equal share of
# the CPUs whatever the nice value of its tasks: the autogroup gets the
# niceness too (without autogroups the write fails, and nice alone works).
in_background()
{
	local name=$1 niceness=$2
	shift 2
	info "== $name: in the background (log: $LOGS/test-$name.log)"
	# shellcheck disable=SC2016
	setsid bash -c 'echo "$1" >/proc/self/autogroup 2>/dev/null; shift; exec nice -n "$@"' \
		- "$niceness" "$niceness" "$@" >"$LOGS/test-$name.log" 2>&1 &
	bg_pids[$name]=$!
}

# wait_background NAME: wait for a background job; its exit status.
wait_background()
{
	local name=$1 rc=0
	info "== $name: waiting for it"
	wait "${bg_pids[$name]}" || rc=$?
	unset "bg_pids[$name]"
	info "== $name: $([ "$rc" -eq 0 ] && echo ok || echo "FAILED ($rc)"), $(($(date +%s) - start)) s into the run"
	return "$rc"
}

# build_in_background VARIANT NICENESS: build a kernel config beside the
# next steps: the per-patch checks compile a few objects at a time and leave
# CPU time idle, which the build takes (cold, the vm build is done 852 s into
# the run instead of ~1110 s one after the other).
build_in_background()
{
	in_background "build-$1" "$2" "$S/build.sh" "$1"
}

# wait_build VARIANT: wait for a background build; if it failed, record it
# and go straight to the verdict.
wait_build()
{
	local variant=$1
	if ! wait_background "build-$variant"; then
		tail -n 5 "$LOGS/test-build-$variant.log" >&2
		tap_line "$RESULTS/workbench" steps fail "build-$variant (see $LOGS/test-build-$variant.log)"
		finish
	fi
}

# required_runs: the runs a complete test run has. A knob that leaves one
# out (IMS_RUNS, IMS_DEBUG, IMS_SKIP_CHECKS) makes the verdict fail it as
# "not run": a narrowed run can never pass as the full one.
required_runs()
{
	echo "workbench checks uml uml-default intremap none nosid caching"
	[ "$debug" = full ] && echo debug-full || echo debug
}

# narrowed_by: the knobs that narrowed this run, for the verdict to name.
narrowed_by()
{
	local v out=()
	for v in IMS_RUNS IMS_DEBUG IMS_SKIP_CHECKS IMS_SKIP_KUNIT_UML; do
		[ -z "${!v:-}" ] || out+=("$v=${!v}")
	done
	echo "${out[*]:-nothing}"
}

# finish: give the verdict and end the run.
finish()
{
	local pid
	# A run that ends early stops the builds still running in the background.
	for pid in "${bg_pids[@]}"; do
		kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
	done
	info "test run took $(($(date +%s) - start)) s; results in $RESULTS"
	"$S/verdict.py" "$RESULTS" "$IMS_TOP/selftests/expected" \
		--runs "$(required_runs | tr '\n' ' ')" --why "left out by $(narrowed_by)"
	exit $?
}

# must NAME COMMAND...: a step the rest depends on; if it fails, record it
# and go straight to the verdict.
must()
{
	local name=$1
	if ! step "$@"; then
		tap_line "$RESULTS/workbench" steps fail "$name (see $LOGS/test-$name.log)"
		finish
	fi
}

main()
{
	local run
	start=$(date +%s)
	case $debug in
	0|quick|full) ;;
	*) die "IMS_DEBUG=$IMS_DEBUG: use quick (the default), full or 0" ;;
	esac
	mkdir -p "$LOGS"
	rm -rf "$RESULTS"
	mkdir -p "$RESULTS"

	must setup "$S/setup.sh"
	step workbench "$IMS_TOP/selftests/workbench/run.sh" "$RESULTS/workbench" ||
		tap_line "$RESULTS/workbench" steps fail "workbench tests (see $LOGS/test-workbench.log)"
	must apply "$S/apply.sh"
	# The vm kernel builds beside the checks; the debug kernel at the
	# lowest priority of all, beside everything up to its guest.
	build_in_background vm 10
	[ "$debug" = 0 ] || build_in_background debug 19
	if [ "${IMS_SKIP_KUNIT_UML:-0}" != 1 ]; then
		in_background kunit-uml 15 "$S/kunit-uml.sh" "$RESULTS" series default
	fi
	if [ "${IMS_SKIP_CHECKS:-0}" != 1 ]; then
		if step checks "$S/check.sh"; then
			tap_line "$RESULTS/checks" checks ok "per-patch checks ($(series_patches | wc -l) patches)"
		else
			tap_line "$RESULTS/checks" checks fail "per-patch checks: $(grep -c '^FAIL' "$LOGS/test-checks.log" || true) failures, see $LOGS/test-checks.log"
		fi
	fi
	step cocci "$IMS_TOP/selftests/cocci/run.sh" "$KTREE" "$RESULTS/checks" ||
		tap_line "$RESULTS/checks" steps fail "Coccinelle tests (see $LOGS/test-cocci.log)"
	wait_build vm
	must kselftests install_kselftests
	for run in $runs; do
		step "boot-$run" boot "$run" "$run" || true
	done
	case $debug in
	0) ;;
	quick|full)
		wait_build debug
		run=debug
		[ "$debug" = quick ] || run="debug-full"
		step "boot-$run" boot "$run" intremap debug || true
		;;
	esac
	[ -z "${bg_pids[kunit-uml]:-}" ] || wait_background kunit-uml || true
	finish
}

main "$@"
