#!/usr/bin/env bash
# t_escape.sh BUILD_DIR - names from an artifact never reach a terminal raw:
# an asset path holding ESC, a newline or a C1 control is shown escaped by
# `fatpack ls`, `APP --fatpack-list`, `extract -v` and in messages, the same
# way on both sides. And an empty extraction folder is refused.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/a" "$T/p"
nasty=$'e\e[31mRED\e[0m\nfake'
c1=$'x\xc2\x9b31mRED'
printf 'one\n' >"$T/a/$nasty"
printf 'two\n' >"$T/a/$c1"
printf 'three\n' >"$T/a/plain é.txt"
printf '#include <fatpack.h>\nint main(void) { return 0; }\n' >"$T/p/m.c"
if ! "$FATPACK" build "$T/p/m.c" -a "$T/a" -o "$T/app" >"$T/.out" 2>"$T/.err"; then
	not_ok "build with control bytes in asset names" "$(cat "$T/.err")"
	done_testing
fi
ok "build with control bytes in asset names"

# raw BYTES FILE: whether FILE holds ESC or the C1 CSI byte pair
raw() {
	LC_ALL=C grep -q $'\e\|\xc2\x9b' "$1"
}

"$FATPACK" ls "$T/app" >"$T/ls" 2>&1
"$T/app" --fatpack-list >"$T/list" 2>&1
check_eq "fatpack ls: one line per entry" 3 "$(wc -l <"$T/ls")"
if raw "$T/ls"; then not_ok "fatpack ls: no raw control bytes" "$(od -c "$T/ls" | head)"; else ok "fatpack ls: no raw control bytes"; fi
check_grep "fatpack ls: ESC and newline escaped" '^e\\x1b\[31mRED\\x1b\[0m\\x0afake$' "$T/ls"
check_grep "fatpack ls: a C1 control escaped" '^x\\xc2\\x9b31mRED$' "$T/ls"
check_grep "fatpack ls: printable UTF-8 as it is" '^plain é\.txt$' "$T/ls"
check_eq "--fatpack-list says the same" "$(cat "$T/ls")" "$(cat "$T/list")"

"$FATPACK" ls -l "$T/app" >"$T/lsl" 2>&1
"$T/app" --fatpack-list -l >"$T/listl" 2>&1
if raw "$T/lsl"; then not_ok "fatpack ls -l: no raw control bytes"; else ok "fatpack ls -l: no raw control bytes"; fi
check_eq "--fatpack-list -l says the same" "$(cat "$T/lsl")" "$(cat "$T/listl")"

"$FATPACK" extract -v "$T/app" "$T/x" >"$T/xv" 2>&1
if raw "$T/xv"; then not_ok "extract -v: no raw control bytes"; else ok "extract -v: no raw control bytes"; fi
check "extract wrote the file under its real name" test -f "$T/x/$nasty"
rc=0
"$FATPACK" extract "$T/app" "$T/x" >"$T/.out" 2>"$T/again" || rc=$?
check_eq "extract again over it fails" 1 "$rc"
if raw "$T/again"; then not_ok "the conflict message: no raw control bytes" "$(od -c "$T/again" | head)"; else ok "the conflict message: no raw control bytes"; fi
check_grep "the conflict message names the C1 path escaped" 'x\\xc2\\x9b31mRED: exists' "$T/again"

check_fails "fatpack extract into an empty folder name" \
	"^fatpack: extract: the folder name is empty$" "$FATPACK" extract "$T/app" ""
check_fails "--fatpack-extract into an empty folder name" \
	": extract: the folder name is empty$" "$T/app" --fatpack-extract ""

done_testing
