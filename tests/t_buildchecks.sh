#!/usr/bin/env bash
# t_buildchecks.sh BUILD_DIR - the writer never produces what the reader or the
# server refuses. Every value that ends up in the artifact (name, version,
# revision, serve.*), given as an option or in fatpack.ini, is checked before
# anything is written: a bad one stops the build with one stderr line naming
# the option or fatpack.ini:LINE, and leaves no file at the output path or
# beside it, and no output folder. The server refuses the values it takes on
# its command line with the same reason. Good values still build and verify.
. "$(dirname "$0")/lib.sh"

W=$T/w                  # the folder builds run in; only the tests write here
mkdir -p "$W/site/sub" "$W/exists" "$W/"$'bad\xffsite'
echo '<h1>hi</h1>' >"$W/site/index.html"
echo 'sub' >"$W/site/sub/x.html"
echo 'x' >"$W/"$'bad\xffsite/index.html'
printf 'int main(void) { return 0; }\n' >"$W/my prog.c"
cd "$W" || exit 2
OUT=exists/new/app      # "exists" is an empty folder, "new" is not there

GOOD=$T/good
if ! "$FATPACK" build --serve site -o "$GOOD" >"$T/.out" 2>"$T/.err"; then
	not_ok "build a good site" "$(cat "$T/.err")"
	done_testing
fi

# Everything below $W but fatpack.ini, with sizes, for a before/after diff.
listing() {
	find . -path ./fatpack.ini -prune -o -printf '%p %s\n' | sort
}

# refused NAME REGEX CMD...: CMD exits non-zero without crashing, says one
# line matching REGEX, and leaves $W as it was (no output, no temporary
# file beside it, no new folder).
refused() {
	local name=$1 re=$2 rc=0 before lines
	shift 2
	before=$(listing)
	"$@" >"$T/.out" 2>"$T/.err" || rc=$?
	lines=$(wc -l <"$T/.err")
	if [ "$rc" -eq 0 ]; then
		not_ok "$name" "succeeded: $*"
	elif crashed "$rc" "$T/.err"; then
		not_ok "$name" "crashed (exit $rc): $(cat "$T/.err")"
	elif [ "$lines" -ne 1 ] || ! grep -Eq -- "$re" "$T/.err"; then
		not_ok "$name" "exit $rc, $lines lines on stderr, want one matching /$re/:
$(cat -v "$T/.err")"
	elif [ "$(listing)" != "$before" ]; then
		not_ok "$name" "left files behind:
$(diff <(echo "$before") <(listing))"
	else
		ok "$name"
	fi
}

# bad NAME REGEX ARGS...: fatpack build --serve site ARGS is refused.
bad() {
	local name=$1 re=$2
	shift 2
	refused "build $name" "^fatpack: $re" "$FATPACK" build --serve site "$@" -o "$OUT"
}

# bad_ini NAME LINE REGEX < FILE: fatpack build reading FILE as fatpack.ini
# is refused at fatpack.ini:LINE.
bad_ini() {
	local name=$1 line=$2 re=$3
	cat >fatpack.ini
	refused "fatpack.ini: $name" "^fatpack: fatpack\.ini:$line: $re" "$FATPACK" build
	rm -f fatpack.ini
}

# The reason of a message: what follows the quoted value.
reason() {
	sed -E "s/^[^']*'[^']*'(: | )//" "$1"
}

# agree NAME ARGS...: the build refuses ARGS, and the built server refuses
# them too, for the same reason.
agree() {
	local name=$1 b s
	shift
	bad "$name" ".*" "$@"
	b=$(reason "$T/.err")
	refused "server $name" "." timeout 10 "$GOOD" --listen 127.0.0.1:0 "$@"
	s=$(reason "$T/.err")
	check_eq "build and server agree: $name" "$b" "$s"
}

long=$(printf 'x%.0s' $(seq 600))

# --- serve.* settings: the build and the server refuse them alike -------------
agree "--cache-control not ASCII" --cache-control $'max-age=\xff'
check_grep "  ... names the option, the value escaped" \
	"^good: --cache-control 'max-age=\\\\xff': holds a byte that is not printable ASCII$" "$T/.err"
agree "--cache-control with a tab" --cache-control $'public,\tmax-age=60'
agree "--cache-control of 600 bytes" --cache-control "$long"
check_grep "  ... longer than 512 bytes" "is longer than 512 bytes" "$T/.err"
agree "--cache-control empty" --cache-control ''
agree "--listen not an address" --listen not-an-address
check_grep "  ... says the forms" "--listen 'not-an-address': must be PORT, :PORT, HOST:PORT or \[ADDR\]:PORT$" "$T/.err"
agree "--listen port 65536" --listen 65536
check_grep "  ... says the range" "port must be in 0\.\.65535" "$T/.err"
agree "--listen host:65536" --listen localhost:65536
agree "--listen port abc" --listen localhost:abc
agree "--listen [::1 without ]" --listen '[::1'
agree "--listen [::1]:80x" --listen '[::1:80'
agree "--listen bare ::1" --listen ::1
agree "--listen [::1] without a port" --listen '[::1]'
agree "--listen empty" --listen ''
agree "--listen host with a space" --listen 'my host:80'
agree "--spa-fallback ../x" --spa-fallback ../x
check_grep "  ... says why" "'\.' or '\.\.' in path" "$T/.err"
agree "--spa-fallback not UTF-8" --spa-fallback $'a\xffb.html'
agree "--spa-fallback with a backslash" --spa-fallback 'sub\x.html'
agree "--spa-fallback a folder" --spa-fallback sub
check_grep "  ... not a file of the site" "'sub' is not a file of the site" "$T/.err"
agree "--spa-fallback a missing file" --spa-fallback /nope.html
bad "--spa-fallback of /" "--spa-fallback '/': empty path" --spa-fallback /
refused "server: PORT in the environment is a number" \
	"^good: PORT '1:80': must be a port number, 0\.\.65535$" \
	env PORT=1:80 timeout 10 "$GOOD"

# --- name, version, revision: metadata text, and a word ----------------------
bad "--name with a newline" "--name 'a\\\\x0ab': holds a newline$" --name $'a\nb'
bad "--name not UTF-8" "--name 'caf\\\\xe9': is not UTF-8 text$" --name $'caf\xe9'
bad "--name with a C1 control" "--name '\\\\xc2\\\\x85x': may hold only" --name $'\xc2\x85x'
bad "--name with a space" "--name 'my app': may hold only letters" --name 'my app'
# A prefix and a path that are each fine join into one over 4096 bytes:
# refused by the build, as the reader would refuse it.
deep=$(printf 'p%.0s' $(seq 1 250))
deep="$deep/$deep/$deep/$deep/$deep/$deep/$deep/$deep/$deep/$deep/$deep/$deep/$deep/$deep/$deep/$deep"
deep="$deep/$(printf 'q%.0s' $(seq 1 70))"      # 4087 bytes: the prefix fits
bad "an asset path over 4096 bytes" "site: ${deep:0:40}.*: path longer than 4096 bytes$" \
	-a "site=$deep"
# Outputs that cannot work are refused before anything is written.
refused "-o with {build} in a folder and no revision" \
	"^fatpack: output '.*\\{build\\}/app': \\{build\\} without a revision can only be in the file name" \
	"$FATPACK" build --serve site -o 'exists/{build}/app'
refused "--link naming the output itself" "^fatpack: --link 'exists/new/app' is the output itself" \
	"$FATPACK" build --serve site -o "$OUT" --link exists/new/app
printf 'keep\n' >exists/taken
refused "--link onto a regular file" "^fatpack: exists/taken: exists and is not a symlink" \
	"$FATPACK" build --serve site -o "$OUT" --link exists/taken
check_eq "  ... the file is untouched" keep "$(cat exists/taken)"
rm -f exists/taken
# An archive whose header claims a terabyte: an error naming the entry, not
# an allocation of what the header claims.
python3 -c '
import tarfile
with tarfile.open("huge.tar", "w", format=tarfile.PAX_FORMAT) as t:
    ti = tarfile.TarInfo("huge.bin")
    ti.size = 1 << 40
    t.addfile(ti)
'
refused "an archive entry claiming 1 TiB" "^fatpack: huge\\.tar: huge\\.bin: " \
	"$FATPACK" build --serve site -a huge.tar -o "$OUT"
rm -f huge.tar

bad "--name starting with ." "--name '\.x': may hold only" --name .x
bad "--name empty" "--name '': is empty" --name ''
bad "--app-version with a newline" "--app-version '1\\\\x0a2': holds a newline" --app-version $'1\n2'
bad "--app-version not UTF-8" "--app-version '1\.\\\\xff': is not UTF-8 text" --app-version $'1.\xff'
bad "--app-version with /" "--app-version '1/2': may hold only" --app-version 1/2
bad "--revision with a newline" "--revision 'r\\\\x0a1': holds a newline" --revision $'r\n1'
bad "--revision not UTF-8" "--revision '\\\\xfe': is not UTF-8 text" --revision $'\xfe'

# --- the default name: the rule of --name, and --name as the fix ---------------
refused "a site folder named in bad UTF-8" \
	"^fatpack: cannot name the app from 'bad\\\\xffsite': is not UTF-8 text; give --name$" \
	"$FATPACK" build --serve $'bad\xffsite' -o "$OUT"
refused "a source named with a space" \
	"^fatpack: cannot name the app from 'my prog': may hold only .*; give --name$" \
	"$FATPACK" build "my prog.c" -o "$OUT"

# --- the same values in fatpack.ini ---------------------------------------------
bad_ini "name not UTF-8" 2 "name 'caf\\\\xe9': is not UTF-8 text$" <<EOF
[app]
name = $(printf 'caf\xe9')
[serve]
site = site
EOF
bad_ini "version not UTF-8" 2 "version '1\\\\xff': is not UTF-8 text$" <<EOF
[app]
version = $(printf '1\xff')
EOF
bad_ini "revision with a space" 2 "revision 'a b': may hold only" <<'EOF'
[app]
revision = a b
EOF
bad_ini "listen not an address" 3 "listen 'not-an-address': must be PORT" <<'EOF'
[serve]
site = site
listen = not-an-address
EOF
bad_ini "listen port 65536" 3 "listen ':65536': port must be in 0\.\.65535$" <<'EOF'
[serve]
site = site
listen = :65536
EOF
bad_ini "listen [::1 without ]" 3 "listen '\[::1': must be PORT" <<'EOF'
[serve]
site = site
listen = [::1
EOF
bad_ini "listen bare ::1" 3 "listen '::1': must be PORT" <<'EOF'
[serve]
site = site
listen = ::1
EOF
bad_ini "cache_control not ASCII" 3 "cache_control 'max-age=\\\\xff': holds a byte that is not printable ASCII$" <<EOF
[serve]
site = site
cache_control = $(printf 'max-age=\xff')
EOF
bad_ini "cache_control with a control byte" 3 "cache_control 'a\\\\x01b': holds a byte" <<EOF
[serve]
site = site
cache_control = $(printf 'a\001b')
EOF
bad_ini "cache_control of 600 bytes" 3 "cache_control 'x+\.\.\.': is longer than 512 bytes$" <<EOF
[serve]
site = site
cache_control = $long
EOF
bad_ini "spa_fallback ../x" 3 "spa_fallback '\.\./x': '\.' or '\.\.' in path$" <<'EOF'
[serve]
site = site
spa_fallback = ../x
EOF
bad_ini "spa_fallback a folder" 6 "spa_fallback 'sub' is not a file of the site$" <<'EOF'
[app]
name = x
output = exists/new/app
[serve]
site = site
spa_fallback = /sub
EOF
bad_ini "spa_fallback a missing file" 3 "spa_fallback 'nope\.html' is not a file of the site$" <<'EOF'
[serve]
site = site
spa_fallback = nope.html
EOF
printf '[serve]\nsite = bad\377site\n' >fatpack.ini
refused "fatpack.ini: a site folder named in bad UTF-8" \
	"^fatpack: fatpack\.ini: cannot name the app from 'bad\\\\xffsite': is not UTF-8 text; set name = in \[app\] or give --name$" \
	"$FATPACK" build -o "$OUT"
rm -f fatpack.ini
bad_ini "output with {version} and no version" 3 \
	"output 'exists/new/\{name\}-\{version\}' uses \{version\}, but no version is given: give --app-version or set version = in \[app\]$" <<'EOF'
[app]
name = x
output = exists/new/{name}-{version}
[serve]
site = site
EOF
refused "-o with {version} and no version" \
	"^fatpack: -o 'exists/new/\{version\}' uses \{version\}.*give --app-version$" \
	"$FATPACK" build --serve site -o 'exists/new/{version}'

# --- good values still build, and the artifact verifies -------------------------
# good NAME ARGS...: fatpack build --serve site ARGS -o $T/ok builds, verifies
# and runs; `fatpack info` is left in $T/info.
good() {
	local name=$1
	shift
	rm -f "$T/ok"
	check "build $name" "$FATPACK" build --serve site "$@" -o "$T/ok"
	check "  ... verifies" "$FATPACK" verify "$T/ok"
	"$FATPACK" info "$T/ok" >"$T/info" 2>&1
}

good "a UTF-8 name" --name 'café-Ω'
check_grep "  ... recorded" "^  name +café-Ω$" "$T/info"
good "a version with + and ~" --app-version '1.0+git~rc1' --revision 'r-1_2'
check_grep "  ... recorded" "^  version +1\.0\+git~rc1$" "$T/info"
good "--listen [::1]:0" --listen '[::1]:0'
check_grep "  ... recorded" "^  serve\.listen +\[::1\]:0$" "$T/info"
good "--listen 8080" --listen 8080
good "--listen :0" --listen :0
good "--listen 0" --listen 0
good "--listen localhost:65535" --listen localhost:65535
good "--spa-fallback /index.html" --spa-fallback /index.html
check_grep "  ... recorded without the /" "^  serve\.spa_fallback +index\.html$" "$T/info"
good "--spa-fallback sub/x.html" --spa-fallback sub/x.html
good "--cache-control of 512 bytes" --cache-control "$(printf 'x%.0s' $(seq 512))"
good "--cache-control 'public, max-age=60'" --cache-control 'public, max-age=60'
rm -f "$T/ok"
check "a bad site folder name with --name builds" \
	"$FATPACK" build --serve $'bad\xffsite' --name site -o "$T/ok"
check "  ... verifies" "$FATPACK" verify "$T/ok"

cat >fatpack.ini <<'EOF'
[app]
name = café
version = 2.0~beta
output = out/{name}-{version}
[serve]
site = site
listen = 0
spa_fallback = /sub/x.html
cache_control = public, max-age=300
EOF
check "fatpack.ini with good values builds" "$FATPACK" build
check "  ... verifies" "$FATPACK" verify "out/café-2.0~beta"
"$FATPACK" info "out/café-2.0~beta" >"$T/info" 2>&1
check_grep "  ... listen 0 recorded" "^  serve\.listen +0$" "$T/info"
rm -rf fatpack.ini out

# The server takes port 0 from the build and prints the port it got.
rm -f "$T/ok"
"$FATPACK" build --serve site --listen 127.0.0.1:0 -o "$T/ok" >/dev/null 2>&1
"$T/ok" --no-access-log 2>"$T/srv.log" &
pid=$!
for _ in $(seq 50); do
	grep -q listening "$T/srv.log" && break
	sleep 0.1
done
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
check_grep "the server listens on a free port for serve.listen 127.0.0.1:0" \
	"^listening on http://127\.0\.0\.1:[1-9][0-9]*/$" "$T/srv.log"

done_testing
