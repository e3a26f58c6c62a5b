#!/usr/bin/env bash
# t_fuzz.sh BUILD_DIR - a short libFuzzer run over the server's request parser
# (tests/fuzz/fuzz_http.c), seeded with tests/fuzz/corpus and the broken
# requests. FATPACK_FUZZ_SECONDS sets the length (default 30).
. "$(dirname "$0")/lib.sh"

SECS=${FATPACK_FUZZ_SECONDS:-30}
BIN=$T/fuzz_http

if ! clang -std=c11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -iquote "$TOP/stub" "$TOP/tests/fuzz/fuzz_http.c" \
	"$TOP/stub/server/http.c" -o "$BIN" 2>"$T/cc.err"; then
	not_ok "build the fuzz target" "$(cat "$T/cc.err")"
	done_testing
fi
ok "build the fuzz target"

mkdir -p "$T/corpus"
cp "$TOP"/tests/fuzz/corpus/* "$TOP"/tests/fuzz/bad_requests/* "$T/corpus/"
if (cd "$T" && "$BIN" -max_total_time="$SECS" -max_len=12000 \
	-print_final_stats=1 corpus) >"$T/fuzz.log" 2>&1; then
	ok "fuzz the request parser for ${SECS}s ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$T/fuzz.log" | grep -o '[0-9]*$') runs)"
else
	not_ok "fuzz the request parser for ${SECS}s" \
		"$(grep -E -A8 'ERROR|SUMMARY|runtime error' "$T/fuzz.log")"
fi
done_testing
