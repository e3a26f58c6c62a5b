#!/usr/bin/env bash
# t_cli.sh BUILD_DIR - first use of the command line: `fatpack --help` and
# the options main.c accepts agree, usage errors have one wording, and
# `fatpack cc` creates the -o folder, prints its command with -v (a line a
# shell runs as it is), and refuses a FATPACK_CC for glibc.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

# check_status NAME STATUS CMD...: ok when CMD exits with STATUS.
check_status() {
	local name=$1 want=$2 rc=0
	shift 2
	"$@" >"$T/.out" 2>"$T/.err" || rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$name"
	else
		not_ok "$name" "exit $rc, not $want: $*
$(cat "$T/.err")"
	fi
}

# --- fatpack --help and main.c agree --------------------------------------

"$FATPACK" --help >"$T/help"
sed -n '/^Options:/,/^$/p' "$T/help" | grep -o -- ' -[-a-zA-Z]*' |
	tr -d ' ' >"$T/listed"
check "--help lists options" test -s "$T/listed"
while read -r opt; do
	check_status "fatpack $opt (listed in --help) works" 0 "$FATPACK" "$opt"
done <"$T/listed"
# Every option main.c compares argv[1] with is listed.
grep -o 'strcmp(argv\[1\], "-[^"]*")' "$TOP/bundler/main.c" |
	sed 's/.*"\(.*\)")/\1/' | sort -u >"$T/accepted"
check "main.c accepts options" test -s "$T/accepted"
while read -r opt; do
	check "fatpack $opt (accepted by main.c) is in --help" \
		grep -qx -- "$opt" "$T/listed"
done <"$T/accepted"
check_grep "-V is in --help" '^ *-V, --version' "$T/help"

# --- one wording for usage errors -----------------------------------------

check_status "an unknown command exits 2" 2 "$FATPACK" no-such-command
check_grep "an unknown command: the wording" \
	"^fatpack: unknown command 'no-such-command' \(see fatpack --help\)$" \
	"$T/.err"
check_status "fatpack help with an unknown command exits 2" 2 \
	"$FATPACK" help no-such-command
check_grep "fatpack help with an unknown command: the wording" \
	"^fatpack: unknown command 'no-such-command' \(see fatpack --help\)$" \
	"$T/.err"
check_status "prune with an unknown option exits 2" 2 \
	"$FATPACK" prune "$T" --older-than 1d --bogus
check_grep "prune with an unknown option: the wording" \
	"^fatpack prune: unknown option '--bogus' \(see fatpack prune --help\)$" \
	"$T/.err"
check_status "prune with an unknown short option exits 2" 2 \
	"$FATPACK" prune "$T" --older-than 1d -z
check_grep "prune with an unknown short option: the wording" \
	"^fatpack prune: unknown option '-z' \(see fatpack prune --help\)$" \
	"$T/.err"
# every command: the same line for an unknown option, long or short, and
# for an option without its value
for cmd in build init ls cat info verify extract prune; do
	for opt in --bogus -Z; do
		check_status "$cmd $opt exits 2" 2 "$FATPACK" "$cmd" "$opt"
		check_grep "$cmd $opt: the wording" \
			"^fatpack $cmd: unknown option '$opt' \\(see fatpack $cmd --help\\)\$" \
			"$T/.err"
		check_eq "$cmd $opt: one line" 1 "$(wc -l <"$T/.err")"
	done
done
for cmd_opt in "build --level" "build -o" "prune --older-than"; do
	read -r cmd opt <<<"$cmd_opt"
	check_status "$cmd $opt without its value exits 2" 2 "$FATPACK" "$cmd" "$opt"
	check_grep "$cmd $opt without its value: the wording" \
		"^fatpack $cmd: $opt needs a value \\(see fatpack $cmd --help\\)\$" "$T/.err"
done
check_status "cc without arguments exits 2" 2 "$FATPACK" cc
check_grep "cc without arguments: the wording" \
	"^fatpack cc: no compiler arguments \(see fatpack cc --help\)$" "$T/.err"

# --- fatpack cc -------------------------------------------------------------

mkdir -p "$T/p" || done_testing
cd "$T/p" || done_testing
cat >"my prog.c" <<'EOF'
#include <stdio.h>
#include <fatpack.h>

int
main(void)
{
	puts(MSG);
	return 0;
}
EOF
check "cc -o out/dir/prog creates the folder" \
	"$FATPACK" cc -DMSG='"one"' -o out/dir/prog "my prog.c"
check_eq "the program in the new folder runs" "one" "$(./out/dir/prog 2>&1)"
check "cc -o into an existing folder" \
	"$FATPACK" cc -DMSG='"two"' -o out/dir/prog "my prog.c"
check_eq "the program was replaced" "two" "$(./out/dir/prog 2>&1)"
: >blocker
check_fails "cc -o under a file is an error naming it" \
	"^fatpack: blocker/x: Not a directory" \
	"$FATPACK" cc -DMSG='"x"' -o blocker/x/prog "my prog.c"

check "cc -v" "$FATPACK" cc -v -DMSG="\"it's a \$HOME \`x\` test\"" \
	-o "v prog" "my prog.c"
head -n 1 "$T/.err" >"$T/cmdline"
check_grep "cc -v: the first stderr line is the command" \
	" -Wl,--wrap=main .*-lfatpack" "$T/cmdline"
check_grep "cc -v: arguments with spaces or quotes are quoted" \
	"'-DMSG=\"it'\\\\''s a \\\$HOME \`x\` test\"'.* 'v prog' 'my prog.c'" \
	"$T/cmdline"
rm -f "v prog"
check "cc -v: the line runs in a shell as it is" sh -c "$(cat "$T/cmdline")"
check_eq "cc -v: and builds the same program" "it's a \$HOME \`x\` test" \
	"$("./v prog" 2>&1)"

if is_san_build; then
	echo "# skipped: the sanitizer toolchain is glibc on purpose, unchecked"
else
	check_fails "FATPACK_CC for glibc is refused by cc" \
		"^fatpack: FATPACK_CC=gcc: compiles for glibc" \
		env FATPACK_CC=gcc "$FATPACK" cc -DMSG='"g"' -o glibc-prog "my prog.c"
	check "... and nothing is built" test ! -e glibc-prog
	check_fails "FATPACK_CC for glibc is refused by build" \
		"^fatpack: FATPACK_CC=gcc: compiles for glibc" \
		env FATPACK_CC=gcc "$FATPACK" build --cflags '-DMSG="g"' \
		--name my-prog "my prog.c" -o glibc-app
	check "... and nothing is built" test ! -e glibc-app
	check_fails "FATPACK_CC for glibc is refused by --print-config" \
		"^fatpack: FATPACK_CC=gcc: compiles for glibc" \
		env FATPACK_CC=gcc "$FATPACK" cc --print-config
	check "FATPACK_CC=musl-gcc with flags is accepted" \
		env FATPACK_CC="musl-gcc -O2" "$FATPACK" cc -DMSG='"m"' -o musl-prog \
		"my prog.c"
	check_eq "... and its program runs" "m" "$(./musl-prog 2>&1)"

	# fatpack-cc.1 names every flag the driver adds when linking.
	"$FATPACK" cc --help |
		awk '/^ / && on { print; next } { on = /after the arguments:$/ }' |
		grep -o -- ' -[^ ]*' | grep -Ev 'PREFIX|HOME' >"$T/flags"
	check "cc --help lists the link flags" test -s "$T/flags"
	while read -r f; do
		check "fatpack-cc.1 names $f" \
			grep -qF -- "$(printf '%s' "$f" | sed 's/-/\\-/g')" \
			"$TOP/docs/fatpack-cc.1"
	done <"$T/flags"
fi

done_testing
