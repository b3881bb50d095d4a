/* client_module.c — an ordinary ODBC application (calls ODBC by name,
 * links the driver manager) for the checks drivers-test/module.sh runs
 * through the odbcpool driver module:
 *
 *   client_module exit CONNSTR [N]
 *     opens N (4) connections, creates a temp table on each, disconnects them
 *     all and exits at once, while the pool's reset workers still erase
 *     and audit the returned connections: the exit race. Its own exit
 *     handler, registered first, runs last and lingers 150 ms (as an
 *     interpreter's finalisation would). Exit 0.
 *
 *   client_module setparam CONNSTR
 *     the ODBC 2 parameter call: SQLSetParam binds an integer and a
 *     string to an INSERT into a new table, then reads the row back.
 *     Prints "setparam: OK 42 'Erika'" or "setparam: FAIL <call>
 *     <SQLSTATE> <message>"; exit 0 or 1.
 *
 *   client_module odbc2 CONNSTR
 *     an ODBC 2 application, written with the ODBC 1/2 calls only
 *     (SQLAllocEnv/Connect/Stmt, SQLColAttributes, SQLError, SQLTransact,
 *     SQLGet/SetConnectOption, SQLGet/SetStmtOption, SQLExtendedFetch,
 *     SQLParamOptions, SQLSetScrollOptions, SQLFreeStmt(SQL_DROP),
 *     SQLFreeConnect, SQLFreeEnv): prints one line per answer, return
 *     code included, for drivers-test/compat.sh to compare through the
 *     pool and directly. Exit 0 (answers are compared, not judged).
 *
 *   client_module connect CONNSTR
 *     connects with SQLDriverConnect (ODBC 3) and prints "connect: OK",
 *     or the return code and every diagnostic record in order (SQLSTATE,
 *     native error) as SQLGetDiagRec and as SQLError give them. Exit 0.
 *
 *   client_module memscan CONNSTR PASSWORD
 *     connects with CONNSTR (which holds PWD=PASSWORD), through the W
 *     and the ANSI calls, runs a query, disconnects; connects with
 *     SQLConnectW and SQLConnect to DSN pooled_sqlite, user erika,
 *     PASSWORD, disconnects; and then counts the copies of PASSWORD (as
 *     UTF-8 and as UTF-16) left in the process, per library: (1) "freed":
 *     heap blocks freed (free, or realloc moving them) while they still
 *     held the password, by the library that freed them (the return
 *     address of free, through dladdr): unwiped copies that library
 *     made; (2) "resident": copies found in the writable memory of the
 *     process (/proc/self/maps + /proc/self/mem) after the disconnect,
 *     attributed to the library that allocated the live heap block
 *     holding them (the return address of malloc), or to none (freed
 *     heap memory, stacks, static data). Prints "LIB freed N resident M"
 *     per library. Exit 0. Built without sanitizers only (it replaces
 *     malloc and free); exit 77 under ASan.
 */
#include "build.h"

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sql.h>
#include <sqlext.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static void diag(const char *what, SQLSMALLINT type, SQLHANDLE h) {
  SQLCHAR state[6] = "", msg[512] = "";
  SQLINTEGER native = 0;
  SQLSMALLINT len = 0;
  SQLGetDiagRec(type, h, 1, state, &native, msg, sizeof msg, &len);
  printf("%s: FAIL %s %s\n", what, state, msg);
}

static SQLHENV env_new(SQLINTEGER version) {
  SQLHENV env = SQL_NULL_HENV;
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env))) {
    printf("FAIL SQLAllocHandle(ENV)\n");
    exit(1);
  }
  SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)(intptr_t)version, 0);
  return env;
}

static SQLHDBC connect_or_die(SQLHENV env, const char *cs) {
  SQLHDBC dbc = SQL_NULL_HDBC;
  SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc);
  SQLRETURN rc = SQLDriverConnect(dbc, NULL, (SQLCHAR *)cs, SQL_NTS, NULL, 0,
                                  NULL, SQL_DRIVER_NOPROMPT);
  if (!SQL_SUCCEEDED(rc)) {
    diag("SQLDriverConnect", SQL_HANDLE_DBC, dbc);
    exit(1);
  }
  return dbc;
}

static bool exec(SQLHDBC dbc, const char *sql) {
  SQLHSTMT st;
  SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st);
  SQLRETURN rc = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
  if (!SQL_SUCCEEDED(rc) && rc != SQL_NO_DATA)
    diag(sql, SQL_HANDLE_STMT, st);
  SQLFreeHandle(SQL_HANDLE_STMT, st);
  return SQL_SUCCEEDED(rc) || rc == SQL_NO_DATA;
}

/* ------------------------------------------------------------ exit */

/* Registered before anything loads libcrypto, so it runs after
 * libcrypto's own exit handler: a host whose exit goes on for a while
 * after that (an interpreter's finalisation, say), during which the
 * pool's threads, if still running, would use a libcrypto that is gone. */
static void linger_at_exit(void) {
  struct timespec ts = {0, 150 * 1000000L};
  nanosleep(&ts, NULL);
}

static int run_exit(const char *cs, int n) {
  atexit(linger_at_exit);
  SQLHENV env = env_new(SQL_OV_ODBC3);
  SQLHDBC dbc[16];
  if (n < 1 || n > 16)
    n = 4;
  for (int i = 0; i < n; i++) {
    dbc[i] = connect_or_die(env, cs);
    /* Session state: the reset has work to do. */
    exec(dbc[i], "CREATE TEMP TABLE exit_probe (x INTEGER)");
  }
  for (int i = 0; i < n; i++) {
    SQLDisconnect(dbc[i]);
    SQLFreeHandle(SQL_HANDLE_DBC, dbc[i]);
  }
  SQLFreeHandle(SQL_HANDLE_ENV, env);
  return 0; /* exit() at once: the resets are still running */
}

/* -------------------------------------------------------- setparam */

static int run_setparam(const char *cs) {
  /* An ODBC 2 application: SQLSetParam is an ODBC 1/2 call. */
  SQLHENV env = env_new(SQL_OV_ODBC2);
  SQLHDBC dbc = connect_or_die(env, cs);
  SQLHSTMT st;
  int ok = 0;
  SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st);
  SQLExecDirect(st, (SQLCHAR *)"DROP TABLE setparam_t", SQL_NTS);
  SQLFreeHandle(SQL_HANDLE_STMT, st);
  if (!exec(dbc, "CREATE TABLE setparam_t (n INTEGER, s VARCHAR(20))"))
    return 1;
  SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st);
  SQLINTEGER n = 42;
  SQLCHAR s[] = "Erika";
  SQLLEN nind = 0, sind = SQL_NTS;
  SQLRETURN rc = SQLPrepare(
      st, (SQLCHAR *)"INSERT INTO setparam_t VALUES (?, ?)", SQL_NTS);
  if (!SQL_SUCCEEDED(rc)) {
    diag("SQLPrepare", SQL_HANDLE_STMT, st);
    goto out;
  }
  rc = SQLSetParam(st, 1, SQL_C_LONG, SQL_INTEGER, 0, 0, &n, &nind);
  if (!SQL_SUCCEEDED(rc)) {
    diag("SQLSetParam(1, SQL_C_LONG)", SQL_HANDLE_STMT, st);
    goto out;
  }
  rc = SQLSetParam(st, 2, SQL_C_CHAR, SQL_VARCHAR, 20, 0, s, &sind);
  if (!SQL_SUCCEEDED(rc)) {
    diag("SQLSetParam(2, SQL_C_CHAR)", SQL_HANDLE_STMT, st);
    goto out;
  }
  rc = SQLExecute(st);
  if (!SQL_SUCCEEDED(rc)) {
    diag("SQLExecute", SQL_HANDLE_STMT, st);
    goto out;
  }
  SQLFreeStmt(st, SQL_RESET_PARAMS);
  SQLFreeStmt(st, SQL_CLOSE);
  rc = SQLExecDirect(st, (SQLCHAR *)"SELECT n, s FROM setparam_t", SQL_NTS);
  SQLINTEGER got_n = 0;
  SQLCHAR got_s[32] = "";
  SQLLEN l1, l2;
  if (!SQL_SUCCEEDED(rc) || !SQL_SUCCEEDED(SQLFetch(st)) ||
      !SQL_SUCCEEDED(SQLGetData(st, 1, SQL_C_LONG, &got_n, 0, &l1)) ||
      !SQL_SUCCEEDED(SQLGetData(st, 2, SQL_C_CHAR, got_s, sizeof got_s, &l2))) {
    diag("SELECT", SQL_HANDLE_STMT, st);
    goto out;
  }
  if (got_n != 42 || strcmp((char *)got_s, "Erika") != 0) {
    printf("setparam: FAIL read back %ld '%s', expected 42 'Erika'\n",
           (long)got_n, got_s);
    goto out;
  }
  printf("setparam: OK %ld '%s'\n", (long)got_n, got_s);
  fflush(stdout); /* before any exit-time report of a sanitizer */
  ok = 1;
out:
  SQLFreeHandle(SQL_HANDLE_STMT, st);
  exec(dbc, "DROP TABLE setparam_t");
  SQLDisconnect(dbc);
  SQLFreeHandle(SQL_HANDLE_DBC, dbc);
  SQLFreeHandle(SQL_HANDLE_ENV, env);
  return ok ? 0 : 1;
}

/* ----------------------------------------------------------- odbc2 */

/* Every record SQLError gives for the handles, in order (it removes
 * them): "SQLSTATE/native" each, or "-". */
static void odbc2_errors(const char *what, SQLHENV env, SQLHDBC dbc,
                         SQLHSTMT st) {
  printf("%s: errors", what);
  int n = 0;
  for (; n < 20; n++) {
    SQLCHAR state[6] = "", msg[1024];
    SQLINTEGER native = 0;
    SQLSMALLINT len = 0;
    if (!SQL_SUCCEEDED(
            SQLError(env, dbc, st, state, &native, msg, sizeof msg, &len)))
      break;
    printf(" %s/%ld", state, (long)native);
  }
  printf("%s\n", n ? "" : " -");
}

/* Prints the return code of `rc` for `what`, with the errors when it
 * is not SQL_SUCCESS. */
static void odbc2_rc(const char *what, SQLRETURN rc, SQLHENV env, SQLHDBC dbc,
                     SQLHSTMT st) {
  printf("%s: rc %d\n", what, (int)rc);
  if (rc != SQL_SUCCESS && rc != SQL_NO_DATA)
    odbc2_errors(what, env, dbc, st);
}

/* The answer of SQLColAttributes for every descriptor type ODBC 2
 * defines, for column `col`. */
static void odbc2_colattrs(SQLHSTMT st, SQLUSMALLINT col) {
  static const struct {
    SQLUSMALLINT id;
    const char *name;
    bool text;
  } f[] = {
      {SQL_COLUMN_NAME, "NAME", true},
      {SQL_COLUMN_TYPE, "TYPE", false},
      {SQL_COLUMN_LENGTH, "LENGTH", false},
      {SQL_COLUMN_PRECISION, "PRECISION", false},
      {SQL_COLUMN_SCALE, "SCALE", false},
      {SQL_COLUMN_DISPLAY_SIZE, "DISPLAY_SIZE", false},
      {SQL_COLUMN_NULLABLE, "NULLABLE", false},
      {SQL_COLUMN_UNSIGNED, "UNSIGNED", false},
      {SQL_COLUMN_MONEY, "MONEY", false},
      {SQL_COLUMN_UPDATABLE, "UPDATABLE", false},
      {SQL_COLUMN_AUTO_INCREMENT, "AUTO_INCREMENT", false},
      {SQL_COLUMN_CASE_SENSITIVE, "CASE_SENSITIVE", false},
      {SQL_COLUMN_SEARCHABLE, "SEARCHABLE", false},
      {SQL_COLUMN_TYPE_NAME, "TYPE_NAME", true},
      {SQL_COLUMN_LABEL, "LABEL", true},
  };
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
    SQLCHAR text[256] = "";
    SQLSMALLINT len = 0;
    SQLLEN num = -12345;
    SQLRETURN rc =
        SQLColAttributes(st, col, f[i].id, text, sizeof text, &len, &num);
    if (f[i].text)
      printf("SQLColAttributes(%u, SQL_COLUMN_%s): rc %d '%s'\n", col,
             f[i].name, (int)rc, SQL_SUCCEEDED(rc) ? (char *)text : "");
    else
      printf("SQLColAttributes(%u, SQL_COLUMN_%s): rc %d %ld\n", col, f[i].name,
             (int)rc, SQL_SUCCEEDED(rc) ? (long)num : 0L);
    if (!SQL_SUCCEEDED(rc))
      odbc2_errors("SQLColAttributes", SQL_NULL_HENV, SQL_NULL_HDBC, st);
  }
}

/* Rows a SELECT on `st` fetches. */
static long odbc2_count(SQLHSTMT st) {
  long n = 0;
  while (SQL_SUCCEEDED(SQLFetch(st)))
    n++;
  SQLFreeStmt(st, SQL_CLOSE);
  return n;
}

static int run_odbc2(const char *cs) {
  SQLHENV env = SQL_NULL_HENV;
  SQLHDBC dbc = SQL_NULL_HDBC;
  SQLHSTMT st = SQL_NULL_HSTMT;
  if (!SQL_SUCCEEDED(SQLAllocEnv(&env)) ||
      !SQL_SUCCEEDED(SQLAllocConnect(env, &dbc))) {
    printf("odbc2: FAIL SQLAllocEnv/SQLAllocConnect\n");
    return 1;
  }
  SQLRETURN rc = SQLDriverConnect(dbc, NULL, (SQLCHAR *)cs, SQL_NTS, NULL, 0,
                                  NULL, SQL_DRIVER_NOPROMPT);
  if (!SQL_SUCCEEDED(rc)) {
    odbc2_rc("SQLDriverConnect", rc, env, dbc, SQL_NULL_HSTMT);
    return 1;
  }
  odbc2_rc("SQLAllocStmt", SQLAllocStmt(dbc, &st), env, dbc, SQL_NULL_HSTMT);
  SQLExecDirect(st, (SQLCHAR *)"DROP TABLE odbc2_t", SQL_NTS);
  SQLFreeStmt(st, SQL_CLOSE);
  odbc2_rc("CREATE TABLE",
           SQLExecDirect(st,
                         (SQLCHAR *)"CREATE TABLE odbc2_t (n INTEGER NOT NULL, "
                                    "s VARCHAR(20), d DATE, t TIMESTAMP, "
                                    "x DECIMAL(10,2), f FLOAT)",
                         SQL_NTS),
           env, dbc, st);
  odbc2_rc("INSERT",
           SQLExecDirect(st,
                         (SQLCHAR *)"INSERT INTO odbc2_t VALUES (1, 'Erika', "
                                    "'2001-02-03', '2001-02-03 04:05:06', "
                                    "12.5, 0.25)",
                         SQL_NTS),
           env, dbc, st);
  SQLFreeStmt(st, SQL_CLOSE);

  /* The ODBC 2 column attributes, and the values as fetched. */
  rc = SQLExecDirect(st, (SQLCHAR *)"SELECT n, s, d, t, x, f FROM odbc2_t",
                     SQL_NTS);
  odbc2_rc("SELECT", rc, env, dbc, st);
  SQLSMALLINT ncols = 0;
  SQLNumResultCols(st, &ncols);
  printf("SQLNumResultCols: %d\n", ncols);
  for (SQLUSMALLINT c = 1; c <= ncols; c++)
    odbc2_colattrs(st, c);
  odbc2_colattrs(st, 0); /* SQL_COLUMN_COUNT is column 0's type 0 */
  SQLLEN count = -1;
  rc = SQLColAttributes(st, 1, SQL_COLUMN_COUNT, NULL, 0, NULL, &count);
  printf("SQLColAttributes(SQL_COLUMN_COUNT): rc %d %ld\n", (int)rc,
         (long)count);
  if (SQL_SUCCEEDED(SQLFetch(st))) {
    for (SQLUSMALLINT c = 1; c <= ncols; c++) {
      SQLCHAR v[64] = "";
      SQLLEN ind = 0;
      rc = SQLGetData(st, c, SQL_C_CHAR, v, sizeof v, &ind);
      printf("SQLGetData(%u): rc %d '%s'\n", c, (int)rc,
             ind == SQL_NULL_DATA ? "NULL" : (char *)v);
    }
  }
  SQLFreeStmt(st, SQL_CLOSE);

  /* An error, read back with SQLError (which removes the records). */
  rc = SQLExecDirect(st, (SQLCHAR *)"SELECT * FROM odbc2_no_such_table",
                     SQL_NTS);
  printf("SELECT no_such_table: rc %d\n", (int)rc);
  odbc2_errors("SELECT no_such_table", env, dbc, st);
  odbc2_errors("SELECT no_such_table, again", env, dbc, st);
  SQLFreeStmt(st, SQL_CLOSE);

  /* Connection options and SQLTransact. */
  SQLUINTEGER ac = 99;
  odbc2_rc("SQLGetConnectOption(SQL_AUTOCOMMIT)",
           SQLGetConnectOption(dbc, SQL_AUTOCOMMIT, &ac), env, dbc,
           SQL_NULL_HSTMT);
  printf("autocommit: %lu\n", (unsigned long)ac);
  odbc2_rc("SQLSetConnectOption(SQL_AUTOCOMMIT, OFF)",
           SQLSetConnectOption(dbc, SQL_AUTOCOMMIT, SQL_AUTOCOMMIT_OFF), env,
           dbc, SQL_NULL_HSTMT);
  ac = 99;
  SQLGetConnectOption(dbc, SQL_AUTOCOMMIT, &ac);
  printf("autocommit: %lu\n", (unsigned long)ac);
  odbc2_rc("INSERT in a transaction",
           SQLExecDirect(st,
                         (SQLCHAR *)"INSERT INTO odbc2_t (n, s) VALUES (2, "
                                    "'Max')",
                         SQL_NTS),
           env, dbc, st);
  SQLFreeStmt(st, SQL_CLOSE);
  odbc2_rc("SQLTransact(dbc, SQL_ROLLBACK)",
           SQLTransact(SQL_NULL_HENV, dbc, SQL_ROLLBACK), env, dbc,
           SQL_NULL_HSTMT);
  SQLExecDirect(st, (SQLCHAR *)"SELECT n FROM odbc2_t", SQL_NTS);
  printf("rows after rollback: %ld\n", odbc2_count(st));
  SQLExecDirect(st, (SQLCHAR *)"INSERT INTO odbc2_t (n, s) VALUES (3, 'Anna')",
                SQL_NTS);
  SQLFreeStmt(st, SQL_CLOSE);
  /* On the connection: on the environment, the driver manager calls the
   * driver with its environment lock held, and a target registered with
   * Threading = 3 (sqlite3odbc) waits for that lock for ever (see
   * doc/odbcpool-driver.7). */
  odbc2_rc("SQLTransact(dbc, SQL_COMMIT)",
           SQLTransact(SQL_NULL_HENV, dbc, SQL_COMMIT), env, dbc,
           SQL_NULL_HSTMT);
  /* Back on before the next statement: unixODBC leaves its connection
   * state "in a transaction" after a statement with autocommit off, and
   * refuses SQLDisconnect (25000) unless a commit with autocommit still
   * off follows. */
  odbc2_rc("SQLSetConnectOption(SQL_AUTOCOMMIT, ON)",
           SQLSetConnectOption(dbc, SQL_AUTOCOMMIT, SQL_AUTOCOMMIT_ON), env,
           dbc, SQL_NULL_HSTMT);
  SQLExecDirect(st, (SQLCHAR *)"SELECT n FROM odbc2_t", SQL_NTS);
  printf("rows after commit: %ld\n", odbc2_count(st));

  /* Statement options. */
  SQLULEN v = 99;
  odbc2_rc("SQLGetStmtOption(SQL_MAX_ROWS)",
           SQLGetStmtOption(st, SQL_MAX_ROWS, &v), env, dbc, st);
  printf("max rows: %lu\n", (unsigned long)v);
  odbc2_rc("SQLSetStmtOption(SQL_MAX_ROWS, 1)",
           SQLSetStmtOption(st, SQL_MAX_ROWS, 1), env, dbc, st);
  v = 99;
  SQLGetStmtOption(st, SQL_MAX_ROWS, &v);
  printf("max rows: %lu\n", (unsigned long)v);
  SQLExecDirect(st, (SQLCHAR *)"SELECT n FROM odbc2_t", SQL_NTS);
  printf("rows with max rows 1: %ld\n", odbc2_count(st));
  SQLSetStmtOption(st, SQL_MAX_ROWS, 0);
  odbc2_rc("SQLSetStmtOption(SQL_ROWSET_SIZE, 2)",
           SQLSetStmtOption(st, SQL_ROWSET_SIZE, 2), env, dbc, st);
  SQLINTEGER nbuf[2] = {0, 0};
  SQLLEN nind[2] = {0, 0};
  SQLBindCol(st, 1, SQL_C_LONG, nbuf, 0, nind);
  SQLExecDirect(st, (SQLCHAR *)"SELECT n FROM odbc2_t ORDER BY n", SQL_NTS);
  SQLULEN fetched = 0;
  SQLUSMALLINT status[2] = {0, 0};
  rc = SQLExtendedFetch(st, SQL_FETCH_NEXT, 0, &fetched, status);
  printf("SQLExtendedFetch: rc %d rows %lu values %ld %ld status %u %u\n",
         (int)rc, (unsigned long)fetched, (long)nbuf[0], (long)nbuf[1],
         status[0], status[1]);
  if (!SQL_SUCCEEDED(rc))
    odbc2_errors("SQLExtendedFetch", env, dbc, st);
  SQLFreeStmt(st, SQL_CLOSE);
  SQLFreeStmt(st, SQL_UNBIND);
  SQLSetStmtOption(st, SQL_ROWSET_SIZE, 1);
  SQLULEN irow = 0;
  odbc2_rc("SQLParamOptions(1)", SQLParamOptions(st, 1, &irow), env, dbc, st);
  odbc2_rc(
      "SQLSetScrollOptions(READ_ONLY, FORWARD_ONLY, 1)",
      SQLSetScrollOptions(st, SQL_CONCUR_READ_ONLY, SQL_SCROLL_FORWARD_ONLY, 1),
      env, dbc, st);
  odbc2_rc("DROP TABLE",
           SQLExecDirect(st, (SQLCHAR *)"DROP TABLE odbc2_t", SQL_NTS), env,
           dbc, st);
  SQLFreeStmt(st, SQL_CLOSE);
  odbc2_rc("SQLFreeStmt(SQL_DROP)", SQLFreeStmt(st, SQL_DROP), env, dbc,
           SQL_NULL_HSTMT);

  /* A second request on the connection the pool kept. (Not with a
   * statement left allocated: sqlite3odbc refuses a direct SQLDisconnect
   * then, with 25000, which odbcpool's does not.) */
  odbc2_rc("SQLDisconnect", SQLDisconnect(dbc), env, dbc, SQL_NULL_HSTMT);
  rc = SQLDriverConnect(dbc, NULL, (SQLCHAR *)cs, SQL_NTS, NULL, 0, NULL,
                        SQL_DRIVER_NOPROMPT);
  odbc2_rc("SQLDriverConnect, again", rc, env, dbc, SQL_NULL_HSTMT);
  st = SQL_NULL_HSTMT;
  SQLAllocStmt(dbc, &st);
  SQLExecDirect(st, (SQLCHAR *)"SELECT 1", SQL_NTS);
  printf("rows of SELECT 1: %ld\n", odbc2_count(st));
  odbc2_rc("SQLFreeStmt(SQL_DROP), again", SQLFreeStmt(st, SQL_DROP), env, dbc,
           SQL_NULL_HSTMT);
  odbc2_rc("SQLDisconnect, again", SQLDisconnect(dbc), env, dbc,
           SQL_NULL_HSTMT);
  odbc2_rc("SQLFreeConnect", SQLFreeConnect(dbc), env, SQL_NULL_HDBC,
           SQL_NULL_HSTMT);
  odbc2_rc("SQLFreeEnv", SQLFreeEnv(env), SQL_NULL_HENV, SQL_NULL_HDBC,
           SQL_NULL_HSTMT);
  fflush(stdout);
  return 0;
}

/* --------------------------------------------------------- connect */

static int run_connect(const char *cs) {
  SQLHENV env = env_new(SQL_OV_ODBC3);
  SQLHDBC dbc;
  SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc);
  SQLRETURN rc = SQLDriverConnect(dbc, NULL, (SQLCHAR *)cs, SQL_NTS, NULL, 0,
                                  NULL, SQL_DRIVER_NOPROMPT);
  if (SQL_SUCCEEDED(rc)) {
    printf("connect: OK\n");
    SQLDisconnect(dbc);
  } else {
    printf("connect: rc %d\nSQLGetDiagRec:", (int)rc);
    SQLSMALLINT i = 1;
    for (;; i++) {
      SQLCHAR state[6] = "", msg[1024];
      SQLINTEGER native = 0;
      SQLSMALLINT len = 0;
      if (!SQL_SUCCEEDED(SQLGetDiagRec(SQL_HANDLE_DBC, dbc, i, state, &native,
                                       msg, sizeof msg, &len)))
        break;
      printf(" %s/%ld", state, (long)native);
    }
    printf("%s\n", i > 1 ? "" : " -");
    odbc2_errors("SQLError", SQL_NULL_HENV, dbc, SQL_NULL_HSTMT);
  }
  SQLFreeHandle(SQL_HANDLE_DBC, dbc);
  SQLFreeHandle(SQL_HANDLE_ENV, env);
  fflush(stdout);
  return 0;
}

/* --------------------------------------------------------- memscan */

#ifndef UNDER_ASAN
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

/* The needles: the password in UTF-8 and in UTF-16LE. */
static unsigned char needle8[128], needle16[256];
static size_t len8, len16;
static volatile bool watching;

/* The libraries blocks are attributed to: by the return address of the
 * malloc (resident copies) or free (freed copies) that handled them. */
#define MAX_LIBS 64
static struct {
  char name[128];
  long freed, resident;
} libs[MAX_LIBS];
static int nlibs;

/* Live blocks allocated while watching, with their library: an open
 * addressing table keyed by address, under a spin lock (the pool's
 * threads allocate too). */
#define NBLOCKS (1u << 18)
static struct block {
  uintptr_t p;
  size_t n;
  short lib;
} blocks[NBLOCKS];
static atomic_flag blocks_lock = ATOMIC_FLAG_INIT;
static __thread bool inside; /* this thread is in our own bookkeeping */

static bool holds_needle(const void *p, size_t n) {
  return (len8 && memmem(p, n, needle8, len8)) ||
         (len16 && memmem(p, n, needle16, len16));
}

/* The index of the library holding code address `caller` (-1: none
 * known). No allocation: called from inside malloc and free. */
static int lib_of(void *caller) {
  Dl_info info;
  if (!dladdr(caller, &info) || info.dli_fname == NULL)
    return -1;
  const char *name = strrchr(info.dli_fname, '/')
                         ? strrchr(info.dli_fname, '/') + 1
                         : info.dli_fname;
  for (int i = 0; i < nlibs; i++)
    if (strcmp(libs[i].name, name) == 0)
      return i;
  if (nlibs == MAX_LIBS)
    return -1;
  snprintf(libs[nlibs].name, sizeof libs[nlibs].name, "%s", name);
  return nlibs++;
}

static size_t slot_of(uintptr_t p) {
  return (size_t)((p >> 4) * 0x9E3779B97F4A7C15ull >> 46) & (NBLOCKS - 1);
}

/* Records (lib >= 0) or forgets (lib < 0) the block p of n bytes. */
static void track(void *p, size_t n, int lib) {
  if (p == NULL)
    return;
  while (atomic_flag_test_and_set(&blocks_lock))
    ;
  size_t i = slot_of((uintptr_t)p);
  for (size_t k = 0; k < NBLOCKS; k++, i = (i + 1) & (NBLOCKS - 1)) {
    if (lib >= 0 && (blocks[i].p == 0 || blocks[i].p == 1)) {
      blocks[i] = (struct block){(uintptr_t)p, n, (short)lib};
      break;
    }
    if (lib < 0 && blocks[i].p == (uintptr_t)p) {
      blocks[i].p = 1; /* a tombstone */
      break;
    }
    if (blocks[i].p == 0)
      break;
  }
  atomic_flag_clear(&blocks_lock);
}

static void freed_with_needle(void *p, void *caller) {
  if (holds_needle(p, malloc_usable_size(p))) {
    int lib = lib_of(caller);
    if (lib >= 0)
      libs[lib].freed++;
  }
}

/* This program's malloc, calloc, realloc and free take the place of
 * libc's for every library in the process (the executable comes first in
 * symbol lookup). */
void *malloc(size_t n) {
  void *p = __libc_malloc(n);
  if (watching && !inside) {
    inside = true;
    track(p, n, lib_of(__builtin_return_address(0)));
    inside = false;
  }
  return p;
}

void *calloc(size_t k, size_t n) {
  void *p = __libc_calloc(k, n);
  if (watching && !inside) {
    inside = true;
    track(p, k * n, lib_of(__builtin_return_address(0)));
    inside = false;
  }
  return p;
}

void free(void *p) {
  if (p != NULL && watching && !inside) {
    inside = true;
    freed_with_needle(p, __builtin_return_address(0));
    track(p, 0, -1);
    inside = false;
  }
  __libc_free(p);
}

void *realloc(void *p, size_t n) {
  if (p == NULL || !watching || inside) {
    void *q = __libc_realloc(p, n);
    if (p == NULL && watching && !inside) {
      inside = true;
      track(q, n, lib_of(__builtin_return_address(0)));
      inside = false;
    }
    return q;
  }
  inside = true;
  bool had = holds_needle(p, malloc_usable_size(p));
  inside = false;
  void *q = __libc_realloc(p, n);
  if (q != NULL) {
    inside = true;
    int lib = lib_of(__builtin_return_address(0));
    /* Moved: the old block went back to the heap as it was. */
    if (q != p && had && lib >= 0)
      libs[lib].freed++;
    track(p, 0, -1);
    track(q, n, lib);
    inside = false;
  }
  return q;
}

/* Attributes a resident copy at address `a` to the library that
 * allocated the live block holding it; false if none does (freed heap
 * memory, a stack, static data). */
static bool attribute(uintptr_t a) {
  for (size_t i = 0; i < NBLOCKS; i++) {
    if (blocks[i].p > 1 && a >= blocks[i].p && a < blocks[i].p + blocks[i].n) {
      libs[blocks[i].lib].resident++;
      return true;
    }
  }
  return false;
}

static unsigned char chunk[1 << 20];
static long resident_total, resident_other;

/* A copy of the password at address `a`, unless it is one of this
 * program's own buffers. */
static void note_hit(uintptr_t a) {
  static const struct {
    const void *p;
    size_t n;
  } own[] = {{needle8, sizeof needle8},
             {needle16, sizeof needle16},
             {chunk, sizeof chunk}};
  for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
    if (a >= (uintptr_t)own[i].p && a < (uintptr_t)own[i].p + own[i].n)
      return;
  resident_total++;
  if (!attribute(a))
    resident_other++;
}

/* Finds the needles in the process's private writable mappings through
 * /proc/self/mem, and attributes each copy. */
static bool scan_resident(void) {
  FILE *maps = fopen("/proc/self/maps", "r");
  int mem = open("/proc/self/mem", O_RDONLY);
  char line[512];
  if (maps == NULL || mem < 0)
    return false;
  while (fgets(line, sizeof line, maps)) {
    unsigned long lo, hi;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r' ||
        perms[1] != 'w')
      continue;
    for (unsigned long a = lo; a < hi;) {
      size_t n = hi - a < sizeof chunk ? hi - a : sizeof chunk;
      ssize_t r = pread(mem, chunk, n, (off_t)a);
      if (r <= 0)
        break;
      bool last = a + (size_t)r >= hi || (size_t)r < n;
      /* Chunks overlap by the longer needle less one byte; a copy is
       * counted in the chunk where it starts before the overlap. */
      size_t adv = last ? (size_t)r : (size_t)r - (len16 - 1);
      const unsigned char *needles[] = {needle8, needle16};
      size_t lens[] = {len8, len16};
      for (int k = 0; k < 2; k++) {
        const unsigned char *p = chunk, *end = chunk + r, *hit;
        while (p < end &&
               (hit = memmem(p, (size_t)(end - p), needles[k], lens[k]))) {
          if ((size_t)(hit - chunk) < adv)
            note_hit(a + (uintptr_t)(hit - chunk));
          p = hit + 1;
        }
      }
      if (last)
        break;
      a += adv;
    }
  }
  fclose(maps);
  close(mem);
  return true;
}

/* Takes (and wipes) argv's copies: only the needles stay. */
static int run_memscan(char *cs_arg, char *pwd) {
  static char cs[1024];
  snprintf(cs, sizeof cs, "%s", cs_arg);
  memset(cs_arg, 'x', strlen(cs_arg));
  len8 = strlen(pwd);
  if (len8 == 0 || len8 >= 64) {
    fprintf(stderr, "memscan: password of 1..63 bytes\n");
    return 2;
  }
  memcpy(needle8, pwd, len8);
  memset(pwd, 'x', len8);
  for (size_t i = 0; i < len8; i++)
    needle16[2 * i] = needle8[i];
  len16 = 2 * len8;
  watching = true;
  SQLHENV env = env_new(SQL_OV_ODBC3);
  SQLHDBC dbc;
  /* The W call (the DM converts the string to UTF-16 and back). */
  SQLWCHAR wcs[1024], wout[1024];
  size_t n = strlen(cs);
  for (size_t i = 0; i <= n && i < 1023; i++)
    wcs[i] = (SQLWCHAR)(unsigned char)cs[i];
  wcs[1023] = 0;
  SQLSMALLINT outlen;
  SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc);
  SQLRETURN rc = SQLDriverConnectW(dbc, NULL, wcs, SQL_NTS, wout, 1024, &outlen,
                                   SQL_DRIVER_NOPROMPT);
  if (!SQL_SUCCEEDED(rc)) {
    diag("SQLDriverConnectW", SQL_HANDLE_DBC, dbc);
    return 1;
  }
  exec(dbc, "SELECT 1");
  SQLDisconnect(dbc);
  SQLFreeHandle(SQL_HANDLE_DBC, dbc);
  /* The ANSI call. */
  SQLCHAR out[1024];
  SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc);
  rc = SQLDriverConnect(dbc, NULL, (SQLCHAR *)cs, SQL_NTS, out, sizeof out,
                        &outlen, SQL_DRIVER_NOPROMPT);
  if (!SQL_SUCCEEDED(rc)) {
    diag("SQLDriverConnect", SQL_HANDLE_DBC, dbc);
    return 1;
  }
  exec(dbc, "SELECT 1");
  SQLDisconnect(dbc);
  SQLFreeHandle(SQL_HANDLE_DBC, dbc);
  /* SQLConnect with the password as an argument (W, then ANSI). */
  static const char dsn[] = "pooled_sqlite";
  SQLWCHAR wdsn[32], wuid[32], wpwd[64];
  for (size_t i = 0; i < sizeof dsn; i++)
    wdsn[i] = (SQLWCHAR)dsn[i];
  for (size_t i = 0; i <= len8; i++) {
    wpwd[i] = i < len8 ? (SQLWCHAR)needle8[i] : 0;
    wuid[i] = i < 5 ? (SQLWCHAR) "erika"[i] : 0;
  }
  SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc);
  rc = SQLConnectW(dbc, wdsn, SQL_NTS, wuid, SQL_NTS, wpwd, SQL_NTS);
  if (!SQL_SUCCEEDED(rc)) {
    diag("SQLConnectW", SQL_HANDLE_DBC, dbc);
    return 1;
  }
  SQLDisconnect(dbc);
  SQLFreeHandle(SQL_HANDLE_DBC, dbc);
  char pwdbuf[64];
  memcpy(pwdbuf, needle8, len8 + 1);
  SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc);
  rc = SQLConnect(dbc, (SQLCHAR *)dsn, SQL_NTS, (SQLCHAR *)"erika", SQL_NTS,
                  (SQLCHAR *)pwdbuf, SQL_NTS);
  if (!SQL_SUCCEEDED(rc)) {
    diag("SQLConnect", SQL_HANDLE_DBC, dbc);
    return 1;
  }
  SQLDisconnect(dbc);
  SQLFreeHandle(SQL_HANDLE_DBC, dbc);
  memset(wpwd, 0, sizeof wpwd);
  memset(pwdbuf, 0, sizeof pwdbuf);
  /* The application's own output copies are the application's. */
  memset(wout, 0, sizeof wout);
  memset(out, 0, sizeof out);
  memset(wcs, 0, sizeof wcs);
  memset(cs, 0, sizeof cs);
  sleep(1); /* the background reset of the returned connections */
  watching = false;
  if (!scan_resident()) {
    printf("memscan: cannot read /proc/self/mem\n");
    return 1;
  }
  for (int i = 0; i < nlibs; i++)
    if (libs[i].freed || libs[i].resident)
      printf("%s freed %ld resident %ld\n", libs[i].name, libs[i].freed,
             libs[i].resident);
  printf("(no live block: freed heap, stack, static data) resident %ld\n",
         resident_other);
  printf("total resident %ld\n", resident_total);
  fflush(stdout);
  _exit(0); /* the pool still holds the connection: no exit handlers */
}
#endif

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "exit") == 0)
    return run_exit(argv[2], argc > 3 ? atoi(argv[3]) : 4);
  if (argc == 3 && strcmp(argv[1], "setparam") == 0)
    return run_setparam(argv[2]);
  if (argc == 3 && strcmp(argv[1], "odbc2") == 0)
    return run_odbc2(argv[2]);
  if (argc == 3 && strcmp(argv[1], "connect") == 0)
    return run_connect(argv[2]);
  if (argc == 4 && strcmp(argv[1], "memscan") == 0) {
#ifdef UNDER_ASAN
    printf("SKIP: memscan replaces free and realloc: not under ASan\n");
    return 77;
#else
    return run_memscan(argv[2], argv[3]);
#endif
  }
  fprintf(stderr, "usage: client_module exit CONNSTR [N]\n"
                  "       client_module setparam CONNSTR\n"
                  "       client_module odbc2 CONNSTR\n"
                  "       client_module connect CONNSTR\n"
                  "       client_module memscan CONNSTR PASSWORD\n");
  return 2;
}
