/*
 * tap.c - the report lines of the host unit tests (see tap.h), in one place
 * so that every test prints what tests/run.sh counts.
 */
#include <stdio.h>

#include "tap.h"

int failures;

void
check(int cond, const char *name)
{
	printf("%sok - %s\n", cond ? "" : "not ", name);
	if (!cond)
		failures++;
}
