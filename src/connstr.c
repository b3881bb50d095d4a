/* connstr.c — ODBC connection string parsing. */
#include "build.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "connstr.h"
#include "error.h"
#include "util.h"

#define MAX_ATTRS 256
#define MAX_LEN (64 * 1024)

static char *dup_range(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d != NULL) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Appends (key, value), the attribute at offset `at`, to cs, taking
 * ownership of both. */
static int push(struct odbcpool__connstr *cs, char *key, char *value, size_t at,
                odbcpool_error *err) {
  if (cs->n == MAX_ATTRS) {
    free(key);
    odbcpool__wipe_free(value);
    return odbcpool__err(err, ODBCPOOL_EINVAL, "HY000",
                         "connection string: more than %d attributes, the "
                         "next at offset %zu",
                         MAX_ATTRS, at);
  }
  if (cs->n % 16 == 0) {
    struct odbcpool__kv *kv = realloc(cs->kv, (cs->n + 16) * sizeof *kv);
    if (kv == NULL) {
      free(key);
      odbcpool__wipe_free(value);
      return odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
    }
    cs->kv = kv;
  }
  cs->kv[cs->n].key = key;
  cs->kv[cs->n].value = value;
  cs->n++;
  return ODBCPOOL_OK;
}

int odbcpool__connstr_parse(const char *s, size_t len,
                            struct odbcpool__connstr *out,
                            odbcpool_error *err) {
  out->kv = NULL;
  out->n = 0;
  if (s == NULL)
    return ODBCPOOL_OK;
  if (len == (size_t)-1)
    len = strnlen(s, MAX_LEN + 1);
  if (len > MAX_LEN)
    return odbcpool__err(err, ODBCPOOL_EINVAL, "HY000",
                         "connection string longer than %d bytes", MAX_LEN);
  const char *nul = memchr(s, '\0', len);
  if (nul != NULL)
    return odbcpool__err(err, ODBCPOOL_EINVAL, "HY000",
                         "connection string: NUL byte at offset %zu",
                         (size_t)(nul - s));
  size_t i = 0;
  int code = ODBCPOOL_OK;
  while (i < len && code == ODBCPOOL_OK) {
    while (i < len && (is_space(s[i]) || s[i] == ';'))
      i++;
    if (i == len)
      break;
    size_t kstart = i;
    while (i < len && s[i] != '=' && s[i] != ';')
      i++;
    if (i == len || s[i] != '=') {
      code = odbcpool__err(err, ODBCPOOL_EINVAL, "HY000",
                           "connection string: attribute at offset %zu "
                           "has no '='",
                           kstart);
      break;
    }
    size_t kend = i;
    while (kend > kstart && is_space(s[kend - 1]))
      kend--;
    if (kend == kstart) {
      code = odbcpool__err(err, ODBCPOOL_EINVAL, "HY000",
                           "connection string: empty keyword at offset %zu",
                           kstart);
      break;
    }
    i++; /* '=' */
    while (i < len && is_space(s[i]) && s[i] != ';')
      i++;
    char *value;
    if (i < len && s[i] == '{') {
      size_t vstart = ++i;
      /* Braced: ends at a '}' that is not doubled. Find the end first,
       * so the copy costs the value's size, not the rest of the string
       * (256 short braced values would otherwise hold 256 times it). */
      bool closed = false;
      while (i < len) {
        if (s[i] == '}') {
          if (i + 1 < len && s[i + 1] == '}') {
            i += 2;
            continue;
          }
          closed = true;
          break;
        }
        i++;
      }
      size_t vend = i; /* the closing '}', or len */
      if (closed)
        i++;
      while (i < len && is_space(s[i]))
        i++;
      if (!closed || (i < len && s[i] != ';')) {
        code = odbcpool__err(err, ODBCPOOL_EINVAL, "HY000",
                             closed ? "connection string: junk after '}' "
                                      "at offset %zu"
                                    : "connection string: unterminated '{' "
                                      "at offset %zu",
                             closed ? i : vstart - 1);
        break;
      }
      char *v = malloc(vend - vstart + 1);
      if (v == NULL) {
        code = odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
        break;
      }
      size_t o = 0;
      for (size_t j = vstart; j < vend; j++) {
        v[o++] = s[j];
        if (s[j] == '}')
          j++; /* the second of "}}" */
      }
      v[o] = '\0';
      value = v;
    } else {
      size_t vstart = i;
      while (i < len && s[i] != ';')
        i++;
      size_t vend = i;
      while (vend > vstart && is_space(s[vend - 1]))
        vend--;
      value = dup_range(s + vstart, vend - vstart);
    }
    char *key = dup_range(s + kstart, kend - kstart);
    if (key == NULL || value == NULL) {
      free(key);
      odbcpool__wipe_free(value);
      code = odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
      break;
    }
    code = push(out, key, value, kstart, err);
  }
  if (code != ODBCPOOL_OK)
    odbcpool__connstr_free(out);
  return code;
}

const char *odbcpool__connstr_get(const struct odbcpool__connstr *cs,
                                  const char *key) {
  for (size_t i = 0; i < cs->n; i++)
    if (strcasecmp(cs->kv[i].key, key) == 0)
      return cs->kv[i].value;
  return NULL;
}

void odbcpool__connstr_free(struct odbcpool__connstr *cs) {
  for (size_t i = 0; i < cs->n; i++) {
    odbcpool__wipe_free(cs->kv[i].value);
    free(cs->kv[i].key);
  }
  free(cs->kv);
  cs->kv = NULL;
  cs->n = 0;
}
