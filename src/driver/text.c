/* text.c — strings in and out of the driver: ANSI/UTF-8 and SQLWCHAR. */
#include "build.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "driver.h"
#include "util.h"

/* Both conversions stop at a NUL inside the given length: nothing reads
 * past it, and a copy whose strlen is its whole content can be wiped
 * with OPENSSL_cleanse(s, strlen(s)), as the connect functions do with
 * the connection strings and passwords they convert. */
char *drv_utf8(const SQLWCHAR *w, SQLINTEGER len) {
  if (w == NULL)
    return NULL;
  size_t n = 0;
  if (len == SQL_NTS) {
    while (w[n])
      n++;
  } else if (len > 0) {
    while (n < (size_t)len && w[n])
      n++;
  }
  return odbcpool__utf8_dup(w, n);
}

char *drv_utf8_narrow(const SQLCHAR *s, SQLINTEGER len) {
  if (s == NULL)
    return NULL;
  size_t n = len == SQL_NTS ? strlen((const char *)s)
             : len > 0      ? strnlen((const char *)s, (size_t)len)
                            : 0;
  char *d = malloc(n + 1);
  if (d == NULL)
    return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

bool drv_put_text(const char *s, SQLPOINTER buf, SQLINTEGER buflen, bool wide,
                  SQLINTEGER *outlen) {
  if (!wide) {
    size_t n = strlen(s);
    if (outlen != NULL)
      *outlen = (SQLINTEGER)n;
    if (buf == NULL || buflen <= 0)
      return n > 0;
    size_t c = n < (size_t)buflen - 1 ? n : (size_t)buflen - 1;
    memcpy(buf, s, c);
    ((char *)buf)[c] = '\0';
    return c < n;
  }
  size_t n = 0;
  uint16_t *w = odbcpool__utf16_dup(s, &n);
  if (w == NULL)
    return true;
  if (outlen != NULL)
    *outlen = (SQLINTEGER)n;
  bool cut = n > 0;
  if (buf != NULL && buflen > 0) {
    size_t c = n < (size_t)buflen - 1 ? n : (size_t)buflen - 1;
    memcpy(buf, w, c * sizeof *w);
    ((SQLWCHAR *)buf)[c] = 0;
    cut = c < n;
  }
  /* `s` may be a connection string with a password in it. */
  OPENSSL_cleanse(w, (n + 1) * sizeof *w);
  free(w);
  return cut;
}
