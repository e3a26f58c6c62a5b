#!/usr/bin/env bash
# t_build.sh BUILD_DIR - what `fatpack build` refuses and what it does with an
# existing artifact; every command's --help and usage errors.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

# check_status NAME STATUS CMD...: CMD exits with STATUS, without a crash.
check_status() {
	local name=$1 want=$2 rc=0
	shift 2
	"$@" >"$T/.out" 2>"$T/.err" || rc=$?
	if [ "$rc" -eq "$want" ] && ! crashed "$rc" "$T/.err"; then
		ok "$name"
	else
		not_ok "$name" "exit $rc, expected $want: $*
$(head -n 5 "$T/.err")"
	fi
}

asset_printer "$T/which.c" which.txt
mkdir -p "$T/a/only-a" "$T/b"
printf 'A\n' >"$T/a/which.txt"
head -c 100000 /dev/urandom >"$T/a/only-a/big.bin"
printf 'B\n' >"$T/b/which.txt"
printf 'only in b\n' >"$T/b/only-b.txt"

# --- programs build refuses
printf 'int main(void) { return 0; }\n' >"$T/plain.c"
if ! is_san_build; then
	# the sanitizer build accepts dynamic programs on purpose
	cc -o "$T/dynamic" "$T/plain.c"
	check_fails "a dynamically linked program is refused, saying why" \
		"dynamic: .*dynamically linked.*(interpreter|needs)" \
		"$FATPACK" build "$T/dynamic" -a "$T/a" -o "$T/out"
fi
musl-gcc -static -o "$T/no-runtime" "$T/plain.c"
check_fails "a program without the runtime is refused" "no-runtime: .*runtime" \
	"$FATPACK" build "$T/no-runtime" -a "$T/a" -o "$T/out"
if "$FATPACK" cc -o "$T/prog" "$T/which.c" 2>"$T/cc.err"; then
	ok "fatpack cc links a program"
	cp "$T/prog" "$T/foreign"
	# e_machine (offset 18) = EM_AARCH64
	printf '\267\000' | dd of="$T/foreign" bs=1 seek=18 conv=notrunc 2>/dev/null
	check_fails "a program for another architecture is refused" "foreign: .*aarch64" \
		"$FATPACK" build "$T/foreign" -a "$T/a" -o "$T/out"
	check "a program linked by fatpack cc is accepted" \
		"$FATPACK" build "$T/prog" -a "$T/a" -o "$T/from-cc"
	check_eq "and runs with its assets" "A" "$("$T/from-cc" 2>&1)"
else
	not_ok "fatpack cc links a program" "$(cat "$T/cc.err")"
fi
if [ -e "$T/out" ]; then not_ok "refused builds write no output" "$(ls -l "$T/out")"; else
	ok "refused builds write no output"; fi

# --- building on an artifact replaces its payload
fp_build "$T/app-a" "$T/which.c" "$T/a" || done_testing
check "build on an existing artifact" \
	"$FATPACK" build "$T/app-a" -a "$T/b" -o "$T/app-b"
check_eq "the new artifact holds only the new assets" "$(printf 'only-b.txt\nwhich.txt')" \
	"$("$FATPACK" ls "$T/app-b" 2>&1)"
check_eq "and runs with them" "B" "$("$T/app-b" 2>&1)"
check "and verifies" "$FATPACK" verify "$T/app-b"
off_a=$("$FATPACK" info --json "$T/app-a" | jq .payload_offset)
off_b=$("$FATPACK" info --json "$T/app-b" | jq .payload_offset)
if [ -n "$off_a" ] && [ -n "$off_b" ] && [ "$off_b" -le "$off_a" ]; then
	ok "the old payload is not kept in the program ($off_b <= $off_a)"
else
	not_ok "the old payload is not kept in the program" "offsets $off_a, $off_b"
fi

# --- the index is stored plain (trailer flag bit 0 clear), for the runtime to
# use where it lies (docs/FORMAT.md 4); the format version is 1.3
flags_of() {
	od -An -t u4 -j $(($(stat -c %s "$1") - 96 + 20)) -N 4 "$1" | tr -d ' '
}
minor_of() {
	od -An -t u2 -j $(($(stat -c %s "$1") - 96 + 18)) -N 2 "$1" | tr -d ' '
}
check_eq "the index is stored plain" 0 "$(flags_of "$T/app-a")"
check_eq "the format version is 1.3" 3 "$(minor_of "$T/app-a")"

# --- help and usage errors (from an empty folder: nothing may be written here)
cd "$T" || done_testing
commands="build cc ls cat extract info verify prune init"
check_status "fatpack --help exits 0" 0 "$FATPACK" --help
check_status "fatpack --version exits 0" 0 "$FATPACK" --version
check_status "fatpack without a command exits 2" 2 "$FATPACK"
check_status "an unknown command exits 2" 2 "$FATPACK" no-such-command
for c in $commands; do
	check_status "fatpack $c --help exits 0" 0 "$FATPACK" "$c" --help
	if [ -s "$T/.out" ]; then ok "fatpack $c --help prints help"; else
		not_ok "fatpack $c --help prints help" "nothing on stdout"; fi
	check_status "fatpack help $c exits 0" 0 "$FATPACK" help "$c"
done
for c in $commands; do
	# cc hands its arguments to the compiler
	[ "$c" = cc ] && continue
	check_status "fatpack $c --no-such-flag exits 2" 2 "$FATPACK" "$c" --no-such-flag
	check_grep "fatpack $c --no-such-flag names the flag" "no-such-flag" "$T/.err"
done

done_testing
