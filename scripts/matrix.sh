#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The reviewers' build matrix: every patch of the series in every config of
# kernel-config/matrix/ (x86_64 with and without interrupt remapping,
# x86_64 without PCI_MSI, i386, arm64 and powerpc64 cross), with W=1, in a
# worktree of its own (build/matrix/linux) and one build dir per config
# (build/matrix/out/CONFIG), so build/linux is untouched.
#
#   scripts/matrix.sh [--tip] [--configs A,B] [REV]
#
#   REV        the tip of the series (default: ims); the series is
#              v7.3-rc7..REV
#   --tip      the full build of the tip only (vmlinux or bzImage, and
#              modules), no per-patch builds
#   --configs  only these configs (names of kernel-config/matrix/*.config)
#
# A config is tinyconfig (or allnoconfig) of its arch merged with its
# fragment; every option the fragment asks for must be in the result. The
# header of a fragment says what else the matrix needs:
#   # matrix-arch: ARCH               make's ARCH=
#   # matrix-cross: PREFIX            CROSS_COMPILE= (none: native gcc)
#   # matrix-base: allnoconfig        instead of tinyconfig
#   # matrix-objects: OBJ...          built for every patch that changes a
#                                     header under include/ (users of it
#                                     that no patch touches)
#
# Config after config: first the tip is built in full; the objects it
# compiles (vmlinux.a and the modules) are the ones the config has. Then,
# per patch, the objects of the .c files the patch adds or changes (those
# the series changed so far when the patch changes a Kconfig or Makefile)
# that the config has and whose Makefile line's CONFIG_ is set at that
# commit are built with W=1; warnings are compared with the parent commit's build of
# the same objects, without line numbers. One line per patch and config:
#   NNNN CONFIG ok|FAIL|n/a [details]
# then a table of all of them, also written to build/matrix/result.txt.
# A patch that fails to build fails, also when its parent fails the same
# way (its details then say "inherited"); a patch whose objects warn fails
# only on a W=1 warning its parent's build of them lacks. The tip fails on
# a build error or a W=1 warning in a file the series adds. Exits non-zero
# if anything failed.
#
# Over 300 lines because it is one job with one flow (configs, the tip's
# build, the patches against their parents, the table), a fifth of it
# comments; what it shares with scripts/check.sh is in lib.sh.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

MDIR=$BUILD/matrix
MTREE=$MDIR/linux
MOUT=$MDIR/out
MLOG=$MDIR/logs
RESULT=$MDIR/result.txt
FRAGS=$IMS_TOP/kernel-config/matrix

declare -A RES=()
LINES=()
failures=0

usage()
{
	sed -n 's/^#   \(scripts\/matrix.sh.*\)/usage: \1/p' "$0" >&2
	exit 2
}

mgit()
{
	git -C "$MTREE" "$@"
}

# frag_field CONFIG KEY: the value of a "# matrix-KEY:" header line.
frag_field()
{
	sed -n "s/^# matrix-$2: *//p" "$FRAGS/$1.config" | head -n 1
}

srcarch_of()
{
	case $1 in
	x86_64|i386|x86) echo x86 ;;
	*) echo "$1" ;;
	esac
}

# kbuild OUTDIR CONFIG ARGS: make in the matrix worktree with the arch and
# compiler of CONFIG, niced, with ccache when lib.sh found it.
kbuild()
{
	local out=$1 cfg=$2 arch cross
	shift 2
	arch=$(frag_field "$cfg" arch)
	cross=$(frag_field "$cfg" cross)
	nice -n 15 make -C "$MTREE" O="$out" -j"$JOBS" ARCH="$arch" \
		${cross:+CROSS_COMPILE="$cross"} CC="${KCC%gcc}${cross}gcc" "$@"
}

# mmake CONFIG ARGS: kbuild in CONFIG's build dir.
mmake()
{
	local cfg=$1
	shift
	kbuild "$MOUT/$cfg" "$cfg" "$@"
}

checkout()
{
	mgit checkout -q --detach "$1"
}

# record ROW CONFIG STATE [DETAILS]: one result line, printed at once.
record()
{
	local row=$1 cfg=$2 state=$3 line
	shift 3
	line="$row $cfg $state${*:+ $*}"
	RES[$row,$cfg]=$state
	LINES+=("$line")
	printf '%s\n' "$line"
	[ "$state" != FAIL ] || failures=$((failures + 1))
}

# located LOG NORMALIZED: the first diagnostic of LOG that normalizes to
# NORMALIZED, with its line number.
located()
{
	strip_paths "$MTREE" <"$1" | awk -v want="$2" '{
		l = $0; sub(/:[0-9]+(:[0-9]+)?: /, ": ", l)
		if (l == want) { print; exit }
	}'
}

# first_error LOG: the first compiler error, else the first make error.
first_error()
{
	local e
	e=$(strip_paths "$MTREE" <"$1" | grep -m 1 -E ': (fatal )?error: ' || true)
	[ -n "$e" ] || e=$(strip_paths "$MTREE" <"$1" | grep -m 1 -E '\*\*\*|[Ee]rror' || true)
	printf '%s\n' "${e:-unknown (see $1)}"
}

# make_config CONFIG: the .config of CONFIG at the checked out commit (the
# tip), kept as build/matrix/out/CONFIG.config for the older commits.
make_config()
{
	local cfg=$1 gen=$MOUT/.kconfig-$1 frag=$FRAGS/$1.config base
	base=$(frag_field "$cfg" base)
	mkdir -p "$MOUT/$cfg"
	rm -rf "$gen"
	mkdir -p "$gen"
	kbuild "$gen" "$cfg" -s "${base:-tinyconfig}" >/dev/null
	ARCH=$(frag_field "$cfg" arch) CROSS_COMPILE=$(frag_field "$cfg" cross) merge_config "$MTREE" "$gen" "$frag" ||
		die "config '$cfg' lacks options kernel-config/matrix/$cfg.config asks for (unmet dependencies?)"
	cp "$gen/.config" "$MOUT/$cfg.config"
	rm -rf "$gen"
	rm -f "$MOUT/$cfg/.matrix-kconfig"
}

# refresh_config CONFIG COMMIT: the saved config through olddefconfig at
# COMMIT (checked out), only when the Kconfig files the series touches or
# the saved config differ from the last time.
refresh_config()
{
	local cfg=$1 commit=$2 key out=$MOUT/$1
	key=$({ cat "$MOUT/$cfg.config"; mgit ls-tree "$commit" -- "${SERIES_KCONFIG[@]}"; } | md5sum)
	if [ -f "$out/.config" ] && [ "$(cat "$out/.matrix-kconfig" 2>/dev/null)" = "$key" ]; then
		return 0
	fi
	cp "$MOUT/$cfg.config" "$out/.config"
	mmake "$cfg" -s olddefconfig >/dev/null
	printf '%s\n' "$key" >"$out/.matrix-kconfig"
}

# tip_objects CONFIG LOG: the objects the full build of the tip compiled:
# vmlinux.a's members and those of every module; after a failed build (LOG),
# the objects that have a .cmd file and those that failed to compile.
tip_objects()
{
	local out=$MOUT/$1 m
	if [ -f "$out/vmlinux.a" ] && [ -f "$out/modules.order" ]; then
		ar t "$out/vmlinux.a"
		while read -r m; do
			cat "$out/${m%.o}.mod"
		done <"$out/modules.order"
	else
		(cd "$out" && find . -name '.*.o.cmd' | sed -E 's#^\./##; s#(^|/)\.([^/]*)\.cmd$#\1\2#')
		sed -nE 's#^make\[[0-9]+\]: \*\*\* \[[^ ]*Makefile\.build:[0-9]+: ([^ ]+\.o)\] Error [0-9]+$#\1#p' "$2"
	fi | tr ' ' '\n' | sed -e "s#^$out/##" -e '/^$/d' | sort -u >"$MOUT/$1.objects"
}

# config_set_for COMMIT OBJ CONFIG: no Makefile line of OBJ at COMMIT names
# a CONFIG_ that CONFIG's .config (refreshed at COMMIT) leaves unset.
config_set_for()
{
	local commit=$1 obj=$2 cfg=$3 sym dir
	dir=$(dirname "$obj")
	for sym in $(mgit show "$commit:$dir/Makefile" 2>/dev/null |
			grep -wF "$(basename "$obj")" | grep -oE '\$\(CONFIG_[A-Za-z0-9_]+\)' |
			sed -E 's/^\$\((.*)\)$/\1/' | sort -u); do
		grep -qE "^$sym=[ym]$" "$MOUT/$cfg/.config" || return 1
	done
}

# objects_for COMMIT CONFIG: the objects to build for a patch in a config:
# those of the .c files it adds or changes (a .c file another one includes
# has no object of its own), those of all .c files the series changed so
# far when the patch changes a Kconfig or Makefile, and the config's
# matrix-objects when the patch changes a header under include/; only those that the tip compiles
# in this config, that the directory's Makefile lists at COMMIT and whose
# Makefile line's CONFIG_ is set at COMMIT.
objects_for()
{
	local commit=$1 cfg=$2 srcarch f obj dir
	srcarch=$(srcarch_of "$(frag_field "$cfg" arch)")
	{
		mgit diff-tree --no-commit-id --name-only --diff-filter=AMR -r "$commit" -- '*.c' |
			sed 's/\.c$/.o/'
		# A Kconfig or Makefile change can turn on an object of the
		# series that the patch does not touch (a select, a new symbol).
		if mgit diff-tree --no-commit-id --name-only -r "$commit" -- '*Kconfig*' '*Makefile' '*Kbuild' \
				':(exclude)tools/*' ':(exclude)Documentation/*' | grep -q .; then
			mgit diff --name-only --diff-filter=AMR "$BASE_TAG" "$commit" -- '*.c' | sed 's/\.c$/.o/'
		fi
		if mgit diff-tree --no-commit-id --name-only -r "$commit" -- 'include/*' "arch/$srcarch/include/*" | grep -q .; then
			frag_field "$cfg" objects | tr ' ' '\n'
		fi
	} | sed '/^$/d' | sort -u | while read -r obj; do
		f=${obj%.o}.c
		case $f in
		arch/"$srcarch"/*) ;;
		arch/*|tools/*|scripts/*|samples/*|Documentation/*) continue ;;
		esac
		dir=$(dirname "$f")
		grep -qxF "$obj" "$MOUT/$cfg.objects" || continue
		mgit cat-file -e "$commit:$f" 2>/dev/null || continue
		mgit grep -qwE "$(basename "${obj%.o}")\.o" "$commit" -- "$dir/Makefile" "$dir/Kbuild" || continue
		config_set_for "$commit" "$obj" "$cfg" || continue
		echo "$obj"
	done
}

# build_objects CONFIG LOG OBJ...: W=1 build of OBJS (removed first, so
# that their warnings show even when make finds them up to date; ccache
# replays them cheaply).
build_objects()
{
	local cfg=$1 log=$2 o
	shift 2
	for o in "$@"; do
		rm -f "$MOUT/$cfg/$o"
	done
	mmake "$cfg" W=1 "$@" >"$log" 2>&1
}

# patch_child NNNN COMMIT CONFIG: build the patch's objects; adds CONFIG to
# NEED_PARENT when they warn or fail, so that the parent's build decides
# which diagnostics are the patch's.
patch_child()
{
	local nnnn=$1 commit=$2 cfg=$3 objs log
	refresh_config "$cfg" "$commit"
	mapfile -t objs < <(objects_for "$commit" "$cfg")
	if [ "${#objs[@]}" -eq 0 ]; then
		record "$nnnn" "$cfg" n/a
		return
	fi
	log=$MLOG/$nnnn-$cfg.log
	printf '%s\n' "${objs[@]}" >"$MLOG/$nnnn-$cfg.objects"
	rm -f "$MLOG/$nnnn-$cfg.failed"
	if ! build_objects "$cfg" "$log" "${objs[@]}"; then
		: >"$MLOG/$nnnn-$cfg.failed"
	elif [ -z "$(normalize "$MTREE" <"$log")" ]; then
		record "$nnnn" "$cfg" ok "${#objs[@]} objects"
		return
	fi
	NEED_PARENT+=("$cfg")
}

# patch_parent NNNN COMMIT CONFIG: the warnings of the patch's objects at
# the parent (checked out) against those at the patch.
patch_parent()
{
	local nnnn=$1 commit=$2 cfg=$3 objs=() o log=$MLOG/$1-$3.parent.log new w details=() n
	local parent="the parent builds them"
	refresh_config "$cfg" "$commit~1"
	# Only what the parent builds: an object a Kconfig change of the patch
	# turns on is new at the patch, whatever it was before.
	while read -r o; do
		if mgit cat-file -e "$commit~1:${o%.o}.c" 2>/dev/null &&
		   config_set_for "$commit~1" "$o" "$cfg"; then
			objs+=("$o")
		fi
	done <"$MLOG/$nnnn-$cfg.objects"
	: >"$log"
	[ "${#objs[@]}" -gt 0 ] || parent="the parent builds none of them"
	if [ "${#objs[@]}" -gt 0 ] && ! build_objects "$cfg" "$log" "${objs[@]}"; then
		parent="the parent fails too"
	fi
	new=$(new_lines "$(normalize "$MTREE" <"$log")" "$(normalize "$MTREE" <"$MLOG/$nnnn-$cfg.log")")
	if [ -f "$MLOG/$nnnn-$cfg.failed" ]; then
		# A commit that does not build fails, also when it inherits
		# the error; the details say which errors the patch adds.
		w=$(grep -m 1 -E ': (fatal )?error: ' <<<"$new" || true)
		if [ -n "$w" ]; then
			record "$nnnn" "$cfg" FAIL "build error: $(located "$MLOG/$nnnn-$cfg.log" "$w")" \
				"($(grep -cE ': (fatal )?error: ' <<<"$new") new errors, $parent; $MLOG/$nnnn-$cfg.log)"
		else
			record "$nnnn" "$cfg" FAIL "build error, inherited: $(first_error "$MLOG/$nnnn-$cfg.log")" \
				"($parent; $MLOG/$nnnn-$cfg.log)"
		fi
		return
	fi
	n=$(normalize "$MTREE" <"$MLOG/$nnnn-$cfg.log" | wc -l)
	if [ -z "$new" ]; then
		record "$nnnn" "$cfg" ok "$(wc -l <"$MLOG/$nnnn-$cfg.objects") objects, $n W=1 warnings, none new"
		return
	fi
	while IFS= read -r w; do
		details+=("$(located "$MLOG/$nnnn-$cfg.log" "$w")")
	done <<<"$new"
	printf '%s\n' "${details[@]}" >"$MLOG/$nnnn-$cfg.new-warnings"
	record "$nnnn" "$cfg" FAIL "$(wc -l <<<"$new") new W=1 warnings: ${details[0]}$([ "${#details[@]}" -eq 1 ] || echo " ...") ($MLOG/$nnnn-$cfg.new-warnings)"
}

# in_files FILES: the normalized diagnostics of stdin about one of FILES
# (a list, one a line).
in_files()
{
	awk -F': ' 'NR == FNR { f[$0] = 1; next } $1 in f' <(printf '%s\n' "$1") -
}

# tip_build CONFIG: the full W=1 build of the tip (checked out); records
# the objects it compiled and lists its W=1 warnings in the files the
# series touches (and its errors there) in TIP_WARNINGS; a warning in a
# file the series adds fails.
tip_build()
{
	local cfg=$1 log=$MLOG/tip-$1.log targets start secs w line touched added state=ok why=""
	start=$SECONDS
	make_config "$cfg"
	refresh_config "$cfg" "$TIP"
	touched=$(mgit diff --name-only "$BASE_TAG" "$TIP")
	added=$(mgit diff --name-only --diff-filter=A "$BASE_TAG" "$TIP")
	# An up to date object prints no warning: remove those that read a
	# file the series touches (their .cmd lists it), so that the build
	# shows their warnings again; ccache replays them cheaply.
	(cd "$MOUT/$cfg" && grep -rlsF --include='.*.o.cmd' -f <(awk '{ print "linux/" $0 }' <<<"$touched") . |
		sed -E 's#(^|/)\.([^/]*)\.cmd$#\1\2#' | xargs -r rm -f) || true
	case $(srcarch_of "$(frag_field "$cfg" arch)") in
	x86) targets=(bzImage modules) ;;
	*) targets=(vmlinux modules) ;;
	esac
	if ! mmake "$cfg" -k W=1 "${targets[@]}" >"$log" 2>&1; then
		state=FAIL
		why="build error: $(first_error "$log") ($log); "
	fi
	tip_objects "$cfg" "$log"
	secs=$((SECONDS - start))
	w=$(normalize "$MTREE" <"$log" | in_files "$touched")
	if [ -n "$w" ]; then
		while IFS= read -r line; do
			TIP_WARNINGS+=("$cfg: $(located "$log" "$line")")
		done <<<"$w"
		if [ -n "$(in_files "$added" <<<"$w")" ]; then
			state=FAIL
		fi
		why+="in files the series touches: $(grep -c ': warning: ' <<<"$w" || true) W=1 warnings, $(grep -cE ': (fatal )?error: ' <<<"$w" || true) errors (below); "
	fi
	TIP_TIMES+=("$cfg ${secs}s")
	record tip "$cfg" "$state" "${why}$(grep -c . "$MOUT/$cfg.objects") objects, ${secs}s"
}

# print_table ROWS...: patches as rows, configs as columns.
print_table()
{
	local row cfg w subj
	printf '%-6s' patch
	for cfg in "${CONFIGS[@]}"; do
		w=$(( ${#cfg} > 5 ? ${#cfg} + 2 : 7 ))
		printf "%-${w}s" "$cfg"
	done
	printf 'subject\n'
	for row in "$@"; do
		printf '%-6s' "$row"
		for cfg in "${CONFIGS[@]}"; do
			w=$(( ${#cfg} > 5 ? ${#cfg} + 2 : 7 ))
			printf "%-${w}s" "${RES[$row,$cfg]:--}"
		done
		subj=${SUBJECTS[$row]:-}
		printf '%s\n' "${subj:0:60}"
	done
}

# write_result ROWS...: the lines so far, the table, the tip's warnings in
# the series' files and the times, in build/matrix/result.txt (rewritten
# after each config, so that an interrupted run leaves what it did).
write_result()
{
	local secs=$((SECONDS - START))
	{
		printf 'Build matrix of %s..%s (%s), W=1, %s\n\n' "$BASE_TAG" "$REV" "${TIP:0:12}" "$(date -u '+%Y-%m-%d %H:%M UTC')"
		printf '%s\n' "${LINES[@]}"
		printf '\n'
		print_table "$@"
		if [ "${#TIP_WARNINGS[@]}" -gt 0 ]; then
			printf '\nW=1 warnings and errors of the tip in files the series touches:\n'
			printf '  %s\n' "${TIP_WARNINGS[@]}"
		fi
		printf '\nFull builds of the tip: %s\n' "${TIP_TIMES[*]}"
		[ "${#PATCH_TIMES[@]}" -eq 0 ] || printf 'Per-patch builds: %s\n' "${PATCH_TIMES[*]}"
		printf 'Total: %dm%02ds, %d FAIL\n' $((secs / 60)) $((secs % 60)) "$failures"
	} >"$RESULT"
}

main()
{
	local rev=$BRANCH tip_only=0 configs="" cfg i commits=() nnnn rows=() t
	while [ $# -gt 0 ]; do
		case $1 in
		--tip) tip_only=1 ;;
		--configs) [ $# -ge 2 ] || usage; configs=$2; shift ;;
		--configs=*) configs=${1#*=} ;;
		-h|--help) usage ;;
		-*) usage ;;
		*) rev=$1 ;;
		esac
		shift
	done
	have_base || die "no kernel tree at $KTREE: run scripts/apply.sh first"
	REV=$rev
	TIP=$(kgit rev-parse -q --verify "$rev^{commit}") || die "no commit '$rev' in $KTREE"
	if [ -n "$configs" ]; then
		IFS=, read -r -a CONFIGS <<<"$configs"
	else
		# The configs of the issue first, in its order, then the others.
		mapfile -t CONFIGS < <(for cfg in "$FRAGS"/*.config; do
				cfg=${cfg##*/}
				echo "${cfg%.config}"
			done | awk '{ o = 9 } /^x86_64-ir$/ { o = 1 } /^x86_64-noir$/ { o = 2 }
				/^x86_64-nomsi$/ { o = 3 } /^i386$/ { o = 4 } /^arm64$/ { o = 5 }
				{ print o, $0 }' | sort -k1,1n -k2 | cut -d' ' -f2)
	fi
	for cfg in "${CONFIGS[@]}"; do
		[ -f "$FRAGS/$cfg.config" ] || die "no config '$cfg': kernel-config/matrix/$cfg.config does not exist"
		[ -n "$(frag_field "$cfg" arch)" ] || die "kernel-config/matrix/$cfg.config has no '# matrix-arch:' line"
		command -v "$(frag_field "$cfg" cross)gcc" >/dev/null ||
			die "no $(frag_field "$cfg" cross)gcc for config '$cfg': run scripts/setup.sh --cross"
	done
	mkdir -p "$MDIR"
	exec 9>"$MDIR/lock"
	flock -n 9 || die "another scripts/matrix.sh is running (lock: $MDIR/lock)"
	setup_worktree "$MTREE"
	mkdir -p "$MOUT" "$MLOG"
	rm -f "$MLOG"/*
	mapfile -t commits < <(kgit rev-list --reverse "$BASE_TAG..$TIP")
	[ "${#commits[@]}" -gt 0 ] || die "no commits in $BASE_TAG..$rev"
	mapfile -t SERIES_KCONFIG < <(kgit diff --name-only "$BASE_TAG" "$TIP" -- '*Kconfig*')
	[ "${#SERIES_KCONFIG[@]}" -gt 0 ] || SERIES_KCONFIG=(Kconfig)
	declare -gA SUBJECTS=()
	TIP_WARNINGS=()
	TIP_TIMES=()
	PATCH_TIMES=()
	SUBJECTS[tip]="full W=1 build of ${TIP:0:12}"
	START=$SECONDS
	info "series $BASE_TAG..$rev (${TIP:0:12}, ${#commits[@]} patches), configs: ${CONFIGS[*]} (-j$JOBS, CC=$KCC; logs: $MLOG)"

	for i in "${!commits[@]}"; do
		nnnn=$(printf '%04d' $((i + 1)))
		SUBJECTS[$nnnn]=$(kgit log -1 --format=%s "${commits[$i]}")
		[ "$tip_only" -eq 1 ] || rows+=("$nnnn")
	done
	# Config by config, so that each one's column is complete when it is.
	for cfg in "${CONFIGS[@]}"; do
		checkout "$TIP"
		info "$cfg: full build of the tip"
		tip_build "$cfg"
		[ "$tip_only" -eq 0 ] || continue
		info "$cfg: the patches"
		t=$SECONDS
		for i in "${!commits[@]}"; do
			nnnn=$(printf '%04d' $((i + 1)))
			checkout "${commits[$i]}"
			NEED_PARENT=()
			patch_child "$nnnn" "${commits[$i]}" "$cfg"
			[ "${#NEED_PARENT[@]}" -gt 0 ] || continue
			checkout "${commits[$i]}~1"
			patch_parent "$nnnn" "${commits[$i]}" "$cfg"
		done
		PATCH_TIMES+=("$cfg $((SECONDS - t))s")
		write_result "${rows[@]}" tip
	done
	checkout "$TIP"
	write_result "${rows[@]}" tip
	printf '\n'
	sed -n '/^patch /,$p' "$RESULT"
	[ "$failures" -eq 0 ] || die "$failures FAIL in the matrix (see $RESULT and $MLOG)"
	info "all builds passed: $RESULT"
}

main "$@"
