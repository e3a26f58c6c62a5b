/*
 * unit.c - `APP --fatpack-unit [--socket] [DIR]`: a systemd unit for this
 * artifact, with the hardening that fits one static binary that needs
 * nothing but itself (docs/DEPLOY.md). The service is Type=notify: the
 * built-in server sends READY=1 once it listens (service.c, serve.c). With
 * --socket, the socket unit that hands the server its listening socket, at
 * the address the server would bind (fp_serve_listen), so restarts drop no
 * connection.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/check.h"
#include "inspect/inspect.h"
#include "runtime.h"

#define WORD_MAX 256

/* What systemd would read as something else in ExecStart= (quoting,
 * specifiers, variables, separators) is refused rather than escaped. */
static int
plain_path(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || strchr("\"'\\%$;", *s) != NULL ||
		    (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

/* The absolute path the service runs: DIR/current, or this executable. */
static int
exec_path(const char *prog, const char *dir, char *out, size_t cap)
{
	char real[PATH_MAX];
	ssize_t n;

	if (dir != NULL) {
		if (realpath(dir, real) == NULL) {
			fp_msg(prog, "%s: %s", dir, strerror(errno));
			return -1;
		}
		snprintf(out, cap, "%s%scurrent", real,
		    strcmp(real, "/") == 0 ? "" : "/");
	} else if ((n = readlink("/proc/self/exe", out, cap - 1)) < 0) {
		fp_msg(prog, "/proc/self/exe: %s", strerror(errno));
		return -1;
	} else {
		out[n] = '\0';
	}
	if (!plain_path(out)) {
		fp_msg(prog, "%s: a space, quote, '\\', '%%', '$' or ';' in the "
		    "path cannot go into ExecStart=; install elsewhere", out);
		return -1;
	}
	return 0;
}

static void
meta_copy(const struct fp_reader *r, const char *key, char *buf, size_t cap)
{
	size_t len;
	const char *v = fp_reader_meta(r, key, &len);

	if (v == NULL || len >= cap)
		len = 0;
	memcpy(buf, v != NULL ? v : "", len);
	buf[len] = '\0';
}

static void
print_service(const char *name, const char *version, const char *exec)
{
	printf("# %s.service, from %s --fatpack-unit: install it as\n"
	    "# /etc/systemd/system/%s.service (docs/DEPLOY.md)\n"
	    "[Unit]\n"
	    "Description=%s%s%s\n"
	    "After=network-online.target\n"
	    "Wants=network-online.target\n"
	    "\n"
	    "[Service]\n"
	    "# READY=1 once the server listens (a program of yours calls\n"
	    "# fatpack_notify(\"READY=1\"), or set Type=exec)\n"
	    "Type=notify\n"
	    "NotifyAccess=main\n"
	    "ExecStart=%s\n"
	    "Restart=on-failure\n"
	    "RestartSec=1\n"
	    "# the built-in server sends WATCHDOG=1 every WatchdogSec/2\n"
	    "#WatchdogSec=30\n"
	    "# one file that needs nothing but itself, its sockets and /proc/self\n"
	    "DynamicUser=yes\n"
	    "UMask=0077\n"
	    "CapabilityBoundingSet=\n"
	    "NoNewPrivileges=yes\n"
	    "ProtectSystem=strict\n"
	    "ProtectHome=yes\n"
	    "PrivateTmp=yes\n"
	    "PrivateDevices=yes\n"
	    "PrivateUsers=yes\n"
	    "ProtectProc=invisible\n"
	    "ProcSubset=pid\n"
	    "ProtectHostname=yes\n"
	    "ProtectClock=yes\n"
	    "ProtectKernelTunables=yes\n"
	    "ProtectKernelModules=yes\n"
	    "ProtectKernelLogs=yes\n"
	    "ProtectControlGroups=yes\n"
	    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n"
	    "RestrictNamespaces=yes\n"
	    "RestrictRealtime=yes\n"
	    "RestrictSUIDSGID=yes\n"
	    "LockPersonality=yes\n"
	    "MemoryDenyWriteExecute=yes\n"
	    "RemoveIPC=yes\n"
	    "SystemCallArchitectures=native\n"
	    "# and the calls of the artifact's own jail, applied on top\n"
	    "SystemCallFilter=@system-service seccomp landlock_create_ruleset "
	    "landlock_add_rule landlock_restrict_self\n"
	    "SystemCallErrorNumber=EPERM\n"
	    "\n"
	    "[Install]\n"
	    "WantedBy=multi-user.target\n", name, exec, name, name,
	    version[0] != '\0' ? " " : "", version, exec);
}

static int
print_socket(const char *prog, const struct fp_reader *r, const char *name)
{
	char listen[WORD_MAX];
	struct fp_listen a;
	const char *why;
	int v6;

	meta_copy(r, "serve.listen", listen, sizeof(listen));
	why = fp_serve_listen(NULL, getenv("PORT"), listen[0] != '\0' ? listen :
	    NULL, &a);
	if (why == NULL && a.port == 0)
		why = "port 0 (any free port) cannot be a socket unit's address";
	if (why != NULL) {
		fp_msg(prog, "%s '%s': %s", a.from, a.value, why);
		return 1;
	}
	v6 = strchr(a.host, ':') != NULL;
	printf("# %s.socket, from %s --fatpack-unit --socket: install it as\n"
	    "# /etc/systemd/system/%s.socket next to %s.service; systemd holds\n"
	    "# the port, so a restart of the service drops no connection\n"
	    "[Unit]\n"
	    "Description=%s socket\n"
	    "\n"
	    "[Socket]\n"
	    "ListenStream=%s%s%s:%u\n"
	    "\n"
	    "[Install]\n"
	    "WantedBy=sockets.target\n", name, prog, name, name, name,
	    v6 ? "[" : "", a.host, v6 ? "]" : "", a.port);
	return 0;
}

int
fp_unit(const char *prog, const struct fp_reader *r, const char *dir,
    int socket)
{
	char name[WORD_MAX], version[WORD_MAX], exec[PATH_MAX + 16];

	meta_copy(r, "name", name, sizeof(name));
	meta_copy(r, "version", version, sizeof(version));
	if (name[0] == '\0' || fp_check_name(name) != NULL) {
		fp_msg(prog, "%s: no usable name in the metadata for the unit",
		    prog);
		return 1;
	}
	if (socket)
		return print_socket(prog, r, name);
	if (exec_path(prog, dir, exec, sizeof(exec)) < 0)
		return 1;
	print_service(name, version[0] != '\0' && fp_check_version(version) ==
	    NULL ? version : "", exec);
	return 0;
}
