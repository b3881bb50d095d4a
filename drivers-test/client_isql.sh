#!/bin/bash
# client_isql.sh — unixODBC's isql or iusql, unchanged, through the odbcpool
# driver: the same SQL script run against the direct DSN and against the
# odbcpool DSN must print the same (data types, Unicode, NULL, catalog
# output of "help TABLE", and errors: same SQLSTATE and text).
#
# Usage: client_isql.sh isql|iusql sqlite|pg DIRECT_DSN POOLED_DSN STATS_PATTERN
#   STATS_PATTERN  the pool's stats_file, %p standing for the process id
# Environment: CLIENT_RUNS (pooled runs per variant, default 5),
#   CLIENT_VERBOSE=1 (print the direct output).
#
# isql makes one connection per process, so "a loop of requests" is a
# loop of processes, and each process has its own pool: the stats_file of
# each pooled run must show one borrow and one physical connect (proof
# that the run went through odbcpool), not reuse across runs. For the
# same reason the erasure check (one request, then the next on the same
# connection) is left to the other clients.
#
# Two variants, each compared direct with pooled:
#   odbc2  the defaults: ODBC 2 environment, SQLConnect(W),
#          SQLPrepare(W)/SQLExecute
#   odbc3  isql -3 -k -e: ODBC 3 environment, SQLDriverConnect,
#          SQLExecDirect
#   exec   iusql -e (iusql has no -3 or -k): SQLExecDirectW
# isql prints an error as [SQLSTATE]text, iusql the text alone.
#
# iusql (unixODBC 2.3.11) widens each input byte to one SQLWCHAR and
# narrows each output SQLWCHAR to one byte: UTF-8 text typed into it
# reaches the database as Latin-1 mojibake (length('北京') is 6), and text
# the database holds prints as one byte per character. That is iusql's
# own conversion, the same direct and pooled; what is compared is that
# pooled equals direct.
set -u -o pipefail

PROG=client_isql
if [ $# -ne 5 ] || { [ "$1" != isql ] && [ "$1" != iusql ]; } ||
	{ [ "$2" != sqlite ] && [ "$2" != pg ]; }; then
	echo "usage: $PROG isql|iusql sqlite|pg DIRECT_DSN POOLED_DSN STATS_PATTERN" >&2
	exit 2
fi
tool=$1 db=$2 direct=$3 pooled=$4 stats=$5
runs=${CLIENT_RUNS:-5}
table=cl_$tool
failures=()

fail() {
	failures+=("$PROG [$tool $db]: $*")
}

work=$(mktemp -d "${TMPDIR:-/tmp}/odbcpool-isql.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

uni='Zoë Müller 北京 😀'
# sqlite3odbc 0.9998 mangles characters outside the BMP in SQL text
# (direct as well; see client_pyodbc.py): SQLite's literal has none.
[ "$db" = sqlite ] && uni_lit='Zoë Müller 北京' || uni_lit=$uni

# The table the script reads, made through the direct DSN.
cat >"$work/setup.sql" <<EOF
DROP TABLE IF EXISTS $table
CREATE TABLE $table (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, born DATE, amount DECIMAL(10,2), note VARCHAR(200))
INSERT INTO $table VALUES (1, '$uni', '2001-02-03', 12.5, NULL)
INSERT INTO $table VALUES (2, 'Otto', NULL, NULL, 'a ''quoted'' note')
INSERT INTO $table VALUES (3, 'Erika Mustermann', '1964-08-12', -0.5, '')
EOF

# The script: one statement a line (isql's batch mode).
{
	if [ "$db" = pg ]; then
		echo "SELECT 42 AS i, -2147483648 AS imin, 9223372036854775807 AS big, CAST(12345.6789 AS NUMERIC(12,4)) AS dec, 2.5E0 AS dbl, DATE '2024-02-29' AS dt, TIME '13:45:30' AS tm, TIMESTAMP '2024-02-29 13:45:30.123' AS ts, CAST(NULL AS INTEGER) AS nul"
		echo "SELECT 1 AS a; SELECT 'zwei' AS b, 2 AS c"
	else
		echo "SELECT 42 AS i, -2147483648 AS imin, 9223372036854775807 AS big, 12345.6789 AS dec, 2.5E0 AS dbl, date('2024-02-29') AS dt, time('13:45:30') AS tm, NULL AS nul"
	fi
	echo "SELECT '$uni_lit' AS uni, length('$uni_lit') AS len"
	echo "SELECT id, name, length(name) AS len, born, amount, note FROM $table ORDER BY id"
	echo "SELECT name FROM $table WHERE born < '1970-01-01'"
	echo "SELECT * FROM nosuch"
	echo "SELEC 1"
	echo "help $table"
} >"$work/query.sql"

# isql_run OUT DSN OPTION...: runs the tool on query.sql (or $script),
# output (stdout and stderr) to OUT; sets run_pid to its process id.
script=$work/query.sql
run_pid=
isql_run() {
	local out=$1 dsn=$2
	shift 2
	"$tool" "$dsn" -b -v -d'|' -c "$@" <"$script" >"$out" 2>&1 &
	run_pid=$!
	wait "$run_pid"
}

# stats_of PID: "borrows connects" from that process's stats_file (each
# counter summed over the DSN lines), waiting up to 3 s for the file.
stats_of() {
	local file=${stats//%p/$1} i
	for ((i = 0; i < 30; i++)); do
		[ -f "$file" ] && break
		sleep 0.1
	done
	awk '/^odbcpool_borrows_total\{/ { b += $2 }
	     /^odbcpool_connects_total\{/ { c += $2 }
	     END { printf "%d %d\n", b, c }' "$file" 2>/dev/null || echo "none none"
}

script=$work/setup.sql
isql_run "$work/setup.out" "$direct" || {
	echo "FAIL: $PROG [$tool $db]: setup through $direct failed:"
	cat "$work/setup.out"
	exit 1
}
script=$work/query.sql

start=$SECONDS
npooled=0
if [ "$tool" = isql ]; then
	variants=(odbc2 odbc3)
else
	variants=(odbc2 exec)
fi
for variant in "${variants[@]}"; do
	opts=()
	direct_arg=$direct pooled_arg=$pooled
	case $variant in
	odbc3)
		opts=(-3 -k -e)
		direct_arg="DSN=$direct" pooled_arg="DSN=$pooled"
		;;
	exec) opts=(-e) ;;
	esac
	isql_run "$work/direct-$variant.out" "$direct_arg" "${opts[@]}"
	if [ -n "${CLIENT_VERBOSE:-}" ]; then
		echo "--- $PROG $tool $db $variant, direct:"
		cat "$work/direct-$variant.out"
	fi

	# The errors pass through with the driver's SQLSTATE and text.
	case $tool/$db/$variant in
	isql/sqlite/odbc2) want='[S1000][SQLite]no such table: nosuch' ;;
	isql/sqlite/odbc3) want='[HY000][SQLite]no such table: nosuch' ;;
	isql/pg/*) want='[42P01]ERROR: relation "nosuch" does not exist' ;;
	iusql/sqlite/*) want='[SQLite]no such table: nosuch' ;;
	iusql/pg/*) want='ERROR: relation "nosuch" does not exist' ;;
	esac
	grep -qF "$want" "$work/direct-$variant.out" ||
		fail "$variant direct: no line with '$want' (see output below)"

	for ((r = 1; r <= runs; r++)); do
		out=$work/pooled-$variant-$r.out
		isql_run "$out" "$pooled_arg" "${opts[@]}"
		npooled=$((npooled + 1))
		if ! cmp -s "$work/direct-$variant.out" "$out"; then
			d=$(diff -u --label "direct ($direct)" \
				--label "pooled ($pooled)" "$work/direct-$variant.out" "$out")
			if [ "$d" = "${last_diff:-}" ]; then
				fail "$variant run $r: pooled output differs from direct," \
					"as in the run before"
			else
				fail "$variant run $r: pooled output differs from direct:"$'\n'"$d"
			fi
			last_diff=$d
		fi
		read -r borrows connects <<<"$(stats_of "$run_pid")"
		if [ "$borrows" != 1 ] || [ "$connects" != 1 ]; then
			fail "$variant run $r (pid $run_pid): stats ${stats//%p/$run_pid}:" \
				"expected borrows_total=1 connects_total=1, got" \
				"borrows_total=$borrows connects_total=$connects"
		fi
	done
done

script=$work/drop.sql
echo "DROP TABLE $table" >"$script"
isql_run "$work/drop.out" "$direct"

echo "$PROG $tool $db: 2 variants (${variants[*]}), each direct once and" \
	"pooled $runs times, $npooled pooled runs in $((SECONDS - start)) s;" \
	"output compared line by line"
if [ ${#failures[@]} -gt 0 ]; then
	printf 'FAIL: %s\n' "${failures[@]}"
	for variant in "${variants[@]}"; do
		echo "--- direct output, $variant:"
		cat "$work/direct-$variant.out"
	done
	exit 1
fi
exit 0
