#!/usr/bin/env bash
# t_dict.sh BUILD_DIR - when `fatpack build` stores a dictionary
# (docs/FORMAT.md 4.3, bundler/dict.c): for small pages that share their
# boilerplate, not for the same bytes under a name of a compressed type,
# and not for small files whose contents do not compress.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

# dict_size DIR: the dictionary frame's size of DIR's files packed with
# a do-nothing program
dict_size() {
	local app
	app=$T/$(basename "$1").app
	"$FATPACK" build -q "$T/prog.c" -a "$1" -o "$app" 2>"$T/build.err" ||
		{ cat "$T/build.err" >&2; return 1; }
	"$FATPACK" info --json "$app" | jq .dictionary_size
}

printf 'int main(void) { return 0; }\n' >"$T/prog.c"
similar_pages "$T/html" html
similar_pages "$T/png" png
mkdir -p "$T/random"
for ((i = 0; i < 200; i++)); do
	head -c 3000 /dev/urandom >"$T/random/r$i.dat"
done

size=$(dict_size "$T/html")
check "pages that share their boilerplate get a dictionary" test "$size" -gt 0
check_eq "the same pages named as PNG images get none" 0 "$(dict_size "$T/png")"
check_eq "small files that do not compress get none" 0 "$(dict_size "$T/random")"
done_testing
