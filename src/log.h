/* log.h — diagnostic log of the pool (not the audit trail). */
#ifndef ODBCPOOL_LOG_H
#define ODBCPOOL_LOG_H

enum {
  ODBCPOOL_LOG_ERROR,
  ODBCPOOL_LOG_WARN,
  ODBCPOOL_LOG_INFO,
  ODBCPOOL_LOG_DEBUG
};

/* Writes one line to stderr when `level` is at or below $ODBCPOOL_LOG
 * (error, warn, info, debug; default warn). Never pass SQL text,
 * parameters or secrets. */
void odbcpool__log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* ODBCPOOL_LOG_H */
