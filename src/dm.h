/* dm.h — the table through which the project calls the driver manager. */
#ifndef ODBCPOOL_DM_H
#define ODBCPOOL_DM_H

#include <sql.h>
#include <sqlext.h>
#include <sqlucode.h>

#include "odbcpool.h"

/* Every driver manager function the core uses: (return, name, params).
 * Entries are resolved with dlsym on the DM loaded by soname, never by
 * linking, so that the driver module cannot bind a call to itself and a
 * host that loaded the DM RTLD_LOCAL still works (see DESIGN.md). */
#define ODBCPOOL_DM_FUNCS(X)                                                  \
  X(SQLRETURN, SQLAllocHandle,                                                \
    (SQLSMALLINT, SQLHANDLE, SQLHANDLE *))                                    \
  X(SQLRETURN, SQLFreeHandle, (SQLSMALLINT, SQLHANDLE))                       \
  X(SQLRETURN, SQLSetEnvAttr, (SQLHENV, SQLINTEGER, SQLPOINTER, SQLINTEGER))  \
  X(SQLRETURN, SQLDriverConnect,                                              \
    (SQLHDBC, SQLHWND, SQLCHAR *, SQLSMALLINT, SQLCHAR *, SQLSMALLINT,        \
     SQLSMALLINT *, SQLUSMALLINT))                                            \
  X(SQLRETURN, SQLDisconnect, (SQLHDBC))                                      \
  X(SQLRETURN, SQLGetDiagRec,                                                 \
    (SQLSMALLINT, SQLHANDLE, SQLSMALLINT, SQLCHAR *, SQLINTEGER *,            \
     SQLCHAR *, SQLSMALLINT, SQLSMALLINT *))                                  \
  X(SQLRETURN, SQLSetConnectAttr,                                             \
    (SQLHDBC, SQLINTEGER, SQLPOINTER, SQLINTEGER))                            \
  X(SQLRETURN, SQLGetConnectAttr,                                             \
    (SQLHDBC, SQLINTEGER, SQLPOINTER, SQLINTEGER, SQLINTEGER *))              \
  X(SQLRETURN, SQLEndTran, (SQLSMALLINT, SQLHANDLE, SQLSMALLINT))             \
  X(SQLRETURN, SQLExecDirect, (SQLHSTMT, SQLCHAR *, SQLINTEGER))              \
  X(SQLRETURN, SQLFetch, (SQLHSTMT))                                          \
  X(SQLRETURN, SQLMoreResults, (SQLHSTMT))                                    \
  X(SQLRETURN, SQLNumResultCols, (SQLHSTMT, SQLSMALLINT *))                   \
  X(SQLRETURN, SQLGetData,                                                    \
    (SQLHSTMT, SQLUSMALLINT, SQLSMALLINT, SQLPOINTER, SQLLEN, SQLLEN *))      \
  X(SQLRETURN, SQLFreeStmt, (SQLHSTMT, SQLUSMALLINT))                         \
  X(SQLRETURN, SQLCancel, (SQLHSTMT))                                         \
  X(SQLRETURN, SQLGetInfo,                                                    \
    (SQLHDBC, SQLUSMALLINT, SQLPOINTER, SQLSMALLINT, SQLSMALLINT *))

struct odbcpool__dm {
#define ODBCPOOL_DM_FIELD_(ret, name, params) ret(*name) params;
  ODBCPOOL_DM_FUNCS(ODBCPOOL_DM_FIELD_)
#undef ODBCPOOL_DM_FIELD_
};

/* Returns the resolved table, loading the DM on first use (thread-safe).
 * Returns NULL and fills err (ODBCPOOL_EDM) if the DM or one of its
 * functions cannot be found. Never calls into the DM itself, so it is
 * safe from inside the DM's global lock. */
const struct odbcpool__dm *odbcpool__dm(odbcpool_error *err);

#endif /* ODBCPOOL_DM_H */
