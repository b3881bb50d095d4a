/* audit_json.c — strings as the audit records hold them: JSON strings in
 * plain ASCII, escaped, invalid UTF-8 as \ufffd, cut at a character
 * boundary. */
#include "build.h"

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "audit.h"
#include "audit_record.h"
#include "util.h"

/* Decodes one UTF-8 character at *pp (< end), strictly: overlong forms,
 * surrogates, code points above U+10FFFF and truncated sequences are
 * invalid, and each byte that does not start a valid sequence decodes to
 * U+FFFD on its own. */
static uint32_t utf8_decode(const unsigned char **pp,
                            const unsigned char *end) {
  const unsigned char *p = *pp;
  unsigned c = p[0];
  size_t need;
  uint32_t cp;
  unsigned char lo = 0x80, hi = 0xBF;

  if (c < 0x80) {
    *pp = p + 1;
    return c;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    cp = c & 0x0F;
    if (c == 0xE0)
      lo = 0xA0;
    else if (c == 0xED)
      hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    cp = c & 0x07;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F;
  } else {
    *pp = p + 1;
    return 0xFFFD;
  }
  if ((size_t)(end - p) < need + 1 || p[1] < lo || p[1] > hi) {
    *pp = p + 1;
    return 0xFFFD;
  }
  for (size_t i = 1; i <= need; i++) {
    if ((p[i] & 0xC0) != 0x80) {
      *pp = p + 1;
      return 0xFFFD;
    }
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  *pp = p + need + 1;
  return cp;
}

static void put_u16(struct odbcpool__buf *b, unsigned u) {
  static const char digits[] = "0123456789abcdef";
  char e[6] = {'\\',
               'u',
               digits[(u >> 12) & 15],
               digits[(u >> 8) & 15],
               digits[(u >> 4) & 15],
               digits[u & 15]};
  odbcpool__buf_append(b, e, sizeof e);
}

/* Length of `s` cut to at most `max` bytes at a character boundary. */
static size_t cut_len(const char *s, size_t max) {
  size_t n = strnlen(s, max);
  if (n < max || s[n] == '\0')
    return n;
  /* s[n] is the first byte left out: if it continues a character, leave
   * out that character's first bytes too. */
  for (int k = 0; k < 3 && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80; k++)
    n--;
  if (((unsigned char)s[n] & 0xC0) == 0x80)
    n = max; /* not UTF-8 anyway: its bytes become U+FFFD */
  return n;
}

/* Appends `s` as a JSON string, in ASCII only: '"', '\\' and control
 * characters escaped, other non-ASCII characters as \uXXXX (surrogate
 * pairs above U+FFFF), invalid UTF-8 as \ufffd per byte. ASCII output
 * survives syslog daemons, terminals and grep unchanged. */
void odbcpool__audit_json_put(struct odbcpool__buf *b, const char *s,
                              size_t max) {
  const unsigned char *p = (const unsigned char *)s;
  const unsigned char *end = p + cut_len(s, max);

  odbcpool__buf_append(b, "\"", 1);
  while (p < end) {
    const unsigned char *run = p;
    while (p < end && *p >= 0x20 && *p < 0x7F && *p != '"' && *p != '\\')
      p++;
    if (p > run)
      odbcpool__buf_append(b, (const char *)run, (size_t)(p - run));
    if (p >= end)
      break;
    uint32_t c = utf8_decode(&p, end);
    switch (c) {
    case '"':
      odbcpool__buf_puts(b, "\\\"");
      break;
    case '\\':
      odbcpool__buf_puts(b, "\\\\");
      break;
    case '\b':
      odbcpool__buf_puts(b, "\\b");
      break;
    case '\f':
      odbcpool__buf_puts(b, "\\f");
      break;
    case '\n':
      odbcpool__buf_puts(b, "\\n");
      break;
    case '\r':
      odbcpool__buf_puts(b, "\\r");
      break;
    case '\t':
      odbcpool__buf_puts(b, "\\t");
      break;
    default:
      if (c >= 0x10000) {
        c -= 0x10000;
        put_u16(b, 0xD800 + (c >> 10));
        put_u16(b, 0xDC00 + (c & 0x3FF));
      } else {
        put_u16(b, c);
      }
    }
  }
  odbcpool__buf_append(b, "\"", 1);
}

void odbcpool__audit_json_string(struct odbcpool__buf *b, const char *s) {
  odbcpool__audit_json_put(b, s, FIELD_MAX_FILE);
}
