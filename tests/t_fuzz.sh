#!/usr/bin/env bash
# t_fuzz.sh BUILD_DIR - short libFuzzer runs of the server's request parser
# (tests/fuzz/fuzz_http.c, seeded with tests/fuzz/corpus and the broken
# requests) and of the format reader (tests/fuzz/fuzz_reader.c, seeded with
# artifacts built here). FATPACK_FUZZ_SECONDS sets the length of each run
# (default 30). A crashing input is kept in BUILD_DIR/fuzz-crashes/.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

SECS=${FATPACK_FUZZ_SECONDS:-30}
CRASHES=$BUILD/fuzz-crashes
# shellcheck disable=SC2054 # -fsanitize takes a comma-separated list
FUZZ_CC=(clang -std=c11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=all -iquote "$TOP/stub" -I"$TOP/include")

# build NAME SOURCES... [LIBS]: the target, or a failed check.
build() {
	local name=$1
	shift
	if "${FUZZ_CC[@]}" "$@" -o "$T/$name" 2>"$T/cc.err"; then
		ok "build $name"
	else
		not_ok "build $name" "$(cat "$T/cc.err")"
		return 1
	fi
}

# fuzz NAME WHAT CORPUS [FLAGS...]: one run of SECS seconds.
fuzz() {
	local name=$1 what=$2 corpus=$3 runs
	shift 3
	mkdir -p "$T/$name-crash"
	if (cd "$T" && "./$name" -max_total_time="$SECS" -print_final_stats=1 \
		-artifact_prefix="$T/$name-crash/" "$@" "$corpus") >"$T/$name.log" 2>&1; then
		runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$T/$name.log" |
			grep -o '[0-9]*$')
		ok "fuzz $what for ${SECS}s ($runs runs)"
	else
		mkdir -p "$CRASHES" && cp "$T/$name-crash"/* "$CRASHES/" 2>/dev/null
		not_ok "fuzz $what for ${SECS}s (inputs kept in $CRASHES)" \
			"$(grep -E -A8 'ERROR|SUMMARY|runtime error|deadly signal' "$T/$name.log")"
	fi
}

# --- the request parser
if build fuzz_http "$TOP/tests/fuzz/fuzz_http.c" "$TOP/stub/server/http.c"; then
	mkdir -p "$T/http-corpus"
	cp "$TOP"/tests/fuzz/corpus/* "$TOP"/tests/fuzz/bad_requests/* "$T/http-corpus/"
	fuzz fuzz_http "the request parser" http-corpus -max_len=12000
fi

# --- the format reader, seeded with real artifacts
# seed.py ARTIFACT OUT [plain]: the payload and trailer of ARTIFACT with
# payload_offset 0 (the ELF image dropped: payload-relative offsets hold), its
# index decompressed with flag bit 0 cleared when "plain" is given.
cat >"$T/seed.py" <<'PY'
import hashlib, struct, subprocess, sys

d = open(sys.argv[1], 'rb').read()
t = bytearray(d[-96:])
flags, = struct.unpack_from('<I', t, 20)
po, ps, io, isz = struct.unpack_from('<QQQQ', t, 24)
payload = d[po:po + ps]
index = payload[io + 8:io + isz]
if len(sys.argv) > 3 and flags & 1:
    index = subprocess.run(['zstd', '-dcq'], input=index, check=True,
                           stdout=subprocess.PIPE).stdout
    flags &= ~1
    payload = payload[:io] + struct.pack('<II', 0x184D2A5E, len(index)) + index
struct.pack_into('<IQQQQ', t, 20, flags, 0, len(payload), io, len(index) + 8)
t[56:88] = hashlib.sha256(index).digest()
t[88:96] = hashlib.sha256(t[:88]).digest()[:8]
open(sys.argv[2], 'wb').write(payload + t)
PY

seeds=$T/reader-corpus
# opens SEED...: fatpack ls reads each seed.
opens() {
	local s
	for s in "$@"; do
		"$FATPACK" ls "$seeds/$s" >/dev/null 2>>"$T/seed.err" || return 1
	done
}
mkdir -p "$seeds" "$T/assets/sub" "$T/assets/folder"
printf 'hello\n' >"$T/assets/hello.txt"
: >"$T/assets/empty.txt"
printf 'body { margin: 0 }\n' >"$T/assets/sub/s.css"
head -c 3000 /dev/urandom >"$T/assets/sub/noise.bin"
printf 'int main(void) { return 0; }\n' >"$T/main.c"
# Pages that share their head, enough for a dictionary (FORMAT.md 4.3:
# fewer, or less alike, get none), so that its rules have a seed.
similar_pages "$T/pages" html
# Programs without a payload, for the reader's "what is this file" answers:
# linked by cc (symbols), stripped (payload lost), with bytes after it (cut).
printf '__attribute__((used, section(".fatpack"))) static const char m[] = "fatpack-runtime 1";\nvoid _start(void) { for (;;); }\n' \
	>"$T/bare.c"
if cc -nostdlib -static -Wl,--build-id=none -Wl,-z,max-page-size=64 \
	-o "$seeds/bare" "$T/bare.c" 2>"$T/cc.err" &&
	strip -o "$seeds/bare-stripped" "$seeds/bare" 2>>"$T/cc.err"; then
	cat "$seeds/bare-stripped" "$T/main.c" >"$seeds/bare-cut"
	ok "seed programs without a payload"
else
	not_ok "seed programs without a payload" "$(cat "$T/cc.err")"
fi
: >"$T/seed.err"
if fp_build "$T/app" "$T/main.c" "$T/assets" &&
	fp_build "$T/dict" "$T/main.c" "$T/pages" &&
	[ "$("$FATPACK" info --json "$T/dict" | jq .dictionary_size)" -gt 0 ] &&
	"$FATPACK" build -q --serve "$TOP/examples/site" -o "$T/site" 2>>"$T/seed.err" &&
	python3 "$T/seed.py" "$T/app" "$seeds/app" 2>>"$T/seed.err" &&
	python3 "$T/seed.py" "$T/app" "$seeds/app-plain-index" plain 2>>"$T/seed.err" &&
	mkdir -p "$T/dict-corpus" &&
	python3 "$T/seed.py" "$T/dict" "$T/dict-corpus/dict" 2>>"$T/seed.err" &&
	python3 "$T/seed.py" "$T/site" "$seeds/site" 2>>"$T/seed.err" &&
	opens app app-plain-index site ../dict-corpus/dict; then
	ok "seed artifacts"
	echo "# seeds: $(cd "$seeds" && stat -c '%n %s' -- * | paste -sd ' ')," \
		"$(cd "$T" && stat -c '%n %s' -- dict-corpus/dict)"
else
	not_ok "seed artifacts" "$(cat "$T/seed.err")"
fi

if build fuzz_reader "$TOP/tests/fuzz/fuzz_reader.c" "$TOP/stub/format/reader.c" \
	"$TOP/stub/format/check.c" "$TOP/stub/format/sha256.c" -lzstd; then
	fuzz fuzz_reader "the format reader" reader-corpus
	# A run of its own: the dictionary's seed is 69 KB, and in the same
	# corpus it made libFuzzer try inputs that long, a tenth of the runs.
	fuzz fuzz_reader "the format reader on a payload with a dictionary" \
		dict-corpus
fi
done_testing
