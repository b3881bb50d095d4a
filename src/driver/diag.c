/* diag.c — diagnostics: odbcpool's own records, or the target's passed
 * through unchanged; SQLGetDiagRec/Field in ANSI and W. */
#include "build.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"

void drv_diag_free(struct drv_diag *d) {
  free(d->rec);
  d->rec = NULL;
  d->n = 0;
}

static struct drv_diag_rec *diag_add(struct drv_handle *h) {
  struct drv_diag *d = &h->diag;
  if (d->rec == NULL) {
    d->rec = calloc(DRV_DIAG_MAX, sizeof *d->rec);
    if (d->rec == NULL)
      return NULL;
  }
  if (d->n >= DRV_DIAG_MAX)
    return NULL;
  d->rc = SQL_ERROR;
  return &d->rec[d->n++];
}

SQLRETURN drv_error(struct drv_handle *h, const char *state, const char *fmt,
                    ...) {
  struct drv_diag_rec *r = diag_add(h);
  if (r == NULL)
    return SQL_ERROR;
  snprintf(r->state, sizeof r->state, "%s", state);
  r->native = 0;
  int n = snprintf(r->text, sizeof r->text, "[odbcpool] ");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->text + n, sizeof r->text - (size_t)n, fmt, ap);
  va_end(ap);
  return SQL_ERROR;
}

/* The SQLSTATE for an odbcpool error code, where the core did not take
 * one from the target. */
static const char *state_for(const odbcpool_error *err) {
  switch (err->code) {
  case ODBCPOOL_ETIMEDOUT:
    return "HYT00";
  case ODBCPOOL_ECONNECT:
    return "08001";
  case ODBCPOOL_ECREDENTIALS:
    return "28000";
  case ODBCPOOL_ENOMEM:
    return "HY001";
  case ODBCPOOL_ECONFIG:
  case ODBCPOOL_EIO:
  default:
    return "HY000";
  }
}

SQLRETURN drv_error_pool(struct drv_handle *h, const odbcpool_error *err,
                         const struct odbcpool__diag *diag) {
  const char *state = state_for(err);
  if (diag != NULL && diag->n > 0) {
    /* A failure the target reported: its records alone, as it gave
     * them, so that an application reads the SQLSTATEs it would read
     * without odbcpool, in the same order (a client that reports the
     * last record, as DBD::ODBC does, would otherwise report odbcpool's
     * 08001 for the target's 28000). The pool's own account of the
     * failure goes to its log (src/conn.c). */
    for (int i = 0; i < diag->n; i++) {
      struct drv_diag_rec *r = diag_add(h);
      if (r == NULL)
        break;
      memcpy(r->state, diag->rec[i].state, sizeof r->state);
      r->native = diag->rec[i].native;
      snprintf(r->text, sizeof r->text, "%s", diag->rec[i].text);
    }
    return SQL_ERROR;
  }
  if (err->code == ODBCPOOL_ETIMEDOUT || err->code == ODBCPOOL_ECONFIG ||
      err->sqlstate[0] == '\0')
    return drv_error(h, state, "%s", err->message);
  return drv_error(h, err->sqlstate, "%s", err->message);
}

/* ------------------------------------------------------------- answer */

/* Whether `h` is one of our handles of ODBC handle type `type`. */
static bool valid_kind(SQLSMALLINT type, const struct drv_handle *h) {
  if (h == NULL)
    return false;
  switch (type) {
  case SQL_HANDLE_ENV:
    return h->kind == DRV_ENV;
  case SQL_HANDLE_DBC:
    return h->kind == DRV_DBC;
  case SQL_HANDLE_STMT:
    return h->kind == DRV_STMT;
  case SQL_HANDLE_DESC:
    return h->kind == DRV_DESC;
  default:
    return false;
  }
}

static SQLRETURN own_rec(const struct drv_handle *h, SQLSMALLINT recno,
                         SQLPOINTER state, SQLINTEGER *native, SQLPOINTER text,
                         SQLSMALLINT buflen, SQLSMALLINT *textlen, bool wide) {
  const struct drv_diag *d = &h->diag;
  if (recno < 1)
    return SQL_ERROR;
  if (recno > d->n)
    return SQL_NO_DATA;
  const struct drv_diag_rec *r = &d->rec[recno - 1];
  if (state != NULL)
    drv_put_text(r->state, state, 6, wide, NULL);
  if (native != NULL)
    *native = r->native;
  SQLINTEGER len = 0;
  bool cut = drv_put_text(r->text, text, buflen, wide, &len);
  if (textlen != NULL)
    *textlen = (SQLSMALLINT)len;
  return cut ? SQL_SUCCESS_WITH_INFO : SQL_SUCCESS;
}

static SQLRETURN get_diag_rec(SQLSMALLINT type, SQLHANDLE handle,
                              SQLSMALLINT recno, SQLPOINTER state,
                              SQLINTEGER *native, SQLPOINTER text,
                              SQLSMALLINT buflen, SQLSMALLINT *textlen,
                              bool wide) {
  /* Diagnostic calls must not clear the records they read. */
  struct drv_handle *h = handle;
  if (!valid_kind(type, h))
    return SQL_INVALID_HANDLE;
  if (h->diag.n > 0)
    return own_rec(h, recno, state, native, text, buflen, textlen, wide);
  SQLHANDLE t = drv_target(h);
  if (t == SQL_NULL_HANDLE || drv_dm == NULL)
    return SQL_NO_DATA;
  if (wide)
    return drv_dm->SQLGetDiagRecW(type, t, recno, state, native, text, buflen,
                                  textlen);
  return drv_dm->SQLGetDiagRec(type, t, recno, state, native, text, buflen,
                               textlen);
}

DRV_EXPORT SQLRETURN SQL_API SQLGetDiagRec(SQLSMALLINT type, SQLHANDLE h,
                                           SQLSMALLINT recno, SQLCHAR *state,
                                           SQLINTEGER *native, SQLCHAR *text,
                                           SQLSMALLINT buflen,
                                           SQLSMALLINT *textlen) {
  return get_diag_rec(type, h, recno, state, native, text, buflen, textlen,
                      false);
}

DRV_EXPORT SQLRETURN SQL_API SQLGetDiagRecW(SQLSMALLINT type, SQLHANDLE h,
                                            SQLSMALLINT recno, SQLWCHAR *state,
                                            SQLINTEGER *native, SQLWCHAR *text,
                                            SQLSMALLINT buflen,
                                            SQLSMALLINT *textlen) {
  return get_diag_rec(type, h, recno, state, native, text, buflen, textlen,
                      true);
}

/* ------------------------------------------------------------ ODBC 2 */

/* SQLError: the next record of the most specific handle given, which
 * the call removes. odbcpool's own records are taken in order; without
 * any, the call goes to the target handle as SQLError, so the target's
 * driver manager answers (and removes) as it would for the application.
 * SQL_NO_DATA after the last: the driver manager loops until then. */
static SQLRETURN error_odbc2(SQLHENV env, SQLHDBC dbc, SQLHSTMT stmt,
                             SQLPOINTER state, SQLINTEGER *native,
                             SQLPOINTER text, SQLSMALLINT buflen,
                             SQLSMALLINT *textlen, bool wide) {
  struct drv_handle *h;
  SQLSMALLINT type;
  if (stmt != SQL_NULL_HSTMT) {
    h = stmt, type = SQL_HANDLE_STMT;
  } else if (dbc != SQL_NULL_HDBC) {
    h = dbc, type = SQL_HANDLE_DBC;
  } else {
    h = env, type = SQL_HANDLE_ENV;
  }
  if (!valid_kind(type, h))
    return SQL_INVALID_HANDLE;
  struct drv_diag *d = &h->diag;
  if (d->n > 0) {
    if (d->taken >= d->n)
      return SQL_NO_DATA;
    SQLRETURN rc = own_rec(h, (SQLSMALLINT)(d->taken + 1), state, native, text,
                           buflen, textlen, wide);
    d->taken++;
    return rc;
  }
  SQLHANDLE t = drv_target(h);
  if (t == SQL_NULL_HANDLE || drv_dm == NULL)
    return SQL_NO_DATA;
  SQLHDBC tdbc = type == SQL_HANDLE_DBC ? t : SQL_NULL_HDBC;
  SQLHSTMT tstmt = type == SQL_HANDLE_STMT ? t : SQL_NULL_HSTMT;
  if (wide)
    return drv_dm->SQLErrorW(SQL_NULL_HENV, tdbc, tstmt, state, native, text,
                             buflen, textlen);
  return drv_dm->SQLError(SQL_NULL_HENV, tdbc, tstmt, state, native, text,
                          buflen, textlen);
}

DRV_EXPORT SQLRETURN SQL_API SQLError(SQLHENV env, SQLHDBC dbc, SQLHSTMT stmt,
                                      SQLCHAR *state, SQLINTEGER *native,
                                      SQLCHAR *text, SQLSMALLINT buflen,
                                      SQLSMALLINT *textlen) {
  return error_odbc2(env, dbc, stmt, state, native, text, buflen, textlen,
                     false);
}

DRV_EXPORT SQLRETURN SQL_API SQLErrorW(SQLHENV env, SQLHDBC dbc, SQLHSTMT stmt,
                                       SQLWCHAR *state, SQLINTEGER *native,
                                       SQLWCHAR *text, SQLSMALLINT buflen,
                                       SQLSMALLINT *textlen) {
  return error_odbc2(env, dbc, stmt, state, native, text, buflen, textlen,
                     true);
}

static const char *class_origin(const char *state) {
  /* Classes ODBC defines itself; the others come from ISO SQL. */
  if (state[0] == 'I' && state[1] == 'M')
    return "ODBC 3.0";
  if (state[0] == 'H' && state[1] == 'Y')
    return "ODBC 3.0";
  return "ISO 9075";
}

/* Writes a string field; BufferLength and *StringLength count bytes in
 * both variants of SQLGetDiagField. */
static SQLRETURN put_field(const char *s, SQLPOINTER buf, SQLSMALLINT buflen,
                           SQLSMALLINT *outlen, bool wide) {
  SQLINTEGER units = wide ? buflen / (SQLSMALLINT)sizeof(SQLWCHAR) : buflen;
  SQLINTEGER len = 0;
  bool cut = drv_put_text(s, buf, units, wide, &len);
  if (outlen != NULL)
    *outlen = (SQLSMALLINT)(wide ? len * (SQLINTEGER)sizeof(SQLWCHAR) : len);
  return cut ? SQL_SUCCESS_WITH_INFO : SQL_SUCCESS;
}

static SQLRETURN own_field(const struct drv_handle *h, SQLSMALLINT recno,
                           SQLSMALLINT field, SQLPOINTER info,
                           SQLSMALLINT buflen, SQLSMALLINT *outlen, bool wide) {
  const struct drv_diag *d = &h->diag;
  switch (field) { /* header fields */
  case SQL_DIAG_NUMBER:
    if (info)
      *(SQLINTEGER *)info = d->n;
    return SQL_SUCCESS;
  case SQL_DIAG_RETURNCODE:
    if (info)
      *(SQLRETURN *)info = d->rc;
    return SQL_SUCCESS;
  case SQL_DIAG_ROW_COUNT:
  case SQL_DIAG_CURSOR_ROW_COUNT:
    if (info)
      *(SQLLEN *)info = 0;
    return SQL_SUCCESS;
  case SQL_DIAG_DYNAMIC_FUNCTION:
    return put_field("", info, buflen, outlen, wide);
  case SQL_DIAG_DYNAMIC_FUNCTION_CODE:
    if (info)
      *(SQLINTEGER *)info = SQL_DIAG_UNKNOWN_STATEMENT;
    return SQL_SUCCESS;
  default:
    break;
  }
  if (recno < 1)
    return SQL_ERROR;
  if (recno > d->n)
    return SQL_NO_DATA;
  const struct drv_diag_rec *r = &d->rec[recno - 1];
  switch (field) {
  case SQL_DIAG_SQLSTATE:
    return put_field(r->state, info, buflen, outlen, wide);
  case SQL_DIAG_NATIVE:
    if (info)
      *(SQLINTEGER *)info = r->native;
    return SQL_SUCCESS;
  case SQL_DIAG_MESSAGE_TEXT:
    return put_field(r->text, info, buflen, outlen, wide);
  case SQL_DIAG_CLASS_ORIGIN:
  case SQL_DIAG_SUBCLASS_ORIGIN:
    return put_field(class_origin(r->state), info, buflen, outlen, wide);
  case SQL_DIAG_CONNECTION_NAME:
  case SQL_DIAG_SERVER_NAME:
    return put_field("", info, buflen, outlen, wide);
  case SQL_DIAG_COLUMN_NUMBER:
    if (info)
      *(SQLINTEGER *)info = SQL_NO_COLUMN_NUMBER;
    return SQL_SUCCESS;
  case SQL_DIAG_ROW_NUMBER:
    if (info)
      *(SQLLEN *)info = SQL_NO_ROW_NUMBER;
    return SQL_SUCCESS;
  default:
    return SQL_ERROR;
  }
}

static SQLRETURN get_diag_field(SQLSMALLINT type, SQLHANDLE handle,
                                SQLSMALLINT recno, SQLSMALLINT field,
                                SQLPOINTER info, SQLSMALLINT buflen,
                                SQLSMALLINT *outlen, bool wide) {
  struct drv_handle *h = handle;
  if (!valid_kind(type, h))
    return SQL_INVALID_HANDLE;
  if (h->diag.n > 0)
    return own_field(h, recno, field, info, buflen, outlen, wide);
  SQLHANDLE t = drv_target(h);
  if (t == SQL_NULL_HANDLE || drv_dm == NULL) {
    /* No records at all: the header still answers. */
    return own_field(h, recno, field, info, buflen, outlen, wide);
  }
  if (wide)
    return drv_dm->SQLGetDiagFieldW(type, t, recno, field, info, buflen,
                                    outlen);
  return drv_dm->SQLGetDiagField(type, t, recno, field, info, buflen, outlen);
}

DRV_EXPORT SQLRETURN SQL_API SQLGetDiagField(SQLSMALLINT type, SQLHANDLE h,
                                             SQLSMALLINT recno,
                                             SQLSMALLINT field, SQLPOINTER info,
                                             SQLSMALLINT buflen,
                                             SQLSMALLINT *outlen) {
  return get_diag_field(type, h, recno, field, info, buflen, outlen, false);
}

DRV_EXPORT SQLRETURN SQL_API SQLGetDiagFieldW(
    SQLSMALLINT type, SQLHANDLE h, SQLSMALLINT recno, SQLSMALLINT field,
    SQLPOINTER info, SQLSMALLINT buflen, SQLSMALLINT *outlen) {
  return get_diag_field(type, h, recno, field, info, buflen, outlen, true);
}

/* libltdl looks for odbcpool_driver_LTX_<name> before <name>; answering
 * the first lookup saves the driver manager a failed one per entry point
 * on every connect (doc/BENCHMARKS.md). */
DRV_LTX(SQLGetDiagRec);
DRV_LTX(SQLGetDiagRecW);
DRV_LTX(SQLGetDiagField);
DRV_LTX(SQLGetDiagFieldW);
DRV_LTX(SQLError);
DRV_LTX(SQLErrorW);
DRV_ANSI(SQLGetDiagRec);
DRV_ANSI(SQLGetDiagField);
DRV_ANSI(SQLError);
