/* main.c — the odbcpool command: dispatches to the subcommand table. */
#include "build.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"

static const struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *usage;
  const char *help;
} commands[] = {
    {"audit", cli_audit,
     "audit verify FILE...|purge [CONFIG]|subject [CONFIG]|report [CONFIG]",
     "verify the chain of an audit trail, delete expired files and keys, "
     "list a data subject's records, or report on the processing"},
    {"check", cli_check, "check [FILE]",
     "validate a pool config file and print its effective settings"},
    {"demo", cli_demo, "demo",
     "run a pooled workload and an erasure check on an embedded SQLite DSN"},
    {"encrypt", cli_encrypt, "encrypt --key KEYFILE [--new-key] FILE",
     "write an encrypted credentials file (UID, PWD) for a pool"},
    {"stats", cli_stats, "stats [--json] [--watch [SECONDS]] [CONFIG]",
     "show the live pools of every process using a pool config"},
};

static void usage(FILE *out) {
  fprintf(out, "usage: odbcpool COMMAND [ARGS]\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strlen(commands[i].usage) <= 16)
      fprintf(out, "  %-16s %s\n", commands[i].usage, commands[i].help);
    else
      fprintf(out, "  %s\n  %-16s %s\n", commands[i].usage, "",
              commands[i].help);
  fprintf(out, "\n%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
}

int main(int argc, char **argv) {
  /* The operator runs this command: its diagnostics go to its stderr,
   * unless the config's `log` or $ODBCPOOL_LOG say otherwise. */
  odbcpool__log_default_stderr();
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "odbcpool: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return 2;
}
