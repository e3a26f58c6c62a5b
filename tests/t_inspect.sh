#!/usr/bin/env bash
# t_inspect.sh BUILD_DIR - `fatpack ls/info/verify/extract APP` and
# `APP --fatpack-list/info/verify/extract` are one implementation: the same
# output and the same verdicts on good artifacts, on corrupt ones and on
# hostile ones whose checksums all hold but whose tar stream says something
# else than the index (hard links, symlinks, pax records). Extraction of a
# bad artifact writes nothing and never writes through what is in DIR; a
# FIFO given as APP is refused at once.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

# craft.py IN OUT OP ARGS...: a copy of the artifact IN with one change,
# every size, offset and checksum after it made valid again (index SHA-256,
# payload_sha256, trailer check), following docs/FORMAT.md. Header frames
# that change are compressed again with the zstd CLI.
#   tar-field PATH FIELD VALUE  set a ustar field of PATH's header: mode,
#                               mtime, size (octal numbers), type, name,
#                               linkname (text)
#   pax PATH KEY=VALUE...       put a pax header with these records before
#                               PATH's ustar block
#   own-header PATH             point PATH's index frame at its own header
#                               frame (size and SHA-256 made to match)
#   extra NAME DATA             a tar entry the index does not have
#   after-end                   a zero frame between the end frame and index
#   meta-value KEY VALUE        the metadata value of KEY (there) set to VALUE
#   sweep PATH STEP             OUT.0, OUT.1, ...: every STEP-th byte of
#                               PATH's pax and ustar blocks changed, their
#                               checksums fixed
#   offset REGION               print an offset inside REGION: elf (the
#                               runtime section's name), header, content,
#                               index, trailer
cat >"$T/craft.py" <<'PY'
import hashlib, struct, sys
import fpindex
from fpindex import compress, decompress, frame_len

def pad(n):
    return (512 - n % 512) % 512

def checksum(b):
    b[148:156] = b' ' * 8
    b[148:156] = b'%06o\0 ' % sum(b)

def ustar(name, mode, size, typ):
    b = bytearray(512)
    b[:len(name)] = name
    for off, width, v in ((100, 8, mode), (108, 8, 0), (116, 8, 0),
                          (124, 12, size), (136, 12, 0)):
        b[off:off + width] = b'%0*o\0' % (width - 1, v)
    b[156] = ord(typ)
    b[257:265] = b'ustar\x0000'
    checksum(b)
    return b

def record(kv):
    base = len(kv) + 2
    n = base + len(str(base))
    n += len(str(n)) - len(str(base))
    return b'%d %s\n' % (n, kv)

class Artifact:
    def __init__(self, d):
        t = len(d) - 96
        self.tr = bytearray(d[t:])
        po, _, io, isz = struct.unpack_from('<QQQQ', d, t + 24)
        self.z = struct.unpack_from('<I', d, t + 20)[0] & 1
        self.elf = bytes(d[:po])
        raw = bytes(d[po + io + 8:po + io + isz])
        self.idx = bytearray(decompress(raw) if self.z else raw)
        self.count, self.esz, strsz, _ = struct.unpack_from('<IIII', self.idx, 8)
        self.str0 = 32 + self.count * self.esz
        stream = bytes(d[po:po + io])
        content = {}
        for i in range(self.count):
            fo, fs = struct.unpack_from('<QQ', self.idx, self.ent(i))
            if fs:
                content.setdefault(fo, []).append(i)
        self.items, o, nxt = [], 0, 0
        while o < len(stream):
            f = stream[o:o + frame_len(stream, o)]
            if o in content:
                it = {'kind': 'content', 'i': content[o][0], 'points': content[o]}
            elif nxt < self.count:
                it = {'kind': 'header', 'i': nxt, 'points': []}
                nxt += 1
            else:
                it = {'kind': 'end', 'i': None, 'points': []}
            it['f'], it['off'] = f, o
            self.items.append(it)
            o += len(f)
        self.po, self.io = po, io

    def ent(self, i):
        return 32 + i * self.esz

    def find(self, path):
        for i in range(self.count):
            so, sl = struct.unpack_from('<II', self.idx, self.ent(i) + 32)
            if self.idx[self.str0 + so:self.str0 + so + sl] == path.encode():
                return i
        sys.exit('craft.py: no entry ' + path)

    def item(self, kind, i):
        return next(it for it in self.items if it['kind'] == kind and it['i'] == i)

    # decoded header frame of entry i, edited by fn(bytearray) -> bytearray
    def edit_header(self, i, fn):
        it = self.item('header', i)
        raw = fn(bytearray(decompress(it['f'])))
        it['f'] = compress(bytes(raw))
        return raw

    def save(self, out):
        new = b''
        for it in self.items:
            for j in it['points']:
                struct.pack_into('<QQ', self.idx, self.ent(j), len(new), len(it['f']))
            new += it['f']
        m = self.idx.find(b'payload_sha256=') + len(b'payload_sha256=')
        self.idx[m:m + 64] = hashlib.sha256(new).hexdigest().encode()
        idx = fpindex.seal(self.idx, struct.unpack_from('<H', self.tr, 18)[0])
        if self.z:
            idx = compress(idx)
        iframe = struct.pack('<II', 0x184D2A5E, len(idx)) + idx
        tr = self.tr
        struct.pack_into('<QQQQ', tr, 24, self.po, len(new) + len(iframe),
                         len(new), len(iframe))
        tr[56:88] = hashlib.sha256(idx).digest()
        tr[88:96] = hashlib.sha256(bytes(tr[:88])).digest()[:8]
        open(out, 'wb').write(self.elf + new + iframe + bytes(tr))

def tar_field(a, path, field, value):
    def fn(raw):
        b = raw[len(raw) - 512:]
        if field in ('mode', 'mtime', 'size'):
            off, width = {'mode': (100, 8), 'mtime': (136, 12), 'size': (124, 12)}[field]
            b[off:off + width] = b'%0*o\0' % (width - 1, int(value, 8))
        elif field == 'type':
            b[156] = ord(value)
        else:
            off = {'name': 0, 'linkname': 157}[field]
            b[off:off + 100] = value.encode().ljust(100, b'\0')
        checksum(b)
        return raw[:len(raw) - 512] + b
    a.edit_header(a.find(path), fn)

def pax(a, path, records):
    recs = b''.join(record(r.encode()) for r in records)
    hdr = ustar(b'././@PaxHeader', 0o644, len(recs), 'x') + recs + bytes(pad(len(recs)))
    a.edit_header(a.find(path), lambda raw: raw[:len(raw) - 512] + hdr + raw[len(raw) - 512:])

def own_header(a, path):
    i = a.find(path)
    def fn(raw):
        b = raw[len(raw) - 512:]
        b[124:136] = b'%011o\0' % len(raw)
        checksum(b)
        return raw[:len(raw) - 512] + b
    raw = a.edit_header(i, fn)
    struct.pack_into('<Q', a.idx, a.ent(i) + 16, len(raw))
    a.idx[a.ent(i) + 64:a.ent(i) + 96] = hashlib.sha256(raw).digest()
    a.item('content', i)['points'].remove(i)
    a.item('header', i)['points'].append(i)

# one artifact per STEP-th byte of PATH's header frame (after the padding),
# that byte changed and the header blocks' checksums made right again
def sweep(a, path, prefix, step):
    it = a.item('header', a.find(path))
    orig, raw = it['f'], bytearray(decompress(it['f']))
    start = len(raw) % 512
    for n, off in enumerate(range(start, len(raw), int(step))):
        b = bytearray(raw)
        b[off] ^= 0x5a
        checksum(memoryview(b)[len(b) - 512:])
        if b[start + 156] == ord('x'):
            checksum(memoryview(b)[start:start + 512])
        it['f'] = compress(bytes(b))
        a.save('%s.%d' % (prefix, n))
    it['f'] = orig

def last_size(a):
    return struct.unpack_from('<Q', a.idx, a.ent(a.count - 1) + 16)[0] if a.count else 0

def extra(a, name, data):
    data = data.encode()
    end = a.items.pop()
    hdr = bytes(pad(last_size(a))) + ustar(name.encode(), 0o644, len(data), '0')
    a.items += [{'kind': 'extra', 'i': None, 'points': [], 'f': compress(hdr)},
                {'kind': 'extra', 'i': None, 'points': [], 'f': compress(data)},
                {'kind': 'end', 'i': None, 'points': [],
                 'f': compress(bytes(pad(len(data)) + 1024))}]
    del end

def meta_value(a, key, value):
    _, _, strsz, metasz = struct.unpack_from('<IIII', a.idx, 8)
    start = a.str0 + strsz
    lines = bytes(a.idx[start:start + metasz]).split(b'\n')[:-1]
    k = key.encode() + b'='
    if not any(l.startswith(k) for l in lines):
        sys.exit('craft.py: no metadata ' + key)
    lines = [k + value.encode() if l.startswith(k) else l for l in lines]
    meta = b''.join(l + b'\n' for l in lines)
    a.idx[start:] = meta
    struct.pack_into('<I', a.idx, 20, len(meta))

def after_end(a):
    a.items.append({'kind': 'extra', 'i': None, 'points': [],
                    'f': compress(bytes(1024))})

def elf_marker(d):
    shoff, = struct.unpack_from('<Q', d, 40)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', d, 58)
    names = struct.unpack_from('<Q', d, shoff + shstrndx * shentsize + 24)[0]
    for k in range(shnum):
        name = struct.unpack_from('<I', d, shoff + k * shentsize)[0]
        if d[names + name:names + name + 9] == b'.fatpack\0':
            return names + name + 1
    sys.exit('craft.py: no .fatpack section')

def offset(a, d, region):
    first = lambda kind: next(it for it in a.items if it['kind'] == kind)
    if region == 'elf':
        return elf_marker(d)
    if region in ('header', 'content'):
        it = first(region)
        return a.po + it['off'] + len(it['f']) // 2
    if region == 'index':
        return a.po + a.io + 20
    return len(d) - 96 + 30

src, op = sys.argv[1], sys.argv[2]
d = open(src, 'rb').read()
a = Artifact(d)
if op == 'offset':
    print(offset(a, d, sys.argv[3]))
    sys.exit()
out, args = sys.argv[3], sys.argv[4:]
if op == 'sweep':
    sweep(a, args[0], out, args[1])
    sys.exit()
{'tar-field': lambda: tar_field(a, *args),
 'pax': lambda: pax(a, args[0], args[1:]),
 'own-header': lambda: own_header(a, *args),
 'extra': lambda: extra(a, *args),
 'meta-value': lambda: meta_value(a, *args),
 'after-end': lambda: after_end(a)}[op]()
a.save(out)
PY
craft() { PYTHONPATH=$TOP/tests python3 "$T/craft.py" "$@"; }

# --- artifacts ---------------------------------------------------------------
mkdir -p "$T/assets/sub" "$T/utf8/dir with space/é" "$T/big"
printf 'Hello\n' >"$T/assets/greeting.txt"
printf 'other\n' >"$T/assets/other.txt"
printf 'inside sub\n' >"$T/assets/sub/file.txt"
: >"$T/assets/empty.txt"
printf '#!/bin/sh\n' >"$T/assets/run.sh" && chmod 755 "$T/assets/run.sh"
printf 'café\n' >"$T/utf8/dir with space/é/naïve file.txt"
printf 'x\n' >"$T/utf8/dir with space/plain"
head -c 300000 /dev/urandom >"$T/big/big.bin"

HELLO=$TOP/examples/hello/hello.c
fp_build "$T/hello" "$HELLO" "$TOP/examples/hello/assets" || done_testing
fp_build "$T/app" "$HELLO" "$T/assets" || done_testing
fp_build "$T/zero" "$HELLO" || done_testing
fp_build "$T/utf8app" "$HELLO" "$T/utf8" || done_testing
fp_build "$T/bigapp" "$HELLO" "$T/big" || done_testing
if ! "$FATPACK" build -q --serve "$TOP/examples/site" -o "$T/site" \
	>"$T/.out" 2>"$T/.err"; then
	not_ok "build the --serve site" "$(cat "$T/.err")"
	done_testing
fi

# run_side SIDE APP CMD [ARGS...]: `fatpack CMD [ARGS] APP` (SIDE=bundler)
# or `APP --fatpack-CMD [ARGS]` (SIDE=runtime); extract's DIR comes last on
# both sides. Output in $T/SIDE.out, $T/SIDE.err, exit status in $T/SIDE.rc,
# the message prefix of stderr replaced by "PROG".
run_side() {
	local side=$1 app=$2 cmd=$3 rc=0 dir=
	shift 3
	if [ "$cmd" = extract ]; then
		dir=${!#}
		set -- "${@:1:$#-1}"
	fi
	if [ "$side" = bundler ]; then
		"$FATPACK" "$cmd" "$@" "$app" ${dir:+"$dir"} >"$T/$side.out" 2>"$T/$side.err" || rc=$?
		sed -i 's|^fatpack: |PROG: |' "$T/$side.err"
	else
		local flag=$cmd
		[ "$cmd" = ls ] && flag=list
		"$app" "--fatpack-$flag" "$@" ${dir:+"$dir"} >"$T/$side.out" 2>"$T/$side.err" || rc=$?
		sed -i "s|^$(printf '%s' "$app" | sed 's/[].[*^$|\\]/\\&/g'): |PROG: |" \
			"$T/$side.err"
	fi
	echo "$rc" >"$T/$side.rc"
}

# same NAME APP CMD [ARGS...]: both sides give the same stdout, stderr and
# exit status.
same() {
	local name=$1
	shift
	run_side bundler "$@"
	run_side runtime "$@"
	if crashed "$(cat "$T/bundler.rc")" "$T/bundler.err" ||
		crashed "$(cat "$T/runtime.rc")" "$T/runtime.err"; then
		not_ok "$name: no crash" "$(cat "$T/bundler.err" "$T/runtime.err")"
	elif cmp -s "$T/bundler.out" "$T/runtime.out" &&
		cmp -s "$T/bundler.err" "$T/runtime.err" &&
		cmp -s "$T/bundler.rc" "$T/runtime.rc"; then
		ok "$name: fatpack and --fatpack- agree"
	else
		not_ok "$name: fatpack and --fatpack- agree" "$(diff \
			<(cat "$T/bundler.rc" "$T/bundler.out" "$T/bundler.err") \
			<(cat "$T/runtime.rc" "$T/runtime.out" "$T/runtime.err"))"
	fi
}

# tree DIR: everything under DIR, with type, mode, size, mtime, link target
# and content hash.
tree() {
	(cd "$1" && find . -mindepth 1 -printf '%p %y %m %s %T@ %l\n' | sort &&
		find . -type f -exec sha256sum {} + | sort)
}

# --- the same output on good artifacts -------------------------------------
for a in hello app zero utf8app site; do
	app=$T/$a
	same "$a: ls" "$app" ls
	same "$a: ls -l" "$app" ls -l
	same "$a: info" "$app" info
	same "$a: info --json" "$app" info --json
	check "$a: info --json parses" jq -e . "$T/bundler.out"
	same "$a: verify" "$app" verify
	check_eq "$a: verify passes" 0 "$(cat "$T/bundler.rc")"
	rm -rf "$T/xb" "$T/xr"
	run_side bundler "$app" extract -v "$T/xb"
	cp "$T/bundler.out" "$T/xb.list"
	run_side runtime "$app" extract -v "$T/xr"
	check_eq "$a: extract -v lists the same entries" "$(cat "$T/xb.list")" \
		"$(cat "$T/runtime.out")"
	check_eq "$a: extract -v lists what ls lists" "$("$FATPACK" ls "$app")" \
		"$(cat "$T/runtime.out")"
	check_eq "$a: extract writes the same tree" "$(tree "$T/xb")" "$(tree "$T/xr")"
done
check_eq "the JSON keys are the documented ones" \
	"architecture asset_count build_time build_time_iso compressed_size dictionary_size entries fatpack_version file format_version index_size meta name override override_state payload_offset payload_sha256 payload_size revision signature_key_id total_size version" \
	"$("$FATPACK" info --json "$T/app" | jq -r 'keys | join(" ")')"
check_eq "extract keeps the bytes" "$(cd "$T/assets" && find . -type f -exec sha256sum {} + | sort)" \
	"$(rm -rf "$T/x1" && "$FATPACK" extract "$T/app" "$T/x1" && cd "$T/x1" &&
		find . -type f -exec sha256sum {} + | sort)"
# ls_of DIR: an extracted tree in the form of `fatpack ls -l`, without the
# MIME column
ls_of() {
	python3 - "$1" <<'PY'
import os, stat, sys, time
top = sys.argv[1]
out = []
for d, dirs, files in os.walk(top):
    for n in dirs + files:
        p = os.path.join(d, n)
        st = os.lstat(p)
        rel = os.path.relpath(p, top) + ('/' if stat.S_ISDIR(st.st_mode) else '')
        when = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(st.st_mtime))
        size = 0 if stat.S_ISDIR(st.st_mode) else st.st_size
        out.append((rel, '%s %d %s %s' % (stat.filemode(st.st_mode), size, when, rel)))
print('\n'.join(l for _, l in sorted(out, key=lambda x: x[0].rstrip('/').encode())))
PY
}
check_eq "extract keeps modes, sizes and mtimes" \
	"$("$FATPACK" ls -l "$T/app" | awk '{print $1, $2, $3, $NF}')" "$(ls_of "$T/x1")"

# --- the same refusal of an existing file, with nothing written --------------
mkdir -p "$T/conflict" && printf 'mine\n' >"$T/conflict/other.txt"
before=$(tree "$T/conflict")
same "conflict" "$T/app" extract "$T/conflict"
check_grep "conflict: the file is named" "^PROG: $T/conflict/other\.txt: exists \(use --force" "$T/runtime.err"
check_eq "conflict: nothing written" "$before" "$(tree "$T/conflict")"
ln -s "$T/outside" "$T/conflict/sub"
mkdir -p "$T/outside" && printf 'outside\n' >"$T/outside/file.txt"
run_side bundler "$T/app" extract --force "$T/conflict"
check_eq "--force: done" 0 "$(cat "$T/bundler.rc")"
check_eq "--force: the file is replaced" other "$(cat "$T/conflict/other.txt")"
check "--force: the symlink is replaced by a folder" test ! -L "$T/conflict/sub" -a -d "$T/conflict/sub"
check_eq "--force: nothing written through the symlink" outside "$(cat "$T/outside/file.txt")"
rm -rf "$T/conflict" && mkdir -p "$T/conflict/greeting.txt"
same "a folder where a file goes, with --force" "$T/app" extract -f "$T/conflict"
check_grep "a folder is never replaced" "greeting\.txt: exists and is a folder" "$T/runtime.err"

# --- a write error names the file and leaves no part of it ------------------
for side in bundler runtime; do
	rm -rf "$T/xfull"
	(trap '' XFSZ; ulimit -f 64; run_side "$side" "$T/bigapp" extract "$T/xfull")
	check_grep "$side: a write error names the file and the reason" \
		"^PROG: $T/xfull/big\.bin: File too large$" "$T/$side.err"
	check "$side: the part written is removed" test ! -e "$T/xfull/big.bin"
done

# --- corrupt and hostile artifacts: the same refusal, nothing written --------
# hostile NAME REGEX: both verifies refuse $T/NAME with a message matching
# REGEX, the same one-line messages, and neither extract writes anything:
# not into a folder holding a file and a symlink (with or without --force),
# not a missing folder.
hostile() {
	local n=$1 re=$2 f=$T/$1 side force
	chmod +x "$f"
	same "$n: verify" "$f" verify
	for side in bundler runtime; do
		if [ "$(cat "$T/$side.rc")" = 1 ] &&
			grep -Eq -- "^PROG: $f: .*($re)" "$T/$side.err"; then
			ok "$n: $side verify says why"
		else
			not_ok "$n: $side verify says why" "exit $(cat "$T/$side.rc"), \
stderr does not match /$re/: $(cat "$T/$side.err")"
		fi
	done
	if grep -qv "^PROG: " "$T/runtime.err"; then
		not_ok "$n: every message is one line \"PROG: ...\"" "$(cat "$T/runtime.err")"
	else
		ok "$n: every message is one line \"PROG: ...\""
	fi
	for side in bundler runtime; do
		for force in "" -f; do
			rm -rf "$T/xh" "$T/outside" && mkdir -p "$T/xh" "$T/outside"
			printf 'precious\n' >"$T/xh/victim.txt"
			printf 'precious\n' >"$T/outside/target"
			ln -s "$T/outside/target" "$T/xh/other.txt"
			before=$(tree "$T/xh")
			run_side "$side" "$f" extract $force "$T/xh"
			if [ "$(cat "$T/$side.rc")" = 0 ] || crashed "$(cat "$T/$side.rc")" "$T/$side.err"; then
				not_ok "$n: $side extract${force:+ $force} fails cleanly" "$(cat "$T/$side.err")"
			else
				ok "$n: $side extract${force:+ $force} fails cleanly"
			fi
			check_eq "$n: $side extract${force:+ $force} writes nothing" "$before" "$(tree "$T/xh")"
			check_eq "$n: $side extract${force:+ $force} leaves the link's target" \
				precious "$(cat "$T/outside/target")"
		done
		rm -rf "$T/xnew"
		run_side "$side" "$f" extract "$T/xnew"
		check "$n: $side extract creates no folder" test ! -e "$T/xnew"
	done
}

# region flips, no checksum fixed
for r in elf header content index trailer; do
	cp "$T/app" "$T/flip-$r"
	off=$(craft "$T/app" offset "$r")
	printf "$(printf '\\x%02x' $(( $(od -An -tu1 -j "$off" -N1 "$T/app") ^ 0xff )))" |
		dd of="$T/flip-$r" bs=1 seek="$off" conv=notrunc status=none
done
hostile flip-elf "does not contain the fatpack runtime"
hostile flip-header "tar stream: [a-z.]+: header frame at payload offset [0-9]+: (checksum mismatch|corrupt)"
hostile flip-content "(checksum mismatch|corrupt)"
hostile flip-index "index checksum mismatch"
hostile flip-trailer "trailer checksum mismatch"
size=$(stat -c %s "$T/app")
head -c $((size - 1)) "$T/app" >"$T/cut-trailer"
head -c "$(craft "$T/app" offset content)" "$T/app" >"$T/cut-content"
hostile cut-trailer "truncated|cut short"
hostile cut-content "truncated|cut short"

# every checksum valid, the tar stream disagreeing with the index
craft "$T/app" tar-field "$T/tar-mode" other.txt mode 0755
hostile tar-mode "tar stream: other\.txt: mode 0755 in the tar header, 0644 in the index"
craft "$T/app" tar-field "$T/tar-mtime" other.txt mtime 1
hostile tar-mtime "tar stream: other\.txt: mtime 1 in the tar header, [0-9]+ in the index"
craft "$T/app" tar-field "$T/tar-size" other.txt size 5
hostile tar-size "tar stream: other\.txt: size 5 in the tar header, 6 in the index"
craft "$T/app" tar-field "$T/tar-path" other.txt name victim.txt
hostile tar-path "tar stream: other\.txt: the tar header names 'victim\.txt'"
craft "$T/app" pax "$T/pax-path" other.txt path=victim.txt
hostile pax-path "tar stream: other\.txt: the tar header names 'victim\.txt'"
craft "$T/app" tar-field "$T/tar-dir" sub type 0
hostile tar-dir "tar stream: sub: a file in the tar stream, a folder in the index"
craft "$T/app" own-header "$T/own-header" other.txt
hostile own-header "tar stream: other\.txt: the index puts the content frame at payload offset [0-9]+, the header frame ends at [0-9]+"
craft "$T/app" extra "$T/extra" victim.txt evil
hostile extra "tar stream: end: the end frame is not [0-9]+ zero bytes"
craft "$T/app" after-end "$T/after-end"
hostile after-end "tar stream: end: [0-9]+ bytes after the end frame"
craft "$T/app" pax "$T/pax-mtime" other.txt mtime=1.5
hostile pax-mtime "pax record 'mtime' is not a whole number"

# settings the runtime acts on, checked by the rules the build wrote them by
craft "$T/app" meta-value "$T/meta-mount" mount relative
hostile meta-mount "metadata mount 'relative': mount path is not absolute"
craft "$T/app" meta-value "$T/meta-override" mount.override maybe
hostile meta-override "metadata mount.override 'maybe': mount.override is not on or off"
"$FATPACK" build "$HELLO" -a "$T/assets" --jail -o "$T/app-jail" >/dev/null 2>&1 ||
	not_ok "build hello --jail"
craft "$T/app-jail" meta-value "$T/meta-jail" jail "on nofile=lots"
hostile meta-jail "metadata jail 'on nofile=lots': "

# links: a hard link (type 1) and a symlink (type 2) that carry data, and a
# pax linkpath record; tar would write other.txt's bytes through them
craft "$T/app" tar-field "$T/hardlink.tmp" other.txt type 1
craft "$T/hardlink.tmp" tar-field "$T/hardlink" other.txt linkname victim.txt
hostile hardlink "tar stream: other\.txt: a hard link \(type '1'\) to 'victim\.txt', not to an earlier entry"
# with a pax header, libarchive honours the size of a hard link and writes
# its data through the link: into victim.txt, already in DIR
craft "$T/hardlink" pax "$T/pax-hardlink" other.txt size=6
hostile pax-hardlink "tar stream: other\.txt: a hard link \(type '1'\)"
craft "$T/app" tar-field "$T/symlink.tmp" other.txt type 2
craft "$T/symlink.tmp" tar-field "$T/symlink" other.txt linkname victim.txt
hostile symlink "tar stream: other\.txt: a symbolic link \(type '2'\)"
craft "$T/symlink" pax "$T/pax-symlink" other.txt size=6
hostile pax-symlink "tar stream: other\.txt: a symbolic link \(type '2'\)"
craft "$T/app" tar-field "$T/linkname" other.txt linkname victim.txt
hostile linkname "tar stream: other\.txt: the tar header has a link name"
craft "$T/app" pax "$T/pax-linkpath" other.txt linkpath=victim.txt
hostile pax-linkpath "tar stream: other\.txt: pax record 'linkpath' not allowed but for a hard link"
# a content stored once (FORMAT.md 3.1): copies are hard links to the
# entry holding the frame, and to nothing else
mkdir -p "$T/dups/d"
for f in a.txt b.txt d/e.txt z.txt; do printf 'same\n' >"$T/dups/$f"; done
printf 'other content\n' >"$T/dups/c.txt"
"$FATPACK" build "$HELLO" -a "$T/dups" -o "$T/dupapp" >/dev/null 2>&1 ||
	not_ok "build hello with copies"
chmod +x "$T/dupapp"
same "copies: verify" "$T/dupapp" verify
check_grep "copies: OK" "OK" "$T/runtime.out"
links=""
for spec in "later b.txt z.txt|to 'z\.txt', not to an earlier entry" \
	"itself b.txt b.txt|to 'b\.txt', not to an earlier entry" \
	"folder z.txt d|to the folder 'd'" \
	"other z.txt c.txt|to 'c\.txt', whose frame is not this entry's" \
	"dotdot b.txt ../a.txt|to '\.\./a\.txt': '\.' or '\.\.' in path" \
	"absolute b.txt /etc/passwd|to '/etc/passwd': absolute path" \
	"chain z.txt b.txt|to 'b\.txt', itself a hard link" \
	"missing b.txt nothing.txt|to 'nothing\.txt', not to an earlier entry"; do
	set -- ${spec%%|*}
	craft "$T/dupapp" tar-field "$T/link-$1" "$2" linkname "$3"
	hostile "link-$1" "tar stream: $2: a hard link \(type '1'\) ${spec#*|}"
	links="$links link-$1"
done
craft "$T/dupapp" pax "$T/link-pax" z.txt linkpath=c.txt
hostile link-pax "tar stream: z\.txt: a hard link \(type '1'\) to 'c\.txt', whose frame"
craft "$T/dupapp" tar-field "$T/link-size" b.txt size 5
hostile link-size "tar stream: b\.txt: size 5 in the tar header, 5 in the index \(a hard link has size 0\)"
# a copy written as a file: its frame is not where its header ends
craft "$T/dupapp" tar-field "$T/copy-file.tmp" b.txt type 0
craft "$T/copy-file.tmp" tar-field "$T/copy-file.tmp2" b.txt linkname ""
craft "$T/copy-file.tmp2" tar-field "$T/copy-file" b.txt size 5
hostile copy-file "tar stream: b\.txt: the index puts the content frame at payload offset [0-9]+, the header frame ends at [0-9]+"

# every crafted artifact passes the reader's checksums: only the walk of the
# tar stream tells
for f in tar-mode tar-mtime tar-size tar-path pax-path tar-dir own-header \
	extra after-end pax-mtime hardlink pax-hardlink symlink pax-symlink linkname \
	pax-linkpath $links link-pax link-size copy-file; do
	check "$f: its checksums hold (fatpack ls reads it)" "$FATPACK" ls "$T/$f"
done

# pax records that agree with the index are fine
craft "$T/app" pax "$T/pax-ok" other.txt path=other.txt size=6 \
	"mtime=$(stat -c %Y "$T/assets/other.txt")"
chmod +x "$T/pax-ok"
same "pax records as the index has them: verify" "$T/pax-ok" verify
check_grep "pax records as the index has them: OK" "OK" "$T/runtime.out"
# any byte of a pax header and a ustar block, checksums fixed: both sides
# give the same verdict, without crashing
craft "$T/pax-ok" sweep "$T/sweep" other.txt 23
for f in "$T"/sweep.*; do
	chmod +x "$f"
	same "$(basename "$f"): verify" "$f" verify
done

# --- a FIFO as APP: refused at once -------------------------------------------
mkfifo "$T/fifo"
for cmd in ls info verify "cat greeting.txt" "extract $T/xfifo"; do
	set -- $cmd
	c=$1
	shift
	rc=0
	timeout 5 "$FATPACK" "$c" "$T/fifo" "$@" >"$T/.out" 2>"$T/.err" || rc=$?
	if [ "$rc" -eq 124 ]; then
		not_ok "fatpack $c FIFO returns" "timed out"
	elif [ "$rc" -eq 0 ] || ! grep -q "^fatpack: $T/fifo: not a regular file$" "$T/.err"; then
		not_ok "fatpack $c FIFO: not a regular file" "exit $rc: $(cat "$T/.err")"
	else
		ok "fatpack $c FIFO: not a regular file"
	fi
done

# The options of extract are taken alike on both sides: grouped short
# options, and "--" before a folder whose name starts with '-'.
mkdir -p "$T/dash" && cd "$T/dash" || done_testing
"$FATPACK" extract -fv "$T/hello" -- -bundler >"$T/dash.b" 2>&1
rc_b=$?
"$T/hello" --fatpack-extract -fv -- -runtime >"$T/dash.r" 2>&1
rc_r=$?
check_eq "extract -fv -- -DIR: the same status both sides" "$rc_b" "$rc_r"
check_eq "  ... exit 0" 0 "$rc_r"
check_eq "  ... the same listing" "$(cat "$T/dash.b")" "$(cat "$T/dash.r")"
check_eq "  ... the same tree" "$(cd -- -bundler && find . | sort)" \
	"$(cd -- -runtime && find . | sort)"
"$T/hello" --fatpack-extract -vf -- -runtime >/dev/null 2>&1
check_eq "--fatpack-extract -vf into an existing tree: forced" 0 "$?"
check_fails "--fatpack-extract -x: unknown option" "unknown option -x" \
	"$T/hello" --fatpack-extract -x d
cd "$T" || done_testing

# The build time in ISO 8601 (fp_iso_time: no strftime in the runtime) is
# what date(1) says, on both sides: a leap day's first second, another's
# last, and the last second of February 2100, a year without one.
for when in 951782400 1709251199 4107542399; do
	want=$(date -u -d "@$when" +%Y-%m-%dT%H:%M:%SZ)
	SOURCE_DATE_EPOCH=$when "$FATPACK" build -q "$HELLO" -a "$T/assets" \
		-o "$T/when" >/dev/null 2>&1 || { check "build at $when" false; continue; }
	check_eq "info --json: build_time_iso of $when is $want" "$want" \
		"$("$FATPACK" info --json "$T/when" | jq -r .build_time_iso)"
	check_eq "  ... --fatpack-info --json says the same" "$want" \
		"$("$T/when" --fatpack-info --json | jq -r .build_time_iso)"
done

done_testing
