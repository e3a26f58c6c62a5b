#!/usr/bin/env bash
# t_prune.sh BUILD_DIR - `fatpack prune`: what it removes, what it never
# removes (the `current` target, any symlink target, a running program, a
# file that is not a fat binary, the N newest, young files), --dry-run, the
# lock, two overlapping runs, and the plain `find -mtime` route.
. "$(dirname "$0")/lib.sh"

cat >"$T/hello.c" <<'EOF'
int main(void) { return 0; }
EOF
cat >"$T/sleeper.c" <<'EOF'
#include <unistd.h>
int main(void) { for (;;) pause(); }
EOF
mkdir -p "$T/site" && echo hi >"$T/site/index.html"
fp_build "$T/hello" "$T/hello.c" "$T/site" || done_testing
fp_build "$T/sleeper" "$T/sleeper.c" "$T/site" || done_testing

R=$T/releases

# release NAME AGE: a copy of a fat binary in $R, last modified AGE ago.
release() {
	cp "$T/hello" "$R/$1" && touch -d "$2" "$R/$1"
}

# fresh: the layout most checks start from.
#   app-1.0.0 30d  app-1.1.0 20d (current)  app-1.2.0 16d  app-1.3.0 2d
#   app-0.9.0 40d (target of `rollback`)  notes-app 40d (not a fat binary)
#   .app.tmp.X 40d (a dot file)  lib-old 40d (fat, outside --pattern 'app-*')
fresh() {
	rm -rf "$R" && mkdir -p "$R"
	release app-0.9.0 '40 days ago'
	release app-1.0.0 '30 days ago'
	release app-1.1.0 '20 days ago'
	release app-1.2.0 '16 days ago'
	release app-1.3.0 '2 days ago'
	release lib-old '40 days ago'
	release .app.tmp.X '40 days ago'
	echo 'release notes' >"$R/app-notes" && touch -d '40 days ago' "$R/app-notes"
	ln -s app-1.1.0 "$R/current"
	ln -s app-0.9.0 "$R/rollback"
}

left() {
	(cd "$R" && ls -A | sort | tr '\n' ' ')
}

# --- usage --------------------------------------------------------------------
fresh
check_fails "no --older-than is a usage error" 'older-than is required' \
	"$FATPACK" prune "$R"
check_fails "bad duration" "bad duration '14x'" \
	"$FATPACK" prune "$R" --older-than 14x
check_fails "bad --keep" "keep wants a count" \
	"$FATPACK" prune "$R" --older-than 14d --keep -1
check_fails "missing folder" 'nonexistent' \
	"$FATPACK" prune "$T/nonexistent" --older-than 14d
check_fails "unknown option" "unknown option '--bogus'" \
	"$FATPACK" prune "$R" --older-than 14d --bogus
rc=0; "$FATPACK" prune "$R" 2>/dev/null || rc=$?
check_eq "usage errors exit 2" 2 "$rc"

# --- --dry-run ----------------------------------------------------------------
before=$(left)
check "dry run" "$FATPACK" prune "$R" --older-than 14d --keep 0 --dry-run
check_eq "dry run removes nothing" "$before" "$(left)"
if grep -qx "would remove $R/app-1.0.0 (30 days old)" "$T/.out"; then
	ok "dry run says what it would remove"
else
	not_ok "dry run says what it would remove" "$(cat "$T/.out")"
fi

# --- what is removed and what is kept ----------------------------------------
check "prune --older-than 14d --keep 0" \
	"$FATPACK" prune "$R" --older-than 14d --keep 0 --pattern 'app-*'
check_eq "only old, unprotected fat binaries are removed" \
	".app.tmp.X app-0.9.0 app-1.1.0 app-1.3.0 app-notes current lib-old rollback " \
	"$(left)"
for line in "removed $R/app-1.0.0 (30 days old)" \
	"removed $R/app-1.2.0 (16 days old)" \
	"kept $R/app-1.1.0 (current)" \
	"kept $R/app-0.9.0 (target of rollback)" \
	"kept $R/app-1.3.0 (younger than 14d)"; do
	if grep -qxF "$line" "$T/.out"; then
		ok "prints: $line"
	else
		not_ok "prints: $line" "$(cat "$T/.out")"
	fi
done
check "a second run is a no-op" \
	"$FATPACK" prune "$R" --older-than 14d --keep 0 --pattern 'app-*'
check_eq "nothing more removed" \
	".app.tmp.X app-0.9.0 app-1.1.0 app-1.3.0 app-notes current lib-old rollback " \
	"$(left)"

fresh
rm "$R/rollback"
check "--keep 3 keeps the three newest" "$FATPACK" prune "$R" --older-than 1d --keep 3
check_eq "--keep 3 (current among them)" \
	".app.tmp.X app-1.1.0 app-1.2.0 app-1.3.0 app-notes current " "$(left)"
if grep -qxF "kept $R/app-1.2.0 (newest 3)" "$T/.out"; then
	ok "prints: kept ... (newest 3)"
else
	not_ok "prints: kept ... (newest 3)" "$(cat "$T/.out")"
fi

fresh
rm "$R/current" "$R/rollback"
check "default --keep is 1" "$FATPACK" prune "$R" --older-than 1s --pattern 'app-*'
check_eq "the newest survives by default" ".app.tmp.X app-1.3.0 app-notes lib-old " "$(left)"

fresh
ln -sfn "$R/app-1.2.0" "$R/current"    # an absolute link works as well
check "quiet" "$FATPACK" prune "$R" --older-than 14d --keep 0 --quiet
check_eq "--quiet prints nothing" "" "$(cat "$T/.out")"
check_eq "absolute current link is honoured" \
	".app.tmp.X app-0.9.0 app-1.2.0 app-1.3.0 app-notes current rollback " "$(left)"

# DIR/current -> releases/X, the layout of --fatpack-install: a symlink in
# the parent folder protects its target too.
fresh
rm "$R/current" "$R/rollback"
ln -s releases/app-1.0.0 "$T/current"
check "prune with current in the parent folder" \
	"$FATPACK" prune "$R" --older-than 14d --keep 0 --pattern 'app-*'
check_eq "the target of ../current is kept" ".app.tmp.X app-1.0.0 app-1.3.0 app-notes lib-old " \
	"$(left)"
check_grep "prints: kept ... (current) for ../current" "^kept $R/app-1.0.0 \(current\)\$" "$T/.out"
rm "$T/current"

# --- a running program --------------------------------------------------------
fresh
cp "$T/sleeper" "$R/app-0.5.0" && touch -d '60 days ago' "$R/app-0.5.0"
"$R/app-0.5.0" &
pid=$!
for _ in $(seq 50); do      # until the exec has happened
	[ "$(readlink "/proc/$pid/exe")" = "$R/app-0.5.0" ] && break
	sleep 0.1
done
check "prune while app-0.5.0 runs" "$FATPACK" prune "$R" --older-than 14d --keep 0
if [ -e "$R/app-0.5.0" ] && grep -qxF "kept $R/app-0.5.0 (running, pid $pid)" "$T/.out"; then
	ok "a running program is kept"
else
	not_ok "a running program is kept" "$(cat "$T/.out")"
fi
kill "$pid" && wait "$pid" 2>/dev/null
check "prune after it stopped" "$FATPACK" prune "$R" --older-than 14d --keep 0
if [ ! -e "$R/app-0.5.0" ]; then
	ok "removed once nothing runs it"
else
	not_ok "removed once nothing runs it" "$(cat "$T/.out")"
fi

# --- the lock -----------------------------------------------------------------
fresh
flock "$R" sleep 1.5 &
holder=$!
sleep 0.3
t0=$(date +%s%N)
check "prune waits for the lock" "$FATPACK" prune "$R" --older-than 14d --keep 0
waited=$((($(date +%s%N) - t0) / 1000000))
wait "$holder"
if [ "$waited" -ge 800 ] && grep -q 'waiting for another prune' "$T/.err"; then
	ok "a second prune waits for the first ($waited ms)"
else
	not_ok "a second prune waits for the first ($waited ms)" "$(cat "$T/.err")"
fi
if [ ! -e "$R/.fatpack-prune.lock" ]; then
	ok "no lock file is left behind"
else
	not_ok "no lock file is left behind"
fi

# --- two overlapping runs (cron) ----------------------------------------------
rm -rf "$R" && mkdir -p "$R"
for i in $(seq 10 39); do
	release "app-2.$i.0" "$((60 - i)) days ago"
done
ln -s app-2.12.0 "$R/current"
"$FATPACK" prune "$R" --older-than 14d --keep 5 >"$T/p1.out" 2>"$T/p1.err" &
p1=$!
"$FATPACK" prune "$R" --older-than 14d --keep 5 >"$T/p2.out" 2>"$T/p2.err" &
p2=$!
rc1=0; wait "$p1" || rc1=$?
rc2=0; wait "$p2" || rc2=$?
check_eq "both overlapping prunes succeed" "0 0" "$rc1 $rc2"
check_eq "the folder is consistent after two overlapping prunes" \
	"app-2.12.0 app-2.35.0 app-2.36.0 app-2.37.0 app-2.38.0 app-2.39.0 current " \
	"$(left)"
removed=$(cat "$T/p1.out" "$T/p2.out" | grep -c '^removed ')
dups=$(cat "$T/p1.out" "$T/p2.out" | grep '^removed ' | sort | uniq -d | wc -l)
check_eq "each file removed exactly once" "24 0" "$removed $dups"

# --- the plain find route, on the same layout ---------------------------------
# find knows nothing of `current`: docs/DEPLOY.md has the deploy touch the
# release it makes current, which keeps it out of find's reach.
fresh
touch "$R/app-1.1.0"
find "$R" -name 'app-*' -mtime +14 -delete
check_eq "find -mtime +14 -delete removes the old releases" \
	".app.tmp.X app-1.1.0 app-1.3.0 current lib-old rollback " "$(left)"

done_testing
