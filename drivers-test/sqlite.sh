#!/bin/bash
# sqlite.sh — runs drivers-test/check_drivers against SQLite through the
# sqlite3odbc driver, then again under valgrind (if installed) with fewer
# load iterations. Skips (exit 77) if the SQLite ODBC driver is missing.
#
# Environment: top_srcdir, top_builddir (set by make check; default: the
# source tree and the current directory), SQLITE_ODBC (driver module),
# ODBCPOOL_TEST_ITERATIONS (load test borrows per thread, default 10000),
# ODBCPOOL_VALGRIND=no to skip the valgrind run.
set -u -o pipefail

# shellcheck source=drivers-test/lib.sh
. "$(dirname "$0")/lib.sh" # sets here, top_srcdir, top_builddir

prog=$top_builddir/drivers-test/check_drivers
need_built "$prog"

test_tmpdir sqlite

odbc_env_init "$tmp"
need_drivers sqlite
odbc_add_sqlite_dsn sqlite "$tmp/test.db"
# Same database; its pool section has a reset that always fails.
odbc_add_sqlite_dsn sqlite_fail "$tmp/test.db"

# The reset leaves no temp object and no attached database behind
# (see lib.sh).
verify=$(sqlite_verify_query)

check_drivers_setup sqlite sqlite "$verify"

# `odbcpool check` says which reset runs per DSN, and warns where session
# state is not erased (reset = none) or would not be reused (a driver
# odbcpool has no reset for).
odbc_add_dsn other_db "Some Other DBMS" "Database=x"
cat >"$tmp/check.ini" <<EOF
[defaults]
max_connections = 2

[sqlite]

[sqlite_fail]
reset = none

[other_db]
EOF
out=$("$top_builddir/odbcpool" check "$tmp/check.ini" 2>&1) ||
	fail "odbcpool check failed: $out"
for want in \
	"reset: auto -- the built-in sqlite reset" \
	"warning: DSN 'sqlite_fail' (line 6) has reset = none: the pool does not erase session state" \
	"warning: DSN 'other_db' (line 9): odbcpool has no built-in reset for its driver 'Some Other DBMS'"; do
	case $out in
	*"$want"*) ;;
	*) fail "odbcpool check: expected '$want' in:
$out" ;;
	esac
done
case $out in
*"DSN 'sqlite' (line"*) fail "odbcpool check warns about DSN 'sqlite': $out" ;;
esac
echo "sqlite.sh: odbcpool check reports the reset of each DSN"

start=$SECONDS
"$prog" || fail "check_drivers failed on SQLite"
echo "sqlite.sh: check_drivers passed in $((SECONDS - start)) s"

if [ "${ODBCPOOL_VALGRIND:-yes}" = no ]; then
	echo "sqlite.sh: valgrind run skipped (ODBCPOOL_VALGRIND=no)"
elif ! command -v valgrind >/dev/null 2>&1; then
	echo "sqlite.sh: valgrind not installed: valgrind run skipped"
else
	start=$SECONDS
	# CK_FORK=no: the tests run in this process, where valgrind sees them.
	# If libtool made check_drivers a wrapper script, let it run valgrind
	# on the real binary.
	run=()
	if [ "$(head -c 2 "$prog")" = '#!' ] && [ -x "$top_builddir/libtool" ]; then
		run=("$top_builddir/libtool" --mode=execute)
	fi
	# Reports from third-party libraries (drivers, the driver manager) go
	# in drivers-test/valgrind.supp, each with a comment saying why it is
	# not ours. None are needed with sqlite3odbc 0.9998 / unixODBC 2.3.11.
	supp=()
	[ -f "$top_srcdir/drivers-test/valgrind.supp" ] &&
		supp=(--suppressions="$top_srcdir/drivers-test/valgrind.supp")
	CK_FORK=no ODBCPOOL_TEST_ITERATIONS=${ODBCPOOL_VALGRIND_ITERATIONS:-200} \
		"${run[@]}" valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite \
		"${supp[@]}" \
		"$prog" || fail "check_drivers failed under valgrind (exit $?)"
	echo "sqlite.sh: valgrind run passed in $((SECONDS - start)) s"
fi
