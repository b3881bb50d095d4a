# server-common.sh — what scripts/pg-server.sh and scripts/mariadb-server.sh
# share: sourced by both after they set PROG (their name for messages).
# Each defines, for the functions here, DIR (the server's directory, set
# by server_parse_args) and reads DIR/pid, DIR/port and DIR/server.log.
# shellcheck shell=bash

# die MSG: print "PROG: MSG" on stderr and exit 1.
die() {
	printf '%s: %s\n' "$PROG" "$*" >&2
	exit 1
}

# usage: print the usage line and exit 2.
usage() {
	printf 'usage: %s start|stop|env DIR\n' "$PROG" >&2
	exit 2
}

# server_parse_args CMD DIR: set CMD and DIR (absolute, no trailing
# slash); DIR must be short enough for a unix socket path below it.
server_parse_args() {
	[ $# -eq 2 ] || usage
	# shellcheck disable=SC2034 # read by the sourcing script
	CMD=$1
	DIR=$2
	case $DIR in
	/*) ;;
	*) DIR=$(pwd)/$DIR ;;
	esac
	DIR=${DIR%/}
	[ "${#DIR}" -le 80 ] || die "DIR too long for a unix socket path: $DIR"
}

# server_runas OVERRIDE DEFAULT: set RUNAS, the OS user the server runs
# as: empty unless we are root; as root OVERRIDE if set, else DEFAULT if
# that user exists, else nobody (runuser must then be installed).
server_runas() {
	RUNAS=
	[ "$(id -u)" -eq 0 ] || return 0
	RUNAS=$1
	if [ -z "$RUNAS" ]; then
		if id -u "$2" >/dev/null 2>&1; then
			RUNAS=$2
		else
			RUNAS=nobody
		fi
	fi
	command -v runuser >/dev/null 2>&1 || die "runuser not found"
}

# port_in_use PORT: true if something listens on 127.0.0.1:PORT (or any
# address on that port).
port_in_use() {
	local p=$1
	if command -v ss >/dev/null 2>&1; then
		[ -n "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] && return 0
	fi
	# Fallback and double check: try to connect.
	if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		return 0
	fi
	return 1
}

# pick_port: print a free TCP port in 20000-40000.
pick_port() {
	local tries=0 p
	while [ "$tries" -lt 200 ]; do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 20001))
		if ! port_in_use "$p"; then
			printf '%s\n' "$p"
			return 0
		fi
		tries=$((tries + 1))
	done
	die "no free TCP port found in 20000-40000"
}

# server_pid_alive MARK: true if DIR/pid names a live process (not a
# zombie) whose command line contains MARK (the server's data directory
# or option file: a recycled pid is not our server).
server_pid_alive() {
	local pid
	[ -f "$DIR/pid" ] || return 1
	pid=$(cat "$DIR/pid" 2>/dev/null) || return 1
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	[ -d "/proc/$pid" ] || kill -0 "$pid" 2>/dev/null || return 1
	if [ -r "/proc/$pid/cmdline" ]; then
		tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$1" || return 1
		# A zombie is as good as dead.
		if [ -r "/proc/$pid/stat" ]; then
			case $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) in
			Z | X) return 1 ;;
			esac
		fi
	fi
	return 0
}

# server_wait_gone PID STEPS TERM_AT KILL_AT: wait up to STEPS times
# 0.1 s until pid_alive fails, sending PID SIGTERM at step TERM_AT and
# SIGKILL at step KILL_AT; die if the server is still there.
server_wait_gone() {
	local pid=$1 steps=$2 term_at=$3 kill_at=$4 i
	for i in $(seq 1 "$steps"); do
		pid_alive || break
		[ "$i" -eq "$term_at" ] && kill -TERM "$pid" 2>/dev/null
		[ "$i" -eq "$kill_at" ] && kill -KILL "$pid" 2>/dev/null
		sleep 0.1
	done
	if pid_alive; then
		die "server $pid still running"
	fi
}

# show_log: the last 60 lines of DIR/server.log on stderr.
show_log() {
	if [ -f "$DIR/server.log" ]; then
		printf -- '--- %s ---\n' "$DIR/server.log" >&2
		tail -n 60 "$DIR/server.log" >&2
	fi
}
