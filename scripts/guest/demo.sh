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
section "interrupts"
grep -E 'CPU|IR-|IMS|edu' /proc/interrupts | head -n 20
