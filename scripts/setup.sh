#!/usr/bin/env bash
# setup.sh - install what fatpack needs on a Debian machine, and build the musl,
# decompression-only zstd the runtime links against, and the musl libsodium
# that artifacts built with --require-signature link.
#
#   scripts/setup.sh                    the host's toolchain (make runs it)
#   scripts/setup.sh --target aarch64   and the aarch64 cross toolchain
#   scripts/setup.sh --bench            and what bench/ compares against
#
# Debian ships no zstd built for musl, so this fetches Debian's own zstd source
# package (signature-checked by apt against the Debian archive keyring) with a
# private apt configuration under build/apt, from the mirror the system's apt
# sources name (deb.debian.org if they name none): the system's apt
# configuration is only read. Run it as root, or with the packages already
# installed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"

PACKAGES=(
	build-essential musl-tools musl-dev pkg-config dpkg-dev binutils
	libarchive-dev libzstd-dev libelf-dev libinih-dev
	zstd tar file jq curl xz-utils
	clang libclang-rt-14-dev
	media-types
	# examples/lua: Debian's Lua builds through libtool
	libtool-bin
	# test tools: crafted inputs, the real browser test
	python3 util-linux chromium fonts-liberation git
	# third-party libraries (docs/LIBRARIES.md, t_libraries): build systems,
	# tclsh for SQLite's amalgamation, a glibc-built libcrypto.a to refuse
	cmake meson ninja-build tcl libssl-dev
	# systemd-socket-activate and systemd-notify (tests/t_systemd.sh)
	systemd
	# fatpack oci: the tools that read its images, and the host files
	# --ca-certs and --zoneinfo add (tests/t_oci.sh)
	skopeo umoci ca-certificates tzdata
	# signatures (docs/SIGNING.md): the bundler's libsodium, autotools to
	# build Debian's libsodium source for musl, minisign for t_sign
	libsodium-dev autoconf automake libtool minisign
	# examples/ansible over SSH to a test sshd (tests/t_ansible.sh); the
	# playbook uses only ansible.builtin, so the engine without the
	# community collections of the "ansible" package
	openssh-server openssh-client ansible-core
)

# `setup.sh --bench` adds what bench/ compares against (golang-go: Go's embed,
# bench/startup.sh; squashfs-tools and makeself: bench/build.sh).
BENCH_PACKAGES=(wrk nginx-light hyperfine golang-go squashfs-tools makeself)
# `setup.sh --target aarch64` adds the cross compiler (musl itself is built
# from Debian's source package with it: Debian ships no musl for arm64 on an
# amd64 machine without adding arm64 to dpkg's architectures, which would
# change the system for everyone) and qemu to run what it builds.
CROSS_PACKAGES=(gcc-aarch64-linux-gnu qemu-user-static)

say() { printf 'setup: %s\n' "$*" >&2; }

usage() {
	echo "usage: scripts/setup.sh [--bench] [--target aarch64|$(uname -m)]" >&2
	exit 2
}

cross=
while [ $# -gt 0 ]; do
	case $1 in
	--bench) PACKAGES+=("${BENCH_PACKAGES[@]}") ;;
	--target)
		[ $# -ge 2 ] || usage
		case $2 in
		"$(uname -m)") ;;
		aarch64)
			cross=aarch64
			PACKAGES+=("${CROSS_PACKAGES[@]}")
			;;
		*) say "--target $2: fatpack builds for aarch64 or $(uname -m)"; exit 2 ;;
		esac
		shift
		;;
	*) usage ;;
	esac
	shift
done

missing_packages() {
	local p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || printf '%s\n' "$p"
	done
}

install_packages() {
	local missing
	mapfile -t missing < <(missing_packages)
	[ "${#missing[@]}" -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		say "missing packages: ${missing[*]} (run as root, or install them)"
		exit 1
	fi
	say "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# shellcheck source=scripts/debsrc.sh
. "$top/scripts/debsrc.sh"

# build_zstd_musl [CC OUT AR]: the decoder for the host's musl (musl-gcc, into
# build/zstd), or for a cross target with its musl-gcc and ar.
build_zstd_musl() {
	local cc=${1:-musl-gcc} out=${2:-$build/zstd} ar=${3:-ar}
	# Small over fast, the decoder being in every artifact (docs/BENCH.md,
	# "Size of a fat binary"): one variant of each hot function (no runtime
	# BMI2 dispatch), one Huffman decoder (X1) and the short sequence
	# decoder only (each decodes every frame; measured as fast on text
	# here), no forced inlining (4.6 KB, 25% slower on text), no
	# unwind tables (C code). A change here rebuilds the decoder: the flags
	# are its stamp.
	local cflags="-Os -ffunction-sections -fdata-sections"
	cflags="$cflags -fno-asynchronous-unwind-tables -fno-unwind-tables"
	cflags="$cflags -DZSTD_NO_TRACE -DDYNAMIC_BMI2=0 -DHUF_FORCE_DECOMPRESS_X1"
	cflags="$cflags -DZSTD_FORCE_DECOMPRESS_SEQUENCES_SHORT -DZSTD_NO_INLINE"
	[ -f "$out/libzstd.a" ] && [ -f "$out/include/zstd.h" ] &&
		[ "$(cat "$out/cflags" 2>/dev/null)" = "$cflags" ] && return 0
	local src="$out-src"
	rm -rf "$src"
	debsrc_fetch libzstd "$src/tree"
	say "building zstd (decompression only) with $cc"
	make -s -C "$src/tree/lib" libzstd.a CC="$cc" AR="$ar" \
		ZSTD_LIB_COMPRESSION=0 ZSTD_LIB_DICTBUILDER=0 ZSTD_LIB_DEPRECATED=0 \
		ZSTD_LEGACY_SUPPORT=0 ZSTD_NO_ASM=0 \
		CFLAGS="$cflags" \
		>/dev/null
	mkdir -p "$out/include"
	cp "$src/tree/lib/libzstd.a" "$out/libzstd.a"
	cp "$src/tree/lib/zstd.h" "$src/tree/lib/zstd_errors.h" "$out/include/"
	printf '%s' "$cflags" >"$out/cflags"
	rm -rf "$src"
}

# build_sodium_musl: libsodium for the host's musl into build/sodium, from
# Debian's source package: static, the minimal build (Ed25519 is in it), -Os.
# Only artifacts built with --require-signature link it.
build_sodium_musl() {
	local out=$build/sodium src=$build/sodium-src
	local conf="--disable-shared --enable-minimal --disable-pie --disable-ssp"
	local cflags="-Os -ffunction-sections -fdata-sections"
	[ -f "$out/libsodium.a" ] && [ -f "$out/include/sodium.h" ] &&
		[ "$(cat "$out/configured" 2>/dev/null)" = "$conf $cflags" ] &&
		return 0
	rm -rf "$src" "$out"
	debsrc_fetch libsodium "$src/tree"
	say "building libsodium (minimal, static) with musl-gcc"
	# shellcheck disable=SC2086 # conf is words
	(cd "$src/tree" && autoreconf -fi >/dev/null 2>&1 &&
		./configure $conf --prefix="$src/inst" CC=musl-gcc \
		CFLAGS="$cflags" >/dev/null &&
		make -s -j"$(nproc)" >/dev/null 2>&1 && make -s install >/dev/null)
	mkdir -p "$out"
	cp "$src/inst/lib/libsodium.a" "$out/"
	cp -R "$src/inst/include" "$out/"
	printf '%s' "$conf $cflags" >"$out/configured"
	rm -rf "$src"
}

# musl for the cross target, from Debian's source package (its patches
# applied), static only, with its musl-gcc wrapper, into build/ARCH/musl.
build_musl_cross() {
	local arch=$1 out="$build/$1/musl" src="$build/$1/musl-src" conf
	conf="--target=$arch-linux-gnu --prefix=$out --syslibdir=$out/lib"
	conf="$conf --disable-shared --enable-wrapper=gcc"
	[ -x "$out/bin/musl-gcc" ] && [ -f "$out/lib/libc.a" ] &&
		[ "$(cat "$out/configured" 2>/dev/null)" = "$conf" ] && return 0
	rm -rf "$src" "$out"
	debsrc_fetch musl "$src/tree"
	say "building musl for $arch with $arch-linux-gnu-gcc"
	# shellcheck disable=SC2086 # conf is words
	(cd "$src/tree" && ./configure $conf CROSS_COMPILE="$arch-linux-gnu-" \
		>/dev/null && make -s -j"$(nproc)" >/dev/null &&
		make -s install >/dev/null)
	printf '%s' "$conf" >"$out/configured"
	rm -rf "$src"
}

install_packages
build_zstd_musl
build_sodium_musl
if [ -n "$cross" ]; then
	build_musl_cross "$cross"
	build_zstd_musl "$build/$cross/musl/bin/musl-gcc" "$build/$cross/zstd" \
		"$cross-linux-gnu-ar"
fi
say "ready"
