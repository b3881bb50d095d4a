/* check_dbreset.c — unit tests of the built-in resets and the connection
 * baseline (src/dbreset.c), and of the baseline through a real SQLite
 * pool. */
#include "build.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbreset.h"
#include "pool.h"
#include "testenv.h"

/* Expands `sql` and fails the test on error; the caller frees. */
static char *expand_ok(const char *sql, enum odbcpool__dialect d,
                       const struct odbcpool__baseline *b,
                       odbcpool__dsn_lookup lookup, void *ctx) {
  char *out = NULL;
  odbcpool_error err;
  int rc = odbcpool__baseline_expand(sql, d, b, lookup, ctx, &out, &err);
  ck_assert_msg(rc == ODBCPOOL_OK, "expand \"%s\": %s", sql, err.message);
  return out;
}

/* Expands `sql`, which must fail with `code`; returns the message. */
static const char *expand_fails(const char *sql, enum odbcpool__dialect d,
                                const struct odbcpool__baseline *b, int code) {
  static odbcpool_error err;
  char *out = (char *)&err;
  int rc = odbcpool__baseline_expand(sql, d, b, NULL, NULL, &out, &err);
  ck_assert_msg(rc == code, "expand \"%s\": expected %d, got %d", sql, code,
                rc);
  ck_assert_ptr_null(out);
  return err.message;
}

START_TEST(test_builtin_is_chosen_from_dbms_and_driver_names) {
  static const struct {
    const char *name, *want;
  } cases[] = {
      {"PostgreSQL", "postgresql"},
      {"psqlodbcw.so", "postgresql"},
      {"PostgreSQL Unicode", "postgresql"},
      {"MariaDB", "mariadb"},
      {"MySQL", "mariadb"},
      {"libmaodbc.so", "mariadb"},
      {"SQLite", "sqlite"},
      {"libsqlite3odbc.so", "sqlite"},
      {"SQLite3", "sqlite"},
      {"Oracle", NULL},
      {"Microsoft SQL Server", NULL},
      {"", NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct odbcpool__builtin *b = odbcpool__builtin_match(cases[i].name);
    const char *got = b ? b->name : NULL;
    ck_assert_msg(got == cases[i].want ||
                      (got && cases[i].want && !strcmp(got, cases[i].want)),
                  "'%s': expected %s, got %s", cases[i].name,
                  cases[i].want ? cases[i].want : "(none)",
                  got ? got : "(none)");
  }
  ck_assert_ptr_null(odbcpool__builtin_match(NULL));
  ck_assert_int_eq(odbcpool__dialect_of("PostgreSQL"), ODBCPOOL_DIALECT_PG);
  ck_assert_int_eq(odbcpool__dialect_of("MariaDB"), ODBCPOOL_DIALECT_MARIADB);
  ck_assert_int_eq(odbcpool__dialect_of("Oracle"), ODBCPOOL_DIALECT_STD);
}
END_TEST

/* Every shipped script parses, records a baseline first, runs reset
 * statements after it, and uses only placeholders the expansion knows. */
START_TEST(test_builtin_scripts_parse_and_expand) {
  struct odbcpool__baseline b = {0};
  ck_assert(odbcpool__baseline_add(&b, "k", "v"));
  for (size_t i = 0; i < odbcpool__nbuiltins; i++) {
    const struct odbcpool__builtin *bi = &odbcpool__builtins[i];
    size_t n = 0;
    const struct cfg_stmt *st = odbcpool__builtin_stmts(bi, &n);
    ck_assert_msg(st != NULL && n >= 2, "%s: %zu statements", bi->name, n);
    ck_assert_msg(st[0].baseline || (n > 2 && st[2].baseline),
                  "%s: no baseline statement at the start", bi->name);
    size_t nreset = 0;
    for (size_t j = 0; j < n; j++) {
      nreset += !st[j].baseline;
      char *out = expand_ok(st[j].sql, bi->dialect, &b, NULL, NULL);
      if (out != NULL) {
        ck_assert_msg(strstr(out, "{{") == NULL, "%s: %s", bi->name, out);
        free(out);
      }
    }
    ck_assert_msg(nreset >= 1, "%s: no reset statement", bi->name);
  }
  odbcpool__baseline_free(&b);
}
END_TEST

START_TEST(test_expand_leaves_plain_sql_alone) {
  ck_assert_ptr_null(
      expand_ok("DISCARD ALL", ODBCPOOL_DIALECT_PG, NULL, NULL, NULL));
}
END_TEST

START_TEST(test_expand_empty_baseline_is_a_table_without_rows) {
  char *out = expand_ok("SELECT b.k FROM {{baseline}} AS b",
                        ODBCPOOL_DIALECT_STD, NULL, NULL, NULL);
  ck_assert_str_eq(out, "SELECT b.k FROM (SELECT NULL AS k, NULL AS v FROM "
                        "(SELECT 1 AS z) AS odbcpool_z WHERE 1 = 0) AS b");
  free(out);
}
END_TEST

/* Values a DSN or a session could hold, written so that they stay one
 * literal: quotes, statement ends, comments, newlines, backslashes. */
START_TEST(test_expand_quotes_hostile_values_per_dialect) {
  struct odbcpool__baseline b = {0};
  ck_assert(odbcpool__baseline_add(&b, "a", "x'); DROP TABLE t; --\\'\n"));
  ck_assert(odbcpool__baseline_add(&b, "n", NULL));
  char *out = expand_ok("SELECT * FROM {{baseline}} AS b", ODBCPOOL_DIALECT_STD,
                        &b, NULL, NULL);
  ck_assert_str_eq(out, "SELECT * FROM (SELECT 'a' AS k, 'x''); DROP TABLE t; "
                        "--\\''\n' AS v UNION ALL SELECT 'n', NULL) AS b");
  free(out);
  out = expand_ok("{{baseline}}", ODBCPOOL_DIALECT_MARIADB, &b, NULL, NULL);
  ck_assert_str_eq(out, "(SELECT X'61' AS k, "
                        "X'7827293B2044524F50205441424C4520743B202D2D5C270A' "
                        "AS v UNION ALL SELECT X'6E', NULL)");
  free(out);
  out = expand_ok("{{baseline:a}}", ODBCPOOL_DIALECT_PG, &b, NULL, NULL);
  ck_assert_str_eq(out, "$odbcpool_b$x'); DROP TABLE t; --\\'\n$odbcpool_b$");
  free(out);
  odbcpool__baseline_free(&b);

  /* A value holding the dollar-quote tag cannot be quoted: refused, not
   * cut short. */
  struct odbcpool__baseline t = {0};
  ck_assert(odbcpool__baseline_add(&t, "a", "$odbcpool_b$; DROP TABLE t"));
  const char *msg = expand_fails("SELECT {{baseline:a}}", ODBCPOOL_DIALECT_PG,
                                 &t, ODBCPOOL_EINVAL);
  ck_assert_msg(strstr(msg, "quote tag") != NULL, "%s", msg);
  expand_fails("{{baseline}}", ODBCPOOL_DIALECT_PG, &t, ODBCPOOL_EINVAL);
  odbcpool__baseline_free(&t);
}
END_TEST

START_TEST(test_expand_baseline_key_found_missing_and_null) {
  struct odbcpool__baseline b = {0};
  ck_assert(odbcpool__baseline_add(&b, "fk", "1"));
  ck_assert(odbcpool__baseline_add(&b, "fk2", "2"));
  ck_assert(odbcpool__baseline_add(&b, "none", NULL));
  char *out = expand_ok("{{baseline:fk}},{{baseline:fk2}},{{baseline:f}},"
                        "{{baseline:none}},{{baseline:fk22}}",
                        ODBCPOOL_DIALECT_STD, &b, NULL, NULL);
  ck_assert_str_eq(out, "'1','2',NULL,NULL,NULL");
  free(out);
  odbcpool__baseline_free(&b);
}
END_TEST

static char *lookup(void *ctx, const char *key, bool *nomem) {
  (void)nomem;
  ck_assert_str_eq((const char *)ctx, "ctx");
  if (strcmp(key, "ConnSettings") == 0)
    return strdup("SET a = 'b';--");
  return NULL;
}

START_TEST(test_expand_dsn_keyword) {
  char *out = expand_ok("SELECT 'c', {{dsn:ConnSettings}}, {{dsn:Other}}",
                        ODBCPOOL_DIALECT_STD, NULL, lookup, "ctx");
  ck_assert_str_eq(out, "SELECT 'c', 'SET a = ''b'';--', NULL");
  free(out);
  out =
      expand_ok("{{dsn:ConnSettings}}", ODBCPOOL_DIALECT_STD, NULL, NULL, NULL);
  ck_assert_str_eq(out, "NULL");
  free(out);
}
END_TEST

START_TEST(test_expand_if_drops_a_statement_without_its_key) {
  struct odbcpool__baseline b = {0};
  ck_assert(odbcpool__baseline_add(&b, "ext:dblink", "public"));
  ck_assert(odbcpool__baseline_add(&b, "ext:null", NULL));
  char *out = expand_ok("{{if:ext:dblink}}SELECT {{baseline:ext:dblink}}",
                        ODBCPOOL_DIALECT_STD, &b, NULL, NULL);
  ck_assert_str_eq(out, "SELECT 'public'");
  free(out);
  out =
      expand_ok("{{if:ext:fdw}}SELECT 1", ODBCPOOL_DIALECT_STD, &b, NULL, NULL);
  ck_assert_str_eq(out, "");
  free(out);
  out = expand_ok("{{if:ext:null}}SELECT 1", ODBCPOOL_DIALECT_STD, &b, NULL,
                  NULL);
  ck_assert_str_eq(out, "");
  free(out);
  odbcpool__baseline_free(&b);
}
END_TEST

START_TEST(test_expand_dsn_raw_is_sql_text) {
  char *out = expand_ok("{{dsn-raw:ConnSettings}}", ODBCPOOL_DIALECT_PG, NULL,
                        lookup, "ctx");
  ck_assert_str_eq(out, "SET a = 'b';--");
  free(out);
  /* Absent: nothing, so the statement is dropped. */
  out =
      expand_ok("{{dsn-raw:Other}}", ODBCPOOL_DIALECT_PG, NULL, lookup, "ctx");
  ck_assert_str_eq(out, "");
  free(out);
}
END_TEST

/* \gbatch sends several statements in one SQLExecDirect. sqlite3odbc
 * takes one statement per call ("only one SQL statement allowed"), so on
 * SQLite a batch fails the reset and the connection is closed, not
 * reused (fail closed); the statements before the batch have run. The
 * built-in PostgreSQL reset is one batch (drivers-test/postgresql.sh and
 * the probes run it). */
START_TEST(test_batch_the_driver_refuses_fails_closed_on_sqlite) {
  odbcpool_set *set =
      testenv_open("[sqlite]\nreset = custom\n"
                   "reset_sql = INSERT INTO seen VALUES ('before'); "
                   "INSERT INTO seen VALUES ('one') \\gbatch "
                   "{{if:nokey}} INSERT INTO seen VALUES ('dropped') \\gbatch "
                   "INSERT INTO seen VALUES ('two')\n");
  odbcpool_conn *c = testenv_borrow(set, "sqlite");
  uint64_t id = odbcpool_conn_id(c);
  ck_assert(testenv_exec(c, "CREATE TABLE seen (v TEXT)"));
  odbcpool_return(c);
  ck_assert_int_eq(odbcpool_quiesce(set, 10000), ODBCPOOL_OK);
  odbcpool_stats st = testenv_stats(set, "sqlite");
  ck_assert_uint_eq(st.reset_failures, 1);
  ck_assert_uint_eq(st.closes[ODBCPOOL_CLOSE_RESET_FAILED], 1);
  c = testenv_borrow(set, "sqlite");
  ck_assert_uint_ne(odbcpool_conn_id(c), id);
  ck_assert_int_eq(testenv_query_long(
                       c, "SELECT count(*) FROM seen WHERE v = 'before'", NULL),
                   1);
  ck_assert_int_eq(testenv_query_long(c, "SELECT count(*) FROM seen", NULL), 1);
  odbcpool_return(c);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_expand_rejects_bad_placeholders) {
  static const char *const bad[] = {
      "SELECT {{baseline", "SELECT {{current}}", "{{}}",         "{{dsn:}}",
      "{{baseline:}}",     "{{ baseline }}",     "{{BASELINE}}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    expand_fails(bad[i], ODBCPOOL_DIALECT_STD, NULL, ODBCPOOL_EINVAL);
  char longkey[300] = "{{dsn:";
  memset(longkey + 6, 'K', 200);
  memcpy(longkey + 206, "}}", 3);
  const char *msg =
      expand_fails(longkey, ODBCPOOL_DIALECT_STD, NULL, ODBCPOOL_EINVAL);
  ck_assert_msg(strstr(msg, "longer than") != NULL, "%s", msg);
}
END_TEST

/* Through a real SQLite pool: a custom script records a hostile value as
 * its baseline at connect, and a reset statement writes what
 * {{baseline:a}} became into a table, which must hold the value intact. */
START_TEST(test_baseline_round_trips_a_hostile_value_through_sqlite) {
  odbcpool_set *set = testenv_open(
      "[sqlite]\nreset = custom\n"
      "reset_sql = SELECT 'a', 'it''s; DROP TABLE seen; --' || char(10) "
      "|| '{' || '{x}}' \\gbaseline "
      "INSERT INTO seen (v) SELECT {{baseline:a}};\n");
  odbcpool_conn *c = testenv_borrow(set, "sqlite");
  ck_assert(testenv_exec(c, "CREATE TABLE seen (v TEXT)"));
  odbcpool_return(c);
  ck_assert_int_eq(odbcpool_quiesce(set, 10000), ODBCPOOL_OK);
  c = testenv_borrow(set, "sqlite");
  bool ok = false;
  long n = testenv_query_long(
      c,
      "SELECT count(*) FROM seen WHERE v = 'it''s; DROP TABLE seen; --' "
      "|| char(10) || '{{x}}'",
      &ok);
  ck_assert(ok);
  ck_assert_int_eq(n, 1);
  odbcpool_stats st = testenv_stats(set, "sqlite");
  ck_assert_uint_eq(st.connects, 1);
  ck_assert_uint_eq(st.resets, 1);
  odbcpool_return(c);
  odbcpool_close(set);
}
END_TEST

/* reset = auto on SQLite with no reset setting: a pragma the DSN did not
 * set goes back, and the connection is reused. */
START_TEST(test_auto_reset_restores_pragmas_on_sqlite) {
  odbcpool_set *set = testenv_open("[sqlite]\nmax_connections = 1\n");
  odbcpool_conn *c = testenv_borrow(set, "sqlite");
  uint64_t id = odbcpool_conn_id(c);
  long fk = testenv_query_long(c, "PRAGMA foreign_keys", NULL);
  ck_assert(testenv_exec(c, fk ? "PRAGMA foreign_keys = OFF"
                               : "PRAGMA foreign_keys = ON"));
  ck_assert(testenv_exec(c, "PRAGMA recursive_triggers = ON"));
  odbcpool_return(c);
  ck_assert_int_eq(odbcpool_quiesce(set, 10000), ODBCPOOL_OK);
  c = testenv_borrow(set, "sqlite");
  ck_assert_uint_eq(odbcpool_conn_id(c), id);
  ck_assert_int_eq(testenv_query_long(c, "PRAGMA foreign_keys", NULL), fk);
  ck_assert_int_eq(testenv_query_long(c, "PRAGMA recursive_triggers", NULL), 0);
  odbcpool_return(c);
  odbcpool_close(set);
}
END_TEST

/* The light reset's classifier: only a single SELECT that reads no pragma
 * and loads no extension passes, on SQLite only; any doubt is a change. */
START_TEST(test_only_plain_selects_leave_an_sqlite_session_clean) {
  odbcpool_conn c;
  memset(&c, 0, sizeof c);
  c.builtin = odbcpool__builtin_match("SQLite");
  static const char *const clean[] = {
      "SELECT 1",          "  select * from t where x = 'a,b'",
      "/* hi */ SELECT 1", "-- c\nSELECT 1;",
      "SELECT 1 ; -- end", "SeLeCt(1)",
  };
  static const char *const dirty[] = {
      "PRAGMA foreign_keys = ON",
      "/* SELECT */ PRAGMA recursive_triggers=1",
      "SELECT 1; PRAGMA foreign_keys = ON",
      "SELECT * FROM pragma_table_info('t')",
      "SELECT load_extension('x')",
      "SELECT LOAD_EXTENSION('x')",
      "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
      "INSERT INTO t VALUES (1)",
      "ATTACH ':memory:' AS x",
      "BEGIN",
      "SAVEPOINT s",
      "selected",
      "select_1",
      "/* unterminated SELECT 1",
      "",
      "   ",
      "SELECT 1 /* ; PRAGMA x */ ; X",
      "CREATE TEMP TABLE t (x)",
      /* Conservative: a ';' inside a literal is taken as a second
       * statement. */
      "SELECT * FROM t WHERE x = 'a;b'",
  };
  for (size_t i = 0; i < sizeof clean / sizeof clean[0]; i++)
    ck_assert_msg(
        odbcpool__sql_cannot_touch_session(&c, clean[i], strlen(clean[i])),
        "should be clean: %s", clean[i]);
  for (size_t i = 0; i < sizeof dirty / sizeof dirty[0]; i++)
    ck_assert_msg(
        !odbcpool__sql_cannot_touch_session(&c, dirty[i], strlen(dirty[i])),
        "should be a change: %s", dirty[i]);
  /* A NUL byte inside the text, NULL text, another database: a change. */
  ck_assert(!odbcpool__sql_cannot_touch_session(&c, "SELECT 1\0PRAGMA x", 17));
  ck_assert(!odbcpool__sql_cannot_touch_session(&c, NULL, 0));
  c.builtin = odbcpool__builtin_match("PostgreSQL");
  ck_assert(!odbcpool__sql_cannot_touch_session(&c, "SELECT 1", 8));
  c.builtin = NULL;
  ck_assert(!odbcpool__sql_cannot_touch_session(&c, "SELECT 1", 8));
}
END_TEST

static Suite *dbreset_suite(void) {
  Suite *s = suite_create("dbreset");
  TCase *tc = tcase_create("expand");
  tcase_add_test(tc, test_builtin_is_chosen_from_dbms_and_driver_names);
  tcase_add_test(tc, test_builtin_scripts_parse_and_expand);
  tcase_add_test(tc, test_expand_leaves_plain_sql_alone);
  tcase_add_test(tc, test_expand_empty_baseline_is_a_table_without_rows);
  tcase_add_test(tc, test_expand_quotes_hostile_values_per_dialect);
  tcase_add_test(tc, test_expand_baseline_key_found_missing_and_null);
  tcase_add_test(tc, test_expand_dsn_keyword);
  tcase_add_test(tc, test_expand_rejects_bad_placeholders);
  tcase_add_test(tc, test_expand_if_drops_a_statement_without_its_key);
  tcase_add_test(tc, test_expand_dsn_raw_is_sql_text);
  tcase_add_test(tc, test_only_plain_selects_leave_an_sqlite_session_clean);
  suite_add_tcase(s, tc);
  TCase *db = tcase_create("sqlite");
  tcase_add_checked_fixture(db, testenv_setup, testenv_teardown);
  tcase_set_timeout(db, 30);
  tcase_add_test(db, test_baseline_round_trips_a_hostile_value_through_sqlite);
  tcase_add_test(db, test_auto_reset_restores_pragmas_on_sqlite);
  tcase_add_test(db, test_batch_the_driver_refuses_fails_closed_on_sqlite);
  suite_add_tcase(s, db);
  return s;
}

int main(void) {
  return testenv_run_suite(dbreset_suite());
}
