/* check_connstr.c — unit tests of the connection string parser
 * (src/connstr.c) and its round trip through the pool's writer. */
#include "build.h"

#include <check.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "connstr.h"
#include "util.h"

#define MAX_ATTRS 256
#define MAX_LEN (64 * 1024)

/* Asserts that string `hay` contains `needle`, printing both if not. */
#define ck_assert_contains(hay, needle)                                        \
  ck_assert_msg(strstr((hay), (needle)) != NULL,                               \
                "message \"%s\" should contain \"%s\"", (hay), (needle))

/* ------------------------------------------------------------- helpers */

/* `s` with bytes outside printable ASCII written as \xNN, for messages.
 * Returns one of a few static buffers, so two can appear in one call. */
static const char *show(const char *s) {
  static char bufs[4][512];
  static int next;
  char *out = bufs[next++ % 4];
  size_t o = 0;

  if (s == NULL)
    return "(null)";
  out[o++] = '"';
  for (; *s && o < sizeof bufs[0] - 8; s++) {
    unsigned char c = (unsigned char)*s;

    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
      out[o++] = (char)c;
    else
      o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
  }
  if (*s)
    o += (size_t)snprintf(out + o, 4, "...");
  out[o++] = '"';
  out[o] = '\0';
  return out;
}

/* Bytes the allocator has handed out and not taken back; 0 where that
 * cannot be read (sanitizers and valgrind check leaks themselves). The
 * count includes chunks parked in glibc's per-thread cache, so one call
 * proves nothing: callers compare before and after many repetitions. */
static size_t heap_in_use(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
  struct mallinfo2 mi = mallinfo2();

  return mi.uordblks + mi.hblkhd;
#else
  return 0;
#endif
}

/* Parses `len` bytes of `s` `LEAK_ROUNDS` times, after enough warm-up
 * rounds to fill glibc's caches, and asserts that the heap grew by less
 * than half the smallest chunk (32 bytes) a round: a parse that leaks a
 * single allocation fails this. */
#define LEAK_ROUNDS 200
static void expect_no_leak(const char *s, size_t len, const char *name) {
  struct odbcpool__connstr cs;
  odbcpool_error err;
  size_t before;

  for (int i = 0; i < 64; i++)
    if (odbcpool__connstr_parse(s, len, &cs, &err) == ODBCPOOL_OK)
      odbcpool__connstr_free(&cs);
  before = heap_in_use();
  for (int i = 0; i < LEAK_ROUNDS; i++)
    if (odbcpool__connstr_parse(s, len, &cs, &err) == ODBCPOOL_OK)
      odbcpool__connstr_free(&cs);
  ck_assert_msg(heap_in_use() < before + LEAK_ROUNDS * 16,
                "%d parses of %s grew the heap from %zu to %zu bytes",
                LEAK_ROUNDS, show(name), before, heap_in_use());
}

/* Parses `len` bytes from a heap copy holding exactly those bytes (no
 * NUL after them), so that a read past `len` is caught by ASan and
 * valgrind. Fails the test unless the parse succeeds. */
static void parse_ok_len(const char *s, size_t len,
                         struct odbcpool__connstr *cs /* OUT */) {
  odbcpool_error err = {0};
  char *copy = malloc(len ? len : 1);
  int rc;

  ck_assert_ptr_nonnull(copy);
  memcpy(copy, s, len);
  rc = odbcpool__connstr_parse(copy, len, cs, &err);
  free(copy);
  ck_assert_msg(rc == ODBCPOOL_OK, "parse of %s failed with %d: %s", show(s),
                rc, err.message);
}

static void parse_ok(const char *s, struct odbcpool__connstr *cs /* OUT */) {
  parse_ok_len(s, strlen(s), cs);
}

/* Asserts that attribute `i` of `cs` is (key, value), printing both. */
static void expect_kv(const struct odbcpool__connstr *cs, size_t i,
                      const char *key, const char *value) {
  ck_assert_msg(i < cs->n, "attribute %zu wanted, only %zu parsed", i, cs->n);
  ck_assert_msg(strcmp(cs->kv[i].key, key) == 0, "key %zu is %s, expected %s",
                i, show(cs->kv[i].key), show(key));
  ck_assert_msg(strcmp(cs->kv[i].value, value) == 0,
                "value %zu (key %s) is %s, expected %s", i, show(key),
                show(cs->kv[i].value), show(value));
}

/* Parses `s`, which must give exactly the pairs in `kv` (key, value,
 * ..., NULL), and frees it. */
static void expect_pairs(const char *s, const char *const *kv) {
  struct odbcpool__connstr cs;
  size_t n = 0;

  parse_ok(s, &cs);
  while (kv[2 * n] != NULL)
    n++;
  ck_assert_msg(cs.n == n, "%s gave %zu attributes, expected %zu", show(s),
                cs.n, n);
  for (size_t i = 0; i < n; i++)
    expect_kv(&cs, i, kv[2 * i], kv[2 * i + 1]);
  odbcpool__connstr_free(&cs);
}

#define PAIRS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Asserts that `msg` says "offset <off>" (not a longer number). */
static void expect_offset(const char *msg, size_t off) {
  char needle[48];
  const char *p;

  snprintf(needle, sizeof needle, "offset %zu", off);
  p = strstr(msg, needle);
  ck_assert_msg(p != NULL &&
                    !(p[strlen(needle)] >= '0' && p[strlen(needle)] <= '9'),
                "message \"%s\" should name \"%s\"", msg, needle);
}

/* Parses `len` bytes of `s` (from an exact-size heap copy), which must
 * fail with EINVAL, leave `out` empty, leak nothing and give a message
 * containing `frag`; returns the message (static). */
static const char *parse_fail_len(const char *s, size_t len, const char *frag) {
  static odbcpool_error err;
  struct odbcpool__connstr cs = {(struct odbcpool__kv *)&err, 99};
  char *copy = malloc(len ? len : 1);
  int rc;

  ck_assert_ptr_nonnull(copy);
  memcpy(copy, s, len);
  memset(&err, 0, sizeof err);
  rc = odbcpool__connstr_parse(copy, len, &cs, &err);
  expect_no_leak(copy, len, s);
  free(copy);
  ck_assert_msg(rc == ODBCPOOL_EINVAL, "%s: expected EINVAL (%d), got %d: %s",
                show(s), ODBCPOOL_EINVAL, rc, err.message);
  ck_assert_int_eq(err.code, ODBCPOOL_EINVAL);
  ck_assert_ptr_null(cs.kv);
  ck_assert_uint_eq(cs.n, 0);
  ck_assert_contains(err.message, "connection string");
  ck_assert_contains(err.message, frag);
  odbcpool__connstr_free(&cs); /* must stay harmless */
  return err.message;
}

/* As parse_fail_len, and the message names offset `off`. */
static void expect_einval_at(const char *s, const char *frag, size_t off) {
  expect_offset(parse_fail_len(s, strlen(s), frag), off);
}

/* A deterministic xorshift64* generator: the same values on every libc. */
static uint64_t rng_state;

static void rng_seed(uint64_t seed) {
  rng_state = seed ? seed : 1;
}

static uint32_t rng_next(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static uint32_t rng_below(uint32_t n) {
  return rng_next() % n;
}

/* Writes a random value of up to `max - 1` bytes into `v`: mostly the
 * characters that end or confuse an attribute, with spaces, letters and
 * UTF-8 bytes; sometimes empty, only '}', or padded with spaces. */
static void random_value(char *v, size_t max) {
  static const char alphabet[] =
      "{};= ={}}}ab;c=d{\xc3\xa9\xe2\x82\xac\x7f\t\r\n";
  size_t n;

  switch (rng_below(8)) {
  case 0:
    v[0] = '\0';
    return;
  case 1:
    n = 1 + rng_below((uint32_t)(max - 1));
    memset(v, '}', n);
    v[n] = '\0';
    return;
  default:
    break;
  }
  n = rng_below((uint32_t)max);
  for (size_t i = 0; i < n; i++)
    v[i] = alphabet[rng_below(sizeof alphabet - 1)];
  v[n] = '\0';
  if (n > 0 && rng_below(3) == 0)
    v[0] = ' ';
  if (n > 0 && rng_below(3) == 0)
    v[n - 1] = ' ';
}

/* Records of OPENSSL_cleanse calls made while `wipes_armed`. The copy is
 * taken before the wipe, while the memory is still the caller's, so no
 * test reads memory after it has been freed. */
#define MAX_WIPES 300
static struct wipe {
  uintptr_t addr;
  size_t len;
  char bytes[64];
} wipes[MAX_WIPES];
static size_t n_wipes;
static int wipes_armed;

/* Replaces libcrypto's OPENSSL_cleanse for the parser linked into this
 * test (the executable's definition wins), so the test can see what the
 * parser wipes. It wipes just as well. */
void OPENSSL_cleanse(void *ptr, size_t len) {
  volatile unsigned char *p = ptr;

  if (wipes_armed && n_wipes < MAX_WIPES) {
    struct wipe *w = &wipes[n_wipes++];
    size_t keep = len < sizeof w->bytes - 1 ? len : sizeof w->bytes - 1;

    w->addr = (uintptr_t)ptr;
    w->len = len;
    memcpy(w->bytes, ptr, keep);
    w->bytes[keep] = '\0';
  }
  for (size_t i = 0; i < len; i++)
    p[i] = 0;
}

static void wipes_start(void) {
  memset(wipes, 0, sizeof wipes);
  n_wipes = 0;
  wipes_armed = 1;
}

static void wipes_stop(void) {
  wipes_armed = 0;
}

/* Asserts that the `len` bytes `bytes` were wiped (at `addr`, unless 0). */
static void expect_wiped(uintptr_t addr, const char *bytes, size_t len) {
  for (size_t i = 0; i < n_wipes; i++)
    if ((addr == 0 || wipes[i].addr == addr) && wipes[i].len == len &&
        strncmp(wipes[i].bytes, bytes, sizeof wipes[i].bytes - 1) == 0)
      return;
  ck_abort_msg("value %s (%zu bytes) was not wiped; %zu wipes seen",
               show(bytes), len, n_wipes);
}

/* --------------------------------------------------------------- parse */

START_TEST(test_parses_plain_pairs_in_order) {
  expect_pairs("DSN=pg;UID=alice;PWD=secret",
               PAIRS("DSN", "pg", "UID", "alice", "PWD", "secret"));
  expect_pairs("Driver=PostgreSQL Unicode;",
               PAIRS("Driver", "PostgreSQL Unicode"));
}
END_TEST

START_TEST(test_trims_whitespace_around_keys_and_unbraced_values) {
  expect_pairs("  DSN =  pg  ; UID\t=\talice\r\n;\n PWD = a b ",
               PAIRS("DSN", "pg", "UID", "alice", "PWD", "a b"));
  expect_pairs("Key With Space = v", PAIRS("Key With Space", "v"));
}
END_TEST

START_TEST(test_skips_empty_segments) {
  expect_pairs(";;DSN=a;;; ;\t;UID=b;;", PAIRS("DSN", "a", "UID", "b"));

  struct odbcpool__connstr cs;
  static const char *const empty[] = {"", ";", ";;", " ; ;\t\r\n"};

  for (size_t i = 0; i < sizeof empty / sizeof *empty; i++) {
    parse_ok(empty[i], &cs);
    ck_assert_msg(cs.n == 0, "%s gave %zu attributes, expected 0",
                  show(empty[i]), cs.n);
    ck_assert_ptr_null(cs.kv);
    odbcpool__connstr_free(&cs);
  }
}
END_TEST

START_TEST(test_braced_value_keeps_semicolon_equals_and_spaces) {
  expect_pairs("PWD={ a;b=c; };UID=u", PAIRS("PWD", " a;b=c; ", "UID", "u"));
  expect_pairs("PWD={;};X={=}", PAIRS("PWD", ";", "X", "="));
  expect_pairs("PWD={{}", PAIRS("PWD", "{"));
  expect_pairs("PWD={DSN=evil;UID=root}", PAIRS("PWD", "DSN=evil;UID=root"));
}
END_TEST

START_TEST(test_braced_value_unescapes_doubled_closing_brace) {
  expect_pairs("PWD={a}}b}}}}}", PAIRS("PWD", "a}b}}"));
  expect_pairs("PWD={}}}", PAIRS("PWD", "}"));
  expect_pairs("PWD={}}}}}}};X=1", PAIRS("PWD", "}}}", "X", "1"));
  expect_pairs("PWD={x}};y=}", PAIRS("PWD", "x};y="));
}
END_TEST

START_TEST(test_braced_value_may_have_spaces_around_it) {
  expect_pairs("PWD=  {x}  ;UID=u", PAIRS("PWD", "x", "UID", "u"));
  expect_pairs("PWD={x}\t\r\n", PAIRS("PWD", "x"));
}
END_TEST

START_TEST(test_unbraced_value_may_hold_equals_and_inner_braces) {
  expect_pairs("A=b=c;B=x{y}z;C=}", PAIRS("A", "b=c", "B", "x{y}z", "C", "}"));
}
END_TEST

START_TEST(test_empty_values) {
  expect_pairs("PWD=;UID=;X=  ;Y={};Z=",
               PAIRS("PWD", "", "UID", "", "X", "", "Y", "", "Z", ""));
}
END_TEST

START_TEST(test_lookup_is_case_insensitive) {
  struct odbcpool__connstr cs;

  parse_ok("DSN=pg;Uid=alice", &cs);
  ck_assert_str_eq(odbcpool__connstr_get(&cs, "dsn"), "pg");
  ck_assert_str_eq(odbcpool__connstr_get(&cs, "DsN"), "pg");
  ck_assert_str_eq(odbcpool__connstr_get(&cs, "UID"), "alice");
  ck_assert_ptr_null(odbcpool__connstr_get(&cs, "PWD"));
  ck_assert_ptr_null(odbcpool__connstr_get(&cs, "DS"));
  ck_assert_ptr_null(odbcpool__connstr_get(&cs, "DSNX"));
  odbcpool__connstr_free(&cs);
}
END_TEST

START_TEST(test_first_occurrence_wins_and_all_are_kept) {
  struct odbcpool__connstr cs;

  parse_ok("UID=first;pwd=p;uid=second;UID=third", &cs);
  ck_assert_uint_eq(cs.n, 4);
  ck_assert_str_eq(odbcpool__connstr_get(&cs, "UID"), "first");
  ck_assert_str_eq(odbcpool__connstr_get(&cs, "uid"), "first");
  expect_kv(&cs, 2, "uid", "second");
  expect_kv(&cs, 3, "UID", "third");
  odbcpool__connstr_free(&cs);
}
END_TEST

START_TEST(test_utf8_bytes_are_kept_as_they_are) {
  expect_pairs("PWD=p\xc3\xa4ss\xe2\x82\xac;"
               "Schl\xc3\xbcssel={\xe6\x97\xa5;\xe8\xaa\x9e};"
               "X=\xff\xfe",
               PAIRS("PWD", "p\xc3\xa4ss\xe2\x82\xac", "Schl\xc3\xbcssel",
                     "\xe6\x97\xa5;\xe8\xaa\x9e", "X", "\xff\xfe"));
}
END_TEST

START_TEST(test_reads_only_the_given_length) {
  struct odbcpool__connstr cs;

  /* parse_ok_len's copy ends at `len`: ASan/valgrind see any overread. */
  parse_ok_len("DSN=abcdef", 5, &cs);
  ck_assert_uint_eq(cs.n, 1);
  expect_kv(&cs, 0, "DSN", "a");
  odbcpool__connstr_free(&cs);
  parse_ok_len("PWD={x}};", 7, &cs);
  ck_assert_uint_eq(cs.n, 1);
  expect_kv(&cs, 0, "PWD", "x");
  odbcpool__connstr_free(&cs);
}
END_TEST

START_TEST(test_nul_terminated_string_with_nts_length) {
  struct odbcpool__connstr cs;
  odbcpool_error err = {0};
  int rc = odbcpool__connstr_parse("DSN=pg;PWD={a;b}", (size_t)-1, &cs, &err);

  ck_assert_msg(rc == ODBCPOOL_OK, "rc %d: %s", rc, err.message);
  ck_assert_uint_eq(cs.n, 2);
  expect_kv(&cs, 1, "PWD", "a;b");
  odbcpool__connstr_free(&cs);
}
END_TEST

START_TEST(test_parse_null_gives_zero_attributes) {
  struct odbcpool__connstr cs = {(struct odbcpool__kv *)&cs, 7};
  odbcpool_error err = {0};

  ck_assert_int_eq(odbcpool__connstr_parse(NULL, 0, &cs, &err), ODBCPOOL_OK);
  ck_assert_ptr_null(cs.kv);
  ck_assert_uint_eq(cs.n, 0);
  ck_assert_ptr_null(odbcpool__connstr_get(&cs, "DSN"));
  odbcpool__connstr_free(&cs);
  ck_assert_int_eq(odbcpool__connstr_parse(NULL, (size_t)-1, &cs, &err),
                   ODBCPOOL_OK);
  ck_assert_uint_eq(cs.n, 0);
  odbcpool__connstr_free(&cs);
}
END_TEST

/* -------------------------------------------------------------- errors */

START_TEST(test_rejects_segment_without_equals) {
  expect_einval_at("DSN", "no '='", 0);
  expect_einval_at("DSN=a;UID;PWD=x", "no '='", 6);
  expect_einval_at("DSN=a;  junk  ", "no '='", 8);
}
END_TEST

START_TEST(test_rejects_empty_key) {
  expect_einval_at("=x", "empty keyword", 0);
  expect_einval_at("DSN=a; \t=x", "empty keyword", 8);
  expect_einval_at("=", "empty keyword", 0);
}
END_TEST

START_TEST(test_rejects_unterminated_brace) {
  expect_einval_at("PWD={", "unterminated '{'", 4);
  expect_einval_at("PWD={abc", "unterminated '{'", 4);
  expect_einval_at("DSN=a;PWD={x;y=z", "unterminated '{'", 10);
  /* "}}" is an escaped brace, not the end. */
  expect_einval_at("PWD={a}}", "unterminated '{'", 4);
  expect_einval_at("PWD=  {}}", "unterminated '{'", 6);
}
END_TEST

START_TEST(test_rejects_junk_after_closing_brace) {
  expect_einval_at("A={x}y;", "junk after '}'", 5);
  expect_einval_at("A={x} y", "junk after '}'", 6);
  expect_einval_at("A={x}{y};B=1", "junk after '}'", 5);
  expect_einval_at("A={x}}}y", "junk after '}'", 7);
}
END_TEST

START_TEST(test_rejects_nul_byte_and_names_its_offset) {
  expect_offset(parse_fail_len("DSN=a\0b", 7, "NUL"), 5);
  expect_offset(parse_fail_len("PWD={se\0cret}", 13, "NUL"), 7);
  expect_offset(parse_fail_len("\0", 1, "NUL"), 0);
}
END_TEST

/* Builds "K0=v;K1=v;..." with `n` attributes into a malloc'ed string;
 * *last gets the offset of the last key. */
static char *many_attrs(size_t n, size_t *last) {
  struct odbcpool__buf b = {0};

  for (size_t i = 0; i < n; i++) {
    char key[16];

    snprintf(key, sizeof key, "K%zu", i);
    *last = b.len;
    odbcpool__buf_connattr(&b, key, "v");
  }
  ck_assert(!b.failed);
  return b.data;
}

START_TEST(test_accepts_256_attributes) {
  size_t last = 0;
  char *s = many_attrs(MAX_ATTRS, &last);
  struct odbcpool__connstr cs;

  parse_ok(s, &cs);
  ck_assert_uint_eq(cs.n, MAX_ATTRS);
  expect_kv(&cs, MAX_ATTRS - 1, "K255", "v");
  odbcpool__connstr_free(&cs);
  free(s);
}
END_TEST

START_TEST(test_rejects_more_than_256_attributes) {
  size_t last = 0;
  char *s = many_attrs(MAX_ATTRS + 1, &last);

  expect_einval_at(s, "more than 256 attributes", last);
  free(s);
}
END_TEST

/* A valid string of exactly `len` bytes: "PWD=" and a value, braced if
 * `braced` (then ";}}=" repeated, so "}}" escapes, padded with 'y').
 * *vlen (may be NULL) gets the length the value parses to. */
static char *long_string(size_t len, int braced, size_t *vlen) {
  char *s = malloc(len + 1);
  size_t m = len - 6; /* between the braces */

  ck_assert_ptr_nonnull(s);
  memcpy(s, "PWD=", 4);
  memset(s + 4, braced ? 'y' : 'x', len - 4);
  if (braced) {
    s[4] = '{';
    for (size_t i = 0; i + 4 <= m; i += 4)
      memcpy(s + 5 + i, ";}}=", 4);
    s[len - 1] = '}';
  }
  s[len] = '\0';
  if (vlen != NULL)
    *vlen = braced ? m / 4 * 3 + m % 4 : len - 4;
  return s;
}

START_TEST(test_accepts_64_kib_minus_one_and_64_kib) {
  static const size_t lens[] = {MAX_LEN - 1, MAX_LEN};

  for (size_t i = 0; i < 2; i++)
    for (int braced = 0; braced < 2; braced++) {
      size_t vlen;
      char *s = long_string(lens[i], braced, &vlen);
      struct odbcpool__connstr cs;
      odbcpool_error err = {0};
      int rc;

      parse_ok_len(s, lens[i], &cs);
      ck_assert_uint_eq(cs.n, 1);
      ck_assert_msg(strlen(cs.kv[0].value) == vlen,
                    "value of %zu bytes from a %zu byte string, expected %zu",
                    strlen(cs.kv[0].value), lens[i], vlen);
      odbcpool__connstr_free(&cs);
      rc = odbcpool__connstr_parse(s, (size_t)-1, &cs, &err);
      ck_assert_msg(rc == ODBCPOOL_OK, "NTS parse of %zu bytes: %d: %s",
                    lens[i], rc, err.message);
      odbcpool__connstr_free(&cs);
      free(s);
    }
}
END_TEST

START_TEST(test_rejects_more_than_64_kib) {
  char *s = long_string(MAX_LEN + 1, 0, NULL);
  struct odbcpool__connstr cs;
  odbcpool_error err = {0};

  parse_fail_len(s, MAX_LEN + 1, "65536");
  ck_assert_int_eq(odbcpool__connstr_parse(s, (size_t)-1, &cs, &err),
                   ODBCPOOL_EINVAL);
  ck_assert_ptr_null(cs.kv);
  ck_assert_contains(err.message, "65536");
  free(s);
}
END_TEST

START_TEST(test_error_after_attributes_frees_them) {
  struct odbcpool__connstr cs;

  expect_einval_at("DSN=a;UID=b;PWD={c;d};X", "no '='", 22);
  /* Without an error struct it still fails, and leaves nothing. */
  ck_assert_int_eq(odbcpool__connstr_parse("A=1;B=2;C", (size_t)-1, &cs, NULL),
                   ODBCPOOL_EINVAL);
  ck_assert_ptr_null(cs.kv);
  ck_assert_uint_eq(cs.n, 0);
}
END_TEST

START_TEST(test_braced_values_take_memory_in_proportion_to_input) {
  /* 256 short braced values in a 64 KiB string: each must cost its own
   * size, not the rest of the string. */
  struct odbcpool__buf b = {0};
  struct odbcpool__connstr cs;
  size_t before;

  for (int i = 0; i < MAX_ATTRS; i++)
    odbcpool__buf_connattr(&b, "K", "{x}");
  while (b.len < MAX_LEN)
    odbcpool__buf_puts(&b, ";");
  ck_assert(!b.failed);
  before = heap_in_use();
  parse_ok_len(b.data, MAX_LEN, &cs);
  ck_assert_uint_eq(cs.n, MAX_ATTRS);
  ck_assert_msg(heap_in_use() - before < 64 * 1024,
                "parse of a 64 KiB string holds %zu bytes",
                heap_in_use() - before);
  odbcpool__connstr_free(&cs);
  odbcpool__buf_wipe(&b);
}
END_TEST

/* ---------------------------------------------------------------- free */

START_TEST(test_free_empties_struct_and_twice_is_safe) {
  struct odbcpool__connstr cs;
  struct odbcpool__connstr zero = {0};

  parse_ok("DSN=pg;PWD=secret", &cs);
  odbcpool__connstr_free(&cs);
  ck_assert_ptr_null(cs.kv);
  ck_assert_uint_eq(cs.n, 0);
  ck_assert_ptr_null(odbcpool__connstr_get(&cs, "DSN"));
  odbcpool__connstr_free(&cs);
  ck_assert_ptr_null(cs.kv);
  ck_assert_uint_eq(cs.n, 0);
  odbcpool__connstr_free(&zero);
}
END_TEST

START_TEST(test_free_wipes_every_value_before_freeing_it) {
  struct odbcpool__connstr cs;
  uintptr_t addr[3];
  size_t len[3];
  static const char *const values[] = {"pg", "s3;cr}t", ""};

  parse_ok("DSN=pg;PWD={s3;cr}}t};X=", &cs);
  ck_assert_uint_eq(cs.n, 3);
  for (size_t i = 0; i < 3; i++) {
    addr[i] = (uintptr_t)cs.kv[i].value;
    len[i] = strlen(cs.kv[i].value);
  }
  wipes_start();
  odbcpool__connstr_free(&cs);
  wipes_stop();
  for (size_t i = 0; i < 3; i++)
    expect_wiped(addr[i], values[i], len[i]);
}
END_TEST

START_TEST(test_failed_parse_wipes_values_it_had_copied) {
  struct odbcpool__connstr cs;
  odbcpool_error err;
  size_t last = 0;
  char *s;

  wipes_start();
  ck_assert_int_eq(
      odbcpool__connstr_parse("PWD=hunter2;X", (size_t)-1, &cs, &err),
      ODBCPOOL_EINVAL);
  ck_assert_int_eq(
      odbcpool__connstr_parse("PWD={hunter3};X", (size_t)-1, &cs, &err),
      ODBCPOOL_EINVAL);
  ck_assert_int_eq(
      odbcpool__connstr_parse("A=1;PWD=hunter4;B={x", (size_t)-1, &cs, &err),
      ODBCPOOL_EINVAL);
  wipes_stop();
  expect_wiped(0, "hunter2", 7);
  expect_wiped(0, "hunter3", 7);
  expect_wiped(0, "hunter4", 7);

  /* The attribute that is one too many is wiped as well. */
  s = many_attrs(MAX_ATTRS, &last);
  struct odbcpool__buf b = {0};
  odbcpool__buf_puts(&b, s);
  odbcpool__buf_connattr(&b, "PWD", "hunter5");
  ck_assert(!b.failed);
  wipes_start();
  ck_assert_int_eq(odbcpool__connstr_parse(b.data, b.len, &cs, &err),
                   ODBCPOOL_EINVAL);
  wipes_stop();
  expect_wiped(0, "hunter5", 7);
  odbcpool__buf_wipe(&b);
  free(s);
}
END_TEST

/* ---------------------------------------------------------- round trip */

/* Writes (key, value) with the pool's writer, parses the result and
 * asserts it gives back exactly that one pair. */
static void expect_round_trip(const char *key, const char *value) {
  struct odbcpool__buf b = {0};
  struct odbcpool__connstr cs;

  odbcpool__buf_connattr(&b, key, value);
  ck_assert(!b.failed);
  parse_ok_len(b.data, b.len, &cs);
  ck_assert_msg(cs.n == 1, "%s written as %s parsed to %zu attributes",
                show(value), show(b.data), cs.n);
  ck_assert_msg(strcmp(cs.kv[0].value, value) == 0,
                "%s written as %s parsed back as %s", show(value), show(b.data),
                show(cs.kv[0].value));
  ck_assert_str_eq(cs.kv[0].key, key);
  odbcpool__connstr_free(&cs);
  odbcpool__buf_wipe(&b);
}

START_TEST(test_writer_output_parses_back_for_hostile_values) {
  static const char *const values[] = {
      "",          ";",      "{",      "}",      "=",   "}}",
      "{}",        "{x}",    "{x",     "x}",     " ",   "  ",
      " lead",     "trail ", " both ", "a;b",    "a=b", "DSN=x;",
      ";UID=root", "}}}}}",  "{{{{",   "x}};y",  "a b", "\xe2\x82\xac;}",
      "}{",        "=;{}",   "\tpw",   "pw\r\n", "\n",  "\r\t ",
  };

  for (size_t i = 0; i < sizeof values / sizeof *values; i++)
    expect_round_trip("PWD", values[i]);
}
END_TEST

START_TEST(test_writer_round_trips_random_values) {
  char v[40];

  rng_seed(0x636f6e6e737472ULL); /* "connstr" */
  for (int i = 0; i < 20000; i++) {
    random_value(v, sizeof v);
    expect_round_trip("PWD", v);
  }
}
END_TEST

START_TEST(test_writer_round_trips_whole_random_strings) {
  enum { N = 40 };
  static char values[N][40];

  rng_seed(0x77726974657273ULL); /* "writers" */
  for (int round = 0; round < 500; round++) {
    struct odbcpool__buf b = {0};
    struct odbcpool__connstr cs;
    size_t n = 1 + rng_below(N);

    for (size_t i = 0; i < n; i++) {
      char key[16];

      snprintf(key, sizeof key, "K%zu", i);
      random_value(values[i], sizeof values[i]);
      odbcpool__buf_connattr(&b, key, values[i]);
    }
    ck_assert(!b.failed);
    parse_ok_len(b.data, b.len, &cs);
    ck_assert_msg(cs.n == n, "%s gave %zu attributes, expected %zu",
                  show(b.data), cs.n, n);
    for (size_t i = 0; i < n; i++) {
      char key[16];

      snprintf(key, sizeof key, "K%zu", i);
      expect_kv(&cs, i, key, values[i]);
      ck_assert_str_eq(odbcpool__connstr_get(&cs, key), values[i]);
    }
    odbcpool__connstr_free(&cs);
    odbcpool__buf_wipe(&b);
  }
}
END_TEST

Suite *connstr_suite(void);

Suite *connstr_suite(void) {
  Suite *s = suite_create("connstr");
  TCase *tc = tcase_create("parse");

  tcase_add_test(tc, test_parses_plain_pairs_in_order);
  tcase_add_test(tc, test_trims_whitespace_around_keys_and_unbraced_values);
  tcase_add_test(tc, test_skips_empty_segments);
  tcase_add_test(tc, test_braced_value_keeps_semicolon_equals_and_spaces);
  tcase_add_test(tc, test_braced_value_unescapes_doubled_closing_brace);
  tcase_add_test(tc, test_braced_value_may_have_spaces_around_it);
  tcase_add_test(tc, test_unbraced_value_may_hold_equals_and_inner_braces);
  tcase_add_test(tc, test_empty_values);
  tcase_add_test(tc, test_lookup_is_case_insensitive);
  tcase_add_test(tc, test_first_occurrence_wins_and_all_are_kept);
  tcase_add_test(tc, test_utf8_bytes_are_kept_as_they_are);
  tcase_add_test(tc, test_reads_only_the_given_length);
  tcase_add_test(tc, test_nul_terminated_string_with_nts_length);
  tcase_add_test(tc, test_parse_null_gives_zero_attributes);
  suite_add_tcase(s, tc);

  tc = tcase_create("errors");
  tcase_add_test(tc, test_rejects_segment_without_equals);
  tcase_add_test(tc, test_rejects_empty_key);
  tcase_add_test(tc, test_rejects_unterminated_brace);
  tcase_add_test(tc, test_rejects_junk_after_closing_brace);
  tcase_add_test(tc, test_rejects_nul_byte_and_names_its_offset);
  tcase_add_test(tc, test_accepts_256_attributes);
  tcase_add_test(tc, test_rejects_more_than_256_attributes);
  tcase_add_test(tc, test_accepts_64_kib_minus_one_and_64_kib);
  tcase_add_test(tc, test_rejects_more_than_64_kib);
  tcase_add_test(tc, test_error_after_attributes_frees_them);
  tcase_add_test(tc, test_braced_values_take_memory_in_proportion_to_input);
  suite_add_tcase(s, tc);

  tc = tcase_create("free");
  tcase_add_test(tc, test_free_empties_struct_and_twice_is_safe);
  tcase_add_test(tc, test_free_wipes_every_value_before_freeing_it);
  tcase_add_test(tc, test_failed_parse_wipes_values_it_had_copied);
  suite_add_tcase(s, tc);

  tc = tcase_create("round trip");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_writer_output_parses_back_for_hostile_values);
  tcase_add_test(tc, test_writer_round_trips_random_values);
  tcase_add_test(tc, test_writer_round_trips_whole_random_strings);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(connstr_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
