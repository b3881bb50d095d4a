/* audit_report.h — what a privacy officer asks of the audit trail: the
 * records of one data subject (Art. 15), and a summary of the processing
 * per DSN and purpose (Art. 30), as text, JSON or one HTML page. */
#ifndef ODBCPOOL_AUDIT_REPORT_H
#define ODBCPOOL_AUDIT_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "audit_read.h"
#include "config.h"

/* Where the trail and its keys are. */
struct odbcpool__trail_src {
  const char *key_file; /* the audit key */
  const char *pkey_dir; /* the period keys' directory, or NULL */
  char *const *files;   /* the trail's files, any order */
  int nfiles;
  bool syslog;           /* the files hold syslog lines */
  const struct cfg *cfg; /* NULL, or the config (retention, path) */
};

/* Exit statuses of subject and report: the trail verified; it did not
 * (every bad place is named, and what was read is still shown); the key
 * or a file could not be read. */
#define ODBCPOOL_DSR_INTACT 0
#define ODBCPOOL_DSR_TAMPERED 1
#define ODBCPOOL_DSR_ERROR 2

/* Lists every record of the data subject whose user name is `name` (the
 * caller reads it and wipes it; it is neither copied nor written here):
 * its pseudonym is computed with each period key there is (and with the
 * audit key, for records written before periods), the trail is verified
 * while it is read, and the output says which periods were searched,
 * which could not be (their key was deleted: those records can no longer
 * be tied to anyone) and every place where the trail was not intact.
 * Text, or JSON with `json`, on `out`; errors on `errout`. Returns an
 * ODBCPOOL_DSR_* status. */
int odbcpool__audit_subject(const struct odbcpool__trail_src *src,
                            const char *name, bool json, FILE *out,
                            FILE *errout);

struct odbcpool__report;

/* Reads and verifies the trail and summarises the records from
 * `since_ms` on (INT64_MIN: all) per DSN and purpose; `now_ms` is the
 * time retention is measured from. Returns OK, or an error (key, files)
 * in err; a trail that is not intact is a report that says so. */
int odbcpool__report_build(const struct odbcpool__trail_src *src,
                           int64_t since_ms, int64_t now_ms,
                           struct odbcpool__report **out /* OUT */,
                           odbcpool_error *err);
bool odbcpool__report_intact(const struct odbcpool__report *r);
void odbcpool__report_text(const struct odbcpool__report *r, FILE *out);
void odbcpool__report_json(const struct odbcpool__report *r, FILE *out);
/* One self-contained page: inline CSS and SVG charts, no script, no
 * external resource. */
void odbcpool__report_html(const struct odbcpool__report *r, FILE *out);
void odbcpool__report_free(struct odbcpool__report *r);

#endif /* ODBCPOOL_AUDIT_REPORT_H */
