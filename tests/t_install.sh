#!/usr/bin/env bash
# t_install.sh BUILD_DIR - `make install PREFIX= DESTDIR=` gives a tree whose
# fatpack finds its runtime next to itself (no FATPACK_HOME), builds the
# example, and whose man pages and build-system files are in place.
. "$(dirname "$0")/lib.sh"

san=0
is_san_build && san=1
dest=$T/dest
prefix=/opt/fatpack
check "make install" make -s -C "$TOP" SAN="$san" install PREFIX="$prefix" DESTDIR="$dest"

root=$dest$prefix
for f in bin/fatpack include/fatpack.h lib/fatpack/libfatpack.a \
	lib/fatpack/fatpack-serve share/man/man1/fatpack.1 \
	share/man/man1/fatpack-build.1 share/man/man1/fatpack-prune.1 \
	share/fatpack/fatpack.cmake share/fatpack/meson-cross.ini; do
	check "installed $f" test -s "$root/$f"
done

check_grep "the installed Meson cross file names the installed fatpack" \
	"^c = \['$prefix/bin/fatpack', 'cc'\]$" "$root/share/fatpack/meson-cross.ini"

unset FATPACK_HOME
cd "$T" || exit 2
check "the installed fatpack builds the example" \
	"$root/bin/fatpack" build -q "$TOP/examples/hello/hello.c" \
	-a "$TOP/examples/hello/assets" -o "$T/hello"
check_grep "the example runs and reads its asset" "Hello from inside" \
	<("$T/hello" 2>&1)
check "the installed server builds a site" \
	"$root/bin/fatpack" build -q --serve "$TOP/examples/site" -o "$T/site"
"$root/bin/fatpack" keygen -o "$T/k" >/dev/null
check "the installed fatpack links the signature check (its libsodium)" \
	"$root/bin/fatpack" build -q "$TOP/examples/hello/hello.c" \
	-a "$TOP/examples/hello/assets" -o "$T/hello-signed" --sign "$T/k.key" \
	--require-signature
check_grep "the self-checking example runs" "Hello from inside" \
	<("$T/hello-signed" 2>&1)
# the aarch64 runtime and its musl (make check builds them), with the musl's
# specs naming the installed folder
for f in libfatpack.a libzstd.a fatpack-serve musl/lib/libc.a musl/include/stdio.h; do
	check "installed lib/fatpack/aarch64/$f" test -s "$root/lib/fatpack/aarch64/$f"
done
check_grep "the installed musl specs name the installed musl" \
	"-isystem $prefix/lib/fatpack/aarch64/musl/include " \
	"$root/lib/fatpack/aarch64/musl/lib/musl-gcc.specs"
# the specs hold the final path: the tree is tried there, as a package would
# put it, in a mount namespace of our own (a tmpfs over /opt, the tree bound
# to /opt/fatpack), so nothing outside the test changes
check "the installed fatpack builds the example for aarch64" \
	unshare -rm sh -c 'mount -t tmpfs none "${1%/*}" && mkdir "$1" &&
	mount --bind "$2" "$1" &&
	"$1/bin/fatpack" build -q --target aarch64 "$3/examples/hello/hello.c" \
	-a "$3/examples/hello/assets" -o "$4"' sh "$prefix" "$root" "$TOP" "$T/hello-a64"
check_grep "it runs under qemu and reads its asset" "Hello from inside" \
	<(qemu-aarch64-static "$T/hello-a64" 2>&1)
check_fails "an installed tree without its runtime says where it looked" \
	"runtime not found" \
	env FATPACK_HOME="$T/nowhere" "$root/bin/fatpack" build -q \
	"$TOP/examples/hello/hello.c" -o "$T/nope"

done_testing
