/*
 * temps.c - temporary files that a command removes however it ends.
 *
 * The paths are copied into fixed slots so that the signal handler reads
 * no memory being freed; a command has at most a handful at once (build:
 * the linked program, its stripped copy, the output, its signature, a
 * symlink).
 */
#include <err.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "temps.h"

#define MAX_TEMPS 8

static char temp_path[MAX_TEMPS][PATH_MAX];
static volatile sig_atomic_t temp_used[MAX_TEMPS];

static const int fatal_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGABRT, SIGBUS, SIGSEGV, SIGPIPE, SIGTERM,
	SIGXFSZ,
};
#define N_FATAL (sizeof(fatal_signals) / sizeof(fatal_signals[0]))
static struct sigaction old_actions[N_FATAL];
static int caught;

static void
unlink_all(void)
{
	for (int i = 0; i < MAX_TEMPS; i++)
		if (temp_used[i])
			unlink(temp_path[i]);
}

/* Async-signal-safe: removes the temporary files, then lets the signal do
 * what it did before (end the process, or a sanitizer's report). */
static void
on_signal(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	unlink_all();
	for (size_t i = 0; i < N_FATAL; i++)
		if (fatal_signals[i] == sig)
			sigaction(sig, &old_actions[i], NULL);
	/* a fault happens again when the handler returns, with its own
	 * details; a signal that was sent is sent again */
	if ((sig == SIGSEGV || sig == SIGBUS) && si->si_code > 0)
		return;
	raise(sig);
}

static void
catch_signals(void)
{
	struct sigaction sa;

	if (caught)
		return;
	caught = 1;
	atexit(unlink_all);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_FATAL; i++) {
		sigaction(fatal_signals[i], NULL, &old_actions[i]);
		if (old_actions[i].sa_handler != SIG_IGN)
			sigaction(fatal_signals[i], &sa, NULL);
	}
}

/* Blocks the signals sent from outside while a file is created and
 * tracked, so that none is created untracked. */
static void
hold_signals(sigset_t *old)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGHUP);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGQUIT);
	sigaddset(&s, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &s, old);
}

/* A free slot; running out is a bug in a command, not a user's error. */
static int
free_slot(const char *path)
{
	if (strlen(path) >= PATH_MAX)
		errx(1, "%s: temporary path too long", path);
	for (int i = 0; i < MAX_TEMPS; i++)
		if (!temp_used[i])
			return i;
	errx(1, "%s: too many temporary files", path);
}

/* The path is whole before the handler, on any thread, can see the slot
 * in use: this thread holds the signals, another one may not. */
static void
track(int slot, const char *path)
{
	strcpy(temp_path[slot], path);
	atomic_thread_fence(memory_order_release);
	temp_used[slot] = 1;
}

int
temps_mkstemp(char *tmpl)
{
	sigset_t old;
	int slot, fd;

	catch_signals();
	slot = free_slot(tmpl);
	hold_signals(&old);
	fd = mkstemp(tmpl);
	if (fd >= 0)
		track(slot, tmpl);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return fd;
}

void
temps_add(const char *path)
{
	catch_signals();
	track(free_slot(path), path);
}

void
temps_forget(const char *path)
{
	for (int i = 0; i < MAX_TEMPS; i++)
		if (temp_used[i] && strcmp(temp_path[i], path) == 0)
			temp_used[i] = 0;
}

void
temps_remove(const char *path)
{
	unlink(path);
	temps_forget(path);
}
