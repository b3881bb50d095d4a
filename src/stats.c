/* stats.c — the statistics file: every pool's counters in Prometheus'
 * text exposition format, replaced atomically. */
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pool.h"
#include "util.h"

/* Gauges and counters of odbcpool_stats: (field, name, type, help). */
#define STATS_FIELDS(X)                                                        \
  X(open, "connections", "gauge", "Physical connections, all states.")         \
  X(idle, "idle", "gauge", "Connections ready to hand out.")                   \
  X(in_use, "in_use", "gauge", "Borrowed connections.")                        \
  X(resetting, "resetting", "gauge", "Returned connections being erased.")     \
  X(waiting, "waiting", "gauge", "Borrowers waiting for a connection.")        \
  X(borrows, "borrows_total", "counter", "Successful borrows.")                \
  X(timeouts, "timeouts_total", "counter", "Borrows that timed out.")          \
  X(connects, "connects_total", "counter", "Physical connects.")               \
  X(connect_failures, "connect_failures_total", "counter",                     \
    "Physical connects that failed.")                                          \
  X(resets, "resets_total", "counter", "Returns erased successfully.")         \
  X(reset_failures, "reset_failures_total", "counter",                         \
    "Returns whose erasure failed; the connection was closed.")                \
  X(resets_light, "resets_light_total", "counter",                             \
    "Returns whose borrower ran nothing that can change session state: the "   \
    "database's reset was skipped.")                                           \
  X(validations_failed, "validations_failed_total", "counter",                 \
    "Idle connections that failed validation.")                                \
  X(leaks, "leaks_total", "counter", "Borrows held past leak_threshold.")      \
  X(wait_us_total, "wait_microseconds_total", "counter",                       \
    "Time borrowers spent waiting.")

/* Writes `s` as a label value: backslash, quote and newline escaped. */
static void put_label(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '\\' || *s == '"')
      fprintf(f, "\\%c", *s);
    else if (*s == '\n')
      fputs("\\n", f);
    else
      fputc(*s, f);
  }
}

/* A snapshot of one DSN's statistics (over all its credentials). */
struct snap {
  char *dsn;
  odbcpool_stats st;
};

/* Takes the snapshot. Called with the lock held; returns a malloc'ed
 * array of *n entries (NULL when there are none or on ENOMEM). */
static struct snap *snapshot(odbcpool_set *s, size_t *n) {
  size_t cap = 0;
  for (struct dsn_stats *d = s->dsns; d; d = d->next)
    cap++;
  *n = 0;
  if (cap == 0)
    return NULL;
  struct snap *v = calloc(cap, sizeof *v);
  if (v == NULL)
    return NULL;
  for (struct dsn_stats *d = s->dsns; d; d = d->next, (*n)++) {
    v[*n].dsn = d->dsn; /* lives as long as the set */
    v[*n].st = d->c;
    for (struct pool *p = s->pools; p; p = p->next) {
      if (strcmp(p->dsn, d->dsn) != 0)
        continue;
      odbcpool_stats *o = &v[*n].st;
      o->open += odbcpool__pool_total(p);
      o->idle += p->lists[CONN_IDLE].n;
      o->in_use += p->lists[CONN_IN_USE].n;
      o->resetting += p->lists[CONN_RESETTING].n;
      o->waiting += p->nwaiting;
    }
  }
  return v;
}

/* Writers (the housekeeper, odbcpool_close, the driver's exit hook) are
 * serialised, and a snapshot older than the one last written is
 * dropped, so the file only moves forward. */
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

/* Writes the file `path` safely in a directory that others may share
 * (a root-run pool writing to /run/odbcpool, say): into a new file with a
 * random name in the same directory, created with O_EXCL | O_NOFOLLOW, so
 * that no symbolic link or file planted in advance is followed or
 * reused, then renamed over `path` (rename replaces a link, never follows
 * it). Refuses a directory another user could swap files in
 * (odbcpool__open_safe_dir). Returns 0 or an errno value; *why (OUT)
 * explains EPERM. */
static int write_file(const char *path, const struct snap *v, size_t n,
                      const char **why) {
  const char *base;
  int dfd = odbcpool__open_safe_dir(path, &base, why);
  if (dfd < 0)
    return errno;
  char tmp[300];
  int fd = -1;
  for (int tries = 0; fd < 0 && tries < 16; tries++) {
    char rnd[13];
    odbcpool__random_name(rnd, sizeof rnd);
    snprintf(tmp, sizeof tmp, ".%.200s.%s.tmp", base, rnd);
    fd = openat(dfd, tmp,
                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                0644);
    if (fd < 0 && errno != EEXIST)
      break;
  }
  if (fd < 0) {
    int e = errno;
    close(dfd);
    return e;
  }
  FILE *f = fdopen(fd, "w");
  if (f == NULL) {
    int e = errno;
    close(fd);
    unlinkat(dfd, tmp, 0);
    close(dfd);
    return e;
  }
#define EMIT(field, name, type, help)                                          \
  fprintf(f, "# HELP odbcpool_%s %s\n# TYPE odbcpool_%s %s\n", name, help,     \
          name, type);                                                         \
  for (size_t i = 0; i < n; i++) {                                             \
    fputs("odbcpool_" name "{dsn=\"", f);                                      \
    put_label(f, v[i].dsn);                                                    \
    fprintf(f, "\"} %llu\n", (unsigned long long)v[i].st.field);               \
  }
  STATS_FIELDS(EMIT)
#undef EMIT
  fputs("# HELP odbcpool_closes_total Connections closed, by reason.\n"
        "# TYPE odbcpool_closes_total counter\n",
        f);
  for (size_t i = 0; i < n; i++) {
    for (int r = 0; r < ODBCPOOL_CLOSE_MAX_; r++) {
      fputs("odbcpool_closes_total{dsn=\"", f);
      put_label(f, v[i].dsn);
      fprintf(f, "\",reason=\"%s\"} %llu\n", odbcpool_close_reason_name(r),
              (unsigned long long)v[i].st.closes[r]);
    }
  }
  fputs("# HELP odbcpool_wait_seconds Time borrows waited for a "
        "connection.\n# TYPE odbcpool_wait_seconds histogram\n",
        f);
  static const uint64_t le[] = ODBCPOOL_WAIT_BUCKETS_US;
  for (size_t i = 0; i < n; i++) {
    uint64_t cum = 0;
    for (size_t b = 0; b < sizeof le / sizeof le[0]; b++) {
      cum += v[i].st.wait_hist[b];
      fputs("odbcpool_wait_seconds_bucket{dsn=\"", f);
      put_label(f, v[i].dsn);
      if (le[b] == UINT64_MAX)
        fprintf(f, "\",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
      else
        fprintf(f, "\",le=\"%g\"} %llu\n", (double)le[b] / 1e6,
                (unsigned long long)cum);
    }
    fputs("odbcpool_wait_seconds_sum{dsn=\"", f);
    put_label(f, v[i].dsn);
    fprintf(f, "\"} %.6f\n", (double)v[i].st.wait_us_total / 1e6);
    fputs("odbcpool_wait_seconds_count{dsn=\"", f);
    put_label(f, v[i].dsn);
    fprintf(f, "\"} %llu\n", (unsigned long long)cum);
  }
  fprintf(f,
          "# HELP odbcpool_process_id The process these pools live in.\n"
          "# TYPE odbcpool_process_id gauge\nodbcpool_process_id %ld\n",
          (long)getpid());
  int e = ferror(f) ? EIO : 0;
  if (fclose(f) != 0 && e == 0)
    e = errno;
  if (e == 0 && renameat(dfd, tmp, dfd, base) != 0)
    e = errno;
  if (e != 0)
    unlinkat(dfd, tmp, 0);
  close(dfd);
  return e;
}

/* Is `name` the file `pattern` names for some process id, digits in
 * place of %p? Sets *pid. A pattern without %p names one file, no pid. */
bool odbcpool__stats_match(const char *pattern, const char *name, long *pid) {
  const char *p = pattern, *n = name;
  *pid = 0;
  bool seen = false;
  while (*p) {
    if (p[0] == '%' && p[1] == 'p') {
      long v = 0;
      const char *d = n;
      while (*n >= '0' && *n <= '9' && v < 100000000) {
        v = v * 10 + (*n - '0');
        n++;
      }
      if (n == d || v == 0)
        return false;
      *pid = v;
      seen = true;
      p += 2;
      continue;
    }
    if (*p != *n)
      return false;
    p++;
    n++;
  }
  return *n == '\0' && seen;
}

int odbcpool__stats_prune(const char *pattern, unsigned *pruned) {
  *pruned = 0;
  const char *slash = strrchr(pattern, '/');
  const char *fpat = slash ? slash + 1 : pattern;
  if (strstr(fpat, "%p") == NULL)
    return 0;
  const char *base;
  const char *why = NULL;
  int dfd = odbcpool__open_safe_dir(pattern, &base, &why);
  if (dfd < 0)
    return errno;
  int dfd2 = dup(dfd);
  DIR *d = dfd2 >= 0 ? fdopendir(dfd2) : NULL;
  if (d == NULL) {
    int e = errno;
    if (dfd2 >= 0)
      close(dfd2);
    close(dfd);
    return e;
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    long pid;
    struct stat st;
    if (!odbcpool__stats_match(fpat, de->d_name, &pid))
      continue;
    /* Only a regular file of this user's, of a process that is gone. */
    if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode) || st.st_uid != geteuid())
      continue;
    if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
      continue;
    if (unlinkat(dfd, de->d_name, 0) == 0)
      (*pruned)++;
  }
  closedir(d);
  close(dfd);
  return 0;
}

void odbcpool__stats_write(odbcpool_set *s) {
  ODBCPOOL_ASSERT_HELD(&s->lock);
  const char *pattern = s->cfg->stats_file;
  if (pattern == NULL || *pattern == '\0')
    return;
  /* The files of processes that exited (killed, or whose last write came
   * at exit) are removed by the next writer, once a minute, so that a
   * textfile collector does not report them for ever. */
  uint64_t now = odbcpool__now_ms();
  if (s->stats_pruned_ms == 0 || now - s->stats_pruned_ms >= 60000) {
    unsigned pruned = 0;
    s->stats_pruned_ms = now;
    pthread_mutex_unlock(&s->lock);
    odbcpool__stats_prune(pattern, &pruned);
    pthread_mutex_lock(&s->lock);
  }
  /* %p: the process id. */
  char path[1024];
  size_t o = 0;
  for (const char *c = pattern; *c && o + 24 < sizeof path; c++) {
    if (c[0] == '%' && c[1] == 'p') {
      o += (size_t)snprintf(path + o, sizeof path - o, "%ld", (long)getpid());
      c++;
    } else {
      path[o++] = *c;
    }
  }
  path[o] = '\0';
  size_t n = 0;
  struct snap *v = snapshot(s, &n);
  uint64_t seq = ++s->stats_seq;
  /* The file is written without the set lock; DSN records live as long
   * as the set, so the snapshot's names stay valid. */
  pthread_mutex_unlock(&s->lock);
  int e = 0;
  const char *why = NULL;
  pthread_mutex_lock(&write_lock);
  if (seq > s->stats_seq_written) {
    e = write_file(path, v, n, &why);
    if (e == 0)
      s->stats_seq_written = seq;
  }
  pthread_mutex_unlock(&write_lock);
  pthread_mutex_lock(&s->lock);
  free(v);
  if (e != 0 && !s->stats_error_logged) {
    s->stats_error_logged = true;
    odbcpool__log(ODBCPOOL_LOG_WARN, "cannot write stats_file %s: %s", path,
                  why ? why : strerror(e));
  }
}
