/* config_check.c — what the parser does after the last line, and how it
 * collects problems: table defaults and inheritance into the DSN
 * sections, the checks across keys, the reset statements (reset_script
 * read and split, reset_sql split) and the purposes. */
#include "build.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_impl.h"
#include "sqlsplit.h"

/* In collect mode, records the ECONFIG error just written to p->err and
 * returns OK so that parsing goes on; any other code, or any code outside
 * collect mode, is returned as it is. */
int odbcpool__cfg_note(struct parser *p, int rc) {
  struct cfg_problems *pr = p->probs;
  char *m;

  if (rc != ODBCPOOL_ECONFIG || pr == NULL)
    return rc;
  if (pr->n + pr->more == 0)
    p->first = *p->err;
  if (pr->n == CFG_MAX_PROBLEMS) {
    pr->more++;
    return ODBCPOOL_OK;
  }
  m = strdup(p->err->message);
  if (m == NULL)
    return odbcpool__cfg_enomem(p->err);
  pr->msg[pr->n++] = m;
  return ODBCPOOL_OK;
}

/* Whether `v` is a destination src/log.c understands: syslog, stderr,
 * none or an absolute path. */
static bool log_valid(const char *v) {
  return strcmp(v, "syslog") == 0 || strcmp(v, "stderr") == 0 ||
         strcmp(v, "none") == 0 || v[0] == '/';
}

/* Loads the reset statements of `pool`: its script, then its reset_sql. */
static int load_reset(struct parser *p, struct cfg_pool *pool,
                      const struct sec *sec) {
  size_t iscript = 0, isql = 0;
  char ctx[256];
  int rc;

  odbcpool__cfg_find_setting("reset_script", &iscript);
  odbcpool__cfg_find_setting("reset_sql", &isql);
  if (pool->reset_script) {
    unsigned kline = sec->keyline[iscript];
    char *buf;
    size_t len;
    int e =
        odbcpool__cfg_read_all(pool->reset_script, CFG_MAX_SCRIPT, &buf, &len);

    if (e == ENOMEM)
      return odbcpool__cfg_enomem(p->err);
    if (e == EFBIG)
      return odbcpool__cfg_emsg(
          p->err, ODBCPOOL_ECONFIG, p->name, kline, "reset_script", NULL,
          "'%s' is larger than 1 MiB", pool->reset_script);
    if (e)
      return odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name, kline,
                                "reset_script", NULL, "cannot read '%s': %s",
                                pool->reset_script,
                                odbcpool__cfg_read_error(e));
    snprintf(ctx, sizeof ctx, "reset_script of [%s] at %s:%u",
             pool->dsn ? pool->dsn : "defaults", p->name, kline);
    rc = odbcpool__sql_split(pool->reset_script, NULL, ctx, 1, buf, len,
                             &pool->reset, &pool->nreset, p->err);
    free(buf);
    if (rc != ODBCPOOL_OK)
      return rc;
  }
  if (pool->reset_sql)
    return odbcpool__sql_split(p->name, "reset_sql", NULL, sec->keyline[isql],
                               pool->reset_sql, strlen(pool->reset_sql),
                               &pool->reset, &pool->nreset, p->err);
  return ODBCPOOL_OK;
}

/* Splits `purposes` into names: letters, digits, '.', '_', '-', at most
 * 63 bytes each, separated by commas and blanks; no empty name, no
 * duplicate, at most 64. */
static int parse_purposes(struct parser *p, struct cfg_pool *pool,
                          const struct sec *sec) {
  size_t ikey = 0;
  odbcpool__cfg_find_setting("purposes", &ikey);
  unsigned line = sec->keyline[ikey] ? sec->keyline[ikey] : pool->line;
  if (pool->purposes == NULL)
    return ODBCPOOL_OK;
  const char *s = pool->purposes;
  while (*s) {
    while (*s == ' ' || *s == '\t')
      s++;
    const char *b = s;
    while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
           (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-')
      s++;
    size_t n = (size_t)(s - b);
    while (*s == ' ' || *s == '\t')
      s++;
    if (n == 0 || (*s != ',' && *s != '\0'))
      return odbcpool__cfg_emsg(
          p->err, ODBCPOOL_ECONFIG, p->name, line, "purposes", NULL,
          "a purpose is a non-empty name of letters, digits, '.', "
          "'_' and '-', separated by commas");
    if (n > 63)
      return odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name, line,
                                "purposes", NULL,
                                "a purpose is at most 63 bytes");
    for (size_t i = 0; i < pool->npurposes; i++)
      if (strlen(pool->purpose[i]) == n && memcmp(pool->purpose[i], b, n) == 0)
        return odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name, line,
                                  "purposes", NULL,
                                  "purpose '%.*s' is listed twice", (int)n, b);
    if (pool->npurposes == 64)
      return odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name, line,
                                "purposes", NULL, "more than 64 purposes");
    char **v = realloc(pool->purpose, (pool->npurposes + 1) * sizeof *v);
    if (v == NULL)
      return odbcpool__cfg_enomem(p->err);
    pool->purpose = v;
    if ((v[pool->npurposes] = strndup(b, n)) == NULL)
      return odbcpool__cfg_enomem(p->err);
    pool->npurposes++;
    if (*s == ',')
      s++;
    if (*s == '\0' && s[-1] == ',')
      return odbcpool__cfg_emsg(
          p->err, ODBCPOOL_ECONFIG, p->name, line, "purposes", NULL,
          "a purpose is a non-empty name of letters, digits, '.', "
          "'_' and '-', separated by commas");
  }
  return ODBCPOOL_OK;
}

bool odbcpool__cfg_purpose_allowed(const struct cfg_pool *pool,
                                   const char *purpose) {
  bool none = purpose == NULL || *purpose == '\0';
  if (none)
    return !pool->require_purpose;
  if (pool->npurposes == 0)
    return true;
  for (size_t i = 0; i < pool->npurposes; i++)
    if (strcmp(pool->purpose[i], purpose) == 0)
      return true;
  return false;
}

/* `reset` against reset_script and reset_sql: custom needs one of them,
 * none allows neither (an operator who wrote a script and none would
 * believe the script runs). */
static int check_reset(struct parser *p, const struct cfg_pool *pool,
                       const struct sec *sec) {
  size_t ireset = 0;
  const char *where = pool->dsn ? pool->dsn : "defaults";
  bool statements = pool->reset_script != NULL || pool->reset_sql != NULL;

  odbcpool__cfg_find_setting("reset", &ireset);
  if (pool->reset_mode == CFG_RESET_CUSTOM && !statements)
    return odbcpool__cfg_emsg(
        p->err, ODBCPOOL_ECONFIG, p->name,
        sec->keyline[ireset] ? sec->keyline[ireset] : pool->line, "reset", NULL,
        "[%s]: reset = custom needs reset_script or reset_sql", where);
  if (pool->reset_mode == CFG_RESET_NONE && statements)
    return odbcpool__cfg_emsg(
        p->err, ODBCPOOL_ECONFIG, p->name,
        sec->keyline[ireset] ? sec->keyline[ireset] : pool->line, "reset", NULL,
        "[%s]: reset = none runs no reset statements, but "
        "reset_script or reset_sql is set (write reset = custom to "
        "run only those, or auto to run them after the built-in "
        "reset)",
        where);
  return ODBCPOOL_OK;
}

/* Applies table defaults to [defaults], inheritance to the DSN sections,
 * cross-key checks, and loads the reset statements. */
int odbcpool__cfg_finish(struct parser *p) {
  struct cfg *cfg = p->cfg;
  int rc;

  for (size_t i = 0; i < CFG_NSET; i++) {
    const struct cfg_setting *s = &odbcpool__cfg_settings[i];
    void *dst = odbcpool__cfg_value_ptr(cfg, &cfg->defaults, s);
    char why[256];

    if (p->secs[0].keyline[i])
      continue;
    if (odbcpool__cfg_is_text(s)) {
      assert(s->def == NULL);
      *(char **)dst = NULL;
    } else if (!odbcpool__cfg_convert(s, s->def, dst, why, sizeof why)) {
      assert(!"bad default in the settings table");
      return odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, "settings table", 0,
                                s->name, NULL, "%s", why);
    }
  }
  for (size_t k = 0; k < cfg->npools; k++) {
    struct cfg_pool *pool = &cfg->pools[k];
    struct sec *sec = &p->secs[k + 1];

    for (size_t i = 0; i < CFG_NSET; i++) {
      const struct cfg_setting *s = &odbcpool__cfg_settings[i];
      void *dst, *src;

      if (s->defaults_only || sec->keyline[i])
        continue;
      sec->keyline[i] = p->secs[0].keyline[i];
      dst = odbcpool__cfg_value_ptr(cfg, pool, s);
      src = odbcpool__cfg_value_ptr(cfg, &cfg->defaults, s);
      if (s->type == CFG_BOOL) {
        *(bool *)dst = *(bool *)src;
      } else if (!odbcpool__cfg_is_text(s)) {
        *(long *)dst = *(long *)src;
      } else if (*(char **)src) {
        *(char **)dst = strdup(*(char **)src);
        if (!*(char **)dst)
          return odbcpool__cfg_enomem(p->err);
      }
    }
  }
  for (size_t k = 0; k <= cfg->npools; k++) {
    struct cfg_pool *pool = pool_at(p, k);

    if (pool->min_idle > pool->max_connections) {
      rc = odbcpool__cfg_note(
          p, odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name, pool->line,
                                NULL, NULL,
                                "[%s]: min_idle (%ld) is greater than "
                                "max_connections (%ld)",
                                pool->dsn ? pool->dsn : "defaults",
                                pool->min_idle, pool->max_connections));
      if (rc != ODBCPOOL_OK)
        return rc;
    }
    rc = odbcpool__cfg_note(p, load_reset(p, pool, &p->secs[k]));
    if (rc != ODBCPOOL_OK)
      return rc;
    rc = odbcpool__cfg_note(p, check_reset(p, pool, &p->secs[k]));
    if (rc != ODBCPOOL_OK)
      return rc;
    rc = odbcpool__cfg_note(p, parse_purposes(p, pool, &p->secs[k]));
    if (rc != ODBCPOOL_OK)
      return rc;
    if ((pool->credentials == NULL) != (pool->credentials_key == NULL)) {
      rc = odbcpool__cfg_note(
          p, odbcpool__cfg_emsg(
                 p->err, ODBCPOOL_ECONFIG, p->name, pool->line, NULL, NULL,
                 "[%s]: credentials and credentials_key go together",
                 pool->dsn ? pool->dsn : "defaults"));
      if (rc != ODBCPOOL_OK)
        return rc;
    }
  }
  if (cfg->log != NULL && !log_valid(cfg->log))
    return odbcpool__cfg_emsg(
        p->err, ODBCPOOL_ECONFIG, p->name, cfg->defaults.line, "log", NULL,
        "'%.64s' is not syslog, stderr, none or an absolute path", cfg->log);
  if ((cfg->audit_path != NULL || cfg->audit_syslog) &&
      cfg->audit_key_file == NULL)
    return odbcpool__cfg_note(
        p, odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name,
                              cfg->audit_line, NULL, NULL,
                              "[audit]: key_file is required to write an audit "
                              "log"));
  if (cfg->audit_pseudonym_period % 86400000L != 0)
    return odbcpool__cfg_note(
        p, odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name,
                              cfg->audit_line, "pseudonym_period", NULL,
                              "must be whole days (e.g. 30d), or 0"));
  return ODBCPOOL_OK;
}
