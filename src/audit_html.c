/* audit_html.c — the report as one self-contained HTML page for a privacy
 * officer: inline CSS, inline SVG charts (borrows per day per purpose,
 * hold-time distribution), no script and no external resource, so it can
 * be mailed, archived and printed as it is. */
#include "build.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "audit_keys.h"
#include "audit_report_data.h"

#define MAX_DAYS 62  /* days shown in the chart: the last ones */
#define MAX_SERIES 7 /* purposes shown on their own; the rest: "other" */
#define CHART_W 1000
#define CHART_H 300
#define PLOT_X 56
#define PLOT_Y 16
#define PLOT_W (CHART_W - PLOT_X - 16)
#define PLOT_H (CHART_H - PLOT_Y - 28)

static const char *const colors[MAX_SERIES + 1] = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
    "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

/* Writes a record's string HTML-escaped (controls as \uXXXX). */
static void h(FILE *out, const char *s, size_t n, const char *none) {
  if (s == NULL) {
    fputs(none, out);
    return;
  }
  struct odbcpool__buf b = {0};
  odbcpool__audit_show(&b, (struct odbcpool__jstr){s, n}, ODBCPOOL_SHOW_HTML);
  fputs(b.data ? b.data : "", out);
  odbcpool__buf_wipe(&b);
}

/* Writes plain text (a file name, a message) HTML-escaped; other bytes
 * than printable ASCII as '?'. */
static void hp(FILE *out, const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '&')
      fputs("&amp;", out);
    else if (c == '<')
      fputs("&lt;", out);
    else if (c == '>')
      fputs("&gt;", out);
    else if (c == '"')
      fputs("&quot;", out);
    else
      fputc(c >= 0x20 && c < 0x7f ? c : '?', out);
  }
}

static void day_label(int64_t day, char *out, size_t n) {
  char id[ODBCPOOL_PKEY_ID_MAX];
  odbcpool__pkey_id(day * ODBCPOOL_DAY_MS, ODBCPOOL_DAY_MS, id, NULL, NULL);
  snprintf(out, n, "%.2s-%.2s", id + 4, id + 6);
}

static void when(int64_t ms, char *out, size_t n) {
  char id[ODBCPOOL_PKEY_ID_MAX];
  if (ms == 0) {
    snprintf(out, n, "-");
    return;
  }
  int64_t rem = ms % ODBCPOOL_DAY_MS;
  odbcpool__pkey_id(ms, ODBCPOOL_DAY_MS, id, NULL, NULL);
  snprintf(out, n, "%.4s-%.2s-%.2s %02d:%02d UTC", id, id + 4, id + 6,
           (int)(rem / 3600000), (int)(rem / 60000 % 60));
}

/* A round upper bound for an axis. */
static uint64_t nice_max(uint64_t v) {
  uint64_t m = 1;
  while (m * 10 <= v)
    m *= 10;
  for (uint64_t k = 1; k <= 10; k++)
    if (k * m >= v)
      return k * m;
  return v;
}

static void chart_days(const struct odbcpool__report *r, FILE *out) {
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (size_t i = 0; i < r->days.cap; i++) {
    const struct rep_ent *d = &r->days.v[i];
    if (d->key == NULL)
      continue;
    int64_t day;
    memcpy(&day, d->key, 8);
    lo = day < lo ? day : lo;
    hi = day > hi ? day : hi;
  }
  fprintf(out,
          "<svg id=\"borrows-per-day\" class=\"chart\" "
          "xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
          "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
          "aria-label=\"Borrows per day per purpose\">\n",
          CHART_W, CHART_H, CHART_W, CHART_H);
  if (lo > hi) {
    fprintf(out,
            "<text x=\"%d\" y=\"%d\">No borrows in this period.</text>"
            "</svg>\n",
            PLOT_X, CHART_H / 2);
    return;
  }
  if (hi - lo + 1 > MAX_DAYS)
    lo = hi - MAX_DAYS + 1;
  size_t ndays = (size_t)(hi - lo + 1);
  /* Series: the purposes with most borrows, then "other". */
  struct rep_ent **labels = odbcpool__rep_sorted(&r->labels, true);
  size_t nl = r->labels.n, nser = nl > MAX_SERIES ? MAX_SERIES + 1 : nl;
  size_t *series = calloc(nl ? nl : 1, sizeof *series);
  uint64_t *m = calloc(ndays * (nser ? nser : 1), sizeof *m);
  if (labels == NULL || series == NULL || m == NULL) {
    fputs("<text x=\"10\" y=\"20\">out of memory</text></svg>\n", out);
    free(labels);
    free(series);
    free(m);
    return;
  }
  for (size_t i = 0; i < nl; i++)
    series[labels[i]->aux] = i < MAX_SERIES ? i : MAX_SERIES;
  for (size_t i = 0; i < r->days.cap; i++) {
    const struct rep_ent *d = &r->days.v[i];
    int64_t day;
    uint32_t li;
    if (d->key == NULL)
      continue;
    memcpy(&day, d->key, 8);
    memcpy(&li, d->key + 8, 4);
    if (day >= lo && li < nl)
      m[(size_t)(day - lo) * nser + series[li]] += d->count;
  }
  uint64_t top = 0;
  for (size_t d = 0; d < ndays; d++) {
    uint64_t t = 0;
    for (size_t s = 0; s < nser; s++)
      t += m[d * nser + s];
    top = t > top ? t : top;
  }
  top = nice_max(top ? top : 1);
  /* Axes and grid. */
  for (int k = 0; k <= 4; k++) {
    double y = PLOT_Y + PLOT_H - (double)PLOT_H * k / 4;
    fprintf(out,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
            "stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" "
            "text-anchor=\"end\" font-size=\"11\">%" PRIu64 "</text>\n",
            PLOT_X, y, PLOT_X + PLOT_W, y, PLOT_X - 6, y + 4,
            top * (uint64_t)k / 4);
  }
  double bw = (double)PLOT_W / (double)ndays;
  size_t every = ndays / 12 + 1;
  for (size_t d = 0; d < ndays; d++) {
    double x = PLOT_X + bw * (double)d, y = PLOT_Y + PLOT_H;
    char lab[16];
    day_label(lo + (int64_t)d, lab, sizeof lab);
    for (size_t s = 0; s < nser; s++) {
      uint64_t c = m[d * nser + s];
      if (c == 0)
        continue;
      double hgt = (double)PLOT_H * (double)c / (double)top;
      y -= hgt;
      fprintf(out,
              "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
              "height=\"%.1f\" fill=\"%s\"><title>%s: %" PRIu64
              "</title></rect>\n",
              x + bw * 0.1, y, bw * 0.8, hgt, colors[s], lab, c);
    }
    if (d % every == 0)
      fprintf(out,
              "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
              "font-size=\"11\">%s</text>\n",
              x + bw / 2, PLOT_Y + PLOT_H + 16, lab);
  }
  fprintf(out,
          "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
          "stroke=\"#333\"/>\n",
          PLOT_X, PLOT_Y + PLOT_H, PLOT_X + PLOT_W, PLOT_Y + PLOT_H);
  fputs("</svg>\n<p class=\"legend\">", out);
  /* The legend in HTML, where long purposes wrap instead of overlapping. */
  for (size_t s = 0; s < nser; s++) {
    fprintf(out, "<span class=\"key\" style=\"background:%s\"></span> ",
            colors[s]);
    if (s == MAX_SERIES)
      fputs("other purposes", out);
    else if (labels[s]->klen == 0)
      fputs("<i>no purpose</i>", out);
    else
      h(out, labels[s]->key, labels[s]->klen, "");
    fputs(" &nbsp; ", out);
  }
  fputs("</p>\n", out);
  free(labels);
  free(series);
  free(m);
}

static void chart_hold(const struct odbcpool__report *r, FILE *out) {
  const int w = CHART_W, hgt = 240, px = PLOT_X, py = 16, pw = w - px - 16,
            ph = hgt - py - 40;
  uint64_t top = 0;
  for (int i = 0; i < REP_HOLD_BUCKETS; i++)
    top = r->hold[i] > top ? r->hold[i] : top;
  top = nice_max(top ? top : 1);
  fprintf(out,
          "<svg id=\"hold-times\" class=\"chart\" "
          "xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
          "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
          "aria-label=\"Distribution of hold times\">\n",
          w, hgt, w, hgt);
  for (int k = 0; k <= 4; k++) {
    double y = py + ph - (double)ph * k / 4;
    fprintf(out,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
            "stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" "
            "text-anchor=\"end\" font-size=\"11\">%" PRIu64 "</text>\n",
            px, y, px + pw, y, px - 6, y + 4, top * (uint64_t)k / 4);
  }
  double bw = (double)pw / REP_HOLD_BUCKETS;
  for (int i = 0; i < REP_HOLD_BUCKETS; i++) {
    double bh = (double)ph * (double)r->hold[i] / (double)top;
    double x = px + bw * i;
    fprintf(out,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
            "fill=\"#1f77b4\"><title>%s: %" PRIu64 "</title></rect>\n"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
            "font-size=\"11\">%" PRIu64 "</text>\n"
            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
            "font-size=\"12\">%s</text>\n",
            x + bw * 0.15, py + ph - bh, bw * 0.7, bh,
            odbcpool__rep_hold_labels[i], r->hold[i], x + bw / 2,
            py + ph - bh - 4, r->hold[i], x + bw / 2, py + ph + 18,
            odbcpool__rep_hold_labels[i]);
  }
  fprintf(out,
          "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
          "stroke=\"#333\"/>\n</svg>\n",
          px, py + ph, px + pw, py + ph);
}

static void counts(FILE *out, const struct rep_map *m) {
  struct rep_ent **v = odbcpool__rep_sorted(m, true);
  if (v == NULL) {
    fputs("&ndash;", out);
    return;
  }
  for (size_t i = 0; i < m->n; i++) {
    fputs(i ? "<br>" : "", out);
    h(out, v[i]->key, v[i]->klen, "");
    fprintf(out, ": %" PRIu64, v[i]->count);
  }
  free(v);
}

static const char style[] =
    "body{font-family:sans-serif;margin:2em;color:#222;max-width:1040px}"
    "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;"
    "border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;width:100%;font-size:.9em}"
    "th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;"
    "vertical-align:top}td.n{text-align:right}th{background:#f2f2f2}"
    ".ok{background:#e6f4e6;border:1px solid #5a5;padding:.6em}"
    ".bad{background:#fbe3e3;border:1px solid #c33;padding:.6em}"
    ".meta{color:#555}svg{max-width:100%;height:auto}"
    ".key{display:inline-block;width:12px;height:12px;"
    "-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "@media print{body{margin:0}h2{break-after:avoid}svg,table{"
    "break-inside:avoid}}";

void odbcpool__report_html(const struct odbcpool__report *r, FILE *out) {
  char a[48], b[48];
  fprintf(out,
          "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
          "charset=\"utf-8\">\n<title>odbcpool audit report</title>\n"
          "<style>%s</style></head><body>\n",
          style);
  fputs("<h1>Audit report: processing of personal data through "
        "odbcpool</h1>\n",
        out);
  when(r->now_ms, a, sizeof a);
  fprintf(out, "<p class=\"meta\">Made %s from %d audit files. ", a, r->nfiles);
  when(r->first_ms, a, sizeof a);
  when(r->last_ms, b, sizeof b);
  fprintf(out, "Records %s to %s: %" PRIu64 " (of %" PRIu64 " read)", a, b,
          r->records, r->scan.records);
  if (r->since_ms != INT64_MIN) {
    when(r->since_ms, a, sizeof a);
    fprintf(out, ", since %s", a);
  }
  fputs(". User names appear only as keyed pseudonyms.</p>\n", out);
  if (r->scan.rc == 0) {
    fputs("<p class=\"ok\" id=\"chain\"><b>Chain intact:</b> every record "
          "verified with the audit key and chained to the one before "
          "it.</p>\n",
          out);
  } else {
    fprintf(out,
            "<div class=\"bad\" id=\"chain\"><b>Chain NOT intact: "
            "%" PRIu64 " bad places.</b> The figures leave out what "
            "is there.<ul>\n",
            r->scan.nbad);
    for (size_t i = 0; i < r->scan.nbadkept; i++) {
      fputs("<li>", out);
      hp(out, r->scan.bad[i]);
      fputs("</li>\n", out);
    }
    fputs("</ul></div>\n", out);
  }
  fputs("<h2>Borrows per day and purpose</h2>\n", out);
  chart_days(r, out);
  fputs("<h2>How long connections were held</h2>\n", out);
  chart_hold(r, out);
  fprintf(out,
          "<h2>Processing per DSN and purpose</h2>\n<p>Distinct "
          "principals in all: %zu (pseudonyms; one person has one per "
          "pseudonym period).</p>\n<table><tr><th>DSN</th><th>Purpose"
          "</th><th>Borrows</th><th>Principals</th><th>Held in total"
          "</th><th>Longest</th><th>Wait timeouts</th><th>Refused, by "
          "reason</th></tr>\n",
          r->principals.n);
  for (size_t i = 0; i < r->ngroups; i++) {
    const struct rep_group *g = &r->groups[i];
    fputs("<tr><td>", out);
    h(out, g->pool.s, g->pool.n, "&ndash;");
    fputs("</td><td>", out);
    h(out, g->purpose.s, g->purpose.n, "<i>none</i>");
    odbcpool__rep_duration(g->hold_total_ms, a, sizeof a);
    odbcpool__rep_duration(g->hold_max_ms, b, sizeof b);
    fprintf(out,
            "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%zu"
            "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td "
            "class=\"n\">%" PRIu64 "</td><td>",
            g->borrows, g->principals.n, a, b, g->wait_timeouts);
    counts(out, &g->refusals);
    fputs("</td></tr>\n", out);
  }
  fputs("</table>\n<h2>Connections and erasure per DSN</h2>\n<p>A "
        "connection whose erasure fails is closed, never handed to another "
        "borrower; \"closed after\" counts the failures the trail shows "
        "that close for.</p>\n<table><tr><th>DSN</th><th>Opened</th><th>Erased"
        "</th><th>Erasure failures</th><th>Closed, by reason</th><th>"
        "Suspected leaks</th></tr>\n",
        out);
  for (size_t i = 0; i < r->npools; i++) {
    const struct rep_pool *p = &r->pools[i];
    fputs("<tr><td>", out);
    h(out, p->pool.s, p->pool.n, "&ndash;");
    fprintf(out,
            "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
            "</td><td>%" PRIu64 ", closed after: %" PRIu64 "<br>",
            p->opens, p->reset_ok, p->reset_failed, p->failed_closed);
    counts(out, &p->reset_failures);
    fputs("</td><td>", out);
    counts(out, &p->closes);
    fprintf(out, "</td><td class=\"n\">%" PRIu64 "</td></tr>\n", p->leaks);
  }
  fprintf(out,
          "</table>\n<h2>Audit losses</h2>\n<p id=\"losses\">%" PRIu64
          " records could not be written%s</p>\n",
          r->lost,
          r->lost ? " (the trail says so itself; odbcpool audit verify "
                    "names the places)."
                  : ".");
  fprintf(out, "<h2>Retention</h2>\n<ul><li>Oldest record kept: %s</li>\n",
          r->oldest_ms ? r->oldest_time : "&ndash;");
  if (r->retention_ms < 0) {
    fputs("<li>Retention unknown: the report was made without the pool "
          "config.</li>\n",
          out);
  } else {
    odbcpool__rep_duration((uint64_t)r->retention_ms, a, sizeof a);
    fprintf(out, "<li>Retention: %s</li>\n<li>Files due for purge: %zu",
            r->retention_ms ? a : "0 (kept forever)", r->ndue_files);
    for (size_t i = 0; i < r->ndue_files; i++) {
      fputs(i ? ", " : ": ", out);
      hp(out, r->due_files[i]);
    }
    fputs("</li>\n", out);
    if (r->keys_known)
      fprintf(out,
              "<li>Pseudonym keys kept: %d; due for deletion: %zu "
              "(after it, their records can no longer be tied to "
              "anyone)</li>\n",
              r->nkeys, r->ndue_keys);
  }
  fputs("</ul>\n<p class=\"meta\">Made by odbcpool audit report. The "
        "records hold no SQL, no parameters, no passwords and no user "
        "names.</p>\n</body></html>\n",
        out);
}
