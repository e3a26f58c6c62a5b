/*
 * old_kernel.c - runs a program as on a kernel without Landlock or without
 * seccomp filters, for tests/t_jail.sh: a seccomp filter of its own makes
 * landlock_create_ruleset(2) or seccomp(2) fail with ENOSYS, as they do on a
 * kernel built without them, then it executes the program. A host program
 * (compiled by the test), not a fat binary and not a unit test.
 *
 *   old_kernel landlock|seccomp PROGRAM [ARG...]
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif

int
main(int argc, char **argv)
{
	unsigned nr;
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (argc < 3 || (strcmp(argv[1], "landlock") != 0 &&
	    strcmp(argv[1], "seccomp") != 0)) {
		fprintf(stderr, "usage: old_kernel landlock|seccomp PROGRAM "
		    "[ARG...]\n");
		return 2;
	}
	nr = strcmp(argv[1], "landlock") == 0 ?
	    SYS_landlock_create_ruleset : SYS_seccomp;
	f[4].k = nr;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		perror("old_kernel: seccomp");
		return 1;
	}
	execv(argv[2], argv + 2);
	perror("old_kernel: exec");
	return 127;
}
