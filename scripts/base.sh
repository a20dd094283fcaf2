#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Make the scratch kernel tree's base: mainline v7.3-rc7, committed and tagged.
#
# Sources, first found wins:
#   LINUX_SRC=<dir>   a mainline git checkout at v7.3-rc7 (cloned, never
#                     modified); see mainline_at_tag for what is checked
#   ../shared/base/linux-7.3-rc7.tar.xz, checked against its SHA256SUMS
#   Debian's linux-source-7.3 7.3~rc7-1~exp1 (experimental), via apt-get download
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

# Who tags mainline's release candidates, and mainline's v7.3-rc7 commit
# when it is known (no mainline clone was at hand offline to read it from;
# set it here, or IMS_MAINLINE_COMMIT, once known).
MAINLINE_TAGGER="Linus Torvalds <torvalds@linux-foundation.org>"
MAINLINE_COMMIT=${IMS_MAINLINE_COMMIT:-}

tmp=""
cleanup()
{
	[ -z "$tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT

# makefile_version FILE: "7.3.0-rc7" style version of a kernel Makefile.
makefile_version()
{
	awk -F' *= *' '
		$1 == "VERSION" { v = $2 } $1 == "PATCHLEVEL" { p = $2 }
		$1 == "SUBLEVEL" { s = $2 } $1 == "EXTRAVERSION" { e = $2 }
		END { printf "%s.%s.%s%s\n", v, p, s, e }' "$1"
}

# commit_tree DIR: commit an unpacked source tree with a fixed identity and date.
commit_tree()
{
	local dir=$1
	# Debian appends a block that ignores everything at the top level.
	sed -i '/^!kernel\/time\/timeconst\.bc$/q' "$dir/.gitignore"
	git -C "$dir" init -q -b "$BRANCH"
	git -C "$dir" add -A
	GIT_AUTHOR_DATE=$GIT_AUTHOR_DATE_BASE GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE_BASE \
		git "${BASE_IDENT[@]}" -C "$dir" commit -q -m "Linux $BASE_VERSION (source tarball)"
}

# unpack_tarball TARBALL DIR: unpack a kernel source tarball into DIR.
unpack_tarball()
{
	local tarball=$1 dir=$2
	mkdir -p "$dir"
	tar -xJf "$tarball" -C "$dir" --strip-components=1
	[ "$(makefile_version "$dir/Makefile")" = "$BASE_VERSION" ] ||
		die "$tarball holds $(makefile_version "$dir/Makefile"), not $BASE_VERSION: use the v7.3-rc7 tarball or set LINUX_SRC"
}

# mainline_at_tag SRC: SRC's HEAD is mainline's v7.3-rc7, as far as can be
# told offline: the commit of an annotated tag v7.3-rc7 whose tagger is
# Linus Torvalds, a commit "Linux 7.3-rc7" of his with the Makefile of
# 7.3.0-rc7, and, when MAINLINE_COMMIT is known, that very commit. (The
# tarball's tree is not mainline's: Debian's patches are in it.)
mainline_at_tag()
{
	local src=$1 head tagged who
	head=$(git -C "$src" rev-parse HEAD)
	tagged=$(git -C "$src" rev-parse -q --verify "refs/tags/$BASE_TAG^{commit}" 2>/dev/null) ||
		die "LINUX_SRC=$src has no tag $BASE_TAG: fetch mainline's tags ('git -C $src fetch --tags origin') and 'git -C $src checkout $BASE_TAG'"
	[ "$head" = "$tagged" ] ||
		die "LINUX_SRC=$src is at ${head:0:12}, not at its tag $BASE_TAG (${tagged:0:12}): run 'git -C $src checkout $BASE_TAG'"
	[ "$(git -C "$src" cat-file -t "refs/tags/$BASE_TAG")" = tag ] ||
		die "LINUX_SRC=$src: $BASE_TAG is not an annotated tag: it is not mainline's"
	who=$(git -C "$src" for-each-ref --format='%(taggername) %(taggeremail)' "refs/tags/$BASE_TAG")
	[ "$who" = "$MAINLINE_TAGGER" ] ||
		die "LINUX_SRC=$src: $BASE_TAG is tagged by $who, not by $MAINLINE_TAGGER: it is not mainline's"
	[ "$(git -C "$src" log -1 --format='%an <%ae>|%s' "$head")" = "$MAINLINE_TAGGER|Linux ${BASE_TAG#v}" ] ||
		die "LINUX_SRC=$src: $BASE_TAG is not Linus Torvalds' commit 'Linux ${BASE_TAG#v}': it is not mainline's"
	[ -z "$MAINLINE_COMMIT" ] || [ "$head" = "$MAINLINE_COMMIT" ] ||
		die "LINUX_SRC=$src: $BASE_TAG is ${head:0:12}, mainline's is ${MAINLINE_COMMIT:0:12}"
}

from_linux_src()
{
	local src=$1 ver
	git -C "$src" rev-parse -q --verify HEAD >/dev/null 2>&1 ||
		die "LINUX_SRC=$src is not a git checkout: point it at a mainline clone at $BASE_TAG"
	ver=$(git -C "$src" show HEAD:Makefile | makefile_version /dev/stdin)
	[ "$ver" = "$BASE_VERSION" ] ||
		die "LINUX_SRC=$src is at $ver, not $BASE_VERSION: run 'git -C $src checkout $BASE_TAG' or unset LINUX_SRC"
	mainline_at_tag "$src"
	info "base from LINUX_SRC=$src ($(git -C "$src" rev-parse --short HEAD))"
	git clone -q --no-checkout "$src" "$tmp/linux"
	git -C "$tmp/linux" checkout -q -b "$BRANCH" "$(git -C "$src" rev-parse HEAD)"
}

from_tarball()
{
	info "base from $TARBALL"
	(cd "$SHARED_BASE" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1) ||
		die "checksum of $TARBALL does not match SHA256SUMS: fetch it again, or set LINUX_SRC to a mainline checkout"
	unpack_tarball "$TARBALL" "$tmp/linux"
	commit_tree "$tmp/linux"
}

from_debian()
{
	local deb
	info "base from Debian's $DEBIAN_SRC_PKG=$DEBIAN_SRC_VER"
	(cd "$tmp" && apt-get download -q "$DEBIAN_SRC_PKG=$DEBIAN_SRC_VER" >/dev/null 2>&1) ||
		die "no base: set LINUX_SRC=<mainline checkout at $BASE_TAG>, put linux-7.3-rc7.tar.xz in $SHARED_BASE, or add Debian's experimental suite to apt's sources"
	deb=$(ls "$tmp"/*.deb)
	dpkg-deb -x "$deb" "$tmp/deb"
	unpack_tarball "$tmp/deb/usr/src/$DEBIAN_SRC_PKG.tar.xz" "$tmp/linux"
	rm -rf "$tmp/deb" "$deb"
	commit_tree "$tmp/linux"
}

main()
{
	if have_base; then
		info "base present: $KTREE ($BASE_TAG = $(kgit rev-parse --short "$BASE_TAG"))"
		return 0
	fi
	[ ! -e "$KTREE" ] || die "$KTREE exists but has no $BASE_TAG tag: move it away and run again"
	mkdir -p "$(dirname "$KTREE")"
	tmp=$(mktemp -d "$(dirname "$KTREE")/base.XXXXXX")

	if [ -n "${LINUX_SRC:-}" ]; then
		from_linux_src "$LINUX_SRC"
	elif [ -f "$TARBALL" ]; then
		from_tarball
	else
		from_debian
	fi
	# A mainline clone has the tag already (mainline's own).
	git -C "$tmp/linux" rev-parse -q --verify "refs/tags/$BASE_TAG" >/dev/null ||
		git -C "$tmp/linux" tag "$BASE_TAG"
	mv "$tmp/linux" "$KTREE"
	info "base ready: $KTREE ($BASE_TAG = $(kgit rev-parse --short "$BASE_TAG"))"
}

main "$@"
