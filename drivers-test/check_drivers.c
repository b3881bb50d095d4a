/* check_drivers.c — erasure on return proven against a real driver and
 * server (SQLite through sqlite3odbc, PostgreSQL through psqlODBC, MariaDB
 * through MariaDB Connector/ODBC): each test leaves state on a borrowed
 * connection, returns it, borrows the same physical connection again and
 * reads the state back. Where the reset cannot erase a kind of state
 * (MariaDB temporary tables), the test proves that the connection was
 * closed instead.
 *
 * Run by drivers-test/sqlite.sh, drivers-test/postgresql.sh and
 * drivers-test/mariadb.sh, which set up the ODBC configuration
 * (ODBCSYSINI, ODBCINI) and the pool config:
 *   ODBCPOOL_TEST_DSN         the DSN under test (its config section has the
 *                             database's reset script)
 *   ODBCPOOL_TEST_FAIL_DSN    a DSN whose section has a failing reset
 *                             (default: <DSN>_fail)
 *   ODBCPOOL_TEST_DB          sqlite, postgresql or mariadb
 *   ODBCPOOL_TEST_CONFIG      the pool config file
 *   ODBCPOOL_TEST_MAX_CONNECTIONS  max_connections of the DSN (default 4)
 *   ODBCPOOL_TEST_ITERATIONS  borrows per thread in the load test (10000)
 *   ODBCPOOL_TEST_TLS_DSN     (MariaDB) a DSN that asks for TLS; its
 *                             section has require_encryption (optional)
 */
#include "build.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sql.h>
#include <sqlext.h>

#include "pooltest.h"

static const char *dsn;
static char fail_dsn[256];
static const char *db;
static const char *config;
static bool is_pg;
static bool is_maria;
static const char *tls_dsn;
static unsigned max_connections = 4;
static long iterations = 10000;

/* ---------------------------------------------------------- helpers */

/* Runs `sql` and returns the first column of the first row as text in
 * buf; fails the test if it does not return a row. */
static const char *text(odbcpool_conn *c, const char *sql, char *buf,
                        size_t len) {
  SQLHSTMT st;
  char why[1024] = "";
  buf[0] = '\0';
  ck_assert_msg(odbcpool_stmt_alloc(c, &st) == ODBCPOOL_OK, "%s",
                odbcpool_errmsg(c));
  SQLLEN ind = 0;
  SQLRETURN rc = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
  if (SQL_SUCCEEDED(rc))
    rc = SQLFetch(st);
  if (SQL_SUCCEEDED(rc))
    rc = SQLGetData(st, 1, SQL_C_CHAR, buf, (SQLLEN)len, &ind);
  bool ok = SQL_SUCCEEDED(rc);
  if (!ok)
    odbctest_diag(SQL_HANDLE_STMT, st, NULL, why, sizeof why);
  else if (ind == SQL_NULL_DATA)
    snprintf(buf, len, "(null)");
  odbcpool_stmt_free(c, st);
  ck_assert_msg(ok, "%s returned no row: %s", sql, why);
  return buf;
}

/* Runs `sql` and returns the first column of the first row as a number;
 * fails the test if it does not return one. */
static long long num(odbcpool_conn *c, const char *sql) {
  char buf[64];
  text(c, sql, buf, sizeof buf);
  char *end = NULL;
  long long v = strtoll(buf, &end, 10);
  ck_assert_msg(end != buf && *end == '\0', "%s: '%s' is not a number", sql,
                buf);
  return v;
}

static long long session_id(odbcpool_conn *c) {
  if (is_pg)
    return num(c, "SELECT pg_backend_pid()");
  if (is_maria)
    return num(c, "SELECT CONNECTION_ID()");
  return 0;
}

static SQLULEN get_attr(odbcpool_conn *c, SQLINTEGER attr) {
  SQLULEN v = 0; /* drivers write 32 bits of it */
  SQLRETURN rc = SQLGetConnectAttr(odbcpool_hdbc(c), attr, &v, 0, NULL);
  char why[1024] = "";
  if (!SQL_SUCCEEDED(rc))
    odbctest_diag(SQL_HANDLE_DBC, odbcpool_hdbc(c), NULL, why, sizeof why);
  ck_assert_msg(SQL_SUCCEEDED(rc), "SQLGetConnectAttr(%d): %s", (int)attr, why);
  return v;
}

/* Sets an integer connection attribute; returns true if the driver took
 * it, else its diagnostics are in why. */
static bool set_attr(odbcpool_conn *c, SQLINTEGER attr, SQLULEN value,
                     char *why, size_t len) {
  SQLRETURN rc = SQLSetConnectAttr(odbcpool_hdbc(c), attr,
                                   (SQLPOINTER)(uintptr_t)value, 0);
  if (!SQL_SUCCEEDED(rc))
    odbctest_diag(SQL_HANDLE_DBC, odbcpool_hdbc(c), NULL, why, len);
  return SQL_SUCCEEDED(rc);
}

static odbcpool_set *open_set(void) {
  odbcpool_set *set = NULL;
  odbcpool_error err;
  int rc = odbcpool_open(config, &set, &err);
  ck_assert_msg(rc == ODBCPOOL_OK, "odbcpool_open(%s): %s", config,
                err.message);
  return set;
}

/* A borrowed connection and who served it. */
struct session {
  odbcpool_conn *c;
  uint64_t id;
  long long pid; /* PostgreSQL backend, MariaDB CONNECTION_ID(), 0 for
                   SQLite */
};

/* The server's id of the session behind `c`, or 0 (SQLite). */
static long long session_id(odbcpool_conn *c);

static struct session borrow_on(odbcpool_set *set, const char *name) {
  struct session s = {0};
  s.c = testenv_borrow(set, name);
  s.id = odbcpool_conn_id(s.c);
  s.pid = session_id(s.c);
  return s;
}

static struct session borrow(odbcpool_set *set) {
  return borrow_on(set, dsn);
}

/* Returns the connection and waits until its reset has finished. */
static void give_back(odbcpool_set *set, struct session *s) {
  odbcpool_return(s->c);
  s->c = NULL;
  ck_assert_int_eq(odbcpool_quiesce(set, 30000), ODBCPOOL_OK);
}

/* Borrows again and checks that the same physical connection (and, on
 * PostgreSQL and MariaDB, the same server session) serves it: otherwise
 * the test would prove nothing about the reset. */
static struct session borrow_same(odbcpool_set *set,
                                  const struct session *before) {
  odbcpool_stats st = testenv_stats(set, dsn);
  ck_assert_uint_eq(st.reset_failures, 0);
  struct session s = borrow(set);
  ck_assert_uint_eq(s.id, before->id);
  ck_assert_int_eq(s.pid, before->pid);
  return s;
}

/* Prints a line that a part of a test was skipped, and why: a skipped
 * check is reported, never silently passed. */
static void skip_part(const char *test, const char *why) {
  printf("check_drivers: SKIP part of %s on %s: %s\n", test, db, why);
  fflush(stdout);
}

/* --------------------------------------------------------------- tests */

START_TEST(test_reset_drops_temp_table_with_personal_datum) {
  const char *count_temp =
      is_pg ? "SELECT count(*) FROM pg_class WHERE relpersistence = 't' "
              "AND relnamespace = pg_my_temp_schema()"
            : "SELECT count(*) FROM sqlite_temp_master";
  const char *exists =
      is_pg ? "SELECT (to_regclass('pg_temp.odbcpool_note') IS NOT NULL)::int"
            : "SELECT count(*) FROM sqlite_temp_master "
              "WHERE name = 'odbcpool_note'";
  odbcpool_set *set = open_set();
  struct session a = borrow(set);
  pooltest_exec(a.c, "CREATE TEMP TABLE odbcpool_note (name TEXT)");
  pooltest_exec(a.c, "INSERT INTO odbcpool_note VALUES ('Erika Mustermann')");
  ck_assert_int_eq(num(a.c, "SELECT count(*) FROM odbcpool_note "
                            "WHERE name = 'Erika Mustermann'"),
                   1);
  ck_assert_int_eq(num(a.c, exists), 1);
  ck_assert_int_eq(num(a.c, count_temp), 1);
  give_back(set, &a);

  struct session b = borrow_same(set, &a);
  ck_assert_int_eq(num(b.c, exists), 0);
  ck_assert_int_eq(num(b.c, count_temp), 0);
  char why[1024];
  ck_assert_msg(!pooltest_query(b.c, "SELECT name FROM odbcpool_note", NULL,
                                NULL, why, sizeof why),
                "the temp table is still readable");
  give_back(set, &b);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_reset_rolls_back_uncommitted_row_and_restores_autocommit) {
  odbcpool_set *set = open_set();
  struct session a = borrow(set);
  pooltest_exec(a.c, "DROP TABLE IF EXISTS odbcpool_money");
  pooltest_exec(a.c, "CREATE TABLE odbcpool_money (name TEXT, amount INTEGER)");
  ck_assert_uint_eq(get_attr(a.c, SQL_ATTR_AUTOCOMMIT), SQL_AUTOCOMMIT_ON);
  char why[1024];
  ck_assert_msg(
      set_attr(a.c, SQL_ATTR_AUTOCOMMIT, SQL_AUTOCOMMIT_OFF, why, sizeof why),
      "autocommit off: %s", why);
  pooltest_exec(a.c,
                "INSERT INTO odbcpool_money VALUES ('Erika Mustermann', 1000)");
  ck_assert_int_eq(num(a.c, "SELECT count(*) FROM odbcpool_money"), 1);
  give_back(set, &a); /* without commit */

  struct session b = borrow_same(set, &a);
  ck_assert_int_eq(num(b.c, "SELECT count(*) FROM odbcpool_money"), 0);
  ck_assert_uint_eq(get_attr(b.c, SQL_ATTR_AUTOCOMMIT), SQL_AUTOCOMMIT_ON);
  /* Autocommit is really on, not just reported so: another connection
   * sees a row inserted without a commit. */
  pooltest_exec(b.c, "INSERT INTO odbcpool_money VALUES ('probe', 1)");
  struct session other = borrow(set);
  ck_assert_uint_ne(other.id, b.id);
  ck_assert_int_eq(num(other.c, "SELECT count(*) FROM odbcpool_money "
                                "WHERE name = 'probe'"),
                   1);
  give_back(set, &other);
  give_back(set, &b);
  odbcpool_close(set);
}
END_TEST

static const char *isolation_name(SQLULEN level) {
  switch (level) {
  case SQL_TXN_READ_UNCOMMITTED:
    return "read uncommitted";
  case SQL_TXN_READ_COMMITTED:
    return "read committed";
  case SQL_TXN_REPEATABLE_READ:
    return "repeatable read";
  case SQL_TXN_SERIALIZABLE:
    return "serializable";
  default:
    return "?";
  }
}

/* Asks the driver to change attribute `attr` from `initial` to `target`.
 * Returns true if it did. A driver may refuse (an error) or substitute a
 * value (SQL_SUCCESS_WITH_INFO, 01S02 "option value changed"; sqlite3odbc
 * does that for isolation and access mode) or take the value and ignore
 * it (psqlODBC 13.02 for the access mode): then nothing must have
 * changed, the reason is printed, and the caller skips the check that
 * needs the change. */
static bool change_attr(odbcpool_conn *c, SQLINTEGER attr, const char *name,
                        SQLULEN initial, SQLULEN target, const char *test) {
  char why[1024] = "", msg[1400];
  SQLRETURN rc = SQLSetConnectAttr(odbcpool_hdbc(c), attr,
                                   (SQLPOINTER)(uintptr_t)target, 0);
  if (rc != SQL_SUCCESS)
    odbctest_diag(SQL_HANDLE_DBC, odbcpool_hdbc(c), NULL, why, sizeof why);
  SQLULEN now = get_attr(c, attr);
  if (SQL_SUCCEEDED(rc) && now == target)
    return true;
  ck_assert_uint_eq(now, initial);
  snprintf(msg, sizeof msg,
           "the driver %s %s = %lu (connect-time value %lu, still %lu)%s%s",
           SQL_SUCCEEDED(rc) ? "does not change" : "refuses", name,
           (unsigned long)target, (unsigned long)initial, (unsigned long)now,
           why[0] ? ": " : "", why);
  skip_part(test, msg);
  return false;
}

/* MariaDB's spelling of an isolation level (@@tx_isolation). */
static const char *maria_isolation_name(SQLULEN level) {
  switch (level) {
  case SQL_TXN_READ_UNCOMMITTED:
    return "READ-UNCOMMITTED";
  case SQL_TXN_READ_COMMITTED:
    return "READ-COMMITTED";
  case SQL_TXN_REPEATABLE_READ:
    return "REPEATABLE-READ";
  case SQL_TXN_SERIALIZABLE:
    return "SERIALIZABLE";
  default:
    return "?";
  }
}

START_TEST(test_reset_restores_isolation_level) {
  odbcpool_set *set = open_set();
  struct session a = borrow(set); /* a fresh connection: connect-time value */
  SQLULEN initial = get_attr(a.c, SQL_ATTR_TXN_ISOLATION);
  char show[64], initial_show[64] = "";
  if (is_pg) {
    text(a.c, "SHOW transaction_isolation", initial_show, sizeof initial_show);
    ck_assert_str_eq(initial_show, isolation_name(initial));
  } else if (is_maria) {
    text(a.c, "SELECT @@session.tx_isolation", initial_show,
         sizeof initial_show);
    ck_assert_str_eq(initial_show, maria_isolation_name(initial));
  }
  SQLULEN target = initial == SQL_TXN_SERIALIZABLE ? SQL_TXN_READ_UNCOMMITTED
                                                   : SQL_TXN_SERIALIZABLE;
  if (!change_attr(a.c, SQL_ATTR_TXN_ISOLATION, "SQL_ATTR_TXN_ISOLATION",
                   initial, target, "test_reset_restores_isolation_level")) {
    give_back(set, &a);
    odbcpool_close(set);
    return;
  }
  if (is_pg)
    ck_assert_str_eq(text(a.c, "SHOW transaction_isolation", show, sizeof show),
                     isolation_name(target));
  else if (is_maria)
    ck_assert_str_eq(
        text(a.c, "SELECT @@session.tx_isolation", show, sizeof show),
        maria_isolation_name(target));
  give_back(set, &a);

  struct session b = borrow_same(set, &a);
  ck_assert_uint_eq(get_attr(b.c, SQL_ATTR_TXN_ISOLATION), initial);
  if (is_pg)
    ck_assert_str_eq(text(b.c, "SHOW transaction_isolation", show, sizeof show),
                     initial_show);
  else if (is_maria)
    ck_assert_str_eq(
        text(b.c, "SELECT @@session.tx_isolation", show, sizeof show),
        initial_show);
  give_back(set, &b);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_reset_restores_access_mode) {
  odbcpool_set *set = open_set();
  struct session a = borrow(set);
  pooltest_exec(a.c, "DROP TABLE IF EXISTS odbcpool_rw");
  pooltest_exec(a.c, "CREATE TABLE odbcpool_rw (x INTEGER)");
  ck_assert_uint_eq(get_attr(a.c, SQL_ATTR_ACCESS_MODE), SQL_MODE_READ_WRITE);
  change_attr(a.c, SQL_ATTR_ACCESS_MODE, "SQL_ATTR_ACCESS_MODE",
              SQL_MODE_READ_WRITE, SQL_MODE_READ_ONLY,
              "test_reset_restores_access_mode");
  /* Whatever the driver did with the attribute, make the session
   * read-only in SQL too, the way a borrower can without ODBC, so that
   * the checks below can fail. */
  char why[1024], show[64];
  if (is_pg) {
    pooltest_exec(a.c, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
    ck_assert_str_eq(text(a.c, "SHOW transaction_read_only", show, sizeof show),
                     "on");
  } else if (is_maria) {
    pooltest_exec(a.c, "SET SESSION TRANSACTION READ ONLY");
    ck_assert_int_eq(num(a.c, "SELECT @@session.tx_read_only"), 1);
  } else {
    pooltest_exec(a.c, "PRAGMA query_only = ON");
    ck_assert_int_eq(num(a.c, "PRAGMA query_only"), 1);
  }
  ck_assert_msg(!pooltest_query(a.c, "INSERT INTO odbcpool_rw VALUES (1)", NULL,
                                NULL, why, sizeof why),
                "INSERT succeeded in a read-only session");
  give_back(set, &a);

  struct session b = borrow_same(set, &a);
  ck_assert_uint_eq(get_attr(b.c, SQL_ATTR_ACCESS_MODE), SQL_MODE_READ_WRITE);
  if (is_pg)
    ck_assert_str_eq(text(b.c, "SHOW transaction_read_only", show, sizeof show),
                     "off");
  else if (is_maria)
    ck_assert_int_eq(num(b.c, "SELECT @@session.tx_read_only"), 0);
  else
    ck_assert_int_eq(num(b.c, "PRAGMA query_only"), 0);
  pooltest_exec(b.c, "INSERT INTO odbcpool_rw VALUES (2)");
  ck_assert_int_eq(num(b.c, "SELECT count(*) FROM odbcpool_rw"), 1);
  give_back(set, &b);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_reset_frees_statements_left_open) {
  odbcpool_set *set = open_set();
  struct session a = borrow(set);
  pooltest_exec(a.c, "DROP TABLE IF EXISTS odbcpool_stmt");
  pooltest_exec(a.c, "CREATE TABLE odbcpool_stmt (name TEXT)");
  pooltest_exec(a.c, "INSERT INTO odbcpool_stmt VALUES ('Erika Mustermann')");
  pooltest_exec(a.c, "INSERT INTO odbcpool_stmt VALUES ('Max Mustermann')");
  if (is_pg) {
    /* Server-side residue of statements: a held cursor and a statement
     * prepared through ODBC. */
    pooltest_exec(a.c, "DECLARE odbcpool_cur CURSOR WITH HOLD FOR "
                       "SELECT name FROM odbcpool_stmt");
    ck_assert_int_eq(num(a.c, "SELECT count(*) FROM pg_cursors"), 1);
  }

  /* A statement with an open cursor, one row fetched of two. */
  SQLHSTMT cur;
  ck_assert_int_eq(odbcpool_stmt_alloc(a.c, &cur), ODBCPOOL_OK);
  ck_assert_int_eq(
      SQLExecDirect(cur, (SQLCHAR *)"SELECT name FROM odbcpool_stmt", SQL_NTS),
      SQL_SUCCESS);
  ck_assert_int_eq(SQLFetch(cur), SQL_SUCCESS);

  /* A prepared statement, executed once. */
  SQLHSTMT prep;
  ck_assert_int_eq(odbcpool_stmt_alloc(a.c, &prep), ODBCPOOL_OK);
  ck_assert(SQL_SUCCEEDED(SQLPrepare(
      prep, (SQLCHAR *)"SELECT count(*) FROM odbcpool_stmt WHERE name <> ?",
      SQL_NTS)));
  char value[] = "x";
  SQLLEN vlen = SQL_NTS;
  ck_assert(
      SQL_SUCCEEDED(SQLBindParameter(prep, 1, SQL_PARAM_INPUT, SQL_C_CHAR,
                                     SQL_VARCHAR, 100, 0, value, 0, &vlen)));
  ck_assert(SQL_SUCCEEDED(SQLExecute(prep)));
  /* psqlODBC (13.02) prepares a named statement on the server. */
  if (is_pg)
    ck_assert_int_eq(num(a.c, "SELECT count(*) FROM pg_prepared_statements"),
                     1);

  /* A statement left waiting for data at execution: while it exists, the
   * driver manager refuses transaction calls on the connection. */
  SQLHSTMT need;
  ck_assert_int_eq(odbcpool_stmt_alloc(a.c, &need), ODBCPOOL_OK);
  SQLLEN ind = SQL_DATA_AT_EXEC;
  ck_assert(SQL_SUCCEEDED(SQLBindParameter(need, 1, SQL_PARAM_INPUT, SQL_C_CHAR,
                                           SQL_VARCHAR, 100, 0, (SQLPOINTER)1,
                                           0, &ind)));
  ck_assert_int_eq(SQLExecDirect(need,
                                 (SQLCHAR *)"INSERT INTO odbcpool_stmt "
                                            "VALUES (?)",
                                 SQL_NTS),
                   SQL_NEED_DATA);
  SQLRETURN rc = SQLEndTran(SQL_HANDLE_DBC, odbcpool_hdbc(a.c), SQL_ROLLBACK);
  ck_assert_msg(!SQL_SUCCEEDED(rc),
                "SQLEndTran succeeded with a statement in SQL_NEED_DATA");
  give_back(set, &a); /* with all three statements still allocated */

  struct session b = borrow_same(set, &a);
  rc = SQLEndTran(SQL_HANDLE_DBC, odbcpool_hdbc(b.c), SQL_ROLLBACK);
  char why[1024] = "";
  if (!SQL_SUCCEEDED(rc))
    odbctest_diag(SQL_HANDLE_DBC, odbcpool_hdbc(b.c), NULL, why, sizeof why);
  ck_assert_msg(SQL_SUCCEEDED(rc), "SQLEndTran after the reset: %s", why);
  ck_assert_int_eq(num(b.c, "SELECT count(*) FROM odbcpool_stmt"), 2);
  if (is_pg) {
    ck_assert_int_eq(num(b.c, "SELECT count(*) FROM pg_cursors"), 0);
    ck_assert_int_eq(num(b.c, "SELECT count(*) FROM pg_prepared_statements"),
                     0);
  }
  /* Nothing reads the table any more: it can be dropped (SQLite and
   * PostgreSQL both refuse while a statement of the session uses it). */
  pooltest_exec(b.c, "DROP TABLE odbcpool_stmt");
  give_back(set, &b);
  odbcpool_close(set);
}
END_TEST

/* --- PostgreSQL session state ---------------------------------------- */

START_TEST(test_pg_reset_restores_session_parameters) {
  odbcpool_set *set = open_set();
  struct session a = borrow(set);
  char before[256], after[256];
  text(a.c, "SHOW search_path", before, sizeof before);
  char dti[64], timeout[64], appname[256];
  text(a.c, "SHOW default_transaction_isolation", dti, sizeof dti);
  text(a.c, "SHOW statement_timeout", timeout, sizeof timeout);
  text(a.c, "SHOW application_name", appname, sizeof appname);
  pooltest_exec(a.c, "SET search_path = erika, pg_temp");
  pooltest_exec(a.c, "SELECT set_config('app.user', 'Erika', false)");
  pooltest_exec(a.c, "SET default_transaction_isolation = 'serializable'");
  pooltest_exec(a.c, "SET statement_timeout = '1234s'");
  pooltest_exec(a.c, "SET application_name = 'Erika Mustermann'");
  ck_assert_str_eq(text(a.c, "SHOW search_path", after, sizeof after),
                   "erika, pg_temp");
  ck_assert_str_eq(
      text(a.c, "SELECT current_setting('app.user')", after, sizeof after),
      "Erika");
  give_back(set, &a);

  struct session b = borrow_same(set, &a);
  ck_assert_str_eq(text(b.c, "SHOW search_path", after, sizeof after), before);
  /* RESET ALL leaves the placeholder of a custom variable with an empty
   * value (data/reset/postgresql.sql, DOES NOT ERASE). */
  ck_assert_str_eq(text(b.c,
                        "SELECT coalesce(current_setting('app.user', true), "
                        "'')",
                        after, sizeof after),
                   "");
  ck_assert_str_eq(
      text(b.c, "SHOW default_transaction_isolation", after, sizeof after),
      dti);
  ck_assert_str_eq(text(b.c, "SHOW statement_timeout", after, sizeof after),
                   timeout);
  ck_assert_str_eq(text(b.c, "SHOW application_name", after, sizeof after),
                   appname);
  /* The settings psqlODBC made at connect are back after DISCARD ALL. */
  ck_assert_str_eq(text(b.c, "SHOW DateStyle", after, sizeof after),
                   "ISO, MDY");
  ck_assert_str_eq(text(b.c, "SHOW extra_float_digits", after, sizeof after),
                   "2");
  give_back(set, &b);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_pg_reset_deallocates_prepared_statements) {
  odbcpool_set *set = open_set();
  struct session a = borrow(set);
  pooltest_exec(a.c, "PREPARE odbcpool_p (text) AS SELECT $1 || ' Mustermann'");
  ck_assert_int_eq(num(a.c, "SELECT count(*) FROM pg_prepared_statements "
                            "WHERE name = 'odbcpool_p'"),
                   1);
  give_back(set, &a);

  struct session b = borrow_same(set, &a);
  ck_assert_int_eq(num(b.c, "SELECT count(*) FROM pg_prepared_statements"), 0);
  char why[1024];
  ck_assert_msg(!pooltest_query(b.c, "EXECUTE odbcpool_p('Erika')", NULL, NULL,
                                why, sizeof why),
                "the prepared statement still runs");
  give_back(set, &b);
  odbcpool_close(set);
}
END_TEST

/* A borrower runs `change`, after which `query` reads `changed` (it
 * read `initial` before) and returns the connection; the same connection,
 * borrowed again, must read `initial` again. Returns that second borrow
 * for more checks: the caller gives it back and closes `set`. */
static struct session check_change_undone(odbcpool_set *set, const char *query,
                                          const char *initial,
                                          const char *change,
                                          const char *changed) {
  char buf[256];
  struct session a = borrow(set);
  ck_assert_str_eq(text(a.c, query, buf, sizeof buf), initial);
  pooltest_exec(a.c, change);
  ck_assert_str_eq(text(a.c, query, buf, sizeof buf), changed);
  give_back(set, &a);
  struct session b = borrow_same(set, &a);
  ck_assert_str_eq(text(b.c, query, buf, sizeof buf), initial);
  return b;
}

START_TEST(test_pg_reset_unlistens) {
  odbcpool_set *set = open_set();
  struct session b =
      check_change_undone(set, "SELECT count(*) FROM pg_listening_channels()",
                          "0", "LISTEN odbcpool_erika", "1");
  give_back(set, &b);
  odbcpool_close(set);
}
END_TEST

/* How a database's session-level locks are taken and released, for
 * check_locks_released. Each query returns 1 or 0. */
struct lock_sql {
  const char *take;      /* takes the lock: 1 if got, 0 if another holds it */
  const char *take_also; /* a second lock taken along (or NULL) */
  const char *none_held; /* 1 if this session holds none of them */
  const char *release;   /* releases the lock taken with `take` */
};

/* A borrower takes session-level locks, which another session then
 * cannot take, and returns the connection without releasing them: the
 * reset must release them. The same connection, borrowed again, holds
 * none, and the other session can now take the lock. */
static void check_locks_released(const struct lock_sql *q) {
  odbcpool_set *set = open_set();
  struct session a = borrow(set);
  ck_assert_int_eq(num(a.c, q->take), 1);
  if (q->take_also != NULL)
    ck_assert_int_eq(num(a.c, q->take_also), 1);
  /* Another session cannot have it while the borrower holds it. */
  struct session other = borrow(set);
  ck_assert_int_ne(other.pid, a.pid);
  ck_assert_int_eq(num(other.c, q->take), 0);
  give_back(set, &other);
  give_back(set, &a); /* a is now the most recently returned */

  struct session b = borrow_same(set, &a);
  ck_assert_int_eq(num(b.c, q->none_held), 1);
  struct session o2 = borrow(set);
  ck_assert_int_eq(o2.pid, other.pid);
  ck_assert_int_eq(num(o2.c, q->take), 1);
  ck_assert_int_eq(num(o2.c, q->release), 1);
  give_back(set, &o2);
  give_back(set, &b);
  odbcpool_close(set);
}

START_TEST(test_pg_reset_releases_advisory_locks) {
  const struct lock_sql pg = {
      .take = "SELECT pg_try_advisory_lock(4711)::int",
      .none_held = "SELECT (count(*) = 0)::int FROM pg_locks WHERE "
                   "locktype = 'advisory' AND pid = pg_backend_pid()",
      .release = "SELECT pg_advisory_unlock(4711)::int",
  };
  check_locks_released(&pg);
}
END_TEST

START_TEST(test_pg_reset_ends_set_role) {
  odbcpool_set *set = open_set();
  struct session b =
      check_change_undone(set, "SELECT current_user", "odbcpool",
                          "SET ROLE odbcpool_other", "odbcpool_other");
  char buf[128];
  ck_assert_str_eq(text(b.c, "SELECT session_user", buf, sizeof buf),
                   "odbcpool");
  ck_assert_str_eq(text(b.c, "SHOW role", buf, sizeof buf), "none");
  give_back(set, &b);
  odbcpool_close(set);
}
END_TEST

/* --- MariaDB session state --------------------------------------------- */

/* Runs `sql` and returns column `col` of its first row as text (for SHOW
 * statements, whose value is in column 2). */
static const char *text_at(odbcpool_conn *c, const char *sql, SQLUSMALLINT col,
                           char *buf, size_t len) {
  SQLHSTMT st;
  char why[1024] = "";
  buf[0] = '\0';
  ck_assert_msg(odbcpool_stmt_alloc(c, &st) == ODBCPOOL_OK, "%s",
                odbcpool_errmsg(c));
  SQLLEN ind = 0;
  SQLRETURN rc = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
  if (SQL_SUCCEEDED(rc))
    rc = SQLFetch(st);
  if (SQL_SUCCEEDED(rc))
    rc = SQLGetData(st, col, SQL_C_CHAR, buf, (SQLLEN)len, &ind);
  bool ok = SQL_SUCCEEDED(rc);
  if (!ok)
    odbctest_diag(SQL_HANDLE_STMT, st, NULL, why, sizeof why);
  else if (ind == SQL_NULL_DATA)
    snprintf(buf, len, "(null)");
  odbcpool_stmt_free(c, st);
  ck_assert_msg(ok, "%s returned no row: %s", sql, why);
  return buf;
}

/* State MariaDB 10.11 cannot list (a temporary table, an SQL prepared
 * statement): the reset script fails on purpose, so the connection is
 * closed, and the next borrower gets a new session without the state.
 * `before` must succeed on the dirty connection, `after` (the same check)
 * must fail on the next one. */
static void expect_closed_after(const char *const *dirty, const char *before,
                                const char *after) {
  odbcpool_set *set = open_set();
  struct session a = borrow(set);
  for (int i = 0; dirty[i] != NULL; i++)
    pooltest_exec(a.c, dirty[i]);
  pooltest_exec(a.c, before);
  give_back(set, &a);
  odbcpool_stats st = testenv_stats(set, dsn);
  ck_assert_uint_eq(st.reset_failures, 1);
  ck_assert_uint_eq(st.closes[ODBCPOOL_CLOSE_RESET_FAILED], 1);
  ck_assert_uint_eq(st.open, 0);

  struct session b = borrow(set);
  ck_assert_uint_ne(b.id, a.id);
  ck_assert_int_ne(b.pid, a.pid);
  char why[1024], sql[128];
  ck_assert_msg(!pooltest_query(b.c, after, NULL, NULL, why, sizeof why),
                "%s still works on the new connection", after);
  /* The old session is gone on the server, and its state with it. */
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM information_schema.PROCESSLIST "
           "WHERE ID = %lld",
           a.pid);
  ck_assert_eventually(num(b.c, sql) == 0);
  give_back(set, &b);
  /* The new connection, clean, is pooled. */
  ck_assert_uint_eq(testenv_stats(set, dsn).reset_failures, 1);
  ck_assert_uint_eq(testenv_stats(set, dsn).open, 1);
  odbcpool_close(set);
}

START_TEST(test_maria_temp_table_closes_the_connection) {
  static const char *const dirty[] = {
      "CREATE TEMPORARY TABLE odbcpool_note (name TEXT)",
      "INSERT INTO odbcpool_note VALUES ('Erika Mustermann')", NULL};
  expect_closed_after(dirty,
                      "SELECT name FROM odbcpool_note "
                      "WHERE name = 'Erika Mustermann'",
                      "SELECT name FROM odbcpool_note");
}
END_TEST

START_TEST(test_maria_prepare_closes_the_connection) {
  /* EXECUTE cannot run through Connector/ODBC (it sends every statement
   * over the binary protocol, which refuses EXECUTE); DEALLOCATE PREPARE
   * of a name tells whether it exists. */
  static const char *const dirty[] = {
      "PREPARE odbcpool_p FROM 'SELECT ''Erika Mustermann'''",
      "PREPARE odbcpool_q FROM 'SELECT 1'", NULL};
  expect_closed_after(dirty, "DEALLOCATE PREPARE odbcpool_q",
                      "DEALLOCATE PREPARE odbcpool_p");
}
END_TEST

START_TEST(test_maria_reset_clears_user_variables) {
  odbcpool_set *set = open_set();
  struct session a = borrow(set);
  char buf[256];
  pooltest_exec(a.c, "SET @odbcpool_name = 'Erika Mustermann', "
                     "@`odbcpool odd``name` = 'Max Mustermann'");
  pooltest_exec(a.c, "SELECT 4711 INTO @odbcpool_id");
  ck_assert_str_eq(text(a.c, "SELECT @odbcpool_name", buf, sizeof buf),
                   "Erika Mustermann");
  give_back(set, &a);

  struct session b = borrow_same(set, &a);
  ck_assert_str_eq(text(b.c, "SELECT @odbcpool_name", buf, sizeof buf),
                   "(null)");
  ck_assert_str_eq(text(b.c, "SELECT @`odbcpool odd``name`", buf, sizeof buf),
                   "(null)");
  ck_assert_str_eq(text(b.c, "SELECT @odbcpool_id", buf, sizeof buf), "(null)");
  /* The names stay (FLUSH USER_VARIABLES needs RELOAD): see RESET.md. */
  ck_assert_int_eq(num(b.c, "SELECT count(*) FROM "
                            "information_schema.USER_VARIABLES "
                            "WHERE VARIABLE_VALUE IS NOT NULL"),
                   0);
  give_back(set, &b);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_maria_reset_restores_session_variables) {
  /* Each probe is read on the fresh connection, changed by the borrower,
   * and must read as fresh after the reset. */
  static const struct {
    const char *probe, *change;
  } vars[] = {
      {"SELECT @@session.sql_mode", "SET SESSION sql_mode = 'ANSI_QUOTES'"},
      {"SELECT @@session.time_zone", "SET SESSION time_zone = '+05:00'"},
      {"SELECT @@session.sql_select_limit", "SET SESSION sql_select_limit = 1"},
      {"SELECT @@session.max_statement_time",
       "SET SESSION max_statement_time = 7"},
      {"SELECT @@session.lc_time_names", "SET SESSION lc_time_names = 'de_DE'"},
      {"SELECT @@session.foreign_key_checks",
       "SET SESSION foreign_key_checks = 0"},
      {"SELECT @@session.character_set_results",
       "SET SESSION character_set_results = latin1"},
      {"SELECT @@session.autocommit", "SET autocommit = 0"},
      {"SELECT @@session.tx_isolation",
       "SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE"},
      {"SELECT @@session.profiling", "SET SESSION profiling = 1"},
      {"SELECT ABS(@@timestamp - UNIX_TIMESTAMP(SYSDATE(6))) > 1",
       "SET timestamp = 1000000000"},
      {"SELECT LAST_INSERT_ID()", "SELECT LAST_INSERT_ID(4711)"},
      {"SELECT @@session.insert_id", "SET insert_id = 4711"},
  };
  enum { N = sizeof vars / sizeof vars[0] };
  char fresh[N][256], buf[256];
  odbcpool_set *set = open_set();
  struct session a = borrow(set);
  for (int i = 0; i < N; i++)
    text(a.c, vars[i].probe, fresh[i], sizeof fresh[i]);
  for (int i = 0; i < N; i++) {
    pooltest_exec(a.c, vars[i].change);
    ck_assert_msg(strcmp(text(a.c, vars[i].probe, buf, sizeof buf), fresh[i]) !=
                      0,
                  "%s did not change %s", vars[i].change, vars[i].probe);
  }
  /* Changed in SQL, behind the pool's back: Connector/ODBC learns of it
   * through session tracking. */
  ck_assert_uint_eq(get_attr(a.c, SQL_ATTR_AUTOCOMMIT), SQL_AUTOCOMMIT_OFF);
  ck_assert_uint_eq(get_attr(a.c, SQL_ATTR_TXN_ISOLATION),
                    SQL_TXN_SERIALIZABLE);
  give_back(set, &a);

  struct session b = borrow_same(set, &a);
  for (int i = 0; i < N; i++)
    ck_assert_msg(strcmp(text(b.c, vars[i].probe, buf, sizeof buf), fresh[i]) ==
                      0,
                  "%s: '%s' after the reset, '%s' on a fresh connection",
                  vars[i].probe, buf, fresh[i]);
  ck_assert_uint_eq(get_attr(b.c, SQL_ATTR_AUTOCOMMIT), SQL_AUTOCOMMIT_ON);
  ck_assert_uint_eq(get_attr(b.c, SQL_ATTR_TXN_ISOLATION),
                    SQL_TXN_REPEATABLE_READ);
  ck_assert_str_eq(text(b.c, "SELECT @@session.session_track_system_variables",
                        buf, sizeof buf),
                   "autocommit,tx_isolation");
  /* Non-ASCII text still round-trips (the connection character set). */
  ck_assert_str_eq(
      text(b.c, "SELECT 'Zo\xc3\xab M\xc3\xbcller'", buf, sizeof buf),
      "Zo\xc3\xab M\xc3\xbcller");
  give_back(set, &b);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_maria_reset_releases_named_locks) {
  const struct lock_sql maria = {
      .take = "SELECT GET_LOCK('odbcpool_erika', 0)",
      .take_also = "SELECT GET_LOCK('odbcpool_max', 0)",
      .none_held = "SELECT IS_USED_LOCK('odbcpool_erika') IS NULL "
                   "AND IS_USED_LOCK('odbcpool_max') IS NULL",
      .release = "SELECT RELEASE_LOCK('odbcpool_erika')",
  };
  check_locks_released(&maria);
}
END_TEST

START_TEST(test_maria_reset_unlocks_tables) {
  odbcpool_set *set = open_set();
  struct session a = borrow(set);
  pooltest_exec(a.c, "CREATE TABLE IF NOT EXISTS odbcpool_locked (name TEXT)");
  pooltest_exec(a.c, "CREATE TABLE IF NOT EXISTS odbcpool_unlocked (x INT)");
  pooltest_exec(a.c, "LOCK TABLES odbcpool_locked WRITE");
  char why[1024];
  ck_assert_msg(!pooltest_query(a.c, "SELECT count(*) FROM odbcpool_unlocked",
                                NULL, NULL, why, sizeof why),
                "LOCK TABLES did not take effect");
  give_back(set, &a);

  struct session b = borrow_same(set, &a);
  /* Out of LOCK TABLES mode: any table can be read. */
  pooltest_exec(b.c, "SELECT count(*) FROM odbcpool_unlocked");
  /* Another session can write the table at once. */
  struct session other = borrow(set);
  ck_assert_int_ne(other.pid, b.pid);
  pooltest_exec(other.c, "SET SESSION lock_wait_timeout = 5");
  pooltest_exec(other.c, "INSERT INTO odbcpool_locked VALUES ('probe')");
  give_back(set, &other);
  pooltest_exec(b.c, "DROP TABLE odbcpool_locked, odbcpool_unlocked");
  give_back(set, &b);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_maria_reset_restores_database) {
  odbcpool_set *set = open_set();
  struct session a = borrow(set);
  char buf[256], cat[256] = "";
  SQLINTEGER len = 0;
  text(a.c, "SELECT DATABASE()", buf, sizeof buf);
  ck_assert_str_eq(buf, "odbcpool");
  pooltest_exec(a.c, "USE odbcpool_other");
  ck_assert_str_eq(text(a.c, "SELECT DATABASE()", buf, sizeof buf),
                   "odbcpool_other");
  /* Connector/ODBC asks the server (SELECT DATABASE()) for the catalog. */
  ck_assert(SQL_SUCCEEDED(SQLGetConnectAttr(
      odbcpool_hdbc(a.c), SQL_ATTR_CURRENT_CATALOG, cat, sizeof cat, &len)));
  ck_assert_str_eq(cat, "odbcpool_other");
  give_back(set, &a);

  struct session b = borrow_same(set, &a);
  ck_assert_str_eq(text(b.c, "SELECT DATABASE()", buf, sizeof buf), "odbcpool");
  ck_assert(SQL_SUCCEEDED(SQLGetConnectAttr(
      odbcpool_hdbc(b.c), SQL_ATTR_CURRENT_CATALOG, cat, sizeof cat, &len)));
  ck_assert_str_eq(cat, "odbcpool");
  give_back(set, &b);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_maria_reset_ends_set_role) {
  odbcpool_set *set = open_set();
  struct session b =
      check_change_undone(set, "SELECT CURRENT_ROLE()", "(null)",
                          "SET ROLE odbcpool_role", "odbcpool_role");
  give_back(set, &b);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_maria_reset_clears_statement_history) {
  /* SHOW PROFILES and the optimizer trace keep the text of the borrower's
   * statements, literals included, after profiling/tracing is off. */
  odbcpool_set *set = open_set();
  struct session a = borrow(set);
  pooltest_exec(a.c, "SET SESSION profiling = 1");
  pooltest_exec(a.c, "SELECT 'Erika Mustermann' FROM DUAL");
  pooltest_exec(a.c, "SET SESSION optimizer_trace = 'enabled=on'");
  pooltest_exec(a.c, "SELECT 'Erika Mustermann' FROM DUAL WHERE 1 = 1");
  pooltest_exec(a.c, "SET SESSION optimizer_trace = DEFAULT");
  ck_assert_int_ge(num(a.c, "SELECT count(*) FROM information_schema.PROFILING "
                            "WHERE STATE IS NOT NULL"),
                   1);
  ck_assert_int_eq(num(a.c, "SELECT count(*) FROM "
                            "information_schema.OPTIMIZER_TRACE "
                            "WHERE QUERY LIKE '%Erika%'"),
                   1);
  give_back(set, &a);

  struct session b = borrow_same(set, &a);
  ck_assert_int_eq(num(b.c, "SELECT @@session.profiling"), 0);
  ck_assert_int_eq(
      num(b.c, "SELECT count(*) FROM information_schema.PROFILING"), 0);
  ck_assert_int_eq(num(b.c, "SELECT count(*) FROM "
                            "information_schema.OPTIMIZER_TRACE "
                            "WHERE QUERY LIKE '%Erika%'"),
                   0);
  give_back(set, &b);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_maria_tls) {
  char buf[256];
  odbcpool_set *set = open_set();
  /* The plain DSN does not ask for TLS, and gets none. */
  struct session p = borrow(set);
  text_at(p.c, "SHOW SESSION STATUS LIKE 'Ssl_cipher'", 2, buf, sizeof buf);
  ck_assert_str_eq(buf, "");
  give_back(set, &p);
  if (tls_dsn == NULL) {
    /* Something absent, not something that does not apply: a failure
     * where everything is required (CI). */
    const char *all = getenv("ODBCPOOL_REQUIRE_ALL");
    ck_assert_msg(all == NULL || *all == '\0',
                  "ODBCPOOL_TEST_TLS_DSN is not set");
    skip_part("test_maria_tls", "ODBCPOOL_TEST_TLS_DSN is not set");
    odbcpool_close(set);
    return;
  }
  /* Its section has require_encryption and an encryption_check. */
  struct session t = borrow_on(set, tls_dsn);
  text_at(t.c, "SHOW SESSION STATUS LIKE 'Ssl_cipher'", 2, buf, sizeof buf);
  printf("check_drivers: %s: TLS DSN '%s': Ssl_cipher %s\n", db, tls_dsn, buf);
  fflush(stdout);
  ck_assert_str_ne(buf, "");
  odbcpool_return(t.c);
  ck_assert_int_eq(odbcpool_quiesce(set, 30000), ODBCPOOL_OK);
  odbcpool_stats st = testenv_stats(set, tls_dsn);
  ck_assert_uint_eq(st.reset_failures, 0);
  ck_assert_uint_eq(st.connect_failures, 0);
  odbcpool_close(set);
}
END_TEST

/* --- fail closed -------------------------------------------------------- */

START_TEST(test_failing_reset_closes_the_connection) {
  odbcpool_set *set = open_set();
  struct session a = borrow_on(set, fail_dsn);
  pooltest_exec(a.c, "SELECT 1");
  give_back(set, &a);
  odbcpool_stats st = testenv_stats(set, fail_dsn);
  ck_assert_uint_eq(st.reset_failures, 1);
  ck_assert_uint_eq(st.resets, 0);
  ck_assert_uint_eq(st.closes[ODBCPOOL_CLOSE_RESET_FAILED], 1);
  ck_assert_uint_eq(st.open, 0);

  struct session b = borrow_on(set, fail_dsn);
  ck_assert_uint_ne(b.id, a.id);
  ck_assert_uint_eq(testenv_stats(set, fail_dsn).connects, 2);
  if (is_pg || is_maria) {
    ck_assert_int_ne(b.pid, a.pid);
    /* The old session is gone on the server, not just from the pool. */
    char sql[128];
    snprintf(sql, sizeof sql,
             is_pg ? "SELECT count(*) FROM pg_stat_activity WHERE pid = %lld"
                   : "SELECT count(*) FROM information_schema.PROCESSLIST "
                     "WHERE ID = %lld",
             a.pid);
    ck_assert_eventually(num(b.c, sql) == 0);
  }
  give_back(set, &b);
  odbcpool_close(set);
}
END_TEST

/* --- load --------------------------------------------------------------- */

struct load {
  odbcpool_set *set;
  long iterations;
  pthread_mutex_t mu;
  unsigned failures;
  char first[1200];
};

static void load_fail(struct load *l, const char *fmt, const char *detail) {
  pthread_mutex_lock(&l->mu);
  if (l->failures++ == 0)
    snprintf(l->first, sizeof l->first, fmt, detail);
  pthread_mutex_unlock(&l->mu);
}

/* Borrows, runs SELECT 1, returns; stops at the first failure. No Check
 * assertions here: they belong to the test's own thread. */
static void *load_thread(void *arg) {
  struct load *l = arg;
  for (long i = 0; i < l->iterations; i++) {
    odbcpool_conn *c = NULL;
    odbcpool_error err;
    if (odbcpool_borrow(l->set, dsn, NULL, &c, &err) != ODBCPOOL_OK) {
      load_fail(l, "borrow: %s", err.message);
      return NULL;
    }
    SQLHSTMT st;
    if (odbcpool_stmt_alloc(c, &st) != ODBCPOOL_OK) {
      load_fail(l, "stmt_alloc: %s", odbcpool_errmsg(c));
      odbcpool_return(c);
      return NULL;
    }
    SQLINTEGER v = 0;
    SQLLEN ind = 0;
    bool ok =
        SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)"SELECT 1", SQL_NTS)) &&
        SQL_SUCCEEDED(SQLFetch(st)) &&
        SQL_SUCCEEDED(SQLGetData(st, 1, SQL_C_SLONG, &v, 0, &ind)) && v == 1;
    if (!ok) {
      char why[1024];
      odbctest_diag(SQL_HANDLE_STMT, st, NULL, why, sizeof why);
      load_fail(l, "SELECT 1: %s", why);
    }
    odbcpool_stmt_free(c, st);
    odbcpool_return(c);
    if (!ok)
      return NULL;
  }
  return NULL;
}

START_TEST(test_load_keeps_statistics_consistent) {
  enum { THREADS = 8 };
  odbcpool_set *set = open_set();
  struct load l = {.set = set, .iterations = iterations, .failures = 0};
  pthread_mutex_init(&l.mu, NULL);
  pthread_t t[THREADS];
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < THREADS; i++)
    ck_assert_int_eq(pthread_create(&t[i], NULL, load_thread, &l), 0);
  for (int i = 0; i < THREADS; i++)
    pthread_join(t[i], NULL);
  ck_assert_int_eq(odbcpool_quiesce(set, 60000), ODBCPOOL_OK);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs =
      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  long total = THREADS * iterations;
  printf("check_drivers: %s: load: %d threads x %ld borrows in %.2f s "
         "(%.0f borrows/s)\n",
         db, THREADS, iterations, secs, secs > 0 ? (double)total / secs : 0.0);
  ck_assert_msg(l.failures == 0, "%u thread(s) failed; first: %s", l.failures,
                l.first);

  odbcpool_stats st = testenv_stats(set, dsn);
  uint64_t closes = 0;
  for (int i = 0; i < ODBCPOOL_CLOSE_MAX_; i++)
    closes += st.closes[i];
  printf("check_drivers: %s: load: open %u idle %u connects %" PRIu64
         " closes %" PRIu64 " resets %" PRIu64 " wait max %" PRIu64 " us\n",
         db, st.open, st.idle, st.connects, closes, st.resets, st.wait_us_max);
  for (int i = 0; i < ODBCPOOL_CLOSE_MAX_; i++)
    if (st.closes[i] != 0)
      printf("check_drivers: %s: load: closed for %s: %" PRIu64 "\n", db,
             odbcpool_close_reason_name(i),
             st.closes[i]);
  fflush(stdout);
  ck_assert_uint_eq(st.borrows, (uint64_t)total);
  /* Every return ends in a reset, or, on a machine so loaded that a reset
   * outlives reset_timeout, in the watchdog's close: never in neither. */
  ck_assert_uint_eq(st.resets + st.closes[ODBCPOOL_CLOSE_RESET_TIMEOUT],
                    st.borrows);
  /* The watchdog counts its close as a failed reset; nothing else may. */
  ck_assert_uint_eq(st.reset_failures,
                    st.closes[ODBCPOOL_CLOSE_RESET_TIMEOUT]);
  ck_assert_uint_eq(st.timeouts, 0);
  ck_assert_uint_eq(st.connect_failures, 0);
  ck_assert_uint_eq(st.in_use, 0);
  ck_assert_uint_eq(st.resetting, 0);
  ck_assert_uint_eq(st.waiting, 0);
  ck_assert_uint_eq(st.open, st.idle);
  ck_assert_uint_le(st.open, max_connections);
  ck_assert_uint_eq(st.connects, st.open + closes);

  if (is_pg || is_maria) {
    /* The server agrees. Backends of earlier tests' closed connections
     * may take a moment to exit, so wait for the count to settle. */
    struct session s = borrow(set);
    long long n = 0;
    for (int i = 0; i < 500; i++) {
      n = num(s.c, is_pg
                       ? "SELECT count(*) FROM pg_stat_activity "
                         "WHERE usename = 'odbcpool'"
                       : "SELECT count(*) FROM information_schema.PROCESSLIST "
                         "WHERE USER = 'odbcpool'");
      if (n <= (long long)max_connections)
        break;
      usleep(10000);
    }
    ck_assert_int_le(n, (long long)max_connections);
    give_back(set, &s);
  }
  pthread_mutex_destroy(&l.mu);
  odbcpool_close(set);
}
END_TEST

/* --- credentials -------------------------------------------------------- */

START_TEST(test_wrong_password_is_refused_with_server_reason) {
  static const char bad[] = "wrong-Pa55word";
  odbcpool_set *set = open_set();
  odbcpool_borrow_opts opts = {.uid = "odbcpool", .pwd = bad, .timeout_ms = -1};
  odbcpool_conn *c = NULL;
  odbcpool_error err;
  int rc = odbcpool_borrow(set, dsn, &opts, &c, &err);
  printf("check_drivers: %s: wrong password: code %d sqlstate %s: %s\n", db, rc,
         err.sqlstate, err.message);
  fflush(stdout);
  ck_assert_int_eq(rc, ODBCPOOL_ECONNECT);
  ck_assert_ptr_null(c);
  ck_assert_msg(strcmp(err.sqlstate, "08001") == 0 ||
                    strcmp(err.sqlstate, "28P01") == 0 ||
                    strcmp(err.sqlstate, "28000") == 0,
                "sqlstate '%s', expected 08001, 28P01 or 28000", err.sqlstate);
  const char *reason =
      is_pg ? "password authentication failed" : "Access denied for user";
  ck_assert_msg(strstr(err.message, reason) != NULL,
                "the server's reason is missing: %s", err.message);
  ck_assert_msg(strstr(err.message, bad) == NULL,
                "the password appears in the message: %s", err.message);
  odbcpool_stats st = testenv_stats(set, dsn);
  ck_assert_uint_eq(st.open, 0);
  ck_assert_uint_eq(st.connect_failures, 1);
  ck_assert_uint_eq(st.borrows, 0);
  odbcpool_close(set);
}
END_TEST

/* ---------------------------------------------------------------- main */

static Suite *drivers_suite(void) {
  Suite *s = suite_create("drivers");
  TCase *tc = tcase_create(db);
  tcase_set_timeout(tc, 60);
  /* MariaDB 10.11 cannot list temporary tables: see
   * test_maria_temp_table_closes_the_connection. */
  if (!is_maria)
    tcase_add_test(tc, test_reset_drops_temp_table_with_personal_datum);
  tcase_add_test(tc,
                 test_reset_rolls_back_uncommitted_row_and_restores_autocommit);
  tcase_add_test(tc, test_reset_restores_isolation_level);
  tcase_add_test(tc, test_reset_restores_access_mode);
  tcase_add_test(tc, test_reset_frees_statements_left_open);
  if (is_pg) {
    tcase_add_test(tc, test_pg_reset_restores_session_parameters);
    tcase_add_test(tc, test_pg_reset_deallocates_prepared_statements);
    tcase_add_test(tc, test_pg_reset_unlistens);
    tcase_add_test(tc, test_pg_reset_releases_advisory_locks);
    tcase_add_test(tc, test_pg_reset_ends_set_role);
    tcase_add_test(tc, test_wrong_password_is_refused_with_server_reason);
  } else if (is_maria) {
    tcase_add_test(tc, test_maria_temp_table_closes_the_connection);
    tcase_add_test(tc, test_maria_prepare_closes_the_connection);
    tcase_add_test(tc, test_maria_reset_clears_user_variables);
    tcase_add_test(tc, test_maria_reset_restores_session_variables);
    tcase_add_test(tc, test_maria_reset_releases_named_locks);
    tcase_add_test(tc, test_maria_reset_unlocks_tables);
    tcase_add_test(tc, test_maria_reset_restores_database);
    tcase_add_test(tc, test_maria_reset_ends_set_role);
    tcase_add_test(tc, test_maria_reset_clears_statement_history);
    tcase_add_test(tc, test_maria_tls);
    tcase_add_test(tc, test_wrong_password_is_refused_with_server_reason);
  } else {
    printf("check_drivers: %s: PostgreSQL and MariaDB session-state and "
           "wrong-password tests do not apply\n",
           db);
  }
  tcase_add_test(tc, test_failing_reset_closes_the_connection);
  suite_add_tcase(s, tc);

  TCase *load = tcase_create("load");
  tcase_set_timeout(load, 600);
  tcase_add_test(load, test_load_keeps_statistics_consistent);
  suite_add_tcase(s, load);
  return s;
}

/* Reads a required environment variable; exits with a message if unset. */
static const char *need_env(const char *name) {
  const char *v = getenv(name);
  if (v == NULL || *v == '\0') {
    fprintf(stderr,
            "check_drivers: %s is not set (run me from "
            "drivers-test/<db>.sh)\n",
            name);
    exit(2);
  }
  return v;
}

int main(void) {
  dsn = need_env("ODBCPOOL_TEST_DSN");
  db = need_env("ODBCPOOL_TEST_DB");
  config = need_env("ODBCPOOL_TEST_CONFIG");
  need_env("ODBCSYSINI");
  need_env("ODBCINI");
  if (strcmp(db, "postgresql") == 0) {
    is_pg = true;
  } else if (strcmp(db, "mariadb") == 0) {
    is_maria = true;
  } else if (strcmp(db, "sqlite") != 0) {
    fprintf(stderr,
            "check_drivers: ODBCPOOL_TEST_DB=%s: want sqlite, postgresql or "
            "mariadb\n",
            db);
    return 2;
  }
  tls_dsn = getenv("ODBCPOOL_TEST_TLS_DSN");
  if (tls_dsn != NULL && *tls_dsn == '\0')
    tls_dsn = NULL;
  const char *v = getenv("ODBCPOOL_TEST_FAIL_DSN");
  snprintf(fail_dsn, sizeof fail_dsn, "%s", v && *v ? v : "");
  if (fail_dsn[0] == '\0')
    snprintf(fail_dsn, sizeof fail_dsn, "%s_fail", dsn);
  if ((v = getenv("ODBCPOOL_TEST_ITERATIONS")) != NULL && *v != '\0') {
    iterations = strtol(v, NULL, 10);
    if (iterations <= 0) {
      fprintf(stderr, "check_drivers: bad ODBCPOOL_TEST_ITERATIONS=%s\n", v);
      return 2;
    }
  }
  if ((v = getenv("ODBCPOOL_TEST_MAX_CONNECTIONS")) != NULL && *v != '\0')
    max_connections = (unsigned)strtoul(v, NULL, 10);
  printf("check_drivers: testing DSN '%s' (%s), failing-reset DSN '%s', "
         "config %s, %u max connections, load 8 x %ld\n",
         dsn, db, fail_dsn, config, max_connections, iterations);
  fflush(stdout);

  return testenv_run_suite(drivers_suite());
}
