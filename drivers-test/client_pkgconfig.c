/* client_pkgconfig.c — a libodbcpool program built with nothing but
 * `cc $(pkg-config --cflags --libs odbcpool)`: it calls the ODBC API on
 * the borrowed handle, so it links only if odbcpool.pc brings -lodbc.
 * Borrows DSN "lite" of the config named by argv[1] twice (max_connections
 * = 1), and exits 0 if the second borrow got the same connection with the
 * first borrow's temp table erased. Run by drivers-test/packages.sh and
 * drivers-test/pkgconfig.sh. */
#include <odbcpool.h>
#include <stdio.h>
#include <string.h>

#define FAILED (-1000)

/* Runs `sql` on a tracked statement; a SELECT's first value, 0 for other
 * statements, FAILED on error. */
static long query(odbcpool_conn *c, const char *sql) {
  SQLHSTMT st;
  SQLINTEGER v = 0;
  SQLLEN ind = 0;

  if (odbcpool_stmt_alloc(c, &st) != ODBCPOOL_OK)
    return FAILED;
  if (!SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS)))
    return FAILED;
  if (strncmp(sql, "SELECT", 6) == 0 &&
      (!SQL_SUCCEEDED(SQLFetch(st)) ||
       !SQL_SUCCEEDED(SQLGetData(st, 1, SQL_C_SLONG, &v, 0, &ind))))
    return FAILED;
  odbcpool_stmt_free(c, st);
  return v;
}

int main(int argc, char **argv) {
  odbcpool_set *set;
  odbcpool_conn *c;
  odbcpool_error err;
  uint64_t first;
  long n;

  if (argc != 2 || odbcpool_open(argv[1], &set, &err) != ODBCPOOL_OK) {
    fprintf(stderr, "open: %s\n", argc == 2 ? err.message : "usage");
    return 1;
  }
  if (odbcpool_borrow(set, "lite", NULL, &c, &err) != ODBCPOOL_OK) {
    fprintf(stderr, "borrow: %s %s\n", err.sqlstate, err.message);
    return 1;
  }
  first = odbcpool_conn_id(c);
  if ((n = query(c, "CREATE TEMP TABLE secret(x)")) != 0 ||
      (n = query(c, "SELECT 6 * 7")) != 42) {
    fprintf(stderr, "first borrow: %ld: %s\n", n, odbcpool_errmsg(c));
    return 1;
  }
  odbcpool_return(c);
  if (odbcpool_borrow(set, "lite", NULL, &c, &err) != ODBCPOOL_OK) {
    fprintf(stderr, "borrow: %s %s\n", err.sqlstate, err.message);
    return 1;
  }
  n = query(c, "SELECT count(*) FROM sqlite_temp_master");
  printf("same connection: %s; temp tables left: %ld\n",
         odbcpool_conn_id(c) == first ? "yes" : "no", n);
  odbcpool_return(c);
  odbcpool_close(set);
  return n == 0 ? 0 : 1;
}
