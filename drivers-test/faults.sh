#!/bin/bash
# faults.sh — the pool against a PostgreSQL server that fails: runs
# drivers-test/check_faults (backends killed under pooled connections, a
# restart in the middle of a load, the server down or hung when a borrow
# arrives, pool exhaustion, a client that dies holding connections) and
# drivers-test/load_driver (64 threads through the odbcpool driver
# module, with the server-side connection count sampled every 100 ms),
# against a throwaway server of its own (drivers-test/lib.sh pg_start),
# stopped by pid at exit however the test ends. Skips (exit 77) without
# the server binaries or psqlODBC, unless ODBCPOOL_REQUIRE_ALL is set.
#
# Usage:
#   faults.sh                      run the tests (make check runs this)
#   faults.sh server-restart DIR   pg_ctl restart -m fast the server that
#                                  scripts/pg-server.sh started in DIR
#   faults.sh server-stop DIR      stop it (pg_ctl stop -m fast)
#   faults.sh server-start DIR     start it again
# The server-* commands, used by check_faults, keep the data directory
# and the port (pg-server.sh start would pick a new port), and write the
# new postmaster's pid to DIR/pid, so that pg_stop still stops it by pid.
#
# Environment: top_srcdir, top_builddir (set by make check; default: the
# source tree and the current directory), PG_BINDIR, PSQLODBCW (see
# drivers-test/lib.sh), LOAD_THREADS (64), LOAD_SECONDS (10),
# LOAD_MAX_CONNECTIONS (16), ODBCPOOL_FAULTS_KEEP=1 (keep the temporary
# directory and print its path).
set -u -o pipefail

# shellcheck source=drivers-test/lib.sh
. "$(dirname "$0")/lib.sh" # sets here, top_srcdir, top_builddir

# ------------------------------------------------------ server control

# server_as DIR CMD...: run CMD as the owner of DIR/data (the server's OS
# user when the tests run as root), from DIR.
server_as() {
	local dir=$1 owner
	shift
	owner=$(stat -c %U "$dir/data") || return 1
	if [ "$(id -u)" -eq 0 ] && [ "$owner" != root ]; then
		(cd "$dir" && runuser -u "$owner" -- "$@")
	else
		(cd "$dir" && "$@")
	fi
}

# postmaster_pid DIR: print the pid of the live postmaster of DIR/data.
postmaster_pid() {
	local dir=$1 pid
	pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null) || return 1
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	[ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$dir/data" || return 1
	printf '%s\n' "$pid"
}

# server_ctl restart|stop|start DIR
server_ctl() {
	local action=$1 dir=${2%/} bindir pid rc
	[ -d "$dir/data" ] || fail "server-$action: no server in $dir"
	bindir=$(pg_bindir)
	case $action in
	restart)
		server_as "$dir" "$bindir/pg_ctl" -D "$dir/data" \
			-l "$dir/server.log" -m fast -w -t 60 restart \
			>"$dir/ctl.log" 2>&1
		rc=$?
		;;
	stop)
		server_as "$dir" "$bindir/pg_ctl" -D "$dir/data" -m fast -w \
			-t 30 stop >"$dir/ctl.log" 2>&1
		rc=$?
		;;
	start)
		server_as "$dir" "$bindir/pg_ctl" -D "$dir/data" \
			-l "$dir/server.log" -w -t 60 start >"$dir/ctl.log" 2>&1
		rc=$?
		;;
	*) fail "unknown server action $action" ;;
	esac
	if [ "$rc" -ne 0 ]; then
		cat "$dir/ctl.log" >&2
		tail -n 30 "$dir/server.log" >&2
		return 1
	fi
	if [ "$action" != stop ]; then
		pid=$(postmaster_pid "$dir") || fail "server-$action: no postmaster"
		echo "$pid" >"$dir/pid"
	fi
	return 0
}

# exit_guard: runs at exit before pg_stop. The known-bug tests stop
# backends (SIGSTOP) and continue them; should a test die in between,
# continue every child of the postmaster (by pid) so that the server can
# shut down. And after a restart that did not get to write DIR/pid (the
# test was killed in it), DIR/pid still names the old postmaster: point
# it at the live one, so that pg_stop stops that.
# shellcheck disable=SC2317 # invoked by at_exit
exit_guard() {
	local pm c
	pm=$(postmaster_pid "$PG_DIR") || return 0
	for c in $(ps -o pid= --ppid "$pm" 2>/dev/null); do
		kill -CONT "$c" 2>/dev/null
	done
	echo "$pm" >"$PG_DIR/pid"
}

case ${1:-} in
server-restart | server-stop | server-start)
	[ $# -eq 2 ] || fail "usage: $0 $1 DIR"
	server_ctl "${1#server-}" "$2"
	exit $?
	;;
'') ;;
*) fail "usage: $0 [server-restart|server-stop|server-start DIR]" ;;
esac

# ------------------------------------------------------------ the tests


prog=$top_builddir/drivers-test/check_faults
load=$top_builddir/drivers-test/load_driver
module=$top_builddir/.libs/odbcpool_driver.so
need_built "$prog" "$load" "$module"
need_cmd timeout

test_tmpdir flt ODBCPOOL_FAULTS_KEEP
# As root the server runs as another user, who must reach $tmp/pg.
chmod 0711 "$tmp"
mkdir -p "$tmp/stats" || fail "cannot create $tmp/stats"

odbc_env_init "$tmp/odbc"
need_drivers pg
odbc_add_pool_driver "$module"

pg_start "$tmp/pg" # skips when no server binaries; stopped (by pid) at exit
at_exit exit_guard # runs before pg_stop (registered later)

# Every pooled DSN bounds its connects: a hung server must not hold a
# borrower forever (the pool itself does not bound the connect).
for d in pg_val pg_noval pg_bare pg_load pg_down pg_fair pg_fork \
	pg_stall pg_victim pg_stallval pg_sleepreset pg_lockreset real_pg; do
	odbc_add_pg_dsn "$d" "$PG_PORT" "pqopt=connect_timeout=5"
done
# The superuser, over TCP (trust for every role but odbcpool).
odbc_add_pg_dsn pg_super "$PG_PORT" Username=postgres Password= \
	"pqopt=connect_timeout=5"
odbc_add_pooled_dsn pooled_pg real_pg "$tmp/pool-load.ini"

# Residue the resets must have erased (as in postgresql.sh).
verify=$(pg_verify_query)

cat >"$tmp/pool.ini" <<EOF || fail "cannot write $tmp/pool.ini"
; written by drivers-test/faults.sh
[defaults]
borrow_timeout = 5s
reset_workers = 2

[pg_val]
max_connections = 4
validation_idle = 0
validation_query = SELECT 1

[pg_noval]
max_connections = 2

[pg_bare]
max_connections = 2
; no database reset at all (reset = auto would run PostgreSQL's)
reset = none

[pg_load]
max_connections = 4
validation_idle = 0
validation_query = SELECT 1
verify_query = $verify

[pg_down]
max_connections = 2
validation_idle = 0
validation_query = SELECT 1

[pg_hung]
max_connections = 1

[pg_hung_nt]
max_connections = 1

[pg_fair]
max_connections = 2
borrow_timeout = 200ms

[pg_fork]
max_connections = 4

; the hung-backend tests
[pg_stall]
max_connections = 2

[pg_victim]
max_connections = 1

[pg_stallval]
max_connections = 1
validation_idle = 0
validation_query = SELECT 1
EOF

# reset_timeout: a reset that sleeps, and one that waits for a lock the
# test holds, each given up after 1 s; audited, with a key of its own.
(umask 077 && head -c 32 /dev/urandom >"$tmp/audit.key") ||
	fail "cannot write the audit key"
cat >"$tmp/pool-reset.ini" <<EOF || fail "cannot write $tmp/pool-reset.ini"
; written by drivers-test/faults.sh: resets that do not finish
[defaults]
borrow_timeout = 10s
reset_workers = 2
reset_timeout = 1s

[audit]
path = $tmp/audit.log
key_file = $tmp/audit.key

[pg_sleepreset]
max_connections = 1
reset_sql = SELECT pg_sleep(60)

[pg_lockreset]
max_connections = 1
reset_sql = SELECT pg_advisory_lock(4711)
EOF
export ODBCPOOL_TEST_RESET_CONFIG=$tmp/pool-reset.ini
export ODBCPOOL_TEST_AUDIT_LOG=$tmp/audit.log

load_max=${LOAD_MAX_CONNECTIONS:-16}
cat >"$tmp/pool-load.ini" <<EOF || fail "cannot write $tmp/pool-load.ini"
; written by drivers-test/faults.sh: the driver load
[defaults]
borrow_timeout = 30s
reset_workers = 4
stats_file = $tmp/stats/load-%p.prom

[real_pg]
max_connections = $load_max
verify_query = $verify
EOF

export ODBCPOOL_TEST_CONFIG=$tmp/pool.ini
export ODBCPOOL_TEST_SUPER="DSN=pg_super"
export ODBCPOOL_TEST_SERVER_CTL=$here/faults.sh
export ODBCPOOL_TEST_PG_DIR=$PG_DIR
export ODBCPOOL_TEST_USER=$PG_TEST_USER

status=0
start=$SECONDS
if timeout -k 10 240 "$prog"; then
	echo "faults.sh: check_faults passed in $((SECONDS - start)) s"
else
	echo "faults.sh: check_faults FAILED after $((SECONDS - start)) s" >&2
	status=1
fi

# The server must be up for the load (a failed test may have stopped it).
if ! pg_psql_super -c 'SELECT 1' >/dev/null 2>&1; then
	echo "faults.sh: server not answering after check_faults: starting it"
	server_ctl start "$PG_DIR" || fail "cannot start the server again"
fi

start=$SECONDS
export LOAD_THREADS=${LOAD_THREADS:-64} LOAD_SECONDS=${LOAD_SECONDS:-10}
export LOAD_MAX_CONNECTIONS=$load_max LOAD_USER=$PG_TEST_USER
if timeout -k 10 $((LOAD_SECONDS + 60)) "$load" \
	"DSN=pooled_pg" "DSN=pg_super" "$tmp/stats/load-%p.prom"; then
	echo "faults.sh: load_driver passed in $((SECONDS - start)) s"
else
	echo "faults.sh: load_driver FAILED after $((SECONDS - start)) s" >&2
	status=1
fi
exit "$status"
