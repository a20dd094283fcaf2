#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The allocation benchmark (not a test): cost per vector of allocating and
# freeing IMS vectors (edu + pci_ims_test) and dynamic MSI-X vectors (a QEMU
# NVMe function with a 2048 entry MSI-X table, bound to the same driver),
# for 16, 256 and 2048 vectors, in one boot, printed as ratios:
#   IMS/MSI-X time per vector (goal <= 0.8), time per vector at the largest
#   size / at the smallest (goal <= 1.2), kernel memory per vector IMS/MSI-X
#   (goal <= 1.0).
# Medians over BENCH_ROUNDS (default 11), and the same ratios from the best
# round of each, which TCG's scheduling of many vCPUs on few host CPUs
# disturbs least. Each vector needs a CPU vector when
# it is allocated under interrupt remapping, so the guest gets BENCH_CPUS
# (default 16) vCPUs.
#
#   scripts/bench.sh [SIZE...]       needs scripts/build.sh vm first
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

rounds=${BENCH_ROUNDS:-11}
cpus=${BENCH_CPUS:-16}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(16 256 2048)
dir=$BUILD/bench
rm -rf "$dir"
mkdir -p "$dir" "$LOGS"

"$IMS_TOP/scripts/vm.sh" --iommu intremap --cpus "$cpus" --rwdir "$dir" \
	--qemu-opts " -device nvme,serial=imsbench,msix_qsize=2048" --log "$LOGS/bench.log" -- \
	"$IMS_TOP/scripts/guest/bench.sh" "$dir" "$rounds" "${sizes[@]}" ||
	info "guest exited with $?"
[ -f "$dir/bench.done" ] || die "the benchmark did not finish: $(cat "$dir/bench.err" 2>/dev/null || echo "see $LOGS/bench.log")"

python3 - "$dir/bench.txt" <<'PY'
import statistics, sys
from collections import defaultdict

data = defaultdict(list)
for line in open(sys.argv[1]):
    mode, n, alloc, free, kmem = line.split()
    data[(mode, int(n))].append((int(alloc), int(free), int(kmem)))

def med(mode, n, i):
    return statistics.median(v[i] for v in data[(mode, n)])

def best(mode, n, i):
    return min(v[0] + v[1] for v in data[(mode, n)]) if i < 0 else min(v[i] for v in data[(mode, n)])

sizes = sorted({n for _, n in data})
lo, hi = sizes[0], sizes[-1]
for title, pick in (("medians", med), ("best rounds", best)):
    print("%s of %d rounds (time is allocation + free):" % (title, len(data[("ims", lo)])))
    print("%7s %15s %15s %9s %13s %13s %9s" % ("vectors", "IMS ns/vector", "MSI-X ns/vector",
          "IMS/MSI-X", "IMS B/vector", "MSI-X B/vector", "IMS/MSI-X"))
    cost = {}
    for n in sizes:
        for mode in ("ims", "msix"):
            if pick is best:
                cost[(mode, n)] = best(mode, n, -1) / n
            else:
                cost[(mode, n)] = (med(mode, n, 0) + med(mode, n, 1)) / n
        mem = {m: med(m, n, 2) * 1024 / n for m in ("ims", "msix")}
        print("%7d %15.0f %15.0f %9.2f %13.0f %13.0f %9s" % (
            n, cost[("ims", n)], cost[("msix", n)], cost[("ims", n)] / cost[("msix", n)],
            mem["ims"], mem["msix"],
            "%.2f" % (mem["ims"] / mem["msix"]) if mem["msix"] > 0 else "n/a"))
    for mode, name in (("ims", "IMS"), ("msix", "MSI-X")):
        print("%s: time per vector at %d / at %d = %.2f" % (name, hi, lo,
              cost[(mode, hi)] / cost[(mode, lo)]))
print("memory is the median of Slab + Percpu growth in both tables")
PY
