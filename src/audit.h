/* audit.h — the tamper-evident audit trail: one JSON object per line,
 * each carrying a MAC chained to the previous record's. */
#ifndef ODBCPOOL_AUDIT_H
#define ODBCPOOL_AUDIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "odbcpool.h"

/* Events, with their names in the "event" field. Append only. */
#define ODBCPOOL_AUDIT_EVENTS(X)                                               \
  X(OPEN, "open")                                                              \
  X(BORROW, "borrow")                                                          \
  X(RETURN, "return")                                                          \
  X(RESET_OK, "reset_ok")                                                      \
  X(RESET_FAILED, "reset_failed")                                              \
  X(CLOSE, "close")                                                            \
  X(REFUSED, "refused")                                                        \
  X(WAIT_TIMEOUT, "wait_timeout")                                              \
  X(LEAK_SUSPECTED, "leak_suspected")                                          \
  X(LOST, "lost")

enum odbcpool__audit_event {
#define X(name, text) ODBCPOOL_AUDIT_##name,
  ODBCPOOL_AUDIT_EVENTS(X)
#undef X
      ODBCPOOL_AUDIT_NEVENTS
};

/* One record. Strings may be NULL (the field is left out). Never put SQL
 * text, parameters, passwords or connection strings in any field. */
struct odbcpool__audit_rec {
  enum odbcpool__audit_event event;
  const char *pool;    /* target DSN */
  uint64_t conn;       /* physical connection id, 0: none */
  const char *user;    /* user name: written only as its pseudonym */
  const char *purpose; /* the borrower's purpose label */
  const char *reason;  /* close/refused reason: a fixed word such as
                          "idle_timeout" or "no_tls", never free text
                          from a driver */
  long duration_ms;    /* how long the borrow/reset/connection lasted, or
                          -1 */
  long wait_ms;        /* how long the borrower waited, or -1 */
  /* LOST only (written by the trail itself, never by the pool): how many
   * records a process that has exited failed to write, its pid, and when
   * its first loss was. */
  uint64_t lost;
  long lost_pid;
  int64_t lost_since_ms;
};

struct odbcpool__audit;

/* Opens the audit trail the config's [audit] section describes. Sets
 * *out to NULL (and returns OK) when there is no [audit] section. Loads
 * the key (refusing a key file that group or others can read, or one
 * shorter than 32 bytes), opens the log for appending (0600) and finds
 * the MAC of its last record, so the chain continues across restarts
 * and rotations. Errors name the file. */
int odbcpool__audit_open(const struct cfg *cfg,
                         struct odbcpool__audit **out /* OUT */,
                         odbcpool_error *err);

/* Appends one record (thread-safe; several processes may share the log:
 * each append takes an exclusive lock on it, so lines never interleave
 * and the chain stays one chain). Rotates the log daily and at
 * rotate_mib, deleting rotated files older than retention. A failure to
 * write is reported once on the diagnostic log and never blocks the
 * pool. A record that cannot be written is counted: the next record
 * this process writes carries the count ("lost"), and the count is kept
 * at once in the process's loss marker next to the trail (see
 * doc/AUDIT.md), from which the next process to open the trail writes a
 * "lost" record if this one exits first. NULL `a` is a no-op. */
void odbcpool__audit_log(struct odbcpool__audit *a,
                         const struct odbcpool__audit_rec *rec);

/* Flushes and frees. NULL is a no-op. */
void odbcpool__audit_close(struct odbcpool__audit *a);

/* Seals the trail for process exit: from now on this process computes
 * no MAC for it (libcrypto may be gone) and writes no record; a record
 * logged after this is counted as lost (and that loss is recorded as
 * any other). Called by the pool's exit handler after its threads
 * stopped. NULL is a no-op. */
void odbcpool__audit_seal(struct odbcpool__audit *a);

/* For the pool's pthread_atfork handlers, so that a forked child never
 * inherits the trail's mutex locked by a thread it does not have: prepare
 * takes it (after the pool's own locks: audit_log may be called with a
 * pool lock held, so the order is pool, then audit), release gives it
 * back in parent and child. NULL is a no-op. Without them, a child that
 * forks while another thread appends may deadlock in audit_log. */
void odbcpool__audit_atfork_prepare(struct odbcpool__audit *a);
void odbcpool__audit_atfork_release(struct odbcpool__audit *a);

/* The pseudonym of a user name as a record written now would carry it:
 * hex of HMAC-SHA256(key, name), truncated to 32 hex digits, where key is
 * the current period's pseudonym key (pseudonym_period > 0) or else the
 * audit key; "" if there is none or libcrypto failed. */
void odbcpool__audit_pseudonym(struct odbcpool__audit *a, const char *user,
                               char out[33]);

struct odbcpool__buf;
/* Appends `s` as a JSON string the way records hold strings: plain
 * ASCII, escaped, invalid UTF-8 as \ufffd, cut at 16 KiB. */
void odbcpool__audit_json_string(struct odbcpool__buf *b, const char *s);

/* Deletes rotated audit files older than the config's retention (and,
 * with pseudonym periods, the period keys past it), naming each on `out`
 * (may be NULL), one per line. Returns the number deleted, or -1 with err
 * set. */
int odbcpool__audit_purge(const struct cfg *cfg, FILE *out,
                          odbcpool_error *err);

/* The files of the trail whose live file is `path`: its rotated files,
 * oldest first, then the live file if it exists. Free with
 * odbcpool__audit_files_free. */
int odbcpool__audit_trail_files(const char *path, char ***files /* OUT */,
                                int *nfiles /* OUT */, odbcpool_error *err);
void odbcpool__audit_files_free(char **files, int nfiles);

#endif /* ODBCPOOL_AUDIT_H */
