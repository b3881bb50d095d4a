/* pooltest.h — Check helpers shared by the fault suites in drivers-test/
 * (check_faults, check_mariadb_faults): the environment the scripts set,
 * direct superuser queries, borrowing and querying through the library
 * API, and the pool's books after a test. Each helper that says "fails
 * the test" does so with ck_assert; the rest report failure in `why`. */
#ifndef ODBCPOOL_POOLTEST_H
#define ODBCPOOL_POOLTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "odbcpool.h"
#include "odbctest.h"
#include "testenv.h"

/* The value of environment variable `name`; fails the test if it is
 * unset or empty. */
const char *pooltest_env(const char *name);
/* The ODBC environment of direct (unpooled) connections: one per test
 * process (Check forks each test). */
SQLHENV pooltest_direct_env(void);

/* Runs `sql` on a fresh direct connection with the connection string in
 * $ODBCPOOL_TEST_SUPER; with `out`, reads the first column of the first
 * row. False (and why) if the connect or the query fails. */
bool pooltest_super_try(const char *sql, long *out, char *why, size_t len);
/* The same returning that number; fails the test on error. */
long pooltest_super_num(const char *sql);

/* Opens the pool set of $ODBCPOOL_TEST_CONFIG; fails the test on
 * error. */
odbcpool_set *pooltest_open_set(void);
/* Borrows from `dsn` with default options; fails the test, with the
 * SQLSTATE, on error. */
odbcpool_conn *pooltest_borrow(odbcpool_set *set, const char *dsn);
/* Runs `sql` on a tracked statement of borrowed `c`; with `out`, reads
 * the first column of the first row (odbctest_run). */
bool pooltest_query(odbcpool_conn *c, const char *sql, long *out, char *state,
                    char *why, size_t len);
/* Runs `sql` on `c` and returns the number it reads; fails the test on
 * error. */
long pooltest_num(odbcpool_conn *c, const char *sql);
/* Runs `sql` on `c`; fails the test on error. */
void pooltest_exec(odbcpool_conn *c, const char *sql);

/* Borrows from `dsn` and checks that the connection is not the one
 * with id `old_id` and works (SELECT 1). */
odbcpool_conn *pooltest_borrow_new(odbcpool_set *set, const char *dsn,
                                   uint64_t old_id);
/* Checks that between stats `before` and `after` exactly one reset
 * failed and closed its connection, and that none is open. */
void pooltest_assert_reset_closed(const odbcpool_stats *before,
                                  const odbcpool_stats *after);

/* Prints the pool's counters as one line "PREFIX: WHAT: open ... ". */
void pooltest_print_stats(const char *prefix, const char *what,
                          const odbcpool_stats *st);
/* Quiesces `set` and checks the books of `dsn`: nothing borrowed,
 * waiting or being reset, every open connection idle, and no more than
 * `max` open. Returns the stats. */
odbcpool_stats pooltest_balanced(odbcpool_set *set, const char *dsn,
                                 unsigned max);
/* The sockets this process has open; fails the test if it cannot tell. */
int pooltest_sockets(void);
/* Closes `set` and waits (up to 10 s) until the process is back to
 * `sockets` sockets: every connection the pool closed really went
 * away. */
void pooltest_close(odbcpool_set *set, int sockets);

#endif /* ODBCPOOL_POOLTEST_H */
