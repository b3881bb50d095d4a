/* config.c — the pool config file (odbcpool.ini): reading it, lines,
 * sections and keys; the load and parse entry points; freeing. The
 * settings table is in config_settings.c, value conversion in
 * config_value.c, the checks after the last line in config_check.c, the
 * SQL script splitter in sqlsplit.c. */
#include "build.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_impl.h"
#include "error.h"
#include "util.h"

/* ------------------------------------------------------------- messages */

int odbcpool__cfg_emsg(odbcpool_error *err, int code, const char *name,
                       unsigned line, const char *key, const char *suffix,
                       const char *fmt, ...) {
  char reason[512], where[32] = "";
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  if (line)
    snprintf(where, sizeof where, ":%u", line);
  return odbcpool__err(err, code, CFG_SQLSTATE, "%s%s: %s%.64s%s%s%s%s%s", name,
                       where, key ? "key '" : "", key ? key : "",
                       key ? "': " : "", reason, suffix ? " (" : "",
                       suffix ? suffix : "", suffix ? ")" : "");
}

int odbcpool__cfg_enomem(odbcpool_error *err) {
  return odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
}

/* ---------------------------------------------------------------- files */

/* The reason read_all failed, for messages. */
const char *odbcpool__cfg_read_error(int e) {
  return e == EINVAL ? "not a regular file" : strerror(e);
}

/* Reads the whole file at `path`, at most `max` bytes, into a malloc'd
 * buffer with a NUL after the data. Returns 0 or an errno value; EFBIG
 * if the file is larger than `max`. */
int odbcpool__cfg_read_all(const char *path, size_t max, char **out,
                           size_t *outlen) {
  struct stat st;
  size_t len = 0, cap;
  char *buf = NULL;
  int fd, e = 0;

  /* O_NONBLOCK: opening a FIFO must not wait for a writer; only regular
   * files are read, so a config that names a device or a FIFO is an
   * error, not a hang. */
  fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return errno;
  if (fstat(fd, &st) != 0) {
    e = errno;
    goto out;
  }
  if (S_ISDIR(st.st_mode)) {
    e = EISDIR;
    goto out;
  }
  if (!S_ISREG(st.st_mode)) {
    e = EINVAL;
    goto out;
  }
  /* st_size is only a hint (procfs, pipes); read until EOF. */
  cap = S_ISREG(st.st_mode) && st.st_size >= 0 && (size_t)st.st_size <= max
            ? (size_t)st.st_size + 1
            : 4096;
  buf = malloc(cap + 1);
  if (!buf) {
    e = ENOMEM;
    goto out;
  }
  for (;;) {
    size_t got;
    e = odbcpool__read_full(fd, buf + len, cap - len, -1, &got);
    if (e != 0)
      goto out;
    len += got;
    if (len < cap)
      break; /* end of file */
    if (cap > max) {
      e = EFBIG;
      goto out;
    }
    cap *= 2;
    char *nbuf = realloc(buf, cap + 1);
    if (!nbuf) {
      e = ENOMEM;
      goto out;
    }
    buf = nbuf;
  }
  if (len > max) {
    e = EFBIG;
    goto out;
  }
  buf[len] = '\0';
  *out = buf;
  *outlen = len;
  buf = NULL;
out:
  free(buf);
  close(fd);
  return e;
}

/* -------------------------------------------------------------- parsing */

static char *trim(char *s) {
  char *e;

  while (*s == ' ' || *s == '\t')
    s++;
  e = s + strlen(s);
  while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
    e--;
  *e = '\0';
  return s;
}

static int parse_section(struct parser *p, unsigned line, char *s) {
  static const char forbidden[] = "[]{}(),;?*=!@\\";
  char *close = strchr(s, ']'), *rest, *name;
  struct cfg_pool *pools;
  struct sec *secs;
  size_t n = p->cfg->npools, k;

  if (!close)
    return odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, NULL,
                              NULL,
                              "unterminated section header (missing ']')");
  *close = '\0';
  rest = trim(close + 1);
  if (*rest && *rest != ';' && *rest != '#')
    return odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, NULL,
                              NULL, "unexpected text after ']': '%.64s'", rest);
  name = trim(s);
  if (*name == '\0')
    return odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, NULL,
                              NULL, "empty section name");
  if (strcmp(name, "defaults") == 0) {
    p->in_audit = false;
    if (p->cfg->defaults.line)
      return odbcpool__cfg_emsg(
          p->err, ODBCPOOL_ECONFIG, p->name, line, NULL, NULL,
          "duplicate section [defaults] (first on line %u)",
          p->cfg->defaults.line);
    p->cfg->defaults.line = line;
    p->cur = 0;
    p->in_section = true;
    return ODBCPOOL_OK;
  }
  p->in_audit = false;
  if (strcmp(name, "audit") == 0) {
    if (p->cfg->audit_line)
      return odbcpool__cfg_emsg(
          p->err, ODBCPOOL_ECONFIG, p->name, line, NULL, NULL,
          "duplicate section [audit] (first on line %u)", p->cfg->audit_line);
    p->cfg->audit_line = line;
    /* Audit keys are distinct settings, so [defaults]' key lines serve
     * for duplicate detection and table defaults. */
    p->cur = 0;
    p->in_audit = true;
    p->in_section = true;
    return ODBCPOOL_OK;
  }
  if (strlen(name) > SQL_MAX_DSN_LENGTH)
    return odbcpool__cfg_emsg(
        p->err, ODBCPOOL_ECONFIG, p->name, line, NULL, NULL,
        "section name '%.64s' is longer than %d characters, the "
        "limit for a DSN",
        name, SQL_MAX_DSN_LENGTH);
  k = strcspn(name, forbidden);
  if (name[k])
    return odbcpool__cfg_emsg(
        p->err, ODBCPOOL_ECONFIG, p->name, line, NULL, NULL,
        "section name '%s' contains '%c', which a DSN cannot "
        "contain",
        name, name[k]);
  for (size_t i = 0; i < n; i++)
    if (strcmp(p->cfg->pools[i].dsn, name) == 0)
      return odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, NULL,
                                NULL,
                                "duplicate section [%s] (first on line %u)",
                                name, p->cfg->pools[i].line);
  if (n >= CFG_MAX_POOLS)
    return odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, NULL,
                              NULL, "too many sections (max %d)",
                              CFG_MAX_POOLS);
  if (n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 8;

    pools = realloc(p->cfg->pools, cap * sizeof *pools);
    if (!pools)
      return odbcpool__cfg_enomem(p->err);
    p->cfg->pools = pools;
    secs = realloc(p->secs, (cap + 1) * sizeof *secs);
    if (!secs)
      return odbcpool__cfg_enomem(p->err);
    p->secs = secs;
    p->cap = cap;
  }
  memset(&p->cfg->pools[n], 0, sizeof p->cfg->pools[n]);
  memset(&p->secs[n + 1], 0, sizeof p->secs[n + 1]);
  p->cfg->pools[n].dsn = strdup(name);
  if (!p->cfg->pools[n].dsn)
    return odbcpool__cfg_enomem(p->err);
  p->cfg->pools[n].line = line;
  p->cfg->npools = n + 1;
  p->cur = n + 1;
  p->in_section = true;
  return ODBCPOOL_OK;
}

/* Removes a trailing comment: ';' or '#' at the start of the value or
 * after a blank. */
static void strip_comment(char *v) {
  for (char *c = v; *c; c++) {
    if ((*c == ';' || *c == '#') && (c == v || c[-1] == ' ' || c[-1] == '\t')) {
      *c = '\0';
      break;
    }
  }
}

/* Stores text value `v` of a STRING or PATH setting ("" means none);
 * relative paths are resolved against the config file's directory. */
static int store_text(struct parser *p, const struct cfg_setting *s, char *v,
                      char **dst) {
  size_t len = strlen(v);

  if (len == 0) {
    *dst = NULL;
    return ODBCPOOL_OK;
  }
  if (s->type == CFG_PATH && v[0] != '/' && p->dirlen) {
    *dst = malloc(p->dirlen + len + 1);
    if (!*dst)
      return odbcpool__cfg_enomem(p->err);
    memcpy(*dst, p->name, p->dirlen);
    memcpy(*dst + p->dirlen, v, len + 1);
    return ODBCPOOL_OK;
  }
  *dst = strdup(v);
  return *dst ? ODBCPOOL_OK : odbcpool__cfg_enomem(p->err);
}

static int parse_key(struct parser *p, unsigned line, char *s, char *eq) {
  const struct cfg_setting *set;
  struct sec *sec;
  char *key, *val, why[256];
  size_t i;
  void *dst;

  *eq = '\0';
  key = trim(s);
  if (*key == '\0')
    return odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, NULL,
                              NULL, "empty key before '='");
  if (p->skip_keys)
    return ODBCPOOL_OK; /* the section's header was reported */
  if (!p->in_section)
    return odbcpool__cfg_emsg(
        p->err, ODBCPOOL_ECONFIG, p->name, line, key, NULL,
        "outside of any section (put [defaults] or [DSN] above it)");
  set = odbcpool__cfg_find_setting(key, &i);
  if (!set) {
    const char *near = odbcpool__cfg_suggest(key, p->in_audit);

    if (near != NULL)
      return odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, key,
                                NULL, "unknown key (did you mean %s?)", near);
    return odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, key,
                              NULL, "unknown key");
  }
  if (p->in_audit && !set->section)
    return odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, key,
                              NULL, "not a key of [audit]");
  if (!p->in_audit && set->section)
    return odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, key,
                              NULL, "only allowed in [%s]", set->section);
  if (set->defaults_only && !set->section && p->cur != 0)
    return odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, key,
                              NULL, "only allowed in [defaults]");
  sec = &p->secs[p->cur];
  if (sec->keyline[i])
    return odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, key,
                              NULL, "duplicate key (first set on line %u)",
                              sec->keyline[i]);
  if (set->type != CFG_STRING)
    strip_comment(eq + 1);
  val = trim(eq + 1);
  dst = odbcpool__cfg_value_ptr(p->cfg, pool_at(p, p->cur), set);
  if (odbcpool__cfg_is_text(set)) {
    int rc = store_text(p, set, val, dst);

    if (rc != ODBCPOOL_OK)
      return rc;
  } else if (!odbcpool__cfg_convert(set, val, dst, why, sizeof why)) {
    return odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, key,
                              NULL, "%s", why);
  }
  sec->keyline[i] = line;
  return ODBCPOOL_OK;
}

/* Parses one line; `s` is NUL-terminated and free of control bytes. */
static int parse_line(struct parser *p, unsigned line, char *s) {
  char *eq;

  while (*s == ' ' || *s == '\t')
    s++;
  if (*s == '\0' || *s == ';' || *s == '#')
    return ODBCPOOL_OK;
  if (*s == '[') {
    int rc = parse_section(p, line, s + 1);

    /* In collect mode the keys under a failed header are not checked:
     * they would be checked against the wrong section. */
    p->skip_keys = rc != ODBCPOOL_OK;
    return rc;
  }
  eq = strchr(s, '=');
  if (!eq)
    return odbcpool__cfg_emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, NULL,
                              NULL, "expected 'key = value' or '[section]'");
  return parse_key(p, line, s, eq);
}

/* The parser behind odbcpool__cfg_parse (probs NULL: stop at the first
 * problem) and odbcpool__cfg_parse_all (collect every problem). */
static int parse(const char *name, const char *buf, size_t len,
                 struct cfg **out, struct cfg_problems *probs,
                 odbcpool_error *err) {
  struct parser p = {0};
  odbcpool_error local;
  const char *slash;
  char *scratch = NULL;
  size_t pos = 0;
  unsigned line = 0;
  int rc;

  assert(out);
  *out = NULL;
  if (!name)
    name = "(config)";
  /* Collect mode reads each message back, so it needs an error struct. */
  if (probs != NULL && err == NULL)
    err = &local;
  p.probs = probs;
  p.err = err;
  if (len > CFG_MAX_FILE) {
    rc = odbcpool__cfg_note(
        &p, odbcpool__cfg_emsg(err, ODBCPOOL_ECONFIG, name, 0, NULL, NULL,
                               "file is larger than 16 MiB"));
    return rc == ODBCPOOL_OK ? ODBCPOOL_ECONFIG : rc;
  }
  slash = strrchr(name, '/');
  p.name = name;
  p.dirlen = slash ? (size_t)(slash - name) + 1 : 0;
  p.cfg = calloc(1, sizeof *p.cfg);
  p.secs = calloc(1, sizeof *p.secs);
  scratch = malloc(CFG_MAX_LINE + 1);
  if (!p.cfg || !p.secs || !scratch) {
    rc = odbcpool__cfg_enomem(err);
    goto out;
  }
  p.cfg->path = strdup(name);
  if (!p.cfg->path) {
    rc = odbcpool__cfg_enomem(err);
    goto out;
  }
  /* A UTF-8 byte order mark, as some editors write one. */
  if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
    pos = 3;
  rc = ODBCPOOL_OK;
  while (pos < len) {
    const char *nl = memchr(buf + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - buf) : len, n = end - pos;

    bool bad = false;

    line++;
    if (n > 0 && buf[end - 1] == '\r')
      n--;
    if (n > CFG_MAX_LINE) {
      rc = odbcpool__cfg_emsg(err, ODBCPOOL_ECONFIG, name, line, NULL, NULL,
                              "line is longer than %zu bytes", CFG_MAX_LINE);
      bad = true;
    }
    for (size_t i = 0; i < n && !bad; i++) {
      unsigned char c = (unsigned char)buf[pos + i];

      if (c == '\0') {
        rc = odbcpool__cfg_emsg(err, ODBCPOOL_ECONFIG, name, line, NULL, NULL,
                                "NUL byte in line");
        bad = true;
      } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
        rc = odbcpool__cfg_emsg(err, ODBCPOOL_ECONFIG, name, line, NULL, NULL,
                                "control character 0x%02x in line", c);
        bad = true;
      }
    }
    if (!bad) {
      memcpy(scratch, buf + pos, n);
      scratch[n] = '\0';
      rc = parse_line(&p, line, scratch);
    }
    rc = odbcpool__cfg_note(&p, rc);
    if (rc != ODBCPOOL_OK)
      goto out;
    pos = nl ? end + 1 : len;
  }
  rc = odbcpool__cfg_finish(&p);
  if (rc == ODBCPOOL_OK && probs != NULL && probs->n + probs->more > 0) {
    *err = p.first;
    rc = ODBCPOOL_ECONFIG;
  }
out:
  free(scratch);
  free(p.secs);
  if (rc != ODBCPOOL_OK) {
    odbcpool__cfg_free(p.cfg);
    return rc;
  }
  *out = p.cfg;
  return ODBCPOOL_OK;
}

int odbcpool__cfg_parse(const char *name, const char *buf, size_t len,
                        struct cfg **out /* OUT */, odbcpool_error *err) {
  return parse(name, buf, len, out, NULL, err);
}

int odbcpool__cfg_parse_all(const char *name, const char *buf, size_t len,
                            struct cfg **out /* OUT */,
                            struct cfg_problems *probs, odbcpool_error *err) {
  assert(probs);
  return parse(name, buf, len, out, probs, err);
}

void odbcpool__cfg_problems_free(struct cfg_problems *probs) {
  if (probs == NULL)
    return;
  for (size_t i = 0; i < probs->n; i++)
    free(probs->msg[i]);
  probs->n = probs->more = 0;
}

/* The loader behind odbcpool__cfg_load and odbcpool__cfg_load_all. */
static int load(const char *path, struct cfg **out, struct cfg_problems *probs,
                odbcpool_error *err) {
  char *buf;
  size_t len;
  int e, rc;

  assert(out);
  *out = NULL;
  if (!path)
    return odbcpool__err(err, ODBCPOOL_EINVAL, "HY009",
                         "no config file path given");
  e = odbcpool__cfg_read_all(path, CFG_MAX_FILE, &buf, &len);
  if (e == ENOMEM)
    return odbcpool__cfg_enomem(err);
  if (e == EFBIG)
    return odbcpool__cfg_emsg(err, ODBCPOOL_ECONFIG, path, 0, NULL, NULL,
                              "file is larger than 16 MiB");
  if (e)
    return odbcpool__err(err, ODBCPOOL_EIO, CFG_SQLSTATE,
                         "%s: cannot read config file: %s", path,
                         odbcpool__cfg_read_error(e));
  rc = parse(path, buf, len, out, probs, err);
  free(buf);
  return rc;
}

int odbcpool__cfg_load(const char *path, struct cfg **out /* OUT */,
                       odbcpool_error *err) {
  return load(path, out, NULL, err);
}

int odbcpool__cfg_load_all(const char *path, struct cfg **out /* OUT */,
                           struct cfg_problems *probs, odbcpool_error *err) {
  assert(probs);
  return load(path, out, probs, err);
}

static void free_pool(struct cfg_pool *pool) {
  free(pool->dsn);
  for (size_t i = 0; i < CFG_NSET; i++) {
    const struct cfg_setting *s = &odbcpool__cfg_settings[i];

    if (odbcpool__cfg_is_text(s) && !s->defaults_only)
      free(*(char **)odbcpool__cfg_value_ptr(NULL, pool, s));
  }
  for (size_t i = 0; i < pool->nreset; i++)
    free(pool->reset[i].sql);
  free(pool->reset);
  for (size_t i = 0; i < pool->npurposes; i++)
    free(pool->purpose[i]);
  free(pool->purpose);
}

void odbcpool__cfg_free(struct cfg *cfg) {
  if (!cfg)
    return;
  free_pool(&cfg->defaults);
  for (size_t i = 0; i < cfg->npools; i++)
    free_pool(&cfg->pools[i]);
  free(cfg->pools);
  free(cfg->path);
  free(cfg->stats_file);
  free(cfg->log);
  free(cfg->audit_path);
  free(cfg->audit_key_file);
  free(cfg->audit_pkey_dir);
  free(cfg);
}

const struct cfg_pool *odbcpool__cfg_pool(const struct cfg *cfg,
                                          const char *dsn) {
  assert(cfg);
  if (dsn)
    for (size_t i = 0; i < cfg->npools; i++)
      if (strcmp(cfg->pools[i].dsn, dsn) == 0)
        return &cfg->pools[i];
  return &cfg->defaults;
}
