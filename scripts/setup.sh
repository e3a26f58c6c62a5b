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
	# test tools: crafted inputs, the real browser test
	python3 util-linux chromium fonts-liberation git
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

# The URIs of the system's apt sources for SUITE with the main component, in
# apt's order, read from FILES: one-line entries from *.list files, deb822
# stanzas from *.sources files (disabled ones and cdrom: left out).
sources_uris() {
	local suite=$1
	shift
	awk -v suite="$suite" '
	function has(list, word) {
		gsub(/[ \t]+/, " ", list)
		return index(" " list " ", " " word " ") > 0
	}
	function stanza_end() {
		if (f["enabled"] != "no" && (has(f["types"], "deb") ||
		    has(f["types"], "deb-src")) && has(f["suites"], suite) &&
		    has(f["components"], "main"))
			print f["uris"]
		split("", f)
		key = ""
	}
	FNR == 1 { stanza_end(); deb822 = FILENAME ~ /[.]sources$/ }
	/^[ \t]*#/ { next }
	!deb822 {
		sub(/#.*/, "")
		gsub(/\[[^]]*\]/, "")
		if (($1 == "deb" || $1 == "deb-src") && $3 == suite) {
			comps = ""
			for (i = 4; i <= NF; i++)
				comps = comps " " $i
			if (has(comps, "main"))
				print $2
		}
		next
	}
	/^[ \t]*$/ { stanza_end(); next }
	/^[ \t]/ { if (key != "") f[key] = f[key] " " $0; next }
	{
		key = tolower($0)
		sub(/:.*/, "", key)
		v = $0
		sub(/^[^:]*:/, "", v)
		f[key] = v
		if (key == "enabled")
			f[key] = tolower($2)
	}
	END { stanza_end() }
	' "$@" | tr -s ' \t' '\n' | grep -v -e '^$' -e '^cdrom:' || true
}

# The Debian mirror this machine's apt already uses for the release, so a
# machine behind its own mirror or proxy fetches from there too.
system_mirror() {
	local suite=$1 list=/etc/apt/sources.list parts=/etc/apt/sources.list.d
	local files=() sorted=() f
	eval "$(apt-config shell list Dir::Etc::sourcelist/f \
		parts Dir::Etc::sourceparts/d 2>/dev/null)"
	# apt reads sources.list, then its parts folder in name order, whatever
	# the kind of file
	mapfile -t sorted < <(printf '%s\n' "${parts%/}"/*.list \
		"${parts%/}"/*.sources | LC_ALL=C sort)
	for f in "$list" "${sorted[@]}"; do
		[ -f "$f" ] && [ -r "$f" ] && files+=("$f")
	done
	[ "${#files[@]}" -gt 0 ] || return 0
	sources_uris "$suite" "${files[@]}" | sed -n 1p
}

# apt-get with a private configuration: deb-src for the running release only,
# from the system's mirror. The system's apt configuration is only read.
private_apt() {
	local dir="$build/apt"
	local codename mirror
	# shellcheck source=/dev/null
	codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-bookworm}")
	mirror=$(system_mirror "$codename")
	if [ -z "$mirror" ]; then
		mirror=http://deb.debian.org/debian
		say "no apt source for $codename main found; using $mirror"
	fi
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	printf 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
		"$mirror" "$codename" >"$dir/sources.list"
	APT_OPTS=(
		-o "Dir::Etc::SourceList=$dir/sources.list"
		-o "Dir::Etc::SourceParts=/nonexistent"
		-o "Dir::State::Lists=$dir/lists"
		-o "Dir::Cache=$dir/cache"
		-o "APT::Sandbox::User=root"
	)
}

build_zstd_musl() {
	local out="$build/zstd"
	# Small over fast: one decoder variant (no runtime BMI2 dispatch, which
	# would link every hot function twice); the stub is in every artifact.
	local cflags="-Os -ffunction-sections -fdata-sections -DZSTD_NO_TRACE -DDYNAMIC_BMI2=0"
	[ -f "$out/libzstd.a" ] && [ -f "$out/include/zstd.h" ] &&
		[ "$(cat "$out/cflags" 2>/dev/null)" = "$cflags" ] && return 0
	private_apt
	local src="$build/zstd-src"
	rm -rf "$src" && mkdir -p "$src"
	say "fetching Debian's zstd source package"
	apt-get "${APT_OPTS[@]}" update -q >/dev/null
	(cd "$src" && apt-get "${APT_OPTS[@]}" source --download-only -q libzstd >/dev/null)
	local dsc
	dsc=$(ls "$src"/*.dsc)
	(cd "$src" && dpkg-source --no-check -x "$dsc" tree >/dev/null)
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
