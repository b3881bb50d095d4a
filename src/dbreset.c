/* dbreset.c — the resets built in per database, and the baseline a
 * connection is reset to. */
#include "build.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "dbreset.h"
#include "dm.h"
#include "error.h"
#include "log.h"
#include "util.h"

/* The shipped scripts, compiled in by the build (src/reset_scripts.c is
 * generated from data/reset/ *.sql). */
extern const char odbcpool__reset_text_postgresql[];
extern const char odbcpool__reset_text_mariadb[];
extern const char odbcpool__reset_text_sqlite[];

static const char *const pg_words[] = {"postgres", "psqlodbc", NULL};
static const char *const maria_words[] = {"mariadb", "mysql", "maodbc", NULL};
static const char *const sqlite_words[] = {"sqlite", NULL};

const struct odbcpool__builtin odbcpool__builtins[] = {
    /* Not prepared: the reset's DEALLOCATE ALL would drop it. */
    {"postgresql", pg_words, ODBCPOOL_DIALECT_PG, false,
     odbcpool__reset_text_postgresql},
    {"mariadb", maria_words, ODBCPOOL_DIALECT_MARIADB, false,
     odbcpool__reset_text_mariadb},
    {"sqlite", sqlite_words, ODBCPOOL_DIALECT_STD, true,
     odbcpool__reset_text_sqlite},
};

#define NBUILTINS (sizeof odbcpool__builtins / sizeof odbcpool__builtins[0])

const size_t odbcpool__nbuiltins = NBUILTINS;

/* Parsed statements of each built-in, filled once. */
static struct {
  struct cfg_stmt *stmts;
  size_t n;
} parsed[NBUILTINS];
static pthread_once_t parse_once = PTHREAD_ONCE_INIT;

static void parse_all(void) {
  for (size_t i = 0; i < NBUILTINS; i++) {
    const struct odbcpool__builtin *b = &odbcpool__builtins[i];
    char name[64];
    odbcpool_error err;
    snprintf(name, sizeof name, "built-in %s reset", b->name);
    if (odbcpool__cfg_split_sql(name, 1, b->text, strlen(b->text),
                                &parsed[i].stmts, &parsed[i].n,
                                &err) != ODBCPOOL_OK) {
      odbcpool__log(ODBCPOOL_LOG_ERROR, "%s", err.message);
      parsed[i].stmts = NULL;
      parsed[i].n = 0;
    }
  }
}

const struct cfg_stmt *
odbcpool__builtin_stmts(const struct odbcpool__builtin *b, size_t *n) {
  pthread_once(&parse_once, parse_all);
  size_t i = (size_t)(b - odbcpool__builtins);
  *n = i < NBUILTINS ? parsed[i].n : 0;
  return i < NBUILTINS ? parsed[i].stmts : NULL;
}

/* strcasestr without _GNU_SOURCE's guarantees. */
static bool contains_word(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (const char *p = hay; *p; p++)
    if (strncasecmp(p, needle, n) == 0)
      return true;
  return false;
}

const struct odbcpool__builtin *odbcpool__builtin_match(const char *name) {
  if (name == NULL)
    return NULL;
  for (size_t i = 0; i < NBUILTINS; i++)
    for (const char *const *w = odbcpool__builtins[i].words; *w; w++)
      if (contains_word(name, *w))
        return &odbcpool__builtins[i];
  return NULL;
}

enum odbcpool__dialect odbcpool__dialect_of(const char *dbms_name) {
  const struct odbcpool__builtin *b = odbcpool__builtin_match(dbms_name);
  return b ? b->dialect : ODBCPOOL_DIALECT_STD;
}

/* ------------------------------------------------------------ baseline */

bool odbcpool__baseline_add(struct odbcpool__baseline *b, const char *k,
                            const char *v) {
  odbcpool__buf_append(&b->rows, v ? "V" : "N", 1);
  odbcpool__buf_append(&b->rows, k, strlen(k) + 1);
  odbcpool__buf_append(&b->rows, v ? v : "", (v ? strlen(v) : 0) + 1);
  if (b->rows.failed)
    return false;
  b->n++;
  return true;
}

void odbcpool__baseline_free(struct odbcpool__baseline *b) {
  if (b == NULL)
    return;
  odbcpool__buf_wipe(&b->rows);
  b->n = 0;
}

/* Tag of PostgreSQL dollar quotes; a value holding it is refused. */
#define PG_TAG "$odbcpool_b$"

/* Appends `v` (NULL: SQL NULL) as a literal of `d`. Returns false if the
 * value cannot be quoted (a PostgreSQL value holding the tag). */
static bool put_literal(struct odbcpool__buf *out, enum odbcpool__dialect d,
                        const char *v) {
  static const char hex[] = "0123456789ABCDEF";
  if (v == NULL) {
    odbcpool__buf_puts(out, "NULL");
    return true;
  }
  switch (d) {
  case ODBCPOOL_DIALECT_PG:
    if (strstr(v, PG_TAG) != NULL)
      return false;
    odbcpool__buf_puts(out, PG_TAG);
    odbcpool__buf_puts(out, v);
    odbcpool__buf_puts(out, PG_TAG);
    return true;
  case ODBCPOOL_DIALECT_MARIADB:
    odbcpool__buf_puts(out, "X'");
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
      char two[2] = {hex[*p >> 4], hex[*p & 15]};
      odbcpool__buf_append(out, two, 2);
    }
    odbcpool__buf_puts(out, "'");
    return true;
  case ODBCPOOL_DIALECT_STD:
    break;
  }
  odbcpool__buf_puts(out, "'");
  for (const char *p = v; *p; p++) {
    const char *q = strchr(p, '\'');
    if (q == NULL) {
      odbcpool__buf_puts(out, p);
      break;
    }
    odbcpool__buf_append(out, p, (size_t)(q - p));
    odbcpool__buf_puts(out, "''");
    p = q;
  }
  odbcpool__buf_puts(out, "'");
  return true;
}

/* Finds the row of `b` whose key is key[0, klen): true with *v its value
 * (NULL for SQL NULL), false if there is none. */
static bool baseline_find(const struct odbcpool__baseline *b, const char *key,
                          size_t klen, const char **v) {
  const char *p = b ? b->rows.data : NULL;
  for (size_t i = 0; b && i < b->n; i++) {
    bool null = *p == 'N';
    const char *k = p + 1;
    const char *val = k + strlen(k) + 1;
    if (strlen(k) == klen && memcmp(k, key, klen) == 0) {
      *v = null ? NULL : val;
      return true;
    }
    p = val + strlen(val) + 1;
  }
  return false;
}

/* Appends the derived table of the baseline's rows. */
static bool put_table(struct odbcpool__buf *out, enum odbcpool__dialect d,
                      const struct odbcpool__baseline *b) {
  if (b == NULL || b->n == 0) {
    /* Typed by context in every dialect; no row. */
    odbcpool__buf_puts(out, "(SELECT NULL AS k, NULL AS v FROM (SELECT 1 AS z) "
                            "AS odbcpool_z WHERE 1 = 0)");
    return true;
  }
  odbcpool__buf_puts(out, "(");
  const char *p = b->rows.data;
  for (size_t i = 0; i < b->n; i++) {
    bool null = *p == 'N';
    const char *k = p + 1;
    const char *v = k + strlen(k) + 1;
    odbcpool__buf_puts(out, i ? " UNION ALL SELECT " : "SELECT ");
    if (!put_literal(out, d, k))
      return false;
    odbcpool__buf_puts(out, i ? ", " : " AS k, ");
    if (!put_literal(out, d, null ? NULL : v))
      return false;
    if (i == 0)
      odbcpool__buf_puts(out, " AS v");
    p = v + strlen(v) + 1;
  }
  odbcpool__buf_puts(out, ")");
  return true;
}

int odbcpool__baseline_expand(const char *sql, enum odbcpool__dialect dialect,
                              const struct odbcpool__baseline *b,
                              odbcpool__dsn_lookup lookup, void *ctx,
                              char **out, odbcpool_error *err) {
  *out = NULL;
  if (strstr(sql, "{{") == NULL)
    return ODBCPOOL_OK;
  struct odbcpool__buf buf = {0};
  const char *p = sql;
  const char *why = NULL;
  bool dropped = false;
  for (;;) {
    const char *open = strstr(p, "{{");
    if (open == NULL) {
      odbcpool__buf_puts(&buf, p);
      break;
    }
    odbcpool__buf_append(&buf, p, (size_t)(open - p));
    const char *close = strstr(open, "}}");
    if (close == NULL) {
      why = "'{{' without '}}'";
      break;
    }
    size_t n = (size_t)(close + 2 - open);
    const size_t plen = sizeof ODBCPOOL_DSN_PREFIX - 1;
    const size_t rlen = sizeof ODBCPOOL_DSN_RAW_PREFIX - 1;
    const size_t ilen = sizeof ODBCPOOL_IF_PREFIX - 1;
    const size_t blen = sizeof ODBCPOOL_BASELINE_PREFIX - 1;
    if (n == sizeof ODBCPOOL_BASELINE - 1 &&
        memcmp(open, ODBCPOOL_BASELINE, n) == 0) {
      if (!put_table(&buf, dialect, b)) {
        why = "a baseline value holds the quote tag " PG_TAG;
        break;
      }
    } else if (n > blen + 2 &&
               memcmp(open, ODBCPOOL_BASELINE_PREFIX, blen) == 0) {
      const char *v = NULL;
      bool found = baseline_find(b, open + blen, n - blen - 2, &v);
      if (!put_literal(&buf, dialect, found ? v : NULL)) {
        why = "a baseline value holds the quote tag " PG_TAG;
        break;
      }
    } else if (n > ilen + 2 && memcmp(open, ODBCPOOL_IF_PREFIX, ilen) == 0) {
      const char *v = NULL;
      if (!baseline_find(b, open + ilen, n - ilen - 2, &v) || v == NULL)
        dropped = true;
    } else if ((n > plen + 2 && memcmp(open, ODBCPOOL_DSN_PREFIX, plen) == 0) ||
               (n > rlen + 2 &&
                memcmp(open, ODBCPOOL_DSN_RAW_PREFIX, rlen) == 0)) {
      bool raw = memcmp(open, ODBCPOOL_DSN_RAW_PREFIX, rlen) == 0;
      size_t pre = raw ? rlen : plen;
      char key[128];
      size_t klen = n - pre - 2;
      if (klen >= sizeof key) {
        why = "{{dsn:KEY}} with a key longer than 127 bytes";
        break;
      }
      memcpy(key, open + pre, klen);
      key[klen] = '\0';
      bool nomem = false;
      char *v = lookup ? lookup(ctx, key, &nomem) : NULL;
      if (nomem) {
        buf.failed = true;
        break;
      }
      bool ok = true;
      if (raw)
        odbcpool__buf_puts(&buf, v ? v : "");
      else
        ok = put_literal(&buf, dialect, v);
      odbcpool__wipe_free(v);
      if (!ok) {
        why = "a connection keyword's value holds the quote tag " PG_TAG;
        break;
      }
    } else {
      why = "unknown placeholder (only {{baseline}}, {{baseline:KEY}}, "
            "{{if:KEY}}, {{dsn:KEY}} and {{dsn-raw:KEY}} are known)";
      break;
    }
    p = close + 2;
  }
  if (why != NULL) {
    odbcpool__buf_wipe(&buf);
    return odbcpool__err(err, ODBCPOOL_EINVAL, "HY000",
                         "cannot expand a reset statement: %s", why);
  }
  if (buf.failed) {
    odbcpool__buf_wipe(&buf);
    return odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
  }
  if (dropped) {
    odbcpool__buf_wipe(&buf);
    *out = calloc(1, 1);
    return *out ? ODBCPOOL_OK
                : odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
  }
  /* A statement that expanded to nothing at all is dropped too. */
  if (buf.data == NULL) {
    *out = calloc(1, 1);
    return *out ? ODBCPOOL_OK
                : odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
  }
  *out = buf.data;
  return ODBCPOOL_OK;
}

/* Reads column `col` of the current row as text into *out (malloc'ed;
 * NULL for SQL NULL). Returns false on a driver error or ENOMEM. */
bool odbcpool__get_text(const struct odbcpool__dm *dm, SQLHSTMT st,
                        SQLUSMALLINT col, char **out) {
  struct odbcpool__buf val = {0};
  *out = NULL;
  for (;;) {
    char piece[1024];
    SQLLEN ind = 0;
    SQLRETURN rc =
        dm->SQLGetData(st, col, SQL_C_CHAR, piece, sizeof piece, &ind);
    if (rc == SQL_NO_DATA)
      break;
    if (!SQL_SUCCEEDED(rc)) {
      odbcpool__buf_wipe(&val);
      return false;
    }
    if (ind == SQL_NULL_DATA) {
      odbcpool__buf_wipe(&val);
      return true;
    }
    size_t n = (ind == SQL_NO_TOTAL || ind >= (SQLLEN)sizeof piece)
                   ? sizeof piece - 1
                   : (size_t)ind;
    odbcpool__buf_append(&val, piece, n);
    OPENSSL_cleanse(piece, sizeof piece);
    if (rc == SQL_SUCCESS)
      break;
  }
  odbcpool__buf_append(&val, "", 0);
  if (val.failed) {
    odbcpool__buf_wipe(&val);
    return false;
  }
  /* An empty value still needs its NUL. */
  if (val.data == NULL) {
    val.data = calloc(1, 1);
    if (val.data == NULL)
      return false;
  }
  *out = val.data;
  return true;
}

int odbcpool__baseline_capture(SQLHDBC hdbc, const char *sql,
                               struct odbcpool__baseline *b,
                               odbcpool_error *err) {
  SQLHSTMT st;
  const struct odbcpool__dm *dm = odbcpool__dm_stmt(hdbc, &st, err);
  if (dm == NULL)
    return err->code;
  int code = ODBCPOOL_OK;
  SQLRETURN rc = dm->SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
  if (!SQL_SUCCEEDED(rc) && rc != SQL_NO_DATA) {
    code = odbcpool__err_odbc(err, ODBCPOOL_EODBC, SQL_HANDLE_STMT, st,
                              "baseline statement failed");
    goto out;
  }
  SQLSMALLINT ncols = 0;
  if (rc != SQL_NO_DATA && SQL_SUCCEEDED(dm->SQLNumResultCols(st, &ncols)) &&
      ncols < 2) {
    code = odbcpool__err(err, ODBCPOOL_EODBC, "HY000",
                         "a baseline statement must return two columns "
                         "(key, value)");
    goto out;
  }
  while (rc != SQL_NO_DATA && ncols >= 2 &&
         (rc = dm->SQLFetch(st)) != SQL_NO_DATA) {
    if (!SQL_SUCCEEDED(rc)) {
      code = odbcpool__err_odbc(err, ODBCPOOL_EODBC, SQL_HANDLE_STMT, st,
                                "cannot fetch a baseline row");
      goto out;
    }
    char *k = NULL, *v = NULL;
    if (!odbcpool__get_text(dm, st, 1, &k) ||
        !odbcpool__get_text(dm, st, 2, &v)) {
      free(k);
      odbcpool__wipe_free(v);
      code = odbcpool__err_odbc(err, ODBCPOOL_EODBC, SQL_HANDLE_STMT, st,
                                "cannot read a baseline row");
      goto out;
    }
    bool ok = k == NULL || odbcpool__baseline_add(b, k, v);
    free(k);
    odbcpool__wipe_free(v);
    if (!ok) {
      code = odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
      goto out;
    }
  }
out:
  dm->SQLFreeHandle(SQL_HANDLE_STMT, st);
  return code;
}
