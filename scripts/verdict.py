#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Read the results a test run left and give the verdict.

    verdict.py RESULTS_DIR [EXPECTED_FILE] [--runs "RUN ..."] [--why TEXT]

RESULTS_DIR holds one directory per run (a guest boot, the workbench's own
tests, the checks, kunit.py on UML). A run directory may hold:
  *.tap       TAP or KTAP; nested plans are checked, 'Bail out!' fails, a
              parent 'not ok' (kselftest's TIMEOUT, exit=N) fails
  *.json      kunit.py's own parse of a KUnit run (kunit.py run --json)
  booted      the guest was started; then 'finished' must exist
  exit     the exit status of scripts/vm.sh (or of kunit.py): not 0 fails
  dmesg, console.log, kmemleak: a kernel report or a leak fails
EXPECTED_FILE lists '<run> <stem> [min=N] [need=NAME,...]' lines: the result
file RUN/STEM.tap (or .json) must exist, be complete and hold at least N
passes (default 1), and a passed result whose name starts with each NAME
(a KUnit suite in kunit.py's JSON: 'suite.case').
--runs names the runs that must exist: a run left out (IMS_RUNS, IMS_DEBUG)
is a failure, never a silent narrowing; --why says what left it out.

Every leaf result counts once: ok is a pass, 'not ok' a failure, '# SKIP' a
skip (never a pass). Prints one line per failure and ends with
'N passed, N failed'; exits 1 when anything failed.
"""
import argparse
import json
import os
import re
import sys

RESULT = re.compile(r'^(?P<prefix>(?:#\s)*)(?P<indent>\s*)(?P<not>not )?ok (?P<num>\d+)\s*-?\s*(?P<desc>[^#]*)(?:#\s*(?P<dir>\S+)(?P<reason>.*))?$')
PLAN = re.compile(r'^(?P<prefix>(?:#\s)*)(?P<indent>\s*)1\.\.(?P<n>\d+)')
BAIL = re.compile(r'^(?:#\s)*\s*Bail out!')

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
# A line the kernel printed, as it shows in a console log: '[   12.345678] ...'
KERNEL_LINE = re.compile(r'^\s*\[\s*\d+\.\d+\]')


def depth(m):
    return m.group('prefix').count('#') * 100 + len(m.group('indent').expandtabs(8))


class Group:
    """The results of one (sub)test at one depth, and the plan they follow."""

    def __init__(self, level):
        self.depth = level
        self.plan = None
        self.count = 0
        self.failed = False       # anything in it failed
        self.leaf_failed = False  # a test result in it (or below) failed


def parse_tap(path):
    """Return (leaves, problems): leaves are (status, name, reason)."""
    leaves, problems = [], []
    stack = []           # open groups, outermost first
    closed = None        # the group that closed just before this line

    def close(g):
        if g.plan is not None and g.count != g.plan:
            problems.append(f'incomplete: {g.count} of {g.plan} results'
                            + (f' at depth {g.depth}' if g.depth else ''))
            g.failed = True

    def group_at(d):
        nonlocal closed
        while stack and stack[-1].depth > d:
            g = stack.pop()
            close(g)
            closed = g if closed is None or g.depth < closed.depth else closed
        if not stack or stack[-1].depth < d:
            stack.append(Group(d))
        return stack[-1]

    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            if BAIL.match(line):
                problems.append(f'bailed out: {line.lstrip("# ").strip()}')
                continue
            m = RESULT.match(line)
            if m:
                closed = None
                g = group_at(depth(m))
                g.count += 1
                child, closed = closed, None
                directive = m.group('dir') or ''
                reason = (m.group('reason') or '').strip()
                name = m.group('desc').strip()
                if child is not None:
                    # A parent: its children were counted. Its own 'not
                    # ok' (a timeout, an exit code) fails unless a failed
                    # child result explains it.
                    if m.group('not') and not child.leaf_failed and not directive.upper().startswith('TODO'):
                        problems.append(f'{name}: not ok # {directive} {reason}'.rstrip())
                    g.failed |= child.failed or bool(m.group('not'))
                    g.leaf_failed |= child.leaf_failed
                elif directive.upper().startswith('SKIP'):
                    leaves.append(('skip', name, reason))
                elif directive.upper().startswith('TODO'):
                    continue
                elif m.group('not'):
                    g.failed = g.leaf_failed = True
                    leaves.append(('fail', name, f'# {directive} {reason}'.rstrip() if directive else ''))
                else:
                    leaves.append(('pass', name, ''))
                continue
            p = PLAN.match(line)
            if p:
                closed = None
                group_at(depth(p)).plan = int(p.group('n'))
    while stack:
        close(stack.pop())
    if not leaves and not problems:
        problems.append('no results')
    return leaves, problems


def parse_kunit_json(path):
    """kunit.py's JSON (--json): the same (leaves, problems) as parse_tap()."""
    leaves, problems = [], []
    try:
        with open(path) as f:
            top = json.load(f)
    except (OSError, ValueError) as e:
        return [], [f'unreadable kunit.py JSON: {e}']

    def walk(group, prefix):
        for case in group.get('test_cases', []):
            name = prefix + case.get('name', '?')
            status = case.get('status', '?')
            if status == 'PASS':
                leaves.append(('pass', name, ''))
            elif status == 'SKIP':
                leaves.append(('skip', name, 'skipped'))
            else:
                leaves.append(('fail', name, status))
        for sub in group.get('sub_groups', []):
            walk(sub, prefix + sub.get('name', '?') + '.')

    walk(top, '')
    if not leaves:
        problems.append('no results')
    return leaves, problems


def expectations(path):
    """{(run, stem): (min passes, [name prefixes])} from EXPECTED_FILE."""
    want = {}
    with open(path) as f:
        for line in f:
            words = line.split('#', 1)[0].split()
            if len(words) < 2:
                continue
            least, names = 1, []
            for w in words[2:]:
                if w.startswith('min='):
                    least = int(w[4:])
                elif w.startswith('need='):
                    names += [n for n in w[5:].split(',') if n]
                else:
                    raise SystemExit(f'{path}: cannot read "{w}" in: {line.strip()}')
            want[(words[0], words[1])] = (least, names)
    return want


def first_splat(path):
    with open(path, errors='replace') as f:
        for line in f:
            if SPLAT.search(line):
                return line.strip()
    return None


def first_console_splat(path):
    """A report the guest's kernel printed on its console: it also catches
    what happened after the guest saved its dmesg (shutdown, unloads)."""
    with open(path, errors='replace') as f:
        for line in f:
            if KERNEL_LINE.match(line) and SPLAT.search(line):
                return line.strip()
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('resdir')
    ap.add_argument('expected', nargs='?')
    ap.add_argument('--runs', default='', help='runs that must exist')
    ap.add_argument('--why', default='', help='what left runs out, if anything')
    args = ap.parse_args()
    resdir = args.resdir

    passed = failed = skipped = 0
    fails = []
    per_file = {}

    def fail(text):
        nonlocal failed
        failed += 1
        fails.append('FAIL ' + text)

    runs = sorted(d for d in os.listdir(resdir) if os.path.isdir(os.path.join(resdir, d)))
    for run in runs:
        rdir = os.path.join(resdir, run)
        for name in sorted(os.listdir(rdir)):
            if name.endswith('.tap'):
                stem = name[:-4]
                leaves, problems = parse_tap(os.path.join(rdir, name))
            elif name.endswith('.json'):
                stem = name[:-5]
                leaves, problems = parse_kunit_json(os.path.join(rdir, name))
            else:
                continue
            passes = []
            for status, case, reason in leaves:
                label = f'{run}/{stem}/{case}'
                if status == 'pass':
                    passed += 1
                    passes.append(case)
                elif status == 'skip':
                    skipped += 1
                    print(f'SKIP {label}: {reason}')
                else:
                    fail(label + (f' {reason}' if reason else ''))
            for p in problems:
                fail(f'{run}/{stem}: {p}')
            per_file[(run, stem)] = passes
        finished = os.path.exists(os.path.join(rdir, 'finished'))
        if os.path.exists(os.path.join(rdir, 'booted')) and not finished:
            fail(f'{run}: the guest did not finish (crash or timeout): see {rdir}/console.log')
        vm_exit = os.path.join(rdir, 'exit')
        if os.path.exists(vm_exit):
            with open(vm_exit) as f:
                rc = f.read().strip()
            if rc != '0':
                what = 'timed out' if rc == '124' else f'exited with {rc or "nothing"}'
                fail(f'{run}: the guest (scripts/vm.sh) {what}')
        kmemleak = os.path.join(rdir, 'kmemleak')
        if os.path.exists(kmemleak):
            with open(kmemleak, errors='replace') as f:
                leaks = sum(1 for line in f if line.startswith('unreferenced object'))
            if leaks:
                fail(f'{run}: kmemleak reports {leaks} unreferenced objects: see {kmemleak}')
        splat = None
        dmesg = os.path.join(rdir, 'dmesg')
        if os.path.exists(dmesg):
            splat = first_splat(dmesg)
            if splat:
                fail(f'{run}: kernel report in dmesg: {splat}')
        console = os.path.join(rdir, 'console.log')
        if not splat and os.path.exists(console):
            splat = first_console_splat(console)
            if splat:
                fail(f'{run}: kernel report on the console: {splat}')

    for run in args.runs.split():
        if run not in runs:
            fail(f'{run}: not run' + (f' ({args.why})' if args.why else ''))
    if args.expected:
        for (run, stem), (least, names) in sorted(expectations(args.expected).items()):
            if run not in runs:
                continue  # a required run that is missing failed above
            passes = per_file.get((run, stem))
            if passes is None:
                fail(f'{run}/{stem}: expected result missing')
                continue
            if len(passes) < least:
                fail(f'{run}/{stem}: {len(passes)} passed, at least {least} expected')
            for name in names:
                if not any(p.startswith(name) for p in passes):
                    fail(f'{run}/{stem}: no passed result named {name}*')

    for line in fails:
        print(line)
    print(f'skipped: {skipped}')
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
