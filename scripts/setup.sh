#!/usr/bin/env bash
# setup.sh - install what fatpack needs on a Debian machine, and build the musl,
# decompression-only zstd the runtime links against.
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
)

# `setup.sh --bench` adds what bench/ compares against.
BENCH_PACKAGES=(wrk nginx-light hyperfine)
[ "${1:-}" = "--bench" ] && PACKAGES+=("${BENCH_PACKAGES[@]}")

say() { printf 'setup: %s\n' "$*" >&2; }

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

build_zstd_musl() {
	local out="$build/zstd"
	# Small over fast: one decoder variant (no runtime BMI2 dispatch, which
	# would link every hot function twice); the stub is in every artifact.
	local cflags="-Os -ffunction-sections -fdata-sections -DZSTD_NO_TRACE -DDYNAMIC_BMI2=0"
	[ -f "$out/libzstd.a" ] && [ -f "$out/include/zstd.h" ] &&
		[ "$(cat "$out/cflags" 2>/dev/null)" = "$cflags" ] && return 0
	local src="$build/zstd-src"
	rm -rf "$src"
	debsrc_fetch libzstd "$src/tree"
	say "building zstd (decompression only) with musl-gcc"
	make -s -C "$src/tree/lib" libzstd.a CC=musl-gcc \
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

install_packages
build_zstd_musl
say "ready"
