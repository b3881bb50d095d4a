#!/usr/bin/env python3
"""perf-breakdown.py — where the client CPU of an odbcbench run goes.

Usage: perf-breakdown.py PERF.DATA [CPU_US_PER_REQUEST]

PERF.DATA is a `perf record --call-graph dwarf` profile of one odbcbench
process (bench/run.sh with BENCH_PROFILE=yes makes them). Each sample is
put in the first phase of the request cycle whose function appears in its
call chain, and a Markdown table of the shares is printed; with the
odbcbench figure cpu_us_per_req, also microseconds per request.

The DM (libodbc) and the third-party drivers have no debug symbols, so
phases are recognised by the exported entry points (SQLDriverConnect of
libodbc, lt_dlsym of libltdl, ...) and by odbcpool's own functions.
Samples whose stack could not be unwound land in "other".
"""
import collections
import subprocess
import sys


def chains(path):
    """Yields each sample's call chain as a list of (symbol, dso)."""
    out = subprocess.run(['perf', 'script', '-i', path, '-F',
                          'comm,tid,ip,sym,dso'],
                         capture_output=True, text=True, check=True).stdout
    cur = None
    for line in out.split('\n'):
        if not line.strip():
            continue
        if not line.startswith('\t'):
            if cur is not None:
                yield cur
            cur = []
            continue
        parts = line.strip().split(None, 1)
        if len(parts) < 2:
            continue
        sym, _, dso = parts[1].rpartition(' (')
        cur.append((sym.split('+')[0], dso.rstrip(')').rsplit('/', 1)[-1]))
    if cur is not None:
        yield cur


def has(chain, sym, dso=None):
    return any(s == sym and (dso is None or d.startswith(dso))
               for s, d in chain)


def target_connect(chain):
    """A real driver's SQLDriverConnect (the pool opening a connection)."""
    return any(s == 'SQLDriverConnect' and
               not d.startswith(('libodbc', 'odbcpool')) for s, d in chain)


PHASES = [
    ('reset worker: reset script (target SQLExecDirect, fetch)',
     lambda c: has(c, 'odbcpool__reset_worker') and has(c, 'odbcpool__exec')),
    ('reset worker: rollback (SQLEndTran)',
     lambda c: has(c, 'odbcpool__reset_worker') and has(c, 'SQLEndTran')),
    ('reset worker: attribute restore',
     lambda c: has(c, 'odbcpool__reset_worker') and
     has(c, 'odbcpool__attrs_restore')),
    ('reset worker: other (queue, locks, wake-ups)',
     lambda c: has(c, 'odbcpool__reset_worker')),
    ('housekeeping thread', lambda c: has(c, 'odbcpool__housekeeper')),
    ('pool opens a target connection', target_connect),
    ('DM SQLDriverConnect: lt_dlsym (driver entry points)',
     lambda c: has(c, 'SQLDriverConnect', 'libodbc') and has(c, 'lt_dlsym')),
    ('DM SQLDriverConnect: odbcpool borrow (odbcpool__borrow)',
     lambda c: has(c, 'odbcpool__borrow')),
    ('DM SQLDriverConnect: odbcpool driver, rest (odbc.ini, parsing)',
     lambda c: has(c, 'SQLDriverConnect', 'odbcpool_driver')),
    ('DM SQLDriverConnect: DM, rest',
     lambda c: has(c, 'SQLDriverConnect', 'libodbc')),
    ('SQLDisconnect (DM + odbcpool return)',
     lambda c: has(c, 'SQLDisconnect', 'libodbc')),
    ('SQLAllocHandle', lambda c: has(c, 'SQLAllocHandle', 'libodbc')),
    ('SQLExecDirect', lambda c: has(c, 'SQLExecDirect', 'libodbc')),
    ('SQLFetch', lambda c: has(c, 'SQLFetch', 'libodbc')),
    ('SQLGetData', lambda c: has(c, 'SQLGetData', 'libodbc')),
    ('SQLFreeHandle', lambda c: has(c, 'SQLFreeHandle', 'libodbc')),
    ('other (incl. stacks perf could not unwind)', lambda c: True),
]


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    per_req = float(sys.argv[2]) if len(sys.argv) == 3 else None
    count = collections.Counter()
    total = 0
    for chain in chains(sys.argv[1]):
        total += 1
        for name, match in PHASES:
            if match(chain):
                count[name] += 1
                break
    if total == 0:
        print('no samples')
        return 1
    if per_req is None:
        print('| phase | share of client CPU |')
        print('|---|---:|')
    else:
        print('| phase | share of client CPU | µs per request |')
        print('|---|---:|---:|')
    for name, _ in PHASES:
        if not count[name]:
            continue
        share = count[name] / total
        if per_req is None:
            print('| %s | %.1f %% |' % (name, 100 * share))
        else:
            print('| %s | %.1f %% | %.0f |' % (name, 100 * share,
                                              share * per_req))
    print()
    print('%d samples' % total)
    return 0


if __name__ == '__main__':
    sys.exit(main())
