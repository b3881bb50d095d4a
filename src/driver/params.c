/* params.c — SQLBindParameter, and the ODBC 1/2 parameter calls the
 * driver manager maps onto it. */
#include "build.h"

#include "driver.h"

/* An ODBC 2 application's SQLSetParam reaches the driver, when the driver
 * manager does not call the driver's SQLSetParam, as SQLBindParameter
 * with InputOutputType SQL_PARAM_INPUT_OUTPUT and BufferLength
 * SQL_SETPARAM_VALUE_MAX (-1); ODBC 3's SQLBindParam likewise with
 * SQL_PARAM_INPUT. Passed on as they are, the driver manager's public
 * SQLBindParameter refuses that length for character and binary C types
 * (HY090), which only a driver may be given. So such a binding goes to
 * the target as the call the application made: SQLSetParam (or
 * SQLBindParam) on the target handle, which the target's driver manager
 * maps for the target driver as it would without odbcpool. An
 * application cannot pass -1 itself: the driver manager refuses it
 * before it reaches the driver. */
DRV_EXPORT SQLRETURN SQL_API SQLBindParameter(
    SQLHSTMT h, SQLUSMALLINT number, SQLSMALLINT io_type, SQLSMALLINT c_type,
    SQLSMALLINT sql_type, SQLULEN size, SQLSMALLINT digits, SQLPOINTER value,
    SQLLEN buflen, SQLLEN *ind) {
  struct drv_stmt *s = drv_stmt_enter(h);
  if (s == NULL)
    return SQL_INVALID_HANDLE;
  if (buflen == SQL_SETPARAM_VALUE_MAX) {
    if (io_type == SQL_PARAM_INPUT_OUTPUT)
      return drv_dm->SQLSetParam(s->target, number, c_type, sql_type, size,
                                 digits, value, ind);
    if (io_type == SQL_PARAM_INPUT)
      return drv_dm->SQLBindParam(s->target, number, c_type, sql_type, size,
                                  digits, value, ind);
  }
  return drv_dm->SQLBindParameter(s->target, number, io_type, c_type, sql_type,
                                  size, digits, value, buflen, ind);
}

DRV_LTX(SQLBindParameter);
