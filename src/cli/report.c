/* report.c — `odbcpool audit report`: the records of processing (GDPR
 * Art. 30) per DSN and purpose from the audit trail, as text, JSON and
 * one self-contained HTML page. */
#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_report.h"
#include "cli.h"

static void usage(FILE *out) {
  fputs("usage: odbcpool audit report [--since DATE] [--json] [--html FILE]\n"
        "         [--key KEYFILE | --config CONFIG] [--pseudonym-keys DIR]\n"
        "         [--syslog] [CONFIG | FILE...]\n"
        "Summarises the audit trail per DSN and purpose. DATE is YYYY-MM-DD "
        "or\nYYYY-MM-DDTHH:MM:SSZ (UTC). --html writes one self-contained "
        "HTML page.\n",
        out);
}

/* Writes the HTML page to `path`: a new file (O_EXCL is not used, so that
 * a report can be made again, but a symbolic link is never followed),
 * mode 0600 as it holds pseudonymous data. Returns 0 or prints why not. */
static int write_html(const struct odbcpool__report *r, const char *path) {
  int fd =
      open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (f == NULL) {
    fprintf(stderr, "odbcpool audit report: %s: %s\n", path, strerror(errno));
    if (fd >= 0)
      close(fd);
    return 2;
  }
  odbcpool__report_html(r, f);
  if (ferror(f) | (fclose(f) != 0)) {
    fprintf(stderr, "odbcpool audit report: %s: cannot write: %s\n", path,
            strerror(errno));
    return 2;
  }
  return 0;
}

int cli_audit_report(int argc, char **argv) {
  struct cli_trail t = {0};
  const char *since = NULL, *html = NULL;
  bool json = false;
  int i, rc;

  const char *a;
  for (i = 1; (a = cli_next_opt(argc, argv, &i)) != NULL; i++) {
    if (cli_is_help(a)) {
      usage(stdout);
      return 0;
    }
    if (strcmp(a, "--json") == 0) {
      json = true;
      continue;
    }
    const char **dst = strcmp(a, "--since") == 0  ? &since
                       : strcmp(a, "--html") == 0 ? &html
                                                  : NULL;
    if (dst != NULL) {
      if (cli_take_value("audit report", argc, argv, &i, dst))
        continue;
      rc = 2;
    } else {
      rc = cli_trail_option("report", &t, argc, argv, &i);
    }
    if (rc == 1)
      continue;
    if (rc == 0)
      cli_unknown_option("audit report", a);
    usage(stderr);
    return 2;
  }
  int64_t since_ms = INT64_MIN;
  if (since != NULL && !odbcpool__audit_parse_time(since, &since_ms)) {
    fprintf(stderr,
            "odbcpool audit report: --since %s: want YYYY-MM-DD or "
            "YYYY-MM-DDTHH:MM:SSZ\n",
            since);
    return 2;
  }
  if (cli_trail_resolve("report", &t, argv + i, argc - i) != 0) {
    cli_trail_free(&t);
    return 2;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  const char *fake = getenv("ODBCPOOL_REPORT_NOW_MS"); /* for tests */
  if (fake != NULL && *fake)
    now = strtoll(fake, NULL, 10);
  struct odbcpool__report *r;
  odbcpool_error err;
  if (odbcpool__report_build(&t.src, since_ms, now, &r, &err) != ODBCPOOL_OK) {
    fprintf(stderr, "odbcpool audit report: %s\n", err.message);
    cli_trail_free(&t);
    return 2;
  }
  if (json)
    odbcpool__report_json(r, stdout);
  else
    odbcpool__report_text(r, stdout);
  rc = odbcpool__report_intact(r) ? 0 : 1;
  if (!odbcpool__report_intact(r))
    fprintf(stderr, "odbcpool audit report: TAMPERED: the trail is not "
                    "intact (see the report)\n");
  if (html != NULL && write_html(r, html) != 0)
    rc = 2;
  odbcpool__report_free(r);
  cli_trail_free(&t);
  return rc;
}
