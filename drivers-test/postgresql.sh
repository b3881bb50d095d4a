#!/bin/bash
# postgresql.sh — runs drivers-test/check_drivers against a throwaway
# PostgreSQL server through psqlODBC ("PostgreSQL Unicode"). Skips (exit
# 77) if the server binaries or psqlODBC are missing, unless
# ODBCPOOL_REQUIRE_ALL is set, which makes a missing piece a failure.
#
# Environment: top_srcdir, top_builddir (set by make check; default: the
# source tree and the current directory), PG_BINDIR, PSQLODBCW (see
# drivers-test/lib.sh), ODBCPOOL_TEST_ITERATIONS (load test borrows per
# thread, default 10000).
set -u -o pipefail

# shellcheck source=drivers-test/lib.sh
. "$(dirname "$0")/lib.sh" # sets here, top_srcdir, top_builddir


prog=$top_builddir/drivers-test/check_drivers
need_built "$prog"

test_tmpdir pg
# As root the server runs as another user, who must reach $tmp/pg.
chmod 0711 "$tmp"

odbc_env_init "$tmp/odbc"
need_drivers pg
pg_start "$tmp/pg" # skips when no server binaries; stopped (by pid) at exit
odbc_add_pg_dsn pg "$PG_PORT"
# Same server; its pool section has a reset that always fails.
odbc_add_pg_dsn pg_fail "$PG_PORT"

# Residue the reset must have erased (see lib.sh).
verify=$(pg_verify_query)

check_drivers_setup postgresql pg "$verify"

# doc/ARCHITECTURE.md warns of a setlocale race in psqlODBC on concurrent
# connects. The load test opens its 4 connections concurrently without
# warming the pool first: the race has not shown with psqlODBC 13.02 here
# (210 runs with 4 to 8 concurrent connects). If it does, the crash is in
# the driver's connect; warm the pool with sequential borrows before the
# threads start rather than weakening the test.

start=$SECONDS
"$prog" || fail "check_drivers failed on PostgreSQL"
echo "postgresql.sh: check_drivers passed in $((SECONDS - start)) s"
