/*
 * jail_abi.h - the kernel interfaces jail.c speaks: Landlock (ABI 1 to 7)
 * and seccomp filters. musl ships no kernel headers, and the Debian kernel
 * headers stop at Landlock ABI 3, so the numbers of the kernel's stable
 * user-space ABI (Documentation/userspace-api/landlock.rst, seccomp(2),
 * filter(2)) are written here. Not installed.
 */
#ifndef FP_JAIL_ABI_H
#define FP_JAIL_ABI_H

#include <stdint.h>

/* --- Landlock ------------------------------------------------------------ */
#define LL_CREATE_RULESET_VERSION 1u
#define LL_RULE_PATH_BENEATH      1

#define LL_FS_EXECUTE     (1ull << 0)
#define LL_FS_WRITE_FILE  (1ull << 1)
#define LL_FS_READ_FILE   (1ull << 2)
#define LL_FS_READ_DIR    (1ull << 3)
#define LL_FS_ABI1        ((1ull << 13) - 1)    /* EXECUTE .. MAKE_SYM */
#define LL_FS_REFER       (1ull << 13)          /* ABI 2 */
#define LL_FS_TRUNCATE    (1ull << 14)          /* ABI 3 */
#define LL_FS_IOCTL_DEV   (1ull << 15)          /* ABI 5 */
/* the rights that apply to a file, not only to a folder */
#define LL_FS_FILE        (LL_FS_EXECUTE | LL_FS_WRITE_FILE | \
    LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

#define LL_NET_BIND_TCP    (1ull << 0)          /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ull << 1)
#define LL_SCOPE_SIGNAL    (1ull << 1)          /* ABI 6 */

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;    /* ABI 4 */
	uint64_t scoped;                /* ABI 6 */
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

/* --- seccomp and classic BPF --------------------------------------------- */
#define SECCOMP_SET_MODE_FILTER_ 1
#define SECCOMP_RET_KILL_PROCESS_ 0x80000000u
#define SECCOMP_RET_ERRNO_        0x00050000u
#define SECCOMP_RET_ALLOW_        0x7fff0000u

struct bpf_insn_ {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

struct bpf_prog_ {
	unsigned short len;
	struct bpf_insn_ *filter;
};

#define BPF_LD_W_ABS 0x20       /* BPF_LD | BPF_W | BPF_ABS */
#define BPF_JEQ_K    0x15       /* BPF_JMP | BPF_JEQ | BPF_K */
#define BPF_JSET_K   0x45       /* BPF_JMP | BPF_JSET | BPF_K */
#define BPF_RET_K    0x06       /* BPF_RET | BPF_K */

/* struct seccomp_data: nr, arch, instruction pointer, then six arguments;
 * the low 32 bits of an argument (little-endian machines) */
#define SD_NR        0
#define SD_ARCH      4
#define SD_ARG_LO(i) (16 + 8 * (i))

#if defined(__x86_64__)
#define FP_AUDIT_ARCH 0xc000003eu       /* AUDIT_ARCH_X86_64 */
#elif defined(__aarch64__)
#define FP_AUDIT_ARCH 0xc00000b7u       /* AUDIT_ARCH_AARCH64 */
#else
#error "the jail's seccomp filter knows x86_64 and aarch64"
#endif

#endif
