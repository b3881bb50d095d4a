#!/bin/bash
# stats.sh — `odbcpool stats` against real processes: two pyodbc programs
# and an isql session (unixODBC's C client), all through the odbcpool
# driver with one pool config on an embedded SQLite DSN, each holding a
# borrowed connection. `odbcpool stats` must show the three processes
# and a total; a process killed with SIGKILL must disappear, and its stats
# file with it; a stats file planted by the same user for a pid that does
# not exist is removed, and one that is a symbolic link is never read.
# Then the config is edited under the running processes: they pick the
# change up (a new stats_file), and keep it when the file is broken.
#
# Skips (exit 77) without sqlite3odbc, pyodbc or isql, unless
# ODBCPOOL_REQUIRE_ALL is set, which makes that a failure.
set -u -o pipefail

# shellcheck source=drivers-test/lib.sh
. "$(dirname "$0")/lib.sh" # sets here, top_srcdir, top_builddir


odbcpool=$top_builddir/odbcpool
module=$top_builddir/.libs/odbcpool_driver.so
[ -x "$odbcpool" ] || fail "$odbcpool not built"
need_built "$module"
/usr/bin/python3 -c 'import pyodbc' 2>/dev/null ||
	skip "pyodbc not importable by /usr/bin/python3 (python3-pyodbc)"
command -v isql >/dev/null 2>&1 || skip "isql not found (unixodbc)"

test_tmpdir stats
odbc_env_init "$tmp/odbc"
need_drivers sqlite
odbc_add_pool_driver "$module"
odbc_add_sqlite_dsn real_sqlite "$tmp/stats.db"
odbc_add_pooled_dsn pooled real_sqlite "$tmp/pool.ini"
mkdir -p "$tmp/stats" && chmod 0700 "$tmp/stats" || fail "mkdir failed"
cat >"$tmp/pool.ini" <<EOF || fail "cannot write $tmp/pool.ini"
[defaults]
max_connections = 2
stats_file = $tmp/stats/s-%p.prom

[real_sqlite]
EOF

pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
}
at_exit cleanup

# A pyodbc process: borrows twice (one request, then a connection it
# keeps), then waits to be killed.
start_py() {
	/usr/bin/python3 - "$1" <<'EOF' &
import pyodbc, sys, time
cn = pyodbc.connect("DSN=pooled", autocommit=True)
cn.execute("SELECT 1").fetchone()
cn.close()
held = pyodbc.connect("DSN=pooled", autocommit=True)
held.execute("SELECT 2").fetchone()
open(sys.argv[1], "w").write("ready\n")
time.sleep(120)
EOF
	pids+=($!)
}
start_py "$tmp/py1.ready"
py1=${pids[-1]}
start_py "$tmp/py2.ready"
py2=${pids[-1]}
# isql keeps its connection while its input stays open.
mkfifo "$tmp/isql.in" || fail "mkfifo failed"
isql -b pooled <"$tmp/isql.in" >"$tmp/isql.out" 2>&1 &
isql_pid=$!
pids+=("$isql_pid")
exec 9>"$tmp/isql.in"
echo "SELECT 3" >&9

# Every process has written its file (the housekeeper writes once a
# second).
for _ in $(seq 100); do
	n=$(find "$tmp/stats" -name 's-*.prom' | wc -l)
	[ -f "$tmp/py1.ready" ] && [ -f "$tmp/py2.ready" ] && [ "$n" -ge 3 ] && break
	sleep 0.1
done
sleep 1.2
json=$("$odbcpool" stats --json "$tmp/pool.ini") || fail "odbcpool stats failed: $json"
echo "stats.sh: $json"
check_json() { # PYTHON-EXPR MESSAGE
	/usr/bin/python3 -c "import json, sys; d = json.loads(sys.argv[1]); \
p = {r['pid']: r for r in d['processes']}; \
sys.exit(0 if ($1) else 1)" "$json" "$py1" "$py2" "$isql_pid" ||
		fail "$2 (json: $json)"
}
check_json "set(p) == {int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])}" \
	"expected the processes $py1 $py2 $isql_pid"
check_json "all(r['dsn'] == 'real_sqlite' and r['in_use'] == 1 and r['open'] == 1 for r in p.values())" \
	"each process should hold one connection of real_sqlite"
check_json "p[int(sys.argv[2])]['borrows'] == 2 and p[int(sys.argv[3])]['borrows'] == 2" \
	"each pyodbc process borrowed twice"
check_json "len(d['totals']) == 1 and d['totals'][0]['in_use'] == 3 and d['totals'][0]['borrows'] >= 5" \
	"the total of real_sqlite should count 3 connections in use"
echo "stats.sh: three processes seen, with a total per DSN"

text=$("$odbcpool" stats "$tmp/pool.ini") || fail "odbcpool stats (text) failed"
for want in "PID" "W.P99" "$py1" "$isql_pid" "total"; do
	case $text in *"$want"*) ;; *) fail "text output lacks '$want': $text" ;; esac
done

# A planted file for a pid that does not exist (pid_max is at most 2^22)
# is pruned; a symbolic link with a live process's name is not followed.
echo 'odbcpool_connections{dsn="ghost"} 7' >"$tmp/stats/s-99999999.prom"
echo 'odbcpool_connections{dsn="secret"} 9' >"$tmp/secret.prom"
ln -s "$tmp/secret.prom" "$tmp/stats/s-1.prom"

kill -9 "$py1"
wait "$py1" 2>/dev/null
json=$("$odbcpool" stats --json "$tmp/pool.ini") || fail "odbcpool stats failed: $json"
echo "stats.sh: after SIGKILL of $py1: $json"
check_json "int(sys.argv[2]) not in p and set(p) == {int(sys.argv[3]), int(sys.argv[4])}" \
	"the killed process $py1 should be gone"
check_json "d['pruned'] >= 2" "the killed process's and the planted file should be removed"
check_json "all(r['dsn'] == 'real_sqlite' for r in d['processes'])" \
	"a planted file or a link was read"
[ ! -e "$tmp/stats/s-$py1.prom" ] || fail "the killed process's stats file is still there"
[ ! -e "$tmp/stats/s-99999999.prom" ] || fail "the planted file of a dead pid is still there"
[ -f "$tmp/secret.prom" ] || fail "the link's target was removed"
echo "stats.sh: a SIGKILLed process and a dead pid's file removed; a link not followed"

# The running processes pick up an edited config (a new stats_file
# applies at reload) and keep the settings in force when it is broken.
cat >"$tmp/pool.ini" <<EOF || fail "cannot write $tmp/pool.ini"
[defaults]
max_connections = 2
stats_file = $tmp/stats/r-%p.prom

[real_sqlite]
EOF
for _ in $(seq 50); do
	[ -f "$tmp/stats/r-$py2.prom" ] && [ -f "$tmp/stats/r-$isql_pid.prom" ] && break
	sleep 0.1
done
[ -f "$tmp/stats/r-$py2.prom" ] && [ -f "$tmp/stats/r-$isql_pid.prom" ] ||
	fail "the running processes did not pick up the edited config: $(ls "$tmp/stats")"
echo "stats.sh: pyodbc and isql picked up the edited config"
printf '[defaults]\nstats_file = %s\nmax_connections = many\n' \
	"$tmp/stats/broken-%p.prom" >"$tmp/pool.ini"
sleep 2.5
ls "$tmp/stats"/broken-* >/dev/null 2>&1 &&
	fail "a broken config was applied: $(ls "$tmp/stats")"
m1=$(stat -c %Y.%y "$tmp/stats/r-$py2.prom")
sleep 1.5
m2=$(stat -c %Y.%y "$tmp/stats/r-$py2.prom")
[ "$m1" != "$m2" ] || fail "the process stopped writing its stats after a broken config"
kill -0 "$py2" 2>/dev/null || fail "the pyodbc process died on a broken config"
echo "stats.sh: a broken config was refused; the settings in force stay"

exec 9>&-
wait "$isql_pid" 2>/dev/null
echo "stats.sh: passed"
exit 0
