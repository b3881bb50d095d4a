/* audit_record.h — the audit trail's record format, shared by the writer
 * (audit.c, audit_trail.c, audit_lost.c) and the verifier
 * (audit_verify.c): sizes, the fixed parts of a record line, its MAC and
 * chain, the syntax check both sides agree on, and the lock file's
 * protocol. Internal: the format itself is in doc/AUDIT.md. */
#ifndef ODBCPOOL_AUDIT_RECORD_H
#define ODBCPOOL_AUDIT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct odbcpool__buf;

#define KEY_LEN 32
#define MAC_LEN 32
#define MAC_HEX 64
#define PSEUDONYM_HEX 32
#define STREAM_HEX 16
#define TIME_LEN 24  /* 2026-11-24T23:38:53.123Z */
#define STAMP_LEN 20 /* 20261124T233853.123Z, the rotated files' suffix */
/* Longest string field kept, in bytes of input (cut at a character
 * boundary). Syslog daemons cut long messages (rsyslog at 8 KiB by
 * default), which would break the record's MAC, hence the smaller one. */
#define FIELD_MAX_FILE 16384
#define FIELD_MAX_SYSLOG 1024
/* The last record is looked for in at most this many bytes at the end of
 * the live file; more junk than that after it is not a crashed write. */
#define TAIL_FIRST 8192
#define TAIL_MAX (5u << 20)
/* A line longer than this cannot be a record (the fields are capped). */
#define LINE_MAX_BYTES (16u << 20)
/* How long an append waits for the lock file before the record is
 * counted as lost; after one timeout, the shorter wait, so that a
 * stopped process holding the lock stalls the pool only briefly. */
#define LOCK_WAIT_MS 2000
#define LOCK_WAIT_SHORT_MS 50
#define LOCK_WAIT_OPEN_MS 10000

/* The genesis value: the "prev" of a chain's first record (seq 1). */
extern const char odbcpool__audit_genesis[MAC_HEX + 1];

/* Fixed parts of a record line: it starts with HEAD_TAG and ends with
 * PREV_TAG, 64 hex, '"', MAC_TAG, 64 hex, "\"}" (then '\n' in a file).
 * The MAC covers everything before MAC_TAG. */
#define HEAD_TAG "{\"seq\":"
#define PREV_TAG ",\"prev\":\""
#define MAC_TAG ",\"mac\":\""
#define TAG_LEN(t) (sizeof(t) - 1)
#define MAC_PART (TAG_LEN(MAC_TAG) + MAC_HEX + 2)
#define TAIL_LEN (TAG_LEN(PREV_TAG) + MAC_HEX + 1 + MAC_PART)

/* The end of the chain: the last record written, or the genesis value. */
struct chain {
  uint64_t seq; /* 0: no record yet */
  char mac[MAC_HEX + 1];
};

/* The parts of a line that has the shape of a record. */
struct line_info {
  uint64_t seq;
  const char *stream; /* STREAM_HEX chars, or NULL */
  const char *time;   /* TIME_LEN chars */
  const char *event;
  size_t event_len;
  const char *prev, *mac; /* MAC_HEX chars each */
  size_t signed_len;      /* bytes the MAC covers */
};

/* Lowercase hex of `n` bytes into out[2n + 1]. */
void odbcpool__audit_hex(const unsigned char *in, size_t n, char *out);
/* Whether s[0..n) is lowercase hex. */
bool odbcpool__audit_is_hex(const char *s, size_t n);
/* hex(HMAC-SHA256(key, data)) into out[65]. Returns false if libcrypto
 * failed (out is then all zeros, which never matches a stored MAC by
 * chance): the caller must not use it, least of all write it. */
bool odbcpool__audit_mac(const unsigned char *key, const void *data, size_t n,
                         char out[MAC_HEX + 1]);
/* The chain (MAC) key derived from the audit key `key` into out[MAC_LEN],
 * so that the pseudonym of a user name (HMAC with the key itself) can
 * never serve as a record MAC. Returns false if libcrypto failed. */
bool odbcpool__audit_chain_key(const unsigned char *key, unsigned char *out);
/* Formats `ms` since the epoch as the "time" field (out[TIME_LEN + 1]) or,
 * with `stamp`, as a rotated file's suffix; returns its UTC date as
 * yyyymmdd. */
int odbcpool__audit_format_time(int64_t ms, bool stamp, char *out,
                                size_t outlen);
/* Whether t[0..TIME_LEN) has the shape of a "time" field. */
bool odbcpool__audit_is_time(const char *t);
/* Whether `s` (n bytes, no newline) has the shape of a record: the fixed
 * head, seq, optional stream, time and event, and the fixed tail. The
 * MAC is not checked here. A crashed write can never leave a line of
 * this shape, so the writer and the verifier agree on what a record is. */
bool odbcpool__audit_parse_shape(const char *s, size_t n, struct line_info *li);
/* Whether the MAC of the record `line` (parsed into li) verifies with
 * `chain_key`. */
bool odbcpool__audit_mac_matches(const unsigned char *chain_key,
                                 const char *line, const struct line_info *li);

/* Appends `s` as a JSON string, in ASCII only, cut at `max` bytes at a
 * character boundary (audit_json.c). */
void odbcpool__audit_json_put(struct odbcpool__buf *b, const char *s,
                              size_t max);

/* flock with a deadline (audit_trail.c): polls, as flock(2) itself cannot
 * time out. Returns true when the lock is held. The writers hold
 * <path>.lock exclusively around every append; purge and the verifier
 * take it too. */
bool odbcpool__audit_lock_timed(int fd, int op, long ms);

#endif /* ODBCPOOL_AUDIT_RECORD_H */
