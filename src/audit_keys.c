/* audit_keys.c — pseudonym keys per period: made at random, stored with
 * a tag under the audit key, deleted after retention (see doc/AUDIT.md,
 * "Pseudonyms that expire"). */
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "audit.h"
#include "audit_keys.h"
#include "error.h"
#include "secret.h"
#include "util.h"

#define SQLSTATE "HY000"
#define KEY_LEN 32
#define FILE_LEN (2 * KEY_LEN) /* the key, then its tag */

/* The tag key is derived from the audit key with its own label, so that
 * it is none of the chain key, a pseudonym or a period key. It only
 * authenticates period keys; it cannot recompute one. */
static const char tag_label[] = "odbcpool pseudonym key tag v1";
static const char key_suffix[] = ".key";

/* The civil date of a day count since 1970-01-01 (proleptic Gregorian);
 * the other way is odbcpool__days_from_civil (util.c). */
static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t floor_div(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

void odbcpool__pkey_id(int64_t ms, long period_ms,
                       char id[ODBCPOOL_PKEY_ID_MAX], int64_t *start,
                       int64_t *end) {
  int64_t days = period_ms / ODBCPOOL_DAY_MS;
  if (days < 1)
    days = 1;
  int64_t first = floor_div(floor_div(ms, ODBCPOOL_DAY_MS), days) * days;
  int y;
  unsigned m, d;
  civil_from_days(first, &y, &m, &d);
  if (y < 0 || y > 9999)
    y = 0;
  char tmp[64];
  snprintf(tmp, sizeof tmp, "%04d%02u%02u-%" PRId64 "d", y, m, d,
           days > 99999 ? (int64_t)99999 : days);
  snprintf(id, ODBCPOOL_PKEY_ID_MAX, "%.20s", tmp);
  if (start)
    *start = first * ODBCPOOL_DAY_MS;
  if (end)
    *end = (first + days) * ODBCPOOL_DAY_MS;
}

bool odbcpool__pkey_id_parse(const char *s, size_t n, int64_t *start,
                             int64_t *end) {
  /* yyyymmdd-Nd, N of 1 to 5 digits */
  if (n < 11 || n > 15 || s[8] != '-' || s[n - 1] != 'd')
    return false;
  int64_t v[3] = {0, 0, 0}, days = 0;
  for (size_t i = 0; i < 8; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    size_t k = i < 4 ? 0 : i < 6 ? 1 : 2;
    v[k] = v[k] * 10 + (s[i] - '0');
  }
  for (size_t i = 9; i < n - 1; i++) {
    if (s[i] < '0' || s[i] > '9' || (i == 9 && s[i] == '0'))
      return false;
    days = days * 10 + (s[i] - '0');
  }
  if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || days < 1)
    return false;
  int64_t first =
      odbcpool__days_from_civil(v[0], (unsigned)v[1], (unsigned)v[2]);
  if (start)
    *start = first * ODBCPOOL_DAY_MS;
  if (end)
    *end = (first + days) * ODBCPOOL_DAY_MS;
  return true;
}

char *odbcpool__pkey_dir(const char *key_file, const char *configured) {
  if (configured != NULL)
    return strdup(configured);
  if (key_file == NULL)
    return NULL;
  size_t len = strlen(key_file) + sizeof ".pseudonyms";
  char *d = malloc(len);
  if (d != NULL)
    snprintf(d, len, "%s.pseudonyms", key_file);
  return d;
}

bool odbcpool__pkey_pseudonym(const unsigned char key[32], const char *user,
                              char out[33]) {
  static const char digits[] = "0123456789abcdef";
  unsigned char md[32];
  unsigned int len = sizeof md;
  out[0] = '\0';
  if (HMAC(EVP_sha256(), key, KEY_LEN, (const unsigned char *)user,
           strlen(user), md, &len) == NULL ||
      len != sizeof md)
    return false;
  for (size_t i = 0; i < 16; i++) {
    out[2 * i] = digits[md[i] >> 4];
    out[2 * i + 1] = digits[md[i] & 15];
  }
  out[32] = '\0';
  OPENSSL_cleanse(md, sizeof md);
  return true;
}

/* tag = HMAC(HMAC(master, tag_label), id || key). Returns false if
 * libcrypto failed. */
static bool key_tag(const unsigned char master[32], const char *id,
                    const unsigned char key[32], unsigned char tag[32]) {
  unsigned char tk[32], msg[ODBCPOOL_PKEY_ID_MAX + KEY_LEN];
  unsigned int len = sizeof tk;
  size_t idlen = strlen(id);
  bool ok =
      HMAC(EVP_sha256(), master, KEY_LEN, (const unsigned char *)tag_label,
           sizeof tag_label - 1, tk, &len) != NULL;
  memcpy(msg, id, idlen);
  memcpy(msg + idlen, key, KEY_LEN);
  len = 32;
  ok = ok && HMAC(EVP_sha256(), tk, sizeof tk, msg, idlen + KEY_LEN, tag,
                  &len) != NULL;
  OPENSSL_cleanse(tk, sizeof tk);
  OPENSSL_cleanse(msg, sizeof msg);
  return ok;
}

/* Whether a key file or directory of `uid` may be trusted: ours, root's,
 * or anyone's when we are root (root purging the pool user's keys). */
static bool owner_ok(uid_t uid) {
  return uid == geteuid() || uid == 0 || geteuid() == 0;
}

/* Opens the key directory, refusing one that is not a directory (a
 * symbolic link is not followed), that group or others may access, or
 * whose owner is not owner_ok. With `create`, makes it
 * (0700) if missing. Returns the descriptor or -1 with err set (ENOTFOUND
 * for a missing directory). */
static int open_key_dir(const char *dir, bool create, odbcpool_error *err) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && create) {
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
      odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE,
                    "%s: cannot make the pseudonym key directory: %s (set "
                    "[audit] pseudonym_keys to a directory the pool's user "
                    "may write)",
                    dir, strerror(errno));
      return -1;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) {
    int e = errno;
    odbcpool__err(err, e == ENOENT ? ODBCPOOL_ENOTFOUND : ODBCPOOL_EIO,
                  SQLSTATE, "%s: %s", dir,
                  e == ELOOP || e == ENOTDIR
                      ? "not a directory (symbolic links are not followed)"
                      : strerror(e));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0 || !owner_ok(st.st_uid)) {
    odbcpool__err(err, ODBCPOOL_ECONFIG, SQLSTATE,
                  "%s: the pseudonym key directory must belong to this user "
                  "and be closed to group and others (mode %04o)",
                  dir, (unsigned)(st.st_mode & 07777));
    close(fd);
    return -1;
  }
  return fd;
}

/* Reads and checks the key file `name` in `dfd`. */
static int read_key(int dfd, const char *dir, const char *name,
                    const unsigned char master[32], const char *id,
                    unsigned char key[32], odbcpool_error *err) {
  unsigned char buf[FILE_LEN + 1], tag[32];
  struct stat st;
  int fd = openat(dfd, name,
                  O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return odbcpool__err(err,
                         errno == ENOENT ? ODBCPOOL_ENOTFOUND : ODBCPOOL_EIO,
                         SQLSTATE, "%s/%s: %s", dir, name, strerror(errno));
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) ||
      !owner_ok(st.st_uid)) {
    close(fd);
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SQLSTATE,
                         "%s/%s: a pseudonym key must be a regular file of "
                         "this user, mode 0600",
                         dir, name);
  }
  size_t got = 0;
  (void)odbcpool__read_full(fd, buf, sizeof buf, -1, &got);
  close(fd);
  bool ok = got == FILE_LEN && key_tag(master, id, buf, tag) &&
            CRYPTO_memcmp(tag, buf + KEY_LEN, 32) == 0;
  if (ok)
    memcpy(key, buf, KEY_LEN);
  OPENSSL_cleanse(buf, sizeof buf);
  if (!ok)
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SQLSTATE,
                         "%s/%s: not a pseudonym key made with this audit "
                         "key (damaged, planted, or another key)",
                         dir, name);
  return ODBCPOOL_OK;
}

/* Makes the key of `id`: a new file under a random name, then linked to
 * its name, which fails if another process made it first (then that one
 * is read). */
static int make_key(int dfd, const char *dir, const char *name,
                    const unsigned char master[32], const char *id,
                    unsigned char key[32], odbcpool_error *err) {
  unsigned char buf[FILE_LEN];
  char tmp[48];
  int fd = -1, rc;
  for (int tries = 0; fd < 0 && tries < 8; tries++) {
    char rnd[13];
    odbcpool__random_name(rnd, sizeof rnd);
    snprintf(tmp, sizeof tmp, ".new.%s", rnd);
    fd = openat(dfd, tmp,
                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                0600);
    if (fd < 0 && errno != EEXIST)
      break;
  }
  if (fd < 0)
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE,
                         "%s: cannot write a pseudonym key: %s", dir,
                         strerror(errno));
  if (RAND_priv_bytes(buf, KEY_LEN) != 1 ||
      !key_tag(master, id, buf, buf + KEY_LEN)) {
    rc = odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE,
                       "libcrypto failed to make a pseudonym key");
  } else {
    int e = odbcpool__write_full(fd, buf, sizeof buf, NULL);
    if (e == 0 && fsync(fd) != 0)
      e = errno;
    if (e != 0)
      rc = odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s/%s: cannot write: %s",
                         dir, tmp, strerror(e));
    else if (linkat(dfd, tmp, dfd, name, 0) == 0) {
      memcpy(key, buf, KEY_LEN);
      fsync(dfd);
      rc = ODBCPOOL_OK;
    } else if (errno == EEXIST) {
      rc = read_key(dfd, dir, name, master, id, key, err);
    } else {
      rc = odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s/%s: cannot link: %s",
                         dir, name, strerror(errno));
    }
  }
  close(fd);
  unlinkat(dfd, tmp, 0);
  OPENSSL_cleanse(buf, sizeof buf);
  return rc;
}

int odbcpool__pkey_load(const char *dir, const unsigned char master[32],
                        const char *id, bool create, unsigned char key[32],
                        odbcpool_error *err) {
  char name[ODBCPOOL_PKEY_ID_MAX + sizeof key_suffix];
  odbcpool__err_clear(err);
  if (!odbcpool__pkey_id_parse(id, strlen(id), NULL, NULL))
    return odbcpool__err(err, ODBCPOOL_EINVAL, SQLSTATE,
                         "not a pseudonym period: %.40s", id);
  snprintf(name, sizeof name, "%s%s", id, key_suffix);
  int dfd = open_key_dir(dir, create, err);
  if (dfd < 0)
    return err->code;
  int rc = read_key(dfd, dir, name, master, id, key, err);
  if (rc == ODBCPOOL_ENOTFOUND && create)
    rc = make_key(dfd, dir, name, master, id, key, err);
  close(dfd);
  return rc;
}

/* The id of key file `name`, into id; false if it is not one. */
static bool id_of_name(const char *name, char id[ODBCPOOL_PKEY_ID_MAX]) {
  size_t n = strlen(name), sl = sizeof key_suffix - 1;
  if (n <= sl || n - sl >= ODBCPOOL_PKEY_ID_MAX ||
      strcmp(name + n - sl, key_suffix) != 0 ||
      !odbcpool__pkey_id_parse(name, n - sl, NULL, NULL))
    return false;
  memcpy(id, name, n - sl);
  id[n - sl] = '\0';
  return true;
}

static int cmp_id(const void *x, const void *y) {
  return strcmp(*(char *const *)x, *(char *const *)y);
}

int odbcpool__pkey_list(const char *dir, char ***ids /* OUT */,
                        int *n /* OUT */, odbcpool_error *err) {
  *ids = NULL;
  *n = 0;
  odbcpool__err_clear(err);
  int dfd = open_key_dir(dir, false, err);
  if (dfd < 0)
    return err->code == ODBCPOOL_ENOTFOUND ? (odbcpool__err_clear(err), 0)
                                           : err->code;
  DIR *d = fdopendir(dfd);
  if (d == NULL) {
    close(dfd);
    return odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: %s", dir,
                         strerror(errno));
  }
  char **v = NULL;
  int cnt = 0, cap = 0, rc = ODBCPOOL_OK;
  struct dirent *e;
  char id[ODBCPOOL_PKEY_ID_MAX];
  while ((e = readdir(d)) != NULL) {
    if (!id_of_name(e->d_name, id))
      continue;
    if (cnt == cap) {
      cap = cap ? cap * 2 : 16;
      char **nv = realloc(v, (size_t)cap * sizeof *v);
      if (nv == NULL) {
        rc = ODBCPOOL_ENOMEM;
        break;
      }
      v = nv;
    }
    if ((v[cnt] = strdup(id)) == NULL) {
      rc = ODBCPOOL_ENOMEM;
      break;
    }
    cnt++;
  }
  closedir(d);
  if (rc != ODBCPOOL_OK) {
    odbcpool__audit_files_free(v, cnt);
    return odbcpool__err(err, rc, SQLSTATE, "out of memory");
  }
  if (cnt > 1)
    qsort(v, (size_t)cnt, sizeof *v, cmp_id);
  *ids = v;
  *n = cnt;
  return ODBCPOOL_OK;
}

int odbcpool__pkey_purge(const char *dir, int64_t cutoff_ms, FILE *out,
                         odbcpool_error *err) {
  char **ids;
  int n, deleted = 0;
  if (odbcpool__pkey_list(dir, &ids, &n, err) != ODBCPOOL_OK)
    return -1;
  int dfd = n > 0 ? open_key_dir(dir, false, err) : -1;
  if (n > 0 && dfd < 0) {
    odbcpool__audit_files_free(ids, n);
    return -1;
  }
  for (int i = 0; i < n; i++) {
    int64_t end;
    char name[ODBCPOOL_PKEY_ID_MAX + sizeof key_suffix];
    if (!odbcpool__pkey_id_parse(ids[i], strlen(ids[i]), NULL, &end) ||
        end >= cutoff_ms)
      continue;
    snprintf(name, sizeof name, "%s%s", ids[i], key_suffix);
    if (unlinkat(dfd, name, 0) != 0) {
      odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s/%s: cannot delete: %s",
                    dir, name, strerror(errno));
      deleted = -1;
      break;
    }
    if (out != NULL)
      fprintf(out, "%s/%s\n", dir, name);
    deleted++;
  }
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  odbcpool__audit_files_free(ids, n);
  return deleted;
}

int odbcpool__pkeys_init(struct odbcpool__pkeys *k, const char *dir,
                         long period_ms, const unsigned char master[32],
                         odbcpool_error *err) {
  memset(k, 0, sizeof *k);
  if (period_ms <= 0)
    return ODBCPOOL_OK;
  k->period_ms = period_ms;
  k->master = master;
  k->dir = dir ? strdup(dir) : NULL;
  k->key = odbcpool__secure_alloc(KEY_LEN);
  if (k->dir == NULL || k->key == NULL)
    return odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
  /* A directory that cannot be made or is not safe is reported now; the
   * key of a period is only made when a record needs it. */
  int dfd = open_key_dir(k->dir, true, err);
  if (dfd < 0)
    return err->code;
  close(dfd);
  return ODBCPOOL_OK;
}

const unsigned char *odbcpool__pkeys_get(struct odbcpool__pkeys *k, int64_t ms,
                                         odbcpool_error *err) {
  char id[ODBCPOOL_PKEY_ID_MAX];
  if (k->period_ms <= 0 || k->key == NULL)
    return NULL;
  odbcpool__pkey_id(ms, k->period_ms, id, NULL, NULL);
  if (strcmp(id, k->id) == 0)
    return k->key;
  k->id[0] = '\0';
  if (odbcpool__pkey_load(k->dir, k->master, id, true, k->key, err) !=
      ODBCPOOL_OK)
    return NULL;
  memcpy(k->id, id, sizeof id);
  return k->key;
}

void odbcpool__pkeys_fini(struct odbcpool__pkeys *k) {
  if (k->key != NULL)
    odbcpool__secure_free(k->key, KEY_LEN);
  free(k->dir);
  memset(k, 0, sizeof *k);
}
