#!/bin/bash
# auth.sh — passwords and pre-connect attributes through the odbcpool
# driver module, compared with direct connections to the same target, by
# drivers-test/client_auth (an ordinary ODBC application):
#
#   reauth    (PostgreSQL, MariaDB) a password changed on the server
#             (ALTER ROLE/ALTER USER ... PASSWORD) under a pool: the new
#             one is accepted at once (settled by a real login, not
#             refused by the pool), the old one is refused from then on;
#             a login revoked (NOLOGIN, ACCOUNT LOCK) stops reaching
#             data through the pool within reauth_interval (1s here),
#             and then no session of the user is left open.
#   emptypwd  (SQLite, PostgreSQL, MariaDB) UID with an empty password by
#             PWD= and by SQLConnect's "": the same answers as directly.
#   preattrs  (SQLite, PostgreSQL, MariaDB) SQL_ATTR_PACKET_SIZE and
#             SQL_ATTR_ODBC_CURSORS set before connecting read back as
#             directly, or the connect says (01S02) that they did not
#             take effect.
#
# Starts throwaway PostgreSQL and MariaDB servers (drivers-test/lib.sh),
# stopped by pid at exit. Skips (exit 77) when a server, a driver or
# SQLite's driver is missing, unless ODBCPOOL_REQUIRE_ALL is set.
#
# Environment: top_srcdir, top_builddir (set by make check), SQLITE_ODBC,
# PSQLODBCW, MAODBC, PG_BINDIR, MARIADBD (see drivers-test/lib.sh).
set -u -o pipefail

# shellcheck source=drivers-test/lib.sh
. "$(dirname "$0")/lib.sh" # sets here, top_srcdir, top_builddir


module=$top_builddir/.libs/odbcpool_driver.so
client=$top_builddir/drivers-test/client_auth
need_built "$client" "$module"
need_cmd timeout

test_tmpdir auth
# As root the servers run as other users, who must reach $tmp.
chmod 0711 "$tmp"

odbc_env_init "$tmp/odbc"
need_drivers sqlite pg mariadb
odbc_add_pool_driver "$module"

interval_ms=1000
cat >"$tmp/pool.ini" <<EOF2 || fail "cannot write $tmp/pool.ini"
; written by drivers-test/auth.sh
[defaults]
borrow_timeout = 10s
reauth_interval = ${interval_ms}ms
EOF2

status=0
# run WHAT ARGS...: run client_auth, report, remember a failure.
run() {
	local what=$1
	shift
	echo "auth.sh: --- $what"
	if timeout -k 5 120 "$client" "$@"; then
		echo "auth.sh: $what passed"
	else
		echo "auth.sh: $what FAILED" >&2
		status=1
	fi
}

# ------------------------------------------------------------- SQLite
odbc_add_sqlite_dsn real_sqlite "$tmp/auth.db"
odbc_add_pooled_dsn pooled_sqlite real_sqlite "$tmp/pool.ini"
run "SQLite emptypwd" emptypwd pooled_sqlite real_sqlite someone
run "SQLite preattrs" preattrs "DSN=pooled_sqlite" "DSN=real_sqlite"

# --------------------------------------------------------- PostgreSQL
pg_start "$tmp/pg" # skips when no server binaries; stopped (by pid) at exit
pg_psql_super <<'SQL' || fail "cannot create the test role"
CREATE ROLE odbcpool_pwcheck NOLOGIN;
CREATE ROLE odbcpool_reauth LOGIN PASSWORD 'pw-one' IN ROLE odbcpool_pwcheck;
SQL
odbc_add_pg_dsn real_pg "$PG_PORT" "pqopt=connect_timeout=5"
odbc_add_pg_dsn pg_admin "$PG_PORT" Username=postgres Password= \
	"pqopt=connect_timeout=5"
odbc_add_pooled_dsn pooled_pg real_pg "$tmp/pool.ini"
AUTH_SET_PW2="ALTER ROLE odbcpool_reauth PASSWORD 'pw-two'" \
	AUTH_LOCK="ALTER ROLE odbcpool_reauth NOLOGIN" \
	AUTH_SESSIONS="SELECT count(*) FROM pg_stat_activity WHERE usename = 'odbcpool_reauth'" \
	run "PostgreSQL reauth" reauth "DSN=pooled_pg" "DSN=real_pg" \
	"DSN=pg_admin" odbcpool_reauth pw-one pw-two "$interval_ms"
# postgres is trusted over TCP: any password, or none, logs in.
run "PostgreSQL emptypwd" emptypwd pooled_pg real_pg postgres
run "PostgreSQL preattrs" preattrs "DSN=pooled_pg" "DSN=real_pg"

# ------------------------------------------------------------ MariaDB
mariadb_start "$tmp/my" # skips when no server; stopped (by pid) at exit
mariadb_super <<'SQL' || fail "cannot create the test users"
CREATE USER 'odbcpool_reauth'@'127.0.0.1' IDENTIFIED BY 'pw-one';
GRANT SELECT ON odbcpool.* TO 'odbcpool_reauth'@'127.0.0.1';
CREATE USER 'odbcpool_nopw'@'127.0.0.1';
GRANT SELECT ON odbcpool.* TO 'odbcpool_nopw'@'127.0.0.1';
SQL
super_user=root
[ "$(id -u)" -eq 0 ] || super_user=$(id -un)
odbc_add_mariadb_dsn real_maria "$MARIADB_PORT"
odbc_add_mariadb_dsn real_maria_nopw "$MARIADB_PORT" Password= User=
odbc_add_dsn maria_admin "MariaDB Unicode" "SOCKET=$MARIADB_SOCKET" \
	"UID=$super_user"
odbc_add_pooled_dsn pooled_maria real_maria "$tmp/pool.ini"
odbc_add_pooled_dsn pooled_maria_nopw real_maria_nopw "$tmp/pool.ini"
AUTH_SET_PW2="ALTER USER 'odbcpool_reauth'@'127.0.0.1' IDENTIFIED BY 'pw-two'" \
	AUTH_LOCK="ALTER USER 'odbcpool_reauth'@'127.0.0.1' ACCOUNT LOCK" \
	AUTH_SESSIONS="SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'odbcpool_reauth'" \
	run "MariaDB reauth" reauth "DSN=pooled_maria" "DSN=real_maria" \
	"DSN=maria_admin" odbcpool_reauth pw-one pw-two "$interval_ms"
run "MariaDB emptypwd" emptypwd pooled_maria_nopw real_maria_nopw \
	odbcpool_nopw
run "MariaDB preattrs" preattrs "DSN=pooled_maria" "DSN=real_maria"

exit "$status"
