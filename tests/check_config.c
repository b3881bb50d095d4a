/* check_config.c — unit tests of the config file parser (src/config.c). */
#include "build.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "testenv.h"

/* The name every in-memory config is parsed under; errors must carry it. */
#define NAME "test.ini"

/* Asserts that string `hay` contains `needle`, printing both if not. */
#define ck_assert_contains(hay, needle)                                        \
  ck_assert_msg(strstr((hay), (needle)) != NULL,                               \
                "message \"%s\" should contain \"%s\"", (hay), (needle))

/* ------------------------------------------------------------- helpers */

static struct cfg *parse_ok_len(const char *text, size_t len) {
  odbcpool_error err = {0};
  struct cfg *cfg = (struct cfg *)&err; /* must be overwritten */
  int rc = odbcpool__cfg_parse(NAME, text, len, &cfg, &err);

  ck_assert_msg(rc == ODBCPOOL_OK, "parse failed with %d: %s", rc, err.message);
  ck_assert_ptr_nonnull(cfg);
  return cfg;
}

static struct cfg *parse_ok(const char *text) {
  return parse_ok_len(text, strlen(text));
}

/* Parses `len` bytes that must fail with ECONFIG; returns the message. */
static const char *parse_fail_len(const char *text, size_t len) {
  static odbcpool_error err;
  struct cfg *cfg = (struct cfg *)&err;
  int rc;

  memset(&err, 0, sizeof err);
  rc = odbcpool__cfg_parse(NAME, text, len, &cfg, &err);
  ck_assert_msg(rc == ODBCPOOL_ECONFIG, "expected ECONFIG (%d), got %d: %s",
                ODBCPOOL_ECONFIG, rc, err.message);
  ck_assert_int_eq(err.code, ODBCPOOL_ECONFIG);
  ck_assert_str_eq(err.sqlstate, "HY000");
  ck_assert_ptr_null(cfg);
  return err.message;
}

/* Asserts that `text` is rejected with a message naming the file, `line`
 * (0: no line), `key` (NULL: none) and containing `frag`. */
static void expect_error_len(const char *text, size_t len, unsigned line,
                             const char *key, const char *frag) {
  const char *msg = parse_fail_len(text, len);
  char where[64];

  if (line)
    snprintf(where, sizeof where, NAME ":%u: ", line);
  else
    snprintf(where, sizeof where, NAME ": ");
  ck_assert_msg(strncmp(msg, where, strlen(where)) == 0,
                "message \"%s\" should start with \"%s\"", msg, where);
  if (key) {
    char k[128];

    snprintf(k, sizeof k, "key '%s': ", key);
    ck_assert_contains(msg, k);
  } else {
    ck_assert_msg(strstr(msg, "key '") == NULL,
                  "message \"%s\" should name no key", msg);
  }
  ck_assert_contains(msg, frag);
}

static void expect_error(const char *text, unsigned line, const char *key,
                         const char *frag) {
  expect_error_len(text, strlen(text), line, key, frag);
}

/* A temporary directory per test case, removed by the (unchecked)
 * teardown, which runs in the parent even when a test fails. */
static char tmpdir[64];

static void tmpdir_setup(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/check_config.XXXXXX");
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    abort();
  }
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void tmpdir_teardown(void) {
  nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes `len` bytes to tmpdir/rel and returns the path (static). */
static const char *write_file_len(const char *rel, const char *data,
                                  size_t len) {
  static char path[PATH_MAX];
  FILE *f;

  snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
  f = fopen(path, "wb");
  ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
  ck_assert_uint_eq(fwrite(data, 1, len, f), len);
  ck_assert_int_eq(fclose(f), 0);
  return path;
}

static const char *write_file(const char *rel, const char *text) {
  return write_file_len(rel, text, strlen(text));
}

static struct cfg *load_ok(const char *path) {
  odbcpool_error err = {0};
  struct cfg *cfg = NULL;
  int rc = odbcpool__cfg_load(path, &cfg, &err);

  ck_assert_msg(rc == ODBCPOOL_OK, "load failed with %d: %s", rc, err.message);
  ck_assert_ptr_nonnull(cfg);
  return cfg;
}

/* Loads `path`, which must fail with `code`; returns the message. */
static const char *load_fail(const char *path, int code) {
  static odbcpool_error err;
  struct cfg *cfg = (struct cfg *)&err;
  int rc;

  memset(&err, 0, sizeof err);
  rc = odbcpool__cfg_load(path, &cfg, &err);
  ck_assert_msg(rc == code, "expected %d, got %d: %s", code, rc, err.message);
  ck_assert_int_eq(err.code, code);
  ck_assert_ptr_null(cfg);
  return err.message;
}

/* ------------------------------------------------------------ defaults */

static void assert_table_defaults(const struct cfg_pool *p) {
  ck_assert_int_eq(p->max_connections, 10);
  ck_assert_int_eq(p->min_idle, 0);
  ck_assert_int_eq(p->idle_timeout, 10 * 60 * 1000L);
  ck_assert_int_eq(p->max_lifetime, 30 * 60 * 1000L);
  ck_assert_int_eq(p->lifetime_jitter, 60 * 1000L);
  ck_assert_int_eq(p->borrow_timeout, 5000);
  ck_assert_int_eq(p->validation_idle, 30000);
  ck_assert_ptr_null(p->validation_query);
  ck_assert_ptr_null(p->reset_script);
  ck_assert_ptr_null(p->reset_sql);
  ck_assert(p->reset_connection);
  ck_assert_ptr_null(p->verify_query);
  ck_assert_int_eq(p->leak_threshold, 0);
  ck_assert_ptr_null(p->reset);
  ck_assert_uint_eq(p->nreset, 0);
}

START_TEST(test_config_empty_file_gives_table_defaults) {
  struct cfg *cfg = parse_ok("");

  ck_assert_str_eq(cfg->path, NAME);
  ck_assert_uint_eq(cfg->npools, 0);
  ck_assert_ptr_null(cfg->defaults.dsn);
  ck_assert_uint_eq(cfg->defaults.line, 0);
  ck_assert_int_eq(cfg->reset_workers, 2);
  assert_table_defaults(&cfg->defaults);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_config_comments_and_blank_lines_only_give_defaults) {
  struct cfg *cfg = parse_ok("; comment\n\n   # another\n\t\n");

  ck_assert_uint_eq(cfg->npools, 0);
  assert_table_defaults(&cfg->defaults);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_config_dsn_section_without_keys_gets_table_defaults) {
  struct cfg *cfg = parse_ok("\n[sales]\n");

  ck_assert_uint_eq(cfg->npools, 1);
  ck_assert_str_eq(cfg->pools[0].dsn, "sales");
  ck_assert_uint_eq(cfg->pools[0].line, 2);
  assert_table_defaults(&cfg->pools[0]);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_config_section_overrides_defaults) {
  struct cfg *cfg = parse_ok("[defaults]\n"
                             "max_connections = 20\n"
                             "borrow_timeout = 250ms\n"
                             "reset_workers = 4\n"
                             "validation_query = SELECT 1\n"
                             "[sales]\n"
                             "max_connections = 5\n"
                             "idle_timeout = 2h\n"
                             "reset_connection = no\n"
                             "validation_query = SELECT 2\n"
                             "[hr]\n");
  const struct cfg_pool *sales, *hr;

  ck_assert_int_eq(cfg->reset_workers, 4);
  ck_assert_int_eq(cfg->defaults.max_connections, 20);
  ck_assert_uint_eq(cfg->defaults.line, 1);
  ck_assert_uint_eq(cfg->npools, 2);
  sales = &cfg->pools[0];
  hr = &cfg->pools[1];
  ck_assert_str_eq(sales->dsn, "sales");
  ck_assert_uint_eq(sales->line, 6);
  ck_assert_int_eq(sales->max_connections, 5);
  ck_assert_int_eq(sales->idle_timeout, 2 * 3600 * 1000L);
  ck_assert(!sales->reset_connection);
  ck_assert_str_eq(sales->validation_query, "SELECT 2");
  ck_assert_int_eq(sales->borrow_timeout, 250); /* inherited */
  ck_assert_int_eq(sales->max_lifetime, 30 * 60 * 1000L);
  ck_assert_str_eq(hr->dsn, "hr");
  ck_assert_int_eq(hr->max_connections, 20);
  ck_assert_int_eq(hr->idle_timeout, 10 * 60 * 1000L);
  ck_assert(hr->reset_connection);
  ck_assert_str_eq(hr->validation_query, "SELECT 1");
  /* Inherited strings are copies, not shared. */
  ck_assert_ptr_ne(hr->validation_query, cfg->defaults.validation_query);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_config_dsn_inherits_defaults_written_after_it) {
  struct cfg *cfg = parse_ok("[sales]\n"
                             "max_connections = 3\n"
                             "[defaults]\n"
                             "max_connections = 50\n"
                             "borrow_timeout = 1s\n"
                             "verify_query = SELECT 1 FROM t\n");

  ck_assert_uint_eq(cfg->npools, 1);
  ck_assert_int_eq(cfg->pools[0].max_connections, 3);
  ck_assert_int_eq(cfg->pools[0].borrow_timeout, 1000);
  ck_assert_str_eq(cfg->pools[0].verify_query, "SELECT 1 FROM t");
  ck_assert_uint_eq(cfg->defaults.line, 3);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_config_empty_string_value_clears_inherited_value) {
  struct cfg *cfg = parse_ok("[defaults]\nverify_query = SELECT 1\n"
                             "[a]\nverify_query =\n");

  ck_assert_str_eq(cfg->defaults.verify_query, "SELECT 1");
  ck_assert_ptr_null(cfg->pools[0].verify_query);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_config_log_is_syslog_stderr_none_or_an_absolute_path) {
  static const char *const ok[] = {"syslog", "stderr", "none",
                                   "/var/log/odbcpool/odbcpool.log"};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    char text[128];
    snprintf(text, sizeof text, "[defaults]\nlog = %s\n", ok[i]);
    struct cfg *cfg = parse_ok(text);
    ck_assert_str_eq(cfg->log, ok[i]);
    odbcpool__cfg_free(cfg);
  }
  struct cfg *cfg = parse_ok("[defaults]\nmax_connections = 3\n");
  ck_assert_ptr_null(cfg->log); /* syslog */
  odbcpool__cfg_free(cfg);
  expect_error("; relative\n[defaults]\nlog = odbcpool.log\n", 2, "log",
               "'odbcpool.log' is not syslog, stderr, none or an absolute "
               "path");
  expect_error("[defaults]\nlog = Syslog\n", 1, "log", "is not syslog");
}
END_TEST

START_TEST(test_config_pool_lookup_is_exact_else_defaults) {
  struct cfg *cfg = parse_ok("[sales]\nmax_connections = 3\n[hr]\n");

  ck_assert_ptr_eq(odbcpool__cfg_pool(cfg, "sales"), &cfg->pools[0]);
  ck_assert_ptr_eq(odbcpool__cfg_pool(cfg, "hr"), &cfg->pools[1]);
  ck_assert_ptr_eq(odbcpool__cfg_pool(cfg, "Sales"), &cfg->defaults);
  ck_assert_ptr_eq(odbcpool__cfg_pool(cfg, "sale"), &cfg->defaults);
  ck_assert_ptr_eq(odbcpool__cfg_pool(cfg, NULL), &cfg->defaults);
  ck_assert_ptr_null(odbcpool__cfg_pool(cfg, "nope")->dsn);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_config_accepts_crlf_bom_tabs_and_trailing_comments) {
  struct cfg *cfg = parse_ok("\xEF\xBB\xBF; comment\r\n"
                             "# comment\r\n"
                             "  [ sales db ]  ; the sales DSN\r\n"
                             "\tmax_connections\t=\t7 ; seven\r\n"
                             "reset_connection = off # no\r\n"
                             "idle_timeout = 90 s\r\n"
                             "validation_query = SELECT 1 ; # kept\r\n"
                             "[x]");

  ck_assert_uint_eq(cfg->npools, 2);
  ck_assert_str_eq(cfg->pools[0].dsn, "sales db");
  ck_assert_uint_eq(cfg->pools[0].line, 3);
  ck_assert_int_eq(cfg->pools[0].max_connections, 7);
  ck_assert_int_eq(cfg->pools[0].idle_timeout, 90000);
  ck_assert(!cfg->pools[0].reset_connection);
  ck_assert_str_eq(cfg->pools[0].validation_query, "SELECT 1 ; # kept");
  ck_assert_str_eq(cfg->pools[1].dsn, "x");
  ck_assert_uint_eq(cfg->pools[1].line, 8);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_config_min_idle_with_hash_and_no_blank_is_rejected) {
  /* '#' starts a comment only after a blank; otherwise it is the value. */
  expect_error("[a]\nmin_idle=1#one\n", 2, "min_idle",
               "'1#one' is not a whole number");
}
END_TEST

START_TEST(test_config_bool_spellings) {
  static const struct {
    const char *text;
    bool value;
  } cases[] = {
      {"yes", true},    {"YES", true},  {"true", true},
      {"on", true},     {"1", true},    {"no", false},
      {"False", false}, {"off", false}, {"0", false},
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char text[128];
    struct cfg *cfg;

    snprintf(text, sizeof text, "[a]\nreset_connection = %s\n", cases[i].text);
    cfg = parse_ok(text);
    ck_assert_msg(cfg->pools[0].reset_connection == cases[i].value,
                  "'%s' should be %d", cases[i].text, cases[i].value);
    odbcpool__cfg_free(cfg);
  }
}
END_TEST

START_TEST(test_config_int_bounds_are_inclusive) {
  struct cfg *cfg = parse_ok("[defaults]\nreset_workers = 64\n"
                             "[a]\nmax_connections = 100000\n"
                             "min_idle = 100000\n"
                             "[b]\nmax_connections = 1\nmin_idle = 1\n"
                             "leak_threshold = 365d\n");

  ck_assert_int_eq(cfg->reset_workers, 64);
  ck_assert_int_eq(cfg->pools[0].max_connections, 100000);
  ck_assert_int_eq(cfg->pools[0].min_idle, 100000);
  ck_assert_int_eq(cfg->pools[1].max_connections, 1);
  ck_assert_int_eq(cfg->pools[1].leak_threshold, 365 * 86400000L);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_config_section_name_of_32_chars_is_accepted) {
  struct cfg *cfg = parse_ok("[abcdefghijklmnopqrstuvwxyz012345]\n");

  ck_assert_str_eq(cfg->pools[0].dsn, "abcdefghijklmnopqrstuvwxyz012345");
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_config_line_of_64_kib_is_accepted) {
  size_t n = 65536;
  char *text = malloc(n + 16);
  struct cfg *cfg;

  ck_assert_ptr_nonnull(text);
  memcpy(text, "[a]\n", 4);
  text[4] = ';';
  memset(text + 5, 'x', n - 1);
  memcpy(text + 4 + n, "\n[b]\n", 5);
  cfg = parse_ok_len(text, 4 + n + 5);
  ck_assert_uint_eq(cfg->npools, 2);
  ck_assert_uint_eq(cfg->pools[1].line, 3);
  odbcpool__cfg_free(cfg);
  free(text);
}
END_TEST

/* -------------------------------------------------------------- errors */

/* Texts the parser rejects, each with the line, the key (NULL: none)
 * and a fragment its error message must name (expect_error). One Check
 * test per row: a failure names test_config_rejects_text and the row's
 * index as its iteration. */
static const struct rejected_text {
  const char *what; /* what is wrong with it */
  const char *text;
  unsigned line;
  const char *key;
  const char *frag;
} rejected_texts[] = {
    {"unknown key", "[defaults]\nmax_conections = 3\n", 2, "max_conections",
     "unknown key"},
    {"key in other letter case", "[a]\n\nMax_Connections = 3\n", 3,
     "Max_Connections", "unknown key"},
    {"key outside section", "; top\nmax_connections = 3\n[a]\n", 2,
     "max_connections", "outside of any section"},
    {"non number", "[a]\nmax_connections = ten\n", 2, "max_connections",
     "'ten' is not a whole number"},
    {"number with junk", "[a]\nmax_connections = 10x\n", 2, "max_connections",
     "'10x' is not a whole number"},
    {"number with junk", "[a]\nmax_connections = 1.5\n", 2, "max_connections",
     "'1.5' is not a whole number"},
    {"number with junk", "[a]\nmax_connections = +5\n", 2, "max_connections",
     "'+5' is not a whole number"},
    {"negative number", "[a]\nmin_idle = -1\n", 2, "min_idle",
     "'-1' must not be negative"},
    {"number overflowing long",
     "[a]\n[b]\nmax_connections = 99999999999999999999999\n", 3,
     "max_connections", "'99999999999999999999999' is too large (max 100000)"},
    {"number above table max", "[a]\nmax_connections = 100001\n", 2,
     "max_connections", "'100001' is too large (max 100000)"},
    {"number above table max", "[defaults]\nreset_workers = 65\n", 2,
     "reset_workers", "'65' is too large (max 64)"},
    {"number below table min", "[a]\nmax_connections = 0\n", 2,
     "max_connections", "'0' is too small (min 1)"},
    {"number below table min", "[defaults]\nreset_workers = 0\n", 2,
     "reset_workers", "'0' is too small (min 1)"},
    {"empty number", "[a]\nmax_connections =   \n", 2, "max_connections",
     "value is empty"},
    {"empty number", "[a]\nidle_timeout = ; comment\n", 2, "idle_timeout",
     "value is empty"},
    {"duration without unit", "[a]\nidle_timeout = 10\n", 2, "idle_timeout",
     "'10' needs a unit: ms, s, min, h or d"},
    {"duration with unknown unit", "[a]\nmax_lifetime = 3w\n", 2,
     "max_lifetime", "'3w' has an unknown unit"},
    {"duration with unknown unit", "[a]\nmax_lifetime = 3 sec\n", 2,
     "max_lifetime", "'3 sec' has an unknown unit"},
    {"duration with unknown unit", "[a]\nmax_lifetime = 3S\n", 2,
     "max_lifetime", "'3S' has an unknown unit"},
    {"ambiguous m unit", "[a]\nidle_timeout = 10m\n", 2, "idle_timeout",
     "unit 'm' is ambiguous; write min for minutes"},
    {"negative duration", "[a]\nborrow_timeout = -5s\n", 2, "borrow_timeout",
     "'-5s' must not be negative"},
    {"duration overflow", "[a]\nidle_timeout = 9999999999999999d\n", 2,
     "idle_timeout", "'9999999999999999d' is too large (max 365d)"},
    {"duration overflow", "[a]\nidle_timeout = 99999999999999999999ms\n", 2,
     "idle_timeout", "is too large (max 365d)"},
    {"duration overflow", "[a]\nidle_timeout = 366d\n", 2, "idle_timeout",
     "'366d' is too large (max 365d)"},
    {"bad bool", "[a]\nreset_connection = maybe\n", 2, "reset_connection",
     "'maybe' is not a boolean (use yes or no)"},
    {"bad bool", "[a]\nreset_connection =\n", 2, "reset_connection",
     "value is empty"},
    {"duplicate key",
     "[a]\nmax_connections = 3\nmin_idle = 1\n"
     "max_connections = 4\n",
     4, "max_connections", "duplicate key (first set on line 2)"},
    /* The first value is owned by the half-built config: no leak. */
    {"duplicate string key",
     "[a]\nreset_sql = SELECT 1\nreset_sql = SELECT 2\n", 3, "reset_sql",
     "duplicate key (first set on line 2)"},
    {"duplicate section", "[a]\n[b]\n[a]\n", 3, NULL,
     "duplicate section [a] (first on line 1)"},
    {"duplicate defaults section", "[defaults]\nmin_idle = 1\n[defaults]\n", 3,
     NULL, "duplicate section [defaults] (first on line 1)"},
    {"unterminated section header", "[a]\n[abc\nmin_idle = 1\n", 2, NULL,
     "unterminated section header"},
    {"file that is only open bracket", "[", 1, NULL,
     "unterminated section header"},
    {"junk after section header", "[a] b\n", 1, NULL,
     "unexpected text after ']': 'b'"},
    {"junk after section header", "[a]]\n", 1, NULL,
     "unexpected text after ']'"},
    {"empty section name", "[ \t]\n", 1, NULL, "empty section name"},
    {"section name longer than dsn limit",
     "\n[abcdefghijklmnopqrstuvwxyz0123456]\n", 2, NULL,
     "is longer than 32 characters"},
    {"line without equals", "[a]\nmax_connections 3\n", 2, NULL,
     "expected 'key = value' or '[section]'"},
    {"empty key", "[a]\n  = 3\n", 2, NULL, "empty key before '='"},
    {"control characters", "[a]\nvalidation_query = SELECT \x01\n", 2, NULL,
     "control character 0x01"},
    {"control characters", "[a]\nvalidation_query = SELECT \x1b[31m\n", 2, NULL,
     "control character 0x1b"},
    {"control characters", "[a]\nmin_idle = 1\x7f\n", 2, NULL,
     "control character 0x7f"},
    /* A CR is a line ending only right before LF (or at the end). */
    {"control characters", "[a]\rmin_idle = 1\n", 1, NULL,
     "control character 0x0d"},
    {"defaults only key in dsn section", "[defaults]\n[a]\nreset_workers = 4\n",
     3, "reset_workers", "only allowed in [defaults]"},
    {"min idle above max connections",
     "[defaults]\nmin_idle = 5\n\n[sales]\nmax_connections = 2\n", 4, NULL,
     "[sales]: min_idle (5) is greater than max_connections (2)"},
    {"min idle above max connections", "[defaults]\nmin_idle = 11\n", 1, NULL,
     "[defaults]: min_idle (11) is greater than max_connections "
     "(10)"},
};

START_TEST(test_config_rejects_text) {
  const struct rejected_text *r = &rejected_texts[_i];
  expect_error(r->text, r->line, r->key, r->frag);
}
END_TEST

START_TEST(test_config_allows_same_key_in_different_sections) {
  struct cfg *cfg = parse_ok("[a]\nmin_idle = 1\n[b]\nmin_idle = 2\n");

  ck_assert_int_eq(cfg->pools[0].min_idle, 1);
  ck_assert_int_eq(cfg->pools[1].min_idle, 2);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_config_rejects_characters_odbc_forbids_in_dsn) {
  static const char bad[] = "[]{}(),;?*=!@\\";

  for (const char *c = bad; *c; c++) {
    char text[32], frag[32];

    if (*c == ']')
      continue; /* ends the header: junk after ']' instead */
    snprintf(text, sizeof text, "[a%cb]\n", *c);
    snprintf(frag, sizeof frag, "contains '%c'", *c);
    expect_error(text, 1, NULL, frag);
  }
}
END_TEST

START_TEST(test_config_refuses_fifo_and_device_without_hanging) {
  char fifo[] = "/tmp/odbcpool-cfg-fifo-XXXXXX";
  int fd = mkstemp(fifo);
  ck_assert_int_ge(fd, 0);
  close(fd);
  unlink(fifo);
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  char text[200];
  snprintf(text, sizeof text, "[a]\nreset_script = %s\n", fifo);
  expect_error(text, 2, "reset_script", "not a regular file");
  expect_error("[a]\nreset_script = /dev/zero\n", 2, "reset_script",
               "not a regular file");
  struct cfg *cfg = NULL;
  odbcpool_error err;
  ck_assert_int_eq(odbcpool__cfg_load(fifo, &cfg, &err), ODBCPOOL_EIO);
  ck_assert_ptr_nonnull(strstr(err.message, "not a regular file"));
  unlink(fifo);
}
END_TEST

START_TEST(test_config_audit_section_keys_stay_in_it) {
  expect_error("[audit]\nmax_connections = 3\n", 2, "max_connections",
               "not a key of [audit]");
  expect_error("[defaults]\nretention = 3d\n", 2, "retention",
               "only allowed in [audit]");
  expect_error("[a]\nkey_file = k\n", 2, "key_file", "only allowed in [audit]");
  expect_error("[audit]\nkey_file = k\n[defaults]\n[audit]\n", 4, NULL,
               "duplicate section [audit] (first on line 1)");
  expect_error("[audit]\nretention = 1d\nretention = 2d\n", 3, "retention",
               "duplicate key");
  expect_error("\n[audit]\npath = /var/log/odbcpool/audit.log\n", 2, NULL,
               "key_file is required");
  expect_error("[audit]\nsyslog = yes\n", 1, NULL, "key_file is required");
  expect_error("[audit]\nrotate_mib = 0\nkey_file = k\n", 2, "rotate_mib", "");
}
END_TEST

START_TEST(test_config_pseudonym_period_is_whole_days_with_a_key_dir) {
  struct cfg *cfg = parse_ok("[audit]\nkey_file = /k\n");
  ck_assert_int_eq(cfg->audit_pseudonym_period, 30L * 24 * 3600 * 1000);
  ck_assert_ptr_null(cfg->audit_pkey_dir);
  odbcpool__cfg_free(cfg);
  cfg = parse_ok("[audit]\nkey_file = /k\npseudonym_period = 0\n"
                 "pseudonym_keys = keys.d\n");
  ck_assert_int_eq(cfg->audit_pseudonym_period, 0);
  /* Relative to the config file's directory, like the other paths. */
  ck_assert_ptr_nonnull(strstr(cfg->audit_pkey_dir, "keys.d"));
  odbcpool__cfg_free(cfg);
  cfg = parse_ok("[audit]\nkey_file = /k\npseudonym_period = 7d\n");
  ck_assert_int_eq(cfg->audit_pseudonym_period, 7L * 24 * 3600 * 1000);
  odbcpool__cfg_free(cfg);
  expect_error("[audit]\nkey_file = k\npseudonym_period = 36h\n", 1,
               "pseudonym_period", "must be whole days");
  expect_error("[audit]\nkey_file = k\npseudonym_period = 30\n", 3,
               "pseudonym_period", "");
  expect_error("[defaults]\npseudonym_period = 1d\n", 2, "pseudonym_period",
               "only allowed in [audit]");
}
END_TEST

START_TEST(test_config_audit_section_values_and_defaults) {
  struct cfg *cfg = parse_ok("[defaults]\nmax_connections = 4\n"
                             "[audit]\npath = audit.log\nkey_file = /k\n"
                             "retention = 7d\n[a]\n");
  ck_assert_uint_eq(cfg->audit_line, 3);
  /* Relative to the config file's directory, like reset_script. */
  ck_assert_ptr_nonnull(strstr(cfg->audit_path, "audit.log"));
  ck_assert_str_eq(cfg->audit_key_file, "/k");
  ck_assert_int_eq(cfg->audit_retention, 7L * 24 * 3600 * 1000);
  ck_assert_int_eq(cfg->audit_rotate_mib, 64);
  ck_assert(!cfg->audit_syslog);
  ck_assert_int_eq(cfg->pools[0].max_connections, 4);
  odbcpool__cfg_free(cfg);
  cfg = parse_ok("[a]\n");
  ck_assert_uint_eq(cfg->audit_line, 0);
  ck_assert_ptr_null(cfg->audit_path);
  ck_assert_int_eq(cfg->audit_retention, 30L * 24 * 3600 * 1000);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_config_credentials_need_their_key) {
  expect_error("[a]\ncredentials = /c\n", 1, NULL,
               "[a]: credentials and credentials_key go together");
  expect_error("[a]\ncredentials_key = /k\n", 1, NULL,
               "credentials and credentials_key go together");
  struct cfg *cfg = parse_ok("[a]\nrequire_encryption = yes\n"
                             "encryption_check = SELECT ssl FROM "
                             "pg_stat_ssl WHERE pid = pg_backend_pid()\n");
  ck_assert(cfg->pools[0].require_encryption);
  ck_assert_str_eq(cfg->pools[0].encryption_check,
                   "SELECT ssl FROM pg_stat_ssl WHERE pid = "
                   "pg_backend_pid()");
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_config_rejects_nul_byte_mid_file) {
  static const char text[] = "[a]\nmax_connections = 1\0 0\nmin_idle = 0\n";

  expect_error_len(text, sizeof text - 1, 2, NULL, "NUL byte");
}
END_TEST

START_TEST(test_config_rejects_nul_byte_on_last_line) {
  static const char text[] = "[a]\n\nmin_idle = 0\n\0";

  expect_error_len(text, sizeof text - 1, 4, NULL, "NUL byte");
}
END_TEST

START_TEST(test_config_rejects_1_mib_single_line) {
  size_t n = 1 << 20;
  char *text = malloc(n + 16);
  size_t len;

  ck_assert_ptr_nonnull(text);
  memcpy(text, "[a]\nreset_sql = ", 16);
  memset(text + 16, 'x', n);
  len = 16 + n;
  expect_error_len(text, len, 2, NULL, "line is longer than 65536 bytes");
  free(text);
}
END_TEST

START_TEST(test_config_rejects_line_one_byte_over_64_kib) {
  size_t n = 65537;
  char *text = malloc(n + 8);

  ck_assert_ptr_nonnull(text);
  memcpy(text, "[a]\n", 4);
  text[4] = ';';
  memset(text + 5, 'x', n - 1);
  text[4 + n] = '\n';
  expect_error_len(text, 4 + n + 1, 2, NULL, "line is longer than 65536 bytes");
  free(text);
}
END_TEST

START_TEST(test_config_rejects_buffer_larger_than_16_mib) {
  size_t n = ((size_t)16 << 20) + 1;
  char *text = malloc(n);

  ck_assert_ptr_nonnull(text);
  memset(text, '\n', n);
  expect_error_len(text, n, 0, NULL, "file is larger than 16 MiB");
  free(text);
}
END_TEST

START_TEST(test_config_rejects_too_many_sections) {
  size_t n = 10001, len = 0;
  char *text = malloc(n * 10);

  ck_assert_ptr_nonnull(text);
  for (size_t i = 0; i < n; i++)
    len += (size_t)snprintf(text + len, 10, "[s%zu]\n", i);
  expect_error_len(text, len, 10001, NULL, "too many sections (max 10000)");
  free(text);
}
END_TEST

START_TEST(test_config_error_without_error_struct_still_fails) {
  struct cfg *cfg = (struct cfg *)&cfg;

  ck_assert_int_eq(odbcpool__cfg_parse(NAME, "[a\n", 3, &cfg, NULL),
                   ODBCPOOL_ECONFIG);
  ck_assert_ptr_null(cfg);
}
END_TEST

START_TEST(test_config_reports_first_error_in_file_order) {
  expect_error("[a]\nmin_idle = x\nbogus = 1\n", 2, "min_idle",
               "not a whole number");
}
END_TEST

START_TEST(test_config_free_null_is_noop) {
  odbcpool__cfg_free(NULL);
}
END_TEST

/* ------------------------------------------------- collect-all (check) */

/* Parses `text` in collect mode, which must fail; fills `probs` (freed by
 * the caller) and returns the first error's message. */
static const char *parse_all_fail(const char *text, size_t len,
                                  struct cfg_problems *probs) {
  static odbcpool_error err;
  struct cfg *cfg = (struct cfg *)&err;
  int rc;

  memset(&err, 0, sizeof err);
  memset(probs, 0, sizeof *probs);
  rc = odbcpool__cfg_parse_all(NAME, text, len, &cfg, probs, &err);
  ck_assert_msg(rc == ODBCPOOL_ECONFIG, "expected ECONFIG (%d), got %d: %s",
                ODBCPOOL_ECONFIG, rc, err.message);
  ck_assert_ptr_null(cfg);
  ck_assert_uint_ge(probs->n, 1);
  ck_assert_str_eq(err.message, probs->msg[0]);
  return err.message;
}

/* Asserts that problem `i` starts with "test.ini:LINE: " and contains
 * `frag`. */
static void expect_problem(const struct cfg_problems *probs, size_t i,
                           unsigned line, const char *frag) {
  char where[64];

  ck_assert_msg(i < probs->n, "problem %zu of %zu expected (\"%s\")", i,
                probs->n, frag);
  snprintf(where, sizeof where, NAME ":%u: ", line);
  ck_assert_msg(strncmp(probs->msg[i], where, strlen(where)) == 0,
                "problem %zu \"%s\" should start with \"%s\"", i, probs->msg[i],
                where);
  ck_assert_contains(probs->msg[i], frag);
}

START_TEST(test_check_mode_reports_every_problem_in_file_order) {
  static const char text[] = "[defaults]\n"
                             "max_lifetme = 30min\n"  /* 2 */
                             "min_idle = -1\n"        /* 3 */
                             "borrow_timeout = 5\n"   /* 4 */
                             "just text\n"            /* 5 */
                             "[sales]\n"              /* 6 */
                             "max_connections = 0\n"  /* 7 */
                             "max_connections = 2\n"  /* 8: first stood */
                             "reset = sometimes\n"    /* 9 */
                             "[audit]\n"              /* 10 */
                             "retension = 1d\n"       /* 11 */
                             "max_connections = 3\n"  /* 12 */
                             "[other]\n"              /* 13 */
                             "min_idle = 5\n"         /* 14 */
                             "max_connections = 2\n"; /* 15 */
  struct cfg_problems probs;
  const char *first = parse_all_fail(text, sizeof text - 1, &probs);

  ck_assert_contains(first, NAME ":2: key 'max_lifetme'");
  expect_problem(&probs, 0, 2, "unknown key (did you mean max_lifetime?)");
  expect_problem(&probs, 1, 3, "must not be negative");
  expect_problem(&probs, 2, 4, "needs a unit");
  expect_problem(&probs, 3, 5, "expected 'key = value'");
  expect_problem(&probs, 4, 7, "too small");
  expect_problem(&probs, 5, 9, "'sometimes' is not one of: auto, custom");
  expect_problem(&probs, 6, 11, "unknown key (did you mean retention?)");
  expect_problem(&probs, 7, 12, "not a key of [audit]");
  /* The check across keys comes after the lines, at the section's line. */
  expect_problem(&probs, 8, 13, "min_idle (5) is greater than");
  ck_assert_uint_eq(probs.n, 9);
  ck_assert_uint_eq(probs.more, 0);
  odbcpool__cfg_problems_free(&probs);
  ck_assert_uint_eq(probs.n, 0);
}
END_TEST

START_TEST(test_check_mode_library_still_stops_at_first_problem) {
  /* The stopping parser, on a file with two problems, reports the first
   * and only that one. */
  expect_error("[a]\nmin_idle = x\nbogus = 1\n", 2, "min_idle",
               "not a whole number");
}
END_TEST

START_TEST(test_check_mode_valid_file_has_no_problems) {
  static const char text[] = "[defaults]\nmax_connections = 3\n[a]\n"
                             "min_idle = 1\n";
  struct cfg_problems probs = {0};
  odbcpool_error err = {0};
  struct cfg *cfg = NULL;
  int rc =
      odbcpool__cfg_parse_all(NAME, text, sizeof text - 1, &cfg, &probs, &err);

  ck_assert_msg(rc == ODBCPOOL_OK, "parse_all failed: %s", err.message);
  ck_assert_ptr_nonnull(cfg);
  ck_assert_uint_eq(probs.n, 0);
  ck_assert_uint_eq(probs.more, 0);
  ck_assert_int_eq(cfg->pools[0].min_idle, 1);
  ck_assert_int_eq(cfg->pools[0].max_connections, 3);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_check_mode_skips_keys_under_a_failed_section_header) {
  /* The keys of a duplicate section are not checked against the section
   * before it (no cascade of "duplicate key"), and the next good section
   * is checked again. */
  static const char text[] = "[a]\nmin_idle = 1\n"
                             "[a]\nmin_idle = 2\nbogus = 1\n"
                             "[b]\nbogus = 2\n";
  struct cfg_problems probs;

  parse_all_fail(text, sizeof text - 1, &probs);
  expect_problem(&probs, 0, 3, "duplicate section [a]");
  expect_problem(&probs, 1, 7, "key 'bogus': unknown key");
  ck_assert_uint_eq(probs.n, 2);
  odbcpool__cfg_problems_free(&probs);
}
END_TEST

START_TEST(test_check_mode_goes_on_after_nul_and_control_bytes) {
  static const char text[] = "[a]\nmin_idle = \0 1\nmax_connections = \x01\n"
                             "bogus = 1\n";
  struct cfg_problems probs;

  parse_all_fail(text, sizeof text - 1, &probs);
  expect_problem(&probs, 0, 2, "NUL byte in line");
  expect_problem(&probs, 1, 3, "control character 0x01");
  expect_problem(&probs, 2, 4, "unknown key");
  ck_assert_uint_eq(probs.n, 3);
  odbcpool__cfg_problems_free(&probs);
}
END_TEST

START_TEST(test_check_mode_caps_the_problems_kept) {
  /* 10000 bad lines: CFG_MAX_PROBLEMS kept, the rest counted. */
  size_t nlines = 10000, len = 0, cap = 16 + nlines * 16;
  char *text = malloc(cap);
  struct cfg_problems probs;

  ck_assert_ptr_nonnull(text);
  len += (size_t)snprintf(text, cap, "[a]\n");
  for (size_t i = 0; i < nlines; i++)
    len += (size_t)snprintf(text + len, cap - len, "bogus%zu = 1\n", i);
  parse_all_fail(text, len, &probs);
  ck_assert_uint_eq(probs.n, CFG_MAX_PROBLEMS);
  ck_assert_uint_eq(probs.more, nlines - CFG_MAX_PROBLEMS);
  expect_problem(&probs, CFG_MAX_PROBLEMS - 1, CFG_MAX_PROBLEMS + 1,
                 "key 'bogus99'");
  odbcpool__cfg_problems_free(&probs);
  free(text);
}
END_TEST

START_TEST(test_check_mode_without_error_struct_still_collects) {
  static const char text[] = "[a]\nbogus = 1\nmin_idle = x\n";
  struct cfg_problems probs = {0};
  struct cfg *cfg = NULL;
  int rc =
      odbcpool__cfg_parse_all(NAME, text, sizeof text - 1, &cfg, &probs, NULL);

  ck_assert_int_eq(rc, ODBCPOOL_ECONFIG);
  ck_assert_ptr_null(cfg);
  ck_assert_uint_eq(probs.n, 2);
  expect_problem(&probs, 1, 3, "not a whole number");
  odbcpool__cfg_problems_free(&probs);
}
END_TEST

START_TEST(test_suggest_names_the_nearest_key) {
  static const struct {
    const char *key;
    bool audit;
    const char *want; /* NULL: no suggestion */
  } cases[] = {
      {"max_lifetme", false, "max_lifetime"},        /* a letter missing */
      {"max_lfietime", false, "max_lifetime"},       /* two letters swapped */
      {"MAX_CONNECTIONS", false, "max_connections"}, /* letter case */
      {"max_conections", false, "max_connections"},
      {"borow_timeout", false, "borrow_timeout"},
      {"reset_scirpt", false, "reset_script"},
      {"retension", true, "retention"},
      {"keyfile", true, "key_file"},
      {"pth", true, "path"},
      {"retension", false, NULL}, /* an [audit] key, not offered elsewhere */
      {"max_connections", true, NULL}, /* and the reverse */
      {"frobnicate", false, NULL},
      {"x", false, NULL},
      {"", false, NULL},
      {"max", false, NULL},
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *got = odbcpool__cfg_suggest(cases[i].key, cases[i].audit);

    if (cases[i].want == NULL)
      ck_assert_msg(got == NULL, "'%s': expected no suggestion, got '%s'",
                    cases[i].key, got);
    else
      ck_assert_msg(got != NULL && strcmp(got, cases[i].want) == 0,
                    "'%s': expected '%s', got '%s'", cases[i].key,
                    cases[i].want, got ? got : "(none)");
  }
}
END_TEST

START_TEST(test_suggest_section_names_defaults_and_audit) {
  static const struct {
    const char *name, *want; /* want NULL: no suggestion */
  } cases[] = {
      {"defualts", "defaults"}, {"Defaults", "defaults"},
      {"default", "defaults"},  {"audti", "audit"},
      {"AUDIT", "audit"},       {"defaults", NULL},
      {"audit", NULL},          {"sales_pg", NULL},
      {"audit_pg", NULL},       {"", NULL},
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *got = odbcpool__cfg_suggest_section(cases[i].name);

    ck_assert_msg(
        cases[i].want == NULL ? got == NULL
                              : got != NULL && strcmp(got, cases[i].want) == 0,
        "[%s]: expected '%s', got '%s'", cases[i].name,
        cases[i].want ? cases[i].want : "(none)", got ? got : "(none)");
  }
}
END_TEST

START_TEST(test_suggest_ignores_hostile_keys) {
  /* Keys longer than any setting name, or full of bytes no name has,
   * get no suggestion and cost no more than a bounded table. */
  char big[70000];

  memset(big, 'm', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  ck_assert_ptr_null(odbcpool__cfg_suggest(big, false));
  big[64] = '\0';
  ck_assert_ptr_null(odbcpool__cfg_suggest(big, false));
  ck_assert_ptr_null(odbcpool__cfg_suggest("\xff\xfe\xfd\xfc\xfb", false));
  ck_assert_ptr_null(odbcpool__cfg_suggest(NULL, false));
  /* And the parser's message for such a key stays a plain unknown key. */
  expect_error("[a]\n\xff\xfe = 1\n", 2, "\xff\xfe", "unknown key");
}
END_TEST

/* ------------------------------------------------------- reset scripts */

START_TEST(test_config_reset_sql_is_split_into_statements) {
  struct cfg *cfg = parse_ok(
      "[a]\nreset_sql = DISCARD ALL; SELECT ';' ; SET x = 'a;b'; ;  \n");
  const struct cfg_pool *p = &cfg->pools[0];

  ck_assert_str_eq(p->reset_sql, "DISCARD ALL; SELECT ';' ; SET x = 'a;b'; ;");
  ck_assert_uint_eq(p->nreset, 3);
  ck_assert_str_eq(p->reset[0].sql, "DISCARD ALL");
  ck_assert_str_eq(p->reset[1].sql, "SELECT ';'");
  ck_assert_str_eq(p->reset[2].sql, "SET x = 'a;b'");
  ck_assert(!p->reset[0].gexec && !p->reset[1].gexec && !p->reset[2].gexec);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_config_reset_sql_unterminated_quote_names_key_and_line) {
  expect_error("[a]\n\nreset_sql = SELECT 'abc; SELECT 1\n", 3, "reset_sql",
               "unterminated ' quote");
}
END_TEST

START_TEST(test_config_reset_script_relative_to_config_directory) {
  char dir[PATH_MAX], ini[PATH_MAX], expect[PATH_MAX];
  struct cfg *cfg;
  const struct cfg_pool *p;

  snprintf(dir, sizeof dir, "%s/reset", tmpdir);
  ck_assert_int_eq(mkdir(dir, 0700), 0);
  write_file("reset/pg.sql", "-- erase everything\n"
                             "DISCARD ALL;\n"
                             "SELECT format('DROP TABLE %I', n) FROM t\n"
                             "\\gexec\n"
                             "RESET ROLE\n");
  snprintf(ini, sizeof ini, "%s",
           write_file("pool.ini", "[defaults]\n"
                                  "reset_script = reset/pg.sql ; relative\n"
                                  "[sales]\n"
                                  "reset_sql = SELECT 1\n"
                                  "[hr]\n"
                                  "reset_script =\n"));
  snprintf(expect, sizeof expect, "%s/reset/pg.sql", tmpdir);
  cfg = load_ok(ini);
  ck_assert_str_eq(cfg->path, ini);
  ck_assert_str_eq(cfg->defaults.reset_script, expect);
  ck_assert_uint_eq(cfg->defaults.nreset, 3);
  ck_assert_str_eq(cfg->defaults.reset[0].sql, "DISCARD ALL");
  ck_assert(!cfg->defaults.reset[0].gexec);
  ck_assert_str_eq(cfg->defaults.reset[1].sql,
                   "SELECT format('DROP TABLE %I', n) FROM t");
  ck_assert(cfg->defaults.reset[1].gexec);
  ck_assert_str_eq(cfg->defaults.reset[2].sql, "RESET ROLE");
  ck_assert(!cfg->defaults.reset[2].gexec);

  /* Inherited script first, then the section's own reset_sql. */
  p = odbcpool__cfg_pool(cfg, "sales");
  ck_assert_str_eq(p->reset_script, expect);
  ck_assert_uint_eq(p->nreset, 4);
  ck_assert_str_eq(p->reset[0].sql, "DISCARD ALL");
  ck_assert_str_eq(p->reset[3].sql, "SELECT 1");

  /* An empty value turns the inherited script off. */
  p = odbcpool__cfg_pool(cfg, "hr");
  ck_assert_ptr_null(p->reset_script);
  ck_assert_uint_eq(p->nreset, 0);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_config_reset_script_absolute_path_is_kept) {
  char ini[PATH_MAX], script[PATH_MAX], text[PATH_MAX + 32];
  struct cfg *cfg;

  snprintf(script, sizeof script, "%s",
           write_file("abs.sql", "SELECT 1;SELECT 2;"));
  snprintf(text, sizeof text, "[a]\nreset_script = %s\n", script);
  snprintf(ini, sizeof ini, "%s", write_file("abs.ini", text));
  cfg = load_ok(ini);
  ck_assert_str_eq(cfg->pools[0].reset_script, script);
  ck_assert_uint_eq(cfg->pools[0].nreset, 2);
  ck_assert_str_eq(cfg->pools[0].reset[1].sql, "SELECT 2");
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_config_rejects_missing_reset_script) {
  char ini[PATH_MAX], frag[2 * PATH_MAX];
  const char *msg;

  snprintf(ini, sizeof ini, "%s",
           write_file("missing.ini", "[a]\n\nreset_script = nope.sql\n"));
  msg = load_fail(ini, ODBCPOOL_ECONFIG);
  snprintf(frag, sizeof frag,
           "%s:3: key 'reset_script': cannot read '%s/nope.sql': No such "
           "file or directory",
           ini, tmpdir);
  ck_assert_str_eq(msg, frag);
}
END_TEST

START_TEST(test_config_rejects_reset_script_that_is_a_directory) {
  char ini[PATH_MAX];
  const char *msg;

  snprintf(ini, sizeof ini, "%s",
           write_file("dir.ini", "[defaults]\nreset_script = .\n[a]\n"));
  msg = load_fail(ini, ODBCPOOL_ECONFIG);
  ck_assert_contains(msg, ":2: key 'reset_script': cannot read");
  ck_assert_contains(msg, "Is a directory");
}
END_TEST

START_TEST(test_config_rejects_reset_script_larger_than_1_mib) {
  size_t n = ((size_t)1 << 20) + 1;
  char ini[PATH_MAX], *big = malloc(n);
  const char *msg;

  ck_assert_ptr_nonnull(big);
  memset(big, ' ', n);
  write_file_len("big.sql", big, n);
  free(big);
  snprintf(ini, sizeof ini, "%s",
           write_file("big.ini", "[a]\nreset_script = big.sql\n"));
  msg = load_fail(ini, ODBCPOOL_ECONFIG);
  ck_assert_contains(msg, ":2: key 'reset_script': ");
  ck_assert_contains(msg, "big.sql' is larger than 1 MiB");
}
END_TEST

START_TEST(test_config_reset_script_error_names_script_line_and_key_line) {
  char ini[PATH_MAX], script[PATH_MAX], frag[3 * PATH_MAX];
  const char *msg;

  snprintf(script, sizeof script, "%s",
           write_file("bad.sql", "SELECT 1;\n\nSELECT 'oops;\nSELECT 2;\n"));
  snprintf(ini, sizeof ini, "%s",
           write_file("bad.ini", "[defaults]\n[sales]\nreset_script = "
                                 "bad.sql\n"));
  msg = load_fail(ini, ODBCPOOL_ECONFIG);
  snprintf(frag, sizeof frag,
           "%s:3: unterminated ' quote (reset_script of [sales] at %s:3)",
           script, ini);
  ck_assert_str_eq(msg, frag);
}
END_TEST

START_TEST(test_config_rejects_missing_config_file) {
  char path[PATH_MAX];
  const char *msg;

  snprintf(path, sizeof path, "%s/absent.ini", tmpdir);
  msg = load_fail(path, ODBCPOOL_EIO);
  ck_assert_contains(msg, path);
  ck_assert_contains(msg, "No such file or directory");
}
END_TEST

START_TEST(test_config_rejects_config_file_larger_than_16_mib) {
  size_t n = ((size_t)16 << 20) + 1;
  char *big = malloc(n), path[PATH_MAX], frag[2 * PATH_MAX];
  const char *msg;

  ck_assert_ptr_nonnull(big);
  memset(big, '\n', n);
  snprintf(path, sizeof path, "%s", write_file_len("huge.ini", big, n));
  free(big);
  msg = load_fail(path, ODBCPOOL_ECONFIG);
  snprintf(frag, sizeof frag, "%s: file is larger than 16 MiB", path);
  ck_assert_str_eq(msg, frag);
}
END_TEST

START_TEST(test_config_load_reports_file_name_in_errors) {
  char path[PATH_MAX], frag[2 * PATH_MAX];
  const char *msg;

  snprintf(path, sizeof path, "%s",
           write_file("err.ini", "[a]\r\nmin_idle = 1\r\nmin_idle = 2\r\n"));
  msg = load_fail(path, ODBCPOOL_ECONFIG);
  snprintf(frag, sizeof frag,
           "%s:3: key 'min_idle': duplicate key (first set on line 2)", path);
  ck_assert_str_eq(msg, frag);
}
END_TEST

/* ------------------------------------------------------------ splitter */

/* Splits `sql` (first line 1) expecting success; returns the count. */
static size_t split_ok(const char *sql, struct cfg_stmt **v, size_t *n) {
  odbcpool_error err = {0};
  int rc = odbcpool__cfg_split_sql("s.sql", 1, sql, strlen(sql), v, n, &err);

  ck_assert_msg(rc == ODBCPOOL_OK, "split failed with %d: %s", rc, err.message);
  return *n;
}

static void free_stmts(struct cfg_stmt *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(v[i].sql);
  free(v);
}

START_TEST(test_split_respects_quotes_containing_semicolons) {
  struct cfg_stmt *v = NULL;
  size_t n = 0;

  split_ok("SELECT ';' ; SELECT \"a;b\" FROM `c;d`;"
           "SELECT 'it''s; ok', \"x\"\";\"",
           &v, &n);
  ck_assert_uint_eq(n, 3);
  ck_assert_str_eq(v[0].sql, "SELECT ';'");
  ck_assert_str_eq(v[1].sql, "SELECT \"a;b\" FROM `c;d`");
  ck_assert_str_eq(v[2].sql, "SELECT 'it''s; ok', \"x\"\";\"");
  free_stmts(v, n);
}
END_TEST

START_TEST(test_split_skips_comments_and_empty_statements) {
  struct cfg_stmt *v = NULL;
  size_t n = 0;

  split_ok("-- drop; all\n"
           "SELECT 1; /* ; */ SELECT 2 -- two; really\n"
           ";\n"
           "-- only a comment;\n"
           " ; ;\n"
           "/* block\n comment; */\n",
           &v, &n);
  ck_assert_uint_eq(n, 2);
  ck_assert_str_eq(v[0].sql, "SELECT 1");
  ck_assert_str_eq(v[1].sql, "SELECT 2 -- two; really");
  free_stmts(v, n);
}
END_TEST

START_TEST(test_split_marks_gexec_statements) {
  struct cfg_stmt *v = NULL;
  size_t n = 0;

  split_ok("SELECT format('DROP TABLE %I;', c) FROM t \\gexec\n"
           "SELECT 'x'\\gexec;\n"
           "DISCARD ALL",
           &v, &n);
  ck_assert_uint_eq(n, 3);
  ck_assert_str_eq(v[0].sql, "SELECT format('DROP TABLE %I;', c) FROM t");
  ck_assert(v[0].gexec);
  ck_assert_str_eq(v[1].sql, "SELECT 'x'");
  ck_assert(v[1].gexec);
  ck_assert_str_eq(v[2].sql, "DISCARD ALL");
  ck_assert(!v[2].gexec);
  free_stmts(v, n);
}
END_TEST

START_TEST(test_split_marks_gbaseline_statements) {
  struct cfg_stmt *v = NULL;
  size_t n = 0;

  split_ok("SELECT 'k', current_setting('x') \\gbaseline\n"
           "DISCARD ALL;\n"
           "SELECT set_config(b.k, b.v, false) FROM {{baseline}} AS b\n"
           "\\gexec",
           &v, &n);
  ck_assert_uint_eq(n, 3);
  ck_assert_str_eq(v[0].sql, "SELECT 'k', current_setting('x')");
  ck_assert(v[0].baseline && !v[0].gexec);
  ck_assert(!v[1].baseline && !v[1].gexec);
  ck_assert(!v[2].baseline && v[2].gexec);
  free_stmts(v, n);
}
END_TEST

START_TEST(test_split_rejects_unknown_backslash_command) {
  struct cfg_stmt *v = NULL;
  size_t n = 0;
  odbcpool_error err;

  ck_assert_int_eq(odbcpool__cfg_split_sql("s.sql", 1, "SELECT 1 \\gbaselin",
                                           18, &v, &n, &err),
                   ODBCPOOL_ECONFIG);
  ck_assert_msg(strstr(err.message, "only \\gexec, \\gbaseline and") != NULL,
                "%s", err.message);
  ck_assert_int_eq(
      odbcpool__cfg_split_sql("s.sql", 1, "\\gbaseline", 10, &v, &n, &err),
      ODBCPOOL_ECONFIG);
  ck_assert_msg(strstr(err.message, "\\gbaseline without a statement") != NULL,
                "%s", err.message);
  ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_config_purposes_are_names_separated_by_commas) {
  struct cfg *cfg =
      parse_ok("[defaults]\npurposes = billing\n"
               "[a]\npurposes =  billing , support.eu ,x-1 ; comment\n"
               "require_purpose = yes\n[b]\n");
  const struct cfg_pool *a = &cfg->pools[0], *b = &cfg->pools[1];
  ck_assert_uint_eq(a->npurposes, 3);
  ck_assert_str_eq(a->purpose[0], "billing");
  ck_assert_str_eq(a->purpose[1], "support.eu");
  ck_assert_str_eq(a->purpose[2], "x-1");
  ck_assert(odbcpool__cfg_purpose_allowed(a, "support.eu"));
  ck_assert(!odbcpool__cfg_purpose_allowed(a, "Support.eu"));
  ck_assert(!odbcpool__cfg_purpose_allowed(a, "billing "));
  ck_assert(!odbcpool__cfg_purpose_allowed(a, "billing,support.eu"));
  ck_assert(!odbcpool__cfg_purpose_allowed(a, NULL));
  ck_assert(!odbcpool__cfg_purpose_allowed(a, ""));
  /* Inherited from [defaults]; no purpose is allowed without
   * require_purpose. */
  ck_assert_uint_eq(b->npurposes, 1);
  ck_assert(odbcpool__cfg_purpose_allowed(b, NULL));
  ck_assert(!odbcpool__cfg_purpose_allowed(b, "support"));
  ck_assert(odbcpool__cfg_purpose_allowed(&cfg->defaults, "billing"));
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_config_purposes_reject_hostile_lists) {
  static const char *const bad[] = {
      "billing;DROP TABLE x",
      "billing,,support",
      "billing,",
      ",billing",
      "bill ing",
      "bill\xc3\xa9",
      "billing/support",
      "a,b,a",
      "'billing'",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char text[256];
    snprintf(text, sizeof text, "[a]\npurposes = %s\n", bad[i]);
    const char *msg = parse_fail_len(text, strlen(text));
    ck_assert_msg(strstr(msg, "test.ini:2: key 'purposes'") != NULL, "'%s': %s",
                  bad[i], msg);
  }
  char longname[200] = "[a]\npurposes = ";
  memset(longname + strlen(longname), 'p', 64);
  const char *msg = parse_fail_len(longname, strlen(longname));
  ck_assert_msg(strstr(msg, "at most 63 bytes") != NULL, "%s", msg);
}
END_TEST

START_TEST(test_config_reset_defaults_to_auto) {
  struct cfg *cfg = parse_ok("[defaults]\n[a]\n[b]\nreset = NONE\n"
                             "[c]\nreset = custom\nreset_sql = SELECT 1\n");

  ck_assert_int_eq(cfg->defaults.reset_mode, CFG_RESET_AUTO);
  ck_assert_int_eq(cfg->pools[0].reset_mode, CFG_RESET_AUTO);
  ck_assert_int_eq(cfg->pools[1].reset_mode, CFG_RESET_NONE);
  ck_assert_int_eq(cfg->pools[2].reset_mode, CFG_RESET_CUSTOM);
  ck_assert_int_eq(cfg->pools[0].reset_timeout, 5000);
  ck_assert_int_eq(cfg->pools[0].reset_wait, 50);
  odbcpool__cfg_free(cfg);
}
END_TEST

START_TEST(test_config_reset_rejects_bad_and_contradictory_values) {
  expect_error("[a]\nreset = sometimes\n", 2, "reset",
               "'sometimes' is not one of: auto, custom, none");
  expect_error("[a]\nreset =\n", 2, "reset", "value is empty");
  expect_error("[a]\nreset = custom\n", 2, "reset",
               "reset = custom needs reset_script or reset_sql");
  expect_error("[a]\nreset = none\nreset_sql = DISCARD ALL\n", 2, "reset",
               "reset = none runs no reset statements");
  /* Inherited from [defaults]: the error names the line of the key. */
  expect_error("[defaults]\nreset = none\n[a]\nreset_sql = SELECT 1\n", 2,
               "reset", "[a]: reset = none");
  expect_error("[a]\nreset_timeout = 0\n", 2, "reset_timeout", "too small");
}
END_TEST

START_TEST(test_split_accepts_dollar_quotes) {
  struct cfg_stmt *v = NULL;
  size_t n = 0;

  split_ok("DO $$ BEGIN PERFORM 1; END $$;\n"
           "SELECT $tag$;$$;$tag$;\n"
           "PREPARE p AS SELECT $1; SELECT a$b$c FROM t",
           &v, &n);
  ck_assert_uint_eq(n, 4);
  ck_assert_str_eq(v[0].sql, "DO $$ BEGIN PERFORM 1; END $$");
  ck_assert_str_eq(v[1].sql, "SELECT $tag$;$$;$tag$");
  ck_assert_str_eq(v[2].sql, "PREPARE p AS SELECT $1");
  ck_assert_str_eq(v[3].sql, "SELECT a$b$c FROM t");
  free_stmts(v, n);
}
END_TEST

START_TEST(test_split_appends_and_grows) {
  struct cfg_stmt *v = NULL;
  size_t n = 0;
  char last[16];

  split_ok("first", &v, &n);
  for (int i = 0; i < 1000; i++) {
    char sql[16];

    snprintf(sql, sizeof sql, "S%d;", i);
    split_ok(sql, &v, &n);
  }
  ck_assert_uint_eq(n, 1001);
  ck_assert_str_eq(v[0].sql, "first");
  snprintf(last, sizeof last, "S%d", 999);
  ck_assert_str_eq(v[1000].sql, last);
  ck_assert_str_eq(v[500].sql, "S499");
  free_stmts(v, n);
}
END_TEST

/* Splits `sql` with first line 10, expecting an error at `line`. */
static void expect_split_error(const char *sql, size_t len, unsigned line,
                               const char *frag) {
  odbcpool_error err = {0};
  struct cfg_stmt *v = NULL;
  size_t n = 0;
  char where[32];
  int rc;

  split_ok("KEEP ME;", &v, &n);
  rc = odbcpool__cfg_split_sql("s.sql", 10, sql, len, &v, &n, &err);
  ck_assert_msg(rc == ODBCPOOL_ECONFIG, "expected ECONFIG, got %d: %s", rc,
                err.message);
  snprintf(where, sizeof where, "s.sql:%u: ", line);
  ck_assert_msg(strncmp(err.message, where, strlen(where)) == 0,
                "message \"%s\" should start with \"%s\"", err.message, where);
  ck_assert_contains(err.message, frag);
  /* Statements split before the error are taken back. */
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(v[0].sql, "KEEP ME");
  free_stmts(v, n);
}

START_TEST(test_split_rejects_unterminated_quote_at_its_line) {
  static const char sql[] = "SELECT 1;\nSELECT 2;\nSELECT 'abc;\n\n";

  expect_split_error(sql, sizeof sql - 1, 12, "unterminated ' quote");
}
END_TEST

START_TEST(test_split_rejects_unterminated_identifier_quotes) {
  static const char dq[] = "SELECT \"a\nb";
  static const char bq[] = "\nSELECT `a";
  static const char dl[] = "SELECT 1;\nDO $body$ BEGIN END $bod$;";

  expect_split_error(dq, sizeof dq - 1, 10, "unterminated \" quote");
  expect_split_error(bq, sizeof bq - 1, 11, "unterminated ` quote");
  expect_split_error(dl, sizeof dl - 1, 11, "unterminated $body$ quote");
}
END_TEST

START_TEST(test_split_rejects_unterminated_block_comment) {
  static const char sql[] = "SELECT 1;\n/* no end\n;\n";

  expect_split_error(sql, sizeof sql - 1, 11, "unterminated /* comment");
}
END_TEST

START_TEST(test_split_counts_lines_inside_quotes_and_comments) {
  static const char sql[] = "SELECT 'a\nb';\n/* c\nd */ SELECT \"e\nf\";\n"
                            "SELECT 'bad";

  expect_split_error(sql, sizeof sql - 1, 15, "unterminated ' quote");
}
END_TEST

START_TEST(test_split_rejects_gexec_without_statement) {
  static const char sql[] = "SELECT 1;\n  \\gexec\n";

  expect_split_error(sql, sizeof sql - 1, 11,
                     "\\gexec without a statement before it");
}
END_TEST

START_TEST(test_split_rejects_other_backslash_commands) {
  static const char set[] = "\\set x 1\n";
  static const char gx[] = "SELECT 1 \\gexecute\n";

  expect_split_error(set, sizeof set - 1, 10, "unsupported backslash command");
  expect_split_error(gx, sizeof gx - 1, 10, "unsupported backslash command");
}
END_TEST

START_TEST(test_split_rejects_nul_byte) {
  static const char sql[] = "SELECT 1;\nSELECT '\0';";

  expect_split_error(sql, sizeof sql - 1, 11, "NUL byte");
}
END_TEST

/* ----------------------------------------------------------- durations */

START_TEST(test_duration_parses_each_unit) {
  static const struct {
    const char *text;
    long ms;
  } ok[] = {
      {"0", 0},         {"0s", 0},         {"500ms", 500},
      {"5s", 5000},     {"10min", 600000}, {"2h", 7200000},
      {"1d", 86400000}, {"90 s", 90000},   {"007s", 7000},
  };
  static const char *const bad[] = {
      "",
      "5",
      "5m",
      "-1s",
      "1.5s",
      "s",
      "5 s x",
      " 5s",
      "5sec",
      "5MS",
      "9999999999999999d",
      "99999999999999999999ms",
  };

  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    long ms = -1;

    ck_assert_msg(odbcpool__cfg_duration(ok[i].text, &ms), "'%s' should parse",
                  ok[i].text);
    ck_assert_msg(ms == ok[i].ms, "'%s': got %ld, expected %ld", ok[i].text, ms,
                  ok[i].ms);
  }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    long ms = -1;

    ck_assert_msg(!odbcpool__cfg_duration(bad[i], &ms),
                  "'%s' should be rejected", bad[i]);
  }
  ck_assert(!odbcpool__cfg_duration(NULL, NULL));
}
END_TEST

START_TEST(test_duration_formats_with_largest_exact_unit) {
  static const struct {
    long ms;
    const char *text;
  } cases[] = {
      {0, "0"},        {500, "500ms"},   {1500, "1500ms"},
      {5000, "5s"},    {90000, "90s"},   {600000, "10min"},
      {3600000, "1h"}, {86400000, "1d"}, {90000000, "25h"},
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char buf[32];

    odbcpool__cfg_format_duration(cases[i].ms, buf, sizeof buf);
    ck_assert_str_eq(buf, cases[i].text);
  }
}
END_TEST

/* -------------------------------------------------------- the table */

START_TEST(test_settings_table_is_consistent) {
  ck_assert_uint_eq(odbcpool__cfg_nsettings, 34);
  for (size_t i = 0; i < odbcpool__cfg_nsettings; i++) {
    const struct cfg_setting *s = &odbcpool__cfg_settings[i];

    ck_assert_msg(s->help && strlen(s->help) > 20, "%s: no help", s->name);
    for (size_t j = 0; j < i; j++)
      ck_assert_str_ne(s->name, odbcpool__cfg_settings[j].name);
    if (s->type == CFG_DURATION) {
      char buf[32];
      long ms;

      /* Defaults read back as written, so `check` prints them so. */
      ck_assert_msg(odbcpool__cfg_duration(s->def, &ms), "%s", s->name);
      odbcpool__cfg_format_duration(ms, buf, sizeof buf);
      ck_assert_str_eq(buf, s->def);
    }
    if (s->type == CFG_STRING || s->type == CFG_PATH || s->type == CFG_LIST)
      ck_assert_ptr_null(s->def);
    else
      ck_assert_ptr_nonnull(s->def);
  }
}
END_TEST

START_TEST(test_settings_value_points_into_pool_or_cfg) {
  struct cfg *cfg = parse_ok("[defaults]\nreset_workers = 7\n"
                             "stats_file = /run/odbcpool/%p.prom ; kept\n"
                             "[a]\nmax_connections = 9\n");

  for (size_t i = 0; i < odbcpool__cfg_nsettings; i++) {
    const struct cfg_setting *s = &odbcpool__cfg_settings[i];
    const void *v = odbcpool__cfg_value(cfg, &cfg->pools[0], s);

    if (strcmp(s->name, "reset_workers") == 0) {
      ck_assert(s->defaults_only);
      ck_assert_ptr_eq(v, &cfg->reset_workers);
      ck_assert_int_eq(*(const long *)v, 7);
    } else if (s->section != NULL) {
      ck_assert_str_eq(s->section, "audit");
      ck_assert(s->defaults_only);
      ck_assert_msg((const char *)v >= (const char *)cfg &&
                        (const char *)v < (const char *)(cfg + 1),
                    "%s does not point into struct cfg", s->name);
    } else if (strcmp(s->name, "log") == 0) {
      ck_assert(s->defaults_only);
      ck_assert_ptr_eq(v, &cfg->log);
      ck_assert_ptr_null(*(char *const *)v);
    } else if (strcmp(s->name, "stats_file") == 0) {
      ck_assert(s->defaults_only);
      ck_assert_ptr_eq(v, &cfg->stats_file);
      ck_assert_str_eq(*(char *const *)v, "/run/odbcpool/%p.prom ; kept");
    } else {
      ck_assert(!s->defaults_only);
    }
    if (strcmp(s->name, "max_connections") == 0) {
      ck_assert_ptr_eq(v, &cfg->pools[0].max_connections);
      ck_assert_int_eq(*(const long *)v, 9);
    }
  }
  odbcpool__cfg_free(cfg);
}
END_TEST

/* ---------------------------------------------------------------- suite */

Suite *config_suite(void);

Suite *config_suite(void) {
  Suite *s = suite_create("config");
  TCase *tc;

  tc = tcase_create("values");
  tcase_add_test(tc, test_config_empty_file_gives_table_defaults);
  tcase_add_test(tc, test_config_comments_and_blank_lines_only_give_defaults);
  tcase_add_test(tc, test_config_dsn_section_without_keys_gets_table_defaults);
  tcase_add_test(tc, test_config_section_overrides_defaults);
  tcase_add_test(tc, test_config_dsn_inherits_defaults_written_after_it);
  tcase_add_test(tc, test_config_empty_string_value_clears_inherited_value);
  tcase_add_test(tc, test_config_pool_lookup_is_exact_else_defaults);
  tcase_add_test(tc, test_config_log_is_syslog_stderr_none_or_an_absolute_path);
  tcase_add_test(tc, test_config_accepts_crlf_bom_tabs_and_trailing_comments);
  tcase_add_test(tc, test_config_bool_spellings);
  tcase_add_test(tc, test_config_int_bounds_are_inclusive);
  tcase_add_test(tc, test_config_section_name_of_32_chars_is_accepted);
  tcase_add_test(tc, test_config_line_of_64_kib_is_accepted);
  tcase_add_test(tc, test_config_allows_same_key_in_different_sections);
  tcase_add_test(tc, test_config_free_null_is_noop);
  suite_add_tcase(s, tc);

  tc = tcase_create("errors");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_config_min_idle_with_hash_and_no_blank_is_rejected);
  tcase_add_loop_test(tc, test_config_rejects_text, 0,
                      (int)(sizeof rejected_texts / sizeof rejected_texts[0]));
  tcase_add_test(tc, test_config_rejects_characters_odbc_forbids_in_dsn);
  tcase_add_test(tc, test_config_refuses_fifo_and_device_without_hanging);
  tcase_add_test(tc, test_config_audit_section_keys_stay_in_it);
  tcase_add_test(tc, test_config_pseudonym_period_is_whole_days_with_a_key_dir);
  tcase_add_test(tc, test_config_audit_section_values_and_defaults);
  tcase_add_test(tc, test_config_credentials_need_their_key);
  tcase_add_test(tc, test_config_rejects_nul_byte_mid_file);
  tcase_add_test(tc, test_config_rejects_nul_byte_on_last_line);
  tcase_add_test(tc, test_config_rejects_1_mib_single_line);
  tcase_add_test(tc, test_config_rejects_line_one_byte_over_64_kib);
  tcase_add_test(tc, test_config_rejects_buffer_larger_than_16_mib);
  tcase_add_test(tc, test_config_rejects_too_many_sections);
  tcase_add_test(tc, test_config_error_without_error_struct_still_fails);
  tcase_add_test(tc, test_config_reports_first_error_in_file_order);
  suite_add_tcase(s, tc);

  tc = tcase_create("reset");
  tcase_set_timeout(tc, 60);
  tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
  tcase_add_test(tc, test_config_reset_sql_is_split_into_statements);
  tcase_add_test(tc,
                 test_config_reset_sql_unterminated_quote_names_key_and_line);
  tcase_add_test(tc, test_config_reset_script_relative_to_config_directory);
  tcase_add_test(tc, test_config_reset_script_absolute_path_is_kept);
  tcase_add_test(tc, test_config_rejects_missing_reset_script);
  tcase_add_test(tc, test_config_rejects_reset_script_that_is_a_directory);
  tcase_add_test(tc, test_config_rejects_reset_script_larger_than_1_mib);
  tcase_add_test(tc,
                 test_config_reset_script_error_names_script_line_and_key_line);
  tcase_add_test(tc, test_config_rejects_missing_config_file);
  tcase_add_test(tc, test_config_rejects_config_file_larger_than_16_mib);
  tcase_add_test(tc, test_config_load_reports_file_name_in_errors);
  suite_add_tcase(s, tc);

  tc = tcase_create("split");
  tcase_add_test(tc, test_split_respects_quotes_containing_semicolons);
  tcase_add_test(tc, test_split_skips_comments_and_empty_statements);
  tcase_add_test(tc, test_split_marks_gexec_statements);
  tcase_add_test(tc, test_split_accepts_dollar_quotes);
  tcase_add_test(tc, test_split_appends_and_grows);
  tcase_add_test(tc, test_split_rejects_unterminated_quote_at_its_line);
  tcase_add_test(tc, test_split_rejects_unterminated_identifier_quotes);
  tcase_add_test(tc, test_split_rejects_unterminated_block_comment);
  tcase_add_test(tc, test_split_counts_lines_inside_quotes_and_comments);
  tcase_add_test(tc, test_split_rejects_gexec_without_statement);
  tcase_add_test(tc, test_split_rejects_other_backslash_commands);
  tcase_add_test(tc, test_split_rejects_nul_byte);
  tcase_add_test(tc, test_split_marks_gbaseline_statements);
  tcase_add_test(tc, test_split_rejects_unknown_backslash_command);
  tcase_add_test(tc, test_config_reset_defaults_to_auto);
  tcase_add_test(tc, test_config_purposes_are_names_separated_by_commas);
  tcase_add_test(tc, test_config_purposes_reject_hostile_lists);
  tcase_add_test(tc, test_config_reset_rejects_bad_and_contradictory_values);
  suite_add_tcase(s, tc);

  tc = tcase_create("check_mode");
  tcase_add_test(tc, test_check_mode_reports_every_problem_in_file_order);
  tcase_add_test(tc, test_check_mode_library_still_stops_at_first_problem);
  tcase_add_test(tc, test_check_mode_valid_file_has_no_problems);
  tcase_add_test(tc, test_check_mode_skips_keys_under_a_failed_section_header);
  tcase_add_test(tc, test_check_mode_goes_on_after_nul_and_control_bytes);
  tcase_add_test(tc, test_check_mode_caps_the_problems_kept);
  tcase_add_test(tc, test_check_mode_without_error_struct_still_collects);
  tcase_add_test(tc, test_suggest_names_the_nearest_key);
  tcase_add_test(tc, test_suggest_ignores_hostile_keys);
  tcase_add_test(tc, test_suggest_section_names_defaults_and_audit);
  suite_add_tcase(s, tc);

  tc = tcase_create("durations");
  tcase_add_test(tc, test_duration_parses_each_unit);
  tcase_add_test(tc, test_duration_formats_with_largest_exact_unit);
  tcase_add_test(tc, test_settings_table_is_consistent);
  tcase_add_test(tc, test_settings_value_points_into_pool_or_cfg);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  return testenv_run_suite(config_suite());
}
