/* sqlsplit.c — the SQL script splitter: a reset script into statements,
 * with quotes, comments, dollar quoting and the directives \gexec,
 * \gbaseline and \gbatch (see sqlsplit.h). */
#include "build.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_impl.h"
#include "sqlsplit.h"

/* ------------------------------------------------------------ splitting */

static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

static bool is_ident(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || (unsigned char)c >= 0x80;
}

/* Appends sql[start, end) with trailing whitespace trimmed. */
static int push_stmt(struct cfg_stmt **stmts, size_t *n, const char *sql,
                     size_t start, size_t end, bool gexec, bool baseline,
                     bool batch) {
  struct cfg_stmt *v = *stmts;
  char *copy;

  while (end > start && is_space(sql[end - 1]))
    end--;
  /* Capacity is the next power of two, so it need not be stored. */
  if (*n == 0 || (*n >= 4 && (*n & (*n - 1)) == 0)) {
    size_t cap = *n < 4 ? 4 : *n * 2;

    if (cap > SIZE_MAX / sizeof *v)
      return ODBCPOOL_ENOMEM;
    v = realloc(v, cap * sizeof *v);
    if (!v)
      return ODBCPOOL_ENOMEM;
    *stmts = v;
  }
  copy = malloc(end - start + 1);
  if (!copy)
    return ODBCPOOL_ENOMEM;
  memcpy(copy, sql + start, end - start);
  copy[end - start] = '\0';
  v[*n].sql = copy;
  v[*n].gexec = gexec;
  v[*n].baseline = baseline;
  v[*n].batch = batch;
  (*n)++;
  return ODBCPOOL_OK;
}

/* Counts the newlines in sql[from, to). */
static unsigned count_lines(const char *sql, size_t from, size_t to) {
  unsigned n = 0;

  for (size_t i = from; i < to; i++)
    n += sql[i] == '\n';
  return n;
}

/* The splitter behind odbcpool__cfg_split_sql; `key` (may be NULL) and
 * `suffix` (may be NULL) go into error messages. */
int odbcpool__sql_split(const char *name, const char *key, const char *suffix,
                        unsigned first_line, const char *sql, size_t len,
                        struct cfg_stmt **stmts, size_t *nstmts,
                        odbcpool_error *err) {
  const size_t none = SIZE_MAX;
  size_t n0 = *nstmts, start = none, i = 0;
  unsigned line = first_line;
  const char *nul = memchr(sql, '\0', len);
  int rc;

  if (nul)
    return odbcpool__cfg_emsg(err, ODBCPOOL_ECONFIG, name,
                              first_line +
                                  count_lines(sql, 0, (size_t)(nul - sql)),
                              key, suffix, "NUL byte");
  while (i < len) {
    char c = sql[i];
    size_t j;

    if (c == '\n') {
      line++;
      i++;
    } else if (is_space(c)) {
      i++;
    } else if (c == '-' && i + 1 < len && sql[i + 1] == '-') {
      while (i < len && sql[i] != '\n')
        i++;
    } else if (c == '/' && i + 1 < len && sql[i + 1] == '*') {
      for (j = i + 2; j + 1 < len; j++)
        if (sql[j] == '*' && sql[j + 1] == '/')
          break;
      if (j + 1 >= len) {
        rc = odbcpool__cfg_emsg(err, ODBCPOOL_ECONFIG, name, line, key, suffix,
                                "unterminated /* comment");
        goto fail;
      }
      line += count_lines(sql, i, j);
      i = j + 2;
    } else if (c == '\'' || c == '"' || c == '`') {
      /* A doubled quote inside is the quote character itself. */
      for (j = i + 1; j < len; j++) {
        if (sql[j] == c) {
          if (j + 1 < len && sql[j + 1] == c)
            j++;
          else
            break;
        }
      }
      if (j >= len) {
        rc = odbcpool__cfg_emsg(err, ODBCPOOL_ECONFIG, name, line, key, suffix,
                                "unterminated %c quote", c);
        goto fail;
      }
      if (start == none)
        start = i;
      line += count_lines(sql, i, j);
      i = j + 1;
    } else if (c == '$' && (i == 0 || !is_ident(sql[i - 1]))) {
      /* PostgreSQL dollar quote: $$...$$ or $tag$...$tag$. */
      size_t t = i + 1, taglen;

      while (t < len && is_ident(sql[t]) &&
             !(t == i + 1 && sql[t] >= '0' && sql[t] <= '9'))
        t++;
      if (start == none)
        start = i;
      if (t >= len || sql[t] != '$') {
        i++; /* a plain '$' ($1 parameter, or part of a word) */
        continue;
      }
      taglen = t + 1 - i;
      for (j = t + 1; j + taglen <= len; j++)
        if (sql[j] == '$' && memcmp(sql + j, sql + i, taglen) == 0)
          break;
      if (j + taglen > len) {
        rc = odbcpool__cfg_emsg(err, ODBCPOOL_ECONFIG, name, line, key, suffix,
                                "unterminated %.*s quote",
                                (int)(taglen > 64 ? 64 : taglen), sql + i);
        goto fail;
      }
      line += count_lines(sql, i, j);
      i = j + taglen;
    } else if (c == ';') {
      if (start != none) {
        rc = push_stmt(stmts, nstmts, sql, start, i, false, false, false);
        if (rc != ODBCPOOL_OK)
          goto nomem;
        start = none;
      }
      i++;
    } else if (c == '\\') {
      static const char *const cmds[] = {"\\gexec", "\\gbaseline", "\\gbatch"};
      size_t k, glen = 0;

      for (k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
        glen = strlen(cmds[k]);
        if (len - i >= glen && memcmp(sql + i, cmds[k], glen) == 0 &&
            (len - i == glen || is_space(sql[i + glen]) ||
             sql[i + glen] == ';'))
          break;
      }
      if (k == sizeof cmds / sizeof cmds[0]) {
        rc = odbcpool__cfg_emsg(err, ODBCPOOL_ECONFIG, name, line, key, suffix,
                                "unsupported backslash command (only \\gexec, "
                                "\\gbaseline and \\gbatch are known)");
        goto fail;
      }
      if (start == none) {
        rc = odbcpool__cfg_emsg(err, ODBCPOOL_ECONFIG, name, line, key, suffix,
                                "%s without a statement before it", cmds[k]);
        goto fail;
      }
      rc = push_stmt(stmts, nstmts, sql, start, i, k == 0, k == 1, k == 2);
      if (rc != ODBCPOOL_OK)
        goto nomem;
      start = none;
      i += glen;
    } else {
      if (start == none)
        start = i;
      i++;
    }
  }
  if (start != none) {
    rc = push_stmt(stmts, nstmts, sql, start, len, false, false, false);
    if (rc != ODBCPOOL_OK)
      goto nomem;
  }
  return ODBCPOOL_OK;

nomem:
  rc = odbcpool__cfg_enomem(err);
fail:
  while (*nstmts > n0)
    free((*stmts)[--*nstmts].sql);
  return rc;
}

int odbcpool__cfg_split_sql(const char *name, unsigned first_line,
                            const char *sql, size_t len,
                            struct cfg_stmt **stmts, size_t *nstmts,
                            odbcpool_error *err) {
  return odbcpool__sql_split(name, NULL, NULL, first_line, sql, len, stmts,
                             nstmts, err);
}
