#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot a built kernel (build/out/VARIANT) with virtme-ng and run a command in
# it. The guest always has two functions of QEMU's edu device (1234:11e8)
# with a 64-bit DMA mask, the IMS stand-ins: the tests use the first, and
# pci_ims_forge_test.sh the second as a rogue device sending the first
# one's messages; --iommu picks the interrupt remapping setup:
#   intremap  q35 + intel-iommu,intremap=on          (IMS offered)
#   caching   the same with caching-mode=on           (a guest's vIOMMU: no IMS)
#   nosid     intremap, booted with intremap=nosid     (no source-id check: no IMS)
#   none      no IOMMU                                (no remapping: no IMS)
#
#   scripts/vm.sh [--variant vm|debug] [--iommu MODE] [--cpus N] [--append ARGS]
#                 [--log FILE] [--rwdir DIR] [--qemu-opts OPTS] -- COMMAND
#
# --qemu-opts adds QEMU options, e.g. another device for the benchmark.
#
# KVM is used only when a probe boot proves it works; IMS_ACCEL=kvm|tcg forces.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

variant=vm iommu=intremap cpus=2 append="" log="" rwdirs=() extra="" timeout=${IMS_VM_TIMEOUT:-1500}
while [ $# -gt 0 ]; do
	case $1 in
	--variant) variant=$2; shift 2 ;;
	--iommu) iommu=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--append) append="$append $2"; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--rwdir) rwdirs+=(--rwdir "$2=$2"); shift 2 ;;
	--qemu-opts) extra="$extra $2"; shift 2 ;;
	--) shift; break ;;
	*) die "unknown option '$1': see the header of $0" ;;
	esac
done
[ $# -gt 0 ] || die "no command given: scripts/vm.sh [options] -- COMMAND"
out=$OUT/$variant
[ -f "$out/arch/x86/boot/bzImage" ] || die "no kernel in $out: run scripts/build.sh $variant"

# kvm_works: a short boot under KVM reaches the kernel's own panic.
kvm_works()
{
	local probe=$BUILD/accel-probe.log
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	timeout 25 qemu-system-x86_64 -accel kvm -cpu host -m 256 -nographic -no-reboot \
		-kernel "$out/arch/x86/boot/bzImage" -append "console=ttyS0 panic=-1 root=/dev/null" \
		</dev/null >"$probe" 2>&1 || true
	grep -q 'Kernel panic\|VFS:' "$probe"
}

accel()
{
	local cache=$BUILD/accel
	case ${IMS_ACCEL:-} in
	kvm|tcg) echo "$IMS_ACCEL"; return ;;
	"") ;;
	*) die "IMS_ACCEL=$IMS_ACCEL: use kvm or tcg" ;;
	esac
	if [ ! -f "$cache" ]; then
		if kvm_works; then echo kvm >"$cache"; else echo tcg >"$cache"; fi
		info "KVM probe: $(cat "$cache") (cached in $cache)"
	fi
	cat "$cache"
}

edu="-device edu,dma_mask=0xffffffffffffffff"
qemu_opts="$edu $edu"
case $iommu in
intremap) qemu_opts="-machine q35,kernel-irqchip=split -device intel-iommu,intremap=on $qemu_opts" ;;
caching) qemu_opts="-machine q35,kernel-irqchip=split -device intel-iommu,intremap=on,caching-mode=on $qemu_opts" ;;
nosid)
	qemu_opts="-machine q35,kernel-irqchip=split -device intel-iommu,intremap=on $qemu_opts"
	append="$append intremap=nosid"
	;;
none) qemu_opts="-machine q35 $qemu_opts" ;;
*) die "unknown --iommu '$iommu': use intremap, caching, nosid or none" ;;
esac
qemu_opts="$qemu_opts$extra"

vng_args=(--disable-microvm --cpus "$cpus" --memory 2G --qemu-opts="$qemu_opts" "${rwdirs[@]}")
[ "$(accel)" = kvm ] || vng_args+=(--disable-kvm)
# Panic on oops so that a crash ends the run instead of hanging it. The
# kernel's console goes to the log (--verbose) from warnings up, with
# timestamps: a report printed after the guest saved its dmesg (at shutdown,
# say) still reaches the verdict. no_timer_check: under TCG on a loaded
# host the boot-time check that the timer interrupt arrives through the
# remapped IO-APIC can miss its window and panic the guest ("timer doesn't
# work through Interrupt-remapped IO-APIC", seen twice at load 17).
vng_args+=(--verbose --append "panic=-1 oops=panic printk.time=1 loglevel=5 no_timer_check${append}")

cmd=(vng "${vng_args[@]}" --exec "$*" "O=$out")
info "booting $variant ($iommu, $(accel)): $*"
# vng hands QEMU its stdout; a regular file there is reopened truncated, so
# always go through a pipe.
if [ -n "$log" ]; then
	(cd "$KTREE" && timeout "$timeout" "${cmd[@]}" </dev/null 2>&1) | cat >"$log"
	rc=${PIPESTATUS[0]}
else
	(cd "$KTREE" && timeout "$timeout" "${cmd[@]}" </dev/null 2>&1) | cat
	rc=${PIPESTATUS[0]}
fi
exit "$rc"
