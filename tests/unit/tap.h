/*
 * tap.h - how a host unit test reports: one "ok - name" or "not ok - name"
 * line per check, which tests/run.sh counts, and an exit status of 1 when
 * any failed (main returns failures != 0).
 *
 * A test that uses it lists tests/unit/tap.c among its test-sources.
 */
#ifndef TAP_H
#define TAP_H

extern int failures;

/* Prints "ok - name" or "not ok - name"; counts failures. */
void check(int cond, const char *name);

#endif
