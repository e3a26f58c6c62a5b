#!/usr/bin/env bash
# t_oci.sh BUILD_DIR - `fatpack oci APP -o FILE` writes an OCI image layout
# archive that real tools take: skopeo inspects it (entrypoint, user, ports,
# environment, labels, architecture) and copies it; umoci unpacks it
# (rootless) into a runtime bundle whose rootfs holds only the artifact (and
# the CA bundle and time zones when asked), and the program runs from that
# rootfs in an empty root: `unshare -r chroot`, and a --serve artifact as
# the bundle's user with the bundle's environment (a free port for PORT:
# the test shares the host's network), answering curl and its own health
# check. Two runs write the same bytes. Bad inputs: one line, no output.
#
# In the sanitizer build the fat programs are dynamic ASan programs: the
# libraries ldd lists are copied into the rootfs before they run there, and
# the server gets a /proc of its own (ASan reads it).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

SITE=$TOP/examples/site
ASSETS=$TOP/examples/hello/assets
export SOURCE_DATE_EPOCH=1700000000
CREATED=2023-11-14T22:13:20Z

case $(uname -m) in
x86_64) ARCH=amd64 ;;
aarch64) ARCH=arm64 ;;
*) ARCH=$(uname -m) ;;
esac

for tool in skopeo umoci jq unshare curl; do
	if ! command -v "$tool" >/dev/null; then
		not_ok "$tool is installed (scripts/setup.sh)"
		done_testing
	fi
done

# config TAR: the image's configuration as skopeo reads it
config() {
	skopeo inspect --config --raw "oci-archive:$1"
}

# unpack TAR TAG DIR: the layout extracted with tar, then umoci's bundle
unpack() {
	rm -rf "$3" "$3.layout"
	mkdir -p "$3.layout"
	tar -xf "$1" -C "$3.layout" &&
		umoci unpack --rootless --image "$3.layout:$2" "$3" >"$T/umoci.log" 2>&1
}

# with_libs ROOTFS PROGRAM: in the sanitizer build, the libraries the
# program needs, where ldd finds them
with_libs() {
	is_static_build && return 0
	for lib in $(ldd "$2" | grep -Eo '/[^ ]+'); do
		mkdir -p "$1$(dirname "$lib")"
		cp -L "$lib" "$1$lib"
	done
}

# --- a program of the user's -------------------------------------------------
srcs=("$TOP/examples/hello/hello.c")
if is_san_build; then
	# without /proc the sanitizer cannot read ASAN_OPTIONS (t_selfcontained)
	printf '%s\n' 'const char *__asan_default_options(void);' \
		'const char *__asan_default_options(void) { return "detect_leaks=0"; }' \
		>"$T/noleak.c"
	srcs+=("$T/noleak.c")
fi
hello=$T/hello
if ! "$FATPACK" build "${srcs[@]}" -a "$ASSETS" --name hello \
	--revision 0123abc -o "$hello" 2>"$T/err"; then
	not_ok "build hello" "$(cat "$T/err")"
	done_testing
fi
check "fatpack oci hello" "$FATPACK" oci "$hello" -o "$T/hello.oci.tar"
config "$T/hello.oci.tar" >"$T/hello.json" 2>"$T/err" ||
	not_ok "skopeo inspect --config" "$(cat "$T/err")"
q() { jq -c "$1" "$T/hello.json"; }
check_eq "Entrypoint is the artifact" '["/app/hello"]' "$(q .config.Entrypoint)"
check_eq "User is numeric, not root" '"65532:65532"' "$(q .config.User)"
check_eq "architecture from the ELF machine" "\"$ARCH\"" "$(q .architecture)"
check_eq "os" '"linux"' "$(q .os)"
check_eq "no ExposedPorts for a program not --serve" null "$(q .config.ExposedPorts)"
check_eq "no Healthcheck for a program not --serve" null "$(q .config.Healthcheck)"
check_eq "created from SOURCE_DATE_EPOCH" "\"$CREATED\"" "$(q .created)"
sha=$("$FATPACK" info --json "$hello" | jq -r .payload_sha256)
check_eq "label fatpack.payload_sha256" "\"$sha\"" \
	"$(q '.config.Labels["fatpack.payload_sha256"]')"
check_eq "label org.opencontainers.image.title" '"hello"' \
	"$(q '.config.Labels["org.opencontainers.image.title"]')"
check_eq "label org.opencontainers.image.revision" '"0123abc"' \
	"$(q '.config.Labels["org.opencontainers.image.revision"]')"
check_eq "label org.opencontainers.image.created" "\"$CREATED\"" \
	"$(q '.config.Labels["org.opencontainers.image.created"]')"
check_output "skopeo inspect: architecture and tag-less archive" \
	"\"Architecture\": \"$ARCH\"" skopeo inspect "oci-archive:$T/hello.oci.tar"

rm -rf "$T/copy"
check "skopeo copy oci-archive: dir:" \
	skopeo copy "oci-archive:$T/hello.oci.tar" "dir:$T/copy"
layer=$(jq -r '.layers[0].digest' "$T/copy/manifest.json" 2>/dev/null)
check_eq "the copy holds the one layer" "$(q '.rootfs.diff_ids[0]')" "\"$layer\""

b=$T/hello.bundle
check "umoci unpack --rootless" unpack "$T/hello.oci.tar" latest "$b"
[ -s "$T/umoci.log" ] && cat "$T/umoci.log" >&2
check "the rootfs holds the artifact, unchanged" cmp "$hello" "$b/rootfs/app/hello"
check_eq "and nothing else" "$(printf '%s\n' . ./app ./app/hello)" \
	"$(cd "$b/rootfs" && find . | sort)"
check_eq "mode 0755" 755 "$(stat -c %a "$b/rootfs/app/hello")"
check_eq "umoci's bundle runs it as 65532" '{"uid":65532,"gid":65532}' \
	"$(jq -c .process.user "$b/config.json")"
with_libs "$b/rootfs" "$hello"
rc=0
unshare -r chroot "$b/rootfs" /app/hello >"$T/out" 2>"$T/err" || rc=$?
check_eq "it runs in the empty root (unshare -r chroot)" 0 "$rc"
check_eq "and prints its greeting" "$(cat "$ASSETS/greeting.txt")" "$(head -n 1 "$T/out")"
check "--fatpack-verify in the root" unshare -r chroot "$b/rootfs" /app/hello --fatpack-verify

# --- determinism ---------------------------------------------------------------
check "a second run" "$FATPACK" oci "$hello" -o "$T/hello2.oci.tar"
check "the same bytes (cmp)" cmp "$T/hello.oci.tar" "$T/hello2.oci.tar"
(unset SOURCE_DATE_EPOCH; umask 077
	"$FATPACK" oci --zoneinfo --ca-certs "$hello" -o "$T/a.tar" &&
	sleep 1 && "$FATPACK" oci --zoneinfo --ca-certs "$hello" -o "$T/b.tar") \
	2>"$T/err" || not_ok "two runs without SOURCE_DATE_EPOCH" "$(cat "$T/err")"
check "the same bytes without SOURCE_DATE_EPOCH (build_time)" cmp "$T/a.tar" "$T/b.tar"
bt=$("$FATPACK" info --json "$hello" | jq -r .build_time_iso)
check_eq "then created is the build_time" "\"$bt\"" \
	"$(config "$T/a.tar" | jq -c .created)"

# --- the host's CA certificates and time zones -------------------------------
check "--ca-certs --zoneinfo" "$FATPACK" oci --ca-certs --zoneinfo "$hello" \
	-o "$T/full.oci.tar"
check "it unpacks" unpack "$T/full.oci.tar" latest "$T/full"
check "the CA bundle is the host's" cmp /etc/ssl/certs/ca-certificates.crt \
	"$T/full/rootfs/etc/ssl/certs/ca-certificates.crt"
check "the time zones are the host's (links kept)" \
	diff -r --no-dereference /usr/share/zoneinfo "$T/full/rootfs/usr/share/zoneinfo"
check_eq "SSL_CERT_FILE names the bundle" \
	'["SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"]' \
	"$(config "$T/full.oci.tar" | jq -c .config.Env)"

# --- a --serve artifact ------------------------------------------------------
web=$T/web
if ! "$FATPACK" build --serve "$SITE" --name web --app-version 1.2.3 \
	--revision feed42 -o "$web" 2>"$T/err"; then
	not_ok "build --serve" "$(cat "$T/err")"
	done_testing
fi
check "fatpack oci --tag 1.2.3 --user 1000" "$FATPACK" oci --tag 1.2.3 \
	--user 1000 "$web" -o "$T/web.oci.tar"
config "$T/web.oci.tar" >"$T/web.json"
w() { jq -c "$1" "$T/web.json"; }
check_eq "ExposedPorts from serve.listen" '{"8080/tcp":{}}' "$(w .config.ExposedPorts)"
check_eq "PORT set: the build's address is the loopback" '["PORT=8080"]' "$(w .config.Env)"
check_eq "Healthcheck is --fatpack-health" \
	'{"Test":["CMD","/app/web","--fatpack-health"]}' "$(w .config.Healthcheck)"
check_eq "--user 1000 is 1000:1000" '"1000:1000"' "$(w .config.User)"
check_eq "label org.opencontainers.image.version" '"1.2.3"' \
	"$(w '.config.Labels["org.opencontainers.image.version"]')"
check_eq "label fatpack.serve.listen" '"127.0.0.1:8080"' \
	"$(w '.config.Labels["fatpack.serve.listen"]')"
check_eq "--tag is the ref name" '"1.2.3"' "$(tar -xOf "$T/web.oci.tar" index.json |
	jq -c '.manifests[0].annotations["org.opencontainers.image.ref.name"]')"

b=$T/web.bundle
check "umoci unpack --image LAYOUT:1.2.3" unpack "$T/web.oci.tar" 1.2.3 "$b"
with_libs "$b/rootfs" "$BUILD/lib/fatpack/fatpack-serve"
uid=$(jq -r .process.user.uid "$b/config.json")
gid=$(jq -r .process.user.gid "$b/config.json")
mapfile -t envs < <(jq -r '.process.env[]' "$b/config.json" | grep -v '^PORT=')
port=$(free_port)
sandbox=()
if is_san_build; then
	# ASan needs /proc (t_selfcontained): a /proc of the server's own,
	# as a runtime mounts it; the static server runs without
	mkdir -p "$b/rootfs/proc"
	sandbox=(--mount --pid --fork --kill-child=SIGTERM --mount-proc=/proc)
fi
# as a runtime runs it: the bundle's user, environment and rootfs
in_image() {
	env -i "${envs[@]}" PORT="$port" unshare --map-user="$uid" \
		--map-group="$gid" "${sandbox[@]}" --root="$b/rootfs" "$@"
}
# env and unshare exec (or, with --fork, unshare sends its child SIGTERM
# when killed): $! stops the server
env -i "${envs[@]}" PORT="$port" unshare --map-user="$uid" --map-group="$gid" \
	"${sandbox[@]}" --root="$b/rootfs" /app/web >"$T/web.log" 2>&1 &
pid=$!
for _ in $(seq 50); do
	curl -sf "http://127.0.0.1:$port/" -o "$T/index.html" && break
	sleep 0.1
done
check "the server in the image answers" cmp "$SITE/index.html" "$T/index.html"
check_output "its health check passes in the image" " 200 " in_image /app/web --fatpack-health
{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null
for _ in $(seq 50); do    # in the sanitizer build its child stops after it
	curl -s "http://127.0.0.1:$port/" >/dev/null || break
	sleep 0.1
done
check_fails "and fails once it stopped" "connect" in_image /app/web --fatpack-health

# a server built for all interfaces keeps its address
"$FATPACK" build --serve "$SITE" --listen :9090 -o "$T/any" 2>"$T/err" ||
	not_ok "build --listen :9090" "$(cat "$T/err")"
check "fatpack oci of a :9090 server" "$FATPACK" oci "$T/any" -o "$T/any.oci.tar"
check_eq "ExposedPorts 9090, no PORT" '{"9090/tcp":{}}null' \
	"$(config "$T/any.oci.tar" | jq -c '.config.ExposedPorts, .config.Env' | tr -d '\n')"

# the other machine: its architecture from the ELF header
if [ -f "$BUILD/lib/fatpack/aarch64/fatpack-serve" ]; then
	"$FATPACK" build --target aarch64 --serve "$SITE" -o "$T/arm" 2>"$T/err" ||
		not_ok "build --target aarch64" "$(cat "$T/err")"
	check "fatpack oci of an aarch64 artifact" "$FATPACK" oci "$T/arm" -o "$T/arm.tar"
	check_eq "architecture arm64" '"arm64"' "$(config "$T/arm.tar" | jq -c .architecture)"
else
	not_ok "the aarch64 runtime is built (make aarch64)"
fi

# --- bad inputs: one line, no output ------------------------------------------
out=$T/bad/out.tar
mkdir -p "$T/bad"
nothing_written() {
	check_eq "$1: nothing written" "" "$(ls -A "$T/bad")"
}
check_fails "output in a missing folder" "^fatpack: $T/missing/x.tar: folder .* does not exist$" \
	"$FATPACK" oci "$hello" -o "$T/missing/x.tar"
check_eq "the folder is not created" no "$([ -e "$T/missing" ] && echo yes || echo no)"
cp /bin/true "$T/true"
check_fails "not a fat binary" "^fatpack: $T/true: not a fat binary" \
	"$FATPACK" oci "$T/true" -o "$out"
nothing_written "not a fat binary"
check_fails "a missing input" "^fatpack: $T/nope: No such file" "$FATPACK" oci "$T/nope" -o "$out"
cp "$hello" "$T/corrupt"
size=$(stat -c %s "$T/corrupt")
off=$("$FATPACK" info --json "$hello" | jq .payload_offset)
# a byte of the first tar header frame's content: its checksum fails
printf 'X' | dd of="$T/corrupt" bs=1 seek=$((off + 20)) conv=notrunc status=none
check_fails "an artifact that fails verify" "^fatpack: $T/corrupt: " \
	"$FATPACK" oci "$T/corrupt" -o "$out"
nothing_written "a corrupt artifact"
check_eq "(the corrupt copy kept its size)" "$size" "$(stat -c %s "$T/corrupt")"
echo old >"$out"
check_fails "--ca-certs of a missing file" "^fatpack: $T/none.crt: No such file" \
	"$FATPACK" oci --ca-certs="$T/none.crt" "$hello" -o "$out"
check_eq "an existing output is left as it was" old "$(cat "$out")"
rm -f "$out"
mkdir -p "$T/tz" && mkfifo "$T/tz/fifo"
check_fails "--zoneinfo with a FIFO" "^fatpack: $T/tz/fifo: neither a file, a folder nor a symbolic link$" \
	"$FATPACK" oci --zoneinfo="$T/tz" "$hello" -o "$out"
nothing_written "a FIFO in the zoneinfo folder"
"$FATPACK" build --serve "$SITE" --listen 127.0.0.1:0 -o "$T/port0" 2>/dev/null
check_fails "a server on port 0" "serve.listen '127.0.0.1:0': port 0" \
	"$FATPACK" oci "$T/port0" -o "$out"
check_fails "SOURCE_DATE_EPOCH not a number" "^fatpack: SOURCE_DATE_EPOCH: 'soon'" \
	env SOURCE_DATE_EPOCH=soon "$FATPACK" oci "$hello" -o "$out"
nothing_written "bad settings"
# a signal while the image is written (here SIGXFSZ, from a file size limit
# below the image's size) removes the temporary file, as Ctrl-C would
# (in a command substitution: its shell, not this one, reports the kill)
rc=$({ (ulimit -f 64; exec "$FATPACK" oci "$hello" -o "$out" >/dev/null)
	echo $?; } 2>/dev/null)
check_eq "killed by SIGXFSZ while writing" $((128 + $(kill -l XFSZ))) "$rc"
nothing_written "a signal while writing"

usage() {
	local name=$1 re=$2 rc=0
	shift 2
	check_fails "$name" "$re" "$FATPACK" oci "$@"
	"$FATPACK" oci "$@" >/dev/null 2>&1 || rc=$?
	check_eq "$name: exit 2" 2 "$rc"
}
usage "an unknown flag" "^fatpack oci: unknown option '--bogus'" --bogus "$hello" -o "$out"
usage "no -o" "^fatpack oci: -o FILE is required" "$hello"
usage "no APP" "^fatpack oci: takes one APP" -o "$out"
usage "--user 0" "^fatpack oci: --user '0' is root" --user 0 "$hello" -o "$out"
usage "--user 0:0" "is root" --user 0:0 "$hello" -o "$out"
usage "--user by name" "^fatpack oci: --user 'nobody' must be UID" --user nobody "$hello" -o "$out"
usage "--user 1:x" "must be UID" --user 1:x "$hello" -o "$out"
usage "a --tag with a space" "^fatpack oci: --tag 'a b' " --tag 'a b' "$hello" -o "$out"
usage "a --tag ending in a dot" "must end with a letter or a digit" --tag 'v1.' "$hello" -o "$out"
usage "an empty --tag" "must be 1 to 128" --tag '' "$hello" -o "$out"
nothing_written "usage errors"

done_testing
