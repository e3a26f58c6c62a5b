#!/usr/bin/env bash
# build-lua.sh BUILD_DIR - build Debian's Lua 5.4 interpreter, unchanged, with
# CC="fatpack cc" from BUILD_DIR, and print the path of the program.
#
# The source is Debian's lua5.4 source package as dpkg-source unpacks it, with
# all of Debian's patches (scripts/debsrc.sh). No source file is edited and no
# file is added to the program. The build is Lua's own src/Makefile as
# Debian's patches leave it; only make variables are given:
#
#   posix    Lua's target for a POSIX system without dynamic loading and
#            without readline. Debian builds `linux-readline`, which links
#            glibc's libreadline, and `linux` adds dlopen, which a static
#            musl program cannot use: C modules would fail to load at run
#            time instead of being reported as not enabled.
#   CC       what Debian's rules pass, `$(CC) -std=gnu99`, with fatpack cc.
#   LIBTOOL  Debian's Makefile compiles and links through libtool, which its
#            rules configure for shared libraries. `--tag=disable-shared` makes
#            the stock libtool build only the static liblua, which the `lua`
#            program is linked against, as in Debian's own build. The C++
#            copy of the library (liblua5.4-c++) is built by the host's g++,
#            as Debian does, and not linked into the program.
#
# Debian's configure step (debian/rules) writes src/lua5.4-deb-multiarch.h,
# which its patched luaconf.h includes; this does the same.
#
# The program is kept in BUILD_DIR/cache/lua5.4-KEY/, KEY a hash of the
# toolchain (fatpack and its runtime), of this script and of the Debian
# source package's name, so a second build with the same toolchain is free.
set -euo pipefail

build=$(cd "${1:?usage: examples/lua/build-lua.sh BUILD_DIR}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
say() { printf 'build-lua: %s\n' "$*" >&2; }

# The toolchain fatpack cc links with, and what the source is.
toolchain_key() {
	{
		sha256sum "$build/bin/fatpack" "$build"/lib/fatpack/*.a "$0" |
			cut -d' ' -f1
		basename "$(ls "$top"/build/src-cache/lua5.4/*.dsc 2>/dev/null)" 2>/dev/null
	} | sha256sum | cut -c1-16
}

key=$(toolchain_key)
dest=$build/cache/lua5.4-$key
if [ -x "$dest/lua5.4" ]; then
	printf '%s\n' "$dest/lua5.4"
	exit 0
fi

mkdir -p "$build/cache"
work=$(mktemp -d "$build/cache/.lua5.4.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/lua5.4
bash "$top/scripts/debsrc.sh" lua5.4 "$src"

multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
{
	echo "#ifndef _LUA_DEB_MULTIARCH_"
	echo "#define _LUA_DEB_MULTIARCH_"
	echo "#define DEB_HOST_MULTIARCH \"$multiarch\""
	echo "#endif"
} >"$src/src/lua5.4-deb-multiarch.h"

say "building Debian's Lua 5.4 with fatpack cc"
if ! PATH="$build/bin:$PATH" make -C "$src" posix CC="fatpack cc -std=gnu99" \
	LIBTOOL="libtool --tag=disable-shared" >"$work/build.log" 2>&1; then
	tail -n 20 "$work/build.log" >&2
	say "make failed"
	exit 1
fi

# one program per build folder: the ones of older toolchains go
rm -rf "$build"/cache/lua5.4-*
mkdir -p "$work/out"
cp "$src/src/lua5.4" "$work/out/lua5.4"
mv "$work/out" "$dest"
printf '%s\n' "$dest/lua5.4"
