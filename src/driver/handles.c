/* handles.c — the driver's environment, connection, statement and
 * descriptor handles: allocation, validation, freeing. */
#include "build.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "util.h"

const struct odbcpool__dm *drv_dm;

static void diag_clear(struct drv_handle *h) {
  h->diag.n = 0;
  h->diag.taken = 0;
}

struct drv_env *drv_env_enter(SQLHANDLE h) {
  struct drv_env *e = h;
  if (e == NULL || e->h.kind != DRV_ENV)
    return NULL;
  diag_clear(&e->h);
  return e;
}

struct drv_dbc *drv_dbc_enter(SQLHANDLE h) {
  struct drv_dbc *d = h;
  if (d == NULL || d->h.kind != DRV_DBC)
    return NULL;
  diag_clear(&d->h);
  return d;
}

struct drv_stmt *drv_stmt_enter(SQLHANDLE h) {
  struct drv_stmt *s = h;
  if (s == NULL || s->h.kind != DRV_STMT)
    return NULL;
  diag_clear(&s->h);
  return s;
}

struct drv_desc *drv_desc_enter(SQLHANDLE h) {
  struct drv_desc *d = h;
  if (d == NULL || d->h.kind != DRV_DESC)
    return NULL;
  diag_clear(&d->h);
  return d;
}

struct drv_handle *drv_handle_enter(SQLSMALLINT type, SQLHANDLE h) {
  switch (type) {
  case SQL_HANDLE_ENV:
    return (struct drv_handle *)drv_env_enter(h);
  case SQL_HANDLE_DBC:
    return (struct drv_handle *)drv_dbc_enter(h);
  case SQL_HANDLE_STMT:
    return (struct drv_handle *)drv_stmt_enter(h);
  case SQL_HANDLE_DESC:
    return (struct drv_handle *)drv_desc_enter(h);
  default:
    return NULL;
  }
}

SQLHANDLE drv_target(const struct drv_handle *h) {
  switch (h->kind) {
  case DRV_DBC:
    return ((const struct drv_dbc *)h)->target;
  case DRV_STMT:
    return ((const struct drv_stmt *)h)->target;
  case DRV_DESC:
    return ((const struct drv_desc *)h)->target;
  default:
    return SQL_NULL_HANDLE;
  }
}

SQLHDBC drv_dbc_target(struct drv_dbc *d) {
  return d->conn != NULL ? d->target : SQL_NULL_HDBC;
}

/* ----------------------------------------------------------- allocate */

/* Never calls into the driver manager: it holds its global lock while it
 * allocates the driver's environment (doc/ARCHITECTURE.md). */
static SQLRETURN alloc_env(SQLHANDLE *out) {
  struct drv_env *e = calloc(1, sizeof *e);
  if (e == NULL)
    return SQL_ERROR;
  e->h.kind = DRV_ENV;
  e->odbc_version = SQL_OV_ODBC3;
  e->output_nts = SQL_TRUE;
  pthread_mutex_init(&e->lock, NULL);
  *out = e;
  return SQL_SUCCESS;
}

static SQLRETURN alloc_dbc(struct drv_env *e, SQLHANDLE *out) {
  struct drv_dbc *d = calloc(1, sizeof *d);
  if (d == NULL)
    return drv_error(&e->h, "HY001", "out of memory");
  d->h.kind = DRV_DBC;
  d->env = e;
  pthread_mutex_init(&d->lock, NULL);
  pthread_mutex_lock(&e->lock);
  d->next = e->dbcs;
  e->dbcs = d;
  pthread_mutex_unlock(&e->lock);
  *out = d;
  return SQL_SUCCESS;
}

/* Allocates a statement or an explicit descriptor on the borrowed
 * connection, tracked by the pool so the return frees what is left, and
 * links its wrapper into the connection's list. */
static SQLRETURN alloc_child(struct drv_dbc *d, SQLSMALLINT type,
                             SQLHANDLE *out) {
  if (d->conn == NULL)
    return drv_error(&d->h, "08003", "connection not open");
  bool stmt = type == SQL_HANDLE_STMT;
  void *w = calloc(1, stmt ? sizeof(struct drv_stmt) : sizeof(struct drv_desc));
  if (w == NULL)
    return drv_error(&d->h, "HY001", "out of memory");
  pthread_mutex_lock(&d->lock);
  SQLHANDLE target = SQL_NULL_HANDLE;
  int code = stmt ? odbcpool_stmt_alloc(d->conn, &target)
                  : odbcpool_desc_alloc(d->conn, &target);
  if (code != ODBCPOOL_OK) {
    pthread_mutex_unlock(&d->lock);
    free(w);
    /* The driver's own records are on the target connection. */
    return SQL_ERROR;
  }
  if (stmt) {
    struct drv_stmt *s = w;
    s->h.kind = DRV_STMT;
    s->dbc = d;
    s->target = target;
    s->next = d->stmts;
    if (d->stmts)
      d->stmts->prev = s;
    d->stmts = s;
  } else {
    struct drv_desc *x = w;
    x->h.kind = DRV_DESC;
    x->dbc = d;
    x->target = target;
    x->next = d->descs;
    if (d->descs)
      d->descs->prev = x;
    d->descs = x;
  }
  pthread_mutex_unlock(&d->lock);
  *out = w;
  return SQL_SUCCESS;
}

/* SQLAllocHandle's work. The exported functions never call each other
 * by name: such a call goes through the PLT and binds to the driver
 * manager's function of that name when the host loaded the driver
 * manager first, which is the usual case. */
static SQLRETURN alloc_handle(SQLSMALLINT type, SQLHANDLE in, SQLHANDLE *out) {
  if (out == NULL)
    return SQL_ERROR;
  switch (type) {
  case SQL_HANDLE_ENV:
    return alloc_env(out);
  case SQL_HANDLE_DBC: {
    struct drv_env *e = drv_env_enter(in);
    return e ? alloc_dbc(e, out) : SQL_INVALID_HANDLE;
  }
  case SQL_HANDLE_STMT:
  case SQL_HANDLE_DESC: {
    struct drv_dbc *d = drv_dbc_enter(in);
    return d ? alloc_child(d, type, out) : SQL_INVALID_HANDLE;
  }
  default:
    return SQL_ERROR;
  }
}

DRV_EXPORT SQLRETURN SQL_API SQLAllocHandle(SQLSMALLINT type, SQLHANDLE in,
                                            SQLHANDLE *out) {
  return alloc_handle(type, in, out);
}

/* The X/Open form: the same, for an environment that starts as ODBC 3,
 * as ours do. */
DRV_EXPORT SQLRETURN SQL_API SQLAllocHandleStd(SQLSMALLINT type, SQLHANDLE in,
                                               SQLHANDLE *out) {
  return alloc_handle(type, in, out);
}

/* The ODBC 2 forms. The driver manager calls these for an application
 * that asked for ODBC 2 behaviour: a statement allocated here is tracked
 * like one from SQLAllocHandle, so the reset frees it. */
DRV_EXPORT SQLRETURN SQL_API SQLAllocEnv(SQLHENV *out) {
  return alloc_handle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, out);
}

DRV_EXPORT SQLRETURN SQL_API SQLAllocConnect(SQLHENV env, SQLHDBC *out) {
  return alloc_handle(SQL_HANDLE_DBC, env, out);
}

DRV_EXPORT SQLRETURN SQL_API SQLAllocStmt(SQLHDBC dbc, SQLHSTMT *out) {
  return alloc_handle(SQL_HANDLE_STMT, dbc, out);
}

/* --------------------------------------------------------------- free */

static void free_implicit(struct drv_stmt *s) {
  for (int i = 0; i < 4; i++) {
    if (s->implicit[i] != NULL) {
      s->implicit[i]->h.kind = DRV_FREED;
      drv_diag_free(&s->implicit[i]->h.diag);
      free(s->implicit[i]);
      s->implicit[i] = NULL;
    }
  }
}

void drv_stmt_destroy(struct drv_stmt *s, bool free_target) {
  struct drv_dbc *d = s->dbc;
  if (s->prev)
    s->prev->next = s->next;
  else
    d->stmts = s->next;
  if (s->next)
    s->next->prev = s->prev;
  if (free_target && d->conn != NULL)
    odbcpool_stmt_free(d->conn, s->target);
  free_implicit(s);
  s->h.kind = DRV_FREED;
  drv_diag_free(&s->h.diag);
  free(s);
}

void drv_desc_destroy(struct drv_desc *x, bool free_target) {
  struct drv_dbc *d = x->dbc;
  if (x->prev)
    x->prev->next = x->next;
  else
    d->descs = x->next;
  if (x->next)
    x->next->prev = x->prev;
  if (free_target && d->conn != NULL)
    odbcpool_desc_free(d->conn, x->target);
  x->h.kind = DRV_FREED;
  drv_diag_free(&x->h.diag);
  free(x);
}

static SQLRETURN free_dbc(struct drv_dbc *d) {
  if (d->conn != NULL)
    return drv_error(&d->h, "HY010", "connection still open");
  struct drv_env *e = d->env;
  pthread_mutex_lock(&e->lock);
  for (struct drv_dbc **pp = &e->dbcs; *pp; pp = &(*pp)->next) {
    if (*pp == d) {
      *pp = d->next;
      break;
    }
  }
  pthread_mutex_unlock(&e->lock);
  for (int i = 0; i < d->npre; i++)
    free(d->pre[i].str);
  pthread_mutex_destroy(&d->lock);
  d->h.kind = DRV_FREED;
  drv_diag_free(&d->h.diag);
  free(d);
  return SQL_SUCCESS;
}

/* Never calls into the driver manager (see alloc_env). */
static SQLRETURN free_env(struct drv_env *e) {
  if (e->dbcs != NULL)
    return drv_error(&e->h, "HY010", "connections still allocated");
  pthread_mutex_destroy(&e->lock);
  e->h.kind = DRV_FREED;
  drv_diag_free(&e->h.diag);
  free(e);
  return SQL_SUCCESS;
}

/* SQLFreeHandle's work (see alloc_handle on calls by name). */
static SQLRETURN free_handle(SQLSMALLINT type, SQLHANDLE h) {
  switch (type) {
  case SQL_HANDLE_ENV: {
    struct drv_env *e = drv_env_enter(h);
    return e ? free_env(e) : SQL_INVALID_HANDLE;
  }
  case SQL_HANDLE_DBC: {
    struct drv_dbc *d = drv_dbc_enter(h);
    return d ? free_dbc(d) : SQL_INVALID_HANDLE;
  }
  case SQL_HANDLE_STMT: {
    struct drv_stmt *s = drv_stmt_enter(h);
    if (s == NULL)
      return SQL_INVALID_HANDLE;
    struct drv_dbc *d = s->dbc;
    pthread_mutex_lock(&d->lock);
    drv_stmt_destroy(s, true);
    pthread_mutex_unlock(&d->lock);
    return SQL_SUCCESS;
  }
  case SQL_HANDLE_DESC: {
    struct drv_desc *x = drv_desc_enter(h);
    if (x == NULL)
      return SQL_INVALID_HANDLE;
    if (x->implicit)
      return drv_error(&x->h, "HY017",
                       "invalid use of an automatically allocated "
                       "descriptor handle");
    struct drv_dbc *d = x->dbc;
    pthread_mutex_lock(&d->lock);
    drv_desc_destroy(x, true);
    pthread_mutex_unlock(&d->lock);
    return SQL_SUCCESS;
  }
  default:
    return SQL_ERROR;
  }
}

DRV_EXPORT SQLRETURN SQL_API SQLFreeHandle(SQLSMALLINT type, SQLHANDLE h) {
  return free_handle(type, h);
}

DRV_EXPORT SQLRETURN SQL_API SQLFreeEnv(SQLHENV h) {
  return free_handle(SQL_HANDLE_ENV, h);
}

DRV_EXPORT SQLRETURN SQL_API SQLFreeConnect(SQLHDBC h) {
  return free_handle(SQL_HANDLE_DBC, h);
}

/* SQL_DROP frees the statement as SQLFreeHandle does (the driver manager
 * sends an ODBC 2 application's drop here). */
DRV_EXPORT SQLRETURN SQL_API SQLFreeStmt(SQLHSTMT h, SQLUSMALLINT option) {
  if (option == SQL_DROP)
    return free_handle(SQL_HANDLE_STMT, h);
  struct drv_stmt *s = drv_stmt_enter(h);
  if (s == NULL)
    return SQL_INVALID_HANDLE;
  return drv_dm->SQLFreeStmt(s->target, option);
}

DRV_EXPORT SQLRETURN SQL_API SQLCancelHandle(SQLSMALLINT type, SQLHANDLE h) {
  struct drv_handle *x = drv_handle_enter(type, h);
  if (x == NULL)
    return SQL_INVALID_HANDLE;
  if (type == SQL_HANDLE_STMT)
    return drv_dm->SQLCancel(drv_target(x));
  if (type == SQL_HANDLE_DBC) {
    SQLHDBC t = drv_dbc_target((struct drv_dbc *)x);
    if (t == SQL_NULL_HDBC)
      return drv_error(x, "08003", "connection not open");
    return drv_dm->SQLCancelHandle(SQL_HANDLE_DBC, t);
  }
  return drv_error(x, "HY092", "invalid handle type for SQLCancelHandle");
}

/* ------------------------------------------------------- transactions */

/* Ends the transaction of one target connection: with SQLTransact, the
 * call an ODBC 2 application made, when `odbc2`, else SQLEndTran. */
static SQLRETURN end_target(SQLHDBC t, SQLSMALLINT completion, bool odbc2) {
  if (odbc2)
    return drv_dm->SQLTransact(SQL_NULL_HENV, t, (SQLUSMALLINT)completion);
  return drv_dm->SQLEndTran(SQL_HANDLE_DBC, t, completion);
}

/* SQLEndTran and SQLTransact: on a connection, or on every connected
 * connection of an environment. */
static SQLRETURN end_tran(SQLSMALLINT type, SQLHANDLE h, SQLSMALLINT completion,
                          bool odbc2) {
  if (type == SQL_HANDLE_DBC) {
    struct drv_dbc *d = drv_dbc_enter(h);
    if (d == NULL)
      return SQL_INVALID_HANDLE;
    if (d->conn == NULL)
      return drv_error(&d->h, "08003", "connection not open");
    return end_target(d->target, completion, odbc2);
  }
  if (type != SQL_HANDLE_ENV)
    return SQL_ERROR;
  struct drv_env *e = drv_env_enter(h);
  if (e == NULL)
    return SQL_INVALID_HANDLE;
  /* Every connected connection of the environment, one by one: there is
   * no two-phase commit across them, as the ODBC reference allows. */
  SQLRETURN result = SQL_SUCCESS;
  pthread_mutex_lock(&e->lock);
  for (struct drv_dbc *d = e->dbcs; d; d = d->next) {
    if (d->conn == NULL)
      continue;
    SQLRETURN rc = end_target(d->target, completion, odbc2);
    if (!SQL_SUCCEEDED(rc))
      result = SQL_ERROR;
  }
  pthread_mutex_unlock(&e->lock);
  if (result == SQL_ERROR)
    return drv_error(&e->h, "25S01",
                     "the transaction could not be ended on every "
                     "connection of the environment");
  return result;
}

DRV_EXPORT SQLRETURN SQL_API SQLEndTran(SQLSMALLINT type, SQLHANDLE h,
                                        SQLSMALLINT completion) {
  return end_tran(type, h, completion, false);
}

/* ODBC 2: the connection if there is one, else the environment. */
DRV_EXPORT SQLRETURN SQL_API SQLTransact(SQLHENV env, SQLHDBC dbc,
                                         SQLUSMALLINT completion) {
  if (dbc != SQL_NULL_HDBC)
    return end_tran(SQL_HANDLE_DBC, dbc, (SQLSMALLINT)completion, true);
  return end_tran(SQL_HANDLE_ENV, env, (SQLSMALLINT)completion, true);
}

/* ------------------------------------------------------ load, unload */

/* unixODBC calls these, if the driver has them, each time it loads and
 * before it unloads the module, with its own lock held: nothing to do,
 * and nothing here may call into the driver manager. Exported so that
 * its lookups of the two names succeed. */
DRV_EXPORT SQLRETURN SQL_API SQLDriverLoad(void) {
  return SQL_SUCCESS;
}

DRV_EXPORT SQLRETURN SQL_API SQLDriverUnload(void) {
  return SQL_SUCCESS;
}

/* -------------------------------------------------------- descriptors */

DRV_EXPORT SQLRETURN SQL_API SQLCopyDesc(SQLHDESC src, SQLHDESC dst) {
  struct drv_desc *s = drv_desc_enter(src);
  struct drv_desc *d = drv_desc_enter(dst);
  if (s == NULL || d == NULL)
    return SQL_INVALID_HANDLE;
  return drv_dm->SQLCopyDesc(s->target, d->target);
}

/* -------------------------------------------------------- environment */

DRV_EXPORT SQLRETURN SQL_API SQLSetEnvAttr(SQLHENV h, SQLINTEGER attr,
                                           SQLPOINTER value, SQLINTEGER len) {
  (void)len;
  struct drv_env *e = drv_env_enter(h);
  if (e == NULL)
    return SQL_INVALID_HANDLE;
  SQLINTEGER v = (SQLINTEGER)(intptr_t)value;
  switch (attr) {
  case SQL_ATTR_ODBC_VERSION:
    e->odbc_version = v;
    return SQL_SUCCESS;
  case SQL_ATTR_CONNECTION_POOLING:
    e->connection_pooling = v;
    return SQL_SUCCESS;
  case SQL_ATTR_CP_MATCH:
    e->cp_match = v;
    return SQL_SUCCESS;
  case SQL_ATTR_OUTPUT_NTS:
    e->output_nts = v;
    return SQL_SUCCESS;
  default:
    /* unixODBC passes its own attributes (e.g. 65002, the DM's
     * unixODBC flag) to drivers: accept what we do not know. */
    return SQL_SUCCESS;
  }
}

DRV_EXPORT SQLRETURN SQL_API SQLGetEnvAttr(SQLHENV h, SQLINTEGER attr,
                                           SQLPOINTER value, SQLINTEGER len,
                                           SQLINTEGER *outlen) {
  (void)len;
  struct drv_env *e = drv_env_enter(h);
  if (e == NULL)
    return SQL_INVALID_HANDLE;
  SQLINTEGER v;
  switch (attr) {
  case SQL_ATTR_ODBC_VERSION:
    v = e->odbc_version;
    break;
  case SQL_ATTR_CONNECTION_POOLING:
    v = e->connection_pooling;
    break;
  case SQL_ATTR_CP_MATCH:
    v = e->cp_match;
    break;
  case SQL_ATTR_OUTPUT_NTS:
    v = e->output_nts;
    break;
  default:
    return drv_error(&e->h, "HY092", "invalid attribute %d", (int)attr);
  }
  if (value != NULL)
    *(SQLINTEGER *)value = v;
  if (outlen != NULL)
    *outlen = sizeof v;
  return SQL_SUCCESS;
}

/* libltdl looks for odbcpool_driver_LTX_<name> before <name>; answering
 * the first lookup saves the driver manager a failed one per entry point
 * on every connect (doc/BENCHMARKS.md). */
DRV_LTX(SQLAllocHandle);
DRV_LTX(SQLAllocHandleStd);
DRV_LTX(SQLAllocEnv);
DRV_LTX(SQLAllocConnect);
DRV_LTX(SQLAllocStmt);
DRV_LTX(SQLFreeHandle);
DRV_LTX(SQLFreeEnv);
DRV_LTX(SQLFreeConnect);
DRV_LTX(SQLTransact);
DRV_LTX(SQLFreeStmt);
DRV_LTX(SQLEndTran);
DRV_LTX(SQLCancelHandle);
DRV_LTX(SQLSetEnvAttr);
DRV_LTX(SQLGetEnvAttr);
DRV_LTX(SQLCopyDesc);
DRV_LTX(SQLDriverLoad);
DRV_LTX(SQLDriverUnload);

/* ------------------------------------------------------ statement text */

/* Notes the text of a statement on the borrowed connection. Only where
 * the text can decide (odbcpool__conn_sql_matters: SQLite's SELECTs, on
 * a connection still clean) is it passed and, for the W forms, converted;
 * otherwise the connection is just marked as changed. */
void drv_note_sqla(struct drv_stmt *s, SQLCHAR *text, SQLINTEGER len) {
  odbcpool_conn *c = s->dbc->conn;
  if (c == NULL)
    return;
  if (text == NULL || !odbcpool__conn_sql_matters(c)) {
    odbcpool__conn_note_sql(c, NULL, 0);
    return;
  }
  size_t n = len == SQL_NTS ? strlen((const char *)text)
             : len > 0      ? (size_t)len
                            : 0;
  odbcpool__conn_note_sql(c, (const char *)text, n);
}

void drv_note_sqlw(struct drv_stmt *s, SQLWCHAR *text, SQLINTEGER len) {
  odbcpool_conn *c = s->dbc->conn;
  if (c == NULL)
    return;
  char *u = text != NULL && odbcpool__conn_sql_matters(c) ? drv_utf8(text, len)
                                                          : NULL;
  odbcpool__conn_note_sql(c, u, u ? strlen(u) : 0);
  odbcpool__wipe_free(u); /* the statement may hold personal data */
}

void drv_note_dirty(struct drv_stmt *s) {
  if (s->dbc->conn != NULL)
    odbcpool__conn_note_sql(s->dbc->conn, NULL, 0);
}
