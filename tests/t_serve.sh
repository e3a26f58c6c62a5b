#!/usr/bin/env bash
# t_serve.sh BUILD_DIR - the built-in static file server, end to end: a copy of
# examples/site (plus an empty, a large compressible and a large random file)
# built with `fatpack build --serve`, driven with curl and raw sockets.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

SITE=$T/site
APP=$T/site-app
cp -r "$TOP/examples/site" "$SITE" || exit 2
: >"$SITE/empty.txt"
seq -f 'line %06g of a large, compressible text file' 8000 >"$SITE/big.txt"
head -c 300000 /dev/urandom >"$SITE/big.bin"

if ! "$FATPACK" build --serve "$SITE" --cache-control 'public, max-age=60' \
	-o "$APP" >"$T/build.out" 2>&1; then
	not_ok "build the site" "$(cat "$T/build.out")"
	done_testing
fi
ok "build the site"

# No dictionary for the server (docs/SERVER.md): it sends stored frames to
# browsers, which do not have it. The same pages in a program do get one.
similar_pages "$T/pages" html
printf 'int main(void) { return 0; }\n' >"$T/prog.c"
if "$FATPACK" build -q --serve "$T/pages" -o "$T/pages-serve" 2>"$T/.err" &&
	"$FATPACK" build -q "$T/prog.c" -a "$T/pages" -o "$T/pages-prog" 2>>"$T/.err"; then
	check_eq "a --serve build has no dictionary" 0 \
		"$("$FATPACK" info --json "$T/pages-serve" | jq .dictionary_size)"
	check "the same pages in a program have one" test \
		"$("$FATPACK" info --json "$T/pages-prog" | jq .dictionary_size)" -gt 0
else
	not_ok "build the pages" "$(cat "$T/.err")"
fi

# A raw HTTP client: sends stdin, half-closes, prints all it gets back.
RAW='
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR)
out = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except OSError:
    pass
sys.stdout.buffer.write(out)
'
raw() { python3 -c "$RAW" "$PORT"; }

U() { printf 'http://127.0.0.1:%s%s' "$PORT" "$1"; }

# get NAME PATH [CURL ARGS...]: headers in $T/h, body in $T/b.
get() {
	local path=$1
	shift
	: >"$T/b"       # curl leaves the file alone when there is no body
	curl -sS --path-as-is -D "$T/h" -o "$T/b" "$@" "$(U "$path")" 2>"$T/curl.err"
}

status() { sed -n '1s/^HTTP\/1.1 \([0-9]*\).*/\1/p' "$T/h"; }
hdr() { sed -n "s/^$1: //Ip" "$T/h" | tr -d '\r'; }

serve_start main

# --- identity and zstd bodies ---------------------------------------------
for f in index.html css/site.css img/logo.svg js/app.js docs/index.html \
	big.txt big.bin empty.txt; do
	get "/$f"
	if [ "$(status)" = 200 ] && cmp -s "$T/b" "$SITE/$f" &&
		[ -z "$(hdr Content-Encoding)" ]; then
		ok "identity GET /$f"
	else
		not_ok "identity GET /$f" "$(cat "$T/h")"
	fi
	get "/$f" -H 'Accept-Encoding: gzip, zstd'
	if [ "$f" = empty.txt ]; then
		check_eq "an empty file is served as identity" "200 " \
			"$(status) $(hdr Content-Encoding)"
		continue
	fi
	if [ "$(status)" = 200 ] && [ "$(hdr Content-Encoding)" = zstd ] &&
		[ "$(hdr Vary)" = Accept-Encoding ] &&
		zstd -dcq "$T/b" 2>/dev/null | cmp -s - "$SITE/$f"; then
		ok "zstd GET /$f decodes to the original"
	else
		not_ok "zstd GET /$f decodes to the original" "$(cat "$T/h")"
	fi
done

get /css/site.css
check_eq "Content-Type from the index" "text/css; charset=utf-8" \
	"$(hdr Content-Type)"
check_eq "Content-Length" "$(wc -c <"$SITE/css/site.css")" \
	"$(hdr Content-Length)"
check_eq "Cache-Control set at build time" "public, max-age=60" \
	"$(hdr Cache-Control)"
check "Last-Modified is an HTTP date" \
	grep -Eq '^Last-Modified: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT' "$T/h"
ETAG=$(hdr ETag)
LASTMOD=$(hdr Last-Modified)
check "ETag from the content hash" \
	test "$ETAG" = "\"$(sha256sum "$SITE/css/site.css" | cut -c1-32)\""
get /css/site.css -H 'Accept-Encoding: zstd'
ZETAG=$(hdr ETag)
check "the zstd representation has its own ETag" \
	test "$ZETAG" != "$ETAG" -a -n "$ZETAG"
get / -H 'Accept-Encoding: zstd'
check_eq "folder / serves index.html" "200 zstd" \
	"$(status) $(hdr Content-Encoding)"

# --- conditional requests, ranges, HEAD --------------------------------------
get /css/site.css -H "If-None-Match: $ETAG"
check_eq "If-None-Match identity ETag -> 304" "304 0" "$(status) $(wc -c <"$T/b")"
get /css/site.css -H "If-None-Match: W/$ZETAG" -H 'Accept-Encoding: zstd'
check_eq "If-None-Match zstd ETag (weak) -> 304" "304 $ZETAG" \
	"$(status) $(hdr ETag)"
get /css/site.css -H 'If-None-Match: "nope"'
check_eq "If-None-Match other tag -> 200" 200 "$(status)"
get /css/site.css -H "If-Modified-Since: $LASTMOD"
check_eq "If-Modified-Since -> 304" 304 "$(status)"
get /css/site.css -H 'If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT'
check_eq "If-Modified-Since older -> 200" 200 "$(status)"

get /big.txt -r 100-199 -H 'Accept-Encoding: zstd'
if [ "$(status)" = 206 ] && [ -z "$(hdr Content-Encoding)" ] &&
	[ "$(hdr Content-Range)" = "bytes 100-199/$(wc -c <"$SITE/big.txt")" ] &&
	cmp -s "$T/b" <(tail -c +101 "$SITE/big.txt" | head -c 100); then
	ok "Range -> 206 with the identity bytes"
else
	not_ok "Range -> 206 with the identity bytes" "$(cat "$T/h")"
fi
get /big.bin -r -1000
check "suffix Range -> 206" cmp -s "$T/b" <(tail -c 1000 "$SITE/big.bin")
get /big.txt -r 99999999-
check_eq "unsatisfiable Range -> 416" \
	"416 bytes */$(wc -c <"$SITE/big.txt")" "$(status) $(hdr Content-Range)"
get /big.txt -r 0-9 -H 'If-Range: "stale"'
check_eq "If-Range mismatch -> whole body" 200 "$(status)"

printf 'HEAD /js/app.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	raw >"$T/head.out"
check_eq "HEAD: headers of GET, no body" \
	"HTTP/1.1 200 OK|Content-Length: $(wc -c <"$SITE/js/app.js")|" \
	"$(python3 -c 'import sys; h, _, b = open(sys.argv[1], "rb").read().partition(b"\r\n\r\n"); l = h.decode().split("\r\n"); print(l[0] + "|" + [x for x in l if x.startswith("Content-Length")][0] + "|" + b.decode())' "$T/head.out")"

# --- methods, paths --------------------------------------------------------------
get / -X POST -d x=1
check_eq "POST -> 405 with Allow" "405 GET, HEAD" "$(status) $(hdr Allow)"
get / -X DELETE
check_eq "DELETE -> 405" 405 "$(status)"
get /nope.html
check_eq "missing file -> 404" 404 "$(status)"
get /docs
check_eq "folder without slash -> 301 to the slash" "301 /docs/" \
	"$(status) $(hdr Location)"
get '/docs?x=1'
check_eq "redirect keeps the query" "/docs/?x=1" "$(hdr Location)"
get /docs/
check "folder with slash -> its index.html" cmp -s "$T/b" "$SITE/docs/index.html"
get '/css/site.css?v=123'
check_eq "query ignored for lookup" 200 "$(status)"
get /css//./site.css
check_eq "// and . normalised" 200 "$(status)"
get /css/site.css/
check_eq "a file with a trailing slash -> 404" 404 "$(status)"
for p in '/../../../../etc/passwd' '/%2e%2e/%2e%2e/etc/passwd' \
	'/..%2f..%2f..%2fetc/passwd' '/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd' \
	'/css/../../etc/passwd' '//etc/passwd' '/..' '/.%2e/' \
	"/$(printf '%s' "$SITE" | sed 's|^/||')/index.html" '/%2fetc%2fpasswd'; do
	get "$p"
	check_eq "traversal $p -> 404" 404 "$(status)"
done
get '/a%00b'
check_eq "NUL in path -> 400" 400 "$(status)"

# --- raw requests --------------------------------------------------------------
resp=$(printf 'GET /js/app.js HTTP/1.1\r\nHost: x\r\n\r\nHEAD /index.html HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n' | raw | tr -d '\r' | grep '^HTTP/' | paste -sd ' ')
check_eq "pipelined requests answered in order" \
	"HTTP/1.1 200 OK HTTP/1.1 200 OK HTTP/1.1 404 Not Found" "$resp"

bad_total=0 bad_ok=0 bad_fail=""
for f in "$TOP"/tests/fuzz/bad_requests/*; do
	[ -e "$f" ] || continue
	bad_total=$((bad_total + 1))
	first=$(raw <"$f" | head -n 1 | tr -d '\r')
	case $first in
	"HTTP/1.1 400 "* | "HTTP/1.1 431 "* | "HTTP/1.1 505 "*) bad_ok=$((bad_ok + 1)) ;;
	*) bad_fail="$bad_fail
$(basename "$f"): $first" ;;
	esac
done
if [ "$bad_total" -gt 0 ] && [ "$bad_ok" -eq "$bad_total" ]; then
	ok "broken requests -> 400 ($bad_total files)"
else
	not_ok "broken requests -> 400 ($bad_ok of $bad_total)" "$bad_fail"
fi
check "server alive after the broken requests" kill -0 "$PID"

code=$(curl -sS -o /dev/null -w '%{http_code}' \
	-H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" "$(U /)")
check_eq "huge header -> 431" 431 "$code"

curl -sS -v -o /dev/null -o /dev/null "$(U /)" "$(U /css/site.css)" \
	>"$T/ka" 2>&1
check "keep-alive: the second request reuses the connection" \
	grep -q 'Re-using existing connection' "$T/ka"

python3 - "$PORT" >"$T/idle.out" 2>&1 <<'PY'
import socket, sys
port = int(sys.argv[1])
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(500)]
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
print(data.split(b"\r\n")[0].decode())
for c in idle:
    c.close()
PY
check_eq "500 idle connections do not stop a new client" "HTTP/1.1 200 OK" \
	"$(head -n 1 "$T/idle.out")"

check "access log line per request" \
	grep -q '"GET /css/site.css HTTP/1.1" 200 .* zstd$' "$T/main.log"

# A response in flight when SIGTERM arrives is finished. The client says
# when the response has started (the file "started"), then reads slowly.
python3 - "$PORT" "$T/inflight.started" >"$T/inflight.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
s.settimeout(10)
data = s.recv(1)
open(sys.argv[2], "w").close()
time.sleep(1.5)
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
head, _, body = data.partition(b"\r\n\r\n")
print(len(body))
PY
inflight=$!
for _ in $(seq 100); do
	[ -e "$T/inflight.started" ] && break
	sleep 0.1
done
serve_stop main
wait "$inflight"
check_eq "in-flight response finished after SIGTERM" "$(wc -c <"$SITE/big.bin")" \
	"$(tail -n 1 "$T/inflight.out")"

# --- run-time options ------------------------------------------------------------
serve_start spa --spa-fallback index.html --no-access-log --workers 1
get /some/client/route
check "--spa-fallback serves index.html for unknown paths" \
	cmp -s "$T/b" "$SITE/index.html"
get /%2e%2e/etc/passwd
check_eq "--spa-fallback: traversal still 404" 404 "$(status)"
check "--no-access-log: no log lines" \
	test "$(grep -c ' - - \[' "$T/spa.log")" -eq 0
serve_stop spa

serve_start bounded --max-connections 20 --workers 1
python3 - "$PORT" "$PID" >"$T/bound.out" 2>&1 <<'PY'
import os, socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(60)]
time.sleep(0.3)
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
socks = sum(1 for fd in os.listdir("/proc/%s/fd" % pid)
            if os.readlink("/proc/%s/fd/%s" % (pid, fd)).startswith("socket:"))
print(data.split(b"\r\n")[0].decode())
print(socks)
PY
check_eq "--max-connections: oldest idle evicted, new client served" \
	"HTTP/1.1 200 OK" "$(head -n 1 "$T/bound.out")"
check "--max-connections bounds the open sockets" \
	test "$(tail -n 1 "$T/bound.out")" -le 22
serve_stop bounded

# At the bound, an idle keep-alive connection makes room even when the oldest
# connection is a slow client in the middle of its request line: with the
# slow one first and three idle ones after it, curl must still get its 200.
serve_start evict --max-connections 4 --workers 1
python3 - "$PORT" >"$T/evict.out" 2>&1 <<'PY'
import socket, subprocess, sys, time
port = int(sys.argv[1])

def server_has_read(client):
    """Waits until the server has read all client sent (the server side's
    receive queue in /proc/net/tcp is empty): the slow one is then listed
    before the idle ones."""
    me, srv = ":%04X" % client.getsockname()[1], ":%04X" % port
    for _ in range(500):
        for line in open("/proc/net/tcp").read().splitlines()[1:]:
            f = line.split()
            if f[1].endswith(srv) and f[2].endswith(me) and \
                    f[4].endswith(":00000000"):
                return
        time.sleep(0.01)
    sys.exit("the server never read the slow client's bytes")

def request(s):
    s.sendall(b"GET /empty.txt HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    return data.split(b"\r\n")[0].decode()

slow = socket.create_connection(("127.0.0.1", port), timeout=5)
slow.sendall(b"GET / HTTP/1.1\r\n")
server_has_read(slow)
idle = [socket.create_connection(("127.0.0.1", port), timeout=5)
        for _ in range(3)]
for s in idle:
    request(s)
curl = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
    "http://127.0.0.1:%d/" % port], capture_output=True, text=True)
print("newcomer:", curl.stdout, curl.stderr.strip())
idle[0].settimeout(1)
try:
    gone = idle[0].recv(1) == b""
except socket.timeout:
    gone = False
except OSError:
    gone = True
print("longest idle closed:", gone)
print("next idle kept:", request(idle[1]))
slow.sendall(b"Host: x\r\nConnection: close\r\n\r\n")
print("slow:", slow.recv(65536).split(b"\r\n")[0].decode())
PY
check_grep "at the bound, a newcomer is served though a slow client is oldest" \
	"^newcomer: 200 *$" "$T/evict.out"
check_grep "the connection idle the longest made room" \
	"^longest idle closed: True$" "$T/evict.out"
check_grep "the other idle connections stay open" \
	"^next idle kept: HTTP/1.1 200 OK$" "$T/evict.out"
check_grep "the slow client keeps its connection" \
	"^slow: HTTP/1.1 200 OK$" "$T/evict.out"
serve_stop evict

port=$(free_port)
PORT=$port "$APP" 2>"$T/env.log" &
PID=$!
sleep 0.5
check "PORT: listens on all interfaces" \
	grep -q "^listening on http://0.0.0.0:$port/" "$T/env.log"
serve_stop env

# A slow client gets its connection closed (SERVE_TIMEOUT is 10 s).
serve_start slow --workers 1
python3 - "$PORT" >"$T/slow.out" 2>&1 <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET / HTTP/1.1\r\n")
t0 = time.time()
s.settimeout(20)
try:
    s.recv(100)
except OSError:
    pass
print(int(time.time() - t0))
PY
slow=$(tail -n 1 "$T/slow.out")
check "slow header: closed after the timeout (${slow}s)" \
	test "$slow" -ge 8 -a "$slow" -le 13
serve_stop slow

# A corrupt content frame is never sent, neither as stored zstd nor decoded.
# Random bytes are stored in raw blocks, so the asset's bytes appear in the
# file as they are: flip one found by its content, no format parsing needed.
mkdir -p "$T/badsite"
head -c 100000 /dev/urandom >"$T/badsite/rand.bin"
printf 'fine\n' >"$T/badsite/index.html"
"$FATPACK" build -q --serve "$T/badsite" -o "$T/badapp"
flip_content "$T/badapp" "$T/badsite/rand.bin"
APP_GOOD=$APP
APP=$T/badapp
serve_start corrupt --workers 1
get /rand.bin -H 'Accept-Encoding: zstd'
check_eq "corrupt asset, zstd client: 500" 500 "$(status)"
check "corrupt asset, zstd client: none of its bytes (a short error page)" \
	test "$(stat -c %s "$T/b")" -lt 1000
get /rand.bin -I -H 'Accept-Encoding: zstd'
check_eq "corrupt asset, HEAD: 500" 500 "$(status)"
get /rand.bin
check_eq "corrupt asset, identity client: 500" 500 "$(status)"
get /index.html -H 'Accept-Encoding: zstd'
check_eq "the other assets are still served" 200 "$(status)"
check_grep "the error names the cause" "checksum" "$T/corrupt.log"
serve_stop corrupt
APP=$APP_GOOD

check_fails "missing --spa-fallback asset is refused" "not a file" \
	"$APP" --spa-fallback nope.html --listen 127.0.0.1:0
check_fails "bad --listen is refused" "--listen 'x:y:z': must be PORT" \
	"$APP" --listen 'x:y:z'
check_fails "bad --workers is refused" "workers" "$APP" --workers 0

done_testing
