/* check.c — `odbcpool check [FILE]`: validates a pool config file and
 * prints the effective settings of each pool. */
#include "build.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <odbcinst.h>

#include "cli.h"
#include "config.h"

#ifndef ODBCPOOL_SYSCONFDIR
#define ODBCPOOL_SYSCONFDIR "/etc"
#endif

#define HELP_WIDTH 78

static const char *type_name(enum cfg_type t) {
  switch (t) {
  case CFG_INT:
    return "number";
  case CFG_DURATION:
    return "duration";
  case CFG_BOOL:
    return "yes/no";
  case CFG_STRING:
    return "SQL";
  case CFG_PATH:
    return "file";
  }
  return "?";
}

/* Prints `text` word-wrapped to HELP_WIDTH columns, each line indented. */
static void print_wrapped(FILE *out, const char *text, int indent) {
  const char *p = text;

  while (*p) {
    const char *end = p, *brk = NULL;
    int col = indent;

    while (*end && col < HELP_WIDTH) {
      if (*end == ' ')
        brk = end;
      end++;
      col++;
    }
    if (*end && brk)
      end = brk;
    fprintf(out, "%*s%.*s\n", indent, "", (int)(end - p), p);
    p = end;
    while (*p == ' ')
      p++;
  }
}

static void usage(FILE *out, bool full) {
  fprintf(out, "usage: odbcpool check [FILE]\n");
  if (!full)
    return;
  fprintf(out,
          "\nValidates the pool config FILE and prints the effective settings "
          "of each pool,\nwith warnings about the ODBC setup around it. "
          "Exits 0 if the file is valid,\n1 if it is not, 2 on a usage "
          "error. FILE defaults to $ODBCPOOL_CONFIG, else\n"
          "%s/odbcpool.ini.\n\n"
          "The file has a [defaults] section and one section per target DSN; "
          "a DSN\nsection inherits every key it does not set from "
          "[defaults]. Durations need a\nunit: ms, s, min, h or d (\"0\" "
          "alone means off). Comments start with ; or #\nat the start of a "
          "line, or after a blank in a value that is not SQL.\n\nsettings:\n",
          ODBCPOOL_SYSCONFDIR);
  for (size_t i = 0; i < odbcpool__cfg_nsettings; i++) {
    const struct cfg_setting *s = &odbcpool__cfg_settings[i];

    fprintf(out, "  %s (%s, default %s)\n", s->name, type_name(s->type),
            s->def ? s->def : "none");
    print_wrapped(out, s->help, 6);
  }
}

/* True if SQL text `s` holds a connection-string password
 * ("PWD=...", "Password = ..."), which check must not print. */
static bool has_secret(const char *s) {
  static const char *const words[] = {"pwd", "password"};

  for (const char *p = s; *p; p++) {
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
      size_t n = strlen(words[i]);
      const char *q = p + n;

      if (strncasecmp(p, words[i], n) != 0)
        continue;
      while (*q == ' ' || *q == '\t')
        q++;
      if (*q == '=')
        return true;
    }
  }
  return false;
}

static void print_setting(const struct cfg *cfg, const struct cfg_pool *pool,
                          const struct cfg_setting *s, int width) {
  const void *v = odbcpool__cfg_value(cfg, pool, s);
  const char *text = NULL;
  char buf[32];

  switch (s->type) {
  case CFG_INT:
    snprintf(buf, sizeof buf, "%ld", *(const long *)v);
    text = buf;
    break;
  case CFG_DURATION:
    odbcpool__cfg_format_duration(*(const long *)v, buf, sizeof buf);
    text = buf;
    break;
  case CFG_BOOL:
    text = *(const bool *)v ? "yes" : "no";
    break;
  case CFG_STRING:
  case CFG_PATH:
    text = *(char *const *)v;
    if (!text)
      text = "(none)";
    else if (s->type == CFG_STRING && has_secret(text))
      text = "<redacted>";
    break;
  }
  printf("%-*s = %s\n", width, s->name, text);
}

static void print_pool(const struct cfg *cfg, const struct cfg_pool *pool,
                       int width) {
  size_t gexec = 0;

  printf("\n[%s]", pool->dsn ? pool->dsn : "defaults");
  if (pool->line)
    printf("  ; line %u", pool->line);
  else
    printf("  ; not in the file: built-in values");
  printf("\n");
  for (size_t i = 0; i < odbcpool__cfg_nsettings; i++) {
    const struct cfg_setting *s = &odbcpool__cfg_settings[i];

    if (!s->defaults_only || !pool->dsn)
      print_setting(cfg, pool, s, width);
  }
  for (size_t i = 0; i < pool->nreset; i++)
    gexec += pool->reset[i].gexec;
  printf("; %zu reset statement%s", pool->nreset, pool->nreset == 1 ? "" : "s");
  if (gexec)
    printf(", %zu with \\gexec", gexec);
  printf("\n");
}

/* True if the driver manager reads `s` as "pooling on": the test of
 * unixODBC 2.3.11's SQLAllocHandle ('1', 'Y...' or 'ON...'). "true" is
 * not on there, so it is not warned about. */
static bool dm_pooling_on(const char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  return s[0] == '1' || s[0] == 'y' || s[0] == 'Y' ||
         strncasecmp(s, "on", 2) == 0;
}

/* Prints a warning, after a blank line if it is the first. */
static void warning(int *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void warning(int *n, const char *fmt, ...) {
  va_list ap;

  if ((*n)++ == 0)
    printf("\n");
  printf("warning: ");
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
}

/* Warns about the ODBC setup around the config; returns the count. */
static int warn_odbc(const struct cfg *cfg) {
  char buf[512];
  int n = 0;

  buf[0] = '\0';
  SQLGetPrivateProfileString("ODBC", "Pooling", "", buf, sizeof buf,
                             "odbcinst.ini");
  if (dm_pooling_on(buf))
    warning(&n,
            "unixODBC's own connection pooling is on ([ODBC] Pooling = %s "
            "in odbcinst.ini). It resets nothing between borrowers: no "
            "rollback, no attribute restore, and temporary tables and "
            "uncommitted rows stay visible to the next one. Turn it off for "
            "DSNs behind odbcpool.",
            buf);
  for (size_t i = 0; i < cfg->npools; i++) {
    const struct cfg_pool *p = &cfg->pools[i];

    buf[0] = '\0';
    SQLGetPrivateProfileString(p->dsn, "Driver", "", buf, sizeof buf,
                               "odbc.ini");
    if (buf[0] == '\0') {
      warning(&n, "DSN '%s' (line %u) is not defined in odbc.ini", p->dsn,
              p->line);
      continue;
    }
    buf[0] = '\0';
    SQLGetPrivateProfileString(p->dsn, "TargetDSN", "", buf, sizeof buf,
                               "odbc.ini");
    if (buf[0] != '\0')
      warning(&n,
              "DSN '%s' (line %u) is an odbcpool DSN (it has TargetDSN = "
              "%s); a section names the target DSN behind it",
              p->dsn, p->line, buf);
  }
  return n;
}

int cli_check(int argc, char **argv) {
  const char *path = NULL;
  int width = 0;
  bool options = true;
  odbcpool_error err;
  struct cfg *cfg;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];

    if (options && a[0] == '-' && a[1] != '\0') {
      if (strcmp(a, "--") == 0) {
        options = false;
        continue;
      }
      if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
        usage(stdout, true);
        return 0;
      }
      fprintf(stderr, "odbcpool check: unknown option '%s'\n", a);
      usage(stderr, false);
      return 2;
    }
    if (path) {
      fprintf(stderr, "odbcpool check: more than one FILE given\n");
      usage(stderr, false);
      return 2;
    }
    path = a;
  }
  if (!path) {
    path = getenv("ODBCPOOL_CONFIG");
    if (!path || !*path)
      path = ODBCPOOL_SYSCONFDIR "/odbcpool.ini";
  }
  if (odbcpool__cfg_load(path, &cfg, &err) != ODBCPOOL_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  for (size_t i = 0; i < odbcpool__cfg_nsettings; i++) {
    int len = (int)strlen(odbcpool__cfg_settings[i].name);

    if (len > width)
      width = len;
  }
  printf("; %s: valid, %zu DSN section%s\n", path, cfg->npools,
         cfg->npools == 1 ? "" : "s");
  print_pool(cfg, &cfg->defaults, width);
  for (size_t i = 0; i < cfg->npools; i++)
    print_pool(cfg, &cfg->pools[i], width);
  warn_odbc(cfg);
  odbcpool__cfg_free(cfg);
  return 0;
}
