/* scratch.h — a throwaway ODBC setup in a temporary directory, for the
 * demo and the tests: odbcinst.ini, odbc.ini and an embedded SQLite DSN. */
#ifndef ODBCPOOL_SCRATCH_H
#define ODBCPOOL_SCRATCH_H

#include <stddef.h>

#include "odbcpool.h"

struct odbcpool__scratch {
  char dir[512];
};

/* Creates a directory /tmp/<prefix>XXXXXX with an odbcinst.ini that
 * registers the SQLite3 ODBC driver (Threading = 3: sqlite3odbc is not
 * safe under concurrent connects otherwise) and an empty odbc.ini, and
 * points unixODBC at them (ODBCSYSINI, ODBCINI), so neither /etc nor the
 * user's ~/.odbc.ini is used. Must run before the first DM call. */
int odbcpool__scratch_init(struct odbcpool__scratch *s, const char *prefix,
                           odbcpool_error *err);

/* Appends a DSN `name` for the SQLite database file `db` (relative to the
 * scratch dir unless absolute) to odbc.ini. */
int odbcpool__scratch_add_sqlite_dsn(struct odbcpool__scratch *s,
                                     const char *name, const char *db,
                                     odbcpool_error *err);

/* Writes `content` to <dir>/<name> (mode 0600) and stores the full path
 * in path (may be NULL). */
int odbcpool__scratch_write(struct odbcpool__scratch *s, const char *name,
                            const char *content, char *path, size_t pathlen,
                            odbcpool_error *err);

/* Removes the directory and everything in it. */
void odbcpool__scratch_remove(struct odbcpool__scratch *s);

/* The SQLite3 ODBC driver module: $SQLITE_ODBC, else the one configure
 * found, else odbcinst's registered "SQLite3" driver. NULL if none. */
const char *odbcpool__sqlite_driver(char *buf, size_t len);

/* Registers the odbcpool driver module (as "ODBCPool", Threading = 0)
 * and adds DSN `name` behind it with TargetDSN `target` and PoolConfig
 * `config`. The module: $ODBCPOOL_DRIVER, else the build tree's, else
 * the installed one. ENOTFOUND if there is none. */
int odbcpool__scratch_add_pool_dsn(struct odbcpool__scratch *s,
                                   const char *name, const char *target,
                                   const char *config, odbcpool_error *err);

/* Finds a shipped data file (e.g. "reset/sqlite.sql"): under
 * $ODBCPOOL_DATADIR, the installed data dir, then the source tree.
 * Returns buf, or NULL if it exists nowhere. */
const char *odbcpool__data_file(const char *rel, char *buf, size_t len);

#endif /* ODBCPOOL_SCRATCH_H */
