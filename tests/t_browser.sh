#!/usr/bin/env bash
# t_browser.sh BUILD_DIR - a real browser against the built-in server:
# headless Chromium loads examples/site from the fat binary; the page's own
# script reports whether its CSS applied and its logo decoded, and the access
# log shows that every response Chromium got was zstd-encoded.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	not_ok "chromium is installed (scripts/setup.sh)"
	done_testing
fi

APP=$T/site-app
if ! "$FATPACK" build --serve "$TOP/examples/site" -o "$APP" -q \
	>"$T/build.out" 2>&1; then
	not_ok "build examples/site" "$(cat "$T/build.out")"
	done_testing
fi
ok "build examples/site"

serve_cmd server "$APP"
URL=http://127.0.0.1:$PORT/

# The flags keep Chromium from the network and from the profile of anyone.
browse() {
	local profile
	profile=$(mktemp -d "$T/profile.XXXXXX")
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$profile" --virtual-time-budget=5000 "$@" "$URL" \
		2>>"$T/chromium.err"
}

browse --dump-dom >"$T/dom.html"
if grep -q '<p id="status" class="ok">css=ok img=ok</p>' "$T/dom.html"; then
	ok "the page renders with its CSS and its image"
else
	not_ok "the page renders with its CSS and its image" \
		"$(grep -i status "$T/dom.html"; tail -n 5 "$T/chromium.err")"
fi

(cd "$T" && browse --screenshot="$T/shot.png" --window-size=800,600 >/dev/null)
check "a screenshot was taken" \
	python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.exit(not (d[:8] == b"\x89PNG\r\n\x1a\n" and len(d) > 5000))' "$T/shot.png"

for f in / /css/site.css /js/app.js /img/logo.svg; do
	check "Chromium got $f zstd-encoded" \
		grep -Eq "\"GET $f HTTP/1.1\" 200 [0-9]+ \"[^\"]*HeadlessChrome[^\"]*\" zstd$" \
		"$T/server.log"
done
check "no identity response to Chromium" \
	test "$(grep HeadlessChrome "$T/server.log" | grep -c ' identity$')" -eq 0

kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
check_eq "server stops cleanly" 0 "$rc"
check "no sanitizer report" test "$(grep -cE 'Sanitizer|runtime error' "$T/server.log")" -eq 0
done_testing
