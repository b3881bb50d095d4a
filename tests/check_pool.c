/* check_pool.c — pool behaviour against the real SQLite ODBC driver:
 * reuse, erasure on return, limits, timeouts, fairness, housekeeping,
 * fork, threads. */
#include "build.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sql.h>
#include <sqlext.h>

#include "audit.h"
#include "audit_verify.h"
#include "pool.h"
#include "secret.h"
#include "scratch.h"
#include "testenv.h"
#include "util.h"

/* A config whose [sqlite] section gets `extra` lines. */
static odbcpool_set *open_with(const char *extra) {
  char body[2048];
  snprintf(body, sizeof body,
           "[defaults]\nborrow_timeout = 5s\nreset_workers = 2\n\n"
           "[sqlite]\n%s\n",
           extra);
  return testenv_open(body);
}

/* The shipped SQLite reset script, as a config line. */
static const char *sqlite_script_line(void) {
  static char line[700];
  char path[600];
  ck_assert_msg(odbcpool__data_file("reset/sqlite.sql", path, sizeof path),
                "data/reset/sqlite.sql not found");
  snprintf(line, sizeof line, "reset_script = %s\n", path);
  return line;
}

/* Borrows, runs `sql`, returns, and waits for the reset to finish. */
static uint64_t use_and_return(odbcpool_set *set, const char *sql) {
  odbcpool_conn *c = testenv_borrow(set, "sqlite");
  uint64_t id = odbcpool_conn_id(c);
  if (sql != NULL)
    ck_assert_msg(testenv_exec(c, sql), "%s failed: %s", sql,
                  odbcpool_errmsg(c));
  testenv_give_back(set, c);
  return id;
}

START_TEST(test_borrowed_connection_runs_queries) {
  odbcpool_set *set = open_with("");
  odbcpool_conn *c = testenv_borrow(set, "sqlite");
  bool ok;
  ck_assert_int_eq(testenv_query_long(c, "SELECT 6 * 7", &ok), 42);
  ck_assert(ok);
  ck_assert_ptr_nonnull(odbcpool_hdbc(c));
  odbcpool_return(c);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_return_reuses_the_physical_connection) {
  odbcpool_set *set = open_with("");
  uint64_t a = use_and_return(set, "SELECT 1");
  uint64_t b = use_and_return(set, "SELECT 1");
  ck_assert_uint_eq(a, b);
  odbcpool_stats st = testenv_stats(set, "sqlite");
  ck_assert_uint_eq(st.connects, 1);
  ck_assert_uint_eq(st.borrows, 2);
  ck_assert_uint_eq(st.resets, 2);
  ck_assert_uint_eq(st.open, 1);
  ck_assert_uint_eq(st.idle, 1);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_reset_frees_statements_left_open) {
  odbcpool_set *set = open_with("");
  use_and_return(set, "CREATE TABLE t (x TEXT)");
  odbcpool_conn *c = testenv_borrow(set, "sqlite");
  uint64_t id = odbcpool_conn_id(c);
  SQLHSTMT st;
  ck_assert_int_eq(odbcpool_stmt_alloc(c, &st), ODBCPOOL_OK);
  /* A statement left waiting for data at execution: while it exists, the
   * driver manager refuses transaction calls on the connection. */
  SQLLEN ind = SQL_DATA_AT_EXEC;
  ck_assert(SQL_SUCCEEDED(SQLBindParameter(st, 1, SQL_PARAM_INPUT, SQL_C_CHAR,
                                           SQL_VARCHAR, 100, 0, (SQLPOINTER)1,
                                           0, &ind)));
  ck_assert_int_eq(
      SQLExecDirect(st, (SQLCHAR *)"INSERT INTO t VALUES (?)", SQL_NTS),
      SQL_NEED_DATA);
  ck_assert(!SQL_SUCCEEDED(
      SQLEndTran(SQL_HANDLE_DBC, odbcpool_hdbc(c), SQL_ROLLBACK)));
  testenv_give_back(set, c);
  odbcpool_stats stats = testenv_stats(set, "sqlite");
  ck_assert_uint_eq(stats.reset_failures, 0);
  ck_assert_uint_eq(stats.resets, 2);
  c = testenv_borrow(set, "sqlite");
  ck_assert_uint_eq(odbcpool_conn_id(c), id);
  ck_assert(SQL_SUCCEEDED(
      SQLEndTran(SQL_HANDLE_DBC, odbcpool_hdbc(c), SQL_ROLLBACK)));
  ck_assert_int_eq(testenv_query_long(c, "SELECT count(*) FROM t", NULL), 0);
  odbcpool_return(c);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_reset_rolls_back_open_transaction) {
  odbcpool_set *set = open_with("");
  use_and_return(set, "CREATE TABLE money (amount INTEGER)");
  odbcpool_conn *c = testenv_borrow(set, "sqlite");
  uint64_t id = odbcpool_conn_id(c);
  ck_assert(
      SQL_SUCCEEDED(SQLSetConnectAttr(odbcpool_hdbc(c), SQL_ATTR_AUTOCOMMIT,
                                      (SQLPOINTER)SQL_AUTOCOMMIT_OFF, 0)));
  ck_assert(testenv_exec(c, "INSERT INTO money VALUES (1000)"));
  ck_assert_int_eq(testenv_query_long(c, "SELECT count(*) FROM money", NULL),
                   1);
  odbcpool_return(c); /* without commit */
  ck_assert_int_eq(odbcpool_quiesce(set, 10000), ODBCPOOL_OK);

  c = testenv_borrow(set, "sqlite");
  ck_assert_uint_eq(odbcpool_conn_id(c), id);
  ck_assert_int_eq(testenv_query_long(c, "SELECT count(*) FROM money", NULL),
                   0);
  SQLUINTEGER ac = 12345;
  ck_assert(SQL_SUCCEEDED(
      SQLGetConnectAttr(odbcpool_hdbc(c), SQL_ATTR_AUTOCOMMIT, &ac, 0, NULL)));
  ck_assert_uint_eq(ac, SQL_AUTOCOMMIT_ON);
  odbcpool_return(c);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_reset_rolls_back_transaction_begun_in_sql) {
  odbcpool_set *set = open_with(sqlite_script_line());
  use_and_return(set, "CREATE TABLE money (amount INTEGER)");
  odbcpool_conn *c = testenv_borrow(set, "sqlite");
  uint64_t id = odbcpool_conn_id(c);
  /* Autocommit stays on; the transaction is opened by SQL text. */
  ck_assert(testenv_exec(c, "BEGIN"));
  ck_assert(testenv_exec(c, "INSERT INTO money VALUES (1000)"));
  testenv_give_back(set, c);
  /* sqlite3odbc's SQLEndTran leaves a transaction begun in SQL open; the
   * script's BEGIN; ROLLBACK; then fails and the connection is closed:
   * fail closed, never reused with the uncommitted row. */
  ck_assert_uint_eq(testenv_stats(set, "sqlite").reset_failures, 1);
  c = testenv_borrow(set, "sqlite");
  ck_assert_uint_ne(odbcpool_conn_id(c), id);
  ck_assert_int_eq(testenv_query_long(c, "SELECT count(*) FROM money", NULL),
                   0);
  ck_assert(testenv_exec(c, "BEGIN"));
  ck_assert(testenv_exec(c, "ROLLBACK"));
  odbcpool_return(c);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_reset_script_drops_temp_table_with_personal_datum) {
  odbcpool_set *set = open_with(sqlite_script_line());
  odbcpool_conn *c = testenv_borrow(set, "sqlite");
  uint64_t id = odbcpool_conn_id(c);
  ck_assert(testenv_exec(c, "CREATE TEMP TABLE note (name TEXT)"));
  ck_assert(testenv_exec(c, "INSERT INTO note VALUES ('Erika Mustermann')"));
  testenv_give_back(set, c);

  c = testenv_borrow(set, "sqlite");
  ck_assert_uint_eq(odbcpool_conn_id(c), id);
  bool ok;
  ck_assert_int_eq(
      testenv_query_long(c, "SELECT count(*) FROM sqlite_temp_master", &ok), 0);
  ck_assert(ok);
  ck_assert(!testenv_exec(c, "SELECT name FROM note"));
  odbcpool_return(c);
  ck_assert_uint_eq(testenv_stats(set, "sqlite").reset_failures, 0);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_prepared_reset_statements_erase_every_time) {
  char extra[800];
  snprintf(extra, sizeof extra, "%sreset_prepare = yes\n",
           sqlite_script_line());
  odbcpool_set *set = open_with(extra);
  uint64_t id = 0;
  for (int round = 0; round < 4; round++) {
    odbcpool_conn *c = testenv_borrow(set, "sqlite");
    if (round == 0)
      id = odbcpool_conn_id(c);
    ck_assert_uint_eq(odbcpool_conn_id(c), id);
    /* What the previous round left is gone. */
    ck_assert_int_eq(
        testenv_query_long(c, "SELECT count(*) FROM sqlite_temp_master", NULL),
        0);
    ck_assert_int_eq(testenv_query_long(c,
                                        "SELECT count(*) FROM "
                                        "pragma_database_list WHERE name "
                                        "NOT IN ('main', 'temp')",
                                        NULL),
                     0);
    ck_assert_int_eq(testenv_query_long(c, "PRAGMA query_only", NULL), 0);
    ck_assert(testenv_exec(c, "CREATE TEMP TABLE note (name TEXT)"));
    ck_assert(testenv_exec(c, "INSERT INTO note VALUES ('Erika Mustermann')"));
    ck_assert(testenv_exec(c, "ATTACH DATABASE ':memory:' AS side"));
    ck_assert(testenv_exec(c, "PRAGMA query_only = ON"));
    testenv_give_back(set, c);
  }
  odbcpool_stats st = testenv_stats(set, "sqlite");
  ck_assert_uint_eq(st.resets, 4);
  ck_assert_uint_eq(st.reset_failures, 0);
  ck_assert_uint_eq(st.connects, 1);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_failing_reset_closes_the_connection) {
  odbcpool_set *set = open_with("reset_sql = SELECT * FROM no_such_table\n");
  uint64_t a = use_and_return(set, "SELECT 1");
  odbcpool_stats st = testenv_stats(set, "sqlite");
  ck_assert_uint_eq(st.reset_failures, 1);
  ck_assert_uint_eq(st.resets, 0);
  ck_assert_uint_eq(st.closes[ODBCPOOL_CLOSE_RESET_FAILED], 1);
  ck_assert_uint_eq(st.open, 0);
  uint64_t b = use_and_return(set, NULL);
  ck_assert_uint_ne(a, b);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_verify_query_residue_closes_the_connection) {
  odbcpool_set *set =
      open_with("reset = none\n"
                "verify_query = SELECT name FROM sqlite_temp_master\n");
  uint64_t a = use_and_return(set, "CREATE TEMP TABLE secret (x TEXT)");
  odbcpool_stats st = testenv_stats(set, "sqlite");
  ck_assert_uint_eq(st.reset_failures, 1);
  ck_assert_uint_eq(st.closes[ODBCPOOL_CLOSE_RESET_FAILED], 1);
  odbcpool_conn *c = testenv_borrow(set, "sqlite");
  ck_assert_uint_ne(odbcpool_conn_id(c), a);
  ck_assert_int_eq(
      testenv_query_long(c, "SELECT count(*) FROM sqlite_temp_master", NULL),
      0);
  odbcpool_return(c);
  odbcpool_close(set);
}
END_TEST

/* Purpose limitation through the library: refused before any connection
 * is opened or handed out. */
START_TEST(test_borrow_for_a_purpose_not_listed_is_refused) {
  odbcpool_set *set = open_with("purposes = billing, support\n"
                                "require_purpose = yes\n");
  static const char *const refused[] = {
      NULL, "", "marketing", "Billing", "billing,support", "billing\n"};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    odbcpool_borrow_opts o = {.purpose = refused[i], .timeout_ms = -1};
    testenv_borrow_fails(set, "sqlite", &o, ODBCPOOL_EPURPOSE, "28000",
                         "DSN 'sqlite'");
  }
  odbcpool_borrow_opts ok = {.purpose = "support", .timeout_ms = -1};
  odbcpool_conn *c = NULL;
  odbcpool_error err;
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &ok, &c, &err), ODBCPOOL_OK);
  testenv_give_back(set, c);
  odbcpool_stats st = testenv_stats(set, "sqlite");
  ck_assert_uint_eq(st.borrows, 1);
  ck_assert_uint_eq(st.connects, 1);
  odbcpool_close(set);
}
END_TEST

/* The lock contracts are asserted: a function that must be called with
 * the set's lock held aborts when it is not (debug builds, glibc). */
START_TEST(test_lock_contract_is_asserted) {
  odbcpool_set *set = open_with("");
  odbcpool_conn *c = testenv_borrow(set, "sqlite");
  odbcpool__conn_move(c, CONN_IDLE); /* without the lock: must abort */
}
END_TEST

START_TEST(test_exhausted_pool_times_out_with_hyt00) {
  odbcpool_set *set = open_with("max_connections = 2\n");
  odbcpool_conn *a = testenv_borrow(set, "sqlite");
  odbcpool_conn *b = testenv_borrow(set, "sqlite");
  odbcpool_conn *c = NULL;
  odbcpool_error err;
  odbcpool_borrow_opts opts = {.timeout_ms = 100};
  uint64_t t0 = odbcpool__now_ms();
  int rc = odbcpool_borrow(set, "sqlite", &opts, &c, &err);
  uint64_t waited = odbcpool__now_ms() - t0;
  ck_assert_int_eq(rc, ODBCPOOL_ETIMEDOUT);
  ck_assert_ptr_null(c);
  ck_assert_str_eq(err.sqlstate, "HYT00");
  ck_assert_ptr_nonnull(strstr(err.message, "max_connections = 2"));
  ck_assert_uint_ge(waited, 100);
  odbcpool_stats st = testenv_stats(set, "sqlite");
  ck_assert_uint_eq(st.timeouts, 1);
  ck_assert_uint_eq(st.open, 2);
  ck_assert_uint_eq(st.in_use, 2);
  ck_assert_uint_eq(st.waiting, 0);
  odbcpool_return(a);
  odbcpool_return(b);
  odbcpool_close(set);
}
END_TEST

struct fifo_arg {
  odbcpool_set *set;
  int index;
  int *order;
  int *next;
  pthread_mutex_t *mu;
  int rc;
};

static void *fifo_borrower(void *p) {
  struct fifo_arg *a = p;
  odbcpool_conn *c = NULL;
  a->rc = odbcpool_borrow(a->set, "sqlite", NULL, &c, NULL);
  if (a->rc != ODBCPOOL_OK)
    return NULL;
  pthread_mutex_lock(a->mu);
  a->order[(*a->next)++] = a->index;
  pthread_mutex_unlock(a->mu);
  odbcpool_return(c);
  return NULL;
}

START_TEST(test_waiters_are_served_first_come_first_served) {
  odbcpool_set *set = open_with("max_connections = 1\n");
  odbcpool_conn *held = testenv_borrow(set, "sqlite");
  enum { N = 4 };
  pthread_t t[N];
  struct fifo_arg args[N];
  int order[N], next = 0;
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  for (int i = 0; i < N; i++) {
    args[i] = (struct fifo_arg){set, i, order, &next, &mu, -1};
    pthread_create(&t[i], NULL, fifo_borrower, &args[i]);
    /* Start the next one only once this one is queued. */
    ck_assert_eventually(testenv_stats(set, "sqlite").waiting ==
                         (unsigned)i + 1);
  }
  odbcpool_return(held);
  for (int i = 0; i < N; i++) {
    pthread_join(t[i], NULL);
    ck_assert_int_eq(args[i].rc, ODBCPOOL_OK);
  }
  for (int i = 0; i < N; i++)
    ck_assert_int_eq(order[i], i);
  odbcpool_stats st = testenv_stats(set, "sqlite");
  ck_assert_uint_eq(st.connects, 1);
  ck_assert_uint_eq(st.borrows, N + 1);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_connect_failure_reports_the_driver_diagnostics) {
  odbcpool_set *set = open_with("");
  odbcpool_error err =
      testenv_borrow_fails(set, "sqlite_missing", NULL, ODBCPOOL_ECONNECT, NULL,
                           "cannot connect to DSN 'sqlite_missing'");
  ck_assert_msg(strlen(err.sqlstate) == 5, "sqlstate '%s'", err.sqlstate);
  ck_assert_msg(strstr(err.message, ": [") != NULL,
                "message without the driver's record: %s", err.message);
  odbcpool_stats st = testenv_stats(set, "sqlite_missing");
  ck_assert_uint_eq(st.connect_failures, 1);
  ck_assert_uint_eq(st.open, 0);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_unknown_dsn_is_im002) {
  odbcpool_set *set = open_with("");
  testenv_borrow_fails(set, "no_such_dsn", NULL, ODBCPOOL_ECONNECT, "IM002",
                       NULL);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_idle_connections_are_closed_after_idle_timeout) {
  odbcpool_set *set = open_with("idle_timeout = 100ms\n");
  use_and_return(set, "SELECT 1");
  ck_assert_eventually(testenv_stats(set, "sqlite").open == 0);
  odbcpool_stats st = testenv_stats(set, "sqlite");
  ck_assert_uint_eq(st.closes[ODBCPOOL_CLOSE_IDLE], 1);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_min_idle_connections_are_kept_open) {
  odbcpool_set *set =
      open_with("min_idle = 2\nmax_connections = 3\nidle_timeout = 50ms\n");
  ck_assert_eventually(testenv_stats(set, "sqlite").idle == 2);
  /* idle_timeout never takes the pool below min_idle. */
  usleep(300000);
  odbcpool_stats st = testenv_stats(set, "sqlite");
  ck_assert_uint_eq(st.idle, 2);
  ck_assert_uint_eq(st.connects, 2);
  ck_assert_uint_eq(st.closes[ODBCPOOL_CLOSE_IDLE], 0);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_max_lifetime_retires_connections) {
  odbcpool_set *set = open_with("max_lifetime = 200ms\nlifetime_jitter = 0\n");
  uint64_t a = use_and_return(set, "SELECT 1");
  ck_assert_eventually(
      testenv_stats(set, "sqlite").closes[ODBCPOOL_CLOSE_LIFETIME] == 1);
  uint64_t b = use_and_return(set, "SELECT 1");
  ck_assert_uint_ne(a, b);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_connection_held_past_leak_threshold_is_reported) {
  odbcpool_set *set = open_with("leak_threshold = 100ms\n");
  odbcpool_conn *c = testenv_borrow(set, "sqlite");
  ck_assert_eventually(testenv_stats(set, "sqlite").leaks == 1);
  usleep(300000); /* reported once, not at every sweep */
  ck_assert_uint_eq(testenv_stats(set, "sqlite").leaks, 1);
  odbcpool_return(c);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_failed_validation_replaces_the_connection) {
  odbcpool_set *set = open_with("validation_idle = 1ms\n"
                                "validation_query = SELECT * FROM nothing\n");
  uint64_t a = use_and_return(set, "SELECT 1");
  usleep(20000);
  odbcpool_conn *c = testenv_borrow(set, "sqlite");
  ck_assert_uint_ne(odbcpool_conn_id(c), a);
  odbcpool_return(c);
  odbcpool_stats st = testenv_stats(set, "sqlite");
  ck_assert_uint_eq(st.validations_failed, 1);
  ck_assert_uint_eq(st.closes[ODBCPOOL_CLOSE_BROKEN], 1);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_forked_child_never_uses_parent_connections) {
  odbcpool_set *set = open_with("");
  use_and_return(set, "CREATE TABLE t (x INTEGER)");
  uint64_t parent_id = use_and_return(set, "INSERT INTO t VALUES (1)");
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    int code = 0;
    odbcpool_conn *c = NULL;
    if (odbcpool_borrow(set, "sqlite", NULL, &c, NULL) != ODBCPOOL_OK)
      _exit(10);
    if (odbcpool_conn_id(c) == parent_id)
      code = 11;
    else if (testenv_query_long(c, "SELECT count(*) FROM t", NULL) != 1)
      code = 12;
    odbcpool_return(c);
    odbcpool_stats st;
    if (odbcpool_stats_get(set, "sqlite", &st, NULL) != ODBCPOOL_OK ||
        st.closes[ODBCPOOL_CLOSE_FORKED] != 1 || st.connects != 2)
      code = code ? code : 13;
    odbcpool_close(set);
    _exit(code);
  }
  int status = 0;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "child failed with status %d", WEXITSTATUS(status));
  odbcpool_conn *c = testenv_borrow(set, "sqlite");
  ck_assert_uint_eq(odbcpool_conn_id(c), parent_id);
  ck_assert_int_eq(testenv_query_long(c, "SELECT count(*) FROM t", NULL), 1);
  odbcpool_return(c);
  odbcpool_close(set);
}
END_TEST

/* exit() runs the pool's exit handler (it stops the pool's threads
 * before libcrypto's cleanup): in a forked child that never used the
 * set, whose threads fork() did not copy, and in one that has just
 * returned a connection whose reset is running. Neither may crash. */
START_TEST(test_exit_in_a_forked_child_stops_the_pool_cleanly) {
  odbcpool_set *set = open_with("");
  use_and_return(set, "SELECT 1");
  for (int variant = 0; variant < 2; variant++) {
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
      if (variant == 1) {
        odbcpool_conn *c = NULL;
        if (odbcpool_borrow(set, "sqlite", NULL, &c, NULL) != ODBCPOOL_OK)
          _exit(10);
        testenv_exec(c, "CREATE TEMP TABLE exit_probe (x INTEGER)");
        odbcpool_return(c); /* its reset runs while we exit */
      }
      exit(0);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child (variant %d) expected to exit 0, got %s %d", variant,
                  WIFSIGNALED(status) ? "signal" : "exit status",
                  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
  }
  odbcpool_close(set);
}
END_TEST

struct load_arg {
  odbcpool_set *set;
  int n;
  int failures;
};

static void *load_worker(void *p) {
  struct load_arg *a = p;
  for (int i = 0; i < a->n; i++) {
    odbcpool_conn *c;
    if (odbcpool_borrow(a->set, "sqlite", NULL, &c, NULL) != ODBCPOOL_OK) {
      a->failures++;
      continue;
    }
    if (testenv_query_long(c, "SELECT 1", NULL) != 1)
      a->failures++;
    odbcpool_return(c);
  }
  return NULL;
}

START_TEST(test_many_threads_keep_statistics_consistent) {
  odbcpool_set *set = open_with("max_connections = 4\n");
  enum { T = 8, N = 500 };
  pthread_t t[T];
  struct load_arg a[T];
  for (int i = 0; i < T; i++) {
    a[i] = (struct load_arg){set, N, 0};
    pthread_create(&t[i], NULL, load_worker, &a[i]);
  }
  for (int i = 0; i < T; i++) {
    pthread_join(t[i], NULL);
    ck_assert_int_eq(a[i].failures, 0);
  }
  odbcpool_stats st = testenv_quiesced_stats(set, "sqlite");
  ck_assert_uint_eq(st.borrows, T * N);
  ck_assert_uint_eq(st.resets, T * N);
  ck_assert_uint_eq(st.reset_failures, 0);
  ck_assert_uint_eq(st.in_use, 0);
  ck_assert_uint_eq(st.resetting, 0);
  ck_assert_uint_eq(st.waiting, 0);
  ck_assert_uint_eq(st.open, st.idle);
  ck_assert_uint_le(st.open, 4);
  ck_assert_uint_eq(st.connects, st.open);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_different_credentials_never_share_a_connection) {
  odbcpool_set *set = open_with("");
  odbcpool_borrow_opts alice = {.uid = "alice", .pwd = "a-secret"};
  odbcpool_borrow_opts bob = {.uid = "bob", .pwd = "b-secret"};
  odbcpool_conn *c;
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &alice, &c, NULL), 0);
  uint64_t a = odbcpool_conn_id(c);
  testenv_give_back(set, c);
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &bob, &c, NULL), 0);
  ck_assert_uint_ne(odbcpool_conn_id(c), a);
  testenv_give_back(set, c);
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &alice, &c, NULL), 0);
  ck_assert_uint_eq(odbcpool_conn_id(c), a);
  odbcpool_return(c);
  ck_assert_uint_eq(testenv_stats(set, "sqlite").connects, 2);
  odbcpool_close(set);
}
END_TEST

/* The same user with another password is neither refused by the pool
 * nor given a connection made with the first: the server decides, with
 * a real login (SQLite accepts any password, so the login succeeds).
 * Afterwards the first password is in doubt (changed?): its next
 * borrower logs in for real too instead of getting its pooled
 * connection. */
START_TEST(test_another_password_is_settled_by_a_real_login) {
  odbcpool_set *set = open_with("");
  odbcpool_borrow_opts alice = {.uid = "alice", .pwd = "a-secret"};
  odbcpool_borrow_opts alice2 = {.uid = "alice", .pwd = "pw-alice-2"};
  odbcpool_conn *c;
  odbcpool_error err;
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &alice, &c, &err), 0);
  uint64_t a = odbcpool_conn_id(c);
  testenv_give_back(set, c);
  int rc = odbcpool_borrow(set, "sqlite", &alice2, &c, &err);
  ck_assert_msg(rc == ODBCPOOL_OK,
                "another password of the user: expected a real login, got "
                "%s [%s] %s",
                odbcpool_strerror(rc), err.sqlstate, err.message);
  uint64_t a2 = odbcpool_conn_id(c);
  ck_assert_uint_ne(a2, a);
  testenv_give_back(set, c);
  ck_assert_uint_eq(testenv_stats(set, "sqlite").connects, 2);
  /* The first password again: a real login, not connection a. */
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &alice, &c, &err), 0);
  ck_assert_uint_ne(odbcpool_conn_id(c), a);
  ck_assert_uint_ne(odbcpool_conn_id(c), a2);
  testenv_give_back(set, c);
  odbcpool_stats st = testenv_stats(set, "sqlite");
  ck_assert_uint_eq(st.connects, 3);
  ck_assert_uint_eq(st.closes[ODBCPOOL_CLOSE_REAUTH], 0);
  odbcpool_close(set);
}
END_TEST

/* reauth_interval bounds how long a password is taken on the pool's
 * word: after it, the next borrower with the password gets a new
 * physical connection (a real login); within it, the pooled one. */
START_TEST(test_password_is_reconfirmed_after_reauth_interval) {
  odbcpool_set *set = open_with("reauth_interval = 300ms\n");
  odbcpool_borrow_opts o = {.uid = "alice", .pwd = "a-secret"};
  odbcpool_conn *c;
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &o, &c, NULL), 0);
  uint64_t first = odbcpool_conn_id(c);
  testenv_give_back(set, c);
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &o, &c, NULL), 0);
  ck_assert_uint_eq(odbcpool_conn_id(c), first);
  testenv_give_back(set, c);
  usleep(400 * 1000);
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &o, &c, NULL), 0);
  uint64_t second = odbcpool_conn_id(c);
  odbcpool_stats st = testenv_stats(set, "sqlite");
  printf("reauth_interval 300ms, borrow after 400 ms: connection %llu "
         "(first %llu), connects %llu\n",
         (unsigned long long)second, (unsigned long long)first,
         (unsigned long long)st.connects);
  ck_assert_msg(second != first && st.connects == 2,
                "expected a real login after reauth_interval: connection "
                "%llu (first %llu), connects %llu (expected 2)",
                (unsigned long long)second, (unsigned long long)first,
                (unsigned long long)st.connects);
  testenv_give_back(set, c);
  /* Confirmed again: the pooled connections serve without a login. */
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &o, &c, NULL), 0);
  testenv_give_back(set, c);
  ck_assert_uint_eq(testenv_stats(set, "sqlite").connects, 2);
  /* Connections without a password of the application are not
   * re-authenticated. */
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", NULL, &c, NULL), 0);
  uint64_t plain = odbcpool_conn_id(c);
  testenv_give_back(set, c);
  usleep(400 * 1000);
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", NULL, &c, NULL), 0);
  ck_assert_uint_eq(odbcpool_conn_id(c), plain);
  odbcpool_return(c);
  odbcpool_close(set);
}
END_TEST

/* When the real login after reauth_interval fails (here: the database
 * went away, as a refused password does on a server), the borrower gets
 * the target's error and every pooled connection made with that
 * password is closed: none of them reaches data again. */
START_TEST(test_refused_login_closes_the_passwords_connections) {
  char dir[700], moved[720];
  snprintf(dir, sizeof dir, "%s/sub", testenv_dir());
  snprintf(moved, sizeof moved, "%s/sub-gone", testenv_dir());
  ck_assert_int_eq(mkdir(dir, 0700), 0);
  testenv_add_sqlite_dsn("sqlite_sub", "sub/r.db");
  char body[512];
  snprintf(body, sizeof body,
           "[defaults]\nborrow_timeout = 5s\n\n[sqlite_sub]\n"
           "reauth_interval = 200ms\n");
  odbcpool_set *set = testenv_open(body);
  odbcpool_borrow_opts o = {.uid = "alice", .pwd = "a-secret"};
  odbcpool_conn *c1, *c2;
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite_sub", &o, &c1, NULL), 0);
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite_sub", &o, &c2, NULL), 0);
  testenv_give_back(set, c2);
  usleep(300 * 1000);
  ck_assert_int_eq(rename(dir, moved), 0);
  odbcpool_conn *c = NULL;
  odbcpool_error err;
  int rc = odbcpool_borrow(set, "sqlite_sub", &o, &c, &err);
  odbcpool_stats st = testenv_stats(set, "sqlite_sub");
  printf("refused login after reauth_interval: borrow %s, open %u idle %u, "
         "closed for reauth %llu\n",
         odbcpool_strerror(rc), st.open, st.idle,
         (unsigned long long)st.closes[ODBCPOOL_CLOSE_REAUTH]);
  ck_assert_msg(rc == ODBCPOOL_ECONNECT,
                "borrow after a refused login: expected ECONNECT, got %s",
                odbcpool_strerror(rc));
  ck_assert_ptr_null(c);
  ck_assert_uint_eq(st.idle, 0);
  ck_assert_uint_eq(st.open, 1); /* c1, still borrowed */
  ck_assert_uint_eq(st.closes[ODBCPOOL_CLOSE_REAUTH], 1);
  /* The borrowed one is closed when it comes back, not pooled. */
  testenv_give_back(set, c1);
  st = testenv_stats(set, "sqlite_sub");
  ck_assert_uint_eq(st.open, 0);
  ck_assert_uint_eq(st.closes[ODBCPOOL_CLOSE_REAUTH], 2);
  /* Accepted again: pooled again. */
  ck_assert_int_eq(rename(moved, dir), 0);
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite_sub", &o, &c, &err), 0);
  odbcpool_return(c);
  odbcpool_close(set);
}
END_TEST

/* An empty UID or PWD is the same as none, however it is passed: the
 * same user with the same (empty) password reaches the same pool and
 * connection, instead of being refused as "another password". */
START_TEST(test_empty_password_is_the_same_as_none) {
  odbcpool_set *set = open_with("");
  odbcpool_borrow_opts empty = {.uid = "u", .pwd = ""};
  odbcpool_borrow_opts none = {.uid = "u", .pwd = NULL};
  odbcpool_borrow_opts blank = {.uid = "", .pwd = ""};
  odbcpool_conn *c;
  odbcpool_error err;
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &empty, &c, &err), 0);
  uint64_t a = odbcpool_conn_id(c);
  testenv_give_back(set, c);
  int rc = odbcpool_borrow(set, "sqlite", &none, &c, &err);
  ck_assert_msg(rc == ODBCPOOL_OK, "PWD absent after PWD empty: %s [%s] %s",
                odbcpool_strerror(rc), err.sqlstate, err.message);
  ck_assert_uint_eq(odbcpool_conn_id(c), a);
  testenv_give_back(set, c);
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &blank, &c, &err), 0);
  uint64_t b = odbcpool_conn_id(c);
  testenv_give_back(set, c);
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", NULL, &c, &err), 0);
  ck_assert_uint_eq(odbcpool_conn_id(c), b);
  odbcpool_return(c);
  ck_assert_uint_eq(testenv_stats(set, "sqlite").connects, 2);
  odbcpool_close(set);
}
END_TEST

struct key_borrower {
  odbcpool_set *set;
  const char *uid;
  long timeout_ms;
  int rc;
  odbcpool_conn *c;
};

static void *key_borrow(void *arg) {
  struct key_borrower *b = arg;
  odbcpool_borrow_opts o = {.uid = b->uid, .timeout_ms = b->timeout_ms};
  b->rc = odbcpool_borrow(b->set, "sqlite", &o, &b->c, NULL);
  return NULL;
}

/* max_connections bounds the connections of a DSN, whatever user,
 * connection string or ANSI/W mode they were opened with; an idle
 * connection of one of them gives way to a borrower of another. */
START_TEST(test_max_connections_bounds_the_dsn_across_keys) {
  odbcpool_set *set = open_with("max_connections = 2\n");
  odbcpool_borrow_opts alice = {.uid = "alice"};
  odbcpool_borrow_opts bob = {.uid = "bob"};
  odbcpool_borrow_opts carol = {.uid = "carol", .timeout_ms = 200};
  odbcpool_conn *a, *b, *c = NULL;
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &alice, &a, NULL), 0);
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &bob, &b, NULL), 0);
  int rc = odbcpool_borrow(set, "sqlite", &carol, &c, NULL);
  /* A third key (the W mode, an extra keyword) counts as well. */
  struct odbcpool__key wkey = {.dsn = "sqlite", .wide = true};
  odbcpool_conn *w = NULL;
  int rcw = odbcpool__borrow(set, &wkey, NULL, 200, &w, NULL, NULL);
  odbcpool_stats st = testenv_stats(set, "sqlite");
  printf("max_connections = 2, two users holding one each: third user %s, "
         "W mode %s, open %u\n",
         odbcpool_strerror(rc), odbcpool_strerror(rcw), st.open);
  ck_assert_msg(rc == ODBCPOOL_ETIMEDOUT && rcw == ODBCPOOL_ETIMEDOUT,
                "a third key got a connection past max_connections: %s, %s "
                "(open %u, expected 2)",
                odbcpool_strerror(rc), odbcpool_strerror(rcw), st.open);
  ck_assert_uint_eq(st.open, 2);
  /* Alice's connection goes idle; carol's borrow closes it and opens
   * her own. */
  testenv_give_back(set, a);
  carol.timeout_ms = 5000;
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &carol, &c, NULL), 0);
  st = testenv_stats(set, "sqlite");
  ck_assert_uint_eq(st.open, 2);
  ck_assert_uint_eq(st.closes[ODBCPOOL_CLOSE_GAVE_WAY], 1);
  /* A waiter of another key gets the slot of a connection returned
   * while it waits. */
  struct key_borrower dave = {.set = set, .uid = "dave", .timeout_ms = 5000};
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, key_borrow, &dave), 0);
  ck_assert_eventually(testenv_stats(set, "sqlite").waiting == 1);
  odbcpool_return(b);
  pthread_join(t, NULL);
  ck_assert_int_eq(dave.rc, ODBCPOOL_OK);
  st = testenv_stats(set, "sqlite");
  ck_assert_uint_le(st.open, 2);
  ck_assert_uint_eq(st.closes[ODBCPOOL_CLOSE_GAVE_WAY], 2);
  odbcpool_return(dave.c);
  odbcpool_return(c);
  odbcpool_close(set);
}
END_TEST

/* Connections opened with different pre-connect attributes (here
 * SQL_ATTR_PACKET_SIZE) are different pools: each is handed only to
 * borrowers who asked for what it was opened with. */
START_TEST(test_preconnect_attributes_are_part_of_the_key) {
  odbcpool_set *set = open_with("");
  struct odbcpool__preattr big = {SQL_ATTR_PACKET_SIZE, 65536};
  struct odbcpool__key plain = {.dsn = "sqlite"};
  struct odbcpool__key sized = {.dsn = "sqlite", .pre = &big, .npre = 1};
  odbcpool_conn *c;
  ck_assert_int_eq(odbcpool__borrow(set, &plain, NULL, -1, &c, NULL, NULL), 0);
  uint64_t a = odbcpool_conn_id(c);
  testenv_give_back(set, c);
  ck_assert_int_eq(odbcpool__borrow(set, &sized, NULL, -1, &c, NULL, NULL), 0);
  uint64_t b = odbcpool_conn_id(c);
  testenv_give_back(set, c);
  ck_assert_uint_ne(a, b);
  ck_assert_int_eq(odbcpool__borrow(set, &sized, NULL, -1, &c, NULL, NULL), 0);
  ck_assert_uint_eq(odbcpool_conn_id(c), b);
  odbcpool_return(c);
  /* Hostile input: more attributes than a key holds is refused. */
  struct odbcpool__key many = {.dsn = "sqlite", .pre = &big, .npre = 99};
  ck_assert_int_eq(odbcpool__borrow(set, &many, NULL, -1, &c, NULL, NULL),
                   ODBCPOOL_EINVAL);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_failed_logins_leave_no_pool_behind) {
  odbcpool_set *set = open_with("");
  for (int i = 0; i < 50; i++) {
    char pwd[32];
    snprintf(pwd, sizeof pwd, "wrong-%d", i);
    odbcpool_borrow_opts o = {.uid = "mallory", .pwd = pwd};
    odbcpool_conn *c = NULL;
    ck_assert_int_eq(odbcpool_borrow(set, "sqlite_missing", &o, &c, NULL),
                     ODBCPOOL_ECONNECT);
  }
  /* White box: one pool per credentials would be 50 pools. */
  pthread_mutex_lock(&set->lock);
  int pools = 0;
  for (struct pool *p = set->pools; p; p = p->next)
    pools++;
  pthread_mutex_unlock(&set->lock);
  ck_assert_int_eq(pools, 0);
  /* The counters survive the pools. */
  ck_assert_uint_eq(testenv_stats(set, "sqlite_missing").connect_failures, 50);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_stats_file_has_counters_and_no_user_names) {
  char body[1024];
  snprintf(body, sizeof body,
           "[defaults]\nstats_file = %s/stats-%%p.prom\n\n[sqlite]\n",
           testenv_dir());
  odbcpool_set *set = testenv_open(body);
  odbcpool_borrow_opts o = {.uid = "erika.mustermann", .pwd = "s3cret"};
  for (int i = 0; i < 3; i++) {
    odbcpool_conn *c = NULL;
    ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &o, &c, NULL), 0);
    testenv_give_back(set, c);
  }
  odbcpool_close(set); /* writes the file one last time */
  char path[700], text[8192];
  snprintf(path, sizeof path, "%s/stats-%ld.prom", testenv_dir(),
           (long)getpid());
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "%s was not written", path);
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  ck_assert_msg(strstr(text, "odbcpool_borrows_total{dsn=\"sqlite\"} 3\n"),
                "%s", text);
  ck_assert_msg(strstr(text, "odbcpool_connects_total{dsn=\"sqlite\"} 1\n"),
                "%s", text);
  ck_assert_msg(strstr(text, "odbcpool_closes_total{dsn=\"sqlite\","
                             "reason=\"shutdown\"} 1\n"),
                "%s", text);
  ck_assert_ptr_null(strstr(text, "erika"));
  ck_assert_ptr_null(strstr(text, "s3cret"));
}
END_TEST

static const char *slurp(const char *path);

/* Whether `path` still holds exactly `want`. */
static void assert_file_is(const char *path, const char *want) {
  char got[256] = "";
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
  size_t n = fread(got, 1, sizeof got - 1, f);
  fclose(f);
  got[n] = '\0';
  ck_assert_msg(strcmp(got, want) == 0,
                "%s was overwritten through a planted link: expected \"%s\", "
                "got \"%s\"",
                path, want, got);
}

/* Opens a set whose stats_file is `stats`, borrows once and closes (which
 * writes the file). */
static void write_stats_via_pool(const char *stats) {
  char body[1024];
  snprintf(body, sizeof body, "[defaults]\nstats_file = %s\n\n[sqlite]\n",
           stats);
  odbcpool_set *set = testenv_open(body);
  odbcpool_conn *c = testenv_borrow(set, "sqlite");
  testenv_give_back(set, c);
  odbcpool_close(set);
}

/* Another user who can write the stats directory plants symbolic links
 * where the pool writes (the old temp name was <file>.tmp<pid>, and the
 * file itself): the files they point at (say, the audit key) must stay
 * as they were. A directory such a user may write and that is neither
 * ours nor sticky is refused (as root: a directory given to nobody). */
START_TEST(test_stats_file_never_follows_planted_links) {
  char dir[600], stats[700], planted[760], victim[700], victim2[700];
  snprintf(dir, sizeof dir, "%s/stats", testenv_dir());
  ck_assert_int_eq(mkdir(dir, 0700), 0);
  snprintf(stats, sizeof stats, "%s/now.prom", dir);
  snprintf(victim, sizeof victim, "%s/victim.key", testenv_dir());
  snprintf(victim2, sizeof victim2, "%s/victim2.key", testenv_dir());
  testenv_write("victim.key", "KEY-1\n");
  testenv_write("victim2.key", "KEY-2\n");
  chmod(victim, 0600);
  chmod(victim2, 0600);
  snprintf(planted, sizeof planted, "%s.tmp%ld", stats, (long)getpid());
  ck_assert_int_eq(symlink(victim, planted), 0);
  ck_assert_int_eq(symlink(victim2, stats), 0);
  write_stats_via_pool(stats);
  assert_file_is(victim, "KEY-1\n");
  assert_file_is(victim2, "KEY-2\n");
  struct stat st;
  ck_assert_int_eq(lstat(stats, &st), 0);
  ck_assert_msg(S_ISREG(st.st_mode),
                "%s should be a regular file now (mode %o)", stats,
                (unsigned)st.st_mode);
  const char *text = slurp(stats);
  ck_assert_msg(strstr(text, "odbcpool_borrows_total{dsn=\"sqlite\"} 1\n"),
                "%s", text);

  if (geteuid() != 0) {
    fprintf(stderr, "test_stats_file_never_follows_planted_links: not root: "
                    "the refusal of a directory of another user is not "
                    "tested\n");
    return;
  }
  char shared[600], stats2[700];
  snprintf(shared, sizeof shared, "%s/shared", testenv_dir());
  snprintf(stats2, sizeof stats2, "%s/now.prom", shared);
  ck_assert_int_eq(mkdir(shared, 0777), 0);
  ck_assert_int_eq(chmod(shared, 0777), 0);
  ck_assert_int_eq(chown(shared, 65534, 65534), 0);
  write_stats_via_pool(stats2);
  ck_assert_msg(access(stats2, F_OK) != 0,
                "%s was written in a directory others may write (0777, "
                "owner nobody, not sticky): expected a refusal",
                stats2);
  ck_assert_int_eq(chmod(shared, 01777), 0);
  write_stats_via_pool(stats2);
  ck_assert_msg(access(stats2, F_OK) == 0,
                "%s was not written in a sticky directory", stats2);
}
END_TEST

START_TEST(test_require_encryption_refuses_unknown_driver_without_check) {
  odbcpool_set *set = open_with("require_encryption = yes\n");
  testenv_borrow_fails(set, "sqlite", NULL, ODBCPOOL_EPOLICY, "08004",
                       "set encryption_check");
  odbcpool_stats st = testenv_stats(set, "sqlite");
  ck_assert_uint_eq(st.connects, 0);
  ck_assert_uint_eq(st.open, 0);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_encryption_check_decides_on_the_live_session) {
  /* SQLite has no TLS: a check that says "no" refuses, one that says
   * "yes" admits; both prove the check runs on the new session. */
  odbcpool_set *set = open_with("require_encryption = yes\n"
                                "encryption_check = SELECT 'f'\n");
  testenv_borrow_fails(set, "sqlite", NULL, ODBCPOOL_EPOLICY, "08004", NULL);
  ck_assert_uint_eq(testenv_stats(set, "sqlite").open, 0);
  odbcpool_close(set);
  set = open_with("require_encryption = yes\n"
                  "encryption_check = SELECT 'true'\n");
  odbcpool_conn *c = testenv_borrow(set, "sqlite");
  odbcpool_return(c);
  odbcpool_close(set);
}
END_TEST

/* Reads a whole small file into a static buffer. */
static const char *slurp(const char *path) {
  static char text[65536];
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  return text;
}

START_TEST(test_audit_trail_records_the_pool_events_verifiably) {
  char key[600], log[600], body[2048];
  snprintf(key, sizeof key, "%s/audit.key", testenv_dir());
  snprintf(log, sizeof log, "%s/audit.log", testenv_dir());
  odbcpool_error err;
  ck_assert_int_eq(odbcpool__secret_new_key(key, &err), ODBCPOOL_OK);
  snprintf(body, sizeof body,
           "[audit]\npath = %s\nkey_file = %s\n\n[sqlite]\n"
           "reset_sql = SELECT 1\n",
           log, key);
  odbcpool_set *set = testenv_open(body);
  odbcpool_borrow_opts erika = {
      .uid = "erika.mustermann", .pwd = "Geheim-1964", .purpose = "invoice"};
  odbcpool_borrow_opts wrong = {.uid = "erika.mustermann",
                                .pwd = "Falsch-2000"};
  odbcpool_conn *c = NULL;
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &erika, &c, NULL), 0);
  uint64_t id = odbcpool_conn_id(c);
  testenv_give_back(set, c);
  /* A login the target refuses (here: a database that cannot be opened)
   * is audited as refused. */
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite_missing", &wrong, &c, NULL),
                   ODBCPOOL_ECONNECT);
  odbcpool_close(set);

  const char *text = slurp(log);
  char conn[64];
  snprintf(conn, sizeof conn, "\"conn\":%llu,", (unsigned long long)id);
  const char *const want[] = {
      "\"event\":\"open\"",      "\"event\":\"borrow\"",
      "\"event\":\"return\"",    "\"event\":\"reset_ok\"",
      "\"event\":\"refused\"",   "\"reason\":\"login_failed\"",
      "\"event\":\"close\"",     "\"reason\":\"shutdown\"",
      "\"purpose\":\"invoice\"", "\"pool\":\"sqlite\"",
      "\"principal\":\"",        conn};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    ck_assert_msg(strstr(text, want[i]) != NULL, "no %s in:\n%s", want[i],
                  text);
  /* Never the user name, a password or SQL text. */
  ck_assert_ptr_null(strstr(text, "erika"));
  ck_assert_ptr_null(strstr(text, "Geheim"));
  ck_assert_ptr_null(strstr(text, "Falsch"));
  ck_assert_ptr_null(strstr(text, "SELECT"));
  /* The chain verifies. */
  char *files[] = {log};
  ck_assert_msg(odbcpool__audit_verify(key, files, 1, NULL, NULL, &err) ==
                    ODBCPOOL_OK,
                "%s", err.message);
}
END_TEST

START_TEST(test_no_password_in_anything_the_pool_writes) {
  /* Everything the pool writes: the audit trail, the stats file, the
   * diagnostic log at its most verbose, and the errors it returns. */
  char key[600], log[600], stats[600], errlog[600], body[2048];
  snprintf(key, sizeof key, "%s/audit.key", testenv_dir());
  snprintf(log, sizeof log, "%s/audit.log", testenv_dir());
  snprintf(stats, sizeof stats, "%s/stats.prom", testenv_dir());
  snprintf(errlog, sizeof errlog, "%s/stderr.log", testenv_dir());
  odbcpool_error err;
  ck_assert_int_eq(odbcpool__secret_new_key(key, &err), ODBCPOOL_OK);
  setenv("ODBCPOOL_LOG", "stderr,debug", 1);
  fflush(stderr);
  int saved = dup(2);
  FILE *ef = freopen(errlog, "w", stderr);
  ck_assert_ptr_nonnull(ef);
  snprintf(body, sizeof body,
           "[defaults]\nstats_file = %s\n[audit]\npath = %s\n"
           "key_file = %s\n\n[sqlite]\nreset_sql = SELECT * FROM nothing\n"
           "[sqlite_missing]\n",
           stats, log, key);
  odbcpool_set *set = testenv_open(body);
  const char *pw = "Pw-7f3c9a1e", *wrong = "Pw-0b4d2e88";
  odbcpool_borrow_opts ok = {.uid = "someone", .pwd = pw};
  odbcpool_borrow_opts bad = {.uid = "someone", .pwd = wrong};
  odbcpool_conn *c = NULL;
  char errors[4096] = "";
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &ok, &c, &err), 0);
  odbcpool_return(c); /* the reset fails: logged, audited, closed */
  odbcpool_quiesce(set, 10000);
  odbcpool_conn *held = NULL;
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &ok, &held, &err), 0);
  /* Another password: a real login (SQLite takes any). */
  ck_assert_int_eq(odbcpool_borrow(set, "sqlite", &bad, &c, &err), 0);
  odbcpool_return(c);
  odbcpool_return(held);
  ck_assert_int_ne(odbcpool_borrow(set, "sqlite_missing", &ok, &c, &err), 0);
  strncat(errors, err.message, sizeof errors - strlen(errors) - 1);
  odbcpool_close(set);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  const char *files[] = {log, stats, errlog};
  for (size_t i = 0; i < 3; i++) {
    const char *text = slurp(files[i]);
    ck_assert_msg(strlen(text) > 0, "%s is empty", files[i]);
    ck_assert_msg(strstr(text, pw) == NULL && strstr(text, wrong) == NULL,
                  "a password is in %s:\n%s", files[i], text);
  }
  ck_assert_msg(strstr(slurp(errlog), "reset of connection") != NULL,
                "the log did not record the failed reset");
  ck_assert_ptr_null(strstr(errors, pw));
  ck_assert_ptr_null(strstr(errors, wrong));
}
END_TEST

START_TEST(test_bad_config_does_not_open) {
  const char *path = testenv_write("bad.ini", "[sqlite]\nmax_connections = "
                                              "lots\n");
  odbcpool_set *set = (odbcpool_set *)1;
  odbcpool_error err;
  ck_assert_int_eq(odbcpool_open(path, &set, &err), ODBCPOOL_ECONFIG);
  ck_assert_ptr_null(set);
  ck_assert_msg(strstr(err.message, "bad.ini:2") != NULL, "message: %s",
                err.message);
}
END_TEST

static Suite *pool_suite(void) {
  Suite *s = suite_create("pool");
  TCase *tc = tcase_create("sqlite");
  tcase_add_checked_fixture(tc, testenv_setup, testenv_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_borrowed_connection_runs_queries);
  tcase_add_test(tc, test_return_reuses_the_physical_connection);
  tcase_add_test(tc, test_reset_frees_statements_left_open);
  tcase_add_test(tc, test_reset_rolls_back_open_transaction);
  tcase_add_test(tc, test_reset_rolls_back_transaction_begun_in_sql);
  tcase_add_test(tc, test_reset_script_drops_temp_table_with_personal_datum);
  tcase_add_test(tc, test_prepared_reset_statements_erase_every_time);
  tcase_add_test(tc, test_failing_reset_closes_the_connection);
  tcase_add_test(tc, test_verify_query_residue_closes_the_connection);
  tcase_add_test(tc, test_exhausted_pool_times_out_with_hyt00);
  tcase_add_test(tc, test_borrow_for_a_purpose_not_listed_is_refused);
#if !defined(NDEBUG) && defined(__GLIBC__)
  tcase_add_test_raise_signal(tc, test_lock_contract_is_asserted, SIGABRT);
#endif
  tcase_add_test(tc, test_waiters_are_served_first_come_first_served);
  tcase_add_test(tc, test_connect_failure_reports_the_driver_diagnostics);
  tcase_add_test(tc, test_unknown_dsn_is_im002);
  tcase_add_test(tc, test_idle_connections_are_closed_after_idle_timeout);
  tcase_add_test(tc, test_min_idle_connections_are_kept_open);
  tcase_add_test(tc, test_max_lifetime_retires_connections);
  tcase_add_test(tc, test_connection_held_past_leak_threshold_is_reported);
  tcase_add_test(tc, test_failed_validation_replaces_the_connection);
  tcase_add_test(tc, test_forked_child_never_uses_parent_connections);
  tcase_add_test(tc, test_exit_in_a_forked_child_stops_the_pool_cleanly);
  tcase_add_test(tc, test_many_threads_keep_statistics_consistent);
  tcase_add_test(tc, test_different_credentials_never_share_a_connection);
  tcase_add_test(tc, test_another_password_is_settled_by_a_real_login);
  tcase_add_test(tc, test_password_is_reconfirmed_after_reauth_interval);
  tcase_add_test(tc, test_refused_login_closes_the_passwords_connections);
  tcase_add_test(tc, test_empty_password_is_the_same_as_none);
  tcase_add_test(tc, test_max_connections_bounds_the_dsn_across_keys);
  tcase_add_test(tc, test_preconnect_attributes_are_part_of_the_key);
  tcase_add_test(tc, test_failed_logins_leave_no_pool_behind);
  tcase_add_test(tc, test_stats_file_has_counters_and_no_user_names);
  tcase_add_test(tc, test_stats_file_never_follows_planted_links);
  tcase_add_test(tc,
                 test_require_encryption_refuses_unknown_driver_without_check);
  tcase_add_test(tc, test_encryption_check_decides_on_the_live_session);
  tcase_add_test(tc, test_audit_trail_records_the_pool_events_verifiably);
  tcase_add_test(tc, test_no_password_in_anything_the_pool_writes);
  tcase_add_test(tc, test_bad_config_does_not_open);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  return testenv_run_suite(pool_suite());
}
