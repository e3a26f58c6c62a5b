#!/usr/bin/env bash
# t_lifecycle.sh BUILD_DIR - the whole life of an app, with a temporary folder
# standing in for the server (docs/DEPLOY.md): build v1 from fatpack.ini,
# deploy it (copy under a versioned name, flip `current`, start it), build and
# deploy v2, start v2, prune. v1 goes only once nothing runs it; the `current`
# target and the running binaries survive every prune; --dry-run removes
# nothing; two prunes started together leave a consistent folder.
. "$(dirname "$0")/lib.sh"

P=$T/proj                 # the project, as checked out in CI
S=$T/srv/app              # the server
mkdir -p "$P/public" "$S/releases"
cat >"$P/main.c" <<'EOF'
#include <fatpack.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	const char *v = fatpack_meta("version");

	printf("app %s\n", v ? v : "?");
	fflush(stdout);
	for (;;)
		pause();
}
EOF
echo '<h1>hello</h1>' >"$P/public/index.html"
cat >"$P/fatpack.ini" <<'EOF'
[app]
name = app
version = 1.0.0
output = dist/{name}-{version}
link = dist/{name}

[build]
sources = main.c

[assets.public]
dir = public
EOF

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

# build VERSION: `fatpack build` with no arguments, as CI runs it.
build() {
	sed -i "s/^version = .*/version = $1/" "$P/fatpack.ini"
	check "build v$1" bash -c 'cd "$1" && "$2" build' _ "$P" "$FATPACK"
	if [ -x "$P/dist/app-$1" ] && [ -L "$P/dist/app" ] &&
		[ "$(readlink -f "$P/dist/app")" = "$(readlink -f "$P/dist/app-$1")" ]; then
		ok "v$1 is dist/app-$1, linked from dist/app"
	else
		not_ok "v$1 is dist/app-$1, linked from dist/app" "$(ls -l "$P/dist")"
	fi
}

# deploy VERSION: what docs/DEPLOY.md does over scp/ssh.
deploy() {
	cp "$P/dist/app-$1" "$S/releases/.app-$1.part" &&
		mv "$S/releases/.app-$1.part" "$S/releases/app-$1" &&
		ln -sfn "app-$1" "$S/releases/current.new" &&
		mv -T "$S/releases/current.new" "$S/releases/current"
	check_eq "deploy v$1 flips current" "app-$1" "$(readlink "$S/releases/current")"
}

# start: run whatever `current` points to, as the service manager would.
start() {
	local log=$T/run.$1.log
	"$S/releases/current" >"$log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 50); do      # until it has started and said its version
		[ -s "$log" ] && break
		sleep 0.1
	done
	check_eq "the running program is v$1" "app $1" "$(cat "$log")"
}

prune() {
	"$FATPACK" prune "$S/releases" "$@" >"$T/.out" 2>"$T/.err"
}

left() {
	(cd "$S/releases" && ls -A | sort | tr '\n' ' ')
}

build 1.0.0
deploy 1.0.0
start 1.0.0
v1_pid=${PIDS[0]}

build 1.1.0
deploy 1.1.0
start 1.1.0

# Both releases are old now, as after two weeks without a deploy.
touch -d '20 days ago' "$S/releases/app-1.0.0" "$S/releases/app-1.1.0"

before=$(left)
prune --older-than 14d --keep 0 --dry-run
check_eq "--dry-run removes nothing" "$before" "$(left)"

prune --older-than 14d --keep 0
check_eq "v1 survives while it runs, v2 as current" \
	"app-1.0.0 app-1.1.0 current " "$(left)"
if grep -qxF "kept $S/releases/app-1.0.0 (running, pid $v1_pid)" "$T/.out" &&
	grep -qxF "kept $S/releases/app-1.1.0 (current)" "$T/.out"; then
	ok "prune says why it kept each"
else
	not_ok "prune says why it kept each" "$(cat "$T/.out" "$T/.err")"
fi

kill "$v1_pid"
wait "$v1_pid" 2>/dev/null
prune --older-than 14d --keep 0
check_eq "v1 is removed once nothing runs it" "app-1.1.0 current " "$(left)"
if grep -qxF "removed $S/releases/app-1.0.0 (20 days old)" "$T/.out"; then
	ok "prune says what it removed"
else
	not_ok "prune says what it removed" "$(cat "$T/.out" "$T/.err")"
fi
check_eq "v2 still runs" "app 1.1.0" "$(cat "$T/run.1.1.0.log")"
if kill -0 "${PIDS[1]}" 2>/dev/null; then
	ok "v2 process alive"
else
	not_ok "v2 process alive"
fi

# v3 is deployed but its old process (v2) keeps running, as during a
# graceful restart: current (v3) and the running v2 both survive.
build 1.2.0
deploy 1.2.0
touch -d '30 days ago' "$S/releases/app-1.1.0" "$S/releases/app-1.2.0"
for i in 1 2 3 4 5 6; do
	cp "$P/dist/app-1.0.0" "$S/releases/app-0.$i.0"
	touch -d "$((40 + i)) days ago" "$S/releases/app-0.$i.0"
done
"$FATPACK" prune "$S/releases" --older-than 14d --keep 0 >"$T/p1.out" 2>&1 &
a=$!
"$FATPACK" prune "$S/releases" --older-than 14d --keep 0 >"$T/p2.out" 2>&1 &
b=$!
rc1=0; wait "$a" || rc1=$?
rc2=0; wait "$b" || rc2=$?
check_eq "two prunes started together succeed" "0 0" "$rc1 $rc2"
check_eq "and leave a consistent folder" "app-1.1.0 app-1.2.0 current " "$(left)"

# Rollback: flip current back; prune must then protect the older release.
ln -sfn app-1.1.0 "$S/releases/current.new" && mv -T "$S/releases/current.new" "$S/releases/current"
kill "${PIDS[1]}"
wait "${PIDS[1]}" 2>/dev/null
prune --older-than 14d --keep 0
check_eq "after a rollback the current target survives" "app-1.1.0 current " "$(left)"

done_testing
