# shellcheck shell=bash
# recipes.sh - sourced after tests/lib.sh by the tests that run the recipes of
# docs/LIBRARIES.md (t_libraries.sh, slow/t_openssl.sh).
#
# The library prefix (FATPACK_PREFIX) has a fixed path in the build folder,
# emptied here (pkg-config files hold absolute paths, so a prefix cannot
# move); nothing is written to $HOME. What a recipe installs is cached in
# BUILD/test-libs/cache, keyed on the prefix's path, the fatpack command,
# the runtime, the recipe's text, the Debian source package and what was installed before it:
# a second run unpacks it, and any change to the toolchain builds it again.

libs=$TOP/tests/libs
prefix=$BUILD/test-libs/$(basename "$0" .sh)/prefix   # one per script
cache=$BUILD/test-libs/cache
export FATPACK_PREFIX=$prefix
export PATH=$BUILD/bin:$PATH
export MAKEFLAGS=-j2
unset PKG_CONFIG_PATH PKG_CONFIG_LIBDIR
rm -rf "$prefix" && mkdir -p "$prefix" "$cache" || exit 2
cd "$T" || exit 2

# recipe NAME: the shell lines of docs/LIBRARIES.md's recipe NAME.
recipe() {
	awk -v mark="<!-- recipe: $1 -->" '
		$0 == mark { found = 1; next }
		found && !on && /^```sh$/ { on = 1; next }
		on && /^```$/ { exit }
		on { print }' "$TOP/docs/LIBRARIES.md"
}

# install NAME: runs recipe NAME in a new folder, installing into the prefix,
# or unpacks the prefix it left last time.
key=none
install() {
	local name=$1 text dsc tarball
	text=$(recipe "$name")
	if [ -z "$text" ]; then
		not_ok "docs/LIBRARIES.md has the $name recipe"
		return 1
	fi
	dsc=$(ls "$TOP/build/src-cache/$name/"*.dsc 2>/dev/null)
	key=$({ printf '%s\n' "$key" "$prefix" "$text" "$dsc"; cat "$FATPACK" \
		"$BUILD/lib/fatpack/libfatpack.a"; } | sha256sum | cut -c1-16)
	tarball=$cache/$name-$key.tar
	if [ -f "$tarball" ]; then
		rm -rf "$prefix" && mkdir -p "$prefix" &&
			tar -xf "$tarball" -C "$prefix"
		ok "the $name recipe of LIBRARIES.md installs into the prefix (cached: $tarball)"
		return 0
	fi
	mkdir -p "$T/$name"
	# scripts/debsrc.sh is the checkout's; the recipe runs as written. With
	# the sanitizer toolchain, the tools a build compiles and runs (SQLite's
	# lemon parser generator) free nothing before they exit, as is their
	# right: LeakSanitizer is off for the build only.
	if ! (cd "$T/$name" && export ASAN_OPTIONS=detect_leaks=0 &&
		printf '%s\n' "$text" |
		sed "s|scripts/debsrc.sh|$TOP/scripts/debsrc.sh|" |
		nice bash -e -x) >"$T/$name.log" 2>&1; then
		not_ok "the $name recipe of LIBRARIES.md installs into the prefix" \
			"$(grep -v '^[^:]*: warning' "$T/$name.log" | tail -n 10)"
		return 1
	fi
	ok "the $name recipe of LIBRARIES.md installs into the prefix"
	rm -f "$cache/$name"-*.tar
	tar -cf "$tarball" -C "$prefix" .
}
