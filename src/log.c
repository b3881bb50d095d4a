/* log.c — diagnostic log of the pool (not the audit trail): where it
 * goes (syslog, a file, stderr, nowhere) and what passes. */
#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "util.h"

enum dest { DEST_SYSLOG, DEST_STDERR, DEST_NONE, DEST_FILE };

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int threshold = ODBCPOOL_LOG_WARN;
static enum dest default_dest = DEST_SYSLOG;
static enum dest dest = DEST_SYSLOG; /* guarded by mu */
static int fd = -1;                  /* DEST_FILE; guarded by mu */
static bool env_dest;                /* $ODBCPOOL_LOG chose the destination */

/* Opens the log file `path` for appending, safely (see log.h). Returns
 * the descriptor, or -1 with *why set. */
static int open_file(const char *path, char *why, size_t whylen) {
  const char *base, *reason = NULL;
  int dfd = odbcpool__open_safe_dir(path, &base, &reason);
  if (dfd < 0) {
    snprintf(why, whylen, "%s", reason ? reason : strerror(errno));
    return -1;
  }
  int f = openat(
      dfd, base,
      O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
  int e = errno;
  close(dfd);
  if (f < 0) {
    snprintf(why, whylen, "%s", strerror(e));
    return -1;
  }
  struct stat st;
  if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(f);
    snprintf(why, whylen, "not a regular file");
    return -1;
  }
  return f;
}

/* Sets the destination. Called with mu held. */
static int set_dest(const char *spec, char *why, size_t whylen) {
  enum dest d = default_dest;
  int f = -1;
  if (spec == NULL)
    d = default_dest;
  else if (strcmp(spec, "syslog") == 0)
    d = DEST_SYSLOG;
  else if (strcmp(spec, "stderr") == 0)
    d = DEST_STDERR;
  else if (strcmp(spec, "none") == 0)
    d = DEST_NONE;
  else if (spec[0] == '/') {
    d = DEST_FILE;
    if ((f = open_file(spec, why, whylen)) < 0)
      return -1;
  } else {
    snprintf(why, whylen,
             "'%.64s' is not syslog, stderr, none or an "
             "absolute path",
             spec);
    return -1;
  }
  if (fd >= 0)
    close(fd);
  fd = f;
  dest = d;
  return 0;
}

static void read_env(void) {
  static const char *const names[] = {"error", "warn", "info", "debug"};
  dest = default_dest;
  const char *v = getenv("ODBCPOOL_LOG");
  if (v == NULL)
    return;
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", v);
  for (char *tok = buf, *next; tok != NULL; tok = next) {
    next = strchr(tok, ',');
    if (next != NULL)
      *next++ = '\0';
    bool level = false;
    for (int i = 0; i < 4; i++) {
      if (strcmp(tok, names[i]) == 0) {
        threshold = i;
        level = true;
      }
    }
    if (level || *tok == '\0')
      continue;
    char why[256];
    pthread_mutex_lock(&mu);
    if (set_dest(tok, why, sizeof why) == 0) {
      env_dest = true;
    } else {
      /* Asked for on purpose, for debugging: say why it cannot be. */
      dest = DEST_STDERR;
      env_dest = true;
      fprintf(stderr,
              "odbcpool: warning: ODBCPOOL_LOG: %s: %s; logging "
              "to stderr\n",
              tok, why);
    }
    pthread_mutex_unlock(&mu);
  }
}

void odbcpool__log_default_stderr(void) {
  default_dest = DEST_STDERR;
}

int odbcpool__log_configure(const char *spec, odbcpool_error *err) {
  pthread_once(&once, read_env);
  pthread_mutex_lock(&mu);
  int code = ODBCPOOL_OK;
  char why[256];
  if (!env_dest && set_dest(spec, why, sizeof why) != 0)
    code = odbcpool__err(err, ODBCPOOL_EIO, "HY000", "log %s: %s", spec, why);
  pthread_mutex_unlock(&mu);
  return code;
}

void odbcpool__log(int level, const char *fmt, ...) {
  static const char *const tags[] = {"error", "warning", "info", "debug"};
  static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
  pthread_once(&once, read_env);
  if (level > threshold || level < 0)
    return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  char out[1200];
  pthread_mutex_lock(&mu);
  switch (dest) {
  case DEST_NONE:
    break;
  case DEST_SYSLOG:
    /* No openlog (see log.h): the facility in the priority, the sender
     * in the text, as the audit trail's syslog sink does. */
    syslog(LOG_USER | prio[level], "odbcpool[%ld]: %s: %s", (long)getpid(),
           tags[level], line);
    break;
  case DEST_STDERR:
    /* One fputs per line: stdio locks the stream, so lines from several
     * threads do not interleave. */
    snprintf(out, sizeof out, "odbcpool: %s: %s\n", tags[level], line);
    fputs(out, stderr);
    break;
  case DEST_FILE: {
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32] = "";
    if (gmtime_r(&now, &tm) != NULL)
      strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    int n = snprintf(out, sizeof out, "%s odbcpool[%ld]: %s: %s\n", stamp,
                     (long)getpid(), tags[level], line);
    if (n > (int)sizeof out - 1)
      n = (int)sizeof out - 1;
    /* One write with O_APPEND: lines of several processes sharing the
     * file stay whole. */
    ssize_t w = write(fd, out, (size_t)n);
    (void)w;
    break;
  }
  }
  pthread_mutex_unlock(&mu);
}
