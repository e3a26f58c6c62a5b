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
check_fails "an installed tree without its runtime says where it looked" \
	"runtime not found" \
	env FATPACK_HOME="$T/nowhere" "$root/bin/fatpack" build -q \
	"$TOP/examples/hello/hello.c" -o "$T/nope"

done_testing
