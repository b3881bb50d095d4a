/* odbctest.h — small ODBC helpers shared by the programs in drivers-test/
 * (the Check suites and the plain ODBC applications alike): the time,
 * diagnostic records as one line of text, a connect, a query that reads
 * integer columns. Plain ODBC through the driver manager: no Check, no
 * odbcpool library, so that client_auth, client_threads and load_driver
 * stay ordinary ODBC applications. The Check side is pooltest.h. */
#ifndef ODBCPOOL_ODBCTEST_H
#define ODBCPOOL_ODBCTEST_H

#include <stdbool.h>
#include <stddef.h>

#include <sql.h>
#include <sqlext.h>

/* Seconds on the monotonic clock. */
double odbctest_now(void);
/* Sleeps `ms` milliseconds (through signals). */
void odbctest_sleep_ms(long ms);
/* The integer value of environment variable `name`, or `def` when it is
 * unset or empty. */
long odbctest_env_long(const char *name, long def);

/* What odbctest_diag writes besides "[SQLSTATE] message" (flags). */
enum {
  ODBCTEST_DIAG_NATIVE = 1,   /* "[SQLSTATE] (native) message" */
  ODBCTEST_DIAG_NO_DM = 2,    /* the driver manager's "[unixODBC]" left out */
  ODBCTEST_DIAG_SAY_NONE = 4, /* "(no diagnostics)" when there is no record */
};
/* The flags odbctest_diag, odbctest_connect and odbctest_run use; a
 * program sets it once, in main. Default: ODBCTEST_DIAG_SAY_NONE. */
extern unsigned odbctest_diag_flags;

/* Writes every diagnostic record of handle `h` (of `type`) into buf as
 * "[SQLSTATE] message; ..." on one line (newlines and tabs become
 * spaces), and the first SQLSTATE into `state` (6 bytes; may be NULL).
 * Returns the number of records. */
int odbctest_diag(SQLSMALLINT type, SQLHANDLE h, char *state, char *buf,
                  size_t len);

/* An ODBC 3 environment handle, or SQL_NULL_HENV on failure. */
SQLHENV odbctest_alloc_env(void);
/* Connects with connection string `cs` (SQLDriverConnect, no prompt).
 * Returns the handle, or NULL with the diagnostics in why. */
SQLHDBC odbctest_connect(SQLHENV henv, const char *cs, char *why, size_t len);
/* Disconnects and frees `dbc`. */
void odbctest_disconnect(SQLHDBC dbc);

/* Runs `sql` on statement `st`; with n > 0 reads the first n columns of
 * the first row as integers into out (NULL reads as -1). A statement that
 * returns no rows (SQL_NO_DATA) succeeds when n is 0. False on failure,
 * with the first SQLSTATE in `state` (may be NULL) and the diagnostics
 * in why. */
bool odbctest_run(SQLHSTMT st, const char *sql, long *out, int n, char *state,
                  char *why, size_t len);
/* The same on a statement allocated (and freed) on `dbc`. */
bool odbctest_query(SQLHDBC dbc, const char *sql, long *out, int n, char *state,
                    char *why, size_t len);

/* The number of sockets this process has open, or -1 when /proc/self/fd
 * cannot be read. */
int odbctest_count_sockets(void);

/* The pool's stats_file: `pattern` (a stats_file setting) with %p
 * replaced by this process's id, into path. */
void odbctest_stats_path(const char *pattern, char *path, size_t plen);
/* The sum of counter `name` (e.g. "odbcpool_borrows_total") over every
 * DSN's line of the stats_file at `path`; -1 if it cannot be read. */
long odbctest_stats_sum(const char *path, const char *name);

#endif /* ODBCPOOL_ODBCTEST_H */
