/* forward.c — the entry points that only pass a call on to the borrowed
 * target handle, generated from the ODBC API table (src/odbcapi.h). The
 * target's return code and diagnostics come back unchanged. */
#include "build.h"

#include "driver.h"

/* In the table's argument lists, T is the target handle. */
#define T t_

#define FORWARD_STMT(name, params, args)                                       \
  DRV_EXPORT SQLRETURN SQL_API name params {                                   \
    struct drv_stmt *s_ = drv_stmt_enter(h);                                   \
    if (s_ == NULL)                                                            \
      return SQL_INVALID_HANDLE;                                               \
    SQLHSTMT t_ = s_->target;                                                  \
    return drv_dm->name args;                                                  \
  }

/* Statements that run SQL text: noted on the borrowed connection first,
 * so that its reset knows whether session state may have changed (see
 * odbcpool__conn_note_sql). */
#define drv_note_text(s, text, len)                                            \
  _Generic((text), SQLWCHAR *                                                  \
           : drv_note_sqlw, default                                            \
           : drv_note_sqla)(s, text, len)
#define FORWARD_STMT_SQL(name, params, args)                                   \
  DRV_EXPORT SQLRETURN SQL_API name params {                                   \
    struct drv_stmt *s_ = drv_stmt_enter(h);                                   \
    if (s_ == NULL)                                                            \
      return SQL_INVALID_HANDLE;                                               \
    drv_note_text(s_, a1, a2);                                                 \
    SQLHSTMT t_ = s_->target;                                                  \
    return drv_dm->name args;                                                  \
  }

/* Statements that change rows without SQL text the driver sees. */
#define FORWARD_STMT_DIRTY(name, params, args)                                 \
  DRV_EXPORT SQLRETURN SQL_API name params {                                   \
    struct drv_stmt *s_ = drv_stmt_enter(h);                                   \
    if (s_ == NULL)                                                            \
      return SQL_INVALID_HANDLE;                                               \
    drv_note_dirty(s_);                                                        \
    SQLHSTMT t_ = s_->target;                                                  \
    return drv_dm->name args;                                                  \
  }

/* 08003 before connect: there is no target to ask. */
#define FORWARD_DBC(name, params, args)                                        \
  DRV_EXPORT SQLRETURN SQL_API name params {                                   \
    struct drv_dbc *d_ = drv_dbc_enter(h);                                     \
    if (d_ == NULL)                                                            \
      return SQL_INVALID_HANDLE;                                               \
    SQLHDBC t_ = drv_dbc_target(d_);                                           \
    if (t_ == SQL_NULL_HDBC)                                                   \
      return drv_error(&d_->h, "08003", "connection not open");                \
    return drv_dm->name args;                                                  \
  }

#define FORWARD_DESC(name, params, args)                                       \
  DRV_EXPORT SQLRETURN SQL_API name params {                                   \
    struct drv_desc *x_ = drv_desc_enter(h);                                   \
    if (x_ == NULL)                                                            \
      return SQL_INVALID_HANDLE;                                               \
    SQLHDESC t_ = x_->target;                                                  \
    return drv_dm->name args;                                                  \
  }

/* Written by hand in the other files of src/driver/. */
#define FORWARD_SPECIAL(name, params, args)

/* Functions only a driver manager implements. unixODBC never calls a
 * driver's (it answers them from its own environment), but it looks the
 * names up on every connect; a caller that finds them anyway, bypassing
 * the driver manager, is told where to go. */
#define FORWARD_DMONLY(name, params, args)                                     \
  DRV_EXPORT SQLRETURN SQL_API name params {                                   \
    struct drv_env *e_ = drv_env_enter(h);                                     \
    if (e_ == NULL)                                                            \
      return SQL_INVALID_HANDLE;                                               \
    (void)a1, (void)a2, (void)a3, (void)a4, (void)a5, (void)a6, (void)a7;      \
    return drv_error(&e_->h, "IM001",                                          \
                     "%s is a driver manager function; the driver does "       \
                     "not implement it",                                       \
                     #name);                                                   \
  }

#define FORWARD(kind, name, params, args) FORWARD_##kind(name, params, args)

ODBCPOOL_ODBC_API(FORWARD)

/* The names libltdl tries first (see DRV_LTX in driver.h). */
#define LTX_SPECIAL(name)
#define LTX_STMT(name) DRV_LTX(name);
#define LTX_STMT_SQL(name) DRV_LTX(name);
#define LTX_STMT_DIRTY(name) DRV_LTX(name);
#define LTX_DBC(name) DRV_LTX(name);
#define LTX_DESC(name) DRV_LTX(name);
#define LTX_DMONLY(name) DRV_LTX(name);
#define LTX(kind, name, params, args) LTX_##kind(name)
ODBCPOOL_ODBC_API(LTX)

/* The A forms unixODBC looks up (see DRV_ANSI in driver.h) of the
 * functions defined here; the other files name their own. */
DRV_ANSI(SQLColAttribute);
DRV_ANSI(SQLColAttributes);
DRV_ANSI(SQLColumnPrivileges);
DRV_ANSI(SQLColumns);
DRV_ANSI(SQLDescribeCol);
DRV_ANSI(SQLExecDirect);
DRV_ANSI(SQLForeignKeys);
DRV_ANSI(SQLGetCursorName);
DRV_ANSI(SQLGetDescField);
DRV_ANSI(SQLGetDescRec);
DRV_ANSI(SQLGetInfo);
DRV_ANSI(SQLGetTypeInfo);
DRV_ANSI(SQLNativeSql);
DRV_ANSI(SQLPrepare);
DRV_ANSI(SQLPrimaryKeys);
DRV_ANSI(SQLProcedureColumns);
DRV_ANSI(SQLProcedures);
DRV_ANSI(SQLSetCursorName);
DRV_ANSI(SQLSetDescField);
DRV_ANSI(SQLSpecialColumns);
DRV_ANSI(SQLStatistics);
DRV_ANSI(SQLTablePrivileges);
DRV_ANSI(SQLTables);
DRV_ANSI(SQLDataSources);
DRV_ANSI(SQLDrivers);
