#!/usr/bin/env bash
# serve.sh BUILD_DIR - requests per second of the built-in server against
# nginx serving the same files from disk (sendfile, open_file_cache), with
# wrk on loopback: -t1 -c50 -d10s, the median of 3 runs per row, the two
# servers alternating run by run, for 4 KB, 14 KB and 100 KB assets,
# identity and zstd. nginx gets the zstd rows as precompressed .zst files
# (Debian's nginx has no zstd module), sent with sendfile like the fat
# binary's stored frames. Prints a Markdown table, then the peak RSS and
# shared memory of both servers and what the fat binary's identity cache
# holds. Needs the packages wrk and nginx-light (scripts/setup.sh --bench).
#
#   BENCH_DURATION=10s BENCH_RUNS=3 BENCH_WORKERS=<CPUs> \
#   BENCH_ASSETS="a4k.css a14k.css a100k.css" \
#   BENCH_ENCODINGS="identity zstd" bench/serve.sh build
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

dur=${BENCH_DURATION:-10s}
runs=${BENCH_RUNS:-3}
workers=${BENCH_WORKERS:-$(nproc)}
need wrk nginx zstd python3

chmod 755 "$work"   # nginx workers may run as nobody
nginx_pid=
app_pid=
off_pid=
cleanup() {
	[ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null
	[ -n "$off_pid" ] && kill "$off_pid" 2>/dev/null
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null
	wait 2>/dev/null
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# Text assets, as a site's CSS and JS are: compressible but not trivially.
mkdir -p "$work/site" "$work/zst"
python3 - "$work/site" <<'PY'
import random, sys
random.seed(1)
words = ("margin padding color border font width height display flex grid "
         "auto none solid block inline var calc rem px em background top left "
         "function return const let if else for while document window").split()
def text(n):
    out = []
    size = 0
    while size < n:
        line = "  .%s-%d { %s: %d%s; }\n" % (random.choice(words), random.randrange(999),
               random.choice(words), random.randrange(100), random.choice(["px", "rem", "%"]))
        out.append(line)
        size += len(line)
    return "".join(out)[:n]
open(sys.argv[1] + "/a4k.css", "w").write(text(4096))
open(sys.argv[1] + "/a14k.css", "w").write(text(14336))
open(sys.argv[1] + "/a100k.css", "w").write(text(102400))
PY
for f in a4k.css a14k.css a100k.css; do
	zstd -q -3 "$work/site/$f" -o "$work/zst/$f.zst"
done

"$fatpack" build --serve "$work/site" -o "$work/app" -q
app_port=$(free_port)
"$work/app" --listen "127.0.0.1:$app_port" --workers "$workers" --no-access-log \
	2>"$work/app.log" &
app_pid=$!
# the same binary without its identity cache: the path before it, for the
# 100 KB identity row
off_port=$(free_port)
"$work/app" --listen "127.0.0.1:$off_port" --workers "$workers" --no-access-log \
	--identity-cache 0 2>"$work/off.log" &
off_pid=$!

nginx_port=$(free_port)
mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes $workers;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	tcp_nodelay on;
	keepalive_requests 1000000;
	open_file_cache max=1000 inactive=60s;
	open_file_cache_valid 60s;
	client_body_temp_path $work/nginx/tmp;
	proxy_temp_path $work/nginx/tmp;
	fastcgi_temp_path $work/nginx/tmp;
	uwsgi_temp_path $work/nginx/tmp;
	scgi_temp_path $work/nginx/tmp;
	types { text/css css; }
	server {
		listen 127.0.0.1:$nginx_port;
		root $work/site;
		location /z/ {
			alias $work/zst/;
			default_type "text/css";
			add_header Content-Encoding zstd;
			add_header Vary Accept-Encoding;
		}
	}
}
CONF
nginx -p "$work/nginx/" -c "$work/nginx/nginx.conf" 2>"$work/nginx/logs/stderr" &
nginx_pid=$!
sleep 1
cat "$work/nginx/logs/stderr" "$work/nginx/logs/error.log" >&2 2>/dev/null || true

# one URL [HEADER]: "REQUESTS/S REQUESTS" of one wrk run.
one() {
	wrk -t1 -c50 -d"$dur" "$@" | awk '/ requests in / { n = $1 }
		/^Requests\/sec:/ { r = $2 } END { print r, n }'
}

# cpu_ticks PID...: user + system clock ticks the processes have used.
cpu_ticks() {
	local t=0 p
	for p in "$@"; do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo "$t"
}

# timed OUT PID... -- URL [HEADER]: one run; appends "REQ/S REQUESTS TICKS"
# to OUT, TICKS the servers' CPU time during the run.
timed() {
	local out=$1 pids=() t0 r
	shift
	while [ "$1" != -- ]; do
		pids+=("$1")
		shift
	done
	shift
	t0=$(cpu_ticks "${pids[@]}")
	r=$(one "$@")
	echo "$r $(($(cpu_ticks "${pids[@]}") - t0))" >>"$out"
}

# whole: the number on stdin without its fraction (requests/s)
whole() {
	awk '{ printf "%.0f", $1 }'
}

# us_per_req RUNS: the server's CPU microseconds per request over all runs.
us_per_req() {
	awk -v hz="$(getconf CLK_TCK)" '{ n += $2; t += $3 }
		END { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }' "$1"
}

# row APP_URL NGINX_URL [HEADER]: runs alternate between the two servers, so
# a change in the machine's load touches both; sets a and n to the medians
# of req/s, ac and nc to the CPU time per request.
row() {
	local app_url=$1 nginx_url=$2
	shift 2
	: >"$work/a.runs"
	: >"$work/n.runs"
	for _ in $(seq "$runs"); do
		timed "$work/a.runs" "$app_pid" -- "$app_url" "$@"
		# shellcheck disable=SC2086
		timed "$work/n.runs" $nginx_all -- "$nginx_url" "$@"
	done
	a=$(median "$work/a.runs" | whole)
	n=$(median "$work/n.runs" | whole)
	ac=$(us_per_req "$work/a.runs")
	nc=$(us_per_req "$work/n.runs")
}

# Both servers must answer as expected before they are timed.
curl -sf -o /dev/null "http://127.0.0.1:$app_port/a4k.css"
curl -sf -o /dev/null "http://127.0.0.1:$off_port/a4k.css"
curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/a4k.css"
curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/z/a4k.css.zst"
nginx_all="$nginx_pid $(ps -o pid= --ppid "$nginx_pid" | tr '\n' ' ')"

echo "## Serving"
echo
echo "wrk -t1 -c50 -d$dur on loopback, median of $runs runs, the servers"
echo "alternating run by run; $workers workers each; $(machine),"
echo "$(uname -srm), $(nginx -v 2>&1 | sed 's/.*: //'); load average"
echo "$(load_avg) at the start: the machine is shared"
echo "with other work, which moves absolute numbers between runs. The CPU"
echo "columns are the server's own user + system time per request over all"
echo "its runs (all nginx processes), which such load moves less."
echo
echo "| asset | encoding | bytes sent | fatpack req/s | nginx req/s | ratio | fatpack CPU µs/req | nginx CPU µs/req |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for f in ${BENCH_ASSETS:-a4k.css a14k.css a100k.css}; do
	for enc in ${BENCH_ENCODINGS:-identity zstd}; do
		if [ "$enc" = zstd ]; then
			row "http://127.0.0.1:$app_port/$f" \
				"http://127.0.0.1:$nginx_port/z/$f.zst" \
				-H 'Accept-Encoding: zstd'
			size=$(wc -c <"$work/zst/$f.zst")
		else
			row "http://127.0.0.1:$app_port/$f" \
				"http://127.0.0.1:$nginx_port/$f"
			size=$(wc -c <"$work/site/$f")
		fi
		echo "| $f | $enc | $size | $a | $n | $(ratio "$a" "$n") | $ac | $nc |"
		case $f.$enc in
		a100k.css.identity) nginx_identity=$n ;;
		a100k.css.zstd) app_zstd=$a ;;
		esac
	done
done
if [ -z "${BENCH_ASSETS:-}" ]; then
	save=$app_pid
	app_pid=$off_pid
	row "http://127.0.0.1:$off_port/a100k.css" \
		"http://127.0.0.1:$nginx_port/a100k.css"
	app_pid=$save
	echo "| a100k.css | identity, --identity-cache 0 | 102400 | $a | $n | $(ratio "$a" "$n") | $ac | $nc |"
fi

# status_kb PID FIELD: a field of /proc/PID/status in kB.
status_kb() {
	sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"
}

# sum_kb FIELD PID...: the field summed over the processes.
sum_kb() {
	local field=$1 t=0 p
	shift
	for p in "$@"; do
		t=$((t + $(status_kb "$p" "$field")))
	done
	echo "$t"
}

app_hwm=$(status_kb "$app_pid" VmHWM)
app_shmem=$(status_kb "$app_pid" RssShmem)
# memfds are not mapped, so they are in no RSS: their pages are counted
# from their sizes, and the server's own report at stop
memfd_kb=$(for fd in "/proc/$app_pid"/fd/*; do
	case $(readlink "$fd") in
	/memfd:*) stat -L -c %s "$fd" ;;
	esac
done | awk '{ t += int(($1 + 4095) / 4096) * 4 } END { print t + 0 }')
# shellcheck disable=SC2086
nginx_hwm=$(sum_kb VmHWM $nginx_all)
# shellcheck disable=SC2086
nginx_shmem=$(sum_kb RssShmem $nginx_all)
kill "$app_pid"
wait "$app_pid" 2>/dev/null || true
app_pid=
echo
echo "| server | peak RSS (kB, all processes) | of it shared memory (kB) | decoded files in memfds (kB) |"
echo "|---|---:|---:|---:|"
echo "| fatpack | $app_hwm | $app_shmem | $memfd_kb |"
echo "| nginx (master + $workers workers) | $nginx_hwm | $nginx_shmem | - (page cache) |"
if [ -n "${nginx_identity:-}" ] && [ -n "${app_zstd:-}" ]; then
	echo
	echo "zstd responses of the 100 KB file against nginx's identity responses"
	echo "of it: $(ratio "$app_zstd" "$nginx_identity")x."
fi
if [ -z "${BENCH_ASSETS:-}" ]; then
	echo
	echo "The last row is the same fat binary run with \`--identity-cache 0\`:"
	echo "its identity bodies go out from a decoded copy in memory, the path"
	echo "before the identity cache, measured in the same rounds."
fi
echo
echo "The fat binary's own report at stop: $(sed -n 's/.*finishing responses; //p' "$work/app.log")."
echo "Fat binary: $(wc -c <"$work/app") bytes."
