#!/usr/bin/env bash
# t_aarch64.sh BUILD_DIR - one build host, two machines: `fatpack build
# --target aarch64 --target x86_64` writes an artifact for each, and the
# aarch64 one runs under qemu-aarch64-static (scripts/setup.sh --target
# aarch64 installs it; binfmt_misc is not needed, qemu is run by hand):
# the example prints its asset, the server answers curl with the bytes the
# x86_64 server sends (jail best-effort: qemu-user has no Landlock or seccomp
# for its guest), the --fatpack-* flags work, also in an empty root
# holding only the artifact and qemu. Both builds are deterministic and their
# payloads the same bytes. A program for the other machine is refused.
#
# In the sanitizer build the x86_64 artifacts are ASan programs for glibc, as
# everywhere in that build; the aarch64 ones are built with the same static
# musl cross toolchain as in build/ (make SAN=1 aarch64): a sanitized program
# for another machine could not run here. The bundler that builds, checks
# and reads them is the sanitized one.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

QEMU=$(command -v qemu-aarch64-static) || QEMU=
ASSETS=$TOP/examples/hello/assets
SITE=$TOP/examples/site
export SOURCE_DATE_EPOCH=1700000000

if [ -z "$QEMU" ] || [ ! -f "$BUILD/lib/fatpack/aarch64/libfatpack.a" ]; then
	not_ok "the aarch64 toolchain is set up" \
		"qemu-aarch64-static: ${QEMU:-missing}; run make aarch64 (scripts/setup.sh --target aarch64)"
	done_testing
fi
ok "the aarch64 toolchain is set up"

# machine FILE: the Machine line of readelf -h.
machine() {
	readelf -h "$1" | sed -n 's/^ *Machine: *//p'
}

# payload FILE: the payload's bytes (the trailer after them holds the
# payload's absolute offset, which depends on the program's size).
payload() {
	local off size
	off=$("$FATPACK" info --json "$1" | jq -r .payload_offset)
	size=$("$FATPACK" info --json "$1" | jq -r .payload_size)
	tail -c +$((off + 1)) "$1" | head -c "$size"
}

# --- fatpack cc --target -----------------------------------------------------
check "fatpack cc --target aarch64 links the example" \
	"$FATPACK" cc --target aarch64 -O2 "$TOP/examples/hello/hello.c" -o "$T/hello.a64"
check_eq "it is an AArch64 program" "AArch64" "$(machine "$T/hello.a64")"
check_eq "static: no program interpreter" "" \
	"$(readelf -lW "$T/hello.a64" | grep INTERP)"
check_output "fatpack cc --target=aarch64 --print-config names the cross compiler" \
	'^CC = aarch64-linux-gnu-gcc -specs .*/lib/fatpack/aarch64/musl/lib/musl-gcc\.specs$' \
	"$FATPACK" cc --target=aarch64 --print-config
check_output "fatpack cc --target aarch64 links aarch64's runtime" \
	'^LDLIBS = .*-static .* -L.*/lib/fatpack/aarch64 -lfatpack' \
	"$FATPACK" cc --target aarch64 --print-config
check_output "the library prefix is aarch64's" '/fatpack/aarch64-linux-musl$' \
	env -u FATPACK_PREFIX -u XDG_DATA_HOME HOME=/home/u "$FATPACK" cc \
	--target aarch64 --print-prefix
check_output "and for this machine, this machine's" \
	'/fatpack/x86_64-linux-(musl|gnu-san)$' \
	env -u FATPACK_PREFIX -u XDG_DATA_HOME HOME=/home/u "$FATPACK" cc --print-prefix
check_output "fatpack cc --target aarch64 --print-config uses aarch64's prefix" \
	'^LDLIBS = -L/home/u/.local/share/fatpack/aarch64-linux-musl/lib ' \
	env -u FATPACK_PREFIX -u XDG_DATA_HOME HOME=/home/u "$FATPACK" cc \
	--target aarch64 --print-config
check_eq "fatpack cc --target x86_64 is this machine's toolchain" \
	"$("$FATPACK" cc --print-config 2>&1)" \
	"$("$FATPACK" cc --target x86_64 --print-config 2>&1)"
check "fatpack cc --target aarch64 -c compiles" \
	"$FATPACK" cc --target aarch64 -c "$TOP/examples/hello/hello.c" -o "$T/hello.o"
check_eq "the object is AArch64" "AArch64" "$(machine "$T/hello.o")"

# --- one build, both machines ------------------------------------------------
out=$T/out
build_both() {
	"$FATPACK" build --target aarch64 --target x86_64 \
		"$TOP/examples/hello/hello.c" -a "$ASSETS" -o "$1/hello-{arch}"
}
check "build --target aarch64 --target x86_64" build_both "$out"
check_eq "the aarch64 artifact is AArch64" "AArch64" "$(machine "$out/hello-aarch64")"
check_eq "the x86_64 artifact is x86-64" "Advanced Micro Devices X86-64" \
	"$(machine "$out/hello-x86_64")"

"$QEMU" "$out/hello-aarch64" >"$T/a64.out" 2>"$T/a64.err"
check_eq "under qemu the aarch64 example prints its asset" \
	"$(cat "$ASSETS/greeting.txt")" "$(head -n 1 "$T/a64.out")"
"$out/hello-x86_64" >"$T/x86.out" 2>&1
check_eq "and the same as the x86_64 one" "$(cat "$T/x86.out")" "$(cat "$T/a64.out")"

for a in aarch64 x86_64; do
	check_eq "fatpack info --json: architecture of hello-$a" "$a" \
		"$("$FATPACK" info --json "$out/hello-$a" | jq -r .architecture)"
	check_grep "fatpack info: architecture of hello-$a" "^  architecture +$a\$" \
		<("$FATPACK" info "$out/hello-$a")
done
check_eq "--fatpack-info --json under qemu says what fatpack info says" \
	"$("$FATPACK" info --json "$out/hello-aarch64" | jq -S 'del(.file)')" \
	"$("$QEMU" "$out/hello-aarch64" --fatpack-info --json | jq -S 'del(.file)')"
check_eq "--fatpack-info under qemu shows the same lines" \
	"$("$FATPACK" info "$out/hello-aarch64" | sed 1d | grep -v '^  payload offset')" \
	"$("$QEMU" "$out/hello-aarch64" --fatpack-info | sed 1d | grep -v '^  payload offset')"
check_output "--fatpack-verify under qemu" ': OK \(3 assets' \
	"$QEMU" "$out/hello-aarch64" --fatpack-verify
check "--fatpack-extract under qemu" "$QEMU" "$out/hello-aarch64" --fatpack-extract "$T/x"
check "it extracts the assets as they were" diff -r "$ASSETS" "$T/x"

payload "$out/hello-aarch64" >"$T/p.a64"
payload "$out/hello-x86_64" >"$T/p.x86"
check "the two payloads are the same bytes" cmp "$T/p.a64" "$T/p.x86"
check_eq "the same payload_sha256" \
	"$("$FATPACK" info --json "$out/hello-x86_64" | jq -r .payload_sha256)" \
	"$("$FATPACK" info --json "$out/hello-aarch64" | jq -r .payload_sha256)"
check "a second build" build_both "$T/again"
for a in aarch64 x86_64; do
	check "the $a build is deterministic" cmp "$out/hello-$a" "$T/again/hello-$a"
done

# --- the mount: the --wrap flags are in the cross link too -------------------
cat >"$T/cat.c" <<'EOF'
#include <stdio.h>

int
main(void)
{
	char buf[256];
	size_t n;
	FILE *f = fopen("/fatpack/greeting.txt", "r");

	if (f == NULL) {
		perror("/fatpack/greeting.txt");
		return 1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fwrite(buf, 1, n, stdout);
	return fclose(f) == 0 ? 0 : 1;
}
EOF
check "build a program that reads its asset with fopen, for aarch64" \
	"$FATPACK" build --target aarch64 "$T/cat.c" -a "$ASSETS" -o "$T/cat"
check_eq "under qemu it reads the asset through the mount" \
	"$(cat "$ASSETS/greeting.txt")" "$("$QEMU" "$T/cat" 2>&1)"

# --- an empty root: the artifact and qemu, nothing else ----------------------
root=$T/root
mkdir -p "$root"
cp "$out/hello-aarch64" "$root/hello"
cp "$QEMU" "$root/qemu-aarch64-static"
in_root() {
	if [ "$(id -u)" -eq 0 ]; then
		chroot "$root" /qemu-aarch64-static "$@"
	else
		unshare -r chroot "$root" /qemu-aarch64-static "$@"
	fi
}
check_eq "the root holds the artifact and qemu only" "hello qemu-aarch64-static" \
	"$(cd "$root" && echo *)"
in_root /hello >"$T/root.out" 2>"$T/root.err"
check_eq "in the empty root the aarch64 example prints its asset" \
	"$(cat "$ASSETS/greeting.txt")" "$(head -n 1 "$T/root.out")"
check_output "--fatpack-verify in the empty root" ': OK' in_root /hello --fatpack-verify
check "--fatpack-extract in the empty root" in_root /hello --fatpack-extract /x
check "it extracts the assets there" diff -r "$ASSETS" "$root/x"

# --- the built-in server, for both -------------------------------------------
# The server's default jail needs Landlock and seccomp, which qemu-user does
# not give its guest (a host filter would confine qemu itself): both are
# built with best-effort, so that the payloads stay the same bytes.
check "build --serve for both machines" "$FATPACK" build --serve "$SITE" \
	--jail="on best-effort" --target x86_64 --target aarch64 -o "$T/site-{arch}"
check_eq "the server for aarch64 is AArch64" "AArch64" "$(machine "$T/site-aarch64")"

# fetch NAME: what the server on PORT answers to a few requests, bodies
# and the headers that depend on the content, into $T/NAME.answers.
fetch() {
	local p
	for p in / /css/site.css /img/logo.svg /nope; do
		printf '== %s\n' "$p"
		curl -sS -D - "http://127.0.0.1:$PORT$p" | grep -v -i '^date:'
		printf '== %s (zstd)\n' "$p"
		curl -sS -H 'Accept-Encoding: zstd' -D - "http://127.0.0.1:$PORT$p" |
			grep -av -i '^date:'
	done >"$T/$1.answers" 2>&1
}

serve_cmd site-x86_64 "$T/site-x86_64"
fetch x86_64
kill -TERM "$PID" && wait "$PID"
serve_cmd site-aarch64 "$QEMU" "$T/site-aarch64"
fetch aarch64
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
check_eq "the aarch64 server stops cleanly on SIGTERM" 0 "$rc"
check_grep "the aarch64 server answered 200" '^HTTP/1.1 200' "$T/aarch64.answers"
check "under qemu the aarch64 server answers with the bytes of the x86_64 one" \
	cmp "$T/x86_64.answers" "$T/aarch64.answers"

# --- a program for the other machine is refused, with the fix ----------------
"$FATPACK" cc "$TOP/examples/hello/hello.c" -o "$T/hello.host" 2>/dev/null
check_fails "a host program given to --target aarch64 is refused with the fix" \
	'hello\.host: built for x86_64, but the target is aarch64: compile it with `fatpack cc --target aarch64`, or build it with --target x86_64$' \
	"$FATPACK" build --target aarch64 "$T/hello.host" -o "$T/no1"
check_fails "an aarch64 program given to a build for this machine is refused" \
	'hello\.a64: built for aarch64, but the target is x86_64: compile it with `fatpack cc --target x86_64`, or build it with --target aarch64$' \
	"$FATPACK" build "$T/hello.a64" -o "$T/no2"
check_fails "and to --target x86_64" 'built for aarch64, but the target is x86_64' \
	"$FATPACK" build --target x86_64 "$T/hello.a64" -o "$T/no3"
check "the aarch64 program is taken for --target aarch64" \
	"$FATPACK" build --target aarch64 "$T/hello.a64" -a "$ASSETS" -o "$T/yes"
check_eq "and runs" "$(cat "$ASSETS/greeting.txt")" "$("$QEMU" "$T/yes" | head -n 1)"
check_eq "no output is left by the refused builds" "" \
	"$(ls "$T/no1" "$T/no2" "$T/no3" 2>/dev/null)"

# --- bad targets ---------------------------------------------------------------
check_fails "an unknown --target is a usage error" \
	"^fatpack: --target 'arm': fatpack builds for x86_64 or aarch64$" \
	"$FATPACK" build --target arm "$TOP/examples/hello/hello.c" -o "$T/no4"
check_fails "a target given twice" "--target 'aarch64': given twice" \
	"$FATPACK" build -t aarch64 -t aarch64 "$TOP/examples/hello/hello.c" -o "$T/no5"
check_fails "two targets and an output without {arch}" \
	'2 targets make one file each: put \{arch\} in the output$' \
	"$FATPACK" build -t aarch64 -t x86_64 "$TOP/examples/hello/hello.c" -o "$T/no6"
check_fails "two targets and a link without {arch}" \
	'put \{arch\} in the output and the link$' \
	"$FATPACK" build -t aarch64 -t x86_64 "$TOP/examples/hello/hello.c" \
	-o "$T/no7-{arch}" --link "$T/no7"
check_fails "fatpack cc: an unknown --target" \
	"^fatpack cc: --target 'riscv64': fatpack builds for x86_64 or aarch64" \
	"$FATPACK" cc --target riscv64 -c "$TOP/examples/hello/hello.c"
check_fails "fatpack cc: --target without a value" "^fatpack cc: --target needs" \
	"$FATPACK" cc --target
mkdir -p "$T/home/lib/fatpack" "$T/home/include"
cp "$BUILD/lib/fatpack/libfatpack.a" "$T/home/lib/fatpack/"
cp "$BUILD/include/fatpack.h" "$T/home/include/"
check_fails "a prefix without aarch64's runtime says how to build it" \
	"runtime for aarch64 not found in $T/home/lib/fatpack/aarch64: build it in fatpack's source with \`make aarch64\`" \
	env FATPACK_HOME="$T/home" "$FATPACK" build -t x86_64 -t aarch64 \
	"$TOP/examples/hello/hello.c" -o "$T/no8-{arch}"
check_eq "and nothing is built, not even for x86_64" "" "$(ls "$T"/no8-* 2>/dev/null)"

# --- target = in fatpack.ini ---------------------------------------------------
proj=$T/proj
mkdir -p "$proj"
cp "$TOP/examples/hello/hello.c" "$proj/"
cp -R "$ASSETS" "$proj/assets"
cat >"$proj/fatpack.ini" <<'EOF'
[app]
name = hello
output = dist/{name}-{arch}

[build]
sources = hello.c
target = aarch64 x86_64

[assets]
dir = assets
EOF
check "fatpack build with target = aarch64 x86_64" \
	sh -c "cd '$proj' && '$FATPACK' build"
check_eq "one artifact per target" "hello-aarch64 hello-x86_64" \
	"$(cd "$proj/dist" && echo *)"
mv "$proj/dist" "$proj/both"
check "--target on the command line replaces the file's list" \
	sh -c "cd '$proj' && '$FATPACK' build --target aarch64"
check_eq "only the aarch64 artifact" "hello-aarch64" "$(cd "$proj/dist" && echo *)"
check "the same bytes as the aarch64 one of the two-target build" \
	cmp "$proj/both/hello-aarch64" "$proj/dist/hello-aarch64"
printf '[build]\nsources = hello.c\ntarget = sparc\n' >"$proj/fatpack.ini"
check_fails "target = sparc is refused with its line" \
	"fatpack.ini:3: target 'sparc': fatpack builds for x86_64 or aarch64" \
	sh -c "cd '$proj' && '$FATPACK' build"

done_testing
