/* audit_read.h — reading an audit trail back: its verified records as
 * fields, for `odbcpool audit subject` and `odbcpool audit report`. */
#ifndef ODBCPOOL_AUDIT_READ_H
#define ODBCPOOL_AUDIT_READ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "audit_keys.h"
#include "odbcpool.h"
#include "util.h"

/* A string field as the record holds it: the bytes between its quotes,
 * still JSON-escaped (plain ASCII). s is NULL when the field is absent. */
struct odbcpool__jstr {
  const char *s;
  size_t n;
};

/* The fields of one verified record. Strings point into the line. */
struct odbcpool__audit_entry {
  const char *file;
  unsigned long line;
  uint64_t seq;
  int64_t time_ms;
  char time[25];
  char event[24];
  struct odbcpool__jstr pool, purpose, reason;
  uint64_t conn;      /* 0: none */
  uint64_t pid;       /* the writing process (conn ids are per process) */
  char principal[33]; /* "": none */
  char period[ODBCPOOL_PKEY_ID_MAX]; /* "": none (the audit key's) */
  int64_t duration_ms, wait_ms;      /* -1: none */
  uint64_t lost;                     /* records not written, 0: none */
};

/* Parses a record line (n bytes, as the verifier hands it over) into e.
 * Returns false if it lacks the fixed head fields. */
bool odbcpool__audit_entry_parse(const char *line, size_t n,
                                 struct odbcpool__audit_entry *e);

/* Epoch milliseconds of an ISO 8601 UTC time as records hold it
 * ("2026-11-24T23:38:53.123Z"), or of a date "2026-11-24" (its midnight
 * UTC), or of "2026-11-24T23:38:53Z". Returns false on anything else. */
bool odbcpool__audit_parse_time(const char *s, int64_t *ms /* OUT */);

/* How a string field is shown. TEXT: decoded to UTF-8, except that
 * control characters (C0, DEL, C1) and bidirectional overrides stay
 * \uXXXX escapes and a backslash stays "\\", so nothing in a record can
 * move the cursor of a terminal or hide text. HTML: the same, with & < >
 * " ' as entities. JSON: the record's own escaped text, in quotes. */
enum odbcpool__show {
  ODBCPOOL_SHOW_TEXT,
  ODBCPOOL_SHOW_HTML,
  ODBCPOOL_SHOW_JSON
};
void odbcpool__audit_show(struct odbcpool__buf *b, struct odbcpool__jstr v,
                          enum odbcpool__show how);

/* What a scan of a trail found besides the records. */
struct odbcpool__audit_scan {
  uint64_t records; /* records that verified */
  uint64_t nbad;    /* bad places (tampered, removed, ...) */
  char **bad;       /* their "FILE:LINE: reason", at most 100 kept */
  size_t nbadkept;
  int rc;           /* OK, EINVAL (not intact), or another error */
  char error[1024]; /* with rc other than OK and EINVAL */
};

/* Verifies the trail in files[] with the audit key in key_file and hands
 * each verified record to on_entry, in chain order; every bad place is
 * listed in out, none stops the scan. syslog: the files hold syslog
 * lines. Returns out->rc. Free out with odbcpool__audit_scan_free. */
int odbcpool__audit_scan_files(
    const char *key_file, char *const *files, int nfiles, bool syslog,
    void (*on_entry)(void *ctx, const struct odbcpool__audit_entry *e),
    void *ctx, struct odbcpool__audit_scan *out);
void odbcpool__audit_scan_free(struct odbcpool__audit_scan *s);

#endif /* ODBCPOOL_AUDIT_READ_H */
