/* audit_report.c — `odbcpool audit report`: reads and verifies the trail
 * and sums up its records per DSN and purpose (GDPR Art. 30, 5(2)), as
 * text or JSON; the HTML page is audit_html.c. */
#include "build.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit.h"
#include "audit_keys.h"
#include "audit_report_data.h"
#include "error.h"

#define SQLSTATE "HY000"

const char *const odbcpool__rep_hold_labels[REP_HOLD_BUCKETS] = {
    "< 10 ms",    "10-100 ms", "0.1-1 s",  "1-10 s",
    "10 s-1 min", "1-10 min",  ">= 10 min"};

/* ---------------------------------------------------------------- map */

static uint64_t hash(const char *k, size_t n) {
  uint64_t h = 1469598103934665603u;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)k[i]) * 1099511628211u;
  return h;
}

static bool grow(struct rep_map *m) {
  size_t cap = m->cap ? m->cap * 2 : 16;
  struct rep_ent *v = calloc(cap, sizeof *v);
  if (v == NULL)
    return false;
  for (size_t i = 0; i < m->cap; i++) {
    if (m->v[i].key == NULL)
      continue;
    size_t j = hash(m->v[i].key, m->v[i].klen) & (cap - 1);
    while (v[j].key != NULL)
      j = (j + 1) & (cap - 1);
    v[j] = m->v[i];
  }
  free(m->v);
  m->v = v;
  m->cap = cap;
  return true;
}

struct rep_ent *odbcpool__rep_add(struct rep_map *m, const char *key,
                                  size_t klen) {
  if ((m->n + 1) * 2 > m->cap && !grow(m)) {
    m->failed = true;
    return NULL;
  }
  size_t j = hash(key, klen) & (m->cap - 1);
  while (m->v[j].key != NULL) {
    if (m->v[j].klen == klen && memcmp(m->v[j].key, key, klen) == 0)
      return &m->v[j];
    j = (j + 1) & (m->cap - 1);
  }
  char *k = malloc(klen + 1);
  if (k == NULL) {
    m->failed = true;
    return NULL;
  }
  memcpy(k, key, klen);
  k[klen] = '\0';
  m->v[j] = (struct rep_ent){k, klen, 0, 0};
  m->n++;
  return &m->v[j];
}

static int by_key(const void *x, const void *y) {
  const struct rep_ent *a = *(struct rep_ent *const *)x;
  const struct rep_ent *b = *(struct rep_ent *const *)y;
  size_t n = a->klen < b->klen ? a->klen : b->klen;
  int c = memcmp(a->key, b->key, n);
  return c ? c : (a->klen > b->klen) - (a->klen < b->klen);
}

static int by_count(const void *x, const void *y) {
  const struct rep_ent *a = *(struct rep_ent *const *)x;
  const struct rep_ent *b = *(struct rep_ent *const *)y;
  if (a->count != b->count)
    return a->count < b->count ? 1 : -1;
  return by_key(x, y);
}

struct rep_ent **odbcpool__rep_sorted(const struct rep_map *m, bool by_cnt) {
  if (m->n == 0)
    return NULL;
  struct rep_ent **v = malloc(m->n * sizeof *v);
  if (v == NULL)
    return NULL;
  size_t k = 0;
  for (size_t i = 0; i < m->cap; i++)
    if (m->v[i].key != NULL)
      v[k++] = &m->v[i];
  qsort(v, k, sizeof *v, by_cnt ? by_count : by_key);
  return v;
}

void odbcpool__rep_free(struct rep_map *m) {
  for (size_t i = 0; i < m->cap; i++)
    free(m->v[i].key);
  free(m->v);
  memset(m, 0, sizeof *m);
}

void odbcpool__rep_duration(uint64_t ms, char *out, size_t n) {
  if (ms < 1000)
    snprintf(out, n, "%" PRIu64 " ms", ms);
  else if (ms < 60000)
    snprintf(out, n, "%.1f s", (double)ms / 1000);
  else if (ms < 3600000)
    snprintf(out, n, "%.1f min", (double)ms / 60000);
  else if (ms < 86400000)
    snprintf(out, n, "%.1f h", (double)ms / 3600000);
  else
    snprintf(out, n, "%.1f d", (double)ms / 86400000);
}

/* -------------------------------------------------------------- build */

static bool copy_str(struct rep_str *d, struct odbcpool__jstr v) {
  d->s = NULL;
  d->n = 0;
  if (v.s == NULL)
    return true;
  d->s = malloc(v.n + 1);
  if (d->s == NULL)
    return false;
  memcpy(d->s, v.s, v.n);
  d->s[v.n] = '\0';
  d->n = v.n;
  return true;
}

/* The group of (pool, purpose), made when new; NULL on ENOMEM. */
static struct rep_group *group_of(struct odbcpool__report *r,
                                  const struct odbcpool__audit_entry *e) {
  struct odbcpool__buf k = {0};
  /* Escaped strings hold no control bytes: \1 and \2 cannot occur. */
  if (e->pool.s)
    odbcpool__buf_append(&k, e->pool.s, e->pool.n);
  odbcpool__buf_append(&k, e->purpose.s ? "\1" : "\2", 1);
  if (e->purpose.s)
    odbcpool__buf_append(&k, e->purpose.s, e->purpose.n);
  struct rep_ent *x =
      k.failed ? NULL : odbcpool__rep_add(&r->group_idx, k.data, k.len);
  odbcpool__buf_wipe(&k);
  if (x == NULL)
    return NULL;
  if (x->count > 0)
    return &r->groups[x->aux];
  /* New: on ENOMEM the key stays with count 0 and the report fails. */
  if (r->ngroups == r->capgroups) {
    size_t cap = r->capgroups ? r->capgroups * 2 : 8;
    struct rep_group *g = realloc(r->groups, cap * sizeof *g);
    if (g == NULL) {
      r->group_idx.failed = true;
      return NULL;
    }
    r->groups = g;
    r->capgroups = cap;
  }
  struct rep_group *g = &r->groups[r->ngroups];
  memset(g, 0, sizeof *g);
  if (!copy_str(&g->pool, e->pool) || !copy_str(&g->purpose, e->purpose)) {
    free(g->pool.s);
    r->group_idx.failed = true;
    return NULL;
  }
  x->count = 1;
  x->aux = r->ngroups++;
  return g;
}

static struct rep_pool *pool_of(struct odbcpool__report *r,
                                const struct odbcpool__audit_entry *e) {
  struct rep_ent *x =
      odbcpool__rep_add(&r->pool_idx, e->pool.s ? e->pool.s : "", e->pool.n);
  if (x == NULL)
    return NULL;
  if (x->count > 0)
    return &r->pools[x->aux];
  if (r->npools == r->cappools) { /* on ENOMEM: as group_of */
    size_t cap = r->cappools ? r->cappools * 2 : 8;
    struct rep_pool *p = realloc(r->pools, cap * sizeof *p);
    if (p == NULL) {
      r->pool_idx.failed = true;
      return NULL;
    }
    r->pools = p;
    r->cappools = cap;
  }
  struct rep_pool *p = &r->pools[r->npools];
  memset(p, 0, sizeof *p);
  if (!copy_str(&p->pool, e->pool)) {
    r->pool_idx.failed = true;
    return NULL;
  }
  x->count = 1;
  x->aux = r->npools++;
  return p;
}

static void count(struct rep_map *m, struct odbcpool__jstr v) {
  struct rep_ent *x =
      v.s ? odbcpool__rep_add(m, v.s, v.n) : odbcpool__rep_add(m, "(none)", 6);
  if (x)
    x->count++;
}

static int hold_bucket(uint64_t ms) {
  static const uint64_t lim[] = {10, 100, 1000, 10000, 60000, 600000};
  int b = 0;
  while (b < REP_HOLD_BUCKETS - 1 && ms >= lim[b])
    b++;
  return b;
}

static void on_entry(void *ctx, const struct odbcpool__audit_entry *e) {
  struct odbcpool__report *r = ctx;
  if (r->oldest_ms == 0 || e->time_ms < r->oldest_ms) {
    r->oldest_ms = e->time_ms;
    memcpy(r->oldest_time, e->time, sizeof r->oldest_time);
  }
  if (e->time_ms < r->since_ms)
    return;
  r->records++;
  if (r->first_ms == 0 || e->time_ms < r->first_ms)
    r->first_ms = e->time_ms;
  if (e->time_ms > r->last_ms)
    r->last_ms = e->time_ms;
  if (e->lost) {
    r->lost += e->lost;
    r->lost_records++;
  }
  const char *ev = e->event;
  bool borrow_level = !strcmp(ev, "borrow") || !strcmp(ev, "return") ||
                      !strcmp(ev, "refused") || !strcmp(ev, "wait_timeout");
  if (e->principal[0]) {
    struct rep_ent *x = odbcpool__rep_add(&r->principals, e->principal, 32);
    if (x)
      x->count++;
  }
  if (borrow_level) {
    struct rep_group *g = group_of(r, e);
    if (g == NULL)
      return;
    if (e->principal[0]) {
      struct rep_ent *x = odbcpool__rep_add(&g->principals, e->principal, 32);
      if (x)
        x->count++;
    }
    if (!strcmp(ev, "borrow")) {
      g->borrows++;
      if (e->wait_ms > 0 && (uint64_t)e->wait_ms > g->wait_max_ms)
        g->wait_max_ms = (uint64_t)e->wait_ms;
      struct rep_ent *l = odbcpool__rep_add(
          &r->labels, e->purpose.s ? e->purpose.s : "", e->purpose.n);
      if (l == NULL)
        return;
      if (l->count++ == 0)
        l->aux = r->labels.n - 1;
      char key[16];
      int64_t day = e->time_ms / ODBCPOOL_DAY_MS;
      uint32_t li = (uint32_t)l->aux;
      memcpy(key, &day, 8);
      memcpy(key + 8, &li, 4);
      struct rep_ent *d = odbcpool__rep_add(&r->days, key, 12);
      if (d)
        d->count++;
    } else if (!strcmp(ev, "return")) {
      g->returns++;
      if (e->duration_ms >= 0) {
        uint64_t ms = (uint64_t)e->duration_ms;
        g->hold_total_ms += ms;
        if (ms > g->hold_max_ms)
          g->hold_max_ms = ms;
        g->hold[hold_bucket(ms)]++;
        r->hold[hold_bucket(ms)]++;
      }
    } else if (!strcmp(ev, "refused")) {
      g->refused++;
      count(&g->refusals, e->reason);
    } else {
      g->wait_timeouts++;
    }
    return;
  }
  if (e->pool.s == NULL)
    return; /* lost, recovery records: counted above */
  struct rep_pool *p = pool_of(r, e);
  if (p == NULL)
    return;
  char who[48];
  int wl = snprintf(who, sizeof who, "%" PRIu64 ":%" PRIu64, e->pid, e->conn);
  if (!strcmp(ev, "open"))
    p->opens++;
  else if (!strcmp(ev, "close")) {
    count(&p->closes, e->reason);
    struct rep_ent *f = odbcpool__rep_add(&p->failed_open, who, (size_t)wl);
    if (f != NULL) {
      p->failed_closed += f->count;
      f->count = 0;
    }
  } else if (!strcmp(ev, "reset_ok"))
    p->reset_ok++;
  else if (!strcmp(ev, "reset_failed")) {
    p->reset_failed++;
    count(&p->reset_failures, e->reason);
    struct rep_ent *f = odbcpool__rep_add(&p->failed_open, who, (size_t)wl);
    if (f != NULL)
      f->count++;
  } else if (!strcmp(ev, "leak_suspected"))
    p->leaks++;
}

/* Retention: rotated files and period keys past it (with a config). */
static int retention(struct odbcpool__report *r,
                     const struct odbcpool__trail_src *src,
                     odbcpool_error *err) {
  r->retention_ms = -1;
  if (src->cfg == NULL)
    return ODBCPOOL_OK;
  r->retention_ms = src->cfg->audit_retention;
  int64_t cutoff = r->now_ms - r->retention_ms;
  if (src->cfg->audit_path != NULL && !src->cfg->audit_syslog &&
      r->retention_ms > 0) {
    for (int i = 0; i < src->nfiles; i++) {
      struct stat st;
      if (strcmp(src->files[i], src->cfg->audit_path) == 0 ||
          lstat(src->files[i], &st) != 0 ||
          (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000 >=
              cutoff)
        continue;
      char **v = realloc(r->due_files, (r->ndue_files + 1) * sizeof *v);
      if (v == NULL || (v[r->ndue_files] = strdup(src->files[i])) == NULL) {
        if (v)
          r->due_files = v;
        return odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
      }
      r->due_files = v;
      r->ndue_files++;
    }
  }
  if (src->pkey_dir != NULL) {
    if (odbcpool__pkey_list(src->pkey_dir, &r->keys, &r->nkeys, err) !=
        ODBCPOOL_OK)
      return err->code;
    r->keys_known = true;
    for (int i = 0; i < r->nkeys; i++) {
      int64_t end;
      if (r->retention_ms > 0 &&
          odbcpool__pkey_id_parse(r->keys[i], strlen(r->keys[i]), NULL, &end) &&
          end < cutoff)
        r->ndue_keys++;
    }
  }
  return ODBCPOOL_OK;
}

int odbcpool__report_build(const struct odbcpool__trail_src *src,
                           int64_t since_ms, int64_t now_ms,
                           struct odbcpool__report **out /* OUT */,
                           odbcpool_error *err) {
  odbcpool__err_clear(err);
  *out = NULL;
  struct odbcpool__report *r = calloc(1, sizeof *r);
  if (r == NULL)
    return odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
  r->since_ms = since_ms;
  r->now_ms = now_ms;
  r->nfiles = src->nfiles;
  int rc = odbcpool__audit_scan_files(src->key_file, src->files, src->nfiles,
                                      src->syslog, on_entry, r, &r->scan);
  if (rc != ODBCPOOL_OK && rc != ODBCPOOL_EINVAL) {
    odbcpool__err(err, rc, SQLSTATE, "%s", r->scan.error);
    odbcpool__report_free(r);
    return rc;
  }
  rc = retention(r, src, err);
  if (rc == ODBCPOOL_OK &&
      (r->group_idx.failed || r->pool_idx.failed || r->labels.failed ||
       r->days.failed || r->principals.failed))
    rc = odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
  if (rc != ODBCPOOL_OK) {
    odbcpool__report_free(r);
    return rc;
  }
  *out = r;
  return ODBCPOOL_OK;
}

bool odbcpool__report_intact(const struct odbcpool__report *r) {
  return r->scan.rc == ODBCPOOL_OK;
}

void odbcpool__report_free(struct odbcpool__report *r) {
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->ngroups; i++) {
    free(r->groups[i].pool.s);
    free(r->groups[i].purpose.s);
    odbcpool__rep_free(&r->groups[i].principals);
    odbcpool__rep_free(&r->groups[i].refusals);
  }
  for (size_t i = 0; i < r->npools; i++) {
    free(r->pools[i].pool.s);
    odbcpool__rep_free(&r->pools[i].closes);
    odbcpool__rep_free(&r->pools[i].reset_failures);
    odbcpool__rep_free(&r->pools[i].failed_open);
  }
  free(r->groups);
  free(r->pools);
  odbcpool__rep_free(&r->group_idx);
  odbcpool__rep_free(&r->pool_idx);
  odbcpool__rep_free(&r->principals);
  odbcpool__rep_free(&r->labels);
  odbcpool__rep_free(&r->days);
  odbcpool__audit_scan_free(&r->scan);
  odbcpool__audit_files_free(r->due_files, (int)r->ndue_files);
  odbcpool__audit_files_free(r->keys, r->nkeys);
  free(r);
}

/* --------------------------------------------------------------- text */

static struct odbcpool__jstr js(const struct rep_str *s) {
  return (struct odbcpool__jstr){s->s, s->n};
}

/* Prints a record's string for a terminal, in quotes; "-" if absent. */
static void show(FILE *out, struct odbcpool__jstr v, enum odbcpool__show how) {
  struct odbcpool__buf b = {0};
  if (v.s == NULL && how != ODBCPOOL_SHOW_JSON) {
    fputs("-", out);
    return;
  }
  if (v.s == NULL) {
    fputs("null", out);
    return;
  }
  odbcpool__audit_show(&b, v, how);
  fprintf(out, how == ODBCPOOL_SHOW_TEXT ? "\"%s\"" : "%s",
          b.data ? b.data : "");
  odbcpool__buf_wipe(&b);
}

static void counts_text(FILE *out, const struct rep_map *m) {
  struct rep_ent **v = odbcpool__rep_sorted(m, true);
  if (v == NULL) {
    fputs("none", out);
    return;
  }
  for (size_t i = 0; i < m->n; i++) {
    fputs(i ? ", " : "", out);
    show(out, (struct odbcpool__jstr){v[i]->key, v[i]->klen},
         ODBCPOOL_SHOW_TEXT);
    fprintf(out, " %" PRIu64, v[i]->count);
  }
  free(v);
}

static void fmt_time(int64_t ms, char *out, size_t n) {
  if (ms == 0) {
    snprintf(out, n, "-");
    return;
  }
  int64_t days = ms / ODBCPOOL_DAY_MS, rem = ms % ODBCPOOL_DAY_MS;
  char id[ODBCPOOL_PKEY_ID_MAX];
  /* The period id of a one-day period is the date as yyyymmdd. */
  odbcpool__pkey_id(days * ODBCPOOL_DAY_MS, ODBCPOOL_DAY_MS, id, NULL, NULL);
  snprintf(out, n, "%.4s-%.2s-%.2s %02d:%02d UTC", id, id + 4, id + 6,
           (int)(rem / 3600000), (int)(rem / 60000 % 60));
}

void odbcpool__report_text(const struct odbcpool__report *r, FILE *out) {
  char a[48], b[48];
  fmt_time(r->now_ms, a, sizeof a);
  fprintf(out, "odbcpool audit report, made %s\n", a);
  fmt_time(r->first_ms, a, sizeof a);
  fmt_time(r->last_ms, b, sizeof b);
  fprintf(out, "Records: %" PRIu64 " from %s to %s", r->records, a, b);
  if (r->since_ms != INT64_MIN) {
    fmt_time(r->since_ms, a, sizeof a);
    fprintf(out, " (since %s)", a);
  }
  fprintf(out, "; %" PRIu64 " read in %d files\n", r->scan.records, r->nfiles);
  if (r->scan.rc == ODBCPOOL_OK)
    fprintf(out, "Chain: intact (every record verified and chained)\n");
  else {
    fprintf(out,
            "Chain: NOT INTACT: %" PRIu64 " bad places; the figures "
            "below leave out what is there:\n",
            r->scan.nbad);
    for (size_t i = 0; i < r->scan.nbadkept; i++)
      fprintf(out, "  %s\n", r->scan.bad[i]);
  }
  fprintf(out, "Distinct principals (pseudonyms): %zu\n", r->principals.n);

  fprintf(out, "\nBorrows per DSN and purpose:\n");
  for (size_t i = 0; i < r->ngroups; i++) {
    const struct rep_group *g = &r->groups[i];
    fputs("  DSN ", out);
    show(out, js(&g->pool), ODBCPOOL_SHOW_TEXT);
    fputs(" purpose ", out);
    show(out, js(&g->purpose), ODBCPOOL_SHOW_TEXT);
    odbcpool__rep_duration(g->hold_total_ms, a, sizeof a);
    odbcpool__rep_duration(g->hold_max_ms, b, sizeof b);
    fprintf(out,
            "\n    borrows %" PRIu64 ", principals %zu, held %s in "
            "total, longest %s, wait timeouts %" PRIu64 "\n",
            g->borrows, g->principals.n, a, b, g->wait_timeouts);
    fprintf(out, "    refused %" PRIu64 ": ", g->refused);
    counts_text(out, &g->refusals);
    fputs("\n", out);
  }
  if (r->ngroups == 0)
    fprintf(out, "  none\n");
  fprintf(out, "\nConnections per DSN:\n");
  for (size_t i = 0; i < r->npools; i++) {
    const struct rep_pool *p = &r->pools[i];
    fputs("  DSN ", out);
    show(out, js(&p->pool), ODBCPOOL_SHOW_TEXT);
    fprintf(out,
            "\n    opened %" PRIu64 ", erased %" PRIu64 ", erasure "
            "failures %" PRIu64 " (connection closed after it: %" PRIu64 "): ",
            p->opens, p->reset_ok, p->reset_failed, p->failed_closed);
    counts_text(out, &p->reset_failures);
    fputs("\n    closed: ", out);
    counts_text(out, &p->closes);
    fprintf(out, "\n    suspected leaks %" PRIu64 "\n", p->leaks);
  }
  if (r->npools == 0)
    fprintf(out, "  none\n");
  fprintf(out, "\nHold times (returns):");
  for (int i = 0; i < REP_HOLD_BUCKETS; i++)
    fprintf(out, "%s %s: %" PRIu64, i ? "," : "", odbcpool__rep_hold_labels[i],
            r->hold[i]);
  fprintf(out, "\n\nAudit losses: %" PRIu64 " records not written", r->lost);
  if (r->lost)
    fprintf(out,
            " (reported by %" PRIu64 " records; odbcpool audit verify "
            "names them)",
            r->lost_records);
  fprintf(out, "\n\nRetention:\n  oldest record kept: %s\n",
          r->oldest_ms ? r->oldest_time : "-");
  if (r->retention_ms < 0) {
    fprintf(out, "  retention: unknown (give the pool config to see what "
                 "is due for purge)\n");
    return;
  }
  odbcpool__rep_duration((uint64_t)r->retention_ms, a, sizeof a);
  fprintf(out, "  retention: %s\n  files due for purge: %zu\n",
          r->retention_ms ? a : "0 (kept forever)", r->ndue_files);
  for (size_t i = 0; i < r->ndue_files; i++)
    fprintf(out, "    %s\n", r->due_files[i]);
  if (r->keys_known) {
    fprintf(out, "  pseudonym keys kept: %d (", r->nkeys);
    for (int i = 0; i < r->nkeys; i++)
      fprintf(out, "%s%s", i ? " " : "", r->keys[i]);
    fprintf(out, "), due for deletion: %zu\n", r->ndue_keys);
  }
  if (r->ndue_files || r->ndue_keys)
    fprintf(out, "  run odbcpool audit purge to delete them\n");
}

/* --------------------------------------------------------------- JSON */

static void counts_json(FILE *out, const struct rep_map *m) {
  struct rep_ent **v = odbcpool__rep_sorted(m, false);
  fputs("{", out);
  for (size_t i = 0; v != NULL && i < m->n; i++) {
    fputs(i ? "," : "", out);
    show(out, (struct odbcpool__jstr){v[i]->key, v[i]->klen},
         ODBCPOOL_SHOW_JSON);
    fprintf(out, ":%" PRIu64, v[i]->count);
  }
  fputs("}", out);
  free(v);
}

static void json_text(FILE *out, const char *s) {
  struct odbcpool__buf b = {0};
  odbcpool__audit_json_string(&b, s);
  fputs(b.data ? b.data : "\"\"", out);
  odbcpool__buf_wipe(&b);
}

void odbcpool__report_json(const struct odbcpool__report *r, FILE *out) {
  fprintf(out, "{\"now_ms\":%" PRId64 ",\"since_ms\":", r->now_ms);
  if (r->since_ms == INT64_MIN)
    fputs("null", out);
  else
    fprintf(out, "%" PRId64, r->since_ms);
  fprintf(out,
          ",\"first_ms\":%" PRId64 ",\"last_ms\":%" PRId64
          ",\n \"records\":%" PRIu64 ",\"records_read\":%" PRIu64
          ",\"files\":%d,\"intact\":%s,\"bad_places\":%" PRIu64
          ",\"problems\":[",
          r->first_ms, r->last_ms, r->records, r->scan.records, r->nfiles,
          r->scan.rc == ODBCPOOL_OK ? "true" : "false", r->scan.nbad);
  for (size_t i = 0; i < r->scan.nbadkept; i++) {
    fputs(i ? "," : "", out);
    json_text(out, r->scan.bad[i]);
  }
  fprintf(out, "],\n \"principals\":%zu,\"purposes\":[", r->principals.n);
  for (size_t i = 0; i < r->ngroups; i++) {
    const struct rep_group *g = &r->groups[i];
    fputs(i ? ",\n  {\"pool\":" : "\n  {\"pool\":", out);
    show(out, js(&g->pool), ODBCPOOL_SHOW_JSON);
    fputs(",\"purpose\":", out);
    show(out, js(&g->purpose), ODBCPOOL_SHOW_JSON);
    fprintf(out,
            ",\"borrows\":%" PRIu64 ",\"returns\":%" PRIu64
            ",\"principals\":%zu,\"hold_total_ms\":%" PRIu64
            ",\"hold_max_ms\":%" PRIu64 ",\"wait_max_ms\":%" PRIu64
            ",\"wait_timeouts\":%" PRIu64 ",\"refused\":%" PRIu64
            ",\"refusals\":",
            g->borrows, g->returns, g->principals.n, g->hold_total_ms,
            g->hold_max_ms, g->wait_max_ms, g->wait_timeouts, g->refused);
    counts_json(out, &g->refusals);
    fputs(",\"hold_histogram\":[", out);
    for (int k = 0; k < REP_HOLD_BUCKETS; k++)
      fprintf(out, "%s%" PRIu64, k ? "," : "", g->hold[k]);
    fputs("]}", out);
  }
  fputs("],\n \"pools\":[", out);
  for (size_t i = 0; i < r->npools; i++) {
    const struct rep_pool *p = &r->pools[i];
    fputs(i ? ",\n  {\"pool\":" : "\n  {\"pool\":", out);
    show(out, js(&p->pool), ODBCPOOL_SHOW_JSON);
    fprintf(out,
            ",\"opened\":%" PRIu64 ",\"erased\":%" PRIu64
            ",\"erasure_failures\":%" PRIu64
            ",\"closed_after_failure\":%" PRIu64
            ",\"erasure_failure_reasons\":",
            p->opens, p->reset_ok, p->reset_failed, p->failed_closed);
    counts_json(out, &p->reset_failures);
    fputs(",\"closed\":", out);
    counts_json(out, &p->closes);
    fprintf(out, ",\"leaks_suspected\":%" PRIu64 "}", p->leaks);
  }
  fputs("],\n \"hold_histogram\":{", out);
  for (int k = 0; k < REP_HOLD_BUCKETS; k++)
    fprintf(out, "%s\"%s\":%" PRIu64, k ? "," : "",
            odbcpool__rep_hold_labels[k], r->hold[k]);
  fprintf(out,
          "},\n \"lost\":%" PRIu64 ",\"lost_reports\":%" PRIu64
          ",\"oldest_record\":",
          r->lost, r->lost_records);
  if (r->oldest_ms)
    fprintf(out, "\"%s\"", r->oldest_time);
  else
    fputs("null", out);
  fputs(",\"retention_ms\":", out);
  if (r->retention_ms < 0)
    fputs("null", out);
  else
    fprintf(out, "%ld", r->retention_ms);
  fputs(",\"files_due_for_purge\":[", out);
  for (size_t i = 0; i < r->ndue_files; i++) {
    fputs(i ? "," : "", out);
    json_text(out, r->due_files[i]);
  }
  fputs("],\"pseudonym_keys\":", out);
  if (!r->keys_known)
    fputs("null", out);
  else {
    fputs("[", out);
    for (int i = 0; i < r->nkeys; i++)
      fprintf(out, "%s\"%s\"", i ? "," : "", r->keys[i]);
    fputs("]", out);
  }
  fprintf(out, ",\"pseudonym_keys_due\":%zu}\n", r->ndue_keys);
}
