/* stats.c — `odbcpool stats [CONFIG]`: the live statistics of every
 * process using a pool config, read from the stats files they publish. */
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "pool.h"
#include "util.h"

#ifndef ODBCPOOL_SYSCONFDIR
#define ODBCPOOL_SYSCONFDIR "/etc"
#endif

#define MAX_FILE (1u << 20) /* bytes of one stats file */
#define NREASONS ODBCPOOL_CLOSE_MAX_
#define NBUCKETS 8

/* One DSN of one process. */
struct row {
  long pid;
  char dsn[256];
  odbcpool_stats st;
  uint64_t cum[NBUCKETS]; /* cumulative histogram, as published */
};

struct table {
  struct row *v;
  size_t n, cap;
  unsigned pruned;
};

static struct row *row_for(struct table *t, long pid, const char *dsn) {
  for (size_t i = 0; i < t->n; i++)
    if (t->v[i].pid == pid && strcmp(t->v[i].dsn, dsn) == 0)
      return &t->v[i];
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 16;
    struct row *v = realloc(t->v, cap * sizeof *v);
    if (v == NULL)
      return NULL;
    t->v = v;
    t->cap = cap;
  }
  struct row *r = &t->v[t->n++];
  memset(r, 0, sizeof *r);
  r->pid = pid;
  snprintf(r->dsn, sizeof r->dsn, "%s", dsn);
  return r;
}

/* Reads label `name` of a {k="v",...} list into out (unescaping \\, \"
 * and \n). Returns false if it is absent or malformed. */
static bool label(const char *labels, const char *name, char *out, size_t len) {
  size_t nl = strlen(name);
  for (const char *p = labels; p && *p;) {
    if (strncmp(p, name, nl) == 0 && p[nl] == '=' && p[nl + 1] == '"') {
      size_t o = 0;
      for (p += nl + 2; *p && *p != '"'; p++) {
        char c = *p;
        if (c == '\\' && p[1]) {
          p++;
          c = *p == 'n' ? '\n' : *p;
        }
        if (o + 1 < len)
          out[o++] = c;
      }
      out[o] = '\0';
      return *p == '"';
    }
    /* Next label: after the closing quote of this one. */
    const char *q = strchr(p, '"');
    if (q == NULL)
      return false;
    for (q++; *q && *q != '"'; q++)
      if (*q == '\\' && q[1])
        q++;
    if (*q != '"')
      return false;
    p = q[1] == ',' ? q + 2 : NULL;
  }
  return false;
}

/* Applies one sample line of process `pid`'s file to the table. Unknown
 * metrics and malformed lines are ignored: the file is another process's
 * output, not trusted to be well formed. */
static void sample(struct table *t, long pid, const char *line) {
  static const char pre[] = "odbcpool_";
  if (strncmp(line, pre, sizeof pre - 1) != 0)
    return;
  const char *name = line + sizeof pre - 1;
  const char *brace = strchr(name, '{');
  const char *close = brace ? strstr(brace, "} ") : NULL;
  if (brace == NULL || close == NULL)
    return;
  size_t nlen = (size_t)(brace - name);
  char labels[600];
  size_t llen = (size_t)(close - brace - 1);
  if (llen >= sizeof labels)
    return;
  memcpy(labels, brace + 1, llen);
  labels[llen] = '\0';
  char dsn[256];
  if (!label(labels, "dsn", dsn, sizeof dsn))
    return;
  char *end;
  double v = strtod(close + 2, &end);
  if (end == close + 2 || v < 0 || v > 1e19)
    return;
  uint64_t u = (uint64_t)v;
  struct row *r = row_for(t, pid, dsn);
  if (r == NULL)
    return;
#define IS(s) (nlen == sizeof s - 1 && strncmp(name, s, nlen) == 0)
  odbcpool_stats *st = &r->st;
  if (IS("connections"))
    st->open = (unsigned)u;
  else if (IS("idle"))
    st->idle = (unsigned)u;
  else if (IS("in_use"))
    st->in_use = (unsigned)u;
  else if (IS("resetting"))
    st->resetting = (unsigned)u;
  else if (IS("waiting"))
    st->waiting = (unsigned)u;
  else if (IS("borrows_total"))
    st->borrows = u;
  else if (IS("timeouts_total"))
    st->timeouts = u;
  else if (IS("connects_total"))
    st->connects = u;
  else if (IS("connect_failures_total"))
    st->connect_failures = u;
  else if (IS("resets_total"))
    st->resets = u;
  else if (IS("reset_failures_total"))
    st->reset_failures = u;
  else if (IS("wait_microseconds_total"))
    st->wait_us_total = u;
  else if (IS("closes_total")) {
    char reason[64];
    if (label(labels, "reason", reason, sizeof reason))
      for (int i = 0; i < NREASONS; i++)
        if (strcmp(reason, odbcpool_close_reason_name(i)) == 0)
          st->closes[i] = u;
  } else if (IS("wait_seconds_bucket")) {
    static const uint64_t le[] = ODBCPOOL_WAIT_BUCKETS_US;
    char b[32];
    if (!label(labels, "le", b, sizeof b))
      return;
    for (int i = 0; i < NBUCKETS; i++) {
      char want[32];
      if (le[i] == UINT64_MAX)
        snprintf(want, sizeof want, "+Inf");
      else
        snprintf(want, sizeof want, "%g", (double)le[i] / 1e6);
      if (strcmp(b, want) == 0)
        r->cum[i] = u;
    }
  }
#undef IS
}

/* Reads one stats file (a regular file, at most MAX_FILE bytes, opened
 * without following a link) into the table. */
static void read_one(struct table *t, int dfd, const char *name, long pid) {
  int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      (size_t)st.st_size > MAX_FILE) {
    close(fd);
    return;
  }
  FILE *f = fdopen(fd, "r");
  if (f == NULL) {
    close(fd);
    return;
  }
  char line[2048];
  while (fgets(line, sizeof line, f) != NULL)
    if (line[0] != '#')
      sample(t, pid, line);
  fclose(f);
}

/* Collects every live process's file of stats_file `pattern`, after
 * removing the files of processes that are gone. */
static int collect(const char *pattern, struct table *t) {
  const char *slash = strrchr(pattern, '/');
  const char *fpat = slash ? slash + 1 : pattern;
  if (strstr(fpat, "%p") == NULL) {
    fprintf(stderr,
            "odbcpool stats: stats_file '%s' has no %%p: every process "
            "would write the same file; put %%p in its name\n",
            pattern);
    return 1;
  }
  int e = odbcpool__stats_prune(pattern, &t->pruned);
  const char *base, *why = NULL;
  int dfd = e == 0 ? odbcpool__open_safe_dir(pattern, &base, &why) : -1;
  if (dfd < 0) {
    fprintf(stderr, "odbcpool stats: %s: %s\n", pattern,
            why ? why : strerror(e ? e : errno));
    return 1;
  }
  int dfd2 = dup(dfd);
  DIR *d = dfd2 >= 0 ? fdopendir(dfd2) : NULL;
  if (d == NULL) {
    fprintf(stderr, "odbcpool stats: %s: %s\n", pattern, strerror(errno));
    if (dfd2 >= 0)
      close(dfd2);
    close(dfd);
    return 1;
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    long pid;
    if (!odbcpool__stats_match(fpat, de->d_name, &pid))
      continue;
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
      continue; /* gone, and not ours to remove */
    read_one(t, dfd, de->d_name, pid);
  }
  closedir(d);
  close(dfd);
  return 0;
}

/* The wait (µs) under which a fraction q of the borrows waited, from the
 * cumulative histogram: the upper bound of the bucket holding it. */
static const char *percentile(const uint64_t *cum, double q, char *buf,
                              size_t len) {
  static const uint64_t le[] = ODBCPOOL_WAIT_BUCKETS_US;
  uint64_t total = cum[NBUCKETS - 1];
  if (total == 0)
    return "-";
  for (int i = 0; i < NBUCKETS; i++) {
    if ((double)cum[i] >= q * (double)total) {
      if (le[i] == UINT64_MAX)
        snprintf(buf, len, ">10s");
      else if (le[i] == 0)
        snprintf(buf, len, "0");
      else if (le[i] < 1000)
        snprintf(buf, len, "<=%lluus", (unsigned long long)le[i]);
      else if (le[i] < 1000000)
        snprintf(buf, len, "<=%llums", (unsigned long long)le[i] / 1000);
      else
        snprintf(buf, len, "<=%llus", (unsigned long long)le[i] / 1000000);
      return buf;
    }
  }
  return "-";
}

static void add(struct row *to, const struct row *r) {
  to->st.open += r->st.open;
  to->st.idle += r->st.idle;
  to->st.in_use += r->st.in_use;
  to->st.resetting += r->st.resetting;
  to->st.waiting += r->st.waiting;
  to->st.borrows += r->st.borrows;
  to->st.timeouts += r->st.timeouts;
  to->st.connects += r->st.connects;
  to->st.connect_failures += r->st.connect_failures;
  to->st.resets += r->st.resets;
  to->st.reset_failures += r->st.reset_failures;
  to->st.wait_us_total += r->st.wait_us_total;
  for (int i = 0; i < NREASONS; i++)
    to->st.closes[i] += r->st.closes[i];
  for (int i = 0; i < NBUCKETS; i++)
    to->cum[i] += r->cum[i];
}

static int by_pid_dsn(const void *a, const void *b) {
  const struct row *x = a, *y = b;
  int c = strcmp(x->dsn, y->dsn);
  if (c != 0)
    return c;
  return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Totals per DSN over the processes, in dsn order; *n rows. */
static struct row *totals(const struct table *t, size_t *n) {
  struct table tot = {0};
  for (size_t i = 0; i < t->n; i++) {
    struct row *r = row_for(&tot, 0, t->v[i].dsn);
    if (r != NULL)
      add(r, &t->v[i]);
  }
  *n = tot.n;
  return tot.v;
}

static void closes_text(const struct row *r, char *buf, size_t len) {
  size_t o = 0;
  buf[0] = '\0';
  for (int i = 0; i < NREASONS && o < len; i++)
    if (r->st.closes[i])
      o += (size_t)snprintf(buf + o, len - o, "%s%s=%llu", o ? "," : "",
                            odbcpool_close_reason_name(i),
                            (unsigned long long)r->st.closes[i]);
  if (o == 0)
    snprintf(buf, len, "-");
}

static void print_row(FILE *out, const char *who, const struct row *r) {
  char p50[32], p99[32], closes[256];
  closes_text(r, closes, sizeof closes);
  fprintf(out,
          "%-8s %-16.16s %4u %4u %5u %5u %4u %8llu %6llu %6llu %6s %6s  %s\n",
          who, r->dsn, r->st.open, r->st.idle, r->st.in_use, r->st.resetting,
          r->st.waiting, (unsigned long long)r->st.borrows,
          (unsigned long long)r->st.timeouts,
          (unsigned long long)r->st.reset_failures,
          percentile(r->cum, 0.5, p50, sizeof p50),
          percentile(r->cum, 0.99, p99, sizeof p99), closes);
}

static void print_text(FILE *out, struct table *t) {
  qsort(t->v, t->n, sizeof *t->v, by_pid_dsn);
  fprintf(out, "%-8s %-16s %4s %4s %5s %5s %4s %8s %6s %6s %6s %6s  %s\n",
          "PID", "DSN", "OPEN", "IDLE", "INUSE", "RESET", "WAIT", "BORROWS",
          "TMOUT", "RFAIL", "W.P50", "W.P99", "CLOSES");
  for (size_t i = 0; i < t->n; i++) {
    char pid[24];
    snprintf(pid, sizeof pid, "%ld", t->v[i].pid);
    print_row(out, pid, &t->v[i]);
  }
  size_t n = 0;
  struct row *tot = totals(t, &n);
  for (size_t i = 0; i < n; i++)
    print_row(out, "total", &tot[i]);
  free(tot);
  if (t->n == 0)
    fprintf(out, "(no live process publishes statistics for this config)\n");
  if (t->pruned)
    fprintf(out, "(%u file(s) of exited processes removed)\n", t->pruned);
}

static void json_str(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(out, "\\%c", *p);
    else if (*p < 0x20)
      fprintf(out, "\\u%04x", *p);
    else
      fputc(*p, out);
  }
  fputc('"', out);
}

static void json_row(FILE *out, const struct row *r, bool with_pid) {
  char p50[32], p99[32];
  fputc('{', out);
  if (with_pid)
    fprintf(out, "\"pid\":%ld,", r->pid);
  fputs("\"dsn\":", out);
  json_str(out, r->dsn);
  fprintf(out,
          ",\"open\":%u,\"idle\":%u,\"in_use\":%u,\"resetting\":%u,"
          "\"waiting\":%u,\"borrows\":%llu,\"timeouts\":%llu,"
          "\"connects\":%llu,\"resets\":%llu,\"reset_failures\":%llu,"
          "\"wait_p50\":",
          r->st.open, r->st.idle, r->st.in_use, r->st.resetting, r->st.waiting,
          (unsigned long long)r->st.borrows, (unsigned long long)r->st.timeouts,
          (unsigned long long)r->st.connects, (unsigned long long)r->st.resets,
          (unsigned long long)r->st.reset_failures);
  json_str(out, percentile(r->cum, 0.5, p50, sizeof p50));
  fputs(",\"wait_p99\":", out);
  json_str(out, percentile(r->cum, 0.99, p99, sizeof p99));
  fputs(",\"closes\":{", out);
  for (int i = 0; i < NREASONS; i++)
    fprintf(out, "%s\"%s\":%llu", i ? "," : "", odbcpool_close_reason_name(i),
            (unsigned long long)r->st.closes[i]);
  fputs("}}", out);
}

static void print_json(FILE *out, struct table *t) {
  qsort(t->v, t->n, sizeof *t->v, by_pid_dsn);
  fputs("{\"processes\":[", out);
  for (size_t i = 0; i < t->n; i++) {
    if (i)
      fputc(',', out);
    json_row(out, &t->v[i], true);
  }
  fputs("],\"totals\":[", out);
  size_t n = 0;
  struct row *tot = totals(t, &n);
  for (size_t i = 0; i < n; i++) {
    if (i)
      fputc(',', out);
    json_row(out, &tot[i], false);
  }
  free(tot);
  fprintf(out, "],\"pruned\":%u}\n", t->pruned);
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: odbcpool stats [--json] [--watch [SECONDS]] [CONFIG]\n\n"
          "Shows, per process and per DSN, the pools of every live process\n"
          "using the pool config CONFIG (default $ODBCPOOL_CONFIG, else\n"
          "%s/odbcpool.ini), read from the files its stats_file (with %%p)\n"
          "names, and a total per DSN. Files of processes that are gone are\n"
          "removed. --json prints one JSON object; --watch redraws every\n"
          "SECONDS (default 1) until interrupted.\n",
          ODBCPOOL_SYSCONFDIR);
}

int cli_stats(int argc, char **argv) {
  const char *path = NULL;
  bool json = false;
  double watch = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--json") == 0) {
      json = true;
    } else if (strcmp(a, "--watch") == 0) {
      watch = 1;
      if (i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9') {
        char *end;
        watch = strtod(argv[++i], &end);
        if (*end != '\0' || watch < 0.1 || watch > 3600) {
          fprintf(stderr, "odbcpool stats: --watch: 0.1 to 3600 seconds\n");
          return 2;
        }
      }
    } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return 0;
    } else if (a[0] == '-') {
      fprintf(stderr, "odbcpool stats: unknown option '%s'\n", a);
      usage(stderr);
      return 2;
    } else if (path != NULL) {
      fprintf(stderr, "odbcpool stats: more than one CONFIG given\n");
      return 2;
    } else {
      path = a;
    }
  }
  if (path == NULL) {
    path = getenv("ODBCPOOL_CONFIG");
    if (path == NULL || *path == '\0')
      path = ODBCPOOL_SYSCONFDIR "/odbcpool.ini";
  }
  struct cfg *cfg;
  odbcpool_error err;
  if (odbcpool__cfg_load(path, &cfg, &err) != ODBCPOOL_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  if (cfg->stats_file == NULL) {
    fprintf(stderr,
            "odbcpool stats: %s sets no stats_file: the pools publish no "
            "statistics (set stats_file = /run/odbcpool/stats-%%p.prom in "
            "[defaults])\n",
            path);
    odbcpool__cfg_free(cfg);
    return 1;
  }
  int rc;
  for (;;) {
    struct table t = {0};
    rc = collect(cfg->stats_file, &t);
    if (rc == 0) {
      if (watch > 0 && !json)
        fputs("\033[H\033[2J", stdout);
      if (json)
        print_json(stdout, &t);
      else
        print_text(stdout, &t);
      fflush(stdout);
    }
    free(t.v);
    if (rc != 0 || watch <= 0)
      break;
    struct timespec ts = {(time_t)watch,
                          (long)((watch - (double)(time_t)watch) * 1e9)};
    nanosleep(&ts, NULL);
  }
  odbcpool__cfg_free(cfg);
  return rc;
}
