/*
 * config.h - the fatpack file: a project's build settings (fatpack.ini).
 */
#ifndef FP_CONFIG_H
#define FP_CONFIG_H

#include "build.h"

#define CONFIG_FILE "fatpack.ini"

/* Reads path into o (settings not in the file are left as they are); o keeps
 * path for later messages. On a syntax error, unknown key or bad value prints
 * "path:line: reason" on stderr and returns -1. Relative paths in the file
 * are taken from the file's folder. */
int config_load(const char *path, struct build_opts *o);

#endif
