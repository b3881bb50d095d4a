/* audit_keys.h — pseudonym keys per period: random keys, one per
 * pseudonym_period, kept in a directory next to the audit key and deleted
 * once retention says their records may no longer be linked to anyone. */
#ifndef ODBCPOOL_AUDIT_KEYS_H
#define ODBCPOOL_AUDIT_KEYS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "odbcpool.h"

#define ODBCPOOL_PKEY_ID_MAX 24 /* "20261127-30d" and its NUL, with room */
#define ODBCPOOL_DAY_MS 86400000L

/* The id of the pseudonym period that holds time `ms` (epoch
 * milliseconds), for periods of `period_ms` (whole days, aligned to the
 * epoch): the UTC date of its first day and its length, e.g.
 * "20261127-30d". *start and *end (may be NULL) get its bounds. */
void odbcpool__pkey_id(int64_t ms, long period_ms,
                       char id[ODBCPOOL_PKEY_ID_MAX], int64_t *start,
                       int64_t *end);

/* Parses `n` bytes as a period id. Returns false if they are not one;
 * else its bounds (either pointer may be NULL). */
bool odbcpool__pkey_id_parse(const char *s, size_t n, int64_t *start,
                             int64_t *end);

/* The directory of the period keys: `configured` (pseudonym_keys) or
 * else "<key_file>.pseudonyms". malloc'ed; NULL on ENOMEM. */
char *odbcpool__pkey_dir(const char *key_file, const char *configured);

/* Loads the key of period `id` from `dir` into key[32], checking that it
 * was made with the audit key `master` (each key file carries a tag
 * under a key derived from it, so a planted key is refused). With
 * `create`, a missing key is made: 32 random bytes, written to a new
 * file (O_CREAT|O_EXCL|O_NOFOLLOW, 0600) and linked into place, so two
 * processes that race end up with the same key; `dir` is made 0700 if it
 * does not exist. Returns OK; ENOTFOUND (without `create`) if there is
 * no such key; ECONFIG/EIO with the file named in err otherwise. */
int odbcpool__pkey_load(const char *dir, const unsigned char master[32],
                        const char *id, bool create, unsigned char key[32],
                        odbcpool_error *err);

/* The pseudonym of `user` under a period key (or the audit key itself
 * for records without a period): the first 32 hex digits of
 * HMAC-SHA256(key, user). Returns false if libcrypto failed. */
bool odbcpool__pkey_pseudonym(const unsigned char key[32], const char *user,
                              char out[33]);

/* The ids of the keys in `dir`, sorted (oldest first). A missing
 * directory holds none. Free with odbcpool__audit_files_free. */
int odbcpool__pkey_list(const char *dir, char ***ids /* OUT */,
                        int *n /* OUT */, odbcpool_error *err);

/* Deletes the keys in `dir` of periods that ended before `cutoff_ms`,
 * naming each file deleted on `out` (may be NULL). Returns the number
 * deleted, or -1 with err set. */
int odbcpool__pkey_purge(const char *dir, int64_t cutoff_ms, FILE *out,
                         odbcpool_error *err);

/* A writer's current period key, reloaded when the period changes. */
struct odbcpool__pkeys {
  char *dir;      /* NULL: no periods (the audit key itself) */
  long period_ms; /* 0: no periods */
  const unsigned char *master;
  unsigned char *key;            /* secure memory, 32 bytes */
  char id[ODBCPOOL_PKEY_ID_MAX]; /* of `key`; "" while none is loaded */
};

/* Sets up `k` for pseudonym periods of `period_ms` (0: none) with keys in
 * `dir` (copied), making the directory if needed, so that one that does
 * not work is reported at open. */
int odbcpool__pkeys_init(struct odbcpool__pkeys *k, const char *dir,
                         long period_ms, const unsigned char master[32],
                         odbcpool_error *err);

/* The key of the period of `ms`, loading or making it when the period
 * changed; its id is then k->id. NULL if it cannot be had (err says
 * why). */
const unsigned char *odbcpool__pkeys_get(struct odbcpool__pkeys *k, int64_t ms,
                                         odbcpool_error *err);

void odbcpool__pkeys_fini(struct odbcpool__pkeys *k);

#endif /* ODBCPOOL_AUDIT_KEYS_H */
