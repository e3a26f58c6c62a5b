#!/usr/bin/env bash
# debsrc.sh - fetch and unpack a Debian source package, as Debian ships it.
#
#   scripts/debsrc.sh PACKAGE DEST     unpack PACKAGE's source into DEST
#
# Sourced by scripts/setup.sh (the musl zstd) and used by the tests and the
# recipes of docs/LIBRARIES.md for third-party programs and libraries. apt
# runs with a private configuration under build/apt (deb-src for the running
# release, from the mirror the system's own apt sources name), so the
# system's apt configuration is only read; apt checks the downloaded files
# against the signed Sources index. Downloads are kept in build/src-cache, so
# a second unpack of the same package needs no network.

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

# debsrc_fetch PACKAGE DEST: unpack the source of PACKAGE (a source or binary
# package name) into DEST, which must not exist yet.
debsrc_fetch() {
	local pkg=$1 dest=$2 cache="$build/src-cache/$1" dsc
	if ! ls "$cache"/*.dsc >/dev/null 2>&1; then
		private_apt
		rm -rf "$cache" && mkdir -p "$cache"
		say "fetching Debian's $pkg source package"
		apt-get "${APT_OPTS[@]}" update -q >/dev/null
		(cd "$cache" && apt-get "${APT_OPTS[@]}" source --download-only -q "$pkg" \
			>/dev/null) || { rm -rf "$cache"; return 1; }
	fi
	dsc=$(find "$cache" -maxdepth 1 -name "*.dsc" | sed -n 1p)
	mkdir -p "$(dirname "$dest")"
	dpkg-source --no-check -x "$dsc" "$dest" >/dev/null
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	top=$(cd "$(dirname "$0")/.." && pwd)
	build="$top/build"
	say() { printf 'debsrc: %s\n' "$*" >&2; }
	[ $# -eq 2 ] || { echo "usage: scripts/debsrc.sh PACKAGE DEST" >&2; exit 2; }
	[ -e "$2" ] && { say "$2: already exists"; exit 1; }
	debsrc_fetch "$1" "$2"
fi
