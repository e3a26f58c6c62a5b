#!/usr/bin/env bash
# t_libraries.sh BUILD_DIR - third-party libraries through fatpack's library
# prefix (docs/LIBRARIES.md): the prefix and --print-prefix, -shared refused,
# the zlib and SQLite recipes of LIBRARIES.md run as written (zlib's own
# configure, SQLite's autoconf+libtool with --disable-shared), programs using
# them through --pkg and pkg =, a CMake and a Meson project through the
# installed toolchain and cross files, a glibc archive named as such, and the
# sqlite3 shell from Debian's source opening a read-only database through
# the mount.
#
# The prefix and the cache of what the recipes install: tests/libs/recipes.sh.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/libs/recipes.sh"

san=0
is_san_build && san=1
[ "$san" = 1 ] && target=x86_64-linux-gnu-san || target=x86_64-linux-musl

# --- the prefix -------------------------------------------------------------
check_eq "--print-prefix is FATPACK_PREFIX" "$prefix" \
	"$("$FATPACK" cc --print-prefix 2>&1)"
check_eq "--print-prefix: XDG_DATA_HOME/fatpack/TARGET" \
	"/xdg/fatpack/$target" \
	"$(env -u FATPACK_PREFIX XDG_DATA_HOME=/xdg HOME=/h "$FATPACK" cc --print-prefix 2>&1)"
check_eq "--print-prefix: HOME/.local/share/fatpack/TARGET" \
	"/h/.local/share/fatpack/$target" \
	"$(env -u FATPACK_PREFIX XDG_DATA_HOME=rel HOME=/h "$FATPACK" cc --print-prefix 2>&1)"
check_eq "--print-home is the install prefix of fatpack" "$BUILD" \
	"$("$FATPACK" cc --print-home 2>&1)"
"$FATPACK" cc --print-config >config.mk 2>&1
check_grep "--print-config: CFLAGS has the prefix's include folder" \
	"^CFLAGS = .* -I$prefix/include$" config.mk
check_grep "--print-config: LDLIBS has its lib folder, then the runtime" \
	"^LDLIBS = -L$prefix/lib .* -lfatpack " config.mk
check_fails "a relative FATPACK_PREFIX is refused" \
	"^fatpack: FATPACK_PREFIX=rel/p: not an absolute path$" \
	env FATPACK_PREFIX=rel/p "$FATPACK" cc --print-prefix
check_fails "... by cc too" "^fatpack: FATPACK_PREFIX=rel/p: not an absolute path$" \
	env FATPACK_PREFIX=rel/p "$FATPACK" cc -c "$libs/sum.c" -o sum.o
check_fails "no HOME and no FATPACK_PREFIX: says to set it" \
	"^fatpack: no library prefix: .*set FATPACK_PREFIX$" \
	env -u FATPACK_PREFIX -u XDG_DATA_HOME -u HOME "$FATPACK" cc --print-prefix

# --- the compiler driver as CC ----------------------------------------------
check_fails "cc -shared is refused in one line" \
	"^fatpack: cc -shared: fatpack links static programs only; .*--disable-shared.*-DBUILD_SHARED_LIBS=OFF.*-Ddefault_library=static\)$" \
	"$FATPACK" cc -shared -fPIC "$libs/sum.c" -o libsum.so
check_eq "... its message is the only line" 1 "$(wc -l <"$T/.err")"
check "... and writes nothing" test ! -e libsum.so
check "cc -c compiles" "$FATPACK" cc -c "$libs/sum.c" -o sum.o
check "... an object" test -s sum.o

# --- zlib: its own configure, --pkg, pkg = ----------------------------------
mkdir -p data && seq 1 20000 >data/data.txt
if install zlib; then
	check "zlib: libz.a and zlib.pc are in the prefix" \
		test -f "$prefix/lib/libz.a" -a -f "$prefix/lib/pkgconfig/zlib.pc"
	check_grep "cc -E finds zlib.h in the prefix" "deflateInit" \
		<(printf '#include <zlib.h>\n' | "$FATPACK" cc -E -x c - 2>&1)
	check_grep "cc -M names the prefix's zlib.h" "$prefix/include/zlib.h" \
		<("$FATPACK" cc -M "$libs/zround.c" 2>&1)
	check "build --pkg zlib" "$FATPACK" build "$libs/zround.c" --pkg zlib \
		-a data -o zround
	check_grep "... compress + uncompress round trip of an asset" \
		"^zlib 1\.[0-9.]+: 108894 -> [0-9]+ -> 108894 bytes$" <(./zround 2>&1)
	mkdir -p ini && cp "$libs/zround.c" ini/ && cp -r data ini/ &&
		printf '[app]\nname = zr\noutput = zr\n[build]\nsources = zround.c\npkg = zlib\n[assets]\ndir = data\n' \
		>ini/fatpack.ini
	check "pkg = zlib in fatpack.ini" sh -c 'cd ini && "$FATPACK" build'
	check_grep "... builds the same program" "108894 bytes$" <(ini/zr 2>&1)
	check "cc --pkg-config --libs zlib" "$FATPACK" cc --pkg-config --libs zlib
	check_grep "... from the prefix" "^-L$prefix/lib -lz" "$T/.out"
fi
check_fails "--pkg of a package not in the prefix names the prefix and LIBRARIES.md" \
	"^fatpack: nosuch: no such library in $prefix \(no nosuch.pc\): build it with CC=\"fatpack cc\" into that prefix, see docs/LIBRARIES.md$" \
	"$FATPACK" build "$libs/zround.c" --pkg nosuch -o nope
check_eq "... in one line" 1 "$(wc -l <"$T/.err")"
# libarchive.pc is the build machine's (libarchive-dev): never the prefix's
check_fails "--pkg ignores PKG_CONFIG_PATH" "^fatpack: libarchive: no such library in $prefix" \
	env PKG_CONFIG_PATH=/usr/lib/x86_64-linux-gnu/pkgconfig:/usr/share/pkgconfig \
	"$FATPACK" build "$libs/zround.c" --pkg libarchive -o nope
check_fails "--pkg with a PROGRAM is a usage error" "^fatpack: --pkg \(pkg\) compiles SOURCE.c" \
	"$FATPACK" build zround --pkg zlib -o nope
check_fails "--pkg refuses an option as a name" "^fatpack: pkg '--libs': not a package name$" \
	"$FATPACK" build "$libs/zround.c" --pkg=--libs -o nope
check "nothing was written" test ! -e nope

# --- CMake and Meson --------------------------------------------------------
expected=$(python3 -c 'import sys, zlib; d = open(sys.argv[1], "rb").read()
print("crc32 %08x sum %d" % (zlib.crc32(d), sum(d)))' data/data.txt)
if [ -f "$prefix/lib/libz.a" ]; then
	check "cmake configures with the toolchain file (zlib from the prefix)" \
		cmake -S "$libs/cmake" -B cm \
		-DCMAKE_TOOLCHAIN_FILE="$BUILD/share/fatpack/fatpack.cmake"
	check_grep "... find_package(ZLIB) took the prefix's" \
		"^ZLIB_LIBRARY_RELEASE:FILEPATH=$prefix/lib/libz.a$" cm/CMakeCache.txt
	check "cmake --build" cmake --build cm
	check "... its library is static" test -f cm/libsum.a
	check "fatpack build of the CMake program" "$FATPACK" build cm/crc -a data -o crc-cmake
	check_grep "... runs" "^$expected zlib 1\." <(./crc-cmake 2>&1)

	check "meson setup with the cross file (zlib through pkg-config)" \
		meson setup ms "$libs/meson" \
		--cross-file "$BUILD/share/fatpack/meson-cross.ini" --prefix "$prefix"
	check_grep "... found the prefix's zlib" "Run-time dependency zlib found: YES" "$T/.out"
	check "meson compile" meson compile -C ms
	check "... its library is static" test -f ms/libsum.a
	check "fatpack build of the Meson program" "$FATPACK" build ms/crc -a data -o crc-meson
	check_grep "... runs" "^$expected zlib 1\." <(./crc-meson 2>&1)
	check_fails "meson with a shared library is refused by cc -shared" \
		"cc -shared: fatpack links static programs only" \
		sh -c 'meson setup ms-shared "$1" --cross-file "$2" -Ddefault_library=shared &&
			meson compile -C ms-shared >&2 2>&1' sh "$libs/meson" \
		"$BUILD/share/fatpack/meson-cross.ini"
fi

# --- SQLite: autoconf + libtool ---------------------------------------------
mkdir -p sql && printf 'create table t(a, b);\ninsert into t values (1, %s), (2, %s);\n' \
	"'one'" "'two'" >sql/schema.sql
if install sqlite3; then
	check "sqlite3: libsqlite3.a, sqlite3.pc and the shell are in the prefix" \
		test -f "$prefix/lib/libsqlite3.a" -a -f "$prefix/lib/pkgconfig/sqlite3.pc" \
		-a -x "$prefix/bin/sqlite3"
	check "... no shared library (libtool --disable-shared)" \
		sh -c '! ls "$1"/lib/*.so* 2>/dev/null' sh "$prefix"
	check_grep "... configure found the prefix's zlib by itself" "^Libs.private: .*-lz" \
		"$prefix/lib/pkgconfig/sqlite3.pc"
	check "build --pkg sqlite3" "$FATPACK" build "$libs/sqlcount.c" --pkg sqlite3 \
		-a sql -o sqlcount
	check_eq "... runs the SQL asset" "2|one,two
sqlite 3" "$(./sqlcount "select count(*), group_concat(b) from t" 2>&1 |
		sed 's/^\(sqlite 3\)\..*/\1/' | paste -sd '\n')"

	# the shell from the same source: a real program opening a database
	# shipped as an asset, by path, through the mount
	mkdir -p db && python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.executescript(open(sys.argv[2]).read())
c.commit()' db/x.db sql/schema.sql
	check "fatpack build of the sqlite3 shell with a database asset" \
		"$FATPACK" build "$prefix/bin/sqlite3" -a db -o sqlite-fat
	check_eq "the shell queries /fatpack/x.db through the mount" \
		"$(printf 'one\ntwo')" "$(./sqlite-fat /fatpack/x.db "select b from t order by a" 2>&1)"
	check_eq "... read-only with -readonly" "2" \
		"$(./sqlite-fat -readonly /fatpack/x.db "select count(*) from t" 2>&1)"
	check_fails "... an INSERT fails cleanly: read-only database" \
		"attempt to write a readonly database" \
		./sqlite-fat /fatpack/x.db "insert into t values (3, 'three')"
	check_eq "... and the database is unchanged" "2" \
		"$(./sqlite-fat /fatpack/x.db "select count(*) from t" 2>&1)"
	check "fatpack build --mount /data" \
		"$FATPACK" build "$prefix/bin/sqlite3" -a db --mount /data -o sqlite-data
	check_eq "... the shell opens /data/x.db" "2" \
		"$(./sqlite-data /data/x.db "select count(*) from t" 2>&1)"
	check_fails "... and /fatpack/x.db is no longer there" \
		"unable to open database|no such table" \
		./sqlite-data -bail /fatpack/x.db "select count(*) from t"
fi

# --- a library built for glibc ----------------------------------------------
check "gcc builds a fortified glibc archive" sh -c \
	'gcc -O2 -D_FORTIFY_SOURCE=2 -c "$1" -o glibc_copy.o && ar rcs libglibc_copy.a glibc_copy.o' \
	sh "$libs/glibc_copy.c"
check_grep "... which calls __memcpy_chk" "U __memcpy_chk" <(nm libglibc_copy.a)
if [ "$san" = 1 ]; then
	# The sanitizer toolchain is glibc's: the archive is right there.
	check "sanitizer build: the glibc archive links" \
		"$FATPACK" build "$libs/use_glibc.c" --libs "$T/libglibc_copy.a" -o use-glibc
	check_grep "... and runs" "^\.$" <(./use-glibc 2>&1)
else
	check_fails "build with a glibc archive names it, its symbols and the cure" \
		"^fatpack: $T/libglibc_copy.a: built for glibc \(needs __memcpy_chk\): rebuild it with CC=\"fatpack cc\" into $prefix, see docs/LIBRARIES.md$" \
		"$FATPACK" build "$libs/use_glibc.c" --libs "$T/libglibc_copy.a" -o use-glibc
	check_eq "... as the last line, without 'compilation failed'" \
		"$(grep -c 'built for glibc' "$T/.err") 0" \
		"$(tail -n 1 "$T/.err" | grep -c 'built for glibc') $(grep -c 'compilation failed' "$T/.err")"
	check "... nothing was written" test ! -e use-glibc
	check_fails "cc -L. -lNAME finds the archive the same way" \
		"^fatpack: \./libglibc_copy.a: built for glibc \(needs __memcpy_chk\)" \
		"$FATPACK" cc "$libs/use_glibc.c" -L. -lglibc_copy -o use-glibc
	check_fails "Debian's libcrypto.a (libssl-dev) is named, with several symbols" \
		"^fatpack: /usr/lib/x86_64-linux-gnu/libcrypto.a: built for glibc \(needs [^,]+, [^,]+, [^,]+, \.\.\.\): rebuild it" \
		"$FATPACK" build "$libs/use_crypto.c" \
		--libs /usr/lib/x86_64-linux-gnu/libcrypto.a -o use-crypto
	check_fails "a link that fails on the program's own symbol is not blamed on a library" \
		"^fatpack: compilation failed" \
		"$FATPACK" build "$libs/undefined.c" --libs "$T/libglibc_copy.a" -o undefined
	check "... no 'built for glibc' line" sh -c '! grep -q "built for glibc" "$1"' sh "$T/.err"
fi

done_testing
