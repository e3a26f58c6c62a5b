/*
 * jail.c - fatpack_jail(): the process confines itself, after start-up,
 * with the policy of its `jail` metadata (docs/CONFIG.md, "The jail"):
 * rlimits; when root, a switch to an unprivileged user; PR_SET_NO_NEW_PRIVS;
 * Landlock (no file system access beyond the policy's paths, no TCP bind or
 * connect without "net", no signals out of the domain); a seccomp allowlist
 * (no exec, ptrace, mount, module loading, new namespaces, ...). The assets
 * need no file system access: they come from the executable's open
 * descriptor. A kernel without Landlock or seccomp is refused unless the
 * policy says "best-effort".
 *
 * Both Landlock and seccomp bind the calling thread (seccomp with TSYNC,
 * every thread), so this runs before any thread starts: before main for a
 * program, after binding and before the workers for the server.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fatpack.h"
#include "format/check.h"
#include "jail_abi.h"
#include "mount.h"
#include "runtime.h"

#ifdef FATPACK_SAN_TOOLCHAIN
#include <sanitizer/lsan_interface.h>
#endif

#define NOBODY 65534    /* the user when root and the policy names none */
#define MAX_INSNS 512

/* One line on stderr, named by the program as the C library knows it:
 * fatpack_jail() takes no argv. */
static void
say(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: jail: %s\n", program_invocation_short_name, line);
}

/* --- rlimits and the user ------------------------------------------------ */

static int
limit(int resource, unsigned long long v, const char *word)
{
	struct rlimit rl = { (rlim_t)v, (rlim_t)v };

	if (v == 0 || setrlimit(resource, &rl) == 0)
		return 0;
	say("%s: %s", word, strerror(errno));
	return -1;
}

struct ids {
	uid_t uid;
	gid_t gid;
};

/* A uid or gid field of a passwd line: digits and the ':' after them, below
 * 2^32 - 1 (-1 means "no change" to setuid and setgid). The rest of the
 * line after the ':', or NULL. */
static const char *
id_field(const char *s, unsigned *v)
{
	unsigned long long n = 0;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9'; p++)
		if ((n = n * 10 + (unsigned)(*p - '0')) >= 0xffffffffULL)
			return NULL;
	if (p == s || *p != ':')
		return NULL;
	*v = (unsigned)n;
	return p + 1;
}

/* "password:uid:gid:..." of a passwd line into *id: 0, or -1 when it is
 * not that. */
static int
passwd_fields(const char *s, struct ids *id)
{
	unsigned uid, gid;

	if ((s = strchr(s, ':')) == NULL || (s = id_field(s + 1, &uid)) == NULL ||
	    id_field(s, &gid) == NULL)
		return -1;
	id->uid = uid;
	id->gid = gid;
	return 0;
}

/* User u's ids from the first well-formed line for it in /etc/passwd, as
 * CONFIG.md says (not NSS, nor the C library's nscd client, which was most
 * of the 5.8 KB getpwnam added to every fat binary: docs/BENCH.md). Opened
 * by the system call, not open(), which the mount answers for a path under
 * its folder (mount=/etc). 0 when found, 1 when not, -1 after a message. */
static int
passwd_ids(const char *u, struct ids *id)
{
	size_t n = strlen(u);
	char line[512];
	int fd, found = 1, at_start = 1;
	FILE *f;

	fd = (int)syscall(SYS_openat, AT_FDCWD, "/etc/passwd",
	    O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (f = fdopen(fd, "r")) == NULL) {
		say("user=%s: /etc/passwd: %s", u, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* a line longer than the buffer comes in pieces: only a piece that
	 * starts a line can name the user */
	while (found == 1 && fgets(line, sizeof(line), f) != NULL) {
		if (at_start && strncmp(line, u, n) == 0 && line[n] == ':' &&
		    passwd_fields(line + n + 1, id) == 0)
			found = 0;
		at_start = strchr(line, '\n') != NULL;
	}
	fclose(f);
	return found;
}

/* The user to become, resolved while /etc/passwd can still be read. */
static int
resolve_user(const struct fp_jail *j, struct ids *id)
{
	const char *u = j->user;
	int rc;

	id->uid = NOBODY;
	id->gid = NOBODY;
	if (u == NULL)
		return 0;
	if (u[strspn(u, "0123456789")] == '\0') {
		id->uid = (uid_t)strtoul(u, NULL, 10);
		id->gid = id->uid;
		return 0;
	}
	if ((rc = passwd_ids(u, id)) == 1)
		say("user=%s: no such user", u);
	return rc == 0 ? 0 : -1;
}

static int
become(const struct ids *id)
{
	if (geteuid() != 0 && getuid() != 0)
		return 0;
	if (id->uid == 0) {
		say("user=0: the jail does not run as root");
		return -1;
	}
	if (setgroups(0, NULL) != 0 || setgid(id->gid) != 0 ||
	    setuid(id->uid) != 0) {
		say("switching to uid %u: %s", (unsigned)id->uid, strerror(errno));
		return -1;
	}
	return 0;
}

/* --- Landlock ------------------------------------------------------------ */

static uint64_t
fs_rights(int abi)
{
	uint64_t r = LL_FS_ABI1;

	if (abi >= 2)
		r |= LL_FS_REFER;
	if (abi >= 3)
		r |= LL_FS_TRUNCATE;
	if (abi >= 5)
		r |= LL_FS_IOCTL_DEV;
	return r;
}

static int
add_path(int ruleset, const char *path, uint64_t rights)
{
	struct ll_path_beneath_attr pb;
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC), rc;

	if (fd < 0) {
		say("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		rights &= LL_FS_FILE;
	pb.allowed_access = rights;
	pb.parent_fd = fd;
	rc = (int)syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH,
	    &pb, 0);
	if (rc != 0)
		say("%s: landlock_add_rule: %s", path, strerror(errno));
	close(fd);
	return rc;
}

/* A ruleset for the policy: -1 after saying why, -2 when the kernel has
 * no Landlock (said too). */
static int
landlock_ruleset(const struct fp_jail *j, int *abi)
{
	struct ll_ruleset_attr attr = { 0 };
	size_t size = sizeof(attr.handled_access_fs);
	uint64_t fs, rd;
	int fd;
	size_t i;

	*abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LL_CREATE_RULESET_VERSION);
	if (*abi < 1) {
		say("Landlock: %s", errno == ENOSYS || errno == EOPNOTSUPP ?
		    "not available in this kernel" : strerror(errno));
		return -2;
	}
	fs = fs_rights(*abi);
	attr.handled_access_fs = fs;
	if (*abi >= 4) {
		attr.handled_access_net = j->net ? 0 :
		    LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (*abi >= 6) {
		attr.scoped = LL_SCOPE_SIGNAL;
		size = sizeof(attr);
	}
	if ((fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0)) < 0) {
		say("landlock_create_ruleset: %s", strerror(errno));
		return -1;
	}
	rd = LL_FS_READ_FILE | LL_FS_READ_DIR | (j->exec ? LL_FS_EXECUTE : 0);
	for (i = 0; i < j->nread; i++)
		if (add_path(fd, j->read[i], rd) != 0)
			goto fail;
	for (i = 0; i < j->nwrite; i++)
		if (add_path(fd, j->write[i], fs & ~LL_FS_EXECUTE) != 0)
			goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* --- seccomp ------------------------------------------------------------- */

/* Allowed as they are: what a C program, the built-in server, the assets
 * mount (memfd_create, pwrite, fcntl seals and locks, stat calls, openat,
 * getdents64, mmap) and the sanitizers' runtime use. Everything else fails
 * with EPERM. */
static const int allowed[] = {
	SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_pread64, SYS_pwrite64,
	SYS_preadv, SYS_pwritev, SYS_close, SYS_lseek, SYS_fstat,
	SYS_newfstatat, SYS_statx, SYS_fstatfs, SYS_statfs, SYS_openat,
	SYS_faccessat, SYS_readlinkat, SYS_getdents64, SYS_getcwd, SYS_fcntl,
	SYS_dup, SYS_dup3, SYS_pipe2, SYS_mmap, SYS_munmap, SYS_mprotect,
	SYS_madvise, SYS_mremap, SYS_brk, SYS_msync, SYS_memfd_create,
	SYS_ftruncate, SYS_fallocate, SYS_fsync, SYS_fdatasync, SYS_flock,
	SYS_mkdirat, SYS_unlinkat, SYS_renameat2, SYS_fchmod, SYS_utimensat,
	SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigreturn,
	SYS_rt_sigtimedwait, SYS_rt_sigsuspend, SYS_rt_sigpending,
	SYS_sigaltstack, SYS_kill, SYS_tgkill, SYS_tkill, SYS_getpid,
	SYS_gettid, SYS_getppid, SYS_getuid, SYS_geteuid, SYS_getgid,
	SYS_getegid, SYS_getresuid, SYS_getresgid, SYS_getgroups,
	SYS_getrandom, SYS_clock_gettime, SYS_clock_getres,
	SYS_clock_nanosleep, SYS_nanosleep, SYS_gettimeofday, SYS_futex,
	SYS_set_robust_list, SYS_get_robust_list, SYS_rseq,
	SYS_set_tid_address, SYS_exit, SYS_exit_group, SYS_wait4, SYS_waitid,
	SYS_sendto, SYS_sendmsg, SYS_sendmmsg, SYS_recvfrom, SYS_recvmsg,
	SYS_recvmmsg, SYS_accept, SYS_accept4, SYS_listen, SYS_bind,
	SYS_connect, SYS_shutdown, SYS_getsockname, SYS_getpeername,
	SYS_setsockopt, SYS_getsockopt, SYS_socketpair, SYS_epoll_create1,
	SYS_epoll_ctl, SYS_epoll_pwait, SYS_ppoll, SYS_pselect6,
	SYS_eventfd2, SYS_sendfile, SYS_getrlimit, SYS_setrlimit,
	SYS_sched_yield, SYS_sched_getaffinity, SYS_uname, SYS_sysinfo,
	SYS_umask, SYS_prctl, SYS_membarrier, SYS_restart_syscall,
	SYS_getrusage, SYS_times, SYS_setitimer, SYS_getitimer,
	SYS_timerfd_create, SYS_timerfd_settime, SYS_timerfd_gettime,
#ifdef SYS_open
	SYS_open, SYS_stat, SYS_lstat, SYS_access, SYS_readlink, SYS_dup2,
	SYS_pipe, SYS_poll, SYS_select, SYS_epoll_wait, SYS_epoll_create,
	SYS_mkdir, SYS_unlink, SYS_rename, SYS_rmdir, SYS_eventfd,
	SYS_arch_prctl, SYS_alarm, SYS_time,
#endif
#ifdef SYS_faccessat2
	SYS_faccessat2,
#endif
#ifdef SYS_epoll_pwait2
	SYS_epoll_pwait2,
#endif
#ifdef SYS_close_range
	SYS_close_range,
#endif
};

/* ioctl requests allowed: what stdio and non-blocking descriptors need */
static const unsigned long ioctls[] = { TCGETS, TIOCGWINSZ, FIONBIO,
	FIONREAD, FIOCLEX };

/* clone flags that make a new namespace */
#define CLONE_NEW_ANY 0x7e020000u

struct filter {
	struct bpf_insn_ insn[MAX_INSNS];
	unsigned n;
};

static void
emit(struct filter *f, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (f->n < MAX_INSNS)
		f->insn[f->n++] = (struct bpf_insn_){ code, jt, jf, k };
}

/* if nr: then a block of len instructions that returns */
static void
when(struct filter *f, int nr, unsigned len)
{
	emit(f, BPF_LD_W_ABS, 0, 0, SD_NR);
	emit(f, BPF_JEQ_K, 0, (uint8_t)len, (uint32_t)nr);
}

static void
ret(struct filter *f, uint32_t action)
{
	emit(f, BPF_RET_K, 0, 0, action);
}

#define EPERM_ (SECCOMP_RET_ERRNO_ | EPERM)

static void
build_filter(const struct fp_jail *j, struct filter *f)
{
	size_t i, k;

	f->n = 0;
	emit(f, BPF_LD_W_ABS, 0, 0, SD_ARCH);
	emit(f, BPF_JEQ_K, 1, 0, FP_AUDIT_ARCH);
	ret(f, SECCOMP_RET_KILL_PROCESS_);
	emit(f, BPF_LD_W_ABS, 0, 0, SD_NR);
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		emit(f, BPF_JEQ_K, 0, 1, (uint32_t)allowed[i]);
		ret(f, SECCOMP_RET_ALLOW_);
	}
	/* threads and fork, but no new namespace */
	when(f, SYS_clone, 4);
	emit(f, BPF_LD_W_ABS, 0, 0, SD_ARG_LO(0));
	emit(f, BPF_JSET_K, 0, 1, CLONE_NEW_ANY);
	ret(f, EPERM_);
	ret(f, SECCOMP_RET_ALLOW_);
	/* clone3's flags are out of reach: ENOSYS makes the C library use clone */
	when(f, SYS_clone3, 1);
	ret(f, SECCOMP_RET_ERRNO_ | ENOSYS);
	/* limits of this process only */
	when(f, SYS_prlimit64, 4);
	emit(f, BPF_LD_W_ABS, 0, 0, SD_ARG_LO(0));
	emit(f, BPF_JEQ_K, 0, 1, 0);
	ret(f, SECCOMP_RET_ALLOW_);
	ret(f, EPERM_);
	when(f, SYS_ioctl, 2 + 2 * (unsigned)(sizeof(ioctls) / sizeof(ioctls[0])));
	emit(f, BPF_LD_W_ABS, 0, 0, SD_ARG_LO(1));
	for (k = 0; k < sizeof(ioctls) / sizeof(ioctls[0]); k++) {
		emit(f, BPF_JEQ_K, 0, 1, (uint32_t)ioctls[k]);
		ret(f, SECCOMP_RET_ALLOW_);
	}
	ret(f, EPERM_);
	/* without "net", sockets of the local kind only (sd_notify) */
	when(f, SYS_socket, 4);
	emit(f, BPF_LD_W_ABS, 0, 0, SD_ARG_LO(0));
	emit(f, BPF_JEQ_K, 0, 1, AF_UNIX);
	ret(f, SECCOMP_RET_ALLOW_);
	ret(f, j->net ? SECCOMP_RET_ALLOW_ : EPERM_);
	if (j->exec) {
		when(f, SYS_execve, 1);
		ret(f, SECCOMP_RET_ALLOW_);
		when(f, SYS_execveat, 1);
		ret(f, SECCOMP_RET_ALLOW_);
	}
	ret(f, EPERM_);
}

static int
seccomp_apply(const struct fp_jail *j)
{
	static struct filter f;
	struct bpf_prog_ prog;

	build_filter(j, &f);
	if (f.n == MAX_INSNS) {
		say("seccomp filter too long");
		return -1;
	}
	prog.len = (unsigned short)f.n;
	prog.filter = f.insn;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER_, 0, &prog) == 0)
		return 0;
	say("seccomp: %s", errno == ENOSYS || errno == EINVAL ?
	    "not available in this kernel" : strerror(errno));
	return errno == ENOSYS || errno == EINVAL ? -2 : -1;
}

/* --- the whole ----------------------------------------------------------- */

static int
enter(const struct fp_jail *j)
{
	struct ids id;
	int abi = 0, ruleset, rc;

#ifdef FATPACK_SAN_TOOLCHAIN
	/* LeakSanitizer's check at exit reads /proc and ptraces the threads,
	 * which the jail forbids: in the sanitizer build it runs now, once. */
	__lsan_do_leak_check();
#endif
	if (resolve_user(j, &id) != 0)
		return -1;
	ruleset = landlock_ruleset(j, &abi);
	if (ruleset == -1 || (ruleset == -2 && !j->best_effort))
		return -1;
	if (ruleset == -2)
		say("going on without Landlock (best-effort)");
	if (limit(RLIMIT_NOFILE, j->nofile, "nofile") != 0 ||
	    limit(RLIMIT_AS, j->mem, "mem") != 0 ||
	    limit(RLIMIT_CPU, j->cpu, "cpu") != 0 || become(&id) != 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		goto fail;
	if (ruleset >= 0) {
		rc = (int)syscall(SYS_landlock_restrict_self, ruleset, 0);
		close(ruleset);
		ruleset = -1;
		if (rc != 0) {
			say("landlock_restrict_self: %s", strerror(errno));
			return -1;
		}
	}
	if ((rc = seccomp_apply(j)) == -2 && j->best_effort) {
		say("going on without seccomp (best-effort)");
		rc = 0;
	}
	return rc;
fail:
	if (ruleset >= 0)
		close(ruleset);
	return -1;
}

int
fatpack_jail(void)
{
	static int done;
	const char *policy = fatpack_meta("jail"), *why;
	static struct fp_jail j;

	if (done || policy == NULL)
		return 0;
	if ((why = fp_parse_jail(policy, &j)) != NULL) {
		say("policy '%.64s': %s", policy, why);
		return FATPACK_ECORRUPT;
	}
	if (j.off)
		return 0;
	fp_notify_connect();
	fp_mount_prepare();
	if (enter(&j) != 0) {
		say("not starting without it%s", j.best_effort ? "" :
		    " (the policy does not say best-effort)");
		return FATPACK_EJAIL;
	}
	done = 1;
	return 0;
}

/* --- what a running process is confined to (--fatpack-jail [PID]) ------- */

/* The lines of /proc/PID/FILE whose names start with one of keys, as they
 * are. 0, or -1 after a message. */
static int
show_proc(const char *prog, const char *pid, const char *file,
    const char *const *keys, size_t nkeys)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/%s", pid, file);
	if ((f = fopen(path, "re")) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL)
		for (size_t i = 0; i < nkeys; i++)
			if (strncmp(line, keys[i], strlen(keys[i])) == 0)
				printf("  %s", line);
	fclose(f);
	return 0;
}

/* Whether process pid runs this very file. */
static const char *
same_program(const char *pid)
{
	char path[64];
	struct stat mine, theirs;
	const struct fp_reader *r = fp_runtime_archive();

	snprintf(path, sizeof(path), "/proc/%s/exe", pid);
	if (r == NULL || fstat(r->fd, &mine) < 0 || stat(path, &theirs) < 0)
		return "cannot tell which program it runs";
	return mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino ?
	    "runs this artifact" : "runs another program: the policy above is not its";
}

int
fp_jail_show(const char *prog, const char *pid)
{
	static const char *const status[] = { "Uid:", "Gid:", "NoNewPrivs:",
	    "Seccomp:", "Seccomp_filters:" };
	static const char *const limits[] = { "Max cpu time", "Max address space",
	    "Max open files" };
	const char *policy = fatpack_meta("jail");

	printf("jail policy: %s\n", policy != NULL ? policy : "none (off)");
	if (pid == NULL)
		return 0;
	printf("process %s: %s\n", pid, same_program(pid));
	if (show_proc(prog, pid, "status", status, 5) < 0 ||
	    show_proc(prog, pid, "limits", limits, 3) < 0)
		return 1;
	printf("  Landlock: the kernel does not show it; the runtime applies the "
	    "policy's read= and write= paths, or exits\n");
	return 0;
}
