#!/usr/bin/env bash
# t_replace.sh BUILD_DIR - a running fat binary keeps reading its own assets
# when its file is replaced by rename (a deploy) or deleted (a prune): the
# runtime holds the descriptor it opened at start.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

# Says "ready", waits for a line on the fifo, then prints msg.txt: the asset
# is read only after the test has replaced or deleted the file.
cat >"$T/waiter.c" <<'CEOF'
#include <stdio.h>

#include <fatpack.h>

int
main(int argc, char **argv)
{
	char line[64];
	const void *p;
	size_t n;
	FILE *f;
	int rc;

	if (argc != 2)
		return 2;
	puts("ready");
	fflush(stdout);
	if ((f = fopen(argv[1], "r")) == NULL || fgets(line, sizeof(line), f) == NULL)
		return 3;
	fclose(f);
	if ((rc = fatpack_get("msg.txt", &p, &n)) != 0) {
		fprintf(stderr, "waiter: msg.txt: %s\n", fatpack_strerror(rc));
		return 1;
	}
	fwrite(p, 1, n, stdout);
	return 0;
}
CEOF

# v2 has an extra asset sorted before msg.txt, so its frames lie elsewhere.
mkdir -p "$T/v1" "$T/v2" "$T/live"
printf 'original message\n' >"$T/v1/msg.txt"
head -c 100000 /dev/urandom >"$T/v1/pad.bin"
printf 'REPLACED: a different, longer message\n' >"$T/v2/msg.txt"
head -c 300000 /dev/urandom >"$T/v2/aaa.bin"
head -c 1000 /dev/urandom >"$T/v2/pad.bin"
fp_build "$T/app1" "$T/waiter.c" "$T/v1" || done_testing
fp_build "$T/app2" "$T/waiter.c" "$T/v2" || done_testing

# run_case NAME ACTION: starts app1 from live/app, runs ACTION while it waits,
# then lets it read msg.txt.
run_case() {
	local name=$1 action=$2 pid rc=0 i
	cp "$T/app1" "$T/live/app"
	# a fresh output file: "ready" must come from this run
	rm -f "$T/fifo" "$T/out" && mkfifo "$T/fifo"
	timeout 60 "$T/live/app" "$T/fifo" >"$T/out" 2>"$T/err" &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		grep -q ready "$T/out" 2>/dev/null && break
		sleep 0.1
	done
	$action
	# shellcheck disable=SC2016 # $1 is the inner shell's
	timeout 20 bash -c 'echo go >"$1"' _ "$T/fifo"
	wait "$pid" || rc=$?
	if [ "$rc" -ne 0 ]; then
		not_ok "$name: the running program reads its assets" "exit $rc: $(cat "$T/err")"
		return
	fi
	check_eq "$name: the running program reads its original assets" \
		"original message" "$(sed -n 2p "$T/out")"
}

# shellcheck disable=SC2317 # called by run_case
replace() { cp "$T/app2" "$T/new" && mv "$T/new" "$T/live/app"; }
# shellcheck disable=SC2317
delete() { rm "$T/live/app"; }

run_case "replaced by rename" replace
check_eq "the new file at the path has the new assets" \
	"REPLACED: a different, longer message" \
	"$("$FATPACK" cat "$T/live/app" msg.txt)"
run_case "deleted" delete

done_testing
