/* log.c — diagnostic log of the pool (not the audit trail). */
#include "build.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int threshold = ODBCPOOL_LOG_WARN;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void read_env(void) {
  static const char *const names[] = {"error", "warn", "info", "debug"};
  const char *v = getenv("ODBCPOOL_LOG");
  if (v == NULL)
    return;
  for (int i = 0; i < 4; i++)
    if (strcmp(v, names[i]) == 0)
      threshold = i;
}

void odbcpool__log(int level, const char *fmt, ...) {
  static const char *const tags[] = {"error", "warning", "info", "debug"};
  pthread_once(&once, read_env);
  if (level > threshold)
    return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  /* One fputs per line: stdio locks the stream, so lines from several
   * threads do not interleave. */
  char out[1100];
  snprintf(out, sizeof out, "odbcpool: %s: %s\n", tags[level], line);
  fputs(out, stderr);
}
