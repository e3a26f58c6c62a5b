#!/usr/bin/env bash
# t_openssl.sh BUILD_DIR - `make check-slow`: the OpenSSL recipe of
# docs/LIBRARIES.md (Debian's source package, several minutes to build) into
# the library prefix, and a fat program hashing an asset with its libcrypto
# through --pkg. Not part of make check.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/libs/recipes.sh"

seq 1 50000 >data.txt && mkdir -p data && mv data.txt data/
if install openssl; then
	check "libcrypto.a, libssl.a and their .pc files are in the prefix" \
		test -f "$prefix/lib/libcrypto.a" -a -f "$prefix/lib/libssl.a" \
		-a -f "$prefix/lib/pkgconfig/libcrypto.pc"
	check "build --pkg libcrypto" "$FATPACK" build "$libs/sha256.c" \
		--pkg libcrypto -a data -o sha256
	check_eq "... its SHA-256 of the asset is sha256sum's" \
		"$(sha256sum <data/data.txt | cut -d' ' -f1)" \
		"$(./sha256 2>&1 | cut -d' ' -f1)"
	check_grep "... with the prefix's OpenSSL" "  OpenSSL 3\." <(./sha256 2>&1)
fi

done_testing
