#!/bin/bash
# pg-server.sh — start/stop a throwaway PostgreSQL server for odbcpool tests.
#
# Usage:
#   pg-server.sh start DIR   create (first time) and start a server in DIR;
#                            prints the TCP port on stdout
#   pg-server.sh stop DIR    stop the server started in DIR (by pid)
#   pg-server.sh env DIR     print PGPORT=... and PGHOST=127.0.0.1
#
# The server:
#   - cluster in DIR/data, log in DIR/server.log, unix socket in DIR/sock,
#     port in DIR/port, postmaster pid in DIR/pid;
#   - listens on 127.0.0.1 only, on a free port picked in 20000-40000;
#   - superuser "postgres" (trust, unix socket and 127.0.0.1);
#     login role "odbcpool" with password "odbcpool-secret" (scram-sha-256
#     over TCP: a wrong password is refused) owning database "odbcpool";
#     NOLOGIN role "odbcpool_other" granted to odbcpool (for SET ROLE tests);
#     the password of any member of role "odbcpool_pwcheck" (which tests
#     create) is checked over TCP as well, every other role is trusted;
#   - TLS on with a self-signed certificate made at every start, not
#     required (both sslmode=disable and sslmode=require connects work);
#   - fsync=off, max_connections=200.
#
# Environment:
#   PG_BINDIR       directory with initdb/pg_ctl/psql (default: newest
#                   /usr/lib/postgresql/*/bin, 15 preferred)
#   PG_SERVER_USER  OS user that runs the server when started as root
#                   (default: postgres, else nobody)
#   PG_EXTRA_CONF   extra postgresql.conf lines, e.g. "log_statement = all"
#
# As root, the server runs as PG_SERVER_USER (runuser -u USER --), DIR is
# chowned to that user, and every directory above DIR must be searchable by
# it (a 0700 mktemp directory is not: chmod 0711 it first).
#
# Idempotent: "start" on a running server prints its port; "stop" on a
# stopped (or never started) one does nothing and succeeds.

set -u -o pipefail

PROG=${0##*/}
ROLE=odbcpool
ROLE_PASSWORD=odbcpool-secret
DATABASE=odbcpool
OTHER_ROLE=odbcpool_other

# shellcheck source=scripts/server-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/server-common.sh"

# find_bindir: print the PostgreSQL bin dir ($PG_BINDIR, else 15, else the
# highest installed version).
find_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then
		[ -x "$PG_BINDIR/initdb" ] ||
			die "PG_BINDIR=$PG_BINDIR has no initdb"
		printf '%s\n' "$PG_BINDIR"
		return
	fi
	if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
		echo /usr/lib/postgresql/15/bin
		return
	fi
	local d best='' bestv=0 v
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] || continue
		v=${d#/usr/lib/postgresql/}
		v=${v%%/*}
		v=${v%%.*}
		case $v in '' | *[!0-9]*) continue ;; esac
		if [ "$v" -gt "$bestv" ]; then
			bestv=$v
			best=$d
		fi
	done
	if [ -z "$best" ] && command -v initdb >/dev/null 2>&1; then
		best=$(dirname "$(command -v initdb)")
	fi
	[ -n "$best" ] || die "no PostgreSQL server binaries (initdb) found"
	printf '%s\n' "$best"
}

# as_server CMD...: run CMD as the server's OS user, from DIR (the caller's
# cwd may be unreadable to that user).
as_server() {
	if [ -n "$RUNAS" ]; then
		(cd "$DIR" && runuser -u "$RUNAS" -- "$@")
	else
		(cd "$DIR" && "$@")
	fi
}

# pid_alive: true if DIR/pid names a live postmaster of DIR/data.
pid_alive() {
	server_pid_alive "$DIR/data"
}

write_config() {
	local port=$1
	# Rewritten at every start: port and TLS paths may change.
	cat >"$DIR/odbcpool.conf" <<EOF
# written by $PROG at every start; included from postgresql.conf
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$DIR/sock'
unix_socket_permissions = 0777
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
password_encryption = 'scram-sha-256'
ssl = on
ssl_cert_file = '$DIR/tls/server.crt'
ssl_key_file = '$DIR/tls/server.key'
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
${PG_EXTRA_CONF:-}
EOF
	chmod 0644 "$DIR/odbcpool.conf"
	cat >"$DIR/data/pg_hba.conf" <<'EOF'
# written by pg-server.sh: trust the superuser, check the passwords of
# odbcpool and of members of odbcpool_pwcheck (roles tests create)
# TYPE  DATABASE  USER              ADDRESS        METHOD
local   all       all                              trust
host    all       odbcpool          127.0.0.1/32   scram-sha-256
host    all       +odbcpool_pwcheck 127.0.0.1/32   scram-sha-256
host    all       all               127.0.0.1/32   trust
EOF
}

make_cert() {
	mkdir -p "$DIR/tls" || return 1
	rm -f "$DIR/tls/server.key" "$DIR/tls/server.crt"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		-subj /CN=127.0.0.1 \
		-keyout "$DIR/tls/server.key" -out "$DIR/tls/server.crt" \
		>"$DIR/tls/openssl.log" 2>&1 || {
		cat "$DIR/tls/openssl.log" >&2
		return 1
	}
	chmod 0600 "$DIR/tls/server.key"
	chmod 0644 "$DIR/tls/server.crt"
}

psql_super() {
	as_server "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR/sock" \
		-p "$1" -U postgres -d postgres -At "${@:2}"
}

create_objects() {
	local port=$1
	psql_super "$port" <<EOF || return 1
SET client_min_messages = warning;
SELECT 'CREATE ROLE $ROLE LOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$ROLE') \gexec
ALTER ROLE $ROLE LOGIN PASSWORD '$ROLE_PASSWORD';
SELECT 'CREATE ROLE $OTHER_ROLE NOLOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$OTHER_ROLE') \gexec
GRANT $OTHER_ROLE TO $ROLE;
SELECT 'CREATE DATABASE $DATABASE OWNER $ROLE'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DATABASE') \gexec
EOF
}

cmd_start() {
	if pid_alive && [ -f "$DIR/port" ]; then
		cat "$DIR/port"
		return 0
	fi
	rm -f "$DIR/pid" "$DIR/port"

	BINDIR=$(find_bindir) || exit 1
	mkdir -p "$DIR" || die "cannot create $DIR"
	if [ -n "$RUNAS" ]; then
		chown -R "$RUNAS:" "$DIR" || die "cannot chown $DIR to $RUNAS"
		runuser -u "$RUNAS" -- test -w "$DIR" -a -x "$DIR" ||
			die "$RUNAS cannot reach $DIR (make its parent directories searchable, e.g. chmod 0711)"
	fi
	as_server mkdir -p "$DIR/sock" || die "cannot create $DIR/sock"
	chmod 0755 "$DIR" "$DIR/sock" 2>/dev/null

	if [ ! -f "$DIR/data/PG_VERSION" ]; then
		rm -rf "$DIR/data"
		as_server "$BINDIR/initdb" -D "$DIR/data" -U postgres -A trust \
			-E UTF8 --no-locale --no-sync >"$DIR/initdb.log" 2>&1 || {
			cat "$DIR/initdb.log" >&2
			die "initdb failed"
		}
		echo "include_if_exists = '$DIR/odbcpool.conf'" \
			>>"$DIR/data/postgresql.conf"
	fi

	make_cert || die "cannot create the TLS certificate"
	[ -z "$RUNAS" ] || chown -R "$RUNAS:" "$DIR/tls"

	local attempt port pid logsize
	for attempt in 1 2 3 4 5; do
		port=$(pick_port) || exit 1
		write_config "$port"
		[ -z "$RUNAS" ] || chown "$RUNAS:" "$DIR/odbcpool.conf" \
			"$DIR/data/pg_hba.conf"
		logsize=$(stat -c %s "$DIR/server.log" 2>/dev/null || echo 0)
		if as_server "$BINDIR/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" \
			-w -t 60 start >"$DIR/pg_ctl.log" 2>&1; then
			break
		fi
		# Lost a race for the port (in this attempt's log)? Try another.
		if tail -c +$((logsize + 1)) "$DIR/server.log" 2>/dev/null |
			grep -q 'could not bind\|Address already in use' &&
			[ "$attempt" -lt 5 ]; then
			continue
		fi
		cat "$DIR/pg_ctl.log" >&2
		show_log
		die "server did not start"
	done

	pid=$(head -n 1 "$DIR/data/postmaster.pid" 2>/dev/null)
	case $pid in
	'' | *[!0-9]*)
		show_log
		die "no postmaster pid"
		;;
	esac
	echo "$pid" >"$DIR/pid"
	echo "$port" >"$DIR/port"

	if ! create_objects "$port"; then
		show_log
		cmd_stop
		die "cannot create role/database"
	fi
	printf '%s\n' "$port"
}

cmd_stop() {
	local pid
	[ -f "$DIR/pid" ] || return 0
	pid=$(cat "$DIR/pid" 2>/dev/null)
	if pid_alive; then
		BINDIR=$(find_bindir) || BINDIR=
		if [ -n "$BINDIR" ] && [ -d "$DIR/data" ]; then
			as_server "$BINDIR/pg_ctl" -D "$DIR/data" -m immediate \
				-w -t 20 stop >/dev/null 2>&1
		fi
		server_wait_gone "$pid" 50 10 30
	fi
	rm -f "$DIR/pid" "$DIR/port"
	return 0
}

cmd_env() {
	[ -f "$DIR/port" ] || die "no server in $DIR (no $DIR/port)"
	printf 'PGPORT=%s\nPGHOST=127.0.0.1\n' "$(cat "$DIR/port")"
}

# The unix socket path (DIR/sock/.s.PGSQL.NNNNN) must fit in sun_path.
server_parse_args "$@"
server_runas "${PG_SERVER_USER:-}" postgres

case $CMD in
start) cmd_start ;;
stop) cmd_stop ;;
env) cmd_env ;;
*) usage ;;
esac
