/* client_threads.c — a multi-threaded C application, unchanged, through
 * the odbcpool driver: 16 threads, each a loop of requests (allocate a
 * connection, SQLDriverConnect, work, SQLDisconnect, free), on the pooled
 * DSN. It calls the ODBC API by name, as any application does.
 *
 * The work of one request ("the suite") is first run once against the
 * direct DSN; the values it collects there are the reference, and every
 * pooled request must collect exactly the same: integers, decimals, dates
 * and times, Unicode, NULLs, a 140 KB text and a 100 KB blob sent with
 * SQLPutData and fetched in 4 KB pieces with SQLGetData, bound parameters
 * (and parameter arrays on PostgreSQL), bound columns fetched in blocks of
 * 7 rows (SQL_ATTR_ROW_ARRAY_SIZE), SQLTables, SQLColumns, SQLDescribeCol,
 * SQLColAttribute, multiple result sets (PostgreSQL), commit and rollback,
 * and an error's SQLSTATE and text.
 *
 * Erasure: every pooled request starts by checking that the session holds
 * no temp object and no temp table gdpr_probe, and ends by creating that
 * table with a personal datum of its own ('Erika Mustermann', born
 * 1964-08-12, tagged with thread and request) and checking that it sees
 * its own row only. Every other request then changes the session
 * (autocommit off, isolation level, and on PostgreSQL application_name,
 * a custom setting, search_path, default isolation; on SQLite
 * recursive_triggers and query_only), leaves an uncommitted row and a
 * statement with an open cursor behind; every request checks at its
 * start that its session is as a fresh direct connection's. Between the suites,
 * quick requests (connect, one query, disconnect) add to the load.
 *
 * Reuse: at the end the pool's stats_file must count every borrow and at
 * most CLIENT_MAX_CONNECTS physical connects; on PostgreSQL the requests
 * must have run on at most that many backends.
 *
 * Usage: client_threads sqlite|pg DIRECT_CONNSTR POOLED_CONNSTR STATS_PATTERN
 *   e.g. client_threads pg DSN=real_pg "DSN=pooled_pg;PoolConfig=/x.ini"
 *        /tmp/stats/threads-%p.prom   (%p: this process's id)
 * Environment: CLIENT_THREADS (16), CLIENT_ITERATIONS (suites per thread,
 *   8), CLIENT_QUICK (quick requests after each suite, 4),
 *   CLIENT_MAX_CONNECTS (4: the harness gives the target
 *   max_connections = 4), CLIENT_VERBOSE=1 (print the reference values).
 * Exit 0 when every check passed; else 1, every failure printed with the
 * check, the expected and the actual value, and SQLSTATE and message for
 * ODBC errors.
 */
#include "build.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sql.h>
#include <sqlext.h>

#include "odbctest.h"

#define PROG "client_threads"
#define UNI "Zo\xc3\xab M\xc3\xbcller \xe5\x8c\x97\xe4\xba\xac \xf0\x9f\x98\x80"
/* sqlite3odbc 0.9998 mangles characters outside the BMP in SQL text
 * (SQLExecDirectW; direct as well): SQLite's literal leaves the emoji out.
 * In parameters it is fine. */
#define UNI_BMP "Zo\xc3\xab M\xc3\xbcller \xe5\x8c\x97\xe4\xba\xac"
#define DATUM_NAME "Erika Mustermann"
#define DATUM_BORN "1964-08-12"
#define PIECE 4096
#define BLOCK 7
#define NROWS 50 /* rows 3..52 */

static bool is_pg;
static const char *direct_cs, *pooled_cs, *stats_pattern;
static long nthreads = 16, iterations = 8, quick = 4, max_connects = 4;
static SQLHENV env;
static char *long_text;
static size_t long_text_len;
static unsigned char *long_blob;
static size_t long_blob_len;
static char *reference;      /* the suite's values through the direct DSN */
static char probe_error[64]; /* SQLSTATE of reading gdpr_probe when absent */

/* ------------------------------------------------------------ failures */

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static long nfailures;

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failf(const char *fmt, ...) {
  va_list ap;
  pthread_mutex_lock(&out_lock);
  if (++nfailures <= 30) {
    fputs("FAIL: " PROG ": ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
  } else if (nfailures == 31) {
    puts("FAIL: " PROG ": (further failures not printed)");
  }
  fflush(stdout);
  pthread_mutex_unlock(&out_lock);
}

/* What one request is doing, for failure messages. */
struct req {
  const char *mode; /* "direct" or "pooled" */
  long thread, n;
  SQLHDBC dbc;
  /* The values collected: "key=value\n" lines. */
  char *rec;
  size_t len, cap;
  bool failed;
};

static void req_fail(struct req *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void req_fail(struct req *r, const char *fmt, ...) {
  char what[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  r->failed = true;
  failf("%s thread %ld request %ld: %s", r->mode, r->thread, r->n, what);
}

/* Checks an ODBC return code; on failure reports SQLSTATE and message. */
static bool ok(struct req *r, SQLRETURN rc, SQLSMALLINT type, SQLHANDLE h,
               const char *what) {
  if (SQL_SUCCEEDED(rc))
    return true;
  char d[2048];
  odbctest_diag(type, h, NULL, d, sizeof d);
  req_fail(r, "%s: expected success, got rc %d: %s", what, (int)rc, d);
  return false;
}

static void put(struct req *r, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void put(struct req *r, const char *key, const char *fmt, ...) {
  char val[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(val, sizeof val, fmt, ap);
  va_end(ap);
  for (char *c = val; *c; c++) /* one value a line */
    if (*c == '\n')
      *c = ' ';
  size_t need = strlen(key) + strlen(val) + 3;
  if (r->len + need > r->cap) {
    size_t cap = (r->cap + need) * 2;
    char *p = realloc(r->rec, cap);
    if (p == NULL) {
      req_fail(r, "out of memory");
      return;
    }
    r->rec = p;
    r->cap = cap;
  }
  r->len += (size_t)sprintf(r->rec + r->len, "%s=%s\n", key, val);
}

static uint64_t fnv1a(const void *p, size_t n) {
  const unsigned char *b = p;
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

/* ------------------------------------------------------------ helpers */

static SQLHSTMT stmt(struct req *r) {
  SQLHSTMT st = SQL_NULL_HSTMT;
  if (!ok(r, SQLAllocHandle(SQL_HANDLE_STMT, r->dbc, &st), SQL_HANDLE_DBC,
          r->dbc, "SQLAllocHandle(STMT)"))
    return SQL_NULL_HSTMT;
  return st;
}

static void stmt_free(SQLHSTMT st) {
  if (st != SQL_NULL_HSTMT)
    SQLFreeHandle(SQL_HANDLE_STMT, st);
}

/* Executes sql on a fresh statement and frees it. */
static bool exec(struct req *r, const char *sql) {
  SQLHSTMT st = stmt(r);
  if (st == SQL_NULL_HSTMT)
    return false;
  char what[512];
  snprintf(what, sizeof what, "SQLExecDirect(%.400s)", sql);
  SQLRETURN rc = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
  bool good = rc == SQL_NO_DATA || ok(r, rc, SQL_HANDLE_STMT, st, what);
  stmt_free(st);
  return good;
}

/* Column `col` of the current row as text ("NULL" for NULL), at most
 * len - 1 bytes. */
static void get_text(struct req *r, SQLHSTMT st, SQLUSMALLINT col, char *buf,
                     size_t len) {
  SQLLEN ind = 0;
  SQLRETURN rc = SQLGetData(st, col, SQL_C_CHAR, buf, (SQLLEN)len, &ind);
  if (!ok(r, rc, SQL_HANDLE_STMT, st, "SQLGetData(SQL_C_CHAR)"))
    snprintf(buf, len, "(error)");
  else if (ind == SQL_NULL_DATA)
    snprintf(buf, len, "NULL");
}

/* All rows of the current result, the first `maxcols` columns (0: all),
 * as "a|b|c;" text, into key. */
static void put_rows(struct req *r, SQLHSTMT st, const char *key,
                     SQLSMALLINT maxcols) {
  SQLSMALLINT ncols = 0;
  SQLNumResultCols(st, &ncols);
  if (maxcols > 0 && ncols > maxcols)
    ncols = maxcols;
  char all[4000] = "", cell[512];
  size_t used = 0;
  SQLRETURN rc;
  while ((rc = SQLFetch(st)) != SQL_NO_DATA) {
    if (!ok(r, rc, SQL_HANDLE_STMT, st, key))
      break;
    for (SQLSMALLINT c = 1; c <= ncols; c++) {
      get_text(r, st, (SQLUSMALLINT)c, cell, sizeof cell);
      used += (size_t)snprintf(all + used, sizeof all - used, "%s%s",
                               c > 1 ? "|" : "", cell);
      if (used >= sizeof all)
        used = sizeof all - 1;
    }
    used += (size_t)snprintf(all + used, sizeof all - used, ";");
    if (used >= sizeof all)
      used = sizeof all - 1;
  }
  put(r, key, "%s", all);
}

/* SQLDescribeCol and SQLColAttribute of every column of the result. */
static void put_describe(struct req *r, SQLHSTMT st, const char *key) {
  SQLSMALLINT ncols = 0;
  if (!ok(r, SQLNumResultCols(st, &ncols), SQL_HANDLE_STMT, st,
          "SQLNumResultCols"))
    return;
  put(r, key, "%d columns", ncols);
  for (SQLSMALLINT c = 1; c <= ncols; c++) {
    SQLCHAR name[256] = "", tname[256] = "", label[256] = "";
    SQLSMALLINT nlen = 0, type = 0, digits = 0, nullable = 0;
    SQLULEN size = 0;
    SQLLEN display = 0, octets = 0, unsig = 0;
    ok(r,
       SQLDescribeCol(st, (SQLUSMALLINT)c, name, sizeof name, &nlen, &type,
                      &size, &digits, &nullable),
       SQL_HANDLE_STMT, st, "SQLDescribeCol");
    ok(r,
       SQLColAttribute(st, (SQLUSMALLINT)c, SQL_DESC_TYPE_NAME, tname,
                       sizeof tname, NULL, NULL),
       SQL_HANDLE_STMT, st, "SQLColAttribute(SQL_DESC_TYPE_NAME)");
    ok(r,
       SQLColAttribute(st, (SQLUSMALLINT)c, SQL_DESC_LABEL, label, sizeof label,
                       NULL, NULL),
       SQL_HANDLE_STMT, st, "SQLColAttribute(SQL_DESC_LABEL)");
    ok(r,
       SQLColAttribute(st, (SQLUSMALLINT)c, SQL_DESC_DISPLAY_SIZE, NULL, 0,
                       NULL, &display),
       SQL_HANDLE_STMT, st, "SQLColAttribute(SQL_DESC_DISPLAY_SIZE)");
    ok(r,
       SQLColAttribute(st, (SQLUSMALLINT)c, SQL_DESC_OCTET_LENGTH, NULL, 0,
                       NULL, &octets),
       SQL_HANDLE_STMT, st, "SQLColAttribute(SQL_DESC_OCTET_LENGTH)");
    ok(r,
       SQLColAttribute(st, (SQLUSMALLINT)c, SQL_DESC_UNSIGNED, NULL, 0, NULL,
                       &unsig),
       SQL_HANDLE_STMT, st, "SQLColAttribute(SQL_DESC_UNSIGNED)");
    char k[300];
    snprintf(k, sizeof k, "%s.%d", key, c);
    put(r, k,
        "%s type=%d size=%lu digits=%d nullable=%d typename=%s "
        "label=%s display=%ld octets=%ld unsigned=%ld",
        (char *)name, type, (unsigned long)size, digits, nullable,
        (char *)tname, (char *)label, (long)display, (long)octets, (long)unsig);
  }
}

/* Reads a long column with SQLGetData in PIECE-byte pieces. */
static void get_long(struct req *r, SQLHSTMT st, SQLUSMALLINT col,
                     SQLSMALLINT ctype, const char *key, const void *want,
                     size_t want_len) {
  size_t cap = want_len + PIECE, total = 0;
  unsigned char *all = malloc(cap);
  char *piece = malloc(PIECE);
  long pieces = 0;
  bool null = false;
  if (all == NULL || piece == NULL) {
    req_fail(r, "%s: out of memory", key);
    free(all);
    free(piece);
    return;
  }
  for (;;) {
    SQLLEN ind = 0;
    SQLRETURN rc = SQLGetData(st, col, ctype, piece, PIECE, &ind);
    if (rc == SQL_NO_DATA)
      break;
    if (!ok(r, rc, SQL_HANDLE_STMT, st, key))
      break;
    if (ind == SQL_NULL_DATA) {
      null = true;
      break;
    }
    size_t room = ctype == SQL_C_CHAR ? PIECE - 1 : PIECE;
    size_t got =
        (ind == SQL_NO_TOTAL || (size_t)ind > room) ? room : (size_t)ind;
    if (total + got > cap) {
      req_fail(r, "%s: more data than the %zu bytes sent", key, want_len);
      break;
    }
    memcpy(all + total, piece, got);
    total += got;
    pieces++;
    if (rc == SQL_SUCCESS)
      break;
    if (pieces > 10000) {
      req_fail(r, "%s: SQLGetData never ends", key);
      break;
    }
  }
  if (null)
    put(r, key, "NULL");
  else
    put(r, key, "%zu bytes in %ld pieces, fnv %016" PRIx64, total, pieces,
        fnv1a(all, total));
  if (want != NULL &&
      (null || total != want_len || memcmp(all, want, want_len) != 0))
    req_fail(r,
             "%s: expected the %zu bytes sent (fnv %016" PRIx64
             "), got %zu bytes (fnv %016" PRIx64 ")",
             key, want_len, fnv1a(want, want_len), total, fnv1a(all, total));
  free(all);
  free(piece);
}

/* The number of temp objects in the session. */
static long temp_objects(struct req *r) {
  const char *sql = is_pg
                        ? "SELECT count(*) FROM pg_class WHERE relnamespace = "
                          "pg_my_temp_schema()"
                        : "SELECT count(*) FROM sqlite_temp_master";
  SQLHSTMT st = stmt(r);
  long n = -1;
  SQLINTEGER v = -1;
  SQLLEN ind;
  if (st != SQL_NULL_HSTMT &&
      ok(r, SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS), SQL_HANDLE_STMT, st,
         sql) &&
      ok(r, SQLFetch(st), SQL_HANDLE_STMT, st, "SQLFetch(temp objects)") &&
      ok(r, SQLGetData(st, 1, SQL_C_SLONG, &v, 0, &ind), SQL_HANDLE_STMT, st,
         "SQLGetData(temp objects)"))
    n = v;
  stmt_free(st);
  return n;
}

/* SQLSTATE of a statement that must fail ("no error" if it did not),
 * and, if msg is given, the diagnostics. */
static void error_of(struct req *r, const char *sql, char *state, size_t slen,
                     char *msg, size_t mlen) {
  SQLHSTMT st = stmt(r);
  if (st == SQL_NULL_HSTMT) {
    snprintf(state, slen, "(no statement)");
    return;
  }
  SQLRETURN rc = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
  if (SQL_SUCCEEDED(rc)) {
    snprintf(state, slen, "no error");
    if (msg)
      msg[0] = '\0';
  } else {
    SQLCHAR s[6] = "";
    SQLINTEGER native;
    SQLSMALLINT l;
    SQLGetDiagRec(SQL_HANDLE_STMT, st, 1, s, &native, NULL, 0, &l);
    snprintf(state, slen, "%s", (char *)s);
    if (msg)
      odbctest_diag(SQL_HANDLE_STMT, st, NULL, msg, mlen);
  }
  stmt_free(st);
}

static SQLRETURN connect_cs(struct req *r, const char *cs) {
  SQLRETURN rc = SQLAllocHandle(SQL_HANDLE_DBC, env, &r->dbc);
  if (!SQL_SUCCEEDED(rc)) {
    char d[1024];
    odbctest_diag(SQL_HANDLE_ENV, env, NULL, d, sizeof d);
    req_fail(r, "SQLAllocHandle(DBC): %s", d);
    r->dbc = SQL_NULL_HDBC;
    return rc;
  }
  rc = SQLDriverConnect(r->dbc, NULL, (SQLCHAR *)cs, SQL_NTS, NULL, 0, NULL,
                        SQL_DRIVER_NOPROMPT);
  if (!SQL_SUCCEEDED(rc)) {
    char d[2048];
    odbctest_diag(SQL_HANDLE_DBC, r->dbc, NULL, d, sizeof d);
    req_fail(r, "SQLDriverConnect(%s): %s", cs, d);
    SQLFreeHandle(SQL_HANDLE_DBC, r->dbc);
    r->dbc = SQL_NULL_HDBC;
  }
  return rc;
}

static void disconnect(struct req *r) {
  if (r->dbc == SQL_NULL_HDBC)
    return;
  ok(r, SQLDisconnect(r->dbc), SQL_HANDLE_DBC, r->dbc, "SQLDisconnect");
  SQLFreeHandle(SQL_HANDLE_DBC, r->dbc);
  r->dbc = SQL_NULL_HDBC;
}

/* ------------------------------------------------------------ backends */

static pthread_mutex_t pids_lock = PTHREAD_MUTEX_INITIALIZER;
static long pids[256];
static int npids;

static void note_pid(struct req *r) {
  if (!is_pg)
    return;
  SQLHSTMT st = stmt(r);
  SQLINTEGER pid = 0;
  SQLLEN ind;
  if (st != SQL_NULL_HSTMT &&
      ok(r, SQLExecDirect(st, (SQLCHAR *)"SELECT pg_backend_pid()", SQL_NTS),
         SQL_HANDLE_STMT, st, "SELECT pg_backend_pid()") &&
      ok(r, SQLFetch(st), SQL_HANDLE_STMT, st, "SQLFetch(pid)") &&
      ok(r, SQLGetData(st, 1, SQL_C_SLONG, &pid, 0, &ind), SQL_HANDLE_STMT, st,
         "SQLGetData(pid)")) {
    pthread_mutex_lock(&pids_lock);
    int i;
    for (i = 0; i < npids && pids[i] != pid; i++)
      ;
    if (i == npids && npids < 256)
      pids[npids++] = pid;
    pthread_mutex_unlock(&pids_lock);
  }
  stmt_free(st);
}

/* ------------------------------------------------------------ the suite */

static void suite_literals(struct req *r) {
  const char *sql =
      is_pg
          ? "SELECT 42 AS i, -2147483648 AS imin, 9223372036854775807 AS big, "
            "CAST(12345.6789 AS NUMERIC(12,4)) AS dec, "
            "CAST(-0.5 AS NUMERIC(3,1)) AS neg, 2.5E0 AS dbl, "
            "DATE '2024-02-29' AS dt, TIME '13:45:30' AS tm, "
            "TIMESTAMP '2024-02-29 13:45:30.123' AS ts, '" UNI "' AS uni, "
            "CAST(NULL AS INTEGER) AS nul, length('" UNI "') AS unilen"
          : "SELECT 42 AS i, -2147483648 AS imin, 9223372036854775807 AS "
            "big, 12345.6789 AS dec, -0.5 AS neg, 2.5E0 AS dbl, "
            "date('2024-02-29') AS dt, time('13:45:30') AS tm, "
            "strftime('%Y-%m-%d %H:%M:%f', '2024-02-29 13:45:30.123') AS "
            "ts, '" UNI_BMP "' AS uni, NULL AS nul, length('" UNI_BMP
            "') AS unilen";
  SQLHSTMT st = stmt(r);
  if (st == SQL_NULL_HSTMT)
    return;
  if (ok(r, SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS), SQL_HANDLE_STMT, st,
         "literals")) {
    put_describe(r, st, "literal.describe");
    put_rows(r, st, "literal.rows", 0);
  }
  stmt_free(st);
}

/* Row 1 with every type through SQLBindParameter, the long text sent with
 * SQLPutData in pieces; row 2 all NULL. */
static void suite_insert(struct req *r) {
  SQLHSTMT st = stmt(r);
  if (st == SQL_NULL_HSTMT)
    return;
  const char *ins = "INSERT INTO work (id, i, b, d, dt, tm, ts, txt, lt, bl) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  SQLINTEGER id = 1, i = 42;
  SQLBIGINT b = INT64_MAX;
  char d[] = "12345.6789";
  SQL_DATE_STRUCT dt = {2024, 2, 29};
  SQL_TIME_STRUCT tm = {13, 45, 30};
  SQL_TIMESTAMP_STRUCT ts = {2024, 2, 29, 13, 45, 30, 123000000};
  char txt[] = UNI;
  SQLLEN ind[10] = {0,
                    0,
                    0,
                    SQL_NTS,
                    0,
                    0,
                    0,
                    SQL_NTS,
                    SQL_LEN_DATA_AT_EXEC((SQLLEN)long_text_len),
                    (SQLLEN)long_blob_len};
  SQLRETURN rc = SQLPrepare(st, (SQLCHAR *)ins, SQL_NTS);
  ok(r, rc, SQL_HANDLE_STMT, st, "SQLPrepare(insert)");
  struct {
    SQLSMALLINT c, s;
    SQLULEN size;
    SQLSMALLINT digits;
    void *v;
    SQLLEN buflen;
  } p[10] = {
      {SQL_C_SLONG, SQL_INTEGER, 0, 0, &id, 0},
      {SQL_C_SLONG, SQL_INTEGER, 0, 0, &i, 0},
      {SQL_C_SBIGINT, SQL_BIGINT, 0, 0, &b, 0},
      {SQL_C_CHAR, SQL_DECIMAL, 12, 4, d, sizeof d},
      {SQL_C_TYPE_DATE, SQL_TYPE_DATE, 10, 0, &dt, 0},
      {SQL_C_TYPE_TIME, SQL_TYPE_TIME, 8, 0, &tm, 0},
      {SQL_C_TYPE_TIMESTAMP, SQL_TYPE_TIMESTAMP, 23, 3, &ts, 0},
      {SQL_C_CHAR, SQL_VARCHAR, 200, 0, txt, sizeof txt},
      /* data at execution: the value pointer identifies the parameter */
      {SQL_C_CHAR, SQL_LONGVARCHAR, long_text_len, 0, (void *)9, 0},
      {SQL_C_BINARY, SQL_LONGVARBINARY, long_blob_len, 0, long_blob,
       (SQLLEN)long_blob_len},
  };
  for (int k = 0; k < 10; k++) {
    char what[64];
    snprintf(what, sizeof what, "SQLBindParameter(%d)", k + 1);
    ok(r,
       SQLBindParameter(st, (SQLUSMALLINT)(k + 1), SQL_PARAM_INPUT, p[k].c,
                        p[k].s, p[k].size, p[k].digits, p[k].v, p[k].buflen,
                        &ind[k]),
       SQL_HANDLE_STMT, st, what);
  }
  rc = SQLExecute(st);
  if (rc != SQL_NEED_DATA) {
    ok(r, rc, SQL_HANDLE_STMT, st, "SQLExecute(row 1)");
    req_fail(r, "SQLExecute(row 1): expected SQL_NEED_DATA, got %d", (int)rc);
  } else {
    SQLPOINTER which = NULL;
    long puts = 0;
    while ((rc = SQLParamData(st, &which)) == SQL_NEED_DATA) {
      if (which != (void *)9) {
        req_fail(r, "SQLParamData: asks for %p, expected parameter 9", which);
        break;
      }
      for (size_t off = 0; off < long_text_len; off += 8192) {
        size_t n = long_text_len - off < 8192 ? long_text_len - off : 8192;
        if (!ok(r, SQLPutData(st, long_text + off, (SQLLEN)n), SQL_HANDLE_STMT,
                st, "SQLPutData"))
          break;
        puts++;
      }
    }
    ok(r, rc, SQL_HANDLE_STMT, st, "SQLParamData (end)");
    put(r, "insert.putdata_pieces", "%ld", puts);
  }
  SQLLEN rows = -2;
  SQLRowCount(st, &rows);
  put(r, "insert.rowcount", "%ld", (long)rows);

  /* Row 2: every column NULL but the id. */
  SQLFreeStmt(st, SQL_CLOSE);
  id = 2;
  for (int k = 1; k < 10; k++) {
    ind[k] = SQL_NULL_DATA;
    ok(r,
       SQLBindParameter(st, (SQLUSMALLINT)(k + 1), SQL_PARAM_INPUT, p[k].c,
                        p[k].s, p[k].size ? p[k].size : 1, p[k].digits,
                        k == 8 ? NULL : p[k].v, p[k].buflen, &ind[k]),
       SQL_HANDLE_STMT, st, "SQLBindParameter(NULL)");
  }
  ok(r, SQLExecute(st), SQL_HANDLE_STMT, st, "SQLExecute(row 2, NULLs)");
  stmt_free(st);

  /* Rows 3..52: parameter arrays (SQL_ATTR_PARAMSET_SIZE) on PostgreSQL;
   * sqlite3odbc 0.9998 crashes on them (pyodbc's fast_executemany dies
   * in its SQLExecute, direct as well), so there one prepared statement
   * runs 50 times. */
  st = stmt(r);
  if (st == SQL_NULL_HSTMT)
    return;
  SQLINTEGER ids[NROWS], is[NROWS];
  char txts[NROWS][64];
  SQLLEN tind[NROWS];
  for (int k = 0; k < NROWS; k++) {
    ids[k] = k + 3;
    is[k] = (k + 3) * 3;
    snprintf(txts[k], sizeof txts[k], "row %d %s", k + 3, UNI);
    tind[k] = SQL_NTS;
  }
  ok(r,
     SQLPrepare(st, (SQLCHAR *)"INSERT INTO work (id, i, txt) VALUES (?, ?, ?)",
                SQL_NTS),
     SQL_HANDLE_STMT, st, "SQLPrepare(rows)");
  if (is_pg) {
    SQLUSMALLINT status[NROWS];
    SQLULEN processed = 0;
    ok(r, SQLSetStmtAttr(st, SQL_ATTR_PARAMSET_SIZE, (SQLPOINTER)NROWS, 0),
       SQL_HANDLE_STMT, st, "SQL_ATTR_PARAMSET_SIZE");
    SQLSetStmtAttr(st, SQL_ATTR_PARAM_STATUS_PTR, status, 0);
    SQLSetStmtAttr(st, SQL_ATTR_PARAMS_PROCESSED_PTR, &processed, 0);
    SQLBindParameter(st, 1, SQL_PARAM_INPUT, SQL_C_SLONG, SQL_INTEGER, 0, 0,
                     ids, 0, NULL);
    SQLBindParameter(st, 2, SQL_PARAM_INPUT, SQL_C_SLONG, SQL_INTEGER, 0, 0, is,
                     0, NULL);
    SQLBindParameter(st, 3, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, 63, 0,
                     txts, sizeof txts[0], tind);
    ok(r, SQLExecute(st), SQL_HANDLE_STMT, st, "SQLExecute(parameter array)");
    int good = 0;
    for (int k = 0; k < NROWS; k++)
      good += status[k] == SQL_PARAM_SUCCESS ||
              status[k] == SQL_PARAM_SUCCESS_WITH_INFO;
    put(r, "insert.array", "processed=%lu ok=%d", (unsigned long)processed,
        good);
  } else {
    SQLINTEGER one_id, one_i;
    char one_txt[64];
    SQLLEN one_ind = SQL_NTS;
    SQLBindParameter(st, 1, SQL_PARAM_INPUT, SQL_C_SLONG, SQL_INTEGER, 0, 0,
                     &one_id, 0, NULL);
    SQLBindParameter(st, 2, SQL_PARAM_INPUT, SQL_C_SLONG, SQL_INTEGER, 0, 0,
                     &one_i, 0, NULL);
    SQLBindParameter(st, 3, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, 63, 0,
                     one_txt, sizeof one_txt, &one_ind);
    int good = 0;
    for (int k = 0; k < NROWS; k++) {
      one_id = ids[k];
      one_i = is[k];
      memcpy(one_txt, txts[k], sizeof one_txt);
      good += ok(r, SQLExecute(st), SQL_HANDLE_STMT, st, "SQLExecute(row)");
    }
    put(r, "insert.loop", "ok=%d", good);
  }
  stmt_free(st);
}

/* Rows 1 and 2 back: every column with SQLGetData, the long ones in
 * pieces. */
static void suite_select(struct req *r) {
  SQLHSTMT st = stmt(r);
  if (st == SQL_NULL_HSTMT)
    return;
  SQLINTEGER upto = 2;
  SQLBindParameter(st, 1, SQL_PARAM_INPUT, SQL_C_SLONG, SQL_INTEGER, 0, 0,
                   &upto, 0, NULL);
  if (!ok(r,
          SQLExecDirect(st,
                        (SQLCHAR *)"SELECT id, i, b, d, dt, tm, ts, txt, "
                                   "lt, bl FROM work WHERE id <= ? "
                                   "ORDER BY id",
                        SQL_NTS),
          SQL_HANDLE_STMT, st, "select rows 1, 2")) {
    stmt_free(st);
    return;
  }
  put_describe(r, st, "select.describe");
  SQLRETURN rc;
  int row = 0;
  while ((rc = SQLFetch(st)) != SQL_NO_DATA) {
    if (!ok(r, rc, SQL_HANDLE_STMT, st, "SQLFetch(rows 1, 2)"))
      break;
    row++;
    char key[64];
    SQLLEN ind;
    SQLINTEGER id = 0, i = 0;
    SQLBIGINT b = 0;
    char d[64], txt[256];
    SQL_DATE_STRUCT dt;
    SQL_TIME_STRUCT tm;
    SQL_TIMESTAMP_STRUCT ts;

    SQLGetData(st, 1, SQL_C_SLONG, &id, 0, &ind);
    snprintf(key, sizeof key, "select.%d.id", row);
    put(r, key, "%ld", (long)id);
    ok(r, SQLGetData(st, 2, SQL_C_SLONG, &i, 0, &ind), SQL_HANDLE_STMT, st,
       "SQLGetData(i)");
    snprintf(key, sizeof key, "select.%d.i", row);
    ind == SQL_NULL_DATA ? put(r, key, "NULL") : put(r, key, "%ld", (long)i);
    ok(r, SQLGetData(st, 3, SQL_C_SBIGINT, &b, 0, &ind), SQL_HANDLE_STMT, st,
       "SQLGetData(b)");
    snprintf(key, sizeof key, "select.%d.b", row);
    ind == SQL_NULL_DATA ? put(r, key, "NULL")
                         : put(r, key, "%" PRId64, (int64_t)b);
    snprintf(key, sizeof key, "select.%d.d", row);
    get_text(r, st, 4, d, sizeof d);
    put(r, key, "%s", d);
    ok(r, SQLGetData(st, 5, SQL_C_TYPE_DATE, &dt, 0, &ind), SQL_HANDLE_STMT, st,
       "SQLGetData(dt)");
    snprintf(key, sizeof key, "select.%d.dt", row);
    ind == SQL_NULL_DATA
        ? put(r, key, "NULL")
        : put(r, key, "%04d-%02u-%02u", dt.year, dt.month, dt.day);
    ok(r, SQLGetData(st, 6, SQL_C_TYPE_TIME, &tm, 0, &ind), SQL_HANDLE_STMT, st,
       "SQLGetData(tm)");
    snprintf(key, sizeof key, "select.%d.tm", row);
    ind == SQL_NULL_DATA
        ? put(r, key, "NULL")
        : put(r, key, "%02u:%02u:%02u", tm.hour, tm.minute, tm.second);
    ok(r, SQLGetData(st, 7, SQL_C_TYPE_TIMESTAMP, &ts, 0, &ind),
       SQL_HANDLE_STMT, st, "SQLGetData(ts)");
    snprintf(key, sizeof key, "select.%d.ts", row);
    ind == SQL_NULL_DATA ? put(r, key, "NULL")
                         : put(r, key, "%04d-%02u-%02u %02u:%02u:%02u.%09lu",
                               ts.year, ts.month, ts.day, ts.hour, ts.minute,
                               ts.second, (unsigned long)ts.fraction);
    snprintf(key, sizeof key, "select.%d.txt", row);
    get_text(r, st, 8, txt, sizeof txt);
    put(r, key, "%s", txt);
    if (row == 1 && strcmp(txt, UNI) != 0)
      req_fail(r, "Unicode parameter round trip: expected '%s', got '%s'", UNI,
               txt);
    snprintf(key, sizeof key, "select.%d.lt", row);
    get_long(r, st, 9, SQL_C_CHAR, key, row == 1 ? long_text : NULL,
             long_text_len);
    snprintf(key, sizeof key, "select.%d.bl", row);
    get_long(r, st, 10, SQL_C_BINARY, key, row == 1 ? long_blob : NULL,
             long_blob_len);
  }
  put(r, "select.rows", "%d", row);
  stmt_free(st);
}

/* Bound columns, fetched BLOCK rows at a time. */
static void suite_block_fetch(struct req *r) {
  SQLHSTMT st = stmt(r);
  if (st == SQL_NULL_HSTMT)
    return;
  SQLINTEGER id[BLOCK], i[BLOCK];
  char txt[BLOCK][128];
  SQLLEN id_ind[BLOCK], i_ind[BLOCK], txt_ind[BLOCK];
  SQLUSMALLINT status[BLOCK];
  SQLULEN fetched = 0;
  ok(r, SQLSetStmtAttr(st, SQL_ATTR_ROW_BIND_TYPE, SQL_BIND_BY_COLUMN, 0),
     SQL_HANDLE_STMT, st, "SQL_ATTR_ROW_BIND_TYPE");
  ok(r, SQLSetStmtAttr(st, SQL_ATTR_ROW_ARRAY_SIZE, (SQLPOINTER)BLOCK, 0),
     SQL_HANDLE_STMT, st, "SQL_ATTR_ROW_ARRAY_SIZE");
  ok(r, SQLSetStmtAttr(st, SQL_ATTR_ROW_STATUS_PTR, status, 0), SQL_HANDLE_STMT,
     st, "SQL_ATTR_ROW_STATUS_PTR");
  ok(r, SQLSetStmtAttr(st, SQL_ATTR_ROWS_FETCHED_PTR, &fetched, 0),
     SQL_HANDLE_STMT, st, "SQL_ATTR_ROWS_FETCHED_PTR");
  if (!ok(r,
          SQLExecDirect(st,
                        (SQLCHAR *)"SELECT id, i, txt FROM work WHERE "
                                   "id >= 3 ORDER BY id",
                        SQL_NTS),
          SQL_HANDLE_STMT, st, "block select")) {
    stmt_free(st);
    return;
  }
  SQLBindCol(st, 1, SQL_C_SLONG, id, 0, id_ind);
  SQLBindCol(st, 2, SQL_C_SLONG, i, 0, i_ind);
  SQLBindCol(st, 3, SQL_C_CHAR, txt, sizeof txt[0], txt_ind);
  char sizes[256] = "";
  size_t used = 0;
  long total = 0, bad = 0;
  SQLRETURN rc;
  while ((rc = SQLFetch(st)) != SQL_NO_DATA) {
    if (!ok(r, rc, SQL_HANDLE_STMT, st, "SQLFetch(block)"))
      break;
    used += (size_t)snprintf(sizes + used, sizeof sizes - used, "%s%lu",
                             used ? "," : "", (unsigned long)fetched);
    if (used >= sizeof sizes)
      used = sizeof sizes - 1;
    for (SQLULEN k = 0; k < fetched; k++) {
      long want = 3 + total;
      char want_txt[128];
      snprintf(want_txt, sizeof want_txt, "row %ld %s", want, UNI);
      if (status[k] != SQL_ROW_SUCCESS || id[k] != want || i[k] != want * 3 ||
          strcmp(txt[k], want_txt) != 0) {
        if (bad++ == 0)
          req_fail(r,
                   "block fetch row %ld: expected %ld|%ld|%s status 0, "
                   "got %ld|%ld|%s status %u",
                   total, want, want * 3, want_txt, (long)id[k], (long)i[k],
                   txt[k], status[k]);
      }
      total++;
    }
    if (total > 1000)
      break;
  }
  put(r, "block.sizes", "%s", sizes);
  put(r, "block.rows", "%ld bad=%ld", total, bad);
  stmt_free(st);
}

static void suite_catalog(struct req *r) {
  SQLHSTMT st = stmt(r);
  if (st == SQL_NULL_HSTMT)
    return;
  if (ok(r,
         SQLTables(st, NULL, 0, NULL, 0, (SQLCHAR *)"cl_threads", SQL_NTS,
                   (SQLCHAR *)"TABLE", SQL_NTS),
         SQL_HANDLE_STMT, st, "SQLTables"))
    put_rows(r, st, "tables", 4);
  SQLFreeStmt(st, SQL_CLOSE);
  /* The standard 18 columns: psqlODBC appends the table OID, which
   * differs by creation. */
  if (ok(r,
         SQLColumns(st, NULL, 0, NULL, 0, (SQLCHAR *)"cl_threads", SQL_NTS,
                    NULL, 0),
         SQL_HANDLE_STMT, st, "SQLColumns")) {
    put_describe(r, st, "columns.describe");
    put_rows(r, st, "columns", 18);
  }
  SQLFreeStmt(st, SQL_CLOSE);
  if (ok(r,
         SQLExecDirect(st, (SQLCHAR *)"SELECT * FROM cl_threads ORDER BY id",
                       SQL_NTS),
         SQL_HANDLE_STMT, st, "SELECT cl_threads")) {
    put_describe(r, st, "cl_threads.describe");
    put_rows(r, st, "cl_threads.rows", 0);
  }
  stmt_free(st);
}

static bool printed_skip;

static void suite_multiple_results(struct req *r) {
  const char *sql = "SELECT 1 AS a; SELECT 'zwei' AS b, 2 AS c; "
                    "SELECT id FROM work WHERE id IN (3, 4) ORDER BY id";
  if (!is_pg) {
    if (!printed_skip) {
      printed_skip = true;
      printf(PROG ": multiple result sets: skipped: sqlite3odbc runs one "
                  "statement per SQLExecDirect ('only one SQL statement "
                  "allowed'); that error is compared instead\n");
    }
    char state[64], msg[1024];
    error_of(r, sql, state, sizeof state, msg, sizeof msg);
    put(r, "multiple_results", "%s", msg);
    return;
  }
  SQLHSTMT st = stmt(r);
  if (st == SQL_NULL_HSTMT)
    return;
  if (ok(r, SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS), SQL_HANDLE_STMT, st,
         "multiple results")) {
    int set = 0;
    SQLRETURN rc;
    do {
      char key[64];
      set++;
      snprintf(key, sizeof key, "multiple_results.%d.describe", set);
      put_describe(r, st, key);
      snprintf(key, sizeof key, "multiple_results.%d.rows", set);
      put_rows(r, st, key, 0);
    } while ((rc = SQLMoreResults(st)) == SQL_SUCCESS ||
             rc == SQL_SUCCESS_WITH_INFO);
    if (rc != SQL_NO_DATA)
      ok(r, rc, SQL_HANDLE_STMT, st, "SQLMoreResults");
    put(r, "multiple_results.sets", "%d", set);
  }
  stmt_free(st);
}

static void suite_transactions(struct req *r) {
  ok(r,
     SQLSetConnectAttr(r->dbc, SQL_ATTR_AUTOCOMMIT,
                       (SQLPOINTER)SQL_AUTOCOMMIT_OFF, 0),
     SQL_HANDLE_DBC, r->dbc, "SQL_ATTR_AUTOCOMMIT off");
  exec(r, "INSERT INTO work (id, txt) VALUES (100, 'rolled back')");
  ok(r, SQLEndTran(SQL_HANDLE_DBC, r->dbc, SQL_ROLLBACK), SQL_HANDLE_DBC,
     r->dbc, "SQLEndTran(ROLLBACK)");
  exec(r, "INSERT INTO work (id, txt) VALUES (101, 'committed')");
  ok(r, SQLEndTran(SQL_HANDLE_DBC, r->dbc, SQL_COMMIT), SQL_HANDLE_DBC, r->dbc,
     "SQLEndTran(COMMIT)");
  ok(r,
     SQLSetConnectAttr(r->dbc, SQL_ATTR_AUTOCOMMIT,
                       (SQLPOINTER)SQL_AUTOCOMMIT_ON, 0),
     SQL_HANDLE_DBC, r->dbc, "SQL_ATTR_AUTOCOMMIT on");
  SQLHSTMT st = stmt(r);
  if (st == SQL_NULL_HSTMT)
    return;
  if (ok(r,
         SQLExecDirect(st,
                       (SQLCHAR *)"SELECT id, txt FROM work WHERE id "
                                  ">= 100 ORDER BY id",
                       SQL_NTS),
         SQL_HANDLE_STMT, st, "select transactions"))
    put_rows(r, st, "transactions", 0);
  stmt_free(st);
}

/* The work of one request, on a connected r->dbc; values into r->rec. */
static void suite(struct req *r) {
  put(r, "temp_objects_at_start", "%ld", temp_objects(r));
  suite_literals(r);
  if (!exec(r, is_pg ? "CREATE TEMP TABLE work (id INTEGER PRIMARY KEY, "
                       "i INTEGER, b BIGINT, d DECIMAL(12,4), dt DATE, "
                       "tm TIME, ts TIMESTAMP, txt VARCHAR(200), lt TEXT, "
                       "bl BYTEA)"
                     : "CREATE TEMP TABLE work (id INTEGER PRIMARY KEY, "
                       "i INTEGER, b BIGINT, d DECIMAL(12,4), dt DATE, "
                       "tm TIME, ts TIMESTAMP, txt VARCHAR(200), lt TEXT, "
                       "bl BLOB)"))
    return;
  suite_insert(r);
  suite_select(r);
  suite_block_fetch(r);
  suite_catalog(r);
  suite_multiple_results(r);
  suite_transactions(r);
  char state[64], msg[1024];
  error_of(r, "SELECT * FROM nosuch", state, sizeof state, msg, sizeof msg);
  put(r, "error.nosuch", "%s", msg);
  error_of(r, "SELEC 1", state, sizeof state, msg, sizeof msg);
  put(r, "error.syntax", "%s", msg);
}

/* ------------------------------------------------------------ erasure */

/* The session settings a request may change and the pool must restore:
 * connection attributes, and (PostgreSQL) run-time settings or (SQLite)
 * pragmas, as one line of text. */
static void session_state(struct req *r, char *buf, size_t len) {
  SQLUINTEGER autocommit = 99, isolation = 99, access = 99;
  ok(r, SQLGetConnectAttr(r->dbc, SQL_ATTR_AUTOCOMMIT, &autocommit, 0, NULL),
     SQL_HANDLE_DBC, r->dbc, "SQLGetConnectAttr(SQL_ATTR_AUTOCOMMIT)");
  ok(r, SQLGetConnectAttr(r->dbc, SQL_ATTR_TXN_ISOLATION, &isolation, 0, NULL),
     SQL_HANDLE_DBC, r->dbc, "SQLGetConnectAttr(SQL_ATTR_TXN_ISOLATION)");
  ok(r, SQLGetConnectAttr(r->dbc, SQL_ATTR_ACCESS_MODE, &access, 0, NULL),
     SQL_HANDLE_DBC, r->dbc, "SQLGetConnectAttr(SQL_ATTR_ACCESS_MODE)");
  char settings[512] = "(error)";
  SQLHSTMT st = stmt(r);
  const char *sql =
      is_pg ? "SELECT current_setting('application_name') || '|' || "
              "coalesce(current_setting('app.user', true), '') || '|' || "
              "current_setting('search_path') || '|' || "
              "current_setting('transaction_isolation')"
            : "SELECT (SELECT recursive_triggers FROM "
              "pragma_recursive_triggers) || '|' || (SELECT query_only FROM "
              "pragma_query_only)";
  if (st != SQL_NULL_HSTMT &&
      ok(r, SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS), SQL_HANDLE_STMT, st,
         "session settings") &&
      ok(r, SQLFetch(st), SQL_HANDLE_STMT, st, "SQLFetch(session settings)"))
    get_text(r, st, 1, settings, sizeof settings);
  stmt_free(st);
  snprintf(buf, len, "autocommit=%lu isolation=%lu access_mode=%lu %s",
           (unsigned long)autocommit, (unsigned long)isolation,
           (unsigned long)access, settings);
}

static char session_reference[700]; /* of a fresh direct connection */

/* At the end of every other request: session state changed and an
 * uncommitted row left, all of which the pool must undo. */
static void leave_mess(struct req *r) {
  if (is_pg) {
    exec(r, "SET application_name = 'Erika Mustermann'");
    exec(r, "SELECT set_config('app.user', 'Erika Mustermann', false)");
    exec(r, "SET search_path = pg_temp, public");
    exec(r, "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL "
            "SERIALIZABLE");
  } else {
    exec(r, "PRAGMA recursive_triggers = ON");
  }
  ok(r,
     SQLSetConnectAttr(r->dbc, SQL_ATTR_AUTOCOMMIT,
                       (SQLPOINTER)SQL_AUTOCOMMIT_OFF, 0),
     SQL_HANDLE_DBC, r->dbc, "SQL_ATTR_AUTOCOMMIT off");
  /* A driver may refuse an isolation level: only one it takes counts. */
  SQLSetConnectAttr(r->dbc, SQL_ATTR_TXN_ISOLATION,
                    (SQLPOINTER)(uintptr_t)SQL_TXN_READ_COMMITTED, 0);
  SQLSetConnectAttr(r->dbc, SQL_ATTR_TXN_ISOLATION,
                    (SQLPOINTER)(uintptr_t)SQL_TXN_REPEATABLE_READ, 0);
  exec(r, "INSERT INTO gdpr_probe VALUES ('Erika Mustermann', '1964-08-12', "
          "'uncommitted')");
  if (!is_pg)
    exec(r, "PRAGMA query_only = ON"); /* the next one must write again */
}

/* At the start of a request: nothing of an earlier one is visible. */
static void check_clean(struct req *r) {
  char sess[700];
  session_state(r, sess, sizeof sess);
  if (strcmp(sess, session_reference) != 0)
    req_fail(r,
             "session state at the start of the request: expected, as a "
             "fresh direct connection, '%s', got '%s'",
             session_reference, sess);
  long n = temp_objects(r);
  if (n != 0)
    req_fail(r,
             "temp objects at the start of the request: expected 0, "
             "got %ld",
             n);
  char state[64], msg[1024];
  error_of(r, "SELECT name, born, tag FROM gdpr_probe", state, sizeof state,
           msg, sizeof msg);
  if (strcmp(state, probe_error) != 0)
    req_fail(r,
             "temp table gdpr_probe of an earlier request: expected "
             "SQLSTATE %s (no such table, as direct), got %s %s",
             probe_error, state, msg);
}

/* At the end: a personal datum of this request, visible to it alone. */
static void leave_datum(struct req *r) {
  char tag[64];
  snprintf(tag, sizeof tag, "thread %ld request %ld", r->thread, r->n);
  if (!exec(r, "CREATE TEMP TABLE gdpr_probe (name VARCHAR(40), born DATE, "
               "tag VARCHAR(64))"))
    return;
  SQLHSTMT st = stmt(r);
  if (st == SQL_NULL_HSTMT)
    return;
  SQLLEN nts = SQL_NTS;
  SQLBindParameter(st, 1, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, 40, 0,
                   DATUM_NAME, 0, &nts);
  SQLBindParameter(st, 2, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_TYPE_DATE, 10, 0,
                   DATUM_BORN, 0, &nts);
  SQLBindParameter(st, 3, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, 63, 0, tag,
                   0, &nts);
  ok(r,
     SQLExecDirect(st, (SQLCHAR *)"INSERT INTO gdpr_probe VALUES (?, ?, ?)",
                   SQL_NTS),
     SQL_HANDLE_STMT, st, "INSERT INTO gdpr_probe");
  SQLFreeStmt(st, SQL_RESET_PARAMS);
  SQLFreeStmt(st, SQL_CLOSE);
  if (ok(r,
         SQLExecDirect(st,
                       (SQLCHAR *)"SELECT name, born, tag FROM "
                                  "gdpr_probe",
                       SQL_NTS),
         SQL_HANDLE_STMT, st, "SELECT gdpr_probe")) {
    struct req mine = {.mode = r->mode, .thread = r->thread, .n = r->n};
    put_rows(&mine, st, "probe", 0);
    char want[256];
    snprintf(want, sizeof want, "probe=%s|%s|%s;\n", DATUM_NAME, DATUM_BORN,
             tag);
    if (mine.rec == NULL || strcmp(mine.rec, want) != 0)
      req_fail(r,
               "gdpr_probe: expected this request's row only (%.*s), "
               "got %s",
               (int)strlen(want) - 1, want, mine.rec ? mine.rec : "(nothing)");
    free(mine.rec);
  }
  stmt_free(st);
}

/* ------------------------------------------------------------ requests */

/* Compares a request's values with the reference, line by line. */
static void compare(struct req *r) {
  const char *a = reference, *b = r->rec ? r->rec : "";
  while (*a || *b) {
    const char *ae = strchr(a, '\n'), *be = strchr(b, '\n');
    size_t al = ae ? (size_t)(ae - a) : strlen(a);
    size_t bl = be ? (size_t)(be - b) : strlen(b);
    if (al != bl || memcmp(a, b, al) != 0) {
      req_fail(r, "MISMATCH with direct\n  direct: %.*s\n  pooled: %.*s",
               (int)al, *a ? a : "(missing)", (int)bl, *b ? b : "(missing)");
      return;
    }
    a += al + (ae != NULL);
    b += bl + (be != NULL);
  }
}

static long total_requests; /* pooled, counted under out_lock */

static void count_request(void) {
  pthread_mutex_lock(&out_lock);
  total_requests++;
  pthread_mutex_unlock(&out_lock);
}

static void *thread_main(void *arg) {
  long t = (long)(intptr_t)arg;
  for (long n = 0; n < iterations; n++) {
    struct req r = {.mode = "pooled", .thread = t, .n = n};
    count_request();
    if (SQL_SUCCEEDED(connect_cs(&r, pooled_cs))) {
      note_pid(&r);
      check_clean(&r);
      suite(&r);
      compare(&r);
      leave_datum(&r);
      if (n % 2 == 1) {
        leave_mess(&r);
        /* A statement with an open cursor, left for the pool to free. */
        SQLHSTMT st = stmt(&r);
        if (st != SQL_NULL_HSTMT) {
          SQLExecDirect(st, (SQLCHAR *)"SELECT id FROM work ORDER BY id",
                        SQL_NTS);
          SQLFetch(st);
        }
      }
      disconnect(&r);
    }
    free(r.rec);
    for (long q = 0; q < quick; q++) {
      struct req s = {.mode = "pooled (quick)", .thread = t, .n = n};
      count_request();
      if (SQL_SUCCEEDED(connect_cs(&s, pooled_cs))) {
        note_pid(&s);
        long k = temp_objects(&s);
        if (k != 0)
          req_fail(&s, "temp objects: expected 0, got %ld", k);
        disconnect(&s);
      }
      free(s.rec);
    }
  }
  return NULL;
}

/* ------------------------------------------------------------ stats */

/* borrows_total and connects_total of this process's stats_file, once it
 * counts min_borrows borrows (written at most once a second). */
static void read_stats(long min_borrows, long *borrows, long *connects,
                       long *reset_failures, char *path, size_t plen) {
  odbctest_stats_path(stats_pattern, path, plen);
  for (int tries = 0; tries < 31; tries++) {
    *borrows = odbctest_stats_sum(path, "odbcpool_borrows_total");
    *connects = odbctest_stats_sum(path, "odbcpool_connects_total");
    *reset_failures = odbctest_stats_sum(path, "odbcpool_reset_failures_total");
    if (*borrows >= min_borrows)
      return;
    odbctest_sleep_ms(100);
  }
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv) {
  if (argc != 5 ||
      (strcmp(argv[1], "sqlite") != 0 && strcmp(argv[1], "pg") != 0)) {
    fprintf(stderr, "usage: " PROG " sqlite|pg DIRECT_CONNSTR POOLED_CONNSTR "
                    "STATS_PATTERN\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  odbctest_diag_flags |= ODBCTEST_DIAG_NO_DM;
  is_pg = strcmp(argv[1], "pg") == 0;
  direct_cs = argv[2];
  pooled_cs = argv[3];
  stats_pattern = argv[4];
  nthreads = odbctest_env_long("CLIENT_THREADS", nthreads);
  iterations = odbctest_env_long("CLIENT_ITERATIONS", iterations);
  quick = odbctest_env_long("CLIENT_QUICK", quick);
  max_connects = odbctest_env_long("CLIENT_MAX_CONNECTS", max_connects);
  if (nthreads < 1 || nthreads > 256 || iterations < 1 || quick < 0) {
    fprintf(stderr, PROG ": bad CLIENT_THREADS/ITERATIONS/QUICK\n");
    return 2;
  }

  /* 140,000 bytes of UTF-8 text and 100 KiB of bytes. */
  const char *line = "line %05d Zo\xc3\xab \xe5\x8c\x97\xe4\xba\xac "
                     "\xf0\x9f\x98\x80\n";
  long_text = malloc(5000 * 28 + 1);
  long_blob_len = 100 * 1024;
  long_blob = malloc(long_blob_len);
  if (long_text == NULL || long_blob == NULL)
    return 1;
  for (int k = 0; k < 5000; k++)
    long_text_len += (size_t)sprintf(long_text + long_text_len, line, k);
  for (size_t k = 0; k < long_blob_len; k++)
    long_blob[k] = (unsigned char)(k * 7 % 256);

  if ((env = odbctest_alloc_env()) == SQL_NULL_HENV) {
    fprintf(stderr, PROG ": cannot allocate the ODBC environment\n");
    return 1;
  }

  /* The table of the catalog checks, through the direct DSN. */
  struct req setup = {.mode = "setup"};
  if (!SQL_SUCCEEDED(connect_cs(&setup, direct_cs)))
    return 1;
  exec(&setup, "DROP TABLE IF EXISTS cl_threads");
  exec(&setup, "CREATE TABLE cl_threads (id INTEGER PRIMARY KEY, name "
               "VARCHAR(40) NOT NULL, born DATE, amount DECIMAL(10,2))");
  exec(&setup, "INSERT INTO cl_threads VALUES (1, '" UNI_BMP "', "
               "'2001-02-03', 12.5)");
  exec(&setup, "INSERT INTO cl_threads VALUES (2, 'Otto', NULL, NULL)");
  disconnect(&setup);
  if (setup.failed)
    return 1;

  /* The reference: the suite through the direct DSN, then the SQLSTATE of
   * reading a temp table that does not exist. */
  double t0 = odbctest_now();
  struct req ref = {.mode = "direct"};
  if (SQL_SUCCEEDED(connect_cs(&ref, direct_cs))) {
    suite(&ref);
    disconnect(&ref);
  }
  struct req probe = {.mode = "direct"};
  if (SQL_SUCCEEDED(connect_cs(&probe, direct_cs))) {
    session_state(&probe, session_reference, sizeof session_reference);
    error_of(&probe, "SELECT name, born, tag FROM gdpr_probe", probe_error,
             sizeof probe_error, NULL, 0);
    disconnect(&probe);
  }
  reference = ref.rec ? ref.rec : strdup("");
  double t_direct = odbctest_now() - t0;
  if (odbctest_env_long("CLIENT_VERBOSE", 0))
    printf("%ssession=%s\n", reference, session_reference);
  if (ref.failed || probe.failed || strcmp(probe_error, "no error") == 0) {
    failf("the direct reference run failed (probe: %s); not going on",
          probe_error);
    return 1;
  }

  /* The pooled requests, nthreads at a time. */
  t0 = odbctest_now();
  pthread_t *th = calloc((size_t)nthreads, sizeof *th);
  if (th == NULL)
    return 1;
  for (long t = 0; t < nthreads; t++)
    if (pthread_create(&th[t], NULL, thread_main, (void *)(intptr_t)t) != 0) {
      failf("pthread_create failed");
      return 1;
    }
  for (long t = 0; t < nthreads; t++)
    pthread_join(th[t], NULL);
  free(th);
  double t_pooled = odbctest_now() - t0;

  long borrows, connects, reset_failures;
  char path[1100];
  read_stats(total_requests, &borrows, &connects, &reset_failures, path,
             sizeof path);
  if (borrows < total_requests)
    failf("stats %s: borrows_total: expected >= %ld, got %ld", path,
          total_requests, borrows);
  if (connects < 1 || connects > max_connects)
    failf("stats %s: connects_total: expected 1..%ld, got %ld", path,
          max_connects, connects);
  if (reset_failures != 0)
    failf("stats %s: reset_failures_total: expected 0, got %ld", path,
          reset_failures);
  if (is_pg && (npids < 1 || npids > max_connects))
    failf("pooled requests ran on %d backends, expected 1..%ld", npids,
          max_connects);

  struct req drop = {.mode = "teardown"};
  if (SQL_SUCCEEDED(connect_cs(&drop, direct_cs))) {
    exec(&drop, "DROP TABLE cl_threads");
    disconnect(&drop);
  }

  printf(PROG " %s: %ld threads x %ld suites (+%ld quick requests each); "
              "reference %.2f s direct; %ld pooled requests in %.2f s; "
              "stats: borrows_total=%ld connects_total=%ld",
         argv[1], nthreads, iterations, quick, t_direct, total_requests,
         t_pooled, borrows, connects);
  if (is_pg) {
    printf("; %d backend pids:", npids);
    for (int k = 0; k < npids; k++)
      printf(" %ld", pids[k]);
  }
  printf("\n");

  free(reference);
  free(long_text);
  free(long_blob);
  SQLFreeHandle(SQL_HANDLE_ENV, env);
  return nfailures ? 1 : 0;
}
