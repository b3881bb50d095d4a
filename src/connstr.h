/* connstr.h — ODBC connection strings: "KEY=value;KEY={va;lue};...". */
#ifndef ODBCPOOL_CONNSTR_H
#define ODBCPOOL_CONNSTR_H

#include <stddef.h>

#include "odbcpool.h"

struct odbcpool__kv {
  char *key;   /* as written, trimmed */
  char *value; /* braces removed, "}}" unescaped */
};

struct odbcpool__connstr {
  struct odbcpool__kv *kv;
  size_t n;
};

/* Parses `len` bytes of `s` (not NUL-terminated; len may be SQL_NTS-like
 * (size_t)-1 for a C string). Attributes are separated by ';'; a value
 * in braces may hold ';', '=' and '}}' (an escaped '}'). Empty segments
 * are skipped. Errors (ODBCPOOL_EINVAL, the message naming the offset):
 * a segment without '=', an empty key, an unterminated brace, junk after
 * a closing brace, a NUL byte, more than 256 attributes; and (naming the
 * limit) more than 64 KiB. On error `out` is left empty, every value
 * copied so far wiped and freed. Memory used is linear in `len`. */
int odbcpool__connstr_parse(const char *s, size_t len,
                            struct odbcpool__connstr *out /* OUT */,
                            odbcpool_error *err);

/* The value of the first attribute named `key` (case-insensitive), or
 * NULL. */
const char *odbcpool__connstr_get(const struct odbcpool__connstr *cs,
                                  const char *key);

/* Wipes every value (they may hold passwords) and frees. */
void odbcpool__connstr_free(struct odbcpool__connstr *cs);

#endif /* ODBCPOOL_CONNSTR_H */
