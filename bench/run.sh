#!/bin/bash
# run.sh — compare the legacy request cycle and the pass-through cost of
# three set-ups, on SQLite and on a throwaway PostgreSQL server:
#
#   direct    the application connects to the real DSN every request;
#   odbcpool  the application connects to a DSN served by the odbcpool
#             driver module (built in BUILDDIR), with the full reset: the
#             shipped data/reset/*.sql script per database (verify_query
#             off);
#   unixodbc  the real DSN, pooled by unixODBC itself ([ODBC] Pooling = Yes
#             and CPTimeout = 60 on the target driver in odbcinst.ini). It
#             erases nothing between borrowers: the baseline to beat.
#
# Usage: bench/run.sh [BUILDDIR]
#   BUILDDIR: a configured and built odbcpool build directory (make builds
#   bench/odbcbench and .libs/odbcpool_driver.so); default $BUILD, else
#   ../build/plain relative to the repository. run.sh builds nothing.
#
# The unixODBC pooling runs use their own ODBC configuration directory
# (ODBCSYSINI) and their own processes: with Pooling = Yes in the
# odbcinst.ini that the odbcpool DSN's target is read from, unixODBC would
# pool the targets behind odbcpool too, the misconfiguration odbcpool check
# warns about.
#
# Cases are interleaved (for each repetition: every database, thread count
# and set-up in turn, the order rotated each repetition) and medians taken,
# so that drift from other load on the machine hits every case alike.
#
# Environment (defaults in brackets):
#   BENCH_REPS       repetitions of each request-cycle measurement [5]
#   BENCH_SECONDS    seconds per request-cycle measurement [3]
#   BENCH_WARMUP     seconds run before each measurement, not counted [0.5]
#   BENCH_THREADS    thread counts [1 8]
#   BENCH_DBS        databases [sqlite pg]
#   BENCH_FETCH_PROCS  processes per pass-through case [5]
#   BENCH_FETCH_REPS   timed fetches per process (after 1 untimed) [3]
#   BENCH_ROWS       rows of the pass-through result [100000]
#   BENCH_MAX_CONNECTIONS  odbcpool max_connections [16]
#   PG_SSLMODE       psqlODBC SSLmode of the PostgreSQL DSN [disable]
#   BENCH_RAW        file to keep the raw odbcbench lines in [not kept]
#   PG_BINDIR, SQLITE_ODBC, PSQLODBCW: see drivers-test/lib.sh.
#
# Output: progress on stderr; on stdout the Markdown tables that
# doc/BENCHMARKS.md shows.
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/.." && pwd)
# shellcheck source=drivers-test/lib.sh
. "$top_srcdir/drivers-test/lib.sh"

BUILDDIR=${1:-${BUILD:-$top_srcdir/../build/plain}}
[ -d "$BUILDDIR" ] || fail "build directory $BUILDDIR not found (pass it as argument or set BUILD)"
BUILDDIR=$(cd "$BUILDDIR" && pwd)
BENCH=$BUILDDIR/bench/odbcbench
DRIVER=$BUILDDIR/.libs/odbcpool_driver.so
[ -x "$BENCH" ] || fail "$BENCH not built (run make in $BUILDDIR)"
[ -f "$DRIVER" ] || fail "$DRIVER not built (run make in $BUILDDIR)"

REPS=${BENCH_REPS:-5}
SECONDS_PER=${BENCH_SECONDS:-3}
WARMUP=${BENCH_WARMUP:-0.5}
THREADS=${BENCH_THREADS:-1 8}
DBS=${BENCH_DBS:-sqlite pg}
FETCH_PROCS=${BENCH_FETCH_PROCS:-5}
FETCH_REPS=${BENCH_FETCH_REPS:-3}
ROWS=${BENCH_ROWS:-100000}
MAXCONN=${BENCH_MAX_CONNECTIONS:-16}
SSLMODE=${PG_SSLMODE:-disable}
CASES=(direct odbcpool unixodbc)

log() { printf 'run.sh: %s\n' "$*" >&2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/odbcbench.XXXXXX") || fail "mktemp failed"
at_exit "rm -rf '$tmp'"
chmod 0711 "$tmp" # as root, the server's user must reach $tmp/pg
raw=$tmp/raw.txt
: >"$raw"
if [ -n "${BENCH_RAW:-}" ]; then
	: >"$BENCH_RAW" || fail "cannot write $BENCH_RAW"
	at_exit "cp '$raw' '$BENCH_RAW'"
fi

# ------------------------------------------------------------ set-up

# Environment A: no DM pooling. Real DSNs lite and pg, and the odbcpool
# DSNs lite_pool and pg_pool in front of them.
odbc_env_init "$tmp/odbc"
A_SYSINI=$ODBCSYSINI A_INI=$ODBCINI
need_sqlite=false need_pg=false
for db in $DBS; do
	case $db in
	sqlite) need_sqlite=true ;;
	pg) need_pg=true ;;
	*) fail "BENCH_DBS: unknown database '$db' (sqlite, pg)" ;;
	esac
done
if $need_sqlite; then
	[ -n "$SQLITE_ODBC" ] || fail "SQLite ODBC driver (libsqlite3odbc.so) not found"
fi
if $need_pg; then
	[ -n "$PSQLODBCW" ] || fail "psqlODBC (psqlodbcw.so) not found"
	start=$SECONDS
	pg_start "$tmp/pg"
	log "PostgreSQL on 127.0.0.1:$PG_PORT (started in $((SECONDS - start)) s)"
fi
{
	echo "[ODBCPool]"
	echo "Description = odbcpool driver module from $BUILDDIR"
	echo "Driver = $DRIVER"
	echo "Threading = 0"
	echo
} >>"$A_SYSINI/odbcinst.ini"
add_real_dsns() {
	if $need_sqlite; then
		odbc_add_sqlite_dsn lite "$tmp/bench.sqlite"
	fi
	if $need_pg; then
		odbc_add_pg_dsn pg "$PG_PORT" "SSLmode=$SSLMODE"
	fi
}
add_real_dsns
odbc_add_dsn lite_pool ODBCPool TargetDSN=lite PoolConfig="$tmp/pool.ini"
odbc_add_dsn pg_pool ODBCPool TargetDSN=pg PoolConfig="$tmp/pool.ini"
cat >"$tmp/pool.ini" <<EOF
; written by bench/run.sh: the full reset, no verify query
[defaults]
max_connections = $MAXCONN
borrow_timeout = 30s

[lite]
reset_script = $top_srcdir/data/reset/sqlite.sql

[pg]
reset_script = $top_srcdir/data/reset/postgresql.sql
EOF

# Environment B: unixODBC's own pooling, for the real DSNs only.
odbc_env_init "$tmp/odbc-cp"
B_SYSINI=$ODBCSYSINI B_INI=$ODBCINI
add_real_dsns
# [ODBC] Pooling = Yes (read at every SQLAllocHandle(SQL_HANDLE_ENV)), and
# CPTimeout > 0 on each driver: SQLDisconnect pools a connection only when
# its driver's CPTimeout is positive (unixODBC 2.3.11, SQLDisconnect.c).
awk '
	/^Pooling *=/ { print "Pooling = Yes"; next }
	{ print }
	/^Driver *=/ { print "CPTimeout = 60" }
' "$B_SYSINI/odbcinst.ini" >"$B_SYSINI/odbcinst.ini.new" &&
	mv "$B_SYSINI/odbcinst.ini.new" "$B_SYSINI/odbcinst.ini" ||
	fail "cannot write $B_SYSINI/odbcinst.ini"
grep -q '^Pooling = Yes' "$B_SYSINI/odbcinst.ini" || fail "Pooling not set"
unset ODBC_TEST_DIR ODBCSYSINI ODBCINSTINI ODBCINI

# bench CASE ARGS...: run odbcbench in the ODBC environment of CASE.
bench() {
	local c=$1
	shift
	case $c in
	unixodbc)
		ODBCSYSINI=$B_SYSINI ODBCINSTINI=odbcinst.ini ODBCINI=$B_INI \
			"$BENCH" --cp driver "$@"
		;;
	*)
		ODBCSYSINI=$A_SYSINI ODBCINSTINI=odbcinst.ini ODBCINI=$A_INI \
			"$BENCH" "$@"
		;;
	esac
}

# dsn CASE DB: the DSN a case connects to.
dsn() {
	local base
	case $2 in sqlite) base=lite ;; pg) base=pg ;; esac
	case $1 in
	odbcpool) echo "${base}_pool" ;;
	*) echo "$base" ;;
	esac
}

# Each DSN works, before anything is timed.
for db in $DBS; do
	for c in "${CASES[@]}"; do
		bench "$c" --dsn "$(dsn "$c" "$db")" --count 3 --warmup 0 \
			--label "check" >/dev/null ||
			fail "$c on $db: the DSN does not work"
	done
done

# --------------------------------------------------- connection reuse

# The unixODBC pooling case must really pool, and odbcpool must reuse its
# connections: count the PostgreSQL sessions (backend pids) that a fixed
# number of requests ran on.
REUSE_N=200
if $need_pg; then
	log "connection reuse: $REUSE_N requests per thread, distinct pg_backend_pid()"
	for t in $THREADS; do
		for c in "${CASES[@]}"; do
			line=$(bench "$c" --dsn "$(dsn "$c" pg)" --threads "$t" \
				--count "$REUSE_N" --warmup 0 --distinct \
				--query 'SELECT pg_backend_pid()' \
				--label "reuse:$c:pg:$t") || fail "reuse run $c failed"
			echo "$line" >>"$raw"
			log "$line"
		done
	done
fi

# ---------------------------------------------------- request cycle

total=$((REPS * $(wc -w <<<"$DBS") * $(wc -w <<<"$THREADS") * 3))
n=0
start=$SECONDS
for rep in $(seq 1 "$REPS"); do
	# Rotate the order of the set-ups each repetition.
	order=()
	for i in 0 1 2; do
		order+=("${CASES[$(((i + rep - 1) % 3))]}")
	done
	for db in $DBS; do
		for t in $THREADS; do
			for c in "${order[@]}"; do
				n=$((n + 1))
				line=$(bench "$c" --dsn "$(dsn "$c" "$db")" \
					--threads "$t" --duration "$SECONDS_PER" \
					--warmup "$WARMUP" \
					--label "cycle:$c:$db:$t") ||
					fail "cycle $c $db $t failed: $line"
				echo "$line" >>"$raw"
				log "[$n/$total, $((SECONDS - start)) s] $line"
			done
		done
	done
done

# --------------------------------------------------- pass-through

for rep in $(seq 1 "$FETCH_PROCS"); do
	for db in $DBS; do
		for c in direct odbcpool; do
			out=$(bench "$c" --dsn "$(dsn "$c" "$db")" --mode fetch \
				--rows "$ROWS" --reps "$FETCH_REPS" --warmup-reps 1 \
				--label "fetch:$c:$db") ||
				fail "fetch $c $db failed: $out"
			echo "$out" >>"$raw"
			log "$(grep summary <<<"$out")"
		done
	done
done

# --------------------------------------------------------- report

# field NAME: the value of NAME=... on each stdin line.
field() {
	sed -n "s/.* $1=\([^ ]*\).*/\1/p"
}

# median: of the numbers on stdin, one a line.
median() {
	sort -g | awk '{ v[NR] = $1 }
		END { if (NR == 0) print "nan";
		      else if (NR % 2) print v[(NR + 1) / 2];
		      else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

minmax() {
	sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s–%s", lo, hi }'
}

dbname() {
	case $1 in sqlite) echo SQLite ;; pg) echo PostgreSQL ;; esac
}

cycle_values() { # CASE DB THREADS FIELD
	grep -F " label=cycle:$1:$2:$3 " "$raw" | field "$4"
}

# The machine, for the record.
echo "### Machine"
echo
echo "- $(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort -u | head -n 1)"
echo "- kernel $(uname -r); load average at the end: $(cut -d ' ' -f 1-3 /proc/loadavg)"
ver() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo '?'; }
echo "- unixODBC $(ver unixodbc-common), psqlODBC $(ver odbc-postgresql)," \
	"sqlite3odbc $(ver libsqliteodbc), SQLite $(ver libsqlite3-0)," \
	"PostgreSQL $("$(pg_bindir)/postgres" --version 2>/dev/null | awk '{ print $3 }')"
srcdir=$(sed -n 's/^abs_top_srcdir = //p' "$BUILDDIR/Makefile" 2>/dev/null)
rev=$(git -C "${srcdir:-.}" describe --always --dirty 2>/dev/null || echo 'not a git tree')
echo "- odbcpool build: $BUILDDIR, CFLAGS $(sed -n 's/^CFLAGS = //p' "$BUILDDIR/Makefile" 2>/dev/null), source $srcdir ($rev)"
echo
echo "### Request cycle (requests/s, median of $REPS interleaved runs of ${SECONDS_PER} s; min–max)"
echo
echo "| database | threads | direct | odbcpool (full reset) | unixODBC pooling (no reset) | odbcpool ÷ unixODBC |"
echo "|---|---:|---:|---:|---:|---:|"
for db in $DBS; do
	for t in $THREADS; do
		row="| $(dbname "$db") | $t"
		for c in "${CASES[@]}"; do
			m=$(cycle_values "$c" "$db" "$t" rps | median)
			r=$(cycle_values "$c" "$db" "$t" rps |
				awk '{ printf "%.0f\n", $1 }' | minmax)
			row+=" | $(printf '%.0f' "$m") ($r)"
			eval "med_$c=$m"
		done
		# shellcheck disable=SC2154
		row+=" | $(awk -v a="$med_odbcpool" -v b="$med_unixodbc" \
			'BEGIN { printf "%.2f", a / b }') |"
		echo "$row"
	done
done
echo
echo "### Request cycle: latency and client CPU (medians of the runs above)"
echo
echo "| database | threads | set-up | p50 µs | p99 µs | client CPU µs/request |"
echo "|---|---:|---|---:|---:|---:|"
for db in $DBS; do
	for t in $THREADS; do
		for c in "${CASES[@]}"; do
			printf '| %s | %s | %s | %.0f | %.0f | %.0f |\n' \
				"$(dbname "$db")" "$t" "$c" \
				"$(cycle_values "$c" "$db" "$t" lat_p50_us | median)" \
				"$(cycle_values "$c" "$db" "$t" lat_p99_us | median)" \
				"$(cycle_values "$c" "$db" "$t" cpu_us_per_req | median)"
		done
	done
done
echo
echo "### Pass-through: $ROWS rows, SQLFetch + SQLGetData ×2 per row (ms, median of $((FETCH_PROCS * FETCH_REPS)) fetches in $FETCH_PROCS interleaved processes)"
echo
echo "| database | direct | through odbcpool | overhead | client CPU direct | client CPU odbcpool | CPU overhead | extra ns per call |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for db in $DBS; do
	fetch_values() { # CASE FIELD
		grep -F " label=fetch:$1:$db " "$raw" | grep ' mode=fetch ' |
			field "$2" | median
	}
	# 3 ODBC calls per row: SQLFetch and two SQLGetData.
	awk -v db="$(dbname "$db")" -v rows="$ROWS" \
		-v d="$(fetch_values direct seconds)" \
		-v p="$(fetch_values odbcpool seconds)" \
		-v dc="$(fetch_values direct cpu_seconds)" \
		-v pc="$(fetch_values odbcpool cpu_seconds)" 'BEGIN {
		printf "| %s | %.1f | %.1f | %+.1f %% | %.1f | %.1f | %+.1f %% | %.0f |\n",
			db, d * 1000, p * 1000, (p / d - 1) * 100, dc * 1000,
			pc * 1000, (pc / dc - 1) * 100, (p - d) * 1e9 / (3 * rows) }'
done
if $need_pg; then
	echo
	echo "### Connection reuse on PostgreSQL (distinct pg_backend_pid() over the requests)"
	echo
	echo "| set-up | threads | requests | sessions used |"
	echo "|---|---:|---:|---:|"
	for t in $THREADS; do
		for c in "${CASES[@]}"; do
			l=$(grep -F " label=reuse:$c:pg:$t " "$raw")
			printf '| %s | %s | %s | %s |\n' "$c" "$t" \
				"$(field requests <<<"$l")" "$(field distinct <<<"$l")"
		done
	done
fi
echo
echo "Settings: ${SECONDS_PER} s per run after ${WARMUP} s warm-up; odbcpool" \
	"max_connections = $MAXCONN, reset_workers = 2, verify_query off;" \
	"PostgreSQL SSLmode = $SSLMODE; unixODBC Pooling = Yes, CPTimeout = 60."
log "done in $SECONDS s"
