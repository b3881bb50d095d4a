/* audit_report_data.h — the figures of `odbcpool audit report`, shared by
 * its builder (audit_report.c) and its HTML page (audit_html.c). */
#ifndef ODBCPOOL_AUDIT_REPORT_DATA_H
#define ODBCPOOL_AUDIT_REPORT_DATA_H

#include <stdbool.h>
#include <stdint.h>

#include "audit_read.h"
#include "audit_report.h"

/* A counting map: byte-string keys (copied) to counts; `aux` is the
 * caller's (an index). Open addressing; keys never removed. */
struct rep_ent {
  char *key; /* NULL: free slot */
  size_t klen;
  uint64_t count;
  size_t aux;
};
struct rep_map {
  struct rep_ent *v;
  size_t cap, n;
  bool failed; /* out of memory: counts are incomplete */
};

/* The entry of `key` (made with count 0 when new); NULL on ENOMEM. */
struct rep_ent *odbcpool__rep_add(struct rep_map *m, const char *key,
                                  size_t klen);
/* The entries sorted by key (or by count, highest first), in a malloc'ed
 * array of m->n pointers; NULL if empty or on ENOMEM. */
struct rep_ent **odbcpool__rep_sorted(const struct rep_map *m, bool by_count);
void odbcpool__rep_free(struct rep_map *m);

/* Hold-time buckets: < 10 ms, < 100 ms, < 1 s, < 10 s, < 1 min, < 10 min,
 * longer. */
#define REP_HOLD_BUCKETS 7
extern const char *const odbcpool__rep_hold_labels[REP_HOLD_BUCKETS];

/* An owned copy of a record's escaped string; s NULL: absent. */
struct rep_str {
  char *s;
  size_t n;
};

/* One DSN and purpose: the borrows made for it. */
struct rep_group {
  struct rep_str pool, purpose;
  uint64_t borrows, returns, refused, wait_timeouts;
  uint64_t hold_total_ms, hold_max_ms, wait_max_ms;
  uint64_t hold[REP_HOLD_BUCKETS];
  struct rep_map principals; /* distinct pseudonyms */
  struct rep_map refusals;   /* by reason */
};

/* One DSN: its physical connections. */
struct rep_pool {
  struct rep_str pool;
  uint64_t opens, reset_ok, reset_failed, leaks;
  /* Erasure failures whose connection the trail shows closed after them:
   * the evidence that a connection that was not erased was not reused. */
  uint64_t failed_closed;
  struct rep_map failed_open;    /* (pid, conn) of failures not yet closed */
  struct rep_map closes;         /* by reason */
  struct rep_map reset_failures; /* by reason */
};

struct odbcpool__report {
  int64_t since_ms; /* INT64_MIN: from the start */
  int64_t now_ms;
  int nfiles;
  struct odbcpool__audit_scan scan;
  uint64_t records;          /* in range */
  int64_t first_ms, last_ms; /* of the records in range; 0: none */
  int64_t oldest_ms;         /* oldest record kept, 0: none */
  char oldest_time[25];
  uint64_t lost, lost_records;        /* audit losses in range */
  struct rep_map group_idx, pool_idx; /* key -> index (aux) */
  struct rep_group *groups;
  size_t ngroups, capgroups;
  struct rep_pool *pools;
  size_t npools, cappools;
  struct rep_map principals; /* all distinct pseudonyms in range */
  struct rep_map labels;     /* purpose (escaped) -> index (aux) */
  struct rep_map days;       /* (day, label index) -> borrows */
  uint64_t hold[REP_HOLD_BUCKETS];
  /* Retention: known with a config. */
  long retention_ms; /* -1: unknown */
  char **due_files;  /* rotated files past retention */
  size_t ndue_files;
  char **keys; /* period keys kept */
  int nkeys;
  size_t ndue_keys; /* of them, past retention */
  bool keys_known;
};

/* Formats a duration in ms for people ("850 ms", "12.5 s", "3.2 min",
 * "1.5 h", "2.0 d"). */
void odbcpool__rep_duration(uint64_t ms, char *out, size_t n);

#endif /* ODBCPOOL_AUDIT_REPORT_DATA_H */
