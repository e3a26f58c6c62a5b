#!/usr/bin/env bash
# t_progress.sh BUILD_DIR - the build's progress bar on a terminal: drawn
# for a build that takes more than half a second, and never wider than the
# terminal (a wrapped line would leave one stale line per redraw).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v script >/dev/null; then
	not_ok "script(1) is installed (util-linux)"
	done_testing
fi

mkdir -p "$T/p/a"
printf 'int main(void) { return 0; }\n' >"$T/p/p.c"
# data that compresses (base64: a quarter saved, so level 12 runs after the
# level-5 probe, bundler/pack.c) at a high level, one thread: seconds of work
for i in $(seq 1 12); do
	head -c 2300000 /dev/urandom | base64 -w 76 >"$T/p/a/f$i.txt"
done

# draw COLUMNS: runs a build on a pseudo-terminal of that width; the
# terminal's output goes to $T/tty.COLUMNS
draw() {
	(cd "$T/p" && rm -rf out && script -qec \
		"stty cols $1 rows 24; '$FATPACK' build p.c -a a -l 12 -j1 -o out/app" \
		"$T/tty.$1" >/dev/null 2>&1)
}

for cols in 50 80 30 12; do
	draw "$cols"
	if ! grep -q '[0-9]%' "$T/tty.$cols"; then
		not_ok "progress bar drawn in $cols columns" "$(cat -A "$T/tty.$cols" | head -5)"
		continue
	fi
	ok "progress bar drawn in $cols columns"
	widest=$(grep -v '^Script ' "$T/tty.$cols" | tr '\r' '\n' |
		awk '/%/ { if (length($0) > m) m = length($0) } END { print m + 0 }')
	if [ "$widest" -lt "$cols" ]; then
		ok "progress line fits $cols columns ($widest)"
	else
		not_ok "progress line fits $cols columns" "widest line: $widest
$(grep -v '^Script ' "$T/tty.$cols" | tr '\r' '\n' | awk -v c="$cols" '/%/ && length($0) >= c' | head -3)"
	fi
done
check "the artifact of the last build verifies" "$FATPACK" verify "$T/p/out/app"

done_testing
