#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what the workbench needs on Debian 12 and build a sparse that can
# parse v7.3 headers. Safe to run again: it only does what is missing.
#
# Packages come from the machine's apt sources (bookworm); virtme-ng alone
# comes from trixie (it is Architecture: all and its dependencies are in
# bookworm): its .deb is fetched through a private apt configuration in
# build/apt and installed as a file. sparse is built from Debian sid's
# source package, fetched the same way, because bookworm's 0.6.4 cannot
# parse v7.3 headers and kbuild then silently turns C=1 off. Nothing is
# added to the machine's apt sources or pins.
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
# virtme-ng (trixie) and sparse's source (sid) come through an apt
# configuration of the workbench's own under build/apt: the machine's apt
# sources and pins are left as they are.
APT=$BUILD/apt

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

# private_apt ARGS: apt-get with build/apt's sources only (trixie's
# binary packages, sid's source packages), its own lists and cache.
private_apt()
{
	mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/parts" "$APT/prefs"
	cat >"$APT/sources.list" <<'S'
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main
S
	: >"$APT/preferences"
	apt-get -q -o Dir::Etc::sourcelist="$APT/sources.list" -o Dir::Etc::sourceparts="$APT/parts" \
		-o Dir::Etc::preferences="$APT/preferences" -o Dir::Etc::preferencesparts="$APT/prefs" \
		-o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache" \
		-o Dir::State::extended_states="$APT/extended_states" \
		-o APT::Sandbox::User=root -o Acquire::Languages=none "$@"
}

# private_update: fetch the indexes of build/apt's sources, once per run.
private_update()
{
	[ -z "${private_updated:-}" ] || return 0
	local err
	err=$(private_apt update 2>&1 >/dev/null) ||
		die "apt-get update of trixie and sid (build/apt) failed: $(grep -m 1 '^E:' <<<"$err" || echo "check the network")"
	private_updated=1
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
	[ -n "$missing" ] || return 0
	info "installing: $(echo "$missing" | tr '\n' ' ')"
	export DEBIAN_FRONTEND=noninteractive
	as_root apt-get update -q >/dev/null ||
		die "apt-get update failed: check the network and apt's sources"
	# shellcheck disable=SC2046
	as_root apt-get install -y -q --no-install-recommends $(missing_packages | grep -vx virtme-ng) >/dev/null ||
		die "installing bookworm packages failed: run 'apt-get install ${PACKAGES[*]}' to see why"
	if missing_packages | grep -qx virtme-ng; then
		# trixie's package file, installed from the file: its
		# dependencies come from the machine's own sources (bookworm).
		private_update
		rm -rf "$APT/debs"
		mkdir -p "$APT/debs"
		(cd "$APT/debs" && private_apt download virtme-ng >/dev/null) ||
			die "downloading virtme-ng from trixie failed"
		as_root apt-get install -y -q --no-install-recommends "$APT"/debs/virtme-ng_*.deb >/dev/null ||
			die "installing virtme-ng failed: run 'apt-get install $APT/debs/virtme-ng_*.deb' to see why"
	fi
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
	private_update
	(cd "$dir.tmp" && private_apt source --download-only sparse >/dev/null 2>&1) ||
		die "cannot fetch sparse's source from sid (build/apt)"
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
# The indexes and package files are not needed again (about 100 MB).
rm -rf "$APT"
info "setup done (sparse $("$TOOLS/sparse/sparse" --version), $(vng --version 2>/dev/null | head -n 1))"
