/* reset.c — the return path: erase what the last borrower left behind. */
#include "build.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm.h"
#include "error.h"
#include "log.h"
#include "pool.h"
#include "util.h"

/* Reads every column of the current row as text and appends each
 * non-NULL value, NUL-terminated, to `out`. */
static int collect_row(const struct odbcpool__dm *dm, SQLHSTMT st,
                       SQLSMALLINT ncols, struct odbcpool__buf *out,
                       odbcpool_error *err) {
  for (SQLUSMALLINT col = 1; col <= (SQLUSMALLINT)ncols; col++) {
    struct odbcpool__buf val = {0};
    for (;;) {
      char piece[1024];
      SQLLEN ind = 0;
      SQLRETURN rc =
          dm->SQLGetData(st, col, SQL_C_CHAR, piece, sizeof piece, &ind);
      if (rc == SQL_NO_DATA)
        break;
      if (!SQL_SUCCEEDED(rc)) {
        odbcpool__buf_wipe(&val);
        return odbcpool__err_odbc(err, ODBCPOOL_EODBC, SQL_HANDLE_STMT, st,
                                  "cannot read a generated statement");
      }
      if (ind == SQL_NULL_DATA)
        break;
      size_t n = (ind == SQL_NO_TOTAL || ind >= (SQLLEN)sizeof piece)
                     ? sizeof piece - 1
                     : (size_t)ind;
      odbcpool__buf_append(&val, piece, n);
      if (rc == SQL_SUCCESS)
        break;
    }
    if (val.len > 0) {
      odbcpool__buf_append(out, val.data, val.len + 1);
    }
    odbcpool__buf_wipe(&val);
  }
  return out->failed ? odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001",
                                     "out of memory")
                     : ODBCPOOL_OK;
}

/* Executes `sql` on `st` and consumes every result set. With `gen`, the
 * values of all rows are appended to gen; with `expect_no_rows`, a row is
 * an error naming its first value. */
static int run_one(const struct odbcpool__dm *dm, SQLHSTMT st,
                   const char *sql, struct odbcpool__buf *gen,
                   bool expect_no_rows, odbcpool_error *err) {
  SQLRETURN rc = dm->SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
  if (rc == SQL_NO_DATA)
    return ODBCPOOL_OK;
  if (!SQL_SUCCEEDED(rc))
    return odbcpool__err_odbc(err, ODBCPOOL_EODBC, SQL_HANDLE_STMT, st,
                              "reset statement failed");
  do {
    SQLSMALLINT ncols = 0;
    if (!SQL_SUCCEEDED(dm->SQLNumResultCols(st, &ncols)))
      ncols = 0;
    while (ncols > 0 && (rc = dm->SQLFetch(st)) != SQL_NO_DATA) {
      if (!SQL_SUCCEEDED(rc))
        return odbcpool__err_odbc(err, ODBCPOOL_EODBC, SQL_HANDLE_STMT, st,
                                  "cannot fetch a reset result");
      if (expect_no_rows) {
        /* The row's values are not quoted: they may be the very personal
         * data the check exists to catch, and messages are logged. */
        return odbcpool__err(err, ODBCPOOL_EODBC, "HY000",
                             "verify query returned a row: the borrower "
                             "left state the reset did not erase");
      }
      if (gen != NULL) {
        int code = collect_row(dm, st, ncols, gen, err);
        if (code != ODBCPOOL_OK)
          return code;
      }
    }
    rc = dm->SQLMoreResults(st);
  } while (SQL_SUCCEEDED(rc));
  if (rc != SQL_NO_DATA)
    return odbcpool__err_odbc(err, ODBCPOOL_EODBC, SQL_HANDLE_STMT, st,
                              "reset statement failed");
  dm->SQLFreeStmt(st, SQL_CLOSE);
  return ODBCPOOL_OK;
}

int odbcpool__exec(SQLHDBC hdbc, const char *sql, bool gexec,
                   bool expect_no_rows, odbcpool_error *err) {
  const struct odbcpool__dm *dm = odbcpool__dm(err);
  if (dm == NULL)
    return ODBCPOOL_EDM;
  SQLHSTMT st = SQL_NULL_HSTMT;
  if (!SQL_SUCCEEDED(dm->SQLAllocHandle(SQL_HANDLE_STMT, hdbc, &st)))
    return odbcpool__err_odbc(err, ODBCPOOL_EODBC, SQL_HANDLE_DBC, hdbc,
                              "cannot allocate a statement");
  struct odbcpool__buf gen = {0};
  int code = run_one(dm, st, sql, gexec ? &gen : NULL, expect_no_rows, err);
  /* Generated statements run after the generating cursor is closed:
   * some drivers allow only one active statement per connection. */
  for (size_t off = 0; code == ODBCPOOL_OK && off < gen.len;) {
    const char *stmt = gen.data + off;
    code = run_one(dm, st, stmt, NULL, false, err);
    off += strlen(stmt) + 1;
  }
  odbcpool__buf_wipe(&gen);
  dm->SQLFreeHandle(SQL_HANDLE_STMT, st);
  return code;
}

/* Step 1: statements and descriptors the borrower left allocated. */
static int free_tracked(const struct odbcpool__dm *dm, odbcpool_conn *c,
                        odbcpool_error *err) {
  int code = ODBCPOOL_OK;
  for (size_t i = 0; i < c->nhandles; i++) {
    struct tracked_handle *t = &c->handles[i];
    SQLRETURN rc = dm->SQLFreeHandle(t->type, t->handle);
    if (!SQL_SUCCEEDED(rc) && t->type == SQL_HANDLE_STMT) {
      /* A statement waiting for data at execution (or still executing)
       * cannot be freed until it is cancelled (HY010). */
      dm->SQLCancel(t->handle);
      rc = dm->SQLFreeHandle(t->type, t->handle);
    }
    if (!SQL_SUCCEEDED(rc) && code == ODBCPOOL_OK)
      code = odbcpool__err(err, ODBCPOOL_EODBC, "HY000",
                           "cannot free a %s left by the borrower",
                           t->type == SQL_HANDLE_STMT ? "statement"
                                                      : "descriptor");
  }
  c->nhandles = 0;
  return code;
}

/* Step 4: SQL_ATTR_RESET_CONNECTION, where the driver takes it. The first
 * refusal marks the pool's driver as not supporting it; after one
 * success, a refusal is a failure. */
static int reset_connection(const struct odbcpool__dm *dm, odbcpool_conn *c,
                            odbcpool_error *err) {
  struct pool *p = c->pool;
  int support = __atomic_load_n(&p->reset_conn_support, __ATOMIC_ACQUIRE);
  if (!p->cfg->reset_connection || support == 0)
    return ODBCPOOL_OK;
  SQLRETURN rc = dm->SQLSetConnectAttr(
      c->hdbc, SQL_ATTR_RESET_CONNECTION,
      (SQLPOINTER)(uintptr_t)SQL_RESET_CONNECTION_YES, SQL_IS_UINTEGER);
  if (SQL_SUCCEEDED(rc)) {
    __atomic_store_n(&p->reset_conn_support, 1, __ATOMIC_RELEASE);
    return ODBCPOOL_OK;
  }
  if (support == 1)
    return odbcpool__err_odbc(err, ODBCPOOL_EODBC, SQL_HANDLE_DBC, c->hdbc,
                              "SQL_ATTR_RESET_CONNECTION failed");
  __atomic_store_n(&p->reset_conn_support, 0, __ATOMIC_RELEASE);
  odbcpool__log(ODBCPOOL_LOG_INFO,
                "pool %s: driver does not take SQL_ATTR_RESET_CONNECTION",
                p->dsn);
  return ODBCPOOL_OK;
}

int odbcpool__reset(odbcpool_conn *c, odbcpool_error *err) {
  const struct odbcpool__dm *dm = odbcpool__dm(err);
  if (dm == NULL)
    return ODBCPOOL_EDM;
  const struct cfg_pool *cfg = c->pool->cfg;

  int code = free_tracked(dm, c, err);
  if (code != ODBCPOOL_OK)
    return code;

  /* Step 2: a transaction may be open whether or not autocommit is on
   * now (the borrower may have switched it back on, or sent BEGIN). */
  SQLRETURN rc = dm->SQLEndTran(SQL_HANDLE_DBC, c->hdbc, SQL_ROLLBACK);
  if (!SQL_SUCCEEDED(rc))
    return odbcpool__err_odbc(err, ODBCPOOL_EODBC, SQL_HANDLE_DBC, c->hdbc,
                              "rollback failed");

  /* Step 3: every listed attribute, or (driver module) those the
   * borrower set; one outside the list cannot be restored. */
  if (c->untracked_change)
    return odbcpool__err(err, ODBCPOOL_EODBC, "HY000",
                         "the borrower set a connection attribute the "
                         "reset cannot restore");
  for (int i = c->nextra_attrs - 1; i >= 0; i--) {
    rc = dm->SQLSetConnectAttr(c->hdbc, c->extra_attrs[i].attr,
                               (SQLPOINTER)(uintptr_t)c->extra_attrs[i].value,
                               0);
    if (!SQL_SUCCEEDED(rc))
      return odbcpool__err_odbc(err, ODBCPOOL_EODBC, SQL_HANDLE_DBC, c->hdbc,
                                "cannot restore a connection attribute");
  }
  c->nextra_attrs = 0;
  /* Attributes SQL text can change too (USE db, SET autocommit, SET
   * TRANSACTION ...) are compared on every return even when the driver
   * module saw no ODBC call change them. */
  const unsigned by_sql = 1u << ODBCPOOL_ATTR_CURRENT_CATALOG |
                          1u << ODBCPOOL_ATTR_AUTOCOMMIT |
                          1u << ODBCPOOL_ATTR_TXN_ISOLATION |
                          1u << ODBCPOOL_ATTR_ACCESS_MODE;
  code = odbcpool__attrs_restore(
      c->hdbc, &c->attrs, c->tracked_attrs ? c->attrs_touched | by_sql : ~0u,
      err);
  if (code != ODBCPOOL_OK)
    return code;
  c->attrs_touched = 0;

  /* Step 4. */
  code = reset_connection(dm, c, err);
  if (code != ODBCPOOL_OK)
    return code;

  /* Step 5: the DSN's reset script. */
  for (size_t i = 0; i < cfg->nreset; i++) {
    code = odbcpool__exec(c->hdbc, cfg->reset[i].sql, cfg->reset[i].gexec,
                          false, err);
    if (code != ODBCPOOL_OK)
      return code;
  }

  /* Step 6. */
  if (cfg->verify_query != NULL) {
    code = odbcpool__exec(c->hdbc, cfg->verify_query, false, true, err);
    if (code != ODBCPOOL_OK)
      return code;
  }

  /* With autocommit off at connect time, the script ran in a transaction
   * whose effects (dropped temp tables) must stick. */
  const struct odbcpool__attr_value *ac = &c->attrs.v[ODBCPOOL_ATTR_AUTOCOMMIT];
  if (ac->supported && ac->num == SQL_AUTOCOMMIT_OFF &&
      (cfg->nreset > 0 || cfg->verify_query != NULL)) {
    rc = dm->SQLEndTran(SQL_HANDLE_DBC, c->hdbc, SQL_COMMIT);
    if (!SQL_SUCCEEDED(rc))
      return odbcpool__err_odbc(err, ODBCPOOL_EODBC, SQL_HANDLE_DBC, c->hdbc,
                                "commit of the reset failed");
  }
  return ODBCPOOL_OK;
}
