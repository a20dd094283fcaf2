#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the benchmark guest (scripts/bench.sh): binds pci_ims_test to
# edu (IMS) and to the NVMe function (MSI-X), then for each size allocates
# and frees that many vectors on both, ROUNDS times, interleaved. Writes
# one line per measurement to OUTDIR/bench.txt:
#   mode vectors alloc_ns free_ns kmem_kB
# kmem_kB is Slab + Percpu of /proc/meminfo (folded with vm/stat_refresh)
# while the vectors are allocated, minus the same before.
set -uo pipefail
out=$1 rounds=${2:-3}
shift 2
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(16 256 2048)
res=$out/bench.txt
: >"$res"

fail()
{
	echo "bench: $*" | tee -a "$out/bench.err" >&2
	exit 1
}

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
modprobe pci_ims_test || fail "cannot load pci_ims_test"

# find_dev VENDOR DEVICE: the first PCI function with those IDs.
find_dev()
{
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = "$1" ] && [ "$(cat "$d/device")" = "$2" ] &&
			{ basename "$d"; return 0; }
	done
	return 1
}

bind()
{
	local d=/sys/bus/pci/devices/$1
	echo pci_ims_test >"$d/driver_override"
	[ -e "$d/driver" ] && echo "$1" >"$d/driver/unbind"
	echo "$1" >/sys/bus/pci/drivers_probe
	[ -d "/sys/kernel/debug/pci_ims_test/$1" ] || fail "pci_ims_test did not bind to $1"
}

kmem()
{
	echo 1 >/proc/sys/vm/stat_refresh 2>/dev/null
	awk '/^(Slab|Percpu):/ { s += $2 } END { print s }' /proc/meminfo
}

edu=$(find_dev 0x1234 0x11e8) || fail "no edu device"
nvme=$(find_dev 0x1b36 0x0010) || fail "no NVMe function for the MSI-X comparison"
bind "$edu"
bind "$nvme"
ims=/sys/kernel/debug/pci_ims_test/$edu
msix=/sys/kernel/debug/pci_ims_test/$nvme
max=0
for n in "${sizes[@]}"; do [ "$n" -gt "$max" ] && max=$n; done
echo "$max" >"$ims/hwsize" || fail "IMS domain with $max slots: $(cat "$ims/create_error")"

# measure MODE DIR N: one allocation and free of N vectors.
measure()
{
	local mode=$1 dir=$2 n=$3 m0 m1 line
	m0=$(kmem)
	echo "$n" >"$dir/bench" || fail "$mode: allocating $n vectors failed"
	m1=$(kmem)
	echo free >"$dir/bench" || fail "$mode: freeing $n vectors failed"
	read -r _ nr alloc free <"$dir/bench"
	[ "$nr" -eq 0 ] || fail "$mode: $nr vectors left after free"
	line="$mode $n $alloc $free $((m1 - m0))"
	echo "$line" | tee -a "$res"
}

for ((r = 1; r <= rounds; r++)); do
	for n in "${sizes[@]}"; do
		measure ims "$ims" "$n"
		measure msix "$msix" "$n"
	done
done
echo finished >"$out/bench.done"
