/* sqlsplit.h — the SQL script splitter: reset scripts (reset_script,
 * reset_sql, the built-in scripts) into statements, with the directives
 * \gexec, \gbaseline and \gbatch. */
#ifndef ODBCPOOL_SQLSPLIT_H
#define ODBCPOOL_SQLSPLIT_H

#include <stdbool.h>
#include <stddef.h>

#include "odbcpool.h"

/* One reset statement. With `gexec` set, each column of each row the
 * statement returns is itself executed as a statement (as psql's \gexec),
 * which is how a static script drops objects whose names it cannot know.
 * With `baseline` set (\gbaseline), the statement is not part of the
 * reset: it runs once, right after the connection is opened, and the
 * (key, value) rows it returns are the connection's baseline, which
 * ODBCPOOL_BASELINE in the reset statements stands for (see reset.h). */
struct cfg_stmt {
  char *sql;
  bool gexec;
  bool baseline;
  bool batch; /* \gbatch: sent with the statements after it, up to one that
                 ends otherwise, as one batch (one SQLExecDirect) */
};

/* Splits a reset script into statements: `;` ends a statement, `\gexec`
 * ends one whose results are statements; quotes ('', "", ``, $tag$), --
 * and (non-nested) block comments are respected; backslash escapes inside
 * quotes are not. Statements holding only whitespace and comments are
 * dropped, and leading comments and surrounding whitespace are trimmed.
 * Appends to *stmts (NULL, or an array grown by this function). On error
 * returns ODBCPOOL_ECONFIG (or ENOMEM) with "name:line: reason" in err and
 * leaves *nstmts and the existing statements as they were. */
int odbcpool__cfg_split_sql(const char *name, unsigned first_line,
                            const char *sql, size_t len,
                            struct cfg_stmt **stmts, size_t *nstmts,
                            odbcpool_error *err);

/* odbcpool__cfg_split_sql with the context of a config key: `key` (may be
 * NULL) and `suffix` (may be NULL) go into error messages ("name:line: key
 * 'k': reason (suffix)"). */
int odbcpool__sql_split(const char *name, const char *key, const char *suffix,
                        unsigned first_line, const char *sql, size_t len,
                        struct cfg_stmt **stmts, size_t *nstmts,
                        odbcpool_error *err);

#endif /* ODBCPOOL_SQLSPLIT_H */
