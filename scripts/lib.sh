# shellcheck shell=bash disable=SC2034
# SPDX-License-Identifier: GPL-2.0
# Common settings and helpers for the workbench scripts; sourced, never run.

IMS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE_TAG=v7.3-rc7
BASE_VERSION=7.3.0-rc7
BRANCH=ims
# The line of cover-letter.txt after which scripts/export.sh writes the diffstat
COVER_DIFFSTAT_MARKER="Based on $BASE_TAG; the diffstat, written by scripts/export.sh:"
BUILD=${IMS_BUILD:-$IMS_TOP/build}
KTREE=${KTREE:-$BUILD/linux}
OUT=${IMS_OUT:-$BUILD/out}
LOGS=$BUILD/logs
TOOLS=$BUILD/tools
SHARED_BASE=${IMS_SHARED_BASE:-$IMS_TOP/../shared/base}
TARBALL=$SHARED_BASE/linux-7.3-rc7.tar.xz
DEBIAN_SRC_PKG=linux-source-7.3
DEBIAN_SRC_VER=${IMS_DEBIAN_SRC_VER:-7.3~rc7-1~exp1}
JOBS=${JOBS:-$(nproc)}

# Debian's own tools first: a python3 from pyenv or the like on PATH cannot
# see Debian's python3-* modules (checkpatch's spdxcheck needs python3-ply).
export PATH=/usr/bin:/bin:$PATH

# Fixed identity and dates for commits the workbench makes itself, so the
# base commit is the same on every machine.
BASE_IDENT=(-c user.name=workbench -c user.email=workbench@invalid)
export GIT_AUTHOR_DATE_BASE='2026-10-16T00:00:00Z'

# die MESSAGE: print one line on stderr and exit non-zero.
die()
{
	printf '%s: error: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

info()
{
	printf '%s: %s\n' "${0##*/}" "$*" >&2
}

# series_patches: the patch file names that series lists, in order.
series_patches()
{
	[ -f "$IMS_TOP/series" ] || return 0
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$IMS_TOP/series"
}

# The kselftest targets the guests run, one per line:
# 'TARGET [quick: VAR=VALUE...]' (see that file).
KSFT_TARGETS=${IMS_KSFT_TARGETS:-$IMS_TOP/selftests/kselftest-targets}

# kselftest_lines: the lines of selftests/kselftest-targets, comments and
# blank lines left out.
kselftest_lines()
{
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$KSFT_TARGETS" 2>/dev/null || true
}

kselftest_targets()
{
	kselftest_lines | awk '{ print $1 }'
}

# quick_targets: the targets the quick debug run runs.
quick_targets()
{
	kselftest_lines | awk '/quick:/ { print $1 }'
}

# quick_settings: the variables they run with there, one per line.
quick_settings()
{
	kselftest_lines | sed -n 's/.*quick:[[:space:]]*//p' | tr -s ' \t' '\n' | sed '/^$/d'
}

# kgit ARGS: git in the scratch kernel tree.
kgit()
{
	git -C "$KTREE" "$@"
}

have_base()
{
	[ -e "$KTREE/.git" ] && kgit rev-parse -q --verify "refs/tags/$BASE_TAG" >/dev/null
}

# The CC= value for kernel builds, with ccache when present.
KCC=gcc
if command -v ccache >/dev/null 2>&1; then
	KCC="ccache gcc"
	export CCACHE_DIR=${CCACHE_DIR:-$BUILD/ccache}
	export CCACHE_BASEDIR=$IMS_TOP
	export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
	export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
	# Depend mode: a miss compiles once and takes the dependencies from
	# the compiler's -MMD output, instead of running the preprocessor in
	# addition. A cold build costs +11% over no ccache, not +57%
	# (drivers/acpi/ at -j2: 37 s without ccache, 41 s depend, 58 s default).
	export CCACHE_DEPEND=1
fi

# kmake OUTDIR ARGS: make in the kernel tree with an out-of-tree build dir.
kmake()
{
	local out=$1
	shift
	make -C "$KTREE" O="$out" -j"$JOBS" CC="$KCC" "$@"
}

SPARSE=$TOOLS/sparse/sparse

# ---- Shared by check.sh, matrix.sh and config.sh: diagnostics, worktrees,
# ---- configs and the tools the checks depend on.

# strip_paths TREE: stdin without the paths of TREE and of the kernel tree
# as seen from a build dir under build/ (../../linux/, ../linux/).
strip_paths()
{
	sed -E -e "s#$1/##g" -e 's#(\.\./)+linux/##g'
}

# normalize TREE: the compiler, sparse and kernel-doc diagnostics of stdin
# ("file:line[:col]: warning|error: ..."), without line and column numbers
# and paths, so that those of a parent and a child commit compare.
normalize()
{
	strip_paths "$1" | grep -E '^[^ ]+:[0-9]+(:[0-9]+)?: (warning|error|fatal error)' |
		sed -E 's/:[0-9]+(:[0-9]+)?: /: /' | sort -u || true
}

# new_lines OLD NEW: lines of NEW that OLD lacks.
new_lines()
{
	comm -13 <(printf '%s\n' "$1" | sort -u) <(printf '%s\n' "$2" | sort -u) | sed '/^$/d'
}

# setup_worktree DIR: a worktree of the scratch tree at DIR, detached at the
# base, made again when DIR is missing or not a working worktree.
setup_worktree()
{
	local dir=$1
	if [ -f "$dir/.git" ] && git -C "$dir" rev-parse -q --verify HEAD >/dev/null 2>&1; then
		return 0
	fi
	rm -rf "$dir"
	mkdir -p "$(dirname "$dir")"
	kgit worktree prune
	kgit worktree add -q --detach "$dir" "$BASE_TAG"
}

# merge_config TREE GEN FRAGMENT...: GEN/.config (made by the caller, e.g.
# tinyconfig) merged with the fragments by TREE's merge_config.sh, which
# runs alldefconfig on the merged file and then warns of every requested
# value the result lacks (merge_config.sh drops options whose dependencies
# are unmet and only warns); check_config makes those warnings about the
# fragments' own options an error. ARCH and CROSS_COMPILE come from the
# environment. The output of merge_config.sh is in GEN/merge_config.log.
merge_config()
{
	local tree=$1 gen=$2
	shift 2
	(cd "$tree" && ./scripts/kconfig/merge_config.sh -Q -O "$gen" "$gen/.config" "$@") \
		>"$gen/merge_config.log" 2>&1 ||
		{ tail -n 5 "$gen/merge_config.log" >&2; return 1; }
	check_config "$gen/merge_config.log" "$@"
}

# check_config LOG FRAGMENT...: the warnings of merge_config.sh (LOG) about
# options the fragments ask for, on stderr; fails if there is one.
check_config()
{
	local log=$1 bad
	shift
	bad=$(awk -v logf="$log" '
		FILENAME != logf {
			if ($0 ~ /^CONFIG_[A-Za-z0-9_]+=/ || $0 ~ /^# CONFIG_[A-Za-z0-9_]+ is not set/) {
				match($0, /CONFIG_[A-Za-z0-9_]+/)
				want[substr($0, RSTART, RLENGTH)] = 1
			}
			next
		}
		/^WARNING: / {
			keep = 0
			if (match($0, /CONFIG_[A-Za-z0-9_]+/))
				keep = substr($0, RSTART, RLENGTH) in want
		}
		keep' "$@" "$log")
	[ -n "$bad" ] || return 0
	printf '%s\n' "$bad" | sed "s#^#${0##*/}: error: #" >&2
	return 1
}

# tools_key: the versions of the tools and rules a check's result depends
# on: gcc, sparse (its binary: sid's source builds report the version of
# the last release), spatch and the tip's Coccinelle rules.
tools_key()
{
	gcc --version 2>&1 | head -n 1
	sha256sum "$SPARSE" 2>&1 | cut -d' ' -f1
	spatch --version 2>&1 | head -n 1
	kgit rev-parse -q --verify "$BRANCH:scripts/coccinelle" 2>&1 || echo "no coccinelle rules"
	printf 'IMS_SKIP_COCCI=%s\n' "${IMS_SKIP_COCCI:-0}"
}
