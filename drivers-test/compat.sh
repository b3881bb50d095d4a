#!/bin/bash
# compat.sh — through the odbcpool driver an application sees what it
# sees directly: the same answers, the same SQLSTATEs, nothing on its
# stderr. Each check runs an ordinary C application
# (drivers-test/client_module) against the real DSN and against an
# odbcpool DSN in front of it, and compares what it printed:
#
#   lookups   one connect through the driver under LD_DEBUG: every name
#             unixODBC looks up in the module is found (failed lookups:
#             expected 0), and the module calls none of its own SQL*
#             entry points through the PLT (such a call binds to the
#             driver manager's function of that name).
#   odbc2     an ODBC 2 application (SQLAllocEnv/Stmt, SQLColAttributes,
#             SQLError, SQLTransact, SQLGet/SetConnectOption,
#             SQLGet/SetStmtOption, SQLExtendedFetch, SQLFreeStmt(DROP),
#             ...): identical output, on SQLite, PostgreSQL and MariaDB.
#   login     a connect the target refuses (PostgreSQL and MariaDB: a
#             wrong password; SQLite: a database it cannot open): the
#             same diagnostic records, SQLSTATEs in the same order, as
#             SQLGetDiagRec and as SQLError read them; and the state
#             Perl's DBD::ODBC reports (the last record's).
#   valgrind  the odbc2 and login runs through the driver under memcheck
#             (ODBCPOOL_VALGRIND=no skips it, as under ASan).
#   log       a situation that makes odbcpool warn (a reset that fails):
#             by default nothing reaches the application's stderr; with
#             `log = FILE` in the pool config the warning is in FILE and
#             not on stderr; with ODBCPOOL_LOG=stderr it is on stderr.
#
# Prints PASS, FAIL (with expected and actual) or SKIP (with the reason)
# per check. Exit 1 on any failure; else 77 if something needed was
# absent (unless ODBCPOOL_REQUIRE_ALL is set, which makes it a failure);
# else 0.
#
# Environment: top_srcdir, top_builddir (set by make check), SQLITE_ODBC,
# PSQLODBCW, MAODBC, PG_BINDIR, MARIADBD (drivers-test/lib.sh), DBS
# (default "sqlite pg mariadb"), ODBCPOOL_REQUIRE_ALL.
set -u -o pipefail

# shellcheck source=drivers-test/lib.sh
. "$(dirname "$0")/lib.sh" # sets here, top_srcdir, top_builddir


module=$top_builddir/.libs/odbcpool_driver.so
client=$top_builddir/drivers-test/client_module
need_built "$module" "$client"

test_tmpdir co
# As root the servers run as another user, who must reach $tmp/pg.
chmod 0711 "$tmp"
mkdir -m 0700 "$tmp/log" || fail "cannot create $tmp/log"
# Whatever the environment of make check says, odbcpool's own default.
unset ODBCPOOL_LOG

odbc_env_init "$tmp/odbc"
odbc_add_pool_driver "$module"

nfail=0
nskip=0
check() { # check STATUS NAME [DETAIL]
	printf '%-4s %-18s %s\n' "$1" "$2" "${*:3}"
	case $1 in
	FAIL) nfail=$((nfail + 1)) ;;
	SKIP) nskip=$((nskip + 1)) ;;
	esac
}
absent() { # absent NAME REASON
	if [ -n "${ODBCPOOL_REQUIRE_ALL:-}" ]; then
		check FAIL "$1" "ODBCPOOL_REQUIRE_ALL is set, but: $2"
	else
		check SKIP "$1" "$2"
	fi
}

# pooled NAME TARGET [POOL_CONFIG]: an odbcpool DSN in front of TARGET.
pooled() {
	odbc_add_pooled_dsn "$1" "$2" "${3:-$tmp/pool.ini}"
}

cat >"$tmp/pool.ini" <<EOF || fail "cannot write pool.ini"
; written by drivers-test/compat.sh
[defaults]
max_connections = 2
EOF

# ------------------------------------------------------------ databases

dbs=()
want=${DBS:-sqlite pg mariadb}
if [[ " $want " == *" sqlite "* ]]; then
	if [ -z "$SQLITE_ODBC" ]; then
		absent sqlite "SQLite ODBC driver (libsqlite3odbc.so) not found"
	else
		odbc_add_sqlite_dsn real_sqlite "$tmp/compat.db"
		pooled pooled_sqlite real_sqlite
		odbc_add_sqlite_dsn bad_sqlite "$tmp/no/such/dir/compat.db"
		pooled pooled_bad_sqlite bad_sqlite
		dbs+=(sqlite)
	fi
fi
if [[ " $want " == *" pg "* ]]; then
	why=$(pg_missing)
	if [ -n "$why" ]; then
		absent pg "$why"
	else
		pg_start "$tmp/pg"
		odbc_add_pg_dsn real_pg "$PG_PORT"
		pooled pooled_pg real_pg
		dbs+=(pg)
	fi
fi
if [[ " $want " == *" mariadb "* ]]; then
	why=$(mariadb_missing)
	if [ -n "$why" ]; then
		absent mariadb "$why"
	else
		mariadb_start "$tmp/my"
		odbc_add_mariadb_dsn real_mariadb "$MARIADB_PORT"
		pooled pooled_mariadb real_mariadb
		dbs+=(mariadb)
	fi
fi

# run_pair NAME DIRECT_ARGS... -- POOLED_ARGS...: runs the client both
# ways, stdout to $tmp/NAME.direct and .pooled, stderr beside them. The
# direct run without LeakSanitizer (ASan build): the driver manager
# unloads the target driver before exit, so LSan can neither name nor
# suppress that driver's one-time allocations, and none is odbcpool's.
run_pair() {
	local name=$1 direct=() pooled=()
	shift
	while [ "$1" != -- ]; do
		direct+=("$1")
		shift
	done
	shift
	pooled=("$@")
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$client" "${direct[@]}" \
		>"$tmp/$name.direct" 2>"$tmp/$name.direct.err"
	"$client" "${pooled[@]}" >"$tmp/$name.pooled" 2>"$tmp/$name.pooled.err"
	pooled_rc=$?
}

# same NAME DIRECT_OUT POOLED_OUT: the two outputs must be equal, and the
# run through odbcpool must have ended well (no sanitizer report).
same() {
	if [ "${pooled_rc:-0}" -ne 0 ]; then
		check FAIL "$1" "the run through odbcpool exited with" \
			"$pooled_rc:"
		sed 's/^/    | /' "${3}.err" | head -n 60
	elif cmp -s "$2" "$3"; then
		check PASS "$1" "($(wc -l <"$2") lines, identical)"
	else
		check FAIL "$1" "directly (<) and through odbcpool (>) differ:"
		diff "$2" "$3" | sed 's/^/    | /'
	fi
}

# -------------------------------------------------------------- lookups

if [ -z "$SQLITE_ODBC" ]; then
	absent lookups "SQLite ODBC driver (libsqlite3odbc.so) not found"
else
	LD_DEBUG=symbols,bindings LD_DEBUG_OUTPUT=$tmp/ld \
		"$client" connect DSN=pooled_sqlite >"$tmp/lookups.out" 2>&1
	# A lookup with dlsym starts in the module itself; a name found is
	# bound to it. libltdl tries odbcpool_driver_LTX_<name> first and
	# <name> only when that fails.
	cat "$tmp"/ld.* | awk -v mod="$module" '
	index($0, "lookup in file=" mod " [0]") {
		s = $0; sub(/.*symbol=/, "", s); sub(/;.*/, "", s); looked[s] = 1
	}
	index($0, " to " mod " [0]: normal symbol `") {
		s = $0; sub(/.*normal symbol `/, "", s); sub(/'"'"'.*/, "", s)
		bound[s] = 1
	}
	END {
		n = 0; failed = 0
		for (s in looked) {
			if (s !~ /^odbcpool_driver_LTX_/)
				continue
			n++
			if (s in bound)
				continue
			failed++; names = names " " s
			p = substr(s, length("odbcpool_driver_LTX_") + 1)
			if (!(p in bound)) {
				failed++; names = names " " p
			}
		}
		printf "%d %d%s\n", n, failed, names
	}' >"$tmp/lookups.txt"
	read -r looked failed names <"$tmp/lookups.txt"
	if ! grep -q '^connect: OK' "$tmp/lookups.out"; then
		check FAIL lookups "the connect failed: $(cat "$tmp/lookups.out")"
	elif [ "${looked:-0}" -lt 100 ]; then
		check FAIL lookups "saw only ${looked:-0} names looked up (LD_DEBUG" \
			"output not understood?)"
	elif [ "$failed" -ne 0 ]; then
		check FAIL lookups "names looked up: $looked; failed lookups per" \
			"connect: $failed, expected 0:${names}"
	else
		check PASS lookups "names looked up: $looked; failed lookups per" \
			"connect: 0 (expected 0)"
	fi
fi
# The module's own SQL* functions, called by name from inside it.
if command -v readelf >/dev/null 2>&1; then
	own=$(readelf -W --dyn-syms "$module" |
		awk '$7 != "UND" && $8 ~ /^SQL/ { print $8 }' | sort -u)
	plt=$(readelf -W -r "$module" | awk '/JUMP_SLOT|GLOB_DAT/ { print $5 }' |
		sed 's/@.*//' | sort -u | comm -12 - <(printf '%s\n' "$own"))
	if [ -n "$plt" ]; then
		check FAIL self-calls "the module calls its own entry points" \
			"through the PLT: $(echo $plt)"
	else
		check PASS self-calls "no own SQL* entry point called through the PLT"
	fi
else
	absent self-calls "readelf not found (binutils)"
fi

# ---------------------------------------------------------------- odbc2

for db in "${dbs[@]}"; do
	run_pair "odbc2-$db" odbc2 "DSN=real_$db" -- odbc2 "DSN=pooled_$db"
	same "odbc2 $db" "$tmp/odbc2-$db.direct" "$tmp/odbc2-$db.pooled"
done

# ---------------------------------------------------------------- login

for db in "${dbs[@]}"; do
	case $db in
	sqlite) direct=DSN=bad_sqlite pooled=DSN=pooled_bad_sqlite ;;
	*)
		direct="DSN=real_$db;UID=odbcpool;PWD=wrong-password"
		pooled="DSN=pooled_$db;UID=odbcpool;PWD=wrong-password"
		;;
	esac
	run_pair "login-$db" connect "$direct" -- connect "$pooled"
	if grep -q '^connect: OK' "$tmp/login-$db.direct"; then
		check FAIL "login $db" "the direct connect did not fail"
		continue
	fi
	same "login $db" "$tmp/login-$db.direct" "$tmp/login-$db.pooled"
	sed 's/^/    direct: /' "$tmp/login-$db.direct"
done
# The same with Perl's DBD::ODBC, which reports the state of the last
# record: $DBI::state must be the target's.
if nm -D --undefined-only "$module" 2>/dev/null | grep ' __asan_' >/dev/null; then
	# perl is not built with ASan and cannot load an ASan-built module;
	# the plain build runs this.
	echo "compat.sh: login dbi not run: the module is built with ASan"
elif ! perl -MDBI -MDBD::ODBC -e 1 2>/dev/null; then
	absent "login dbi" "Perl DBD::ODBC not found (libdbd-odbc-perl)"
else
	for db in "${dbs[@]}"; do
		[ "$db" = sqlite ] && continue
		for how in real pooled; do
			# shellcheck disable=SC2016
			perl -MDBI -e 'DBI->connect("dbi:ODBC:DSN=$ARGV[0]", "odbcpool",
				"wrong-password", {PrintError => 0, RaiseError => 0});
				print "state $DBI::state\n"' "${how}_$db" \
				>"$tmp/dbi-$db.$how" 2>&1
		done
		pooled_rc=0
		same "login dbi $db" "$tmp/dbi-$db.real" "$tmp/dbi-$db.pooled"
		sed 's/^/    direct: /' "$tmp/dbi-$db.real"
	done
fi

# ------------------------------------------------------------- valgrind

# The ODBC 2 path and a refused connect through the driver, under
# memcheck: errors and definite leaks fail (third-party reports are
# suppressed in drivers-test/valgrind.supp, each with its reason).
if [ "${ODBCPOOL_VALGRIND:-yes}" = no ]; then
	echo "compat.sh: valgrind run skipped (ODBCPOOL_VALGRIND=no)"
elif ! command -v valgrind >/dev/null 2>&1; then
	absent valgrind "valgrind not found"
elif [ -z "$SQLITE_ODBC" ]; then
	absent valgrind "SQLite ODBC driver (libsqlite3odbc.so) not found"
else
	vg=(valgrind -q --error-exitcode=99 --leak-check=full
		--errors-for-leak-kinds=definite --show-leak-kinds=definite
		--num-callers=30 --suppressions="$here/valgrind.supp")
	for args in "odbc2 DSN=pooled_sqlite" "connect DSN=pooled_bad_sqlite"; do
		# shellcheck disable=SC2086
		"${vg[@]}" "$client" $args >"$tmp/vg.out" 2>"$tmp/vg.err"
		rc=$?
		if [ "$rc" -ne 0 ]; then
			check FAIL "valgrind ${args%% *}" "exit $rc:"
			sed 's/^/    | /' "$tmp/vg.err" | head -n 60
		else
			check PASS "valgrind ${args%% *}" "no memory error, no definite leak"
		fi
	done
fi

# ------------------------------------------------------------------ log

# A reset that fails makes the pool warn ("reset of connection N failed,
# closing it"); max_connections = 1, so the application's second connect
# waits for that reset, and the warning is written while it runs.
warn_pool() { # warn_pool FILE [log = ...]
	{
		echo "; written by drivers-test/compat.sh"
		echo "[defaults]"
		echo "max_connections = 1"
		[ -n "${2:-}" ] && echo "$2"
		echo
		echo "[real_sqlite]"
		echo "reset_sql = SELECT * FROM compat_no_such_table"
	} >"$1" || fail "cannot write $1"
}
if [ -z "$SQLITE_ODBC" ]; then
	absent log "SQLite ODBC driver (libsqlite3odbc.so) not found"
else
	warn_pool "$tmp/warn.ini"
	warn_pool "$tmp/warn-file.ini" "log = $tmp/log/odbcpool.log"
	pooled warn_sqlite real_sqlite "$tmp/warn.ini"
	pooled warn_file_sqlite real_sqlite "$tmp/warn-file.ini"
	warning='reset of connection [0-9]* failed'
	# Asked for: on stderr (so the situation does make odbcpool warn).
	ODBCPOOL_LOG=stderr "$client" odbc2 DSN=warn_sqlite \
		>"$tmp/log-env.out" 2>"$tmp/log-env.err"
	if grep -q "$warning" "$tmp/log-env.err"; then
		check PASS "log env" "ODBCPOOL_LOG=stderr: the warning is on stderr"
	else
		check FAIL "log env" "ODBCPOOL_LOG=stderr: expected the warning" \
			"'$warning' on stderr, got: $(head -c 600 "$tmp/log-env.err")"
	fi
	# By default: nothing on the application's stderr.
	"$client" odbc2 DSN=warn_sqlite >"$tmp/log-default.out" \
		2>"$tmp/log-default.err"
	if [ -s "$tmp/log-default.err" ]; then
		check FAIL "log default" "expected an empty stderr, got:" \
			"$(head -c 600 "$tmp/log-default.err")"
	elif ! grep -q '^rows of SELECT 1: 1' "$tmp/log-default.out"; then
		check FAIL "log default" "the client did not run through:" \
			"$(tail -n 3 "$tmp/log-default.out")"
	else
		check PASS "log default" "stderr empty (0 bytes)"
	fi
	# log = FILE: the warning is in FILE (mode 0600), not on stderr.
	"$client" odbc2 DSN=warn_file_sqlite >"$tmp/log-file.out" \
		2>"$tmp/log-file.err"
	mode=$(stat -c %a "$tmp/log/odbcpool.log" 2>/dev/null)
	if [ -s "$tmp/log-file.err" ]; then
		check FAIL "log file" "expected an empty stderr, got:" \
			"$(head -c 600 "$tmp/log-file.err")"
	elif ! grep -q "odbcpool\[[0-9]*\]: warning: .*$warning" \
		"$tmp/log/odbcpool.log" 2>/dev/null; then
		check FAIL "log file" "expected the warning in the log file, got:" \
			"$(head -c 600 "$tmp/log/odbcpool.log" 2>&1)"
	elif [ "$mode" != 600 ]; then
		check FAIL "log file" "the log file has mode $mode, expected 600"
	else
		check PASS "log file" "stderr empty; the warning in the file" \
			"(mode $mode): $(grep -m 1 "$warning" "$tmp/log/odbcpool.log" |
				cut -c 1-100)"
	fi
fi

echo
if [ "$nfail" -gt 0 ]; then
	echo "compat.sh: $nfail FAILED"
	exit 1
fi
if [ "$nskip" -gt 0 ]; then
	echo "compat.sh: $nskip skipped (something needed is absent; set" \
		"ODBCPOOL_REQUIRE_ALL=1 to make that a failure)"
	exit 77
fi
echo "compat.sh: all checks passed"
