/* testenv.c — shared set-up of the Check tests. */
#include "build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sql.h>
#include <sqlext.h>

#include "scratch.h"
#include "testenv.h"

static struct odbcpool__scratch scratch;

void testenv_setup(void) {
  odbcpool_error err;
  ck_assert_msg(odbcpool__scratch_init(&scratch, "odbcpool-test-", &err) ==
                    ODBCPOOL_OK,
                "scratch: %s", err.message);
  ck_assert_int_eq(
      odbcpool__scratch_add_sqlite_dsn(&scratch, "sqlite", "t.db", &err), 0);
  ck_assert_int_eq(
      odbcpool__scratch_add_sqlite_dsn(&scratch, "sqlite_missing",
                                       "/nonexistent-odbcpool-dir/x.db", &err),
      0);
}

void testenv_teardown(void) {
  odbcpool__scratch_remove(&scratch);
}

const char *testenv_dir(void) {
  return scratch.dir;
}

void testenv_add_sqlite_dsn(const char *name, const char *db) {
  odbcpool_error err;
  ck_assert_msg(odbcpool__scratch_add_sqlite_dsn(&scratch, name, db, &err) ==
                    ODBCPOOL_OK,
                "%s", err.message);
}

const char *testenv_write(const char *name, const char *body) {
  static char path[640];
  odbcpool_error err;
  ck_assert_msg(odbcpool__scratch_write(&scratch, name, body, path, sizeof path,
                                        &err) == ODBCPOOL_OK,
                "%s", err.message);
  return path;
}

odbcpool_set *testenv_open(const char *body) {
  const char *path = testenv_write("pool.ini", body);
  odbcpool_set *set = NULL;
  odbcpool_error err;
  int rc = odbcpool_open(path, &set, &err);
  ck_assert_msg(rc == ODBCPOOL_OK, "odbcpool_open: %s", err.message);
  return set;
}

bool testenv_exec(odbcpool_conn *c, const char *sql) {
  SQLHSTMT st;
  if (odbcpool_stmt_alloc(c, &st) != ODBCPOOL_OK)
    return false;
  SQLRETURN rc = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
  odbcpool_stmt_free(c, st);
  return SQL_SUCCEEDED(rc) || rc == SQL_NO_DATA;
}

long testenv_query_long(odbcpool_conn *c, const char *sql, bool *ok) {
  SQLHSTMT st;
  long value = -1;
  bool good = false;
  if (odbcpool_stmt_alloc(c, &st) == ODBCPOOL_OK) {
    SQLINTEGER v = 0;
    SQLLEN ind = 0;
    if (SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS)) &&
        SQL_SUCCEEDED(SQLFetch(st)) &&
        SQL_SUCCEEDED(SQLGetData(st, 1, SQL_C_SLONG, &v, 0, &ind))) {
      value = ind == SQL_NULL_DATA ? 0 : v;
      good = true;
    }
    odbcpool_stmt_free(c, st);
  }
  if (ok != NULL)
    *ok = good;
  return value;
}

odbcpool_conn *testenv_borrow(odbcpool_set *set, const char *dsn) {
  odbcpool_conn *c = NULL;
  odbcpool_error err;
  int rc = odbcpool_borrow(set, dsn, NULL, &c, &err);
  ck_assert_msg(rc == ODBCPOOL_OK, "borrow %s: %s", dsn, err.message);
  return c;
}

odbcpool_error testenv_borrow_fails(odbcpool_set *set, const char *dsn,
                                    const odbcpool_borrow_opts *opts, int rc,
                                    const char *sqlstate,
                                    const char *fragment) {
  odbcpool_conn *c = (odbcpool_conn *)&c; /* must be set to NULL */
  odbcpool_error err;
  int got = odbcpool_borrow(set, dsn, opts, &c, &err);
  ck_assert_msg(got == rc, "borrow %s: expected %s, got %s [%s] %s", dsn,
                odbcpool_strerror(rc), odbcpool_strerror(got), err.sqlstate,
                err.message);
  ck_assert_ptr_null(c);
  if (sqlstate != NULL)
    ck_assert_str_eq(err.sqlstate, sqlstate);
  if (fragment != NULL)
    ck_assert_msg(strstr(err.message, fragment) != NULL,
                  "borrow %s: '%s' not in the message: %s", dsn, fragment,
                  err.message);
  return err;
}

void testenv_give_back(odbcpool_set *set, odbcpool_conn *c) {
  odbcpool_return(c);
  ck_assert_int_eq(odbcpool_quiesce(set, 10000), ODBCPOOL_OK);
}

odbcpool_stats testenv_quiesced_stats(odbcpool_set *set, const char *dsn) {
  ck_assert_int_eq(odbcpool_quiesce(set, 10000), ODBCPOOL_OK);
  return testenv_stats(set, dsn);
}

odbcpool_stats testenv_stats(odbcpool_set *set, const char *dsn) {
  odbcpool_stats st;
  odbcpool_error err;
  int rc = odbcpool_stats_get(set, dsn, &st, &err);
  ck_assert_msg(rc == ODBCPOOL_OK, "stats %s: %s", dsn, err.message);
  return st;
}

int testenv_run_suite(Suite *s) {
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
