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
#   pgbouncer, pgbouncer_scram (PostgreSQL only)
#             the application connects every request to a throwaway
#             PgBouncer on loopback (session mode, server_reset_query =
#             DISCARD ALL), with trust auth or with SCRAM between client
#             and PgBouncer; PgBouncer keeps its server connections.
#
# "direct" on PostgreSQL logs in with SCRAM (the test server's odbcpool
# role); direct connects on SQLite open the file.
#
# Per request, besides rate and latency: the client's CPU (odbcbench,
# getrusage) and the server's (the postmaster's and its children's
# /proc ticks, those of exited backends included, plus PgBouncer's; the
# warm-up's share is removed in proportion to time); and, with
# callgrind, the client's instructions per request, as the difference of
# two runs of different lengths (so start-up cancels out), split by
# object and with odbcpool's reset (odbcpool__reset, inclusive) apart.
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
# Pass-through: one process fetches the same 100,000-row result on a direct
# connection and on one through odbcpool in turn (paired ratios, median),
# and callgrind counts the instructions of the fetch loop of each (exact,
# immune to other load; the client process only).
#
# Connection reuse: distinct pg_backend_pid() over a fixed number of
# requests proves that both pools really reuse connections.
#
# Environment (defaults in brackets):
#   BENCH_REPS       repetitions of each request-cycle measurement [5]
#   BENCH_SECONDS    seconds per request-cycle measurement [3]
#   BENCH_WARMUP     seconds run before each measurement, not counted [0.5]
#   BENCH_THREADS    thread counts [1 8]
#   BENCH_DBS        databases [sqlite pg]
#   BENCH_FETCH_PROCS  pass-through processes per database [5]
#   BENCH_FETCH_REPS   timed fetch pairs per process (after 1 untimed) [5]
#   BENCH_CALLGRIND  yes: also count the pass-through's instructions with
#                    callgrind, if valgrind is installed [yes]
#   BENCH_ROWS       rows of the pass-through result [100000]
#   BENCH_MAX_CONNECTIONS  odbcpool max_connections [16]
#   PG_SSLMODE       psqlODBC SSLmode of the PostgreSQL DSN [disable]
#   BENCH_RAW        file to keep the raw odbcbench lines in [not kept]
#   BENCH_PROFILE    yes: also profile the odbcpool cases with perf record
#                    and print where the client CPU goes
#                    (bench/perf-breakdown.py; needs perf and python3) [no]
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
FETCH_REPS=${BENCH_FETCH_REPS:-5}
ROWS=${BENCH_ROWS:-100000}
MAXCONN=${BENCH_MAX_CONNECTIONS:-16}
SSLMODE=${PG_SSLMODE:-disable}
CASES=(direct odbcpool unixodbc)
PG_CASES=(direct odbcpool unixodbc pgbouncer pgbouncer_scram)
CLK_TCK=$(getconf CLK_TCK)

# cases DB: the set-ups measured on DB.
cases() {
	if [ "$1" = pg ] && [ -n "${PGB_PORT:-}" ]; then
		echo "${PG_CASES[@]}"
	else
		echo "${CASES[@]}"
	fi
}

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

[pg]
EOF

# PgBouncer in front of the same server: trust, and SCRAM between the
# client and PgBouncer (PgBouncer logs in to the server with the role's
# password, once per server connection). Two instances, each on a free
# port, stopped by pid at exit. As root, run as the server's user
# (PgBouncer refuses to run as root).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
start_pgbouncer() { # NAME AUTH_TYPE: sets PGB_PORT_<NAME>
	local name=$1 auth=$2 dir=$tmp/pgb-$1 port runas=()
	port=$(free_port) || fail "no free port for PgBouncer"
	mkdir -p "$dir" || fail "cannot create $dir"
	printf '"%s" "%s"\n' "$PG_TEST_USER" "$PG_TEST_PASSWORD" >"$dir/users.txt"
	cat >"$dir/pgbouncer.ini" <<EOF || fail "cannot write $dir/pgbouncer.ini"
[databases]
$PG_TEST_DATABASE = host=127.0.0.1 port=$PG_PORT dbname=$PG_TEST_DATABASE user=$PG_TEST_USER password=$PG_TEST_PASSWORD

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = $auth
auth_file = $dir/users.txt
pool_mode = session
server_reset_query = DISCARD ALL
max_client_conn = 500
default_pool_size = $MAXCONN
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
	if [ "$(id -u)" -eq 0 ]; then
		chown -R "$(stat -c %U "$PG_DIR/data")" "$dir"
		runas=(runuser -u "$(stat -c %U "$PG_DIR/data")" --)
	fi
	"${runas[@]}" /usr/sbin/pgbouncer -d "$dir/pgbouncer.ini" ||
		fail "PgBouncer ($name) did not start: $(tail -n 5 "$dir/pgbouncer.log")"
	for _ in $(seq 50); do [ -s "$dir/pgbouncer.pid" ] && break; sleep 0.1; done
	at_exit "kill \$(cat '$dir/pgbouncer.pid' 2>/dev/null) 2>/dev/null"
	eval "PGB_PORT_$name=$port PGB_PID_$name=\$(cat '$dir/pgbouncer.pid')"
	log "PgBouncer ($name, auth_type = $auth) on 127.0.0.1:$port"
}
PGB_PORT=
if $need_pg && [ -x /usr/sbin/pgbouncer ]; then
	start_pgbouncer trust trust
	start_pgbouncer scram scram-sha-256
	# shellcheck disable=SC2154 # set by start_pgbouncer's eval
	PGB_PORT=$PGB_PORT_trust
	odbc_add_pg_dsn pgb "$PGB_PORT_trust" "SSLmode=disable"
	# shellcheck disable=SC2154 # set by start_pgbouncer's eval
	odbc_add_pg_dsn pgb_scram "$PGB_PORT_scram" "SSLmode=disable"
elif $need_pg; then
	log "pgbouncer not installed (Debian package pgbouncer): no PgBouncer cases"
fi

# server_ticks CASE: CPU clock ticks the server side has used so far: the
# postmaster, its live children and its exited children (cutime/cstime),
# and for the PgBouncer cases the PgBouncer process.
server_ticks() {
	local pm ticks=0 p f
	pm=$(head -n 1 "$PG_DIR/data/postmaster.pid" 2>/dev/null) || { echo 0; return; }
	for p in "$pm" $(ps -o pid= --ppid "$pm" 2>/dev/null); do
		# Fields 14-17 of /proc/PID/stat; the name (2) may hold spaces.
		f=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		ticks=$((ticks + $(awk -v me="$([ "$p" = "$pm" ] && echo 1)" '{
			t = $12 + $13; if (me) t += $14 + $15; print t }' <<<"$f")))
	done
	case $1 in
	pgbouncer | pgbouncer_scram)
		# shellcheck disable=SC2154 # set by start_pgbouncer's eval
		p=$PGB_PID_trust
		# shellcheck disable=SC2154
		[ "$1" = pgbouncer_scram ] && p=$PGB_PID_scram
		f=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) &&
			ticks=$((ticks + $(awk '{ print $12 + $13 }' <<<"$f")))
		;;
	esac
	echo "$ticks"
}

# Environment B: unixODBC's own pooling, for the real DSNs only.
odbc_env_init "$tmp/odbc-cp"
B_SYSINI=$ODBCSYSINI B_INI=$ODBCINI
add_real_dsns
# [ODBC] Pooling = Yes (read at every SQLAllocHandle(SQL_HANDLE_ENV)), and
# CPTimeout > 0 on each driver: SQLDisconnect pools a connection only when
# its driver's CPTimeout is positive (unixODBC 2.3.11, SQLDisconnect.c).
if ! awk '
	/^Pooling *=/ { print "Pooling = Yes"; next }
	{ print }
	/^Driver *=/ { print "CPTimeout = 60" }
' "$B_SYSINI/odbcinst.ini" >"$B_SYSINI/odbcinst.ini.new" ||
	! mv "$B_SYSINI/odbcinst.ini.new" "$B_SYSINI/odbcinst.ini"; then
	fail "cannot write $B_SYSINI/odbcinst.ini"
fi
grep -q '^Pooling = Yes' "$B_SYSINI/odbcinst.ini" || fail "Pooling not set"
unset ODBC_TEST_DIR ODBCSYSINI ODBCINSTINI ODBCINI

# bench CASE ARGS...: run odbcbench in the ODBC environment of CASE.
# With PERF_DATA set, under perf record (call graphs by DWARF: the DM and
# the drivers are built without frame pointers).
bench() {
	local c=$1 run=()
	shift
	if [ -n "${PERF_DATA:-}" ]; then
		# shellcheck disable=SC2054 # "dwarf,16384" is one argument
		run=(perf record -q -F "${BENCH_PERF_FREQ:-999}"
			--call-graph dwarf,16384 -o "$PERF_DATA" --)
	fi
	case $c in
	unixodbc)
		ODBCSYSINI=$B_SYSINI ODBCINSTINI=odbcinst.ini ODBCINI=$B_INI \
			"${run[@]}" "$BENCH" --cp driver "$@"
		;;
	*)
		ODBCSYSINI=$A_SYSINI ODBCINSTINI=odbcinst.ini ODBCINI=$A_INI \
			"${run[@]}" "$BENCH" "$@"
		;;
	esac
}

# dsn CASE DB: the DSN a case connects to.
dsn() {
	local base
	case $2 in sqlite) base=lite ;; pg) base=pg ;; esac
	case $1 in
	odbcpool) echo "${base}_pool" ;;
	pgbouncer) echo pgb ;;
	pgbouncer_scram) echo pgb_scram ;;
	*) echo "$base" ;;
	esac
}

# Each DSN works, before anything is timed.
for db in $DBS; do
	for c in $(cases "$db"); do
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
		for c in $(cases pg); do
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

ncases=0
for db in $DBS; do ncases=$((ncases + $(cases "$db" | wc -w))); done
total=$((REPS * ncases * $(wc -w <<<"$THREADS")))
n=0
start=$SECONDS
for rep in $(seq 1 "$REPS"); do
	for db in $DBS; do
		# Rotate the order of the set-ups each repetition.
		read -r -a all <<<"$(cases "$db")"
		order=()
		for i in "${!all[@]}"; do
			order+=("${all[$(((i + rep - 1) % ${#all[@]}))]}")
		done
		for t in $THREADS; do
			for c in "${order[@]}"; do
				n=$((n + 1))
				s0=0
				[ "$db" = pg ] && s0=$(server_ticks "$c")
				line=$(bench "$c" --dsn "$(dsn "$c" "$db")" \
					--threads "$t" --duration "$SECONDS_PER" \
					--warmup "$WARMUP" \
					--label "cycle:$c:$db:$t") ||
					fail "cycle $c $db $t failed: $line"
				if [ "$db" = pg ]; then
					s1=$(server_ticks "$c")
					# The warm-up's share of the server's work, in
					# proportion to time, is not the requests'.
					line+=$(awk -v d="$((s1 - s0))" -v hz="$CLK_TCK" \
						-v w="$WARMUP" -v l="$line" 'BEGIN {
						split(l, f, " "); for (i in f) { split(f[i], kv, "=")
						v[kv[1]] = kv[2] }
						req = v["requests"] * (v["seconds"] + w) / v["seconds"]
						printf " server_cpu_us_per_req=%.1f", d * 1e6 / hz / req }')
				fi
				echo "$line" >>"$raw"
				log "[$n/$total, $((SECONDS - start)) s] $line"
			done
		done
	done
done

# --------------------------------------------------- pass-through

# One process holds a direct connection and one through odbcpool (both in
# environment A) and fetches on them in turn: a paired comparison, which
# load from elsewhere on the machine disturbs far less than separate runs.
for proc in $(seq 1 "$FETCH_PROCS"); do
	for db in $DBS; do
		out=$(bench direct --dsn "$(dsn direct "$db")" \
			--compare-dsn "$(dsn odbcpool "$db")" --mode fetch \
			--rows "$ROWS" --reps "$FETCH_REPS" --warmup-reps 1 \
			--label "fetch:$db:$proc") ||
			fail "fetch $db failed: $out"
		echo "$out" >>"$raw"
		log "$(grep fetch-compare <<<"$out")"
	done
done

# The same fetch counted in instructions (callgrind, only fetch_once()):
# exact and immune to other load, but client side only (for PostgreSQL
# the server's work is not in it).
CALLGRIND=${BENCH_CALLGRIND:-yes}
if [ "$CALLGRIND" = yes ] && ! command -v valgrind >/dev/null 2>&1; then
	log "valgrind not installed: no instruction counts"
	CALLGRIND=no
fi
if [ "$CALLGRIND" = yes ]; then
	for db in $DBS; do
		for c in direct odbcpool; do
			cg=$tmp/callgrind-$db-$c.out
			# fetch_once* : gcc may clone it (fetch_once.constprop.0).
			ODBCSYSINI=$A_SYSINI ODBCINSTINI=odbcinst.ini ODBCINI=$A_INI \
				valgrind --tool=callgrind '--toggle-collect=fetch_once*' \
				--callgrind-out-file="$cg" "$BENCH" \
				--dsn "$(dsn "$c" "$db")" --mode fetch --rows "$ROWS" \
				--reps 1 --warmup-reps 0 >/dev/null 2>"$cg.log" ||
				fail "callgrind $c $db failed: $(tail -n 5 "$cg.log")"
			# Instructions per library (callgrind_annotate names the
			# object of every function).
			callgrind_annotate --threshold=100 "$cg" 2>/dev/null |
				awk -v c="$c" -v db="$db" '/ \[.*\]$/ {
					n = $1; gsub(",", "", n); ob = $NF
					gsub(/[][]/, "", ob); sub(".*/", "", ob)
					s[ob] += n }
				END { for (o in s) print "callgrind", db, c, o, s[o] }' |
				tee -a "$raw" >>"$tmp/callgrind.txt"
			log "callgrind $c $db: $(sed -n 's/^summary: //p' "$cg") instructions"
		done
	done
fi

# Instructions per request of the client process (all its threads: the
# reset workers too), as the difference of a long and a short run, which
# cancels start-up, connects and the pool's fill; split by object, and
# odbcpool__reset (inclusive: the DM and driver work it causes) apart.
CG_SHORT=${BENCH_CG_SHORT:-200} CG_LONG=${BENCH_CG_LONG:-1200}
if [ "$CALLGRIND" = yes ]; then
	for db in $DBS; do
		for c in $(cases "$db"); do
			for n in "$CG_SHORT" "$CG_LONG"; do
				cg=$tmp/cgreq-$db-$c-$n.out
				bench_env=(env ODBCSYSINI="$A_SYSINI" ODBCINSTINI=odbcinst.ini ODBCINI="$A_INI")
				[ "$c" = unixodbc ] && bench_env=(env ODBCSYSINI="$B_SYSINI" ODBCINSTINI=odbcinst.ini ODBCINI="$B_INI")
				cp=()
				[ "$c" = unixodbc ] && cp=(--cp driver)
				"${bench_env[@]}" valgrind --tool=callgrind \
					--callgrind-out-file="$cg" "$BENCH" "${cp[@]}" \
					--dsn "$(dsn "$c" "$db")" --count "$n" --warmup 0 \
					--label "cg" >/dev/null 2>"$cg.log" ||
					fail "callgrind $c $db $n failed: $(tail -n 5 "$cg.log")"
				callgrind_annotate --threshold=100 "$cg" 2>/dev/null |
					awk -v c="$c" -v db="$db" -v n="$n" '/ \[.*\]$/ {
						v = $1; gsub(",", "", v); ob = $NF
						gsub(/[][]/, "", ob); sub(".*/", "", ob)
						s[ob] += v }
					END { for (o in s) print "cgreq", db, c, n, o, s[o] }' \
					>>"$tmp/cgreq.txt"
				tot=$(sed -n 's/^summary: //p' "$cg")
				rst=$(callgrind_annotate --inclusive=yes --threshold=100 "$cg" \
					2>/dev/null | awk '/odbcpool__reset / { v = $1
					gsub(",", "", v); print v; exit }')
				echo "cgreq $db $c $n TOTAL $tot" >>"$tmp/cgreq.txt"
				echo "cgreq $db $c $n RESET ${rst:-0}" >>"$tmp/cgreq.txt"
				log "callgrind $c $db $n requests: $tot instructions"
			done
		done
	done
	cat "$tmp/cgreq.txt" >>"$raw"
fi

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
echo "| database | threads | set-up | requests/s (min–max) | ÷ unixODBC pooling | odbcpool ÷ this |"
echo "|---|---:|---|---:|---:|---:|"
for db in $DBS; do
	for t in $THREADS; do
		ref=$(cycle_values unixodbc "$db" "$t" rps | median)
		own=$(cycle_values odbcpool "$db" "$t" rps | median)
		for c in $(cases "$db"); do
			m=$(cycle_values "$c" "$db" "$t" rps | median)
			r=$(cycle_values "$c" "$db" "$t" rps |
				awk '{ printf "%.0f\n", $1 }' | minmax)
			awk -v db="$(dbname "$db")" -v t="$t" -v c="$c" -v m="$m" \
				-v r="$r" -v ref="$ref" -v own="$own" 'BEGIN {
				printf "| %s | %s | %s | %.0f (%s) | %.3f× | %s |\n", db, t, c,
					m, r, m / ref, c == "odbcpool" ? "—" : sprintf("%.1f×", own / m) }'
		done
	done
done
echo
echo "### Request cycle: latency and client CPU (medians of the runs above)"
echo
echo "| database | threads | set-up | p50 µs | p99 µs | client CPU µs/request | server CPU µs/request | client+server ÷ unixODBC pooling's |"
echo "|---|---:|---|---:|---:|---:|---:|---:|"
for db in $DBS; do
	for t in $THREADS; do
		rc=$(cycle_values unixodbc "$db" "$t" cpu_us_per_req | median)
		rs=0
		[ "$db" = pg ] && rs=$(cycle_values unixodbc "$db" "$t" server_cpu_us_per_req | median)
		for c in $(cases "$db"); do
			cc=$(cycle_values "$c" "$db" "$t" cpu_us_per_req | median)
			sc=0
			[ "$db" = pg ] && sc=$(cycle_values "$c" "$db" "$t" server_cpu_us_per_req | median)
			printf '| %s | %s | %s | %.0f | %.0f | %.0f | %s | %s |\n' \
				"$(dbname "$db")" "$t" "$c" \
				"$(cycle_values "$c" "$db" "$t" lat_p50_us | median)" \
				"$(cycle_values "$c" "$db" "$t" lat_p99_us | median)" \
				"$cc" \
				"$([ "$db" = pg ] && printf '%.0f' "$sc" || echo '— (in process)')" \
				"$(awk -v a="$cc" -v b="$sc" -v x="$rc" -v y="$rs" \
					'BEGIN { printf "%.2f×", (a + b) / (x + y) }')"
		done
	done
done
if [ "$CALLGRIND" = yes ]; then
	echo
	echo "### Request cycle in instructions (callgrind, client process, all threads; per request: ($CG_LONG-request run − $CG_SHORT-request run) ÷ $((CG_LONG - CG_SHORT)))"
	echo
	echo "| database | set-up | instructions/request | of it: odbcpool's own code | odbcpool's share | of it: the reset (inclusive) | DM (libodbc) | the database's driver and library |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|"
	for db in $DBS; do
		for c in $(cases "$db"); do
			awk -v db="$db" -v c="$c" -v name="$(dbname "$db")" \
				-v a="$CG_SHORT" -v b="$CG_LONG" '
				$1 == "cgreq" && $2 == db && $3 == c {
					k = $5
					if (k ~ /^odbcpool_driver/) k = "OWN"
					else if (k ~ /^libodbc\.so/) k = "DM"
					else if (k ~ /psqlodbc|libpq|sqlite/) k = "DRV"
					v[$4, k] += $6 }
				function d(k) { return (v[b, k] - v[a, k]) / (b - a) }
				END {
					tot = d("TOTAL"); own = d("OWN"); dm = d("DM")
					drv = d("DRV")
					printf "| %s | %s | %.0f | %.0f | %.1f %% | %.0f | %.0f | %.0f |\n",
						name, c, tot, own, tot ? own / tot * 100 : 0,
						d("RESET"), dm, drv
				}' "$tmp/cgreq.txt"
		done
	done
	echo
	echo "(odbcpool's own code: the instructions in odbcpool_driver.so, which holds the pool; the reset column is inclusive of the DM and driver work it causes.)"
fi
echo
echo "### Pass-through: $ROWS rows, SQLFetch + SQLGetData ×2 per row (ms; $FETCH_PROCS processes × $FETCH_REPS paired fetches, direct and through odbcpool in turn)"
echo
echo "| database | direct (median) | through odbcpool (median) | overhead (median of paired ratios) | paired ratios min–max |"
echo "|---|---:|---:|---:|---:|"
for db in $DBS; do
	lines=$(grep -E " mode=fetch label=fetch:$db:[0-9]+ " "$raw")
	a=$(grep ' side=a ' <<<"$lines" | field seconds | median)
	b=$(grep ' side=b ' <<<"$lines" | field seconds | median)
	ratios=$(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "=")
			f[kv[1]] = kv[2] }
		k = f["label"] " " f["rep"]; t[k, f["side"]] = f["seconds"]; keys[k] = 1 }
		END { for (k in keys) if (t[k, "a"] > 0) print t[k, "b"] / t[k, "a"] }' <<<"$lines")
	awk -v db="$(dbname "$db")" -v a="$a" -v b="$b" \
		-v r="$(median <<<"$ratios")" -v mm="$(minmax <<<"$ratios")" 'BEGIN {
		split(mm, m, "–")
		printf "| %s | %.1f | %.1f | %+.1f %% | %+.1f … %+.1f %% |\n", db,
			a * 1000, b * 1000, (r - 1) * 100, (m[1] - 1) * 100,
			(m[2] - 1) * 100 }'
done
if [ "$CALLGRIND" = yes ]; then
	echo
	echo "### Pass-through in instructions (callgrind, the fetch loop only, client process)"
	echo
	echo "| database | direct | through odbcpool | overhead | extra per ODBC call | of it: odbcpool_driver.so | of it: second pass through the DM (libodbc, libc) |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for db in $DBS; do
		# odbcpool_driver.so has symbols, so its own count is exact; the
		# DM and the drivers have none, and callgrind_annotate's split of
		# their code between objects varies from run to run, so the rest
		# of the difference is given as one figure.
		awk -v db="$db" -v name="$(dbname "$db")" -v calls="$((3 * ROWS + 1))" '
			$1 == "callgrind" && $2 == db { s[$3] += $5; o[$3, $4] = $5 }
			END {
				d = s["direct"]; p = s["odbcpool"]; x = p - d
				drv = o["odbcpool", "odbcpool_driver.so"]
				printf "| %s | %.1f M | %.1f M | %+.1f %% | %.0f | %.0f (%.1f %% of direct) | %.0f (%.1f %% of direct) |\n",
					name, d / 1e6, p / 1e6, (p / d - 1) * 100, x / calls,
					drv / calls, drv / d * 100, (x - drv) / calls,
					(x - drv) / d * 100
			}' "$tmp/callgrind.txt"
	done
	echo
	echo "($((3 * ROWS + 1)) ODBC calls per fetch: SQLExecDirect, then SQLFetch and two SQLGetData per row.)"
fi
if $need_pg; then
	echo
	echo "### Connection reuse on PostgreSQL (distinct pg_backend_pid() over the requests)"
	echo
	echo "| set-up | threads | requests | sessions used |"
	echo "|---|---:|---:|---:|"
	for t in $THREADS; do
		for c in $(cases pg); do
			l=$(grep -F " label=reuse:$c:pg:$t " "$raw")
			printf '| %s | %s | %s | %s |\n' "$c" "$t" \
				"$(field requests <<<"$l")" "$(field distinct <<<"$l")"
		done
	done
fi

# ---------------------------------------------------------- profile

if [ "${BENCH_PROFILE:-no}" = yes ]; then
	command -v perf >/dev/null 2>&1 || fail "BENCH_PROFILE=yes needs perf"
	command -v python3 >/dev/null 2>&1 ||
		fail "BENCH_PROFILE=yes needs python3"
	for db in $DBS; do
		for t in $THREADS; do
			pdata=$tmp/perf-cycle-$db-$t.data
			line=$(PERF_DATA=$pdata bench odbcpool \
				--dsn "$(dsn odbcpool "$db")" --threads "$t" \
				--duration "$SECONDS_PER" --warmup "$WARMUP" \
				--label "profile:odbcpool:$db:$t") ||
				fail "profile run failed: $line"
			echo "$line" >>"$raw"
			log "$line"
			echo
			echo "### Profile: odbcpool request cycle, $(dbname "$db"), $t thread(s)" \
				"($(field rps <<<"$line" | awk '{ printf "%.0f", $1 }') requests/s under perf)"
			echo "Shares of all client CPU samples of the run (warm-up and the"
			echo "pool's first connects included); µs = share × the run's client"
			echo "CPU per request."
			echo
			"$here/perf-breakdown.py" "$pdata" \
				"$(field cpu_us_per_req <<<"$line")" ||
				fail "perf-breakdown.py failed"
		done
	done
fi

echo
echo "Settings: ${SECONDS_PER} s per run after ${WARMUP} s warm-up; odbcpool" \
	"max_connections = $MAXCONN, reset_workers = 2, verify_query off;" \
	"PostgreSQL SSLmode = $SSLMODE; unixODBC Pooling = Yes, CPTimeout = 60."
log "done in $SECONDS s"
