/* audit_verify.h — the audit trail's verifier (audit_verify.c): for
 * `odbcpool audit verify` and the trail's readers (audit_read.h). In
 * libodbcpool_tools only: never linked into the library or the driver
 * module, which run in applications' processes (tests/symbols.sh
 * checks). */
#ifndef ODBCPOOL_AUDIT_VERIFY_H
#define ODBCPOOL_AUDIT_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "odbcpool.h"

/* Options of odbcpool__audit_verify. */
struct odbcpool__audit_verify_opts {
  /* NULL, or a record the trail must still hold ("SEQ", a 64-hex MAC, or
   * "SEQ:MAC" as the verify summary prints it): detects records removed
   * from the end of the live file, which the chain alone cannot. */
  const char *expect_last;
  /* The first record must be seq 1, chained from the genesis value:
   * detects records removed from the start of the oldest file. */
  bool genesis;
  /* Lines as a syslog daemon stored them: text before {"seq": is
   * skipped, lines without it are other programs' messages, and each
   * "stream" (one per process) is its own chain. */
  bool syslog;
  /* Called with each record that verified (MAC, chain), in chain order:
   * the line (n bytes, no newline, a syslog prefix removed). */
  void (*on_record)(void *ctx, const char *file, unsigned long lineno,
                    const char *line, size_t n);
  /* Do not stop at the first bad place: report each to on_bad ("FILE:LINE:
   * reason") and go on (the chain picks up at the next record). The
   * result is still EINVAL, with the first bad place in err. */
  bool keep_going;
  void (*on_bad)(void *ctx, const char *msg);
  void *ctx;
};

/* Checks the MACs and the chain of the files with the key in key_file
 * (opts may be NULL: the defaults). Files are checked in chain order (by
 * the seq of their first record), so a shell glob such as audit.log* may
 * be passed. Returns OK if every record is intact and chained; EINVAL
 * with "FILE:LINE: reason" in err for the first bad record (edited,
 * removed, reordered, truncated, wrong key); EIO for an unreadable file;
 * ECONFIG for a bad key file or option. Writes a summary to `out` (may
 * be NULL). */
int odbcpool__audit_verify(const char *key_file, char *const *files, int nfiles,
                           const struct odbcpool__audit_verify_opts *opts,
                           FILE *out, odbcpool_error *err);

#endif /* ODBCPOOL_AUDIT_VERIFY_H */
