#!/usr/bin/env bash
# t_inputs.sh BUILD_DIR - what the build reads and writes, when things go
# wrong around it: an asset truncated, grown or rewritten while it is read,
# a FIFO where a file should be, a missing source, an output path that is a
# folder or read-only, a full disk, memory running out, a fatal signal. Each
# ends with one line naming the user's path and a non-zero exit, and leaves
# no file at the output path or beside it. An unchanged big file still
# round-trips.
#
# Changes happen at a chosen moment, not by racing the build: shim.so, put
# in with LD_PRELOAD, acts on the first read (or open) of a file whose name
# ends in $SHIM_MARK, as $SHIM_MODE says. Every check runs in the sanitized
# build too: there the bundler's read(2) is ASan's interceptor, linked into
# the executable, which finds the read it wraps with dlsym(RTLD_NEXT), and
# the next object after the executable is the preloaded shim.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

MNT=()
# shellcheck disable=SC2317 # the EXIT trap
cleanup() {
	local m
	for m in "${MNT[@]}"; do
		umount "$m" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

cat >"$T/shim.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);

static int fired;

static const char *
mode(void)
{
	const char *m = getenv("SHIM_MODE");

	return m ? m : "";
}

static int
marked(const char *path)
{
	const char *mark = getenv("SHIM_MARK");
	size_t n = strlen(path), m;

	if (mark == NULL || (m = strlen(mark)) == 0)
		return 0;
	return n >= m && strcmp(path + n - m, mark) == 0;
}

static int
fd_marked(int fd, char *path, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, len - 1)) < 0)
		return 0;
	path[n] = '\0';
	return marked(path);
}

/* Overwrites the file with other bytes, keeping its size. */
static void
rewrite(const char *path)
{
	char buf[4096];
	struct stat st;
	int fd = open(path, O_WRONLY);

	memset(buf, 'X', sizeof(buf));
	fstat(fd, &st);
	for (off_t o = 0; o < st.st_size; o += sizeof(buf))
		pwrite(fd, buf, st.st_size - o < (off_t)sizeof(buf) ?
		    (size_t)(st.st_size - o) : sizeof(buf), o);
	close(fd);
}

/* After the first read of the marked file, by its path. */
static void
act(const char *path)
{
	const char *m = mode();
	int fd;

	if (__atomic_exchange_n(&fired, 1, __ATOMIC_SEQ_CST))
		return;
	if (strcmp(m, "truncate") == 0) {
		truncate(path, 100);
	} else if (strcmp(m, "grow") == 0) {
		fd = open(path, O_WRONLY | O_APPEND);
		write(fd, "more", 4);
		close(fd);
	} else if (strcmp(m, "rewrite") == 0) {
		rewrite(path);
	} else if (strcmp(m, "probe") == 0) {
		close(open(getenv("SHIM_PROBE"), O_WRONLY | O_CREAT, 0644));
	} else if (strncmp(m, "signal", 6) == 0) {
		raise(atoi(m + 6));
	} else if (strcmp(m, "fault") == 0) {
		*(volatile int *)(size_t)atoi("0") = 1;
	}
}

ssize_t
read(int fd, void *buf, size_t n)
{
	static ssize_t (*real)(int, void *, size_t);
	char path[4096];
	ssize_t r;

	if (real == NULL)
		real = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	r = real(fd, buf, n);
	if (r > 0 && !fired && fd_marked(fd, path, sizeof(path)))
		act(path);
	return r;
}

#define PREAD(name) \
ssize_t \
name(int fd, void *buf, size_t n, off_t off) \
{ \
	static ssize_t (*real)(int, void *, size_t, off_t); \
	char path[4096]; \
	ssize_t r; \
	if (real == NULL) \
		real = (ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, \
		    #name); \
	r = real(fd, buf, n, off); \
	if (r > 0 && !fired && fd_marked(fd, path, sizeof(path))) \
		act(path); \
	return r; \
}
PREAD(pread)
PREAD(pread64)

/* mode fifo: the marked file becomes a FIFO just before it is opened. */
static void
before_open(const char *path)
{
	if (strcmp(mode(), "fifo") == 0 && marked(path) &&
	    !__atomic_exchange_n(&fired, 1, __ATOMIC_SEQ_CST)) {
		unlink(path);
		mkfifo(path, 0644);
	}
}

#define OPEN(name, ...) \
int \
name(__VA_ARGS__, int flags, ...) \
{ \
	static int (*real)(); \
	mode_t m = 0; \
	va_list ap; \
	va_start(ap, flags); \
	if (flags & (O_CREAT | __O_TMPFILE)) \
		m = va_arg(ap, mode_t); \
	va_end(ap); \
	if (real == NULL) \
		real = (int (*)())dlsym(RTLD_NEXT, #name);

OPEN(open, const char *path)
	before_open(path);
	return real(path, flags, m);
}
OPEN(open64, const char *path)
	before_open(path);
	return real(path, flags, m);
}
OPEN(openat, int dir, const char *path)
	before_open(path);
	return real(dir, path, flags, m);
}
OPEN(openat64, int dir, const char *path)
	before_open(path);
	return real(dir, path, flags, m);
}

/* mode oom-big: allocations of SHIM_LIMIT bytes or more fail. (The
 * sanitized bundler's malloc is ASan's, inside the executable, which this
 * one cannot come before: the test fails it through ASAN_OPTIONS there.) */
static int
fails(size_t n)
{
	const char *lim = getenv("SHIM_LIMIT");

	return strcmp(mode(), "oom-big") == 0 && lim != NULL &&
	    n >= strtoull(lim, NULL, 10);
}

void *
malloc(size_t n)
{
	if (fails(n)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	if (size != 0 && fails(n * size)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	if (fails(n)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, n);
}

/* The address space is capped at its size now: memory already mapped is
 * used as before, a new mapping fails. */
static void
cap_address_space(void)
{
	unsigned long pages = 0;
	struct rlimit rl;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL || fscanf(f, "%lu", &pages) != 1 || pages == 0)
		abort();
	fclose(f);
	if (getrlimit(RLIMIT_AS, &rl) != 0)
		abort();
	rl.rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
	if (setrlimit(RLIMIT_AS, &rl) != 0)
		abort();
}

/* mode oom-after-temp: once the output's temporary file exists, no memory
 * can be mapped, so an allocation that needs new memory fails. By the
 * address space, not by wrapping malloc, so that it works the same with
 * glibc's allocator and with ASan's: both map big blocks with mmap. */
int
mkstemp(char *template)
{
	static int (*real)(char *);
	int fd;

	if (real == NULL)
		real = (int (*)(char *))dlsym(RTLD_NEXT, "mkstemp");
	fd = real(template);
	if (fd >= 0 && strstr(template, ".tmp.") != NULL &&
	    strcmp(mode(), "oom-after-temp") == 0)
		cap_address_space();
	return fd;
}
C
if ! cc -shared -fPIC -O1 -w -o "$T/shim.so" "$T/shim.c" -ldl 2>"$T/shim.err"; then
	not_ok "the LD_PRELOAD shim compiles" "$(cat "$T/shim.err")"
	done_testing
fi

cd "$T" || exit 2
printf 'int main(void) { return 0; }\n' >prog.c
if ! "$FATPACK" cc -o prog prog.c 2>"$T/cc.err"; then
	not_ok "fatpack cc links the program" "$(cat "$T/cc.err")"
	done_testing
fi

# fresh DIR: an empty folder of assets or outputs
fresh() {
	rm -rf "$1"
	mkdir -p "$1"
}

# leftovers DIR: what a failed build left in DIR (nothing, one per line)
leftovers() {
	find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort
}

# fails_cleanly NAME REGEX DIR CMD...: CMD exits non-zero without a crash,
# its stderr is one line matching REGEX, and DIR holds nothing.
fails_cleanly() {
	local name=$1 re=$2 dir=$3 rc=0 left
	shift 3
	"$@" >"$T/.out" 2>"$T/.err" || rc=$?
	left=$(leftovers "$dir")
	if [ "$rc" -eq 0 ]; then
		not_ok "$name" "succeeded: $*"
	elif crashed "$rc" "$T/.err"; then
		not_ok "$name" "crashed (exit $rc): $*
$(cat "$T/.err")"
	elif [ "$(wc -l <"$T/.err")" -ne 1 ] || ! grep -Eq -- "$re" "$T/.err"; then
		not_ok "$name" "exit $rc but stderr is not one line matching /$re/:
$(cat "$T/.err")"
	elif [ -n "$left" ]; then
		not_ok "$name" "left in $dir: $left"
	else
		ok "$name"
	fi
}

# shim MODE MARK CMD...: CMD with the shim acting on files ending in MARK
shim() {
	local mode=$1 mark=$2
	shift 2
	SHIM_MODE=$mode SHIM_MARK=$mark LD_PRELOAD=$T/shim.so "$@"
}

# ---- files that change while they are read --------------------------------

# Whether the shim sees the reads at all, apart from what the bundler
# makes of a change (with ASan the shim comes after the sanitizer's read).
fresh assets
printf 'probe\n' >assets/probe.victim
fresh dist
SHIM_PROBE=$T/probe-fired shim probe .victim \
	"$FATPACK" build prog -a assets -o dist/app >/dev/null 2>&1
check "the LD_PRELOAD shim sees the bundler's reads" test -e "$T/probe-fired"

# victim NAME BYTES: assets/ with other files and NAME, of BYTES random
# bytes, its mtime in the past so that any write shows in it
victim() {
	fresh assets
	fresh dist
	mkdir assets/sub
	printf 'a\n' >assets/a.txt
	printf 'z\n' >assets/sub/z.txt
	head -c "$2" /dev/urandom >"assets/$1"
	touch -d @1000000000 "assets/$1"
}

for mode in truncate grow rewrite; do
	for size in 1000 3000000; do
		victim f.victim "$size"
		fails_cleanly "$mode during the build ($size B): changed while building" \
			'^fatpack: assets/f\.victim: changed while building$' dist \
			shim "$mode" .victim "$FATPACK" build prog -a assets -o dist/app
	done
done
# a file of 64 MiB or more goes straight from the writing thread into
# the output: truncating it fails the same way
victim f.victim 70000000
fails_cleanly "truncated big file (70 MB): changed while building" \
	'^fatpack: assets/f\.victim: changed while building$' dist \
	shim truncate .victim "$FATPACK" build prog -a assets -o dist/app -l 1
# the program, copied as it is (--no-strip)
for mode in truncate grow rewrite; do
	fresh dist
	cp prog prog.victim
	touch -d @1000000000 prog.victim
	fails_cleanly "$mode the program during the build: changed while building" \
		'^fatpack: prog\.victim: changed while building$' dist \
		shim "$mode" .victim "$FATPACK" build prog.victim -a assets -o dist/app --no-strip
done
# replaced by a FIFO between collection and reading
victim f.victim 1000
fails_cleanly "an asset swapped for a FIFO: not a regular file" \
	'^fatpack: assets/f\.victim: not a regular file$' dist \
	timeout 5 env SHIM_MODE=fifo SHIM_MARK=.victim LD_PRELOAD="$T/shim.so" \
	"$FATPACK" build prog -a assets -o dist/app

# an unchanged big file, several pieces of a read, and one past 64 MiB
fresh assets
fresh dist
head -c 5000000 /dev/urandom >assets/five.bin
head -c 48000000 /dev/urandom | base64 -w 0 >assets/big.b64
printf 'x\n' >assets/small.txt
check "big files build" "$FATPACK" build prog -a assets -o dist/app -l 1
for f in five.bin big.b64 small.txt; do
	"$FATPACK" cat dist/app "$f" >"$T/cat.out" 2>"$T/cat.err"
	check "$f round-trips byte-identical" cmp "$T/cat.out" "assets/$f"
done
check "the artifact verifies" "$FATPACK" verify dist/app
fresh dist
export SOURCE_DATE_EPOCH=1700000000
check "built with one thread" "$FATPACK" build prog -a assets -o dist/app1 -l 1 -j 1
check "built with three" "$FATPACK" build prog -a assets -o dist/app3 -l 1 -j 3
unset SOURCE_DATE_EPOCH
check "the two are the same bytes" cmp dist/app1 dist/app3

# ---- inputs that are not regular files -----------------------------------

fresh dist
fresh assets
printf 'a\n' >assets/a.txt
mkfifo fifo fifo.c
fails_cleanly "a FIFO as the program: not a regular file, at once" \
	'^fatpack: fifo: not a regular file$' dist \
	timeout 5 "$FATPACK" build fifo -a assets -o dist/app
fails_cleanly "a FIFO as a source: not a regular file, at once" \
	'^fatpack: fifo\.c: not a regular file$' dist \
	timeout 5 "$FATPACK" build fifo.c -a assets -o dist/app
fails_cleanly "a FIFO as an asset source: not a regular file, at once" \
	'^fatpack: fifo: not a regular file$' dist \
	timeout 5 "$FATPACK" build prog -a fifo -o dist/app
mkdir folder.c
fails_cleanly "a folder as a source: not a regular file" \
	'^fatpack: folder\.c: not a regular file$' dist \
	"$FATPACK" build folder.c -o dist/app
fails_cleanly "a missing source is named before compiling" \
	'^fatpack: nosuch\.c: No such file or directory$' dist \
	"$FATPACK" build nosuch.c -o dist/app

# ---- outputs -------------------------------------------------------------

fresh dist
mkdir dist/dir
fails_cleanly "-o naming a folder is refused before compiling" \
	'^fatpack: dist/dir: is a folder; -o names the output file$' dist/dir \
	"$FATPACK" build prog.c -a assets -o dist/dir
check_eq "and nothing is written beside it" "dir" "$(leftovers dist)"
fails_cleanly "-o ending in / is refused before compiling" \
	'^fatpack: dist/new/: is a folder; -o names the output file$' dist/dir \
	"$FATPACK" build prog.c -a assets -o dist/new/
check_eq "and no folder is made for it" "dir" "$(leftovers dist)"

fresh dist
check "--link into a missing folder creates it" \
	"$FATPACK" build prog -a assets -o dist/app --link links/deep/app
check_eq "and the link leads to the output" "$(readlink -f dist/app)" \
	"$(readlink -f links/deep/app)"

fresh dist
check "-v prints the summary" "$FATPACK" build prog -a assets -o dist/one -v
check_grep "one asset is '1 asset'" '^dist/one: 1 asset, ' "$T/.err"

# mount_tmpfs DIR OPTIONS: a tmpfs at DIR, unmounted at exit
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "$2" tmpfs "$1" 2>"$T/mount.err" || return 1
	MNT+=("$T/$1")
}

if mount_tmpfs ro ro,size=64k; then
	fails_cleanly "-o into a read-only folder names the output (sources)" \
		'^fatpack: ro/app: Read-only file system$' ro \
		"$FATPACK" build prog.c -a assets -o ro/app
	fails_cleanly "-o into a read-only folder names the output (program)" \
		'^fatpack: ro/app: Read-only file system$' ro \
		"$FATPACK" build prog -a assets -o ro/app
	fails_cleanly "-o into a read-only folder names the output (no strip)" \
		'^fatpack: ro/app: Read-only file system$' ro \
		"$FATPACK" build prog -a assets -o ro/app --no-strip
else
	echo "ok - read-only output folder # SKIP cannot mount a tmpfs: $(cat "$T/mount.err")"
fi

# room for the program and a little more, not for the assets
fresh big
head -c 1000000 /dev/urandom >big/noise.bin
kb=$(( $(stat -c %s prog) / 1024 + 64 ))
if mount_tmpfs full "size=${kb}k"; then
	fails_cleanly "a full disk names the output" \
		'^fatpack: full/app: No space left on device$' full \
		"$FATPACK" build prog -a big -o full/app --no-strip
else
	echo "ok - full disk # SKIP cannot mount a tmpfs: $(cat "$T/mount.err")"
fi

# ---- out of memory -------------------------------------------------------

fresh assets
fresh dist
head -c 40000000 /dev/zero >assets/forty.bin
# the 40 MB frame buffer is the one allocation of 32 MiB or more
if is_san_build; then
	# ASan says when it fails an allocation it was told to fail
	# shellcheck disable=SC2317 # called through fails_cleanly
	asan_fails_big() {
		local rc=0
		ASAN_OPTIONS=allocator_may_return_null=1:max_allocation_size_mb=32 \
			"$@" 2>"$T/.raw" || rc=$?
		grep -v 'WARNING: AddressSanitizer failed to allocate' "$T/.raw" >&2
		return "$rc"
	}
	fails_cleanly "out of memory for a frame: an error, no temporary file" \
		'^fatpack: assets/forty\.bin: out of memory$' dist \
		asan_fails_big "$FATPACK" build prog -a assets -o dist/app
else
	SHIM_LIMIT=33554432 fails_cleanly \
		"out of memory for a frame: an error, no temporary file" \
		'^fatpack: assets/forty\.bin: out of memory$' dist \
		shim oom-big none "$FATPACK" build prog -a assets -o dist/app
fi
# the first allocation that needs new memory once the output's temporary
# file is there is the writer's 1 MiB buffer: xmalloc exits. ASan is told
# to return NULL rather than report; its leak check at exit would need new
# memory too.
ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=0 fails_cleanly \
	"out of memory in xmalloc: exits, no temporary file" \
	'^fatpack: out of memory' dist \
	shim oom-after-temp none "$FATPACK" build prog -a assets -o dist/app

# ---- fatal signals -------------------------------------------------------

# ended_by SIG STATUS ERRFILE: whether a process ended as signal SIG makes
# it. The bundler's handler passes the signal on to what handled it before,
# which in the sanitized build is ASan for a SEGV or a BUS: it reports it
# and exits 1.
ended_by() {
	case $(kill -l "$1") in
	SEGV | BUS)
		if is_san_build; then
			[ "$2" -eq 1 ] &&
				grep -q "ERROR: AddressSanitizer: $(kill -l "$1") on" "$3"
			return
		fi
		;;
	esac
	[ "$2" -eq $((128 + $1)) ]
}

# A signal raised while the first asset is read: the stripped program and
# the output's temporary file exist then.
killed_cleanly() {
	local name=$1 sig=$2 rc=0 left
	shift 2
	"$@" >"$T/.out" 2>"$T/.err" || rc=$?
	left=$(leftovers dist)
	if [ "$rc" -eq 0 ]; then
		not_ok "$name" "succeeded: $*"
	elif ! ended_by "$sig" "$rc" "$T/.err"; then
		not_ok "$name" "exit $rc, not as SIG$(kill -l "$sig") ends it: $(cat "$T/.err")"
	elif [ -n "$left" ]; then
		not_ok "$name" "left in dist: $left"
	else
		ok "$name"
	fi
}

for sig in HUP INT QUIT ABRT BUS SEGV PIPE TERM XFSZ; do
	n=$(kill -l "$sig")
	victim f.victim 1000
	killed_cleanly "SIG$sig removes the temporary files" "$n" \
		shim "signal$n" .victim "$FATPACK" build prog -a assets -o dist/app
done
victim f.victim 1000
killed_cleanly "a segmentation fault removes the temporary files" 11 \
	shim fault .victim "$FATPACK" build prog -a assets -o dist/app

done_testing
