/* pooltest.c — Check helpers shared by the fault suites in drivers-test/
 * (see pooltest.h). */
#include "build.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pooltest.h"

const char *pooltest_env(const char *name) {
  const char *v = getenv(name);
  ck_assert_msg(v != NULL && *v != '\0', "%s is not set", name);
  return v;
}

SQLHENV pooltest_direct_env(void) {
  static SQLHENV henv = SQL_NULL_HENV;
  static pid_t owner;
  if (henv == SQL_NULL_HENV || owner != getpid()) {
    henv = odbctest_alloc_env();
    ck_assert_msg(henv != SQL_NULL_HENV, "cannot allocate an ODBC 3 env");
    owner = getpid();
  }
  return henv;
}

bool pooltest_super_try(const char *sql, long *out, char *why, size_t len) {
  SQLHDBC dbc = odbctest_connect(pooltest_direct_env(),
                                 pooltest_env("ODBCPOOL_TEST_SUPER"), why, len);
  if (dbc == NULL)
    return false;
  bool ok = odbctest_query(dbc, sql, out, out != NULL, NULL, why, len);
  odbctest_disconnect(dbc);
  return ok;
}

long pooltest_super_num(const char *sql) {
  long v = -1;
  char why[1024];
  ck_assert_msg(pooltest_super_try(sql, &v, why, sizeof why),
                "superuser: %s: %s", sql, why);
  return v;
}

odbcpool_set *pooltest_open_set(void) {
  odbcpool_set *set = NULL;
  odbcpool_error err;
  int rc = odbcpool_open(pooltest_env("ODBCPOOL_TEST_CONFIG"), &set, &err);
  ck_assert_msg(rc == ODBCPOOL_OK, "odbcpool_open: %s", err.message);
  return set;
}

odbcpool_conn *pooltest_borrow(odbcpool_set *set, const char *dsn) {
  odbcpool_conn *c = NULL;
  odbcpool_error err;
  int rc = odbcpool_borrow(set, dsn, NULL, &c, &err);
  ck_assert_msg(rc == ODBCPOOL_OK, "borrow %s: %s [%s] %s", dsn,
                odbcpool_strerror(rc), err.sqlstate, err.message);
  return c;
}

bool pooltest_query(odbcpool_conn *c, const char *sql, long *out, char *state,
                    char *why, size_t len) {
  SQLHSTMT st;
  if (odbcpool_stmt_alloc(c, &st) != ODBCPOOL_OK) {
    if (state != NULL)
      snprintf(state, 6, "%s", odbcpool_sqlstate(c));
    snprintf(why, len, "stmt_alloc: %s", odbcpool_errmsg(c));
    return false;
  }
  bool ok = odbctest_run(st, sql, out, out != NULL, state, why, len);
  odbcpool_stmt_free(c, st);
  return ok;
}

long pooltest_num(odbcpool_conn *c, const char *sql) {
  long v = -1;
  char why[1024];
  ck_assert_msg(pooltest_query(c, sql, &v, NULL, why, sizeof why), "%s: %s",
                sql, why);
  return v;
}

void pooltest_exec(odbcpool_conn *c, const char *sql) {
  char why[1024];
  ck_assert_msg(pooltest_query(c, sql, NULL, NULL, why, sizeof why), "%s: %s",
                sql, why);
}

odbcpool_conn *pooltest_borrow_new(odbcpool_set *set, const char *dsn,
                                   uint64_t old_id) {
  odbcpool_conn *c = pooltest_borrow(set, dsn);
  ck_assert_uint_ne(odbcpool_conn_id(c), old_id);
  ck_assert_int_eq(pooltest_num(c, "SELECT 1"), 1);
  return c;
}

void pooltest_assert_reset_closed(const odbcpool_stats *before,
                                  const odbcpool_stats *after) {
  ck_assert_uint_eq(after->reset_failures - before->reset_failures, 1);
  ck_assert_uint_eq(after->closes[ODBCPOOL_CLOSE_RESET_FAILED] -
                        before->closes[ODBCPOOL_CLOSE_RESET_FAILED],
                    1);
  ck_assert_uint_eq(after->open, 0);
}

void pooltest_print_stats(const char *prefix, const char *what,
                          const odbcpool_stats *st) {
  printf("%s: %s: open %u idle %u in_use %u resetting %u waiting %u | "
         "borrows %" PRIu64 " timeouts %" PRIu64 " connects %" PRIu64
         " connect_failures %" PRIu64 " resets %" PRIu64
         " reset_failures %" PRIu64 " validations_failed %" PRIu64
         " | closes broken %" PRIu64 " reset_failed %" PRIu64 "\n",
         prefix, what, st->open, st->idle, st->in_use, st->resetting,
         st->waiting, st->borrows, st->timeouts, st->connects,
         st->connect_failures, st->resets, st->reset_failures,
         st->validations_failed, st->closes[ODBCPOOL_CLOSE_BROKEN],
         st->closes[ODBCPOOL_CLOSE_RESET_FAILED]);
  fflush(stdout);
}

odbcpool_stats pooltest_balanced(odbcpool_set *set, const char *dsn,
                                 unsigned max) {
  odbcpool_stats st = testenv_quiesced_stats(set, dsn);
  ck_assert_uint_eq(st.in_use, 0);
  ck_assert_uint_eq(st.waiting, 0);
  ck_assert_uint_eq(st.resetting, 0);
  ck_assert_uint_eq(st.open, st.idle);
  ck_assert_uint_le(st.open, max);
  return st;
}

int pooltest_sockets(void) {
  int n = odbctest_count_sockets();
  ck_assert_msg(n >= 0, "cannot read /proc/self/fd");
  return n;
}

void pooltest_close(odbcpool_set *set, int sockets) {
  odbcpool_close(set);
  ck_assert_eventually(pooltest_sockets() == sockets);
}
