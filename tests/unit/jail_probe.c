/*
 * jail_probe.c - a fat-binary program that tries, inside its jail, what the
 * policy forbids and what it allows, and prints one "NAME RESULT" line per
 * try: RESULT is "ok" or the errno name (EACCES, EPERM, ...). Driven by
 * tests/t_jail.sh, built with different --jail policies. Not a host unit
 * test: tests/run.sh compiles only tests/unit/test_*.c.
 *
 *   jail_probe [READ_PATH [WRITE_DIR]]
 */
#define _GNU_SOURCE     /* unshare, chroot */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fatpack.h"

static const char *
name(int e)
{
	switch (e) {
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ENOSYS: return "ENOSYS";
	case EINVAL: return "EINVAL";
	default: return strerror(e);
	}
}

static void
report(const char *what, int rc)
{
	printf("%s %s\n", what, rc >= 0 ? "ok" : name(errno));
}

static int
open_close(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0600);

	if (fd >= 0)
		close(fd);
	return fd;
}

static void *
thread(void *arg)
{
	return arg;
}

int
main(int argc, char **argv)
{
	struct rlimit rl;
	const void *data;
	size_t size;
	pthread_t t;
	char buf[256];
	FILE *f;
	int rc;

	/* lines before a successful exec must not be lost in the buffer */
	setvbuf(stdout, NULL, _IOLBF, 0);
	report("read_etc_passwd", open_close("/etc/passwd", O_RDONLY));
	report("write_tmp", open_close("/tmp/fatpack-jail-probe",
	    O_WRONLY | O_CREAT | O_TRUNC));
	report("exec_true", execl("/bin/true", "true", (char *)NULL));
	report("socket_inet", rc = socket(AF_INET, SOCK_STREAM, 0));
	if (rc >= 0)
		close(rc);
	report("socket_unix", rc = socket(AF_UNIX, SOCK_DGRAM, 0));
	if (rc >= 0)
		close(rc);
	getrlimit(RLIMIT_NOFILE, &rl);
	printf("nofile %llu\n", (unsigned long long)rl.rlim_cur);
	rl.rlim_max = rl.rlim_max == RLIM_INFINITY ? rl.rlim_max :
	    rl.rlim_max + 1;
	rl.rlim_cur = rl.rlim_max;
	report("raise_nofile", setrlimit(RLIMIT_NOFILE, &rl));
	getrlimit(RLIMIT_CPU, &rl);
	printf("cpu %llu\n", (unsigned long long)rl.rlim_cur);
	getrlimit(RLIMIT_AS, &rl);
	printf("mem %llu\n", (unsigned long long)rl.rlim_cur);
	report("ptrace", (int)ptrace(PTRACE_TRACEME, 0, NULL, NULL));
	report("unshare_user", unshare(CLONE_NEWUSER));
	report("mount_tmpfs", mount("none", "/tmp", "tmpfs", 0, NULL));
	report("chroot", chroot("/"));
	report("thread", (errno = pthread_create(&t, NULL, thread, NULL)) ?
	    -1 : pthread_join(t, NULL));
	printf("no_new_privs %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	printf("seccomp %d\n", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
	printf("uid %u\n", (unsigned)getuid());
	printf("gid %u\n", (unsigned)getgid());
	rc = fatpack_get("a.txt", &data, &size);
	printf("asset %s\n", rc == 0 && size == 6 && memcmp(data, "asset\n",
	    6) == 0 ? "ok" : fatpack_strerror(rc));
	f = fopen("/fatpack/a.txt", "r");
	printf("assets_mount %s\n", f != NULL && fgets(buf, sizeof(buf),
	    f) != NULL && strcmp(buf, "asset\n") == 0 ? "ok" : name(errno));
	if (f != NULL)
		fclose(f);
	if (argc > 1)
		report("read_allowed", open_close(argv[1], O_RDONLY));
	if (argc > 2) {
		snprintf(buf, sizeof(buf), "%s/written", argv[2]);
		report("write_allowed", open_close(buf, O_WRONLY | O_CREAT));
		report("unlink_allowed", unlink(buf));
	}
	return 0;
}
