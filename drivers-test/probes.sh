#!/bin/bash
# probes.sh — residue probes through the odbcpool ODBC driver with a real
# client (Debian's pyodbc, /usr/bin/python3) against SQLite (sqlite3odbc),
# PostgreSQL (psqlODBC) and MariaDB (Connector/ODBC), the servers started
# here and stopped, by pid, at exit.
#
# For each database and each kind of session state (temp tables, session
# and user variables, SET parameters, roles, prepared statements, open
# and held cursors, advisory and named locks, LISTEN, uncommitted rows,
# ODBC connection attributes, the current database, attached databases
# and pragmas), drivers-test/probes.py has borrower A leave the state
# holding a fake personal datum and borrower B, on the same physical
# connection (the probe's pool has max_connections = 1: connects_total
# stays 1 in the stats_file; and the same server session id), look for it.
# Each probe also runs directly, without the pool, where it must see the
# state. Prints one row per (database, state): erased, closed-not-reused
# (the reset failed on purpose and the pool closed the connection), n/a,
# residue (documented limit) or RESIDUE. See doc/PROBES.md.
#
# Usage: probes.sh [--write-doc]
#   --write-doc   also write $top_srcdir/doc/PROBES.md from this run
#
# Exit 1 on any RESIDUE, any probe that did not detect its state in the
# direct run, or any probe that could not run; else 77 if something needed
# was absent (pyodbc, a driver, a server), unless ODBCPOOL_REQUIRE_ALL is
# set, which turns absence into failure; else 0.
#
# Environment: top_srcdir, top_builddir (set by make check; default: the
# source tree and the current directory), SQLITE_ODBC, PSQLODBCW, MAODBC,
# PG_BINDIR, MARIADBD (drivers-test/lib.sh), DBS (default "sqlite pg
# mariadb"), PROBES_ONLY (comma-separated probe keys), PROBES_TIMEOUT
# (seconds per database, default 120), ODBCPOOL_PROBES_KEEP=1 (keep the
# work directory and print its path), PROBES_COMMIT (the odbcpool version
# named in doc/PROBES.md; default: git describe of top_srcdir).
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
export top_srcdir
# shellcheck source=drivers-test/lib.sh
. "$top_srcdir/drivers-test/lib.sh"

write_doc=
for arg in "$@"; do
	case $arg in
	--write-doc) write_doc=$top_srcdir/doc/PROBES.md ;;
	*)
		echo "usage: $0 [--write-doc]" >&2
		exit 2
		;;
	esac
done


module=$top_builddir/.libs/odbcpool_driver.so
[ -f "$module" ] || fail "$module not built (make builds it)"
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 not found"
/usr/bin/python3 -c 'import pyodbc' 2>/dev/null ||
	skip "pyodbc not importable by /usr/bin/python3 (python3-pyodbc)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/odbcpool-pr.XXXXXX") || fail "mktemp failed"
if [ -n "${ODBCPOOL_PROBES_KEEP:-}" ]; then
	echo "probes.sh: keeping $tmp"
else
	at_exit "rm -rf '$tmp'"
fi
# As root the servers run as other users, who must reach $tmp/pg, $tmp/my.
chmod 0711 "$tmp"
mkdir -p "$tmp/work" || fail "cannot create $tmp/work"
export LC_ALL=C.UTF-8
unset LANGUAGE

odbc_env_init "$tmp/odbc"
{
	echo "[ODBCPool]"
	echo "Description = odbcpool pooling driver (build tree)"
	echo "Driver = $module"
	echo "; levels 3 deadlock when the driver calls back into the DM"
	echo "Threading = 0"
	echo
} >>"$ODBCSYSINI/odbcinst.ini" || fail "cannot write odbcinst.ini"

nskip=0
absent() {
	if [ -n "${ODBCPOOL_REQUIRE_ALL:-}" ]; then
		fail "ODBCPOOL_REQUIRE_ALL is set, but: $1: $2"
	fi
	echo "SKIP $1: $2"
	nskip=$((nskip + 1))
}

# Each server is started in a subshell-free way (pg_start and
# mariadb_start register their stop with at_exit), but a missing server
# must not end the script: check first, as clients.sh does.
pg_missing() {
	if [ -z "$PSQLODBCW" ] || [ ! -f "$PSQLODBCW" ]; then
		echo "psqlODBC (psqlodbcw.so) not found"
	elif [ -n "${PG_BINDIR:-}" ] && [ ! -x "$PG_BINDIR/initdb" ]; then
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

maria_missing() {
	if [ -z "$MAODBC" ] || [ ! -f "$MAODBC" ]; then
		echo "MariaDB Connector/ODBC (libmaodbc.so) not found"
	elif [ -n "${MARIADBD:-}" ] && [ ! -x "$MARIADBD" ]; then
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

dbs=()
for db in ${DBS:-sqlite pg mariadb}; do
	case $db in
	sqlite)
		if [ -z "$SQLITE_ODBC" ] || [ ! -f "$SQLITE_ODBC" ]; then
			absent sqlite "SQLite ODBC driver (libsqlite3odbc.so) not found"
			continue
		fi
		odbc_add_sqlite_dsn real_sqlite "$tmp/probes.db"
		;;
	pg)
		why=$(pg_missing)
		if [ -n "$why" ]; then
			absent pg "$why"
			continue
		fi
		start=$SECONDS
		pg_start "$tmp/pg" # stopped (by pid) at exit
		echo "probes.sh: PostgreSQL on 127.0.0.1:$PG_PORT (started in" \
			"$((SECONDS - start)) s)"
		odbc_add_pg_dsn real_pg "$PG_PORT"
		# dblink, so that a borrower can open a connection carrying its
		# credentials (the probe "dblink").
		pg_psql_super -c 'CREATE EXTENSION IF NOT EXISTS dblink' ||
			fail "cannot create the dblink extension (postgresql-contrib)"
		export PROBES_PG_PORT=$PG_PORT
		;;
	mariadb)
		why=$(maria_missing)
		if [ -n "$why" ]; then
			absent mariadb "$why"
			continue
		fi
		start=$SECONDS
		mariadb_start "$tmp/my" # stopped (by pid) at exit
		echo "probes.sh: MariaDB on 127.0.0.1:$MARIADB_PORT (started in" \
			"$((SECONDS - start)) s)"
		odbc_add_mariadb_dsn real_mariadb "$MARIADB_PORT"
		;;
	*) fail "unknown database '$db' in DBS (sqlite, pg, mariadb)" ;;
	esac
	dbs+=("$db")
done
[ "${#dbs[@]}" -gt 0 ] || skip "no database to probe"

nfail=0
jsons=()
for db in "${dbs[@]}"; do
	start=$SECONDS
	log=$tmp/work/$db.log
	timeout "${PROBES_TIMEOUT:-120}" /usr/bin/python3 "$here/probes.py" \
		run "$db" "$tmp/work" >"$log" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] || [ ! -s "$tmp/work/$db.json" ]; then
		[ "$rc" -eq 124 ] && echo "(killed after ${PROBES_TIMEOUT:-120} s)" >>"$log"
		echo "FAIL $db: probes.py run $db exited $rc:"
		sed 's/^/    | /' "$log"
		nfail=$((nfail + 1))
		continue
	fi
	echo "probes.sh: $db probed in $((SECONDS - start)) s"
	jsons+=("$tmp/work/$db.json")
done

if [ "${#jsons[@]}" -gt 0 ]; then
	report=(/usr/bin/python3 "$here/probes.py" report)
	if [ -n "$write_doc" ]; then
		[ -n "${PROBES_COMMIT:-}" ] ||
			PROBES_COMMIT=$(git -C "$top_srcdir" describe --always \
				--dirty 2>/dev/null || true)
		export PROBES_COMMIT
		report+=(--write-doc "$write_doc" --command \
			"DBS=\"${dbs[*]}\" drivers-test/probes.sh --write-doc")
	fi
	"${report[@]}" "${jsons[@]}" || nfail=$((nfail + 1))
fi
if [ "$nfail" -gt 0 ]; then
	echo "probes.sh: FAILED (details of each failing row above; the" \
		"per-probe log is in the work directory, ODBCPOOL_PROBES_KEEP=1)"
	for db in "${dbs[@]}"; do
		[ -f "$tmp/work/$db.log" ] && grep -q Traceback "$tmp/work/$db.log" &&
			sed 's/^/    | /' "$tmp/work/$db.log"
	done
	exit 1
fi
if [ "$nskip" -gt 0 ]; then
	echo "probes.sh: $nskip database(s) skipped (something needed is" \
		"absent; set ODBCPOOL_REQUIRE_ALL=1 to make that a failure)"
	exit 77
fi
echo "probes.sh: no residue"
exit 0
