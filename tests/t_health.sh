#!/usr/bin/env bash
# t_health.sh BUILD_DIR - `APP --fatpack-health [--timeout S] [URL]`
# (docs/SERVICE.md): against the built-in server started here on free ports,
# with its default address taken from serve.listen and PORT as the server
# takes them, and against small Python servers that answer 500, answer
# garbage, close at once, or never answer; a closed port; and bad URLs and
# options.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

P1=$(free_port)
APP=$T/site-app
if ! "$FATPACK" build --serve "$TOP/examples/site" --listen "127.0.0.1:$P1" \
	-o "$APP" >"$T/build.out" 2>&1; then
	not_ok "build the site" "$(cat "$T/build.out")"
	done_testing
fi
ok "build the site"

# serve NAME ARGS...: the app with ARGS (env too), until its address answers.
serve() {
	local name=$1
	shift
	env "$@" "$APP" ${LISTEN:+--listen "$LISTEN"} 2>"$T/$name.log" &
	SPID=$!
	for _ in $(seq 50); do
		grep -q '^listening on' "$T/$name.log" && return 0
		sleep 0.1
	done
	not_ok "start $name" "$(cat "$T/$name.log")"
}
stop() {
	kill -TERM "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
}

# --- healthy ------------------------------------------------------------------
LISTEN="" serve meta
check "the default address is the build's serve.listen" "$APP" --fatpack-health
check_grep "it prints the status line" "^http://127\.0\.0\.1:$P1/: HTTP/1\.1 200 OK$" "$T/.out"
check "an explicit URL" "$APP" --fatpack-health "http://127.0.0.1:$P1/index.html"
check "localhost" "$APP" --fatpack-health "http://localhost:$P1/"
check_fails "another host name is not looked up" \
	"health: http://fatpack-test.invalid:$P1/: 'fatpack-test.invalid' is not an IP address" \
	"$APP" --fatpack-health --timeout 2 "http://fatpack-test.invalid:$P1/"
check "a 3xx is healthy" "$APP" --fatpack-health "http://127.0.0.1:$P1/docs"
check_grep "the 301 is shown" ': HTTP/1\.1 301 ' "$T/.out"
check_fails "a 404 is not" "health: http://127\.0\.0\.1:$P1/nope: status 404$" \
	"$APP" --fatpack-health "http://127.0.0.1:$P1/nope"
stop

# PORT chooses the server's address (all interfaces): health asks 127.0.0.1.
P2=$(free_port)
LISTEN="" serve port PORT="$P2"
check "PORT is the default address, as for the server" \
	env PORT="$P2" "$APP" --fatpack-health
check_grep "on loopback" "^http://127\.0\.0\.1:$P2/: HTTP/1\.1 200 OK$" "$T/.out"
stop
check_fails "a bad PORT is refused, as the server refuses it" \
	'health: must be a port number, 0\.\.65535$' \
	env PORT=":$P2" "$APP" --fatpack-health

P3=$(free_port)
LISTEN="[::1]:$P3" serve v6
check "an IPv6 literal" "$APP" --fatpack-health "http://[::1]:$P3/"
stop

# serve.listen on all interfaces, or on port 0.
P4=$(free_port)
"$FATPACK" build --serve "$TOP/examples/site" --listen ":$P4" -o "$T/any-app" \
	>"$T/build2.out" 2>&1 || not_ok "build with :PORT" "$(cat "$T/build2.out")"
"$T/any-app" 2>"$T/any.log" &
SPID=$!
for _ in $(seq 50); do grep -q '^listening on' "$T/any.log" && break; sleep 0.1; done
check "serve.listen :PORT is asked on 127.0.0.1" "$T/any-app" --fatpack-health
check_grep "127.0.0.1 is asked" "^http://127\.0\.0\.1:$P4/: HTTP/1\.1 200" "$T/.out"
stop
"$FATPACK" build --serve "$TOP/examples/site" --listen 127.0.0.1:0 -o "$T/zero-app" \
	>"$T/build3.out" 2>&1 || not_ok "build with port 0" "$(cat "$T/build3.out")"
check_fails "serve.listen port 0: the URL must be given" \
	'health: the server picks its port at start \(port 0\): give the URL$' \
	"$T/zero-app" --fatpack-health

# --- unhealthy ----------------------------------------------------------------
# A server that reads each request, then answers 500, answers garbage,
# answers 200 with the status line's CR and LF in two writes, closes the
# connection, or never answers.
FAKE='
import socket, sys, threading, time
mode = sys.argv[1]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
    c.recv(65536)
    if mode == "close":
        c.close()
    if mode == "500":
        c.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
    elif mode == "garbage":
        c.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
    elif mode == "split":
        c.sendall(b"HTTP/1.1 200 OK\r")
        time.sleep(0.3)
        c.sendall(b"\nContent-Length: 0\r\n\r\n")
'
fake() {
	python3 -c "$FAKE" "$1" >"$T/fake-$1.port" &
	FPID=$!
	for _ in $(seq 50); do
		FPORT=$(cat "$T/fake-$1.port")
		[ -n "$FPORT" ] && return 0
		sleep 0.1
	done
	not_ok "start the $1 server"
}
fake 500
check_fails "a 500 is unhealthy" "health: http://127\.0\.0\.1:$FPORT/: status 500$" \
	"$APP" --fatpack-health "http://127.0.0.1:$FPORT/"
kill "$FPID"
fake garbage
check_fails "an answer that is not HTTP" \
	"not an HTTP/1\.x status line: 'SSH-2\.0-OpenSSH_9\.2'$" \
	"$APP" --fatpack-health "http://127.0.0.1:$FPORT/"
kill "$FPID"
fake split
check "a status line whose CR and LF come apart" \
	"$APP" --fatpack-health "http://127.0.0.1:$FPORT/"
check_grep "and it ends at the CR LF" "^http://127\.0\.0\.1:$FPORT/: HTTP/1\.1 200 OK$" "$T/.out"
kill "$FPID"
fake close
check_fails "a connection closed without an answer" 'connection closed before a status line$' \
	"$APP" --fatpack-health "http://127.0.0.1:$FPORT/"
kill "$FPID"
fake silent
# `timeout 30` only catches a hang: the check itself gives up after 1 s
check_fails "a server that never answers: the timeout" \
	"health: http://127\.0\.0\.1:$FPORT/: no answer: (Connection timed out|Operation timed out)$" \
	timeout 30 "$APP" --fatpack-health --timeout 1 "http://127.0.0.1:$FPORT/"
kill "$FPID"

CLOSED=$(free_port)
check_fails "a closed port" "health: http://127\.0\.0\.1:$CLOSED/: connect: Connection refused$" \
	"$APP" --fatpack-health "http://127.0.0.1:$CLOSED/"
check_fails "the default address with no server" "health: http://127\.0\.0\.1:$P1/: connect: Connection refused$" \
	"$APP" --fatpack-health

# --- bad URLs and options: exit 2 ---------------------------------------------------
bad_url() {
	local name=$1 url=$2 re=$3 rc=0
	"$APP" --fatpack-health "$url" >/dev/null 2>"$T/.err" || rc=$?
	if [ "$rc" -eq 2 ] && grep -Eq -- "$re" "$T/.err"; then
		ok "$name"
	else
		not_ok "$name" "exit $rc: $(cat "$T/.err")"
	fi
}
bad_url "https is refused" "https://127.0.0.1/" "URL 'https://127\.0\.0\.1/': only http:// URLs are checked$"
bad_url "no host" "http:///x" "no host"
bad_url "a port and no host" "http://:80/" "no host"
bad_url "a port over 65535" "http://127.0.0.1:70000/" "port must be in 0\.\.65535"
bad_url "port 0" "http://127.0.0.1:0/" "port 0 cannot be asked"
bad_url "an IPv6 address without brackets" "http://::1/" "no host"
bad_url "a host name with a space" "http://a b:1/" "must be PORT"
bad_url "a space in the path" "http://127.0.0.1:1/a b" "the path holds a space"
bad_url "a control byte is escaped in the message" $'http://a\x1b[2J:1/' "URL 'http://a\\\\x1b\[2J:1/'"
check_fails "--timeout 0" '--timeout takes 1\.\.3600 seconds, not 0' \
	"$APP" --fatpack-health --timeout 0
check_fails "--timeout without seconds" 'missing seconds after --timeout' \
	"$APP" --fatpack-health --timeout
check_fails "--timeout 1s" '--timeout takes 1\.\.3600 seconds, not 1s' \
	"$APP" --fatpack-health --timeout 1s
check_fails "an unknown option" 'unknown option --verbose' \
	"$APP" --fatpack-health --verbose
check_fails "two URLs" 'unexpected argument http://b/' \
	"$APP" --fatpack-health http://a/ http://b/
"$APP" --fatpack-help >"$T/help.out"
check_grep "--fatpack-help lists it" '--fatpack-health \[--timeout S\] \[URL\]' "$T/help.out"

done_testing
