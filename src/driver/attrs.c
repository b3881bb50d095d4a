/* attrs.c — connection and statement attributes, and SQLGetFunctions:
 * the calls that need more than forwarding. */
#include "build.h"

#include <stdlib.h>
#include <string.h>

#include "driver.h"

/* Attributes whose value is a string. */
static bool string_attr(SQLINTEGER attr) {
  return attr == SQL_ATTR_CURRENT_CATALOG || attr == SQL_ATTR_TRACEFILE ||
         attr == SQL_ATTR_TRANSLATE_LIB;
}

/* Keeps an attribute set before connect, to apply it to the borrowed
 * connection. String values are copied (len in bytes, or SQL_NTS). */
static SQLRETURN keep_preattr(struct drv_dbc *d, SQLINTEGER attr,
                              SQLPOINTER value, SQLINTEGER len, bool wide) {
  struct drv_preattr *a = NULL;
  for (int i = 0; i < d->npre; i++)
    if (d->pre[i].attr == attr)
      a = &d->pre[i];
  if (a == NULL) {
    if (d->npre == DRV_PREATTR_MAX)
      return drv_error(&d->h, "HY000", "too many attributes before connect");
    a = &d->pre[d->npre++];
    memset(a, 0, sizeof *a);
    a->attr = attr;
  }
  free(a->str);
  a->str = NULL;
  a->num = (SQLULEN)(uintptr_t)value;
  a->len = 0;
  if (string_attr(attr) && value != NULL) {
    size_t n;
    if (len == SQL_NTS) {
      if (wide) {
        const SQLWCHAR *w = value;
        for (n = 0; w[n]; n++)
          ;
        n *= sizeof(SQLWCHAR);
      } else {
        n = strlen(value);
      }
    } else {
      n = len > 0 ? (size_t)len : 0;
    }
    a->str = calloc(1, n + sizeof(SQLWCHAR));
    if (a->str == NULL)
      return drv_error(&d->h, "HY001", "out of memory");
    memcpy(a->str, value, n);
    a->len = SQL_NTS;
  }
  if (attr == SQL_ATTR_LOGIN_TIMEOUT)
    d->login_timeout = (SQLUINTEGER)(uintptr_t)value;
  return SQL_SUCCESS;
}

static SQLRETURN set_connect_attr(SQLHDBC h, SQLINTEGER attr, SQLPOINTER v,
                                  SQLINTEGER len, bool wide) {
  struct drv_dbc *d = drv_dbc_enter(h);
  if (d == NULL)
    return SQL_INVALID_HANDLE;
  /* The driver manager tells its driver whether the application is ANSI;
   * the target's driver manager does the same for the target on its
   * own, so it is not passed on. */
  if (attr == SQL_ATTR_ANSI_APP)
    return SQL_SUCCESS;
  if (d->conn == NULL)
    return keep_preattr(d, attr, v, len, wide);
  /* Before the change, so the reset knows what to restore. */
  odbcpool__conn_note_attr(d->conn, attr);
  return wide ? drv_dm->SQLSetConnectAttrW(d->target, attr, v, len)
              : drv_dm->SQLSetConnectAttr(d->target, attr, v, len);
}

DRV_EXPORT SQLRETURN SQL_API SQLSetConnectAttr(SQLHDBC h, SQLINTEGER attr,
                                               SQLPOINTER v, SQLINTEGER len) {
  return set_connect_attr(h, attr, v, len, false);
}

DRV_EXPORT SQLRETURN SQL_API SQLSetConnectAttrW(SQLHDBC h, SQLINTEGER attr,
                                                SQLPOINTER v, SQLINTEGER len) {
  return set_connect_attr(h, attr, v, len, true);
}

static SQLRETURN get_connect_attr(SQLHDBC h, SQLINTEGER attr, SQLPOINTER v,
                                  SQLINTEGER buflen, SQLINTEGER *outlen,
                                  bool wide) {
  struct drv_dbc *d = drv_dbc_enter(h);
  if (d == NULL)
    return SQL_INVALID_HANDLE;
  if (d->conn != NULL)
    return wide ? drv_dm->SQLGetConnectAttrW(d->target, attr, v, buflen, outlen)
                : drv_dm->SQLGetConnectAttr(d->target, attr, v, buflen, outlen);
  /* Not connected: what was set, else the defaults ODBC defines. */
  SQLULEN num;
  bool found = false;
  for (int i = 0; i < d->npre; i++) {
    if (d->pre[i].attr == attr && d->pre[i].str == NULL) {
      num = d->pre[i].num;
      found = true;
    }
  }
  if (!found) {
    switch (attr) {
    case SQL_ATTR_AUTOCOMMIT:
      num = SQL_AUTOCOMMIT_ON;
      break;
    case SQL_ATTR_ACCESS_MODE:
      num = SQL_MODE_READ_WRITE;
      break;
    case SQL_ATTR_LOGIN_TIMEOUT:
    case SQL_ATTR_CONNECTION_TIMEOUT:
      num = 0;
      break;
    case SQL_ATTR_CONNECTION_DEAD:
      num = SQL_CD_TRUE;
      break;
    default:
      return drv_error(&d->h, "HY092",
                       "attribute %d is not available before connect",
                       (int)attr);
    }
  }
  if (v != NULL)
    *(SQLUINTEGER *)v = (SQLUINTEGER)num;
  if (outlen != NULL)
    *outlen = sizeof(SQLUINTEGER);
  return SQL_SUCCESS;
}

DRV_EXPORT SQLRETURN SQL_API SQLGetConnectAttr(SQLHDBC h, SQLINTEGER attr,
                                               SQLPOINTER v, SQLINTEGER buflen,
                                               SQLINTEGER *outlen) {
  return get_connect_attr(h, attr, v, buflen, outlen, false);
}

DRV_EXPORT SQLRETURN SQL_API SQLGetConnectAttrW(SQLHDBC h, SQLINTEGER attr,
                                                SQLPOINTER v, SQLINTEGER buflen,
                                                SQLINTEGER *outlen) {
  return get_connect_attr(h, attr, v, buflen, outlen, true);
}

/* ODBC 2's SQLSetConnectOption and SQLGetConnectOption. Before connect
 * they keep and answer what was set, as the ODBC 3 calls do; once
 * connected they go to the target as themselves, so its driver manager
 * maps them for the target driver as it would for the application, and
 * the reset learns first which attribute to restore. An ODBC 2 string
 * option is NUL-terminated. */
static SQLRETURN set_connect_option(SQLHDBC h, SQLUSMALLINT option,
                                    SQLULEN value, bool wide) {
  struct drv_dbc *d = drv_dbc_enter(h);
  if (d == NULL)
    return SQL_INVALID_HANDLE;
  if (d->conn == NULL)
    return keep_preattr(d, option, (SQLPOINTER)(uintptr_t)value, SQL_NTS, wide);
  odbcpool__conn_note_attr(d->conn, option);
  return wide ? drv_dm->SQLSetConnectOptionW(d->target, option, value)
              : drv_dm->SQLSetConnectOption(d->target, option, value);
}

DRV_EXPORT SQLRETURN SQL_API SQLSetConnectOption(SQLHDBC h, SQLUSMALLINT option,
                                                 SQLULEN value) {
  return set_connect_option(h, option, value, false);
}

DRV_EXPORT SQLRETURN SQL_API SQLSetConnectOptionW(SQLHDBC h,
                                                  SQLUSMALLINT option,
                                                  SQLULEN value) {
  return set_connect_option(h, option, value, true);
}

static SQLRETURN get_connect_option(SQLHDBC h, SQLUSMALLINT option,
                                    SQLPOINTER value, bool wide) {
  struct drv_dbc *d = h;
  if (d != NULL && d->h.kind == DRV_DBC && d->conn != NULL) {
    drv_dbc_enter(h);
    return wide ? drv_dm->SQLGetConnectOptionW(d->target, option, value)
                : drv_dm->SQLGetConnectOption(d->target, option, value);
  }
  return get_connect_attr(h, option, value, SQL_MAX_OPTION_STRING_LENGTH, NULL,
                          wide);
}

DRV_EXPORT SQLRETURN SQL_API SQLGetConnectOption(SQLHDBC h, SQLUSMALLINT option,
                                                 SQLPOINTER value) {
  return get_connect_option(h, option, value, false);
}

DRV_EXPORT SQLRETURN SQL_API SQLGetConnectOptionW(SQLHDBC h,
                                                  SQLUSMALLINT option,
                                                  SQLPOINTER value) {
  return get_connect_option(h, option, value, true);
}

/* ------------------------------------------------------- statements */

/* Index of a descriptor attribute in drv_stmt.implicit, or -1. */
static int desc_slot(SQLINTEGER attr) {
  switch (attr) {
  case SQL_ATTR_APP_ROW_DESC:
    return 0;
  case SQL_ATTR_APP_PARAM_DESC:
    return 1;
  case SQL_ATTR_IMP_ROW_DESC:
    return 2;
  case SQL_ATTR_IMP_PARAM_DESC:
    return 3;
  default:
    return -1;
  }
}

/* Our handle for the target descriptor `t` of statement `s`: an explicit
 * descriptor the application allocated, or the wrapper of an implicit
 * one, made on first use. NULL on ENOMEM. */
static struct drv_desc *wrap_desc(struct drv_stmt *s, int slot, SQLHDESC t) {
  struct drv_dbc *d = s->dbc;
  struct drv_desc *found = NULL;
  pthread_mutex_lock(&d->lock);
  for (struct drv_desc *x = d->descs; x; x = x->next)
    if (x->target == t)
      found = x;
  pthread_mutex_unlock(&d->lock);
  if (found != NULL)
    return found;
  struct drv_desc *x = s->implicit[slot];
  if (x == NULL) {
    x = calloc(1, sizeof *x);
    if (x == NULL)
      return NULL;
    x->h.kind = DRV_DESC;
    x->dbc = d;
    x->implicit = true;
    s->implicit[slot] = x;
  }
  x->target = t;
  return x;
}

static SQLRETURN get_stmt_attr(SQLHSTMT h, SQLINTEGER attr, SQLPOINTER v,
                               SQLINTEGER buflen, SQLINTEGER *outlen,
                               bool wide) {
  struct drv_stmt *s = drv_stmt_enter(h);
  if (s == NULL)
    return SQL_INVALID_HANDLE;
  int slot = desc_slot(attr);
  if (slot < 0)
    return wide ? drv_dm->SQLGetStmtAttrW(s->target, attr, v, buflen, outlen)
                : drv_dm->SQLGetStmtAttr(s->target, attr, v, buflen, outlen);
  SQLHDESC t = SQL_NULL_HDESC;
  SQLRETURN rc = drv_dm->SQLGetStmtAttr(s->target, attr, &t, 0, NULL);
  if (!SQL_SUCCEEDED(rc))
    return rc;
  struct drv_desc *x = wrap_desc(s, slot, t);
  if (x == NULL)
    return drv_error(&s->h, "HY001", "out of memory");
  if (v != NULL)
    *(SQLHDESC *)v = x;
  if (outlen != NULL)
    *outlen = sizeof(SQLHDESC);
  return rc;
}

DRV_EXPORT SQLRETURN SQL_API SQLGetStmtAttr(SQLHSTMT h, SQLINTEGER attr,
                                            SQLPOINTER v, SQLINTEGER buflen,
                                            SQLINTEGER *outlen) {
  return get_stmt_attr(h, attr, v, buflen, outlen, false);
}

DRV_EXPORT SQLRETURN SQL_API SQLGetStmtAttrW(SQLHSTMT h, SQLINTEGER attr,
                                             SQLPOINTER v, SQLINTEGER buflen,
                                             SQLINTEGER *outlen) {
  return get_stmt_attr(h, attr, v, buflen, outlen, true);
}

static SQLRETURN set_stmt_attr(SQLHSTMT h, SQLINTEGER attr, SQLPOINTER v,
                               SQLINTEGER len, bool wide) {
  struct drv_stmt *s = drv_stmt_enter(h);
  if (s == NULL)
    return SQL_INVALID_HANDLE;
  if (attr == SQL_ATTR_APP_ROW_DESC || attr == SQL_ATTR_APP_PARAM_DESC) {
    /* The value is one of our descriptor handles (or NULL, back to the
     * implicit one): pass the target's. */
    struct drv_desc *x = v;
    if (x != NULL && x->h.kind != DRV_DESC)
      return drv_error(&s->h, "HY024", "invalid descriptor handle");
    v = x ? x->target : NULL;
  }
  return wide ? drv_dm->SQLSetStmtAttrW(s->target, attr, v, len)
              : drv_dm->SQLSetStmtAttr(s->target, attr, v, len);
}

DRV_EXPORT SQLRETURN SQL_API SQLSetStmtAttr(SQLHSTMT h, SQLINTEGER attr,
                                            SQLPOINTER v, SQLINTEGER len) {
  return set_stmt_attr(h, attr, v, len, false);
}

DRV_EXPORT SQLRETURN SQL_API SQLSetStmtAttrW(SQLHSTMT h, SQLINTEGER attr,
                                             SQLPOINTER v, SQLINTEGER len) {
  return set_stmt_attr(h, attr, v, len, true);
}

/* ------------------------------------------------------- functions */

/* What the target supports, as its driver manager reports it, but never
 * less than the driver manager needs from us to work at all. */
DRV_EXPORT SQLRETURN SQL_API SQLGetFunctions(SQLHDBC h, SQLUSMALLINT id,
                                             SQLUSMALLINT *supported) {
  struct drv_dbc *d = drv_dbc_enter(h);
  if (d == NULL)
    return SQL_INVALID_HANDLE;
  if (d->conn == NULL)
    return drv_error(&d->h, "08003", "connection not open");
  SQLRETURN rc = drv_dm->SQLGetFunctions(d->target, id, supported);
  if (!SQL_SUCCEEDED(rc) || supported == NULL)
    return rc;
  static const SQLUSMALLINT needed[] = {
      SQL_API_SQLALLOCHANDLE,    SQL_API_SQLFREEHANDLE,
      SQL_API_SQLGETDIAGREC,     SQL_API_SQLGETDIAGFIELD,
      SQL_API_SQLGETFUNCTIONS,   SQL_API_SQLGETINFO,
      SQL_API_SQLCONNECT,        SQL_API_SQLDRIVERCONNECT,
      SQL_API_SQLDISCONNECT,     SQL_API_SQLGETCONNECTATTR,
      SQL_API_SQLSETCONNECTATTR, SQL_API_SQLGETSTMTATTR,
      SQL_API_SQLSETSTMTATTR,    SQL_API_SQLFREESTMT,
      SQL_API_SQLENDTRAN,        SQL_API_SQLGETENVATTR,
      SQL_API_SQLSETENVATTR};
  if (id == SQL_API_ODBC3_ALL_FUNCTIONS) {
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
      supported[needed[i] >> 4] |= (SQLUSMALLINT)(1u << (needed[i] & 0xF));
  } else if (id == SQL_API_ALL_FUNCTIONS) {
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
      if (needed[i] < 100)
        supported[needed[i]] = SQL_TRUE;
  } else {
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
      if (needed[i] == id)
        *supported = SQL_TRUE;
  }
  return rc;
}

/* libltdl looks for odbcpool_driver_LTX_<name> before <name>; answering
 * the first lookup saves the driver manager a failed one per entry point
 * on every connect (doc/BENCHMARKS.md). */
DRV_LTX(SQLGetConnectAttr);
DRV_LTX(SQLGetConnectAttrW);
DRV_LTX(SQLSetConnectAttr);
DRV_LTX(SQLSetConnectAttrW);
DRV_LTX(SQLGetStmtAttr);
DRV_LTX(SQLGetStmtAttrW);
DRV_LTX(SQLSetStmtAttr);
DRV_LTX(SQLSetStmtAttrW);
DRV_LTX(SQLGetFunctions);
DRV_LTX(SQLGetConnectOption);
DRV_LTX(SQLGetConnectOptionW);
DRV_LTX(SQLSetConnectOption);
DRV_LTX(SQLSetConnectOptionW);
DRV_ANSI(SQLGetConnectAttr);
DRV_ANSI(SQLSetConnectAttr);
DRV_ANSI(SQLGetStmtAttr);
DRV_ANSI(SQLSetStmtAttr);
DRV_ANSI(SQLGetConnectOption);
DRV_ANSI(SQLSetConnectOption);
