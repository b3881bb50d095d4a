/* audit_read.c — reading an audit trail back: verified records parsed
 * into fields, and shown safely as text, HTML or JSON. */
#include "build.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_read.h"
#include "audit_verify.h"
#include "util.h"

/* The value of `,"name":` in a record, or NULL. A `,"` is always JSON
 * structure in a record: inside a string every quote is escaped. */
static const char *field(const char *s, size_t n, const char *name) {
  char tag[40];
  int tl = snprintf(tag, sizeof tag, ",\"%s\":", name);
  const char *p = memmem(s, n, tag, (size_t)tl);
  return p ? p + tl : NULL;
}

static bool num_field(const char *s, size_t n, const char *name, int64_t *v) {
  const char *p = field(s, n, name), *end = s + n;
  if (p == NULL)
    return false;
  int64_t x = 0;
  const char *d = p;
  while (p < end && *p >= '0' && *p <= '9' && p - d < 18)
    x = x * 10 + (*p++ - '0');
  if (p == d)
    return false;
  *v = x;
  return true;
}

static struct odbcpool__jstr str_field(const char *s, size_t n,
                                       const char *name) {
  struct odbcpool__jstr r = {NULL, 0};
  const char *p = field(s, n, name), *end = s + n;
  if (p == NULL || p >= end || *p != '"')
    return r;
  const char *q = ++p;
  while (q < end && *q != '"')
    q += *q == '\\' && q + 1 < end ? 2 : 1;
  if (q >= end)
    return r;
  r.s = p;
  r.n = (size_t)(q - p);
  return r;
}

/* Copies a field of plain characters (hex, a period id) into out[cap];
 * "" if absent, too long or not plain. */
static void plain_field(const char *s, size_t n, const char *name, char *out,
                        size_t cap) {
  struct odbcpool__jstr v = str_field(s, n, name);
  out[0] = '\0';
  if (v.s == NULL || v.n >= cap)
    return;
  for (size_t i = 0; i < v.n; i++)
    if (!((v.s[i] >= '0' && v.s[i] <= '9') ||
          (v.s[i] >= 'a' && v.s[i] <= 'z') || v.s[i] == '-' || v.s[i] == '_'))
      return;
  memcpy(out, v.s, v.n);
  out[v.n] = '\0';
}

bool odbcpool__audit_parse_time(const char *s, int64_t *ms /* OUT */) {
  static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
  size_t n = strlen(s);
  if (n != 10 && n != 20 && n != 24)
    return false;
  for (size_t i = 0; i < n; i++) {
    char want = n == 20 && i == 19 ? 'Z' : shape[i];
    if (want == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != want)
      return false;
  }
  int v[7] = {0};
  static const int at[7] = {0, 5, 8, 11, 14, 17, 20};
  static const int len[7] = {4, 2, 2, 2, 2, 2, 3};
  for (int k = 0; k < 7 && (size_t)at[k] < n; k++)
    for (int i = 0; i < len[k] && s[at[k] + i] != 'Z'; i++)
      v[k] = v[k] * 10 + (s[at[k] + i] - '0');
  if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 ||
      v[4] > 59 || v[5] > 60)
    return false;
  int64_t days =
      odbcpool__days_from_civil(v[0], (unsigned)v[1], (unsigned)v[2]);
  *ms = ((days * 24 + v[3]) * 60 + v[4]) * 60000 + (int64_t)v[5] * 1000 + v[6];
  return true;
}

bool odbcpool__audit_entry_parse(const char *line, size_t n,
                                 struct odbcpool__audit_entry *e) {
  int64_t seq = 0;
  memset(e, 0, sizeof *e);
  e->duration_ms = e->wait_ms = -1;
  if (n < 8 || memcmp(line, "{\"seq\":", 7) != 0)
    return false;
  const char *p = line + 7;
  while (p < line + n && *p >= '0' && *p <= '9' && seq < INT64_MAX / 10)
    seq = seq * 10 + (*p++ - '0');
  e->seq = (uint64_t)seq;
  plain_field(line, n, "event", e->event, sizeof e->event);
  struct odbcpool__jstr t = str_field(line, n, "time");
  if (t.s == NULL || t.n != 24)
    return false;
  memcpy(e->time, t.s, 24);
  e->time[24] = '\0';
  if (!odbcpool__audit_parse_time(e->time, &e->time_ms) || !e->event[0])
    return false;
  e->pool = str_field(line, n, "pool");
  e->purpose = str_field(line, n, "purpose");
  e->reason = str_field(line, n, "reason");
  int64_t v;
  if (num_field(line, n, "conn", &v))
    e->conn = (uint64_t)v;
  if (num_field(line, n, "pid", &v))
    e->pid = (uint64_t)v;
  plain_field(line, n, "principal", e->principal, sizeof e->principal);
  plain_field(line, n, "period", e->period, sizeof e->period);
  if (num_field(line, n, "duration_ms", &v))
    e->duration_ms = v;
  if (num_field(line, n, "wait_ms", &v))
    e->wait_ms = v;
  if (num_field(line, n, "lost", &v))
    e->lost = (uint64_t)v;
  return true;
}

static int hexval(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

/* Reads \uXXXX at p (end bound); returns the code unit or -1. */
static long u4(const char *p, const char *end) {
  if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
    return -1;
  long u = 0;
  for (int i = 2; i < 6; i++) {
    int h = hexval(p[i]);
    if (h < 0)
      return -1;
    u = u * 16 + h;
  }
  return u;
}

static void put_cp(struct odbcpool__buf *b, uint32_t c, bool html) {
  char o[12];
  size_t n = 0;
  /* Shown escaped: controls, and the bidirectional controls that can
   * make a line read otherwise than it is. */
  if (c < 0x20 || (c >= 0x7f && c < 0xa0) || (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f ||
      (c >= 0xd800 && c < 0xe000)) {
    snprintf(o, sizeof o, "\\u%04x", (unsigned)c);
    odbcpool__buf_puts(b, o);
    return;
  }
  if (html && (c == '&' || c == '<' || c == '>' || c == '"' || c == '\'')) {
    odbcpool__buf_puts(b, c == '&'   ? "&amp;"
                          : c == '<' ? "&lt;"
                          : c == '>' ? "&gt;"
                          : c == '"' ? "&quot;"
                                     : "&#39;");
    return;
  }
  if (c < 0x80) {
    o[n++] = (char)c;
  } else if (c < 0x800) {
    o[n++] = (char)(0xC0 | (c >> 6));
    o[n++] = (char)(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    o[n++] = (char)(0xE0 | (c >> 12));
    o[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[n++] = (char)(0x80 | (c & 0x3F));
  } else {
    o[n++] = (char)(0xF0 | (c >> 18));
    o[n++] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[n++] = (char)(0x80 | (c & 0x3F));
  }
  odbcpool__buf_append(b, o, n);
}

void odbcpool__audit_show(struct odbcpool__buf *b, struct odbcpool__jstr v,
                          enum odbcpool__show how) {
  if (how == ODBCPOOL_SHOW_JSON) {
    /* The record's text is valid JSON already (plain ASCII, escaped). */
    odbcpool__buf_puts(b, "\"");
    if (v.s != NULL)
      odbcpool__buf_append(b, v.s, v.n);
    odbcpool__buf_puts(b, "\"");
    return;
  }
  bool html = how == ODBCPOOL_SHOW_HTML;
  const char *p = v.s, *end = v.s ? v.s + v.n : NULL;
  while (p != NULL && p < end) {
    unsigned char c = (unsigned char)*p;
    if (c != '\\') {
      put_cp(b, c >= 0x80 ? 0xFFFD : c, html);
      p++;
      continue;
    }
    if (p + 1 >= end)
      break;
    char k = p[1];
    long u;
    switch (k) {
    case 'n':
      put_cp(b, '\n', html);
      break;
    case 't':
      put_cp(b, '\t', html);
      break;
    case 'r':
      put_cp(b, '\r', html);
      break;
    case 'b':
      put_cp(b, '\b', html);
      break;
    case 'f':
      put_cp(b, '\f', html);
      break;
    case '\\':
      odbcpool__buf_puts(b, "\\\\");
      break;
    case 'u':
      u = u4(p, end);
      if (u < 0) {
        p = end;
        continue;
      }
      p += 6;
      if (u >= 0xD800 && u < 0xDC00) {
        long lo = u4(p, end);
        if (lo >= 0xDC00 && lo < 0xE000) {
          put_cp(b,
                 0x10000 + (((uint32_t)u - 0xD800) << 10) +
                     ((uint32_t)lo - 0xDC00),
                 html);
          p += 6;
          continue;
        }
      }
      put_cp(b, (uint32_t)u, html);
      continue;
    case '"':
      /* Text keeps it escaped, so that a value shown in quotes cannot
       * seem to end early. */
      if (html)
        put_cp(b, '"', html);
      else
        odbcpool__buf_puts(b, "\\\"");
      break;
    default: /* \/ */
      put_cp(b, (unsigned char)k, html);
    }
    p += 2;
  }
}

/* ---------------------------------------------------------------- scan */

struct scan_ctx {
  void (*on_entry)(void *ctx, const struct odbcpool__audit_entry *e);
  void *ctx;
  struct odbcpool__audit_scan *out;
};

static void on_record(void *c, const char *file, unsigned long lineno,
                      const char *line, size_t n) {
  struct scan_ctx *sc = c;
  struct odbcpool__audit_entry e;
  sc->out->records++;
  if (!odbcpool__audit_entry_parse(line, n, &e))
    return;
  e.file = file;
  e.line = lineno;
  if (sc->on_entry)
    sc->on_entry(sc->ctx, &e);
}

static void on_bad(void *c, const char *msg) {
  struct scan_ctx *sc = c;
  struct odbcpool__audit_scan *s = sc->out;
  s->nbad++;
  if (s->nbadkept >= 100)
    return;
  char **nb = realloc(s->bad, (s->nbadkept + 1) * sizeof *nb);
  if (nb == NULL)
    return;
  s->bad = nb;
  if ((nb[s->nbadkept] = strdup(msg)) != NULL)
    s->nbadkept++;
}

int odbcpool__audit_scan_files(
    const char *key_file, char *const *files, int nfiles, bool syslog,
    void (*on_entry)(void *ctx, const struct odbcpool__audit_entry *e),
    void *ctx, struct odbcpool__audit_scan *out) {
  struct scan_ctx sc = {on_entry, ctx, out};
  struct odbcpool__audit_verify_opts opts = {.syslog = syslog,
                                             .on_record = on_record,
                                             .keep_going = true,
                                             .on_bad = on_bad,
                                             .ctx = &sc};
  odbcpool_error err;
  memset(out, 0, sizeof *out);
  out->rc = odbcpool__audit_verify(key_file, files, nfiles, &opts, NULL, &err);
  if (out->rc != ODBCPOOL_OK && out->rc != ODBCPOOL_EINVAL)
    snprintf(out->error, sizeof out->error, "%s", err.message);
  else if (out->rc == ODBCPOOL_EINVAL && out->nbad == 0) {
    /* Found after the files were read (--expect-last, --genesis): one. */
    on_bad(&sc, err.message);
  }
  return out->rc;
}

void odbcpool__audit_scan_free(struct odbcpool__audit_scan *s) {
  for (size_t i = 0; i < s->nbadkept; i++)
    free(s->bad[i]);
  free(s->bad);
  s->bad = NULL;
  s->nbadkept = 0;
}
