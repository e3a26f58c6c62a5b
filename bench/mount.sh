#!/usr/bin/env bash
# mount.sh BUILD_DIR - the cost of the mount (docs/MOUNT.md).
#
# 1. open + read + close of a 4 KB asset through the mount, against
#    fatpack_get (and a copy of its 4 KB), against the same 4 KB file read
#    from a warm page cache with plain open/read, and against the same real
#    file opened by a program without the mount (plain musl-gcc -static): the
#    wrapped calls' cost on a path outside the mount.
# 2. Start-up, exec to the first asset: the same program built with the
#    default mount and with --mount none, and a program whose first asset
#    comes through fopen on the mount.
# Five alternating rounds; medians and ratios. Prints a Markdown section.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

rounds=5
iters=200000

cat >"$work/loop.c" <<'CEOF'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef WITH_FATPACK
#include <fatpack.h>
#endif

static char buf[8192];

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* open + read + close of path, n times: ns per round. */
static double
by_path(const char *path, long n)
{
	double t0 = now();

	for (long i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || read(fd, buf, sizeof(buf)) != 4096 || close(fd) != 0) {
			perror(path);
			exit(1);
		}
	}
	return (now() - t0) / n;
}

#ifdef WITH_FATPACK
static double
by_get(const char *path, long n)
{
	double t0 = now();
	const void *p;
	size_t len;

	for (long i = 0; i < n; i++) {
		if (fatpack_get(path, &p, &len) != 0 || len != 4096)
			exit(1);
		memcpy(buf, p, len);
	}
	return (now() - t0) / n;
}
#endif

int
main(int argc, char **argv)
{
	long n = atol(argv[2]);

#ifdef WITH_FATPACK
	if (strcmp(argv[1], "get") == 0) {
		printf("%.0f\n", by_get(argv[3], n));
		return 0;
	}
#endif
	printf("%.0f\n", by_path(argv[3], n));
	return 0;
}
CEOF

cat >"$work/first.c" <<'CEOF'
#include <stdio.h>
#include <string.h>

#include <fatpack.h>

/* The first asset through fatpack_get, or with "fopen" through the mount. */
int
main(int argc, char **argv)
{
	const void *p;
	size_t n;
	char line[16];
	FILE *f;

	if (argc > 1 && strcmp(argv[1], "fopen") == 0) {
		if ((f = fopen("/fatpack/first.txt", "r")) == NULL ||
		    fgets(line, sizeof(line), f) == NULL)
			return 1;
		return fclose(f) != 0;
	}
	return fatpack_get("first.txt", &p, &n) != 0;
}
CEOF

mkdir -p "$work/assets"
head -c 4096 /dev/urandom >"$work/assets/page.bin"
printf 'first\n' >"$work/assets/first.txt"
for i in $(seq 1 2000); do printf 'file %d\n' "$i" >"$work/assets/f$i.txt"; done
cp "$work/assets/page.bin" "$work/real.bin"
echo "mount: building" >&2
"$fatpack" cc -O2 -DWITH_FATPACK "$work/loop.c" -o "$work/loop.plain"
"$fatpack" build -q "$work/loop.plain" -a "$work/assets" -o "$work/loop"
musl-gcc -O2 -static "$work/loop.c" -o "$work/loop.nomount"
"$fatpack" build -q "$work/first.c" -a "$work/assets" -o "$work/first"
"$fatpack" build -q "$work/first.c" -a "$work/assets" --mount none -o "$work/first.none"
cat "$work/real.bin" >/dev/null

for round in $(seq 1 "$rounds"); do
	say "round $round"
	"$work/loop" path "$iters" /fatpack/page.bin >>"$work/mount.txt"
	"$work/loop" get "$iters" page.bin >>"$work/get.txt"
	"$work/loop" path "$iters" "$work/real.bin" >>"$work/file.txt"
	"$work/loop.nomount" path "$iters" "$work/real.bin" >>"$work/nomount.txt"
done
mount=$(median "$work/mount.txt")
get=$(median "$work/get.txt")
file=$(median "$work/file.txt")
nomount=$(median "$work/nomount.txt")

# start-up: hyperfine's median per command, alternating rounds
if command -v hyperfine >/dev/null; then
	for round in 1 2 3; do
		say "start-up round $round"
		hyperfine_ms 30 10 "$work/first" "$work/first.none" "$work/first fopen" >"$work/s.txt"
		sed -n 1p "$work/s.txt" >>"$work/s_get.txt"
		sed -n 2p "$work/s.txt" >>"$work/s_none.txt"
		sed -n 3p "$work/s.txt" >>"$work/s_fopen.txt"
	done
	s_get=$(median "$work/s_get.txt")
	s_none=$(median "$work/s_none.txt")
	s_fopen=$(median "$work/s_fopen.txt")
fi

cat <<EOF2
## The mount: opening an asset by path

open + read + close of a 4 KB file, $iters times in a loop; median of
$rounds alternating rounds, nanoseconds per open+read+close (bench/mount.sh).
The artifact holds 2,002 assets.

| how | ns per open+read+close | vs a real file |
|---|---:|---:|
| \`/fatpack/page.bin\` through the mount (the kept memfd reopened: openat in /proc/self/fd, fstat) | $mount | $(ratio "$mount" "$file")x |
| \`fatpack_get\` and a copy of its 4 KB | $get | $(ratio "$get" "$file")x |
| a real file, warm page cache, same program (wrapped calls, path outside the mount) | $file | 1.00x |
| a real file, warm page cache, program without the mount (musl-gcc -static) | $nomount | $(ratio "$nomount" "$file")x |

Goal: the mount within 2x of plain \`open\` on a real file. The last two
rows show what the wrapped calls cost on paths outside the mount.
EOF2
if [ -n "${s_get:-}" ]; then
	cat <<EOF2

Start-up, exec to the first asset (hyperfine, median of 3 alternating rounds
of 30 runs each):

| program | median |
|---|---:|
| \`fatpack_get\` of the first asset, default mount | $(printf '%.2f' "$s_get") ms |
| the same, built with \`--mount none\` | $(printf '%.2f' "$s_none") ms |
| \`fopen("/fatpack/first.txt")\` through the mount | $(printf '%.2f' "$s_fopen") ms |

The mount does no work before the program's first file call: the first two
rows differ by noise.
EOF2
fi
