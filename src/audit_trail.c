/* audit_trail.c — the audit trail's files: the lock file, the live
 * file's end read back (the chain continues across processes, restarts
 * and rotations; a write that was cut short is closed by a recovery
 * record), appends, rotation and purge of rotated files. */
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "audit.h"
#include "audit_keys.h"
#include "audit_record.h"
#include "audit_writer.h"
#include "error.h"
#include "log.h"
#include "util.h"

#define SQLSTATE "HY000"

/* Reads exactly `n` bytes at `off`: a file that ends sooner shrank under
 * us (EIO). Returns 0 or errno. */
static int pread_all(int fd, char *buf, size_t n, off_t off) {
  size_t got;
  int rc = odbcpool__read_full(fd, buf, n, off, &got);
  return rc != 0 ? rc : got < n ? EIO : 0;
}

/* flock with a deadline: polls, as flock(2) itself cannot time out.
 * Returns true when the lock is held. */
bool odbcpool__audit_lock_timed(int fd, int op, long ms) {
  uint64_t deadline = odbcpool__now_ms() + (uint64_t)ms;
  long delay_us = 20;
  for (;;) {
    if (flock(fd, op | LOCK_NB) == 0)
      return true;
    if (errno == EINTR)
      continue;
    if (errno != EWOULDBLOCK || odbcpool__now_ms() >= deadline)
      return false;
    struct timespec ts = {0, delay_us * 1000};
    nanosleep(&ts, NULL);
    if (delay_us < 5000)
      delay_us *= 2;
  }
}

static int date_of(const char *time) {
  int d = 0;
  for (int i = 0; i < 10; i++)
    if (time[i] != '-')
      d = d * 10 + (time[i] - '0');
  return d;
}

/* What the end of a trail file holds. */
struct tail {
  bool found; /* a record was found */
  struct chain chain;
  int date;          /* of that record */
  bool mac_ok;       /* its MAC verifies with our key */
  bool unterminated; /* it is the last line and lacks its newline */
  bool foreign;      /* it carries a syslog "stream": not of this file */
  size_t junk_len;   /* bytes after it (or the whole file, if !found) */
  bool junk_nl;      /* the junk ends with a newline */
  char junk_sha[MAC_HEX + 1];
};

/* Reads the end of the trail file `fd` of `size` bytes back to its last
 * record. Returns 0, an errno value, or EFBIG if there is none in the last
 * TAIL_MAX bytes. */
static int read_tail(const unsigned char *chain_key, int fd, off_t size,
                     struct tail *t) {
  memset(t, 0, sizeof *t);
  if (size <= 0)
    return 0;
  size_t window = (uint64_t)size < TAIL_FIRST ? (size_t)size : TAIL_FIRST;
  for (;;) {
    char *buf = malloc(window);
    off_t off = size - (off_t)window;
    if (buf == NULL)
      return ENOMEM;
    int rc = pread_all(fd, buf, window, off);
    if (rc != 0) {
      free(buf);
      return rc;
    }
    size_t pos = window, junk_start = 0;
    bool more = false;
    while (pos > 0) {
      size_t line_end = pos;
      bool term = buf[pos - 1] == '\n';
      if (term)
        line_end--;
      size_t start = line_end;
      while (start > 0 && buf[start - 1] != '\n')
        start--;
      if (start == 0 && off > 0) {
        more = true;
        break;
      }
      struct line_info li;
      if (odbcpool__audit_parse_shape(buf + start, line_end - start, &li)) {
        t->found = true;
        t->chain.seq = li.seq;
        memcpy(t->chain.mac, li.mac, MAC_HEX);
        t->chain.mac[MAC_HEX] = '\0';
        t->date = date_of(li.time);
        t->mac_ok = odbcpool__audit_mac_matches(chain_key, buf + start, &li);
        t->unterminated = !term;
        /* A file trail has one chain; a record with a stream was
         * captured from a syslog trail and put here. */
        t->foreign = li.stream != NULL;
        junk_start = pos;
        break;
      }
      pos = start;
    }
    if (!more) {
      t->junk_len = window - junk_start;
      t->junk_nl = t->junk_len > 0 && buf[window - 1] == '\n';
      unsigned char md[32];
      unsigned int mdlen = sizeof md;
      if (!EVP_Digest(buf + junk_start, t->junk_len, md, &mdlen, EVP_sha256(),
                      NULL))
        memset(md, 0, sizeof md);
      odbcpool__audit_hex(md, sizeof md, t->junk_sha);
      free(buf);
      return 0;
    }
    free(buf);
    if (window >= TAIL_MAX)
      return EFBIG;
    window = window * 4 > TAIL_MAX ? TAIL_MAX : window * 4;
    if ((uint64_t)window > (uint64_t)size)
      window = (size_t)size;
  }
}

/* Whether `name` (a directory entry) is a rotated file of the trail whose
 * live file's last path component is `base`: base.YYYYMMDDTHHMMSS.mmmZ,
 * optionally followed by -N. */
static bool is_rotated_name(const char *base, const char *name) {
  size_t bl = strlen(base);
  if (strncmp(name, base, bl) != 0 || name[bl] != '.')
    return false;
  const char *p = name + bl + 1;
  for (size_t i = 0; i < STAMP_LEN; i++) {
    char want = i == 8 ? 'T' : i == 15 ? '.' : i == 19 ? 'Z' : 'd';
    if (p[i] == '\0')
      return false;
    if (want == 'd' ? !(p[i] >= '0' && p[i] <= '9') : p[i] != want)
      return false;
  }
  p += STAMP_LEN;
  if (*p == '\0')
    return true;
  if (*p++ != '-' || *p == '\0')
    return false;
  for (int i = 0; *p; p++, i++)
    if (i >= 4 || !(*p >= '0' && *p <= '9'))
      return false;
  return true;
}

static int cmp_str(const void *x, const void *y) {
  return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Lists the rotated files of the trail whose live file is `path`, oldest
 * first. Returns 0 or an errno value; a missing directory lists none. */
static int list_rotated(const char *path, char ***out, size_t *n) {
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  size_t dirlen = slash ? (size_t)(slash - path) : 0;
  char *dir = slash ? strndup(path, dirlen == 0 ? 1 : dirlen) : strdup(".");
  char **v = NULL;
  size_t cnt = 0, cap = 0;
  int rc = 0;

  *out = NULL;
  *n = 0;
  if (dir == NULL)
    return ENOMEM;
  DIR *d = opendir(dir);
  if (d == NULL) {
    rc = errno == ENOENT ? 0 : errno;
    free(dir);
    return rc;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!is_rotated_name(base, e->d_name))
      continue;
    if (cnt == cap) {
      cap = cap ? cap * 2 : 16;
      char **nv = realloc(v, cap * sizeof *v);
      if (nv == NULL) {
        rc = ENOMEM;
        break;
      }
      v = nv;
    }
    size_t len = (slash ? (size_t)(base - path) : 0) + strlen(e->d_name) + 1;
    v[cnt] = malloc(len);
    if (v[cnt] == NULL) {
      rc = ENOMEM;
      break;
    }
    snprintf(v[cnt], len, "%.*s%s", slash ? (int)(base - path) : 0, path,
             e->d_name);
    cnt++;
  }
  closedir(d);
  free(dir);
  if (rc != 0) {
    for (size_t i = 0; i < cnt; i++)
      free(v[i]);
    free(v);
    return rc;
  }
  if (cnt > 1)
    qsort(v, cnt, sizeof *v, cmp_str);
  *out = v;
  *n = cnt;
  return 0;
}

static void free_list(char **v, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

/* Deletes the rotated files of `path` last modified before `cutoff_ms`,
 * naming each on `out` (may be NULL). Returns the number deleted, or -1
 * with err set. */
static int purge_rotated(const char *path, int64_t cutoff_ms, FILE *out,
                         odbcpool_error *err) {
  char **v;
  size_t n;
  int deleted = 0;
  int rc = list_rotated(path, &v, &n);
  if (rc != 0) {
    odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE,
                  "%s: cannot list its "
                  "directory: %s",
                  path, strerror(rc));
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    if (lstat(v[i], &st) != 0 || !S_ISREG(st.st_mode))
      continue;
    int64_t mtime =
        (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    if (mtime >= cutoff_ms)
      continue;
    if (unlink(v[i]) != 0) {
      odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: cannot delete: %s", v[i],
                    strerror(errno));
      free_list(v, n);
      return -1;
    }
    if (out != NULL)
      fprintf(out, "%s\n", v[i]);
    deleted++;
  }
  free_list(v, n);
  return deleted;
}

/* The chain end when the live file holds no record: the last record of
 * the newest rotated file (highest seq whose MAC verifies with our key),
 * else the genesis value. Called with the lock file held. */
static void chain_from_rotated(struct odbcpool__audit *a) {
  char **v;
  size_t n;
  a->chain.seq = 0;
  memcpy(a->chain.mac, odbcpool__audit_genesis, sizeof odbcpool__audit_genesis);
  a->have_chain = true;
  if (list_rotated(a->path, &v, &n) != 0)
    return;
  for (size_t i = 0; i < n; i++) {
    int fd = open(v[i], O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    struct stat st;
    struct tail t;
    if (fd < 0)
      continue;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        read_tail(a->key + KEY_LEN, fd, st.st_size, &t) == 0 && t.found &&
        t.mac_ok && !t.foreign && t.chain.seq > a->chain.seq)
      a->chain = t.chain;
    close(fd);
  }
  free_list(v, n);
}

/* Writes one record (or a lone newline) that the sync found missing, and
 * keeps `size` in step. Called with the lock file held. */
static int write_fixup(struct odbcpool__audit *a, const char *d, size_t n,
                       odbcpool_error *err) {
  size_t done;
  int e = odbcpool__write_full(a->log_fd, d, n, &done);
  if (e != 0) {
    a->size = -1;
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: cannot write: %s",
                         a->path, strerror(e));
  }
  a->size += (off_t)n;
  return ODBCPOOL_OK;
}

/* Brings this process's view of the trail up to date with the files:
 * (re)opens the live file, creating it if missing, and, unless nothing
 * changed since our last append (same inode and size), reads its end to
 * find the last record. Bytes after the last record (a write that crashed
 * half-way) are closed with a recovery record that chains from the last
 * complete one and carries their length and SHA-256. Called with a->mu
 * and the lock file held. */
int odbcpool__audit_sync(struct odbcpool__audit *a, odbcpool_error *err) {
  struct stat st;
  int rc;

  if (a->have_file) {
    if (stat(a->path, &st) != 0 || st.st_dev != a->dev || st.st_ino != a->ino) {
      close(a->log_fd);
      a->log_fd = -1;
      a->have_file = false;
    } else if (a->have_chain && st.st_size == a->size) {
      return ODBCPOOL_OK;
    }
  }
  if (!a->have_file) {
    int fd = open(
        a->path,
        O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
    if (fd < 0)
      return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: cannot open: %s",
                           a->path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      close(fd);
      return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE,
                           "%s: not a regular file", a->path);
    }
    a->log_fd = fd;
    a->have_file = true;
    a->dev = st.st_dev;
    a->ino = st.st_ino;
  } else if (fstat(a->log_fd, &st) != 0) {
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: %s", a->path,
                         strerror(errno));
  }
  a->size = st.st_size;
  a->last_date = 0;
  if (st.st_size == 0) {
    if (!(a->rotated_here && a->have_chain))
      chain_from_rotated(a);
    return ODBCPOOL_OK;
  }
  struct tail t;
  rc = read_tail(a->key + KEY_LEN, a->log_fd, st.st_size, &t);
  if (rc == EFBIG)
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SQLSTATE,
                         "%s: no audit record in its last %u MiB: not an "
                         "odbcpool audit trail, or damaged; move it aside",
                         a->path, TAIL_MAX >> 20);
  if (rc != 0)
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: cannot read: %s",
                         a->path, strerror(rc));
  if (t.found && t.foreign)
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SQLSTATE,
                         "%s: its last record (seq %" PRIu64 ") carries a "
                         "syslog \"stream\": it was not written to this file "
                         "trail, which has one chain, and nothing is chained "
                         "onto it; run odbcpool audit verify and move the "
                         "file aside",
                         a->path, t.chain.seq);
  if (t.found) {
    a->chain = t.chain;
    a->have_chain = true;
    a->last_date = t.date;
    if (!t.mac_ok && !a->warned_mac) {
      a->warned_mac = true;
      odbcpool__log(ODBCPOOL_LOG_WARN,
                    "audit: %s: the last record (seq %" PRIu64 ") does not "
                    "verify with this key (key changed, or record edited); "
                    "the chain continues from it; run odbcpool audit verify",
                    a->path, t.chain.seq);
    }
  } else {
    chain_from_rotated(a);
  }
  if (t.unterminated)
    return write_fixup(a, "\n", 1, err);
  if (t.junk_len == 0)
    return ODBCPOOL_OK;
  struct recovery rv = {.bytes = t.junk_len};
  char mac[MAC_HEX + 1];
  memcpy(rv.sha, t.junk_sha, sizeof rv.sha);
  int64_t ms = odbcpool__audit_now_ms(a);
  const char *why =
      odbcpool__audit_format(a, t.junk_nl ? "" : "\n", ms, NULL, &rv, mac);
  if (why != NULL)
    return odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "%s", why);
  odbcpool__log(ODBCPOOL_LOG_WARN,
                "audit: %s: %zu bytes after the last record (a write that "
                "was interrupted); recorded by a recovery record",
                a->path, t.junk_len);
  rc = write_fixup(a, a->rec.data, a->rec.len, err);
  if (rc != ODBCPOOL_OK)
    return rc;
  a->chain.seq++;
  memcpy(a->chain.mac, mac, sizeof mac);
  char tbuf[TIME_LEN + 8];
  a->last_date = odbcpool__audit_format_time(ms, false, tbuf, sizeof tbuf);
  return ODBCPOOL_OK;
}

/* Renames the live file to <path>.<UTC stamp> and deletes rotated files
 * older than the retention. The chain end stays known: the next record,
 * in a new live file, continues it. Called with the lock file held. */
int odbcpool__audit_rotate(struct odbcpool__audit *a, int64_t ms,
                           odbcpool_error *err) {
  char stamp[STAMP_LEN + 8], name[PATH_MAX];
  struct stat st;
  int len;

  odbcpool__audit_format_time(ms, true, stamp, sizeof stamp);
  len = snprintf(name, sizeof name, "%s.%s", a->path, stamp);
  for (int k = 1; len > 0 && (size_t)len < sizeof name && lstat(name, &st) == 0;
       k++) {
    if (k > 9999)
      return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE,
                           "%s: too many rotated files named %s", a->path,
                           name);
    len = snprintf(name, sizeof name, "%s.%s-%d", a->path, stamp, k);
  }
  if (len < 0 || (size_t)len >= sizeof name)
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: path too long",
                         a->path);
  if (rename(a->path, name) != 0)
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE,
                         "%s: cannot rotate to %s: %s", a->path, name,
                         strerror(errno));
  close(a->log_fd);
  a->log_fd = -1;
  a->have_file = false;
  a->rotated_here = a->have_chain;
  a->size = 0;
  a->last_date = 0;
  if (a->retention_ms > 0) {
    odbcpool_error perr;
    if (purge_rotated(a->path, ms - a->retention_ms, NULL, &perr) < 0 ||
        (a->pkeys.dir != NULL &&
         odbcpool__pkey_purge(a->pkeys.dir, ms - a->retention_ms, NULL, &perr) <
             0))
      odbcpool__log(ODBCPOOL_LOG_ERROR, "audit: %s", perr.message);
  }
  return ODBCPOOL_OK;
}

/* Appends `rec` to the live file, rotating first when the record's UTC
 * date differs from the last record's or the file would grow past
 * rotate_mib. Called with a->mu and the lock file held, after sync. */
int odbcpool__audit_append(struct odbcpool__audit *a,
                           const struct odbcpool__audit_rec *rec,
                           odbcpool_error *err) {
  int64_t ms = odbcpool__audit_now_ms(a);
  char mac[MAC_HEX + 1], tbuf[TIME_LEN + 8];
  int date = odbcpool__audit_format_time(ms, false, tbuf, sizeof tbuf);

  const char *why = odbcpool__audit_format(a, "", ms, rec, NULL, mac);
  if (why != NULL)
    return odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "%s", why);
  if (a->size > 0 && ((a->last_date != 0 && a->last_date != date) ||
                      a->size + (off_t)a->rec.len > a->rotate_bytes)) {
    int rc = odbcpool__audit_rotate(a, ms, err);
    if (rc == ODBCPOOL_OK)
      rc = odbcpool__audit_sync(a, err);
    if (rc != ODBCPOOL_OK)
      return rc;
    why = odbcpool__audit_format(a, "", ms, rec, NULL, mac);
    if (why != NULL)
      return odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "%s", why);
  }
  size_t done;
  int e = odbcpool__write_full(a->log_fd, a->rec.data, a->rec.len, &done);
  if (e != 0) {
    a->size = -1; /* read the end again: it may hold part of the record */
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: cannot write: %s",
                         a->path, strerror(e));
  }
  a->size += (off_t)done;
  a->chain.seq++;
  memcpy(a->chain.mac, mac, sizeof mac);
  a->last_date = date;
  return ODBCPOOL_OK;
}

/* Refuses to append to a file that is not an audit trail: every trail
 * file starts with {"seq": (a crash can only cut that short). */
int odbcpool__audit_check_trail(const char *path, odbcpool_error *err) {
  int fd =
      open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
  char head[sizeof HEAD_TAG];
  if (fd < 0) {
    if (errno == ENOENT)
      return ODBCPOOL_OK;
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: cannot open: %s",
                         path, strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SQLSTATE,
                         "%s: not a regular file", path);
  }
  ssize_t n = pread(fd, head, TAG_LEN(HEAD_TAG), 0);
  close(fd);
  if (n < 0)
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: cannot read: %s",
                         path, strerror(errno));
  if (memcmp(head, HEAD_TAG, (size_t)n) != 0)
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SQLSTATE,
                         "%s: not an odbcpool audit trail (it does not start "
                         "with {\"seq\":); move it aside or choose another "
                         "path",
                         path);
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    odbcpool__log(ODBCPOOL_LOG_WARN,
                  "audit: %s: readable by group or others (mode %04o); the "
                  "records hold pseudonymous personal data",
                  path, (unsigned)(st.st_mode & 07777));
  return ODBCPOOL_OK;
}

/* ------------------------------------------------------------- purge */

int odbcpool__audit_purge(const struct cfg *cfg, FILE *out,
                          odbcpool_error *err) {
  odbcpool__err_clear(err);
  if (cfg == NULL || cfg->audit_retention <= 0)
    return 0;
  int keys = 0;
  if (cfg->audit_key_file != NULL && cfg->audit_pseudonym_period > 0) {
    /* Keys of periods past retention: their records, wherever copies
     * of them are, can no longer be tied to anyone. */
    char *kdir = odbcpool__pkey_dir(cfg->audit_key_file, cfg->audit_pkey_dir);
    keys = kdir == NULL
               ? -1
               : odbcpool__pkey_purge(
                     kdir, odbcpool__audit_real_ms() - cfg->audit_retention,
                     out, err);
    free(kdir);
    if (keys < 0)
      return -1;
  }
  if (cfg->audit_path == NULL || cfg->audit_syslog)
    return keys;
  /* Hold the writers' lock, so that no writer looks for the chain end in
   * a rotated file while it goes. Never create the lock file: run as
   * another user (root), that would lock the pool out of it. */
  size_t len = strlen(cfg->audit_path) + sizeof ".lock";
  char *lock_path = malloc(len);
  if (lock_path == NULL) {
    odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
    return -1;
  }
  snprintf(lock_path, len, "%s.lock", cfg->audit_path);
  int fd = open(lock_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
  free(lock_path);
  if (fd >= 0 && !odbcpool__audit_lock_timed(fd, LOCK_EX, LOCK_WAIT_OPEN_MS)) {
    close(fd);
    odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s.lock: cannot lock",
                  cfg->audit_path);
    return -1;
  }
  int n =
      purge_rotated(cfg->audit_path,
                    odbcpool__audit_real_ms() - cfg->audit_retention, out, err);
  if (fd >= 0)
    close(fd); /* releases the lock */
  return n < 0 ? n : n + keys;
}

int odbcpool__audit_trail_files(const char *path, char ***files /* OUT */,
                                int *nfiles /* OUT */, odbcpool_error *err) {
  char **v;
  size_t n;
  struct stat st;
  *files = NULL;
  *nfiles = 0;
  int rc = list_rotated(path, &v, &n);
  if (rc != 0)
    return odbcpool__err(err, rc == ENOMEM ? ODBCPOOL_ENOMEM : ODBCPOOL_EIO,
                         SQLSTATE, "%s: cannot list its directory: %s", path,
                         strerror(rc));
  if (stat(path, &st) == 0) {
    char **nv = realloc(v, (n + 1) * sizeof *v);
    char *live = strdup(path);
    if (nv == NULL || live == NULL) {
      free(live);
      free_list(nv ? nv : v, n);
      return odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
    }
    v = nv;
    v[n++] = live;
  }
  if (n > INT_MAX) {
    free_list(v, n);
    return odbcpool__err(err, ODBCPOOL_EINVAL, SQLSTATE, "too many files");
  }
  *files = v;
  *nfiles = (int)n;
  return ODBCPOOL_OK;
}

void odbcpool__audit_files_free(char **files, int nfiles) {
  if (files != NULL)
    free_list(files, nfiles > 0 ? (size_t)nfiles : 0);
}
