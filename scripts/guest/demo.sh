#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the demo guest and shows the series at work: the kernel, the
# interrupt remapping, the edu device, and the MSI domains on it.
set -uo pipefail

section()
{
	printf '\n=== %s\n' "$*"
}

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
section "kernel"
uname -r
section "interrupt remapping"
dmesg | grep -E 'DMAR-IR|IRQ remapping|x2apic' || echo "no interrupt remapping"
section "edu device (IMS stand-in)"
edu=$(lspci -D -d 1234:11e8 2>/dev/null | awk '{print $1}' | head -n 1)
if [ -z "$edu" ]; then
	echo "no edu device"
else
	lspci -nn -s "$edu"
	echo "msi_irqs of $edu: $(find "/sys/bus/pci/devices/$edu/msi_irqs" -mindepth 1 2>/dev/null | wc -l) entries"
fi
section "MSI interrupt domains"
find /sys/kernel/debug/irq/domains/ -mindepth 1 -printf '%f\n' 2>/dev/null | grep -iE 'msi|ir|ims' || true
[ -n "$edu" ] || exit 0

section "IMS at work: pci_ims_test bound to $edu"
modprobe pci_ims_test || { echo "cannot load pci_ims_test"; exit 1; }
dev=/sys/bus/pci/devices/$edu
echo pci_ims_test >"$dev/driver_override"
[ -e "$dev/driver" ] && echo "$edu" >"$dev/driver/unbind"
echo "$edu" >/sys/bus/pci/drivers_probe
d=/sys/kernel/debug/pci_ims_test/$edu
echo "IMS offered by the platform: $(cat "$d/supported")"
echo "IMS domain slots: $(cat "$d/hwsize")"
for _ in 1 2 3 4; do
	echo any >"$d/alloc" && echo "allocated IMS index/virq: $(cat "$d/last")"
done
read -r _ virq _ <"$d/last"
echo "the last vector's domain hierarchy (irq debugfs):"
grep -E '^ *(domain|hwirq|chip):' "/sys/kernel/debug/irq/irqs/$virq" 2>/dev/null ||
	echo "  (no GENERIC_IRQ_DEBUGFS in this kernel)"
echo "triggering every vector twice: edu DMA-writes each slot's message"
while read -r idx _; do
	echo "$idx" >"$d/trigger"
	echo "$idx" >"$d/trigger"
done <"$d/vectors"
echo "index virq handled withheld:"
cat "$d/vectors"
echo "/proc/interrupts (IR- = remapped):"
grep -E 'CPU|pci_ims_test' /proc/interrupts
echo "msi_irqs entries of $edu with 4 IMS vectors: $(find "$dev/msi_irqs" -mindepth 1 2>/dev/null | wc -l)"
echo "$edu" >"$dev/driver/unbind"
echo "unbound: /proc/interrupts has $(grep -c pci_ims_test /proc/interrupts) pci_ims_test lines"
