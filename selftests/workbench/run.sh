#!/usr/bin/env bash
# Each check reads "conditions && ok NAME || not_ok NAME WHY"; ok never fails.
# shellcheck disable=SC2015,SC2181
# SPDX-License-Identifier: GPL-2.0
# Tests of the workbench itself, on a tiny fake kernel tree so they take
# seconds: the base's error paths, applying and exporting patches, and the
# verdict. Writes OUTDIR/workbench.tap.
#
#   selftests/workbench/run.sh OUTDIR
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
outdir=${1:?usage: run.sh OUTDIR}
mkdir -p "$outdir"
tap=$outdir/workbench.tap
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0 failed=0
: >"$tap.body"

# ok NAME / not_ok NAME WHY: one TAP result.
ok()
{
	n=$((n + 1))
	echo "ok $n $1" >>"$tap.body"
}

not_ok()
{
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $1" >>"$tap.body"
	printf '%s\n' "$2" | head -n 10 | sed 's/^/# diag: /' >>"$tap.body"
}

# expect NAME CONDITION-COMMAND...: ok when the command succeeds.
expect()
{
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}

# fake_kernel DIR VERSION: a tiny tree that looks like a kernel to the scripts.
fake_kernel()
{
	local dir=$1 ver=$2
	mkdir -p "$dir/scripts" "$dir/kernel"
	local v=${ver%%-*} extra=""
	[ "$ver" = "$v" ] || extra=-${ver#*-}
	IFS=. read -r a b c <<<"$v"
	printf 'VERSION = %s\nPATCHLEVEL = %s\nSUBLEVEL = %s\nEXTRAVERSION = %s\n' "$a" "$b" "$c" "$extra" >"$dir/Makefile"
	printf 'line one\nline two\nline three\n' >"$dir/kernel/file.c"
	printf '*.o\n!kernel/time/timeconst.bc\n\n# Debian packaging\n/*\n!/debian/\n' >"$dir/.gitignore"
}

# project DIR: a copy of the workbench with its own build dir and shared base.
project()
{
	local dir=$1
	mkdir -p "$dir/patches" "$dir/shared"
	cp -r "$top/scripts" "$dir/scripts"
	echo "# test series" >"$dir/series"
}

# run_in PROJECT COMMAND...: run a workbench script in a test project.
run_in()
{
	local p=$1
	shift
	IMS_BUILD=$p/build IMS_SHARED_BASE=$p/shared IMS_DEBIAN_SRC_VER=0~no-such-version \
		"$@"
}

make_tarball()
{
	local p=$1 ver=$2
	fake_kernel "$work/src-$ver/linux-source-7.3" "$ver"
	tar -cJf "$p/shared/linux-7.3-rc7.tar.xz" -C "$work/src-$ver" linux-source-7.3
	(cd "$p/shared" && sha256sum linux-7.3-rc7.tar.xz >SHA256SUMS)
}

test_base()
{
	local p=$work/base out
	project "$p"
	make_tarball "$p" 7.3.0-rc7

	# A tarball that does not match its checksum.
	cp "$p/shared/SHA256SUMS" "$work/sums"
	printf '%064d  linux-7.3-rc7.tar.xz\n' 0 >"$p/shared/SHA256SUMS"
	out=$(run_in "$p" "$p/scripts/base.sh" 2>&1)
	[ $? -ne 0 ] && [ "$(wc -l <<<"$out")" -eq 2 ] && grep -q 'checksum .* does not match' <<<"$out" &&
		[ ! -e "$p/build/linux" ] && [ -z "$(ls "$p/build" 2>/dev/null)" ] &&
		ok "base: a corrupt tarball is refused with one error line and nothing left" ||
		not_ok "base: a corrupt tarball is refused with one error line and nothing left" "$out"
	cp "$work/sums" "$p/shared/SHA256SUMS"

	# No base anywhere: no tarball, no LINUX_SRC, no such Debian package.
	mv "$p/shared/linux-7.3-rc7.tar.xz" "$work/tarball"
	out=$(run_in "$p" "$p/scripts/base.sh" 2>&1)
	[ $? -ne 0 ] && grep -q 'error: no base: set LINUX_SRC' <<<"$out" && [ ! -e "$p/build/linux" ] &&
		ok "base: no base anywhere gives the error that says what to do" ||
		not_ok "base: no base anywhere gives the error that says what to do" "$out"
	mv "$work/tarball" "$p/shared/linux-7.3-rc7.tar.xz"

	# LINUX_SRC at another version.
	fake_kernel "$work/other" 7.2.0
	echo '*.o' >"$work/other/.gitignore"
	git -C "$work/other" init -q && git -C "$work/other" add -A &&
		git -C "$work/other" -c user.name=t -c user.email=t@t commit -qm other
	out=$(LINUX_SRC=$work/other run_in "$p" "$p/scripts/base.sh" 2>&1)
	[ $? -ne 0 ] && grep -q 'is at 7.2.0, not 7.3.0-rc7' <<<"$out" && [ ! -e "$p/build/linux" ] &&
		ok "base: LINUX_SRC at another version is refused" ||
		not_ok "base: LINUX_SRC at another version is refused" "$out"

	# LINUX_SRC at v7.3-rc7 is cloned, tagged, and left untouched.
	fake_kernel "$work/mainline" 7.3.0-rc7
	echo '*.o' >"$work/mainline/.gitignore"
	git -C "$work/mainline" init -q && git -C "$work/mainline" add -A &&
		git -C "$work/mainline" -c user.name=t -c user.email=t@t commit -qm "Linux 7.3-rc7"
	local before
	before=$(git -C "$work/mainline" for-each-ref; git -C "$work/mainline" status --porcelain)
	out=$(LINUX_SRC=$work/mainline run_in "$p" "$p/scripts/base.sh" 2>&1)
	[ $? -eq 0 ] && [ "$(git -C "$p/build/linux" rev-parse v7.3-rc7)" = "$(git -C "$work/mainline" rev-parse HEAD)" ] &&
		[ "$before" = "$(git -C "$work/mainline" for-each-ref; git -C "$work/mainline" status --porcelain)" ] &&
		ok "base: LINUX_SRC at v7.3-rc7 is used without modifying it" ||
		not_ok "base: LINUX_SRC at v7.3-rc7 is used without modifying it" "$out"
	rm -rf "$p/build"

	# The tarball: Debian's .gitignore block stripped, committed, tagged.
	out=$(run_in "$p" "$p/scripts/base.sh" 2>&1)
	[ $? -eq 0 ] && git -C "$p/build/linux" rev-parse -q --verify v7.3-rc7 >/dev/null &&
		! grep -q Debian "$p/build/linux/.gitignore" &&
		git -C "$p/build/linux" ls-files --error-unmatch Makefile kernel/file.c >/dev/null 2>&1 &&
		ok "base: the tarball is committed and tagged, Debian's .gitignore block stripped" ||
		not_ok "base: the tarball is committed and tagged, Debian's .gitignore block stripped" "$out"
}

# commit_change TREE FILE SED SUBJECT: one commit in a test tree.
commit_change()
{
	sed -i "$3" "$1/$2"
	git -C "$1" add "$2"
	git -C "$1" -c user.name=t -c user.email=t@t commit -qm "$4" -m "Body of $4."
}

test_apply_export()
{
	local p=$work/base k out first head
	p=$work/base
	k=$p/build/linux

	commit_change "$k" kernel/file.c 's/one/ONE/' "test: First change"
	commit_change "$k" kernel/file.c 's/three/THREE/' "test: Second change"
	run_in "$p" "$p/scripts/export.sh" >/dev/null 2>&1
	expect "export: writes one patch per commit and the series" \
		test "$(grep -vc '^#' "$p/series")" -eq 2
	! grep -hE '^From [0-9a-f]{40} ' "$p"/patches/*.patch | grep -qv '^From 0\{40\} ' &&
		! grep -q '^-- $' "$p"/patches/*.patch &&
		ok "export: no commit ids and no version signature" ||
		not_ok "export: no commit ids and no version signature" "$(head -n 3 "$p"/patches/*.patch)"
	cp -r "$p/patches" "$work/patches.1"
	out=$(run_in "$p" "$p/scripts/apply.sh" 2>&1)
	expect "apply: the exported series applies" test $? -eq 0
	run_in "$p" "$p/scripts/export.sh" >/dev/null 2>&1
	expect "export: re-exporting an applied series gives identical files" \
		diff -r "$work/patches.1" "$p/patches"

	# A clean clone: no build/ at all, the series applies onto a fresh base.
	rm -rf "$p/build"
	out=$(run_in "$p" "$p/scripts/apply.sh" 2>&1)
	[ $? -eq 0 ] && [ "$(git -C "$k" log -1 --format=%s)" = "test: Second change" ] &&
		ok "apply: a clean clone applies the series onto a fresh base" ||
		not_ok "apply: a clean clone applies the series onto a fresh base" "$out"

	# A tree that holds the series already is kept: same commits, and a
	# file the series changes is not written again.
	head=$(git -C "$k" rev-parse HEAD)
	first=$(git -C "$k" diff --name-only v7.3-rc7 HEAD | head -n 1)
	touch -d @1000000000 "$k/$first" "$p/patches/.gitkeep"
	out=$(run_in "$p" "$p/scripts/apply.sh" 2>&1)
	[ $? -eq 0 ] && [ "$(git -C "$k" rev-parse HEAD)" = "$head" ] &&
		[ "$(stat -c %Y "$k/$first")" = 1000000000 ] &&
		ok "apply: a tree that holds the series is kept as it is" ||
		not_ok "apply: a tree that holds the series is kept as it is" "$out"

	# Unexported work is not thrown away.
	commit_change "$k" kernel/file.c 's/two/TWO/' "test: Unexported change"
	out=$(run_in "$p" "$p/scripts/apply.sh" 2>&1)
	[ $? -ne 0 ] && grep -q "commits on 'ims' that patches/ lacks" <<<"$out" &&
		[ "$(git -C "$k" log -1 --format=%s)" = "test: Unexported change" ] &&
		ok "apply: refuses to drop commits that are not exported" ||
		not_ok "apply: refuses to drop commits that are not exported" "$out"
	echo dirty >>"$k/kernel/file.c"
	out=$(run_in "$p" "$p/scripts/apply.sh" 2>&1)
	[ $? -ne 0 ] && grep -q 'uncommitted changes' <<<"$out" && grep -q dirty "$k/kernel/file.c" &&
		ok "apply: refuses to drop uncommitted changes" ||
		not_ok "apply: refuses to drop uncommitted changes" "$out"
	git -C "$k" checkout -q -- kernel/file.c

	# A patch that does not apply: named, with file and hunk, tree at the last good one.
	first=$(sed -n 2p "$p/series")
	sed -i 's/^-line three$/-line 3 that is not there/' "$p/patches/$(sed -n 3p "$p/series")"
	out=$(FORCE=1 run_in "$p" "$p/scripts/apply.sh" 2>&1)
	[ $? -ne 0 ] && [ "$(wc -l <<<"$out")" -le 3 ] &&
		grep -q "patch $(sed -n 3p "$p/series") does not apply at kernel/file.c:" <<<"$out" &&
		[ "$(git -C "$k" log -1 --format=%s)" = "test: First change" ] &&
		[ -z "$(git -C "$k" status --porcelain --untracked-files=no)" ] &&
		ok "apply: a broken patch is named with its file and hunk; the tree stays at $first" ||
		not_ok "apply: a broken patch is named with its file and hunk; the tree stays at $first" "$out"
}

# verdict_case NAME RC PATTERN... [-- VERDICT ARGS...]: run the verdict on
# $r; ok when its exit status is RC (0 or 1) and its output has a line
# matching each PATTERN (grep -E).
verdict_case()
{
	local name=$1 want=$2 out rc=0 p patterns=() good=1
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		patterns+=("$1")
		shift
	done
	[ $# -eq 0 ] || shift
	out=$("$top/scripts/verdict.py" "$r" "$@" 2>&1) || rc=$?
	[ "$rc" -eq "$want" ] || good=0
	for p in "${patterns[@]}"; do
		grep -qE -- "$p" <<<"$out" || good=0
	done
	[ "$good" -eq 1 ] && ok "verdict: $name" || not_ok "verdict: $name" "exit $rc; $out"
}

# fresh_guest: $r holds one guest run that booted, finished and exited 0.
fresh_guest()
{
	rm -rf "$r"
	mkdir -p "$r/guest"
	touch "$r/guest/booted" "$r/guest/finished"
	echo 0 >"$r/guest/exit"
	printf '[    1.0] all fine\n' >"$r/guest/dmesg"
}

# What the kselftest runner prints for target T around a test's own TAP
# (given as lines without the runner's '# ' prefix) and its last line.
runner_tap()
{
	local t=$1 last=$2
	shift 2
	printf 'TAP version 13\n1..1\n# selftests: %s: run.sh\n' "$t"
	printf '# %s\n' "$@"
	printf '%s\n' "$last"
}

test_verdict()
{
	local r=$work/results

	fresh_guest
	printf 'KTAP version 1\n1..1\n    # Subtest: s\n    1..2\n    ok 1 case_a\n    ok 2 case_b # SKIP no device\nok 1 s\n' >"$r/guest/kunit-s.tap"
	verdict_case "a pass counts, a skip is shown and not counted as a pass" 0 \
		'^skipped: 1$' '^1 passed, 0 failed$'
	out=$("$top/scripts/verdict.py" "$r" 2>&1)
	[ "$(tail -n 1 <<<"$out")" = "1 passed, 0 failed" ] && ok "verdict: the last line is the count" ||
		not_ok "verdict: the last line is the count" "$out"

	printf '[    2.0] WARNING: CPU: 0 PID: 1 at kernel/irq/msi.c:100 msi_test+0x1/0x2\n' >>"$r/guest/dmesg"
	verdict_case "a WARN in the guest's dmesg fails the run" 1 '^1 passed, 1 failed$'

	printf '[    0.0] rcu: \tRCU lockdep checking is enabled.\n' >"$r/guest/dmesg"
	verdict_case "lockdep's boot banner is not a report" 0 '^1 passed, 0 failed$'

	printf 'guest kunit-s\nguest kselftest-missing\n' >"$work/expected"
	verdict_case "a missing expected result fails the run" 1 \
		'kselftest-missing: expected result missing' -- "$work/expected"

	rm "$r/guest/finished"
	verdict_case "a guest that did not finish fails the run" 1 'did not finish'

	fresh_guest
	echo 124 >"$r/guest/exit"
	rm "$r/guest/finished"
	printf '[    5.0] Kernel panic - not syncing: Fatal exception\n' >"$r/guest/console.log"
	verdict_case "a crashed guest that timed out fails on all three counts" 1 \
		'did not finish' 'timed out' 'on the console: .*Kernel panic' '^0 passed, 3 failed$'

	fresh_guest
	echo 1 >"$r/guest/exit"
	verdict_case "vm.sh's exit status fails the run even when the guest finished" 1 'exited with 1'

	fresh_guest
	printf 'virtme-ng console\n[   99.123456] WARNING: CPU: 1 PID: 1 at drivers/pci/msi/ims.c:5 x+0x1/0x2\n' >"$r/guest/console.log"
	verdict_case "a report on the console after dmesg was saved fails the run" 1 'on the console: .*WARNING'
	printf 'a test printed WARNING: CPU: not from the kernel\n' >"$r/guest/console.log"
	verdict_case "console lines that are not the kernel's are no report" 0 '0 passed, 0 failed'

	fresh_guest
	printf 'TAP version 13\n1..3\nok 1 a\nnot ok 2 b\n' >"$r/guest/kselftest-t.tap"
	verdict_case "failed and missing results in a TAP file count as failures" 1 \
		'FAIL guest/kselftest-t/b' 'incomplete: 2 of 3'

	# What the kselftest runner writes: the subtests, prefixed with '# ',
	# count each; a skipped subtest is a skip although the test says ok.
	runner_tap t 'ok 1 selftests: t: run.sh' 'TAP version 13' '1..3' 'ok 1 x' 'ok 2 y' 'ok 3 z # SKIP no edu' \
		>"$r/guest/kselftest-t.tap"
	verdict_case "kselftest subtests count one by one" 0 '^skipped: 1$' '^2 passed, 0 failed$'

	fresh_guest
	runner_tap pci_ims 'not ok 1 selftests: pci_ims: run.sh # TIMEOUT 45 seconds' \
		'TAP version 13' '1..19' 'ok 1 a' 'ok 2 b' 'ok 3 c' >"$r/guest/kselftest-pci_ims.tap"
	verdict_case "a kselftest that timed out after 3 of its 19 tests fails" 1 \
		'incomplete: 3 of 19' 'not ok # TIMEOUT 45 seconds' '^3 passed, 2 failed$'

	fresh_guest
	runner_tap pci_ims 'not ok 1 selftests: pci_ims: run.sh # exit=2' \
		'TAP version 13' '1..2' 'ok 1 a' 'ok 2 b' >"$r/guest/kselftest-pci_ims.tap"
	verdict_case "a kselftest that exited with 2 after passing its tests fails" 1 'not ok # exit=2' '^2 passed, 1 failed$'

	runner_tap pci_ims 'not ok 1 selftests: pci_ims: run.sh # exit=1' \
		'TAP version 13' '1..2' 'ok 1 a' 'Bail out! no edu device' >"$r/guest/kselftest-pci_ims.tap"
	verdict_case "a bail out fails" 1 'bailed out: .*no edu device'

	fresh_guest
	runner_tap ntb_msi_loop 'ok 1 selftests: ntb_msi_loop: run.sh # SKIP' >"$r/guest/kselftest-ntb_msi_loop.tap"
	printf 'guest kselftest-ntb_msi_loop min=5\n' >"$work/expected"
	verdict_case "a whole-target skip fails where passes are expected" 1 \
		'kselftest-ntb_msi_loop: 0 passed, at least 5 expected' -- "$work/expected"

	fresh_guest
	printf 'KTAP version 1\n1..1\n    # Subtest: s\n    1..3\n    ok 1 a\n    ok 2 b\nok 1 s\n' >"$r/guest/kunit-s.tap"
	verdict_case "a nested plan that is not met fails" 1 'incomplete: 2 of 3'

	fresh_guest
	verdict_case "a run that is missing fails and says why" 1 \
		'FAIL other: not run \(left out by IMS_RUNS=guest\)' -- --runs "guest other" --why "left out by IMS_RUNS=guest"

	fresh_guest
	printf 'KTAP version 1\n1..1\n    # Subtest: s\n    1..1\n    ok 1 a\nok 1 s\n' >"$r/guest/kunit-s.tap"
	printf 'guest kunit-s need=a,b\n' >"$work/expected"
	verdict_case "a result expected by name must pass" 1 'kunit-s: no passed result named b' -- "$work/expected"

	rm -rf "$r"
	mkdir -p "$r/uml"
	echo 0 >"$r/uml/exit"
	printf '{"name": "KUnit Test Group", "sub_groups": [{"name": "msi", "sub_groups": [], "test_cases": [{"name": "a", "status": "PASS"}, {"name": "b", "status": "FAIL"}, {"name": "c", "status": "SKIP"}]}], "test_cases": []}\n' >"$r/uml/kunit.json"
	verdict_case "kunit.py's JSON counts its cases" 1 'FAIL uml/kunit/msi.b' '^skipped: 1$' '^1 passed, 1 failed$'
	echo 1 >"$r/uml/exit"
	verdict_case "kunit.py's exit status fails the run" 1 'uml: .*exited with 1'

	fresh_guest
	printf 'unreferenced object 0xffff888003a1b000 (size 64):\n  comm "sh", pid 1\n' >"$r/guest/kmemleak"
	verdict_case "a leak kmemleak found fails the run" 1 'kmemleak reports 1 unreferenced objects'
}

# The targets file: every guest runs every target, the quick debug run only
# those marked "quick:", with their settings.
test_targets()
{
	local f=$work/targets out
	printf '# comment\n\nalpha\t\tquick: A=1  B=two # why\nbeta\ngamma quick:\n' >"$f"
	out=$(IMS_KSFT_TARGETS=$f bash -c '. "$1/scripts/lib.sh"; kselftest_targets | tr "\n" " "; echo "|"
		quick_targets | tr "\n" " "; echo "|"; quick_settings | tr "\n" " "' _ "$top")
	[ "$out" = "alpha beta gamma |
alpha gamma |
A=1 B=two " ] && ok "kselftest-targets: all targets, the quick ones and their settings" ||
		not_ok "kselftest-targets: all targets, the quick ones and their settings" "$out"
	out=$(IMS_KSFT_TARGETS=$work/no-such-file bash -c '. "$1/scripts/lib.sh"; kselftest_targets; quick_targets' _ "$top")
	[ -z "$out" ] && ok "kselftest-targets: no file, no targets" ||
		not_ok "kselftest-targets: no file, no targets" "$out"
}

test_shellcheck()
{
	if ! command -v shellcheck >/dev/null 2>&1; then
		n=$((n + 1))
		echo "ok $n shellcheck of the workbench scripts # SKIP shellcheck is not installed" >>"$tap.body"
		return
	fi
	local out
	out=$(cd "$top" && shellcheck -x scripts/*.sh scripts/guest/*.sh selftests/workbench/*.sh selftests/cocci/*.sh .ci/run 2>&1)
	[ $? -eq 0 ] && ok "shellcheck of the workbench scripts" || not_ok "shellcheck of the workbench scripts" "$(head -n 5 <<<"$out")"
}

test_base
test_apply_export
test_verdict
test_targets
test_shellcheck

{
	echo "TAP version 13"
	echo "1..$n"
	cat "$tap.body"
} >"$tap"
rm -f "$tap.body"
cat "$tap"
exit $((failed > 0))
