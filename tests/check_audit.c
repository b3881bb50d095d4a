/* check_audit.c — unit tests of the audit trail (src/audit.c): record
 * format and escaping, the MAC chain and its verifier, tampering,
 * rotation, retention, recovery after a cut-short write, and several
 * processes appending to one trail. */
#include "build.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "audit.h"
#include "audit_hooks.h"
#include "audit_keys.h"
#include "audit_report.h"
#include "audit_verify.h"
#include "config.h"

#define ck_assert_contains(hay, needle)                                        \
  ck_assert_msg(strstr((hay), (needle)) != NULL,                               \
                "\"%s\" should contain \"%s\"", (hay), (needle))

/* ------------------------------------------------------------ fixture */

static char tdir[PATH_MAX];
static char log_path[PATH_MAX + 32];
static char key_path[PATH_MAX + 32];

static const unsigned char test_key[32] = {
    0x6b, 0x3a, 0x91, 0x0f, 0xc2, 0x55, 0x17, 0xe8, 0x2d, 0x44, 0x9b,
    0x70, 0x01, 0xfe, 0x38, 0xa6, 0x5c, 0x13, 0x87, 0xd9, 0x20, 0x6e,
    0xb4, 0x4f, 0x99, 0x0a, 0x73, 0xc5, 0x3e, 0x81, 0x12, 0xdd};

static void write_file(const char *path, const void *data, size_t n,
                       mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
  ck_assert_int_eq(fchmod(fd, mode), 0);
  ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
  close(fd);
}

static void append_file(const char *path, const void *data, size_t n) {
  int fd = open(path, O_WRONLY | O_APPEND);
  ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
  ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
  close(fd);
}

/* The whole file, NUL-terminated; *n (may be NULL) gets its length. */
static char *read_file(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  rewind(f);
  char *buf = malloc((size_t)len + 1);
  ck_assert_ptr_nonnull(buf);
  ck_assert_int_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
  buf[len] = '\0';
  fclose(f);
  if (n)
    *n = (size_t)len;
  return buf;
}

static int rm_entry(const char *p, const struct stat *st, int flag,
                    struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(p);
}

static void tmpdir_setup(void) {
  const char *base = getenv("TMPDIR");
  snprintf(tdir, sizeof tdir, "%s/odbcpool-audit-XXXXXX",
           base && *base ? base : "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(tdir));
  snprintf(log_path, sizeof log_path, "%s/audit.log", tdir);
  snprintf(key_path, sizeof key_path, "%s/audit.key", tdir);
  write_file(key_path, test_key, sizeof test_key, 0600);
}

static void tmpdir_teardown(void) {
  nftw(tdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A config with an [audit] section for the trail at log_path (or syslog)
 * and `extra` lines in it. */
static struct cfg *make_cfg(const char *extra) {
  char text[3 * PATH_MAX + 512], ini[PATH_MAX + 32];
  odbcpool_error err;
  struct cfg *cfg = NULL;
  snprintf(text, sizeof text,
           "[defaults]\nmax_connections = 2\n[audit]\npath = %s\n"
           "key_file = %s\n%s",
           log_path, key_path, extra ? extra : "");
  snprintf(ini, sizeof ini, "%s/pool.ini", tdir);
  write_file(ini, text, strlen(text), 0600);
  int rc = odbcpool__cfg_load(ini, &cfg, &err);
  ck_assert_msg(rc == ODBCPOOL_OK, "config: %s", err.message);
  return cfg;
}

static struct odbcpool__audit *open_ok(const struct cfg *cfg) {
  odbcpool_error err;
  struct odbcpool__audit *a = NULL;
  int rc = odbcpool__audit_open(cfg, &a, &err);
  ck_assert_msg(rc == ODBCPOOL_OK, "audit_open: %s", err.message);
  ck_assert_ptr_nonnull(a);
  return a;
}

/* Opens the default trail, gives it to `fn`, closes it. */
static struct odbcpool__audit *open_default(struct cfg **cfg) {
  *cfg = make_cfg(NULL);
  return open_ok(*cfg);
}

static void log_event(struct odbcpool__audit *a, enum odbcpool__audit_event ev,
                      const char *pool, uint64_t conn, const char *user,
                      const char *purpose, const char *reason, long dur,
                      long wait) {
  struct odbcpool__audit_rec r = {
      .event = ev,
      .pool = pool,
      .conn = conn,
      .user = user,
      .purpose = purpose,
      .reason = reason,
      .duration_ms = dur,
      .wait_ms = wait,
  };
  odbcpool__audit_log(a, &r);
}

static void log_n(struct odbcpool__audit *a, int n) {
  for (int i = 0; i < n; i++)
    log_event(a, ODBCPOOL_AUDIT_BORROW, "sales", (uint64_t)i + 1, "bob",
              "invoices", NULL, i, 0);
}

/* Writes a trail of `n` records at log_path and closes it. */
static void make_trail(int n) {
  struct cfg *cfg;
  struct odbcpool__audit *a = open_default(&cfg);
  log_n(a, n);
  odbcpool__audit_close(a);
  odbcpool__cfg_free(cfg);
}

/* Verifies files with the test key; returns the code and fills err. */
static int verify_opts(const char *key, const char *const *files, int n,
                       const struct odbcpool__audit_verify_opts *opts,
                       odbcpool_error *err) {
  char *v[16];
  ck_assert_int_le(n, 16);
  for (int i = 0; i < n; i++)
    v[i] = (char *)files[i];
  return odbcpool__audit_verify(key, v, n, opts, NULL, err);
}

static void verify_ok(const char *const *files, int n) {
  odbcpool_error err;
  int rc = verify_opts(key_path, files, n, NULL, &err);
  ck_assert_msg(rc == ODBCPOOL_OK, "verify failed: %s", err.message);
}

/* Verification of `file` must fail, naming `file`:`line` and `frag`. */
static void verify_fails_at(const char *const *files, int n, const char *file,
                            unsigned long line, const char *frag,
                            const struct odbcpool__audit_verify_opts *opts) {
  odbcpool_error err;
  char where[PATH_MAX + 64];
  int rc = verify_opts(key_path, files, n, opts, &err);
  ck_assert_msg(rc == ODBCPOOL_EINVAL, "verify should fail (%d): %s", rc,
                err.message);
  snprintf(where, sizeof where, "%s:%lu: ", file, line);
  ck_assert_msg(strncmp(err.message, where, strlen(where)) == 0,
                "message \"%s\" should start with \"%s\"", err.message, where);
  ck_assert_contains(err.message, frag);
}

/* ------------------------------------------------------ trail as lines */

struct lines {
  char **v;
  size_t n;
};

static struct lines split_lines(const char *path) {
  size_t len;
  char *buf = read_file(path, &len);
  struct lines l = {0};
  char *p = buf;
  ck_assert_msg(len == 0 || buf[len - 1] == '\n', "%s: partial last line",
                path);
  while (p < buf + len) {
    char *nl = memchr(p, '\n', (size_t)(buf + len - p));
    l.v = realloc(l.v, (l.n + 1) * sizeof *l.v);
    l.v[l.n++] = strndup(p, (size_t)(nl - p));
    p = nl + 1;
  }
  free(buf);
  return l;
}

static void free_lines(struct lines *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
  l->v = NULL;
  l->n = 0;
}

/* Writes `l` to `path`, skipping index `skip` (-1: none). */
static void write_lines(const char *path, const struct lines *l, long skip) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  for (size_t i = 0; i < l->n; i++)
    if ((long)i != skip)
      fprintf(f, "%s\n", l->v[i]);
  fclose(f);
}

/* ------------------------------------------- a minimal JSON validator */

/* What the trail emits: one object of string keys whose values are
 * strings or non-negative integers. The validator is strict RFC 8259 for
 * those: no raw control characters, only the defined escapes, \u
 * surrogates only in pairs. Strings are decoded to UTF-8. */
struct jfield {
  char key[32];
  bool is_str;
  char *str; /* decoded, NUL-terminated (may contain NUL via \u0000) */
  size_t len;
  uint64_t num;
};
struct jobj {
  struct jfield f[32];
  int n;
};

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static bool read_u4(const char **pp, const char *end, unsigned *u) {
  const char *p = *pp;
  *u = 0;
  if (end - p < 4)
    return false;
  for (int i = 0; i < 4; i++) {
    int h = hexval(p[i]);
    if (h < 0)
      return false;
    *u = *u * 16 + (unsigned)h;
  }
  *pp = p + 4;
  return true;
}

static void put_utf8(char **o, uint32_t c) {
  unsigned char *u = (unsigned char *)*o;
  if (c < 0x80) {
    *u++ = (unsigned char)c;
  } else if (c < 0x800) {
    *u++ = (unsigned char)(0xC0 | (c >> 6));
    *u++ = (unsigned char)(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    *u++ = (unsigned char)(0xE0 | (c >> 12));
    *u++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
    *u++ = (unsigned char)(0x80 | (c & 0x3F));
  } else {
    *u++ = (unsigned char)(0xF0 | (c >> 18));
    *u++ = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
    *u++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
    *u++ = (unsigned char)(0x80 | (c & 0x3F));
  }
  *o = (char *)u;
}

/* Parses a JSON string at *pp (at its opening quote). Returns a malloc'd
 * decoded copy, or NULL if invalid. */
static char *json_string(const char **pp, const char *end, size_t *len) {
  const char *p = *pp;
  if (p >= end || *p != '"')
    return NULL;
  p++;
  char *out = malloc((size_t)(end - p) * 2 + 1), *o = out;
  while (p < end && *p != '"') {
    unsigned char c = (unsigned char)*p;
    if (c < 0x20) {
      free(out);
      return NULL;
    }
    if (c != '\\') {
      *o++ = *p++;
      continue;
    }
    p++;
    if (p >= end)
      break;
    char e = *p++;
    unsigned u, lo;
    switch (e) {
    case '"':
    case '\\':
    case '/':
      *o++ = e;
      break;
    case 'b':
      *o++ = '\b';
      break;
    case 'f':
      *o++ = '\f';
      break;
    case 'n':
      *o++ = '\n';
      break;
    case 'r':
      *o++ = '\r';
      break;
    case 't':
      *o++ = '\t';
      break;
    case 'u':
      if (!read_u4(&p, end, &u))
        goto bad;
      if (u >= 0xDC00 && u <= 0xDFFF)
        goto bad;
      if (u >= 0xD800 && u <= 0xDBFF) {
        if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
          goto bad;
        p += 2;
        if (!read_u4(&p, end, &lo) || lo < 0xDC00 || lo > 0xDFFF)
          goto bad;
        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
      }
      put_utf8(&o, u);
      break;
    default:
      goto bad;
    }
  }
  if (p >= end)
    goto bad;
  *pp = p + 1;
  *o = '\0';
  *len = (size_t)(o - out);
  return out;
bad:
  free(out);
  return NULL;
}

static void free_obj(struct jobj *o) {
  for (int i = 0; i < o->n; i++)
    free(o->f[i].str);
  o->n = 0;
}

/* Parses one line as a JSON object; fails the test with the reason. */
static void parse_json(const char *s, struct jobj *o) {
  const char *p = s, *end = s + strlen(s);
  memset(o, 0, sizeof *o);
  for (const char *q = s; q < end; q++)
    ck_assert_msg((unsigned char)*q >= 0x20 && (unsigned char)*q < 0x7F,
                  "byte 0x%02x at %td is not printable ASCII",
                  (unsigned char)*q, q - s);
  ck_assert_msg(p < end && *p == '{', "not an object: %.80s", s);
  p++;
  for (;;) {
    size_t klen;
    char *key = json_string(&p, end, &klen);
    ck_assert_msg(key != NULL, "bad key at %td: %.80s", p - s, p);
    ck_assert_msg(klen < sizeof o->f[0].key, "key too long");
    for (int i = 0; i < o->n; i++)
      ck_assert_msg(strcmp(o->f[i].key, key) != 0, "duplicate key %s", key);
    ck_assert_int_lt(o->n, 32);
    struct jfield *f = &o->f[o->n++];
    memcpy(f->key, key, klen + 1);
    free(key);
    ck_assert_msg(p < end && *p == ':', "no ':' after key %s", f->key);
    p++;
    if (p < end && *p == '"') {
      f->is_str = true;
      f->str = json_string(&p, end, &f->len);
      ck_assert_msg(f->str != NULL, "bad string value of %s", f->key);
    } else {
      const char *d = p;
      while (p < end && *p >= '0' && *p <= '9')
        f->num = f->num * 10 + (uint64_t)(*p++ - '0');
      ck_assert_msg(p > d && !(*d == '0' && p - d > 1),
                    "bad number value of %s", f->key);
    }
    ck_assert_msg(p < end, "unterminated object");
    if (*p == '}') {
      p++;
      break;
    }
    ck_assert_msg(*p == ',', "expected ',' or '}' at %td", p - s);
    p++;
  }
  ck_assert_msg(p == end, "junk after the object at %td", p - s);
}

static const struct jfield *jget(const struct jobj *o, const char *key) {
  for (int i = 0; i < o->n; i++)
    if (strcmp(o->f[i].key, key) == 0)
      return &o->f[i];
  return NULL;
}

static const char *jstr(const struct jobj *o, const char *key) {
  const struct jfield *f = jget(o, key);
  ck_assert_msg(f != NULL && f->is_str, "no string field %s", key);
  return f->str;
}

static uint64_t jnum(const struct jobj *o, const char *key) {
  const struct jfield *f = jget(o, key);
  ck_assert_msg(f != NULL && !f->is_str, "no number field %s", key);
  return f->num;
}

/* ------------------------------------ the format, recomputed by hand */

static void hex(const unsigned char *in, size_t n, char *out) {
  for (size_t i = 0; i < n; i++)
    sprintf(out + 2 * i, "%02x", in[i]); /* NOLINT: bounded by n */
}

static void hmac_hex(const unsigned char *key, const void *d, size_t n,
                     char out[65]) {
  unsigned char md[32];
  unsigned int len = 32;
  ck_assert_ptr_nonnull(
      HMAC(EVP_sha256(), key, 32, (const unsigned char *)d, n, md, &len));
  hex(md, 32, out);
}

/* The MAC doc/AUDIT.md specifies for a line, computed independently. */
/* The pseudonym key of period `id`, as the trail at key_path keeps it:
 * the first 32 bytes of <key_path>.pseudonyms/<id>.key. */
static void period_key(const char *id, unsigned char out[32]) {
  char path[PATH_MAX + 64];
  size_t n;
  snprintf(path, sizeof path, "%s.pseudonyms/%s.key", key_path, id);
  char *k = read_file(path, &n);
  ck_assert_uint_eq(n, 64);
  memcpy(out, k, 32);
  free(k);
}

static void expected_mac(const char *line, char out[65]) {
  static const char label[] = "odbcpool audit chain v1";
  unsigned char ck[32];
  unsigned int len = 32;
  const char *m = strstr(line, ",\"mac\":\"");
  ck_assert_ptr_nonnull(m);
  HMAC(EVP_sha256(), test_key, 32, (const unsigned char *)label,
       sizeof label - 1, ck, &len);
  hmac_hex(ck, line, (size_t)(m - line), out);
}

/* ---------------------------------------------------------- records */

START_TEST(test_audit_record_round_trips_with_every_field) {
  struct cfg *cfg;
  struct odbcpool__audit *a = open_default(&cfg);
  struct jobj o;
  char want_principal[65], want_mac[65];
  time_t before = time(NULL);

  log_event(a, ODBCPOOL_AUDIT_BORROW, "sales_pg", 42, "alice", "billing",
            "none", 1234, 56);
  odbcpool__audit_close(a);
  struct lines l = split_lines(log_path);
  ck_assert_uint_eq(l.n, 1);
  parse_json(l.v[0], &o);

  static const char *const order[] = {
      "seq",         "time",      "event",  "pid",     "pool",
      "conn",        "principal", "period", "purpose", "reason",
      "duration_ms", "wait_ms",   "prev",   "mac"};
  ck_assert_int_eq(o.n, 14);
  for (int i = 0; i < 14; i++)
    ck_assert_str_eq(o.f[i].key, order[i]);
  ck_assert_uint_eq(jnum(&o, "seq"), 1);
  ck_assert_str_eq(jstr(&o, "event"), "borrow");
  ck_assert_uint_eq(jnum(&o, "pid"), (uint64_t)getpid());
  ck_assert_str_eq(jstr(&o, "pool"), "sales_pg");
  ck_assert_uint_eq(jnum(&o, "conn"), 42);
  /* The pseudonym is made with the period's own key, never the audit
   * key: the default pseudonym_period is 30 days. */
  unsigned char pk[32];
  char want_period[24];
  odbcpool__pkey_id((int64_t)time(NULL) * 1000, 30 * 86400000L, want_period,
                    NULL, NULL);
  ck_assert_str_eq(jstr(&o, "period"), want_period);
  period_key(want_period, pk);
  hmac_hex(pk, "alice", 5, want_principal);
  want_principal[32] = '\0';
  ck_assert_str_eq(jstr(&o, "principal"), want_principal);
  hmac_hex(test_key, "alice", 5, want_principal);
  ck_assert_str_ne(jstr(&o, "principal"), want_principal);
  ck_assert_str_eq(jstr(&o, "purpose"), "billing");
  ck_assert_str_eq(jstr(&o, "reason"), "none");
  ck_assert_uint_eq(jnum(&o, "duration_ms"), 1234);
  ck_assert_uint_eq(jnum(&o, "wait_ms"), 56);
  ck_assert_str_eq(jstr(&o, "prev"), "000000000000000000000000000000000000"
                                     "0000000000000000000000000000");
  expected_mac(l.v[0], want_mac);
  ck_assert_str_eq(jstr(&o, "mac"), want_mac);

  /* time: UTC, milliseconds, ISO 8601, and now */
  const char *t = jstr(&o, "time");
  struct tm tm = {0};
  int ms = -1;
  ck_assert_uint_eq(strlen(t), 24);
  ck_assert_int_eq(sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year,
                          &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                          &tm.tm_sec, &ms),
                   7);
  ck_assert_msg(t[4] == '-' && t[10] == 'T' && t[19] == '.' && t[23] == 'Z',
                "time %s is not ISO 8601 with milliseconds", t);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  time_t when = timegm(&tm);
  ck_assert_msg(when >= before && when <= time(NULL) + 1,
                "time %s is not now (UTC)", t);
  free_obj(&o);
  free_lines(&l);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_audit_every_event_is_written_by_its_name) {
  static const char *const names[] = {
      "open",  "borrow",  "return",       "reset_ok",       "reset_failed",
      "close", "refused", "wait_timeout", "leak_suspected", "lost"};
  struct cfg *cfg;
  struct odbcpool__audit *a = open_default(&cfg);
  ck_assert_int_eq(ODBCPOOL_AUDIT_NEVENTS, 10);
  for (int e = 0; e < ODBCPOOL_AUDIT_NEVENTS; e++)
    log_event(a, (enum odbcpool__audit_event)e, "p", 1, NULL, NULL,
              e == ODBCPOOL_AUDIT_CLOSE ? "idle_timeout" : NULL, -1, -1);
  log_event(a, (enum odbcpool__audit_event)ODBCPOOL_AUDIT_NEVENTS, "p", 1, NULL,
            NULL, NULL, -1, -1); /* ignored */
  odbcpool__audit_close(a);
  struct lines l = split_lines(log_path);
  ck_assert_uint_eq(l.n, 10);
  for (size_t i = 0; i < l.n; i++) {
    struct jobj o;
    parse_json(l.v[i], &o);
    ck_assert_str_eq(jstr(&o, "event"), names[i]);
    ck_assert_uint_eq(jnum(&o, "seq"), i + 1);
    if (i == ODBCPOOL_AUDIT_CLOSE)
      ck_assert_str_eq(jstr(&o, "reason"), "idle_timeout");
    free_obj(&o);
  }
  free_lines(&l);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_audit_missing_fields_are_left_out) {
  struct cfg *cfg;
  struct odbcpool__audit *a = open_default(&cfg);
  struct jobj o;
  log_event(a, ODBCPOOL_AUDIT_REFUSED, NULL, 0, NULL, NULL, NULL, -1, -1);
  odbcpool__audit_close(a);
  struct lines l = split_lines(log_path);
  parse_json(l.v[0], &o);
  ck_assert_int_eq(o.n, 6); /* seq time event pid prev mac */
  static const char *const absent[] = {"pool",    "conn",   "principal",
                                       "purpose", "reason", "duration_ms",
                                       "wait_ms", "lost",   "partial_bytes"};
  for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
    ck_assert_msg(jget(&o, absent[i]) == NULL, "%s should be left out",
                  absent[i]);
  free_obj(&o);
  free_lines(&l);
  odbcpool__cfg_free(cfg);
}
END_TEST

/* The hostile pattern and what it must decode to: valid characters kept
 * (escaped as needed), each byte of invalid UTF-8 replaced by U+FFFD. */
static const char hostile[] = "a\"b\\c\x01\x1f\x7f/\n\r\t\b\f"
                              "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                              "\xe2\x80\xa8 "
                              "\xff\xc0\x80\xed\xa0\x80\xe2\x82";
#define FFFD "\xef\xbf\xbd"
static const char hostile_decoded[] =
    "a\"b\\c\x01\x1f\x7f/\n\r\t\b\f"
    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
    "\xe2\x80\xa8 " FFFD FFFD FFFD FFFD FFFD FFFD FFFD FFFD;

START_TEST(test_audit_hostile_strings_are_escaped_to_valid_json) {
  struct cfg *cfg;
  struct odbcpool__audit *a = open_default(&cfg);
  const char *inject = "x\",\"mac\":\"00\"}\n{\"seq\":1,";
  size_t reps = 10240 / (sizeof hostile - 1) + 1;
  char *big = malloc(reps * (sizeof hostile - 1) + 1);
  char *big_want = malloc(reps * (sizeof hostile_decoded - 1) + 1);
  big[0] = big_want[0] = '\0';
  for (size_t i = 0; i < reps; i++) {
    strcat(big, hostile);              /* NOLINT: sized above */
    strcat(big_want, hostile_decoded); /* NOLINT: sized above */
  }
  ck_assert_uint_ge(strlen(big), 10240);

  log_event(a, ODBCPOOL_AUDIT_BORROW, hostile, 1, hostile, hostile, hostile, 1,
            1);
  log_event(a, ODBCPOOL_AUDIT_BORROW, inject, 2, inject, inject, NULL, 1, 1);
  log_event(a, ODBCPOOL_AUDIT_BORROW, big, 3, big, big, NULL, 1, 1);
  odbcpool__audit_close(a);

  struct lines l = split_lines(log_path);
  ck_assert_uint_eq(l.n, 3);
  struct jobj o;
  parse_json(l.v[0], &o);
  ck_assert_str_eq(jstr(&o, "pool"), hostile_decoded);
  ck_assert_str_eq(jstr(&o, "purpose"), hostile_decoded);
  ck_assert_str_eq(jstr(&o, "reason"), hostile_decoded);
  ck_assert_uint_eq(strlen(jstr(&o, "principal")), 32);
  free_obj(&o);
  parse_json(l.v[1], &o);
  ck_assert_str_eq(jstr(&o, "pool"), inject);
  ck_assert_str_eq(jstr(&o, "purpose"), inject);
  ck_assert_uint_eq(jnum(&o, "seq"), 2);
  free_obj(&o);
  parse_json(l.v[2], &o);
  ck_assert_str_eq(jstr(&o, "pool"), big_want);
  ck_assert_str_eq(jstr(&o, "purpose"), big_want);
  free_obj(&o);
  free_lines(&l);
  const char *files[] = {log_path};
  verify_ok(files, 1);
  free(big);
  free(big_want);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_audit_long_field_is_cut_at_a_character_boundary) {
  struct cfg *cfg;
  struct odbcpool__audit *a = open_default(&cfg);
  size_t n = 20000;
  char *even = malloc(2 * n + 1), *odd = malloc(2 * n + 2);
  for (size_t i = 0; i < n; i++)
    memcpy(even + 2 * i, "\xc3\xa9", 2);
  even[2 * n] = '\0';
  odd[0] = 'a';
  memcpy(odd + 1, even, 2 * n + 1);
  log_event(a, ODBCPOOL_AUDIT_BORROW, "p", 1, NULL, even, NULL, 1, 1);
  log_event(a, ODBCPOOL_AUDIT_BORROW, "p", 1, NULL, odd, NULL, 1, 1);
  odbcpool__audit_close(a);
  struct lines l = split_lines(log_path);
  struct jobj o;
  parse_json(l.v[0], &o);
  ck_assert_uint_eq(strlen(jstr(&o, "purpose")), 16384);
  ck_assert_int_eq(memcmp(jstr(&o, "purpose"), even, 16384), 0);
  free_obj(&o);
  parse_json(l.v[1], &o);
  ck_assert_uint_eq(strlen(jstr(&o, "purpose")), 16383);
  ck_assert_int_eq(memcmp(jstr(&o, "purpose"), odd, 16383), 0);
  free_obj(&o);
  free_lines(&l);
  free(even);
  free(odd);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_audit_file_never_holds_the_user_name_or_the_key) {
  struct cfg *cfg;
  struct odbcpool__audit *a = open_default(&cfg);
  const char *users[] = {"Alice.Example@corp.example", "bob", "\xc3\x9cmit",
                         "x\"y"};
  char khex[65], pn[33], want[65];
  for (size_t i = 0; i < 4; i++)
    log_event(a, ODBCPOOL_AUDIT_BORROW, "p", i + 1, users[i], "report", NULL, 1,
              1);
  odbcpool__audit_pseudonym(a, "bob", pn);
  unsigned char pk[32];
  char id[24];
  odbcpool__pkey_id((int64_t)time(NULL) * 1000, 30 * 86400000L, id, NULL, NULL);
  period_key(id, pk);
  hmac_hex(pk, "bob", 3, want);
  ck_assert_int_eq(strncmp(pn, want, 32), 0);
  ck_assert_uint_eq(strlen(pn), 32);
  odbcpool__audit_close(a);

  size_t len;
  char *all = read_file(log_path, &len);
  ck_assert_uint_eq(strlen(all), len); /* no NUL byte either */
  ck_assert_ptr_null(strcasestr(all, "alice"));
  ck_assert_ptr_null(strcasestr(all, "example"));
  ck_assert_ptr_null(strstr(all, "\"bob\""));
  ck_assert_ptr_null(strcasestr(all, "mit\""));
  ck_assert_ptr_null(strstr(all, "x\\\"y"));
  ck_assert_ptr_nonnull(strstr(all, pn));
  hex(test_key, 32, khex);
  ck_assert_ptr_null(strstr(all, khex));
  ck_assert_ptr_null(memmem(all, len, test_key, 8));
  free(all);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_audit_log_and_lock_files_are_created_0600) {
  struct cfg *cfg;
  struct stat st;
  char lock[PATH_MAX + 64];
  mode_t old = umask(0);
  struct odbcpool__audit *a = open_default(&cfg);
  log_n(a, 1);
  umask(old);
  ck_assert_int_eq(stat(log_path, &st), 0);
  ck_assert_uint_eq(st.st_mode & 07777, 0600);
  snprintf(lock, sizeof lock, "%s.lock", log_path);
  ck_assert_int_eq(stat(lock, &st), 0);
  ck_assert_uint_eq(st.st_mode & 07777, 0600);
  odbcpool__audit_close(a);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_audit_without_section_is_off_and_null_is_harmless) {
  odbcpool_error err;
  struct cfg *cfg = NULL;
  struct odbcpool__audit *a = (struct odbcpool__audit *)&err;
  const char *text = "[defaults]\nmax_connections = 1\n";
  ck_assert_int_eq(odbcpool__cfg_parse("t.ini", text, strlen(text), &cfg, &err),
                   ODBCPOOL_OK);
  ck_assert_int_eq(odbcpool__audit_open(cfg, &a, &err), ODBCPOOL_OK);
  ck_assert_ptr_null(a);
  struct odbcpool__audit_rec r = {.event = ODBCPOOL_AUDIT_OPEN};
  odbcpool__audit_log(NULL, &r);
  odbcpool__audit_close(NULL);
  char pn[33] = "x";
  odbcpool__audit_pseudonym(NULL, "bob", pn);
  ck_assert_str_eq(pn, "");
  ck_assert_int_eq(odbcpool__audit_purge(cfg, NULL, &err), 0);
  odbcpool__cfg_free(cfg);
}
END_TEST

/* ------------------------------------------------------------- keys */

START_TEST(test_audit_refuses_key_file_others_can_read) {
  struct cfg *cfg = make_cfg(NULL);
  odbcpool_error err;
  struct odbcpool__audit *a = NULL;
  ck_assert_int_eq(chmod(key_path, 0644), 0);
  ck_assert_int_eq(odbcpool__audit_open(cfg, &a, &err), ODBCPOOL_ECONFIG);
  ck_assert_ptr_null(a);
  ck_assert_contains(err.message, key_path);
  ck_assert_contains(err.message, "0644");
  ck_assert_int_eq(chmod(key_path, 0640), 0);
  ck_assert_int_eq(odbcpool__audit_open(cfg, &a, &err), ODBCPOOL_ECONFIG);
  ck_assert_ptr_null(a);
  /* the verifier refuses it too */
  const char *files[] = {log_path};
  ck_assert_int_eq(verify_opts(key_path, files, 1, NULL, &err),
                   ODBCPOOL_ECONFIG);
  ck_assert_contains(err.message, key_path);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_audit_refuses_key_shorter_than_32_bytes) {
  struct cfg *cfg = make_cfg(NULL);
  odbcpool_error err;
  struct odbcpool__audit *a = NULL;
  write_file(key_path, test_key, 31, 0600);
  ck_assert_int_eq(odbcpool__audit_open(cfg, &a, &err), ODBCPOOL_ECONFIG);
  ck_assert_ptr_null(a);
  ck_assert_contains(err.message, key_path);
  ck_assert_contains(err.message, "too short");
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_audit_refuses_to_append_to_a_file_that_is_no_trail) {
  struct cfg *cfg = make_cfg(NULL);
  odbcpool_error err;
  struct odbcpool__audit *a = NULL;
  const char *other = "Nov 25 00:00:01 host sshd[1]: hello\n";
  write_file(log_path, other, strlen(other), 0600);
  ck_assert_int_eq(odbcpool__audit_open(cfg, &a, &err), ODBCPOOL_ECONFIG);
  ck_assert_ptr_null(a);
  ck_assert_contains(err.message, log_path);
  ck_assert_contains(err.message, "not an odbcpool audit trail");
  size_t len;
  char *all = read_file(log_path, &len);
  ck_assert_str_eq(all, other); /* untouched */
  free(all);
  odbcpool__cfg_free(cfg);
}
END_TEST

/* ------------------------------------------------------------ chain */

START_TEST(test_audit_chain_verifies_and_continues_across_reopen) {
  make_trail(5);
  make_trail(3); /* a second process lifetime, same file */
  const char *files[] = {log_path};
  verify_ok(files, 1);
  struct lines l = split_lines(log_path);
  ck_assert_uint_eq(l.n, 8);
  for (size_t i = 0; i < l.n; i++) {
    struct jobj o;
    char mac[65];
    parse_json(l.v[i], &o);
    ck_assert_uint_eq(jnum(&o, "seq"), i + 1);
    expected_mac(l.v[i], mac);
    ck_assert_str_eq(jstr(&o, "mac"), mac);
    if (i > 0) {
      struct jobj prev;
      parse_json(l.v[i - 1], &prev);
      ck_assert_str_eq(jstr(&o, "prev"), jstr(&prev, "mac"));
      free_obj(&prev);
    }
    free_obj(&o);
  }
  free_lines(&l);

  /* the summary names the last record, for --expect-last */
  char *out = NULL;
  size_t outlen = 0;
  FILE *f = open_memstream(&out, &outlen);
  odbcpool_error err;
  char *v[] = {log_path};
  ck_assert_int_eq(odbcpool__audit_verify(key_path, v, 1, NULL, f, &err),
                   ODBCPOOL_OK);
  fclose(f);
  ck_assert_contains(out, "intact: 8 records");
  ck_assert_contains(out, "seq 1..8, from the genesis record");
  ck_assert_contains(out, "last: 8:");
  free(out);
}
END_TEST

static void *log_250(void *arg) {
  log_n(arg, 250);
  return NULL;
}

START_TEST(test_audit_threads_of_one_process_form_one_chain) {
  struct cfg *cfg;
  struct odbcpool__audit *a = open_default(&cfg);
  pthread_t t[4];
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq(pthread_create(&t[i], NULL, log_250, a), 0);
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  odbcpool__audit_close(a);
  const char *files[] = {log_path};
  verify_ok(files, 1);
  struct lines l = split_lines(log_path);
  ck_assert_uint_eq(l.n, 1000);
  free_lines(&l);
  odbcpool__cfg_free(cfg);
}
END_TEST

/* --------------------------------------------------------- tampering */

static char tampered[PATH_MAX + 32];

/* A trail of 10 records, read back as lines; `tampered` names the file
 * each test writes its altered copy to. */
static struct lines ten_records(void) {
  make_trail(10);
  snprintf(tampered, sizeof tampered, "%s/tampered.log", tdir);
  return split_lines(log_path);
}

START_TEST(test_audit_verify_detects_an_edited_byte) {
  struct lines l = ten_records();
  const char *files[] = {tampered};
  char *p = strstr(l.v[4], "\"invoices\"");
  ck_assert_ptr_nonnull(p);
  p[1] = 'I';
  write_lines(tampered, &l, -1);
  verify_fails_at(files, 1, tampered, 5, "MAC does not match", NULL);
  p[1] = 'i';
  /* an edited MAC, and an edited prev */
  char *m = &l.v[6][strlen(l.v[6]) - 3], was = *m;
  *m = was == '0' ? '1' : '0'; /* still hex, so still a record's shape */
  write_lines(tampered, &l, -1);
  verify_fails_at(files, 1, tampered, 7, "MAC does not match", NULL);
  *m = was;
  p = strstr(l.v[2], "\"prev\":\"") + 9;
  *p = *p == '0' ? '1' : '0';
  write_lines(tampered, &l, -1);
  verify_fails_at(files, 1, tampered, 3, "MAC does not match", NULL);
  free_lines(&l);
}
END_TEST

START_TEST(test_audit_verify_detects_a_removed_line) {
  struct lines l = ten_records();
  const char *files[] = {tampered};
  write_lines(tampered, &l, 4);
  verify_fails_at(files, 1, tampered, 5, "does not chain", NULL);
  verify_fails_at(files, 1, tampered, 5, "seq 6, expected 5", NULL);
  free_lines(&l);
}
END_TEST

START_TEST(test_audit_verify_detects_reordered_lines) {
  struct lines l = ten_records();
  const char *files[] = {tampered};
  char *t = l.v[3];
  l.v[3] = l.v[4];
  l.v[4] = t;
  write_lines(tampered, &l, -1);
  verify_fails_at(files, 1, tampered, 4, "does not chain", NULL);
  free_lines(&l);
}
END_TEST

START_TEST(test_audit_verify_detects_a_duplicated_line) {
  struct lines l = ten_records();
  const char *files[] = {tampered};
  l.v = realloc(l.v, (l.n + 1) * sizeof *l.v);
  memmove(l.v + 6, l.v + 5, (l.n - 5) * sizeof *l.v);
  l.v[5] = strdup(l.v[6]);
  l.n++;
  write_lines(tampered, &l, -1);
  verify_fails_at(files, 1, tampered, 7, "does not chain", NULL);
  free_lines(&l);
}
END_TEST

START_TEST(test_audit_verify_detects_joined_and_inserted_lines) {
  struct lines l = ten_records();
  const char *files[] = {tampered};
  size_t len;
  write_lines(tampered, &l, -1);
  char *all = read_file(tampered, &len);
  char *nl = all;
  for (int i = 0; i < 5; i++)
    nl = strchr(nl, '\n') + 1;
  nl[-1] = ' '; /* line 5 and 6 become one */
  write_file(tampered, all, len, 0600);
  verify_fails_at(files, 1, tampered, 5, "MAC does not match", NULL);
  free(all);
  /* an empty line, and a line of garbage, in the middle */
  l.v = realloc(l.v, (l.n + 1) * sizeof *l.v);
  memmove(l.v + 3, l.v + 2, (l.n - 2) * sizeof *l.v);
  l.v[2] = strdup("");
  l.n++;
  write_lines(tampered, &l, -1);
  verify_fails_at(files, 1, tampered, 3, "not an audit record", NULL);
  free(l.v[2]);
  l.v[2] = strdup("{\"seq\":3,\"time\":\"forged\"}");
  write_lines(tampered, &l, -1);
  verify_fails_at(files, 1, tampered, 3, "not an audit record", NULL);
  free_lines(&l);
}
END_TEST

START_TEST(test_audit_verify_detects_a_partial_last_line) {
  struct lines l = ten_records();
  const char *files[] = {tampered};
  size_t len;
  write_lines(tampered, &l, -1);
  char *all = read_file(tampered, &len);
  write_file(tampered, all, len - 20, 0600);
  verify_fails_at(files, 1, tampered, 10, "partial last line", NULL);
  write_file(tampered, all, len - 1, 0600); /* only the newline is gone */
  verify_fails_at(files, 1, tampered, 10, "partial last line", NULL);
  free(all);
  free_lines(&l);
}
END_TEST

START_TEST(test_audit_verify_needs_expect_last_for_whole_lines_cut_at_end) {
  struct lines l = ten_records();
  const char *files[] = {tampered};
  struct jobj o;
  char expect[128];
  parse_json(l.v[9], &o);
  snprintf(expect, sizeof expect, "10:%s", jstr(&o, "mac"));
  /* Cut at a line boundary, the live file alone looks intact... */
  l.n = 8;
  write_lines(tampered, &l, -1);
  l.n = 10;
  verify_ok(files, 1);
  /* ... but not to a verifier that knows its last record. */
  struct odbcpool__audit_verify_opts opts = {.expect_last = expect};
  verify_fails_at(files, 1, tampered, 9, "--expect-last", &opts);
  opts.expect_last = "10";
  verify_fails_at(files, 1, tampered, 9, "seq 10", &opts);
  opts.expect_last = jstr(&o, "mac");
  verify_fails_at(files, 1, tampered, 9, "--expect-last", &opts);
  /* The whole trail holds it; later records are fine. */
  const char *full[] = {log_path};
  odbcpool_error err;
  opts.expect_last = expect;
  ck_assert_int_eq(verify_opts(key_path, full, 1, &opts, &err), ODBCPOOL_OK);
  opts.expect_last = "8";
  ck_assert_int_eq(verify_opts(key_path, full, 1, &opts, &err), ODBCPOOL_OK);
  opts.expect_last = "8:nothex";
  ck_assert_int_eq(verify_opts(key_path, full, 1, &opts, &err),
                   ODBCPOOL_ECONFIG);
  free_obj(&o);
  free_lines(&l);
}
END_TEST

START_TEST(test_audit_verify_genesis_detects_lines_cut_at_start) {
  struct lines l = ten_records();
  const char *files[] = {tampered};
  struct odbcpool__audit_verify_opts opts = {.genesis = true};
  write_lines(tampered, &l, 0);
  verify_ok(files, 1); /* could be a rotated file's tail */
  verify_fails_at(files, 1, tampered, 1, "starts at seq 2", &opts);
  /* a forged start: seq 1 that does not chain from genesis */
  free_lines(&l);
}
END_TEST

START_TEST(test_audit_verify_detects_the_wrong_key) {
  struct lines l = ten_records();
  char other[PATH_MAX + 32];
  odbcpool_error err;
  unsigned char k[32];
  const char *files[] = {log_path};
  memcpy(k, test_key, 32);
  k[31] ^= 1;
  snprintf(other, sizeof other, "%s/other.key", tdir);
  write_file(other, k, 32, 0600);
  ck_assert_int_eq(verify_opts(other, files, 1, NULL, &err), ODBCPOOL_EINVAL);
  char where[PATH_MAX + 64];
  snprintf(where, sizeof where, "%s:1: ", log_path);
  ck_assert_msg(strncmp(err.message, where, strlen(where)) == 0, "%s",
                err.message);
  ck_assert_contains(err.message, "wrong key");
  free_lines(&l);
}
END_TEST

START_TEST(test_audit_verify_reports_unreadable_file_as_io_error) {
  odbcpool_error err;
  char missing[PATH_MAX + 32];
  snprintf(missing, sizeof missing, "%s/nope.log", tdir);
  const char *files[] = {missing};
  ck_assert_int_eq(verify_opts(key_path, files, 1, NULL, &err), ODBCPOOL_EIO);
  ck_assert_contains(err.message, missing);
}
END_TEST

/* A FIFO must not block the verifier (waiting for a writer, or for data
 * that never comes), and a device must not pass for an empty trail. The
 * FIFO is checked in a child with an alarm, so that the old behaviour
 * (blocking) fails the test with a message instead of a Check timeout. */
START_TEST(test_audit_verify_refuses_fifo_and_devices) {
  char fifo[PATH_MAX + 32];
  snprintf(fifo, sizeof fifo, "%s/trail.fifo", tdir);
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  const char *const cases[] = {fifo, "/dev/zero", "/dev/urandom", "/dev/null"};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int pfd[2];
    ck_assert_int_eq(pipe(pfd), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
      odbcpool_error err;
      const char *files[] = {cases[i]};
      close(pfd[0]);
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGALRM);
      sigprocmask(SIG_UNBLOCK, &set, NULL);
      signal(SIGALRM, SIG_DFL);
      alarm(1);
      int rc = verify_opts(key_path, files, 1, NULL, &err);
      char msg[sizeof err.message + 16];
      int n = snprintf(msg, sizeof msg, "%d %s", rc,
                       rc == ODBCPOOL_OK ? "accepted" : err.message);
      if (write(pfd[1], msg, (size_t)n) < 0)
        _exit(3);
      _exit(0);
    }
    close(pfd[1]);
    char got[512] = "";
    ssize_t n = read(pfd[0], got, sizeof got - 1);
    close(pfd[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && n > 0,
                  "verify %s: expected a prompt refusal, got %s %d", cases[i],
                  WIFSIGNALED(status) ? "killed by signal" : "exit",
                  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    got[n] = '\0';
    char want[64];
    snprintf(want, sizeof want, "%d ", ODBCPOOL_EIO);
    ck_assert_msg(strncmp(got, want, strlen(want)) == 0 &&
                      strstr(got, "not a regular file") != NULL,
                  "verify %s: expected \"%snot a regular file\", got \"%s\"",
                  cases[i], want, got);
  }
}
END_TEST

/* ---------------------------------------------------------- rotation */

/* The rotated files of log_path, oldest first (static list). */
static int rotated(char *out[], int max) {
  char **v;
  int n;
  odbcpool_error err;
  static char names[16][PATH_MAX + 64];
  ck_assert_int_eq(odbcpool__audit_trail_files(log_path, &v, &n, &err),
                   ODBCPOOL_OK);
  int k = 0;
  for (int i = 0; i < n; i++) {
    if (strcmp(v[i], log_path) == 0)
      continue;
    ck_assert_int_lt(k, max);
    snprintf(names[k], sizeof names[k], "%s", v[i]);
    out[k] = names[k];
    k++;
  }
  odbcpool__audit_files_free(v, n);
  return k;
}

START_TEST(test_audit_chain_continues_across_rotation) {
  struct cfg *cfg;
  struct odbcpool__audit *a = open_default(&cfg);
  odbcpool_error err;
  char *r[16];
  log_n(a, 3);
  ck_assert_int_eq(odbcpool__audit_rotate_now(a, &err), ODBCPOOL_OK);
  log_n(a, 2);
  odbcpool__audit_close(a);
  ck_assert_int_eq(rotated(r, 16), 1);
  const char *both[] = {r[0], log_path};
  verify_ok(both, 2);
  const char *reversed[] = {log_path, r[0]}; /* put in chain order */
  verify_ok(reversed, 2);
  const char *live[] = {log_path};
  verify_ok(live, 1); /* starts mid-trail: allowed without --genesis */
  struct lines l = split_lines(log_path);
  struct jobj o;
  parse_json(l.v[0], &o);
  ck_assert_uint_eq(jnum(&o, "seq"), 4);
  free_obj(&o);
  free_lines(&l);

  /* a new process finds no live file: it continues from the rotated one */
  a = open_ok(cfg);
  ck_assert_int_eq(odbcpool__audit_rotate_now(a, &err), ODBCPOOL_OK);
  odbcpool__audit_close(a);
  ck_assert_int_ne(access(log_path, F_OK), 0);
  a = open_ok(cfg);
  log_n(a, 1);
  odbcpool__audit_close(a);
  ck_assert_int_eq(rotated(r, 16), 2);
  const char *all[] = {r[0], r[1], log_path};
  verify_ok(all, 3);
  struct odbcpool__audit_verify_opts opts = {.genesis = true};
  ck_assert_int_eq(verify_opts(key_path, all, 3, &opts, &err), ODBCPOOL_OK);

  /* the last line of a rotated file cut: the next file's first record
   * does not chain */
  struct lines first = split_lines(r[0]);
  first.n--;
  write_lines(r[0], &first, -1);
  first.n++;
  verify_fails_at(all, 3, r[1], 1, "does not chain", NULL);
  free_lines(&first);
  odbcpool__cfg_free(cfg);
}
END_TEST

static int64_t epoch_ms(int y, int mo, int d, int h, int mi, int s, int ms) {
  struct tm tm = {.tm_year = y - 1900,
                  .tm_mon = mo - 1,
                  .tm_mday = d,
                  .tm_hour = h,
                  .tm_min = mi,
                  .tm_sec = s};
  return (int64_t)timegm(&tm) * 1000 + ms;
}

START_TEST(test_audit_rotates_when_the_utc_date_changes) {
  struct cfg *cfg;
  struct odbcpool__audit *a = open_default(&cfg);
  char *r[16], want[PATH_MAX + 64];
  odbcpool__audit_set_clock(a, epoch_ms(2026, 11, 24, 23, 59, 59, 900));
  log_n(a, 2);
  odbcpool__audit_set_clock(a, epoch_ms(2026, 11, 25, 0, 0, 0, 100));
  log_n(a, 1);
  odbcpool__audit_close(a);
  ck_assert_int_eq(rotated(r, 16), 1);
  snprintf(want, sizeof want, "%s.20261125T000000.100Z", log_path);
  ck_assert_str_eq(r[0], want);
  struct lines old = split_lines(r[0]), cur = split_lines(log_path);
  ck_assert_uint_eq(old.n, 2);
  ck_assert_uint_eq(cur.n, 1);
  struct jobj o;
  parse_json(old.v[1], &o);
  ck_assert_str_eq(jstr(&o, "time"), "2026-11-24T23:59:59.900Z");
  free_obj(&o);
  parse_json(cur.v[0], &o);
  ck_assert_str_eq(jstr(&o, "time"), "2026-11-25T00:00:00.100Z");
  ck_assert_uint_eq(jnum(&o, "seq"), 3);
  free_obj(&o);
  const char *files[] = {r[0], log_path};
  verify_ok(files, 2);
  free_lines(&old);
  free_lines(&cur);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_audit_rotates_at_rotate_mib) {
  struct cfg *cfg = make_cfg("rotate_mib = 1\n");
  struct odbcpool__audit *a = open_ok(cfg);
  char *big = malloc(10001), *r[16];
  memset(big, 'p', 10000);
  big[10000] = '\0';
  for (int i = 0; i < 250; i++)
    log_event(a, ODBCPOOL_AUDIT_BORROW, "p", 1, "u", big, NULL, 1, 1);
  odbcpool__audit_close(a);
  int n = rotated(r, 16);
  ck_assert_int_eq(n, 2);
  const char *files[] = {r[0], r[1], log_path};
  for (int i = 0; i < 3; i++) {
    struct stat st;
    ck_assert_int_eq(stat(files[i], &st), 0);
    ck_assert_int_le(st.st_size, 1 << 20);
    ck_assert_int_gt(st.st_size, 0);
  }
  verify_ok(files, 3);
  free(big);
  odbcpool__cfg_free(cfg);
}
END_TEST

/* Sets a file's modification time `days` days in the past. */
static void age(const char *path, int days) {
  struct timespec ts[2];
  clock_gettime(CLOCK_REALTIME, &ts[0]);
  ts[0].tv_sec -= (time_t)days * 86400;
  ts[1] = ts[0];
  ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

START_TEST(test_audit_purge_deletes_only_rotated_files_past_retention) {
  struct cfg *cfg = make_cfg("retention = 30d\n");
  struct odbcpool__audit *a = open_ok(cfg);
  odbcpool_error err;
  char *r[16], p[8][PATH_MAX + 64];
  for (int i = 0; i < 3; i++) {
    log_n(a, 2);
    ck_assert_int_eq(odbcpool__audit_rotate_now(a, &err), ODBCPOOL_OK);
    usleep(2000); /* distinct rotated names */
  }
  log_n(a, 1);
  odbcpool__audit_close(a);
  ck_assert_int_eq(rotated(r, 16), 3);
  age(r[0], 40);
  age(r[1], 31);
  age(r[2], 29);
  /* look-alikes that must stay, however old */
  const char *decoys[] = {"audit.log.bak", "audit.log.20200101T000000.000Z.gz",
                          "other.log.20200101T000000.000Z",
                          "audit.log.20200101T000000Z",
                          "audit.log.2020010XT000000.000Z"};
  for (int i = 0; i < 5; i++) {
    snprintf(p[i], sizeof p[i], "%s/%s", tdir, decoys[i]);
    write_file(p[i], "x", 1, 0600);
    age(p[i], 400);
  }
  snprintf(p[5], sizeof p[5], "%s.20200101T000000.000Z-1", log_path);
  write_file(p[5], "x", 1, 0600);
  age(p[5], 400); /* matches: a rotated name with a -N suffix */
  snprintf(p[6], sizeof p[6], "%s.lock", log_path);
  age(p[6], 400);
  age(log_path, 400);

  char *out = NULL;
  size_t outlen = 0;
  FILE *f = open_memstream(&out, &outlen);
  ck_assert_int_eq(odbcpool__audit_purge(cfg, f, &err), 3);
  fclose(f);
  char want[3 * (PATH_MAX + 70)];
  snprintf(want, sizeof want, "%s\n%s\n%s\n", p[5], r[0], r[1]);
  ck_assert_str_eq(out, want);
  free(out);
  ck_assert_int_ne(access(r[0], F_OK), 0);
  ck_assert_int_ne(access(r[1], F_OK), 0);
  ck_assert_int_eq(access(r[2], F_OK), 0);
  ck_assert_int_eq(access(log_path, F_OK), 0);
  for (int i = 0; i < 5; i++)
    ck_assert_msg(access(p[i], F_OK) == 0, "%s was deleted", p[i]);
  ck_assert_int_eq(access(p[6], F_OK), 0);
  /* nothing left to purge */
  ck_assert_int_eq(odbcpool__audit_purge(cfg, NULL, &err), 0);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_audit_rotation_applies_retention) {
  struct cfg *cfg = make_cfg("retention = 1d\n");
  struct odbcpool__audit *a = open_ok(cfg);
  odbcpool_error err;
  char *r[16], keep[PATH_MAX + 64];
  log_n(a, 1);
  ck_assert_int_eq(odbcpool__audit_rotate_now(a, &err), ODBCPOOL_OK);
  ck_assert_int_eq(rotated(r, 16), 1);
  snprintf(keep, sizeof keep, "%s", r[0]);
  age(keep, 2);
  log_n(a, 1);
  usleep(2000);
  ck_assert_int_eq(odbcpool__audit_rotate_now(a, &err), ODBCPOOL_OK);
  ck_assert_int_eq(rotated(r, 16), 1); /* the old one went */
  ck_assert_int_ne(access(keep, F_OK), 0);
  odbcpool__audit_close(a);
  odbcpool__cfg_free(cfg);
}
END_TEST

/* ---------------------------------------------------- several writers */

START_TEST(test_audit_processes_appending_at_once_form_one_chain) {
  struct cfg *cfg;
  /* Opened before the fork: the children inherit the lock file's
   * descriptor and must open their own to exclude each other. */
  struct odbcpool__audit *a = open_default(&cfg);
  pid_t kids[2];
  for (int k = 0; k < 2; k++) {
    kids[k] = fork();
    ck_assert_int_ge(kids[k], 0);
    if (kids[k] == 0) {
      for (int i = 0; i < 1000; i++)
        log_event(a, ODBCPOOL_AUDIT_RETURN, "sales", (uint64_t)i, "u",
                  k ? "child-1" : "child-0", NULL, i, 0);
      odbcpool__audit_close(a);
      odbcpool__cfg_free(cfg);
      _exit(0);
    }
  }
  /* and a separate handle in this process, at the same time */
  struct odbcpool__audit *b = open_ok(cfg);
  log_n(b, 300);
  for (int k = 0; k < 2; k++) {
    int st;
    ck_assert_int_eq(waitpid(kids[k], &st, 0), kids[k]);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child failed");
  }
  odbcpool__audit_close(b);
  odbcpool__audit_close(a);

  const char *files[] = {log_path};
  verify_ok(files, 1);
  struct lines l = split_lines(log_path);
  ck_assert_uint_eq(l.n, 2300);
  int per[3] = {0};
  for (size_t i = 0; i < l.n; i++) {
    struct jobj o;
    parse_json(l.v[i], &o);
    ck_assert_uint_eq(jnum(&o, "seq"), i + 1);
    const struct jfield *p = jget(&o, "purpose");
    if (strcmp(p->str, "child-0") == 0)
      per[0]++;
    else if (strcmp(p->str, "child-1") == 0)
      per[1]++;
    else
      per[2]++;
    if (strcmp(p->str, "invoices") != 0)
      ck_assert_uint_eq(jnum(&o, "pid"), (uint64_t)kids[p->str[6] - '0']);
    free_obj(&o);
  }
  ck_assert_int_eq(per[0], 1000);
  ck_assert_int_eq(per[1], 1000);
  ck_assert_int_eq(per[2], 300);
  free_lines(&l);
  odbcpool__cfg_free(cfg);
}
END_TEST

/* ---------------------------------------------------------- recovery */

START_TEST(test_audit_recovers_a_write_cut_short) {
  const char *cut = "{\"seq\":4,\"time\":\"2026-11-25T00:00:00.000Z\",\"ev";
  const char *files[] = {log_path};
  make_trail(3);
  append_file(log_path, cut, strlen(cut));
  verify_fails_at(files, 1, log_path, 4, "partial last line", NULL);

  make_trail(1); /* the next writer closes it with a recovery record */
  size_t len;
  char *all = read_file(log_path, &len);
  ck_assert_int_eq(all[len - 1], '\n');
  free(all);
  verify_ok(files, 1);
  struct lines l = split_lines(log_path);
  ck_assert_uint_eq(l.n, 6);
  ck_assert_str_eq(l.v[3], cut);
  struct jobj o, prev;
  parse_json(l.v[4], &o);
  parse_json(l.v[2], &prev);
  ck_assert_str_eq(jstr(&o, "event"), "open");
  ck_assert_str_eq(jstr(&o, "reason"), "recovered");
  ck_assert_uint_eq(jnum(&o, "seq"), 4);
  ck_assert_uint_eq(jnum(&o, "partial_bytes"), strlen(cut));
  ck_assert_str_eq(jstr(&o, "prev"), jstr(&prev, "mac"));
  ck_assert_ptr_null(jget(&o, "pool"));
  free_obj(&o);
  free_obj(&prev);
  parse_json(l.v[5], &o);
  ck_assert_uint_eq(jnum(&o, "seq"), 5);
  free_obj(&o);

  /* the recovered bytes are covered by the recovery record's MAC */
  char t[PATH_MAX + 32];
  const char *tf[] = {t};
  snprintf(t, sizeof t, "%s/t.log", tdir);
  l.v[3][10] = '9';
  write_lines(t, &l, -1);
  verify_fails_at(tf, 1, t, 4, "not an audit record", NULL);
  /* and cannot be removed */
  write_lines(t, &l, 3);
  verify_fails_at(tf, 1, t, 4, "cut-short data it records is missing", NULL);
  free_lines(&l);
}
END_TEST

START_TEST(test_audit_recovers_a_record_missing_only_its_newline) {
  const char *files[] = {log_path};
  size_t len;
  make_trail(3);
  char *all = read_file(log_path, &len);
  ck_assert_int_eq(truncate(log_path, (off_t)len - 1), 0);
  free(all);
  verify_fails_at(files, 1, log_path, 3, "partial last line", NULL);
  make_trail(1);
  verify_ok(files, 1);
  struct lines l = split_lines(log_path);
  ck_assert_uint_eq(l.n, 4); /* the record was whole: no recovery needed */
  free_lines(&l);
}
END_TEST

START_TEST(test_audit_recovers_junk_lines_and_a_cut_first_record) {
  const char *files[] = {log_path};
  /* a crash during the very first write of a new trail */
  write_file(log_path, "{\"seq\":1,\"ti", 12, 0600);
  make_trail(2);
  verify_ok(files, 1);
  struct lines l = split_lines(log_path);
  ck_assert_uint_eq(l.n, 4);
  struct jobj o;
  parse_json(l.v[1], &o);
  ck_assert_uint_eq(jnum(&o, "seq"), 1);
  ck_assert_str_eq(jstr(&o, "reason"), "recovered");
  ck_assert_uint_eq(jnum(&o, "partial_bytes"), 12);
  free_obj(&o);
  free_lines(&l);
  /* complete lines of junk at the end are recorded the same way */
  append_file(log_path, "\n\ngarbage\n", 10);
  verify_fails_at(files, 1, log_path, 5, "not an audit record", NULL);
  make_trail(1);
  verify_ok(files, 1);
}
END_TEST

/* ------------------------------------------------------------ syslog */

struct captured {
  FILE *f;
  int n;
};

static void capture(const char *line, void *ctx) {
  struct captured *c = ctx;
  ck_assert_ptr_null(strchr(line, '\n'));
  fprintf(c->f, "Nov 25 00:00:%02d host odbcpool[%d]: %s\n", c->n++ % 60,
          (int)getpid(), line);
}

START_TEST(test_audit_syslog_records_carry_a_chain_per_process) {
  char sys[PATH_MAX + 32], cut[PATH_MAX + 32];
  snprintf(sys, sizeof sys, "%s/syslog", tdir);
  snprintf(cut, sizeof cut, "%s/syslog.cut", tdir);
  struct cfg *cfg = make_cfg("syslog = yes\n");
  struct captured c = {fopen(sys, "w"), 0};
  struct odbcpool__audit *a = open_ok(cfg), *b = open_ok(cfg);
  odbcpool__audit_set_syslog_hook(a, capture, &c);
  odbcpool__audit_set_syslog_hook(b, capture, &c);
  for (int i = 0; i < 5; i++) {
    log_event(a, ODBCPOOL_AUDIT_BORROW, "p", 1, "u", hostile, NULL, 1, 1);
    fprintf(c.f, "Nov 25 00:00:00 host sshd[9]: unrelated\n");
    log_event(b, ODBCPOOL_AUDIT_RETURN, "p", 2, "u", "x", NULL, 1, 1);
  }
  odbcpool__audit_close(a);
  odbcpool__audit_close(b);
  fclose(c.f);
  ck_assert_int_ne(access(log_path, F_OK), 0); /* no file written */

  char *v[] = {sys};
  odbcpool_error err;
  struct odbcpool__audit_verify_opts opts = {.syslog = true};
  char *out = NULL;
  size_t outlen = 0;
  FILE *f = open_memstream(&out, &outlen);
  int rc = odbcpool__audit_verify(key_path, v, 1, &opts, f, &err);
  fclose(f);
  ck_assert_msg(rc == ODBCPOOL_OK, "%s", err.message);
  ck_assert_contains(out, "intact: 10 records");
  ck_assert_contains(out, "stream ");
  free(out);

  /* a removed record breaks its stream's chain */
  struct lines l = split_lines(sys);
  const char *files[] = {cut};
  ck_assert_uint_eq(l.n, 15);
  write_lines(cut, &l, 3); /* a's second record */
  verify_fails_at(files, 1, cut, 6, "does not chain", &opts);
  /* a record cut by the daemon */
  l.v[0][strlen(l.v[0]) - 5] = '\0';
  write_lines(cut, &l, -1);
  verify_fails_at(files, 1, cut, 1, "not an audit record", &opts);
  free_lines(&l);
  odbcpool__cfg_free(cfg);
}
END_TEST

/* Records of a syslog trail written with the same key (say, captured
 * from the syslog daemon's files) and appended to the live file: the
 * verifier must refuse them even though their MACs verify, and the
 * writer must not chain onto them. */
START_TEST(test_audit_file_trail_refuses_syslog_records_appended_to_it) {
  char raw[PATH_MAX + 32];
  snprintf(raw, sizeof raw, "%s/raw", tdir);
  struct cfg *scfg = make_cfg("syslog = yes\n");
  struct captured c = {fopen(raw, "w"), 0};
  struct odbcpool__audit *sa = open_ok(scfg);
  odbcpool__audit_set_syslog_hook(sa, capture, &c);
  log_n(sa, 2);
  odbcpool__audit_close(sa);
  fclose(c.f);
  odbcpool__cfg_free(scfg);
  /* The records as an attacker would strip them of the syslog prefix. */
  struct lines sl = split_lines(raw);
  ck_assert_uint_eq(sl.n, 2);

  struct cfg *cfg = make_cfg(NULL);
  struct odbcpool__audit *a = open_ok(cfg);
  log_n(a, 3);
  const char *files[] = {log_path};
  struct odbcpool__audit_verify_opts opts = {.genesis = true,
                                             .expect_last = "3"};
  odbcpool_error err;
  ck_assert_int_eq(verify_opts(key_path, files, 1, &opts, &err), ODBCPOOL_OK);
  for (size_t i = 0; i < sl.n; i++) {
    const char *rec = strstr(sl.v[i], "{\"seq\":");
    ck_assert_ptr_nonnull(rec);
    append_file(log_path, rec, strlen(rec));
    append_file(log_path, "\n", 1);
  }
  size_t before;
  free(read_file(log_path, &before));

  /* the verifier: one chain in a file */
  verify_fails_at(files, 1, log_path, 4, "stream", &opts);
  verify_fails_at(files, 1, log_path, 4, "one chain", NULL);
  /* the writer that has the trail open chains nothing onto them */
  log_n(a, 1);
  size_t after;
  free(read_file(log_path, &after));
  ck_assert_msg(after == before,
                "the writer appended after the foreign records: %zu bytes, "
                "expected %zu",
                after, before);
  odbcpool__audit_close(a);
  /* nor does a new one: it refuses to open the trail */
  struct odbcpool__audit *b = NULL;
  ck_assert_int_eq(odbcpool__audit_open(cfg, &b, &err), ODBCPOOL_ECONFIG);
  ck_assert_ptr_null(b);
  ck_assert_contains(err.message, "stream");
  free_lines(&sl);
  odbcpool__cfg_free(cfg);
}
END_TEST

/* The syslog sink must leave the program's syslog identity alone (it is
 * a library in someone else's process): after it logged, the ident,
 * options and facility the program gave openlog still apply. LOG_PERROR
 * makes syslog(3) copy each message, with its ident, to stderr, which the
 * child sends to a file: the old openlog("odbcpool", LOG_PID,
 * LOG_AUTHPRIV) dropped LOG_PERROR and replaced the ident. */
START_TEST(test_audit_syslog_leaves_the_programs_ident_alone) {
  char errf[PATH_MAX + 32];
  snprintf(errf, sizeof errf, "%s/stderr", tdir);
  struct cfg *cfg = make_cfg("syslog = yes\n");
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    int fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || dup2(fd, 2) < 0)
      _exit(3);
    openlog("check-ident", LOG_PERROR, LOG_LOCAL3);
    odbcpool_error err;
    struct odbcpool__audit *a = NULL;
    if (odbcpool__audit_open(cfg, &a, &err) != ODBCPOOL_OK || a == NULL)
      _exit(4);
    log_n(a, 1);
    syslog(LOG_INFO, "the program logs again");
    odbcpool__audit_close(a);
    _exit(0);
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "child failed: status %d", status);
  char *out = read_file(errf, NULL);
  char want[64];
  snprintf(want, sizeof want, "check-ident: odbcpool[%d]: {\"seq\":1,",
           (int)pid);
  ck_assert_msg(strstr(out, want) != NULL,
                "expected the record as \"%s...\" on stderr (the program's "
                "ident and LOG_PERROR kept), got \"%s\"",
                want, out);
  ck_assert_msg(strstr(out, "check-ident: the program logs again") != NULL,
                "expected \"check-ident: the program logs again\" on "
                "stderr, got \"%s\"",
                out);
  free(out);
  odbcpool__cfg_free(cfg);
}
END_TEST

/* ------------------------------------------------------------ losses */

/* Verifies log_path's trail and returns what verify printed (malloc'ed);
 * fails the test unless it is intact. */
static char *verify_output(void) {
  char *v[] = {log_path};
  odbcpool_error err;
  char *out = NULL;
  size_t outlen = 0;
  FILE *f = open_memstream(&out, &outlen);
  int rc = odbcpool__audit_verify(key_path, v, 1, NULL, f, &err);
  fclose(f);
  ck_assert_msg(rc == ODBCPOOL_OK, "verify: %s", err.message);
  return out;
}

/* Makes appends to the live file fail as on a full disk: no write may
 * make it grow (EFBIG; SIGXFSZ ignored). `on` false lifts that again.
 * Called only in a forked child, and without Check's assertions: the
 * limit caps every regular file the process writes, Check's message file
 * and the test log (stderr) included, so an assertion written there
 * while the limit holds would be cut short and corrupt the runner's
 * messages. The child's stderr goes to /dev/null (not a regular file).
 * Returns false if the limit could not be set. */
static bool disk_full(bool on) {
  struct stat st;
  struct rlimit rl;
  if (on) {
    int null = open("/dev/null", O_WRONLY);
    if (null < 0 || dup2(null, STDERR_FILENO) < 0)
      return false;
    close(null);
  }
  if (stat(log_path, &st) != 0 || getrlimit(RLIMIT_FSIZE, &rl) != 0)
    return false;
  rl.rlim_cur = on ? (rlim_t)st.st_size : rl.rlim_max;
  signal(SIGXFSZ, SIG_IGN);
  return setrlimit(RLIMIT_FSIZE, &rl) == 0;
}

/* Number of loss markers in the trail's directory. */
static int count_markers(void) {
  DIR *d = opendir(tdir);
  int n = 0;
  struct dirent *e;
  ck_assert_ptr_nonnull(d);
  while ((e = readdir(d)) != NULL)
    if (strncmp(e->d_name, ".audit.log.lost.", 16) == 0)
      n++;
  closedir(d);
  return n;
}

/* A process loses records (its disk is full) and exits before it can
 * write again: the loss must not die with it. The next process to open
 * the trail writes it down, and verify reports it. */
START_TEST(test_audit_loss_survives_the_process_that_lost_them) {
  struct cfg *cfg = make_cfg(NULL);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    odbcpool_error err;
    struct odbcpool__audit *a = NULL;
    if (odbcpool__audit_open(cfg, &a, &err) != ODBCPOOL_OK)
      _exit(3);
    log_n(a, 2);
    if (!disk_full(true))
      _exit(4);
    log_n(a, 5); /* lost */
    _exit(0);    /* no close: gone before writing works again */
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "child failed: status %d", status);
  ck_assert_int_eq(count_markers(), 1);

  struct odbcpool__audit *b = open_ok(cfg); /* the next process */
  log_n(b, 1);
  odbcpool__audit_close(b);
  char *out = verify_output();
  char want[128];
  snprintf(want, sizeof want,
           "LOST: 5 audit records were not written by process %d, which "
           "exited",
           (int)pid);
  ck_assert_msg(strstr(out, want) != NULL,
                "verify should report \"%s...\"; it printed:\n%s", want, out);
  ck_assert_contains(out, "LOST: 5 records were not written");
  ck_assert_contains(out, "intact: 4 records");
  free(out);
  ck_assert_msg(count_markers() == 0, "%d loss markers left, expected 0",
                count_markers());
  odbcpool__cfg_free(cfg);
}
END_TEST

/* Records lost while the disk is full, in a process that lives on until
 * writing works again: its next record says how many, and verify must
 * report that. */
START_TEST(test_audit_loss_in_a_living_process_is_reported_by_verify) {
  struct cfg *cfg = make_cfg(NULL);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    odbcpool_error err;
    struct odbcpool__audit *a = NULL;
    if (odbcpool__audit_open(cfg, &a, &err) != ODBCPOOL_OK)
      _exit(3);
    log_n(a, 2);
    if (!disk_full(true))
      _exit(4);
    log_n(a, 3); /* lost */
    if (!disk_full(false))
      _exit(5);
    log_n(a, 1); /* carries the count */
    odbcpool__audit_close(a);
    _exit(0);
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "child failed: status %d", status);
  char *out = verify_output();
  ck_assert_msg(strstr(out, ":3: LOST: 3 audit records were not written, "
                            "from ") != NULL,
                "verify should report 3 records lost before line 3; it "
                "printed:\n%s",
                out);
  ck_assert_contains(out, "intact: 3 records");
  free(out);
  ck_assert_int_eq(count_markers(), 0);
  odbcpool__cfg_free(cfg);
}
END_TEST

/* -------------------------------------------------------------- main */

/* ------------------------------------ subject, report, pseudonym periods */

#define DAY_MS 86400000L

/* A record's string field, decoded (NULL if absent); the test parser's. */
static const char *field_of(const char *line, const char *key, struct jobj *o) {
  parse_json(line, o);
  return jstr(o, key);
}

/* The source of a subject or report over log_path's trail. */
static struct odbcpool__trail_src trail_src(const struct cfg *cfg, char **files,
                                            int *n) {
  odbcpool_error err;
  char **v;
  ck_assert_int_eq(odbcpool__audit_trail_files(log_path, &v, n, &err),
                   ODBCPOOL_OK);
  ck_assert_int_ge(*n, 1);
  ck_assert_int_le(*n, 128);
  for (int i = 0; i < *n; i++)
    files[i] = v[i];
  free(v);
  static char dir[PATH_MAX + 64];
  snprintf(dir, sizeof dir, "%s.pseudonyms", key_path);
  return (struct odbcpool__trail_src){.key_file = key_path,
                                      .pkey_dir = dir,
                                      .files = files,
                                      .nfiles = *n,
                                      .cfg = cfg};
}

static void free_files(char **files, int n) {
  for (int i = 0; i < n; i++)
    free(files[i]);
}

/* Runs a subject search for `name`; returns its status and output. */
static int subject(const struct cfg *cfg, const char *name, bool json,
                   char **out) {
  char *files[128];
  int n;
  struct odbcpool__trail_src src = trail_src(cfg, files, &n);
  size_t len;
  FILE *f = open_memstream(out, &len);
  int rc = odbcpool__audit_subject(&src, name, json, f, stderr);
  fclose(f);
  free_files(files, n);
  return rc;
}

/* Builds the report of log_path's trail; fills text, json and html. */
static bool report(const struct cfg *cfg, int64_t since, int64_t now,
                   char **text, char **json, char **html) {
  char *files[128];
  int n;
  struct odbcpool__trail_src src = trail_src(cfg, files, &n);
  struct odbcpool__report *r;
  odbcpool_error err;
  int rc = odbcpool__report_build(&src, since, now, &r, &err);
  ck_assert_msg(rc == ODBCPOOL_OK, "report: %s", err.message);
  size_t len;
  FILE *f = open_memstream(text, &len);
  odbcpool__report_text(r, f);
  fclose(f);
  f = open_memstream(json, &len);
  odbcpool__report_json(r, f);
  fclose(f);
  f = open_memstream(html, &len);
  odbcpool__report_html(r, f);
  fclose(f);
  bool intact = odbcpool__report_intact(r);
  odbcpool__report_free(r);
  free_files(files, n);
  return intact;
}

static size_t count_of(const char *hay, const char *needle) {
  size_t k = 0;
  for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
    k++;
  return k;
}

START_TEST(test_audit_pseudonym_keys_are_random_per_period) {
  int64_t t1 = epoch_ms(2026, 11, 10, 12, 0, 0, 0), t2 = t1 + 30 * DAY_MS;
  struct cfg *cfg = make_cfg(NULL);
  struct odbcpool__audit *a = open_ok(cfg);
  odbcpool__audit_set_clock(a, t1);
  log_event(a, ODBCPOOL_AUDIT_BORROW, "p", 1, "alice", "x", NULL, -1, 0);
  odbcpool__audit_set_clock(a, t2);
  log_event(a, ODBCPOOL_AUDIT_BORROW, "p", 1, "alice", "x", NULL, -1, 0);
  odbcpool__audit_close(a);

  /* The date changed, so the first record is in a rotated file. */
  char *rot[2];
  ck_assert_int_eq(rotated(rot, 2), 1);
  struct lines l = split_lines(rot[0]), l2 = split_lines(log_path);
  ck_assert_uint_eq(l.n, 1);
  ck_assert_uint_eq(l2.n, 1);
  struct jobj o1, o2;
  char id1[24], id2[24], want[65];
  odbcpool__pkey_id(t1, 30 * DAY_MS, id1, NULL, NULL);
  odbcpool__pkey_id(t2, 30 * DAY_MS, id2, NULL, NULL);
  ck_assert_str_eq(id1, "20261103-30d"); /* 20395 days = 679 periods + 25 */
  ck_assert_str_ne(id1, id2);
  ck_assert_str_eq(field_of(l.v[0], "period", &o1), id1);
  ck_assert_str_eq(field_of(l2.v[0], "period", &o2), id2);
  const char *p1 = jstr(&o1, "principal"), *p2 = jstr(&o2, "principal");
  ck_assert_str_ne(p1, p2); /* a new pseudonym in each period */
  unsigned char k1[32];
  period_key(id1, k1);
  hmac_hex(k1, "alice", 5, want);
  want[32] = '\0';
  ck_assert_str_eq(p1, want);
  /* Neither the audit key nor a key derived from it with the period. */
  hmac_hex(test_key, "alice", 5, want);
  ck_assert_int_ne(strncmp(p1, want, 32), 0);
  unsigned char derived[32];
  unsigned int dl = 32;
  HMAC(EVP_sha256(), test_key, 32, (const unsigned char *)id1, strlen(id1),
       derived, &dl);
  hmac_hex(derived, "alice", 5, want);
  ck_assert_int_ne(strncmp(p1, want, 32), 0);

  struct stat st;
  char path[PATH_MAX + 96];
  snprintf(path, sizeof path, "%s.pseudonyms", key_path);
  ck_assert_int_eq(stat(path, &st), 0);
  ck_assert_msg((st.st_mode & 07777) == 0700, "key dir mode %o",
                st.st_mode & 07777);
  snprintf(path, sizeof path, "%s.pseudonyms/%s.key", key_path, id1);
  ck_assert_int_eq(stat(path, &st), 0);
  ck_assert_msg((st.st_mode & 07777) == 0600, "key mode %o",
                st.st_mode & 07777);
  ck_assert_int_eq(st.st_size, 64);

  /* Another trail with the same audit key gets another key for the same
   * period: the period keys are random, not derived from the audit key,
   * so deleting one cannot be undone with it. */
  char other[PATH_MAX + 64];
  unsigned char k1b[32];
  snprintf(other, sizeof other, "%s.pseudonyms.2", key_path);
  odbcpool_error err;
  ck_assert_int_eq(odbcpool__pkey_load(other, test_key, id1, true, k1b, &err),
                   ODBCPOOL_OK);
  ck_assert_int_ne(memcmp(k1, k1b, 32), 0);
  /* and a second load finds the same key again */
  unsigned char k1c[32];
  ck_assert_int_eq(odbcpool__pkey_load(other, test_key, id1, false, k1c, &err),
                   ODBCPOOL_OK);
  ck_assert_int_eq(memcmp(k1b, k1c, 32), 0);
  free_obj(&o1);
  free_obj(&o2);
  free_lines(&l);
  free_lines(&l2);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_audit_period_ids_round_trip) {
  static const struct {
    int y, m, d;
    long days;
    const char *id;
  } cases[] = {{1970, 1, 1, 1, "19700101-1d"},
               {2026, 12, 6, 1, "20261206-1d"},
               {2026, 12, 6, 7, "20261203-7d"},
               {2024, 2, 29, 30, "20240217-30d"},
               {2026, 12, 31, 365, "20261218-365d"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char id[24];
    int64_t start, end, ps, pe;
    int64_t t = epoch_ms(cases[i].y, cases[i].m, cases[i].d, 23, 59, 59, 999);
    odbcpool__pkey_id(t, cases[i].days * DAY_MS, id, &start, &end);
    ck_assert_str_eq(id, cases[i].id);
    ck_assert_msg(start <= t && t < end, "%s: %lld not in [%lld, %lld)", id,
                  (long long)t, (long long)start, (long long)end);
    ck_assert_int_eq(end - start, cases[i].days * DAY_MS);
    ck_assert(odbcpool__pkey_id_parse(id, strlen(id), &ps, &pe));
    ck_assert_int_eq(ps, start);
    ck_assert_int_eq(pe, end);
  }
  static const char *const bad[] = {
      "",           "20261206",     "20261206-0d", "2026120a-1d", "20261306-1d",
      "20261206-d", "20261206-01d", "../x-1d",     "20261206-1dd"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg(!odbcpool__pkey_id_parse(bad[i], strlen(bad[i]), NULL, NULL),
                  "\"%s\" taken for a period id", bad[i]);
}
END_TEST

START_TEST(test_audit_planted_or_exposed_pseudonym_keys_are_refused) {
  char dir[PATH_MAX + 64], path[PATH_MAX + 96];
  unsigned char key[32], junk[64];
  odbcpool_error err;
  const char *id = "20261103-30d";
  snprintf(dir, sizeof dir, "%s/keys", tdir);
  ck_assert_int_eq(mkdir(dir, 0700), 0);
  snprintf(path, sizeof path, "%s/%s.key", dir, id);
  for (size_t i = 0; i < sizeof junk; i++)
    junk[i] = (unsigned char)(i * 7 + 1);
  write_file(path, junk, sizeof junk, 0600);
  int rc = odbcpool__pkey_load(dir, test_key, id, true, key, &err);
  ck_assert_int_eq(rc, ODBCPOOL_ECONFIG);
  ck_assert_contains(err.message, "not a pseudonym key made with this audit");

  /* A real key copied to another period's name is refused too: the tag
   * covers the period. */
  ck_assert_int_eq(unlink(path), 0);
  ck_assert_int_eq(odbcpool__pkey_load(dir, test_key, id, true, key, &err),
                   ODBCPOOL_OK);
  char other[PATH_MAX + 96];
  snprintf(other, sizeof other, "%s/20261203-30d.key", dir);
  ck_assert_int_eq(link(path, other), 0);
  rc = odbcpool__pkey_load(dir, test_key, "20261203-30d", false, key, &err);
  ck_assert_int_eq(rc, ODBCPOOL_ECONFIG);

  ck_assert_int_eq(chmod(path, 0640), 0);
  rc = odbcpool__pkey_load(dir, test_key, id, false, key, &err);
  ck_assert_int_eq(rc, ODBCPOOL_ECONFIG);
  ck_assert_contains(err.message, "mode 0600");
  ck_assert_int_eq(chmod(path, 0600), 0);
  ck_assert_int_eq(chmod(dir, 0755), 0);
  rc = odbcpool__pkey_load(dir, test_key, id, false, key, &err);
  ck_assert_int_eq(rc, ODBCPOOL_ECONFIG);
  ck_assert_contains(err.message, "closed to group and others");
  ck_assert_int_eq(chmod(dir, 0700), 0);
  char link_dir[PATH_MAX + 64];
  snprintf(link_dir, sizeof link_dir, "%s/keys-link", tdir);
  ck_assert_int_eq(symlink(dir, link_dir), 0);
  rc = odbcpool__pkey_load(link_dir, test_key, id, false, key, &err);
  ck_assert_int_eq(rc, ODBCPOOL_EIO);
  ck_assert_contains(err.message, "not a directory");
  rc = odbcpool__pkey_load(dir, test_key, "../../x", true, key, &err);
  ck_assert_int_eq(rc, ODBCPOOL_EINVAL);

  /* A writer whose period key is not its own writes no principal under
   * it: the record is counted as lost, and the trail says so. */
  char extra[PATH_MAX + 128];
  snprintf(extra, sizeof extra, "pseudonym_keys = %s\n", dir);
  struct cfg *cfg = make_cfg(extra);
  struct odbcpool__audit *a = open_ok(cfg);
  snprintf(path, sizeof path, "%s/20261203-30d.key", dir);
  odbcpool__audit_set_clock(a, epoch_ms(2026, 12, 4, 0, 0, 0, 0));
  log_event(a, ODBCPOOL_AUDIT_BORROW, "p", 1, "alice", "x", NULL, -1, 0);
  log_event(a, ODBCPOOL_AUDIT_OPEN, "p", 1, NULL, NULL, NULL, 5, -1);
  odbcpool__audit_close(a);
  struct lines l = split_lines(log_path);
  ck_assert_uint_eq(l.n, 1);
  ck_assert_contains(l.v[0], "\"event\":\"open\"");
  ck_assert_contains(l.v[0], "\"lost\":1");
  ck_assert_ptr_null(strstr(l.v[0], "principal"));
  free_lines(&l);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(
    test_audit_purge_deletes_period_keys_and_the_trail_stays_verifiable) {
  int64_t now = (int64_t)time(NULL) * 1000;
  struct cfg *cfg = make_cfg("retention = 40d\n");
  struct odbcpool__audit *a = open_ok(cfg);
  /* Three periods: one ended more than retention ago, two not. */
  int64_t when[3] = {now - 120 * DAY_MS, now - 2 * DAY_MS, now};
  char ids[3][24];
  for (int i = 0; i < 3; i++) {
    odbcpool__pkey_id(when[i], 30 * DAY_MS, ids[i], NULL, NULL);
    odbcpool__audit_set_clock(a, when[i]);
    log_event(a, ODBCPOOL_AUDIT_BORROW, "p", 1, "alice", "x", NULL, -1, 0);
    log_event(a, ODBCPOOL_AUDIT_BORROW, "p", 2, "bob", "x", NULL, -1, 0);
  }
  odbcpool__audit_close(a);
  ck_assert_str_ne(ids[0], ids[1]);
  char path[PATH_MAX + 96];
  struct stat st;
  /* Rotation (the date changed) already deleted the key past retention. */
  snprintf(path, sizeof path, "%s.pseudonyms/%s.key", key_path, ids[0]);
  ck_assert_msg(stat(path, &st) != 0, "%s outlived its retention", path);
  /* and audit purge deletes one a writer did not get to. */
  char old[24];
  unsigned char k[32];
  odbcpool__pkey_id(now - 200 * DAY_MS, 30 * DAY_MS, old, NULL, NULL);
  char dir[PATH_MAX + 64];
  odbcpool_error err0;
  snprintf(dir, sizeof dir, "%s.pseudonyms", key_path);
  ck_assert_int_eq(odbcpool__pkey_load(dir, test_key, old, true, k, &err0),
                   ODBCPOOL_OK);

  char *out = NULL;
  size_t len;
  odbcpool_error err;
  FILE *f = open_memstream(&out, &len);
  int n = odbcpool__audit_purge(cfg, f, &err);
  fclose(f);
  ck_assert_msg(n == 1, "purge: %d %s", n, err.message);
  ck_assert_contains(out, old);
  ck_assert_ptr_null(strstr(out, ids[2]));
  free(out);
  snprintf(path, sizeof path, "%s.pseudonyms/%s.key", key_path, old);
  ck_assert_int_ne(stat(path, &st), 0);
  snprintf(path, sizeof path, "%s.pseudonyms/%s.key", key_path, ids[2]);
  ck_assert_int_eq(stat(path, &st), 0);

  /* The chain does not depend on the pseudonym keys. */
  char **files;
  int nf;
  ck_assert_int_eq(odbcpool__audit_trail_files(log_path, &files, &nf, &err),
                   ODBCPOOL_OK);
  ck_assert_int_eq(nf, 3);
  struct odbcpool__audit_verify_opts gen = {.genesis = true};
  int vr = odbcpool__audit_verify(key_path, files, nf, &gen, NULL, &err);
  ck_assert_msg(vr == ODBCPOOL_OK, "verify: %s", err.message);
  odbcpool__audit_files_free(files, nf);
  /* The subject is found where the key is kept, and the output says
   * which period could not be searched. */
  char *text;
  int rc = subject(cfg, "alice", false, &text);
  ck_assert_int_eq(rc, ODBCPOOL_DSR_INTACT);
  ck_assert_uint_eq(count_of(text, "  borrow "), 2);
  ck_assert_contains(text, "Periods that could not be searched:");
  char line[128];
  snprintf(line, sizeof line,
           "  %-14s %8d records with a principal: key "
           "deleted",
           ids[0], 2);
  ck_assert_contains(text, line);
  free(text);
  rc = subject(cfg, "alice", true, &text);
  ck_assert_int_eq(rc, ODBCPOOL_DSR_INTACT);
  snprintf(line, sizeof line,
           "{\"period\":\"%s\",\"records\":2,\"why\":\"key "
           "deleted",
           ids[0]);
  ck_assert_contains(text, line);
  ck_assert_contains(text, "\"matches\":2");
  free(text);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_audit_subject_lists_only_the_subjects_records) {
  /* Records from before periods (the audit key's pseudonyms), then with
   * periods, in one trail. */
  struct cfg *old = make_cfg("pseudonym_period = 0\n");
  struct odbcpool__audit *a = open_ok(old);
  log_event(a, ODBCPOOL_AUDIT_BORROW, "sales", 1, "alice", "billing", NULL, -1,
            3);
  log_event(a, ODBCPOOL_AUDIT_RETURN, "sales", 1, "alice", "billing", NULL, 250,
            -1);
  log_event(a, ODBCPOOL_AUDIT_BORROW, "sales", 2, "bob", "billing", NULL, -1,
            0);
  odbcpool__audit_close(a);
  odbcpool__cfg_free(old);
  struct cfg *cfg = make_cfg(NULL);
  a = open_ok(cfg);
  log_event(a, ODBCPOOL_AUDIT_BORROW, "sales", 3, "alice", "a,b;c|d\x1b[2J",
            NULL, -1, 1);
  log_event(a, ODBCPOOL_AUDIT_RETURN, "sales", 3, "alice", "a,b;c|d\x1b[2J",
            NULL, 40, -1);
  log_event(a, ODBCPOOL_AUDIT_BORROW, "sales", 4, "bob", "support", NULL, -1,
            0);
  log_event(a, ODBCPOOL_AUDIT_REFUSED, "hr", 0, "alice", "<b>\"x\"</b>",
            "purpose_not_allowed", -1, -1);
  log_event(a, ODBCPOOL_AUDIT_BORROW, "sales", 5, "alice2", "billing", NULL, -1,
            0);
  odbcpool__audit_close(a);

  char *text;
  int rc = subject(cfg, "alice", false, &text);
  ck_assert_int_eq(rc, ODBCPOOL_DSR_INTACT);
  ck_assert_contains(text, "5 records of this subject (of 8 read)");
  ck_assert_uint_eq(count_of(text, "  borrow "), 2);
  ck_assert_uint_eq(count_of(text, "  return "), 2);
  ck_assert_uint_eq(count_of(text, "  refused "), 1);
  ck_assert_contains(text, "purpose=\"a,b;c|d\\u001b[2J\" held=40ms");
  ck_assert_contains(text, "pool=\"hr\" purpose=\"<b>\\\"x\\\"</b>\" "
                           "reason=\"purpose_not_allowed\"");
  ck_assert_contains(text, "(audit key)           3 records with a "
                           "principal, 2 of the subject");
  ck_assert_contains(text, "Chain: intact");
  ck_assert_ptr_null(strstr(text, "alice"));
  ck_assert_ptr_null(strchr(text, '\x1b'));
  free(text);

  rc = subject(cfg, "alice", true, &text);
  ck_assert_int_eq(rc, ODBCPOOL_DSR_INTACT);
  ck_assert_contains(text, "\"intact\":true");
  ck_assert_contains(text, "\"matches\":5");
  ck_assert_contains(text, "\"purpose\":\"a,b;c|d\\u001b[2J\"");
  for (const char *p = text; *p; p++)
    ck_assert_msg((*p >= 0x20 && *p < 0x7f) || *p == '\n',
                  "JSON output has byte 0x%02x", (unsigned char)*p);
  free(text);

  /* Someone who is not in the trail. */
  rc = subject(cfg, "mallory", false, &text);
  ck_assert_int_eq(rc, ODBCPOOL_DSR_INTACT);
  ck_assert_contains(text, "No record of this subject in the periods "
                           "searched (8 records read)");
  free(text);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_audit_subject_and_report_name_a_tampered_record) {
  struct cfg *cfg = make_cfg(NULL);
  struct odbcpool__audit *a = open_ok(cfg);
  for (int i = 0; i < 6; i++)
    log_event(a, ODBCPOOL_AUDIT_BORROW, "sales", (uint64_t)i + 1,
              i % 2 ? "bob" : "alice", "billing", NULL, -1, i);
  odbcpool__audit_close(a);
  /* Line 3 (alice's) edited: its purpose changed. */
  struct lines l = split_lines(log_path);
  char *p = strstr(l.v[2], "billing");
  ck_assert_ptr_nonnull(p);
  p[1] = 'x';
  write_lines(log_path, &l, -1);
  free_lines(&l);

  char *text, where[PATH_MAX + 160];
  snprintf(where, sizeof where, "%s:3: MAC does not match", log_path);
  int rc = subject(cfg, "alice", false, &text);
  ck_assert_int_eq(rc, ODBCPOOL_DSR_TAMPERED);
  ck_assert_contains(text, "TAMPERED: the trail is not intact: 1 bad places");
  ck_assert_contains(text, where);
  /* lines 1 and 5 are alice's and intact; line 3 is not listed */
  ck_assert_contains(text, "2 records of this subject (of 5 read)");
  ck_assert_ptr_null(strstr(text, "bxlling"));
  ck_assert_contains(text, "Chain: NOT INTACT");
  free(text);
  rc = subject(cfg, "alice", true, &text);
  ck_assert_int_eq(rc, ODBCPOOL_DSR_TAMPERED);
  ck_assert_contains(text, "\"intact\":false");
  ck_assert_contains(text, ":3: MAC does not match");
  free(text);

  char *rt, *rj, *rh;
  ck_assert(!report(cfg, INT64_MIN, (int64_t)time(NULL) * 1000, &rt, &rj, &rh));
  ck_assert_contains(rt, "Chain: NOT INTACT: 1 bad places");
  ck_assert_contains(rt, where);
  ck_assert_contains(rj, "\"intact\":false,\"bad_places\":1");
  ck_assert_contains(rh, "Chain NOT intact");
  ck_assert_contains(rh, ":3: MAC does not match");
  ck_assert_contains(rj, "\"borrows\":5");
  free(rt);
  free(rj);
  free(rh);

  /* A record removed as well (bob's on line 4): the break is named too,
   * and the records after it still count. */
  l = split_lines(log_path);
  write_lines(log_path, &l, 3);
  free_lines(&l);
  rc = subject(cfg, "bob", false, &text);
  ck_assert_int_eq(rc, ODBCPOOL_DSR_TAMPERED);
  ck_assert_contains(text, "2 bad places");
  snprintf(where, sizeof where, "%s:3: MAC does not match", log_path);
  ck_assert_contains(text, where);
  snprintf(where, sizeof where,
           "%s:4: does not chain from the record before it (seq 5, "
           "expected 4)",
           log_path);
  ck_assert_contains(text, where);
  ck_assert_contains(text, "2 records of this subject (of 4 read)");
  free(text);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_audit_readers_go_on_past_foreign_lines) {
  struct cfg *cfg = make_cfg(NULL);
  struct odbcpool__audit *a = open_ok(cfg);
  for (int i = 0; i < 4; i++)
    log_event(a, ODBCPOOL_AUDIT_BORROW, "sales", (uint64_t)i + 1, "alice",
              "billing", NULL, -1, i);
  odbcpool__audit_close(a);
  /* A foreign line after line 2, with odd bytes in it. */
  struct lines l = split_lines(log_path);
  FILE *f = fopen(log_path, "wb");
  ck_assert_ptr_nonnull(f);
  for (size_t i = 0; i < l.n; i++) {
    fprintf(f, "%s\n", l.v[i]);
    if (i == 1)
      fputs("{\"seq\":3,\"purpose\":\"\x1b[31m\xff\"}\n", f);
  }
  fclose(f);
  free_lines(&l);
  char *text, where[PATH_MAX + 64];
  int rc = subject(cfg, "alice", false, &text);
  ck_assert_int_eq(rc, ODBCPOOL_DSR_TAMPERED);
  snprintf(where, sizeof where, "%s:3: not an audit record", log_path);
  ck_assert_contains(text, where);
  ck_assert_contains(text, "1 bad places");
  /* every authentic record is still read, the one after the line too */
  ck_assert_contains(text, "4 records of this subject (of 4 read)");
  ck_assert_ptr_null(strchr(text, '\x1b'));
  free(text);
  odbcpool__cfg_free(cfg);
}
END_TEST

/* A workload with known figures, over two days. */
static int64_t report_workload(struct cfg **cfg) {
  int64_t d1 = epoch_ms(2026, 11, 20, 9, 0, 0, 0), d2 = d1 + DAY_MS;
  *cfg = make_cfg(NULL);
  struct odbcpool__audit *a = open_ok(*cfg);
  odbcpool__audit_set_clock(a, d1);
  log_event(a, ODBCPOOL_AUDIT_BORROW, "sales", 1, "alice", "billing", NULL, -1,
            5);
  log_event(a, ODBCPOOL_AUDIT_RETURN, "sales", 1, "alice", "billing", NULL, 100,
            -1);
  log_event(a, ODBCPOOL_AUDIT_BORROW, "sales", 1, "bob", "billing", NULL, -1,
            7);
  log_event(a, ODBCPOOL_AUDIT_RETURN, "sales", 1, "bob", "billing", NULL, 2500,
            -1);
  log_event(a, ODBCPOOL_AUDIT_BORROW, "sales", 1, "alice", "billing", NULL, -1,
            0);
  log_event(a, ODBCPOOL_AUDIT_RETURN, "sales", 1, "alice", "billing", NULL, 50,
            -1);
  odbcpool__audit_set_clock(a, d2);
  log_event(a, ODBCPOOL_AUDIT_BORROW, "sales", 2, "carol", "support", NULL, -1,
            0);
  log_event(a, ODBCPOOL_AUDIT_RETURN, "sales", 2, "carol", "support", NULL,
            700000, -1);
  log_event(a, ODBCPOOL_AUDIT_REFUSED, "sales", 0, "mallory", "hr",
            "purpose_not_allowed", -1, -1);
  log_event(a, ODBCPOOL_AUDIT_REFUSED, "sales", 0, "mallory", "hr",
            "purpose_not_allowed", -1, -1);
  log_event(a, ODBCPOOL_AUDIT_REFUSED, "sales", 0, "mallory", NULL,
            "purpose_missing", -1, -1);
  log_event(a, ODBCPOOL_AUDIT_OPEN, "hr", 7, NULL, NULL, NULL, 3, -1);
  log_event(a, ODBCPOOL_AUDIT_RESET_OK, "hr", 7, NULL, NULL, NULL, 1, -1);
  log_event(a, ODBCPOOL_AUDIT_RESET_FAILED, "hr", 7, NULL, NULL,
            "reset_timeout", 5000, -1);
  log_event(a, ODBCPOOL_AUDIT_CLOSE, "hr", 7, NULL, NULL, "reset_timeout", 9,
            -1);
  log_event(a, ODBCPOOL_AUDIT_CLOSE, "hr", 8, NULL, NULL, "idle_timeout", 9,
            -1);
  /* A failure the trail shows no close for (yet). */
  log_event(a, ODBCPOOL_AUDIT_RESET_FAILED, "hr", 9, NULL, NULL,
            "verify_failed", 20, -1);
  struct odbcpool__audit_rec lost = {.event = ODBCPOOL_AUDIT_LOST,
                                     .duration_ms = -1,
                                     .wait_ms = -1,
                                     .lost = 3,
                                     .lost_pid = 4242,
                                     .lost_since_ms = d2};
  odbcpool__audit_log(a, &lost);
  odbcpool__audit_close(a);
  return d2;
}

START_TEST(test_audit_report_counts_per_dsn_and_purpose) {
  struct cfg *cfg;
  int64_t d2 = report_workload(&cfg);
  char *t, *j, *h;
  ck_assert(report(cfg, INT64_MIN, d2 + 1000, &t, &j, &h));
  ck_assert_contains(j, "\"records\":18,\"records_read\":18,\"files\":2,"
                        "\"intact\":true,\"bad_places\":0");
  ck_assert_contains(j, "\"principals\":4,");
  ck_assert_contains(
      j, "{\"pool\":\"sales\",\"purpose\":\"billing\",\"borrows\":3,"
         "\"returns\":3,\"principals\":2,\"hold_total_ms\":2650,"
         "\"hold_max_ms\":2500,\"wait_max_ms\":7,\"wait_timeouts\":0,"
         "\"refused\":0,\"refusals\":{},\"hold_histogram\":[0,1,1,1,0,0,0]}");
  ck_assert_contains(j, "{\"pool\":\"sales\",\"purpose\":\"support\","
                        "\"borrows\":1,\"returns\":1,\"principals\":1,"
                        "\"hold_total_ms\":700000,\"hold_max_ms\":700000");
  ck_assert_contains(j, "{\"pool\":\"sales\",\"purpose\":\"hr\",\"borrows\":0,"
                        "\"returns\":0,\"principals\":1,");
  ck_assert_contains(j, "\"refused\":2,\"refusals\":{\"purpose_not_allowed\""
                        ":2}");
  ck_assert_contains(j, "\"purpose\":null,\"borrows\":0");
  ck_assert_contains(j, "\"refusals\":{\"purpose_missing\":1}");
  ck_assert_contains(j, "{\"pool\":\"hr\",\"opened\":1,\"erased\":1,"
                        "\"erasure_failures\":2,\"closed_after_failure\":1,"
                        "\"erasure_failure_reasons\":"
                        "{\"reset_timeout\":1,\"verify_failed\":1},\"closed\":"
                        "{\"idle_timeout\":1,"
                        "\"reset_timeout\":1},\"leaks_suspected\":0}");
  ck_assert_contains(j, "\"hold_histogram\":{\"< 10 ms\":0,\"10-100 ms\":1,"
                        "\"0.1-1 s\":1,\"1-10 s\":1,\"10 s-1 min\":0,"
                        "\"1-10 min\":0,\">= 10 min\":1}");
  ck_assert_contains(j, "\"lost\":3,\"lost_reports\":1");
  ck_assert_contains(j, "\"oldest_record\":\"2026-11-20T09:00:00.000Z\"");
  ck_assert_contains(j, "\"retention_ms\":2592000000");
  ck_assert_contains(t, "DSN \"sales\" purpose \"billing\"\n    borrows 3, "
                        "principals 2, held ");
  ck_assert_contains(t, " in total, longest 2.5 s, wait timeouts 0");
  ck_assert_contains(t, "opened 1, erased 1, erasure failures 2 "
                        "(connection closed after it: 1)");
  ck_assert_contains(t, "closed: \"idle_timeout\" 1, \"reset_timeout\" 1");
  ck_assert_contains(t, "Audit losses: 3 records not written");
  ck_assert_contains(t, "Chain: intact");
  free(t);
  free(j);
  free(h);

  /* --since: the first day is left out of the figures, not of the
   * verification or of the oldest record kept. */
  ck_assert(report(cfg, d2 - 9 * 3600000L, d2 + 1000, &t, &j, &h));
  ck_assert_contains(j, "\"records\":12,\"records_read\":18");
  ck_assert_ptr_null(strstr(j, "\"purpose\":\"billing\""));
  ck_assert_contains(j, "\"purpose\":\"support\",\"borrows\":1");
  ck_assert_contains(j, "\"oldest_record\":\"2026-11-20T09:00:00.000Z\"");
  free(t);
  free(j);
  free(h);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_audit_report_retention_names_files_and_keys_due) {
  int64_t now = (int64_t)time(NULL) * 1000;
  struct cfg *cfg = make_cfg("retention = 10d\n");
  struct odbcpool__audit *a = open_ok(cfg);
  odbcpool__audit_set_clock(a, now - 100 * DAY_MS);
  log_event(a, ODBCPOOL_AUDIT_BORROW, "p", 1, "alice", "x", NULL, -1, 0);
  odbcpool__audit_set_clock(a, now);
  log_event(a, ODBCPOOL_AUDIT_BORROW, "p", 1, "alice", "x", NULL, -1, 0);
  odbcpool__audit_close(a);
  char *rot[4];
  ck_assert_int_eq(rotated(rot, 4), 1);
  age(rot[0], 100);
  /* Rotation deleted the old period's key already; one it did not. */
  char dir[PATH_MAX + 64], old[24];
  unsigned char k[32];
  odbcpool_error err;
  snprintf(dir, sizeof dir, "%s.pseudonyms", key_path);
  odbcpool__pkey_id(now - 200 * DAY_MS, 30 * DAY_MS, old, NULL, NULL);
  ck_assert_int_eq(odbcpool__pkey_load(dir, test_key, old, true, k, &err),
                   ODBCPOOL_OK);
  char *t, *j, *h;
  ck_assert(report(cfg, INT64_MIN, now, &t, &j, &h));
  ck_assert_contains(t, "files due for purge: 1");
  ck_assert_contains(t, rot[0]);
  ck_assert_contains(t, "due for deletion: 1");
  ck_assert_contains(j, "\"pseudonym_keys_due\":1");
  ck_assert_contains(h, "Files due for purge: 1");
  free(t);
  free(j);
  free(h);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_audit_report_html_is_self_contained_and_escapes_purposes) {
  static const char *const purposes[] = {"<script>alert(1)</script>",
                                         "a,b;c|d",
                                         "\x1b[2J\x07",
                                         "\xe2\x80\xae\x65vil",
                                         "\xff\xfe",
                                         "\"q\" & 'a'",
                                         "billing",
                                         "</svg><img src=x>"};
  /* 70 days up to now; retention 0, so that no rotation purges. */
  struct cfg *cfg = make_cfg("retention = 0\n");
  struct odbcpool__audit *a = open_ok(cfg);
  int64_t t0 = ((int64_t)time(NULL) / 86400 - 70) * 86400000 + 8 * 3600000;
  for (int d = 0; d < 70; d++) {
    odbcpool__audit_set_clock(a, t0 + d * DAY_MS);
    for (size_t i = 0; i < 8; i++) {
      if ((d + (int)i) % 3 == 0)
        continue;
      log_event(a, ODBCPOOL_AUDIT_BORROW, "sales", 1, "u", purposes[i], NULL,
                -1, 0);
      log_event(a, ODBCPOOL_AUDIT_RETURN, "sales", 1, "u", purposes[i], NULL,
                (long)(i * i * i * 37), -1);
    }
  }
  odbcpool__audit_close(a);
  char *t, *j, *h;
  ck_assert(report(cfg, INT64_MIN, t0 + 70 * DAY_MS, &t, &j, &h));
  ck_assert_contains(h, "<!DOCTYPE html>");
  ck_assert_contains(h, "<svg id=\"borrows-per-day\"");
  ck_assert_contains(h, "<svg id=\"hold-times\"");
  ck_assert_uint_ge(count_of(h, "<rect "), 62 + 7);
  ck_assert_contains(h, "&lt;script&gt;alert(1)&lt;/script&gt;");
  ck_assert_contains(h, "&lt;/svg&gt;&lt;img src=x&gt;");
  ck_assert_contains(h, "\\u202eevil");
  ck_assert_contains(h, "\\u001b[2J\\u0007");
  ck_assert_contains(h, "&quot;q&quot; &amp; &#39;a&#39;");
  ck_assert_contains(h, "other purposes"); /* 8 purposes: 7 and other */
  static const char *const never[] = {"<script", "<img",   "<link",   "src=\"",
                                      "href=",   "url(",   "@import", "<iframe",
                                      "https:",  "<object"};
  for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
    ck_assert_msg(strcasestr(h, never[i]) == NULL,
                  "the HTML report holds \"%s\"", never[i]);
  /* The one URL is the SVG namespace, which loads nothing. */
  ck_assert_uint_eq(count_of(h, "http:"), 2);
  ck_assert_uint_eq(count_of(h, "http://www.w3.org/2000/svg"), 2);
  for (const char *p = h; *p; p++)
    ck_assert_msg((unsigned char)*p >= 0x20 || *p == '\n',
                  "control byte 0x%02x in the HTML", (unsigned char)*p);
  ck_assert_ptr_null(strstr(h, "\xe2\x80\xae"));
  ck_assert_ptr_null(strstr(t, "\xe2\x80\xae"));
  ck_assert_ptr_null(strchr(t, '\x1b'));
  ck_assert_contains(t, "purpose \"a,b;c|d\"");
  ck_assert_contains(t, "purpose \"\xef\xbf\xbd\xef\xbf\xbd\"");
  for (const char *p = j; *p; p++)
    ck_assert_msg((*p >= 0x20 && *p < 0x7f) || *p == '\n',
                  "JSON report has byte 0x%02x", (unsigned char)*p);
  ck_assert_contains(j, "\"purpose\":\"a,b;c|d\",\"borrows\":47");
  free(t);
  free(j);
  free(h);
  odbcpool__cfg_free(cfg);
}
END_TEST

/* ------------------------------------------------------ the CLI itself */

static char cli[PATH_MAX];

/* Runs `odbcpool audit ARGS` (NULL-terminated) with stdin from `in` (a
 * path, or NULL for /dev/null); returns the exit status, and stdout and
 * stderr (malloc'ed) in out and err. */
static int run_audit_cli(const char *const *args, const char *in, char **out,
                         char **err) {
  char po[PATH_MAX + 32], pe[PATH_MAX + 32];
  snprintf(po, sizeof po, "%s/cli.out", tdir);
  snprintf(pe, sizeof pe, "%s/cli.err", tdir);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    int fi = open(in ? in : "/dev/null", O_RDONLY);
    int fo = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fi < 0 || fo < 0 || fe < 0)
      _exit(126);
    dup2(fi, 0);
    dup2(fo, 1);
    dup2(fe, 2);
    char *argv[24];
    int n = 0;
    argv[n++] = cli;
    argv[n++] = (char *)"audit";
    for (int i = 0; args[i] && n < 23; i++)
      argv[n++] = (char *)args[i];
    argv[n] = NULL;
    execv(cli, argv);
    _exit(127);
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  *out = read_file(po, NULL);
  *err = read_file(pe, NULL);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_audit_subject_cli_reads_the_name_from_a_file_only) {
  struct cfg *cfg = make_cfg(NULL);
  struct odbcpool__audit *a = open_ok(cfg);
  log_event(a, ODBCPOOL_AUDIT_BORROW, "sales", 1, "Erika Mustermann", "billing",
            NULL, -1, 2);
  log_event(a, ODBCPOOL_AUDIT_BORROW, "sales", 2, "bob", "billing", NULL, -1,
            2);
  odbcpool__audit_close(a);
  char ini[PATH_MAX + 32], user[PATH_MAX + 32];
  snprintf(ini, sizeof ini, "%s/pool.ini", tdir);
  snprintf(user, sizeof user, "%s/user", tdir);
  write_file(user, "Erika Mustermann\r\n", 18, 0600);
  char *out, *err;
  int rc = run_audit_cli(
      (const char *const[]){"subject", "--user-file", user, ini, NULL}, NULL,
      &out, &err);
  ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
  ck_assert_contains(out, "1 records of this subject (of 2 read)");
  ck_assert_ptr_null(strstr(out, "Erika"));
  ck_assert_ptr_null(strstr(err, "Erika"));
  free(out);
  free(err);
  /* The same with --key and the files, and as JSON. */
  rc = run_audit_cli((const char *const[]){"subject", "--json", "--user-file",
                                           user, "--key", key_path, log_path,
                                           NULL},
                     NULL, &out, &err);
  ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
  ck_assert_contains(out, "\"matches\":1");
  free(out);
  free(err);
  /* Without a terminal and without --user-file, no name is read at all
   * (not from a pipe nobody watches, and never from argv). */
  rc = run_audit_cli((const char *const[]){"subject", ini, NULL}, user, &out,
                     &err);
  ck_assert_int_eq(rc, 2);
  ck_assert_contains(err, "not a terminal: give the user name in "
                          "--user-file");
  free(out);
  free(err);
  write_file(user, "", 0, 0600);
  rc = run_audit_cli(
      (const char *const[]){"subject", "--user-file", user, ini, NULL}, NULL,
      &out, &err);
  ck_assert_int_eq(rc, 2);
  ck_assert_contains(err, "no user name given");
  free(out);
  free(err);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_audit_check_warns_when_pseudonyms_never_expire) {
  static const struct {
    const char *extra, *want;
  } cases[] = {
      {"pseudonym_period = 0\n", "warning: [audit] pseudonym_period = 0: "
                                 "pseudonyms are made with key_file"},
      {"retention = 0\n", "warning: [audit] retention = 0: rotated files and "
                          "pseudonym keys are kept for ever"},
      {"", NULL}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct cfg *cfg = make_cfg(cases[i].extra);
    char ini[PATH_MAX + 32], *out;
    snprintf(ini, sizeof ini, "%s/pool.ini", tdir);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    char po[PATH_MAX + 32];
    snprintf(po, sizeof po, "%s/check.out", tdir);
    if (pid == 0) {
      int fo = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fo < 0)
        _exit(126);
      dup2(fo, 1);
      dup2(fo, 2);
      execl(cli, cli, "check", ini, (char *)NULL);
      _exit(127);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    out = read_file(po, NULL);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "odbcpool check: %s", out);
    if (cases[i].want)
      ck_assert_contains(out, cases[i].want);
    else
      ck_assert_msg(strstr(out, "never expire") == NULL,
                    "a warning with the defaults: %s", out);
    free(out);
    odbcpool__cfg_free(cfg);
  }
}
END_TEST

START_TEST(test_audit_subject_cli_reads_the_terminal_without_echo) {
  struct cfg *cfg = make_cfg(NULL);
  struct odbcpool__audit *a = open_ok(cfg);
  log_event(a, ODBCPOOL_AUDIT_BORROW, "sales", 1, "Erika Mustermann", "billing",
            NULL, -1, 2);
  odbcpool__audit_close(a);
  char ini[PATH_MAX + 32];
  snprintf(ini, sizeof ini, "%s/pool.ini", tdir);
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  ck_assert_int_ge(master, 0);
  ck_assert_int_eq(grantpt(master), 0);
  ck_assert_int_eq(unlockpt(master), 0);
  const char *slave = ptsname(master);
  ck_assert_ptr_nonnull(slave);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    setsid();
    int s = open(slave, O_RDWR);
    if (s < 0)
      _exit(126);
    dup2(s, 0);
    dup2(s, 1);
    dup2(s, 2);
    close(master);
    execl(cli, cli, "audit", "subject", ini, (char *)NULL);
    _exit(127);
  }
  char screen[16384] = "";
  size_t len = 0;
  bool typed = false;
  int status = 0;
  for (int waited = 0;; waited++) {
    struct pollfd pfd = {master, POLLIN, 0};
    while (poll(&pfd, 1, 10) > 0 && len + 1 < sizeof screen) {
      ssize_t r = read(master, screen + len, sizeof screen - len - 1);
      if (r <= 0)
        break;
      len += (size_t)r;
      screen[len] = '\0';
    }
    if (!typed && strstr(screen, "(not shown): ")) {
      ck_assert_int_eq(write(master, "Erika Mustermann\n", 17), 17);
      typed = true;
    }
    if (waitpid(pid, &status, WNOHANG) == pid)
      break;
    ck_assert_msg(waited < 3000, "subject on a terminal did not finish: %s",
                  screen);
  }
  /* What the command wrote just before it exited is still in the pty. */
  for (;;) {
    struct pollfd pfd = {master, POLLIN, 0};
    if (poll(&pfd, 1, 200) <= 0 || len + 1 >= sizeof screen)
      break;
    ssize_t r = read(master, screen + len, sizeof screen - len - 1);
    if (r <= 0)
      break;
    len += (size_t)r;
    screen[len] = '\0';
  }
  ck_assert_msg(typed, "no prompt: %s", screen);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "screen: %s",
                screen);
  ck_assert_contains(screen, "1 records of this subject");
  ck_assert_msg(strstr(screen, "Erika") == NULL, "the name was echoed: \"%s\"",
                screen);
  struct termios tio;
  ck_assert_int_eq(tcgetattr(master, &tio), 0);
  ck_assert_msg(tio.c_lflag & ECHO, "echo was left off");
  close(master);
  odbcpool__cfg_free(cfg);
}
END_TEST

static Suite *audit_suite(void) {
  Suite *s = suite_create("audit");
  TCase *tc = tcase_create("records");
  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
  tcase_add_test(tc, test_audit_record_round_trips_with_every_field);
  tcase_add_test(tc, test_audit_every_event_is_written_by_its_name);
  tcase_add_test(tc, test_audit_missing_fields_are_left_out);
  tcase_add_test(tc, test_audit_hostile_strings_are_escaped_to_valid_json);
  tcase_add_test(tc, test_audit_long_field_is_cut_at_a_character_boundary);
  tcase_add_test(tc, test_audit_file_never_holds_the_user_name_or_the_key);
  tcase_add_test(tc, test_audit_log_and_lock_files_are_created_0600);
  tcase_add_test(tc, test_audit_without_section_is_off_and_null_is_harmless);
  tcase_add_test(tc, test_audit_refuses_key_file_others_can_read);
  tcase_add_test(tc, test_audit_refuses_key_shorter_than_32_bytes);
  tcase_add_test(tc, test_audit_refuses_to_append_to_a_file_that_is_no_trail);
  suite_add_tcase(s, tc);

  tc = tcase_create("chain");
  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
  tcase_add_test(tc, test_audit_chain_verifies_and_continues_across_reopen);
  tcase_add_test(tc, test_audit_threads_of_one_process_form_one_chain);
  tcase_add_test(tc, test_audit_verify_detects_an_edited_byte);
  tcase_add_test(tc, test_audit_verify_detects_a_removed_line);
  tcase_add_test(tc, test_audit_verify_detects_reordered_lines);
  tcase_add_test(tc, test_audit_verify_detects_a_duplicated_line);
  tcase_add_test(tc, test_audit_verify_detects_joined_and_inserted_lines);
  tcase_add_test(tc, test_audit_verify_detects_a_partial_last_line);
  tcase_add_test(
      tc, test_audit_verify_needs_expect_last_for_whole_lines_cut_at_end);
  tcase_add_test(tc, test_audit_verify_genesis_detects_lines_cut_at_start);
  tcase_add_test(tc, test_audit_verify_detects_the_wrong_key);
  tcase_add_test(tc, test_audit_verify_reports_unreadable_file_as_io_error);
  tcase_add_test(tc, test_audit_verify_refuses_fifo_and_devices);
  suite_add_tcase(s, tc);

  tc = tcase_create("files");
  tcase_set_timeout(tc, 120);
  tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
  tcase_add_test(tc, test_audit_chain_continues_across_rotation);
  tcase_add_test(tc, test_audit_rotates_when_the_utc_date_changes);
  tcase_add_test(tc, test_audit_rotates_at_rotate_mib);
  tcase_add_test(tc,
                 test_audit_purge_deletes_only_rotated_files_past_retention);
  tcase_add_test(tc, test_audit_rotation_applies_retention);
  tcase_add_test(tc, test_audit_processes_appending_at_once_form_one_chain);
  tcase_add_test(tc, test_audit_recovers_a_write_cut_short);
  tcase_add_test(tc, test_audit_recovers_a_record_missing_only_its_newline);
  tcase_add_test(tc, test_audit_recovers_junk_lines_and_a_cut_first_record);
  tcase_add_test(tc, test_audit_syslog_records_carry_a_chain_per_process);
  tcase_add_test(tc, test_audit_syslog_leaves_the_programs_ident_alone);
  tcase_add_test(tc, test_audit_loss_survives_the_process_that_lost_them);
  tcase_add_test(tc, test_audit_loss_in_a_living_process_is_reported_by_verify);
  tcase_add_test(tc,
                 test_audit_file_trail_refuses_syslog_records_appended_to_it);
  suite_add_tcase(s, tc);

  tc = tcase_create("subject_report");
  tcase_set_timeout(tc, 120);
  tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
  tcase_add_test(tc, test_audit_pseudonym_keys_are_random_per_period);
  tcase_add_test(tc, test_audit_period_ids_round_trip);
  tcase_add_test(tc, test_audit_planted_or_exposed_pseudonym_keys_are_refused);
  tcase_add_test(
      tc, test_audit_purge_deletes_period_keys_and_the_trail_stays_verifiable);
  tcase_add_test(tc, test_audit_subject_lists_only_the_subjects_records);
  tcase_add_test(tc, test_audit_subject_and_report_name_a_tampered_record);
  tcase_add_test(tc, test_audit_readers_go_on_past_foreign_lines);
  tcase_add_test(tc, test_audit_report_counts_per_dsn_and_purpose);
  tcase_add_test(tc, test_audit_report_retention_names_files_and_keys_due);
  tcase_add_test(tc,
                 test_audit_report_html_is_self_contained_and_escapes_purposes);
  suite_add_tcase(s, tc);

  const char *top = getenv("top_builddir");
  if (top != NULL && *top) {
    snprintf(cli, sizeof cli, "%s/odbcpool", top);
    tc = tcase_create("cli");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
    tcase_add_test(tc, test_audit_subject_cli_reads_the_name_from_a_file_only);
    tcase_add_test(tc, test_audit_subject_cli_reads_the_terminal_without_echo);
    tcase_add_test(tc, test_audit_check_warns_when_pseudonyms_never_expire);
    suite_add_tcase(s, tc);
  } else {
    fprintf(stderr, "check_audit: top_builddir not set: skipping the tests "
                    "of the odbcpool command (run them with make check)\n");
  }
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(audit_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
