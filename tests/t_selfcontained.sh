#!/usr/bin/env bash
# t_selfcontained.sh BUILD_DIR - the hello example runs and reads its assets in
# an empty root: a folder holding only the binary, without /proc (so the
# runtime finds itself through AT_EXECFN) and without any C library. In the
# static (musl) build the binary has no interpreter and needs no library; the
# sanitizer build is dynamic by necessity, so there the libraries ldd lists
# are copied into the root and only the missing /proc is exercised.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

root=$T/root
hello=$root/hello
assets=$TOP/examples/hello/assets
srcs=("$TOP/examples/hello/hello.c")

if is_san_build; then
	# Without /proc the sanitizer runtime cannot read ASAN_OPTIONS, and its leak
	# checker cannot stop the world: turn it off from inside the program.
	cat >"$T/noleak.c" <<'CEOF'
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }
CEOF
	srcs+=("$T/noleak.c")
fi
mkdir -p "$root"
if ! "$FATPACK" build "${srcs[@]}" -a "$assets" -o "$hello" 2>"$T/build.err"; then
	not_ok "build examples/hello" "$(cat "$T/build.err")"
	done_testing
fi
ok "build examples/hello"

if is_static_build; then
	if readelf -lW "$hello" | grep -q INTERP; then
		not_ok "no program interpreter (readelf -l)" "$(readelf -lW "$hello" | grep -A1 INTERP)"
	else
		ok "no program interpreter (readelf -l)"
	fi
	needed=$(readelf -dW "$hello" 2>&1 | grep NEEDED)
	check_eq "no NEEDED library (readelf -d)" "" "$needed"
	check_eq "ldd: not a dynamic executable" "not a dynamic executable" \
		"$(ldd "$hello" 2>&1 | grep -Eo 'not a dynamic executable|statically linked')"
else
	# the sanitizer runtime is dynamic: give the root the libraries it needs
	for lib in $(ldd "$hello" | grep -Eo '/[^ ]+'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
fi

# in_root CMD...: runs CMD in the root, without /proc.
in_root() {
	if [ "$(id -u)" -eq 0 ]; then
		chroot "$root" "$@"
	else
		unshare -r chroot "$root" "$@"
	fi
}

if [ -e "$root/proc" ] || [ -e "$root/lib/libc.so" ]; then
	not_ok "the root is empty" "$(find "$root")"
fi

rc=0
in_root /hello >"$T/out" 2>"$T/err" || rc=$?
if [ "$rc" -eq 0 ]; then ok "hello runs in an empty root without /proc"; else
	not_ok "hello runs in an empty root without /proc" "exit $rc: $(cat "$T/err")"; fi
check_eq "it prints its embedded greeting" "$(cat "$assets/greeting.txt")" \
	"$(head -n 1 "$T/out")"
for f in greeting.txt data/numbers.csv img/dot.png; do
	size=$(stat -c %s "$assets/$f")
	check_grep "it lists $f with its size" "^ *$size .* $f\$" "$T/out"
done
check_grep "MIME type of dot.png" 'image/png .*img/dot\.png$' "$T/out"
check_grep "MIME type of numbers.csv" 'text/csv.* data/numbers\.csv$' "$T/out"

check "--fatpack-verify without /proc" in_root /hello --fatpack-verify
check_eq "--fatpack-list without /proc" "$("$FATPACK" ls "$hello")" \
	"$(in_root /hello --fatpack-list 2>"$T/err")"
check "--fatpack-extract without /proc" in_root /hello --fatpack-extract /out
if diff -r "$assets" "$root/out" >"$T/diff" 2>&1; then
	ok "extracted assets are the sources"
else
	not_ok "extracted assets are the sources" "$(cat "$T/diff")"
fi

done_testing
