#!/usr/bin/env bash
# t_sweep.sh BUILD_DIR - the corruption sweep: every byte of a small
# artifact's payload and trailer is changed in turn (XOR 0xFF, one at a time),
# and every read path is run on each copy: `fatpack ls -l/info/verify/cat/
# extract`, `APP --fatpack-list -l/--fatpack-info/--fatpack-verify/
# --fatpack-extract`, and the program itself reading each asset through the
# API. Each must refuse with a message or give exactly the clean artifact's
# output (bytes nothing reads); never wrong bytes, never a crash. Both verify
# commands must refuse every change.
#
# A second artifact holds enough small pages for a dictionary (docs/FORMAT.md
# 4.3): its payload is swept at a stride of DICT_STRIDE bytes (default 31;
# 97 in the sanitizer build), the dictionary frame included.
#
# The normal build takes every byte. The sanitizer build, where each run is
# ten times slower, takes every FATPACK_SWEEP_STRIDE-th byte (default 7, odd
# so that it meets every byte lane of the 8-byte fields). FATPACK_SWEEP_JOBS
# runs that many copies at once (default 2).
. "$(dirname "$0")/lib.sh"

if is_san_build; then
	STRIDE=${FATPACK_SWEEP_STRIDE:-7}
	DICT_STRIDE=97
else
	STRIDE=${FATPACK_SWEEP_STRIDE:-1}
	DICT_STRIDE=31
fi
JOBS=${FATPACK_SWEEP_JOBS:-2}

# The program: each asset through the API, found by its path.
cat >"$T/sweep.c" <<'EOF'
#include <stdio.h>

#include <fatpack.h>

/* Prints every entry and every file's bytes, read with fatpack_get; exits 1
 * at the first failure, so its output is always a prefix of the clean one. */
int
main(void)
{
	struct fatpack_entry e;
	const void *data;
	size_t i, n;
	int r;

	if ((r = fatpack_status()) != 0) {
		fprintf(stderr, "sweep: %s\n", fatpack_strerror(r));
		return 1;
	}
	for (i = 0; i < fatpack_count(); i++) {
		if ((r = fatpack_entry_at(i, &e)) != 0) {
			fprintf(stderr, "sweep: entry %zu: %s\n", i, fatpack_strerror(r));
			return 1;
		}
		printf("%s %o %d\n", e.path, (unsigned)e.mode, e.type);
		if (e.type != FATPACK_FILE)
			continue;
		if ((r = fatpack_get(e.path, &data, &n)) != 0) {
			fprintf(stderr, "sweep: %s: %s\n", e.path, fatpack_strerror(r));
			return 1;
		}
		printf("%zu\n", n);
		fwrite(data, 1, n, stdout);
	}
	return 0;
}
EOF

# A few small assets, an empty file and a folder: every kind of frame and
# entry, in few bytes.
a=$T/assets
mkdir -p "$a/sub"
printf 'hello\n' >"$a/hello.txt"
: >"$a/empty.txt"
printf 'body { margin: 0 }\n' >"$a/sub/site.css"
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 151 + 7) % 256 for i in range(64)))' \
	>"$a/sub/data.bin"
export SOURCE_DATE_EPOCH=1700000000
fp_build "$T/app" "$T/sweep.c" "$a" || done_testing
ok "build the artifact ($(stat -c %s "$T/app") bytes)"

cat >"$T/sweep.py" <<'PY'
import os, shutil, stat, struct, subprocess, sys, threading

fatpack, art, assets, work, stride, jobs = sys.argv[1:7]
stride, jobs = int(stride), int(jobs)
clean = open(art, 'rb').read()
payload = struct.unpack_from('<Q', clean, len(clean) - 96 + 24)[0]
files = {}
for root, dirs, names in os.walk(assets):
    for n in names:
        p = os.path.join(root, n)
        files[os.path.relpath(p, assets)] = open(p, 'rb').read()
paths = sorted(files)

# name: argv, with the artifact as ./app in the worker's folder and x/ the
# folder to extract into
COMMANDS = [
    ('fatpack ls -l', [fatpack, 'ls', '-l', 'app']),
    ('fatpack info', [fatpack, 'info', 'app']),
    ('fatpack verify', [fatpack, 'verify', 'app']),
    ('fatpack cat', [fatpack, 'cat', 'app'] + paths),
    ('fatpack extract', [fatpack, 'extract', 'app', 'x']),
    ('APP --fatpack-list -l', ['./app', '--fatpack-list', '-l']),
    ('APP --fatpack-info', ['./app', '--fatpack-info']),
    ('APP --fatpack-verify', ['./app', '--fatpack-verify']),
    ('APP --fatpack-extract', ['./app', '--fatpack-extract', 'x']),
    ('APP (fatpack_get)', ['./app']),
]
MUST_REFUSE = ('fatpack verify', 'APP --fatpack-verify')

def run(argv, cwd):
    try:
        p = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=120)
        return p.returncode, p.stdout, p.stderr.decode('utf-8', 'replace')
    except subprocess.TimeoutExpired:
        return -1, b'', 'timed out'

def tree(cwd):
    """What an extraction left under x/: path -> (kind, mode, mtime, bytes)."""
    out, top = {}, os.path.join(cwd, 'x')
    for root, dirs, names in os.walk(top):
        for n in dirs + names:
            p = os.path.join(root, n)
            st = os.lstat(p)
            data = open(p, 'rb').read() if stat.S_ISREG(st.st_mode) else None
            out[os.path.relpath(p, top)] = (stat.S_IFMT(st.st_mode),
                                            stat.S_IMODE(st.st_mode),
                                            int(st.st_mtime), data)
    shutil.rmtree(top, ignore_errors=True)
    return out

def result(name, argv, cwd):
    rc, out, err = run(argv, cwd)
    if 'extract' in name:
        out = tree(cwd)
    return rc, out, err

def wrong_bytes(name, out, cwd, ref):
    """For a refusal: whether it still handed out bytes that are wrong."""
    if name == 'fatpack cat':
        if not out:
            return False
        for p in paths:    # which asset printed what: one at a time
            rc, o, _ = run([fatpack, 'cat', 'app', p], cwd)
            if o and (rc != 0 or o != files[p]):
                return True
        return False
    if 'extract' in name:
        return any(v[3] is not None and v[3] != files.get(k)
                   for k, v in out.items())
    if name == 'APP (fatpack_get)':
        return not ref.startswith(out)
    return False

def sweep(k, positions, ref, counts, bad, lock):
    cwd = os.path.join(work, 'w%d' % k)
    for pos in positions:
        with open(os.path.join(cwd, 'app'), 'r+b') as f:
            f.seek(pos)
            f.write(bytes([clean[pos] ^ 0xFF]))
        for name, argv in COMMANDS:
            rc, out, err = result(name, argv, cwd)
            if rc < 0 or rc >= 128 or 'Sanitizer' in err or 'runtime error' in err:
                what = 'crash'
            elif rc == 0:
                what = 'same' if out == ref[name] else 'WRONG output'
                if name in MUST_REFUSE:
                    what = 'not refused'
            elif not err.strip():
                what = 'refused silently'
            elif wrong_bytes(name, out, cwd, ref[name]):
                what = 'WRONG bytes'
            else:
                what = 'refused'
            with lock:
                counts[name][what] = counts[name].get(what, 0) + 1
                if what not in ('same', 'refused'):
                    bad.append((what, '%s: byte %d (payload + %d): %s, exit %d: %s' %
                                (name, pos, pos - payload, what, rc,
                                 err.strip().replace('\n', ' | ')[:300])))
        with open(os.path.join(cwd, 'app'), 'r+b') as f:
            f.seek(pos)
            f.write(bytes([clean[pos]]))

def main():
    for k in range(jobs):
        d = os.path.join(work, 'w%d' % k)
        os.makedirs(d)
        shutil.copy(art, os.path.join(d, 'app'))
        os.chmod(os.path.join(d, 'app'), 0o755)
    ref, ok = {}, True
    for name, argv in COMMANDS:
        rc, out, err = result(name, argv, os.path.join(work, 'w0'))
        ref[name] = out
        if rc != 0:
            print('not ok - clean artifact: %s exits %d' % (name, rc))
            print('#   ' + err.strip().replace('\n', '\n#   '))
            ok = False
    if not ok:
        return 1
    print('ok - clean artifact: every read path succeeds')
    expect = {p: files[p] for p in paths}
    got = {k: v[3] for k, v in ref['fatpack extract'].items() if v[3] is not None}
    ok = got == expect and ref['fatpack cat'] == b''.join(files[p] for p in paths)
    print('%sok - clean artifact: cat and extract give the assets' % ('' if ok else 'not '))
    positions = list(range(payload, len(clean), stride))
    counts = {name: {} for name, _ in COMMANDS}
    bad, lock = [], threading.Lock()
    threads = [threading.Thread(target=sweep,
                                args=(k, positions[k::jobs], ref, counts, bad, lock))
               for k in range(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print('# %d positions of %d (payload at %d, stride %d)' %
          (len(positions), len(clean) - payload, payload, stride))
    for name, _ in COMMANDS:
        print('# %-22s %s' % (name, ', '.join('%s %d' % kv for kv in
                                            sorted(counts[name].items()))))
    for kinds, title in ((('crash',), 'never a crash or a sanitizer report'),
                         (('WRONG output', 'WRONG bytes'), 'never wrong bytes or output'),
                         (('refused silently',), 'every refusal says why'),
                         (('not refused',), 'both verify commands refuse every change')):
        hits = [line for what, line in bad if what in kinds]
        if hits:
            print('not ok - %s (%d)' % (title, len(hits)))
            for b in hits[:10]:
                print('#   ' + b)
            ok = False
        else:
            print('ok - ' + title)
    return 0 if ok else 1

sys.exit(main())
PY

python3 "$T/sweep.py" "$FATPACK" "$T/app" "$a" "$T/work" "$STRIDE" "$JOBS" ||
	FAILED=$((FAILED + 1))

# 64 pages of about 4 KB that share their head and navigation: enough
# for a dictionary that pays for itself (bundler/dict.c)
d=$T/pages
mkdir -p "$d"
for ((i = 0; i < 64; i++)); do
	{
		printf '<html><head><title>Page %d</title><link rel="stylesheet" ' "$i"
		printf 'href="site.css"></head><body><nav><ul>\n'
		seq 1 40 | sed 's/.*/<li><a href="section-&.html">Section & of the manual<\/a><\/li>/'
		printf '</ul></nav>\n'
		seq "$i" $((i + 60)) | sed 's/.*/<p>Paragraph &.<\/p>/'
		printf '</body></html>\n'
	} >"$d/p$i.html"
done
fp_build "$T/dict-app" "$T/sweep.c" "$d" || done_testing
check "the pages are compressed with a dictionary" test \
	"$("$FATPACK" info --json "$T/dict-app" | jq .dictionary_size)" -gt 0
python3 "$T/sweep.py" "$FATPACK" "$T/dict-app" "$d" "$T/work-dict" \
	"$DICT_STRIDE" "$JOBS" || FAILED=$((FAILED + 1))
done_testing
