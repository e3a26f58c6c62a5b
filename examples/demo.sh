#!/usr/bin/env bash
# demo.sh BUILD_DIR - `make demo`: builds examples/hello (when present) and
# runs it, builds Debian's Lua 5.4 unchanged with the scripts of examples/lua
# as files under its module folder and runs them, then builds examples/site
# into one executable with the built-in server and serves it on a loopback
# port until Ctrl-C.
set -eu

build=$(cd "${1:?usage: examples/demo.sh BUILD_DIR}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
fatpack=$build/bin/fatpack
cd "$top"
mkdir -p dist

if [ -f examples/hello/hello.c ]; then
	echo "== examples/hello"
	"$fatpack" build examples/hello/hello.c -a examples/hello/assets \
		-o dist/hello
	./dist/hello || echo "(examples/hello exited with status $?)"
	echo
fi

echo "== examples/lua: Debian's Lua 5.4, unchanged, with its scripts as assets"
lua=$(bash examples/lua/build-lua.sh "$build")
"$fatpack" build "$lua" -a examples/lua/app --mount /usr/local/share/lua/5.4 \
	--name luaapp -o dist/luaapp
./dist/luaapp /usr/local/share/lua/5.4/main.lua ||
	echo "(examples/lua exited with status $?)"
echo

echo "== examples/site"
"$fatpack" build --serve examples/site -o dist/site
port=${DEMO_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
echo "Serving examples/site at http://127.0.0.1:$port/ (Ctrl-C to stop)"
exec ./dist/site --listen "127.0.0.1:$port"
