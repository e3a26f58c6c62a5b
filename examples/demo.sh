#!/usr/bin/env bash
# demo.sh BUILD_DIR - `make demo`: builds examples/hello (when present) and
# runs it, then builds examples/site into one executable with the built-in
# server and serves it on a loopback port until Ctrl-C.
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

echo "== examples/site"
"$fatpack" build --serve examples/site -o dist/site
port=${DEMO_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
echo "Serving examples/site at http://127.0.0.1:$port/ (Ctrl-C to stop)"
exec ./dist/site --listen "127.0.0.1:$port"
