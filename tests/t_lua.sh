#!/usr/bin/env bash
# t_lua.sh BUILD_DIR - a real program nobody here wrote, unchanged, reads its
# assets by path through the mount: Debian's Lua 5.4 interpreter, built from
# its source package with fatpack cc (examples/lua/build-lua.sh), bundled with
# the scripts of examples/lua/app mounted where Lua's default package.path
# looks. `require` finds the modules, io.open reads the data, writes under the
# mount fail as on a read-only file system, the rest of the file system is
# untouched, and the same holds in an empty root.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

M=/usr/local/share/lua/5.4
app=$TOP/examples/lua/app
root=$T/root
bin=$root/luaapp

if ! lua=$(bash "$TOP/examples/lua/build-lua.sh" "$BUILD" 2>"$T/lua.err"); then
	not_ok "build Debian's Lua 5.4 with fatpack cc" "$(cat "$T/lua.err")"
	done_testing
fi
ok "build Debian's Lua 5.4 with fatpack cc"

mkdir -p "$root"
if ! "$FATPACK" build "$lua" -a "$app" --mount "$M" --name luaapp -o "$bin" \
	>"$T/.out" 2>"$T/.err"; then
	not_ok "bundle it with --mount $M" "$(cat "$T/.err")"
	done_testing
fi
ok "bundle it with --mount $M"

# Lua reads these; none may point it anywhere but its defaults.
luaenv=(env -u LUA_PATH -u LUA_PATH_5_4 -u LUA_CPATH -u LUA_CPATH_5_4
	-u LUA_INIT -u LUA_INIT_5_4)

# lua_e NAME EXPECTED CODE: runs `luaapp -e CODE` from an empty folder; ok
# when it exits 0 and prints EXPECTED.
lua_e() {
	local rc=0
	(cd "$T/cwd" && "${luaenv[@]}" "$bin" -e "$3") >"$T/e.out" 2>"$T/e.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		not_ok "$1" "exit $rc: $(cat "$T/e.err")"
	else
		check_eq "$1" "$2" "$(cat "$T/e.out")"
	fi
}
mkdir -p "$T/cwd"

# What main.lua must print, from the sources by other means than Lua.
words=$app/data/words.txt
expected_report() {
	local file=$1 lines nwords distinct
	lines=$(grep -c . "$words")
	nwords=$(grep -oE "[A-Za-z']+" "$words" | wc -l)
	distinct=$(grep -oE "[A-Za-z']+" "$words" | tr '[:upper:]' '[:lower:]' | sort -u | wc -l)
	printf '%s: %d lines, %d words, %d distinct\n' "$file" "$lines" "$nwords" "$distinct"
	grep -oE "[A-Za-z']+" "$words" | tr '[:upper:]' '[:lower:]' | sort | uniq -c |
		sort -k1,1nr -k2,2 | head -n 3 | awk '{ printf "%d. %s %d\n", NR, $2, $1 }'
}

# --- main.lua, the modules and the data through the mount -------------------
rc=0
(cd "$T/cwd" && "${luaenv[@]}" "$bin" "$M/main.lua" fatpack) >"$T/main.out" \
	2>"$T/main.err" || rc=$?
if [ "$rc" -eq 0 ]; then ok "luaapp $M/main.lua runs"; else
	not_ok "luaapp $M/main.lua runs" "exit $rc: $(cat "$T/main.err")"; fi
check_grep "require \"greet\" runs greet.lua" \
	'^Hello, fatpack, from Lua 5\.4 in one file!$' "$T/main.out"
check_grep "package.path finds greet.lua in the mount" \
	"^greet module: $M/greet\\.lua\$" "$T/main.out"
check_grep "package.path finds textutil/init.lua in the mount" \
	"^textutil module: $M/textutil/init\\.lua\$" "$T/main.out"
check_eq "io.open reads data/words.txt" "$(expected_report "$M/data/words.txt")" \
	"$(tail -n 4 "$T/main.out")"

lua_e "a module read with io.open is the asset" "$(cat "$app/greet.lua")" \
	"io.write(io.open('$M/greet.lua'):read('a'))"
lua_e "dofile runs a script by path" "Hello, x, from Lua 5.4 in one file!" \
	"print(dofile('$M/greet.lua').hello('x'))"
check_fails "a missing module names the mount path it tried" \
	"module 'nosuch' not found" "${luaenv[@]}" "$bin" -e 'require "nosuch"'
check_grep "  ... the mount path it tried" "no file '$M/nosuch\\.lua'" "$T/.err"
lua_e "a missing file in the mount is ENOENT" \
	"$M/nosuch.txt: No such file or directory	2" \
	"print(select(2, io.open('$M/nosuch.txt')))"

# --- paths are normalised as the kernel would, and stay in the mount --------
lua_e "$M/data/../greet.lua is greet.lua" "$(cat "$app/greet.lua")" \
	"io.write(io.open('$M/data/../greet.lua'):read('a'))"
lua_e "$M//textutil/./../data//words.txt is the data" "$(cat "$words")" \
	"io.write(io.open('$M//textutil/./../data//words.txt'):read('a'))"
lua_e "a sibling of the mount ($M.x) is not in it" \
	"$M.x/greet.lua: No such file or directory	2" \
	"print(select(2, io.open('$M.x/greet.lua')))"

# --- read-only ---------------------------------------------------------------
for mode in w a r+; do
	lua_e "io.open($M/greet.lua, \"$mode\") is EROFS" \
		"$M/greet.lua: Read-only file system	30" \
		"print(select(2, io.open('$M/greet.lua', '$mode')))"
done
lua_e "io.open of a new file in the mount is EROFS" \
	"$M/new.txt: Read-only file system	30" \
	"print(select(2, io.open('$M/new.txt', 'w')))"
lua_e "os.remove of a module in the mount is EROFS" \
	"$M/greet.lua: Read-only file system	30" \
	"print(select(2, os.remove('$M/greet.lua')))"
# os.rename names no file in its message (Lua's loslib.c)
lua_e "os.rename of a module in the mount is EROFS" \
	"Read-only file system	30" \
	"print(select(2, os.rename('$M/greet.lua', '$M/g.lua')))"
echo moved >"$T/mv.txt"
lua_e "os.rename of a file from outside into the mount is EROFS" \
	"Read-only file system	30" \
	"print(select(2, os.rename('$T/mv.txt', '$M/mv.txt')))"
check_eq "  ... and the file stays where it was" "moved" "$(cat "$T/mv.txt" 2>&1)"
check_eq "the asset is unchanged after the attempts" "$(cat "$app/greet.lua")" \
	"$("$bin" -e "io.write(io.open('$M/greet.lua'):read('a'))" 2>&1)"

# --- the rest of the file system is the real one ---------------------------
lua_e "io.open writes a file outside the mount" "written" \
	"local f = assert(io.open('$T/out.txt', 'w')) f:write('written') f:close()
	 io.write(io.open('$T/out.txt'):read('a'))"
check_eq "  ... which is a real file" "written" "$(cat "$T/out.txt" 2>&1)"
mkdir -p "$T/mods"
printf 'return "real %s"\n' "$T" >"$T/mods/realmod.lua"
lua_e "require still finds a module outside the mount" "real $T" \
	"package.path = '$T/mods/?.lua;' .. package.path print((require 'realmod'))"

# --- in an empty root -------------------------------------------------------
# A static build is run in a root holding only luaapp, without /proc. The
# sanitizer build is a dynamic glibc program: its libraries are copied into
# the root, and it gets a /proc, which ASan needs (it reads ASAN_OPTIONS from
# /proc/self/environ and its leak checker stops the world through /proc);
# t_selfcontained.sh turns the leak checker off from inside the program
# instead, which would mean a glue file in Lua. The mount itself, a path that
# exists nowhere in that root, is exercised by both.
if is_san_build; then
	for lib in $(ldd "$bin" | grep -Eo '/[^ ]+'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	mkdir -p "$root/proc"
fi

# in_root CMD...: runs CMD in the root (with a fresh /proc in SAN builds).
in_root() {
	local u=()
	[ "$(id -u)" -eq 0 ] || u=(-r)
	if is_san_build; then
		# shellcheck disable=SC2016 # expanded by the inner sh
		"${luaenv[@]}" unshare "${u[@]}" -m -p -f sh -c \
			'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$root" "$@"
	else
		"${luaenv[@]}" unshare "${u[@]}" chroot "$root" "$@"
	fi
}

if is_static_build; then
	check_eq "the root holds only luaapp" "$root/luaapp" "$(find "$root" -mindepth 1)"
fi
rc=0
in_root /luaapp "$M/main.lua" fatpack >"$T/root.out" 2>"$T/root.err" || rc=$?
if [ "$rc" -eq 0 ]; then ok "luaapp runs main.lua in an empty root"; else
	not_ok "luaapp runs main.lua in an empty root" "exit $rc: $(cat "$T/root.err")"; fi
check_eq "  ... and prints what it prints outside" "$(cat "$T/main.out")" \
	"$(cat "$T/root.out")"
rc=0
in_root /luaapp -e "print(select(2, io.open('$M/greet.lua', 'w')))
	local f = assert(io.open('/written.txt', 'w')) f:write('root') f:close()" \
	>"$T/root.out" 2>"$T/root.err" || rc=$?
check_eq "in the root, a write in the mount is EROFS" \
	"$M/greet.lua: Read-only file system	30" "$(cat "$T/root.out" "$T/root.err")"
check_eq "in the root, a write outside the mount is a real file" "root" \
	"$(cat "$root/written.txt" 2>&1)"

done_testing
