/* audit_subject.c — a data subject's records (GDPR Art. 15): the
 * subject's pseudonym in every period whose key is kept, looked for in a
 * trail that is verified while it is read. */
#include "build.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "audit_keys.h"
#include "audit_report.h"
#include "secret.h"

#define LEGACY "(audit key)" /* records from before pseudonym periods */

/* One period: its pseudonym of the subject (if its key is kept), and
 * how many records with a principal it has in the trail. */
struct period {
  char id[ODBCPOOL_PKEY_ID_MAX];
  char pseudonym[33]; /* "": key not kept or not usable */
  char why[160];      /* why not, for the output */
  uint64_t records, matches;
};

struct subject {
  struct period *p;
  size_t n, cap;
  bool json;
  uint64_t matches;
  struct odbcpool__buf rows; /* the matching records, rendered */
};

static struct period *period_add(struct subject *s, const char *id) {
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->p[i].id, id) == 0)
      return &s->p[i];
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    struct period *np = realloc(s->p, cap * sizeof *np);
    if (np == NULL)
      return NULL;
    s->p = np;
    s->cap = cap;
  }
  struct period *p = &s->p[s->n++];
  memset(p, 0, sizeof *p);
  snprintf(p->id, sizeof p->id, "%s", id);
  return p;
}

static void put_num(struct odbcpool__buf *b, const char *fmt, int64_t v) {
  char num[48];
  snprintf(num, sizeof num, fmt, v);
  odbcpool__buf_puts(b, num);
}

/* The record's text fields that are present (pool, purpose, reason): as
 * JSON members `,"name":"value"`, or as text ` name="value"`. */
static void put_texts(struct odbcpool__buf *b,
                      const struct odbcpool__audit_entry *e, bool json) {
  struct {
    const char *name;
    struct odbcpool__jstr v;
  } f[] = {{"pool", e->pool}, {"purpose", e->purpose}, {"reason", e->reason}};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
    if (f[i].v.s == NULL)
      continue;
    odbcpool__buf_puts(b, json ? ",\"" : " ");
    odbcpool__buf_puts(b, f[i].name);
    odbcpool__buf_puts(b, json ? "\":" : "=\"");
    odbcpool__audit_show(b, f[i].v,
                         json ? ODBCPOOL_SHOW_JSON : ODBCPOOL_SHOW_TEXT);
    if (!json)
      odbcpool__buf_puts(b, "\"");
  }
}

/* Renders one matching record. */
static void put_match(struct subject *s,
                      const struct odbcpool__audit_entry *e) {
  struct odbcpool__buf *b = &s->rows;
  if (s->json) {
    odbcpool__buf_puts(b, s->matches ? ",\n    {\"time\":\""
                                     : "\n    {\"time\":\"");
    odbcpool__buf_puts(b, e->time);
    odbcpool__buf_puts(b, "\",\"event\":\"");
    odbcpool__buf_puts(b, e->event);
    odbcpool__buf_puts(b, "\"");
    put_texts(b, e, true);
    if (e->duration_ms >= 0)
      put_num(b, ",\"duration_ms\":%" PRId64, e->duration_ms);
    if (e->wait_ms >= 0)
      put_num(b, ",\"wait_ms\":%" PRId64, e->wait_ms);
    odbcpool__buf_puts(b, ",\"period\":\"");
    odbcpool__buf_puts(b, e->period[0] ? e->period : LEGACY);
    odbcpool__buf_puts(b, "\",\"file\":");
    odbcpool__audit_json_string(b, e->file);
    put_num(b, ",\"line\":%" PRId64 "}", (int64_t)e->line);
    return;
  }
  odbcpool__buf_puts(b, "  ");
  odbcpool__buf_puts(b, e->time);
  odbcpool__buf_puts(b, "  ");
  odbcpool__buf_puts(b, e->event);
  for (size_t i = strlen(e->event); i < 13; i++)
    odbcpool__buf_puts(b, " ");
  put_texts(b, e, false);
  if (e->duration_ms >= 0)
    put_num(b, " held=%" PRId64 "ms", e->duration_ms);
  if (e->wait_ms >= 0)
    put_num(b, " waited=%" PRId64 "ms", e->wait_ms);
  odbcpool__buf_puts(b, "\n");
}

static void on_entry(void *ctx, const struct odbcpool__audit_entry *e) {
  struct subject *s = ctx;
  if (e->principal[0] == '\0')
    return;
  struct period *p = period_add(s, e->period[0] ? e->period : LEGACY);
  if (p == NULL)
    return;
  p->records++;
  if (p->pseudonym[0] == '\0' ||
      CRYPTO_memcmp(p->pseudonym, e->principal, 32) != 0)
    return;
  p->matches++;
  put_match(s, e);
  s->matches++;
}

/* Computes the subject's pseudonym in each period whose key is kept, and
 * with the audit key (records without a period). */
static int pseudonyms(struct subject *s, const struct odbcpool__trail_src *src,
                      const unsigned char *master, const char *name,
                      FILE *errout) {
  struct period *legacy = period_add(s, LEGACY);
  if (legacy == NULL ||
      !odbcpool__pkey_pseudonym(master, name, legacy->pseudonym))
    return -1;
  if (src->pkey_dir == NULL)
    return 0;
  char **ids;
  int n;
  odbcpool_error err;
  if (odbcpool__pkey_list(src->pkey_dir, &ids, &n, &err) != ODBCPOOL_OK) {
    fprintf(errout, "odbcpool audit subject: %s\n", err.message);
    return -1;
  }
  unsigned char *key = odbcpool__secure_alloc(32);
  int rc = key ? 0 : -1;
  for (int i = 0; i < n && rc == 0; i++) {
    struct period *p = period_add(s, ids[i]);
    if (p == NULL) {
      rc = -1;
      break;
    }
    if (odbcpool__pkey_load(src->pkey_dir, master, ids[i], false, key, &err) !=
        ODBCPOOL_OK)
      snprintf(p->why, sizeof p->why, "key not usable: %.140s", err.message);
    else if (!odbcpool__pkey_pseudonym(key, name, p->pseudonym))
      rc = -1;
  }
  if (key)
    odbcpool__secure_free(key, 32);
  odbcpool__audit_files_free(ids, n);
  return rc;
}

static void print_periods(const struct subject *s, bool searched, FILE *out) {
  bool first = true;
  for (size_t i = 0; i < s->n; i++) {
    const struct period *p = &s->p[i];
    bool ok = p->pseudonym[0] != '\0';
    if (ok != searched || (p->records == 0 && (!searched || i == 0)))
      continue;
    if (s->json) {
      fprintf(out, "%s\n    {\"period\":\"%s\",\"records\":%" PRIu64,
              first ? "" : ",", p->id, p->records);
      if (searched)
        fprintf(out, ",\"matches\":%" PRIu64 "}", p->matches);
      else
        fprintf(out, ",\"why\":\"%s\"}",
                p->why[0] ? "key not usable"
                          : "key deleted: these records can no longer be "
                            "tied to anyone");
    } else {
      fprintf(out, "  %-14s %8" PRIu64 " records with a principal", p->id,
              p->records);
      if (searched)
        fprintf(out, ", %" PRIu64 " of the subject\n", p->matches);
      else
        fprintf(out, ": %s\n",
                p->why[0] ? p->why
                          : "key deleted: they can no longer be tied to "
                            "anyone");
    }
    first = false;
  }
  if (first && !s->json)
    fprintf(out, "  (none)\n");
}

int odbcpool__audit_subject(const struct odbcpool__trail_src *src,
                            const char *name, bool json, FILE *out,
                            FILE *errout) {
  struct subject s = {.json = json};
  struct odbcpool__audit_scan scan = {0};
  odbcpool_error err;
  int status = ODBCPOOL_DSR_ERROR;
  unsigned char *master = odbcpool__secure_alloc(32);

  if (master == NULL) {
    fprintf(errout, "odbcpool audit subject: out of memory\n");
    return status;
  }
  if (odbcpool__secret_load_key(src->key_file, master, &err) != ODBCPOOL_OK) {
    fprintf(errout, "odbcpool audit subject: %s\n", err.message);
    goto done;
  }
  if (pseudonyms(&s, src, master, name, errout) != 0) {
    fprintf(errout, "odbcpool audit subject: cannot compute the subject's "
                    "pseudonyms\n");
    goto done;
  }
  odbcpool__secure_free(master, 32);
  master = NULL;
  int rc = odbcpool__audit_scan_files(src->key_file, src->files, src->nfiles,
                                      src->syslog, on_entry, &s, &scan);
  if (rc != ODBCPOOL_OK && rc != ODBCPOOL_EINVAL) {
    fprintf(errout, "odbcpool audit subject: %s\n", scan.error);
    goto done;
  }
  if (s.rows.failed) {
    fprintf(errout, "odbcpool audit subject: out of memory\n");
    goto done;
  }
  status = rc == ODBCPOOL_OK ? ODBCPOOL_DSR_INTACT : ODBCPOOL_DSR_TAMPERED;
  if (json) {
    fprintf(out,
            "{\"intact\":%s,\"records_read\":%" PRIu64
            ",\"bad_places\":%" PRIu64 ",\"problems\":[",
            status == ODBCPOOL_DSR_INTACT ? "true" : "false", scan.records,
            scan.nbad);
    for (size_t i = 0; i < scan.nbadkept; i++) {
      struct odbcpool__buf b = {0};
      odbcpool__audit_json_string(&b, scan.bad[i]);
      fprintf(out, "%s\n    %s", i ? "," : "", b.data ? b.data : "\"\"");
      odbcpool__buf_wipe(&b);
    }
    fprintf(out,
            "],\n  \"matches\":%" PRIu64 ",\"records\":[%s],\n"
            "  \"periods_searched\":[",
            s.matches, s.rows.data ? s.rows.data : "");
    print_periods(&s, true, out);
    fprintf(out, "],\n  \"periods_not_searched\":[");
    print_periods(&s, false, out);
    fprintf(out, "]}\n");
  } else {
    if (status != ODBCPOOL_DSR_INTACT) {
      fprintf(out,
              "TAMPERED: the trail is not intact: %" PRIu64 " bad "
              "places. A record at such a place may have been the "
              "subject's and is not listed:\n",
              scan.nbad);
      for (size_t i = 0; i < scan.nbadkept; i++)
        fprintf(out, "  %s\n", scan.bad[i]);
      if (scan.nbad > scan.nbadkept)
        fprintf(out, "  ... and %" PRIu64 " more\n", scan.nbad - scan.nbadkept);
    }
    if (s.matches == 0)
      fprintf(out,
              "No record of this subject in the periods searched "
              "(%" PRIu64 " records read).\n",
              scan.records);
    else
      fprintf(out,
              "%" PRIu64 " records of this subject (of %" PRIu64 " read):\n%s",
              s.matches, scan.records, s.rows.data);
    fprintf(out, "Periods searched:\n");
    print_periods(&s, true, out);
    fprintf(out, "Periods that could not be searched:\n");
    print_periods(&s, false, out);
    fprintf(out, "Chain: %s\n",
            status == ODBCPOOL_DSR_INTACT ? "intact"
                                          : "NOT INTACT (see above)");
  }
done:
  if (master)
    odbcpool__secure_free(master, 32);
  odbcpool__audit_scan_free(&scan);
  odbcpool__buf_wipe(&s.rows);
  OPENSSL_cleanse(s.p, s.cap * sizeof *s.p);
  free(s.p);
  return status;
}
