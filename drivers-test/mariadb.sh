#!/bin/bash
# mariadb.sh — runs drivers-test/check_drivers against a throwaway MariaDB
# server through MariaDB Connector/ODBC ("MariaDB Unicode"). Skips (exit
# 77) if the server or the driver is missing, unless ODBCPOOL_REQUIRE_ALL
# is set, which makes a missing piece a failure.
#
# Environment: top_srcdir, top_builddir (set by make check; default: the
# source tree and the current directory), MARIADBD, MAODBC (see
# drivers-test/lib.sh), ODBCPOOL_TEST_ITERATIONS (load test borrows per
# thread; default here 500, see below).
set -u -o pipefail

# shellcheck source=drivers-test/lib.sh
. "$(dirname "$0")/lib.sh" # sets here, top_srcdir, top_builddir


prog=$top_builddir/drivers-test/check_drivers
need_built "$prog"

test_tmpdir my
# As root the server runs as user mysql, who must reach $tmp/db.
chmod 0711 "$tmp"

odbc_env_init "$tmp/odbc"
need_drivers mariadb
mariadb_start "$tmp/db" # skips when no server; stopped (by pid) at exit
odbc_add_mariadb_dsn maria "$MARIADB_PORT"
# Same server; its pool section has a reset that always fails.
odbc_add_mariadb_dsn maria_fail "$MARIADB_PORT"
# Same server over TLS, the server's certificate checked against the CA.
odbc_add_mariadb_dsn maria_tls "$MARIADB_PORT" SSLVERIFY=1 \
	"SSLCA=$MARIADB_DIR/tls/ca.crt"

# Residue the reset must have erased (see lib.sh).
verify=$(mariadb_verify_query)

tls_check="SELECT VARIABLE_VALUE <> '' FROM information_schema.SESSION_STATUS"
tls_check+=" WHERE VARIABLE_NAME = 'SSL_CIPHER'"

check_drivers_setup mariadb maria "$verify" "[maria_tls]
max_connections = 2
require_encryption = yes
encryption_check = $tls_check"

# The reset of a MariaDB connection costs about 2-4 ms (information_schema
# scans; doc/RESET.md), against well under 1 ms for PostgreSQL's DISCARD
# ALL, so the load test does fewer borrows by default (8 x 500: 20-50 s
# here, depending on the machine's load) to keep this script within about
# two minutes. ODBCPOOL_TEST_ITERATIONS=10000 runs the full load.
export ODBCPOOL_TEST_ITERATIONS=${ODBCPOOL_TEST_ITERATIONS:-500}
export ODBCPOOL_TEST_TLS_DSN=maria_tls

start=$SECONDS
"$prog" || fail "check_drivers failed on MariaDB"
echo "mariadb.sh: check_drivers passed in $((SECONDS - start)) s"
