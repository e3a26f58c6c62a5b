#!/usr/bin/env bash
# t_serve_sendfile.sh BUILD_DIR - identity bodies over 16 KiB sent with
# sendfile from the identity cache (a sealed memfd per decoded file): the
# bytes are exact whole and in ranges, for large files and many clients at
# once; the budget (bytes and descriptors) falls back to sending from
# memory, still exact; HEAD, 304 and keep-alive; bad budgets are refused.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

SITE=$T/site
APP=$T/app
mkdir -p "$SITE/d"
# around the 16 KiB line between the two ways, and well past it
for n in 1 16383 16384 16385 102400; do
	head -c "$n" /dev/urandom >"$SITE/r$n.bin"
done
head -c 8000000 /dev/urandom >"$SITE/d/large.bin"
seq -f 'line %07g of a compressible text' 200000 >"$SITE/text.txt"
: >"$SITE/empty.txt"
LARGE=$(find "$SITE" -type f -size +16384c | wc -l)

if ! "$FATPACK" build -q --serve "$SITE" -o "$APP" 2>"$T/build.err"; then
	not_ok "build the site" "$(cat "$T/build.err")"
	done_testing
fi
ok "build the site"

U() { printf 'http://127.0.0.1:%s/%s' "$PORT" "$1"; }

# memfds: how many memfds the server holds (its identity cache).
memfds() {
	find "/proc/$PID/fd" -lname '/memfd:*' 2>/dev/null | wc -l
}

# same NAME FILE [CURL ARGS...]: the body of FILE is the file's bytes.
same() {
	local name=$1 f=$2
	shift 2
	curl -sS -o "$T/b" "$@" "$(U "$f")" 2>"$T/curl.err"
	check "$name" cmp "$T/b" "$SITE/$f"
}

# ranged NAME FILE RANGE FIRST COUNT: the 206 body is bytes FIRST..+COUNT.
ranged() {
	curl -sS -o "$T/b" -D "$T/h" -r "$3" "$(U "$2")" 2>"$T/curl.err"
	if head -n 1 "$T/h" | grep -q ' 206 ' &&
		cmp -s "$T/b" <(tail -c +$(($4 + 1)) "$SITE/$2" | head -c "$5"); then
		ok "$1"
	else
		not_ok "$1" "$(head -n 1 "$T/h"; cat "$T/curl.err")"
	fi
}

serve_start cache --workers 2
for f in r1.bin r16383.bin r16384.bin r16385.bin r102400.bin d/large.bin \
	text.txt empty.txt; do
	same "identity $f: exact bytes" "$f"
done
check_eq "one memfd per file over 16 KiB, none for the others" "$LARGE" \
	"$(memfds)"
same "identity d/large.bin again, from its memfd: exact bytes" d/large.bin
check_eq "a file's memfd is made once" "$LARGE" "$(memfds)"
ranged "range in the middle of a large file" d/large.bin 4000000-4999999 \
	4000000 1000000
ranged "range across a page boundary" r102400.bin 4090-4105 4090 16
ranged "range of the first byte" r16385.bin 0-0 0 1
ranged "range of the last byte" d/large.bin 7999999- 7999999 1
ranged "suffix range" d/large.bin -70000 7930000 70000
ranged "open range" text.txt 12345- 12345 $(($(wc -c <"$SITE/text.txt") - 12345))

curl -sS -I -o /dev/null -D "$T/h" "$(U d/large.bin)"
check_grep "HEAD: the length of the whole file" '^Content-Length: 8000000' "$T/h"
check "HEAD: no body" test "$(curl -sS -I "$(U d/large.bin)" | grep -c '^$')" -le 1
etag=$(sed -n 's/^ETag: \(.*\)\r$/\1/p' "$T/h")
rm -f "$T/b"    # curl writes no file when there is no body
curl -sS -o "$T/b" -D "$T/h" -H "If-None-Match: $etag" "$(U d/large.bin)"
check_eq "If-None-Match -> 304, no body" "304 0" \
	"$(sed -n '1s/^HTTP\/1.1 \([0-9]*\).*/\1/p' "$T/h") $(cat "$T/b" 2>/dev/null | wc -c)"

# keep-alive: several bodies from memfds on one connection
curl -sS -w '%{num_connects}\n' -o "$T/k1" "$(U d/large.bin)" -o "$T/k2" \
	"$(U r102400.bin)" -o "$T/k3" "$(U r16385.bin)" -o "$T/k4" \
	"$(U r1.bin)" >"$T/conns"
check "keep-alive: four bodies exact" sh -c "cmp '$T/k1' '$SITE/d/large.bin' &&
	cmp '$T/k2' '$SITE/r102400.bin' && cmp '$T/k3' '$SITE/r16385.bin' &&
	cmp '$T/k4' '$SITE/r1.bin'"
check_eq "keep-alive: one connection for the four" "1 0 0 0" \
	"$(tr '\n' ' ' <"$T/conns" | sed 's/ $//')"

# many clients at once, whole files and ranges, on both workers
: >"$T/par"
for i in $(seq 40); do
	case $((i % 4)) in
	0) curl -sS -o "$T/p$i" "$(U d/large.bin)" && cmp -s "$T/p$i" "$SITE/d/large.bin" ;;
	1) curl -sS -o "$T/p$i" "$(U r102400.bin)" && cmp -s "$T/p$i" "$SITE/r102400.bin" ;;
	2) curl -sS -o "$T/p$i" -r "$((i * 1000))-$((i * 1000 + 99999))" "$(U d/large.bin)" &&
		cmp -s "$T/p$i" <(tail -c +$((i * 1000 + 1)) "$SITE/d/large.bin" | head -c 100000) ;;
	3) curl -sS -o "$T/p$i" "$(U text.txt)" && cmp -s "$T/p$i" "$SITE/text.txt" ;;
	esac && echo "$i ok" >>"$T/par" || echo "$i bad" >>"$T/par" &
done
wait_clients() {
	for _ in $(seq 300); do
		[ "$(wc -l <"$T/par")" -ge 40 ] && return
		sleep 0.1
	done
}
wait_clients
check_eq "40 clients at once: every body exact" "40 0" \
	"$(grep -c ' ok$' "$T/par") $(grep -c ' bad$' "$T/par")"
rm -f "$T"/p[0-9]*
serve_stop cache
cache_bytes=$(find "$SITE" -type f -size +16384c -printf '%s\n' |
	awk '{ t += int(($1 + 4095) / 4096) * 4096 } END { print t }')
check_grep "the stop line reports the cache: files and bytes" \
	"identity cache: $LARGE files, $cache_bytes bytes$" "$T/cache.log"

# A budget that holds the 100 KB file but not the 8 MB one: the large one
# goes out from memory, exact, and the log says the cache is full, once.
serve_start budget --workers 1 --identity-cache 200K
same "over the budget: d/large.bin exact from memory" d/large.bin
same "within the budget: r102400.bin exact" r102400.bin
same "over the budget, again: d/large.bin exact" d/large.bin
ranged "over the budget: a range from memory" d/large.bin 100-20099 100 20000
check_eq "only what fits has a memfd" 1 "$(memfds)"
check_eq "the log says the cache is full, once" 1 \
	"$(grep -c 'identity cache full' "$T/budget.log")"
serve_stop budget
check_grep "the stop line counts the one file" \
	"identity cache: 1 files, 102400 bytes$" "$T/budget.log"

serve_start off --workers 1 --identity-cache 0
same "--identity-cache 0: exact bytes from memory" d/large.bin
check_eq "--identity-cache 0: no memfd" 0 "$(memfds)"
serve_stop off

# Descriptors: connections have theirs first, the cache gets the rest
# (64 - 16 - 2 for the worker - 40 connections = 6 files).
APP_BIG=$APP
mkdir -p "$T/many"
for i in $(seq 10); do
	head -c 20000 /dev/urandom >"$T/many/f$i.bin"
done
"$FATPACK" build -q --serve "$T/many" -o "$T/many-app"
APP=$T/many-app
SITE=$T/many
# shellcheck disable=SC2016 # the inner shell expands them
serve_cmd fds bash -c 'ulimit -n 64 && exec "$0" "$@"' "$APP" --workers 1 \
	--max-connections 40
for i in $(seq 10); do
	same "few descriptors: f$i.bin exact" "f$i.bin"
done
check_eq "few descriptors: the cache holds what is left after the connections" \
	6 "$(memfds)"
serve_stop fds
APP=$APP_BIG
SITE=$T/site

# A corrupt large file asked first by an identity client: 500, none of its
# bytes, no memfd (random bytes are stored raw: flip one found by content).
cp "$APP" "$T/bad-app"
flip_content "$T/bad-app" "$SITE/r102400.bin"
APP=$T/bad-app
serve_start corrupt --workers 1
curl -sS -o "$T/b" -D "$T/h" "$(U r102400.bin)"
check_eq "corrupt large file, identity: 500 and a short error page" "500 yes" \
	"$(sed -n '1s/^HTTP\/1.1 \([0-9]*\).*/\1/p' "$T/h") $([ "$(stat -c %s "$T/b")" -lt 1000 ] && echo yes)"
check_eq "corrupt large file: no memfd" 0 "$(memfds)"
same "the other large files are still served" d/large.bin
serve_stop corrupt
APP=$APP_BIG

for bad in 12Q -1 1.5G '' 2000T 0x10 ' 1M'; do
	check_fails "--identity-cache '$bad' is refused" \
		"--identity-cache '.*': not a size such as 256M" \
		"$APP" --identity-cache "$bad" --listen 127.0.0.1:0
done
check_fails "fatpack build --identity-cache refuses a bad size" \
	"--identity-cache '12Q': not a size" \
	"$FATPACK" build -q --serve "$SITE" --identity-cache 12Q -o "$T/x"
check_fails "--identity-cache goes with --serve" "go with --serve" \
	"$FATPACK" build -q "$TOP/examples/hello/hello.c" --identity-cache 1M \
	-o "$T/x"
mkdir -p "$T/proj"
printf '[serve]\nsite = %s\nidentity_cache = lots\n' "$SITE" >"$T/proj/fatpack.ini"
check_fails "fatpack.ini identity_cache refuses a bad size" \
	"fatpack.ini:3: .*identity_cache 'lots': not a size" \
	sh -c "cd '$T/proj' && '$FATPACK' build -q -o '$T/x'"

# The build's value is the server's default; the command line overrides it.
"$FATPACK" build -q --serve "$SITE" --identity-cache 0 -o "$T/off-app"
check_output "the build records serve.identity_cache" \
	'serve\.identity_cache.*0' "$FATPACK" info "$T/off-app"
APP=$T/off-app
serve_start built-off --workers 1
same "built with 0: exact bytes" d/large.bin
check_eq "built with 0: no memfd" 0 "$(memfds)"
serve_stop built-off
serve_start built-on --workers 1 --identity-cache 64M
same "built with 0, run with 64M: exact bytes" d/large.bin
check_eq "built with 0, run with 64M: a memfd" 1 "$(memfds)"
serve_stop built-on
APP=$APP_BIG

done_testing
