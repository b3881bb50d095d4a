/* load_driver.c — load through the odbcpool driver module: an ordinary
 * ODBC application (calls ODBC by name, links the driver manager) whose
 * LOAD_THREADS threads (64) run requests for LOAD_SECONDS (10) on a DSN
 * served by the ODBCPool driver, while a separate superuser connection
 * counts, every 100 ms, the server's backends of the pooled login role.
 *
 * One request: SQLDriverConnect; check that the session holds no temp
 * relation and no table load_probe (whoever had the connection before
 * left one); create the temp table load_probe with a personal datum
 * ('Erika Mustermann', the thread and request numbers); read it back
 * (exactly its own row); SQLDisconnect.
 *
 * Passes when no request failed, no request saw residue, no sample
 * counted more than LOAD_MAX_CONNECTIONS backends, the pool's
 * stats_file counts every request as a borrow with at most
 * LOAD_MAX_CONNECTIONS connects and no failed reset, and once the load
 * is over no session on the server holds a load_probe table.
 *
 * Usage: load_driver POOLED_CONNSTR SUPER_CONNSTR STATS_FILE
 *   STATS_FILE: the pool's stats_file, %p for this process's id
 * Environment: LOAD_THREADS (64), LOAD_SECONDS (10), LOAD_MAX_CONNECTIONS
 *   (16: the pool's max_connections for the target), LOAD_USER (the
 *   target's login role, odbcpool).
 * Exit 0 on success, 1 on a failed check (each printed), 2 on bad usage.
 */
#include "build.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sql.h>
#include <sqlext.h>

#include "odbctest.h"

#define PROG "load_driver"
#define DATUM "Erika Mustermann"

static const char *pooled_cs, *super_cs, *stats_pattern, *user = "odbcpool";
static long nthreads = 64, seconds = 10, max_connections = 16;
static SQLHENV env;
static volatile int stop_load, stop_sampler;
static double deadline;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long nfailures, requests, errors, residue;
static long samples, sample_max, samples_over, sample_errors;

static void failf(const char *fmt, ...) {
  va_list ap;
  pthread_mutex_lock(&lock);
  nfailures++;
  if (nfailures <= 20) {
    fputs(PROG ": FAIL: ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
  }
  pthread_mutex_unlock(&lock);
}

/* ------------------------------------------------------------ load */

#define MAX_PIDS 256
static long pids[MAX_PIDS];
static int npids;

static void note_pid(long pid) {
  pthread_mutex_lock(&lock);
  bool seen = false;
  for (int i = 0; i < npids && !seen; i++)
    seen = pids[i] == pid;
  if (!seen && npids < MAX_PIDS)
    pids[npids++] = pid;
  pthread_mutex_unlock(&lock);
}

/* One request; false (after reporting) if anything failed. */
static bool request(int tid, long n) {
  char why[1024], sql[256];
  SQLHDBC dbc = odbctest_connect(env, pooled_cs, why, sizeof why);
  if (dbc == NULL) {
    failf("thread %d request %ld: connect: %s", tid, n, why);
    return false;
  }
  bool ok = false;
  long v[3];
  /* Nothing from anyone before: no temp relation, no load_probe. */
  if (!odbctest_query(
          dbc,
          "SELECT (SELECT count(*) FROM pg_class WHERE relpersistence = "
          "'t' AND relnamespace = pg_my_temp_schema()), "
          "(to_regclass('load_probe') IS NOT NULL)::int, "
          "pg_backend_pid()",
          v, 3, NULL, why, sizeof why)) {
    failf("thread %d request %ld: residue check: %s", tid, n, why);
    goto out;
  }
  note_pid(v[2]);
  if (v[0] != 0 || v[1] != 0) {
    pthread_mutex_lock(&lock);
    residue++;
    pthread_mutex_unlock(&lock);
    failf("thread %d request %ld: residue: %ld temp relation(s), "
          "load_probe %s, backend %ld",
          tid, n, v[0], v[1] ? "visible" : "absent", v[2]);
  }
  if (!odbctest_query(dbc,
                      "CREATE TEMP TABLE load_probe (name text NOT NULL, "
                      "thread int NOT NULL, req int NOT NULL)",
                      NULL, 0, NULL, why, sizeof why)) {
    failf("thread %d request %ld: create: %s", tid, n, why);
    goto out;
  }
  snprintf(sql, sizeof sql,
           "INSERT INTO load_probe VALUES ('" DATUM "', %d, %ld)", tid, n);
  if (!odbctest_query(dbc, sql, NULL, 0, NULL, why, sizeof why)) {
    failf("thread %d request %ld: insert: %s", tid, n, why);
    goto out;
  }
  if (!odbctest_query(dbc,
                      "SELECT count(*), min(thread), min(req) FROM load_probe "
                      "WHERE name = '" DATUM "'",
                      v, 3, NULL, why, sizeof why)) {
    failf("thread %d request %ld: select: %s", tid, n, why);
    goto out;
  }
  if (v[0] != 1 || v[1] != tid || v[2] != n) {
    pthread_mutex_lock(&lock);
    residue++;
    pthread_mutex_unlock(&lock);
    failf("thread %d request %ld: load_probe holds %ld row(s), first of "
          "thread %ld request %ld",
          tid, n, v[0], v[1], v[2]);
    goto out;
  }
  ok = true;
out:
  if (!SQL_SUCCEEDED(SQLDisconnect(dbc))) {
    odbctest_diag(SQL_HANDLE_DBC, dbc, NULL, why, sizeof why);
    failf("thread %d request %ld: disconnect: %s", tid, n, why);
    ok = false;
  }
  SQLFreeHandle(SQL_HANDLE_DBC, dbc);
  return ok;
}

static void *thread_main(void *arg) {
  int tid = (int)(intptr_t)arg;
  long n = 0, ok = 0, bad = 0;
  while (!stop_load && odbctest_now() < deadline) {
    if (request(tid, n++))
      ok++;
    else
      bad++;
  }
  pthread_mutex_lock(&lock);
  requests += ok + bad;
  errors += bad;
  pthread_mutex_unlock(&lock);
  return NULL;
}

/* Every 100 ms: the backends of the pooled login role. */
static void *sampler_main(void *arg) {
  (void)arg;
  char why[1024], sql[256];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM pg_stat_activity WHERE usename = '%s'", user);
  SQLHDBC dbc = odbctest_connect(env, super_cs, why, sizeof why);
  if (dbc == NULL) {
    failf("sampler: connect: %s", why);
    return NULL;
  }
  while (!stop_sampler) {
    long v = -1;
    if (!odbctest_query(dbc, sql, &v, 1, NULL, why, sizeof why)) {
      failf("sampler: %s", why);
      sample_errors++;
    } else {
      samples++;
      if (v > sample_max)
        sample_max = v;
      if (v > max_connections) {
        samples_over++;
        failf("sampler: %ld backends of %s, more than max_connections %ld", v,
              user, max_connections);
      }
    }
    odbctest_sleep_ms(100);
  }
  SQLDisconnect(dbc);
  SQLFreeHandle(SQL_HANDLE_DBC, dbc);
  return NULL;
}

/* ------------------------------------------------------------ stats */

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr,
            "usage: " PROG " POOLED_CONNSTR SUPER_CONNSTR STATS_FILE\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  pooled_cs = argv[1];
  super_cs = argv[2];
  stats_pattern = argv[3];
  nthreads = odbctest_env_long("LOAD_THREADS", nthreads);
  seconds = odbctest_env_long("LOAD_SECONDS", seconds);
  max_connections = odbctest_env_long("LOAD_MAX_CONNECTIONS", max_connections);
  if (getenv("LOAD_USER") && *getenv("LOAD_USER"))
    user = getenv("LOAD_USER");
  if (nthreads < 1 || nthreads > 1024 || seconds < 1 || max_connections < 1) {
    fprintf(stderr, PROG ": bad LOAD_THREADS/SECONDS/MAX_CONNECTIONS\n");
    return 2;
  }
  if ((env = odbctest_alloc_env()) == SQL_NULL_HENV) {
    fprintf(stderr, PROG ": cannot allocate the ODBC environment\n");
    return 1;
  }

  pthread_t sampler;
  if (pthread_create(&sampler, NULL, sampler_main, NULL) != 0)
    return 1;
  pthread_t *th = calloc((size_t)nthreads, sizeof *th);
  if (th == NULL)
    return 1;
  double t0 = odbctest_now();
  deadline = t0 + (double)seconds;
  for (long t = 0; t < nthreads; t++) {
    if (pthread_create(&th[t], NULL, thread_main, (void *)(intptr_t)(t + 1)) !=
        0) {
      failf("pthread_create failed");
      stop_load = 1;
      nthreads = t;
      break;
    }
  }
  for (long t = 0; t < nthreads; t++)
    pthread_join(th[t], NULL);
  free(th);
  double elapsed = odbctest_now() - t0;
  /* A few samples of the pool at rest. */
  odbctest_sleep_ms(300);
  stop_sampler = 1;
  pthread_join(sampler, NULL);

  /* The pool's own count (written about once a second). */
  char path[1100];
  odbctest_stats_path(stats_pattern, path, sizeof path);
  long borrows = -1;
  for (int tries = 0; tries < 40; tries++) {
    borrows = odbctest_stats_sum(path, "odbcpool_borrows_total");
    if (borrows >= requests - errors)
      break;
    odbctest_sleep_ms(100);
  }
  long connects = odbctest_stats_sum(path, "odbcpool_connects_total");
  long reset_failures =
      odbctest_stats_sum(path, "odbcpool_reset_failures_total");
  long timeouts = odbctest_stats_sum(path, "odbcpool_timeouts_total");
  if (borrows < requests - errors)
    failf("stats %s: borrows_total %ld, expected >= %ld", path, borrows,
          requests - errors);
  if (connects < 1 || connects > max_connections)
    failf("stats %s: connects_total %ld, expected 1..%ld", path, connects,
          max_connections);
  if (reset_failures != 0)
    failf("stats %s: reset_failures_total %ld", path, reset_failures);
  if (timeouts != 0)
    failf("stats %s: timeouts_total %ld", path, timeouts);
  if (npids > max_connections)
    failf("requests ran on %d backends, more than %ld", npids, max_connections);
  if (samples < (long)(seconds * 5))
    failf("only %ld samples of the server's connection count", samples);
  if (sample_max < 1)
    failf("the sampler never saw a backend of %s", user);

  /* Once the resets are done, no session anywhere holds load_probe. */
  long left = -1;
  char why[1024];
  for (int tries = 0; tries < 50; tries++) {
    SQLHDBC dbc = odbctest_connect(env, super_cs, why, sizeof why);
    if (dbc == NULL) {
      failf("final check: connect: %s", why);
      break;
    }
    bool ok = odbctest_query(dbc,
                             "SELECT count(*) FROM pg_class WHERE relname = "
                             "'load_probe'",
                             &left, 1, NULL, why, sizeof why);
    SQLDisconnect(dbc);
    SQLFreeHandle(SQL_HANDLE_DBC, dbc);
    if (!ok) {
      failf("final check: %s", why);
      break;
    }
    if (left == 0)
      break;
    odbctest_sleep_ms(100);
  }
  if (left != 0)
    failf("%ld load_probe table(s) still on the server after the load", left);

  printf(PROG ": %ld threads, %.1f s: %ld requests (%.0f/s), %ld errors, "
              "%ld with residue; %d backends used; server-side backends "
              "of %s: max %ld in %ld samples (limit %ld, %ld over); "
              "stats: borrows_total %ld connects_total %ld "
              "reset_failures_total %ld timeouts_total %ld\n",
         nthreads, elapsed, requests, (double)requests / elapsed, errors,
         residue, npids, user, sample_max, samples, max_connections,
         samples_over, borrows, connects, reset_failures, timeouts);
  SQLFreeHandle(SQL_HANDLE_ENV, env);
  return nfailures || errors ? 1 : 0;
}
