#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Check every patch of the series in order, in a worktree of its own
# (build/check/linux, built in build/check/out) so build/linux is untouched:
#   1. checkpatch --strict: no error or warning (exceptions only through
#      scripts/checkpatch.exceptions, each with its reason);
#   2. every object the patch touches builds with W=1, and sparse (C=2) on
#      them: no warning the parent commit does not already have;
#   3. kernel-doc -none on touched sources: no new warning;
#   4. coccicheck (MODE=report, every semantic patch) on touched .c files:
#      no new report;
# and at the tip vmlinux and modules build with W=1.
#
#   scripts/check.sh [PATCH-NAME...]   check those patches only (no tip build)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

CTREE=$BUILD/check/linux
COUT=$BUILD/check/out
CLOG=$LOGS/check
EXCEPTIONS=$IMS_TOP/scripts/checkpatch.exceptions
failures=0

fail()
{
	printf 'FAIL %s\n' "$*" >&2
	failures=$((failures + 1))
}

cgit()
{
	git -C "$CTREE" "$@"
}

setup_worktree()
{
	if [ ! -d "$CTREE" ]; then
		mkdir -p "$(dirname "$CTREE")"
		kgit worktree prune
		kgit worktree add -q --detach "$CTREE" "$BASE_TAG"
	fi
	mkdir -p "$COUT" "$CLOG"
}

# cmake ARGS: make in the check worktree.
cmake()
{
	make -C "$CTREE" O="$COUT" -j"$JOBS" CC="$KCC" "$@"
}

# normalize: drop line/column numbers, build noise and absolute paths so
# that warnings of a parent and a child commit compare.
normalize()
{
	sed -E -e "s#$CTREE/##g" -e 's/:[0-9]+(:[0-9]+)?:/:/g' -e 's/^[[:space:]]+[0-9]+ \|.*//' |
		grep -E 'warning|error|WARNING|ERROR' | grep -v '^make' | sort -u || true
}

# objects_of COMMIT: the .o targets of the .c files a commit touches that
# the vm config compiles (arch/x86 only; other arches are the matrix's job).
objects_of()
{
	local f
	cgit diff-tree --no-commit-id --name-only --diff-filter=AMR -r "$1" -- '*.c' |
	while read -r f; do
		case $f in
		arch/x86/*|arch/*) [[ $f == arch/x86/* ]] || continue ;;
		tools/*|scripts/*|samples/*|Documentation/*) continue ;;
		esac
		echo "${f%.c}.o"
	done
}

# compile_warnings COMMIT OBJS...: W=1 + sparse output of OBJS at COMMIT.
compile_warnings()
{
	local commit=$1 log
	shift
	log=$CLOG/compile-$commit.log
	cgit checkout -q --detach "$commit"
	cmake -s olddefconfig >/dev/null 2>&1
	if ! cmake W=1 C=2 CHECK="$SPARSE" "$@" >"$log" 2>&1; then
		echo "BUILD-FAILED"
	fi
	if grep -q 'sparse is not available' "$log"; then
		echo "SPARSE-DID-NOT-RUN"
	fi
	normalize <"$log"
}

# new_lines OLD NEW: lines of NEW that OLD lacks.
new_lines()
{
	comm -13 <(printf '%s\n' "$1" | sort -u) <(printf '%s\n' "$2" | sort -u) | sed '/^$/d'
}

check_checkpatch()
{
	local name=$1 commit=$2 ignore out
	ignore=$(awk -v p="$name" '$1 == p { printf "%s%s", sep, $2; sep = "," }' "$EXCEPTIONS" 2>/dev/null || true)
	if ! out=$(cgit format-patch -1 --stdout "$commit" |
		   (cd "$CTREE" && ./scripts/checkpatch.pl --strict --quiet --no-summary --show-types \
			${ignore:+--ignore "$ignore"} -) 2>&1) || [ -n "$out" ]; then
		printf '%s\n' "$out" >"$CLOG/checkpatch-$name.log"
		fail "$name: checkpatch --strict: $(grep -cE '^(ERROR|WARNING|CHECK)' "$CLOG/checkpatch-$name.log") findings (see $CLOG/checkpatch-$name.log)"
	fi
}

check_compile()
{
	local name=$1 commit=$2 objs new before after
	mapfile -t objs < <(objects_of "$commit")
	[ "${#objs[@]}" -gt 0 ] || return 0
	after=$(compile_warnings "$commit" "${objs[@]}")
	if grep -q 'BUILD-FAILED' <<<"$after"; then
		fail "$name: does not build: ${objs[*]} (see $CLOG/compile-$commit.log)"
		return
	fi
	grep -q 'SPARSE-DID-NOT-RUN' <<<"$after" && fail "$name: sparse did not run ($SPARSE): run scripts/setup.sh"
	grep -q "CHECK" "$CLOG/compile-$commit.log" || fail "$name: sparse checked nothing"
	[ -n "$after" ] || return 0
	before=$(compile_warnings "$commit~1" "${objs[@]}" | grep -v BUILD-FAILED || true)
	new=$(new_lines "$before" "$after")
	if [ -n "$new" ]; then
		printf '%s\n' "$new" >"$CLOG/new-warnings-$name.log"
		fail "$name: new W=1/sparse warnings: $(head -n 1 <<<"$new") (all in $CLOG/new-warnings-$name.log)"
	fi
}

# doc_warnings COMMIT FILES...: kernel-doc -none output for FILES at COMMIT.
doc_warnings()
{
	local commit=$1 f
	shift
	for f in "$@"; do
		cgit show "$commit:$f" >"$CLOG/kdoc.tmp" 2>/dev/null || continue
		(cd "$CTREE" && ./scripts/kernel-doc -none "$CLOG/kdoc.tmp" 2>&1) | sed "s#$CLOG/kdoc.tmp#$f#g"
	done | normalize
}

check_kerneldoc()
{
	local name=$1 commit=$2 files new
	mapfile -t files < <(cgit diff-tree --no-commit-id --name-only --diff-filter=AMR -r "$commit" -- '*.c' '*.h')
	[ "${#files[@]}" -gt 0 ] || return 0
	new=$(new_lines "$(doc_warnings "$commit~1" "${files[@]}")" "$(doc_warnings "$commit" "${files[@]}")")
	[ -z "$new" ] || fail "$name: new kernel-doc warnings: $(head -n 1 <<<"$new")"
}

# cocci_reports COMMIT OBJS...: coccicheck report for the sources of OBJS.
cocci_reports()
{
	local commit=$1
	shift
	cgit checkout -q --detach "$commit"
	cmake -s olddefconfig >/dev/null 2>&1
	cmake -j1 C=2 CHECK="scripts/coccicheck" MODE=report "$@" 2>&1 |
		grep -E '^[^ ]+\.[ch]:[0-9]+' | normalize
}

check_cocci()
{
	local name=$1 commit=$2 objs new
	[ "${IMS_SKIP_COCCI:-0}" = 1 ] && return 0
	mapfile -t objs < <(objects_of "$commit")
	[ "${#objs[@]}" -gt 0 ] || return 0
	new=$(new_lines "$(cocci_reports "$commit~1" "${objs[@]}")" "$(cocci_reports "$commit" "${objs[@]}")")
	[ -z "$new" ] || fail "$name: new coccicheck reports: $(head -n 1 <<<"$new")"
}

check_tip()
{
	local tip=$1 log=$CLOG/tip-build.log
	cgit checkout -q --detach "$tip"
	cp "$OUT/vm/.config" "$COUT/.config" 2>/dev/null || "$IMS_TOP/scripts/config.sh" vm
	[ -f "$COUT/.config" ] || cp "$OUT/vm/.config" "$COUT/.config"
	cmake -s olddefconfig >/dev/null 2>&1
	if ! cmake W=1 vmlinux modules >"$log" 2>&1; then
		fail "tip: vmlinux + modules do not build with W=1 (see $log)"
	fi
}

main()
{
	local commits=() names=() i only=("$@") tip
	[ -x "$SPARSE" ] || die "no sparse at $SPARSE: run scripts/setup.sh"
	have_base || die "no kernel tree at $KTREE: run scripts/apply.sh first"
	[ -f "$OUT/vm/.config" ] || "$IMS_TOP/scripts/config.sh" vm
	setup_worktree
	mapfile -t commits < <(kgit rev-list --reverse "$BASE_TAG..$BRANCH")
	mapfile -t names < <(series_patches)
	[ "${#commits[@]}" -eq "${#names[@]}" ] ||
		die "build/linux has ${#commits[@]} commits but series lists ${#names[@]}: run scripts/apply.sh"
	[ -f "$COUT/.config" ] || cp "$OUT/vm/.config" "$COUT/.config"
	for i in "${!commits[@]}"; do
		if [ "${#only[@]}" -gt 0 ] && ! printf '%s\n' "${only[@]}" | grep -qxF "${names[$i]}"; then
			continue
		fi
		info "checking ${names[$i]}"
		check_checkpatch "${names[$i]}" "${commits[$i]}"
		check_compile "${names[$i]}" "${commits[$i]}"
		check_kerneldoc "${names[$i]}" "${commits[$i]}"
		check_cocci "${names[$i]}" "${commits[$i]}"
	done
	tip=$(kgit rev-parse "$BRANCH")
	if [ "${#only[@]}" -eq 0 ] && [ "${#commits[@]}" -gt 0 ]; then
		info "building the tip with W=1"
		check_tip "$tip"
	fi
	cgit checkout -q --detach "$tip"
	[ "$failures" -eq 0 ] || die "$failures check(s) failed"
	info "all checks passed (${#commits[@]} patches)"
}

main "$@"
