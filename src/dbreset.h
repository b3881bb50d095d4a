/* dbreset.h — the resets built in per database, and the baseline a
 * connection is reset to. */
#ifndef ODBCPOOL_DBRESET_H
#define ODBCPOOL_DBRESET_H

#include <stdbool.h>
#include <stddef.h>

#include <sql.h>

#include "config.h"
#include "odbcpool.h"
#include "util.h"

/* In a reset statement, stands for the connection's baseline: a derived
 * table of (k, v) text rows, the rows its \gbaseline statements returned
 * right after it was opened. Write it as a table: `FROM {{baseline}} AS b`. */
#define ODBCPOOL_BASELINE "{{baseline}}"
/* In a reset statement, {{baseline:KEY}} stands for the value of the
 * baseline row whose key is KEY, as a literal (NULL if there is none). */
#define ODBCPOOL_BASELINE_PREFIX "{{baseline:"
/* In a \gbaseline statement, {{dsn:KEY}} stands for a literal holding the
 * value of connection keyword KEY as the target driver reads it: from the
 * pool's connection string (braces removed, %XX decoded), else from the
 * target DSN's odbc.ini entry; NULL when neither has it. */
#define ODBCPOOL_DSN_PREFIX "{{dsn:"
/* {{dsn-raw:KEY}} is the same value as SQL text, not as a literal (empty
 * when absent): for keywords whose value is SQL the driver runs at
 * connect (psqlODBC's ConnSettings), to run it again. */
#define ODBCPOOL_DSN_RAW_PREFIX "{{dsn-raw:"
/* {{if:KEY}} expands to nothing, and drops the whole statement when the
 * baseline has no row KEY with a value: a statement only some connections
 * need (a disconnect of an extension that is installed). */
#define ODBCPOOL_IF_PREFIX "{{if:"

/* How a literal is written in the target's SQL. */
enum odbcpool__dialect {
  ODBCPOOL_DIALECT_STD,     /* 'text', quotes doubled (SQLite, others) */
  ODBCPOOL_DIALECT_PG,      /* $odbcpool_b$text$odbcpool_b$: immune to
                               standard_conforming_strings */
  ODBCPOOL_DIALECT_MARIADB, /* X'hex': immune to sql_mode */
};

/* A reset built in for one kind of database; its script is the shipped
 * data/reset/<name>.sql, compiled into the library. */
struct odbcpool__builtin {
  const char *name;         /* "postgresql", "mariadb", "sqlite" */
  const char *const *words; /* any of them in SQL_DBMS_NAME or a driver
                               name selects it, case-insensitively */
  enum odbcpool__dialect dialect;
  bool prepare;     /* prepare its statements once per connection, whatever
                       reset_prepare says: compiling them is most of the
                       reset's cost (SQLite) */
  const char *text; /* the script */
};

/* The built-in resets, and their number. */
extern const struct odbcpool__builtin odbcpool__builtins[];
extern const size_t odbcpool__nbuiltins;

/* The built-in reset for `name` (SQL_DBMS_NAME, or a driver's name or
 * library), or NULL if there is none. */
const struct odbcpool__builtin *odbcpool__builtin_match(const char *name);

/* The statements of `b`, parsed once per process (thread-safe). Returns
 * NULL, with *n = 0, only if the compiled-in script does not parse (a
 * build defect, logged). */
const struct cfg_stmt *
odbcpool__builtin_stmts(const struct odbcpool__builtin *b, size_t *n /* OUT */);

/* The dialect of a database, from its SQL_DBMS_NAME. */
enum odbcpool__dialect odbcpool__dialect_of(const char *dbms_name);

/* A connection's baseline rows, each stored as a flag byte ('N': value
 * NULL, 'V': value present), the key, NUL, the value, NUL. */
struct odbcpool__baseline {
  struct odbcpool__buf rows;
  size_t n;
};

/* Appends a row; `v` NULL is SQL NULL. Returns false on ENOMEM. */
bool odbcpool__baseline_add(struct odbcpool__baseline *b, const char *k,
                            const char *v);
/* Wipes and frees the rows. */
void odbcpool__baseline_free(struct odbcpool__baseline *b);

/* Looks up connection keyword `key` for {{dsn:KEY}}: returns a malloc'ed
 * value the caller wipes and frees, or NULL (absent, or ENOMEM with
 * *nomem set). */
typedef char *(*odbcpool__dsn_lookup)(void *ctx, const char *key, bool *nomem);

/* Writes `sql` with every {{baseline}} replaced by the baseline's derived
 * table, every {{baseline:KEY}} by the literal of that row's value, every
 * {{dsn:KEY}} by a literal of the keyword's value and {{dsn-raw:KEY}} by
 * the value itself, in `dialect`, to a malloc'ed string in *out (NULL
 * when `sql` has no placeholder; "" when an {{if:KEY}} drops it). `b` may
 * be NULL (an empty baseline); `lookup` may be NULL ({{dsn:...}} is then
 * NULL). Returns OK, ENOMEM, or EINVAL (an unterminated or unknown
 * placeholder, or a value the dialect cannot quote), with the reason in
 * err. */
int odbcpool__baseline_expand(const char *sql, enum odbcpool__dialect dialect,
                              const struct odbcpool__baseline *b,
                              odbcpool__dsn_lookup lookup, void *ctx,
                              char **out /* OUT */, odbcpool_error *err);

/* Reads column `col` of the current row of `st` as text, in pieces, into
 * *out (malloc'ed, NUL-terminated; NULL for SQL NULL). Returns false on a
 * driver error or ENOMEM. The caller wipes and frees. */
struct odbcpool__dm;
bool odbcpool__get_text(const struct odbcpool__dm *dm, SQLHSTMT st,
                        SQLUSMALLINT col, char **out /* OUT */);

/* Runs baseline statement `sql` on `hdbc` and appends its rows (first
 * column the key, second the value; a NULL key skips the row) to `b`.
 * Returns OK, or an error with the driver's diagnostics. */
int odbcpool__baseline_capture(SQLHDBC hdbc, const char *sql,
                               struct odbcpool__baseline *b,
                               odbcpool_error *err);

#endif /* ODBCPOOL_DBRESET_H */
