/* pool_driver.h — the narrow interface between the driver module
 * (src/driver/) and the pool core: everything the driver may call, and
 * nothing more. The pool set and the connection are incomplete types
 * here (odbcpool_set, odbcpool_conn from odbcpool.h); their fields, the
 * set's lock and the lists stay behind pool.h, which src/driver/ never
 * includes (tests/layering.sh checks). Besides these, the driver uses
 * the public API (odbcpool_open, odbcpool_return, odbcpool_hdbc,
 * odbcpool_stmt_alloc, ...) and the DM table (dm.h, odbcapi.h).
 *
 * None of these functions is called with a lock of the pool held, and
 * none returns with one held. */
#ifndef ODBCPOOL_POOL_DRIVER_H
#define ODBCPOOL_POOL_DRIVER_H

#include <stdbool.h>
#include <stddef.h>

#include <sql.h>
#include <sqlext.h>

#include "error.h"
#include "odbcpool.h"

/* A connection attribute that only takes effect when the connection is
 * opened (SQL_ATTR_PACKET_SIZE, SQL_ATTR_ODBC_CURSORS): it is set on the
 * target before its connect, and is part of the pool key. */
struct odbcpool__preattr {
  SQLINTEGER attr;
  SQLULEN value;
};
#define ODBCPOOL_PREATTR_MAX 4

/* What a pool is keyed by: connections made with different values of
 * any field are never mixed. */
struct odbcpool__key {
  const char *dsn;         /* target DSN */
  const char *uid;         /* NULL: the DSN's own */
  const char *pwd;         /* used to connect, then only its verifier is kept */
  const char *extra;       /* further "KEY=value;" attributes for the target */
  bool wide;               /* open with SQLDriverConnectW (see doc/ARCHITECTURE.md) */
  SQLINTEGER odbc_version; /* SQL_OV_ODBC2/3/3_80; 0 means 3.80 */
  SQLUINTEGER login_timeout; /* seconds the application allows a connect
                                (SQL_ATTR_LOGIN_TIMEOUT), 0: no limit */
  const struct odbcpool__preattr *pre; /* npre pre-connect attributes */
  int npre;                            /* at most ODBCPOOL_PREATTR_MAX */
};

/* --- pool_borrow.c -------------------------------------------------- */

/* odbcpool_borrow with a full key. `diag` (may be NULL) receives the
 * target's diagnostic records when the connect fails. Takes set->lock
 * (released while connecting, validating and waiting), env_lock around
 * the lazy allocation of an environment, and the audit trail's lock. */
int odbcpool__borrow(odbcpool_set *s, const struct odbcpool__key *key,
                     const char *purpose, long timeout_ms, odbcpool_conn **out,
                     odbcpool_error *err, struct odbcpool__diag *diag);

/* --- conn.c --------------------------------------------------------- */

/* Notes that the borrower is about to set connection attribute `attr`,
 * so the reset restores it: a listed attribute is marked touched; for
 * another one, its current (integer) value is read and kept, and if it
 * cannot be read the connection is marked to be closed on return. Called
 * by the borrowing thread, before the set. */
void odbcpool__conn_note_attr(odbcpool_conn *c, SQLINTEGER attr);
/* Whether connection attribute `attr` takes effect only when a
 * connection is opened (SQL_ATTR_LOGIN_TIMEOUT, SQL_ATTR_PACKET_SIZE,
 * SQL_ATTR_ODBC_CURSORS): such attributes set before connect are part
 * of the pool key (odbcpool__key.pre), not applied afterwards. */
bool odbcpool__attr_at_open(SQLINTEGER attr);
/* Notes that the borrower is about to run SQL text `sql` (UTF-8, `len`
 * bytes) on `c`, or (sql NULL) to change rows in another way: marks the
 * connection's session state as possibly changed unless the statement
 * provably cannot change it (odbcpool__sql_cannot_touch_session). Called
 * by the borrowing thread. */
void odbcpool__conn_note_sql(odbcpool_conn *c, const char *sql, size_t len);

/* --- pool_driver.c -------------------------------------------------- */

/* Marks borrowed `c` as used through the driver, which notes every
 * attribute the application sets (odbcpool__conn_note_attr): its reset
 * restores only those (and the few SQL text can change), not the whole
 * list. Called by the borrowing thread right after the borrow; no lock. */
void odbcpool__conn_track_attrs(odbcpool_conn *c);
/* Whether the target refused pre-connect attribute `attr` (one of the
 * key's, see odbcpool__key.pre) when `c` was opened. Borrowing thread;
 * no lock (the pool's key does not change while `c` is borrowed). */
bool odbcpool__conn_preattr_failed(const odbcpool_conn *c, SQLINTEGER attr);
/* Whether the text of the statements the borrower runs on `c` still
 * matters to its reset: true while nothing that can change session state
 * has run (odbcpool__conn_note_sql) on a connection whose database lets
 * some statements leave the session clean (SQLite). When false, the
 * driver need not convert the text: odbcpool__conn_note_sql(c, NULL, 0)
 * says the same. Borrowing thread; no lock. */
bool odbcpool__conn_sql_matters(const odbcpool_conn *c);
/* For the driver's exit handler: writes the statistics file of `s` one
 * last time, if one is configured. Takes set->lock, waiting at most
 * `wait_ms` for it (another thread may hold it for ever at exit), and
 * releases it while the file is written (under stats.c's write lock);
 * returns false, having written nothing, if it could not get it. */
bool odbcpool__set_stats_at_exit(odbcpool_set *s, long wait_ms);

#endif /* ODBCPOOL_POOL_DRIVER_H */
