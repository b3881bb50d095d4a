/* config.h — the pool config file (odbcpool.ini): settings table, parser. */
#ifndef ODBCPOOL_CONFIG_H
#define ODBCPOOL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "odbcpool.h"
#include "sqlsplit.h"

/* Kinds of setting values. Durations are milliseconds and need a unit
 * ("500ms", "5s", "10min", "2h", "1d"); "0" alone means off/none. */
enum cfg_type {
  CFG_INT,      /* non-negative integer, bounded by the table's min/max */
  CFG_DURATION, /* milliseconds */
  CFG_BOOL,     /* yes/no/true/false/on/off/1/0 */
  CFG_STRING,   /* free text (SQL), kept verbatim after trimming */
  CFG_PATH,     /* a file that must exist and be readable at load time;
                   relative to the config file's directory */
  CFG_CHOICE,   /* one word of the setting's `choices`; stored as its
                   index (a long) */
  CFG_LIST,     /* comma-separated names, kept as text (a char *) */
};

/* Values of the `reset` setting (indexes of its choices). */
enum cfg_reset {
  CFG_RESET_AUTO,   /* the built-in reset of the DBMS found at first
                       connect, then reset_script and reset_sql */
  CFG_RESET_CUSTOM, /* reset_script and reset_sql only */
  CFG_RESET_NONE,   /* no DBMS reset: session state is not erased */
};

/* Settings of one pool (one target DSN). Field names match the keys. */
struct cfg_pool {
  char *dsn;     /* section name; NULL for [defaults] */
  unsigned line; /* line of the section header */
  long max_connections;
  long min_idle;
  long idle_timeout;       /* ms, 0 = never */
  long max_lifetime;       /* ms, 0 = never */
  long lifetime_jitter;    /* ms, each connection's lifetime is shortened
                              by a random amount up to this */
  long borrow_timeout;     /* ms */
  long validation_idle;    /* ms idle after which the check query runs */
  char *validation_query;  /* NULL: only SQL_ATTR_CONNECTION_DEAD */
  long reset_mode;         /* key `reset`: enum cfg_reset */
  long reset_timeout;      /* ms a reset may take before the connection
                              is given up */
  long reset_wait;         /* ms a borrower waits for a connection being
                              reset before opening a new one */
  char *reset_script;      /* path of the script file, or NULL */
  char *reset_sql;         /* inline statements, or NULL */
  bool reset_connection;   /* try SQL_ATTR_RESET_CONNECTION */
  bool reset_prepare;      /* prepare reset statements once per conn */
  char *verify_query;      /* must return no rows, or NULL */
  long leak_threshold;     /* ms, 0 = off */
  bool require_encryption; /* refuse connections without TLS */
  char *encryption_check;  /* SQL confirming TLS on the session */
  char *credentials;       /* encrypted UID/PWD file, or NULL */
  char *credentials_key;   /* key file for `credentials` */
  char *purposes;          /* key `purposes` as written, or NULL: any */
  bool require_purpose;    /* a borrow must name a purpose */
  /* `purposes` split into names. */
  char **purpose;
  size_t npurposes;
  long reauth_interval;    /* ms a password is trusted between real
                              logins */
  /* Parsed from reset_script then reset_sql, in that order. */
  struct cfg_stmt *reset;
  size_t nreset;
};

struct cfg {
  char *path;            /* file the config came from */
  long reset_workers;    /* [defaults] only: reset threads per set */
  char *stats_file;      /* [defaults] only: statistics file or NULL */
  unsigned audit_line;   /* line of [audit], 0 if there is none */
  char *audit_path;      /* [audit] path: the audit log, or NULL */
  char *audit_key_file;  /* [audit] key_file: HMAC key */
  long audit_retention;  /* [audit] retention, ms */
  long audit_rotate_mib; /* [audit] rotate_mib */
  bool audit_syslog;     /* [audit] syslog: write to syslog instead */
  char *log;             /* [defaults] only: log destination, or NULL */
  /* [audit] pseudonym_period, ms (0: the audit key pseudonymises) and
   * pseudonym_keys (NULL: <key_file>.pseudonyms). */
  long audit_pseudonym_period;
  char *audit_pkey_dir;
  struct cfg_pool defaults;
  struct cfg_pool *pools; /* one per DSN section, in file order */
  size_t npools;
};

/* One row of the settings table that drives the parser, `odbcpool check`
 * and the documentation. */
struct cfg_setting {
  const char *name;
  enum cfg_type type;
  const char *def;    /* default, as it would be written in the file */
  long min, max;      /* bounds for CFG_INT and CFG_DURATION */
  size_t offset;      /* into struct cfg_pool; for defaults_only
                         settings into struct cfg */
  bool defaults_only; /* only valid in [defaults] (or `section`);
                         the value lives in struct cfg (see
                         odbcpool__cfg_value) */
  const char *help;
  const char *section;        /* NULL, or the only section it may appear in
                                 ("audit"); then defaults_only is true too */
  const char *const *choices; /* CFG_CHOICE: the words, NULL-terminated */
  bool reload; /* a changed value applies when a running process reloads
                  the file; otherwise only when it starts */
};

extern const struct cfg_setting odbcpool__cfg_settings[];
extern const size_t odbcpool__cfg_nsettings;

/* Loads and validates the config file at `path`. On error returns
 * ODBCPOOL_ECONFIG (or EIO/ENOMEM), fills err->message with "file:line:
 * key: reason" and sets *out to NULL. The caller frees with cfg_free. */
int odbcpool__cfg_load(const char *path, struct cfg **out /* OUT */,
                       odbcpool_error *err);

/* Same, from a buffer of `len` bytes (may contain NUL bytes, which are an
 * error). `name` is used in messages in place of a file name, and a
 * relative reset_script is resolved against its directory part (the
 * current directory if it has none). */
int odbcpool__cfg_parse(const char *name, const char *buf, size_t len,
                        struct cfg **out /* OUT */, odbcpool_error *err);

void odbcpool__cfg_free(struct cfg *cfg);

/* Every problem of a config file, for `odbcpool check`: the messages
 * ("file:line: key 'k': reason"), in the order they were found (lines in
 * file order, then the checks across keys). At most CFG_MAX_PROBLEMS are
 * kept; `more` counts the rest. */
#define CFG_MAX_PROBLEMS 100
struct cfg_problems {
  char *msg[CFG_MAX_PROBLEMS];
  size_t n;
  size_t more;
};

/* Like odbcpool__cfg_load and odbcpool__cfg_parse, but after a problem
 * the parser goes on, and every problem is added to `probs` (which the
 * caller zeroes first and frees with odbcpool__cfg_problems_free). A line
 * that fails is ignored, as are the keys of a section whose header fails.
 * Returns as they do: ECONFIG with the first problem in `err` and *out
 * NULL if there was any problem; ENOMEM and EIO stop at once. The pool
 * library itself uses the stopping variants. */
int odbcpool__cfg_load_all(const char *path, struct cfg **out /* OUT */,
                           struct cfg_problems *probs, odbcpool_error *err);
int odbcpool__cfg_parse_all(const char *name, const char *buf, size_t len,
                            struct cfg **out /* OUT */,
                            struct cfg_problems *probs, odbcpool_error *err);
void odbcpool__cfg_problems_free(struct cfg_problems *probs);

/* The setting name nearest to an unknown `key` (by edit distance, case
 * ignored, a swap of two neighbours counting as one edit), or NULL if none
 * is near enough to be a likely misspelling. Only settings allowed in
 * [audit] when `audit`, only the others when not. */
const char *odbcpool__cfg_suggest(const char *key, bool audit);

/* "defaults" or "audit" if section `name` is a likely misspelling of one
 * of them (within two edits, case ignored, but not the exact name), else
 * NULL. Such a section is a DSN section to the parser. */
const char *odbcpool__cfg_suggest_section(const char *name);

/* The settings for `dsn`: its section, else [defaults]. Never NULL. */
const struct cfg_pool *odbcpool__cfg_pool(const struct cfg *cfg,
                                          const char *dsn);

/* Address of setting `s` for `pool`: a field of `pool`, or of `cfg` for
 * defaults_only settings. Points to a long (CFG_INT, CFG_DURATION), a bool
 * (CFG_BOOL) or a char * that may be NULL (CFG_STRING, CFG_PATH). */
const void *odbcpool__cfg_value(const struct cfg *cfg,
                                const struct cfg_pool *pool,
                                const struct cfg_setting *s);

/* Parses a duration with unit into milliseconds. Returns false on a
 * missing unit, junk or overflow. */
bool odbcpool__cfg_duration(const char *s, long *ms /* OUT */);

/* The word of CFG_CHOICE setting `s` for stored value `v`, never NULL. */
const char *odbcpool__cfg_choice(const struct cfg_setting *s, long v);

/* True if `purpose` is one of the section's purposes (any when it lists
 * none). NULL or "" is no purpose: allowed only without require_purpose
 * and... see odbcpool__borrow. Compared byte for byte. */
bool odbcpool__cfg_purpose_allowed(const struct cfg_pool *pool,
                                   const char *purpose);

/* Formats a duration for display ("5s", "10min", "0"). */
void odbcpool__cfg_format_duration(long ms, char *buf, size_t len);

#endif /* ODBCPOOL_CONFIG_H */
