/* cli.h — subcommands of the odbcpool command. */
#ifndef ODBCPOOL_CLI_H
#define ODBCPOOL_CLI_H

int cli_audit(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_stats(int argc, char **argv);
int cli_demo(int argc, char **argv);
int cli_encrypt(int argc, char **argv);

/* `odbcpool audit subject` and `odbcpool audit report` (src/cli/subject.c,
 * src/cli/report.c). */
int cli_audit_subject(int argc, char **argv);
int cli_audit_report(int argc, char **argv);

#include <stdbool.h>

#include "audit_report.h"

/* The option loop of a subcommand (src/cli/args.c): returns argv[*i] if
 * it is an option (starts with '-' and is not "-"), else NULL with *i at
 * the first operand; "--" ends the options and is skipped. Use as
 *   for (i = 1; (a = cli_next_opt(argc, argv, &i)) != NULL; i++) ...
 * after which argv + i are the operands. */
const char *cli_next_opt(int argc, char **argv, int *i);
/* Takes the value of option argv[*i] into *dst (*i advances). Returns
 * true, or false after printing to stderr, naming "odbcpool CMD", that the
 * value is missing or the option was given twice. */
bool cli_take_value(const char *cmd, int argc, char **argv, int *i,
                    const char **dst);
/* Prints "odbcpool CMD: unknown option 'A'" to stderr. */
void cli_unknown_option(const char *cmd, const char *a);
/* True for --help and -h. */
bool cli_is_help(const char *a);
/* Keeps this process's secrets out of core dumps and away from ptrace by
 * other processes of the same user. */
void cli_no_core(void);

/* Where subject and report read: [--key KEYFILE | --config CONFIG]
 * [--pseudonym-keys DIR] [--syslog] [CONFIG | FILE...]. */
struct cli_trail {
  const char *key, *config, *pkey_dir;
  bool syslog;
  struct cfg *cfg;
  char **trail; /* the config's trail files, when no FILE is given */
  int ntrail;
  char *pkey_alloc;
  struct odbcpool__trail_src src;
};

/* Handles option `argv[*i]` if it is one of the trail's, taking its value
 * (*i advances). Returns 1 if taken, 0 if not one, 2 on a usage error
 * (printed, naming "audit CMD"). */
int cli_trail_option(const char *cmd, struct cli_trail *t, int argc,
                     char **argv, int *i);
/* Resolves the files and keys from the options and the positional
 * arguments. Returns 0, or 2 after printing why not. */
int cli_trail_resolve(const char *cmd, struct cli_trail *t, char **pos,
                      int npos);
void cli_trail_free(struct cli_trail *t);

#endif /* ODBCPOOL_CLI_H */
