#!/usr/bin/env bash
# fleet_service.sh start|stop|restart DIR [ARG...] - the service manager of
# tests/t_ansible.sh, where CI has no systemd as PID 1: runs DIR/current ARG...
# in the background as systemd would run the unit's ExecStart=, with its pid
# in DIR/service.pid and its output in DIR/service.log. The playbook of
# examples/ansible calls it through its restart variable (fatpack_restart).
#
# Only a process that executes a release of DIR (by /proc/PID/exe) is ever
# signalled, so a stale pid file never stops a stranger.
set -u

usage() {
	echo "usage: fleet_service.sh start|stop|restart DIR [ARG...]" >&2
	exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$(cd "$2" && pwd -P) || exit 1
shift 2
pidfile=$dir/service.pid

# ours PID: true while PID runs a release of $dir (and is no zombie).
ours() {
	local state
	case $(readlink "/proc/$1/exe" 2>/dev/null) in
	"$dir"/releases/*) ;;
	*) return 1 ;;
	esac
	state=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$state" != Z ]
}

# stop: SIGTERM, 10 s to finish its responses, then SIGKILL.
stop() {
	local pid
	pid=$(cat "$pidfile" 2>/dev/null) || return 0
	rm -f "$pidfile"
	case $pid in '' | *[!0-9]*) return 0 ;; esac
	ours "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 100); do
		ours "$pid" || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
}

# start: detached from the ssh session (its own session, no descriptor of
# it), so the process outlives the connection that started it.
start() {
	setsid "$dir/current" "$@" </dev/null >>"$dir/service.log" 2>&1 &
	echo $! >"$pidfile"
}

case $cmd in
start) start "$@" ;;
stop) stop ;;
restart) stop && start "$@" ;;
*) usage ;;
esac
