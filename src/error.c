/* error.c — result code messages and filling odbcpool_error. */
#include "build.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dm.h"
#include "error.h"

static const char *const errmsgs[] = {
#define XX(name, msg) msg,
    ODBCPOOL_ERRNO_MAP(XX)
#undef XX
};

static const char *const close_names[] = {
#define XX(name, msg) msg,
    ODBCPOOL_CLOSE_REASON_MAP(XX)
#undef XX
};

const char *odbcpool_strerror(int code) {
  if (code < 0 || code >= ODBCPOOL_ERRNO_MAX_)
    return "unknown error";
  return errmsgs[code];
}

const char *odbcpool_close_reason_name(int reason) {
  if (reason < 0 || reason >= ODBCPOOL_CLOSE_MAX_)
    return "unknown";
  return close_names[reason];
}

void odbcpool__err_clear(odbcpool_error *err) {
  if (err == NULL)
    return;
  err->code = ODBCPOOL_OK;
  err->sqlstate[0] = '\0';
  err->native = 0;
  err->message[0] = '\0';
}

static void set_state(odbcpool_error *err, const char *sqlstate) {
  if (sqlstate == NULL) {
    err->sqlstate[0] = '\0';
    return;
  }
  snprintf(err->sqlstate, sizeof err->sqlstate, "%s", sqlstate);
}

int odbcpool__err(odbcpool_error *err, int code, const char *sqlstate,
                  const char *fmt, ...) {
  if (err == NULL)
    return code;
  err->code = code;
  err->native = 0;
  set_state(err, sqlstate);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return code;
}

int odbcpool__err_odbc(odbcpool_error *err, int code, SQLSMALLINT type,
                       SQLHANDLE handle, const char *what) {
  if (err == NULL)
    return code;
  err->code = code;
  err->native = 0;
  err->sqlstate[0] = '\0';
  size_t used = (size_t)snprintf(err->message, sizeof err->message, "%s", what);
  const struct odbcpool__dm *dm = odbcpool__dm(NULL);
  if (dm == NULL || handle == SQL_NULL_HANDLE)
    return code;
  for (SQLSMALLINT rec = 1; rec <= 8; rec++) {
    SQLCHAR state[6], text[512];
    SQLINTEGER native = 0;
    SQLSMALLINT tlen = 0;
    SQLRETURN rc = dm->SQLGetDiagRec(type, handle, rec, state, &native, text,
                                     sizeof text, &tlen);
    if (!SQL_SUCCEEDED(rc))
      break;
    if (rec == 1) {
      memcpy(err->sqlstate, state, sizeof err->sqlstate);
      err->sqlstate[5] = '\0';
      err->native = native;
    }
    if (used < sizeof err->message) {
      /* Drivers end lines inside messages; a message is one line. */
      for (SQLCHAR *t = text; *t; t++)
        if (*t < 0x20)
          *t = ' ';
      size_t tl = strlen((char *)text);
      while (tl > 0 && text[tl - 1] == ' ')
        text[--tl] = '\0';
      int n =
          snprintf(err->message + used, sizeof err->message - used, "%s[%s] %s",
                   rec == 1 ? ": " : "; ", (char *)state, (char *)text);
      if (n > 0)
        used += (size_t)n;
    }
  }
  return code;
}

void odbcpool__diag_capture(SQLSMALLINT type, SQLHANDLE handle,
                            struct odbcpool__diag *diag) {
  if (diag == NULL)
    return;
  diag->n = 0;
  const struct odbcpool__dm *dm = odbcpool__dm(NULL);
  if (dm == NULL || handle == SQL_NULL_HANDLE)
    return;
  while (diag->n < ODBCPOOL_DIAG_MAX) {
    SQLSMALLINT tlen = 0;
    SQLCHAR state[6];
    SQLINTEGER native = 0;
    SQLRETURN rc =
        dm->SQLGetDiagRec(type, handle, (SQLSMALLINT)(diag->n + 1), state,
                          &native, (SQLCHAR *)diag->rec[diag->n].text,
                          (SQLSMALLINT)sizeof diag->rec[diag->n].text, &tlen);
    if (!SQL_SUCCEEDED(rc))
      break;
    memcpy(diag->rec[diag->n].state, state, 6);
    diag->rec[diag->n].state[5] = '\0';
    diag->rec[diag->n].native = native;
    diag->n++;
  }
}
