#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Read the TAP and dmesg a test run left and give the verdict.

    verdict.py RESULTS_DIR [EXPECTED_FILE]

RESULTS_DIR holds one directory per guest boot (or other source of TAP);
each may have *.tap files, a dmesg and a 'finished' marker. EXPECTED_FILE
lists '<run> <file stem>' lines: each such TAP file must exist and be
complete. Every leaf result counts once: ok is a pass, 'not ok' a failure,
'# SKIP' a skip (never a pass). A kernel splat in a guest's dmesg, a leak
in its kmemleak file, a boot that did not finish, an incomplete or missing
TAP file is a failure.
Prints one line per failure and ends with 'N passed, N failed'.
"""
import os
import re
import sys

RESULT = re.compile(r'^(?P<prefix>(?:#\s)*)(?P<indent>\s*)(?P<not>not )?ok (?P<num>\d+)\s*-?\s*(?P<desc>[^#]*)(?:#\s*(?P<dir>\S+)(?P<reason>.*))?$')
PLAN = re.compile(r'^(?P<prefix>(?:#\s)*)(?P<indent>\s*)1\.\.(?P<n>\d+)')

# What a kernel prints when something went wrong that a test may not notice.
SPLATS = [
    r'WARNING: .*(at|CPU)', r'\bBUG[: ]', r'kernel BUG at', r'Oops', r'general protection fault',
    r'KASAN:', r'UBSAN:', r'KFENCE:', r'possible circular locking', r'possible recursive locking',
    r'inconsistent lock state', r'suspicious RCU usage', r'DEBUG_LOCKS_WARN_ON',
    r'lockdep is turned off', r'possible irq lock inversion', r'lock held when returning',
    r'INFO: task .* blocked',
    r'unreferenced object', r'Kernel panic', r'refcount_t:', r'list_(add|del) corruption',
    r'ODEBUG:', r'sleeping function called from invalid context', r'stack-protector',
    r'RCU detected stall', r'soft lockup', r'hard LOCKUP', r'Call Trace:',
]
SPLAT = re.compile('|'.join(SPLATS))


def depth(m):
    return m.group('prefix').count('#') * 100 + len(m.group('indent').expandtabs(8))


def parse_tap(path):
    """Return (leaves, problems): leaves are (status, name) pairs."""
    results, plans, problems = [], [], []
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            m = RESULT.match(line)
            if m:
                results.append((depth(m), m))
                continue
            p = PLAN.match(line)
            if p:
                plans.append((depth(p), int(p.group('n'))))
    leaves = []
    for i, (d, m) in enumerate(results):
        if i > 0 and results[i - 1][0] > d:
            continue  # a parent: its children were counted
        directive = (m.group('dir') or '').upper()
        name = m.group('desc').strip()
        if directive.startswith('SKIP'):
            leaves.append(('skip', name, (m.group('reason') or '').strip()))
        elif directive.startswith('TODO'):
            continue
        elif m.group('not'):
            leaves.append(('fail', name, ''))
        else:
            leaves.append(('pass', name, ''))
    top = [m for d, m in results if d == min((x for x, _ in results), default=0)]
    top_plan = [n for d, n in plans if d == min((x for x, _ in plans), default=0)]
    if not results:
        problems.append('no results')
    elif top_plan and len(top) < top_plan[0]:
        problems.append(f'incomplete: {len(top)} of {top_plan[0]} results')
    return leaves, problems


def main():
    resdir = sys.argv[1]
    expected = sys.argv[2] if len(sys.argv) > 2 else None
    passed = failed = skipped = 0
    fails = []

    runs = sorted(d for d in os.listdir(resdir) if os.path.isdir(os.path.join(resdir, d)))
    for run in runs:
        rdir = os.path.join(resdir, run)
        for name in sorted(os.listdir(rdir)):
            if not name.endswith('.tap'):
                continue
            stem = name[:-4]
            leaves, problems = parse_tap(os.path.join(rdir, name))
            for status, case, reason in leaves:
                label = f'{run}/{stem}/{case}'
                if status == 'pass':
                    passed += 1
                elif status == 'skip':
                    skipped += 1
                    print(f'SKIP {label}: {reason}')
                else:
                    failed += 1
                    fails.append(f'FAIL {label}')
            for p in problems:
                failed += 1
                fails.append(f'FAIL {run}/{stem}: {p}')
        if os.path.exists(os.path.join(rdir, 'booted')):
            if not os.path.exists(os.path.join(rdir, 'finished')):
                failed += 1
                fails.append(f'FAIL {run}: the guest did not finish (crash or timeout): see {rdir}/console.log')
            kmemleak = os.path.join(rdir, 'kmemleak')
            if os.path.exists(kmemleak):
                with open(kmemleak, errors='replace') as f:
                    leaks = sum(1 for line in f if line.startswith('unreferenced object'))
                if leaks:
                    failed += 1
                    fails.append(f'FAIL {run}: kmemleak reports {leaks} unreferenced objects: see {kmemleak}')
            dmesg = os.path.join(rdir, 'dmesg')
            if os.path.exists(dmesg):
                with open(dmesg, errors='replace') as f:
                    for line in f:
                        if SPLAT.search(line):
                            failed += 1
                            fails.append(f'FAIL {run}: kernel report in dmesg: {line.strip()}')
                            break

    if expected:
        with open(expected) as f:
            for line in f:
                line = line.split('#', 1)[0].split()
                if len(line) < 2:
                    continue
                run, stem = line[0], line[1]
                if run not in runs:
                    continue  # that run was not part of this test run
                if not os.path.exists(os.path.join(resdir, run, stem + '.tap')):
                    failed += 1
                    fails.append(f'FAIL {run}/{stem}: expected TAP result missing')

    for line in fails:
        print(line)
    print(f'skipped: {skipped}')
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
