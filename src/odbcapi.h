/* odbcapi.h — the ODBC API as one table: every function a driver can
 * export (sql.h, sqlext.h, sqlucode.h; ANSI and W; ODBC 3 and ODBC 1/2),
 * with its signature.
 *
 * X(kind, name, (parameters), (call arguments)). The table generates both
 * the driver manager function table (src/dm.h) and the driver module's
 * forwarders (src/driver/forward.c). kind says how the driver handles a
 * call: STMT, DBC and DESC calls are forwarded to the borrowed target
 * handle, named T in the arguments; SPECIAL ones are written by hand in
 * src/driver/; DMONLY ones (SQLDataSources, SQLDrivers) only a driver
 * manager implements: the driver exports them because unixODBC looks
 * them up, and answers IM001 (src/driver/forward.c).
 *
 * The ODBC 1/2 functions (SQLError, SQLTransact, SQLColAttributes,
 * SQLAllocStmt, ...) are listed too and forwarded as themselves, to the
 * target's driver manager, which maps them for the target driver exactly
 * as it would for the application without odbcpool. Were they left out,
 * the application's driver manager would map them onto odbcpool's ODBC 3
 * entry points instead, and some drivers answer the two differently
 * (sqlite3odbc: SQLColAttributes(SQL_COLUMN_TYPE) against
 * SQLColAttribute(SQL_DESC_CONCISE_TYPE)); every name unixODBC looks up
 * and does not find also costs it a failed lookup on every connect.
 * SQLSetParam and SQLBindParam: see src/driver/params.c.
 * Generated once from unixODBC 2.3.11's headers; kept by hand since. */
#ifndef ODBCPOOL_ODBCAPI_H
#define ODBCPOOL_ODBCAPI_H

#include <sql.h>
#include <sqlext.h>
#include <sqlucode.h>

#define ODBCPOOL_ODBC_API(X)                                                  \
  X(STMT, SQLBindCol, (SQLHSTMT h, SQLUSMALLINT a1, SQLSMALLINT a2,           \
      SQLPOINTER a3, SQLLEN a4, SQLLEN * a5), (T, a1, a2, a3, a4, a5))        \
  X(SPECIAL, SQLBindParameter, (SQLHSTMT a0, SQLUSMALLINT a1, SQLSMALLINT   \
      a2, SQLSMALLINT a3, SQLSMALLINT a4, SQLULEN a5, SQLSMALLINT a6,         \
      SQLPOINTER a7, SQLLEN a8, SQLLEN * a9), (a0, a1, a2, a3, a4, a5, a6,    \
      a7, a8, a9))                                                            \
  X(STMT, SQLBindParam, (SQLHSTMT h, SQLUSMALLINT a1, SQLSMALLINT a2,         \
      SQLSMALLINT a3, SQLULEN a4, SQLSMALLINT a5, SQLPOINTER a6, SQLLEN *     \
      a7), (T, a1, a2, a3, a4, a5, a6, a7))                                   \
  X(STMT, SQLSetParam, (SQLHSTMT h, SQLUSMALLINT a1, SQLSMALLINT a2,          \
      SQLSMALLINT a3, SQLULEN a4, SQLSMALLINT a5, SQLPOINTER a6, SQLLEN *     \
      a7), (T, a1, a2, a3, a4, a5, a6, a7))                                   \
  X(STMT_DIRTY, SQLBulkOperations, (SQLHSTMT h, SQLSMALLINT a1), (T, a1))           \
  X(STMT, SQLCancel, (SQLHSTMT h), (T))                                       \
  X(STMT, SQLCloseCursor, (SQLHSTMT h), (T))                                  \
  X(STMT, SQLColAttribute, (SQLHSTMT h, SQLUSMALLINT a1, SQLUSMALLINT a2,     \
      SQLPOINTER a3, SQLSMALLINT a4, SQLSMALLINT * a5, SQLLEN * a6), (T, a1,  \
      a2, a3, a4, a5, a6))                                                    \
  X(STMT, SQLColAttributeW, (SQLHSTMT h, SQLUSMALLINT a1, SQLUSMALLINT a2,    \
      SQLPOINTER a3, SQLSMALLINT a4, SQLSMALLINT * a5, SQLLEN * a6), (T, a1,  \
      a2, a3, a4, a5, a6))                                                    \
  X(STMT, SQLColumnPrivileges, (SQLHSTMT h, SQLCHAR * a1, SQLSMALLINT a2,     \
      SQLCHAR * a3, SQLSMALLINT a4, SQLCHAR * a5, SQLSMALLINT a6, SQLCHAR *   \
      a7, SQLSMALLINT a8), (T, a1, a2, a3, a4, a5, a6, a7, a8))               \
  X(STMT, SQLColumnPrivilegesW, (SQLHSTMT h, SQLWCHAR * a1, SQLSMALLINT a2,   \
      SQLWCHAR * a3, SQLSMALLINT a4, SQLWCHAR * a5, SQLSMALLINT a6, SQLWCHAR  \
      * a7, SQLSMALLINT a8), (T, a1, a2, a3, a4, a5, a6, a7, a8))             \
  X(STMT, SQLColumns, (SQLHSTMT h, SQLCHAR * a1, SQLSMALLINT a2, SQLCHAR *    \
      a3, SQLSMALLINT a4, SQLCHAR * a5, SQLSMALLINT a6, SQLCHAR * a7,         \
      SQLSMALLINT a8), (T, a1, a2, a3, a4, a5, a6, a7, a8))                   \
  X(STMT, SQLColumnsW, (SQLHSTMT h, SQLWCHAR * a1, SQLSMALLINT a2, SQLWCHAR   \
      * a3, SQLSMALLINT a4, SQLWCHAR * a5, SQLSMALLINT a6, SQLWCHAR * a7,     \
      SQLSMALLINT a8), (T, a1, a2, a3, a4, a5, a6, a7, a8))                   \
  X(STMT, SQLDescribeCol, (SQLHSTMT h, SQLUSMALLINT a1, SQLCHAR * a2,         \
      SQLSMALLINT a3, SQLSMALLINT * a4, SQLSMALLINT * a5, SQLULEN * a6,       \
      SQLSMALLINT * a7, SQLSMALLINT * a8), (T, a1, a2, a3, a4, a5, a6, a7,    \
      a8))                                                                    \
  X(STMT, SQLDescribeColW, (SQLHSTMT h, SQLUSMALLINT a1, SQLWCHAR * a2,       \
      SQLSMALLINT a3, SQLSMALLINT * a4, SQLSMALLINT * a5, SQLULEN * a6,       \
      SQLSMALLINT * a7, SQLSMALLINT * a8), (T, a1, a2, a3, a4, a5, a6, a7,    \
      a8))                                                                    \
  X(STMT, SQLDescribeParam, (SQLHSTMT h, SQLUSMALLINT a1, SQLSMALLINT * a2,   \
      SQLULEN * a3, SQLSMALLINT * a4, SQLSMALLINT * a5), (T, a1, a2, a3, a4,  \
      a5))                                                                    \
  X(STMT_SQL, SQLExecDirect, (SQLHSTMT h, SQLCHAR * a1, SQLINTEGER a2), (T, a1,   \
      a2))                                                                    \
  X(STMT_SQL, SQLExecDirectW, (SQLHSTMT h, SQLWCHAR * a1, SQLINTEGER a2), (T,     \
      a1, a2))                                                                \
  X(STMT, SQLExecute, (SQLHSTMT h), (T))                                      \
  X(STMT, SQLExtendedFetch, (SQLHSTMT h, SQLUSMALLINT a1, SQLLEN a2, SQLULEN  \
      * a3, SQLUSMALLINT * a4), (T, a1, a2, a3, a4))                          \
  X(STMT, SQLFetch, (SQLHSTMT h), (T))                                        \
  X(STMT, SQLFetchScroll, (SQLHSTMT h, SQLSMALLINT a1, SQLLEN a2), (T, a1,    \
      a2))                                                                    \
  X(STMT, SQLForeignKeys, (SQLHSTMT h, SQLCHAR * a1, SQLSMALLINT a2, SQLCHAR  \
      * a3, SQLSMALLINT a4, SQLCHAR * a5, SQLSMALLINT a6, SQLCHAR * a7,       \
      SQLSMALLINT a8, SQLCHAR * a9, SQLSMALLINT a10, SQLCHAR * a11,           \
      SQLSMALLINT a12), (T, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11,     \
      a12))                                                                   \
  X(STMT, SQLForeignKeysW, (SQLHSTMT h, SQLWCHAR * a1, SQLSMALLINT a2,        \
      SQLWCHAR * a3, SQLSMALLINT a4, SQLWCHAR * a5, SQLSMALLINT a6, SQLWCHAR  \
      * a7, SQLSMALLINT a8, SQLWCHAR * a9, SQLSMALLINT a10, SQLWCHAR * a11,   \
      SQLSMALLINT a12), (T, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11,     \
      a12))                                                                   \
  X(STMT, SQLGetCursorName, (SQLHSTMT h, SQLCHAR * a1, SQLSMALLINT a2,        \
      SQLSMALLINT * a3), (T, a1, a2, a3))                                     \
  X(STMT, SQLGetCursorNameW, (SQLHSTMT h, SQLWCHAR * a1, SQLSMALLINT a2,      \
      SQLSMALLINT * a3), (T, a1, a2, a3))                                     \
  X(STMT, SQLGetData, (SQLHSTMT h, SQLUSMALLINT a1, SQLSMALLINT a2,           \
      SQLPOINTER a3, SQLLEN a4, SQLLEN * a5), (T, a1, a2, a3, a4, a5))        \
  X(STMT, SQLGetTypeInfo, (SQLHSTMT h, SQLSMALLINT a1), (T, a1))              \
  X(STMT, SQLGetTypeInfoW, (SQLHSTMT h, SQLSMALLINT a1), (T, a1))             \
  X(STMT, SQLMoreResults, (SQLHSTMT h), (T))                                  \
  X(STMT, SQLNumParams, (SQLHSTMT h, SQLSMALLINT * a1), (T, a1))              \
  X(STMT, SQLNumResultCols, (SQLHSTMT h, SQLSMALLINT * a1), (T, a1))          \
  X(STMT, SQLParamData, (SQLHSTMT h, SQLPOINTER * a1), (T, a1))               \
  X(STMT_SQL, SQLPrepare, (SQLHSTMT h, SQLCHAR * a1, SQLINTEGER a2), (T, a1,      \
      a2))                                                                    \
  X(STMT_SQL, SQLPrepareW, (SQLHSTMT h, SQLWCHAR * a1, SQLINTEGER a2), (T, a1,    \
      a2))                                                                    \
  X(STMT, SQLPrimaryKeys, (SQLHSTMT h, SQLCHAR * a1, SQLSMALLINT a2, SQLCHAR  \
      * a3, SQLSMALLINT a4, SQLCHAR * a5, SQLSMALLINT a6), (T, a1, a2, a3,    \
      a4, a5, a6))                                                            \
  X(STMT, SQLPrimaryKeysW, (SQLHSTMT h, SQLWCHAR * a1, SQLSMALLINT a2,        \
      SQLWCHAR * a3, SQLSMALLINT a4, SQLWCHAR * a5, SQLSMALLINT a6), (T, a1,  \
      a2, a3, a4, a5, a6))                                                    \
  X(STMT, SQLProcedureColumns, (SQLHSTMT h, SQLCHAR * a1, SQLSMALLINT a2,     \
      SQLCHAR * a3, SQLSMALLINT a4, SQLCHAR * a5, SQLSMALLINT a6, SQLCHAR *   \
      a7, SQLSMALLINT a8), (T, a1, a2, a3, a4, a5, a6, a7, a8))               \
  X(STMT, SQLProcedureColumnsW, (SQLHSTMT h, SQLWCHAR * a1, SQLSMALLINT a2,   \
      SQLWCHAR * a3, SQLSMALLINT a4, SQLWCHAR * a5, SQLSMALLINT a6, SQLWCHAR  \
      * a7, SQLSMALLINT a8), (T, a1, a2, a3, a4, a5, a6, a7, a8))             \
  X(STMT, SQLProcedures, (SQLHSTMT h, SQLCHAR * a1, SQLSMALLINT a2, SQLCHAR   \
      * a3, SQLSMALLINT a4, SQLCHAR * a5, SQLSMALLINT a6), (T, a1, a2, a3,    \
      a4, a5, a6))                                                            \
  X(STMT, SQLProceduresW, (SQLHSTMT h, SQLWCHAR * a1, SQLSMALLINT a2,         \
      SQLWCHAR * a3, SQLSMALLINT a4, SQLWCHAR * a5, SQLSMALLINT a6), (T, a1,  \
      a2, a3, a4, a5, a6))                                                    \
  X(STMT, SQLPutData, (SQLHSTMT h, SQLPOINTER a1, SQLLEN a2), (T, a1, a2))    \
  X(STMT, SQLRowCount, (SQLHSTMT h, SQLLEN * a1), (T, a1))                    \
  X(STMT, SQLSetCursorName, (SQLHSTMT h, SQLCHAR * a1, SQLSMALLINT a2), (T,   \
      a1, a2))                                                                \
  X(STMT, SQLSetCursorNameW, (SQLHSTMT h, SQLWCHAR * a1, SQLSMALLINT a2),     \
      (T, a1, a2))                                                            \
  X(STMT_DIRTY, SQLSetPos, (SQLHSTMT h, SQLSETPOSIROW a1, SQLUSMALLINT a2,          \
      SQLUSMALLINT a3), (T, a1, a2, a3))                                      \
  X(STMT, SQLSpecialColumns, (SQLHSTMT h, SQLUSMALLINT a1, SQLCHAR * a2,      \
      SQLSMALLINT a3, SQLCHAR * a4, SQLSMALLINT a5, SQLCHAR * a6,             \
      SQLSMALLINT a7, SQLUSMALLINT a8, SQLUSMALLINT a9), (T, a1, a2, a3, a4,  \
      a5, a6, a7, a8, a9))                                                    \
  X(STMT, SQLSpecialColumnsW, (SQLHSTMT h, SQLUSMALLINT a1, SQLWCHAR * a2,    \
      SQLSMALLINT a3, SQLWCHAR * a4, SQLSMALLINT a5, SQLWCHAR * a6,           \
      SQLSMALLINT a7, SQLUSMALLINT a8, SQLUSMALLINT a9), (T, a1, a2, a3, a4,  \
      a5, a6, a7, a8, a9))                                                    \
  X(STMT, SQLStatistics, (SQLHSTMT h, SQLCHAR * a1, SQLSMALLINT a2, SQLCHAR   \
      * a3, SQLSMALLINT a4, SQLCHAR * a5, SQLSMALLINT a6, SQLUSMALLINT a7,    \
      SQLUSMALLINT a8), (T, a1, a2, a3, a4, a5, a6, a7, a8))                  \
  X(STMT, SQLStatisticsW, (SQLHSTMT h, SQLWCHAR * a1, SQLSMALLINT a2,         \
      SQLWCHAR * a3, SQLSMALLINT a4, SQLWCHAR * a5, SQLSMALLINT a6,           \
      SQLUSMALLINT a7, SQLUSMALLINT a8), (T, a1, a2, a3, a4, a5, a6, a7,      \
      a8))                                                                    \
  X(STMT, SQLTablePrivileges, (SQLHSTMT h, SQLCHAR * a1, SQLSMALLINT a2,      \
      SQLCHAR * a3, SQLSMALLINT a4, SQLCHAR * a5, SQLSMALLINT a6), (T, a1,    \
      a2, a3, a4, a5, a6))                                                    \
  X(STMT, SQLTablePrivilegesW, (SQLHSTMT h, SQLWCHAR * a1, SQLSMALLINT a2,    \
      SQLWCHAR * a3, SQLSMALLINT a4, SQLWCHAR * a5, SQLSMALLINT a6), (T, a1,  \
      a2, a3, a4, a5, a6))                                                    \
  X(STMT, SQLTables, (SQLHSTMT h, SQLCHAR * a1, SQLSMALLINT a2, SQLCHAR *     \
      a3, SQLSMALLINT a4, SQLCHAR * a5, SQLSMALLINT a6, SQLCHAR * a7,         \
      SQLSMALLINT a8), (T, a1, a2, a3, a4, a5, a6, a7, a8))                   \
  X(STMT, SQLTablesW, (SQLHSTMT h, SQLWCHAR * a1, SQLSMALLINT a2, SQLWCHAR *  \
      a3, SQLSMALLINT a4, SQLWCHAR * a5, SQLSMALLINT a6, SQLWCHAR * a7,       \
      SQLSMALLINT a8), (T, a1, a2, a3, a4, a5, a6, a7, a8))                   \
  X(DBC, SQLGetInfo, (SQLHDBC h, SQLUSMALLINT a1, SQLPOINTER a2, SQLSMALLINT  \
      a3, SQLSMALLINT * a4), (T, a1, a2, a3, a4))                             \
  X(DBC, SQLGetInfoW, (SQLHDBC h, SQLUSMALLINT a1, SQLPOINTER a2,             \
      SQLSMALLINT a3, SQLSMALLINT * a4), (T, a1, a2, a3, a4))                 \
  X(DBC, SQLNativeSql, (SQLHDBC h, SQLCHAR * a1, SQLINTEGER a2, SQLCHAR *     \
      a3, SQLINTEGER a4, SQLINTEGER * a5), (T, a1, a2, a3, a4, a5))           \
  X(DBC, SQLNativeSqlW, (SQLHDBC h, SQLWCHAR * a1, SQLINTEGER a2, SQLWCHAR *  \
      a3, SQLINTEGER a4, SQLINTEGER * a5), (T, a1, a2, a3, a4, a5))           \
  X(DESC, SQLGetDescField, (SQLHDESC h, SQLSMALLINT a1, SQLSMALLINT a2,       \
      SQLPOINTER a3, SQLINTEGER a4, SQLINTEGER * a5), (T, a1, a2, a3, a4,     \
      a5))                                                                    \
  X(DESC, SQLGetDescFieldW, (SQLHDESC h, SQLSMALLINT a1, SQLSMALLINT a2,      \
      SQLPOINTER a3, SQLINTEGER a4, SQLINTEGER * a5), (T, a1, a2, a3, a4,     \
      a5))                                                                    \
  X(DESC, SQLGetDescRec, (SQLHDESC h, SQLSMALLINT a1, SQLCHAR * a2,           \
      SQLSMALLINT a3, SQLSMALLINT * a4, SQLSMALLINT * a5, SQLSMALLINT * a6,   \
      SQLLEN * a7, SQLSMALLINT * a8, SQLSMALLINT * a9, SQLSMALLINT * a10),    \
      (T, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10))                           \
  X(DESC, SQLGetDescRecW, (SQLHDESC h, SQLSMALLINT a1, SQLWCHAR * a2,         \
      SQLSMALLINT a3, SQLSMALLINT * a4, SQLSMALLINT * a5, SQLSMALLINT * a6,   \
      SQLLEN * a7, SQLSMALLINT * a8, SQLSMALLINT * a9, SQLSMALLINT * a10),    \
      (T, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10))                           \
  X(DESC, SQLSetDescField, (SQLHDESC h, SQLSMALLINT a1, SQLSMALLINT a2,       \
      SQLPOINTER a3, SQLINTEGER a4), (T, a1, a2, a3, a4))                     \
  X(DESC, SQLSetDescFieldW, (SQLHDESC h, SQLSMALLINT a1, SQLSMALLINT a2,      \
      SQLPOINTER a3, SQLINTEGER a4), (T, a1, a2, a3, a4))                     \
  X(DESC, SQLSetDescRec, (SQLHDESC h, SQLSMALLINT a1, SQLSMALLINT a2,         \
      SQLSMALLINT a3, SQLLEN a4, SQLSMALLINT a5, SQLSMALLINT a6, SQLPOINTER   \
      a7, SQLLEN * a8, SQLLEN * a9), (T, a1, a2, a3, a4, a5, a6, a7, a8,      \
      a9))                                                                    \
  X(SPECIAL, SQLAllocHandle, (SQLSMALLINT a1, SQLHANDLE a2, SQLHANDLE * a3),  \
      (a1, a2, a3))                                                           \
  X(SPECIAL, SQLFreeHandle, (SQLSMALLINT a1, SQLHANDLE a2), (a1, a2))         \
  X(SPECIAL, SQLFreeStmt, (SQLHSTMT a1, SQLUSMALLINT a2), (a1, a2))           \
  X(SPECIAL, SQLEndTran, (SQLSMALLINT a1, SQLHANDLE a2, SQLSMALLINT a3),      \
      (a1, a2, a3))                                                           \
  X(SPECIAL, SQLCancelHandle, (SQLSMALLINT a1, SQLHANDLE a2), (a1, a2))       \
  X(SPECIAL, SQLGetDiagRec, (SQLSMALLINT a1, SQLHANDLE a2, SQLSMALLINT a3,    \
      SQLCHAR * a4, SQLINTEGER * a5, SQLCHAR * a6, SQLSMALLINT a7,            \
      SQLSMALLINT * a8), (a1, a2, a3, a4, a5, a6, a7, a8))                    \
  X(SPECIAL, SQLGetDiagRecW, (SQLSMALLINT a1, SQLHANDLE a2, SQLSMALLINT a3,   \
      SQLWCHAR * a4, SQLINTEGER * a5, SQLWCHAR * a6, SQLSMALLINT a7,          \
      SQLSMALLINT * a8), (a1, a2, a3, a4, a5, a6, a7, a8))                    \
  X(SPECIAL, SQLGetDiagField, (SQLSMALLINT a1, SQLHANDLE a2, SQLSMALLINT a3,  \
      SQLSMALLINT a4, SQLPOINTER a5, SQLSMALLINT a6, SQLSMALLINT * a7), (a1,  \
      a2, a3, a4, a5, a6, a7))                                                \
  X(SPECIAL, SQLGetDiagFieldW, (SQLSMALLINT a1, SQLHANDLE a2, SQLSMALLINT     \
      a3, SQLSMALLINT a4, SQLPOINTER a5, SQLSMALLINT a6, SQLSMALLINT * a7),   \
      (a1, a2, a3, a4, a5, a6, a7))                                           \
  X(SPECIAL, SQLSetEnvAttr, (SQLHENV a1, SQLINTEGER a2, SQLPOINTER a3,        \
      SQLINTEGER a4), (a1, a2, a3, a4))                                       \
  X(SPECIAL, SQLGetEnvAttr, (SQLHENV a1, SQLINTEGER a2, SQLPOINTER a3,        \
      SQLINTEGER a4, SQLINTEGER * a5), (a1, a2, a3, a4, a5))                  \
  X(SPECIAL, SQLConnect, (SQLHDBC a1, SQLCHAR * a2, SQLSMALLINT a3, SQLCHAR   \
      * a4, SQLSMALLINT a5, SQLCHAR * a6, SQLSMALLINT a7), (a1, a2, a3, a4,   \
      a5, a6, a7))                                                            \
  X(SPECIAL, SQLConnectW, (SQLHDBC a1, SQLWCHAR * a2, SQLSMALLINT a3,         \
      SQLWCHAR * a4, SQLSMALLINT a5, SQLWCHAR * a6, SQLSMALLINT a7), (a1,     \
      a2, a3, a4, a5, a6, a7))                                                \
  X(SPECIAL, SQLDriverConnect, (SQLHDBC a1, SQLHWND a2, SQLCHAR * a3,         \
      SQLSMALLINT a4, SQLCHAR * a5, SQLSMALLINT a6, SQLSMALLINT * a7,         \
      SQLUSMALLINT a8), (a1, a2, a3, a4, a5, a6, a7, a8))                     \
  X(SPECIAL, SQLDriverConnectW, (SQLHDBC a1, SQLHWND a2, SQLWCHAR * a3,       \
      SQLSMALLINT a4, SQLWCHAR * a5, SQLSMALLINT a6, SQLSMALLINT * a7,        \
      SQLUSMALLINT a8), (a1, a2, a3, a4, a5, a6, a7, a8))                     \
  X(SPECIAL, SQLBrowseConnect, (SQLHDBC a1, SQLCHAR * a2, SQLSMALLINT a3,     \
      SQLCHAR * a4, SQLSMALLINT a5, SQLSMALLINT * a6), (a1, a2, a3, a4, a5,   \
      a6))                                                                    \
  X(SPECIAL, SQLBrowseConnectW, (SQLHDBC a1, SQLWCHAR * a2, SQLSMALLINT a3,   \
      SQLWCHAR * a4, SQLSMALLINT a5, SQLSMALLINT * a6), (a1, a2, a3, a4, a5,  \
      a6))                                                                    \
  X(SPECIAL, SQLDisconnect, (SQLHDBC a1), (a1))                               \
  X(SPECIAL, SQLGetConnectAttr, (SQLHDBC a1, SQLINTEGER a2, SQLPOINTER a3,    \
      SQLINTEGER a4, SQLINTEGER * a5), (a1, a2, a3, a4, a5))                  \
  X(SPECIAL, SQLGetConnectAttrW, (SQLHDBC a1, SQLINTEGER a2, SQLPOINTER a3,   \
      SQLINTEGER a4, SQLINTEGER * a5), (a1, a2, a3, a4, a5))                  \
  X(SPECIAL, SQLSetConnectAttr, (SQLHDBC a1, SQLINTEGER a2, SQLPOINTER a3,    \
      SQLINTEGER a4), (a1, a2, a3, a4))                                       \
  X(SPECIAL, SQLSetConnectAttrW, (SQLHDBC a1, SQLINTEGER a2, SQLPOINTER a3,   \
      SQLINTEGER a4), (a1, a2, a3, a4))                                       \
  X(SPECIAL, SQLGetStmtAttr, (SQLHSTMT a1, SQLINTEGER a2, SQLPOINTER a3,      \
      SQLINTEGER a4, SQLINTEGER * a5), (a1, a2, a3, a4, a5))                  \
  X(SPECIAL, SQLGetStmtAttrW, (SQLHSTMT a1, SQLINTEGER a2, SQLPOINTER a3,     \
      SQLINTEGER a4, SQLINTEGER * a5), (a1, a2, a3, a4, a5))                  \
  X(SPECIAL, SQLSetStmtAttr, (SQLHSTMT a1, SQLINTEGER a2, SQLPOINTER a3,      \
      SQLINTEGER a4), (a1, a2, a3, a4))                                       \
  X(SPECIAL, SQLSetStmtAttrW, (SQLHSTMT a1, SQLINTEGER a2, SQLPOINTER a3,     \
      SQLINTEGER a4), (a1, a2, a3, a4))                                       \
  X(SPECIAL, SQLGetFunctions, (SQLHDBC a1, SQLUSMALLINT a2, SQLUSMALLINT *    \
      a3), (a1, a2, a3))                                                      \
  X(STMT, SQLColAttributes, (SQLHSTMT h, SQLUSMALLINT a1, SQLUSMALLINT a2,    \
      SQLPOINTER a3, SQLSMALLINT a4, SQLSMALLINT * a5, SQLLEN * a6), (T, a1,  \
      a2, a3, a4, a5, a6))                                                    \
  X(STMT, SQLColAttributesW, (SQLHSTMT h, SQLUSMALLINT a1, SQLUSMALLINT a2,   \
      SQLPOINTER a3, SQLSMALLINT a4, SQLSMALLINT * a5, SQLLEN * a6), (T, a1,  \
      a2, a3, a4, a5, a6))                                                    \
  X(STMT, SQLGetStmtOption, (SQLHSTMT h, SQLUSMALLINT a1, SQLPOINTER a2),     \
      (T, a1, a2))                                                            \
  X(STMT, SQLSetStmtOption, (SQLHSTMT h, SQLUSMALLINT a1, SQLULEN a2), (T,    \
      a1, a2))                                                                \
  X(STMT, SQLParamOptions, (SQLHSTMT h, SQLULEN a1, SQLULEN * a2), (T, a1,    \
      a2))                                                                    \
  X(STMT, SQLSetScrollOptions, (SQLHSTMT h, SQLUSMALLINT a1, SQLLEN a2,       \
      SQLUSMALLINT a3), (T, a1, a2, a3))                                      \
  X(SPECIAL, SQLAllocEnv, (SQLHENV * a1), (a1))                               \
  X(SPECIAL, SQLAllocConnect, (SQLHENV a1, SQLHDBC * a2), (a1, a2))           \
  X(SPECIAL, SQLAllocStmt, (SQLHDBC a1, SQLHSTMT * a2), (a1, a2))             \
  X(SPECIAL, SQLAllocHandleStd, (SQLSMALLINT a1, SQLHANDLE a2, SQLHANDLE *    \
      a3), (a1, a2, a3))                                                      \
  X(SPECIAL, SQLFreeEnv, (SQLHENV a1), (a1))                                  \
  X(SPECIAL, SQLFreeConnect, (SQLHDBC a1), (a1))                              \
  X(SPECIAL, SQLTransact, (SQLHENV a1, SQLHDBC a2, SQLUSMALLINT a3), (a1,     \
      a2, a3))                                                                \
  X(SPECIAL, SQLError, (SQLHENV a1, SQLHDBC a2, SQLHSTMT a3, SQLCHAR * a4,    \
      SQLINTEGER * a5, SQLCHAR * a6, SQLSMALLINT a7, SQLSMALLINT * a8), (a1,  \
      a2, a3, a4, a5, a6, a7, a8))                                            \
  X(SPECIAL, SQLErrorW, (SQLHENV a1, SQLHDBC a2, SQLHSTMT a3, SQLWCHAR * a4,  \
      SQLINTEGER * a5, SQLWCHAR * a6, SQLSMALLINT a7, SQLSMALLINT * a8),      \
      (a1, a2, a3, a4, a5, a6, a7, a8))                                       \
  X(SPECIAL, SQLGetConnectOption, (SQLHDBC a1, SQLUSMALLINT a2, SQLPOINTER    \
      a3), (a1, a2, a3))                                                      \
  X(SPECIAL, SQLGetConnectOptionW, (SQLHDBC a1, SQLUSMALLINT a2, SQLPOINTER   \
      a3), (a1, a2, a3))                                                      \
  X(SPECIAL, SQLSetConnectOption, (SQLHDBC a1, SQLUSMALLINT a2, SQLULEN a3),  \
      (a1, a2, a3))                                                           \
  X(SPECIAL, SQLSetConnectOptionW, (SQLHDBC a1, SQLUSMALLINT a2, SQLULEN     \
      a3), (a1, a2, a3))                                                      \
  X(DMONLY, SQLDataSources, (SQLHENV h, SQLUSMALLINT a1, SQLCHAR * a2,        \
      SQLSMALLINT a3, SQLSMALLINT * a4, SQLCHAR * a5, SQLSMALLINT a6,         \
      SQLSMALLINT * a7), (h, a1, a2, a3, a4, a5, a6, a7))                     \
  X(DMONLY, SQLDataSourcesW, (SQLHENV h, SQLUSMALLINT a1, SQLWCHAR * a2,      \
      SQLSMALLINT a3, SQLSMALLINT * a4, SQLWCHAR * a5, SQLSMALLINT a6,        \
      SQLSMALLINT * a7), (h, a1, a2, a3, a4, a5, a6, a7))                     \
  X(DMONLY, SQLDrivers, (SQLHENV h, SQLUSMALLINT a1, SQLCHAR * a2,            \
      SQLSMALLINT a3, SQLSMALLINT * a4, SQLCHAR * a5, SQLSMALLINT a6,         \
      SQLSMALLINT * a7), (h, a1, a2, a3, a4, a5, a6, a7))                     \
  X(DMONLY, SQLDriversW, (SQLHENV h, SQLUSMALLINT a1, SQLWCHAR * a2,          \
      SQLSMALLINT a3, SQLSMALLINT * a4, SQLWCHAR * a5, SQLSMALLINT a6,        \
      SQLSMALLINT * a7), (h, a1, a2, a3, a4, a5, a6, a7))                     \
  X(SPECIAL, SQLCopyDesc, (SQLHDESC a1, SQLHDESC a2), (a1, a2))

#endif /* ODBCPOOL_ODBCAPI_H */
