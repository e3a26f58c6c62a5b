#!/usr/bin/env bash
# t_deploy.sh BUILD_DIR - the deploy lifecycle of `fatpack build` (issue 4):
# a build killed with SIGKILL at any moment leaves nothing at the output path
# (or the previous artifact intact) and the next build works; the build
# metadata from git, --revision and fatpack.ini in both JSON outputs; builds
# with a git revision stay byte-identical; quiet on a non-terminal, a summary
# on a terminal, and no escape codes there; versioned names and the link.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

FPVER=$("$FATPACK" --version | sed -n 's/^fatpack //p')

# --- (a) SIGKILL never leaves a partial artifact ----------------------------

# About 80 MB of random and text files: a level 12 build on one thread takes
# a couple of seconds, so the kills below land in every phase (collecting the
# assets, stripping the program, compressing, renaming).
mkdir -p "$T/big" "$T/dist"
for i in $(seq 1 16); do
	head -c 2500000 /dev/urandom >"$T/big/r$i.bin"
	seq 1 200000 | sed "s/^/$i text /" >"$T/big/t$i.txt"
done

# big_build VERSION [DELAY [SIGNAL]]: builds $T/dist/app; with DELAY, sends
# SIGNAL (default KILL) after DELAY seconds. Sets RC to the build's exit
# status (137: killed by SIGKILL, 143: by SIGTERM).
big_build() {
	"$FATPACK" build --serve "$T/big" -o "$T/dist/app" -l 12 -j 1 -q \
		--app-version "$1" 2>"$T/kill.err" &
	local pid=$!
	if [ $# -gt 1 ]; then
		sleep "$2"
		kill -"${3:-KILL}" "$pid" 2>/dev/null
	fi
	RC=0
	wait "$pid" 2>/dev/null || RC=$?
}

# version_of APP: its version metadata.
version_of() {
	"$FATPACK" info --json "$1" 2>/dev/null | jq -r .version
}

for d in 0.05 0.2 0.5 1 2; do
	rm -f "$T/dist/app"
	big_build 0.1 "$d"
	if [ "$RC" -eq 137 ] && [ ! -e "$T/dist/app" ]; then
		ok "SIGKILL after ${d}s: nothing at the output path"
	elif [ "$RC" -eq 0 ] && "$FATPACK" verify "$T/dist/app" >/dev/null 2>&1; then
		ok "SIGKILL after ${d}s: the build had finished, and is whole"
	else
		not_ok "SIGKILL after ${d}s: nothing at the output path" \
			"exit $RC; $(ls -la "$T/dist")"
	fi
done

big_build 1
check_eq "a first artifact is built" "0 1" "$RC $(version_of "$T/dist/app")"
sum1=$(sha256sum <"$T/dist/app")
for d in 0.05 0.2 0.5 1 2; do
	big_build 2 "$d"
	now=$(sha256sum <"$T/dist/app")
	if [ "$RC" -eq 137 ] && [ "$now" = "$sum1" ]; then
		ok "SIGKILL after ${d}s: the previous artifact is intact"
	elif [ "$RC" -eq 0 ] && [ "$(version_of "$T/dist/app")" = 2 ]; then
		ok "SIGKILL after ${d}s: the build had finished before the kill"
		sum1=$now
	else
		not_ok "SIGKILL after ${d}s: the previous artifact is intact" \
			"exit $RC; $(ls -la "$T/dist")"
	fi
done
n_tmp=$(find "$T/dist" -name '.*' -type f | wc -l)
echo "# $n_tmp temporary file(s) left behind by SIGKILL"

big_build 3
check_eq "the next build succeeds" "0 3" "$RC $(version_of "$T/dist/app")"
check "and verifies" "$FATPACK" verify "$T/dist/app"
# prune leaves dot files (a build's temporary files) alone
touch -d '2000-01-01' "$T/dist/app"
check "prune runs beside the leftovers" \
	"$FATPACK" prune "$T/dist" --older-than 1d --keep 0
check_eq "prune removed the old artifact, not the temporary files" \
	"$n_tmp" "$(find "$T/dist" -type f | wc -l)"
find "$T/dist" -name '.*' -type f -delete

# SIGTERM (and SIGINT, SIGHUP) remove the temporary files before dying.
big_build 4 1 TERM
check_eq "SIGTERM ends the build and leaves no temporary file" "143 " \
	"$RC $(find "$T/dist" -name '.*' -type f)"
rm -rf "$T/big" "$T/dist"

# --- (b) build metadata, from git, --revision and fatpack.ini --------------

P=$T/proj
mkdir -p "$P/public"
cat >"$P/main.c" <<'EOF'
#include <stdio.h>

int main(void) { puts("hello"); return 0; }
EOF
printf 'a\n' >"$P/public/a.txt"
printf 'b\n' >"$P/public/b.txt"
mkdir -p "$P/public/css"
printf 'c\n' >"$P/public/css/c.css"
cat >"$P/fatpack.ini" <<'EOF'
[app]
name = app
version = 1.4.2
output = dist/{name}-{version}-{build}
link = dist/{name}

[build]
sources = main.c

[assets.public]
dir = public
EOF

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com \
	GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com \
	GIT_AUTHOR_DATE='1700000000 +0000' GIT_COMMITTER_DATE='1700000000 +0000' \
	GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
git -C "$P" init -q &&
	git -C "$P" add . &&
	git -C "$P" -c user.name=t -c user.email=t@example.com commit -qm init
REV=$(git -C "$P" rev-parse HEAD)
SHORT=$(git -C "$P" rev-parse --short HEAD)
check_eq "a git repository for the project" 40 "${#REV}"

# in_proj CMD...: runs CMD in the project folder.
in_proj() {
	(cd "$P" && "$@")
}

export SOURCE_DATE_EPOCH=1700000000
check "build in a git work tree" in_proj "$FATPACK" build
APP=$P/dist/app-1.4.2-$SHORT
check "{build} is the short git revision" test -x "$APP"

# fields FILE: the seven metadata fields of a JSON output, compactly.
FIELDS='{name, version, revision, build_time, fatpack_version, payload_sha256, asset_count}'
fields() {
	jq -cS "$FIELDS" "$1"
}

# payload_hash APP: SHA-256 of the tar stream frames, from the trailer alone
# (docs/FORMAT.md: payload_offset at trailer byte 24, index_offset at 40).
payload_hash() {
	local size off idx
	size=$(stat -c %s "$1")
	off=$(od -An -t u8 -j $((size - 96 + 24)) -N 8 "$1" | tr -d ' ')
	idx=$(od -An -t u8 -j $((size - 96 + 40)) -N 8 "$1" | tr -d ' ')
	tail -c +$((off + 1)) "$1" | head -c "$idx" | sha256sum | cut -d' ' -f1
}

check "fatpack info --json" "$FATPACK" info --json "$APP"
cp "$T/.out" "$T/info.json"
check "APP --fatpack-info --json" "$APP" --fatpack-info --json
cp "$T/.out" "$T/self.json"
check "fatpack info --json parses" jq -e . "$T/info.json"
check "APP --fatpack-info --json parses" jq -e . "$T/self.json"
want=$(jq -cnS --arg rev "$REV" --arg fv "$FPVER" --arg h "$(payload_hash "$APP")" \
	'{name: "app", version: "1.4.2", revision: $rev, build_time: 1700000000,
	  fatpack_version: $fv, payload_sha256: $h, asset_count: 3}')
check_eq "fatpack info --json: every field, right values" "$want" \
	"$(fields "$T/info.json")"
check_eq "APP --fatpack-info --json: the same fields and values" "$want" \
	"$(fields "$T/self.json")"
check_eq "revision equals git rev-parse HEAD" "$REV" \
	"$(jq -r .revision "$T/self.json")"
check_eq "the keys of --fatpack-info --json are those of info --json" \
	"$(jq -r 'keys | join(" ")' "$T/info.json")" \
	"$(jq -r 'keys | join(" ")' "$T/self.json")"
check "the text outputs show the revision" \
	bash -c '"$1" info "$2" | grep -q "$3" && "$2" --fatpack-info | grep -q "$3"' \
	_ "$FATPACK" "$APP" "$REV"

check "--revision overrides git" in_proj "$FATPACK" build --revision r42 -o dist/over-{build}
check_eq "the given revision, in the name and the metadata" "r42" \
	"$("$FATPACK" info --json "$P/dist/over-r42" | jq -r .revision)"
sed -i 's/^version = .*/&\nrevision = 2024.06-ci/' "$P/fatpack.ini"
check "a revision key in [app]" in_proj "$FATPACK" build -o dist/ini-{build}
check_eq "the key overrides git" "2024.06-ci" \
	"$("$FATPACK" info --json "$P/dist/ini-2024.06-ci" | jq -r .revision)"
check_fails "a bad revision key is refused with its line" \
	'fatpack.ini:[0-9]+: revision' \
	in_proj bash -c 'sed -i "s/^revision = .*/revision = a b/" fatpack.ini &&
		"$1" build' _ "$FATPACK"
sed -i '/^revision = /d' "$P/fatpack.ini"

# Outside a git work tree: no revision, {build} is the payload hash prefix.
mkdir -p "$T/nogit"
cp "$P/main.c" "$T/nogit/"
check "build outside git" bash -c 'cd "$1" && "$2" build main.c -o "out-{build}"' \
	_ "$T/nogit" "$FATPACK"
out=$(find "$T/nogit" -name 'out-*')
check_eq "no revision outside git" null \
	"$("$FATPACK" info --json "$out" | jq .revision)"
check_eq "{build} is 12 hex digits of the payload hash" \
	"out-$("$FATPACK" info --json "$out" | jq -r '.payload_sha256[:12]')" \
	"$(basename "$out")"

# --- (c) same inputs, same bytes, git revision included --------------------

check "build A" in_proj "$FATPACK" build -o 'dist-a/{name}-{build}'
check "build B" in_proj "$FATPACK" build -o 'dist-b/{name}-{build}'
check "A and B are byte-identical" cmp "$P/dist-a/app-$SHORT" "$P/dist-b/app-$SHORT"
unset SOURCE_DATE_EPOCH

# --- (d) quiet on a non-terminal, a summary on a terminal -----------------

"$FATPACK" build "$P/main.c" -a "$P/public" -o "$T/q1" 2>"$T/err" >"$T/out"
check_eq "a successful build says nothing when stderr is a file" "" \
	"$(cat "$T/err" "$T/out")"
"$FATPACK" build "$P/main.c" -o "$T/q2" -v 2>"$T/err"
check_grep "-v prints the summary" "^$T/q2: 0 assets" "$T/err"
check_fails "a failure still says why, naming the file" \
	"fatpack: .*nope: (No such file|not found)" \
	"$FATPACK" build "$P/main.c" -a "$T/nope" -o "$T/q3"

if command -v script >/dev/null; then
	# on_tty FILE CMD: CMD run by sh in a pseudo-terminal, output in FILE
	on_tty() {
		local f=$1
		shift
		script -qec "$*" /dev/null </dev/null >"$f" 2>&1
	}
	check "a build on a terminal" on_tty "$T/tty" \
		"'$FATPACK' build '$P/main.c' -o '$T/t1'"
	check_grep "prints the summary" "^$T/t1: 0 assets, .* s" "$T/tty"
	check "-q on a terminal" on_tty "$T/tty-q" \
		"'$FATPACK' build '$P/main.c' -q -o '$T/t2'"
	check_eq "prints nothing" "" "$(cat "$T/tty-q")"
	on_tty "$T/tty-fail" "'$FATPACK' build '$P/main.c' -a '$T/nope' -o '$T/t3'"
	check_grep "a failure on a terminal says why" "nope" "$T/tty-fail"
	if grep -q "$(printf '\033')" "$T/tty" "$T/tty-fail"; then
		not_ok "no escape codes on a terminal" "$(cat -v "$T/tty" "$T/tty-fail")"
	else
		ok "no escape codes on a terminal"
	fi
else
	echo "# skipped: no script(1) for the terminal checks"
fi

# --- (e) versioned names and the stable link ------------------------------

D=$T/rel
mkdir -p "$D"
# rel VERSION: a versioned build, linked as $D/app
rel() {
	"$FATPACK" build "$P/main.c" -a "$P/public" --name app --app-version "$1" \
		--revision "b$1" -o "$D/{name}-{version}-{build}" --link "$D/{name}"
}
check "build 1.0.0 with --link" rel 1.0.0
check "build 1.1.0 with --link" rel 1.1.0
check_eq "the link points to the newest, relative" "app-1.1.0-b1.1.0" \
	"$(readlink "$D/app")"
check "both versions exist" test -x "$D/app-1.0.0-b1.0.0" -a -x "$D/app-1.1.0-b1.1.0"
check_eq "the link runs the newest" "1.1.0" \
	"$("$D/app" --fatpack-info --json | jq -r .version)"
check_fails "--link refuses {version}" "takes \{name\} and \{arch\} only" \
	"$FATPACK" build "$P/main.c" -o "$D/x" --link "$D/{version}"
check_fails "--link will not replace a file" "not a symlink" \
	"$FATPACK" build "$P/main.c" -o "$D/y" --link "$D/app-1.0.0-b1.0.0"
check_eq "which is still there" "1.0.0" \
	"$("$FATPACK" info --json "$D/app-1.0.0-b1.0.0" | jq -r .version)"

done_testing
