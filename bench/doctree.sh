#!/usr/bin/env bash
# doctree.sh [DEST] - unpack a real documentation tree for the benchmarks:
# Debian's gnucash-docs (about 3,200 files, 173 MB: HTML pages that share
# their head and navigation, PNG screenshots repeated across languages, XML).
# Prints the tree's path (default build/bench/doctree/usr/share). Nobody here
# wrote it, and every benchmark that needs "a real tree" uses this one, so
# their numbers compare.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$root/build/bench/doctree}
pkg=gnucash-docs

if [ ! -d "$dest/usr/share" ]; then
	cache=$root/build/bench/deb
	mkdir -p "$cache"
	if ! ls "$cache"/${pkg}_*.deb >/dev/null 2>&1; then
		(cd "$cache" && apt-get download "$pkg" >&2) ||
			{ echo "doctree.sh: apt-get download $pkg failed" >&2; exit 1; }
	fi
	rm -rf "$dest.tmp"
	mkdir -p "$dest.tmp"
	dpkg-deb -x "$cache"/${pkg}_*.deb "$dest.tmp"
	mv "$dest.tmp" "$dest"
fi
echo "$dest/usr/share"
