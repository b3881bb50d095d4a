/* audit.c — the tamper-evident audit trail: JSON lines, each with an HMAC
 * chained to the previous record's, appended under a lock file by any
 * number of processes, rotated and purged; and its verifier. The record
 * format and the reasons behind each choice are in doc/AUDIT.md. */
#include "build.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "audit.h"
#include "audit_keys.h"
#include "error.h"
#include "log.h"
#include "secret.h"
#include "util.h"

#define SQLSTATE "HY000"
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

/* The MAC key is derived from the configured key, so that the pseudonym
 * of a user name (HMAC with the key itself) can never serve as a record
 * MAC, whatever the name. */
static const char chain_label[] = "odbcpool audit chain v1";
static const char genesis[MAC_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* Fixed parts of a record line: it starts with HEAD_TAG and ends with
 * PREV_TAG, 64 hex, '"', MAC_TAG, 64 hex, "\"}" (then '\n' in a file).
 * The MAC covers everything before MAC_TAG. */
static const char head_tag[] = "{\"seq\":";
static const char prev_tag[] = ",\"prev\":\"";
static const char mac_tag[] = ",\"mac\":\"";
#define TAG_LEN(t) (sizeof(t) - 1)
#define MAC_PART (TAG_LEN(mac_tag) + MAC_HEX + 2)
#define TAIL_LEN (TAG_LEN(prev_tag) + MAC_HEX + 1 + MAC_PART)

static const char *const event_names[] = {
#define X(name, text) text,
    ODBCPOOL_AUDIT_EVENTS(X)
#undef X
};

/* The end of the chain: the last record written, or the genesis value. */
struct chain {
  uint64_t seq; /* 0: no record yet */
  char mac[MAC_HEX + 1];
};

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

/* ------------------------------------------------------------- helpers */

static void to_hex(const unsigned char *in, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * n] = '\0';
}

static bool is_hex(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

/* hex(HMAC-SHA256(key, data)) into out[65]. Returns false if libcrypto
 * failed (out is then all zeros, which never matches a stored MAC by
 * chance): the caller must not use it, least of all write it. */
static bool mac_hex(const unsigned char *key, const void *data, size_t n,
                    char out[MAC_HEX + 1]) {
  unsigned char md[MAC_LEN];
  unsigned int len = MAC_LEN;
  bool ok = HMAC(EVP_sha256(), key, KEY_LEN, data, n, md, &len) != NULL &&
            len == MAC_LEN;
  if (!ok)
    memset(md, 0, sizeof md);
  to_hex(md, MAC_LEN, out);
  return ok;
}

/* Returns false if libcrypto failed. */
static bool derive_chain_key(const unsigned char *key, unsigned char *out) {
  unsigned int len = MAC_LEN;
  if (HMAC(EVP_sha256(), key, KEY_LEN, (const unsigned char *)chain_label,
           TAG_LEN(chain_label), out, &len) == NULL ||
      len != MAC_LEN) {
    memset(out, 0, MAC_LEN);
    return false;
  }
  return true;
}

static int64_t real_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_ms(const struct odbcpool__audit *a) {
  return a->clock_ms ? a->clock_ms : real_now_ms();
}

/* Formats `ms` since the epoch as the "time" field (out[TIME_LEN + 1]) or,
 * with `stamp`, as a rotated file's suffix; returns its UTC date as
 * yyyymmdd. */
static int format_time(int64_t ms, bool stamp, char *out, size_t outlen) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  char tmp[64];
  if (ms < 0 || gmtime_r(&t, &tm) == NULL)
    memset(&tm, 0, sizeof tm);
  int year = tm.tm_year + 1900;
  if (year < 0 || year > 9999)
    year = 0;
  if (stamp)
    snprintf(tmp, sizeof tmp, "%04d%02d%02dT%02d%02d%02d.%03dZ", year,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(ms % 1000));
  else
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(ms % 1000));
  size_t n = strlen(tmp);
  if (n >= outlen)
    n = outlen - 1;
  memcpy(out, tmp, n);
  out[n] = '\0';
  return year * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* Writes all of `n` bytes with as few write(2) calls as the kernel allows
 * (one, unless the disk fills or a signal kills us). Returns 0 or errno;
 * *done gets the bytes written. */
static int write_all(int fd, const char *d, size_t n, size_t *done) {
  *done = 0;
  while (*done < n) {
    ssize_t w = write(fd, d + *done, n - *done);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    if (w == 0)
      return EIO;
    *done += (size_t)w;
  }
  return 0;
}

static int pread_all(int fd, char *buf, size_t n, off_t off) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = pread(fd, buf + got, n - got, off + (off_t)got);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    if (r == 0)
      return EIO; /* shrank under us */
    got += (size_t)r;
  }
  return 0;
}

/* flock with a deadline: polls, as flock(2) itself cannot time out.
 * Returns true when the lock is held. */
static bool lock_timed(int fd, int op, long ms) {
  uint64_t deadline = odbcpool__now_ms() + (uint64_t)ms;
  long delay_us = 20;
  for (;;) {
    if (flock(fd, op | LOCK_NB) == 0)
      return true;
    if (errno == EINTR)
      continue;
    if (errno != EWOULDBLOCK || odbcpool__now_ms() >= deadline)
      return false;
    struct timespec ts = {0, delay_us * 1000};
    nanosleep(&ts, NULL);
    if (delay_us < 5000)
      delay_us *= 2;
  }
}

static int open_lock_file(const char *path) {
  return open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
}

/* ------------------------------------------------------- JSON strings */

/* Decodes one UTF-8 character at *pp (< end), strictly: overlong forms,
 * surrogates, code points above U+10FFFF and truncated sequences are
 * invalid, and each byte that does not start a valid sequence decodes to
 * U+FFFD on its own. */
static uint32_t utf8_decode(const unsigned char **pp,
                            const unsigned char *end) {
  const unsigned char *p = *pp;
  unsigned c = p[0];
  size_t need;
  uint32_t cp;
  unsigned char lo = 0x80, hi = 0xBF;

  if (c < 0x80) {
    *pp = p + 1;
    return c;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    cp = c & 0x0F;
    if (c == 0xE0)
      lo = 0xA0;
    else if (c == 0xED)
      hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    cp = c & 0x07;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F;
  } else {
    *pp = p + 1;
    return 0xFFFD;
  }
  if ((size_t)(end - p) < need + 1 || p[1] < lo || p[1] > hi) {
    *pp = p + 1;
    return 0xFFFD;
  }
  for (size_t i = 1; i <= need; i++) {
    if ((p[i] & 0xC0) != 0x80) {
      *pp = p + 1;
      return 0xFFFD;
    }
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  *pp = p + need + 1;
  return cp;
}

static void put_u16(struct odbcpool__buf *b, unsigned u) {
  static const char digits[] = "0123456789abcdef";
  char e[6] = {'\\',
               'u',
               digits[(u >> 12) & 15],
               digits[(u >> 8) & 15],
               digits[(u >> 4) & 15],
               digits[u & 15]};
  odbcpool__buf_append(b, e, sizeof e);
}

/* Length of `s` cut to at most `max` bytes at a character boundary. */
static size_t cut_len(const char *s, size_t max) {
  size_t n = strnlen(s, max);
  if (n < max || s[n] == '\0')
    return n;
  /* s[n] is the first byte left out: if it continues a character, leave
   * out that character's first bytes too. */
  for (int k = 0; k < 3 && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80; k++)
    n--;
  if (((unsigned char)s[n] & 0xC0) == 0x80)
    n = max; /* not UTF-8 anyway: its bytes become U+FFFD */
  return n;
}

/* Appends `s` as a JSON string, in ASCII only: '"', '\\' and control
 * characters escaped, other non-ASCII characters as \uXXXX (surrogate
 * pairs above U+FFFF), invalid UTF-8 as \ufffd per byte. ASCII output
 * survives syslog daemons, terminals and grep unchanged. */
static void put_json_string(struct odbcpool__buf *b, const char *s,
                            size_t max) {
  const unsigned char *p = (const unsigned char *)s;
  const unsigned char *end = p + cut_len(s, max);

  odbcpool__buf_append(b, "\"", 1);
  while (p < end) {
    const unsigned char *run = p;
    while (p < end && *p >= 0x20 && *p < 0x7F && *p != '"' && *p != '\\')
      p++;
    if (p > run)
      odbcpool__buf_append(b, (const char *)run, (size_t)(p - run));
    if (p >= end)
      break;
    uint32_t c = utf8_decode(&p, end);
    switch (c) {
    case '"':
      odbcpool__buf_puts(b, "\\\"");
      break;
    case '\\':
      odbcpool__buf_puts(b, "\\\\");
      break;
    case '\b':
      odbcpool__buf_puts(b, "\\b");
      break;
    case '\f':
      odbcpool__buf_puts(b, "\\f");
      break;
    case '\n':
      odbcpool__buf_puts(b, "\\n");
      break;
    case '\r':
      odbcpool__buf_puts(b, "\\r");
      break;
    case '\t':
      odbcpool__buf_puts(b, "\\t");
      break;
    default:
      if (c >= 0x10000) {
        c -= 0x10000;
        put_u16(b, 0xD800 + (c >> 10));
        put_u16(b, 0xDC00 + (c & 0x3FF));
      } else {
        put_u16(b, c);
      }
    }
  }
  odbcpool__buf_append(b, "\"", 1);
}

static void put_str_field(struct odbcpool__buf *b, const char *name,
                          const char *v, size_t max) {
  if (v == NULL)
    return;
  odbcpool__buf_puts(b, ",\"");
  odbcpool__buf_puts(b, name);
  odbcpool__buf_puts(b, "\":");
  put_json_string(b, v, max);
}

static void put_num_field(struct odbcpool__buf *b, const char *name,
                          uint64_t v) {
  char num[32];
  snprintf(num, sizeof num, "%" PRIu64, v);
  odbcpool__buf_puts(b, ",\"");
  odbcpool__buf_puts(b, name);
  odbcpool__buf_puts(b, "\":");
  odbcpool__buf_puts(b, num);
}

/* ------------------------------------------------------ record syntax */

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

static bool is_time(const char *t) {
  static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
  for (size_t i = 0; i < TIME_LEN; i++) {
    if (shape[i] == 'd' ? !(t[i] >= '0' && t[i] <= '9') : t[i] != shape[i])
      return false;
  }
  return true;
}

/* Whether `s` (n bytes, no newline) has the shape of a record: the fixed
 * head, seq, optional stream, time and event, and the fixed tail. The
 * MAC is not checked here. A crashed write can never leave a line of
 * this shape, so the writer and the verifier agree on what a record is. */
static bool parse_shape(const char *s, size_t n, struct line_info *li) {
  const char *p = s, *end = s + n;

  memset(li, 0, sizeof *li);
  if (n < TAG_LEN(head_tag) + TAIL_LEN ||
      memcmp(p, head_tag, TAG_LEN(head_tag)) != 0)
    return false;
  p += TAG_LEN(head_tag);
  const char *tail = end - TAIL_LEN;
  const char *digits = p;
  while (p < tail && *p >= '0' && *p <= '9') {
    if (p - digits >= 19)
      return false;
    li->seq = li->seq * 10 + (uint64_t)(*p - '0');
    p++;
  }
  if (p == digits || (*digits == '0' && p - digits > 1) || li->seq == 0)
    return false;
  static const char stream_tag[] = ",\"stream\":\"";
  if ((size_t)(tail - p) > TAG_LEN(stream_tag) + STREAM_HEX + 1 &&
      memcmp(p, stream_tag, TAG_LEN(stream_tag)) == 0) {
    p += TAG_LEN(stream_tag);
    if (!is_hex(p, STREAM_HEX) || p[STREAM_HEX] != '"')
      return false;
    li->stream = p;
    p += STREAM_HEX + 1;
  }
  static const char time_tag[] = ",\"time\":\"";
  if ((size_t)(tail - p) < TAG_LEN(time_tag) + TIME_LEN + 1 ||
      memcmp(p, time_tag, TAG_LEN(time_tag)) != 0)
    return false;
  p += TAG_LEN(time_tag);
  if (!is_time(p) || p[TIME_LEN] != '"')
    return false;
  li->time = p;
  p += TIME_LEN + 1;
  static const char event_tag[] = ",\"event\":\"";
  if ((size_t)(tail - p) < TAG_LEN(event_tag) + 2 ||
      memcmp(p, event_tag, TAG_LEN(event_tag)) != 0)
    return false;
  p += TAG_LEN(event_tag);
  li->event = p;
  while (p < tail && ((*p >= 'a' && *p <= 'z') || *p == '_'))
    p++;
  li->event_len = (size_t)(p - li->event);
  if (p >= tail || *p != '"' || li->event_len == 0)
    return false;
  /* The tail: ,"prev":"<64 hex>","mac":"<64 hex>"} */
  p = tail;
  if (memcmp(p, prev_tag, TAG_LEN(prev_tag)) != 0)
    return false;
  p += TAG_LEN(prev_tag);
  if (!is_hex(p, MAC_HEX) || p[MAC_HEX] != '"')
    return false;
  li->prev = p;
  p += MAC_HEX + 1;
  li->signed_len = (size_t)(p - s);
  if (memcmp(p, mac_tag, TAG_LEN(mac_tag)) != 0)
    return false;
  p += TAG_LEN(mac_tag);
  if (!is_hex(p, MAC_HEX) || memcmp(p + MAC_HEX, "\"}", 2) != 0)
    return false;
  li->mac = p;
  return true;
}

static bool mac_matches(const unsigned char *chain_key, const char *line,
                        const struct line_info *li) {
  char want[MAC_HEX + 1];
  return mac_hex(chain_key, line, li->signed_len, want) &&
         CRYPTO_memcmp(want, li->mac, MAC_HEX) == 0;
}

static int date_of(const char *time) {
  int d = 0;
  for (int i = 0; i < 10; i++)
    if (time[i] != '-')
      d = d * 10 + (time[i] - '0');
  return d;
}

/* Finds a numeric field `,"name":N` of a record whose MAC verified. A
 * `,"` can only be JSON structure: inside a string value every quote is
 * escaped. Returns false if it is not there. */
static bool find_num(const char *s, size_t n, const char *name, uint64_t *v) {
  char tag[64];
  int tl = snprintf(tag, sizeof tag, ",\"%s\":", name);
  const char *p = memmem(s, n, tag, (size_t)tl);
  if (p == NULL)
    return false;
  p += tl;
  const char *digits = p;
  *v = 0;
  while (p < s + n && *p >= '0' && *p <= '9' && p - digits < 19)
    *v = *v * 10 + (uint64_t)(*p++ - '0');
  return p > digits;
}

/* The start of the time string field `name` of a verified record, or
 * NULL. */
static const char *find_str_start(const char *s, size_t n, const char *name) {
  char tag[64];
  int tl = snprintf(tag, sizeof tag, ",\"%s\":\"", name);
  const char *p = memmem(s, n, tag, (size_t)tl);
  if (p == NULL || (size_t)(s + n - p) < (size_t)tl + TIME_LEN + 1)
    return NULL;
  p += tl;
  return is_time(p) ? p : NULL;
}

static const char *find_hex(const char *s, size_t n, const char *name,
                            size_t len) {
  char tag[64];
  int tl = snprintf(tag, sizeof tag, ",\"%s\":\"", name);
  const char *p = memmem(s, n, tag, (size_t)tl);
  if (p == NULL || (size_t)(s + n - p) < (size_t)tl + len + 1)
    return NULL;
  p += tl;
  return is_hex(p, len) && p[len] == '"' ? p : NULL;
}

/* ------------------------------------------------------------ writing */

struct recovery {
  size_t bytes;
  char sha[MAC_HEX + 1];
};

/* Why format_record failed. */
static const char format_enomem[] = "out of memory";
static const char format_emac[] = "libcrypto failed to compute a MAC";
static const char format_epkey[] = "no pseudonym key for the period";

/* Formats the record that follows a->chain into a->rec: `prefix`, the
 * JSON object and, for a file, a newline. `rec` or `rv` (a recovery
 * record) gives the fields. *mac gets the new record's MAC. Returns NULL,
 * or why not (format_enomem, format_emac): a record whose MAC or
 * pseudonym libcrypto could not compute is never formatted, so it can
 * never be written. Called with a->mu held. */
static const char *format_record(struct odbcpool__audit *a, const char *prefix,
                                 int64_t ms,
                                 const struct odbcpool__audit_rec *rec,
                                 const struct recovery *rv,
                                 char mac[MAC_HEX + 1]) {
  struct odbcpool__buf *b = &a->rec;
  size_t max = a->syslog ? FIELD_MAX_SYSLOG : FIELD_MAX_FILE;
  char tbuf[TIME_LEN + 8];

  b->len = 0;
  b->failed = false;
  odbcpool__buf_puts(b, prefix);
  size_t start = b->len;
  char head[48];
  snprintf(head, sizeof head, "%s%" PRIu64, head_tag, a->chain.seq + 1);
  odbcpool__buf_puts(b, head);
  if (a->syslog)
    put_str_field(b, "stream", a->stream, STREAM_HEX);
  format_time(ms, false, tbuf, sizeof tbuf);
  put_str_field(b, "time", tbuf, sizeof tbuf);
  put_str_field(b, "event",
                rv ? event_names[ODBCPOOL_AUDIT_OPEN] : event_names[rec->event],
                32);
  put_num_field(b, "pid", (uint64_t)a->pid);
  if (rec != NULL) {
    put_str_field(b, "pool", rec->pool, max);
    if (rec->conn != 0)
      put_num_field(b, "conn", rec->conn);
    if (rec->user != NULL) {
      /* With pseudonym periods, the period's own random key, named by
       * "period"; else the audit key itself (the format before periods).
       * Never the chain key: the chain does not depend on it. */
      char pn[PSEUDONYM_HEX + 1];
      odbcpool_error kerr;
      const unsigned char *pk = a->pkeys.period_ms > 0
                                    ? odbcpool__pkeys_get(&a->pkeys, ms, &kerr)
                                    : a->key;
      if (pk == NULL) {
        if (!a->failing)
          odbcpool__log(ODBCPOOL_LOG_ERROR, "audit: %s", kerr.message);
        return format_epkey;
      }
      if (!odbcpool__pkey_pseudonym(pk, rec->user, pn))
        return format_emac;
      put_str_field(b, "principal", pn, PSEUDONYM_HEX + 1);
      if (a->pkeys.period_ms > 0)
        put_str_field(b, "period", a->pkeys.id, ODBCPOOL_PKEY_ID_MAX);
    }
    put_str_field(b, "purpose", rec->purpose, max);
    put_str_field(b, "reason", rec->reason, max);
    if (rec->duration_ms >= 0)
      put_num_field(b, "duration_ms", (uint64_t)rec->duration_ms);
    if (rec->wait_ms >= 0)
      put_num_field(b, "wait_ms", (uint64_t)rec->wait_ms);
  } else {
    put_str_field(b, "reason", "recovered", 16);
  }
  if (rec != NULL && rec->event == ODBCPOOL_AUDIT_LOST) {
    char since[TIME_LEN + 8];
    format_time(rec->lost_since_ms, false, since, sizeof since);
    put_num_field(b, "lost", rec->lost);
    put_num_field(b, "lost_pid", (uint64_t)rec->lost_pid);
    put_str_field(b, "lost_since", since, sizeof since);
  } else if (rec != NULL && a->lost) {
    char since[TIME_LEN + 8];
    format_time(a->lost_since_ms, false, since, sizeof since);
    put_num_field(b, "lost", a->lost);
    put_str_field(b, "lost_since", since, sizeof since);
  }
  if (rv != NULL) {
    put_num_field(b, "partial_bytes", rv->bytes);
    put_str_field(b, "partial_sha256", rv->sha, MAC_HEX);
  }
  put_str_field(b, "prev", a->chain.mac, MAC_HEX);
  if (b->failed)
    return format_enomem;
  if (!mac_hex(a->key + KEY_LEN, b->data + start, b->len - start, mac))
    return format_emac;
  put_str_field(b, "mac", mac, MAC_HEX);
  odbcpool__buf_puts(b, a->syslog ? "}" : "}\n");
  return b->failed ? format_enomem : NULL;
}

/* What the end of a trail file holds. */
struct tail {
  bool found; /* a record was found */
  struct chain chain;
  int date;          /* of that record */
  bool mac_ok;       /* its MAC verifies with our key */
  bool unterminated; /* it is the last line and lacks its newline */
  bool foreign;      /* it carries a syslog "stream": not of this file */
  size_t junk_len;   /* bytes after it (or the whole file, if !found) */
  bool junk_nl;      /* the junk ends with a newline */
  char junk_sha[MAC_HEX + 1];
};

/* Reads the end of the trail file `fd` of `size` bytes back to its last
 * record. Returns 0, an errno value, or EFBIG if there is none in the last
 * TAIL_MAX bytes. */
static int read_tail(const unsigned char *chain_key, int fd, off_t size,
                     struct tail *t) {
  memset(t, 0, sizeof *t);
  if (size <= 0)
    return 0;
  size_t window = (uint64_t)size < TAIL_FIRST ? (size_t)size : TAIL_FIRST;
  for (;;) {
    char *buf = malloc(window);
    off_t off = size - (off_t)window;
    if (buf == NULL)
      return ENOMEM;
    int rc = pread_all(fd, buf, window, off);
    if (rc != 0) {
      free(buf);
      return rc;
    }
    size_t pos = window, junk_start = 0;
    bool more = false;
    while (pos > 0) {
      size_t line_end = pos;
      bool term = buf[pos - 1] == '\n';
      if (term)
        line_end--;
      size_t start = line_end;
      while (start > 0 && buf[start - 1] != '\n')
        start--;
      if (start == 0 && off > 0) {
        more = true;
        break;
      }
      struct line_info li;
      if (parse_shape(buf + start, line_end - start, &li)) {
        t->found = true;
        t->chain.seq = li.seq;
        memcpy(t->chain.mac, li.mac, MAC_HEX);
        t->chain.mac[MAC_HEX] = '\0';
        t->date = date_of(li.time);
        t->mac_ok = mac_matches(chain_key, buf + start, &li);
        t->unterminated = !term;
        /* A file trail has one chain; a record with a stream was
         * captured from a syslog trail and put here. */
        t->foreign = li.stream != NULL;
        junk_start = pos;
        break;
      }
      pos = start;
    }
    if (!more) {
      t->junk_len = window - junk_start;
      t->junk_nl = t->junk_len > 0 && buf[window - 1] == '\n';
      unsigned char md[32];
      unsigned int mdlen = sizeof md;
      if (!EVP_Digest(buf + junk_start, t->junk_len, md, &mdlen, EVP_sha256(),
                      NULL))
        memset(md, 0, sizeof md);
      to_hex(md, sizeof md, t->junk_sha);
      free(buf);
      return 0;
    }
    free(buf);
    if (window >= TAIL_MAX)
      return EFBIG;
    window = window * 4 > TAIL_MAX ? TAIL_MAX : window * 4;
    if ((uint64_t)window > (uint64_t)size)
      window = (size_t)size;
  }
}

/* Whether `name` (a directory entry) is a rotated file of the trail whose
 * live file's last path component is `base`: base.YYYYMMDDTHHMMSS.mmmZ,
 * optionally followed by -N. */
static bool is_rotated_name(const char *base, const char *name) {
  size_t bl = strlen(base);
  if (strncmp(name, base, bl) != 0 || name[bl] != '.')
    return false;
  const char *p = name + bl + 1;
  for (size_t i = 0; i < STAMP_LEN; i++) {
    char want = i == 8 ? 'T' : i == 15 ? '.' : i == 19 ? 'Z' : 'd';
    if (p[i] == '\0')
      return false;
    if (want == 'd' ? !(p[i] >= '0' && p[i] <= '9') : p[i] != want)
      return false;
  }
  p += STAMP_LEN;
  if (*p == '\0')
    return true;
  if (*p++ != '-' || *p == '\0')
    return false;
  for (int i = 0; *p; p++, i++)
    if (i >= 4 || !(*p >= '0' && *p <= '9'))
      return false;
  return true;
}

static int cmp_str(const void *x, const void *y) {
  return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Lists the rotated files of the trail whose live file is `path`, oldest
 * first. Returns 0 or an errno value; a missing directory lists none. */
static int list_rotated(const char *path, char ***out, size_t *n) {
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  size_t dirlen = slash ? (size_t)(slash - path) : 0;
  char *dir = slash ? strndup(path, dirlen == 0 ? 1 : dirlen) : strdup(".");
  char **v = NULL;
  size_t cnt = 0, cap = 0;
  int rc = 0;

  *out = NULL;
  *n = 0;
  if (dir == NULL)
    return ENOMEM;
  DIR *d = opendir(dir);
  if (d == NULL) {
    rc = errno == ENOENT ? 0 : errno;
    free(dir);
    return rc;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!is_rotated_name(base, e->d_name))
      continue;
    if (cnt == cap) {
      cap = cap ? cap * 2 : 16;
      char **nv = realloc(v, cap * sizeof *v);
      if (nv == NULL) {
        rc = ENOMEM;
        break;
      }
      v = nv;
    }
    size_t len = (slash ? (size_t)(base - path) : 0) + strlen(e->d_name) + 1;
    v[cnt] = malloc(len);
    if (v[cnt] == NULL) {
      rc = ENOMEM;
      break;
    }
    snprintf(v[cnt], len, "%.*s%s", slash ? (int)(base - path) : 0, path,
             e->d_name);
    cnt++;
  }
  closedir(d);
  free(dir);
  if (rc != 0) {
    for (size_t i = 0; i < cnt; i++)
      free(v[i]);
    free(v);
    return rc;
  }
  if (cnt > 1)
    qsort(v, cnt, sizeof *v, cmp_str);
  *out = v;
  *n = cnt;
  return 0;
}

static void free_list(char **v, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

/* Deletes the rotated files of `path` last modified before `cutoff_ms`,
 * naming each on `out` (may be NULL). Returns the number deleted, or -1
 * with err set. */
static int purge_rotated(const char *path, int64_t cutoff_ms, FILE *out,
                         odbcpool_error *err) {
  char **v;
  size_t n;
  int deleted = 0;
  int rc = list_rotated(path, &v, &n);
  if (rc != 0) {
    odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE,
                  "%s: cannot list its "
                  "directory: %s",
                  path, strerror(rc));
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    if (lstat(v[i], &st) != 0 || !S_ISREG(st.st_mode))
      continue;
    int64_t mtime =
        (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    if (mtime >= cutoff_ms)
      continue;
    if (unlink(v[i]) != 0) {
      odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: cannot delete: %s", v[i],
                    strerror(errno));
      free_list(v, n);
      return -1;
    }
    if (out != NULL)
      fprintf(out, "%s\n", v[i]);
    deleted++;
  }
  free_list(v, n);
  return deleted;
}

/* The chain end when the live file holds no record: the last record of
 * the newest rotated file (highest seq whose MAC verifies with our key),
 * else the genesis value. Called with the lock file held. */
static void chain_from_rotated(struct odbcpool__audit *a) {
  char **v;
  size_t n;
  a->chain.seq = 0;
  memcpy(a->chain.mac, genesis, sizeof genesis);
  a->have_chain = true;
  if (list_rotated(a->path, &v, &n) != 0)
    return;
  for (size_t i = 0; i < n; i++) {
    int fd = open(v[i], O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    struct stat st;
    struct tail t;
    if (fd < 0)
      continue;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        read_tail(a->key + KEY_LEN, fd, st.st_size, &t) == 0 && t.found &&
        t.mac_ok && !t.foreign && t.chain.seq > a->chain.seq)
      a->chain = t.chain;
    close(fd);
  }
  free_list(v, n);
}

/* Writes one record (or a lone newline) that the sync found missing, and
 * keeps `size` in step. Called with the lock file held. */
static int write_fixup(struct odbcpool__audit *a, const char *d, size_t n,
                       odbcpool_error *err) {
  size_t done;
  int e = write_all(a->log_fd, d, n, &done);
  if (e != 0) {
    a->size = -1;
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: cannot write: %s",
                         a->path, strerror(e));
  }
  a->size += (off_t)n;
  return ODBCPOOL_OK;
}

/* Brings this process's view of the trail up to date with the files:
 * (re)opens the live file, creating it if missing, and, unless nothing
 * changed since our last append (same inode and size), reads its end to
 * find the last record. Bytes after the last record (a write that crashed
 * half-way) are closed with a recovery record that chains from the last
 * complete one and carries their length and SHA-256. Called with a->mu
 * and the lock file held. */
static int sync_trail(struct odbcpool__audit *a, odbcpool_error *err) {
  struct stat st;
  int rc;

  if (a->have_file) {
    if (stat(a->path, &st) != 0 || st.st_dev != a->dev || st.st_ino != a->ino) {
      close(a->log_fd);
      a->log_fd = -1;
      a->have_file = false;
    } else if (a->have_chain && st.st_size == a->size) {
      return ODBCPOOL_OK;
    }
  }
  if (!a->have_file) {
    int fd = open(
        a->path,
        O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
    if (fd < 0)
      return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: cannot open: %s",
                           a->path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      close(fd);
      return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE,
                           "%s: not a regular file", a->path);
    }
    a->log_fd = fd;
    a->have_file = true;
    a->dev = st.st_dev;
    a->ino = st.st_ino;
  } else if (fstat(a->log_fd, &st) != 0) {
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: %s", a->path,
                         strerror(errno));
  }
  a->size = st.st_size;
  a->last_date = 0;
  if (st.st_size == 0) {
    if (!(a->rotated_here && a->have_chain))
      chain_from_rotated(a);
    return ODBCPOOL_OK;
  }
  struct tail t;
  rc = read_tail(a->key + KEY_LEN, a->log_fd, st.st_size, &t);
  if (rc == EFBIG)
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SQLSTATE,
                         "%s: no audit record in its last %u MiB: not an "
                         "odbcpool audit trail, or damaged; move it aside",
                         a->path, TAIL_MAX >> 20);
  if (rc != 0)
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: cannot read: %s",
                         a->path, strerror(rc));
  if (t.found && t.foreign)
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SQLSTATE,
                         "%s: its last record (seq %" PRIu64 ") carries a "
                         "syslog \"stream\": it was not written to this file "
                         "trail, which has one chain, and nothing is chained "
                         "onto it; run odbcpool audit verify and move the "
                         "file aside",
                         a->path, t.chain.seq);
  if (t.found) {
    a->chain = t.chain;
    a->have_chain = true;
    a->last_date = t.date;
    if (!t.mac_ok && !a->warned_mac) {
      a->warned_mac = true;
      odbcpool__log(ODBCPOOL_LOG_WARN,
                    "audit: %s: the last record (seq %" PRIu64 ") does not "
                    "verify with this key (key changed, or record edited); "
                    "the chain continues from it; run odbcpool audit verify",
                    a->path, t.chain.seq);
    }
  } else {
    chain_from_rotated(a);
  }
  if (t.unterminated)
    return write_fixup(a, "\n", 1, err);
  if (t.junk_len == 0)
    return ODBCPOOL_OK;
  struct recovery rv = {.bytes = t.junk_len};
  char mac[MAC_HEX + 1];
  memcpy(rv.sha, t.junk_sha, sizeof rv.sha);
  int64_t ms = now_ms(a);
  const char *why = format_record(a, t.junk_nl ? "" : "\n", ms, NULL, &rv, mac);
  if (why != NULL)
    return odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "%s", why);
  odbcpool__log(ODBCPOOL_LOG_WARN,
                "audit: %s: %zu bytes after the last record (a write that "
                "was interrupted); recorded by a recovery record",
                a->path, t.junk_len);
  rc = write_fixup(a, a->rec.data, a->rec.len, err);
  if (rc != ODBCPOOL_OK)
    return rc;
  a->chain.seq++;
  memcpy(a->chain.mac, mac, sizeof mac);
  char tbuf[TIME_LEN + 8];
  a->last_date = format_time(ms, false, tbuf, sizeof tbuf);
  return ODBCPOOL_OK;
}

/* Renames the live file to <path>.<UTC stamp> and deletes rotated files
 * older than the retention. The chain end stays known: the next record,
 * in a new live file, continues it. Called with the lock file held. */
static int rotate_locked(struct odbcpool__audit *a, int64_t ms,
                         odbcpool_error *err) {
  char stamp[STAMP_LEN + 8], name[PATH_MAX];
  struct stat st;
  int len;

  format_time(ms, true, stamp, sizeof stamp);
  len = snprintf(name, sizeof name, "%s.%s", a->path, stamp);
  for (int k = 1; len > 0 && (size_t)len < sizeof name && lstat(name, &st) == 0;
       k++) {
    if (k > 9999)
      return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE,
                           "%s: too many rotated files named %s", a->path,
                           name);
    len = snprintf(name, sizeof name, "%s.%s-%d", a->path, stamp, k);
  }
  if (len < 0 || (size_t)len >= sizeof name)
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: path too long",
                         a->path);
  if (rename(a->path, name) != 0)
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE,
                         "%s: cannot rotate to %s: %s", a->path, name,
                         strerror(errno));
  close(a->log_fd);
  a->log_fd = -1;
  a->have_file = false;
  a->rotated_here = a->have_chain;
  a->size = 0;
  a->last_date = 0;
  if (a->retention_ms > 0) {
    odbcpool_error perr;
    if (purge_rotated(a->path, ms - a->retention_ms, NULL, &perr) < 0 ||
        (a->pkeys.dir != NULL &&
         odbcpool__pkey_purge(a->pkeys.dir, ms - a->retention_ms, NULL, &perr) <
             0))
      odbcpool__log(ODBCPOOL_LOG_ERROR, "audit: %s", perr.message);
  }
  return ODBCPOOL_OK;
}

/* Appends `rec` to the live file, rotating first when the record's UTC
 * date differs from the last record's or the file would grow past
 * rotate_mib. Called with a->mu and the lock file held, after sync. */
static int append_locked(struct odbcpool__audit *a,
                         const struct odbcpool__audit_rec *rec,
                         odbcpool_error *err) {
  int64_t ms = now_ms(a);
  char mac[MAC_HEX + 1], tbuf[TIME_LEN + 8];
  int date = format_time(ms, false, tbuf, sizeof tbuf);

  const char *why = format_record(a, "", ms, rec, NULL, mac);
  if (why != NULL)
    return odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "%s", why);
  if (a->size > 0 && ((a->last_date != 0 && a->last_date != date) ||
                      a->size + (off_t)a->rec.len > a->rotate_bytes)) {
    int rc = rotate_locked(a, ms, err);
    if (rc == ODBCPOOL_OK)
      rc = sync_trail(a, err);
    if (rc != ODBCPOOL_OK)
      return rc;
    why = format_record(a, "", ms, rec, NULL, mac);
    if (why != NULL)
      return odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "%s", why);
  }
  size_t done;
  int e = write_all(a->log_fd, a->rec.data, a->rec.len, &done);
  if (e != 0) {
    a->size = -1; /* read the end again: it may hold part of the record */
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: cannot write: %s",
                         a->path, strerror(e));
  }
  a->size += (off_t)done;
  a->chain.seq++;
  memcpy(a->chain.mac, mac, sizeof mac);
  a->last_date = date;
  return ODBCPOOL_OK;
}

static void new_stream(struct odbcpool__audit *a) {
  unsigned char r[STREAM_HEX / 2];
  if (RAND_bytes(r, sizeof r) != 1) {
    uint64_t x = (uint64_t)real_now_ms() * 1000003u ^ (uint64_t)getpid();
    memcpy(r, &x, sizeof r);
  }
  to_hex(r, sizeof r, a->stream);
  a->chain.seq = 0;
  memcpy(a->chain.mac, genesis, sizeof genesis);
  a->have_chain = true;
}

static void marker_create(struct odbcpool__audit *a);

/* In a forked child, the descriptors are shared with the parent, and a
 * flock belongs to the shared open file description: the child would
 * "hold" the parent's lock. Open our own. Called with a->mu held. */
static void after_fork(struct odbcpool__audit *a) {
  pid_t self = getpid();
  if (a->pid == self)
    return;
  a->pid = self;
  if (a->syslog) {
    new_stream(a); /* two processes cannot share one syslog chain */
    return;
  }
  if (a->log_fd >= 0)
    close(a->log_fd);
  a->log_fd = -1;
  a->have_file = false;
  a->have_chain = false;
  if (a->lock_fd >= 0)
    close(a->lock_fd);
  a->lock_fd = open_lock_file(a->lock_path);
  /* The parent's marker, and its flock, belong to the parent. */
  if (a->marker_fd >= 0)
    close(a->marker_fd);
  a->marker_fd = -1;
  a->marker_name[0] = '\0';
  a->lost = 0;
  if (a->lock_fd >= 0 && lock_timed(a->lock_fd, LOCK_EX, LOCK_WAIT_SHORT_MS)) {
    marker_create(a);
    flock(a->lock_fd, LOCK_UN);
  }
}

/* ------------------------------------------------------ loss markers */

/* A record this process fails to write is counted, and the next record
 * it writes carries the count. So that the count survives the process
 * (it may exit before writing works again: a full disk, a directory
 * made unwritable), each writing process keeps a loss marker next to
 * the trail: <dir>/.<base>.lost.<pid>.<random>, created (O_EXCL,
 * O_NOFOLLOW, 0600, in a directory odbcpool__open_safe_dir accepts) when
 * the trail is opened, MARKER_LEN bytes long from the start, so that
 * recording a loss overwrites bytes the file already has: no new block
 * on a full disk, no directory entry in an unwritable directory. The
 * process holds an flock on it for its life. It holds "LOST SINCE_MS\n"
 * (padded with spaces): the records lost and not yet written down.
 *
 * A process that opens the trail (and, once a minute, one that writes
 * to it) collects the markers of processes that are gone (the flock is
 * free): for one that counts losses it appends a "lost" record (count,
 * pid, time of the first loss), then deletes the marker. A process
 * deletes its own marker when it closes the trail or exits with nothing
 * lost. */
#define MARKER_LEN 64
#define COLLECT_EVERY_MS 60000

static const char marker_tag[] = ".lost.";

/* Writes this process's pending loss count into its marker. No
 * allocation, no libcrypto: runs on a full disk and at exit. */
static void marker_write(struct odbcpool__audit *a) {
  char line[MARKER_LEN + 1];
  if (a->marker_fd < 0)
    return;
  int n = snprintf(line, sizeof line, "%" PRIu64 " %" PRId64 "\n", a->lost,
                   a->lost ? a->lost_since_ms : (int64_t)0);
  if (n < 0 || n >= MARKER_LEN)
    return;
  memset(line + n, ' ', (size_t)(MARKER_LEN - n));
  line[MARKER_LEN - 1] = '\n';
  if (pwrite(a->marker_fd, line, MARKER_LEN, 0) != MARKER_LEN && !a->failing)
    odbcpool__log(ODBCPOOL_LOG_ERROR,
                  "audit: %s: cannot record lost records in its loss marker "
                  "%s: %s",
                  a->path, a->marker_name, strerror(errno));
}

/* Creates this process's marker. Failure leaves it without one (and
 * says so): the trail still works. Called with the lock file held. */
static void marker_create(struct odbcpool__audit *a) {
  const char *base, *why;
  int dfd = odbcpool__open_safe_dir(a->path, &base, &why);
  if (dfd < 0) {
    odbcpool__log(ODBCPOOL_LOG_WARN,
                  "audit: %s: no loss marker (%s): records lost by a process "
                  "that exits before it can write again leave no trace",
                  a->path, why ? why : strerror(errno));
    return;
  }
  for (int tries = 0; a->marker_fd < 0 && tries < 8; tries++) {
    char rnd[9];
    odbcpool__random_name(rnd, sizeof rnd);
    snprintf(a->marker_name, sizeof a->marker_name, ".%.40s%s%ld.%s", base,
             marker_tag, (long)a->pid, rnd);
    a->marker_fd = openat(
        dfd, a->marker_name,
        O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    if (a->marker_fd < 0 && errno != EEXIST)
      break;
  }
  if (a->marker_fd < 0) {
    odbcpool__log(ODBCPOOL_LOG_WARN,
                  "audit: %s: cannot create a loss marker: %s", a->path,
                  strerror(errno));
    a->marker_name[0] = '\0';
  } else if (flock(a->marker_fd, LOCK_EX | LOCK_NB) != 0) {
    close(a->marker_fd);
    unlinkat(dfd, a->marker_name, 0);
    a->marker_fd = -1;
    a->marker_name[0] = '\0';
  } else {
    marker_write(a);
  }
  close(dfd);
}

/* Deletes this process's marker if it counts no loss (else it stays, for
 * the next process to write down). */
static void marker_drop(struct odbcpool__audit *a) {
  if (a->marker_fd < 0)
    return;
  if (a->lost == 0) {
    const char *base, *why;
    int dfd = odbcpool__open_safe_dir(a->path, &base, &why);
    if (dfd >= 0) {
      unlinkat(dfd, a->marker_name, 0);
      close(dfd);
    }
  }
  close(a->marker_fd);
  a->marker_fd = -1;
}

static int append_locked(struct odbcpool__audit *a,
                         const struct odbcpool__audit_rec *rec,
                         odbcpool_error *err);

/* Writes down the losses of processes that are gone: a "lost" record per
 * marker that counts any, then deletes it. Only markers that are ours
 * (owner, regular file, no access for others, the name pattern) count:
 * another user can plant none. Called with a->mu and the lock file held,
 * after sync. */
static void collect_markers(struct odbcpool__audit *a) {
  const char *base, *why;
  char prefix[64];
  a->last_collect_ms = odbcpool__now_ms();
  int dfd = odbcpool__open_safe_dir(a->path, &base, &why);
  if (dfd < 0)
    return;
  int n = snprintf(prefix, sizeof prefix, ".%.40s%s", base, marker_tag);
  int lfd = dup(dfd);
  DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
  if (d == NULL) {
    if (lfd >= 0)
      close(lfd);
    close(dfd);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, prefix, (size_t)n) != 0 ||
        strcmp(e->d_name, a->marker_name) == 0)
      continue;
    char *end;
    long pid = strtol(e->d_name + n, &end, 10);
    if (pid <= 0 || *end != '.')
      continue;
    int fd = openat(dfd, e->d_name,
                    O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0)
      continue;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 077) || flock(fd, LOCK_EX | LOCK_NB) != 0) {
      close(fd); /* not ours, or its process is alive */
      continue;
    }
    char buf[MARKER_LEN + 1];
    ssize_t r = pread(fd, buf, MARKER_LEN, 0);
    buf[r > 0 ? r : 0] = '\0';
    unsigned long long lost = 0;
    long long since = 0;
    bool ok = true;
    if (sscanf(buf, "%llu %lld", &lost, &since) == 2 && lost > 0) {
      struct odbcpool__audit_rec rec = {.event = ODBCPOOL_AUDIT_LOST,
                                        .duration_ms = -1,
                                        .wait_ms = -1,
                                        .lost = lost,
                                        .lost_pid = pid,
                                        .lost_since_ms = since};
      odbcpool_error err;
      ok = append_locked(a, &rec, &err) == ODBCPOOL_OK;
      if (!ok)
        odbcpool__log(ODBCPOOL_LOG_ERROR,
                      "audit: cannot write down %llu records lost by process "
                      "%ld: %s",
                      lost, pid, err.message);
    }
    if (ok)
      unlinkat(dfd, e->d_name, 0);
    close(fd);
  }
  closedir(d);
  close(dfd);
}

/* A failed append: reported once until an append succeeds again. The
 * count goes to the loss marker at once. */
static void append_failed(struct odbcpool__audit *a, const char *msg) {
  if (a->lost++ == 0)
    a->lost_since_ms = now_ms(a);
  if (!a->syslog)
    marker_write(a);
  if (a->failing)
    return;

  a->failing = true;
  odbcpool__log(ODBCPOOL_LOG_ERROR,
                "audit: %s; audit records are being lost (the next record "
                "written says how many)",
                msg);
}

static void append_succeeded(struct odbcpool__audit *a) {
  if (a->failing)
    odbcpool__log(ODBCPOOL_LOG_WARN,
                  "audit: %s: writing again; %" PRIu64 " records were lost",
                  a->syslog ? "syslog" : a->path, a->lost);
  a->failing = false;
  if (a->lost) {
    a->lost = 0;
    marker_write(a);
  }
}

/* ------------------------------------------------------------ the API */

static void audit_free(struct odbcpool__audit *a) {
  if (a == NULL)
    return;
  if (a->log_fd >= 0)
    close(a->log_fd);
  if (a->lock_fd >= 0)
    close(a->lock_fd);
  if (a->marker_fd >= 0 && a->pid == getpid())
    marker_drop(a);
  else if (a->marker_fd >= 0)
    close(a->marker_fd);
  odbcpool__pkeys_fini(&a->pkeys);
  if (a->key != NULL)
    odbcpool__secure_free(a->key, 2 * KEY_LEN);
  odbcpool__buf_wipe(&a->rec);
  free(a->path);
  free(a->lock_path);
  pthread_mutex_destroy(&a->mu);
  free(a);
}

/* Refuses to append to a file that is not an audit trail: every trail
 * file starts with {"seq": (a crash can only cut that short). */
static int check_is_trail(const char *path, odbcpool_error *err) {
  int fd =
      open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
  char head[sizeof head_tag];
  if (fd < 0) {
    if (errno == ENOENT)
      return ODBCPOOL_OK;
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: cannot open: %s",
                         path, strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SQLSTATE,
                         "%s: not a regular file", path);
  }
  ssize_t n = pread(fd, head, TAG_LEN(head_tag), 0);
  close(fd);
  if (n < 0)
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: cannot read: %s",
                         path, strerror(errno));
  if (memcmp(head, head_tag, (size_t)n) != 0)
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SQLSTATE,
                         "%s: not an odbcpool audit trail (it does not start "
                         "with {\"seq\":); move it aside or choose another "
                         "path",
                         path);
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    odbcpool__log(ODBCPOOL_LOG_WARN,
                  "audit: %s: readable by group or others (mode %04o); the "
                  "records hold pseudonymous personal data",
                  path, (unsigned)(st.st_mode & 07777));
  return ODBCPOOL_OK;
}

int odbcpool__audit_open(const struct cfg *cfg,
                         struct odbcpool__audit **out /* OUT */,
                         odbcpool_error *err) {
  struct odbcpool__audit *a;
  int rc;

  odbcpool__err_clear(err);
  if (out == NULL)
    return odbcpool__err(err, ODBCPOOL_EINVAL, SQLSTATE,
                         "audit: no place for the result");
  *out = NULL;
  if (cfg == NULL || cfg->audit_line == 0 ||
      (cfg->audit_path == NULL && !cfg->audit_syslog))
    return ODBCPOOL_OK;
  if (cfg->audit_key_file == NULL)
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SQLSTATE,
                         "%s:%u: [audit]: key_file is required to write an "
                         "audit log",
                         cfg->path ? cfg->path : "config", cfg->audit_line);
  a = calloc(1, sizeof *a);
  if (a == NULL)
    return odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
  a->lock_fd = a->log_fd = a->marker_fd = -1;
  a->size = -1;
  a->pid = getpid();
  a->retention_ms = cfg->audit_retention;
  a->rotate_bytes = (off_t)cfg->audit_rotate_mib << 20;
  if (a->rotate_bytes <= 0)
    a->rotate_bytes = (off_t)64 << 20;
  pthread_mutex_init(&a->mu, NULL);
  a->key = odbcpool__secure_alloc(2 * KEY_LEN);
  if (a->key == NULL) {
    audit_free(a);
    return odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
  }
  rc = odbcpool__secret_load_key(cfg->audit_key_file, a->key, err);
  if (rc != ODBCPOOL_OK) {
    audit_free(a);
    return rc;
  }
  if (!derive_chain_key(a->key, a->key + KEY_LEN)) {
    audit_free(a);
    return odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE,
                         "audit: libcrypto failed to derive the chain key");
  }
  char *kdir = odbcpool__pkey_dir(cfg->audit_key_file, cfg->audit_pkey_dir);
  rc = kdir == NULL
           ? odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "no memory")
           : odbcpool__pkeys_init(&a->pkeys, kdir, cfg->audit_pseudonym_period,
                                  a->key, err);
  free(kdir);
  if (rc != ODBCPOOL_OK) {
    audit_free(a);
    return rc;
  }

  if (cfg->audit_syslog) {
    a->syslog = true;
    new_stream(a);
    /* No openlog: it belongs to the program that loaded this library,
     * and would replace its ident, options and default facility for
     * every later syslog call of the program. Each record names its
     * facility in its priority and its sender in its text instead. */
    *out = a;
    return ODBCPOOL_OK;
  }

  size_t len = strlen(cfg->audit_path) + sizeof ".lock";
  a->path = strdup(cfg->audit_path);
  a->lock_path = malloc(len);
  if (a->path == NULL || a->lock_path == NULL) {
    audit_free(a);
    return odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
  }
  snprintf(a->lock_path, len, "%s.lock", cfg->audit_path);
  a->lock_fd = open_lock_file(a->lock_path);
  if (a->lock_fd < 0) {
    rc = odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: cannot open: %s",
                       a->lock_path, strerror(errno));
    audit_free(a);
    return rc;
  }
  if (!lock_timed(a->lock_fd, LOCK_EX, LOCK_WAIT_OPEN_MS)) {
    rc = odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE,
                       "%s: cannot lock (held by another process for %d s?)",
                       a->lock_path, LOCK_WAIT_OPEN_MS / 1000);
    audit_free(a);
    return rc;
  }
  rc = check_is_trail(a->path, err);
  if (rc == ODBCPOOL_OK)
    rc = sync_trail(a, err);
  if (rc == ODBCPOOL_OK) {
    collect_markers(a);
    marker_create(a);
  }
  a->rotated_here = false;
  flock(a->lock_fd, LOCK_UN);
  if (rc != ODBCPOOL_OK) {
    audit_free(a);
    return rc;
  }
  *out = a;
  return ODBCPOOL_OK;
}

void odbcpool__audit_log(struct odbcpool__audit *a,
                         const struct odbcpool__audit_rec *rec) {
  odbcpool_error err;
  char mac[MAC_HEX + 1];

  if (a == NULL || rec == NULL)
    return;
  if ((unsigned)rec->event >= ODBCPOOL_AUDIT_NEVENTS) {
    odbcpool__log(ODBCPOOL_LOG_ERROR, "audit: unknown event %d not logged",
                  (int)rec->event);
    return;
  }
  pthread_mutex_lock(&a->mu);
  after_fork(a);
  if (a->sealed) {
    append_failed(a, "the process is exiting");
    pthread_mutex_unlock(&a->mu);
    return;
  }
  if (a->syslog) {
    const char *why = format_record(a, "", now_ms(a), rec, NULL, mac);
    if (why != NULL) {
      append_failed(a, why);
    } else {
      if (a->syslog_hook)
        a->syslog_hook(a->rec.data, a->syslog_ctx);
      else
        /* "odbcpool[pid]: " after whatever ident the program set: the
         * pid, as records of several processes interleave there and each
         * process has its own chain. */
        syslog(LOG_AUTHPRIV | LOG_INFO, "odbcpool[%ld]: %s", (long)a->pid,
               a->rec.data);
      a->chain.seq++;
      memcpy(a->chain.mac, mac, sizeof mac);
      append_succeeded(a);
    }
    pthread_mutex_unlock(&a->mu);
    return;
  }
  if (a->lock_fd < 0)
    a->lock_fd = open_lock_file(a->lock_path);
  if (a->lock_fd < 0) {
    snprintf(err.message, sizeof err.message, "%s: cannot open: %s",
             a->lock_path, strerror(errno));
    append_failed(a, err.message);
  } else if (!lock_timed(a->lock_fd, LOCK_EX,
                         a->short_wait ? LOCK_WAIT_SHORT_MS : LOCK_WAIT_MS)) {
    a->short_wait = true;
    snprintf(err.message, sizeof err.message,
             "%s: cannot lock (held by another process)", a->lock_path);
    append_failed(a, err.message);
  } else {
    a->short_wait = false;
    int rc = sync_trail(a, &err);
    if (rc == ODBCPOOL_OK &&
        odbcpool__now_ms() - a->last_collect_ms >= COLLECT_EVERY_MS)
      collect_markers(a);
    if (rc == ODBCPOOL_OK)
      rc = append_locked(a, rec, &err);
    a->rotated_here = false;
    flock(a->lock_fd, LOCK_UN);
    if (rc == ODBCPOOL_OK)
      append_succeeded(a);
    else
      append_failed(a, err.message);
  }
  pthread_mutex_unlock(&a->mu);
}

void odbcpool__audit_seal(struct odbcpool__audit *a) {
  if (a == NULL)
    return;
  pthread_mutex_lock(&a->mu);
  a->sealed = true;
  /* Counted losses stay in the marker; an empty one goes. */
  if (a->marker_fd >= 0 && a->pid == getpid() && a->lost == 0)
    marker_drop(a);
  pthread_mutex_unlock(&a->mu);
}

void odbcpool__audit_close(struct odbcpool__audit *a) {
  audit_free(a);
}

void odbcpool__audit_pseudonym(struct odbcpool__audit *a, const char *user,
                               char out[33]) {
  out[0] = '\0';
  if (a == NULL || user == NULL)
    return;
  pthread_mutex_lock(&a->mu);
  odbcpool_error err;
  const unsigned char *pk =
      a->pkeys.period_ms > 0 ? odbcpool__pkeys_get(&a->pkeys, now_ms(a), &err)
                             : a->key;
  if (pk == NULL || !odbcpool__pkey_pseudonym(pk, user, out))
    out[0] = '\0';
  pthread_mutex_unlock(&a->mu);
}

void odbcpool__audit_json_string(struct odbcpool__buf *b, const char *s) {
  put_json_string(b, s, FIELD_MAX_FILE);
}

int odbcpool__audit_rotate_now(struct odbcpool__audit *a, odbcpool_error *err) {
  int rc;
  if (a == NULL || a->syslog)
    return odbcpool__err(err, ODBCPOOL_EINVAL, SQLSTATE,
                         "audit: no log file to rotate");
  pthread_mutex_lock(&a->mu);
  after_fork(a);
  if (a->lock_fd < 0 || !lock_timed(a->lock_fd, LOCK_EX, LOCK_WAIT_MS)) {
    pthread_mutex_unlock(&a->mu);
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: cannot lock",
                         a->lock_path);
  }
  rc = sync_trail(a, err);
  if (rc == ODBCPOOL_OK)
    rc = rotate_locked(a, now_ms(a), err);
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

void odbcpool__audit_atfork_prepare(struct odbcpool__audit *a) {
  if (a != NULL)
    pthread_mutex_lock(&a->mu);
}

void odbcpool__audit_atfork_release(struct odbcpool__audit *a) {
  if (a != NULL)
    pthread_mutex_unlock(&a->mu);
}

/* ------------------------------------------------------------- purge */

int odbcpool__audit_purge_to(const struct cfg *cfg, FILE *out,
                             odbcpool_error *err) {
  odbcpool__err_clear(err);
  if (cfg == NULL || cfg->audit_retention <= 0)
    return 0;
  int keys = 0;
  if (cfg->audit_key_file != NULL && cfg->audit_pseudonym_period > 0) {
    /* Keys of periods past retention: their records, wherever copies
     * of them are, can no longer be tied to anyone. */
    char *kdir = odbcpool__pkey_dir(cfg->audit_key_file, cfg->audit_pkey_dir);
    keys = kdir == NULL
               ? -1
               : odbcpool__pkey_purge(
                     kdir, real_now_ms() - cfg->audit_retention, out, err);
    free(kdir);
    if (keys < 0)
      return -1;
  }
  if (cfg->audit_path == NULL || cfg->audit_syslog)
    return keys;
  /* Hold the writers' lock, so that no writer looks for the chain end in
   * a rotated file while it goes. Never create the lock file: run as
   * another user (root), that would lock the pool out of it. */
  size_t len = strlen(cfg->audit_path) + sizeof ".lock";
  char *lock_path = malloc(len);
  if (lock_path == NULL) {
    odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
    return -1;
  }
  snprintf(lock_path, len, "%s.lock", cfg->audit_path);
  int fd = open(lock_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
  free(lock_path);
  if (fd >= 0 && !lock_timed(fd, LOCK_EX, LOCK_WAIT_OPEN_MS)) {
    close(fd);
    odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s.lock: cannot lock",
                  cfg->audit_path);
    return -1;
  }
  int n = purge_rotated(cfg->audit_path, real_now_ms() - cfg->audit_retention,
                        out, err);
  if (fd >= 0)
    close(fd); /* releases the lock */
  return n < 0 ? n : n + keys;
}

int odbcpool__audit_purge(const struct cfg *cfg, odbcpool_error *err) {
  return odbcpool__audit_purge_to(cfg, NULL, err);
}

int odbcpool__audit_trail_files(const char *path, char ***files /* OUT */,
                                int *nfiles /* OUT */, odbcpool_error *err) {
  char **v;
  size_t n;
  struct stat st;
  *files = NULL;
  *nfiles = 0;
  int rc = list_rotated(path, &v, &n);
  if (rc != 0)
    return odbcpool__err(err, rc == ENOMEM ? ODBCPOOL_ENOMEM : ODBCPOOL_EIO,
                         SQLSTATE, "%s: cannot list its directory: %s", path,
                         strerror(rc));
  if (stat(path, &st) == 0) {
    char **nv = realloc(v, (n + 1) * sizeof *v);
    char *live = strdup(path);
    if (nv == NULL || live == NULL) {
      free(live);
      free_list(nv ? nv : v, n);
      return odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
    }
    v = nv;
    v[n++] = live;
  }
  if (n > INT_MAX) {
    free_list(v, n);
    return odbcpool__err(err, ODBCPOOL_EINVAL, SQLSTATE, "too many files");
  }
  *files = v;
  *nfiles = (int)n;
  return ODBCPOOL_OK;
}

void odbcpool__audit_files_free(char **files, int nfiles) {
  if (files != NULL)
    free_list(files, nfiles > 0 ? (size_t)nfiles : 0);
}

/* ------------------------------------------------------------ verify */

/* One chain: the file trail's, or one syslog stream's. */
struct vchain {
  char stream[STREAM_HEX + 1];
  bool have;
  uint64_t first_seq;
  struct chain end;
};

struct verifier {
  const unsigned char *chain_key;
  FILE *out;
  odbcpool_error *err;
  bool syslog;
  struct vchain *chains; /* one for files; one per stream for syslog */
  size_t nchains, capchains, last_chain;
  uint64_t records, recovered;
  uint64_t lost; /* records the writers counted as not written */
  /* Lines that are not records, waiting for the recovery record that
   * accounts for them (a write that was cut short). */
  bool junk;
  const char *junk_file;
  unsigned long junk_line;
  bool junk_partial; /* its first line is the unterminated end of a file */
  EVP_MD_CTX *junk_md;
  size_t junk_len;      /* bytes hashed: all but the last line's newline */
  bool junk_pending_nl; /* the last junk line had a newline */
  /* --expect-last */
  bool expect;
  uint64_t expect_seq; /* 0: any */
  char expect_mac[MAC_HEX + 1];
  bool expect_seen;
  const char *last_file;
  unsigned long last_line;
  const struct odbcpool__audit_verify_opts *opts; /* hooks, keep_going */
  uint64_t bad;         /* bad places passed over (keep_going) */
  odbcpool_error first; /* the first of them */
};

/* Fails verification at FILE:LINE. Returns EINVAL. */
static int vfail(struct verifier *v, const char *file, unsigned long line,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int vfail(struct verifier *v, const char *file, unsigned long line,
                 const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return odbcpool__err(v->err, ODBCPOOL_EINVAL, SQLSTATE, "%s:%lu: %s", file,
                       line, msg);
}

static int junk_fail(struct verifier *v) {
  if (v->junk_partial)
    return vfail(v, v->junk_file, v->junk_line,
                 "partial last line: the file was truncated, or a write was "
                 "cut short and no record has been written since");
  return vfail(v, v->junk_file, v->junk_line,
               "not an audit record (edited, or damaged)");
}

/* The chain of `stream` (NULL: the one chain of files), created empty
 * when first seen. The last one found is tried first: a process's
 * records come in runs. */
static struct vchain *vchain_for(struct verifier *v, const char *stream) {
  size_t last = v->last_chain;
  if (last < v->nchains && (stream == NULL || memcmp(v->chains[last].stream,
                                                     stream, STREAM_HEX) == 0))
    return &v->chains[last];
  for (size_t i = 0; i < v->nchains; i++) {
    if (stream == NULL ||
        memcmp(v->chains[i].stream, stream, STREAM_HEX) == 0) {
      v->last_chain = i;
      return &v->chains[i];
    }
  }
  if (v->nchains == v->capchains) {
    size_t cap = v->capchains ? v->capchains * 2 : 4;
    struct vchain *nc = realloc(v->chains, cap * sizeof *nc);
    if (nc == NULL)
      return NULL;
    v->chains = nc;
    v->capchains = cap;
  }
  v->last_chain = v->nchains;
  struct vchain *c = &v->chains[v->nchains++];
  memset(c, 0, sizeof *c);
  if (stream != NULL)
    memcpy(c->stream, stream, STREAM_HEX);
  return c;
}

static void junk_add(struct verifier *v, const char *file, unsigned long line,
                     const char *s, size_t n, bool terminated) {
  if (!v->junk) {
    v->junk = true;
    v->junk_file = file;
    v->junk_line = line;
    v->junk_partial = !terminated;
    v->junk_len = 0;
    v->junk_pending_nl = false;
    EVP_DigestInit_ex(v->junk_md, EVP_sha256(), NULL);
  }
  if (v->junk_pending_nl) {
    EVP_DigestUpdate(v->junk_md, "\n", 1);
    v->junk_len++;
  }
  EVP_DigestUpdate(v->junk_md, s, n);
  v->junk_len += n;
  v->junk_pending_nl = terminated;
}

/* Whether the junk seen is exactly what a recovery record says it found:
 * `bytes` bytes with SHA-256 `sha`, closed by the newline the writer
 * added unless they ended with one. */
static bool junk_matches(struct verifier *v, uint64_t bytes, const char *sha) {
  unsigned char md[32];
  unsigned int len = sizeof md;
  char hex[MAC_HEX + 1];
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  bool ok = false;
  if (c == NULL)
    return false;
  if (bytes == v->junk_len && EVP_MD_CTX_copy_ex(c, v->junk_md) &&
      EVP_DigestFinal_ex(c, md, &len)) {
    to_hex(md, sizeof md, hex);
    ok = memcmp(hex, sha, MAC_HEX) == 0;
  } else if (bytes == v->junk_len + 1 && v->junk_pending_nl &&
             EVP_MD_CTX_copy_ex(c, v->junk_md) &&
             EVP_DigestUpdate(c, "\n", 1) && EVP_DigestFinal_ex(c, md, &len)) {
    to_hex(md, sizeof md, hex);
    ok = memcmp(hex, sha, MAC_HEX) == 0;
  }
  EVP_MD_CTX_free(c);
  return ok;
}

static void note_bad(struct verifier *v);

/* Checks one line (without its newline). Returns OK or EINVAL with the
 * reason in v->err. */
static int verify_line(struct verifier *v, const char *file,
                       unsigned long lineno, const char *s, size_t n,
                       bool terminated) {
  struct line_info li;

  if (v->syslog) {
    /* Whatever the syslog daemon put before the record is not ours;
     * lines without a record are other programs' messages. */
    const char *rec = memmem(s, n, head_tag, TAG_LEN(head_tag));
    if (rec == NULL)
      return ODBCPOOL_OK;
    n -= (size_t)(rec - s);
    s = rec;
    if (!parse_shape(s, n, &li) || li.stream == NULL)
      return vfail(v, file, lineno,
                   "not an audit record (edited, cut by the syslog daemon, "
                   "or damaged)");
  } else if (!terminated || !parse_shape(s, n, &li)) {
    junk_add(v, file, lineno, s, n, terminated);
    return ODBCPOOL_OK;
  } else if (li.stream != NULL) {
    /* Only syslog records carry a stream. A file trail has one chain:
     * a syslog record here was put here, whatever its MAC says. */
    return vfail(v, file, lineno,
                 "a syslog record (it carries a \"stream\") in a file "
                 "trail, which has one chain: inserted, not written here");
  }
  if (!mac_matches(v->chain_key, s, &li))
    return vfail(v, file, lineno, "MAC does not match: %s",
                 v->records == 0 && !v->junk
                     ? "wrong key, or the record was edited"
                     : "the record was edited");
  uint64_t pbytes;
  const char *psha = find_hex(s, li.signed_len, "partial_sha256", MAC_HEX);
  bool recovery =
      find_num(s, li.signed_len, "partial_bytes", &pbytes) && psha != NULL;
  if (v->junk && (!recovery || !junk_matches(v, pbytes, psha))) {
    int rc = junk_fail(v);
    if (!v->opts || !v->opts->keep_going)
      return rc;
    note_bad(v); /* the junk is the bad place; this record is checked on */
  }
  if (v->junk) {
    if (v->out)
      fprintf(v->out,
              "%s:%lu: note: %zu bytes of a write that was cut short, "
              "recorded by the recovery record on line %lu\n",
              v->junk_file, v->junk_line, v->junk_len, lineno);
    v->junk = false;
    v->recovered++;
  } else if (recovery) {
    return vfail(v, file, lineno,
                 "recovery record, but the cut-short data it records is "
                 "missing");
  }
  struct vchain *c = vchain_for(v, li.stream);
  if (c == NULL)
    return odbcpool__err(v->err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
  bool prev_genesis = memcmp(li.prev, genesis, MAC_HEX) == 0;
  if (c->have) {
    if (li.seq != c->end.seq + 1 || memcmp(li.prev, c->end.mac, MAC_HEX)) {
      int rc = vfail(v, file, lineno,
                     "does not chain from the record before it (seq %" PRIu64
                     ", expected %" PRIu64 "): records were removed, "
                     "reordered or inserted here",
                     li.seq, c->end.seq + 1);
      /* The record itself is authentic (its MAC verified): the gap is
       * before it, so a reader that goes on still gets it. */
      if (v->opts && v->opts->keep_going && v->opts->on_record)
        v->opts->on_record(v->opts->ctx, file, lineno, s, n);
      return rc;
    }
  } else {
    if ((li.seq == 1) != prev_genesis)
      return vfail(v, file, lineno, "%s",
                   li.seq == 1
                       ? "seq 1 does not chain from the genesis value"
                       : "chains from the genesis value but is not seq 1");
    c->have = true;
    c->first_seq = li.seq;
  }
  uint64_t lost;
  if (find_num(s, li.signed_len, "lost", &lost) && lost > 0) {
    /* A writer could not write that many records before this one (a
     * full disk, an unwritable directory, a lock held too long), in
     * this process or, in a "lost" record, in one that has exited. */
    uint64_t pid;
    bool other = find_num(s, li.signed_len, "lost_pid", &pid);
    const char *since = find_str_start(s, li.signed_len, "lost_since");
    v->lost += lost;
    if (v->out) {
      fprintf(v->out,
              "%s:%lu: LOST: %" PRIu64 " audit records were not "
              "written",
              file, lineno, lost);
      if (other)
        fprintf(v->out,
                " by process %" PRIu64 ", which exited before it "
                "could write again",
                pid);
      if (since != NULL)
        fprintf(v->out, ", from %.*s on", TIME_LEN, since);
      fprintf(v->out, "\n");
    }
  }
  c->end.seq = li.seq;
  memcpy(c->end.mac, li.mac, MAC_HEX);
  c->end.mac[MAC_HEX] = '\0';
  if (v->expect && (v->expect_seq == 0 || v->expect_seq == li.seq) &&
      (v->expect_mac[0] == '\0' || memcmp(v->expect_mac, li.mac, MAC_HEX) == 0))
    v->expect_seen = true;
  v->records++;
  v->last_file = file;
  v->last_line = lineno;
  if (v->opts && v->opts->on_record)
    v->opts->on_record(v->opts->ctx, file, lineno, s, n);
  return ODBCPOOL_OK;
}

/* keep_going: reports the bad place verify_line or junk_fail found and
 * carries on from the line `s` (when it has the shape of a record, the
 * chain picks up from it: an edited record is reported once, not again
 * at the record after it). Returns OK, or `rc` if it is no bad place. */
static void note_bad(struct verifier *v) {
  if (v->bad++ == 0)
    v->first = *v->err;
  if (v->opts->on_bad)
    v->opts->on_bad(v->opts->ctx, v->err->message);
  v->junk = false;
  odbcpool__err_clear(v->err);
}

static int pass_bad(struct verifier *v, int rc, const char *s, size_t n) {
  struct line_info li;
  if (rc != ODBCPOOL_EINVAL || !v->opts || !v->opts->keep_going)
    return rc;
  note_bad(v);
  const char *rec = s ? memmem(s, n, head_tag, TAG_LEN(head_tag)) : NULL;
  if (rec != NULL && (v->syslog || rec == s) &&
      parse_shape(rec, n - (size_t)(rec - s), &li)) {
    struct vchain *c = vchain_for(v, li.stream);
    if (c != NULL) {
      if (!c->have)
        c->first_seq = li.seq;
      c->have = true;
      c->end.seq = li.seq;
      memcpy(c->end.mac, li.mac, MAC_HEX);
      c->end.mac[MAC_HEX] = '\0';
    }
  }
  return ODBCPOOL_OK;
}

/* Size of `file` as of the writers' last complete append: read under a
 * shared lock on <file>.lock when there is one (a live file), so that a
 * record being appended is not taken for a truncated one. */
static off_t stable_size(const char *file, int fd) {
  struct stat st;
  size_t len = strlen(file) + sizeof ".lock";
  char *lp = malloc(len);
  int lfd = -1;
  if (lp != NULL) {
    snprintf(lp, len, "%s.lock", file);
    lfd = open(lp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    free(lp);
  }
  bool locked = lfd >= 0 && lock_timed(lfd, LOCK_SH, LOCK_WAIT_OPEN_MS);
  off_t size = fstat(fd, &st) == 0 ? st.st_size : -1;
  if (locked)
    flock(lfd, LOCK_UN);
  if (lfd >= 0)
    close(lfd);
  return size;
}

/* Reads `file` line by line up to its stable size and checks each line.
 * With `first_seq` set, only finds the seq of its first record. */
static int verify_file(struct verifier *v, const char *file,
                       uint64_t *first_seq, unsigned long *nlines) {
  /* O_NONBLOCK: opening a FIFO must not wait for a writer. Only a
   * regular file can be a trail: a FIFO would block the read, and a
   * device such as /dev/zero or /dev/urandom would "verify" as an empty
   * trail. */
  int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  int rc = ODBCPOOL_OK;
  struct stat st;
  if (fd < 0)
    return odbcpool__err(v->err, ODBCPOOL_EIO, SQLSTATE, "%s: %s", file,
                         strerror(errno));
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    rc = odbcpool__err(v->err, ODBCPOOL_EIO, SQLSTATE,
                       "%s: not a regular file: an audit trail is one", file);
    close(fd);
    return rc;
  }
  off_t left = stable_size(file, fd);
  if (left < 0) {
    rc = odbcpool__err(v->err, ODBCPOOL_EIO, SQLSTATE, "%s: %s", file,
                       strerror(errno));
    close(fd);
    return rc;
  }
  char *chunk = malloc(65536);
  struct odbcpool__buf line = {0};
  unsigned long lineno = 0;
  bool too_long = false;
  if (chunk == NULL) {
    close(fd);
    return odbcpool__err(v->err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
  }
  while (left > 0 && rc == ODBCPOOL_OK) {
    size_t want = (uint64_t)left < 65536 ? (size_t)left : 65536;
    ssize_t r = read(fd, chunk, want);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      rc = odbcpool__err(v->err, ODBCPOOL_EIO, SQLSTATE, "%s: %s", file,
                         r < 0 ? strerror(errno) : "shrank while read");
      break;
    }
    left -= r;
    const char *p = chunk, *end = chunk + r;
    while (p < end && rc == ODBCPOOL_OK) {
      const char *nl = memchr(p, '\n', (size_t)(end - p));
      const char *stop = nl ? nl : end;
      if (line.len + (size_t)(stop - p) > LINE_MAX_BYTES)
        too_long = true;
      else
        odbcpool__buf_append(&line, p, (size_t)(stop - p));
      if (line.failed) {
        rc = odbcpool__err(v->err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
        break;
      }
      p = stop;
      if (nl == NULL)
        break;
      p++;
      lineno++;
      if (too_long) {
        rc = vfail(v, file, lineno,
                   "line longer than 16 MiB: not an audit record");
        rc = first_seq ? rc : pass_bad(v, rc, NULL, 0);
        too_long = false;
      } else if (first_seq != NULL) {
        struct line_info li;
        if (parse_shape(line.data ? line.data : "", line.len, &li)) {
          *first_seq = li.seq;
          left = 0;
          break;
        }
      } else {
        rc = verify_line(v, file, lineno, line.data ? line.data : "", line.len,
                         true);
        rc = pass_bad(v, rc, line.data, line.len);
      }
      line.len = 0;
    }
  }
  if (rc == ODBCPOOL_OK && first_seq == NULL && line.len > 0) {
    lineno++;
    rc = too_long ? vfail(v, file, lineno,
                          "line longer than 16 MiB: not an audit record")
                  : verify_line(v, file, lineno, line.data, line.len, false);
    rc = pass_bad(v, rc, NULL, 0);
  }
  if (rc == ODBCPOOL_OK && first_seq == NULL && v->junk)
    rc = pass_bad(v, junk_fail(v), NULL, 0);
  if (nlines)
    *nlines = lineno;
  odbcpool__buf_wipe(&line);
  free(chunk);
  close(fd);
  return rc;
}

static bool parse_expect(const char *s, struct verifier *v) {
  const char *colon = strchr(s, ':');
  const char *mac = s;
  v->expect = true;
  v->expect_seq = 0;
  v->expect_mac[0] = '\0';
  if (colon != NULL || strlen(s) != MAC_HEX) {
    char *end;
    if (!(*s >= '0' && *s <= '9'))
      return false;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 10);
    if (errno || n == 0 || end != (colon ? colon : s + strlen(s)))
      return false;
    v->expect_seq = n;
    if (colon == NULL)
      return true;
    mac = colon + 1;
  }
  if (strlen(mac) != MAC_HEX || !is_hex(mac, MAC_HEX))
    return false;
  memcpy(v->expect_mac, mac, sizeof v->expect_mac);
  return true;
}

int odbcpool__audit_verify_ex(const char *key_file, char *const *files,
                              int nfiles,
                              const struct odbcpool__audit_verify_opts *opts,
                              FILE *out, odbcpool_error *err) {
  struct verifier v = {.out = out, .err = err, .opts = opts};
  unsigned char *key = NULL;
  size_t *order = NULL;
  uint64_t *first = NULL;
  int rc;

  odbcpool__err_clear(err);
  if (files == NULL || nfiles <= 0)
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SQLSTATE,
                         "audit verify: no file given");
  if (opts && opts->expect_last && !parse_expect(opts->expect_last, &v))
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SQLSTATE,
                         "--expect-last %s: want SEQ, MAC (64 hex digits) or "
                         "SEQ:MAC",
                         opts->expect_last);
  v.syslog = opts && opts->syslog;
  key = odbcpool__secure_alloc(2 * KEY_LEN);
  v.junk_md = EVP_MD_CTX_new();
  order = calloc((size_t)nfiles, sizeof *order);
  first = calloc((size_t)nfiles, sizeof *first);
  if (key == NULL || v.junk_md == NULL || order == NULL || first == NULL) {
    rc = odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
    goto done;
  }
  rc = odbcpool__secret_load_key(key_file, key, err);
  if (rc != ODBCPOOL_OK)
    goto done;
  if (!derive_chain_key(key, key + KEY_LEN)) {
    rc = odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE,
                       "libcrypto failed to derive the chain key");
    goto done;
  }
  v.chain_key = key + KEY_LEN;

  /* Files go in chain order, by the seq of their first record, so that a
   * shell glob (audit.log*) works; files without a record go last.
   * Syslog files are taken in the order given. */
  for (int i = 0; i < nfiles; i++) {
    order[i] = (size_t)i;
    first[i] = UINT64_MAX;
    if (!v.syslog) {
      rc = verify_file(&v, files[i], &first[i], NULL);
      if (rc != ODBCPOOL_OK)
        goto done;
    }
  }
  for (int i = 1; i < nfiles; i++) {
    size_t x = order[i];
    int j = i - 1;
    for (; j >= 0 && first[order[j]] > first[x]; j--)
      order[j + 1] = order[j];
    order[j + 1] = x;
  }
  for (int i = 0; i < nfiles; i++) {
    const char *f = files[order[i]];
    uint64_t before = v.records;
    unsigned long nlines = 0;
    rc = verify_file(&v, f, NULL, &nlines);
    if (rc != ODBCPOOL_OK)
      goto done;
    if (out)
      fprintf(out, "%s: %" PRIu64 " records\n", f, v.records - before);
  }
  if (v.bad > 0) {
    /* keep_going: every bad place was reported; the result is the
     * first. */
    *err = v.first;
    if (out)
      fprintf(out,
              "NOT intact: %" PRIu64 " bad places in %" PRIu64 " records\n",
              v.bad, v.records);
    rc = ODBCPOOL_EINVAL;
    goto done;
  }
  if (v.expect && !v.expect_seen) {
    char what[128];
    if (v.expect_mac[0])
      snprintf(what, sizeof what, "%s%.12s...",
               v.expect_seq ? "the record with that seq and mac " : "mac ",
               v.expect_mac);
    else
      snprintf(what, sizeof what, "seq %" PRIu64, v.expect_seq);
    rc = odbcpool__err(
        err, ODBCPOOL_EINVAL, SQLSTATE,
        "%s:%lu: the trail ends here without %s (--expect-last): records "
        "were removed from its end, or it is another trail",
        v.last_file ? v.last_file : files[order[nfiles - 1]],
        v.last_file ? v.last_line + 1 : 1, what);
    goto done;
  }
  if (opts && opts->genesis) {
    for (size_t i = 0; i < v.nchains; i++) {
      if (v.chains[i].first_seq != 1) {
        rc = odbcpool__err(err, ODBCPOOL_EINVAL, SQLSTATE,
                           "%s:1: the trail starts at seq %" PRIu64 ", not "
                           "at the genesis record (--genesis): records were "
                           "removed from its start",
                           files[order[0]], v.chains[i].first_seq);
        goto done;
      }
    }
  }
  if (out) {
    fprintf(out, "intact: %" PRIu64 " records", v.records);
    if (v.recovered)
      fprintf(out, " (%" PRIu64 " cut-short writes recovered)", v.recovered);
    fprintf(out, "\n");
    if (v.lost)
      fprintf(out,
              "LOST: %" PRIu64 " records were not written (counted by the "
              "writers; see the LOST lines above)\n",
              v.lost);
    for (size_t i = 0; i < v.nchains; i++) {
      struct vchain *c = &v.chains[i];
      if (v.syslog)
        fprintf(out, "stream %s: ", c->stream);
      fprintf(out, "seq %" PRIu64 "..%" PRIu64 "%s\nlast: %" PRIu64 ":%s\n",
              c->first_seq, c->end.seq,
              c->first_seq == 1 ? ", from the genesis record"
                                : " (earlier records are not in the files "
                                  "given)",
              c->end.seq, c->end.mac);
    }
  }
  rc = ODBCPOOL_OK;
done:
  if (key != NULL)
    odbcpool__secure_free(key, 2 * KEY_LEN);
  EVP_MD_CTX_free(v.junk_md);
  free(v.chains);
  free(order);
  free(first);
  return rc;
}

int odbcpool__audit_verify(const char *key_file, char *const *files, int nfiles,
                           FILE *out, odbcpool_error *err) {
  return odbcpool__audit_verify_ex(key_file, files, nfiles, NULL, out, err);
}
