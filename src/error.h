/* error.h — filling odbcpool_error and per-connection error text. */
#ifndef ODBCPOOL_ERROR_H
#define ODBCPOOL_ERROR_H

#include <sql.h>

#include "odbcpool.h"

/* Sets `err` (NULL is allowed) to `code` with a formatted message and an
 * optional SQLSTATE (NULL: none). Returns `code`, so callers can write
 * `return odbcpool__err(err, ODBCPOOL_EINVAL, NULL, "...")`. */
int odbcpool__err(odbcpool_error *err, int code, const char *sqlstate,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Sets `err` to `code` with the message "<what>: " followed by every
 * diagnostic record of (type, handle), read through the dm table; the
 * SQLSTATE and native error are those of the first record. Call before
 * the handle is freed: the records die with it. Returns `code`. */
int odbcpool__err_odbc(odbcpool_error *err, int code, SQLSMALLINT type,
                       SQLHANDLE handle, const char *what);

/* Diagnostic records of the target, kept for the driver module, which
 * must pass them through unchanged. */
#define ODBCPOOL_DIAG_MAX 8
struct odbcpool__diag {
  int n;
  struct {
    char state[6];
    SQLINTEGER native;
    char text[512];
  } rec[ODBCPOOL_DIAG_MAX];
};

/* Copies up to ODBCPOOL_DIAG_MAX diagnostic records of (type, handle)
 * into `diag` (NULL is allowed), before the handle goes away. */
void odbcpool__diag_capture(SQLSMALLINT type, SQLHANDLE handle,
                            struct odbcpool__diag *diag);

/* Clears `err` to OK (NULL is allowed). */
void odbcpool__err_clear(odbcpool_error *err);

#endif /* ODBCPOOL_ERROR_H */
