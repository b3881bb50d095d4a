/* demo.c — `odbcpool demo`: a pooled workload and an erasure check on an
 * embedded SQLite DSN in a temporary directory. */
#include "build.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dm.h"
#include "scratch.h"
#include "util.h"

#define DEMO_THREADS 4
#define DEMO_REQUESTS 2000 /* per thread and mode */

struct worker {
  pthread_t tid;
  odbcpool_set *set;   /* NULL: connect to `connstr` every time */
  const char *connstr; /* "DSN=demo" directly, or the odbcpool DSN */
  int failures;
  char error[512];
};

/* Runs one query on a statement and fetches its single row. */
static int query_one(const struct odbcpool__dm *dm, SQLHSTMT st,
                     const char *sql, long *value) {
  SQLRETURN rc = dm->SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
  if (!SQL_SUCCEEDED(rc))
    return -1;
  rc = dm->SQLFetch(st);
  if (!SQL_SUCCEEDED(rc))
    return -1;
  SQLINTEGER v = 0;
  SQLLEN ind = 0;
  rc = dm->SQLGetData(st, 1, SQL_C_SLONG, &v, 0, &ind);
  dm->SQLFreeStmt(st, SQL_CLOSE);
  if (!SQL_SUCCEEDED(rc))
    return -1;
  if (value)
    *value = ind == SQL_NULL_DATA ? 0 : v;
  return 0;
}

/* One "request" of a web application: get a connection, read, give it
 * back. */
static int request_pooled(const struct odbcpool__dm *dm, odbcpool_set *set,
                          char *error, size_t errlen) {
  odbcpool_conn *c;
  odbcpool_error err;
  if (odbcpool_borrow(set, "demo", NULL, &c, &err) != ODBCPOOL_OK) {
    snprintf(error, errlen, "%.400s", err.message);
    return -1;
  }
  SQLHSTMT st;
  int rc = odbcpool_stmt_alloc(c, &st);
  if (rc == ODBCPOOL_OK)
    rc = query_one(dm, st, "SELECT sum(amount) FROM orders", NULL);
  if (rc != 0)
    snprintf(error, errlen, "query failed: %s", odbcpool_errmsg(c));
  odbcpool_return(c); /* frees the statement */
  return rc;
}

/* A request the way an unchanged application makes it: connect to a DSN
 * through the driver manager (the real one, or the odbcpool driver's),
 * read, disconnect. */
static int request_direct(const struct odbcpool__dm *dm, SQLHENV env,
                          const char *connstr, char *error, size_t errlen) {
  SQLHDBC dbc;
  SQLHSTMT st;
  int rc = -1;
  if (!SQL_SUCCEEDED(dm->SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc)))
    return -1;
  if (SQL_SUCCEEDED(dm->SQLDriverConnect(dbc, NULL, (SQLCHAR *)connstr, SQL_NTS,
                                         NULL, 0, NULL, SQL_DRIVER_NOPROMPT))) {
    if (SQL_SUCCEEDED(dm->SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st))) {
      rc = query_one(dm, st, "SELECT sum(amount) FROM orders", NULL);
      dm->SQLFreeHandle(SQL_HANDLE_STMT, st);
    }
    dm->SQLDisconnect(dbc);
  }
  if (rc != 0)
    snprintf(error, errlen, "connect or query failed (%s)", connstr);
  dm->SQLFreeHandle(SQL_HANDLE_DBC, dbc);
  return rc;
}

static SQLHENV direct_env;

static void *run_worker(void *arg) {
  struct worker *w = arg;
  const struct odbcpool__dm *dm = odbcpool__dm(NULL);
  for (int i = 0; i < DEMO_REQUESTS; i++) {
    int rc = w->set ? request_pooled(dm, w->set, w->error, sizeof w->error)
                    : request_direct(dm, direct_env, w->connstr, w->error,
                                     sizeof w->error);
    if (rc != 0)
      w->failures++;
  }
  return NULL;
}

/* Runs the workload from DEMO_THREADS threads; returns requests/s or a
 * negative value on failure. */
static double workload(odbcpool_set *set, const char *connstr) {
  struct worker w[DEMO_THREADS];
  memset(w, 0, sizeof w);
  uint64_t t0 = odbcpool__now_us();
  for (int i = 0; i < DEMO_THREADS; i++) {
    w[i].set = set;
    w[i].connstr = connstr;
    pthread_create(&w[i].tid, NULL, run_worker, &w[i]);
  }
  int failures = 0;
  for (int i = 0; i < DEMO_THREADS; i++) {
    pthread_join(w[i].tid, NULL);
    failures += w[i].failures;
    if (w[i].failures > 0)
      fprintf(stderr, "  thread %d: %d failures, last: %s\n", i, w[i].failures,
              w[i].error);
  }
  double secs = (double)(odbcpool__now_us() - t0) / 1e6;
  if (failures > 0)
    return -1;
  return DEMO_THREADS * DEMO_REQUESTS / secs;
}

static int setup(const struct odbcpool__dm *dm, odbcpool_set *set) {
  odbcpool_conn *c;
  odbcpool_error err;
  if (odbcpool_borrow(set, "demo", NULL, &c, &err) != ODBCPOOL_OK) {
    fprintf(stderr, "odbcpool demo: %s\n", err.message);
    return -1;
  }
  SQLHSTMT st;
  int rc = odbcpool_stmt_alloc(c, &st);
  const char *sql[] = {
      "CREATE TABLE orders (id INTEGER PRIMARY KEY, amount INTEGER)",
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
      "WHERE i < 100) INSERT INTO orders (amount) SELECT i * 3 FROM n"};
  for (size_t i = 0; rc == ODBCPOOL_OK && i < 2; i++)
    if (!SQL_SUCCEEDED(dm->SQLExecDirect(st, (SQLCHAR *)sql[i], SQL_NTS)))
      rc = -1;
  odbcpool_return(c);
  return rc == ODBCPOOL_OK ? 0 : -1;
}

/* Borrower A leaves a temp table with a fake personal datum; borrower B,
 * on the same physical connection, must not see it. */
static int erasure(const struct odbcpool__dm *dm, odbcpool_set *set) {
  odbcpool_conn *a, *b;
  odbcpool_error err;
  SQLHSTMT st;
  long n = -1;
  printf("\nerasure on return:\n");
  if (odbcpool_borrow(set, "demo", NULL, &a, &err) != ODBCPOOL_OK ||
      odbcpool_stmt_alloc(a, &st) != ODBCPOOL_OK)
    return -1;
  uint64_t id_a = odbcpool_conn_id(a);
  dm->SQLExecDirect(st,
                    (SQLCHAR *)"CREATE TEMP TABLE customer_note "
                               "(name TEXT, born TEXT)",
                    SQL_NTS);
  dm->SQLExecDirect(st,
                    (SQLCHAR *)"INSERT INTO customer_note VALUES "
                               "('Erika Mustermann', '1964-08-12')",
                    SQL_NTS);
  query_one(dm, st, "SELECT count(*) FROM customer_note", &n);
  printf("  borrower A on connection #%llu: temp table customer_note holds "
         "%ld row (a fake personal datum)\n",
         (unsigned long long)id_a, n);
  /* The statement is left allocated on purpose: the return frees it. */
  odbcpool_return(a);
  odbcpool_quiesce(set, 5000);

  if (odbcpool_borrow(set, "demo", NULL, &b, &err) != ODBCPOOL_OK ||
      odbcpool_stmt_alloc(b, &st) != ODBCPOOL_OK)
    return -1;
  uint64_t id_b = odbcpool_conn_id(b);
  n = -1;
  int rc = query_one(dm, st,
                     "SELECT count(*) FROM sqlite_temp_master "
                     "WHERE name = 'customer_note'",
                     &n);
  printf("  borrower B on connection #%llu (%s physical connection): "
         "customer_note %s\n",
         (unsigned long long)id_b, id_a == id_b ? "the same" : "ANOTHER",
         rc == 0 && n == 0 ? "does not exist: erased" : "STILL EXISTS");
  odbcpool_return(b);
  return rc == 0 && n == 0 && id_a == id_b ? 0 : -1;
}

int cli_demo(int argc, char **argv) {
  (void)argv;
  if (argc > 1) {
    fprintf(stderr, "usage: odbcpool demo\n");
    return 2;
  }
  odbcpool_error err;
  struct odbcpool__scratch scratch;
  if (odbcpool__scratch_init(&scratch, "odbcpool-demo-", &err) != ODBCPOOL_OK) {
    fprintf(stderr, "odbcpool demo: %s\n", err.message);
    return 1;
  }
  int status = 1;
  odbcpool_set *set = NULL;
  char cfgpath[640], cfgtext[1400];
  /* No reset settings: the built-in SQLite reset (reset = auto). */
  snprintf(cfgtext, sizeof cfgtext,
           "[defaults]\nborrow_timeout = 5s\n\n[demo]\n"
           "max_connections = %d\n",
           DEMO_THREADS);
  char drvpath[640];
  snprintf(drvpath, sizeof drvpath, "%s/driver.ini", scratch.dir);
  if (odbcpool__scratch_add_sqlite_dsn(&scratch, "demo", "demo.db", &err) ||
      odbcpool__scratch_write(&scratch, "odbcpool.ini", cfgtext, cfgpath,
                              sizeof cfgpath, &err) ||
      odbcpool__scratch_write(&scratch, "driver.ini", cfgtext, NULL, 0, &err) ||
      odbcpool__scratch_add_pool_dsn(&scratch, "demo_pool", "demo", drvpath,
                                     &err) ||
      odbcpool_open(cfgpath, &set, &err)) {
    fprintf(stderr, "odbcpool demo: %s\n", err.message);
    goto out;
  }
  const struct odbcpool__dm *dm = odbcpool__dm(&err);
  printf("odbcpool demo: SQLite DSN 'demo' in %s\n", scratch.dir);
  printf("reset: the built-in SQLite reset (reset = auto)\n");
  if (setup(dm, set) != 0)
    goto out;
  dm->SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &direct_env);
  dm->SQLSetEnvAttr(direct_env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3,
                    0);
  printf("\n%d threads x %d requests (connect, SELECT, disconnect):\n",
         DEMO_THREADS, DEMO_REQUESTS);
  double direct = workload(NULL, "DSN=demo;");
  double driver = workload(NULL, "DSN=demo_pool;");
  double pooled = workload(set, NULL);
  dm->SQLFreeHandle(SQL_HANDLE_ENV, direct_env);
  if (direct < 0 || pooled < 0 || driver < 0) {
    fprintf(stderr, "odbcpool demo: requests failed\n");
    goto out;
  }
  odbcpool_stats st;
  odbcpool_quiesce(set, 5000);
  odbcpool_stats_get(set, "demo", &st, NULL);
  printf("  connecting each time:         %10.0f requests/s\n", direct);
  printf("  through the odbcpool driver:  %10.0f requests/s  (%.1fx: the "
         "same program, its DSN behind odbcpool)\n",
         driver, driver / direct);
  printf("  through libodbcpool:          %10.0f requests/s  (%.1fx; %llu "
         "borrows on %llu physical connections, %llu resets, %llu failed)\n",
         pooled, pooled / direct, (unsigned long long)st.borrows,
         (unsigned long long)st.connects, (unsigned long long)st.resets,
         (unsigned long long)st.reset_failures);
  printf("  (through the driver, a borrower that only read needs no "
         "database reset; through the library odbcpool does not see the "
         "statements, so every return gets the full reset)\n");
  if (erasure(dm, set) != 0) {
    fprintf(stderr, "odbcpool demo: erasure check FAILED\n");
    goto out;
  }
  status = 0;
out:
  odbcpool_close(set);
  odbcpool__scratch_remove(&scratch);
  return status;
}
