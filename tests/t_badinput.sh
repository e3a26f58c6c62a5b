#!/usr/bin/env bash
# t_badinput.sh BUILD_DIR - every bad input gets a clear error and a non-zero
# exit, never a crash: files that are not fat binaries, truncated and corrupt
# artifacts, an unknown format version, a stripped artifact, asset archives
# that try to escape, extraction through a symlink, a dynamic program.
# The read commands and the fat binary's own --fatpack-* flags are both tested.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

# fp.py: looks into and patches artifacts (docs/FORMAT.md). With trailer
# flag bit 0 the index data is a zstd frame (section 4.1): it is decoded with
# the zstd CLI to read it, and encoded again after a patch.
cat >"$T/fp.py" <<'PY'
import hashlib, struct, sys
import fpindex

def trailer(d):
    return struct.unpack_from('<QQQQ', d, len(d) - 96 + 24)

def zindex(d):
    return struct.unpack_from('<I', d, len(d) - 96 + 20)[0] & 1

def index_start(d):
    po, _, io, _ = trailer(d)
    return po + io

def index_data(d):
    po, _, io, isz = trailer(d)
    idx = bytes(d[po + io + 8:po + io + isz])
    return fpindex.decompress(idx) if zindex(d) else idx

# The artifact d with index data idx (encoded as d's flags say), every
# size and checksum after the tar stream fixed, the index's own (1.3) too.
def with_index(d, idx):
    po, _, io, _ = trailer(d)
    idx = fpindex.seal(idx, fpindex.minor(d))
    if zindex(d):
        idx = fpindex.compress(idx)
    tr = bytearray(d[len(d) - 96:])
    struct.pack_into('<QQQQ', tr, 24, po, io + 8 + len(idx), io, 8 + len(idx))
    tr[56:88] = hashlib.sha256(idx).digest()
    tr[88:96] = hashlib.sha256(bytes(tr[:88])).digest()[:8]
    return bytearray(d[:po + io] + struct.pack('<II', 0x184D2A5E, len(idx)) +
                     idx + tr)

def frame(d, path):
    po, _, io, isz = trailer(d)
    idx = index_data(d)
    count, esz, strsz, _ = struct.unpack_from('<IIII', idx, 8)
    strtab = idx[32 + count * esz:32 + count * esz + strsz]
    for i in range(count):
        fo, fs = struct.unpack_from('<QQ', idx, 32 + i * esz)
        po_, pl = struct.unpack_from('<II', idx, 32 + i * esz + 32)
        if strtab[po_:po_ + pl] == path.encode():
            return po + fo, fs
    sys.exit('fp.py: no entry ' + path)

def set_major(d, major):
    t = len(d) - 96
    d[t + 16:t + 18] = struct.pack('<H', major)
    d[t + 88:t + 96] = hashlib.sha256(bytes(d[t:t + 88])).digest()[:8]

def set_size(d, path, size):
    idx = bytearray(index_data(d))
    count, esz, strsz, _ = struct.unpack_from('<IIII', idx, 8)
    strtab = idx[32 + count * esz:32 + count * esz + strsz]
    for i in range(count):
        so, sl = struct.unpack_from('<II', idx, 32 + i * esz + 32)
        if strtab[so:so + sl] == path.encode():
            struct.pack_into('<Q', idx, 32 + i * esz + 16, size)
    return with_index(d, bytes(idx))

def set_type(d, path, t):
    idx = bytearray(index_data(d))
    count, esz, strsz, _ = struct.unpack_from('<IIII', idx, 8)
    strtab = idx[32 + count * esz:32 + count * esz + strsz]
    for i in range(count):
        so, sl = struct.unpack_from('<II', idx, 32 + i * esz + 32)
        if strtab[so:so + sl] == path.encode():
            idx[32 + i * esz + 52] = t
    return with_index(d, bytes(idx))

# d as fatpack build 1.1 wrote it: the index compressed, flag bit 0 set,
# minor version 1.
def as_v11(d):
    idx = index_data(d)
    t = len(d) - 96
    d[t + 18:t + 20] = struct.pack('<H', 1)
    d[t + 20:t + 24] = struct.pack('<I', 1)
    return with_index(d, idx)

cmd, f = sys.argv[1], sys.argv[2]
d = bytearray(open(f, 'rb').read())
if cmd == 'index-start':
    print(index_start(d))
elif cmd == 'frame':
    print(*frame(d, sys.argv[3]))
elif cmd == 'flip':
    d[int(sys.argv[3])] ^= 0xff
    open(f, 'wb').write(d)
elif cmd == 'set-size':
    d = set_size(d, sys.argv[3], int(sys.argv[4], 0))
    open(f, 'wb').write(d)
elif cmd == 'set-type':
    d = set_type(d, sys.argv[3], int(sys.argv[4]))
    open(f, 'wb').write(d)
elif cmd == 'as-v11':
    d = as_v11(d)
    open(f, 'wb').write(d)
elif cmd == 'set-major':
    set_major(d, int(sys.argv[3]))
    open(f, 'wb').write(d)
PY
fp() { PYTHONPATH=$TOP/tests python3 "$T/fp.py" "$@"; }

mkdir -p "$T/assets/sub" "$T/work"
printf 'Hello\n' >"$T/assets/greeting.txt"
printf 'other\n' >"$T/assets/other.txt"
printf 'inside sub\n' >"$T/assets/sub/file.txt"
head -c 200000 /dev/urandom >"$T/assets/big.bin"
app=$T/app
fp_build "$app" "$TOP/examples/hello/hello.c" "$T/assets" || done_testing

# readers FILE REGEX: `fatpack ls/cat/verify/info` all refuse FILE.
readers() {
	local f=$1 re=$2 n
	n=$(basename "$f")
	check_fails "$n: fatpack ls" "$re" "$FATPACK" ls "$f"
	check_fails "$n: fatpack cat" "$re" "$FATPACK" cat "$f" greeting.txt
	check_fails "$n: fatpack verify" "$re" "$FATPACK" verify "$f"
	check_fails "$n: fatpack info" "$re" "$FATPACK" info "$f"
}

# runs FILE REGEX: the fat binary itself refuses to list or verify.
runs() {
	local f=$1 re=$2 n
	n=$(basename "$f")
	chmod +x "$f"
	check_fails "$n: --fatpack-verify" "$re" "$f" --fatpack-verify
	check_fails "$n: --fatpack-list" "$re" "$f" --fatpack-list
}

# --- files that are not fat binaries
cp /bin/true "$T/true-copy"
printf 'just some text\n' >"$T/text-file"
: >"$T/empty-file"
for f in true-copy text-file empty-file; do
	readers "$T/$f" "$f: .*not a fat binary"
done
check_fails "missing file: fatpack ls" "no-such-file: No such file" \
	"$FATPACK" ls "$T/no-such-file"

# --- truncated artifacts: the trailer is gone, the runtime section is there
lost='truncated|cut short|payload lost'
size=$(stat -c %s "$app")
head -c $((size - 10)) "$app" >"$T/cut-trailer"
istart=$(fp index-start "$app")
head -c $((istart + 20)) "$app" >"$T/cut-index"
read -r boff blen < <(fp frame "$app" big.bin)
head -c $((boff + blen / 2)) "$app" >"$T/cut-frame"
for f in cut-trailer cut-index cut-frame; do
	readers "$T/$f" "$f: .*($lost)"
	runs "$T/$f" "$lost"
done
# bytes missing from the middle, trailer intact: the sizes disagree
{ head -c $((boff + 1000)) "$app"; tail -c +$((boff + 5001)) "$app"; } >"$T/cut-middle"
readers "$T/cut-middle" "cut-middle: .*(truncated|corrupt)"
runs "$T/cut-middle" "truncated|corrupt"

# --- one flipped byte in the middle of big.bin's content frame
cp "$app" "$T/flipped"
fp flip "$T/flipped" $((boff + blen / 2))
check_fails "flipped: fatpack cat names the asset" "big\.bin" \
	"$FATPACK" cat "$T/flipped" big.bin
check_eq "flipped: fatpack cat outputs nothing of it" 0 "$(stat -c %s "$T/.out")"
check_eq "flipped: the other assets still read" "other" \
	"$("$FATPACK" cat "$T/flipped" other.txt 2>&1)"
check_fails "flipped: fatpack verify names the asset" "big\.bin" \
	"$FATPACK" verify "$T/flipped"
check_fails "flipped: --fatpack-verify names the asset" "big\.bin" \
	"$T/flipped" --fatpack-verify
check_fails "flipped: fatpack extract names the asset" "big\.bin" \
	"$FATPACK" extract "$T/flipped" "$T/x-flipped"

# --- an index that claims a huge size: refused before any allocation of it
cp "$app" "$T/huge-size"
fp set-size "$T/huge-size" greeting.txt 0xf800000000000003
check_fails "huge-size: fatpack cat says corrupt" "greeting\.txt: corrupt" \
	"$FATPACK" cat "$T/huge-size" greeting.txt
check_fails "huge-size: --fatpack-verify says corrupt" "greeting\.txt.*corrupt" \
	"$T/huge-size" --fatpack-verify

# --- one entry broken, the index resealed: the runtime opens lazily (FORMAT.md
# 7.1), so the program starts and reads greeting.txt (the lookup checks the
# entries it compares, other.txt and greeting.txt); the broken entry, the
# last, is refused when the program reaches it, and by every full open
cp "$app" "$T/bad-entry"
fp set-type "$T/bad-entry" sub/file.txt 7
readers "$T/bad-entry" "bad-entry: .*index: entry [0-9]+ has unknown type 7"
runs "$T/bad-entry" "index: entry [0-9]+ has unknown type 7"
check_fails "bad-entry: the program refuses the entry when it reaches it" \
	"hello: entry [0-9]+: corrupt" "$T/bad-entry"
if grep -q "^Hello" "$T/.out"; then
	ok "bad-entry: the program started and read greeting.txt first"
else
	not_ok "bad-entry: the program started and read greeting.txt first" \
		"$(head -c 300 "$T/.out")"
fi

# --- a flipped byte in the index
cp "$app" "$T/index-flipped"
fp flip "$T/index-flipped" $((istart + 40))
readers "$T/index-flipped" "index-flipped: .*checksum"
runs "$T/index-flipped" "checksum"

# --- format 1.1 (a compressed index), as the previous fatpack build wrote it:
# still read, by the read commands and by the runtime's lazy open alike
cp "$app" "$T/v11"
fp as-v11 "$T/v11"
check_eq "v11: the index is compressed (flag bit 0)" 1 \
	"$(od -An -t u4 -j $(($(stat -c %s "$T/v11") - 96 + 20)) -N 4 "$T/v11" | tr -d ' ')"
check "v11: fatpack verify" "$FATPACK" verify "$T/v11"
check "v11: --fatpack-verify" "$T/v11" --fatpack-verify
check_eq "v11: the program runs and lists its assets" "$("$app" 2>&1)" \
	"$("$T/v11" 2>&1)"

# --- format version 2.0, with a valid trailer checksum
cp "$app" "$T/version2"
fp set-major "$T/version2" 2
readers "$T/version2" "version2: .*unsupported format version 2"
runs "$T/version2" "unsupported format version 2"
# the version changed without fixing the checksum
cp "$app" "$T/badcheck"
fp flip "$T/badcheck" $((size - 96 + 16))
readers "$T/badcheck" "badcheck: .*trailer checksum"

# --- stripped: ELF tools drop appended data
strip -o "$T/stripped" "$app"
readers "$T/stripped" "stripped: .*(payload lost|stripped)"
runs "$T/stripped" "payload lost|stripped"

# --- asset archives that try to write outside
cat >"$T/evil.py" <<'PY'
import io, sys, tarfile

def add(t, name, data=b'x\n', link=None):
    i = tarfile.TarInfo(name)
    if link is not None:
        i.type, i.linkname = tarfile.SYMTYPE, link
        t.addfile(i)
    else:
        i.size = len(data)
        t.addfile(i, io.BytesIO(data))

kind, out = sys.argv[1], sys.argv[2]
with tarfile.open(out, 'w', format=tarfile.PAX_FORMAT) as t:
    add(t, 'ok.txt')
    if kind == 'dotdot':
        add(t, '../escaped-dotdot')
    elif kind == 'absolute':
        add(t, '/etc/fatpack-test-escaped')
    elif kind == 'symlink':
        add(t, 'evil-link', link='../../escaped-link')
    elif kind == 'symlink-abs':
        add(t, 'evil-abs-link', link='/etc')
PY
# shellcheck disable=SC2317 # called through check_fails
in_work() { (cd "$T/work" && "$@"); }
evil() {
	local kind=$1 re=$2
	python3 "$T/evil.py" "$kind" "$T/work/$kind.tar"
	check_fails "build -a $kind.tar is refused, naming the entry" "$re" \
		in_work "$FATPACK" build "$TOP/examples/hello/hello.c" -a "$kind.tar" -o out-evil
	if [ -e "$T/work/out-evil" ]; then
		not_ok "build -a $kind.tar writes no artifact" "$(ls -l "$T/work/out-evil")"
		rm -f "$T/work/out-evil"
	else
		ok "build -a $kind.tar writes no artifact"
	fi
}
evil dotdot '\.\./escaped-dotdot'
evil absolute '/etc/fatpack-test-escaped'
evil symlink 'evil-link'
evil symlink-abs 'evil-abs-link'
if [ -e "$T/escaped-dotdot" ] || [ -e /etc/fatpack-test-escaped ] ||
	[ -e "$T/escaped-link" ]; then
	not_ok "nothing was written outside" "$(ls -l "$T" /etc/fatpack-test-escaped 2>&1)"
else
	ok "nothing was written outside"
fi

# --- extraction into a folder where a symlink points outside
# no_escape NAME CMD...: CMD may fail, but cleanly, and writes nothing outside.
no_escape() {
	local name=$1 rc=0
	shift
	rm -rf "$T/outside" "$T/xdir"
	mkdir -p "$T/outside" "$T/xdir"
	ln -s "$T/outside" "$T/xdir/sub"
	"$@" >"$T/.out" 2>"$T/.err" || rc=$?
	if crashed "$rc" "$T/.err"; then
		not_ok "$name: no crash" "exit $rc: $(cat "$T/.err")"
	elif [ -n "$(ls -A "$T/outside")" ]; then
		not_ok "$name: nothing written through the symlink" "$(ls -lA "$T/outside")"
	else
		ok "$name: nothing written through the symlink"
	fi
}
no_escape "fatpack extract" "$FATPACK" extract "$app" "$T/xdir"
no_escape "fatpack extract --force" "$FATPACK" extract --force "$app" "$T/xdir"
no_escape "--fatpack-extract" "$app" --fatpack-extract "$T/xdir"
# without --force, both extractors refuse a planted symlink and leave it alone
for cmd in "fatpack extract" "--fatpack-extract"; do
	rm -rf "$T/xdir" && mkdir -p "$T/xdir" && ln -s "$T/outside" "$T/xdir/sub"
	if [ "$cmd" = "fatpack extract" ]; then
		set -- "$FATPACK" extract "$app" "$T/xdir"
	else
		set -- "$app" --fatpack-extract "$T/xdir"
	fi
	check_fails "$cmd: a symlink in the way is refused" "sub.*(exists|force)" "$@"
	check "$cmd: the symlink is left in place" test -L "$T/xdir/sub"
done

# --- a set-id mode: in the tar header only, then in the index too
cat >"$T/setid.py" <<'PY'
# setid.py IN OUT PATH MODE WHERE: gives PATH the octal MODE in its tar header
# (WHERE=tar) or in its tar header and its index entry (WHERE=both), then
# re-lays the payload so that every checksum and payload_sha256 hold. A
# compressed index (trailer flag bit 0) is decoded and encoded again.
import hashlib, struct, sys
import fpindex

src, dst, path, mode, where = sys.argv[1:6]
mode = int(mode, 8)
d = open(src, 'rb').read()
t = len(d) - 96
po, _, io, isz = struct.unpack_from('<QQQQ', d, t + 24)
zindex = struct.unpack_from('<I', d, t + 20)[0] & 1
idx = d[po + io + 8:po + io + isz]
idx = bytearray(fpindex.decompress(idx) if zindex else idx)
count, esz, strsz, _ = struct.unpack_from('<IIII', idx, 8)
strtab = bytes(idx[32 + count * esz:32 + count * esz + strsz])
offs = {}
for i in range(count):
    e = 32 + i * esz
    so, sl = struct.unpack_from('<II', idx, e + 32)
    if strtab[so:so + sl] == path.encode() and where == 'both':
        struct.pack_into('<I', idx, e + 48, mode)
    if struct.unpack_from('<Q', idx, e + 8)[0]:
        offs[struct.unpack_from('<Q', idx, e)[0]] = e
pay, o, new = d[po:po + io], 0, b''
while o < len(pay):
    n = fpindex.frame_len(pay, o)
    f = pay[o:o + n]
    if o in offs:
        struct.pack_into('<QQ', idx, offs[o], len(new), n)
    else:
        raw = bytearray(fpindex.decompress(f))
        h = len(raw) - 512
        if raw[h:h + len(path)] + b'\0' == path.encode() + b'\0':
            raw[h + 100:h + 108] = b'%07o\0' % mode
            raw[h + 148:h + 156] = b' ' * 8
            raw[h + 148:h + 156] = b'%06o\0 ' % sum(raw[h:h + 512])
            f = fpindex.compress(bytes(raw))
    new += f
    o += n
old, hexnew = hashlib.sha256(pay).hexdigest(), hashlib.sha256(new).hexdigest()
idx = bytes(idx).replace(old.encode(), hexnew.encode())
idx = fpindex.seal(idx, fpindex.minor(d))
if zindex:
    idx = fpindex.compress(idx)
tr = bytearray(d[t:])
iframe = struct.pack('<II', 0x184D2A5E, len(idx)) + idx
struct.pack_into('<QQQQ', tr, 24, po, len(new) + len(iframe), len(new), len(iframe))
tr[56:88] = hashlib.sha256(idx).digest()
tr[88:96] = hashlib.sha256(bytes(tr[:88])).digest()[:8]
open(dst, 'wb').write(d[:po] + new + iframe + bytes(tr))
PY
PYTHONPATH=$TOP/tests python3 "$T/setid.py" "$app" "$T/setid-tar" other.txt 4755 tar
check_fails "setid-tar: fatpack verify sees the tar header disagree" \
	"tar stream: other\.txt: mode 4755 in the tar header, 0644 in the index" \
	"$FATPACK" verify "$T/setid-tar"
check_fails "setid-tar: fatpack extract refuses it" \
	"other\.txt: mode 4755 in the tar header" \
	"$FATPACK" extract "$T/setid-tar" "$T/x-setid-tar"
PYTHONPATH=$TOP/tests python3 "$T/setid.py" "$app" "$T/setid-both" other.txt 4755 both
check "setid-both: the crafted artifact reads" "$FATPACK" verify "$T/setid-both"
chmod +x "$T/setid-both"
for cmd in "fatpack extract" "--fatpack-extract"; do
	rm -rf "$T/x-setid"
	if [ "$cmd" = "fatpack extract" ]; then
		"$FATPACK" extract "$T/setid-both" "$T/x-setid" >/dev/null 2>&1
	else
		"$T/setid-both" --fatpack-extract "$T/x-setid" >/dev/null 2>&1
	fi
	check_eq "$cmd: no set-id bit from the archive" 755 \
		"$(stat -c %a "$T/x-setid/other.txt" 2>&1)"
done

# --- a dynamically linked program
printf 'int main(void) { return 0; }\n' >"$T/dyn.c"
cc -o "$T/dyn" "$T/dyn.c"
if is_san_build; then
	# the sanitizer build accepts dynamic programs; this one lacks the runtime
	check_fails "build of a dynamic program without runtime is refused" \
		"dyn: .*runtime" "$FATPACK" build "$T/dyn" -a "$T/assets" -o "$T/out-dyn"
else
	check_fails "build of a dynamic program is refused" \
		"dyn: .*dynamically linked" "$FATPACK" build "$T/dyn" -a "$T/assets" -o "$T/out-dyn"
fi

done_testing
