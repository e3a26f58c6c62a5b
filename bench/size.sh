#!/usr/bin/env bash
# size.sh BUILD_DIR - the size of a fat binary (issue 9: at most 100 KB for
# a program that does nothing and for the hello example), for x86_64 and
# aarch64 from one `fatpack build --target x86_64 --target aarch64`, beside
# a musl static program that does nothing (`musl-gcc -static -Os -s`); then
# where the bytes of the do-nothing program go, from the linker's map.
# Sizes are bytes, not times: the machine's load does not change them.
# Prints a Markdown section on stdout.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

goal=102400     # 100 KiB

# sizes PROGRAM.c ASSETS-ARGS...: "x86_64-bytes aarch64-bytes" of one build
# for both machines.
sizes() {
	local src=$1
	shift
	"$fatpack" build -q --target x86_64 --target aarch64 "$src" "$@" \
		-o "$work/out-{arch}"
	echo "$(stat -c %s "$work/out-x86_64") $(stat -c %s "$work/out-aarch64")"
}

# plain_sizes [X86-LDFLAGS [AARCH64-LDFLAGS]]: the do-nothing program
# linked by musl-gcc alone, for both machines.
plain_sizes() {
	local specs=$build/lib/fatpack/aarch64/musl/lib/musl-gcc.specs
	# shellcheck disable=SC2086 # flags are words
	musl-gcc -static -Os -s ${1:-} "$work/nothing.c" -o "$work/plain-x86_64"
	# shellcheck disable=SC2086
	aarch64-linux-gnu-gcc -specs "$specs" -static -Os -s ${2:-} \
		"$work/nothing.c" -o "$work/plain-aarch64"
	echo "$(stat -c %s "$work/plain-x86_64") $(stat -c %s "$work/plain-aarch64")"
}

verdict() { [ "$1" -le "$goal" ] && echo yes || echo "no (+$(($1 - goal)))"; }

printf 'int main(void) { return 0; }\n' >"$work/nothing.c"
read -r none_x none_a < <(sizes "$work/nothing.c")
read -r hello_x hello_a < <(sizes "$top/examples/hello/hello.c" \
	-a "$top/examples/hello/assets")
read -r plain_x plain_a < <(plain_sizes)
layout="-Wl,-z,noseparate-code"
read -r same_x same_a < <(plain_sizes "$layout" "$layout -Wl,-z,norelro")

cat <<EOF2
## Size of a fat binary

\`fatpack build --target x86_64 --target aarch64\` (musl, static, stripped;
the aarch64 musl built from Debian's source package with Debian's
gcc-aarch64-linux-gnu). Goal (issue 9): at most 100 KiB ($goal B) for both
programs.

| program | x86_64 bytes | aarch64 bytes | x86_64 within the goal |
|---|---:|---:|---|
| \`int main(void) { return 0; }\`, no assets | $none_x | $none_a | $(verdict "$none_x") |
| examples/hello, 3 assets | $hello_x | $hello_a | $(verdict "$hello_x") |
| the same do-nothing program, \`musl-gcc -static -Os -s\` | $plain_x | $plain_a | |
| the same, laid out as \`fatpack cc\` does (\`-z noseparate-code\`; aarch64 \`-z norelro\` too) | $same_x | $same_a | |
| the runtime's share (first row minus the last one) | $((none_x - same_x)) | $((none_a - same_a)) | |

EOF2

# Where the do-nothing program's bytes go: the input sections the link
# kept, by archive, from `fatpack cc -Wl,-Map` (x86_64).
"$fatpack" cc "$work/nothing.c" -o "$work/mapped" -s \
	-Wl,-Map="$work/map" >/dev/null
elf=$(stat -c %s "$work/mapped")
awk -v elf="$elf" -v total="$none_x" '
function hex(s,   i, v) {
	sub(/^0x/, "", s)
	for (i = 1; i <= length(s); i++)
		v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v
}
function add(sec, size, file,   lib) {
	if (sec ~ /^\.(debug|comment|note|bss|tbss)/ || size == 0)
		return
	lib = file
	sub(/\(.*/, "", lib)
	sub(/.*\//, "", lib)
	if (lib !~ /^lib.*\.a$/)
		lib = "the program and the C start files"
	bytes[lib] += size
	sum += size
}
/^Linker script and memory map/ { on = 1; next }
!on { next }
/^ \.[^ ]+$/ { pend = $1; next }
pend != "" && /^ +0x/ { add(pend, hex($2), $3); pend = ""; next }
/^ \.[^ ]+ +0x/ { add($1, hex($3), $4) }
{ pend = "" }
END {
	print "Where the do-nothing program'"'"'s bytes go (x86_64, the input"
	print "sections the link keeps, from `fatpack cc -Wl,-Map`):"
	print ""
	print "| part | bytes |"
	print "|---|---:|"
	n = split("libfatpack.a libzstd.a libc.a", order, " ")
	for (i = 1; i <= n; i++)
		printf "| %s | %d |\n", order[i], bytes[order[i]]
	for (k in bytes)
		if (k !~ /^lib(fatpack|zstd|c)\.a$/)
			printf "| %s | %d |\n", k, bytes[k]
	printf "| ELF and section headers, alignment | %d |\n", elf - sum
	printf "| payload padding to 4096, payload, trailer | %d |\n", total - elf
	printf "| **artifact** | **%d** |\n", total
}' "$work/map"

cat <<'EOF2'

What each change of the size work saved, measured once (2026-11-30) by
linking the do-nothing program and the hello example with the runtime and
the decoder of each step, cumulative, x86_64; "loaded" is `size`'s text +
data, "file" the stripped ELF before the payload (it moves in 4 KiB steps
while the segments are page-aligned). At the start the artifacts were
213,335 B (do-nothing) and 218,426 B (hello).

| step | do-nothing file | loaded | hello file | loaded |
|---|---:|---:|---:|---:|
| session start | 210672 | 204343 | 214768 | 206231 |
| zstd without unwind tables | 206576 | 200151 | 210672 | 202039 |
| zstd `HUF_FORCE_DECOMPRESS_X1` | 202480 | 191991 | 202480 | 193879 |
| zstd `ZSTD_FORCE_DECOMPRESS_SEQUENCES_SHORT` | 194288 | 185783 | 194288 | 187735 |
| zstd `ZSTD_NO_INLINE` | 190192 | 181191 | 190192 | 183143 |
| runtime without unwind tables | 182000 | 171835 | 182000 | 173387 |
| fnmatch only in the bundler (and the wide-character tables) | 165616 | 153723 | 165616 | 155211 |
| ISO time without strftime (and the time zone code) | 157408 | 145487 | 157408 | 146975 |
| `-z noseparate-code` | 149216 | 145487 | 149216 | 146975 |
| (not taken on x86_64: `-z norelro` as well) | 149792 | 145487 | 149792 | 146975 |

zstd decoding speed of the decoder variants (one frame of 20 MB of the
documentation tree's HTML and text, CPU time, median of 5 alternating
rounds on this loaded machine): 238 MB/s as before, 254 MB/s with the
X1 Huffman decoder, 250 MB/s with the short sequence decoder too, 180 MB/s
with ZSTD_NO_INLINE as well (-3 frame; 211 MB/s on a -19 frame).
`ZSTD_STRIP_ERROR_STRINGS` saves nothing: the runtime never asks zstd for
an error's name. `-z noseparate-code` gives up one hardening: the ELF
headers and read-only data are mapped executable with the code, as before
binutils 2.31. `-z norelro` is for aarch64 only: its 64 KiB pages made the
RELRO part of the data start 24 KiB further into every file (do-nothing
program: 198,304 B linked, 153,880 B with it); on x86_64 it would move the
data to a page of its own in the file instead (+576 B, the last row).
Nothing is lost: a static musl program never applies PT_GNU_RELRO (only
musl's dynamic linker does).

What is left between these steps and the goal (x86_64, from the map
above): the C library's 58.6 KB hold vfprintf (10.5 KB; the runtime's
messages, and the hello example prints too), malloc (9 KB), strerror
(2.2 KB), qsort (2.2 KB), strtol's integer scanner (2.5 KB), getpwnam with
musl's nscd client and getline (3.8 KB, the jail's user), realpath (1.4 KB,
which the mount wraps), strstr (1.3 KB), and the system call wrappers the
mount's --wrap flags reach; the runtime's 60 KB are spread over twenty
files, none above 8 KB (reader 7.7, check 5.3, tarcheck 5.1, mount 4.9, jail
4.5, entry 4.0 with the flags' help, prune 3.8, install 3.8, health 3.2,
sha256 2.8, info 2.8, unit 2.7 with the unit template, wrap 2.5, extract
2.4); the decoder is 24 KB. Own code for qsort, strtol, getpwnam (losing
nscd) and strstr would save about 10 KB, compiling the runtime with
-fno-pie 1.2 KB (and break a `-static-pie` link); the other 38 KB to the
goal are the flags' own code and the libc it calls, which every artifact
carries: only moving that code out of the artifact would reach it.

EOF2
