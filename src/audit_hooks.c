/* audit_hooks.c — test hooks of the audit writer: rotate now, a fixed
 * clock, syslog records captured instead of sent. In the tools library
 * (tests and the command link it), never in libodbcpool or the driver
 * module (tests/symbols.sh checks). */
#include "build.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/file.h>

#include "audit.h"
#include "audit_hooks.h"
#include "audit_record.h"
#include "audit_writer.h"
#include "error.h"

#define SQLSTATE "HY000"

int odbcpool__audit_rotate_now(struct odbcpool__audit *a, odbcpool_error *err) {
  int rc;
  if (a == NULL || a->syslog)
    return odbcpool__err(err, ODBCPOOL_EINVAL, SQLSTATE,
                         "audit: no log file to rotate");
  pthread_mutex_lock(&a->mu);
  odbcpool__audit_after_fork(a);
  if (a->lock_fd < 0 ||
      !odbcpool__audit_lock_timed(a->lock_fd, LOCK_EX, LOCK_WAIT_MS)) {
    pthread_mutex_unlock(&a->mu);
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: cannot lock",
                         a->lock_path);
  }
  rc = odbcpool__audit_sync(a, err);
  if (rc == ODBCPOOL_OK)
    rc = odbcpool__audit_rotate(a, odbcpool__audit_now_ms(a), err);
  a->rotated_here = false;
  flock(a->lock_fd, LOCK_UN);
  pthread_mutex_unlock(&a->mu);
  return rc;
}

void odbcpool__audit_set_clock(struct odbcpool__audit *a, int64_t epoch_ms) {
  if (a == NULL)
    return;
  pthread_mutex_lock(&a->mu);
  a->clock_ms = epoch_ms;
  pthread_mutex_unlock(&a->mu);
}

void odbcpool__audit_set_syslog_hook(struct odbcpool__audit *a,
                                     void (*hook)(const char *line, void *ctx),
                                     void *ctx) {
  if (a == NULL)
    return;
  pthread_mutex_lock(&a->mu);
  a->syslog_hook = hook;
  a->syslog_ctx = ctx;
  pthread_mutex_unlock(&a->mu);
}
