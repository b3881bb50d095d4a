/* dm.h — the table through which the project calls the driver manager. */
#ifndef ODBCPOOL_DM_H
#define ODBCPOOL_DM_H

#include <sql.h>
#include <sqlext.h>
#include <sqlucode.h>

#include "odbcapi.h"
#include "odbcpool.h"

/* Every driver manager function the project calls, one pointer per entry
 * of the ODBC API table. Entries are resolved with dlsym on the DM loaded
 * by soname, never by linking, so that the driver module cannot bind a
 * call to itself and a host that loaded the DM RTLD_LOCAL still works
 * (see doc/ARCHITECTURE.md). */
struct odbcpool__dm {
#define ODBCPOOL_DM_FIELD_(kind, name, params, args) SQLRETURN(*name) params;
  ODBCPOOL_ODBC_API(ODBCPOOL_DM_FIELD_)
#undef ODBCPOOL_DM_FIELD_
};

/* Returns the resolved table, loading the DM on first use (thread-safe).
 * Returns NULL and fills err (ODBCPOOL_EDM) if the DM or one of its
 * functions cannot be found. Never calls into the DM itself, so it is
 * safe from inside the DM's global lock. */
const struct odbcpool__dm *odbcpool__dm(odbcpool_error *err);

/* Allocates a statement on `hdbc` through the table. Returns the table
 * with *st set, or NULL with *st = SQL_NULL_HSTMT and err filled (its code
 * ODBCPOOL_EDM, or ODBCPOOL_EODBC with the connection's diagnostics). The
 * caller frees the statement with the table's SQLFreeHandle. */
const struct odbcpool__dm *odbcpool__dm_stmt(SQLHDBC hdbc,
                                             SQLHSTMT *st /* OUT */,
                                             odbcpool_error *err);

#endif /* ODBCPOOL_DM_H */
