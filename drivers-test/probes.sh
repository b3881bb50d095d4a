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

# shellcheck source=drivers-test/lib.sh
. "$(dirname "$0")/lib.sh" # sets here, top_srcdir, top_builddir
export top_srcdir

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
need_built "$module"
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 not found"
/usr/bin/python3 -c 'import pyodbc' 2>/dev/null ||
	skip "pyodbc not importable by /usr/bin/python3 (python3-pyodbc)"

test_tmpdir pr ODBCPOOL_PROBES_KEEP
# As root the servers run as other users, who must reach $tmp/pg, $tmp/my.
chmod 0711 "$tmp"
mkdir -p "$tmp/work" || fail "cannot create $tmp/work"
export LC_ALL=C.UTF-8
unset LANGUAGE

odbc_env_init "$tmp/odbc"
odbc_add_pool_driver "$module"

nskip=0
absent() {
	if [ -n "${ODBCPOOL_REQUIRE_ALL:-}" ]; then
		fail "ODBCPOOL_REQUIRE_ALL is set, but: $1: $2"
	fi
	echo "SKIP $1: $2"
	nskip=$((nskip + 1))
}

# A missing server must not end the script (pg_start and mariadb_start
# would skip it): lib.sh's pg_missing and mariadb_missing check first.
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
		pg_start "$tmp/pg" # stopped (by pid) at exit
		odbc_add_pg_dsn real_pg "$PG_PORT"
		# dblink, so that a borrower can open a connection carrying its
		# credentials (the probe "dblink").
		pg_psql_super -c 'CREATE EXTENSION IF NOT EXISTS dblink' ||
			fail "cannot create the dblink extension (postgresql-contrib)"
		export PROBES_PG_PORT=$PG_PORT
		;;
	mariadb)
		why=$(mariadb_missing)
		if [ -n "$why" ]; then
			absent mariadb "$why"
			continue
		fi
		mariadb_start "$tmp/my" # stopped (by pid) at exit
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
