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
# The identity of mainline's release commits and tags.
linus=(-c "user.name=Linus Torvalds" -c user.email=torvalds@linux-foundation.org)
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
		git -C "$work/mainline" "${linus[@]}" commit -qm "Linux 7.3-rc7" &&
		git -C "$work/mainline" "${linus[@]}" tag -a -m "Linux 7.3-rc7" v7.3-rc7
	local before
	before=$(git -C "$work/mainline" for-each-ref; git -C "$work/mainline" status --porcelain)
	out=$(LINUX_SRC=$work/mainline run_in "$p" "$p/scripts/base.sh" 2>&1)
	[ $? -eq 0 ] && [ "$(git -C "$p/build/linux" rev-parse 'v7.3-rc7^{commit}')" = "$(git -C "$work/mainline" rev-parse HEAD)" ] &&
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
	# Notes for reviewers below "---" in the commit message survive git am.
	printf 'test: Second change\n\nBody.\n\nSigned-off-by: t <t@t>\n---\nv2:\n - changed for the test\n' |
		git -C "$k" -c user.name=t -c user.email=t@t commit -q --amend --cleanup=verbatim -F -
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
	expect "apply: a patch's notes below \"---\" are kept in its commit" \
		grep -qx ' - changed for the test' <(git -C "$k" log -1 --format=%B)

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

# ---- Issue 19, findings 6 to 8: the check cache and checkpatch, a fresh
# ---- machine, and what check.sh, matrix.sh and config.sh share (lib.sh).

# in_check BUILD KTREE CODE: CODE in a bash that sourced scripts/check.sh.
in_check()
{
	IMS_BUILD=$1 KTREE=$2 bash -c '. "$1/scripts/check.sh"; set +e; eval "$2"' _ "$top" "$3"
}

# check_tree DIR: a fake kernel git tree, tagged v7.3-rc7, with one patch
# on branch ims and a Coccinelle rule.
check_tree()
{
	local k=$1
	fake_kernel "$k" 7.3.0-rc7
	echo '*.o' >"$k/.gitignore"
	mkdir -p "$k/scripts/coccinelle"
	echo '// rule 1' >"$k/scripts/coccinelle/a.cocci"
	git -C "$k" init -q -b ims && git -C "$k" add -A &&
		git -C "$k" -c user.name=t -c user.email=t@t commit -qm base &&
		git -C "$k" tag v7.3-rc7 &&
		commit_change "$k" kernel/file.c 's/one/ONE/' "test: A change"
}

# shellcheck disable=SC2016
test_check_key()
{
	local cb=$work/ck/build k=$work/ck/linux keys=() key out
	check_tree "$k"
	mkdir -p "$cb/check/out" "$cb/tools/sparse"
	echo CONFIG_A=y >"$cb/check/out/.config.vm"
	printf '#!/bin/sh\n# sparse 1\n' >"$cb/tools/sparse/sparse"
	# gcc and spatch as functions, which come before PATH; the patch is
	# the same commit throughout.
	local patch
	patch=$(git -C "$k" rev-parse ims)
	key()
	{
		in_check "$cb" "$k" "gcc() { echo 'gcc (fake) $1'; }; spatch() { echo 'spatch version $2'; }
			check_key 0001-a-change $patch"
	}
	keys+=("$(key 12.2 1.1.1)")
	keys+=("$(key 12.3 1.1.1)")
	keys+=("$(key 12.2 1.1.2)")
	printf '#!/bin/sh\n# sparse 2\n' >"$cb/tools/sparse/sparse"
	keys+=("$(key 12.2 1.1.2)")
	echo '// rule 2' >>"$k/scripts/coccinelle/a.cocci"
	git -C "$k" -c user.name=t -c user.email=t@t commit -qam "test: New rule"
	keys+=("$(key 12.2 1.1.2)")
	out=$(printf '%s\n' "${keys[@]}")
	for key in "${keys[@]}"; do
		[[ $key =~ ^[0-9a-f]{64}$ ]] || out="not a key: $key"
	done
	[ "$(sort -u <<<"$out" | grep -cE '^[0-9a-f]{64}$')" -eq 5 ] &&
		ok "check: the cache key changes with gcc, spatch, the sparse binary and the Coccinelle rules" ||
		not_ok "check: the cache key changes with gcc, spatch, the sparse binary and the Coccinelle rules" "$out"
}

# The stubs of run_checks' steps for the two tests below.
# shellcheck disable=SC2016
CHECK_STUBS='commits=(c1 c2) names=(n1 n2) keys=(k1 k2)
	mkdir -p "$CLOG" "$BUILD/check/passed" "$COUT"
	kgit() { echo tip; }
	cgit() { [ "$1" != checkout ] || echo "checkout $*" >>"$BUILD/log"; }
	check_kerneldoc() { :; }; check_cocci() { :; }; check_checkpatch() { :; }
	cocci_batch() { echo cocci >>"$BUILD/log"; }'

# shellcheck disable=SC2016
test_check_checkpatch_tree()
{
	local b=$work/cp/build out
	out=$(in_check "$b" "$work/cp/linux" "$CHECK_STUBS"'
		checkpatch_all() { sleep 1; echo "checkpatch done" >>"$BUILD/log"; }
		check_compile() { echo "checkout of $2 for its build" >>"$BUILD/log"; }
		run_checks 0 1; cat "$BUILD/log"')
	[ "$(grep -n . <<<"$out" | grep -E 'checkpatch done|checkout' | cut -d: -f2- | tr '\n' '|')" = \
	  "checkout checkout -q --detach tip|checkpatch done|checkout of c1 for its build|checkout of c2 for its build|" ] &&
		ok "check: checkpatch runs while the check tree stays at the tip, and ends before other commits are checked out" ||
		not_ok "check: checkpatch runs while the check tree stays at the tip, and ends before other commits are checked out" "$out"
}

# shellcheck disable=SC2016
test_check_not_built()
{
	local b=$work/nb/build out
	# The config builds drivers/a.o and not drivers/b.o.
	local stubs=$CHECK_STUBS'
		checkpatch_all() { :; }
		objects_of() { printf "drivers/a.o\ndrivers/b.o\n"; }
		cmake() { [ "$1" != -s ] || return 0; mkdir -p "$COUT/drivers"; touch "$COUT/drivers/a.o"; echo "  CHECK   drivers/a.c"; }
		run_checks 0 2>&1; echo "failures=$failures unchecked=$unchecked"; ls "$BUILD/check/passed"'
	out=$(in_check "$b" "$work/nb/linux" "$stubs")
	grep -q '^NOT CHECKED n1: drivers/b.o (the vm config does not build it' <<<"$out" &&
		grep -qx 'failures=0 unchecked=1' <<<"$out" && ! grep -qx k1 <<<"$out" &&
		ok "check: an object the config does not build is reported as not checked, and its patch is not remembered as passed" ||
		not_ok "check: an object the config does not build is reported as not checked, and its patch is not remembered as passed" "$out"
	# The same with both objects built: passed and remembered.
	out=$(in_check "$b" "$work/nb/linux" "${stubs//touch \"\$COUT\/drivers\/a.o\"/touch \"\$COUT\/drivers\/a.o\" \"\$COUT\/drivers\/b.o\"}")
	! grep -q 'NOT CHECKED' <<<"$out" && grep -qx k1 <<<"$out" &&
		ok "check: a patch whose objects all build passes and is remembered" ||
		not_ok "check: a patch whose objects all build passes and is remembered" "$out"
}

# One copy of what the scripts share, in lib.sh; check_config turns
# merge_config.sh's warnings about the fragments' own options into errors.
# shellcheck disable=SC2016
test_lib_shared()
{
	local f defs="" out
	for f in strip_paths normalize new_lines setup_worktree merge_config check_config; do
		[ "$(cat "$top"/scripts/*.sh | grep -c "^$f()")" -eq 1 ] && grep -q "^$f()" "$top/scripts/lib.sh" ||
			defs+="$f defined $(grep -l "^$f()" "$top"/scripts/*.sh | tr '\n' ' ')"
	done
	[ -z "$defs" ] && ok "lib.sh: one copy of normalize, new_lines, setup_worktree and check_config" ||
		not_ok "lib.sh: one copy of normalize, new_lines, setup_worktree and check_config" "$defs"

	printf 'CONFIG_A=y\n# CONFIG_B is not set\n# CONFIG_C enables the frobnicator\n' >"$work/frag.config"
	printf 'WARNING: Value requested for CONFIG_A not in final .config\nRequested value: CONFIG_A=y\nActual value:    \n' >"$work/merge1.log"
	printf 'WARNING: CONFIG_B differs:\nRequested value: # CONFIG_B is not set\nActual value:    CONFIG_B=y\n' >>"$work/merge1.log"
	printf 'WARNING: CONFIG_C differs:\nRequested value: CONFIG_C=y\nActual value:    CONFIG_C=m\n' >"$work/merge2.log"
	printf 'WARNING: CONFIG_TINY_RCU differs:\nRequested value: CONFIG_TINY_RCU=y\nActual value:    \n' >>"$work/merge2.log"
	out=$(bash -c '. "$1/scripts/lib.sh"; check_config "$2/merge1.log" "$2/frag.config" && echo PASSED
		check_config "$2/merge2.log" "$2/frag.config" && echo PASSED' _ "$top" "$work" 2>&1)
	[ "$(grep -c 'error: WARNING' <<<"$out")" -eq 2 ] && grep -q 'error: Requested value: # CONFIG_B is not set' <<<"$out" &&
		[ "$(grep -c PASSED <<<"$out")" -eq 1 ] && ! grep -q 'CONFIG_C\|TINY_RCU' <<<"$out" &&
		ok "lib.sh: check_config fails on merge_config.sh's warnings about the fragments' options, and only those" ||
		not_ok "lib.sh: check_config fails on merge_config.sh's warnings about the fragments' options, and only those" "$out"

	# A directory that is not a worktree (git -C finds the project's
	# repository above it) is made into one.
	local k=$work/wt/linux
	check_tree "$k"
	mkdir -p "$work/wt/build/check/linux"
	git -C "$work/wt" init -q && git -C "$work/wt" -c user.name=t -c user.email=t@t commit -q --allow-empty -m project
	out=$(IMS_BUILD=$work/wt/build KTREE=$k bash -c '. "$1/scripts/lib.sh"; setup_worktree "$BUILD/check/linux"' _ "$top" 2>&1)
	[ -f "$work/wt/build/check/linux/.git" ] && [ -f "$work/wt/build/check/linux/kernel/file.c" ] &&
		ok "lib.sh: setup_worktree makes a worktree of a directory that is not one" ||
		not_ok "lib.sh: setup_worktree makes a worktree of a directory that is not one" "$out"
}

# fake_apt BIN LOG: apt-get, dpkg-query, vng that log their arguments to LOG;
# virtme-ng is not installed until a virtme-ng_*.deb is.
fake_apt()
{
	local bin=$1 log=$2
	mkdir -p "$bin"
	cat >"$bin/apt-get" <<EOF
#!/bin/bash
echo "apt-get \$*" >>"$log"
case " \$* " in
*" download virtme-ng "*) touch virtme-ng_1.35-1_all.deb ;;
*" source --download-only sparse "*)
	mkdir -p sparse-0.6.5 && printf 'sparse:\n\tprintf "#!/bin/sh\\\\necho v0.6.5\\\\n" >sparse; chmod +x sparse\n' >sparse-0.6.5/Makefile &&
		tar -czf sparse_0.6.5.orig.tar.gz sparse-0.6.5 && rm -rf sparse-0.6.5 ;;
*" install "*virtme-ng_*.deb*) touch "$bin/virtme-ng-installed" ;;
esac
EOF
	cat >"$bin/dpkg-query" <<EOF
#!/bin/bash
[ "\${*: -1}" != virtme-ng ] || [ -e "$bin/virtme-ng-installed" ] || exit 1
echo "install ok installed"
EOF
	chmod +x "$bin/apt-get" "$bin/dpkg-query"
}

test_setup_private_apt()
{
	local p=$work/setup bin=$work/setup/bin log=$work/setup/apt.log out before
	project "$p"
	fake_apt "$bin" "$log"
	: >"$log"
	before=$(ls -l /etc/apt/sources.list.d /etc/apt/preferences.d 2>&1)
	# lib.sh puts /usr/bin first: exported functions take the fakes' place.
	out=$(export IMS_BUILD=$p/build
	      eval "apt-get() { '$bin/apt-get' \"\$@\"; }; dpkg-query() { '$bin/dpkg-query' \"\$@\"; }"
	      export -f apt-get dpkg-query
	      "$p/scripts/setup.sh" 2>&1)
	local private="-o Dir::Etc::sourcelist=$p/build/apt/sources.list -o Dir::Etc::sourceparts=$p/build/apt/parts"
	[ $? -eq 0 ] && [ "$(ls -l /etc/apt/sources.list.d /etc/apt/preferences.d 2>&1)" = "$before" ] &&
		grep -q "^apt-get -q $private .* update$" "$log" &&
		grep -q "^apt-get -q $private .* download virtme-ng$" "$log" &&
		grep -q "^apt-get -q $private .* source --download-only sparse$" "$log" &&
		grep -qE "^apt-get install -y -q --no-install-recommends $p/build/apt/debs/virtme-ng_1.35-1_all.deb$" "$log" &&
		! grep -E ' (download|source) ' "$log" | grep -vqF -- "$private" &&
		! grep -E ' install ' "$log" | grep -q 'Dir::' &&
		[ -x "$p/build/tools/sparse/sparse" ] && [ ! -e "$p/build/apt" ] &&
		ok "setup: trixie's virtme-ng and sid's sparse come through build/apt; the machine's apt sources are untouched" ||
		not_ok "setup: trixie's virtme-ng and sid's sparse come through build/apt; the machine's apt sources are untouched" "$out
$(cat "$log")"
}

# ./run on a machine without make installs it, then runs make.
test_run_bootstrap()
{
	local bin=$work/boot/bin log=$work/boot/log out t
	mkdir -p "$bin"
	for t in bash env id dirname chmod; do
		ln -s "$(command -v "$t")" "$bin/$t"
	done
	cat >"$bin/apt-get" <<EOF
#!/bin/bash
echo "apt-get \$*" >>"$log"
if [ "\${*: -1}" = make ]; then
	printf '#!/bin/bash\necho "make \$*" >>"$log"\n' >"$bin/make"
	chmod +x "$bin/make"
fi
EOF
	chmod +x "$bin/apt-get"
	# run_as VERB EXPECTED NAME: ./run VERB with only $bin on PATH; what
	# apt-get and make were asked, joined by '|', must be EXPECTED.
	run_as()
	{
		: >"$log"
		out=$(PATH=$bin "$bin/bash" "$top/run" "$1" 2>&1)
		[ $? -eq 0 ] && [ "$(tr '\n' '|' <"$log")" = "$2" ] && ok "$3" || not_ok "$3" "$out
$(cat "$log")"
	}
	run_as demo "apt-get update -q|apt-get install -y -q --no-install-recommends make|make demo|" \
		"run: on a machine without make, installs make and runs 'make demo'"
	run_as test "make test|" "run: with make there, runs 'make test' and installs nothing"
	grep -q '^exec \./run test$' "$top/.ci/run" &&
		ok "ci: .ci/run goes through ./run" || not_ok "ci: .ci/run goes through ./run" "$(cat "$top/.ci/run")"
}

# LINUX_SRC must be mainline's v7.3-rc7: HEAD at the annotated tag, tagged
# and committed by Linus Torvalds, and the pinned commit when there is one.
test_base_mainline()
{
	local p=$work/ml m=$work/ml/src out why head
	project "$p"
	fake_kernel "$m" 7.3.0-rc7
	echo '*.o' >"$m/.gitignore"
	git -C "$m" init -q && git -C "$m" add -A && git -C "$m" "${linus[@]}" commit -qm "Linux 7.3-rc7"
	base_refused()
	{
		why=$1
		shift
		out=$(env "$@" LINUX_SRC="$m" IMS_BUILD="$p/build" IMS_SHARED_BASE="$p/shared" \
			IMS_DEBIAN_SRC_VER=0~no-such-version "$p/scripts/base.sh" 2>&1)
		[ $? -ne 0 ] && grep -q "$why" <<<"$out" && [ ! -e "$p/build/linux" ] &&
			ok "base: LINUX_SRC refused: $why" || not_ok "base: LINUX_SRC refused: $why" "$out"
	}
	base_refused "has no tag v7.3-rc7"
	git -C "$m" tag v7.3-rc7
	base_refused "v7.3-rc7 is not an annotated tag"
	git -C "$m" -c user.name=Someone -c user.email=s@x tag -f -a -m "Linux 7.3-rc7" v7.3-rc7 >/dev/null
	base_refused "v7.3-rc7 is tagged by Someone <s@x>"
	git -C "$m" "${linus[@]}" tag -f -a -m "Linux 7.3-rc7" v7.3-rc7 >/dev/null
	commit_change "$m" kernel/file.c 's/one/ONE/' "Local change"
	base_refused "is at .*, not at its tag v7.3-rc7"
	git -C "$m" reset -q --hard HEAD~1
	base_refused "mainline's is 000000000000" IMS_MAINLINE_COMMIT=0000000000000000000000000000000000000000
	head=$(git -C "$m" rev-parse HEAD)
	out=$(LINUX_SRC=$m IMS_MAINLINE_COMMIT=$head run_in "$p" "$p/scripts/base.sh" 2>&1)
	[ $? -eq 0 ] && [ "$(git -C "$p/build/linux" rev-parse 'v7.3-rc7^{commit}')" = "$head" ] &&
		ok "base: LINUX_SRC at mainline's tag and pinned commit is taken, with its own tag" ||
		not_ok "base: LINUX_SRC at mainline's tag and pinned commit is taken, with its own tag" "$out"
}

test_shellcheck_run()
{
	command -v shellcheck >/dev/null 2>&1 || return 0
	local out
	out=$(cd "$top" && shellcheck -x run 2>&1)
	[ $? -eq 0 ] && ok "shellcheck of ./run" || not_ok "shellcheck of ./run" "$(head -n 5 <<<"$out")"
}
# ---- end of issue 19, findings 6 to 8

# ---- issue 20, findings 1 and 5: make mail (scripts/mail.sh) on a tiny tree
# mail_series K: the test series on branch ims of K: an NTB fix, then two
# core changes; SED changes the first of those.
mail_series()
{
	local k=$1 sed=$2 f file sedx subj
	git -C "$k" checkout -q -f -B ims v7.3-rc7
	for f in "drivers/ntb.c|s/one/ONE/|NTB: Fix one" "kernel/file.c|$sed|core: Change two" \
		 "kernel/file.c|s/three/THREE/|core: Change three"; do
		IFS='|' read -r file sedx subj <<<"$f"
		sed -i "$sedx" "$k/$file"
		git -C "$k" -c user.name=t -c user.email=t@t.example commit -qam "$subj" -m "Body of $subj."
	done
}

# v1 is exported and committed in the project; v2 changes one patch. The
# mails are "[PATCH v2 N/3]", the cover letter has b4's range-diff against
# v1, and a series without NTB fixes at its front is refused.
test_mail()
{
	local name="mail: v2 mails with b4's range-diff against v1 from the project's history"
	if ! command -v b4 >/dev/null 2>&1 || ! command -v git-filter-repo >/dev/null 2>&1; then
		n=$((n + 1))
		echo "ok $n $name # SKIP b4 or git-filter-repo is not installed" >>"$tap.body"
		return
	fi
	local p=$work/mail k=$work/mail/build/linux v1 out rc cover
	local -a env=(env HOME="$work/mail-home" IMS_BUILD="$p/build")
	mkdir -p "$work/mail-home" "$k/scripts" "$k/kernel" "$k/drivers"
	project "$p"
	printf '[user]\n\tname = Mail Test\n\temail = mail@t.example\n' >"$work/mail-home/.gitconfig"
	printf 'line one\nline two\nline three\n' >"$k/kernel/file.c"
	printf 'ntb one\n' >"$k/drivers/ntb.c"
	printf '#!/bin/sh\necho "Maint Ainer <maint@t.example>"\n' >"$k/scripts/get_maintainer.pl"
	chmod +x "$k/scripts/get_maintainer.pl"
	git -C "$k" init -q
	git -C "$k" add -A
	git -C "$k" "${linus[@]}" commit -qm "Linux 7.3-rc7"
	git -C "$k" tag v7.3-rc7
	mail_series "$k" 's/two/TWO/'
	printf 'test: The series\n\nWhat it does.\n\nBased on v7.3-rc7; the diffstat, written by scripts/export.sh:\n' \
		>"$p/cover-letter.txt"
	"${env[@]}" "$p/scripts/export.sh" >/dev/null 2>&1
	git -C "$p" init -q
	git -C "$p" add series patches cover-letter.txt scripts
	git -C "$p" -c user.name=t -c user.email=t@t.example commit -qm "v1"
	v1=$(git -C "$p" rev-parse HEAD)

	mail_series "$k" 's/two/2/'
	out=$("${env[@]}" IMS_MAIL_V1="$v1" "$p/scripts/mail.sh" 2>&1)
	rc=$?
	cover=$(cat "$p"/build/mail/out/0000-*.eml 2>/dev/null)
	[ $rc -eq 0 ] && [ "$(sed -n '/^Subject: \[PATCH v2 [0-3]\/3\] /p' "$p"/build/mail/out/*.eml | wc -l)" = 4 ] &&
		grep -q "^Range-diff against v1:" <<<"$cover" &&
		grep -qE '^1: +[0-9a-f]+ = 1: +[0-9a-f]+ NTB: Fix one$' <<<"$cover" &&
		grep -q "sent/ims-v1" <<<"$out" && grep -q "NTB fixes at the front (patches 1-1 of 3)" <<<"$out" &&
		ok "$name" || not_ok "$name" "$out"

	git -C "$k" checkout -q -f -B ims v7.3-rc7
	printf 'x\n' >>"$k/kernel/file.c"
	git -C "$k" -c user.name=t -c user.email=t@t.example commit -qam "core: Not an NTB fix first"
	sed -i 's/one/ONE/' "$k/drivers/ntb.c"
	git -C "$k" -c user.name=t -c user.email=t@t.example commit -qam "NTB: Fix one"
	out=$("${env[@]}" IMS_MAIL_V1="$v1" "$p/scripts/mail.sh" 2>&1)
	[ $? -ne 0 ] && grep -q "does not start with NTB fixes" <<<"$out" &&
		ok "mail: a series without the NTB fixes at its front is refused" ||
		not_ok "mail: a series without the NTB fixes at its front is refused" "$out"
}
# ---- end of issue 20, findings 1 and 5

# check.sh's config_builds: a single target is compiled whatever the config
# says, so the objects the config does not build are left out before.
test_config_builds()
{
	local t=$work/cb out
	mkdir -p "$t/tree/drivers/x" "$t/out"
	# shellcheck disable=SC2016 # make variables, not shell ones
	printf 'obj-$(CONFIG_ON)\t\t+= on.o\nobj-$(CONFIG_OFF)\t+= off.o\ncomp-y := part.o\nobj-$(CONFIG_OFF) += comp.o\nobj-y += always.o\n' \
		>"$t/tree/drivers/x/Makefile"
	printf 'CONFIG_ON=y\n' >"$t/out/.config"
	out=$(CTREE=$t/tree COUT=$t/out bash -c 'eval "$(sed -n "/^config_builds()/,/^}/p" "$1")"
		for o in on off part always unknown; do
			config_builds "drivers/x/$o.o" && echo -n "$o=y " || echo -n "$o=n "
		done' _ "$top/scripts/check.sh")
	[ "$out" = "on=y off=n part=n always=y unknown=y " ] &&
		ok "check: objects of options the config leaves off are not compiled as single targets" ||
		not_ok "check: objects of options the config leaves off are not compiled as single targets" "$out"
}

# linkcheck.sh: every commit of the series is built on top of the previous
# one's objects; a failure is recorded and the run goes on; a W=1 warning
# fails a patch unless the start build (the base) has it too; a tree that
# linked before is not built again.
test_linkcheck()
{
	local p=$work/lc k out
	k=$p/build/linux
	project "$p"
	mkdir -p "$k"
	fake_kernel "$k" 7.3.0-rc7
	# A kernel Makefile that fails on BROKEN and warns on WARN in
	# file.c, and always warns in old.c as mainline's code may.
	printf '%s\n' 'all bzImage modules olddefconfig:' \
		'	@echo "kernel/old.c:7:3: warning: mainline"' \
		'	@! grep -q BROKEN kernel/file.c || { echo "kernel/file.c:1: error: broken"; exit 1; }' \
		'	@! grep -q WARN kernel/file.c || echo "kernel/file.c:2: warning: warned"' >>"$k/Makefile"
	rm "$k/.gitignore"
	git -C "$k" init -q
	git -C "$k" add -A
	git -C "$k" -c user.name=t -c user.email=t@t commit -qm base
	git -C "$k" tag v7.3-rc7
	git -C "$k" checkout -q -b ims
	commit_change "$k" kernel/file.c 's/one/ONE/' "test: Fine"
	commit_change "$k" kernel/file.c 's/two/BROKEN/' "test: Break"
	commit_change "$k" kernel/file.c 's/BROKEN/WARN/' "test: Mend with a warning"
	commit_change "$k" kernel/file.c 's/WARN/two/' "test: Mend the warning"
	echo "CONFIG_X=y" >"$work/lc.config"
	out=$(IMS_LINK_CONFIG=$work/lc.config run_in "$p" "$p/scripts/linkcheck.sh" 2>&1)
	[ $? -ne 0 ] && grep -qE '^0001 ok [0-9]+ [0-9a-f]{40} \(1 W=1 warnings, none new\)$' <<<"$out" &&
		grep -qE '^0002 FAIL [0-9]+ [0-9a-f]{40} kernel/file.c:1: error: broken$' <<<"$out" &&
		grep -qE '^0004 ok [0-9]+ [0-9a-f]{40} ' <<<"$out" &&
		ok "linkcheck: a patch that does not build fails, the next ones are still built" ||
		not_ok "linkcheck: a patch that does not build fails, the next ones are still built" "$out"
	grep -qE '^0000 start [0-9]+ [0-9a-f]{40} \(1 W=1 warnings\)$' <<<"$out" &&
		grep -qE '^0003 FAIL [0-9]+ [0-9a-f]{40} 1 new W=1 warnings: kernel/file.c: warning: warned$' <<<"$out" &&
		ok "linkcheck: a W=1 warning the base build lacks fails the patch, the base's own do not" ||
		not_ok "linkcheck: a W=1 warning the base build lacks fails the patch, the base's own do not" "$out"
	out=$(IMS_LINK_CONFIG=$work/lc.config run_in "$p" "$p/scripts/linkcheck.sh" 2>&1)
	grep -q '0001 already linked' <<<"$out" && grep -q '0004 already linked' <<<"$out" &&
		grep -qE '^0002 FAIL ' <<<"$out" && grep -qE '^0003 FAIL ' <<<"$out" &&
		! grep -q ' start ' <<<"$out" &&
		ok "linkcheck: a tree that linked before is not built again, a failed one is" ||
		not_ok "linkcheck: a tree that linked before is not built again, a failed one is" "$out"
}

test_base
test_apply_export
test_config_builds
test_verdict
test_targets
test_shellcheck
# issue 19, findings 6 to 8
test_check_key
test_check_checkpatch_tree
test_check_not_built
test_lib_shared
test_setup_private_apt
test_run_bootstrap
test_base_mainline
test_shellcheck_run

# issue 20, findings 1 and 5
test_mail
test_linkcheck

{
	echo "TAP version 13"
	echo "1..$n"
	cat "$tap.body"
} >"$tap"
rm -f "$tap.body"
cat "$tap"
exit $((failed > 0))
