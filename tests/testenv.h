/* testenv.h — shared set-up of the Check tests: a scratch ODBC directory
 * with real SQLite DSNs, pool configs, and small query helpers. */
#ifndef ODBCPOOL_TESTENV_H
#define ODBCPOOL_TESTENV_H

#include <stdbool.h>

#include <check.h>

#include "odbcpool.h"

/* Checked fixture: a scratch dir with DSN "sqlite" (a database file in
 * it) and DSN "sqlite_missing" (a database in a directory that does not
 * exist, so connecting fails). */
void testenv_setup(void);
void testenv_teardown(void);
const char *testenv_dir(void);
/* Adds SQLite DSN `name` on database `db` (relative: in the scratch
 * dir); fails the test on error. */
void testenv_add_sqlite_dsn(const char *name, const char *db);

/* Writes a pool config with `body` and opens it; fails the test on
 * error. */
odbcpool_set *testenv_open(const char *body);
/* Writes `body` as <dir>/<name>; returns the full path (static). */
const char *testenv_write(const char *name, const char *body);

/* Runs `sql` on a tracked statement of `c`; true on success. */
bool testenv_exec(odbcpool_conn *c, const char *sql);
/* Runs `sql` and returns the first column of the first row as a long;
 * `ok` (may be NULL) says whether the query ran and returned a row. */
long testenv_query_long(odbcpool_conn *c, const char *sql, bool *ok);
/* Borrows with default options and fails the test on error. */
odbcpool_conn *testenv_borrow(odbcpool_set *set, const char *dsn);
/* Borrows from `dsn` with `opts` (may be NULL) and checks that it fails
 * with `rc` and hands out no connection; with `sqlstate`, that the error
 * has that SQLSTATE; with `fragment`, that its message contains it.
 * Returns the error. */
odbcpool_error testenv_borrow_fails(odbcpool_set *set, const char *dsn,
                                    const odbcpool_borrow_opts *opts, int rc,
                                    const char *sqlstate, const char *fragment);
/* Returns `c` to `set` and waits until its reset is done (quiesce),
 * failing the test if it is not within 10 s. */
void testenv_give_back(odbcpool_set *set, odbcpool_conn *c);
/* Waits until every reset of `set` is done, failing the test if it is
 * not within 10 s, and returns the statistics of `dsn`. */
odbcpool_stats testenv_quiesced_stats(odbcpool_set *set, const char *dsn);
/* Reads the pool's statistics, failing the test on error. */
odbcpool_stats testenv_stats(odbcpool_set *set, const char *dsn);

/* Runs every test of suite `s` (CK_NORMAL output) and frees it; returns
 * the exit status for main: EXIT_SUCCESS if none failed. */
int testenv_run_suite(Suite *s);

/* Polls `cond` every 10 ms for up to 10 s and fails the test if it never
 * holds: for state that a background thread reaches eventually. */
#define ck_assert_eventually(cond)                                             \
  do {                                                                         \
    bool ok_ = false;                                                          \
    for (int i_ = 0; i_ < 1000 && !(ok_ = (cond)); i_++)                       \
      usleep(10000);                                                           \
    ck_assert_msg(ok_, "never became true within 10 s: %s", #cond);            \
  } while (0)

#endif /* ODBCPOOL_TESTENV_H */
