# lib.sh — helpers sourced by the driver tests (bash): private ODBC config,
# DSNs, a throwaway PostgreSQL server, automake skip convention.
#
#   . "$(dirname "$0")/lib.sh"         # sets here, top_srcdir, top_builddir
#   tmp=$(mktemp -d); at_exit "rm -rf '$tmp'"
#   odbc_env_init "$tmp"               # private odbcinst.ini / odbc.ini
#   odbc_add_sqlite_dsn lite "$tmp/db.sqlite"
#   pg_start                           # sets PG_PORT; stopped at exit
#   odbc_add_pg_dsn pg "$PG_PORT"
#   odbc_add_pg_dsn pgtls "$PG_PORT" SSLmode=require
#   mariadb_start                      # sets MARIADB_PORT; stopped at exit
#   odbc_add_mariadb_dsn maria "$MARIADB_PORT"
#   isql -b pg <<<"SELECT 1" >/dev/null || fail "pg DSN does not work"
#
# The server (scripts/pg-server.sh) has role odbcpool / odbcpool-secret
# (password checked over TCP), database odbcpool, a NOLOGIN role
# odbcpool_other granted to odbcpool, and TLS available but not required.
# Superuser: pg_psql_super (unix socket, trust).
#
# Do not set your own "trap ... EXIT" after sourcing this file: it would
# replace the one that stops the server. Register clean-ups with at_exit.
#
# The MariaDB server (scripts/mariadb-server.sh) has user odbcpool /
# odbcpool-secret, databases odbcpool and odbcpool_other, a role
# odbcpool_role granted to odbcpool, and TLS available but not required
# (CA certificate: $MARIADB_DIR/tls/ca.crt). Superuser: mariadb_super
# (root over the unix socket).
#
# Environment read: SQLITE_ODBC, PSQLODBCW, PSQLODBCA, MAODBC (driver
# module paths; auto-detected when unset or empty), PG_BINDIR (see
# scripts/pg-server.sh), MARIADBD (see scripts/mariadb-server.sh).
# shellcheck shell=bash

ODBCPOOL_TOP_SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# What every driver test script uses: its own directory (this one), and
# the trees make check names (default: the source tree and the current
# directory).
# shellcheck disable=SC2034 # read by the sourcing scripts
here=$ODBCPOOL_TOP_SRCDIR/drivers-test
top_srcdir=${top_srcdir:-$ODBCPOOL_TOP_SRCDIR}
top_builddir=${top_builddir:-$(pwd)}
PG_SERVER_SH=$ODBCPOOL_TOP_SRCDIR/scripts/pg-server.sh
PG_TEST_USER=odbcpool
PG_TEST_PASSWORD=odbcpool-secret
PG_TEST_DATABASE=odbcpool
MARIADB_SERVER_SH=$ODBCPOOL_TOP_SRCDIR/scripts/mariadb-server.sh
MARIADB_TEST_USER=odbcpool
MARIADB_TEST_PASSWORD=odbcpool-secret
MARIADB_TEST_DATABASE=odbcpool

# skip MSG: end the test as skipped (exit 77, automake's convention).
# With ODBCPOOL_REQUIRE_ALL set (CI installs everything), what would be
# skipped fails instead.
skip() {
	if [ -n "${ODBCPOOL_REQUIRE_ALL:-}" ]; then
		printf 'FAIL: ODBCPOOL_REQUIRE_ALL is set, but: %s\n' "$*" >&2
		exit 1
	fi
	printf 'SKIP: %s\n' "$*"
	exit 77
}

# skip_na MSG: the test does not apply here (not a missing dependency):
# exit 77 even with ODBCPOOL_REQUIRE_ALL.
skip_na() {
	printf 'SKIP: %s\n' "$*"
	exit 77
}

# fail MSG: end the test as failed.
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# need_cmd CMD...: skip the test unless every CMD is on PATH.
need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c not found"
	done
}

# at_exit CMD: run the shell command CMD when the test exits (any way),
# last registered first.
_LIB_AT_EXIT=()
at_exit() {
	_LIB_AT_EXIT=("$1" "${_LIB_AT_EXIT[@]}")
	trap _lib_run_at_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

_lib_run_at_exit() {
	local rc=$? c
	for c in "${_LIB_AT_EXIT[@]}"; do
		eval "$c" || true
	done
	_LIB_AT_EXIT=()
	return "$rc"
}

# _lib_find_module NAME: print the full path of an ODBC driver module.
_lib_find_module() {
	local name=$1 d arch=
	arch=$(gcc -print-multiarch 2>/dev/null || true)
	for d in ${arch:+/usr/lib/$arch/odbc} /usr/lib/*-linux-gnu/odbc \
		/usr/lib/odbc /usr/lib64/odbc /usr/local/lib/odbc \
		${arch:+/usr/lib/$arch} /usr/lib /usr/lib64 /usr/local/lib; do
		if [ -f "$d/$name" ]; then
			printf '%s\n' "$d/$name"
			return 0
		fi
	done
	return 1
}

# odbc_env_init DIR: write DIR/odbcinst.ini (drivers "SQLite3",
# "PostgreSQL Unicode", "PostgreSQL ANSI", "MariaDB Unicode" — those whose
# module was found) and an empty DIR/odbc.ini, and point unixODBC at them
# only. Sets SQLITE_ODBC, PSQLODBCW, PSQLODBCA, MAODBC (empty when not
# found).
odbc_env_init() {
	local dir=$1
	[ -n "$dir" ] || fail "odbc_env_init: no directory"
	mkdir -p "$dir" || fail "cannot create $dir"
	dir=$(cd "$dir" && pwd)
	[ -n "${SQLITE_ODBC:-}" ] ||
		SQLITE_ODBC=$(_lib_find_module libsqlite3odbc.so) || SQLITE_ODBC=
	[ -n "${PSQLODBCW:-}" ] ||
		PSQLODBCW=$(_lib_find_module psqlodbcw.so) || PSQLODBCW=
	[ -n "${PSQLODBCA:-}" ] ||
		PSQLODBCA=$(_lib_find_module psqlodbca.so) || PSQLODBCA=
	[ -n "${MAODBC:-}" ] ||
		MAODBC=$(_lib_find_module libmaodbc.so) || MAODBC=
	export SQLITE_ODBC PSQLODBCW PSQLODBCA MAODBC
	{
		echo "; written by drivers-test/lib.sh"
		echo "[ODBC]"
		echo "Trace = No"
		echo "Pooling = No"
		echo
		if [ -n "$SQLITE_ODBC" ]; then
			echo "[SQLite3]"
			echo "Description = SQLite3 ODBC driver"
			echo "Driver = $SQLITE_ODBC"
			echo "Setup = $SQLITE_ODBC"
			echo "; sqlite3odbc corrupts its heap on concurrent connects"
			echo "; at Threading = 0 (doc/ARCHITECTURE.md)"
			echo "Threading = 3"
			echo
		fi
		if [ -n "$PSQLODBCW" ]; then
			echo "[PostgreSQL Unicode]"
			echo "Description = PostgreSQL ODBC driver (Unicode)"
			echo "Driver = $PSQLODBCW"
			echo
		fi
		if [ -n "$PSQLODBCA" ]; then
			echo "[PostgreSQL ANSI]"
			echo "Description = PostgreSQL ODBC driver (ANSI)"
			echo "Driver = $PSQLODBCA"
			echo
		fi
		if [ -n "$MAODBC" ]; then
			echo "[MariaDB Unicode]"
			echo "Description = MariaDB Connector/ODBC (Unicode)"
			echo "Driver = $MAODBC"
			echo
		fi
	} >"$dir/odbcinst.ini" || fail "cannot write $dir/odbcinst.ini"
	: >"$dir/odbc.ini"
	ODBC_TEST_DIR=$dir
	ODBCSYSINI=$dir
	ODBCINSTINI=odbcinst.ini
	ODBCINI=$dir/odbc.ini
	export ODBC_TEST_DIR ODBCSYSINI ODBCINSTINI ODBCINI
}

# odbc_add_dsn NAME DRIVER [key=value...]: append a DSN to $ODBCINI.
odbc_add_dsn() {
	local name=$1 driver=$2 kv
	shift 2
	[ -n "${ODBCINI:-}" ] || fail "odbc_add_dsn: call odbc_env_init first"
	{
		echo "[$name]"
		echo "Driver = $driver"
		for kv in "$@"; do
			echo "${kv%%=*} = ${kv#*=}"
		done
		echo
	} >>"$ODBCINI"
}

# _lib_add_dsn_merged NAME DRIVER key=value...: odbc_add_dsn with the
# keys in the order they first appear; a later key=value replaces the
# value of an earlier one with the same key (case-insensitive). Callers
# pass their defaults first, then the caller's arguments.
_lib_add_dsn_merged() {
	local name=$1 driver=$2 kv key i found
	shift 2
	local keys=() vals=() args=()
	for kv in "$@"; do
		found=
		key=${kv%%=*}
		for i in "${!keys[@]}"; do
			if [ "${keys[i],,}" = "${key,,}" ]; then
				vals[i]=${kv#*=}
				found=1
			fi
		done
		if [ -z "$found" ]; then
			keys+=("$key")
			vals+=("${kv#*=}")
		fi
	done
	for i in "${!keys[@]}"; do
		args+=("${keys[i]}=${vals[i]}")
	done
	odbc_add_dsn "$name" "$driver" "${args[@]}"
}

# odbc_add_sqlite_dsn NAME DBFILE [key=value...]: SQLite3 DSN on DBFILE,
# with Timeout=5000 (busy wait, ms; the driver's default is 100000) unless
# a Timeout=... argument is given. Skips the test when the SQLite ODBC
# driver is not installed.
odbc_add_sqlite_dsn() {
	local name=$1 db=$2 kv timeout=Timeout=5000
	shift 2
	[ -n "${SQLITE_ODBC:-}" ] || skip "SQLite ODBC driver not found"
	for kv in "$@"; do
		case ${kv%%=*} in [Tt][Ii][Mm][Ee][Oo][Uu][Tt]) timeout= ;; esac
	done
	odbc_add_dsn "$name" SQLite3 "Database=$db" ${timeout:+"$timeout"} "$@"
}

# odbc_add_pg_dsn NAME PORT [key=value...]: PostgreSQL Unicode DSN on the
# test server: Servername 127.0.0.1, Port PORT, Database/Username odbcpool,
# Password odbcpool-secret, SSLmode disable. A key=value argument replaces
# the default of the same key (case-insensitive), e.g. SSLmode=require, or
# is appended. Set ODBC_PG_DRIVER="PostgreSQL ANSI" for the ANSI driver.
odbc_add_pg_dsn() {
	local name=$1 port=$2
	shift 2
	local driver=${ODBC_PG_DRIVER:-PostgreSQL Unicode}
	case $driver in
	*ANSI*) [ -n "${PSQLODBCA:-}" ] || skip "psqlODBC (ANSI) not found" ;;
	*) [ -n "${PSQLODBCW:-}" ] || skip "psqlODBC (Unicode) not found" ;;
	esac
	_lib_add_dsn_merged "$name" "$driver" Servername=127.0.0.1 \
		"Port=$port" "Database=$PG_TEST_DATABASE" "Username=$PG_TEST_USER" \
		"Password=$PG_TEST_PASSWORD" SSLmode=disable "$@"
}

# _lib_server_dir DIR KIND: make the directory of a test server (DIR, or
# a new ${TMPDIR:-/tmp}/odbcpool-KIND.XXXXXX removed at exit; short, so
# that the unix socket path fits) and set _LIB_DIR to its absolute path.
# As root the server runs as another user, who must reach it: our own
# private (0700) temp directories above it are opened for search.
_lib_server_dir() {
	local dir=$1 d
	if [ -z "$dir" ]; then
		dir=$(mktemp -d "${TMPDIR:-/tmp}/odbcpool-$2.XXXXXX") ||
			fail "mktemp failed"
		at_exit "rm -rf '$dir'"
	fi
	mkdir -p "$dir" || fail "cannot create $dir"
	_LIB_DIR=$(cd "$dir" && pwd)
	if [ "$(id -u)" -eq 0 ]; then
		d=$_LIB_DIR
		while d=$(dirname "$d") && [ "$d" != / ]; do
			case $d in
			"${TMPDIR:-/tmp}"/* | /tmp/*) [ -O "$d" ] && chmod o+x "$d" ;;
			esac
		done
	fi
}

# pg_start [DIR]: start a throwaway PostgreSQL server in DIR (default: a
# new directory under ${TMPDIR:-/tmp}, removed at exit; short, so that the
# unix socket path fits) and stop it, by pid, when the test exits however
# it exits. Sets and exports PG_DIR, PG_PORT, PGPORT, PGHOST. Skips the
# test (exit 77) when no PostgreSQL server binaries are installed.
pg_start() {
	local dir=${1:-} why start=$SECONDS
	why=$(pg_server_missing)
	[ -z "$why" ] || skip "$why"
	_lib_server_dir "$dir" pg
	PG_DIR=$_LIB_DIR
	at_exit pg_stop
	PG_PORT=$("$PG_SERVER_SH" start "$PG_DIR") ||
		fail "cannot start PostgreSQL in $PG_DIR"
	PGPORT=$PG_PORT
	PGHOST=127.0.0.1
	export PG_DIR PG_PORT PGPORT PGHOST
	echo "${0##*/}: PostgreSQL on 127.0.0.1:$PG_PORT (started in" \
		"$((SECONDS - start)) s)"
}

# pg_server_missing: print why pg_start cannot start a server here (no
# server binaries, no openssl, no runuser as root); nothing if it can.
pg_server_missing() {
	if [ -n "${PG_BINDIR:-}" ] && [ ! -x "$PG_BINDIR/initdb" ]; then
		echo "no initdb in PG_BINDIR=$PG_BINDIR"
	elif [ -z "${PG_BINDIR:-}" ] &&
		! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null &&
		! command -v initdb >/dev/null 2>&1; then
		echo "PostgreSQL server (initdb) not installed"
	elif ! command -v openssl >/dev/null 2>&1; then
		echo "openssl not found (the test server makes a certificate)"
	elif [ "$(id -u)" -eq 0 ] && ! command -v runuser >/dev/null 2>&1; then
		echo "runuser not found (as root the server runs as another user)"
	fi
}

# pg_missing: print why PostgreSQL cannot be tested here (psqlODBC not
# found, or pg_server_missing); nothing if it can. For scripts that go on
# without it.
pg_missing() {
	if [ -z "${PSQLODBCW:-}" ] || [ ! -f "$PSQLODBCW" ]; then
		echo "psqlODBC (psqlodbcw.so) not found${PSQLODBCW:+: $PSQLODBCW}"
	else
		pg_server_missing
	fi
}

# pg_stop: stop the server pg_start started (by pid); harmless if none.
pg_stop() {
	[ -n "${PG_DIR:-}" ] || return 0
	"$PG_SERVER_SH" stop "$PG_DIR"
}

# pg_bindir: print the PostgreSQL bin dir pg-server.sh uses.
pg_bindir() {
	local d
	if [ -n "${PG_BINDIR:-}" ]; then
		printf '%s\n' "$PG_BINDIR"
	elif [ -x /usr/lib/postgresql/15/bin/psql ]; then
		echo /usr/lib/postgresql/15/bin
	elif d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1) &&
		[ -x "$d/psql" ]; then
		printf '%s\n' "$d"
	else
		dirname "$(command -v psql)"
	fi
}

# pg_psql [psql args...]: psql as the odbcpool user on the test server
# (over TCP, password auth).
pg_psql() {
	PGPASSWORD=$PG_TEST_PASSWORD "$(pg_bindir)/psql" -X -q \
		-v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" \
		-U "$PG_TEST_USER" -d "$PG_TEST_DATABASE" "$@"
}

# pg_psql_super [psql args...]: psql as superuser postgres (unix socket).
pg_psql_super() {
	"$(pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR/sock" \
		-p "$PG_PORT" -U postgres -d "$PG_TEST_DATABASE" "$@"
}

# odbc_add_mariadb_dsn NAME PORT [key=value...]: MariaDB Unicode DSN on the
# test server: Server 127.0.0.1, Port PORT, Database/User odbcpool,
# Password odbcpool-secret (TCP, no TLS). A key=value argument replaces the
# default of the same key (case-insensitive) or is appended, e.g.
# SSLVERIFY=1 SSLCA=$MARIADB_DIR/tls/ca.crt for TLS. Skips the test when
# MariaDB Connector/ODBC is not installed.
odbc_add_mariadb_dsn() {
	local name=$1 port=$2
	shift 2
	[ -n "${MAODBC:-}" ] || skip "MariaDB Connector/ODBC (libmaodbc.so) not found"
	_lib_add_dsn_merged "$name" "MariaDB Unicode" Server=127.0.0.1 \
		"Port=$port" "Database=$MARIADB_TEST_DATABASE" \
		"User=$MARIADB_TEST_USER" "Password=$MARIADB_TEST_PASSWORD" "$@"
}

# mariadb_start [DIR]: start a throwaway MariaDB server in DIR (default: a
# new directory under ${TMPDIR:-/tmp}, removed at exit; short, so that the
# unix socket path fits) and stop it, by pid, when the test exits however
# it exits. Sets and exports MARIADB_DIR, MARIADB_PORT, MARIADB_SOCKET.
# Skips the test (exit 77) when the MariaDB server is not installed.
mariadb_start() {
	local dir=${1:-} rc why start=$SECONDS
	why=$(mariadb_server_missing)
	[ -z "$why" ] || skip "$why"
	_lib_server_dir "$dir" my
	MARIADB_DIR=$_LIB_DIR
	at_exit mariadb_stop
	MARIADB_PORT=$("$MARIADB_SERVER_SH" start "$MARIADB_DIR")
	rc=$?
	[ "$rc" -ne 77 ] || skip "MariaDB server not installed"
	[ "$rc" -eq 0 ] || fail "cannot start MariaDB in $MARIADB_DIR"
	MARIADB_SOCKET=$MARIADB_DIR/mysqld.sock
	export MARIADB_DIR MARIADB_PORT MARIADB_SOCKET
	echo "${0##*/}: MariaDB on 127.0.0.1:$MARIADB_PORT (started in" \
		"$((SECONDS - start)) s)"
}

# mariadb_server_missing: print why mariadb_start cannot start a server
# here (no mariadbd, no client tools or openssl, no runuser as root);
# nothing if it can.
mariadb_server_missing() {
	if [ -n "${MARIADBD:-}" ] && [ ! -x "$MARIADBD" ]; then
		echo "MARIADBD=$MARIADBD is not executable"
	elif [ -z "${MARIADBD:-}" ] && ! command -v mariadbd >/dev/null 2>&1 &&
		[ ! -x /usr/sbin/mariadbd ]; then
		echo "MariaDB server (mariadbd) not installed"
	elif ! command -v mariadb >/dev/null 2>&1 ||
		! command -v mariadb-admin >/dev/null 2>&1 ||
		! command -v openssl >/dev/null 2>&1; then
		echo "mariadb, mariadb-admin or openssl not found"
	elif [ "$(id -u)" -eq 0 ] && ! command -v runuser >/dev/null 2>&1; then
		echo "runuser not found (as root the server runs as another user)"
	fi
}

# mariadb_missing: print why MariaDB cannot be tested here (Connector/ODBC
# not found, or mariadb_server_missing); nothing if it can.
mariadb_missing() {
	if [ -z "${MAODBC:-}" ] || [ ! -f "$MAODBC" ]; then
		echo "MariaDB Connector/ODBC (libmaodbc.so) not found"
	else
		mariadb_server_missing
	fi
}

# mariadb_stop: stop the server mariadb_start started (by pid); harmless if
# none.
mariadb_stop() {
	[ -n "${MARIADB_DIR:-}" ] || return 0
	"$MARIADB_SERVER_SH" stop "$MARIADB_DIR"
}

# mariadb_client [mariadb args...]: the mariadb client as the odbcpool user
# on the test server (over TCP, password auth).
mariadb_client() {
	mariadb --no-defaults -h 127.0.0.1 -P "$MARIADB_PORT" \
		-u "$MARIADB_TEST_USER" -p"$MARIADB_TEST_PASSWORD" \
		"$MARIADB_TEST_DATABASE" "$@"
}

# mariadb_super [mariadb args...]: the mariadb client as root over the unix
# socket (unix_socket authentication: root, or the user who started it).
mariadb_super() {
	local u=root
	[ "$(id -u)" -eq 0 ] || u=$(id -un)
	mariadb --no-defaults --protocol=socket -S "$MARIADB_SOCKET" -u "$u" \
		"$@"
}

# ------------------------------------------------ the scripts' set-up

# need_built FILE...: fail unless every FILE (a program, the driver
# module, the CLI) exists: make check builds them.
need_built() {
	local f
	for f in "$@"; do
		[ -f "$f" ] || fail "$f not built (make check builds it)"
		case $f in
		*.so) ;;
		*) [ -x "$f" ] || fail "$f is not executable" ;;
		esac
	done
}

# test_tmpdir NAME [KEEP_VAR]: make a private temporary directory
# ${TMPDIR:-/tmp}/odbcpool-NAME.XXXXXX and set tmp to it; it is removed
# at exit, unless the variable named KEEP_VAR is set (then its path is
# printed and it stays). NAME stays short: servers put sockets below it.
test_tmpdir() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/odbcpool-$1.XXXXXX") ||
		fail "mktemp failed"
	if [ -n "${2:-}" ] && [ -n "${!2:-}" ]; then
		echo "${0##*/}: keeping $tmp"
	else
		at_exit "rm -rf '$tmp'"
	fi
}

# need_drivers sqlite|pg|mariadb...: skip the test unless the ODBC
# driver of each database was found by odbc_env_init.
need_drivers() {
	local db
	for db in "$@"; do
		case $db in
		sqlite) [ -f "${SQLITE_ODBC:-/nonexistent}" ] ||
			skip "SQLite ODBC driver (libsqlite3odbc.so) not found" ;;
		pg) [ -n "$PSQLODBCW" ] ||
			skip "psqlODBC (psqlodbcw.so) not found" ;;
		mariadb) [ -n "$MAODBC" ] ||
			skip "MariaDB Connector/ODBC (libmaodbc.so) not found" ;;
		*) fail "need_drivers: unknown database '$db'" ;;
		esac
	done
}

# odbc_add_pool_driver MODULE: register the odbcpool driver module
# MODULE (the build tree's) as driver "ODBCPool" in $ODBCSYSINI's
# odbcinst.ini. Call after odbc_env_init.
odbc_add_pool_driver() {
	{
		echo "[ODBCPool]"
		echo "Description = odbcpool pooling driver (build tree)"
		echo "Driver = $1"
		echo "; levels 3 deadlock when the driver calls back into the DM"
		echo "Threading = 0"
		echo
	} >>"$ODBCSYSINI/odbcinst.ini" || fail "cannot write odbcinst.ini"
}

# odbc_add_pooled_dsn NAME TARGET POOL_CONFIG [key=value...]: an
# odbcpool DSN NAME in front of DSN TARGET, with pool config POOL_CONFIG.
odbc_add_pooled_dsn() {
	local name=$1 target=$2 config=$3
	shift 3
	odbc_add_dsn "$name" ODBCPool "TargetDSN=$target" "PoolConfig=$config" \
		"$@"
}

# pg_verify_query, mariadb_verify_query, sqlite_verify_query: print the
# verify_query the tests give their pools: a row for each kind of
# residue the reset must have erased.
#   PostgreSQL: temp tables, cursors, prepared statements, LISTEN
#   channels, advisory locks, a role other than the login.
pg_verify_query() {
	local q="SELECT 'temp' FROM pg_class WHERE relpersistence = 't'"
	q+=" AND relnamespace = pg_my_temp_schema()"
	q+=" UNION ALL SELECT 'cursor' FROM pg_cursors"
	q+=" UNION ALL SELECT 'prepared' FROM pg_prepared_statements"
	q+=" UNION ALL SELECT 'listen' FROM pg_listening_channels()"
	q+=" UNION ALL SELECT 'lock' FROM pg_locks WHERE locktype = 'advisory'"
	q+=" AND pid = pg_backend_pid()"
	q+=" UNION ALL SELECT 'role' WHERE current_user <> session_user"
	printf '%s\n' "$q"
}
#   MariaDB (the recommended verify query of doc/RESET.md without its
#   system-variable part, which costs 1-5 ms per return): user variables
#   holding a value, temporary tables, prepared statements and HANDLERs
#   (which close the connection), a transaction, a role, LAST_INSERT_ID(),
#   statement history. The explicit LIMIT overrides a borrower's
#   sql_select_limit (0 would hide every row).
mariadb_verify_query() {
	local q="SELECT 'user variable' FROM information_schema.USER_VARIABLES"
	q+=" WHERE VARIABLE_VALUE IS NOT NULL"
	q+=" UNION ALL SELECT 'unlisted' FROM information_schema.SESSION_STATUS"
	q+=" WHERE VARIABLE_NAME IN ('COM_CREATE_TEMPORARY_TABLE',"
	q+=" 'COM_PREPARE_SQL', 'COM_HA_OPEN') AND VARIABLE_VALUE <> '0'"
	q+=" UNION ALL SELECT 'transaction' FROM DUAL WHERE @@in_transaction <> 0"
	q+=" UNION ALL SELECT 'role' FROM DUAL WHERE CURRENT_ROLE() IS NOT NULL"
	q+=" UNION ALL SELECT 'last_insert_id' FROM DUAL"
	q+=" WHERE LAST_INSERT_ID() <> 0"
	q+=" UNION ALL SELECT 'profile' FROM information_schema.PROFILING"
	q+=" LIMIT 1"
	printf '%s\n' "$q"
}
#   SQLite: temp objects and attached databases.
sqlite_verify_query() {
	local q="SELECT name FROM sqlite_temp_master"
	q+=" UNION ALL SELECT name FROM pragma_database_list"
	q+=" WHERE name NOT IN ('main', 'temp')"
	printf '%s\n' "$q"
}

# check_drivers_setup DB DSN VERIFY [SECTIONS]: write $tmp/pool.ini for
# drivers-test/check_drivers on database DB (sqlite, postgresql or
# mariadb): DSN with VERIFY as its verify_query and DSN_fail with a reset
# that always fails (4 connections each), then SECTIONS (more pool
# config); export the ODBCPOOL_TEST_* variables check_drivers reads.
check_drivers_setup() {
	local db=$1 dsn=$2 verify=$3 more=${4:-}
	cat >"$tmp/pool.ini" <<EOF || fail "cannot write $tmp/pool.ini"
; written by drivers-test/${0##*/}
[defaults]
borrow_timeout = 30s
reset_workers = 2

[$dsn]
max_connections = 4
verify_query = $verify

[${dsn}_fail]
max_connections = 4
reset_sql = SELECT * FROM no_such_table
${more:+
$more}
EOF
	export ODBCPOOL_TEST_DSN=$dsn ODBCPOOL_TEST_FAIL_DSN=${dsn}_fail
	export ODBCPOOL_TEST_DB=$db ODBCPOOL_TEST_CONFIG=$tmp/pool.ini
	export ODBCPOOL_TEST_MAX_CONNECTIONS=4
}
