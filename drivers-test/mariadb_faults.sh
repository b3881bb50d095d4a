#!/bin/bash
# mariadb_faults.sh — the pool against MariaDB sessions that are KILLed,
# and a 64-thread load through the odbcpool driver module on MariaDB:
# runs drivers-test/check_mariadb_faults against a throwaway MariaDB of
# its own (drivers-test/lib.sh mariadb_start), stopped by pid at exit
# however the test ends. Skips (exit 77) without the server or MariaDB
# Connector/ODBC, unless ODBCPOOL_REQUIRE_ALL is set.
#
# What it checks (see check_mariadb_faults.c):
#  - sessions of pooled idle connections KILLed from a superuser client
#    (found in information_schema.PROCESSLIST): with validation_query =
#    SELECT 1, validation_idle = 0 the next borrows get working
#    connections, and also without a validation query: the pool's
#    SQL_ATTR_CONNECTION_DEAD check at every borrow is a mysql_ping() in
#    Connector/ODBC, so a killed idle connection is never handed out. A
#    session killed while borrowed fails the borrower's next statement
#    (08S01, 2013) and its reset, which closes it; the next borrow works;
#  - LOAD_THREADS threads through the ODBCPool driver for LOAD_SECONDS,
#    the login's sessions in PROCESSLIST sampled every 100 ms from a
#    superuser connection: once with a temporary table per request
#    (data/reset/mariadb.sql then fails every reset, by design: each
#    connection serves one request; sessions the pool has just closed
#    can stay listed for some milliseconds, so the count may pass
#    LOAD_MAX_CONNECTIONS by those, never by sessions whose client end is
#    open), once with a user variable per request (connections are
#    reused; the count never passes LOAD_MAX_CONNECTIONS).
#
# Environment: top_srcdir, top_builddir (set by make check; default: the
# source tree and the current directory), MARIADBD, MAODBC (see
# drivers-test/lib.sh), LOAD_THREADS (64), LOAD_SECONDS (10, for each of
# the two loads), LOAD_MAX_CONNECTIONS (16), ODBCPOOL_FAULTS_KEEP=1 (keep
# the temporary directory and print its path), CK_RUN_CASE
# (killed_sessions or load: run only those tests).
set -u -o pipefail

# shellcheck source=drivers-test/lib.sh
. "$(dirname "$0")/lib.sh" # sets here, top_srcdir, top_builddir


prog=$top_builddir/drivers-test/check_mariadb_faults
module=$top_builddir/.libs/odbcpool_driver.so
need_built "$prog" "$module"
need_cmd timeout

test_tmpdir myf ODBCPOOL_FAULTS_KEEP
# As root the server runs as user mysql, who must reach $tmp/db.
chmod 0711 "$tmp"
mkdir -p "$tmp/stats" || fail "cannot create $tmp/stats"

odbc_env_init "$tmp/odbc"
need_drivers mariadb
odbc_add_pool_driver "$module"

mariadb_start "$tmp/db" # skips when no server; stopped (by pid) at exit

# The pooled DSNs (TCP, password) and the superuser: root over the unix
# socket (unix_socket authentication; as another OS user, that user).
for d in maria_val maria_noval maria_bare real_maria_tmp real_maria_var; do
	odbc_add_mariadb_dsn "$d" "$MARIADB_PORT"
done
super_user=root
[ "$(id -u)" -eq 0 ] || super_user=$(id -un)
odbc_add_dsn maria_super "MariaDB Unicode" "SOCKET=$MARIADB_SOCKET" \
	"UID=$super_user"
odbc_add_pooled_dsn pooled_maria_tmp real_maria_tmp "$tmp/pool-load.ini"
odbc_add_pooled_dsn pooled_maria_var real_maria_var "$tmp/pool-load.ini"
mariadb_super -e 'SELECT 1' >/dev/null ||
	fail "the superuser cannot connect over $MARIADB_SOCKET"

# Residue the reset must have erased (as in mariadb.sh; see lib.sh).
verify=$(mariadb_verify_query)

cat >"$tmp/pool.ini" <<EOF || fail "cannot write $tmp/pool.ini"
; written by drivers-test/mariadb_faults.sh
[defaults]
borrow_timeout = 5s
reset_workers = 2

[maria_val]
max_connections = 4
validation_idle = 0
validation_query = SELECT 1

[maria_noval]
max_connections = 2

[maria_bare]
max_connections = 2
EOF

load_max=${LOAD_MAX_CONNECTIONS:-16}
cat >"$tmp/pool-load.ini" <<EOF || fail "cannot write $tmp/pool-load.ini"
; written by drivers-test/mariadb_faults.sh: the driver loads
[defaults]
borrow_timeout = 30s
reset_workers = 4
stats_file = $tmp/stats/load-%p.prom

[real_maria_tmp]
max_connections = $load_max
verify_query = $verify

[real_maria_var]
max_connections = $load_max
verify_query = $verify
EOF

export ODBCPOOL_TEST_CONFIG=$tmp/pool.ini
export ODBCPOOL_TEST_SUPER="DSN=maria_super"
export ODBCPOOL_TEST_USER=$MARIADB_TEST_USER
export ODBCPOOL_TEST_PORT=$MARIADB_PORT
export LOAD_TEMP_CONNSTR="DSN=pooled_maria_tmp" LOAD_TEMP_SECTION=real_maria_tmp
export LOAD_VAR_CONNSTR="DSN=pooled_maria_var" LOAD_VAR_SECTION=real_maria_var
export LOAD_STATS="$tmp/stats/load-%p.prom"
export LOAD_THREADS=${LOAD_THREADS:-64} LOAD_SECONDS=${LOAD_SECONDS:-10}
export LOAD_MAX_CONNECTIONS=$load_max

# In the background, so that a TERM or INT to this script ends the test
# program (by pid; timeout passes the signal on to its process group)
# and then stops the server, at once rather than when the program ends.
start=$SECONDS
timeout -k 10 $((2 * LOAD_SECONDS + 120)) "$prog" &
prog_pid=$!
at_exit "kill -TERM $prog_pid 2>/dev/null; wait $prog_pid 2>/dev/null"
if wait "$prog_pid"; then
	echo "mariadb_faults.sh: check_mariadb_faults passed in" \
		"$((SECONDS - start)) s"
else
	echo "mariadb_faults.sh: check_mariadb_faults FAILED after" \
		"$((SECONDS - start)) s" >&2
	exit 1
fi
