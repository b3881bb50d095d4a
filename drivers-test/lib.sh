# lib.sh — helpers sourced by the driver tests (bash): private ODBC config,
# DSNs, a throwaway PostgreSQL server, automake skip convention.
#
#   . "$(dirname "$0")/lib.sh"
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
	local name=$1 port=$2 kv key i found
	shift 2
	local driver=${ODBC_PG_DRIVER:-PostgreSQL Unicode}
	case $driver in
	*ANSI*) [ -n "${PSQLODBCA:-}" ] || skip "psqlODBC (ANSI) not found" ;;
	*) [ -n "${PSQLODBCW:-}" ] || skip "psqlODBC (Unicode) not found" ;;
	esac
	local keys=(Servername Port Database Username Password SSLmode)
	local vals=(127.0.0.1 "$port" "$PG_TEST_DATABASE" "$PG_TEST_USER" \
		"$PG_TEST_PASSWORD" disable)
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
	local args=()
	for i in "${!keys[@]}"; do
		args+=("${keys[i]}=${vals[i]}")
	done
	odbc_add_dsn "$name" "$driver" "${args[@]}"
}

# pg_start [DIR]: start a throwaway PostgreSQL server in DIR (default: a
# new directory under ${TMPDIR:-/tmp}, removed at exit; short, so that the
# unix socket path fits) and stop it, by pid, when the test exits however
# it exits. Sets and exports PG_DIR, PG_PORT, PGPORT, PGHOST. Skips the
# test (exit 77) when no PostgreSQL server binaries are installed.
pg_start() {
	local dir=${1:-} d
	if [ -n "${PG_BINDIR:-}" ]; then
		[ -x "$PG_BINDIR/initdb" ] || skip "no initdb in PG_BINDIR=$PG_BINDIR"
	elif ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null &&
		! command -v initdb >/dev/null 2>&1; then
		skip "PostgreSQL server (initdb) not installed"
	fi
	need_cmd openssl
	[ "$(id -u)" -ne 0 ] || need_cmd runuser
	if [ -z "$dir" ]; then
		dir=$(mktemp -d "${TMPDIR:-/tmp}/odbcpool-pg.XXXXXX") ||
			fail "mktemp failed"
		at_exit "rm -rf '$dir'"
	fi
	mkdir -p "$dir" || fail "cannot create $dir"
	PG_DIR=$(cd "$dir" && pwd)
	# As root the server runs as another user, who must reach PG_DIR:
	# open our own private (0700) temp directories above it for search.
	if [ "$(id -u)" -eq 0 ]; then
		d=$PG_DIR
		while d=$(dirname "$d") && [ "$d" != / ]; do
			case $d in
			"${TMPDIR:-/tmp}"/* | /tmp/*) [ -O "$d" ] && chmod o+x "$d" ;;
			esac
		done
	fi
	at_exit pg_stop
	PG_PORT=$("$PG_SERVER_SH" start "$PG_DIR") ||
		fail "cannot start PostgreSQL in $PG_DIR"
	PGPORT=$PG_PORT
	PGHOST=127.0.0.1
	export PG_DIR PG_PORT PGPORT PGHOST
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
	local name=$1 port=$2 kv key i found
	shift 2
	[ -n "${MAODBC:-}" ] || skip "MariaDB Connector/ODBC (libmaodbc.so) not found"
	local keys=(Server Port Database User Password)
	local vals=(127.0.0.1 "$port" "$MARIADB_TEST_DATABASE" \
		"$MARIADB_TEST_USER" "$MARIADB_TEST_PASSWORD")
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
	local args=()
	for i in "${!keys[@]}"; do
		args+=("${keys[i]}=${vals[i]}")
	done
	odbc_add_dsn "$name" "MariaDB Unicode" "${args[@]}"
}

# mariadb_start [DIR]: start a throwaway MariaDB server in DIR (default: a
# new directory under ${TMPDIR:-/tmp}, removed at exit; short, so that the
# unix socket path fits) and stop it, by pid, when the test exits however
# it exits. Sets and exports MARIADB_DIR, MARIADB_PORT, MARIADB_SOCKET.
# Skips the test (exit 77) when the MariaDB server is not installed.
mariadb_start() {
	local dir=${1:-} d rc
	if [ -n "${MARIADBD:-}" ]; then
		[ -x "$MARIADBD" ] || skip "MARIADBD=$MARIADBD is not executable"
	elif ! command -v mariadbd >/dev/null 2>&1 &&
		[ ! -x /usr/sbin/mariadbd ]; then
		skip "MariaDB server (mariadbd) not installed"
	fi
	need_cmd openssl mariadb mariadb-admin
	[ "$(id -u)" -ne 0 ] || need_cmd runuser
	if [ -z "$dir" ]; then
		dir=$(mktemp -d "${TMPDIR:-/tmp}/odbcpool-my.XXXXXX") ||
			fail "mktemp failed"
		at_exit "rm -rf '$dir'"
	fi
	mkdir -p "$dir" || fail "cannot create $dir"
	MARIADB_DIR=$(cd "$dir" && pwd)
	# As root the server runs as another user, who must reach
	# MARIADB_DIR: open our own private (0700) temp directories above it.
	if [ "$(id -u)" -eq 0 ]; then
		d=$MARIADB_DIR
		while d=$(dirname "$d") && [ "$d" != / ]; do
			case $d in
			"${TMPDIR:-/tmp}"/* | /tmp/*) [ -O "$d" ] && chmod o+x "$d" ;;
			esac
		done
	fi
	at_exit mariadb_stop
	MARIADB_PORT=$("$MARIADB_SERVER_SH" start "$MARIADB_DIR")
	rc=$?
	[ "$rc" -ne 77 ] || skip "MariaDB server not installed"
	[ "$rc" -eq 0 ] || fail "cannot start MariaDB in $MARIADB_DIR"
	MARIADB_SOCKET=$MARIADB_DIR/mysqld.sock
	export MARIADB_DIR MARIADB_PORT MARIADB_SOCKET
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
