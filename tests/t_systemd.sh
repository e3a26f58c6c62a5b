#!/usr/bin/env bash
# t_systemd.sh BUILD_DIR - a fat binary as a service (docs/SERVICE.md): the
# sd_notify protocol received by a test listener (tests/notify_listen.py,
# checked first against systemd's own systemd-notify), socket activation with
# systemd-socket-activate, the journal's stderr, and the server as PID 1 of a
# new PID namespace (unshare). The C API is driven through
# tests/unit/service_prog.c, a fat program.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

APP=$T/site-app
PROG=$T/service-prog
LISTEN="$TOP/tests/notify_listen.py"
mkdir -p "$T/assets" && echo asset >"$T/assets/a.txt"

if ! "$FATPACK" build --serve "$TOP/examples/site" -o "$APP" >"$T/build.out" 2>&1; then
	not_ok "build the site" "$(cat "$T/build.out")"
	done_testing
fi
fp_build "$PROG" "$TOP/tests/unit/service_prog.c" "$T/assets" || done_testing
ok "build the site and service_prog"

# listener NAME ADDRESS: a notify listener at ADDRESS logging to $T/NAME.n.
listener() {
	python3 "$LISTEN" "$2" "$T/$1.n" &
	LPID=$!
	for _ in $(seq 50); do
		grep -q LISTENING=1 "$T/$1.n" 2>/dev/null && return 0
		sleep 0.1
	done
	not_ok "notify listener $1 starts"
}

# wait_for NAME REGEX FILE: polls FILE for a line matching REGEX (10 s).
wait_for() {
	for _ in $(seq 100); do
		grep -Eq -- "$2" "$3" 2>/dev/null && return 0
		sleep 0.1
	done
	not_ok "$1" "no line matches /$2/ in $3:
$(cat "$3" 2>/dev/null)"
	return 1
}

status_of() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" || true
}

# --- the listener speaks the protocol --------------------------------------
listener ref "$T/ref.sock"
NOTIFY_SOCKET=$T/ref.sock systemd-notify --pid=$$ STATUS=reference >/dev/null 2>&1
wait_for "systemd-notify reaches the test listener" "	STATUS=reference$" \
	"$T/ref.n" && ok "systemd-notify reaches the test listener"
kill "$LPID" 2>/dev/null

# --- readiness, status, stopping ------------------------------------------
listener srv "$T/srv.sock"
NOTIFY_SOCKET=$T/srv.sock "$APP" --listen 127.0.0.1:0 2>"$T/srv.log" &
PID=$!
if wait_for "READY=1 from the server" '	READY=1$' "$T/srv.n"; then
	# READY comes after the sockets listen: the port answers at once
	PORT=$(listen_port "$T/srv.log")
	check_eq "the port answers when READY=1 arrives" 200 \
		"$(status_of "http://127.0.0.1:$PORT/")"
	check_grep "STATUS= names the address" \
		"	STATUS=serving on http://127.0.0.1:$PORT/$" "$T/srv.n"
fi
grep -q STOPPING "$T/srv.n" && not_ok "no STOPPING=1 before the signal"
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
check_eq "the server exits 0 on SIGTERM" 0 "$rc"
wait_for "STOPPING=1 after SIGTERM" '	STOPPING=1$' "$T/srv.n" &&
	ok "STOPPING=1 after SIGTERM"
check_grep "STATUS= says it is stopping" '	STATUS=stopping \(signal 15\)$' \
	"$T/srv.n"
kill "$LPID" 2>/dev/null

# the abstract namespace: "@name"
ABSTRACT="@fatpack-test-$$-$RANDOM"
listener abs "$ABSTRACT"
NOTIFY_SOCKET=$ABSTRACT "$APP" --listen 127.0.0.1:0 2>"$T/abs.log" &
PID=$!
wait_for "READY=1 on an abstract socket" '	READY=1$' "$T/abs.n" &&
	ok "READY=1 on an abstract socket"
kill -TERM "$PID"
wait "$PID"
kill "$LPID" 2>/dev/null

# --- the watchdog -------------------------------------------------------------
# WATCHDOG_USEC=2 s: a ping every second, each well inside the timeout.
listener wd "$T/wd.sock"
NOTIFY_SOCKET=$T/wd.sock WATCHDOG_USEC=2000000 "$APP" --listen 127.0.0.1:0 \
	2>"$T/wd.log" &
PID=$!
for _ in $(seq 100); do
	[ "$(grep -c '	WATCHDOG=1$' "$T/wd.n" 2>/dev/null)" -ge 4 ] && break
	sleep 0.1
done
gaps=$(grep -E '	(READY|WATCHDOG)=1$' "$T/wd.n" | awk '
	{ if (NR > 1) printf "%.2f\n", $1 - t; t = $1 }' | head -n 4)
bad=$(printf '%s\n' "$gaps" | awk '$1 < 0.5 || $1 >= 2.0')
if [ "$(printf '%s\n' "$gaps" | grep -c .)" -eq 4 ] && [ -z "$bad" ]; then
	ok "WATCHDOG=1 every half of WATCHDOG_USEC"
else
	not_ok "WATCHDOG=1 every half of WATCHDOG_USEC" "gaps: $gaps"
fi
kill -TERM "$PID"
wait "$PID"
kill "$LPID" 2>/dev/null

# WATCHDOG_PID names another process: no pings.
listener wdp "$T/wdp.sock"
NOTIFY_SOCKET=$T/wdp.sock WATCHDOG_USEC=200000 WATCHDOG_PID=1 \
	"$APP" --listen 127.0.0.1:0 2>"$T/wdp.log" &
PID=$!
wait_for "READY=1 with another WATCHDOG_PID" '	READY=1$' "$T/wdp.n"
sleep 1
if grep -q WATCHDOG "$T/wdp.n"; then
	not_ok "no WATCHDOG=1 when WATCHDOG_PID is another process"
else
	ok "no WATCHDOG=1 when WATCHDOG_PID is another process"
fi
kill -TERM "$PID"
wait "$PID"
kill "$LPID" 2>/dev/null

# --- the C API ---------------------------------------------------------------
check_eq "fatpack_notify without NOTIFY_SOCKET is a no-op" 0 \
	"$(env -u NOTIFY_SOCKET "$PROG" notify READY=1)"
listener api "$T/api.sock"
check_eq "fatpack_notify sends" 1 \
	"$(NOTIFY_SOCKET=$T/api.sock "$PROG" notify 'STATUS=from the API')"
wait_for "fatpack_notify's message arrives" '	STATUS=from the API$' "$T/api.n" &&
	ok "fatpack_notify's message arrives"
kill "$LPID" 2>/dev/null
check_fails "NOTIFY_SOCKET neither a path nor @name" \
	'notify: Address family not supported' \
	env NOTIFY_SOCKET=relative.sock "$PROG" notify READY=1
check_fails "NOTIFY_SOCKET where nobody listens" 'notify: (No such file|Connection refused)' \
	env NOTIFY_SOCKET="$T/nobody.sock" "$PROG" notify READY=1

# shellcheck disable=SC2016 # $$ is the inner shell's, the exec'd program's pid
check_eq "WATCHDOG_USEC for this pid" "watchdog_usec=5000" \
	"$(WATCHDOG_USEC=5000 sh -c 'WATCHDOG_PID=$$ exec "$0" env' "$PROG" | head -n 1)"
check_eq "WATCHDOG_USEC for another pid is 0" "watchdog_usec=0" \
	"$(WATCHDOG_USEC=5000 WATCHDOG_PID=1 "$PROG" env | head -n 1)"
check_eq "a malformed WATCHDOG_USEC is 0" "watchdog_usec=0" \
	"$(WATCHDOG_USEC=5s "$PROG" env | head -n 1)"

# systemd-socket-activate execs the program on the first connection.
P1=$(free_port)
P2=$(free_port)
systemd-socket-activate -l "127.0.0.1:$P1" -l "127.0.0.1:$P2" \
	--fdname=web:admin "$PROG" env >"$T/api-env.out" 2>"$T/api-env.err" &
SA=$!
for _ in $(seq 50); do
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])))' \
		"$P1" 2>/dev/null && break
	sleep 0.1
done
wait "$SA"
check_eq "fatpack_listen_fds and names under systemd-socket-activate" \
	"watchdog_usec=0
journal=0
listen_fds=2
fd 3 name=web cloexec=1
fd 4 name=admin cloexec=1
name_of_0=(null)" "$(cat "$T/api-env.out")"
# shellcheck disable=SC2016
check_eq "LISTEN_PID of another process: no sockets" "listen_fds=0" \
	"$(LISTEN_PID=1 LISTEN_FDS=1 "$PROG" env 3</dev/null | sed -n 3p)"
# shellcheck disable=SC2016
check_eq "names missing from LISTEN_FDNAMES are unknown" "fd 4 name=unknown cloexec=1" \
	"$(sh -c 'LISTEN_PID=$$ LISTEN_FDS=2 LISTEN_FDNAMES=one exec "$0" env' \
		"$PROG" 3</dev/null 4</dev/null | sed -n 5p)"

# --- socket activation of the server -------------------------------------------
# --listen and PORT name other ports: the server must bind neither.
P1=$(free_port)
P2=$(free_port)
P3=$(free_port)
PORT=$P3 systemd-socket-activate -l "127.0.0.1:$P1" "$APP" \
	--listen "127.0.0.1:$P2" 2>"$T/sa.log" &
SA=$!
for _ in $(seq 50); do
	[ "$(status_of "http://127.0.0.1:$P1/")" = 200 ] && break
	sleep 0.1
done
check_eq "served on the passed socket" 200 "$(status_of "http://127.0.0.1:$P1/")"
check_eq "--listen's port is not bound" 000 "$(status_of "http://127.0.0.1:$P2/")"
check_eq "PORT's port is not bound" 000 "$(status_of "http://127.0.0.1:$P3/")"
# every socket the server holds is the passed one (the connections are closed)
socks=$(find "/proc/$SA/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null | sort -u)
if [ "$(printf '%s\n' "$socks" | wc -l)" -eq 1 ] && [ -n "$socks" ]; then
	ok "the server holds no socket of its own"
else
	not_ok "the server holds no socket of its own" "$socks"
fi
check_grep "it says where it listens" "^listening on http://127.0.0.1:$P1/$" "$T/sa.log"
kill -TERM "$SA"
rc=0
wait "$SA" || rc=$?
check_eq "the activated server exits 0 on SIGTERM" 0 "$rc"

# shellcheck disable=SC2016
check_fails "a passed descriptor that is no listening socket" \
	'passed descriptor 3 \(unknown\): not a listening TCP socket' \
	sh -c 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" 3</dev/null' "$APP"

# --- restart without losing a request ---------------------------------------------
# One listening socket held by this driver, as systemd holds a socket unit's:
# instance A serves it under load, B starts on the same socket, A is stopped;
# every request must be answered.
# shellcheck disable=SC2016 # Python, with a shell line of its own
HANDOVER='
import os, signal, socket, subprocess, sys, threading, time
app, log = sys.argv[1], sys.argv[2]
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(128)
port = ls.getsockname()[1]
os.dup2(ls.fileno(), 3)
def start(name):
    return subprocess.Popen(["sh", "-c",
        "LISTEN_PID=$$ LISTEN_FDS=1 exec \"$0\" --no-access-log", app],
        pass_fds=(3,), stderr=open(log + "." + name, "w"))
def ready(name):
    for _ in range(100):
        if "listening on" in open(log + "." + name).read():
            return
        time.sleep(0.1)
    sys.exit("instance %s did not start" % name)
ok, bad, stop = [0], [], threading.Event()
def load():
    while not stop.is_set():
        try:
            c = socket.create_connection(("127.0.0.1", port), timeout=10)
            c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                b = c.recv(65536)
                if not b:
                    break
                data += b
            c.close()
            if data.startswith(b"HTTP/1.1 200"):
                ok[0] += 1
            else:
                bad.append(data[:40])
        except OSError as e:
            bad.append(str(e))
a = start("a"); ready("a")
threads = [threading.Thread(target=load) for _ in range(4)]
for t in threads: t.start()
time.sleep(0.5)
b = start("b"); ready("b")
before = ok[0]
a.send_signal(signal.SIGTERM)
rc_a = a.wait(timeout=20)
time.sleep(0.5)
stop.set()
for t in threads: t.join()
b.send_signal(signal.SIGTERM)
rc_b = b.wait(timeout=20)
print("answered=%d after_handover=%d failed=%d rc_a=%d rc_b=%d %s" % (
    ok[0], ok[0] - before, len(bad), rc_a, rc_b, bad[:3]))
'
out=$(python3 -c "$HANDOVER" "$APP" "$T/handover" 2>&1)
if printf '%s\n' "$out" | grep -Eq '^answered=[1-9][0-9]* after_handover=[1-9][0-9]* failed=0 rc_a=0 rc_b=0 '; then
	ok "a restart on a held socket loses no request"
else
	not_ok "a restart on a held socket loses no request" "$out"
fi

# --- the journal -----------------------------------------------------------------
# JOURNAL_STREAM names stderr's device and inode: the journal stamps lines.
journal_run() {
	local name=$1 stream=$2
	: >"$T/$name.log"
	[ -z "$stream" ] && stream=$(stat -c '%d:%i' "$T/$name.log")
	JOURNAL_STREAM=$stream "$APP" --listen 127.0.0.1:0 2>>"$T/$name.log" &
	PID=$!
	wait_for "$name starts" '^listening on' "$T/$name.log" || return
	status_of "http://127.0.0.1:$(listen_port "$T/$name.log")/" >/dev/null
	kill -TERM "$PID"
	wait "$PID"
}
journal_run journal ""
check_grep "stderr is the journal: no date in the access log" \
	'^127\.0\.0\.1 - - "GET / HTTP/1\.1" 200 ' "$T/journal.log"
journal_run nojournal "1:1"
check_grep "another JOURNAL_STREAM: the date stays" \
	'^127\.0\.0\.1 - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} \+0000\] "GET / ' \
	"$T/nojournal.log"
: >"$T/j.err"
STREAM=$(stat -c '%d:%i' "$T/j.err")
check_eq "fatpack_stderr_is_journal" "journal=1" \
	"$(JOURNAL_STREAM=$STREAM "$PROG" env 2>>"$T/j.err" | sed -n 2p)"
check_eq "a malformed JOURNAL_STREAM is not the journal" "journal=0" \
	"$(JOURNAL_STREAM="${STREAM%%:*}:x" "$PROG" env 2>>"$T/j.err" | sed -n 2p)"

# --- PID 1 of a new PID namespace ------------------------------------------------------
# bash starts two children and execs the server, which adopts them as PID 1:
# the first exits on a line from fifo1 (the server must reap it), the second
# sends SIGTERM to PID 1 from inside the namespace on a line from fifo2.
# poke FIFO: a line to a child waiting on FIFO; gives up when none reads
# (the server did not start), so the test cannot hang.
poke() {
	# shellcheck disable=SC2016 # $1 is the inner shell's
	timeout 5 sh -c 'echo >"$1"' sh "$1" || true
}
pid1_children() {
	cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -c . || true
}
# As root, a PID namespace alone, as a container runtime makes it, and the
# server's jail switches to uid 65534. Otherwise a user namespace too
# (-r), which maps root only: no unprivileged uid to switch to, so the
# artifact is built without its jail.
PID1_APP=$APP
NS=(-p -f --mount-proc)
if [ "$(id -u)" -ne 0 ]; then
	NS+=(-r)
	PID1_APP=$T/site-nojail
	"$FATPACK" build --serve "$TOP/examples/site" --jail=off -o "$PID1_APP" \
		>"$T/nojail.out" 2>&1 || not_ok "build --jail=off" "$(cat "$T/nojail.out")"
fi
if unshare "${NS[@]}" true 2>/dev/null; then
	mkfifo "$T/fifo1" "$T/fifo2"
	# shellcheck disable=SC2016
	unshare "${NS[@]}" bash -c '
		(read -r _ <"$1") &
		(read -r _ <"$2"; kill -TERM 1) &
		exec "$0" --listen 127.0.0.1:0' \
		"$PID1_APP" "$T/fifo1" "$T/fifo2" 2>"$T/pid1.log" &
	US=$!
	wait_for "the server starts as PID 1" '^listening on' "$T/pid1.log"
	SRV=$(cat /proc/$US/task/$US/children 2>/dev/null | tr -d ' ')
	check_eq "it is PID 1 in its namespace" 1 \
		"$(awk '/^NSpid:/ { print $NF }' "/proc/$SRV/status" 2>/dev/null)"
	check_eq "PID 1 serves" 200 \
		"$(status_of "http://127.0.0.1:$(listen_port "$T/pid1.log")/")"
	check_eq "PID 1 has adopted two children" 2 "$(pid1_children "$SRV")"
	poke "$T/fifo1"
	for _ in $(seq 50); do
		[ "$(pid1_children "$SRV")" -eq 1 ] && break
		sleep 0.1
	done
	check_eq "PID 1 reaps an exited orphan (no zombie)" 1 "$(pid1_children "$SRV")"
	poke "$T/fifo2"
	rc=0
	timeout 5 tail --pid="$US" -f /dev/null || rc=$?
	check_eq "SIGTERM from inside the namespace stops PID 1" 0 "$rc"
	rc=0
	wait "$US" || rc=$?
	check_eq "PID 1 exits 0 after SIGTERM" 0 "$rc"
	check_grep "PID 1 stopped gracefully" 'stopping \(signal 15\)' "$T/pid1.log"

	unshare "${NS[@]}" "$PID1_APP" --listen 127.0.0.1:0 2>"$T/pid1int.log" &
	US=$!
	wait_for "PID 1 starts again" '^listening on' "$T/pid1int.log"
	SRV=$(cat /proc/$US/task/$US/children 2>/dev/null | tr -d ' ')
	kill -INT "$SRV"
	rc=0
	timeout 5 tail --pid="$US" -f /dev/null || rc=$?
	check_eq "SIGINT stops PID 1" 0 "$rc"
	wait "$US"
	check_grep "PID 1 stopped gracefully on SIGINT" 'stopping \(signal 2\)' \
		"$T/pid1int.log"
else
	not_ok "unshare ${NS[*]} works here"
fi

done_testing
