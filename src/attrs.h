/* attrs.h — connection attributes a borrower may change, and their
 * connect-time values. */
#ifndef ODBCPOOL_ATTRS_H
#define ODBCPOOL_ATTRS_H

#include <stdbool.h>

#include <sql.h>
#include <sqlext.h>

#include "odbcpool.h"

#define ODBCPOOL_ATTR_STRLEN 256

/* The attributes restored on return: (name, SQL_ATTR_x, is_string).
 * SQL_ATTR_TRACE/TRACEFILE are in the list because a borrower who turns
 * tracing on would otherwise log the next borrower's statements. */
#define ODBCPOOL_ATTR_LIST(X)                                                  \
  X(TXN_ISOLATION, SQL_ATTR_TXN_ISOLATION, false)                              \
  X(AUTOCOMMIT, SQL_ATTR_AUTOCOMMIT, false)                                    \
  X(ACCESS_MODE, SQL_ATTR_ACCESS_MODE, false)                                  \
  X(CURRENT_CATALOG, SQL_ATTR_CURRENT_CATALOG, true)                           \
  X(LOGIN_TIMEOUT, SQL_ATTR_LOGIN_TIMEOUT, false)                              \
  X(CONNECTION_TIMEOUT, SQL_ATTR_CONNECTION_TIMEOUT, false)                    \
  X(METADATA_ID, SQL_ATTR_METADATA_ID, false)                                  \
  X(ASYNC_ENABLE, SQL_ATTR_ASYNC_ENABLE, false)                                \
  X(TRACE, SQL_ATTR_TRACE, false)                                              \
  X(TRACEFILE, SQL_ATTR_TRACEFILE, true)

enum {
#define X(name, attr, str) ODBCPOOL_ATTR_##name,
  ODBCPOOL_ATTR_LIST(X)
#undef X
      ODBCPOOL_ATTR_COUNT
};

struct odbcpool__attr_value {
  bool supported; /* the driver answered SQLGetConnectAttr at connect */
  SQLULEN num;
  char str[ODBCPOOL_ATTR_STRLEN];
};

struct odbcpool__attrs {
  struct odbcpool__attr_value v[ODBCPOOL_ATTR_COUNT];
};

/* Reads every listed attribute of a freshly connected `hdbc`. Attributes
 * the driver does not report are marked unsupported and left alone
 * later. Never fails. */
void odbcpool__attrs_snapshot(SQLHDBC hdbc, struct odbcpool__attrs *a);

/* Sets back every supported attribute whose bit is set in `mask` and
 * whose current value differs from the snapshot. Returns OK, or EODBC with the
 * driver's diagnostics in err (the caller must then close the connection). */
int odbcpool__attrs_restore(SQLHDBC hdbc, const struct odbcpool__attrs *a,
                            unsigned mask, odbcpool_error *err);

/* Index of SQL_ATTR_x in the list, or -1 if it is not listed. */
int odbcpool__attr_index(SQLINTEGER attr);

#endif /* ODBCPOOL_ATTRS_H */
