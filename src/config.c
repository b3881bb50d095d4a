/* config.c — the pool config file (odbcpool.ini): settings table, parser. */
#include "build.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "error.h"

#define CFG_MAX_FILE ((size_t)16 << 20)  /* bytes of a config file */
#define CFG_MAX_LINE ((size_t)64 << 10)  /* bytes of one line */
#define CFG_MAX_SCRIPT ((size_t)1 << 20) /* bytes of a reset_script */
#define CFG_MAX_POOLS 10000              /* DSN sections */
#define CFG_SQLSTATE "HY000"

/* Durations are capped at 365 days so that the pool can add one to a
 * timestamp, or convert it to nanoseconds, without overflow. */
#if LONG_MAX > 31536000000
#define DUR_MAX 31536000000L
#else
#define DUR_MAX LONG_MAX
#endif

#define POOL(field) offsetof(struct cfg_pool, field)

#define VERBATIM                                                               \
  " The value is kept verbatim to the end of the line: ';' and '#' are part "  \
  "of it, not a comment. Empty: none."

static const char *const reset_choices[] = {"auto", "custom", "none", NULL};

const struct cfg_setting odbcpool__cfg_settings[] = {
    {"max_connections", CFG_INT, "10", 1, 100000, POOL(max_connections), false,
     "Most physical connections the process opens to this DSN at once, "
     "counted over every user, password, connection string and ANSI/W mode "
     "that connects to it; borrowers wait (first come, first served within "
     "each of those) when all of them are in use, and an idle connection "
     "of one of them is closed to make room for a borrower of another.",
     NULL, NULL, true},
    {"min_idle", CFG_INT, "0", 0, 100000, POOL(min_idle), false,
     "Idle connections kept open ahead of demand; at most max_connections.",
     NULL, NULL, true},
    {"idle_timeout", CFG_DURATION, "10min", 0, DUR_MAX, POOL(idle_timeout),
     false,
     "An idle connection is closed after this long (0: never). A privacy "
     "setting: an idle pooled connection is an open database session that "
     "nobody uses, so the default is finite.",
     NULL, NULL, true},
    {"max_lifetime", CFG_DURATION, "30min", 0, DUR_MAX, POOL(max_lifetime),
     false,
     "A connection is closed, when it is next idle, once it is this old "
     "(0: never). A privacy setting: it bounds how long any session state "
     "that the reset cannot reach survives, so the default is finite.",
     NULL, NULL, true},
    {"lifetime_jitter", CFG_DURATION, "1min", 0, DUR_MAX, POOL(lifetime_jitter),
     false,
     "Each connection's max_lifetime is shortened by a random amount up to "
     "this, so that connections opened together do not close together.",
     NULL, NULL, true},
    {"borrow_timeout", CFG_DURATION, "5s", 0, DUR_MAX, POOL(borrow_timeout),
     false,
     "How long a borrower waits for a connection before failing with "
     "SQLSTATE HYT00 (0: do not wait). It bounds the validation of an idle "
     "connection too: the validation query gets the time left as its query "
     "timeout, and one still running at the deadline gives its connection "
     "up (closed for validation_timeout, its slot freed). A connect the "
     "borrow makes is bounded by the application's login timeout or the "
     "DSN's own (e.g. psqlODBC's pqopt=connect_timeout).",
     NULL, NULL, true},
    {"validation_idle", CFG_DURATION, "30s", 0, DUR_MAX, POOL(validation_idle),
     false,
     "A connection idle for longer than this is checked before it is handed "
     "out (0: every time).",
     NULL, NULL, true},
    {"validation_query", CFG_STRING, NULL, 0, 0, POOL(validation_query), false,
     "SQL that checks an idle connection, e.g. SELECT 1; without it only "
     "SQL_ATTR_CONNECTION_DEAD is asked." VERBATIM,
     NULL, NULL, true},
    {"reset", CFG_CHOICE, "auto", 0, 0, POOL(reset_mode), false,
     "Which erasure of session state runs on every returned connection. "
     "auto: the reset built in for the database, recognised at the first "
     "connect from the driver's SQL_DBMS_NAME (PostgreSQL, MariaDB/MySQL, "
     "SQLite), which puts the session back to what it was right after it was "
     "opened (its baseline: what the DSN and the connection string set up); "
     "reset_script and reset_sql, if given, run after it. For a database "
     "with no built-in reset and nothing configured, connections are closed "
     "on return instead of reused. custom: only reset_script and reset_sql. "
     "none: no database reset at all (statements, the transaction and "
     "connection attributes are still reset): temporary tables, session "
     "variables, locks and the like reach the next borrower.",
     NULL, reset_choices, true},
    {"reset_timeout", CFG_DURATION, "5s", 1, DUR_MAX, POOL(reset_timeout),
     false,
     "Longest a reset may take. Each reset statement is given it as its "
     "query timeout, and a reset still running after it is given up: the "
     "connection leaves the pool (counted and audited as closed for "
     "reset_timeout), its slot is freed, and the worker stuck in it is "
     "replaced.",
     NULL, NULL, true},
    {"reset_wait", CFG_DURATION, "50ms", 0, DUR_MAX, POOL(reset_wait), false,
     "When no connection is idle but one is being reset, a borrower waits "
     "this long for that reset (usually well under a millisecond) before it "
     "opens a new physical connection, so that an application that "
     "reconnects right after disconnecting reuses its connection. Borrowers "
     "beyond the connections being reset do not wait (0: never wait).",
     NULL, NULL, true},
    {"reset_script", CFG_PATH, NULL, 0, 0, POOL(reset_script), false,
     "File of SQL statements run on every returned connection before it is "
     "pooled again (e.g. DISCARD ALL), relative to the directory of this "
     "file. A statement ends with ';', or with \\gexec to run each value it "
     "returns as a statement, or with \\gbaseline to run it once when a "
     "connection is opened and keep the (key, value) rows it returns as the "
     "connection's baseline, which the text {{baseline}} in a reset "
     "statement stands for, or with \\gbatch to send it together with the "
     "statements after it in one round trip. Read when the config is loaded "
     "(max 1 MiB). "
     "With reset = auto it runs after the built-in reset.",
     NULL, NULL, true},
    {"reset_sql", CFG_STRING, NULL, 0, 0, POOL(reset_sql), false,
     "Reset statements separated by ';', run after those of "
     "reset_script." VERBATIM,
     NULL, NULL, true},
    {"reset_connection", CFG_BOOL, "yes", 0, 0, POOL(reset_connection), false,
     "Ask the driver to reset the session with SQL_ATTR_RESET_CONNECTION "
     "where it supports that.",
     NULL, NULL, true},
    {"reset_prepare", CFG_BOOL, "no", 0, 0, POOL(reset_prepare), false,
     "Prepare the reset statements once per connection and only execute "
     "them on later returns. Much cheaper where compiling SQL is costly "
     "(SQLite); leave it off for PostgreSQL, whose DISCARD ALL deallocates "
     "prepared statements.",
     NULL, NULL, true},
    {"verify_query", CFG_STRING, NULL, 0, 0, POOL(verify_query), false,
     "SQL run after the reset that must return no rows: a row means residue, "
     "and the connection is closed instead of pooled." VERBATIM,
     NULL, NULL, true},
    {"leak_threshold", CFG_DURATION, "0", 0, DUR_MAX, POOL(leak_threshold),
     false,
     "A borrow held for longer than this is reported as a possible leak "
     "(0: off).",
     NULL, NULL, true},
    {"require_encryption", CFG_BOOL, "no", 0, 0, POOL(require_encryption),
     false,
     "Refuse to open a connection unless it asks the driver for TLS (the "
     "keywords of psqlODBC, MariaDB Connector/ODBC and Microsoft's SQL "
     "Server driver are known; other drivers need encryption_check) and, "
     "with encryption_check, the session confirms it.",
     NULL, NULL, true},
    {"encryption_check", CFG_STRING, NULL, 0, 0, POOL(encryption_check), false,
     "SQL run on each new connection that must return one row whose first "
     "column is true (1, t, true, yes, on) when the session is encrypted, "
     "e.g. for PostgreSQL SELECT ssl FROM pg_stat_ssl WHERE pid = "
     "pg_backend_pid()." VERBATIM,
     NULL, NULL, true},
    {"credentials", CFG_PATH, NULL, 0, 0, POOL(credentials), false,
     "File with the UID and PWD for connections the pool opens on its own "
     "(min_idle), encrypted with AES-256-GCM by `odbcpool encrypt`; "
     "refused if group or others can read it.",
     NULL, NULL, false},
    {"credentials_key", CFG_PATH, NULL, 0, 0, POOL(credentials_key), false,
     "Key file for credentials (32 random bytes, mode 0600 or stricter).", NULL,
     NULL, false},
    {"purposes", CFG_LIST, NULL, 0, 0, POOL(purposes), false,
     "The purposes this DSN may be used for (GDPR Art. 5(1)(b)), e.g. "
     "billing, support: a borrow that names another purpose is refused "
     "before any connection is handed out (SQLSTATE 28000), and audited. "
     "A purpose is the Purpose= connection keyword, the odbcpool DSN's "
     "Purpose in odbc.ini, or the library's borrow option; names are "
     "letters, digits and . _ - (at most 63 bytes), compared exactly. "
     "Empty: any purpose.",
     NULL, NULL, true},
    {"require_purpose", CFG_BOOL, "no", 0, 0, POOL(require_purpose), false,
     "Refuse a borrow that names no purpose (SQLSTATE 28000), and audit "
     "it.",
     NULL, NULL, true},
    {"reset_workers", CFG_INT, "2", 1, 64, offsetof(struct cfg, reset_workers),
     true,
     "Background threads that erase returned connections, per pool set. "
     "Only in [defaults].",
     NULL, NULL, false},
    {"stats_file", CFG_STRING, NULL, 0, 0, offsetof(struct cfg, stats_file),
     true,
     "File the pool statistics are written to, in Prometheus' text format "
     "(for node_exporter's textfile collector), at most once a second and "
     "when the pool set closes; %p in the name is replaced by the process "
     "id, so processes sharing this config do not overwrite each other's. "
     "`odbcpool stats` shows every live process's pools from these files; "
     "files of processes that are gone are removed by it and, once a "
     "minute, by the pools' own writers. "
     "Written to a new file with a random name and renamed into place, "
     "never through a symbolic link; its directory is refused if group or "
     "others may write it, unless it is owned by the pool's user or "
     "sticky. Only in [defaults]." VERBATIM,
     NULL, NULL, true},
    {"path", CFG_PATH, NULL, 0, 0, offsetof(struct cfg, audit_path), true,
     "The audit log: one JSON object per line, each with a MAC chained to "
     "the previous record's. Rotated files get a date suffix.",
     "audit", NULL, false},
    {"key_file", CFG_PATH, NULL, 0, 0, offsetof(struct cfg, audit_key_file),
     true,
     "Key of the audit MACs (32 or more random bytes, mode 0600 or "
     "stricter); it also authenticates the pseudonym keys of the periods, "
     "and makes the pseudonyms itself with pseudonym_period = 0. Required "
     "with path.",
     "audit", NULL, false},
    {"retention", CFG_DURATION, "30d", 0, DUR_MAX,
     offsetof(struct cfg, audit_retention), true,
     "Rotated audit files older than this are deleted at rotation and by "
     "`odbcpool audit purge` (0: kept forever).",
     "audit", NULL, false},
    {"rotate_mib", CFG_INT, "64", 1, 1048576,
     offsetof(struct cfg, audit_rotate_mib), true,
     "The audit log is rotated when it reaches this many MiB, and daily.",
     "audit", NULL, false},
    {"syslog", CFG_BOOL, "no", 0, 0, offsetof(struct cfg, audit_syslog), true,
     "Send audit records to syslog (facility authpriv, in each message's "
     "priority; the program's openlog ident is left alone) instead of "
     "path.",
     "audit", NULL, false},
    {"reauth_interval", CFG_DURATION, "1min", 0, DUR_MAX, POOL(reauth_interval),
     false,
     "Longest time a password an application passes (UID/PWD) is taken on "
     "the pool's word: once this long has passed since the server last "
     "accepted it, the next borrower with that password logs in for real "
     "(a new physical connection) before the pooled connections made with "
     "it are handed out again. If the server refuses, every pooled "
     "connection made with that password is closed. A password the pool "
     "has not seen for the user is always settled by a real login. So a "
     "changed or revoked password (ALTER ROLE ... PASSWORD, NOLOGIN, "
     "ACCOUNT LOCK) stops getting connections within this time (0: a real "
     "login on every borrow with a password). Connections made with the "
     "DSN's own or the config's credentials are not affected.",
     NULL, NULL, true},
    {"log", CFG_STRING, NULL, 0, 0, offsetof(struct cfg, log), true,
     "Where odbcpool's own warnings and errors go: syslog (facility user; "
     "the program's openlog ident is left alone), stderr, none, or an "
     "absolute file path (appended to, created with mode 0600, never "
     "through a symbolic link; its directory is refused if group or "
     "others may write it, unless it is owned by the pool's user or "
     "sticky). Empty: syslog. Never the application's stderr unless set "
     "so; the environment variable ODBCPOOL_LOG (a destination and/or a "
     "level: error, warn, info, debug, e.g. stderr,debug) overrides it, "
     "for debugging. Process-wide: the config opened last decides. Only "
     "in [defaults].",
     NULL, NULL, false},
    {"pseudonym_period", CFG_DURATION, "30d", 0, DUR_MAX,
     offsetof(struct cfg, audit_pseudonym_period), true,
     "Pseudonyms of user names expire: each period of this length (whole "
     "days, counted from 1970-01-01 UTC) gets its own random pseudonym key, "
     "named in each record's \"period\", and a period's key is deleted "
     "once the period ended more than retention ago (at rotation and by "
     "`odbcpool audit purge`); its records then stay verifiable but can no "
     "longer be tied to anyone. 0: one pseudonym for ever, made with the "
     "audit key itself.",
     "audit", NULL, false},
    {"pseudonym_keys", CFG_PATH, NULL, 0, 0,
     offsetof(struct cfg, audit_pkey_dir), true,
     "Directory of the pseudonym keys of the periods, made 0700 if missing; "
     "it must belong to the pool's user and be closed to group and others. "
     "Empty: key_file with .pseudonyms appended.",
     "audit", NULL, false},
};

#define NSET (sizeof odbcpool__cfg_settings / sizeof odbcpool__cfg_settings[0])

const size_t odbcpool__cfg_nsettings = NSET;

/* Whether `v` is a destination src/log.c understands: syslog, stderr,
 * none or an absolute path. */
static bool log_valid(const char *v) {
  return strcmp(v, "syslog") == 0 || strcmp(v, "stderr") == 0 ||
         strcmp(v, "none") == 0 || v[0] == '/';
}

/* ------------------------------------------------------------- messages */

/* Fills `err` with "name[:line]: [key 'k': ]reason[ (suffix)]" and returns
 * `code`. `line` 0 and NULL `key` or `suffix` are left out. */
static int emsg(odbcpool_error *err, int code, const char *name, unsigned line,
                const char *key, const char *suffix, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static int emsg(odbcpool_error *err, int code, const char *name, unsigned line,
                const char *key, const char *suffix, const char *fmt, ...) {
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

static int enomem(odbcpool_error *err) {
  return odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
}

/* --------------------------------------------------------------- values */

enum perr {
  P_OK,
  P_EMPTY,
  P_NAN,
  P_NEGATIVE,
  P_RANGE,
  P_SMALL,
  P_NOUNIT,
  P_UNIT,
  P_UNIT_M,
  P_BOOL,
};

/* Parses the decimal digits at the start of `s`; *end points past them. */
static enum perr parse_digits(const char *s, long *v, const char **end) {
  char *e;

  if (*s == '\0')
    return P_EMPTY;
  if (*s == '-')
    return P_NEGATIVE;
  if (*s < '0' || *s > '9')
    return P_NAN;
  errno = 0;
  *v = strtol(s, &e, 10);
  if (errno == ERANGE)
    return P_RANGE;
  *end = e;
  return P_OK;
}

static enum perr parse_int(const char *s, long *v) {
  const char *end;
  enum perr r = parse_digits(s, v, &end);

  if (r == P_OK && *end != '\0')
    return P_NAN;
  return r;
}

static const struct {
  const char *name;
  long ms;
} units[] = {
    {"d", 86400000L}, {"h", 3600000L}, {"min", 60000L},
    {"s", 1000L},     {"ms", 1L},
};

static enum perr parse_duration(const char *s, long *ms) {
  const char *end;
  long n;
  enum perr r = parse_digits(s, &n, &end);

  if (r != P_OK)
    return r;
  while (*end == ' ' || *end == '\t')
    end++;
  if (*end == '\0') {
    if (n != 0)
      return P_NOUNIT;
    *ms = 0;
    return P_OK;
  }
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (strcmp(end, units[i].name) == 0) {
      if (n > LONG_MAX / units[i].ms)
        return P_RANGE;
      *ms = n * units[i].ms;
      return P_OK;
    }
  }
  return strcmp(end, "m") == 0 ? P_UNIT_M : P_UNIT;
}

bool odbcpool__cfg_duration(const char *s, long *ms /* OUT */) {
  return s && parse_duration(s, ms) == P_OK;
}

void odbcpool__cfg_format_duration(long ms, char *buf, size_t len) {
  if (ms == 0) {
    snprintf(buf, len, "0");
    return;
  }
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (ms % units[i].ms == 0) {
      snprintf(buf, len, "%ld%s", ms / units[i].ms, units[i].name);
      return;
    }
  }
}

static enum perr parse_bool(const char *s, bool *v) {
  static const char *const yes[] = {"yes", "true", "on", "1"};
  static const char *const no[] = {"no", "false", "off", "0"};

  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
    if (strcasecmp(s, yes[i]) == 0) {
      *v = true;
      return P_OK;
    }
    if (strcasecmp(s, no[i]) == 0) {
      *v = false;
      return P_OK;
    }
  }
  return *s ? P_BOOL : P_EMPTY;
}

static void format_bound(const struct cfg_setting *s, long v, char *buf,
                         size_t len) {
  if (s->type == CFG_DURATION)
    odbcpool__cfg_format_duration(v, buf, len);
  else
    snprintf(buf, len, "%ld", v);
}

/* Converts text `v` of an INT, DURATION or BOOL setting into *dst. On error
 * returns false with the reason in `why`. */
static bool convert(const struct cfg_setting *s, const char *v, void *dst,
                    char *why, size_t whylen) {
  char bound[32];
  enum perr r;
  long n = 0;
  bool b = false;

  switch (s->type) {
  case CFG_INT:
    r = parse_int(v, &n);
    break;
  case CFG_DURATION:
    r = parse_duration(v, &n);
    break;
  case CFG_BOOL:
    r = parse_bool(v, &b);
    break;
  case CFG_CHOICE:
    if (*v == '\0') {
      r = P_EMPTY;
      break;
    }
    for (size_t i = 0; s->choices[i]; i++) {
      if (strcasecmp(v, s->choices[i]) == 0) {
        *(long *)dst = (long)i;
        return true;
      }
    }
    {
      size_t used = 0;
      used += (size_t)snprintf(why, whylen, "'%.64s' is not one of: ", v);
      for (size_t i = 0; s->choices[i] && used < whylen; i++)
        used += (size_t)snprintf(why + used, whylen - used, "%s%s",
                                 i ? ", " : "", s->choices[i]);
    }
    return false;
  default:
    assert(!"convert: not a scalar setting");
    return false;
  }
  if (r == P_OK && s->type != CFG_BOOL && s->type != CFG_CHOICE && n < s->min)
    r = P_SMALL;
  if (r == P_OK && s->type != CFG_BOOL && s->type != CFG_CHOICE && n > s->max)
    r = P_RANGE;
  switch (r) {
  case P_OK:
    if (s->type == CFG_BOOL)
      *(bool *)dst = b;
    else
      *(long *)dst = n;
    return true;
  case P_EMPTY:
    snprintf(why, whylen, "value is empty");
    break;
  case P_NAN:
    snprintf(why, whylen, "'%.64s' is not a whole number", v);
    break;
  case P_NEGATIVE:
    snprintf(why, whylen, "'%.64s' must not be negative", v);
    break;
  case P_SMALL:
    format_bound(s, s->min, bound, sizeof bound);
    snprintf(why, whylen, "'%.64s' is too small (min %s)", v, bound);
    break;
  case P_RANGE:
    format_bound(s, s->max, bound, sizeof bound);
    snprintf(why, whylen, "'%.64s' is too large (max %s)", v, bound);
    break;
  case P_NOUNIT:
    snprintf(why, whylen, "'%.64s' needs a unit: ms, s, min, h or d", v);
    break;
  case P_UNIT:
    snprintf(why, whylen,
             "'%.64s' has an unknown unit (use ms, s, min, h or d)", v);
    break;
  case P_UNIT_M:
    snprintf(why, whylen,
             "'%.64s': unit 'm' is ambiguous; write min for minutes or ms for "
             "milliseconds",
             v);
    break;
  case P_BOOL:
    snprintf(why, whylen, "'%.64s' is not a boolean (use yes or no)", v);
    break;
  }
  return false;
}

const char *odbcpool__cfg_choice(const struct cfg_setting *s, long v) {
  if (s->type != CFG_CHOICE || v < 0)
    return "?";
  for (long i = 0; s->choices[i]; i++)
    if (i == v)
      return s->choices[i];
  return "?";
}

const void *odbcpool__cfg_value(const struct cfg *cfg,
                                const struct cfg_pool *pool,
                                const struct cfg_setting *s) {
  const char *base = s->defaults_only ? (const char *)cfg : (const char *)pool;
  return base + s->offset;
}

static void *value_ptr(struct cfg *cfg, struct cfg_pool *pool,
                       const struct cfg_setting *s) {
  char *base = s->defaults_only ? (char *)cfg : (char *)pool;
  return base + s->offset;
}

static bool is_text(const struct cfg_setting *s) {
  return s->type == CFG_STRING || s->type == CFG_PATH || s->type == CFG_LIST;
}

/* ---------------------------------------------------------------- files */

/* Reads the whole file at `path`, at most `max` bytes, into a malloc'd
 * buffer with a NUL after the data. Returns 0 or an errno value; EFBIG
 * if the file is larger than `max`. */
/* The reason read_all failed, for messages. */
static const char *read_error(int e) {
  return e == EINVAL ? "not a regular file" : strerror(e);
}

static int read_all(const char *path, size_t max, char **out, size_t *outlen) {
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
    ssize_t n;

    if (len == cap) {
      char *nbuf;

      if (cap > max) {
        e = EFBIG;
        goto out;
      }
      cap *= 2;
      nbuf = realloc(buf, cap + 1);
      if (!nbuf) {
        e = ENOMEM;
        goto out;
      }
      buf = nbuf;
    }
    n = read(fd, buf + len, cap - len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      e = errno;
      goto out;
    }
    if (n == 0)
      break;
    len += (size_t)n;
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
static int split_sql(const char *name, const char *key, const char *suffix,
                     unsigned first_line, const char *sql, size_t len,
                     struct cfg_stmt **stmts, size_t *nstmts,
                     odbcpool_error *err) {
  const size_t none = SIZE_MAX;
  size_t n0 = *nstmts, start = none, i = 0;
  unsigned line = first_line;
  const char *nul = memchr(sql, '\0', len);
  int rc;

  if (nul)
    return emsg(err, ODBCPOOL_ECONFIG, name,
                first_line + count_lines(sql, 0, (size_t)(nul - sql)), key,
                suffix, "NUL byte");
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
        rc = emsg(err, ODBCPOOL_ECONFIG, name, line, key, suffix,
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
        rc = emsg(err, ODBCPOOL_ECONFIG, name, line, key, suffix,
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
        rc = emsg(err, ODBCPOOL_ECONFIG, name, line, key, suffix,
                  "unterminated %.*s quote", (int)(taglen > 64 ? 64 : taglen),
                  sql + i);
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
        rc = emsg(err, ODBCPOOL_ECONFIG, name, line, key, suffix,
                  "unsupported backslash command (only \\gexec, "
                  "\\gbaseline and \\gbatch are known)");
        goto fail;
      }
      if (start == none) {
        rc = emsg(err, ODBCPOOL_ECONFIG, name, line, key, suffix,
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
  rc = enomem(err);
fail:
  while (*nstmts > n0)
    free((*stmts)[--*nstmts].sql);
  return rc;
}

int odbcpool__cfg_split_sql(const char *name, unsigned first_line,
                            const char *sql, size_t len,
                            struct cfg_stmt **stmts, size_t *nstmts,
                            odbcpool_error *err) {
  return split_sql(name, NULL, NULL, first_line, sql, len, stmts, nstmts, err);
}

/* -------------------------------------------------------------- parsing */

/* Per section: the line on which each key was set, 0 if it was not. */
struct sec {
  unsigned keyline[NSET];
};

struct parser {
  const char *name; /* file name for messages */
  size_t dirlen;    /* length of the directory part of name, with '/' */
  odbcpool_error *err;
  struct cfg *cfg;
  struct sec *secs; /* [0] is [defaults], [i + 1] is cfg->pools[i] */
  size_t cap;       /* of cfg->pools and secs - 1 */
  size_t cur;       /* index into secs of the current section */
  bool in_section;
  bool in_audit; /* the current section is [audit] */
  /* Collect mode (odbcpool__cfg_parse_all): every problem goes to
   * `probs`, the first also to `first`. */
  struct cfg_problems *probs;
  odbcpool_error first;
  bool skip_keys; /* the current section's header failed */
};

/* In collect mode, records the ECONFIG error just written to p->err and
 * returns OK so that parsing goes on; any other code, or any code outside
 * collect mode, is returned as it is. */
static int note(struct parser *p, int rc) {
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
    return enomem(p->err);
  pr->msg[pr->n++] = m;
  return ODBCPOOL_OK;
}

static struct cfg_pool *pool_at(struct parser *p, size_t i) {
  return i == 0 ? &p->cfg->defaults : &p->cfg->pools[i - 1];
}

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

static const struct cfg_setting *find_setting(const char *key, size_t *idx) {
  for (size_t i = 0; i < NSET; i++) {
    if (strcmp(odbcpool__cfg_settings[i].name, key) == 0) {
      *idx = i;
      return &odbcpool__cfg_settings[i];
    }
  }
  return NULL;
}

/* Edit distance of a and b (at most 64 bytes each), case ignored, where
 * swapping two neighbouring letters counts as one edit (optimal string
 * alignment). */
static size_t edit_distance(const char *a, const char *b);

const char *odbcpool__cfg_suggest_section(const char *name) {
  static const char *const sections[] = {"defaults", "audit"};

  if (name == NULL || strlen(name) > 64)
    return NULL;
  for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
    if (strcmp(name, sections[i]) != 0 && edit_distance(name, sections[i]) <= 2)
      return sections[i];
  return NULL;
}

static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b), d[65][65];

  assert(la <= 64 && lb <= 64);
  for (size_t i = 0; i <= la; i++)
    d[i][0] = i;
  for (size_t j = 0; j <= lb; j++)
    d[0][j] = j;
  for (size_t i = 1; i <= la; i++) {
    for (size_t j = 1; j <= lb; j++) {
      char ca = (char)tolower((unsigned char)a[i - 1]);
      char cb = (char)tolower((unsigned char)b[j - 1]);
      size_t v = d[i - 1][j - 1] + (ca != cb);

      if (d[i - 1][j] + 1 < v)
        v = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < v)
        v = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
          tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < v)
        v = d[i - 2][j - 2] + 1;
      d[i][j] = v;
    }
  }
  return d[la][lb];
}

const char *odbcpool__cfg_suggest(const char *key, bool audit) {
  const char *best = NULL;
  size_t best_d = SIZE_MAX;

  if (key == NULL || strlen(key) > 64)
    return NULL;
  for (size_t i = 0; i < NSET; i++) {
    const struct cfg_setting *s = &odbcpool__cfg_settings[i];
    size_t len = strlen(s->name), d;
    /* Allowed edits grow with the name: 1 up to 4 letters, 2 up to 8,
     * else 3, so that short names do not match everything. */
    size_t limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;

    if ((s->section != NULL) != audit)
      continue;
    d = edit_distance(key, s->name);
    if (d <= limit && d < best_d) {
      best = s->name;
      best_d = d;
    }
  }
  return best;
}

static int parse_section(struct parser *p, unsigned line, char *s) {
  static const char forbidden[] = "[]{}(),;?*=!@\\";
  char *close = strchr(s, ']'), *rest, *name;
  struct cfg_pool *pools;
  struct sec *secs;
  size_t n = p->cfg->npools, k;

  if (!close)
    return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, NULL, NULL,
                "unterminated section header (missing ']')");
  *close = '\0';
  rest = trim(close + 1);
  if (*rest && *rest != ';' && *rest != '#')
    return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, NULL, NULL,
                "unexpected text after ']': '%.64s'", rest);
  name = trim(s);
  if (*name == '\0')
    return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, NULL, NULL,
                "empty section name");
  if (strcmp(name, "defaults") == 0) {
    p->in_audit = false;
    if (p->cfg->defaults.line)
      return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, NULL, NULL,
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
      return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, NULL, NULL,
                  "duplicate section [audit] (first on line %u)",
                  p->cfg->audit_line);
    p->cfg->audit_line = line;
    /* Audit keys are distinct settings, so [defaults]' key lines serve
     * for duplicate detection and table defaults. */
    p->cur = 0;
    p->in_audit = true;
    p->in_section = true;
    return ODBCPOOL_OK;
  }
  if (strlen(name) > SQL_MAX_DSN_LENGTH)
    return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, NULL, NULL,
                "section name '%.64s' is longer than %d characters, the "
                "limit for a DSN",
                name, SQL_MAX_DSN_LENGTH);
  k = strcspn(name, forbidden);
  if (name[k])
    return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, NULL, NULL,
                "section name '%s' contains '%c', which a DSN cannot "
                "contain",
                name, name[k]);
  for (size_t i = 0; i < n; i++)
    if (strcmp(p->cfg->pools[i].dsn, name) == 0)
      return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, NULL, NULL,
                  "duplicate section [%s] (first on line %u)", name,
                  p->cfg->pools[i].line);
  if (n >= CFG_MAX_POOLS)
    return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, NULL, NULL,
                "too many sections (max %d)", CFG_MAX_POOLS);
  if (n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 8;

    pools = realloc(p->cfg->pools, cap * sizeof *pools);
    if (!pools)
      return enomem(p->err);
    p->cfg->pools = pools;
    secs = realloc(p->secs, (cap + 1) * sizeof *secs);
    if (!secs)
      return enomem(p->err);
    p->secs = secs;
    p->cap = cap;
  }
  memset(&p->cfg->pools[n], 0, sizeof p->cfg->pools[n]);
  memset(&p->secs[n + 1], 0, sizeof p->secs[n + 1]);
  p->cfg->pools[n].dsn = strdup(name);
  if (!p->cfg->pools[n].dsn)
    return enomem(p->err);
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
      return enomem(p->err);
    memcpy(*dst, p->name, p->dirlen);
    memcpy(*dst + p->dirlen, v, len + 1);
    return ODBCPOOL_OK;
  }
  *dst = strdup(v);
  return *dst ? ODBCPOOL_OK : enomem(p->err);
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
    return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, NULL, NULL,
                "empty key before '='");
  if (p->skip_keys)
    return ODBCPOOL_OK; /* the section's header was reported */
  if (!p->in_section)
    return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, key, NULL,
                "outside of any section (put [defaults] or [DSN] above it)");
  set = find_setting(key, &i);
  if (!set) {
    const char *near = odbcpool__cfg_suggest(key, p->in_audit);

    if (near != NULL)
      return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, key, NULL,
                  "unknown key (did you mean %s?)", near);
    return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, key, NULL,
                "unknown key");
  }
  if (p->in_audit && !set->section)
    return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, key, NULL,
                "not a key of [audit]");
  if (!p->in_audit && set->section)
    return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, key, NULL,
                "only allowed in [%s]", set->section);
  if (set->defaults_only && !set->section && p->cur != 0)
    return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, key, NULL,
                "only allowed in [defaults]");
  sec = &p->secs[p->cur];
  if (sec->keyline[i])
    return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, key, NULL,
                "duplicate key (first set on line %u)", sec->keyline[i]);
  if (set->type != CFG_STRING)
    strip_comment(eq + 1);
  val = trim(eq + 1);
  dst = value_ptr(p->cfg, pool_at(p, p->cur), set);
  if (is_text(set)) {
    int rc = store_text(p, set, val, dst);

    if (rc != ODBCPOOL_OK)
      return rc;
  } else if (!convert(set, val, dst, why, sizeof why)) {
    return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, key, NULL, "%s", why);
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
    return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, NULL, NULL,
                "expected 'key = value' or '[section]'");
  return parse_key(p, line, s, eq);
}

/* Loads the reset statements of `pool`: its script, then its reset_sql. */
static int load_reset(struct parser *p, struct cfg_pool *pool,
                      const struct sec *sec) {
  size_t iscript = 0, isql = 0;
  char ctx[256];
  int rc;

  find_setting("reset_script", &iscript);
  find_setting("reset_sql", &isql);
  if (pool->reset_script) {
    unsigned kline = sec->keyline[iscript];
    char *buf;
    size_t len;
    int e = read_all(pool->reset_script, CFG_MAX_SCRIPT, &buf, &len);

    if (e == ENOMEM)
      return enomem(p->err);
    if (e == EFBIG)
      return emsg(p->err, ODBCPOOL_ECONFIG, p->name, kline, "reset_script",
                  NULL, "'%s' is larger than 1 MiB", pool->reset_script);
    if (e)
      return emsg(p->err, ODBCPOOL_ECONFIG, p->name, kline, "reset_script",
                  NULL, "cannot read '%s': %s", pool->reset_script,
                  read_error(e));
    snprintf(ctx, sizeof ctx, "reset_script of [%s] at %s:%u",
             pool->dsn ? pool->dsn : "defaults", p->name, kline);
    rc = split_sql(pool->reset_script, NULL, ctx, 1, buf, len, &pool->reset,
                   &pool->nreset, p->err);
    free(buf);
    if (rc != ODBCPOOL_OK)
      return rc;
  }
  if (pool->reset_sql)
    return split_sql(p->name, "reset_sql", NULL, sec->keyline[isql],
                     pool->reset_sql, strlen(pool->reset_sql), &pool->reset,
                     &pool->nreset, p->err);
  return ODBCPOOL_OK;
}

/* Splits `purposes` into names: letters, digits, '.', '_', '-', at most
 * 63 bytes each, separated by commas and blanks; no empty name, no
 * duplicate, at most 64. */
static int parse_purposes(struct parser *p, struct cfg_pool *pool,
                          const struct sec *sec) {
  size_t ikey = 0;
  find_setting("purposes", &ikey);
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
      return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, "purposes", NULL,
                  "a purpose is a non-empty name of letters, digits, '.', "
                  "'_' and '-', separated by commas");
    if (n > 63)
      return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, "purposes", NULL,
                  "a purpose is at most 63 bytes");
    for (size_t i = 0; i < pool->npurposes; i++)
      if (strlen(pool->purpose[i]) == n && memcmp(pool->purpose[i], b, n) == 0)
        return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, "purposes", NULL,
                    "purpose '%.*s' is listed twice", (int)n, b);
    if (pool->npurposes == 64)
      return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, "purposes", NULL,
                  "more than 64 purposes");
    char **v = realloc(pool->purpose, (pool->npurposes + 1) * sizeof *v);
    if (v == NULL)
      return enomem(p->err);
    pool->purpose = v;
    if ((v[pool->npurposes] = strndup(b, n)) == NULL)
      return enomem(p->err);
    pool->npurposes++;
    if (*s == ',')
      s++;
    if (*s == '\0' && s[-1] == ',')
      return emsg(p->err, ODBCPOOL_ECONFIG, p->name, line, "purposes", NULL,
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

  find_setting("reset", &ireset);
  if (pool->reset_mode == CFG_RESET_CUSTOM && !statements)
    return emsg(p->err, ODBCPOOL_ECONFIG, p->name,
                sec->keyline[ireset] ? sec->keyline[ireset] : pool->line,
                "reset", NULL,
                "[%s]: reset = custom needs reset_script or reset_sql", where);
  if (pool->reset_mode == CFG_RESET_NONE && statements)
    return emsg(p->err, ODBCPOOL_ECONFIG, p->name,
                sec->keyline[ireset] ? sec->keyline[ireset] : pool->line,
                "reset", NULL,
                "[%s]: reset = none runs no reset statements, but "
                "reset_script or reset_sql is set (write reset = custom to "
                "run only those, or auto to run them after the built-in "
                "reset)",
                where);
  return ODBCPOOL_OK;
}

/* Applies table defaults to [defaults], inheritance to the DSN sections,
 * cross-key checks, and loads the reset statements. */
static int finish(struct parser *p) {
  struct cfg *cfg = p->cfg;
  int rc;

  for (size_t i = 0; i < NSET; i++) {
    const struct cfg_setting *s = &odbcpool__cfg_settings[i];
    void *dst = value_ptr(cfg, &cfg->defaults, s);
    char why[256];

    if (p->secs[0].keyline[i])
      continue;
    if (is_text(s)) {
      assert(s->def == NULL);
      *(char **)dst = NULL;
    } else if (!convert(s, s->def, dst, why, sizeof why)) {
      assert(!"bad default in the settings table");
      return emsg(p->err, ODBCPOOL_ECONFIG, "settings table", 0, s->name, NULL,
                  "%s", why);
    }
  }
  for (size_t k = 0; k < cfg->npools; k++) {
    struct cfg_pool *pool = &cfg->pools[k];
    struct sec *sec = &p->secs[k + 1];

    for (size_t i = 0; i < NSET; i++) {
      const struct cfg_setting *s = &odbcpool__cfg_settings[i];
      void *dst, *src;

      if (s->defaults_only || sec->keyline[i])
        continue;
      sec->keyline[i] = p->secs[0].keyline[i];
      dst = value_ptr(cfg, pool, s);
      src = value_ptr(cfg, &cfg->defaults, s);
      if (s->type == CFG_BOOL) {
        *(bool *)dst = *(bool *)src;
      } else if (!is_text(s)) {
        *(long *)dst = *(long *)src;
      } else if (*(char **)src) {
        *(char **)dst = strdup(*(char **)src);
        if (!*(char **)dst)
          return enomem(p->err);
      }
    }
  }
  for (size_t k = 0; k <= cfg->npools; k++) {
    struct cfg_pool *pool = pool_at(p, k);

    if (pool->min_idle > pool->max_connections) {
      rc = note(p,
                emsg(p->err, ODBCPOOL_ECONFIG, p->name, pool->line, NULL, NULL,
                     "[%s]: min_idle (%ld) is greater than "
                     "max_connections (%ld)",
                     pool->dsn ? pool->dsn : "defaults", pool->min_idle,
                     pool->max_connections));
      if (rc != ODBCPOOL_OK)
        return rc;
    }
    rc = note(p, load_reset(p, pool, &p->secs[k]));
    if (rc != ODBCPOOL_OK)
      return rc;
    rc = note(p, check_reset(p, pool, &p->secs[k]));
    if (rc != ODBCPOOL_OK)
      return rc;
    rc = note(p, parse_purposes(p, pool, &p->secs[k]));
    if (rc != ODBCPOOL_OK)
      return rc;
    if ((pool->credentials == NULL) != (pool->credentials_key == NULL)) {
      rc = note(p,
                emsg(p->err, ODBCPOOL_ECONFIG, p->name, pool->line, NULL, NULL,
                     "[%s]: credentials and credentials_key go together",
                     pool->dsn ? pool->dsn : "defaults"));
      if (rc != ODBCPOOL_OK)
        return rc;
    }
  }
  if (cfg->log != NULL && !log_valid(cfg->log))
    return emsg(p->err, ODBCPOOL_ECONFIG, p->name, cfg->defaults.line, "log",
                NULL, "'%.64s' is not syslog, stderr, none or an absolute path",
                cfg->log);
  if ((cfg->audit_path != NULL || cfg->audit_syslog) &&
      cfg->audit_key_file == NULL)
    return note(p, emsg(p->err, ODBCPOOL_ECONFIG, p->name, cfg->audit_line,
                        NULL, NULL,
                        "[audit]: key_file is required to write an audit "
                        "log"));
  if (cfg->audit_pseudonym_period % 86400000L != 0)
    return note(p, emsg(p->err, ODBCPOOL_ECONFIG, p->name, cfg->audit_line,
                        "pseudonym_period", NULL,
                        "must be whole days (e.g. 30d), or 0"));
  return ODBCPOOL_OK;
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
    rc = note(&p, emsg(err, ODBCPOOL_ECONFIG, name, 0, NULL, NULL,
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
    rc = enomem(err);
    goto out;
  }
  p.cfg->path = strdup(name);
  if (!p.cfg->path) {
    rc = enomem(err);
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
      rc = emsg(err, ODBCPOOL_ECONFIG, name, line, NULL, NULL,
                "line is longer than %zu bytes", CFG_MAX_LINE);
      bad = true;
    }
    for (size_t i = 0; i < n && !bad; i++) {
      unsigned char c = (unsigned char)buf[pos + i];

      if (c == '\0') {
        rc = emsg(err, ODBCPOOL_ECONFIG, name, line, NULL, NULL,
                  "NUL byte in line");
        bad = true;
      } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
        rc = emsg(err, ODBCPOOL_ECONFIG, name, line, NULL, NULL,
                  "control character 0x%02x in line", c);
        bad = true;
      }
    }
    if (!bad) {
      memcpy(scratch, buf + pos, n);
      scratch[n] = '\0';
      rc = parse_line(&p, line, scratch);
    }
    rc = note(&p, rc);
    if (rc != ODBCPOOL_OK)
      goto out;
    pos = nl ? end + 1 : len;
  }
  rc = finish(&p);
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
  e = read_all(path, CFG_MAX_FILE, &buf, &len);
  if (e == ENOMEM)
    return enomem(err);
  if (e == EFBIG)
    return emsg(err, ODBCPOOL_ECONFIG, path, 0, NULL, NULL,
                "file is larger than 16 MiB");
  if (e)
    return odbcpool__err(err, ODBCPOOL_EIO, CFG_SQLSTATE,
                         "%s: cannot read config file: %s", path,
                         read_error(e));
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
  for (size_t i = 0; i < NSET; i++) {
    const struct cfg_setting *s = &odbcpool__cfg_settings[i];

    if (is_text(s) && !s->defaults_only)
      free(*(char **)value_ptr(NULL, pool, s));
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
