/*
 * temps.h - temporary files that a command removes however it ends: an
 * error, exit(3) from deep inside (out of memory) or a fatal signal.
 */
#ifndef FP_TEMPS_H
#define FP_TEMPS_H

/* mkstemp(3) on tmpl, the new file tracked until temps_forget or
 * temps_remove. The first call installs the signal handlers that remove
 * the tracked files (a signal that is ignored stays ignored: nohup). */
int temps_mkstemp(char *tmpl);

/* Tracks a path the caller is about to create by other means (a symlink);
 * the caller creates it after this call. */
void temps_add(const char *path);

/* The path is no longer ours to remove (renamed into place). */
void temps_forget(const char *path);

/* Unlinks the path and forgets it. */
void temps_remove(const char *path);

#endif
