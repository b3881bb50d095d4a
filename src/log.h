/* log.h — diagnostic log of the pool (not the audit trail). */
#ifndef ODBCPOOL_LOG_H
#define ODBCPOOL_LOG_H

#include "odbcpool.h"

enum {
  ODBCPOOL_LOG_ERROR,
  ODBCPOOL_LOG_WARN,
  ODBCPOOL_LOG_INFO,
  ODBCPOOL_LOG_DEBUG
};

/* Writes one line to the log destination when `level` is at or below the
 * threshold (error, warn, info, debug; default warn). The destination is
 * process-wide: syslog by default (facility user, named in each
 * priority, "odbcpool[pid]: " in the text; openlog is never called, the
 * host program's ident and facility stay its own), or what the `log`
 * setting of the last pool config opened says (syslog, stderr, none, or
 * an absolute file path), or what $ODBCPOOL_LOG says, which wins: a
 * comma-separated list of a level and/or a destination, e.g.
 * "stderr,debug". Never the host program's stderr unless asked for.
 * Never pass SQL text, parameters or secrets. */
void odbcpool__log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sends the log where `spec` says (NULL: the default), unless
 * $ODBCPOOL_LOG names a destination. A file is opened O_APPEND |
 * O_NOFOLLOW | O_CLOEXEC, created with mode 0600, in a directory
 * odbcpool__open_safe_dir accepts. Returns ODBCPOOL_OK, or ODBCPOOL_EIO
 * with the reason in err (the destination is left as it was). */
int odbcpool__log_configure(const char *spec, odbcpool_error *err);

/* Makes stderr the default destination: for odbcpool's own command,
 * whose user is the operator. Call before any other log function. */
void odbcpool__log_default_stderr(void);

#endif /* ODBCPOOL_LOG_H */
