#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run KUnit the way kernel developers do: tools/testing/kunit/kunit.py on
# UML (no KVM, no guest), parsed by kunit.py itself.
#
#   scripts/kunit-uml.sh RESULTS_DIR [series] [default]
#
# series:  every directory listed in selftests/kunitconfigs, their
#          .kunitconfig files merged into one UML build; run 'uml'
# default: a plain 'kunit.py run' with its default UML config, in which
#          the series' suites that default to KUNIT_ALL_TESTS run too;
#          run 'uml-default'
#
# Each run's directory in RESULTS_DIR gets kunit.json (kunit.py --json) and
# 'exit' (kunit.py's exit status), both read by scripts/verdict.py, and
# kunit.log. Exits non-zero when a run failed.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

results=${1:?usage: kunit-uml.sh RESULTS_DIR [series] [default]}
shift
LIST=$IMS_TOP/selftests/kunitconfigs

# run_kunit series|default: one kunit.py run.
run_kunit()
{
	local what=$1 dir args=() d rc=0
	case $what in
	series)
		dir=$results/uml
		while read -r d; do
			[ -f "$KTREE/$d/.kunitconfig" ] ||
				die "$d/.kunitconfig (named in $LIST) is not in $KTREE"
			args+=(--kunitconfig="$d")
		done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$LIST")
		;;
	default) dir=$results/uml-default ;;
	*) die "unknown run '$what': use series or default" ;;
	esac
	mkdir -p "$dir"
	rm -f "$dir/kunit.json" "$dir/exit"
	(cd "$KTREE" && python3 tools/testing/kunit/kunit.py run "${args[@]}" \
		--build_dir="$BUILD/kunit-$what" --jobs="$JOBS" --make_options CC="$KCC" \
		--json="$dir/kunit.json") >"$dir/kunit.log" 2>&1 || rc=$?
	echo "$rc" >"$dir/exit"
	info "kunit.py run ($what): exit $rc; $(grep -m1 'Testing complete' "$dir/kunit.log" || echo 'no summary')"
	return "$rc"
}

rc=0
[ $# -gt 0 ] || set -- series default
for what in "$@"; do
	run_kunit "$what" || rc=1
done
exit "$rc"
