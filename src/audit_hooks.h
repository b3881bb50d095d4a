/* audit_hooks.h — test hooks of the audit writer (src/audit_hooks.c, in
 * the tools library only). */
#ifndef ODBCPOOL_AUDIT_HOOKS_H
#define ODBCPOOL_AUDIT_HOOKS_H

#include <stdint.h>

#include "audit.h"

/* rotate_now rotates the live file at once (the next record
 * starts the new file and continues the chain). set_clock makes records
 * carry `epoch_ms` instead of the real time (0: real time again), which
 * also drives daily rotation and retention at rotation. The syslog hook
 * receives each syslog record instead of syslog(3). */
int odbcpool__audit_rotate_now(struct odbcpool__audit *a, odbcpool_error *err);
void odbcpool__audit_set_clock(struct odbcpool__audit *a, int64_t epoch_ms);
void odbcpool__audit_set_syslog_hook(struct odbcpool__audit *a,
                                     void (*hook)(const char *line, void *ctx),
                                     void *ctx);

#endif /* ODBCPOOL_AUDIT_HOOKS_H */
