#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Check every patch of the series in order, in a worktree of its own
# (build/check/linux, built in build/check/out) so build/linux is untouched:
#   1. checkpatch --strict: no error or warning (exceptions only through
#      scripts/checkpatch.exceptions, each with its reason);
#   2. every object the patch touches builds with W=1, and sparse (C=2) on
#      them: no warning the parent commit does not already have;
#   3. kernel-doc -none on touched sources: no new warning;
#   4. coccicheck (MODE=report, every semantic patch of the tip) on the .c
#      files each patch touches: no report the parent's version lacks;
# The whole vmlinux and modules of the tip are built with W=1 by
# scripts/build.sh, which scripts/test.sh runs after this.
#
#   scripts/check.sh [PATCH-NAME...]   check those patches only (no tip build)
#
# A patch that passed is remembered (build/check/passed/) under a key made
# of its tree, its parent's tree, its checkpatch exceptions, the .config,
# gcc's and spatch's versions, the sparse binary, the tip's Coccinelle rules
# and these scripts: with all of them unchanged the result cannot change,
# so it is not checked again. IMS_CHECK_CACHE=0 checks everything. An
# object of a touched file that the vm config does not build is reported
# as NOT CHECKED, and its patch is not remembered as passed.
#
# checkpatch reads the check worktree (its data files, MAINTAINERS,
# include/): it runs while that worktree is at the tip and nothing checks
# out another commit there.
#
# Over 300 lines because its four checks share one worktree, one build dir
# and one cache and must be ordered around them (what they share with
# scripts/matrix.sh is in lib.sh).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CTREE=$BUILD/check/linux
COUT=$BUILD/check/out
CLOG=$LOGS/check
EXCEPTIONS=$IMS_TOP/scripts/checkpatch.exceptions
failures=0
unchecked=0

fail()
{
	printf 'FAIL %s\n' "$*" >&2
	failures=$((failures + 1))
}

# not_checked NAME OBJ...: objects of a patch that no check compiled (the
# config does not build them): said, and the patch is not remembered as
# passed.
not_checked()
{
	local name=$1
	shift
	printf 'NOT CHECKED %s: %s (the vm config does not build it: no W=1 or sparse check)\n' "$name" "$*" >&2
	unchecked=$((unchecked + $#))
}

cgit()
{
	git -C "$CTREE" "$@"
}

# check_key NAME COMMIT: what the result of checking the patch depends on.
check_key()
{
	{
		kgit rev-parse "$2^{tree}" "$2~1^{tree}"
		awk -v p="${1#[0-9][0-9][0-9][0-9]-}" '$1 == p' "$EXCEPTIONS" 2>/dev/null || true
		cat "$COUT/.config.vm" "$IMS_TOP/scripts/check.sh" "$IMS_TOP/scripts/lib.sh"
		tools_key
		kgit rev-list --count "$BASE_TAG"
	} | sha256sum | cut -d' ' -f1
}

# cmake ARGS: make in the check worktree.
cmake()
{
	make -C "$CTREE" O="$COUT" -j"$JOBS" CC="$KCC" "$@"
}

# objects_of COMMIT: the .o targets of the .c files a commit touches that
# the vm config compiles (arch/x86 only; other arches are the matrix's job).
objects_of()
{
	local f commit=$1
	cgit diff-tree --no-commit-id --name-only --diff-filter=AMR -r "$1" -- '*.c' |
	while read -r f; do
		case $f in
		arch/x86/*|arch/*) [[ $f == arch/x86/* ]] || continue ;;
		tools/*|scripts/*|samples/*|Documentation/*) continue ;;
		esac
		# Only files kbuild compiles on their own: a .c file that another
		# one #includes (e.g. a KUnit suite) has no object of its own.
		cgit grep -qwE "$(basename "${f%.c}")\.o" "$commit" -- "$(dirname "$f")/Makefile" "$(dirname "$f")/Kbuild" ||
			continue
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
	# The vm config of the tip, as this commit's Kconfig files take it:
	# starting again from the tip's each time keeps the options the series
	# adds once a commit knows them. olddefconfig costs seconds and can only
	# give something else when a Kconfig file differs from the commit it
	# last ran on.
	local last
	last=$(cat "$COUT/.config.commit" 2>/dev/null || true)
	if [ -z "$last" ] || ! cgit diff --quiet "$last" "$commit" -- '*Kconfig*' 2>/dev/null; then
		cp "$COUT/.config.vm" "$COUT/.config"
		cmake -s olddefconfig >/dev/null 2>&1
		cgit rev-parse "$commit" >"$COUT/.config.commit"
	fi
	# A single target is compiled whatever the config says: leave out the
	# objects the config does not build (a file of a hidden option nothing
	# selects yet would otherwise fail against its own header's stubs).
	# Removed first: an object that is still there afterwards was built
	# now; one that is not, the config does not build.
	local o built=()
	for o in "$@"; do
		rm -f "$COUT/$o"
		if config_builds "$o"; then built+=("$o"); else echo "NOT-BUILT $o"; fi
	done
	set -- "${built[@]}"
	: >"$log"
	if [ $# -gt 0 ] && ! cmake W=1 C=2 CHECK="$SPARSE" "$@" >"$log" 2>&1; then
		echo "BUILD-FAILED"
	fi
	if grep -q 'sparse is not available' "$log"; then
		echo "SPARSE-DID-NOT-RUN"
	fi
	for o in "$@"; do
		[ -e "$COUT/$o" ] || echo "NOT-BUILT $o"
	done
	normalize "$CTREE" <"$log"
}

# config_builds OBJ: whether the check's .config builds OBJ, from the line
# of its directory's Makefile that names it: obj-$(CONFIG_X) needs X set;
# a part of a composite object (foo-$(CONFIG_X) or foo-y) needs that and
# foo.o built. Objects no such line names count as built.
config_builds()
{
	local obj=$1 dir base line sym comp
	dir=$(dirname "$obj") base=$(basename "$obj")
	line=$(grep -hE "^[a-z0-9_]+-(\\\$\(CONFIG_[A-Z0-9_]+\)|y|m)[[:space:]]*[+:]?=.*(^|[[:space:]])${base//./\\.}([[:space:]]|\$)" \
		"$CTREE/$dir/Makefile" "$CTREE/$dir/Kbuild" 2>/dev/null | head -n 1)
	[ -n "$line" ] || return 0
	# shellcheck disable=SC2016 # a make variable, not a shell one
	sym=$(sed -n 's/^[a-z0-9_]*-\$(\(CONFIG_[A-Z0-9_]*\)).*/\1/p' <<<"$line")
	if [ -n "$sym" ] && ! grep -qE "^$sym=(y|m)$" "$COUT/.config"; then
		return 1
	fi
	comp=${line%%-*}
	[ "$comp" = obj ] || [ "$comp" = "${base%.o}" ] || config_builds "$dir/$comp.o"
}

# checkpatch_out NAME COMMIT: checkpatch's findings for one patch, if any.
checkpatch_out()
{
	local name=$1 commit=$2 ignore
	ignore=$(awk -v p="${name#[0-9][0-9][0-9][0-9]-}" '$1 == p { printf "%s%s", sep, $2; sep = "," }' "$EXCEPTIONS" 2>/dev/null || true)
	# A base made from a tarball has no history, so checkpatch cannot look
	# up the commits that Fixes: tags name; a mainline LINUX_SRC base can.
	if [ "$(kgit rev-list --count "$BASE_TAG")" -eq 1 ]; then
		ignore=${ignore:+$ignore,}UNKNOWN_COMMIT_ID
	fi
	# git of the main tree: the check worktree changes commits meanwhile.
	kgit format-patch -1 --stdout "$commit" |
		(cd "$CTREE" && ./scripts/checkpatch.pl --strict --quiet --no-summary --show-types \
			${ignore:+--ignore "$ignore"} - 2>&1) || echo "checkpatch.pl exited with $?"
}

# checkpatch_all INDEX...: checkpatch of those patches, each into
# $CLOG/checkpatch-NAME.out. It needs no build, so it runs in the background
# beside the builds of the checks, which leave a CPU idle most of the time.
checkpatch_all()
{
	local i
	for i in "$@"; do
		checkpatch_out "${names[$i]}" "${commits[$i]}" >"$CLOG/checkpatch-${names[$i]}.out"
	done
}

check_checkpatch()
{
	local name=$1 out=$CLOG/checkpatch-$1.out
	if [ ! -f "$out" ]; then
		fail "$name: checkpatch did not run"
	elif [ -s "$out" ]; then
		local log=$CLOG/checkpatch-$name.log n
		mv "$out" "$log"
		n=$(grep -cE '^(ERROR|WARNING|CHECK)' "$log" || true)
		if [ "$n" -gt 0 ]; then
			fail "$name: checkpatch --strict: $n findings (see $log)"
		else
			fail "$name: checkpatch did not finish: $(tail -n 1 "$log") (see $log)"
		fi
	else
		rm -f "$out"
	fi
}

check_compile()
{
	local name=$1 commit=$2 objs new before after unbuilt
	mapfile -t objs < <(objects_of "$commit")
	[ "${#objs[@]}" -gt 0 ] || return 0
	after=$(compile_warnings "$commit" "${objs[@]}")
	if grep -q 'BUILD-FAILED' <<<"$after"; then
		fail "$name: does not build: ${objs[*]} (see $CLOG/compile-$commit.log)"
		return
	fi
	grep -q 'SPARSE-DID-NOT-RUN' <<<"$after" && fail "$name: sparse did not run ($SPARSE): run scripts/setup.sh"
	unbuilt=$(sed -n 's/^NOT-BUILT //p' <<<"$after")
	after=$(grep -v '^NOT-BUILT ' <<<"$after" || true)
	if [ -n "$unbuilt" ]; then
		# shellcheck disable=SC2086
		not_checked "$name" $unbuilt
	fi
	[ "$(wc -w <<<"$unbuilt")" -eq "${#objs[@]}" ] || grep -q "CHECK" "$CLOG/compile-$commit.log" ||
		fail "$name: sparse checked nothing"
	[ -n "$after" ] || return 0
	# The parent builds the objects it has: one the commit adds would stop
	# make before the others, whose warnings would then all look new.
	local o old=()
	for o in "${objs[@]}"; do
		cgit cat-file -e "$commit~1:${o%.o}.c" 2>/dev/null && old+=("$o")
	done
	before=""
	[ "${#old[@]}" -eq 0 ] ||
		before=$(compile_warnings "$commit~1" "${old[@]}" | grep -vE '^(BUILD-FAILED|NOT-BUILT )' || true)
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
	done | normalize "$CTREE"
}

check_kerneldoc()
{
	local name=$1 commit=$2 files new
	mapfile -t files < <(cgit diff-tree --no-commit-id --name-only --diff-filter=AMR -r "$commit" -- '*.c' '*.h')
	[ "${#files[@]}" -gt 0 ] || return 0
	new=$(new_lines "$(doc_warnings "$commit~1" "${files[@]}")" "$(doc_warnings "$commit" "${files[@]}")")
	[ -z "$new" ] || fail "$name: new kernel-doc warnings: $(head -n 1 <<<"$new")"
}

# sources_of COMMIT: the .c files a commit adds or changes (any arch).
sources_of()
{
	cgit diff-tree --no-commit-id --name-only --diff-filter=AMR -r "$1" -- '*.c' |
		grep -vE '^(tools|scripts|samples|Documentation)/' || true
}

# cocci_batch COMMIT...: run coccicheck (every semantic patch, report mode)
# once over all versions of the .c files the commits touch, before and
# after each commit. One batch costs about what one directory costs: most
# of coccicheck's time is spatch starting up once per semantic patch.
cocci_batch()
{
	local c f blob dir=$CLOG/cocci
	rm -rf "$dir"
	mkdir -p "$dir/blobs"
	for c in "$@"; do
		while read -r f; do
			for blob in "$(cgit rev-parse "$c:$f")" "$(cgit rev-parse -q --verify "$c~1:$f" 2>/dev/null)"; do
				if [ -z "$blob" ] || [ -e "$dir/blobs/$blob/$f" ]; then
					continue
				fi
				mkdir -p "$(dirname "$dir/blobs/$blob/$f")"
				cgit cat-file blob "$blob" >"$dir/blobs/$blob/$f"
			done
		done < <(sources_of "$c")
	done
	[ -n "$(ls "$dir/blobs")" ] || return 0
	cmake coccicheck MODE=report M="$dir/blobs" J="$JOBS" >"$dir/report.log" 2>&1 ||
		fail "coccicheck did not run (see $dir/report.log)"
}

# cocci_of BLOB PATH: coccicheck's reports for one version of a file.
cocci_of()
{
	[ -n "$1" ] || return 0
	grep -F "./$1/$2:" "$CLOG/cocci/report.log" |
		sed -E -e "s#^\./$1/##" -e 's/:[0-9]+:[0-9]+(-[0-9]+)?: /: /' | sort -u || true
}

check_cocci()
{
	local name=$1 commit=$2 f new
	[ "${IMS_SKIP_COCCI:-0}" = 1 ] && return 0
	while read -r f; do
		new=$(new_lines "$(cocci_of "$(cgit rev-parse -q --verify "$commit~1:$f" 2>/dev/null)" "$f")" \
				"$(cocci_of "$(cgit rev-parse "$commit:$f")" "$f")")
		[ -z "$new" ] || fail "$name: new coccicheck report: $(head -n 1 <<<"$new")"
	done < <(sources_of "$commit")
}

# run_checks INDEX...: check those patches (of commits, names and keys).
# checkpatch reads the check tree (its scripts and data files, MAINTAINERS,
# include/): it runs while that tree is at the tip, beside coccicheck, which
# only reads it too, and is done before the builds check out other commits.
run_checks()
{
	local i before cp_pid failed=() batch=() gone
	[ "$#" -gt 0 ] || return 0
	cgit checkout -q --detach "$(kgit rev-parse "$BRANCH")"
	rm -f "$CLOG"/checkpatch-*.out "$CLOG"/checkpatch-*.log
	checkpatch_all "$@" &
	cp_pid=$!
	if [ "${IMS_SKIP_COCCI:-0}" != 1 ]; then
		info "coccicheck over every version of the touched files"
		for i in "$@"; do
			batch+=("${commits[$i]}")
		done
		cocci_batch "${batch[@]}"
	fi
	wait "$cp_pid" || fail "checkpatch of the series failed"
	for i in "$@"; do
		info "checking ${names[$i]}"
		before=$failures
		gone=$unchecked
		check_compile "${names[$i]}" "${commits[$i]}"
		check_kerneldoc "${names[$i]}" "${commits[$i]}"
		check_cocci "${names[$i]}" "${commits[$i]}"
		check_checkpatch "${names[$i]}"
		failed[i]=$((failures - before + unchecked - gone))
	done
	for i in "$@"; do
		[ "${failed[i]}" -ne 0 ] || touch "$BUILD/check/passed/${keys[i]}"
	done
}

main()
{
	local commits=() names=() selected=() i only=("$@") tip
	[ -x "$SPARSE" ] || die "no sparse at $SPARSE: run scripts/setup.sh"
	mkdir -p "$BUILD"
	exec 9>"$BUILD/check.lock"
	flock -n 9 || die "another scripts/check.sh is running (lock: $BUILD/check.lock)"
	have_base || die "no kernel tree at $KTREE: run scripts/apply.sh first"
	"$IMS_TOP/scripts/config.sh" vm >/dev/null
	setup_worktree "$CTREE"
	mkdir -p "$COUT" "$CLOG"
	mapfile -t commits < <(kgit rev-list --reverse "$BASE_TAG..$BRANCH")
	mapfile -t names < <(series_patches)
	[ "${#commits[@]}" -eq "${#names[@]}" ] ||
		die "build/linux has ${#commits[@]} commits but series lists ${#names[@]}: run scripts/apply.sh"
	# The checks build with the vm config as it is now.
	if ! cmp -s "$OUT/vm/.config" "$COUT/.config.vm"; then
		cp "$OUT/vm/.config" "$COUT/.config"
		cp "$OUT/vm/.config" "$COUT/.config.vm"
		rm -f "$COUT/.config.commit"
	fi
	local keys=() cached=0
	mkdir -p "$BUILD/check/passed"
	for i in "${!commits[@]}"; do
		if [ "${#only[@]}" -eq 0 ] || printf '%s\n' "${only[@]}" | grep -qxF "${names[$i]}"; then
			keys[i]=$(check_key "${names[$i]}" "${commits[$i]}")
			if [ "${IMS_CHECK_CACHE:-1}" != 0 ] && [ -e "$BUILD/check/passed/${keys[i]}" ]; then
				cached=$((cached + 1))
				continue
			fi
			selected+=("$i")
		fi
	done
	[ "$cached" -eq 0 ] ||
		info "$cached patch(es) unchanged since they passed (IMS_CHECK_CACHE=0 checks them again)"
	run_checks "${selected[@]}"
	tip=$(kgit rev-parse "$BRANCH")
	cgit checkout -q --detach "$tip"
	[ "$failures" -eq 0 ] || die "$failures check(s) failed"
	[ "$unchecked" -eq 0 ] ||
		info "$unchecked object(s) not checked: the vm config does not build them (NOT CHECKED above)"
	info "all checks passed (${#commits[@]} patches)"
}

# Sourced by the workbench's tests, which call the functions alone.
[ "${BASH_SOURCE[0]}" != "$0" ] || main "$@"
