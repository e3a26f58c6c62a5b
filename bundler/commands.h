/*
 * commands.h - the subcommands of `fatpack`. Each takes the arguments after
 * its name (argv[0] is the subcommand name) and returns the process exit status:
 * 0 success, 1 failure, 2 usage error.
 */
#ifndef FP_COMMANDS_H
#define FP_COMMANDS_H

int cmd_build(int argc, char **argv);
int cmd_cc(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_oci(int argc, char **argv);
int cmd_keygen(int argc, char **argv);

#endif
