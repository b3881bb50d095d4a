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
 * (printed, naming `cmd`). */
int cli_trail_option(const char *cmd, struct cli_trail *t, int argc,
                     char **argv, int *i);
/* Resolves the files and keys from the options and the positional
 * arguments. Returns 0, or 2 after printing why not. */
int cli_trail_resolve(const char *cmd, struct cli_trail *t, char **pos,
                      int npos);
void cli_trail_free(struct cli_trail *t);

#endif /* ODBCPOOL_CLI_H */
