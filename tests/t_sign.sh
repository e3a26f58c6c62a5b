#!/usr/bin/env bash
# t_sign.sh BUILD_DIR - signed artifacts (docs/SIGNING.md): fatpack keygen,
# build --sign, verify --key, the detached signature checked by minisign
# (the real one, Debian's), one flipped byte in each region of the file
# caught by both, the wrong key, --require-signature refusing to start when
# tampered, and the bad inputs: a secret key others may read, a corrupt
# key, a truncated signature, a signature of another artifact.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

mkdir "$T/w" && cd "$T/w" || exit 2
mkdir site site2
echo hello >site/a.txt
echo other >site2/b.txt
cat >hello.c <<'EOF'
#include <stdio.h>
int main(void) { puts("started: hello"); return 0; }
EOF

# region.py APP REGION: an offset inside REGION of APP (docs/FORMAT.md 1):
# elf (the program's own string), payload, index, signature, trailer
cat >region.py <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read()
t = b[-96:]
poff, psize, ioff, isize = struct.unpack_from('<4Q', t, 24)
r = sys.argv[2]
if r == 'elf':
    print(b.index(b'started: hello') + 8)
elif r == 'payload':
    print(poff + 10)
elif r == 'index':
    print(poff + ioff + isize // 2)
elif r == 'signature':
    print(poff + ioff + isize + 40)
elif r == 'trailer':
    print(len(b) - 96 + 60)
PY

# flip APP OFFSET OUT: a copy of APP with the byte at OFFSET inverted
flip() {
	python3 - "$1" "$2" "$3" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[int(sys.argv[2])] ^= 0xff
open(sys.argv[3], 'wb').write(b)
PY
	chmod +x "$3"
}

# splice APP OTHER OUT: APP with the signature frame of OTHER
splice() {
	python3 - "$1" "$2" "$3" <<'PY'
import struct, sys
def frame(b):
    poff, psize, ioff, isize = struct.unpack_from('<4Q', b[-96:], 24)
    s = poff + ioff + isize
    return s, b[s:s + 88]
a = bytearray(open(sys.argv[1], 'rb').read())
o = open(sys.argv[2], 'rb').read()
s, _ = frame(a)
a[s:s + 88] = frame(o)[1]
open(sys.argv[3], 'wb').write(a)
PY
	chmod +x "$3"
}

# no_outputs NAME: nothing named out* (nor a temporary .out*) in the folder
no_outputs() {
	check_eq "$1" "" "$(find . -maxdepth 1 -name 'out*' -o -maxdepth 1 -name '.out*')"
}

# --- keys -------------------------------------------------------------------
check_output "keygen prints the key ID" '^key [0-9A-F]{16}: ' \
	"$FATPACK" keygen -o k
check_eq "secret key has mode 0600" 600 "$(stat -c %a k.key)"
check_grep "public key in minisign's format" \
	'^untrusted comment: minisign public key [0-9A-F]{16}$' k.pub
id=$(sed -n 's/.*public key //p' k.pub)
cp k.key k.key.before
check_fails "keygen never overwrites without -f" 'k\.(key|pub): exists \(fatpack keygen -f' \
	"$FATPACK" keygen -o k
check "keygen left the key alone" cmp -s k.key k.key.before
check "keygen -f replaces the pair" "$FATPACK" keygen -f -o k
if cmp -s k.key k.key.before; then
	not_ok "keygen -f made a new key"
else
	ok "keygen -f made a new key"
fi
id=$(sed -n 's/.*public key //p' k.pub)
"$FATPACK" keygen -o other >/dev/null

# --- sign, verify with fatpack and with minisign ----------------------------
check "build --sign" "$FATPACK" build -q hello.c -a site -o app --sign k.key
check "build --sign writes app.minisig" test -s app.minisig
check_output "fatpack verify --key names the signer" \
	"^app: OK .*signed by key $id\\)\$" "$FATPACK" verify --key k.pub app
check "minisign verifies the detached signature" \
	minisign -Vm app -p k.pub
pay=$("$FATPACK" info --json app | jq -r .payload_sha256)
check_output "the trusted comment names app and payload hash" \
	"app:hello.*payload_sha256:$pay" minisign -Vm app -p k.pub
check_eq "info --json names the signer" "$id" \
	"$("$FATPACK" info --json app | jq -r .signature_key_id)"
check_eq "APP --fatpack-info --json says the same" "$id" \
	"$(./app --fatpack-info --json | jq -r .signature_key_id)"
check_output "info names the signer" "^  signed by key +$id " "$FATPACK" info app
check_output "zstd -dc still reads the payload past the signature frame" \
	'^a\.txt$' sh -c "tail -c +\$((\$(./app --fatpack-offset) + 1)) app |
		zstd -dc | tar -t"
check_output "APP --fatpack-verify (no embedded key) checks the frame" \
	'^\./app: OK' ./app --fatpack-verify
check_output "the signed artifact runs" '^started: hello$' ./app

# one flipped byte anywhere fails both
for r in elf payload index signature trailer; do
	flip app "$(python3 region.py app $r)" "bad-$r"
	check_fails "fatpack verify --key: flipped byte in the $r" \
		"fatpack: bad-$r: " "$FATPACK" verify --key k.pub "bad-$r"
	check_fails "minisign: flipped byte in the $r" 'failed|invalid|error' \
		minisign -Vm "bad-$r" -x app.minisig -p k.pub
done

# the frame's form, checked without a key by both sides alike
sig=$(python3 region.py app signature)
flip app $((sig - 40)) badmagic
flip app $((sig - 40 + 8)) badtag
for f in badmagic badtag; do
	re='signature: bad skippable frame header'
	[ $f = badtag ] && re='signature: bad tag'
	check_fails "fatpack verify: $f" "^fatpack: $f: $re\$" "$FATPACK" verify $f
	check_fails "APP --fatpack-verify: $f" "^\./$f: \./$f: $re\$" ./$f --fatpack-verify
done

check_fails "the wrong key fails fatpack verify" \
	"signed with key $id, not with key" \
	"$FATPACK" verify --key other.pub app
check_fails "the wrong key fails minisign" 'key|failed' \
	minisign -Vm app -p other.pub

# keys from minisign itself, both ways
minisign -G -W -p mk.pub -s mk.key >/dev/null
chmod 600 mk.key
check "a minisign -W secret key signs" \
	"$FATPACK" build -q hello.c -a site -o app-mk --sign mk.key
check "fatpack verify with minisign's public key" \
	"$FATPACK" verify --key mk.pub app-mk
check "minisign verifies it" minisign -Vm app-mk -p mk.pub
check "minisign signs with a fatpack key" \
	sh -c 'minisign -S -s k.key -m app -x app.ms2 -t test </dev/null &&
		minisign -Vm app -x app.ms2 -p k.pub'

# the secret key from the environment; never printed
key_text=$(cat k.key)
check "--sign env:NAME" env FP_TEST_KEY="$key_text" \
	"$FATPACK" build -v hello.c -a site -o app-env --sign env:FP_TEST_KEY
if grep -qF "$(tail -n 1 k.key)" "$T/.err" "$T/.out"; then
	not_ok "the secret key is never printed"
else
	ok "the secret key is never printed"
fi
check "env-signed verifies" "$FATPACK" verify --key k.pub app-env
check_fails "--sign env:NAME unset" 'env:FP_UNSET_KEY: environment variable not set' \
	"$FATPACK" build -q hello.c -a site -o out --sign env:FP_UNSET_KEY
no_outputs "no output without the key"

# fatpack.ini: sign = , relative to the file
mkdir proj
cp hello.c proj/ && cp -r site proj/ && cp k.key proj/ && chmod 600 proj/k.key
cat >proj/fatpack.ini <<'EOF'
[app]
name = proj
output = out/proj
sign = k.key
require_signature = yes
[build]
sources = hello.c
[assets]
dir = site
EOF
# shellcheck disable=SC2016 # FATPACK is exported: the inner shell expands it
check "sign = in fatpack.ini" sh -c 'cd proj && "$FATPACK" build -q'
check "its signature verifies" "$FATPACK" verify --key k.pub proj/out/proj
check "and minisign's" minisign -Vm proj/out/proj -p k.pub

# --- --require-signature ------------------------------------------------------
check "build --require-signature" "$FATPACK" build -q hello.c -a site \
	-o rapp --sign k.key --require-signature
check_output "intact: starts" '^started: hello$' ./rapp
check_output "intact: --fatpack-verify checks the embedded key" \
	"^\./rapp: OK .*signed by key $id\\)\$" ./rapp --fatpack-verify
check_output "info shows the embedded key" '^ *signature\.key +RW' \
	"$FATPACK" info rapp
for r in elf index signature trailer; do
	flip rapp "$(python3 region.py rapp $r)" "rbad-$r"
	check_fails "tampered $r: refuses to start" '^\./rbad-[a-z]+: ' \
		"./rbad-$r"
	if grep -q started "$T/.out"; then
		not_ok "tampered $r: main never ran"
	else
		ok "tampered $r: main never ran"
	fi
done
# an entry's mode changed and the index's own checks (format 1.2) written
# again, the trailer left as signed: the lazy open takes the entry, so the
# check before main must hash the index the trailer's SHA-256 covers
PYTHONPATH=$TOP/tests python3 - rapp rbad-sealed <<'PY'
import struct, sys
import fpindex
d = bytearray(open(sys.argv[1], 'rb').read())
po, _, io, isz = struct.unpack_from('<QQQQ', d, len(d) - 96 + 24)
s = po + io + 8
idx = bytearray(d[s:po + io + isz])
idx[32 + 48] ^= 1
d[s:po + io + isz] = fpindex.seal(idx, fpindex.minor(d))
open(sys.argv[2], 'wb').write(d)
PY
chmod +x rbad-sealed
check_fails "index changed, its checks resealed: refuses to start" \
	'refusing to start: index checksum mismatch' ./rbad-sealed
flip rapp "$(python3 region.py rapp payload)" rbad-payload
check_fails "tampered payload: --fatpack-verify fails" 'payload SHA-256 mismatch' \
	./rbad-payload --fatpack-verify
splice rapp app rapp-other
check_fails "a signature for another artifact: refuses to start" \
	'refusing to start: signature does not verify' ./rapp-other

check_fails "--require-signature needs --sign" 'needs --sign KEY' \
	"$FATPACK" build -q hello.c -a site -o out --require-signature
"$FATPACK" cc hello.c -o plain-prog
check_fails "--require-signature: a PROGRAM without the check" \
	'has no signature check.*fatpack cc --require-signature' \
	"$FATPACK" build -q plain-prog -a site -o out --sign k.key \
	--require-signature
check "fatpack cc --require-signature links the check" \
	"$FATPACK" cc --require-signature hello.c -o signed-prog
check "and build takes it" "$FATPACK" build -q signed-prog -a site -o rapp2 \
	--sign k.key --require-signature
check_output "it starts when intact" '^started: hello$' ./rapp2
check_fails "--require-signature --target aarch64 is refused" \
	'--require-signature: builds for x86_64 only' \
	"$FATPACK" build -q hello.c -a site -o out --sign k.key \
	--require-signature --target aarch64
no_outputs "no output from the refused builds"

# --- bad inputs -----------------------------------------------------------------
chmod 644 k.key
check_fails "a secret key readable by others is refused" \
	'k.key: secret key readable or writable by group or others' \
	"$FATPACK" build -q hello.c -a site -o out --sign k.key
chmod 640 k.key
check_fails "a secret key readable by the group is refused" \
	'k.key: secret key readable' \
	"$FATPACK" build -q hello.c -a site -o out --sign k.key
chmod 600 k.key
no_outputs "no output with an exposed key"

printf 'untrusted comment: x\nRWQAAEIy%%%%%%\n' >corrupt.key
chmod 600 corrupt.key
check_fails "a corrupt secret key" '^fatpack: corrupt.key: not a minisign secret key' \
	"$FATPACK" build -q hello.c -a site -o out --sign corrupt.key
python3 - k.key half.key <<'PY'
import base64, sys
lines = open(sys.argv[1]).read().split('\n')
raw = bytearray(base64.b64decode(lines[1]))
raw[62 + 40] ^= 1          # a byte of the public half of the secret key
open(sys.argv[2], 'w').write(lines[0] + '\n' +
                             base64.b64encode(raw).decode() + '\n')
PY
chmod 600 half.key
check_fails "a secret key whose checksum fails" '^fatpack: half.key: corrupt secret key' \
	"$FATPACK" build -q hello.c -a site -o out --sign half.key
printf 'RWQzFyiPP01QtPyR\n' >corrupt.pub
check_fails "a corrupt public key" '^fatpack: corrupt.pub: not a minisign public key' \
	"$FATPACK" verify --key corrupt.pub app
check_eq "corrupt-key errors are one line" 1 "$(wc -l <"$T/.err")"
no_outputs "no output with a corrupt key"

python3 - app trunc <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read()
poff, psize, ioff, isize = struct.unpack_from('<4Q', b[-96:], 24)
s = poff + ioff + isize
open(sys.argv[2], 'wb').write(b[:s + 40] + b[s + 88:])
PY
check_fails "a truncated signature frame" '^fatpack: trunc: (truncated|corrupt trailer)' \
	"$FATPACK" verify --key k.pub trunc
head -c 120 app.minisig >trunc.minisig
check_fails "a truncated .minisig fails minisign" '.' \
	minisign -Vm app -x trunc.minisig -p k.pub

check "an artifact of other assets" \
	"$FATPACK" build -q hello.c -a site2 -o app2 --sign k.key
splice app app2 app-other
check_fails "a signature for another artifact: fatpack verify" \
	'signature does not verify with key' \
	"$FATPACK" verify --key k.pub app-other
check_fails "a signature for another artifact: minisign" '.' \
	minisign -Vm app -x app2.minisig -p k.pub
"$FATPACK" build -q hello.c -a site -o plain
check_fails "verify --key of an unsigned artifact" '^fatpack: plain: not signed$' \
	"$FATPACK" verify --key k.pub plain

done_testing
