#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the virtme-ng guest: collects the KUnit results of the built-in
# suites, runs the installed kselftests, and saves dmesg, all as files in
# RESULTS (a directory the host shares read-write).
#
#   run-tests.sh RESULTS KSELFTEST_DIR|- [TARGET...]
#
# KSFT_TIMEOUT in the environment overrides the kselftest timeouts (seconds).
set -uo pipefail

results=$1 ksft=$2
shift 2
mkdir -p "$results"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

uname -r >"$results/uname"
cat /proc/cmdline >"$results/cmdline"
lspci -nn >"$results/lspci" 2>&1 || true

# KUnit: every suite that ran at boot leaves its KTAP in debugfs.
for r in /sys/kernel/debug/kunit/*/results; do
	[ -f "$r" ] || continue
	suite=$(basename "$(dirname "$r")")
	cat "$r" >"$results/kunit-$suite.tap"
done

# kselftests, installed on the host by scripts/test.sh. The runner writes
# the output of each test, i.e. its subtest results, to /dev/stdout, which
# virtme-ng points at its console port: point it back at the caller's
# standard output, so that the subtests end up in the TAP file. The runner
# appends to /dev/stdout, i.e. opens the file anew at its end, while its
# own lines go through the inherited descriptor: open that one for
# appending too, or its offset lags behind and its lines overwrite the
# subtests' output.
if [ "$ksft" != - ] && [ "$#" -gt 0 ]; then
	ln -sfn /proc/self/fd/1 /dev/stdout
	for t in "$@"; do
		: >"$results/kselftest-$t.tap"
		(cd "$ksft" && ./run_kselftest.sh ${KSFT_TIMEOUT:+-o "$KSFT_TIMEOUT"} -c "$t" 2>&1) \
			>>"$results/kselftest-$t.tap"
	done
fi

# A kmemleak scan at the end, so leaks of the tests are reported.
if [ -f /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >"$results/kmemleak"
fi
dmesg >"$results/dmesg"
echo "finished" >"$results/finished"
