/* client_auth.c — an ordinary ODBC application for drivers-test/auth.sh:
 * passwords changed and revoked under a pool, the empty password, and
 * attributes set before connecting, each through the odbcpool driver and
 * compared with a direct connection to the same target.
 *
 *   client_auth reauth POOLED DIRECT ADMIN UID PW1 PW2 INTERVAL_MS
 *       POOLED, DIRECT: connection strings without UID/PWD of the
 *       odbcpool DSN and of its target; ADMIN: a direct superuser
 *       connection string. The SQL to run as ADMIN comes from the
 *       environment: AUTH_SET_PW2 (change the password to PW2),
 *       AUTH_LOCK (revoke the login: NOLOGIN, ACCOUNT LOCK),
 *       AUTH_SESSIONS (count the user's sessions). INTERVAL_MS is the
 *       pool's reauth_interval.
 *   client_auth emptypwd POOLED_DSN DIRECT_DSN UID
 *       UID with an empty password, by connection string (PWD=) and by
 *       SQLConnect (""), directly and through odbcpool.
 *   client_auth preattrs POOLED DIRECT
 *       SQL_ATTR_LOGIN_TIMEOUT, SQL_ATTR_PACKET_SIZE and
 *       SQL_ATTR_ODBC_CURSORS set before connecting: the connect's
 *       outcome and the value read back after it.
 *
 * Prints what it saw and "FAIL: expected ..., got ..." for every
 * difference; exits 1 if there was one, else 0.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sql.h>
#include <sqlext.h>

#include "odbctest.h"

static SQLHENV env;
static int failures;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("FAIL: ");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  fflush(stdout);
  failures++;
}

/* The SQLSTATEs of every diagnostic record of `dbc`, separated by
 * spaces, into states. */
static void diag_states(SQLHDBC dbc, char *states, size_t slen) {
  size_t used = 0;
  states[0] = '\0';
  for (SQLSMALLINT i = 1; used + 7 < slen; i++) {
    SQLCHAR st[6] = "";
    SQLINTEGER native = 0;
    SQLSMALLINT mlen = 0;
    if (!SQL_SUCCEEDED(
            SQLGetDiagRec(SQL_HANDLE_DBC, dbc, i, st, &native, NULL, 0, &mlen)))
      break;
    int n = snprintf(states + used, slen - used, "%s%s", used ? " " : "",
                     (char *)st);
    if (n > 0)
      used += (size_t)n;
  }
}

/* Runs `sql`; with `out`, reads the first column of the first row. */
static bool run(SQLHDBC dbc, const char *sql, long *out, char *why,
                size_t len) {
  return odbctest_query(dbc, sql, out, out != NULL, NULL, why, len);
}

/* Connects with `cs` plus UID and PWD (either may be NULL). Returns the
 * handle, or NULL with the diagnostics in why. */
static SQLHDBC connect_cs(const char *cs, const char *uid, const char *pwd,
                          char *why, size_t len) {
  char full[2048];
  snprintf(full, sizeof full, "%s%s%s%s%s%s", cs, uid ? ";UID=" : "",
           uid ? uid : "", pwd ? ";PWD={" : "", pwd ? pwd : "", pwd ? "}" : "");
  SQLHDBC dbc = odbctest_connect(env, full, why, len);
  if (dbc == NULL)
    return NULL;
  why[0] = '\0';
  return dbc;
}

/* Runs `sql` on a new ADMIN connection; -1 on error (printed). */
static long admin(const char *cs, const char *sql, bool want_number) {
  char why[2048];
  SQLHDBC dbc = connect_cs(cs, NULL, NULL, why, sizeof why);
  if (dbc == NULL) {
    fail("admin connect: %s", why);
    return -1;
  }
  long v = 0;
  if (!run(dbc, sql, want_number ? &v : NULL, why, sizeof why)) {
    fail("admin: %s: %s", sql, why);
    v = -1;
  }
  odbctest_disconnect(dbc);
  return v;
}

static const char *need_env(const char *name) {
  const char *v = getenv(name);
  if (v == NULL || *v == '\0') {
    fprintf(stderr, "client_auth: %s is not set\n", name);
    exit(2);
  }
  return v;
}

/* One login attempt with a query: true if it reached data. */
static bool reaches_data(const char *cs, const char *uid, const char *pwd,
                         char *why, size_t len) {
  SQLHDBC dbc = connect_cs(cs, uid, pwd, why, len);
  if (dbc == NULL)
    return false;
  long v = 0;
  bool ok = run(dbc, "SELECT 42", &v, why, len) && v == 42;
  odbctest_disconnect(dbc);
  return ok;
}

/* ------------------------------------------------------------ reauth */

static int run_reauth(char **a) {
  const char *pooled = a[0], *direct = a[1], *adm = a[2], *uid = a[3];
  const char *pw1 = a[4], *pw2 = a[5];
  long interval = atol(a[6]);
  const char *set_pw2 = need_env("AUTH_SET_PW2");
  const char *lock = need_env("AUTH_LOCK");
  const char *sessions = need_env("AUTH_SESSIONS");
  char why[2048];

  /* 1. The pool holds a connection made with PW1. */
  if (!reaches_data(pooled, uid, pw1, why, sizeof why))
    fail("pooled login with the first password: %s", why);
  if (!reaches_data(pooled, uid, pw1, why, sizeof why))
    fail("pooled login with the first password (again): %s", why);

  /* 2. The password changes on the server. */
  admin(adm, set_pw2, false);
  bool direct_old = reaches_data(direct, uid, pw1, why, sizeof why);
  bool direct_new = reaches_data(direct, uid, pw2, why, sizeof why);
  printf("after the password change, direct: old %s, new %s\n",
         direct_old ? "accepted" : "refused",
         direct_new ? "accepted" : "refused");
  if (direct_old || !direct_new)
    fail("the server itself: expected old refused and new accepted");

  /* 3. Through odbcpool, at once: the new password is settled by the
   * server (accepted), and then the old one is in doubt (refused). */
  bool new_ok = reaches_data(pooled, uid, pw2, why, sizeof why);
  printf("through odbcpool, new password at once: %s%s%s\n",
         new_ok ? "accepted" : "refused: ", new_ok ? "" : why, "");
  if (!new_ok)
    fail("expected the new, correct password to be accepted, got: %s", why);
  bool old_ok = reaches_data(pooled, uid, pw1, why, sizeof why);
  printf("through odbcpool, old password after the new one logged in: %s "
         "%s\n",
         old_ok ? "REACHED DATA" : "refused:", old_ok ? "" : why);
  if (old_ok)
    fail("expected the changed (old) password to be refused, it reached "
         "data");

  /* 4. The login is revoked; the pool holds connections made with PW2.
   * Within reauth_interval of the last real login they may still serve;
   * after it, the next borrow logs in and is refused, and every pooled
   * connection of the password is closed. */
  if (!reaches_data(pooled, uid, pw2, why, sizeof why))
    fail("pooled login with the new password: %s", why);
  long before = admin(adm, sessions, true);
  admin(adm, lock, false);
  double t_lock = odbctest_now();
  double refused_after = -1;
  int served_after_interval = 0;
  while (odbctest_now() - t_lock < (double)interval / 1000.0 * 3 + 2) {
    bool ok = reaches_data(pooled, uid, pw2, why, sizeof why);
    double t = odbctest_now() - t_lock;
    if (!ok) {
      refused_after = t;
      break;
    }
    if (t * 1000.0 > (double)interval + 200)
      served_after_interval++;
    odbctest_sleep_ms(50);
  }
  odbctest_sleep_ms(300);
  long after = admin(adm, sessions, true);
  printf("login revoked: pooled sessions %ld; first refusal through "
         "odbcpool after %.2f s (reauth_interval %.2f s): %s; sessions of "
         "the user afterwards: %ld\n",
         before, refused_after, (double)interval / 1000.0, why, after);
  if (refused_after < 0)
    fail("the revoked login still reached data %.1f s after the revocation",
         odbctest_now() - t_lock);
  else if (refused_after * 1000.0 > (double)interval + 1000)
    fail("the revoked login reached data for %.2f s, expected at most "
         "reauth_interval (%.2f s) and a second",
         refused_after, (double)interval / 1000.0);
  if (served_after_interval > 0)
    fail("%d borrows reached data after reauth_interval",
         served_after_interval);
  if (after != 0)
    fail("expected every pooled connection of the refused password closed, "
         "got %ld sessions of the user",
         after);
  /* And it stays refused. */
  if (reaches_data(pooled, uid, pw2, why, sizeof why))
    fail("the revoked login reached data again");
  return failures ? 1 : 0;
}

/* ---------------------------------------------------------- emptypwd */

/* SQLConnect with the given strings; returns the result and closes. */
static bool sqlconnect(const char *dsn, const char *uid, const char *pwd,
                       char *why, size_t len) {
  SQLHDBC dbc = SQL_NULL_HDBC;
  SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc);
  SQLRETURN rc = SQLConnect(dbc, (SQLCHAR *)dsn, SQL_NTS, (SQLCHAR *)uid,
                            SQL_NTS, (SQLCHAR *)pwd, SQL_NTS);
  if (!SQL_SUCCEEDED(rc)) {
    odbctest_diag(SQL_HANDLE_DBC, dbc, NULL, why, len);
    SQLFreeHandle(SQL_HANDLE_DBC, dbc);
    return false;
  }
  long v = 0;
  bool ok = run(dbc, "SELECT 42", &v, why, len) && v == 42;
  odbctest_disconnect(dbc);
  return ok;
}

static int run_emptypwd(char **a) {
  const char *dsns[2] = {a[1], a[0]};
  const char *what[2] = {"direct", "through odbcpool"};
  const char *uid = a[2];
  bool got[2][3];
  for (int i = 0; i < 2; i++) {
    char cs[512], why[2048];
    snprintf(cs, sizeof cs, "DSN=%s", dsns[i]);
    /* PWD= first, then SQLConnect's "", then PWD= again: the second and
     * third must find what the first left in the pool. */
    got[i][0] = reaches_data(cs, uid, "", why, sizeof why);
    printf("%s: UID=%s;PWD= -> %s %s\n", what[i], uid,
           got[i][0] ? "ok" : "refused", why);
    got[i][1] = sqlconnect(dsns[i], uid, "", why, sizeof why);
    printf("%s: SQLConnect(%s, \"\") -> %s %s\n", what[i], uid,
           got[i][1] ? "ok" : "refused", why);
    got[i][2] = reaches_data(cs, uid, NULL, why, sizeof why);
    printf("%s: UID=%s (no PWD) -> %s %s\n", what[i], uid,
           got[i][2] ? "ok" : "refused", why);
  }
  for (int j = 0; j < 3; j++)
    if (got[0][j] != got[1][j])
      fail("case %d: direct %s, through odbcpool %s", j,
           got[0][j] ? "ok" : "refused", got[1][j] ? "ok" : "refused");
  return failures ? 1 : 0;
}

/* ---------------------------------------------------------- preattrs */

struct attr_case {
  const char *name;
  SQLINTEGER attr;
  SQLULEN value;
};

/* Sets attr before connecting with cs, connects, reads it back. */
static bool attr_after_connect(const char *cs, const struct attr_case *ac,
                               SQLULEN *got, SQLRETURN *connect_rc,
                               char *states, size_t slen, char *why,
                               size_t len) {
  SQLHDBC dbc = SQL_NULL_HDBC;
  SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc);
  SQLRETURN rc =
      SQLSetConnectAttr(dbc, ac->attr, (SQLPOINTER)(uintptr_t)ac->value, 0);
  if (!SQL_SUCCEEDED(rc)) {
    odbctest_diag(SQL_HANDLE_DBC, dbc, NULL, why, len);
    SQLFreeHandle(SQL_HANDLE_DBC, dbc);
    return false;
  }
  *connect_rc = SQLDriverConnect(dbc, NULL, (SQLCHAR *)cs, SQL_NTS, NULL, 0,
                                 NULL, SQL_DRIVER_NOPROMPT);
  odbctest_diag(SQL_HANDLE_DBC, dbc, NULL, why, len);
  diag_states(dbc, states, slen);
  if (!SQL_SUCCEEDED(*connect_rc)) {
    SQLFreeHandle(SQL_HANDLE_DBC, dbc);
    return false;
  }
  SQLULEN v = 0;
  rc = SQLGetConnectAttr(dbc, ac->attr, &v, sizeof v, NULL);
  *got = SQL_SUCCEEDED(rc) ? v : (SQLULEN)-1;
  odbctest_disconnect(dbc);
  return true;
}

static int run_preattrs(char **a) {
  const char *pooled = a[0], *direct = a[1];
  /* A plain connection first, so that the pool has an idle connection
   * opened without any of the attributes below: it must not serve them.
   * (On PostgreSQL, psqlODBC refuses SQL_ATTR_LOGIN_TIMEOUT with the
   * DSN's pqopt=connect_timeout: a direct connect fails, and so must one
   * through odbcpool, rather than borrow a connection opened without
   * it.) */
  char why[2048];
  SQLHDBC plain = connect_cs(pooled, NULL, NULL, why, sizeof why);
  if (plain == NULL)
    fail("plain connect through odbcpool: %s", why);
  else
    odbctest_disconnect(plain);
  const struct attr_case cases[] = {
      {"SQL_ATTR_LOGIN_TIMEOUT", SQL_ATTR_LOGIN_TIMEOUT, 7},
      {"SQL_ATTR_PACKET_SIZE", SQL_ATTR_PACKET_SIZE, 65536},
      {"SQL_ATTR_PACKET_SIZE", SQL_ATTR_PACKET_SIZE, 1024},
      {"SQL_ATTR_ODBC_CURSORS", SQL_ATTR_ODBC_CURSORS, SQL_CUR_USE_DRIVER},
      {"SQL_ATTR_ODBC_CURSORS", SQL_ATTR_ODBC_CURSORS, SQL_CUR_USE_IF_NEEDED},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct attr_case *ac = &cases[i];
    SQLULEN dv = 0, pv = 0;
    SQLRETURN drc = SQL_ERROR, prc = SQL_ERROR;
    char dstates[128], pstates[128], dwhy[2048], pwhy[2048];
    bool dok = attr_after_connect(direct, ac, &dv, &drc, dstates,
                                  sizeof dstates, dwhy, sizeof dwhy);
    /* Twice through odbcpool: the second borrow may be served by the
     * connection the first one opened; it must be just as right. */
    bool pok = false;
    for (int round = 0; round < 2; round++) {
      pok = attr_after_connect(pooled, ac, &pv, &prc, pstates, sizeof pstates,
                               pwhy, sizeof pwhy);
      if (!pok || (pv != dv &&
                   !(prc == SQL_SUCCESS_WITH_INFO && strstr(pstates, "01S02"))))
        break;
    }
    printf("%s = %lu before connect: direct %s, read back %ld [%s]; through "
           "odbcpool %s, read back %ld [%s] %s\n",
           ac->name, (unsigned long)ac->value, dok ? "connected" : "failed",
           (long)dv, dstates, pok ? "connected" : "failed", (long)pv, pstates,
           pwhy);
    if (dok != pok) {
      fail("%s: direct %s, through odbcpool %s (%s)", ac->name,
           dok ? "connected" : "failed", pok ? "connected" : "failed", pwhy);
      continue;
    }
    if (!dok)
      continue;
    /* The same value as directly; or, where odbcpool could not give the
     * setting its effect, a warning that says so. */
    bool warned = prc == SQL_SUCCESS_WITH_INFO && strstr(pstates, "01S02");
    if (pv != dv && !warned)
      fail("%s: direct reads back %ld, through odbcpool %ld without a "
           "01S02 warning (connect returned %d, records [%s])",
           ac->name, (long)dv, (long)pv, (int)prc, pstates);
  }
  return failures ? 1 : 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  env = odbctest_alloc_env();
  odbctest_diag_flags = 0; /* an empty `why` when there is no record */
  int rc = 2;
  if (argc == 9 && strcmp(argv[1], "reauth") == 0)
    rc = run_reauth(argv + 2);
  else if (argc == 5 && strcmp(argv[1], "emptypwd") == 0)
    rc = run_emptypwd(argv + 2);
  else if (argc == 4 && strcmp(argv[1], "preattrs") == 0)
    rc = run_preattrs(argv + 2);
  else
    fprintf(stderr, "usage: see the comment at the top of client_auth.c\n");
  SQLFreeHandle(SQL_HANDLE_ENV, env);
  return rc;
}
