#!/bin/bash
# mariadb-server.sh — start/stop a throwaway MariaDB server for odbcpool
# tests (Debian's mariadb-server, 10.11).
#
# Usage:
#   mariadb-server.sh start DIR   create (first time) and start a server in
#                                 DIR; prints the TCP port on stdout
#   mariadb-server.sh stop DIR    stop the server started in DIR (by pid)
#   mariadb-server.sh env DIR     print MARIADB_PORT=..., MARIADB_HOST=127.0.0.1
#                                 and MARIADB_SOCKET=DIR/mysqld.sock
#
# The server:
#   - data directory DIR/data (mariadb-install-db), config DIR/my.cnf
#     (rewritten at every start, the only option file the server reads),
#     error log DIR/server.log, unix socket DIR/mysqld.sock, port in
#     DIR/port, server pid in DIR/pid;
#   - listens on 127.0.0.1 only, on a free port picked in 20000-40000;
#     skip-name-resolve; grant tables on (a password is checked);
#   - superuser: root (unix_socket authentication: only the OS user root, or
#     the OS user who ran "start" when not root, over the unix socket, no
#     password; see mariadb_super below);
#   - user odbcpool@127.0.0.1 and odbcpool@localhost, password
#     "odbcpool-secret" (mysql_native_password; a wrong password is
#     refused), with all privileges on databases odbcpool and odbcpool_other
#     (a second database, for USE tests); a role odbcpool_role (SELECT on
#     odbcpool_other) granted to odbcpool, not a default role (SET ROLE
#     tests); no anonymous users;
#   - TLS: a CA and a server certificate (CN 127.0.0.1, subjectAltName
#     IP:127.0.0.1) made with openssl at every start in DIR/tls (ca.crt is
#     what a client verifies against); TLS allowed, not required;
#   - fast and unsafe: innodb_flush_log_at_trx_commit = 0, no doublewrite,
#     small InnoDB log and buffer pool; max_connections = 200.
#
# Environment:
#   MARIADBD            the server binary (default: mariadbd on PATH or in
#                       /usr/sbin, /usr/libexec, /usr/local/sbin)
#   MARIADB_SERVER_USER OS user that runs the server when started as root
#                       (default: mysql, else nobody)
#   MARIADB_EXTRA_CONF  extra [mariadbd] lines, e.g. "general_log = 1"
#
# As root the server runs as MARIADB_SERVER_USER (mariadbd --user=...),
# DIR is chowned to that user, and every directory above DIR must be
# searchable by it (a 0700 mktemp directory is not: chmod 0711 it first).
#
# Exit status: 0; 1 on failure (the error log is printed); 2 on bad usage;
# 77 (automake's "skipped") when the MariaDB server is not installed.
# Idempotent: "start" on a running server prints its port; "stop" on a
# stopped (or never started) one does nothing and succeeds.

set -u -o pipefail

PROG=${0##*/}
USER_NAME=odbcpool
USER_PASSWORD=odbcpool-secret
DATABASE=odbcpool
OTHER_DATABASE=odbcpool_other
ROLE=odbcpool_role

# shellcheck source=scripts/server-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/server-common.sh"

# find_mariadbd: print the server binary, or exit 77.
find_mariadbd() {
	local d
	if [ -n "${MARIADBD:-}" ]; then
		[ -x "$MARIADBD" ] || {
			printf '%s: MARIADBD=%s is not executable\n' "$PROG" \
				"$MARIADBD" >&2
			exit 77
		}
		printf '%s\n' "$MARIADBD"
		return
	fi
	if command -v mariadbd >/dev/null 2>&1; then
		command -v mariadbd
		return
	fi
	for d in /usr/sbin /usr/libexec /usr/local/sbin /usr/local/bin; do
		if [ -x "$d/mariadbd" ]; then
			printf '%s\n' "$d/mariadbd"
			return
		fi
	done
	printf '%s: mariadbd not found (apt-get install mariadb-server)\n' \
		"$PROG" >&2
	exit 77
}

# find_tool NAME: print the path of a client tool (mariadb, mariadb-admin,
# mariadb-install-db), next to mariadbd or on PATH.
find_tool() {
	local name=$1 d
	if command -v "$name" >/dev/null 2>&1; then
		command -v "$name"
		return 0
	fi
	d=$(dirname "$MARIADBD_BIN")
	for d in "$d" "$d/../bin" /usr/bin /usr/local/bin; do
		if [ -x "$d/$name" ]; then
			printf '%s\n' "$d/$name"
			return 0
		fi
	done
	return 1
}

# pid_alive: true if DIR/pid names a live mariadbd of DIR.
pid_alive() {
	server_pid_alive "$DIR/my.cnf"
}

# The server options that mariadb-install-db's bootstrap must share with
# the server (InnoDB's log size is fixed when it is created).
common_conf() {
	# tmpdir inside DIR: a server deletes #sql* files it finds in its
	# tmpdir at start, so servers sharing /tmp (tests running at once)
	# would delete each other's temporary tables.
	cat <<EOF
datadir = $DIR/data
tmpdir = $DIR/tmp
socket = $DIR/mysqld.sock
skip-name-resolve
innodb_buffer_pool_size = 64M
innodb_log_file_size = 16M
innodb_flush_log_at_trx_commit = 0
innodb_doublewrite = 0
EOF
}

write_config() {
	local port=$1
	{
		echo "# written by $PROG at every start; the only option file read"
		echo "[mariadbd]"
		common_conf
		cat <<EOF
port = $port
bind-address = 127.0.0.1
pid-file = $DIR/mariadbd.pid
log-error = $DIR/server.log
max_connections = 200
skip-log-bin
ssl-ca = $DIR/tls/ca.crt
ssl-cert = $DIR/tls/server.crt
ssl-key = $DIR/tls/server.key
${MARIADB_EXTRA_CONF:-}
EOF
	} >"$DIR/my.cnf"
	chmod 0644 "$DIR/my.cnf"
}

# make_cert: a CA and a server certificate signed by it, made anew at
# every start (valid 2 days).
make_cert() {
	local t=$DIR/tls
	mkdir -p "$t" || return 1
	rm -f "$t"/*
	{
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
			-subj "/CN=odbcpool test CA" \
			-keyout "$t/ca.key" -out "$t/ca.crt" &&
			openssl req -newkey rsa:2048 -nodes \
				-subj /CN=127.0.0.1 \
				-keyout "$t/server.key" -out "$t/server.csr" &&
			printf '%s\n' 'subjectAltName = IP:127.0.0.1, DNS:localhost' \
				'basicConstraints = CA:FALSE' \
				'keyUsage = digitalSignature, keyEncipherment' \
				'extendedKeyUsage = serverAuth' >"$t/server.ext" &&
			openssl x509 -req -in "$t/server.csr" -days 2 \
				-CA "$t/ca.crt" -CAkey "$t/ca.key" -CAcreateserial \
				-extfile "$t/server.ext" -out "$t/server.crt"
	} >"$t/openssl.log" 2>&1 || {
		cat "$t/openssl.log" >&2
		return 1
	}
	chmod 0600 "$t/server.key" "$t/ca.key"
	chmod 0644 "$t/server.crt" "$t/ca.crt"
}

# mariadb_super ARGS...: the mariadb client as the superuser over the
# unix socket (unix_socket authentication).
mariadb_super() {
	"$CLIENT" --no-defaults --protocol=socket -S "$DIR/mysqld.sock" \
		-u "$SUPERUSER" --batch --skip-column-names "$@"
}

create_objects() {
	mariadb_super --connect-timeout=10 <<EOF
DELETE FROM mysql.global_priv WHERE User = '';
CREATE DATABASE IF NOT EXISTS $DATABASE;
CREATE DATABASE IF NOT EXISTS $OTHER_DATABASE;
CREATE USER IF NOT EXISTS '$USER_NAME'@'127.0.0.1';
CREATE USER IF NOT EXISTS '$USER_NAME'@'localhost';
ALTER USER '$USER_NAME'@'127.0.0.1'
  IDENTIFIED VIA mysql_native_password USING PASSWORD('$USER_PASSWORD');
ALTER USER '$USER_NAME'@'localhost'
  IDENTIFIED VIA mysql_native_password USING PASSWORD('$USER_PASSWORD');
GRANT ALL PRIVILEGES ON $DATABASE.* TO '$USER_NAME'@'127.0.0.1';
GRANT ALL PRIVILEGES ON $DATABASE.* TO '$USER_NAME'@'localhost';
GRANT ALL PRIVILEGES ON $OTHER_DATABASE.* TO '$USER_NAME'@'127.0.0.1';
GRANT ALL PRIVILEGES ON $OTHER_DATABASE.* TO '$USER_NAME'@'localhost';
CREATE ROLE IF NOT EXISTS $ROLE;
GRANT SELECT ON $OTHER_DATABASE.* TO $ROLE;
GRANT $ROLE TO '$USER_NAME'@'127.0.0.1';
GRANT $ROLE TO '$USER_NAME'@'localhost';
FLUSH PRIVILEGES;
EOF
}

# wait_ready PID LOGSIZE: wait until the server answers on its socket.
# Returns 0 when ready, 1 when it died (2 if it died of a port clash),
# 3 on time-out.
wait_ready() {
	local pid=$1 logsize=$2 i
	for i in $(seq 1 600); do
		if "$ADMIN" --no-defaults --protocol=socket \
			-S "$DIR/mysqld.sock" -u "$SUPERUSER" \
			--connect-timeout=2 ping >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			if tail -c +$((logsize + 1)) "$DIR/server.log" 2>/dev/null |
				grep -q 'Bind on TCP/IP port\|Address already in use'; then
				return 2
			fi
			return 1
		fi
		sleep 0.1
	done
	return 3
}

cmd_start() {
	if pid_alive && [ -f "$DIR/port" ]; then
		cat "$DIR/port"
		return 0
	fi
	rm -f "$DIR/pid" "$DIR/port"

	CLIENT=$(find_tool mariadb) || die "the mariadb client is not installed"
	ADMIN=$(find_tool mariadb-admin) ||
		die "mariadb-admin is not installed"
	command -v openssl >/dev/null 2>&1 || die "openssl not found"

	mkdir -p "$DIR" "$DIR/tmp" || die "cannot create $DIR"
	if [ -n "$RUNAS" ]; then
		chown -R "$RUNAS:" "$DIR" || die "cannot chown $DIR to $RUNAS"
		runuser -u "$RUNAS" -- test -w "$DIR" -a -x "$DIR" ||
			die "$RUNAS cannot reach $DIR (make its parent directories searchable, e.g. chmod 0711)"
	fi
	chmod 0755 "$DIR" 2>/dev/null

	if [ ! -d "$DIR/data/mysql" ]; then
		local install
		install=$(find_tool mariadb-install-db) ||
			die "mariadb-install-db is not installed"
		rm -rf "$DIR/data"
		{
			echo "[mariadbd]"
			common_conf
		} >"$DIR/install.cnf"
		chmod 0644 "$DIR/install.cnf"
		# Root gets unix_socket authentication: the OS user root, or
		# (not root) the OS user running this, as a second account.
		local install_opt=(--auth-root-authentication-method=socket)
		if [ -n "$RUNAS" ]; then
			install_opt+=(--user="$RUNAS")
		else
			install_opt+=(--auth-root-socket-user="$SUPERUSER")
		fi
		(cd "$DIR" && "$install" --defaults-file="$DIR/install.cnf" \
			"${install_opt[@]}" --skip-test-db) \
			>"$DIR/install.log" 2>&1 || {
			cat "$DIR/install.log" >&2
			die "mariadb-install-db failed"
		}
	fi

	make_cert || die "cannot create the TLS certificates"
	[ -z "$RUNAS" ] || chown -R "$RUNAS:" "$DIR/tls"

	local attempt port pid logsize rc
	local runas_opt=()
	[ -z "$RUNAS" ] || runas_opt=(--user="$RUNAS")
	for attempt in 1 2 3 4 5; do
		port=$(pick_port) || exit 1
		write_config "$port"
		touch "$DIR/server.log"
		[ -z "$RUNAS" ] || chown "$RUNAS:" "$DIR/my.cnf" "$DIR/server.log"
		logsize=$(stat -c %s "$DIR/server.log" 2>/dev/null || echo 0)
		rm -f "$DIR/mariadbd.pid"
		# --defaults-file must come first. The server starts as root
		# and switches to RUNAS itself (--user). No stdin, own session,
		# so that a test's terminal signals do not reach it.
		(cd "$DIR" && exec setsid "$MARIADBD_BIN" \
			--defaults-file="$DIR/my.cnf" "${runas_opt[@]}" \
			</dev/null >>"$DIR/server.log" 2>&1) &
		pid=$!
		wait_ready "$pid" "$logsize"
		rc=$?
		[ "$rc" -eq 0 ] && break
		if [ "$rc" -eq 2 ] && [ "$attempt" -lt 5 ]; then
			continue
		fi
		if [ "$rc" -eq 3 ]; then
			kill -KILL "$pid" 2>/dev/null
		fi
		show_log
		die "server did not start"
	done

	# setsid does not fork here (not a group leader), so $! is mariadbd;
	# the pid file it wrote says the same.
	if [ -s "$DIR/mariadbd.pid" ]; then
		pid=$(head -n 1 "$DIR/mariadbd.pid")
	fi
	case $pid in
	'' | *[!0-9]*)
		show_log
		die "no server pid"
		;;
	esac
	echo "$pid" >"$DIR/pid"
	echo "$port" >"$DIR/port"

	if ! create_objects >"$DIR/setup.log" 2>&1; then
		cat "$DIR/setup.log" >&2
		show_log
		cmd_stop
		die "cannot create user/database"
	fi
	printf '%s\n' "$port"
}

cmd_stop() {
	local pid
	[ -f "$DIR/pid" ] || return 0
	pid=$(cat "$DIR/pid" 2>/dev/null)
	if pid_alive; then
		ADMIN=$(find_tool mariadb-admin 2>/dev/null) || ADMIN=
		if [ -n "$ADMIN" ] && [ -S "$DIR/mysqld.sock" ]; then
			"$ADMIN" --no-defaults --protocol=socket \
				-S "$DIR/mysqld.sock" -u "$SUPERUSER" \
				--connect-timeout=5 shutdown >/dev/null 2>&1
		fi
		server_wait_gone "$pid" 150 50 120
	fi
	rm -f "$DIR/pid" "$DIR/port"
	return 0
}

cmd_env() {
	[ -f "$DIR/port" ] || die "no server in $DIR (no $DIR/port)"
	printf 'MARIADB_PORT=%s\nMARIADB_HOST=127.0.0.1\nMARIADB_SOCKET=%s\n' \
		"$(cat "$DIR/port")" "$DIR/mysqld.sock"
}

# The unix socket path (DIR/mysqld.sock) must fit in sun_path.
server_parse_args "$@"
server_runas "${MARIADB_SERVER_USER:-}" mysql
SUPERUSER=$(id -un)
[ "$(id -u)" -ne 0 ] || SUPERUSER=root

case $CMD in
start)
	MARIADBD_BIN=$(find_mariadbd) || exit 77
	cmd_start
	;;
stop)
	MARIADBD_BIN=$(find_mariadbd 2>/dev/null) || MARIADBD_BIN=/usr/sbin/mariadbd
	cmd_stop
	;;
env) cmd_env ;;
*) usage ;;
esac
