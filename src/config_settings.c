/* config_settings.c — the settings table: every key of odbcpool.ini with
 * its type, default, bounds, help and reload behaviour. It drives the
 * parser, `odbcpool check` and odbcpool.ini(5). Also the lookup of a key
 * and the suggestions for a misspelt key or section. */
#include "build.h"

#include <assert.h>
#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "config_impl.h"

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

_Static_assert(sizeof odbcpool__cfg_settings /
                       sizeof odbcpool__cfg_settings[0] ==
                   CFG_NSET,
               "CFG_NSET (config_impl.h) must count the settings table");

const size_t odbcpool__cfg_nsettings = CFG_NSET;

const struct cfg_setting *odbcpool__cfg_find_setting(const char *key,
                                                     size_t *idx) {
  for (size_t i = 0; i < CFG_NSET; i++) {
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
  for (size_t i = 0; i < CFG_NSET; i++) {
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
