/* audit_writer.h — the audit trail writer's state, shared by its three
 * parts: audit.c (open, format, append, the API), audit_trail.c (the
 * files: the live file's end, rotation, purge) and audit_lost.c (loss
 * markers). Internal to the writer. */
#ifndef ODBCPOOL_AUDIT_WRITER_H
#define ODBCPOOL_AUDIT_WRITER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "audit.h"
#include "audit_keys.h"
#include "audit_record.h"
#include "util.h"

/* How often a writing process collects the loss markers of processes
 * that are gone (audit_lost.c). */
#define COLLECT_EVERY_MS 60000

struct odbcpool__audit {
  pthread_mutex_t mu; /* one append at a time in this process */
  pid_t pid;          /* process that opened lock_fd (fork check) */
  unsigned char *key; /* secure memory: key, then the chain key */
  bool syslog;
  char *path, *lock_path;
  off_t rotate_bytes;
  long retention_ms;
  int lock_fd; /* <path>.lock: flock'ed around every append */
  int log_fd;  /* the live file, O_APPEND */
  /* What this process knows of the trail; valid while the live file is
   * (dev, ino) with `size` bytes, else read again from the file. */
  bool have_file;
  dev_t dev;
  ino_t ino;
  off_t size; /* -1: unknown */
  bool have_chain;
  struct chain chain;
  int last_date; /* yyyymmdd of the live file's last record, 0: none */
  /* Set by our own rotation, cleared when the lock is released: the new
   * live file is empty and `chain` is known to be the trail's end. */
  bool rotated_here;
  char stream[STREAM_HEX + 1]; /* syslog: this process's chain */
  uint64_t lost;               /* records not written since the last one */
  bool failing;                /* a failure was reported, not yet cleared */
  bool short_wait;             /* the last lock wait timed out */
  bool warned_mac;
  bool sealed; /* process exit: no more MACs, no more records */
  /* This process's loss marker (see "Loss markers" below), -1: none. */
  int marker_fd;
  char marker_name[96];
  int64_t lost_since_ms; /* time of the first record lost since the last */
  uint64_t last_collect_ms;
  int64_t clock_ms; /* test hook: fixed time, 0: the real clock */
  void (*syslog_hook)(const char *line, void *ctx);
  void *syslog_ctx;
  struct odbcpool__buf rec;     /* the record being formatted */
  struct odbcpool__pkeys pkeys; /* pseudonym key of the current period */
};

/* A recovery record's fields: the bytes found after the last record (a
 * write that was cut short) and their SHA-256. */
struct recovery {
  size_t bytes;
  char sha[MAC_HEX + 1];
};

static inline int64_t odbcpool__audit_real_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The time records carry: the test clock, or the real time. */
static inline int64_t odbcpool__audit_now_ms(const struct odbcpool__audit *a) {
  return a->clock_ms ? a->clock_ms : odbcpool__audit_real_ms();
}

/* audit.c: formats the record that follows a->chain into a->rec (`rec`,
 * or the recovery record `rv`); NULL, or why not. Called with a->mu
 * held. */
const char *odbcpool__audit_format(struct odbcpool__audit *a,
                                   const char *prefix, int64_t ms,
                                   const struct odbcpool__audit_rec *rec,
                                   const struct recovery *rv,
                                   char mac[MAC_HEX + 1]);

/* audit_trail.c, each called with a->mu and the lock file held: brings
 * this process's view of the trail up to date with the files (recovering
 * a cut-short write); appends a record (rotating first if due); rotates
 * the live file. */
/* audit.c: in a forked child, gives the writer its own descriptors and
 * lock (a flock belongs to the open file description it shares with the
 * parent); nothing in the parent. Called with a->mu held. */
void odbcpool__audit_after_fork(struct odbcpool__audit *a);
int odbcpool__audit_sync(struct odbcpool__audit *a, odbcpool_error *err);
int odbcpool__audit_append(struct odbcpool__audit *a,
                           const struct odbcpool__audit_rec *rec,
                           odbcpool_error *err);
int odbcpool__audit_rotate(struct odbcpool__audit *a, int64_t ms,
                           odbcpool_error *err);
/* audit_trail.c: refuses a file at `path` that is not an audit trail. */
int odbcpool__audit_check_trail(const char *path, odbcpool_error *err);

/* audit_lost.c: this process's loss marker (created with the lock file
 * held; dropped if it counts no loss), the collection of the markers of
 * processes that are gone (a->mu and the lock file held, after sync),
 * and the counting of records not written. */
void odbcpool__audit_marker_create(struct odbcpool__audit *a);
void odbcpool__audit_marker_drop(struct odbcpool__audit *a);
void odbcpool__audit_collect_markers(struct odbcpool__audit *a);
void odbcpool__audit_append_failed(struct odbcpool__audit *a, const char *msg);
void odbcpool__audit_append_succeeded(struct odbcpool__audit *a);

#endif /* ODBCPOOL_AUDIT_WRITER_H */
