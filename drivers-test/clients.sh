#!/bin/bash
# clients.sh — real client programs, unchanged, through the odbcpool
# driver: isql and iusql (unixODBC), pyodbc, Perl DBI with DBD::ODBC,
# PHP's odbc extension and a C program with 16 threads, each against
# SQLite (sqlite3odbc) and PostgreSQL (psqlODBC, a throwaway server).
#
# Every client runs the same checks against the real DSN and against an
# odbcpool DSN in front of it and compares what it collected; through
# the pool it also proves, from the pool's stats_file, that the physical
# connection was reused, and that a personal datum one request left in
# the session is gone in the next request on that same connection.
#
#   odbc.ini:  real_sqlite  (SQLite3, Threading = 3)
#              pooled_sqlite (ODBCPool, TargetDSN = real_sqlite)
#              real_pg      (PostgreSQL Unicode), pooled_pg (ODBCPool)
#   pool.ini:  the targets with max_connections = 1, so every request of
#              a sequential client provably runs on the one connection;
#   pool-threads.ini: the same with max_connections = 4, for the C client
#              (16 threads), which names it with PoolConfig= in its
#              connection string.
#
# Prints one line per client and database: PASS, FAIL (with the client's
# output: the failing check, expected and actual) or SKIP (with the
# reason). Exit 1 on any failure; else 77 if something needed was absent
# (a client, psqlODBC, the PostgreSQL server), unless ODBCPOOL_REQUIRE_ALL
# is set, which turns absence into failure; else 0.
#
# Environment: top_srcdir, top_builddir (set by make check; default: the
# source tree and the current directory), SQLITE_ODBC, PSQLODBCW,
# PG_BINDIR (drivers-test/lib.sh), CLIENTS (the clients to run, default
# "isql iusql pyodbc dbi php threads"), DBS (default "sqlite pg"),
# CLIENT_LOOPS (connect/disconnect requests per client, default 30),
# CLIENT_TIMEOUT (seconds per client run, default 120), CLIENT_THREADS and
# CLIENT_ITERATIONS (the C client), ODBCPOOL_CLIENTS_KEEP=1 (keep the
# temporary directory and print its path), ODBCPOOL_CLIENTS_VALGRIND=1
# (also run the C client under valgrind, client "valgrind": definite
# leaks and memory errors fail; CLIENT_VALGRIND_ITERATIONS, default 2).
set -u -o pipefail

# shellcheck source=drivers-test/lib.sh
. "$(dirname "$0")/lib.sh" # sets here, top_srcdir, top_builddir


module=$top_builddir/.libs/odbcpool_driver.so
need_built "$module"
for f in data/reset/sqlite.sql data/reset/postgresql.sql; do
	[ -r "$top_srcdir/$f" ] || fail "$top_srcdir/$f not found"
done

test_tmpdir cl ODBCPOOL_CLIENTS_KEEP
# As root the server runs as another user, who must reach $tmp/pg.
chmod 0711 "$tmp"
mkdir -p "$tmp/stats" "$tmp/log" || fail "cannot create $tmp/stats"

# odbcpool's warnings into each client's log (shown when it fails), as
# an operator debugging would ask for them: by default they go to syslog.
export ODBCPOOL_LOG=${ODBCPOOL_LOG:-stderr}

# Text in and out of the clients is UTF-8 (Perl, PHP and isql pass bytes).
export LC_ALL=C.UTF-8
unset LANGUAGE

odbc_env_init "$tmp/odbc"
odbc_add_pool_driver "$module"

# ------------------------------------------------------------ results

results=()
nfail=0
nskip=0

# result STATUS CLIENT DB [DETAIL]: one line of the summary.
result() {
	local line
	line=$(printf '%-4s %-8s %-7s %s' "$1" "$2" "$3" "${4:-}")
	results+=("$line")
	printf '%s\n' "$line"
	case $1 in
	FAIL) nfail=$((nfail + 1)) ;;
	SKIP) nskip=$((nskip + 1)) ;;
	esac
}

# absent CLIENT DB REASON: something needed is missing.
absent() {
	if [ -n "${ODBCPOOL_REQUIRE_ALL:-}" ]; then
		result FAIL "$1" "$2" "ODBCPOOL_REQUIRE_ALL is set, but: $3"
	else
		result SKIP "$1" "$2" "$3"
	fi
}

# ------------------------------------------------------------ databases

dbs=()
want_dbs=${DBS:-sqlite pg}

if [[ " $want_dbs " == *" sqlite "* ]]; then
	if [ -z "$SQLITE_ODBC" ] || [ ! -f "$SQLITE_ODBC" ]; then
		absent all sqlite "SQLite ODBC driver (libsqlite3odbc.so) not found"
	else
		odbc_add_sqlite_dsn real_sqlite "$tmp/clients.db"
		odbc_add_pooled_dsn pooled_sqlite real_sqlite "$tmp/pool.ini"
		dbs+=(sqlite)
	fi
fi

if [[ " $want_dbs " == *" pg "* ]]; then
	why=$(pg_missing)
	if [ -n "$why" ]; then
		absent all pg "$why"
	else
		pg_start "$tmp/pg" # stopped (by pid) at exit
		odbc_add_pg_dsn real_pg "$PG_PORT"
		odbc_add_pooled_dsn pooled_pg real_pg "$tmp/pool.ini"
		dbs+=(pg)
	fi
fi

# ------------------------------------------------------------ pool config

# Residue the resets must have erased (as in sqlite.sh, postgresql.sh).
verify_sqlite=$(sqlite_verify_query)
verify_pg=$(pg_verify_query)

# write_pool_config FILE MAX_CONNECTIONS STATS_FILE
write_pool_config() {
	cat >"$1" <<EOF || fail "cannot write $1"
; written by drivers-test/clients.sh
[defaults]
borrow_timeout = 30s
reset_workers = 2
stats_file = $3

[real_sqlite]
max_connections = $2
verify_query = $verify_sqlite

[real_pg]
max_connections = $2
verify_query = $verify_pg
EOF
}
write_pool_config "$tmp/pool.ini" 1 "$tmp/stats/%p.prom"
write_pool_config "$tmp/pool-threads.ini" 4 "$tmp/stats/threads-%p.prom"
write_pool_config "$tmp/pool-seq.ini" 4 "$tmp/stats/seq-%p.prom"
# Without a verify query, so that the light reset can apply.
sed -i '/^verify_query = /d' "$tmp/pool-seq.ini" ||
	fail "cannot write $tmp/pool-seq.ini"
[ -n "${CLIENT_SEQ_EXTRA:-}" ] && echo "$CLIENT_SEQ_EXTRA" >>"$tmp/pool-seq.ini"

# ------------------------------------------------------------ clients

# client_missing CLIENT: why CLIENT cannot run (empty: it can).
client_missing() {
	case $1 in
	isql | iusql)
		command -v "$1" >/dev/null 2>&1 || echo "$1 not found (unixodbc)"
		;;
	pyodbc)
		if [ ! -x /usr/bin/python3 ]; then
			echo "/usr/bin/python3 not found"
		elif ! /usr/bin/python3 -c 'import pyodbc' 2>/dev/null; then
			echo "pyodbc not importable by /usr/bin/python3" \
				"(python3-pyodbc)"
		fi
		;;
	dbi)
		perl -MDBI -MDBD::ODBC -e 1 2>/dev/null ||
			echo "Perl DBD::ODBC not found (libdbd-odbc-perl)"
		;;
	php)
		if ! command -v php >/dev/null 2>&1; then
			echo "php not found (php-cli)"
		elif ! php -r 'exit(function_exists("odbc_connect") ? 0 : 1);'; then
			echo "PHP odbc extension not loaded (php-odbc)"
		fi
		;;
	threads)
		[ -x "$top_builddir/drivers-test/client_threads" ] ||
			echo "$top_builddir/drivers-test/client_threads not built" \
				"(make check builds it)"
		;;
	valgrind)
		if ! command -v valgrind >/dev/null 2>&1; then
			echo "valgrind not found"
		else
			client_missing threads
		fi
		;;
	*) echo "unknown client $1" ;;
	esac
}

# client_cmd CLIENT DB: sets cmd to the command that runs CLIENT on DB.
cmd=()
client_cmd() {
	local c=$1 db=$2
	local direct=real_$db pooled=pooled_$db stats=$tmp/stats/%p.prom
	case $c in
	isql | iusql)
		cmd=(bash "$here/client_isql.sh" "$c" "$db" "$direct" "$pooled"
			"$stats") ;;
	pyodbc)
		# Also a 200-request sequential loop on a pool of 4 (reset_wait).
		cmd=(env "CLIENT_SEQ_CONFIG=$tmp/pool-seq.ini"
			"CLIENT_SEQ_STATS=$tmp/stats/seq-%p.prom"
			/usr/bin/python3 "$here/client_pyodbc.py" "$db" "$direct"
			"$pooled" "$stats") ;;
	dbi)
		cmd=(perl "$here/client_dbi.pl" "$db" "$direct" "$pooled" "$stats") ;;
	php)
		cmd=(php "$here/client_php.php" "$db" "$direct" "$pooled" "$stats") ;;
	threads | valgrind)
		cmd=("$top_builddir/drivers-test/client_threads" "$db" "DSN=$direct"
			"DSN=$pooled;PoolConfig=$tmp/pool-threads.ini"
			"$tmp/stats/threads-%p.prom") ;;
	esac
	if [ "$c" = valgrind ]; then
		# Reports from third-party libraries are suppressed in
		# drivers-test/valgrind.supp, each with a reason.
		local supp=() run=()
		[ -f "$here/valgrind.supp" ] &&
			supp=(--suppressions="$here/valgrind.supp")
		if [ "$(head -c 2 "${cmd[0]}")" = '#!' ] &&
			[ -x "$top_builddir/libtool" ]; then
			run=("$top_builddir/libtool" --mode=execute)
		fi
		cmd=(env "CLIENT_ITERATIONS=${CLIENT_VALGRIND_ITERATIONS:-2}"
			CLIENT_QUICK=2 "${run[@]}" valgrind -q --error-exitcode=99
			--leak-check=full --errors-for-leak-kinds=definite
			--show-leak-kinds=definite --num-callers=30 "${supp[@]}" "${cmd[@]}")
	fi
}

total_start=$SECONDS
default_clients="isql iusql pyodbc dbi php threads"
[ -n "${ODBCPOOL_CLIENTS_VALGRIND:-}" ] && default_clients+=" valgrind"
for c in ${CLIENTS:-$default_clients}; do
	why=$(client_missing "$c")
	if [ -n "$why" ]; then
		for db in "${dbs[@]}"; do
			absent "$c" "$db" "$why"
		done
		continue
	fi
	for db in "${dbs[@]}"; do
		log=$tmp/log/$c-$db.log
		start=$SECONDS
		client_cmd "$c" "$db"
		timeout "${CLIENT_TIMEOUT:-120}" "${cmd[@]}" >"$log" 2>&1
		rc=$?
		secs=$((SECONDS - start))
		summary=$(grep '^client_[a-z]* ' "$log" | tail -n 1)
		grep -h 'sequential loop' "$log"
		if [ "$rc" -eq 0 ]; then
			result PASS "$c" "$db" "(${secs} s) $summary"
		else
			[ "$rc" -eq 124 ] &&
				echo "(killed after ${CLIENT_TIMEOUT:-120} s)" >>"$log"
			first=$(grep -m 1 -E '^FAIL|definitely lost|Invalid (read|write)|uninitialised|Process terminating' \
				"$log" | cut -c 1-160)
			result FAIL "$c" "$db" "(${secs} s, exit $rc) ${first:-see below}"
			echo "    | \$ ${cmd[*]}"
			sed 's/^/    | /' "$log"
		fi
	done
done

echo
echo "clients.sh: summary ($((SECONDS - total_start)) s for the clients):"
printf '  %s\n' "${results[@]}"
if [ "$nfail" -gt 0 ]; then
	echo "clients.sh: $nfail FAILED"
	exit 1
fi
if [ "$nskip" -gt 0 ]; then
	echo "clients.sh: $nskip skipped (something needed is absent; set" \
		"ODBCPOOL_REQUIRE_ALL=1 to make that a failure)"
	exit 77
fi
echo "clients.sh: all passed"
exit 0
