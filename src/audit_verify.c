/* audit_verify.c — the audit trail's verifier: every record's MAC and its
 * chain, cut-short writes accounted for by recovery records, records the
 * writers counted as lost, per syslog stream or for the files; for
 * `odbcpool audit verify` and the trail's readers (audit_read.c). Linked
 * into the command and the tests only. */
#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "audit.h"
#include "audit_record.h"
#include "audit_verify.h"
#include "error.h"
#include "secret.h"
#include "util.h"

#define SQLSTATE "HY000"

/* Finds a numeric field `,"name":N` of a record whose MAC verified. A
 * `,"` can only be JSON structure: inside a string value every quote is
 * escaped. Returns false if it is not there. */
static bool find_num(const char *s, size_t n, const char *name, uint64_t *v) {
  char tag[64];
  int tl = snprintf(tag, sizeof tag, ",\"%s\":", name);
  const char *p = memmem(s, n, tag, (size_t)tl);
  if (p == NULL)
    return false;
  p += tl;
  const char *digits = p;
  *v = 0;
  while (p < s + n && *p >= '0' && *p <= '9' && p - digits < 19)
    *v = *v * 10 + (uint64_t)(*p++ - '0');
  return p > digits;
}

/* The start of the time string field `name` of a verified record, or
 * NULL. */
static const char *find_str_start(const char *s, size_t n, const char *name) {
  char tag[64];
  int tl = snprintf(tag, sizeof tag, ",\"%s\":\"", name);
  const char *p = memmem(s, n, tag, (size_t)tl);
  if (p == NULL || (size_t)(s + n - p) < (size_t)tl + TIME_LEN + 1)
    return NULL;
  p += tl;
  return odbcpool__audit_is_time(p) ? p : NULL;
}

static const char *find_hex(const char *s, size_t n, const char *name,
                            size_t len) {
  char tag[64];
  int tl = snprintf(tag, sizeof tag, ",\"%s\":\"", name);
  const char *p = memmem(s, n, tag, (size_t)tl);
  if (p == NULL || (size_t)(s + n - p) < (size_t)tl + len + 1)
    return NULL;
  p += tl;
  return odbcpool__audit_is_hex(p, len) && p[len] == '"' ? p : NULL;
}

/* One chain: the file trail's, or one syslog stream's. */
struct vchain {
  char stream[STREAM_HEX + 1];
  bool have;
  uint64_t first_seq;
  struct chain end;
};

struct verifier {
  const unsigned char *chain_key;
  FILE *out;
  odbcpool_error *err;
  bool syslog;
  struct vchain *chains; /* one for files; one per stream for syslog */
  size_t nchains, capchains, last_chain;
  uint64_t records, recovered;
  uint64_t lost; /* records the writers counted as not written */
  /* Lines that are not records, waiting for the recovery record that
   * accounts for them (a write that was cut short). */
  bool junk;
  const char *junk_file;
  unsigned long junk_line;
  bool junk_partial; /* its first line is the unterminated end of a file */
  EVP_MD_CTX *junk_md;
  size_t junk_len;      /* bytes hashed: all but the last line's newline */
  bool junk_pending_nl; /* the last junk line had a newline */
  /* --expect-last */
  bool expect;
  uint64_t expect_seq; /* 0: any */
  char expect_mac[MAC_HEX + 1];
  bool expect_seen;
  const char *last_file;
  unsigned long last_line;
  const struct odbcpool__audit_verify_opts *opts; /* hooks, keep_going */
  uint64_t bad;         /* bad places passed over (keep_going) */
  odbcpool_error first; /* the first of them */
};

/* Fails verification at FILE:LINE. Returns EINVAL. */
static int vfail(struct verifier *v, const char *file, unsigned long line,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int vfail(struct verifier *v, const char *file, unsigned long line,
                 const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return odbcpool__err(v->err, ODBCPOOL_EINVAL, SQLSTATE, "%s:%lu: %s", file,
                       line, msg);
}

static int junk_fail(struct verifier *v) {
  if (v->junk_partial)
    return vfail(v, v->junk_file, v->junk_line,
                 "partial last line: the file was truncated, or a write was "
                 "cut short and no record has been written since");
  return vfail(v, v->junk_file, v->junk_line,
               "not an audit record (edited, or damaged)");
}

/* The chain of `stream` (NULL: the one chain of files), created empty
 * when first seen. The last one found is tried first: a process's
 * records come in runs. */
static struct vchain *vchain_for(struct verifier *v, const char *stream) {
  size_t last = v->last_chain;
  if (last < v->nchains && (stream == NULL || memcmp(v->chains[last].stream,
                                                     stream, STREAM_HEX) == 0))
    return &v->chains[last];
  for (size_t i = 0; i < v->nchains; i++) {
    if (stream == NULL ||
        memcmp(v->chains[i].stream, stream, STREAM_HEX) == 0) {
      v->last_chain = i;
      return &v->chains[i];
    }
  }
  if (v->nchains == v->capchains) {
    size_t cap = v->capchains ? v->capchains * 2 : 4;
    struct vchain *nc = realloc(v->chains, cap * sizeof *nc);
    if (nc == NULL)
      return NULL;
    v->chains = nc;
    v->capchains = cap;
  }
  v->last_chain = v->nchains;
  struct vchain *c = &v->chains[v->nchains++];
  memset(c, 0, sizeof *c);
  if (stream != NULL)
    memcpy(c->stream, stream, STREAM_HEX);
  return c;
}

static void junk_add(struct verifier *v, const char *file, unsigned long line,
                     const char *s, size_t n, bool terminated) {
  if (!v->junk) {
    v->junk = true;
    v->junk_file = file;
    v->junk_line = line;
    v->junk_partial = !terminated;
    v->junk_len = 0;
    v->junk_pending_nl = false;
    EVP_DigestInit_ex(v->junk_md, EVP_sha256(), NULL);
  }
  if (v->junk_pending_nl) {
    EVP_DigestUpdate(v->junk_md, "\n", 1);
    v->junk_len++;
  }
  EVP_DigestUpdate(v->junk_md, s, n);
  v->junk_len += n;
  v->junk_pending_nl = terminated;
}

/* Whether the junk seen is exactly what a recovery record says it found:
 * `bytes` bytes with SHA-256 `sha`, closed by the newline the writer
 * added unless they ended with one. */
static bool junk_matches(struct verifier *v, uint64_t bytes, const char *sha) {
  unsigned char md[32];
  unsigned int len = sizeof md;
  char hex[MAC_HEX + 1];
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  bool ok = false;
  if (c == NULL)
    return false;
  if (bytes == v->junk_len && EVP_MD_CTX_copy_ex(c, v->junk_md) &&
      EVP_DigestFinal_ex(c, md, &len)) {
    odbcpool__audit_hex(md, sizeof md, hex);
    ok = memcmp(hex, sha, MAC_HEX) == 0;
  } else if (bytes == v->junk_len + 1 && v->junk_pending_nl &&
             EVP_MD_CTX_copy_ex(c, v->junk_md) &&
             EVP_DigestUpdate(c, "\n", 1) && EVP_DigestFinal_ex(c, md, &len)) {
    odbcpool__audit_hex(md, sizeof md, hex);
    ok = memcmp(hex, sha, MAC_HEX) == 0;
  }
  EVP_MD_CTX_free(c);
  return ok;
}

static void note_bad(struct verifier *v);

/* Checks one line (without its newline). Returns OK or EINVAL with the
 * reason in v->err. */
static int verify_line(struct verifier *v, const char *file,
                       unsigned long lineno, const char *s, size_t n,
                       bool terminated) {
  struct line_info li;

  if (v->syslog) {
    /* Whatever the syslog daemon put before the record is not ours;
     * lines without a record are other programs' messages. */
    const char *rec = memmem(s, n, HEAD_TAG, TAG_LEN(HEAD_TAG));
    if (rec == NULL)
      return ODBCPOOL_OK;
    n -= (size_t)(rec - s);
    s = rec;
    if (!odbcpool__audit_parse_shape(s, n, &li) || li.stream == NULL)
      return vfail(v, file, lineno,
                   "not an audit record (edited, cut by the syslog daemon, "
                   "or damaged)");
  } else if (!terminated || !odbcpool__audit_parse_shape(s, n, &li)) {
    junk_add(v, file, lineno, s, n, terminated);
    return ODBCPOOL_OK;
  } else if (li.stream != NULL) {
    /* Only syslog records carry a stream. A file trail has one chain:
     * a syslog record here was put here, whatever its MAC says. */
    return vfail(v, file, lineno,
                 "a syslog record (it carries a \"stream\") in a file "
                 "trail, which has one chain: inserted, not written here");
  }
  if (!odbcpool__audit_mac_matches(v->chain_key, s, &li))
    return vfail(v, file, lineno, "MAC does not match: %s",
                 v->records == 0 && !v->junk
                     ? "wrong key, or the record was edited"
                     : "the record was edited");
  uint64_t pbytes;
  const char *psha = find_hex(s, li.signed_len, "partial_sha256", MAC_HEX);
  bool recovery =
      find_num(s, li.signed_len, "partial_bytes", &pbytes) && psha != NULL;
  if (v->junk && (!recovery || !junk_matches(v, pbytes, psha))) {
    int rc = junk_fail(v);
    if (!v->opts || !v->opts->keep_going)
      return rc;
    note_bad(v); /* the junk is the bad place; this record is checked on */
  }
  if (v->junk) {
    if (v->out)
      fprintf(v->out,
              "%s:%lu: note: %zu bytes of a write that was cut short, "
              "recorded by the recovery record on line %lu\n",
              v->junk_file, v->junk_line, v->junk_len, lineno);
    v->junk = false;
    v->recovered++;
  } else if (recovery) {
    return vfail(v, file, lineno,
                 "recovery record, but the cut-short data it records is "
                 "missing");
  }
  struct vchain *c = vchain_for(v, li.stream);
  if (c == NULL)
    return odbcpool__err(v->err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
  bool prev_genesis = memcmp(li.prev, odbcpool__audit_genesis, MAC_HEX) == 0;
  if (c->have) {
    if (li.seq != c->end.seq + 1 || memcmp(li.prev, c->end.mac, MAC_HEX)) {
      int rc = vfail(v, file, lineno,
                     "does not chain from the record before it (seq %" PRIu64
                     ", expected %" PRIu64 "): records were removed, "
                     "reordered or inserted here",
                     li.seq, c->end.seq + 1);
      /* The record itself is authentic (its MAC verified): the gap is
       * before it, so a reader that goes on still gets it. */
      if (v->opts && v->opts->keep_going && v->opts->on_record)
        v->opts->on_record(v->opts->ctx, file, lineno, s, n);
      return rc;
    }
  } else {
    if ((li.seq == 1) != prev_genesis)
      return vfail(v, file, lineno, "%s",
                   li.seq == 1
                       ? "seq 1 does not chain from the genesis value"
                       : "chains from the genesis value but is not seq 1");
    c->have = true;
    c->first_seq = li.seq;
  }
  uint64_t lost;
  if (find_num(s, li.signed_len, "lost", &lost) && lost > 0) {
    /* A writer could not write that many records before this one (a
     * full disk, an unwritable directory, a lock held too long), in
     * this process or, in a "lost" record, in one that has exited. */
    uint64_t pid;
    bool other = find_num(s, li.signed_len, "lost_pid", &pid);
    const char *since = find_str_start(s, li.signed_len, "lost_since");
    v->lost += lost;
    if (v->out) {
      fprintf(v->out,
              "%s:%lu: LOST: %" PRIu64 " audit records were not "
              "written",
              file, lineno, lost);
      if (other)
        fprintf(v->out,
                " by process %" PRIu64 ", which exited before it "
                "could write again",
                pid);
      if (since != NULL)
        fprintf(v->out, ", from %.*s on", TIME_LEN, since);
      fprintf(v->out, "\n");
    }
  }
  c->end.seq = li.seq;
  memcpy(c->end.mac, li.mac, MAC_HEX);
  c->end.mac[MAC_HEX] = '\0';
  if (v->expect && (v->expect_seq == 0 || v->expect_seq == li.seq) &&
      (v->expect_mac[0] == '\0' || memcmp(v->expect_mac, li.mac, MAC_HEX) == 0))
    v->expect_seen = true;
  v->records++;
  v->last_file = file;
  v->last_line = lineno;
  if (v->opts && v->opts->on_record)
    v->opts->on_record(v->opts->ctx, file, lineno, s, n);
  return ODBCPOOL_OK;
}

/* keep_going: reports the bad place verify_line or junk_fail found and
 * carries on from the line `s` (when it has the shape of a record, the
 * chain picks up from it: an edited record is reported once, not again
 * at the record after it). Returns OK, or `rc` if it is no bad place. */
static void note_bad(struct verifier *v) {
  if (v->bad++ == 0)
    v->first = *v->err;
  if (v->opts->on_bad)
    v->opts->on_bad(v->opts->ctx, v->err->message);
  v->junk = false;
  odbcpool__err_clear(v->err);
}

static int pass_bad(struct verifier *v, int rc, const char *s, size_t n) {
  struct line_info li;
  if (rc != ODBCPOOL_EINVAL || !v->opts || !v->opts->keep_going)
    return rc;
  note_bad(v);
  const char *rec = s ? memmem(s, n, HEAD_TAG, TAG_LEN(HEAD_TAG)) : NULL;
  if (rec != NULL && (v->syslog || rec == s) &&
      odbcpool__audit_parse_shape(rec, n - (size_t)(rec - s), &li)) {
    struct vchain *c = vchain_for(v, li.stream);
    if (c != NULL) {
      if (!c->have)
        c->first_seq = li.seq;
      c->have = true;
      c->end.seq = li.seq;
      memcpy(c->end.mac, li.mac, MAC_HEX);
      c->end.mac[MAC_HEX] = '\0';
    }
  }
  return ODBCPOOL_OK;
}

/* Size of `file` as of the writers' last complete append: read under a
 * shared lock on <file>.lock when there is one (a live file), so that a
 * record being appended is not taken for a truncated one. */
static off_t stable_size(const char *file, int fd) {
  struct stat st;
  size_t len = strlen(file) + sizeof ".lock";
  char *lp = malloc(len);
  int lfd = -1;
  if (lp != NULL) {
    snprintf(lp, len, "%s.lock", file);
    lfd = open(lp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    free(lp);
  }
  bool locked =
      lfd >= 0 && odbcpool__audit_lock_timed(lfd, LOCK_SH, LOCK_WAIT_OPEN_MS);
  off_t size = fstat(fd, &st) == 0 ? st.st_size : -1;
  if (locked)
    flock(lfd, LOCK_UN);
  if (lfd >= 0)
    close(lfd);
  return size;
}

/* Reads `file` line by line up to its stable size and checks each line.
 * With `first_seq` set, only finds the seq of its first record. */
static int verify_file(struct verifier *v, const char *file,
                       uint64_t *first_seq, unsigned long *nlines) {
  /* O_NONBLOCK: opening a FIFO must not wait for a writer. Only a
   * regular file can be a trail: a FIFO would block the read, and a
   * device such as /dev/zero or /dev/urandom would "verify" as an empty
   * trail. */
  int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  int rc = ODBCPOOL_OK;
  struct stat st;
  if (fd < 0)
    return odbcpool__err(v->err, ODBCPOOL_EIO, SQLSTATE, "%s: %s", file,
                         strerror(errno));
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    rc = odbcpool__err(v->err, ODBCPOOL_EIO, SQLSTATE,
                       "%s: not a regular file: an audit trail is one", file);
    close(fd);
    return rc;
  }
  off_t left = stable_size(file, fd);
  if (left < 0) {
    rc = odbcpool__err(v->err, ODBCPOOL_EIO, SQLSTATE, "%s: %s", file,
                       strerror(errno));
    close(fd);
    return rc;
  }
  char *chunk = malloc(65536);
  struct odbcpool__buf line = {0};
  unsigned long lineno = 0;
  bool too_long = false;
  if (chunk == NULL) {
    close(fd);
    return odbcpool__err(v->err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
  }
  while (left > 0 && rc == ODBCPOOL_OK) {
    size_t want = (uint64_t)left < 65536 ? (size_t)left : 65536;
    ssize_t r = read(fd, chunk, want);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      rc = odbcpool__err(v->err, ODBCPOOL_EIO, SQLSTATE, "%s: %s", file,
                         r < 0 ? strerror(errno) : "shrank while read");
      break;
    }
    left -= r;
    const char *p = chunk, *end = chunk + r;
    while (p < end && rc == ODBCPOOL_OK) {
      const char *nl = memchr(p, '\n', (size_t)(end - p));
      const char *stop = nl ? nl : end;
      if (line.len + (size_t)(stop - p) > LINE_MAX_BYTES)
        too_long = true;
      else
        odbcpool__buf_append(&line, p, (size_t)(stop - p));
      if (line.failed) {
        rc = odbcpool__err(v->err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
        break;
      }
      p = stop;
      if (nl == NULL)
        break;
      p++;
      lineno++;
      if (too_long) {
        rc = vfail(v, file, lineno,
                   "line longer than 16 MiB: not an audit record");
        rc = first_seq ? rc : pass_bad(v, rc, NULL, 0);
        too_long = false;
      } else if (first_seq != NULL) {
        struct line_info li;
        if (odbcpool__audit_parse_shape(line.data ? line.data : "", line.len,
                                        &li)) {
          *first_seq = li.seq;
          left = 0;
          break;
        }
      } else {
        rc = verify_line(v, file, lineno, line.data ? line.data : "", line.len,
                         true);
        rc = pass_bad(v, rc, line.data, line.len);
      }
      line.len = 0;
    }
  }
  if (rc == ODBCPOOL_OK && first_seq == NULL && line.len > 0) {
    lineno++;
    rc = too_long ? vfail(v, file, lineno,
                          "line longer than 16 MiB: not an audit record")
                  : verify_line(v, file, lineno, line.data, line.len, false);
    rc = pass_bad(v, rc, NULL, 0);
  }
  if (rc == ODBCPOOL_OK && first_seq == NULL && v->junk)
    rc = pass_bad(v, junk_fail(v), NULL, 0);
  if (nlines)
    *nlines = lineno;
  odbcpool__buf_wipe(&line);
  free(chunk);
  close(fd);
  return rc;
}

static bool parse_expect(const char *s, struct verifier *v) {
  const char *colon = strchr(s, ':');
  const char *mac = s;
  v->expect = true;
  v->expect_seq = 0;
  v->expect_mac[0] = '\0';
  if (colon != NULL || strlen(s) != MAC_HEX) {
    char *end;
    if (!(*s >= '0' && *s <= '9'))
      return false;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 10);
    if (errno || n == 0 || end != (colon ? colon : s + strlen(s)))
      return false;
    v->expect_seq = n;
    if (colon == NULL)
      return true;
    mac = colon + 1;
  }
  if (strlen(mac) != MAC_HEX || !odbcpool__audit_is_hex(mac, MAC_HEX))
    return false;
  memcpy(v->expect_mac, mac, sizeof v->expect_mac);
  return true;
}

int odbcpool__audit_verify(const char *key_file, char *const *files, int nfiles,
                           const struct odbcpool__audit_verify_opts *opts,
                           FILE *out, odbcpool_error *err) {
  struct verifier v = {.out = out, .err = err, .opts = opts};
  unsigned char *key = NULL;
  size_t *order = NULL;
  uint64_t *first = NULL;
  int rc;

  odbcpool__err_clear(err);
  if (files == NULL || nfiles <= 0)
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SQLSTATE,
                         "audit verify: no file given");
  if (opts && opts->expect_last && !parse_expect(opts->expect_last, &v))
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SQLSTATE,
                         "--expect-last %s: want SEQ, MAC (64 hex digits) or "
                         "SEQ:MAC",
                         opts->expect_last);
  v.syslog = opts && opts->syslog;
  key = odbcpool__secure_alloc(2 * KEY_LEN);
  v.junk_md = EVP_MD_CTX_new();
  order = calloc((size_t)nfiles, sizeof *order);
  first = calloc((size_t)nfiles, sizeof *first);
  if (key == NULL || v.junk_md == NULL || order == NULL || first == NULL) {
    rc = odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
    goto done;
  }
  rc = odbcpool__secret_load_key(key_file, key, err);
  if (rc != ODBCPOOL_OK)
    goto done;
  if (!odbcpool__audit_chain_key(key, key + KEY_LEN)) {
    rc = odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE,
                       "libcrypto failed to derive the chain key");
    goto done;
  }
  v.chain_key = key + KEY_LEN;

  /* Files go in chain order, by the seq of their first record, so that a
   * shell glob (audit.log*) works; files without a record go last.
   * Syslog files are taken in the order given. */
  for (int i = 0; i < nfiles; i++) {
    order[i] = (size_t)i;
    first[i] = UINT64_MAX;
    if (!v.syslog) {
      rc = verify_file(&v, files[i], &first[i], NULL);
      if (rc != ODBCPOOL_OK)
        goto done;
    }
  }
  for (int i = 1; i < nfiles; i++) {
    size_t x = order[i];
    int j = i - 1;
    for (; j >= 0 && first[order[j]] > first[x]; j--)
      order[j + 1] = order[j];
    order[j + 1] = x;
  }
  for (int i = 0; i < nfiles; i++) {
    const char *f = files[order[i]];
    uint64_t before = v.records;
    unsigned long nlines = 0;
    rc = verify_file(&v, f, NULL, &nlines);
    if (rc != ODBCPOOL_OK)
      goto done;
    if (out)
      fprintf(out, "%s: %" PRIu64 " records\n", f, v.records - before);
  }
  if (v.bad > 0) {
    /* keep_going: every bad place was reported; the result is the
     * first. */
    *err = v.first;
    if (out)
      fprintf(out,
              "NOT intact: %" PRIu64 " bad places in %" PRIu64 " records\n",
              v.bad, v.records);
    rc = ODBCPOOL_EINVAL;
    goto done;
  }
  if (v.expect && !v.expect_seen) {
    char what[128];
    if (v.expect_mac[0])
      snprintf(what, sizeof what, "%s%.12s...",
               v.expect_seq ? "the record with that seq and mac " : "mac ",
               v.expect_mac);
    else
      snprintf(what, sizeof what, "seq %" PRIu64, v.expect_seq);
    rc = odbcpool__err(
        err, ODBCPOOL_EINVAL, SQLSTATE,
        "%s:%lu: the trail ends here without %s (--expect-last): records "
        "were removed from its end, or it is another trail",
        v.last_file ? v.last_file : files[order[nfiles - 1]],
        v.last_file ? v.last_line + 1 : 1, what);
    goto done;
  }
  if (opts && opts->genesis) {
    for (size_t i = 0; i < v.nchains; i++) {
      if (v.chains[i].first_seq != 1) {
        rc = odbcpool__err(err, ODBCPOOL_EINVAL, SQLSTATE,
                           "%s:1: the trail starts at seq %" PRIu64 ", not "
                           "at the genesis record (--genesis): records were "
                           "removed from its start",
                           files[order[0]], v.chains[i].first_seq);
        goto done;
      }
    }
  }
  if (out) {
    fprintf(out, "intact: %" PRIu64 " records", v.records);
    if (v.recovered)
      fprintf(out, " (%" PRIu64 " cut-short writes recovered)", v.recovered);
    fprintf(out, "\n");
    if (v.lost)
      fprintf(out,
              "LOST: %" PRIu64 " records were not written (counted by the "
              "writers; see the LOST lines above)\n",
              v.lost);
    for (size_t i = 0; i < v.nchains; i++) {
      struct vchain *c = &v.chains[i];
      if (v.syslog)
        fprintf(out, "stream %s: ", c->stream);
      fprintf(out, "seq %" PRIu64 "..%" PRIu64 "%s\nlast: %" PRIu64 ":%s\n",
              c->first_seq, c->end.seq,
              c->first_seq == 1 ? ", from the genesis record"
                                : " (earlier records are not in the files "
                                  "given)",
              c->end.seq, c->end.mac);
    }
  }
  rc = ODBCPOOL_OK;
done:
  if (key != NULL)
    odbcpool__secure_free(key, 2 * KEY_LEN);
  EVP_MD_CTX_free(v.junk_md);
  free(v.chains);
  free(order);
  free(first);
  return rc;
}
