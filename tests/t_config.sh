#!/usr/bin/env bash
# t_config.sh BUILD_DIR - the fatpack file (docs/CONFIG.md) and `fatpack init`:
# the starter file builds as written, and every bad file gives exactly one
# line "fatpack.ini:LINE: reason" and a non-zero exit.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

P=$T/proj
mkdir -p "$P/public/css"
asset_printer "$P/main.c" index.html
echo '<h1>hi</h1>' >"$P/public/index.html"
echo 'body{}' >"$P/public/css/site.css"
echo '{}' >"$P/public/css/site.css.map"

# run_in DIR CMD...: CMD run from DIR, output in $T/.out and $T/.err.
run_in() {
	local dir=$1
	shift
	(cd "$dir" && "$@") >"$T/.out" 2>"$T/.err"
}

# --- fatpack init -------------------------------------------------------------
check "init writes fatpack.ini" run_in "$P" "$FATPACK" init
check_eq "init says so" "wrote fatpack.ini" "$(cat "$T/.out")"
check_fails "init refuses to overwrite" 'already exists.*--force' run_in "$P" "$FATPACK" init
check "init --force overwrites" run_in "$P" "$FATPACK" init --force
check "init DIR" "$FATPACK" init --force "$P"
check_eq "init guessed the name, sources and assets" \
	"name = proj|sources = main.c|dir = public" \
	"$(grep -E '^(name|sources|dir) =' "$P/fatpack.ini" | paste -sd '|')"
check_fails "init of a missing folder" 'no such folder' "$FATPACK" init "$T/nope"

check "the starter file builds" run_in "$P" "$FATPACK" build
check "its output runs" "$P/dist/proj-0.1.0"
check_eq "with the assets" "<h1>hi</h1>" "$(cat "$T/.out")"
check "the link points to it" test "$(readlink -f "$P/dist/proj")" = "$(readlink -f "$P/dist/proj-0.1.0")"
if "$FATPACK" ls "$P/dist/proj-0.1.0" 2>&1 | grep -q 'site.css.map'; then
	not_ok "exclude patterns apply" "$("$FATPACK" ls "$P/dist/proj-0.1.0" 2>&1)"
else
	ok "exclude patterns apply"
fi

# --- a full file, and flags over the file ----------------------------------------
mkdir -p "$P/src" "$P/tpl"
cp "$P/main.c" "$P/src/main.c"
echo 'tpl' >"$P/tpl/page.tpl"
cat >"$P/fatpack.ini" <<'EOF'
# every section
[app]
name = demo
version = 2.0.1
output = out/{name}-{version}
link = out/{name}
level = 9
jobs = 2

[build]
sources = src/*.c
cflags = -O2 -DDEMO=1
libs = -lm

[assets.public]
dir = public
prefix = /
exclude = *.map

[assets.templates]
dir = tpl
prefix = templates
EOF
check "a file with every section builds" run_in "$P" "$FATPACK" build
check "into out/demo-2.0.1" test -x "$P/out/demo-2.0.1"
if "$FATPACK" ls "$P/out/demo-2.0.1" 2>&1 | grep -q 'templates/page.tpl'; then
	ok "an asset prefix applies"
else
	not_ok "an asset prefix applies" "$("$FATPACK" ls "$P/out/demo-2.0.1" 2>&1)"
fi
check "flags override the file" run_in "$P" "$FATPACK" build -o "$T/other"
check "-o wins over output" test -x "$T/other"

# --- bad files: one line with file:line, non-zero exit --------------------------
B=$T/bad
mkdir -p "$B/public"
echo 'int main(void) { return 0; }' >"$B/main.c"

# bad NAME LINE REGEX < FILE
bad() {
	local name=$1 line=$2 re=$3 rc=0
	cat >"$B/fatpack.ini"
	run_in "$B" "$FATPACK" build || rc=$?
	if [ "$rc" -eq 0 ]; then
		not_ok "$name" "accepted"
	elif crashed "$rc" "$T/.err"; then
		not_ok "$name" "crashed (exit $rc): $(cat "$T/.err")"
	elif [ "$(wc -l <"$T/.err")" -ne 1 ]; then
		not_ok "$name" "not one line: $(cat "$T/.err")"
	elif ! grep -Eq "^fatpack: fatpack\.ini:$line: $re" "$T/.err"; then
		not_ok "$name" "stderr: $(cat "$T/.err")"
	else
		ok "$name"
	fi
}

bad "syntax error" 3 'syntax error' <<'EOF'
[app]
name = x
this line has no equals sign
EOF
bad "unterminated section" 1 'syntax error' <<'EOF'
[app
name = x
EOF
bad "unknown key" 3 "unknown key 'lvl' in \[app\]" <<'EOF'
[app]
name = x
lvl = 3
EOF
bad "unknown section" 2 'unknown section \[bulid\]' <<'EOF'
[bulid]
sources = main.c
EOF
bad "key outside a section" 1 "key 'name' is outside a section" <<'EOF'
name = x
EOF
bad "missing source" 2 "source 'src/mian.c' not found" <<'EOF'
[build]
sources = main.c src/mian.c
EOF
bad "glob matching nothing" 2 "source pattern 'lib/\*.c' matches no file" <<'EOF'
[build]
sources = lib/*.c
EOF
bad "missing asset folder" 5 "asset folder 'pubic' not found" <<'EOF'
[build]
sources = main.c

[assets.site]
dir = pubic
EOF
bad "asset section without dir" 4 '\[assets.site\] needs a dir' <<'EOF'
[build]
sources = main.c
[assets.site]
prefix = /
EOF
bad "level out of range" 2 'level must be 1..19, got 42' <<'EOF'
[app]
level = 42
EOF
bad "dictionary neither yes nor no" 2 "dictionary 'off': yes or no" <<'EOF'
[app]
dictionary = off
EOF
bad "jobs not a number" 2 'jobs must be 0..1024, got many' <<'EOF'
[app]
jobs = many
EOF
bad "duplicate key" 3 "duplicate key 'name' in \[app\] \(first set on line 2\)" <<'EOF'
[app]
name = x
name = y
EOF
bad "quoted value" 2 "value of 'name' is quoted" <<'EOF'
[app]
name = "x"
EOF
bad "bad name" 2 "name 'my app': may hold only" <<'EOF'
[app]
name = my app
EOF
bad "unknown placeholder" 2 "output '.*': unknown placeholder at '\{ver\}'" <<'EOF'
[app]
output = dist/{name}-{ver}
EOF
bad "sources and program" 3 '\[build\] takes sources or program, not both' <<'EOF'
[build]
sources = main.c
program = main.c
EOF
bad "bad prefix" 3 "prefix '../up' must be a relative path" <<'EOF'
[assets.public]
dir = public
prefix = ../up
EOF
bad "bad listen" 2 "listen 'localhost': must be PORT" <<'EOF'
[serve]
listen = localhost
EOF
bad "missing site" 2 "site folder 'nosite' not found" <<'EOF'
[serve]
site = nosite
EOF
bad "line too long" 2 'line longer than 65536 bytes' \
	< <(printf '[build]\ncflags = %s\n' "$(printf -- '-DX=1 %.0s' $(seq 12000))")

# --- dictionary = yes / no, as --no-dictionary ---------------------------------
D=$T/dict
similar_pages "$D/pages" html
asset_printer "$D/main.c" p1.html
# dict_size DICTIONARY: the dictionary's size in the build made with the
# fatpack file's dictionary key set so (or without the key when empty)
dict_size() {
	{
		printf '[app]\nname = d\noutput = out/d\n'
		[ -n "$1" ] && printf 'dictionary = %s\n' "$1"
		printf '[build]\nsources = main.c\n[assets]\ndir = pages\n'
	} >"$D/fatpack.ini"
	run_in "$D" "$FATPACK" build &&
		"$FATPACK" info --json "$D/out/d" | jq .dictionary_size
}
check "the pages get a dictionary by default" test "$(dict_size "")" -gt 0
check "and with dictionary = yes" test "$(dict_size yes)" -gt 0
check_eq "none with dictionary = no" 0 "$(dict_size no)"
check_eq "the key is in the starter file" "dictionary = yes" \
	"$(cd "$T" && "$FATPACK" init --force "$D" >/dev/null && grep '^dictionary' "$D/fatpack.ini")"

done_testing
