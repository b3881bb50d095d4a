/* config_impl.h — what the files of the config parser share (config.c,
 * config_settings.c, config_value.c, config_check.c, sqlsplit.c): limits,
 * the parser's state, and the helpers each file offers the others. Not
 * for the rest of the library, and never for src/driver/
 * (tests/layering.sh checks). */
#ifndef ODBCPOOL_CONFIG_IMPL_H
#define ODBCPOOL_CONFIG_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "odbcpool.h"

#define CFG_MAX_FILE ((size_t)16 << 20)  /* bytes of a config file */
#define CFG_MAX_LINE ((size_t)64 << 10)  /* bytes of one line */
#define CFG_MAX_SCRIPT ((size_t)1 << 20) /* bytes of a reset_script */
#define CFG_MAX_POOLS 10000              /* DSN sections */
#define CFG_SQLSTATE "HY000"

/* Rows of the settings table (odbcpool__cfg_settings); config_settings.c
 * checks at compile time that they agree. */
#define CFG_NSET 34

/* Per section: the line on which each key was set, 0 if it was not. */
struct sec {
  unsigned keyline[CFG_NSET];
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

/* The section `i` of the parser's secs indexes: 0 is [defaults]. */
static inline struct cfg_pool *pool_at(struct parser *p, size_t i) {
  return i == 0 ? &p->cfg->defaults : &p->cfg->pools[i - 1];
}

/* --- config.c ------------------------------------------------------- */

/* Fills `err` with "name[:line]: [key 'k': ]reason[ (suffix)]" and returns
 * `code`. `line` 0 and NULL `key` or `suffix` are left out. */
int odbcpool__cfg_emsg(odbcpool_error *err, int code, const char *name, unsigned line,
                const char *key, const char *suffix, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* Fills `err` for out of memory and returns ODBCPOOL_ENOMEM. */
int odbcpool__cfg_enomem(odbcpool_error *err);
/* The reason odbcpool__cfg_read_all failed, for messages. */
const char *odbcpool__cfg_read_error(int e);
/* Reads the whole regular file at `path`, at most `max` bytes, into a
 * malloc'd buffer with a NUL after the data. Returns 0 or an errno value;
 * EFBIG if the file is larger than `max`. */
int odbcpool__cfg_read_all(const char *path, size_t max, char **out,
                           size_t *outlen);

/* --- config_settings.c ---------------------------------------------- */

/* The row of setting `key` (its index in *idx), or NULL. */
const struct cfg_setting *odbcpool__cfg_find_setting(const char *key,
                                                     size_t *idx);

/* --- config_value.c ------------------------------------------------- */

/* Converts text `v` of an INT, DURATION, BOOL or CHOICE setting into
 * *dst. On error returns false with the reason in `why`. */
bool odbcpool__cfg_convert(const struct cfg_setting *s, const char *v,
                           void *dst, char *why, size_t whylen);
/* Writable address of setting `s` for `pool` (or `cfg`). */
void *odbcpool__cfg_value_ptr(struct cfg *cfg, struct cfg_pool *pool,
                              const struct cfg_setting *s);
/* Whether `s` is kept as text (a char *). */
bool odbcpool__cfg_is_text(const struct cfg_setting *s);

/* --- config_check.c ------------------------------------------------- */

/* In collect mode, records the ECONFIG error just written to p->err and
 * returns OK so that parsing goes on; any other code is returned. */
int odbcpool__cfg_note(struct parser *p, int rc);
/* After the last line: table defaults, inheritance, cross-key checks,
 * the reset statements and the purposes. */
int odbcpool__cfg_finish(struct parser *p);

#endif /* ODBCPOOL_CONFIG_IMPL_H */
