#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what the workbench needs on Debian 12 and build a sparse that can
# parse v7.3 headers. Safe to run again: it only does what is missing.
#
# Packages come from bookworm; virtme-ng alone comes from trixie (it is
# Architecture: all and its dependencies are in bookworm). sparse is built
# from Debian sid's source package because bookworm's 0.6.4 cannot parse
# v7.3 headers and kbuild then silently turns C=1 off.
#
#   scripts/setup.sh [--cross]
#
# --cross adds the cross compilers of the reviewers' build matrix
# (scripts/matrix.sh): arm64 and powerpc64.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

PACKAGES=(gcc make flex bison bc libelf-dev libssl-dev cpio kmod dwarves ccache
	  qemu-system-x86 busybox-static coccinelle ocaml-nox b4 pciutils rsync
	  python3-argcomplete python3-pkg-resources python3-requests file git udev
	  xz-utils dpkg-dev shellcheck python3-ply python3-git)
case ${1:-} in
--cross) PACKAGES+=(gcc-aarch64-linux-gnu gcc-powerpc64-linux-gnu) ;;
"") ;;
*) die "unknown option '$1': scripts/setup.sh [--cross]" ;;
esac
SOURCES=/etc/apt/sources.list.d/ims-workbench.sources
PIN=/etc/apt/preferences.d/ims-workbench

as_root()
{
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root to install packages: run 'sudo $0' once"
	fi
}

write_apt_sources()
{
	as_root tee "$SOURCES" >/dev/null <<'S'
# virtme-ng comes from trixie, pinned so nothing else does.
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie experimental
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

# sparse is built from sid's source package.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
S
	as_root tee "$PIN" >/dev/null <<'P'
Package: *
Pin: release n=trixie
Pin-Priority: 100

Package: *
Pin: release a=experimental
Pin-Priority: 1

Package: virtme-ng
Pin: release n=trixie
Pin-Priority: 990
P
}

missing_packages()
{
	local p
	for p in "${PACKAGES[@]}" virtme-ng; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
			echo "$p"
	done
}

install_packages()
{
	local missing
	missing=$(missing_packages)
	if [ -z "$missing" ] && [ -f "$SOURCES" ]; then
		return 0
	fi
	[ -z "$missing" ] || info "installing: $(echo "$missing" | tr '\n' ' ')"
	write_apt_sources
	export DEBIAN_FRONTEND=noninteractive
	as_root apt-get update -q >/dev/null ||
		die "apt-get update failed: check the network and $SOURCES"
	# shellcheck disable=SC2046
	as_root apt-get install -y -q --no-install-recommends -t bookworm $(missing_packages | grep -vx virtme-ng) >/dev/null ||
		die "installing bookworm packages failed: run 'apt-get install ${PACKAGES[*]}' to see why"
	if missing_packages | grep -qx virtme-ng; then
		as_root apt-get install -y -q --no-install-recommends virtme-ng >/dev/null ||
			die "installing virtme-ng from trixie failed: run 'apt-get install virtme-ng' to see why"
	fi
	# Never take libc or python from a newer suite.
	dpkg-query -W -f='${Version}\n' libc6 | grep -q 'deb12' ||
		die "libc6 is not bookworm's: check the apt pins in $PIN"
}

build_sparse()
{
	local dir=$TOOLS/sparse src
	if [ -x "$dir/sparse" ] && "$dir/sparse" --version >/dev/null 2>&1; then
		return 0
	fi
	info "building sparse from Debian sid's source package"
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	(cd "$dir.tmp" && apt-get source -q --download-only sparse >/dev/null 2>&1) ||
		die "cannot fetch sparse's source from sid: check the deb-src entry in $SOURCES"
	tar -xzf "$dir.tmp"/sparse_*.orig.tar.gz -C "$dir.tmp"
	src=$(find "$dir.tmp" -mindepth 1 -maxdepth 1 -type d -name 'sparse-*' | head -n 1)
	make -s -C "$src" -j"$JOBS" HAVE_LIBXML=no HAVE_SQLITE=no HAVE_GTK=no HAVE_LLVM=no sparse >/dev/null 2>&1 ||
		die "building sparse failed in $src"
	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$src/sparse" "$dir/sparse"
	rm -rf "$dir.tmp"
}

install_packages
mkdir -p "$TOOLS"
build_sparse
info "setup done (sparse $("$TOOLS/sparse/sparse" --version), $(vng --version 2>/dev/null | head -n 1))"
