/* odbctest.c — small ODBC helpers shared by the programs in drivers-test/
 * (see odbctest.h). */
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "odbctest.h"

unsigned odbctest_diag_flags = ODBCTEST_DIAG_SAY_NONE;

double odbctest_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void odbctest_sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

long odbctest_env_long(const char *name, long def) {
  const char *v = getenv(name);
  return v && *v ? strtol(v, NULL, 10) : def;
}

int odbctest_diag(SQLSMALLINT type, SQLHANDLE h, char *state, char *buf,
                  size_t len) {
  size_t used = 0;
  int records = 0;
  buf[0] = '\0';
  if (state != NULL)
    state[0] = '\0';
  for (SQLSMALLINT i = 1; used + 1 < len; i++) {
    SQLCHAR st[6] = "", msg[1024] = "";
    SQLINTEGER native = 0;
    SQLSMALLINT mlen = 0;
    if (!SQL_SUCCEEDED(
            SQLGetDiagRec(type, h, i, st, &native, msg, sizeof msg, &mlen)))
      break;
    records++;
    if (i == 1 && state != NULL)
      memcpy(state, st, 6);
    char *m = (char *)msg, *p;
    if (odbctest_diag_flags & ODBCTEST_DIAG_NO_DM)
      while ((p = strstr(m, "[unixODBC]")) != NULL)
        memmove(p, p + 10, strlen(p + 10) + 1);
    for (p = m; *p; p++) /* one line */
      if (*p == '\n' || *p == '\t')
        *p = ' ';
    char native_text[32] = "";
    if (odbctest_diag_flags & ODBCTEST_DIAG_NATIVE)
      snprintf(native_text, sizeof native_text, "(%ld) ", (long)native);
    int n = snprintf(buf + used, len - used, "%s[%s] %s%s", used ? "; " : "",
                     (char *)st, native_text, m);
    if (n < 0)
      break;
    used += (size_t)n;
  }
  if (records == 0 && (odbctest_diag_flags & ODBCTEST_DIAG_SAY_NONE))
    snprintf(buf, len, "(no diagnostics)");
  return records;
}

SQLHENV odbctest_alloc_env(void) {
  SQLHENV henv = SQL_NULL_HENV;
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &henv)))
    return SQL_NULL_HENV;
  if (!SQL_SUCCEEDED(SQLSetEnvAttr(henv, SQL_ATTR_ODBC_VERSION,
                                   (SQLPOINTER)SQL_OV_ODBC3, 0))) {
    SQLFreeHandle(SQL_HANDLE_ENV, henv);
    return SQL_NULL_HENV;
  }
  return henv;
}

SQLHDBC odbctest_connect(SQLHENV henv, const char *cs, char *why, size_t len) {
  SQLHDBC dbc = SQL_NULL_HDBC;
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, henv, &dbc))) {
    snprintf(why, len, "cannot allocate a connection handle");
    return NULL;
  }
  SQLRETURN rc = SQLDriverConnect(dbc, NULL, (SQLCHAR *)cs, SQL_NTS, NULL, 0,
                                  NULL, SQL_DRIVER_NOPROMPT);
  if (!SQL_SUCCEEDED(rc)) {
    odbctest_diag(SQL_HANDLE_DBC, dbc, NULL, why, len);
    SQLFreeHandle(SQL_HANDLE_DBC, dbc);
    return NULL;
  }
  return dbc;
}

void odbctest_disconnect(SQLHDBC dbc) {
  SQLDisconnect(dbc);
  SQLFreeHandle(SQL_HANDLE_DBC, dbc);
}

bool odbctest_run(SQLHSTMT st, const char *sql, long *out, int n, char *state,
                  char *why, size_t len) {
  SQLRETURN rc = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
  if (n > 0 && SQL_SUCCEEDED(rc))
    rc = SQLFetch(st);
  for (int i = 0; i < n && SQL_SUCCEEDED(rc); i++) {
    SQLBIGINT v = 0;
    SQLLEN ind = 0;
    rc = SQLGetData(st, (SQLUSMALLINT)(i + 1), SQL_C_SBIGINT, &v, 0, &ind);
    out[i] = ind == SQL_NULL_DATA ? -1 : (long)v;
  }
  bool ok = SQL_SUCCEEDED(rc) || (n == 0 && rc == SQL_NO_DATA);
  if (!ok)
    odbctest_diag(SQL_HANDLE_STMT, st, state, why, len);
  return ok;
}

bool odbctest_query(SQLHDBC dbc, const char *sql, long *out, int n, char *state,
                    char *why, size_t len) {
  SQLHSTMT st = SQL_NULL_HSTMT;
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st))) {
    odbctest_diag(SQL_HANDLE_DBC, dbc, state, why, len);
    return false;
  }
  bool ok = odbctest_run(st, sql, out, n, state, why, len);
  SQLFreeHandle(SQL_HANDLE_STMT, st);
  return ok;
}

int odbctest_count_sockets(void) {
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL)
    return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    char path[300], target[64];
    snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
    ssize_t len = readlink(path, target, sizeof target - 1);
    if (len > 0) {
      target[len] = '\0';
      n += strncmp(target, "socket:", 7) == 0;
    }
  }
  closedir(d);
  return n;
}

void odbctest_stats_path(const char *pattern, char *path, size_t plen) {
  size_t o = 0;
  for (const char *c = pattern; *c && o + 24 < plen; c++) {
    if (c[0] == '%' && c[1] == 'p') {
      o += (size_t)snprintf(path + o, plen - o, "%ld", (long)getpid());
      c++;
    } else {
      path[o++] = *c;
    }
  }
  path[o] = '\0';
}

long odbctest_stats_sum(const char *path, const char *name) {
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return -1;
  char line[512];
  long sum = 0;
  size_t len = strlen(name);
  while (fgets(line, sizeof line, f)) {
    char *sp = strrchr(line, ' ');
    if (line[0] == '#' || sp == NULL)
      continue;
    if (strncmp(line, name, len) == 0 && line[len] == '{')
      sum += strtol(sp + 1, NULL, 10);
  }
  fclose(f);
  return sum;
}
