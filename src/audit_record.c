/* audit_record.c — the audit record's format, shared by the writer and
 * the verifier: hex, the MAC and the chain key, the time field, and the
 * syntax of a record line (see doc/AUDIT.md). */
#include "build.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "audit_record.h"

/* The MAC key is derived from the configured key, so that the pseudonym
 * of a user name (HMAC with the key itself) can never serve as a record
 * MAC, whatever the name. */
static const char chain_label[] = "odbcpool audit chain v1";
const char odbcpool__audit_genesis[MAC_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

void odbcpool__audit_hex(const unsigned char *in, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * n] = '\0';
}

bool odbcpool__audit_is_hex(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

/* hex(HMAC-SHA256(key, data)) into out[65]. Returns false if libcrypto
 * failed (out is then all zeros, which never matches a stored MAC by
 * chance): the caller must not use it, least of all write it. */
bool odbcpool__audit_mac(const unsigned char *key, const void *data, size_t n,
                         char out[MAC_HEX + 1]) {
  unsigned char md[MAC_LEN];
  unsigned int len = MAC_LEN;
  bool ok = HMAC(EVP_sha256(), key, KEY_LEN, data, n, md, &len) != NULL &&
            len == MAC_LEN;
  if (!ok)
    memset(md, 0, sizeof md);
  odbcpool__audit_hex(md, MAC_LEN, out);
  return ok;
}

/* Returns false if libcrypto failed. */
bool odbcpool__audit_chain_key(const unsigned char *key, unsigned char *out) {
  unsigned int len = MAC_LEN;
  if (HMAC(EVP_sha256(), key, KEY_LEN, (const unsigned char *)chain_label,
           TAG_LEN(chain_label), out, &len) == NULL ||
      len != MAC_LEN) {
    memset(out, 0, MAC_LEN);
    return false;
  }
  return true;
}

/* Formats `ms` since the epoch as the "time" field (out[TIME_LEN + 1]) or,
 * with `stamp`, as a rotated file's suffix; returns its UTC date as
 * yyyymmdd. */
int odbcpool__audit_format_time(int64_t ms, bool stamp, char *out,
                                size_t outlen) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  char tmp[64];
  if (ms < 0 || gmtime_r(&t, &tm) == NULL)
    memset(&tm, 0, sizeof tm);
  int year = tm.tm_year + 1900;
  if (year < 0 || year > 9999)
    year = 0;
  if (stamp)
    snprintf(tmp, sizeof tmp, "%04d%02d%02dT%02d%02d%02d.%03dZ", year,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(ms % 1000));
  else
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(ms % 1000));
  size_t n = strlen(tmp);
  if (n >= outlen)
    n = outlen - 1;
  memcpy(out, tmp, n);
  out[n] = '\0';
  return year * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

bool odbcpool__audit_is_time(const char *t) {
  static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
  for (size_t i = 0; i < TIME_LEN; i++) {
    if (shape[i] == 'd' ? !(t[i] >= '0' && t[i] <= '9') : t[i] != shape[i])
      return false;
  }
  return true;
}

/* Whether `s` (n bytes, no newline) has the shape of a record: the fixed
 * head, seq, optional stream, time and event, and the fixed tail. The
 * MAC is not checked here. A crashed write can never leave a line of
 * this shape, so the writer and the verifier agree on what a record is. */
bool odbcpool__audit_parse_shape(const char *s, size_t n,
                                 struct line_info *li) {
  const char *p = s, *end = s + n;

  memset(li, 0, sizeof *li);
  if (n < TAG_LEN(HEAD_TAG) + TAIL_LEN ||
      memcmp(p, HEAD_TAG, TAG_LEN(HEAD_TAG)) != 0)
    return false;
  p += TAG_LEN(HEAD_TAG);
  const char *tail = end - TAIL_LEN;
  const char *digits = p;
  while (p < tail && *p >= '0' && *p <= '9') {
    if (p - digits >= 19)
      return false;
    li->seq = li->seq * 10 + (uint64_t)(*p - '0');
    p++;
  }
  if (p == digits || (*digits == '0' && p - digits > 1) || li->seq == 0)
    return false;
  static const char stream_tag[] = ",\"stream\":\"";
  if ((size_t)(tail - p) > TAG_LEN(stream_tag) + STREAM_HEX + 1 &&
      memcmp(p, stream_tag, TAG_LEN(stream_tag)) == 0) {
    p += TAG_LEN(stream_tag);
    if (!odbcpool__audit_is_hex(p, STREAM_HEX) || p[STREAM_HEX] != '"')
      return false;
    li->stream = p;
    p += STREAM_HEX + 1;
  }
  static const char time_tag[] = ",\"time\":\"";
  if ((size_t)(tail - p) < TAG_LEN(time_tag) + TIME_LEN + 1 ||
      memcmp(p, time_tag, TAG_LEN(time_tag)) != 0)
    return false;
  p += TAG_LEN(time_tag);
  if (!odbcpool__audit_is_time(p) || p[TIME_LEN] != '"')
    return false;
  li->time = p;
  p += TIME_LEN + 1;
  static const char event_tag[] = ",\"event\":\"";
  if ((size_t)(tail - p) < TAG_LEN(event_tag) + 2 ||
      memcmp(p, event_tag, TAG_LEN(event_tag)) != 0)
    return false;
  p += TAG_LEN(event_tag);
  li->event = p;
  while (p < tail && ((*p >= 'a' && *p <= 'z') || *p == '_'))
    p++;
  li->event_len = (size_t)(p - li->event);
  if (p >= tail || *p != '"' || li->event_len == 0)
    return false;
  /* The tail: ,"prev":"<64 hex>","mac":"<64 hex>"} */
  p = tail;
  if (memcmp(p, PREV_TAG, TAG_LEN(PREV_TAG)) != 0)
    return false;
  p += TAG_LEN(PREV_TAG);
  if (!odbcpool__audit_is_hex(p, MAC_HEX) || p[MAC_HEX] != '"')
    return false;
  li->prev = p;
  p += MAC_HEX + 1;
  li->signed_len = (size_t)(p - s);
  if (memcmp(p, MAC_TAG, TAG_LEN(MAC_TAG)) != 0)
    return false;
  p += TAG_LEN(MAC_TAG);
  if (!odbcpool__audit_is_hex(p, MAC_HEX) || memcmp(p + MAC_HEX, "\"}", 2) != 0)
    return false;
  li->mac = p;
  return true;
}

bool odbcpool__audit_mac_matches(const unsigned char *chain_key,
                                 const char *line, const struct line_info *li) {
  char want[MAC_HEX + 1];
  return odbcpool__audit_mac(chain_key, line, li->signed_len, want) &&
         CRYPTO_memcmp(want, li->mac, MAC_HEX) == 0;
}
