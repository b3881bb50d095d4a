/* args.c — what every subcommand does with its arguments: the option loop
 * and keeping secrets out of core dumps. */
#include "build.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "cli.h"

const char *cli_next_opt(int argc, char **argv, int *i) {
  if (*i >= argc)
    return NULL;
  const char *a = argv[*i];
  if (strcmp(a, "--") == 0) {
    (*i)++;
    return NULL;
  }
  if (a[0] != '-' || a[1] == '\0')
    return NULL;
  return a;
}

bool cli_is_help(const char *a) {
  return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

void cli_no_core(void) {
  struct rlimit rl = {0, 0};
  (void)setrlimit(RLIMIT_CORE, &rl);
#ifdef __linux__
  (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

bool cli_take_value(const char *cmd, int argc, char **argv, int *i,
                    const char **dst) {
  const char *a = argv[*i];
  if (*dst != NULL) {
    fprintf(stderr, "odbcpool %s: '%s' given twice\n", cmd, a);
    return false;
  }
  if (*i + 1 >= argc) {
    fprintf(stderr, "odbcpool %s: missing value after '%s'\n", cmd, a);
    return false;
  }
  *dst = argv[++*i];
  return true;
}

void cli_unknown_option(const char *cmd, const char *a) {
  fprintf(stderr, "odbcpool %s: unknown option '%s'\n", cmd, a);
}
