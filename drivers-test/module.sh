#!/bin/bash
# module.sh — checks through the odbcpool driver module with an ordinary
# C application (drivers-test/client_module), against SQLite:
#
#   exit      EXIT_RUNS (100) processes with [audit] on, each opening 4
#             connections, returning them and exiting at once while the
#             reset workers still erase and audit them: none may crash,
#             and `odbcpool audit verify --genesis` must find the trail
#             intact afterwards, with a record from every process.
#   setparam  an ODBC 2 application's SQLSetParam, through the pool and
#             directly: both must insert and read back the row.
#   memscan   after the application connected (SQLDriverConnect[W],
#             SQLConnect[W]) and disconnected, no heap block freed by
#             odbcpool may still hold the password it was given (the
#             counts of the driver manager and the target driver, which
#             odbcpool cannot wipe, are printed with it).
#
# Environment: top_srcdir, top_builddir (set by make check), SQLITE_ODBC,
# EXIT_RUNS (100), ODBCPOOL_REQUIRE_ALL (absence fails instead of skips).
set -u -o pipefail

# shellcheck source=drivers-test/lib.sh
. "$(dirname "$0")/lib.sh" # sets here, top_srcdir, top_builddir


module=$top_builddir/.libs/odbcpool_driver.so
client=$top_builddir/drivers-test/client_module
cli=$top_builddir/odbcpool
need_built "$module" "$client" "$cli"

test_tmpdir mod
mkdir -m 0700 "$tmp/audit" || fail "cannot create $tmp/audit"

odbc_env_init "$tmp/odbc"
need_drivers sqlite
odbc_add_pool_driver "$module"
odbc_add_sqlite_dsn real_sqlite "$tmp/module.db"
odbc_add_pooled_dsn pooled_sqlite real_sqlite "$tmp/pool.ini"

head -c 32 /dev/urandom >"$tmp/audit.key" && chmod 600 "$tmp/audit.key" ||
	fail "cannot write the audit key"
cat >"$tmp/pool.ini" <<EOF
; written by drivers-test/module.sh
[defaults]
max_connections = 4
reset_workers = 2

[audit]
path = $tmp/audit/audit.log
key_file = $tmp/audit.key

[real_sqlite]
reset_script = $top_srcdir/data/reset/sqlite.sql
; A reset that takes a while (~20 ms): the process exits while it runs.
reset_sql = WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT count(*) FROM c
EOF

nfail=0
check_fail() {
	printf 'FAIL: %s\n' "$*" >&2
	nfail=$((nfail + 1))
}

# ---------------------------------------------------------------- exit
runs=${EXIT_RUNS:-100}
crashes=0
bad=0
start=$SECONDS
for ((i = 1; i <= runs; i++)); do
	"$client" exit "DSN=pooled_sqlite;UID=user$i" 4 >"$tmp/exit.out" 2>&1
	rc=$?
	if [ "$rc" -ge 128 ]; then
		crashes=$((crashes + 1))
		[ "$crashes" -le 3 ] &&
			echo "module.sh: exit run $i: killed by signal $((rc - 128))"
	elif [ "$rc" -ne 0 ]; then
		bad=$((bad + 1))
		[ "$bad" -le 3 ] && sed "s/^/module.sh: exit run $i: /" "$tmp/exit.out"
	fi
done
echo "module.sh: exit: $runs runs in $((SECONDS - start)) s: $crashes crashed," \
	"$bad failed otherwise (expected 0 and 0)"
[ "$crashes" -eq 0 ] || check_fail "exit: $crashes of $runs runs crashed"
[ "$bad" -eq 0 ] || check_fail "exit: $bad of $runs runs failed"
if ! "$cli" audit verify --config "$tmp/pool.ini" --genesis >"$tmp/verify.out" \
	2>&1; then
	sed 's/^/module.sh: verify: /' "$tmp/verify.out"
	check_fail "exit: odbcpool audit verify does not find the trail intact"
else
	tail -n 3 "$tmp/verify.out" | sed 's/^/module.sh: verify: /'
fi
# Every process wrote its records: 4 borrows, 4 returns each.
pids=$(grep -ho '"event":"return","pid":[0-9]*' "$tmp"/audit/audit.log* |
	sort -u | wc -l)
echo "module.sh: exit: processes with return records: $pids (expected $runs)"
[ "$pids" -eq "$runs" ] ||
	check_fail "exit: $pids processes left return records, expected $runs"
# Each process's loss marker goes with it when it lost nothing.
markers=$(find "$tmp/audit" -name '.audit.log.lost.*' | wc -l)
echo "module.sh: exit: loss markers left: $markers (expected 0)"
[ "$markers" -eq 0 ] || check_fail "exit: $markers loss markers left behind"
if grep -q '"mac":"0000000000000000' "$tmp"/audit/audit.log*; then
	check_fail "exit: a record with an all-zero MAC was written"
fi

# ------------------------------------------------------------ setparam
for target in real_sqlite pooled_sqlite; do
	# Directly, the driver manager unloads sqlite3odbc before exit, so
	# LeakSanitizer (ASan build) cannot name, nor a suppression match, the
	# driver's one-time allocations it reports then: not odbcpool's.
	leaks=1
	[ "$target" = real_sqlite ] && leaks=0
	out=$(ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=$leaks" \
		"$client" setparam "DSN=$target" 2>&1)
	echo "module.sh: setparam $target: $out"
	case $out in
	*"setparam: OK 42 'Erika'"*) ;;
	*) check_fail "setparam through $target: expected \"setparam: OK 42" \
		"'Erika'\", got \"$out\"" ;;
	esac
done

# ------------------------------------------------------------- memscan
pw=Pw-5e1f0c2b9d77
# PWD=, and Password= as psqlODBC and MariaDB also name it.
for kw in PWD Password; do
	out=$("$client" memscan "DSN=pooled_sqlite;UID=erika;$kw=$pw" "$pw" 2>&1)
	rc=$?
	if [ "$rc" -eq 77 ]; then
		echo "module.sh: memscan skipped: $out"
	elif [ "$rc" -ne 0 ]; then
		check_fail "memscan: exit $rc: $out"
	else
		printf '%s\n' "$out" | sed "s/^/module.sh: memscan ($kw=): /"
		own=$(printf '%s\n' "$out" |
			awk '$1 == "odbcpool_driver.so" { print $3 + $5 }')
		own=${own:-0}
		echo "module.sh: memscan: copies of the password odbcpool freed" \
			"unwiped or still holds: $own (expected 0)"
		[ "$own" -eq 0 ] ||
			check_fail "memscan ($kw=): odbcpool left $own copies of the" \
				"password"
	fi
done

[ "$nfail" -eq 0 ] || fail "$nfail check(s) failed"
echo "module.sh: all checks passed"
