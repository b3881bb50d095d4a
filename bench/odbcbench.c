/* odbcbench.c — ODBC benchmark for odbcpool: the legacy request cycle
 * and the pass-through (fetch) cost, as an ordinary ODBC application.
 *
 * It calls ODBC by name and links the driver manager (libodbc), exactly
 * like the applications odbcpool's driver module serves, so the same
 * binary measures a direct DSN, a DSN behind the odbcpool driver and a
 * DSN pooled by unixODBC itself; only the connection string and the
 * ODBC environment (ODBCSYSINI, ODBCINI) differ.
 *
 * Modes:
 *
 *   cycle  T threads each repeat, for --duration seconds (or --count
 *          times), one "request" of a legacy program:
 *            SQLAllocHandle(DBC), SQLDriverConnect, SQLAllocHandle(STMT),
 *            SQLExecDirect(query), SQLFetch, SQLFreeHandle(STMT),
 *            SQLDisconnect, SQLFreeHandle(DBC)
 *          and requests/s is reported. --warmup seconds run first and
 *          are not counted (so a pool is filled before the clock starts).
 *          With --distinct, the first column of each fetched row is read
 *          with SQLGetData and the number of distinct values reported:
 *          with `SELECT pg_backend_pid()` as the query that is the number
 *          of PostgreSQL sessions the requests ran on, which shows whether
 *          connections were reused.
 *
 *   fetch  One connection; a result of --rows rows (an int and a text
 *          column) is fetched with SQLFetch and SQLGetData of both
 *          columns, --reps times (after --warmup-reps untimed ones).
 *          The default query is chosen by the DBMS (SQLGetInfo):
 *          PostgreSQL generate_series, SQLite a recursive CTE. With
 *          --compare-dsn a second connection takes turns with the first
 *          (order swapped each repetition) and the median of the
 *          per-repetition time ratios is reported: a paired comparison
 *          that other load on the machine affects much less than two
 *          separate runs. fetch_once() is not inlined, so callgrind can
 *          count the instructions of exactly the fetch loop.
 *
 * Output: one line per measurement, `odbcbench key=value ...`, and for
 * fetch summary lines with the medians (and the ratio, when comparing).
 * Diagnostics go to stderr. The exit status is 1 if any ODBC call failed.
 */
#include "build.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <sql.h>
#include <sqlext.h>

/* ---------------------------------------------------------- options */

struct opts {
  const char *connstr;
  const char *connstr2; /* fetch: --compare-dsn / --compare-connect */
  const char *label;
  const char *query;
  enum { MODE_CYCLE, MODE_FETCH } mode;
  int threads;
  double duration; /* seconds; 0 with count */
  long count;      /* requests per thread; 0 with duration */
  double warmup;   /* seconds (cycle) */
  int reps;
  int warmup_reps; /* fetch */
  long rows;
  bool distinct;
  SQLUINTEGER cp; /* SQL_ATTR_CONNECTION_POOLING, SQL_CP_OFF = not set */
  bool cp_set;
  int max_errors_shown;
};

static struct opts o = {
    .label = "-",
    .mode = MODE_CYCLE,
    .threads = 1,
    .duration = 3.0,
    .warmup = 0.5,
    .reps = 1,
    .warmup_reps = 1,
    .rows = 100000,
    .cp = SQL_CP_OFF,
    .max_errors_shown = 5,
};

static void usage(FILE *f) {
  fprintf(f, "usage: odbcbench (--dsn NAME | --connect STRING) [options]\n"
             "  --mode cycle|fetch     request cycle (default) or pass-through "
             "fetch\n"
             "  --threads N            cycle: threads (default 1)\n"
             "  --duration S           cycle: seconds measured (default 3)\n"
             "  --count N              cycle: requests per thread instead of a "
             "duration\n"
             "  --warmup S             cycle: seconds run before measuring "
             "(default 0.5)\n"
             "  --query SQL            statement (cycle default: SELECT 1;\n"
             "                         fetch default: ROWS rows by DBMS)\n"
             "  --distinct             cycle: count distinct values of column "
             "1\n"
             "  --rows N               fetch: rows (default 100000)\n"
             "  --compare-dsn NAME     fetch: also on this DSN (or\n"
             "  --compare-connect STR  connection string), turn about; the\n"
             "                         summary gives the median ratio\n"
             "  --reps N               repetitions (default 1)\n"
             "  --warmup-reps N        fetch: untimed repetitions first "
             "(default 1)\n"
             "  --cp off|driver|henv   set SQL_ATTR_CONNECTION_POOLING "
             "(process and env)\n"
             "  --label TEXT           copied into every output line\n");
}

static double parse_double(const char *opt, const char *v) {
  char *end;
  errno = 0;
  double d = strtod(v, &end);
  if (errno || end == v || *end || d < 0) {
    fprintf(stderr, "odbcbench: %s: bad value '%s'\n", opt, v);
    exit(2);
  }
  return d;
}

static long parse_long(const char *opt, const char *v, long min) {
  char *end;
  errno = 0;
  long n = strtol(v, &end, 10);
  if (errno || end == v || *end || n < min) {
    fprintf(stderr, "odbcbench: %s: bad value '%s' (at least %ld)\n", opt, v,
            min);
    exit(2);
  }
  return n;
}

static void parse_args(int argc, char **argv) {
  static char dsnbuf[256], dsnbuf2[256];
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      exit(0);
    }
    if (strcmp(a, "--distinct") == 0) {
      o.distinct = true;
      continue;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "odbcbench: %s: missing value or unknown option\n", a);
      usage(stderr);
      exit(2);
    }
    const char *v = argv[++i];
    if (strcmp(a, "--dsn") == 0) {
      snprintf(dsnbuf, sizeof dsnbuf, "DSN=%s", v);
      o.connstr = dsnbuf;
    } else if (strcmp(a, "--connect") == 0) {
      o.connstr = v;
    } else if (strcmp(a, "--compare-dsn") == 0) {
      snprintf(dsnbuf2, sizeof dsnbuf2, "DSN=%s", v);
      o.connstr2 = dsnbuf2;
    } else if (strcmp(a, "--compare-connect") == 0) {
      o.connstr2 = v;
    } else if (strcmp(a, "--mode") == 0) {
      if (strcmp(v, "cycle") == 0)
        o.mode = MODE_CYCLE;
      else if (strcmp(v, "fetch") == 0)
        o.mode = MODE_FETCH;
      else {
        fprintf(stderr, "odbcbench: --mode: cycle or fetch\n");
        exit(2);
      }
    } else if (strcmp(a, "--threads") == 0) {
      o.threads = (int)parse_long(a, v, 1);
    } else if (strcmp(a, "--duration") == 0) {
      o.duration = parse_double(a, v);
      o.count = 0;
    } else if (strcmp(a, "--count") == 0) {
      o.count = parse_long(a, v, 1);
      o.duration = 0;
    } else if (strcmp(a, "--warmup") == 0) {
      o.warmup = parse_double(a, v);
    } else if (strcmp(a, "--query") == 0) {
      o.query = v;
    } else if (strcmp(a, "--rows") == 0) {
      o.rows = parse_long(a, v, 1);
    } else if (strcmp(a, "--reps") == 0) {
      o.reps = (int)parse_long(a, v, 1);
    } else if (strcmp(a, "--warmup-reps") == 0) {
      o.warmup_reps = (int)parse_long(a, v, 0);
    } else if (strcmp(a, "--cp") == 0) {
      o.cp_set = true;
      if (strcmp(v, "off") == 0)
        o.cp = SQL_CP_OFF;
      else if (strcmp(v, "driver") == 0)
        o.cp = SQL_CP_ONE_PER_DRIVER;
      else if (strcmp(v, "henv") == 0)
        o.cp = SQL_CP_ONE_PER_HENV;
      else {
        fprintf(stderr, "odbcbench: --cp: off, driver or henv\n");
        exit(2);
      }
    } else if (strcmp(a, "--label") == 0) {
      o.label = v;
    } else {
      fprintf(stderr, "odbcbench: unknown option %s\n", a);
      usage(stderr);
      exit(2);
    }
  }
  if (o.connstr == NULL) {
    fprintf(stderr, "odbcbench: --dsn or --connect is required\n");
    usage(stderr);
    exit(2);
  }
}

/* ------------------------------------------------------------- util */

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static atomic_long errors;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

/* Reports a failed call with the handle's diagnostics (the first few
 * times only) and counts it. */
static void odbc_fail(const char *what, SQLSMALLINT type, SQLHANDLE h,
                      SQLRETURN rc) {
  long n = atomic_fetch_add(&errors, 1) + 1;
  if (n > o.max_errors_shown)
    return;
  pthread_mutex_lock(&print_lock);
  fprintf(stderr, "odbcbench: %s failed (rc %d)\n", what, (int)rc);
  for (SQLSMALLINT i = 1; h != SQL_NULL_HANDLE && i <= 5; i++) {
    SQLCHAR state[6], msg[512];
    SQLINTEGER native = 0;
    SQLSMALLINT len = 0;
    if (!SQL_SUCCEEDED(
            SQLGetDiagRec(type, h, i, state, &native, msg, sizeof msg, &len)))
      break;
    fprintf(stderr, "  %s (%ld) %s\n", (char *)state, (long)native,
            (char *)msg);
  }
  if (n == o.max_errors_shown)
    fprintf(stderr, "odbcbench: further errors are only counted\n");
  pthread_mutex_unlock(&print_lock);
}

static SQLHENV env;

static void env_open(void) {
  if (o.cp_set) {
    /* How a Windows application asks for pooling: process-wide, before
     * the environment exists. unixODBC 2.3.11 accepts and ignores this
     * (its pooling is switched on by [ODBC] Pooling in odbcinst.ini);
     * the flag exists so the pooled case is set up as applications do. */
    SQLRETURN rc = SQLSetEnvAttr(SQL_NULL_HENV, SQL_ATTR_CONNECTION_POOLING,
                                 (SQLPOINTER)(uintptr_t)o.cp, SQL_IS_UINTEGER);
    if (!SQL_SUCCEEDED(rc))
      odbc_fail("SQLSetEnvAttr(NULL, CONNECTION_POOLING)", SQL_HANDLE_ENV,
                SQL_NULL_HANDLE, rc);
  }
  SQLRETURN rc = SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env);
  if (!SQL_SUCCEEDED(rc)) {
    fprintf(stderr, "odbcbench: cannot allocate an environment\n");
    exit(1);
  }
  rc = SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
  if (!SQL_SUCCEEDED(rc)) {
    odbc_fail("SQLSetEnvAttr(ODBC_VERSION)", SQL_HANDLE_ENV, env, rc);
    exit(1);
  }
  if (o.cp_set) {
    rc = SQLSetEnvAttr(env, SQL_ATTR_CONNECTION_POOLING,
                       (SQLPOINTER)(uintptr_t)o.cp, SQL_IS_UINTEGER);
    if (!SQL_SUCCEEDED(rc))
      odbc_fail("SQLSetEnvAttr(env, CONNECTION_POOLING)", SQL_HANDLE_ENV, env,
                rc);
  }
}

/* CPU time (user + system) of the whole process, all threads, in s. */
static double cpu_s(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0)
    return 0;
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------ cycle */

/* Values of column 1 seen (--distinct), an unsorted set. */
struct seen {
  pthread_mutex_t lock;
  char (*v)[32];
  size_t n, cap;
};
static struct seen seen = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void seen_add(const char *val) {
  pthread_mutex_lock(&seen.lock);
  for (size_t i = 0; i < seen.n; i++) {
    if (strcmp(seen.v[i], val) == 0) {
      pthread_mutex_unlock(&seen.lock);
      return;
    }
  }
  if (seen.n == seen.cap) {
    size_t cap = seen.cap ? seen.cap * 2 : 64;
    void *p = realloc(seen.v, cap * sizeof *seen.v);
    if (p == NULL) {
      pthread_mutex_unlock(&seen.lock);
      return;
    }
    seen.v = p;
    seen.cap = cap;
  }
  snprintf(seen.v[seen.n++], sizeof seen.v[0], "%s", val);
  pthread_mutex_unlock(&seen.lock);
}

enum phase { PH_WARMUP, PH_MEASURE, PH_STOP };
static _Atomic int phase;

struct worker {
  pthread_t tid;
  atomic_ulong done; /* requests completed while measuring */
  uint64_t *lat;     /* latencies (ns) of measured requests */
  size_t nlat, caplat;
  uint64_t finished_ns; /* with --count: when this thread finished */
};

static pthread_barrier_t start_barrier;

/* One request of a legacy program. Returns false if a call failed. */
static bool one_request(const char *query) {
  SQLHDBC dbc = SQL_NULL_HDBC;
  SQLHSTMT st = SQL_NULL_HSTMT;
  bool ok = false;
  SQLRETURN rc = SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc);
  if (!SQL_SUCCEEDED(rc)) {
    odbc_fail("SQLAllocHandle(DBC)", SQL_HANDLE_ENV, env, rc);
    return false;
  }
  rc = SQLDriverConnect(dbc, NULL, (SQLCHAR *)o.connstr, SQL_NTS, NULL, 0, NULL,
                        SQL_DRIVER_NOPROMPT);
  if (!SQL_SUCCEEDED(rc)) {
    odbc_fail("SQLDriverConnect", SQL_HANDLE_DBC, dbc, rc);
    SQLFreeHandle(SQL_HANDLE_DBC, dbc);
    return false;
  }
  rc = SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st);
  if (!SQL_SUCCEEDED(rc)) {
    odbc_fail("SQLAllocHandle(STMT)", SQL_HANDLE_DBC, dbc, rc);
    goto disconnect;
  }
  rc = SQLExecDirect(st, (SQLCHAR *)query, SQL_NTS);
  if (!SQL_SUCCEEDED(rc)) {
    odbc_fail("SQLExecDirect", SQL_HANDLE_STMT, st, rc);
    goto free_stmt;
  }
  rc = SQLFetch(st);
  if (!SQL_SUCCEEDED(rc)) {
    odbc_fail("SQLFetch", SQL_HANDLE_STMT, st, rc);
    goto free_stmt;
  }
  if (o.distinct) {
    char val[32];
    SQLLEN ind = 0;
    rc = SQLGetData(st, 1, SQL_C_CHAR, val, sizeof val, &ind);
    if (!SQL_SUCCEEDED(rc)) {
      odbc_fail("SQLGetData", SQL_HANDLE_STMT, st, rc);
      goto free_stmt;
    }
    seen_add(ind == SQL_NULL_DATA ? "NULL" : val);
  }
  ok = true;
free_stmt:
  rc = SQLFreeHandle(SQL_HANDLE_STMT, st);
  if (!SQL_SUCCEEDED(rc)) {
    odbc_fail("SQLFreeHandle(STMT)", SQL_HANDLE_DBC, dbc, rc);
    ok = false;
  }
disconnect:
  rc = SQLDisconnect(dbc);
  if (!SQL_SUCCEEDED(rc)) {
    odbc_fail("SQLDisconnect", SQL_HANDLE_DBC, dbc, rc);
    ok = false;
  }
  rc = SQLFreeHandle(SQL_HANDLE_DBC, dbc);
  if (!SQL_SUCCEEDED(rc)) {
    odbc_fail("SQLFreeHandle(DBC)", SQL_HANDLE_DBC, dbc, rc);
    ok = false;
  }
  return ok;
}

static void lat_add(struct worker *w, uint64_t ns) {
  if (w->nlat == w->caplat) {
    size_t cap = w->caplat ? w->caplat * 2 : 4096;
    uint64_t *p = realloc(w->lat, cap * sizeof *p);
    if (p == NULL)
      return;
    w->lat = p;
    w->caplat = cap;
  }
  w->lat[w->nlat++] = ns;
}

static void *cycle_thread(void *arg) {
  struct worker *w = arg;
  const char *query = o.query ? o.query : "SELECT 1";
  pthread_barrier_wait(&start_barrier);
  if (o.count > 0) {
    /* Warm-up by time, then exactly `count` measured requests. */
    while (o.warmup > 0 &&
           atomic_load_explicit(&phase, memory_order_relaxed) == PH_WARMUP)
      one_request(query);
    for (long i = 0; i < o.count; i++) {
      uint64_t t0 = now_ns();
      if (one_request(query)) {
        lat_add(w, now_ns() - t0);
        atomic_fetch_add_explicit(&w->done, 1, memory_order_relaxed);
      }
    }
    w->finished_ns = now_ns();
    return NULL;
  }
  for (;;) {
    int ph = atomic_load_explicit(&phase, memory_order_relaxed);
    if (ph == PH_STOP)
      break;
    uint64_t t0 = now_ns();
    bool ok = one_request(query);
    /* Counted only if it both started and ended inside the window. */
    if (ok && ph == PH_MEASURE &&
        atomic_load_explicit(&phase, memory_order_relaxed) == PH_MEASURE) {
      lat_add(w, now_ns() - t0);
      atomic_fetch_add_explicit(&w->done, 1, memory_order_relaxed);
    }
  }
  return NULL;
}

static void sleep_s(double s) {
  struct timespec ts = {.tv_sec = (time_t)s,
                        .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
    ;
}

static int run_cycle(void) {
  for (int rep = 1; rep <= o.reps; rep++) {
    struct worker *w = calloc((size_t)o.threads, sizeof *w);
    if (w == NULL)
      return 1;
    atomic_store(&phase, PH_WARMUP);
    long errors_before = atomic_load(&errors);
    pthread_barrier_init(&start_barrier, NULL, (unsigned)o.threads + 1);
    for (int i = 0; i < o.threads; i++) {
      if (pthread_create(&w[i].tid, NULL, cycle_thread, &w[i]) != 0) {
        fprintf(stderr, "odbcbench: cannot start a thread\n");
        exit(1);
      }
    }
    pthread_barrier_wait(&start_barrier);
    sleep_s(o.warmup);
    double cpu0 = cpu_s();
    uint64_t t0 = now_ns();
    atomic_store(&phase, PH_MEASURE);
    uint64_t t1;
    double cpu1;
    if (o.count > 0) {
      t1 = t0;
      for (int i = 0; i < o.threads; i++) {
        pthread_join(w[i].tid, NULL);
        if (w[i].finished_ns > t1)
          t1 = w[i].finished_ns;
      }
      cpu1 = cpu_s();
    } else {
      sleep_s(o.duration);
      t1 = now_ns();
      cpu1 = cpu_s();
      atomic_store(&phase, PH_STOP);
      for (int i = 0; i < o.threads; i++)
        pthread_join(w[i].tid, NULL);
    }
    pthread_barrier_destroy(&start_barrier);

    unsigned long total = 0;
    size_t nlat = 0;
    for (int i = 0; i < o.threads; i++) {
      total += atomic_load(&w[i].done);
      nlat += w[i].nlat;
    }
    uint64_t *all = malloc((nlat ? nlat : 1) * sizeof *all);
    size_t k = 0;
    for (int i = 0; i < o.threads; i++) {
      if (all != NULL)
        memcpy(all + k, w[i].lat, w[i].nlat * sizeof *all);
      k += w[i].nlat;
      free(w[i].lat);
    }
    double p50 = 0, p99 = 0, mean = 0;
    if (all != NULL && nlat > 0) {
      qsort(all, nlat, sizeof *all, cmp_u64);
      p50 = (double)all[nlat / 2] / 1e3;
      p99 = (double)all[(nlat * 99) / 100] / 1e3;
      double sum = 0;
      for (size_t i = 0; i < nlat; i++)
        sum += (double)all[i];
      mean = sum / (double)nlat / 1e3;
    }
    free(all);
    double secs = (double)(t1 - t0) / 1e9;
    long errs = atomic_load(&errors) - errors_before;
    printf("odbcbench mode=cycle label=%s rep=%d threads=%d requests=%lu "
           "seconds=%.3f rps=%.1f lat_mean_us=%.1f lat_p50_us=%.1f "
           "lat_p99_us=%.1f cpu_us_per_req=%.1f errors=%ld",
           o.label, rep, o.threads, total, secs,
           secs > 0 ? (double)total / secs : 0.0, mean, p50, p99,
           total ? (cpu1 - cpu0) * 1e6 / (double)total : 0.0, errs);
    if (o.distinct)
      printf(" distinct=%zu", seen.n);
    printf("\n");
    fflush(stdout);
    free(w);
  }
  return atomic_load(&errors) ? 1 : 0;
}

/* ------------------------------------------------------------ fetch */

/* One connection of fetch mode, with its statement and query. */
struct fetch_conn {
  const char *connstr;
  const char *side; /* "a" (--dsn/--connect) or "b" (--compare-*) */
  SQLHDBC dbc;
  SQLHSTMT st;
  char dbms[64];
  char qbuf[512];
  const char *query;
  double *t;
};

static bool fetch_open(struct fetch_conn *f) {
  SQLRETURN rc = SQLAllocHandle(SQL_HANDLE_DBC, env, &f->dbc);
  if (!SQL_SUCCEEDED(rc)) {
    odbc_fail("SQLAllocHandle(DBC)", SQL_HANDLE_ENV, env, rc);
    return false;
  }
  rc = SQLDriverConnect(f->dbc, NULL, (SQLCHAR *)f->connstr, SQL_NTS, NULL, 0,
                        NULL, SQL_DRIVER_NOPROMPT);
  if (!SQL_SUCCEEDED(rc)) {
    odbc_fail("SQLDriverConnect", SQL_HANDLE_DBC, f->dbc, rc);
    return false;
  }
  SQLSMALLINT len = 0;
  SQLGetInfo(f->dbc, SQL_DBMS_NAME, f->dbms, sizeof f->dbms, &len);
  f->query = o.query;
  if (f->query == NULL) {
    if (strncasecmp(f->dbms, "PostgreSQL", 10) == 0) {
      snprintf(f->qbuf, sizeof f->qbuf,
               "SELECT g, 'row ' || g FROM generate_series(1, %ld) g", o.rows);
    } else if (strncasecmp(f->dbms, "SQLite", 6) == 0) {
      snprintf(f->qbuf, sizeof f->qbuf,
               "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 "
               "FROM s WHERE g < %ld) SELECT g, 'row ' || g FROM s",
               o.rows);
    } else {
      fprintf(stderr,
              "odbcbench: no default fetch query for DBMS '%s': use "
              "--query\n",
              f->dbms);
      return false;
    }
    f->query = f->qbuf;
  }
  rc = SQLAllocHandle(SQL_HANDLE_STMT, f->dbc, &f->st);
  if (!SQL_SUCCEEDED(rc)) {
    odbc_fail("SQLAllocHandle(STMT)", SQL_HANDLE_DBC, f->dbc, rc);
    return false;
  }
  return true;
}

/* Executes the query and reads every row with SQLFetch and SQLGetData of
 * both columns. Not inlined, so that callgrind can count exactly this
 * (valgrind --tool=callgrind --toggle-collect=fetch_once). */
__attribute__((noinline)) static bool
fetch_once(struct fetch_conn *f, long *rows_out, long long *sum_out) {
  SQLRETURN rc = SQLExecDirect(f->st, (SQLCHAR *)f->query, SQL_NTS);
  if (!SQL_SUCCEEDED(rc)) {
    odbc_fail("SQLExecDirect", SQL_HANDLE_STMT, f->st, rc);
    return false;
  }
  long rows = 0;
  long long sum = 0;
  while ((rc = SQLFetch(f->st)) != SQL_NO_DATA) {
    if (!SQL_SUCCEEDED(rc)) {
      odbc_fail("SQLFetch", SQL_HANDLE_STMT, f->st, rc);
      return false;
    }
    SQLINTEGER g = 0;
    SQLLEN ind1 = 0, ind2 = 0;
    char text[64];
    rc = SQLGetData(f->st, 1, SQL_C_SLONG, &g, sizeof g, &ind1);
    if (!SQL_SUCCEEDED(rc)) {
      odbc_fail("SQLGetData(1)", SQL_HANDLE_STMT, f->st, rc);
      return false;
    }
    rc = SQLGetData(f->st, 2, SQL_C_CHAR, text, sizeof text, &ind2);
    if (!SQL_SUCCEEDED(rc)) {
      odbc_fail("SQLGetData(2)", SQL_HANDLE_STMT, f->st, rc);
      return false;
    }
    rows++;
    sum += g;
  }
  SQLCloseCursor(f->st);
  *rows_out = rows;
  *sum_out = sum;
  return true;
}

static double median_of(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* With --compare-dsn, the two connections take turns, the order swapped
 * every repetition, so that load from elsewhere on the machine hits both
 * alike; the summary has the median of the per-repetition ratios b/a. */
static int run_fetch(void) {
  struct fetch_conn f[2] = {{.connstr = o.connstr, .side = "a"},
                            {.connstr = o.connstr2, .side = "b"}};
  int nconn = o.connstr2 ? 2 : 1;
  for (int i = 0; i < nconn; i++) {
    if (!fetch_open(&f[i]))
      return 1;
    f[i].t = calloc((size_t)o.reps, sizeof *f[i].t);
    if (f[i].t == NULL)
      return 1;
  }
  double *ratio = calloc((size_t)o.reps, sizeof *ratio);
  if (ratio == NULL)
    return 1;
  int ntimed = 0;
  for (int rep = 1 - o.warmup_reps; rep <= o.reps; rep++) {
    for (int k = 0; k < nconn; k++) {
      struct fetch_conn *c = &f[(k + (rep & 1)) % nconn];
      double cpu0 = cpu_s();
      uint64_t t0 = now_ns();
      long rows = 0;
      long long sum = 0;
      if (!fetch_once(c, &rows, &sum))
        return 1;
      double secs = (double)(now_ns() - t0) / 1e9;
      double cpu = cpu_s() - cpu0;
      long long want = (long long)o.rows * (o.rows + 1) / 2;
      if (o.query == NULL && (rows != o.rows || sum != want)) {
        fprintf(stderr,
                "odbcbench: wrong result: %ld rows, sum %lld (want %ld, "
                "%lld)\n",
                rows, sum, o.rows, want);
        atomic_fetch_add(&errors, 1);
      }
      if (rep < 1)
        continue;
      c->t[ntimed] = secs;
      printf("odbcbench mode=fetch label=%s side=%s dbms=%s rep=%d rows=%ld "
             "seconds=%.4f cpu_seconds=%.4f rows_per_s=%.0f "
             "ns_per_row=%.1f\n",
             o.label, c->side, c->dbms, rep, rows, secs, cpu,
             secs > 0 ? rows / secs : 0.0,
             rows ? secs * 1e9 / (double)rows : 0.0);
      fflush(stdout);
    }
    if (rep < 1)
      continue;
    if (nconn == 2)
      ratio[ntimed] = f[1].t[ntimed] / f[0].t[ntimed];
    ntimed++;
  }
  for (int i = 0; i < nconn; i++) {
    double med = median_of(f[i].t, ntimed);
    printf("odbcbench mode=fetch-summary label=%s side=%s dbms=%s reps=%d "
           "rows=%ld median_seconds=%.4f min_seconds=%.4f "
           "max_seconds=%.4f\n",
           o.label, f[i].side, f[i].dbms, ntimed, o.rows, med, f[i].t[0],
           f[i].t[ntimed - 1]);
  }
  if (nconn == 2)
    printf("odbcbench mode=fetch-compare label=%s reps=%d "
           "median_ratio_b_over_a=%.4f overhead_pct=%.2f\n",
           o.label, ntimed, median_of(ratio, ntimed),
           (median_of(ratio, ntimed) - 1) * 100);
  for (int i = 0; i < nconn; i++) {
    free(f[i].t);
    SQLFreeHandle(SQL_HANDLE_STMT, f[i].st);
    SQLDisconnect(f[i].dbc);
    SQLFreeHandle(SQL_HANDLE_DBC, f[i].dbc);
  }
  free(ratio);
  return atomic_load(&errors) ? 1 : 0;
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  env_open();
  int code = o.mode == MODE_CYCLE ? run_cycle() : run_fetch();
  /* The environment is not freed on purpose: with a pooling DM or the
   * odbcpool driver, connections may still be open in the background,
   * and the process ends here anyway. */
  return code;
}
